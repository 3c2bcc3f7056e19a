"""Patrols through the REST API: routes with ordered checkpoints (no secret codes), rounds by
scope and date, own scans, and the bulk upload of a phone's queue (idempotent per guard's
client_id, per-item refusals, batch limit), with token authentication and a valid schema."""

import datetime as dt
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.patrols.models import CheckpointScan, PatrolRound
from safecampus.patrols.services import patrolling
from safecampus.patrols.tests.helpers import build_route, local
from safecampus.tests.factories import user_with_role

from .helpers import client_for

pytestmark = pytest.mark.django_db

BASE = "/api/v1/patrols/"
ROUTES, ROUNDS, SCANS, BULK = BASE + "routes/", BASE + "rounds/", BASE + "scans/", BASE + "scans/bulk/"
NIGHT = dt.date(2026, 11, 30)
NOW = local(2026, 11, 30, 22, 20)


@pytest.fixture(autouse=True)
def _now():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def night(org):
    """A 4-checkpoint route, tonight's shift (guard1 on it, staff1 leading), 4 rounds."""
    built = build_route(org, guards=[org.users.guard], leader=org.users.staff)
    built.shift = patrolling.shift_plan(schedule=built.schedule, day=NIGHT)
    built.rounds = list(built.shift.rounds.order_by("sequence"))
    return built


def item(checkpoint, *, at="2026-11-30T22:10:00+08:00", code=None, **extra) -> dict:
    return {"code": code or patrolling.checkpoint_url(checkpoint), "client_id": str(uuid.uuid4()),
            "scanned_at": at, "latitude": float(checkpoint.latitude),
            "longitude": float(checkpoint.longitude), "accuracy_m": 12, **extra}


# --- routes ----------------------------------------------------------------------------------
def test_routes_list_and_detail_with_ordered_checkpoints_and_no_secret_codes(night, org):
    guard = client_for(org.users.guard)
    rows = guard.get(ROUTES).json()["results"]
    assert [(r["code"], r["checkpoint_count"], r["zone"]["name"]) for r in rows] == [
        ("north-night", 4, org.zone1.name)]
    detail = guard.get(rows[0]["url"])
    body = detail.json()
    assert [c["sequence"] for c in body["checkpoints"]] == [1, 2, 3, 4]
    assert [c["id"] for c in body["checkpoints"]] == [c.pk for c in night.checkpoints]
    assert all(c["manual_code"] is None for c in body["checkpoints"])
    text = detail.content.decode()
    for checkpoint in night.checkpoints:
        assert patrolling.checkpoint_code(checkpoint).split(".")[1] not in text
        assert checkpoint.manual_code not in text
    office = client_for(org.users.staff).get(rows[0]["url"]).json()
    assert [c["manual_code"] for c in office["checkpoints"]] == [
        c.manual_code for c in night.checkpoints]
    assert client_for(org.users.student).get(ROUTES).status_code == 403
    assert client_for(org.users.student).get(rows[0]["url"]).status_code == 403
    assert guard.get(f"{ROUTES}999999/").status_code == 404


