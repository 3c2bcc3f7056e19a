"""The abandoned-vehicle API: open a case (multipart with photos, Idempotency-Key, the open
case of a plate is a 409), list with filters, every step with versions, clean-up drives
(tag all or nothing, notices); the schema; and, on PostgreSQL, numbering and opening under
concurrency."""

import pytest
from django.core.management import call_command
from django.db import connection
from drf_spectacular.validation import validate_schema

from safecampus.core import clock
from safecampus.tests.factories import photo_upload
from safecampus.tests.threads import race
from safecampus.traffic.models import AbandonedVehicleCase, CaseSequence, CleanUpDrive
from safecampus.traffic.services import abandoned as services
from safecampus.traffic.tests.abandoned_helpers import DAY0, at, open_case
from safecampus.traffic.tests.violation_helpers import vehicle

from .helpers import client_for

CASES = "/api/v1/traffic/abandoned-cases/"
DRIVES = "/api/v1/traffic/clean-up-drives/"


def step(pk, name):
    return f"{CASES}{pk}/{name}/"


def test_a_guard_opens_a_case_with_photos_once_per_key(org):
    car = vehicle("陕A12345")
    api = client_for(org.users.guard)
    body = {"source": "patrol", "plate": "陕a-12345", "campus": org.campus1.pk,
            "location_text": "3号楼后", "description": "积灰很厚", "photos": [photo_upload()]}
    with clock.frozen(DAY0):
        first = api.post(CASES, body, format="multipart", HTTP_IDEMPOTENCY_KEY="api-case-001")
        again = api.post(CASES, {**body, "photos": [photo_upload()]}, format="multipart",
                         HTTP_IDEMPOTENCY_KEY="api-case-001")
    assert first.status_code == 201, first.json()
    data = first.json()
    assert (data["number"], data["plate"], data["state"], data["vehicle"]) == (
        "ZC2026-0001", "陕A12345", "suspected", car.pk)
    assert [p["stage"] for p in data["photos"]] == ["sighting"]
    assert data["actions"] == []  # a guard reports, the office runs the case
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    # another report of the plate: 409 naming the open case
    with clock.frozen(DAY0):
        dup = api.post(CASES, {**body, "photos": [photo_upload()]}, format="multipart")
    assert dup.status_code == 409
    assert dup.json()["code"] == "case_already_open"
    assert dup.json()["detail"] == "陕A12345 already has an open case: ZC2026-0001 (Suspected)."
    assert AbandonedVehicleCase.objects.count() == 1


