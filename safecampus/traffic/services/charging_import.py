"""Importing charging stations and charging sessions from the operators' exports (Excel or
CSV) through the shared column-mapping import pages (:mod:`safecampus.core.import_views`).
One :class:`~safecampus.traffic.models.ChargingImport` per uploaded file (``content``
``stations`` or ``sessions``) carries the file, its SHA-256, the mapping and the result.

1. ``charging_import_upload`` keeps the file after reading it (a file already imported,
   by SHA-256, is refused; the same file uploaded again before importing continues that
   upload).
2. The user maps the columns (suggested from Chinese, English and the Lugano operator's
   Italian headers) and, for sessions, the file's time zone and date order; for stations
   the campus, type, operator, operator unit and points where the file has no column.
3. ``charging_*_validate`` checks EVERY row; the commit writes only when none fails
   (``bulk_create`` in batches), else raises ImportRejected listing the rows.

Decisions:

* **Stations** are matched by the operator's station id (``external_id``): an id already
  registered, or repeated in the file, is a row error (the import adds stations, it does not
  edit them; edit a station on its page).
* **Sessions** name their station by the operator's station id; an unknown id is a row
  error ("import the stations first"). A session id repeated within the file for the same
  station is an error; a session already in SafeCampus (same station and session id, from
  an earlier, overlapping export) is **skipped** and counted, so overlapping monthly exports
  can be imported one after another.
* **Times**: a date column and an optional time-of-day column (``BeginDate`` +
  ``BeginHour``), read in the plan's zone (default Asia/Shanghai; the Lugano sample is
  Europe/Zurich) and date order. The end is ``EndDate``/``EndHour``, else start +
  ``Duration`` seconds. A session must end after (or when) it starts, within
  :data:`MAX_SESSION_HOURS` hours (a longer ``Duration`` is refused before it is added),
  and start and end in or after :data:`EARLIEST_YEAR` and not in the future.
* **Date order**: "detect" reads the dates that can only be one way (a number above 12).
  The Lugano file mixes ``12/31/2017`` and ``01.02.17``; both are month first (the dotted
  ones are the dates whose day is 12 or less, which a spreadsheet re-wrote): with month
  first every session's end minus start equals its ``Duration``, with day first 32 do not.
* **Energy**: ``PowerConsumption`` in Wh, else a kWh column (``17 kWh``, ``17.2``); at
  most :data:`MAX_SESSION_KWH` kWh a session (a larger figure is a misread cell, and could
  overflow the database column).
* **Once**: the same file (SHA-256) is imported once.
"""

from __future__ import annotations

import datetime as dt
import math
import re
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
    RowCells,
    Target,
    column_header,
    column_problems,
    detect_day_first,
    file_digest,
    import_job_get,
    lock_imports,
    parse_moment,
    pending_import,
    refuse_imported,
    rejected,
    store_upload,
    stored_table,
    suggest_columns,
    upload_name,
    upload_table,
)
from safecampus.core.importing import Validation as BaseValidation
from safecampus.core.spreadsheets import (
    CellError,
    ImportRejected,
    RowError,
    Table,
    normalise_text,
)
from safecampus.organisation.models import Campus, Unit

from ..models import ChargingImport, ChargingSession, ChargingStation

PERMISSION = "traffic.manage_charging"
VERB = "traffic.charging_import"
BATCH_SIZE = 2000
MAX_SESSION_HOURS = 7 * 24
#: The most energy one session may record: more than any vehicle's battery takes (a car's
#: is under 200 kWh, an electric bus's about 600), far below the column's integer limit.
MAX_SESSION_KWH = 1000
MAX_SESSION_WH = MAX_SESSION_KWH * 1000
#: Sessions start and end in this year or later (an earlier date is a misread cell).
EARLIEST_YEAR = 2000
DATE_ORDERS = ("auto", "mdy", "dmy")
Content = ChargingImport.Content

