"""Sending notifications (writes). Reads are in ``selectors.py``.

Channels: the in-app inbox (recorded as sent at once), e-mail, SMS (when the user turned it
on and has a phone number) and group robots (WeCom, DingTalk, Feishu; per topic, not per
person). Every outgoing message is one row with its own state — a :class:`Delivery` per
recipient and channel, a :class:`RobotMessage` per robot, a :class:`Digest` per user and
day — so a failure on one never marks another failed, and a re-run never resends what was
sent. Failed attempts are retried after :data:`BACKOFF` (1, 5, 30 minutes); the
:data:`MAX_ATTEMPTS`-th (4th) failure is final.
"""

import datetime as dt
import mimetypes
import posixpath
import re
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from safecampus.core import clock

from .models import (
    Attempts,
    Delivery,
    Digest,
    GroupRobot,
    Notification,
    NotificationPreference,
    RobotMessage,
)
from .sms import DeliveryError, sms_provider

#: Waits after the 1st, 2nd and 3rd failed attempt; the 4th failure is final (FAILED).
BACKOFF = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30))
MAX_ATTEMPTS = len(BACKOFF) + 1
#: Kept for callers of the former e-mail-only path.
MAX_EMAIL_ATTEMPTS = MAX_ATTEMPTS
#: MIME types the platform attaches that not every system's table knows.
_MIME_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
}


# --- preferences and quiet hours ----------------------------------------------------------
def quiet_until(pref, at: dt.datetime) -> dt.datetime | None:
    """When the quiet hours of ``pref`` that contain ``at`` end (aware), or None when ``at``
    (aware, any zone) is outside them or there are none. Quiet hours are Asia/Shanghai local
    times, start inclusive and end exclusive, and may wrap midnight (22:00–07:00)."""
    start, end = (pref.quiet_start, pref.quiet_end) if pref is not None else (None, None)
    if start is None or end is None or start == end:
        return None
    zone = clock.local_zone()
    local = at.astimezone(zone)
    t, day = local.time().replace(tzinfo=None), local.date()
    if start < end:
        inside, end_day = start <= t < end, day
    elif t >= start:  # wraps midnight, evening part: ends tomorrow
        inside, end_day = True, day + dt.timedelta(days=1)
    else:  # wraps midnight, morning part
        inside, end_day = t < end, day
    return dt.datetime.combine(end_day, end, tzinfo=zone) if inside else None


def _channel_plans(recipient, pref, *, urgent: bool, email: bool, now: dt.datetime,
                   attachments: bool = False) -> list:
    """``[(channel, state, next_attempt_at, reason)]`` for ``recipient``'s e-mail and SMS
    deliveries by their preference (None: the defaults). Urgent notifications and those
    with ``attachments`` are never held for the digest."""
    pref = pref or NotificationPreference()
    if not email:
        return []
    held = None if urgent else quiet_until(pref, now)
    plans = []
    if not getattr(recipient, "email", ""):
        plans.append((Delivery.Channel.EMAIL, Delivery.State.SKIPPED, None,
                      _("The recipient has no e-mail address.")))
    elif not pref.email_enabled:
        plans.append((Delivery.Channel.EMAIL, Delivery.State.SKIPPED, None,
                      _("E-mail is turned off in the recipient's preferences.")))
    elif pref.digest and not urgent and not attachments:
        plans.append((Delivery.Channel.EMAIL, Delivery.State.HELD, digest_next(pref, now), ""))
    else:
        plans.append((Delivery.Channel.EMAIL, Delivery.State.PENDING, held or now, ""))
    if pref.sms_enabled and getattr(recipient, "phone", ""):
        plans.append((Delivery.Channel.SMS, Delivery.State.PENDING, held or now, ""))
    return plans


def _queue(delivery_ids: Sequence[int], robot_ids: Sequence[int] = ()) -> None:
    """Hand due deliveries and robot messages to the task consumer after commit."""
    if not delivery_ids and not robot_ids:
        return
    from .tasks import deliver, deliver_robot

    def run(ids=tuple(delivery_ids), rids=tuple(robot_ids)):
        for pk in ids:
            deliver(pk)
        for pk in rids:
            deliver_robot(pk)

    transaction.on_commit(run)