def test_bad_input_is_400_and_others_may_not_open(org):
    api = client_for(org.users.guard)
    bad = api.post(CASES, {"source": "patrol", "plate": "陕A1234"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "bad_plate"
    no_photo = api.post(CASES, {"source": "patrol", "plate": "陕A12345",
                                "campus": org.campus1.pk}, format="json")
    assert no_photo.json()["errors"] == {"photos": ["Take at least one photo of the vehicle."]}
    assert api.post(CASES, {"source": "rumour"}, format="json").status_code == 400
    assert client_for(org.users.student).post(
        CASES, {"source": "report", "plate": "陕A12345"}, format="json").status_code == 403
    assert not AbandonedVehicleCase.objects.exists()
    assert client_for(org.users.student).get(CASES).json()["results"] == []


def test_the_list_filters(org):
    open_case(org, "陕A11111")
    open_case(org, "京B22222", actor=None, source="long_stay", campus_id=org.campus2.pk)
    api = client_for(org.users.leadership)
    assert [c["plate"] for c in api.get(CASES, {"source": "long_stay"}).json()["results"]] == [
        "京B22222"]
    assert [c["plate"] for c in api.get(CASES, {"q": "陕a1"}).json()["results"]] == ["陕A11111"]
    assert [c["plate"] for c in api.get(CASES, {"campus": org.campus1.pk, "state": "open"}
                                        ).json()["results"]] == ["陕A11111"]
    assert api.get(CASES, {"state": "gone"}).status_code == 400


def test_the_whole_workflow_through_the_api(org):
    case = open_case(org)
    staff = client_for(org.users.staff)
    assert staff.get(f"{CASES}{case.pk}/").json()["actions"] == [
        "notice", "contact", "moved", "dismiss"]
    with clock.frozen(DAY0):
        no_photo = staff.post(step(case.pk, "notice"), {"version": 1}, format="json")
        assert no_photo.status_code == 400
        posted = staff.post(step(case.pk, "notice"), {"version": 1, "photos": [photo_upload()],
                                                      "deadline": "2026-03-06"},
                            format="multipart")
    assert posted.status_code == 200, posted.json()
    assert (posted.json()["state"], posted.json()["notice_deadline"],
            posted.json()["row_version"]) == ("noticed", "2026-03-06", 2)
    stale = staff.post(step(case.pk, "dismiss"), {"version": 1, "reason": "x"}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    with clock.frozen(at(2)):
        early = staff.post(step(case.pk, "store"), {"storage_place": "北门停车场",
                                                    "photos": [photo_upload()]},
                           format="multipart")
    assert early.status_code == 409 and early.json()["code"] == "deadline_ahead"
    with clock.frozen(at(5)):
        stored = staff.post(step(case.pk, "store"), {"storage_place": "北门停车场", "version": 2,
                                                     "photos": [photo_upload()]},
                            format="multipart")
    assert stored.json()["state"] == "stored", stored.json()
    assert stored.json()["claim_until"] == "2026-06-05"
    with clock.frozen(at(6)):
        too_soon = staff.post(step(case.pk, "dispose"), {"note": "处置"}, format="json")
        claimed = staff.post(step(case.pk, "claim"), {"claimed_by_name": "王老师",
                                                      "verification": "驾驶证已核对"},
                             format="json")
    assert too_soon.status_code == 409 and too_soon.json()["code"] == "claim_period_running"
    assert claimed.json()["state"] == "claimed" and claimed.json()["actions"] == []
    # contacted before a notice: the notice can still be posted (and there is no deadline
    # on the contact any more)
    other = open_case(org, "陕A54321")
    contacted = staff.post(step(other.pk, "contact"), {"channel": "phone", "note": "已告知"},
                           format="json")
    assert (contacted.json()["state"], contacted.json()["notice_deadline"]) == (
        "contacted", None)
    assert contacted.json()["actions"] == ["notice", "moved", "dismiss"]
    assert client_for(org.users.guard).post(step(case.pk, "dismiss"), {"reason": "x"},
                                            format="json").status_code == 403
    assert staff.post(step(case.pk + 99, "dismiss"), {"reason": "x"},
                      format="json").status_code == 404


def test_drives_tag_all_or_nothing_and_post_notices(org):
    staff = client_for(org.users.staff)
    with clock.frozen(DAY0):
        created = staff.post(DRIVES, {"campus": org.campus1.pk, "name": "东区清理"},
                             format="json")
    assert created.status_code == 201, created.json()
    drive = created.json()
    assert drive["notice_deadline"] == "2026-03-09"
    tag = f"{DRIVES}{drive['id']}/tag/"
    with clock.frozen(DAY0):
        bad = staff.post(tag, {"rows": [{"plate": "陕A12345"}, {"plate": "陕A1234"}, {}]},
                         format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "rows_invalid"
    assert bad.json()["errors"]["rows"] == [
        "Line 2: 陕A1234: A plate has 7 characters (8 for new-energy vehicles); this one has 6.",
        "Line 3: Without a plate, describe the vehicle (make, colour, condition)."]
    assert not AbandonedVehicleCase.objects.exists()
    rows = {"rows": [{"plate": "陕A12345", "location_text": "东1"},
                     {"plate": "", "description": "白色电动车"}]}
    with clock.frozen(DAY0):
        done = staff.post(tag, rows, format="json", HTTP_IDEMPOTENCY_KEY="api-tag-0001")
        again = staff.post(tag, rows, format="json", HTTP_IDEMPOTENCY_KEY="api-tag-0001")
    assert done.status_code == 201
    assert [(c["plate"], c["source"]) for c in done.json()] == [("陕A12345", "clean_up"),
                                                                ("", "clean_up")]
    # a double tap: the first cases again, 200, nothing duplicated
    assert again.status_code == 200, again.json()
    assert [c["id"] for c in again.json()] == [c["id"] for c in done.json()]
    assert AbandonedVehicleCase.objects.count() == 2
    with clock.frozen(at(1)):
        notices = staff.post(f"{DRIVES}{drive['id']}/notices/")
    assert notices.json() == {"posted": 2, "skipped": 0, "skipped_cases": []}
    listed = client_for(org.users.guard).get(DRIVES).json()["results"]
    assert [(d["case_count"], d["open_count"]) for d in listed] == [(2, 2)]
    assert client_for(org.users.guard).post(tag, {"rows": [{"plate": "陕A11111"}]},
                                            format="json").status_code == 403


def test_dates_out_of_range_are_400_with_the_services_message(org):
    case = open_case(org)
    staff = client_for(org.users.staff)
    far = "The deadline can be at most 90 days ahead, by 2026-05-31 at the latest."
    with clock.frozen(DAY0):
        for day in ("2026-06-01", "3000-01-01", "9999-12-31"):
            bad = staff.post(step(case.pk, "notice"), {"deadline": day,
                                                       "photos": [photo_upload()]},
                             format="multipart")
            assert bad.status_code == 400 and bad.json()["errors"] == {"deadline": [far]}
        drive = staff.post(DRIVES, {"campus": org.campus1.pk, "name": "东区清理",
                                    "starts_on": "9999-12-31", "notice_deadline": "3000-01-01"},
                           format="json")
    assert drive.status_code == 400 and drive.json()["errors"] == {
        "starts_on": ["A drive starts at most 90 days before or after today "
                      "(2025-12-02 to 2026-05-31)."],
        "notice_deadline": [far]}
    assert AbandonedVehicleCase.objects.get().state == "suspected"
    assert not CleanUpDrive.objects.exists()


def test_tag_rows_take_sloppy_plates_and_quote_long_ones_short(org):
    staff = client_for(org.users.staff)
    with clock.frozen(DAY0):
        drive = staff.post(DRIVES, {"campus": org.campus1.pk, "name": "东区清理"},
                           format="json").json()
        tagged = staff.post(f"{DRIVES}{drive['id']}/tag/", {"rows": [
            {"plate": " 陕a 0l3０4 ", "location_text": "北门"}]}, format="json")
        long = staff.post(f"{DRIVES}{drive['id']}/tag/", {"rows": [{"plate": "陕" * 5000}]},
                          format="json")
    assert tagged.status_code == 201 and tagged.json()[0]["plate"] == "陕A0L304"
    assert long.status_code == 400 and len(str(long.json())) < 400


@pytest.mark.django_db
def test_the_schema_lists_the_paths_without_warnings(org, tmp_path):
    schema = client_for(org.users.staff).get("/api/schema/", {"format": "json"}).json()
    validate_schema(schema)
    paths = set(schema["paths"])
    assert {CASES, f"{CASES}{{id}}/", DRIVES, f"{DRIVES}{{id}}/", f"{DRIVES}{{id}}/tag/",
            f"{DRIVES}{{id}}/notices/"} <= paths
    assert {f"{CASES}{{id}}/{name}/" for name in (
        "notice", "contact", "moved", "store", "claim", "dispose", "dismiss")} <= paths
    body = schema["paths"][CASES]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    call_command("spectacular", "--fail-on-warn", "--validate", "--file",
                 str(tmp_path / "s.yaml"))


# --- concurrency (PostgreSQL) -------------------------------------------------------------
@pytest.fixture
def _postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; SQLite serialises "
                    "writers, so there is no race to test (run with DATABASE_URL=postgres://…)")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_openings_get_unique_consecutive_numbers(_postgres, org):
    calls = [lambda i=i: services.abandoned_case_open(
        actor=None, source="long_stay", plate=f"陕A2{i:04d}", campus_id=org.campus1.pk)
        for i in range(8)]
    outcomes = race(calls, at=DAY0)
    assert [error for _case, error in outcomes if error] == []
    numbers = sorted(case.number for case, _error in outcomes)
    assert numbers == [f"ZC2026-{n:04d}" for n in range(1, 9)]
    assert CaseSequence.objects.get(year=2026).last_number == 8


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_long_stay_detection_racing_itself_opens_one_case(_postgres, org):
    calls = [lambda: services.abandoned_case_open(
        actor=None, source="long_stay", plate="陕A12345", campus_id=org.campus1.pk)
        for _ in range(4)]
    outcomes = race(calls, at=DAY0)
    winners = [case for case, error in outcomes if error is None]
    losers = [error for _case, error in outcomes if error is not None]
    assert len(winners) == 1
    assert all(isinstance(e, services.CaseAlreadyOpen) and e.case.pk == winners[0].pk
               for e in losers), losers
    assert AbandonedVehicleCase.objects.count() == 1
    assert CaseSequence.objects.get(year=2026).last_number == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_officers_act_at_once_one_wins(_postgres, org):
    case = open_case(org)
    staff, staff2 = client_for(org.users.staff), client_for(org.users.staff2)
    moved, dismissed = race([
        lambda: staff.post(step(case.pk, "moved"), {"version": 1}, format="json"),
        lambda: staff2.post(step(case.pk, "dismiss"), {"version": 1, "reason": "在用"},
                            format="json"),
    ])
    codes = sorted([moved[0].status_code, dismissed[0].status_code])
    assert codes == [200, 409]
    loser = moved[0] if moved[0].status_code == 409 else dismissed[0]
    assert loser.json()["code"] in ("stale", "illegal_transition")
    case.refresh_from_db()
    assert case.state in ("moved", "dismissed") and case.row_version == 2


def test_a_guard_sees_and_opens_only_his_campus_cases(org):
    north = open_case(org, "陕A11111")
    south = open_case(org, "陕A22222", actor=org.users.staff, campus_id=org.campus2.pk)
    guard = client_for(org.users.guard)
    assert [c["id"] for c in guard.get(CASES).json()["results"]] == [north.pk]
    assert guard.get(f"{CASES}{south.pk}/").status_code == 404
    refused = guard.post(CASES, {"source": "patrol", "plate": "陕A33333",
                                 "campus": org.campus2.pk, "photos": [photo_upload()]},
                         format="multipart")
    assert refused.status_code == 400 and refused.json()["code"] == "other_campus"
    assert AbandonedVehicleCase.objects.count() == 2
    leadership = client_for(org.users.leadership)
    assert {c["id"] for c in leadership.get(CASES).json()["results"]} == {north.pk, south.pk}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_double_tap_on_tagging_opens_the_cases_once(_postgres, org):
    with clock.frozen(DAY0):
        drive = services.clean_up_drive_create(actor=org.users.staff, campus_id=org.campus1.pk,
                                               name="东区清理")
    rows = [{"plate": "陕A12345"}, {"plate": "", "description": "白色电动车"}]
    calls = [lambda: services.abandoned_cases_tag(actor=org.users.staff, drive_id=drive.pk,
                                                  rows=rows, idempotency_key="race-tag-001")
             for _ in range(3)]
    outcomes = race(calls, at=DAY0)
    assert [error for _cases, error in outcomes if error] == []
    results = [[c.pk for c in cases] for cases, _error in outcomes]
    assert results[0] == results[1] == results[2] and len(results[0]) == 2
    assert AbandonedVehicleCase.objects.count() == 2
