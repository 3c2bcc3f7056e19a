"""Duty posts, pages: live list (and its htmx refresh), post page and log, setup, timetable,
roster, the guard's sign-in (typed code and /traffic/p/<code>/), the printed A4 sign."""
# ruff: noqa: F811  (the ``posts`` fixture is imported from post_helpers)

import datetime as dt
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from safecampus.core import clock
from safecampus.tests.pages import login, messages_of, text_of
from safecampus.traffic.models import DutyPost, PostDuty, PostDutyTime, PostLogEntry, PostSignIn
from safecampus.traffic.services import posts as services

from .post_helpers import MONDAY, english, local, posts, sign_in  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")
PUBLIC = "https://aq.example.edu.cn"
JSQR = Path(settings.BASE_DIR) / "static" / "vendor" / "jsqr" / "jsQR.js"
DECODE_JS = """
const jsQR = require(process.argv[1]);
const data = new Uint8ClampedArray(require("fs").readFileSync(process.argv[2]));
const found = jsQR(data, +process.argv[3], +process.argv[4]);
process.stdout.write(found ? found.data : "");
"""


@pytest.fixture
def at_7_55():
    with clock.frozen(local(2026, 3, 2, 7, 55)):
        yield


def test_the_live_list_shows_staffed_and_unstaffed_posts(org, posts, client, at_7_55):
    services.post_duties_plan(day=MONDAY)
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 50))
    services.duty_time_create(actor=org.users.staff, post_id=posts.teaching.pk, name="Early",
                              anchor="class_start", class_period_id=posts.periods[0].pk,
                              minutes_before=30, minutes_after=0)
    services.post_duties_plan(day=MONDAY)
    login(client, org.users.leadership)
    response = client.get(reverse("traffic:post_live"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 45s"' in html
    assert f'data-post="{posts.canteen.pk}" data-state="staffed"' in html
    assert f'data-post="{posts.teaching.pk}" data-state="unstaffed"' in html
    text = text_of(response)
    assert "guard1" in text or org.users.guard.full_name in text
    # the htmx refresh gets the list alone
    partial = client.get(reverse("traffic:post_live"), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and b"<html" not in partial.content
    assert b'data-state="unstaffed"' in partial.content
    login(client, org.users.student)
    assert client.get(reverse("traffic:post_live")).status_code == 403


def test_the_live_page_costs_the_same_queries_for_more_posts(org, posts, client, at_7_55):
    services.post_duties_plan(day=MONDAY)
    login(client, org.users.staff)
    client.get(reverse("traffic:post_live"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("traffic:post_live")).status_code == 200
    for number in range(5):
        post = services.post_create(actor=org.users.staff, campus_id=org.campus1.pk,
                                    name=f"岗{number}")
        services.duty_time_create(actor=org.users.staff, post_id=post.pk, name="M",
                                  anchor="class_start", class_period_id=posts.periods[0].pk,
                                  guard_ids=[org.users.guard.pk])
    services.post_duties_plan(day=MONDAY)
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 50))
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("traffic:post_live")).status_code == 200
    assert len(many) == len(few)


def test_a_guard_signs_in_by_typing_the_code(org, posts, client, at_7_55):
    services.post_duties_plan(day=MONDAY)
    login(client, org.users.guard)
    page = client.get(reverse("traffic:post_sign_in"))
    assert page.status_code == 200 and "一食堂" in text_of(page)  # my duties today
    client_id = str(uuid.uuid4())
    data = {"code": posts.canteen.manual_code.lower(), "client_id": client_id,
            "signed_at": "2026-03-02T07:54:00+08:00", "latitude": "34.250000",
            "longitude": "108.980000", "method": "manual"}
    response = client.post(reverse("traffic:post_sign_in"), data)
    assert response.status_code == 302
    assert messages_of(response) == ["Signed in at 一食堂 at 07:54."]
    # a double tap stores one sign-in
    client.post(reverse("traffic:post_sign_in"), data)
    s = PostSignIn.objects.get()
    assert (s.method, s.guard, s.flags, s.signed_at) == ("manual", org.users.guard, [],
                                                         local(2026, 3, 2, 7, 54))
    assert PostDuty.objects.get(duty_time=posts.morning).first_sign_in_at is not None


def test_a_wrong_code_is_shown_once_at_the_field(org, posts, client, at_7_55):
    login(client, org.users.guard)
    response = client.post(reverse("traffic:post_sign_in"),
                           {"code": "ZZZZ2222", "client_id": str(uuid.uuid4())})
    assert response.status_code == 400
    message = ("This is not the code of a duty post: it may be mistyped or replaced. Check the "
               "sign at the post.")
    html = response.content.decode()
    assert text_of(response).count(message) == 1
    assert 'id="code-error"' in html and 'id="sign-in-errors"' not in html
    # a replaced QR code read by the camera: once, at the field, too
    old = services.post_code(posts.canteen)
    services.post_rotate_code(actor=org.users.staff, post_id=posts.canteen.pk)
    response = client.post(reverse("traffic:post_sign_in"),
                           {"code": old, "client_id": str(uuid.uuid4()), "method": "qr"})
    assert response.status_code == 400
    assert text_of(response).count("code has been replaced") == 1
    assert not PostSignIn.objects.exists()
    # a phone time the service refuses has no field on the page: shown once above the box
    response = client.post(reverse("traffic:post_sign_in"), {
        "code": posts.teaching.manual_code, "client_id": str(uuid.uuid4()),
        "signed_at": "1999-03-02T07:54:00+08:00"})
    assert response.status_code == 400 and not PostSignIn.objects.exists()
    assert 'id="sign-in-errors"' in response.content.decode()
    assert text_of(response).count("The sign-in time is impossible.") == 1
    login(client, org.users.student)
    assert client.get(reverse("traffic:post_sign_in")).status_code == 403


def test_the_qr_address_shows_the_post_and_signs_in_only_on_post(org, posts, client, at_7_55):
    services.post_duties_plan(day=MONDAY)
    url = reverse("traffic:post_sign_in_code", args=[services.post_code(posts.canteen)])
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    login(client, org.users.guard)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Sign in at 一食堂 · " in html
    text = text_of(response)
    assert "一食堂" in text and org.campus1.name in text
    assert "Duty now" in text and "Morning · 07:45–08:10" in text
    assert f"Rostered: {org.users.guard.full_name or 'guard1'}" in text
    assert "You are not on this duty's roster" not in text
    assert f'action="{url}"' in html and 'name="csrfmiddlewaretoken"' in html
    assert 'name="client_id"' in html and 'name="method" value="qr"' in html
    assert '"auto"' not in html and 'name="code"' not in html
    assert not PostSignIn.objects.exists()  # a GET (a link preview, a prefetch) writes nothing
    # the tap posts the phone's time, position and id of the sign-in
    client_id = str(uuid.uuid4())
    data = {"client_id": client_id, "signed_at": "2026-03-02T07:54:30+08:00",
            "latitude": "34.250000", "longitude": "108.980000", "method": "qr"}
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == reverse(
        "traffic:post_sign_in")
    assert messages_of(response) == ["Signed in at 一食堂 at 07:54."]
    # the same tap again (a double tap, a resent form) stores one sign-in
    assert client.post(url, data).status_code == 302
    s = PostSignIn.objects.get()
    assert (s.post, s.guard, s.method, s.flags, str(s.client_id)) == (
        posts.canteen, org.users.guard, "qr", [], client_id)
    assert PostDuty.objects.get(duty_time=posts.morning).first_sign_in_at == s.signed_at
    # back on the page the guard sees the sign-in
    assert "You signed in on this duty at 07:54." in text_of(client.get(url))
    # the code comes from the address, never from the form
    other = client.post(url, {**data, "client_id": str(uuid.uuid4()),
                              "code": posts.teaching.manual_code})
    assert other.status_code == 302
    assert set(PostSignIn.objects.values_list("post", flat=True)) == {posts.canteen.pk}
    # a post without an id of the sign-in is refused, once, nothing stored
    response = client.post(url, {"signed_at": "2026-03-02T07:54:30+08:00"})
    assert response.status_code == 400 and PostSignIn.objects.count() == 2
    assert text_of(response).count("This field is required.") == 1


def test_the_qr_address_needs_the_csrf_token(org, posts, at_7_55):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    login(client, org.users.guard)
    url = reverse("traffic:post_sign_in_code", args=[services.post_code(posts.canteen)])
    page = client.get(url)
    token = page.context["csrf_token"]
    data = {"client_id": str(uuid.uuid4()), "method": "qr"}
    assert client.post(url, data).status_code == 403
    assert not PostSignIn.objects.exists()
    assert client.post(url, {**data, "csrfmiddlewaretoken": str(token)}).status_code == 302
    assert PostSignIn.objects.count() == 1


def test_the_qr_address_of_a_rostered_off_or_replaced_code(org, posts, client, at_7_55):
    services.post_duties_plan(day=MONDAY)
    login(client, org.users.guard)
    url = reverse("traffic:post_sign_in_code", args=[services.post_code(posts.teaching)])
    text = text_of(client.get(url))
    # the teaching building's noon duty is later today; guard1 is not on its roster
    assert "Next duty today" in text and "Noon · 11:35–11:55" in text
    assert "You are not on this duty's roster" in text
    with clock.frozen(local(2026, 3, 2, 20, 0)):
        assert "No duty of this post runs now or later today" in text_of(client.get(url))
    old = services.post_code(posts.canteen)
    services.post_rotate_code(actor=org.users.staff, post_id=posts.canteen.pk)
    for response in (client.get(reverse("traffic:post_sign_in_code", args=[old])),
                     client.post(reverse("traffic:post_sign_in_code", args=[old]),
                                 {"client_id": str(uuid.uuid4())})):
        assert response.status_code == 400
        assert "code has been replaced. Report the old sign to the office." in text_of(response)
        assert "<title>This code cannot be used · " in response.content.decode()
    assert not PostSignIn.objects.exists()
    login(client, org.users.student)
    assert client.get(url).status_code == 403
    assert client.post(url, {"client_id": str(uuid.uuid4())}).status_code == 403


def test_the_post_page_shows_sign_ins_and_takes_log_lines(org, posts, client, at_7_55):
    services.post_duties_plan(day=MONDAY)
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 50), actor=org.users.staff)
    login(client, org.users.guard)
    url = reverse("traffic:post_detail", args=[posts.canteen.pk])
    response = client.get(url)
    assert response.status_code == 200
    text = text_of(response)
    assert "Not on the roster" in text and "Print the sign" not in text
    response = client.post(url, {"kind": "congestion", "text": "北门拥堵",
                                 "idempotency_key": "abcdefgh1234"})
    assert response.status_code == 302 and messages_of(response) == ["Added to the post log."]
    client.post(url, {"kind": "congestion", "text": "北门拥堵", "idempotency_key": "abcdefgh1234"})
    assert PostLogEntry.objects.count() == 1
    response = client.post(url, {"kind": "note", "text": " "})
    assert response.status_code == 400 and PostLogEntry.objects.count() == 1
    login(client, org.users.leadership)
    assert client.get(url).status_code == 200
    assert client.post(url, {"kind": "note", "text": "x"}).status_code == 403


