"""Backups in the background: the nightly archive and the operations page's "back up now".

Both call :func:`safecampus.operations.backup.run_backup` (the same service as
``manage.py backup``), so every run leaves one :class:`~safecampus.operations.models.Backup`
row, ``done`` or ``failed`` with the reason.

- :func:`nightly_backup`: every day at SAFECAMPUS["BACKUP_HOUR"]:30 Asia/Shanghai
  (env SAFECAMPUS_BACKUP_HOUR, default 2); never runs when SAFECAMPUS_BACKUP_SCHEDULE=0.
- :func:`backup_now`: enqueued by the operations page; ``requested_by_id`` is the user's pk
  (or None) and is recorded on the backup's timeline.

Two runs never overlap: both hold the same ``lock_task`` lock; a run that finds it held
raises ``huey.exceptions.TaskLockedException`` (recorded by huey as a failed task run).
"""

import datetime as dt

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from ..backup import BackupError, run_backup

_LOCK = "operations-backup"
_at_backup_hour = crontab(minute="30", hour=str(settings.SAFECAMPUS["BACKUP_HOUR"]))


def _nightly_due(at: dt.datetime) -> bool:
    """True at the nightly backup minute, unless the schedule is turned off."""
    return bool(settings.SAFECAMPUS["BACKUP_SCHEDULE"]) and _at_backup_hour(at)


def _backup(requested_by_id: int | None) -> dict:
    try:
        backup = run_backup(requested_by_id=requested_by_id)
    except BackupError as exc:
        # The Backup row already says "failed" with the reason; fail the task run too.
        raise RuntimeError(str(exc)) from exc
    return {"backup_id": backup.pk, "archive": backup.archive_name,
            "size_bytes": backup.size_bytes}


@db_periodic_task(_nightly_due)
@lock_task(_LOCK)
def nightly_backup() -> dict:
    return _backup(None)


@db_task()
@lock_task(_LOCK)
def backup_now(requested_by_id: int | None = None) -> dict:
    return _backup(requested_by_id)
