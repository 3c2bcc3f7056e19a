"""Importing parking-violation ledgers with a column mapping: the real UCSC and Philadelphia
files, suggestions, one bad row writes nothing and is listed, a file is imported once, the
pages and who may use them."""

import csv
import datetime as dt
import io
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.urls import reverse
from django.utils import translation

from safecampus.api.tests.helpers import client_for
from safecampus.core import clock
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.importing import suggest_columns, value_key
from safecampus.core.models import ActivityEntry
from safecampus.core.spreadsheets import ImportRejected
from safecampus.tests.pages import login, text_of
from safecampus.traffic.models import Appeal, Vehicle, Violation, ViolationKind
from safecampus.traffic.services import violation_import as imp
from safecampus.traffic.services import violations as violation_services

from .violation_helpers import owner_user, vehicle

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


UCSC = "parking/ucsc_campus_parking_citations_sample.csv"
PHILADELPHIA = "parking/philadelphia_unpaid_tickets_anon_76k.csv"


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=clock.local_zone())


def upload(actor, name: str, data: bytes):
    return imp.violation_import_upload(actor=actor, uploaded_file=SimpleUploadedFile(name, data))


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def commit(actor, job, **changes):
    plan = imp.ViolationImportPlan.from_json(job.plan)
    for key, value in changes.items():
        setattr(plan, key, value)
    return imp.violation_import_commit(actor=actor, job=job, plan=plan)


HEADERS = ["编号", "车牌号", "违章类型", "违章时间", "地点", "状态"]


def chinese_rows(*rows):
    return csv_bytes([HEADERS, *rows])


# --- suggestions ---------------------------------------------------------------------------
def test_columns_are_suggested_from_chinese_and_english_headers():
    assert suggest_columns(HEADERS, imp.TARGETS) == {
        "external_ref": 0, "plate": 1, "vehicle_ref": None, "kind_label": 2, "code": None,
        "status_label": 5, "observed_at": 3, "year": None, "month": None, "day": None,
        "location_text": 4}
    ucsc = ["Ticket #", "Issue Date / Time", "Location", "Viol Code", "Violation", "Make",
            "Color", "Status", "Amount"]
    assert suggest_columns(ucsc, imp.TARGETS) == {
        "external_ref": 0, "plate": None, "vehicle_ref": None, "kind_label": 4, "code": 3,
        "status_label": 7, "observed_at": 1, "year": None, "month": None, "day": None,
        "location_text": 2}
    philadelphia = ["car_id", "year", "month", "day", "amount", "violation", "vehicle_make"]
    assert suggest_columns(philadelphia, imp.TARGETS) == {
        "external_ref": None, "plate": None, "vehicle_ref": 0, "kind_label": 5, "code": None,
        "status_label": None, "observed_at": None, "year": 1, "month": 2, "day": 3,
        "location_text": None}


@pytest.mark.parametrize(("label", "kind"), [
    ("RED CURB/FIRE LANE", "fire_lane"), ("FIRE HYDRANT", "fire_lane"), ("占用消防通道", "fire_lane"),
    ("STOPPING PROHIBITED", "no_parking"), ("NO PARKING ZONE", "no_parking"), ("禁停区域停车", "no_parking"),
    ("BLOCKING DRIVEWAY", "entrance"), ("堵塞出入口", "entrance"), ("SIDEWALK   CC", "pavement"),
    ("占用人行道", "pavement"), ("NO PARKING PERMIT", None), ("W- NO PARKING PERMIT", None),
    ("METER EXPIRED", None), ("Blocking a fire lane", "fire_lane"),
])
def test_types_are_suggested_from_keywords(label, kind):
    assert imp.suggest_kind(label) == kind


@pytest.mark.parametrize(("label", "status"), [
    ("Citation Dismissed", "void"), ("Void Approved", "void"), ("Warning", "warning"),
    ("Paid In Full", "closed"), ("Issued", "closed"), ("Adjudication Denied", "closed"),
    ("Promise To Pay - Default", "closed"), ("已撤销", "void"), ("警告", "warning"),
])
def test_statuses_are_suggested(label, status):
    assert imp.suggest_status(label) == status


