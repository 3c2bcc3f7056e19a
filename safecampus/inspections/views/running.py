"""Doing an inspection: my work, start, the item-by-item run page (phone first) with its JSON
endpoints, submit with a signature, and the inspection's page with its actions.

Views are thin (house rule 5): parse → one service or selector call → render. The JSON
endpoints answer ``{"ok": true, …}`` or ``{"ok": false, "error": <translated message>,
"field_errors": {…}}`` with 400 (bad input), 403 (not allowed), 404 (not visible) or 409
(the inspection is no longer in progress).
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.core.uploads import ACCEPT_ATTRIBUTE
from safecampus.organisation.selectors import place_picker_data

from .. import selectors, services
from ..forms.running import (
    InspectionFilterForm,
    ReasonForm,
    ResultForm,
    ResultPhotoForm,
    StartForm,
    StartTargetForm,
    SubmitForm,
    picker_limited_to,
    self_inspection_places,
)
from ..models import Coverage, Inspection, InspectionPlan, ResultPhoto
from ..selectors import inspection_list_visible_to, target_list_visible_to

LIST_RELATED = ("place__building", "unit", "campus", "version__template", "inspector")


def _visible(request, pk: int) -> Inspection:
    inspection = (inspection_list_visible_to(request.user)
                  .select_related(*LIST_RELATED, "plan", "reviewed_by").filter(pk=pk).first())
    if inspection is None:
        raise Http404(_("Inspection not found"))
    return inspection


def uses_inspections(user) -> bool:
    """Whether ``user`` has any part in inspections (the home page and the results export):
    the office, leadership and a unit's people; not students or guards."""
    return (user.has_perm("inspections.start_inspection")
            or user.has_perm("inspections.start_self_inspection")
            or user.has_perm("inspections.view_templates"))


# --- my work and the list -----------------------------------------------------------------
@login_required
def home(request):
    """/inspections/: the user's work (targets due, inspections to resume, approvals) and a
    paginated, filtered list of the inspections the user may see."""
    user = request.user
    can_start = user.has_perm("inspections.start_inspection")
    can_self = user.has_perm("inspections.start_self_inspection")
    if not uses_inspections(user):
        raise PermissionDenied
    visible = inspection_list_visible_to(user).select_related(*LIST_RELATED)
    targets = []
    if can_start:
        targets = [(t, StartTargetForm(initial={"target_id": t.pk})) for t in (
            target_list_visible_to(user)
            .filter(inspector=user, plan__state=InspectionPlan.State.ACTIVE,
                    coverage__in=[Coverage.NEVER, Coverage.DUE, Coverage.LATE])
            .select_related("plan", "place__building", "unit").order_by("due_on", "id")[:20])]
    form = InspectionFilterForm(request.GET or None, unit_ids=None if user.scope.sees_everything
                                else sorted(user.scope.unit_ids))
    page = paginate(request, form.apply(visible).order_by("-started_at", "-id"), per_page=30)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "inspections/home.html", {
        "can_start": can_start, "can_self": can_self,
        "targets": targets,
        "in_progress": list(visible.filter(inspector=user, state=Inspection.State.IN_PROGRESS)
                            .order_by("-started_at")[:20]),
        "awaiting": list(visible.filter(state=Inspection.State.AWAITING_REVIEW)
                         .order_by("submitted_at")[:20])
        if user.has_perm("inspections.review_inspection") else [],
        "recent": list(visible.filter(inspector=user, state=Inspection.State.FINISHED)
                       .order_by("-finished_at")[:5]),
        "links": {
            "checklists": reverse("inspections:checklist_list")
            if user.has_perm("inspections.view_templates") else "",
            "plans": reverse("inspections:plan_list")
            if user.has_perm("inspections.view_plans") and can_start else "",
            "statistics": reverse("inspections:statistics")
            if user.has_perm("inspections.view_statistics") else "",
        },
        "form": form, "page": page, "query": query.urlencode(),
    })


