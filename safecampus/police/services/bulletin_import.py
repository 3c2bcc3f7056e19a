"""Importing incident records into a draft bulletin from Excel or CSV with a column mapping
(the generic half is :mod:`safecampus.core.importing`, the pages :mod:`~safecampus.core.import_views`).

1. :func:`bulletin_import_upload` keeps the file as a :class:`BulletinImport` of one draft
   bulletin; the same file (SHA-256) is imported into a bulletin once.
2. The user maps columns (:data:`TARGETS`) and the distinct values of the type, campus and
   "where" columns to ours (types suggested by :func:`safecampus.core.incidents.suggest_category`).
3. :func:`bulletin_import_commit` checks EVERY row (times within the bulletin's period) and
   writes only when none fails: records
   appended after the bulletin's last position, ``bulk_create`` in batches, one
   ``police.bulletin_import`` ActivityEntry on the bulletin.

Times: ``occurred`` may be a moment, a date (that local day, stored as its start) or a period
``from - to`` (its start); a blank or unknown occurred time takes the reported time when that
column is mapped. Slash dates are MM/DD or DD/MM as the plan says (``auto`` decides from the
file). Naive times are local times of the plan's time zone. A time in the future is an error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.importing import (
    ErrorCollector,
    MappingPlan,
    RowCells,
    Target,
    Validation,
    campus_options,
    campus_suggestions,
    column_problems,
    file_digest,
    keyword_match,
    keyword_patterns,
    lock_imports,
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
from safecampus.core.importing import date_order_of as importing_date_order
from safecampus.core.incidents import IncidentCategory, suggest_category
from safecampus.core.spreadsheets import CellError, Table
from safecampus.organisation.models import Campus

from ..models import Bulletin, BulletinImport, BulletinRecord
from .bulletins import liaison_campus_scope, outside_period, period_text, record_fields_checked

BATCH_SIZE = 1000
VERB = "police.bulletin_import"
Proximity = BulletinRecord.Proximity
Relevance = BulletinRecord.Relevance

#: Our fields in the order the mapping form shows them. Earlier targets win a header.
TARGETS: tuple[Target, ...] = (
    Target("external_ref", gettext_lazy("Police reference number"),
           ("警情编号", "案件编号", "接警编号", "编号", "案号", "casenumber", "umpdcasenumber",
            "reportnumber", "incidentnumber", "number", "ref", "reference", "id")),
    Target("type_label", gettext_lazy("Type as recorded"),
           ("警情类型", "警情类别", "案件类型", "案件类别", "类型", "类别", "案由", "incidenttype",
            "type", "offense", "offence", "description", "incident"), True),
    Target("occurred_at", gettext_lazy("Occurred at (or from … to)"),
           ("发案时间", "案发时间", "发生时间", "事发时间", "occurred", "occurredat",
            "occurreddatetime", "occureddatetime", "occureddatetimelocation",
            "occurreddatetimelocation", "occurreddate", "dateoccurred", "datetime", "date"),
           True),
    Target("reported_at", gettext_lazy("Reported at (when the occurred time is blank)"),
           ("报警时间", "接警时间", "报案时间", "reported", "reportedat", "reportdatetime",
            "reporteddatetime", "reportdate", "datereported")),
    Target("location_text", gettext_lazy("Location"),
           ("发案地点", "案发地点", "事发地点", "地点", "位置", "地址", "location", "address",
            "place", "where")),
    Target("summary", gettext_lazy("Summary"),
           ("简要案情", "案情", "情况摘要", "摘要", "内容", "narrative", "summary", "details",
            "notes")),
    Target("campus", gettext_lazy("Campus"), ("校区", "所在校区", "campus")),
    Target("proximity", gettext_lazy("On or near campus"),
           ("校内外", "发案区域", "区域", "locationtype", "proximity", "geography")),
    Target("disposition_label", gettext_lazy("Disposition as recorded"),
           ("处置结果", "处理结果", "处置情况", "处置", "结果", "disposition", "status",
            "outcome")),
)
TARGET_KEYS = tuple(t.key for t in TARGETS)
VALUE_KINDS = ("category", "campus", "proximity")
VALUE_COLUMNS = {"category": "type_label", "campus": "campus", "proximity": "proximity"}
FIELD_LIMITS = {"external_ref": 64, "type_label": 120, "disposition_label": 120,
                "location_text": 200, "summary": 5000}
DATE_ORDERS = ("auto", "mdy", "dmy")
PROXIMITY_KEYWORDS = keyword_patterns((
    (Proximity.NEARBY, r"near|nearby|adjacent|public property|周边|附近|校门口|门口"),
    (Proximity.AREA, r"non[- ]?campus|off[- ]?campus|elsewhere|辖区|校外"),
    (Proximity.ON_CAMPUS, r"on[- ]?campus|campus|dormitor\w*|residential|校内|校园|宿舍"),
))


def suggest_proximity(label: str) -> str | None:
    """``On campus`` / ``In dormitories …`` → on campus, ``Public property`` / 周边 → near
    campus, ``Non-campus`` / 校外 → elsewhere; None when nothing matches."""
    return keyword_match(label, PROXIMITY_KEYWORDS)


def value_options(kind: str) -> list[tuple[str, str]]:
    """(value, label) choices for a value-mapping select of ``kind``."""
    if kind == "category":
        return [(v, str(label)) for v, label in IncidentCategory.choices]
    if kind == "proximity":
        return [(v, str(label)) for v, label in Proximity.choices]
    if kind == "campus":
        return campus_options()
    raise ValueError(kind)


def value_suggestions(kind: str, values: list[str]) -> dict[str, str | None]:
    """Value key → suggestion: a type nothing matches is "other", a "where" nothing matches
    is "elsewhere"; a campus must match a code or name (else None: not mapped)."""
    if kind == "campus":
        return campus_suggestions(values)
    if kind == "proximity":
        return {value_key(v): suggest_proximity(v) or Proximity.AREA for v in values}
    return {value_key(v): str(suggest_category(v) or IncidentCategory.OTHER) for v in values}


@dataclass
class BulletinImportPlan(MappingPlan):
    """Step 2's choice; ``values``: kind → {value key → category code, campus id or
    proximity code}; ``date_order`` ``auto``/``mdy``/``dmy``; ``default_proximity`` for rows
    without a "where" (on campus when the row has a campus, else this)."""

    TARGET_KEYS = TARGET_KEYS
    VALUE_KINDS = VALUE_KINDS

    date_order: str = "auto"
    default_proximity: str = Proximity.AREA


def plan_problems(table: Table, plan: BulletinImportPlan) -> list[str]:
    """Problems with the mapping itself (columns, time zone, date order, defaults)."""
    problems = column_problems(table, plan, TARGETS)
    if plan.date_order not in DATE_ORDERS:
        problems.append(_("Unknown date order “%(order)s”.") % {"order": plan.date_order})
    if plan.default_proximity not in Proximity.values:
        problems.append(_("Choose where incidents without a location type happened."))
    if plan.default_campus and not Campus.objects.filter(pk=plan.default_campus).exists():
        problems.append(_("The default campus does not exist."))
    return problems


def date_order_of(table: Table, plan: BulletinImportPlan) -> tuple[bool, bool]:
    """``(day_first, decided_by_the_data)``: the order chosen, or with ``auto`` the order the
    file's slash dates show (MM/DD when they do not tell)."""
    return importing_date_order(table, plan, ("occurred_at", "reported_at"))


