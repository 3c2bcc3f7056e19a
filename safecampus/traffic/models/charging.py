"""Charging points (充电设施): e-bike charging sheds and EV chargers on campus.

Anyone may report a fault; the office's fault record opens a hazard routed to the
operator's unit (through :mod:`safecampus.hazards.services`, house rule: no module imports
another). Charging sessions come from the operators' exports and give utilisation by hour.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.models import BaseModel


class ChargingStation(ConcurrentTransitionMixin, BaseModel):
    """A charging station (充电站/充电桩群) with ``points`` connectors that can charge at once.

    Status: ``in_service`` → ``fault`` (a fault is reported; another report keeps it
    ``fault``) → ``in_service`` (its last open fault is marked fixed); ``in_service`` or
    ``fault`` → ``out_of_service`` → ``in_service`` (the office, by hand).
    """

    class Kind(models.TextChoices):
        EBIKE = "ebike", _("E-bike charging")  # 电动自行车充电
        EV = "ev", _("Electric-car charging")  # 电动汽车充电

    class Status(models.TextChoices):
        IN_SERVICE = "in_service", _("In service")  # 正常
        FAULT = "fault", _("Fault reported")  # 故障
        OUT_OF_SERVICE = "out_of_service", _("Out of service")  # 停用

    campus = models.ForeignKey("organisation.Campus", on_delete=models.PROTECT,
                               related_name="charging_stations", verbose_name=_("campus"))
    place = models.ForeignKey("organisation.Place", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="charging_stations",
                              verbose_name=_("place"))
    name = models.CharField(_("name"), max_length=100)
    #: The operator's id for the station, how session files name it.
    external_id = models.CharField(_("operator's station id"), max_length=32, blank=True,
                                   db_index=True)
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices, default=Kind.EBIKE)
    operator_name = models.CharField(_("operator"), max_length=64)
    #: The unit a fault is routed to (the operator's contract owner on campus).
    operator_unit = models.ForeignKey("organisation.Unit", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+",
                                      verbose_name=_("operator's unit"))
    points = models.PositiveSmallIntegerField(_("charging points"), default=1)
    status = FSMField(_("status"), max_length=16, choices=Status.choices,
                      default=Status.IN_SERVICE, protected=True, db_index=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("charging station")
        verbose_name_plural = _("charging stations")
        ordering = ["campus_id", "name"]
        permissions = [("manage_charging", "Can keep the charging stations")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("traffic:charging_detail", args=[self.pk])

    @transition(field=status, source=[Status.IN_SERVICE, Status.FAULT], target=Status.FAULT)
    def report_fault(self):
        """A fault was reported (a station with a fault stays ``fault``)."""

    @transition(field=status, source=Status.FAULT, target=Status.IN_SERVICE)
    def mark_fixed(self):
        """Its last open fault was marked fixed."""

    @transition(field=status, source=[Status.IN_SERVICE, Status.FAULT],
                target=Status.OUT_OF_SERVICE)
    def take_out_of_service(self):
        """The office switched it off (a reason is required)."""

    @transition(field=status, source=Status.OUT_OF_SERVICE, target=Status.IN_SERVICE)
    def return_to_service(self):
        """The office switched it back on (only when no fault is open)."""


class ChargingFault(ConcurrentTransitionMixin, BaseModel):
    """A fault reported at a station (充电设施故障报修). ``hazard_id`` is the hazard it opened
    (a reference by id: hazards do not know this module). State: ``open`` → ``fixed``."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("fault", "Open")  # 待修复
        FIXED = "fixed", _("Fixed")  # 已修复

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE,
                                related_name="faults", verbose_name=_("station"))
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("reported by"))
    description = models.TextField(_("what is wrong"))
    hazard_id = models.PositiveIntegerField(_("hazard"), null=True, blank=True)
    state = FSMField(_("state"), max_length=8, choices=State.choices, default=State.OPEN,
                     protected=True, db_index=True)
    fixed_at = models.DateTimeField(_("fixed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("charging fault")
        verbose_name_plural = _("charging faults")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.station} · {self.created_at:%Y-%m-%d}"

    @transition(field=state, source=State.OPEN, target=State.FIXED)
    def mark_fixed(self):
        """The office states the station works again (the hazard runs its own loop)."""


class ChargingImport(BaseModel):
    """One uploaded file of charging sessions (or of stations), from upload to import."""

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")  # 已上传
        REJECTED = "rejected", _("Problems found")  # 校验未通过
        IMPORTED = "imported", _("Imported")  # 已导入

    class Content(models.TextChoices):
        SESSIONS = "sessions", _("Charging sessions")  # 充电记录
        STATIONS = "stations", _("Charging stations")  # 充电站

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("uploaded by"))
    content = models.CharField(_("content"), max_length=10, choices=Content.choices,
                               default=Content.SESSIONS)
    file = models.FileField(_("file"), upload_to="imports/charging/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    digest = models.CharField(_("file digest"), max_length=64, db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.UPLOADED, db_index=True)
    plan = models.JSONField(_("column mapping"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("problems found"), default=0)
    imported_count = models.PositiveIntegerField(_("rows imported"), default=0)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("charging import")
        verbose_name_plural = _("charging imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name


class ChargingSession(models.Model):
    """One charging session: a vehicle on one point from ``started_at`` to ``ended_at``
    (aware UTC), ``energy_wh`` watt-hours delivered."""

    id = models.BigAutoField(primary_key=True)
    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE,
                                related_name="sessions", verbose_name=_("station"))
    external_id = models.CharField(_("operator's session id"), max_length=32)
    user_ref = models.CharField(_("user in the operator's file"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))
    energy_wh = models.PositiveIntegerField(_("energy (Wh)"), default=0)
    plug = models.CharField(_("plug"), max_length=64, blank=True)
    batch = models.ForeignKey(ChargingImport, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="sessions", verbose_name=_("import"))

    class Meta:
        verbose_name = _("charging session")
        verbose_name_plural = _("charging sessions")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["station", "external_id"],
                                    name="traffic_charging_session_once"),
        ]
        indexes = [
            models.Index(fields=["station", "started_at"], name="traffic_charging_station"),
            models.Index(fields=["started_at"], name="traffic_charging_time"),
        ]

    def __str__(self) -> str:
        return f"{self.station} {self.started_at:%Y-%m-%d %H:%M}"
