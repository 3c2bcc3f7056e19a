"""ECharts options for statistics pages, built in Python and handed to the page as JSON blobs
(``[data-chart]``, drawn by static JS: the CSP allows no inline scripts).

What lives here:

* :data:`CHART_FONT` (the page font, so Chinese labels drawn on the canvas match the page)
  and :data:`TOOLTIP` (canvas tooltips: ECharts' HTML tooltip writes ``style=""``
  attributes, which the CSP refuses);
* option builders: :func:`chart` (font, palette and an axis tooltip around any option),
  :func:`columns` (vertical bars, e.g. hours or weekdays), :func:`bars` (horizontal bars,
  first label on top, narrower labels on a phone), :func:`month_line` (a monthly trend) and
  :func:`donut` (shares of a whole);
* :func:`weekday_labels` (Mon … Sun, translated) and :func:`month_axis` (a continuous month
  axis for a monthly trend, empty months counted 0).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from . import clock

# The page font (static/css/app.css), so that Chinese labels drawn on the chart canvas render
# with the same CJK face as the page around them.
CHART_FONT = 'system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'
# Canvas tooltips: ECharts' HTML tooltip writes style="" attributes, which the CSP refuses.
TOOLTIP = {"renderMode": "richText", "textStyle": {"fontFamily": CHART_FONT}}
#: The colour of single-series bars.
BAR = "#1c7ed6"
#: Series colours in order (pies, several series).
PALETTE = ["#1c7ed6", "#e8590c", "#2f9e44", "#c2255c", "#7048e8", "#f59f00", "#0c8599",
           "#868e96", "#5c940d", "#d6336c", "#364fc7", "#a61e4d", "#087f5b", "#e67700", "#495057"]
#: The most months :func:`month_axis` returns (20 years); a longer period keeps its last ones.
MAX_MONTHS = 240


def weekday_labels() -> list[str]:
    """Mon … Sun in the active language (ISO order, as ``ExtractIsoWeekDay`` counts)."""
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def chart(**option) -> dict:
    """``option`` with the page font, :data:`PALETTE` and an axis tooltip (shadow pointer);
    keys given in ``option`` win."""
    return {"textStyle": {"fontFamily": CHART_FONT}, "color": PALETTE,
            "tooltip": TOOLTIP | {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            **option}


def columns(labels: list[str], values: list[int], name: str, *, every_label=False) -> dict:
    """Vertical bars, one per label (counts: whole numbers on the axis). ``every_label``
    shows every label, smaller (e.g. seven weekdays), instead of letting ECharts skip some."""
    axis_label = {"interval": 0, "fontSize": 11} if every_label else {}
    return chart(
        grid={"left": 8, "right": 8, "top": 16, "bottom": 8, "containLabel": True},
        xAxis={"type": "category", "data": labels, "axisTick": {"alignWithLabel": True},
               "axisLabel": axis_label},
        yAxis={"type": "value", "minInterval": 1},
        series=[{"name": name, "type": "bar", "data": values, "barMaxWidth": 28,
                 "itemStyle": {"color": BAR}}])


def bars(labels: list[str], values: list[int], name: str) -> dict:
    """Horizontal bars, first label on top, each with its count; labels get less room on a
    phone (an ECharts ``media`` query, still plain JSON)."""
    return {
        "baseOption": chart(
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


def month_line(months: list[tuple[dt.date, int]], name: str) -> dict:
    """A monthly trend from :func:`month_axis` rows ``(1st of the month, n)``: a line with a
    light area, zoomable (wheel / pinch) when it spans more than two years."""
    return chart(
        grid={"left": 8, "right": 16, "top": 16, "bottom": 8, "containLabel": True},
        xAxis={"type": "category", "data": [m.strftime("%Y-%m") for m, _n in months]},
        yAxis={"type": "value", "minInterval": 1},
        dataZoom=[{"type": "inside"}] if len(months) > 24 else [],
        series=[{"name": name, "type": "line", "showSymbol": False,
                 "areaStyle": {"opacity": 0.15}, "data": [n for _m, n in months]}])


def donut(slices: list[tuple[str, int]], name: str, *, colours: list[str] | None = None) -> dict:
    """Shares of a whole as a ring, ``slices`` ``(label, n)``; percentages inside the ring
    (left out on thin slices), the legend below."""
    return {
        "textStyle": {"fontFamily": CHART_FONT}, "color": colours or PALETTE,
        "tooltip": TOOLTIP | {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"bottom": 0, "type": "scroll"},
        "series": [{"name": name, "type": "pie", "radius": ["40%", "68%"],
                    "center": ["50%", "45%"], "minShowLabelAngle": 12,
                    "label": {"position": "inside", "formatter": "{d}%", "color": "#fff"},
                    "data": [{"name": label, "value": n} for label, n in slices]}],
    }


def month_axis(counted: dict, *, date_from: dt.date | None = None,
               date_to: dt.date | None = None, max_months: int = MAX_MONTHS,
               ) -> tuple[list[tuple[dt.date, int]], int]:
    """A continuous month axis for a monthly trend.

    ``counted`` maps the 1st of a month (a date, or a datetime as ``TruncMonth`` may return
    it) to its count. Returns every month from the period's first to its last as ``(1st of
    the month, n)``, 0 where nothing was counted, and how many earlier months were left out
    to keep the last ``max_months``. Open ends (``date_from``/``date_to`` None) are the first
    or last counted month; an end after the current month stops there unless counts go on.
    """
    counted = {(k.date() if isinstance(k, dt.datetime) else k): n for k, n in counted.items()}
    if not counted:
        return [], 0
    first, last = min(counted), max(counted)
    this_month = clock.local_today().replace(day=1)
    start = date_from.replace(day=1) if date_from else first
    end = date_to.replace(day=1) if date_to else last
    end = max(min(end, this_month), last)
    start = min(start, first)
    total = _month_index(end) - _month_index(start) + 1
    cut = max(0, total - max_months)
    months = []
    for index in range(_month_index(start) + cut, _month_index(end) + 1):
        month = dt.date(index // 12, index % 12 + 1, 1)
        months.append((month, counted.get(month, 0)))
    return months, cut


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1