def notification_send(
    *,
    recipients: Iterable,
    verb: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str = "",
    email: bool = True,
    urgent: bool = False,
    attachments: Sequence[str] = (),
    private: bool = False,
) -> list[Notification]:
    """Create one notification per recipient (skipping duplicates of ``dedupe_key``).

    ``title``/``body`` are already translated text. Deliveries: in-app is recorded as sent at
    once. With ``email`` (default), by each recipient's :class:`NotificationPreference`: an
    e-mail delivery (skipped without an address or with e-mail turned off; held for the daily
    digest when the user chose it) and an SMS delivery (only when the user turned SMS on and
    has a phone number). In the recipient's quiet hours (Asia/Shanghai) e-mail and SMS wait
    until the quiet hours end; ``urgent`` ones go at once and are never held for the digest.
    Due deliveries are sent by a task after the surrounding transaction commits; the others
    by the periodic sender (:func:`deliveries_send_due`).

    ``attachments``: default-storage names of files attached to the e-mail (file name = the
    name's last part, MIME type from its extension); a file missing when the e-mail is sent
    fails that e-mail delivery with the reason, other channels are unaffected; such
    notifications are never held for the digest. ``private``: it tells the sender of an
    anonymous report about it — the delivery log and the admin never show its recipient
    or text. Returns the notifications created (recipients who already had ``dedupe_key`` are left out).
    """
    people = []
    seen: set[int] = set()
    for recipient in recipients:
        if recipient is None or recipient.pk in seen or not recipient.is_active:
            continue
        seen.add(recipient.pk)
        people.append(recipient)
    prefs = ({p.user_id: p for p in NotificationPreference.objects.filter(
        user_id__in=[p.pk for p in people])} if email and people else {})
    created: list[Notification] = []
    due: list[int] = []
    now = clock.now()
    for recipient in people:
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient=recipient,
                    verb=verb,
                    title=title[:200],
                    body=body,
                    url=url,
                    dedupe_key=dedupe_key,
                    urgent=urgent,
                    attachments=[str(name) for name in attachments],
                    private=private,
                )
        except IntegrityError:
            continue  # this recipient was already told (idempotent re-run)
        Delivery.objects.create(
            notification=notification,
            channel=Delivery.Channel.IN_APP,
            state=Delivery.State.SENT,
            attempts=1,
            sent_at=now,
        )
        for channel, state, next_at, reason in _channel_plans(
                recipient, prefs.get(recipient.pk), urgent=urgent, email=email, now=now,
                attachments=bool(attachments)):
            delivery = Delivery.objects.create(notification=notification, channel=channel,
                                               state=state, next_attempt_at=next_at,
                                               last_error=reason)
            if state == Delivery.State.PENDING and next_at <= now:
                due.append(delivery.pk)
        created.append(notification)
    _queue(due)
    return created


# --- attempts -----------------------------------------------------------------------------
def _record_failure(row: Attempts, reason: str, *, now: dt.datetime,
                    permanent: bool = False) -> None:
    """After a failed attempt (``row.attempts`` already counted): keep the reason and wait
    the back-off, or give up after the last attempt (or at once when ``permanent``)."""
    row.last_error = reason[:2000]
    if permanent or row.attempts >= MAX_ATTEMPTS:
        row.state = Attempts.State.FAILED
        row.next_attempt_at = None
    else:
        row.next_attempt_at = now + BACKOFF[row.attempts - 1]


def _absolute(url: str) -> str:
    """``url`` made absolute with ``SAFECAMPUS["PUBLIC_URL"]`` ("" stays "")."""
    if not url or "://" in url:
        return url
    return settings.SAFECAMPUS["PUBLIC_URL"] + ("" if url.startswith("/") else "/") + url


def _attachment(name: str) -> tuple[str, bytes, str]:
    """``(file name, content, MIME type)`` of default-storage file ``name``; DeliveryError
    (permanent) when it is missing or unreadable."""
    try:
        with default_storage.open(name, "rb") as handle:
            content = handle.read()
    except (OSError, ValueError) as exc:
        raise DeliveryError(_("The attachment %(name)s is missing.") % {"name": name},
                            permanent=True) from exc
    filename = posixpath.basename(name.replace("\\", "/"))
    ext = posixpath.splitext(filename)[1].lower()
    mime = _MIME_TYPES.get(ext) or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return filename, content, mime


