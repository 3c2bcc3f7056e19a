"""Incident bulletins (警情通报): what a partner tells the office about incidents on and around
campus over a period, as structured records.

A bulletin is numbered per partner and year (``2026年第3期``), drafted by a liaison or the
office, and published; only published bulletins count in the statistics and are seen beyond
its partner and the office. Each :class:`BulletinRecord` may open a hazard (through
``hazards.services``), a risk point review or a warning; the record keeps the link.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.incidents import IncidentCategory
from safecampus.core.models import BaseModel


class Bulletin(ConcurrentTransitionMixin, BaseModel):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")  # 草稿
        PUBLISHED = "published", _("Published")  # 已发布
        WITHDRAWN = "withdrawn", _("Withdrawn")  # 已撤回

    partner = models.ForeignKey("police.Partner", on_delete=models.PROTECT,
                                related_name="bulletins", verbose_name=_("partner"))
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("issue number"))
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    summary = models.TextField(_("summary and advice"), blank=True)
    state = FSMField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT,
                     protected=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("drafted by"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("published by"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True,
                                        db_index=True)
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=200,
                                        blank=True)

    class Meta:
        verbose_name = _("incident bulletin")
        verbose_name_plural = _("incident bulletins")
        ordering = ["-period_end", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "year", "sequence"],
                                    name="police_bulletin_number"),
        ]
        indexes = [models.Index(fields=["state", "-period_end"])]

    def __str__(self) -> str:
        return f"{self.partner} {self.reference}"

    @property
    def reference(self) -> str:
        """``2026-03``: year and issue number within the partner's bulletins."""
        return f"{self.year}-{self.sequence:02d}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("police:bulletin_detail", args=[self.pk])

    @transition(field=state, source=State.DRAFT, target=State.PUBLISHED)
    def publish(self) -> None:
        """Draft → published (records can no longer be added or changed)."""

    @transition(field=state, source=State.PUBLISHED, target=State.WITHDRAWN)
    def withdraw(self) -> None:
        """Published → withdrawn (published in error; leaves the statistics)."""


class BulletinRecord(BaseModel):
    """One incident in a bulletin: when, where (on campus or nearby), what, how it matters."""

    class Proximity(models.TextChoices):
        ON_CAMPUS = "on_campus", _("On campus")  # 校内
        NEARBY = "nearby", _("Near campus")  # 校园周边
        AREA = "area", _("Elsewhere in the precinct")  # 辖区其他

    class Relevance(models.TextChoices):
        HIGH = "high", _("Directly concerns the campus")  # 与校园直接相关
        MEDIUM = "medium", _("May affect the campus")  # 可能影响校园
        LOW = "low", _("For information")  # 仅供参考

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="records",
                                 verbose_name=_("bulletin"))
    position = models.PositiveIntegerField(_("number in the bulletin"))
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    category = models.CharField(_("type"), max_length=16, choices=IncidentCategory.choices,
                                db_index=True)
    type_label = models.CharField(_("type as recorded"), max_length=120, blank=True)
    proximity = models.CharField(_("where"), max_length=12, choices=Proximity.choices,
                                 default=Proximity.ON_CAMPUS, db_index=True)
    campus = models.ForeignKey("organisation.Campus", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("campus"))
    place = models.ForeignKey("organisation.Place", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="bulletin_records",
                              verbose_name=_("place"))
    location_text = models.CharField(_("location"), max_length=200, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    relevance = models.CharField(_("relevance to campus"), max_length=8,
                                 choices=Relevance.choices, default=Relevance.MEDIUM)
    external_ref = models.CharField(_("police reference number"), max_length=64, blank=True)
    disposition_label = models.CharField(_("disposition as recorded"), max_length=120,
                                         blank=True)
    # What the office did with it (each at most once).
    hazard = models.ForeignKey("hazards.Hazard", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("hazard opened"))
    alert = models.ForeignKey("notifications.Alert", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("warning sent"))

    class Meta:
        verbose_name = _("bulletin record")
        verbose_name_plural = _("bulletin records")
        ordering = ["bulletin_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "position"],
                                    name="police_record_position"),
        ]
        indexes = [
            models.Index(fields=["category", "-occurred_at"], name="police_record_category"),
            models.Index(fields=["campus", "-occurred_at"], name="police_record_campus"),
            models.Index(fields=["place", "-occurred_at"], name="police_record_place"),
        ]

    def __str__(self) -> str:
        """``兴庆路派出所 2026年第7期 第2起`` (in the current language)."""
        from django.utils.translation import gettext

        return gettext("%(partner)s, %(year)s issue %(number)s, incident %(position)s") % {
            "partner": self.bulletin.partner.name, "year": self.bulletin.year,
            "number": self.bulletin.sequence, "position": self.position}

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("police:record_detail", args=[self.pk])


class BulletinImport(BaseModel):
    """A spreadsheet of incident records between upload, column mapping and import into one
    draft bulletin (the same file is imported once: SHA-256 ``digest``)."""

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")  # 已上传 (待映射)
        REJECTED = "rejected", _("Problems found")  # 校验未通过
        IMPORTED = "imported", _("Imported")  # 已导入

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="imports",
                                 verbose_name=_("bulletin"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("uploaded by"))
    file = models.FileField(_("file"), upload_to="imports/bulletins/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    digest = models.CharField(_("file digest"), max_length=64, db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.UPLOADED, db_index=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    plan = models.JSONField(_("column and value mapping"), default=dict, blank=True)
    error_count = models.PositiveIntegerField(_("problems found"), default=0)
    imported_count = models.PositiveIntegerField(_("records imported"), default=0)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulletin import")
        verbose_name_plural = _("bulletin imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name
