"""Vehicles and permits, reads: who sees which vehicle, the plate lookup of the gate, and a
vehicle's permit status today (local date).

Permit status (:func:`permit_status`), for the local day ``today``:

- ``valid``: an active permit covers today;
- ``suspended``: none is valid, and a suspended one (repeat offender) would cover today or
  later;
- ``upcoming``: an active permit starts later;
- ``expired``: the vehicle had permits, the last active one ended before today;
- ``none``: no permit, or only revoked ones.

One permit's own status (:func:`permit_standing`), for the page's and the API's permit lists:
``revoked``, else ``expired`` (its last day is before today), ``upcoming`` (its first day is
after today), ``suspended``, or ``valid``. The stored ``state`` alone says "active" for a
permit that ran out long ago.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecampus.core import clock

from ..models import Permit, Vehicle
from ..plates import (
    DIGITS,
    LETTERS,
    PROVINCES,
    SPECIAL_SUFFIXES,
    plate_normalise,
    plate_problem,
)

#: Most rows the lookup answers with.
LOOKUP_LIMIT = 20


@dataclass(frozen=True)
class PermitStatus:
    """A vehicle's permit status: ``code`` (valid, suspended, upcoming, expired, none), the
    permit it comes from (or None), and its label and Bootstrap colour for the pages."""

    code: str
    permit: Permit | None

    LABELS = {"valid": _("Valid permit"), "suspended": _("Permit suspended"),
              "upcoming": _("Permit not yet valid"), "expired": _("Permit expired"),
              "none": _("No permit")}
    COLOURS = {"valid": "success", "suspended": "danger", "upcoming": "info",
               "expired": "warning", "none": "secondary"}

    @property
    def label(self):
        return self.LABELS[self.code]

    @property
    def colour(self) -> str:
        return self.COLOURS[self.code]


def vehicle_list_visible_to(user) -> QuerySet[Vehicle]:
    """Vehicles ``user`` may see: all for the office and guards (the gate looks plates up),
    else the user's own. Owner account and unit joined."""
    rows = Vehicle.objects.select_related("owner", "unit")
    if not user.is_authenticated:
        return rows.none()
    if user.has_perm("traffic.manage_vehicles") or user.has_perm("traffic.view_vehicle"):
        return rows
    return rows.filter(owner=user)


def vehicle_detail(user, pk) -> Vehicle | None:
    """One vehicle if ``user`` may see it (else None)."""
    return vehicle_list_visible_to(user).filter(pk=pk).first()


def my_vehicles(user) -> list[Vehicle]:
    """The vehicles registered to ``user``'s account, active first, with permit status."""
    rows = list(Vehicle.objects.select_related("unit").filter(owner=user)
                .order_by("-is_active", "plate", "id"))
    return with_permit_status(rows)


