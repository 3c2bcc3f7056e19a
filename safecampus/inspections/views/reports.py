"""An inspection's printable report (PDF) and the Excel exports of results.

Every path reads inspections through ``selectors.inspection_list_visible_to``: someone who
may not view an inspection gets 404, never its report or its results.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from safecampus.core.spreadsheets import XLSX_CONTENT_TYPE, content_disposition

from .. import documents, exporting
from ..forms.running import InspectionFilterForm
from ..models import Inspection
from ..selectors import inspection_list_visible_to
from .running import uses_inspections


def _visible(request, pk: int) -> Inspection:
    inspection = inspection_list_visible_to(request.user).filter(pk=pk).first()
    if inspection is None:
        raise Http404(_("Inspection not found"))
    return inspection


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, fallback=filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def report_pdf(request, pk: int):
    """The A4 inspection report (安全检查报告), in Chinese."""
    inspection = _visible(request, pk)
    response = HttpResponse(documents.inspection_report_pdf_bytes(inspection),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{documents.report_filename(inspection)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def results_xlsx(request, pk: int):
    """One inspection's results, one row per item."""
    inspection = _visible(request, pk)
    return _xlsx(exporting.inspection_results_xlsx(inspection),
                 exporting.inspection_filename(inspection))


@login_required
def export_xlsx(request):
    """The results of the inspections the home list shows for the same filters; 403 for those
    who have no inspections page (as the home page)."""
    user = request.user
    if not uses_inspections(user):
        raise PermissionDenied
    form = InspectionFilterForm(request.GET or None, unit_ids=None if user.scope.sees_everything
                                else sorted(user.scope.unit_ids))
    inspections = form.apply(inspection_list_visible_to(user))
    if form.errors:  # never export more than the person asked for
        messages.error(request, _("Correct the filters first; nothing was exported."))
        return redirect(reverse("inspections:home") + "?" + request.GET.urlencode())
    return _xlsx(exporting.inspections_results_xlsx(inspections), exporting.export_filename())


urls: list = [
    path("<int:pk>/report.pdf", report_pdf, name="report_pdf"),
    path("<int:pk>/results.xlsx", results_xlsx, name="results_xlsx"),
    path("export.xlsx", export_xlsx, name="export_xlsx"),
]
