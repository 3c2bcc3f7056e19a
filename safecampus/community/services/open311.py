"""Open311 (writes): issuing and revoking client keys, checking a key, and creating a
service request (a concern) for a client.

A key is 43 URL-safe characters (32 random bytes) shown once when it is issued; only its
SHA-256 digest (hex) and its first characters are stored (:class:`ApiClient`). Each client
gets a service account (a ``community_member`` without a usable password) that submits its
requests and reports its hazards.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from safecampus.accounts.models import Membership, Role, User
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import DomainError, perm_require, raise_field_errors, text_checked
from safecampus.core.forms import id_or_none

from ..models import ApiClient, Concern, ConcernCategory
from .concerns import concern_submit

#: Random bytes of a key (43 characters in URL-safe base64).
KEY_BYTES = 32
#: Characters of the key kept in clear to tell keys apart on the keys page.
PREFIX_LENGTH = 8
#: A key's ``last_used_at`` is written at most this often.
LAST_USED_EVERY = dt.timedelta(minutes=1)
NAME_MAX, CONTACT_MAX = 100, 200
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
#: Open311 parameter names of the concern service's fields (for error messages).
OPEN311_FIELDS = {
    "category": "service_code", "title": "description", "location_text": "address_string",
    "contact_name": "first_name", "contact_email": "email", "contact_phone": "phone",
}


def key_digest(key: str) -> str:
    """The SHA-256 digest of ``key`` as 64 lower-case hex characters (what is stored)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _service_username() -> str:
    while True:
        username = f"open311-{secrets.token_hex(4)}"
        if not User.objects.filter(username=username).exists():
            return username


def api_client_issue(*, actor, name: str, contact: str = "",
                     key: str | None = None) -> tuple[ApiClient, str]:
    """Issue a key to a new Open311 client called ``name`` (unique, ≤ 100 characters;
    ``contact``: who runs it, ≤ 200). Creates the client's service account (role
    ``community_member``, no usable password). Returns ``(client, key)``: the key is in no
    other place afterwards, only its digest. ``key``: a given key of 32–128 URL-safe
    characters instead of a random one (the demo's published key). Raises
    :class:`DomainError` with field errors ``name``/``contact`` and :class:`NotAllowed`
    without ``community.manage_open311_clients``."""
    perm_require(actor, "community.manage_open311_clients")
    errors: dict[str, list[str]] = {}
    name = text_checked(name, field="name", limit=NAME_MAX, errors=errors,
                        required=_("Give the client a name."))
    contact = text_checked(contact, field="contact", limit=CONTACT_MAX, errors=errors)
    if name and "name" not in errors and ApiClient.objects.filter(name__iexact=name).exists():
        errors["name"] = [_("A client with this name already exists.")]
    if key is not None and not _KEY_RE.match(key):
        errors["key"] = [_("A key has 32 to 128 letters, digits, “-” or “_”.")]
    raise_field_errors(errors)
    key = key or secrets.token_urlsafe(KEY_BYTES)
    with transaction.atomic():
        user = User(username=_service_username(), full_name=name[:64])
        user.set_unusable_password()
        user.save()
        Membership.objects.create(user=user, role=Role.COMMUNITY_MEMBER)
        try:
            with transaction.atomic():
                client = ApiClient.objects.create(
                    name=name, contact=contact, key_prefix=key[:PREFIX_LENGTH],
                    key_hash=key_digest(key), user=user, created_by=actor)
        except IntegrityError:
            message = _("A client with this name already exists.")
            raise DomainError(message, field_errors={"name": [message]}) from None
        activity_record(target=client, actor=actor, verb="community.open311_issue",
                        data={"name": name, "key_prefix": client.key_prefix})
    return client, key


