"""Reading and writing spreadsheets (.xlsx and .csv) safely, for every export and import.

Writing (:func:`write_xlsx`): openpyxl's write-only mode, so rows stream to a temporary file
and a 200,000-row export does not hold the workbook in memory. Every text cell that starts
with ``= + - @`` (after leading spaces or tabs) is neutralised with a leading ``'`` and kept
as text, so a hazard title cannot become a formula on the office's PC (CSV/formula injection,
OWASP). Ids and phone numbers are written as text cells (number format ``@``) so Excel keeps
leading zeros and long digit strings. Aware datetimes are shown in Asia/Shanghai local time.

Reading (:func:`read_table`): .xlsx (first sheet) and .csv in UTF-8 with or without a BOM,
falling back to GB18030, which is what Chinese Excel writes. Cells come back as Python
values (str, int, float, datetime, date, bool or None); :func:`normalise_text` and
:func:`parse_datetime_cell` turn them into clean text and aware datetimes.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from .clock import local_zone
from .errors import DomainError
from .forms import bootstrap

#: Characters that make a spreadsheet cell a formula (or DDE payload) when they come first.
FORMULA_PREFIXES = ("=", "+", "-", "@")
TEXT_FORMAT = "@"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Excel's day zero for serial dates (1900 date system, with Lotus's 29 Feb 1900 leap bug).
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# Serial numbers Excel can display: 1 (1900-01-01) … 2958465 (9999-12-31).
EXCEL_SERIAL_RANGE = (1, 2958466)


# --- errors --------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowError:
    """One problem in an uploaded table: spreadsheet ``row`` (the header is row 1), the
    ``column`` header it is in (may be empty for a whole-row problem) and a translated
    ``message``."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("Row %(row)s, column “%(column)s”: %(message)s") % {
                "row": self.row, "column": self.column, "message": self.message}
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


class CellError(ValueError):
    """A cell could not be read; ``error`` is the :class:`RowError` to show."""

    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


class ImportRejected(DomainError):
    """An import found problems and wrote nothing. ``errors`` lists the row errors in row
    order; ``total_rows`` is how many data rows the file had."""

    def __init__(self, errors: list[RowError], *, total_rows: int = 0,
                 error_total: int | None = None, message: str | None = None):
        total = len(errors) if error_total is None else error_total
        super().__init__(
            message or _("%(count)s problems found; nothing was imported.") % {"count": total},
            code="import_rejected",
        )
        self.errors = errors
        self.total_rows = total_rows
        #: How many problems there were in all (``errors`` may keep only the first ones).
        self.error_total = total


# --- writing -------------------------------------------------------------------------------
def neutralise(value: str) -> str:
    """``value`` made safe to show in a spreadsheet: a leading ``'`` is added when the text
    starts with ``= + - @`` after any spaces or tabs, so it can never run as a formula."""
    if value.lstrip(" \t").startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _local_naive(value: dt.datetime) -> dt.datetime:
    if timezone.is_aware(value):
        value = value.astimezone(local_zone()).replace(tzinfo=None)
    return value.replace(microsecond=0)


