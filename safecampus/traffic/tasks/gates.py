"""Scheduled and background work of gate records: running an uploaded import (a big camera
file takes a while) and the nightly long-stay detection (local time, ``utc: False``)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

__all__ = ["gate_import_task", "gate_long_stay_nightly"]


@db_task()
def gate_import_task(import_id: int) -> None:
    """Validate and import the uploaded gate file ``import_id`` (both passes)."""
    from ..services.gates import gate_import_run

    gate_import_run(import_id=import_id)


@db_periodic_task(crontab(hour="2", minute="30"))
@lock_task("traffic-gate-long-stay")
def gate_long_stay_nightly() -> int:
    """Open abandoned-vehicle cases for vehicles inside longer than
    ``SAFECAMPUS["GATE_LONG_STAY_DAYS"]``; returns how many were opened."""
    from ..services.gates import long_stay_cases_open

    return len(long_stay_cases_open(actor=None))
