"""The grid officer's guide (网格员, ``grid_xq_living`` on a phone; the grid head
``gridhead_xq`` at the end): log a visit to the grid, report the hazard found on it with a
photo, see it on the visit, the grid's page and the list of visits; the grid head's overview.
Pictures ``grid-officer-<nn>-<what>-phone.jpg``. Texts are unique, so the walk passes again on
the same demo.
"""

import uuid

import pytest
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.guide]

#: What the grid officer types, in the language of the walk.
TEXT = {
    "zh-hans": {"rooms": "3 层 301–310 宿舍", "findings": "301 宿舍有学生在床上给电动车电池充电。",
                "hazard": "宿舍内违规充电", "where": "3 层 301 宿舍"},
    "en": {"rooms": "3rd floor, rooms 301–310",
           "findings": "A student charges an e-bike battery on the bed in 301.",
           "hazard": "E-bike battery charged in a dorm room", "where": "3rd floor, room 301"},
}


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_grid_officer_daily_tasks(guide, lang, tmp_path):
    tag = uuid.uuid4().hex[:6]
    text = TEXT[lang]
    page = guide.login("grid_xq_living", "phone", lang=lang)

    # -- the home page leads to the visit form ---------------------------------------------------
    visit_link = page.locator("main a[href='/patrols/grids/visits/new/']").first
    assert visit_link.is_visible()
    guide.shot(page, "grid-officer-01-home")
    with page.expect_navigation():
        visit_link.click()

    # -- log the visit: the grid is preselected, the time is now ------------------------------------
    assert page.locator("select[name=zone] option").count() == 1
    page.select_option("select[name=building]", index=3)
    page.select_option("select[name=kind]", "dormitory")
    page.fill("input[name=community]", f"{text['rooms']} {tag}")
    page.fill("input[name=people_met]", "12")
    page.fill("textarea[name=findings]", text["findings"])
    page.check("input[name=found_hazard]")
    guide.shot(page, "grid-officer-02-visit-form")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/hazard/" in page.url and page.locator(".alert-success").count() == 1

    # -- report the hazard found, with a photo ---------------------------------------------------------
    photo = tmp_path / "dorm.jpg"
    Image.new("RGB", (800, 600), (220, 120, 30)).save(photo, format="JPEG")
    page.fill("input[name=title]", f"{text['hazard']} {tag}")
    value = page.locator("select[name=category] option:not([value=''])").first.get_attribute("value")
    page.select_option("select[name=category]", value)
    page.fill("input[name=location_text]", text["where"])
    page.set_input_files("input[name=photos]", str(photo))
    guide.shot(page, "grid-officer-03-visit-hazard")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/patrols/grids/visits/" in page.url
    assert page.locator(".alert-success").count() == 1
    assert page.locator("main", has_text=f"{text['hazard']} {tag}").count() == 1
    guide.shot(page, "grid-officer-04-visit-saved")

    # -- my visits and the grid's page -------------------------------------------------------------------
    page.goto("/patrols/grids/visits/")
    assert page.locator("main", has_text=tag).count() == 1
    guide.shot(page, "grid-officer-05-my-visits")
    page.goto("/patrols/grids/")
    with page.expect_navigation():
        page.locator("main a[href^='/patrols/grids/']", has_text="东区学生生活网格").first.click()
    guide.shot(page, "grid-officer-06-grid")

    # -- the grid's open hazards in the ledger ----------------------------------------------------------
    page.goto("/hazards/?status=open")
    assert page.locator("main", has_text=tag).count() == 1
    guide.shot(page, "grid-officer-07-hazards")

    # -- the grid head's overview of the campus's grids --------------------------------------------------
    head = guide.login("gridhead_xq", "phone", lang=lang)
    head.goto("/patrols/grids/dashboard/")
    assert head.locator("main", has_text="东区学生生活网格").count() >= 1
    guide.shot(head, "grid-officer-08-grid-head-overview")
