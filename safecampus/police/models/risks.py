"""The risk register (安全风险分级管控, half of the dual-prevention mechanism 双重预防机制).

A :class:`RiskPoint` (风险点) is a place or activity that carries risk: its hazard factors, the
accidents they could lead to, who answers for it and where it sits on the campus map. Each
:class:`RiskAssessment` grades it, by the LEC method (D = L × E × C) or a likelihood × severity
matrix, into one of the four levels of :class:`~safecampus.organisation.models.RiskLevel`
(red / orange / yellow / blue). The latest assessment is copied onto the point (``level``,
``score``, ``next_review_on``); the history stays. :class:`ControlMeasure` rows say what keeps
the risk in check and who is responsible, at a control tier (管控层级) that matches the level.

A point is drafted, then published (it then counts on the map and sets its place's
``risk_level``, which inspections read) and finally retired. Publishing needs a responsible
person and at least one control measure.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.models import BaseModel
from safecampus.organisation.models import PERCENT, RiskLevel


class ControlTier(models.TextChoices):
    """Who controls a risk (分级管控): the higher the level, the higher the tier. The labels
    carry the context "control tier": "Post" is 岗位级 here, not a person's post (职务)."""

    UNIVERSITY = "university", pgettext_lazy("control tier", "University")  # 学校级 (重大风险)
    UNIT = "unit", pgettext_lazy("control tier", "College or department")  # 学院（部门）级
    TEAM = "team", pgettext_lazy("control tier", "Team or laboratory")  # 科室（实验室、班组）级
    POST = "post", pgettext_lazy("control tier", "Post")  # 岗位级 (低风险)


class AssessmentMethod(models.TextChoices):
    LEC = "lec", _("LEC method (L × E × C)")  # 作业条件危险性分析法
    MATRIX = "matrix", _("Risk matrix (likelihood × severity)")  # 风险矩阵法


