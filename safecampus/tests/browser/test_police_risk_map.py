"""The four-colour risk map in the browser, on a phone and a desktop: the campus's map with
its coloured points, the zoom buttons, and a tap on a point opening its page."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from safecampus.police.documents_risk_map import point_url_pattern
from safecampus.police.tests.risk_map_helpers import point


def test_leadership_opens_the_map_and_taps_a_point(browsing, org, viewport):
    # Given campus1 with a map and points of every level
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1000), (225, 235, 225)).save(buffer, format="PNG")
    org.campus1.map_image.save("north.png", ContentFile(buffer.getvalue()))
    red = point(org.campus1, "R-1", level="major", x=30, y=40, name="危化品库房")
    for i, level in enumerate(["high", "moderate", "low"]):
        point(org.campus1, f"R-{i + 2}", level=level, x=50 + i * 10, y=60)
    # When a university leader opens the map
    page = browsing.login("leader1", viewport)
    page.goto("/police/risks/map/")
    svg = page.locator("#risk-map svg")
    svg.wait_for()
    # Then the map image and the four points are drawn, red with its colour
    assert page.locator("#risk-map svg image").count() == 1
    assert page.locator("#risk-map circle:not(.rm-hit)").count() == 4
    assert page.locator("g.rm-major").get_attribute("fill") == "#d62728"
    assert page.locator("#risk-map-legend [data-level-count=major]").inner_text() == "1"
    assert browsing.overflow(page) == 0
    # And every campus tab is in sight (they wrap, nothing scrolls off to the side)
    width = page.viewport_size["width"]
    for box in [tab.bounding_box() for tab in page.locator("#campus-tabs .nav-link").all()]:
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
    # And the zoom buttons make the map larger than its frame (it scrolls)
    page.locator("#risk-map-zoom [data-zoom=in]").click()
    browsing.wait_until(page, "document.querySelector('#risk-map svg').getBoundingClientRect()"
                              ".width > document.querySelector('#risk-map').clientWidth")
    page.locator("#risk-map-zoom [data-zoom=out]").click()
    browsing.shot(page, "risk-map")
    pattern = point_url_pattern()
    if pattern is None:
        pytest.skip("the register's point page (police:risk_detail) is not installed yet")
    # When they tap the red point, its page opens; on a phone a finger a little beside the
    # small dot still reaches it (the invisible hit ring)
    circle = page.locator("g.rm-major circle:not(.rm-hit)").first
    box = circle.bounding_box()
    with page.expect_navigation():
        if viewport == "phone":
            assert box["width"] < 12  # the dot is small on a phone ...
            page.touchscreen.tap(box["x"] + box["width"] / 2 + 9, box["y"] + box["height"] / 2)
        else:
            circle.click()
    assert page.url.endswith(pattern.format(pk=red.pk))
