"""The duty room and incidents through the REST API: shifts (current), logging entries with an
Idempotency-Key, closing, incidents (list, detail, create), permissions, personal data, and
the schema listing the new paths."""

import datetime as dt

import pytest
from drf_spectacular.validation import validate_schema

from safecampus.core.clock import frozen
from safecampus.patrols.models import DutyLogEntry, Incident
from safecampus.patrols.services import duty as services

from .helpers import client_for

pytestmark = pytest.mark.django_db

BASE = "/api/v1/patrols/"
SHIFTS, ENTRIES, INCIDENTS = BASE + "duty-shifts/", BASE + "duty-entries/", BASE + "incidents/"
NOW = dt.datetime(2026, 3, 12, 13, 30, tzinfo=dt.UTC)  # 21:30 in Shanghai


@pytest.fixture(autouse=True)
def _now():
    with frozen(NOW):
        yield


def _log(org, *, key=None, user=None, **body):
    body.setdefault("summary", "东门来电：自行车被盗")
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client_for(user or org.users.guard).post(ENTRIES, body, format="json", **headers)


def test_current_shift_is_404_with_how_to_take_over_then_the_open_shift(org):
    client = client_for(org.users.staff)
    response = client.get(SHIFTS + "current/")
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "Nobody is on duty: take over the duty first (Duty room → Take over the duty), then "
        "log the entry.")
    shift = services.duty_shift_take_over(actor=org.users.guard, leader_id=org.users.staff.pk)
    body = client.get(SHIFTS + "current/").json()
    assert (body["id"], body["state"], body["officer"]["id"], body["leader"]["id"]) == (
        shift.pk, "open", org.users.guard.pk, org.users.staff.pk)
    listed = client.get(SHIFTS).json()
    assert [s["id"] for s in listed["results"]] == [shift.pk]
    assert client.get(f"{SHIFTS}{shift.pk}/").json()["carried_over"] == 0
    assert client_for(org.users.student).get(SHIFTS).status_code == 403


def test_logging_without_an_open_shift_is_400_and_writes_nothing(org):
    response = _log(org)
    assert response.status_code == 400
    assert response.json()["code"] == "no_open_shift"
    assert not DutyLogEntry.objects.exists()


def test_logging_with_an_idempotency_key_creates_one_entry(org):
    services.duty_shift_take_over(actor=org.users.guard)
    first = _log(org, key="api-entry-0001", place=org.place_a.pk, caller_phone="13800001111",
                 kind="alarm")
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["kind"], body["status"], body["place"]["id"], body["campus"]["id"]) == (
        "alarm", "open", org.place_a.pk, org.campus1.pk)
    assert body["caller_phone"] == "13800001111"
    again = _log(org, key="api-entry-0001", summary="retry")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert DutyLogEntry.objects.count() == 1
    stolen = _log(org, key="api-entry-0001", user=org.users.staff)
    assert stolen.status_code == 409
    assert _log(org, key="bad key!").status_code == 400


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"place": 99999}, "place", "Choose a place from the list."),
    ({"summary": ""}, "summary", "Say in a few words what happened."),
    ({"occurred_at": "2026-03-13T09:00:00+08:00"}, "occurred_at", "This time is in the future."),
])
def test_bad_entries_are_400_with_field_messages(org, body, field, message):
    services.duty_shift_take_over(actor=org.users.guard)
    response = _log(org, **body)
    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]
    assert not DutyLogEntry.objects.exists()


def test_leadership_reads_the_log_without_phone_numbers_and_cannot_write(org):
    services.duty_shift_take_over(actor=org.users.guard)
    entry_id = _log(org, caller_name="王同学", caller_phone="13800001111").json()["id"]
    client = client_for(org.users.leadership)
    listed = client.get(ENTRIES).json()["results"]
    assert [(e["id"], e["caller_name"], e["caller_phone"]) for e in listed] == [
        (entry_id, "王同学", None)]
    assert client.get(f"{ENTRIES}{entry_id}/").json()["caller_phone"] is None
    assert _log(org, user=org.users.leadership).status_code == 403
    assert client.post(f"{ENTRIES}{entry_id}/close/", {"action_taken": "x"},
                       format="json").status_code == 403
    assert client_for(org.users.student).get(f"{ENTRIES}{entry_id}/").status_code == 404


def test_closing_an_entry(org):
    services.duty_shift_take_over(actor=org.users.guard)
    entry_id = _log(org).json()["id"]
    client = client_for(org.users.guard)
    refused = client.post(f"{ENTRIES}{entry_id}/close/", {}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"action_taken": [
        "Say what was done before closing the entry."]}
    closed = client.post(f"{ENTRIES}{entry_id}/close/", {"action_taken": "已报警"}, format="json")
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["action_taken"]) == ("closed", "已报警")
    assert client.post(f"{ENTRIES}{entry_id}/close/", {}, format="json").status_code == 409
    assert [e["id"] for e in client.get(ENTRIES, {"status": "open"}).json()["results"]] == []


