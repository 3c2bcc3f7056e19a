#!/usr/bin/env python
"""Benchmark the four-colour risk map of a campus with 2,000 risk points, and its PDF.

Usage (from the repository root; ``make bench`` runs the first line)::

    .venv/bin/python benchmarks/risk_map.py                  # PostgreSQL if DATABASE_URL says so
    .venv/bin/python benchmarks/risk_map.py --backend both
    .venv/bin/python benchmarks/risk_map.py --backend sqlite --points 500 --no-doc

Each backend gets a database of its own (``var/bench/risk_map.sqlite3``; PostgreSQL database
``safecampus_bench_risk_map`` on the server of ``BENCH_PG_URL``), migrated and filled in a
child process: the organisation of ``benchmarks/generate.py``, a 1,600 × 1,100 pixel map
image on the first campus and ``--points`` published risk points on it (2,000 by default;
levels about 5 % red, 15 % orange, 35 % yellow, 45 % blue; 2 % without a map position),
written with ``bulk_create``.

Timed as a university leader with Django's test client (session, permission, template):
the map page of that campus (``/police/risks/map/?campus=…``) unfiltered and filtered by level,
and the PDF on A3 and A4. Targets: the page's p95 ≤ 150 ms, the PDF's median ≤ 3 s. Medians,
p95 and SQL counts are printed and written between the markers in ``docs/benchmarks.md``
(unless ``--no-doc``).
"""

import argparse
import datetime as dt
import io
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

SQLITE_PATH = BENCH_VAR / "risk_map.sqlite3"
PG_DB = "safecampus_bench_risk_map"
BEGIN = "<!-- bench-risk-map:begin (written by benchmarks/risk_map.py) -->"
END = "<!-- bench-risk-map:end -->"
SEED = 20261130
DEFAULT_POINTS = 2_000
PAGE_TARGET_MS = 150.0
PDF_TARGET_MS = 3_000.0
LEVEL_WEIGHTS = {"major": 5, "high": 15, "moderate": 35, "low": 45}


