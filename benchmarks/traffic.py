#!/usr/bin/env python
"""Benchmark the plate lookup of the gate over 100,000 registered vehicles.

Usage (from the repository root; ``make bench`` runs the first line)::

    .venv/bin/python benchmarks/traffic.py                  # PostgreSQL if DATABASE_URL says so
    .venv/bin/python benchmarks/traffic.py --backend both
    .venv/bin/python benchmarks/traffic.py --backend sqlite --vehicles 20000 --no-doc
    .venv/bin/python benchmarks/traffic.py --backend postgres --keep

Each backend gets a database of its own (``var/bench/traffic.sqlite3``; PostgreSQL database
``safecampus_bench_traffic`` on the server of ``BENCH_PG_URL``), migrated and filled in a
child process: the organisation of ``benchmarks/generate.py``, then ``--vehicles`` vehicles
(100,000 by default; 70 % ordinary plates, 20 % new-energy plates, 10 % e-bikes with only a
campus tag), four in five with a permit (a fifth of those expired), written with
``bulk_create``.

Timed, as a guard: :func:`safecampus.traffic.selectors.vehicles.vehicle_lookup` with a
different query per call (an exact plate typed in lower case with a separator, five digits
of a plate, an office letter and three digits, a province and office letter, an owner's name
of three and one of two characters), and the lookup page's htmx answer
(``/traffic/vehicles/lookup/?q=…``) for an exact and a partial plate. Target: p95 ≤ 20 ms
for the selector. Medians, p95, and SQL counts are printed and written between the markers
in ``docs/benchmarks.md`` (unless ``--no-doc``).
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
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
    print_run,
    reuse_or_recreate,
    run_child,
    run_header,
    server_version,
    summary,
    timed,
    write_results,
)

SQLITE_PATH = BENCH_VAR / "traffic.sqlite3"
PG_DB = "safecampus_bench_traffic"
BEGIN = "<!-- bench-traffic:begin (written by benchmarks/traffic.py) -->"
END = "<!-- bench-traffic:end -->"
SEED = 20260520
DEFAULT_VEHICLES = 100_000
TARGET_MS = 20.0
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def _plates(rng: random.Random, count: int):
    from safecampus.traffic.plates import DIGITS, LETTERS, PROVINCES, SMALL_ENERGY

    seen = set()
    while len(seen) < count:
        province = rng.choice(PROVINCES[:12])  # a campus sees mostly nearby provinces
        office = rng.choice(LETTERS[:8])
        if rng.random() < 0.78:
            tail = "".join(rng.choice(DIGITS if rng.random() < 0.8 else LETTERS)
                           for _ in range(5))
            plate = f"{province}{office}{tail}"
        else:
            plate = (f"{province}{office}{rng.choice(SMALL_ENERGY)}{rng.choice(DIGITS)}"
                     + "".join(rng.choice(DIGITS) for _ in range(4)))
        if plate not in seen:
            seen.add(plate)
            yield plate


def generate(count: int, log) -> dict:
    from django.db import transaction

    from benchmarks.generate import build_organisation
    from safecampus.core import clock
    from safecampus.organisation.models import Unit
    from safecampus.traffic.models import Permit, Vehicle

    rng = random.Random(SEED)
    started = time.perf_counter()
    with transaction.atomic():
        build_organisation(rng)
    units = list(Unit.objects.values_list("pk", flat=True))
    bikes = count // 10
    plates = _plates(rng, count - bikes)
    kinds = list(Vehicle.OwnerKind.values)
    rows = []
    for i in range(count):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 2 else "")
        common = {"owner_name": name, "owner_kind": rng.choice(kinds),
                  "owner_phone": f"13{rng.randrange(10**9):09d}",
                  "unit_id": rng.choice(units) if units else None}
        if i < bikes:
            rows.append(Vehicle(kind=Vehicle.Kind.EBIKE, tag_number=f"DC{i:06d}", **common))
        else:
            plate = next(plates)
            rows.append(Vehicle(plate=plate, plate_kind="ordinary" if len(plate) == 7
                                else "new_energy", kind=Vehicle.Kind.CAR, **common))
    Vehicle.objects.bulk_create(rows, batch_size=5000)
    today = clock.local_today()
    permits = []
    for pk in Vehicle.objects.values_list("pk", flat=True):
        if rng.random() < 0.8:
            expired = rng.random() < 0.2
            end = today - dt.timedelta(days=rng.randrange(1, 300)) if expired \
                else today + dt.timedelta(days=rng.randrange(1, 365))
            permits.append(Permit(vehicle_id=pk, valid_from=end - dt.timedelta(days=364),
                                  valid_until=end))
    Permit.objects.bulk_create(permits, batch_size=5000)
    seconds = time.perf_counter() - started
    log(f"{count:,} vehicles, {len(permits):,} permits in {seconds:.0f} s")
    return {"vehicles": count, "permits": len(permits), "seconds": seconds}


def _queries(rng: random.Random, plates: list[str], names: list[str], n: int) -> dict:
    """``n`` different queries of each kind, built from registered plates and names."""
    def pick(fn):
        return [fn(rng.choice(plates)) for _ in range(n)]

    return {
        "exact plate (typed 'jing a·12345')": pick(lambda p: f"{p[:2].lower()}·{p[2:].lower()}"),
        "five digits of a plate ('12345')": pick(lambda p: p[-5:]),
        "office letter and three digits ('a123')": pick(lambda p: p[1:5].lower()),
        "province and office letter ('京A')": pick(lambda p: p[:2]),
        "owner's name of 3 characters": [rng.choice([m for m in names if len(m) >= 3])
                                         for _ in range(n)],
        "owner's name of 2 characters": [rng.choice([m for m in names if len(m) == 2])
                                         for _ in range(n)],
    }


def child(args) -> dict:
    reuse = prepare_environment(args.backend, sqlite_path=SQLITE_PATH, pg_db=PG_DB,
                                keep=args.keep)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from benchmarks.generate import analyze
    from safecampus.accounts.models import User
    from safecampus.traffic.models import Vehicle
    from safecampus.traffic.selectors.vehicles import vehicle_lookup

    def log(message: str) -> None:
        print(f"[traffic {args.backend}] {message}", file=sys.stderr, flush=True)

    call_command("migrate", interactive=False, verbosity=0)
    generation = None
    reuse = reuse_or_recreate(args.backend, reuse,
                              lambda: Vehicle.objects.count() == args.vehicles, log,
                              sqlite_path=SQLITE_PATH, pg_db=PG_DB)
    if not reuse:
        generation = generate(args.vehicles, log)
    analyze()
    guard = User.objects.filter(username__startswith="guard_").order_by("pk").first()
    rng = random.Random(SEED + 1)
    plates = list(Vehicle.objects.exclude(plate="").values_list("plate", flat=True)[:50_000])
    names = list(Vehicle.objects.values_list("owner_name", flat=True)[:5_000])
    results = []
    for name, queries in _queries(rng, plates, names, args.repeat).items():
        it = iter(queries)
        found = []
        times, cpu = timed(lambda it=it, found=found: found.append(
            len(vehicle_lookup(guard, next(it)))), args.repeat)
        with CaptureQueriesContext(connection) as captured:
            vehicle_lookup(guard, queries[0])
        row = {"name": f"selector: {name}", **summary(times, cpu),
               "queries": len(captured), "rows": sum(found) / len(found), "target": True}
        log(f"{row['name']:<58} median {row['median_ms']:6.1f} ms  p95 {row['p95_ms']:6.1f} ms"
            f"  {row['rows']:.1f} rows")
        results.append(row)
    client = Client()
    client.force_login(guard)
    for name, query in (("page (htmx): exact plate", plates[7].lower()),
                        ("page (htmx): five digits", plates[11][-5:])):
        url = f"/traffic/vehicles/lookup/?q={query}"
        for _ in range(3):
            client.get(url, HTTP_HX_REQUEST="true")
        times, cpu = timed(lambda url=url: client.get(url, HTTP_HX_REQUEST="true"), args.repeat)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, HTTP_HX_REQUEST="true")
        row = {"name": name, **summary(times, cpu), "queries": len(captured),
               "status": response.status_code}
        log(f"{row['name']:<58} median {row['median_ms']:6.1f} ms  p95 {row['p95_ms']:6.1f} ms"
            f"  {row['queries']} queries")
        results.append(row)
    return {"backend": args.backend, "server": server_version(), "generation": generation,
            "vehicles": Vehicle.objects.count(), "results": results,
            "load": os.getloadavg()[0]}


def _table(run: dict) -> str:
    lines = ["| lookup | median ms | p95 ms | max ms | SQL | rows |", "|---|---:|---:|---:|---:|---:|"]
    for r in run["results"]:
        rows = f"{r['rows']:.1f}" if "rows" in r else ""
        lines.append(f"| {r['name']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['max_ms']:.1f} | {r['queries']} | {rows} |")
    return "\n".join(lines)


def _verdicts(run: dict) -> list[str]:
    worst = max((r for r in run["results"] if r.get("target")), key=lambda r: r["p95_ms"])
    ok = "met" if worst["p95_ms"] <= TARGET_MS else "NOT met"
    return [f"selector p95 ≤ {TARGET_MS:.0f} ms: {ok} (worst: {worst['name']}, "
            f"{worst['p95_ms']:.1f} ms)"]


def _report(runs: list[dict], command: str) -> str:
    lines = [BEGIN, "### Traffic: plate lookup", "", *run_header(command),
             "Each timed call looks up a different query (built from registered plates and "
             "owner names) as a guard. The selector runs two or three queries: a complete "
             "plate is one lookup in the unique index; a fragment that starts with a province "
             "and is too short for the trigram indexes (or any such fragment on SQLite) first "
             "takes the plates starting with it from an index, which answer alone when there "
             "are 20; otherwise the matches over plate, tag and owner name, ranked exact → "
             "starts with → contains → tag → owner and cut at 20; then their permits. The SQL "
             "column counts the queries of the first lookup of each kind. The page rows are the "
             "htmx answer of the lookup page (session, permission, template).",
             ""]
    for run in runs:
        lines += [f"#### {run['server']} — {run['vehicles']:,} vehicles", ""]
        gen = run.get("generation")
        lines.append(f"Generated {gen['vehicles']:,} vehicles and {gen['permits']:,} permits in "
                     f"{gen['seconds']:.0f} s." if gen else "Reused a database generated earlier "
                     "(`--keep`).")
        lines.append(f"Load average at the end {run['load']:.1f}.")
        lines += ["", _table(run), ""] + [f"- {v}" for v in _verdicts(run)] + [""]
    lines.append(END)
    return "\n".join(lines)


def parent(args) -> None:
    runs = []
    for backend in available_backends(backends_for(args.backend)):
        options = ["--backend", backend, "--vehicles", str(args.vehicles), "--repeat",
                   str(args.repeat)] + (["--keep"] if args.keep else [])
        run = run_child(__file__, options)
        runs.append(run)
        print_run(f"{run['server']}, {run['vehicles']:,} vehicles", _table(run), _verdicts(run))
    if not args.no_doc:
        write_results(_report(runs, command_line(__file__)), BEGIN, END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["auto", "sqlite", "postgres", "both"],
                        default="auto", help="auto: PostgreSQL when DATABASE_URL points at it")
    parser.add_argument("--vehicles", type=int, default=DEFAULT_VEHICLES)
    parser.add_argument("--repeat", type=int, default=200, help="timed calls per query kind")
    add_run_arguments(parser)
    child_or_parent(parser.parse_args(), child, parent)


if __name__ == "__main__":
    main()
