"""The record of periodic task runs (huey's signals, written by the consumer), the consumers'
heartbeat, and each health check of the operations page in its states, with real rows."""

import datetime as dt

import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import translation
from huey import RedisHuey, crontab
from huey.contrib.djhuey import HUEY

from safecampus.core import clock
from safecampus.notifications.models import Delivery, Digest, Notification
from safecampus.operations import health, schedules, services
from safecampus.operations.models import Backup, ScheduledRun, WorkerHeartbeat
from safecampus.operations.tasks import health as health_tasks
from safecampus.reports import services as report_services
from safecampus.reports.models import SafetyReport

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
HOUR_TASK = "safecampus.operations.tests.test_health.ops_test_hourly"


@pytest.fixture
def frozen():
    with clock.frozen(NOW):
        yield NOW


@pytest.fixture
def test_task():
    """A real periodic task on the project's huey (hourly at minute 0) that does what the
    test says: appends to ``calls`` or raises; removed from the registry afterwards."""
    calls = []
    behaviour = {"fail": None}

    @HUEY.periodic_task(crontab(minute="0"), name="ops_test_hourly")
    @HUEY.lock_task("ops-test-hourly")
    def ops_test_hourly():
        if behaviour["fail"]:
            raise behaviour["fail"]
        calls.append(clock.now())

    ops_test_hourly.calls = calls
    ops_test_hourly.behaviour = behaviour
    yield ops_test_hourly
    ops_test_hourly.unregister()


def _run(name: str) -> ScheduledRun:
    return ScheduledRun.objects.get(task_name=name)


# --- recording periodic runs ------------------------------------------------------------------
def test_a_periodic_run_executed_by_huey_is_recorded(test_task, frozen):
    # given the test settings' huey: immediate, so calling the task executes it through huey
    assert HUEY.immediate is True
    assert schedules.periodic_tasks()  # the recorder is connected once operations' tasks load
    # when the periodic task runs twice
    test_task()
    test_task()
    # then it ran and its record says so: done twice, no failure, a duration
    assert test_task.calls == [NOW, NOW]
    run = _run(HOUR_TASK)
    assert (run.last_state, run.runs, run.failures, run.last_error) == ("done", 2, 0, "")
    assert run.last_started_at == run.last_finished_at == NOW
    assert run.last_duration_ms is not None and run.last_duration_ms >= 0


def test_a_failed_run_is_recorded_with_a_short_reason(test_task, frozen):
    test_task()
    # when the next run raises
    test_task.behaviour["fail"] = ValueError("配置错误 " + "x" * 900)
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        test_task()
    run = _run(HOUR_TASK)
    # then the record is failed, with the reason cut short, and the counts moved on
    assert (run.last_state, run.runs, run.failures) == ("failed", 1, 1)
    assert run.last_error.startswith("ValueError: 配置错误 xxx")
    assert len(run.last_error) == services.ERROR_MAX_CHARS
    assert run.last_started_at == NOW + dt.timedelta(hours=1)
    # and a later good run clears the error and keeps the failure count
    test_task.behaviour["fail"] = None
    test_task()
    run = _run(HOUR_TASK)
    assert (run.last_state, run.runs, run.failures, run.last_error) == ("done", 2, 1, "")


def test_a_run_that_found_its_lock_held_leaves_the_record_as_it_was(test_task, frozen):
    with clock.frozen(NOW - dt.timedelta(hours=1)):
        test_task()
    before = _run(HOUR_TASK)
    # when another run holds the task's lock, this one does not happen
    with HUEY.lock_task("ops-test-hourly"):
        test_task()
    assert len(test_task.calls) == 1
    after = _run(HOUR_TASK)
    assert (after.last_started_at, after.last_state, after.runs, after.failures) == (
        before.last_started_at, "done", 1, 0)


def test_a_recording_failure_never_breaks_the_task(test_task, frozen):
    def refuse_the_record(execute, sql, params, many, context):
        if "operations_scheduledrun" in sql:
            raise OperationalError("database is locked")
        return execute(sql, params, many, context)

    # when the database refuses every statement about the record
    with connection.execute_wrapper(refuse_the_record):
        test_task()
    # then the task ran anyway, nothing was recorded, and the database is usable
    assert test_task.calls == [NOW]
    assert not ScheduledRun.objects.filter(task_name=HOUR_TASK).exists()
    test_task()
    assert _run(HOUR_TASK).runs == 1


