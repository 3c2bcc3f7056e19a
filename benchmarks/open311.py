#!/usr/bin/env python
"""Benchmark the Open311 GeoReport v2 endpoint with 100,000 service requests stored.

Usage (from the repository root; ``make bench`` runs the first line)::

    .venv/bin/python benchmarks/open311.py                  # PostgreSQL if DATABASE_URL says so
    .venv/bin/python benchmarks/open311.py --backend both
    .venv/bin/python benchmarks/open311.py --backend sqlite --concerns 20000 --no-doc

Each backend gets a database of its own (``var/bench/open311.sqlite3``; PostgreSQL database
``safecampus_bench_open311`` on the server of ``BENCH_PG_URL``), migrated and filled in a
child process: the organisation of ``benchmarks/generate.py``, eight concern categories (one
with a required question), one Open311 client, and ``--concerns`` concerns (100,000 by
default) over the last 120 days written with ``bulk_create``: 40 % the client's own, 30 %
on the public board, a third closed, a few with a photo record.

Timed through Django's test client as an Open311 client would call (form-encoded POST,
``api_key``, no session):

* ``POST requests.json`` — sequential requests, each a new concern through the real
  service (key check, category, questions, numbering under a row lock, the timeline, the
  office's notifications on commit); reported as requests per second (target ≥ 50/s) with
  the median and p95 of one request;
* ``GET requests.json`` — the default query with the client's key (the last 90 days, at
  most 1,000 newest), without a key (the public board), filtered by service code and
  status, ten ids, one request, and the XML of the default query; p95 target ≤ 500 ms for
  the 1,000-request answers, ≤ 150 ms for the others.

Medians, p95 and SQL counts are printed and written between the markers in
``docs/benchmarks.md`` (unless ``--no-doc``).
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
    add_backend_argument,
    add_run_arguments,
    child_or_parent,
    prepare_environment,
    reuse_or_recreate,
    run_backends,
    run_header,
    server_version,
    summary,
    time_page,
    timed,
)

SQLITE_PATH = BENCH_VAR / "open311.sqlite3"
PG_DB = "safecampus_bench_open311"
BEGIN = "<!-- bench-open311:begin (written by benchmarks/open311.py) -->"
END = "<!-- bench-open311:end -->"
SEED = 20261201
DEFAULT_CONCERNS = 100_000
POST_TARGET = 50.0  # requests per second
BIG_TARGET_MS = 500.0
SMALL_TARGET_MS = 150.0
CLIENT_KEY = "bench-open311-key-0123456789abcdef0123456789abcdef"
CATEGORIES = [("parking", "停车难", 3), ("lighting", "道路照明", 5), ("charging", "电动车充电", 3),
              ("delivery", "快递外卖进校", 3), ("access", "门禁与访客", 3),
              ("dorm", "宿舍安全", 3), ("traffic", "交通秩序", 5), ("other", "其他", 5)]
TEXTS = ["晚上东门附近车位全满，车只能停在路边。", "这段路的路灯坏了好几盏，晚上很黑。",
         "充电棚里有人私拉电线充电，插头发烫。", "外卖车从侧门冲进来，车速很快。",
         "宿舍楼门禁坏了，门一直开着。", "楼道里有人用大功率电器，经常跳闸。"]


def generate(count: int, log) -> dict:
    from decimal import Decimal

    from django.db import transaction

    from benchmarks.generate import build_organisation
    from safecampus.accounts.models import User
    from safecampus.community.models import (
        CategoryAttribute,
        Concern,
        ConcernCategory,
        ConcernPhoto,
        Sequence,
    )
    from safecampus.community.services.concerns import concern_number
    from safecampus.community.services.open311 import api_client_issue
    from safecampus.core import clock
    from safecampus.organisation.models import Campus

    rng = random.Random(SEED)
    started = time.perf_counter()
    with transaction.atomic():
        build_organisation(rng)
        categories = [ConcernCategory.objects.create(code=code, name=name, answer_days=days,
                                                     sort_order=i)
                      for i, (code, name, days) in enumerate(CATEGORIES)]
        CategoryAttribute.objects.create(category=categories[1], code="road",
                                         description="哪条路", required=True)
        admin = User.objects.get(username="bench_super")
        client, _key = api_client_issue(actor=admin, name="bench client", key=CLIENT_KEY)
    campuses = list(Campus.objects.all()) + [None]
    now = clock.now()
    year = now.astimezone(clock.local_zone()).year
    numbers: dict[int, int] = {}
    rows = []
    for n in range(count):
        at = now - dt.timedelta(seconds=rng.randrange(0, 120 * 86400))
        y = at.astimezone(clock.local_zone()).year
        numbers[y] = numbers.get(y, 0) + 1
        closed = rng.random() < 1 / 3
        own = rng.random() < 0.4
        rows.append(Concern(
            number=concern_number(y, numbers[y]), year=y, sequence=numbers[y],
            category=rng.choice(categories), title=rng.choice(TEXTS)[:20],
            description=rng.choice(TEXTS), campus=rng.choice(campuses),
            latitude=Decimal("34.24") + Decimal(rng.randrange(0, 9999)) / 1_000_000,
            longitude=Decimal("108.98") + Decimal(rng.randrange(0, 9999)) / 1_000_000,
            channel="open311" if own else "web", api_client=client if own else None,
            account_id=f"acct-{n}" if own else "", submitted_at=at,
            state="closed" if closed else "submitted",
            resolution="answered" if closed else "", answer="已处理。" if closed else "",
            answered_at=at + dt.timedelta(hours=5) if closed else None,
            closed_at=at + dt.timedelta(hours=5) if closed else None,
            is_public=rng.random() < 0.3))
        if len(rows) >= 5000:
            Concern.objects.bulk_create(rows)
            rows = []
    Concern.objects.bulk_create(rows)
    for y, last in numbers.items():
        Sequence.objects.update_or_create(kind=Sequence.Kind.CONCERN, year=y,
                                          defaults={"last_number": last})
    sample = list(Concern.objects.filter(is_public=True).values_list("pk", flat=True)[:200])
    ConcernPhoto.objects.bulk_create([ConcernPhoto(concern_id=pk, image=f"bench/{pk}.jpg",
                                                   thumbnail=f"bench/{pk}-t.jpg")
                                      for pk in sample])
    seconds = time.perf_counter() - started
    log(f"{count:,} concerns in {seconds:.0f} s (year {year})")
    return {"concerns": count, "seconds": seconds}


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
    from safecampus.community.models import Concern

    def log(message: str) -> None:
        print(f"[open311 {args.backend}] {message}", file=sys.stderr, flush=True)

    call_command("migrate", interactive=False, verbosity=0)
    generation = None
    reuse = reuse_or_recreate(args.backend, reuse,
                              lambda: Concern.objects.filter(channel__in=["open311", "web"])
                              .count() >= args.concerns, log,
                              sqlite_path=SQLITE_PATH, pg_db=PG_DB)
    if not reuse:
        generation = generate(args.concerns, log)
    analyze()
    stored = Concern.objects.count()
    http = Client(HTTP_ACCEPT_LANGUAGE="en")
    base = "/open311/v2/"
    rng = random.Random(SEED + 1)

    def post_one():
        response = http.post(base + "requests.json", {
            "api_key": CLIENT_KEY, "service_code": rng.choice(["parking", "charging", "dorm"]),
            "lat": f"{34.24 + rng.random() / 100:.6f}", "long": f"{108.98 + rng.random() / 100:.6f}",
            "description": rng.choice(TEXTS), "account_id": f"bench-{rng.randrange(10**6)}"})
        assert response.status_code == 200, response.content

    results = []
    for _n in range(5):
        post_one()  # warm-up
    with CaptureQueriesContext(connection) as captured:
        post_one()
    post_queries = len(captured)
    started = time.perf_counter()
    times, cpu = timed(post_one, args.posts)
    wall = time.perf_counter() - started
    row = {"name": "POST requests.json (sequential)", "status": 200, **summary(times, cpu),
           "queries": post_queries, "per_second": args.posts / wall, "post": True}
    log(f"{row['name']:<50} {row['per_second']:7.1f}/s  median {row['median_ms']:6.1f} ms  "
        f"p95 {row['p95_ms']:6.1f} ms  {post_queries} queries")
    results.append(row)
    ids = ",".join(Concern.objects.filter(is_public=True).order_by("-pk")
                   .values_list("number", flat=True)[:10])
    one = Concern.objects.filter(is_public=True).order_by("-pk").values_list(
        "number", flat=True).first()
    key = f"api_key={CLIENT_KEY}"
    for scenario in (
            {"name": "GET requests.json, key (1,000 newest)", "url": f"{base}requests.json?{key}",
             "big": True},
            {"name": "GET requests.json, no key (public board)", "url": f"{base}requests.json",
             "big": True},
            {"name": "GET requests.xml, key (1,000 newest)", "url": f"{base}requests.xml?{key}",
             "big": True},
            {"name": "GET requests.json, code + status=open",
             "url": f"{base}requests.json?{key}&service_code=lighting&status=open", "big": True},
            {"name": "GET requests.json, 10 ids", "url": f"{base}requests.json?{key}&"
             f"service_request_id={ids}", "big": False},
            {"name": "GET requests/<id>.json", "url": f"{base}requests/{one}.json",
             "big": False},
            {"name": "GET services.json", "url": f"{base}services.json", "big": False}):
        row, response = time_page(http, scenario, warmup=2, repeat=args.repeat, log=log)
        row["bytes"] = len(response.content)
        results.append(row)
    return {"backend": args.backend, "server": server_version(), "generation": generation,
            "stored": stored, "results": results, "load": os.getloadavg()[0]}


def _table(run: dict) -> str:
    lines = ["| request | median ms | p95 ms | max ms | CPU median ms | samples | SQL | KiB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in run["results"]:
        size = f"{r['bytes'] / 1024:.0f}" if "bytes" in r else ""
        lines.append(f"| {r['name']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['max_ms']:.1f} | {r['cpu_median_ms']:.1f} | {r['samples']} | "
                     f"{r['queries']} | {size} |")
    return "\n".join(lines)


def _verdicts(run: dict) -> list[str]:
    post = next(r for r in run["results"] if r.get("post"))
    gets = [r for r in run["results"] if not r.get("post")]
    big = max((r for r in gets if r.get("big")), key=lambda r: r["p95_ms"])
    small = max((r for r in gets if not r.get("big")), key=lambda r: r["p95_ms"])
    return [f"POST ≥ {POST_TARGET:.0f} requests/s: "
            f"{'met' if post['per_second'] >= POST_TARGET else 'NOT met'} "
            f"({post['per_second']:.1f}/s, {post['queries']} SQL each)",
            f"GET of up to 1,000 requests p95 ≤ {BIG_TARGET_MS:.0f} ms: "
            f"{'met' if big['p95_ms'] <= BIG_TARGET_MS else 'NOT met'} (worst: {big['name']}, "
            f"{big['p95_ms']:.1f} ms)",
            f"other GETs p95 ≤ {SMALL_TARGET_MS:.0f} ms: "
            f"{'met' if small['p95_ms'] <= SMALL_TARGET_MS else 'NOT met'} (worst: "
            f"{small['name']}, {small['p95_ms']:.1f} ms)"]


def _report(runs: list[dict], command: str) -> str:
    lines = [BEGIN, "## Open311: POST and GET requests with 100,000 stored", "",
             *run_header(command),
             "An Open311 client through the test client (form-encoded, `api_key`, no session). "
             "POST creates each concern through the real service one after another (key check, "
             "category and its questions, the yearly number under a row lock, the timeline, the "
             "office's notifications on commit). GET requests answers with at most 1,000 of the "
             "newest requests of the last 90 days in two queries (key, concerns with their "
             "category, place, unit and hazard joined) plus one for the working-day "
             "calendar of each day and answer time that requests awaiting the office share; "
             "its time is mostly writing 1,000 documents. SQL counts one request. The CPU "
             "column is this process's own time: on a shared, loaded machine the wall times "
             "wait for a CPU (see the load average).", ""]
    for run in runs:
        lines += [f"### {run['server']} — {run['stored']:,} requests stored", ""]
        gen = run.get("generation")
        lines.append(f"Generated {gen['concerns']:,} concerns in {gen['seconds']:.0f} s." if gen
                     else "Reused a database generated earlier (`--keep`).")
        lines.append(f"Load average at the end {run['load']:.1f}.")
        post = next(r for r in run["results"] if r.get("post"))
        lines.append(f"POST throughput: {post['per_second']:.1f} requests/s over "
                     f"{post['samples']} sequential requests.")
        lines += ["", _table(run), ""] + [f"- {v}" for v in _verdicts(run)] + [""]
    lines.append(END)
    return "\n".join(lines)


def parent(args) -> None:
    run_backends(__file__, args, ["--concerns", str(args.concerns), "--repeat", str(args.repeat),
                                  "--posts", str(args.posts)],
                 title=lambda run: f"{run['server']}, {run['stored']:,} requests", table=_table,
                 verdicts=_verdicts, report=_report, begin=BEGIN, end=END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_backend_argument(parser)
    parser.add_argument("--concerns", type=int, default=DEFAULT_CONCERNS)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per GET")
    parser.add_argument("--posts", type=int, default=300, help="timed sequential POSTs")
    add_run_arguments(parser)
    child_or_parent(parser.parse_args(), child, parent)


if __name__ == "__main__":
    main()
