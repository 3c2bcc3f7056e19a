"""Periodic tasks of the police module's meetings area."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from ..services.meetings import meeting_action_sweep

__all__ = ["meeting_actions_remind"]


# Every morning (local time, the huey consumer runs with utc=False): remind owners of actions
# due within MEETING_ACTION_REMIND_DAYS and, once, of overdue ones (idempotent).
@db_periodic_task(crontab(hour="8", minute="10"))
@lock_task("police-meeting-action-sweep")
def meeting_actions_remind() -> dict:
    return meeting_action_sweep()
