"""Importing the roster (学籍/人事名册): people with their college, year group, class and
dormitory, from an Excel or CSV sheet through the column-mapping import
(:mod:`safecampus.core.importing`: the file's headers are matched to our fields, the user can
change the choice, then every row is checked before anything is written).

Columns: 学号/工号 (needed), 姓名 (needed), 身份 (学生 / 教职工; empty: student when a year
group is given, else staff), 校区, 学院, 年级, 班级, 宿舍楼, 房间, 手机. Campus, college and
dormitory building are matched by name or code, case and width ignored; an unknown one is a
row error naming it. A student's college must be a college (学院 or 书院). A class is found by
its name within the college and year group, and created when new (it needs both).

People are matched by staff/student number (``User.employee_number``), else by a user name
equal to the number: a known one is updated (name, phone when given, affiliation), a new one
is created with the number as user name, the 师生 role and no usable password (the same as
the organisation import: they sign in once an administrator sets one, or through the
university's single sign-on in front of the site).
All or nothing: one bad row and nothing is written (:class:`ImportRejected` lists the rows).
Each created or updated person gets an ``accounts.roster_import`` timeline entry.

The pages are the shared column-mapping import pages (:class:`~safecampus.core.import_views.
ImportPages`). A roster holds personal data (names, numbers, phones, rooms), so its upload
is kept only while it is being mapped: in the default storage (S3-compatible when there is
more than one web node) under ``roster-imports/u<user id>/<token>``, with a small JSON record
beside it (the file's name, the state, the plan; after the import the counts). The file is
deleted when the import is done, when it is refused for bad rows, and when the same person
uploads another roster (one open roster upload per person); :func:`roster_uploads_sweep`
(a daily task) deletes whatever is left after a day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.accounts.models import Affiliation, Membership, Role, User
from safecampus.core import clock
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.importing import (
    ErrorCollector,
    MappingPlan,
    RowCells,
    Target,
    column_problems,
    lock_imports,
    suggest_columns,
)
from safecampus.core.models import ActivityEntry
from safecampus.core.phones import phone_is_valid, phone_normalise
from safecampus.core.spreadsheets import ImportRejected, Table, fold_key

from .models import STUDENT_UNIT_KINDS, Building, Campus, ClassGroup, Unit

VERB = "accounts.roster_import"
PERMISSION = "organisation.manage_organisation"
BATCH = 1000
#: The most rows one file may hold.
MAX_ROWS = 60_000

TARGETS = (
    Target("number", gettext_lazy("Student or staff number"),
           ("学号/工号", "学号", "工号", "学工号", "studentnumber", "staffnumber", "number"), True),
    Target("name", gettext_lazy("Name"), ("姓名", "名字", "name", "fullname"), True),
    Target("kind", gettext_lazy("Student or staff"), ("身份", "人员类别", "类别", "kind", "type")),
    Target("campus", gettext_lazy("Campus"), ("校区", "campus")),
    Target("college", gettext_lazy("College or unit"), ("学院", "院系", "单位", "部门", "college",
                                                        "unit")),
    Target("year", gettext_lazy("Year group"), ("年级", "入学年份", "year", "grade")),
    Target("class", gettext_lazy("Class"), ("班级", "class")),
    Target("dormitory", gettext_lazy("Dormitory building"), ("宿舍楼", "楼栋", "宿舍", "dormitory",
                                                             "building")),
    Target("room", gettext_lazy("Room"), ("房间", "房间号", "宿舍号", "room")),
    Target("phone", gettext_lazy("Mobile phone"), ("手机", "手机号", "电话", "phone", "mobile")),
)
KIND_WORDS = {
    Affiliation.Kind.STUDENT: ("学生", "本科生", "研究生", "硕士", "博士", "student"),
    Affiliation.Kind.STAFF: ("教职工", "教师", "职工", "老师", "staff", "teacher"),
}
_YEAR = re.compile(r"^(\d{4})(?:级|年级)?$")


class RosterPlan(MappingPlan):
    TARGET_KEYS = tuple(t.key for t in TARGETS)


def roster_plan_suggest(table: Table) -> RosterPlan:
    """The plan the file's headers suggest."""
    return RosterPlan(columns=suggest_columns(table.headers, TARGETS))


@dataclass
class RosterSummary:
    rows: int
    created: int
    updated: int
    classes_created: int
    class_names: list[str] = field(default_factory=list)


