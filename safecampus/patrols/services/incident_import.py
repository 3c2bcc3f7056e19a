"""Importing older incident logs (警情导入) from Excel or CSV with a column mapping.

The steps are the hazard ledger import's (the generic half is :mod:`safecampus.core.importing`):

1. :func:`incident_import_upload` keeps the file as an :class:`IncidentImport` after reading it;
   the same file (SHA-256 ``digest``) is imported once.
2. The user maps columns to our fields (:data:`TARGETS`, suggested from Chinese and English
   headers) and the distinct values of the type, disposition and campus columns to ours
   (:func:`suggest_category` / :func:`suggest_disposition` guess from English and Chinese
   keywords; a type nothing matches is suggested as "other" and shown so it can be changed).
3. :func:`incident_validate` checks EVERY row; :func:`incident_import_commit` validates again
   and writes only when no row fails: numbers per reported year taken in one block per year
   (:func:`~.incidents.incident_numbers_take`), ``bulk_create`` in batches, ``source=import``,
   ``import_job`` set, and one ``patrols.incidents_import`` ActivityEntry on the import job.

Rules for the times (the logs disagree on what they record):

* ``occurred`` may be a moment (``01/03/14 04:10``), a date (``8/20/17``: that local day,
  stored as occurred_at 00:00 … occurred_until 23:59:59) or a period (``11/10/2017 23:00 -
  11/14/2017 08:00`` → occurred_at … occurred_until). A separate "occurred until" column, if
  mapped, sets the end.
* A blank or "unknown" reported time is the start of the occurred time; a blank or unknown
  occurred time is the reported time. A row with neither is an error, as is any time that
  cannot be read, a period that ends before it starts, or a time in the future.
* Slash dates are MM/DD or DD/MM as the plan says; ``auto`` decides from the file's values
  (a first number above 12 is a day) and falls back to MM/DD. Two-digit years 00–68 are 20xx.
* Naive times are local times of the plan's time zone; the statistics group by Asia/Shanghai.

A row whose (number in the log, type as recorded, occurred at) is already in SafeCampus is an
"already imported" error (real logs repeat a case number once per offence, so the number
alone is not unique; rows repeating within one file are kept, as the log has them).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
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
    campus_options,
    campus_suggestions,
    column_problems,
    file_digest,
    import_job_get,
    keyword_patterns,
    lock_imports,
    parse_moment,
    parse_period,
    pending_import,
    refuse_imported,
    rejected,
    store_upload,
    stored_table,
    suggest_columns,
    upload_name,
    upload_table,
    value_key,
    value_maps,
)
from safecampus.core.importing import Validation as BaseValidation
from safecampus.core.importing import date_order_of as importing_date_order
from safecampus.core.incidents import suggest_category, suggest_choice
from safecampus.core.spreadsheets import (
    CellError,
    ImportRejected,
    RowError,
    Table,
    normalise_text,
)
from safecampus.organisation.models import Campus

from ..models import Incident, IncidentImport
from .incidents import incident_numbers_take

BATCH_SIZE = 1000
VERB = "patrols.incidents_import"
Category = Incident.Category
Disposition = Incident.Disposition

#: Our fields in the order the mapping form shows them. Earlier targets win a header.
TARGETS: tuple[Target, ...] = (
    Target("external_ref", gettext_lazy("Number in the log"),
           ("警情编号", "案件编号", "接警编号", "报警编号", "编号", "案号", "casenumber", "caseno",
            "umpdcasenumber", "reportnumber", "incidentnumber", "number", "ref", "reference",
            "id")),
    Target("type_label", gettext_lazy("Type as recorded"),
           ("警情类型", "警情类别", "案件类型", "案件类别", "事件类型", "类型", "类别", "案由",
            "incidenttype", "type", "offense", "offence", "description", "incident"), True),
    Target("disposition_label", gettext_lazy("Disposition as recorded"),
           ("处置结果", "处理结果", "处置情况", "处置", "结果", "办理结果", "disposition",
            "status", "outcome")),
    Target("reported_at", gettext_lazy("Reported at"),
           ("报警时间", "接警时间", "报案时间", "接报时间", "登记时间", "reported", "reportedat",
            "reportdatetime", "reporteddatetime", "reportdate", "reporteddate", "datereported")),
    Target("occurred_at", gettext_lazy("Occurred at (or from … to)"),
           ("发案时间", "案发时间", "发生时间", "事发时间", "occurred", "occurredat",
            "occurreddatetime", "occureddatetime", "occureddatetimelocation",
            "occurreddatetimelocation", "occurreddate", "dateoccurred", "datetime", "date")),
    Target("occurred_until", gettext_lazy("Occurred until"),
           ("结束时间", "发案结束时间", "occurreduntil", "occurredto", "occurredend", "enddate")),
    Target("location_text", gettext_lazy("Location"),
           ("发案地点", "案发地点", "事发地点", "地点", "位置", "地址", "location", "address",
            "place", "where")),
    Target("summary", gettext_lazy("Summary"),
           ("简要案情", "案情", "情况摘要", "摘要", "内容", "narrative", "summary", "details",
            "notes")),
    Target("campus", gettext_lazy("Campus"), ("校区", "所在校区", "campus")),
)
TARGET_KEYS = tuple(t.key for t in TARGETS)
#: Columns whose distinct values are mapped to ours in step 2 (source column → our field).
VALUE_KINDS = ("category", "disposition", "campus")
VALUE_COLUMNS = {"category": "type_label", "disposition": "disposition_label",
                 "campus": "campus"}
FIELD_LIMITS = {"external_ref": 64, "type_label": 120, "disposition_label": 120,
                "location_text": 200}
DATE_ORDERS = ("auto", "mdy", "dmy")

DISPOSITION_KEYWORDS: tuple[tuple[str, str], ...] = (
    (Disposition.ARREST, r"arrest\w*|拘留|抓获|刑拘|逮捕"),
    (Disposition.UNFOUNDED, r"unfounded|false|不实|误报|无效"),
    (Disposition.REFERRED, r"referr\w*|refer|ccso|jdc|prosecution|移交|移送|转交|转派"),
    (Disposition.CLOSED, r"cbe|closed|clearance|exception\w*|suspended|inactive|结案|已结|"
                         r"关闭|销案"),
    (Disposition.OPEN, r"active|pending|investigation|open|warrant issued|处置中|待处理|调查|"
                       r"侦查"),
    (Disposition.RESOLVED, r"resolved|cleared|handled|summons issued|citation|cited|nta|"
                           r"已处置|已处理|处理完毕|调解"),
)


_DISPOSITION_RES = keyword_patterns(DISPOSITION_KEYWORDS)


def suggest_disposition(label: str) -> str | None:
    """Our disposition for one as recorded (``Cleared by Arrest`` → arrest, ``CBE`` →
    closed, ``Investigation Pending`` → open, ``CCSO`` → referred), or None."""
    return suggest_choice(label, Disposition.choices, _DISPOSITION_RES)


def value_options(kind: str) -> list[tuple[str, str]]:
    """(value, label) choices for a value-mapping select of ``kind``."""
    if kind == "category":
        return [(v, str(label)) for v, label in Category.choices]
    if kind == "disposition":
        return [(v, str(label)) for v, label in Disposition.choices]
    if kind == "campus":
        return campus_options()
    raise ValueError(kind)


def value_suggestions(kind: str, values: list[str]) -> dict[str, str | None]:
    """Value key → suggested value for each source value (None: nothing matched). Types
    nothing matches are suggested as "other", dispositions as "open"; a campus must match a
    code or name."""
    if kind == "campus":
        return campus_suggestions(values)
    suggest, fallback = ((suggest_category, Category.OTHER) if kind == "category"
                         else (suggest_disposition, Disposition.OPEN))
    return {value_key(v): str(suggest(v) or fallback) for v in values}


# --- the plan ------------------------------------------------------------------------------
@dataclass
class IncidentImportPlan(MappingPlan):
    """Step 2's choice (see :class:`~safecampus.core.importing.MappingPlan`); ``values`` maps
    kind (``category``, ``disposition``, ``campus``) → {value key → category code,
    disposition code or campus id}; values left out take their suggestion. ``date_order``:
    ``auto``, ``mdy`` or ``dmy`` for slash dates."""

    TARGET_KEYS = TARGET_KEYS
    VALUE_KINDS = VALUE_KINDS

    date_order: str = "auto"


@dataclass
class Validation(BaseValidation):
    """Result of :func:`incident_validate`: ``rows`` (dicts of Incident fields plus ``_row``)
    when there are no errors; ``day_first`` as applied."""

    day_first: bool


def plan_problems(table: Table, plan: IncidentImportPlan) -> list[str]:
    """Problems with the mapping itself: columns (a type column is needed, and a reported or
    occurred time column), the time zone, the date order, the default campus."""
    problems = column_problems(table, plan, TARGETS)
    if plan.columns.get("reported_at") is None and plan.columns.get("occurred_at") is None:
        problems.append(_("Choose the column of the reported time or of the occurred time."))
    if plan.date_order not in DATE_ORDERS:
        problems.append(_("Unknown date order “%(order)s”.") % {"order": plan.date_order})
    if plan.default_campus and not Campus.objects.filter(pk=plan.default_campus).exists():
        problems.append(_("The default campus does not exist."))
    return problems


def date_order_of(table: Table, plan: IncidentImportPlan) -> tuple[bool, bool]:
    """``(day_first, decided_by_the_data)`` for ``plan``: the order chosen, or with ``auto``
    the order the file's date values show (MM/DD when they do not tell)."""
    return importing_date_order(table, plan, ("occurred_at", "reported_at", "occurred_until"))


