"""The duty room (值班室): shifts, the duty log (值班日志) and incidents (警情).

A :class:`DutyShift` is one person's (or team's) turn in the duty room; entries are logged
into the open shift. At handover the open entries move to the next shift (carried over) and
stay on both shifts' timelines. An entry can become an :class:`Incident` (a record with
reported and occurred times, people involved, disposition and police reference) or a hazard.
Incidents are also imported from older logs (:class:`IncidentImport`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecampus.core.clock import local_zone
from safecampus.core.incidents import IncidentCategory
from safecampus.core.models import BaseModel


def _local(value):
    """``value`` (aware) in Asia/Shanghai, for names shown to people."""
    return value.astimezone(local_zone())


class DutyShift(BaseModel):
    """A turn of duty in the duty room, from taking over to handing over (值班班次)."""

    class State(models.TextChoices):
        OPEN = "open", _("On duty")  # 值班中
        HANDED_OVER = "handed_over", _("Handed over")  # 已交班

    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.OPEN, db_index=True)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="duty_shifts", verbose_name=_("duty officer"))
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("leader on duty"))
    started_at = models.DateTimeField(_("took over at"), db_index=True)
    ended_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    previous = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="next", verbose_name=_("previous shift"))
    handover_note = models.TextField(_("handover note"), blank=True)
    carried_over = models.PositiveSmallIntegerField(_("open items carried over"), default=0)

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["-started_at", "-id"]
        constraints = [
            # One duty room, one open shift: the next one starts by handing over.
            models.UniqueConstraint(fields=["state"], condition=Q(state="open"),
                                    name="patrols_one_open_duty_shift"),
        ]
        permissions = [
            ("keep_duty_log", "Can keep the duty log and hand over shifts"),
        ]

    def __str__(self) -> str:
        return f"{self.officer} {_local(self.started_at):%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("patrols:duty_shift_detail", args=[self.pk])


class DutyLogEntry(BaseModel):
    """One call or event in the duty log: time, place, type, caller, what was done."""

    class Kind(models.TextChoices):
        CALL = "call", _("Phone call")  # 来电
        WALK_IN = "walk_in", _("Walk-in")  # 来访
        ALARM = "alarm", _("Alarm")  # 报警 (消防/技防)
        PATROL = "patrol", _("Patrol report")  # 巡逻报告
        CCTV = "cctv", _("Seen on CCTV")  # 监控发现
        NOTICE = "notice", _("Instruction or notice")  # 上级通知
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("duty log", "Open")  # 待处理
        CLOSED = "closed", pgettext_lazy("duty log", "Closed")  # 已处理

    shift = models.ForeignKey(DutyShift, on_delete=models.PROTECT, related_name="entries",
                              verbose_name=_("current shift"))
    logged_in_shift = models.ForeignKey(DutyShift, on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("logged in shift"))
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("logged by"))
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, default=Kind.CALL)
    campus = models.ForeignKey("organisation.Campus", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("campus"))
    place = models.ForeignKey("organisation.Place", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("place"))
    location_text = models.CharField(_("location details"), max_length=200, blank=True)
    caller_name = models.CharField(_("caller"), max_length=64, blank=True)
    caller_phone = models.CharField(_("caller's phone"), max_length=32, blank=True)
    summary = models.TextField(_("what happened"))
    action_taken = models.TextField(_("what was done"), blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.OPEN, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    incident = models.OneToOneField("patrols.Incident", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="duty_entry",
                                    verbose_name=_("incident"))

    class Meta:
        verbose_name = _("duty log entry")
        verbose_name_plural = _("duty log entries")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["shift", "status"], name="duty_entry_shift_status")]

    def __str__(self) -> str:
        return f"{_local(self.occurred_at):%Y-%m-%d %H:%M} {self.summary[:40]}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("patrols:duty_entry_detail", args=[self.pk])

    def is_visible_to(self, user) -> bool:
        return user.has_perm("patrols.view_duty_log", self)


class Incident(BaseModel):
    """An incident (警情): what happened, when it occurred and was reported, where, who was
    involved, how it was disposed of and the police reference number."""

    Category = IncidentCategory

    class Disposition(models.TextChoices):
        OPEN = "open", pgettext_lazy("incident", "Open")  # 处置中
        REFERRED = "referred", _("Referred to police")  # 移交公安
        ARREST = "arrest", _("Arrest")  # 抓获 / 拘留
        RESOLVED = "resolved", pgettext_lazy("incident", "Resolved")  # 已处置
        UNFOUNDED = "unfounded", _("Unfounded")  # 不实 / 误报
        CLOSED = "closed", _("Closed administratively")  # 已结案

    class Source(models.TextChoices):
        DUTY_LOG = "duty_log", _("Duty log")  # 值班日志
        # By hand on the form or the API, by the office or a guard: the label names no one.
        MANUAL = "manual", _("Entered by hand")  # 手工录入
        IMPORT = "import", _("Imported log")  # 导入

    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    category = models.CharField(_("category"), max_length=16, choices=Category.choices,
                                db_index=True)
    type_label = models.CharField(_("type as recorded"), max_length=120, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    occurred_until = models.DateTimeField(_("occurred until"), null=True, blank=True)
    campus = models.ForeignKey("organisation.Campus", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="incidents",
                               verbose_name=_("campus"))
    place = models.ForeignKey("organisation.Place", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="incidents",
                              verbose_name=_("place"))
    location_text = models.CharField(_("location"), max_length=200, blank=True, db_index=True)
    people_involved = models.TextField(_("people involved"), blank=True)
    disposition = models.CharField(_("disposition"), max_length=16,
                                   choices=Disposition.choices, default=Disposition.OPEN,
                                   db_index=True)
    disposition_label = models.CharField(_("disposition as recorded"), max_length=120,
                                         blank=True)
    police_reference = models.CharField(_("police reference number"), max_length=64,
                                        blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices,
                              default=Source.MANUAL)
    external_ref = models.CharField(_("number in the imported log"), max_length=64, blank=True)
    import_job = models.ForeignKey("patrols.IncidentImport", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="incidents",
                                   verbose_name=_("import"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("recorded by"))

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="patrols_incident_number"),
        ]
        indexes = [
            models.Index(fields=["category", "-occurred_at"], name="incident_category_time"),
            models.Index(fields=["place", "-occurred_at"], name="incident_place_time"),
            # Re-imports are recognised by (number in the old log, occurred at).
            models.Index(fields=["external_ref", "occurred_at"], name="incident_external_ref"),
        ]
        permissions = [
            ("import_incidents", "Can import incident logs"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """``JQ2026-00042``: year reported (local) and sequence, unique and never reused."""
        return f"JQ{self.year}-{self.sequence:05d}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("patrols:incident_detail", args=[self.pk])

    def is_visible_to(self, user) -> bool:
        return user.has_perm("patrols.view_incident", self)


class IncidentImport(BaseModel):
    """An uploaded incident log between upload, column mapping and import (警情导入)."""

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")  # 已上传 (待映射)
        REJECTED = "rejected", _("Problems found")  # 校验未通过
        IMPORTED = "imported", _("Imported")  # 已导入

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("uploaded by"))
    file = models.FileField(_("file"), upload_to="imports/incidents/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    #: SHA-256 of the file: the same file is imported once.
    digest = models.CharField(_("file digest"), max_length=64, db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.UPLOADED, db_index=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    plan = models.JSONField(_("column and value mapping"), default=dict, blank=True)
    error_count = models.PositiveIntegerField(_("problems found"), default=0)
    imported_count = models.PositiveIntegerField(_("incidents imported"), default=0)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident import")
        verbose_name_plural = _("incident imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name


class IncidentSequence(models.Model):
    """The last incident number used in a year; locked while numbers are taken (no reuse)."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("incident number sequence")
        verbose_name_plural = _("incident number sequences")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"
