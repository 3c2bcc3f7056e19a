"""Pages shared by every app: the friendly CSRF failure page."""

from django.shortcuts import render


def csrf_failure(request, reason: str = ""):
    """Shown instead of Django's technical page when a form's security token is stale
    (signed out and in again in another tab, or a page left open for days). 403."""
    return render(request, "csrf_failure.html", {"reason": reason}, status=403)
