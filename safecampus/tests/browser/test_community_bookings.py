"""Booking a service as people click it, on phones: a college's safety contact books a safety
talk from the catalogue, the office accepts it with a member of staff and records it as
delivered, the contact rates it. Screenshots go to /tmp/shots."""

import pytest

from safecampus.community.models import ServiceField, ServiceItem, ServiceRequest
from safecampus.core import clock

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def talk(org):
    """A safety talk bookable for today (no lead time) with two questions."""
    item = ServiceItem.objects.create(code="talk", name="安全教育讲座", lead_days=0,
                                      sla_hours=24, duration_minutes=90)
    ServiceField.objects.create(item=item, code="audience", label="听众人数",
                                kind=ServiceField.Kind.NUMBER, required=True, position=1)
    ServiceField.objects.create(item=item, code="topic", label="讲座主题",
                                kind=ServiceField.Kind.CHOICE, required=True, position=2,
                                options=["防范电信网络诈骗", "消防安全"])
    return item


def test_a_college_books_a_talk_the_office_delivers_it_and_the_college_rates_it(
        browsing, org, talk):
    contact = browsing.login("contact_a", "phone", next_url="/community/services/")
    assert contact.locator("#service-catalogue .service-card").count() == 1
    assert "至少提前" not in contact.locator(".service-facts").inner_text()
    assert "24 小时内答复" in contact.locator(".service-facts").inner_text()
    assert browsing.overflow(contact) == 0
    browsing.shot(contact, "catalogue")
    with contact.expect_navigation():
        contact.click(".book-button")
    today = clock.local_today().isoformat()
    assert contact.input_value("input[name=service_date]") == today
    # midnight today: the talk has begun whenever the test runs, so it can be delivered
    contact.fill("input[name=start_time]", "00:00")
    contact.select_option("select[name=campus]", str(org.campus1.pk))
    browsing.wait_until(contact, "() => document.querySelectorAll("
                        "'select[name=place] option').length > 1")
    contact.select_option("select[name=place]", str(org.place_a.pk))
    contact.fill("input[name=answer_audience]", "120")
    contact.select_option("select[name=answer_topic]", "防范电信网络诈骗")
    contact.fill("input[name=contact_phone]", "13900000000")
    assert browsing.overflow(contact) == 0
    browsing.shot(contact, "book")
    with contact.expect_navigation():
        contact.locator("#booking-form button[type=submit]").click()
    request = ServiceRequest.objects.get()
    assert request.number.startswith("FW-") and request.state == ServiceRequest.State.SUBMITTED
    assert contact.locator("[data-state=submitted]").count() == 1
    browsing.shot(contact, "booked")

    office = browsing.login("staff1", "phone",
                            next_url=f"/community/services/requests/{request.pk}/")
    assert office.locator("#schedule-form").is_visible()
    office.locator(f"#schedule-form input[name=staff][value='{org.users.staff.pk}']").check()
    assert browsing.overflow(office) == 0
    browsing.shot(office, "accept")
    with office.expect_navigation():
        office.locator("#schedule-form button[type=submit]").click()
    assert office.locator("[data-state=accepted]").count() == 1
    office.fill("textarea[name=delivery_note]", "讲座顺利完成，现场答疑二十分钟。")
    office.fill("input[name=people_reached]", "118")
    with office.expect_navigation():
        office.locator("#deliver-form button[type=submit]").click()
    assert office.locator("[data-state=delivered]").count() == 1
    browsing.shot(office, "delivered")

    contact.reload()
    contact.locator("#rate-form input[name=rating][value='5']").check()
    contact.fill("#rate-form textarea[name=comment]", "讲得很实用")
    assert browsing.overflow(contact) == 0
    with contact.expect_navigation():
        contact.locator("#rate-form button[type=submit]").click()
    assert "评价 5/5" in contact.locator("#rating").inner_text()
    assert contact.locator("#rate-form").count() == 0
    browsing.shot(contact, "rated")
    request.refresh_from_db()
    assert (request.state, request.rating, request.people_reached, request.sla_met) == (
        ServiceRequest.State.DELIVERED, 5, 118, True)
