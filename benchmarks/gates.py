#!/usr/bin/env python
"""Benchmark gate records: importing 1 million camera rows, and long-stay detection over 10
million records.

Usage (from the repository root; ``make bench`` runs the first line)::

    .venv/bin/python benchmarks/gates.py                      # both backends (PG if it answers)
    .venv/bin/python benchmarks/gates.py --backend postgres --rows 200000 --records 2000000
    .venv/bin/python benchmarks/gates.py --backend sqlite --no-doc

The camera file (``var/bench/gates_<rows>.csv``) is generated once, deterministically: 60 days
of a campus with six gates, 6,000 commuters (in around 7–9, out around 17–20 on working days,
one in twenty staying the night), visitors (one visit, in and out within hours, 1 % without a
plate) and a few vehicles that came in and never left; rows in time order per day, Chinese
headers, UTF-8 with BOM, ``2026-11-30 07:58:12`` times.

Each backend runs in a child process with a database of its own (``var/bench/gates.sqlite3``;
PostgreSQL database ``safecampus_bench_gates`` on ``BENCH_PG_URL``):

1. **Import** of the file through the service (:func:`gate_import_upload` then
   :func:`gate_import_run`: both passes, COPY on PostgreSQL, executemany on SQLite): rows/s,
   and the child's peak RSS (``ru_maxrss``) before and after, since the import must stream.
   On PostgreSQL, beside it: PostgreSQL's own ``COPY … FROM STDIN (FORMAT csv)`` of the same
   file into a scratch table with text columns (no checks, no indexes) — the floor.
2. **Long-stay detection** (:func:`long_stay_candidates`, 30 days) over the imported records,
   beside one hand-written SQL query (``DISTINCT ON`` on PostgreSQL, ``NOT EXISTS`` on SQLite)
   computing the same set; both must agree.
3. PostgreSQL only: ``--records`` (10 million) records generated in the database
   (``generate_series``; 100,000 plates with 100 alternating passes each, some stopping on an
   entry long ago or lately), then the detection timed beside the hand-written query again,
   and both sets compared.

Results are printed and written between the markers in ``docs/benchmarks.md`` (unless
``--no-doc``).
"""

import argparse
import csv
import datetime as dt
import os
import random
import resource
import statistics
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402 - the repository root must be importable first
    BENCH_VAR,
    add_run_arguments,
    available_backends,
    backends_for,
    child_or_parent,
    command_line,
    prepare_environment,
    run_child,
    run_header,
    server_version,
    write_results,
)

SQLITE_PATH = BENCH_VAR / "gates.sqlite3"
PG_DB = "safecampus_bench_gates"
BEGIN = "<!-- bench-gates:begin (written by benchmarks/gates.py) -->"
END = "<!-- bench-gates:end -->"
SEED = 20261130
GATES = [("N1", "北门", 0), ("N2", "北门车行道", 0), ("E1", "东门", 0), ("S1", "南门", 1),
         ("S2", "南门车行道", 1), ("W1", "西门", 2)]
#: "Now" of the benchmark (the file ends the day before), so runs are comparable.
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
LOCAL = dt.timezone(dt.timedelta(hours=8))


def _plates(rng: random.Random, count: int) -> list[str]:
    provinces = "陕京豫川甘晋宁青渝鄂"
    letters = "ABCDEFGHJK"
    seen: set[str] = set()
    while len(seen) < count:
        plate = rng.choice(provinces) + rng.choice(letters) + "".join(
            rng.choice("0123456789" if rng.random() < 0.85 else "ABCDEFGHJKLMN")
            for _ in range(5))
        seen.add(plate)
    return sorted(seen)


