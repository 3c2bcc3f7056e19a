"""Patrolling a route on a phone (390×844) as the guard taps it: open the scan page (no camera
in headless Chromium: it falls back to typing the code), scan checkpoints 1 and 2 online,
lose the network and scan 3 (kept on the phone, the page says so), get the network back and
see it uploaded once, reload and find nothing sent twice, then scan 4 by opening the
sticker's address (sign-in first) and see the round completed. A forged code is refused with
its message. One desktop pass of the pages, and a round with a missed checkpoint in red.

Nothing is frozen: the shift is built around the real time so that its window is open now.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from safecampus.core import clock
from safecampus.hazards.models import Hazard, Source
from safecampus.patrols.models import CheckpointScan, PatrolRound
from safecampus.patrols.services import patrolling
from safecampus.patrols.tests.helpers import build_route, scan

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

READY = "html[data-patrol-ready]"


def zh(msgid: str, **values) -> str:
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    return text % values if values else text


def zh_state(state: str) -> str:
    """A round state's label as the Chinese page shows it."""
    with translation.override("zh-hans"):
        return str(PatrolRound.State(state).label)


def schedule_around(built, *, start: dt.datetime, hours: int, window_minutes: int):
    """Point ``built``'s schedule at a local start time and plan that shift (1 round)."""
    schedule = built.schedule
    schedule.starts_at = start.time()
    schedule.ends_at = (start + dt.timedelta(hours=hours)).time()
    schedule.rounds = 1
    schedule.window_minutes = window_minutes
    schedule.save()
    shift = patrolling.shift_plan(schedule=schedule, day=start.date())
    return shift.rounds.get()


@pytest.fixture
def patrol(org):
    """Tonight's route (4 checkpoints) whose one round's window is open now, and an earlier
    route whose round closed with checkpoints missed (swept)."""
    now = timezone.now().astimezone(clock.local_zone()).replace(second=0, microsecond=0)
    walk = build_route(org, code="north-walk")
    walk_round = schedule_around(walk, start=now - dt.timedelta(minutes=10), hours=2,
                                 window_minutes=90)
    earlier = build_route(org, code="south-walk", checkpoints=3)
    start = now - dt.timedelta(hours=3)
    missed_round = schedule_around(earlier, start=start, hours=2, window_minutes=30)
    with clock.frozen(start + dt.timedelta(minutes=12)):
        scan(org.users.guard, earlier.checkpoints[0], start + dt.timedelta(minutes=10))
    patrolling.patrol_sweep()
    missed_round.refresh_from_db()
    assert missed_round.state == PatrolRound.State.INCOMPLETE
    return SimpleNamespace(walk=walk, round=walk_round, missed_round=missed_round,
                           checkpoints=walk.checkpoints)


def forgive_offline_requests(page) -> None:
    """Requests that failed while the test had switched the network off are expected."""
    offline = ("ERR_INTERNET_DISCONNECTED", "ERR_NETWORK_CHANGED")
    for found in (page.sc_problems.failed_requests, page.sc_problems.console_errors):
        found[:] = [p for p in found if not any(code in p for code in offline)]


def type_code(page, code: str) -> None:
    page.fill("#manual-form input[name=code]", code)
    page.click("#manual-submit")


def wait_uploaded(page, count: int = 0) -> None:
    page.wait_for_selector(f"#scan-queue[data-state=idle][data-count='{count}']",
                           timeout=20_000)


def scans_of(round_) -> int:
    return CheckpointScan.objects.filter(round=round_).count()