# --- rounds ----------------------------------------------------------------------------------
def test_rounds_by_scope_and_shift_date(night, org, django_assert_max_num_queries):
    ids = [r.pk for r in night.rounds]
    guard = client_for(org.users.guard)
    mine = guard.get(ROUNDS, {"scope": "mine"}).json()["results"]
    assert [r["id"] for r in mine] == ids[::-1]  # newest window first
    assert mine[0]["shift"]["shift_date"] == "2026-11-30"
    assert mine[0]["shift"]["leader"]["id"] == org.users.staff.pk
    assert guard.get(ROUNDS, {"scope": "led"}).json()["results"] == []
    leader = client_for(org.users.staff)
    assert len(leader.get(ROUNDS, {"scope": "led"}).json()["results"]) == 4
    office = client_for(org.users.staff2)
    assert office.get(ROUNDS, {"scope": "led"}).json()["results"] == []
    # the rounds after midnight keep their shift's date
    assert len(office.get(ROUNDS, {"date": "2026-11-30"}).json()["results"]) == 4
    assert office.get(ROUNDS, {"date": "2026-12-01"}).json()["results"] == []
    assert len(office.get(ROUNDS, {"state": "planned", "route": night.route.pk}).json()[
        "results"]) == 4
    # someone with nothing to do with the shift sees none of it
    assert client_for(org.users.student).get(ROUNDS).json()["results"] == []
    assert client_for(org.users.student).get(f"{ROUNDS}{ids[0]}/").status_code == 404
    one = guard.get(f"{ROUNDS}{ids[0]}/").json()
    assert (one["sequence"], one["state"], one["checkpoints_expected"]) == (1, "planned", 4)
    bad = office.get(ROUNDS, {"scope": "everyone", "date": "yesterday"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"scope", "date"}
    with django_assert_max_num_queries(5):
        assert office.get(ROUNDS).status_code == 200


# --- bulk upload -----------------------------------------------------------------------------
def test_bulk_upload_records_each_scan_and_a_replay_creates_nothing(night, org):
    cp = night.checkpoints
    forged = patrolling.checkpoint_code(cp[2])[:-3] + "xyz"
    batch = [item(cp[0]), item(cp[1], code=cp[1].manual_code, at="2026-11-30T14:11:00Z"),
             item(cp[2], code=forged)]
    guard = client_for(org.users.guard)
    response = guard.post(BULK, {"scans": batch}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["duplicate"], body["refused"]) == (2, 0, 1)
    results = body["results"]
    assert [(r["index"], r["client_id"], r["status"], r["code"]) for r in results] == [
        (0, batch[0]["client_id"], "created", ""), (1, batch[1]["client_id"], "created", ""),
        (2, batch[2]["client_id"], "refused", "forged_code")]
    assert results[2]["error"] == ("This code is forged or damaged: it was not issued by the "
                                   "security office. Report the sticker to your shift leader.")
    assert results[0]["scan"]["round"] == night.rounds[0].pk
    assert results[0]["scan"]["timing"] == "on_time"
    assert results[1]["scan"]["counted_at"] == "2026-11-30T22:11:00+08:00"
    round_ = PatrolRound.objects.get(pk=night.rounds[0].pk)
    assert (round_.state, round_.checkpoints_on_time, round_.guard_id) == (
        "in_progress", 2, org.users.guard.pk)
    # the phone did not hear back and sends the same queue again
    again = guard.post(BULK, {"scans": batch}, format="json").json()
    assert (again["created"], again["duplicate"], again["refused"]) == (0, 2, 1)
    assert [r["scan"]["id"] for r in again["results"][:2]] == [
        r["scan"]["id"] for r in results[:2]]
    assert CheckpointScan.objects.count() == 2
    assert PatrolRound.objects.get(pk=round_.pk).checkpoints_on_time == 2


def test_bulk_upload_refuses_bad_items_one_by_one_with_the_scan_pages_messages(night, org,
                                                                              client):
    cp = night.checkpoints
    batch = [item(cp[0], at="2026-11-30T22:10:00"), item(cp[1], at="yesterday night"),
             item(cp[2]), "not a scan", {"code": "x"}, item(cp[3], round_id="abc"),
             item(cp[3], latitude=True), {**item(cp[3]), "scanned_at": None}]
    body = client_for(org.users.guard).post(BULK, {"scans": batch}, format="json").json()
    answers = [(r["status"], r["code"], r["error"]) for r in body["results"]]
    assert answers == [
        ("refused", "bad_time", "The scan time “2026-11-30T22:10:00” has no time zone offset. "
                                "Send e.g. 2026-11-30T22:05:00+08:00."),
        ("refused", "bad_time", "“yesterday night” is not a date and time. Send ISO 8601 with "
                                "an offset, e.g. 2026-11-30T22:05:00+08:00."),
        ("created", "", ""),
        ("refused", "bad_scan",
         "Each scan must be a JSON object with a code, a client_id and a scanned_at."),
        ("refused", "bad_client_id", "The scan has no valid id from the phone."),
        ("refused", "bad_round", "The round is not a valid round id."),
        ("refused", "bad_location", "The position is not a number."),
        ("refused", "bad_time", "The scan has no time. Send the phone's time in ISO 8601 with "
                                "an offset, e.g. 2026-11-30T22:05:00+08:00."),
    ]
    assert CheckpointScan.objects.count() == 1
    # The scan page's endpoint reads the same items through the same service: same answers.
    client.force_login(org.users.guard)
    client.cookies["django_language"] = "en"
    again = [{**i, "client_id": str(uuid.uuid4())} if isinstance(i, dict) and "client_id" in i
             else i for i in batch]
    page = client.post("/patrols/scan/upload/", {"scans": again},
                       content_type="application/json").json()["results"]
    assert [(r["status"], r["code"], r["error"]) for r in page] == answers
    assert CheckpointScan.objects.count() == 2


def test_bulk_upload_flags_what_it_cannot_trust(night, org):
    cp = night.checkpoints
    batch = [item(cp[0], latitude=31.0), item(cp[1], at="2026-11-27T22:10:00+08:00"),
             item(cp[2], at="2026-11-30T23:30:00+08:00")]
    results = client_for(org.users.guard).post(BULK, {"scans": batch}, format="json").json()[
        "results"]
    assert [[f["code"] for f in r["scan"]["flags"]] for r in results] == [
        ["far_from_place"], ["stale_time", "outside_window"], ["future_time"]]
    assert results[0]["scan"]["flags"][0]["label"] == "Far from the checkpoint"


def test_bulk_upload_limits_and_permissions(night, org):
    guard = client_for(org.users.guard)
    too_many = guard.post(BULK, {"scans": [item(night.checkpoints[0])] * 501}, format="json")
    assert too_many.status_code == 400
    assert too_many.json()["detail"] == "Upload at most 500 scans at once."
    assert too_many.json()["code"] == "too_many"
    assert guard.post(BULK, {"scans": "all of them"}, format="json").status_code == 400
    assert guard.post(BULK, [item(night.checkpoints[0])], format="json").status_code == 400
    assert guard.post(BULK, {"scans": []}, format="json").json()["results"] == []
    refused = client_for(org.users.student).post(BULK, {"scans": [item(night.checkpoints[0])]},
                                                 format="json")
    assert refused.status_code == 403
    assert client_for(None).post(BULK, {"scans": []}, format="json").status_code in (401, 403)
    assert CheckpointScan.objects.count() == 0


def test_token_from_the_token_endpoint_uploads_scans(night, org, client):
    token = client.post("/api/v1/auth/token/", {"username": "guard1", "password": "pass-1234"})
    assert token.status_code == 200, token.content
    response = client.post(BULK, {"scans": [item(night.checkpoints[0])]},
                           content_type="application/json",
                           HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert response.status_code == 200 and response.json()["created"] == 1


# --- scans -----------------------------------------------------------------------------------
def test_scans_list_own_scans_and_the_office_sees_all(night, org, django_assert_max_num_queries):
    guard2 = user_with_role(Role.GUARD, campus=org.campus1, username="guard2")
    cp = night.checkpoints
    client_for(org.users.guard).post(BULK, {"scans": [item(cp[0]), item(cp[1])]}, format="json")
    client_for(guard2).post(BULK, {"scans": [item(cp[2], latitude=31.0)]}, format="json")
    mine = client_for(org.users.guard).get(SCANS).json()["results"]
    assert [s["checkpoint"]["id"] for s in mine] == [cp[1].pk, cp[0].pk]
    assert mine[0]["guard"]["id"] == org.users.guard.pk and mine[0]["method"] == "qr"
    office = client_for(org.users.staff)
    assert len(office.get(SCANS).json()["results"]) == 3
    flagged = office.get(SCANS, {"flagged": "true"}).json()["results"]
    assert [(s["guard"]["id"], [f["code"] for f in s["flags"]]) for s in flagged] == [
        (guard2.pk, ["far_from_place", "not_on_shift"])]
    assert len(office.get(SCANS, {"round": night.rounds[0].pk}).json()["results"]) == 3
    assert office.get(SCANS, {"date_from": "2026-12-01"}).json()["results"] == []
    with django_assert_max_num_queries(4):
        assert office.get(SCANS).status_code == 200



def test_a_shift_leader_reads_his_shifts_scans_and_leadership_none(night, org):
    from safecampus.patrols.models import PatrolShift

    cp = night.checkpoints
    client_for(org.users.guard).post(BULK, {"scans": [item(cp[0])]}, format="json")
    guard2 = user_with_role(Role.GUARD, campus=org.campus1, username="guard2")
    PatrolShift.objects.filter(pk=night.shift.pk).update(leader=guard2)
    led = client_for(guard2).get(SCANS).json()["results"]
    assert [s["guard"]["id"] for s in led] == [org.users.guard.pk]
    # scans carry guards' positions: leadership reads the reports' figures instead
    assert client_for(org.users.leadership).get(SCANS).json()["results"] == []


# --- schema and fuzzing ----------------------------------------------------------------------
def test_schema_lists_the_patrol_endpoints_and_is_valid(org, tmp_path):
    from django.core.management import call_command
    from drf_spectacular.validation import validate_schema

    schema = client_for(org.users.staff).get("/api/schema/", {"format": "json"}).json()
    validate_schema(schema)
    paths = schema["paths"]
    assert {ROUTES, ROUTES + "{id}/", ROUNDS, ROUNDS + "{id}/", SCANS, BULK} <= set(paths)
    bulk = paths[BULK]["post"]
    assert {"200", "400", "403"} <= set(bulk["responses"])
    body = bulk["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    components = schema["components"]["schemas"]
    item_ref = components[body]["properties"]["scans"]["items"]["$ref"].rsplit("/", 1)[1]
    assert {"code", "client_id", "scanned_at", "latitude", "longitude", "accuracy_m",
            "round_id", "note"} == set(components[item_ref]["properties"])
    assert {"scope", "date", "date_from", "date_to", "route", "state", "page"} <= {
        p["name"] for p in paths[ROUNDS]["get"]["parameters"]}
    # --fail-on-warn raises on any warning (e.g. two components or enums with one name)
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "s.yaml"))


VALUES = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                   st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
                   st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                        st.integers(), max_size=2))
ITEMS = st.dictionaries(st.sampled_from(["code", "client_id", "scanned_at", "latitude",
                                         "longitude", "accuracy_m", "round_id", "note"]),
                        VALUES, max_size=8)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(items=st.lists(st.one_of(ITEMS, VALUES), max_size=4), query=st.dictionaries(
    st.sampled_from(["scope", "date", "date_from", "route", "state", "round", "flagged",
                     "page"]), st.text(max_size=12), max_size=3))
def test_any_upload_or_query_answers_without_a_server_error(night, org, items, query):
    guard = client_for(org.users.guard)
    for response in (guard.post(BULK, {"scans": items}, format="json"),
                     guard.get(ROUNDS, query), guard.get(SCANS, query)):
        assert response.status_code < 500, response.content[:300]
        if response.status_code >= 400:
            assert set(response.json()) == {"detail", "code", "errors"}
    assert CheckpointScan.objects.filter(is_flagged=False).count() <= 4
