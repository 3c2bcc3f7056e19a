"""Gate records as the office clicks them (phone 390×844 and desktop 1440×900): upload a camera
file with a bad row → the problem report (row, column, message) and nothing imported; upload
the fixed file → imported; the statistics draw their charts; the long-stay list shows the car
that came in 40 days ago and never left, and "open cases" turns it into an abandoned-vehicle
case; days out of range in the address are refused with a message. Screenshots go to
/tmp/shots."""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.traffic.models import AbandonedVehicleCase, GateImport, GateRecord
from safecampus.traffic.services import gates as services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def camera_file(tmp_path, name: str, *, bad: bool) -> str:
    now = clock.now().astimezone(clock.local_zone())
    yesterday = (now - dt.timedelta(days=1)).strftime("%Y-%m-%d")
    long_ago = (now - dt.timedelta(days=40)).strftime("%Y-%m-%d")
    lines = ["车牌号码,通道,方向,通行时间,车辆类型,车牌颜色",
             f"陕A5K721,N1,入场,{long_ago} 21:12:00,小型车,蓝",
             f"陕A12345,N1,入场,{yesterday} 07:58:12,小型车,蓝",
             f"陕A12345,{'东门2' if bad else 'N1'},出场,{yesterday} 18:02:40,小型车,蓝",
             f"无牌车,N1,入场,{yesterday} 10:05:00,,",
             f"陕AD12345,S1,入场,{yesterday} 08:30:00,新能源,绿",
             f"陕AD12345,S1,出场,{yesterday} 12:30:00,新能源,绿"]
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return str(path)


def test_office_uploads_sees_the_report_fixes_it_and_opens_a_long_stay_case(
        browsing, org, viewport, tmp_path):
    services.gate_create(actor=org.users.staff, campus_id=org.campus1.pk, name="北门",
                         code="N1")
    services.gate_create(actor=org.users.staff, campus_id=org.campus2.pk, name="南门",
                         code="S1")
    page = browsing.login(org.users.staff.username, viewport)
    page.goto("/traffic/")
    page.click("#traffic-more-links a[href='/traffic/gates/']")
    page.click("#gate-links a[href='/traffic/gates/imports/new/']")
    page.set_input_files("input[name=file]", camera_file(tmp_path, "出入记录_坏.csv", bad=True))
    with page.expect_navigation():
        page.click("#upload-submit")
    page.wait_for_selector("#problems")
    assert page.locator("[data-state]").first.get_attribute("data-state") == "rejected"
    row = page.locator("#problems tbody tr")
    assert row.count() == 1
    assert row.locator("td").nth(0).inner_text() == "4"
    assert row.locator("td").nth(1).inner_text() == "通道"
    assert "东门2" in row.locator("td").nth(2).inner_text()
    assert GateRecord.objects.count() == 0
    assert browsing.overflow(page) == 0
    browsing.shot(page, "rejected")

    page.goto("/traffic/gates/imports/new/")
    page.set_input_files("input[name=file]", camera_file(tmp_path, "出入记录.csv", bad=False))
    with page.expect_navigation():
        page.click("#upload-submit")
    page.wait_for_selector("[data-state='imported']")
    assert GateRecord.objects.count() == 6
    assert GateImport.objects.filter(state="imported").count() == 1
    browsing.shot(page, "imported")

    page.goto("/traffic/gates/statistics/")
    page.wait_for_selector("[data-chart='gate-chart-hour'][data-chart-ready]")
    assert page.locator("#stats-entries").inner_text() == "3"
    assert page.locator("#stats-no-plate").inner_text() == "1"
    assert browsing.overflow(page) == 0
    browsing.shot(page, "statistics")

    page.goto("/traffic/gates/long-stay/")
    assert page.locator("#long-stays [data-plate]").count() == 1
    assert page.locator("#long-stays [data-plate]").get_attribute("data-plate") == "陕A5K721"
    with page.expect_navigation():
        page.click("#open-cases")
    assert page.locator("#long-stays .badge.text-bg-warning").count() == 1
    assert browsing.overflow(page) == 0
    browsing.shot(page, "long-stay")
    case = AbandonedVehicleCase.objects.get()
    assert (case.plate, case.source, case.state) == ("陕A5K721", "long_stay", "suspected")

    # the office dismisses the case (the car is in use): the list shows it closed, and running
    # the detection again opens no new case for the same stay
    from safecampus.traffic.services import abandoned

    abandoned.abandoned_dismiss(actor=org.users.staff, case_id=case.pk, reason="教职工车辆，在用")
    with page.expect_navigation():
        page.click("#open-cases")
    assert page.locator("#long-stays [data-case='handled']").count() == 1
    assert AbandonedVehicleCase.objects.count() == 1
    assert browsing.overflow(page) == 0
    browsing.shot(page, "long-stay-dismissed")

    # a number of days out of range in the address: named and refused, the box shows the
    # days the list uses
    page.goto("/traffic/gates/long-stay/?days=99999999999")
    assert "99999999999" in page.locator("#days-refused").inner_text()
    assert page.locator("input[name=days][type=number]").input_value() == "30"
    assert page.locator("#long-stays [data-plate]").count() == 1
    assert browsing.overflow(page) == 0
    browsing.shot(page, "long-stay-refused-days")


def test_an_import_whose_worker_died_shows_as_failed(browsing, org, viewport):
    from safecampus.traffic.selectors.gates import STALE_AFTER

    job = GateImport.objects.create(created_by=org.users.staff, original_name="出入记录_大.csv",
                                    digest="d" * 64, state=GateImport.State.RUNNING,
                                    rows_read=120000)
    GateImport.objects.filter(pk=job.pk).update(
        updated_at=clock.now() - STALE_AFTER - dt.timedelta(minutes=5))
    page = browsing.login(org.users.staff.username, viewport)
    page.goto(f"/traffic/gates/imports/{job.pk}/")
    assert page.locator("[data-state='stalled']").count() == 1
    assert page.locator("#import-status[hx-trigger]").count() == 0
    assert page.locator(".spinner-border").count() == 0
    assert browsing.overflow(page) == 0
    browsing.shot(page, "stalled")
