"""Inspection permissions as domain verbs (house rule 6).

Lists go through :mod:`safecampus.inspections.selectors`, which encode the same visibility
as ``inspections.view_inspection`` in SQL.
"""

import rules

from safecampus.accounts.predicates import (
    has_unit_role,
    is_leadership,
    is_office,
    is_office_admin,
)


@rules.predicate
def is_inspector(user, inspection) -> bool:
    return inspection is not None and inspection.inspector_id == user.pk


@rules.predicate
def acts_for_inspected_unit(user, inspection) -> bool:
    return inspection is not None and user.scope.acts_for_unit(inspection.unit_id)


@rules.predicate
def is_self_inspection(user, inspection) -> bool:
    return inspection is not None and inspection.kind == "self"


@rules.predicate
def results_released(user, inspection) -> bool:
    """The office's results reach the unit only when they go out (after any approval)."""
    return inspection is not None and inspection.state == "finished"


# Checklists: the office writes them; units and leadership read them (a unit runs them as
# self-inspections).
rules.add_perm("inspections.manage_templates", is_office)
rules.add_perm("inspections.view_templates", is_office | is_leadership | has_unit_role)
# Plans and campaigns.
rules.add_perm("inspections.manage_plans", is_office)
rules.add_perm("inspections.view_plans", is_office | is_leadership | has_unit_role)
# Inspections.
rules.add_perm("inspections.start_inspection", is_office)
rules.add_perm("inspections.start_self_inspection", has_unit_role)
rules.add_perm("inspections.view_inspection",
               is_office | is_leadership | is_inspector
               | (acts_for_inspected_unit & (is_self_inspection | results_released)))
rules.add_perm("inspections.record_results", is_inspector)
rules.add_perm("inspections.review_inspection", is_office_admin)
rules.add_perm("inspections.reopen_inspection",
               is_office | (is_self_inspection & acts_for_inspected_unit))
# Cancelling an inspection not carried out: its inspector, or the office that plans them.
rules.add_perm("inspections.cancel_inspection", is_inspector | is_office)
rules.add_perm("inspections.view_statistics", is_office | is_leadership)
