"""The printable inspection report (安全检查报告) as an A4 PDF, in Chinese.

Photos and the signature are read from storage and embedded as ``data:`` URIs: the PDF
builder never fetches a public URL (media is not public, and a remote storage may need
credentials the renderer does not have). Only thumbnails are embedded, so a report with
dozens of photos stays small and quick to build.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch
from django.utils import translation

from safecampus.core.pdf import render_pdf

from .models import Inspection, InspectionResult, Outcome, ResultPhoto

#: The language of the printed report: it goes to the unit as an official document.
REPORT_LANGUAGE = "zh-hans"


@dataclass
class ReportRow:
    """One item of the checklist with its result (``result`` None when unanswered)."""

    item: object
    result: InspectionResult | None
    photos: list[str] = field(default_factory=list)  # finding thumbnails as data URIs
    fixed_photos: list[str] = field(default_factory=list)  # the fixed state, as data URIs


@dataclass
class ReportSection:
    section: object
    rows: list[ReportRow] = field(default_factory=list)


def _data_uri(file_field, content_type: str) -> str:
    """The stored file as a ``data:`` URI ('' when it is missing from storage)."""
    if not file_field:
        return ""
    try:
        with file_field.storage.open(file_field.name, "rb") as handle:
            raw = handle.read()
    except (FileNotFoundError, OSError):
        return ""
    return f"data:{content_type};base64,{base64.b64encode(raw).decode('ascii')}"


def report_context(inspection: Inspection) -> dict:
    """Everything the report template shows, read in a fixed number of queries.

    Keys: ``inspection``, ``sections`` (list of :class:`ReportSection` in checklist order),
    ``findings`` (rows of failed items, with photos), ``hazards`` (the hazards the findings
    became), ``notice_numbers`` (distinct, in order), ``signature`` (data URI or ''),
    ``SITE`` (settings.SAFECAMPUS).
    """
    inspection = (Inspection.objects
                  .select_related("version__template", "place__building", "campus", "unit",
                                  "inspector", "reviewed_by", "plan")
                  .get(pk=inspection.pk))
    version = inspection.version
    results = {
        r.item_id: r for r in InspectionResult.objects.filter(inspection=inspection)
        .select_related("item", "hazard__current_notice", "repeat_of__inspection")
        .prefetch_related(Prefetch("photos", queryset=ResultPhoto.objects.order_by(
            "stage", "created_at", "id")))
    }
    sections = {s.pk: ReportSection(section=s) for s in version.sections.all()}
    findings: list[ReportRow] = []
    for item in version.items.order_by("position", "id"):
        result = results.get(item.pk)
        row = ReportRow(item=item, result=result)
        if result is not None and result.outcome == Outcome.FAILS:
            for photo in result.photos.all():
                uri = _data_uri(photo.thumbnail, "image/jpeg")
                if uri and photo.stage == ResultPhoto.Stage.FIXED:
                    row.fixed_photos.append(uri)
                elif uri:
                    row.photos.append(uri)
            findings.append(row)
        sections.setdefault(item.section_id, ReportSection(section=None)).rows.append(row)
    hazards = [row.result.hazard for row in findings if row.result.hazard_id]
    notice_numbers: list[str] = []
    for hazard in hazards:
        if hazard.current_notice_id and hazard.current_notice.number not in notice_numbers:
            notice_numbers.append(hazard.current_notice.number)
    return {
        "inspection": inspection,
        "template": version.template,
        "version": version,
        "sections": [s for s in sections.values() if s.rows],
        "findings": findings,
        "fixed_on_spot": [row for row in findings if row.result.fixed_on_spot],
        "hazards": hazards,
        "notice_numbers": notice_numbers,
        "signature": _data_uri(inspection.signature, "image/png"),
        "SITE": settings.SAFECAMPUS,
    }


def inspection_report_pdf_bytes(inspection: Inspection) -> bytes:
    """The A4 inspection report (安全检查报告) of ``inspection`` as PDF bytes, in Chinese.

    Shows the place, unit, checklist and version, inspector and dates (Asia/Shanghai), every
    item by section with its result and note, thumbnails of the failed items' photos, fixes
    made on the spot, the score and compliance rate, a veto banner, the hazards and notice
    numbers the findings became, and the unit representative's name and signature. The
    caller checks that the reader may view the inspection.
    """
    with translation.override(REPORT_LANGUAGE):
        return render_pdf("inspections/report_pdf.html", report_context(inspection))


def report_filename(inspection: Inspection) -> str:
    """``inspection-JC2026-000042.pdf``."""
    return f"inspection-{inspection.reference}.pdf"
