"""Scheduled and background jobs of the quizzes area: tell the people a quiz is assigned to
when it opens, and clear question files uploaded for an import and then left.

Idempotent: a quiz is announced once (an activity entry marks it) and each notification
carries a dedupe key per quiz and person; a lock keeps overlapping sweeps apart."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from ..services import question_import as importing
from ..services import quizzes as services

__all__ = ["question_uploads_clean", "quiz_open_announce_task", "quizzes_open_announce"]


@db_task()
def quiz_open_announce_task(quiz_id: int) -> int:
    """Tell the people of a quiz set already open (queued after the quiz is committed)."""
    return services.quiz_open_announce(quiz_id=quiz_id)


# Every five minutes (local time, HUEY "utc": False): a quiz set to open later is announced
# within five minutes of opening (one created already open is announced by the task above).
@db_periodic_task(crontab(minute="*/5"))
@lock_task("education-quizzes-open")
def quizzes_open_announce() -> int:
    return services.quizzes_open_sweep()


# Nightly: uploads kept between the import's steps and never imported (older than a day).
@db_periodic_task(crontab(hour="3", minute="20"))
@lock_task("education-question-uploads-clean")
def question_uploads_clean() -> int:
    return importing.question_uploads_clean()
