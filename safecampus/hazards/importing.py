"""Importing a hazard ledger (隐患台账) from Excel or CSV.

Three steps, the same for the browser and for tests:

1. :func:`ledger_import_upload` keeps the uploaded file (a :class:`LedgerImport`) after
   checking that it can be read (:func:`safecampus.core.spreadsheets.read_table`).
2. The user maps columns to our fields (:func:`suggest_columns` guesses from Chinese and
   English headers) and the distinct values of the unit, category, status and campus
   columns to our records (:func:`value_options`, auto-matched by code and name). The
   choices are an :class:`ImportPlan`.
3. :func:`ledger_validate` checks EVERY row and returns the rows ready to write or the list
   of problems; :func:`ledger_import_commit` validates again and, only when no row fails,
   writes all hazards in one transaction (``bulk_create`` in batches of 1000) with one
   ``hazards.import`` :class:`ActivityEntry` each. Nothing is written if any row fails.

Imported hazards get ``source=ledger_import`` and the mapped status at creation (the FSM
field is protected only after load). A closed hazard keeps its closed time and whether it
closed by its deadline. ``external_ref`` (the number in the old ledger) is kept and must be
new: a row whose reference is already in SafeCampus, or twice in the file, is a
duplicate-row error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.core import clock
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.importing import (
    MAX_DISTINCT_VALUES,
    MAX_ERRORS_KEPT,
    ErrorCollector,
    MappingPlan,
    Target,
    Validation,
    column_problems,
    distinct_values,
    import_job_get,
    lock_imports,
    refuse_imported,
    rejected,
    store_upload,
    stored_table,
    upload_name,
    upload_table,
    value_key,
)
from safecampus.core.importing import suggest_columns as _suggest_columns
from safecampus.core.models import ActivityEntry
from safecampus.core.spreadsheets import (
    CellError,
    ImportRejected,
    RowError,
    Table,
    fold_key,
    normalise_text,
    parse_datetime_cell,
)
from safecampus.organisation.models import Campus, Unit

from .models import (
    DONE_STATES,
    UNIT_STATES,
    Grade,
    Hazard,
    HazardCategory,
    LedgerImport,
    Source,
    Status,
)

__all__ = ["MAX_DISTINCT_VALUES", "MAX_ERRORS_KEPT", "Target", "distinct_values", "value_key"]

BATCH_SIZE = 1000
VERB = "hazards.import"

#: Value meaning "no responsible unit" in a unit value mapping (the office assigns later).
NO_UNIT = "-"


#: Our fields, in the order the mapping form shows them. Aliases are matched after
#: :func:`fold_key` (case, spaces, full width and punctuation ignored).
TARGETS: tuple[Target, ...] = (
    Target("title", gettext_lazy("Title"),
           ("标题", "隐患标题", "隐患名称", "名称", "隐患", "title", "subject", "summary"), True),
    Target("description", gettext_lazy("Description"),
           ("描述", "详细描述", "隐患描述", "情况说明", "隐患情况", "description", "details")),
    Target("category", gettext_lazy("Category"),
           ("类别", "隐患类别", "类型", "隐患类型", "分类", "category", "type", "requesttype",
            "hazardcategory"), True),
    Target("grade", gettext_lazy("Grade"),
           ("等级", "隐患等级", "级别", "grade", "level")),
    Target("status", gettext_lazy("Status"),
           ("状态", "整改状态", "处理状态", "隐患状态", "status", "state")),
    Target("campus", gettext_lazy("Campus"), ("校区", "所在校区", "campus")),
    Target("location_text", gettext_lazy("Location details"),
           ("位置", "地点", "具体位置", "隐患位置", "隐患地点", "地址", "address", "location",
            "place")),
    Target("responsible_unit", gettext_lazy("Responsible unit"),
           ("责任单位", "整改单位", "责任部门", "单位", "部门", "responsibleunit", "unit", "owner",
            "agency", "department")),
    Target("reported_at", gettext_lazy("Reported at"),
           ("上报时间", "发现时间", "报告时间", "检查时间", "登记时间", "创建时间", "reportedat",
            "reported", "createddate", "created", "createdat", "date"), True),
    Target("closed_at", gettext_lazy("Closed at"),
           ("销号时间", "关闭时间", "完成时间", "整改完成时间", "办结时间", "closedat", "closeddate",
            "closed")),
    Target("deadline", gettext_lazy("Rectification deadline"),
           ("整改期限", "整改时限", "期限", "截止日期", "截止时间", "deadline", "duedate", "due")),
    Target("external_ref", gettext_lazy("External reference"),
           ("外部编号", "原编号", "编号", "台账编号", "隐患编号", "externalref", "externalreference",
            "reference", "ref", "srnumber", "number", "id")),
    Target("source", gettext_lazy("Original source"),
           ("来源", "隐患来源", "发现途径", "source", "requestsource", "origin")),
)
TARGET_KEYS = tuple(t.key for t in TARGETS)
#: Columns whose distinct values are mapped to our records in step 2.
VALUE_KINDS = ("responsible_unit", "category", "status", "campus")

# Chinese names of our statuses and grades, as ledgers kept in Excel write them.
STATUS_ALIASES = {
    Status.REPORTED: ("已上报", "待确认", "待处理", "未处理", "新建"),
    Status.REJECTED: ("不予受理", "已驳回", "驳回", "已撤销", "撤销"),
    Status.DUPLICATE: ("重复", "已合并"),
    Status.CONFIRMED: ("已确认", "待下发"),
    Status.FIXED_ON_SPOT: ("立行立改", "当场整改"),
    Status.NOTICE_ISSUED: ("已下发整改通知", "已下发", "已通知"),
    Status.ACKNOWLEDGED: ("已签收",),
    Status.RECTIFYING: ("整改中", "正在整改"),
    Status.EVIDENCE_SUBMITTED: ("待复查", "待验收", "已提交佐证"),
    Status.RETURNED: ("复查退回", "退回整改", "已退回"),
    Status.CLOSED: ("已销号", "销号", "已整改", "已完成", "已关闭", "已办结", "完成"),
}
GRADE_ALIASES = {
    Grade.GENERAL: ("一般", "一般隐患", "一般事故隐患"),
    Grade.MAJOR: ("重大", "重大隐患", "重大事故隐患"),
}
FIELD_LIMITS = {"title": 120, "location_text": 200, "external_ref": 64}


# --- the plan ------------------------------------------------------------------------------
@dataclass
class ImportPlan(MappingPlan):
    """What step 2 chose (see :class:`~safecampus.core.importing.MappingPlan`). ``values``:
    kind (``responsible_unit``, ``category``, ``status``, ``campus``) → {folded source value
    → our id (units, categories, campuses; ``"-"`` = no unit) or status code}. Values not in
    ``values`` are auto-matched."""

    TARGET_KEYS = TARGET_KEYS
    VALUE_KINDS = VALUE_KINDS


@dataclass
class ImportResult:
    created: int
    hazard_ids: list[int]
    job_id: int | None = None


def suggest_columns(headers: list[str]) -> dict[str, int | None]:
    """Our field → index of the header that names it (Chinese or English), or None."""
    return _suggest_columns(headers, TARGETS)


# --- value mapping -------------------------------------------------------------------------
def value_options(kind: str) -> list[tuple[str, str]]:
    """(value, label) choices of our records for a value-mapping select of ``kind``."""
    if kind == "responsible_unit":
        units = Unit.objects.filter(is_active=True).order_by("kind", "code")
        return [(NO_UNIT, _("No responsible unit (the office assigns)"))] + [
            (str(u.pk), f"{u.name} ({u.code})") for u in units]
    if kind == "category":
        return [(str(c.pk), c.name) for c in HazardCategory.objects.filter(is_active=True)]
    if kind == "campus":
        return [(str(c.pk), c.name) for c in Campus.objects.order_by("sort_order", "id")]
    if kind == "status":
        return [(value, str(label)) for value, label in Status.choices]
    raise ValueError(kind)


def _match_index(kind: str) -> dict[str, str]:
    """Folded code/name/label → our value, for auto-matching a source value."""
    index: dict[str, str] = {}

    def add(key, value):
        key = fold_key(key)
        if key:
            index.setdefault(key, value)

    if kind == "responsible_unit":
        for pk, code, name in Unit.objects.values_list("pk", "code", "name"):
            add(code, str(pk))
            add(name, str(pk))
    elif kind == "category":
        for pk, code, name, name_en in HazardCategory.objects.filter(is_active=True).values_list(
                "pk", "code", "name", "name_en"):
            add(code, str(pk))
            add(name, str(pk))
            add(name_en, str(pk))
    elif kind == "campus":
        for pk, code, name in Campus.objects.values_list("pk", "code", "name"):
            add(code, str(pk))
            add(name, str(pk))
    elif kind == "status":
        for value, label in Status.choices:
            add(value, value)
            for language in ("en", "zh-hans"):
                with translation.override(language):
                    add(str(label), value)
            for alias in STATUS_ALIASES.get(value, ()):
                add(alias, value)
    return index


def auto_match(kind: str, values: list[str]) -> dict[str, str]:
    """Folded source value → our value for the ``values`` that match a code or name exactly
    (case, width and spacing ignored); unmatched values are left out."""
    index = _match_index(kind)
    return {fold_key(v): index[fold_key(v)] for v in values if fold_key(v) in index}


# --- validation ----------------------------------------------------------------------------
def plan_problems(table: Table, plan: ImportPlan) -> list[str]:
    """Problems with the mapping itself (not with rows): required fields without a column,
    a column index outside the table, an unknown time zone or default campus."""
    problems = column_problems(table, plan, TARGETS)
    if plan.columns.get("campus") is None and not plan.default_campus:
        problems.append(_("Choose the campus column or a campus for all rows."))
    if plan.default_campus and not Campus.objects.filter(pk=plan.default_campus).exists():
        problems.append(_("The default campus does not exist."))
    return problems


def ledger_validate(table: Table, plan: ImportPlan, *, now: dt.datetime | None = None) -> Validation:
    """Check every row of ``table`` under ``plan``; write nothing.

    Each row needs a title, a category and a reported time; the unit, category, status and
    campus values must be mapped (or auto-match); dates must parse; a closed row needs its
    closed time; an external reference must be new (not already in SafeCampus, not twice in
    the file). Returns a :class:`Validation` with at most :data:`MAX_ERRORS_KEPT` errors
    (``error_total`` counts all). Raises :class:`DomainError` if the plan itself is wrong.
    """
    problems = plan_problems(table, plan)
    if problems:
        raise DomainError(problems[0], code="bad_plan", field_errors={"__all__": problems})
    now = now or clock.now()
    zone = ZoneInfo(plan.time_zone)
    cols = plan.columns
    headers = table.headers
    maps = {}
    for kind in VALUE_KINDS:
        if cols.get(kind) is None:
            maps[kind] = {}
            continue
        values = [v for v, _n in distinct_values(table, cols[kind])]
        mapping = auto_match(kind, values)
        mapping.update({k: v for k, v in plan.values.get(kind, {}).items() if v})
        maps[kind] = mapping
    valid_ids = {
        "responsible_unit": {str(pk) for pk in Unit.objects.values_list("pk", flat=True)} | {NO_UNIT},
        "category": {str(pk) for pk in HazardCategory.objects.values_list("pk", flat=True)},
        "campus": {str(pk) for pk in Campus.objects.values_list("pk", flat=True)},
        "status": set(Status.values),
    }
    grade_index = {}
    for value, label in Grade.choices:
        for key in (value, str(label), *GRADE_ALIASES[value]):
            grade_index[fold_key(key)] = value
        with translation.override("en"):
            grade_index[fold_key(str(label))] = value
    refs_in_file: dict[str, int] = {}
    ref_col = cols.get("external_ref")
    existing_refs: set[str] = set()
    if ref_col is not None:
        refs = {normalise_text(cells[ref_col]) for cells in table.rows} - {""}
        existing_refs = _existing_refs(refs)

    collected = ErrorCollector(MAX_ERRORS_KEPT)
    rows: list[dict] = []

    def text(cells, key):
        index = cols.get(key)
        return normalise_text(cells[index]) if index is not None else ""

    for number, cells in table.numbered():
        row_errors: list[RowError] = []

        def fail(key, message, _number=number, _errors=row_errors):
            column = headers[cols[key]] if cols.get(key) is not None else ""
            _errors.append(RowError(_number, column, message))

        out: dict = {"_row": number}
        title = text(cells, "title")
        if not title:
            fail("title", _("The title is empty."))
        out["title"] = title
        out["description"] = text(cells, "description")
        out["location_text"] = text(cells, "location_text")
        out["external_ref"] = text(cells, "external_ref")
        out["_source"] = text(cells, "source")
        for key, limit in FIELD_LIMITS.items():
            if len(out[key]) > limit:
                fail(key, _("Longer than %(limit)s characters.") % {"limit": limit})

        for kind in VALUE_KINDS:
            raw = text(cells, kind)
            if not raw:
                out[kind] = None
                continue
            mapped = maps[kind].get(fold_key(raw))
            if mapped is None or mapped not in valid_ids[kind]:
                fail(kind, _("“%(value)s” is not mapped to one of ours; choose it in the value "
                             "mapping.") % {"value": raw})
                out[kind] = None
            else:
                out[kind] = mapped
        if out["category"] is None and not text(cells, "category"):
            fail("category", _("The category is empty."))
        campus = out.pop("campus") or (str(plan.default_campus) if plan.default_campus else None)
        if campus is None and not text(cells, "campus"):
            fail("campus", _("The campus is empty and no campus for all rows was chosen."))
        out["campus_id"] = int(campus) if campus else None
        out["category_id"] = int(out.pop("category")) if out.get("category") else None
        unit = out.pop("responsible_unit")
        out["responsible_unit_id"] = int(unit) if unit and unit != NO_UNIT else None
        out["status"] = out["status"] or Status.REPORTED

        grade_text = text(cells, "grade")
        out["grade"] = Grade.GENERAL
        if grade_text:
            grade = grade_index.get(fold_key(grade_text))
            if grade is None:
                fail("grade", _("“%(value)s” is not a grade; write 一般 (general) or 重大 (major).")
                     % {"value": grade_text})
            else:
                out["grade"] = grade

        for key, date_only in (("reported_at", "start"), ("closed_at", "start"), ("deadline", "end")):
            index = cols.get(key)
            out[key] = None
            if index is None:
                continue
            try:
                out[key] = parse_datetime_cell(cells[index], row=number, column=headers[index],
                                               tz=zone, date_only=date_only)
            except CellError as error:
                row_errors.append(error.error)
        if out["reported_at"] is None and cols.get("reported_at") is not None and not any(
                e.column == headers[cols["reported_at"]] for e in row_errors):
            fail("reported_at", _("The reported time is empty."))
        if out["status"] in DONE_STATES:
            if out["closed_at"] is None and not any(
                    cols.get("closed_at") is not None and e.column == headers[cols["closed_at"]]
                    for e in row_errors):
                fail("closed_at" if cols.get("closed_at") is not None else "status",
                     _("A closed hazard needs its closed time."))
        else:
            out["closed_at"] = None  # only closed hazards have a closed time
        ref = out["external_ref"]
        if ref:
            if ref in existing_refs:
                fail("external_ref", _("Duplicate: %(ref)s is already in SafeCampus.") % {"ref": ref})
            elif ref in refs_in_file:
                fail("external_ref", _("Duplicate: %(ref)s is also in row %(row)s.")
                     % {"ref": ref, "row": refs_in_file[ref]})
            else:
                refs_in_file[ref] = number
        if row_errors:
            collected.extend(row_errors)
            continue
        closed_at, deadline = out["closed_at"], out["deadline"]
        out["closed_on_time"] = (deadline is None or closed_at <= deadline) if closed_at else None
        out["is_overdue"] = bool(out["status"] in UNIT_STATES and deadline and deadline < now)
        rows.append(out)
    return Validation(rows=rows if not collected else [], errors=collected.errors,
                      error_total=collected.total, total_rows=len(table))


def _existing_refs(refs: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(refs)
    for start in range(0, len(ordered), 900):  # stay under SQLite's variable limit
        chunk = ordered[start:start + 900]
        found.update(Hazard.objects.filter(external_ref__in=chunk).values_list("external_ref",
                                                                               flat=True))
    return found


# --- writes (services) ---------------------------------------------------------------------
def ledger_import_upload(*, actor, uploaded_file) -> LedgerImport:
    """Step 1: keep ``uploaded_file`` for mapping, after checking it is a readable .xlsx or
    .csv with a header row and at most ``SAFECAMPUS["IMPORT_MAX_BYTES"]`` bytes.

    Raises NotAllowed without ``hazards.import_ledger``; SpreadsheetError (a DomainError,
    field ``file``) for a wrong or damaged file; DomainError for a file with no data rows."""
    if not actor.has_perm("hazards.import_ledger"):
        raise NotAllowed()
    table = upload_table(uploaded_file)
    name = upload_name(uploaded_file, "ledger")
    job = LedgerImport(created_by=actor, original_name=name, row_count=len(table),
                       plan=ImportPlan(columns=suggest_columns(table.headers)).as_json())
    store_upload(job, uploaded_file, name)
    job.save()
    return job


def ledger_import_table(job: LedgerImport) -> Table:
    """The uploaded file of ``job`` read again (the file is kept in the default storage)."""
    return stored_table(job)


def ledger_import_get(user, pk: int) -> LedgerImport | None:
    """The import job ``pk`` if ``user`` started it (and may still import), else None."""
    return import_job_get(LedgerImport, user, pk, "hazards.import_ledger")


def ledger_import_commit(
    *, actor, table: Table, plan: ImportPlan, job: LedgerImport | None = None
) -> ImportResult:
    """Step 3: validate every row of ``table`` under ``plan``; if all are valid, create the
    hazards in one transaction and return how many.

    Hazards are written with ``bulk_create`` in batches of 1000, each with one
    ``hazards.import`` ActivityEntry (actor, to_state, the source row and file). ``job`` (if
    given) is marked imported or rejected. Raises NotAllowed without
    ``hazards.import_ledger``; DomainError for a wrong plan; :class:`ImportRejected` (with
    every row error) when any row fails — then nothing is written.
    """
    if not actor.has_perm("hazards.import_ledger"):
        raise NotAllowed()
    refuse_imported(job)
    result = ledger_validate(table, plan)
    if not result.ok:
        raise rejected(result, job, plan)
    now = clock.now()
    file_name = (job.original_name if job else table.name) or ""
    with transaction.atomic():
        lock_imports("safecampus.hazards.import")
        if job is not None:
            job = LedgerImport.objects.select_for_update().get(pk=job.pk)
            refuse_imported(job)
        # Re-check the references under the lock: another import may have committed them.
        refs = {r["external_ref"] for r in result.rows if r["external_ref"]}
        taken = _existing_refs(refs) if refs else set()
        if taken:
            errors = [RowError(r["_row"], "", _("Duplicate: %(ref)s is already in SafeCampus.")
                               % {"ref": r["external_ref"]})
                      for r in result.rows if r["external_ref"] in taken]
            raise ImportRejected(errors, total_rows=result.total_rows)
        hazard_type = ContentType.objects.get_for_model(Hazard)
        ids: list[int] = []
        for start in range(0, len(result.rows), BATCH_SIZE):
            batch = result.rows[start:start + BATCH_SIZE]
            hazards = [_hazard_from(row) for row in batch]
            Hazard.objects.bulk_create(hazards, batch_size=BATCH_SIZE)
            if any(h.pk is None for h in hazards):  # pragma: no cover - old SQLite only
                raise DomainError(_("This database cannot return the new ids of a bulk insert."))
            ActivityEntry.objects.bulk_create(
                [
                    ActivityEntry(
                        target_type=hazard_type,
                        target_id=h.pk,
                        actor=actor,
                        verb=VERB,
                        to_state=h.status,
                        comment=_import_comment(file_name, row),
                        data={"row": row["_row"], "file": file_name,
                              "job": job.pk if job else None,
                              "external_ref": row["external_ref"],
                              "original_source": row["_source"]},
                        occurred_at=now,
                    )
                    for h, row in zip(hazards, batch, strict=True)
                ],
                batch_size=BATCH_SIZE,
            )
            ids.extend(h.pk for h in hazards)
        if job is not None:
            LedgerImport.objects.filter(pk=job.pk).update(
                state=LedgerImport.State.IMPORTED, imported_count=len(ids), error_count=0,
                imported_at=now, plan=plan.as_json(), updated_at=now)
    return ImportResult(created=len(ids), hazard_ids=ids, job_id=job.pk if job else None)


def _import_comment(file_name: str, row: dict) -> str:
    if row["_source"]:
        return _("Imported from row %(row)s of %(file)s (original source: %(source)s).") % {
            "row": row["_row"], "file": file_name, "source": row["_source"]}
    return _("Imported from row %(row)s of %(file)s.") % {"row": row["_row"], "file": file_name}


def _hazard_from(row: dict) -> Hazard:
    return Hazard(
        title=row["title"],
        description=row["description"],
        category_id=row["category_id"],
        grade=row["grade"],
        status=row["status"],
        campus_id=row["campus_id"],
        location_text=row["location_text"],
        source=Source.LEDGER_IMPORT,
        external_ref=row["external_ref"],
        responsible_unit_id=row["responsible_unit_id"],
        reported_at=row["reported_at"],
        closed_at=row["closed_at"],
        deadline=row["deadline"],
        closed_on_time=row["closed_on_time"],
        is_overdue=row["is_overdue"],
    )