def _index(objects, *attrs) -> dict:
    """Folded name/code → object; a folded text two objects share maps to None."""
    found: dict = {}
    for obj in objects:
        for attr in attrs:
            key = fold_key(getattr(obj, attr))
            if key in found and found[key] is not obj:
                found[key] = None
            else:
                found[key] = obj
    return found


def _kinds() -> dict[str, str]:
    index = {}
    for kind, words in KIND_WORDS.items():
        for word in (*words, kind):
            index[fold_key(word)] = kind
    return index


def class_code(college: Unit, year: int, name: str) -> str:
    """A stable code for a new class (codes are unique slugs of at most 32 characters)."""
    digest = hashlib.sha1(f"{college.pk}:{year}:{name}".encode()).hexdigest()[:8]
    return f"{college.code[:16]}-{year}-{digest}"


def _validate(table: Table, plan: RosterPlan):
    """Every row checked; returns ``(rows, errors)`` with rows as dicts."""
    campuses = _index(Campus.objects.all(), "name", "code")
    units = _index(Unit.objects.filter(is_active=True), "name", "code")
    buildings = _index(Building.objects.all(), "name", "code")
    kinds = _kinds()
    errors = ErrorCollector()
    seen: dict[str, int] = {}
    rows = []
    for number, cells in table.numbered():
        row = RowCells(number, cells, columns=plan.columns, headers=table.headers)
        values = {key: row.text(key) for key in RosterPlan.TARGET_KEYS}
        ident, name = values["number"], values["name"]
        if not ident:
            row.fail("number", _("The number is empty."))
        elif len(ident) > 32:
            row.fail("number", _("Longer than %(limit)s characters.") % {"limit": 32})
        elif ident in seen:
            row.fail("number", _("%(code)s is also in row %(row)s.") % {"code": ident,
                                                                       "row": seen[ident]})
        else:
            seen[ident] = number
        if not name:
            row.fail("name", _("The name is empty."))
        elif len(name) > 64:
            row.fail("name", _("Longer than %(limit)s characters.") % {"limit": 64})
        year = None
        if values["year"]:
            match = _YEAR.match(values["year"].replace(".0", "") if values["year"].endswith(
                ".0") else values["year"])
            year = int(match[1]) if match else None
            if year is None or not 1950 <= year <= 2100:
                row.fail("year", _("“%(value)s” is not a year group (write e.g. 2024 or "
                                   "2024级).") % {"value": values["year"]})
                year = None
        kind = (kinds.get(fold_key(values["kind"])) if values["kind"] else
                (Affiliation.Kind.STUDENT if values["year"] else Affiliation.Kind.STAFF))
        if kind is None:
            row.fail("kind", _("“%(value)s” is neither 学生 nor 教职工.") % {"value": values["kind"]})
        campus = college = building = None
        if values["campus"]:
            campus = campuses.get(fold_key(values["campus"]))
            if campus is None:
                row.fail("campus", _("Unknown campus “%(value)s”.") % {"value": values["campus"]})
        if values["college"]:
            college = units.get(fold_key(values["college"]))
            if college is None:
                row.fail("college", _("Unknown college or unit “%(value)s”.")
                         % {"value": values["college"]})
            elif kind == Affiliation.Kind.STUDENT and college.kind not in STUDENT_UNIT_KINDS:
                row.fail("college", _("%(unit)s is not a college.") % {"unit": college.name})
        if values["dormitory"]:
            building = buildings.get(fold_key(values["dormitory"]))
            if building is None:
                row.fail("dormitory", _("Unknown building “%(value)s”.")
                         % {"value": values["dormitory"]})
        if values["class"]:
            if len(values["class"]) > 64:
                row.fail("class", _("Longer than %(limit)s characters.") % {"limit": 64})
            elif not values["college"] or not values["year"]:
                row.fail("class", _("A class needs the college and the year group in the same "
                                    "row."))
        if len(values["room"]) > 16:
            row.fail("room", _("Longer than %(limit)s characters.") % {"limit": 16})
        phone = phone_normalise(values["phone"])
        if phone and not phone_is_valid(phone):
            row.fail("phone", _("“%(value)s” is not a phone number.") % {"value": phone})
        elif len(phone) > 20:
            row.fail("phone", _("Longer than %(limit)s characters.") % {"limit": 20})
        errors.extend(row.errors)
        if not row.errors:
            rows.append({"number": ident, "name": name, "kind": kind, "campus": campus,
                         "college": college, "year": year, "class": values["class"],
                         "dormitory": building, "room": values["room"], "phone": phone,
                         "_row": number})
    return rows, errors


