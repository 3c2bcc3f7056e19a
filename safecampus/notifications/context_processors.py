"""Template context: the signed-in user's unread counts for the inbox badge and the banner of
unread warnings (预警)."""

from .selectors import notification_unread_counts


def inbox(request) -> dict:
    """``unread_notifications`` and ``unread_alerts`` (unread warnings among them): one indexed
    query per page view (0 when signed out)."""
    user = getattr(request, "user", None)
    total, alerts = notification_unread_counts(user) if user is not None else (0, 0)
    return {"unread_notifications": total, "unread_alerts": alerts}