def incident_validate(table: Table, plan: IncidentImportPlan, *,
                      now: dt.datetime | None = None) -> Validation:
    """Check every row of ``table`` under ``plan``; write nothing.

    Returns a :class:`Validation` with at most ``MAX_ERRORS_KEPT`` errors (``error_total``
    counts all); ``rows`` are ready for :func:`incident_import_commit` only when none failed.
    Raises :class:`DomainError` (code ``bad_plan``) if the plan itself is wrong."""
    problems = plan_problems(table, plan)
    if problems:
        raise DomainError(problems[0], code="bad_plan", field_errors={"__all__": problems})
    now = now or clock.now()
    latest = now + dt.timedelta(hours=1)  # clocks of the old system may run a little fast
    zone = ZoneInfo(plan.time_zone)
    local = clock.local_zone()
    day_first, _decided = date_order_of(table, plan)
    cols, headers = plan.columns, table.headers
    maps = value_maps(table, plan, kinds=VALUE_KINDS, value_columns=VALUE_COLUMNS,
                      suggestions=value_suggestions)
    valid = {"category": set(Category.values), "disposition": set(Disposition.values),
             "campus": {str(pk) for pk in Campus.objects.values_list("pk", flat=True)}}
    default_campus = plan.default_campus
    collected = ErrorCollector()
    rows: list[dict] = []

    def index_of(key):
        return cols.get(key)

    for number, cells in table.numbered():
        errors: list[RowError] = []

        def fail(key, message, _number=number, _errors=errors):
            column = headers[cols[key]] if cols.get(key) is not None else ""
            _errors.append(RowError(_number, column, message))

        def text(key, _cells=cells):
            index = cols.get(key)
            return normalise_text(_cells[index]) if index is not None else ""

        out = {"_row": number}
        for key in ("external_ref", "type_label", "disposition_label", "location_text",
                    "summary"):
            out[key] = text(key)
        for key, limit in FIELD_LIMITS.items():
            if len(out[key]) > limit:
                fail(key, _("Longer than %(limit)s characters.") % {"limit": limit})
        if not out["type_label"]:
            fail("type_label", _("The type is empty."))

        for kind in VALUE_KINDS:
            raw = out.get(VALUE_COLUMNS[kind]) if kind != "campus" else text("campus")
            if not raw:
                out[kind] = None
                continue
            mapped = maps[kind].get(value_key(raw))
            if mapped is None or mapped not in valid[kind]:
                fail(VALUE_COLUMNS[kind], _("“%(value)s” is not mapped to one of ours; choose it "
                                            "in the value mapping.") % {"value": raw})
                out[kind] = None
            else:
                out[kind] = mapped
        out["category"] = out["category"] or Category.OTHER
        out["disposition"] = out["disposition"] or Disposition.OPEN
        campus = out.pop("campus") or (str(default_campus) if default_campus else None)
        out["campus_id"] = int(campus) if campus else None

        times = {}
        for key in ("reported_at", "occurred_at"):
            index = index_of(key)
            times[key] = (None, None)
            if index is None:
                continue
            try:
                times[key] = parse_period(cells[index], row=number, column=headers[index],
                                          tz=zone, day_first=day_first)
            except CellError as error:
                errors.append(error.error)
                times[key] = False
        until = None
        if index_of("occurred_until") is not None:
            index = index_of("occurred_until")
            try:
                until, timed = parse_moment(cells[index], row=number, column=headers[index],
                                            tz=zone, day_first=day_first)
                if until is not None and not timed:
                    until = dt.datetime.combine(until.date(), dt.time.max, tzinfo=until.tzinfo)
            except CellError as error:
                errors.append(error.error)
        if times["reported_at"] is not False and times["occurred_at"] is not False:
            reported = times["reported_at"][0]
            occurred, occurred_until = times["occurred_at"]
            occurred_until = until or occurred_until
            if reported is None and occurred is None:
                fail("occurred_at" if cols.get("occurred_at") is not None else "reported_at",
                     _("Neither the occurred time nor the reported time is given."))
            else:
                reported = reported or occurred
                if occurred is None:
                    occurred = reported
                if occurred_until is not None and occurred_until < occurred:
                    fail("occurred_until" if until else "occurred_at",
                         _("The occurred period ends before it starts."))
                # A time taken from the other column is checked (and reported) there.
                for key, moment in (("reported_at", times["reported_at"][0]),
                                    ("occurred_at", times["occurred_at"][0])):
                    if moment is not None and moment > latest:
                        fail(key, _("%(time)s is in the future.") % {
                            "time": moment.astimezone(local).strftime("%Y-%m-%d %H:%M")})
                out["reported_at"], out["occurred_at"] = reported, occurred
                out["occurred_until"] = occurred_until
        if errors:
            collected.extend(errors)
            continue
        rows.append(out)

    if not collected and rows:
        for row in _already_imported(rows):
            collected.extend([RowError(row["_row"], headers[cols["external_ref"]]
                                       if cols.get("external_ref") is not None else "",
                                       _already_message(row))])
    return Validation(rows=rows if not collected else [], errors=collected.errors,
                      error_total=collected.total, total_rows=len(table), day_first=day_first)


