"""Pages shared by every app (the friendly CSRF failure page), the permission check of
views and the query string a paginated list's pager keeps."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render


def require_perm(request, perm: str, obj=None) -> None:
    """Raise PermissionDenied (403 page) unless the signed-in user has ``perm`` (a domain verb
    from an app's ``rules.py``), on ``obj`` when given."""
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied


def csrf_failure(request, reason: str = ""):
    """Shown instead of Django's technical page when a form's security token is stale
    (signed out and in again in another tab, or a page left open for days). 403."""
    return render(request, "csrf_failure.html", {"reason": reason}, status=403)


def query_without_page(request) -> str:
    """The request's query string without ``page``: a paginated list's filters, for the
    pager's links (``includes/pager.html``'s ``query``)."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