def _send_email(delivery: Delivery) -> str:
    notification = delivery.notification
    address = notification.recipient.email
    if not address:
        raise DeliveryError(_("The recipient has no e-mail address."), permanent=True)
    files = [_attachment(name) for name in notification.attachments or []]
    text = notification.body or notification.title
    link = _absolute(notification.url)
    if link:
        text = f"{text}\n\n{link}"
    message = EmailMessage(subject=notification.title, body=text, to=[address])
    for filename, content, mime in files:
        message.attach(filename, content, mime)
    message.send()
    return ""


def _send_sms(delivery: Delivery) -> str:
    notification = delivery.notification
    phone = notification.recipient.phone
    if not phone:
        raise DeliveryError(_("The recipient has no phone number."), permanent=True)
    return sms_provider().send(phone, notification.title)


SENDERS = {Delivery.Channel.EMAIL: _send_email, Delivery.Channel.SMS: _send_sms}


def _due(qs, now: dt.datetime):
    return qs.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
                     state=Attempts.State.PENDING)


def _lease() -> dt.timedelta:
    """How long a claimed message is reserved for the worker sending it (longer than any
    send may take: the e-mail, webhook and SMS timeouts)."""
    return dt.timedelta(seconds=settings.SAFECAMPUS.get("SEND_LEASE_SECONDS", 300))


def _attempt(model, pk: int, send, *, one_shot=lambda row: False):
    """Claim, send, record — the one way an e-mail, SMS, robot message or digest is tried.

    1. Claim in a short transaction: a conditional UPDATE of the row if it is PENDING and
       due sets a lease (``next_attempt_at`` = now + :func:`_lease`) and counts the attempt;
       no row updated means it is not due, sent, or another worker holds it → returned as is.
    2. ``send(row)`` outside any transaction (no database lock is held while SMTP, a webhook
       or the SMS API answers — on SQLite the single write lock stays free). It returns the
       provider's reference ("" if none) or raises (:class:`DeliveryError` with a reason).
    3. Record the outcome in a second short transaction, only if this worker's claim still
       holds (same attempt count, still PENDING).
    ``one_shot(row)``: a failure is final at once (a robot's test message).
    Returns the row as it is afterwards. Never raises for a failed send."""
    from django.db.models import F

    now = clock.now()
    with transaction.atomic():
        claimed = _due(model.objects.filter(pk=pk), now).update(
            next_attempt_at=now + _lease(), attempts=F("attempts") + 1, updated_at=now)
    if not claimed:
        return model.objects.get(pk=pk)
    row = model.objects.get(pk=pk)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            reference = send(row)
        except DeliveryError as exc:
            _record_failure(row, exc.reason, now=clock.now(),
                            permanent=exc.permanent or one_shot(row))
        except Exception as exc:  # noqa: BLE001 - any transport error is recorded, not raised
            _record_failure(row, str(exc) or type(exc).__name__, now=clock.now(),
                            permanent=one_shot(row))
        else:
            row.state = Attempts.State.SENT
            row.sent_at = clock.now()
            row.next_attempt_at = None
            row.last_error = ""
            if isinstance(reference, str) and hasattr(row, "reference"):
                row.reference = reference[:100]
            elif isinstance(reference, str) and hasattr(row, "response"):
                row.response = reference
    fields = {"state": row.state, "sent_at": row.sent_at, "last_error": row.last_error,
              "next_attempt_at": row.next_attempt_at, "updated_at": clock.now()}
    for extra in ("reference", "response"):
        if hasattr(row, extra):
            fields[extra] = getattr(row, extra)
    with transaction.atomic():
        model.objects.filter(pk=pk, state=Attempts.State.PENDING,
                             attempts=row.attempts).update(**fields)
    row.refresh_from_db()
    return row


