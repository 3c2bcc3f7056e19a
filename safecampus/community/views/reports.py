"""Concern reports (office and leadership): the page with its charts, and the same figures
as an Excel sheet. Thin: parse the filters, one selector call, render."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from safecampus.core.charts import bars, columns, donut, month_line
from safecampus.core.spreadsheets import XLSX_CONTENT_TYPE, content_disposition, write_xlsx

from ..forms.reports import ReportFilterForm
from ..models import Concern
from ..selectors.reports import ConcernReport, concern_report

PERM = "community.view_concern_reports"


def _report(request) -> tuple[ReportFilterForm, ConcernReport]:
    if not request.user.has_perm(PERM):
        raise PermissionDenied
    form = ReportFilterForm(request.GET or None)
    return form, concern_report(form.to_filters())


def _campus_name(row) -> str:
    return row["campus__name"] or _("No campus given")


def _channel_name(value: str) -> str:
    return str(dict(Concern.Channel.choices).get(value, value))


def _charts(report: ConcernReport) -> dict:
    if not report.total:
        return {}
    count = _("Concerns")
    charts = {
        "category": bars([r["category__name"] for r in report.by_category],
                         [r["n"] for r in report.by_category], count),
        "campus": bars([_campus_name(r) for r in report.by_campus],
                       [r["n"] for r in report.by_campus], count),
        "month": month_line(report.by_month, count),
        "channel": donut([(_channel_name(r["channel"]), r["n"]) for r in report.by_channel],
                         _("Channel")),
    }
    if report.rated:
        charts["rating"] = columns(["1", "2", "3", "4", "5"], report.by_rating,
                                   _("Ratings"), every_label=True)
    return charts


@login_required
def reports(request):
    form, report = _report(request)
    return render(request, "community/reports/reports.html", {
        "form": form, "report": report, "charts": _charts(report),
        "query": request.GET.urlencode(),
        "by_campus": [(_campus_name(r), r["n"]) for r in report.by_campus],
        "by_channel": [(_channel_name(r["channel"]), r["n"]) for r in report.by_channel],
        "ratings": list(zip(range(1, 6), report.by_rating, strict=True)),
    })


def _percent(share) -> str:
    return "" if share is None else f"{share * 100:.1f}%"


@login_required
def reports_xlsx(request):
    """The report's figures as one sheet: figure, value, number."""
    _form, report = _report(request)
    period = {"start": report.date_from.isoformat(), "end": report.date_to.isoformat()}
    rows = [
        (_("Period"), pgettext("concern report", "%(start)s to %(end)s") % period, None),
        (_("Concerns"), "", report.total),
        (_("Open concerns"), "", report.open),
        (_("Closed concerns"), "", report.closed),
        (_("Fixed at once"), _percent(report.fixed_share), report.fixed),
        (_("Median time to answer (hours)"),
         "" if report.median_hours is None else f"{report.median_hours:.1f}", report.answered),
        (_("Mean satisfaction"),
         "" if report.rating_mean is None else f"{report.rating_mean:.2f}", report.rated),
        (_("Satisfied (4 or 5)"), _percent(report.high_share), report.rated_high),
    ]
    rows += [(_("Satisfaction"), str(score), n)
             for score, n in zip(range(1, 6), report.by_rating, strict=True)]
    rows += [(_("Category"), r["category__name"], r["n"]) for r in report.by_category]
    rows += [(_("Campus"), _campus_name(r), r["n"]) for r in report.by_campus]
    rows += [(_("Month"), month.strftime("%Y-%m"), n) for month, n in report.by_month]
    rows += [(_("Channel"), _channel_name(r["channel"]), r["n"]) for r in report.by_channel]
    data = write_xlsx([_("Figure"), pgettext("concern report", "Value"),
                       pgettext("concern report", "Number")], rows, text_columns=[1],
                      widths=[28, 40, 12], sheet_title=_("Concern reports"))
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(
        _("concern-report-%(start)s-%(end)s.xlsx") % period,
        fallback="concern-report-{start}-{end}.xlsx".format(**period))
    return response


urls = [
    path("reports/", reports, name="reports"),
    path("reports.xlsx", reports_xlsx, name="reports_xlsx"),
]
