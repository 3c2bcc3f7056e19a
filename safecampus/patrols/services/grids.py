"""Grids (网格), writes: who heads and staffs each grid, which buildings it covers, and the
grid officers' visits (网格走访) with the hazards found on them.

These services are the only writers of grid memberships (``accounts.Membership`` rows with
role ``grid_head`` / ``grid_officer`` and a zone) and of ``Building.zone``. Every change
writes an activity entry (on the zone for memberships, on the building for its grid, on the
visit for a visit and its hazards).

Errors: :class:`~safecampus.core.errors.DomainError` (bad input, 400, with ``field_errors``),
:class:`~safecampus.core.errors.NotAllowed` (403). Times are aware datetimes (UTC stored,
Asia/Shanghai shown).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from safecampus.accounts.models import Membership, Role, User
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.idempotency import idempotency_lookup, idempotency_remember
from safecampus.hazards.models import Hazard, Source
from safecampus.hazards.services import hazard_report
from safecampus.organisation.models import Building, Place, Zone

from ..models import GridVisit

GRID_ROLES = (Role.GRID_HEAD, Role.GRID_OFFICER)
COMMUNITY_MAX = 120
FINDINGS_MAX = 4000
PEOPLE_MAX = 1000
#: A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=2)
#: Visits are logged within this long of the visit (older ones go to the office).
BACKDATE_MAX = dt.timedelta(days=30)
#: Hazards found on a grid visit are patrol findings (巡查, ``Source.PATROL``): a grid
#: officer walking his grid finds them as a guard on a round does, not the office's own
#: staff at their desks (保卫处发现) nor the public (师生报告), so the ledger's "by source"
#: figures show what grid work finds. The hazard loop has no source of its own for grids.
VISIT_HAZARD_SOURCE = Source.PATROL


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(message, field_errors={field: [message]})


def _zone(zone_id) -> Zone:
    zone = (Zone.objects.select_related("campus").filter(pk=zone_id).first()
            if str(zone_id or "").isdigit() else None)
    if zone is None:
        raise _invalid("zone", _("Choose a grid from the list."))
    return zone


def _user_name(user) -> str:
    return user.full_name or user.username


# --- memberships ---------------------------------------------------------------------------
def grid_member_assign(*, actor, zone_id: int, user_id: int, role: str) -> Membership:
    """Make ``user_id`` a grid head or grid officer (``role``) of ``zone_id``.

    Returns the membership (the existing one when the user already holds that role there:
    assigning twice changes nothing and records nothing). Needs ``patrols.manage_grids``.
    Raises DomainError for an unknown grid, user or role, or an inactive user.
    """
    if not actor.has_perm("patrols.manage_grids"):
        raise NotAllowed()
    if role not in GRID_ROLES:
        raise _invalid("role", _("Choose grid head or grid officer."))
    zone = _zone(zone_id)
    user = (User.objects.filter(pk=user_id).first() if str(user_id or "").isdigit() else None)
    if user is None:
        raise _invalid("user", _("No such user."))
    if not user.is_active:
        raise _invalid("user", _("%(name)s's account is disabled.") % {"name": _user_name(user)})
    with transaction.atomic():
        # Lock the zone so two office staff adding the same person make one membership.
        Zone.objects.select_for_update().filter(pk=zone.pk).first()
        existing = Membership.objects.filter(user=user, role=role, zone=zone).first()
        if existing is not None:
            return existing
        membership = Membership.objects.create(user=user, role=role, zone=zone)
        activity_record(target=zone, actor=actor, verb="patrols.grid_member_assign",
                        data={"user": user.pk, "name": _user_name(user), "role": role})
    return membership


def grid_member_remove(*, actor, membership_id: int) -> None:
    """End a grid membership (a grid head or officer leaves the grid).

    Needs ``patrols.manage_grids``. Raises DomainError when the membership is not a grid
    role (other memberships are not managed here) or does not exist.
    """
    if not actor.has_perm("patrols.manage_grids"):
        raise NotAllowed()
    with transaction.atomic():
        membership = (Membership.objects.select_for_update().select_related("user", "zone")
                      .filter(pk=membership_id, role__in=GRID_ROLES, zone__isnull=False).first()
                      if str(membership_id or "").isdigit() else None)
        if membership is None:
            raise DomainError(_("This person is no longer on the grid."), code="gone")
        zone, user, role = membership.zone, membership.user, membership.role
        membership.delete()
        activity_record(target=zone, actor=actor, verb="patrols.grid_member_remove",
                        data={"user": user.pk, "name": _user_name(user), "role": role})


def grid_building_assign(*, actor, building_id: int, zone_id: int | None) -> Building:
    """Map a building to grid ``zone_id`` (None: to no grid).

    The building's places that followed its old grid (same zone, or none) follow it to the
    new one, so hazards and incidents at those places land in the grid the building is in.
    Places mapped to a grid of their own stay where they are. Needs ``patrols.manage_grids``.
    Raises DomainError for an unknown building or grid, or a grid of another campus.
    """
    if not actor.has_perm("patrols.manage_grids"):
        raise NotAllowed()
    zone = _zone(zone_id) if zone_id not in (None, "") else None
    with transaction.atomic():
        building = (Building.objects.select_for_update().filter(pk=building_id).first()
                    if str(building_id or "").isdigit() else None)
        if building is None:
            raise _invalid("building", _("Choose a building from the list."))
        if zone is not None and zone.campus_id != building.campus_id:
            raise _invalid("building", _("%(building)s is not on the campus of %(grid)s.")
                           % {"building": building.name, "grid": zone.name})
        old_zone_id = building.zone_id
        new_zone_id = zone.pk if zone else None
        if old_zone_id == new_zone_id:
            return building
        building.zone_id = new_zone_id
        building.save(update_fields=["zone", "updated_at"])
        followed = Q(zone__isnull=True) | Q(zone_id=old_zone_id) if old_zone_id else Q(
            zone__isnull=True)
        moved = Place.objects.filter(followed, building=building).update(zone_id=new_zone_id)
        activity_record(target=building, actor=actor, verb="patrols.grid_building_assign",
                        from_state=str(old_zone_id or ""), to_state=str(new_zone_id or ""),
                        data={"places": moved})
    return building


# --- visits --------------------------------------------------------------------------------
def visit_zones_for(user):
    """Grids ``user`` may log visits in: the office every grid, a grid member his own."""
    if user.scope.is_office:
        return Zone.objects.all()
    if not user.has_perm("patrols.log_grid_visit"):
        return Zone.objects.none()
    return Zone.objects.filter(pk__in=user.scope.zone_ids)


def grid_visit_log(
    *,
    actor,
    zone_id: int,
    building_id: int | None = None,
    kind: str = GridVisit.Kind.ROUTINE,
    visited_at: dt.datetime | None = None,
    community: str = "",
    people_met: int = 0,
    findings: str = "",
    needs_follow_up: bool = False,
    idempotency_key: str | None = None,
) -> GridVisit:
    """Record a grid officer's visit to his grid (网格走访); ``actor`` is the officer.

    ``visited_at``: aware time of the visit, default now; not in the future and not more
    than 30 days back. ``building_id``: a building of that grid (optional). With the same
    ``idempotency_key`` a second call returns the first visit. Needs
    ``patrols.log_grid_visit`` and, outside the office, membership of the grid. Raises
    DomainError (with field errors) for bad input, NotAllowed for another grid.
    """
    if not actor.has_perm("patrols.log_grid_visit"):
        raise NotAllowed()
    existing = idempotency_lookup(scope="patrols.grid_visit", key=idempotency_key,
                                  model=GridVisit, user=actor)
    if existing is not None:
        return existing
    zone = _zone(zone_id)
    if not visit_zones_for(actor).filter(pk=zone.pk).exists():
        raise NotAllowed(_("You can only log visits in your own grid."))
    now = clock.now()
    visited_at = visited_at or now
    errors: dict[str, list[str]] = {}
    building = None
    if building_id not in (None, ""):
        building = (Building.objects.filter(pk=building_id).first()
                    if str(building_id).isdigit() else None)
        if building is None or building.zone_id != zone.pk:
            errors["building"] = [_("Choose a building of this grid.")]
    if kind not in GridVisit.Kind.values:
        errors["kind"] = [_("Choose what kind of visit it was.")]
    if visited_at > now + CLOCK_SKEW:
        errors["visited_at"] = [_("The time of the visit cannot be in the future.")]
    elif visited_at < now - BACKDATE_MAX:
        errors["visited_at"] = [_("Visits are logged within 30 days; ask the office to record "
                                  "older ones.")]
    community = (community or "").strip()
    if len(community) > COMMUNITY_MAX:
        errors["community"] = [_("At most %(limit)s characters.") % {"limit": COMMUNITY_MAX}]
    findings = (findings or "").strip()
    if len(findings) > FINDINGS_MAX:
        errors["findings"] = [_("At most %(limit)s characters.") % {"limit": FINDINGS_MAX}]
    try:
        people_met = int(people_met or 0)
    except (TypeError, ValueError):
        people_met = -1
    if not 0 <= people_met <= PEOPLE_MAX:
        errors["people_met"] = [_("Give a number from 0 to %(limit)s.") % {"limit": PEOPLE_MAX}]
    if needs_follow_up and not findings:
        errors["findings"] = [_("Say what needs following up.")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], field_errors=errors)
    with transaction.atomic():
        visit = GridVisit.objects.create(
            zone=zone, building=building, officer=actor, kind=kind,
            visited_at=min(visited_at, now), community=community, people_met=people_met,
            findings=findings, needs_follow_up=bool(needs_follow_up),
        )
        activity_record(target=visit, actor=actor, verb="patrols.grid_visit_log",
                        data={"zone": zone.pk, "follow_up": visit.needs_follow_up})
        if not idempotency_remember(scope="patrols.grid_visit", key=idempotency_key, user=actor,
                                    result=visit):
            winner = idempotency_lookup(scope="patrols.grid_visit", key=idempotency_key,
                                        model=GridVisit, user=actor)
            transaction.set_rollback(True)
            return winner
    return visit


def can_report_from_visit(user, visit: GridVisit) -> bool:
    """The visit's officer, a member of its grid who may log visits, or the office."""
    if not user.has_perm("patrols.log_grid_visit"):
        return False
    return (user.scope.is_office or visit.officer_id == user.pk
            or visit.zone_id in user.scope.zone_ids)


