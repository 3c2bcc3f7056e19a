"""Importing gate-camera files: Chinese and English headers, GBK and BOM, full-width text,
no-plate passes, Excel-like dates; a bad row writes nothing and is reported with row, column
and message; a file is imported once; gates; permissions."""

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from safecampus.core import clock
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.models import ActivityEntry
from safecampus.traffic.models import Gate, GateImport, GateRecord
from safecampus.traffic.plates import plate_problem
from safecampus.traffic.services import gates as services

from .gate_helpers import camera_file, gate, local, run, upload

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 30, 12, 0)


@pytest.fixture(autouse=True)
def _now():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def gates(org):
    return gate(org, "N1", "北门"), gate(org, "S2", "南门", campus=org.campus2)


def site(func, *args):
    """A message as the job stores it: in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return func(*args)


GOOD = [
    "陕A12345,N1,入场,2026-11-29 07:58:12,小型车,蓝",
    "陕A12345,N1,出场,2026-11-29 18:02:40,小型车,蓝",
    "无牌车,S2,入场,2026/11/29 9:05,,",
    "陕ＡＤ１２３４５,n1,进,2026年11月29日 10:00,新能源,绿",
]


def test_a_chinese_camera_file_is_imported_with_its_counts_and_times(
        org, gates, django_capture_on_commit_callbacks):
    job = upload(org, camera_file(GOOD), django_capture_on_commit_callbacks)
    assert job.state == GateImport.State.IMPORTED
    assert (job.rows_read, job.imported_count, job.error_count) == (4, 4, 0)
    assert job.first_passed_at == local(2026, 11, 29, 7, 58, 12)
    assert job.last_passed_at == local(2026, 11, 29, 18, 2, 40)
    rows = list(GateRecord.objects.order_by("passed_at").values_list(
        "plate", "gate__code", "direction", "passed_at"))
    assert rows == [
        ("陕A12345", "N1", "in", local(2026, 11, 29, 7, 58, 12)),
        ("", "S2", "in", local(2026, 11, 29, 9, 5)),
        ("陕AD12345", "N1", "in", local(2026, 11, 29, 10, 0)),
        ("陕A12345", "N1", "out", local(2026, 11, 29, 18, 2, 40)),
    ]
    assert [e.verb for e in ActivityEntry.objects.filter(
        target_id=job.pk, verb__startswith="traffic.gate_import").order_by("id")] == [
        "traffic.gate_import_upload", "traffic.gate_import_start", "traffic.gate_import"]


def test_gbk_files_english_headers_tabs_bom_and_excel_serials(org, gates):
    gbk = run(org, camera_file(GOOD, encoding="gbk", name="gbk.csv"))
    assert (gbk.state, gbk.imported_count) == (GateImport.State.IMPORTED, 4)
    english = run(org, camera_file(
        ["陕B12345\tS2\tout\t46355.5", "UNKNOWN\tS2\tentry\t2026-11-29T08:00:00+08:00"],
        header="Plate\tGate\tDirection\tTime", bom=True, name="en.csv"))
    assert (english.state, english.imported_count) == (GateImport.State.IMPORTED, 2)
    assert set(GateRecord.objects.filter(batch=english).values_list("plate", "passed_at")) == {
        ("陕B12345", local(2026, 11, 29, 12, 0)), ("", local(2026, 11, 29, 8, 0))}


def test_a_gbk_file_whose_first_megabyte_is_ascii_is_read_again_as_gbk(org, gates):
    lines = ["陕A12345,N1,in,2026-11-29 07:00:00,car,blue"] * 0
    filler = [f"无牌车,N1,in,2026-11-29 07:{m:02d}:00,," for m in range(60)]
    header = "plate,gate,direction,time,type,colour"
    ascii_rows = ["none,N1,in,2026-11-29 06:00:00,car,blue"] * 30000  # > 1 MB of ASCII
    job = run(org, camera_file(ascii_rows + lines + filler, header=header, encoding="gbk"))
    assert (job.state, job.imported_count) == (GateImport.State.IMPORTED, 30060)


def test_a_bad_row_rejects_the_whole_file_with_row_column_and_message(
        org, gates, django_capture_on_commit_callbacks):
    lines = GOOD + [
        "陕A1234,N1,入场,2026-11-29 08:00:00,,",  # plate too short
        "陕A54321,W9,入场,2026-11-29 08:00:00,,",  # unknown gate
        "陕A54321,N1,横穿,2026-11-29 08:00:00,,",  # direction
        "陕A54321,N1,入场,2026-13-45 08:00,,",  # date
        "陕A54321,N1,入场,2026-12-25 08:00:00,,",  # future
    ]
    job = upload(org, camera_file(lines), django_capture_on_commit_callbacks)
    assert job.state == GateImport.State.REJECTED
    assert (job.rows_read, job.error_count, job.imported_count) == (9, 5, 0)
    assert GateRecord.objects.count() == 0
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (6, "车牌号码"), (7, "通道"), (8, "方向"), (9, "通行时间"), (10, "通行时间")]
    assert job.errors[1]["message"] == site(services.msg_unknown_gate, "W9")
    assert job.errors[2]["message"] == site(services.msg_bad_direction, "横穿")
    assert job.errors[4]["message"] == site(services.msg_future, "2026-12-25 08:00:00")
    with translation.override(settings.LANGUAGE_CODE):
        plate_message = services.msg_bad_plate("陕A1234", plate_problem("陕A1234"))
    assert job.errors[0]["message"] == plate_message
    assert plate_message.startswith("“陕A1234”")


@pytest.mark.parametrize("cell, message", [
    ("0001-01-01 00:00:00", services.msg_too_early),  # below the datetime range in UTC
    ("0001/01/01 0:00", services.msg_too_early),
    ("0001-01-01T00:00:00+08:00", services.msg_too_early),
    ("1970-01-01 08:00:00", services.msg_too_early),  # a camera clock reset to the epoch
    ("1999-12-31 23:59:59", services.msg_too_early),
    ("9999-12-31 23:59:59", services.msg_future),
    ("9999-12-31T23:59:59-12:00", services.msg_future),  # above the range in UTC
    ("2026-11-30 13:00:01", services.msg_future),  # more than an hour after now
])
def test_a_time_out_of_range_is_a_bad_row_quoting_the_cell(org, gates, cell, message):
    job = run(org, camera_file([GOOD[0], f"陕A54321,N1,入场,{cell},,"]))
    assert (job.state, job.rows_read, job.error_count) == (GateImport.State.REJECTED, 2, 1)
    assert job.errors == [{"row": 3, "column": "通行时间", "message": site(message, cell)}]
    assert cell in job.errors[0]["message"]
    assert GateRecord.objects.count() == 0


def test_times_at_the_ends_of_the_range_are_imported(org, gates):
    job = run(org, camera_file(["陕A54321,N1,入场,2000-01-01 00:00:00,,",
                                "陕A54321,N1,出场,2026-11-30 13:00:00,,"]))
    assert (job.state, job.imported_count) == (GateImport.State.IMPORTED, 2)
    assert (job.first_passed_at, job.last_passed_at) == (local(2000, 1, 1),
                                                         local(2026, 11, 30, 13, 0))


def test_after_adding_the_missing_gate_the_same_file_imports(org, gates):
    data = camera_file(["陕A54321,W9,入场,2026-11-29 08:00:00,,"])
    assert run(org, data).state == GateImport.State.REJECTED
    gate(org, "W9", "西门")
    data.seek(0)
    job = run(org, data)
    assert (job.state, job.imported_count) == (GateImport.State.IMPORTED, 1)


def test_missing_columns_are_reported_on_row_one(org, gates):
    job = run(org, camera_file(["陕A12345,N1"], header="车牌号码,通道"))
    assert job.state == GateImport.State.REJECTED
    assert [(e["row"], e["column"]) for e in job.errors] == [(1, ""), (1, "")]
    assert GateRecord.objects.count() == 0


def test_only_the_first_errors_are_kept_but_all_are_counted(org, gates, monkeypatch):
    import safecampus.traffic.services.gates as module

    monkeypatch.setattr(module, "MAX_ERRORS_KEPT", 3)
    job = run(org, camera_file(["陕A12345,Z,入场,2026-11-29 08:00:00,,"] * 10))
    assert (job.error_count, len(job.errors)) == (10, 3)


def test_a_file_is_imported_once(org, gates):
    data = camera_file(GOOD)
    run(org, data)
    data.seek(0)
    with pytest.raises(DomainError) as error:
        services.gate_import_upload(actor=org.users.staff, uploaded_file=data)
    assert error.value.code == "already_imported"
    assert GateRecord.objects.count() == 4


def test_running_a_job_twice_writes_once(org, gates):
    job = run(org, camera_file(GOOD))
    again = services.gate_import_run(import_id=job.pk)
    assert again.state == GateImport.State.IMPORTED
    assert GateRecord.objects.count() == 4


def test_a_file_that_is_not_csv_or_is_empty_is_refused(org, gates):
    from django.core.files.uploadedfile import SimpleUploadedFile

    for upload_file in (SimpleUploadedFile("a.xlsx", b"PK\x03\x04"),
                        SimpleUploadedFile("a.csv", b"")):
        with pytest.raises(DomainError) as error:
            services.gate_import_upload(actor=org.users.staff, uploaded_file=upload_file)
        assert error.value.field_errors["file"]
    assert GateImport.objects.count() == 0


def test_undecodable_bytes_reject_the_file(org, gates):
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = run(org, SimpleUploadedFile("x.csv", b"plate,gate,direction,time\n\xff\xfe\xff,N1,"
                                      b"in,2026-11-29 08:00\n\x81\x30"))
    assert job.state == GateImport.State.REJECTED
    assert GateRecord.objects.count() == 0


def test_only_the_office_uploads(org, gates):
    for user in (org.users.guard, org.users.leadership, org.users.student):
        with pytest.raises(NotAllowed):
            services.gate_import_upload(actor=user, uploaded_file=camera_file(GOOD))
    assert GateImport.objects.count() == 0


# --- gates -------------------------------------------------------------------------------------
def test_gate_codes_are_unique_ignoring_case_and_width(org, gates):
    with pytest.raises(DomainError) as error:
        services.gate_create(actor=org.users.staff, campus_id=org.campus1.pk, name="另一个",
                             code="ｎ１")
    assert "code" in error.value.field_errors
    assert Gate.objects.count() == 2


def test_gate_input_is_checked(org):
    with pytest.raises(DomainError) as error:
        services.gate_create(actor=org.users.staff, campus_id=999, name="", code="",
                             place_id=org.place_b.pk)
    assert set(error.value.field_errors) == {"name", "code", "campus"}
    with pytest.raises(DomainError) as error:
        services.gate_create(actor=org.users.staff, campus_id=org.campus1.pk, name="北门",
                             code="N1", place_id=org.place_b.pk)
    assert set(error.value.field_errors) == {"place"}
    with pytest.raises(NotAllowed):
        services.gate_create(actor=org.users.guard, campus_id=org.campus1.pk, name="北门",
                             code="N1")
    assert Gate.objects.count() == 0


def test_gate_update_records_changes(org, gates):
    north, _south = gates
    services.gate_update(actor=org.users.staff, gate_id=north.pk, campus_id=org.campus1.pk,
                         name="北门（主）", code="N1", is_active=False)
    north.refresh_from_db()
    assert (north.name, north.is_active) == ("北门(主)", False)
    entry = ActivityEntry.objects.filter(verb="traffic.gate_update").get()
    assert (entry.from_state, entry.to_state) == ("active", "inactive")
    # field labels and values in the site's language, not field names and Python values
    with translation.override(settings.LANGUAGE_CODE):
        name_label = str(Gate._meta.get_field("name").verbose_name)
        active_label = str(Gate._meta.get_field("is_active").verbose_name)
        yes, no = gettext("yes"), gettext("no")
        change = gettext("%(field)s: %(old)s → %(new)s")
        expected = gettext("; ").join([
            change % {"field": name_label, "old": "北门", "new": "北门(主)"},
            change % {"field": active_label, "old": yes, "new": no}])
    assert entry.comment == expected
    assert "is_active" not in entry.comment and "True" not in entry.comment
    assert entry.data["changed"] == {"name": ["北门", "北门(主)"], "is_active": [yes, no]}
    with pytest.raises(DomainError):
        services.gate_update(actor=org.users.staff, gate_id=north.pk, campus_id=org.campus1.pk,
                             name="北门", code="s2")


def test_gate_create_with_an_idempotency_key_creates_one(org):
    first = services.gate_create(actor=org.users.staff, campus_id=org.campus1.pk, name="北门",
                                 code="N1", idempotency_key="key-12345678")
    second = services.gate_create(actor=org.users.staff, campus_id=org.campus1.pk, name="北门",
                                  code="N1", idempotency_key="key-12345678")
    assert first.pk == second.pk and Gate.objects.count() == 1


def test_a_file_being_imported_blocks_the_same_file_until_it_is_stale(org, gates):
    import datetime as dt

    data = camera_file(GOOD)
    job = services.gate_import_upload(actor=org.users.staff, uploaded_file=data)  # not run yet
    data.seek(0)
    with pytest.raises(DomainError) as error:
        services.gate_import_upload(actor=org.users.staff, uploaded_file=data)
    assert error.value.code == "in_progress"
    GateImport.objects.filter(pk=job.pk).update(updated_at=NOW - dt.timedelta(hours=2))
    data.seek(0)
    again = services.gate_import_upload(actor=org.users.staff, uploaded_file=data)
    assert services.gate_import_run(import_id=again.pk).imported_count == 4


def test_an_error_while_writing_fails_the_job_instead_of_leaving_it_running(
        org, gates, monkeypatch, caplog, django_capture_on_commit_callbacks):
    """The file passes the check, then reading it again for the write pass fails part-way (an
    I/O error): the job is rejected with a clear message that does not leak the error, the
    rows already written are rolled back, the timeline says so and the error is logged; the
    task itself does not raise (the job records the failure)."""
    real_open_rows = services._Reader.open_rows
    reads = []

    def failing_second_read(self):
        reads.append(1)
        for index, row in enumerate(real_open_rows(self)):
            if len(reads) == 2 and index == 2:
                raise OSError("[Errno 5] Input/output error: /srv/media/secret/path.csv")
            yield row

    monkeypatch.setattr(services._Reader, "open_rows", failing_second_read)
    with caplog.at_level("ERROR", logger=services.logger.name):
        job = upload(org, camera_file(GOOD), django_capture_on_commit_callbacks)
    assert len(reads) == 2  # pass 1 read it all; pass 2 failed
    assert job.state == GateImport.State.REJECTED
    assert (job.rows_read, job.error_count, job.imported_count) == (4, 1, 0)
    assert job.errors == [{"row": 1, "column": "", "message": site(services.msg_failed, job)}]
    assert "Errno" not in job.errors[0]["message"] and "secret" not in job.errors[0]["message"]
    assert GateRecord.objects.count() == 0
    entry = ActivityEntry.objects.filter(target_id=job.pk, verb="traffic.gate_import").get()
    assert (entry.from_state, entry.to_state) == ("running", "rejected")
    with translation.override(settings.LANGUAGE_CODE):
        assert entry.comment == gettext("The import failed; nothing was imported.")
    assert any(f"gate import {job.pk} failed" in r.getMessage() and r.exc_info
               for r in caplog.records)
    # the same file can be uploaded again and then imports
    monkeypatch.setattr(services._Reader, "open_rows", real_open_rows)
    again = upload(org, camera_file(GOOD), django_capture_on_commit_callbacks)
    assert (again.state, again.imported_count) == (GateImport.State.IMPORTED, 4)


def test_a_gate_create_that_loses_the_key_race_returns_the_winner_and_keeps_nothing(
        org, monkeypatch):
    """Two requests with one key: the other one committed between this one's look-up and its
    write. This one rolls back (no second gate, no timeline entry) and returns the winner."""
    winner = services.gate_create(actor=org.users.staff, campus_id=org.campus1.pk,
                                  name="北门", code="N1", idempotency_key="race-12345678")
    real_lookup = services.idempotency_lookup
    calls = []

    def not_yet_seen(**kwargs):  # the look-up ran before the winner committed
        calls.append(1)
        return None if len(calls) == 1 else real_lookup(**kwargs)

    monkeypatch.setattr(services, "idempotency_lookup", not_yet_seen)
    result = services.gate_create(actor=org.users.staff, campus_id=org.campus1.pk,
                                  name="东门", code="E1", idempotency_key="race-12345678")
    assert result.pk == winner.pk
    assert list(Gate.objects.values_list("code", flat=True)) == ["N1"]
    assert ActivityEntry.objects.filter(verb="traffic.gate_create").count() == 1