def delivery_attempt(*, delivery_id: int) -> Delivery:
    """Try one e-mail or SMS delivery now, by its channel's sender; record the attempt.

    Only a PENDING delivery that is due (``next_attempt_at`` empty or past) is tried; any
    other is returned unchanged, so calling twice never resends what was sent. The row is
    claimed with a lease before sending and the send runs outside any transaction (see
    :func:`_attempt`): a delivery another worker is sending is skipped. A failure never
    raises: ``last_error`` says why, ``next_attempt_at`` is the back-off, and the 4th failure
    (or one retrying cannot help) marks it FAILED. Other channels' deliveries of the
    notification are not touched.
    """
    def send(delivery: Delivery) -> str:
        if delivery.channel not in SENDERS:
            raise DeliveryError(_("This channel is not sent by the platform."), permanent=True)
        delivery = Delivery.objects.select_related("notification__recipient").get(
            pk=delivery.pk)
        return SENDERS[delivery.channel](delivery)

    if not Delivery.objects.filter(pk=delivery_id, channel__in=list(SENDERS)).exists():
        return Delivery.objects.get(pk=delivery_id)
    return _attempt(Delivery, delivery_id, send)


def delivery_attempt_email(*, delivery_id: int) -> Delivery:
    """The former e-mail-only entry point: :func:`delivery_attempt`."""
    return delivery_attempt(delivery_id=delivery_id)


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
    urgent: bool = False,
    batch_size: int = ALERT_BATCH,
    private: bool = False,
) -> int:
    """Notify many people at once: ``recipients`` are ``(user id, e-mail)`` pairs (ids of
    active users; the caller filters). One :class:`Notification` per person with an in-app
    :class:`Delivery` (sent), written with bulk INSERTs of ``batch_size`` rows — tens of
    thousands of people are a few dozen statements, unlike :func:`notification_send`.

    ``dedupe_key`` is required: people who already have a notification with it are skipped
    (a repeated or overlapping run tells nobody twice). ``alert``: the :class:`Alert` the
    notifications belong to (read receipts). ``email``: also e-mail and SMS deliveries by each
    person's preferences, quiet hours and digest choice, as :func:`notification_send` does
    (one more query per batch); due ones are sent by the task after the surrounding
    transaction commits. ``urgent``: ignore quiet hours and the digest. ``private``: as in
    :func:`notification_send` (about an anonymous report).
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
                          url=url[:300], dedupe_key=dedupe_key, alert=alert, urgent=urgent,
                          private=private)
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
        if email and rows:
            prefs = {p.user_id: p for p in NotificationPreference.objects.filter(
                user_id__in=[row.recipient_id for row in rows]).select_related("user")}
            for row in rows:
                pref = prefs.get(row.recipient_id)
                person = (pref.user if pref is not None
                          else _Person(email=wanted[row.recipient_id]))
                for channel, state, next_at, reason in _channel_plans(
                        person, pref, urgent=urgent, email=True, now=now):
                    deliveries.append(Delivery(notification_id=row.pk, channel=channel,
                                               state=state, next_attempt_at=next_at,
                                               last_error=reason))
        created = Delivery.objects.bulk_create(deliveries, batch_size=batch_size)
        if any(d.pk is None for d in created) and email:
            created = Delivery.objects.filter(
                notification_id__in=[row.pk for row in rows]).exclude(
                channel=Delivery.Channel.IN_APP)
        email_ids.extend(d.pk for d in created if d.channel != Delivery.Channel.IN_APP
                         and d.state == Delivery.State.PENDING and d.next_attempt_at <= now)
        return len(rows)

    for row in recipients:
        batch.append(row)
        if len(batch) >= batch_size:
            total += flush()
            batch = []
    if batch:
        total += flush()
    _queue(email_ids)
    return total


class _Person:
    """A recipient known only by address (bulk sends without a preference row)."""

    phone = ""

    def __init__(self, *, email: str):
        self.email = email


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
            dedupe_key=alert_dedupe_key(alert.pk), alert=alert, email=urgent, urgent=urgent)
        alert.recipient_count = total
        alert.save(update_fields=["recipient_count", "updated_at"])
        activity_record(target=alert, actor=sender, verb="notifications.alert_send",
                        to_state="sent", comment=alert.title,
                        data={"recipients": total, "level": level, "audience": audience_kind})
        robot_broadcast(topic=GroupRobot.Topic.ALERTS, title=alert.title, body=body,
                        url=link, campus_id=audience_campus_id, urgent=urgent)
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


# --- group robots -------------------------------------------------------------------------
#: Topic of a robot's test message (one attempt, no retries).
ROBOT_TEST_TOPIC = "test"


def robot_broadcast(*, topic: str, title: str, body: str = "", url: str = "",
                    campus_id: int | None = None, urgent: bool = False) -> list[RobotMessage]:
    """Queue one :class:`RobotMessage` for every active robot subscribed to ``topic``
    (a ``GroupRobot.Topic``) whose campus is ``campus_id`` or empty (all campuses); a
    message without a campus goes to every subscribed robot. ``title``/``body`` are already
    translated; ``url`` may be a path (made absolute with ``SAFECAMPUS["PUBLIC_URL"]``).
    Sent by a task after the surrounding transaction commits, retried with back-off.
    Returns the messages queued (none when no robot listens)."""
    robots = [robot for robot in GroupRobot.objects.filter(active=True)
              if topic in (robot.topics or [])
              and (campus_id is None or robot.campus_id in (None, campus_id))]
    if not robots:
        return []
    now = clock.now()
    messages = [RobotMessage.objects.create(
        robot=robot, topic=topic, title=title[:200], body=body, url=_absolute(url)[:500],
        urgent=urgent, next_attempt_at=now) for robot in robots]
    _queue((), [m.pk for m in messages])
    return messages


def robot_message_attempt(*, message_id: int) -> RobotMessage:
    """Post robot message ``message_id`` now if it is PENDING and due; record the attempt
    (state, ``response``, ``last_error``, back-off) as :func:`delivery_attempt` does. A test
    message (:data:`ROBOT_TEST_TOPIC`) is tried once. Never raises for a failed post."""
    from .robots import robot_post

    def send(message: RobotMessage) -> str:
        robot = message.robot
        return robot_post(kind=robot.kind, url=robot.webhook_url, secret=robot.secret,
                          title=message.title, body=message.body, link=message.url)

    def fetch(pk):
        return RobotMessage.objects.select_related("robot").get(pk=pk)

    _attempt(RobotMessage, message_id, lambda m: send(fetch(m.pk)),
             one_shot=lambda m: m.topic == ROBOT_TEST_TOPIC)
    return fetch(message_id)


def _robot_fields(*, name: str, kind: str, webhook_url: str, secret: str, topics,
                  campus_id) -> dict:
    """Checked robot fields; DomainError with field errors for bad input."""
    from safecampus.core.errors import raise_field_errors
    from safecampus.organisation.models import Campus

    from .robots import host_problem, url_problem

    errors: dict[str, list[str]] = {}
    name, webhook_url, secret = name.strip(), webhook_url.strip(), secret.strip()
    if not name:
        errors["name"] = [_("Give the robot a name.")]
    elif len(name) > 100:
        errors["name"] = [_("At most %(limit)d characters.") % {"limit": 100}]
    if kind not in GroupRobot.Kind.values:
        errors["kind"] = [_("Choose the kind of robot.")]
    if len(webhook_url) > 500:
        errors["webhook_url"] = [_("At most %(limit)d characters.") % {"limit": 500}]
    else:
        problem = url_problem(webhook_url, resolve=False) or (
            host_problem(kind, webhook_url) if kind in GroupRobot.Kind.values else "")
        if problem:
            errors["webhook_url"] = [problem]
    if len(secret) > 200:
        errors["secret"] = [_("At most %(limit)d characters.") % {"limit": 200}]
    topics = list(dict.fromkeys(topics or []))
    if any(t not in GroupRobot.Topic.values for t in topics):
        errors["topics"] = [_("Choose topics from the list.")]
    elif not topics:
        errors["topics"] = [_("Choose at least one topic.")]
    if campus_id is not None and not Campus.objects.filter(pk=campus_id).exists():
        errors["campus"] = [_("Choose a campus from the list.")]
    raise_field_errors(errors)
    return {"name": name, "kind": kind, "webhook_url": webhook_url, "secret": secret,
            "topics": topics, "campus_id": campus_id}


def robot_save(*, actor, robot_id: int | None = None, name: str, kind: str,
               webhook_url: str | None, secret: str | None = "",
               topics: Sequence[str] = (), campus_id: int | None = None,
               active: bool = True) -> GroupRobot:
    """Create (``robot_id`` None) or change a group robot. Needs
    ``notifications.manage_channels``; DomainError (field errors) for an empty or taken
    name, no topic, a webhook URL not on the kind's host (:func:`robots.host_problem`)
    or not https with a host (http only with ``ROBOT_ALLOW_HTTP``), an
    internal address (``ROBOT_ALLOW_PRIVATE``), an unknown kind, topic or campus.
    When changing a robot, ``webhook_url`` or ``secret`` None (or "" for the URL) keeps the
    stored one — the page never shows them. ActivityEntry ``notifications.robot_save``.
    Returns the robot."""
    from safecampus.core.activity import activity_record
    from safecampus.core.errors import perm_require

    perm_require(actor, "notifications.manage_channels")
    stored = (GroupRobot.objects.filter(pk=robot_id).values("webhook_url", "secret").first()
              if robot_id is not None else None) or {"webhook_url": "", "secret": ""}
    if not (webhook_url or "").strip():
        webhook_url = stored["webhook_url"]
    if secret is None:
        secret = stored["secret"]
    fields = _robot_fields(name=name, kind=kind, webhook_url=webhook_url, secret=secret,
                           topics=topics, campus_id=campus_id)
    if GroupRobot.objects.filter(name__iexact=fields["name"]).exclude(pk=robot_id).exists():
        from safecampus.core.errors import raise_field_errors

        raise_field_errors({"name": [_("Another group robot already has this name.")]})
    with transaction.atomic():
        if robot_id is None:
            robot = GroupRobot.objects.create(active=active, **fields)
            before = ""
        else:
            robot = GroupRobot.objects.select_for_update().get(pk=robot_id)
            before = "active" if robot.active else "inactive"
            for key, value in fields.items():
                setattr(robot, key, value)
            robot.active = active
            robot.save()
        activity_record(target=robot, actor=actor, verb="notifications.robot_save",
                        from_state=before, to_state="active" if active else "inactive",
                        comment=robot.name)
    return robot


def robot_deactivate(*, actor, robot_id: int) -> GroupRobot:
    """Stop sending to a robot (its messages stay in the log). Needs
    ``notifications.manage_channels``; ActivityEntry ``notifications.robot_deactivate``."""
    from safecampus.core.activity import activity_record
    from safecampus.core.errors import perm_require

    perm_require(actor, "notifications.manage_channels")
    with transaction.atomic():
        robot = GroupRobot.objects.select_for_update().get(pk=robot_id)
        if robot.active:
            robot.active = False
            robot.save(update_fields=["active", "updated_at"])
            activity_record(target=robot, actor=actor, verb="notifications.robot_deactivate",
                            from_state="active", to_state="inactive", comment=robot.name)
    return robot


def robot_reactivate(*, actor, robot_id: int) -> GroupRobot:
    """Send to a deactivated robot again. Needs ``notifications.manage_channels``;
    ActivityEntry ``notifications.robot_reactivate`` (nothing when it is already active)."""
    from safecampus.core.activity import activity_record
    from safecampus.core.errors import perm_require

    perm_require(actor, "notifications.manage_channels")
    with transaction.atomic():
        robot = GroupRobot.objects.select_for_update().get(pk=robot_id)
        if not robot.active:
            robot.active = True
            robot.save(update_fields=["active", "updated_at"])
            activity_record(target=robot, actor=actor, verb="notifications.robot_reactivate",
                            from_state="inactive", to_state="active", comment=robot.name)
    return robot


def robot_test(*, actor, robot_id: int) -> RobotMessage:
    """Send a test message to robot ``robot_id`` now (also an inactive one) and return it
    with the outcome: SENT, or FAILED with the reason (one attempt, no retries). Needs
    ``notifications.manage_channels``."""
    from safecampus.core.errors import perm_require

    perm_require(actor, "notifications.manage_channels")
    robot = GroupRobot.objects.get(pk=robot_id)
    with translation.override(settings.LANGUAGE_CODE):
        message = RobotMessage.objects.create(
            robot=robot, topic=ROBOT_TEST_TOPIC,
            title=_("SafeCampus test message"),
            body=_("This group will receive SafeCampus notifications."),
            url=_absolute("/"), next_attempt_at=clock.now())
    return robot_message_attempt(message_id=message.pk)


# --- retries and the periodic sender ------------------------------------------------------
def _retry(model, *, actor, pk: int):
    from safecampus.core.errors import Conflict, perm_require

    perm_require(actor, "notifications.manage_channels")
    with transaction.atomic():
        row = model.objects.select_for_update().get(pk=pk)
        if row.state != Attempts.State.FAILED:
            raise Conflict(_("Only a failed message can be sent again."), code="not_failed")
        row.state = Attempts.State.PENDING
        row.attempts = 0
        row.next_attempt_at = clock.now()
        row.save(update_fields=["state", "attempts", "next_attempt_at", "updated_at"])
    return row


def delivery_retry(*, actor, delivery_id: int) -> Delivery:
    """Send a FAILED e-mail/SMS delivery again now (attempts start over, the last reason is
    kept until the next attempt). Needs ``notifications.manage_channels``; Conflict
    (``not_failed``) for any other state. Returns the delivery after the attempt."""
    _retry(Delivery, actor=actor, pk=delivery_id)
    return delivery_attempt(delivery_id=delivery_id)


def robot_message_retry(*, actor, message_id: int) -> RobotMessage:
    """:func:`delivery_retry` for a robot message."""
    _retry(RobotMessage, actor=actor, pk=message_id)
    return robot_message_attempt(message_id=message_id)


def digest_retry(*, actor, digest_id: int) -> Digest:
    """:func:`delivery_retry` for a daily digest."""
    _retry(Digest, actor=actor, pk=digest_id)
    return digest_attempt(digest_id=digest_id)


def deliveries_send_due(*, limit: int = 500) -> dict[str, int]:
    """Try every e-mail/SMS delivery, robot message and digest that is PENDING and due
    (``next_attempt_at`` empty or not after now), oldest first, up to ``limit`` of each.
    Idempotent: what was sent is never due again; rows another worker holds are skipped.
    Returns ``{"deliveries", "robot_messages", "digests"}``: how many were tried."""
    now = clock.now()
    ids = list(_due(Delivery.objects.filter(channel__in=list(SENDERS)), now)
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    for pk in ids:
        delivery_attempt(delivery_id=pk)
    robot_ids = list(_due(RobotMessage.objects.all(), now)
                     .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    for pk in robot_ids:
        robot_message_attempt(message_id=pk)
    digest_ids = list(_due(Digest.objects.all(), now)
                      .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    for pk in digest_ids:
        digest_attempt(digest_id=pk)
    return {"deliveries": len(ids), "robot_messages": len(robot_ids),
            "digests": len(digest_ids)}


# --- daily digest -------------------------------------------------------------------------
def digest_time(pref, day: dt.date) -> dt.datetime:
    """When the daily digest of local ``day`` goes out for the user of ``pref`` (None: the
    defaults), aware: ``SAFECAMPUS["DIGEST_HOUR"]`` o'clock Asia/Shanghai (08:00), or the
    end of the user's quiet hours when that hour falls inside them."""
    at = dt.datetime.combine(day, dt.time(settings.SAFECAMPUS["DIGEST_HOUR"]),
                             tzinfo=clock.local_zone())
    return quiet_until(pref, at) or at