def api_client_revoke(*, actor, client_id) -> ApiClient:
    """Revoke a client's key for good: the client is inactive, its service account can no
    longer act, and every request with the key is refused (403). Its concerns stay.
    Raises :class:`DomainError` (no such client, already revoked) and :class:`NotAllowed`."""
    perm_require(actor, "community.manage_open311_clients")
    with transaction.atomic():
        client = (ApiClient.objects.select_for_update()
                  .filter(pk=id_or_none(client_id) or 0).first())
        if client is None:
            raise DomainError(_("This Open311 client does not exist."), code="not_found")
        if not client.is_active:
            raise DomainError(_("This key was already revoked."), code="revoked")
        client.is_active = False
        client.revoked_at = clock.now()
        client.save(update_fields=["is_active", "revoked_at", "updated_at"])
        User.objects.filter(pk=client.user_id).update(is_active=False)
        activity_record(target=client, actor=actor, verb="community.open311_revoke",
                        data={"name": client.name, "key_prefix": client.key_prefix})
    return client


def api_client_authenticate(*, key: str | None) -> ApiClient | None:
    """The active client whose key is ``key`` (compared by digest), with its service
    account; None for a missing, unknown or revoked key. Records the use in
    ``last_used_at`` at most once a minute (one UPDATE, no lock: an approximate time)."""
    key = (key or "").strip()
    if not _KEY_RE.match(key):
        return None
    client = next(iter(ApiClient.objects.select_related("user")
                       .filter(key_hash=key_digest(key), is_active=True)[:1]), None)
    if client is None or not client.user.is_active:
        return None
    now = clock.now()
    if client.last_used_at is None or now - client.last_used_at >= LAST_USED_EVERY:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client


def contact_name_join(first_name: str, last_name: str) -> str:
    """A person's name from Open311's ``first_name`` and ``last_name``: family name first
    and no space for Chinese names (王 + 小明 = 王小明), "first last" otherwise."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if not first or not last:
        return first or last
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return last + first
    return f"{first} {last}"


def open311_request_create(*, client: ApiClient, service_code: str,
                           fields: Mapping[str, object],
                           attributes: Mapping[str, object] | None = None,
                           idempotency_key: str | None = None) -> Concern:
    """Create a service request for ``client``: a concern through
    :func:`~.concerns.concern_submit` (channel ``open311``, the client's service account as
    actor). ``service_code``: an active category's code. ``fields``: the POST parameters of
    GeoReport v2 (``lat``, ``long``, ``address_string``, ``address_id``, ``email``,
    ``device_id``, ``account_id``, ``first_name``, ``last_name``, ``phone``,
    ``description``, ``media_url``); ``attributes``: ``{code: value or [values]}``.

    Raises :class:`DomainError` with code ``not_found`` for an unknown service code, and
    with field errors named by the Open311 parameter (``lat``, ``attribute[code]``,
    ``email`` …) for bad input; nothing is written then."""
    code = (service_code or "").strip()
    if not code:
        message = _("Give a service_code.")
        raise DomainError(message, code="missing", field_errors={"service_code": [message]})
    category_id = next(iter(ConcernCategory.objects.filter(code=code[:64], is_active=True)
                            .order_by().values_list("pk", flat=True)[:1]), None)
    if category_id is None:
        raise DomainError(_("No service has the code “%(code)s”.") % {"code": code[:64]},
                          code="not_found")
    email = str(fields.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            message = _("Give a valid e-mail address.")
            raise DomainError(message, field_errors={"email": [message]}) from None
    try:
        return concern_submit(
            actor=client.user, category_id=category_id,
            description=str(fields.get("description") or ""),
            location_text=str(fields.get("address_string") or ""),
            latitude=fields.get("lat"), longitude=fields.get("long"),
            address_id=str(fields.get("address_id") or ""), attributes=attributes or {},
            channel=Concern.Channel.OPEN311, api_client=client,
            contact_name=contact_name_join(str(fields.get("first_name") or ""),
                                           str(fields.get("last_name") or "")),
            contact_email=email, contact_phone=str(fields.get("phone") or ""),
            device_id=str(fields.get("device_id") or ""),
            account_id=str(fields.get("account_id") or ""),
            media_url=str(fields.get("media_url") or ""), idempotency_key=idempotency_key)
    except DomainError as error:
        if error.field_errors:
            error.field_errors = {OPEN311_FIELDS.get(field, field): messages
                                  for field, messages in error.field_errors.items()}
        raise
