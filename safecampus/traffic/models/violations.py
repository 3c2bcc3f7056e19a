"""Vehicles and permits, parking violations, move-car notices, repeat offenders and appeals.

Plates are stored in one normal form (:mod:`safecampus.traffic.plates`), so a violation
recorded by a guard finds the registered vehicle however the plate was typed. Times are
aware UTC; "N violations in D days" windows count local (Asia/Shanghai) time back from the
newest violation.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.models import BaseModel


class Vehicle(BaseModel):
    """A vehicle known to the office (车辆), with its owner and how to reach them."""

    class Kind(models.TextChoices):
        CAR = "car", _("Car")  # 小汽车
        EBIKE = "ebike", _("E-bike")  # 电动自行车
        MOTORBIKE = "motorbike", _("Motorbike")  # 摩托车
        OTHER = "other", _("Other vehicle")

    class OwnerKind(models.TextChoices):
        STAFF = "staff", _("Staff")  # 教职工
        STUDENT = "student", _("Student")  # 学生
        CONTRACTOR = "contractor", _("Contractor")  # 驻校单位 / 外包
        VISITOR = "visitor", _("Visitor")  # 访客

    #: Normal form (see plates.plate_normalise); empty for an e-bike without a plate.
    plate = models.CharField(_("plate number"), max_length=8, blank=True)
    plate_kind = models.CharField(_("plate kind"), max_length=12, blank=True)
    #: The campus tag of an e-bike (校内电动车号牌), when it has no national plate.
    tag_number = models.CharField(_("campus tag number"), max_length=32, blank=True)
    kind = models.CharField(_("vehicle type"), max_length=12, choices=Kind.choices,
                            default=Kind.CAR)
    make = models.CharField(_("make and model"), max_length=64, blank=True)
    colour = models.CharField(_("colour"), max_length=32, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="vehicles",
                              verbose_name=_("owner (account)"))
    owner_name = models.CharField(_("owner"), max_length=64)
    owner_kind = models.CharField(_("owner type"), max_length=12, choices=OwnerKind.choices)
    owner_phone = models.CharField(_("owner's phone"), max_length=32, blank=True)
    unit = models.ForeignKey("organisation.Unit", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="vehicles",
                             verbose_name=_("unit"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["plate", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plate"], condition=~Q(plate=""),
                                    name="traffic_vehicle_plate_once"),
        ]
        indexes = [models.Index(fields=["owner"], name="traffic_vehicle_owner")]
        permissions = [("manage_vehicles", "Can register vehicles and issue permits")]

    def __str__(self) -> str:
        return self.plate or self.tag_number or f"#{self.pk}"


class Permit(BaseModel):
    """A campus entry permit (校园通行证) of a vehicle for a period (local dates, inclusive)."""

    class Kind(models.TextChoices):
        LONG_TERM = "long_term", _("Long-term permit")  # 长期通行证
        TEMPORARY = "temporary", _("Temporary permit")  # 临时通行证
        VISITOR = "visitor", _("Visitor permit")  # 访客

    class State(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("permit", "Active")  # 有效
        SUSPENDED = "suspended", _("Suspended")  # 暂停 (repeat offender)
        REVOKED = "revoked", _("Revoked")  # 注销

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="permits",
                                verbose_name=_("vehicle"))
    kind = models.CharField(_("permit type"), max_length=12, choices=Kind.choices,
                            default=Kind.LONG_TERM)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices,
                             default=State.ACTIVE, db_index=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("issued by"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("campus entry permit")
        verbose_name_plural = _("campus entry permits")
        ordering = ["-valid_until", "-id"]
        indexes = [models.Index(fields=["vehicle", "state", "valid_until"],
                                name="traffic_permit_vehicle")]

    def __str__(self) -> str:
        return f"{self.vehicle} {self.valid_from}–{self.valid_until}"


class ViolationKind(models.TextChoices):
    FIRE_LANE = "fire_lane", _("Blocking a fire lane")  # 占用消防通道
    ENTRANCE = "entrance", _("Blocking an entrance")  # 堵塞出入口
    NO_PARKING = "no_parking", _("No-parking zone")  # 禁停区域
    PAVEMENT = "pavement", _("Parked on the pavement")  # 占用人行道
    OTHER = "other", _("Other")  # 其他


class Violation(ConcurrentTransitionMixin, BaseModel):
    """A parking violation or warning (违停) seen by a guard or imported from an old ledger.

    States: ``open`` → ``moved`` (the owner moved it) | ``towed`` | ``void`` (with a reason:
    recorded by mistake, or granted on appeal).
    """

    class Level(models.TextChoices):
        WARNING = "warning", _("Warning")  # 警告
        VIOLATION = "violation", _("Violation")  # 违停

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("violation", "Open")  # 待处理
        MOVED = "moved", _("Moved")  # 已挪车
        TOWED = "towed", _("Towed")  # 已拖移
        VOID = "void", _("Void")  # 已撤销

    class Source(models.TextChoices):
        RECORDED = "recorded", _("Recorded on campus")  # 现场登记
        IMPORT = "import", _("Imported ledger")  # 导入

    state = FSMField(_("state"), max_length=8, choices=State.choices, default=State.OPEN,
                     protected=True, db_index=True)
    #: Normal form; empty only for imported rows whose ledger has no plate.
    plate = models.CharField(_("plate number"), max_length=8, blank=True, db_index=True)
    vehicle = models.ForeignKey(Vehicle, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="violations", verbose_name=_("vehicle"))
    #: How an imported ledger names the vehicle when it has no usable plate (e.g. an
    #: anonymised id); repeat offenders of imported data are counted by it.
    vehicle_ref = models.CharField(_("vehicle in the imported ledger"), max_length=64,
                                   blank=True, db_index=True)
    kind = models.CharField(_("violation type"), max_length=12, choices=ViolationKind.choices,
                            db_index=True)
    kind_label = models.CharField(_("type as recorded"), max_length=120, blank=True)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices,
                             default=Level.VIOLATION)
    campus = models.ForeignKey("organisation.Campus", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="violations",
                               verbose_name=_("campus"))
    place = models.ForeignKey("organisation.Place", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="violations",
                              verbose_name=_("place"))
    location_text = models.CharField(_("location"), max_length=200, blank=True, db_index=True)
    observed_at = models.DateTimeField(_("seen at"), db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("recorded by"))
    note = models.TextField(_("note"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.TextField(_("reason"), blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices,
                              default=Source.RECORDED)
    external_ref = models.CharField(_("number in the imported ledger"), max_length=64,
                                    blank=True, db_index=True)
    row_version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("parking violation")
        verbose_name_plural = _("parking violations")
        ordering = ["-observed_at", "-id"]
        indexes = [
            models.Index(fields=["vehicle", "-observed_at"], name="traffic_violation_vehicle"),
            models.Index(fields=["plate", "-observed_at"], name="traffic_violation_plate"),
            models.Index(fields=["kind", "-observed_at"], name="traffic_violation_kind"),
        ]
        permissions = [
            ("record_violation", "Can record parking violations"),
            ("decide_appeal", "Can decide appeals against violations"),
        ]

    def __str__(self) -> str:
        return f"{self.plate} {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("traffic:violation_detail", args=[self.pk])

    @property
    def is_ledger_history(self) -> bool:
        """An imported ticket the old ledger had already dealt with: kept as history, with no
        move-car notices and no voiding here (its handling happened before this system)."""
        return self.source == self.Source.IMPORT and self.state != self.State.OPEN

    @property
    def where_parts(self) -> list[str]:
        """Where it was seen, as the pages join it: campus, place and the location as
        written, only those that are set (an imported row often has only the last)."""
        return [part for part in (self.campus.name if self.campus_id else "",
                                  self.place.name if self.place_id else "", self.location_text)
                if part]

    @transition(field=state, source=State.OPEN, target=State.MOVED)
    def mark_moved(self):
        """The owner moved the vehicle (after a move-car notice or on their own)."""

    @transition(field=state, source=State.OPEN, target=State.TOWED)
    def mark_towed(self):
        """The vehicle was towed away."""

    @transition(field=state, source=[State.OPEN, State.MOVED, State.TOWED], target=State.VOID)
    def void(self):
        """Recorded by mistake, or the appeal was granted (a reason is required)."""


class ViolationPhoto(BaseModel):
    """A photo of a violation (the plate and where it stands), metadata stripped."""

    violation = models.ForeignKey(Violation, on_delete=models.CASCADE, related_name="photos",
                                  verbose_name=_("violation"))
    image = models.ImageField(_("photo"), upload_to="traffic/%Y/%m/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="traffic/%Y/%m/")

    class Meta:
        verbose_name = _("violation photo")
        verbose_name_plural = _("violation photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.violation_id}: {self.image.name}"


class MoveCarNotice(BaseModel):
    """One move-car notice (挪车通知) sent to a vehicle's owner about a violation.

    ``sequence`` counts the sends for the violation (1 = first, 2 = first re-send …). A
    notice is sent in-app (and by e-mail) when the owner has an account; without one, the
    notice records the phone to call and ``channel`` says so.
    """

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In-app and e-mail")  # 站内消息
        PHONE = "phone", _("Phone call by the guard")  # 电话通知
        NONE = "none", _("No way to reach the owner")  # 无法联系

    violation = models.ForeignKey(Violation, on_delete=models.CASCADE,
                                  related_name="notices", verbose_name=_("violation"))
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="notices",
                                verbose_name=_("vehicle"))
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("recipient"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    sequence = models.PositiveSmallIntegerField(_("send number"))
    sent_at = models.DateTimeField(_("sent at"), db_index=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("sent by"))

    class Meta:
        verbose_name = _("move-car notice")
        verbose_name_plural = _("move-car notices")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["violation", "sequence"],
                                    name="traffic_notice_sequence_once"),
        ]
        indexes = [models.Index(fields=["vehicle", "sent_at"], name="traffic_notice_vehicle")]

    def __str__(self) -> str:
        return f"{self.vehicle} #{self.sequence}"


class OffenderRule(BaseModel):
    """A repeat-offender rule: ``count`` violations of one vehicle within ``days`` → ``action``.

    Warnings do not count; void violations do not count. A vehicle with an appeal pending is
    not escalated until the appeal is decided.
    """

    class Action(models.TextChoices):
        WARNING_LETTER = "warning_letter", _("Warning letter")  # 警告函
        SUSPEND_PERMIT = "suspend_permit", _("Suspend the permit")  # 暂停通行证

    name = models.CharField(_("rule name"), max_length=64)
    count = models.PositiveSmallIntegerField(_("violations"))
    days = models.PositiveSmallIntegerField(_("within days"))
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("repeat-offender rule")
        verbose_name_plural = _("repeat-offender rules")
        ordering = ["count", "days"]

    def __str__(self) -> str:
        return self.name


class OffenderAction(BaseModel):
    """A rule applied to a vehicle (a warning letter sent, a permit suspended), once per rule
    and triggering violation."""

    rule = models.ForeignKey(OffenderRule, on_delete=models.PROTECT, related_name="actions",
                             verbose_name=_("rule"))
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE,
                                related_name="offender_actions", verbose_name=_("vehicle"))
    #: The violation that reached the count.
    violation = models.ForeignKey(Violation, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("triggering violation"))
    violation_ids = models.JSONField(_("violations counted"), default=list)
    applied_at = models.DateTimeField(_("applied at"), db_index=True)

    class Meta:
        verbose_name = _("repeat-offender action")
        verbose_name_plural = _("repeat-offender actions")
        ordering = ["-applied_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "violation"],
                                    name="traffic_offender_action_once"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle} · {self.rule}"


class Appeal(BaseModel):
    """An owner's appeal against a violation (申诉), decided by the office."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending decision")  # 待处理
        GRANTED = "granted", _("Granted: violation void")  # 申诉成立
        REFUSED = "refused", _("Refused: violation stands")  # 申诉驳回

    violation = models.OneToOneField(Violation, on_delete=models.CASCADE,
                                     related_name="appeal", verbose_name=_("violation"))
    appellant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("appellant"))
    reason = models.TextField(_("reason"))
    photo = models.ImageField(_("photo"), upload_to="traffic/appeals/%Y/%m/", blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices,
                             default=State.PENDING, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.violation} · {self.get_state_display()}"