def digest_next(pref, at: dt.datetime) -> dt.datetime:
    """The first :func:`digest_time` after ``at`` (aware): today's if it is still to come,
    else tomorrow's — when an e-mail held at ``at`` goes out in a digest."""
    day = at.astimezone(clock.local_zone()).date()
    today = digest_time(pref, day)
    return today if at < today else digest_time(pref, day + dt.timedelta(days=1))


def digests_send() -> int:
    """Make the daily digests that are due (Asia/Shanghai day). An e-mail held for the
    digest waits until its ``next_attempt_at`` — the user's :func:`digest_time` (08:00, or
    the end of their quiet hours) after it was held, see :func:`digest_next`. For every user
    with held e-mail deliveries that are due and no digest today: one :class:`Digest`
    (unique per user and day) with those deliveries, marked DIGESTED with a reference to
    it; the e-mail is sent after commit (retried like any other). What is held after the
    digest time waits for tomorrow's, so a later run never sends a second, small digest the
    same day; a run after a pause catches up. Re-runs and overlapping runs send nothing
    twice. Returns how many digests were made."""
    now = clock.now()
    today = clock.local_today()
    due = (Delivery.objects.filter(channel=Delivery.Channel.EMAIL, state=Delivery.State.HELD)
           .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)))
    users = set(due.values_list("notification__recipient_id", flat=True).distinct()
                .order_by())
    users -= set(Digest.objects.filter(day=today, user_id__in=users)
                 .values_list("user_id", flat=True))
    made: list[int] = []
    for user_id in sorted(users):
        held = due.filter(notification__recipient_id=user_id)
        try:
            with transaction.atomic():
                digest = Digest.objects.create(user_id=user_id, day=today, next_attempt_at=now)
                count = Delivery.objects.filter(
                    pk__in=list(held.values_list("pk", flat=True)),
                    state=Delivery.State.HELD).update(state=Delivery.State.DIGESTED,
                                                      digest=digest, next_attempt_at=None,
                                                      updated_at=now)
                digest.items = count
                digest.save(update_fields=["items", "updated_at"])
        except IntegrityError:
            continue  # today's digest exists (another run made it)
        made.append(digest.pk)
    if made:
        from .tasks import deliver_digest

        transaction.on_commit(lambda ids=tuple(made): [deliver_digest(pk) for pk in ids])
    return len(made)


