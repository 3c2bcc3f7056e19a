"""Incident statistics (警情统计): by category, type, hour of day, weekday, month, place and
disposition, for the office, leadership and police liaisons. The charts are ECharts options
built here and drawn by ``static/patrols/incident_stats.js`` from JSON blobs (CSP: no inline
scripts)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from safecampus.core.charts import TOOLTIP, bars, chart, columns, donut, month_line, weekday_labels

from ..forms.incident_stats import IncidentStatsFilterForm
from ..models import Incident
from ..selectors.incident_stats import IncidentStatistics, incident_statistics


def _charts(stats: IncidentStatistics) -> dict:
    """``{name: ECharts option}`` for the page's charts (none when nothing was counted)."""
    if not stats.total:
        return {}
    categories = dict(Incident.Category.choices)
    dispositions = dict(Incident.Disposition.choices)
    hours = [f"{h:02d}" for h in range(24)]
    weekdays = weekday_labels()
    count = _("Incidents")
    heat_max = max((cell[2] for cell in stats.heat), default=1)
    charts = {
        "category": bars([str(categories.get(r["category"], r["category"]))
                          for r in stats.by_category],
                         [r["n"] for r in stats.by_category], count),
        "type": bars([r["type_label"] for r in stats.by_type],
                     [r["n"] for r in stats.by_type], count),
        "hour": columns(hours, stats.by_hour, count),
        "weekday": columns(weekdays, stats.by_weekday, count, every_label=True),
        "heat": chart(
            tooltip=TOOLTIP | {"position": "top"},
            grid={"left": 8, "right": 8, "top": 8, "bottom": 44, "containLabel": True},
            xAxis={"type": "category", "data": hours, "splitArea": {"show": True}},
            yAxis={"type": "category", "data": weekdays, "inverse": True,
                   "splitArea": {"show": True}},
            visualMap={"min": 0, "max": heat_max, "calculable": False, "orient": "horizontal",
                       "left": "center", "bottom": 0, "itemHeight": 120, "itemWidth": 12,
                       "text": [str(heat_max), "0"],
                       "inRange": {"color": ["#f1f3f5", "#74c0fc", "#1971c2", "#c92a2a"]}},
            series=[{"name": count, "type": "heatmap", "data": stats.heat,
                     "emphasis": {"itemStyle": {"borderColor": "#212529", "borderWidth": 1}}}]),
        "month": month_line(stats.by_month, count),
        "place": bars([r["where"] for r in stats.by_place],
                      [r["n"] for r in stats.by_place], count),
        "disposition": donut(
            [(str(dispositions.get(r["disposition"], r["disposition"])), r["n"])
             for r in stats.by_disposition], pgettext("incident", "Disposition")),
    }
    return charts


@login_required
def incident_statistics_page(request):
    """The statistics page (``patrols.view_incident_statistics``); filters in the query."""
    if not request.user.has_perm("patrols.view_incident_statistics"):
        raise PermissionDenied
    form = IncidentStatsFilterForm(request.GET or None)
    stats = incident_statistics(request.user, form.to_filters())
    categories = dict(Incident.Category.choices)
    dispositions = dict(Incident.Disposition.choices)
    return render(request, "patrols/incidents/statistics.html", {
        "form": form, "stats": stats, "charts": _charts(stats),
        "category_rows": [(categories.get(r["category"], r["category"]), r["n"])
                          for r in stats.by_category],
        "disposition_rows": [(dispositions.get(r["disposition"], r["disposition"]), r["n"],
                              100 * r["n"] / stats.total) for r in stats.by_disposition],
        "open_count": next((r["n"] for r in stats.by_disposition
                            if r["disposition"] == Incident.Disposition.OPEN), 0),
        "can_import": request.user.has_perm("patrols.import_incidents"),
    })


urls: list = [
    path("incidents/statistics/", incident_statistics_page, name="incident_statistics"),
]
