#!/usr/bin/env python
"""Benchmark a campaign's coverage page and the inspection report PDF.

Usage (from the repository root; ``make bench`` runs the first line)::

    .venv/bin/python benchmarks/inspections.py                     # both backends
    .venv/bin/python benchmarks/inspections.py --backend sqlite --repeat 10 --no-doc
    .venv/bin/python benchmarks/inspections.py --backend postgres --keep

For each backend the script creates a database of its own (``var/bench/inspections.sqlite3``;
PostgreSQL database ``safecampus_bench_insp`` on ``BENCH_PG_URL``), migrates it and fills it:
the organisation of ``benchmarks/generate.py`` grown to 2,000 places, a published 60-item
checklist, and a campaign over all 2,000 places created through ``services.plan_create``.
60 % of the targets get a finished inspection with a result for every item (about 4 % of
items failed, 3 % not applicable), 10 % an inspection in progress with part of the items
answered, the rest stay due; these rows are written with ``bulk_create`` in the shape the
services leave them. A second, 20-place campaign shows that the page's query count does not
depend on the number of places.

It then requests the coverage page through ``django.test.Client`` (first page, a deep page,
filtered pages, as the office, an inspector and a unit's safety contact) and the plan list:
warm-up requests, then ``--repeat`` timed ones, and one more under ``CaptureQueriesContext``
to count the SQL. Finally one inspection is done through the services as an inspector on a
phone would — 60 results, 10 of them failures with a photo each (3000×2250 JPEGs, processed
by the upload pipeline), signed and released — and its report PDF is built ``--pdf-repeat``
times with ``inspection_report_pdf_bytes``.

Targets from the inspections issue: coverage page p95 ≤ 200 ms, report PDF with 10 photos
≤ 2 s, on SQLite and PostgreSQL. Results are printed and written between the markers in
``docs/benchmarks.md`` (unless ``--no-doc``).
"""

import argparse
import datetime as dt
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402 - the repository root must be importable first
    BENCH_VAR,
    available_backends,
    backends_for,
    child_or_parent,
    command_line,
    machine_info,
    percentile,
    prepare_environment,
    print_run,
    renice,
    reuse_or_recreate,
    run_child,
    run_header,
    server_version,
    time_page,
    write_results,
)

SQLITE_PATH = BENCH_VAR / "inspections.sqlite3"
PG_DB = "safecampus_bench_insp"
BEGIN = "<!-- bench-inspections:begin (written by benchmarks/inspections.py) -->"
END = "<!-- bench-inspections:end -->"
SEED = 20260401
PLACES = 2000
ITEMS = 60
SECTIONS = 6
SMALL_PLACES = 20
SHARE_DONE, SHARE_IN_PROGRESS = 0.60, 0.10
FAIL_RATE, NA_RATE = 0.04, 0.03
PHOTOS = 10

COVERAGE_P95_MS = 200
PDF_SECONDS = 2.0


# ---------------------------------------------------------------------------------------------
# Child: one backend.
# ---------------------------------------------------------------------------------------------
def _prepare_environment(backend: str, keep: bool) -> bool:
    """Point Django at this benchmark's database; True when an existing one may be reused."""
    return prepare_environment(backend, sqlite_path=SQLITE_PATH, pg_db=PG_DB, keep=keep)


