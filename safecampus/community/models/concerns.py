"""Concerns (诉求/意见建议): what troubles students and staff (急难愁盼) and how the office
handled each one.

Lifecycle (one state machine, :class:`Concern.State`)::

    submitted ──answer / fix / duplicate──▶ closed
        │  └──plan──▶ planned ──complete / duplicate──▶ closed
        └──to_hazard──▶ hazard ──hazard done (sync task)──▶ closed
    closed ──reopen (submitter, once, within CONCERN_REOPEN_DAYS)──▶ submitted

How a closed concern ended is its :class:`Resolution`. The submitter rates the handling
(满意度, 1–5) once per closing. A concern whose category names a hazard category becomes a
hazard report (``hazards.services.hazard_report``) as soon as its campus is known.

Anonymous concerns keep their submitter (so they can follow and rate it) but no output
other than the submitter's own pages names them. Each category is also an Open311 service
(``service_code`` = :attr:`ConcernCategory.code`) with its :class:`CategoryAttribute` list.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.models import BaseModel


class ConcernCategory(BaseModel):
    """A kind of concern (停车难, 道路照明, 电动车充电 …) and an Open311 service."""

    code = models.SlugField(_("code"), max_length=64, unique=True,
                            help_text=_("Also the Open311 service code."))
    name = models.CharField(_("name"), max_length=64, unique=True)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    group = models.CharField(_("group"), max_length=64, blank=True,
                             help_text=_("Open311 service group, e.g. 交通."))
    keywords = models.CharField(_("keywords"), max_length=200, blank=True,
                                help_text=_("Comma-separated words people use for it."))
    hazard_category = models.ForeignKey(
        "hazards.HazardCategory", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("becomes a hazard of category"),
        help_text=_("Concerns in this category go straight into the hazard loop."))
    answer_days = models.PositiveSmallIntegerField(
        _("days to answer"), default=3,
        help_text=_("Working days within which the office answers (the expected time)."))
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("concern category")
        verbose_name_plural = _("concern categories")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class CategoryAttribute(BaseModel):
    """One extra question of a category (Open311 service definition attribute)."""

    class Datatype(models.TextChoices):
        STRING = "string", _("Short text")  # 短文本
        NUMBER = "number", _("Number")  # 数字
        DATETIME = "datetime", _("Date and time")  # 日期时间
        TEXT = "text", _("Long text")  # 长文本
        SINGLE = "singlevaluelist", _("One of a list")  # 单选
        MULTI = "multivaluelist", _("Several of a list")  # 多选

    category = models.ForeignKey(ConcernCategory, on_delete=models.CASCADE,
                                 related_name="attributes", verbose_name=_("category"))
    code = models.SlugField(_("code"), max_length=64)
    description = models.CharField(_("question"), max_length=200)
    datatype = models.CharField(_("type"), max_length=16, choices=Datatype.choices,
                                default=Datatype.STRING)
    datatype_description = models.CharField(_("how to answer"), max_length=200, blank=True)
    required = models.BooleanField(_("required"), default=False)
    variable = models.BooleanField(_("asks for a value"), default=True,
                                   help_text=_("Off for a line of information only."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    values = models.JSONField(_("values"), default=list, blank=True,
                              help_text=_('For lists: [{"key": "...", "name": "..."}].'))

    class Meta:
        verbose_name = _("category attribute")
        verbose_name_plural = _("category attributes")
        ordering = ["category_id", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "code"],
                                               name="community_attribute_code")]

    def __str__(self) -> str:
        return f"{self.category} · {self.code}"


class Resolution(models.TextChoices):
    ANSWERED = "answered", _("Answered")  # 已答复
    FIXED = "fixed", _("Fixed at once")  # 立行立改
    PLAN_DONE = "plan_done", _("Planned work done")  # 计划整改完成
    VIA_HAZARD = "via_hazard", _("Hazard rectified")  # 转隐患已整改
    DUPLICATE = "duplicate", _("Duplicate of another concern")  # 重复诉求


class Concern(ConcurrentTransitionMixin, BaseModel):
    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting the office")  # 待受理
        PLANNED = "planned", _("Planned")  # 已列入计划
        HAZARD = "hazard", _("In the hazard loop")  # 已转隐患
        CLOSED = "closed", _("Closed")  # 已办结

    class Channel(models.TextChoices):
        WEB = "web", _("Web or phone browser")  # 网页
        OPEN311 = "open311", _("Open311 client")  # Open311 接口
        OFFICE = "office", _("Recorded by the office")  # 保卫处代录 (电话、来访)

    number = models.CharField(_("number"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    category = models.ForeignKey(ConcernCategory, on_delete=models.PROTECT,
                                 related_name="concerns", verbose_name=_("category"))
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    attributes = models.JSONField(_("answers to the category's questions"), default=dict,
                                  blank=True)
    campus = models.ForeignKey("organisation.Campus", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("campus"))
    building = models.ForeignKey("organisation.Building", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("building"))
    place = models.ForeignKey("organisation.Place", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("place"))
    location_text = models.CharField(_("location details"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    address_id = models.CharField(_("address id"), max_length=64, blank=True,
                                  help_text=_("A building or place code (Open311 address_id)."))
    submitter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="concerns",
                                  verbose_name=_("submitted by"))
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    contact_name = models.CharField(_("contact name"), max_length=64, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices,
                               default=Channel.WEB, db_index=True)
    api_client = models.ForeignKey("community.ApiClient", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="concerns",
                                   verbose_name=_("Open311 client"))
    device_id = models.CharField(_("device id"), max_length=64, blank=True)
    account_id = models.CharField(_("client account id"), max_length=64, blank=True)
    media_url = models.URLField(_("media link"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), db_index=True)

    state = FSMField(_("state"), max_length=12, choices=State.choices,
                     default=State.SUBMITTED, protected=True, db_index=True)
    resolution = models.CharField(_("resolution"), max_length=12, choices=Resolution.choices,
                                  blank=True, db_index=True)
    answer = models.TextField(_("the office's answer"), blank=True)
    answered_at = models.DateTimeField(_("first answered at"), null=True, blank=True,
                                       help_text=_("The office's first response (time to "
                                                   "answer counts to it)."))
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("answered by"))
    target_date = models.DateField(_("target date"), null=True, blank=True)
    handling_unit = models.ForeignKey("organisation.Unit", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+",
                                      verbose_name=_("handling unit"))
    hazard = models.ForeignKey("hazards.Hazard", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("hazard"))
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="duplicates", verbose_name=_("duplicate of"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, db_index=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopen_reason = models.CharField(_("reason for reopening"), max_length=500, blank=True)
    rating = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True,
                                              help_text=_("1 (very dissatisfied) to 5 (very "
                                                          "satisfied)."))
    rating_comment = models.CharField(_("comment on the handling"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    # The public board (公开答复): chosen by the office, with its answer.
    is_public = models.BooleanField(_("on the public board"), default=False, db_index=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Moderation: text hidden from everyone but the office and the submitter.
    text_hidden = models.BooleanField(_("text hidden"), default=False)
    moderation_reason = models.CharField(_("reason for moderation"), max_length=200,
                                         blank=True)
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("moderated by"))
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("concern")
        verbose_name_plural = _("concerns")
        ordering = ["-submitted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["year", "sequence"],
                                               name="community_concern_number")]
        indexes = [
            models.Index(fields=["state", "-submitted_at"]),
            models.Index(fields=["category", "-submitted_at"]),
            models.Index(fields=["campus", "-submitted_at"]),
            models.Index(fields=["is_public", "-published_at"]),
            models.Index(fields=["api_client", "-submitted_at"]),
            models.Index(fields=["submitter", "-submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("community:concern_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state != self.State.CLOSED

    def is_visible_to(self, user) -> bool:
        """Whether ``user`` may open this concern (the hazard page links back only then)."""
        return user.has_perm("community.view_concern", self)

    # --- transitions (called only from services) ------------------------------------------
    @transition(field=state, source=State.SUBMITTED, target=State.CLOSED)
    def close(self) -> None:
        """Answered (nothing more to do) or fixed at once."""

    @transition(field=state, source=State.SUBMITTED, target=State.PLANNED)
    def plan(self) -> None:
        """Planned with a target date (and possibly a handling unit)."""

    @transition(field=state, source=State.PLANNED, target=State.PLANNED)
    def replan(self) -> None:
        """A new target date or handling unit; the reason goes on the timeline."""

    @transition(field=state, source=State.PLANNED, target=State.CLOSED)
    def complete(self) -> None:
        """The planned work is done."""

    @transition(field=state, source=[State.SUBMITTED, State.PLANNED], target=State.HAZARD)
    def to_hazard(self) -> None:
        """Turned into a hazard report; the concern follows the hazard."""

    @transition(field=state, source=State.HAZARD, target=State.CLOSED)
    def hazard_done(self) -> None:
        """The hazard was closed or fixed on the spot (or rejected, with the office's word)."""

    @transition(field=state, source=[State.SUBMITTED, State.PLANNED], target=State.CLOSED)
    def mark_duplicate(self) -> None:
        """It repeats another concern, which the submitter can follow instead."""

    @transition(field=state, source=State.CLOSED, target=State.SUBMITTED)
    def reopen(self) -> None:
        """The submitter is not satisfied: back to the office (once)."""


class ConcernPhoto(BaseModel):
    """A photo of a concern (metadata stripped). ``redacted`` photos have had their picture
    replaced by a blurred copy by a moderator; the original file is gone."""

    class Stage(models.TextChoices):
        SUBMITTED = "submitted", _("With the concern")  # 诉求附图
        ANSWER = "answer", _("With the answer")  # 答复附图

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="photos",
                                verbose_name=_("concern"))
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices,
                             default=Stage.SUBMITTED)
    image = models.ImageField(_("photo"), upload_to="community/%Y/%m/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="community/%Y/%m/")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("uploaded by"))
    redacted = models.BooleanField(_("redacted"), default=False)
    redacted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("redacted by"))
    redacted_at = models.DateTimeField(_("redacted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("concern photo")
        verbose_name_plural = _("concern photos")
        ordering = ["concern_id", "id"]
