"""Scheduled jobs of the organisation app: deleting roster uploads left behind (they hold
personal data; see :mod:`.roster_import`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .roster_import import roster_uploads_sweep


@db_periodic_task(crontab(hour="3", minute="40"))
def roster_uploads_cleanup() -> None:
    """Every night (local time): delete roster uploads and records older than one day."""
    roster_uploads_sweep()
