"""The operations page as the office administrator uses it, on a phone (390×844) and a desktop
(1440×900): the overall status and one card per check, the scheduled work, then "back up
now" — the backup runs (huey is immediate in the tests) and appears at the top of the last
backups. Screenshots go to /tmp/shots."""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.operations.models import Backup, ScheduledRun, WorkerHeartbeat

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def test_office_admin_checks_the_installation_and_backs_up_now(browsing, org, settings,
                                                               tmp_path, viewport):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "BACKUP_DIR": tmp_path / "backups"}
    now = clock.now()
    # given a consumer alive, a backup three days old and a sweep that ran five minutes ago
    WorkerHeartbeat.objects.create(name="web1:4242", started_at=now - dt.timedelta(minutes=2),
                                   seen_at=now - dt.timedelta(seconds=20))
    Backup.objects.create(started_at=now - dt.timedelta(days=3, hours=1), state="done",
                          finished_at=now - dt.timedelta(days=3),
                          archive_name="safecampus-backup-old.tar.gz", size_bytes=5_000_000)
    ScheduledRun.objects.create(task_name="safecampus.hazards.tasks.deadline_sweep",
                                last_started_at=now - dt.timedelta(minutes=5),
                                last_finished_at=now - dt.timedelta(minutes=5),
                                last_state="done", last_duration_ms=84, runs=12)
    page = browsing.login("admin1", viewport)
    # the account menu leads to the page (on a phone, through the menu button first)
    if viewport == "phone":
        page.click(".navbar-toggler")
    page.click("#nav-account")
    with page.expect_navigation():
        page.click("#nav-operations")
    assert page.url.endswith("/operations/")
    # then the headline says something needs attention: the last good backup is old
    assert page.get_attribute("#ops-overall", "data-status") == "warning"
    assert "有情况需要关注。" in page.inner_text("#ops-overall")
    assert "最近一次成功备份已是 3 天前。" in page.inner_text("#check-backup")
    assert page.get_attribute("#check-queue", "data-status") == "ok"
    assert "1 个任务进程在运行" in page.inner_text("#check-queue")
    sweep = page.locator('[data-task="safecampus.hazards.tasks.deadline_sweep"]')
    assert "每 10 分钟" in sweep.inner_text() and "84 毫秒" in sweep.inner_text()
    # cards: one column on a phone, a grid on a desktop
    boxes = [page.locator(f"#check-{key}").bounding_box() for key in ("version", "database")]
    side_by_side = boxes[0]["y"] == boxes[1]["y"]
    assert side_by_side is (viewport == "desktop")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "01-status")

    # when the administrator presses "back up now"
    with page.expect_navigation():
        page.click("#backup-now")
    # then the page says it is queued, and the backup (run at once here) is at the top
    assert "备份已加入队列" in page.inner_text("main")
    first = page.locator("#backup-list li").first
    assert first.get_attribute("data-state") == "done", first.inner_text()
    assert page.locator("#backup-list li").count() == 2
    assert page.get_attribute("#check-backup", "data-status") == "ok"
    assert "最近已有备份。" in page.inner_text("#check-backup")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "02-backed-up")
    backup = Backup.objects.order_by("-started_at").first()
    assert backup.state == "done" and (tmp_path / "backups" / backup.archive_name).is_file()
