"""Incident bulletins as people click them: a station's liaison drafts a bulletin on a phone
or a desktop, adds an incident, publishes it, and opens a hazard from the incident; the
statistics page then shows it with its hot spot on the campus map. Screenshots go to
/tmp/shots."""

import pytest

from safecampus.hazards.models import Hazard
from safecampus.police.models import Bulletin
from safecampus.police.services import partners as partner_services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def station(org):
    """A station serving campus 1 with liaison ``police1``; place A has a map position."""
    admin = org.users.admin
    partner = partner_services.partner_create(actor=admin, data=partner_services.PartnerInput(
        code="st1", name="北派出所", kind="police_station", campus_ids=[org.campus1.pk]))
    partner_services.liaison_add(actor=admin, partner_id=partner.pk, user_id=org.users.police.pk)
    org.place_a.map_x, org.place_a.map_y = 40, 55
    org.place_a.save()
    return partner


def test_a_liaison_posts_a_bulletin_whose_incident_opens_a_hazard(
        browsing, org, station, viewport):
    page = browsing.login("police1", viewport, next_url="/police/bulletins/new/")
    page.fill("input[name=title]", "五月校园及周边警情通报")
    page.fill("input[name=period_start]", "2026-05-01")
    page.fill("input[name=period_end]", "2026-05-31")
    assert browsing.overflow(page) == 0
    with page.expect_navigation():
        page.locator("#main-form button[type=submit]").first.click()
    bulletin = Bulletin.objects.get()
    with page.expect_navigation():
        page.click("#add-record")
    page.fill("input[name=occurred_at]", "2026-05-03T21:30")
    page.select_option("select[name=category]", "theft")
    page.fill("input[name=type_label]", "电动车被盗")
    page.select_option("select[name=campus]", str(org.campus1.pk))
    # The place list shows the chosen campus's places only (police/bulletin_record.js)
    assert page.locator(f"select[name=place] option[value='{org.place_b.pk}']").count() == 0
    page.select_option("select[name=place]", str(org.place_a.pk))
    page.select_option("select[name=proximity]", "area")  # elsewhere: no campus place
    assert page.locator("select[name=place]").is_disabled()
    page.select_option("select[name=proximity]", "on_campus")
    page.select_option("select[name=place]", str(org.place_a.pk))
    page.select_option("select[name=relevance]", "high")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "record")
    with page.expect_navigation():
        page.locator("#main-form button[type=submit]").first.click()
    assert page.locator("#record-rows a").count() == 1
    with page.expect_navigation():
        page.click("#publish")
    assert page.locator("#bulletin-state").inner_text().strip() in ("Published", "已发布")
    browsing.shot(page, "published")
    with page.expect_navigation():
        page.locator("#record-rows a").first.click()
    with page.expect_navigation():
        page.locator("#record-hazard a").click()
    page.select_option("select[name=category]", str(org.fire.pk))
    with page.expect_navigation():
        page.locator("#main-form button[type=submit]").first.click()
    hazard = Hazard.objects.get()
    assert hazard.source == "police" and bulletin.records.get().hazard == hazard
    assert page.locator("#record-hazard a").count() == 1  # the liaison may open it
    browsing.shot(page, "hazard")
    page.goto("/police/bulletins/statistics/")
    assert page.locator("#stats-total").is_visible()
    browsing.wait_until(page, "() => document.querySelector('[data-chart=stats-chart-hour] canvas')")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "statistics")
