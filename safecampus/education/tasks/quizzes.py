"""Scheduled jobs of the quizzes area: tell the people a quiz is assigned to when it opens.

Idempotent: a quiz is announced once (an activity entry marks it) and each notification
carries a dedupe key per quiz and person; a lock keeps overlapping runs apart."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from ..services import quizzes as services

__all__ = ["quizzes_open_announce"]


# Every five minutes (local time, HUEY "utc": False): a quiz set to open later is announced
# within five minutes of opening (one created already open is announced at once).
@db_periodic_task(crontab(minute="*/5"))
@lock_task("education-quizzes-open")
def quizzes_open_announce() -> int:
    return services.quizzes_open_sweep()
