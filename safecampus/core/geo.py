"""What a phone sends with a record made in the field (a patrol scan, a duty-post sign-in):
the distance between two positions, and the record's own id made on the phone.

Each caller turns a bad id into its own :class:`~safecampus.core.errors.DomainError`
(the message names what it is: a scan, a sign-in)."""

from __future__ import annotations

import math
import uuid

#: Mean earth radius in metres (the haversine below).
EARTH_RADIUS_M = 6_371_000


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
