"""The hazard loop as its users click it, at phone (390×844) and desktop (1440×900) size.

A student reports on a phone, the office confirms and issues a notice at a desk, the unit's
safety contact signs for it and submits evidence on a phone, the office verifies and closes,
and the student sees the outcome. Expected texts come from the zh-hans catalogue through
``zh()``, so the tests hold before and after the translations are compiled.
"""

import re

import pytest
from django.utils import translation
from PIL import Image

from safecampus.hazards.models import DeadlineBasis, Hazard, RectificationNotice, Status
from safecampus.tests.browser.conftest import VIEWPORTS

pytestmark = [
    pytest.mark.browser,
    # WhiteNoise looks for collected files; the live server serves static files from the finders.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


# Visible buttons and fields in <main> lower than 40 CSS px (too small for a thumb).
SMALL_TAP_TARGETS = """() => [...document.querySelectorAll("main .btn, main select, main input")]
    .filter(el => el.offsetParent !== null && !["hidden", "checkbox", "radio"].includes(el.type)
                  && !el.classList.contains("visually-hidden"))
    .filter(el => el.getBoundingClientRect().height < 40)
    .map(el => (el.name || el.textContent.trim()) + " " + el.getBoundingClientRect().height)"""


def zh(msgid: str) -> str:
    """The text the Chinese UI shows for ``msgid``."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def photo_file(tmp_path, name="hazard.jpg", colour=(200, 40, 40)) -> str:
    path = tmp_path / name
    Image.new("RGB", (800, 600), colour).save(path, format="JPEG")
    return str(path)


def alert_text(page, kind: str) -> str:
    """The text of the flash messages of ``kind`` (success, danger) on the page."""
    return " ".join(page.locator(f".alert-{kind}").all_inner_texts())


def fill_report(page, tmp_path, title: str, photo: str | None = None) -> None:
    """Fill the report form as a student does: place first from the cascading picker."""
    page.goto("/hazards/report/")
    page.select_option("select[name=campus]", label="北校区")
    page.select_option("select[name=building]", label="化学楼")
    page.select_option("select[name=place]", label="101实验室")
    page.fill("input[name=title]", title)
    page.select_option("select[name=category]", label="消防安全")
    page.set_input_files("input[name=photos]", photo or photo_file(tmp_path))


def test_whole_loop(browsing, org, tmp_path):
    """Given a student, the office staff and the unit's safety contact, when each does their
    step in a browser, then the hazard goes from report to verified close and everyone sees it."""
    # -- the student reports on a phone -------------------------------------------------------
    student = browsing.login("student1", "phone")
    fill_report(student, tmp_path, "安全出口被自行车堵住")
    preview = student.locator("[data-photo-preview] img")
    assert preview.count() == 1, "the chosen photo is previewed before sending"
    assert "hazard.jpg" in student.locator("[data-photo-preview]").inner_text()
    accept = student.locator("input[name=photos]").get_attribute("accept").split(",")
    assert "image/*" in accept and ".heic" in accept, "phones offer the camera and HEIC photos"
    assert browsing.overflow(student) == 0
    browsing.shot(student, "01-report-form")
    browsing.shot(student, "01-report-form-first-screen", full_page=False)
    send = student.locator("#report-form button[type=submit]")
    assert send.bounding_box()["y"] + send.bounding_box()["height"] <= 844, "send stays in reach"
    with student.expect_navigation():
        student.locator("#report-form button[type=submit]").tap()
    hazard = Hazard.objects.get()
    assert hazard.status == Status.REPORTED
    assert (hazard.campus, hazard.building, hazard.place) == (org.campus1, org.building_a, org.place_a)
    assert hazard.photos.count() == 1
    assert student.url.endswith(f"/hazards/{hazard.pk}/")
    assert zh("Thank you. Your report %(ref)s was received; you will be told when it is handled.") % {
        "ref": hazard.reference} in alert_text(student, "success")
    browsing.shot(student, "02-report-sent")

    # -- the office finds it in the ledger and confirms it (desktop) ---------------------------
    staff = browsing.login("staff1", "desktop")
    staff.goto("/hazards/")
    row = staff.locator("table tbody tr", has_text=hazard.reference)
    assert zh(Status.REPORTED.label) in row.inner_text()
    browsing.shot(staff, "03-ledger")
    with staff.expect_navigation():
        row.get_by_role("link", name=hazard.reference).click()
    browsing.shot(staff, "04-detail-reported")
    with staff.expect_navigation():
        staff.locator("#action-confirm button[type=submit]").click()
    assert zh("Hazard confirmed.") in alert_text(staff, "success")

    # -- and issues a notice counted in working days --------------------------------------------
    with staff.expect_navigation():
        staff.locator("a[href*='/hazards/notices/new/']:visible").click()
    assert staff.locator(f"input[name=hazards][value='{hazard.pk}']").is_checked()
    staff.fill("input[name=deadline_days]", "5")
    staff.select_option("select[name=deadline_basis]", DeadlineBasis.WORKING_DAYS)
    browsing.shot(staff, "05-notice-new")
    with staff.expect_navigation():
        staff.locator("form button[type=submit]", has_text=zh("Issue notice")).click()
    notice = RectificationNotice.objects.get()
    assert notice.deadline_days == 5 and notice.deadline_basis == DeadlineBasis.WORKING_DAYS
    assert staff.url.endswith(f"/hazards/notices/{notice.pk}/")
    assert zh("Notice %(number)s issued.") % {"number": notice.number} in alert_text(staff, "success")
    browsing.shot(staff, "06-notice-detail-office")
    pdf_href = staff.locator("a[href$='/pdf/']").get_attribute("href")
    pdf = staff.request.get(pdf_href)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # -- the unit's safety contact signs for it on a phone ---------------------------------------
    contact = browsing.login("contact_a", "phone")
    contact.goto(f"/hazards/notices/{notice.pk}/")
    assert browsing.overflow(contact) == 0
    browsing.shot(contact, "07-notice-detail-unit")
    with contact.expect_navigation():
        contact.get_by_role("button", name=zh("Sign for the notice")).tap()
    assert zh("Signed for notice %(number)s.") % {"number": notice.number} in alert_text(contact, "success")

    # -- starts rectification and submits evidence with a photo -------------------------------
    with contact.expect_navigation():
        contact.locator(".list-group a", has_text=hazard.title).tap()
    with contact.expect_navigation():
        contact.locator("#action-start button[type=submit]").tap()
    assert zh("Rectification started.") in alert_text(contact, "success")
    contact.fill("#action-evidence textarea[name=text]", "已清理安全出口，张贴禁止停放标识")
    contact.set_input_files("#action-evidence input[name=photos]",
                            photo_file(tmp_path, "after.jpg", (40, 160, 40)))
    assert browsing.overflow(contact) == 0
    browsing.shot(contact, "08-detail-evidence-form")
    with contact.expect_navigation():
        contact.locator("#action-evidence button[type=submit]").tap()
    assert zh("Evidence submitted; the office will verify it.") in alert_text(contact, "success")
    hazard.refresh_from_db()
    assert hazard.status == Status.EVIDENCE_SUBMITTED
    assert hazard.photos.count() == 2

    # -- the office verifies and closes --------------------------------------------------------
    staff.goto(f"/hazards/{hazard.pk}/")
    browsing.shot(staff, "09-detail-verify")
    staff.fill("#action-verify textarea[name=comment]", "现场复查合格")
    with staff.expect_navigation():
        staff.locator("#action-verify button[type=submit]").click()
    assert zh("Verified and closed.") in alert_text(staff, "success")
    hazard.refresh_from_db()
    assert hazard.status == Status.CLOSED

    # -- the student sees it closed and was told -----------------------------------------------
    student.goto("/hazards/mine/")
    item = student.locator(".list-group-item", has_text=hazard.title)
    assert zh(Status.CLOSED.label) in item.locator(".badge").first.inner_text()
    browsing.shot(student, "10-my-reports")
    student.goto("/notifications/")
    told = zh("The hazard you reported was rectified and closed: %(title)s") % {"title": hazard.title}
    assert student.locator(".list-group-item", has_text=told).count() == 1
    assert browsing.overflow(student) == 0
    browsing.shot(student, "11-inbox")


def test_double_tap_creates_one_hazard(browsing, org, tmp_path, viewport):
    """Given a filled report form, when the button is tapped twice and the POST is then
    replayed (a flaky network retrying), then there is one hazard and the retry lands on it."""
    page = browsing.login("student1", viewport)
    fill_report(page, tmp_path, "楼道灭火器过期")
    sent = dict(page.evaluate("""() => [...new FormData(document.getElementById("report-form"))]
        .filter(([name, value]) => typeof value === "string")"""))
    assert len(sent["idempotency_key"]) == 32
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    button = page.locator("#report-form button[type=submit]")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    with page.expect_navigation():
        if viewport == "phone":
            page.touchscreen.tap(x, y)
            page.touchscreen.tap(x, y)
        else:
            page.mouse.dblclick(x, y)
    assert len(posts) == 1, "the second tap is not sent"
    assert Hazard.objects.count() == 1
    hazard = Hazard.objects.get()
    assert page.url.endswith(f"/hazards/{hazard.pk}/")
    photo = {"name": "hazard.jpg", "mimeType": "image/jpeg",
             "buffer": (tmp_path / "hazard.jpg").read_bytes()}
    retry = page.request.post("/hazards/report/", multipart={**sent, "photos": photo}, max_redirects=0)
    assert retry.status == 302, retry.text()[:3000]
    assert retry.headers["location"].endswith(f"/hazards/{hazard.pk}/")
    assert Hazard.objects.count() == 1


def test_bad_photo_is_refused_with_a_message(browsing, org, tmp_path, viewport):
    """Given a text file named like a photo, when it is sent, then the form says why and no
    hazard exists."""
    bad = tmp_path / "notes.jpg"
    bad.write_text("this is not a picture")
    page = browsing.login("student1", viewport)
    fill_report(page, tmp_path, "消防通道堆放杂物", photo=str(bad))
    with page.expect_navigation():
        page.locator("#report-form button[type=submit]").click()
    message = zh("%(name)s is not a photo we can read; use JPEG, PNG, WebP or HEIC.") % {
        "name": "notes.jpg"}
    assert page.locator("#report-form .invalid-feedback", has_text=message).is_visible()
    assert page.locator("input[name=title]").input_value() == "消防通道堆放杂物"
    assert Hazard.objects.count() == 0
    assert browsing.overflow(page) == 0
    browsing.shot(page, "bad-photo")


def test_stale_form_shows_conflict(browsing, org, viewport):
    """Given the same reported hazard open in two tabs, when it is confirmed in the first and
    then rejected from the stale second, then the second shows the conflict and nothing changes."""
    from safecampus.hazards.tests.helpers import reported

    hazard = reported(org)
    first = browsing.login("staff1", viewport)
    first.goto(f"/hazards/{hazard.pk}/")
    second = first.context.new_page()
    second.sc_problems, second.sc_size = first.sc_problems, viewport
    second.goto(f"/hazards/{hazard.pk}/")
    with first.expect_navigation():
        first.locator("#action-confirm button[type=submit]").click()
    second.locator("#action-reject summary").click()
    second.fill("#action-reject textarea[name=comment]", "不属实")
    with second.expect_navigation():
        second.locator("#action-reject button[type=submit]").click()
    assert zh("Someone else changed this hazard while you were looking at it. "
              "Reload the page and try again.") in alert_text(second, "danger")
    hazard.refresh_from_db()
    assert hazard.status == Status.CONFIRMED
    assert re.search(r"#action-reject$", second.url)
    browsing.shot(second, "stale-conflict")


def test_main_pages_fit_the_screen(browsing, org, viewport):
    """Given a hazard with a notice, when each main page is opened at phone and desktop size,
    then nothing is wider than the screen and, on a phone, every button is big enough for a
    thumb (at least 40 CSS pixels high)."""
    from safecampus.hazards.tests.helpers import acknowledged

    with translation.override("zh-hans"):  # notifications are written in the actor's language
        hazard, notice = acknowledged(org, title="配电箱门未关闭，线路裸露在外面，存在触电风险，需要尽快处理")
    guest = browsing.new_page(viewport)
    guest.goto("/accounts/login/")
    pages = [(guest, "/accounts/login/", "login")]
    staff = browsing.login("staff1", viewport)
    contact = browsing.login("contact_a", viewport)
    student = browsing.login("student1", viewport)
    pages += [
        (student, "/hazards/report/", "report"),
        (staff, "/hazards/", "ledger"),
        (staff, f"/hazards/{hazard.pk}/", "detail-office"),
        (contact, f"/hazards/{hazard.pk}/", "detail-unit"),
        (staff, "/hazards/notices/", "notice-list"),
        (contact, f"/hazards/notices/{notice.pk}/", "notice-detail"),
        (student, "/hazards/mine/", "my-reports"),
        (student, "/accounts/me/", "profile"),
        (student, "/notifications/", "inbox"),
    ]
    for page, url, name in pages:
        page.goto(url)
        assert browsing.overflow(page) == 0, f"{name} is wider than the {viewport} screen"
        assets = browsing.assets(page)
        assert all(assets.values()), f"{name}: assets not in effect: {assets}"
        if viewport == "phone":
            small = page.evaluate(SMALL_TAP_TARGETS)
            assert small == [], f"{name}: too small for a thumb: {small}"
        if viewport == "phone" and name == "detail-unit":
            # The bottom bar names the next step and steps aside while its card is on screen.
            bar = page.locator("[data-action-bar]")
            assert bar.locator("a").get_attribute("href") == "#action-start"
            page.locator("#action-start").scroll_into_view_if_needed()
            browsing.wait_until(page, "() => document.querySelector('[data-action-bar]')"
                                   ".classList.contains('is-hidden')")
            page.set_viewport_size({"width": 390, "height": 300})  # card off screen at the bottom
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            browsing.wait_until(page, "() => !document.querySelector('[data-action-bar]')"
                                   ".classList.contains('is-hidden')")
            page.set_viewport_size(VIEWPORTS["phone"]["viewport"])
            page.evaluate("window.scrollTo(0, 0)")
        browsing.shot(page, name)
    told = zh("Your report was confirmed: %(title)s") % {"title": hazard.title}
    assert student.locator(".inbox .list-group-item", has_text=told).count() == 1
    if viewport == "phone":
        # The menu folds behind the toggler; the report button stays in the bar.
        inbox_link = staff.locator("#mainnav a[href='/notifications/']")
        assert not inbox_link.is_visible()
        assert staff.locator("nav.navbar a[href='/hazards/report/']:visible").count() == 1
        staff.locator(".navbar-toggler").tap()
        staff.locator("#mainnav.collapse.show").wait_for()  # the opening animation is over
        assert inbox_link.is_visible()
        assert staff.locator("#nav-hazards").is_visible()
        assert browsing.overflow(staff) == 0
        browsing.shot(staff, "menu", full_page=False)


def test_campus_map_point(browsing, org, tmp_path, settings, viewport):
    """Given a campus with a map image, when the reporter chooses that campus and taps the
    map, then the point is marked and stored with the hazard in percent of the map."""
    import io

    from django.core.files.base import ContentFile

    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), (225, 235, 225)).save(buffer, format="PNG")
    org.campus1.map_image.save("north.png", ContentFile(buffer.getvalue()))
    page = browsing.login("student1", viewport)
    page.goto("/hazards/report/")
    campus_map = page.locator(f"[data-campus-map='{org.campus1.pk}']")
    assert campus_map.is_hidden()
    page.select_option("select[name=campus]", label="北校区")
    image = campus_map.locator("img")
    image.wait_for()
    box = image.bounding_box()
    position = {"x": box["width"] * 0.25, "y": box["height"] * 0.5}
    if viewport == "phone":
        image.tap(position=position)
    else:
        image.click(position=position)
    assert campus_map.locator(".campus-map-pin").is_visible()
    page.fill("input[name=title]", "路灯不亮")
    page.select_option("select[name=category]", label="消防安全")
    browsing.shot(page, "campus-map")
    with page.expect_navigation():
        page.locator("#report-form button[type=submit]").click()
    hazard = Hazard.objects.get()
    assert abs(float(hazard.map_x) - 25) < 1 and abs(float(hazard.map_y) - 50) < 1


def test_place_picker_cascades(browsing, org, viewport):
    """Given two campuses, when the reporter picks a campus, then only its buildings and
    places are offered; and picking a place first fills in its building."""
    page = browsing.login("student1", viewport)
    page.goto("/hazards/report/")

    def options(name):
        return page.locator(f"select[name={name}] option:not([value=''])").all_inner_texts()

    empty = page.locator("select[name=campus] option[value='']").inner_text()
    assert empty == zh("Choose…"), "no row of dashes as the empty choice"
    page.select_option("select[name=campus]", label="南校区")
    assert options("building") == ["机械楼"]
    assert options("place") == ["201室"]
    page.select_option("select[name=campus]", label="北校区")
    assert options("building") == ["化学楼"]
    assert page.locator("select[name=building]").input_value() == ""
    page.select_option("select[name=place]", label="101实验室")
    assert page.locator("select[name=building]").input_value() == str(org.building_a.pk)
    assert page.locator("select[name=place]").input_value() == str(org.place_a.pk)


def test_back_and_send_again_creates_one_hazard(browsing, org, tmp_path, viewport):
    """Given a report that was sent, when the reporter goes Back and sends the refilled form
    again, then the second send lands on the same hazard."""
    page = browsing.login("student1", viewport)
    fill_report(page, tmp_path, "楼梯扶手松动")
    with page.expect_navigation():
        page.locator("#report-form button[type=submit]").click()
    hazard = Hazard.objects.get()
    page.go_back()
    page.wait_for_load_state("load")
    assert page.url.endswith("/hazards/report/")
    # the browser may or may not refill the fields; fill them again as a person would
    page.select_option("select[name=campus]", label="北校区")
    page.select_option("select[name=building]", label="化学楼")
    page.select_option("select[name=place]", label="101实验室")
    page.fill("input[name=title]", "楼梯扶手松动")
    page.select_option("select[name=category]", label="消防安全")
    page.set_input_files("input[name=photos]", photo_file(tmp_path))
    with page.expect_navigation():
        page.locator("#report-form button[type=submit]").click()
    assert Hazard.objects.count() == 1
    assert page.url.endswith(f"/hazards/{hazard.pk}/")
