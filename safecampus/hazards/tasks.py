"""Scheduled hazard work: the deadline sweep (reminders, overdue marking, escalation)."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .services import hazard_deadline_sweep


@db_periodic_task(crontab(minute=f"*/{settings.SAFECAMPUS['DEADLINE_SWEEP_MINUTES']}"))
@lock_task("hazards-deadline-sweep")
def deadline_sweep() -> dict:
    return hazard_deadline_sweep()
