#!/usr/bin/env python
"""Benchmark the leadership cockpit (驾驶舱) and the big screen's data fragment with the
benchmark data of every module loaded into one database.

Usage (from the repository root; ``make bench`` runs the first line)::

    .venv/bin/python benchmarks/cockpit.py                   # PostgreSQL if DATABASE_URL says so
    .venv/bin/python benchmarks/cockpit.py --backend both
    .venv/bin/python benchmarks/cockpit.py --backend sqlite --hazards 20000 --no-doc

Each backend gets a database of its own (``var/bench/cockpit.sqlite3``; PostgreSQL database
``safecampus_bench_cockpit`` on the server of ``BENCH_PG_URL``), migrated and filled in a child
process by the modules' own generators, imported and run one after the other on one shared
organisation (``benchmarks/generate.py``'s ``build_organisation`` runs once; the later
generators get its result): the hazards of ``benchmarks/generate.py`` (``--hazards``, 50,000),
the inspections of ``benchmarks/inspections.py`` (its fixed 2,000 places), the patrols of
``benchmarks/patrols.py`` (``--scans``, 200,000 checkpoint scans instead of its 2,000,000, to
keep the load short), the vehicles and permits of ``benchmarks/traffic.py`` (``--vehicles``,
20,000 instead of 100,000), the concerns of ``benchmarks/open311.py`` (``--concerns``, 20,000
instead of 100,000) and the risk points of ``benchmarks/risk_map.py`` (``--points``, 2,000);
then, generated here in bulk and shaped as the services leave them (the modules have no
benchmark generator of their own), traffic violations (``--violations``, 20,000), incidents
(``--incidents``, 5,000) and held education activities reaching one to three colleges
(``--activities``, 2,000), spread over the last 13 months.

Timed as a university leader with Django's test client (session, permission, template):
the cockpit of this month for the whole university and for one campus **cold** (the cache
cleared before each request, so every figure is computed) and **cached**, last quarter cold,
and a wall display's big-screen data fragment (whole-office view) cold and cached.
Targets: cockpit p95 ≤ 300 ms cold and ≤ 50 ms cached. Medians, p95 and SQL counts are
printed and written between the markers in ``docs/benchmarks.md`` (unless ``--no-doc``).
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402 - the repository root must be importable first
    BENCH_VAR,
    add_backend_argument,
    add_run_arguments,
    child_or_parent,
    child_setup,
    run_backends,
    run_header,
    server_version,
    summary,
    timed,
)

SQLITE_PATH = BENCH_VAR / "cockpit.sqlite3"
PG_DB = "safecampus_bench_cockpit"
BEGIN = "<!-- bench-cockpit:begin (written by benchmarks/cockpit.py) -->"
END = "<!-- bench-cockpit:end -->"
COLD_TARGET_MS = 300.0
CACHED_TARGET_MS = 50.0


def generate(args, log) -> dict:
    """Run every module's benchmark generator on one organisation; returns seconds per step."""
    import benchmarks.generate as hazards_bench
    from benchmarks import inspections, open311, patrols, risk_map, traffic

    original = hazards_bench.build_organisation
    built: list = []

    def build_once(rng):
        # The generators each start with the organisation; the first call builds it, the
        # others reuse it (same campuses, units, people), so the modules share one university.
        if not built:
            built.append(original(rng))
        return built[0]

    hazards_bench.build_organisation = build_once
    steps = {}
    try:
        for name, call in (
            ("hazards", lambda: hazards_bench.generate(args.hazards, log=log)),
            ("inspections", lambda: inspections.generate(log)),
            ("patrols", lambda: patrols.generate(args.scans, log)),
            ("traffic", lambda: traffic.generate(args.vehicles, log)),
            ("concerns", lambda: open311.generate(args.concerns, log)),
            ("risk points", lambda: risk_map.generate(args.points, log)),
            ("violations", lambda: _violations(args.violations)),
            ("incidents", lambda: _incidents(args.incidents)),
            ("education activities", lambda: _activities(args.activities)),
        ):
            started = time.perf_counter()
            call()
            steps[name] = time.perf_counter() - started
            log(f"{name} generated in {steps[name]:.0f} s")
    finally:
        hazards_bench.build_organisation = original
    return steps


