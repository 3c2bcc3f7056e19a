"""The guard's guide (校卫队员, ``guard_xq1`` on a phone): the day's patrol round started, a
checkpoint scanned by its code (and once more offline: it waits on the phone and goes up when
the network returns), a hazard reported with a photo, a parking violation recorded, a
suspected abandoned vehicle reported, signing in at a traffic duty post and an incident
logged; then the shift leader (``shift_leader``) on the shifts he leads, a round with missed
checkpoints in red. Pictures ``guard-<nn>-<what>-phone.jpg``.

The codes printed under the QR stickers are read from the office's pages, as a guard reads
them off the sticker. Every text entered is unique, so the walk passes again on the same demo.
"""

import re
import uuid

import pytest
from django.utils import translation
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.guide]


#: What the guard types, in the language of the walk.
TEXT = {
    "zh-hans": {"hazard": "楼梯间灭火器缺失", "detail": "二层楼梯间灭火器箱是空的。",
                "where": "北门东侧", "incident": "学生在图书馆捡到钱包一个，已交值班室。",
                "car": "白色轿车，四轮亏气，车身积灰很厚", "car_where": "北门停车场西侧第 3 排"},
    "en": {"hazard": "Fire extinguisher missing", "detail": "The box on the 2nd floor stairs is empty.",
           "where": "East of the north gate",
           "incident": "A student handed in a wallet found in the library.",
           "car": "White saloon, four flat tyres, thick dust", "car_where": "North gate car park, row 3"},
}


def t(lang: str, msgid: str, **values) -> str:
    """The text the UI shows for ``msgid`` in ``lang``."""
    with translation.override(lang):
        text = translation.gettext(msgid)
    return text % values if values else text


def photo(tmp_path, name: str, colour) -> str:
    path = tmp_path / name
    Image.new("RGB", (800, 600), colour).save(path, format="JPEG")
    return str(path)


def choose_first(page, selector: str) -> None:
    """Choose the first real option of a select (the first one is "choose…")."""
    value = page.locator(f"{selector} option:not([value=''])").first.get_attribute("value")
    page.select_option(selector, value)


def sticker_code(office, route_name: str) -> str:
    """The code printed under the first checkpoint's QR sticker of ``route_name``."""
    office.goto("/patrols/setup/routes/")
    with office.expect_navigation():
        office.locator("main a", has_text=route_name).first.click()
    return office.locator("main code.fs-6").first.inner_text().strip()