def _time(row: RowCells, key: str, *, zone, day_first: bool):
    """The start of the moment or period in ``key``'s cell, None when blank, False when
    unreadable (the error is on ``row``)."""
    if not row.has(key):
        return None
    try:
        start, _end = parse_period(row.cell(key), row=row.number, column=row.header(key),
                                   tz=zone, day_first=day_first)
    except CellError as error:
        row.errors.append(error.error)
        return False
    return start


def bulletin_import_validate(table: Table, plan: BulletinImportPlan, *,
                             now: dt.datetime | None = None,
                             period: tuple[dt.date, dt.date] | None = None,
                             allowed_campus_ids: set[int] | None = None) -> Validation:
    """Check every row of ``table`` under ``plan``; write nothing. ``rows`` (BulletinRecord
    field values plus ``_row``) only when no row failed. An occurred time on a local day
    outside ``period`` (the bulletin's first and last day) fails its row, as the record form
    refuses it; so does a campus outside ``allowed_campus_ids`` (a liaison's, see
    :func:`~.bulletins.liaison_campus_scope`; None: any). Raises DomainError ``bad_plan``."""
    problems = plan_problems(table, plan)
    if problems:
        raise DomainError(problems[0], code="bad_plan", field_errors={"__all__": problems})
    latest = (now or clock.now()) + dt.timedelta(hours=1)
    zone = ZoneInfo(plan.time_zone)
    local = clock.local_zone()
    day_first, _decided = date_order_of(table, plan)
    maps = value_maps(table, plan, kinds=VALUE_KINDS, value_columns=VALUE_COLUMNS,
                      suggestions=value_suggestions)
    campus_ids = set(Campus.objects.values_list("pk", flat=True))
    valid = {"category": set(IncidentCategory.values), "proximity": set(Proximity.values),
             "campus": {str(pk) for pk in campus_ids}}
    collected = ErrorCollector()
    rows: list[dict] = []
    for number, cells in table.numbered():
        row = RowCells(number, cells, columns=plan.columns, headers=table.headers)
        out = {"_row": number}
        for key, limit in FIELD_LIMITS.items():
            out[key] = row.text(key)
            if len(out[key]) > limit:
                row.fail(key, _("Longer than %(limit)s characters.") % {"limit": limit})
        if not out["type_label"]:
            row.fail("type_label", _("The type is empty."))
        mapped = {}
        for kind in VALUE_KINDS:
            raw = row.text(VALUE_COLUMNS[kind])
            mapped[kind] = None
            if raw:
                mapped[kind] = maps[kind].get(value_key(raw))
                if mapped[kind] is None or mapped[kind] not in valid[kind]:
                    row.fail(VALUE_COLUMNS[kind], _(
                        "“%(value)s” is not mapped to one of ours; choose it in the value "
                        "mapping.") % {"value": raw})
        campus = mapped["campus"] or (str(plan.default_campus) if plan.default_campus else None)
        out["category"] = mapped["category"] or IncidentCategory.OTHER
        out["campus_id"] = int(campus) if campus else None
        out["proximity"] = mapped["proximity"] or (
            Proximity.ON_CAMPUS if mapped["campus"] else plan.default_proximity)
        occurred = _time(row, "occurred_at", zone=zone, day_first=day_first)
        reported = _time(row, "reported_at", zone=zone, day_first=day_first)
        if occurred is not False and reported is not False:
            occurred = occurred or reported
            if occurred is None:
                row.fail("occurred_at", _("The occurred time is not given."))
            elif occurred > latest:
                row.fail("occurred_at", _("%(time)s is in the future.") % {
                    "time": occurred.astimezone(local).strftime("%Y-%m-%d %H:%M")})
            elif outside_period(occurred, period):
                row.fail("occurred_at", _(
                    "%(time)s is outside the bulletin's period (%(period)s).") % {
                    "time": occurred.astimezone(local).strftime("%Y-%m-%d %H:%M"),
                    "period": period_text(*period)})
            out["occurred_at"] = occurred
        if not row.errors:
            _record_rules(row, out, period=period, campus_ids=campus_ids,
                          allowed_campus_ids=allowed_campus_ids)
        if row.errors:
            collected.extend(row.errors)
            continue
        rows.append(out)
    return Validation(rows=rows if not collected else [], errors=collected.errors,
                      error_total=collected.total, total_rows=len(table))


