"""Checklist pages (检查表): the list, a template with its versions and items, the draft
editor, import (upload → columns and details → preview → save) and export of a version.

The office manages checklists (``inspections.manage_templates``); units and leadership read
them (``inspections.view_templates``) and see published versions only.
"""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.core.spreadsheets import XLSX_CONTENT_TYPE, content_disposition

from .. import checklist_files, selectors, services
from ..forms.checklists import (
    ChecklistUploadForm,
    ImportForm,
    ItemForm,
    SectionForm,
    TemplateForm,
)
from ..models import ChecklistItem, ChecklistTemplate, ChecklistVersion, Scoring

MANAGE = "inspections.manage_templates"
VIEW = "inspections.view_templates"
#: Session slot of uploads waiting for their second step (token → what was read).
SESSION_KEY = "inspections.checklist_imports"
KEEP_UPLOADS = 3
PREVIEW_ITEMS = 10


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _detail_url(version: ChecklistVersion) -> str:
    return reverse("inspections:checklist_detail",
                   args=[version.template_id]) + f"?v={version.number}"


def _draft_version(request, pk: int) -> ChecklistVersion:
    _require(request, MANAGE)
    return get_object_or_404(ChecklistVersion.objects.select_related("template"), pk=pk)


def _refused(request, error: DomainError, version: ChecklistVersion):
    """A refusal that no form can correct (published version, permission): say why."""
    messages.error(request, error.message)
    return redirect(_detail_url(version))


# --- reading -------------------------------------------------------------------------------
@login_required
def checklist_list(request):
    """Every checklist the user may see: kind, current published version, draft if any."""
    _require(request, VIEW)
    page = paginate(request, selectors.template_overview_visible_to(request.user))
    return render(request, "inspections/checklist_list.html", {
        "page": page, "can_manage": request.user.has_perm(MANAGE)})


def _render_detail(request, template: ChecklistTemplate, number: str | None = None, *,
                   section_form: SectionForm | None = None, status: int = 200):
    can_manage = request.user.has_perm(MANAGE)
    versions = template.versions.select_related("published_by").order_by("-number")
    if not can_manage:
        versions = versions.exclude(state=ChecklistVersion.State.DRAFT)
    versions = list(versions)
    chosen = None
    if number and str(number).isdigit():
        chosen = next((v for v in versions if v.number == int(number)), None)
    if chosen is None:
        chosen = next((v for v in versions if v.state == ChecklistVersion.State.PUBLISHED),
                      versions[0] if versions else None)
    draft = next((v for v in versions if v.state == ChecklistVersion.State.DRAFT), None)
    sections = selectors.version_contents(chosen) if chosen else []
    editable = bool(can_manage and chosen and chosen.is_editable)
    return render(request, "inspections/checklist_detail.html", {
        "template": template, "versions": versions, "version": chosen, "draft": draft,
        "sections": sections, "item_count": sum(len(s.item_list) for s in sections),
        "can_manage": can_manage, "editable": editable,
        "section_form": section_form or (SectionForm() if editable else None),
    }, status=status)


@login_required
def checklist_detail(request, pk: int):
    """A template, its versions and the items of the chosen version (``?v=<number>``)."""
    _require(request, VIEW)
    template = get_object_or_404(selectors.template_list_visible_to(request.user), pk=pk)
    return _render_detail(request, template, request.GET.get("v"))