def post_code(office, post_name: str) -> str:
    office.goto("/traffic/posts/")
    with office.expect_navigation():
        office.locator("main a[href^='/traffic/posts/']", has_text=post_name).first.click()
    return office.locator("#manual-code").inner_text().strip()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_guard_daily_tasks(guide, lang, tmp_path):
    tag = uuid.uuid4().hex[:6]
    page = guide.login("guard_xq1", "phone", lang=lang)
    office = guide.login("inspector1", "desktop", lang=lang)

    # -- today's rounds; the next one is marked -----------------------------------------------
    page.goto("/patrols/")
    next_round = page.locator("main a[href^='/patrols/rounds/']").first
    assert next_round.is_visible()
    guide.shot(page, "guard-01-rounds")
    with page.expect_navigation():
        next_round.click()
    title = page.locator("main h1").inner_text()
    guide.shot(page, "guard-02-round")
    start = page.locator("#start-round")
    if start.count():  # the round can be started now (from 15 minutes before its window)
        with page.expect_navigation():
            start.click()
        assert t(lang, "Round started. Scan each checkpoint in turn.") in page.locator(
            ".alert-success").inner_text()

    # -- scan a checkpoint: no camera here, so type the code printed under the QR ---------------
    route_name = re.split(r" 第|, round", title)[0].strip()
    code = sticker_code(office, route_name)
    scan_link = page.locator("main a[href^='/patrols/scan/']")
    if not scan_link.count():  # the round's window has not opened yet: scan from the start page
        page.goto("/patrols/")
        scan_link = page.locator("#scan-button")
    with page.expect_navigation():
        scan_link.first.click()
    page.wait_for_selector("html[data-patrol-ready]")
    page.fill("#manual-form input[name=code]", code.lower())
    page.click("#manual-submit")
    result = page.locator("#scan-results li[data-status]:not([data-status=queued])").first
    result.wait_for()
    assert result.get_attribute("data-status") in ("created", "duplicate"), result.inner_text()
    page.wait_for_selector("#scan-queue[data-state=idle][data-count='0']", timeout=20_000)
    guide.shot(page, "guard-03-scan-checkpoint")

    # -- offline: the scan waits on the phone and goes up by itself when the network returns ---
    page.context.set_offline(True)
    page.fill("#manual-form input[name=code]", code)
    page.click("#manual-submit")
    page.wait_for_selector("#scan-queue[data-state=offline][data-count='1']")
    assert t(lang, "%(count)s scan waiting to upload", count=1) in page.locator(
        "#scan-queue").inner_text()
    page.context.set_offline(False)
    page.wait_for_selector("#scan-queue[data-state=idle][data-count='0']", timeout=20_000)

    # -- report a hazard with a photo ------------------------------------------------------------
    page.goto("/hazards/report/")
    page.set_input_files("input[name=photos]", photo(tmp_path, "hazard.jpg", (200, 60, 40)))
    hazard_title = f"{TEXT[lang]['hazard']} {tag}"
    page.fill("input[name=title]", hazard_title)
    choose_first(page, "select[name=category]")
    page.select_option("select[name=campus]", "1")
    guide.wait_until(page, "() => document.querySelectorAll('select[name=building] option').length > 1")
    choose_first(page, "select[name=building]")
    guide.wait_until(page, "() => document.querySelectorAll('select[name=place] option').length > 1")
    choose_first(page, "select[name=place]")
    page.fill("textarea[name=description]", TEXT[lang]["detail"])
    guide.shot(page, "guard-04-report-hazard")
    with page.expect_navigation():
        page.locator("#report-form button[type=submit]").click()
    assert page.locator("main h1", has_text=hazard_title).count() == 1
    assert page.locator(".alert-success").count() == 1

    # -- record a parking violation ----------------------------------------------------------------
    page.goto("/traffic/violations/record/")
    plate = "陕A" + str(uuid.uuid4().int)[:5]
    page.fill("input[name=plate]", plate)
    page.locator("label[for=id_kind_0]").click()
    page.set_input_files("input[name=photos]", photo(tmp_path, "car.jpg", (40, 60, 200)))
    page.select_option("select[name=campus]", "1")
    page.fill("input[name=location_text]", f"{TEXT[lang]['where']} {tag}")
    guide.shot(page, "guard-05-record-violation")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    assert "/traffic/violations/" in page.url and page.locator("main", has_text=plate).count() == 1
    guide.shot(page, "guard-06-violation-saved")

    # -- report a suspected abandoned vehicle ----------------------------------------------------------
    page.goto("/traffic/abandoned/")
    with page.expect_navigation():
        page.locator("main a[href='/traffic/abandoned/report/']").click()
    page.set_input_files("input[name=photos]", photo(tmp_path, "abandoned.jpg", (150, 150, 150)))
    abandoned_plate = "陕A" + str(uuid.uuid4().int)[:5]
    page.fill("input[name=plate]", abandoned_plate)
    page.fill("input[name=description]", TEXT[lang]["car"])
    page.select_option("select[name=campus]", "1")
    page.fill("input[name=location_text]", f"{TEXT[lang]['car_where']} {tag}")
    guide.shot(page, "guard-07-report-abandoned")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/traffic/abandoned/" in page.url and page.locator(".alert-success").count() == 1
    assert page.locator("main", has_text=abandoned_plate).count() == 1

    # -- sign in at a traffic duty post by its code --------------------------------------------------
    code = post_code(office, "北门")
    page.goto("/traffic/posts/sign-in/")
    page.fill("#sign-in-form input[name=code]", code)
    with page.expect_navigation():
        page.click("#sign-in-submit")
    signed = page.locator(".alert-success, .alert-warning").first.inner_text()
    assert code not in signed and "北门" in signed, signed
    guide.shot(page, "guard-08-post-sign-in")

    # -- log an incident -------------------------------------------------------------------------------
    page.goto("/patrols/incidents/new/")
    page.select_option("select[name=category]", "lost_property")
    page.select_option("select[name=campus]", "1")
    summary = f"{TEXT[lang]['incident']} {tag}"
    page.fill("textarea[name=summary]", summary)
    guide.shot(page, "guard-09-incident")
    with page.expect_navigation():
        page.locator("#incident-form button[type=submit]").click()
    assert page.locator("main", has_text=tag).count() == 1
    guide.shot(page, "guard-10-incident-saved")

    # -- the shift leader: the shifts he leads, their completion, missed checkpoints in red ------------
    leader = guide.login("shift_leader", "phone", lang=lang)
    leader.goto("/patrols/")
    with leader.expect_navigation():
        leader.locator("#patrol-links a[href='/patrols/reports/my-shifts/']").click()
    assert leader.locator("main h1").inner_text() == t(lang, "Shifts I lead")
    assert leader.locator("#leader-totals").is_visible()
    guide.shot(leader, "guard-11-shifts-i-lead")
    missed = leader.locator(".patrol-round-missed a").first
    with leader.expect_navigation():
        missed.click()
    assert leader.locator("#checkpoints [data-status=missed]").count() >= 1
    guide.shot(leader, "guard-12-missed-round")
