"""Traffic duty posts as people click them (phone 390×844 and desktop 1440×900): a guard on a
phone signs in at the canteen post by typing its manual code; the live list shows the canteen
staffed and the teaching building, whose duty runs with nobody signed in, unstaffed. The
office looks at the post page, the setup pages and the roster. Screenshots go to /tmp/shots."""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.traffic.models import PostDuty, PostDutyTime, PostSignIn
from safecampus.traffic.services import posts as services
from safecampus.traffic.tests.post_helpers import build_posts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def running(org):
    """Posts whose duties of today run now: the canteen's (guard1 rostered) from 20 minutes
    ago, the teaching building's (nobody signed in) from 30 minutes ago."""
    built = build_posts(org)
    today = clock.local_today()
    services.post_duties_plan(day=today)
    for duty_time in (built.morning, built.noon):
        PostDutyTime.objects.filter(pk=duty_time.pk).update(weekdays="1234567")
    services.post_duties_plan(day=today)
    now = clock.now()
    PostDuty.objects.filter(duty_time=built.morning, duty_date=today).update(
        starts_at=now - dt.timedelta(minutes=20), ends_at=now + dt.timedelta(minutes=40))
    PostDuty.objects.filter(duty_time=built.noon, duty_date=today).update(
        starts_at=now - dt.timedelta(minutes=30), ends_at=now + dt.timedelta(minutes=30))
    return built


def test_a_guard_signs_in_by_typing_the_code_and_the_live_list_shows_it(
        browsing, org, running, viewport):
    # -- the guard on the phone types the code printed under the QR -------------------------
    guard = browsing.login("guard1", "phone", next_url="/traffic/posts/sign-in/")
    guard.wait_for_selector("html[data-post-sign-in-ready]")
    assert "一食堂" in guard.locator("#my-duties").inner_text()
    code = running.canteen.manual_code
    guard.fill("input[name=code]", f"{code[:4].lower()} {code[4:].lower()}")
    assert browsing.overflow(guard) == 0
    browsing.shot(guard, "sign-in")
    with guard.expect_navigation():
        guard.locator("#sign-in-submit").click()
    sign_in = PostSignIn.objects.get()
    assert (sign_in.post, sign_in.guard, sign_in.method, sign_in.flags) == (
        running.canteen, org.users.guard, "manual", [])
    assert sign_in.duty.first_sign_in_at is not None
    assert guard.locator(".alert-success").count() == 1
    assert "一食堂" in guard.locator(".alert-success").inner_text()
    browsing.shot(guard, "signed-in")

    # -- the office's live list: the canteen staffed, the teaching building unstaffed ---------
    office = browsing.login("staff1", viewport, next_url="/traffic/posts/")
    canteen = office.locator(f".post-row[data-post='{running.canteen.pk}']")
    teaching = office.locator(f".post-row[data-post='{running.teaching.pk}']")
    assert canteen.get_attribute("data-state") == "staffed"
    assert teaching.get_attribute("data-state") == "unstaffed"
    assert org.users.guard.get_full_name() in canteen.inner_text() or "guard1" in \
        canteen.inner_text()
    # the unstaffed post comes first
    assert office.locator(".post-row").first.get_attribute("data-post") == \
        str(running.teaching.pk)
    assert browsing.overflow(office) == 0
    browsing.shot(office, "live")
    # htmx refreshes the list in place
    office.evaluate("htmx.ajax('GET', location.pathname, {target: '#post-live', swap: 'outerHTML'})")
    office.wait_for_selector(f".post-row[data-post='{running.canteen.pk}'][data-state='staffed']")

    # -- the post page and the setup pages ---------------------------------------------------
    with office.expect_navigation():
        office.click(f".post-row[data-post='{running.canteen.pk}'] a")
    office.wait_for_selector("#post-duties")
    assert code in office.locator("#manual-code").inner_text()
    assert browsing.overflow(office) == 0
    browsing.shot(office, "post")
    for url, name in ((f"/traffic/posts/{running.canteen.pk}/times/new/", "duty-time"),
                      ("/traffic/posts/setup/", "setup"),
                      (f"/traffic/posts/timetable/{org.campus1.pk}/", "timetable"),
                      ("/traffic/posts/roster/", "roster")):
        office.goto(url)
        assert browsing.overflow(office) == 0, name
        browsing.shot(office, name)


def test_the_qr_address_from_a_phones_camera_shows_the_post_and_signs_in_on_one_tap(
        browsing, org, running):
    # the phone's camera app opens the address on the sign; the guard logs in first
    url = services.post_url(running.teaching).split("://", 1)[1].split("/", 1)[1]
    guard = browsing.login("guard1", "phone", next_url=f"/{url}")
    guard.wait_for_selector("html[data-post-sign-in-ready]")
    # the page shows the post, its campus and its duty now, and signs nobody in by itself
    assert "教学楼" in guard.title()
    assert guard.locator("#post-title").inner_text() == "教学楼"
    assert org.campus1.name in guard.locator("#post-campus").inner_text()
    assert "Noon" in guard.locator("#post-duty").inner_text()
    assert guard.locator("#not-rostered").is_visible()
    button = guard.locator("#sign-in-submit")
    assert button.inner_text().strip() == "签到"
    box = button.bounding_box()
    assert box["height"] >= 56 and box["y"] + box["height"] <= 844  # big, without scrolling
    guard.wait_for_timeout(500)
    assert not PostSignIn.objects.exists()
    assert browsing.overflow(guard) == 0
    browsing.shot(guard, "qr-confirm")
    # one tap: the phone adds its time and a new id of the sign-in
    with guard.expect_navigation():
        button.click()
    guard.wait_for_url("**/traffic/posts/sign-in/")
    sign_in = PostSignIn.objects.get()
    assert (sign_in.post, sign_in.method, sign_in.flags) == (running.teaching, "qr",
                                                             ["not_rostered"])
    assert abs((sign_in.received_at - sign_in.signed_at).total_seconds()) < 60
    assert "教学楼" in guard.locator(".alert-warning").inner_text()
    assert browsing.overflow(guard) == 0
    browsing.shot(guard, "qr-signed-in")
    # a new tap after coming back is a new sign-in with its own id
    guard.go_back()
    guard.wait_for_selector("#sign-in-submit:not([disabled])")
    with guard.expect_navigation():
        guard.locator("#sign-in-submit").click()
    guard.wait_for_url("**/traffic/posts/sign-in/")
    assert PostSignIn.objects.values("client_id").distinct().count() == 2
