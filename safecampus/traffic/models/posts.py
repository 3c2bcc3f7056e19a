"""Traffic duty posts (交通执勤岗): guards at busy places in the peak minutes around classes.

A campus keeps its class timetable (作息时间表: period 1 08:00–08:45 …). A post's duty time
(:class:`PostDutyTime`) is either fixed clock times or anchored to a class period's start or
end with minutes before and after (e.g. "15 minutes before period 1 starts to 5 minutes
after"). Each duty time becomes a :class:`PostDuty` per local date with its guards, who sign
in at the post by scanning the post's QR code. A duty with nobody signed in while it runs is
unstaffed; the live list shows which posts are staffed now.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecampus.core.models import BaseModel


class ClassPeriod(BaseModel):
    """One period of a campus's class timetable (节次), local clock times."""

    campus = models.ForeignKey("organisation.Campus", on_delete=models.CASCADE,
                               related_name="class_periods", verbose_name=_("campus"))
    number = models.PositiveSmallIntegerField(_("period"))
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))

    class Meta:
        verbose_name = _("class period")
        verbose_name_plural = _("class timetable")
        ordering = ["campus_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["campus", "number"],
                                    name="traffic_class_period_once"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class DutyPost(BaseModel):
    """A traffic duty post (执勤岗) at a busy place: a canteen, a teaching building, a crossing.

    Its QR code (on a sign at the post) carries a signed ``<id>-<code_generation>``; rotating
    the code raises the generation. ``latitude`` / ``longitude`` (WGS-84) and ``radius_m``
    say where a sign-in is expected; farther away it is flagged, not refused.
    """

    class Kind(models.TextChoices):
        CANTEEN = "canteen", _("Canteen")  # 食堂
        TEACHING = "teaching", _("Teaching building")  # 教学楼
        GATE = "gate", _("Gate")  # 校门
        CROSSING = "crossing", _("Crossing")  # 路口
        OTHER = "other", _("Other place")

    campus = models.ForeignKey("organisation.Campus", on_delete=models.PROTECT,
                               related_name="duty_posts", verbose_name=_("campus"))
    place = models.ForeignKey("organisation.Place", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="duty_posts",
                              verbose_name=_("place"))
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices,
                            default=Kind.TEACHING)
    duties = models.TextField(_("duties"), blank=True,
                              help_text=_("What the guard does here, e.g. keep cars out of "
                                          "the pedestrian lane."))
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    radius_m = models.PositiveIntegerField(_("allowed distance (m)"), default=150)
    code_generation = models.PositiveIntegerField(_("code generation"), default=1)
    manual_code = models.CharField(_("manual code"), max_length=12, unique=True)
    is_active = models.BooleanField(_("active"), default=True, db_index=True)

    class Meta:
        verbose_name = _("duty post")
        verbose_name_plural = _("duty posts")
        ordering = ["campus_id", "name"]
        permissions = [("manage_duty_posts", "Can set up traffic duty posts and rosters")]

    def __str__(self) -> str:
        return self.name


