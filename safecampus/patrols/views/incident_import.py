"""Pages of the incident log import: upload, map columns and values, check and import."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path

from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.spreadsheets import ImportRejected

from ..forms.incident_import import IncidentMappingForm, SpreadsheetUploadForm
from ..services import incident_import as importing

#: How many row problems the page lists (the total is always given).
ERRORS_SHOWN = 100


@login_required
def incident_import(request):
    """Step 1: upload an .xlsx or .csv incident log."""
    if not request.user.has_perm("patrols.import_incidents"):
        raise PermissionDenied
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = importing.incident_import_upload(actor=request.user,
                                                   uploaded_file=form.cleaned_data["file"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return redirect("patrols:incident_import_map", pk=job.pk)
    return render(request, "patrols/incidents/import_upload.html", {"form": form})


@login_required
def incident_import_map(request, pk: int):
    """Steps 2 and 3: map columns and values, then check every row and import when none
    fails (else list the problems; nothing is written)."""
    job = importing.incident_import_get(request.user, pk)
    if job is None:
        raise Http404
    if job.state == job.State.IMPORTED:
        return redirect("patrols:incident_import_done", pk=job.pk)
    table = importing.incident_import_table(job)
    plan = importing.IncidentImportPlan.from_json(job.plan)
    form = IncidentMappingForm(request.POST or None, table=table, plan=plan)
    rejected = None
    if request.method == "POST" and form.is_valid():
        plan = form.to_plan()
        if "import" in request.POST:
            try:
                importing.incident_import_commit(actor=request.user, job=job, plan=plan,
                                                 table=table)
            except ImportRejected as error:
                rejected = error
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                return redirect("patrols:incident_import_done", pk=job.pk)
        else:  # "refresh": show the values of the newly chosen columns
            form = IncidentMappingForm(table=table, plan=plan)
    return render(request, "patrols/incidents/import_map.html", {
        "job": job, "form": form, "table": table, "rejected": rejected,
        "errors_shown": rejected.errors[:ERRORS_SHOWN] if rejected else [],
        "preview": list(zip(table.numbers[:3], table.rows[:3], strict=True)),
    })


@login_required
def incident_import_done(request, pk: int):
    """The result: how many incidents were imported, their numbers, where to see them."""
    job = importing.incident_import_get(request.user, pk)
    if job is None:
        raise Http404
    if job.state != job.State.IMPORTED:
        return redirect("patrols:incident_import_map", pk=job.pk)
    return render(request, "patrols/incidents/import_done.html", {"job": job})


urls: list = [
    path("incidents/import/", incident_import, name="incident_import"),
    path("incidents/import/<int:pk>/", incident_import_map, name="incident_import_map"),
    path("incidents/import/<int:pk>/done/", incident_import_done, name="incident_import_done"),
]