def tag_normalise(text: str) -> str:
    """A campus tag number as stored: NFKC-folded, spaces removed, upper-case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).upper()


def _rank(number: str, tag: str):
    """0 exact plate, 1 plate starts with, 2 plate contains, 3 tag number, 4 owner name."""
    whens = []
    if number:
        whens += [When(plate=number, then=Value(0)), When(plate__startswith=number, then=Value(1)),
                  When(plate__contains=number, then=Value(2))]
    if tag:
        whens.append(When(tag_number__contains=tag, then=Value(3)))
    return Case(*whens, default=Value(4), output_field=IntegerField())


#: pg_trgm indexes ``LIKE '%…%'`` only for a fragment of at least this many characters.
TRIGRAM_MIN = 3
_PLATE_BODY = set(LETTERS + DIGITS)


def plate_fragment_possible(number: str) -> bool:
    """Whether ``number`` (in normal form) can be part of a registered plate. Plates are stored
    validated (:func:`~safecampus.traffic.plates.plate_check`): a province first, then
    letters and digits, a special suffix (学, 警 …) only last, at most 8 characters. So
    ``"王伟"`` (an owner's name) cannot be, and the lookup does not compare plates with it."""
    if not number or len(number) > 8:
        return False
    for i, char in enumerate(number):
        if char in _PLATE_BODY:
            continue
        if char in PROVINCES and i == 0:
            continue
        if char in SPECIAL_SUFFIXES and i == len(number) - 1:
            continue
        return False
    return True


def _plate_prefix(rows: QuerySet[Vehicle], number: str) -> QuerySet[Vehicle]:
    """Plates starting with ``number``. On PostgreSQL the anchored ``LIKE 'x%'`` uses the
    trigram index even for one or two characters (the start of a word is padded); on SQLite
    the same rows are a range of the plate index (BINARY collation orders by code point, so
    ``[number, number with its last character + 1)`` holds exactly the plates starting with
    it; the ``LIKE`` stays as the definition)."""
    rows = rows.filter(plate__startswith=number)
    if connection.vendor == "sqlite":  # the unique index is partial: WHERE NOT plate = ''
        rows = rows.filter(plate__gte=number, plate__lt=number[:-1] + chr(ord(number[-1]) + 1)
                           ).exclude(plate="")
    return rows


def vehicle_lookup(user, query: str, *, limit: int = LOOKUP_LIMIT) -> list[Vehicle]:
    """Vehicles matching ``query`` as typed at the gate, at most ``limit``, best first: the
    exact plate in normal form, then plates containing the normalised fragment (``"12345"``,
    ``"a123"``; starting with it first), then campus tag numbers and owner names containing
    the text. Active vehicles before deactivated ones within a rank. Each row carries
    ``permit_status`` (:class:`PermitStatus`). Empty for an empty query or one of a single
    character that is not a province (it would match nearly everything).

    Cost, at most three queries (see ``docs/benchmarks.md``): a complete valid plate that is
    registered is one lookup in the unique index. Otherwise, when a fragment is too short for
    the trigram indexes (under 3 characters) or the database is SQLite, the plates *starting
    with* a fragment that starts with a province come first from an index (ranks 0–1 precede
    all others, so when they fill ``limit`` they are the answer: ``"京A"``). Else one query
    over plate, tag and owner name: on PostgreSQL each arm of the ``OR`` is a trigram index
    scan when its text has 3 or more characters (a ``BitmapOr``), a shorter one makes it a
    scan of the table; on SQLite it is a scan. The plate is not compared with text no plate
    can contain (:func:`plate_fragment_possible`). Plates and tags are stored upper-case, so
    the comparisons are plain ``LIKE``, no ``UPPER()``; owner names match as typed, which on
    PostgreSQL is case-sensitive for Latin letters. Then one query for the permits."""
    text = " ".join((query or "").split())[:64]
    number = plate_normalise(text)[:8]
    if not text or (len(number) < 2 and not (number and not number.isascii())):
        return []
    rows = vehicle_list_visible_to(user)
    if plate_problem(number) is None:
        exact = list(rows.filter(plate=number).exclude(plate="")[:1])  # the unique index
        if exact:
            return with_permit_status(exact)
    tag = tag_normalise(text)
    plate_arm = plate_fragment_possible(number)
    order = ("rank", "-is_active", "plate", "id")
    short = min(len(x) for x in (text, tag, number if plate_arm else text) if x) < TRIGRAM_MIN
    if plate_arm and number[0] in PROVINCES and (short or connection.vendor != "postgresql"):
        head = list(_plate_prefix(rows, number).annotate(rank=_rank(number, tag))
                    .order_by(*order)[:limit])
        if len(head) >= limit:
            return with_permit_status(head)
    match = Q(owner_name__contains=text)
    if tag:
        match |= Q(tag_number__contains=tag)
    if plate_arm:
        match |= Q(plate__contains=number)
    found = list(rows.filter(match).annotate(rank=_rank(number, tag)).order_by(*order)[:limit])
    return with_permit_status(found)


def with_permit_status(vehicles: list[Vehicle], *, today: dt.date | None = None) -> list[Vehicle]:
    """Set ``permit_status`` on each of ``vehicles`` (one query for all)."""
    today = today or clock.local_today()
    by_vehicle: dict[int, list[Permit]] = {}
    if vehicles:
        for permit in (Permit.objects.filter(vehicle_id__in=[v.pk for v in vehicles])
                       .exclude(state=Permit.State.REVOKED).order_by("valid_from", "id")):
            by_vehicle.setdefault(permit.vehicle_id, []).append(permit)
    for vehicle in vehicles:
        vehicle.permit_status = permit_status(by_vehicle.get(vehicle.pk, []), today=today)
    return vehicles


def permit_status(permits: list[Permit], *, today: dt.date) -> PermitStatus:
    """The status (see the module's docstring) of a vehicle whose non-revoked permits are
    ``permits``."""
    active = [p for p in permits if p.state == Permit.State.ACTIVE]
    for permit in active:
        if permit.valid_from <= today <= permit.valid_until:
            return PermitStatus("valid", permit)
    for permit in permits:
        if permit.state == Permit.State.SUSPENDED and permit.valid_until >= today:
            return PermitStatus("suspended", permit)
    upcoming = [p for p in active if p.valid_from > today]
    if upcoming:
        return PermitStatus("upcoming", min(upcoming, key=lambda p: p.valid_from))
    if active:
        return PermitStatus("expired", max(active, key=lambda p: p.valid_until))
    return PermitStatus("none", None)


def permit_list_visible_to(user) -> QuerySet[Permit]:
    """Permits of the vehicles ``user`` may see, newest validity first, vehicle joined."""
    vehicles = vehicle_list_visible_to(user)
    return (Permit.objects.filter(vehicle__in=vehicles.values("pk"))
            .select_related("vehicle", "issued_by"))


#: One permit's status today (:func:`permit_standing`): label, Bootstrap badge classes.
PERMIT_STANDINGS = {
    "valid": (pgettext_lazy("permit", "Valid"), "text-bg-success"),
    "upcoming": (pgettext_lazy("permit", "Not yet valid"), "text-bg-info"),
    "expired": (pgettext_lazy("permit", "Expired"), "text-bg-warning"),
    "suspended": (_("Suspended"), "text-bg-danger"),
    "revoked": (_("Revoked"), "text-bg-secondary"),
}


def permit_standing(permit: Permit, *, today: dt.date | None = None) -> str:
    """One permit's status on the local day ``today`` (default: today in Asia/Shanghai):
    ``revoked``, ``expired``, ``upcoming``, ``suspended`` or ``valid`` (see the module's
    docstring). Its label and badge are in :data:`PERMIT_STANDINGS`."""
    today = today or clock.local_today()
    if permit.state == Permit.State.REVOKED:
        return "revoked"
    if permit.valid_until < today:
        return "expired"
    if permit.valid_from > today:
        return "upcoming"
    if permit.state == Permit.State.SUSPENDED:
        return "suspended"
    return "valid"


def with_permit_standing(permits: list[Permit], *, today: dt.date | None = None) -> list[Permit]:
    """Set ``standing`` (code), ``standing_label`` and ``standing_badge`` on each permit."""
    today = today or clock.local_today()
    for permit in permits:
        permit.standing = permit_standing(permit, today=today)
        permit.standing_label, permit.standing_badge = PERMIT_STANDINGS[permit.standing]
    return permits


def vehicle_permits(vehicle: Vehicle, *, today: dt.date | None = None) -> list[Permit]:
    """All permits of ``vehicle`` (revoked too), newest validity first, each with its status
    on the local day ``today`` (:func:`with_permit_standing`)."""
    return with_permit_standing(
        list(vehicle.permits.select_related("issued_by").order_by("-valid_until", "-id")),
        today=today)


def permit_overlaps(permit: Permit, *, today: dt.date | None = None) -> list[Permit]:
    """The vehicle's other permits that are not revoked, not expired on the local day
    ``today`` and share a day with ``permit`` (earliest first). Issuing one that overlaps an
    active permit is allowed (a renewal often starts before the old permit ends); the office
    is told which, so it can revoke a permit the new one replaces."""
    today = today or clock.local_today()
    return list(Permit.objects.filter(vehicle_id=permit.vehicle_id, valid_until__gte=today)
                .exclude(pk=permit.pk).exclude(state=Permit.State.REVOKED)
                .filter(valid_from__lte=permit.valid_until, valid_until__gte=permit.valid_from)
                .order_by("valid_from", "id"))


def vehicle_filter(rows: QuerySet[Vehicle], *, kind: str = "", owner_kind: str = "",
                   active: str = "", q: str = "") -> QuerySet[Vehicle]:
    """The office list's filters: type, owner type, ``active`` (``"yes"``/``"no"``), and
    text (plate fragment in normal form, tag number or owner name)."""
    if kind:
        rows = rows.filter(kind=kind)
    if owner_kind:
        rows = rows.filter(owner_kind=owner_kind)
    if active == "yes":
        rows = rows.filter(is_active=True)
    elif active == "no":
        rows = rows.filter(is_active=False)
    text = " ".join((q or "").split())
    if text:
        number = plate_normalise(text)
        match = Q(tag_number__icontains=text) | Q(owner_name__icontains=text)
        if number:
            match |= Q(plate__contains=number)
        rows = rows.filter(match)
    return rows
