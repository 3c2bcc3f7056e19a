"""Writes about accounts: people arriving through single sign-on (CAS), the CAS sessions
kept for single logout, API tokens and two-factor devices (TOTP + one-time backup codes,
django-otp).

Every change of a person's account writes an :class:`~safecampus.core.models.ActivityEntry`
on the user's timeline: ``accounts.create`` (from CAS), ``accounts.two_factor_enable``,
``accounts.two_factor_backup_codes_renew`` and ``accounts.two_factor_disable``.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_cas_ng.models import SESSION_KEY_MAXLENGTH, ProxyGrantingTicket, SessionTicket
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from safecampus.core.activity import activity_record
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.spreadsheets import normalise_text

from .models import Membership, Role, User
from .selectors import two_factor_setup_due, user_has_two_factor

#: Roles a new CAS account may be given through ``SAFECAMPUS_CAS["ROLE_MAP"]``: roles that
#: need no unit, zone or campus. Anything else (or an unknown name) falls back to the default.
CAS_ASSIGNABLE_ROLES = frozenset({Role.COMMUNITY_MEMBER, Role.OFFICE_STAFF, Role.LEADERSHIP})
BACKUP_CODE_COUNT = 10


# --- single sign-on ----------------------------------------------------------------------------
def _first(attributes: Mapping, names) -> str:
    """The first non-empty value among attribute ``names`` (a list value gives its first item)."""
    for name in names:
        value = attributes.get(name)
        if isinstance(value, list | tuple):
            value = next((v for v in value if v), None)
        if value:
            return str(value).strip()
    return ""


def _values(attributes: Mapping, name: str) -> list[str]:
    value = attributes.get(name) if name else None
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v]


def _role_for_new_account(attributes: Mapping) -> str:
    conf = settings.SAFECAMPUS_CAS
    mapping = conf.get("ROLE_MAP") or {}
    for value in _values(attributes, conf.get("ROLE_ATTRIBUTE", "")):
        role = mapping.get(value)
        if role in CAS_ASSIGNABLE_ROLES:
            return role
    return Role.COMMUNITY_MEMBER


def _name_taken(name: str) -> DomainError:
    return DomainError(
        _("The account name %(name)s is already used by another account. Please contact "
          "the security office.") % {"name": name}, code="cas_name_taken")


def _not_linked() -> DomainError:
    return DomainError(
        _("This account cannot be signed in through unified identity authentication. Sign in "
          "with its password, or ask the security office to link it."), code="cas_not_linked")


def _may_map(user: User, *, by_number: bool) -> bool:
    """Whether a CAS person may be signed in as the existing ``user`` without an explicit link:
    never an administrator (superuser / admin site staff); by user name never an account
    with its own password either (a local account that merely shares the name). Numbers are
    issued by the university, so an office member with a password is found by number."""
    if user.cas_linked:
        return True
    if user.is_superuser or user.is_staff:
        return False
    return by_number or not user.has_usable_password()


def cas_user_resolve(*, cas_id: str, attributes: Mapping | None = None) -> User:
    """The SafeCampus user for a person the CAS server vouched for, created on first sign-in.

    ``cas_id`` is the CAS user name (or the configured id attribute); ``attributes`` the
    released CAS attributes (values are strings or lists of strings). The id is normalised as
    the roster import normalises numbers (:func:`~safecampus.core.spreadsheets.normalise_text`:
    full-width folded, spaces collapsed). Matching follows
    ``settings.SAFECAMPUS_CAS["MATCH_FIELD"]``: ``employee_number`` (学工号, case-insensitive)
    or ``username`` (exactly).

    A matched account is used only if :func:`_may_map` allows it (administrators and, by user
    name, accounts with their own password need ``cas_linked``). An unknown person gets an
    active account with role community_member (师生), or the role that ``ROLE_MAP`` gives
    their ``ROLE_ATTRIBUTE`` value, an unusable local password, and the name / e-mail /
    number from the attributes; an ``accounts.create`` ActivityEntry records it. A known
    person keeps every role they hold (CAS never changes roles); only a blank name or e-mail
    is filled in.

    Raises :class:`DomainError` (translated message) when the id is empty, the account is
    disabled or may not be mapped, several accounts share the number, or the new user name is
    taken by another account.
    """
    cas_id = normalise_text(cas_id or "")
    if not cas_id or len(cas_id) > 150:
        raise DomainError(_("The identity service did not say who you are."), code="cas_no_id")
    attributes = attributes or {}
    conf = settings.SAFECAMPUS_CAS
    by_number = conf.get("MATCH_FIELD", "employee_number") != "username"
    if by_number:
        matches = list(User.objects.filter(employee_number__iexact=cas_id)[:2])
    else:
        matches = list(User.objects.filter(username=cas_id)[:2])
    if len(matches) > 1:
        raise DomainError(
            _("Several accounts carry the number %(number)s. Please ask the security office "
              "to merge them.") % {"number": cas_id}, code="cas_ambiguous")
    if matches:
        user = matches[0]
        if not _may_map(user, by_number=by_number):
            raise _not_linked() if by_number else _name_taken(cas_id)
        return _existing(user, attributes)
    return _create(cas_id, attributes, by_number=by_number)


def _existing(user: User, attributes: Mapping) -> User:
    if not user.is_active:
        raise DomainError(
            _("Your SafeCampus account is disabled. Please contact the security office."),
            code="inactive")
    conf = settings.SAFECAMPUS_CAS
    changed = []
    name = _first(attributes, conf["NAME_ATTRIBUTES"])[:64]
    if name and not user.full_name:
        user.full_name = name
        changed.append("full_name")
    email = _first(attributes, conf["EMAIL_ATTRIBUTES"])
    if email and "@" in email and len(email) <= 254 and not user.email:
        user.email = email
        changed.append("email")
    if changed:
        user.save(update_fields=changed)
    return user


def _create(cas_id: str, attributes: Mapping, *, by_number: bool) -> User:
    conf = settings.SAFECAMPUS_CAS
    email = _first(attributes, conf["EMAIL_ATTRIBUTES"])
    number = cas_id if by_number else normalise_text(
        _first(attributes, conf["NUMBER_ATTRIBUTES"]))[:32]
    role = _role_for_new_account(attributes)
    if User.objects.filter(username__iexact=cas_id).exists():
        # A local account (e.g. "admin") owns this name but not this number: never merge.
        raise _name_taken(cas_id)
    user = User(
        username=cas_id,
        full_name=_first(attributes, conf["NAME_ATTRIBUTES"])[:64],
        email=email if ("@" in email and len(email) <= 254) else "",
        employee_number=number,
        is_active=True,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
            Membership.objects.create(user=user, role=role)
            activity_record(target=user, actor=user, verb="accounts.create", to_state="created",
                            data={"source": "cas", "role": str(role)})
    except IntegrityError:
        # Someone else took the name meanwhile: the same person's first sign-in in another tab
        # (same number, created by CAS) is used; anyone else's account never is.
        existing = User.objects.filter(username=cas_id).first()
        if (existing is None or existing.employee_number.casefold() != number.casefold()
                or not _may_map(existing, by_number=by_number)):
            raise _name_taken(cas_id) from None
        return _existing(existing, attributes)
    return user


def cas_session_remember(*, session_key: str, ticket: str) -> None:
    """Remember which CAS service ticket started session ``session_key`` (for the CAS
    server's single logout, django-cas-ng's ``SessionTicket``)."""
    SessionTicket.objects.update_or_create(session_key=session_key[:SESSION_KEY_MAXLENGTH],
                                           defaults={"ticket": ticket})


def cas_session_forget(*, session_key: str | None) -> None:
    """Drop what django-cas-ng keeps about session ``session_key`` (at sign-out)."""
    if session_key:
        key = session_key[:SESSION_KEY_MAXLENGTH]
        ProxyGrantingTicket.objects.filter(session_key=key).delete()
        SessionTicket.objects.filter(session_key=key).delete()


def cas_single_logout(*, logout_request: str) -> int:
    """End the SafeCampus sessions a CAS server's single-logout request names (SAML
    ``<samlp:LogoutRequest>`` with ``<samlp:SessionIndex>`` = service tickets). Returns how
    many sessions ended. Raises :class:`DomainError` when the request cannot be read.
    Only called when ``SAFECAMPUS_CAS["SINGLE_LOGOUT"]`` is on: the request is not signed, so
    anyone who knows a ticket could end that session."""
    from importlib import import_module

    from cas import SingleLogoutMixin

    indexes = SingleLogoutMixin.get_saml_slos(logout_request or "")
    if indexes is None:
        raise DomainError(_("The single logout request could not be read."), code="invalid")
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for index in indexes:
        ticket = (index.text or "").strip()
        for key in SessionTicket.objects.filter(ticket=ticket).values_list("session_key",
                                                                               flat=True):
            store(session_key=key).delete()
            cas_session_forget(session_key=key)
            ended += 1
    return ended


# --- API tokens --------------------------------------------------------------------------------
def api_token_issue(*, user: User, otp: str = "") -> str:
    """The API token key of ``user`` (created once, as DRF's token endpoint does), after the
    password has been checked. A user with two-factor authentication on must also send a
    current ``otp`` code (app or backup code, checked by :func:`two_factor_check`); a user
    who must still set it up (``OFFICE_2FA_REQUIRED``) gets no token.

    Raises :class:`NotAllowed` with code ``two_factor_required`` (no code sent, or a set-up
    due) and :class:`DomainError` (``wrong_code``, ``throttled``) for a wrong code, with the
    message under ``otp`` in ``field_errors``.
    """
    if user_has_two_factor(user):
        if not (otp or "").strip():
            raise NotAllowed(_("Two-factor authentication is on for this account: send the "
                               "current code as otp too."), code="two_factor_required")
        try:
            two_factor_check(user=user, token=otp)
        except DomainError as error:
            raise DomainError(error.message, code=error.code,
                              field_errors={"otp": [error.message]}) from None
    elif two_factor_setup_due(user):
        raise NotAllowed(_("Office accounts must use two-factor authentication. Set it up to "
                           "continue."), code="two_factor_required")
    token, _created = Token.objects.get_or_create(user=user)
    return token.key


# --- two-factor authentication -----------------------------------------------------------------
def two_factor_start(*, user: User) -> TOTPDevice:
    """Begin setting up an authenticator app: a new unconfirmed TOTP device (30 s, 6 digits)
    replacing any earlier unconfirmed one. Raises :class:`NotAllowed` unless the user may use
    two-factor sign-in (office roles), :class:`Conflict` when it is already on."""
    if not user.has_perm("accounts.set_up_two_factor"):
        raise NotAllowed()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise Conflict(_("Two-factor authentication is already on."))
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


#: An authenticator app code, and a backup code (django-otp's: 8 base32 characters, lowercase).
TOTP_CODE_RE = re.compile(r"[0-9]{6}")
BACKUP_CODE_RE = re.compile(r"[a-z2-7]{8}")


def two_factor_code_normalise(token: str) -> str:
    """``token`` as typed → the code to check: full-width characters made ASCII (NFKC), spaces
    and hyphens removed, lowercase. Says nothing about whether it is well-formed."""
    text = unicodedata.normalize("NFKC", token or "")
    return "".join(ch for ch in text if not ch.isspace() and ch != "-").lower()


def two_factor_code_well_formed(code: str, *, backup: bool = True) -> bool:
    """Whether the normalised ``code`` can be a code at all: 6 digits, or (``backup``) a
    backup code. Checked before django-otp, so a typo never counts as a wrong code."""
    return bool(TOTP_CODE_RE.fullmatch(code) or (backup and BACKUP_CODE_RE.fullmatch(code)))


def _clean_code(token: str) -> str:
    return two_factor_code_normalise(token)


def _malformed(*, backup: bool = True) -> DomainError:
    return DomainError(
        _("Enter the 6 digits, or one of your backup codes.") if backup
        else _("Enter the 6 digits the app shows."), code="malformed_code")


def _too_many(devices) -> DomainError | None:
    """A translated error when django-otp's throttling blocks every device now."""
    waits = []
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if allowed:
            return None
        until = (data or {}).get("locked_until")
        waits.append(max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1)
    if not waits:
        return None
    seconds = min(waits)
    return DomainError(
        ngettext("Several wrong codes were entered: please try again in %(seconds)s second.",
                 "Several wrong codes were entered: please try again in %(seconds)s seconds.",
                 seconds) % {"seconds": seconds}, code="throttled")


@dataclass(frozen=True)
class TwoFactorEnabled:
    """Two-factor sign-in was turned on: the confirmed app, the 10 backup codes (to show this
    once) and the user's new session generation (the session that confirmed keeps it; every
    other session of the user ends)."""

    device: TOTPDevice
    backup_codes: list[str]
    session_generation: int


def two_factor_confirm(*, user: User, token: str) -> TwoFactorEnabled:
    """Confirm the device being set up with a current ``token`` from the app; turns
    two-factor sign-in on, creates 10 new one-time backup codes (stored only in the database
    for checking), ends the user's other sessions (raises ``User.session_generation``) and
    deletes the user's API tokens (they were issued without a code).

    Raises :class:`DomainError` for a wrong, reused or throttled code or when nothing is
    being set up. The device row is locked while the code is checked, so two confirmations
    at once cannot both pass. A ``token`` that is not 6 digits is refused
    (``malformed_code``) before it is checked, so it does not count as a wrong code."""
    code = _clean_code(token)
    if not two_factor_code_well_formed(code, backup=False):
        raise _malformed(backup=False)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            raise DomainError(_("Start the set-up again: no authenticator app is waiting for "
                                "confirmation."), code="no_pending")
        error = _too_many([device])
        if error:
            raise error
        # A wrong code is recorded by django-otp (throttling) and committed: raised below.
        accepted = device.verify_token(code)
        if accepted:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_backup_codes(user)
            User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
            generation = User.objects.values_list("session_generation", flat=True).get(pk=user.pk)
            Token.objects.filter(user=user).delete()
            activity_record(target=user, actor=user, verb="accounts.two_factor_enable",
                            to_state="on")
    if not accepted:
        raise DomainError(_("The code is not correct. Enter the 6 digits the app shows now."),
                          code="wrong_code")
    user.session_generation = generation
    return TwoFactorEnabled(device=device, backup_codes=codes, session_generation=generation)


def _new_backup_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name="backup codes", confirmed=True)
    codes = set()
    while len(codes) < BACKUP_CODE_COUNT:
        codes.add(StaticToken.random_token())
    codes = sorted(codes)
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=c) for c in codes])
    return codes


