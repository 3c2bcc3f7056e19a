"""Notifications: one row per recipient and message, one Delivery per channel.

``dedupe_key`` makes scheduled sends idempotent: the unique constraint on
(recipient, dedupe_key) means a re-run or an overlapping run of a reminder job can never
notify the same person twice about the same thing.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecampus.accounts.models import Audience
from safecampus.core.models import BaseModel


class Alert(Audience, BaseModel):
    """A warning (预警) sent to one group, with read receipts.

    Each recipient gets a :class:`Notification` pointing back here (``alert``); its
    ``read_at`` is the read receipt. ``recipient_count`` is fixed when the alert is sent.
    Education (anti-fraud warnings) and police cooperation both send these.
    """

    class Level(models.TextChoices):
        INFO = "info", _("Information")  # 提示
        WARNING = "warning", _("Warning")  # 预警
        URGENT = "urgent", _("Urgent warning")  # 紧急预警

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    level = models.CharField(_("level"), max_length=16, choices=Level.choices,
                             default=Level.WARNING)
    topic = models.CharField(_("topic"), max_length=32, blank=True, db_index=True,
                             help_text=_("The module's own label, e.g. anti_fraud."))
    url = models.CharField(_("link"), max_length=300, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("sent by"))
    sent_at = models.DateTimeField(_("sent at"), db_index=True)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Notification(BaseModel):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    verb = models.CharField(_("verb"), max_length=64, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=160, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="notifications", verbose_name=_("warning"))
    urgent = models.BooleanField(
        _("urgent"), default=False,
        help_text=_("Urgent notifications ignore quiet hours and the daily digest."))
    #: default-storage names of files attached to the e-mail (e.g. a monthly report's PDF)
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    private = models.BooleanField(
        _("about an anonymous report"), default=False,
        help_text=_("Told to the sender of an anonymous report: the delivery log and the "
                    "admin show neither the recipient nor the text."))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notifications_once_per_recipient",
            )
        ]

    def __str__(self) -> str:
        # never the title of a notification about an anonymous report (admin, logs)
        return str(_("(about an anonymous report)")) if self.private else self.title


class Attempts(models.Model):
    """Abstract: one outgoing message's state and retries with back-off.

    ``next_attempt_at`` (aware UTC) is when the periodic sender may try it next: the back-off
    after a failure, or the end of the recipient's quiet hours. Failed attempts wait
    ``services.BACKOFF`` (1, 5, 30 minutes); the 4th failure is final (FAILED).
    ``last_error`` is the readable reason of the last failure, in the site language.
    """

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("delivery", "Pending")  # waits for its next attempt
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")  # gave up after the last retry, or cannot be sent
        SKIPPED = "skipped", _("Skipped")  # e.g. recipient has no e-mail address
        HELD = "held", _("Held for the digest")  # waits for the recipient's daily digest
        DIGESTED = "digested", _("Sent in the digest")  # went out in a daily digest

    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        abstract = True


class Digest(Attempts, BaseModel):
    """One user's daily digest e-mail (one per user and local day: re-runs send nothing)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("user"))
    day = models.DateField(_("day"))
    items = models.PositiveIntegerField(_("items"), default=0)

    class Meta:
        verbose_name = _("daily digest")
        verbose_name_plural = _("daily digests")
        ordering = ["-day", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]
        constraints = [models.UniqueConstraint(fields=["user", "day"],
                                               name="notifications_one_digest_a_day")]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.day}"


class Delivery(Attempts, BaseModel):
    """One channel's attempt to deliver a notification, with its state and retries."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In-app inbox")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("notification"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    digest = models.ForeignKey(Digest, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="deliveries", verbose_name=_("daily digest"))
    reference = models.CharField(_("provider reference"), max_length=100, blank=True,
                                 help_text=_("The provider's message id."))

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_attempt_at"]),
                   models.Index(fields=["channel", "state", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="notifications_one_delivery_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification_id}/{self.channel}: {self.state}"


class NotificationPreference(BaseModel):
    """How one user wants to be told (created with the defaults on first use).

    Quiet hours are local times (Asia/Shanghai) and may wrap midnight (22:00–07:00); both
    empty means none. Urgent notifications ignore quiet hours and the digest; the in-app
    inbox is always immediate.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference", verbose_name=_("user"))
    email_enabled = models.BooleanField(_("e-mail"), default=True)
    sms_enabled = models.BooleanField(_("SMS"), default=False)
    digest = models.BooleanField(
        _("daily digest"), default=False,
        help_text=_("One e-mail a day at 08:00 instead of an e-mail for each non-urgent "
                    "notification."))
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        ordering = ["user_id"]

    def __str__(self) -> str:
        return str(self.user_id)


class GroupRobot(BaseModel):
    """A group chat robot (WeCom, DingTalk or Feishu webhook) that hears chosen topics."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("WeCom group robot")  # 企业微信群机器人
        DINGTALK = "dingtalk", _("DingTalk group robot")  # 钉钉群机器人
        FEISHU = "feishu", _("Feishu group robot")  # 飞书群机器人

    class Topic(models.TextChoices):
        HAZARDS = "hazards", _("Major hazards and escalations")
        ALERTS = "alerts", pgettext_lazy("robot topic", "Warnings")  # 预警
        PATROLS = "patrols", _("Missed patrol checkpoints")
        INCIDENTS = "incidents", _("Incidents")
        REPORTS = "reports", _("Monthly reports ready")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    webhook_url = models.CharField(_("webhook URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"), max_length=200, blank=True,
        help_text=_("DingTalk 加签 or Feishu signature secret; empty when not used."))
    campus = models.ForeignKey("organisation.Campus", null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("campus"),
                               help_text=_("Empty: messages of every campus."))
    topics = models.JSONField(_("topics"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True, db_index=True)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


    @property
    def masked_url(self) -> str:
        """The webhook URL with its access token masked (``key=…abcd``), for lists."""
        from .robots import mask_url

        return mask_url(self.webhook_url)


class RobotMessage(Attempts, BaseModel):
    """One message queued for one group robot, with its state and retries."""

    robot = models.ForeignKey(GroupRobot, on_delete=models.CASCADE, related_name="messages",
                              verbose_name=_("group robot"))
    topic = models.CharField(_("topic"), max_length=16, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    response = models.TextField(_("response"), blank=True)

    class Meta:
        verbose_name = _("robot message")
        verbose_name_plural = _("robot messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"]),
                   models.Index(fields=["state", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.robot_id}: {self.title}"