#: The import column a record field's error belongs to (the rest have the same name).
ERROR_COLUMNS = {"category": "type_label", "place": "location_text"}


def _record_rules(row: RowCells, out: dict, *, period, campus_ids: set[int],
                  allowed_campus_ids: set[int] | None = None) -> None:
    """Check a row's values with the rules of the record form and API
    (:func:`~.bulletins.record_fields_checked`: a row on campus names its campus …); each
    field's message goes on ``row`` at its column."""
    try:
        record_fields_checked(
            occurred_at=out["occurred_at"], category=out["category"],
            type_label=out["type_label"], proximity=out["proximity"],
            campus_id=out["campus_id"], location_text=out["location_text"],
            summary=out["summary"], relevance=Relevance.MEDIUM,
            external_ref=out["external_ref"], disposition_label=out["disposition_label"],
            period=period, campus_ids=campus_ids, allowed_campus_ids=allowed_campus_ids)
    except DomainError as error:
        for field, messages in (error.field_errors or {"__all__": [error.message]}).items():
            if field == "campus" and out["campus_id"] is None:
                messages = [_("The incident is on campus but has no campus: map the campus "
                              "column or choose a campus for rows without one.")]
            for message in messages:
                row.fail(ERROR_COLUMNS.get(field, field), message)


# --- writes (services) ---------------------------------------------------------------------
def _draft_to_import_into(actor, bulletin_id) -> Bulletin:
    bulletin = Bulletin.objects.filter(pk=bulletin_id).first()
    if bulletin is None or not actor.has_perm("police.edit_bulletin", bulletin):
        raise NotAllowed()
    return bulletin


def _refuse_same_file(bulletin_id: int, digest: str, *, field: str = "file") -> None:
    done = (BulletinImport.objects.filter(bulletin_id=bulletin_id, digest=digest,
                                          state=BulletinImport.State.IMPORTED).first())
    if done is not None:
        message = _("This file was already imported into this bulletin on %(date)s (%(count)s "
                    "incidents); the same file is imported once.") % {
            "date": done.imported_at.astimezone(clock.local_zone()).strftime("%Y-%m-%d %H:%M"),
            "count": done.imported_count}
        raise DomainError(message, code="already_imported", field_errors={field: [message]})


