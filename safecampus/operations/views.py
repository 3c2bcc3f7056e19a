"""The operations page of the office administrators and the load balancers' health probe."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from safecampus.core.errors import DomainError
from safecampus.core.views import require_perm

from . import health, selectors, services


@login_required
def status(request):
    """Overall status, one card per health check, the scheduled work and the last backups
    (``operations.view_operations``; 403 otherwise)."""
    require_perm(request, "operations.view_operations")
    return render(request, "operations/status.html", {
        **selectors.operations_overview(),
        "can_backup": request.user.has_perm("operations.run_backup")})


@login_required
@require_POST
def backup_now(request):
    """Queue a backup ("Back up now"); back to the page with what happened."""
    require_perm(request, "operations.run_backup")
    try:
        services.backup_request(actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Backup queued: it runs in the background and appears in "
                                    "the table below when it is done."))
    return redirect("operations:status")


@never_cache
@require_safe
def healthz(request):
    """For load balancers and monitoring, without signing in: ``ok`` (200) when the database
    and the task queue answer, else ``error`` (503). Plain text, no details; GET or HEAD
    (load balancers often probe with HEAD)."""
    if health.alive():
        return HttpResponse("ok", content_type="text/plain; charset=utf-8")
    return HttpResponse("error", status=503, content_type="text/plain; charset=utf-8")
