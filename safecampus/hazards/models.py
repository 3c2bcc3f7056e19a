"""The hazard loop (隐患排查治理): hazards, rectification notices, evidence, plans, extensions.

State machine (declared once, on :class:`Hazard.status`)::

    reported ─confirm→ confirmed ─fix_on_spot→ fixed_on_spot
       │                  └─issue_notice→ notice_issued ─acknowledge→ acknowledged
       ├─reject→ rejected                                   └─start_rectification→ rectifying
       └─mark_duplicate→ duplicate          rectifying ─submit_evidence→ evidence_submitted
                                            evidence_submitted ─verify→ closed
                                            evidence_submitted ─return_for_rework→ returned
                                            returned ─start_rectification→ rectifying
    any notice state ─reroute→ confirmed (the old unit's notice item is cancelled)

Times are aware UTC; deadlines are the end of a local (Asia/Shanghai) day.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.models import BaseModel
from safecampus.organisation.models import PERCENT


class HazardCategory(BaseModel):
    """A configurable category (fire, electrical, hazardous chemicals …)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64, unique=True)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("hazard category")
        verbose_name_plural = _("hazard categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class RoutingRule(BaseModel):
    """Hazards of ``category`` (on ``campus``, or any campus when blank) go to ``unit``.

    Routing order: a rule for the category and the hazard's campus; a rule for the category
    on any campus; the place's unit; the building's managing unit; else unrouted (the office
    assigns by hand).
    """

    category = models.ForeignKey(
        HazardCategory, on_delete=models.CASCADE, related_name="routes", verbose_name=_("category")
    )
    campus = models.ForeignKey(
        "organisation.Campus",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("campus"),
    )
    unit = models.ForeignKey(
        "organisation.Unit", on_delete=models.CASCADE, related_name="+", verbose_name=_("unit")
    )

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["category_id", "campus_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "campus"], name="hazards_routing_one_rule_per_campus"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} → {self.unit}"


class Grade(models.TextChoices):
    GENERAL = "general", _("General hazard")  # 一般隐患
    MAJOR = "major", _("Major hazard")  # 重大隐患


class Source(models.TextChoices):
    REPORT = "report", _("Report from campus")  # 师生报告
    INSPECTION = "inspection", _("Inspection")  # 安全检查
    PATROL = "patrol", _("Patrol")  # 巡逻
    POLICE = "police", _("Police bulletin")  # 警方通报
    OFFICE = "office", _("Found by the office")  # 保卫处发现
    LEDGER_IMPORT = "ledger_import", _("Imported ledger")  # 台账导入


class Status(models.TextChoices):
    REPORTED = "reported", _("Reported")  # 已上报 (待确认)
    REJECTED = "rejected", _("Rejected")  # 不予受理
    DUPLICATE = "duplicate", _("Duplicate")  # 重复 (已合并)
    CONFIRMED = "confirmed", _("Confirmed")  # 已确认 (待下发)
    FIXED_ON_SPOT = "fixed_on_spot", _("Fixed on the spot")  # 立行立改
    NOTICE_ISSUED = "notice_issued", _("Notice issued")  # 已下发整改通知
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")  # 已签收
    RECTIFYING = "rectifying", _("Rectifying")  # 整改中
    EVIDENCE_SUBMITTED = "evidence_submitted", _("Evidence submitted")  # 待复查
    RETURNED = "returned", _("Returned for rework")  # 复查退回
    CLOSED = "closed", _("Verified and closed")  # 已销号


#: States in which a hazard is still open work for someone.
OPEN_STATES = (
    Status.REPORTED,
    Status.CONFIRMED,
    Status.NOTICE_ISSUED,
    Status.ACKNOWLEDGED,
    Status.RECTIFYING,
    Status.EVIDENCE_SUBMITTED,
    Status.RETURNED,
)
#: States in which the responsible unit owes rectification (deadline applies).
UNIT_STATES = (
    Status.NOTICE_ISSUED,
    Status.ACKNOWLEDGED,
    Status.RECTIFYING,
    Status.RETURNED,
)
#: Finished states: closed counts as rectified; rejected/duplicate are not hazards at all.
DONE_STATES = (Status.CLOSED, Status.FIXED_ON_SPOT)
VOID_STATES = (Status.REJECTED, Status.DUPLICATE)


class Hazard(ConcurrentTransitionMixin, BaseModel):
    """One unsafe condition or behaviour (隐患), from report to verified close."""

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        HazardCategory, on_delete=models.PROTECT, related_name="hazards", verbose_name=_("category")
    )
    grade = models.CharField(
        _("grade"), max_length=16, choices=Grade.choices, default=Grade.GENERAL, db_index=True
    )
    status = FSMField(
        _("status"),
        max_length=24,
        choices=Status.choices,
        default=Status.REPORTED,
        protected=True,
        db_index=True,
    )
    campus = models.ForeignKey(
        "organisation.Campus",
        on_delete=models.PROTECT,
        related_name="hazards",
        verbose_name=_("campus"),
    )
    zone = models.ForeignKey(
        "organisation.Zone",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazards",
        verbose_name=_("zone"),
    )
    building = models.ForeignKey(
        "organisation.Building",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazards",
        verbose_name=_("building"),
    )
    place = models.ForeignKey(
        "organisation.Place",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazards",
        verbose_name=_("place"),
    )
    location_text = models.CharField(_("location details"), max_length=200, blank=True)
    map_x = models.DecimalField(
        _("map x (%)"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    map_y = models.DecimalField(
        _("map y (%)"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.REPORT, db_index=True
    )
    # Where it came from (an inspection, a patrol scan …) without importing that module.
    source_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("source record type"),
    )
    source_id = models.PositiveBigIntegerField(_("source record id"), null=True, blank=True)
    external_ref = models.CharField(_("external reference"), max_length=64, blank=True)
    responsible_unit = models.ForeignKey(
        "organisation.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
        verbose_name=_("responsible unit"),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_hazards",
        verbose_name=_("reporter"),
    )
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, db_index=True)
    deadline = models.DateTimeField(_("rectification deadline"), null=True, blank=True, db_index=True)
    closed_on_time = models.BooleanField(_("closed on time"), null=True, blank=True)
    current_notice = models.ForeignKey(
        "RectificationNotice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="current_hazards",
        verbose_name=_("rectification notice"),
    )
    is_overdue = models.BooleanField(_("overdue"), default=False, db_index=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    resolution_comment = models.TextField(_("office comment"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-reported_at"], name="hazard_status_reported"),
            models.Index(fields=["responsible_unit", "status"], name="hazard_unit_status"),
            # The ledger filtered by campus (and status), newest first: the index gives the
            # ledger order (reported_at, id read backwards) and holds status, so SQLite skips
            # rows of other statuses without reading them (benchmarks: docs/benchmarks.md).
            models.Index(fields=["campus", "reported_at", "id", "status"],
                         name="hazard_campus_ledger"),
            models.Index(fields=["category", "-reported_at"], name="hazard_category_reported"),
            models.Index(fields=["zone", "status"], name="hazard_zone_status"),
            models.Index(fields=["reporter", "-reported_at"], name="hazard_reporter"),
            models.Index(fields=["status", "deadline"], name="hazard_status_deadline"),
        ]
        permissions = [
            ("confirm_hazard", "Can confirm, reject or merge reported hazards"),
            ("issue_notice", "Can issue rectification notices"),
            ("verify_hazard", "Can verify rectification and close hazards"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        """Human reference, e.g. ``YH2026-000123`` (year of the report, local time)."""
        from safecampus.core.clock import local_zone

        year = self.reported_at.astimezone(local_zone()).year if self.reported_at else 0
        return f"YH{year}-{self.pk or 0:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def days_overdue(self) -> int | None:
        """Local (Asia/Shanghai) days from the deadline's day to today for an open hazard past
        its deadline (0 when it fell due earlier today); None when it is not overdue."""
        from safecampus.core import clock

        if not self.is_open or self.deadline is None:
            return None
        now = clock.now()
        if self.deadline >= now:
            return None
        zone = clock.local_zone()
        return (now.astimezone(zone).date() - self.deadline.astimezone(zone).date()).days

    # --- transitions (called only from services) -------------------------------------
    @transition(field=status, source=Status.REPORTED, target=Status.CONFIRMED)
    def confirm(self):
        """Office accepts the report as a real hazard."""

    @transition(field=status, source=Status.REPORTED, target=Status.REJECTED)
    def reject(self):
        """Office declines the report (not a hazard, or outside its remit)."""

    @transition(field=status, source=Status.REPORTED, target=Status.DUPLICATE)
    def mark_duplicate(self):
        """Merged into another hazard (``duplicate_of``)."""

    @transition(field=status, source=Status.CONFIRMED, target=Status.FIXED_ON_SPOT)
    def fix_on_spot(self):
        """Fixed during the visit (立行立改), closed with evidence."""

    @transition(field=status, source=Status.CONFIRMED, target=Status.NOTICE_ISSUED)
    def issue_notice(self):
        """Listed on a rectification notice to the responsible unit."""

    @transition(field=status, source=Status.NOTICE_ISSUED, target=Status.ACKNOWLEDGED)
    def acknowledge(self):
        """The unit signed for the notice (签收)."""

    @transition(
        field=status, source=[Status.ACKNOWLEDGED, Status.RETURNED], target=Status.RECTIFYING
    )
    def start_rectification(self):
        """The unit starts (or, after a return, resumes) rectification."""

    @transition(field=status, source=Status.RECTIFYING, target=Status.EVIDENCE_SUBMITTED)
    def submit_evidence(self):
        """The unit submits photos and text showing the fix."""

    @transition(field=status, source=Status.EVIDENCE_SUBMITTED, target=Status.CLOSED)
    def verify(self):
        """The office checked the rectification (复查) and closes the hazard (销号)."""

    @transition(field=status, source=Status.EVIDENCE_SUBMITTED, target=Status.RETURNED)
    def return_for_rework(self):
        """The office found the rectification insufficient and returns it with reasons."""

    @transition(
        field=status,
        source=[
            Status.NOTICE_ISSUED,
            Status.ACKNOWLEDGED,
            Status.RECTIFYING,
            Status.EVIDENCE_SUBMITTED,
            Status.RETURNED,
        ],
        target=Status.CONFIRMED,
    )
    def reroute(self):
        """Place or category changed the responsible unit: back to the office to re-issue."""


class HazardPhoto(BaseModel):
    """A photo of the hazard (before) or of its rectification (after), metadata stripped."""

    class Stage(models.TextChoices):
        BEFORE = "before", _("Before")
        AFTER = "after", _("After rectification")

    hazard = models.ForeignKey(
        Hazard, on_delete=models.CASCADE, related_name="photos", verbose_name=_("hazard")
    )
    evidence = models.ForeignKey(
        "Evidence",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
        verbose_name=_("evidence"),
    )
    stage = models.CharField(_("stage"), max_length=8, choices=Stage.choices)
    image = models.ImageField(_("photo"), upload_to="hazards/%Y/%m/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="hazards/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    class Meta:
        verbose_name = _("hazard photo")
        verbose_name_plural = _("hazard photos")
        ordering = ["created_at", "id"]


class Evidence(BaseModel):
    """What the unit (or the inspector, when fixed on the spot) shows as the fix."""

    class Kind(models.TextChoices):
        RECTIFICATION = "rectification", _("Rectification evidence")  # 整改佐证
        ON_THE_SPOT = "on_the_spot", _("Fixed on the spot")  # 立行立改

    hazard = models.ForeignKey(
        Hazard, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("hazard")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("description of the rectification"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"))

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["submitted_at", "id"]


class NoticeSequence(models.Model):
    """The last notice number used in a year; locked while a number is taken (no gaps)."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("notice number sequence")
        verbose_name_plural = _("notice number sequences")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class DeadlineBasis(models.TextChoices):
    CALENDAR_DAYS = "calendar", _("Calendar days")  # 自然日
    WORKING_DAYS = "working", _("Working days")  # 工作日


#: Longest rectification time in days: a notice allows 1 to this many days, and an extension
#: may move a deadline to at most this many calendar days after today (local).
NOTICE_DAYS_MAX = 180


class RectificationNotice(BaseModel):
    """A numbered rectification notice (隐患整改通知单) to one unit, listing its hazards."""

    class State(models.TextChoices):
        ISSUED = "issued", _("Issued")  # 已下发
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")  # 已签收
        COMPLETED = "completed", _("Completed")  # 全部销号
        CANCELLED = "cancelled", _("Cancelled")  # 已撤销 (改派)

    number = models.CharField(_("number"), max_length=64, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    unit = models.ForeignKey(
        "organisation.Unit",
        on_delete=models.PROTECT,
        related_name="notices",
        verbose_name=_("responsible unit"),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.ISSUED, db_index=True
    )
    requirements = models.TextField(_("rectification requirements"))
    deadline_days = models.PositiveSmallIntegerField(_("days allowed"))
    deadline_basis = models.CharField(
        _("counted in"), max_length=16, choices=DeadlineBasis.choices
    )
    deadline = models.DateTimeField(_("rectification deadline"), db_index=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"), db_index=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rectification notice")
        verbose_name_plural = _("rectification notices")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="hazards_notice_year_seq")
        ]
        indexes = [models.Index(fields=["unit", "state"], name="notice_unit_state")]

    def __str__(self) -> str:
        return self.number


class NoticeItem(BaseModel):
    """A hazard listed on a notice; ``cancelled_at`` is set when the hazard was re-routed."""

    notice = models.ForeignKey(
        RectificationNotice, on_delete=models.CASCADE, related_name="items", verbose_name=_("notice")
    )
    hazard = models.ForeignKey(
        Hazard, on_delete=models.CASCADE, related_name="notice_items", verbose_name=_("hazard")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice item")
        verbose_name_plural = _("notice items")
        ordering = ["notice_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "hazard"], name="hazards_notice_item_once")
        ]


class RectificationPlan(BaseModel):
    """A major hazard's rectification plan with interim control measures (整改方案)."""

    hazard = models.OneToOneField(
        Hazard, on_delete=models.CASCADE, related_name="plan", verbose_name=_("hazard")
    )
    plan = models.TextField(_("rectification plan"))
    interim_measures = models.TextField(_("interim control measures"))
    person_in_charge = models.CharField(_("person in charge"), max_length=64)
    funding = models.CharField(_("funding"), max_length=120, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("submitted by"),
    )

    class Meta:
        verbose_name = _("rectification plan")
        verbose_name_plural = _("rectification plans")
        ordering = ["-created_at"]


class PlanMilestone(BaseModel):
    plan = models.ForeignKey(
        RectificationPlan,
        on_delete=models.CASCADE,
        related_name="milestones",
        verbose_name=_("plan"),
    )
    title = models.CharField(_("milestone"), max_length=200)
    due_date = models.DateField(_("due date"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("plan milestone")
        verbose_name_plural = _("plan milestones")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return f"{self.due_date} {self.title}"


class ExtensionRequest(BaseModel):
    """A unit asks for a later deadline; the office grants or refuses it."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    hazard = models.ForeignKey(
        Hazard, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("hazard")
    )
    requested_deadline = models.DateField(_("requested deadline"))
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)

    class Meta:
        verbose_name = _("deadline extension request")
        verbose_name_plural = _("deadline extension requests")
        ordering = ["-created_at"]


class LedgerImport(BaseModel):
    """An uploaded hazard ledger (隐患台账) between upload, column mapping and import.

    The file stays in the default storage (S3 when the site runs on several nodes), so the
    steps of one import may be served by different web nodes. ``plan`` holds the column and
    value mapping chosen in step 2 (see :class:`safecampus.hazards.importing.ImportPlan`).
    """

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")  # 已上传 (待映射)
        REJECTED = "rejected", _("Problems found")  # 校验未通过
        IMPORTED = "imported", _("Imported")  # 已导入

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    file = models.FileField(_("file"), upload_to="imports/ledger/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.UPLOADED, db_index=True
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    plan = models.JSONField(_("column and value mapping"), default=dict, blank=True)
    error_count = models.PositiveIntegerField(_("problems found"), default=0)
    imported_count = models.PositiveIntegerField(_("hazards imported"), default=0)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name
