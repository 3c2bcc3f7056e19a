"""Importing incident logs with a column mapping: the real logs in ../shared/data, suggestions,
row errors (one bad row writes nothing and is listed), re-imports, the pages."""

import csv
import datetime as dt
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.importing import detect_day_first, suggest_columns
from safecampus.core.models import ActivityEntry
from safecampus.core.spreadsheets import ImportRejected
from safecampus.patrols.models import Incident, IncidentImport, IncidentSequence
from safecampus.patrols.services import incident_import as imp

from .helpers import local

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def upload_file(actor, name: str, data: bytes) -> IncidentImport:
    return imp.incident_import_upload(actor=actor, uploaded_file=SimpleUploadedFile(name, data))


def csv_bytes(rows: list[list[str]], *, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode()


def plan_of(job, org, **changes) -> imp.IncidentImportPlan:
    plan = imp.IncidentImportPlan.from_json(job.plan)
    plan.default_campus = org.campus1.pk
    for key, value in changes.items():
        setattr(plan, key, value)
    return plan


def real(shared_data, name: str) -> bytes:
    return (shared_data / "campus-incidents" / name).read_bytes()


HEADERS = ["警情编号", "警情类型", "处置结果", "报警时间", "发案时间", "发案地点", "简要案情"]
ONE_ROW = [HEADERS, ["1", "Theft", "", "2026-01-01", "", "", ""]]


# --- suggestions ---------------------------------------------------------------------------
def test_columns_are_suggested_from_chinese_and_english_headers():
    chinese = imp.TARGETS
    assert suggest_columns(HEADERS + ["校区"], chinese) == {
        "external_ref": 0, "type_label": 1, "disposition_label": 2, "reported_at": 3,
        "occurred_at": 4, "occurred_until": None, "location_text": 5, "summary": 6, "campus": 7}
    umd = ["...1", "umpd_case_number", "occured_date_time_location", "report_date_time", "type",
           "disposition", "location", "date", "time", "year", "time_hour"]
    assert suggest_columns(umd, chinese) == {
        "external_ref": 1, "type_label": 4, "disposition_label": 5, "reported_at": 3,
        "occurred_at": 2, "occurred_until": None, "location_text": 6, "summary": None,
        "campus": None}
    cornell = ["Incident_Type", "Report_Number", "Reported", "Occurred", "Location",
               "Location_Type", "Crime_Type", "Narrative", "Disposition"]
    suggested = suggest_columns(cornell, chinese)
    assert (suggested["type_label"], suggested["external_ref"], suggested["summary"]) == (0, 1, 7)


@pytest.mark.parametrize(("label", "category"), [
    ("Theft", "theft"), ("Larceny", "theft"), ("盗窃", "theft"), ("Theft from Auto", "theft"),
    ("Identity Theft", "fraud"), ("Fraud", "fraud"), ("电信诈骗", "fraud"),
    ("Injured/Sick Person", "medical"), ("DWI/DUI", "drugs_alcohol"),
    ("CDS Violation", "drugs_alcohol"), ("Trespassing", "trespass"),
    ("Vandalism", "vandalism"), ("Destruction of Property", "vandalism"), ("Fire", "fire"),
    ("Alarm", "fire"), ("Assault", "assault"), ("打架斗殴", "assault"),
    ("Burglary", "burglary"), ("Lost Property", "lost_property"),
    ("Suspicious Person/Auto", "disturbance"), ("Assist Other Agency", "assistance"),
    ("FIREARM-POSSESSION OF STOLEN FIREARM", "theft"), ("Weapon Violation", None),
    ("Other Incident", None), ("Injury or illness", "medical"), ("伤病 / 急救", "medical"),
])
def test_categories_are_suggested_from_keywords(label, category):
    assert imp.suggest_category(label) == category


@pytest.mark.parametrize(("label", "disposition"), [
    ("Arrest", "arrest"), ("Cleared by Arrest", "arrest"), ("Arrest 3", "arrest"),
    ("Unfounded", "unfounded"), ("CBE", "closed"), ("Closed", "closed"),
    ("Administratively Closed", "closed"), ("ADMIN CLOSED", "closed"),
    ("Active/Pending", "open"), ("Investigation Pending", "open"), ("Pending", "open"),
    ("Referred", "referred"), ("CCSO", "referred"), ("移交公安", "referred"),
    ("Exceptional Clearance", "closed"), ("NA", None),
])
def test_dispositions_are_suggested_from_keywords(label, disposition):
    assert imp.suggest_disposition(label) == disposition


def test_unmatched_types_are_suggested_as_other_and_dispositions_as_open():
    assert imp.value_suggestions("category", ["Weapon Violation"]) == {"weaponviolation": "other"}
    assert imp.value_suggestions("disposition", ["NA"]) == {"na": "open"}


def test_the_day_month_order_is_detected_from_the_values():
    assert detect_day_first(["01/03/14 04:10", "01/13/14 10:00"]) is False
    assert detect_day_first(["01/03/2024", "13/03/2024"]) is True
    assert detect_day_first(["01/03/2024", "02/04/2024"]) is None
    assert detect_day_first(["13/03/2024", "03/13/2024"]) is None


# --- the real logs -------------------------------------------------------------------------
def test_umd_log_imports_every_row_with_numbers_per_reported_year(org, shared_data):
    """Given the 14,292-row UMD log with the suggested mapping, when imported, then every row
    is an incident with its times (MM/DD/YY, read as Asia/Shanghai), type, category,
    disposition and location; numbers run 1…n per reported year; one timeline entry."""
    job = upload_file(org.users.admin, "umd.csv", real(shared_data, "umd_umpd_incident_log_2014_2022.csv"))
    assert job.row_count == 14292
    plan = plan_of(job, org)
    started = time.perf_counter()
    result = imp.incident_import_commit(actor=org.users.admin, job=job, plan=plan)
    elapsed = time.perf_counter() - started
    print(f"UMD import: {result.created} rows in {elapsed:.1f} s")

    assert result.created == 14292 == Incident.objects.filter(import_job=job).count()
    assert Incident.objects.exclude(source=Incident.Source.IMPORT).count() == 0
    first = Incident.objects.get(external_ref="2014-00000238")
    assert first.occurred_at == local(2014, 1, 3, 4, 10)
    assert first.reported_at == local(2014, 1, 3, 4, 35)
    assert first.occurred_until is None
    assert (first.type_label, first.category) == ("Accident - Departmental", "traffic")
    assert (first.disposition_label, first.disposition) == ("CBE", "closed")
    assert first.location_text == "University Bl"
    assert first.campus == org.campus1
    arrest = Incident.objects.get(external_ref="2014-00000275")
    assert (arrest.type_label, arrest.disposition) == ("Warrant/Summons Service", "arrest")
    assert Incident.objects.filter(type_label="Injured/Sick Person", category="medical").count() == 3076
    assert Incident.objects.filter(type_label="DWI/DUI", category="drugs_alcohol").count() == 1290
    assert Incident.objects.filter(disposition_label="CBE", disposition="closed").count() == 6878
    # The 191 rows with a date but no time are that whole local day.
    date_only = Incident.objects.filter(occurred_until__isnull=False)
    assert date_only.count() == 191
    sample = date_only.first()
    assert sample.occurred_at.astimezone(local(2020, 1, 1).tzinfo).time() == dt.time(0, 0)
    assert sample.occurred_until - sample.occurred_at == dt.timedelta(days=1, microseconds=-1)

    for sequence in IncidentSequence.objects.all():
        numbers = Incident.objects.filter(year=sequence.year).values_list("sequence", flat=True)
        assert sorted(numbers) == list(range(1, sequence.last_number + 1))
    assert sum(range_[1] - range_[0] + 1 for range_ in result.numbers.values()) == 14292
    job.refresh_from_db()
    assert (job.state, job.imported_count, job.error_count) == ("imported", 14292, 0)
    entries = ActivityEntry.objects.filter(verb="patrols.incidents_import")
    assert entries.count() == 1 and entries.get().data["count"] == 14292

    # The same file again is refused at upload.
    with pytest.raises(DomainError) as refused:
        upload_file(org.users.staff, "copy.csv", real(shared_data, "umd_umpd_incident_log_2014_2022.csv"))
    assert "This file was already imported on" in refused.value.message
    assert "(14292 incidents); the same file is imported once." in refused.value.message


def test_cornell_log_reads_periods_blank_numbers_and_narratives(org, shared_data):
    """The Cornell log as published has one overnight period written with the start's date
    ("11/07/2017 16:00 - 11/07/2017 04:15", reported 11/8 05:18): that row is listed and
    nothing is written. With the end's date corrected, all 350 rows import."""
    data = real(shared_data, "cornell_cupd_crime_log_2017.csv")
    job = upload_file(org.users.admin, "cornell.csv", data)
    plan = plan_of(job, org)
    assert plan.columns["summary"] == 7
    with pytest.raises(ImportRejected) as rejected:
        imp.incident_import_commit(actor=org.users.admin, job=job, plan=plan)
    assert [(e.row, e.column, e.message) for e in rejected.value.errors] == [
        (180, "Occurred", "“11/07/2017 16:00 - 11/07/2017 04:15” ends before it starts.")]
    assert Incident.objects.count() == 0

    fixed = data.replace(b"11/07/2017 16:00 - 11/07/2017 04:15", b"11/07/2017 16:00 - 11/08/2017 04:15")
    job = upload_file(org.users.admin, "cornell-fixed.csv", fixed)
    result = imp.incident_import_commit(actor=org.users.admin, job=job, plan=plan_of(job, org))
    assert result.created == 350
    first = Incident.objects.get(external_ref="17-27867")
    assert first.occurred_at == local(2017, 11, 10, 23, 0)
    assert first.occurred_until == local(2017, 11, 14, 8, 0)
    assert first.reported_at == local(2017, 11, 15, 8, 58)
    assert (first.type_label, first.category, first.disposition) == ("Larceny", "theft", "closed")
    assert first.location_text == "14 South Avenue (Phi Sigma Sigma sorority)"
    assert first.summary.startswith("Officer dispatched to take a report from a student")
    # 152 entries have no number and no reported time: reported = the occurred day's start.
    blank = Incident.objects.filter(external_ref="")
    assert blank.count() == 152
    wheel = blank.get(type_label="Criminal Tampering", location_text="Forest Home Parking Garage")
    assert wheel.occurred_at == wheel.reported_at == local(2017, 8, 16, 0, 0)
    assert wheel.occurred_until == local(2017, 8, 16, 23, 59, 59, 999999)
    assert wheel.disposition == "open"
    assert Incident.objects.filter(disposition="arrest").count() == 69  # Arrest 1 + Arrest 3


#: Rows of the UIUC log whose occurred cell no reader can turn into a time ("SPRING OF 2024",
#: "NOVEMBER 2023-FEBRUARY 8, 2024", "2022-2024", "Feb-24" …), found by hand.
UIUC_UNREADABLE_ROWS = [120, 144, 206, 208, 209, 245, 323, 404, 415, 449, 522]


def test_uiuc_log_with_unreadable_dates_writes_nothing_and_lists_them(org, shared_data):
    """The UIUC log as published has 11 occurred cells like "SPRING OF 2023": the import lists
    exactly those rows and writes nothing; with them blanked (→ reported time) it imports all
    597 rows, the repeated case numbers once per offence."""
    data = real(shared_data, "uiuc_daily_crime_log.csv")
    rows = list(csv.reader(io.StringIO(data.decode())))
    bad_rows = UIUC_UNREADABLE_ROWS
    assert rows[120 - 1][2] == "SPRING OF 2024" and rows[415 - 1][2] == "Feb-24"
    job = upload_file(org.users.admin, "uiuc.csv", data)
    with pytest.raises(ImportRejected) as rejected:
        imp.incident_import_commit(actor=org.users.admin, job=job, plan=plan_of(job, org))
    assert [e.row for e in rejected.value.errors] == bad_rows
    assert {e.column for e in rejected.value.errors} == {"occurred_date_time"}
    assert rejected.value.errors[0].message == (
        "“SPRING OF 2024” is not a date or time; write it like 2026-11-30 or 2026-11-30 14:05.")
    assert Incident.objects.count() == 0
    job.refresh_from_db()
    assert (job.state, job.error_count) == ("rejected", 11)

    for number in bad_rows:
        rows[number - 1][2] = ""
    fixed = upload_file(org.users.admin, "uiuc-fixed.csv", csv_bytes(rows))
    result = imp.incident_import_commit(actor=org.users.admin, job=fixed, plan=plan_of(fixed, org))
    assert result.created == 597
    assert Incident.objects.filter(external_ref="2024-00004719").count() == 11
    dui = Incident.objects.filter(external_ref="2024-00004317", type_label="DUI-ALCOHOL")
    assert sorted(dui.values_list("disposition", flat=True)) == ["arrest", "referred"]
    assert dui.first().reported_at == local(2024, 3, 9, 1, 52)  # ISO reported
    assert dui.first().occurred_at == local(2024, 3, 9, 1, 52)  # US occurred
    unknown = Incident.objects.get(import_job=fixed, external_ref=rows[bad_rows[0] - 1][0],
                                   type_label=rows[bad_rows[0] - 1][4])
    assert unknown.occurred_at == unknown.reported_at


# --- row errors and re-imports -------------------------------------------------------------
def test_one_bad_row_writes_nothing_and_is_listed(org):
    data = csv_bytes([HEADERS,
                      ["A-1", "盗窃", "已结案", "2026-03-01 10:00", "2026-03-01 09:30", "图书馆", ""],
                      ["A-2", "诈骗", "移交公安", "2026-03-02 10:00", "2026-13-45 09:30", "宿舍", ""],
                      ["A-3", "", "", "2026-03-03 10:00", "", "", ""]])
    job = upload_file(org.users.admin, "bad.csv", data)
    with pytest.raises(ImportRejected) as rejected:
        imp.incident_import_commit(actor=org.users.admin, job=job, plan=plan_of(job, org))
    assert [(e.row, e.column, e.message) for e in rejected.value.errors] == [
        (3, "发案时间", "“2026-13-45 09:30” is not a date or time; write it like 2026-11-30 or "
                        "2026-11-30 14:05."),
        (4, "警情类型", "The type is empty."),
    ]
    assert rejected.value.error_total == 2 and rejected.value.total_rows == 3
    assert Incident.objects.count() == 0 and IncidentSequence.objects.count() == 0


def test_times_rules_blank_future_and_reversed_periods(org):
    data = csv_bytes([HEADERS,
                      ["B-1", "Theft", "", "", "", "", ""],
                      ["B-2", "Theft", "", "2099-01-01 10:00", "", "", ""],
                      ["B-3", "Theft", "", "", "2026-03-05 10:00 - 2026-03-04 10:00", "", ""]])
    job = upload_file(org.users.admin, "times.csv", data)
    result = imp.incident_validate(imp.incident_import_table(job), plan_of(job, org),
                                   now=local(2026, 6, 1, 0, 0))
    assert [(e.row, e.message) for e in result.errors] == [
        (2, "Neither the occurred time nor the reported time is given."),
        (3, "2099-01-01 10:00 is in the future."),
        (4, "“2026-03-05 10:00 - 2026-03-04 10:00” ends before it starts."),
    ]


def test_rows_already_imported_are_refused_by_number_type_and_time(org):
    rows = [HEADERS, ["C-1", "Theft", "Closed", "2026-03-01 10:00", "2026-03-01 09:00", "Gate", ""],
            ["C-1", "Fraud", "Closed", "2026-03-01 10:00", "2026-03-01 09:00", "Gate", ""]]
    first = upload_file(org.users.admin, "first.csv", csv_bytes(rows))
    imp.incident_import_commit(actor=org.users.admin, job=first, plan=plan_of(first, org))
    # The same rows in another file (one new offence added): the known rows are errors.
    again = upload_file(org.users.admin, "again.csv", csv_bytes(
        rows + [["C-1", "Vandalism", "", "2026-03-01 10:00", "2026-03-01 09:00", "Gate", ""]]))
    with pytest.raises(ImportRejected) as rejected:
        imp.incident_import_commit(actor=org.users.admin, job=again, plan=plan_of(again, org))
    assert [(e.row, e.message) for e in rejected.value.errors] == [
        (2, "Already imported: C-1 “Theft” occurred at 2026-03-01 09:00 is in SafeCampus."),
        (3, "Already imported: C-1 “Fraud” occurred at 2026-03-01 09:00 is in SafeCampus."),
    ]
    assert Incident.objects.count() == 2


def test_bom_full_width_day_first_and_value_mapping(org):
    """A GB-style file: BOM, full-width digits, DD/MM dates; the user maps a type by hand."""
    data = csv_bytes([HEADERS,
                      ["Ｄ-1", "神秘事件", "处置中", "１３/０３/２０２６ ２３:１０", "", "东门", "x"],
                      ["D-2", "盗窃", "", "01/04/2026 08:00", "", "", ""]], bom=True)
    job = upload_file(org.users.admin, "gb.csv", data)
    table = imp.incident_import_table(job)
    plan = plan_of(job, org)
    assert imp.date_order_of(table, plan) == (True, True)
    plan.values = {"category": {"神秘事件": "disturbance"}}
    imp.incident_import_commit(actor=org.users.admin, job=job, plan=plan, table=table)
    odd = Incident.objects.get(external_ref="D-1")
    assert odd.reported_at == odd.occurred_at == local(2026, 3, 13, 23, 10)
    assert (odd.category, odd.disposition) == ("disturbance", "open")
    assert Incident.objects.get(external_ref="D-2").reported_at == local(2026, 4, 1, 8, 0)


def test_the_file_time_zone_is_applied(org):
    data = csv_bytes([HEADERS, ["E-1", "Theft", "", "03/09/2024 01:52", "", "", ""]])
    job = upload_file(org.users.admin, "ny.csv", data)
    imp.incident_import_commit(actor=org.users.admin, job=job,
                               plan=plan_of(job, org, time_zone="America/New_York"))
    assert Incident.objects.get().reported_at == dt.datetime(2024, 3, 9, 6, 52, tzinfo=UTC)


def test_only_the_office_imports(org):
    with pytest.raises(NotAllowed):
        upload_file(org.users.guard, "x.csv", csv_bytes(ONE_ROW))


# --- pages ---------------------------------------------------------------------------------
@pytest.fixture
def client(client):
    client.cookies["django_language"] = "en"
    return client


def test_pages_upload_map_and_import(client, org):
    client.force_login(org.users.admin)
    data = csv_bytes([HEADERS, ["F-1", "Theft", "Arrest", "2026-03-01 10:00", "", "Gate", ""],
                      ["F-2", "Weapon Violation", "", "2026-03-02 10:00", "", "", ""]])
    response = client.post(reverse("patrols:incident_import"),
                           {"file": SimpleUploadedFile("log.csv", data)})
    job = IncidentImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patrols:incident_import_map", args=[job.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    form = page.context["form"]
    assert form["col_type_label"].value() == "1"
    groups = {g["kind"]: g for g in form.value_groups}
    assert [(r[0], form[r[2]].value(), r[4]) for r in groups["category"]["rows"]] == [
        ("Theft", "theft", False), ("Weapon Violation", "other", True)]
    assert "1 type matched no keyword." in page.content.decode()
    post = {name: form[name].value() or "" for name in form.fields}
    post["default_campus"] = org.campus1.pk
    post["import"] = "1"
    done = client.post(response["Location"], post)
    assert done.status_code == 302
    assert done["Location"] == reverse("patrols:incident_import_done", args=[job.pk])
    assert "2 incidents were imported from log.csv." in client.get(done["Location"]).content.decode()
    assert Incident.objects.get(external_ref="F-1").disposition == "arrest"


def test_page_lists_bad_rows(client, org):
    client.force_login(org.users.admin)
    data = csv_bytes([HEADERS, ["G-1", "Theft", "", "2026-03-01 10:00", "", "", ""],
                      ["G-2", "Theft", "", "soon", "", "", ""]])
    job = upload_file(org.users.admin, "bad.csv", data)
    url = reverse("patrols:incident_import_map", args=[job.pk])
    form = client.get(url).context["form"]
    post = {name: form[name].value() or "" for name in form.fields} | {"import": "1"}
    page = client.post(url, post)
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 problems in 2 rows. Nothing was imported." in html
    assert "“soon” is not a date or time" in html
    assert [(e.row, e.column) for e in page.context["errors_shown"]] == [(3, "报警时间")]
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("role", ["student", "guard", "police"])
def test_import_pages_are_for_the_office(client, org, role):
    client.force_login(getattr(org.users, role))
    assert client.get(reverse("patrols:incident_import")).status_code == 403
    job = upload_file(org.users.admin, "x.csv", csv_bytes(ONE_ROW))
    assert client.get(reverse("patrols:incident_import_map", args=[job.pk])).status_code == 404


def test_mapping_page_query_count(client, org, django_assert_max_num_queries):
    client.force_login(org.users.admin)
    rows = [HEADERS] + [[f"H-{i}", f"Type {i % 40}", "Closed", "2026-03-01 10:00", "", "", ""]
                        for i in range(400)]
    job = upload_file(org.users.admin, "many.csv", csv_bytes(rows))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("patrols:incident_import_map", args=[job.pk])).status_code == 200