#: How far back the bulk records go (the cockpit's trend is 12 months, plus the previous one).
SPREAD_DAYS = 395


def _when(rng, now):
    """A random instant within the last :data:`SPREAD_DAYS`, during the day (07:00–22:00)."""
    import datetime as dt

    from safecampus.core import clock

    day = (now - dt.timedelta(days=rng.randrange(SPREAD_DAYS))).astimezone(clock.local_zone())
    return day.replace(hour=rng.randrange(7, 22), minute=rng.randrange(60), second=0,
                       microsecond=0)


def _people():
    from safecampus.accounts.models import User
    from safecampus.organisation.models import Campus

    campuses = list(Campus.objects.values_list("pk", flat=True))
    staff = list(User.objects.filter(username__startswith="office_staff")
                 .values_list("pk", flat=True)) or [None]
    return campuses, staff


def _violations(n: int) -> None:
    """``n`` violations as ``violation_record`` leaves them (open; a third moved later)."""
    import datetime as dt

    from safecampus.core import clock
    from safecampus.traffic.models import Violation
    from safecampus.traffic.models.violations import ViolationKind

    rng, now = random.Random(11), clock.now()
    campuses, staff = _people()
    kinds = list(ViolationKind.values)
    rows = []
    for i in range(n):
        seen = _when(rng, now)
        closed = rng.random() < 0.33 and seen + dt.timedelta(days=2) < now
        rows.append(Violation(
            plate=f"陕A{i % 100000:05d}", kind=rng.choice(kinds), campus_id=rng.choice(campuses),
            location_text=f"{rng.randrange(1, 40)}号楼前", observed_at=seen,
            recorded_by_id=rng.choice(staff),
            state=Violation.State.MOVED if closed else Violation.State.OPEN,
            closed_at=seen + dt.timedelta(days=2) if closed else None))
    Violation.objects.bulk_create(rows, batch_size=5000)


def _incidents(n: int) -> None:
    """``n`` incidents as ``incident_record`` leaves them (numbered per year, reported an
    hour after they occurred)."""
    import datetime as dt

    from safecampus.core import clock
    from safecampus.core.incidents import IncidentCategory
    from safecampus.patrols.models import Incident

    rng, now = random.Random(12), clock.now()
    campuses, staff = _people()
    categories = list(IncidentCategory.values)
    times = sorted(_when(rng, now) for _ in range(n))
    sequence: dict[int, int] = {}
    start = {year: Incident.objects.filter(year=year).count() for year in {t.year for t in times}}
    rows = []
    for when in times:
        sequence[when.year] = sequence.get(when.year, start[when.year]) + 1
        rows.append(Incident(
            year=when.year, sequence=sequence[when.year], category=rng.choice(categories),
            summary="电动车被盗", occurred_at=when, reported_at=when + dt.timedelta(hours=1),
            campus_id=rng.choice(campuses), location_text="宿舍楼下",
            recorded_by_id=rng.choice(staff)))
    Incident.objects.bulk_create(rows, batch_size=5000)


def _activities(n: int) -> None:
    """``n`` held education activities as ``activity_hold`` leaves them, each reaching one to
    three colleges."""
    import datetime as dt

    from safecampus.core import clock
    from safecampus.education.models import Activity
    from safecampus.education.models.terms import Topic
    from safecampus.organisation.models import STUDENT_UNIT_KINDS, Unit

    rng, now = random.Random(13), clock.now()
    campuses, staff = _people()
    colleges = list(Unit.objects.filter(kind__in=STUDENT_UNIT_KINDS).values_list("pk", flat=True))
    topics, kinds = list(Topic.values), list(Activity.Kind.values)
    rows = []
    for _ in range(n):
        starts = _when(rng, now)
        rows.append(Activity(
            title="安全知识讲座", topic=rng.choice(topics), kind=rng.choice(kinds),
            starts_at=starts, ends_at=starts + dt.timedelta(hours=1),
            campus_id=rng.choice(campuses), organiser_id=rng.choice(staff),
            state=Activity.State.HELD, audience_count=rng.randrange(20, 300)))
    made = Activity.objects.bulk_create(rows, batch_size=2000)
    if not colleges:
        return
    through = Activity.colleges.through
    links = [through(activity_id=a.pk, unit_id=unit)
             for a in made for unit in rng.sample(colleges, min(len(colleges), rng.randint(1, 3)))]
    through.objects.bulk_create(links, batch_size=5000)


