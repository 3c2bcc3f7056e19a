"""Grids (网格), reads: the roster of grids, one grid's page, grid visits and the grid
dashboard. Every figure is aggregated in SQL (one grouped query per figure for a whole page),
so a page costs the same few queries for three grids as for thirty.

Periods and months are local (Asia/Shanghai): a period ``date_from``–``date_to`` runs from
local midnight at the start of ``date_from`` to local midnight after ``date_to``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, DateField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth

from safecampus.accounts.models import Membership, Role
from safecampus.core import clock
from safecampus.hazards.models import OPEN_STATES, Hazard
from safecampus.hazards.selectors import hazard_list_visible_to
from safecampus.organisation.models import Building, Zone

from ..models import GridVisit, Incident

#: A grid officer with no visit for this long is highlighted on the dashboard.
IDLE_AFTER = dt.timedelta(days=14)
GRID_ROLES = (Role.GRID_HEAD, Role.GRID_OFFICER)


def period_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` as aware datetimes for the local dates ``date_from``…``date_to``."""
    return (clock.start_of_local_day(date_from),
            clock.start_of_local_day(date_to + dt.timedelta(days=1)))


def month_start(day: dt.date | None = None) -> dt.date:
    """The first day of the local month of ``day`` (default today)."""
    return (day or clock.local_today()).replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


# --- grids -----------------------------------------------------------------------------------
def zone_list_visible_to(user) -> QuerySet[Zone]:
    """Grids ``user`` may look at: the office and leadership every grid, a grid head or
    officer his own; nobody else any."""
    if not user.is_authenticated:
        return Zone.objects.none()
    if user.scope.sees_everything:
        return Zone.objects.all()
    if not user.has_perm("patrols.view_grid_dashboard"):
        return Zone.objects.none()
    return Zone.objects.filter(pk__in=user.scope.zone_ids)


def grid_detail(user, pk: int) -> Zone | None:
    """The grid ``pk`` with its campus, if ``user`` may see it (``patrols.view_grid``)."""
    zone = Zone.objects.select_related("campus").filter(pk=pk).first()
    if zone is None or not user.has_perm("patrols.view_grid", zone):
        return None
    return zone


def _members_by_zone(zone_ids) -> dict[int, dict[str, list]]:
    """``{zone id: {"heads": [Membership], "officers": [Membership]}}`` (one query)."""
    out: dict[int, dict[str, list]] = {}
    rows = (Membership.objects.filter(zone_id__in=zone_ids, role__in=GRID_ROLES)
            .select_related("user").order_by("user__full_name", "user__username"))
    for m in rows:
        key = "heads" if m.role == Role.GRID_HEAD else "officers"
        out.setdefault(m.zone_id, {"heads": [], "officers": []})[key].append(m)
    return out


def _counts(queryset, key: str) -> dict[int, int]:
    return dict(queryset.values_list(key).annotate(n=Count("id")).order_by())


def grid_roster(user, zones: list[Zone], *, day: dt.date | None = None) -> list[Zone]:
    """Annotate ``zones`` (a page of :func:`zone_list_visible_to`) for the roster.

    Each zone gets ``heads`` and ``officers`` (memberships with users), ``building_list``,
    ``visits_month`` (visits in the local month of ``day``), ``open_hazards`` (open now, of
    those ``user`` may see) and ``incidents_month`` (occurred in that month at a place of
    the grid). Five queries whatever the number of zones.
    """
    ids = [z.pk for z in zones]
    if not ids:
        return zones
    start, end = period_bounds(month_start(day), _next_month(month_start(day)) -
                               dt.timedelta(days=1))
    members = _members_by_zone(ids)
    buildings: dict[int, list] = {}
    for b in Building.objects.filter(zone_id__in=ids).order_by("code"):
        buildings.setdefault(b.zone_id, []).append(b)
    visits = _counts(GridVisit.objects.filter(zone_id__in=ids, visited_at__gte=start,
                                              visited_at__lt=end), "zone_id")
    hazards = _counts(hazard_list_visible_to(user).filter(zone_id__in=ids,
                                                          status__in=OPEN_STATES), "zone_id")
    incidents = _counts(Incident.objects.filter(place__zone_id__in=ids, occurred_at__gte=start,
                                                occurred_at__lt=end), "place__zone_id")
    for zone in zones:
        people = members.get(zone.pk, {"heads": [], "officers": []})
        zone.heads, zone.officers = people["heads"], people["officers"]
        zone.building_list = buildings.get(zone.pk, [])
        zone.visits_month = visits.get(zone.pk, 0)
        zone.open_hazards = hazards.get(zone.pk, 0)
        zone.incidents_month = incidents.get(zone.pk, 0)
    return zones


