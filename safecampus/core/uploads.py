"""Photos from phones: validate, auto-orient, strip metadata, re-encode.

Accepts JPEG (including MPO from multi-lens phones), PNG, WebP and HEIC/HEIF. Every stored
copy is re-encoded from pixels only, so EXIF location and device data never reach anyone
who sees the photo. A file that is too large or not an image raises
:class:`~safecampus.core.errors.DomainError` with a translated message; nothing is dropped
silently.
"""

import io
import math
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from .errors import DomainError

register_heif_opener()

ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "HEIF", "HEIC"}
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"
THUMBNAIL_SIDE_PX = 480


def photo_process(upload, *, field: str = "photos") -> tuple[ContentFile, ContentFile]:
    """Turn an uploaded file into (full, thumbnail) JPEG ContentFiles without metadata.

    ``upload``: a Django UploadedFile (or any file object with ``name``/``size``/``read``).
    Full size is capped at SAFECAMPUS["PHOTO_MAX_SIDE_PX"] on the long side; the thumbnail
    at 480 px. Raises DomainError (field ``field``) on a too-large or unreadable file.
    """
    name = getattr(upload, "name", "photo") or "photo"
    max_bytes = settings.SAFECAMPUS["PHOTO_MAX_BYTES"]
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        message = _("%(name)s is too large (%(size)s MB); the limit is %(limit)s MB.") % {
            "name": name,
            "size": _megabytes(size, up=True),
            "limit": _megabytes(max_bytes),
        }
        raise DomainError(message, code="photo_too_large", field_errors={field: [message]})
    try:
        upload.seek(0)
        image = Image.open(upload)
        image_format = (image.format or "").upper()
        if image_format not in ACCEPTED_FORMATS:
            raise UnidentifiedImageError(image_format)
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        message = _(
            "%(name)s is not a photo we can read; use JPEG, PNG, WebP or HEIC."
        ) % {"name": name}
        raise DomainError(message, code="photo_unreadable", field_errors={field: [message]}) from exc

    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    side = settings.SAFECAMPUS["PHOTO_MAX_SIDE_PX"]
    full = image.copy()
    full.thumbnail((side, side))
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIDE_PX, THUMBNAIL_SIDE_PX))
    stem = uuid.uuid4().hex
    return (
        ContentFile(_encode(full), name=f"{stem}.jpg"),
        ContentFile(_encode(thumb), name=f"{stem}_t.jpg"),
    )


def _megabytes(n_bytes: int, *, up: bool = False) -> str:
    """``n_bytes`` in MB with at most one decimal ("15", "0.5"); ``up`` rounds up, so a file
    just over the limit never reads as equal to it."""
    tenths = n_bytes * 10 / (1024 * 1024)
    tenths = math.ceil(tenths) if up else math.floor(tenths)
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths / 10:.1f}"


def _encode(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # A fresh save without exif=/icc_profile= writes pixels only: no GPS, no device data.
    image.save(buffer, format="JPEG", quality=85, optimize=True)
    return buffer.getvalue()
