"""Reports that cannot get stuck: the sweep marks failed a queued or running report silent for
longer than the limit (a worker killed mid-build, a lost task), a worker waking up later
leaves it alone, and the page stops polling at a final state and says "taking longer than
usual" after a few silent minutes."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.reports import services
from safecampus.reports.models import SafetyReport
from safecampus.tests.pages import login, text_of

from .helpers import NOW

pytestmark = pytest.mark.django_db
State = SafetyReport.State


def _queued(org, minutes_ago: int) -> SafetyReport:
    """A report asked for ``minutes_ago`` whose task never ran (not committed in the test)."""
    with clock.frozen(NOW - dt.timedelta(minutes=minutes_ago)):
        return services.report_request(actor=org.users.staff, period="2026-11")


def test_the_sweep_fails_silent_reports_and_leaves_live_ones(november, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "REPORT_STUCK_MINUTES": 30}
    lost = _queued(november, 31)  # the task was lost
    killed = _queued(november, 45)  # the worker died while writing the PDF
    SafetyReport.objects.filter(pk=killed.pk).update(
        state="running", step="pdf", progress=50, heartbeat_at=NOW - dt.timedelta(minutes=40))
    waiting = _queued(november, 29)
    running = _queued(november, 60)
    SafetyReport.objects.filter(pk=running.pk).update(
        state="running", step="word", progress=75, heartbeat_at=NOW - dt.timedelta(minutes=2))
    assert services.reports_sweep_stuck() == 2
    assert services.reports_sweep_stuck() == 0  # nothing twice
    states = dict(SafetyReport.objects.values_list("pk", "state"))
    assert (states[lost.pk], states[killed.pk]) == ("failed", "failed")
    assert (states[waiting.pk], states[running.pk]) == ("queued", "running")
    killed.refresh_from_db()
    assert killed.error == "生成已中断：30 分钟内没有进展（报告生成程序可能已停止）。请重试。"
    assert killed.failures == 1
    assert [(e.verb, e.from_state) for e in activity_for(killed)][-1] == ("reports.fail",
                                                                          "running")
    with translation.override("en"):
        assert services.msg_stuck(30) == ("The generation stopped: no progress for 30 minutes "
                                          "(the report worker may have stopped). Retry it.")
    # The worker of the lost task wakes up: the report is failed, it is left alone.
    assert services.report_build(report_id=lost.pk) is None
    assert SafetyReport.objects.get(pk=lost.pk).state == "failed"


def test_a_swept_report_can_be_retried_and_a_schedule_period_is_not_blocked(
        november, django_capture_on_commit_callbacks):
    report = _queued(november, 31)
    services.reports_sweep_stuck()
    with django_capture_on_commit_callbacks(execute=True):
        services.report_retry(actor=november.users.staff, report_id=report.pk)
    report.refresh_from_db()
    assert (report.state, report.error) == (State.DONE, "")


def test_the_page_stops_polling_when_final_and_says_when_it_is_slow(november, client):
    login(client, november.users.staff)
    fresh = _queued(november, 1)
    page = client.get(reverse("reports:detail", args=[fresh.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert 'hx-trigger="every 2s"' in page.content.decode()
    assert "taking longer than usual" not in text_of(page)
    slow = _queued(november, 4)
    fragment = client.get(reverse("reports:status", args=[slow.pk]))
    assert 'hx-trigger="every 2s"' in fragment.content.decode()
    assert ("This is taking longer than usual. If nothing moves for 30 minutes the report is "
            "marked failed and can be retried.") in text_of(fragment)
    services.reports_sweep_stuck(now=NOW + dt.timedelta(minutes=30))
    fragment = client.get(reverse("reports:status", args=[slow.pk]))
    html = fragment.content.decode()
    assert "hx-trigger" not in html and 'data-state="failed"' in html
    assert "The report could not be generated." in text_of(fragment)
    assert "30 分钟内没有进展" in text_of(fragment)  # stored in the site language
