"""Gates and gate records (出入记录), writes: adding and editing gates, importing the gate
cameras' CSV exports, and opening abandoned-vehicle cases for long stays.

**Gates** (:func:`gate_create`, :func:`gate_update`) need the permission
``traffic.import_gate_records`` (the office). A gate's ``code`` is how the camera files name
it (e.g. ``N1`` or ``北门入口``); it is unique, compared after :func:`fold_key` (case, width
and spaces ignored).

**Imports** are a streaming two-pass job over one uploaded file, in constant memory:

1. :func:`gate_import_upload` streams the file into default storage computing its SHA-256,
   refuses a file already imported (or being imported) and records a
   :class:`~safecampus.traffic.models.GateImport` (``uploaded``). When the upload commits,
   the huey task :func:`safecampus.traffic.tasks.gates.gate_import_task` runs
   :func:`gate_import_run` (immediately in tests and with ``HUEY_IMMEDIATE``).
2. :func:`gate_import_run`: ``uploaded`` → ``running``. *Pass 1* reads every row, keeps the
   first :data:`~safecampus.core.importing.MAX_ERRORS_KEPT` problems (row, column, message)
   and counts all, updating ``rows_read`` every :data:`PROGRESS_EVERY` rows (committed, so the
   upload page can poll it). Any problem → ``rejected`` and nothing is written. Else *pass 2*
   reads the file again and writes every row in ONE transaction: PostgreSQL ``COPY … FROM
   STDIN`` (psycopg 3), SQLite ``executemany`` in batches of :data:`BATCH_SIZE` → ``imported``
   with the counts and the first and last time. Pass 2 runs inside that transaction, so its
   progress is not visible to other connections; the page says "writing".

The file: CSV (comma, tab or semicolon) in UTF-8 with or without a BOM, or GBK/GB18030 (what
Chinese camera systems export). Headers in Chinese or English (:data:`TARGETS`): plate
(车牌号码), gate (通道/出入口, a gate's code or name), direction (方向: 入场/出场, 进/出,
in/out …), time (通行时间: ``2026-11-30 08:01:02``, ``2026/11/30 8:01``, 2026年11月30日 …,
Excel serials; naive times are Asia/Shanghai; a time before :data:`EARLIEST_YEAR` or more
than :data:`CLOCK_SKEW` after now is a bad row); other columns (车辆类型, 车牌颜色) are ignored.
Full-width characters are folded. ``无牌车``, ``未识别``, ``无车牌`` or an empty plate cell is
a pass without a plate (stored as ``""``); any other plate must pass
:func:`~safecampus.traffic.plates.plate_problem`. A gate that is not known is a bad row: the
office adds the gate first (gates page) and uploads the file again.

**Long stays** (:func:`long_stay_cases_open`): every candidate of
:func:`safecampus.traffic.selectors.gates.long_stay_candidates` that no case handles yet (no
open case of the plate, and no case in any state — dismissed, moved … — whose last entry is at
or after the candidate's entry) gets an abandoned-vehicle case (source ``long_stay``, system actor) through
``services.abandoned.abandoned_case_open``; run nightly by a periodic task and from the page.

Errors: DomainError (bad input, 400; nothing changed), NotAllowed (403).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import DomainError, NotAllowed, field_error, raise_field_errors
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.core.importing import (
    MAX_ERRORS_KEPT,
    ErrorCollector,
    Target,
    lock_imports,
    suggest_columns,
)
from safecampus.core.spreadsheets import (
    CellError,
    RowError,
    fold_key,
    normalise_text,
    parse_datetime_cell,
)
from safecampus.organisation.models import Campus, Place

from ..models import Gate, GateImport, GateRecord
from ..plates import plate_normalise, plate_problem
from ..selectors.gates import STALE_AFTER

logger = logging.getLogger(__name__)

PERMISSION = "traffic.import_gate_records"
GATE_SCOPE = "traffic.gate_create"
UPLOAD_SCOPE = "traffic.gate_import_upload"
LOCK_KEY = "traffic.gate_import"
#: Rows written per executemany on SQLite.
BATCH_SIZE = 5000
#: ``rows_read`` is saved this often during pass 1.
PROGRESS_EVERY = 20_000
#: Camera exports are big (a busy gate writes ~50 bytes × 30,000 passes a day); the general
#: import limit (``IMPORT_MAX_BYTES``) is for hand-made ledgers, so gate files get their own.
MAX_BYTES = 1024 * 1024 * 1024
#: A pass more than this far ahead of the server's clock is a bad row (camera clock wrong).
CLOCK_SKEW = dt.timedelta(hours=1)
#: A pass before the start of this year (local time) is a bad row too: a camera clock reset to
#: 0001-01-01 or 1970, and nothing that old belongs in the records.
EARLIEST_YEAR = 2000
CHUNK = 1024 * 1024
NAME_MAX = 64
CODE_MAX = 32

TARGETS: tuple[Target, ...] = (
    Target("plate", gettext_lazy("Plate number"),
           ("车牌号码", "车牌号", "车牌", "号牌号码", "号牌", "识别车牌", "plate", "platenumber",
            "plateno", "licenseplate", "license", "licence"), True),
    Target("gate", gettext_lazy("Gate"),
           ("通道", "通道名称", "出入口", "出入口名称", "道口", "闸口", "车道", "门岗", "校门",
            "设备名称", "gate", "gatecode", "gatename", "lane", "channel", "entrance"), True),
    Target("direction", gettext_lazy("Direction"),
           ("方向", "出入方向", "进出方向", "进出", "出入", "通行方向", "进出类型", "出入类型",
            "direction", "inout", "dir"), True),
    Target("passed_at", gettext_lazy("Time of passing"),
           ("通行时间", "过车时间", "抓拍时间", "进出时间", "出入时间", "识别时间", "时间",
            "passtime", "passedat", "passed", "time", "datetime", "timestamp"), True),
)
#: Plate cells that mean "the camera saw a vehicle without a (readable) plate".
NO_PLATE = frozenset(fold_key(v) for v in (
    "", "无牌车", "无牌", "无车牌", "无号牌", "未识别", "未识别车牌", "识别失败", "无", "未知",
    "-", "—", "none", "noplate", "unknown", "unrecognized", "unrecognised"))
DIRECTIONS = {fold_key(v): GateRecord.Direction.IN for v in (
    "入场", "进场", "入", "进", "驶入", "入口", "进入", "入园", "入校", "in", "entry", "enter",
    "entrance")}
DIRECTIONS.update({fold_key(v): GateRecord.Direction.OUT for v in (
    "出场", "离场", "出", "驶出", "出口", "离开", "出园", "离校", "出校", "out", "exit", "leave")})



def _require(actor) -> None:
    if actor is None or not actor.has_perm(PERMISSION):
        raise NotAllowed(_("Only the security office keeps gates and imports gate records."))


# --- messages shared with pages, API and tests -------------------------------------------------
def msg_unknown_gate(value: str) -> str:
    return _("No gate has the code “%(gate)s”; add the gate on the gates page first, then "
             "upload the file again.") % {"gate": value}


def msg_bad_direction(value: str) -> str:
    return _("“%(value)s” is not a direction; write 入场/出场 (or in/out).") % {"value": value}


def msg_future(value: str) -> str:
    return _("“%(value)s” is in the future; check the camera's clock.") % {"value": value}


def msg_too_early(value: str) -> str:
    return _("“%(value)s” is before %(year)s; check the camera's clock.") % {
        "value": value, "year": EARLIEST_YEAR}


def msg_missing_column(label) -> str:
    return _("The file has no column for “%(field)s”.") % {"field": label}


def msg_already_imported(job: GateImport) -> str:
    return _("This file was already imported on %(date)s (%(count)s records).") % {
        "date": f"{job.imported_at.astimezone(clock.local_zone()):%Y-%m-%d %H:%M}"
        if job.imported_at else "", "count": job.imported_count}


def msg_bad_plate(value: str, problem) -> str:
    return _("“%(plate)s”: %(problem)s") % {"plate": value, "problem": problem}


def msg_undecodable() -> str:
    return _("The file is neither UTF-8 nor GBK text; save it again as “CSV UTF-8”.")


def msg_in_progress() -> str:
    return _("This file is being imported already; wait for that import to finish.")


# --- gates -------------------------------------------------------------------------------------
def _gate_fields(errors: dict, *, campus_id, name, code, place_id,
                 exclude_pk=None) -> dict:
    values: dict = {}
    name = normalise_text(name)
    code = normalise_text(code)
    if not name:
        errors.setdefault("name", []).append(_("Enter the gate's name."))
    elif len(name) > NAME_MAX:
        errors.setdefault("name", []).append(
            _("Longer than %(limit)s characters.") % {"limit": NAME_MAX})
    if not code:
        errors.setdefault("code", []).append(_("Enter the code the camera files use for "
                                               "this gate."))
    elif len(code) > CODE_MAX:
        errors.setdefault("code", []).append(
            _("Longer than %(limit)s characters.") % {"limit": CODE_MAX})
    else:
        others = Gate.objects.exclude(pk=exclude_pk).values_list("code", "name")
        clash = next((n for c, n in others if fold_key(c) == fold_key(code)), None)
        if clash is not None:
            errors.setdefault("code", []).append(
                _("The gate “%(gate)s” already has this code.") % {"gate": clash})
    campus = Campus.objects.filter(pk=id_or_none(campus_id)).first()
    if campus is None:
        errors.setdefault("campus", []).append(_("Choose the campus."))
    place = None
    if place_id not in (None, ""):
        place = Place.objects.filter(pk=id_or_none(place_id)).first()
        if place is None:
            errors.setdefault("place", []).append(_("Unknown place."))
        elif campus is not None and place.campus_id != campus.pk:
            errors.setdefault("place", []).append(_("The place is not on this campus."))
    values.update(name=name, code=code, campus=campus, place=place)
    return values



def gate_create(*, actor, campus_id, name: str, code: str, place_id=None,
                is_active: bool = True, idempotency_key: str | None = None) -> Gate:
    """Add a gate on ``campus_id`` named ``name`` whose camera files call it ``code``
    (unique, case and width ignored); ``place_id`` optional, on the same campus. A repeat
    with the same ``idempotency_key`` returns the first gate."""
    _require(actor)
    earlier = idempotency_lookup(scope=GATE_SCOPE, key=idempotency_key, model=Gate, user=actor)
    if earlier is not None:
        return earlier
    errors: dict[str, list[str]] = {}
    values = _gate_fields(errors, campus_id=campus_id, name=name, code=code, place_id=place_id)
    raise_field_errors(errors)
    with transaction.atomic():
        lock_imports(LOCK_KEY + ".gates")
        try:
            with transaction.atomic():
                gate = Gate.objects.create(is_active=bool(is_active), **values)
        except IntegrityError:
            raise field_error("code", _("Another gate already has this code.")) from None
        activity_record(target=gate, actor=actor, verb="traffic.gate_create",
                        to_state="active" if gate.is_active else "inactive",
                        comment=f"{gate.name} ({gate.code})")
        winner = idempotency_race_lost(scope=GATE_SCOPE, key=idempotency_key, user=actor,
                                       result=gate)
    return winner if winner is not None else gate


def gate_update(*, actor, gate_id, campus_id, name: str, code: str, place_id=None,
                is_active: bool = True) -> Gate:
    """Change a gate. Records already imported keep pointing at it (the code only matters
    for files imported later). The timeline entry lists the changed fields."""
    _require(actor)
    with transaction.atomic():
        gate = Gate.objects.select_for_update().filter(pk=id_or_none(gate_id)).first()
        if gate is None:
            raise DomainError(_("This gate does not exist."), code="not_found")
        errors: dict[str, list[str]] = {}
        values = _gate_fields(errors, campus_id=campus_id, name=name, code=code,
                              place_id=place_id, exclude_pk=gate.pk)
        raise_field_errors(errors)
        values["is_active"] = bool(is_active)
        changed: dict[str, list[str]] = {}
        with translation.override(settings.LANGUAGE_CODE):
            for key, value in values.items():
                old = getattr(gate, key)
                if old != value:
                    changed[key] = [_gate_value(old), _gate_value(value)]
                    setattr(gate, key, value)
            if not changed:
                return gate
            comment = _("; ").join(
                _("%(field)s: %(old)s → %(new)s") % {
                    "field": Gate._meta.get_field(key).verbose_name, "old": old, "new": new}
                for key, (old, new) in changed.items())
        try:
            with transaction.atomic():
                gate.save()
        except IntegrityError:
            raise field_error("code", _("Another gate already has this code.")) from None
        states = ("", "")
        if "is_active" in changed:
            states = ("inactive", "active") if gate.is_active else ("active", "inactive")
        activity_record(target=gate, actor=actor, verb="traffic.gate_update",
                        from_state=states[0], to_state=states[1], comment=comment,
                        data={"changed": changed})
    return gate


def _gate_value(value) -> str:
    """A gate field's value as the timeline shows it (in the active language)."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value) if value not in (None, "") else "—"