# --- the real files ------------------------------------------------------------------------
def test_ucsc_citations_import_exactly(org, shared_data):
    job = upload(org.users.staff, "ucsc.csv", (shared_data / UCSC).read_bytes())
    assert job.row_count == 292
    result = commit(org.users.staff, job)
    assert result.created == 292
    imported = Violation.objects.filter(source=Violation.Source.IMPORT)
    assert imported.count() == 292
    counts = dict(imported.values_list("state").annotate(n=Count("id")))
    assert counts == {"moved": 281, "void": 11}  # 9 Citation Dismissed + 2 Void Approved
    assert imported.filter(level="warning").count() == 7  # Status Warning = the W codes
    assert dict(imported.values_list("kind").annotate(n=Count("id"))) == {
        "other": 286, "fire_lane": 6}  # RED CURB/FIRE LANE ×5, FIRE HAZARDS ×1
    first = imported.get(external_ref="24PK400006")
    assert (first.plate, first.vehicle_ref, first.kind_label, first.location_text) == (
        "", "", "NO PARKING PERMIT", "160 OAKES COLLEGE")
    assert first.observed_at == local(2024, 6, 3, 8, 6)
    assert first.state == "moved" and first.closed_at == first.observed_at
    assert first.recorded_by == org.users.staff
    void = imported.filter(state="void").order_by("observed_at").first()
    assert void.close_reason in ("Citation Dismissed", "Void Approved")
    assert all(label.startswith("W- ") for label in
               imported.filter(level="warning").values_list("kind_label", flat=True))
    entry = ActivityEntry.objects.get(verb=imp.VERB)
    assert entry.data["count"] == 292 and entry.data["digest"] == job.digest


def test_philadelphia_tickets_import_by_year_month_day(org, shared_data):
    data = (shared_data / PHILADELPHIA).read_bytes()
    job = upload(org.users.staff, "philadelphia.csv", data)
    assert job.row_count == 76352
    started = time.monotonic()
    result = commit(org.users.staff, job)
    elapsed = time.monotonic() - started
    print(f"\nPhiladelphia: {result.created} rows in {elapsed:.1f} s")
    assert result.created == 76352 and result.date_only == 76352
    imported = Violation.objects.filter(source=Violation.Source.IMPORT)
    assert imported.count() == 76352
    assert imported.values("vehicle_ref").distinct().count() == 15804
    assert imported.filter(plate="").count() == 76352
    first = imported.filter(vehicle_ref="5741").order_by("observed_at").first()
    assert first.observed_at == local(1991, 1, 2)
    assert first.kind_label == "STOP PROHIBITED 24" and first.kind == ViolationKind.NO_PARKING
    assert imported.filter(kind_label="FIRE HYDRANT", kind="fire_lane").count() == 3503
    assert imported.filter(kind_label="SIDEWALK", kind="pavement").count() == 3319
    assert imported.filter(kind_label="METER EXPIRED", kind="other").count() == 20725
    assert not imported.exclude(state="moved").exists()
    with pytest.raises(DomainError, match="already imported"):
        upload(org.users.staff, "again.csv", data)


# --- bad rows ------------------------------------------------------------------------------
def test_one_bad_row_writes_nothing_and_is_listed(org):
    job = upload(org.users.staff, "ledger.csv", chinese_rows(
        ["T1", "京A12345", "占用消防通道", "2025-03-01 08:00", "图书馆", "已处理"],
        ["T2", "京A1234", "禁停区域", "2025-03-01 09:00", "食堂", "已处理"],
        ["T3", "沪B54321", "禁停区域", "2025-03-32 09:00", "食堂", "已处理"],
        ["T4", "粤BD12345", "占用人行道", "2025-03-02 10:00", "东门", "已处理"],
    ))
    with pytest.raises(ImportRejected) as rejected:
        commit(org.users.staff, job)
    messages = [str(e) for e in rejected.value.errors]
    assert messages[0] == ("Row 3, column “车牌号”: “京A1234” is not a valid plate. A plate has 7 "
                           "characters (8 for new-energy vehicles); this one has 6.")
    assert messages[1].startswith("Row 4, column “违章时间”: ")
    assert rejected.value.error_total == 2
    assert not Violation.objects.exists()
    assert imp.violation_import_get(org.users.staff, job.pk).state == "rejected"