def grid_members(zone: Zone) -> dict[str, list]:
    """``{"heads": [...], "officers": [...]}``: the grid's memberships with their users."""
    return _members_by_zone([zone.pk]).get(zone.pk, {"heads": [], "officers": []})


def grid_buildings(zone: Zone) -> list[Building]:
    return list(Building.objects.filter(zone=zone).select_related("unit").order_by("code"))


def grid_recent_visits(zone: Zone, *, limit: int = 10) -> list[GridVisit]:
    """The grid's latest visits (whoever may see the grid may see its visits)."""
    return list(GridVisit.objects.filter(zone=zone).select_related("officer", "building")
                .order_by("-visited_at", "-id")[:limit])


def grid_open_hazards(user, zone: Zone, *, limit: int = 10) -> tuple[list[Hazard], int]:
    """Open hazards of the grid that ``user`` may see: the newest ``limit`` and how many."""
    hazards = hazard_list_visible_to(user).filter(zone=zone, status__in=OPEN_STATES)
    return (list(hazards.select_related("category", "building", "place")
                 .order_by("-reported_at", "-id")[:limit]), hazards.count())


def incidents_visible(user) -> bool:
    return user.has_perm("patrols.view_incident")


def grid_incidents(user, zone: Zone, *, limit: int = 10) -> tuple[list[Incident], int]:
    """Incidents at places of the grid: the newest ``limit`` and how many; ``([], 0)`` for
    those who may not see incidents (the grid page then shows the monthly counts only)."""
    if not incidents_visible(user):
        return [], 0
    incidents = Incident.objects.filter(place__zone=zone)
    return (list(incidents.select_related("place__building")
                 .order_by("-occurred_at", "-id")[:limit]), incidents.count())


def grid_monthly(user, zone: Zone, *, months: int = 6,
                 today: dt.date | None = None) -> list[dict]:
    """The last ``months`` local months, oldest first: ``{"month": date (1st), "visits",
    "hazards" (reported, of those ``user`` may see), "incidents"}``. Three grouped queries."""
    last = month_start(today)
    firsts = [last]
    for _ in range(months - 1):
        firsts.insert(0, (firsts[0] - dt.timedelta(days=1)).replace(day=1))
    start, end = period_bounds(firsts[0], _next_month(last) - dt.timedelta(days=1))
    local = clock.local_zone()

    def by_month(queryset, field_name):
        rows = (queryset.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
                .annotate(m=TruncMonth(field_name, output_field=DateField(), tzinfo=local))
                .values("m").annotate(n=Count("id")).order_by())
        return {row["m"]: row["n"] for row in rows}

    visits = by_month(GridVisit.objects.filter(zone=zone), "visited_at")
    hazards = by_month(hazard_list_visible_to(user).filter(zone=zone), "reported_at")
    incidents = by_month(Incident.objects.filter(place__zone=zone), "occurred_at")
    return [{"month": m, "visits": visits.get(m, 0), "hazards": hazards.get(m, 0),
             "incidents": incidents.get(m, 0)} for m in firsts]