def _map_png(rng: random.Random) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1600, 1100), (232, 238, 226))
    draw = ImageDraw.Draw(image)
    for x in range(0, 1600, 200):
        draw.rectangle((x + 90, 0, x + 110, 1100), fill=(250, 250, 245))
    for y in range(0, 1100, 220):
        draw.rectangle((0, y + 100, 1600, y + 120), fill=(250, 250, 245))
    for _ in range(90):
        x, y = rng.randrange(0, 1500), rng.randrange(0, 1000)
        draw.rectangle((x, y, x + rng.randrange(40, 100), y + rng.randrange(30, 80)),
                       fill=(205, 200, 190), outline=(120, 110, 100), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def generate(count: int, log) -> dict:
    from decimal import Decimal

    from django.core.files.base import ContentFile
    from django.db import transaction

    from benchmarks.generate import build_organisation
    from safecampus.organisation.models import Campus, Unit
    from safecampus.police.models import RiskPoint

    rng = random.Random(SEED)
    started = time.perf_counter()
    with transaction.atomic():
        build_organisation(rng)
    campus = Campus.objects.order_by("sort_order", "id").first()
    campus.map_image.save("bench-map.png", ContentFile(_map_png(rng)), save=True)
    units = list(Unit.objects.values_list("pk", flat=True))
    kinds = ["lab", "dormitory", "canteen", "gate", "car_park", "charging", "construction",
             "venue", "hazardous_goods", "equipment"]
    levels, weights = zip(*LEVEL_WEIGHTS.items(), strict=True)
    rows = []
    for i in range(count):
        placed = rng.random() >= 0.02
        rows.append(RiskPoint(
            code=f"FX-{i:05d}", name=f"{campus.name}风险点{i:04d}", kind=rng.choice(kinds),
            campus=campus, level=rng.choices(levels, weights)[0],
            map_x=Decimal(rng.randrange(100, 9900)) / 100 if placed else None,
            map_y=Decimal(rng.randrange(100, 9900)) / 100 if placed else None,
            hazard_factors="危险有害因素", location_text=f"{rng.randrange(1, 40)}号楼",
            responsible_unit_id=rng.choice(units), state="published",
            next_review_on=dt.date(2027, 1, 1)))
    RiskPoint.objects.bulk_create(rows, batch_size=1000)
    seconds = time.perf_counter() - started
    log(f"{count:,} risk points in {seconds:.0f} s")
    return {"points": count, "seconds": seconds}


def child(args) -> dict:
    reuse = prepare_environment(args.backend, sqlite_path=SQLITE_PATH, pg_db=PG_DB,
                                keep=args.keep)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from benchmarks.generate import analyze
    from safecampus.accounts.models import User
    from safecampus.organisation.models import Campus
    from safecampus.police.models import RiskPoint

    def log(message: str) -> None:
        print(f"[risk_map {args.backend}] {message}", file=sys.stderr, flush=True)

    call_command("migrate", interactive=False, verbosity=0)
    generation = None
    reuse = reuse_or_recreate(args.backend, reuse,
                              lambda: RiskPoint.objects.count() == args.points, log,
                              sqlite_path=SQLITE_PATH, pg_db=PG_DB)
    if not reuse:
        generation = generate(args.points, log)
    analyze()
    campus = Campus.objects.exclude(map_image="").order_by("sort_order", "id").first()
    leader = User.objects.filter(username__startswith="leadership").order_by("pk").first()
    client = Client()
    client.force_login(leader)
    base = f"/police/risks/map/?campus={campus.pk}"
    results = []
    for scenario in ({"name": "map page, every level", "url": base, "target": True},
                     {"name": "map page, level=high", "url": f"{base}&level=high",
                      "target": True},
                     {"name": "map page, kind=lab", "url": f"{base}&kind=lab", "target": True}):
        row, response = time_page(client, scenario, warmup=3, repeat=args.repeat, log=log)
        row["bytes"] = len(response.content)
        results.append(row)
    for paper in ("A3", "A4"):
        url = f"/police/risks/map/pdf/?campus={campus.pk}&paper={paper}"
        response = client.get(url)  # warm-up (fonts, templates)
        times, cpu = timed(lambda url=url: client.get(url), args.pdf_repeat)
        row = {"name": f"PDF {paper}", "url": url, **summary(times, cpu), "queries": None,
               "status": response.status_code, "bytes": len(response.content), "pdf": True}
        log(f"{row['name']:<50} median {row['median_ms']:7.1f} ms  max {row['max_ms']:7.1f} ms"
            f"  {row['bytes'] / 1024:.0f} KiB")
        results.append(row)
    return {"backend": args.backend, "server": server_version(), "generation": generation,
            "points": RiskPoint.objects.filter(campus=campus).count(), "results": results,
            "load": os.getloadavg()[0]}


def _table(run: dict) -> str:
    lines = ["| request | median ms | p95 ms | max ms | CPU median ms | samples | SQL | size KiB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in run["results"]:
        queries = "" if r.get("queries") is None else r["queries"]
        lines.append(f"| {r['name']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['max_ms']:.1f} | {r['cpu_median_ms']:.1f} | {r['samples']} | {queries} | "
                     f"{r['bytes'] / 1024:.0f} |")
    return "\n".join(lines)


def _verdicts(run: dict) -> list[str]:
    pages = [r for r in run["results"] if r.get("target")]
    worst = max(pages, key=lambda r: r["p95_ms"])
    pdf = max((r for r in run["results"] if r.get("pdf")), key=lambda r: r["median_ms"])
    return [f"map page p95 ≤ {PAGE_TARGET_MS:.0f} ms: "
            f"{'met' if worst['p95_ms'] <= PAGE_TARGET_MS else 'NOT met'} (worst: "
            f"{worst['name']}, {worst['p95_ms']:.1f} ms)",
            f"PDF ≤ {PDF_TARGET_MS / 1000:.0f} s: "
            f"{'met' if pdf['median_ms'] <= PDF_TARGET_MS else 'NOT met'} (slowest: {pdf['name']}, "
            f"median {pdf['median_ms']:.0f} ms, max {pdf['max_ms']:.0f} ms)"]


def _report(runs: list[dict], command: str) -> str:
    lines = [BEGIN, "## Police: the four-colour risk map of 2,000 points", "",
             *run_header(command),
             "One campus with a 1,600 × 1,100 pixel map and 2,000 published risk points, read "
             "by a university leader through the test client (session, permission, template). "
             "The page reads the points in one query as dictionaries and writes the SVG as one "
             "string (a title, a visible circle and an invisible tap target per point, grouped "
             "by level), so neither queries nor template work grow with the points; the list "
             "under the map shows 50. The PDF draws the points onto one copy of the map with "
             "Pillow (2,400 pixels on the long side), numbering the red and orange ones as in "
             "their table, so WeasyPrint lays out one image scaled to fill the page, a legend and "
             "the table of red and orange points (with building, place and location). "
             "SQL counts one request; the PDF rows are medians of a few requests. The CPU column is "
             "this process's own time: on a shared, loaded machine the wall times wait for a CPU "
             "(see the load average).", ""]
    for run in runs:
        lines += [f"### {run['server']} — {run['points']:,} points", ""]
        gen = run.get("generation")
        lines.append(f"Generated {gen['points']:,} points in {gen['seconds']:.0f} s." if gen
                     else "Reused a database generated earlier (`--keep`).")
        lines.append(f"Load average at the end {run['load']:.1f}.")
        lines += ["", _table(run), ""] + [f"- {v}" for v in _verdicts(run)] + [""]
    lines.append(END)
    return "\n".join(lines)


def parent(args) -> None:
    run_backends(__file__, args, ["--points", str(args.points), "--repeat", str(args.repeat),
                                  "--pdf-repeat", str(args.pdf_repeat)],
                 title=lambda run: f"{run['server']}, {run['points']:,} points", table=_table,
                 verdicts=_verdicts, report=_report, begin=BEGIN, end=END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_backend_argument(parser)
    parser.add_argument("--points", type=int, default=DEFAULT_POINTS)
    parser.add_argument("--repeat", type=int, default=40, help="timed requests per page")
    parser.add_argument("--pdf-repeat", type=int, default=5, help="timed requests per PDF")
    add_run_arguments(parser)
    child_or_parent(parser.parse_args(), child, parent)


if __name__ == "__main__":
    main()
