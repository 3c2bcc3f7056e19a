"""Scheduled jobs of the warnings area: the daily sweep of overdue counsellor follow-ups."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from ..services.followups import followup_sweep_overdue


@db_periodic_task(crontab(hour="8", minute="30"))
def followups_overdue_sweep() -> None:
    """Every morning (local time): remind about overdue follow-ups (idempotent)."""
    followup_sweep_overdue()
