"""The generic half of a column-mapping import (upload → map columns → map values → validate
every row → all-or-nothing commit), shared by the hazard ledger import and the incident log
import. Each importer keeps its own targets, value kinds, row checks and writes.

What lives here:

* :class:`Target` (one of our fields with the Chinese/English header aliases that name it)
  and :func:`suggest_columns` (header → field, by :func:`~.spreadsheets.fold_key`);
* :func:`distinct_values`, :func:`distinct_keyed` and :func:`value_key` for step 2's value
  mapping (values are keyed by their folded text, so "Theft", "THEFT" and "ＴＨＥＦＴ" are one),
  and :func:`keyword_patterns` / :func:`keyword_match` to suggest one of our values for a
  value as recorded from English and Chinese keywords;
* :class:`MappingPlan`, the JSON-able choice of step 2 (subclassed per importer), and
  :func:`column_problems` for a plan that names missing or impossible columns;
* :class:`ErrorCollector`, which keeps the first :data:`MAX_ERRORS_KEPT` row errors and
  counts all of them, and :class:`RowCells`, one row's cells by field with the row's
  errors;
* dates as old logs write them: :func:`detect_day_first` (is ``03/04/2024`` MM/DD or
  DD/MM? decided from the values that can only be one of them), :func:`parse_moment` (a
  point in time with two- or four-digit years in either order; anything else goes to
  :func:`~.spreadsheets.parse_datetime_cell`) and :func:`parse_period` (``11/10/2017 23:00 -
  11/14/2017 08:00``);
* :data:`TIME_ZONES` and :func:`value_field_name` for the mapping forms.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import asdict, dataclass, field, fields

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .spreadsheets import (
    CellError,
    RowError,
    Table,
    fold_key,
    normalise_text,
    parse_datetime_cell,
)

#: Error lists stop growing here; the total is still counted.
MAX_ERRORS_KEPT = 1000
#: A value-mapping column with more distinct values than this is not listed in full.
MAX_DISTINCT_VALUES = 300

TIME_ZONES = (
    ("Asia/Shanghai", gettext_lazy("China Standard Time (Asia/Shanghai)")),
    ("UTC", gettext_lazy("UTC")),
    ("Asia/Hong_Kong", gettext_lazy("Hong Kong (Asia/Hong_Kong)")),
    ("Europe/London", gettext_lazy("London (Europe/London)")),
    ("America/New_York", gettext_lazy("New York (America/New_York)")),
    ("America/Chicago", gettext_lazy("Chicago (America/Chicago)")),
    ("America/Los_Angeles", gettext_lazy("Los Angeles (America/Los_Angeles)")),
)


# --- columns -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """One of our fields: ``key``, a translated ``label``, header ``aliases`` (matched after
    :func:`fold_key`: case, width, spaces and ``_-/.()`` ignored) and whether it is needed."""

    key: str
    label: object  # lazy translated text
    aliases: tuple[str, ...]
    required: bool = False


def suggest_columns(headers: list[str], targets: tuple[Target, ...]) -> dict[str, int | None]:
    """Our field → index of the header that names it (Chinese or English), or None.
    Each column is suggested for at most one field; earlier targets and aliases win."""
    folded = [fold_key(h) for h in headers]
    used: set[int] = set()
    result: dict[str, int | None] = {}
    for target in targets:
        result[target.key] = None
        for alias in target.aliases:
            key = fold_key(alias)
            hit = next((i for i, f in enumerate(folded) if f == key and i not in used), None)
            if hit is not None:
                result[target.key] = hit
                used.add(hit)
                break
    return result


# --- values --------------------------------------------------------------------------------
def value_key(value) -> str:
    """The key a source value has in :attr:`MappingPlan.values` (its folded text)."""
    return fold_key(value)


def distinct_values(table: Table, column: int | None) -> list[tuple[str, int]]:
    """The distinct non-empty values of ``column`` (normalised) with how often each occurs,
    most frequent first."""
    if column is None:
        return []
    counts = Counter(normalise_text(cells[column]) for cells in table.rows)
    counts.pop("", None)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def distinct_keyed(table: Table, column: int | None) -> list[tuple[str, str, int]]:
    """``(value key, first spelling, count)`` per distinct value of ``column``, spellings
    with the same key merged, most frequent first."""
    merged: dict[str, list] = {}
    for value, count in distinct_values(table, column):
        key = value_key(value)
        if key in merged:
            merged[key][1] += count
        else:
            merged[key] = [value, count]
    rows = [(key, value, count) for key, (value, count) in merged.items()]
    rows.sort(key=lambda row: (-row[2], row[1]))
    return rows


def value_field_name(kind: str, key: str) -> str:
    """A form field name for the value-mapping select of ``key`` in ``kind`` (hashed: keys
    may hold any character)."""
    return f"val_{kind}_{hashlib.sha1(key.encode()).hexdigest()[:12]}"


def keyword_patterns(rules) -> list[tuple[object, re.Pattern]]:
    """Compile ``rules`` — ``(value, "word|word|汉字")`` pairs, alternatives separated by
    ``|`` and written in lower case — for :func:`keyword_match`, which suggests one of our
    values for a value as recorded. ASCII alternatives (regexes allowed, e.g. ``assist\\w*``)
    match whole words only (``nta`` is not found in ``dental``); Chinese ones match anywhere
    (Chinese has no spaces between words). Rules keep their order: the first that matches wins."""
    compiled = []
    for value, pattern in rules:
        words = [w for w in pattern.split("|") if w.isascii()]
        chinese = [w for w in pattern.split("|") if not w.isascii()]
        parts = []
        if words:
            parts.append(r"(?<![a-z0-9])(?:" + "|".join(words) + r")(?![a-z0-9])")
        if chinese:
            parts.append("|".join(chinese))
        compiled.append((value, re.compile("|".join(parts))))
    return compiled


def keyword_match(text: str, patterns: list[tuple[object, re.Pattern]]) -> str | None:
    """The value (as text) of the first of :func:`keyword_patterns`' ``patterns`` found in
    ``text`` (normalised, case-folded), or None when none is."""
    lower = normalise_text(text).casefold()
    for value, regex in patterns:
        if regex.search(lower):
            return str(value)
    return None


# --- the plan ------------------------------------------------------------------------------
@dataclass
class MappingPlan:
    """What step 2 chose. ``columns``: our field → source column index (or None);
    ``values``: kind → {value key → our value}; ``default_campus``: campus id for rows
    without one; ``time_zone``: zone of naive times in the file (default Asia/Shanghai).
    Importers subclass it and set :attr:`TARGET_KEYS` and :attr:`VALUE_KINDS`."""

    TARGET_KEYS = ()
    VALUE_KINDS = ()

    columns: dict[str, int | None] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    default_campus: int | None = None
    time_zone: str = settings.TIME_ZONE

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None):
        """The plan saved by :meth:`as_json`; unknown fields, kinds and columns are dropped."""
        data = data or {}
        extra = {f.name: data[f.name] for f in fields(cls)
                 if f.name not in ("columns", "values", "default_campus", "time_zone")
                 and f.name in data}
        return cls(
            columns={k: v for k, v in (data.get("columns") or {}).items()
                     if k in cls.TARGET_KEYS},
            values={k: dict(v) for k, v in (data.get("values") or {}).items()
                    if k in cls.VALUE_KINDS},
            default_campus=data.get("default_campus"),
            time_zone=data.get("time_zone") or settings.TIME_ZONE,
            **extra,
        )


def column_problems(table: Table, plan: MappingPlan, targets: tuple[Target, ...]) -> list[str]:
    """Problems with the column choice: a column outside the table, a needed field without a
    column, an unknown time zone."""
    from zoneinfo import available_timezones

    problems = []
    for target in targets:
        index = plan.columns.get(target.key)
        if index is not None and not (0 <= index < len(table.headers)):
            problems.append(_("The column chosen for “%(field)s” is not in the file.")
                            % {"field": target.label})
        if target.required and index is None:
            problems.append(_("Choose the column that holds “%(field)s”.") % {"field": target.label})
    if plan.time_zone not in available_timezones():
        problems.append(_("Unknown time zone “%(zone)s”.") % {"zone": plan.time_zone})
    return problems


# --- errors --------------------------------------------------------------------------------
class ErrorCollector:
    """Row errors of a validation: keeps the first ``cap`` in row order and counts all."""

    def __init__(self, cap: int = MAX_ERRORS_KEPT):
        self.cap = cap
        self.errors: list[RowError] = []
        self.total = 0

    def extend(self, row_errors: list[RowError]) -> None:
        self.total += len(row_errors)
        room = self.cap - len(self.errors)
        if room > 0:
            self.errors.extend(row_errors[:room])

    def __bool__(self) -> bool:
        return self.total > 0


class RowCells:
    """One numbered row read under a plan's ``columns`` (our field → column index or None):
    ``cell(key)`` the raw value, ``text(key)`` its normalised text ("" when the field has
    no column), ``header(key)`` the column's header, and ``fail(key, message)``, which adds
    a :class:`~.spreadsheets.RowError` for that row and column to ``errors``."""

    __slots__ = ("number", "cells", "columns", "headers", "errors")

    def __init__(self, number: int, cells, *, columns: dict[str, int | None],
                 headers: list[str]):
        self.number, self.cells = number, cells
        self.columns, self.headers = columns, headers
        self.errors: list[RowError] = []

    def has(self, key: str) -> bool:
        return self.columns.get(key) is not None

    def cell(self, key: str):
        index = self.columns.get(key)
        return self.cells[index] if index is not None else None

    def text(self, key: str) -> str:
        return normalise_text(self.cell(key)) if self.has(key) else ""

    def header(self, key: str) -> str:
        return column_header(self.headers, self.columns, key)

    def fail(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.number, self.header(key), message))


def column_header(headers: list[str], columns: dict[str, int | None], key: str) -> str:
    """The header of the column mapped to ``key``, or "" when none is."""
    index = columns.get(key)
    return headers[index] if index is not None else ""


# --- dates as old logs write them ----------------------------------------------------------
#: ``01/03/14 04:10``, ``11/10/2017 23:00``, ``1/23/2024 9:05 PM``: a date with slashes
#: (or dots) in MM/DD or DD/MM order, two- or four-digit year, optional time.
_SLASH = re.compile(
    r"(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})"
    r"(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?(?:\s*([AP]M))?)?"
)
#: Words that mean "not known" in a date cell: the cell counts as blank (a date followed by
#: one of them is that date with its time unknown).
UNKNOWN_WORDS = ("unknown", "unk", "na", "n/a", "none", "不详", "未知", "无")
_UNKNOWN_TAIL = re.compile(r"\s+(?:unknown|unk|不详|未知)$", re.IGNORECASE)
#: ``A - B``, ``A – B``, ``A to B``, ``A 至 B``, ``A ~ B`` (spaces around "-" are needed
#: for ISO dates; slash dates may write ``9/12/23-9/14/23``).
_RANGE_SPLIT = re.compile(r"\s+(?:-|–|—|~|to|至)\s+|\s*(?:–|—|~|至)\s*", re.IGNORECASE)
_SLASH_RANGE = re.compile(r"(\d{1,2}/\d{1,2}/\d{2,4})\s*-\s*(\d{1,2}/\d{1,2}/\d{2,4})")


def is_unknown(text: str) -> bool:
    """Whether a cell's text means "not known" (blank, NA, UNKNOWN, 不详 …)."""
    return not text or text.casefold() in UNKNOWN_WORDS


