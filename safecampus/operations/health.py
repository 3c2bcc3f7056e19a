"""Health checks of the running installation, for the operations page and ``/healthz``.

Each ``check_*`` function returns a :class:`Check`: a ``status`` (``ok``, ``warning`` or
``error``), a translated one-line ``message``, label/value ``facts``, optionally a link and
table ``rows``. None of them raises: a part that cannot be asked (the queue's Redis is down)
is itself the finding. Times are aware UTC datetimes, shown in Asia/Shanghai.

- version: SafeCampus's version from the package metadata, and the git commit
  (``SAFECAMPUS_COMMIT``, else read from ``.git`` beside the code when readable).
- database: vendor, server version, round trip of ``SELECT 1`` (ms), size, migrations not
  applied (error).
- queue: huey's backend, whether it answers, pending and scheduled tasks, the consumers seen
  in the last :data:`CONSUMER_SILENT_AFTER` (none: error).
- backup: the latest backup (failed: error; last good one older than
  :data:`BACKUP_OLD_AFTER` or none: warning).
- deliveries: e-mail, SMS, robot and digest messages of the last 7 days pending, retrying or
  failed (failed: warning).
- scheduled work: every periodic task with its schedule in words and its last run (failed:
  error; not started within twice its interval: late, warning).
- reports: safety reports failed (warning) or stuck (error).
"""

import datetime as dt
import importlib.metadata
import sys
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import django
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from huey.contrib.djhuey import HUEY

from safecampus.core import clock
from safecampus.notifications.selectors import delivery_health
from safecampus.reports.selectors import report_problem_counts

from .models import Backup, ScheduledRun, WorkerHeartbeat
from .schedules import periodic_tasks

OK, WARNING, ERROR = "ok", "warning", "error"
_RANK = {OK: 0, WARNING: 1, ERROR: 2}

#: A consumer whose heartbeat is older than this is gone.
CONSUMER_SILENT_AFTER = dt.timedelta(minutes=3)
#: The last good backup older than this is a warning.
BACKUP_OLD_AFTER = dt.timedelta(days=2)
#: Deliveries and failed reports are counted over this many days.
RECENT_DAYS = 7
#: A database round trip slower than this (ms) is a warning.
SLOW_ROUND_TRIP_MS = 200


@dataclass
class Fact:
    """One label/value line of a card; ``kind`` tells the page how to show ``value``:
    ``text``, ``code``, ``time`` (aware datetime, with "x minutes ago"), ``bytes``, ``ms``."""

    label: str
    value: object
    kind: str = "text"


@dataclass
class Check:
    """One health check's finding (see the module's docstring)."""

    key: str
    title: str
    status: str
    message: str
    facts: list[Fact] = field(default_factory=list)
    link_url: str = ""
    link_label: str = ""
    rows: list = field(default_factory=list)


def worst(statuses) -> str:
    """The worst of ``statuses`` (``ok`` when there are none)."""
    return max(statuses, key=_RANK.__getitem__, default=OK)


# --- version ----------------------------------------------------------------------------------
def safecampus_version() -> str:
    """The installed package's version (``pyproject.toml``), ``"?"`` when not installed."""
    try:
        return importlib.metadata.version("safecampus")
    except importlib.metadata.PackageNotFoundError:
        return "?"


def git_commit(base: Path | None = None) -> str:
    """The commit the code runs at, 12 hex digits: ``SAFECAMPUS["COMMIT"]`` (env
    ``SAFECAMPUS_COMMIT``, set by a deployment that ships no ``.git``), else read from the
    ``.git`` folder beside the code (``HEAD``, its branch file or ``packed-refs``: two small
    file reads, no ``git`` process). ``""`` when neither says."""
    configured = str(settings.SAFECAMPUS.get("COMMIT", "") or "").strip()
    if configured:
        return configured[:12]
    git = (base or Path(settings.BASE_DIR)) / ".git"
    try:
        if git.is_file():  # a worktree: "gitdir: <path>"
            git = Path(git.read_text().split(":", 1)[1].strip())
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head[:12]
        ref = head.split(":", 1)[1].strip()
        ref_file = git / ref
        if ref_file.is_file():
            return ref_file.read_text().strip()[:12]
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split(" ", 1)[0][:12]
    except (OSError, IndexError, UnicodeDecodeError):
        return ""
    return ""