# --- visits ----------------------------------------------------------------------------------
def grid_visit_list_visible_to(user) -> QuerySet[GridVisit]:
    """Visits listed for ``user``: the office and leadership every visit; a grid head the
    visits of the grids he heads and his own; a grid officer his own."""
    if not user.is_authenticated:
        return GridVisit.objects.none()
    if user.scope.sees_everything:
        return GridVisit.objects.all()
    headed = Membership.objects.filter(user=user, role=Role.GRID_HEAD).values("zone_id")
    return GridVisit.objects.filter(Q(officer=user) | Q(zone_id__in=Subquery(headed)))


def grid_visit_detail(user, pk: int) -> GridVisit | None:
    visit = (GridVisit.objects.select_related("zone__campus", "building", "officer")
             .filter(pk=pk).first())
    if visit is None or not visit.is_visible_to(user):
        return None
    return visit


def grid_visit_hazards(user, visit: GridVisit) -> list[Hazard]:
    """Hazards reported from ``visit`` that ``user`` may see, in the order reported."""
    kind = ContentType.objects.get_for_model(GridVisit)
    return list(hazard_list_visible_to(user).filter(source_type=kind, source_id=visit.pk)
                .select_related("category").order_by("reported_at", "id"))


# --- dashboard -------------------------------------------------------------------------------
@dataclass
class GridDashboard:
    """Figures per grid for a period. ``rows``: one dict per grid (``zone``, ``visits``,
    ``follow_ups``, ``people_met``, ``hazards`` reported, ``incidents`` occurred);
    ``officers``: grid officers with ``last_visit`` (any time) and ``idle`` (none in the
    last 14 days), idle first."""

    date_from: dt.date
    date_to: dt.date
    rows: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    officers: list = field(default_factory=list)


def grid_dashboard(user, *, date_from: dt.date, date_to: dt.date,
                   campus_id: int | None = None) -> GridDashboard:
    """The grid dashboard for the grids ``user`` may see (optionally one campus): five
    queries whatever the number of grids."""
    start, end = period_bounds(date_from, date_to)
    zones = zone_list_visible_to(user).select_related("campus").order_by("campus__sort_order",
                                                                        "campus_id", "code")
    if campus_id:
        zones = zones.filter(campus_id=campus_id)
    zones = list(zones)
    ids = [z.pk for z in zones]
    visits = {row["zone_id"]: row for row in GridVisit.objects.filter(
        zone_id__in=ids, visited_at__gte=start, visited_at__lt=end).values("zone_id").annotate(
        n=Count("id"), follow=Count("id", filter=Q(needs_follow_up=True)),
        people=Sum("people_met")).order_by()}
    hazards = _counts(hazard_list_visible_to(user).filter(
        zone_id__in=ids, reported_at__gte=start, reported_at__lt=end), "zone_id")
    incidents = _counts(Incident.objects.filter(
        place__zone_id__in=ids, occurred_at__gte=start, occurred_at__lt=end), "place__zone_id")
    board = GridDashboard(date_from=date_from, date_to=date_to)
    for zone in zones:
        v = visits.get(zone.pk, {})
        board.rows.append({"zone": zone, "visits": v.get("n", 0),
                           "follow_ups": v.get("follow", 0),
                           "people_met": v.get("people") or 0,
                           "hazards": hazards.get(zone.pk, 0),
                           "incidents": incidents.get(zone.pk, 0)})
    board.totals = {key: sum(r[key] for r in board.rows)
                    for key in ("visits", "follow_ups", "people_met", "hazards", "incidents")}
    last_visit = (GridVisit.objects.filter(officer_id=OuterRef("user_id"),
                                           zone_id=OuterRef("zone_id"))
                  .order_by("-visited_at").values("visited_at")[:1])
    officers = (Membership.objects.filter(zone_id__in=ids, role=Role.GRID_OFFICER)
                .select_related("user", "zone").annotate(last_visit=Subquery(last_visit)))
    idle_before = clock.now() - IDLE_AFTER
    for m in officers:
        m.idle = m.last_visit is None or m.last_visit < idle_before
        board.officers.append(m)
    board.officers.sort(key=lambda m: (not m.idle, m.last_visit or dt.datetime.min.replace(
        tzinfo=dt.UTC), m.zone.code, m.user.username))
    return board
