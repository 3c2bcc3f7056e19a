"""Patrol reports (巡逻统计): completion per route, guard, zone and night, rounds with missed
checkpoints (漏巡, in red), flagged scans and the Excel export of the per-route table, for
the office and leadership (``patrols.view_patrol_reports``); and the shift leader's page of
the shifts he leads, open to anyone (it lists only the shifts the user leads): eight days at
a time with their completion rate, earlier weeks a tap away. The full report stays the
office's and leadership's (patrols/rules.py); a shift leader who opens it is taken to his
page."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from safecampus.core import clock
from safecampus.core.charts import CHART_FONT, TOOLTIP
from safecampus.core.pagination import page_of
from safecampus.core.spreadsheets import XLSX_CONTENT_TYPE, content_disposition, write_xlsx

from ..forms.reports import ReportFilterForm
from ..selectors import reports

COMPLETION_COLOUR = "#1c7ed6"
ON_TIME_COLOUR = "#2f9e44"
PAGE_PARAMS = ("missed_page", "flagged_page")
#: Shifts per page on the shift leader's page.
SHIFTS_PER_PAGE = 20


def _page_number(request, name: str) -> int:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 1


def _require_reports(user) -> None:
    if not user.has_perm("patrols.view_patrol_reports"):
        raise PermissionDenied


def _until(request, today: dt.date) -> dt.date:
    """The last shift date of the leader's page (``?until=YYYY-MM-DD``): today when absent,
    unreadable or in the future (a future night has nothing to show yet)."""
    try:
        until = dt.date.fromisoformat(request.GET.get("until", "")[:10])
    except ValueError:
        return today
    return min(until, today)


def _percent(value) -> float | None:
    """A rate rounded half up to one decimal, as the page shows it (``floatformat``)."""
    if value is None:
        return None
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def night_chart(rows: list[dict]) -> dict | None:
    """An ECharts option: completion and on-time rate per night (a line each, 0–100 %);
    None without rows."""
    if not rows:
        return None
    few = len(rows) <= 31  # a month's dots help; a single night has nothing else to show
    return {
        "animation": False,  # drawn at once: the page is read, not watched
        "textStyle": {"fontFamily": CHART_FONT},
        "grid": {"left": 8, "right": 16, "top": 36, "bottom": 8, "containLabel": True},
        "tooltip": TOOLTIP | {"trigger": "axis"},
        "legend": {"top": 0, "textStyle": {"fontFamily": CHART_FONT}},
        "xAxis": {"type": "category", "boundaryGap": False,
                  "data": [row["shift__shift_date"].strftime("%m-%d") for row in rows]},
        "yAxis": {"type": "value", "min": 0, "max": 100,
                  "axisLabel": {"formatter": "{value}%"}},
        "series": [
            {"name": _("Completion rate"), "type": "line", "smooth": True, "showSymbol": few,
             "itemStyle": {"color": COMPLETION_COLOUR},
             "data": [_percent(row["completion_rate"]) for row in rows]},
            {"name": pgettext("patrol", "On-time rate"), "type": "line", "smooth": True,
             "showSymbol": few,
             "itemStyle": {"color": ON_TIME_COLOUR},
             "data": [_percent(row["on_time_rate"]) for row in rows]},
        ],
    }


@login_required
def report(request):
    """The completion report; filters (shift dates, campus, route) in the query string. A
    shift leader without the report's permission is taken to the shifts he leads."""
    if (not request.user.has_perm("patrols.view_patrol_reports")
            and reports.leads_shifts(request.user)):
        messages.info(request, _("The patrol report covers every route and is for the "
                                 "office; here are the shifts you lead."))
        return redirect("patrols:my_shifts")
    _require_reports(request.user)
    form = ReportFilterForm(request.GET or None)
    filters = form.to_filters()
    at = clock.now()
    nights = list(reports.completion_by_night(filters, at=at))
    # Each list's pager keeps the filters and the other list's page.
    queries = {}
    for name in PAGE_PARAMS:
        query = request.GET.copy()
        query.pop(name, None)
        queries[name] = query.urlencode()
    export_query = request.GET.copy()
    for name in PAGE_PARAMS:
        export_query.pop(name, None)
    return render(request, "patrols/reports/report.html", {
        "form": form, "filters": filters,
        "totals": reports.completion_totals(filters, at=at),
        "by_route": list(reports.completion_by_route(filters, at=at)),
        "by_guard": list(reports.completion_by_guard(filters, at=at)),
        "by_zone": list(reports.completion_by_zone(filters, at=at)),
        "nights": nights, "night_chart": night_chart(nights),
        "missed": reports.missed_rounds(filters, page=_page_number(request, "missed_page"),
                                        at=at),
        "flagged": reports.flagged_scans(filters, page=_page_number(request, "flagged_page")),
        "queries": queries, "export_query": export_query.urlencode(),
    })