def grid_visit_hazard_report(
    *,
    actor,
    visit_id: int,
    title: str,
    category_id: int,
    building_id: int | None = None,
    place_id: int | None = None,
    description: str = "",
    location_text: str = "",
    photos: Sequence = (),
    idempotency_key: str | None = None,
) -> Hazard:
    """Report a hazard found on grid visit ``visit_id``, through the hazard loop.

    The hazard's source is :data:`VISIT_HAZARD_SOURCE` and its source record the visit, so
    the hazard page links back to the visit for those who may see it. Where: a place or
    building of the visit's grid (default: the visit's building), so the hazard lands in the
    grid. Raises DomainError (bad input, a place outside the grid; the hazard service's own
    messages for title, category and photos), NotAllowed when ``actor`` may not report from
    this visit.
    """
    visit = (GridVisit.objects.select_related("zone").filter(pk=visit_id).first()
             if str(visit_id or "").isdigit() else None)
    if visit is None or not visit.is_visible_to(actor):
        raise DomainError(_("Grid visit not found."), code="not_found")
    if not can_report_from_visit(actor, visit):
        raise NotAllowed()
    place = None
    if place_id not in (None, ""):
        place = (Place.objects.filter(pk=place_id).first() if str(place_id).isdigit() else None)
        if place is None or place.zone_id != visit.zone_id:
            raise _invalid("place", _("Choose a place of this grid."))
    if building_id in (None, "") and place is None:
        building_id = visit.building_id
    if building_id not in (None, ""):
        building = (Building.objects.filter(pk=building_id).first()
                    if str(building_id).isdigit() else None)
        if building is None or building.zone_id != visit.zone_id:
            raise _invalid("building", _("Choose a building of this grid."))
    elif place is None:
        raise _invalid("building", _("Say in which building or place of the grid it is."))
    if place is not None and place.building_id:
        building_id = place.building_id
    replayed = idempotency_lookup(scope="hazards.report", key=idempotency_key, model=Hazard,
                                  user=actor)
    if replayed is not None:
        return replayed
    with transaction.atomic():
        hazard = hazard_report(
            reporter=actor, title=title, category_id=category_id,
            campus_id=visit.zone.campus_id, building_id=building_id or None,
            place_id=place.pk if place else None, description=description,
            location_text=location_text or visit.community, photos=photos,
            source=VISIT_HAZARD_SOURCE, source_record=visit, idempotency_key=idempotency_key,
        )
        activity_record(target=visit, actor=actor, verb="patrols.grid_visit_hazard",
                        data={"hazard": hazard.pk})
    return hazard