def test_two_consumers_starting_the_same_task_leave_one_row(frozen):
    services.scheduled_run_started(task_name="x.y", at=NOW)
    previous = services.scheduled_run_started(task_name="x.y", at=NOW + dt.timedelta(seconds=1))
    assert previous == {"last_started_at": NOW, "last_state": "running"}
    services.scheduled_run_done(task_name="x.y", duration_ms=5)
    services.scheduled_run_done(task_name="x.y", duration_ms=7)
    run = _run("x.y")
    assert (run.runs, run.last_duration_ms, run.last_state) == (2, 7, "done")
    # a run whose start was never recorded is still counted
    services.scheduled_run_failed(task_name="x.z", error="Timed out", duration_ms=None)
    assert (_run("x.z").failures, _run("x.z").last_error) == (1, "Timed out")


def test_timeout_and_interrupted_runs_are_failures_in_the_site_language(frozen):
    with translation.override("en"):
        assert health_tasks._reason("timeout", None) == "超时"
        assert health_tasks._reason("interrupted", None).startswith("被中断")


def test_the_heartbeat_task_upserts_this_consumer(frozen):
    name = health_tasks.consumer_name()
    WorkerHeartbeat.objects.create(name="old-host:1", started_at=NOW - dt.timedelta(days=9),
                                   seen_at=NOW - dt.timedelta(days=8))
    # when the heartbeat runs (a periodic task, every minute) twice
    health_tasks.consumer_heartbeat()
    with clock.frozen(NOW + dt.timedelta(minutes=1)):
        health_tasks.consumer_heartbeat()
    # then this consumer has one row, seen at the last beat; long-gone consumers are forgotten
    beat = WorkerHeartbeat.objects.get()
    assert beat.name == name and ":" in name
    assert beat.seen_at == NOW + dt.timedelta(minutes=1)
    assert beat.started_at == health_tasks.PROCESS_STARTED_AT
    # and the heartbeat's own runs are recorded like every periodic task's
    assert _run("safecampus.operations.tasks.health.consumer_heartbeat").runs == 2


# --- schedules --------------------------------------------------------------------------------
def test_every_periodic_task_has_a_schedule_in_words_and_an_interval():
    tasks = {info.name: info for info in schedules.periodic_tasks()}
    sweep = tasks["safecampus.hazards.tasks.deadline_sweep"].schedule
    beat = tasks["safecampus.operations.tasks.health.consumer_heartbeat"].schedule
    backup = tasks["safecampus.operations.tasks.backup.nightly_backup"].schedule
    with translation.override("zh-hans"):
        assert sweep.describe() == "每 10 分钟"
        assert beat.describe() == "每分钟"
        assert backup.describe() == "每天 02:30"  # its own function around a crontab
    with translation.override("en"):
        assert tasks["safecampus.traffic.tasks.abandoned.abandoned_reminders"] \
            .schedule.describe() == "Every hour at minute 5"
    assert sweep.interval == dt.timedelta(minutes=10)
    assert backup.interval == dt.timedelta(days=1)
    assert all(info.schedule.interval for info in tasks.values())


# --- health checks ----------------------------------------------------------------------------
def test_version_names_the_package_version_and_the_commit(settings, tmp_path):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "COMMIT": "0123456789abcdef"}
    with translation.override("en"):
        check = health.check_version()
    assert check.status == "ok"
    assert check.message == f"SafeCampus {health.safecampus_version()} at commit 0123456789ab"
    # without the setting, the commit is read from .git: a branch file, or packed refs
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "COMMIT": ""}
    git = tmp_path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "packed-refs").write_text("# pack-refs\nfeedfacecafebeef0000 refs/heads/main\n")
    assert health.git_commit(tmp_path) == "feedfacecafe"
    (git / "refs" / "heads" / "main").write_text("abcdefabcdef1234\n")
    assert health.git_commit(tmp_path) == "abcdefabcdef"
    assert health.git_commit(tmp_path / "elsewhere") == ""


def test_database_check_and_an_unapplied_migration():
    with translation.override("en"):
        check = health.check_database()
        assert check.status == "ok"
        vendor = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[connection.vendor]
        assert check.facts[0].value.startswith(vendor + " ")
        assert [f.kind for f in check.facts] == ["text", "ms", "bytes"]
        assert check.facts[2].value > 0
        # when the database has not applied one of the migrations on disk
        MigrationRecorder.Migration.objects.filter(app="operations", name="0001_initial").delete()
        check = health.check_database()
    assert check.status == "error"
    assert check.message == "1 migration is not applied: run “manage.py migrate”."
    assert check.facts[-1].value == "operations.0001_initial"


