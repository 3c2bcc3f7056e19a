"""Printable documents of the hazard loop."""

from django.conf import settings

from safecampus.core.pdf import render_pdf

from .selectors import notice_hazards


def notice_pdf_bytes(notice) -> bytes:
    """The A4 rectification notice (隐患整改通知单) as PDF bytes, in Chinese."""
    return render_pdf("hazards/notice_pdf.html", {
        "notice": notice,
        "hazards": notice_hazards(notice),
        "SITE": settings.SAFECAMPUS,
    })
