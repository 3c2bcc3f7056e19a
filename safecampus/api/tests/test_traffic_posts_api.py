"""Duty posts API: the posts with their state now, sign-in (idempotent by client_id, refusals
with codes), sign-ins and the log; who may do what; list query count."""
# ruff: noqa: F811  (the ``posts`` fixture is imported from the traffic test helpers)

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safecampus.core import clock
from safecampus.traffic.models import PostLogEntry, PostSignIn
from safecampus.traffic.services import posts as services
from safecampus.traffic.tests.post_helpers import MONDAY, local, posts, sign_in  # noqa: F401

from .helpers import client_for

pytestmark = pytest.mark.django_db
POSTS = "/api/v1/traffic/posts/"
SIGN_IN = "/api/v1/traffic/posts/sign-in/"


@pytest.fixture
def at_7_55():
    with clock.frozen(local(2026, 3, 2, 7, 55)):
        yield


def test_posts_with_their_state_now(org, posts, at_7_55):
    services.post_duties_plan(day=MONDAY)
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 50))
    response = client_for(org.users.leadership).get(POSTS)
    assert response.status_code == 200
    rows = {r["name"]: r for r in response.json()["results"]}
    canteen = rows["一食堂"]["now"]
    assert (canteen["state"], canteen["state_display"]) == ("staffed", "Staffed")
    assert canteen["duty"]["name"] == "Morning"
    assert canteen["duty"]["starts_at"] == "2026-03-02T07:45:00+08:00"
    assert [g["id"] for g in canteen["guards"]] == [org.users.guard.pk]
    assert [s["id"] for s in canteen["signed_in"]] == [org.users.guard.pk]
    assert rows["教学楼"]["now"]["state"] == "off"
    one = client_for(org.users.guard).get(f"{POSTS}{posts.canteen.pk}/")
    assert one.status_code == 200 and one.json()["now"]["state"] == "staffed"
    assert client_for(org.users.student).get(POSTS).status_code == 403
    assert client_for(org.users.guard).get(f"{POSTS}999999/").status_code == 404


def test_the_list_costs_the_same_queries_for_more_posts(org, posts, at_7_55):
    services.post_duties_plan(day=MONDAY)
    api = client_for(org.users.staff)
    api.get(POSTS)
    with CaptureQueriesContext(connection) as few:
        api.get(POSTS)
    for number in range(5):
        post = services.post_create(actor=org.users.staff, campus_id=org.campus1.pk,
                                    name=f"岗{number}")
        services.duty_time_create(actor=org.users.staff, post_id=post.pk, name="M",
                                  anchor="class_start", class_period_id=posts.periods[0].pk,
                                  guard_ids=[org.users.guard.pk])
    services.post_duties_plan(day=MONDAY)
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(POSTS).json()["results"]) == 7
    assert len(many) == len(few)


def test_sign_in_is_idempotent_by_client_id(org, posts, at_7_55):
    services.post_duties_plan(day=MONDAY)
    api = client_for(org.users.guard)
    body = {"code": services.post_url(posts.canteen), "client_id": str(uuid.uuid4()),
            "signed_at": "2026-03-02T07:52:00+08:00", "latitude": "34.250000",
            "longitude": "108.980000"}
    first = api.post(SIGN_IN, body, format="json")
    assert first.status_code == 201, first.json()
    data = first.json()
    assert (data["post"], data["method"], data["flags"], data["distance_m"]) == (
        posts.canteen.pk, "qr", [], 0)
    again = api.post(SIGN_IN, body, format="json")
    assert (again.status_code, again.json()["id"]) == (200, data["id"])
    assert PostSignIn.objects.count() == 1


@pytest.mark.parametrize(("change", "code"), [
    ({"code": "ZZZZ2222"}, "unknown_code"),
    ({"code": "1-1.forgedsignature"}, "forged_code"),
    ({"client_id": "nope"}, "invalid"),
    ({"latitude": "123"}, "invalid"),
])
def test_bad_sign_ins_are_refused(org, posts, at_7_55, change, code):
    body = {"code": posts.canteen.manual_code, "client_id": str(uuid.uuid4()), **change}
    response = client_for(org.users.guard).post(SIGN_IN, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not PostSignIn.objects.exists()


def test_a_replaced_code_and_a_non_guard_are_refused(org, posts, at_7_55):
    old = services.post_code(posts.canteen)
    services.post_rotate_code(actor=org.users.staff, post_id=posts.canteen.pk)
    response = client_for(org.users.guard).post(
        SIGN_IN, {"code": old, "client_id": str(uuid.uuid4())}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "revoked_code")
    response = client_for(org.users.leadership).post(
        SIGN_IN, {"code": posts.canteen.manual_code, "client_id": str(uuid.uuid4())},
        format="json")
    assert response.status_code == 403
    assert not PostSignIn.objects.exists()


def test_sign_ins_and_the_log(org, posts, at_7_55):
    services.post_duties_plan(day=MONDAY)
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 50))
    api = client_for(org.users.guard)
    rows = api.get(f"{POSTS}{posts.canteen.pk}/sign-ins/").json()["results"]
    assert [r["guard"]["id"] for r in rows] == [org.users.guard.pk]
    url = f"{POSTS}{posts.canteen.pk}/log/"
    first = api.post(url, {"kind": "congestion", "text": "食堂门口拥堵"}, format="json",
                     HTTP_IDEMPOTENCY_KEY="log-key-0001")
    assert first.status_code == 201, first.json()
    assert first.json()["duty"] is not None and first.json()["kind_display"] == "Congestion"
    again = api.post(url, {"kind": "congestion", "text": "食堂门口拥堵"}, format="json",
                     HTTP_IDEMPOTENCY_KEY="log-key-0001")
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    bad = api.post(url, {"kind": "gossip", "text": "x"}, format="json")
    assert bad.status_code == 400 and "kind" in bad.json()["errors"]
    assert [r["text"] for r in api.get(url).json()["results"]] == ["食堂门口拥堵"]
    assert client_for(org.users.leadership).post(url, {"text": "x"}, format="json"
                                                 ).status_code == 403
    assert PostLogEntry.objects.count() == 1
