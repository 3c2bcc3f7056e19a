"""Inspection statistics (检查统计) for the office and leadership: compliance by unit, campus
and item, most-failed items, places overdue for inspection and repeat findings."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from safecampus.core.charts import CHART_FONT, TOOLTIP

from .. import stats
from ..forms.statistics import StatisticsFilterForm

FAILED_COLOUR = "#d9342b"
RATE_COLOUR = "#1c7ed6"
PAGE_PARAMS = ("item_page", "overdue_page", "repeat_page")


def _page_number(request, name: str) -> int:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 1


def _horizontal_bars(*, labels: list[str], values: list, name: str, colour: str,
                     percent: bool = False) -> dict:
    """An ECharts option: one horizontal bar per label, first label on top; labels get less
    room on a phone (an ECharts ``media`` query, still plain JSON)."""
    value_axis = {"type": "value", "minInterval": 1}
    if percent:
        value_axis = {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}}
    return {
        "baseOption": {
            "textStyle": {"fontFamily": CHART_FONT},
            "grid": {"left": 8, "right": 40, "top": 8, "bottom": 8, "containLabel": True},
            "tooltip": TOOLTIP | {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "xAxis": value_axis,
            "yAxis": {"type": "category", "inverse": True, "data": labels,
                      "axisLabel": {"width": 260, "overflow": "truncate",
                                    "fontFamily": CHART_FONT}},
            "series": [{"name": name, "type": "bar", "data": values, "barMaxWidth": 22,
                        "itemStyle": {"color": colour},
                        "label": {"show": True, "position": "right",
                                  "formatter": "{c}%" if percent else "{c}"}}],
        },
        "media": [{"query": {"maxWidth": 500},
                   "option": {"yAxis": {"axisLabel": {"width": 110}}}}],
    }


def _charts(figures: stats.Statistics) -> dict:
    """``{name: {"option": ECharts option, "tall": more than five bars}}`` for ``items``
    (most-failed) and ``units`` (the ten worst compliance rates)."""
    charts = {}
    if figures.most_failed:
        charts["items"] = {"tall": len(figures.most_failed) > 5, "option": _horizontal_bars(
            labels=[f"{row['item_code']} {row['text'][:40]}" for row in figures.most_failed],
            values=[row["failed"] for row in figures.most_failed],
            name=_("Times failed"), colour=FAILED_COLOUR)}
    units = [row for row in figures.by_unit if row["rate"] is not None][:10]
    if units:
        charts["units"] = {"tall": len(units) > 5, "option": _horizontal_bars(
            labels=[row["unit__name"] or _("No unit") for row in units],
            values=[round(row["rate"], 1) for row in units],
            name=_("Compliance rate"), colour=RATE_COLOUR, percent=True)}
    return charts


@login_required
def statistics(request):
    """The statistics page (``inspections.view_statistics``); filters in the query string."""
    if not request.user.has_perm("inspections.view_statistics"):
        raise PermissionDenied
    form = StatisticsFilterForm(request.GET or None, user=request.user)
    figures = stats.statistics(
        request.user, form.to_filters(),
        **{name: _page_number(request, name) for name in PAGE_PARAMS})
    # Each list's pager keeps the filters and the other lists' pages.
    queries = {}
    for name in PAGE_PARAMS:
        query = request.GET.copy()
        query.pop(name, None)
        queries[name] = query.urlencode()
    return render(request, "inspections/statistics.html", {
        "form": form, "figures": figures, "charts": _charts(figures), "queries": queries,
    })


urls: list = [
    path("statistics/", statistics, name="statistics"),
]
