"""The cockpit in the browser: the office head on a phone taps the overdue card and lands on
the hazard ledger showing the same number; the desktop cockpit with its sparklines; the big
screen of a wall display at 1920×1080."""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.dashboards import services as dashboard_services
from safecampus.hazards import services as hazard_services

pytestmark = pytest.mark.browser


def _overdue_hazards(org, n: int):
    """``n`` hazards on campus 1 sent to unit A 20 days ago with a 7-day deadline."""
    staff = org.users.staff
    with clock.frozen(clock.now() - dt.timedelta(days=20)):
        for i in range(n):
            hazard = hazard_services.hazard_report(
                reporter=org.users.student, title=f"消防通道堵塞{i}", category_id=org.fire.pk,
                place_id=org.place_a.pk)
            hazard_services.hazard_confirm(actor=staff, hazard_id=hazard.pk)
            hazard_services.notice_issue(actor=staff, hazard_ids=[hazard.pk],
                                         requirements="清理", deadline_days=7)
    # One more, reported today and not yet due
    hazard_services.hazard_report(reporter=org.users.student, title="灭火器过期",
                                  category_id=org.fire.pk, place_id=org.place_b.pk)


def test_office_head_drills_from_the_overdue_count_to_the_ledger(browsing, org, viewport):
    # Given three overdue hazards
    _overdue_hazards(org, 3)
    # When the office head opens the cockpit from the menu
    page = browsing.login("admin1", viewport)
    page.goto("/")
    if viewport == "phone":
        page.locator(".navbar-toggler").click()
    page.locator(".navbar a[href='/cockpit/']").click()
    page.wait_for_url("**/cockpit/")
    card = page.locator("#metric-hazards_overdue")
    assert card.locator(".ck-value").inner_text().strip() == "3"
    assert "逾期隐患" in card.inner_text()
    browsing.wait_until(page, "() => document.querySelectorAll('[data-spark-ready]').length > 10")
    assert browsing.overflow(page) == 0
    boxes = [page.locator(f"#metric-{key}").bounding_box()
             for key in ("hazards_reported", "hazards_open", "hazards_overdue")]
    if viewport == "phone":  # two cards a row, compact
        assert boxes[0]["y"] == boxes[1]["y"] and boxes[1]["x"] > boxes[0]["x"]
        assert boxes[2]["x"] == boxes[0]["x"] and boxes[2]["y"] > boxes[0]["y"]
        assert boxes[0]["height"] < 160
        # the whole cockpit is far shorter than one column (was about 4,900 px)
        assert page.evaluate("document.documentElement.scrollHeight") < 3200
    browsing.shot(page, "cockpit")
    # When they tap the overdue card
    with page.expect_navigation():
        card.click()
    # Then the ledger lists the overdue hazards and states the same number
    assert "/hazards/?" in page.url and "overdue=on" in page.url
    count = page.locator(".ledger-count")
    assert count.get_attribute("data-count") == "3"
    assert "符合条件的隐患共 3 条" in count.inner_text()
    visible = "table tbody tr" if viewport == "desktop" else ".list-group a.list-group-item"
    assert page.locator(visible).count() == 3
    assert browsing.overflow(page) == 0
    browsing.shot(page, "ledger-overdue")


def test_campus_switch_and_custom_period_error(browsing, org):
    _overdue_hazards(org, 1)
    page = browsing.login("leader1", "desktop")
    page.goto("/cockpit/")
    page.select_option("#id_campus", str(org.campus2.pk))
    page.select_option("#id_period", "custom")
    page.fill("#id_date_from", "2026-11-15")
    page.fill("#id_date_to", "2026-11-01")
    with page.expect_navigation():
        page.click("#cockpit-filters button[type=submit]")
    assert "结束日期早于开始日期。" in page.locator("#cockpit-errors").inner_text()
    assert page.locator("#metric-hazards_overdue .ck-value").inner_text().strip() == "0"
    assert page.locator("#cockpit-reports-link").get_attribute("href") == "/reports/"


def test_big_screen_at_1920_by_1080(browsing, org):
    _overdue_hazards(org, 2)
    _display, token = dashboard_services.display_token_create(actor=org.users.admin,
                                                              name="值班室大屏")
    page = browsing.new_page("desktop")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"/screen/{token}/")
    tile = page.locator("[data-metric=hazards_overdue]")
    assert tile.locator(".sc-value").inner_text().strip() == "2"
    assert "逾期隐患" in tile.inner_text()
    browsing.wait_until(page, "() => document.querySelectorAll('[data-chart-ready]').length == 2")
    # Everything fits the wall: nothing scrolls
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    assert browsing.overflow(page) == 0
    # The figures are large (legible from a distance)
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.sc-value'))"
                         ".fontSize)")
    assert size >= 56
    # No hazard's title on a token page: counts per unit only
    assert "消防通道堵塞" not in page.content()
    assert "化学学院" in page.locator(".sc-side").inner_text()
    # The clock ticks
    clock_text = "() => document.getElementById('screen-clock').textContent"
    before = page.evaluate(clock_text)
    browsing.wait_until(page, f"(s) => ({clock_text})() !== s", before)
    # htmx refreshes the data in place (triggered now instead of waiting a minute), once the
    # clock shows a later second than the one the data was stamped with
    stamp = page.locator(".sc-grid").get_attribute("data-updated")
    shown = page.evaluate(clock_text)
    browsing.wait_until(page, f"(s) => ({clock_text})() !== s", shown)
    page.evaluate("htmx.trigger('#screen-data', 'screen-refresh')")
    browsing.wait_until(page, "(s) => document.querySelector('.sc-grid').dataset.updated !== s",
                        stamp)
    browsing.wait_until(page, "() => document.querySelectorAll('[data-chart-ready]').length == 2")
    browsing.shot(page, "big-screen", full_page=False)
    # No session was made
    assert not [c for c in page.context.cookies() if c["name"] == "sessionid"]
    # When the link is revoked, the next refresh says so on the screen (old figures stay)
    assert page.locator("#screen-status").is_hidden()
    dashboard_services.display_token_revoke(actor=org.users.admin, display_id=_display.pk)
    page.evaluate("htmx.trigger('#screen-data', 'screen-refresh')")
    browsing.wait_until(page, "() => !document.getElementById('screen-status').hidden")
    assert "链接已注销" in page.locator("#screen-status").inner_text()
    assert tile.locator(".sc-value").inner_text().strip() == "2"
    assert page.evaluate("() => document.querySelectorAll('[data-screen-chart] canvas').length") == 2
    browsing.shot(page, "big-screen-revoked", full_page=False)
    # (that refused refresh is the expected 403, not a browser problem)
    data_url = f"/screen/{token}/data/"
    for _context, found in browsing.contexts:
        for name in ("console_errors", "bad_responses", "failed_requests"):
            setattr(found, name, [p for p in getattr(found, name) if data_url not in p])
