"""The scan page's log (本机打卡记录) on a phone whose clock is set to another time zone
(New York): a scan waiting offline, the same scan once uploaded and a refused code all show
campus time (Asia/Shanghai), and a queued scan's time does not jump on upload."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from safecampus.core import clock

from .conftest import PASSWORD, VIEWPORTS, PageProblems, _watch
from .test_patrol_round import READY, forgive_offline_requests, patrol, type_code, wait_uploaded

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

__all__ = ["patrol"]  # the fixture, shared with the round's walk


def _campus_times_around_now() -> set[str]:
    """"HH:MM" in Asia/Shanghai of the last and the next two minutes."""
    now = timezone.now().astimezone(clock.local_zone())
    return {(now + dt.timedelta(minutes=m)).strftime("%H:%M") for m in (-2, -1, 0, 1, 2)}


def _phone_in_new_york(browsing, username: str):
    """A signed-in phone page like ``browsing.login`` gives, but with the phone's clock set to
    New York (12 or 13 hours behind Shanghai); its problems are checked like every page's."""
    context = browsing.chromium.new_context(
        base_url=browsing.base_url, locale="zh-CN", timezone_id="America/New_York",
        **VIEWPORTS["phone"])
    context.set_default_timeout(15_000)
    problems = PageProblems()
    _watch(context, problems, browsing.base_url)
    page = context.new_page()
    page.sc_problems, page.sc_size = problems, "phone"
    browsing.contexts.append((context, problems))
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert "/accounts/login/" not in page.url
    return page


def test_every_scan_time_is_campus_time_on_a_phone_in_another_zone(browsing, patrol, org):
    page = _phone_in_new_york(browsing, "guard1")
    assert page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone") == \
        "America/New_York"
    page.goto(reverse("patrols:scan") + f"?round={patrol.round.pk}")
    page.wait_for_selector(READY)

    # offline: a checkpoint's code and a code too short wait on the phone
    page.context.set_offline(True)
    browsing.wait_until(page, "() => navigator.onLine === false")
    type_code(page, patrol.checkpoints[0].manual_code)
    type_code(page, "QQ")
    page.wait_for_selector("#scan-queue[data-state=offline][data-count='2']")
    queued = page.locator(".scan-results [data-status=queued] .scan-time").all_inner_texts()
    assert len(queued) == 2
    around = _campus_times_around_now()
    for shown in queued:
        assert re.fullmatch(r"\d\d:\d\d:\d\d", shown), shown
        assert shown[:5] in around, (shown, around)
    checkpoint_time = queued[1]  # newest first: the checkpoint was typed first

    # online again: the scan is recorded, the short code refused; the times stay campus time
    page.context.set_offline(False)
    wait_uploaded(page)
    forgive_offline_requests(page)
    created = page.locator(".scan-results [data-status=created] .scan-time").inner_text()
    refused = page.locator(".scan-results [data-status=refused] .scan-time").inner_text()
    assert created == checkpoint_time  # no jump on upload
    assert refused[:5] in around, (refused, around)
    assert "8" in page.locator(".scan-results [data-status=refused] .scan-refusal").inner_text()
