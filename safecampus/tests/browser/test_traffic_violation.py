"""A fire-lane violation as the people click it (phone 390×844 and desktop 1440×900): a
guard records it with a photo for a registered vehicle whose owner has an account (it is the
vehicle's third violation, so the default "3 in 90 days" rule sends a warning letter); the
owner signs in and sees the move-car notice in the inbox and the violation under "my
violations"; the guard marks it moved. Screenshots of the record form, the violation page
and the repeat-offender list go to /tmp/shots."""

import datetime as dt

import pytest
from django.utils import translation
from PIL import Image

from safecampus.core import clock
from safecampus.tests.factories import photo_upload
from safecampus.traffic.models import Appeal, OffenderAction, Violation
from safecampus.traffic.services import violations as services
from safecampus.traffic.tests.violation_helpers import owner_user, vehicle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def test_guard_records_a_fire_lane_violation_owner_is_notified_guard_marks_moved(
        browsing, org, viewport, tmp_path):
    owner = owner_user("owner1")
    vehicle("陕A12345", owner=owner, owner_name="王老师")
    services.offender_rules_default_create()
    for days in (20, 10):  # two earlier violations: the new one is the third
        services.violation_record(
            actor=org.users.guard, plate="陕A12345", kind="no_parking", level="violation",
            campus_id=org.campus1.pk, location_text="图书馆", photos=[photo_upload()],
            observed_at=clock.now() - dt.timedelta(days=days))
    photo = tmp_path / "car.jpg"
    Image.new("RGB", (800, 600), (200, 40, 40)).save(photo, format="JPEG")

    # -- the guard records it on the phone form -----------------------------------------------
    guard = browsing.login("guard1", viewport, next_url="/traffic/violations/record/")
    assert guard.url.endswith("/traffic/violations/record/")
    guard.fill("input[name=plate]", "陕a 12345")
    guard.locator("label[for=id_kind_0]").click()  # 占用消防通道 / fire lane
    guard.fill("input[name=location_text]", "北门")
    guard.set_input_files("input[name=photos]", str(photo))
    assert browsing.overflow(guard) == 0
    browsing.shot(guard, "record-form")
    with guard.expect_navigation():
        guard.locator(".violation-form button[type=submit]").click()
    violation = Violation.objects.get(location_text="北门")
    assert guard.url.endswith(f"/traffic/violations/{violation.pk}/")
    assert (violation.plate, violation.kind, violation.vehicle.owner) == (
        "陕A12345", "fire_lane", owner)
    owner_card = guard.locator("#owner").inner_text()
    assert "王老师" in owner_card and "138****8000" in owner_card
    assert guard.locator("#owner a[href='tel:13800138000']").is_visible()
    assert guard.locator("#notices button[disabled]").is_visible()  # send again: wait
    assert OffenderAction.objects.filter(violation=violation).count() == 1
    assert browsing.overflow(guard) == 0
    browsing.shot(guard, "violation")

    # -- the owner sees the notice and the violation ------------------------------------------
    me = browsing.login("owner1", viewport, next_url="/notifications/")
    inbox = me.locator("main").inner_text()
    assert "陕A12345" in inbox and "北门" in inbox
    me.goto("/traffic/violations/mine/")
    assert me.locator(f"a[href='/traffic/violations/{violation.pk}/']").is_visible()
    me.goto(f"/traffic/violations/{violation.pk}/")
    assert me.locator("#owner a[href^='tel:']").count() == 0
    assert me.locator("#appeal textarea[name=reason]").is_visible()
    me.fill("#appeal textarea[name=reason]", "我在卸货，两分钟就走")
    with me.expect_navigation():
        me.locator("#appeal button[type=submit]").click()
    assert Appeal.objects.get(violation=violation).state == "pending"

    # -- the guard marks it moved -------------------------------------------------------------
    guard.reload()
    with guard.expect_navigation():
        guard.locator("#close button[value=moved]").click()
    violation.refresh_from_db()
    assert violation.state == "moved"
    assert zh("Closed: moved.") in guard.locator(".alert-success").inner_text()

    # -- the office finds the appeal in its queue and refuses it -----------------------------
    staff = browsing.login("staff1", viewport, next_url="/traffic/")
    with staff.expect_navigation():
        staff.locator("#traffic-links a[href='/traffic/appeals/']").click()
    row = staff.locator("#appeal-queue li[data-appeal]")
    assert row.count() == 1
    queued = row.inner_text()
    assert "陕A12345" in queued and "王老师" in queued and "我在卸货" in queued
    assert browsing.image_shown(row.locator("img").first) > 0  # the thumbnail
    assert browsing.overflow(staff) == 0
    browsing.shot(staff, "appeals")
    with staff.expect_navigation():
        row.locator("a.btn").click()
    assert staff.url.endswith(f"/traffic/violations/{violation.pk}/#appeal")
    browsing.shot(staff, "decide")
    staff.locator("#appeal input[name=decision][value=refuse]").check()
    staff.fill("#appeal textarea[name=note]", "照片显示车辆停在消防通道")
    with staff.expect_navigation():
        staff.locator("#appeal button[type=submit]").click()
    assert Appeal.objects.get(violation=violation).state == "refused"
    staff.goto("/traffic/appeals/")
    assert staff.locator("#appeal-queue li[data-appeal]").count() == 0
    staff.locator("#appeal-states a[href='?state=refused']").click()
    staff.wait_for_url("**/traffic/appeals/?state=refused")
    assert "照片显示车辆停在消防通道" in staff.locator("#appeal-queue").inner_text()

    # -- the repeat-offender list -------------------------------------------------------------
    staff.goto("/traffic/offenders/")
    listing = staff.locator("main").inner_text()
    assert "陕A12345" in listing and "王老师" in listing
    assert browsing.overflow(staff) == 0
    browsing.shot(staff, "offenders")
