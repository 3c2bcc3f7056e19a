"""Importing older parking-violation ledgers (违停台账导入) from Excel or CSV with a column
mapping, through the shared import pages (:mod:`safecampus.core.import_views`).

1. :func:`violation_import_upload` reads the file and keeps it in default storage under a
   random name (``imports/traffic/<token>.csv``) beside a small JSON record of the upload
   (who, file name, SHA-256, rows, plan, state): there is no import-job model for traffic,
   so the "job" is :class:`ViolationImportJob`, found again by its unguessable token and
   only by the person who uploaded it.
2. The user maps columns (:data:`TARGETS`, suggested from Chinese and English headers; a
   ledger without a date column may give ``year``, ``month`` and ``day`` columns) and the
   distinct types (→ :class:`~safecampus.traffic.models.ViolationKind`, suggested by
   :func:`suggest_kind`) and statuses (→ :data:`STATUS_OPTIONS`, suggested by
   :func:`suggest_status`).
3. :func:`violation_validate` checks EVERY row; :func:`violation_import_commit` writes only
   when none fails (``bulk_create`` in batches, ``source=import``), else raises
   :class:`~safecampus.core.spreadsheets.ImportRejected` listing the rows.

Decisions:

* **Imported tickets are history, not open work**: a status mapped to "closed" (paid,
  issued, denied, unpaid …, the suggestion for anything not void) is stored ``moved`` with
  ``closed_at`` = the time seen; "void" (Citation Dismissed, Void Approved) is ``void`` with
  the status as recorded as the reason; "towed" is ``towed``. Without a status column every
  row is ``moved``. "open" exists for a ledger of current cases but is never suggested.
* **Warnings**: a status mapped to "warning" (UCSC's ``Warning``), a violation code like
  ``W35A`` / ``W42(A)``, or a type written ``W- …`` or containing 警告 makes the row
  ``level=warning`` (and closed). Warnings do not count for the repeat-offender rules.
* **Times**: a date column (``6/3/2024 8:06 AM``, ISO, 2024年6月3日 …) read in the plan's
  zone and date order; without one, ``year``/``month``/``day`` columns. A row that gives only
  a date is stored at 00:00 Beijing time of that date (so its local date is right whatever
  the file's zone) and the statistics treat an imported 00:00:00 as "time of day unknown"
  (the model has no flag for it).
* **Plates**, when the ledger has them, must pass :func:`~safecampus.traffic.plates.
  plate_check` (a bad plate is the row's error with the reason) and are linked to the
  registered vehicle with that plate. Ledgers without plates name the vehicle in
  ``vehicle_ref`` (Philadelphia's anonymised ``car_id``). When the plan maps a plate or a
  vehicle column, a row with neither is an error (the ticket would name no vehicle); a
  ledger with no such column at all (UCSC's sample) imports its tickets without a vehicle.
* **Once**: the same file (SHA-256) is imported once (recorded by a
  ``traffic.violations_import`` ActivityEntry on the importing account); a row whose number
  in the ledger is already an imported violation, or repeats within the file, is an error.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.importing import (
    ErrorCollector,
    MappingPlan,
    Target,
    column_problems,
    detect_day_first,
    distinct_keyed,
    file_digest,
    keyword_match,
    keyword_patterns,
    lock_imports,
    parse_moment,
    suggest_columns,
    upload_name,
    upload_table,
    value_key,
)
from safecampus.core.importing import Validation as BaseValidation
from safecampus.core.models import ActivityEntry
from safecampus.core.spreadsheets import (
    CellError,
    ImportRejected,
    RowError,
    Table,
    fold_key,
    normalise_text,
    read_table,
)

from ..models import Vehicle, Violation, ViolationKind
from ..plates import plate_check

PERMISSION = "traffic.import_violations"
VERB = "traffic.violations_import"
BATCH_SIZE = 2000
STORAGE_DIR = "imports/traffic"

#: Our fields in the order the mapping form shows them. Earlier targets win a header.
TARGETS: tuple[Target, ...] = (
    Target("external_ref", gettext_lazy("Number in the ledger"),
           ("编号", "罚单编号", "罚单号", "违章编号", "违法编号", "单号", "ticket#", "ticket",
            "ticketnumber", "ticketno", "citation", "citationnumber", "citationno", "number",
            "ref", "id")),
    Target("plate", gettext_lazy("Plate number"),
           ("车牌", "车牌号", "车牌号码", "号牌号码", "号牌", "plate", "platenumber",
            "licenseplate", "licence", "license", "tag", "platenum")),
    Target("vehicle_ref", gettext_lazy("Vehicle in the ledger (when there is no plate)"),
           ("车辆编号", "车辆", "car_id", "carid", "vehicleid", "vehicle_id", "vehicle")),
    Target("kind_label", gettext_lazy("Violation type as recorded"),
           ("违章类型", "违法行为", "违法类型", "违停类型", "违章行为", "违章内容", "类型",
            "violation", "violationtype", "violationdescription", "description", "offense",
            "offence"), True),
    Target("code", gettext_lazy("Violation code"),
           ("违法代码", "违章代码", "代码", "violcode", "violationcode", "code")),
    Target("status_label", gettext_lazy("Status as recorded"),
           ("状态", "处理状态", "处理结果", "status", "disposition")),
    Target("observed_at", gettext_lazy("Date and time"),
           ("时间", "违章时间", "违法时间", "违停时间", "日期", "issuedatetime", "issuedate",
            "issuedat", "datetime", "date", "time", "observedat")),
    Target("year", gettext_lazy("Year (when there is no date column)"), ("年", "年份", "year")),
    Target("month", gettext_lazy("Month (when there is no date column)"), ("月", "月份", "month")),
    Target("day", gettext_lazy("Day (when there is no date column)"), ("日", "day")),
    Target("location_text", gettext_lazy("Location"),
           ("地点", "违章地点", "违法地点", "违停地点", "位置", "地址", "location", "address",
            "place", "lot")),
)
TARGET_KEYS = tuple(t.key for t in TARGETS)
VALUE_KINDS = ("kind", "status")
VALUE_COLUMNS = {"kind": "kind_label", "status": "status_label"}
FIELD_LIMITS = {"external_ref": 64, "vehicle_ref": 64, "kind_label": 120,
                "location_text": 200, "status_label": 200}
DATE_ORDERS = ("auto", "mdy", "dmy")


class Status(models.TextChoices):
    """What an imported status becomes (see the module's decisions)."""

    CLOSED = "closed", gettext_lazy("Closed (paid, issued or settled): stored as moved")
    WARNING = "warning", gettext_lazy("A warning (closed)")
    VOID = "void", gettext_lazy("Void (dismissed or cancelled)")
    TOWED = "towed", gettext_lazy("Towed")
    OPEN = "open", gettext_lazy("Still open (current work)")


STATUS_STATES = {Status.CLOSED: Violation.State.MOVED, Status.WARNING: Violation.State.MOVED,
                 Status.VOID: Violation.State.VOID, Status.TOWED: Violation.State.TOWED,
                 Status.OPEN: Violation.State.OPEN}

# Keywords suggesting our type for a type as recorded; the first that matches wins. English
# words are matched whole (case ignored); Chinese ones anywhere.
KIND_KEYWORDS: tuple[tuple[str, str], ...] = (
    (ViolationKind.FIRE_LANE, r"fire lanes?|red curb|fire hydrants?|hydrant|fire hazards?|"
                              r"near fire stat\w*|fire station|消防|消火栓"),
    (ViolationKind.ENTRANCE, r"driveways?|entrances?|exits?|gates?|blocking driveway|出入口|"
                             r"大门|门口|路口|通道口"),
    (ViolationKind.PAVEMENT, r"sidewalks?|pavements?|footways?|crosswalks?|人行道|盲道|步行道"),
    (ViolationKind.NO_PARKING, r"no parking(?! permit)|no stopping|stopping prohibited|"
                               r"stop prohibited|parking prohibited|parking prohbited|"
                               r"park prohib\w*|prohibited|禁停|禁止停车|禁止停放|禁停区"),
)
STATUS_KEYWORDS: tuple[tuple[str, str], ...] = (
    (Status.WARNING, r"warning|warned|警告"),
    (Status.VOID, r"dismissed|void|voided|cancell?ed|withdrawn|granted|作废|撤销|撤回|注销|"
                  r"申诉成立"),
    (Status.TOWED, r"towed|tow|拖移|拖车|拖走"),
)
#: ``W35A``, ``W42(A)``, ``W 35``: a warning's violation code.
WARNING_CODE = re.compile(r"^W\s*\d", re.IGNORECASE)
#: ``W- NO PARKING PERMIT``, ``警告：…``: a type written as a warning.
WARNING_LABEL = re.compile(r"^W\s*[-–:]\s*|警告", re.IGNORECASE)


_KIND_RES = keyword_patterns(KIND_KEYWORDS)
_STATUS_RES = keyword_patterns(STATUS_KEYWORDS)


def suggest_kind(label: str) -> str | None:
    """Our type for a type as recorded (``RED CURB/FIRE LANE``, ``FIRE HYDRANT``, 占用消防通道
    → fire_lane; ``STOPPING PROHIBITED``, 禁停 → no_parking; ``BLOCKING DRIVEWAY`` →
    entrance; ``SIDEWALK`` → pavement), or None when no keyword matches (then "other")."""
    text = WARNING_LABEL.sub(" ", normalise_text(label))
    for choice, name in ViolationKind.choices:
        if fold_key(text) in (fold_key(choice), fold_key(str(name))):
            return str(choice)
    return keyword_match(text, _KIND_RES)


def suggest_status(label: str) -> str:
    """What a status as recorded becomes: ``Warning`` → warning; ``Citation Dismissed``,
    ``Void Approved`` → void; towed → towed; anything else (paid, issued, denied …) →
    closed."""
    return keyword_match(label, _STATUS_RES) or str(Status.CLOSED)


def value_options(kind: str) -> list[tuple[str, str]]:
    """(value, label) choices for a value-mapping select of ``kind``."""
    if kind == "kind":
        return [(v, str(label)) for v, label in ViolationKind.choices]
    if kind == "status":
        return [(v, str(label)) for v, label in Status.choices]
    raise ValueError(kind)


def value_suggestions(kind: str, values: list[str]) -> dict[str, str]:
    """Value key → suggested value for each source value (types nothing matches → other)."""
    if kind == "kind":
        return {value_key(v): suggest_kind(v) or str(ViolationKind.OTHER) for v in values}
    return {value_key(v): suggest_status(v) for v in values}


# --- the plan ------------------------------------------------------------------------------
@dataclass
class ViolationImportPlan(MappingPlan):
    """Step 2's choice (see :class:`~safecampus.core.importing.MappingPlan`); ``values`` maps
    ``kind`` → {value key → ViolationKind} and ``status`` → {value key → :class:`Status`};
    values left out take their suggestion. ``date_order``: ``auto``, ``mdy`` or ``dmy``;
    ``warning_marker``: codes like ``W35A`` and types written ``W- …`` are warnings."""

    TARGET_KEYS = TARGET_KEYS
    VALUE_KINDS = VALUE_KINDS

    date_order: str = "auto"
    warning_marker: bool = True


@dataclass
class Validation(BaseValidation):
    day_first: bool = False
    date_only: int = 0


def plan_problems(table: Table, plan: ViolationImportPlan) -> list[str]:
    """Problems with the mapping itself: a type column, and a date column or all of year,
    month and day; the time zone; the date order."""
    problems = column_problems(table, plan, TARGETS)
    cols = plan.columns
    if cols.get("observed_at") is None and any(cols.get(k) is None
                                               for k in ("year", "month", "day")):
        problems.append(_("Choose the column of the date (and time), or the year, month and "
                          "day columns."))
    if plan.date_order not in DATE_ORDERS:
        problems.append(_("Unknown date order “%(order)s”.") % {"order": plan.date_order})
    return problems


def date_order_of(table: Table, plan: ViolationImportPlan) -> tuple[bool, bool]:
    """``(day_first, decided from the file)`` for the plan's date column."""
    if plan.date_order == "dmy":
        return True, False
    if plan.date_order == "mdy":
        return False, False
    index = plan.columns.get("observed_at")
    if index is None or index >= len(table.headers):
        return False, False
    detected = detect_day_first(cells[index] for cells in table.rows)
    return bool(detected), detected is not None


def _value_maps(table: Table, plan: ViolationImportPlan) -> dict[str, dict[str, str]]:
    maps = {}
    for kind in VALUE_KINDS:
        column = plan.columns.get(VALUE_COLUMNS[kind])
        values = [v for _k, v, _n in distinct_keyed(table, column)]
        mapping = value_suggestions(kind, values)
        mapping.update({k: v for k, v in plan.values.get(kind, {}).items() if v})
        maps[kind] = mapping
    return maps


def _int_cell(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = normalise_text(value)
    text = re.sub(r"[年月日号]$", "", text)
    if re.fullmatch(r"\d{1,4}(?:\.0+)?", text):
        return int(float(text))
    return None


def violation_validate(table: Table, plan: ViolationImportPlan, *,
                       now: dt.datetime | None = None) -> Validation:
    """Check every row of ``table`` under ``plan``; write nothing.

    Returns a :class:`Validation`: ``rows`` (dicts of Violation fields plus ``_row``) only
    when no row failed, else the first errors and their total. Raises DomainError (code
    ``bad_plan``) when the plan itself is wrong."""
    problems = plan_problems(table, plan)
    if problems:
        raise DomainError(problems[0], code="bad_plan", field_errors={"__all__": problems})
    now = now or clock.now()
    latest = now + dt.timedelta(hours=1)
    zone = ZoneInfo(plan.time_zone)
    local = clock.local_zone()
    day_first, _decided = date_order_of(table, plan)
    cols, headers = plan.columns, table.headers
    maps = _value_maps(table, plan)
    kinds, statuses = set(ViolationKind.values), set(Status.values)
    collected = ErrorCollector()
    rows: list[dict] = []
    date_only = 0
    seen_refs: dict[str, int] = {}

    def header(key):
        return headers[cols[key]] if cols.get(key) is not None else ""

    for number, cells in table.numbered():
        errors: list[RowError] = []

        def fail(key, message, _number=number, _errors=errors):
            _errors.append(RowError(_number, header(key), message))

        def text(key, _cells=cells):
            index = cols.get(key)
            return normalise_text(_cells[index]) if index is not None else ""

        out = {"_row": number}
        for key in ("external_ref", "vehicle_ref", "kind_label", "location_text",
                    "status_label"):
            out[key] = text(key)
        for key, limit in FIELD_LIMITS.items():
            if len(out[key]) > limit:
                fail(key, _("Longer than %(limit)s characters.") % {"limit": limit})
        if not out["kind_label"]:
            fail("kind_label", _("The violation type is empty."))
        ref = out["external_ref"]
        if ref:
            if ref in seen_refs:
                fail("external_ref", _("Number %(ref)s is also on row %(row)s; each ticket is "
                                       "imported once.") % {"ref": ref, "row": seen_refs[ref]})
            else:
                seen_refs[ref] = number

        raw_plate = text("plate")
        out["plate"] = ""
        if raw_plate:
            try:
                out["plate"] = plate_check(raw_plate).number
            except DomainError as error:
                fail("plate", _("“%(plate)s” is not a valid plate. %(reason)s") % {
                    "plate": raw_plate, "reason": error.message})

        names_vehicles = cols.get("plate") is not None or cols.get("vehicle_ref") is not None
        if names_vehicles and not raw_plate and not out["vehicle_ref"]:
            fail("plate" if cols.get("plate") is not None else "vehicle_ref",
                 _("Neither a plate nor the ledger's vehicle number: each ticket must name "
                   "its vehicle."))

        out["kind"] = ViolationKind.OTHER
        if out["kind_label"]:
            mapped = maps["kind"].get(value_key(out["kind_label"]))
            if mapped not in kinds:
                fail("kind_label", _("“%(value)s” is not mapped to one of our types; choose it "
                                     "in the value mapping.") % {"value": out["kind_label"]})
            else:
                out["kind"] = mapped
        status = Status.CLOSED
        if out["status_label"]:
            mapped = maps["status"].get(value_key(out["status_label"]))
            if mapped not in statuses:
                fail("status_label", _("“%(value)s” is not mapped to one of ours; choose it in "
                                       "the value mapping.") % {"value": out["status_label"]})
            else:
                status = mapped
        warning = status == Status.WARNING or (plan.warning_marker and (
            bool(WARNING_CODE.match(text("code"))) or bool(WARNING_LABEL.search(out["kind_label"]))))
        out["level"] = Violation.Level.WARNING if warning else Violation.Level.VIOLATION
        out["state"] = STATUS_STATES[Status(status)]
        out["close_reason"] = out["status_label"] if status == Status.VOID else ""

        seen = None
        if cols.get("observed_at") is not None:
            index = cols["observed_at"]
            try:
                seen, timed = parse_moment(cells[index], row=number, column=headers[index],
                                           tz=zone, day_first=day_first)
            except CellError as error:
                errors.append(error.error)
                seen, timed = False, False
            if seen is None:
                fail("observed_at", _("The date is empty."))
            elif seen and not timed:
                seen = dt.datetime.combine(seen.date(), dt.time.min, tzinfo=local)
                date_only += 1
        else:
            parts = {k: _int_cell(cells[cols[k]]) for k in ("year", "month", "day")}
            bad = [k for k, v in parts.items() if v is None]
            for key in bad:
                fail(key, _("“%(value)s” is not a number.") % {
                    "value": normalise_text(cells[cols[key]])})
            if not bad:
                try:
                    seen = dt.datetime(parts["year"], parts["month"], parts["day"], tzinfo=local)
                    date_only += 1
                except ValueError:
                    fail("day", _("%(year)s-%(month)s-%(day)s is not a real date.") % parts)
        if seen and seen > latest:
            fail("observed_at" if cols.get("observed_at") is not None else "day",
                 _("%(time)s is in the future.") % {
                     "time": seen.astimezone(local).strftime("%Y-%m-%d %H:%M")})
        out["observed_at"] = seen or None
        del out["status_label"]
        if errors:
            collected.extend(errors)
            continue
        rows.append(out)

    if not collected and rows:
        collected.extend(_already_imported(rows, header("external_ref")))
    return Validation(rows=rows if not collected else [], errors=collected.errors,
                      error_total=collected.total, total_rows=len(table), day_first=day_first,
                      date_only=date_only)


def _already_imported(rows: list[dict], column: str) -> list[RowError]:
    """Errors for the rows whose number in the ledger is an imported violation already."""
    refs = sorted({r["external_ref"] for r in rows if r["external_ref"]})
    existing: set[str] = set()
    for start in range(0, len(refs), 900):  # stay under SQLite's variable limit
        existing.update(Violation.objects.filter(
            source=Violation.Source.IMPORT, external_ref__in=refs[start:start + 900])
            .values_list("external_ref", flat=True))
    return [RowError(r["_row"], column, _("Already imported: ticket %(ref)s is in SafeCampus.")
                     % {"ref": r["external_ref"]})
            for r in rows if r["external_ref"] in existing]


# --- the upload between the steps ----------------------------------------------------------
@dataclass
class ViolationImportJob:
    """An uploaded ledger between upload and import, kept as JSON beside the file in default
    storage (there is no model for it). ``pk`` is its random token."""

    class State(models.TextChoices):
        UPLOADED = "uploaded", gettext_lazy("Uploaded")
        REJECTED = "rejected", gettext_lazy("Problems found")
        IMPORTED = "imported", gettext_lazy("Imported")

    pk: str
    created_by_id: int
    original_name: str
    digest: str
    file_name: str
    row_count: int = 0
    state: str = "uploaded"
    plan: dict = field(default_factory=dict)
    error_count: int = 0
    imported_count: int = 0
    imported_at: str | None = None
    created_at: str = ""

    @property
    def imported_time(self) -> dt.datetime | None:
        return dt.datetime.fromisoformat(self.imported_at) if self.imported_at else None

    def save(self) -> None:
        name = _record_name(self.pk)
        if default_storage.exists(name):
            default_storage.delete(name)
        default_storage.save(name, ContentFile(json.dumps(asdict(self)).encode()))


_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _record_name(token: str) -> str:
    return f"{STORAGE_DIR}/{token}.json"


def _imported_entry(digest: str) -> ActivityEntry | None:
    return (ActivityEntry.objects.filter(verb=VERB, data__digest=digest)
            .order_by("occurred_at").first())


def _refuse_imported(digest: str, *, field: str = "file") -> None:
    done = _imported_entry(digest)
    if done is not None:
        message = _("This file was already imported on %(date)s (%(count)s violations); "
                    "the same file is imported once.") % {
            "date": done.occurred_at.astimezone(clock.local_zone()).strftime("%Y-%m-%d %H:%M"),
            "count": done.data.get("count", 0)}
        raise DomainError(message, code="already_imported", field_errors={field: [message]})


def violation_import_upload(*, actor, uploaded_file) -> ViolationImportJob:
    """Step 1: keep ``uploaded_file`` for mapping after checking it is a readable .xlsx or
    .csv with rows; a file already imported (by SHA-256) is refused. Raises NotAllowed
    without ``traffic.import_violations``; DomainError (field ``file``) otherwise."""
    if not actor.has_perm(PERMISSION):
        raise NotAllowed()
    table = upload_table(uploaded_file)
    digest = file_digest(uploaded_file)
    _refuse_imported(digest)
    name = upload_name(uploaded_file, "violations")
    token = uuid.uuid4().hex
    extension = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    uploaded_file.seek(0)
    file_name = default_storage.save(f"{STORAGE_DIR}/{token}{extension}",
                                     ContentFile(uploaded_file.read()))
    plan = ViolationImportPlan(columns=suggest_columns(table.headers, TARGETS))
    job = ViolationImportJob(pk=token, created_by_id=actor.pk, original_name=name,
                             digest=digest, file_name=file_name, row_count=len(table),
                             plan=plan.as_json(), created_at=clock.now().isoformat())
    job.save()
    return job


def violation_import_get(user, pk: str) -> ViolationImportJob | None:
    """The upload ``pk`` if ``user`` made it and may import, else None."""
    if not user.is_authenticated or not user.has_perm(PERMISSION) or not _TOKEN.match(str(pk)):
        return None
    name = _record_name(pk)
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle:
        data = json.loads(handle.read())
    job = ViolationImportJob(**data)
    if job.created_by_id != user.pk:
        return None
    return job


def violation_import_table(job: ViolationImportJob) -> Table:
    """The uploaded file of ``job`` read again."""
    with default_storage.open(job.file_name, "rb") as handle:
        data = handle.read()
    buffer = io.BytesIO(data)
    buffer.name = job.file_name
    table = read_table(buffer)
    table.name = job.original_name
    return table


@dataclass
class ImportResult:
    created: int
    warnings: int
    date_only: int
    seconds: float


def violation_import_commit(*, actor, job: ViolationImportJob, plan: ViolationImportPlan,
                            table: Table | None = None) -> ImportResult:
    """Step 3: validate every row of ``job``'s file under ``plan``; when none fails, create
    all violations in one transaction (``bulk_create`` in batches of :data:`BATCH_SIZE`,
    ``source=import``, ``recorded_by`` the actor, registered vehicles linked by plate) and
    record one ``traffic.violations_import`` ActivityEntry on the actor's account (file,
    digest, count, id range).

    Raises NotAllowed without ``traffic.import_violations``; DomainError for a wrong plan or
    a file already imported; :class:`ImportRejected` when any row fails — nothing written."""
    import time

    started = time.monotonic()
    if not actor.has_perm(PERMISSION):
        raise NotAllowed()
    if job.state == ViolationImportJob.State.IMPORTED:
        raise DomainError(_("This file was already imported."), code="already_imported")
    _refuse_imported(job.digest, field="__all__")
    table = table if table is not None else violation_import_table(job)
    result = violation_validate(table, plan)
    if not result.ok:
        job.state, job.error_count, job.plan = (ViolationImportJob.State.REJECTED,
                                                result.error_total, plan.as_json())
        job.save()
        raise ImportRejected(result.errors, total_rows=result.total_rows,
                             error_total=result.error_total)
    now = clock.now()
    plates = sorted({r["plate"] for r in result.rows if r["plate"]})
    with transaction.atomic():
        lock_imports("safecampus.traffic.violation_import")
        _refuse_imported(job.digest, field="__all__")
        errors = _already_imported(result.rows, "")
        if errors:
            raise ImportRejected(errors, total_rows=result.total_rows)
        vehicles: dict[str, int] = {}
        for start in range(0, len(plates), 900):
            vehicles.update(Vehicle.objects.filter(plate__in=plates[start:start + 900])
                            .values_list("plate", "pk"))
        violations = [_violation_from(row, actor=actor, vehicle_id=vehicles.get(row["plate"]))
                      for row in result.rows]
        for start in range(0, len(violations), BATCH_SIZE):
            Violation.objects.bulk_create(violations[start:start + BATCH_SIZE])
        first_id, last_id = violations[0].pk, violations[-1].pk
        warnings = sum(1 for v in violations if v.level == Violation.Level.WARNING)
        with translation.override(settings.LANGUAGE_CODE):
            comment = _("%(count)s parking violations imported from %(file)s.") % {
                "count": len(violations), "file": job.original_name}
        activity_record(target=actor, actor=actor, verb=VERB, comment=comment, data={
            "digest": job.digest, "file": job.original_name, "count": len(violations),
            "warnings": warnings, "date_only": result.date_only, "first_id": first_id,
            "last_id": last_id, "time_zone": plan.time_zone, "upload": job.pk})
    job.state, job.imported_count, job.error_count = (
        ViolationImportJob.State.IMPORTED, len(violations), 0)
    job.imported_at, job.plan = now.isoformat(), plan.as_json()
    job.save()
    return ImportResult(created=len(violations), warnings=warnings,
                        date_only=result.date_only, seconds=time.monotonic() - started)


def _violation_from(row: dict, *, actor, vehicle_id: int | None) -> Violation:
    state = row["state"]
    return Violation(
        state=state, plate=row["plate"], vehicle_id=vehicle_id, vehicle_ref=row["vehicle_ref"],
        kind=row["kind"], kind_label=row["kind_label"], level=row["level"],
        location_text=row["location_text"], observed_at=row["observed_at"],
        recorded_by=actor, closed_at=(row["observed_at"] if state != Violation.State.OPEN
                                      else None),
        close_reason=row["close_reason"], source=Violation.Source.IMPORT,
        external_ref=row["external_ref"],
    )