def detect_day_first(values) -> bool | None:
    """Whether the slash dates among ``values`` are DD/MM (True) or MM/DD (False), judged
    by the values that can only be read one way (a first number above 12 is a day, as is a
    second number above 12). None when no value decides it or they contradict each other."""
    day_first = month_first = False
    for value in values:
        text = normalise_text(value)
        for match in _SLASH.finditer(text):
            first, second = int(match[1]), int(match[2])
            if first > 12 >= second:
                day_first = True
            elif second > 12 >= first:
                month_first = True
        if day_first and month_first:
            return None
    if day_first != month_first:
        return day_first
    return None


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:  # 00–68 → 2000s, 69–99 → 1900s (POSIX strptime's %y pivot)
        year += 2000 if year < 69 else 1900
    return year


def parse_moment(
    value, *, row: int, column: str, tz: dt.tzinfo, day_first: bool = False
) -> tuple[dt.datetime | None, bool]:
    """``(aware datetime, whether a time of day was given)`` from one cell, or ``(None,
    False)`` for a blank or "unknown" cell.

    Slash dates (``01/03/14 04:10``, ``3/9/2024 1:52 PM``) are read in the given order
    (``day_first``) with two-digit years 00–68 as 20xx; ``10/03/2024 UNKNOWN`` is that day
    with its time unknown. Everything else (ISO, 2026年11月30日, Excel serials and cells) is
    :func:`~.spreadsheets.parse_datetime_cell`'s. Naive times are in ``tz``. Raises
    :class:`~.spreadsheets.CellError` naming ``row`` and ``column`` for an unreadable date.
    """
    if isinstance(value, dt.datetime):
        has_time = value.time() != dt.time.min or value.tzinfo is not None
        return parse_datetime_cell(value, row=row, column=column, tz=tz), has_time
    if isinstance(value, dt.date):
        return parse_datetime_cell(value, row=row, column=column, tz=tz), False
    if isinstance(value, int | float) and not isinstance(value, bool):  # Excel serial
        return (parse_datetime_cell(value, row=row, column=column, tz=tz),
                not float(value).is_integer())
    text = normalise_text(value)
    if is_unknown(text):
        return None, False
    text = _UNKNOWN_TAIL.sub("", text)
    match = _SLASH.fullmatch(text.upper())
    if match:
        a, b, year, hour, minute, second, half = match.groups()
        day, month = (int(a), int(b)) if day_first else (int(b), int(a))
        try:
            if hour is None:
                return dt.datetime(_year(year), month, day, tzinfo=tz), False
            hour = int(hour)
            if half:
                if not 1 <= hour <= 12:
                    raise ValueError(hour)
                hour = hour % 12 + (12 if half == "PM" else 0)
            return dt.datetime(_year(year), month, day, hour, int(minute), int(second or 0),
                               tzinfo=tz), True
        except ValueError:
            raise CellError(RowError(row, column, _(
                "“%(value)s” is not a real date (read as %(order)s).") % {
                    "value": text, "order": _("DD/MM") if day_first else _("MM/DD")})) from None
    parsed = parse_datetime_cell(text, row=row, column=column, tz=tz)
    return parsed, bool(re.search(r"\d[:：]\d", text)) or "T" in text


