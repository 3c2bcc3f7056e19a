"""What the benchmark scripts share (``run.py``, ``inspections.py``, ``patrols.py``).

* the benchmark databases: :func:`prepare_environment` points Django at a SQLite file under
  ``var/bench/`` or a PostgreSQL database on ``BENCH_PG_URL`` (recreated unless ``keep``);
  :func:`pg_up`, :func:`available_backends`;
* timing: :func:`timed` (wall and CPU milliseconds of repeated calls), :func:`summary`
  (median, nearest-rank p95, max, samples, CPU median), :func:`percentile`,
  :func:`time_page` (warm-up, timed requests, one more under ``CaptureQueriesContext`` for
  the SQL count), :func:`renice`;
* the run: :func:`add_run_arguments` (the options every script takes),
  :func:`add_backend_argument`, :func:`run_backends` (a parent's whole run), :func:`backends_for`,
  :func:`reuse_or_recreate` (a kept database that is not the benchmark's is emptied),
  :func:`run_child` (one backend per child process, its result as JSON),
  :func:`child_or_parent`, :func:`server_version`, :func:`machine_info`, :func:`run_header`,
  :func:`print_run`, :func:`command_line`, and :func:`write_doc` / :func:`write_results` (the
  block between a script's markers in ``docs/benchmarks.md``).
"""

import argparse
import json
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "var" / "bench"
DOC = ROOT / "docs" / "benchmarks.md"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


# --- databases -------------------------------------------------------------------------------
def pg_admin_dsn(dbname: str = "postgres") -> str:
    return f"{PG_URL.rstrip('/')}/{dbname}"


def pg_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(pg_admin_dsn(), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() \
            is not None


def pg_recreate(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def pg_up() -> bool:
    host_port = PG_URL.split("@")[-1].split("/")[0]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 5432)), timeout=2):
            return True
    except OSError:
        return False


def prepare_environment(backend: str, *, sqlite_path: Path, pg_db: str, keep: bool) -> bool:
    """Point Django at the benchmark database (``sqlite_path`` or PostgreSQL ``pg_db``);
    True when an existing one may be reused (``keep``), else it is emptied."""
    (BENCH_VAR / "staticfiles").mkdir(parents=True, exist_ok=True)  # whitenoise wants it
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    os.environ["SAFECAMPUS_VAR_DIR"] = str(BENCH_VAR)
    os.environ.pop("REDIS_URL", None)
    if backend == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{sqlite_path}"
        if keep and sqlite_path.exists():
            return True
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        return False
    os.environ["DATABASE_URL"] = pg_admin_dsn(pg_db)
    if keep and pg_exists(pg_db):
        return True
    pg_recreate(pg_db)
    return False


def child_setup(args, name: str, *, sqlite_path: Path, pg_db: str, matches, generate):
    """The start of every benchmark child process: point Django at the benchmark database
    (:func:`prepare_environment`), ``django.setup()``, migrate, keep the database when
    ``--keep`` and ``matches()`` says it holds this benchmark's data (else empty it and call
    ``generate(log)``), then ``ANALYZE``. ``matches`` and ``generate`` import their models
    themselves (Django is set up only here). Returns ``(log, generation)``: ``log(message)``
    prints ``[name backend] message`` on stderr; ``generation`` is what ``generate``
    returned, None when the database was reused."""
    reuse = prepare_environment(args.backend, sqlite_path=sqlite_path, pg_db=pg_db,
                                keep=args.keep)
    import django

    django.setup()
    from django.core.management import call_command

    from benchmarks.generate import analyze

    def log(message: str) -> None:
        print(f"[{name} {args.backend}] {message}", file=sys.stderr, flush=True)

    call_command("migrate", interactive=False, verbosity=0)
    reuse = reuse_or_recreate(args.backend, reuse, matches, log, sqlite_path=sqlite_path,
                              pg_db=pg_db)
    generation = None if reuse else generate(log)
    analyze()
    return log, generation


