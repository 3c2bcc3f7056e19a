"""Reading notifications."""

from django.db.models import Count, Q

from .models import Notification


def notification_inbox(user):
    """The user's notifications, newest first (paginate the result)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def notification_unread_count(user) -> int:
    """Unread notifications of ``user`` (index-backed count, bounded per person)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_unread_counts(user) -> tuple[int, int]:
    """``(unread notifications, of which unread warnings)`` of ``user`` in one query; (0, 0)
    when signed out."""
    if not user.is_authenticated:
        return 0, 0
    counts = Notification.objects.filter(recipient=user, read_at__isnull=True).aggregate(
        total=Count("pk"), alerts=Count("pk", filter=Q(alert__isnull=False)))
    return counts["total"], counts["alerts"]


# --- warnings (预警) and their read receipts --------------------------------------------------
def alerts_sent(*, topic: str | None = None, topics: tuple[str, ...] | None = None):
    """Alerts (optionally of one ``topic`` or of ``topics``), newest first, each with ``read_count`` (read
    receipts) annotated and the sender and audience objects joined. Paginate the result.

    ``read_count`` is a correlated subquery, so the database counts the receipts of the rows
    of the page it returns only (an index lookup on the notifications' ``alert_id`` each),
    not of every alert and notification before paginating."""
    from django.db.models import Func, IntegerField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from .models import Alert

    qs = Alert.objects.select_related("sent_by", "audience_campus", "audience_unit",
                                      "audience_class")
    if topic is not None:
        qs = qs.filter(topic=topic)
    if topics is not None:
        qs = qs.filter(topic__in=topics)
    read = (Notification.objects.filter(alert=OuterRef("pk"), read_at__isnull=False)
            .order_by().annotate(n=Func("pk", function="COUNT")).values("n"))
    return qs.annotate(read_count=Coalesce(Subquery(read, output_field=IntegerField()),
                                           Value(0))).order_by("-sent_at", "-id")


