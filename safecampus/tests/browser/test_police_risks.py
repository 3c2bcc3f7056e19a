"""The risk register as the office clicks it (phone 390×844 and desktop 1440×900): register a
point at the chemistry lab, placing it by a tap on the campus map, grade it by LEC with the
level shown live as the values are chosen, add a control measure and publish it; the place
takes the level. Screenshots go to /tmp/shots."""

import pytest

from safecampus.police.models import RiskPoint
from safecampus.police.tests.risk_map_helpers import give_map

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def test_register_assess_and_publish_a_risk_point(browsing, org, viewport):
    give_map(org.campus1, size=(800, 600))
    page = browsing.login("staff1", viewport, next_url="/police/risks/new/")
    assert page.locator("#risk-point-map").is_hidden()  # no campus chosen yet
    page.fill("input[name=name]", "化学楼危化品库房")
    page.select_option("select[name=kind]", "hazardous_goods")
    page.select_option("select[name=place]", str(org.place_a.pk))
    # The place's campus map appears; a tap a quarter across and three quarters down places it.
    image = page.locator(f'[data-risk-map="{org.campus1.pk}"] img')
    browsing.wait_until(page, "() => { const i = document.querySelector("
                              "'#risk-point-map:not([hidden]) [data-risk-map]:not([hidden]) img');"
                              " return i && i.complete && i.naturalWidth > 0; }")
    image.scroll_into_view_if_needed()
    box = image.bounding_box()
    image.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.75})
    assert abs(float(page.input_value("input[name=map_x]")) - 25) < 1
    assert abs(float(page.input_value("input[name=map_y]")) - 75) < 1
    assert page.locator(f'[data-risk-map="{org.campus1.pk}"] .campus-map-pin').is_visible()
    page.fill("textarea[name=hazard_factors]", "易燃易爆化学品储存")
    page.select_option("select[name=responsible_unit]", str(org.unit_a.pk))
    page.select_option("select[name=responsible_person]", str(org.users.contact_a.pk))
    assert browsing.overflow(page) == 0
    browsing.shot(page, "register")
    with page.expect_navigation():
        page.click("#risk-point-form button[type=submit]")
    point = RiskPoint.objects.get()
    assert point.code == "FX-NORTH-0001" and point.state == "draft"
    assert abs(float(point.map_x) - 25) < 1 and abs(float(point.map_y) - 75) < 1

    with page.expect_navigation():
        page.click("#assess-link")
    assert page.locator("#matrix-fields").is_hidden()
    page.select_option("select[name=lec_l]", "6")
    page.select_option("select[name=lec_e]", "6")
    page.select_option("select[name=lec_c]", "15")
    browsing.wait_until(page, "() => document.querySelector('#risk-result .risk-level-major')")
    assert "540" in page.locator("#risk-result").inner_text()
    page.check("input[name=method][value=matrix]")
    assert page.locator("#lec-fields").is_hidden()
    page.select_option("select[name=likelihood]", "3")
    page.select_option("select[name=severity]", "4")
    browsing.wait_until(page, "() => document.querySelector('#risk-result .risk-level-high')")
    page.check("input[name=method][value=lec]")
    browsing.wait_until(page, "() => document.querySelector('#risk-result .risk-level-major')")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "assess")
    with page.expect_navigation():
        page.click("#assess-submit")
    point.refresh_from_db()
    assert (point.level, point.score, point.control_tier) == ("major", 540, "university")

    with page.expect_navigation():
        page.click("#publish")
    assert page.locator(".alert-danger, .alert-error").count() >= 1
    point.refresh_from_db()
    assert point.state == "draft"
    with page.expect_navigation():
        page.click("#add-measure")
    page.fill("textarea[name=description]", "双人双锁，出入登记")
    page.select_option("select[name=tier]", "university")
    page.select_option("select[name=responsible_unit]", str(org.unit_a.pk))
    page.select_option("select[name=responsible_person]", str(org.users.contact_a.pk))
    with page.expect_navigation():
        page.click("#measure-form button[type=submit]")
    with page.expect_navigation():
        page.click("#publish")
    point.refresh_from_db()
    org.place_a.refresh_from_db()
    assert point.state == "published" and org.place_a.risk_level == "major"
    assert page.locator("#assessments tbody tr").count() == 1
    assert browsing.overflow(page) == 0
    browsing.shot(page, "published")
    page.goto("/police/risks/")
    assert "化学楼危化品库房" in page.locator("#risk-rows").inner_text()
    assert browsing.overflow(page) == 0
    browsing.shot(page, "register-list")
