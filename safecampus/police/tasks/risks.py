"""Periodic tasks of the police module's risks area: the morning reminder of risk points due
for review. Idempotent (once per point and due date) and locked against overlapping runs."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from ..services.risks import risk_reviews_remind

__all__ = ["risk_reviews_remind_task"]


# Every morning at 08:10 local time (HUEY "utc": False).
@db_periodic_task(crontab(hour="8", minute="10"))
@lock_task("police-risk-reviews-remind")
def risk_reviews_remind_task() -> int:
    return risk_reviews_remind()