def check_version() -> Check:
    version = safecampus_version()
    commit = git_commit()
    facts = [Fact(_("Version"), version, "code")]
    if commit:
        facts.append(Fact(_("Commit"), commit, "code"))
    facts += [Fact("Python", ".".join(str(p) for p in sys.version_info[:3]), "code"),
              Fact("Django", django.get_version(), "code")]
    message = (_("SafeCampus %(version)s at commit %(commit)s") % {"version": version,
                                                                   "commit": commit}
               if commit else _("SafeCampus %(version)s") % {"version": version})
    return Check("version", _("Version"), OK, message, facts)


# --- database ---------------------------------------------------------------------------------
@cache
def _migration_nodes() -> tuple[frozenset, dict]:
    """The migrations on disk as ``(app, name)`` keys and the keys each squashed one replaces
    (read once per process: code on disk does not change under a running server)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    nodes = frozenset(loader.graph.nodes)
    replaces = {key: frozenset(loader.graph.nodes[key].replaces or ()) for key in nodes}
    return nodes, replaces


def unapplied_migrations() -> list[str]:
    """``app.name`` of each migration on disk that the database has not applied (one query)."""
    nodes, replaces = _migration_nodes()
    applied = set(MigrationRecorder(connection).applied_migrations())
    missing = [key for key in nodes
               if key not in applied and not (replaces[key] and replaces[key] <= applied)]
    return sorted(f"{app}.{name}" for app, name in missing)


def _database_facts() -> tuple[str, int | None, float]:
    """``(server version, size in bytes, round trip of SELECT 1 in ms)``."""
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("SELECT 1")
        cursor.fetchone()
        round_trip = (time.perf_counter() - started) * 1000
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_setting('server_version'), "
                           "pg_database_size(current_database())")
            server, size = cursor.fetchone()
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            server = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            size = pages * cursor.fetchone()[0]
        else:
            server, size = "?", None
    return str(server), size, round_trip


def check_database() -> Check:
    title = _("Database")
    vendor = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(connection.vendor,
                                                                   connection.vendor)
    try:
        server, size, round_trip = _database_facts()
        missing = unapplied_migrations()
    except DatabaseError as error:
        return Check("database", title, ERROR, _("The database does not answer: %(error)s")
                     % {"error": error}, [Fact(_("Database"), vendor)])
    facts = [Fact(_("Database"), f"{vendor} {server}"), Fact(_("Round trip"), round_trip, "ms")]
    if size is not None:
        facts.append(Fact(_("Size"), size, "bytes"))
    if missing:
        facts.append(Fact(_("Migrations not applied"), ", ".join(missing[:10]), "code"))
        return Check("database", title, ERROR, ngettext(
            "%(count)s migration is not applied: run “manage.py migrate”.",
            "%(count)s migrations are not applied: run “manage.py migrate”.",
            len(missing)) % {"count": len(missing)}, facts)
    if round_trip > SLOW_ROUND_TRIP_MS:
        return Check("database", title, WARNING, _("The database answers slowly (%(ms)s ms).")
                     % {"ms": round(round_trip)}, facts)
    return Check("database", title, OK, _("%(vendor)s answers in %(ms)s ms; every migration is "
                                          "applied.") % {"vendor": vendor,
                                                         "ms": f"{round_trip:.1f}"}, facts)


# --- queue ------------------------------------------------------------------------------------
def queue_backend() -> str:
    """Huey's storage as the page names it: Redis, SQLite, or memory (tests)."""
    kind = type(HUEY.storage).__name__.removesuffix("Storage")
    return {"Redis": "Redis", "Sqlite": "SQLite", "Memory": _("memory (tests)")}.get(kind, kind)


def consumers_alive(now: dt.datetime | None = None) -> list[WorkerHeartbeat]:
    """The task consumers seen within :data:`CONSUMER_SILENT_AFTER`, most recent first."""
    since = (now or clock.now()) - CONSUMER_SILENT_AFTER
    return list(WorkerHeartbeat.objects.filter(seen_at__gte=since).order_by("-seen_at"))


