"""Pages of confidential fraud reports and their statistics: the report form (phone-first;
the checker's "Report it" POSTs ``from=checker`` and ``text``, which only fills the form's
message field — nothing is stored until the report itself is sent, and the text never travels
in a URL), "my fraud reports", the handlers' queue with state tabs, one report with
its timeline and the next steps, and the statistics with an Excel export. A report anyone
but its reporter and the handlers asks for is a 404. Views are thin (house rule 5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from safecampus.core.charts import bars, donut, month_line
from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.core.spreadsheets import content_disposition, write_xlsx
from safecampus.core.views import require_perm

from ..forms import reports as forms
from ..models import FraudReport
from ..selectors import reports as selectors
from ..services import reports as services

State = FraudReport.State
PER_PAGE = 30
TABS = [selectors.TAB_OPEN, State.SUBMITTED, State.RECEIVED, State.REFERRED, State.CLOSED, ""]


@never_cache
@login_required
def fraud_report_new(request):
    """The confidential report form; after sending, the report's own page.

    A POST with ``from=checker`` is not a report but the checker handing over the message
    (``text``, cut to :data:`~..forms.reports.PREFILL_MAX` characters) and its top matched
    fraud type (``fraud_type``, a type's code; unknown or inactive codes are ignored): the
    empty form is shown with them filled in, without errors, and nothing is written. Any
    other POST is the form itself. A signed-out POST is sent to sign in first (the message is dropped)."""
    require_perm(request, "education.report_fraud")
    from_checker = request.method == "POST" and request.POST.get("from") == "checker"
    if from_checker:
        return render(request, "education/reports/new.html", {
            "form": forms.FraudReportForm(user=request.user,
                                          message=forms.checker_text(request.POST),
                                          fraud_type_code=forms.checker_fraud_type(request.POST)),
            "from_checker": True})
    form = forms.FraudReportForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                report = services.fraud_report_submit(actor=request.user,
                                                      **form.service_arguments())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Your report was sent to the police liaison. "
                                            "Only you and those handling it can read it."))
                return redirect("education:fraud_report_detail", pk=report.pk)
        status = 400
    return render(request, "education/reports/new.html", {
        "form": form, "from_checker": from_checker}, status=status)


@login_required
def fraud_reports_mine(request):
    """The signed-in person's own reports with their state."""
    page = paginate(request, selectors.my_reports(request.user), per_page=PER_PAGE)
    return render(request, "education/reports/mine.html", {
        "page": page, "handles": selectors.handles(request.user)})


def _tab_label(value: str) -> str:
    if value == selectors.TAB_OPEN:
        return _("Open reports")
    if value == "":
        return _("All")
    return str(State(value).label)


@login_required
def fraud_report_queue(request):
    """The handlers' queue (police liaisons, office administrators), tabs by state."""
    require_perm(request, "education.handle_fraud_report")
    state = request.GET.get("state", selectors.TAB_OPEN)
    if state not in TABS:
        state = selectors.TAB_OPEN
    counts = selectors.report_state_counts(request.user)
    page = paginate(request, selectors.report_queue(request.user, state=state),
                    per_page=PER_PAGE)
    tabs = [{"value": v, "label": _tab_label(v), "count": counts["all" if v == "" else v],
             "query": urlencode({"state": v}), "active": v == state} for v in TABS]
    return render(request, "education/reports/queue.html", {
        "page": page, "tabs": tabs, "query": urlencode({"state": state})})


#: action → (transition, form class, title)
STEPS = {"receive": ("receive", forms.ReceiveForm), "refer": ("refer", forms.ReferForm),
         "close": ("close", forms.CloseForm)}


def _step_titles() -> dict[str, str]:
    return {"receive": _("Receive it"), "refer": _("Refer to the police station"),
            "close": _("Close it")}


def _steps(request, report, bound=None) -> list[dict]:
    if not selectors.handles(request.user):
        return []
    steps = []
    for action, (transition, form_class) in STEPS.items():
        if not services.step_offered(report, transition):
            continue
        form = bound[1] if bound and bound[0] == action else form_class(prefix=action)
        steps.append({"action": action, "form": form, "title": _step_titles()[action],
                      "open": bool(bound and bound[0] == action)})
    return steps


def _report_or_404(request, pk) -> FraudReport:
    report = selectors.report_for(request.user, pk)
    if report is None:
        raise Http404(_("Report not found"))
    return report


def _classify_form(request, report, bound=None):
    if bound is not None:
        return bound
    if selectors.handles(request.user) and services.classify_offered(report):
        return forms.ClassifyForm(report=report, prefix="classify")
    return None


def _detail(request, report, bound=None, status=200, classify=None):
    return render(request, "education/reports/detail.html", {
        "report": report, "timeline": selectors.report_timeline(report),
        "steps": _steps(request, report, bound), "handles": selectors.handles(request.user),
        "classify": _classify_form(request, report, classify),
    }, status=status)


@login_required
def fraud_report_detail(request, pk):
    """One report for its reporter or a handler (404 for anyone else)."""
    return _detail(request, _report_or_404(request, pk))


@login_required
@require_POST
def fraud_report_step(request, pk, action):
    """Receive, refer or close; a refused step re-renders the page with the form's errors."""
    report = _report_or_404(request, pk)
    require_perm(request, "education.handle_fraud_report")
    if action not in STEPS:
        raise Http404(_("Unknown step"))
    form = STEPS[action][1](request.POST, prefix=action)
    if form.is_valid():
        d = form.cleaned_data
        try:
            if action == "receive":
                services.fraud_report_receive(actor=request.user, report_id=report.pk,
                                              note=d.get("note", ""))
            elif action == "refer":
                services.fraud_report_refer(actor=request.user, report_id=report.pk,
                                            police_reference=d["police_reference"],
                                            note=d.get("note", ""))
            else:
                services.fraud_report_close(actor=request.user, report_id=report.pk,
                                            note=d["note"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Done: the reporter was told."))
            return redirect("education:fraud_report_detail", pk=report.pk)
    return _detail(request, selectors.report_for(request.user, pk), (action, form), status=400)


@login_required
@require_POST
def fraud_report_classify(request, pk):
    """A handler sets the fraud type (until the report is closed); a refusal re-renders the
    page with the form's error."""
    report = _report_or_404(request, pk)
    require_perm(request, "education.handle_fraud_report")
    form = forms.ClassifyForm(request.POST, prefix="classify")
    if form.is_valid():
        chosen = form.cleaned_data.get("fraud_type")
        try:
            services.fraud_report_classify(actor=request.user, report_id=report.pk,
                                           fraud_type_id=chosen.pk if chosen else None)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Fraud type set."))
            return redirect("education:fraud_report_detail", pk=report.pk)
    return _detail(request, selectors.report_for(request.user, pk), status=400, classify=form)


# --- statistics -------------------------------------------------------------------------------
def _charts(stats) -> dict:
    if not stats.total:
        return {}
    reports = _("Reports")
    not_sure = _("Not sure")
    unknown = _("Unknown")
    return {
        "type": bars([r["name"] or not_sure for r in stats.by_type],
                     [r["n"] for r in stats.by_type], reports),
        "college": bars([r["name"] or unknown for r in stats.by_college],
                        [r["n"] for r in stats.by_college], reports),
        "month": month_line(stats.by_month, reports),
        "loss": donut([(_("With money lost"), stats.with_loss),
                       (_("No money lost"), stats.total - stats.with_loss)], reports,
                      colours=["#e03131", "#2f9e44"]),
    }


@login_required
def fraud_statistics(request):
    """Reports by type, college and month, total loss, share with money lost, and the
    campaign targets (top three types, colleges with most reports per 1,000 students)."""
    require_perm(request, "education.view_fraud_statistics")
    form = forms.FraudStatsFilterForm(request.GET or None)
    period = form.period()
    stats = selectors.fraud_statistics(**period)
    return render(request, "education/reports/statistics.html", {
        "form": form, "stats": stats, "charts": _charts(stats),
        "export_query": urlencode({k: v.isoformat() for k, v in period.items() if v})})


@login_required
def fraud_statistics_export(request):
    """The statistics as one Excel sheet: a row per type, college and month."""
    require_perm(request, "education.view_fraud_statistics")
    form = forms.FraudStatsFilterForm(request.GET or None)
    stats = selectors.fraud_statistics(**form.period())
    rows = [[_("Total"), _("All reports"), stats.total, stats.with_loss, stats.total_loss,
             None, None]]
    rows += [[_("Fraud type"), r["name"] or _("Not sure"), r["n"], None, r["loss"], None, None]
             for r in stats.by_type]
    rows += [[_("College"), r["name"] or _("Unknown"), r["n"], None, r["loss"], r["students"],
              r["per_1000"]] for r in stats.by_college]
    rows += [[_("Month"), m.strftime("%Y-%m"), n, None, None, None, None]
             for m, n in stats.by_month]
    content = write_xlsx(
        [_("Grouped by"), _("Group"), _("Reports"), _("With money lost"), _("Loss (yuan)"),
         _("Students"), _("Reports per 1,000 students")],
        ([a, b, c, d, float(e) if e is not None else None, f, g] for a, b, c, d, e, f, g in rows),
        text_columns=[1], widths=[12, 28, 10, 14, 14, 10, 18],
        sheet_title=_("Fraud reports"))
    response = HttpResponse(content, content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = content_disposition(
        _("fraud-report-statistics") + ".xlsx", fallback="fraud-report-statistics.xlsx")
    return response


urls = [
    path("fraud-reports/new/", fraud_report_new, name="fraud_report"),
    path("fraud-reports/mine/", fraud_reports_mine, name="fraud_reports_mine"),
    path("fraud-reports/", fraud_report_queue, name="fraud_report_queue"),
    path("fraud-reports/<int:pk>/", fraud_report_detail, name="fraud_report_detail"),
    path("fraud-reports/<int:pk>/type/", fraud_report_classify, name="fraud_report_classify"),
    path("fraud-reports/<int:pk>/<slug:action>/", fraud_report_step, name="fraud_report_step"),
    path("fraud-reports/statistics/", fraud_statistics, name="fraud_statistics"),
    path("fraud-reports/statistics/export/", fraud_statistics_export,
         name="fraud_statistics_export"),
]