# --- writing ---------------------------------------------------------------------------------
@login_required
def checklist_new(request):
    """A new checklist: code, name, kind and description; it starts as draft version 1."""
    _require(request, MANAGE)
    form = TemplateForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = services.template_create(
                actor=request.user, code=data["code"], name=data["name"], kind=data["kind"],
                description=data["description"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Checklist created. Add its items, then publish it."))
            return redirect(_detail_url(version))
    if form.errors:
        status = 400
    return render(request, "inspections/checklist_new.html", {"form": form}, status=status)


@login_required
@require_POST
def version_draft(request, pk: int):
    """Start a new version (a draft copying the newest one), or open the existing draft."""
    _require(request, MANAGE)
    template = get_object_or_404(ChecklistTemplate, pk=pk)
    try:
        draft = services.version_new_draft(actor=request.user, template_id=template.pk)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("inspections:checklist_detail", pk=template.pk)
    messages.success(request, _("Draft version %(number)s: change it, then publish it.")
                     % {"number": draft.number})
    return redirect(_detail_url(draft))


@login_required
@require_POST
def version_publish(request, pk: int):
    version = _draft_version(request, pk)
    try:
        version = services.version_publish(actor=request.user, version_id=version.pk)
    except DomainError as error:
        return _refused(request, error, version)
    messages.success(request, _("Version %(number)s is published; new inspections use it.")
                     % {"number": version.number})
    return redirect(_detail_url(version))


@login_required
@require_POST
def section_add(request, pk: int):
    version = _draft_version(request, pk)
    form = SectionForm(request.POST)
    if form.is_valid():
        try:
            services.section_add(actor=request.user, version_id=version.pk,
                                 title=form.cleaned_data["title"], code=form.cleaned_data["code"])
        except (Conflict, NotAllowed) as error:
            return _refused(request, error, version)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Section added."))
            return redirect(_detail_url(version))
    return _render_detail(request, version.template, str(version.number), section_form=form,
                          status=400)


def _item_page(request, version: ChecklistVersion, item: ChecklistItem | None):
    sections = list(version.sections.order_by("position", "id"))
    initial = ItemForm.initial_for(item) if item else {
        "section": request.GET.get("section") or (sections[-1].pk if sections else None)}
    form = ItemForm(request.POST or None, sections=sections, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.item_save(actor=request.user, version_id=version.pk,
                               section_id=form.cleaned_data["section"], data=form.to_item(),
                               item_id=item.pk if item else None)
        except (Conflict, NotAllowed) as error:
            return _refused(request, error, version)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Item %(code)s saved.")
                             % {"code": form.cleaned_data["code"]})
            if "another" in request.POST:
                return redirect(reverse("inspections:checklist_item_new", args=[version.pk])
                                + f"?section={form.cleaned_data['section']}")
            return redirect(_detail_url(version))
    if request.method == "GET" and not version.is_editable:
        messages.error(request, _("Version %(number)s is published and can no longer change; "
                                  "start a new version to edit it.") % {"number": version.number})
        return redirect(_detail_url(version))
    return render(request, "inspections/checklist_item.html", {
        "form": form, "version": version, "item": item,
    }, status=400 if form.errors else 200)


@login_required
def item_new(request, pk: int):
    return _item_page(request, _draft_version(request, pk), None)


@login_required
def item_edit(request, pk: int):
    _require(request, MANAGE)
    item = get_object_or_404(ChecklistItem.objects.select_related("version__template"), pk=pk)
    return _item_page(request, item.version, item)


@login_required
@require_POST
def item_delete(request, pk: int):
    _require(request, MANAGE)
    item = get_object_or_404(ChecklistItem.objects.select_related("version__template"), pk=pk)
    try:
        services.item_delete(actor=request.user, item_id=item.pk)
    except DomainError as error:
        return _refused(request, error, item.version)
    messages.success(request, _("Item %(code)s deleted.") % {"code": item.code})
    return redirect(_detail_url(item.version))


# --- export ------------------------------------------------------------------------------------
EXPORTS = {
    "xlsx": (checklist_files.version_xlsx, XLSX_CONTENT_TYPE),
    "csv": (checklist_files.version_csv, checklist_files.CSV_CONTENT_TYPE),
    "yaml": (checklist_files.version_yaml, checklist_files.YAML_CONTENT_TYPE),
}


@login_required
def version_export(request, pk: int, fmt: str):
    """A version as .xlsx, .csv or .yaml (reads back into the same items)."""
    _require(request, VIEW)
    if fmt not in EXPORTS:
        raise Http404
    versions = ChecklistVersion.objects.select_related("template").filter(
        template__in=selectors.template_list_visible_to(request.user))
    if not request.user.has_perm(MANAGE):
        versions = versions.exclude(state=ChecklistVersion.State.DRAFT)
    version = get_object_or_404(versions, pk=pk)
    write, content_type = EXPORTS[fmt]
    response = HttpResponse(write(version), content_type=content_type)
    response["Content-Disposition"] = content_disposition(
        checklist_files.export_filename(version, fmt),
        fallback=f"checklist-{version.template.code}-v{version.number}.{fmt}")
    response["Cache-Control"] = "private, no-store"
    return response


# --- import --------------------------------------------------------------------------------------
def _stash(request, payload: dict) -> str:
    uploads = dict(request.session.get(SESSION_KEY) or {})
    while len(uploads) >= KEEP_UPLOADS:
        uploads.pop(next(iter(uploads)))
    token = secrets.token_urlsafe(12)
    uploads[token] = payload
    request.session[SESSION_KEY] = uploads
    return token


def _stashed(request, token: str) -> dict:
    payload = (request.session.get(SESSION_KEY) or {}).get(token)
    if payload is None:
        raise Http404
    return payload


def _drop(request, token: str) -> None:
    uploads = dict(request.session.get(SESSION_KEY) or {})
    uploads.pop(token, None)
    request.session[SESSION_KEY] = uploads


@login_required
def checklist_import(request):
    """Import, step 1: upload a checklist file (.xlsx, .csv, .yaml)."""
    _require(request, MANAGE)
    form = ChecklistUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            upload = checklist_files.read_upload(form.cleaned_data["file"])
        except DomainError as error:
            problems = error.field_errors.get("file") or [error.message]
        else:
            if upload.table is not None:
                payload = {"filename": upload.filename,
                           "table": checklist_files.table_to_json(upload.table)}
            else:
                payload = {"filename": upload.filename,
                           "checklist": checklist_files.checklist_to_json(upload.checklist)}
            return redirect("inspections:checklist_import_map", token=_stash(request, payload))
    return render(request, "inspections/checklist_import.html", {
        "form": form, "problems": problems,
    }, status=400 if (problems or form.errors) else 200)


@login_required
def checklist_import_map(request, token: str):
    """Import, step 2: which column holds what, which checklist it becomes; "Preview" shows
    the sections and first items, "Import" saves (all or nothing)."""
    _require(request, MANAGE)
    payload = _stashed(request, token)
    table = (checklist_files.table_from_json(payload["table"]) if "table" in payload else None)
    from_yaml = (checklist_files.checklist_from_json(payload["checklist"])
                 if "checklist" in payload else None)
    if table is not None:
        initial = {}
        columns = checklist_files.guess_columns(table.headers)
    else:
        columns = None
        initial = {"code": from_yaml.code, "name": from_yaml.name, "kind": from_yaml.kind,
                   "description": from_yaml.description, "pass_score": from_yaml.pass_score,
                   "template": ChecklistTemplate.objects.filter(code=from_yaml.code).first()}
    form = ImportForm(request.POST or None, initial=initial,
                      headers=table.headers if table is not None else None, columns=columns)
    problems: list[str] = []
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        template = data.get("template")
        code = template.code if template else data["code"]
        name = template.name if template else data["name"]
        kind = template.kind if template else data["kind"]
        description = template.description if template else data["description"]
        try:
            if table is not None:
                checklist = checklist_files.table_checklist(
                    table, form.columns(), code=code, name=name, kind=kind,
                    description=description, pass_score=data.get("pass_score"))
            else:
                checklist = from_yaml
                checklist.code, checklist.name, checklist.kind = code, name, kind
                checklist.description = description
                checklist.pass_score = data.get("pass_score")
                checklist = checklist_files.check(checklist, [])
            if "import" in request.POST:
                version = services.checklist_import(actor=request.user, data=checklist,
                                                    publish=data.get("publish", False))
                _drop(request, token)
                messages.success(request, _("%(count)s items imported as version %(number)s of "
                                            "“%(name)s”.") % {
                    "count": sum(len(s.items) for s in checklist.sections),
                    "number": version.number, "name": version.template.name})
                return redirect(_detail_url(version))
            preview = checklist
        except DomainError as error:
            problems = error.field_errors.get("file") or []
            if not problems:
                apply_domain_error(form, error)
    preview_items = []
    if preview is not None:
        preview_items = [
            {"line": i.line, "code": i.code, "text": i.text, "points": i.points,
             "scoring": Scoring(i.scoring).label, "veto": i.is_veto}
            for s in preview.sections for i in s.items][:PREVIEW_ITEMS]
    return render(request, "inspections/checklist_import_map.html", {
        "form": form, "token": token, "filename": payload["filename"], "table": table,
        "from_yaml": from_yaml, "problems": problems, "preview": preview,
        "preview_items": preview_items,
        "preview_total": sum(len(s.items) for s in preview.sections) if preview else 0,
        "first_rows": list(zip(table.numbers[:5], table.rows[:5], strict=True)) if table else [],
    }, status=400 if (problems or form.errors) else 200)


urls: list = [
    path("checklists/", checklist_list, name="checklist_list"),
    path("checklists/new/", checklist_new, name="checklist_new"),
    path("checklists/import/", checklist_import, name="checklist_import"),
    path("checklists/import/<str:token>/", checklist_import_map,
         name="checklist_import_map"),
    path("checklists/<int:pk>/", checklist_detail, name="checklist_detail"),
    path("checklists/<int:pk>/new-version/", version_draft, name="checklist_version_draft"),
    path("checklists/versions/<int:pk>/publish/", version_publish,
         name="checklist_version_publish"),
    path("checklists/versions/<int:pk>/sections/", section_add, name="checklist_section_add"),
    path("checklists/versions/<int:pk>/items/new/", item_new, name="checklist_item_new"),
    path("checklists/versions/<int:pk>/export.<str:fmt>", version_export,
         name="checklist_export"),
    path("checklists/items/<int:pk>/", item_edit, name="checklist_item_edit"),
    path("checklists/items/<int:pk>/delete/", item_delete, name="checklist_item_delete"),
]