def test_a_row_naming_no_vehicle_is_listed_and_nothing_is_imported(org):
    # Given a ledger with a plate column and a vehicle column, one row has neither
    job = upload(org.users.staff, "ledger.csv", csv_bytes([
        ["车牌号", "车辆编号", "违章时间", "地点", "违章类型", "状态"],
        ["京A12345", "", "2026-10-05 07:00", "NAZ 东门", "占用消防通道", "已处理"],
        ["", "C-17", "2026-10-05 07:30", "NAZ 北门", "占用消防通道", "已处理"],
        ["", "", "2026-10-05 08:00", "NAZ 无车牌行", "占用消防通道", "已处理"]]))
    with clock.frozen(local(2026, 11, 1, 9, 0)):
        with pytest.raises(ImportRejected) as rejected:
            commit(org.users.staff, job)
    assert [str(e) for e in rejected.value.errors] == [
        "Row 4, column “车牌号”: Neither a plate nor the ledger's vehicle number: each ticket "
        "must name its vehicle."]
    assert not Violation.objects.exists()
    # Without a vehicle column the plate column alone decides; the message names it too
    only_plates = upload(org.users.staff, "plates.csv", csv_bytes([
        ["车牌号", "违章时间", "地点", "违章类型", "状态"],
        ["", "2026-10-05 08:00", "NAZ 无车牌行", "占用消防通道", "已处理"]]))
    with clock.frozen(local(2026, 11, 1, 9, 0)):
        with pytest.raises(ImportRejected) as rejected:
            commit(org.users.staff, only_plates)
    assert [str(e) for e in rejected.value.errors] == [
        "Row 2, column “车牌号”: Neither a plate nor the ledger's vehicle number: each ticket "
        "must name its vehicle."]
    assert not Violation.objects.exists()


def test_plates_are_normalised_and_linked_to_registered_vehicles(org):
    car = Vehicle.objects.create(plate="京A12345", owner_name="Wang", owner_kind="staff")
    job = upload(org.users.staff, "ledger.csv", chinese_rows(
        ["T1", "京a·12345", "占用消防通道", "2025-03-01 08:00", "图书馆", "警告"],
        ["T2", "粤ＢＤ１２３４５", "禁停", "2025-03-01", "", "已撤销"],
    ))
    commit(org.users.staff, job)
    one, two = Violation.objects.order_by("external_ref")
    assert (one.plate, one.vehicle, one.kind, one.level) == ("京A12345", car, "fire_lane", "warning")
    assert (two.plate, two.vehicle, two.kind, two.state) == ("粤BD12345", None, "no_parking", "void")
    assert two.observed_at == local(2025, 3, 1) and two.close_reason == "已撤销"


def test_a_file_is_imported_once_and_tickets_once(org):
    data = chinese_rows(["T1", "京A12345", "禁停", "2025-03-01 08:00", "图书馆", ""])
    commit(org.users.staff, upload(org.users.staff, "a.csv", data))
    with pytest.raises(DomainError) as again:
        upload(org.users.staff, "a-copy.csv", data)
    assert again.value.code == "already_imported"
    assert "the same file is imported once" in str(again.value)
    other = upload(org.users.staff, "b.csv", chinese_rows(
        ["T1", "京A12345", "禁停", "2025-03-01 08:00", "图书馆", "已处理"],
        ["T2", "京A12345", "禁停", "2025-03-02 08:00", "图书馆", ""],
        ["T2", "京A12345", "禁停", "2025-03-03 08:00", "图书馆", ""]))
    with pytest.raises(ImportRejected) as rejected:
        commit(org.users.staff, other)
    assert [str(e) for e in rejected.value.errors] == [
        "Row 4, column “编号”: Number T2 is also on row 3; each ticket is imported once."]
    fixed = upload(org.users.staff, "c.csv", chinese_rows(
        ["T1", "京A12345", "禁停", "2025-03-01 08:00", "图书馆", "已处理"]))
    with pytest.raises(ImportRejected) as rejected:
        commit(org.users.staff, fixed)
    assert [str(e) for e in rejected.value.errors] == [
        "Row 2, column “编号”: Already imported: ticket T1 is in SafeCampus."]
    assert Violation.objects.count() == 1


def test_year_month_day_columns_and_their_errors(org):
    job = upload(org.users.staff, "ymd.csv", csv_bytes([
        ["car_id", "year", "month", "day", "violation"],
        ["7", "2024", "2", "30", "SIDEWALK"], ["7", "2024", "x", "1", "SIDEWALK"]]))
    with pytest.raises(ImportRejected) as rejected:
        commit(org.users.staff, job)
    assert [str(e) for e in rejected.value.errors] == [
        "Row 2, column “day”: 2024-2-30 is not a real date.",
        "Row 3, column “month”: “x” is not a number."]


