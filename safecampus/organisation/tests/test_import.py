"""Organisation import: units, buildings and places, users with roles; all or nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from safecampus.accounts.models import Membership, Role, User
from safecampus.core.models import ActivityEntry
from safecampus.core.spreadsheets import ImportRejected, read_table, write_xlsx
from safecampus.organisation import importing
from safecampus.organisation.models import Building, Place, RiskLevel, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_pages(client, settings):
    """Pages in English (the language cookie), so messages can be compared exactly."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def table_of(headers, rows, name="x.xlsx", text_columns=()):
    return read_table(SimpleUploadedFile(name, write_xlsx(headers, rows, text_columns=text_columns)))


def upload(headers, rows, name="x.xlsx"):
    return SimpleUploadedFile(name, write_xlsx(headers, rows))


# --- units --------------------------------------------------------------------------------
def test_units_are_created_and_updated_by_code(org):
    table = table_of(["单位代码", "单位名称", "单位类型", "办公电话", "启用"], [
        ["physics", "物理学院", "学院", "029-82668000", ""],
        ["chem", "化学与化工学院", "college", "", "否"],  # existing code: renamed, deactivated
        ["ＬＡＢ－１", "能源研究院", "研究院", 88668866, "是"],
    ])
    summary = importing.organisation_import(actor=org.users.admin, kind="units", table=table)
    assert (summary.created, summary.updated, summary.rows) == (2, 1, 3)
    physics = Unit.objects.get(code="physics")
    assert (physics.name, physics.kind, physics.phone) == ("物理学院", "college", "029-82668000")
    chem = Unit.objects.get(pk=org.unit_a.pk)
    assert (chem.name, chem.is_active) == ("化学与化工学院", False)
    lab = Unit.objects.get(code="LAB-1")
    assert (lab.kind, lab.phone) == (Unit.Kind.LAB, "88668866")
    assert ActivityEntry.objects.filter(verb="organisation.import").count() == 3


def test_bad_unit_rows_write_nothing(org):
    table = table_of(["code", "name", "kind"], [
        ["ok", "好的学院", "学院"],
        ["bad code", "坏代码学院", "学院"],
        ["ok", "另一个", "火星"],
        ["new", "机械学院", "学院"],  # the name belongs to unit "mech"
    ])
    with translation.override("en"), pytest.raises(ImportRejected) as excinfo:
        importing.organisation_import(actor=org.users.admin, kind="units", table=table)
    assert [(e.row, e.column, e.message) for e in excinfo.value.errors] == [
        (3, "code", "“bad code” is not a valid code: use letters, digits, - and _."),
        (4, "code", "ok is also in row 2."),
        (4, "kind", "“火星” is not a unit type."),
        (5, "name", "Another unit (mech) already has this name."),
    ]
    assert not Unit.objects.filter(code="ok").exists()


def test_missing_required_column(org):
    table = table_of(["单位代码", "单位名称"], [["x", "某学院"]])
    with translation.override("en"), pytest.raises(ImportRejected) as excinfo:
        importing.organisation_import(actor=org.users.admin, kind="units", table=table)
    assert [(e.row, e.column, e.message) for e in excinfo.value.errors] == [
        (1, "单位类型", "This column is missing.")]