def backends_for(choice: str) -> list[str]:
    """The backends ``--backend choice`` names: ``both`` is SQLite and PostgreSQL, ``auto``
    PostgreSQL when ``DATABASE_URL`` points at it (else SQLite)."""
    if choice == "auto":
        url = os.environ.get("DATABASE_URL", "")
        return ["postgres"] if url.startswith(("postgres://", "postgresql://")) else ["sqlite"]
    return ["sqlite", "postgres"] if choice == "both" else [choice]


def reuse_or_recreate(backend: str, reuse: bool, matches, log, *, sqlite_path: Path, pg_db: str,
                      reason: str = "existing database is not this benchmark's") -> bool:
    """After ``migrate``: True when the kept database may be reused (``reuse`` and
    ``matches()``); otherwise one that was kept is emptied and migrated again (logged with
    ``reason``) and False is returned."""
    from django.core.management import call_command
    from django.db import connection

    if reuse and not matches():
        log(f"{reason}: regenerating")
        connection.close()
        prepare_environment(backend, sqlite_path=sqlite_path, pg_db=pg_db, keep=False)
        call_command("migrate", interactive=False, verbosity=0)
        return False
    return reuse


def available_backends(backends: list[str]) -> list[str]:
    """``backends`` without PostgreSQL when it does not answer (said on stderr); exits when
    nothing is left."""
    if "postgres" in backends and not pg_up():
        print(f"PostgreSQL does not answer at {PG_URL}: PostgreSQL run skipped", file=sys.stderr)
        backends.remove("postgres")
        if not backends:
            sys.exit(1)
    return backends


# --- timing ----------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0…1) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def timed(call, repeat: int, *, before=None, after=None, budget: float | None = None,
          min_samples: int = 0) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``repeat`` calls of ``call`` (``before`` and ``after``
    run untimed around each). With ``budget`` (seconds) timing stops once ``min_samples``
    calls are timed and the budget is spent."""
    times, cpu = [], []
    budget_ends = time.perf_counter() + budget if budget is not None else None
    for _ in range(repeat):
        if before is not None:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        if after is not None:
            after()
        if (budget_ends is not None and len(times) >= min_samples
                and time.perf_counter() > budget_ends):
            break  # a very slow page: enough samples for a median, keep the run short
    return times, cpu


def summary(times: list[float], cpu: list[float]) -> dict:
    """``median_ms``, ``p95_ms``, ``max_ms``, ``samples`` and ``cpu_median_ms`` of
    :func:`timed`'s lists."""
    return {"median_ms": statistics.median(times), "p95_ms": percentile(times, 0.95),
            "max_ms": max(times), "samples": len(times), "cpu_median_ms": statistics.median(cpu)}


def time_page(client, scenario: dict, *, warmup: int, repeat: int, log,
              width: int = 50) -> tuple[dict, object]:
    """Request ``scenario["url"]`` ``warmup`` times untimed, ``repeat`` times timed and once
    more counting its SQL queries. Returns the result row (the scenario with ``status``,
    :func:`summary` and ``queries``; only ``status`` when the page does not answer 200) and
    the last warm-up response."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(scenario["url"])
    if response.status_code != 200:
        log(f"{scenario['name']}: HTTP {response.status_code} for {scenario['url']}")
        return {**scenario, "status": response.status_code}, response
    times, cpu = timed(lambda: client.get(scenario["url"]), repeat)
    with CaptureQueriesContext(connection) as captured:
        client.get(scenario["url"])
    row = {**scenario, "status": 200, **summary(times, cpu), "queries": len(captured)}
    log(f"{scenario['name']:<{width}} median {row['median_ms']:7.1f} ms  p95 "
        f"{row['p95_ms']:7.1f} ms  cpu {row['cpu_median_ms']:6.1f} ms  "
        f"{row['queries']:3d} queries")
    return row, response


def renice(level: int, log) -> None:
    """Run this process at nice ``-level`` so that other work on a shared machine disturbs
    the timings less. Linux schedules by session first (autogroup), so the session's
    autogroup is raised too. Needs the right to raise priority; the PostgreSQL server keeps
    its own priority (its share of a request may still wait for a CPU)."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, -level)
        autogroup = Path("/proc/self/autogroup")
        if autogroup.exists():
            autogroup.write_text(str(-level))
    except OSError as error:
        log(f"cannot raise the priority: {error}")
        return
    log(f"measuring at nice -{level}")