def test_a_guard_patrols_a_round_on_a_phone_with_one_checkpoint_offline(browsing, patrol, org):
    checkpoints = patrol.checkpoints
    page = browsing.login("guard1", "phone")
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": float(checkpoints[0].latitude),
                                  "longitude": float(checkpoints[0].longitude),
                                  "accuracy": 15})

    # -- home: tonight's round highlighted, a big scan button ------------------------------
    page.goto("/patrols/")
    row = page.locator(f".round-row.is-next[data-round='{patrol.round.pk}']")
    assert row.is_visible()
    assert browsing.overflow(page) == 0
    browsing.shot(page, "01-home")
    with page.expect_navigation():
        page.click("#scan-button")
    page.wait_for_selector(READY)

    assert page.locator("#round-progress").inner_text() == zh(
        "%(done)s of %(expected)s scanned", done=0, expected=4)

    # -- no camera here: the page says so and the typed code works --------------------------
    page.wait_for_selector("#camera-message.alert-warning")
    message = page.locator("#camera-message")
    assert message.inner_text() in (zh("The camera is not available (permission refused or no "
                                       "camera). Type the code printed under the QR code "
                                       "instead."),
                                    zh("This browser cannot use the camera here. Type the code "
                                       "printed under the QR code instead."))

    # -- checkpoints 1 and 2 online ---------------------------------------------------------
    for number, checkpoint in enumerate(checkpoints[:2], start=1):
        type_code(page, checkpoint.manual_code.lower())
        page.locator(".scan-results [data-status=created]").nth(number - 1).wait_for()
        wait_uploaded(page)
    assert scans_of(patrol.round) == 2
    first = CheckpointScan.objects.get(checkpoint=checkpoints[0])
    assert first.method == CheckpointScan.Method.MANUAL and first.timing == "on_time"
    assert first.accuracy_m == 15 and first.distance_m == 0 and not first.is_flagged
    assert abs((first.received_at - first.scanned_at).total_seconds()) < 30

    # -- offline: checkpoint 3 waits on the phone ---------------------------------------------
    page.context.set_offline(True)
    browsing.wait_until(page, "() => navigator.onLine === false")
    type_code(page, checkpoints[2].manual_code)
    page.wait_for_selector("#scan-queue[data-state=offline][data-count='1']")
    queue_text = page.locator("#scan-queue-text").inner_text()
    assert zh("%(count)s scan waiting to upload", count=1) in queue_text
    assert page.locator(".scan-results [data-status=queued]").count() == 1
    browsing.shot(page, "02-scan-offline-queued", full_page=False)
    page.wait_for_timeout(1500)
    assert scans_of(patrol.round) == 2

    # -- back online: uploaded once, with the time it was scanned ------------------------------
    page.context.set_offline(False)
    wait_uploaded(page)
    forgive_offline_requests(page)
    assert page.locator(".scan-results [data-status=created]").count() == 3
    # the header's count follows the uploads, as the log below it does
    assert page.locator("#round-progress").inner_text() == zh(
        "%(done)s of %(expected)s scanned", done=3, expected=4)
    third = CheckpointScan.objects.get(checkpoint=checkpoints[2])
    assert third.scanned_at < third.received_at and third.timing == "on_time"
    page.reload()
    page.wait_for_selector(READY)
    wait_uploaded(page)
    page.wait_for_timeout(1000)
    assert scans_of(patrol.round) == 3
    assert CheckpointScan.objects.count() == 3 + 1  # and the earlier route's one scan

    # -- a forged code is refused with its message -----------------------------------------------
    good = patrolling.checkpoint_code(checkpoints[3])
    forged = f"{checkpoints[2].pk}-1.{good.split('.', 1)[1]}"
    type_code(page, forged)
    refused = page.locator(".scan-results [data-status=refused]").first
    refused.wait_for()
    assert refused.locator(".scan-refusal").inner_text() == zh(
        "This code is forged or damaged: it was not issued by the security office. Report the "
        "sticker to your shift leader.")
    assert ": " not in refused.inner_text()  # label and reason apart, no ASCII colon
    browsing.shot(page, "02b-scan-refused", full_page=False)
    assert scans_of(patrol.round) == 3

    # -- checkpoint 4 from the sticker's address in the phone's own camera app ------------------
    sticker = browsing.new_page("phone")
    path = reverse("patrols:scan_code", args=[good])
    sticker.goto(path)
    assert "/accounts/login/" in sticker.url
    sticker.fill("input[name=username]", "guard1")
    sticker.fill("input[name=password]", "pass-1234")
    with sticker.expect_navigation():
        sticker.click("form button[type=submit]")
    assert sticker.url.endswith(path)
    assert sticker.locator("#checkpoint-title").inner_text() == checkpoints[3].label
    sticker.locator(".scan-results [data-status=created]").wait_for(timeout=20_000)
    assert zh_state("completed") in sticker.locator(".scan-results").inner_text()
    browsing.shot(sticker, "03-sticker-landing")
    sticker.reload()  # opening the same page again within two minutes adds no scan
    sticker.wait_for_selector(READY)
    wait_uploaded(sticker)

    # -- the round is completed ---------------------------------------------------------------
    round_ = PatrolRound.objects.get(pk=patrol.round.pk)
    assert round_.state == PatrolRound.State.COMPLETED
    assert (round_.checkpoints_on_time, round_.checkpoints_missed) == (4, 0)
    assert scans_of(patrol.round) == 4
    page.goto(reverse("patrols:round_detail", args=[round_.pk]))
    assert page.locator("#round-state").inner_text().strip() == zh_state("completed")
    assert page.locator(".checkpoint-row[data-status=on_time]").count() == 4
    assert browsing.overflow(page) == 0
    browsing.shot(page, "04-round-completed")

    # -- a hazard found at checkpoint 2, reported from the round -------------------------------
    with page.expect_navigation():
        page.locator(f".checkpoint-row[data-checkpoint='{checkpoints[1].pk}'] "
                     "a[href$='/hazard/']").click()
    assert browsing.overflow(page) == 0
    browsing.shot(page, "04b-hazard-form")
    page.fill("input[name=title]", "Fire exit blocked by bicycles")
    page.select_option("select[name=category]", str(org.fire.pk))
    with page.expect_navigation():
        page.click("#checkpoint-hazard-form button[type=submit]")
    hazard = Hazard.objects.get()
    assert (hazard.source, hazard.place_id) == (Source.PATROL, checkpoints[1].place_id)
    assert page.url.endswith(reverse("patrols:round_detail", args=[round_.pk]))
    assert hazard.reference in page.locator(".alert-success").inner_text()

    # -- the earlier round: its missed checkpoints in red ------------------------------------------
    page.goto(reverse("patrols:round_detail", args=[patrol.missed_round.pk]))
    missed = page.locator(".checkpoint-row.is-missed")
    assert missed.count() == 2
    colour = missed.first.evaluate("el => getComputedStyle(el).borderLeftColor")
    assert colour == "rgb(220, 53, 69)"
    assert browsing.overflow(page) == 0
    browsing.shot(page, "05-round-missed")


