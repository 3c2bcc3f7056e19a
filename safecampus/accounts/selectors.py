"""Reads of people by role: who is told about what."""

from .models import Role, User


def unit_people(unit_id: int | None, *roles: str) -> list[User]:
    """Active users holding one of ``roles`` in unit ``unit_id`` ([] without a unit)."""
    if not unit_id:
        return []
    return list(
        User.objects.filter(
            is_active=True, memberships__unit_id=unit_id, memberships__role__in=roles
        ).distinct()
    )


def office_people(*roles: str) -> list[User]:
    """Active users holding one of ``roles`` (default: office staff), in id order."""
    return list(
        User.objects.filter(is_active=True, memberships__role__in=roles or [Role.OFFICE_STAFF])
        .distinct()
        .order_by("pk")
    )
