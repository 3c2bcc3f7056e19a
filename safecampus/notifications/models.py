"""Notifications: one row per recipient and message, one Delivery per channel.

``dedupe_key`` makes scheduled sends idempotent: the unique constraint on
(recipient, dedupe_key) means a re-run or an overlapping run of a reminder job can never
notify the same person twice about the same thing.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
        return self.title


class Delivery(BaseModel):
    """One channel's attempt to deliver a notification, with its state and retries."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In-app inbox")
        EMAIL = "email", _("E-mail")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")  # gave up after the last retry
        SKIPPED = "skipped", _("Skipped")  # e.g. recipient has no e-mail address

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("notification"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="notifications_one_delivery_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification_id}/{self.channel}: {self.state}"
