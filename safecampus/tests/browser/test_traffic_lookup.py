"""Vehicle lookup in a browser: a guard at the gate types part of a plate on a phone and
sees the matching vehicles with their permit status as they type (htmx), then opens one;
the office sees a vehicle with its permits, the issue form and the timeline on a desktop."""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.traffic.models import Permit, Vehicle
from safecampus.traffic.services import vehicles as services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def fleet(org):
    staff = org.users.staff
    today = clock.local_today()
    valid = services.vehicle_register(actor=staff, plate="陕A12345", owner_name="王建国",
                                      owner_kind="staff", owner_phone="13800138000",
                                      make="大众 朗逸", colour="白", unit_id=org.unit_a.pk)
    services.permit_issue(actor=staff, vehicle_id=valid.pk, valid_from=today,
                          valid_until=today + dt.timedelta(days=180), note="教职工长期")
    expired = services.vehicle_register(actor=staff, plate="陕AD12345", owner_name="李明",
                                        owner_kind="student")
    Permit.objects.create(vehicle=expired, valid_from=today - dt.timedelta(days=60),
                          valid_until=today - dt.timedelta(days=1))  # issued back then
    suspended = services.vehicle_register(actor=staff, plate="京B12345", owner_name="张伟",
                                          owner_kind="contractor")
    Permit.objects.create(vehicle=suspended, valid_from=today, valid_until=today,
                          state=Permit.State.SUSPENDED)
    services.vehicle_register(actor=staff, plate="粤C51234", owner_name="赵敏",
                              owner_kind="visitor")
    return valid


def test_a_guard_looks_up_a_plate_on_a_phone(browsing, fleet, viewport):
    page = browsing.login("guard1", viewport)
    page.goto("/traffic/")
    page.fill("#home-q", "a1")
    with page.expect_navigation():
        page.press("#home-q", "Enter")
    page.fill("#lookup-q", "")
    # a pause between keys lists a shorter fragment first ("1234" matches four vehicles):
    # wait for the answer to "12345" and its swap
    with page.expect_response(lambda response: "q=12345" in response.url):
        page.type("#lookup-q", "12345", delay=40)
    page.wait_for_selector("form:has(#lookup-q):not(.htmx-request)")
    page.wait_for_selector("#lookup-list [data-vehicle] >> nth=2")
    statuses = page.locator("#lookup-list [data-permit]").evaluate_all(
        "els => els.map(e => e.dataset.permit)")
    assert sorted(statuses) == ["expired", "suspended", "valid"]
    assert browsing.overflow(page) == 0
    browsing.shot(page, "01-lookup", full_page=False)
    page.fill("#lookup-q", "陕b")
    page.wait_for_selector("#lookup-empty")
    with page.expect_navigation():
        page.fill("#lookup-q", "陕a 12345")
        page.wait_for_selector(f"#lookup-list [data-vehicle='{fleet.pk}']")
        page.click(f"#lookup-list [data-vehicle='{fleet.pk}']")
    assert page.inner_text("#vehicle-plate") == "陕A12345"
    assert browsing.overflow(page) == 0
    browsing.shot(page, "02-vehicle-guard")


def test_the_office_sees_a_vehicle_with_permits(browsing, fleet, viewport):
    page = browsing.login("staff1", viewport)
    page.goto(f"/traffic/vehicles/{fleet.pk}/")
    assert page.locator("#permit-form").count() == 1
    assert page.locator("#timeline [data-verb='traffic.permit_issue']").count() == 1
    assert browsing.overflow(page) == 0
    browsing.shot(page, "03-vehicle-office")
    page.goto("/traffic/vehicles/")
    assert page.locator("#vehicles [data-vehicle]").count() == Vehicle.objects.count()
    browsing.shot(page, "04-vehicle-list")