def end_of_day(moment: dt.datetime) -> dt.datetime:
    """The last instant of ``moment``'s calendar day, in its own zone."""
    return dt.datetime.combine(moment.date(), dt.time.max, tzinfo=moment.tzinfo)


def parse_period(
    value, *, row: int, column: str, tz: dt.tzinfo, day_first: bool = False
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``(start, end)`` of a cell that holds a moment or a period, or ``(None, None)`` when
    blank or unknown. ``11/10/2017 23:00 - 11/14/2017 08:00`` → both ends; a date without a
    time (``8/20/17``) is that whole local day (00:00 … 23:59:59.999999); a moment with a
    time has no end (None). Raises :class:`~.spreadsheets.CellError` for an unreadable cell
    or a period that ends before it starts."""
    text = normalise_text(value) if isinstance(value, str) else None
    parts = None
    if text:
        slash = _SLASH_RANGE.fullmatch(text)
        if slash:
            parts = [slash[1], slash[2]]
        else:
            split = _RANGE_SPLIT.split(text)
            if len(split) == 2 and all(split):
                parts = split
    if parts is None:
        start, has_time = parse_moment(value, row=row, column=column, tz=tz, day_first=day_first)
        if start is None:
            return None, None
        return start, (None if has_time else end_of_day(start))
    start, _timed = parse_moment(parts[0], row=row, column=column, tz=tz, day_first=day_first)
    end, end_timed = parse_moment(parts[1], row=row, column=column, tz=tz, day_first=day_first)
    if start is None or end is None:
        raise CellError(RowError(row, column, _(
            "“%(value)s” is a period with an unknown end; write both ends or just one time.")
            % {"value": text}))
    if not end_timed:
        end = end_of_day(end)
    if end < start:
        raise CellError(RowError(row, column, _("“%(value)s” ends before it starts.")
                                 % {"value": text}))
    return start, end



# --- mapping forms -------------------------------------------------------------------------
def add_column_fields(form, targets: tuple[Target, ...], table: Table,
                      plan: MappingPlan) -> list[str]:
    """Add one ``col_<key>`` select per target to ``form`` (choices: the file's headers or
    "not in the file"), initially the plan's column; returns the field names in order."""
    from django import forms

    choices = [("", _("— not in the file —"))] + [(str(i), h) for i, h in enumerate(table.headers)]
    names = []
    for target in targets:
        name = f"col_{target.key}"
        index = plan.columns.get(target.key)
        form.fields[name] = forms.ChoiceField(
            choices=choices, required=False, label=target.label,
            initial="" if index is None else str(index))
        form.fields[name].is_required_target = target.required
        names.append(name)
    return names


def bound_column(form, key: str, table: Table, plan: MappingPlan) -> int | None:
    """The column chosen for ``key``: from the submitted data when the form is bound (so a
    refresh shows the values of a newly chosen column), else from the plan."""
    if form.is_bound:
        raw = form.data.get(f"col_{key}", "")
        return int(raw) if str(raw).isdigit() and int(raw) < len(table.headers) else None
    return plan.columns.get(key)


def columns_from(cleaned: dict, targets: tuple[Target, ...]) -> dict[str, int | None]:
    """The ``columns`` of a plan from a mapping form's cleaned data."""
    return {t.key: (int(cleaned[f"col_{t.key}"]) if cleaned.get(f"col_{t.key}") else None)
            for t in targets}


# --- keeping the upload between steps ------------------------------------------------------
def store_upload(job, uploaded_file, name: str) -> None:
    """Save ``uploaded_file`` into ``job.file`` under a random name (never reachable by
    guessing its path under /media/), keeping the .xlsx or .csv extension of ``name``."""
    import uuid

    extension = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    uploaded_file.seek(0)
    job.file.save(uuid.uuid4().hex + extension, uploaded_file, save=False)


def stored_table(job) -> Table:
    """The file kept in ``job.file`` read again (named as uploaded)."""
    from .spreadsheets import read_table

    with job.file.open("rb") as handle:
        table = read_table(handle)
    table.name = job.original_name
    return table


def lock_imports(key: str) -> None:
    """Serialise the imports of one kind (call inside the transaction), so two concurrent
    files cannot both add the same rows: a PostgreSQL advisory lock on ``key``. SQLite
    transactions here are IMMEDIATE (one writer at a time) already."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


# --- the services' common steps ------------------------------------------------------------
@dataclass
class Validation:
    """Result of an importer's row check: ``rows`` ready to write (dicts of model field
    values plus ``_row``) when there are no errors; the first ``errors`` and their total."""

    rows: list[dict]
    errors: list[RowError]
    error_total: int
    total_rows: int

    @property
    def ok(self) -> bool:
        return self.error_total == 0


def upload_table(uploaded_file) -> Table:
    """Step 1's check: ``uploaded_file`` read as a table of at most
    ``SAFECAMPUS["IMPORT_MAX_BYTES"]`` bytes with data rows. Raises SpreadsheetError (a
    DomainError, field ``file``) for a wrong or damaged file, DomainError for no data rows."""
    from .errors import DomainError
    from .spreadsheets import read_table

    table = read_table(uploaded_file, max_bytes=settings.SAFECAMPUS["IMPORT_MAX_BYTES"])
    if not table.rows:
        message = _("The file has column headers but no rows to import.")
        raise DomainError(message, field_errors={"file": [message]})
    return table


def upload_name(uploaded_file, default: str) -> str:
    """The name to keep for ``uploaded_file`` (its last 200 characters, or ``default``)."""
    return (getattr(uploaded_file, "name", "") or default)[-200:]


def import_job_get(model, user, pk: int, permission: str):
    """The import job ``pk`` of ``model`` if ``user`` started it and has ``permission``."""
    if not user.is_authenticated or not user.has_perm(permission):
        return None
    return model.objects.filter(pk=pk, created_by=user).first()


def pending_import(model, **filters):
    """The newest import job of ``model`` matching ``filters`` (the same file, the same person)
    that is not imported yet: uploading that file again carries on with it. None when there
    is none."""
    return (model.objects.filter(**filters).exclude(state=model.State.IMPORTED)
            .order_by("-created_at").first())


def refuse_imported(job) -> None:
    """Raise DomainError ``already_imported`` when ``job`` (if any) is imported already."""
    from .errors import DomainError

    if job is not None and job.state == type(job).State.IMPORTED:
        raise DomainError(_("This file was already imported."), code="already_imported")


def rejected(result: Validation, job, plan: MappingPlan):
    """The :class:`~.spreadsheets.ImportRejected` to raise for a failed check, after marking
    ``job`` (if any) rejected with its error count and plan."""
    from . import clock
    from .spreadsheets import ImportRejected

    if job is not None:
        type(job).objects.filter(pk=job.pk).update(
            state=type(job).State.REJECTED, error_count=result.error_total,
            plan=plan.as_json(), updated_at=clock.now())
    return ImportRejected(result.errors, total_rows=result.total_rows,
                          error_total=result.error_total)


def init_time_fields(form, plan: MappingPlan, order: tuple[bool, bool]) -> None:
    """Start a mapping form's ``time_zone`` field at the plan's zone (offered even when it is
    not one of :data:`TIME_ZONES`) and its ``date_order`` field at the plan's order; set
    ``form.detected_order`` ("day first" / "month first") when the file's dates decided
    ``order`` (``(day_first, decided)`` of :func:`date_order_of`), else None."""
    if plan.time_zone not in dict(TIME_ZONES):
        form.fields["time_zone"].choices = [*TIME_ZONES, (plan.time_zone, plan.time_zone)]
    form.fields["time_zone"].initial = plan.time_zone
    form.fields["date_order"].initial = plan.date_order
    day_first, decided = order
    form.detected_order = (
        (_("day first") if day_first else _("month first")) if decided else None)


class PlanProblemsFormMixin:
    """A mapping form whose ``clean()`` adds the problems of the plan it makes
    (``plan_problems(self.table, self.to_plan())``, set as a staticmethod) as form errors
    once its fields are valid."""

    plan_problems = None

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            for problem in self.plan_problems(self.table, self.to_plan()):
                self.add_error(None, problem)
        return cleaned


class ValueMappingFormMixin:
    """For a mapping form: one select per distinct value of the columns whose values are
    mapped to ours (type → category, campus → campus …), initially the plan's choice or the
    suggestion. Call :meth:`add_value_groups` in ``__init__``; the template iterates
    :meth:`value_rows`; ``to_plan`` takes :meth:`mapped_values`."""

    def add_value_groups(self, *, table: Table, plan: MappingPlan, kinds, value_columns: dict,
                         labels: dict, suggestions, options, unmatched=None,
                         blank_option: dict | None = None) -> None:
        """``kinds``: value kinds in order; ``value_columns``: kind → our field whose column
        holds the values; ``labels``: our field → label; ``suggestions(kind, values)`` →
        {value key: our value or None}; ``options(kind)`` → choices; ``unmatched(kind,
        value)`` True marks a row for a look; ``blank_option``: kind → label of a leading
        empty choice."""
        from django import forms

        self.value_groups = []
        for kind in kinds:
            column = bound_column(self, value_columns[kind], table, plan)
            if column is None:
                continue
            distinct = distinct_keyed(table, column)
            suggested = suggestions(kind, [v for _k, v, _n in distinct])
            chosen = plan.values.get(kind, {})
            choices = list(options(kind))
            if blank_option and kind in blank_option:
                choices = [("", blank_option[kind]), *choices]
            rows = []
            for key, value, count in distinct[:MAX_DISTINCT_VALUES]:
                name = value_field_name(kind, key)
                initial = chosen.get(key) or suggested.get(key) or ""
                self.fields[name] = forms.ChoiceField(
                    choices=choices, required=False, label=value, initial=initial)
                flagged = bool(unmatched and not chosen.get(key) and unmatched(kind, value))
                rows.append((value, count, name, key, flagged))
            self.value_groups.append({
                "kind": kind, "label": labels[value_columns[kind]],
                "header": table.headers[column], "rows": rows,
                "hidden": max(0, len(distinct) - MAX_DISTINCT_VALUES),
                "unmatched": sum(1 for row in rows if row[4]),
            })

    def value_rows(self):
        """For the template: each group with rows (value, count, bound field, unmatched)."""
        for group in self.value_groups:
            yield {**group, "rows": [(v, n, self[name], flagged)
                                     for v, n, name, _k, flagged in group["rows"]]}

    def mapped_values(self) -> dict[str, dict[str, str]]:
        """The plan's ``values`` from the cleaned data (choices left empty are left out)."""
        values: dict[str, dict[str, str]] = {}
        for group in self.value_groups:
            for _v, _n, name, key, _u in group["rows"]:
                if self.cleaned_data.get(name):
                    values.setdefault(group["kind"], {})[key] = self.cleaned_data[name]
        return values


