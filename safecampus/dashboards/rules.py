"""Cockpit and wall-display permissions as domain verbs (house rule 6).

``dashboards.view_cockpit``: the security office (staff and administrators) and university
leadership. Without an object it says whether the person has a cockpit at all (the menu);
with a campus (a :class:`~safecampus.organisation.models.Campus` or its id) or
:data:`WHOLE_UNIVERSITY` it says whether they may see that one: a leader whose memberships
name exactly one campus sees that campus only. Unit contacts, guards, grid officers, police
liaisons and students have no cockpit. ``dashboards.manage_displays``: office administrators
create and revoke wall display tokens.
"""

import rules

from safecampus.accounts.predicates import is_leadership, is_office, is_office_admin

#: The object to check ``dashboards.view_cockpit`` with for the whole university's figures.
WHOLE_UNIVERSITY = 0


def cockpit_fixed_campus(user) -> int | None:
    """The one campus a leadership-only user is limited to, or None (no limit): office staff
    and leaders without a campus, or with several, see the whole university."""
    if not getattr(user, "is_authenticated", False):
        return None
    scope = user.scope
    if scope.is_office or not scope.is_leadership or len(scope.area_campus_ids) != 1:
        return None
    return next(iter(scope.area_campus_ids))


@rules.predicate
def campus_in_cockpit_scope(user, campus) -> bool:
    if campus is None:
        return True
    fixed = cockpit_fixed_campus(user)
    if fixed is None:
        return True
    return getattr(campus, "pk", campus) == fixed


rules.add_perm("dashboards.view_cockpit", (is_office | is_leadership) & campus_in_cockpit_scope)
rules.add_perm("dashboards.manage_displays", is_office_admin)
