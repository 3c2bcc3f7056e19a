"""Pages of the violations area: record a violation on a phone, the violation's page (owner,
notices, send again, close, void, appeal, timeline), the lists (office and guards; an owner's
own), the repeat-offender list and the rules. Views are thin: one selector or service call
each (house rule 5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.html import conditional_escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error, id_or_none
from safecampus.core.pagination import paginate
from safecampus.core.views import require_perm

from ..forms.violations import (
    AppealDecideForm,
    AppealForm,
    AppealQueueForm,
    OffenderRuleForm,
    ViolationFilterForm,
    ViolationRecordForm,
    VoidForm,
)
from ..models import Appeal, OffenderRule, Violation
from ..selectors import violations as selectors
from ..selectors.appeals import QUEUE_STATES, appeal_queue
from ..services import violations as services

PER_PAGE = 30



def _violation_or_404(request, pk: int) -> Violation:
    violation = selectors.violation_detail(request.user, pk)
    if violation is None or not request.user.has_perm("traffic.view_violation", violation):
        raise Http404(_("Violation not found"))
    return violation


def _recent_duplicate_message(violation: Violation):
    """The warning, with a link to the identical violation recorded just before (HTML)."""
    earlier = violation.recent_duplicate
    link = format_html('<a href="{}" class="alert-link">{}</a>', earlier.get_absolute_url(),
                       _("open it"))
    text = conditional_escape(_(
        "An identical violation (%(plate)s, %(kind)s, %(campus)s) was recorded %(minutes)s "
        "min ago (%(link)s). If it is the same vehicle seen twice, void this record."))
    values = {"plate": earlier.plate, "kind": earlier.get_kind_display(),
              "campus": earlier.campus.name if earlier.campus_id else "—",
              "minutes": services.minutes_ago(earlier.observed_at)}
    return mark_safe(text % {**{k: conditional_escape(v) for k, v in values.items()},  # noqa: S308 - every part escaped
                             "link": link})


@login_required
def violation_record(request):
    """The guard's phone form; after saving, the violation's page."""
    require_perm(request, "traffic.record_violation")
    form = ViolationRecordForm(request.POST or None, request.FILES or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                violation = services.violation_record(actor=request.user,
                                                      **form.service_arguments())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Violation of %(plate)s recorded.")
                                 % {"plate": violation.plate})
                if violation.recent_duplicate is not None:
                    messages.warning(request, _recent_duplicate_message(violation))
                if violation.notice is not None:
                    messages.info(request, _("Move-car notice sent: %(channel)s.")
                                  % {"channel": violation.notice.get_channel_display()})
                elif violation.notice_problem:
                    messages.warning(request, violation.notice_problem)
                return redirect("traffic:violation_detail", pk=violation.pk)
        status = 400
    return render(request, "traffic/violations/record.html", {"form": form}, status=status)


@login_required
def violation_detail(request, pk: int):
    return _render_detail(request, _violation_or_404(request, pk))


def _render_detail(request, violation, *, appeal_form=None, status=200):
    """The violation page; with ``appeal_form`` (bound, with its errors) the appeal card shows
    what the owner typed instead of an empty form."""
    user = request.user
    vehicle = violation.vehicle
    can_call = user.has_perm("traffic.send_move_car_notice")
    is_open = violation.state == Violation.State.OPEN
    wait = services.notice_wait_minutes(violation) if (vehicle and is_open and can_call) else 0
    # An imported ticket that the ledger had closed is history: no notice prompt, no voiding,
    # no appeal.
    history = violation.is_ledger_history
    appeal = selectors.violation_appeal(violation)
    can_appeal = (appeal is None and violation.state != Violation.State.VOID and not history
                  and user.has_perm("traffic.appeal_violation", violation))
    return render(request, "traffic/violations/detail.html", {
        "violation": violation, "vehicle": vehicle,
        "phone_masked": services.phone_masked(vehicle.owner_phone) if vehicle else "",
        "can_call": can_call, "wait_minutes": wait,
        "can_send": bool(vehicle) and is_open and can_call,
        "can_close": is_open and user.has_perm("traffic.close_violation"),
        "can_void": (violation.state != Violation.State.VOID and not history
                     and user.has_perm("traffic.close_violation")),
        "history": history, "origin": selectors.violation_import_origin(violation),
        "void_form": VoidForm(), "appeal": appeal,
        "appeal_form": (appeal_form or AppealForm()) if can_appeal else None,
        "decide_form": (AppealDecideForm() if appeal is not None
                        and appeal.state == appeal.State.PENDING
                        and user.has_perm("traffic.decide_appeal") else None),
        "timeline": selectors.violation_timeline(violation),
    }, status=status)


def _act(request, pk: int, call, success: str):
    try:
        call()
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect("traffic:violation_detail", pk=pk)


@login_required
@require_POST
def violation_notice_send(request, pk: int):
    violation = _violation_or_404(request, pk)
    return _act(request, violation.pk, lambda: services.move_car_notice_send(
        actor=request.user, violation_id=violation.pk), _("Move-car notice sent again."))


@login_required
@require_POST
def violation_close(request, pk: int):
    violation = _violation_or_404(request, pk)
    outcome = request.POST.get("outcome", "")
    return _act(request, violation.pk, lambda: services.violation_close(
        actor=request.user, violation_id=violation.pk, outcome=outcome),
        _("Closed: towed.") if outcome == "towed" else _("Closed: moved."))


@login_required
@require_POST
def violation_void(request, pk: int):
    violation = _violation_or_404(request, pk)
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the violation is void."))
        return redirect("traffic:violation_detail", pk=violation.pk)
    return _act(request, violation.pk, lambda: services.violation_void(
        actor=request.user, violation_id=violation.pk, reason=form.cleaned_data["reason"]),
        _("The violation is void."))


@login_required
@require_POST
def violation_appeal(request, pk: int):
    violation = _violation_or_404(request, pk)
    form = AppealForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.appeal_submit(actor=request.user, violation_id=violation.pk,
                                   reason=form.cleaned_data["reason"],
                                   photo=form.cleaned_data.get("photo"))
        except DomainError as error:
            if not error.field_errors:  # already appealed, void, history: nothing to retype
                messages.error(request, error.message)
                return redirect("traffic:violation_detail", pk=violation.pk)
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Appeal sent; the office will decide."))
            return redirect("traffic:violation_detail", pk=violation.pk)
    # The reason typed stays in the form and each error stands at its field (a file chosen
    # cannot be kept by the browser; the photo field says what was wrong with it).
    return _render_detail(request, violation, appeal_form=form, status=400)


@login_required
@require_POST
def appeal_decide(request, pk: int):
    violation = _violation_or_404(request, pk)
    appeal = selectors.violation_appeal(violation)
    form = AppealDecideForm(request.POST)
    if appeal is None or not form.is_valid():
        messages.error(request, _("Choose the decision and give its reason."))
        return redirect("traffic:violation_detail", pk=violation.pk)
    grant = form.cleaned_data["decision"] == "grant"
    return _act(request, violation.pk, lambda: services.appeal_decide(
        actor=request.user, appeal_id=appeal.pk, grant=grant, note=form.cleaned_data["note"]),
        _("Appeal granted: the violation is void.") if grant
        else _("Appeal refused: the violation stands."))


@login_required
def violation_photo(request, pk: int, size: str):
    """A violation photo, only for those who may see the violation (never public)."""
    if size not in ("thumb", "full"):
        raise Http404
    photo = selectors.violation_photo_visible(request.user, pk)
    if photo is None:
        raise Http404
    return _jpeg(photo.thumbnail if size == "thumb" else photo.image)


def _jpeg(field) -> FileResponse:
    response = FileResponse(field.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def appeal_photo(request, pk: int):
    appeal = selectors.appeal_photo_visible(request.user, pk)
    if appeal is None:
        raise Http404
    return _jpeg(appeal.photo)


# --- lists ------------------------------------------------------------------------------------
@login_required
def violation_list(request):
    """Violations for the office and guards, filtered by type, state, days and plate."""
    if not selectors.sees_all_violations(request.user):
        raise PermissionDenied
    form = ViolationFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    filters = form.filters()
    page = paginate(request, selectors.violation_search(request.user, **filters),
                    per_page=PER_PAGE)
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(request, "traffic/violations/list.html", {
        "form": form, "page": page, "query": query,
        "can_record": request.user.has_perm("traffic.record_violation"),
        "can_decide": request.user.has_perm("traffic.decide_appeal")})


@login_required
def appeals(request):
    """The office's queue of appeals: pending ones oldest first (filter: granted, refused),
    each with its violation, plate, owner, reason, photos and age, linked to the violation's
    page where it is decided."""
    require_perm(request, "traffic.decide_appeal")
    form = AppealQueueForm(request.GET or None)
    state = form.chosen_state()
    page = paginate(request, appeal_queue(request.user, state=state), per_page=PER_PAGE)
    states = [(value, Appeal.State(value).label) for value in QUEUE_STATES]
    return render(request, "traffic/violations/appeals.html", {
        "page": page, "state": state, "states": states,
        "query": urlencode({"state": state}) if state != Appeal.State.PENDING else ""})


@login_required
def my_violations(request):
    """The violations of the vehicles registered to the signed-in owner."""
    page = paginate(request, selectors.my_violations(request.user), per_page=PER_PAGE)
    return render(request, "traffic/violations/mine.html", {"page": page})


@login_required
def offenders(request):
    """Vehicles the repeat-offender rules acted on: counted violations in the window, the
    number of actions and the latest."""
    if not selectors.sees_all_violations(request.user):
        raise PermissionDenied
    days = selectors.offender_window_days()
    page = paginate(request, selectors.offender_list(days=days), per_page=PER_PAGE)
    return render(request, "traffic/violations/offenders.html", {
        "page": page, "days": days,
        "can_manage": request.user.has_perm("traffic.manage_offender_rules")})


@login_required
def offender_rules(request):
    """The rules (office admin): the list with a form to add one and one per rule to edit
    or deactivate."""
    require_perm(request, "traffic.manage_offender_rules")
    form = OffenderRuleForm(request.POST or None, prefix="new")
    status = 200
    if request.method == "POST":
        rule_id = id_or_none(request.POST.get("rule"))
        if rule_id is not None:
            form = OffenderRuleForm(request.POST, prefix=f"r{rule_id}")
        if form.is_valid():
            d = form.cleaned_data
            try:
                if rule_id is None:
                    services.offender_rule_create(actor=request.user, name=d["name"],
                                                  count=d["count"], days=d["days"],
                                                  action=d["action"],
                                                  is_active=d["is_active"])
                else:
                    services.offender_rule_update(actor=request.user, rule_id=rule_id,
                                                  name=d["name"], count=d["count"],
                                                  days=d["days"], action=d["action"],
                                                  is_active=d["is_active"])
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Rule saved."))
                return redirect("traffic:offender_rules")
        status = 400
    rules = list(selectors.offender_rules())
    for rule in rules:
        bound = request.method == "POST" and id_or_none(request.POST.get("rule")) == rule.pk
        rule.form = form if bound else OffenderRuleForm(prefix=f"r{rule.pk}", initial={
            "name": rule.name, "count": rule.count, "days": rule.days, "action": rule.action,
            "is_active": rule.is_active})
    new_form = form if form.prefix == "new" else OffenderRuleForm(prefix="new")
    return render(request, "traffic/violations/rules.html", {
        "rules": rules, "form": new_form, "actions": OffenderRule.Action}, status=status)


urls = [
    path("violations/", violation_list, name="violation_list"),
    path("violations/record/", violation_record, name="violation_record"),
    path("violations/mine/", my_violations, name="my_violations"),
    path("violations/<int:pk>/", violation_detail, name="violation_detail"),
    path("violations/<int:pk>/notice/", violation_notice_send, name="violation_notice_send"),
    path("violations/<int:pk>/close/", violation_close, name="violation_close"),
    path("violations/<int:pk>/void/", violation_void, name="violation_void"),
    path("violations/<int:pk>/appeal/", violation_appeal, name="violation_appeal"),
    path("violations/<int:pk>/appeal/decide/", appeal_decide, name="appeal_decide"),
    path("violations/photos/<int:pk>/<str:size>/", violation_photo, name="violation_photo"),
    path("appeals/photos/<int:pk>/", appeal_photo, name="appeal_photo"),
    path("appeals/", appeals, name="appeal_queue"),
    path("offenders/", offenders, name="offenders"),
    path("offenders/rules/", offender_rules, name="offender_rules"),
]
