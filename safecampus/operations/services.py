"""Writes of the operations app: the record of periodic task runs, the consumers' heartbeat
and the "back up now" request of the operations page.

The recording functions are called by the task consumer (``tasks/health.py``) around every
periodic task, from several worker threads and possibly several consumers at once: each is
one or two statements in a short transaction of its own, race-safe (``INSERT … ON CONFLICT``
on the unique task name and consumer name, counters as ``F()`` increments), and never reads
a row to write it back. Times are aware UTC datetimes (:func:`safecampus.core.clock.now`).
"""

import datetime as dt
import logging

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from safecampus.core import clock
from safecampus.core.errors import Conflict, perm_require

from .models import Backup, ScheduledRun, WorkerHeartbeat

logger = logging.getLogger(__name__)

#: Characters of an error kept on a ScheduledRun (the consumer's log has the traceback).
ERROR_MAX_CHARS = 500
#: A consumer silent for this long is forgotten by the heartbeat task.
HEARTBEAT_FORGET_AFTER = dt.timedelta(days=7)
#: A backup still "running" after this long is taken as dead (killed worker), not running.
BACKUP_RUNNING_LIMIT = dt.timedelta(hours=6)
#: Seconds after a "back up now" during which another one is refused as a double tap.
BACKUP_REQUEST_GAP_SECONDS = 60
BACKUP_REQUEST_CACHE_KEY = "operations:backup-requested"


def short_error(error: BaseException | str) -> str:
    """``error`` as one line of at most :data:`ERROR_MAX_CHARS` characters:
    ``"ExceptionName: message"`` for an exception, the text itself for a string."""
    if isinstance(error, BaseException):
        text = str(error).strip()
        text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    else:
        text = str(error).strip()
    text = " ".join(text.split())
    return text if len(text) <= ERROR_MAX_CHARS else text[:ERROR_MAX_CHARS - 1] + "…"


def scheduled_run_started(*, task_name: str, at: dt.datetime | None = None) -> dict | None:
    """Record that periodic task ``task_name`` (huey's ``module.name``) started at ``at``
    (aware; default now): ``last_started_at`` and state ``running``, creating its row on the
    first run (an upsert: two consumers starting it at once leave one row).

    Returns the previous ``{"last_started_at", "last_state"}`` (None before the first run),
    for :func:`scheduled_run_skipped` when the run turns out not to happen."""
    at = at or clock.now()
    with transaction.atomic():
        previous = (ScheduledRun.objects.filter(task_name=task_name)
                    .values("last_started_at", "last_state").first())
        ScheduledRun.objects.bulk_create(
            [ScheduledRun(task_name=task_name, last_started_at=at,
                          last_state=ScheduledRun.State.RUNNING)],
            update_conflicts=True, unique_fields=["task_name"],
            update_fields=["last_started_at", "last_state"])
    return previous


def _finish(task_name: str, **changes) -> None:
    with transaction.atomic():
        if not ScheduledRun.objects.filter(task_name=task_name).update(**changes):
            # Its start was not recorded (the recorder came up mid-run, or the row was
            # deleted): create the row, then count the run on it.
            ScheduledRun.objects.bulk_create([ScheduledRun(task_name=task_name)],
                                             ignore_conflicts=True)
            ScheduledRun.objects.filter(task_name=task_name).update(**changes)


def scheduled_run_done(*, task_name: str, duration_ms: int | None,
                       at: dt.datetime | None = None) -> None:
    """Record that a run of ``task_name`` ended well at ``at`` (default now) after
    ``duration_ms`` milliseconds: state ``done``, error cleared, ``runs`` + 1."""
    _finish(task_name, last_finished_at=at or clock.now(), last_state=ScheduledRun.State.DONE,
            last_duration_ms=duration_ms, last_error="", runs=F("runs") + 1)


def scheduled_run_failed(*, task_name: str, error: BaseException | str,
                         duration_ms: int | None, at: dt.datetime | None = None) -> None:
    """Record that a run of ``task_name`` failed at ``at`` (default now): state ``failed``,
    ``last_error`` the short reason (:func:`short_error`), ``failures`` + 1. ``runs`` counts
    the runs that ended well only."""
    _finish(task_name, last_finished_at=at or clock.now(), last_state=ScheduledRun.State.FAILED,
            last_duration_ms=duration_ms, last_error=short_error(error),
            failures=F("failures") + 1)


def scheduled_run_skipped(*, task_name: str, started_at: dt.datetime,
                          previous: dict | None) -> None:
    """A run recorded as started at ``started_at`` did not happen (another run held its lock,
    or it was cancelled): put back the ``previous`` start and state, unless a later run has
    started since."""
    if previous is None:
        previous = {"last_started_at": None, "last_state": ""}
    with transaction.atomic():
        ScheduledRun.objects.filter(task_name=task_name, last_started_at=started_at).update(
            last_started_at=previous["last_started_at"], last_state=previous["last_state"])


def worker_heartbeat(*, name: str, started_at: dt.datetime,
                     at: dt.datetime | None = None) -> None:
    """Record that task consumer ``name`` (``host:pid``, cut to 150 characters), running since
    ``started_at``, is alive at ``at`` (default now): one upsert. Consumers silent for
    :data:`HEARTBEAT_FORGET_AFTER` are deleted on the way."""
    at = at or clock.now()
    with transaction.atomic():
        WorkerHeartbeat.objects.bulk_create(
            [WorkerHeartbeat(name=name[:150], started_at=started_at, seen_at=at)],
            update_conflicts=True, unique_fields=["name"],
            update_fields=["started_at", "seen_at"])
        WorkerHeartbeat.objects.filter(seen_at__lt=at - HEARTBEAT_FORGET_AFTER).delete()


def backup_request(*, actor) -> None:
    """Queue a backup now (the task ``operations.tasks.backup.backup_now``) for ``actor``,
    who needs ``operations.run_backup``; the task is sent when the transaction commits.

    Raises :class:`~safecampus.core.errors.NotAllowed` without the permission and
    :class:`~safecampus.core.errors.Conflict` while a backup started less than
    :data:`BACKUP_RUNNING_LIMIT` ago is still running, or when one was asked for less than
    :data:`BACKUP_REQUEST_GAP_SECONDS` ago (a double tap or a resent form queues one: the
    shared cache's atomic ``add`` decides between concurrent requests)."""
    perm_require(actor, "operations.run_backup")
    since = clock.now() - BACKUP_RUNNING_LIMIT
    if Backup.objects.filter(kind=Backup.Kind.BACKUP, state=Backup.State.RUNNING,
                             started_at__gte=since).exists():
        raise Conflict(_("A backup is running already; it appears below when it is done."),
                       code="backup_running")
    if not cache.add(BACKUP_REQUEST_CACHE_KEY, actor.pk, timeout=BACKUP_REQUEST_GAP_SECONDS):
        raise Conflict(_("A backup was asked for a moment ago; it appears below when it is "
                         "done."), code="backup_requested")
    from .tasks.backup import backup_now

    transaction.on_commit(lambda: backup_now(requested_by_id=actor.pk))