class PostDutyTime(BaseModel):
    """When a post is staffed (执勤时段), on ``weekdays`` (ISO 1 = Monday … 7 = Sunday).

    ``anchor`` ``fixed``: from ``starts_at`` to ``ends_at``. ``class_start`` /
    ``class_end``: from ``minutes_before`` before to ``minutes_after`` after the start / end
    of ``class_period``. Standing ``guards`` are copied onto each day's duty.
    """

    class Anchor(models.TextChoices):
        FIXED = "fixed", _("Fixed times")  # 固定时间
        CLASS_START = "class_start", _("Around a class start")  # 上课前后
        CLASS_END = "class_end", _("Around a class end")  # 下课前后

    post = models.ForeignKey(DutyPost, on_delete=models.CASCADE, related_name="duty_times",
                             verbose_name=_("post"))
    name = models.CharField(_("name"), max_length=64)
    anchor = models.CharField(_("timing"), max_length=12, choices=Anchor.choices,
                              default=Anchor.CLASS_START)
    class_period = models.ForeignKey(ClassPeriod, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("class period"))
    minutes_before = models.PositiveSmallIntegerField(_("minutes before"), default=15)
    minutes_after = models.PositiveSmallIntegerField(_("minutes after"), default=10)
    starts_at = models.TimeField(_("starts at"), null=True, blank=True)
    ends_at = models.TimeField(_("ends at"), null=True, blank=True)
    weekdays = models.CharField(_("weekdays"), max_length=7, default="12345")
    guards = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                    verbose_name=_("guards"))
    is_active = models.BooleanField(_("active"), default=True, db_index=True)

    class Meta:
        verbose_name = _("post duty time")
        verbose_name_plural = _("post duty times")
        ordering = ["post_id", "starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.post} · {self.name}"


class PostDuty(BaseModel):
    """One duty time on one local date (a day's 执勤班次), with the guards rostered on it."""

    duty_time = models.ForeignKey(PostDutyTime, on_delete=models.CASCADE,
                                  related_name="duties", verbose_name=_("duty time"))
    post = models.ForeignKey(DutyPost, on_delete=models.CASCADE, related_name="post_duties",
                             verbose_name=_("post"))
    duty_date = models.DateField(_("date"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    guards = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True,
                                    related_name="post_duties", verbose_name=_("guards"))
    #: The first sign-in (None: nobody has signed in yet).
    first_sign_in_at = models.DateTimeField(_("first sign-in"), null=True, blank=True)

    class Meta:
        verbose_name = _("post duty")
        verbose_name_plural = _("post duties")
        ordering = ["starts_at", "post_id"]
        constraints = [
            models.UniqueConstraint(fields=["duty_time", "duty_date"],
                                    name="traffic_post_duty_once_per_day"),
        ]
        indexes = [
            models.Index(fields=["starts_at", "ends_at"], name="traffic_post_duty_time"),
            models.Index(fields=["post", "duty_date"], name="traffic_post_duty_post"),
        ]

    def __str__(self) -> str:
        return f"{self.post} {self.starts_at:%Y-%m-%d %H:%M}"


class PostSignIn(BaseModel):
    """A guard's sign-in at a post (到岗签到), by QR scan or the typed code.

    ``signed_at`` is the phone's clock (kept when uploaded later), ``received_at`` the
    server's. ``client_id`` (made on the phone) is unique per guard: a replay creates nothing.
    ``flags`` lists what a leader should look at (far from the post, not rostered, outside
    any duty).
    """

    class Method(models.TextChoices):
        QR = "qr", _("QR code")  # 扫码
        MANUAL = "manual", _("Code typed in")  # 手动输入

    post = models.ForeignKey(DutyPost, on_delete=models.CASCADE, related_name="sign_ins",
                             verbose_name=_("post"))
    duty = models.ForeignKey(PostDuty, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="sign_ins", verbose_name=_("duty"))
    guard = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("guard"))
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    signed_at = models.DateTimeField(_("signed in at"), db_index=True)
    received_at = models.DateTimeField(_("received at"))
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    distance_m = models.PositiveIntegerField(_("distance from the post (m)"), null=True,
                                             blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    client_id = models.UUIDField(_("client id"))

    class Meta:
        verbose_name = _("post sign-in")
        verbose_name_plural = _("post sign-ins")
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["guard", "client_id"],
                                    name="traffic_post_sign_in_once"),
        ]

    def __str__(self) -> str:
        return f"{self.post} {self.guard_id} {self.signed_at:%H:%M}"


class PostLogEntry(BaseModel):
    """A line in a post's log (岗位日志): what happened at the post during a duty."""

    class Kind(models.TextChoices):
        NOTE = "note", pgettext_lazy("post log", "Note")  # 记录
        CONGESTION = "congestion", _("Congestion")  # 拥堵
        INCIDENT = "incident", _("Incident")  # 事件
        HANDOVER = "handover", _("Handover")  # 交接

    post = models.ForeignKey(DutyPost, on_delete=models.CASCADE, related_name="log_entries",
                             verbose_name=_("post"))
    duty = models.ForeignKey(PostDuty, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="log_entries", verbose_name=_("duty"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("author"))
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices,
                            default=Kind.NOTE)
    text = models.TextField(_("text"))
    logged_at = models.DateTimeField(_("logged at"), db_index=True)

    class Meta:
        verbose_name = _("post log entry")
        verbose_name_plural = _("post log")
        ordering = ["-logged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.post} {self.logged_at:%Y-%m-%d %H:%M}"
