#!/usr/bin/env python
"""Benchmark the monthly patrol completion report over a year of scans, and scan uploads.

Usage (from the repository root; ``make bench`` runs the first line)::

    .venv/bin/python benchmarks/patrols.py                    # PostgreSQL if DATABASE_URL says so
    .venv/bin/python benchmarks/patrols.py --backend both --scans 2000000
    .venv/bin/python benchmarks/patrols.py --backend sqlite --scans 200000 --no-doc
    .venv/bin/python benchmarks/patrols.py --backend postgres --keep

The backend: ``--backend auto`` (default) measures PostgreSQL when ``DATABASE_URL`` points at
PostgreSQL, else SQLite; ``both`` measures both. Each backend gets a database of its own
(``var/bench/patrols.sqlite3``; PostgreSQL database ``safecampus_bench_patrols`` on the
server of ``BENCH_PG_URL``), migrated and filled in a child process:

- the organisation of ``benchmarks/generate.py``;
- routes of 10 checkpoints, each walked every night of the last 365 local days by a night
  shift (22:00–06:00, 8 hourly rounds, 30-minute windows, two guards and a shift leader);
  as many routes as make about ``--scans`` scans (2,000,000 by default: 70 routes, 204,400
  rounds);
- per expected checkpoint: on time 93 %, late 2.5 %, missed 4.5 %; 1 % of rounds never
  started; repeat scans on top; 1.5 % of scans flagged (far from the checkpoint).
  The rounds' counters, states and guards are exactly what the services would leave for
  these scans (the report reads only the counters). Rows are written with PostgreSQL
  ``COPY`` / SQLite ``executemany``, not through the services.

Then it times, through ``django.test.Client`` as an office administrator, the report page
for last calendar month (all routes; the target: ≤ 1 s on PostgreSQL), the same page
filtered to one campus and to one route, this month's page (the default), and the per-route
selector alone; ``--warmup`` untimed, then ``--repeat`` timed requests each, one more under
``CaptureQueriesContext`` for the SQL count. Finally it uploads ``--uploads`` scans (5,000
by default) through ``POST /api/v1/patrols/scans/bulk/`` with token authentication, in
batches of 50, with real signed QR codes of routes whose rounds are running now, and reports
scans per second; then replays 20 of those batches (every scan a duplicate).

Results are printed and written between the markers in ``docs/benchmarks.md`` (unless
``--no-doc``).
"""

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402 - the repository root must be importable first
    BENCH_VAR,
    add_run_arguments,
    available_backends,
    backends_for,
    child_or_parent,
    command_line,
    percentile,
    prepare_environment,
    print_run,
    reuse_or_recreate,
    run_child,
    run_header,
    server_version,
    summary,
    time_page,
    timed,
    write_results,
)

SQLITE_PATH = BENCH_VAR / "patrols.sqlite3"
PG_DB = "safecampus_bench_patrols"
BEGIN = "<!-- bench-patrols:begin (written by benchmarks/patrols.py) -->"
END = "<!-- bench-patrols:end -->"
SEED = 20261130
DEFAULT_SCANS = 2_000_000
NIGHTS = 365
CHECKPOINTS = 10
ROUNDS = 8
WINDOW_MINUTES = 30
P_ON_TIME, P_LATE = 0.93, 0.025  # the rest of the expected checkpoints are missed
P_NOT_STARTED = 0.01
P_REPEAT = 0.02
P_FLAGGED = 0.015
BATCH = 50
REPLAY_BATCHES = 20
REPORT_SECONDS = 1.0
BASE_LAT, BASE_LON = 30.76, 103.98


# ---------------------------------------------------------------------------------------------
# Child: one backend.
# ---------------------------------------------------------------------------------------------
def _prepare_environment(backend: str, keep: bool) -> bool:
    """Point Django at this benchmark's database; True when an existing one may be reused."""
    return prepare_environment(backend, sqlite_path=SQLITE_PATH, pg_db=PG_DB, keep=keep)


