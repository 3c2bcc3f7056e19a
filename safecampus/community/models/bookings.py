"""Services units order from the office (订单式服务): the catalogue and the bookings.

A :class:`ServiceItem` (大型活动安保, 安全教育讲座, 消防演练, 实验室安全检查, 典礼交通管制 …) has
its own form fields (:class:`ServiceField`), a lead time (a booking's service date must be at
least ``lead_days`` — working days when ``lead_in_workdays`` — after the day it is booked)
and an SLA: the office accepts or declines within ``sla_hours`` of the booking.

Lifecycle of a :class:`ServiceRequest`::

    submitted ──accept (schedule + staff)──▶ accepted ──deliver──▶ delivered (unit rates)
        ├──decline──▶ declined               ├──reschedule──▶ accepted
        └──cancel──▶ cancelled  ◀──cancel────┘
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.models import BaseModel

#: Bounds of a service's own settings (the admin refuses others): the lead time stays well
#: inside how far ahead a service can be booked (366 days), the office decides within 30
#: days, a service lasts at most a week (as a schedule may), at most 1,000 a day.
LEAD_DAYS_MAX, SLA_HOURS_MAX, DURATION_MINUTES_MAX, DAILY_CAPACITY_MAX = 180, 720, 7 * 24 * 60, 1000
#: The widest range a whole-number question may allow, and its default range.
NUMBER_LOWEST, NUMBER_HIGHEST = -1_000_000, 1_000_000
NUMBER_MIN_DEFAULT, NUMBER_MAX_DEFAULT = 0, 100_000


class ServiceItem(BaseModel):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64, unique=True)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    description = models.TextField(_("what the office provides"), blank=True)
    lead_days = models.PositiveSmallIntegerField(
        _("lead time (days)"), default=3, validators=[MaxValueValidator(LEAD_DAYS_MAX)],
        help_text=_("How many days before the service date it must be booked at the latest."))
    lead_in_workdays = models.BooleanField(_("lead time in working days"), default=True)
    sla_hours = models.PositiveSmallIntegerField(
        _("hours to accept or decline"), default=24,
        validators=[MinValueValidator(1), MaxValueValidator(SLA_HOURS_MAX)],
        help_text=_("The office's promise (SLA) from booking to decision."))
    duration_minutes = models.PositiveSmallIntegerField(
        _("usual duration (minutes)"), default=120,
        validators=[MinValueValidator(1), MaxValueValidator(DURATION_MINUTES_MAX)])
    daily_capacity = models.PositiveSmallIntegerField(
        _("bookings per day"), default=0, validators=[MaxValueValidator(DAILY_CAPACITY_MAX)],
        help_text=_("How many can be delivered on one day; 0 for no limit."))
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class ServiceField(BaseModel):
    """One question of a service's booking form; answers are stored by ``code``."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Short text")  # 短文本
        TEXTAREA = "textarea", _("Long text")  # 长文本
        NUMBER = "number", _("Whole number")  # 整数
        DATE = "date", _("Date")  # 日期
        CHOICE = "choice", _("One of a list")  # 单选
        MULTICHOICE = "multichoice", _("Several of a list")  # 多选
        BOOLEAN = "boolean", _("Yes or no")  # 是/否

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="fields",
                             verbose_name=_("service"))
    code = models.SlugField(_("code"), max_length=32)
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.TEXT)
    required = models.BooleanField(_("required"), default=False)
    options = models.JSONField(_("options"), default=list, blank=True,
                               help_text=_("For lists: the options as a list of texts."))
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    min_value = models.IntegerField(
        _("smallest number"), default=NUMBER_MIN_DEFAULT,
        validators=[MinValueValidator(NUMBER_LOWEST), MaxValueValidator(NUMBER_HIGHEST)],
        help_text=_("For whole numbers: the smallest answer accepted."))
    max_value = models.IntegerField(
        _("largest number"), default=NUMBER_MAX_DEFAULT,
        validators=[MinValueValidator(NUMBER_LOWEST), MaxValueValidator(NUMBER_HIGHEST)],
        help_text=_("For whole numbers: the largest answer accepted."))

    class Meta:
        verbose_name = _("booking form field")
        verbose_name_plural = _("booking form fields")
        ordering = ["item_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "code"], name="community_service_field_code"),
            models.CheckConstraint(condition=models.Q(min_value__lte=models.F("max_value")),
                                   name="community_service_field_range"),
        ]

    def __str__(self) -> str:
        return f"{self.item} · {self.label}"

    def clean(self) -> None:
        """The smallest number accepted is not above the largest."""
        super().clean()
        if (self.min_value is not None and self.max_value is not None
                and self.min_value > self.max_value):
            raise ValidationError({"max_value": _(
                "The largest number must not be below the smallest (%(min)s).") % {
                    "min": self.min_value}})


