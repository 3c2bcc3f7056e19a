"""Periodic task of the concerns area: close the concerns whose hazard has ended. Idempotent
(a concern closes once; the submitter is told once) and locked against overlapping runs."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from ..services.concerns import concern_hazards_sync

__all__ = ["concern_hazards_sync_task"]


@db_periodic_task(crontab(minute="*/10"))
@lock_task("community-concern-hazards-sync")
def concern_hazards_sync_task() -> int:
    return concern_hazards_sync()