# --- start ----------------------------------------------------------------------------------
@login_required
def start(request):
    """Start an inspection: POST ``target_id`` (from my work) or choose place and checklist.

    Office staff start office inspections anywhere; a unit's safety contact or leader starts a
    self-inspection (自查) of the unit's places. The form's idempotency key makes a double tap
    start one inspection.
    """
    user = request.user
    can_start = user.has_perm("inspections.start_inspection")
    if not (can_start or user.has_perm("inspections.start_self_inspection")):
        raise PermissionDenied
    if request.method == "POST" and "target_id" in request.POST:
        target_form = StartTargetForm(request.POST)
        if not target_form.is_valid():
            messages.error(request, _("Choose the place to inspect."))
            return redirect("inspections:home")
        try:
            inspection = services.inspection_start(
                actor=user, target_id=target_form.cleaned_data["target_id"],
                idempotency_key=target_form.cleaned_data.get("idempotency_key"))
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("inspections:home")
        return redirect("inspections:run", pk=inspection.pk)
    places = None if can_start else self_inspection_places(user)
    form = StartForm(request.POST or None, places=places)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                inspection = services.inspection_start(
                    actor=user, place_id=data["place"].pk, template_id=data["template"].pk,
                    idempotency_key=data.get("idempotency_key"))
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                return redirect("inspections:run", pk=inspection.pk)
        status = 400
    picker = place_picker_data()
    if places is not None:
        picker = picker_limited_to(picker, places)
    return render(request, "inspections/start.html", {
        "form": form, "picker": picker, "self_inspection": not can_start,
    }, status=status)


# --- the run page -----------------------------------------------------------------------------
def _sections(inspection: Inspection, results: dict) -> list[dict]:
    """The version's sections, each with its items as ``{"item", "result"}`` (3 queries)."""
    sections = {s.pk: {"section": s, "items": []} for s in inspection.version.sections.all()}
    for item in inspection.version.items.order_by("position", "id"):
        sections[item.section_id]["items"].append({"item": item,
                                                   "result": results.get(item.pk)})
    return [s for s in sections.values() if s["items"]]


@login_required
def run(request, pk: int):
    """Item by item: the page shows what the server has; run.js saves every change at once."""
    inspection = _visible(request, pk)
    if inspection.state != Inspection.State.IN_PROGRESS:
        messages.info(request, _("This inspection is “%(state)s”; its results can no longer "
                                 "be changed here.") % {"state": inspection.get_state_display()})
        return redirect("inspections:detail", pk=pk)
    if not request.user.has_perm("inspections.record_results", inspection):
        raise PermissionDenied
    results = {r.item_id: r for r in inspection.results.prefetch_related("photos")}
    sections = _sections(inspection, results)
    total = sum(len(s["items"]) for s in sections)
    base = reverse("inspections:detail", args=[pk])
    return render(request, "inspections/run.html", {
        "inspection": inspection, "sections": sections, "total": total,
        "answered": len(results), "accept": ACCEPT_ATTRIBUTE,
        "office": inspection.kind == Inspection.Kind.OFFICE,
        "run_config": {
            "inspection": inspection.pk,
            "rowVersion": inspection.row_version,
            "total": total,
            "itemsUrl": base + "items/",
            "photosUrl": base + "photos/",
            "text": {
                "saved": _("All changes saved"),
                "saving": _("Saving…"),
                "offline": _("Offline: %(count)s change(s) waiting; they are sent when the "
                             "network returns."),
                "waiting": _("Not saved yet: %(count)s change(s) waiting; trying again."),
                "finishOffline": _("You are offline: finish and sign when the network is back. "
                                   "Your answers are kept on this phone."),
                "answered": _("Answered %(answered)s of %(total)s"),
                "photoWaiting": _("Waiting to upload"),
                "photoUploading": _("Uploading…"),
                "photoFailed": _("Not uploaded yet"),
                "retry": _("Retry"),
                "remove": _("Remove"),
                "repeat": _("Repeat finding"),
                "stale": _("%(count)s change(s) kept on this phone were from before the "
                           "inspection was submitted and were not sent."),
                "signedOut": _("You are signed out or the page is out of date; reload the "
                               "page (nothing typed here is lost)."),
                "notInProgress": _("This inspection is no longer in progress; open its page."),
                "photoStored": _("Kept on this phone until it is sent"),
                "photoMemory": _("Keep this page open until it is sent"),
            },
        },
    })


