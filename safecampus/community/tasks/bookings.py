"""Periodic tasks of the service requests area."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from ..services.bookings import service_request_sweep

__all__ = ["service_requests_remind"]


# Every hour (local time; the huey consumer runs with utc=False): remind the office of
# requests whose SLA ends within four hours or has passed, and staff of tomorrow's bookings.
# Idempotent: each reminder has a dedupe key, so a re-run or an overlapping run sends nothing
# twice.
@db_periodic_task(crontab(minute="5"))
@lock_task("community-service-request-sweep")
def service_requests_remind() -> dict:
    return service_request_sweep()
