from django.shortcuts import get_object_or_404, render
from django.urls import path

from ..selectors import inspection_list_visible_to


def detail(request, pk: int):
    inspection = get_object_or_404(inspection_list_visible_to(request.user), pk=pk)
    return render(request, "inspections/detail.html", {"inspection": inspection})


urls: list = [
    path("<int:pk>/", detail, name="detail"),
]
