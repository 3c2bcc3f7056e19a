"""Safety work reports (安全工作月报/季报): pages.

The list with the "generate a report" form, a report's page (progress while it is generated,
polled with htmx every 2 s; then the downloads), the files (served after the permission
check, never from ``MEDIA_URL``), retry, and the office administrators' schedules. Views are
thin: one service or selector call each (house rule 5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core import clock
from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.core.spreadsheets import content_disposition
from safecampus.core.views import query_without_page, require_perm

from . import selectors, services
from .content import report_title
from .forms import ReportFilterForm, ReportRequestForm, ScheduleForm

PER_PAGE = 20
#: Seconds between two looks at a report being generated.
POLL_SECONDS = 2
FILE_TYPES = {
    "pdf": ("application/pdf", "pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
}


def _list(request, form=None, status=200):
    filters = selectors.ReportFilters.from_query(request.GET)
    page = paginate(request, selectors.reports_visible_to(request.user, filters),
                    per_page=PER_PAGE)
    can_generate = request.user.has_perm("reports.generate_report")
    if can_generate and form is None:
        form = ReportRequestForm(user=request.user)
    return render(request, "reports/list.html", {
        "page": page, "form": form if can_generate else None,
        "filter_form": ReportFilterForm(request.GET or None, user=request.user),
        "query": query_without_page(request),
        "can_manage": request.user.has_perm("reports.manage_schedules")}, status=status)


@login_required
def report_list(request):
    """Reports the user may read (filters: kind, campus, state; newest first) and, for the
    office, the form that asks for one."""
    require_perm(request, "reports.view_report")
    return _list(request)


@login_required
@require_POST
def report_create(request):
    """Ask for a report; returns at once with a redirect to its page (generation runs in the
    background)."""
    require_perm(request, "reports.generate_report")
    form = ReportRequestForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            report = services.report_request(actor=request.user, **form.service_kwargs())
        except DomainError as error:
            form.apply_error(error)
        else:
            return redirect("reports:detail", pk=report.pk)
    return _list(request, form=form, status=400)


def _report_or_404(request, pk):
    report = selectors.report_get(request.user, pk)
    if report is None:
        raise Http404(_("Report not found"))
    return report


def _status_context(request, report) -> dict:
    """What the status fragment shows: polling only while queued or running, and "taking
    longer than usual" when it has been silent for a few minutes."""
    silent = clock.now() - (report.heartbeat_at or report.created_at)
    return {"report": report, "poll": POLL_SECONDS,
            "slow": report.in_progress and silent > services.SLOW_AFTER,
            "stuck_minutes": services.stuck_minutes(),
            "can_retry": request.user.has_perm("reports.generate_report")}


def _title(report) -> str:
    return report_title(kind=report.kind, scope_name=report.campus.name if report.campus else "",
                        period=report.period)


@login_required
def report_detail(request, pk: int):
    """One report: its progress while generated, then the downloads (or its error)."""
    require_perm(request, "reports.view_report")
    report = _report_or_404(request, pk)
    return render(request, "reports/detail.html", {
        "title": _title(report), **_status_context(request, report)})


@login_required
def report_status(request, pk: int):
    """The progress fragment the report's page polls (htmx)."""
    require_perm(request, "reports.view_report")
    report = _report_or_404(request, pk)
    return render(request, "reports/_status.html", _status_context(request, report))


@login_required
def report_file(request, pk: int, kind: str):
    """The report's PDF or Word file, for people who may read the report."""
    require_perm(request, "reports.view_report")
    report = _report_or_404(request, pk)
    if kind not in FILE_TYPES:
        raise Http404
    content_type, extension = FILE_TYPES[kind]
    field = report.pdf if kind == "pdf" else report.docx
    if not field:
        raise Http404(_("The file is not ready yet."))
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is not ready yet.")) from exc
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(
        f"{_title(report)}.{extension}", fallback=f"safety-report-{report.pk}.{extension}")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def report_retry(request, pk: int):
    require_perm(request, "reports.generate_report")
    report = _report_or_404(request, pk)
    try:
        services.report_retry(actor=request.user, report_id=report.pk)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("reports:detail", pk=report.pk)


# --- schedules -------------------------------------------------------------------------------
@login_required
def schedule_list(request):
    require_perm(request, "reports.manage_schedules")
    page = paginate(request, selectors.schedules_all(), per_page=PER_PAGE)
    return render(request, "reports/schedules.html", {"page": page,
                                                      "query": query_without_page(request)})


@login_required
def schedule_create(request):
    require_perm(request, "reports.manage_schedules")
    form = ScheduleForm(request.POST or None)
    form.fields.pop("active")  # a new schedule is active
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_create(actor=request.user, **form.service_kwargs())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Schedule saved."))
            return redirect("reports:schedules")
    return render(request, "reports/schedule_form.html", {"form": form, "schedule": None})


@login_required
def schedule_edit(request, pk: int):
    require_perm(request, "reports.manage_schedules")
    schedule = selectors.schedule_get(pk)
    if schedule is None:
        raise Http404
    form = ScheduleForm(request.POST or None, initial=ScheduleForm.initial_of(schedule))
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_update(actor=request.user, schedule_id=schedule.pk,
                                     active=form.cleaned_data["active"],
                                     **form.service_kwargs())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Schedule saved."))
            return redirect("reports:schedules")
    return render(request, "reports/schedule_form.html", {"form": form, "schedule": schedule})


@login_required
@require_POST
def schedule_deactivate(request, pk: int):
    require_perm(request, "reports.manage_schedules")
    try:
        services.schedule_deactivate(actor=request.user, schedule_id=pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Schedule stopped."))
    return redirect("reports:schedules")