def check_queue(now: dt.datetime | None = None,
                consumers: list[WorkerHeartbeat] | None = None) -> Check:
    title = _("Task queue")
    facts = [Fact(_("Backend"), queue_backend())]
    try:
        pending, scheduled = HUEY.pending_count(), HUEY.scheduled_count()
    except Exception as error:  # any client error of the backend (Redis down, file locked)
        return Check("queue", title, ERROR, _("The task queue does not answer: %(error)s")
                     % {"error": error}, facts)
    consumers = consumers_alive(now) if consumers is None else consumers
    facts += [Fact(_("Waiting tasks"), pending), Fact(_("Scheduled tasks"), scheduled)]
    for consumer in consumers:
        facts.append(Fact(_("Consumer %(name)s") % {"name": consumer.name}, consumer.seen_at,
                          "time"))
    if not consumers:
        return Check("queue", title, ERROR, _(
            "No task consumer has been seen for 3 minutes: reminders, escalations, "
            "notifications and backups wait. Start it with “manage.py run_huey”."), facts)
    return Check("queue", title, OK, ngettext(
        "%(count)s consumer running; %(pending)s tasks waiting.",
        "%(count)s consumers running; %(pending)s tasks waiting.",
        len(consumers)) % {"count": len(consumers), "pending": pending}, facts)


# --- backup -----------------------------------------------------------------------------------
def _backup_facts(backup: Backup | None) -> list[Fact]:
    if backup is None:
        return []
    facts = [Fact(_("Last good backup"), backup.finished_at or backup.started_at, "time")]
    if backup.archive_name:
        facts.append(Fact(_("Archive"), backup.archive_name, "code"))
    if backup.size_bytes is not None:
        facts.append(Fact(_("Size"), backup.size_bytes, "bytes"))
    if backup.location:
        facts.append(Fact(_("Folder"), backup.location, "code"))
    return facts


def check_backup(now: dt.datetime | None = None) -> Check:
    now = now or clock.now()
    title = _("Backup")
    backups = Backup.objects.filter(kind=Backup.Kind.BACKUP)
    latest = backups.first()
    good = latest if latest and latest.state == Backup.State.DONE else (
        backups.filter(state=Backup.State.DONE).first())
    facts = _backup_facts(good)
    if latest is None:
        hour = int(settings.SAFECAMPUS.get("BACKUP_HOUR", 2))
        return Check("backup", title, WARNING, _(
            "No backup yet. While the task consumer runs, a backup is made every night at "
            "%(time)s (SAFECAMPUS_BACKUP_HOUR sets the hour); press “Back up now” or run "
            "“manage.py backup” for one now.") % {"time": f"{hour:02d}:30"}, facts)
    if latest.state == Backup.State.FAILED:
        facts.insert(0, Fact(_("Failed at"), latest.finished_at or latest.started_at, "time"))
        return Check("backup", title, ERROR, _("The last backup failed: %(reason)s")
                     % {"reason": latest.message or _("no reason recorded")}, facts)
    running = latest.state == Backup.State.RUNNING
    if good is None:
        return Check("backup", title, WARNING, _("The first backup is running."), facts)
    at = good.finished_at or good.started_at
    age_days = (now - at).days
    if now - at > BACKUP_OLD_AFTER:
        message = ngettext("The last good backup is %(days)s day old.",
                           "The last good backup is %(days)s days old.", age_days) % {
            "days": age_days}
        if running:
            message = _("%(message)s A backup is running.") % {"message": message}
        return Check("backup", title, WARNING, message, facts)
    message = _("A backup is running.") if running else _("The last backup is recent.")
    return Check("backup", title, OK, message, facts)


# --- deliveries -------------------------------------------------------------------------------
def check_deliveries(now: dt.datetime | None = None) -> Check:
    rows = delivery_health(since=(now or clock.now()) - dt.timedelta(days=RECENT_DAYS))
    failed = sum(row["failed"] for row in rows)
    waiting = sum(row["pending"] + row["retrying"] for row in rows)
    url = reverse("notifications:deliveries")
    for row in rows:
        row["failed_url"] = url + "?" + urlencode({"channel": row["channel"], "state": "failed"})
    check = Check("deliveries", _("Deliveries"), WARNING if failed else OK, "", rows=rows,
                  link_url=url + "?" + urlencode({"state": "failed"}),
                  link_label=_("Failed deliveries"))
    if failed:
        check.message = ngettext(
            "%(count)s message failed in the last 7 days.",
            "%(count)s messages failed in the last 7 days.", failed) % {"count": failed}
    else:
        check.message = ngettext(
            "No failures in the last 7 days; %(count)s message waiting.",
            "No failures in the last 7 days; %(count)s messages waiting.",
            waiting) % {"count": waiting}
    return check