def bulletin_import_upload(*, actor, bulletin_id: int, uploaded_file) -> BulletinImport:
    """Step 1: keep ``uploaded_file`` (a readable .xlsx or .csv with data rows) for mapping
    into draft ``bulletin_id`` (``police.edit_bulletin``). The same file already imported
    into the bulletin is refused; uploaded again before importing, the pending job goes on."""
    bulletin = _draft_to_import_into(actor, bulletin_id)
    table = upload_table(uploaded_file)
    digest = file_digest(uploaded_file)
    _refuse_same_file(bulletin.pk, digest)
    pending = pending_import(BulletinImport, bulletin=bulletin, digest=digest, created_by=actor)
    if pending is not None:
        return pending
    name = upload_name(uploaded_file, "incidents")
    plan = BulletinImportPlan(columns=suggest_columns(table.headers, TARGETS))
    job = BulletinImport(bulletin=bulletin, created_by=actor, original_name=name,
                         row_count=len(table), digest=digest, plan=plan.as_json())
    store_upload(job, uploaded_file, name)
    job.save()
    return job


def bulletin_import_get(user, pk: int) -> BulletinImport | None:
    """Import job ``pk`` if ``user`` started it and may still edit its bulletin (or it is
    imported), else None."""
    if not user.is_authenticated:
        return None
    job = (BulletinImport.objects.select_related("bulletin", "bulletin__partner")
           .filter(pk=pk, created_by=user).first())
    if job is None:
        return None
    if job.state != BulletinImport.State.IMPORTED and not user.has_perm(
            "police.edit_bulletin", job.bulletin):
        return None
    return job


def bulletin_import_table(job: BulletinImport) -> Table:
    return stored_table(job)


@dataclass
class ImportResult:
    created: int
    first_position: int
    job_id: int


def bulletin_import_commit(*, actor, job: BulletinImport, plan: BulletinImportPlan,
                           table: Table | None = None) -> ImportResult:
    """Step 3: check every row; when none fails, append all records to the draft in one
    transaction (positions after its last, file order), in batches of 1000, and mark the job
    imported. One ``police.bulletin_import`` entry on the bulletin. Raises NotAllowed (no
    longer a draft one may edit), DomainError (plan, file imported), Conflict (the period
    changed while checking), :class:`ImportRejected` (the job turns ``rejected``; nothing
    written)."""
    bulletin = _draft_to_import_into(actor, job.bulletin_id)
    refuse_imported(job)
    table = table if table is not None else bulletin_import_table(job)
    result = bulletin_import_validate(table, plan,
                                      period=(bulletin.period_start, bulletin.period_end),
                                      allowed_campus_ids=liaison_campus_scope(actor))
    if not result.ok:
        raise rejected(result, job, plan)
    now = clock.now()
    with transaction.atomic():
        lock_imports("safecampus.police.bulletin_import")
        locked = Bulletin.objects.select_for_update().get(pk=job.bulletin_id)
        if not actor.has_perm("police.edit_bulletin", locked):
            raise NotAllowed()
        if (locked.period_start, locked.period_end) != (bulletin.period_start,
                                                        bulletin.period_end):
            raise Conflict(_("The bulletin's period changed meanwhile; import again."),
                           code="period_changed")
        bulletin = locked
        job = BulletinImport.objects.select_for_update().get(pk=job.pk)
        refuse_imported(job)
        _refuse_same_file(bulletin.pk, job.digest, field="__all__")
        first = (bulletin.records.aggregate(top=Max("position"))["top"] or 0) + 1
        records = [BulletinRecord(bulletin=bulletin, position=first + offset,
                                  **{k: v for k, v in row.items() if k != "_row"})
                   for offset, row in enumerate(result.rows)]
        for start in range(0, len(records), BATCH_SIZE):
            BulletinRecord.objects.bulk_create(records[start:start + BATCH_SIZE])
        BulletinImport.objects.filter(pk=job.pk).update(
            state=BulletinImport.State.IMPORTED, imported_count=len(records), error_count=0,
            imported_at=now, plan=plan.as_json(), updated_at=now)
        with translation.override(settings.LANGUAGE_CODE):
            comment = _("%(count)s incidents imported from %(file)s.") % {
                "count": len(records), "file": job.original_name}
        activity_record(target=bulletin, actor=actor, verb=VERB, comment=comment,
                        data={"count": len(records), "file": job.original_name,
                              "import": job.pk, "first_position": first})
    return ImportResult(created=len(records), first_position=first, job_id=job.pk)
