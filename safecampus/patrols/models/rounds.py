"""Routes, checkpoints, schedules, shifts, rounds and scans (巡逻路线、巡更点、班次、打卡).

Times are stored as aware UTC; a schedule's clock times and a shift's date are local
(Asia/Shanghai), and a night shift that starts at 22:00 belongs to the date it starts on.

A :class:`PatrolSchedule` ("night shift on route A: 22:00–06:00, 4 rounds, 30-minute
windows") becomes one :class:`PatrolShift` per local day it runs, with its guards and shift
leader, and each shift has its :class:`PatrolRound` s. A round keeps the checkpoints it
expects (ids snapshot at creation) and counters that the services keep current, so reports
sum rounds instead of counting scans. A :class:`CheckpointScan` is one proof of presence
with the device's time, the server's time and the phone's position when given.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.clock import local_zone
from safecampus.core.models import BaseModel


class PatrolRoute(BaseModel):
    """An ordered list of checkpoints a guard walks (巡逻路线)."""

    campus = models.ForeignKey("organisation.Campus", on_delete=models.PROTECT,
                               related_name="patrol_routes", verbose_name=_("campus"))
    zone = models.ForeignKey("organisation.Zone", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="patrol_routes",
                             verbose_name=_("zone"))
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True, db_index=True)

    class Meta:
        verbose_name = _("patrol route")
        verbose_name_plural = _("patrol routes")
        ordering = ["campus_id", "code"]
        permissions = [
            ("manage_patrols", "Can set up patrol routes, schedules and checkpoint codes"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("patrols:route_detail", args=[self.pk])


class Checkpoint(BaseModel):
    """A place on a route where the guard scans a QR code (巡更点 / 打卡点).

    The QR code carries a signed reference ``<id>-<code_generation>``; rotating the code
    raises ``code_generation`` (old printed codes stop working) and draws a new
    ``manual_code`` (typed when the camera cannot read the sticker). ``latitude`` /
    ``longitude`` (WGS-84 degrees) and ``radius_m`` say where a scan is expected; a scan
    from farther away is flagged.
    """

    route = models.ForeignKey(PatrolRoute, on_delete=models.CASCADE, related_name="checkpoints",
                              verbose_name=_("route"))
    place = models.ForeignKey("organisation.Place", on_delete=models.PROTECT,
                              related_name="checkpoints", verbose_name=_("place"))
    sequence = models.PositiveSmallIntegerField(_("order on the route"))
    name = models.CharField(_("name"), max_length=100, blank=True,
                            help_text=_("Leave empty to use the place's name."))
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    radius_m = models.PositiveIntegerField(_("allowed distance (m)"), default=150)
    code_generation = models.PositiveIntegerField(_("code generation"), default=1)
    manual_code = models.CharField(_("manual code"), max_length=12, unique=True)
    code_rotated_at = models.DateTimeField(_("code rotated at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["route_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["route", "sequence"],
                                    name="patrols_checkpoint_sequence_once"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name or str(self.place)


class PatrolSchedule(BaseModel):
    """When a route is walked (班次): e.g. every night 22:00–06:00, 4 rounds, 30-minute windows.

    ``starts_at`` / ``ends_at`` are local clock times; ``ends_at`` not after ``starts_at``
    means the shift ends the next day. The shift is split into ``rounds`` equal parts; round
    *i* must be walked within ``window_minutes`` of its start. ``weekdays`` lists ISO
    weekdays (1 = Monday … 7 = Sunday) the shift runs on.
    """

    route = models.ForeignKey(PatrolRoute, on_delete=models.CASCADE, related_name="schedules",
                              verbose_name=_("route"))
    name = models.CharField(_("name"), max_length=64)
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))
    rounds = models.PositiveSmallIntegerField(_("rounds per shift"), default=4)
    window_minutes = models.PositiveSmallIntegerField(_("window (minutes)"), default=30)
    weekdays = models.CharField(_("weekdays"), max_length=7, default="1234567")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("shift leader"))
    guards = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                    verbose_name=_("guards"))
    is_active = models.BooleanField(_("active"), default=True, db_index=True)

    class Meta:
        verbose_name = _("patrol schedule")
        verbose_name_plural = _("patrol schedules")
        ordering = ["route_id", "starts_at"]

    def __str__(self) -> str:
        return f"{self.route} · {self.name}"


class PatrolShift(BaseModel):
    """One schedule on one local date, with the guards on it and their shift leader."""

    schedule = models.ForeignKey(PatrolSchedule, on_delete=models.CASCADE, related_name="shifts",
                                 verbose_name=_("schedule"))
    route = models.ForeignKey(PatrolRoute, on_delete=models.CASCADE, related_name="shifts",
                              verbose_name=_("route"))
    shift_date = models.DateField(_("shift date"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="led_patrol_shifts",
                               verbose_name=_("shift leader"))
    guards = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True,
                                    related_name="patrol_shifts", verbose_name=_("guards"))

    class Meta:
        verbose_name = _("patrol shift")
        verbose_name_plural = _("patrol shifts")
        ordering = ["-starts_at", "route_id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "shift_date"],
                                    name="patrols_shift_once_per_day"),
        ]
        indexes = [models.Index(fields=["route", "shift_date"], name="patrol_shift_route_date")]

    def __str__(self) -> str:
        return f"{self.schedule} {self.shift_date:%Y-%m-%d}"


class PatrolRound(ConcurrentTransitionMixin, BaseModel):
    """One walk of a route within a shift (一轮巡逻).

    States: ``planned`` → ``in_progress`` (first scan or "start") → ``completed`` (every
    expected checkpoint scanned) or ``ended_early`` (the guard stops, with a reason); a round
    whose window closed with checkpoints unscanned becomes ``incomplete`` (漏巡), and a late
    scan that fills the last gap still makes it ``completed``.
    """

    class State(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("patrol round", "Planned")  # 待巡
        IN_PROGRESS = "in_progress", pgettext_lazy("patrol round", "In progress")  # 巡逻中
        COMPLETED = "completed", pgettext_lazy("patrol round", "Completed")  # 已完成
        ENDED_EARLY = "ended_early", pgettext_lazy("patrol round", "Ended early")  # 提前结束
        INCOMPLETE = "incomplete", pgettext_lazy("patrol round", "Checkpoints missed")  # 漏巡

    shift = models.ForeignKey(PatrolShift, on_delete=models.CASCADE, related_name="rounds",
                              verbose_name=_("shift"))
    route = models.ForeignKey(PatrolRoute, on_delete=models.CASCADE, related_name="rounds",
                              verbose_name=_("route"))
    sequence = models.PositiveSmallIntegerField(_("round"))
    state = FSMField(_("state"), max_length=16, choices=State.choices, default=State.PLANNED,
                     protected=True, db_index=True)
    window_start = models.DateTimeField(_("window opens"))
    window_end = models.DateTimeField(_("window closes"))
    #: Scans after the window are late, not missed, until this time (next round / shift end).
    late_until = models.DateTimeField(_("late scans accepted until"))
    guard = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="patrol_rounds",
                              verbose_name=_("guard"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.TextField(_("reason for ending early"), blank=True)
    checkpoint_ids = models.JSONField(_("expected checkpoints"), default=list)
    checkpoints_expected = models.PositiveSmallIntegerField(_("expected"), default=0)
    checkpoints_on_time = models.PositiveSmallIntegerField(_("on time"), default=0)
    checkpoints_late = models.PositiveSmallIntegerField(_("late"), default=0)
    checkpoints_missed = models.PositiveSmallIntegerField(_("missed"), default=0)
    flagged_scans = models.PositiveSmallIntegerField(_("flagged scans"), default=0)
    #: Set when the sweep has looked at the closed window (and alerted the leader once).
    swept_at = models.DateTimeField(_("checked for missed checkpoints at"), null=True, blank=True)

    class Meta:
        verbose_name = _("patrol round")
        verbose_name_plural = _("patrol rounds")
        ordering = ["window_start", "route_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["shift", "sequence"], name="patrols_round_once"),
        ]
        indexes = [
            models.Index(fields=["route", "window_start"], name="patrol_round_route_start"),
            models.Index(fields=["swept_at", "window_end"], name="patrol_round_sweep"),
            models.Index(fields=["guard", "window_start"], name="patrol_round_guard_start"),
            models.Index(fields=["window_start"], name="patrol_round_start"),
        ]

    def __str__(self) -> str:
        return f"{self.shift} #{self.sequence}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("patrols:round_detail", args=[self.pk])

    def is_visible_to(self, user) -> bool:
        return user.has_perm("patrols.view_round", self)

    @property
    def checkpoints_done(self) -> int:
        return self.checkpoints_on_time + self.checkpoints_late

    @transition(field=state, source=State.PLANNED, target=State.IN_PROGRESS)
    def start(self):
        """A guard starts the round (or scans its first checkpoint)."""

    @transition(field=state, source=[State.PLANNED, State.IN_PROGRESS, State.INCOMPLETE],
                target=State.COMPLETED)
    def complete(self):
        """Every expected checkpoint has a scan."""

    @transition(field=state, source=State.IN_PROGRESS, target=State.ENDED_EARLY)
    def end_early(self):
        """The guard stops before every checkpoint is scanned (a reason is required)."""

    @transition(field=state, source=[State.PLANNED, State.IN_PROGRESS], target=State.INCOMPLETE)
    def close_incomplete(self):
        """The window closed with checkpoints unscanned (漏巡)."""


class CheckpointScan(BaseModel):
    """One scan of a checkpoint by a guard (打卡 / 巡更记录).

    ``scanned_at`` is the phone's clock at the moment of the scan (kept even when the scan is
    uploaded hours later from the offline queue); ``received_at`` is the server's clock.
    ``client_id`` is the phone's id for the scan: the same scan uploaded twice is stored once.
    ``flags`` lists reasons a leader should look at it (see :class:`Flag`).
    """

    class Method(models.TextChoices):
        QR = "qr", _("QR code")  # 扫码
        MANUAL = "manual", _("Code typed in")  # 手动输入

    class Timing(models.TextChoices):
        ON_TIME = "on_time", pgettext_lazy("checkpoint scan", "On time")  # 按时
        LATE = "late", pgettext_lazy("checkpoint scan", "Late")  # 迟到
        REPEAT = "repeat", _("Repeat scan")  # 重复打卡
        OUTSIDE = "outside", _("Outside any round")  # 不在巡逻时段

    class Flag(models.TextChoices):
        FAR_FROM_PLACE = "far_from_place", _("Far from the checkpoint")  # 位置偏离
        OUTSIDE_WINDOW = "outside_window", _("No round of its route open at that time")  # 不在时段内
        FUTURE_TIME = "future_time", _("Phone time is in the future")  # 设备时间超前
        STALE_TIME = "stale_time", _("Phone time is days old")  # 设备时间过早
        NOT_ON_SHIFT = "not_on_shift", _("Guard not assigned to this shift")  # 非本班人员

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="scans",
                                   verbose_name=_("checkpoint"))
    round = models.ForeignKey(PatrolRound, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="scans", verbose_name=_("round"))
    guard = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="checkpoint_scans", verbose_name=_("guard"))
    client_id = models.UUIDField(_("phone's scan id"))
    method = models.CharField(_("method"), max_length=8, choices=Method.choices,
                              default=Method.QR)
    scanned_at = models.DateTimeField(_("scanned at (phone)"))
    received_at = models.DateTimeField(_("received at (server)"))
    #: The time the scan counts at: the phone's time unless it was not credible.
    counted_at = models.DateTimeField(_("counted at"))
    timing = models.CharField(_("timing"), max_length=8, choices=Timing.choices)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    accuracy_m = models.PositiveIntegerField(_("location accuracy (m)"), null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("distance from checkpoint (m)"), null=True,
                                             blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    is_flagged = models.BooleanField(_("flagged"), default=False, db_index=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("checkpoint scan")
        verbose_name_plural = _("checkpoint scans")
        ordering = ["-counted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["guard", "client_id"], name="patrols_scan_once"),
        ]
        indexes = [
            models.Index(fields=["checkpoint", "counted_at"], name="patrol_scan_cp_time"),
            models.Index(fields=["guard", "counted_at"], name="patrol_scan_guard_time"),
            models.Index(fields=["counted_at"], name="patrol_scan_time"),
        ]

    def __str__(self) -> str:
        return f"{self.checkpoint} {self.counted_at.astimezone(local_zone()):%Y-%m-%d %H:%M}"
