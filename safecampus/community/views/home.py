"""The community voice hub: each area's links and cards for the signed-in user."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path


@login_required
def home(request):
    """One page: what the user can do in each area (the areas' own includes)."""
    return render(request, "community/home.html", {})


urls = [path("", home, name="home")]
