"""Scheduled patrol work: plan shifts ahead and find missed checkpoints."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .services import patrolling

_EVERY = settings.SAFECAMPUS["PATROL_SWEEP_MINUTES"]


# Every few minutes (local time, HUEY "utc": False): a window that closed is reported to the
# shift leader within one sweep interval.
@db_periodic_task(crontab(minute=f"*/{_EVERY}"))
@lock_task("patrols-sweep")
def patrol_sweep() -> dict:
    return patrolling.patrol_sweep()
