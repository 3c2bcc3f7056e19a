"""Printable A4 sheets of checkpoint QR codes (巡更点二维码), in Chinese.

Each checkpoint becomes one card: its QR code (the address of the scan page under
``SAFECAMPUS["PUBLIC_URL"]``, never the host of the request that printed it), the route,
the checkpoint's number and name, its place, the manual code in large monospace letters
(for a camera that cannot read the sticker) and the code generation, so the office can tell
an old sticker from a new one after a rotation. Six cards (2 × 3) fit an A4 page, with
dashed cut lines. The QR code is embedded as an SVG ``data:`` URI: vector, so it prints sharp
at any size, and nothing is fetched while the PDF is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno  # noqa: F401  (the module the QR images come from; tests watch segno.make here)
from django.conf import settings
from django.utils import translation

from safecampus.core import qrcodes
from safecampus.core.pdf import render_pdf

from .models import Checkpoint, PatrolRoute
from .services import patrolling

#: The language of the printed sheet: stickers are read by guards on campus.
SHEET_LANGUAGE = "zh-hans"
#: Cards per page (columns × rows) and the printed size of a QR code with its quiet zone, in
#: millimetres: a PUBLIC_URL code is version 5–6 (37–41 modules), so with a 2-module quiet
#: zone (the white card around it adds more) the code itself is about 48 mm wide and each
#: module over 1.1 mm, readable by a phone from about a metre.
COLUMNS, ROWS = 2, 3
QR_SIZE_MM = 54
#: Error correction "M" (15 %) keeps the code small enough for large modules; the sticker
#: also carries the manual code for when it is damaged.
QR_ERROR = qrcodes.QR_ERROR
QR_BORDER = qrcodes.QR_BORDER


@dataclass
class SheetCard:
    checkpoint: Checkpoint
    payload: str  # what the QR code holds
    qr: str  # the QR code as an SVG data: URI
    manual_code: str  # grouped for reading: "ABCD EFGH"


def qr_payload(checkpoint: Checkpoint) -> str:
    """The text a checkpoint's QR code holds: its scan page under PUBLIC_URL."""
    return patrolling.checkpoint_url(checkpoint)


def qr_svg_data_uri(payload: str) -> str:
    """``payload`` as a QR code (SVG ``data:`` URI, black on white, 2-module quiet zone)."""
    return qrcodes.qr_svg_data_uri(payload, error=QR_ERROR, border=QR_BORDER)


def _grouped(code: str) -> str:
    return qrcodes.manual_code_grouped(code)


def sheet_cards(checkpoints) -> list[SheetCard]:
    """One card per checkpoint (``place__building`` should be joined), in the given order."""
    cards = []
    for checkpoint in checkpoints:
        payload = qr_payload(checkpoint)
        cards.append(SheetCard(checkpoint=checkpoint, payload=payload,
                               qr=qr_svg_data_uri(payload),
                               manual_code=_grouped(checkpoint.manual_code)))
    return cards


def sheet_pages(cards: list[SheetCard]) -> list[list[list[SheetCard | None]]]:
    """Cards laid out as pages of rows of ``COLUMNS`` cells (None fills the last row)."""
    per_page = COLUMNS * ROWS
    pages = []
    for start in range(0, len(cards), per_page):
        chunk = cards[start:start + per_page]
        rows = []
        for r in range(0, len(chunk), COLUMNS):
            row: list[SheetCard | None] = list(chunk[r:r + COLUMNS])
            row += [None] * (COLUMNS - len(row))
            rows.append(row)
        pages.append(rows)
    return pages


def checkpoint_sheet_pdf_bytes(*, route: PatrolRoute, checkpoints) -> bytes:
    """An A4 PDF with one QR card per checkpoint of ``checkpoints`` (on ``route``), six per
    page. The caller checks that the reader may manage patrols."""
    cards = sheet_cards(checkpoints)
    with translation.override(SHEET_LANGUAGE):
        return render_pdf("patrols/documents/checkpoint_sheet.html", {
            "route": route, "pages": sheet_pages(cards), "qr_size": QR_SIZE_MM,
            "SITE": settings.SAFECAMPUS,
        })


def sheet_filename(route: PatrolRoute, checkpoint: Checkpoint | None = None) -> str:
    """``checkpoints-north-night.pdf`` or ``checkpoint-north-night-03.pdf`` (ASCII)."""
    if checkpoint is None:
        return f"checkpoints-{route.code}.pdf"
    return f"checkpoint-{route.code}-{checkpoint.sequence:02d}.pdf"
