"""Anti-fraud warnings (预警), reads: sent warnings with read %, one warning's receipts, the
warnings a person received, the live recipient count of an audience being composed."""

from __future__ import annotations

from safecampus.core.errors import DomainError
from safecampus.core.forms import id_or_none
from safecampus.notifications import selectors as alerts
from safecampus.notifications.audiences import audience_users
from safecampus.notifications.models import Alert

from ..services.warnings import TOPIC, audience_resolve, msg_no_recipients

#: The warnings whose read receipts the office follows here: anti-fraud warnings and those
#: sent from a police incident (topic "police", ``police.services.bulletins.WARNING_TOPIC``).
RECEIPT_TOPICS = (TOPIC, "police")


def warnings_sent():
    """Anti-fraud warnings and warnings sent from police incidents, newest first, with
    ``read_count`` (paginate)."""
    return alerts.alerts_sent(topics=RECEIPT_TOPICS)


def warning_get(pk) -> Alert | None:
    """One warning of :data:`RECEIPT_TOPICS` (sender and audience joined), or None (also for
    an id that is not one: junk, zero, too large for the database)."""
    pk = id_or_none(pk)
    if pk is None:
        return None
    return (Alert.objects.select_related("sent_by", "audience_campus", "audience_unit",
                                         "audience_class")
            .filter(pk=pk, topic__in=RECEIPT_TOPICS).first())


def warning_receipts(alert: Alert) -> dict:
    """See :func:`safecampus.notifications.selectors.alert_receipts`; adds ``reminded``
    (whether the unread were reminded already)."""
    from safecampus.core.models import ActivityEntry

    receipts = alerts.alert_receipts(alert)
    receipts["reminded"] = ActivityEntry.objects.filter(
        target_type__app_label="notifications", target_type__model="alert",
        target_id=alert.pk, verb="notifications.alert_remind").exists()
    return receipts


def warning_unread(alert: Alert):
    return alerts.alert_unread(alert)


def warnings_for(user):
    """``user``'s anti-fraud warnings (notifications with their alert), unread first."""
    return alerts.alerts_for_user(user, topic=TOPIC)


def warnings_unread_count(user) -> int:
    return alerts.alert_unread_count(user, topic=TOPIC)


def audience_count(**audience) -> tuple[int | None, str]:
    """``(number of people, "")`` an audience reaches now, ``(None, message)`` when it is
    incomplete (the first problem, translated), or ``(0, message)`` when it matches no one
    (it cannot be sent: :func:`..services.warnings.warning_send` refuses it)."""
    try:
        resolved = audience_resolve(**audience)
    except DomainError as error:
        return None, error.message
    kind = resolved.pop("kind")
    count = audience_users(kind=kind, **resolved).count()
    return count, ("" if count else msg_no_recipients())
