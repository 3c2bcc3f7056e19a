"""Vehicles and permits, reads: who sees which vehicle, the plate lookup of the gate, and a
vehicle's permit status today (local date).

Permit status (:func:`permit_status`), for the local day ``today``:

- ``valid``: an active permit covers today;
- ``suspended``: none is valid, and a suspended one (repeat offender) would cover today or
  later;
- ``upcoming``: an active permit starts later;
- ``expired``: the vehicle had permits, the last active one ended before today;
- ``none``: no permit, or only revoked ones.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from safecampus.core import clock

from ..models import Permit, Vehicle
from ..plates import plate_normalise, plate_problem

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


def vehicle_lookup(user, query: str, *, limit: int = LOOKUP_LIMIT) -> list[Vehicle]:
    """Vehicles matching ``query`` as typed at the gate, at most ``limit``, best first: the
    exact plate in normal form, then plates containing the normalised fragment (``"12345"``,
    ``"a123"``; starting with it first), then campus tag numbers and owner names containing
    the text. Active vehicles before deactivated ones within a rank. Each row carries
    ``permit_status`` (:class:`PermitStatus`). Empty for an empty query or one of a single
    character that is not a province (it would match nearly everything).

    Cost: a complete valid plate that is registered is one index lookup; anything else one
    scan of the vehicles table (plates and tags are stored upper-case, so the comparisons are
    plain ``LIKE``, no ``UPPER()``; owner names match as typed, which on PostgreSQL is
    case-sensitive for Latin letters). Then one query for the permits."""
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
    match = Q(owner_name__contains=text)
    if tag:
        match |= Q(tag_number__contains=tag)
    if number:
        match |= Q(plate__contains=number)
    found = list(rows.filter(match).annotate(rank=_rank(number, tag))
                 .order_by("rank", "-is_active", "plate", "id")[:limit])
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


def vehicle_permits(vehicle: Vehicle) -> list[Permit]:
    """All permits of ``vehicle`` (revoked too), newest validity first."""
    return list(vehicle.permits.select_related("issued_by").order_by("-valid_until", "-id"))


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
