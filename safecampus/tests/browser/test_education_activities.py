"""Education activities as people click them: the office, on a phone, plans a dorm visit from
the coverage page's "not reached yet" list, records it as held (audience, a material row, a
photo), and the coverage page (phone 390×844 and desktop 1440×900) shows that dorm reached
and the other two still unreached. Screenshots go to /tmp/shots."""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.education.models import Activity, ActivityMaterial, ActivityPhoto
from safecampus.education.services import activities as services
from safecampus.organisation.models import Place
from safecampus.tests.factories import BuildingFactory, PlaceFactory, photo_upload

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def dorms(org, tmp_path):
    """A term around today and three dormitory buildings on campus 1."""
    today = clock.local_today()
    services.term_create(actor=org.users.staff, name="本学期",
                         starts_on=today - dt.timedelta(days=60),
                         ends_on=today + dt.timedelta(days=60))
    built = []
    for n in (1, 2, 3):
        building = BuildingFactory(campus=org.campus1, code=f"dorm{n}", name=f"{n}号学生公寓")
        PlaceFactory(building=building, campus=org.campus1, code=f"dorm{n}-2f", name="二层",
                     kind=Place.Kind.DORMITORY)
        built.append(building)
    photo = tmp_path / "booth.jpg"
    photo.write_bytes(photo_upload("booth.jpg").read())
    return built, photo


def test_office_records_a_dorm_visit_on_a_phone_and_coverage_shows_the_unreached(
        browsing, org, dorms, viewport):
    buildings, photo = dorms
    phone = browsing.login("staff1", "phone", next_url="/education/coverage/")
    unreached = phone.locator("#not-reached li")
    assert unreached.count() == 3
    with phone.expect_navigation():
        phone.locator(f"#not-reached li[data-group='{buildings[0].pk}'] a").click()
    assert phone.locator("select[name=buildings] option:checked").inner_text().startswith(
        "1号学生公寓")
    yesterday = clock.local_today() - dt.timedelta(days=1)
    phone.fill("input[name=title]", "反诈进宿舍·1号公寓")
    phone.select_option("select[name=kind]", "dorm_visit")
    phone.fill("input[name=starts_at]", f"{yesterday.isoformat()}T19:30")
    phone.fill("input[name=ends_at]", f"{yesterday.isoformat()}T21:00")
    phone.fill("input[name=location]", "1号学生公寓各楼层")
    assert browsing.overflow(phone) == 0
    browsing.shot(phone, "plan")
    with phone.expect_navigation():
        phone.locator("#activity-form button[type=submit]").click()
    activity = Activity.objects.get()
    assert list(activity.buildings.all()) == [buildings[0]]

    with phone.expect_navigation():
        phone.locator("#record-held").click()
    phone.fill("input[name=audience_count]", "86")
    phone.fill("input[name=material_0_name]", "反诈折页")
    phone.fill("input[name=material_0_quantity]", "90")
    phone.fill("input[name=material_0_unit]", "份")
    phone.set_input_files("input[name=photos]", str(photo))
    assert browsing.overflow(phone) == 0
    browsing.shot(phone, "hold")
    with phone.expect_navigation():
        phone.locator("#hold-form button[type=submit]").click()
    activity.refresh_from_db()
    assert (activity.state, activity.audience_count) == ("held", 86)
    assert ActivityMaterial.objects.get().quantity == 90 and ActivityPhoto.objects.count() == 1
    browsing.wait_until(phone, "() => document.querySelector('#photos img')?.complete")
    assert phone.locator("#audience").inner_text() == "86"
    browsing.shot(phone, "held")

    page = browsing.login("staff1", viewport, next_url="/education/coverage/")
    groups = page.locator("#not-reached li").evaluate_all(
        "items => items.map(li => +li.dataset.group)")
    assert groups == [buildings[1].pk, buildings[2].pk]
    row = page.locator(f"#coverage-matrix tr[data-group='{buildings[0].pk}']")
    assert row.get_attribute("data-activities") == "1"
    assert page.locator("#coverage-matrix tr.coverage-unreached").count() == 2
    assert browsing.overflow(page) == 0
    browsing.shot(page, "coverage")