def test_queue_check_counts_consumers_seen_in_the_last_three_minutes(frozen):
    with translation.override("en"):
        check = health.check_queue()
        assert check.status == "error"
        assert check.message.startswith("No task consumer has been seen for 3 minutes")
        assert check.facts[0].value == "memory (tests)"
        # a stale heartbeat does not count; a fresh one does
        WorkerHeartbeat.objects.create(name="web1:41", started_at=NOW - dt.timedelta(hours=1),
                                       seen_at=NOW - dt.timedelta(minutes=3, seconds=1))
        assert health.check_queue().status == "error"
        WorkerHeartbeat.objects.create(name="web2:42", started_at=NOW - dt.timedelta(hours=1),
                                       seen_at=NOW - dt.timedelta(seconds=30))
        check = health.check_queue()
    assert check.status == "ok"
    assert check.message == "1 consumer running; 0 tasks waiting."
    assert [f.label for f in check.facts] == ["Backend", "Waiting tasks", "Scheduled tasks",
                                              "Consumer web2:42"]


def test_queue_check_when_the_queue_does_not_answer(monkeypatch):
    # a real Redis-backed huey pointed at a port nothing listens on
    monkeypatch.setattr(health, "HUEY", RedisHuey("safecampus-ops-test",
                                                  url="redis://127.0.0.1:9/0"))
    with translation.override("en"):
        check = health.check_queue()
    assert check.status == "error"
    assert check.message.startswith("The task queue does not answer: ")
    assert check.facts[0].value == "Redis"


def _backup(at, state="done", **values) -> Backup:
    return Backup.objects.create(started_at=at, finished_at=at + dt.timedelta(minutes=1),
                                 state=state, archive_name=f"safecampus-{at:%Y%m%d}.tar.gz",
                                 size_bytes=2048, **values)


def test_backup_check_in_each_state(frozen):
    with translation.override("en"):
        check = health.check_backup()
        assert (check.status, check.facts) == ("warning", [])
        assert check.message.startswith("No backup yet. While the task consumer runs, a backup "
                                        "is made every night at 02:30")
        # an old good backup
        _backup(NOW - dt.timedelta(days=3, hours=2))
        check = health.check_backup()
        assert (check.status, check.message) == ("warning", "The last good backup is 3 days old.")
        # a recent good backup
        _backup(NOW - dt.timedelta(hours=7))
        check = health.check_backup()
        assert (check.status, check.message) == ("ok", "The last backup is recent.")
        assert check.facts[0].value == NOW - dt.timedelta(hours=7) + dt.timedelta(minutes=1)
        # the last run failed; restores do not count
        _backup(NOW - dt.timedelta(hours=1), state="failed", message="磁盘已满")
        _backup(NOW - dt.timedelta(minutes=30), kind="restore")
        check = health.check_backup()
    assert (check.status, check.message) == ("error", "The last backup failed: 磁盘已满")
    assert check.facts[1].value == NOW - dt.timedelta(hours=7) + dt.timedelta(minutes=1)


def _delivery(org, channel, state, attempts=0, at=NOW):
    with clock.frozen(at):
        note = Notification.objects.create(recipient=org.users.staff, verb="t", title="通知")
        row = Delivery.objects.create(notification=note, channel=channel, state=state,
                                      attempts=attempts)
    Delivery.objects.filter(pk=row.pk).update(created_at=at)
    return row


def test_deliveries_check_counts_the_last_seven_days_per_channel(org, frozen):
    with translation.override("en"):
        assert health.check_deliveries().status == "ok"
        _delivery(org, "email", "pending")
        _delivery(org, "email", "pending", attempts=2)
        _delivery(org, "sms", "failed", attempts=4)
        _delivery(org, "sms", "failed", attempts=4, at=NOW - dt.timedelta(days=8))  # too old
        _delivery(org, "in_app", "failed")  # the inbox is not a sending channel
        Digest.objects.create(user=org.users.staff, day=dt.date(2026, 12, 4), state="failed")
        check = health.check_deliveries()
    assert check.status == "warning"
    assert check.message == "2 messages failed in the last 7 days."
    counts = {row["channel"]: (row["pending"], row["retrying"], row["failed"])
              for row in check.rows}
    assert counts == {"email": (1, 1, 0), "sms": (0, 0, 1), "robot": (0, 0, 0),
                      "digest": (0, 0, 1)}
    assert check.link_url == "/notifications/deliveries/?state=failed"
    assert check.rows[1]["failed_url"] == "/notifications/deliveries/?channel=sms&state=failed"


