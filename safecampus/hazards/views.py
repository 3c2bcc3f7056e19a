"""Hazard pages. Each view parses input, makes one service or selector call, and renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.organisation.selectors import place_picker_data

from . import selectors, services
from .forms import (
    CommentForm,
    ConfirmForm,
    DuplicateForm,
    EvidenceForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    HazardReportForm,
    LedgerFilterForm,
    LocationForm,
    NoticeForm,
    PlanForm,
    ReasonForm,
    StaffHazardForm,
)
from .models import Grade, Status


def _get_visible(request, pk: int):
    hazard = selectors.hazard_detail(request.user, pk)
    if hazard is None:
        raise Http404(_("Hazard not found"))
    return hazard


@login_required
def hazard_report(request):
    """Phone-first report page: anyone on campus; staff get grade and source too."""
    staff = request.user.has_perm("hazards.confirm_hazard")
    form_class = StaffHazardForm if staff else HazardReportForm
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            hazard = services.hazard_report(
                reporter=request.user,
                title=data["title"],
                description=data["description"],
                category_id=data["category"].pk,
                campus_id=data["campus"].pk,
                building_id=data["building"].pk if data.get("building") else None,
                place_id=data["place"].pk if data.get("place") else None,
                location_text=data["location_text"],
                map_x=data.get("map_x"),
                map_y=data.get("map_y"),
                grade=data.get("grade", Grade.GENERAL),
                source=data.get("source", "report"),
                is_anonymous=data.get("is_anonymous", False),
                photos=request.FILES.getlist("photos"),
                idempotency_key=data.get("idempotency_key"),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(
                request,
                _("Thank you. Your report %(ref)s was received; you will be told when it is handled.")
                % {"ref": hazard.reference},
            )
            return redirect("hazards:detail", pk=hazard.pk)
    return render(request, "hazards/report.html",
                  {"form": form, "picker": place_picker_data(), "staff": staff})


@login_required
def my_reports(request):
    page = paginate(request, selectors.hazard_reported_by(request.user), per_page=20)
    return render(request, "hazards/my_reports.html", {"page": page})


@login_required
def ledger(request):
    """The hazard ledger (隐患台账): filters, 50 rows a page, export of the filtered rows."""
    if not request.user.has_perm("hazards.view_ledger"):
        raise PermissionDenied
    form = LedgerFilterForm(request.GET or None)
    filters = form.to_filters()
    rows = selectors.hazard_ledger(request.user, filters)
    page = paginate(request, rows, per_page=50)
    query = request.GET.copy()
    query.pop("page", None)
    # How many rows match, shown when the ledger is narrowed by status, grade, overdue or
    # dates (e.g. a cockpit drill-down): one count of a filtered set, never of the whole table.
    narrowed = filters.status or filters.grade or filters.overdue or filters.date_from \
        or filters.date_to
    return render(request, "hazards/ledger.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "matching": rows.order_by().count() if narrowed else None,
        "can_export": request.user.has_perm("hazards.export_ledger"),
        "can_import": request.user.has_perm("hazards.import_ledger"),
    })


@login_required
def hazard_detail(request, pk: int):
    return _render_detail(request, _get_visible(request, pk))


def _render_detail(request, hazard, *, bound_action: str = "", bound_form=None, status=200):
    """The hazard page; with ``bound_form`` that action's card shows the user's input and its
    errors instead of an empty form (nothing typed is lost)."""
    user = request.user
    version = {"version": hazard.version}
    ctx = {
        "hazard": hazard,
        "timeline": activity_for(hazard),
        "show_reporter": not hazard.is_anonymous or hazard.reporter_id == user.pk,
        "notice_items": hazard.notice_items.select_related("notice").order_by("-created_at"),
        "pending_extension": next(
            (e for e in hazard.extensions.all() if e.state == "pending"), None),
        # every request, latest first, with its state and the office's decision once made
        "extensions": list(hazard.extensions.all()),
        "plan": getattr(hazard, "plan", None) if hazard.grade == Grade.MAJOR else None,
        "source_record": selectors.hazard_source_record(hazard, user),
        # the notice's number links only for those who may open the notice (not the reporter)
        "notice_openable": bool(hazard.current_notice_id) and selectors.notice_list_visible_to(
            user).filter(pk=hazard.current_notice_id).exists(),
    }
    forms = {}
    s = hazard.status
    if s == Status.REPORTED and user.has_perm("hazards.confirm_hazard", hazard):
        forms["confirm"] = ConfirmForm(initial={**version, "grade": hazard.grade,
                                                "responsible_unit": hazard.responsible_unit_id})
        forms["reject"] = ReasonForm(initial=version)
        forms["duplicate"] = DuplicateForm(initial=version)
        ctx["likely_duplicates"] = selectors.hazard_likely_duplicates(hazard)
    if s == Status.CONFIRMED and user.has_perm("hazards.fix_on_spot", hazard):
        forms["fix_on_spot"] = EvidenceForm(initial=version)
    if s == Status.CONFIRMED and user.has_perm("hazards.issue_notice", hazard):
        ctx["can_issue_notice"] = bool(hazard.responsible_unit_id)
    if s in (Status.ACKNOWLEDGED, Status.RETURNED) and user.has_perm("hazards.rectify_hazard",
                                                                       hazard):
        forms["start"] = CommentForm(initial=version)
    if s == Status.RECTIFYING and user.has_perm("hazards.rectify_hazard", hazard):
        forms["evidence"] = EvidenceForm(initial=version)
    if s == Status.EVIDENCE_SUBMITTED and user.has_perm("hazards.verify_hazard", hazard):
        forms["verify"] = CommentForm(initial=version)
        forms["return"] = ReasonForm(initial=version)
    if hazard.is_open and s != Status.REPORTED and user.has_perm("hazards.edit_hazard", hazard):
        forms["location"] = LocationForm(initial={
            **version, "category": hazard.category_id, "grade": hazard.grade,
            "campus": hazard.campus_id, "building": hazard.building_id,
            "place": hazard.place_id, "location_text": hazard.location_text,
            "responsible_unit": hazard.responsible_unit_id})
        # Render only the hazard's campus; the picker (static/js/app.js) refills the lists
        # from the JSON below when the campus changes. A university has thousands of places.
        forms["location"].limit_to_campus(hazard.campus_id)
        ctx["picker"] = place_picker_data()
        # A hazard confirmed without a unit waits here for one before a notice can go out.
        ctx["needs_unit"] = s == Status.CONFIRMED and not hazard.responsible_unit_id
    if (s in ("notice_issued", "acknowledged", "rectifying", "returned")
            and user.has_perm("hazards.request_extension", hazard)
            and not ctx["pending_extension"]):
        forms["extension"] = ExtensionRequestForm()
    if ctx["pending_extension"] and user.has_perm("hazards.decide_extension", hazard):
        forms["decide"] = ExtensionDecisionForm()
    if (hazard.grade == Grade.MAJOR and hazard.is_open and s != Status.REPORTED
            and s != Status.EVIDENCE_SUBMITTED and user.has_perm("hazards.submit_plan", hazard)):
        forms["plan"] = PlanForm()
    if s == Status.NOTICE_ISSUED and hazard.current_notice and user.has_perm(
            "hazards.acknowledge_notice", hazard.current_notice):
        ctx["can_acknowledge"] = True
    if bound_form is not None and bound_action in forms:
        if bound_action == "location":
            bound_form.limit_to_campus(hazard.campus_id)
        forms[bound_action] = bound_form
    ctx["forms"] = forms
    return render(request, "hazards/detail.html", ctx, status=status)


# Each action: form class, and how to call the service with the cleaned data.
def _act_confirm(user, pk, d, files):
    return services.hazard_confirm(
        actor=user, hazard_id=pk, version=d.get("version"), grade=d["grade"],
        responsible_unit_id=d["responsible_unit"].pk if d.get("responsible_unit") else None,
        comment=d.get("comment", ""))


ACTIONS = {
    "confirm": (ConfirmForm, _act_confirm, gettext_lazy("Hazard confirmed.")),
    "reject": (ReasonForm, lambda u, pk, d, f: services.hazard_reject(
        actor=u, hazard_id=pk, version=d.get("version"), reason=d.get("comment", "")),
        gettext_lazy("Report rejected; the reporter was told why.")),
    "duplicate": (DuplicateForm, lambda u, pk, d, f: services.hazard_mark_duplicate(
        actor=u, hazard_id=pk, version=d.get("version"), duplicate_of_id=d["duplicate_of"],
        comment=d.get("comment", "")), gettext_lazy("Merged as a duplicate.")),
    "fix_on_spot": (EvidenceForm, lambda u, pk, d, f: services.hazard_fix_on_spot(
        actor=u, hazard_id=pk, version=d.get("version"), text=d["text"],
        photos=f.getlist("photos")), gettext_lazy("Closed as fixed on the spot.")),
    "start": (CommentForm, lambda u, pk, d, f: services.hazard_start_rectification(
        actor=u, hazard_id=pk, version=d.get("version"), comment=d.get("comment", "")),
        gettext_lazy("Rectification started.")),
    "evidence": (EvidenceForm, lambda u, pk, d, f: services.evidence_submit(
        actor=u, hazard_id=pk, version=d.get("version"), text=d["text"],
        photos=f.getlist("photos"), idempotency_key=d.get("idempotency_key")),
        gettext_lazy("Evidence submitted; the office will verify it.")),
    "verify": (CommentForm, lambda u, pk, d, f: services.hazard_verify(
        actor=u, hazard_id=pk, version=d.get("version"), comment=d.get("comment", "")),
        gettext_lazy("Verified and closed.")),
    "return": (ReasonForm, lambda u, pk, d, f: services.hazard_return(
        actor=u, hazard_id=pk, version=d.get("version"), reason=d.get("comment", "")),
        gettext_lazy("Returned to the unit for rework.")),
    "location": (LocationForm, lambda u, pk, d, f: services.hazard_update_location(
        actor=u, hazard_id=pk, version=d.get("version"), category_id=d["category"].pk,
        grade=d["grade"], campus_id=d["campus"].pk,
        building_id=d["building"].pk if d.get("building") else None,
        place_id=d["place"].pk if d.get("place") else None,
        location_text=d.get("location_text", ""),
        responsible_unit_id=d["responsible_unit"].pk if d.get("responsible_unit") else None),
        gettext_lazy("Hazard updated.")),
    "extension": (ExtensionRequestForm, lambda u, pk, d, f: services.extension_request(
        actor=u, hazard_id=pk, requested_deadline=d["requested_deadline"], reason=d["reason"]),
        gettext_lazy("Extension requested.")),
    "plan": (PlanForm, lambda u, pk, d, f: services.plan_submit(
        actor=u, hazard_id=pk, plan=d["plan"], interim_measures=d["interim_measures"],
        person_in_charge=d["person_in_charge"], funding=d.get("funding", ""),
        milestones=d["milestones"]), gettext_lazy("Rectification plan saved.")),
}


@login_required
@require_POST
def hazard_action(request, pk: int, action: str):
    """POST target of every action form on the detail page."""
    if action not in ACTIONS:
        raise Http404
    hazard = _get_visible(request, pk)
    form_class, call, success = ACTIONS[action]
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        try:
            call(request.user, pk, form.cleaned_data, request.FILES)
        except (NotAllowed, Conflict) as error:  # nothing to correct in the form: say why
            messages.error(request, error.message)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, success)
            return redirect("hazards:detail", pk=pk)
    if form.errors:
        # Show the form again with what was typed and the errors beside the fields.
        hazard = _get_visible(request, pk)
        if action in ("evidence", "fix_on_spot") and request.FILES:
            form.add_error(None, _("Photos must be chosen again."))
        return _render_detail(request, hazard, bound_action=action, bound_form=form, status=400)
    return redirect(hazard_url_with_anchor(hazard.pk, action))


def hazard_url_with_anchor(pk: int, action: str) -> str:
    return reverse("hazards:detail", args=[pk]) + f"#action-{action}"


@login_required
@require_POST
def extension_decide(request, pk: int, extension_id: int):
    _get_visible(request, pk)
    form = ExtensionDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.extension_decide(
                actor=request.user, extension_id=extension_id,
                grant=form.cleaned_data["decision"] == "grant",
                comment=form.cleaned_data.get("comment", ""))
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Decision recorded."))
    else:
        messages.error(request, _("Choose grant or refuse."))
    return redirect("hazards:detail", pk=pk)


# --- notices ---------------------------------------------------------------------------------
@login_required
def notice_list(request):
    if not request.user.has_perm("hazards.view_ledger"):
        raise PermissionDenied
    page = paginate(request, selectors.notice_list_visible_to(request.user), per_page=30)
    return render(request, "hazards/notice_list.html", {
        "page": page,
        "can_issue": request.user.has_perm("hazards.issue_notice"),
        "awaiting_count": selectors.hazards_awaiting_notice(request.user).count()
        if request.user.has_perm("hazards.issue_notice") else 0,
    })


@login_required
def notice_new(request):
    if not request.user.has_perm("hazards.issue_notice"):
        raise PermissionDenied
    unit_id = request.GET.get("unit") or request.POST.get("unit")
    qs = selectors.hazards_awaiting_notice(request.user,
                                           unit_id=int(unit_id) if str(unit_id).isdigit() else None)
    initial = {}
    if request.GET.get("hazard"):
        initial["hazards"] = [h for h in request.GET.getlist("hazard") if h.isdigit()]
    form = NoticeForm(request.POST or None, hazards_qs=qs, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            notice = services.notice_issue(
                actor=request.user, hazard_ids=[h.pk for h in d["hazards"]],
                requirements=d["requirements"], deadline_days=d["deadline_days"],
                deadline_basis=d["deadline_basis"], idempotency_key=d.get("idempotency_key"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Notice %(number)s issued.") % {"number": notice.number})
            return redirect("hazards:notice_detail", pk=notice.pk)
    return render(request, "hazards/notice_new.html", {"form": form})


def _get_notice(request, pk: int):
    notice = selectors.notice_list_visible_to(request.user).filter(pk=pk).first()
    if notice is None:
        raise Http404(_("Notice not found"))
    return notice


@login_required
def notice_detail(request, pk: int):
    notice = _get_notice(request, pk)
    return render(request, "hazards/notice_detail.html", {
        "notice": notice,
        "hazards": selectors.notice_hazards(notice),
        "timeline": activity_for(notice),
        "can_acknowledge": notice.state == "issued"
        and request.user.has_perm("hazards.acknowledge_notice", notice),
    })


@login_required
@require_POST
def notice_acknowledge(request, pk: int):
    notice = _get_notice(request, pk)
    try:
        services.notice_acknowledge(actor=request.user, notice_id=notice.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Signed for notice %(number)s.") % {"number": notice.number})
    return redirect("hazards:notice_detail", pk=pk)


@login_required
def notice_pdf(request, pk: int):
    """The printable A4 notice (隐患整改通知单) as a PDF."""
    from .documents import notice_pdf_bytes

    notice = _get_notice(request, pk)
    response = HttpResponse(notice_pdf_bytes(notice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{notice.year}-{notice.sequence:04d}.pdf"'
    return response


@login_required
def hazard_photo(request, pk: int, size: str):
    """Serve a hazard photo only to users who may see its hazard (photos are never public)."""
    from django.http import FileResponse

    from .models import HazardPhoto

    if size not in ("thumb", "full"):
        raise Http404
    photo = HazardPhoto.objects.filter(pk=pk).first()
    if photo is None or selectors.hazard_detail(request.user, photo.hazard_id) is None:
        raise Http404
    field = photo.thumbnail if size == "thumb" else photo.image
    response = FileResponse(field.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def ledger_export(request):
    """Excel export of exactly the ledger rows the page shows for the same filters."""
    from safecampus.core.spreadsheets import XLSX_CONTENT_TYPE, content_disposition

    from . import exporting

    if not request.user.has_perm("hazards.export_ledger"):
        raise PermissionDenied
    form = LedgerFilterForm(request.GET)
    filters = form.to_filters()
    if form.errors:  # never export more rows than the person asked for
        messages.error(request, _("Correct the filters first; nothing was exported."))
        return redirect(reverse("hazards:ledger") + "?" + request.GET.urlencode())
    response = HttpResponse(exporting.ledger_export_xlsx(request.user, filters),
                            content_type=XLSX_CONTENT_TYPE)
    filename = exporting.ledger_export_filename()
    response["Content-Disposition"] = content_disposition(
        filename, fallback=filename.replace("隐患台账", "hazard-ledger"))
    response["Cache-Control"] = "private, no-store"
    return response


def _ledger_import_pages():
    """The ledger import's pages (imported late: the import modules are only needed here)."""
    from safecampus.core.import_views import ImportPages

    from . import importing
    from .import_forms import LedgerMappingForm

    return ImportPages(
        permission="hazards.import_ledger",
        upload=importing.ledger_import_upload,
        get=importing.ledger_import_get,
        table=importing.ledger_import_table,
        plan_class=importing.ImportPlan,
        form_class=LedgerMappingForm,
        commit=importing.ledger_import_commit,
        upload_template="hazards/import_upload.html",
        map_template="hazards/import_map.html",
        done_template="hazards/import_done.html",
        map_url="hazards:ledger_import_map",
        done_url="hazards:ledger_import_done",
        errors_shown=50,
    )


@login_required
def ledger_import(request):
    """Ledger import, step 1: upload an .xlsx or .csv file."""
    return _ledger_import_pages().upload_page(request)


@login_required
def ledger_import_map(request, pk: int):
    """Ledger import, steps 2 and 3: map columns and values, then validate every row and
    import when none fails (else list the problems; nothing is written)."""
    return _ledger_import_pages().map_page(request, pk)


@login_required
def ledger_import_done(request, pk: int):
    """Ledger import result: how many hazards were imported, and where to see them."""
    return _ledger_import_pages().done_page(request, pk)
