"""What a phone sends with a record made in the field (a patrol scan, a duty-post sign-in):
a position in decimal degrees, the distance between two positions, and the record's own id
made on the phone.

Each caller turns a bad id or a bad coordinate into its own
:class:`~safecampus.core.errors.DomainError` (the message names what it is: a scan, a
sign-in, a checkpoint)."""

from __future__ import annotations

import math
import uuid
from decimal import Decimal, InvalidOperation

#: Mean earth radius in metres (the haversine below).
EARTH_RADIUS_M = 6_371_000
#: Largest absolute latitude and longitude in degrees.
LATITUDE_LIMIT = 90
LONGITUDE_LIMIT = 180
#: Stored precision of a coordinate: six decimal places (about 0.1 m).
DEGREES_QUANTUM = Decimal("0.000001")


class BadCoordinate(ValueError):
    """A coordinate that cannot be stored. ``reason`` is ``"not_a_number"`` (text that is
    not a decimal number, or NaN) or ``"out_of_range"`` (beyond the limit, or infinite)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def parse_degrees(value, *, limit: int) -> Decimal | None:
    """``value`` (a number, Decimal or text in decimal degrees, WGS-84) as a Decimal rounded
    to :data:`DEGREES_QUANTUM`; None when it is missing (None, or text that is blank).
    ``limit`` is :data:`LATITUDE_LIMIT` or :data:`LONGITUDE_LIMIT` (both ends allowed).
    Raises :class:`BadCoordinate`; degrees-and-minutes text is "not_a_number"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise BadCoordinate("not_a_number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadCoordinate("not_a_number") from None
    if number.is_nan():
        raise BadCoordinate("not_a_number")
    if not number.is_finite() or abs(number) > limit:
        raise BadCoordinate("out_of_range")
    return number.quantize(DEGREES_QUANTUM)


def degrees_checked(value, *, limit: int, field: str) -> Decimal | None:
    """:func:`parse_degrees` for a service: a bad value raises a translated
    :class:`~safecampus.core.errors.DomainError` on ``field`` (code ``bad_location``)."""
    from django.utils.translation import gettext as _

    from .errors import field_error

    try:
        return parse_degrees(value, limit=limit)
    except BadCoordinate as bad:
        message = (_("The position is not a number.") if bad.reason == "not_a_number"
                   else _("The position is out of range."))
        raise field_error(field, message, code="bad_location") from None


def distance_m(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance in metres between two WGS-84 points (haversine, R = 6 371 km).
    Degrees as numbers, Decimals or numeric strings."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def client_uuid(value) -> uuid.UUID | None:
    """``value`` (a UUID or its text, any of the forms :class:`uuid.UUID` reads) as a UUID;
    None when it is missing or not a UUID."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None