def file_digest(uploaded_file) -> str:
    """SHA-256 (hex) of ``uploaded_file``'s bytes, read in chunks; the file is rewound."""
    uploaded_file.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: uploaded_file.read(1 << 20), b""):
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


def campus_index() -> dict[str, str]:
    """Folded campus code and name → campus id (as text), for suggesting a campus for a
    value as recorded (``north``, ``北校区``)."""
    from safecampus.organisation.models import Campus

    index: dict[str, str] = {}
    for pk, code, name in Campus.objects.values_list("pk", "code", "name"):
        index.setdefault(fold_key(code), str(pk))
        index.setdefault(fold_key(name), str(pk))
    return index


def campus_options() -> list[tuple[str, str]]:
    """(campus id as text, name) choices of a campus value-mapping select, in campus order."""
    from safecampus.organisation.models import Campus

    return [(str(c.pk), c.name) for c in Campus.objects.order_by("sort_order", "id")]


def campus_suggestions(values: list[str]) -> dict[str, str | None]:
    """Value key → campus id (as text) for campus values as recorded, by code or name (None:
    no campus matches)."""
    index = campus_index()
    return {value_key(v): index.get(fold_key(v)) for v in values}


def date_order_of(table: Table, plan: MappingPlan, keys) -> tuple[bool, bool]:
    """``(day_first, decided_by_the_data)`` for a plan with a ``date_order`` (``auto``,
    ``mdy``, ``dmy``): the order chosen, or with ``auto`` the order the slash dates in the
    columns of our fields ``keys`` show (MM/DD when they do not tell)."""
    if plan.date_order != "auto":
        return plan.date_order == "dmy", False
    columns = [plan.columns.get(k) for k in keys]
    values = (cells[i] for i in columns if i is not None for cells in table.rows)
    detected = detect_day_first(v for v in values if isinstance(v, str))
    return bool(detected), detected is not None


def value_maps(table: Table, plan: MappingPlan, *, kinds, value_columns: dict,
               suggestions) -> dict[str, dict[str, str | None]]:
    """Per value kind: value key → our value, the plan's choice over the suggestion
    (``suggestions(kind, values)``) for every distinct value of the kind's column."""
    maps = {}
    for kind in kinds:
        values = [v for _k, v, _n in distinct_keyed(table, plan.columns.get(value_columns[kind]))]
        mapping = suggestions(kind, values)
        mapping.update({k: v for k, v in plan.values.get(kind, {}).items() if v})
        maps[kind] = mapping
    return maps
