"""Pages of the abandoned-vehicle area (僵尸车): the list with state tabs and filters, the
guard's phone report, the case page (photos per stage, timeline, one form per allowed next
step), the printable notice (告知单), and clean-up drives (create, tag many vehicles, post
the notices, the drive's cases by state). Views are thin: one selector or service call each
(house rule 5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.core.views import require_perm

from ..forms import abandoned as forms
from ..models import AbandonedVehicleCase
from ..selectors import abandoned as selectors
from ..services import abandoned as services

PER_PAGE = 30
State = AbandonedVehicleCase.State

#: The list's tabs in order (the value of ``?state=``; "" is all cases). Closed states are
#: reached through "All" and the state filter of the API.
TABS = [selectors.TAB_OPEN, State.SUSPECTED, State.NOTICED, State.CONTACTED,
        selectors.TAB_DUE_REMOVAL, State.STORED, selectors.TAB_DUE_DISPOSAL, ""]


def _tab_label(value: str) -> str:
    if value == selectors.TAB_OPEN:
        return _("Open cases")
    if value == selectors.TAB_DUE_REMOVAL:
        return _("Ready to remove")
    if value == selectors.TAB_DUE_DISPOSAL:
        return _("Ready to dispose of")
    if value == "":
        return _("All")
    return str(State(value).label)



def _case_or_404(request, pk) -> AbandonedVehicleCase:
    case = selectors.case_detail(request.user, pk)
    if case is None:
        raise Http404(_("Case not found"))
    return case


# --- list -------------------------------------------------------------------------------------
@login_required
def abandoned_list(request):
    """Cases in tabs by state (with counts) and filters by campus, source, drive and text."""
    require_perm(request, "traffic.view_abandoned")
    form = forms.CaseFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    filters = form.filters()
    state = request.GET.get("state", selectors.TAB_OPEN)
    if state not in TABS and state not in State.values:
        state = selectors.TAB_OPEN
    counts = selectors.case_state_counts(request.user, **filters)
    page = paginate(request, selectors.case_search(request.user, state=state, **filters),
                    per_page=PER_PAGE)
    base = {k: v for k, v in request.GET.items() if k not in ("page", "state") and v}
    tabs = [{"value": value, "label": _tab_label(value),
             "count": counts["all" if value == "" else value],
             "query": urlencode({**base, "state": value}), "active": value == state}
            for value in TABS]
    return render(request, "traffic/abandoned/list.html", {
        "form": form, "page": page, "tabs": tabs, "state": state,
        "query": urlencode({**base, "state": state}),
        "can_report": request.user.has_perm("traffic.report_abandoned"),
        "can_manage": request.user.has_perm("traffic.manage_abandoned")})


# --- report -----------------------------------------------------------------------------------
@login_required
def abandoned_report(request):
    """A guard's phone form; after saving, the case page. A plate with an open case leads to
    that case."""
    require_perm(request, "traffic.report_abandoned")
    form = forms.CaseReportForm(request.POST or None, request.FILES or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = services.abandoned_case_open(actor=request.user,
                                                    **form.service_arguments())
            except services.CaseAlreadyOpen as error:
                messages.warning(request, error.message)
                return redirect(error.case.get_absolute_url())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
                return redirect(case.get_absolute_url())
        status = 400
    return render(request, "traffic/abandoned/report.html", {"form": form}, status=status)


# --- case page ----------------------------------------------------------------------------------
#: action → (transition, form class, perm); the page shows a form for each allowed one.
STEPS = {
    "notice": ("post_notice", forms.NoticeForm),
    "contact": ("contact", forms.ContactForm),
    "moved": ("mark_moved", forms.MovedForm),
    "store": ("store", forms.StoreForm),
    "claim": ("claim", forms.ClaimForm),
    "dispose": ("dispose", forms.DisposeForm),
    "dismiss": ("dismiss", forms.DismissForm),
}


def _step_form(case, action: str, data=None, files=None):
    form_class = STEPS[action][1]
    return form_class(data, files, prefix=action, initial={"version": case.row_version})


def _steps(request, case, bound: tuple[str, object] | None = None) -> list[dict]:
    """The forms of the steps the user may take next, in the order of the workflow."""
    if not request.user.has_perm("traffic.manage_abandoned"):
        return []
    steps = []
    for action, (transition, _form_class) in STEPS.items():
        if not services.step_offered(case, transition):
            continue
        form = bound[1] if bound and bound[0] == action else _step_form(case, action)
        steps.append({"action": action, "form": form, "open": bool(bound and bound[0] == action),
                      "title": _step_titles()[action]})
    return steps


def _step_titles() -> dict[str, str]:
    return {"notice": _("Post the notice"), "contact": _("Contact the owner"),
            "moved": _("The owner moved it"), "store": _("Remove to storage"),
            "claim": _("Claimed by the owner"), "dispose": _("Dispose of it"),
            "dismiss": _("Not abandoned")}


def _detail(request, case, *, bound=None, status=200):
    photos = {}
    for photo in case.photos.all():
        photos.setdefault(photo.stage, []).append(photo)
    return render(request, "traffic/abandoned/detail.html", {
        "case": case, "vehicle": case.vehicle,
        "photo_stages": [(label, photos[value]) for value, label in
                         case.photos.model.Stage.choices if value in photos],
        "steps": _steps(request, case, bound),
        "can_manage": request.user.has_perm("traffic.manage_abandoned"),
        "photos_form": forms.PhotosForm(prefix="photos"),
        "timeline": selectors.case_timeline(case),
    }, status=status)


@login_required
def abandoned_detail(request, pk: int):
    return _detail(request, _case_or_404(request, pk))


def _call(request, case, action: str, d: dict):
    """Call the service of ``action`` with the form's cleaned data."""
    common = {"actor": request.user, "case_id": case.pk, "version": d.get("version")}
    if action == "notice":
        return services.abandoned_notice_post(**common, photos=d.get("photos") or [],
                                              deadline=d.get("deadline"), note=d.get("note", ""))
    if action == "contact":
        return services.abandoned_owner_contact(**common, channel=d["channel"],
                                                note=d.get("note", ""))
    if action == "moved":
        return services.abandoned_mark_moved(**common, note=d.get("note", ""))
    if action == "store":
        return services.abandoned_store(**common, storage_place=d["storage_place"],
                                        stored_on=d.get("stored_on"),
                                        photos=d.get("photos") or [], note=d.get("note", ""))
    if action == "claim":
        return services.abandoned_claim(**common, claimed_by_name=d["claimed_by_name"],
                                        verification=d["verification"],
                                        photos=d.get("photos") or [], note=d.get("note", ""))
    if action == "dispose":
        return services.abandoned_dispose(**common, note=d["note"],
                                          photos=d.get("photos") or [])
    return services.abandoned_dismiss(**common, reason=d["reason"])


