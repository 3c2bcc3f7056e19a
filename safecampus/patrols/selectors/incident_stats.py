"""Incident statistics (警情统计): counts by category, type as recorded, hour of day, weekday,
hour × weekday, month, place and disposition. Every figure is one SQL aggregate; hours,
weekdays and months are those of Asia/Shanghai (``Extract…``/``Trunc…`` with ``tzinfo``).

The monthly trend is a continuous axis: every month of the filtered period (an open end: the
first or last month with an incident; never past the current month unless an incident is),
an empty month counted 0, at most :data:`~safecampus.core.charts.MAX_MONTHS` months (the
latest ones); see :func:`~safecampus.core.charts.month_axis`.

Which incidents count where: the hour of day is known only when the occurred time is a
moment or a period of at most an hour; the weekday when the period is at most a day (a
date-only log entry is stored as that whole local day). The others are counted in
:attr:`IncidentStatistics.untimed` / ``undated`` and left out of those charts, so a log that
records dates only does not pile its incidents up at midnight.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, Min, Q, Value
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    NullIf,
    TruncMonth,
)

from safecampus.core import clock
from safecampus.core.charts import month_axis

from ..models import Incident

TOP_TYPES = 20
TOP_PLACES = 15
HOUR_KNOWN = Q(occurred_until__isnull=True) | Q(
    occurred_until__lte=F("occurred_at") + dt.timedelta(hours=1))
DAY_KNOWN = Q(occurred_until__isnull=True) | Q(
    occurred_until__lt=F("occurred_at") + dt.timedelta(days=1))


@dataclass(frozen=True)
class IncidentStatsFilters:
    """Occurred between two local dates (inclusive; None = open end), campus id, category
    code and source code (None = all)."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    campus_id: int | None = None
    category: str | None = None
    source: str | None = None


@dataclass
class IncidentStatistics:
    """The figures of the page. Lists of dicts, most first unless said otherwise:
    ``by_category`` (category, n), ``by_type`` (type_label, n; top 20), ``by_hour`` (24
    counts, hour 0 first), ``by_weekday`` (7 counts, Monday first), ``heat`` ([hour,
    weekday index 0–6, n] cells with n > 0), ``by_month`` ((date of the 1st, n), oldest
    first, one per month of the period, 0 for an empty one; ``months_cut`` says how many
    earlier months were left out to keep :data:`~safecampus.core.charts.MAX_MONTHS`),
    ``by_place`` (where, n; top 15), ``by_disposition`` (disposition, n)."""

    filters: IncidentStatsFilters
    total: int = 0
    untimed: int = 0
    undated: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    by_category: list[dict] = field(default_factory=list)
    by_type: list[dict] = field(default_factory=list)
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    by_weekday: list[int] = field(default_factory=lambda: [0] * 7)
    heat: list[list[int]] = field(default_factory=list)
    by_month: list[tuple[dt.date, int]] = field(default_factory=list)
    months_cut: int = 0
    by_place: list[dict] = field(default_factory=list)
    by_disposition: list[dict] = field(default_factory=list)


def incidents_for_statistics(user, filters: IncidentStatsFilters):
    """The incidents ``user`` may count under ``filters`` (none without
    ``patrols.view_incident_statistics``)."""
    if not user.has_perm("patrols.view_incident_statistics"):
        return Incident.objects.none()
    qs = Incident.objects.all()
    if filters.date_from:
        qs = qs.filter(occurred_at__gte=clock.start_of_local_day(filters.date_from))
    if filters.date_to:
        qs = qs.filter(occurred_at__lte=clock.end_of_local_day(filters.date_to))
    if filters.campus_id:
        qs = qs.filter(campus_id=filters.campus_id)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.source:
        qs = qs.filter(source=filters.source)
    return qs


def incident_statistics(user, filters: IncidentStatsFilters) -> IncidentStatistics:
    """All figures of the statistics page in 8 queries, whatever the number of incidents."""
    zone = clock.local_zone()
    qs = incidents_for_statistics(user, filters).order_by()
    stats = IncidentStatistics(filters=filters)
    summary = qs.aggregate(
        total=Count("id"), timed=Count("id", filter=HOUR_KNOWN),
        dated=Count("id", filter=DAY_KNOWN),
        first=Min("occurred_at"), last=Max("occurred_at"))
    stats.total = summary["total"]
    if not stats.total:
        return stats
    stats.untimed = stats.total - summary["timed"]
    stats.undated = stats.total - summary["dated"]
    stats.first, stats.last = summary["first"], summary["last"]
    stats.by_category = list(qs.values("category").annotate(n=Count("id")).order_by("-n", "category"))
    stats.by_type = list(qs.exclude(type_label="").values("type_label").annotate(n=Count("id"))
                         .order_by("-n", "type_label")[:TOP_TYPES])
    for row in (qs.filter(HOUR_KNOWN)
                .annotate(hour=ExtractHour("occurred_at", tzinfo=zone),
                          weekday=ExtractIsoWeekDay("occurred_at", tzinfo=zone))
                .values("hour", "weekday").annotate(n=Count("id"))):
        stats.heat.append([row["hour"], row["weekday"] - 1, row["n"]])
        stats.by_hour[row["hour"]] += row["n"]
    for row in (qs.filter(DAY_KNOWN)
                .annotate(weekday=ExtractIsoWeekDay("occurred_at", tzinfo=zone))
                .values("weekday").annotate(n=Count("id"))):
        stats.by_weekday[row["weekday"] - 1] = row["n"]
    counted = {row["month"]: row["n"]
               for row in qs.annotate(month=TruncMonth("occurred_at", tzinfo=zone))
               .values("month").annotate(n=Count("id")).order_by("month")}
    stats.by_month, stats.months_cut = month_axis(counted, date_from=filters.date_from,
                                                  date_to=filters.date_to)
    stats.by_place = list(
        qs.annotate(where=Coalesce(NullIf("place__name", Value("")),
                                   NullIf("location_text", Value(""))))
        .exclude(where__isnull=True).values("where").annotate(n=Count("id"))
        .order_by("-n", "where")[:TOP_PLACES])
    stats.by_disposition = list(qs.values("disposition").annotate(n=Count("id"))
                                .order_by("-n", "disposition"))
    return stats
