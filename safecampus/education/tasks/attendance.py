"""Scheduled jobs of the attendance area: close sign-in that nobody closed once its window is
over (two hours after the activity ended). Idempotent, and locked so runs do not overlap."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from ..services import attendance as services

__all__ = ["attendance_sign_in_close_expired"]


# Every 10 minutes (local time, HUEY "utc": False): a window ends at most 10 minutes before
# its sign-in shows as closed.
@db_periodic_task(crontab(minute="*/10"))
@lock_task("education-attendance-close-expired")
def attendance_sign_in_close_expired() -> int:
    return services.sign_in_close_expired()
