"""Roster import: suggested columns, create and update people, affiliations and classes,
all-or-nothing refusal listing unknown campus/college/building names, the pages, and the
uploaded file (personal data) deleted when imported, refused, replaced or a day old."""

import io

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from safecampus.accounts.models import Affiliation, Membership, Role, User
from safecampus.core.errors import NotAllowed
from safecampus.core.spreadsheets import ImportRejected, Table
from safecampus.organisation.models import ClassGroup
from safecampus.organisation.roster_import import (
    RosterPlan,
    roster_counts,
    roster_import,
    roster_plan_suggest,
    roster_uploads_sweep,
)

HEADERS = ["学号/工号", "姓名", "身份", "校区", "学院", "年级", "班级", "宿舍楼", "房间", "手机"]


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages follow the chosen language
    with translation.override("en"):
        yield


def kept_files() -> list[str]:
    """Every file under roster-imports/ in the storage."""
    found = []

    def walk(folder):
        if not default_storage.exists(folder):
            return
        folders, files = default_storage.listdir(folder)
        found.extend(f"{folder}/{name}" for name in files)
        for name in folders:
            walk(f"{folder}/{name}")

    walk("roster-imports")
    return sorted(found)


@pytest.fixture(autouse=True)
def clean_uploads():
    for path in kept_files():
        default_storage.delete(path)
    yield
    for path in kept_files():
        default_storage.delete(path)


def table(*rows, headers=HEADERS) -> Table:
    return Table(headers=list(headers), rows=[list(r) for r in rows],
                 numbers=list(range(2, len(rows) + 2)))


def run(org, t, actor=None):
    return roster_import(actor=actor or org.users.admin, table=t, plan=roster_plan_suggest(t))


def test_headers_are_suggested_in_chinese_and_english(db):
    plan = roster_plan_suggest(table(headers=["Name", "学号", "class", "宿舍楼"]))
    assert plan.columns["number"] == 1 and plan.columns["name"] == 0
    assert plan.columns["class"] == 2 and plan.columns["dormitory"] == 3
    assert plan.columns["campus"] is None


def test_creates_people_affiliations_and_classes(org):
    summary = run(org, table(
        ["2024010001", "张三", "学生", "北校区", "化学学院", "2024级", "化学2401", "化学楼", "412",
         "13800000001"],
        ["2024010002", "李四", "学生", "north", "chem", 2024, "化学2401", "a1", "413", ""],
        ["T9001", "王老师", "教职工", "", "后勤保障部", "", "", "", "", ""]))
    assert (summary.rows, summary.created, summary.updated, summary.classes_created) == (
        3, 3, 0, 1)
    zhang = User.objects.get(employee_number="2024010001")
    assert (zhang.username, zhang.full_name, zhang.phone) == ("2024010001", "张三", "13800000001")
    assert not zhang.has_usable_password()
    assert Membership.objects.filter(user=zhang, role=Role.COMMUNITY_MEMBER).exists()
    a = zhang.affiliation
    assert (a.kind, a.campus, a.college, a.enrolment_year, a.class_group.name, a.dormitory,
            a.room) == ("student", org.campus1, org.unit_a, 2024, "化学2401", org.building_a, "412")
    group = ClassGroup.objects.get(name="化学2401")
    assert group.affiliations.count() == 2 and group.college == org.unit_a
    staff = User.objects.get(employee_number="T9001").affiliation
    assert (staff.kind, staff.college, staff.enrolment_year) == ("staff", org.logistics, None)


def test_a_second_import_updates_and_reuses_the_class(org):
    run(org, table(["2024010001", "张三", "学生", "", "化学学院", "2024", "化学2401", "", "", ""]))
    existing = User.objects.get(employee_number="2024010001")
    summary = run(org, table(
        ["2024010001", "张三丰", "学生", "", "化学学院", "2024", "化学2401", "", "501", ""]))
    assert (summary.created, summary.updated, summary.classes_created) == (0, 1, 0)
    existing.refresh_from_db()
    assert existing.full_name == "张三丰" and existing.affiliation.room == "501"
    assert ClassGroup.objects.filter(name="化学2401").count() == 1
    assert Affiliation.objects.count() == 1