def test_a_plan_without_a_date_is_refused(org):
    job = upload(org.users.staff, "nodate.csv", csv_bytes([["violation"], ["SIDEWALK"]]))
    with pytest.raises(DomainError) as error:
        commit(org.users.staff, job)
    assert str(error.value) == ("Choose the column of the date (and time), or the year, month "
                                "and day columns.")


def test_only_the_office_imports(org):
    data = chinese_rows(["T1", "京A12345", "禁停", "2025-03-01 08:00", "图书馆", ""])
    with pytest.raises(NotAllowed):
        upload(org.users.guard, "a.csv", data)
    job = upload(org.users.staff, "a.csv", data)
    assert imp.violation_import_get(org.users.admin, job.pk) is None  # someone else's upload
    assert imp.violation_import_get(org.users.staff, "../../etc") is None
    with pytest.raises(NotAllowed):
        commit(org.users.guard, job)


# --- the pages -----------------------------------------------------------------------------
def test_pages_upload_map_and_import(client, org):
    login(client, org.users.staff)
    response = client.post(reverse("traffic:violation_import"), {"file": SimpleUploadedFile(
        "ledger.csv", chinese_rows(["T1", "京A12345", "占用消防通道", "2025-03-01 08:00", "图书馆", "已处理"],
                                   ["T2", "京B12345", "禁停", "2025-03-01 09:00", "食堂", "已撤销"]))})
    assert response.status_code == 302
    page = client.get(response["Location"])
    form = page.context["form"]
    assert form["col_plate"].value() == "1"
    post = {name: form[name].value() or "" for name in form.fields}
    post["warning_marker"] = "on"
    post["import"] = "1"
    done = client.post(response["Location"], post)
    assert done.status_code == 302, done.context["form"].errors
    assert "2 violations were imported from ledger.csv." in client.get(done["Location"]).content.decode()
    assert client.get(response["Location"])["Location"] == done["Location"]  # imported: done


def test_page_lists_bad_rows(client, org):
    login(client, org.users.staff)
    job = upload(org.users.staff, "bad.csv", chinese_rows(
        ["T1", "京A1234", "禁停", "2025-03-01 08:00", "", ""]))
    url = reverse("traffic:violation_import_map", args=[job.pk])
    form = client.get(url).context["form"]
    post = {name: form[name].value() or "" for name in form.fields}
    post.update(warning_marker="on", **{"import": "1"})
    page = client.post(url, post)
    assert page.status_code == 200
    assert "“京A1234” is not a valid plate." in page.content.decode()
    assert not Violation.objects.exists()


@pytest.mark.parametrize("role", ["guard", "student", "leadership"])
def test_import_pages_are_for_the_office(client, org, role):
    job = upload(org.users.staff, "a.csv", chinese_rows(
        ["T1", "京A12345", "禁停", "2025-03-01 08:00", "", ""]))
    client.force_login(getattr(org.users, role))
    assert client.get(reverse("traffic:violation_import")).status_code == 403
    assert client.get(reverse("traffic:violation_import_map", args=[job.pk])).status_code == 404


def test_mapping_page_query_count(client, org, django_assert_max_num_queries):
    client.force_login(org.users.staff)
    job = upload(org.users.staff, "a.csv", chinese_rows(
        *[[f"T{i}", "京A12345", f"type {i}", "2025-03-01 08:00", "", f"s{i}"] for i in range(50)]))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("traffic:violation_import_map", args=[job.pk])).status_code == 200


def test_an_imported_ticket_reads_as_ledger_history(client, org):
    # Given a ledger imported by the office (no campus: the ledger only names the spot)
    commit(org.users.staff, upload(org.users.staff, "ledger-2025.csv", chinese_rows(
        ["T1", "京A12345", "占用消防通道", "2025-03-01 08:00", "图书馆北侧", "已处理"])))
    violation = Violation.objects.get()
    login(client, org.users.staff)
    page = client.get(reverse("traffic:violation_detail", args=[violation.pk]))
    html, text = page.content.decode(), text_of(page)
    # No "not sent yet" notice prompt, no voiding of a closed ticket
    assert 'id="notices"' not in html and "None sent." not in text
    assert "Void this record" not in text
    # Where it came from, instead of an empty timeline
    assert "From an imported ledger" in text
    assert "Imported from ledger-2025.csv on " in text
    assert "Number in the ledger: T1" in text and "Type as recorded: 占用消防通道" in text
    timeline = html[html.index('<ol class="timeline'):]
    timeline = timeline[:timeline.index("</ol>")]
    assert "Imported from the ledger ledger-2025.csv" in timeline
    assert "Nothing yet." not in timeline
    assert "Imported by" in text and "Where 图书馆北侧 " in text
    # The list row starts with the spot, not a stray separator
    listed = client.get(reverse("traffic:violation_list")).content.decode()
    row = re.search(r'<div class="small text-secondary">([^<]*)', listed).group(1)
    assert row.strip() == "图书馆北侧"
    assert "Imported ledger" in listed