# --- the run ---------------------------------------------------------------------------------
def add_run_arguments(parser, *, keep: bool = True) -> None:
    """The options every script takes after its own: ``--keep`` (unless ``keep`` is False),
    ``--no-doc``, and the hidden ``--child`` and ``--out`` of :func:`run_child`."""
    if keep:
        parser.add_argument("--keep", action="store_true",
                            help="reuse the database generated by an earlier run")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)


def add_backend_argument(parser) -> None:
    """``--backend``: auto (PostgreSQL when DATABASE_URL points at it), sqlite, postgres or
    both."""
    parser.add_argument("--backend", choices=["auto", "sqlite", "postgres", "both"],
                        default="auto", help="auto: PostgreSQL when DATABASE_URL points at it")


def run_backends(script: str, args, options: list[str], *, title, table, verdicts, report,
                 begin: str, end: str) -> list[dict]:
    """A parent's run: ``script`` in one child per available backend of ``args.backend``
    with ``options`` (and ``--keep`` when asked), each run printed (``title(run)``,
    ``table(run)``, ``verdicts(run)``), then ``report(runs, command)`` written between
    ``begin`` and ``end`` in ``docs/benchmarks.md`` unless ``--no-doc``. Returns the runs."""
    runs = []
    for backend in available_backends(backends_for(args.backend)):
        run = run_child(script, ["--backend", backend, *options,
                                 *(["--keep"] if getattr(args, "keep", False) else [])])
        runs.append(run)
        print_run(title(run), table(run), verdicts(run))
    if not args.no_doc:
        write_results(report(runs, command_line(script)), begin, end)
    return runs


def run_child(script: str, options: list[str]) -> dict:
    """Run ``script --child <options>`` in a process of its own and return what it measured
    (with ``wall_seconds``)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [sys.executable, str(Path(script).resolve()), "--child", *options, "--out", str(out)]
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT)
    data = json.loads(out.read_text())
    out.unlink()
    data["wall_seconds"] = time.perf_counter() - started
    return data


def child_or_parent(args, child, parent) -> None:
    """In a child (``--child``) measure and write the result to ``--out``; else run
    ``parent``."""
    if args.child:
        data = child(args)
        Path(args.out).write_text(json.dumps(data, default=str))
    else:
        parent(args)


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def machine_info() -> dict:
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import django

    return {"nproc": os.cpu_count(), "memory": memory, "cpu": cpu,
            "python": platform.python_version(), "django": django.get_version(),
            "os": platform.platform()}


def run_header(command: str) -> list[str]:
    """The lines that open a report block: when and how it ran, and on what machine."""
    machine = machine_info()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [f"Run on {now}: `{command}`", "",
            f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory']} memory, "
            f"Python {machine['python']}, Django {machine['django']}.", ""]


def print_run(title: str, table: str, verdicts: list[str]) -> None:
    """Print one backend's run: its title, its table and its verdicts."""
    print(f"\n== {title} ==")
    print(table)
    for verdict in verdicts:
        print(f"- {verdict}")


def command_line(script: str) -> str:
    """How ``script`` was called, as a report names it (``benchmarks/x.py --option …``)."""
    return (f"benchmarks/{Path(script).name} " + " ".join(sys.argv[1:])).strip()


def write_results(block: str, begin: str, end: str) -> None:
    """:func:`write_doc`, and say so."""
    write_doc(block, begin, end)
    print(f"\nResults written to {DOC.relative_to(ROOT)}")


def write_doc(block: str, begin: str, end: str) -> None:
    """Put ``block`` between ``begin`` and ``end`` in ``docs/benchmarks.md`` (appended, with
    the file created, when the markers are not there yet)."""
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        DOC.write_text(head + block + rest.split(end, 1)[1])
    else:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(text.rstrip() + "\n\n" + block + "\n")