def roster_import(*, actor, table: Table, plan: RosterPlan) -> RosterSummary:
    """Check every row of ``table`` read with ``plan``'s columns and, only if all are valid,
    create or update the people, their affiliations and new classes in one transaction.

    Raises NotAllowed without ``organisation.manage_organisation``; DomainError for a plan
    whose columns are missing or impossible (field ``columns``) or a file with too many rows;
    :class:`ImportRejected` listing the bad rows (nothing written)."""
    if not actor.has_perm(PERMISSION):
        raise NotAllowed()
    problems = column_problems(table, plan, TARGETS)
    if problems:
        raise DomainError(problems[0], field_errors={"columns": problems})
    if not table.rows:
        raise ImportRejected([], message=_("The file has column headers but no rows to import."))
    if len(table.rows) > MAX_ROWS:
        raise DomainError(_("At most %(count)s rows in one file; split it.") % {"count": MAX_ROWS})
    rows, errors = _validate(table, plan)
    if errors:
        raise ImportRejected(errors.errors, total_rows=len(table), error_total=errors.total)
    with transaction.atomic():
        lock_imports(VERB)
        return _write(actor, rows, total=len(table))


def _write(actor, rows: list[dict], *, total: int) -> RosterSummary:
    now = clock.now()
    # classes: found by name within college and year group; new ones created
    wanted = {(r["college"].pk, r["year"], r["class"]): r for r in rows if r["class"]}
    classes = {(g.college_id, g.enrolment_year, g.name): g for g in ClassGroup.objects.filter(
        college_id__in={k[0] for k in wanted}, enrolment_year__in={k[1] for k in wanted})}
    new_classes = [ClassGroup(college=r["college"], enrolment_year=r["year"], name=r["class"],
                              code=class_code(r["college"], r["year"], r["class"]),
                              campus=r["campus"])
                   for key, r in wanted.items() if key not in classes]
    ClassGroup.objects.bulk_create(new_classes, batch_size=BATCH)
    classes.update({(g.college_id, g.enrolment_year, g.name): g for g in ClassGroup.objects.filter(
        code__in=[g.code for g in new_classes])})

    numbers = [r["number"] for r in rows]
    known: dict[str, User] = {}
    for start in range(0, len(numbers), BATCH):
        chunk = numbers[start:start + BATCH]
        for user in User.objects.filter(Q(employee_number__in=chunk) | Q(username__in=chunk)):
            key = user.employee_number if user.employee_number in chunk else user.username
            known.setdefault(key, user)
    password = make_password(None)  # unusable: nobody can sign in with a guessed one
    created, updated = [], []
    for r in rows:
        user = known.get(r["number"])
        if user is None:
            user = User(username=r["number"], employee_number=r["number"], full_name=r["name"],
                        phone=r["phone"], password=password)
            created.append(user)
        else:
            user.full_name, user.employee_number = r["name"], r["number"]
            if r["phone"]:
                user.phone = r["phone"]
            updated.append(user)
        r["user"] = user
    User.objects.bulk_create(created, batch_size=BATCH)
    if any(u.pk is None for u in created):  # a backend without RETURNING
        ids = dict(User.objects.filter(username__in=[u.username for u in created])
                   .values_list("username", "pk"))
        for user in created:
            user.pk = ids[user.username]
    User.objects.bulk_update(updated, ["full_name", "employee_number", "phone"], batch_size=BATCH)
    Membership.objects.bulk_create([Membership(user=u, role=Role.COMMUNITY_MEMBER)
                                    for u in created], batch_size=BATCH)

    existing = {a.user_id: a for a in Affiliation.objects.filter(
        user_id__in=[u.pk for u in updated])}
    new_rows, changed = [], []
    for r in rows:
        group = classes.get((r["college"].pk, r["year"], r["class"])) if r["class"] else None
        values = {"kind": r["kind"], "campus": r["campus"] or (group.campus if group else None),
                  "college": r["college"], "enrolment_year": r["year"], "class_group": group,
                  "dormitory": r["dormitory"], "room": r["room"]}
        affiliation = existing.get(r["user"].pk)
        if affiliation is None:
            new_rows.append(Affiliation(user=r["user"], **values))
        else:
            for name, value in values.items():
                setattr(affiliation, name, value)
            affiliation.updated_at = now
            changed.append(affiliation)
    Affiliation.objects.bulk_create(new_rows, batch_size=BATCH)
    Affiliation.objects.bulk_update(changed, ["kind", "campus", "college", "enrolment_year",
                                              "class_group", "dormitory", "room", "updated_at"],
                                    batch_size=BATCH)
    user_type = ContentType.objects.get_for_model(User)
    actor_id = actor.pk if actor.is_authenticated else None
    ActivityEntry.objects.bulk_create(
        [ActivityEntry(target_type=user_type, target_id=u.pk, actor_id=actor_id, verb=VERB,
                       to_state=state, occurred_at=now)
         for state, people in (("created", created), ("updated", updated)) for u in people],
        batch_size=BATCH)
    return RosterSummary(rows=total, created=len(created), updated=len(updated),
                         classes_created=len(new_classes),
                         class_names=[g.name for g in new_classes[:20]])


