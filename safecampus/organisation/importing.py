"""Importing the organisation from Excel: units; buildings and places; users with roles.

Each kind has a fixed sheet layout (Chinese headers, English accepted too; a template .xlsx
per kind from :func:`template_xlsx`). An upload is validated entirely first; if any row has
a problem nothing is written (:class:`~safecampus.core.spreadsheets.ImportRejected` lists
every problem with its row and column). Rows are matched by code (units, buildings, places)
or user name (users): a known code updates the record, a new one creates it. Each created or
updated record gets an ``organisation.import`` timeline entry.

Users: phone and staff/student numbers are kept as text (leading zeros and long digit strings
survive); roles may be given by code (``unit_safety_contact``) or Chinese or English name
(单位安全员); the scope is a unit, zone (grid) or campus code, and an unknown code is a row
error. New users get no usable password: they sign in after an administrator sets one or
through single sign-on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.accounts.models import Membership, Role, User
from safecampus.core import clock
from safecampus.core.errors import NotAllowed
from safecampus.core.models import ActivityEntry
from safecampus.core.spreadsheets import (
    ImportRejected,
    RowError,
    Table,
    fold_key,
    normalise_text,
    write_xlsx,
)

from .models import Building, Campus, Place, RiskLevel, Unit, Zone

VERB = "organisation.import"


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the template's (Chinese) header
    aliases: tuple[str, ...]
    help: object  # lazy translated description for the page
    required: bool = False
    text: bool = False  # written as a text column in the template


@dataclass
class ImportSummary:
    kind: str
    created: int
    updated: int
    rows: int


UNIT_COLUMNS = (
    Column("code", "单位代码", ("代码", "code", "unitcode"),
           gettext_lazy("Short code: letters, digits, - and _ (e.g. chem)."), True, True),
    Column("name", "单位名称", ("名称", "name", "unitname", "单位"),
           gettext_lazy("Full name, unique."), True),
    Column("kind", "单位类型", ("类型", "kind", "type"),
           gettext_lazy("学院, 书院, 职能部门, 实验室, 后勤, 外包 or 保卫处 (or the English code)."),
           True),
    Column("phone", "办公电话", ("电话", "phone", "officephone"),
           gettext_lazy("Office phone, kept as text."), False, True),
    Column("is_active", "启用", ("是否启用", "active", "isactive"),
           gettext_lazy("是 or 否; empty means 是.")),
)
PLACE_COLUMNS = (
    Column("campus", "校区代码", ("校区", "campus", "campuscode"),
           gettext_lazy("Code of the campus (must exist)."), True, True),
    Column("zone", "网格代码", ("网格", "zone", "zonecode", "grid"),
           gettext_lazy("Code of the grid on that campus (optional)."), False, True),
    Column("building_code", "楼宇代码", ("buildingcode", "building"),
           gettext_lazy("Code of the building; a new code creates the building."), False, True),
    Column("building_name", "楼宇名称", ("buildingname", "楼宇"),
           gettext_lazy("Name of the building (needed for a new building)."), False),
    Column("building_unit", "管理单位代码", ("管理单位", "buildingunit", "managingunit"),
           gettext_lazy("Code of the unit that manages the building (optional)."), False, True),
    Column("place_code", "场所代码", ("点位代码", "placecode"),
           gettext_lazy("Code of the room, lab, gate … (leave empty for a building-only row)."),
           False, True),
    Column("place_name", "场所名称", ("点位名称", "placename", "场所", "place"),
           gettext_lazy("Name of the place (needed with a place code)."), False),
    Column("place_kind", "场所类型", ("placekind", "类型", "kind"),
           gettext_lazy("房间, 实验室, 宿舍, 食堂, 道路, 校门, 停车场, 室外 or 其他; empty means 房间."),
           False),
    Column("place_unit", "责任单位代码", ("责任单位", "placeunit", "unit", "responsibleunit"),
           gettext_lazy("Code of the unit responsible for the place (optional)."), False, True),
    Column("risk_level", "风险等级", ("risklevel", "risk"),
           gettext_lazy("重大, 较大, 一般 or 低 (red, orange, yellow, blue); optional."), False),
)
USER_COLUMNS = (
    Column("username", "用户名", ("账号", "登录名", "username", "login"),
           gettext_lazy("Sign-in name; a known one updates that user."), True, True),
    Column("full_name", "姓名", ("fullname", "name"), gettext_lazy("Name shown everywhere."), False),
    Column("phone", "手机号", ("手机", "电话", "phone", "mobile"),
           gettext_lazy("Mobile phone, kept as text."), False, True),
    Column("employee_number", "工号/学号", ("工号", "学号", "employeenumber", "staffnumber",
                                         "studentnumber"),
           gettext_lazy("Staff or student number, kept as text (leading zeros stay)."), False, True),
    Column("email", "邮箱", ("电子邮箱", "email", "mail"), gettext_lazy("Optional."), False),
    Column("role", "角色", ("role",),
           gettext_lazy("e.g. 单位安全员, 单位负责人, 网格员, 校卫队, 保卫处工作人员 (or the English code)."),
           True),
    Column("unit", "单位代码", ("单位", "unit", "unitcode"),
           gettext_lazy("For unit roles: code of the unit."), False, True),
    Column("zone", "网格代码", ("网格", "zone", "zonecode"),
           gettext_lazy("For grid officers: code of the grid."), False, True),
    Column("campus", "校区代码", ("校区", "campus", "campuscode"),
           gettext_lazy("For guards and others working on one campus: code of the campus."),
           False, True),
)

UNIT_KIND_ALIASES = {
    Unit.Kind.COLLEGE: ("学院",),
    Unit.Kind.RESIDENTIAL_COLLEGE: ("书院",),
    Unit.Kind.OFFICE: ("职能部门", "部门", "机关"),
    Unit.Kind.LAB: ("实验室", "研究院", "研究所"),
    Unit.Kind.LOGISTICS: ("后勤", "后勤服务"),
    Unit.Kind.CONTRACTOR: ("外包", "驻校单位", "承包商"),
    Unit.Kind.SECURITY_OFFICE: ("保卫处", "保卫部"),
}
PLACE_KIND_ALIASES = {
    Place.Kind.ROOM: ("房间", "办公室", "教室"),
    Place.Kind.LAB: ("实验室",),
    Place.Kind.DORMITORY: ("宿舍",),
    Place.Kind.CANTEEN: ("食堂", "餐厅"),
    Place.Kind.ROAD: ("道路",),
    Place.Kind.GATE: ("校门", "大门", "门岗"),
    Place.Kind.CAR_PARK: ("停车场",),
    Place.Kind.OUTDOOR: ("室外", "室外区域", "广场"),
    Place.Kind.OTHER: ("其他",),
}
RISK_ALIASES = {
    RiskLevel.MAJOR: ("重大", "重大风险", "红", "红色"),
    RiskLevel.HIGH: ("较大", "较大风险", "橙", "橙色"),
    RiskLevel.MODERATE: ("一般", "一般风险", "黄", "黄色"),
    RiskLevel.LOW: ("低", "低风险", "蓝", "蓝色"),
}
ROLE_ALIASES = {
    Role.OFFICE_ADMIN: ("保卫处管理员", "处领导", "管理员"),
    Role.OFFICE_STAFF: ("保卫处工作人员", "工作人员", "检查员"),
    Role.GUARD: ("校卫队", "校卫队员", "特勤", "保安"),
    Role.GRID_OFFICER: ("网格员",),
    Role.UNIT_SAFETY_CONTACT: ("单位安全员", "安全员"),
    Role.UNIT_LEADER: ("单位负责人", "负责人"),
    Role.POLICE_LIAISON: ("联络民警", "民警"),
    Role.LEADERSHIP: ("校领导",),
    Role.COMMUNITY_MEMBER: ("师生", "学生", "教职工"),
    Role.COUNSELLOR: ("辅导员",),
}
YES = ("是", "y", "yes", "true", "1", "启用", "√")
NO = ("否", "n", "no", "false", "0", "停用", "×")


def _choice_index(choices, aliases) -> dict[str, str]:
    index = {}
    for value, label in choices:
        index[fold_key(value)] = value
        index[fold_key(str(label))] = value
        with translation.override("en"):
            index[fold_key(str(label))] = value
        for alias in aliases.get(value, ()):
            index[fold_key(alias)] = value
    return index


# --- reading the sheet ---------------------------------------------------------------------
class _Sheet:
    """Cells of a table by our column keys, with errors collected per row."""

    def __init__(self, table: Table, columns: tuple[Column, ...]):
        self.table = table
        self.columns = {c.key: c for c in columns}
        self.errors: list[RowError] = []
        self.index: dict[str, int] = {}
        folded = [fold_key(h) for h in table.headers]
        for column in columns:
            for name in (column.header, *column.aliases):
                key = fold_key(name)
                hit = next((i for i, f in enumerate(folded)
                            if f == key and i not in self.index.values()), None)
                if hit is not None:
                    self.index[column.key] = hit
                    break
            if column.required and column.key not in self.index:
                self.errors.append(RowError(1, column.header, _("This column is missing.")))

    def header(self, key: str) -> str:
        return self.table.headers[self.index[key]] if key in self.index else self.columns[key].header

    def get(self, cells, key: str) -> str:
        return normalise_text(cells[self.index[key]]) if key in self.index else ""

    def fail(self, row: int, key: str, message: str) -> None:
        self.errors.append(RowError(row, self.header(key), message))

    def rejected(self) -> ImportRejected:
        self.errors.sort(key=lambda e: e.row)
        return ImportRejected(self.errors, total_rows=len(self.table))


def _check_code(sheet: _Sheet, row: int, key: str, value: str, max_length: int = 32) -> None:
    try:
        validate_slug(value)
    except ValidationError:
        sheet.fail(row, key, _("“%(value)s” is not a valid code: use letters, digits, - and _.")
                   % {"value": value})
        return
    if len(value) > max_length:
        sheet.fail(row, key, _("Longer than %(limit)s characters.") % {"limit": max_length})


def _check_length(sheet: _Sheet, row: int, key: str, value: str, limit: int) -> None:
    if len(value) > limit:
        sheet.fail(row, key, _("Longer than %(limit)s characters.") % {"limit": limit})


def _lookup(sheet: _Sheet, row: int, key: str, value: str, known: dict, message: str):
    if not value:
        return None
    found = known.get(value.casefold())
    if found is None:
        sheet.fail(row, key, message % {"code": value})
    return found


def _codes(model) -> dict:
    return {obj.code.casefold(): obj for obj in model.objects.all()}


def _record(actor, *, created: list, updated: list) -> None:
    """One ``organisation.import`` timeline entry per created or updated record."""
    now = clock.now()
    actor = actor if actor.is_authenticated else None
    entries = [
        ActivityEntry(target_type=ContentType.objects.get_for_model(type(obj)), target_id=obj.pk,
                      actor=actor, verb=VERB, to_state=state, occurred_at=now)
        for state, objects in (("created", created), ("updated", updated)) for obj in objects
    ]
    ActivityEntry.objects.bulk_create(entries, batch_size=1000)


# --- units ---------------------------------------------------------------------------------
def _units(*, actor, table: Table) -> ImportSummary:
    sheet = _Sheet(table, UNIT_COLUMNS)
    if sheet.errors:
        raise sheet.rejected()
    kinds = _choice_index(Unit.Kind.choices, UNIT_KIND_ALIASES)
    existing = _codes(Unit)
    names = {u.name: u.code.casefold() for u in existing.values()}
    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    rows = []
    for number, cells in table.numbered():
        code, name = sheet.get(cells, "code"), sheet.get(cells, "name")
        kind_text, phone = sheet.get(cells, "kind"), sheet.get(cells, "phone")
        active_text = sheet.get(cells, "is_active")
        if not code:
            sheet.fail(number, "code", _("The code is empty."))
        else:
            _check_code(sheet, number, "code", code)
            if code.casefold() in seen_codes:
                sheet.fail(number, "code", _("%(code)s is also in row %(row)s.")
                           % {"code": code, "row": seen_codes[code.casefold()]})
            seen_codes.setdefault(code.casefold(), number)
        if not name:
            sheet.fail(number, "name", _("The name is empty."))
        else:
            _check_length(sheet, number, "name", name, 100)
            if name in seen_names:
                sheet.fail(number, "name", _("%(name)s is also in row %(row)s.")
                           % {"name": name, "row": seen_names[name]})
            seen_names.setdefault(name, number)
            owner = names.get(name)
            if owner is not None and owner != code.casefold():
                sheet.fail(number, "name", _("Another unit (%(code)s) already has this name.")
                           % {"code": existing[owner].code})
        kind = kinds.get(fold_key(kind_text))
        if kind is None:
            sheet.fail(number, "kind", _("“%(value)s” is not a unit type.") % {"value": kind_text})
        _check_length(sheet, number, "phone", phone, 32)
        active = True
        if active_text:
            if fold_key(active_text) in {fold_key(v) for v in YES}:
                active = True
            elif fold_key(active_text) in {fold_key(v) for v in NO}:
                active = False
            else:
                sheet.fail(number, "is_active", _("Write 是 or 否."))
        rows.append((code, name, kind, phone, active))
    if sheet.errors:
        raise sheet.rejected()
    created, updated = [], []
    with transaction.atomic():
        locked = {u.code.casefold(): u for u in Unit.objects.select_for_update()}
        for code, name, kind, phone, active in rows:
            unit = locked.get(code.casefold())
            if unit is None:
                created.append(Unit(code=code, name=name, kind=kind, phone=phone, is_active=active))
            else:
                unit.name, unit.kind, unit.phone, unit.is_active = name, kind, phone, active
                unit.updated_at = clock.now()
                updated.append(unit)
        Unit.objects.bulk_create(created, batch_size=1000)
        Unit.objects.bulk_update(updated, ["name", "kind", "phone", "is_active", "updated_at"],
                                 batch_size=1000)
        _record(actor, created=created, updated=updated)
    return ImportSummary("units", len(created), len(updated), len(table))


# --- buildings and places ------------------------------------------------------------------
def _places(*, actor, table: Table) -> ImportSummary:
    sheet = _Sheet(table, PLACE_COLUMNS)
    if sheet.errors:
        raise sheet.rejected()
    campuses, zones, units = _codes(Campus), _codes(Zone), _codes(Unit)
    buildings, places = _codes(Building), _codes(Place)
    place_kinds = _choice_index(Place.Kind.choices, PLACE_KIND_ALIASES)
    risks = _choice_index(RiskLevel.choices, RISK_ALIASES)
    new_buildings: dict[str, dict] = {}  # code → fields, from the first row that names it
    place_rows: dict[str, int] = {}
    building_ops, place_ops = [], []
    for number, cells in table.numbered():
        g = {c.key: sheet.get(cells, c.key) for c in PLACE_COLUMNS}
        campus = _lookup(sheet, number, "campus", g["campus"], campuses,
                         _("Unknown campus code %(code)s."))
        if not g["campus"]:
            sheet.fail(number, "campus", _("The campus code is empty."))
        zone = _lookup(sheet, number, "zone", g["zone"], zones, _("Unknown zone code %(code)s."))
        if zone and campus and zone.campus_id != campus.pk:
            sheet.fail(number, "zone", _("Zone %(code)s is on another campus.") % {"code": g["zone"]})
        if not g["building_code"] and not g["place_code"]:
            sheet.fail(number, "building_code", _("Give a building code, a place code or both."))
        for key in ("building_code", "place_code"):
            if g[key]:
                _check_code(sheet, number, key, g[key], 32 if key == "building_code" else 48)
        building_unit = _lookup(sheet, number, "building_unit", g["building_unit"], units,
                                _("Unknown unit code %(code)s."))
        place_unit = _lookup(sheet, number, "place_unit", g["place_unit"], units,
                             _("Unknown unit code %(code)s."))
        _check_length(sheet, number, "building_name", g["building_name"], 100)
        _check_length(sheet, number, "place_name", g["place_name"], 100)
        bcode = g["building_code"].casefold()
        if bcode:
            known = buildings.get(bcode)
            if known is not None and campus and known.campus_id != campus.pk:
                sheet.fail(number, "building_code", _("Building %(code)s is on another campus.")
                           % {"code": g["building_code"]})
            first = new_buildings.get(bcode)
            if first is None:
                if known is None and not g["building_name"]:
                    sheet.fail(number, "building_name", _("A new building needs a name."))
                new_buildings[bcode] = {"row": number, "campus": campus}
                if g["building_name"] or known is None:
                    building_ops.append((g["building_code"], g["building_name"], campus, zone,
                                         building_unit, known))
            elif campus and first["campus"] and first["campus"].pk != campus.pk:
                sheet.fail(number, "campus", _("Building %(code)s is on another campus in row "
                                               "%(row)s.") % {"code": g["building_code"],
                                                              "row": first["row"]})
        if g["place_code"]:
            pcode = g["place_code"].casefold()
            if pcode in place_rows:
                sheet.fail(number, "place_code", _("%(code)s is also in row %(row)s.")
                           % {"code": g["place_code"], "row": place_rows[pcode]})
            place_rows.setdefault(pcode, number)
            if not g["place_name"]:
                sheet.fail(number, "place_name", _("The place name is empty."))
            kind = place_kinds.get(fold_key(g["place_kind"])) if g["place_kind"] else Place.Kind.ROOM
            if kind is None:
                sheet.fail(number, "place_kind", _("“%(value)s” is not a place type.")
                           % {"value": g["place_kind"]})
            risk = ""
            if g["risk_level"]:
                risk = risks.get(fold_key(g["risk_level"]))
                if risk is None:
                    sheet.fail(number, "risk_level", _("“%(value)s” is not a risk level.")
                               % {"value": g["risk_level"]})
            place_ops.append((g["place_code"], g["place_name"], kind, risk, campus, zone,
                              bcode or None, place_unit, places.get(pcode)))
    if sheet.errors:
        raise sheet.rejected()
    created, updated = [], []
    with transaction.atomic():
        by_code = {b.code.casefold(): b for b in Building.objects.select_for_update()}
        for code, name, campus, zone, unit, _known in building_ops:
            building = by_code.get(code.casefold())
            if building is None:
                building = Building(code=code, name=name, campus=campus, zone=zone, unit=unit)
                building.save()
                created.append(building)
            else:
                building.name = name or building.name
                building.zone = zone or building.zone
                building.unit = unit or building.unit
                building.save()
                updated.append(building)
            by_code[code.casefold()] = building
        for code, name, kind, risk, campus, zone, bcode, unit, known in place_ops:
            building = by_code.get(bcode) if bcode else None
            place = Place.objects.select_for_update().filter(pk=known.pk).first() if known else None
            if place is None:
                place = Place(code=code)
                created_flag = True
            else:
                created_flag = False
            place.name, place.kind, place.campus, place.building = name, kind, campus, building
            place.zone = zone or (building.zone if building else None)
            place.unit = unit
            if risk:
                place.risk_level = risk
            place.save()
            (created if created_flag else updated).append(place)
        _record(actor, created=created, updated=updated)
    return ImportSummary("places", len(created), len(updated), len(table))


# --- users ---------------------------------------------------------------------------------
UNIT_ROLES_NEEDING_UNIT = (Role.UNIT_SAFETY_CONTACT, Role.UNIT_LEADER)


def _users(*, actor, table: Table) -> ImportSummary:
    sheet = _Sheet(table, USER_COLUMNS)
    if sheet.errors:
        raise sheet.rejected()
    roles = _choice_index(Role.choices, ROLE_ALIASES)
    campuses, zones, units = _codes(Campus), _codes(Zone), _codes(Unit)
    existing = {u.username.casefold(): u for u in User.objects.all()}
    username_ok = UnicodeUsernameValidator()
    people: dict[str, dict] = {}
    memberships = []
    for number, cells in table.numbered():
        g = {c.key: sheet.get(cells, c.key) for c in USER_COLUMNS}
        username = g["username"]
        if not username:
            sheet.fail(number, "username", _("The user name is empty."))
        else:
            try:
                username_ok(username)
            except ValidationError:
                sheet.fail(number, "username", _("“%(value)s” is not a valid user name: letters, "
                                                 "digits and @ . + - _ only.") % {"value": username})
            _check_length(sheet, number, "username", username, 150)
        _check_length(sheet, number, "full_name", g["full_name"], 64)
        phone = g["phone"]
        if phone and not all(ch.isdigit() or ch in "+- " for ch in phone):
            sheet.fail(number, "phone", _("“%(value)s” is not a phone number.") % {"value": phone})
        _check_length(sheet, number, "phone", phone, 20)
        _check_length(sheet, number, "employee_number", g["employee_number"], 32)
        if g["email"]:
            try:
                validate_email(g["email"])
            except ValidationError:
                sheet.fail(number, "email", _("“%(value)s” is not an e-mail address.")
                           % {"value": g["email"]})
        role = roles.get(fold_key(g["role"])) if g["role"] else None
        if role is None:
            sheet.fail(number, "role", _("“%(value)s” is not a role.") % {"value": g["role"]}
                       if g["role"] else _("The role is empty."))
        unit = _lookup(sheet, number, "unit", g["unit"], units, _("Unknown unit code %(code)s."))
        zone = _lookup(sheet, number, "zone", g["zone"], zones, _("Unknown zone code %(code)s."))
        campus = _lookup(sheet, number, "campus", g["campus"], campuses,
                         _("Unknown campus code %(code)s."))
        if role in UNIT_ROLES_NEEDING_UNIT and not g["unit"]:
            sheet.fail(number, "unit", _("A unit safety contact or leader needs a unit code."))
        if role == Role.GRID_OFFICER and not g["zone"]:
            sheet.fail(number, "zone", _("A grid officer needs a zone code."))
        key = username.casefold()
        person = people.setdefault(key, {"username": username, "row": number})
        for field in ("full_name", "phone", "employee_number", "email"):
            if g[field]:
                if person.get(field) and person[field] != g[field]:
                    sheet.fail(number, field, _("Differs from row %(row)s for the same user.")
                               % {"row": person["row"]})
                person.setdefault(field, g[field])
        memberships.append((key, role, unit, zone, campus))
    if sheet.errors:
        raise sheet.rejected()
    created, updated = [], []
    with transaction.atomic():
        for key, person in people.items():
            user = existing.get(key)
            if user is None:
                user = User(username=person["username"])
                user.set_unusable_password()
                created.append(user)
            else:
                updated.append(user)
            for field in ("full_name", "phone", "employee_number", "email"):
                if person.get(field):
                    setattr(user, field, person[field])
            user.save()
            existing[key] = user
        have = set(Membership.objects.filter(user__in=[existing[k] for k in people]).values_list(
            "user_id", "role", "unit_id", "zone_id", "campus_id"))
        new = []
        for key, role, unit, zone, campus in memberships:
            user = existing[key]
            ident = (user.pk, role, unit.pk if unit else None, zone.pk if zone else None,
                     campus.pk if campus else None)
            if ident not in have:
                have.add(ident)
                new.append(Membership(user=user, role=role, unit=unit, zone=zone, campus=campus))
        Membership.objects.bulk_create(new, batch_size=1000)
        _record(actor, created=created, updated=updated)
    return ImportSummary("users", len(created), len(updated), len(table))


# --- entry points --------------------------------------------------------------------------
KINDS: dict[str, tuple[object, tuple[Column, ...], Callable]] = {
    "units": (gettext_lazy("Units"), UNIT_COLUMNS, _units),
    "places": (gettext_lazy("Buildings and places"), PLACE_COLUMNS, _places),
    "users": (gettext_lazy("Users and roles"), USER_COLUMNS, _users),
}


def organisation_import(*, actor, kind: str, table: Table) -> ImportSummary:
    """Validate every row of ``table`` as a ``kind`` sheet (``units``, ``places`` or
    ``users``) and, only if all are valid, write them in one transaction.

    Returns how many records were created and updated. Raises NotAllowed without
    ``organisation.manage_organisation``; :class:`ImportRejected` with every row error
    (nothing written); ValueError for an unknown ``kind``.
    """
    if kind not in KINDS:
        raise ValueError(kind)
    if not actor.has_perm("organisation.manage_organisation"):
        raise NotAllowed()
    if not table.rows:
        raise ImportRejected([], message=_("The file has column headers but no rows to import."))
    return KINDS[kind][2](actor=actor, table=table)


def template_xlsx(kind: str) -> bytes:
    """An empty sheet with the headers of ``kind``; code, phone and number columns are
    formatted as text so that what is typed in keeps its leading zeros."""
    columns = KINDS[kind][1]
    headers = [c.header for c in columns]
    return write_xlsx(headers, [], text_columns=[c.header for c in columns if c.text],
                      widths=[max(12, len(c.header) * 3) for c in columns],
                      sheet_title=str(kind))
