"""Shared model base and the cross-cutting records every app writes.

- :class:`BaseModel`: created/updated timestamps (aware UTC).
- :class:`ActivityEntry`: the domain timeline; one row per state change (house rule 3).
- :class:`IdempotencyKey`: remembers which record a client-supplied key created, so a
  double tap or a retried request creates one record.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    """Abstract base: ``created_at`` / ``updated_at`` stored as aware UTC datetimes."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class ActivityEntry(models.Model):
    """One event on an object's timeline: who did what, from which state to which.

    ``verb`` is dotted, app first (``hazards.verify``). Timelines read only these rows.
    """

    target_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, verbose_name=_("object type")
    )
    target_id = models.PositiveBigIntegerField(_("object id"))
    target = GenericForeignKey("target_type", "target_id")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    verb = models.CharField(_("verb"), max_length=64, db_index=True)
    from_state = models.CharField(_("from state"), max_length=32, blank=True)
    to_state = models.CharField(_("to state"), max_length=32, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)

    class Meta:
        verbose_name = _("activity entry")
        verbose_name_plural = _("activity entries")
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["target_type", "target_id", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.verb} {self.target_type_id}:{self.target_id}"


class IdempotencyKey(models.Model):
    """A client's idempotency key and the record it produced (scope = service name)."""

    key = models.CharField(_("key"), max_length=64)
    scope = models.CharField(_("scope"), max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    result_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, verbose_name=_("result type")
    )
    result_id = models.PositiveBigIntegerField(_("result id"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="core_idempotency_scope_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class WorkdayOverride(models.Model):
    """A day whose working/non-working status the office sets by hand (工作日调整).

    Used for years the packaged official calendar does not cover yet (the State Council
    publishes each year's holiday schedule late in the year before), and to correct a day.
    Once any day of a year is entered here, that year counts as configured: its other days
    are working days Monday to Friday.
    """

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True, help_text=_("e.g. 春节"))

    class Meta:
        verbose_name = _("working-day adjustment")
        verbose_name_plural = _("working-day adjustments")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.note}"
