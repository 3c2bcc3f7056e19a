#!/usr/bin/env python
"""Benchmark generating a safety work report (安全工作月报) of one month: figures, charts,
PDF and Word document, each timed on its own, and the whole generation.

Usage (from the repository root; ``make bench`` runs the first line)::

    .venv/bin/python benchmarks/reports.py                   # PostgreSQL if DATABASE_URL says so
    .venv/bin/python benchmarks/reports.py --backend both
    .venv/bin/python benchmarks/reports.py --backend sqlite --hazards 20000 --no-doc

Each backend gets a database of its own (``var/bench/reports-<N>.sqlite3``; PostgreSQL
database ``safecampus_bench_reports_<N>`` on the server of ``BENCH_PG_URL``), migrated and
filled in a child process with the hazard benchmark data of ``benchmarks/generate.py``
(``--hazards``, 50,000 by default: two years of reports over 4 campuses and 30 units).

Timed for the last complete month, for the whole university and for the first campus, in the
whole-office view the scheduled reports use: reading the figures (``report_figures``: the
cockpit's figures and tables computed without cache, and hazards closed per month), building
the content, drawing the three charts (matplotlib, 150 dpi), writing the PDF (WeasyPrint)
and the Word document (python-docx), and the whole generation (``report_build``: the steps
plus the progress writes and saving both files). Medians of ``--repeat`` runs (5), SQL
counts of the figures, and the file sizes are printed and written between the markers in
``docs/benchmarks.md`` (unless ``--no-doc``). Target: a monthly report in ≤ 10 s.
"""

import argparse
import os
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

BEGIN = "<!-- bench-reports:begin (written by benchmarks/reports.py) -->"
END = "<!-- bench-reports:end -->"
DEFAULT_HAZARDS = 50_000
TARGET_MS = 10_000.0


def _paths(hazards: int) -> tuple[Path, str]:
    return BENCH_VAR / f"reports-{hazards}.sqlite3", f"safecampus_bench_reports_{hazards}"


def child(args) -> dict:
    sqlite_path, pg_db = _paths(args.hazards)

    def matches() -> bool:
        from safecampus.hazards.models import Hazard

        return Hazard.objects.count() == args.hazards

    def make(log) -> dict:
        from benchmarks.generate import generate

        log(f"generating {args.hazards:,} hazards …")
        started = time.perf_counter()
        generate(args.hazards, log=log)
        return {"hazards": args.hazards, "seconds": time.perf_counter() - started}

    log, generation = child_setup(args, "reports", sqlite_path=sqlite_path, pg_db=pg_db,
                                  matches=matches, generate=make)
    from django.conf import settings
    from django.utils import translation

    from safecampus.dashboards.periods import PeriodKind, last_complete_period
    from safecampus.hazards.models import Hazard
    from safecampus.organisation.models import Campus
    period = last_complete_period(PeriodKind.MONTH)
    campus = Campus.objects.order_by("sort_order", "id").first()
    results = []
    translation.activate(settings.LANGUAGE_CODE)
    for scope, campus_id in (("whole university", None), (campus.name, campus.pk)):
        results.append(_measure(scope, campus_id, period, args.repeat, log))
    return {"backend": args.backend, "server": server_version(), "generation": generation,
            "hazards": Hazard.objects.count(), "period": period.key, "results": results,
            "load": os.getloadavg()[0]}


