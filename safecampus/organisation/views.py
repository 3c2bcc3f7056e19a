"""Organisation pages: Excel import of units, places and users."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render


@login_required
def import_page(request):
    if not request.user.has_perm("organisation.manage_organisation"):
        raise PermissionDenied
    return render(request, "organisation/import.html", {})
