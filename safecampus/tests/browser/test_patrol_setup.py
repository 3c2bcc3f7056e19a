"""Setting a patrol route up as the office clicks it, on a phone (390×844) and a desktop:
find a place among hundreds by typing (htmx), take the position from the phone's location,
add the checkpoint, move it up, and ask before issuing a new code."""

import re

import pytest
from playwright.sync_api import expect

from safecampus.organisation.models import Place
from safecampus.patrols.models import Checkpoint
from safecampus.patrols.tests.helpers import build_route

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def test_office_adds_a_checkpoint_with_the_phones_position(browsing, org, viewport):
    built = build_route(org, checkpoints=2)
    Place.objects.bulk_create([
        Place(campus=org.campus1, building=org.building_a, code=f"room-{n:03d}",
              name=f"房间{n:03d}") for n in range(200)])
    Place.objects.create(campus=org.campus1, code="north-gate", name="北门岗亭")
    page = browsing.login(org.users.staff.username, size=viewport)
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 30.7612345, "longitude": 103.9801234,
                                  "accuracy": 8})
    page.goto(f"/patrols/setup/routes/{built.route.pk}/checkpoints/new/")
    assert page.locator(".place-results input[name=place]").count() == 30
    # typing narrows the list without reloading the page
    page.fill("#id_q", "北门")
    expect(page.locator(".place-results input[name=place]")).to_have_count(1)
    page.locator(".place-results label", has_text="北门岗亭").click()
    page.locator("[data-geolocate]").click()
    expect(page.locator("#id_latitude")).to_have_value(re.compile(r"^30\."))
    assert page.input_value("#id_latitude") == "30.761235"
    assert page.input_value("#id_longitude") == "103.980123"
    assert "8" in page.locator("[data-geolocate-status]").inner_text()
    browsing.shot(page, "checkpoint-add")
    with page.expect_navigation():
        page.locator("main button[data-submit-once]").click()
    added = Checkpoint.objects.get(place__code="north-gate")
    assert (added.sequence, str(added.latitude), str(added.longitude)) == (
        3, "30.761235", "103.980123")
    # move it up one place
    with page.expect_navigation():
        page.locator(f"form[action='/patrols/setup/checkpoints/{added.pk}/move/'] "
                     "input[value=up] + button").click()
    added.refresh_from_db()
    assert added.sequence == 2
    assert browsing.overflow(page) == 0
    browsing.shot(page, "route-detail")
    # a new code asks first: dismissing changes nothing, accepting rotates it
    rotate = page.locator(f"form[action='/patrols/setup/checkpoints/{added.pk}/rotate-code/'] "
                          "button")
    page.once("dialog", lambda dialog: dialog.dismiss())
    rotate.click()
    page.wait_for_timeout(300)
    added.refresh_from_db()
    assert added.code_generation == 1
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        rotate.click()
    added.refresh_from_db()
    assert added.code_generation == 2