def _matches(args) -> bool:
    from safecampus.education.models import Activity
    from safecampus.hazards.models import Hazard

    return (Hazard.objects.count() >= args.hazards
            and Activity.objects.count() >= args.activities)


def _counts() -> dict:
    from safecampus.community.models import Concern
    from safecampus.education.models import Activity
    from safecampus.hazards.models import Hazard
    from safecampus.inspections.models import Inspection
    from safecampus.patrols.models import CheckpointScan, Incident, PatrolRound
    from safecampus.police.models import RiskPoint
    from safecampus.traffic.models import Vehicle, Violation

    return {"hazards": Hazard.objects.count(), "inspections": Inspection.objects.count(),
            "patrol rounds": PatrolRound.objects.count(),
            "checkpoint scans": CheckpointScan.objects.count(),
            "incidents": Incident.objects.count(), "vehicles": Vehicle.objects.count(),
            "violations": Violation.objects.count(), "concerns": Concern.objects.count(),
            "education activities": Activity.objects.count(),
            "risk points": RiskPoint.objects.count()}


def child(args) -> dict:
    log, generation = child_setup(args, "cockpit", sqlite_path=SQLITE_PATH, pg_db=PG_DB,
                                  matches=lambda: _matches(args),
                                  generate=lambda log: generate(args, log))
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from safecampus.accounts.models import User
    from safecampus.dashboards.models import DisplayToken
    from safecampus.dashboards.services import display_token_create
    from safecampus.organisation.models import Campus
    leader = User.objects.filter(username__startswith="leadership").order_by("pk").first()
    admin = User.objects.filter(username__startswith="office_admin").order_by("pk").first()
    DisplayToken.objects.all().delete()
    _display, token = display_token_create(actor=admin, name="bench")
    campus = Campus.objects.order_by("sort_order", "id").first()
    client = Client()
    client.force_login(leader)
    screen = Client()
    scenarios = [
        ("cockpit, whole university, this month", client, "/cockpit/", "cold"),
        ("cockpit, whole university, this month", client, "/cockpit/", "cached"),
        (f"cockpit, {campus.name}, this month", client, f"/cockpit/?campus={campus.pk}", "cold"),
        (f"cockpit, {campus.name}, this month", client, f"/cockpit/?campus={campus.pk}",
         "cached"),
        ("cockpit, whole university, last quarter", client, "/cockpit/?period=last_quarter",
         "cold"),
        ("big screen data fragment", screen, f"/screen/{token}/data/", "cold"),
        ("big screen data fragment", screen, f"/screen/{token}/data/", "cached"),
    ]
    results = []
    for name, who, url, mode in scenarios:
        for _ in range(3):
            response = who.get(url)
        if response.status_code != 200:
            log(f"{name}: HTTP {response.status_code}")
            results.append({"name": name, "mode": mode, "status": response.status_code})
            continue
        before = cache.clear if mode == "cold" else None
        times, cpu = timed(lambda who=who, url=url: who.get(url), args.repeat, before=before)
        if before:
            before()
        with CaptureQueriesContext(connection) as captured:
            who.get(url)
        row = {"name": name, "mode": mode, "url": url, "status": 200, **summary(times, cpu),
               "queries": len(captured), "bytes": len(response.content)}
        log(f"{name + ' (' + mode + ')':<60} median {row['median_ms']:7.1f} ms  p95 "
            f"{row['p95_ms']:7.1f} ms  cpu {row['cpu_median_ms']:6.1f} ms  "
            f"{row['queries']:3d} queries")
        results.append(row)
    return {"backend": args.backend, "server": server_version(), "generation": generation,
            "counts": _counts(), "results": results, "load": os.getloadavg()[0]}


