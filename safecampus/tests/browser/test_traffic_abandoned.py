"""An abandoned vehicle as the people click it (phone 390×844 and desktop 1440×900): a guard
reports a suspected car on the phone form with a photo; the office posts the notice with a
photo and a deadline; a week later (the deadline moved into the past) the office removes it
to storage, the owner finds the message in the inbox, and the office records the claim by
the verified owner. Screenshots of the report form, the case page at each stage, the list
and the clean-up drive page go to /tmp/shots."""

import datetime as dt

import pytest
from django.utils import translation
from PIL import Image

from safecampus.core import clock
from safecampus.traffic.models import AbandonedVehicleCase, CleanUpDrive
from safecampus.traffic.services import abandoned as services
from safecampus.traffic.tests.violation_helpers import owner_user, vehicle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def test_guard_reports_office_notices_stores_and_the_owner_claims(
        browsing, org, viewport, tmp_path):
    owner = owner_user("owner1")
    vehicle("陕A12345", owner=owner, owner_name="王老师")
    photo = tmp_path / "car.jpg"
    Image.new("RGB", (800, 600), (120, 130, 140)).save(photo, format="JPEG")

    # -- the guard reports it on the phone form ------------------------------------------------
    guard = browsing.login("guard1", viewport, next_url="/traffic/abandoned/report/")
    guard.set_input_files("input[name=photos]", str(photo))
    guard.fill("input[name=plate]", "陕a 12345")
    guard.fill("input[name=description]", "银色轿车，四轮亏气，积灰很厚")
    guard.fill("input[name=location_text]", "3号楼后停车场西侧")
    assert browsing.overflow(guard) == 0
    browsing.shot(guard, "report-form")
    with guard.expect_navigation():
        guard.locator(".case-form button[type=submit]").click()
    case = AbandonedVehicleCase.objects.get()
    assert guard.url.endswith(f"/traffic/abandoned/{case.pk}/")
    assert (case.plate, case.state, case.vehicle.owner) == ("陕A12345", "suspected", owner)
    assert guard.locator("#steps").count() == 0  # a guard reports, the office runs the case
    assert zh("Case opened") in guard.locator("#timeline").inner_text()

    # -- the office posts the notice ---------------------------------------------------------
    staff = browsing.login("staff1", viewport, next_url=f"/traffic/abandoned/{case.pk}/")
    assert "王老师" in staff.locator("#facts").inner_text()
    tomorrow = clock.local_today() + dt.timedelta(days=1)
    notice = staff.locator("#step-notice")
    notice.locator("input[name=notice-photos]").set_input_files(str(photo))
    notice.locator("input[name=notice-deadline]").fill(tomorrow.isoformat())
    with staff.expect_navigation():
        notice.locator("button[type=submit]").click()
    case.refresh_from_db()
    assert (case.state, case.notice_deadline) == ("noticed", tomorrow)
    assert tomorrow.isoformat() in staff.locator("#deadline").inner_text()
    assert browsing.overflow(staff) == 0
    browsing.shot(staff, "case-noticed")

    # -- a week later: the deadline has passed, the office removes it --------------------------
    AbandonedVehicleCase.objects.filter(pk=case.pk).update(
        notice_deadline=clock.local_today() - dt.timedelta(days=1))
    staff.reload()
    store = staff.locator("#step-store")
    store.locator("summary").click()
    store.locator("input[name=store-storage_place]").fill("北门临时停放场")
    store.locator("input[name=store-photos]").set_input_files(str(photo))
    with staff.expect_navigation():
        store.locator("button[type=submit]").click()
    case.refresh_from_db()
    assert case.state == "stored" and case.storage_place == "北门临时停放场"
    assert case.claim_until.isoformat() in staff.locator("#claim-until").inner_text()

    # -- the owner hears of it -------------------------------------------------------------------
    me = browsing.login("owner1", viewport, next_url="/notifications/")
    inbox = me.locator("main").inner_text()
    assert "陕A12345" in inbox and "北门临时停放场" in inbox

    # -- the verified owner claims it --------------------------------------------------------------
    staff.reload()
    claim = staff.locator("#step-claim")
    claim.locator("input[name=claim-claimed_by_name]").fill("王老师")
    claim.locator("input[name=claim-verification]").fill("核对驾驶证、行驶证")
    with staff.expect_navigation():
        claim.locator("button[type=submit]").click()
    case.refresh_from_db()
    assert (case.state, case.claimed_by_name) == ("claimed", "王老师")
    assert zh("Claimed by the owner") in staff.locator(".alert-success").inner_text()
    assert browsing.overflow(staff) == 0
    browsing.shot(staff, "case-claimed")

    # -- the list and a clean-up drive -------------------------------------------------------------
    drive = services.clean_up_drive_create(actor=org.users.staff, campus_id=org.campus1.pk,
                                           name="东区停车场僵尸车清理")
    services.abandoned_cases_tag(actor=org.users.staff, drive_id=drive.pk, rows=[
        {"plate": "陕A54321", "location_text": "东区停车场12号位"},
        {"plate": "", "description": "白色电动车，无牌", "location_text": "东区车棚"}])
    staff.goto("/traffic/abandoned/?state=")
    listing = staff.locator("#cases").inner_text()
    assert "陕A12345" in listing and "陕A54321" in listing
    assert browsing.overflow(staff) == 0
    browsing.shot(staff, "list")
    staff.goto(f"/traffic/abandoned/drives/{drive.pk}/")
    assert browsing.overflow(staff) == 0
    browsing.shot(staff, "drive")

    # -- the office starts another drive and tags vehicles typed with spaces ----------------------
    staff.goto("/traffic/abandoned/drives/")
    form = staff.locator("#drive-form")
    assert zh("Drive name") in form.locator("label[for=id_name]").inner_text()
    assert zh("Name") not in form.locator("label[for=id_name]").inner_text()
    form.locator("input[name=name]").fill("北门停车场清理")
    form.locator("select[name=campus]").select_option(str(org.campus1.pk))
    assert browsing.overflow(staff) == 0
    browsing.shot(staff, "drive-form")
    with staff.expect_navigation():
        form.locator("button[type=submit]").click()
    north = CleanUpDrive.objects.get(name="北门停车场清理")
    assert staff.url.endswith(f"/traffic/abandoned/drives/{north.pk}/")
    lines = staff.locator("#tag-form textarea[name=lines]")
    lines.fill("陕a 54322 北门停车场东侧第1排\n" + "很长的位置说明" * 50)
    with staff.expect_navigation():
        staff.locator("#tag-form button[type=submit]").click()
    errors = staff.locator("#tag-errors").inner_text()
    assert "2" in errors and "很长的位置说明" * 4 + "很长" + "…" in errors
    assert "很长的位置说明" * 5 not in errors
    # the refused form answers 400 on purpose: not a browser problem
    tag_path = f"/traffic/abandoned/drives/{north.pk}/tag/"
    staff.sc_problems.bad_responses[:] = [
        p for p in staff.sc_problems.bad_responses if p != f"400 {tag_path}"]
    staff.sc_problems.console_errors[:] = [
        p for p in staff.sc_problems.console_errors
        if not (tag_path in p and "400 (Bad Request)" in p)]
    assert browsing.overflow(staff) == 0
    browsing.shot(staff, "drive-tag-too-long")
    lines.fill("陕a 54322 北门停车场东侧第1排\n 陕a 0l3０4 \n- 蓝色自行车，车筐生锈")
    with staff.expect_navigation():
        staff.locator("#tag-form button[type=submit]").click()
    assert sorted(north.cases.values_list("plate", "location_text")) == [
        ("", ""), ("陕A0L304", ""), ("陕A54322", "北门停车场东侧第1排")]
    assert browsing.overflow(staff) == 0
    browsing.shot(staff, "drive-tagged")
