"""Template context: the signed-in user's unread count for the inbox badge."""

from .selectors import notification_unread_count


def inbox(request) -> dict:
    """``unread_notifications``: one indexed count per page view (0 when signed out)."""
    user = getattr(request, "user", None)
    return {"unread_notifications": notification_unread_count(user) if user is not None else 0}
