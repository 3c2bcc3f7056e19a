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

from ..forms.incident_stats import IncidentStatsFilterForm
from ..models import Incident
from ..selectors.incident_stats import IncidentStatistics, incident_statistics

# The page font, so that Chinese labels drawn on the canvas match the page.
CHART_FONT = 'system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'
# Canvas tooltips: ECharts' HTML tooltip writes style="" attributes, which the CSP refuses.
TOOLTIP = {"renderMode": "richText", "textStyle": {"fontFamily": CHART_FONT}}
BAR = "#1c7ed6"
PALETTE = ["#1c7ed6", "#e8590c", "#2f9e44", "#c2255c", "#7048e8", "#f59f00", "#0c8599",
           "#868e96", "#5c940d", "#d6336c", "#364fc7", "#a61e4d", "#087f5b", "#e67700", "#495057"]


def _weekdays() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def _base(**option) -> dict:
    return {"textStyle": {"fontFamily": CHART_FONT}, "color": PALETTE,
            "tooltip": TOOLTIP | {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            **option}


def _columns(labels: list[str], values: list[int], name: str, *, every_label=False) -> dict:
    axis_label = {"interval": 0, "fontSize": 11} if every_label else {}
    return _base(
        grid={"left": 8, "right": 8, "top": 16, "bottom": 8, "containLabel": True},
        xAxis={"type": "category", "data": labels, "axisTick": {"alignWithLabel": True},
               "axisLabel": axis_label},
        yAxis={"type": "value", "minInterval": 1},
        series=[{"name": name, "type": "bar", "data": values, "barMaxWidth": 28,
                 "itemStyle": {"color": BAR}}])


def _bars(labels: list[str], values: list[int], name: str) -> dict:
    """Horizontal bars, first label on top; labels get less room on a phone (``media``)."""
    return {
        "baseOption": _base(
            grid={"left": 8, "right": 40, "top": 8, "bottom": 8, "containLabel": True},
            xAxis={"type": "value", "minInterval": 1},
            yAxis={"type": "category", "inverse": True, "data": labels,
                   "axisLabel": {"width": 240, "overflow": "truncate"}},
            series=[{"name": name, "type": "bar", "data": values, "barMaxWidth": 20,
                     "itemStyle": {"color": BAR},
                     "label": {"show": True, "position": "right"}}]),
        "media": [{"query": {"maxWidth": 500},
                   "option": {"yAxis": {"axisLabel": {"width": 120}}}}],
    }


def _charts(stats: IncidentStatistics) -> dict:
    """``{name: ECharts option}`` for the page's charts (none when nothing was counted)."""
    if not stats.total:
        return {}
    categories = dict(Incident.Category.choices)
    dispositions = dict(Incident.Disposition.choices)
    hours = [f"{h:02d}" for h in range(24)]
    weekdays = _weekdays()
    count = _("Incidents")
    heat_max = max((cell[2] for cell in stats.heat), default=1)
    charts = {
        "category": _bars([str(categories.get(r["category"], r["category"]))
                           for r in stats.by_category],
                          [r["n"] for r in stats.by_category], count),
        "type": _bars([r["type_label"] for r in stats.by_type],
                      [r["n"] for r in stats.by_type], count),
        "hour": _columns(hours, stats.by_hour, count),
        "weekday": _columns(weekdays, stats.by_weekday, count, every_label=True),
        "heat": _base(
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
        "month": _base(
            grid={"left": 8, "right": 16, "top": 16, "bottom": 8, "containLabel": True},
            xAxis={"type": "category", "data": [m.strftime("%Y-%m") for m, _n in stats.by_month]},
            yAxis={"type": "value", "minInterval": 1},
            dataZoom=[{"type": "inside"}] if len(stats.by_month) > 24 else [],
            series=[{"name": count, "type": "line", "showSymbol": False,
                     "areaStyle": {"opacity": 0.15},
                     "data": [n for _m, n in stats.by_month]}]),
        "place": _bars([r["where"] for r in stats.by_place],
                       [r["n"] for r in stats.by_place], count),
        "disposition": {
            "textStyle": {"fontFamily": CHART_FONT}, "color": PALETTE,
            "tooltip": TOOLTIP | {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
            "legend": {"bottom": 0, "type": "scroll"},
            "series": [{"name": pgettext("incident", "Disposition"), "type": "pie",
                        "radius": ["40%", "68%"], "center": ["50%", "45%"],
                        "label": {"position": "inside", "formatter": "{d}%",
                                  "color": "#fff"},
                        "minShowLabelAngle": 12,
                        "data": [{"name": str(dispositions.get(r["disposition"], r["disposition"])),
                                  "value": r["n"]} for r in stats.by_disposition]}],
        },
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
