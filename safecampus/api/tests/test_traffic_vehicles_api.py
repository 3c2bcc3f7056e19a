"""Vehicles and permits API: register with an Idempotency-Key, refusals with reasons, the
lookup, permits issued / refused / revoked, and who sees what."""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.traffic.models import Permit, Vehicle
from safecampus.traffic.services import vehicles as services

from .helpers import client_for

pytestmark = pytest.mark.django_db
VEHICLES = "/api/v1/traffic/vehicles/"
PERMITS = "/api/v1/traffic/permits/"


def _vehicle(org, plate="陕A12345", **kwargs):
    kwargs.setdefault("owner_name", "王老师")
    kwargs.setdefault("owner_kind", "staff")
    return services.vehicle_register(actor=org.users.staff, plate=plate, **kwargs)


def test_register_with_idempotency_key(org):
    api = client_for(org.users.staff)
    body = {"plate": "陕ａ 12345", "owner_name": "王老师", "owner_kind": "staff",
            "owner_phone": "13800138000", "owner": org.users.student.pk}
    first = api.post(VEHICLES, body, format="json", HTTP_IDEMPOTENCY_KEY="vehicle-key-1")
    assert first.status_code == 201, first.json()
    data = first.json()
    assert (data["plate"], data["plate_kind"], data["owner"]["id"]) == (
        "陕A12345", "ordinary", org.users.student.pk)
    assert data["permit_status"] == {"code": "none", "label": "No permit", "permit": None,
                                     "valid_from": None, "valid_until": None}
    again = api.post(VEHICLES, body, format="json", HTTP_IDEMPOTENCY_KEY="vehicle-key-1")
    assert (again.status_code, again.json()["id"]) == (200, data["id"])
    assert Vehicle.objects.count() == 1


def test_register_refusals(org):
    api = client_for(org.users.staff)
    bad = api.post(VEHICLES, {"plate": "陕A1234", "owner_name": "王", "owner_kind": "staff"},
                   format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"]["plate"] == [
        "A plate has 7 characters (8 for new-energy vehicles); this one has 6."]
    _vehicle(org)
    taken = api.post(VEHICLES, {"plate": "陕A12345", "owner_name": "李", "owner_kind": "staff"},
                     format="json")
    assert taken.status_code == 400
    assert taken.json()["errors"]["plate"] == [
        "This plate is already registered: 陕A12345 of 王老师. Open that vehicle instead."]
    guard = client_for(org.users.guard).post(
        VEHICLES, {"plate": "陕A54321", "owner_name": "李", "owner_kind": "staff"}, format="json")
    assert guard.status_code == 403
    assert Vehicle.objects.count() == 1


def test_lookup_and_visibility(org):
    mine = _vehicle(org, owner_id=org.users.student.pk)
    other = _vehicle(org, plate="陕AD12345", owner_name="李四")
    rows = client_for(org.users.guard).get(VEHICLES + "lookup/", {"q": "12345"}).json()
    assert [r["id"] for r in rows] == [mine.pk, other.pk]
    assert client_for(org.users.student).get(VEHICLES + "lookup/", {"q": "1"}).status_code == 403
    own = client_for(org.users.student).get(VEHICLES).json()["results"]
    assert [r["id"] for r in own] == [mine.pk]
    assert client_for(org.users.student2).get(f"{VEHICLES}{mine.pk}/").status_code == 404
    office = client_for(org.users.staff).get(VEHICLES, {"q": "AD1"}).json()["results"]
    assert [r["id"] for r in office] == [other.pk]


@pytest.fixture
def in_march():
    with clock.frozen(dt.datetime(2026, 3, 1, 9, tzinfo=clock.local_zone())):
        yield


def test_permits_issue_overlap_revoke(org, in_march):
    vehicle = _vehicle(org)
    api = client_for(org.users.staff)
    body = {"vehicle": vehicle.pk, "valid_from": "2026-01-01", "valid_until": "2026-12-31"}
    first = api.post(PERMITS, body, format="json", HTTP_IDEMPOTENCY_KEY="permit-key-1")
    assert first.status_code == 201, first.json()
    assert (first.json()["standing"], first.json()["warnings"]) == ("valid", [])
    again = api.post(PERMITS, body, format="json", HTTP_IDEMPOTENCY_KEY="permit-key-1")
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    # A renewal starting before the first one ends is issued, with a warning naming it
    renewal = api.post(PERMITS, {**body, "valid_from": "2026-12-01",
                                 "valid_until": "2027-12-31"}, format="json")
    assert renewal.status_code == 201, renewal.json()
    assert renewal.json()["standing"] == "upcoming"
    assert renewal.json()["warnings"] == [{
        "code": "overlap", "permit": first.json()["id"],
        "message": "The new permit overlaps the Long-term permit valid 2026-01-01 – 2026-12-31. "
                   "If it replaces that one, revoke the old permit."}]
    Permit.objects.filter(pk=renewal.json()["id"]).update(state=Permit.State.SUSPENDED)
    overlap = api.post(PERMITS, {**body, "valid_from": "2027-06-01",
                                 "valid_until": "2027-06-30"}, format="json")
    assert overlap.status_code == 400
    assert overlap.json()["code"] == "permit_overlap"
    past = api.post(PERMITS, {**body, "valid_from": "2020-01-01", "valid_until": "2020-01-10"},
                    format="json")
    assert past.status_code == 400
    assert past.json()["errors"]["valid_until"] == [
        "The last day (2020-01-10) is already past: a permit must be valid until today "
        "(2026-03-01) or later."]
    reversed_ = api.post(PERMITS, {**body, "valid_from": "2027-02-01",
                                   "valid_until": "2027-01-01"}, format="json")
    assert reversed_.json()["errors"]["valid_until"] == ["The last day is before the first day."]
    status = api.get(f"{VEHICLES}{vehicle.pk}/").json()["permit_status"]
    assert (status["code"], status["valid_until"]) == ("valid", "2026-12-31")
    Permit.objects.filter(pk=renewal.json()["id"]).delete()
    url = f"{PERMITS}{first.json()['id']}/revoke/"
    assert api.post(url, {"reason": ""}, format="json").status_code == 400
    done = api.post(url, {"reason": "Left campus"}, format="json")
    assert (done.status_code, done.json()["state"]) == (200, "revoked")
    assert api.post(url, {"reason": "again"}, format="json").status_code == 409
    assert Permit.objects.get().state == Permit.State.REVOKED
    listed = api.get(PERMITS, {"vehicle": vehicle.pk}).json()["results"]
    assert [(p["plate"], p["standing"], p["standing_display"]) for p in listed] == [
        ("陕A12345", "revoked", "Revoked")]


def test_permit_listed_as_expired_after_its_last_day(org):
    vehicle = _vehicle(org)
    Permit.objects.create(vehicle=vehicle, valid_from=dt.date(2020, 1, 1),
                          valid_until=dt.date(2020, 1, 10))
    listed = client_for(org.users.staff).get(PERMITS, {"vehicle": vehicle.pk}).json()["results"]
    assert [(p["state"], p["standing"], p["standing_display"]) for p in listed] == [
        ("active", "expired", "Expired")]
