"""Excel export of inspection results: one row per item result.

Two scopes: one inspection (its report page) and the inspections of the home list under
its filters. Both read only inspections the caller got from
:func:`safecampus.inspections.selectors.inspection_list_visible_to`, so an export can never
show another unit's results. Rows are read in chunks and streamed into the write-only
workbook of :func:`safecampus.core.spreadsheets.write_xlsx`, which neutralises formula-like
text and writes the reference columns as text.

Headers and choice labels are in the language of the request (the file is read, not
imported back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from safecampus.core import clock
from safecampus.core.spreadsheets import write_xlsx

from .models import Inspection, InspectionResult

CHUNK_SIZE = 2000
WIDTHS = (16, 30, 18, 24, 8, 10, 48, 12, 36, 10, 10, 16, 12, 18)


def results_headers() -> list[str]:
    """Column headers in the active language (order of :func:`result_row`)."""
    return [
        _("Reference"), _("Place"), _("Inspected unit"), _("Checklist"), _("Version"),
        _("Item code"), _("Check point"), _("Result"), _("Note"), _("Fixed on the spot"),
        _("Repeat finding"), _("Hazard"), _("Inspector"), _("Finished at"),
    ]


#: Columns written as text whatever they contain (references and codes keep their form:
#: "1.10" must not become the number 1.1).
TEXT_COLUMNS = (0, 4, 5, 11)


def place_label(inspection: Inspection) -> str:
    """Campus, building and place joined with spaces."""
    parts = [inspection.campus.name]
    if inspection.place.building_id:
        parts.append(inspection.place.building.name)
    parts.append(inspection.place.name)
    return " ".join(parts)


def _person(user) -> str:
    return (user.full_name or user.username) if user is not None else ""


def result_row(result: InspectionResult, *, yes: str, no: str) -> list:
    """One exported row. ``finished_at`` stays aware; the writer shows it in local time."""
    inspection = result.inspection
    return [
        inspection.reference,
        place_label(inspection),
        inspection.unit.name if inspection.unit_id else "",
        inspection.version.template.name,
        str(inspection.version.number),
        result.item_code,
        result.item.text,
        result.outcome_label,
        result.note,
        yes if result.fixed_on_spot else no,
        yes if result.is_repeat else no,
        result.hazard.reference if result.hazard_id else "",
        _person(inspection.inspector),
        inspection.finished_at,
    ]


def _results_of(inspections: QuerySet[Inspection]) -> QuerySet[InspectionResult]:
    return (InspectionResult.objects
            .filter(inspection__in=inspections.values("pk"))
            .select_related("inspection__campus", "inspection__place__building",
                            "inspection__unit", "inspection__version__template",
                            "inspection__inspector", "item", "hazard")
            .order_by("-inspection__started_at", "-inspection_id", "item__position", "item_id"))


def results_rows(inspections: QuerySet[Inspection]) -> Iterator[list]:
    """The rows of every result of ``inspections`` (newest inspection first, items in
    checklist order), read in chunks."""
    yes, no = _("Yes"), _("No")
    for result in _results_of(inspections).iterator(chunk_size=CHUNK_SIZE):
        yield result_row(result, yes=yes, no=no)


def _write(rows: Iterable[list]) -> bytes:
    return write_xlsx(results_headers(), rows, text_columns=TEXT_COLUMNS, widths=WIDTHS,
                      sheet_title=_("Inspection results"))


def inspection_results_xlsx(inspection: Inspection) -> bytes:
    """The .xlsx of one inspection's results (the caller checked it may be seen)."""
    return _write(results_rows(Inspection.objects.filter(pk=inspection.pk)))


def inspections_results_xlsx(inspections: QuerySet[Inspection]) -> bytes:
    """The .xlsx of the results of ``inspections`` (a queryset built on
    ``inspection_list_visible_to``)."""
    return _write(results_rows(inspections))


def export_filename(day: dt.date | None = None) -> str:
    """``inspection-results-YYYYMMDD.xlsx`` for ``day`` (default: today, local)."""
    day = day or clock.local_today()
    return f"inspection-results-{day:%Y%m%d}.xlsx"


def inspection_filename(inspection: Inspection) -> str:
    """``inspection-JC2026-000042-results.xlsx``."""
    return f"inspection-{inspection.reference}-results.xlsx"