def two_factor_check(*, user: User, token: str):
    """Check a sign-in ``token``: a current app code (each accepted once) or an unused backup
    code (deleted when used). Returns the django-otp device that accepted it. Raises
    :class:`DomainError` for a wrong or already used code, or while throttled (each wrong
    code doubles the wait, django-otp).

    The user's devices are locked (``select_for_update``) while the code is checked, so the
    same code sent twice at once is accepted once and every wrong code counts. A ``token``
    that cannot be a code (not 6 digits, not a backup code) is refused first
    (``malformed_code``) and does not count."""
    code = _clean_code(token)
    if not two_factor_code_well_formed(code):
        raise _malformed()
    with transaction.atomic():
        devices = list(TOTPDevice.objects.select_for_update().filter(
            user=user, confirmed=True).order_by("pk")) + list(
            StaticDevice.objects.select_for_update().filter(
                user=user, confirmed=True).order_by("pk"))
        if not devices:
            raise DomainError(_("Two-factor authentication is not on for this account."),
                              code="no_device")
        error = _too_many(devices)
        if error:
            raise error
        accepted = None
        for device in devices:
            allowed, _data = device.verify_is_allowed()
            if allowed and device.verify_token(code):
                accepted = device
                break
    # Raised after the commit: the wrong code's throttling count must stay.
    if accepted is None:
        raise DomainError(_("The code is not correct or was already used."), code="wrong_code")
    return accepted


def two_factor_backup_codes_renew(*, user: User, token: str) -> list[str]:
    """Replace the user's backup codes with 10 new ones after checking a current ``token``
    (app or backup code; a backup code used here is spent like any other). The old codes
    stop working at once. Returns the new codes, to be shown once (only their check values
    stay in the database).

    Raises :class:`DomainError` as :func:`two_factor_check` does (``no_device`` when
    two-factor authentication is off)."""
    two_factor_check(user=user, token=token)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise DomainError(_("Two-factor authentication is not on for this account."),
                              code="no_device")
        codes = _new_backup_codes(user)
        activity_record(target=user, actor=user, verb="accounts.two_factor_backup_codes_renew",
                        to_state="on")
    return codes


def two_factor_disable(*, user: User, token: str) -> None:
    """Turn two-factor sign-in off after checking a current ``token`` (app or backup code):
    deletes the app and the backup codes. Raises :class:`DomainError` as
    :func:`two_factor_check` does."""
    two_factor_check(user=user, token=token)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        activity_record(target=user, actor=user, verb="accounts.two_factor_disable",
                        from_state="on", to_state="off")
