"""Reads of the set-up pages (the office): routes, checkpoints, schedules, coming shifts and
the people and places the forms offer.

Every function returns a queryset or list with its related rows joined or prefetched, so a
page costs a fixed number of queries whatever the number of rows (pinned in
``tests/test_setup.py``).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce

from safecampus.accounts.models import OFFICE_ROLES, Role, User
from safecampus.core import clock
from safecampus.organisation.models import Place

from ..models import Checkpoint, PatrolRoute, PatrolSchedule, PatrolShift

#: Who may be put on a patrol shift (as guard or shift leader): guards and office staff.
PATROL_ROLES = frozenset({Role.GUARD, *OFFICE_ROLES})
#: How many days of coming shifts the shifts page shows.
SHIFT_DAYS = 7
#: At most this many places are listed for one search on the add-checkpoint page.
PLACE_RESULTS = 30


def _count_of(model, field: str, **filters):
    """A correlated ``count(*)`` of ``model`` rows whose ``field`` is the outer route."""
    rows = (model.objects.filter(**{field: OuterRef("pk")}, **filters).order_by()
            .values(field).annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def route_list_for_office(*, campus_id: int | None = None, active: bool | None = None):
    """Routes with ``campus`` and ``zone`` joined and two counts per row:
    ``checkpoint_count`` (active checkpoints) and ``schedule_count`` (active schedules).

    ``campus_id`` / ``active`` filter when given. Ordered by campus, then code.
    """
    routes = PatrolRoute.objects.select_related("campus", "zone").annotate(
        checkpoint_count=_count_of(Checkpoint, "route", is_active=True),
        schedule_count=_count_of(PatrolSchedule, "route", is_active=True),
    )
    if campus_id:
        routes = routes.filter(campus_id=campus_id)
    if active is not None:
        routes = routes.filter(is_active=active)
    return routes.order_by("campus__sort_order", "campus_id", "code")


def route_get(route_id: int) -> PatrolRoute | None:
    """The route with its campus and zone, or None."""
    return PatrolRoute.objects.select_related("campus", "zone").filter(pk=route_id).first()


def route_checkpoints(route: PatrolRoute) -> list[Checkpoint]:
    """Every checkpoint of ``route`` (active or not) in route order, with place and building."""
    return list(Checkpoint.objects.filter(route=route)
                .select_related("place__building").order_by("sequence"))


def checkpoint_get(checkpoint_id: int) -> Checkpoint | None:
    """The checkpoint with route (and its campus), place and building, or None."""
    return (Checkpoint.objects.select_related("route__campus", "place__building")
            .filter(pk=checkpoint_id).first())


def _people_prefetch() -> Prefetch:
    return Prefetch("guards", queryset=User.objects.order_by("full_name", "username"))


def route_schedules(route: PatrolRoute) -> list[PatrolSchedule]:
    """The schedules of ``route`` (active first, then by start time) with leader and guards."""
    return list(PatrolSchedule.objects.filter(route=route).select_related("leader")
                .prefetch_related(_people_prefetch())
                .order_by("-is_active", "starts_at", "id"))


def schedule_get(schedule_id: int) -> PatrolSchedule | None:
    return (PatrolSchedule.objects.select_related("route__campus", "leader")
            .prefetch_related("guards").filter(pk=schedule_id).first())


def route_shifts_coming(route: PatrolRoute, *, days: int = SHIFT_DAYS,
                        today: dt.date | None = None):
    """Shifts of ``route`` on the local dates ``today`` … ``today + days - 1`` (Asia/Shanghai),
    in start order, with schedule, leader and guards. Only shifts already planned are listed
    (the sweep plans today and tomorrow)."""
    today = today or clock.local_today()
    return (PatrolShift.objects.filter(route=route, shift_date__gte=today,
                                       shift_date__lt=today + dt.timedelta(days=days))
            .select_related("schedule", "leader").prefetch_related(_people_prefetch())
            .order_by("starts_at", "id"))


def route_shifts_next(route: PatrolRoute, *, limit: int = 6) -> list[PatrolShift]:
    """The route's shifts that have not ended yet, soonest first (at most ``limit``), with
    schedule, leader and guards."""
    return list(PatrolShift.objects.filter(route=route, ends_at__gt=clock.now())
                .select_related("schedule", "leader").prefetch_related(_people_prefetch())
                .order_by("starts_at", "id")[:limit])


def shift_get(shift_id: int) -> PatrolShift | None:
    return (PatrolShift.objects.select_related("route__campus", "schedule", "leader")
            .prefetch_related("guards").filter(pk=shift_id).first())


def patrol_people():
    """Active users who may walk or lead a shift (guards, office staff), by name."""
    return (User.objects.filter(is_active=True, memberships__role__in=PATROL_ROLES)
            .distinct().order_by("full_name", "username"))


def place_search(*, campus_id: int, text: str = "", building_id: int | None = None,
                 limit: int = PLACE_RESULTS) -> tuple[list[Place], bool]:
    """Places of campus ``campus_id`` whose name, code or building name contains ``text``
    (case-insensitive), optionally in one building. Returns at most ``limit`` places (by
    building and name, building joined) and whether more matched."""
    places = Place.objects.filter(campus_id=campus_id).select_related("building")
    text = (text or "").strip()
    if text:
        places = places.filter(Q(name__icontains=text) | Q(code__icontains=text)
                               | Q(building__name__icontains=text))
    if building_id:
        places = places.filter(building_id=building_id)
    rows = list(places.order_by("building__name", "name", "id")[: limit + 1])
    return rows[:limit], len(rows) > limit


def campus_position(campus_id: int) -> tuple[float, float] | None:
    """Where a campus is, as (latitude, longitude) WGS-84 degrees: the middle of the
    positions of its checkpoints (one aggregate query); None when none has a position."""
    row = Checkpoint.objects.filter(route__campus_id=campus_id, latitude__isnull=False,
                                    longitude__isnull=False).aggregate(
        lat=Avg("latitude"), lon=Avg("longitude"))
    if row["lat"] is None or row["lon"] is None:
        return None
    return float(row["lat"]), float(row["lon"])