def write_xlsx(
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    text_columns: Iterable[int | str] = (),
    widths: Sequence[int] | None = None,
    sheet_title: str | None = None,
) -> bytes:
    """Write one sheet with a bold header row and return the .xlsx file's bytes.

    ``rows`` may be any iterable (a generator over ``queryset.iterator()``): each row is
    written as it comes. ``text_columns`` (indexes or header names) are written as text
    cells with number format ``@`` whatever their value (ids, phone numbers, staff numbers).
    Strings are neutralised (see :func:`neutralise`); aware datetimes are written as Asia/
    Shanghai local time, dates as dates; ``None`` as an empty cell; booleans as given.
    """
    text_idx = {headers.index(c) if isinstance(c, str) else c for c in text_columns}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(sheet_title or "Sheet1")[:31])
    for number, width in enumerate(widths or [], start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    for index in text_idx:
        # Whole-column text format: what someone types later (a template) stays text too.
        sheet.column_dimensions[get_column_letter(index + 1)].number_format = TEXT_FORMAT
    from openpyxl.styles import Font

    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=neutralise(str(header)))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        out = []
        for index, value in enumerate(row):
            if value is None or value == "":
                out.append(None)
            elif index in text_idx:
                cell = WriteOnlyCell(sheet, value=neutralise(_text_of(value)))
                cell.data_type = "s"
                cell.number_format = TEXT_FORMAT
                out.append(cell)
            elif isinstance(value, str):
                # After neutralise() no text starts with "=", so openpyxl stores it as text
                # (a plain value is cheaper than a WriteOnlyCell on 200,000 rows).
                out.append(neutralise(value))
            elif isinstance(value, dt.datetime):
                out.append(_local_naive(value))  # openpyxl gives it a date-time format
            elif isinstance(value, bool | int | float | dt.date):
                out.append(value)
            else:
                out.append(neutralise(str(value)))
        sheet.append(out)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_of(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return _local_naive(value).isoformat(sep=" ")
    return str(value)


def content_disposition(filename: str, *, fallback: str = "export.xlsx") -> str:
    """An ``attachment`` Content-Disposition with an ASCII ``filename`` and the real (e.g.
    Chinese) name as RFC 5987 ``filename*``."""
    from urllib.parse import quote

    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


# --- reading -------------------------------------------------------------------------------
@dataclass
class Table:
    """An uploaded sheet. ``headers`` are normalised, unique texts; ``rows`` are lists of cell
    values as long as ``headers``; ``numbers[i]`` is the spreadsheet row number of ``rows[i]``
    (the header is row 1; blank rows are skipped but keep their numbers)."""

    headers: list[str]
    rows: list[list] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    name: str = ""

    def __len__(self) -> int:
        return len(self.rows)

    def numbered(self):
        """``(row_number, cells)`` pairs in file order."""
        return zip(self.numbers, self.rows, strict=True)


class SpreadsheetError(DomainError):
    """The file itself cannot be read (wrong type, damaged, empty)."""

    def __init__(self, message: str):
        super().__init__(message, code="bad_spreadsheet", field_errors={"file": [message]})


ACCEPTED_EXTENSIONS = (".xlsx", ".csv")


def read_table(uploaded_file, *, max_bytes: int | None = None, fold_width: bool = True) -> Table:
    """Read the first sheet of an .xlsx file, or a .csv file, into a :class:`Table`.

    ``uploaded_file``: a Django ``UploadedFile``, an opened file or anything with ``read()``
    and ``name``. CSV text may be UTF-8 (with or without BOM), GB18030 (Chinese Excel's "CSV")
    or UTF-16 with a BOM; the delimiter may be comma, tab or semicolon. Text cells are
    NFKC-normalised and trimmed (full-width letters and digits become ASCII); a leading
    ``'`` guard that :func:`neutralise` added is removed again. ``fold_width=False`` keeps
    the characters of text cells as written (only whitespace is collapsed), for prose such as
    check point texts whose full-width punctuation (，：（）) must survive; headers are
    always normalised. Raises
    :class:`SpreadsheetError` with a translated message for a file of the wrong type, a
    damaged or empty file, or one larger than ``max_bytes``.
    """
    name = getattr(uploaded_file, "name", "") or ""
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read()
    if max_bytes is not None and len(data) > max_bytes:
        raise SpreadsheetError(
            _("The file is larger than %(size)s MB; split it into smaller files.")
            % {"size": round(max_bytes / 1024 / 1024, 1)}
        )
    lower = name.lower()
    if data[:4] == b"PK\x03\x04" and not lower.endswith(".csv"):
        rows = _xlsx_rows(data)
    elif lower.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise SpreadsheetError(
            _("Old Excel .xls files cannot be read; open it in Excel and save it as .xlsx.")
        )
    elif lower.endswith(".csv") or (not lower.endswith(ACCEPTED_EXTENSIONS) and _looks_like_text(data)):
        rows = _csv_rows(data)
    else:
        raise SpreadsheetError(_("Upload an Excel file (.xlsx) or a CSV file (.csv)."))
    return _to_table(rows, name=name, fold_width=fold_width)


def _looks_like_text(data: bytes) -> bool:
    return b"\x00" not in data[:4096] or data[:2] in (b"\xff\xfe", b"\xfe\xff")


def xlsx_rows(data: bytes):
    """The rows (tuples of cell values) of the first sheet of the .xlsx file ``data``, read
    only, values not formulas. Raises :class:`SpreadsheetError` (on the first ``next``) for a
    file that cannot be opened."""
    import zipfile

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as error:
        raise SpreadsheetError(
            _("The Excel file could not be opened; it may be damaged or not an .xlsx file.")
        ) from error
    try:
        sheet = workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


_xlsx_rows = xlsx_rows  # the name it had before it was public


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise SpreadsheetError(
            _("The CSV file is neither UTF-8 nor GB18030 text; save it again as “CSV UTF-8”.")
        ) from error


def _csv_rows(data: bytes):
    text = _decode(data)
    sample = text[:8192]
    delimiter = ","
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        pass
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as error:
        raise SpreadsheetError(
            _("The CSV file could not be read: %(reason)s") % {"reason": str(error)}
        ) from error


def _clean_cell(value, fold_width: bool = True):
    if isinstance(value, str):
        value = normalise_text(value) if fold_width else " ".join(value.split())
        if value[:1] == "'" and value[1:].lstrip(" \t").startswith(FORMULA_PREFIXES):
            value = value[1:]  # our own export's formula guard
        return value
    return value


def _to_table(rows, *, name: str, fold_width: bool = True) -> Table:
    iterator = iter(rows)
    headers: list[str] | None = None
    number = 0
    for raw in iterator:
        number += 1
        if any(v not in (None, "") and str(v).strip() for v in raw):
            headers = [normalise_text(str(v)) if v is not None else "" for v in raw]
            break
    if headers is None:
        raise SpreadsheetError(_("The file is empty: the first row must hold the column headers."))
    while headers and not headers[-1]:
        headers.pop()
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        header = header or _("Column %(letter)s") % {"letter": get_column_letter(index + 1)}
        if header in seen:
            seen[header] += 1
            header = f"{header} ({seen[header]})"
        else:
            seen[header] = 1
        headers[index] = header
    table = Table(headers=headers, name=name)
    width = len(headers)
    for raw in iterator:
        number += 1
        cells = [_clean_cell(v, fold_width) for v in list(raw)[:width]]
        if not any(v not in (None, "") for v in cells):
            continue
        cells.extend([None] * (width - len(cells)))
        table.rows.append(cells)
        table.numbers.append(number)
    return table


# --- cells ---------------------------------------------------------------------------------
def normalise_text(value) -> str:
    """``value`` as clean text: Unicode NFKC (full-width ``ＡＢＣ１２３`` → ``ABC123``,
    ideographic space → space), runs of whitespace collapsed, ends trimmed. ``None`` → ``""``;
    a float that is a whole number (Excel's ``13800138000.0``) loses its ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


@functools.lru_cache(maxsize=65536)
def _fold(text: str) -> str:
    return _FOLD_OUT.sub("", normalise_text(text).casefold())


_FOLD_OUT = re.compile(r"[\s_\-/.()（）:：]")


def fold_key(value) -> str:
    """A matching key: normalised, case-folded, without spaces, ``_``, ``-`` or ``/``.
    "Created Date", "created_date" and "ＣｒｅａｔｅｄＤａｔｅ" all give ``createddate``."""
    return _fold(value if isinstance(value, str) else normalise_text(value))


# Date texts, matched by regular expressions (much faster than trying strptime formats one
# by one on 200,000 rows). Separators: - / . or 年月日; times: H:M[:S[.f]] with an optional
# AM/PM (上午/下午 are folded to AM/PM first).
_TIME = r"(?:[ T]+(?:([AP]M)\s*)?(\d{1,2})[:：](\d{1,2})(?:[:：](\d{1,2})(?:\.(\d{1,6}))?)?(?:\s*([AP]M))?)?"
_YMD = re.compile(r"(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日?)" + _TIME)
_MDY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})" + _TIME)  # US order: MyLA311, US Excel
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


def excel_serial_to_datetime(serial: float) -> dt.datetime:
    """A naive datetime from an Excel serial day number (1900 system), rounded to the
    second: ``45000.5`` → 2023-03-15 12:00."""
    seconds = round(float(serial) * 86400)
    return EXCEL_EPOCH + dt.timedelta(seconds=seconds)


def parse_datetime_cell(
    value,
    *,
    row: int = 0,
    column: str = "",
    tz: str | dt.tzinfo | None = None,
    date_only: str = "start",
) -> dt.datetime | None:
    """An aware datetime from a cell, or ``None`` for an empty cell.

    Accepts datetime and date objects, Excel serial numbers (``45000.5``, also as text and
    in full-width digits), and text like ``2026-11-30``, ``2026/11/30 14:05``,
    ``2026年11月30日``, ``12/31/2017 11:59:58 PM`` (MyLA311) or ISO 8601 with an offset.
    Naive values are local time in ``tz`` (a zone name or tzinfo; default Asia/Shanghai).
    A value with no time of day (a date, a whole serial number, or an Excel date cell, which
    reads as a datetime at exactly 00:00) is the start of that local day, or its last instant
    when ``date_only="end"`` (a date-only deadline means the end of the day). Raises
    :class:`CellError` naming ``row`` and ``column`` when the text is not a date.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else (tz or local_zone())
    if value is None:
        return None
    has_time = True
    parsed: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        # Excel stores a date cell as a datetime at midnight: that is a date without a time.
        parsed, has_time = value, value.time() != dt.time.min or value.tzinfo is not None
    elif isinstance(value, dt.date):
        parsed, has_time = dt.datetime.combine(value, dt.time.min), False
    elif isinstance(value, bool):
        parsed = None
    elif isinstance(value, int | float):
        if EXCEL_SERIAL_RANGE[0] <= value < EXCEL_SERIAL_RANGE[1]:
            parsed = excel_serial_to_datetime(value)
            has_time = not float(value).is_integer()
    else:
        text = normalise_text(value)
        if not text:
            return None
        parsed, has_time = _parse_text(text)
    if parsed is None:
        raise CellError(RowError(row, column, _(
            "“%(value)s” is not a date or time; write it like 2026-11-30 or 2026-11-30 14:05."
        ) % {"value": normalise_text(value)}))
    if timezone.is_naive(parsed):
        if not has_time and date_only == "end":
            return dt.datetime.combine(parsed.date(), dt.time.max, tzinfo=zone)
        return parsed.replace(tzinfo=zone)
    return parsed


def _parse_text(text: str) -> tuple[dt.datetime | None, bool]:
    """(naive datetime or None, whether the text had a time of day)."""
    if re.fullmatch(r"\d{1,7}(\.\d+)?", text) and len(text) != 8:
        number = float(text)
        if EXCEL_SERIAL_RANGE[0] <= number < EXCEL_SERIAL_RANGE[1]:
            return excel_serial_to_datetime(number), not number.is_integer()
        return None, False
    upper = text.upper().replace("上午", "AM").replace("下午", "PM")
    match = _YMD.fullmatch(upper)
    if match:
        g = match.groups()
        year, month, day = int(g[0]), int(g[1] or g[3]), int(g[2] or g[4])
        return _build(year, month, day, g[5:])
    match = _MDY.fullmatch(upper)
    if match:
        g = match.groups()
        return _build(int(g[2]), int(g[0]), int(g[1]), g[3:])
    match = _COMPACT.fullmatch(upper)
    if match:
        return _build(int(match[1]), int(match[2]), int(match[3]), (None,) * 6)
    try:
        return dt.datetime.fromisoformat(text), True
    except ValueError:
        return None, False


def _build(year, month, day, time_groups) -> tuple[dt.datetime | None, bool]:
    half_before, hour, minute, second, fraction, half = time_groups
    half = half or half_before
    try:
        if hour is None:
            return dt.datetime(year, month, day), False
        hour = int(hour)
        if half:
            if not 1 <= hour <= 12:
                return None, False
            hour = hour % 12 + (12 if half == "PM" else 0)
        micro = int((fraction or "0").ljust(6, "0"))
        return dt.datetime(year, month, day, hour, int(minute), int(second or 0), micro), True
    except ValueError:
        return None, False


# --- upload form ---------------------------------------------------------------------------
class SpreadsheetUploadForm(forms.Form):
    """One .xlsx or .csv file, at most ``SAFECAMPUS["IMPORT_MAX_BYTES"]`` bytes; a wrong type
    or size is a form error on ``file`` (the content is read by :func:`read_table`)."""

    file = forms.FileField(
        label=gettext_lazy("Excel or CSV file"),
        help_text=gettext_lazy("An .xlsx file (first sheet) or a .csv file; the first row holds "
                               "the column headers."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ",".join(ACCEPTED_EXTENSIONS)
        bootstrap(self)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith(ACCEPTED_EXTENSIONS):
            raise forms.ValidationError(
                _("“%(name)s” is not an Excel (.xlsx) or CSV (.csv) file.") % {"name": upload.name})
        limit = settings.SAFECAMPUS["IMPORT_MAX_BYTES"]
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB; split it into smaller files.")
                % {"size": round(limit / 1024 / 1024, 1)})
        return upload
