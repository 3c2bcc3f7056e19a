"""Pages of the police module's meetings area: meetings (list with filters, plan, a meeting's
page with its agenda — carried-over actions with their live state — attendees, minutes and
decisions, record as held, cancel) and actions (mine, all, an action's page with its
timeline, progress, complete, reopen, drop). Views are thin (house rule 5): parse, one
service or selector call, render; objects the user may not see are 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core import clock
from safecampus.core.errors import Conflict, DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.core.views import require_perm

from ..forms.meetings import (
    ActionFilterForm,
    ActionRows,
    CompleteForm,
    HoldForm,
    MeetingFilterForm,
    MeetingForm,
    ProgressForm,
    ReasonForm,
    action_choices,
)
from ..models import Meeting, MeetingAction
from ..selectors import meetings as selectors
from ..services import meetings as services

PER_PAGE = 25


def _meeting_or_404(request, pk: int) -> Meeting:
    meeting = selectors.meeting_detail(pk)
    if meeting is None or not request.user.has_perm("police.view_meeting", meeting):
        raise Http404(_("Meeting not found"))
    return meeting


def _action_or_404(request, pk: int) -> MeetingAction:
    action = selectors.action_detail(pk)
    if action is None or not request.user.has_perm("police.view_action", action):
        raise Http404(_("Action not found"))
    return action


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- meetings -----------------------------------------------------------------------------
@login_required
def meeting_list(request):
    require_perm(request, "police.view_meetings")
    filters = MeetingFilterForm(request.GET or None)
    page = paginate(request, selectors.meeting_list(request.user, **filters.filters()),
                    per_page=PER_PAGE)
    return render(request, "police/meetings/list.html", {
        "page": page, "filters": filters, "query": _query(request),
        "can_plan": request.user.has_perm("police.plan_meeting")})


@login_required
def meeting_plan(request):
    require_perm(request, "police.plan_meeting")
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_plan(
                actor=request.user, data=form.service_input(),
                idempotency_key=form.cleaned_data["idempotency_key"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Meeting “%(title)s” planned.") % {
                "title": meeting.title})
            return redirect("police:meeting_detail", pk=meeting.pk)
    return render(request, "police/meetings/form.html", {"form": form},
                  status=400 if form.errors else 200)


def _detail_context(request, meeting: Meeting, *, cancel_form=None) -> dict:
    today = clock.local_today()
    items = list(meeting.agenda.all())
    shown = selectors.action_ids_visible_to(request.user,
                                            [i.carried_action_id for i in items])
    # (item, live state, may see its action): a carried action the viewer may not see is
    # shown as "an action of another meeting", nothing more.
    agenda = [(item, selectors.action_live_state(item.carried_action, today)
               if item.carried_action else "", item.carried_action_id in shown)
              for item in items]
    planned = meeting.state == Meeting.State.PLANNED
    may_hold = planned and request.user.has_perm("police.record_minutes")
    return {
        "meeting": meeting, "agenda": agenda, "today": today,
        "actions": [(a, selectors.action_live_state(a, today)) for a in meeting.actions.all()],
        "timeline": selectors.meeting_timeline(meeting),
        "can_hold": may_hold and services.meeting_started(meeting),
        "hold_later": services.msg_too_early(meeting)
        if may_hold and not services.meeting_started(meeting) else "",
        "can_edit": planned and request.user.has_perm("police.plan_meeting"),
        "can_cancel": planned and request.user.has_perm("police.plan_meeting"),
        "cancel_form": cancel_form or ReasonForm(), "cancel_open": cancel_form is not None}


@login_required
def meeting_detail(request, pk: int):
    meeting = _meeting_or_404(request, pk)
    return render(request, "police/meetings/detail.html", _detail_context(request, meeting))


@login_required
def meeting_edit(request, pk: int):
    meeting = _meeting_or_404(request, pk)
    require_perm(request, "police.plan_meeting")
    if meeting.state != Meeting.State.PLANNED:
        messages.error(request, services.msg_meeting_not_planned(meeting))
        return redirect("police:meeting_detail", pk=meeting.pk)
    form = MeetingForm(request.POST or None, initial=MeetingForm.initial_of(meeting))
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(actor=request.user, meeting_id=meeting.pk,
                                    data=form.service_input())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Meeting saved."))
            return redirect("police:meeting_detail", pk=meeting.pk)
    return render(request, "police/meetings/form.html", {"form": form, "meeting": meeting},
                  status=400 if form.errors else 200)


@login_required
def meeting_hold(request, pk: int):
    meeting = _meeting_or_404(request, pk)
    require_perm(request, "police.record_minutes")
    if meeting.state != Meeting.State.PLANNED:
        messages.error(request, services.msg_meeting_state(meeting))
        return redirect("police:meeting_detail", pk=meeting.pk)
    if not services.meeting_started(meeting):
        messages.error(request, services.msg_too_early(meeting))
        return redirect("police:meeting_detail", pk=meeting.pk)
    form = HoldForm(request.POST or None, meeting=meeting)
    rows = ActionRows(request.POST or None, prefix="actions",
                      form_kwargs={"choices": action_choices()})
    refused = False
    if request.method == "POST" and form.is_valid() and rows.is_valid():
        given = [r for r in rows if not r.is_blank()]
        try:
            services.meeting_hold(
                actor=request.user, meeting_id=meeting.pk,
                minutes=form.cleaned_data["minutes"],
                attended_ids=form.cleaned_data["attended"],
                actions=[r.service_input() for r in given])
        except DomainError as error:
            _hold_errors(form, given, error)
            refused = True
        else:
            messages.success(request, _("Minutes recorded."))
            return redirect("police:meeting_detail", pk=meeting.pk)
    failed = refused or bool(form.errors or rows.total_error_count())
    return render(request, "police/meetings/hold.html", {
        "meeting": meeting, "form": form, "rows": rows}, status=400 if failed else 200)


def _hold_errors(form, given: list, error: DomainError) -> None:
    """A refused hold's messages, each once: a decision row's beside that row, the minutes'
    and attendance's at their fields, anything else at the top."""
    row_errors = getattr(error, "row_errors", {})
    for number, message in row_errors.items():
        given[number - 1].row_error = message
    placed = set(row_errors.values())
    for name, texts in error.field_errors.items():
        for text in texts:
            if text in placed:
                continue
            form.add_error(name if name in form.fields else None, text)
            placed.add(text)
    if not placed:
        form.add_error(None, error.message)