def route_headers() -> list[str]:
    return [_("Route code"), _("Route"), _("Campus"), _("Zone"), _("Rounds"),
            _("Checkpoints expected"), pgettext("patrol", "On time"),
            pgettext("checkpoint scan", "Late"), _("Missed"),
            _("Completion rate (%)"), _("On-time rate (%)"), _("Rounds never started"),
            _("Flagged scans")]


def route_rows(rows):
    for row in rows:
        yield [row["route__code"], row["route__name"], row["route__campus__name"],
               row["route__zone__name"] or "", row["rounds"], row["expected"], row["on_time"],
               row["late"], row["missed"], _percent(row["completion_rate"]),
               _percent(row["on_time_rate"]), row["not_started"], row["flagged"]]


@login_required
def report_export(request):
    """The per-route table of the report for the same filters, as .xlsx; with a bad filter,
    back to the report, which shows the error (never a file of other rows than asked for)."""
    _require_reports(request.user)
    form = ReportFilterForm(request.GET or None)
    filters = form.to_filters()
    if form.errors:
        messages.error(request, _("Correct the filters first; nothing was exported."))
        return redirect(reverse("patrols:reports") + "?" + request.GET.urlencode())
    content = write_xlsx(route_headers(), route_rows(reports.completion_by_route(filters)),
                         text_columns=(0,), widths=[16, 28, 16, 16] + [12] * 9,
                         sheet_title=_("Completion by route"))
    filename = f"patrol-completion-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.xlsx"
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, fallback=filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def my_shifts(request):
    """The shifts the user leads, tonight first, then the last seven days (or the eight
    days up to ``?until=``): the completion rate of their closed rounds, each shift's rate,
    each round with checkpoints done of expected, missed ones in red, flagged scans; links
    to the eight days before and after. Someone who has never led a shift is told so, with
    no figures and no week links."""
    today = clock.local_today()
    until = _until(request, today)
    window = reports.leader_window(request.user, until=until)
    page = page_of(reports.shifts_led_by(request.user, today=until),
                   _page_number(request, "page"), per_page=SHIFTS_PER_PAGE)
    if not page.object_list and not reports.leads_shifts(request.user):
        return render(request, "patrols/reports/my_shifts.html", {"leads_none": True})
    step = dt.timedelta(days=reports.LEADER_DAYS + 1)
    later = until + step
    return render(request, "patrols/reports/my_shifts.html", {
        "shifts": page, "today": today, "now": clock.now(), "until": until,
        "window": window, "days": reports.LEADER_DAYS,
        "totals": reports.completion_totals(window),
        "earlier": until - step,
        "later": None if until >= today else (None if later >= today else later),
        "later_is_today": until < today and later >= today,
        "pager_query": f"until={until:%Y-%m-%d}" if until < today else "",
    })


urls: list = [
    path("reports/", report, name="reports"),
    path("reports/export/", report_export, name="reports_export"),
    path("reports/my-shifts/", my_shifts, name="my_shifts"),
]
