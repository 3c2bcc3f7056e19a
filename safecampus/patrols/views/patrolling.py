"""Pages of the patrolling area (a guard on a phone)."""

from django.http import Http404
from django.urls import path


def scan_code(request, code):
    raise Http404  # replaced by the scan landing page


def round_detail(request, pk):
    raise Http404  # replaced by the round page


urls: list = [
    path("c/<str:code>/", scan_code, name="scan_code"),
    path("rounds/<int:pk>/", round_detail, name="round_detail"),
]
