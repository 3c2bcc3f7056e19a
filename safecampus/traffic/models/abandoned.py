"""Abandoned vehicles (僵尸车): a case from suspicion to the vehicle leaving the campus.

A case is opened from a patrol sighting, a report, long-stay detection over gate records or
a clean-up drive's batch tagging. The office posts a notice on the vehicle with a deadline
(photo), contacts the owner, and the case ends as ``moved`` (the owner took it away),
``claimed`` (removed to storage, then collected by its verified owner), ``disposed`` (not
claimed within the claim period) or ``dismissed`` (not abandoned after all).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.models import BaseModel

from .violations import Vehicle


class CleanUpDrive(BaseModel):
    """A clean-up drive (僵尸车清理行动): many suspected vehicles tagged in one sweep, all given
    the same notice deadline."""

    campus = models.ForeignKey("organisation.Campus", on_delete=models.PROTECT,
                               related_name="clean_up_drives", verbose_name=_("campus"))
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    notice_deadline = models.DateField(_("notice deadline"),
                                       help_text=_("Owners must move their vehicles by this "
                                                   "day (local date)."))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))

    class Meta:
        verbose_name = _("clean-up drive")
        verbose_name_plural = _("clean-up drives")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name


class AbandonedVehicleCase(ConcurrentTransitionMixin, BaseModel):
    """One suspected abandoned vehicle (僵尸车案件), numbered ``ZC<year>-<nnnn>``.

    States: ``suspected`` → ``noticed`` (notice posted with a deadline) → ``contacted`` →
    ``moved`` | ``stored`` (removed to storage) → ``claimed`` | ``disposed``; ``suspected``,
    ``noticed`` and ``contacted`` may also end ``dismissed`` with a reason. The owner may be
    contacted before the notice is posted (``suspected`` → ``contacted``) and may move the
    vehicle any time before it is removed. Dates are local (Asia/Shanghai) days.
    """

    class State(models.TextChoices):
        SUSPECTED = "suspected", _("Suspected")  # 疑似
        NOTICED = "noticed", _("Notice posted")  # 已张贴告知
        CONTACTED = "contacted", _("Owner contacted")  # 已联系车主
        MOVED = "moved", _("Moved by the owner")  # 车主已移走
        STORED = "stored", _("Removed to storage")  # 已拖移存放
        CLAIMED = "claimed", _("Claimed by the owner")  # 车主已认领
        DISPOSED = "disposed", _("Disposed of")  # 已处置
        DISMISSED = "dismissed", pgettext_lazy("abandoned vehicle", "Dismissed")  # 排除

    class Source(models.TextChoices):
        PATROL = "patrol", _("Patrol sighting")  # 巡逻发现
        REPORT = "report", _("Report from campus")  # 师生报告
        LONG_STAY = "long_stay", _("Long stay in gate records")  # 出入记录长期滞留
        CLEAN_UP = "clean_up", _("Clean-up drive")  # 清理行动

    number = models.CharField(_("case number"), max_length=16, unique=True)
    state = FSMField(_("state"), max_length=12, choices=State.choices,
                     default=State.SUSPECTED, protected=True, db_index=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    #: Normal form; empty when the vehicle has no readable plate (an e-bike, a plate removed).
    plate = models.CharField(_("plate number"), max_length=8, blank=True, db_index=True)
    vehicle = models.ForeignKey(Vehicle, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="abandoned_cases", verbose_name=_("vehicle"))
    vehicle_kind = models.CharField(_("vehicle type"), max_length=12,
                                    choices=Vehicle.Kind.choices, default=Vehicle.Kind.CAR)
    description = models.CharField(_("description"), max_length=200, blank=True,
                                   help_text=_("Make, colour, condition: flat tyres, dust, "
                                               "missing plate."))
    campus = models.ForeignKey("organisation.Campus", on_delete=models.PROTECT,
                               related_name="abandoned_cases", verbose_name=_("campus"))
    place = models.ForeignKey("organisation.Place", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="abandoned_cases",
                              verbose_name=_("place"))
    location_text = models.CharField(_("location"), max_length=200, blank=True)
    drive = models.ForeignKey(CleanUpDrive, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="cases", verbose_name=_("clean-up drive"))
    #: For long-stay cases: the gate entry with no exit after it.
    last_entry_at = models.DateTimeField(_("last entry through a gate"), null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("reported by"))
    #: A generic reference to where the suspicion came from, e.g. ``patrols.round:42``.
    source_ref = models.CharField(_("source reference"), max_length=64, blank=True)
    notice_posted_at = models.DateTimeField(_("notice posted at"), null=True, blank=True)
    notice_deadline = models.DateField(_("move by"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("owner contacted at"), null=True, blank=True)
    contact_note = models.TextField(_("contact record"), blank=True)
    storage_place = models.CharField(_("storage place"), max_length=200, blank=True)
    stored_on = models.DateField(_("removed on"), null=True, blank=True)
    claim_until = models.DateField(_("claim by"), null=True, blank=True)
    claimed_by_name = models.CharField(_("claimed by"), max_length=64, blank=True)
    claim_verification = models.CharField(_("owner verified by"), max_length=200, blank=True,
                                          help_text=_("e.g. driving licence and vehicle "
                                                      "registration checked"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_note = models.TextField(_("closing note"), blank=True)
    row_version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("abandoned-vehicle case")
        verbose_name_plural = _("abandoned-vehicle cases")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open case per plate: long-stay detection and batch tagging never open a
            # second case for a vehicle already being handled.
            models.UniqueConstraint(
                fields=["plate"],
                condition=~Q(plate="") & Q(state__in=["suspected", "noticed", "contacted",
                                                      "stored"]),
                name="traffic_abandoned_open_once"),
        ]
        indexes = [
            models.Index(fields=["state", "notice_deadline"], name="traffic_abandoned_due"),
            models.Index(fields=["campus", "state"], name="traffic_abandoned_campus"),
        ]
        permissions = [("manage_abandoned", "Can handle abandoned-vehicle cases")]

    def __str__(self) -> str:
        return f"{self.number} {self.plate}".strip()

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("traffic:abandoned_detail", args=[self.pk])

    @transition(field=state, source=[State.SUSPECTED, State.CONTACTED], target=State.NOTICED)
    def post_notice(self):
        """A notice with a deadline is on the vehicle (photo required); also after the owner
        was contacted first."""

    @transition(field=state, source=[State.SUSPECTED, State.NOTICED], target=State.CONTACTED)
    def contact(self):
        """The owner was reached (or every way to reach them was tried)."""

    @transition(field=state, source=[State.SUSPECTED, State.NOTICED, State.CONTACTED],
                target=State.MOVED)
    def mark_moved(self):
        """The owner took the vehicle away."""

    @transition(field=state, source=[State.NOTICED, State.CONTACTED], target=State.STORED)
    def store(self):
        """Removed to storage after the notice deadline (place, date, photos)."""

    @transition(field=state, source=State.STORED, target=State.CLAIMED)
    def claim(self):
        """The verified owner collected the vehicle from storage."""

    @transition(field=state, source=State.STORED, target=State.DISPOSED)
    def dispose(self):
        """Nobody claimed it within the claim period."""

    @transition(field=state, source=[State.SUSPECTED, State.NOTICED, State.CONTACTED],
                target=State.DISMISSED)
    def dismiss(self):
        """Not abandoned (in use, wrongly tagged); a reason is required."""


#: States in which a case is still work for the office.
CASE_OPEN_STATES = (
    AbandonedVehicleCase.State.SUSPECTED,
    AbandonedVehicleCase.State.NOTICED,
    AbandonedVehicleCase.State.CONTACTED,
    AbandonedVehicleCase.State.STORED,
)


class CasePhoto(BaseModel):
    """A photo of an abandoned-vehicle case at one stage (metadata stripped)."""

    class Stage(models.TextChoices):
        SIGHTING = "sighting", _("Sighting")  # 发现
        NOTICE = "notice", _("Notice on the vehicle")  # 张贴告知
        STORAGE = "storage", _("Removal to storage")  # 拖移存放
        CLAIM = "claim", _("Claim")  # 认领
        DISPOSAL = "disposal", _("Disposal")  # 处置

    case = models.ForeignKey(AbandonedVehicleCase, on_delete=models.CASCADE,
                             related_name="photos", verbose_name=_("case"))
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    image = models.ImageField(_("photo"), upload_to="traffic/abandoned/%Y/%m/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="traffic/abandoned/%Y/%m/")

    class Meta:
        verbose_name = _("case photo")
        verbose_name_plural = _("case photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage}"


class CaseSequence(models.Model):
    """The last case number taken in a year (numbers are never reused)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("case number sequence")
        verbose_name_plural = _("case number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"
