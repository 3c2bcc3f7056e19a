"""Scheduled inspection work: the daily coverage sweep (targets turn due, then late)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from . import services


# 00:10 local time (HUEY "utc": False): just after midnight, so "late" means the day is over.
@db_periodic_task(crontab(hour="0", minute="10"))
@lock_task("inspections-coverage-sweep")
def coverage_sweep() -> dict:
    return services.coverage_sweep()
