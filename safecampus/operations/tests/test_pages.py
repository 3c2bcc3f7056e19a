"""The operations page (office administrators only), its "back up now" button, and the health
probe ``/operations/healthz`` that load balancers ask without signing in."""

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connection
from django.urls import reverse
from huey import RedisHuey

from safecampus.accounts.middleware import SESSION_KEY, VERIFY
from safecampus.core import clock
from safecampus.operations import health
from safecampus.operations.models import Backup, ScheduledRun, WorkerHeartbeat
from safecampus.tests.pages import login, messages_of, text_of

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
STATUS = reverse("operations:status")
BACKUP = reverse("operations:backup")
HEALTHZ = "/operations/healthz"


@pytest.fixture
def backups():
    """Twelve nightly backups (the last failed) and a consumer seen a minute ago."""
    rows = []
    for day in range(12):
        at = NOW - dt.timedelta(days=11 - day, hours=6, minutes=30)
        rows.append(Backup(started_at=at, finished_at=at + dt.timedelta(seconds=40),
                           state="failed" if day == 11 else "done",
                           archive_name=f"safecampus-backup-{at:%Y%m%d}.tar.gz",
                           size_bytes=3 * 1024 * 1024, host="web1",
                           message="磁盘已满" if day == 11 else ""))
    Backup.objects.bulk_create(rows)
    WorkerHeartbeat.objects.create(name="web1:4242", started_at=NOW - dt.timedelta(days=1),
                                   seen_at=NOW - dt.timedelta(minutes=1))
    return rows


def test_office_admin_sees_the_status_with_cards_and_the_last_ten_backups(org, client, backups):
    ScheduledRun.objects.create(task_name="safecampus.hazards.tasks.deadline_sweep",
                                last_started_at=NOW - dt.timedelta(minutes=4),
                                last_finished_at=NOW - dt.timedelta(minutes=4),
                                last_state="failed", last_error="ValueError: 坏数据",
                                runs=41, failures=1)
    with clock.frozen(NOW):
        page = login(client, org.users.admin).get(STATUS)
    assert page.status_code == 200
    html = page.content.decode()
    text = text_of(page)
    # the headline says the worst: the last backup failed, a scheduled task failed
    assert 'id="ops-overall" data-status="error"' in html
    assert "Something is broken." in text
    for key in ("version", "database", "queue", "backup", "deliveries", "reports",
                "scheduled"):
        assert f'id="check-{key}"' in html
    assert 'id="check-backup" data-status="error"' in html
    assert "The last backup failed: 磁盘已满" in text
    assert "1 consumer running; 0 tasks waiting." in text
    # the scheduled work: the failed sweep with its reason, the schedule in words
    assert ('data-task="safecampus.hazards.tasks.deadline_sweep" data-status="failed"'
            in html)
    assert "ValueError: 坏数据" in text and "Every 10 minutes" in text
    assert "41 runs, 1 failed" in text
    # the last ten backups, newest first, times in Asia/Shanghai
    assert html.count('<li class="list-group-item" data-state=') == 10
    newest = backups[-1].started_at.astimezone(clock.local_zone())
    assert f'{newest:%Y-%m-%d %H:%M}' in text
    assert backups[1].archive_name not in text and backups[2].archive_name in text
    # the button is there for who may back up
    assert 'id="backup-now"' in html


def test_the_page_in_chinese(org, client, backups):
    client.force_login(org.users.admin)
    with clock.frozen(NOW):
        html = client.get(STATUS).content.decode()
    text = text_of_html(html)
    assert html.count('<span class="badge text-bg-success">完成</span>') == 9
    assert html.count('<span class="badge text-bg-danger">失败</span>') == 1
    assert "运维" in text and "立即备份" in text
    assert "有故障需要处理。" in text
    assert "最近一次备份失败：磁盘已满" in text
    assert "最近的备份" in text and "定时任务" in text


