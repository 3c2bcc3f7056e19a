"""Scheduled work of the abandoned-vehicle area: tell the office when a notice deadline has
passed (ready to remove) and when a claim period has ended (ready to dispose of)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from ..services.abandoned import abandoned_reminders_sweep

__all__ = ["abandoned_reminders"]


# Hourly at :05 local time (HUEY "utc": False): a deadline ends at local midnight, so the
# office hears of it in the first hour of the next day. Idempotent: each case and date is
# announced once (dedupe keys), re-runs and overlaps send nothing more.
@db_periodic_task(crontab(minute="5"))
@lock_task("traffic-abandoned-reminders")
def abandoned_reminders() -> dict:
    return abandoned_reminders_sweep()
