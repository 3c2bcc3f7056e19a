"""Background work of the safety work reports: generating one report, the hourly run of the
schedules (a schedule is due from 07:00 local time on its send day; later runs catch up a
missed one; the huey consumer runs with ``utc=False``), and the sweep of stuck reports."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from .services import report_build, report_schedules_run, report_send, reports_sweep_stuck


@db_task()
def report_generate(report_id: int) -> None:
    """Generate report ``report_id`` (queued by ``report_request``/``report_retry``)."""
    report_build(report_id=report_id)


@db_task(retries=2, retry_delay=300)
def report_deliver(report_id: int) -> int:
    """Tell a done scheduled report's recipients (idempotent)."""
    return report_send(report_id=report_id)


# Every hour (cheap: one query for the active schedules, one per due schedule): ask once for
# the reports that are due, from 07:00 on the send day, and catch up runs that were missed.
@db_periodic_task(crontab(minute="0"))
@lock_task("reports-schedules-run")
def report_schedules_hourly() -> dict:
    return report_schedules_run()


# Every 10 minutes: reports queued or running without a sign of life for too long → failed.
@db_periodic_task(crontab(minute="*/10"))
@lock_task("reports-sweep-stuck")
def report_sweep_stuck() -> int:
    return reports_sweep_stuck()