def test_the_office_sets_up_a_post_with_a_duty_time(org, posts, client):
    login(client, org.users.staff)
    assert client.get(reverse("traffic:post_setup")).status_code == 200
    response = client.post(reverse("traffic:post_setup"), {
        "campus": org.campus1.pk, "name": "北门", "kind": "gate", "radius_m": 150,
        "idempotency_key": "setup-12345678"})
    post = DutyPost.objects.get(name="北门")
    assert response.status_code == 302 and response["Location"] == f"/traffic/posts/{post.pk}/"
    new = reverse("traffic:duty_time_new", args=[post.pk])
    assert client.get(new).status_code == 200
    response = client.post(new, {"name": "Evening", "anchor": "fixed", "weekdays": ["1", "3"]})
    assert response.status_code == 400
    assert "Fixed times need a start and an end." in text_of(response)
    response = client.post(new, {"name": "Evening", "anchor": "fixed", "starts_at": "17:00",
                                 "ends_at": "17:30", "weekdays": ["1", "3"],
                                 "guards": [org.users.guard.pk]})
    assert response.status_code == 302
    duty_time = PostDutyTime.objects.get(post=post)
    assert (duty_time.weekdays, list(duty_time.guards.all())) == ("13", [org.users.guard])
    edit = reverse("traffic:duty_time_edit", args=[post.pk, duty_time.pk])
    assert client.get(edit).status_code == 200
    response = client.post(reverse("traffic:post_action", args=[post.pk, "rotate"]))
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.code_generation == 2
    login(client, org.users.guard)
    assert client.get(reverse("traffic:post_setup")).status_code == 403
    assert client.post(reverse("traffic:post_action", args=[post.pk, "rotate"])).status_code == 403


