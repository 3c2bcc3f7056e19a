"""The A4 sign for a traffic duty post (执勤岗签到牌), in Chinese: the post's name, place and
duties, its QR code (the sign-in page under ``SAFECAMPUS["PUBLIC_URL"]``, never the host of
the request that printed it), the manual code in large letters and the code generation, so the
office can tell an old sign from a new one after a rotation."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from safecampus.core import qrcodes
from safecampus.core.pdf import render_pdf

from .models import DutyPost
from .services import posts as services

#: Stickers are read by guards on campus.
SIGN_LANGUAGE = "zh-hans"
#: Printed size of the QR code with its quiet zone (mm): large, read from a couple of metres.
QR_SIZE_MM = 120


def post_sign_pdf_bytes(*, post: DutyPost) -> bytes:
    """One A4 page for ``post``. The caller checks that the reader may manage posts."""
    payload = services.post_url(post)
    with translation.override(SIGN_LANGUAGE):
        return render_pdf("traffic/posts/documents/sign.html", {
            "post": post, "payload": payload, "qr": qrcodes.qr_svg_data_uri(payload),
            "manual_code": qrcodes.manual_code_grouped(post.manual_code),
            "qr_size": QR_SIZE_MM, "SITE": settings.SAFECAMPUS,
        })