def _already_message(row: dict) -> str:
    when = row["occurred_at"].astimezone(clock.local_zone()).strftime("%Y-%m-%d %H:%M")
    if row["external_ref"]:
        return _("Already imported: %(ref)s “%(type)s” occurred at %(time)s is in SafeCampus.") % {
            "ref": row["external_ref"], "type": row["type_label"], "time": when}
    return _("Already imported: “%(type)s” occurred at %(time)s is in SafeCampus.") % {
        "type": row["type_label"], "time": when}


def _already_imported(rows: list[dict]) -> list[dict]:
    """The rows whose (number in the log, type as recorded, occurred at) is in SafeCampus."""
    refs = sorted({r["external_ref"] for r in rows})
    existing: set[tuple[str, str, dt.datetime]] = set()
    for start in range(0, len(refs), 900):  # stay under SQLite's variable limit
        existing.update(
            Incident.objects.filter(external_ref__in=refs[start:start + 900])
            .values_list("external_ref", "type_label", "occurred_at"))
    if not existing:
        return []
    return [r for r in rows if (r["external_ref"], r["type_label"], r["occurred_at"]) in existing]


# --- writes (services) ---------------------------------------------------------------------
def _refuse_imported(digest: str, *, field: str = "file") -> None:
    done = (IncidentImport.objects.filter(digest=digest, state=IncidentImport.State.IMPORTED)
            .order_by("imported_at").first())
    if done is not None:
        message = _("This file was already imported on %(date)s (%(count)s incidents); "
                    "the same file is imported once.") % {
            "date": done.imported_at.astimezone(clock.local_zone()).strftime("%Y-%m-%d %H:%M"),
            "count": done.imported_count}
        raise DomainError(message, code="already_imported", field_errors={field: [message]})


