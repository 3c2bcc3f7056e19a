"""Charging points as people click them (phone 390×844 and desktop 1440×900): a student
finds the dormitory's e-bike shed in the list and reports a smoking socket with a photo; the
office sees the hazard routed to the operator's unit (logistics), marks the fault fixed on
the station's page (back in service) and opens the utilisation page with its charts; the
leadership opens it from the list too (without the import).
Screenshots of the list, the report form, the station page and the utilisation page go to
/tmp/shots."""

import datetime as dt

import pytest
from PIL import Image

from safecampus.core import clock
from safecampus.hazards.models import Hazard
from safecampus.traffic.models import ChargingFault, ChargingSession, ChargingStation
from safecampus.traffic.services import charging as services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def sessions(station, days=10):
    """Evening e-bike sessions on the last ``days`` days (19:00–23:30 Beijing time)."""
    local = clock.local_zone()
    today = clock.local_today()
    rows = []
    for offset in range(1, days + 1):
        day = today - dt.timedelta(days=offset)
        for n in range(6):
            start = dt.datetime.combine(day, dt.time(19 + n % 3, 10 * n), tzinfo=local)
            rows.append(ChargingSession(station=station, external_id=f"{offset}-{n}",
                                        started_at=start, ended_at=start + dt.timedelta(hours=3),
                                        energy_wh=900))
    ChargingSession.objects.bulk_create(rows)


def test_student_reports_a_fault_office_sees_the_hazard_and_fixes_it(
        browsing, org, viewport, tmp_path):
    shed = services.charging_station_create(
        actor=org.users.staff, campus_id=org.campus1.pk, place_id=org.place_a.pk,
        name="东区1号学生公寓电动车充电棚", kind="ebike", points=10, operator_name="安充智能科技",
        operator_unit_id=org.logistics.pk, external_id="AC-001")
    services.charging_station_create(
        actor=org.users.staff, campus_id=org.campus2.pk, name="南校区停车场电动汽车充电桩",
        kind="ev", points=4, operator_name="绿驰新能源", operator_unit_id=org.logistics.pk)
    sessions(shed)
    photo = tmp_path / "socket.jpg"
    Image.new("RGB", (800, 600), (60, 60, 60)).save(photo, format="JPEG")

    # -- the student finds the shed and reports a fault on the phone ---------------------------
    student = browsing.login("student1", viewport, next_url="/traffic/charging/")
    assert student.locator("#stations [data-station]").count() == 2
    assert browsing.overflow(student) == 0
    browsing.shot(student, "list")
    student.locator(f"[data-station='{shed.pk}']").click()
    student.wait_for_url(f"**/traffic/charging/{shed.pk}/")
    assert student.locator("#usage").count() == 0  # usage is the office's
    student.locator("#report-fault").click()
    student.wait_for_url(f"**/traffic/charging/{shed.pk}/report/")
    student.fill("textarea[name=description]", "12号插座充电时冒烟，有焦糊味")
    student.set_input_files("input[name=photos]", str(photo))
    assert browsing.overflow(student) == 0
    browsing.shot(student, "report")
    with student.expect_navigation():
        student.locator(".fault-form button[type=submit]").click()
    assert student.url.endswith(f"/traffic/charging/{shed.pk}/")
    fault = ChargingFault.objects.get()
    hazard = Hazard.objects.get(pk=fault.hazard_id)
    assert hazard.responsible_unit == org.logistics
    assert hazard.photos.count() == 1
    assert student.locator("[data-status=fault]").first.is_visible()
    assert student.locator(f"[data-fault='{fault.pk}']").is_visible()

    # -- the office sees the hazard routed to the operator's unit ------------------------------
    office = browsing.login("staff1", viewport, next_url=f"/hazards/{hazard.pk}/")
    assert "后勤保障部" in office.locator("main").inner_text()
    office.goto(f"/traffic/charging/{shed.pk}/")
    assert office.locator(f"#faults a[href='/hazards/{hazard.pk}/']").is_visible()
    assert office.locator("#operator-unit").inner_text() == "后勤保障部"
    office.wait_for_selector("#usage [data-chart-ready]")
    assert browsing.overflow(office) == 0
    browsing.shot(office, "station")
    with office.expect_navigation():
        office.locator(f"[data-fault='{fault.pk}'] button[type=submit]").click()
    fault.refresh_from_db()
    assert fault.state == "fixed"
    assert ChargingStation.objects.get(pk=shed.pk).status == "in_service"
    assert office.locator("[data-status=in_service]").first.is_visible()
    assert office.locator("#timeline li").count() == 3  # added, fault reported, fixed

    # -- the utilisation page -------------------------------------------------------------------
    office.goto("/traffic/charging/utilisation/")
    office.wait_for_selector("#by-hour [data-chart-ready]")
    assert office.locator("#sessions").inner_text() == "60"
    assert browsing.overflow(office) == 0
    browsing.shot(office, "utilisation")

    # -- the leadership opens the utilisation from the list, without the import ---------------
    leader = browsing.login("leader1", viewport, next_url="/traffic/charging/")
    with leader.expect_navigation():
        leader.locator("#utilisation-link").click()
    leader.wait_for_selector("#by-hour [data-chart-ready]")
    assert leader.locator("#sessions").inner_text() == "60"
    assert leader.locator("#import-sessions").count() == 0
    assert browsing.overflow(leader) == 0
    browsing.shot(leader, "utilisation-leadership")