def test_the_timetable_page_saves_and_refuses_periods_out_of_order(org, posts, client):
    login(client, org.users.staff)
    url = reverse("traffic:class_timetable", args=[org.campus1.pk])
    response = client.get(url)
    assert response.status_code == 200 and 'value="08:55"' in response.content.decode()
    response = client.post(url, {"p1_start": "08:00", "p1_end": "08:45", "p2_start": "08:40",
                                 "p2_end": "09:20"})
    assert response.status_code == 400
    assert "Period 2 starts before period 1 ends: list the periods in order." in text_of(response)
    assert posts.periods[1].__class__.objects.filter(campus=org.campus1).count() == 5


def test_the_roster_page_changes_one_days_guards(org, posts, client):
    with clock.frozen(local(2026, 3, 1, 18, 0)):
        login(client, org.users.staff)
        url = reverse("traffic:post_roster") + "?day=2026-03-02"
        response = client.post(reverse("traffic:post_roster_plan") + "?day=2026-03-02")
        assert messages_of(response) == ["2 duties planned."]
        response = client.get(url)
        assert response.status_code == 200 and "一食堂" in text_of(response)
        duty = PostDuty.objects.get(duty_time=posts.noon)
        response = client.post(url, {"duty": duty.pk, "guards": [org.users.staff2.pk]})
        assert messages_of(response) == ["Roster saved."]
    assert list(duty.guards.all()) == [org.users.staff2]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2036-03-20", "2016-02-10",
                                 "2026-02-30", "yesterday"])
