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
    """Mark one (or, with no id, all) of ``user``'s unread notifications read; returns count.

    Warnings (预警, notifications with an ``alert``) are left alone: their ``read_at`` is the
    read receipt the sender counts, so only opening the warning and confirming it
    (:func:`alert_mark_read`) marks one read, never "mark all read" in the inbox. Reminders
    of a warning are ordinary notifications and are marked here."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True, alert__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=clock.now())


# --- targeted warnings (预警) with read receipts ----------------------------------------------
#: Rows per INSERT when an alert fans out (a whole university is tens of thousands of rows).
ALERT_BATCH = 2000
ALERT_VERB = "notifications.alert"
ALERT_REMINDER_VERB = "notifications.alert_reminder"


def alert_dedupe_key(alert_id: int) -> str:
    """The dedupe key of an alert's notification (one per recipient and alert)."""
    return f"alert:{alert_id}"


def notification_send_bulk(
    *,
    recipients: Iterable[tuple[int, str]],
    verb: str,
    title: str,
    dedupe_key: str,
    body: str = "",
    url: str = "",
    alert=None,
    email: bool = False,
    batch_size: int = ALERT_BATCH,
) -> int:
    """Notify many people at once: ``recipients`` are ``(user id, e-mail)`` pairs (ids of
    active users; the caller filters). One :class:`Notification` per person with an in-app
    :class:`Delivery` (sent), written with bulk INSERTs of ``batch_size`` rows — tens of
    thousands of people are a few dozen statements, unlike :func:`notification_send`.

    ``dedupe_key`` is required: people who already have a notification with it are skipped
    (a repeated or overlapping run tells nobody twice). ``alert``: the :class:`Alert` the
    notifications belong to (read receipts). ``email``: also an e-mail delivery (pending, or
    skipped without an address), sent by the task after the surrounding transaction commits.
    ``title``/``body`` are already translated. Returns how many were notified.
    """
    total = 0
    email_ids: list[int] = []
    batch: list[tuple[int, str]] = []

    def flush() -> int:
        wanted = dict(batch)
        told = set(Notification.objects.filter(dedupe_key=dedupe_key, recipient_id__in=wanted)
                   .values_list("recipient_id", flat=True))
        rows = Notification.objects.bulk_create(
            [Notification(recipient_id=pk, verb=verb, title=title[:200], body=body,
                          url=url[:300], dedupe_key=dedupe_key, alert=alert)
             for pk in wanted if pk not in told], batch_size=batch_size)
        if any(row.pk is None for row in rows):  # a backend without RETURNING
            ids = dict(Notification.objects.filter(
                dedupe_key=dedupe_key, recipient_id__in=[row.recipient_id for row in rows]
            ).values_list("recipient_id", "pk"))
            for row in rows:
                row.pk = ids[row.recipient_id]
        now = clock.now()
        deliveries = [Delivery(notification_id=row.pk, channel=Delivery.Channel.IN_APP,
                               state=Delivery.State.SENT, attempts=1, sent_at=now)
                      for row in rows]
        if email:
            deliveries += [Delivery(notification_id=row.pk, channel=Delivery.Channel.EMAIL,
                                    state=(Delivery.State.PENDING if wanted[row.recipient_id]
                                           else Delivery.State.SKIPPED))
                           for row in rows]
        created = Delivery.objects.bulk_create(deliveries, batch_size=batch_size)
        if any(d.pk is None for d in created) and email:
            created = Delivery.objects.filter(
                notification_id__in=[row.pk for row in rows], channel=Delivery.Channel.EMAIL)
        email_ids.extend(d.pk for d in created if d.channel == Delivery.Channel.EMAIL
                         and d.state == Delivery.State.PENDING)
        return len(rows)

    for row in recipients:
        batch.append(row)
        if len(batch) >= batch_size:
            total += flush()
            batch = []
    if batch:
        total += flush()
    if email_ids:
        from .tasks import deliver_email

        def queue(ids=tuple(email_ids)):
            for pk in ids:
                deliver_email(pk)

        transaction.on_commit(queue)
    return total


