"""Scheduled duty-post work: plan today's and tomorrow's duties, and tell the office once per
duty that runs unstaffed. Both are idempotent (planning skips planned duties; alerts carry a
dedupe key), and each holds a lock so overlapping runs do not work side by side."""

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from safecampus.core import clock

from ..services import posts as services

__all__ = ["post_duties_plan_ahead", "post_unstaffed_sweep"]


# Local time (HUEY "utc": False): shortly after midnight, and again every hour so that a duty
# time added during the day is planned for today too.
@db_periodic_task(crontab(minute="5"))
@lock_task("traffic-post-duties-plan")
def post_duties_plan_ahead() -> int:
    today = clock.local_today()
    return (services.post_duties_plan(day=today)
            + services.post_duties_plan(day=today + dt.timedelta(days=1)))


# Every minute: an unstaffed post is reported within a minute of its grace period ending.
@db_periodic_task(crontab(minute="*"))
@lock_task("traffic-post-unstaffed")
def post_unstaffed_sweep() -> int:
    return services.post_unstaffed_alert()