STATION_TARGETS: tuple[Target, ...] = (
    Target("external_id", gettext_lazy("Operator's station id"),
           ("充电站编号", "电站编号", "站点编号", "桩编号", "编号", "chargingstationid",
            "stationid", "station_id", "id"), True),
    Target("name", gettext_lazy("Station name"),
           ("充电站名称", "站点名称", "名称", "chargingstationname", "stationname", "name"), True),
    Target("location", gettext_lazy("Location (town, street)"),
           ("地点", "位置", "地址", "paese", "town", "city", "location", "address")),
    Target("description", gettext_lazy("Description"),
           ("说明", "描述", "备注", "description", "note", "remarks")),
    Target("operator_name", gettext_lazy("Operator"),
           ("运营商", "运营单位", "运营公司", "operator", "operatorname")),
    Target("points", gettext_lazy("Charging points"),
           ("充电口数", "充电位", "端口数", "枪数", "points", "connectors", "plugs")),
)
SESSION_TARGETS: tuple[Target, ...] = (
    Target("external_id", gettext_lazy("Operator's session id"),
           ("充电记录编号", "订单号", "订单编号", "记录编号", "chargelogid", "sessionid",
            "transactionid", "id"), True),
    Target("station_ref", gettext_lazy("Operator's station id"),
           ("充电站编号", "电站编号", "站点编号", "桩编号", "chargingstationid", "stationid",
            "station_id", "station"), True),
    Target("start_date", gettext_lazy("Start date (and time)"),
           ("开始日期", "开始时间", "充电开始时间", "begindate", "startdate", "start",
            "startedat", "started"), True),
    Target("start_time", gettext_lazy("Start time of day (when separate)"),
           ("开始时刻", "beginhour", "starthour", "starttime")),
    Target("end_date", gettext_lazy("End date (and time)"),
           ("结束日期", "结束时间", "充电结束时间", "enddate", "end", "endedat", "ended")),
    Target("end_time", gettext_lazy("End time of day (when separate)"),
           ("结束时刻", "endhour", "endtime")),
    Target("duration", gettext_lazy("Duration in seconds (when there is no end)"),
           ("时长秒", "充电时长秒", "duration", "durationseconds", "seconds")),
    Target("energy_wh", gettext_lazy("Energy (Wh)"),
           ("电量wh", "充电量wh", "powerconsumption", "energywh", "wh")),
    Target("energy_kwh", gettext_lazy("Energy (kWh, when there is no Wh column)"),
           ("电量", "充电量", "电量kwh", "充电量kwh", "consumokwh", "kwh", "energykwh", "energy")),
    Target("plug", gettext_lazy("Plug"), ("枪号", "充电口", "接口", "plug", "connector")),
    Target("user_ref", gettext_lazy("User in the operator's file"),
           ("用户", "用户编号", "userid", "user", "customer")),
)
TARGETS = {Content.STATIONS: STATION_TARGETS, Content.SESSIONS: SESSION_TARGETS}


# --- plans ------------------------------------------------------------------------------------
@dataclass
class StationImportPlan(MappingPlan):
    """Step 2 for stations: columns, plus ``default_campus`` (every station's campus),
    ``kind``, ``operator_name`` (when the file has no operator column),
    ``operator_unit`` (unit id faults are routed to, or None) and ``points`` (when the file
    has no points column)."""

    TARGET_KEYS = tuple(t.key for t in STATION_TARGETS)
    VALUE_KINDS = ()

    kind: str = ChargingStation.Kind.EV
    operator_name: str = ""
    operator_unit: int | None = None
    points: int = 2


@dataclass
class SessionImportPlan(MappingPlan):
    """Step 2 for sessions: columns, ``time_zone`` of the file's times and ``date_order``
    (``auto``, ``mdy`` or ``dmy``)."""

    TARGET_KEYS = tuple(t.key for t in SESSION_TARGETS)
    VALUE_KINDS = ()

    date_order: str = "auto"


PLANS = {Content.STATIONS: StationImportPlan, Content.SESSIONS: SessionImportPlan}


@dataclass
class Validation(BaseValidation):
    skipped: int = 0
    day_first: bool = False


def operator_missing_message() -> str:
    """The message when neither an operator column nor an operator name is given."""
    return _("Enter the operator, or choose the column that holds it.")


