"""Reads about people: who holds which role (who is told about what), a user's memberships
and their two-factor authentication devices."""

from base64 import b32encode
from dataclasses import dataclass

from django.conf import settings
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

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


def user_memberships(user: User):
    """``user``'s memberships with their unit, zone and campus (one query when iterated)."""
    return user.memberships.select_related("unit", "zone", "campus")


# --- two-factor authentication -----------------------------------------------------------------
@dataclass(frozen=True)
class TwoFactorState:
    """What a user has: a confirmed authenticator app, an unconfirmed one being set up, and
    how many unused backup codes are left."""

    enabled: bool
    pending: TOTPDevice | None
    backup_codes_left: int

    @property
    def pending_key(self) -> str:
        """The secret of the app being set up, base32 in groups of 4, for typing by hand."""
        if self.pending is None:
            return ""
        key = b32encode(self.pending.bin_key).decode()
        return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def two_factor_state(user: User) -> TwoFactorState:
    """Read the user's two-factor devices (two queries)."""
    devices = list(TOTPDevice.objects.filter(user=user))
    left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return TwoFactorState(
        enabled=any(d.confirmed for d in devices),
        pending=next((d for d in devices if not d.confirmed), None),
        backup_codes_left=left,
    )


def user_has_two_factor(user: User) -> bool:
    """True if ``user`` has a confirmed authenticator app or backup codes (must enter a code)."""
    return (TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            or StaticDevice.objects.filter(user=user, confirmed=True).exists())


def two_factor_setup_due(user: User) -> bool:
    """True if ``settings.OFFICE_2FA_REQUIRED`` makes ``user`` (an office role without two-factor
    authentication) set a device up before signing in anywhere."""
    return (settings.OFFICE_2FA_REQUIRED and user.has_perm("accounts.set_up_two_factor")
            and not user_has_two_factor(user))
