"""Exporting the hazard ledger (隐患台账) to Excel.

The rows are exactly those of :func:`safecampus.hazards.selectors.hazard_ledger` for the
user and the filters of the ledger page, so an export can never show another unit's
hazards. Rows are read with ``.iterator(chunk_size=2000)`` and streamed into openpyxl's
write-only workbook: a 200,000-row export does not hold the rows in memory.

The column headers are the ledger's fixed Chinese names: they are the file format the
office exchanges (and :mod:`safecampus.hazards.importing` reads back), not UI text, so a
file exported in either UI language imports again. Anonymous reports show 匿名 as the
reporter, never the name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils import translation

from safecampus.core import clock
from safecampus.core.spreadsheets import write_xlsx

from .models import UNIT_STATES, Grade, Hazard, Source, Status
from .selectors import LedgerFilters, hazard_ledger

LEDGER_HEADERS = (
    "编号", "标题", "类别", "等级", "状态", "校区", "位置", "责任单位", "来源",
    "上报时间", "整改期限", "销号时间", "是否逾期", "通知单号", "上报人",
)
LEDGER_WIDTHS = (16, 36, 12, 10, 12, 12, 30, 20, 14, 20, 12, 20, 9, 26, 12)
#: Shown instead of the reporter's name for an anonymous report (DESIGN: anonymity rule).
ANONYMOUS = "匿名"
YES, NO = "是", "否"
CHUNK_SIZE = 2000


def ledger_location(hazard: Hazard) -> str:
    """Building, place and location details joined with spaces (campus has its own column)."""
    parts = []
    if hazard.building_id:
        parts.append(hazard.building.name)
    if hazard.place_id:
        parts.append(hazard.place.name)
    if hazard.location_text:
        parts.append(hazard.location_text)
    return " ".join(parts)


def ledger_reporter(hazard: Hazard) -> str:
    """The reporter's name, 匿名 for an anonymous report, empty when there is none."""
    if hazard.is_anonymous:
        return ANONYMOUS
    if hazard.reporter_id is None:
        return ""
    return hazard.reporter.full_name or hazard.reporter.username


def _labels() -> dict[str, dict[str, str]]:
    """Display labels of the choice fields in the active language, computed once per export
    (``get_FOO_display`` per row costs a translation lookup per cell)."""
    return {
        "grade": {value: str(label) for value, label in Grade.choices},
        "status": {value: str(label) for value, label in Status.choices},
        "source": {value: str(label) for value, label in Source.choices},
    }


def ledger_row(hazard: Hazard, *, now: dt.datetime, labels: dict | None = None) -> list:
    """One exported row, in the order of :data:`LEDGER_HEADERS`. Datetimes are aware (the
    writer shows them in Asia/Shanghai); the deadline is its local date."""
    labels = labels or _labels()
    overdue = bool(hazard.status in UNIT_STATES and hazard.deadline and hazard.deadline < now)
    deadline = hazard.deadline.astimezone(clock.local_zone()).date() if hazard.deadline else None
    return [
        hazard.reference,
        hazard.title,
        hazard.category.name,
        labels["grade"].get(hazard.grade, hazard.grade),
        labels["status"].get(hazard.status, hazard.status),
        hazard.campus.name,
        ledger_location(hazard),
        hazard.responsible_unit.name if hazard.responsible_unit_id else "",
        labels["source"].get(hazard.source, hazard.source),
        hazard.reported_at,
        deadline,
        hazard.closed_at,
        YES if overdue else NO,
        hazard.current_notice.number if hazard.current_notice_id else "",
        ledger_reporter(hazard),
    ]


def ledger_export_rows(user, filters: LedgerFilters) -> Iterator[list]:
    """The export rows for ``user`` under ``filters``, newest first, read in chunks."""
    now = clock.now()
    labels = _labels()
    queryset = hazard_ledger(user, filters).select_related("reporter", "current_notice")
    for hazard in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield ledger_row(hazard, now=now, labels=labels)


def ledger_export_xlsx(user, filters: LedgerFilters) -> bytes:
    """The .xlsx file of the ledger rows ``user`` sees under ``filters``.

    Written in Chinese whatever the UI language, like its headers: the ledger is one file
    format, and a file mixing English statuses with Chinese headers would import badly.
    """
    with translation.override("zh-hans"):
        return write_xlsx(
            LEDGER_HEADERS,
            ledger_export_rows(user, filters),
            text_columns=("编号", "通知单号"),
            widths=LEDGER_WIDTHS,
            sheet_title="隐患台账",
        )


def ledger_export_filename(day: dt.date | None = None) -> str:
    """``隐患台账-YYYYMMDD.xlsx`` for ``day`` (default: today, local)."""
    day = day or clock.local_today()
    return f"隐患台账-{day:%Y%m%d}.xlsx"
