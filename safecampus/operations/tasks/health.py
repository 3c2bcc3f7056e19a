"""The consumers' heartbeat and the record of each periodic task's runs.

- :func:`record_periodic_run` is a huey signal handler, connected when the consumer imports
  the tasks modules (``run_huey`` imports every app's ``tasks``). For every periodic task of
  any app it writes the task's :class:`~safecampus.operations.models.ScheduledRun` (by
  huey's name ``module.function``): *executing* → started, running; *complete* → done, with
  the duration, runs + 1; *error*, *timeout* or *interrupted* → failed with the short
  reason, failures + 1; *locked* or *canceled* (the run did not happen) → the previous
  start and state put back. A failure to record is logged and never affects the task.
- :func:`consumer_heartbeat` (every minute) records this consumer, ``host:pid``, as a
  :class:`~safecampus.operations.models.WorkerHeartbeat`; the operations page counts the
  consumers seen in the last 3 minutes.
"""

import logging
import os
import socket
import threading
import time

from django.conf import settings
from django.db import close_old_connections
from django.utils import translation
from django.utils.translation import gettext as _
from huey import crontab
from huey import signals as S
from huey.api import PeriodicTask
from huey.contrib.djhuey import HUEY, db_periodic_task

from safecampus.core import clock

from .. import services

logger = logging.getLogger(__name__)

#: When this process (the consumer) imported its tasks: its start, as the heartbeat says.
PROCESS_STARTED_AT = clock.now()

_ENDED_WELL = {S.SIGNAL_COMPLETE}
_ENDED_BADLY = {S.SIGNAL_ERROR, S.SIGNAL_TIMEOUT, S.SIGNAL_INTERRUPTED}
_DID_NOT_RUN = {S.SIGNAL_LOCKED, S.SIGNAL_CANCELED}
_SIGNALS = (S.SIGNAL_EXECUTING, *_ENDED_WELL, *_ENDED_BADLY, *_DID_NOT_RUN)

# task id → (monotonic start, recorded start, previous start and state); only this process's
# worker threads touch it, one task id each.
_in_flight: dict[str, tuple[float, object, dict | None]] = {}
_in_flight_lock = threading.Lock()


def task_name(task) -> str:
    """Huey's registry name of ``task`` (``safecampus.hazards.tasks.deadline_sweep``)."""
    return HUEY._registry.task_to_string(type(task))


def consumer_name() -> str:
    """This process as a task consumer: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _reason(signal: str, exc) -> BaseException | str:
    """Why a run failed: the exception, or (timeout, interrupted) a sentence in the site
    language, as the page shows it."""
    if exc is not None:
        return exc
    with translation.override(settings.LANGUAGE_CODE):
        if signal == S.SIGNAL_TIMEOUT:
            return _("Timed out")
        return _("Interrupted: the task consumer stopped during the run")


def _record(signal: str, task, exc) -> None:
    name = task_name(task)
    if signal == S.SIGNAL_EXECUTING:
        started_at = clock.now()
        previous = services.scheduled_run_started(task_name=name, at=started_at)
        with _in_flight_lock:
            _in_flight[task.id] = (time.monotonic(), started_at, previous)
        return
    with _in_flight_lock:
        started = _in_flight.pop(task.id, None)
    duration_ms = round((time.monotonic() - started[0]) * 1000) if started else None
    if signal in _ENDED_WELL:
        services.scheduled_run_done(task_name=name, duration_ms=duration_ms)
    elif signal in _ENDED_BADLY:
        services.scheduled_run_failed(task_name=name, error=_reason(signal, exc),
                                      duration_ms=duration_ms)
    elif started is not None:  # locked or canceled: this run did not happen
        services.scheduled_run_skipped(task_name=name, started_at=started[1],
                                       previous=started[2])


@HUEY.signal(*_SIGNALS)
def record_periodic_run(signal: str, task, exc=None, *args, **kwargs) -> None:
    """Huey signal handler: record ``task``'s run when it is a periodic task (see the module's
    docstring). Never raises: a database problem while recording is logged as a warning."""
    if not isinstance(task, PeriodicTask):
        return
    try:
        if not HUEY.immediate:
            # This worker thread's connection may have been idle past its age or broken.
            close_old_connections()
        _record(signal, task, exc)
    except Exception:  # the task's own work must not depend on its record
        logger.warning("Could not record the %s signal of %s", signal, task, exc_info=True)


@db_periodic_task(crontab(minute="*"))
def consumer_heartbeat() -> None:
    """Every minute: this consumer is alive (``host:pid``, running since it started)."""
    services.worker_heartbeat(name=consumer_name(), started_at=PROCESS_STARTED_AT)