def test_ledger_history_cannot_be_voided_by_the_service_or_the_api(org):
    # Given a closed ticket from the old ledger
    commit(org.users.staff, upload(org.users.staff, "ledger-2025.csv", chinese_rows(
        ["T1", "京A12345", "占用消防通道", "2025-03-01 08:00", "图书馆北侧", "已处理"])))
    violation = Violation.objects.get()
    assert violation.is_ledger_history
    before = (violation.state, violation.close_reason)
    # When the office voids it, it is refused and nothing changes
    with pytest.raises(DomainError) as refused:
        violation_services.violation_void(actor=org.users.staff, violation_id=violation.pk,
                                          reason="录入错误")
    assert refused.value.code == "ledger_history"
    assert "kept as history" in str(refused.value)
    answer = client_for(org.users.staff).post(
        f"/api/v1/traffic/violations/{violation.pk}/void/", {"reason": "录入错误"},
        format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "ledger_history"
    violation.refresh_from_db()
    assert (violation.state, violation.close_reason) == before
    assert not ActivityEntry.objects.filter(verb="traffic.violation_void").exists()


def test_the_owner_cannot_appeal_ledger_history_but_may_appeal_an_open_imported_ticket(
        client, org):
    # Given the owner's registered car and two imported tickets: one the old ledger closed,
    # one it left open
    owner = owner_user()
    vehicle("京A12345", owner=owner)
    commit(org.users.staff, upload(org.users.staff, "ledger-2025.csv", chinese_rows(
        ["T1", "京A12345", "占用消防通道", "2025-03-01 08:00", "图书馆北侧", "已处理"],
        ["T2", "京A12345", "占用消防通道", "2025-03-02 08:00", "图书馆北侧", "未处理"])),
        values={"status": {value_key("未处理"): imp.Status.OPEN}})
    closed = Violation.objects.get(external_ref="T1")
    still_open = Violation.objects.get(external_ref="T2")
    assert closed.is_ledger_history and not still_open.is_ledger_history
    # When the owner appeals the closed one, it is refused and no appeal is kept
    with pytest.raises(DomainError) as refused:
        violation_services.appeal_submit(actor=owner, violation_id=closed.pk, reason="不是我的车")
    assert refused.value.code == "ledger_history"
    assert "cannot be appealed" in str(refused.value)
    assert not Appeal.objects.exists()
    # ... and its page offers no appeal form, while the open one does
    login(client, owner)
    for violation, offered in ((closed, False), (still_open, True)):
        page = client.get(reverse("traffic:violation_detail", args=[violation.pk]))
        action = reverse("traffic:violation_appeal", args=[violation.pk])
        assert (f'action="{action}"' in page.content.decode()) is offered
    # A form posted anyway is refused with the same words, nothing written
    answer = client.post(reverse("traffic:violation_appeal", args=[closed.pk]),
                         {"reason": "不是我的车"}, follow=True)
    assert "cannot be appealed" in text_of(answer)
    assert not Appeal.objects.exists()
    violation_services.appeal_submit(actor=owner, violation_id=still_open.pk, reason="已挪车")
    assert Appeal.objects.get().violation == still_open


def test_a_violation_recorded_on_campus_keeps_its_notices_card(client, org):
    violation = violation_services.violation_record(
        actor=org.users.guard, plate="京A12345", kind="fire_lane", level="warning",
        campus_id=org.campus1.pk, location_text="北门")
    login(client, org.users.staff)
    page = client.get(reverse("traffic:violation_detail", args=[violation.pk]))
    html = page.content.decode()
    assert 'id="notices"' in html and 'id="origin"' not in html
    assert "Void this record" in text_of(page)
