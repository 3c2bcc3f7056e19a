"""Role predicates (django-rules) shared by every app's ``rules.py``.

Each predicate reads :attr:`User.scope`, which is computed once per request from the
user's memberships, so checking many objects on one page costs no extra queries.
"""

import rules

from .models import Role


@rules.predicate
def is_office(user) -> bool:
    """Security office staff or administrator (保卫处)."""
    return user.is_authenticated and user.scope.is_office


@rules.predicate
def is_office_admin(user) -> bool:
    return user.is_authenticated and user.scope.is_office_admin


@rules.predicate
def is_leadership(user) -> bool:
    return user.is_authenticated and user.scope.is_leadership


@rules.predicate
def has_unit_role(user) -> bool:
    """Safety contact or leader of at least one unit."""
    return user.is_authenticated and bool(
        user.scope.roles & {Role.UNIT_SAFETY_CONTACT, Role.UNIT_LEADER}
    )


@rules.predicate
def has_field_role(user) -> bool:
    """Guards, grid officers and police liaisons: people who work the ground."""
    return user.is_authenticated and bool(
        user.scope.roles & {Role.GUARD, Role.GRID_OFFICER, Role.POLICE_LIAISON}
    )


@rules.predicate
def is_signed_in(user) -> bool:
    return user.is_authenticated