# --- buildings and places -----------------------------------------------------------------
def test_buildings_and_places_in_one_sheet(org):
    headers = [c.header for c in importing.PLACE_COLUMNS]
    table = table_of(headers, [
        # campus, zone, building code, name, managing unit, place code, name, kind, unit, risk
        ["north", "n-grid-1", "lib", "图书馆", "logistics", "", "", "", "", ""],
        ["north", "", "lib", "", "", "lib-101", "自习室", "房间", "", "一般"],
        ["north", "", "a1", "", "", "a1-102", "102实验室", "实验室", "chem", "红"],
        ["south", "", "", "", "", "s-gate", "南门", "校门", "logistics", ""],
    ])
    summary = importing.organisation_import(actor=org.users.admin, kind="places", table=table)
    assert (summary.created, summary.updated) == (4, 0)
    library = Building.objects.get(code="lib")
    assert (library.name, library.campus, library.zone, library.unit) == (
        "图书馆", org.campus1, org.zone1, org.logistics)
    room = Place.objects.get(code="lib-101")
    assert (room.building, room.zone, room.risk_level, room.kind) == (
        library, org.zone1, RiskLevel.MODERATE, Place.Kind.ROOM)
    lab = Place.objects.get(code="a1-102")
    assert (lab.building, lab.unit, lab.risk_level, lab.kind) == (
        org.building_a, org.unit_a, RiskLevel.MAJOR, Place.Kind.LAB)
    gate = Place.objects.get(code="s-gate")
    assert (gate.building, gate.campus, gate.kind) == (None, org.campus2, Place.Kind.GATE)


def test_place_rows_with_unknown_codes_write_nothing(org):
    headers = [c.header for c in importing.PLACE_COLUMNS]
    table = table_of(headers, [
        ["north", "", "new-b", "", "", "", "", "", "", ""],
        ["west", "", "", "", "", "w-1", "西门", "校门", "", ""],
        ["south", "n-grid-1", "a1", "", "nobody", "a1-9", "", "宇宙", "", "紫"],
        ["north", "", "lib", "图书馆", "", "", "", "", "", ""],
    ])
    with translation.override("en"), pytest.raises(ImportRejected) as excinfo:
        importing.organisation_import(actor=org.users.admin, kind="places", table=table)
    assert [(e.row, e.column, e.message) for e in excinfo.value.errors] == [
        (2, "楼宇名称", "A new building needs a name."),
        (3, "校区代码", "Unknown campus code west."),
        (4, "网格代码", "Zone n-grid-1 is on another campus."),
        (4, "管理单位代码", "Unknown unit code nobody."),
        (4, "楼宇代码", "Building a1 is on another campus."),
        (4, "场所名称", "The place name is empty."),
        (4, "场所类型", "“宇宙” is not a place type."),
        (4, "风险等级", "“紫” is not a risk level."),
    ]
    assert not Building.objects.filter(code="lib").exists()


# --- users --------------------------------------------------------------------------------
def test_users_with_roles_keep_phone_and_staff_number_as_text(org):
    headers = [c.header for c in importing.USER_COLUMNS]
    table = table_of(headers, [
        ["wang", "王老师", 13800138000, "000123", "wang@example.edu.cn", "单位安全员", "chem", "", ""],
        ["wang", "", "", "", "", "unit_leader", "mech", "", ""],
        ["li", "李队员", "", "", "", "校卫队", "", "", "north"],
        ["zhao", "赵网格员", "", "", "", "Grid officer", "", "n-grid-1", ""],
        ["contact_a", "新名字", "", "", "", "单位安全员", "chem", "", ""],  # existing + same role
    ], text_columns=["工号/学号"])
    summary = importing.organisation_import(actor=org.users.admin, kind="users", table=table)
    assert (summary.created, summary.updated) == (3, 1)
    wang = User.objects.get(username="wang")
    assert (wang.full_name, wang.phone, wang.employee_number) == ("王老师", "13800138000", "000123")
    assert not wang.has_usable_password()
    assert set(wang.memberships.values_list("role", "unit__code")) == {
        (Role.UNIT_SAFETY_CONTACT, "chem"), (Role.UNIT_LEADER, "mech")}
    li = User.objects.get(username="li")
    assert list(li.memberships.values_list("role", "campus__code")) == [(Role.GUARD, "north")]
    zhao = User.objects.get(username="zhao")
    assert list(zhao.memberships.values_list("role", "zone__code")) == [
        (Role.GRID_OFFICER, "n-grid-1")]
    contact = User.objects.get(username="contact_a")
    assert contact.full_name == "新名字"
    assert contact.memberships.count() == 1  # the same membership is not added twice


