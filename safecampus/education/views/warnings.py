"""Pages of the warnings area: compose an anti-fraud warning (预警) with a live count of its
recipients and a confirm step, the sent warnings with read %, one warning's read receipts
(by college, the unread, remind once), a person's own warnings; and the counsellor
follow-ups of police warnings (list, open one or many, the follow-up with close / reopen).
Views are thin: one selector or service call each (house rule 5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from safecampus.core.errors import Conflict, DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.importing import upload_table
from safecampus.core.pagination import paginate
from safecampus.core.spreadsheets import ImportRejected
from safecampus.core.views import require_perm
from safecampus.notifications.audiences import audience_key, msg_audience_changed

from ..forms import followups as followup_forms
from ..forms import warnings as forms
from ..models import FollowUp
from ..selectors import followups as followup_selectors
from ..selectors import warnings as selectors
from ..services import followups as followup_services
from ..services import warnings as services

PER_PAGE = 30


# --- warnings ---------------------------------------------------------------------------------
@login_required
def warning_list(request):
    """Sent anti-fraud warnings, newest first, with their read %."""
    require_perm(request, "education.view_warning_receipts")
    page = paginate(request, selectors.warnings_sent(), per_page=PER_PAGE)
    return render(request, "education/warnings/list.html", {"page": page})


@login_required
def warning_new(request):
    """Compose: the first POST ("preview") shows how many people the warning reaches and
    asks to confirm; "send" sends (idempotent: a double tap sends once)."""
    require_perm(request, "education.send_warning")
    form = forms.WarningForm(request.POST or None)
    count, checked = None, ""
    if request.method == "POST" and form.is_valid():
        checked = audience_key(**form.audience())
        changed = "send" in request.POST and request.POST.get("checked_audience") != checked
        if changed:
            messages.warning(request, msg_audience_changed())
        if "send" in request.POST and not changed:
            d = form.cleaned_data
            try:
                alert = services.warning_send(
                    actor=request.user, title=d["title"], body=d["body"], level=d["level"],
                    audience_kind=d["audience_kind"], campus_id=d.get("audience_campus"),
                    unit_id=d.get("audience_unit"), year=d.get("audience_year"),
                    class_id=d.get("audience_class"), idempotency_key=d.get("idempotency_key"))
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Warning sent to %(count)s people.")
                                 % {"count": alert.recipient_count})
                return redirect("education:warning_receipts", pk=alert.pk)
        else:
            count, problem = selectors.audience_count(**form.audience())
            if problem:
                form.add_error(None, problem)
    return render(request, "education/warnings/new.html", {"form": form, "count": count,
                                                           "checked_audience": checked})


@login_required
def warning_count(request):
    """The live count of the audience being composed (htmx fragment)."""
    require_perm(request, "education.send_warning")
    count, problem = selectors.audience_count(**forms.audience_from_query(request.GET))
    return render(request, "education/warnings/_count.html", {"count": count,
                                                              "problem": problem})


@login_required
def warning_receipts(request, pk: int):
    """One warning: its text, read / unread overall and by college, the unread people."""
    require_perm(request, "education.view_warning_receipts")
    alert = selectors.warning_get(pk)
    if alert is None:
        raise Http404(_("Warning not found"))
    return render(request, "education/warnings/receipts.html", {
        "alert": alert, "receipts": selectors.warning_receipts(alert),
        "page": paginate(request, selectors.warning_unread(alert), per_page=50)})


@login_required
@require_POST
def warning_remind(request, pk: int):
    """Remind the unread once; a second time is refused with a message."""
    require_perm(request, "education.view_warning_receipts")
    if selectors.warning_get(pk) is None:
        raise Http404(_("Warning not found"))
    try:
        count = services.warning_remind_unread(actor=request.user, alert_id=pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(count)s people who had not read it were reminded.")
                         % {"count": count})
    return redirect("education:warning_receipts", pk=pk)


@login_required
def my_warnings(request):
    """The warnings sent to me, unread first (one counts as read once I open it and
    confirm)."""
    page = paginate(request, selectors.warnings_for(request.user), per_page=PER_PAGE)
    return render(request, "education/warnings/mine.html", {"page": page})


# --- follow-ups -------------------------------------------------------------------------------
def _followup_or_404(request, pk) -> FollowUp:
    followup = followup_selectors.followup_get_visible(request.user, pk)
    if followup is None:
        raise Http404(_("Follow-up not found"))
    return followup


FOLLOWUP_TABS = (("open", FollowUp.State.OPEN), ("closed", FollowUp.State.CLOSED), ("all", ""))


@login_required
def followup_list(request):
    """Follow-ups I may see: open first, overdue in red; tabs open / closed / all."""
    require_perm(request, "education.view_followups")
    tab = request.GET.get("state") or "open"
    if tab not in dict(FOLLOWUP_TABS):
        tab = "open"
    rows = followup_selectors.followups_visible_to(request.user,
                                                   state=dict(FOLLOWUP_TABS)[tab] or None)
    return render(request, "education/followups/list.html", {
        "page": paginate(request, rows, per_page=PER_PAGE), "tab": tab,
        "tabs": [(key, {"open": pgettext("follow-up", "Open"),
                        "closed": pgettext("follow-up", "Closed"), "all": _("All")}[key])
                 for key, _state in FOLLOWUP_TABS],
        "counts": followup_selectors.followup_counts(request.user),
        "today": followup_selectors.clock.local_today()})


def _after_create(request, followups: list[FollowUp]):
    if len(followups) == 1 and request.user.has_perm("education.view_followup", followups[0]):
        return redirect("education:followup_detail", pk=followups[0].pk)
    if request.user.has_perm("education.view_followups"):
        return redirect("education:followup_list")
    return redirect("education:followup_new")


@login_required
def followup_new(request):
    """Open one follow-up for a student named in a police warning."""
    require_perm(request, "education.create_followup")
    form = followup_forms.FollowUpForm(request.POST or None, initial={
        "due_on": followup_services.default_due_on()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            followup = followup_services.followup_create(
                actor=request.user, student_number=d["student_number"],
                student_name=d["student_name"], college_id=d.get("college"),
                warning_source=d["warning_source"], warning_reference=d["warning_reference"],
                reason=d["reason"], fraud_type_id=d.get("fraud_type"), due_on=d.get("due_on"),
                idempotency_key=d.get("idempotency_key"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Follow-up opened; the counsellors of %(college)s were "
                                        "told.") % {"college": followup.college.name})
            return _after_create(request, [followup])
    return render(request, "education/followups/new.html", {"form": form})


@login_required
def followup_bulk(request):
    """Open many follow-ups from a pasted list or a sheet: every row checked first, nothing
    written if any is wrong (the bad rows are listed)."""
    require_perm(request, "education.create_followup")
    form = followup_forms.FollowUpBulkForm(request.POST or None, request.FILES or None,
                                           initial={"due_on": followup_services.default_due_on()})
    rejected = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            rows = (followup_services.followup_rows_from_table(upload_table(d["file"]))
                    if d.get("file") else followup_services.followup_rows_from_text(d["rows"]))
            created = followup_services.followup_bulk_create(
                actor=request.user, rows=rows, warning_source=d["warning_source"],
                warning_reference=d["warning_reference"], fraud_type_id=d.get("fraud_type"),
                due_on=d.get("due_on"), idempotency_key=d.get("idempotency_key"))
        except ImportRejected as error:
            rejected = error
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("%(count)s follow-ups opened; the counsellors were told.")
                             % {"count": len(created)})
            return _after_create(request, created)
    return render(request, "education/followups/bulk.html", {"form": form,
                                                             "rejected": rejected})


@login_required
def followup_detail(request, pk: int):
    """One follow-up (404 unless ``education.view_followup``): the facts, the timeline, and
    the close or reopen form when allowed."""
    followup = _followup_or_404(request, pk)
    return _detail(request, followup)


def _detail(request, followup, *, close_form=None, reopen_form=None):
    return render(request, "education/followups/detail.html", {
        "followup": followup, "overdue": followup_selectors.is_overdue(followup),
        "timeline": followup_selectors.followup_timeline(followup),
        "close_form": close_form or followup_forms.CloseForm(),
        "reopen_form": reopen_form or followup_forms.ReopenForm(),
        "can_close": request.user.has_perm("education.close_followup", followup),
        "can_reopen": request.user.has_perm("education.reopen_followup", followup),
    })


def _already_closed(request, followup):
    messages.info(request, _("This follow-up is already closed; nothing was changed."))
    return redirect("education:followup_detail", pk=followup.pk)


@login_required
@require_POST
def followup_close(request, pk: int):
    followup = _followup_or_404(request, pk)
    require_perm(request, "education.close_followup", followup)
    if followup.state == FollowUp.State.CLOSED:  # a second tab or a double tap
        return _already_closed(request, followup)
    form = followup_forms.CloseForm(request.POST)
    if form.is_valid():
        try:
            followup_services.followup_close(actor=request.user, followup_id=followup.pk,
                                             outcome=form.cleaned_data["outcome"],
                                             note=form.cleaned_data["note"])
        except DomainError as error:
            if isinstance(error, Conflict):
                followup.refresh_from_db()
                if followup.state == FollowUp.State.CLOSED:  # closed by someone meanwhile
                    return _already_closed(request, followup)
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Follow-up closed."))
            return redirect("education:followup_detail", pk=followup.pk)
    return _detail(request, followup, close_form=form)


@login_required
@require_POST
def followup_reopen(request, pk: int):
    followup = _followup_or_404(request, pk)
    require_perm(request, "education.reopen_followup", followup)
    form = followup_forms.ReopenForm(request.POST)
    if form.is_valid():
        try:
            followup_services.followup_reopen(actor=request.user, followup_id=followup.pk,
                                              comment=form.cleaned_data["comment"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Follow-up reopened; the counsellors were told."))
            return redirect("education:followup_detail", pk=followup.pk)
    return _detail(request, followup, reopen_form=form)


urls = [
    path("warnings/", warning_list, name="warning_list"),
    path("warnings/new/", warning_new, name="warning_new"),
    path("warnings/count/", warning_count, name="warning_count"),
    path("warnings/mine/", my_warnings, name="my_warnings"),
    path("warnings/<int:pk>/", warning_receipts, name="warning_receipts"),
    path("warnings/<int:pk>/remind/", warning_remind, name="warning_remind"),
    path("followups/", followup_list, name="followup_list"),
    path("followups/new/", followup_new, name="followup_new"),
    path("followups/bulk/", followup_bulk, name="followup_bulk"),
    path("followups/<int:pk>/", followup_detail, name="followup_detail"),
    path("followups/<int:pk>/close/", followup_close, name="followup_close"),
    path("followups/<int:pk>/reopen/", followup_reopen, name="followup_reopen"),
]