def test_an_existing_account_is_matched_by_its_number(org):
    org.users.student.employee_number = "2025000001"
    org.users.student.save()
    run(org, table(["2025000001", "赵五", "学生", "", "机械学院", "2025", "", "", "", ""]))
    org.users.student.refresh_from_db()
    assert org.users.student.affiliation.college == org.unit_b
    assert User.objects.filter(employee_number="2025000001").count() == 1


def test_bad_rows_are_all_listed_and_nothing_is_written(org):
    before = User.objects.count()
    with pytest.raises(ImportRejected) as error:
        run(org, table(
            ["2024010001", "张三", "学生", "东校区", "化学学院", "2024", "化学2401", "", "", ""],
            ["2024010002", "李四", "学生", "", "魔法学院", "2024", "", "", "", ""],
            ["2024010003", "王五", "学生", "", "化学学院", "2024", "", "9号楼", "", ""],
            ["2024010001", "", "学生", "", "后勤保障部", "24", "", "", "", "abc"],
            ["2024010005", "孙七", "外星人", "", "化学学院", "", "化学2401", "", "", ""]))
    assert [(e.row, e.column, e.message) for e in error.value.errors] == [
        (2, "校区", "Unknown campus “东校区”."),
        (3, "学院", "Unknown college or unit “魔法学院”."),
        (4, "宿舍楼", "Unknown building “9号楼”."),
        (5, "学号/工号", "2024010001 is also in row 2."),
        (5, "姓名", "The name is empty."),
        (5, "年级", "“24” is not a year group (write e.g. 2024 or 2024级)."),
        (5, "学院", "后勤保障部 is not a college."),
        (5, "手机", "“abc” is not a phone number."),
        (6, "身份", "“外星人” is neither 学生 nor 教职工."),
        (6, "班级", "A class needs the college and the year group in the same row."),
    ]
    assert User.objects.count() == before and not ClassGroup.objects.exists()
    assert not Affiliation.objects.exists()


def test_a_missing_needed_column_is_refused(org):
    t = table(["张三"], headers=["姓名"])
    with pytest.raises(Exception) as error:
        roster_import(actor=org.users.admin, table=t, plan=RosterPlan(columns={"name": 0}))
    assert "Choose the column that holds “Student or staff number”." in str(error.value)


@pytest.mark.parametrize("who", ["staff", "student", "contact_a"])
def test_only_who_manages_the_organisation_imports(org, who):
    with pytest.raises(NotAllowed):
        run(org, table(["1", "x", "", "", "", "", "", "", "", ""]),
            actor=getattr(org.users, who))


def test_counts_by_college_and_year(org):
    run(org, table(["1001", "甲", "学生", "", "化学学院", "2024", "化学2401", "", "", ""],
                   ["1002", "乙", "学生", "", "化学学院", "2024", "化学2402", "", "", ""],
                   ["1003", "丙", "教职工", "", "化学学院", "", "", "", "", ""]))
    assert roster_counts() == [
        {"college": "化学学院", "year": 2024, "students": 2, "staff": 0, "classes": 2},
        {"college": "化学学院", "year": None, "students": 0, "staff": 1, "classes": 0}]


COLUMNS = {f"col_{key}": "" if index is None else str(index) for key, index in
           roster_plan_suggest(Table(headers=HEADERS)).columns.items()}
GOOD = ("\ufeff" + ",".join(HEADERS) + "\n"
        "2024010001,张三,学生,北校区,化学学院,2024级,化学2401,化学楼,412,１３８００００００01\n")
BAD = ",".join(HEADERS) + "\n2024010001,张三,学生,东校区,化学学院,2024,,,,\n"


