"""Pages of the duty room (值班室): the shift on duty with its log, taking over and handing
over, shift history, and one entry with what can be done to it (edit, close, reopen, turn
into an incident or a hazard). Thin: each view parses a form and calls one service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.organisation.selectors import place_picker_data

from ..forms.duty import (
    CloseForm,
    EntryForm,
    EntryIncidentForm,
    HandoverForm,
    HazardForm,
    ReasonForm,
    TakeOverForm,
)
from ..models import DutyLogEntry
from ..selectors import duty as selectors
from ..services import duty as services

ENTRIES_PER_PAGE = 50
SHIFTS_PER_PAGE = 30


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _person(user) -> str:
    return (user.full_name or user.username) if user is not None else ""


def _error_message(request, error: DomainError) -> None:
    messages.error(request, error.message)


# --- the duty room -------------------------------------------------------------------------
@login_required
def duty_home(request):
    """The shift on duty: officer, leader, its entries (open first), a quick log form and the
    way to hand over; with nobody on duty, the form to take over."""
    _require(request, "patrols.view_duty_log")
    user = request.user
    can_keep = user.has_perm("patrols.keep_duty_log")
    form = None
    status = 200
    if request.method == "POST":
        if not can_keep:
            raise PermissionDenied
        form = EntryForm(request.POST)
        if form.is_valid():
            try:
                entry = services.duty_entry_log(
                    actor=user, idempotency_key=form.cleaned_data.get("idempotency_key"),
                    **form.service_arguments())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                if getattr(entry, "already_logged", False):
                    messages.info(request, services.msg_already_logged(entry))
                else:
                    messages.success(request, _("Logged: %(summary)s")
                                     % {"summary": entry.summary[:60]})
                return redirect("patrols:duty_home")
        status = 400
    shift = selectors.duty_shift_open()
    page = paginate(request, selectors.duty_shift_entries(user, shift), per_page=ENTRIES_PER_PAGE) \
        if shift else None
    if page is not None:
        selectors.with_hazards(page.object_list)
    if can_keep and form is None:
        form = EntryForm()
    return render(request, "patrols/duty/home.html", {
        "shift": shift, "page": page, "form": form if can_keep else None,
        "take_over_form": TakeOverForm() if can_keep and shift is None else None,
        "open_count": shift.entries.filter(status=DutyLogEntry.Status.OPEN).count()
        if shift else 0,
        "can_keep": can_keep, "show_phone": selectors.caller_phone_visible(user),
        "picker": place_picker_data() if can_keep else None,
    }, status=status)


@login_required
def duty_take_over(request):
    """Go on duty when nobody is (the first shift); later shifts start by a handover. The
    form is on the duty room page: a GET (a bookmark, Back) goes there."""
    if request.method != "POST":
        return redirect("patrols:duty_home")
    _require(request, "patrols.keep_duty_log")
    form = TakeOverForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the form and try again."))
        return redirect("patrols:duty_home")
    try:
        shift = services.duty_shift_take_over(actor=request.user,
                                              leader_id=form.cleaned_data.get("leader"),
                                              note=form.cleaned_data.get("note", ""))
    except DomainError as error:
        _error_message(request, error)
    else:
        messages.success(request, _("You are on duty since %(time)s.")
                         % {"time": shift.started_at.astimezone(clock.local_zone()).strftime("%H:%M")})
    return redirect("patrols:duty_home")


@login_required
def duty_handover(request):
    """Hand the shift over: the open items that will carry over, the next officer, the
    leader on duty and a note.

    The form names the shift it was shown for and carries an idempotency key: sent twice
    (a double tap) it lands on the first handover's result; sent for a shift someone else
    has handed over meanwhile, the duty room page says so (the form would be about a shift
    that is no longer on duty)."""
    _require(request, "patrols.keep_duty_log")
    status = 200
    if request.method == "POST":
        form = HandoverForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            open_shift = selectors.duty_shift_open()
            shift_id = d.get("shift") or (open_shift.pk if open_shift else None)
            try:
                if shift_id is None:
                    raise DomainError(services.msg_no_open_shift(), code="no_open_shift")
                new = services.duty_shift_hand_over(
                    actor=request.user, shift_id=shift_id, next_officer_id=d.get("next_officer"),
                    leader_id=d.get("leader"), note=d.get("note", ""),
                    idempotency_key=d.get("idempotency_key"))
            except DomainError as error:
                if error.code in ("handed_over", "no_open_shift", "not_found"):
                    messages.warning(request, error.message)
                    return redirect("patrols:duty_home")
                apply_domain_error(form, error)
            else:
                messages.success(request, _(
                    "Shift handed over to %(name)s; %(count)s open item(s) carried over.")
                    % {"name": _person(new.officer), "count": new.previous.carried_over})
                return redirect("patrols:duty_home")
        status = 400
    shift = selectors.duty_shift_open()
    if shift is None:
        messages.warning(request, services.msg_no_open_shift())
        return redirect("patrols:duty_home")
    if request.method != "POST":
        form = HandoverForm(initial={"leader": shift.leader_id, "shift": shift.pk})
    carrying = selectors.with_hazards(
        selectors.duty_entry_list_visible_to(request.user)
        .filter(shift=shift, status=DutyLogEntry.Status.OPEN).order_by("occurred_at", "id"))
    return render(request, "patrols/duty/handover.html", {
        "shift": shift, "form": form, "carrying": carrying,
        "show_phone": selectors.caller_phone_visible(request.user),
    }, status=status)


# --- shifts --------------------------------------------------------------------------------
@login_required
def duty_shift_list(request):
    """Shift history, newest first (30 a page, no count)."""
    _require(request, "patrols.view_duty_log")
    page = paginate(request, selectors.duty_shift_list_visible_to(request.user),
                    per_page=SHIFTS_PER_PAGE)
    return render(request, "patrols/duty/shift_list.html", {"page": page})


@login_required
def duty_shift_detail(request, pk: int):
    """One shift: entries logged in it, carried over into it and passed on, handover note."""
    _require(request, "patrols.view_duty_log")
    shift = selectors.duty_shift_list_visible_to(request.user).filter(pk=pk).select_related(
        "previous__officer").first()
    if shift is None:
        raise Http404(_("Shift not found"))
    next_shift = selectors.duty_shift_list_visible_to(request.user).filter(previous=shift).first()
    return render(request, "patrols/duty/shift_detail.html", {
        "shift": shift, "next_shift": next_shift,
        "story": selectors.duty_shift_story(request.user, shift),
        "show_phone": selectors.caller_phone_visible(request.user),
    })


# --- one entry -----------------------------------------------------------------------------
def _visible_entry(request, pk) -> DutyLogEntry:
    _require(request, "patrols.view_duty_log")
    entry = selectors.duty_entry_detail(request.user, pk)
    if entry is None:
        raise Http404(_("Entry not found"))
    return entry


def _hazard_initial(record) -> dict:
    return {"campus": record.campus_id, "place": record.place_id,
            "location_text": record.location_text, "description": record.summary,
            "title": record.summary.splitlines()[0][:120] if record.summary else ""}


def _entry_page(request, entry: DutyLogEntry, *, bound=None, bound_name: str = "",
                status: int = 200):
    user = request.user
    is_open = entry.status == DutyLogEntry.Status.OPEN
    can_keep = user.has_perm("patrols.keep_duty_log")
    forms = {}
    if can_keep and is_open:
        forms["close"] = CloseForm(initial={"action_taken": entry.action_taken})
    if can_keep and not is_open:
        forms["reopen"] = ReasonForm()
    if entry.incident_id is None and user.has_perm("patrols.record_incident"):
        forms["incident"] = EntryIncidentForm()
    hazard = selectors.event_hazard(entry=entry)
    if can_keep and hazard is None:
        forms["hazard"] = HazardForm(initial=_hazard_initial(entry))
    if bound is not None and (bound_name != "hazard" or hazard is None):
        forms[bound_name] = bound
    timeline = list(activity_for(entry).order_by("occurred_at", "id"))
    return render(request, "patrols/duty/entry_detail.html", {
        "entry": entry, "timeline": timeline, "forms": forms, "bound_name": bound_name,
        "can_edit": can_keep and is_open,
        "show_phone": selectors.caller_phone_visible(user),
        "incident_visible": bool(entry.incident_id and entry.incident.is_visible_to(user)),
        "hazard": hazard, "hazard_visible": selectors.hazard_visible(user, hazard),
        "picker": place_picker_data() if "hazard" in forms else None,
    }, status=status)


@login_required
def duty_entry_detail(request, pk: int):
    return _entry_page(request, _visible_entry(request, pk))


@login_required
def duty_entry_edit(request, pk: int):
    entry = _visible_entry(request, pk)
    _require(request, "patrols.keep_duty_log")
    status = 200
    if request.method == "POST":
        form = EntryForm(request.POST)
        if form.is_valid():
            try:
                services.duty_entry_update(actor=request.user, entry_id=entry.pk,
                                           **form.service_arguments())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Entry saved."))
                return redirect(entry.get_absolute_url())
        status = 400
    else:
        form = EntryForm(initial={
            "kind": entry.kind, "occurred_at": entry.occurred_at, "summary": entry.summary,
            "campus": entry.campus_id, "place": entry.place_id,
            "location_text": entry.location_text, "caller_name": entry.caller_name,
            "caller_phone": entry.caller_phone, "action_taken": entry.action_taken})
    return render(request, "patrols/duty/entry_form.html", {
        "entry": entry, "form": form, "picker": place_picker_data()}, status=status)


@login_required
@require_POST
def duty_entry_action(request, pk: int, action: str):
    """Close, reopen, turn into an incident or a hazard; on bad input the entry page again
    with the form's errors (nothing changed)."""
    entry = _visible_entry(request, pk)
    user = request.user
    forms = {"close": CloseForm, "reopen": ReasonForm, "incident": EntryIncidentForm,
             "hazard": HazardForm}
    if action not in forms:
        raise Http404
    form = forms[action](request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            if action == "close":
                services.duty_entry_close(actor=user, entry_id=entry.pk,
                                          action_taken=d.get("action_taken"))
                messages.success(request, _("Entry closed."))
            elif action == "reopen":
                services.duty_entry_reopen(actor=user, entry_id=entry.pk,
                                           reason=d.get("reason", ""))
                messages.success(request, _("Entry reopened; it is on the current shift."))
            elif action == "incident":
                incident = services.duty_entry_to_incident(actor=user, entry_id=entry.pk,
                                                           **form.service_arguments())
                messages.success(request, _("Incident %(reference)s recorded.")
                                 % {"reference": incident.reference})
                if incident.is_visible_to(user):
                    return redirect(incident.get_absolute_url())
            else:
                hazard = services.duty_entry_to_hazard(actor=user, entry_id=entry.pk,
                                                       **form.service_arguments())
                messages.success(request, _("Hazard %(reference)s reported.")
                                 % {"reference": hazard.reference})
        except DomainError as error:
            if not error.field_errors and error.status_code == 409:
                _error_message(request, error)
                return redirect(entry.get_absolute_url())
            apply_domain_error(form, error)
        else:
            return redirect(entry.get_absolute_url())
    entry = _visible_entry(request, pk)
    return _entry_page(request, entry, bound=form, bound_name=action, status=400)


urls: list = [
    path("duty/", duty_home, name="duty_home"),
    path("duty/take-over/", duty_take_over, name="duty_take_over"),
    path("duty/handover/", duty_handover, name="duty_handover"),
    path("duty/shifts/", duty_shift_list, name="duty_shift_list"),
    path("duty/shifts/<int:pk>/", duty_shift_detail, name="duty_shift_detail"),
    path("duty/entries/<int:pk>/", duty_entry_detail, name="duty_entry_detail"),
    path("duty/entries/<int:pk>/edit/", duty_entry_edit, name="duty_entry_edit"),
    path("duty/entries/<int:pk>/<slug:action>/", duty_entry_action, name="duty_entry_action"),
]
