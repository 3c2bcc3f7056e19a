"""Periodic task of the surveys area: close surveys whose closing time has passed."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from ..services.surveys import survey_close_due

__all__ = ["surveys_close_due"]


# Every five minutes: an open survey past its closes_at is closed (idempotent; answers after
# closes_at are refused by the answer service even before this runs).
@db_periodic_task(crontab(minute="*/5"))
@lock_task("community-surveys-close-due")
def surveys_close_due() -> int:
    return survey_close_due()
