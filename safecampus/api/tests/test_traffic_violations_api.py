"""The violations and move-car notices API: record (multipart with photos, Idempotency-Key),
list with filters, close, void, send again; owners see only theirs, phones masked."""

import pytest
from drf_spectacular.validation import validate_schema

from safecampus.tests.factories import photo_upload
from safecampus.traffic.models import MoveCarNotice, Violation
from safecampus.traffic.tests.violation_helpers import owner_user, record, vehicle

from .helpers import client_for

VIOLATIONS = "/api/v1/traffic/violations/"
NOTICES = "/api/v1/traffic/notices/"


def test_a_guard_records_with_photos_once_per_key(org):
    owner = owner_user()
    vehicle(owner=owner)
    api = client_for(org.users.guard)
    body = {"plate": "陕a-12345", "kind": "fire_lane", "level": "violation",
            "campus": org.campus1.pk, "location_text": "北门", "photos": [photo_upload()]}
    first = api.post(VIOLATIONS, body, format="multipart", HTTP_IDEMPOTENCY_KEY="api-key-0001")
    assert first.status_code == 201, first.json()
    data = first.json()
    assert (data["plate"], data["state"], data["photos"]) == ("陕A12345", "open", 1)
    assert data["owner"] == {"name": "王老师", "phone": "13800138000", "has_account": True}
    assert [n["channel"] for n in data["notices"]] == ["in_app"]
    again = api.post(VIOLATIONS, {**body, "photos": [photo_upload()]}, format="multipart",
                     HTTP_IDEMPOTENCY_KEY="api-key-0001")
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert Violation.objects.count() == 1
    assert data["warnings"] == [] and again.json()["warnings"] == []


def test_recording_the_same_vehicle_twice_warns_as_the_page_does(org):
    vehicle(owner=owner_user())
    api = client_for(org.users.guard)
    body = {"plate": "陕A12345", "kind": "fire_lane", "level": "warning",
            "campus": org.campus1.pk, "location_text": "北门"}
    first = api.post(VIOLATIONS, body, format="json").json()
    second = api.post(VIOLATIONS, {**body, "location_text": "北门东"}, format="json")
    assert second.status_code == 201
    assert second.json()["warnings"] == [
        {"code": "recent_duplicate", "violation": first["id"],
         "message": "An identical violation (陕A12345, Blocking a fire lane, 北校区) was "
                    "recorded 1 min ago. If it is the same vehicle seen twice, void this "
                    "record."},
        {"code": "notice_not_sent", "violation": None,
         "message": "A move-car notice was sent less than 10 minutes ago; you can send it "
                    "again in 10 min."}]
    assert Violation.objects.count() == 2 and MoveCarNotice.objects.count() == 1


def test_a_bad_plate_and_a_missing_photo_are_400_with_the_reason(org):
    api = client_for(org.users.guard)
    bad = api.post(VIOLATIONS, {"plate": "陕A1234", "kind": "fire_lane", "level": "warning"},
                   format="json")
    assert bad.status_code == 400
    assert bad.json()["code"] == "bad_plate"
    assert bad.json()["detail"] == ("A plate has 7 characters (8 for new-energy vehicles); "
                                    "this one has 6.")
    no_photo = api.post(VIOLATIONS, {"plate": "陕A12345", "kind": "fire_lane"}, format="json")
    assert no_photo.status_code == 400
    assert no_photo.json()["errors"] == {"photos": [
        "A violation needs at least one photo of the vehicle and where it stands."]}
    assert client_for(org.users.student).post(
        VIOLATIONS, {"plate": "陕A12345", "kind": "fire_lane", "level": "warning"},
        format="json").status_code == 403
    assert not Violation.objects.exists()


def test_list_filters_owner_scope_and_masked_phone(org):
    owner = owner_user()
    vehicle(owner=owner)
    vehicle("京B12345", owner=owner_user("other"))
    record(org, level="warning")
    record(org, "京B12345", level="warning", kind="pavement")
    staff = client_for(org.users.staff).get(VIOLATIONS, {"kind": "pavement"}).json()
    assert [v["plate"] for v in staff["results"]] == ["京B12345"]
    mine = client_for(owner).get(VIOLATIONS).json()["results"]
    assert [v["plate"] for v in mine] == ["陕A12345"]
    assert mine[0]["owner"]["phone"] == "138****8000"
    assert client_for(org.users.staff).get(VIOLATIONS, {"date_from": "1800-01-01"}
                                           ).status_code == 400


def test_close_void_and_send_again(org):
    vehicle(owner=owner_user())
    violation = record(org)
    api = client_for(org.users.guard)
    too_soon = api.post(f"{VIOLATIONS}{violation.pk}/notices/")
    assert too_soon.status_code == 400 and too_soon.json()["code"] == "notice_too_soon"
    assert api.post(f"{VIOLATIONS}{violation.pk}/close/", {"outcome": "towed"},
                    format="json").json()["state"] == "towed"
    assert api.post(f"{VIOLATIONS}{violation.pk}/close/", {"outcome": "moved"},
                    format="json").status_code == 409
    void = api.post(f"{VIOLATIONS}{violation.pk}/void/", {"reason": ""}, format="json")
    assert void.status_code == 400
    assert api.post(f"{VIOLATIONS}{violation.pk}/void/", {"reason": "Wrong plate"},
                    format="json").json()["state"] == "void"
    notices = api.get(NOTICES, {"violation": violation.pk}).json()["results"]
    assert [n["sequence"] for n in notices] == [1]
    assert client_for(owner_user("stranger")).get(NOTICES).json()["results"] == []
    assert MoveCarNotice.objects.count() == 1


@pytest.mark.django_db
def test_the_schema_lists_the_traffic_violation_paths(org):
    schema = client_for(org.users.staff).get("/api/schema/", {"format": "json"}).json()
    validate_schema(schema)
    assert {f"{VIOLATIONS}", f"{VIOLATIONS}{{id}}/", f"{VIOLATIONS}{{id}}/close/",
            f"{VIOLATIONS}{{id}}/void/", f"{VIOLATIONS}{{id}}/notices/", NOTICES,
            f"{NOTICES}{{id}}/"} <= set(schema["paths"])
    body = schema["paths"][VIOLATIONS]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
