#!/usr/bin/env python
"""Benchmark the hazard ledger, hazard detail and dashboard against the Django admin.

Usage (from the repository root; ``make bench`` runs the first line)::

    .venv/bin/python benchmarks/run.py                      # both backends, 200,000 hazards
    .venv/bin/python benchmarks/run.py --backend sqlite --hazards 20000 --repeat 10
    .venv/bin/python benchmarks/run.py --backend postgres --keep --explain

For each backend the script creates a database of its own (``var/bench/bench-<N>.sqlite3``;
PostgreSQL database ``safecampus_bench`` on ``BENCH_PG_URL``, default
``postgres://postgres@127.0.0.1:5432``), migrates it, generates the organisation and N
hazards (``benchmarks/generate.py``), analyses it, then requests each page through
``django.test.Client`` as a signed-in user: a few warm-up requests, then ``--repeat`` timed
ones. Server time is the wall time of ``Client.get`` (URL routing, middleware, queries,
template rendering; no network). A last request under ``CaptureQueriesContext`` counts the
SQL queries. The same pages are measured on a 5,000-hazard database to show that the query
counts do not grow with the rows. ``--keep`` reuses a database generated before (same N).

Results are printed as tables and, for a full-size run, written between the markers in
``docs/benchmarks.md``. Each backend runs in a child process of its own (one Django setup
per database).
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import (  # noqa: E402 - the repository root must be importable first
    BENCH_VAR,
    DOC,
    ROOT,
    available_backends,
    child_or_parent,
    machine_info,
    prepare_environment,
    renice,
    run_child,
    server_version,
    summary,
    timed,
    write_doc,
)

PG_DB = "safecampus_bench"
FULL_SIZE = 200_000
MIN_SAMPLES = 10
SMALL_SIZE = 5_000
BEGIN, END = "<!-- bench:begin (written by benchmarks/run.py) -->", "<!-- bench:end -->"

# Targets from the performance issue (milliseconds).
LEDGER_P95_MS = 80
DASHBOARD_P95_MS = 150


# ---------------------------------------------------------------------------------------------
# Child: one backend, one database size.
# ---------------------------------------------------------------------------------------------
def _pg_database(hazards: int) -> str:
    return PG_DB if hazards == FULL_SIZE else f"{PG_DB}_{hazards}"


def _prepare_environment(backend: str, hazards: int, keep: bool) -> bool:
    """Point Django at the benchmark database of ``hazards`` hazards; True when an existing
    one may be reused."""
    return prepare_environment(backend, sqlite_path=BENCH_VAR / f"bench-{hazards}.sqlite3",
                               pg_db=_pg_database(hazards), keep=keep)


def _scenarios(ids: dict) -> list[dict]:
    """The pages measured: (group, name, user key, URL). Pairs share a ``pair`` key."""
    campus, unit = ids["campus"], ids["unit"]
    ledger, admin = "/hazards/", "/admin/hazards/hazard/"

    def q(base, **params):
        return f"{base}?{urlencode(params)}" if params else base

    return [
        {"group": "ledger", "name": "ledger, all, page 1", "user": "office", "pair": "all-1",
         "url": ledger},
        {"group": "ledger", "name": "ledger, all, page 50", "user": "office",
         "url": q(ledger, page=50)},
        {"group": "ledger", "name": "ledger, campus + open, page 1", "user": "office",
         "url": q(ledger, campus=campus, status="open")},
        {"group": "ledger", "name": "ledger, campus + open, page 50", "user": "office",
         "url": q(ledger, campus=campus, status="open", page=50)},
        {"group": "ledger", "name": "ledger, campus + closed, page 1", "user": "office",
         "pair": "closed-1", "url": q(ledger, campus=campus, status="closed")},
        {"group": "ledger", "name": "ledger, campus + closed, page 50", "user": "office",
         "pair": "closed-deep", "url": q(ledger, campus=campus, status="closed", page=50)},
        {"group": "ledger", "name": "ledger, overdue only, page 1", "user": "office",
         "url": q(ledger, overdue="on")},
        {"group": "ledger", "name": "ledger, unit contact, open, page 1", "user": "contact",
         "url": q(ledger, status="open")},
        {"group": "ledger", "name": "ledger, unit + category, page 1", "user": "office",
         "url": q(ledger, unit=unit, category=ids["category"])},
        {"group": "detail", "name": "hazard detail, rectifying", "user": "office",
         "url": f"/hazards/{ids['open_hazard']}/"},
        {"group": "detail", "name": "hazard detail, closed", "user": "office",
         "url": f"/hazards/{ids['closed_hazard']}/"},
        {"group": "dashboard", "name": "dashboard /, office admin", "user": "office", "url": "/"},
        {"group": "dashboard", "name": "dashboard /, office admin, cache cleared", "user": "office",
         "url": "/", "cold": True},
        {"group": "dashboard", "name": "dashboard /, unit contact", "user": "contact", "url": "/"},
        {"group": "dashboard", "name": "dashboard /, unit contact, cache cleared", "user": "contact",
         "url": "/", "cold": True},
        {"group": "admin", "name": "admin change list, all, page 1", "user": "super",
         "pair": "all-1", "url": admin},
        {"group": "admin", "name": "admin change list, campus + closed, page 1", "user": "super",
         "pair": "closed-1", "url": q(admin, campus__id__exact=campus, status__exact="closed")},
        {"group": "admin", "name": "admin change list, campus + closed, page 25 (same rows)",
         "user": "super", "pair": "closed-deep",
         "url": q(admin, campus__id__exact=campus, status__exact="closed", p=25)},
    ]


def _explain(sql: str, params) -> str:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return "\n".join(f"{r[0]:>3} {r[1]:>3} {r[3]}" for r in rows)
    return "\n".join(r[0] for r in rows)


def child(args) -> dict:
    reuse = _prepare_environment(args.backend, args.hazards, args.keep)
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from benchmarks.generate import analyze, generate
    from safecampus.accounts.models import User
    from safecampus.hazards.models import Hazard, HazardCategory
    from safecampus.organisation.models import Campus, Unit

    def log(message: str) -> None:
        print(f"[{args.backend} {args.hazards:,}] {message}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    log(f"migrated in {time.perf_counter() - t0:.1f} s")
    generation = None
    if reuse and Hazard.objects.count() != args.hazards:
        log("existing database has a different size: regenerating")
        connection.close()
        _prepare_environment(args.backend, args.hazards, keep=False)
        call_command("migrate", interactive=False, verbosity=0)
        reuse = False
    if reuse:
        log("reusing the generated database (--keep)")
        analyze()
    else:
        log(f"generating {args.hazards:,} hazards …")
        generation = generate(args.hazards, log=log)
        log("generated in {total:.1f} s ({steps})".format(
            total=generation["seconds"]["total"],
            steps=", ".join(f"{k} {v:.1f} s" for k, v in generation["seconds"].items()
                            if k != "total")))

    campus = Campus.objects.order_by("sort_order").first()
    unit = Unit.objects.filter(code="college-1").first() or Unit.objects.first()
    ids = {
        "campus": campus.pk,
        "unit": unit.pk,
        "category": HazardCategory.objects.get(code="fire").pk,
        "open_hazard": Hazard.objects.filter(status="rectifying", current_notice__isnull=False)
        .order_by("-reported_at").values_list("pk", flat=True).first(),
        "closed_hazard": Hazard.objects.filter(status="closed", current_notice__isnull=False)
        .order_by("pk").values_list("pk", flat=True)[args.hazards // 4],
    }
    users = {
        "office": User.objects.get(username="office_admin0"),
        "leadership": User.objects.get(username="leadership0"),
        "contact": User.objects.get(username=f"contact_{unit.code}"),
        "super": User.objects.get(username="bench_super"),
    }
    if args.renice:
        renice(args.renice, log)
    clients = {}
    for key, user in users.items():
        clients[key] = Client()
        clients[key].force_login(user)

    sql_time = [0.0]

    def timed_sql(execute, sql, params, many, context):
        """Add the wall time of each database call of the request to ``sql_time``."""
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_time[0] += time.perf_counter() - start

    results = []
    load_before = os.getloadavg()[0]
    for scenario in _scenarios(ids):
        client = clients[scenario["user"]]
        # "cache cleared": the page as the first visitor after a change sees it.
        before = cache.clear if scenario.get("cold") else (lambda: None)
        for _ in range(args.warmup):
            before()
            response = client.get(scenario["url"])
        if response.status_code != 200:
            log(f"{scenario['name']}: HTTP {response.status_code} for {scenario['url']}")
            results.append({**scenario, "status": response.status_code})
            continue
        in_sql = []

        def request(url=scenario["url"], client=client):
            with connection.execute_wrapper(timed_sql):
                client.get(url)

        def reset(before=before):
            before()
            sql_time[0] = 0.0

        times, cpu = timed(request, args.repeat, before=reset,
                           after=lambda in_sql=in_sql: in_sql.append(sql_time[0] * 1000),
                           budget=args.page_budget, min_samples=MIN_SAMPLES)
        before()
        with CaptureQueriesContext(connection) as captured:
            client.get(scenario["url"])
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]), default=None)
        row = {
            **scenario, "status": 200, **summary(times, cpu),
            "sql_median_ms": statistics.median(in_sql),
            "queries": len(captured),
            "slowest_query_ms": float(slowest["time"]) * 1000 if slowest else 0.0,
            "slowest_query": slowest["sql"] if slowest else "",
        }
        results.append(row)
        log(f"{scenario['name']:<58} median {row['median_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms"
            f"  cpu {row['cpu_median_ms']:6.1f} ms  sql {row['sql_median_ms']:6.1f} ms"
            f"  {row['queries']:3d} queries")
        if args.explain and slowest:
            print(f"\n--- {scenario['name']}: slowest query "
                  f"({row['slowest_query_ms']:.1f} ms)\n{slowest['sql']}", file=sys.stderr)
            try:
                print(_explain_last(client, scenario["url"]), file=sys.stderr)
            except Exception as error:  # noqa: BLE001 - diagnostics only
                print(f"(EXPLAIN failed: {error})", file=sys.stderr)

    return {
        "backend": args.backend,
        "hazards": Hazard.objects.count(),
        "generation": generation,
        "reused": reuse,
        "server": server_version(),
        "load": [load_before, os.getloadavg()[0]],
        "results": results,
    }


def _explain_last(client, url: str) -> str:
    """EXPLAIN the slowest query ``url`` makes, with its real parameters."""
    from django.db import connection

    recorded = []

    def wrapper(execute, sql, params, many, context):
        start = time.perf_counter()
        result = execute(sql, params, many, context)
        recorded.append((time.perf_counter() - start, sql, params))
        return result

    with connection.execute_wrapper(wrapper):
        client.get(url)
    _elapsed, sql, params = max(recorded, key=lambda r: r[0])
    return _explain(sql, params)


# ---------------------------------------------------------------------------------------------
# Parent: run the children, print the tables, write docs/benchmarks.md.
# ---------------------------------------------------------------------------------------------
def _run_child(backend: str, hazards: int, repeat: int, args) -> dict:
    options = ["--backend", backend, "--hazards", str(hazards), "--repeat", str(repeat),
               "--warmup", str(args.warmup), "--page-budget", str(args.page_budget)]
    if args.keep:
        options.append("--keep")
    if args.explain:
        options.append("--explain")
    if args.renice:
        options += ["--renice", str(args.renice)]
    return run_child(__file__, options)


def _table(run: dict, small: dict | None) -> str:
    small_counts = {r["name"]: r.get("queries") for r in (small or {}).get("results", [])}
    lines = [
        f"| page | median ms | p95 ms | requests timed | Django CPU ms (median) "
        f"| in SQL calls ms (median) | SQL queries | queries at {SMALL_SIZE:,} hazards |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in run["results"]:
        if r.get("status") != 200:
            lines.append(f"| {r['name']} | HTTP {r['status']} | | | | | | |")
            continue
        small_q = small_counts.get(r["name"])
        lines.append(f"| {r['name']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | {r['samples']} "
                     f"| {r['cpu_median_ms']:.1f} | {r['sql_median_ms']:.1f} | {r['queries']} "
                     f"| {'—' if small_q is None else small_q} |")
    return "\n".join(lines)


def _verdicts(run: dict, small: dict | None) -> list[str]:
    """Each target of the performance issue, met or missed, from the numbers."""
    ok = {True: "met", False: "**missed**"}
    rows = [r for r in run["results"] if r.get("status") == 200]
    by_group = {g: [r for r in rows if r["group"] == g] for g in ("ledger", "dashboard", "admin")}
    out = []
    ledger = by_group["ledger"]
    if ledger:
        worst = max(ledger, key=lambda r: r["p95_ms"])
        out.append(f"ledger p95 ≤ {LEDGER_P95_MS} ms: {ok[worst['p95_ms'] <= LEDGER_P95_MS]} "
                   f"(worst: {worst['name']}, {worst['p95_ms']:.1f} ms)")
        counts = {r["queries"] for r in ledger if r["user"] == "office"}
        grows = []
        if small:
            small_q = {r["name"]: r.get("queries") for r in small["results"]}
            grows = [r["name"] for r in ledger if small_q.get(r["name"]) != r["queries"]]
        out.append(
            f"ledger query count constant in the number of rows: {ok[not grows]} "
            f"({'/'.join(map(str, sorted(counts)))} queries for the office on every filter and "
            f"page; " + (f"the same at {SMALL_SIZE:,} hazards)" if small and not grows else
                         f"differs at {SMALL_SIZE:,} for: {', '.join(grows)})" if grows else
                         "no small run)"))
    dash = [r for r in by_group["dashboard"] if not r.get("cold")]
    if dash:
        worst = max(dash, key=lambda r: r["p95_ms"])
        out.append(f"dashboard p95 ≤ {DASHBOARD_P95_MS} ms: {ok[worst['p95_ms'] <= DASHBOARD_P95_MS]}"
                   f" (worst: {worst['name']}, {worst['p95_ms']:.1f} ms)")
    cold = [r for r in by_group["dashboard"] if r.get("cold")]
    if cold:
        worst = max(cold, key=lambda r: r["p95_ms"])
        out.append(f"dashboard p95 ≤ {DASHBOARD_P95_MS} ms with its cache cleared before every "
                   f"request: {ok[worst['p95_ms'] <= DASHBOARD_P95_MS]} (worst: {worst['name']}, "
                   f"{worst['p95_ms']:.1f} ms)")
    pairs = {}
    for r in rows:
        if r.get("pair"):
            pairs.setdefault(r["pair"], {})[r["group"]] = r
    for _key, pair in pairs.items():
        if "ledger" in pair and "admin" in pair:
            led, adm = pair["ledger"], pair["admin"]
            out.append(f"faster than the admin change list ({led['name']} vs "
                       f"{adm['name'].replace('admin change list, ', '')}): "
                       f"{ok[led['median_ms'] < adm['median_ms']]} ({led['median_ms']:.1f} ms vs "
                       f"{adm['median_ms']:.1f} ms median, {led['queries']} vs {adm['queries']} "
                       f"queries)")
    return out


def _report(runs: list[tuple[dict, dict | None]], args, command: str) -> str:
    machine = machine_info()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        BEGIN,
        f"Run on {now}: `{command}`",
        "",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory']} memory, "
        f"{machine['os']}, Python {machine['python']}, Django {machine['django']}.",
        "",
    ]
    for run, small in runs:
        gen = run.get("generation")
        lines.append(f"### {run['server']} — {run['hazards']:,} hazards")
        lines.append("")
        if gen:
            lines.append(
                f"Generated {gen['hazards']:,} hazards, {gen['notices']:,} notices, "
                f"{gen['notice_items']:,} notice items and {gen['activity_entries']:,} timeline "
                f"entries in {gen['seconds']['total']:.0f} s; whole run {run['wall_seconds']:.0f} s "
                f"({args.repeat} timed requests per page after {args.warmup} warm-up).")
        else:
            lines.append(f"Reused a database generated earlier (`--keep`); whole run "
                         f"{run['wall_seconds']:.0f} s ({args.repeat} timed requests per page).")
        lines.append(
            f"Load average (1 min) when the measuring started and ended: "
            f"{run['load'][0]:.1f} / {run['load'][1]:.1f} on {machine['nproc']} CPUs.")
        lines += ["", _table(run, small), "", "Targets:", ""]
        lines += [f"- {v}" for v in _verdicts(run, small)]
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def parent(args) -> None:
    backends = available_backends(
        ["sqlite", "postgres"] if args.backend == "both" else [args.backend])
    runs = []
    for backend in backends:
        small = None
        if args.hazards != SMALL_SIZE and not args.no_scaling:
            small = _run_child(backend, SMALL_SIZE, max(3, min(args.repeat, 5)), args)
        run = _run_child(backend, args.hazards, args.repeat, args)
        runs.append((run, small))
        print(f"\n== {run['server']}, {run['hazards']:,} hazards (load average "
              f"{run['load'][0]:.1f} → {run['load'][1]:.1f}) ==")
        print(_table(run, small))
        for verdict in _verdicts(run, small):
            print(f"- {verdict}")
    command = "benchmarks/run.py " + " ".join(sys.argv[1:])
    block = _report(runs, args, command.strip())
    if args.hazards == FULL_SIZE and not args.no_doc:
        write_doc(block, BEGIN, END)
        print(f"\nResults written to {DOC.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--hazards", type=int, default=FULL_SIZE, help="hazards to generate")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per page first")
    parser.add_argument("--page-budget", type=float, default=20.0,
                        help=f"seconds per page after which timing stops (at least {MIN_SAMPLES} "
                        "requests are timed)")
    parser.add_argument("--keep", action="store_true",
                        help="reuse a database generated earlier with the same --hazards")
    parser.add_argument("--explain", action="store_true",
                        help="print the slowest query of each page with its query plan")
    parser.add_argument("--no-scaling", action="store_true",
                        help=f"skip the {SMALL_SIZE:,}-hazard query-count comparison")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--renice", type=int, default=0, metavar="N",
                        help="measure at nice -N on a shared machine (the PostgreSQL server "
                        "keeps its priority); needs root")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    child_or_parent(parser.parse_args(), child, parent)


if __name__ == "__main__":
    main()