def _checklist_data(categories):
    from decimal import Decimal

    from safecampus.inspections.services import ChecklistData, ItemData, SectionData

    titles = ["安全责任体系", "消防安全", "用电安全", "危险化学品", "仪器设备", "卫生与环境"]
    texts = ["安全责任人明确并公示", "灭火器在有效期内且压力正常", "消防通道畅通无堆放",
             "无私拉乱接电线", "化学品分类存放并有台账", "气瓶固定并张贴标识",
             "通风橱运行正常", "实验记录完整", "废液桶加盖并分类", "应急喷淋装置可用"]
    sections = []
    line = 2
    for s in range(SECTIONS):
        items = []
        for i in range(ITEMS // SECTIONS):
            items.append(ItemData(
                code=f"{s + 1}.{i + 1}", text=f"{texts[i]}（{titles[s]}）",
                basis="《高等学校实验室安全规范》", line=line,
                hazard_category_id=categories[(s + i) % len(categories)].pk,
                is_veto=(s == 3 and i == 0), scoring="scored", points=Decimal("1.5")))
            line += 1
        sections.append(SectionData(str(s + 1), titles[s], items))
    return ChecklistData(name="实验室安全检查表（基准）", code="bench-lab", sections=sections)


def _photo(rng: random.Random, n: int):
    """A phone-sized JPEG (3000×2250, noisy so it does not compress to nothing)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    noise = Image.effect_noise((3000, 2250), 40).convert("RGB")
    tint = Image.new("RGB", noise.size, (rng.randrange(80, 220), rng.randrange(80, 220),
                                         rng.randrange(80, 220)))
    image = Image.blend(noise, tint, 0.6)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(0, 2800), rng.randrange(0, 2000)
        draw.rectangle([x, y, x + rng.randrange(80, 600), y + rng.randrange(80, 400)],
                       fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return SimpleUploadedFile(f"finding-{n}.jpg", buffer.getvalue(), content_type="image/jpeg")


def generate(log) -> dict:
    """Fill an empty, migrated database; returns counts and the seconds each step took."""
    from django.db import transaction

    from benchmarks.generate import build_organisation
    from safecampus.accounts.models import User
    from safecampus.core import clock
    from safecampus.inspections import services
    from safecampus.inspections.models import (
        Coverage,
        Inspection,
        InspectionResult,
        InspectionTarget,
        Outcome,
    )
    from safecampus.organisation.models import Building, Place

    rng = random.Random(SEED)
    seconds = {}
    t0 = time.perf_counter()
    with transaction.atomic():
        *_, categories, _logistics, _traffic, _people, _contacts = build_organisation(rng)
        # The organisation has 1,000 places (10 a building); add floors 6–10 for 2,000.
        Place.objects.bulk_create(
            [Place(campus_id=b.campus_id, zone_id=b.zone_id, building=b, code=f"{b.code}-{r}",
                   name=f"{r}室", kind=rng.choice(list(Place.Kind.values)))
             for b in Building.objects.order_by("pk")
             for r in (601, 602, 701, 702, 801, 802, 901, 902, 1001, 1002)])
    seconds["organisation"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    admin = User.objects.get(username="office_admin0")
    inspectors = list(User.objects.filter(username__startswith="office_staff").order_by("pk"))
    today = clock.local_today()
    version = services.checklist_import(actor=admin, data=_checklist_data(categories),
                                        publish=True)
    place_ids = list(Place.objects.order_by("pk").values_list("pk", flat=True))
    assert len(place_ids) == PLACES, len(place_ids)
    plan = services.plan_create(
        actor=admin, kind="campaign", name="2026年春季校园安全大检查",
        template_id=version.template_id, place_ids=place_ids,
        starts_on=today - dt.timedelta(days=20), ends_on=today + dt.timedelta(days=10),
        inspector_ids=[u.pk for u in inspectors], description="覆盖全校所有场所")
    small = services.plan_create(
        actor=admin, kind="campaign", name="宿舍专项检查（小）", template_id=version.template_id,
        place_ids=place_ids[:SMALL_PLACES], starts_on=today - dt.timedelta(days=5),
        ends_on=today + dt.timedelta(days=10), inspector_ids=[inspectors[0].pk])
    seconds["plans"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    items = list(version.items.order_by("position", "pk"))
    targets = list(plan.targets.select_related("place").order_by("pk"))
    rng.shuffle(targets)
    n_done = int(len(targets) * SHARE_DONE)
    n_open = int(len(targets) * SHARE_IN_PROGRESS)
    done, running = targets[:n_done], targets[n_done:n_done + n_open]
    now = clock.now()
    inspections = []
    answers: dict[int, list[str]] = {}
    for k, target in enumerate(done + running):
        finished = k < n_done
        started = now - dt.timedelta(days=rng.uniform(0.5, 19.5))
        if finished:
            outcomes = [Outcome.FAILS if rng.random() < FAIL_RATE else
                        Outcome.NOT_APPLICABLE if rng.random() < NA_RATE else Outcome.COMPLIES
                        for _ in items]
        else:
            outcomes = [Outcome.COMPLIES if rng.random() > FAIL_RATE else Outcome.FAILS
                        for _ in range(rng.randrange(5, ITEMS - 5))]
        inspections.append(Inspection(
            kind="office", state="finished" if finished else "in_progress", version=version,
            plan=plan, target=target, campus_id=target.place.campus_id, place=target.place,
            unit_id=target.unit_id, inspector_id=target.inspector_id, started_at=started,
            submitted_at=started + dt.timedelta(hours=1) if finished else None,
            finished_at=started + dt.timedelta(hours=1) if finished else None,
            signer_name="王老师" if finished else "",
            items_total=len(items) if finished else 0,
            items_complied=outcomes.count(Outcome.COMPLIES) if finished else 0,
            items_failed=outcomes.count(Outcome.FAILS) if finished else 0,
            items_not_applicable=outcomes.count(Outcome.NOT_APPLICABLE) if finished else 0))
        answers[k] = outcomes
    Inspection.objects.bulk_create(inspections, batch_size=500)
    results = []
    for k, inspection in enumerate(inspections):
        for item, outcome in zip(items, answers[k], strict=False):
            results.append(InspectionResult(
                inspection=inspection, item=item, outcome=outcome,
                note="现场发现问题，已拍照" if outcome == Outcome.FAILS else "",
                recorded_by_id=inspection.inspector_id,
                recorded_at=inspection.started_at + dt.timedelta(minutes=1),
                place_id=inspection.place_id, item_code=item.code))
    InspectionResult.objects.bulk_create(results, batch_size=2000)
    for target, inspection in zip(done + running, inspections, strict=True):
        if inspection.state == "finished":
            target.coverage = Coverage.DONE
            target.last_inspection = inspection
            target.last_inspected_at = inspection.finished_at
        else:
            target.coverage = Coverage.IN_PROGRESS
    InspectionTarget.objects.bulk_update(
        done + running, ["coverage", "last_inspection", "last_inspected_at"], batch_size=500)
    seconds["inspections"] = time.perf_counter() - t0
    seconds["total"] = sum(seconds.values())
    log(f"{len(inspections):,} inspections, {len(results):,} results")
    return {"places": len(place_ids), "items": len(items), "targets": len(targets),
            "done": n_done, "in_progress": n_open, "inspections": len(inspections),
            "results": len(results), "plan": plan.pk, "small_plan": small.pk,
            "seconds": seconds}


def _signature() -> str:
    """A canvas-like PNG data URL with a stroke, as the signature pad sends it."""
    import base64

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 120), (160, 40), (320, 150), (580, 60)], fill=(0, 0, 0, 255),
                               width=5)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _report_inspection(log) -> tuple[object, float]:
    """One inspection done through the services: 60 results, 10 failures with a photo each,
    signed and released (hazards and the unit's notice). Returns it and the seconds taken."""
    from safecampus.inspections import services
    from safecampus.inspections.models import Coverage, InspectionPlan, Outcome

    rng = random.Random(SEED + 1)
    plan = InspectionPlan.objects.get(name="2026年春季校园安全大检查")
    target = (plan.targets.filter(coverage__in=[Coverage.DUE, Coverage.NEVER], unit__isnull=False)
              .select_related("inspector").order_by("pk").first())
    inspector = target.inspector
    t0 = time.perf_counter()
    inspection = services.inspection_start(actor=inspector, target_id=target.pk)
    items = list(inspection.version.items.order_by("position", "pk"))
    failing = {item.pk for item in rng.sample(items, PHOTOS)}
    for item in items:
        fails = item.pk in failing
        services.result_record(
            actor=inspector, inspection_id=inspection.pk, item_id=item.pk,
            outcome=Outcome.FAILS if fails else Outcome.COMPLIES,
            note="灭火器压力表指针位于红区，需更换" if fails else "")
        if fails:
            services.result_photo_add(actor=inspector, inspection_id=inspection.pk,
                                      item_id=item.pk, upload=_photo(rng, item.pk),
                                      client_id=f"bench-{item.pk}")
    inspection = services.inspection_submit(actor=inspector, inspection_id=inspection.pk,
                                            signer_name="王老师", signature=_signature())
    seconds = time.perf_counter() - t0
    log(f"report inspection {inspection.reference} done through the services in {seconds:.1f} s")
    return inspection, seconds


def _scenarios(ids: dict) -> list[dict]:
    plan, small = f"/inspections/plans/{ids['plan']}/", f"/inspections/plans/{ids['small_plan']}/"

    def q(base, **params):
        return f"{base}?{urlencode(params)}"

    return [
        {"name": "coverage page, page 1", "user": "office", "url": plan, "pair": "p1"},
        {"name": "coverage page, page 20 (rows 951–1,000)", "user": "office",
         "url": q(plan, page=20)},
        {"name": "coverage page, done + one unit", "user": "office",
         "url": q(plan, coverage="done", unit=ids["unit"])},
        {"name": "coverage page, never inspected + text search", "user": "office",
         "url": q(plan, coverage="never", q="301")},
        {"name": "coverage page, one inspector's places", "user": "office",
         "url": q(plan, inspector=ids["inspector"])},
        {"name": "coverage page, as the inspector (Start buttons)", "user": "inspector",
         "url": plan},
        {"name": "coverage page, as a unit's safety contact", "user": "contact", "url": plan},
        {"name": f"coverage page, {SMALL_PLACES}-place campaign", "user": "office", "url": small,
         "pair": "p1", "small": True},
        {"name": "plan list", "user": "office", "url": "/inspections/plans/"},
    ]


def child(args) -> dict:
    reuse = _prepare_environment(args.backend, args.keep)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count
    from django.test import Client

    from benchmarks.generate import analyze
    from safecampus.accounts.models import User
    from safecampus.inspections.documents import inspection_report_pdf_bytes
    from safecampus.inspections.models import Inspection, InspectionPlan

    def log(message: str) -> None:
        print(f"[inspections {args.backend}] {message}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    log(f"migrated in {time.perf_counter() - t0:.1f} s")
    generation = None
    reuse = reuse_or_recreate(
        args.backend, reuse, InspectionPlan.objects.filter(name="2026年春季校园安全大检查").exists,
        log, sqlite_path=SQLITE_PATH, pg_db=PG_DB)
    if not reuse:
        log(f"generating a campaign of {PLACES:,} places × {ITEMS} items …")
        generation = generate(log)
        log("generated in {total:.1f} s ({steps})".format(
            total=generation["seconds"]["total"],
            steps=", ".join(f"{k} {v:.1f} s" for k, v in generation["seconds"].items()
                            if k != "total")))
        report_inspection, report_seconds = _report_inspection(log)
    else:
        log("reusing the generated database (--keep)")
        report_inspection = (Inspection.objects.filter(state="finished", results__photos__isnull=False)
                             .distinct().order_by("-pk").first())
        report_seconds = None
        if report_inspection is None:
            report_inspection, report_seconds = _report_inspection(log)
    analyze()

    plan = InspectionPlan.objects.get(name="2026年春季校园安全大检查")
    small = InspectionPlan.objects.get(name="宿舍专项检查（小）")
    busiest = (plan.targets.values("unit_id").order_by("unit_id")
               .annotate(n=Count("id")).order_by("-n", "unit_id").first())
    inspector = (plan.targets.exclude(inspector__isnull=True).values_list("inspector_id", flat=True)
                 .order_by("inspector_id").first())
    unit_code = plan.targets.filter(unit_id=busiest["unit_id"]).values_list(
        "unit__code", flat=True).first()
    ids = {"plan": plan.pk, "small_plan": small.pk, "unit": busiest["unit_id"],
           "inspector": inspector}
    users = {"office": User.objects.get(username="office_admin0"),
             "inspector": User.objects.get(pk=inspector),
             "contact": User.objects.get(username=f"contact_{unit_code}")}
    if args.renice:
        renice(args.renice, log)
    clients = {}
    for key, user in users.items():
        clients[key] = Client()
        clients[key].force_login(user)

    results = []
    load_before = os.getloadavg()[0]
    for scenario in _scenarios(ids):
        row, response = time_page(clients[scenario["user"]], scenario, warmup=args.warmup,
                                  repeat=args.repeat, log=log, width=50)
        if row["status"] == 200:
            row["bytes"] = len(response.content)
        results.append(row)

    # The report PDF: one untimed build (fonts, templates), then the timed ones.
    report_inspection = Inspection.objects.get(pk=report_inspection.pk)
    photos = sum(r.photos.count() for r in report_inspection.results.all())
    pdf = inspection_report_pdf_bytes(report_inspection)
    pdf_times = []
    for _ in range(args.pdf_repeat):
        report_inspection = Inspection.objects.get(pk=report_inspection.pk)
        start = time.perf_counter()
        pdf = inspection_report_pdf_bytes(report_inspection)
        pdf_times.append(time.perf_counter() - start)
    pdf_row = {"median_s": statistics.median(pdf_times), "p95_s": percentile(pdf_times, 0.95),
               "max_s": max(pdf_times), "samples": len(pdf_times), "bytes": len(pdf),
               "photos": photos, "items": report_inspection.results.count(),
               "done_through_services_s": report_seconds}
    log(f"report PDF ({photos} photos, {len(pdf) / 1024:.0f} KiB): median "
        f"{pdf_row['median_s']:.2f} s, p95 {pdf_row['p95_s']:.2f} s")
    return {"backend": args.backend, "server": server_version(), "generation": generation,
            "reused": reuse, "load": [load_before, os.getloadavg()[0]], "results": results,
            "pdf": pdf_row, "targets": plan.targets.count()}


# ---------------------------------------------------------------------------------------------
# Parent: run the children, print the tables, write docs/benchmarks.md.
# ---------------------------------------------------------------------------------------------
def _run_child(backend: str, args) -> dict:
    options = ["--backend", backend, "--repeat", str(args.repeat), "--warmup", str(args.warmup),
               "--pdf-repeat", str(args.pdf_repeat)]
    if args.keep:
        options.append("--keep")
    if args.renice:
        options += ["--renice", str(args.renice)]
    return run_child(__file__, options)


def _table(run: dict) -> str:
    lines = ["| page | median ms | p95 ms | requests timed | Django CPU ms (median) "
             "| SQL queries |", "|---|---:|---:|---:|---:|---:|"]
    for r in run["results"]:
        if r.get("status") != 200:
            lines.append(f"| {r['name']} | HTTP {r['status']} | | | | |")
            continue
        lines.append(f"| {r['name']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | {r['samples']} "
                     f"| {r['cpu_median_ms']:.1f} | {r['queries']} |")
    p = run["pdf"]
    lines += ["", "| inspection report PDF | median s | p95 s | max s | builds timed | size |",
              "|---|---:|---:|---:|---:|---:|",
              f"| {p['items']} items, {p['photos']} photos | {p['median_s']:.2f} | "
              f"{p['p95_s']:.2f} | {p['max_s']:.2f} | {p['samples']} | "
              f"{p['bytes'] / 1024:.0f} KiB |"]
    return "\n".join(lines)


def _verdicts(run: dict) -> list[str]:
    ok = {True: "met", False: "**missed**"}
    rows = [r for r in run["results"] if r.get("status") == 200]
    out = []
    coverage = [r for r in rows if r["name"].startswith("coverage page") and not r.get("small")]
    if coverage:
        worst = max(coverage, key=lambda r: r["p95_ms"])
        out.append(f"coverage page p95 ≤ {COVERAGE_P95_MS} ms on the {run['targets']:,}-place "
                   f"campaign: {ok[worst['p95_ms'] <= COVERAGE_P95_MS]} (worst: {worst['name']}, "
                   f"{worst['p95_ms']:.1f} ms)")
    pair = [r for r in rows if r.get("pair") == "p1"]
    if len(pair) == 2:
        big, small = (pair[0], pair[1]) if not pair[0].get("small") else (pair[1], pair[0])
        out.append(f"query count independent of the number of places: "
                   f"{ok[big['queries'] == small['queries']]} ({big['queries']} queries for "
                   f"{run['targets']:,} places, {small['queries']} for {SMALL_PLACES})")
    p = run["pdf"]
    out.append(f"report PDF with {p['photos']} photos ≤ {PDF_SECONDS:.0f} s: "
               f"{ok[p['p95_s'] <= PDF_SECONDS]} (p95 {p['p95_s']:.2f} s, median "
               f"{p['median_s']:.2f} s)")
    return out


def _report(runs: list[dict], command: str, args) -> str:
    machine = machine_info()
    lines = [BEGIN, *run_header(command)]
    for run in runs:
        gen = run.get("generation")
        lines += [f"#### {run['server']} — campaign of {run['targets']:,} places × {ITEMS} items",
                  ""]
        if gen:
            lines.append(
                f"Generated {gen['places']:,} places, {gen['inspections']:,} inspections "
                f"({gen['done']:,} finished, {gen['in_progress']:,} in progress) and "
                f"{gen['results']:,} results in {gen['seconds']['total']:.0f} s; whole run "
                f"{run['wall_seconds']:.0f} s ({args.repeat} timed requests per page after "
                f"{args.warmup} warm-up).")
        else:
            lines.append(f"Reused a database generated earlier (`--keep`); whole run "
                         f"{run['wall_seconds']:.0f} s.")
        if run["pdf"].get("done_through_services_s"):
            lines.append(f"The report's inspection (60 results, {run['pdf']['photos']} photos, "
                         f"signed and released) took {run['pdf']['done_through_services_s']:.1f} s "
                         "through the services, photo processing included.")
        lines.append(f"Load average (1 min) when measuring started and ended: "
                     f"{run['load'][0]:.1f} / {run['load'][1]:.1f} on {machine['nproc']} CPUs.")
        lines += ["", _table(run), "", "Targets:", ""]
        lines += [f"- {v}" for v in _verdicts(run)]
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def parent(args) -> None:
    backends = available_backends(backends_for(args.backend))
    runs = []
    for backend in backends:
        run = _run_child(backend, args)
        runs.append(run)
        print_run(f"{run['server']}, campaign of {run['targets']:,} places (load average "
                  f"{run['load'][0]:.1f} → {run['load'][1]:.1f})", _table(run), _verdicts(run))
    if not args.no_doc:
        write_results(_report(runs, command_line(__file__), args), BEGIN, END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per page first")
    parser.add_argument("--pdf-repeat", type=int, default=10, help="timed report PDF builds")
    parser.add_argument("--keep", action="store_true",
                        help="reuse the database generated by an earlier run")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--renice", type=int, default=0, metavar="N",
                        help="measure at nice -N on a shared machine; needs root")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    child_or_parent(parser.parse_args(), child, parent)


if __name__ == "__main__":
    main()
