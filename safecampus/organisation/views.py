"""Organisation pages: Excel import of units, buildings and places, and users with roles."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.spreadsheets import (
    XLSX_CONTENT_TYPE,
    ImportRejected,
    content_disposition,
    read_table,
)

from . import importing
from .forms import OrganisationUploadForm

ERRORS_SHOWN = 50


def _require_manage(request) -> None:
    if not request.user.has_perm("organisation.manage_organisation"):
        raise PermissionDenied


@login_required
def import_page(request):
    """Three uploads (units; buildings and places; users), each all-or-nothing."""
    _require_manage(request)
    posted = request.POST.get("kind") if request.method == "POST" else None
    forms, rejected = {}, None
    for kind in importing.KINDS:
        bound = posted == kind
        forms[kind] = OrganisationUploadForm(request.POST if bound else None,
                                             request.FILES if bound else None, kind=kind)
    if posted in importing.KINDS:
        form = forms[posted]
        if form.is_valid():
            try:
                table = read_table(form.cleaned_data["file"])
                summary = importing.organisation_import(actor=request.user, kind=posted,
                                                        table=table)
            except ImportRejected as error:
                rejected = error
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _(
                    "%(kind)s: %(created)s created, %(updated)s updated from %(rows)s rows."
                ) % {"kind": importing.KINDS[posted][0], "created": summary.created,
                     "updated": summary.updated, "rows": summary.rows})
                return redirect("organisation:import")
    cards = [{"kind": kind, "title": label, "columns": columns, "form": forms[kind],
              "rejected": rejected if kind == posted else None,
              "errors_shown": rejected.errors[:ERRORS_SHOWN] if rejected and kind == posted else []}
             for kind, (label, columns, _call) in importing.KINDS.items()]
    return render(request, "organisation/import.html", {"cards": cards, "posted": posted})


@login_required
def import_template(request, kind: str):
    """The empty .xlsx template of one kind of sheet."""
    _require_manage(request)
    if kind not in importing.KINDS:
        raise Http404
    response = HttpResponse(importing.template_xlsx(kind), content_type=XLSX_CONTENT_TYPE)
    names = {"units": "单位导入模板", "places": "楼宇场所导入模板", "users": "用户导入模板"}
    response["Content-Disposition"] = content_disposition(
        f"{names[kind]}.xlsx", fallback=f"organisation-{kind}-template.xlsx")
    return response


@login_required
def campus_map(request, pk: int):
    """A campus map image for signed-in users (media files are not served publicly)."""
    from django.http import FileResponse

    from .models import Campus

    campus = Campus.objects.filter(pk=pk).exclude(map_image="").first()
    if campus is None:
        raise Http404
    response = FileResponse(campus.map_image.open("rb"))
    response["Cache-Control"] = "private, max-age=86400"
    return response
