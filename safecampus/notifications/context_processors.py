"""Template context: the signed-in user's unread counts for the inbox badge and the banner of
unread warnings (预警)."""

from .selectors import notification_unread_counts

#: Badges show at most this number, then "99+", so a badge keeps a small, fixed width.
BADGE_MAX = 99


def inbox(request) -> dict:
    """``unread_notifications`` and ``unread_alerts`` (unread warnings among them): one indexed
    query per page view (0 when signed out); ``unread_badge``: the count as the menu badges
    show it (``"99+"`` above 99)."""
    user = getattr(request, "user", None)
    total, alerts = notification_unread_counts(user) if user is not None else (0, 0)
    badge = f"{BADGE_MAX}+" if total > BADGE_MAX else str(total)
    return {"unread_notifications": total, "unread_alerts": alerts, "unread_badge": badge}