def test_scheduled_work_check_failed_late_and_fine(frozen):
    sweep = "safecampus.hazards.tasks.deadline_sweep"  # every 10 minutes
    nightly = "safecampus.inspections.tasks.coverage_sweep"  # daily
    ScheduledRun.objects.create(task_name=sweep, last_started_at=NOW - dt.timedelta(minutes=5),
                                last_finished_at=NOW - dt.timedelta(minutes=5), last_state="done",
                                runs=10)
    ScheduledRun.objects.create(task_name=nightly, last_started_at=NOW - dt.timedelta(hours=20),
                                last_state="done", runs=3)
    with translation.override("en"):
        check = health.check_scheduled()
        rows = {row.name: row for row in check.rows}
        assert (rows[sweep].status, rows[nightly].status) == ("ok", "ok")
        # a new installation: tasks that never ran are not late
        assert rows["safecampus.reports.tasks.report_sweep_stuck"].status == "never"
        assert check.status == "ok"
        assert rows[sweep].schedule == "Every 10 minutes"
        # when the 10-minute sweep has not started for 21 minutes, it is late
        ScheduledRun.objects.filter(task_name=sweep).update(
            last_started_at=NOW - dt.timedelta(minutes=21))
        check = health.check_scheduled()
        assert ({row.name: row.status for row in check.rows}[sweep], check.status) == (
            "late", "warning")
        # and once a consumer has run for a while, a task that never ran is late too
        WorkerHeartbeat.objects.create(name="web1:1", started_at=NOW - dt.timedelta(hours=2),
                                       seen_at=NOW)
        rows = {row.name: row for row in health.check_scheduled().rows}
        assert rows["safecampus.reports.tasks.report_sweep_stuck"].status == "late"
        assert rows[nightly].status == "ok"
        # a failed last run is an error
        ScheduledRun.objects.filter(task_name=nightly).update(last_state="failed",
                                                              last_error="boom")
        check = health.check_scheduled()
    assert check.status == "error"
    assert {row.name: row.status for row in check.rows}[nightly] == "failed"
    assert check.message.startswith(f"{len(check.rows)} periodic tasks: 1 failed, ")


def test_reports_check_failed_and_stuck(org, settings, frozen):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "REPORT_STUCK_MINUTES": 30}
    with translation.override("en"):
        check = health.check_reports()
        assert (check.status, check.link_url) == ("ok", "/reports/")
        report = report_services.report_request(actor=org.users.staff, period="2026-11")
        SafetyReport.objects.filter(pk=report.pk).update(state="failed")
        check = health.check_reports()
        assert (check.status, check.message) == ("warning",
                                                 "1 report failed in the last 7 days.")
        assert check.link_url == "/reports/?state=failed"
        with clock.frozen(NOW - dt.timedelta(minutes=31)):
            stuck = report_services.report_request(actor=org.users.staff, period="2026-10")
        assert stuck.heartbeat_at == NOW - dt.timedelta(minutes=31)
        check = health.check_reports()
    assert check.status == "error"
    assert check.message == ("1 report is stuck: the sweep that marks them failed is not "
                             "running.")


def test_overall_status_is_the_worst_check(frozen):
    WorkerHeartbeat.objects.create(name="w:1", started_at=NOW, seen_at=NOW)
    _backup(NOW - dt.timedelta(hours=1))
    with translation.override("en"):
        result = health.health_checks()
    assert [c.key for c in result["checks"]] == ["version", "database", "queue", "backup",
                                                 "deliveries", "reports", "scheduled"]
    assert {c.key: c.status for c in result["checks"]}["queue"] == "ok"
    assert result["status"] == health.worst(c.status for c in result["checks"])
    assert health.worst(["ok", "warning", "ok"]) == "warning"
    assert health.worst(["warning", "error"]) == "error"
    assert health.worst([]) == "ok"


def test_alive_needs_the_database_and_the_queue(monkeypatch):
    assert health.alive() is True

    def refuse(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        assert health.alive() is False
    monkeypatch.setattr(health, "HUEY", RedisHuey("safecampus-ops-test",
                                                  url="redis://127.0.0.1:9/0"))
    assert health.alive() is False