def incident_import_upload(*, actor, uploaded_file) -> IncidentImport:
    """Step 1: keep ``uploaded_file`` for mapping, after checking it is a readable .xlsx or
    .csv with a header row and data rows. The same file (by SHA-256) already imported is
    refused; the same file uploaded again by the same person before importing continues that
    upload. Raises NotAllowed without ``patrols.import_incidents``; DomainError (field
    ``file``) for a wrong, empty or already imported file."""
    if not actor.has_perm("patrols.import_incidents"):
        raise NotAllowed()
    table = upload_table(uploaded_file)
    digest = file_digest(uploaded_file)
    _refuse_imported(digest)
    pending = pending_import(IncidentImport, digest=digest, created_by=actor)
    if pending is not None:
        return pending
    name = upload_name(uploaded_file, "incidents")
    plan = IncidentImportPlan(columns=suggest_columns(table.headers, TARGETS))
    job = IncidentImport(created_by=actor, original_name=name, row_count=len(table),
                         digest=digest, plan=plan.as_json())
    store_upload(job, uploaded_file, name)
    job.save()
    return job


def incident_import_table(job: IncidentImport) -> Table:
    """The uploaded file of ``job`` read again."""
    return stored_table(job)


def incident_import_get(user, pk: int) -> IncidentImport | None:
    """The import job ``pk`` if ``user`` started it and may import, else None."""
    return import_job_get(IncidentImport, user, pk, "patrols.import_incidents")


