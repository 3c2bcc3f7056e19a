"""Importing incident records into a draft bulletin: the real campus police logs (UMD 14k
rows, Cornell, UIUC), and bad files that write nothing."""
# ruff: noqa: F811  (the bul fixture is imported from bulletins_helpers)

import csv
import datetime as dt
import io
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.spreadsheets import ImportRejected
from safecampus.police.models import BulletinImport, BulletinRecord
from safecampus.police.services import bulletin_import as importing
from safecampus.police.services import bulletins as services

from .bulletins_helpers import bul, draft, english  # noqa: F401

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "campus-incidents"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"{DATA} is absent (real logs)")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def upload(name: str, content: bytes):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def real(name: str):
    return upload(name, (DATA / name).read_bytes())


def logs_draft(actor):
    """A draft whose period covers the real logs (UMD 2014–2022, Cornell 2017, UIUC
    2023–2024): an incident outside the bulletin's period is refused."""
    return draft(actor, start=dt.date(2014, 1, 1), end=dt.date(2026, 6, 10))


def run(actor, bulletin, file, **plan_changes):
    job = importing.bulletin_import_upload(actor=actor, bulletin_id=bulletin.pk,
                                           uploaded_file=file)
    plan = importing.BulletinImportPlan.from_json(job.plan)
    for key, value in plan_changes.items():
        setattr(plan, key, value)
    return job, importing.bulletin_import_commit(actor=actor, job=job, plan=plan)


@needs_data
def test_umd_log_imports_whole(bul):
    bulletin = logs_draft(bul.liaison_xq)
    started = time.perf_counter()
    job, result = run(bul.liaison_xq, bulletin, real("umd_umpd_incident_log_2014_2022.csv"))
    seconds = time.perf_counter() - started
    assert result.created == job.row_count == BulletinRecord.objects.count()
    assert result.created > 14000
    plan = BulletinImport.objects.get().plan
    assert plan["columns"]["occurred_at"] == 2 and plan["columns"]["type_label"] == 4
    first = BulletinRecord.objects.get(position=1)
    assert (first.external_ref, first.type_label, first.category) == (
        "2014-00000238", "Accident - Departmental", "traffic")
    assert first.occurred_at.isoformat() == "2014-01-02T20:10:00+00:00"  # 04:10 Beijing
    print(f"UMD import: {result.created} rows in {seconds:.1f} s")


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def blank_unreadable(name: str, column: int, rows: list[int]) -> bytes:
    """The real log with the occurred cell of ``rows`` (file rows, header is 1) blanked, so
    the reported time stands in."""
    table = list(csv.reader(io.StringIO((DATA / name).read_text(encoding="utf-8"))))
    for row in rows:
        table[row - 1][column] = ""
    return csv_bytes(table)


@needs_data
def test_cornell_log_lists_its_reversed_period_then_imports_fixed(bul):
    bulletin = logs_draft(bul.liaison_xq)
    with pytest.raises(ImportRejected) as error:
        run(bul.liaison_xq, bulletin, real("cornell_cupd_crime_log_2017.csv"),
            default_campus=bul.org.campus1.pk)  # its on-campus rows are on our campus 1
    assert [(e.row, e.column, e.message) for e in error.value.errors] == [
        (180, "Occurred", "“11/07/2017 16:00 - 11/07/2017 04:15” ends before it starts.")]
    assert not BulletinRecord.objects.exists()
    fixed = blank_unreadable("cornell_cupd_crime_log_2017.csv", 3, [180])
    _job, cornell = run(bul.liaison_xq, bulletin, upload("cornell-fixed.csv", fixed),
                        default_campus=bul.org.campus1.pk)
    assert cornell.created == 350
    assert BulletinRecord.objects.filter(proximity="on_campus").count() > 100


@needs_data
def test_uiuc_log_lists_unreadable_dates_then_imports_fixed(bul):
    bulletin = logs_draft(bul.liaison_xq)
    with pytest.raises(ImportRejected) as error:
        run(bul.liaison_xq, bulletin, real("uiuc_daily_crime_log.csv"))
    bad = sorted({e.row for e in error.value.errors})
    assert 120 in bad and len(bad) == error.value.error_total
    assert not BulletinRecord.objects.exists()
    fixed = blank_unreadable("uiuc_daily_crime_log.csv", 2, bad)
    _job, uiuc = run(bul.liaison_xq, bulletin, upload("uiuc-fixed.csv", fixed))
    assert uiuc.created == 597
    assert BulletinRecord.objects.filter(type_label="DUI-ALCOHOL",
                                         category="drugs_alcohol").exists()


def test_a_bad_row_writes_nothing_and_lists_the_row(bul):
    bulletin = draft(bul.liaison_xq)
    content = ("警情编号,警情类型,发案时间,发案地点\n"
               "J1,电动车被盗,2026-05-03 21:30,北门车棚\n"
               "J2,冒充客服诈骗,2026-13-40 10:00,宿舍\n"
               "J3,,2026-05-04 08:00,食堂\n").encode()
    with pytest.raises(ImportRejected) as error:
        run(bul.liaison_xq, bulletin, upload("bad.csv", content))
    rows = sorted({e.row for e in error.value.errors})
    assert rows == [3, 4]
    assert "The type is empty." in [e.message for e in error.value.errors]
    assert not BulletinRecord.objects.exists()
    assert BulletinImport.objects.get().state == "rejected"


