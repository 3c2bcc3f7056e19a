"""The police cooperation and risk hub: each area's links and cards for the signed-in user."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path


@login_required
def home(request):
    """One page: what the user can do in each area (the areas' own includes)."""
    user = request.user
    if not any(user.has_perm(p) for p in ("police.view_bulletins", "police.view_meetings",
                                          "police.view_risk_register", "police.view_partners",
                                          "police.view_my_actions")):
        raise PermissionDenied
    return render(request, "police/home.html", {})


urls = [path("", home, name="home")]
