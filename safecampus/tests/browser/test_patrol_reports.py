"""The shift leader's page on a phone (390×844): after the sweep found missed checkpoints,
the leader sees the round in red, opens it; and the office's patrol report on a phone and a
desktop (chart drawn, nothing wider than the screen)."""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.patrols.models import PatrolRound
from safecampus.patrols.services import patrolling
from safecampus.patrols.tests.helpers import build_route, scan
from safecampus.tests.factories import user_with_role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def swept(org):
    """A shift led by guard1 that began three hours ago (4 rounds of an hour, 30-minute
    windows); in round 1 guard2 scanned 2 of 4 checkpoints, one of them far from its place;
    the sweep has closed the three rounds whose window is over."""
    from safecampus.accounts.models import Role

    guard2 = user_with_role(Role.GUARD, campus=org.campus1, username="guard2")
    start = (clock.now().astimezone(clock.local_zone()) - dt.timedelta(hours=3)).replace(
        second=0, microsecond=0)
    built = build_route(org, guards=[guard2], leader=org.users.guard, starts_at=start.time(),
                        ends_at=(start + dt.timedelta(hours=4)).time())
    shift = patrolling.shift_plan(schedule=built.schedule, day=start.date())
    first = shift.rounds.get(sequence=1)
    scan(guard2, built.checkpoints[0], first.window_start + dt.timedelta(minutes=5))
    scan(guard2, built.checkpoints[1], first.window_start + dt.timedelta(minutes=9),
         latitude=31.0)
    patrolling.patrol_sweep()
    first.refresh_from_db()
    assert (first.state, first.checkpoints_missed) == (PatrolRound.State.INCOMPLETE, 2)
    built.first = first
    return built


def test_shift_leader_sees_the_missed_checkpoint_in_red_on_a_phone(browsing, org, swept):
    page = browsing.login("guard1", "phone")
    page.goto("/patrols/reports/my-shifts/")
    row = page.locator(f"li.patrol-round[data-round='{swept.first.pk}']")
    assert "patrol-round-missed" in row.get_attribute("class")
    missed = row.locator(".patrol-missed-count")
    assert missed.inner_text().split() == ["漏巡", "2", "个"]  # "2 missed" in Chinese
    assert "text-danger" in missed.get_attribute("class")
    red, green, blue = page.evaluate(
        "el => getComputedStyle(el).color.match(/\\d+/g).slice(0, 3).map(Number)",
        missed.element_handle())
    assert red > 180 and green < 90 and blue < 90, (red, green, blue)
    assert row.locator(".badge.text-bg-warning").inner_text().strip() == "1"  # flagged scan
    assert browsing.overflow(page) == 0
    browsing.shot(page, "01-my-shifts")
    with page.expect_navigation():
        row.locator("a").click()
    assert page.url.endswith(f"/patrols/rounds/{swept.first.pk}/")
    assert swept.checkpoints[2].label in page.inner_text("main")
    browsing.shot(page, "02-round")


def test_a_guard_who_leads_nothing_sees_the_empty_state(browsing, org, swept):
    page = browsing.login("guard2", "phone")
    page.goto("/patrols/reports/my-shifts/")
    # guard2 has never led a shift: told so, with no figures and no week links
    told = page.locator("#leads-none")
    assert told.is_visible()
    assert "不是任何巡逻班次的带班人" in told.inner_text()
    assert page.locator("#no-shifts, #leader-totals").count() == 0
    assert browsing.overflow(page) == 0
    browsing.shot(page, "01-empty")


def test_office_report_on_phone_and_desktop(browsing, org, swept, viewport):
    page = browsing.login("staff1", viewport)
    # The shift's night to today: the default period (this month) misses a shift that began
    # last month when the test runs in the first hours of a month.
    night = swept.first.window_start.astimezone(clock.local_zone()).date()
    page.goto(f"/patrols/reports/?date_from={night:%Y-%m-%d}&date_to={clock.local_today():%Y-%m-%d}")
    page.wait_for_selector("[data-chart=patrol-chart-nights][data-chart-ready]")
    missed = page.locator(f"#missed li[data-round='{swept.first.pk}'] a.link-danger")
    assert missed.is_visible()
    assert page.locator("#flagged .badge.text-bg-warning").count() == 1
    assert browsing.overflow(page) == 0
    browsing.shot(page, "01-report")
    with page.expect_navigation():
        page.locator("#missed li a.link-danger").first.click()
    assert "/patrols/rounds/" in page.url


def test_incident_statistics_and_grid_dashboard_charts_are_drawn(browsing, org, viewport):
    """The charts of both pages are drawn by app.js's [data-chart] (no page script of their
    own) and fit the screen."""
    from safecampus.patrols.services import duty

    now = clock.now()
    for hours in (2, 26, 50):
        duty.incident_record(actor=org.users.staff, category="theft", summary="自行车被盗",
                             reported_at=now - dt.timedelta(hours=hours))
    page = browsing.login("staff1", viewport)
    page.goto("/patrols/incidents/statistics/")
    page.wait_for_selector("[data-chart=stats-chart-hour][data-chart-ready] canvas")
    page.wait_for_selector("[data-chart=stats-chart-heat][data-chart-ready] canvas")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "01-incident-statistics")
    page.goto("/patrols/grids/dashboard/")
    page.wait_for_selector("[data-chart=grid-chart][data-chart-ready] canvas")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "02-grid-dashboard")