@dataclass
class ImportResult:
    created: int
    numbers: dict[int, tuple[int, int]]  # year → (first, last) sequence
    job_id: int


def incident_import_commit(*, actor, job: IncidentImport, plan: IncidentImportPlan,
                           table: Table | None = None) -> ImportResult:
    """Step 3: validate every row of ``job``'s file under ``plan``; when none fails, create
    all incidents in one transaction and mark the job imported.

    Numbers: per year reported (Asia/Shanghai), one block per year taken inside the
    transaction, given in reported-time order. ``bulk_create`` in batches of 1000 with
    ``source=import`` and ``import_job``. One ``patrols.incidents_import`` ActivityEntry on
    the job (actor, count, number ranges): a per-row entry would double the rows written for
    no new fact, since each incident already names its import job, file row order and number.

    Raises NotAllowed without ``patrols.import_incidents``; DomainError for a wrong plan or a
    file already imported; :class:`ImportRejected` (the job turns ``rejected``) when any row
    fails — then nothing is written."""
    if not actor.has_perm("patrols.import_incidents"):
        raise NotAllowed()
    refuse_imported(job)
    table = table if table is not None else incident_import_table(job)
    result = incident_validate(table, plan)
    if not result.ok:
        raise rejected(result, job, plan)
    now = clock.now()
    local = clock.local_zone()
    with transaction.atomic():
        lock_imports("safecampus.patrols.import")
        job = IncidentImport.objects.select_for_update().get(pk=job.pk)
        refuse_imported(job)
        _refuse_imported(job.digest, field="__all__")
        # Another import may have committed the same rows since the check above.
        again = _already_imported(result.rows)
        if again:
            raise ImportRejected([RowError(r["_row"], "", _already_message(r)) for r in again],
                                 total_rows=result.total_rows)
        by_year: dict[int, list[dict]] = defaultdict(list)
        for row in result.rows:
            by_year[row["reported_at"].astimezone(local).year].append(row)
        numbers: dict[int, tuple[int, int]] = {}
        incidents: list[Incident] = []
        for year in sorted(by_year):
            rows = sorted(by_year[year], key=lambda r: (r["reported_at"], r["_row"]))
            first = incident_numbers_take(year=year, count=len(rows))
            numbers[year] = (first, first + len(rows) - 1)
            incidents.extend(_incident_from(row, year=year, sequence=first + offset, job=job)
                             for offset, row in enumerate(rows))
        for start in range(0, len(incidents), BATCH_SIZE):
            Incident.objects.bulk_create(incidents[start:start + BATCH_SIZE])
        IncidentImport.objects.filter(pk=job.pk).update(
            state=IncidentImport.State.IMPORTED, imported_count=len(incidents), error_count=0,
            imported_at=now, plan=plan.as_json(), updated_at=now)
        with translation.override(settings.LANGUAGE_CODE):
            comment = _("%(count)s incidents imported from %(file)s.") % {
                "count": len(incidents), "file": job.original_name}
        activity_record(
            target=job, actor=actor, verb=VERB, from_state=job.state,
            to_state=IncidentImport.State.IMPORTED, comment=comment,
            data={"count": len(incidents), "file": job.original_name,
                  "numbers": {str(y): list(r) for y, r in numbers.items()},
                  "day_first": result.day_first, "time_zone": plan.time_zone})
    return ImportResult(created=len(incidents), numbers=numbers, job_id=job.pk)


def _incident_from(row: dict, *, year: int, sequence: int, job: IncidentImport) -> Incident:
    return Incident(
        year=year, sequence=sequence, category=row["category"], type_label=row["type_label"],
        summary=row["summary"], reported_at=row["reported_at"], occurred_at=row["occurred_at"],
        occurred_until=row["occurred_until"], campus_id=row["campus_id"],
        location_text=row["location_text"], disposition=row["disposition"],
        disposition_label=row["disposition_label"], source=Incident.Source.IMPORT,
        external_ref=row["external_ref"], import_job=job, recorded_by=job.created_by,
    )