@login_required
@require_POST
def abandoned_step(request, pk: int, action: str):
    """One step of the case from its page; a bad input re-renders the page with the errors
    in that step's form (nothing changed)."""
    case = _case_or_404(request, pk)
    if action not in STEPS:
        raise Http404
    require_perm(request, "traffic.manage_abandoned")
    form = _step_form(case, action, request.POST, request.FILES)
    if form.is_valid():
        try:
            case = _call(request, case, action, form.cleaned_data)
        except DomainError as error:
            if error.status_code == 409:
                messages.error(request, error.message)
                return redirect(case.get_absolute_url())
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Done: %(state)s.") % {"state": case.get_state_display()})
            return redirect(case.get_absolute_url())
    return _detail(request, _case_or_404(request, pk), bound=(action, form), status=400)


@login_required
@require_POST
def abandoned_photos(request, pk: int):
    case = _case_or_404(request, pk)
    require_perm(request, "traffic.manage_abandoned")
    form = forms.PhotosForm(request.POST, request.FILES, prefix="photos")
    if not form.is_valid():
        messages.error(request, _("Choose the stage and at least one photo."))
        return redirect(case.get_absolute_url())
    try:
        added = services.abandoned_photos_add(
            actor=request.user, case_id=case.pk, stage=form.cleaned_data["stage"],
            photos=form.cleaned_data.get("photos") or [],
            idempotency_key=form.cleaned_data.get("idempotency_key"))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(count)s photos added.") % {"count": len(added)})
    return redirect(case.get_absolute_url())


