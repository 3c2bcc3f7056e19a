"""Education activities (宣教活动), the campaigns they belong to, and attendance.

An activity names the groups it reached: campuses, buildings (a dorm visit reaches a
dormitory building), colleges and classes. Coverage for a term is computed from these and
from attendance (people who signed in). Trainings and drills are activities of those kinds;
any activity may open QR sign-in: its code is a signed ``<id>-<sign_in_generation>``
(:mod:`safecampus.core.qrcodes`), so a photographed old code stops working when the
organiser renews it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.models import BaseModel

from .terms import Topic


class Partner(BaseModel):
    """Someone the office runs education with: a police station, a college, volunteers."""

    class Kind(models.TextChoices):
        POLICE_STATION = "police_station", _("Police station")  # 派出所
        COLLEGE = "college", _("College")  # 学院 / 书院
        VOLUNTEERS = "volunteers", _("Volunteer team")  # 志愿者
        FIRE_BRIGADE = "fire_brigade", _("Fire and rescue")  # 消防救援
        COMPANY = "company", _("Company or bank")  # 运营商 / 银行
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Campaign(BaseModel):
    """A campaign (专项宣传) grouping activities, e.g. 2026年秋季反诈宣传月."""

    title = models.CharField(_("title"), max_length=120)
    topic = models.CharField(_("topic"), max_length=16, choices=Topic.choices)
    term = models.ForeignKey("education.Term", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="campaigns", verbose_name=_("term"))
    goal = models.TextField(_("goal"), blank=True)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-id"]
        permissions = [("manage_education", "Can run education campaigns and activities")]

    def __str__(self) -> str:
        return self.title


class Activity(ConcurrentTransitionMixin, BaseModel):
    """One education activity: a booth, a dorm visit, a talk, an online course, a drill."""

    class Kind(models.TextChoices):
        BOOTH = "booth", _("Booth")  # 摆摊宣传
        DORM_VISIT = "dorm_visit", _("Dormitory visit")  # 进宿舍
        CLASSROOM_TALK = "classroom_talk", _("Classroom talk")  # 进课堂
        LECTURE = "lecture", _("Lecture")  # 讲座
        ONLINE = "online", _("Online banner or course")  # 线上
        TRAINING = "training", _("Training")  # 培训
        DRILL = "drill", _("Drill")  # 演练

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="activities", verbose_name=_("campaign"))
    title = models.CharField(_("title"), max_length=120)
    topic = models.CharField(_("topic"), max_length=16, choices=Topic.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    state = FSMField(_("state"), max_length=16, choices=State.choices, default=State.PLANNED,
                     protected=True, db_index=True)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    campus = models.ForeignKey("organisation.Campus", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("campus"))
    place = models.ForeignKey("organisation.Place", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+", verbose_name=_("place"))
    location = models.CharField(_("location"), max_length=120, blank=True,
                                help_text=_("Where, when it is not a listed place (e.g. outside "
                                            "the canteen, online platform)."))
    description = models.TextField(_("description"), blank=True)
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("organiser"))
    partners = models.ManyToManyField(Partner, blank=True, related_name="activities",
                                      verbose_name=_("partners"))
    # The groups it was for / reached (coverage reads these).
    campuses = models.ManyToManyField("organisation.Campus", blank=True, related_name="+",
                                      verbose_name=_("campuses reached"))
    buildings = models.ManyToManyField("organisation.Building", blank=True, related_name="+",
                                       verbose_name=_("buildings reached"))
    colleges = models.ManyToManyField("organisation.Unit", blank=True, related_name="+",
                                      verbose_name=_("colleges reached"))
    class_groups = models.ManyToManyField("organisation.ClassGroup", blank=True,
                                          related_name="+", verbose_name=_("classes reached"))
    audience_count = models.PositiveIntegerField(_("people reached"), null=True, blank=True)
    sign_in_open = models.BooleanField(_("sign-in open"), default=False)
    sign_in_generation = models.PositiveIntegerField(_("sign-in code generation"), default=1)
    #: Typed on a phone whose camera cannot read the QR (random, no look-alike characters;
    #: changes when the code is renewed). Empty until sign-in is first opened.
    sign_in_manual_code = models.CharField(_("sign-in manual code"), max_length=12, blank=True,
                                           db_index=True)
    sign_in_radius_m = models.PositiveIntegerField(_("allowed distance (m)"), default=300)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    held_note = models.TextField(_("summary"), blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    class Meta:
        verbose_name = _("education activity")
        verbose_name_plural = _("education activities")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["topic", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gte=models.F("starts_at")),
                                   name="education_activity_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @transition(field=state, source=State.PLANNED, target=State.HELD)
    def hold(self):
        """Record that it took place (counts, materials, photos may follow)."""

    @transition(field=state, source=State.PLANNED, target=State.CANCELLED)
    def cancel(self):
        """Called off before it took place (needs a reason)."""


class ActivityMaterial(BaseModel):
    """Materials handed out (宣传品): e.g. 印制纸巾 500 包, 折页 300 份."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="materials",
                                 verbose_name=_("activity"))
    name = models.CharField(_("item"), max_length=64)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_label = models.CharField(_("unit of count"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("material handed out")
        verbose_name_plural = _("materials handed out")
        ordering = ["activity_id", "id"]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class ActivityPhoto(BaseModel):
    """A photo of an activity (processed like every photo: EXIF removed, resized)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos",
                                 verbose_name=_("activity"))
    image = models.ImageField(_("photo"), upload_to="education/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=120, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("uploaded by"))

    class Meta:
        verbose_name = _("activity photo")
        verbose_name_plural = _("activity photos")
        ordering = ["activity_id", "id"]


class Attendance(BaseModel):
    """One person at one activity (签到). ``college`` and ``class_group`` are copied from
    the person's affiliation when they sign in, so later transfers do not rewrite history."""

    class Method(models.TextChoices):
        QR = "qr", _("QR code")
        MANUAL = "manual", _("Added by the organiser")
        IMPORT = "import", _("Imported list")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendances",
                                 verbose_name=_("activity"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="education_attendances", verbose_name=_("person"))
    college = models.ForeignKey("organisation.Unit", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("college or unit"))
    class_group = models.ForeignKey("organisation.ClassGroup", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("class"))
    signed_in_at = models.DateTimeField(_("signed in at"), db_index=True)
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("recorded by"))
    distance_m = models.PositiveIntegerField(_("distance (m)"), null=True, blank=True)
    far_away = models.BooleanField(_("far from the activity"), default=False)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["activity_id", "signed_in_at"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "user"], name="education_attend_once"),
        ]
        indexes = [models.Index(fields=["user", "signed_in_at"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.activity_id}"
