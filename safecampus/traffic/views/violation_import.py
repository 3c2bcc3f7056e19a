"""Pages of the violation ledger import: upload, map columns and values, check and import
(the steps are :class:`safecampus.core.import_views.ImportPages`'). The upload is kept in
default storage under a random token (no job model), so the URLs carry that token."""

from django.contrib.auth.decorators import login_required
from django.urls import path

from safecampus.core.import_views import ImportPages

from ..forms.violation_import import ViolationMappingForm
from ..services import violation_import as importing

PAGES = ImportPages(
    permission=importing.PERMISSION,
    upload=importing.violation_import_upload,
    get=importing.violation_import_get,
    table=importing.violation_import_table,
    plan_class=importing.ViolationImportPlan,
    form_class=ViolationMappingForm,
    commit=importing.violation_import_commit,
    upload_template="traffic/import/upload.html",
    map_template="traffic/import/map.html",
    done_template="traffic/import/done.html",
    map_url="traffic:violation_import_map",
    done_url="traffic:violation_import_done",
    errors_shown=100,
)


@login_required
def violation_import(request):
    """Step 1: upload an .xlsx or .csv ledger of parking violations."""
    return PAGES.upload_page(request)


@login_required
def violation_import_map(request, pk: str):
    """Steps 2 and 3: map columns and values, then check every row and import."""
    return PAGES.map_page(request, pk)


@login_required
def violation_import_done(request, pk: str):
    """The result: how many violations were imported and where to see them."""
    return PAGES.done_page(request, pk)


urls: list = [
    path("violations/import/", violation_import, name="violation_import"),
    path("violations/import/<slug:pk>/", violation_import_map, name="violation_import_map"),
    path("violations/import/<slug:pk>/done/", violation_import_done,
         name="violation_import_done"),
]