def test_unknown_unit_code_and_bad_roles_write_nothing(org):
    headers = [c.header for c in importing.USER_COLUMNS]
    table = table_of(headers, [
        ["new1", "甲", "", "", "", "单位安全员", "physics", "", ""],
        ["new2", "乙", "138-0013-8000", "", "not-an-email", "保洁", "", "", ""],
        ["new3", "丙", "电话", "", "", "单位负责人", "", "", ""],
        ["new4", "丁", "", "", "", "网格员", "", "", ""],
    ])
    with translation.override("en"), pytest.raises(ImportRejected) as excinfo:
        importing.organisation_import(actor=org.users.admin, kind="users", table=table)
    assert [(e.row, e.column, e.message) for e in excinfo.value.errors] == [
        (2, "单位代码", "Unknown unit code physics."),
        (3, "邮箱", "“not-an-email” is not an e-mail address."),
        (3, "角色", "“保洁” is not a role."),
        (4, "手机号", "“电话” is not a phone number."),
        (4, "单位代码", "A unit safety contact or leader needs a unit code."),
        (5, "网格代码", "A grid officer needs a zone code."),
    ]
    assert not User.objects.filter(username__startswith="new").exists()
    assert Membership.objects.count() == 14  # the org fixture's users only


def test_only_office_admins_may_import(org):
    from safecampus.core.errors import NotAllowed

    table = table_of(["单位代码", "单位名称", "单位类型"], [["x", "某学院", "学院"]])
    with pytest.raises(NotAllowed):
        importing.organisation_import(actor=org.users.staff, kind="units", table=table)


# --- the page -----------------------------------------------------------------------------
def test_page_imports_each_kind_and_shows_errors(org, client):
    client.force_login(org.users.admin)
    page = client.get(reverse("organisation:import"))
    assert page.status_code == 200
    assert [c["kind"] for c in page.context["cards"]] == ["units", "places", "users"]
    # a good units file
    response = client.post(reverse("organisation:import"), {
        "kind": "units", "units-file": upload(["单位代码", "单位名称", "单位类型"],
                                              [["physics", "物理学院", "学院"]])})
    assert response.status_code == 302
    assert Unit.objects.filter(code="physics").exists()
    messages = [str(m) for m in client.get(response.url).context["messages"]]
    assert messages == ["Units: 1 created, 0 updated from 1 rows."]
    # a users file with an unknown unit code: errors listed, nothing written
    response = client.post(reverse("organisation:import"), {
        "kind": "users", "users-file": upload(["用户名", "角色", "单位代码"],
                                              [["u1", "单位安全员", "nope"]])})
    assert response.status_code == 200
    card = next(c for c in response.context["cards"] if c["kind"] == "users")
    assert [(e.row, e.message) for e in card["errors_shown"]] == [(2, "Unknown unit code nope.")]
    assert "Unknown unit code nope." in response.content.decode()
    assert not User.objects.filter(username="u1").exists()
    # a file of the wrong type is a form error
    response = client.post(reverse("organisation:import"), {
        "kind": "places", "places-file": SimpleUploadedFile("plan.pdf", b"%PDF-1.4")})
    card = next(c for c in response.context["cards"] if c["kind"] == "places")
    assert card["form"].errors["file"] == ["“plan.pdf” is not an Excel (.xlsx) or CSV (.csv) file."]


def test_templates_download_with_text_columns(org, client):
    client.force_login(org.users.admin)
    response = client.get(reverse("organisation:import_template", args=["users"]))
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers == [c.header for c in importing.USER_COLUMNS]
    phone_letter = "C"
    assert sheet.column_dimensions[phone_letter].number_format == "@"
    assert client.get(reverse("organisation:import_template", args=["nope"])).status_code == 404


def test_page_is_for_office_admins(org, client):
    for user in (org.users.staff, org.users.contact_a):
        client.force_login(user)
        assert client.get(reverse("organisation:import")).status_code == 403
        assert client.get(reverse("organisation:import_template", args=["units"])).status_code == 403