def _measure(scope: str, campus_id, period, repeat: int, log) -> dict:
    """Time each step of one report (``campus_id`` None: the university)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from safecampus.core import clock
    from safecampus.hazards.models import Hazard
    from safecampus.reports import documents, services
    from safecampus.reports.content import report_content
    from safecampus.reports.models import SafetyReport
    from safecampus.reports.selectors import report_figures

    month_hazards = Hazard.objects.filter(reported_at__gte=period.start,
                                          reported_at__lt=period.end)
    if campus_id:
        month_hazards = month_hazards.filter(campus_id=campus_id)
    with CaptureQueriesContext(connection) as queries:
        read = report_figures(period=period, campus_id=campus_id)
    steps = {}

    def step(name, call):
        times, cpu = timed(call, repeat)
        steps[name] = summary(times, cpu)
        log(f"{scope:<18} {name:<10} median {steps[name]['median_ms']:8.1f} ms")

    def content():
        return report_content(kind=period.kind, period=period, campus_id=campus_id,
                              figures=read["figures"], tables=read["tables"],
                              closed_trend=read["closed"])

    def whole():
        report = SafetyReport.objects.create(
            kind=period.kind, period_first=period.first, period_last=period.last,
            period_key=period.key, campus_id=campus_id)
        done = services.report_build(report_id=report.pk)
        assert done.state == SafetyReport.State.DONE, done.error

    step("figures", lambda: report_figures(period=period, campus_id=campus_id))
    step("content", content)
    built = content()
    step("charts", lambda: documents.chart_pngs(built))
    pngs = documents.chart_pngs(built)
    at = clock.now()
    step("PDF", lambda: documents.report_pdf(built, pngs, generated_at=at))
    step("Word", lambda: documents.report_docx(built, pngs, generated_at=at))
    pdf = documents.report_pdf(built, pngs, generated_at=at)
    docx = documents.report_docx(built, pngs, generated_at=at)
    step("whole", whole)
    return {"scope": scope, "hazards_in_month": month_hazards.count(),
            "queries": len(queries), "steps": steps,
            "pdf_kib": len(pdf) / 1024, "docx_kib": len(docx) / 1024}


STEPS = ("figures", "content", "charts", "PDF", "Word", "whole")


def _table(run: dict) -> str:
    lines = ["| scope | hazards in the month | figures SQL | " + " | ".join(
        f"{s} ms" for s in STEPS) + " | PDF KiB | Word KiB |",
             "|---|---:|---:|" + "---:|" * len(STEPS) + "---:|---:|"]
    for r in run["results"]:
        cells = " | ".join(f"{r['steps'][s]['median_ms']:.0f}" for s in STEPS)
        lines.append(f"| {r['scope']} | {r['hazards_in_month']:,} | {r['queries']} | {cells} | "
                     f"{r['pdf_kib']:.0f} | {r['docx_kib']:.0f} |")
    return "\n".join(lines)


def _verdicts(run: dict) -> list[str]:
    worst = max(run["results"], key=lambda r: r["steps"]["whole"]["median_ms"])
    ms = worst["steps"]["whole"]["median_ms"]
    return [f"a monthly report ≤ {TARGET_MS / 1000:.0f} s: "
            f"{'met' if ms <= TARGET_MS else 'NOT met'} (slowest: {worst['scope']}, median "
            f"{ms / 1000:.1f} s, max {worst['steps']['whole']['max_ms'] / 1000:.1f} s)"]


def _report(runs: list[dict], command: str) -> str:
    lines = [BEGIN, "## Reports: generating a monthly safety work report", "",
             *run_header(command),
             "The last complete month, for the whole university and for one campus, in the "
             "whole-office view of the scheduled reports. *figures*: the cockpit's figures and "
             "tables computed without cache, plus hazards closed per month (SQL: the statements "
             "of one read); *content*: texts and tables; *charts*: three matplotlib PNGs at "
             "150 dpi with the CJK font; *PDF*: WeasyPrint, A4, fonts embedded; *Word*: "
             "python-docx; *whole*: `report_build` (all of it, the progress writes and saving "
             "both files). Medians of a few runs in ms; wall times on a shared machine (see "
             "the load average).", ""]
    for run in runs:
        lines += [f"### {run['server']} — {run['hazards']:,} hazards, month {run['period']}", ""]
        gen = run.get("generation")
        lines.append(f"Generated {gen['hazards']:,} hazards in {gen['seconds']:.0f} s." if gen
                     else "Reused a database generated earlier (`--keep`).")
        lines.append(f"Load average at the end {run['load']:.1f}.")
        lines += ["", _table(run), ""] + [f"- {v}" for v in _verdicts(run)] + [""]
    lines.append(END)
    return "\n".join(lines)


def parent(args) -> None:
    run_backends(__file__, args, ["--hazards", str(args.hazards), "--repeat", str(args.repeat)],
                 title=lambda run: f"{run['server']}, {run['hazards']:,} hazards",
                 table=_table, verdicts=_verdicts, report=_report, begin=BEGIN, end=END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_backend_argument(parser)
    parser.add_argument("--hazards", type=int, default=DEFAULT_HAZARDS)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per step")
    add_run_arguments(parser)
    child_or_parent(parser.parse_args(), child, parent)


if __name__ == "__main__":
    main()
