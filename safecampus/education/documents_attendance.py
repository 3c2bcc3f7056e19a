"""The A4 sign-in poster of an education activity (签到海报), in Chinese: the activity's title,
time and place, a big QR code (the sign-in page under ``SAFECAMPUS["PUBLIC_URL"]``, never the
host of the request that printed it), "scan to sign in" and, large under it, the manual code
to type when a phone's camera cannot read the QR, with the code generation so the
organiser can tell an old poster from a new one after renewing the code."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from safecampus.core import qrcodes
from safecampus.core.pdf import render_pdf

from .models import Activity
from .qr import activity_url

#: Posters are read by students and staff on campus.
POSTER_LANGUAGE = "zh-hans"
#: Printed size of the QR code with its quiet zone (mm): read from a few metres away.
QR_SIZE_MM = 130


def poster_context(activity: Activity) -> dict:
    """What the poster page and the PDF show: the activity, the QR's URL and its SVG."""
    payload = activity_url(activity)
    return {"activity": activity, "payload": payload, "qr": qrcodes.qr_svg_data_uri(payload),
            "manual_code": qrcodes.manual_code_grouped(activity.sign_in_manual_code),
            "qr_size": QR_SIZE_MM, "SITE": settings.SAFECAMPUS}


def poster_pdf_bytes(*, activity: Activity) -> bytes:
    """One A4 page for ``activity``. The caller checks that the reader manages its sign-in."""
    with translation.override(POSTER_LANGUAGE):
        return render_pdf("education/attendance/documents/poster.html", poster_context(activity))
