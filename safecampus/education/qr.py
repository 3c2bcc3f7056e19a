"""Signed sign-in codes of education activities (签到码).

An activity's QR code holds ``<PUBLIC_URL>/education/a/<id>-<generation>.<signature>/``
(:class:`~safecampus.core.qrcodes.CodeSigner`, salt of its own, so a duty post's or a
checkpoint's code is never an activity's). Renewing the code raises
``Activity.sign_in_generation``: a photographed old poster is then refused as replaced.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from safecampus.core.qrcodes import CodeSigner

SALT = "safecampus.education.activity"
URL_SEGMENT = "a"

signer = CodeSigner(salt=SALT, url_segment=URL_SEGMENT)


def activity_code(activity) -> str:
    """The signed code of the activity's current generation, e.g. ``12-1.Xy…`` (ASCII)."""
    return signer.sign(activity.pk, activity.sign_in_generation)


def activity_url(activity) -> str:
    """What the sign-in QR holds: ``SAFECAMPUS["PUBLIC_URL"]`` + the sign-in page of the code
    (never the host of the request that printed the poster)."""
    return settings.SAFECAMPUS["PUBLIC_URL"] + reverse("education:attendance_code",
                                                       args=[activity_code(activity)])
