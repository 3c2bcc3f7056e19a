"""Home dashboard per role: one selector call, then ECharts options for the page."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from safecampus.core.charts import CHART_FONT, TOOLTIP
from safecampus.organisation.selectors import campuses
from safecampus.patrols.selectors.work import patrol_work

from . import selectors

COLOURS = {
    "reported": "#1c7ed6",
    "closed": "#198754",
    "open": "#f08c00",
    "overdue": "#d9342b",
}
PALETTE = ["#1c7ed6", "#f08c00", "#198754", "#d9342b", "#6610f2", "#20c997", "#f5c400",
           "#6c757d", "#d63384", "#0dcaf0"]


def _campus_param(request, choices) -> int | None:
    """``?campus=<id>`` when it names a campus, else None (all campuses in the user's scope)."""
    raw = request.GET.get("campus", "")
    if raw.isdigit() and int(raw) in {c.pk for c in choices}:
        return int(raw)
    return None


def _base_option() -> dict:
    return {
        "textStyle": {"fontFamily": CHART_FONT},
        "grid": {"left": 8, "right": 16, "top": 40, "bottom": 8, "containLabel": True},
        "tooltip": TOOLTIP | {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0, "textStyle": {"fontFamily": CHART_FONT}},
    }


def _series(name: str, kind: str, data: list, colour: str, **extra) -> dict:
    return {"name": name, "type": kind, "data": data, "itemStyle": {"color": colour}, **extra}


def trend_option(trend: list[dict]) -> dict:
    """Bars of hazards reported and a line of hazards closed per local month."""
    return {
        **_base_option(),
        "xAxis": {"type": "category", "data": [row["month"] for row in trend],
                  "axisLabel": {"hideOverlap": True}},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            _series(pgettext("dashboard chart", "Reported"), "bar",
                    [row["reported"] for row in trend], COLOURS["reported"], barMaxWidth=28),
            _series(pgettext("dashboard chart", "Closed"), "line",
                    [row["closed"] for row in trend], COLOURS["closed"], symbolSize=7),
        ],
    }


def category_option(by_category: list[dict]) -> dict:
    """A ring of hazards per category, labelled outside; smaller on a phone so that the
    labels fit (an ECharts ``media`` query, still plain JSON)."""
    return {
        "baseOption": {
            "textStyle": {"fontFamily": CHART_FONT},
            "color": PALETTE,
            "tooltip": TOOLTIP | {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
            "series": [
                {
                    "name": _("Hazards by category"),
                    "type": "pie",
                    "radius": ["40%", "68%"],
                    "avoidLabelOverlap": True,
                    "label": {"formatter": "{b}\n{c}", "fontFamily": CHART_FONT},
                    "labelLine": {"length": 10, "length2": 8},
                    "data": [{"name": row["name"], "value": row["total"]} for row in by_category],
                }
            ],
        },
        "media": [
            {"query": {"maxWidth": 420},
             "option": {"series": [{"radius": ["30%", "52%"], "labelLine": {"length": 6, "length2": 4}}]}},
        ],
    }


def unit_option(by_unit: list[dict]) -> dict:
    """Horizontal stacked bars per responsible unit: closed, open in time, overdue. Unit
    names get more room on a wide screen (an ECharts ``media`` query)."""
    stacked = {"stack": "unit", "barMaxWidth": 22}
    return {
        "baseOption": {
            **_base_option(),
            "xAxis": {"type": "value", "minInterval": 1},
            "yAxis": {
                "type": "category",
                "inverse": True,
                "data": [row["name"] for row in by_unit],
                "axisLabel": {"width": 200, "overflow": "truncate", "fontFamily": CHART_FONT},
            },
            "series": [
                _series(pgettext("dashboard chart", "Closed"), "bar",
                        [row["closed"] for row in by_unit], COLOURS["closed"], **stacked),
                _series(_("Open, within deadline"), "bar",
                        [row["open"] - row["overdue"] for row in by_unit], COLOURS["open"],
                        **stacked),
                _series(pgettext("dashboard chart", "Overdue"), "bar",
                        [row["overdue"] for row in by_unit], COLOURS["overdue"], **stacked),
            ],
        },
        "media": [{"query": {"maxWidth": 500}, "option": {"yAxis": {"axisLabel": {"width": 96}}}}],
    }


def _ledger_url(campus_id: int | None, **params) -> str:
    if campus_id:
        params["campus"] = campus_id
    return f"{reverse('hazards:ledger')}?{urlencode(params)}"


def chart_links(figures: dict, campus_id: int | None) -> dict:
    """Where a click on a chart goes (static/js/charts.js): per series, per data item, the
    ledger filtered to that unit or category (and the campus shown)."""
    units = [row["unit_id"] for row in figures["by_unit"]]

    def per_unit(**params):
        return [_ledger_url(campus_id, unit=uid, **params) if uid else None for uid in units]

    return {
        "unit": [per_unit(), per_unit(status="open"), per_unit(overdue="on")],
        "category": [[_ledger_url(campus_id, category=row["category_id"])
                      for row in figures["by_category"]]],
    }


@login_required
def home(request):
    """The home page: figures, charts and to-do list of the signed-in user's scope."""
    choices = list(campuses())
    campus_id = _campus_param(request, choices)
    # The page reuses a scope's figures while no hazard changes, at most this long (seconds).
    max_age = settings.SAFECAMPUS.get("DASHBOARD_CACHE_SECONDS", 120)
    figures = selectors.hazard_figures(request.user, campus_id=campus_id, max_age=max_age)
    charts, links = {}, {}
    if figures["trend"] is not None and figures["totals"]["total"]:
        charts = {
            "trend": trend_option(figures["trend"]),
            "category": category_option(figures["by_category"]),
        }
        if len(figures["by_unit"]) > 1:  # one unit's own page: the bar would say nothing new
            charts["unit"] = unit_option(figures["by_unit"])
        links = chart_links(figures, campus_id)
    return render(
        request,
        "dashboards/home.html",
        {
            "figures": figures,
            "totals": figures["totals"],
            "work": figures["work"],
            "inspection_work": selectors.inspection_work(request.user),
            "patrol_work": patrol_work(request.user),
            "show_figures": figures["audience"] != selectors.Audience.COMMUNITY,
            "show_report_button": figures["audience"]
            in (selectors.Audience.COMMUNITY, selectors.Audience.FIELD),
            "charts": charts,
            "chart_links": links,
            "campuses": choices if len(choices) > 1 else [],
            "campus_id": campus_id,
            "unit_chart_tall": bool(figures["by_unit"]) and len(figures["by_unit"]) > 5,
        },
    )
