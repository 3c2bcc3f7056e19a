"""The in-app notification inbox."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from safecampus.core.pagination import paginate

from .selectors import notification_inbox
from .services import notification_mark_read


@login_required
def inbox(request):
    page = paginate(request, notification_inbox(request.user), per_page=30)
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def mark_read(request, pk: int | None = None):
    notification_mark_read(user=request.user, notification_id=pk)
    target = request.POST.get("next") or ""
    # Only a path on this site: "/\evil.example" and "//evil.example" leave it in browsers.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
def alert(request, pk: int):
    """One warning (预警) in full for one of its recipients; opening it is the read receipt."""
    from django.http import Http404

    from .selectors import alert_notification_of
    from .services import alert_mark_read

    if alert_mark_read(user=request.user, alert_id=pk) is None:
        raise Http404
    notification = alert_notification_of(request.user, pk)
    return render(request, "notifications/alert.html",
                  {"notification": notification, "alert": notification.alert})