# --- reading the file, streaming -------------------------------------------------------------
class _Undecodable(Exception):
    pass


def _text_lines(handle, encoding: str) -> Iterator[str]:
    """The file's text, decoded incrementally (``utf-8-sig`` drops a BOM)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    pending = ""
    while True:
        chunk = handle.read(CHUNK)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            raise _Undecodable from error
        if text:
            pending += text
            lines = pending.splitlines(keepends=True)
            # keep a possibly unfinished last line (and a lone \r before \n)
            pending = lines.pop() if lines and not lines[-1].endswith("\n") else ""
            yield from lines
        if not chunk:
            if pending:
                yield pending
            return


def _sniff(handle) -> tuple[str, str]:
    """``(encoding, delimiter)``: UTF-8 (BOM or not) unless the first MB is not UTF-8, then
    GB18030 (a superset of GBK); :func:`_rows` falls back to GB18030 when a later chunk is not
    UTF-8 either."""
    head = handle.read(64 * 1024)
    handle.seek(0)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            encoding = "gb18030"
    sample = head.decode(encoding if encoding != "utf-8-sig" else "utf-8", errors="ignore")
    first = sample.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    return encoding, delimiter


@dataclass(slots=True)
class _Row:
    number: int
    gate_id: int
    plate: str
    direction: str
    passed_at: dt.datetime


class _Reader:
    """Reads the rows of one gate file and checks each one (see the module's docstring)."""

    def __init__(self, job: GateImport, *, now: dt.datetime):
        self.job = job
        self.latest = now + CLOCK_SKEW
        self.zone = clock.local_zone()
        self.earliest = dt.datetime(EARLIEST_YEAR, 1, 1, tzinfo=self.zone).astimezone(dt.UTC)
        self.gates: dict[str, int] = {}
        names: dict[str, list[int]] = {}
        for pk, code, name in Gate.objects.values_list("pk", "code", "name"):
            self.gates[fold_key(code)] = pk
            names.setdefault(fold_key(name), []).append(pk)
        for key, pks in names.items():  # a unique gate name works as well as its code
            if len(pks) == 1:
                self.gates.setdefault(key, pks[0])
        self.plates: dict[str, tuple[str, str | None]] = {}
        self.offsets: dict[str, dt.timedelta] = {}
        self.raw_gates: dict[str, int] = {}
        self.raw_directions: dict[str, str] = {}
        self.headers: list[str] = []
        self.columns: dict[str, int | None] = {}
        self.encoding = "utf-8-sig"
        self.delimiter = ","

    def open_rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(spreadsheet row number, cells)`` of the data rows (header = row 1; blank rows
        skipped but counted). Falls back to GB18030 when UTF-8 fails part-way."""
        try:
            yield from self._rows(self.encoding)
        except _Undecodable:
            if self.encoding == "gb18030":
                raise DomainError(msg_undecodable(), code="bad_spreadsheet") from None
            self.encoding = "gb18030"
            raise _Restart from None

    def _rows(self, encoding: str):
        with self.job.file.open("rb") as handle:
            # The storage's own file object when it has one (decoding in C is ~5× faster
            # than chunk by chunk in Python); any binary stream with read() works.
            raw = getattr(handle, "file", handle)
            text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
            try:
                reader = csv.reader(text, delimiter=self.delimiter)
                number = 0
                for cells in reader:
                    number += 1
                    if number == 1 or not any(cells):
                        continue
                    yield number, cells
            except UnicodeDecodeError as error:
                raise _Undecodable from error
            finally:
                text.detach()

    def read_header(self) -> list[RowError]:
        with self.job.file.open("rb") as handle:
            self.encoding, self.delimiter = _sniff(handle)
            try:
                first = next(csv.reader(_text_lines(handle, self.encoding),
                                        delimiter=self.delimiter), [])
            except _Undecodable:
                self.encoding = "gb18030"
                handle.seek(0)
                try:
                    first = next(csv.reader(_text_lines(handle, self.encoding),
                                            delimiter=self.delimiter), [])
                except _Undecodable:
                    raise DomainError(msg_undecodable(), code="bad_spreadsheet") from None
        self.headers = [normalise_text(h) for h in first]
        self.columns = suggest_columns(self.headers, TARGETS)
        return [RowError(1, "", msg_missing_column(t.label))
                for t in TARGETS if self.columns.get(t.key) is None]

    def check(self, number: int, cells: list[str]) -> tuple[_Row | None, list[RowError]]:
        """The row to write, or None and the row's problems. The common case (a known
        spelling of every cell, a ``YYYY-MM-DD HH:MM:SS`` time) is looked up in caches keyed
        by the cell's raw text; anything else goes through :meth:`check_fully`."""
        cols = self.columns
        width = len(cells)
        try:
            raw_plate = cells[cols["plate"]]
            raw_gate = cells[cols["gate"]]
            raw_direction = cells[cols["direction"]]
            raw_time = cells[cols["passed_at"]]
        except IndexError:
            return self.check_fully(number, cells)
        plate_entry = self.plates.get(raw_plate)
        gate_id = self.raw_gates.get(raw_gate)
        direction = self.raw_directions.get(raw_direction)
        if plate_entry is None or plate_entry[1] is not None or gate_id is None \
                or direction is None:
            return self.check_fully(number, cells)
        passed_at = _fast_time(raw_time, self.zone, self.offsets)
        if passed_at is None or not self.earliest <= passed_at <= self.latest or width == 0:
            return self.check_fully(number, cells)
        return _Row(number, gate_id, plate_entry[0], direction, passed_at), []

    def check_fully(self, number: int, cells: list[str]) -> tuple[_Row | None, list[RowError]]:
        """:meth:`check` for any row, filling the caches."""
        errors: list[RowError] = []
        cols = self.columns
        width = len(cells)

        def cell(key):
            index = cols[key]
            return cells[index] if index < width else ""

        # plate
        raw_plate = cell("plate")
        cached = self.plates.get(raw_plate)
        if cached is None:
            folded = fold_key(raw_plate)
            if folded in NO_PLATE:
                cached = ("", None)
            else:
                number_form = plate_normalise(raw_plate)
                cached = (number_form, plate_problem(number_form))
            if len(self.plates) < 50_000:
                self.plates[raw_plate] = cached
        plate, problem = cached
        if problem is not None:
            errors.append(RowError(number, self.headers[cols["plate"]],
                                   msg_bad_plate(normalise_text(raw_plate), problem)))
        # gate
        raw_gate = cell("gate")
        gate_id = self.gates.get(fold_key(raw_gate))
        if gate_id is not None and len(self.raw_gates) < 10_000:
            self.raw_gates[raw_gate] = gate_id
        if gate_id is None:
            text = normalise_text(raw_gate)
            errors.append(RowError(number, self.headers[cols["gate"]],
                                   msg_unknown_gate(text) if text else _("The gate is empty.")))
        # direction
        raw_direction = cell("direction")
        direction = DIRECTIONS.get(fold_key(raw_direction))
        if direction is not None and len(self.raw_directions) < 1_000:
            self.raw_directions[raw_direction] = direction
        if direction is None:
            errors.append(RowError(number, self.headers[cols["direction"]],
                                   msg_bad_direction(normalise_text(raw_direction))))
        # time
        passed_at = None
        raw_time = cell("passed_at").strip()
        column = self.headers[cols["passed_at"]]
        try:
            passed_at = _fast_time(raw_time, self.zone, self.offsets)
            if passed_at is None:
                passed_at = parse_datetime_cell(raw_time, row=number, column=column,
                                                tz=self.zone)
            if passed_at is None:
                errors.append(RowError(number, column, _("The time is empty.")))
            else:
                passed_at, problem = self._in_range(passed_at, normalise_text(raw_time))
                if problem:
                    errors.append(RowError(number, column, problem))
        except CellError as error:
            errors.append(error.error)
        if errors:
            return None, errors
        return _Row(number, gate_id, plate, direction, passed_at), []

    def _in_range(self, passed_at: dt.datetime, text: str) -> tuple[dt.datetime | None,
                                                                     str | None]:
        """``passed_at`` in UTC, or None and why it is refused: before :data:`EARLIEST_YEAR`
        or more than :data:`CLOCK_SKEW` after now. A time at the ends of the datetime range
        (0001-01-01, 9999-12-31) cannot even be moved to UTC; its year says which end."""
        try:
            utc = passed_at.astimezone(dt.UTC)
        except OverflowError:
            return None, (msg_too_early(text) if passed_at.year < EARLIEST_YEAR
                          else msg_future(text))
        if utc < self.earliest:
            return None, msg_too_early(text)
        if utc > self.latest:
            return None, msg_future(text)
        return utc, None


