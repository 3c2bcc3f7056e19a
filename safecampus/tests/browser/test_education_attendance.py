"""Attendance as people click it (phone 390×844 and desktop 1440×900): a student's phone camera
opens the training's QR address, the student logs in, sees the training and one big button,
and signs in with a tap (opening the page signed nobody in); the organiser sees the student
on the attendance list under the college, with the counts by unit and who is still absent,
and looks at the QR poster. Screenshots go to /tmp/shots."""

import pytest

from safecampus.education.models import Attendance
from safecampus.education.qr import activity_url
from safecampus.education.tests.attendance_helpers import roster  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def test_a_student_signs_in_from_the_qr_address_and_the_organiser_sees_it(
        browsing, org, roster, viewport):  # noqa: F811
    url = "/" + activity_url(roster.training).split("://", 1)[1].split("/", 1)[1]
    student = roster.chem_students[0]
    phone = browsing.login(student.username, "phone", next_url=url)
    phone.wait_for_selector("html[data-attendance-ready]")
    assert phone.locator("#activity-title").inner_text() == "消防安全培训"
    button = phone.locator("#sign-in-submit")
    box = button.bounding_box()
    assert box["height"] >= 56 and box["y"] + box["height"] <= 844  # big, without scrolling
    phone.wait_for_timeout(300)
    assert not Attendance.objects.exists()  # opening the address signed nobody in
    assert browsing.overflow(phone) == 0
    browsing.shot(phone, "confirm")
    with phone.expect_navigation():
        button.click()
    phone.wait_for_selector("#already-signed-in")
    attendance = Attendance.objects.get()
    assert (attendance.user_id, attendance.method, attendance.college_id) == (
        student.pk, "qr", org.unit_a.pk)
    assert phone.locator(".alert-success").count() >= 1
    assert browsing.overflow(phone) == 0
    browsing.shot(phone, "signed-in")

    # -- the organiser's list ---------------------------------------------------------------
    office = browsing.login("contact_a", viewport,
                            next_url=f"/education/attendance/{roster.training.pk}/")
    row = office.locator(f".attendance-row[data-user='{student.username}']")
    assert row.count() == 1
    assert student.full_name in row.inner_text()
    chem = office.locator(f"#unit-table tr[data-unit='{org.unit_a.pk}']")
    assert chem.locator("td").nth(1).inner_text() == "1"  # attended
    assert chem.locator("td").nth(3).inner_text() == "3"  # absent of the 4 expected
    assert office.locator("#absent-list li").count() == 3
    assert browsing.overflow(office) == 0
    browsing.shot(office, "list")
    with office.expect_navigation():
        office.click("#poster-link")
    office.wait_for_selector("#poster-qr")
    assert office.locator("#poster-url").inner_text().strip() == activity_url(roster.training)
    assert browsing.overflow(office) == 0
    browsing.shot(office, "poster")
    # the student's records
    phone.goto("/education/attendance/mine/")
    assert "消防安全培训" in phone.locator("#records").inner_text()
    assert browsing.overflow(phone) == 0
    browsing.shot(phone, "mine")