@login_required
def abandoned_photo(request, pk: int, size: str):
    """A case photo, only for those who may see cases (never public)."""
    if size not in ("thumb", "full"):
        raise Http404
    photo = selectors.case_photo_visible(request.user, pk)
    if photo is None:
        raise Http404
    field = photo.thumbnail if size == "thumb" else photo.image
    response = FileResponse(field.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def abandoned_notice_pdf(request, pk: int):
    """The printable notice (告知单) to post on the vehicle, A4, in Chinese."""
    case = _case_or_404(request, pk)
    from django.conf import settings

    from safecampus.core.pdf import render_pdf

    deadline = case.notice_deadline or services.default_notice_deadline()
    pdf = render_pdf("traffic/abandoned/notice_pdf.html", {
        "case": case, "deadline": deadline, "SITE": settings.SAFECAMPUS})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{case.number}.pdf"'
    return response


# --- clean-up drives ----------------------------------------------------------------------------
@login_required
def drive_list(request):
    """Clean-up drives with their counts, and (for the office) a form to start one."""
    require_perm(request, "traffic.view_abandoned")
    can_manage = request.user.has_perm("traffic.manage_abandoned")
    form = forms.DriveForm(request.POST or None) if can_manage else None
    status = 200
    if request.method == "POST":
        require_perm(request, "traffic.manage_abandoned")
        if form.is_valid():
            d = form.cleaned_data
            try:
                drive = services.clean_up_drive_create(
                    actor=request.user, campus_id=d["campus"], name=d["name"],
                    starts_on=d.get("starts_on"), notice_deadline=d.get("notice_deadline"),
                    note=d.get("note", ""), idempotency_key=d.get("idempotency_key"))
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Clean-up drive created: now tag the vehicles."))
                return redirect("traffic:abandoned_drive_detail", pk=drive.pk)
        status = 400
    page = paginate(request, selectors.drive_list_visible_to(request.user), per_page=PER_PAGE)
    return render(request, "traffic/abandoned/drives.html", {"page": page, "form": form},
                  status=status)


def _drive_or_404(request, pk):
    drive = selectors.drive_detail(request.user, pk)
    if drive is None:
        raise Http404(_("Clean-up drive not found"))
    return drive


def _drive_page(request, drive, *, tag_form=None, status=200):
    counts = selectors.drive_state_counts(drive)
    return render(request, "traffic/abandoned/drive.html", {
        "drive": drive, "cases": selectors.drive_cases(drive),
        "counts": [(label, counts[value], value) for value, label in State.choices
                   if counts.get(value)],
        "suspected": counts.get(State.SUSPECTED, 0),
        "can_manage": request.user.has_perm("traffic.manage_abandoned"),
        "tag_form": tag_form or forms.TagForm(),
    }, status=status)


@login_required
def drive_detail(request, pk: int):
    return _drive_page(request, _drive_or_404(request, pk))


@login_required
@require_POST
def drive_tag(request, pk: int):
    """Tag many vehicles at once: every line is checked and nothing is saved if one is bad."""
    drive = _drive_or_404(request, pk)
    require_perm(request, "traffic.manage_abandoned")
    form = forms.TagForm(request.POST)
    if form.is_valid():
        try:
            cases = services.abandoned_cases_tag(
                actor=request.user, drive_id=drive.pk, rows=form.rows(),
                idempotency_key=form.cleaned_data.get("idempotency_key"))
        except DomainError as error:
            form.add_error(None, error.message)
            for message in error.field_errors.get("rows", []):
                form.add_error("lines", message)
        else:
            messages.success(request, _("%(count)s vehicles tagged.") % {"count": len(cases)})
            return redirect("traffic:abandoned_drive_detail", pk=drive.pk)
    return _drive_page(request, _drive_or_404(request, pk), tag_form=form, status=400)


@login_required
@require_POST
def drive_notices(request, pk: int):
    drive = _drive_or_404(request, pk)
    require_perm(request, "traffic.manage_abandoned")
    try:
        result = services.drive_notices_post(actor=request.user, drive_id=drive.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Notices posted on %(posted)s vehicles (move by %(date)s).")
                         % {"posted": result["posted"], "date": drive.notice_deadline.isoformat()})
        if result["skipped_cases"]:
            messages.info(request, _("Not suspected any more, so left as they are: %(cases)s.")
                          % {"cases": ", ".join(result["skipped_cases"])})
    return redirect("traffic:abandoned_drive_detail", pk=drive.pk)


urls = [
    path("abandoned/", abandoned_list, name="abandoned_list"),
    path("abandoned/report/", abandoned_report, name="abandoned_report"),
    path("abandoned/<int:pk>/", abandoned_detail, name="abandoned_detail"),
    path("abandoned/<int:pk>/photos/", abandoned_photos, name="abandoned_photos"),
    path("abandoned/<int:pk>/notice.pdf", abandoned_notice_pdf, name="abandoned_notice_pdf"),
    path("abandoned/<int:pk>/<str:action>/", abandoned_step, name="abandoned_step"),
    path("abandoned/photos/<int:pk>/<str:size>/", abandoned_photo, name="abandoned_photo"),
    path("abandoned/drives/", drive_list, name="abandoned_drive_list"),
    path("abandoned/drives/<int:pk>/", drive_detail, name="abandoned_drive_detail"),
    path("abandoned/drives/<int:pk>/tag/", drive_tag, name="abandoned_drive_tag"),
    path("abandoned/drives/<int:pk>/notices/", drive_notices, name="abandoned_drive_notices"),
]
