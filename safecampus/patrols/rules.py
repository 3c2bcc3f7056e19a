"""Patrol, grid and duty-room permissions as domain verbs (house rule 6).

Lists go through :mod:`safecampus.patrols.selectors`, which encode the same visibility in
SQL. Who is who: guards (校卫队/特勤) patrol; the office sets routes up and reads every
report; a shift's leader sees the shift; grid heads (网格长) and grid officers (网格员) are
members of a zone; the duty room is kept by office staff and guards on duty.
"""

import rules

from safecampus.accounts.models import Membership, Role
from safecampus.accounts.predicates import is_leadership, is_office


@rules.predicate
def is_guard(user) -> bool:
    return user.is_authenticated and Role.GUARD in user.scope.roles


@rules.predicate
def is_grid_member(user) -> bool:
    """A grid head or grid officer of at least one zone."""
    return user.is_authenticated and bool(
        user.scope.roles & {Role.GRID_HEAD, Role.GRID_OFFICER} and user.scope.zone_ids
    )


@rules.predicate
def is_police_liaison(user) -> bool:
    return user.is_authenticated and Role.POLICE_LIAISON in user.scope.roles


@rules.predicate
def heads_visit_zone(user, visit) -> bool:
    """The grid head of the visit's grid (one query: the scope holds a user's zones, not
    which role he has in each). Other officers of the grid see their own visits only, as in
    ``selectors.grids.grid_visit_list_visible_to``."""
    if visit is None or visit.zone_id not in user.scope.zone_ids:
        return False
    return Membership.objects.filter(user=user, role=Role.GRID_HEAD,
                                     zone_id=visit.zone_id).exists()


@rules.predicate
def is_visit_officer(user, visit) -> bool:
    return visit is not None and visit.officer_id == user.pk


@rules.predicate
def in_zone(user, zone) -> bool:
    return zone is not None and zone.pk in user.scope.zone_ids


@rules.predicate
def duty_room_incident(user, incident) -> bool:
    """A guard sees the incidents of the duty log and those he recorded (with an object
    only: the full incident list is the office's, leadership's and police's)."""
    if incident is None or not is_guard(user):
        return False
    return incident.source == "duty_log" or incident.recorded_by_id == user.pk


@rules.predicate
def walks_or_leads_round(user, round_) -> bool:
    """The round's guard, a guard on its shift, or the shift leader (needs ``shift`` loaded)."""
    if round_ is None:
        return False
    if user.pk in (round_.guard_id, round_.shift.leader_id):
        return True
    return round_.shift.guards.filter(pk=user.pk).exists()


# Routes, schedules, checkpoint codes (and their printed sheets): the office.
rules.add_perm("patrols.manage_patrols", is_office)
# Patrolling: guards (and office staff, who also walk rounds).
rules.add_perm("patrols.patrol", is_guard | is_office)
# Patrol reports (completion, missed checkpoints): office, leadership; guards see their own
# rounds and the shifts they lead through the selectors.
rules.add_perm("patrols.view_patrol_reports", is_office | is_leadership)
rules.add_perm("patrols.view_round", is_office | is_leadership | walks_or_leads_round)
# Grids.
rules.add_perm("patrols.log_grid_visit", is_grid_member | is_office)
rules.add_perm("patrols.view_grid_visit",
               is_office | is_leadership | is_visit_officer | heads_visit_zone)
rules.add_perm("patrols.view_grid_dashboard", is_office | is_leadership | is_grid_member)
rules.add_perm("patrols.view_grid", is_office | is_leadership | in_zone)
# Who heads and staffs each grid and which buildings it covers: the office.
rules.add_perm("patrols.manage_grids", is_office)
# Grid members' phone numbers: the office and the grid's own members.
rules.add_perm("patrols.view_grid_contacts", is_office | in_zone)
# Duty room.
rules.add_perm("patrols.keep_duty_log", is_office | is_guard)
rules.add_perm("patrols.view_duty_log", is_office | is_guard | is_leadership)
# Incidents.
rules.add_perm("patrols.record_incident", is_office | is_guard)
rules.add_perm("patrols.view_incident",
               is_office | is_leadership | is_police_liaison | duty_room_incident)
rules.add_perm("patrols.import_incidents", is_office)
rules.add_perm("patrols.view_incident_statistics", is_office | is_leadership | is_police_liaison)