class _Restart(Exception):
    """The file turned out not to be UTF-8 part-way; read it again as GB18030."""


def _fast_time(text: str, zone, offsets: dict) -> dt.datetime | None:
    """``2026-11-30 08:01:02`` (the cameras' usual form) without the general parser, as an
    aware UTC datetime. The zone's offset is cached per local hour (offsets change on the
    hour), which is what ``replace(tzinfo=zone)`` would give, only faster."""
    if len(text) == 19 and text[4] == "-" and text[10] == " ":
        try:
            naive = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        key = text[:13]
        offset = offsets.get(key)
        if offset is None:
            offset = zone.utcoffset(naive)
            if len(offsets) > 100_000:
                offsets.clear()
            offsets[key] = offset
        try:
            return (naive - offset).replace(tzinfo=dt.UTC)
        except OverflowError:  # 0001-01-01 00:00:00: the caller refuses it as a bad row
            return None
    return None


# --- upload ------------------------------------------------------------------------------------
def gate_import_upload(*, actor, uploaded_file, idempotency_key: str | None = None
                       ) -> GateImport:
    """Keep ``uploaded_file`` (a CSV export of the gate cameras) and record the import
    (``uploaded``); the import itself runs when this commits (a huey task). Raises
    DomainError (field ``file``) for a file that is not CSV, too big or empty, or
    ``already_imported`` / ``in_progress`` for a file whose SHA-256 was imported or is being
    imported; NotAllowed without ``traffic.import_gate_records``."""
    _require(actor)
    earlier = idempotency_lookup(scope=UPLOAD_SCOPE, key=idempotency_key, model=GateImport,
                                 user=actor)
    if earlier is not None:
        return earlier
    name = (getattr(uploaded_file, "name", "") or "gates.csv")[-200:]
    if not name.lower().endswith((".csv", ".txt")):
        raise field_error("file", _("Upload the gate cameras' export as a .csv file."),
                       code="bad_spreadsheet")
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise field_error("file", _("The file is larger than %(size)s MB; split it into smaller "
                                 "files.") % {"size": MAX_BYTES // (1024 * 1024)},
                       code="bad_spreadsheet")
    digest = hashlib.sha256()
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    chunks = uploaded_file.chunks() if hasattr(uploaded_file, "chunks") else iter(
        lambda: uploaded_file.read(CHUNK), b"")
    total = 0
    for chunk in chunks:
        digest.update(chunk)
        total += len(chunk)
    if total == 0:
        raise field_error("file", _("The file is empty."), code="bad_spreadsheet")
    digest_hex = digest.hexdigest()
    _refuse_duplicate(digest_hex, exclude_pk=None)
    uploaded_file.seek(0)
    job = GateImport(created_by=actor, original_name=name, digest=digest_hex)
    job.file.save(uuid.uuid4().hex + ".csv", uploaded_file, save=False)
    with transaction.atomic():
        job.save()
        with translation.override(settings.LANGUAGE_CODE):
            activity_record(target=job, actor=actor, verb="traffic.gate_import_upload",
                            to_state=GateImport.State.UPLOADED, comment=name)
        winner = idempotency_race_lost(scope=UPLOAD_SCOPE, key=idempotency_key, user=actor,
                                       result=job)
        if winner is not None:
            default_storage.delete(job.file.name)
            return winner
        transaction.on_commit(lambda pk=job.pk: _enqueue(pk))
    return job


def _enqueue(pk: int) -> None:
    from ..tasks.gates import gate_import_task

    gate_import_task(pk)


def _refuse_duplicate(digest: str, *, exclude_pk) -> None:
    same = GateImport.objects.filter(digest=digest).exclude(pk=exclude_pk)
    done = same.filter(state=GateImport.State.IMPORTED).first()
    if done is not None:
        raise field_error("file", msg_already_imported(done), code="already_imported")
    if same.filter(state__in=[GateImport.State.UPLOADED, GateImport.State.RUNNING],
                   updated_at__gte=clock.now() - STALE_AFTER).exists():
        raise field_error("file", msg_in_progress(), code="in_progress")


# --- the job -----------------------------------------------------------------------------------
def gate_import_run(*, import_id: int) -> GateImport:
    """Run the two passes of import ``import_id`` (see the module's docstring); returns the
    job, ``imported`` or ``rejected``. A job not in ``uploaded`` (already run, or taken by
    another worker) is returned as it is: running it twice never writes twice."""
    now = clock.now()
    taken = GateImport.objects.filter(pk=import_id, state=GateImport.State.UPLOADED).update(
        state=GateImport.State.RUNNING, rows_read=0, updated_at=now)
    job = GateImport.objects.select_related("created_by").get(pk=import_id)
    if not taken:
        return job
    with translation.override(settings.LANGUAGE_CODE):
        activity_record(target=job, actor=job.created_by, verb="traffic.gate_import_start",
                        from_state=GateImport.State.UPLOADED, to_state=GateImport.State.RUNNING)
        try:
            return _run(job, now=now)
        except DomainError as error:  # the file cannot be read at all
            return _reject(job, [RowError(1, "", error.message)], total=1, rows=0)
        except Exception:
            # Anything else (the file vanished, an I/O or database error while writing): the
            # write transaction was rolled back, so nothing was imported. The job must not
            # stay "running" (the page would poll it for ever); the details go to the log,
            # not to the page. Not re-raised: the job records the failure, and a retry by
            # huey would find it no longer "uploaded" and do nothing.
            logger.exception("gate import %s failed", job.pk)
            return _fail(job)


def _validate(reader: _Reader, job: GateImport):
    collected = ErrorCollector(MAX_ERRORS_KEPT)
    rows = 0
    first = last = None
    for number, cells in reader.open_rows():
        rows += 1
        record, errors = reader.check(number, cells)
        if errors:
            collected.extend(errors)
        else:
            moment = record.passed_at
            if first is None or moment < first:
                first = moment
            if last is None or moment > last:
                last = moment
        if rows % PROGRESS_EVERY == 0:
            GateImport.objects.filter(pk=job.pk).update(rows_read=rows, updated_at=clock.now())
    return collected, rows, first, last


def _run(job: GateImport, *, now: dt.datetime) -> GateImport:
    reader = _Reader(job, now=now)
    header_errors = reader.read_header()
    if header_errors:
        return _reject(job, header_errors, total=len(header_errors), rows=0)
    try:
        collected, rows, first, last = _validate(reader, job)
    except _Restart:
        collected, rows, first, last = _validate(reader, job)
    job.rows_read = rows  # kept by _fail should the write pass fail
    if rows == 0:
        return _reject(job, [RowError(1, "", _("The file has column headers but no rows to "
                                               "import."))], total=1, rows=0)
    if collected:
        return _reject(job, collected.errors, total=collected.total, rows=rows)
    try:
        return _commit(reader, job, rows=rows, first=first, last=last)
    except DomainError as error:  # the same file was imported meanwhile
        return _reject(job, [RowError(1, "", error.message)], total=1, rows=rows)


def _commit(reader: _Reader, job: GateImport, *, rows: int, first, last) -> GateImport:
    with transaction.atomic():
        lock_imports(LOCK_KEY)
        locked = GateImport.objects.select_for_update().get(pk=job.pk)
        _refuse_duplicate(locked.digest, exclude_pk=job.pk)
        written = _write(reader, job)
        GateImport.objects.filter(pk=job.pk).update(
            state=GateImport.State.IMPORTED, rows_read=rows, imported_count=written,
            error_count=0, errors=[], first_passed_at=first, last_passed_at=last,
            imported_at=clock.now(), updated_at=clock.now())
        job.refresh_from_db()
        transaction.on_commit(selectors_forget)
        activity_record(target=job, actor=job.created_by, verb="traffic.gate_import",
                        from_state=GateImport.State.RUNNING, to_state=GateImport.State.IMPORTED,
                        comment=_("%(count)s gate records imported from %(name)s.") % {
                            "count": written, "name": job.original_name})
    return job


def msg_failed(job: GateImport) -> str:
    return _("The import failed: the file could not be read or its records could not be "
             "saved. Nothing was imported; upload the file again, and if it fails again tell "
             "the administrator (import no. %(id)s).") % {"id": job.pk}


def _fail(job: GateImport) -> GateImport:
    """Mark ``job`` rejected after an unexpected error (see :func:`gate_import_run`)."""
    saved = GateImport.objects.filter(pk=job.pk).values_list("rows_read", flat=True).first()
    return _reject(job, [RowError(1, "", msg_failed(job))], total=1,
                   rows=max(saved or 0, job.rows_read or 0),
                   comment=_("The import failed; nothing was imported."))


def _reject(job: GateImport, errors: list[RowError], *, total: int, rows: int,
            comment: str | None = None) -> GateImport:
    with transaction.atomic():
        GateImport.objects.filter(pk=job.pk).update(
            state=GateImport.State.REJECTED, rows_read=rows, error_count=total,
            errors=[{"row": e.row, "column": e.column, "message": str(e.message)}
                    for e in errors[:MAX_ERRORS_KEPT]],
            imported_count=0, updated_at=clock.now())
        job.refresh_from_db()
        activity_record(target=job, actor=job.created_by, verb="traffic.gate_import",
                        from_state=GateImport.State.RUNNING, to_state=GateImport.State.REJECTED,
                        comment=comment or _("%(count)s problems found; nothing was imported.")
                        % {"count": total})
    return job


def _write(reader: _Reader, job: GateImport) -> int:
    """Pass 2: every row into gate records, inside the caller's transaction."""
    table = GateRecord._meta.db_table
    columns = "gate_id, plate, direction, passed_at, batch_id"
    written = 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg 3
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                buffer = io.StringIO()
                for number, cells in reader.open_rows():
                    row, _errors = reader.check(number, cells)
                    buffer.write(f"{row.gate_id}\t{row.plate}\t{row.direction}\t"
                                 f"{row.passed_at.isoformat()}\t{job.pk}\n")
                    written += 1
                    if written % BATCH_SIZE == 0:
                        copy.write(buffer.getvalue())
                        buffer = io.StringIO()
                copy.write(buffer.getvalue())
        return written
    # Django keeps SQLite datetimes as naive UTC text (what adapt_datetimefield_value makes).
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s)"
    batch: list[tuple] = []
    with connection.cursor() as cursor:
        for number, cells in reader.open_rows():
            row, _errors = reader.check(number, cells)
            batch.append((row.gate_id, row.plate, row.direction,
                          str(row.passed_at.replace(tzinfo=None)), job.pk))
            if len(batch) >= BATCH_SIZE:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