def alert_send(
    *,
    sender,
    title: str,
    body: str,
    level: str,
    topic: str = "",
    url: str = "",
    audience_kind: str,
    audience_campus_id: int | None = None,
    audience_unit_id: int | None = None,
    audience_year: int | None = None,
    audience_class_id: int | None = None,
    reading_url=None,
):
    """Send a warning to one audience: create the :class:`Alert` (``sent_at`` now,
    ``recipient_count`` fixed) and one :class:`Notification` per active user in the audience
    (verb ``notifications.alert``, ``alert`` set, dedupe key ``alert:<id>``) with an in-app
    :class:`Delivery` each, in batches of :data:`ALERT_BATCH` rows (bulk INSERTs: a campus of
    30,000 people is a few dozen statements). E-mail deliveries only for level ``urgent``,
    queued after commit. ``reading_url(alert)`` gives each notification's link (default the
    inbox's reading page of the alert).

    The caller checks who may send (this is the shared capability: education and police use
    it); texts are stored as given (translate them before). Raises DomainError (field errors
    ``audience_*``) for an incomplete audience. Writes ActivityEntry ``notifications.alert_send``
    on the alert. Returns the alert.
    """
    from django.urls import reverse

    from safecampus.core.activity import activity_record
    from safecampus.notifications.audiences import audience_users

    from .models import Alert

    audience = {"kind": audience_kind, "campus_id": audience_campus_id,
                "unit_id": audience_unit_id, "year": audience_year,
                "class_id": audience_class_id}
    people = audience_users(**audience).order_by("pk").values_list("pk", "email")
    urgent = level == Alert.Level.URGENT
    with transaction.atomic():
        alert = Alert.objects.create(
            title=title[:200], body=body, level=level, topic=topic[:32], url=url[:300],
            sent_by=sender if sender is not None and sender.is_authenticated else None,
            sent_at=clock.now(), audience_kind=audience_kind,
            audience_campus_id=audience_campus_id, audience_unit_id=audience_unit_id,
            audience_year=audience_year, audience_class_id=audience_class_id)
        link = (reading_url(alert) if reading_url is not None
                else reverse("notifications:alert", args=[alert.pk]))[:300]
        # ids and e-mails only: small even for 30,000 people
        total = notification_send_bulk(
            recipients=list(people), verb=ALERT_VERB, title=alert.title, body=body, url=link,
            dedupe_key=alert_dedupe_key(alert.pk), alert=alert, email=urgent)
        alert.recipient_count = total
        alert.save(update_fields=["recipient_count", "updated_at"])
        activity_record(target=alert, actor=sender, verb="notifications.alert_send",
                        to_state="sent", comment=alert.title,
                        data={"recipients": total, "level": level, "audience": audience_kind})
    return alert


def alert_remind_unread(*, actor, alert_id: int, title: str, body: str = "",
                        url: str = "") -> int:
    """Send one reminder (in-app) to every recipient of alert ``alert_id`` who has not read
    it yet (verb ``notifications.alert_reminder``, dedupe key ``alert-reminder:<id>``).

    Once per alert: a second call raises Conflict (code ``already_reminded``). The caller
    checks the permission and translates ``title``/``body``. Returns how many were reminded
    (ActivityEntry ``notifications.alert_remind`` on the alert with that number).
    """
    from django.utils.translation import gettext as _

    from safecampus.core.activity import activity_record
    from safecampus.core.errors import Conflict
    from safecampus.core.models import ActivityEntry

    from .models import Alert

    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert_id)
        if ActivityEntry.objects.filter(
            target_type__app_label="notifications", target_type__model="alert",
            target_id=alert.pk, verb="notifications.alert_remind",
        ).exists():
            raise Conflict(_("The unread recipients of this warning were already reminded; "
                             "a warning is reminded only once."), code="already_reminded")
        unread = (Notification.objects.filter(alert=alert, read_at__isnull=True,
                                              recipient__is_active=True)
                  .order_by("pk").values_list("recipient_id", flat=True))
        total = notification_send_bulk(
            recipients=[(pk, "") for pk in unread], verb=ALERT_REMINDER_VERB, title=title,
            body=body, url=url, dedupe_key=f"alert-reminder:{alert.pk}")
        activity_record(target=alert, actor=actor, verb="notifications.alert_remind",
                        comment=title, data={"reminded": total})
    return total


def alert_mark_read(*, user, alert_id: int):
    """Mark ``user``'s notification of alert ``alert_id`` read (the read receipt), once: the
    first reading time is kept. Returns the notification, or None when ``user`` is not a
    recipient (or ``alert_id`` is None). Reminders of that alert are marked read with it.
    Called by a deliberate action of the recipient (a POST), never by showing the alert."""
    if alert_id is None:
        return None
    with transaction.atomic():
        notification = (Notification.objects.select_for_update()
                         .filter(recipient=user, alert_id=alert_id).first()
                         if getattr(user, "is_authenticated", False) else None)
        if notification is None:
            return None
        if notification.read_at is None:
            notification.read_at = clock.now()
            notification.save(update_fields=["read_at", "updated_at"])
            Notification.objects.filter(recipient=user, dedupe_key=f"alert-reminder:{alert_id}",
                                        read_at__isnull=True).update(read_at=notification.read_at)
    return notification
