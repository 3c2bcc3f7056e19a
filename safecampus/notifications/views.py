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