def _json_endpoint(view):
    """POST only; JSON 401 instead of a redirect to the sign-in page; 404 as JSON."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"ok": False, "error": _("Sign in again.")}, status=401)
        if request.method != "POST":
            return JsonResponse({"ok": False, "error": _("Use POST.")}, status=405)
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return JsonResponse({"ok": False, "error": _("Inspection not found")}, status=404)
        except DomainError as error:
            return JsonResponse({"ok": False, "error": error.message,
                                 "field_errors": error.field_errors}, status=error.status_code)
    return wrapper


@_json_endpoint
def result_save(request, pk: int, item_id: int):
    """Record one item's answer (``outcome`` complies|fails|na, ``note``, ``fixed_on_spot``,
    ``fix_note``). Answers the saved result and how many items are answered."""
    inspection = _visible(request, pk)
    form = ResultForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    result = services.result_record(
        actor=request.user, inspection_id=inspection.pk, item_id=item_id,
        outcome=data.get("outcome") or "", note=data.get("note") or "",
        fixed_on_spot=bool(data.get("fixed_on_spot")), fix_note=data.get("fix_note") or "")
    repeat_of = None
    if result.is_repeat and result.repeat_of_id:
        earlier = Inspection.objects.filter(results__pk=result.repeat_of_id).first()
        repeat_of = earlier.reference if earlier else None
    return JsonResponse({
        "ok": True, "item": result.item_id, "outcome": result.outcome,
        "fixed_on_spot": result.fixed_on_spot, "is_repeat": result.is_repeat,
        "repeat_of": repeat_of,
        "answered": inspection.results.count(),
    })


def _photo_json(inspection_id: int, photo: ResultPhoto) -> dict:
    return {
        "id": photo.pk, "client_id": photo.client_id, "stage": photo.stage,
        "thumb": reverse("inspections:photo", args=[inspection_id, photo.pk, "thumb"]),
        "full": reverse("inspections:photo", args=[inspection_id, photo.pk, "full"]),
        "delete": reverse("inspections:photo_delete", args=[inspection_id, photo.pk]),
    }


@_json_endpoint
def result_photo(request, pk: int, item_id: int):
    """Attach a photo (multipart ``photo``, ``client_id``, ``stage`` finding|fixed); the same
    ``client_id`` sent again answers the photo stored the first time."""
    inspection = _visible(request, pk)
    form = ResultPhotoForm(request.POST, request.FILES)
    form.is_valid()
    data = form.cleaned_data
    photo = services.result_photo_add(
        actor=request.user, inspection_id=inspection.pk, item_id=item_id,
        upload=data.get("photo"), client_id=data.get("client_id") or "",
        stage=data.get("stage") or ResultPhoto.Stage.FINDING)
    return JsonResponse({"ok": True, **_photo_json(inspection.pk, photo)})


@_json_endpoint
def photo_delete(request, pk: int, photo_id: int):
    inspection = _visible(request, pk)
    if not ResultPhoto.objects.filter(pk=photo_id, result__inspection=inspection).exists():
        raise Http404
    services.result_photo_delete(actor=request.user, photo_id=photo_id)
    return JsonResponse({"ok": True, "id": photo_id})


@login_required
def photo(request, pk: int, photo_id: int, size: str):
    """A result photo, only to those who may see the inspection (photos are never public)."""
    if size not in ("thumb", "full"):
        raise Http404
    inspection = _visible(request, pk)
    if not request.user.has_perm("inspections.view_inspection", inspection):
        raise Http404
    row = ResultPhoto.objects.filter(pk=photo_id, result__inspection=inspection).first()
    if row is None:
        raise Http404
    field = row.thumbnail if size == "thumb" else row.image
    response = FileResponse(field.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def signature(request, pk: int):
    """The unit representative's signature (PNG), to those who may see the inspection."""
    inspection = _visible(request, pk)
    if not inspection.signature or not request.user.has_perm("inspections.view_inspection",
                                                             inspection):
        raise Http404
    response = FileResponse(inspection.signature.open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- submit ---------------------------------------------------------------------------------
@login_required
def submit(request, pk: int):
    """Remarks, the representative's name and signature; then results go out (or to review)."""
    inspection = _visible(request, pk)
    if not request.user.has_perm("inspections.record_results", inspection):
        raise PermissionDenied
    if inspection.state != Inspection.State.IN_PROGRESS:
        return redirect("inspections:detail", pk=pk)
    form = SubmitForm(request.POST or None, inspection=inspection,
                      initial={"row_version": inspection.row_version,
                               "summary": inspection.summary,
                               "signer_name": inspection.signer_name})
    problems: list[str] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inspection = services.inspection_submit(
                actor=request.user, inspection_id=pk, signer_name=data.get("signer_name") or "",
                signature=data.get("signature") or "", summary=data.get("summary") or "",
                row_version=data.get("row_version"))
        except (NotAllowed, Conflict) as error:
            problems = [error.message]
            status = error.status_code
        except DomainError as error:
            problems = error.field_errors.get("__all__") or []
            rest = {k: v for k, v in error.field_errors.items() if k != "__all__"}
            if rest or not problems:
                apply_domain_error(form, DomainError(error.message, field_errors=rest))
            status = 400
        else:
            if inspection.state == Inspection.State.AWAITING_REVIEW:
                messages.success(request, _("Inspection %(ref)s submitted; it goes out when it "
                                            "is approved.") % {"ref": inspection.reference})
            else:
                messages.success(request, _released_message(inspection))
            return redirect("inspections:detail", pk=pk)
    elif request.method == "POST":
        status = 400
    return render(request, "inspections/submit.html", {
        "inspection": inspection, "form": form, "problems": problems,
        "figures": services.inspection_figures(inspection),
        "office": inspection.kind == Inspection.Kind.OFFICE,
        "submit_config": {"inspection": inspection.pk, "text": {
            "pending": _("%(count)s change(s) on this phone are not saved yet. Go back to the "
                         "items and let them be sent first.")}},
    }, status=status)


def _released_message(inspection: Inspection, *, approved: bool = False) -> str:
    """What releasing the results did, in words: an office inspection's results go to the
    unit; a self-inspection's failed items go to the security office as reported hazards
    (their references named), since the unit already has its own results."""
    if inspection.kind != Inspection.Kind.SELF:
        if approved:
            return _("Approved; the results went to the unit.")
        return _("Inspection %(ref)s finished; the results went to the unit.") % {
            "ref": inspection.reference}
    references = selectors.inspection_reported_hazard_references(inspection)
    values = {"ref": inspection.reference, "count": len(references),
              "numbers": "、".join(references)}
    if not references:
        if approved:
            return _("Approved: every item of self-inspection %(ref)s complies, so no hazard "
                     "was reported.") % values
        return _("Self-inspection %(ref)s finished: every item complies, so no hazard was "
                 "reported.") % values
    if approved:
        return ngettext(
            "Approved: %(count)s failed item of self-inspection %(ref)s was reported to the "
            "security office as hazard %(numbers)s.",
            "Approved: %(count)s failed items of self-inspection %(ref)s were reported to the "
            "security office as hazards %(numbers)s.", len(references)) % values
    return ngettext(
        "Self-inspection %(ref)s finished: %(count)s failed item was reported to the security "
        "office as hazard %(numbers)s.",
        "Self-inspection %(ref)s finished: %(count)s failed items were reported to the "
        "security office as hazards %(numbers)s.", len(references)) % values


# --- the inspection's page ------------------------------------------------------------------
ACTIONS = {
    "approve": ("inspections.review_inspection", Inspection.State.AWAITING_REVIEW,
                gettext_lazy("Comment"), gettext_lazy("Approved; the results went to the unit."),
                lambda u, pk, d: services.inspection_approve(
                    actor=u, inspection_id=pk, comment=d.get("reason") or "",
                    row_version=d.get("row_version"))),
    "send_back": ("inspections.review_inspection", Inspection.State.AWAITING_REVIEW,
                  gettext_lazy("Reason"), gettext_lazy("Sent back to the inspector."),
                  lambda u, pk, d: services.inspection_send_back(
                      actor=u, inspection_id=pk, reason=d.get("reason") or "",
                      row_version=d.get("row_version"))),
    "reopen": ("inspections.reopen_inspection", Inspection.State.FINISHED,
               gettext_lazy("Reason"), gettext_lazy("Reopened; the reason is on the timeline."),
               lambda u, pk, d: services.inspection_reopen(
                   actor=u, inspection_id=pk, reason=d.get("reason") or "",
                   row_version=d.get("row_version"))),
    "cancel": ("inspections.cancel_inspection", Inspection.State.IN_PROGRESS, gettext_lazy("Reason"),
               gettext_lazy("Inspection cancelled."),
               lambda u, pk, d: services.inspection_cancel(
                   actor=u, inspection_id=pk, reason=d.get("reason") or "")),
}


def _may(user, action: str, inspection: Inspection) -> bool:
    perm, state, *_rest = ACTIONS[action]
    return inspection.state == state and user.has_perm(perm, inspection)


def _render_detail(request, inspection, *, bound_action="", bound_form=None, status=200):
    user = request.user
    results = {r.item_id: r for r in inspection.results.select_related("item", "hazard")
               .prefetch_related("photos")}
    forms = {}
    for action, (_perm, _state, label, _done, _call) in ACTIONS.items():
        if _may(user, action, inspection):
            forms[action] = ReasonForm(initial={"row_version": inspection.row_version},
                                       label=label)
    if bound_form is not None and bound_action in forms:
        forms[bound_action] = bound_form
    return render(request, "inspections/detail.html", {
        "inspection": inspection,
        "sections": _sections(inspection, results),
        "hazards": [r for r in results.values() if r.hazard_id],
        "timeline": activity_for(inspection),
        "forms": forms,
        "can_resume": inspection.state == Inspection.State.IN_PROGRESS
        and user.has_perm("inspections.record_results", inspection),
    }, status=status)


def _refused_key(pk: int) -> str:
    return f"inspections:refused_action:{pk}"


def _refused_form(request, inspection: Inspection) -> tuple[str, ReasonForm | None]:
    """The action form a refused POST left in the session (what was typed and the errors),
    taken out so that it shows once, on the next view of the inspection's page."""
    kept = request.session.pop(_refused_key(inspection.pk), None)
    if not isinstance(kept, dict) or kept.get("action") not in ACTIONS:
        return "", None
    form = ReasonForm(kept.get("data") or {}, label=ACTIONS[kept["action"]][2])
    if form.is_valid():
        apply_domain_error(form, DomainError(kept.get("message") or "",
                                             field_errors=kept.get("errors") or {}))
    return kept["action"], form


@login_required
def detail(request, pk: int):
    inspection = _visible(request, pk)
    bound_action, bound_form = _refused_form(request, inspection)
    return _render_detail(request, inspection, bound_action=bound_action, bound_form=bound_form)


@login_required
@require_POST
def action(request, pk: int, action: str):
    """POST target of the approve / send back / reopen / cancel forms on the detail page.

    Always answers with a redirect to the inspection's page (post/redirect/get), so that a
    reload never posts again: a refused action shows its message there, and its form comes
    back open with what was typed and the error beside the field.
    """
    if action not in ACTIONS:
        raise Http404
    _visible(request, pk)
    _perm, _state, label, done, call = ACTIONS[action]
    form = ReasonForm(request.POST, label=label)
    if not form.is_valid():
        error = DomainError(_("Correct the form and send it again."))
    else:
        try:
            call(request.user, pk, form.cleaned_data)
        except (NotAllowed, Conflict) as refused:
            messages.error(request, refused.message)
            return redirect("inspections:detail", pk=pk)
        except DomainError as refused:
            error = refused
        else:
            if action == "approve":
                done = _released_message(Inspection.objects.get(pk=pk), approved=True)
            messages.success(request, done)
            return redirect("inspections:detail", pk=pk)
    messages.error(request, error.message)
    request.session[_refused_key(pk)] = {
        "action": action,
        "data": {"reason": request.POST.get("reason", ""),
                 "row_version": request.POST.get("row_version", "")},
        "message": str(error.message),
        "errors": {name: [str(m) for m in msgs] for name, msgs in error.field_errors.items()},
    }
    return redirect(reverse("inspections:detail", args=[pk]) + f"#action-{action}")


urls: list = [
    path("", home, name="home"),
    path("start/", start, name="start"),
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/run/", run, name="run"),
    path("<int:pk>/submit/", submit, name="submit"),
    path("<int:pk>/items/<int:item_id>/", result_save, name="result_save"),
    path("<int:pk>/items/<int:item_id>/photos/", result_photo, name="result_photo"),
    path("<int:pk>/photos/<int:photo_id>/delete/", photo_delete, name="photo_delete"),
    path("<int:pk>/photos/<int:photo_id>/<str:size>/", photo, name="photo"),
    path("<int:pk>/signature/", signature, name="signature"),
    path("<int:pk>/do/<str:action>/", action, name="action"),
]
