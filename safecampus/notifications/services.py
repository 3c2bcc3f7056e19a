"""Sending notifications (writes). Reads are in ``selectors.py``."""

from collections.abc import Iterable

from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from safecampus.core import clock

from .models import Delivery, Notification

MAX_EMAIL_ATTEMPTS = 3


def notification_send(
    *,
    recipients: Iterable,
    verb: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str = "",
    email: bool = True,
) -> list[Notification]:
    """Create one notification per recipient (skipping duplicates of ``dedupe_key``).

    ``title``/``body`` are already translated text. Deliveries: in-app is recorded as sent at
    once; e-mail is queued and sent by a task after the surrounding transaction commits.
    Returns the notifications created (recipients who already had ``dedupe_key`` are left out).
    """
    created: list[Notification] = []
    seen: set[int] = set()
    for recipient in recipients:
        if recipient is None or recipient.pk in seen or not recipient.is_active:
            continue
        seen.add(recipient.pk)
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient=recipient,
                    verb=verb,
                    title=title[:200],
                    body=body,
                    url=url,
                    dedupe_key=dedupe_key,
                )
        except IntegrityError:
            continue  # this recipient was already told (idempotent re-run)
        Delivery.objects.create(
            notification=notification,
            channel=Delivery.Channel.IN_APP,
            state=Delivery.State.SENT,
            attempts=1,
            sent_at=clock.now(),
        )
        if email:
            delivery = Delivery.objects.create(
                notification=notification,
                channel=Delivery.Channel.EMAIL,
                state=Delivery.State.PENDING if recipient.email else Delivery.State.SKIPPED,
            )
            if recipient.email:
                from .tasks import deliver_email

                transaction.on_commit(lambda pk=delivery.pk: deliver_email(pk))
        created.append(notification)
    return created


def delivery_attempt_email(*, delivery_id: int) -> Delivery:
    """Try to send one e-mail delivery; record the attempt, the state and any error.

    Safe to call twice: a delivery already SENT or FAILED is left alone. Raises nothing on a
    mail failure; the state says what happened (FAILED after MAX_EMAIL_ATTEMPTS).
    """
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("notification__recipient")
            .get(pk=delivery_id)
        )
        if delivery.state != Delivery.State.PENDING:
            return delivery
        notification = delivery.notification
        delivery.attempts += 1
        try:
            send_mail(
                subject=notification.title,
                message=notification.body or notification.title,
                from_email=None,
                recipient_list=[notification.recipient.email],
            )
        except Exception as exc:  # noqa: BLE001 - any transport error is recorded, not raised
            delivery.last_error = str(exc)[:2000]
            if delivery.attempts >= MAX_EMAIL_ATTEMPTS:
                delivery.state = Delivery.State.FAILED
        else:
            delivery.state = Delivery.State.SENT
            delivery.sent_at = clock.now()
            delivery.last_error = ""
        delivery.save(update_fields=["attempts", "state", "sent_at", "last_error", "updated_at"])
        return delivery


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, all) of ``user``'s unread notifications read; returns count."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=clock.now())