def write_file(path: Path, rows: int) -> None:
    """The camera file of ``rows`` data rows (see the module's docstring)."""
    rng = random.Random(SEED)
    commuters = _plates(rng, 6000)
    visitors = iter(_plates(random.Random(SEED + 1), 400_000))
    start = (NOW.astimezone(LOCAL) - dt.timedelta(days=60)).date()
    written = 0
    inside_overnight: set[str] = set()
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["车牌号码", "通道", "方向", "通行时间", "车辆类型", "车牌颜色"])
        # a few vehicles that came in on the first day and never left
        day_rows = [(dt.datetime.combine(start, dt.time(9, i)), f"陕A9{i:04d}", "N1", "入场")
                    for i in range(8)]
        day = start
        while written < rows:
            base = dt.datetime.combine(day, dt.time())
            workday = day.weekday() < 5
            for plate in commuters:
                if not workday and rng.random() > 0.15:
                    continue
                gate = GATES[zlib.crc32(plate.encode()) % len(GATES)][0]
                if plate not in inside_overnight:
                    day_rows.append((base + dt.timedelta(minutes=rng.randrange(420, 540),
                                                         seconds=rng.randrange(60)),
                                     plate, gate, "入场"))
                if rng.random() < 0.05:
                    inside_overnight.add(plate)
                    continue
                inside_overnight.discard(plate)
                day_rows.append((base + dt.timedelta(minutes=rng.randrange(1020, 1200),
                                                     seconds=rng.randrange(60)), plate, gate,
                                 "出场"))
            for _ in range(rng.randrange(8000, 10000)):
                plate = "无牌车" if rng.random() < 0.01 else next(visitors, "陕A00000")
                gate = rng.choice(GATES)[0]
                come = base + dt.timedelta(minutes=rng.randrange(360, 1320),
                                           seconds=rng.randrange(60))
                day_rows.append((come, plate, gate, "入场"))
                day_rows.append((come + dt.timedelta(minutes=rng.randrange(10, 240)), plate,
                                 gate, "出场"))
            day_rows.sort()
            for moment, plate, gate, direction in day_rows:
                if written >= rows:
                    break
                out.writerow([plate, gate, direction, moment.strftime("%Y-%m-%d %H:%M:%S"),
                              "小型车", "蓝" if len(plate) == 7 else "绿"])
                written += 1
            day_rows = []
            day += dt.timedelta(days=1)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(call, repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return times, result


#: The candidates before the case filter: the nightly detection also passes
#: ``exclude_handled=True``, which adds a ``NOT EXISTS`` on the cases (by plate, indexed) per
#: candidate; with no cases in the benchmark's database it leaves the same set, so the
#: comparison below is of the candidates themselves.
HAND_PG = """
    SELECT id, plate FROM (
        SELECT DISTINCT ON (plate) id, plate, direction, passed_at FROM traffic_gaterecord
        WHERE plate <> '' ORDER BY plate, passed_at DESC, id DESC
    ) t WHERE direction = 'in' AND passed_at < %s"""
HAND_SQLITE = """
    SELECT r.id, r.plate FROM traffic_gaterecord r
    WHERE r.direction = 'in' AND r.plate <> '' AND r.passed_at < %s AND NOT EXISTS (
        SELECT 1 FROM traffic_gaterecord l WHERE l.plate = r.plate
          AND (l.passed_at > r.passed_at OR (l.passed_at = r.passed_at AND l.id > r.id)))"""


def detection(repeat: int, log) -> dict:
    """Time the selector beside the hand-written query; both must give the same set."""
    from django.db import connection

    from safecampus.traffic.selectors import gates as selectors
    from safecampus.traffic.selectors.gates import last_pass_strategy, long_stay_candidates

    strategy = last_pass_strategy()
    if connection.vendor == "postgresql":
        log(f"planner's estimate: {selectors._pg_passes_per_plate()} passes per plate")
    cutoff = NOW - dt.timedelta(days=30)
    ours_times, ours = _timed(lambda: long_stay_candidates(days=30, at=NOW), repeat)
    sql = HAND_PG if connection.vendor == "postgresql" else HAND_SQLITE

    def hand():
        with connection.cursor() as cursor:
            cursor.execute(sql, [connection.ops.adapt_datetimefield_value(cutoff)])
            return cursor.fetchall()

    hand_times, theirs = _timed(hand, repeat)
    same = {(c.record_id, c.plate) for c in ours} == set(theirs)
    log(f"detection ({strategy}): {len(ours)} candidates, selector "
        f"{statistics.median(ours_times):.2f} s, "
        f"hand-written {statistics.median(hand_times):.2f} s, same set: {same}")
    if not same:
        raise SystemExit("long-stay detection and the hand-written query disagree")
    return {"strategy": strategy, "candidates": len(ours), "selector_s": statistics.median(ours_times),
            "hand_s": statistics.median(hand_times), "samples": repeat, "same": same}


def generate_records(total: int, log) -> dict:
    """``total`` gate records straight into PostgreSQL (indexes dropped and rebuilt)."""
    from django.db import connection

    from safecampus.traffic.models import Gate, GateImport

    plates = 100_000
    per_plate = max(2, total // plates)
    gate_ids = list(Gate.objects.values_list("pk", flat=True))
    job = GateImport.objects.create(original_name="generated", digest="g" * 64,
                                    state=GateImport.State.IMPORTED)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM traffic_gaterecord")
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = "
                       "'traffic_gaterecord' AND indexname <> 'traffic_gaterecord_pkey'")
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        # plate p (0 … plates-1) passes k = 0 … per_plate-1 times, in on even k, out on odd,
        # every 3.6 days from a year ago. Plates p % 500 = 0 stop after k = 78 (an entry
        # ~84 days ago: candidates); p % 700 = 0 stop after k = 96 (an entry ~19 days ago:
        # not yet); every 97th plate is a no-plate pass (ignored).
        cursor.execute(f"""
            INSERT INTO traffic_gaterecord (gate_id, plate, direction, passed_at, batch_id)
            SELECT (ARRAY{gate_ids})[1 + (p %% {len(gate_ids)})],
                   CASE WHEN p %% 97 = 0 THEN '' ELSE '陕A' || lpad(p::text, 5, '0') END,
                   CASE WHEN k %% 2 = 0 THEN 'in' ELSE 'out' END,
                   %s::timestamptz - interval '365 days' + k * interval '3.6 days'
                       + (p %% 1000) * interval '1 minute',
                   %s
            FROM generate_series(0, {plates - 1}) AS p, generate_series(0, {per_plate - 1}) AS k
            WHERE NOT (p %% 500 = 0 AND k > 78) AND NOT (p %% 700 = 0 AND k > 96)""",
                       [NOW, job.pk])
        inserted = cursor.rowcount
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("VACUUM ANALYZE traffic_gaterecord")
    seconds = time.perf_counter() - started
    log(f"{inserted:,} records generated in {seconds:.0f} s")
    return {"records": inserted, "seconds": seconds}


def copy_floor(path: Path) -> float:
    """Seconds for PostgreSQL's own COPY of the file into a scratch table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_gate_scratch")
        cursor.execute("CREATE TABLE bench_gate_scratch (plate text, gate text, direction text,"
                       " passed_at text, kind text, colour text)")
        started = time.perf_counter()
        with cursor.cursor.copy("COPY bench_gate_scratch FROM STDIN (FORMAT csv, HEADER true)"
                                ) as copy, path.open("rb") as handle:
            handle.read(3)  # the BOM: COPY does not skip it
            while chunk := handle.read(1024 * 1024):
                copy.write(chunk)
        seconds = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_gate_scratch")
        count = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_gate_scratch")
    return seconds, count


def child(args) -> dict:
    prepare_environment(args.backend, sqlite_path=SQLITE_PATH, pg_db=PG_DB, keep=False)
    import django

    django.setup()
    from django.core.files import File
    from django.core.management import call_command

    from benchmarks.generate import analyze, build_organisation
    from safecampus.accounts.models import User
    from safecampus.core import clock
    from safecampus.organisation.models import Campus
    from safecampus.traffic.models import Gate, GateRecord
    from safecampus.traffic.services import gates as services

    def log(message: str) -> None:
        print(f"[gates {args.backend}] {message}", file=sys.stderr, flush=True)

    call_command("migrate", interactive=False, verbosity=0)
    build_organisation(random.Random(SEED))
    campuses = list(Campus.objects.order_by("sort_order"))
    office = User.objects.get(username="office_staff0")
    for code, name, campus in GATES:
        services.gate_create(actor=office, campus_id=campuses[campus % len(campuses)].pk,
                             name=name, code=code)
    path = Path(args.file)
    result = {"backend": args.backend, "server": server_version(), "rows": args.rows,
              "file_mb": path.stat().st_size / 1024 / 1024}
    rss_before = _rss_mb()
    with clock.frozen(NOW):
        started, started_cpu = time.perf_counter(), time.process_time()
        with path.open("rb") as handle:
            job = services.gate_import_upload(actor=office, uploaded_file=File(handle,
                                                                              name=path.name))
        # the upload runs the job when it commits (huey is immediate here); run() is then a
        # no-op that returns the finished job
        job = services.gate_import_run(import_id=job.pk)
        finished, cpu = time.perf_counter(), time.process_time() - started_cpu
    if job.state != "imported":
        raise SystemExit(f"import {job.state}: {job.errors[:3]}")
    result.update(import_state=job.state, imported=job.imported_count,
                  import_s=finished - started, import_cpu_s=cpu,
                  rows_per_s=job.imported_count / (finished - started),
                  rss_before_mb=rss_before, rss_peak_mb=_rss_mb())
    log(f"imported {job.imported_count:,} rows in {finished - started:.1f} s "
        f"({result['rows_per_s']:,.0f} rows/s, storing the upload included; {cpu:.1f} s CPU in "
        f"Python); "
        f"peak RSS {result['rss_peak_mb']:.0f} MB (before {rss_before:.0f} MB)")
    if args.backend == "postgres":
        seconds, count = copy_floor(path)
        result.update(copy_s=seconds, copy_rows=count, copy_rows_per_s=count / seconds)
        log(f"PostgreSQL COPY of the same file: {seconds:.1f} s ({count / seconds:,.0f} rows/s)")
    analyze()
    result["detect_import"] = detection(args.repeat, log)
    result["detect_import"]["records"] = GateRecord.objects.count()
    if args.backend == "postgres" and args.records:
        result["generation"] = generate_records(args.records, log)
        result["detect_big"] = detection(args.repeat, log)
        result["detect_big"]["records"] = result["generation"]["records"]
    result["gates"] = Gate.objects.count()
    result["load"] = os.getloadavg()[0]
    return result


def _lines(run: dict) -> list[str]:
    lines = [f"#### {run['server']}", "",
             "| step | seconds | rows/s | note |", "|---|---:|---:|---|",
             f"| import {run['imported']:,} rows (both passes, through the service) | "
             f"{run['import_s']:.1f} | {run['rows_per_s']:,.0f} | peak RSS "
             f"{run['rss_peak_mb']:.0f} MB (before the import {run['rss_before_mb']:.0f} MB); "
             f"{run['file_mb']:.0f} MB file, storing the upload included; "
             f"{run.get('import_cpu_s', 0):.0f} s of it CPU in this process |"]
    if "copy_s" in run:
        lines.append(f"| PostgreSQL `COPY` of the same file into a text table | "
                     f"{run['copy_s']:.1f} | {run['copy_rows_per_s']:,.0f} | no checks, no "
                     f"indexes: the floor |")
    for key, label in (("detect_import", "imported records"),
                       ("detect_big", "generated records")):
        d = run.get(key)
        if d:
            lines.append(f"| long-stay detection over {d['records']:,} {label} | "
                         f"{d['selector_s']:.2f} | | {d['candidates']} candidates; strategy "
                         f"{d.get('strategy', '?')}; median of {d['samples']} |")
            lines.append(f"| hand-written SQL, same set ({'yes' if d['same'] else 'NO'}) | "
                         f"{d['hand_s']:.2f} | | |")
    gen = run.get("generation")
    if gen:
        lines += ["", f"{gen['records']:,} records generated with `generate_series` in "
                      f"{gen['seconds']:.0f} s (indexes rebuilt after)."]
    lines += ["", f"Load average at the end {run['load']:.1f}.", ""]
    return lines


def _report(runs: list[dict], command: str) -> str:
    lines = [BEGIN, "### Traffic: gate records", "", *run_header(command),
             "The import is the whole job: pass 1 reads and checks every row, pass 2 reads "
             "the file again and writes it in one transaction (COPY on PostgreSQL). Detection "
             "is `long_stay_candidates(days=30)`: on PostgreSQL a skip scan over the plate index "
             "when the planner estimates many passes per plate, else one `DISTINCT ON` scan "
             "(the strategy column); `ROW_NUMBER()` on SQLite. The hand-written query is "
             "`DISTINCT ON` on PostgreSQL and `NOT EXISTS` on SQLite. Peak RSS is the child "
             "process's `ru_maxrss` (it also ran migrate and built the organisation).", ""]
    for run in runs:
        lines += _lines(run)
    lines.append(END)
    return "\n".join(lines)


def parent(args) -> None:
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    path = BENCH_VAR / f"gates_{args.rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        write_file(path, args.rows)
        print(f"wrote {path.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    runs = []
    for backend in available_backends(backends_for(args.backend)):
        options = ["--backend", backend, "--rows", str(args.rows), "--records",
                   str(args.records), "--repeat", str(args.repeat), "--file", str(path)]
        run = run_child(__file__, options)
        runs.append(run)
        print("\n".join(_lines(run)))
    if not args.no_doc:
        write_results(_report(runs, command_line(__file__)), BEGIN, END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the camera file")
    parser.add_argument("--records", type=int, default=10_000_000,
                        help="records generated for the detection on PostgreSQL (0: none)")
    parser.add_argument("--repeat", type=int, default=3, help="timed detection runs")
    add_run_arguments(parser, keep=False)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    child_or_parent(parser.parse_args(), child, parent)


if __name__ == "__main__":
    main()
