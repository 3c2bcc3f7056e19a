"""Inspections (安全检查): versioned checklists, plans and campaigns, inspections and results.

- :class:`ChecklistTemplate` (检查表) has numbered :class:`ChecklistVersion` s; a published
  version never changes, and every inspection keeps the version it used.
- :class:`InspectionPlan` is either a recurring schedule (定期检查) or a campaign
  (专项检查 / 安全大检查) over many places; each place it covers is an
  :class:`InspectionTarget` whose coverage state is kept up to date by the services.
- :class:`Inspection` goes item by item; each answer is one :class:`InspectionResult`
  (unique per item, so a retried save never duplicates). Failed items become hazards
  through ``hazards.services`` when the inspection's results are released.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.models import BaseModel
from safecampus.hazards.models import Grade


class ChecklistTemplate(BaseModel):
    """A checklist (检查表) such as 实验室安全检查表 or 学生宿舍安全检查评分表."""

    class Kind(models.TextChoices):
        LABORATORY = "laboratory", _("Laboratory safety")  # 实验室安全
        DORMITORY = "dormitory", _("Dormitory safety")  # 学生宿舍
        FIRE = "fire", _("Fire safety")  # 消防安全
        GENERAL = "general", _("General safety")  # 综合安全
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices,
                            default=Kind.GENERAL, db_index=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ChecklistVersion(BaseModel):
    """One version of a template. Drafts can be edited; published versions are frozen."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")  # 草稿
        PUBLISHED = "published", _("Published")  # 已发布 (在用)
        RETIRED = "retired", _("Superseded")  # 已停用 (被新版本替代)

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE,
                                 related_name="versions", verbose_name=_("template"))
    number = models.PositiveIntegerField(_("version number"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.DRAFT, db_index=True)
    notes = models.TextField(_("what changed"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("published by"))
    # A passing score (e.g. 60 of 100) when the checklist is scored; blank = no pass mark.
    pass_score = models.DecimalField(_("pass score"), max_digits=7, decimal_places=1,
                                     null=True, blank=True)

    class Meta:
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="checklist_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.state == self.State.DRAFT


class ChecklistSection(BaseModel):
    """A heading that groups items (e.g. ``1 安全责任体系``)."""

    version = models.ForeignKey(ChecklistVersion, on_delete=models.CASCADE,
                                related_name="sections", verbose_name=_("version"))
    code = models.CharField(_("code"), max_length=24, blank=True)
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("checklist section")
        verbose_name_plural = _("checklist sections")
        ordering = ["version", "position", "id"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}".strip()


class Scoring(models.TextChoices):
    """How an item's points count toward the inspection's score."""

    SCORED = "scored", _("Scored item")  # 得分项: earns its points when it complies
    BONUS = "bonus", _("Bonus item")  # 加分项: adds its points when it complies, not in the maximum
    DEDUCTION = "deduction", _("Deduction item")  # 减分项: takes its points off when it fails
    NONE = "none", _("Not scored")  # 不计分


class ChecklistItem(BaseModel):
    """A check point (检查项) with its code (``1.1.1``), basis and what a failure means."""

    version = models.ForeignKey(ChecklistVersion, on_delete=models.CASCADE,
                                related_name="items", verbose_name=_("version"))
    section = models.ForeignKey(ChecklistSection, on_delete=models.CASCADE,
                                related_name="items", verbose_name=_("section"))
    code = models.CharField(_("item code"), max_length=24)
    text = models.TextField(_("check point"))
    basis = models.TextField(_("basis (regulation or rule)"), blank=True)
    hazard_category = models.ForeignKey("hazards.HazardCategory", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("hazard category when failed"))
    hazard_grade = models.CharField(_("hazard grade when failed"), max_length=16,
                                    choices=Grade.choices, default=Grade.GENERAL)
    is_veto = models.BooleanField(_("veto item (一票否决)"), default=False)
    scoring = models.CharField(_("scoring"), max_length=16, choices=Scoring.choices,
                               default=Scoring.NONE)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=1,
                                 default=Decimal("0"))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["version", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="checklist_item_code_unique"),
            # points are a magnitude for every scoring (see Scoring); services say why in words
            models.CheckConstraint(condition=models.Q(points__gte=0),
                                   name="checklist_item_points_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:40]}"


class PlanKind(models.TextChoices):
    RECURRING = "recurring", _("Recurring schedule")  # 定期检查
    CAMPAIGN = "campaign", _("Campaign")  # 专项检查 / 安全大检查


class InspectionPlan(BaseModel):
    """A recurring schedule or a campaign: which template, which places, who inspects.

    Recurring plans repeat every ``interval_days``; with ``by_risk_level`` each place's risk
    level sets its interval instead (``SAFECAMPUS["INSPECTION_DAYS_BY_RISK"]``). Campaigns
    run from ``starts_on`` to ``ends_on`` (local dates, inclusive).
    """

    class State(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("inspection plan", "Active")  # 执行中
        CLOSED = "closed", pgettext_lazy("inspection plan", "Closed")  # 已结束

    kind = models.CharField(_("kind"), max_length=16, choices=PlanKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT,
                                 related_name="plans", verbose_name=_("checklist template"))
    campus = models.ForeignKey("organisation.Campus", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("campus"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    interval_days = models.PositiveIntegerField(_("every (days)"), null=True, blank=True)
    by_risk_level = models.BooleanField(_("interval by the place's risk level"), default=False)
    deadline_days = models.PositiveIntegerField(_("rectification deadline (days)"), default=7)
    needs_review = models.BooleanField(_("results need approval before they go out"),
                                       default=False)
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True,
                                        related_name="inspection_plans",
                                        verbose_name=_("inspectors"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.ACTIVE, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))

    class Meta:
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["kind", "state", "-starts_on"], name="plan_kind_state")]

    def __str__(self) -> str:
        return self.name


class Coverage(models.TextChoices):
    """Where a target stands (kept on the target row, so coverage pages read one table)."""

    NEVER = "never", _("Never inspected")  # 从未检查
    DUE = "due", _("Due")  # 待检查
    IN_PROGRESS = "in_progress", _("In progress")  # 检查中
    DONE = "done", _("Done")  # 已检查
    LATE = "late", _("Late")  # 逾期未检


class InspectionTarget(BaseModel):
    """One place a plan covers, its responsible unit and assigned inspector, and its state."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="targets",
                             verbose_name=_("plan"))
    place = models.ForeignKey("organisation.Place", on_delete=models.CASCADE,
                              related_name="inspection_targets", verbose_name=_("place"))
    unit = models.ForeignKey("organisation.Unit", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="inspection_targets",
                             verbose_name=_("responsible unit"))
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="inspection_targets",
                                  verbose_name=_("assigned inspector"))
    coverage = models.CharField(_("coverage"), max_length=16, choices=Coverage.choices,
                                default=Coverage.NEVER, db_index=True)
    due_on = models.DateField(_("due on"), null=True, blank=True, db_index=True)
    last_inspected_at = models.DateTimeField(_("last inspected at"), null=True, blank=True)
    last_inspection = models.ForeignKey("Inspection", null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+",
                                        verbose_name=_("last inspection"))

    class Meta:
        verbose_name = _("inspection target")
        verbose_name_plural = _("inspection targets")
        ordering = ["plan", "due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "place"], name="inspection_target_unique"),
        ]
        indexes = [
            models.Index(fields=["plan", "coverage", "id"], name="target_plan_coverage"),
            models.Index(fields=["plan", "unit", "coverage"], name="target_plan_unit"),
            models.Index(fields=["inspector", "coverage"], name="target_inspector"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.place}"


class Inspection(ConcurrentTransitionMixin, BaseModel):
    """One inspection of one place against one checklist version.

    States: ``in_progress`` → (``awaiting_review`` →) ``finished``; ``finished`` can be
    reopened with a reason (back to ``in_progress``); ``cancelled`` ends an unused one.
    """

    class Kind(models.TextChoices):
        OFFICE = "office", _("Inspection by the office")  # 保卫处检查
        SELF = "self", _("Self-inspection by the unit")  # 单位自查

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")  # 检查中
        AWAITING_REVIEW = "awaiting_review", _("Awaiting approval")  # 待审核
        FINISHED = "finished", _("Finished")  # 已完成 (结果已发出)
        CANCELLED = "cancelled", _("Cancelled")  # 已取消

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.OFFICE,
                            db_index=True)
    state = FSMField(_("state"), max_length=16, choices=State.choices,
                     default=State.IN_PROGRESS, protected=True, db_index=True)
    version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT,
                                related_name="inspections", verbose_name=_("checklist version"))
    plan = models.ForeignKey(InspectionPlan, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="inspections", verbose_name=_("plan"))
    target = models.ForeignKey(InspectionTarget, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="inspections",
                               verbose_name=_("target"))
    campus = models.ForeignKey("organisation.Campus", on_delete=models.PROTECT,
                               related_name="inspections", verbose_name=_("campus"))
    place = models.ForeignKey("organisation.Place", on_delete=models.PROTECT,
                              related_name="inspections", verbose_name=_("place"))
    unit = models.ForeignKey("organisation.Unit", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="inspections",
                             verbose_name=_("inspected unit"))
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="inspections", verbose_name=_("inspector"))
    needs_review = models.BooleanField(_("needs approval"), default=False)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, db_index=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("approved by"))
    summary = models.TextField(_("overall remarks"), blank=True)
    signer_name = models.CharField(_("unit representative"), max_length=64, blank=True)
    signature = models.ImageField(_("signature"), upload_to="inspections/signatures/%Y/%m/",
                                  blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    # Figures computed when the inspection is submitted (see services.inspection_score).
    items_total = models.PositiveIntegerField(_("items"), default=0)
    items_complied = models.PositiveIntegerField(_("complied"), default=0)
    items_failed = models.PositiveIntegerField(_("failed"), default=0)
    items_not_applicable = models.PositiveIntegerField(_("not applicable"), default=0)
    score = models.DecimalField(_("score"), max_digits=8, decimal_places=1, null=True, blank=True)
    max_score = models.DecimalField(_("maximum score"), max_digits=8, decimal_places=1,
                                    null=True, blank=True)
    vetoed = models.BooleanField(_("failed a veto item"), default=False)
    row_version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["state", "-started_at"], name="inspection_state_started"),
            models.Index(fields=["unit", "state"], name="inspection_unit_state"),
            models.Index(fields=["inspector", "state"], name="inspection_inspector_state"),
            models.Index(fields=["campus", "-finished_at"], name="inspection_campus_finished"),
            models.Index(fields=["plan", "state"], name="inspection_plan_state"),
        ]
        permissions = [
            ("review_inspection", "Can approve inspection results"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.place}"

    @property
    def reference(self) -> str:
        """Human reference, e.g. ``JC2026-000042`` (year started, local time)."""
        from safecampus.core.clock import local_zone

        year = self.started_at.astimezone(local_zone()).year if self.started_at else 0
        return f"JC{year}-{self.pk or 0:06d}"

    @property
    def compliance_rate(self) -> Decimal | None:
        """Complied ÷ (complied + failed), in percent with one decimal; None if none applied."""
        applied = self.items_complied + self.items_failed
        if not applied:
            return None
        return (Decimal(self.items_complied) * 100 / applied).quantize(Decimal("0.1"))

    # --- transitions (called only from services) -----------------------------------------
    @transition(field=state, source=State.IN_PROGRESS, target=State.AWAITING_REVIEW)
    def submit_for_review(self):
        """Signed and sent to the reviewer."""

    @transition(field=state, source=[State.IN_PROGRESS, State.AWAITING_REVIEW],
                target=State.FINISHED)
    def finish(self):
        """Results released: findings become hazards, the report goes to the unit."""

    @transition(field=state, source=State.AWAITING_REVIEW, target=State.IN_PROGRESS)
    def send_back(self):
        """The reviewer sends it back to the inspector with a reason."""

    @transition(field=state, source=State.FINISHED, target=State.IN_PROGRESS)
    def reopen(self):
        """Reopened with a reason on the timeline (e.g. a result was recorded wrongly)."""

    @transition(field=state, source=State.IN_PROGRESS, target=State.CANCELLED)
    def cancel(self):
        """Not carried out (place closed, created by mistake)."""


class Outcome(models.TextChoices):
    COMPLIES = "complies", _("Complies")  # 符合
    FAILS = "fails", _("Does not comply")  # 不符合
    NOT_APPLICABLE = "na", _("Not applicable")  # 不适用


class InspectionResult(BaseModel):
    """The answer to one item in one inspection (unique: a retried save updates it)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="results",
                                   verbose_name=_("inspection"))
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="results",
                             verbose_name=_("checklist item"))
    outcome = models.CharField(_("result"), max_length=16, choices=Outcome.choices, db_index=True)
    note = models.TextField(_("note"), blank=True)
    fixed_on_spot = models.BooleanField(_("fixed on the spot"), default=False)
    fix_note = models.TextField(_("what was done on the spot"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"))
    # Denormalised for statistics and the repeat rule (place + item code over 18 months).
    place = models.ForeignKey("organisation.Place", on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("place"))
    item_code = models.CharField(_("item code"), max_length=24)
    is_repeat = models.BooleanField(_("repeat finding"), default=False, db_index=True)
    repeat_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("repeats the finding"))
    hazard = models.ForeignKey("hazards.Hazard", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("hazard"))

    class Meta:
        verbose_name = _("inspection result")
        verbose_name_plural = _("inspection results")
        ordering = ["inspection", "item__position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="inspection_result_unique"),
        ]
        indexes = [
            models.Index(fields=["place", "item_code", "outcome"], name="result_place_item"),
            models.Index(fields=["item", "outcome"], name="result_item_outcome"),
        ]

    def __str__(self) -> str:
        return _("Inspection %(ref)s, item %(code)s") % {
            "ref": self.inspection.reference, "code": self.item_code}

    @property
    def outcome_label(self) -> str:
        """The answer as the item reads: a deduction item (it names a violation) is found /
        not found; other items comply / do not comply / not applicable."""
        if self.item.scoring == Scoring.DEDUCTION and self.outcome != Outcome.NOT_APPLICABLE:
            return str(pgettext_lazy("deduction item", "Found") if self.outcome == Outcome.FAILS
                       else pgettext_lazy("deduction item", "Not found"))
        return str(self.get_outcome_display())

    def is_visible_to(self, user) -> bool:
        """Whether ``user`` may open the inspection this result belongs to."""
        return user.has_perm("inspections.view_inspection", self.inspection)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("inspections:detail", args=[self.inspection_id]) + f"#item-{self.item_id}"


class ResultPhoto(BaseModel):
    """A photo of a failed item (or of its fix on the spot), metadata stripped.

    ``client_id`` is chosen by the phone; the same upload sent twice is stored once.
    """

    class Stage(models.TextChoices):
        FINDING = "finding", _("Finding")
        FIXED = "fixed", _("Fixed on the spot")

    result = models.ForeignKey(InspectionResult, on_delete=models.CASCADE, related_name="photos",
                               verbose_name=_("result"))
    stage = models.CharField(_("stage"), max_length=8, choices=Stage.choices,
                             default=Stage.FINDING)
    client_id = models.CharField(_("client id"), max_length=64)
    image = models.ImageField(_("photo"), upload_to="inspections/%Y/%m/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="inspections/%Y/%m/")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("uploaded by"))

    class Meta:
        verbose_name = _("result photo")
        verbose_name_plural = _("result photos")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["result", "client_id"], name="result_photo_unique"),
        ]
