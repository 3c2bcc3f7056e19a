"""Hazard permissions as domain verbs (house rule 6), scoped by unit, zone and campus.

Lists use :func:`safecampus.hazards.selectors.hazard_list_visible_to`, which encodes the
same visibility as ``hazards.view_hazard`` in SQL.
"""

import rules

from safecampus.accounts.models import Role
from safecampus.accounts.predicates import (
    has_field_role,
    has_unit_role,
    is_leadership,
    is_office,
    is_signed_in,
)


@rules.predicate
def acts_for_responsible_unit(user, hazard) -> bool:
    return hazard is not None and user.scope.acts_for_unit(hazard.responsible_unit_id)


@rules.predicate
def covers_hazard_area(user, hazard) -> bool:
    """Grid officers see their zones; guards and others scoped to a campus see that campus
    (a police liaison's campuses do not count: partners see the hazards the police raised)."""
    if hazard is None:
        return False
    scope = user.scope
    return (hazard.zone_id in scope.zone_ids) or (hazard.campus_id in scope.area_campus_ids)


@rules.predicate
def is_reporter(user, hazard) -> bool:
    return hazard is not None and hazard.reporter_id == user.pk


@rules.predicate
def is_police_liaison_for(user, hazard) -> bool:
    """A police liaison sees the hazards the police raised on the campuses their partner
    serves (their liaison memberships), not other partners' on other campuses."""
    return (
        hazard is not None
        and Role.POLICE_LIAISON in user.scope.roles
        and hazard.source == "police"
        and hazard.campus_id in user.scope.campus_ids
    )


@rules.predicate
def acts_for_notice_unit(user, notice) -> bool:
    return notice is not None and user.scope.acts_for_unit(notice.unit_id)


can_view = (
    is_office
    | is_leadership
    | acts_for_responsible_unit
    | covers_hazard_area
    | is_reporter
    | is_police_liaison_for
)

rules.add_perm("hazards.view_hazard", is_signed_in & can_view)
rules.add_perm("hazards.report_hazard", is_signed_in)
rules.add_perm("hazards.view_ledger", is_office | is_leadership | has_unit_role | has_field_role)
rules.add_perm("hazards.export_ledger", is_office | is_leadership | has_unit_role)
rules.add_perm("hazards.import_ledger", is_office)
rules.add_perm("hazards.confirm_hazard", is_office)
rules.add_perm("hazards.edit_hazard", is_office)
rules.add_perm("hazards.issue_notice", is_office)
rules.add_perm("hazards.verify_hazard", is_office)
rules.add_perm("hazards.decide_extension", is_office)
rules.add_perm("hazards.fix_on_spot", is_office)
rules.add_perm("hazards.acknowledge_notice", acts_for_notice_unit)
rules.add_perm("hazards.view_notice", is_office | is_leadership | acts_for_notice_unit)
rules.add_perm("hazards.rectify_hazard", acts_for_responsible_unit)
rules.add_perm("hazards.request_extension", acts_for_responsible_unit)
rules.add_perm("hazards.submit_plan", acts_for_responsible_unit | is_office)
