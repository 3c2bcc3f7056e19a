"""Safety work reports (安全工作月报/季报): pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def report_list(request):
    return render(request, "reports/list.html", {})