# --- long stays ---------------------------------------------------------------------------------
def long_stay_cases_open(*, actor=None, days: int | None = None) -> list:
    """Open an abandoned-vehicle case (source ``long_stay``, opened by the system) for each
    long-stay candidate (:func:`~safecampus.traffic.selectors.gates.long_stay_candidates`
    with ``days``, default ``SAFECAMPUS["GATE_LONG_STAY_DAYS"]``) that no case handles: the
    plate has no open case, and no case in any state whose ``last_entry_at`` is at or after
    the candidate's entry (a dismissed case, or one marked moved while the camera missed the
    exit, keeps covering the same stay; a newer entry starts a new one). ``actor`` (when a
    person runs it from the page) must have ``traffic.import_gate_records``; the cases
    themselves are the system's. Returns the cases opened. A plate that got a case meanwhile
    (a race with a guard's report) is skipped."""
    from ..models import AbandonedVehicleCase
    from ..selectors.gates import long_stay_candidates
    from . import abandoned

    if actor is not None:
        _require(actor)
    days = int(settings.SAFECAMPUS["GATE_LONG_STAY_DAYS"] if days is None else days)
    if days < 1:
        raise field_error("days", _("Enter a number of days of at least 1."))
    opened = []
    with translation.override(settings.LANGUAGE_CODE):
        for candidate in long_stay_candidates(days=days, exclude_handled=True):
            description = _("Entered through %(gate)s on %(date)s and not seen leaving for "
                            "%(days)s days (gate records).") % {
                "gate": candidate.gate_name, "date": f"{candidate.local_entered:%Y-%m-%d %H:%M}",
                "days": candidate.days_inside}
            try:
                with transaction.atomic():
                    case = abandoned.abandoned_case_open(
                        actor=None, source=AbandonedVehicleCase.Source.LONG_STAY,
                        campus_id=candidate.campus_id, plate=candidate.plate,
                        description=description[:200], place_id=candidate.place_id,
                        location_text=candidate.gate_name,
                        last_entry_at=candidate.entered_at,
                        source_ref=f"traffic.gate_record:{candidate.record_id}")
            except (DomainError, IntegrityError) as error:
                logger.info("long stay %s skipped: %s", candidate.plate, error)
                continue
            opened.append(case)
    selectors_forget()
    return opened


def selectors_forget() -> None:
    """Drop the cached gate figures (vehicles inside, long stays)."""
    from ..selectors.gates import figures_forget

    figures_forget()
