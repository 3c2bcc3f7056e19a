"""Hazard ledger export and import: same rows as the ledger, all-or-nothing import, real data."""

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from safecampus.core import clock
from safecampus.core.models import ActivityEntry
from safecampus.core.spreadsheets import ImportRejected, read_table
from safecampus.hazards import exporting, importing, services
from safecampus.hazards.forms import LedgerFilterForm
from safecampus.hazards.importing import ImportPlan, ledger_import_commit, suggest_columns
from safecampus.hazards.models import Hazard, LedgerImport, Source, Status
from safecampus.hazards.selectors import LedgerFilters, hazard_ledger
from safecampus.organisation.models import Unit
from safecampus.tests.factories import CategoryFactory, UnitFactory

from .helpers import fresh, reported, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_pages(client, settings):
    """Pages in English (the language cookie), so messages can be compared exactly."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

T0 = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
LA311 = "civic-reports/la311_2017_subset.csv"
LA_STATUS = {"Closed": "closed", "Cancelled": "rejected", "Referred Out": "rejected",
             "Open": "reported"}
LA_OWNERS = {"BOS": "Bureau of Sanitation", "OCB": "Office of Community Beautification",
             "ITA": "Information Technology Agency", "BSL": "Bureau of Street Lighting",
             "LADWP": "Department of Water and Power"}


def csv_upload(text: str, name: str = "台账.csv", *, bom: bool = False) -> SimpleUploadedFile:
    data = text.encode("utf-8")
    return SimpleUploadedFile(name, (b"\xef\xbb\xbf" if bom else b"") + data, content_type="text/csv")


def plan_for(table, **overrides) -> ImportPlan:
    plan = ImportPlan(columns=suggest_columns(table.headers))
    for key, value in overrides.items():
        setattr(plan, key, value)
    return plan


SIMPLE = (
    "编号,标题,类别,状态,责任单位,校区,位置,上报时间,销号时间,整改期限\n"
    "OLD-1,灭火器过期,消防安全,已销号,化学学院,北校区,化学楼三层,"
    "2026-03-01 09:00,2026-03-05 17:00,2026-03-10\n"
    "OLD-2,插线板串联,用电安全,整改中,chem,north,101实验室,2026/03/02 10:30,,2026-03-20\n"
    "OLD-3,路口无减速带,交通安全,,后勤保障部,南校区,南门,2026-03-03,,\n"
)


# --- import: rules ------------------------------------------------------------------------
def test_import_maps_values_and_writes_hazards_with_timeline(org):
    # given a small ledger with Chinese headers, names and codes
    table = read_table(csv_upload(SIMPLE))
    plan = plan_for(table)
    assert plan.columns == {"title": 1, "description": None, "category": 2, "grade": None,
                            "status": 3, "campus": 5, "location_text": 6, "responsible_unit": 4,
                            "reported_at": 7, "closed_at": 8, "deadline": 9, "external_ref": 0,
                            "source": None}
    # when the office imports it
    with clock.frozen(T0), translation.override("en"):
        result = ledger_import_commit(actor=org.users.staff, table=table, plan=plan)
    # then three hazards exist as mapped, with their old references and one timeline entry each
    assert result.created == 3
    by_ref = {h.external_ref: h for h in Hazard.objects.all()}
    closed, rectifying, reported_ = by_ref["OLD-1"], by_ref["OLD-2"], by_ref["OLD-3"]
    assert (closed.status, closed.responsible_unit, closed.campus, closed.category) == (
        Status.CLOSED, org.unit_a, org.campus1, org.fire)
    assert closed.closed_at == dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.UTC)
    assert closed.closed_on_time is True
    assert closed.deadline == dt.datetime(2026, 3, 10, 15, 59, 59, 999999, tzinfo=dt.UTC)
    assert (rectifying.status, rectifying.responsible_unit, rectifying.campus) == (
        Status.RECTIFYING, org.unit_a, org.campus1)
    assert rectifying.is_overdue is True  # deadline 20 March, "now" 30 November
    assert rectifying.closed_at is None
    assert (reported_.status, reported_.responsible_unit, reported_.campus) == (
        Status.REPORTED, org.logistics, org.campus2)
    assert reported_.reported_at == dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)
    assert {h.source for h in by_ref.values()} == {Source.LEDGER_IMPORT}
    entry = ActivityEntry.objects.get(target_id=closed.pk, verb="hazards.import")
    assert (entry.actor, entry.to_state, entry.data["row"]) == (org.users.staff, "closed", 2)
    assert entry.comment == "Imported from row 2 of 台账.csv."


def test_one_bad_row_among_good_ones_writes_nothing(org):
    text = SIMPLE + "OLD-4,楼道堆物,消防安全,已上报,化学学院,北校区,楼道,下周三,,\n"
    table = read_table(csv_upload(text))
    with translation.override("en"), pytest.raises(ImportRejected) as excinfo:
        ledger_import_commit(actor=org.users.staff, table=table, plan=plan_for(table))
    errors = excinfo.value.errors
    assert [(e.row, e.column) for e in errors] == [(5, "上报时间")]
    assert errors[0].message == (
        "“下周三” is not a date or time; write it like 2026-11-30 or 2026-11-30 14:05.")
    assert excinfo.value.total_rows == 4
    assert Hazard.objects.count() == 0
    assert ActivityEntry.objects.filter(verb="hazards.import").count() == 0


def test_every_row_is_checked_and_errors_name_row_and_column(org):
    text = (
        "编号,标题,类别,状态,责任单位,校区,上报时间,等级\n"
        "A-1,,消防安全,已上报,化学学院,北校区,2026-03-01,一般\n"
        "A-2,漏电,火星类别,已上报,不存在学院,北校区,2026-03-01,重大\n"
        "A-3,漏电,消防安全,已销号,化学学院,北校区,2026-03-01,特别重大\n"
        "A-3,漏电,消防安全,已上报,化学学院,西校区,2026-03-01,\n"
    )
    table = read_table(csv_upload(text))
    with translation.override("en"), pytest.raises(ImportRejected) as excinfo:
        ledger_import_commit(actor=org.users.staff, table=table, plan=plan_for(table))
    got = [(e.row, e.column, e.message) for e in excinfo.value.errors]
    assert got == [
        (2, "标题", "The title is empty."),
        (3, "责任单位", "“不存在学院” is not mapped to one of ours; choose it in the value mapping."),
        (3, "类别", "“火星类别” is not mapped to one of ours; choose it in the value mapping."),
        (4, "等级", "“特别重大” is not a grade; write 一般 (general) or 重大 (major)."),
        (4, "状态", "A closed hazard needs its closed time."),
        (5, "校区", "“西校区” is not mapped to one of ours; choose it in the value mapping."),
        (5, "编号", "Duplicate: A-3 is also in row 4."),
    ]
    assert excinfo.value.error_total == 7
    assert Hazard.objects.count() == 0


def test_value_mapping_chosen_by_hand_wins_over_auto_match(org):
    text = "标题,类别,单位,状态,上报时间\n电线老化,电气,机械,done,2026-03-01\n"
    table = read_table(csv_upload(text))
    plan = plan_for(table, default_campus=org.campus2.pk, values={
        "category": {"电气": str(org.electrical.pk)},
        "responsible_unit": {"机械": str(org.unit_b.pk)},
        "status": {"done": "fixed_on_spot"},
    })
    plan.columns["closed_at"] = plan.columns["reported_at"]
    ledger_import_commit(actor=org.users.staff, table=table, plan=plan)
    hazard = Hazard.objects.get()
    assert (hazard.category, hazard.responsible_unit, hazard.status, hazard.campus) == (
        org.electrical, org.unit_b, Status.FIXED_ON_SPOT, org.campus2)
    assert hazard.closed_at == hazard.reported_at


def test_bom_csv_full_width_digits_and_excel_serial_dates(org):
    # given a BOM CSV with full-width digits and an .xlsx with Excel serial numbers
    text = ("标题,类别,校区,上报时间,整改期限,编号\n"
            "灭火器缺失,消防安全,北校区,２０２６－０３－０１ ０９：３０,46112,ＸＹ－００１\n")
    table = read_table(csv_upload(text, bom=True))
    assert table.headers[0] == "标题"
    ledger_import_commit(actor=org.users.staff, table=table, plan=plan_for(table))
    hazard = Hazard.objects.get()
    assert hazard.reported_at == dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC)
    assert hazard.deadline == dt.datetime(2026, 3, 31, 15, 59, 59, 999999, tzinfo=dt.UTC)
    assert hazard.external_ref == "XY-001"

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Title", "Category", "Campus", "Reported at", "Closed at", "Status"])
    sheet.append(["Blocked exit", "fire", "north", 46000.375, 46001.5, "closed"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(SimpleUploadedFile("ledger.xlsx", buffer.getvalue()))
    ledger_import_commit(actor=org.users.staff, table=table, plan=plan_for(table))
    hazard = Hazard.objects.get(title="Blocked exit")
    assert hazard.reported_at == dt.datetime(2025, 12, 9, 1, 0, tzinfo=dt.UTC)  # 09:00 local
    assert hazard.closed_at == dt.datetime(2025, 12, 10, 4, 0, tzinfo=dt.UTC)
    assert hazard.status == Status.CLOSED


def test_reimporting_the_same_reference_is_a_duplicate_row_error(org):
    table = read_table(csv_upload(SIMPLE))
    ledger_import_commit(actor=org.users.staff, table=table, plan=plan_for(table))
    with translation.override("en"), pytest.raises(ImportRejected) as excinfo:
        ledger_import_commit(actor=org.users.staff, table=table, plan=plan_for(table))
    assert [(e.row, e.message) for e in excinfo.value.errors] == [
        (2, "Duplicate: OLD-1 is already in SafeCampus."),
        (3, "Duplicate: OLD-2 is already in SafeCampus."),
        (4, "Duplicate: OLD-3 is already in SafeCampus."),
    ]
    assert Hazard.objects.count() == 3


def test_only_the_office_may_import(org):
    from safecampus.core.errors import NotAllowed

    table = read_table(csv_upload(SIMPLE))
    with pytest.raises(NotAllowed):
        ledger_import_commit(actor=org.users.contact_a, table=table, plan=plan_for(table))
    assert Hazard.objects.count() == 0


def test_a_plan_without_required_columns_is_refused(org):
    from safecampus.core.errors import DomainError

    table = read_table(csv_upload("标题,上报时间\n漏水,2026-01-01\n"))
    with translation.override("en"), pytest.raises(DomainError) as excinfo:
        ledger_import_commit(actor=org.users.staff, table=table, plan=plan_for(table))
    assert excinfo.value.field_errors["__all__"] == [
        "Choose the column that holds “Category”.",
        "Choose the campus column or a campus for all rows.",
    ]


# --- import: the pages --------------------------------------------------------------------
def test_upload_refuses_a_file_of_the_wrong_type(org, client):
    client.force_login(org.users.staff)
    with translation.override("en"):
        response = client.post(reverse("hazards:ledger_import"), {
            "file": SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0", content_type="image/jpeg")})
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "“photo.jpg” is not an Excel (.xlsx) or CSV (.csv) file."]
    assert LedgerImport.objects.count() == 0


def test_upload_refuses_a_file_over_the_size_limit(org, client, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "IMPORT_MAX_BYTES": 100}
    client.force_login(org.users.staff)
    response = client.post(reverse("hazards:ledger_import"), {
        "file": csv_upload(SIMPLE)})
    assert response.context["form"].errors["file"] == [
        "The file is larger than 0.0 MB; split it into smaller files."]


def test_import_pages_are_for_the_office_only(org, client):
    client.force_login(org.users.contact_a)
    assert client.get(reverse("hazards:ledger_import")).status_code == 403
    client.force_login(org.users.staff)
    assert client.get(reverse("hazards:ledger_import")).status_code == 200
    job = importing.ledger_import_upload(actor=org.users.staff, uploaded_file=csv_upload(SIMPLE))
    assert job.original_name == "台账.csv" and "台账" not in job.file.name  # random stored name
    assert len(importing.ledger_import_table(job)) == 3
    client.force_login(org.users.admin)  # another office user does not see someone's upload
    assert client.get(reverse("hazards:ledger_import_map", args=[job.pk])).status_code == 404


def test_bad_row_through_the_pages_lists_errors_and_writes_nothing(org, client):
    client.force_login(org.users.staff)
    text = SIMPLE + "OLD-4,楼道堆物,消防安全,已上报,化学学院,北校区,楼道,2026-02-30,,\n"
    response = client.post(reverse("hazards:ledger_import"), {"file": csv_upload(text)})
    job = LedgerImport.objects.get()
    assert response.url == reverse("hazards:ledger_import_map", args=[job.pk])
    page = client.get(response.url)
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["import"] = "1"
    response = client.post(reverse("hazards:ledger_import_map", args=[job.pk]), data)
    assert response.status_code == 200
    assert [(e.row, e.column) for e in response.context["rejected"].errors] == [(5, "上报时间")]
    assert "Row 5" in response.content.decode()
    assert Hazard.objects.count() == 0
    assert LedgerImport.objects.get().state == LedgerImport.State.REJECTED


# --- export -------------------------------------------------------------------------------
def _export(client, query=""):
    response = client.get(reverse("hazards:ledger_export") + query)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    return response, rows[0], rows[1:], sheet


def test_export_has_the_ledger_columns_and_a_dated_file_name(org, client):
    with clock.frozen(T0):
        hazard = reported(org, title="灭火器过期")
        client.force_login(org.users.staff)
        response, header, rows, _sheet = _export(client)
    assert header == list(exporting.LEDGER_HEADERS)
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert response["Content-Disposition"] == (
        "attachment; filename=\"hazard-ledger-20261130.xlsx\"; "
        "filename*=UTF-8''%E9%9A%90%E6%82%A3%E5%8F%B0%E8%B4%A6-20261130.xlsx")
    # Chinese labels even for an English page (by the cookie), like the fixed headers
    assert rows == [[hazard.reference, "灭火器过期", "消防安全", "一般隐患", "已上报",
                     "北校区", "化学楼 101实验室", "化学学院", "师生报告",
                     dt.datetime(2026, 11, 30, 10, 0), None, None, "否", None,
                     org.users.student.full_name]]


def test_export_neutralises_formula_injection(org, client):
    reported(org, title="=HYPERLINK(\"http://evil\",\"点我\")", location_text="@SUM(1+1)")
    client.force_login(org.users.staff)
    _r, _h, _rows, sheet = _export(client)
    title, location = sheet.cell(row=2, column=2), sheet.cell(row=2, column=7)
    assert title.value == "'=HYPERLINK(\"http://evil\",\"点我\")" and title.data_type == "s"
    assert location.value == "化学楼 101实验室 @SUM(1+1)"  # not at the start: harmless
    assert sheet.cell(row=2, column=1).number_format == "@"


def test_unit_export_holds_only_its_rows_and_anonymous_reporters_stay_anonymous(org, client):
    # given an anonymous report at unit A, a named one at unit B, and one at A by a student
    anonymous = reported(org, title="A匿名", reporter=org.users.student, is_anonymous=True)
    reported(org, title="B具名", reporter=org.users.student2, place_id=org.place_b.pk)
    named = reported(org, title="A具名", reporter=org.users.student2)
    # when unit A's safety contact exports after the office confirmed them
    for h in Hazard.objects.all():
        services.hazard_confirm(actor=org.users.staff, hazard_id=h.pk)
    client.force_login(org.users.contact_a)
    _r, _h, rows, _s = _export(client)
    # then only unit A's rows are in the file, and the anonymous one says 匿名
    assert sorted((r[1], r[7], r[14]) for r in rows) == [
        ("A具名", "化学学院", org.users.student2.full_name), ("A匿名", "化学学院", "匿名")]
    assert {r[0] for r in rows} == {anonymous.reference, named.reference}
    # and the office sees all rows, still without the anonymous reporter's name
    client.force_login(org.users.staff)
    _r, _h, rows, _s = _export(client)
    assert len(rows) == 3
    assert org.users.student.full_name not in {cell for row in rows for cell in row}


def test_export_rows_are_exactly_the_filtered_ledger_rows(org, client):
    with clock.frozen(T0 - dt.timedelta(days=40)):
        old = reported(org, title="旧的")
    with clock.frozen(T0):
        reported(org, title="交通", category_id=org.traffic.pk)
        reported(org, title="B楼", place_id=org.place_b.pk)
    query = f"?category={org.fire.pk}&date_from=2026-10-01&date_to=2026-10-31"
    client.force_login(org.users.leadership)
    _r, _h, rows, _s = _export(client, query)
    assert [r[0] for r in rows] == [old.reference]
    from django.http import QueryDict

    expected = hazard_ledger(org.users.leadership, LedgerFilterForm(QueryDict(query[1:])).to_filters())
    assert [h.reference for h in expected] == [r[0] for r in rows]


def test_export_needs_the_export_permission(org, client):
    for user in (org.users.student, org.users.guard):
        client.force_login(user)
        assert client.get(reverse("hazards:ledger_export")).status_code == 403


# --- round trip ---------------------------------------------------------------------------
def test_export_then_import_round_trip(org, client):
    # given hazards in several states, one closed, exported by the office
    with clock.frozen(T0 - dt.timedelta(days=10)):
        closed, _notice = submitted(org, title="消防门损坏")
    with clock.frozen(T0 - dt.timedelta(days=8)):
        services.hazard_verify(actor=org.users.staff, hazard_id=closed.pk)
    with clock.frozen(T0):
        open_one = reported(org, title="=1+1 电闸", category_id=org.electrical.pk, grade="major",
                            place_id=org.place_b.pk)
    client.force_login(org.users.staff)
    response = client.get(reverse("hazards:ledger_export"))
    originals = {h.reference: h for h in Hazard.objects.all()}
    # when the file is imported again with the suggested mapping
    table = read_table(SimpleUploadedFile("隐患台账.xlsx", response.content))
    plan = plan_for(table)
    assert plan.columns["external_ref"] == 0 and plan.columns["status"] == 4
    result = ledger_import_commit(actor=org.users.staff, table=table, plan=plan)
    # then every hazard came back with the same facts and its old number as reference
    assert result.created == 2
    for copy in Hazard.objects.filter(source=Source.LEDGER_IMPORT):
        original = originals[copy.external_ref]
        for name in ("title", "category_id", "grade", "status", "campus_id",
                     "responsible_unit_id", "reported_at", "deadline", "closed_at"):
            assert getattr(copy, name) == getattr(original, name), name
    assert fresh(open_one).title == "=1+1 电闸"
    assert Hazard.objects.get(external_ref=open_one.reference).title == "=1+1 电闸"


# --- real data: MyLA311 ------------------------------------------------------------------
def _la311_setup():
    units = {code: UnitFactory(code=code.lower(), name=name, kind=Unit.Kind.OFFICE)
             for code, name in LA_OWNERS.items()}
    sanitation = CategoryFactory(code="sanitation", name="环境卫生", name_en="Bulky Items")
    graffiti = CategoryFactory(code="graffiti", name="涂鸦", name_en="Graffiti Removal")
    other = CategoryFactory(code="other", name="其他", name_en="Other")
    return units, {"sanitation": sanitation, "graffiti": graffiti, "other": other}


def _la311_plan(table, org, categories) -> ImportPlan:
    plan = plan_for(table, default_campus=org.campus1.pk, time_zone="America/Los_Angeles")
    plan.columns["title"] = table.headers.index("RequestType")
    kinds = {v for v, _n in importing.distinct_values(table, plan.columns["category"])}
    plan.values = {
        "status": {importing.value_key(k): v for k, v in LA_STATUS.items()},
        "category": {importing.value_key(k): str(categories["other"].pk)
                     for k in kinds - {"Bulky Items", "Graffiti Removal"}},
    }
    return plan


def test_la311_real_requests_import(org, shared_data):
    # given 9,999 real MyLA311 service requests and units for the five agencies
    units, categories = _la311_setup()
    with open(shared_data / LA311, "rb") as handle:
        table = read_table(SimpleUploadedFile("la311.csv", handle.read()))
    assert len(table) == 9999
    plan = _la311_plan(table, org, categories)
    headers = table.headers
    assert {k: headers[v] for k, v in plan.columns.items() if v is not None} == {
        "title": "RequestType", "category": "RequestType", "status": "Status",
        "location_text": "Address", "responsible_unit": "Owner", "reported_at": "CreatedDate",
        "closed_at": "ClosedDate", "external_ref": "SRNumber", "source": "RequestSource"}
    # when the office imports them
    with clock.frozen(T0):
        result = ledger_import_commit(actor=org.users.staff, table=table, plan=plan)
    # then all are there, with statuses and units as mapped
    assert result.created == 9999
    imported = Hazard.objects.filter(source=Source.LEDGER_IMPORT)
    assert Counter(imported.values_list("status", flat=True)) == {
        "closed": 9739, "rejected": 246 + 9, "reported": 5}
    assert Counter(imported.values_list("responsible_unit__code", flat=True)) == {
        "bos": 6891, "ocb": 2863, "ita": 123, "bsl": 94, "ladwp": 28}
    assert Counter(imported.values_list("category__code", flat=True)) == {
        "sanitation": 4432, "graffiti": 2863, "other": 9999 - 4432 - 2863}
    first = imported.get(external_ref="1-870704831")
    assert first.reported_at == dt.datetime(2018, 1, 1, 7, 59, 58, tzinfo=dt.UTC)
    assert first.closed_at == dt.datetime(2018, 4, 9, 16, 18, 35, tzinfo=dt.UTC)
    assert first.location_text == "2111 W BELLEVUE AVE, 90026"
    assert first.closed_on_time is True
    assert imported.filter(status="closed", closed_at__isnull=True).count() == 0
    assert imported.filter(status="rejected", closed_at__isnull=False).count() == 0
    assert ActivityEntry.objects.filter(verb="hazards.import").count() == 9999
    # and the ledger shows them: all to the office, one agency's rows to its contact
    ledger = hazard_ledger(org.users.staff, LedgerFilters(source="ledger_import"))
    assert ledger.count() == 9999
    assert ledger.first().external_ref == "1-870704831"  # newest first
    from safecampus.tests.factories import user_with_role

    contact = user_with_role("unit_safety_contact", unit=units["ITA"])
    assert hazard_ledger(contact, LedgerFilters(source="ledger_import")).count() == 123


def test_la311_through_the_pages_then_reimport_is_all_duplicates(org, client, shared_data):
    units, categories = _la311_setup()
    client.force_login(org.users.staff)
    # step 1: upload the real file
    with open(shared_data / LA311, "rb") as handle:
        response = client.post(reverse("hazards:ledger_import"), {"file": handle})
    job = LedgerImport.objects.get()
    assert response.status_code == 302 and job.row_count == 9999
    # step 2: the page suggests columns and lists the distinct values to map
    page = client.get(reverse("hazards:ledger_import_map", args=[job.pk]))
    form = page.context["form"]
    assert form["col_external_ref"].value() == str(page.context["table"].headers.index("SRNumber"))
    groups = {g["kind"]: g for g in form.value_groups}
    assert {v for v, _n, _name, _k in groups["status"]["rows"]} == set(LA_STATUS)
    assert {v for v, _n, _name, _k in groups["responsible_unit"]["rows"]} == set(LA_OWNERS)
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"col_title": data["col_category"], "default_campus": str(org.campus1.pk),
                 "time_zone": "America/Los_Angeles", "import": "1"})
    for value, _n, name, _k in groups["status"]["rows"]:
        data[name] = LA_STATUS[value]
    for _value, _n, name, _k in groups["category"]["rows"]:
        data[name] = data[name] or str(categories["other"].pk)
    # the units matched their codes by themselves
    for value, _n, name, _k in groups["responsible_unit"]["rows"]:
        assert data[name] == str(units[value].pk)
    # step 3: every row checks out, the hazards are written, the result page links the ledger
    response = client.post(reverse("hazards:ledger_import_map", args=[job.pk]), data)
    assert response.status_code == 302
    assert response.url == reverse("hazards:ledger_import_done", args=[job.pk])
    done = client.get(response.url)
    assert done.context["job"].imported_count == 9999
    assert reverse("hazards:ledger") + "?source=ledger_import" in done.content.decode()
    assert Hazard.objects.filter(source=Source.LEDGER_IMPORT).count() == 9999
    ledger = client.get(reverse("hazards:ledger") + "?source=ledger_import")
    assert Hazard.objects.get(external_ref="1-870704831").reference in ledger.content.decode()
    assert len(ledger.context["page"].object_list) == 50
    # when the same file is imported again, every row is a duplicate and nothing is written
    with open(shared_data / LA311, "rb") as handle:
        client.post(reverse("hazards:ledger_import"), {"file": handle})
    job2 = LedgerImport.objects.exclude(pk=job.pk).get()
    response = client.post(reverse("hazards:ledger_import_map", args=[job2.pk]), data)
    rejected = response.context["rejected"]
    assert rejected.error_total == 9999
    assert len(response.context["errors_shown"]) == 50
    assert rejected.errors[0].message == "Duplicate: 1-870704831 is already in SafeCampus."
    assert Hazard.objects.count() == 9999


def test_imported_hazard_page_shows_where_it_came_from(org, client):
    table = read_table(csv_upload(SIMPLE))
    with translation.override("en"):
        ledger_import_commit(actor=org.users.staff, table=table, plan=plan_for(table))
    hazard = Hazard.objects.get(external_ref="OLD-1")
    client.force_login(org.users.staff)
    response = client.get(reverse("hazards:detail", args=[hazard.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Imported from a ledger" in page
    assert "Imported from row 2 of 台账.csv." in page


def test_export_query_count_does_not_grow_with_rows(org, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(org.users.contact_a)
    counts = []
    for extra in (2, 40):
        for _ in range(extra):
            reported(org, title="楼道堆物")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("hazards:ledger_export")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_imports_of_the_same_file_write_it_once(org):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs parallel PostgreSQL connections; SQLite serialises writers")
    table = read_table(csv_upload(SIMPLE))
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        translation.activate("en")
        try:
            barrier.wait(timeout=10)
            outcomes.append(ledger_import_commit(actor=org.users.staff, table=table,
                                                 plan=plan_for(table)))
        except ImportRejected as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    results = [o for o in outcomes if not isinstance(o, ImportRejected)]
    rejected = [o for o in outcomes if isinstance(o, ImportRejected)]
    assert len(results) == 1 and results[0].created == 3
    assert len(rejected) == 1
    assert {e.message for e in rejected[0].errors} == {
        "Duplicate: OLD-1 is already in SafeCampus.", "Duplicate: OLD-2 is already in SafeCampus.",
        "Duplicate: OLD-3 is already in SafeCampus."}
    assert Hazard.objects.count() == 3