@login_required
@require_POST
def meeting_cancel(request, pk: int):
    meeting = _meeting_or_404(request, pk)
    require_perm(request, "police.plan_meeting")
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.meeting_cancel(actor=request.user, meeting_id=meeting.pk,
                                reason=form.cleaned_data.get("reason", ""))
    except Conflict as error:
        messages.error(request, error.message)
    except DomainError as error:
        apply_domain_error(form, error)
        return render(request, "police/meetings/detail.html",
                      _detail_context(request, meeting, cancel_form=form), status=400)
    else:
        messages.success(request, _("Meeting cancelled."))
    return redirect("police:meeting_detail", pk=meeting.pk)


# --- actions ------------------------------------------------------------------------------
@login_required
def action_list(request):
    """``?mine=1`` (the default for those who see only their own): the actions the user
    answers for; otherwise all visible actions (office and leadership)."""
    user = request.user
    sees_all = user.scope.sees_everything
    if not (sees_all or user.has_perm("police.view_my_actions")):
        raise PermissionDenied
    mine = request.GET.get("mine") == "1" or not sees_all
    filters = ActionFilterForm(request.GET or None)
    page = paginate(request, selectors.action_list(user, mine=mine, **filters.filters()),
                    per_page=PER_PAGE)
    today = clock.local_today()
    return render(request, "police/meetings/actions.html", {
        "page": page, "rows": [(a, selectors.action_live_state(a, today)) for a in page],
        "filters": filters, "query": _query(request), "mine": mine, "sees_all": sees_all})