def test_incidents_create_list_and_detail(org):
    client = client_for(org.users.staff)
    body = {"category": "fraud", "summary": "冒充客服退款诈骗", "place": org.place_a.pk,
            "occurred_at": "2026-03-12T10:00:00+08:00", "police_reference": "JJ-3"}
    created = client.post(INCIDENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="incident-api-1")
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["reference"], data["source"], data["category"], data["place"]["id"]) == (
        "JQ2026-00001", "manual", "fraud", org.place_a.pk)
    assert data["recorded_by"]["id"] == org.users.staff.pk and data["duty_entry"] is None
    again = client.post(INCIDENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="incident-api-1")
    assert again.status_code == 200 and Incident.objects.count() == 1
    later = client.post(INCIDENTS, {**body, "reported_at": "2026-03-12T09:00:00+08:00"},
                        format="json")
    assert later.status_code == 400
    assert later.json()["errors"]["occurred_at"] == [
        "An incident cannot have occurred after it was reported (reported at 2026-03-12 09:00)."]
    listed = client.get(INCIDENTS, {"category": "fraud"}).json()["results"]
    assert [i["reference"] for i in listed] == ["JQ2026-00001"]
    assert client.get(INCIDENTS, {"q": "JQ2026-00001"}).json()["results"][0]["id"] == data["id"]
    assert client.get(INCIDENTS, {"category": "alien"}).status_code == 400
    assert client_for(org.users.police).get(f"{INCIDENTS}{data['id']}/").status_code == 200
    assert client_for(org.users.student).get(INCIDENTS).status_code == 403
    assert client_for(org.users.student).get(f"{INCIDENTS}{data['id']}/").status_code == 404
    assert client_for(org.users.police).post(INCIDENTS, body, format="json").status_code == 403


def test_an_incident_from_the_log_names_its_entry(org):
    services.duty_shift_take_over(actor=org.users.guard)
    entry_id = _log(org).json()["id"]
    incident = services.duty_entry_to_incident(actor=org.users.guard, entry_id=entry_id,
                                               category="theft")
    detail = client_for(org.users.guard).get(f"{INCIDENTS}{incident.pk}/").json()
    assert (detail["source"], detail["duty_entry"]) == ("duty_log", entry_id)
    entry = client_for(org.users.guard).get(f"{ENTRIES}{entry_id}/").json()
    assert entry["incident"] == {"id": incident.pk, "reference": "JQ2026-00001"}


def test_schema_lists_the_duty_paths_and_stays_valid(org):
    response = client_for(org.users.staff).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert {"/api/v1/patrols/duty-shifts/", "/api/v1/patrols/duty-shifts/current/",
            "/api/v1/patrols/duty-shifts/{id}/", "/api/v1/patrols/duty-entries/",
            "/api/v1/patrols/duty-entries/{id}/", "/api/v1/patrols/duty-entries/{id}/close/",
            "/api/v1/patrols/incidents/", "/api/v1/patrols/incidents/{id}/"} <= set(
        schema["paths"])
    create = schema["paths"]["/api/v1/patrols/duty-entries/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])


def test_a_bad_value_names_the_field_by_its_label(org):
    services.duty_shift_take_over(actor=org.users.guard)
    body = _log(org, kind="bogus").json()
    assert (body["code"], body["detail"]) == ("invalid", 'Type: "bogus" is not a valid choice.')
    assert body["errors"] == {"kind": ['"bogus" is not a valid choice.']}
    body = client_for(org.users.staff).post(INCIDENTS, {"summary": "x"}, format="json").json()
    assert body["detail"] == "Category: This field is required."
    assert body["errors"] == {"category": ["This field is required."]}
    body = client_for(org.users.staff).get(INCIDENTS, {"date_from": "soon"}).json()
    assert body["detail"].startswith("From: Date has wrong format.")
    assert not DutyLogEntry.objects.exists() and not Incident.objects.exists()


def test_a_caller_phone_must_be_a_phone_number(org):
    services.duty_shift_take_over(actor=org.users.guard)
    response = _log(org, caller_phone="abc电话")
    assert response.status_code == 400
    assert response.json()["errors"] == {"caller_phone": [
        "Give the caller's phone number in digits (spaces, +, - and brackets may be used; an "
        "extension as “转123” or “ext 123”)."]}
    assert _log(org, caller_phone="0571-88881234转123").status_code == 201


def test_the_same_entry_sent_again_without_a_key_is_200_with_the_first(org):
    services.duty_shift_take_over(actor=org.users.guard)
    first = _log(org, place=org.place_a.pk, caller_name="李老师")
    again = _log(org, place=org.place_a.pk, caller_name="李老师")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and DutyLogEntry.objects.count() == 1
