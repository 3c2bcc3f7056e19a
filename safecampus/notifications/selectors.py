"""Reading notifications."""

from .models import Notification


def notification_inbox(user):
    """The user's notifications, newest first (paginate the result)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def notification_unread_count(user) -> int:
    """Unread notifications of ``user`` (index-backed count, bounded per person)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
