"""Violation statistics (违停统计) for the office and leadership: by place, type, type as
recorded, hour of day, weekday, month and level, and the repeat-offender list of the active
rules. Charts are ECharts options built here and drawn by ``static/js/app.js`` from
``[data-chart]`` JSON blobs (CSP: no inline scripts)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from safecampus.core.charts import bars, columns, donut, month_line, weekday_labels

from ..forms.statistics import ViolationStatsFilterForm
from ..models import Violation, ViolationKind
from ..selectors.statistics import ViolationStatistics, violation_statistics


def _charts(stats: ViolationStatistics) -> dict:
    """``{name: ECharts option}`` for the page's charts (none when nothing was counted)."""
    if not stats.total:
        return {}
    kinds = dict(ViolationKind.choices)
    count = _("Violations")
    return {
        "place": bars([r["where"] for r in stats.by_place], [r["n"] for r in stats.by_place],
                      count),
        "kind": bars([str(kinds.get(r["kind"], r["kind"])) for r in stats.by_kind],
                     [r["n"] for r in stats.by_kind], count),
        "type": bars([r["kind_label"] for r in stats.by_type], [r["n"] for r in stats.by_type],
                     count),
        "hour": columns([f"{h:02d}" for h in range(24)], stats.by_hour, count),
        "weekday": columns(weekday_labels(), stats.by_weekday, count, every_label=True),
        "month": month_line(stats.by_month, count),
        "level": donut([(str(Violation.Level.VIOLATION.label), stats.violations),
                        (str(Violation.Level.WARNING.label), stats.warnings)],
                       _("Level"), colours=["#e8590c", "#1c7ed6"]),
    }


@login_required
def statistics_page(request):
    """The statistics page (``traffic.view_statistics``); filters in the query."""
    if not request.user.has_perm("traffic.view_statistics"):
        raise PermissionDenied
    form = ViolationStatsFilterForm(request.GET or None)
    stats = violation_statistics(request.user, form.to_filters())
    kinds = dict(ViolationKind.choices)
    states = dict(Violation.State.choices)
    return render(request, "traffic/statistics.html", {
        "form": form, "stats": stats, "charts": _charts(stats),
        "kind_rows": [(kinds.get(r["kind"], r["kind"]), r["n"]) for r in stats.by_kind],
        "state_rows": [(states.get(r["state"], r["state"]), r["n"], 100 * r["n"] / stats.total)
                       for r in stats.by_state],
        "can_import": request.user.has_perm("traffic.import_violations"),
    })


urls: list = [
    path("statistics/", statistics_page, name="statistics"),
]