def test_patrol_pages_on_a_desktop(browsing, patrol, org):
    page = browsing.login("guard1", "desktop")
    page.goto("/patrols/")
    assert page.locator(f".round-row.is-next[data-round='{patrol.round.pk}']").is_visible()
    browsing.shot(page, "01-home-guard")
    page.goto(reverse("patrols:round_detail", args=[patrol.missed_round.pk]))
    assert page.locator(".checkpoint-row.is-missed").count() == 2
    browsing.shot(page, "02-round-missed")

    page.goto(reverse("patrols:scan") + f"?round={patrol.round.pk}")
    page.wait_for_selector(READY)
    page.context.set_offline(True)
    browsing.wait_until(page, "() => navigator.onLine === false")
    type_code(page, "WRNG-2222")
    page.wait_for_selector("#scan-queue[data-state=offline][data-count='1']")
    browsing.shot(page, "03-scan-offline-queued")
    page.context.set_offline(False)
    page.locator(".scan-results [data-status=refused]").wait_for(timeout=20_000)
    forgive_offline_requests(page)
    assert zh("This code is not a checkpoint code in use: it may be mistyped or replaced. "
    "Check the sticker; if it has been replaced, tell your shift leader.") in \
        page.locator(".scan-results").inner_text()

    office = browsing.login("staff1", "desktop")
    office.goto("/patrols/")
    assert office.locator("#missed-rounds").is_visible()
    assert zh("%(missed)s missed", missed=2) in office.locator("#missed-rounds").inner_text()
    browsing.shot(office, "04-home-office")
    phone = browsing.login("staff1", "phone")
    phone.goto("/patrols/")
    assert browsing.overflow(phone) == 0
    browsing.shot(phone, "05-home-office")


def test_a_round_is_started_only_from_its_start_time_and_a_grid_officers_home(browsing, org):
    """A round two hours ahead: its page says from when it can be started (no start button),
    the scan page does not offer it; a round opening in ten minutes can be started. A grid
    officer's patrols page is his grid work."""
    now = timezone.now().astimezone(clock.local_zone()).replace(second=0, microsecond=0)
    later = schedule_around(build_route(org, code="later-walk"),
                            start=now + dt.timedelta(hours=2), hours=2, window_minutes=30)
    soon = schedule_around(build_route(org, code="soon-walk", checkpoints=3),
                           start=now + dt.timedelta(minutes=10), hours=2, window_minutes=30)
    page = browsing.login("guard1", "phone")

    page.goto(reverse("patrols:round_detail", args=[later.pk]))
    assert page.locator("#start-round").count() == 0
    assert page.locator("#scan-button").count() == 0
    start_from = (later.window_start - patrolling.START_LEAD).astimezone(clock.local_zone())
    assert start_from.strftime("%H:%M") in page.locator("#start-later").inner_text()
    assert browsing.overflow(page) == 0
    browsing.shot(page, "01-round-before-start-time")

    page.goto(reverse("patrols:scan") + f"?round={later.pk}")
    page.wait_for_selector(READY)
    assert page.locator("#round-not-open").is_visible()
    assert page.locator("#round-progress").count() == 0
    assert browsing.overflow(page) == 0
    browsing.shot(page, "02-scan-round-not-open", full_page=False)

    page.goto(reverse("patrols:round_detail", args=[soon.pk]))
    assert page.locator("#start-later").count() == 0
    assert page.locator("#start-round").is_visible()
    browsing.shot(page, "03a-round-within-start-time")
    with page.expect_navigation():
        page.click("#start-round")
    assert page.locator("#round-state").inner_text().strip() == zh_state("in_progress")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "03-round-started-within-start-time")

    grid = browsing.login("grid1", "phone")
    grid.goto("/patrols/")
    assert grid.locator("#log-visit").is_visible() and grid.locator("#my-visits").is_visible()
    assert org.zone1.name in grid.locator("#my-grids").inner_text()
    assert browsing.overflow(grid) == 0
    browsing.shot(grid, "04-home-grid-officer")
