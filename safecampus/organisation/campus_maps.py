"""Campus map images (校区平面图), writes and the image's size: the picture the four-colour risk
map (安全风险四色图) and other maps draw on.

:func:`campus_map_upload` replaces a campus's map with an uploaded PNG, JPEG (MPO too), WebP
or HEIC image: turned upright by its EXIF orientation, re-encoded from pixels only (no
location or device data), bounded to :data:`MAP_MAX_SIDE_PX` on the long side. A file that is
too large, not an image, or a picture smaller than :data:`MAP_MIN_SIDE_PX` on its long side (an
icon or a thumbnail, on which no point can be placed) is refused with a translated message and
the old map stays. The
change is one :class:`~safecampus.core.models.ActivityEntry` on the campus
(``organisation.campus_map_upload``); the old file is deleted after the commit.

:func:`campus_map_size` gives the stored image's pixel size, cached by file name (a new upload
has a new name, so the cache never serves a stale size).
"""

from __future__ import annotations

import io
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from safecampus.core.activity import activity_record
from safecampus.core.errors import DomainError, NotAllowed, perm_require
from safecampus.core.uploads import ACCEPTED_FORMATS, _megabytes

from .models import Campus

MANAGE = "organisation.manage_organisation"
#: The long side of a stored map, in pixels (enough for an A3 print at about 200 dpi).
MAP_MAX_SIDE_PX = 4096
#: The smallest long side accepted, in pixels: below this a campus's buildings cannot be told
#: apart and the printed map would be a blur.
MAP_MIN_SIDE_PX = 600
_SIZE_CACHE_SECONDS = 7 * 24 * 3600


def campus_map_upload(*, actor, campus_id: int, upload) -> Campus:
    """Replace campus ``campus_id``'s map image with ``upload`` (a Django UploadedFile).

    Needs ``organisation.manage_organisation`` (office administrators; ``actor`` None is the
    system). Transparent images are stored as PNG, others as JPEG. Returns the campus.
    Raises :class:`DomainError` at field ``image`` for a file too large
    (``SAFECAMPUS["PHOTO_MAX_BYTES"]``), unreadable or smaller than :data:`MAP_MIN_SIDE_PX` on
    its long side, :class:`NotAllowed`; nothing is written
    then and the old map stays.
    """
    perm_require(actor, MANAGE, system=True)
    content, width, height = _map_encode(upload)
    with transaction.atomic():
        campus = Campus.objects.select_for_update().filter(pk=campus_id).first()
        if campus is None:
            raise NotAllowed()
        old_name = campus.map_image.name or ""
        campus.map_image.save(content.name, content, save=False)
        campus.save(update_fields=["map_image", "updated_at"])
        activity_record(target=campus, actor=actor, verb="organisation.campus_map_upload",
                        comment=getattr(upload, "name", "") or "",
                        data={"width": width, "height": height, "file": campus.map_image.name,
                              "replaced": old_name})
        cache.set(_size_key(campus.map_image.name), (width, height), _SIZE_CACHE_SECONDS)
        if old_name:
            storage = campus.map_image.storage
            transaction.on_commit(lambda: storage.delete(old_name))
    return campus


def campus_map_size(campus: Campus) -> tuple[int, int] | None:
    """``(width, height)`` in pixels of ``campus``'s map image, or None when it has none or
    the file cannot be read. Cached by file name."""
    name = campus.map_image.name if campus.map_image else ""
    if not name:
        return None
    key = _size_key(name)
    size = cache.get(key)
    if size is None:
        try:
            with campus.map_image.open("rb") as handle, Image.open(handle) as image:
                size = image.size
        except (OSError, ValueError, UnidentifiedImageError):
            return None
        cache.set(key, size, _SIZE_CACHE_SECONDS)
    return tuple(size)


def _size_key(name: str) -> str:
    return f"campus-map-size:{name}"


def _map_encode(upload) -> tuple[ContentFile, int, int]:
    name = getattr(upload, "name", "map") or "map"
    max_bytes = settings.SAFECAMPUS["PHOTO_MAX_BYTES"]
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        message = _("%(name)s is too large (%(size)s MB); the limit is %(limit)s MB.") % {
            "name": name, "size": _megabytes(size, up=True), "limit": _megabytes(max_bytes)}
        raise DomainError(message, code="map_too_large", field_errors={"image": [message]})
    try:
        upload.seek(0)
        image = Image.open(upload)
        source_format = (image.format or "").upper()
        if source_format not in ACCEPTED_FORMATS:
            raise UnidentifiedImageError(image.format)
        image.load()
        image = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        message = _("%(name)s is not an image we can read; use PNG, JPEG, WebP or HEIC.") % {
            "name": name}
        raise DomainError(message, code="map_unreadable",
                          field_errors={"image": [message]}) from exc
    if max(image.size) < MAP_MIN_SIDE_PX:
        message = _("%(name)s is too small (%(width)s × %(height)s pixels); a campus map needs "
                    "at least %(minimum)s pixels on its long side.") % {
            "name": name, "width": image.width, "height": image.height,
            "minimum": MAP_MIN_SIDE_PX}
        raise DomainError(message, code="map_too_small", field_errors={"image": [message]})
    transparent = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if transparent else "RGB")
    image.thumbnail((MAP_MAX_SIDE_PX, MAP_MAX_SIDE_PX))
    buffer = io.BytesIO()
    # A fresh save without exif=/icc_profile= writes pixels only: no GPS, no device data.
    if transparent or source_format == "PNG":  # drawn maps stay sharp as PNG
        image.save(buffer, format="PNG", optimize=True)
        suffix = "png"
    else:
        image.save(buffer, format="JPEG", quality=90, optimize=True)
        suffix = "jpg"
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.{suffix}"), *image.size
