"""Pages of the incident log import: upload, map columns and values, check and import (the
steps are :class:`safecampus.core.import_views.ImportPages`')."""

from django.contrib.auth.decorators import login_required
from django.urls import path

from safecampus.core.import_views import ImportPages

from ..forms.incident_import import IncidentMappingForm
from ..services import incident_import as importing

PAGES = ImportPages(
    permission="patrols.import_incidents",
    upload=importing.incident_import_upload,
    get=importing.incident_import_get,
    table=importing.incident_import_table,
    plan_class=importing.IncidentImportPlan,
    form_class=IncidentMappingForm,
    commit=importing.incident_import_commit,
    upload_template="patrols/incidents/import_upload.html",
    map_template="patrols/incidents/import_map.html",
    done_template="patrols/incidents/import_done.html",
    map_url="patrols:incident_import_map",
    done_url="patrols:incident_import_done",
    errors_shown=100,
)


@login_required
def incident_import(request):
    """Step 1: upload an .xlsx or .csv incident log."""
    return PAGES.upload_page(request)


@login_required
def incident_import_map(request, pk: int):
    """Steps 2 and 3: map columns and values, then check every row and import."""
    return PAGES.map_page(request, pk)


@login_required
def incident_import_done(request, pk: int):
    """The result: how many incidents were imported, their numbers, where to see them."""
    return PAGES.done_page(request, pk)


urls: list = [
    path("incidents/import/", incident_import, name="incident_import"),
    path("incidents/import/<int:pk>/", incident_import_map, name="incident_import_map"),
    path("incidents/import/<int:pk>/done/", incident_import_done, name="incident_import_done"),
]
