"""Charging points (充电设施), reads: the station list, a station's page (faults, recent
sessions, timeline) and the utilisation statistics.

Utilisation (:func:`charging_utilisation`) over local dates ``date_from``…``date_to``
(Asia/Shanghai, inclusive):

* **by hour of day**: for each local hour 0–23, occupied point-hours ÷ available
  point-hours. A session occupies one point from ``started_at`` to ``ended_at`` and is split
  at hour boundaries (a session 17:40–19:10 gives 20 min to 17:00, 60 to 18:00 and 10 to
  19:00); the available point-hours of an hour of day are the stations' points × the days
  in the range. The split runs in SQL: a series of hour buckets over the range (PostgreSQL
  ``generate_series``, SQLite a recursive CTE) joined to the sessions that overlap each
  bucket, the overlap summed per bucket, so the result has one row per hour of the range
  whatever the number of sessions. Only sessions clipped to the range count.
* **per station**: sessions started in the range, energy, and the station's occupied share
  (its occupied point-hours in the range ÷ points × hours of the range), busiest first;
* **per month**: sessions started and kWh per local month.

**Headline denominator.** Only the stations *with sessions in the period* (a session
started in it or overlapping it) count as available in the headline occupancy and the
by-hour shares: ``station_count`` and ``points`` are theirs, while ``all_station_count`` and
``all_points`` give every station matching the filters. A station without any session in
the period (not yet installed, or whose operator sends no data, e.g. the campus stations
next to an imported 2017 file) would otherwise count as idle and pull the share towards
0 %. Those stations are counted as available for the whole range (the model keeps no
history of points or of the dates a station was installed).

**Months.** ``month_labels`` names each month of the monthly charts ``YYYY-MM``; a month
only partly inside the period adds its days, e.g. ``2017-11 (19–30)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Prefetch, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from safecampus.core import clock
from safecampus.core.charts import month_axis
from safecampus.core.models import ActivityEntry

from ..models import ChargingFault, ChargingImport, ChargingSession, ChargingStation

#: Sessions listed on a station's page.
RECENT_SESSIONS = 20
#: Stations in the "busiest" table.
TOP_STATIONS = 15
#: The longest range the utilisation page accepts (days).
MAX_RANGE_DAYS = 731
#: The longest session counted (hours): the imports refuse longer ones.
MAX_SESSION_HOURS = 7 * 24


def charging_station_list(user, *, campus: int | None = None, kind: str = "",
                          status: str = "", text: str = ""):
    """Stations ``user`` may see (every signed-in user sees them all; the list is what a
    student needs to find the station to report), filtered by campus, type, status and a
    text (name, operator, operator's id, place). Ordered by campus and name, with campus,
    place and the open-fault count, for pagination."""
    if not user.has_perm("traffic.view_charging"):
        return ChargingStation.objects.none()
    qs = (ChargingStation.objects.select_related("campus", "place", "operator_unit")
          .annotate(open_faults=Count("faults", filter=Q(faults__state=ChargingFault.State.OPEN))))
    if campus:
        qs = qs.filter(campus_id=campus)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    text = (text or "").strip()
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(operator_name__icontains=text)
                       | Q(external_id__iexact=text) | Q(place__name__icontains=text))
    return qs.order_by("campus__sort_order", "campus_id", "name", "pk")


def charging_station_detail(user, pk) -> ChargingStation | None:
    """The station with campus, place, operator unit and its faults (newest first), or None
    when it does not exist or ``user`` may not see it."""
    if not user.has_perm("traffic.view_charging") or not str(pk).isdigit():
        return None
    return (ChargingStation.objects.select_related("campus", "place", "operator_unit")
            .prefetch_related(Prefetch("faults", queryset=ChargingFault.objects
                                       .select_related("reporter").order_by("-created_at", "-id")))
            .filter(pk=pk).first())


def charging_station_sessions(station: ChargingStation, *, limit: int = RECENT_SESSIONS):
    """The station's latest sessions (newest first)."""
    return list(station.sessions.order_by("-started_at", "-id")[:limit])


def charging_station_summary(station: ChargingStation) -> dict:
    """``sessions`` and ``energy_wh`` in all, ``first`` and ``last`` session start."""
    from django.db.models import Max, Min

    return station.sessions.aggregate(sessions=Count("id"), energy_wh=Sum("energy_wh"),
                                      first=Min("started_at"), last=Max("started_at"))


def charging_station_timeline(station: ChargingStation):
    """The station's activity entries, oldest first (with actors)."""
    from django.contrib.contenttypes.models import ContentType

    return (ActivityEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(ChargingStation), target_id=station.pk)
        .select_related("actor").order_by("occurred_at", "pk"))


