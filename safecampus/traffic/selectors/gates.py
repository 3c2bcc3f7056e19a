"""Gates and gate records (出入记录), reads: gate and import lists, long-stay candidates and
the gate statistics. Everything is aggregated in SQL; times are stored in UTC and grouped by
local (Asia/Shanghai) hours and days.

Long-stay detection (:func:`long_stay_candidates`): per plate, the LATEST pass decides (ties
on the time broken by the higher id). A plate whose latest pass is an entry older than
``days`` days (strictly: entered before ``at - days``) is a candidate: it came in and was not
seen leaving since. Passes without a plate (``""``) are ignored. A candidate is *handled*
when its plate has an open abandoned-vehicle case, or any case (whatever its state: dismissed,
moved, claimed …) whose ``last_entry_at`` is at or after the candidate's entry: that case
already dealt with this stay, so detection does not open another one for it. A newer entry
(the vehicle left unseen and came back) starts a new stay. On PostgreSQL the latest pass
per plate is found either with a skip scan over the index ``traffic_gate_plate_time`` (a
recursive query visits each distinct plate once, then a LATERAL ``LIMIT 1`` reads its newest
pass: the cost grows with the number of plates, not of passes) or, when the planner's
statistics say plates pass few times each (many one-time visitors), with one ordered
``DISTINCT ON`` scan (:func:`last_pass_strategy`); SQLite uses ``ROW_NUMBER()``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.db.models.functions import ExtractHour, TruncDate

from safecampus.core import clock

from ..models import CASE_OPEN_STATES, AbandonedVehicleCase, Gate, GateImport, GateRecord, Permit, Vehicle

IN = GateRecord.Direction.IN


def gate_list() -> QuerySet[Gate]:
    """All gates, campus and place joined, by campus then name."""
    return Gate.objects.select_related("campus", "place").order_by("campus__name", "name")


#: An upload or run not heard of for this long (a worker that died) counts as failed: it no
#: longer blocks the same file from being uploaded again, and its page stops polling.
STALE_AFTER = dt.timedelta(hours=1)


def gate_import_list(user) -> QuerySet[GateImport]:
    """Gate-record imports, newest first, uploader joined (the office sees all of them).
    Each has ``stalled``: still uploaded or running but not heard of for
    :data:`STALE_AFTER` (its worker died), shown as failed."""
    if not user.has_perm("traffic.import_gate_records"):
        return GateImport.objects.none()
    stalled = Q(state__in=[GateImport.State.UPLOADED, GateImport.State.RUNNING],
                updated_at__lt=clock.now() - STALE_AFTER)
    return (GateImport.objects.select_related("created_by")
            .annotate(stalled=ExpressionWrapper(stalled, output_field=BooleanField()))
            .order_by("-created_at", "-id"))


def gate_import_get(user, pk) -> GateImport | None:
    """Import ``pk`` if ``user`` may import gate records, else None."""
    from safecampus.core.forms import id_or_none

    return gate_import_list(user).filter(pk=id_or_none(pk)).first()


# --- long stays ------------------------------------------------------------------------------
@dataclass(frozen=True)
class LongStay:
    """A vehicle inside longer than the limit: its latest pass ``record_id`` was an entry
    through ``gate_id`` at ``entered_at`` (aware UTC)."""

    record_id: int
    plate: str
    gate_id: int
    gate_name: str
    campus_id: int
    campus_name: str
    place_id: int | None
    entered_at: dt.datetime
    days_inside: int

    @property
    def local_entered(self) -> dt.datetime:
        return self.entered_at.astimezone(clock.local_zone())


#: The plate has no case that handles the stay entered at ``last.passed_at``: none open, and
#: none (in any state) whose last entry is at or after it.
_NO_CASE = (f"NOT EXISTS (SELECT 1 FROM {AbandonedVehicleCase._meta.db_table} c "
            "WHERE c.plate = last.plate AND (c.state IN ({states}) "
            "OR c.last_entry_at >= last.passed_at))")


#: Below this many passes per plate (PostgreSQL's estimate) one ordered scan of the plate
#: index (``DISTINCT ON``) beats visiting each plate (the skip scan): 1.0 s against 2.4 s
#: over 1 million camera rows with ~2.5 passes per plate, 8.1 s against 1.2 s over 10 million
#: records with 100 (docs/benchmarks.md). ANALYZE's sample underestimates the distinct
#: plates of visitor-heavy data about five-fold (it said 12.5 for the 2.5), hence 30.
SKIP_SCAN_MIN_PASSES = 30


def _pg_passes_per_plate() -> float | None:
    """PostgreSQL's estimate of gate records per distinct plate (from ANALYZE), or None."""
    table = GateRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT s.n_distinct, c.reltuples FROM pg_stats s
            JOIN pg_class c ON c.relname = s.tablename
            WHERE s.tablename = %s AND s.attname = 'plate' AND s.schemaname = current_schema()
        """, [table])
        row = cursor.fetchone()
    if not row or row[0] is None or not row[1] or row[1] <= 0:
        return None
    distinct = -row[0] * row[1] if row[0] < 0 else row[0]
    return row[1] / distinct if distinct > 0 else None


def last_pass_strategy() -> str:
    """``"skip"`` (visit each plate) or ``"distinct"`` (one ordered scan) on PostgreSQL, by
    :data:`SKIP_SCAN_MIN_PASSES`; ``"window"`` on SQLite."""
    if connection.vendor != "postgresql":
        return "window"
    ratio = _pg_passes_per_plate()
    return "distinct" if ratio is not None and ratio < SKIP_SCAN_MIN_PASSES else "skip"


def last_pass_sql(*, exclude_handled: bool = False, strategy: str | None = None) -> str:
    """The SQL (one parameter: the cutoff) of ``(id, plate, gate_id, passed_at)`` for every
    plate whose latest pass is an entry before the cutoff (see the module's docstring);
    ``exclude_handled`` leaves out the handled ones. ``strategy``: see
    :func:`last_pass_strategy` (its choice when None)."""
    table = GateRecord._meta.db_table
    states = ", ".join(f"'{s}'" for s in CASE_OPEN_STATES)
    extra = (" AND " + _NO_CASE.format(states=states)) if exclude_handled else ""
    strategy = strategy or last_pass_strategy()
    if strategy == "distinct":
        return f"""
            SELECT last.id, last.plate, last.gate_id, last.passed_at FROM (
                SELECT DISTINCT ON (plate) id, plate, gate_id, direction, passed_at
                FROM {table} WHERE plate <> '' ORDER BY plate, passed_at DESC, id DESC
            ) last
            WHERE last.direction = 'in' AND last.passed_at < %s{extra}
            ORDER BY last.passed_at, last.plate"""
    if strategy == "skip":
        return f"""
            WITH RECURSIVE plates(plate) AS (
                (SELECT plate FROM {table} WHERE plate > '' ORDER BY plate LIMIT 1)
                UNION ALL
                SELECT (SELECT r.plate FROM {table} r WHERE r.plate > p.plate
                        ORDER BY r.plate LIMIT 1)
                FROM plates p WHERE p.plate IS NOT NULL
            )
            SELECT last.id, last.plate, last.gate_id, last.passed_at
            FROM plates p
            CROSS JOIN LATERAL (
                SELECT r.id, r.plate, r.gate_id, r.direction, r.passed_at FROM {table} r
                WHERE r.plate = p.plate ORDER BY r.passed_at DESC, r.id DESC LIMIT 1
            ) last
            WHERE p.plate IS NOT NULL AND last.direction = 'in' AND last.passed_at < %s{extra}
            ORDER BY last.passed_at, last.plate"""
    return f"""
        SELECT last.id, last.plate, last.gate_id, last.passed_at FROM (
            SELECT id, plate, gate_id, direction, passed_at,
                   ROW_NUMBER() OVER (PARTITION BY plate ORDER BY passed_at DESC, id DESC) AS n
            FROM {table} WHERE plate <> ''
        ) last
        WHERE last.n = 1 AND last.direction = 'in' AND last.passed_at < %s{extra}
        ORDER BY last.passed_at, last.plate"""


def _last_entries(cutoff: dt.datetime, *, exclude_handled: bool = False,
                  strategy: str | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(last_pass_sql(exclude_handled=exclude_handled, strategy=strategy),
                       [connection.ops.adapt_datetimefield_value(cutoff)])
        rows = cursor.fetchall()
    convert = _to_aware
    return [(pk, plate, gate_id, convert(passed_at)) for pk, plate, gate_id, passed_at in rows]


def _to_aware(value) -> dt.datetime:
    if isinstance(value, str):  # SQLite returns text
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def long_stay_candidates(*, days: int | None = None, at: dt.datetime | None = None,
                         exclude_handled: bool = False, limit: int | None = None,
                         strategy: str | None = None) -> list[LongStay]:
    """Plates whose latest pass is an entry before ``at - days`` (``at`` default now,
    ``days`` default ``SAFECAMPUS["GATE_LONG_STAY_DAYS"]``), oldest entry first, with the
    gate, campus and whole days inside. ``exclude_handled`` leaves out the stays a case
    handles (an open case of the plate, or any case whose last entry is at or after the
    stay's entry; see the module's docstring). No-plate passes are ignored."""
    at = at or clock.now()
    days = int(settings.SAFECAMPUS["GATE_LONG_STAY_DAYS"] if days is None else days)
    rows = _last_entries(at - dt.timedelta(days=days), exclude_handled=exclude_handled,
                         strategy=strategy)
    if limit is not None:
        rows = rows[:limit]
    gates = {g.pk: g for g in Gate.objects.select_related("campus")
             .filter(pk__in={r[2] for r in rows})}
    result = []
    for pk, plate, gate_id, passed_at in rows:
        gate = gates[gate_id]
        result.append(LongStay(
            record_id=pk, plate=plate, gate_id=gate_id, gate_name=gate.name,
            campus_id=gate.campus_id, campus_name=gate.campus.name, place_id=gate.place_id,
            entered_at=passed_at, days_inside=(at - passed_at).days))
    return result


def long_stay_cases(stays: list[LongStay]) -> dict[str, str]:
    """``{plate: "open" | "handled"}`` for those of ``stays`` whose plate has an open
    abandoned-vehicle case (``"open"``) or a closed case that handled this stay (its last
    entry at or after the stay's entry: ``"handled"``); other plates are left out. One
    query."""
    entered = {s.plate: s.entered_at for s in stays}
    result: dict[str, str] = {}
    for plate, state, last_entry in (AbandonedVehicleCase.objects.filter(plate__in=entered)
                                     .values_list("plate", "state", "last_entry_at")):
        if state in CASE_OPEN_STATES:
            result[plate] = "open"
        elif last_entry is not None and last_entry >= entered[plate]:
            result.setdefault(plate, "handled")
    return result


def vehicles_inside_count(*, at: dt.datetime | None = None) -> int:
    """How many plates' latest pass (up to now) is an entry: vehicles inside now."""
    at = at or clock.now()
    return len(_last_entries(at + dt.timedelta(microseconds=1)))


#: Cache keys of the figures pages show (the queries read every plate's latest pass: seconds
#: over 10 million records, so pages read them from the cache; an import clears them).
CACHE_KEYS = ("traffic.gates.inside_now", "traffic.gates.long_stays")
CACHE_SECONDS = 300


def cached_figures() -> dict:
    """``{"inside_now": n, "long_stays": n}`` (the configured days), cached for
    :data:`CACHE_SECONDS`; :func:`figures_forget` clears them."""
    from django.core.cache import cache

    inside = cache.get_or_set(CACHE_KEYS[0], vehicles_inside_count, CACHE_SECONDS)
    stays = cache.get_or_set(CACHE_KEYS[1], lambda: len(long_stay_candidates()), CACHE_SECONDS)
    return {"inside_now": inside, "long_stays": stays}


#: The long-stay page's rows are cached per ``days`` under a key holding this generation
#: number; :func:`figures_forget` moves to a new generation, which drops them all at once.
GENERATION_KEY = "traffic.gates.generation"


@dataclass(frozen=True)
class LongStayPage:
    """What the long-stay page shows: how many candidates, the first ``shown`` of them."""

    total: int
    rows: list[LongStay]


def long_stay_page(*, days: int, shown: int) -> LongStayPage:
    """The candidates for ``days`` (oldest entry first: the count and the first ``shown``),
    cached for :data:`CACHE_SECONDS` per ``days`` and ``shown`` like :func:`cached_figures`
    (the query reads every plate's latest pass); :func:`figures_forget` clears them. Days
    inside are counted when the rows were read (at most :data:`CACHE_SECONDS` old)."""
    from django.core.cache import cache

    generation = cache.get_or_set(GENERATION_KEY, 0, None)
    key = f"traffic.gates.long_stay_page.{generation}.{int(days)}.{int(shown)}"

    def read() -> LongStayPage:
        rows = long_stay_candidates(days=days)
        return LongStayPage(total=len(rows), rows=rows[:shown])

    return cache.get_or_set(key, read, CACHE_SECONDS)


def figures_forget() -> None:
    """Drop the cached figures and long-stay pages (after an import or when detection ran)."""
    from django.core.cache import cache

    cache.delete_many(CACHE_KEYS)
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not cached yet (or evicted): nothing is cached under it
        cache.set(GENERATION_KEY, 0, None)


# --- statistics ----------------------------------------------------------------------------
@dataclass
class GateStatistics:
    """Figures for local days ``date_from`` … ``date_to`` (inclusive)."""

    date_from: dt.date
    date_to: dt.date
    gates: list[Gate]
    #: ``{gate_id: [entries in local hour 0 … 23]}``
    hourly: dict[int, list[int]]
    #: ``[(day, entries, exits)]`` for every day of the range.
    daily: list[tuple[dt.date, int, int]]
    #: ``[(day, overnight stays begun that day)]``
    overnight: list[tuple[dt.date, int]]
    #: ``[(day, vehicles that entered without a valid permit)]``
    without_permit: list[tuple[dt.date, int]]
    entries: int
    no_plate_entries: int
    inside_now: int


def _local_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return clock.start_of_local_day(date_from), clock.start_of_local_day(
        date_to + dt.timedelta(days=1))


def _date_sql(column: str, params: list) -> str:
    """SQL of the local (Asia/Shanghai) date of ``column``; its parameters are appended to
    ``params`` (so call it in the order the SQL text uses them)."""
    sql, extra = connection.ops.datetime_cast_date_sql(column, (), settings.TIME_ZONE)
    params.extend(extra)
    return sql


def _as_date(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def gate_statistics(*, date_from: dt.date, date_to: dt.date, campus_id: int | None = None
                    ) -> GateStatistics:
    """Gate statistics for local days ``date_from`` … ``date_to`` on one campus (or all):

    - entries per gate and local hour, entries and exits per local day;
    - **overnight stays**: an entry of a plated vehicle whose next pass of the same plate
      (through any gate, in or out) falls on a later local day than the entry, or which has
      no later pass while today is a later day. It is counted once, on the entry's local day:
      a car inside for three nights is one overnight stay;
    - **entries without a valid permit**: per local day, the distinct plates that entered
      that day while no registered vehicle with that plate had an active permit valid on that
      day (``valid_from <= day <= valid_until``); no-plate passes are not counted here;
    - vehicles inside now (latest pass an entry).
    """
    start, end = _local_bounds(date_from, date_to)
    gates = list(Gate.objects.select_related("campus").filter(
        **({"campus_id": campus_id} if campus_id else {})).order_by("campus__name", "name"))
    gate_ids = [g.pk for g in gates]
    records = GateRecord.objects.filter(passed_at__gte=start, passed_at__lt=end,
                                        gate_id__in=gate_ids)
    zone = clock.local_zone()
    hourly = {pk: [0] * 24 for pk in gate_ids}
    for row in (records.filter(direction=IN).annotate(hour=ExtractHour("passed_at", tzinfo=zone))
                .values("gate_id", "hour").annotate(n=Count("id"))):
        hourly[row["gate_id"]][row["hour"]] = row["n"]
    by_day = {}
    for row in (records.annotate(day=TruncDate("passed_at", tzinfo=zone)).values("day")
                .annotate(ins=Count("id", filter=Q(direction=IN)),
                          outs=Count("id", filter=~Q(direction=IN)))):
        by_day[row["day"]] = (row["ins"], row["outs"])
    days = [date_from + dt.timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    daily = [(d, *by_day.get(d, (0, 0))) for d in days]
    totals = records.aggregate(entries=Count("id", filter=Q(direction=IN)),
                               no_plate=Count("id", filter=Q(direction=IN, plate="")))
    overnight = _overnight(start, end, gate_ids)
    without = _without_permit(start, end, gate_ids)
    return GateStatistics(
        date_from=date_from, date_to=date_to, gates=gates, hourly=hourly, daily=daily,
        overnight=[(d, overnight.get(d, 0)) for d in days],
        without_permit=[(d, without.get(d, 0)) for d in days],
        entries=totals["entries"], no_plate_entries=totals["no_plate"],
        inside_now=cached_figures()["inside_now"])


def _in_list(ids: list[int]) -> str:
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def _overnight(start: dt.datetime, end: dt.datetime, gate_ids: list[int]) -> dict[dt.date, int]:
    table = GateRecord._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    params: list = []
    entry_day = _date_sql("w.passed_at", params)
    next_day = _date_sql("w.next_at", params)
    params += [adapt(start), adapt(end), connection.ops.adapt_datefield_value(clock.local_today())]
    sql = f"""
        SELECT s.entry_day, COUNT(*) FROM (
            SELECT {entry_day} AS entry_day, {next_day} AS next_day, w.next_at
            FROM (
                SELECT passed_at, direction, gate_id,
                       LEAD(passed_at) OVER (PARTITION BY plate ORDER BY passed_at, id) AS next_at
                FROM {table} WHERE plate <> '' AND passed_at >= %s
            ) w
            WHERE w.direction = 'in' AND w.passed_at < %s AND w.gate_id IN ({_in_list(gate_ids)})
        ) s
        WHERE s.next_day > s.entry_day OR (s.next_at IS NULL AND s.entry_day < %s)
        GROUP BY s.entry_day"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {_as_date(day): count for day, count in cursor.fetchall()}


def _without_permit(start: dt.datetime, end: dt.datetime,
                    gate_ids: list[int]) -> dict[dt.date, int]:
    table = GateRecord._meta.db_table
    permits, vehicles = Permit._meta.db_table, Vehicle._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    params: list = []
    day = _date_sql("r.passed_at", params)
    params += [adapt(start), adapt(end)]
    sql = f"""
        SELECT e.day, COUNT(*) FROM (
            SELECT DISTINCT {day} AS day, r.plate
            FROM {table} r
            WHERE r.direction = 'in' AND r.plate <> '' AND r.passed_at >= %s
              AND r.passed_at < %s AND r.gate_id IN ({_in_list(gate_ids)})
        ) e
        WHERE NOT EXISTS (
            SELECT 1 FROM {permits} p JOIN {vehicles} v ON v.id = p.vehicle_id
            WHERE v.plate = e.plate AND p.state = 'active'
              AND p.valid_from <= e.day AND p.valid_until >= e.day)
        GROUP BY e.day"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {_as_date(day): count for day, count in cursor.fetchall()}


def entries_without_permit(*, day: dt.date, campus_id: int | None = None,
                           limit: int = 50) -> list[tuple[str, dt.datetime]]:
    """``(plate, first entry that day)`` of the vehicles that entered on local ``day``
    without a valid permit, first entries first (at most ``limit``)."""
    start, end = _local_bounds(day, day)
    valid = Permit.objects.filter(state=Permit.State.ACTIVE, valid_from__lte=day,
                                  valid_until__gte=day).values("vehicle__plate")
    rows = (GateRecord.objects.filter(direction=IN, passed_at__gte=start, passed_at__lt=end)
            .exclude(plate="").exclude(plate__in=valid))
    if campus_id:
        rows = rows.filter(gate__campus_id=campus_id)
    from django.db.models import Min

    return [(r["plate"], r["first"]) for r in rows.values("plate").annotate(
        first=Min("passed_at")).order_by("first")[:limit]]
