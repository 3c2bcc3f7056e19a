"""The gate-record API: upload a camera file (multipart, 202, Idempotency-Key), poll the job,
a bad row is reported and nothing imported, a file imported once, gates list, permissions,
and the operations in the OpenAPI document."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safecampus.core import clock
from safecampus.traffic.models import GateImport, GateRecord
from safecampus.traffic.tests.gate_helpers import gate, local

from .helpers import client_for

pytestmark = pytest.mark.django_db

GATES = "/api/v1/traffic/gates/"
IMPORTS = "/api/v1/traffic/gate-imports/"
HEADER = "车牌号码,通道,方向,通行时间\n"


@pytest.fixture(autouse=True)
def _now():
    with clock.frozen(local(2026, 11, 30, 12, 0)):
        yield


def csv_file(body: str, name="gate.csv"):
    return SimpleUploadedFile(name, (HEADER + body).encode("gbk"), content_type="text/csv")


def test_upload_poll_and_import(org, django_capture_on_commit_callbacks):
    gate(org, "N1", "北门")
    api = client_for(org.users.staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(IMPORTS, {"file": csv_file("陕A12345,N1,入场,2026-11-29 08:00:00\n"
                                                       "无牌车,N1,出场,2026-11-29 09:00:00\n")},
                            format="multipart", HTTP_IDEMPOTENCY_KEY="gate-upload-1")
    assert response.status_code == 202, response.json()
    assert response.json()["state"] == "uploaded"
    job = api.get(f"{IMPORTS}{response.json()['id']}/").json()
    assert (job["state"], job["imported_count"], job["rows_read"], job["errors"]) == (
        "imported", 2, 2, [])
    assert job["state_display"] == "Imported"
    again = api.post(IMPORTS, {"file": csv_file("x")}, format="multipart",
                     HTTP_IDEMPOTENCY_KEY="gate-upload-1")
    assert again.status_code == 200 and again.json()["id"] == job["id"]
    duplicate = api.post(IMPORTS, {"file": csv_file("陕A12345,N1,入场,2026-11-29 08:00:00\n"
                                                    "无牌车,N1,出场,2026-11-29 09:00:00\n")},
                         format="multipart")
    assert duplicate.status_code == 400 and duplicate.json()["code"] == "already_imported"
    assert GateRecord.objects.count() == 2
    listed = api.get(IMPORTS).json()
    assert [r["id"] for r in listed["results"]] == [job["id"]]


def test_a_bad_row_is_reported_and_nothing_imported(org, django_capture_on_commit_callbacks):
    gate(org, "N1", "北门")
    api = client_for(org.users.staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(IMPORTS, {"file": csv_file("陕A12345,N1,入场,2026-11-29 08:00:00\n"
                                                       "陕A12345,N1,掉头,2026-11-29 09:00:00\n")},
                            format="multipart")
    job = api.get(f"{IMPORTS}{response.json()['id']}/").json()
    assert (job["state"], job["error_count"], job["imported_count"]) == ("rejected", 1, 0)
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(3, "方向")]
    assert GateRecord.objects.count() == 0


def test_not_a_csv_file_is_a_400_and_nothing_is_kept(org):
    api = client_for(org.users.staff)
    response = api.post(IMPORTS, {"file": SimpleUploadedFile("a.pdf", b"%PDF")},
                        format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "bad_spreadsheet"
    assert api.post(IMPORTS, {}, format="multipart").status_code == 400
    assert GateImport.objects.count() == 0


def test_permissions(org):
    gate(org, "N1", "北门")
    for user, gates_status, imports_status in ((org.users.leadership, 200, 403),
                                               (org.users.guard, 403, 403),
                                               (org.users.student, 403, 403)):
        api = client_for(user)
        assert api.get(GATES).status_code == gates_status
        assert api.get(IMPORTS).status_code == imports_status
        assert api.post(IMPORTS, {"file": csv_file("")}, format="multipart").status_code == 403
    assert client_for(None).get(GATES).status_code in (401, 403)
    gates = client_for(org.users.staff).get(GATES).json()["results"]
    assert [(g["code"], g["campus"]["name"]) for g in gates] == [("N1", "北校区")]


def test_the_schema_lists_the_gate_operations(org):
    schema = client_for(org.users.staff).get("/api/schema/", {"format": "json"}).json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/traffic/gate-imports/"])
    assert "get" in schema["paths"]["/api/v1/traffic/gate-imports/{id}/"]
    assert "get" in schema["paths"]["/api/v1/traffic/gates/"]


def test_a_job_whose_worker_died_is_reported_stalled(org):
    import datetime as dt

    from safecampus.traffic.models import GateImport
    from safecampus.traffic.selectors.gates import STALE_AFTER

    api = client_for(org.users.staff)
    job = GateImport.objects.create(created_by=org.users.staff, original_name="big.csv",
                                    digest="s" * 64, state=GateImport.State.RUNNING)
    assert api.get(f"{IMPORTS}{job.pk}/").json()["stalled"] is False
    GateImport.objects.filter(pk=job.pk).update(
        updated_at=clock.now() - STALE_AFTER - dt.timedelta(seconds=1))
    body = api.get(f"{IMPORTS}{job.pk}/").json()
    assert (body["state"], body["stalled"]) == ("running", True)
    assert api.get(IMPORTS).json()["results"][0]["stalled"] is True