def upload(client, text: str, name="名册.csv"):
    return client.post(reverse("organisation:roster_import"), {
        "file": SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")})


def test_the_pages_upload_map_and_import(org, client):
    client.force_login(org.users.admin)
    step1 = upload(client, GOOD)
    assert step1.status_code == 302 and len(kept_files()) == 2  # the file and its record
    step2 = client.get(step1.url)
    assert step2.status_code == 200 and "名册.csv" in step2.content.decode()
    done = client.post(step1.url, {**COLUMNS, "import": "1"}, follow=True)
    html = done.content.decode()
    assert done.redirect_chain[-1][0].endswith("/done/")
    assert "Roster imported: 1 rows, 1 people added, 0 updated, 1 new classes." in html
    assert User.objects.get(employee_number="2024010001").phone == "13800000001"  # folded
    assert [p for p in kept_files() if not p.endswith(".json")] == []  # the data is gone
    assert client.get(step1.url).url == done.redirect_chain[-1][0]  # done, not mapped again
    roster = client.get(reverse("organisation:roster")).content.decode()
    assert 'id="roster-classes"' in roster and "化学2401" in roster


def test_the_map_page_lists_bad_rows_and_deletes_the_file(org, client):
    client.force_login(org.users.admin)
    step1 = upload(client, BAD)
    page = client.post(step1.url, {**COLUMNS, "import": "1"})
    html = page.content.decode()
    assert page.status_code == 200 and "Unknown campus “东校区”." in html
    assert 'id="roster-upload-again"' in html
    assert not Affiliation.objects.exists()
    assert [p for p in kept_files() if not p.endswith(".json")] == []
    again = client.get(step1.url, follow=True)
    assert again.redirect_chain[-1][0] == reverse("organisation:roster_import")
    assert "That file was refused and deleted; upload the corrected file." in (
        again.content.decode())


def test_a_wrong_column_choice_keeps_the_file_for_another_try(org, client):
    client.force_login(org.users.admin)
    step1 = upload(client, GOOD)
    page = client.post(step1.url, {**COLUMNS, "col_number": "", "import": "1"})
    assert page.status_code == 200
    assert "Choose the column that holds “Student or staff number”." in page.content.decode()
    assert len(kept_files()) == 2
    assert client.post(step1.url, {**COLUMNS, "import": "1"}).status_code == 302


def test_a_new_upload_replaces_the_earlier_one(org, client):
    client.force_login(org.users.admin)
    first = upload(client, GOOD)
    second = upload(client, BAD, name="r.csv")
    assert len(kept_files()) == 2 and all(second.url.rstrip("/").rsplit("/", 1)[1] in p
                                          for p in kept_files())
    assert client.get(first.url).status_code == 404


def test_an_upload_is_for_its_uploader_only(org, client):
    from safecampus.accounts.models import Role
    from safecampus.tests.factories import user_with_role

    client.force_login(org.users.admin)
    step1 = upload(client, GOOD)
    client.force_login(user_with_role(Role.OFFICE_ADMIN, username="admin2"))
    assert client.get(step1.url).status_code == 404
    assert client.post(step1.url, {**COLUMNS, "import": "1"}).status_code == 404
    assert not User.objects.filter(employee_number="2024010001").exists()


def test_the_sweep_deletes_uploads_older_than_a_day(org, client):
    import datetime as dt

    from safecampus.core import clock

    client.force_login(org.users.admin)
    upload(client, GOOD)
    assert roster_uploads_sweep() == 0 and len(kept_files()) == 2
    assert roster_uploads_sweep(now=clock.now() + dt.timedelta(hours=23)) == 0
    assert roster_uploads_sweep(now=clock.now() + dt.timedelta(days=1, minutes=1)) == 2
    assert kept_files() == []


def test_roster_pages_are_closed_to_others(org, client):
    client.force_login(org.users.staff)
    assert client.get(reverse("organisation:roster")).status_code == 403
    assert client.get(reverse("organisation:roster_import")).status_code == 403
    token = "0" * 32
    for name in ("roster_import_map", "roster_import_done"):
        assert client.get(reverse(f"organisation:{name}", args=[token])).status_code == 403


def test_junk_tokens_are_404s(org, client):
    client.force_login(org.users.admin)
    for token in ("abc", "../../etc", "0" * 32, "A" * 32):
        assert client.get(f"/organisation/roster/import/{token}/").status_code == 404


def test_an_excel_file(org, client):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(["2025010001", "钱八", "学生", "南校区", "机械学院", 2025, "机械2501", "机械楼", "101",
                  "13900000002"])
    buffer = io.BytesIO()
    book.save(buffer)
    t = __import__("safecampus.core.spreadsheets", fromlist=["read_table"]).read_table(
        SimpleUploadedFile("r.xlsx", buffer.getvalue()))
    run(org, t)
    a = User.objects.get(employee_number="2025010001").affiliation
    assert (a.enrolment_year, a.class_group.name, a.dormitory, a.campus) == (
        2025, "机械2501", org.building_b, org.campus2)