def station_plan_field_problems(table: Table, plan: StationImportPlan
                                ) -> list[tuple[str | None, str]]:
    """``(plan field or None, message)`` per problem of a station plan, so the mapping form
    shows each message at its field (``default_campus``, ``kind``, ``operator_name``,
    ``operator_unit``, ``points``; None: the column choice)."""
    problems: list[tuple[str | None, str]] = [
        (None, problem) for problem in column_problems(table, plan, STATION_TARGETS)]
    campus_ok = (str(plan.default_campus or "").isdigit()
                 and Campus.objects.filter(pk=plan.default_campus).exists())
    if not campus_ok:
        problems.append(("default_campus", _("Choose the campus of these stations.")))
    if plan.kind not in ChargingStation.Kind.values:
        problems.append(("kind", _("Choose e-bike or electric-car charging.")))
    if plan.columns.get("operator_name") is None and not (plan.operator_name or "").strip():
        problems.append(("operator_name", operator_missing_message()))
    if len((plan.operator_name or "").strip()) > 64:
        problems.append(("operator_name",
                         _("The operator's name is longer than %(count)s characters.")
                         % {"count": 64}))
    if plan.operator_unit is not None and not Unit.objects.filter(
            pk=plan.operator_unit, is_active=True).exists():
        problems.append(("operator_unit", _("Choose a unit from the list.")))
    if not isinstance(plan.points, int) or not 1 <= plan.points <= 500:
        problems.append(("points", _("Enter a number of charging points from 1 to %(max)s.")
                         % {"max": 500}))
    return problems


def station_plan_problems(table: Table, plan: StationImportPlan) -> list[str]:
    return [message for _field, message in station_plan_field_problems(table, plan)]


def session_plan_problems(table: Table, plan: SessionImportPlan) -> list[str]:
    problems = column_problems(table, plan, SESSION_TARGETS)
    cols = plan.columns
    if cols.get("end_date") is None and cols.get("duration") is None:
        problems.append(_("Choose the column of the end, or of the duration in seconds."))
    if plan.date_order not in DATE_ORDERS:
        problems.append(_("Unknown date order “%(order)s”.") % {"order": plan.date_order})
    return problems


def date_order_of(table: Table, plan: SessionImportPlan) -> tuple[bool, bool]:
    """``(day_first, decided from the file)`` for the start and end date columns."""
    if plan.date_order in ("dmy", "mdy"):
        return plan.date_order == "dmy", False
    columns = [plan.columns.get(k) for k in ("start_date", "end_date")]
    columns = [c for c in columns if c is not None and c < len(table.headers)]
    detected = detect_day_first(cells[c] for cells in table.rows for c in columns)
    return bool(detected), detected is not None


# --- cells ------------------------------------------------------------------------------------
_INT = re.compile(r"^[+]?\d{1,12}(?:\.0+)?$")
_NUMBER = re.compile(r"^([+]?\d{1,9}(?:[.,]\d+)?)\s*(?:kwh|千瓦时|度)?$", re.IGNORECASE)