def text_of_html(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_query_count_does_not_grow_with_the_backups(org, client, django_assert_max_num_queries):
    login(client, org.users.admin)
    client.get(STATUS)  # warm the session, the permissions and the task registry
    with django_assert_max_num_queries(22) as few:
        client.get(STATUS)
    Backup.objects.bulk_create([Backup(started_at=NOW - dt.timedelta(days=i), state="done")
                                for i in range(30)])
    with django_assert_max_num_queries(len(few)):
        assert client.get(STATUS).status_code == 200


def test_only_office_admins_see_the_page(org, client):
    assert client.get(STATUS).status_code == 302
    assert client.get(STATUS)["Location"].startswith(reverse("accounts:login"))
    for user in (org.users.staff, org.users.leadership, org.users.student):
        client.force_login(user)
        refused = client.get(STATUS)
        assert refused.status_code == 403
        assert client.post(BACKUP).status_code == 403
    # the refusal says why and what to do
    assert "您的角色不包括这项工作" in text_of(refused)


def test_back_up_now_queues_one_backup(org, client, django_capture_on_commit_callbacks):
    login(client, org.users.admin)
    with django_capture_on_commit_callbacks() as queued:
        page = client.post(BACKUP)
    assert (page.status_code, page["Location"]) == (302, STATUS)
    assert messages_of(page) == ["Backup queued: it runs in the background and appears in "
                                 "the table below when it is done."]
    assert len(queued) == 1
    # a second press (double tap, resent form) queues nothing
    client.get(STATUS)  # the page shows (and so uses up) the first message
    with django_capture_on_commit_callbacks() as again:
        page = client.post(BACKUP)
    assert messages_of(page) == ["A backup was asked for a moment ago; it appears below when "
                                 "it is done."]
    assert again == []


def test_back_up_now_while_a_backup_runs(org, client, django_capture_on_commit_callbacks):
    Backup.objects.create(started_at=clock.now() - dt.timedelta(minutes=2), state="running")
    login(client, org.users.admin)
    with django_capture_on_commit_callbacks() as queued:
        page = client.post(BACKUP, follow=True)
    assert "A backup is running already; it appears below when it is done." in text_of(page)
    assert queued == []
    assert client.get(BACKUP).status_code == 405


# --- healthz ----------------------------------------------------------------------------------
def test_healthz_answers_ok_without_signing_in(client):
    page = client.get(HEALTHZ)
    assert (page.status_code, page.content, page["Content-Type"]) == (
        200, b"ok", "text/plain; charset=utf-8")
    assert "no-cache" in page["Cache-Control"]
    assert client.post(HEALTHZ).status_code == 405
    head = client.head(HEALTHZ)
    assert (head.status_code, head.content) == (200, b"")


def test_healthz_answers_503_when_the_database_does_not(client):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        page = client.get(HEALTHZ)
    assert (page.status_code, page.content) == (503, b"error")


def test_healthz_answers_503_when_the_queue_does_not(client, monkeypatch):
    # a real Redis-backed huey pointed at a port nothing listens on
    monkeypatch.setattr(health, "HUEY", RedisHuey("safecampus-ops-test",
                                                  url="redis://127.0.0.1:9/0"))
    page = client.get(HEALTHZ)
    assert (page.status_code, page.content) == (503, b"error")


def test_healthz_is_not_sent_to_the_two_factor_step(org, client):
    client.force_login(org.users.admin)
    session = client.session
    session[SESSION_KEY] = VERIFY  # signed in, code not entered yet
    session.save()
    assert client.get(STATUS).status_code == 302  # every page waits for the code …
    assert client.get(HEALTHZ).status_code == 200  # … but not the probe


def _production_redirect_exempt(tmp_path) -> list[str]:
    env = {"PATH": os.environ.get("PATH", ""), "SAFECAMPUS_VAR_DIR": str(tmp_path / "var"),
           "DJANGO_SETTINGS_MODULE": "config.settings.production", "SECRET_KEY": "k" * 60,
           "DATABASE_URL": "postgres://u:p@db.example/safecampus",
           "ALLOWED_HOSTS": "safecampus.example.edu.cn"}
    out = subprocess.run(
        [sys.executable, "-c", "import django, json; django.setup(); from django.conf import "
         "settings as s; print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_REDIRECT_EXEMPT]))"],
        cwd=Path(django_settings.BASE_DIR), env=env, capture_output=True, text=True,
        timeout=120, check=True)
    redirect, exempt = json.loads(out.stdout)
    assert redirect is True
    return exempt


def test_healthz_is_not_redirected_to_https_in_production(client, settings, tmp_path):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = _production_redirect_exempt(tmp_path)
    assert client.get(HEALTHZ).status_code == 200
    assert client.get(STATUS).status_code == 301  # every other page goes to https