def routes_for(scans: int) -> int:
    """How many routes make about ``scans`` scans over :data:`NIGHTS` nights."""
    per_route = NIGHTS * ROUNDS * CHECKPOINTS * (1 - P_NOT_STARTED) * (P_ON_TIME + P_LATE)
    return max(1, round(scans / (per_route * (1 + P_REPEAT))))


def _insert(model, fields: list[str], rows) -> int:
    """Write ``rows`` into ``model``'s table: ``COPY`` on PostgreSQL; on SQLite one
    ``executemany`` per 20,000 rows of values already in SQLite's storage format."""
    from django.db import connection

    from benchmarks.generate import insert_rows

    if connection.vendor == "postgresql":
        return insert_rows(model, fields, rows)
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name).column for name in fields]
    statement = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(meta.db_table), ", ".join(map(quote, columns)), ", ".join(["%s"] * len(columns)))
    count, batch = 0, []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) >= 20_000:
                cursor.executemany(statement, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(statement, batch)
            count += len(batch)
    return count


def _reset_sequences(*models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)


def generate(scan_target: int, log) -> dict:
    """Fill an empty, migrated database; returns counts and the seconds each step took."""
    from django.db import connection, transaction

    from benchmarks.generate import build_organisation
    from safecampus.accounts.models import User
    from safecampus.core import clock
    from safecampus.organisation.models import Place
    from safecampus.patrols.models import (
        Checkpoint,
        CheckpointScan,
        PatrolRound,
        PatrolRoute,
        PatrolSchedule,
        PatrolShift,
    )
    from safecampus.patrols.services import patrolling

    pg = connection.vendor == "postgresql"
    rng = random.Random(SEED)
    seconds = {}
    t0 = time.perf_counter()
    with transaction.atomic():
        campuses, *_rest = build_organisation(rng)
    seconds["organisation"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    n_routes = routes_for(scan_target)
    zone = clock.local_zone()
    today = clock.local_today()
    first_night = today - dt.timedelta(days=NIGHTS)
    guards_of = {c.pk: list(User.objects.filter(username__startswith=f"guard_{c.code}")
                            .order_by("pk")) for c in campuses}
    leaders = list(User.objects.filter(username__startswith="office_staff").order_by("pk"))
    places = {c.pk: list(Place.objects.filter(campus=c).select_related("zone").order_by("pk"))
              for c in campuses}
    routes, checkpoints, schedules = [], {}, []
    used_codes: set[str] = set()
    with transaction.atomic():
        for r in range(n_routes):
            campus = campuses[r % len(campuses)]
            spots = places[campus.pk]
            first = spots[(r * CHECKPOINTS) % len(spots)]
            route = PatrolRoute.objects.create(campus=campus, zone=first.zone,
                                               code=f"bench-{r:03d}",
                                               name=f"{campus.name}夜间巡逻{r + 1:03d}号线")
            points = []
            for i in range(CHECKPOINTS):
                code = patrolling.manual_code_new()
                while code in used_codes:
                    code = patrolling.manual_code_new()
                used_codes.add(code)
                points.append(Checkpoint(
                    route=route, place=spots[(r * CHECKPOINTS + i) % len(spots)], sequence=i + 1,
                    latitude=Decimal(f"{BASE_LAT + r * 0.001 + i * 0.0009:.6f}"),
                    longitude=Decimal(f"{BASE_LON:.6f}"), manual_code=code))
            checkpoints[route.pk] = Checkpoint.objects.bulk_create(points)
            guards = guards_of[campus.pk]
            schedule = PatrolSchedule.objects.create(
                route=route, name="夜班", starts_at=dt.time(22, 0), ends_at=dt.time(6, 0),
                rounds=ROUNDS, window_minutes=WINDOW_MINUTES,
                leader=leaders[r % len(leaders)])
            pair = [guards[r % len(guards)], guards[(r + 1) % len(guards)]]
            schedule.guards.set(pair)
            schedule.pair = pair
            routes.append(route)
            schedules.append(schedule)
    seconds["routes"] = time.perf_counter() - t0
    log(f"{n_routes} routes of {CHECKPOINTS} checkpoints, {NIGHTS} nights from {first_night}")

    # Shifts (ids given) and their guards.
    t0 = time.perf_counter()
    now = clock.now()
    utc = dt.UTC
    shift_rows, guard_rows, shift_keys = [], [], []
    shift_id = 0
    for schedule in schedules:
        for d in range(NIGHTS):
            day = first_night + dt.timedelta(days=d)
            start = dt.datetime.combine(day, dt.time(22, 0), tzinfo=zone)
            end = start + dt.timedelta(hours=8)
            shift_id += 1
            shift_rows.append((shift_id, now, now, schedule.pk, schedule.route_id, day,
                               start.astimezone(utc), end.astimezone(utc), schedule.leader_id))
            for guard in schedule.pair:
                guard_rows.append((shift_id, guard.pk))
            shift_keys.append((shift_id, schedule, start))

    def fmt(value):
        """A value as SQLite stores it (naive UTC text for datetimes)."""
        if pg:
            return value
        if isinstance(value, dt.datetime):
            return value.astimezone(utc).replace(tzinfo=None).isoformat(" ")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, uuid.UUID):
            return value.hex
        if isinstance(value, Decimal):
            return str(value)
        return value

    with transaction.atomic():
        _insert(PatrolShift, ["id", "created_at", "updated_at", "schedule", "route",
                              "shift_date", "starts_at", "ends_at", "leader"],
                ([fmt(v) for v in row] for row in shift_rows))
        through = PatrolShift.guards.through
        _insert(through, ["patrolshift", "user"], guard_rows)
    _reset_sequences(PatrolShift)
    seconds["shifts"] = time.perf_counter() - t0

    # Rounds and scans: decide every checkpoint of every round, then write both.
    t0 = time.perf_counter()
    round_rows, scan_rows = [], []
    round_id = 0
    part = dt.timedelta(hours=1)
    window = dt.timedelta(minutes=WINDOW_MINUTES)
    counts = {"on_time": 0, "late": 0, "missed": 0, "repeat": 0, "flagged": 0, "rounds": 0}
    rand = rng.random
    for sid, schedule, start in shift_keys:
        points = checkpoints[schedule.route_id]
        ids = [cp.pk for cp in points]
        for k in range(ROUNDS):
            round_id += 1
            opens = start + part * k
            closes, late_until = opens + window, opens + part * (k + 1)
            never = rand() < P_NOT_STARTED
            guard = None if never else schedule.pair[k % 2]
            on_time = late = flagged = 0
            first_at = last_at = None
            for cp in points:
                if never:
                    continue
                roll = rand()
                if roll < P_ON_TIME:
                    at, timing = opens + dt.timedelta(seconds=rand() * 1680), "on_time"
                    on_time += 1
                elif roll < P_ON_TIME + P_LATE:
                    at, timing = closes + dt.timedelta(seconds=60 + rand() * 1680), "late"
                    late += 1
                else:
                    continue
                timings = [(at, timing)]
                if rand() < P_REPEAT:
                    timings.append((at + dt.timedelta(seconds=30 + rand() * 60), "repeat"))
                for when, kind in timings:
                    far = rand() < P_FLAGGED
                    flags = ["far_from_place"] if far else []
                    lat = cp.latitude + (Decimal("0.01") if far else Decimal("0.00001"))
                    received = when + dt.timedelta(seconds=2 + rand() * 30)
                    scan_rows.append((when, when, cp.pk, round_id, guard.pk, uuid.UUID(
                        int=rng.getrandbits(128), version=4), "qr", when, received, when, kind,
                        lat, cp.longitude, 8, 1100 if far else 1,
                        json.dumps(flags) if pg else flags, far, ""))
                    flagged += far
                    counts[kind] += 1
                    counts["flagged"] += far
                first_at = at if first_at is None or at < first_at else first_at
                last_at = at if last_at is None or at > last_at else last_at
            done = on_time + late
            missed = CHECKPOINTS - done
            counts["missed"] += missed
            state = ("completed" if not missed else "incomplete")
            round_rows.append((
                round_id, now, now, sid, schedule.route_id, k + 1, state, opens, closes,
                late_until, guard.pk if guard else None, first_at,
                last_at if state == "completed" else None, "",
                json.dumps(ids) if pg else ids, CHECKPOINTS, on_time, late, missed, flagged,
                closes + dt.timedelta(minutes=5)))
    counts["rounds"] = len(round_rows)
    seconds["decide"] = time.perf_counter() - t0
    log(f"decided {len(round_rows):,} rounds and {len(scan_rows):,} scans in "
        f"{seconds['decide']:.0f} s; writing …")

    t0 = time.perf_counter()
    round_fields = ["id", "created_at", "updated_at", "shift", "route", "sequence", "state",
                    "window_start", "window_end", "late_until", "guard", "started_at",
                    "ended_at", "end_reason", "checkpoint_ids", "checkpoints_expected",
                    "checkpoints_on_time", "checkpoints_late", "checkpoints_missed",
                    "flagged_scans", "swept_at"]
    scan_fields = ["created_at", "updated_at", "checkpoint", "round", "guard", "client_id",
                   "method", "scanned_at", "received_at", "counted_at", "timing", "latitude",
                   "longitude", "accuracy_m", "distance_m", "flags", "is_flagged", "note"]
    with transaction.atomic():
        if pg:
            _insert(PatrolRound, round_fields, round_rows)
        else:
            _insert(PatrolRound, round_fields,
                    ([fmt(v) if not isinstance(v, list) else json.dumps(v) for v in row]
                     for row in round_rows))
    _reset_sequences(PatrolRound)
    seconds["rounds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with transaction.atomic():
        if pg:
            written = _insert(CheckpointScan, scan_fields, scan_rows)
        else:
            written = _insert(CheckpointScan, scan_fields,
                              ([fmt(v) if not isinstance(v, list) else json.dumps(v)
                                for v in row] for row in scan_rows))
    seconds["scans"] = time.perf_counter() - t0
    seconds["total"] = sum(seconds.values())
    log(f"wrote {written:,} scans in {seconds['scans']:.0f} s")
    return {"routes": n_routes, "checkpoints": n_routes * CHECKPOINTS, "shifts": len(shift_rows),
            "scans": written, "first_night": str(first_night), **counts, "seconds": seconds}


def _upload_routes(uploads: int, log) -> list:
    """Routes whose rounds run now (a shift from 3 hours ago to 1 hour ahead, 4 rounds of an
    hour, the window the whole hour), enough for ``uploads`` first scans in rounds 1–3.
    Returns ``[(round, checkpoints)]`` of the rounds already open, and the guard."""
    from safecampus.accounts.models import User
    from safecampus.core import clock
    from safecampus.organisation.models import Campus, Place
    from safecampus.patrols.models import Checkpoint, PatrolRoute, PatrolSchedule
    from safecampus.patrols.services import patrolling

    campus = Campus.objects.order_by("pk").first()
    guard = User.objects.filter(username__startswith=f"guard_{campus.code}").order_by("pk").first()
    places = list(Place.objects.filter(campus=campus).order_by("pk")[:500])
    local_now = clock.now().astimezone(clock.local_zone()).replace(second=0, microsecond=0)
    start = local_now - dt.timedelta(hours=3)
    n_routes = math.ceil(uploads / (3 * CHECKPOINTS))
    slots = []
    existing = PatrolRoute.objects.filter(code__startswith="upload-").count()
    for r in range(n_routes):
        route = PatrolRoute.objects.create(campus=campus, code=f"upload-{existing + r:04d}",
                                           name=f"上传测试{existing + r:04d}")
        points = Checkpoint.objects.bulk_create([
            Checkpoint(route=route, place=places[(r * CHECKPOINTS + i) % len(places)],
                       sequence=i + 1, latitude=Decimal(f"{BASE_LAT + i * 0.0009:.6f}"),
                       longitude=Decimal(f"{BASE_LON:.6f}"),
                       manual_code=patrolling._unique_manual_code())
            for i in range(CHECKPOINTS)])
        schedule = PatrolSchedule.objects.create(
            route=route, name="测试班", starts_at=start.time(),
            ends_at=(start + dt.timedelta(hours=4)).time(), rounds=4, window_minutes=60)
        schedule.guards.set([guard])
        shift = patrolling.shift_plan(schedule=schedule, day=start.date())
        for round_ in shift.rounds.order_by("sequence")[:3]:
            slots.append((round_, points))
    log(f"{n_routes} routes with rounds open now for the upload")
    return slots, guard


def _upload(uploads: int, log) -> dict:
    """Upload ``uploads`` scans in batches of :data:`BATCH` through the API as a guard with a
    token; then replay :data:`REPLAY_BATCHES` batches. Returns the figures."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from safecampus.core import clock
    from safecampus.patrols.services import patrolling

    rng = random.Random(SEED + 7)
    slots, guard = _upload_routes(uploads, log)
    now = clock.now()
    items = []
    for round_, points in slots:
        latest = min(round_.window_end, now - dt.timedelta(minutes=1))
        span = max(1.0, (latest - round_.window_start).total_seconds())
        for cp in points:
            at = round_.window_start + dt.timedelta(seconds=rng.random() * span)
            items.append({"code": patrolling.checkpoint_url(cp), "client_id": str(uuid.uuid4()),
                          "scanned_at": at.astimezone(clock.local_zone()).isoformat(),
                          "latitude": float(cp.latitude), "longitude": float(cp.longitude),
                          "accuracy_m": 10, "round_id": round_.pk})
    rng.shuffle(items)
    items = items[:uploads]
    batches = [items[i:i + BATCH] for i in range(0, len(items), BATCH)]
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=guard)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    url = "/api/v1/patrols/scans/bulk/"
    times, created = [], 0
    queries = None
    for n, batch in enumerate(batches):
        start = time.perf_counter()
        if n == 1:
            with CaptureQueriesContext(connection) as captured:
                response = client.post(url, {"scans": batch}, format="json")
            queries = len(captured)
        else:
            response = client.post(url, {"scans": batch}, format="json")
        times.append(time.perf_counter() - start)
        body = response.json()
        if response.status_code != 200 or body["refused"]:
            raise SystemExit(f"upload failed: {response.status_code} {str(body)[:300]}")
        created += body["created"]
    replay_times = []
    for batch in batches[:REPLAY_BATCHES]:
        start = time.perf_counter()
        body = client.post(url, {"scans": batch}, format="json").json()
        replay_times.append(time.perf_counter() - start)
        assert body["duplicate"] == len(batch), body
    total = sum(times)
    result = {"scans": len(items), "created": created, "batches": len(batches),
              "seconds": total, "scans_per_s": len(items) / total,
              "batch_median_ms": statistics.median(times) * 1000,
              "batch_p95_ms": percentile(times, 0.95) * 1000, "batch_queries": queries,
              "replay_scans_per_s": sum(len(b) for b in batches[:REPLAY_BATCHES])
              / sum(replay_times)}
    log(f"uploaded {created:,} scans in {total:.1f} s: {result['scans_per_s']:.0f} scans/s "
        f"(batch of {BATCH}: median {result['batch_median_ms']:.0f} ms, p95 "
        f"{result['batch_p95_ms']:.0f} ms, {queries} queries); replay "
        f"{result['replay_scans_per_s']:.0f} scans/s")
    return result


def _last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def child(args) -> dict:
    reuse = _prepare_environment(args.backend, args.keep)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from benchmarks.generate import analyze
    from safecampus.accounts.models import User
    from safecampus.core import clock
    from safecampus.patrols.models import CheckpointScan, PatrolRound, PatrolRoute
    from safecampus.patrols.selectors import reports

    def log(message: str) -> None:
        print(f"[patrols {args.backend}] {message}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    log(f"migrated in {time.perf_counter() - t0:.1f} s")
    generation = None
    reuse = reuse_or_recreate(args.backend, reuse,
                              PatrolRoute.objects.filter(code="bench-000").exists, log,
                              sqlite_path=SQLITE_PATH, pg_db=PG_DB)
    if not reuse:
        log(f"generating about {args.scans:,} scans over {NIGHTS} nights …")
        generation = generate(args.scans, log)
        log("generated in {total:.0f} s ({steps})".format(
            total=generation["seconds"]["total"],
            steps=", ".join(f"{k} {v:.0f} s" for k, v in generation["seconds"].items()
                            if k != "total")))
    else:
        log("reusing the generated database (--keep)")
    t0 = time.perf_counter()
    analyze()
    log(f"analysed in {time.perf_counter() - t0:.0f} s")

    scans = CheckpointScan.objects.count()
    rounds = PatrolRound.objects.count()
    routes = PatrolRoute.objects.filter(code__startswith="bench-").count()
    month_from, month_to = _last_month(clock.local_today())
    route = PatrolRoute.objects.filter(code="bench-000").first()
    office = User.objects.get(username="office_admin0")
    client = Client()
    client.force_login(office)
    month = {"date_from": month_from.isoformat(), "date_to": month_to.isoformat()}
    scenarios = [
        {"name": f"report page, {month_from:%Y-%m}, all routes", "url": "/patrols/reports/?"
         + urlencode(month), "target": True},
        {"name": f"report page, {month_from:%Y-%m}, one campus", "url": "/patrols/reports/?"
         + urlencode({**month, "campus": route.campus_id})},
        {"name": f"report page, {month_from:%Y-%m}, one route", "url": "/patrols/reports/?"
         + urlencode({**month, "route": route.pk})},
        {"name": f"report page, {month_from:%Y-%m}, missed list page 20", "url":
         "/patrols/reports/?" + urlencode({**month, "missed_page": 20})},
        {"name": "report page, this month (default)", "url": "/patrols/reports/"},
        {"name": f"Excel per route, {month_from:%Y-%m}", "url": "/patrols/reports/export/?"
         + urlencode(month)},
    ]
    results = []
    for scenario in scenarios:
        row, _response = time_page(client, scenario, warmup=args.warmup, repeat=args.repeat,
                                   log=log, width=48)
        results.append(row)
    # The per-route aggregation alone (what the Excel export and the table read).
    filters = reports.ReportFilters(date_from=month_from, date_to=month_to)
    rows = []

    def by_route():
        rows[:] = reports.completion_by_route(filters)

    times, cpu = timed(by_route, args.repeat)
    results.append({"name": f"completion_by_route selector, {month_from:%Y-%m}", "status": 200,
                    **summary(times, cpu), "queries": 1})
    month_rounds = reports.completion_totals(filters)["rounds"]
    log(f"completion_by_route: {len(rows)} routes, {month_rounds:,} rounds, median "
        f"{statistics.median(times):.1f} ms")
    upload = _upload(args.uploads, log) if args.uploads else None
    return {"backend": args.backend, "server": server_version(), "generation": generation,
            "reused": reuse, "scans": scans, "rounds": rounds, "routes": routes,
            "month": [str(month_from), str(month_to)], "month_rounds": month_rounds,
            "results": results, "upload": upload, "load": os.getloadavg()[0]}


# ---------------------------------------------------------------------------------------------
# Parent: run the children, print the tables, write docs/benchmarks.md.
# ---------------------------------------------------------------------------------------------
def _run_child(backend: str, args) -> dict:
    options = ["--backend", backend, "--scans", str(args.scans), "--uploads", str(args.uploads),
               "--repeat", str(args.repeat), "--warmup", str(args.warmup)]
    if args.keep:
        options.append("--keep")
    return run_child(__file__, options)


def _table(run: dict) -> str:
    lines = ["| measured | median ms | p95 ms | max ms | timed | Django CPU ms (median) "
             "| SQL queries |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in run["results"]:
        if r.get("status") != 200:
            lines.append(f"| {r['name']} | HTTP {r['status']} | | | | | |")
            continue
        lines.append(f"| {r['name']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['max_ms']:.1f} | {r['samples']} | {r['cpu_median_ms']:.1f} | "
                     f"{r['queries']} |")
    u = run.get("upload")
    if u:
        lines += ["", "| scan upload (`POST /api/v1/patrols/scans/bulk/`, token) | scans/s | "
                  "batch median ms | batch p95 ms | SQL queries per batch |",
                  "|---|---:|---:|---:|---:|",
                  f"| {u['scans']:,} new scans in {u['batches']} batches of {BATCH} | "
                  f"{u['scans_per_s']:.0f} | {u['batch_median_ms']:.0f} | "
                  f"{u['batch_p95_ms']:.0f} | {u['batch_queries']} |",
                  f"| the same scans again ({REPLAY_BATCHES} batches, all duplicates) | "
                  f"{u['replay_scans_per_s']:.0f} | | | |"]
    return "\n".join(lines)


def _verdicts(run: dict) -> list[str]:
    ok = {True: "met", False: "**missed**"}
    out = []
    target = next((r for r in run["results"] if r.get("target") and r.get("status") == 200), None)
    if target is not None:
        limit = REPORT_SECONDS * 1000
        verdict = ok[target["p95_ms"] <= limit]
        note = "" if target["p95_ms"] <= limit else (
            f", {target['p95_ms'] - limit:.0f} ms over")
        scope = "on PostgreSQL" if run["server"].startswith("PostgreSQL") else (
            "(the target is for PostgreSQL; SQLite shown for comparison)")
        out.append(f"monthly completion report for all {run['routes']} routes ≤ 1 s {scope}: "
                   f"{verdict} (p95 {target['p95_ms']:.0f} ms, median {target['median_ms']:.0f} ms"
                   f"{note})")
    return out


def _report(runs: list[dict], command: str) -> str:
    lines = [BEGIN, *run_header(command)]
    for run in runs:
        gen = run.get("generation")
        lines += [f"#### {run['server']} — {run['scans']:,} scans, {run['rounds']:,} rounds, "
                  f"{run['routes']} routes over {NIGHTS} nights", ""]
        if gen:
            lines.append(
                f"Generated {gen['routes']} routes × {CHECKPOINTS} checkpoints × {ROUNDS} rounds "
                f"× {NIGHTS} nights: {gen['on_time']:,} scans on time, {gen['late']:,} late, "
                f"{gen['repeat']:,} repeats ({gen['flagged']:,} flagged), {gen['missed']:,} "
                f"checkpoints missed, in {gen['seconds']['total']:.0f} s (scans written in "
                f"{gen['seconds']['scans']:.0f} s).")
        else:
            lines.append("Reused a database generated earlier (`--keep`).")
        lines.append(f"Report month {run['month'][0]} – {run['month'][1]}: "
                     f"{run['month_rounds']:,} rounds. Whole run {run['wall_seconds']:.0f} s; "
                     f"load average at the end {run['load']:.1f}.")
        lines += ["", _table(run), ""]
        verdicts = _verdicts(run)
        if verdicts:
            lines += ["Targets:", ""] + [f"- {v}" for v in verdicts] + [""]
    lines.append(END)
    return "\n".join(lines)


def parent(args) -> None:
    backends = available_backends(backends_for(args.backend))
    runs = []
    for backend in backends:
        run = _run_child(backend, args)
        runs.append(run)
        print_run(f"{run['server']}, {run['scans']:,} scans", _table(run), _verdicts(run))
    if not args.no_doc:
        write_results(_report(runs, command_line(__file__)), BEGIN, END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["auto", "sqlite", "postgres", "both"],
                        default="auto", help="auto: PostgreSQL when DATABASE_URL points at it")
    parser.add_argument("--scans", type=int, default=DEFAULT_SCANS,
                        help="about how many scans to generate over the year")
    parser.add_argument("--uploads", type=int, default=5000,
                        help="scans to upload through the API (0: skip)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per page first")
    add_run_arguments(parser)
    child_or_parent(parser.parse_args(), child, parent)


if __name__ == "__main__":
    main()