def _whole(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = normalise_text(value).replace(",", "")
    return int(float(text)) if _INT.match(text) else None


def _kwh(value) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    match = _NUMBER.match(normalise_text(value))
    return float(match[1].replace(",", ".")) if match else None


def _moment_text(row: RowCells, date_key: str, time_key: str) -> str:
    return " ".join(v for v in (row.text(date_key), row.text(time_key)) if v)


def _moment(row: RowCells, date_key, time_key, *, zone, day_first):
    """The aware moment of a date cell plus an optional time-of-day cell, or None (blank)."""
    date_value = row.cell(date_key)
    time_value = row.cell(time_key)
    if isinstance(time_value, dt.time):
        time_value = time_value.strftime("%H:%M:%S")
    time_text = normalise_text(time_value)
    if isinstance(date_value, dt.datetime | dt.date) and time_text:
        day = date_value.date() if isinstance(date_value, dt.datetime) else date_value
        date_value = day.strftime("%Y-%m-%d")
    if time_text:
        if not re.fullmatch(r"\d{1,2}[:：]\d{2}(?:[:：]\d{2})?", time_text):
            raise CellError(RowError(row.number, row.header(time_key), _(
                "“%(value)s” is not a time of day (HH:MM).") % {"value": time_text}))
        date_value = f"{normalise_text(date_value)} {time_text}"
    moment, _timed = parse_moment(date_value, row=row.number, column=row.header(date_key),
                                  tz=zone, day_first=day_first)
    return moment


# --- stations ---------------------------------------------------------------------------------
def charging_station_validate(table: Table, plan: StationImportPlan) -> Validation:
    """Check every row of a station file under ``plan``; write nothing. Returns the rows
    (ChargingStation field values plus ``_row``) only when none failed. Raises DomainError
    (``bad_plan``) when the plan itself is wrong."""
    problems = station_plan_problems(table, plan)
    if problems:
        raise DomainError(problems[0], code="bad_plan", field_errors={"__all__": problems})
    cols, headers = plan.columns, table.headers
    collected = ErrorCollector()
    rows: list[dict] = []
    seen: dict[str, int] = {}

    for number, cells in table.numbered():
        row = RowCells(number, cells, columns=cols, headers=headers)
        text, fail = row.text, row.fail

        external_id, name = text("external_id"), text("name")
        if not external_id:
            fail("external_id", _("The operator's station id is empty."))
        elif len(external_id) > 32:
            fail("external_id", _("Longer than %(limit)s characters.") % {"limit": 32})
        elif external_id in seen:
            fail("external_id", _("Station %(id)s is also on row %(row)s.")
                 % {"id": external_id, "row": seen[external_id]})
        else:
            seen[external_id] = number
        if not name:
            fail("name", _("The station name is empty."))
        elif len(name) > 100:
            fail("name", _("Longer than %(limit)s characters.") % {"limit": 100})
        operator = text("operator_name") or (plan.operator_name or "").strip()
        if not operator:
            fail("operator_name", _("The operator is empty."))
        elif len(operator) > 64:
            fail("operator_name", _("Longer than %(limit)s characters.") % {"limit": 64})
        points = plan.points
        if row.has("points"):
            points = _whole(row.cell("points"))
            if points is None or not 1 <= points <= 500:
                fail("points", _("“%(value)s” is not a number of charging points from 1 to "
                                 "%(max)s.") % {"value": text("points"), "max": 500})
        note = " · ".join(v for v in (text("location"), text("description")) if v)
        if row.errors:
            collected.extend(row.errors)
            continue
        rows.append({"_row": number, "external_id": external_id, "name": name,
                     "operator_name": operator, "points": points, "note": note[:2000]})
    if not collected and rows:
        ids = [r["external_id"] for r in rows]
        taken = set()
        for start in range(0, len(ids), 900):
            taken.update(ChargingStation.objects.filter(external_id__in=ids[start:start + 900])
                         .values_list("external_id", flat=True))
        collected.extend([RowError(r["_row"], column_header(headers, cols, "external_id"), _(
            "Station %(id)s is already registered; edit it on its page.") % {
                "id": r["external_id"]}) for r in rows if r["external_id"] in taken])
    return Validation(rows=[] if collected else rows, errors=collected.errors,
                      error_total=collected.total, total_rows=len(table))


# --- sessions ---------------------------------------------------------------------------------
def charging_session_validate(table: Table, plan: SessionImportPlan, *,
                              now: dt.datetime | None = None) -> Validation:
    """Check every row of a session file under ``plan``; write nothing. Returns the rows
    (ChargingSession field values plus ``_row``; ``station_id`` resolved) only when none
    failed, and how many rows are already in SafeCampus (``skipped``, left out of
    ``rows``). Raises DomainError (``bad_plan``) when the plan itself is wrong."""
    problems = session_plan_problems(table, plan)
    if problems:
        raise DomainError(problems[0], code="bad_plan", field_errors={"__all__": problems})
    now = now or clock.now()
    latest = now + dt.timedelta(hours=1)
    zone = ZoneInfo(plan.time_zone)
    local = clock.local_zone()
    day_first, _decided = date_order_of(table, plan)
    cols, headers = plan.columns, table.headers
    stations = dict(ChargingStation.objects.exclude(external_id="")
                    .values_list("external_id", "pk"))
    collected = ErrorCollector()
    rows: list[dict] = []
    seen: dict[tuple[int, str], int] = {}
    longest = dt.timedelta(hours=MAX_SESSION_HOURS)
    too_much = _("“%(value)s” is more energy than one charging session takes (at most "
                 "%(max)s kWh).")
    earliest = dt.datetime(EARLIEST_YEAR, 1, 1, tzinfo=zone)

    def in_range(moment, row, date_key, time_key):
        """``moment``, or None with a row error when it is before EARLIEST_YEAR or after
        ``latest`` (such a moment may not even convert to another zone)."""
        if moment is None or earliest <= moment <= latest:
            return moment
        value = _moment_text(row, date_key, time_key)
        if moment < earliest:
            row.fail(date_key, _("“%(value)s” is before %(year)s; check the date and the date "
                                 "order.") % {"value": value, "year": EARLIEST_YEAR})
        else:
            row.fail(date_key, _("%(time)s is in the future.") % {"time": value})
        return None

    for number, cells in table.numbered():
        row = RowCells(number, cells, columns=cols, headers=headers)
        text, fail = row.text, row.fail

        external_id, station_ref = text("external_id"), text("station_ref")
        station_id = None
        if not external_id:
            fail("external_id", _("The session id is empty."))
        elif len(external_id) > 32:
            fail("external_id", _("Longer than %(limit)s characters.") % {"limit": 32})
        if not station_ref:
            fail("station_ref", _("The station id is empty."))
        else:
            station_id = stations.get(station_ref)
            if station_id is None:
                fail("station_ref", _("No station has the operator's id %(id)s; import or "
                                      "add the stations first.") % {"id": station_ref})
        if station_id and external_id:
            key = (station_id, external_id)
            if key in seen:
                fail("external_id", _("Session %(id)s of this station is also on row "
                                      "%(row)s.") % {"id": external_id, "row": seen[key]})
            else:
                seen[key] = number
        started = ended = None
        try:
            started = _moment(row, "start_date", "start_time", zone=zone, day_first=day_first)
            if started is None:
                fail("start_date", _("The start is empty."))
            started = in_range(started, row, "start_date", "start_time")
        except CellError as error:
            row.errors.append(error.error)
        if text("end_date"):
            try:
                ended = _moment(row, "end_date", "end_time", zone=zone, day_first=day_first)
                ended = in_range(ended, row, "end_date", "end_time")
            except CellError as error:
                row.errors.append(error.error)
        elif row.has("duration") and started is not None:
            seconds = _whole(row.cell("duration"))
            if seconds is None:
                fail("duration", _("“%(value)s” is not a number of seconds.")
                     % {"value": text("duration")})
            elif seconds > longest.total_seconds():
                fail("duration", _("The session lasts longer than %(hours)s hours.")
                     % {"hours": MAX_SESSION_HOURS})
            else:
                ended = started + dt.timedelta(seconds=seconds)
        elif started is not None:
            fail("end_date", _("The end is empty."))
        if started is not None and ended is not None:
            if ended < started:
                fail("end_date", _("The session ends before it starts."))
            elif ended - started > longest:
                fail("end_date", _("The session lasts longer than %(hours)s hours.")
                     % {"hours": MAX_SESSION_HOURS})
            if ended > latest:
                fail("end_date", _("%(time)s is in the future.") % {
                    "time": ended.astimezone(local).strftime("%Y-%m-%d %H:%M")})
        energy = 0
        if text("energy_wh"):
            energy = _whole(row.cell("energy_wh"))
            if energy is None:
                fail("energy_wh", _("“%(value)s” is not a whole number of Wh.")
                     % {"value": text("energy_wh")})
            elif energy > MAX_SESSION_WH:
                fail("energy_wh", too_much % {"value": text("energy_wh"),
                                              "max": MAX_SESSION_KWH})
        elif text("energy_kwh"):
            kwh = _kwh(row.cell("energy_kwh"))
            if kwh is None:
                fail("energy_kwh", _("“%(value)s” is not a number of kWh.")
                     % {"value": text("energy_kwh")})
            elif kwh * 1000 > MAX_SESSION_WH:
                fail("energy_kwh", too_much % {"value": text("energy_kwh"),
                                               "max": MAX_SESSION_KWH})
            else:
                energy = round(kwh * 1000)
        plug, user_ref = text("plug"), text("user_ref")
        if len(plug) > 64:
            fail("plug", _("Longer than %(limit)s characters.") % {"limit": 64})
        if len(user_ref) > 64:
            fail("user_ref", _("Longer than %(limit)s characters.") % {"limit": 64})
        if row.errors:
            collected.extend(row.errors)
            continue
        rows.append({"_row": number, "station_id": station_id, "external_id": external_id,
                     "started_at": started.astimezone(dt.UTC),
                     "ended_at": ended.astimezone(dt.UTC), "energy_wh": energy or 0,
                     "plug": plug, "user_ref": user_ref})
    skipped = 0
    if not collected and rows:
        existing = _existing_sessions(rows)
        skipped = sum(1 for r in rows if (r["station_id"], r["external_id"]) in existing)
        rows = [r for r in rows if (r["station_id"], r["external_id"]) not in existing]
    return Validation(rows=[] if collected else rows, errors=collected.errors,
                      error_total=collected.total, total_rows=len(table), skipped=skipped,
                      day_first=day_first)


def _existing_sessions(rows: list[dict]) -> set[tuple[int, str]]:
    """The (station id, session id) pairs of ``rows`` that are in SafeCampus already."""
    by_station: dict[int, list[str]] = {}
    for row in rows:
        by_station.setdefault(row["station_id"], []).append(row["external_id"])
    found: set[tuple[int, str]] = set()
    for station_id, ids in by_station.items():
        for start in range(0, len(ids), 900):
            found.update((station_id, value) for value in ChargingSession.objects.filter(
                station_id=station_id, external_id__in=ids[start:start + 900])
                .values_list("external_id", flat=True))
    return found


# --- the job ----------------------------------------------------------------------------------
def _refuse_imported(digest: str, content: str, *, field: str = "file") -> None:
    done = (ChargingImport.objects.filter(digest=digest, content=content,
                                          state=ChargingImport.State.IMPORTED)
            .order_by("imported_at").first())
    if done is not None:
        message = _("This file was already imported on %(date)s (%(count)s rows); the same "
                    "file is imported once.") % {
            "date": done.imported_at.astimezone(clock.local_zone()).strftime("%Y-%m-%d %H:%M"),
            "count": done.imported_count}
        raise DomainError(message, code="already_imported", field_errors={field: [message]})


def charging_import_upload(*, actor, uploaded_file, content: str) -> ChargingImport:
    """Step 1: keep ``uploaded_file`` (a readable .xlsx or .csv with rows) as a
    ``content`` import (``stations`` or ``sessions``) with the suggested columns. A file
    already imported is refused; the same file uploaded again by the same person before
    importing continues that upload. Needs ``traffic.manage_charging``."""
    if not actor.has_perm(PERMISSION):
        raise NotAllowed()
    if content not in Content.values:
        raise DomainError(_("Unknown import."), code="invalid")
    table = upload_table(uploaded_file)
    digest = file_digest(uploaded_file)
    _refuse_imported(digest, content)
    pending = pending_import(ChargingImport, digest=digest, content=content, created_by=actor)
    if pending is not None:
        return pending
    name = upload_name(uploaded_file, content)
    plan = PLANS[content](columns=suggest_columns(table.headers, TARGETS[content]))
    if content == Content.STATIONS and len(actor.scope.campus_ids) == 1:
        plan.default_campus = next(iter(actor.scope.campus_ids))
    job = ChargingImport(created_by=actor, content=content, original_name=name,
                         row_count=len(table), digest=digest, plan=plan.as_json())
    store_upload(job, uploaded_file, name)
    job.save()
    return job


def charging_import_get(user, pk: int, content: str) -> ChargingImport | None:
    """The ``content`` import ``pk`` if ``user`` started it and may import, else None."""
    job = import_job_get(ChargingImport, user, pk, PERMISSION)
    return job if job is not None and job.content == content else None


def charging_import_table(job: ChargingImport) -> Table:
    """The uploaded file of ``job`` read again."""
    return stored_table(job)


@dataclass
class ImportResult:
    created: int
    skipped: int
    job_id: int


def charging_import_commit(*, actor, job: ChargingImport, plan, table: Table | None = None
                           ) -> ImportResult:
    """Step 3: validate every row of ``job``'s file under ``plan`` (a
    :class:`StationImportPlan` or :class:`SessionImportPlan` as the job's content); when none
    fails, write all stations (in service) or sessions in one transaction, mark the job
    imported and record one ``traffic.charging_import`` ActivityEntry on it.

    Raises NotAllowed; DomainError for a wrong plan or a file already imported;
    ImportRejected (the job turns ``rejected``) when any row fails — nothing is written."""
    if not actor.has_perm(PERMISSION):
        raise NotAllowed()
    refuse_imported(job)
    table = table if table is not None else charging_import_table(job)
    stations = job.content == Content.STATIONS
    result = (charging_station_validate(table, plan) if stations
              else charging_session_validate(table, plan))
    if not result.ok:
        raise rejected(result, job, plan)
    now = clock.now()
    with transaction.atomic():
        lock_imports("safecampus.traffic.charging_import")
        job = ChargingImport.objects.select_for_update().get(pk=job.pk)
        refuse_imported(job)
        _refuse_imported(job.digest, job.content, field="__all__")
        if stations:
            again = charging_station_validate(table, plan)
            if not again.ok:
                raise ImportRejected(again.errors, total_rows=again.total_rows)
            created = _write_stations(result.rows, plan=plan, actor=actor)
            skipped = 0
        else:
            existing = _existing_sessions(result.rows)  # imported meanwhile: skip them too
            rows = [r for r in result.rows if (r["station_id"], r["external_id"]) not in existing]
            sessions = [ChargingSession(batch=job, **{k: v for k, v in r.items() if k != "_row"})
                        for r in rows]
            for start in range(0, len(sessions), BATCH_SIZE):
                ChargingSession.objects.bulk_create(sessions[start:start + BATCH_SIZE])
            created, skipped = len(sessions), result.skipped + len(existing)
        ChargingImport.objects.filter(pk=job.pk).update(
            state=ChargingImport.State.IMPORTED, imported_count=created, error_count=0,
            imported_at=now, plan=plan.as_json(), updated_at=now)
        with translation.override(settings.LANGUAGE_CODE):
            comment = (_("%(count)s charging stations imported from %(file)s.") if stations
                       else _("%(count)s charging sessions imported from %(file)s.")) % {
                "count": created, "file": job.original_name}
        activity_record(target=job, actor=actor, verb=VERB, from_state=job.state,
                        to_state=ChargingImport.State.IMPORTED, comment=comment,
                        data={"content": job.content, "count": created, "skipped": skipped,
                              "file": job.original_name, "time_zone": plan.time_zone})
    return ImportResult(created=created, skipped=skipped, job_id=job.pk)


def _write_stations(rows: list[dict], *, plan: StationImportPlan, actor) -> int:
    """Create the stations one by one (each gets its own timeline entry; station files have
    tens or hundreds of rows, not thousands)."""
    for row in rows:
        station = ChargingStation.objects.create(
            campus_id=plan.default_campus, kind=plan.kind, operator_unit_id=plan.operator_unit,
            status=ChargingStation.Status.IN_SERVICE,
            **{k: v for k, v in row.items() if k != "_row"})
        activity_record(target=station, actor=actor, verb="traffic.charging_station_create",
                        to_state=station.status, data={"import": True,
                                                        "external_id": station.external_id})
    return len(rows)
