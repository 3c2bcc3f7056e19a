"""The in-app notification inbox."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
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
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("notifications:inbox")
