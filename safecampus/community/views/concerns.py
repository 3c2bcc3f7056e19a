"""Community voice pages: concerns."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.urls import path


@login_required
def concern_detail(request, pk: int):
    raise Http404


urls = [path("concerns/<int:pk>/", concern_detail, name="concern_detail")]