class ServiceRequest(ConcurrentTransitionMixin, BaseModel):
    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting the office")  # 待受理
        ACCEPTED = "accepted", _("Accepted and scheduled")  # 已受理排期
        DECLINED = "declined", _("Declined")  # 不予受理
        DELIVERED = "delivered", _("Delivered")  # 已完成
        CANCELLED = "cancelled", _("Cancelled")  # 已取消

    number = models.CharField(_("number"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="requests",
                             verbose_name=_("service"))
    unit = models.ForeignKey("organisation.Unit", on_delete=models.PROTECT,
                             related_name="service_requests", verbose_name=_("requesting unit"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("booked by"))
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    service_date = models.DateField(_("service date"), db_index=True)
    start_time = models.TimeField(_("start time"))
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    campus = models.ForeignKey("organisation.Campus", on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("campus"))
    place = models.ForeignKey("organisation.Place", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("place"))
    location_text = models.CharField(_("location"), max_length=200, blank=True)
    answers = models.JSONField(_("answers to the service's questions"), default=dict,
                               blank=True)
    notes = models.TextField(_("notes"), blank=True)
    submitted_at = models.DateTimeField(_("booked at"), db_index=True)
    sla_due_at = models.DateTimeField(_("decision due by"), db_index=True)

    state = FSMField(_("state"), max_length=12, choices=State.choices,
                     default=State.SUBMITTED, protected=True, db_index=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("decided by"))
    sla_met = models.BooleanField(_("decided within the SLA"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    scheduled_start = models.DateTimeField(_("scheduled from"), null=True, blank=True,
                                           db_index=True)
    scheduled_end = models.DateTimeField(_("scheduled until"), null=True, blank=True)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, through="ServiceAssignment",
                                   related_name="service_assignments", blank=True,
                                   verbose_name=_("staff"))
    office_note = models.CharField(_("note to the unit"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivered_on_time = models.BooleanField(_("delivered on the booked date"), null=True,
                                            blank=True)
    delivery_note = models.TextField(_("what was done"), blank=True)
    people_reached = models.PositiveIntegerField(_("people reached"), null=True, blank=True)
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=500,
                                        blank=True)
    rating = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    rating_comment = models.CharField(_("comment on the service"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("rated by"))

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-submitted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["year", "sequence"],
                                               name="community_service_request_number")]
        indexes = [
            models.Index(fields=["state", "service_date"]),
            models.Index(fields=["item", "-submitted_at"]),
            models.Index(fields=["unit", "-submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.item}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("community:service_request_detail", args=[self.pk])

    @transition(field=state, source=State.SUBMITTED, target=State.ACCEPTED)
    def accept(self) -> None:
        """Accepted with a schedule and staff."""

    @transition(field=state, source=State.ACCEPTED, target=State.ACCEPTED)
    def reschedule(self) -> None:
        """A new time or other staff; the unit is told."""

    @transition(field=state, source=State.SUBMITTED, target=State.DECLINED)
    def decline(self) -> None:
        """Declined with a reason."""

    @transition(field=state, source=State.ACCEPTED, target=State.DELIVERED)
    def deliver(self) -> None:
        """Delivered; what was done is recorded."""

    @transition(field=state, source=[State.SUBMITTED, State.ACCEPTED], target=State.CANCELLED)
    def cancel(self) -> None:
        """Cancelled by the unit (or by the office on its behalf)."""


class ServiceAssignment(BaseModel):
    """A member of staff assigned to deliver a service request."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE,
                                related_name="assignments", verbose_name=_("service request"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("member of staff"))
    is_lead = models.BooleanField(_("in charge"), default=False)

    class Meta:
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")
        ordering = ["request_id", "-is_lead", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "user"],
                                               name="community_assignment_once")]