# --- reads -------------------------------------------------------------------------------------
def roster_counts() -> list[dict]:
    """People in the roster by college and year group: ``[{"college", "year", "students",
    "staff", "classes"}]``, by college, newest year group first, people without a year
    group last (two aggregate queries)."""
    people = (Affiliation.objects.values("college__name", "enrolment_year")
              .annotate(students=Count("pk", filter=Q(kind=Affiliation.Kind.STUDENT)),
                        staff=Count("pk", filter=Q(kind=Affiliation.Kind.STAFF)))
              .order_by(F("college__name").asc(nulls_last=True),
                        F("enrolment_year").desc(nulls_last=True)))
    classes = {(row["college__name"], row["enrolment_year"]): row["n"] for row in
               ClassGroup.objects.filter(is_active=True)
               .values("college__name", "enrolment_year").annotate(n=Count("pk"))}
    return [{"college": row["college__name"] or "", "year": row["enrolment_year"],
             "students": row["students"], "staff": row["staff"],
             "classes": classes.get((row["college__name"], row["enrolment_year"]), 0)}
            for row in people]


def roster_classes():
    """Active classes with their college and campus and how many people they hold (paginate)."""
    return (ClassGroup.objects.filter(is_active=True).select_related("college", "campus")
            .annotate(people=Count("affiliations"))
            .order_by("college__code", "-enrolment_year", "name"))


# --- the upload between the steps (personal data: kept briefly, then deleted) ------------------
UPLOAD_FOLDER = "roster-imports"
#: Uploads (and their records) older than this are deleted by :func:`roster_uploads_sweep`.
UPLOAD_MAX_AGE = dt.timedelta(days=1)
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class RosterUpload:
    """One roster upload being imported (the "job" of the import pages). ``pk`` is a random
    token; ``path`` the kept file ("" once deleted); ``plan`` the mapping (JSON);
    ``summary`` the counts once imported."""

    class State:
        UPLOADED = "uploaded"
        REJECTED = "rejected"  # bad rows: the file is deleted
        IMPORTED = "imported"  # the file is deleted

    pk: str
    user_id: int
    original_name: str
    path: str
    row_count: int
    state: str = State.UPLOADED
    plan: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    created_at: str = ""

    @property
    def folder(self) -> str:
        return f"{UPLOAD_FOLDER}/u{self.user_id}"

    @property
    def record(self) -> str:
        return f"{self.folder}/{self.pk}.json"


def _storage():
    from django.core.files.storage import default_storage

    return default_storage


def _save_record(upload: RosterUpload) -> None:
    import json
    from dataclasses import asdict

    from django.core.files.base import ContentFile

    storage = _storage()
    if storage.exists(upload.record):
        storage.delete(upload.record)
    storage.save(upload.record, ContentFile(json.dumps(asdict(upload)).encode()))


def _delete_file(upload: RosterUpload) -> None:
    if upload.path:
        _storage().delete(upload.path)
        upload.path = ""


def _load(user_id: int, token: str) -> RosterUpload | None:
    import json

    storage = _storage()
    record = f"{UPLOAD_FOLDER}/u{user_id}/{token}.json"
    if not storage.exists(record):
        return None
    try:
        with storage.open(record, "rb") as handle:
            return RosterUpload(**json.loads(handle.read().decode()))
    except (FileNotFoundError, ValueError, TypeError):  # swept meanwhile, or not ours
        return None


def _drop_open_uploads(user_id: int) -> None:
    """Delete the files and records of ``user_id``'s earlier roster uploads (one at a time)."""
    storage = _storage()
    folder = f"{UPLOAD_FOLDER}/u{user_id}"
    try:  # not exists(folder): object stores (S3) have no folders to ask about
        names = storage.listdir(folder)[1]
    except FileNotFoundError:
        return
    for name in names:
        storage.delete(f"{folder}/{name}")