def _table(run: dict) -> str:
    lines = ["| request | cache | median ms | p95 ms | max ms | CPU median ms | samples | SQL |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in run["results"]:
        if r.get("status") != 200:
            lines.append(f"| {r['name']} | {r['mode']} | HTTP {r.get('status')} | | | | | |")
            continue
        lines.append(f"| {r['name']} | {r['mode']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['max_ms']:.1f} | {r['cpu_median_ms']:.1f} | {r['samples']} | "
                     f"{r['queries']} |")
    return "\n".join(lines)


def _verdicts(run: dict) -> list[str]:
    rows = [r for r in run["results"] if r.get("status") == 200 and r["name"].startswith("cockpit")]
    out = []
    for mode, target in (("cold", COLD_TARGET_MS), ("cached", CACHED_TARGET_MS)):
        group = [r for r in rows if r["mode"] == mode]
        if not group:
            continue
        worst = max(group, key=lambda r: r["p95_ms"])
        out.append(f"cockpit p95 {mode} ≤ {target:.0f} ms: "
                   f"{'met' if worst['p95_ms'] <= target else 'NOT met'} (worst: {worst['name']}, "
                   f"{worst['p95_ms']:.1f} ms)")
    return out


def _report(runs: list[dict], command: str) -> str:
    lines = [BEGIN, "## Leadership cockpit and big screen with every module's data", "",
             *run_header(command),
             "One database holding the benchmark data of every module (generated by their own "
             "generators on one shared organisation; smaller counts than the module benchmarks "
             "for patrols, vehicles and concerns, see the counts). A university leader opens "
             "the cockpit through the test client: **cold** clears the cache before every "
             "request, so all 22 figures, their previous period and 12-month trends are "
             "computed (one conditional-aggregate query per module); **cached** reads the "
             "figures of the same scope, campus, period and language from the cache (one query "
             "for the newest timeline entry decides whether they are still current). The big "
             "screen's fragment is what a wall display fetches every 60 s (whole-office view, "
             "figures, tables and two charts). The CPU column is this process's own time.", ""]
    for run in runs:
        counts = ", ".join(f"{v:,} {k}" for k, v in run["counts"].items())
        lines += [f"### {run['server']}", "", f"Data: {counts}."]
        gen = run.get("generation")
        lines.append("Generated in " + ", ".join(f"{k} {v:.0f} s" for k, v in gen.items()) + "."
                     if gen else "Reused a database generated earlier (`--keep`).")
        lines.append(f"Load average at the end {run['load']:.1f}.")
        lines += ["", _table(run), ""] + [f"- {v}" for v in _verdicts(run)] + [""]
    lines.append(END)
    return "\n".join(lines)


def parent(args) -> None:
    run_backends(__file__, args, ["--hazards", str(args.hazards), "--scans", str(args.scans),
                                  "--vehicles", str(args.vehicles), "--concerns",
                                  str(args.concerns), "--points", str(args.points),
                                  "--violations", str(args.violations), "--incidents",
                                  str(args.incidents), "--activities", str(args.activities),
                                  "--repeat", str(args.repeat)],
                 title=lambda run: f"{run['server']}, {run['counts']['hazards']:,} hazards",
                 table=_table, verdicts=_verdicts, report=_report, begin=BEGIN, end=END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_backend_argument(parser)
    parser.add_argument("--hazards", type=int, default=50_000)
    parser.add_argument("--scans", type=int, default=200_000)
    parser.add_argument("--vehicles", type=int, default=20_000)
    parser.add_argument("--concerns", type=int, default=20_000)
    parser.add_argument("--points", type=int, default=2_000)
    parser.add_argument("--violations", type=int, default=20_000)
    parser.add_argument("--incidents", type=int, default=5_000)
    parser.add_argument("--activities", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per scenario")
    add_run_arguments(parser)
    child_or_parent(parser.parse_args(), child, parent)


if __name__ == "__main__":
    random.seed(0)
    main()