def digest_attempt(*, digest_id: int) -> Digest:
    """Send digest ``digest_id`` if PENDING and due: one e-mail listing its notifications
    (title, local time, link), newest first. Failures as :func:`delivery_attempt`."""
    from django.template.loader import render_to_string

    def send(digest: Digest) -> str:
        digest = Digest.objects.select_related("user").get(pk=digest.pk)
        items = list(Notification.objects.filter(deliveries__digest=digest)
                     .order_by("-created_at", "-id"))
        if not digest.user.email:
            raise DeliveryError(_("The recipient has no e-mail address."), permanent=True)
        subject = _("SafeCampus daily digest: %(count)d notifications") % {
            "count": len(items)}
        text = render_to_string("notifications/email/digest.txt", {
            "items": [(n, _absolute(n.url)) for n in items], "digest": digest})
        EmailMessage(subject=subject, body=text, to=[digest.user.email]).send()
        return ""

    return _attempt(Digest, digest_id, send)


# --- preferences --------------------------------------------------------------------------
#: A mainland China mobile number (what the SMS providers accept), spaces and dashes removed.
_MOBILE_RE = re.compile(r"^(\+?86)?1[3-9]\d{9}$")


def preference_update(*, user, email_enabled: bool, sms_enabled: bool, digest: bool,
                      quiet_start: dt.time | None, quiet_end: dt.time | None,
                      phone: str = "") -> NotificationPreference:
    """Save ``user``'s own notification preferences (the row is created on first save) and
    mobile number. Quiet hours are local times (Asia/Shanghai): both or neither, not equal;
    they may wrap midnight. DomainError with field errors: only one of the quiet-hour times,
    equal times, SMS without a phone number, a phone number not written like one.
    Returns the preference."""
    from safecampus.core.errors import raise_field_errors
    from safecampus.core.phones import PHONE_INVALID, phone_is_valid, phone_normalise

    errors: dict[str, list[str]] = {}
    if (quiet_start is None) != (quiet_end is None):
        field = "quiet_end" if quiet_end is None else "quiet_start"
        errors[field] = [_("Give both the start and the end of the quiet hours, or neither.")]
    elif quiet_start is not None and quiet_start == quiet_end:
        errors["quiet_end"] = [_("Quiet hours cannot start and end at the same time.")]
    phone = phone_normalise(phone)
    if phone and (len(phone) > 20 or not phone_is_valid(phone)):
        errors["phone"] = [str(PHONE_INVALID)]
    elif sms_enabled and not phone:
        errors["phone"] = [_("Text messages need a mobile phone number.")]
    elif sms_enabled and not _MOBILE_RE.match(phone.replace(" ", "").replace("-", "")):
        errors["phone"] = [_("Text messages need a mainland mobile number: 11 digits "
                             "starting with 1.")]
    raise_field_errors(errors)
    with transaction.atomic():
        pref, _created = NotificationPreference.objects.select_for_update().get_or_create(
            user=user)
        pref.email_enabled, pref.sms_enabled, pref.digest = email_enabled, sms_enabled, digest
        pref.quiet_start, pref.quiet_end = quiet_start, quiet_end
        pref.save()
        if user.phone != phone:
            # the model, not type(user): a request's user is a lazy wrapper
            get_user_model().objects.filter(pk=user.pk).update(phone=phone)
            user.phone = phone
    return pref