# --- the command ---------------------------------------------------------------------------
def test_command_imports_with_columns_and_values(org, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "log.csv"
    path.write_bytes(csv_bytes([["Case", "What", "When", "Where"],
                                ["K-1", "Weapon Violation", "13/03/2026 22:00", "Gate"],
                                ["K-2", "Theft", "14/03/2026 08:00", ""]]))
    out = io.StringIO()
    call_command("incidents_import", str(path), "--user", org.users.admin.username,
                 "--campus", org.campus2.code, "--column", "external_ref=Case",
                 "--column", "type_label=What", "--column", "occurred_at=When",
                 "--value", "category:Weapon Violation=disturbance", stdout=out)
    assert "2 incidents imported from log.csv in" in out.getvalue()
    weapon = Incident.objects.get(external_ref="K-1")
    assert (weapon.category, weapon.campus, weapon.location_text) == ("disturbance", org.campus2, "Gate")
    assert weapon.occurred_at == local(2026, 3, 13, 22, 0)  # DD/MM detected

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["Case", "What", "When"], ["K-3", "Theft", "never"]]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 problems found; nothing was imported."):
        call_command("incidents_import", str(bad), "--user", org.users.admin.username,
                     "--column", "occurred_at=When", "--column", "type_label=What", stderr=err)
    assert "Row 2, column “When”: “never” is not a date or time" in err.getvalue()
    assert Incident.objects.count() == 2