def _action_context(request, action: MeetingAction, **forms) -> dict:
    user = request.user
    is_open = action.state == MeetingAction.State.OPEN
    seen = set(selectors.meetings_visible_to(user).filter(
        pk__in=[i.meeting_id for i in action.agenda_items.all()]).values_list("pk", flat=True))
    return {
        "action": action, "live": selectors.action_live_state(action),
        "followed_up": [i for i in action.agenda_items.all() if i.meeting_id in seen],
        "timeline": selectors.action_timeline(action),
        "can_update": is_open and user.has_perm("police.update_action", action),
        "can_reopen": action.state == MeetingAction.State.DONE
        and user.has_perm("police.reopen_action"),
        "can_drop": is_open and user.has_perm("police.drop_action"),
        "progress_form": forms.get("progress_form") or ProgressForm(
            initial={"progress": action.progress}),
        "complete_form": forms.get("complete_form") or CompleteForm(),
        "reason_form": forms.get("reason_form") or ReasonForm(),
        "reason_open": "reason_form" in forms}


@login_required
def action_detail(request, pk: int):
    action = _action_or_404(request, pk)
    return render(request, "police/meetings/action.html", _action_context(request, action))


def _action_post(request, pk: int, call, done_message: str, form_class, field: str,
                 form_key: str):
    """Run ``call`` with the posted text; a refused text is shown again at its field with
    the message (nothing lost), a state conflict as a message on the action's page."""
    action = _action_or_404(request, pk)
    form = form_class(request.POST)
    form.is_valid()
    try:
        call(actor=request.user, action_id=action.pk, **{field: form.cleaned_data.get(field, "")})
    except DomainError as error:
        if error.status_code == 403:
            raise PermissionDenied from None
        if error.field_errors and not isinstance(error, Conflict):
            apply_domain_error(form, error)
            return render(request, "police/meetings/action.html",
                          _action_context(request, action, **{form_key: form}), status=400)
        messages.error(request, error.message)
    else:
        messages.success(request, done_message)
    return redirect("police:action_detail", pk=action.pk)


@login_required
@require_POST
def action_progress(request, pk: int):
    return _action_post(request, pk, services.action_progress, _("Progress recorded."),
                        ProgressForm, "progress", "progress_form")


@login_required
@require_POST
def action_complete(request, pk: int):
    return _action_post(request, pk, services.action_complete, _("Action marked as done."),
                        CompleteForm, "note", "complete_form")


@login_required
@require_POST
def action_reopen(request, pk: int):
    return _action_post(request, pk, services.action_reopen, _("Action reopened."),
                        ReasonForm, "reason", "reason_form")


@login_required
@require_POST
def action_drop(request, pk: int):
    return _action_post(request, pk, services.action_drop, _("Action dropped."),
                        ReasonForm, "reason", "reason_form")


urls = [
    path("meetings/", meeting_list, name="meeting_list"),
    path("meetings/new/", meeting_plan, name="meeting_plan"),
    path("meetings/<int:pk>/", meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/held/", meeting_hold, name="meeting_hold"),
    path("meetings/<int:pk>/cancel/", meeting_cancel, name="meeting_cancel"),
    path("actions/", action_list, name="action_list"),
    path("actions/<int:pk>/", action_detail, name="action_detail"),
    path("actions/<int:pk>/progress/", action_progress, name="action_progress"),
    path("actions/<int:pk>/complete/", action_complete, name="action_complete"),
    path("actions/<int:pk>/reopen/", action_reopen, name="action_reopen"),
    path("actions/<int:pk>/drop/", action_drop, name="action_drop"),
]