def charging_imports_recent(user, *, limit: int = 10):
    """The latest imports ``user`` made (for the import pages)."""
    return ChargingImport.objects.filter(created_by=user).order_by("-created_at")[:limit]


# --- utilisation -------------------------------------------------------------------------------
@dataclass(frozen=True)
class UtilisationFilters:
    """Local dates (inclusive; None → the 30 days up to the latest session), campus, type
    and one station (None = all)."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    campus: int | None = None
    kind: str | None = None
    station: int | None = None


@dataclass
class Utilisation:
    """``points``/``station_count``: of the stations with sessions in the period (the
    headline denominator), ``all_points``/``all_station_count``: of every station matching
    the filters; ``by_hour``: 24 shares (0–1) of point-hours occupied per local hour of day;
    ``occupied_hours``: 24 occupied point-hours; ``available_hours`` per hour of day;
    ``stations``: rows (station, sessions, energy_kwh, occupied_hours, share) busiest first;
    ``by_month``: ``(1st of month, sessions)`` continuous; ``kwh_by_month`` the same in kWh."""

    date_from: dt.date
    date_to: dt.date
    points: int = 0
    station_count: int = 0
    all_points: int = 0
    all_station_count: int = 0
    sessions: int = 0
    energy_kwh: float = 0.0
    by_hour: list[float] = field(default_factory=lambda: [0.0] * 24)
    occupied_hours: list[float] = field(default_factory=lambda: [0.0] * 24)
    available_hours: float = 0.0
    stations: list[dict] = field(default_factory=list)
    by_month: list[tuple[dt.date, int]] = field(default_factory=list)
    kwh_by_month: list[tuple[dt.date, float]] = field(default_factory=list)
    month_labels: list[str] = field(default_factory=list)
    partial_months: bool = False

    @property
    def overall(self) -> float:
        total = self.available_hours * 24
        return sum(self.occupied_hours) / total if total else 0.0


def _stations(filters: UtilisationFilters):
    qs = ChargingStation.objects.all()
    if filters.campus:
        qs = qs.filter(campus_id=filters.campus)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.station:
        qs = qs.filter(pk=filters.station)
    return qs


def default_range(filters: UtilisationFilters) -> tuple[dt.date, dt.date]:
    """The filters' dates, else the 30 local days up to the latest session (or today); a
    lone ``date_from`` after the latest session runs 30 days from it (at most to today).
    The page's form refuses reversed, future and too long ranges with a message; the
    swap and the cut below only keep direct calls safe."""
    date_to = filters.date_to
    if date_to is None:
        latest = (ChargingSession.objects.filter(station__in=_stations(filters))
                  .order_by("-started_at").values_list("started_at", flat=True).first())
        date_to = latest.astimezone(clock.local_zone()).date() if latest else clock.local_today()
        if filters.date_from and filters.date_from > date_to:
            date_to = max(filters.date_from,
                          min(filters.date_from + dt.timedelta(days=29), clock.local_today()))
    date_from = filters.date_from or date_to - dt.timedelta(days=29)
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        date_from = date_to - dt.timedelta(days=MAX_RANGE_DAYS - 1)
    return date_from, date_to


def _sql_datetime(value: dt.datetime):
    """A UTC instant as the database stores it (SQLite: naive ``YYYY-MM-DD HH:MM:SS`` text)."""
    if connection.vendor == "sqlite":
        return value.astimezone(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")
    return value


def _hour_pieces_sql(station_sql: str) -> str:
    """SQL giving ``(hour bucket start, occupied seconds)`` for the whole UTC hours from %s
    (start) to %s (end, exclusive). Each session is cut into the hours it touches — on
    PostgreSQL a ``LATERAL generate_series`` over its own hours, on SQLite a recursive CTE
    that steps one hour at a time until the session's end — so an ``n``-hour session gives
    about ``n + 1`` pieces and the work grows with the sessions, not with sessions × hours
    of the range; the pieces are summed per hour. Parameters in order: the station
    subquery's, then the earliest start a session overlapping the range may have (so the
    index on ``started_at`` bounds the scan), the range's end and start (sessions
    overlapping it), then its start and end again (the hours kept)."""
    table = ChargingSession._meta.db_table
    if connection.vendor == "postgresql":
        return f"""
            SELECT p.b, SUM(EXTRACT(EPOCH FROM (LEAST(p.ended_at, p.b + INTERVAL '1 hour')
                                               - GREATEST(p.started_at, p.b))))
            FROM (SELECT date_trunc('hour', s.started_at) + k.n * INTERVAL '1 hour' AS b,
                         s.started_at, s.ended_at
                  FROM {table} s
                  CROSS JOIN LATERAL generate_series(
                      0, GREATEST(0, CEIL(EXTRACT(EPOCH FROM (
                          s.ended_at - date_trunc('hour', s.started_at))) / 3600)::int - 1)
                  ) AS k(n)
                  WHERE s.station_id IN ({station_sql}) AND s.started_at >= %s
                    AND s.started_at < %s AND s.ended_at > %s) p
            WHERE p.b >= %s AND p.b < %s AND p.b < p.ended_at
            GROUP BY p.b"""
    return f"""
        WITH RECURSIVE p(b, started_at, ended_at) AS (
            SELECT strftime('%%Y-%%m-%%d %%H:00:00', s.started_at), s.started_at, s.ended_at
            FROM {table} s
            WHERE s.station_id IN ({station_sql}) AND s.started_at >= %s
              AND s.started_at < %s AND s.ended_at > %s
            UNION ALL
            SELECT datetime(b, '+1 hour'), started_at, ended_at FROM p
            WHERE datetime(b, '+1 hour') < ended_at
        )
        SELECT p.b, SUM((julianday(MIN(p.ended_at, datetime(p.b, '+1 hour')))
                         - julianday(MAX(p.started_at, p.b))) * 86400.0)
        FROM p WHERE p.b >= %s AND p.b < %s
        GROUP BY p.b"""


def _occupied_by_bucket(stations, start: dt.datetime, end: dt.datetime
                        ) -> list[tuple[dt.datetime, float]]:
    """``(bucket start as aware UTC, occupied seconds)`` per hour of [start, end) that has
    any (``start`` and ``end`` are whole UTC hours: local midnights of Asia/Shanghai)."""
    station_sql, station_params = stations.values("pk").query.sql_with_params()
    sql = _hour_pieces_sql(station_sql)
    earliest = start - dt.timedelta(hours=MAX_SESSION_HOURS + 1)  # imports refuse longer
    params = [_sql_datetime(v) for v in (earliest, end, start)]
    params = [*station_params, *params, _sql_datetime(start), _sql_datetime(end)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = []
    for bucket, seconds in rows:
        if isinstance(bucket, str):
            bucket = dt.datetime.fromisoformat(bucket).replace(tzinfo=dt.UTC)
        result.append((bucket, float(seconds or 0)))
    return result


def _occupied_by_station(stations, start: dt.datetime, end: dt.datetime) -> dict[int, float]:
    """Occupied seconds per station within [start, end) (sessions clipped to the range)."""
    table = ChargingSession._meta.db_table
    station_sql, station_params = stations.values("pk").query.sql_with_params()
    earliest = start - dt.timedelta(hours=MAX_SESSION_HOURS + 1)
    if connection.vendor == "postgresql":
        sql = f"""SELECT s.station_id, SUM(EXTRACT(EPOCH FROM (LEAST(s.ended_at, %s)
                                                   - GREATEST(s.started_at, %s))))
                  FROM {table} s WHERE s.station_id IN ({station_sql})
                  AND s.started_at < %s AND s.ended_at > %s AND s.started_at >= %s
                  GROUP BY s.station_id"""
        params = [end, start, *station_params, end, start, earliest]
    else:
        sql = f"""SELECT s.station_id, SUM((julianday(MIN(s.ended_at, %s))
                                            - julianday(MAX(s.started_at, %s))) * 86400.0)
                  FROM {table} s WHERE s.station_id IN ({station_sql})
                  AND s.started_at < %s AND s.ended_at > %s AND s.started_at >= %s
                  GROUP BY s.station_id"""
        params = [_sql_datetime(end), _sql_datetime(start), *station_params,
                  _sql_datetime(end), _sql_datetime(start), _sql_datetime(earliest)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {station_id: float(seconds or 0) for station_id, seconds in cursor.fetchall()}


def _month_label(month: dt.date, date_from: dt.date, date_to: dt.date) -> str:
    """``YYYY-MM``, with the days inside the period when it covers only part of the month."""
    last = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    first_in, last_in = max(month, date_from), min(last, date_to)
    label = month.strftime("%Y-%m")
    if (first_in, last_in) == (month, last):
        return label
    return _("%(month)s (%(first)s–%(last)s)") % {"month": label, "first": first_in.day,
                                                  "last": last_in.day}


def charging_utilisation(user, filters: UtilisationFilters) -> Utilisation | None:
    """Utilisation figures (see the module docstring: the headline and by-hour shares count
    only the stations with sessions in the period), or None when ``user`` may not see them
    (``traffic.view_charging_statistics``: the office and the leadership)."""
    if not user.has_perm("traffic.view_charging_statistics"):
        return None
    date_from, date_to = default_range(filters)
    stations = _stations(filters)
    start = clock.start_of_local_day(date_from)
    end = clock.start_of_local_day(date_to + dt.timedelta(days=1))
    days = (date_to - date_from).days + 1
    info = stations.aggregate(points=Sum("points"), n=Count("id"))
    result = Utilisation(date_from=date_from, date_to=date_to,
                         all_points=info["points"] or 0, all_station_count=info["n"] or 0)
    if not result.all_points:
        return result
    started = ChargingSession.objects.filter(station__in=stations, started_at__gte=start,
                                             started_at__lt=end)
    per_station = {row["station_id"]: row for row in started.values("station_id").annotate(
        n=Count("id"), wh=Sum("energy_wh"))}
    by_station = _occupied_by_station(stations, start, end)
    active = list(stations.select_related("campus").filter(
        pk__in=set(per_station) | set(by_station)))
    result.station_count = len(active)
    result.points = sum(station.points for station in active)
    if not result.points:
        return result
    local = clock.local_zone()
    occupied = [0.0] * 24
    for bucket, seconds in _occupied_by_bucket(stations, start, end):
        occupied[bucket.astimezone(local).hour] += seconds / 3600
    result.occupied_hours = occupied
    result.available_hours = result.points * days
    result.by_hour = [h / result.available_hours for h in occupied]

    totals = started.aggregate(n=Count("id"), wh=Sum("energy_wh"))
    result.sessions, result.energy_kwh = totals["n"] or 0, (totals["wh"] or 0) / 1000
    hours = days * 24
    rows = []
    for station in active:
        busy = by_station.get(station.pk, 0.0) / 3600
        counted = per_station.get(station.pk, {})
        rows.append({"station": station, "sessions": counted.get("n", 0),
                     "energy_kwh": (counted.get("wh") or 0) / 1000, "occupied_hours": busy,
                     "share": busy / (station.points * hours) if station.points else 0.0})
    rows.sort(key=lambda r: (-r["share"], -r["sessions"], r["station"].name))
    result.stations = rows[:TOP_STATIONS]
    months = list(started.annotate(month=TruncMonth("started_at", tzinfo=local))
                  .values("month").annotate(n=Count("id"), wh=Sum("energy_wh"))
                  .order_by("month"))
    result.by_month, _cut = month_axis({m["month"]: m["n"] for m in months},
                                       date_from=date_from, date_to=date_to)
    kwh = {(m["month"].date() if isinstance(m["month"], dt.datetime) else m["month"]):
           round((m["wh"] or 0) / 1000, 1) for m in months}
    result.kwh_by_month = [(month, kwh.get(month, 0.0)) for month, _n in result.by_month]
    result.month_labels = [_month_label(month, date_from, date_to)
                           for month, _n in result.by_month]
    result.partial_months = any(label != month.strftime("%Y-%m") for label, (month, _n)
                                in zip(result.month_labels, result.by_month, strict=True))
    return result