def read_percent(read: int, total: int) -> int:
    """Whole-number share of ``read`` in ``total`` (0 for no recipients), rounded down so
    that 100 means everyone."""
    return (read * 100 // total) if total else 0


def alert_receipts(alert) -> dict:
    """The read receipts of ``alert``: ``{"recipients", "read", "unread", "percent",
    "by_college": [{"college", "total", "read", "unread", "percent"}, …]}`` — by the
    recipients' college (affiliation; "" for people without one), biggest first. Two
    aggregate queries whatever the number of recipients."""

    base = Notification.objects.filter(alert=alert)
    totals = base.aggregate(total=Count("id"), read=Count("id", filter=Q(read_at__isnull=False)))
    rows = (base.values("recipient__affiliation__college__name")
            .annotate(total=Count("id"), read=Count("id", filter=Q(read_at__isnull=False)))
            .order_by("-total", "recipient__affiliation__college__name"))
    by_college = [{"college": row["recipient__affiliation__college__name"] or "",
                   "total": row["total"], "read": row["read"],
                   "unread": row["total"] - row["read"],
                   "percent": read_percent(row["read"], row["total"])} for row in rows]
    total, read = totals["total"] or 0, totals["read"] or 0
    return {"recipients": total, "read": read, "unread": total - read,
            "percent": read_percent(read, total), "by_college": by_college}


def alert_unread(alert):
    """Notifications of ``alert`` not read yet, with the recipient and the recipient's college
    and class joined, by college then name (paginate the result)."""
    return (Notification.objects.filter(alert=alert, read_at__isnull=True)
            .select_related("recipient__affiliation__college",
                            "recipient__affiliation__class_group")
            .order_by("recipient__affiliation__college__name", "recipient__username"))


def alerts_for_user(user, *, topic: str | None = None):
    """``user``'s own warning notifications (each with its alert), unread first, then newest.
    Nothing for an anonymous user. Paginate or slice the result."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    from django.db.models import F

    qs = Notification.objects.filter(recipient=user, alert__isnull=False).select_related("alert")
    if topic is not None:
        qs = qs.filter(alert__topic=topic)
    return qs.order_by(F("read_at").asc(nulls_first=True), "-created_at", "-id")


def alert_unread_count(user, *, topic: str | None = None) -> int:
    """How many of ``user``'s warnings are unread."""
    return alerts_for_user(user, topic=topic).filter(read_at__isnull=True).count()


def alert_notification_of(user, alert_id: int):
    """``user``'s notification of alert ``alert_id`` (with the alert), or None (also for an
    ``alert_id`` of None: pass ids through ``core.forms.id_or_none``)."""
    if alert_id is None or not getattr(user, "is_authenticated", False):
        return None
    return (Notification.objects.select_related("alert", "alert__sent_by")
            .filter(recipient=user, alert_id=alert_id).first())


# --- channels: preferences, robots, the delivery log ------------------------------------------
def notification_preference_of(user):
    """``user``'s :class:`NotificationPreference`, or an unsaved one with the defaults
    (e-mail on, SMS and digest off, no quiet hours) when they never saved one."""
    from .models import NotificationPreference

    return (NotificationPreference.objects.filter(user=user).first()
            or NotificationPreference(user=user))


def robot_list():
    """Every group robot (active first, then by name) with its campus joined."""
    from .models import GroupRobot

    return GroupRobot.objects.select_related("campus").order_by("-active", "name", "id")


def delivery_log(*, channel: str = "", state: str = ""):
    """E-mail and SMS deliveries, newest first, with notification and recipient joined;
    optionally of one ``channel`` (``email``/``sms``) and ``state``. In-app deliveries (always
    sent at once) are left out. Rows whose notification is ``private`` (about an anonymous
    report) must be shown without recipient or text. Paginate the result."""
    from .models import Delivery

    qs = (Delivery.objects.exclude(channel=Delivery.Channel.IN_APP)
          .select_related("notification__recipient").order_by("-created_at", "-id"))
    if channel:
        qs = qs.filter(channel=channel)
    if state:
        qs = qs.filter(state=state)
    return qs


def delivery_failures() -> dict[str, int]:
    """How many e-mail/SMS deliveries (``deliveries``), robot messages (``robots``) and
    daily digests (``digests``) are FAILED — the log's quick filters. Three index-backed
    counts."""
    from .models import Attempts, Delivery, Digest, RobotMessage

    failed = Attempts.State.FAILED
    return {"deliveries": Delivery.objects.filter(state=failed).exclude(
                channel=Delivery.Channel.IN_APP).count(),
            "robots": RobotMessage.objects.filter(state=failed).count(),
            "digests": Digest.objects.filter(state=failed).count()}


def digest_log(*, state: str = ""):
    """Daily digests, newest first, with the user joined; optionally of one ``state``.
    Paginate the result."""
    from .models import Digest

    qs = Digest.objects.select_related("user").order_by("-created_at", "-id")
    if state:
        qs = qs.filter(state=state)
    return qs


def robot_message_log(*, state: str = ""):
    """Robot messages, newest first, with the robot joined; optionally of one ``state``.
    Paginate the result."""
    from .models import RobotMessage

    qs = RobotMessage.objects.select_related("robot").order_by("-created_at", "-id")
    if state:
        qs = qs.filter(state=state)
    return qs


def delivery_health(*, since) -> list[dict]:
    """Outgoing messages created since ``since`` (aware) that are not sent yet or never will
    be, per channel, for the operations page: ``[{"channel", "label", "pending",
    "retrying", "failed"}]`` for e-mail, SMS, group robots and daily digests (the channel keys
    are the delivery log's ``channel`` filter). ``pending`` waits for its first attempt,
    ``retrying`` failed at least once and waits for the next (back-off or quiet hours),
    ``failed`` gave up. In-app deliveries (always delivered at once) are left out. One
    aggregate query per table (three)."""
    from django.utils.translation import gettext_lazy as _

    from .models import Attempts, Delivery, Digest, RobotMessage

    pending = Q(state=Attempts.State.PENDING)
    counts = {"pending": Count("id", filter=pending & Q(attempts=0)),
              "retrying": Count("id", filter=pending & Q(attempts__gt=0)),
              "failed": Count("id", filter=Q(state=Attempts.State.FAILED))}
    by_channel = {row["channel"]: row for row in (
        Delivery.objects.filter(created_at__gte=since,
                                channel__in=[Delivery.Channel.EMAIL, Delivery.Channel.SMS])
        .values("channel").annotate(**counts).order_by())}
    robots = RobotMessage.objects.filter(created_at__gte=since).aggregate(**counts)
    digests = Digest.objects.filter(created_at__gte=since).aggregate(**counts)
    zero = {"pending": 0, "retrying": 0, "failed": 0}
    # "robot" and "digest" as in forms.DeliveryFilterForm
    rows = [(Delivery.Channel.EMAIL, Delivery.Channel.EMAIL.label,
             by_channel.get(Delivery.Channel.EMAIL, zero)),
            (Delivery.Channel.SMS, Delivery.Channel.SMS.label,
             by_channel.get(Delivery.Channel.SMS, zero)),
            ("robot", _("Group robots"), robots), ("digest", _("Daily digests"), digests)]
    return [{"channel": str(key), "label": label, "pending": row["pending"],
             "retrying": row["retrying"], "failed": row["failed"]} for key, label, row in rows]
