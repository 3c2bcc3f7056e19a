"""The phone's queue of scans beyond the scan page, as a guard meets it (390×844): a scan the
server could not take waits on the phone; the round page and the patrol home say how many
wait; when the network comes back (the browser's ``online`` event) the round page uploads
them without the scan page being opened again. And the scan page's "type the code" message
goes away with the next scan.

Nothing is frozen: the shift is built around the real time so that its window is open now.
"""

import pytest
from django.urls import reverse

from safecampus.patrols.models import CheckpointScan

# ruff: noqa: F811  (the patrol fixture is imported from test_patrol_round)
from .test_patrol_round import (  # noqa: F401
    READY,
    forgive_offline_requests,
    patrol,
    type_code,
    wait_uploaded,
    zh,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

UPLOAD = "**/patrols/scan/upload/**"


def forgive_blocked_uploads(page) -> None:
    """The uploads the test made fail on purpose (the server "unreachable") are expected."""
    for found in (page.sc_problems.failed_requests, page.sc_problems.console_errors):
        found[:] = [p for p in found if "/patrols/scan/upload/" not in p
                    and "ERR_FAILED" not in p]


def test_waiting_scans_show_on_the_round_and_home_and_go_up_when_the_network_returns(
        browsing, patrol, org):
    # given a scan the server could not take: it waits on the phone
    page = browsing.login("guard1", "phone")
    assert page.url  # signed in
    page.route(UPLOAD, lambda route: route.abort())
    page.goto(reverse("patrols:scan") + f"?round={patrol.round.pk}")
    page.wait_for_selector(READY)
    type_code(page, patrol.checkpoints[0].manual_code)
    page.wait_for_selector("#scan-queue[data-state=server][data-count='1']")

    # the patrol home says so, and the round page does too
    page.goto(reverse("patrols:home"))
    page.wait_for_selector(READY)
    page.wait_for_selector("#scan-queue[data-count='1']:not([hidden])")
    assert zh("%(count)s scan waiting to upload", count=1) in page.locator(
        "#scan-queue-text").inner_text()
    browsing.shot(page, "01-home-scan-waiting", full_page=False)
    page.goto(reverse("patrols:round_detail", args=[patrol.round.pk]))
    page.wait_for_selector(READY)
    page.wait_for_selector("#scan-queue[data-count='1']:not([hidden])")
    assert zh("%(count)s scan waiting to upload", count=1) in page.locator(
        "#scan-queue-text").inner_text()
    assert browsing.overflow(page) == 0
    browsing.shot(page, "02-round-scan-waiting", full_page=False)
    assert not CheckpointScan.objects.filter(round=patrol.round).exists()

    # when the network goes and comes back while the round page is open
    page.context.set_offline(True)
    browsing.wait_until(page, "() => navigator.onLine === false")
    page.wait_for_selector("#scan-queue[data-state=offline][data-count='1']")
    page.unroute(UPLOAD)
    page.context.set_offline(False)

    # then the scan goes up from the round page, once, and the page says to reload
    wait_uploaded(page)
    forgive_offline_requests(page)
    forgive_blocked_uploads(page)
    assert page.locator("#scan-queue").is_visible()
    assert zh("Reload the page to see them counted.") in page.locator(
        "#scan-queue-text").inner_text()
    assert CheckpointScan.objects.filter(round=patrol.round).count() == 1
    browsing.shot(page, "03-round-uploaded", full_page=False)
    page.reload()
    page.wait_for_selector(READY)
    assert page.locator("#scan-queue").is_hidden()  # nothing waits: no box
    assert page.locator(".checkpoint-row[data-status=on_time]").count() == 1


def test_the_empty_code_message_goes_with_the_next_scan(browsing, patrol, org):
    page = browsing.login("guard1", "phone")
    page.goto(reverse("patrols:scan") + f"?round={patrol.round.pk}")
    page.wait_for_selector(READY)
    page.click("#manual-submit")
    error = page.locator("#manual-error")
    assert error.is_visible() and error.inner_text() == zh(
        "Type the code printed under the QR code.")
    type_code(page, patrol.checkpoints[0].manual_code)
    page.locator(".scan-results [data-status=created]").wait_for()
    assert error.is_hidden() and error.text_content() == ""
    assert "is-invalid" not in (page.locator("#manual-form input[name=code]")
                                .get_attribute("class"))
    browsing.shot(page, "04-scan-after-empty-attempt", full_page=False)