def roster_upload_keep(*, actor, uploaded_file) -> RosterUpload:
    """Step 1: check ``uploaded_file`` (an .xlsx or .csv with data rows) and keep it for the
    mapping step, with the plan its headers suggest. The person's earlier roster uploads are
    deleted (one open upload per person). Raises NotAllowed without
    ``organisation.manage_organisation``; SpreadsheetError/DomainError (field ``file``) for a
    wrong, damaged or empty file."""
    import uuid

    from safecampus.core.importing import upload_name, upload_table

    if not actor.has_perm(PERMISSION):
        raise NotAllowed()
    table = upload_table(uploaded_file)
    if len(table.rows) > MAX_ROWS:
        message = _("At most %(count)s rows in one file; split it.") % {"count": MAX_ROWS}
        raise DomainError(message, field_errors={"file": [message]})
    _drop_open_uploads(actor.pk)
    name = upload_name(uploaded_file, "roster.xlsx")
    token = uuid.uuid4().hex
    extension = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    uploaded_file.seek(0)
    upload = RosterUpload(pk=token, user_id=actor.pk, original_name=name, path="",
                          row_count=len(table.rows),
                          plan=roster_plan_suggest(table).as_json(),
                          created_at=clock.now().isoformat())
    upload.path = _storage().save(f"{upload.folder}/{token}{extension}", uploaded_file)
    _save_record(upload)
    return upload


def roster_upload_get(user, token) -> RosterUpload | None:
    """``user``'s roster upload ``token`` (None when it is not theirs, not there any more,
    or they may not import): an uploaded one with its file, or a finished one (imported or
    refused) without."""
    if (not getattr(user, "is_authenticated", False) or not user.has_perm(PERMISSION)
            or not _TOKEN.match(str(token or ""))):
        return None
    upload = _load(user.pk, token)
    if upload is None or upload.user_id != user.pk:
        return None
    if upload.state == RosterUpload.State.UPLOADED and not (
            upload.path and _storage().exists(upload.path)):
        return None
    return upload


def roster_upload_table(upload: RosterUpload) -> Table:
    """The kept file read again (named as uploaded)."""
    from safecampus.core.spreadsheets import read_table

    with _storage().open(upload.path, "rb") as handle:
        table = read_table(handle)
    table.name = upload.original_name
    return table


def roster_upload_commit(*, actor, job: RosterUpload, plan: RosterPlan,
                         table: Table) -> RosterSummary:
    """Step 3: :func:`roster_import` of the kept file. Imported or refused for bad rows, the
    file is deleted (the record keeps the state, and the counts); a wrong column choice
    (DomainError) keeps it for another try. Raises what :func:`roster_import` raises, and
    DomainError ``already_imported`` for a finished upload."""
    if job.state != RosterUpload.State.UPLOADED:
        raise DomainError(_("This file was already imported."), code="already_imported")
    try:
        summary = roster_import(actor=actor, table=table, plan=plan)
    except ImportRejected:
        job.state = RosterUpload.State.REJECTED
        _delete_file(job)
        _save_record(job)
        raise
    job.state = RosterUpload.State.IMPORTED
    job.plan = plan.as_json()
    job.summary = {"rows": summary.rows, "created": summary.created,
                   "updated": summary.updated, "classes_created": summary.classes_created,
                   "class_names": summary.class_names}
    _delete_file(job)
    _save_record(job)
    return summary


def roster_uploads_sweep(*, now: dt.datetime | None = None) -> int:
    """Delete every file under ``roster-imports/`` (uploads and their records, also ones
    left by an interrupted upload) last changed more than :data:`UPLOAD_MAX_AGE` before
    ``now``. Returns how many files were deleted. Safe to run twice or at once."""
    storage = _storage()
    cutoff = (now or clock.now()) - UPLOAD_MAX_AGE
    deleted = 0

    def walk(folder: str) -> None:
        nonlocal deleted
        try:  # not exists(folder): object stores (S3) have no folders to ask about
            folders, files = storage.listdir(folder)
        except FileNotFoundError:
            return
        for name in files:
            path = f"{folder}/{name}"
            try:
                old = storage.get_modified_time(path) < cutoff
            except FileNotFoundError:
                continue  # deleted meanwhile
            if old:
                storage.delete(path)
                deleted += 1
        for name in folders:
            walk(f"{folder}/{name}")

    walk(UPLOAD_FOLDER)
    return deleted