def test_the_roster_pages_take_an_impossible_or_far_day_as_today(org, posts, client, day):
    with clock.frozen(local(2026, 3, 2, 6, 0)):
        login(client, org.users.staff)
        response = client.get(reverse("traffic:post_roster") + f"?day={day}")
        assert response.status_code == 200
        assert "Duty roster, 2026-03-02" in text_of(response)
        response = client.post(reverse("traffic:post_roster_plan") + f"?day={day}")
        assert response.status_code == 302
        assert response["Location"].endswith("?day=2026-03-02")
    assert set(PostDuty.objects.values_list("duty_date", flat=True)) == {MONDAY}


def test_the_roster_page_goes_up_to_ten_years_either_way(org, posts, client):
    with clock.frozen(local(2026, 3, 2, 6, 0)):
        login(client, org.users.staff)
        for day in ("2036-02-28", "2016-03-04"):
            response = client.get(reverse("traffic:post_roster") + f"?day={day}")
            assert f"Duty roster, {day}" in text_of(response)


@pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None
                    or shutil.which("node") is None or not JSQR.is_file(),
                    reason="the printed sign is read with poppler-utils, node and jsQR")
def test_the_printed_sign_is_chinese_and_its_qr_reads_back(org, posts, client, tmp_path,
                                                          settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "PUBLIC_URL": PUBLIC}
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "laptop.local"]
    login(client, org.users.staff)
    response = client.get(reverse("traffic:post_sign_pdf", args=[posts.canteen.pk]),
                          HTTP_HOST="laptop.local")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    (tmp_path / "sign.pdf").write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "sign.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "一食堂" in text and "北校区" in text and "食堂" in text
    (tmp_path / "sign.pdf").write_bytes(response.content)
    code = posts.canteen.manual_code
    assert code[:4] in text and code[4:] in text  # printed in two groups of four
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(tmp_path / "sign.pdf"),
                    str(tmp_path / "sign")], check=True)
    page = Image.open(tmp_path / "sign.png").convert("RGBA")
    (tmp_path / "sign.rgba").write_bytes(page.tobytes())
    read = subprocess.run(["node", "-e", DECODE_JS, str(JSQR), str(tmp_path / "sign.rgba"),
                           str(page.width), str(page.height)],
                          capture_output=True, text=True, check=True).stdout
    assert read == services.post_url(posts.canteen)
    assert read.startswith(f"{PUBLIC}/traffic/p/{posts.canteen.pk}-1.")
    assert services.post_resolve(read)[0] == posts.canteen
    login(client, org.users.guard)
    assert client.get(reverse("traffic:post_sign_pdf", args=[posts.canteen.pk])).status_code == 403


def test_the_post_page_costs_the_same_queries_for_more_duties(org, posts, client):
    login(client, org.users.staff)
    url = reverse("traffic:post_detail", args=[posts.canteen.pk])
    services.post_duties_plan(day=MONDAY)
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 50))
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for days in range(1, 8):
        day = MONDAY + dt.timedelta(days=days)
        services.post_duties_plan(day=day)
        start = services.duty_time_bounds(posts.morning, day)[0]
        sign_in(org, posts.canteen, start, actor=org.users.staff)
        services.post_log_add(actor=org.users.guard, post_id=posts.canteen.pk, text="ok",
                              logged_at=start)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