# --- scheduled work ---------------------------------------------------------------------------
@dataclass
class TaskRow:
    """One periodic task on the page: its registry info, its :class:`ScheduledRun` (None
    before its first recorded run) and ``status``: ``ok``, ``running``, ``never`` (not run
    yet), ``late`` (warning) or ``failed`` (error)."""

    name: str
    function: str
    app: str
    schedule: str
    run: ScheduledRun | None
    status: str

    @property
    def level(self) -> str:
        return {"late": WARNING, "failed": ERROR}.get(self.status, OK)


def _task_status(run: ScheduledRun | None, interval, now, watched_since) -> str:
    if run is not None and run.last_state == ScheduledRun.State.FAILED:
        return "failed"
    started = run.last_started_at if run is not None else None
    reference = started or watched_since
    if interval is not None and reference is not None and now - reference > 2 * interval:
        return "late"
    if started is None:
        return "never"
    return "running" if run.last_state == ScheduledRun.State.RUNNING else "ok"


def check_scheduled(now: dt.datetime | None = None,
                    consumers: list[WorkerHeartbeat] | None = None) -> Check:
    """Every periodic task with its last run. A task that never ran is late only once a
    consumer has been running for twice its interval (a new installation is not late)."""
    now = now or clock.now()
    consumers = consumers_alive(now) if consumers is None else consumers
    watched_since = min((c.started_at for c in consumers), default=None)
    runs = {run.task_name: run for run in ScheduledRun.objects.all()}
    rows = []
    for info in periodic_tasks():
        run = runs.get(info.name)
        rows.append(TaskRow(name=info.name, function=info.function, app=info.app,
                            schedule=info.schedule.describe(), run=run,
                            status=_task_status(run, info.schedule.interval, now,
                                                watched_since)))
    failed = sum(row.status == "failed" for row in rows)
    late = sum(row.status == "late" for row in rows)
    status = worst(row.level for row in rows)
    if failed or late:
        message = _("%(count)s periodic tasks: %(failed)s failed, %(late)s late.") % {
            "count": len(rows), "failed": failed, "late": late}
    else:
        message = _("%(count)s periodic tasks, none failed or late.") % {"count": len(rows)}
    return Check("scheduled", _("Scheduled work"), status, message, rows=rows)


# --- reports ----------------------------------------------------------------------------------
def check_reports(now: dt.datetime | None = None) -> Check:
    now = now or clock.now()
    counts = report_problem_counts(failed_since=now - dt.timedelta(days=RECENT_DAYS), now=now)
    url = reverse("reports:list")
    facts = [Fact(_("Failed in the last 7 days"), counts["failed"]),
             Fact(_("Stuck"), counts["stuck"])]
    if counts["stuck"]:
        return Check("reports", _("Safety work reports"), ERROR, ngettext(
            "%(count)s report is stuck: the sweep that marks them failed is not running.",
            "%(count)s reports are stuck: the sweep that marks them failed is not running.",
            counts["stuck"]) % {"count": counts["stuck"]}, facts, url,
            _("All safety work reports"))
    if counts["failed"]:
        return Check("reports", _("Safety work reports"), WARNING, ngettext(
            "%(count)s report failed in the last 7 days.",
            "%(count)s reports failed in the last 7 days.",
            counts["failed"]) % {"count": counts["failed"]}, facts,
            url + "?" + urlencode({"state": "failed"}), _("Failed reports"))
    return Check("reports", _("Safety work reports"), OK,
                 _("No report failed or stuck in the last 7 days."), facts, url,
                 _("All safety work reports"))


# --- all --------------------------------------------------------------------------------------
HEADLINES = {OK: gettext_lazy("Everything is working."),
             WARNING: gettext_lazy("Something needs attention."),
             ERROR: gettext_lazy("Something is broken.")}


def health_checks(now: dt.datetime | None = None) -> dict:
    """Every check, for the operations page: ``{"status": worst status, "headline":
    translated sentence, "checks": [Check, …], "checked_at": aware datetime}``."""
    now = now or clock.now()
    consumers = consumers_alive(now)
    checks = [check_version(), check_database(), check_queue(now, consumers), check_backup(now),
              check_deliveries(now), check_reports(now), check_scheduled(now, consumers)]
    status = worst(check.status for check in checks)
    return {"status": status, "headline": str(HEADLINES[status]), "checks": checks,
            "checked_at": now}


def alive() -> bool:
    """For ``/healthz``: True when the database answers ``SELECT 1`` and the task queue
    answers (its pending count). Never raises."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        HUEY.pending_count()
    except Exception:  # whatever the client library raises, the answer is "no"
        return False
    return True
