"""Template context shared by every page: the navigation the user may see."""

from django.conf import settings


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        from django.apps import apps

        notification = apps.get_model("notifications", "Notification")
        unread = notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {
        "SITE": settings.SAFECAMPUS,
        "unread_notifications": unread,
    }