def test_rows_outside_the_bulletins_period_write_nothing(bul):
    # Given a draft of 1 April – 10 June 2026 and a file with one incident of March
    bulletin = draft(bul.liaison_xq)
    content = b"type,occurred\nTheft,2026-05-03 21:30\nTheft,2026-03-31 23:50\n"
    with pytest.raises(ImportRejected) as error:
        run(bul.liaison_xq, bulletin, upload("march.csv", content))
    # Then the March row is listed and nothing is imported
    assert [(e.row, e.message) for e in error.value.errors] == [
        (3, "2026-03-31 23:50 is outside the bulletin's period (2026-04-01 – 2026-06-10).")]
    assert not BulletinRecord.objects.exists()


def test_future_time_is_refused(bul):
    bulletin = draft(bul.liaison_xq)
    content = b"type,occurred\nTheft,2027-01-01 10:00\n"
    with pytest.raises(ImportRejected) as error:
        run(bul.liaison_xq, bulletin, upload("future.csv", content))
    assert error.value.errors[0].message == "2027-01-01 10:00 is in the future."
    assert not BulletinRecord.objects.exists()


def test_empty_or_broken_files_are_refused(bul):
    bulletin = draft(bul.liaison_xq)
    with pytest.raises(DomainError) as error:
        importing.bulletin_import_upload(actor=bul.liaison_xq, bulletin_id=bulletin.pk,
                                         uploaded_file=upload("e.csv", b"type,occurred\n"))
    assert error.value.message == "The file has column headers but no rows to import."
    with pytest.raises(DomainError):
        importing.bulletin_import_upload(
            actor=bul.liaison_xq, bulletin_id=bulletin.pk,
            uploaded_file=SimpleUploadedFile("x.xlsx", b"PK\x03\x04broken"))
    assert not BulletinImport.objects.exists()


def test_same_file_is_imported_once_per_bulletin(bul):
    bulletin = draft(bul.liaison_xq)
    content = "type,occurred,location\n电动车被盗,2026-05-03 21:30,北门\n".encode()
    run(bul.liaison_xq, bulletin, upload("a.csv", content))
    with pytest.raises(DomainError) as error:
        importing.bulletin_import_upload(actor=bul.liaison_xq, bulletin_id=bulletin.pk,
                                         uploaded_file=upload("a.csv", content))
    assert error.value.code == "already_imported"
    assert BulletinRecord.objects.count() == 1


def test_only_a_draft_one_may_edit_takes_an_import(bul):
    bulletin = draft(bul.liaison_xq)
    content = b"type,occurred\nTheft,2026-05-03 21:30\n"
    with pytest.raises(NotAllowed):
        importing.bulletin_import_upload(actor=bul.liaison_cx, bulletin_id=bulletin.pk,
                                         uploaded_file=upload("a.csv", content))
    run(bul.liaison_xq, bulletin, upload("a.csv", content))
    services.bulletin_publish(actor=bul.liaison_xq, bulletin_id=bulletin.pk)
    with pytest.raises(NotAllowed):
        importing.bulletin_import_upload(actor=bul.liaison_xq, bulletin_id=bulletin.pk,
                                         uploaded_file=upload("b.csv", content + b"x"))


def test_import_pages_map_and_import(bul, client):
    english(client)
    client.force_login(bul.liaison_xq)
    bulletin = draft(bul.liaison_xq)
    content = "类型,发案时间,地点,校区\n电动车被盗,2026-05-03 21:30,北门车棚,北校区\n".encode()
    response = client.post(reverse("police:bulletin_import", args=[bulletin.pk]),
                           {"file": upload("p.csv", content)})
    job = BulletinImport.objects.get()
    assert response.status_code == 302
    page = client.get(reverse("police:bulletin_import_map", args=[job.pk]))
    form = page.context["form"]
    data = {name: (field.initial if field.initial is not None else "")
            for name, field in form.fields.items()}
    data["import"] = "1"
    response = client.post(reverse("police:bulletin_import_map", args=[job.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    record = BulletinRecord.objects.get()
    assert (record.campus, record.proximity, record.category) == (
        bul.org.campus1, "on_campus", "theft")




def test_an_on_campus_row_without_a_campus_is_refused_as_the_form_refuses_it(bul):
    # Given a file whose "where" says on campus but which names no campus
    bulletin = draft(bul.liaison_xq)
    content = "类型,发案时间,校内外\n电动车被盗,2026-05-03 21:30,校内\n".encode()
    with pytest.raises(ImportRejected) as error:
        run(bul.liaison_xq, bulletin, upload("no-campus.csv", content))
    assert [(e.row, e.column, e.message) for e in error.value.errors] == [
        (2, "", "The incident is on campus but has no campus: map the campus column or "
                "choose a campus for rows without one.")]
    assert not BulletinRecord.objects.exists()
    # With a campus for rows without one it imports
    _job, result = run(bul.liaison_xq, bulletin, upload("no-campus-2.csv", content + b"\n"),
                       default_campus=bul.org.campus1.pk)
    assert result.created == 1
    assert BulletinRecord.objects.get().campus == bul.org.campus1