class RiskPoint(ConcurrentTransitionMixin, BaseModel):
    class Kind(models.TextChoices):
        LAB = "lab", _("Laboratory")  # 实验室
        DORMITORY = "dormitory", _("Dormitory")  # 学生宿舍
        CANTEEN = "canteen", _("Canteen")  # 食堂
        GATE = "gate", _("Gate")  # 校门
        CAR_PARK = "car_park", _("Car park")  # 停车场
        CHARGING = "charging", _("E-bike charging area")  # 电动车充电区
        CONSTRUCTION = "construction", _("Construction site")  # 施工工地
        LARGE_EVENT = "large_event", _("Large event")  # 大型活动
        VENUE = "venue", _("Venue or crowded place")  # 人员密集场所
        WATER = "water", _("Waterside")  # 水域
        HAZARDOUS_GOODS = "hazardous_goods", _("Hazardous goods store")  # 危化品库房
        EQUIPMENT = "equipment", _("Special equipment")  # 特种设备
        OTHER = "other", _("Other")  # 其他

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")  # 草稿
        PUBLISHED = "published", _("Published")  # 已发布
        # 已撤销: the context keeps it apart from other "Retired" states (已停用).
        RETIRED = "retired", pgettext_lazy("risk point", "Retired")  # 已撤销

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    campus = models.ForeignKey("organisation.Campus", on_delete=models.PROTECT,
                               related_name="risk_points", verbose_name=_("campus"))
    building = models.ForeignKey("organisation.Building", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="risk_points",
                                 verbose_name=_("building"))
    place = models.ForeignKey("organisation.Place", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="risk_points",
                              verbose_name=_("place"))
    location_text = models.CharField(_("location"), max_length=200, blank=True)
    map_x = models.DecimalField(_("map x (%)"), max_digits=5, decimal_places=2, null=True,
                                blank=True, validators=PERCENT)
    map_y = models.DecimalField(_("map y (%)"), max_digits=5, decimal_places=2, null=True,
                                blank=True, validators=PERCENT)
    hazard_factors = models.TextField(_("hazard factors"))  # 危险有害因素
    possible_accidents = models.CharField(_("possible accidents"), max_length=300, blank=True)
    responsible_unit = models.ForeignKey("organisation.Unit", null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="risk_points",
                                         verbose_name=_("responsible unit"))
    responsible_person = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+",
                                           verbose_name=_("responsible person"))
    # Copied from the latest assessment (blank until the first one).
    level = models.CharField(_("risk level"), max_length=16, choices=RiskLevel.choices,
                             blank=True, db_index=True)
    method = models.CharField(_("assessment method"), max_length=8,
                              choices=AssessmentMethod.choices, blank=True)
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=2, null=True,
                                blank=True)
    control_tier = models.CharField(_("control tier"), max_length=16,
                                    choices=ControlTier.choices, blank=True)
    review_cycle_days = models.PositiveSmallIntegerField(
        _("review every (days)"), null=True, blank=True,
        help_text=_("Empty: the default for its level."))
    last_assessed_at = models.DateTimeField(_("last assessed at"), null=True, blank=True)
    next_review_on = models.DateField(_("next review due"), null=True, blank=True,
                                      db_index=True)
    shared_with_partners = models.BooleanField(
        _("shared with police partners"), default=True,
        help_text=_("Police liaisons of this campus see the point, its level and measures."))
    state = FSMField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT,
                     protected=True, db_index=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("registered by"))
    # The review sweep reminds once per due date (idempotent).
    review_reminded_for = models.DateField(_("review reminder sent for"), null=True,
                                           blank=True)

    class Meta:
        verbose_name = _("risk point")
        verbose_name_plural = _("risk points")
        ordering = ["campus_id", "code"]
        indexes = [
            models.Index(fields=["campus", "state", "level"], name="police_risk_map"),
            models.Index(fields=["state", "next_review_on"], name="police_risk_review"),
        ]
        permissions = [("import_risk_points", "Can import risk points")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("police:risk_detail", args=[self.pk])

    @transition(field=state, source=State.DRAFT, target=State.PUBLISHED)
    def publish(self) -> None:
        """Draft → published (needs an assessment, a responsible person and a measure)."""

    @transition(field=state, source=State.PUBLISHED, target=State.RETIRED)
    def retire(self) -> None:
        """Published → retired (the risk no longer exists), with a reason."""


class RiskAssessment(BaseModel):
    """One grading of a risk point (辨识评估), kept as history."""

    class Reason(models.TextChoices):
        INITIAL = "initial", _("First assessment")  # 初次辨识
        PERIODIC = "periodic", _("Periodic review")  # 定期复评
        INCIDENT = "incident", _("After an incident")  # 事故/警情后复评
        CHANGE = "change", _("After a change")  # 变更后复评
        MEETING = "meeting", _("Decided at a joint meeting")  # 研判会要求

    risk_point = models.ForeignKey(RiskPoint, on_delete=models.CASCADE,
                                   related_name="assessments", verbose_name=_("risk point"))
    method = models.CharField(_("method"), max_length=8, choices=AssessmentMethod.choices)
    # LEC: likelihood (L), exposure (E), consequence (C); D = L × E × C.
    lec_l = models.DecimalField(_("L: likelihood"), max_digits=4, decimal_places=1, null=True,
                                blank=True)
    lec_e = models.DecimalField(_("E: exposure"), max_digits=4, decimal_places=1, null=True,
                                blank=True)
    lec_c = models.DecimalField(_("C: consequence"), max_digits=4, decimal_places=1,
                                null=True, blank=True)
    # Matrix: likelihood 1–5 × severity 1–5.
    likelihood = models.PositiveSmallIntegerField(
        _("likelihood (1–5)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)])
    severity = models.PositiveSmallIntegerField(
        _("severity (1–5)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)])
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=2)
    level = models.CharField(_("risk level"), max_length=16, choices=RiskLevel.choices)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices,
                              default=Reason.INITIAL)
    note = models.TextField(_("note"), blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("assessed by"))
    assessed_at = models.DateTimeField(_("assessed at"), db_index=True)

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        ordering = ["risk_point_id", "-assessed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.risk_point.code} · {self.get_level_display()}"


class ControlMeasure(BaseModel):
    """What keeps a risk in check (管控措施) and who is responsible for it."""

    class Kind(models.TextChoices):
        ENGINEERING = "engineering", _("Engineering")  # 工程技术措施
        MANAGEMENT = "management", _("Management")  # 管理措施
        TRAINING = "training", _("Training and education")  # 培训教育措施
        PROTECTION = "protection", _("Personal protection")  # 个体防护措施
        EMERGENCY = "emergency", _("Emergency response")  # 应急处置措施

    risk_point = models.ForeignKey(RiskPoint, on_delete=models.CASCADE,
                                   related_name="measures", verbose_name=_("risk point"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    description = models.TextField(_("measure"))
    tier = models.CharField(_("control tier"), max_length=16, choices=ControlTier.choices)
    responsible_unit = models.ForeignKey("organisation.Unit", on_delete=models.PROTECT,
                                         related_name="+", verbose_name=_("responsible unit"))
    responsible_person = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+",
                                           verbose_name=_("responsible person"))
    is_active = models.BooleanField(_("in force"), default=True)

    class Meta:
        verbose_name = _("control measure")
        verbose_name_plural = _("control measures")
        ordering = ["risk_point_id", "id"]

    def __str__(self) -> str:
        return self.description[:60]


class RiskReview(BaseModel):
    """A request to reassess a risk point, opened from a bulletin record, a meeting or by the
    office; resolved by the next assessment of the point."""

    risk_point = models.ForeignKey(RiskPoint, on_delete=models.CASCADE,
                                   related_name="review_requests",
                                   verbose_name=_("risk point"))
    record = models.ForeignKey("police.BulletinRecord", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="risk_reviews",
                               verbose_name=_("bulletin record"))
    reason = models.TextField(_("why review it"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("requested by"))
    assessment = models.ForeignKey(RiskAssessment, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("resolved by assessment"))

    class Meta:
        verbose_name = _("risk review request")
        verbose_name_plural = _("risk review requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["risk_point", "assessment"])]

    def __str__(self) -> str:
        return f"{self.risk_point.code} · {self.reason[:40]}"
