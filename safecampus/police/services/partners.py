"""Partners of the office (警校合作单位) and their liaison officers (联络民警), writes.

A liaison is a user with one ``police_liaison`` membership per campus their partner serves, so
their scope is exactly those campuses; :class:`~safecampus.police.models.PartnerLiaison` says
which partner they speak for. A user liaises for one partner at most. When a partner's
campuses change (or it is deactivated), its liaisons' memberships follow; deactivating a
liaison removes them. A new liaison account gets the initial password the office admin gives
(checked by Django's password validators, stored hashed; the liaison is to change it), or
none usable without one (as the organisation import does: an administrator sets one later,
or they sign in through single sign-on).

Every change writes one :class:`~safecampus.core.models.ActivityEntry` on the partner.
Errors: :class:`~safecampus.core.errors.DomainError` (400, ``field_errors`` name the fields),
:class:`~safecampus.core.errors.NotAllowed` (403).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from safecampus.accounts.models import Membership, Role, User
from safecampus.core.activity import activity_record
from safecampus.core.errors import DomainError, perm_require, raise_field_errors, text_checked
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.core.phones import PHONE_INVALID, phone_is_valid, phone_normalise
from safecampus.organisation.models import Campus

from ..models import Partner, PartnerLiaison

PARTNER_CREATE_SCOPE = "police.partner_create"


@dataclass
class PartnerInput:
    """What the office gives for a partner (create or edit)."""

    code: str
    name: str
    kind: str
    campus_ids: Sequence = ()
    address: str = ""
    phone: str = ""
    is_active: bool = True


def _partner_fields(data: PartnerInput, *, partner_id: int | None = None) -> dict:
    errors: dict[str, list[str]] = {}
    code = text_checked(data.code, field="code", limit=32, errors=errors,
                        required=_("Give the partner a short code."))
    if code and "code" not in errors:
        try:
            validate_slug(code)
        except ValidationError:
            errors["code"] = [_("Use letters, digits, “-” or “_” only.")]
        else:
            if Partner.objects.filter(code__iexact=code).exclude(pk=partner_id).exists():
                errors["code"] = [_("Another partner has this code.")]
    name = text_checked(data.name, field="name", limit=100, errors=errors,
                        required=_("Give the partner's name."))
    if name and "name" not in errors and (
            Partner.objects.filter(name=name).exclude(pk=partner_id).exists()):
        errors["name"] = [_("Another partner has this name.")]
    if data.kind not in Partner.Kind.values:
        errors["kind"] = [_("Choose the kind of partner.")]
    address = text_checked(data.address, field="address", limit=200, errors=errors)
    phone = text_checked(phone_normalise(data.phone), field="phone", limit=32, errors=errors)
    if phone and "phone" not in errors and not phone_is_valid(phone):
        errors["phone"] = [str(PHONE_INVALID)]
    ids = []
    for value in data.campus_ids or ():
        number = id_or_none(value)
        if number is None:
            errors.setdefault("campuses", []).append(
                _("“%(value)s” is not a valid choice.") % {"value": str(value)[:20]})
        else:
            ids.append(number)
    campuses = list(Campus.objects.filter(pk__in=set(ids)))
    missing = sorted(set(ids) - {c.pk for c in campuses})
    if missing:
        errors.setdefault("campuses", []).append(
            _("Unknown choices: %(ids)s.") % {"ids": ", ".join(str(i) for i in missing)})
    elif not ids and "campuses" not in errors:
        # A liaison's scope is the partner's campuses: without one they could see nothing.
        errors["campuses"] = [_("Choose at least one campus the partner serves.")]
    raise_field_errors(errors)
    return {"code": code, "name": name, "kind": data.kind, "address": address, "phone": phone,
            "is_active": bool(data.is_active), "campuses": campuses}


def _liaison_sync(liaison: PartnerLiaison) -> None:
    """Make the liaison's ``police_liaison`` memberships exactly the partner's campuses (none
    when the liaison or the partner is inactive)."""
    partner = liaison.partner
    wanted = (set(partner.campuses.values_list("pk", flat=True))
              if liaison.is_active and partner.is_active else set())
    held = Membership.objects.filter(user_id=liaison.user_id, role=Role.POLICE_LIAISON)
    have = set(held.values_list("campus_id", flat=True))
    held.exclude(campus_id__in=wanted).delete()
    held.filter(campus__isnull=True).delete()
    Membership.objects.bulk_create([
        Membership(user_id=liaison.user_id, role=Role.POLICE_LIAISON, campus_id=campus_id)
        for campus_id in sorted(wanted - have)])


def partner_create(*, actor, data: PartnerInput, idempotency_key: str | None = None) -> Partner:
    """A new partner serving ``data.campus_ids`` (at least one). Codes (case-insensitive) and names are
    unique: a taken one is a field error, also when two requests create it at once."""
    perm_require(actor, "police.manage_partners")
    earlier = idempotency_lookup(scope=PARTNER_CREATE_SCOPE, key=idempotency_key,
                                 model=Partner, user=actor)
    if earlier is not None:
        return earlier
    fields = _partner_fields(data)
    campuses = fields.pop("campuses")
    try:
        with transaction.atomic():
            partner = Partner.objects.create(**fields)
            partner.campuses.set(campuses)
            activity_record(target=partner, actor=actor, verb="police.partner_create",
                            data={"campuses": sorted(c.code for c in campuses)})
            winner = idempotency_race_lost(scope=PARTNER_CREATE_SCOPE, key=idempotency_key,
                                           user=actor, result=partner)
    except IntegrityError:
        taken = _("Another partner has this code or name.")
        raise DomainError(taken, code="taken", field_errors={"code": [taken]}) from None
    return winner or partner


def partner_update(*, actor, partner_id: int, data: PartnerInput) -> Partner:
    """Edit a partner. When its campuses change or it is (de)activated, every liaison's
    memberships follow in the same transaction; the entry names the changed fields."""
    perm_require(actor, "police.manage_partners")
    with transaction.atomic():
        partner = (Partner.objects.select_for_update()
                   .filter(pk=id_or_none(partner_id) or 0).first())
        if partner is None:
            raise DomainError(_("This partner does not exist."), code="not_found")
        fields = _partner_fields(data, partner_id=partner.pk)
        campuses = fields.pop("campuses")
        changed = [k for k, v in fields.items() if getattr(partner, k) != v]
        before = set(partner.campuses.values_list("pk", flat=True))
        if before != {c.pk for c in campuses}:
            changed.append("campuses")
        for key, value in fields.items():
            setattr(partner, key, value)
        try:
            with transaction.atomic():
                partner.save()
        except IntegrityError:
            taken = _("Another partner has this code or name.")
            raise DomainError(taken, code="taken", field_errors={"code": [taken]}) from None
        partner.campuses.set(campuses)
        if "campuses" in changed or "is_active" in changed:
            for liaison in partner.liaisons.select_related("partner"):
                _liaison_sync(liaison)
        if changed:
            activity_record(target=partner, actor=actor, verb="police.partner_update",
                            data={"fields": changed,
                                  "campuses": sorted(c.code for c in campuses)})
    return partner


def msg_other_partner(partner: Partner) -> str:
    return _("This person is already a liaison of %(partner)s; a user liaises for one partner "
             "at most.") % {"partner": partner.name}


def user_by_reference(reference: str) -> User | None:
    """The active user a typed reference names: their user name (any case), else their staff
    or student number, else their full name when exactly one active user has it. None when
    nobody (or several people) match."""
    reference = (reference or "").strip()
    if not reference:
        return None
    active = User.objects.filter(is_active=True)
    for query in ({"username__iexact": reference}, {"employee_number": reference},
                  {"full_name": reference}):
        found = list(active.filter(**query)[:2])
        if len(found) == 1:
            return found[0]
        if found:
            return None
    return None


def liaison_add(*, actor, partner_id: int, user_id: int | None = None, user_ref: str = "",
                username: str = "", full_name: str = "", phone: str = "", post: str = "",
                password: str = "") -> PartnerLiaison:
    """Make a user a liaison of a partner: an existing user (``user_id``, or ``user_ref``:
    their user name, staff number or unique full name) or a new account (``username``,
    ``full_name``, ``phone`` checked by :mod:`safecampus.core.phones`, and an initial
    ``password`` checked by Django's password validators; without one the account has no
    usable password). Gives them one ``police_liaison`` membership per campus the partner
    serves. A user who is (or was) a liaison of this partner is taken back; one who is an
    active liaison of another partner is refused (an inactive one moves to this partner)."""
    perm_require(actor, "police.manage_partners")
    errors: dict[str, list[str]] = {}
    post = text_checked(post, field="post", limit=64, errors=errors)
    user_ref = (user_ref or "").strip()
    if user_id in (None, "") and user_ref:
        found = user_by_reference(user_ref)
        if found is None:
            errors["user"] = [_("No active user has the user name, number or name "
                                "“%(value)s”; pick one from the list.") % {"value": user_ref[:40]}]
        else:
            user_id = found.pk
    new_account = user_id in (None, "") and not errors
    if new_account:
        username = text_checked(username, field="username", limit=150, errors=errors,
                                required=_("Pick an existing user or give a user name for "
                                           "a new account."))
        full_name = text_checked(full_name, field="full_name", limit=64, errors=errors,
                                 required=_("Give the liaison's full name."))
        phone = text_checked(phone_normalise(phone), field="phone", limit=20, errors=errors)
        if phone and "phone" not in errors and not phone_is_valid(phone):
            errors["phone"] = [str(PHONE_INVALID)]
        if username and "username" not in errors:
            try:
                UnicodeUsernameValidator()(username)
            except ValidationError:
                errors["username"] = [_("Use letters, digits and @ . + - _ only.")]
            else:
                if User.objects.filter(username__iexact=username).exists():
                    errors["username"] = [_("This user name is taken; pick the existing user "
                                            "instead.")]
        if password:
            try:
                password_validation.validate_password(
                    password, User(username=username, full_name=full_name))
            except ValidationError as error:
                errors["password"] = list(error.messages)
    raise_field_errors(errors)
    with transaction.atomic():
        partner = (Partner.objects.select_for_update()
                   .filter(pk=id_or_none(partner_id) or 0).first())
        if partner is None:
            raise DomainError(_("This partner does not exist."), code="not_found")
        if not partner.campuses.exists():
            raise DomainError(_("This partner serves no campus yet, so a liaison would see "
                                "nothing: give it its campuses first."), code="no_campus")
        if new_account:
            user = User(username=username, full_name=full_name, phone=phone)
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            try:
                with transaction.atomic():
                    user.save()
            except IntegrityError:
                message = _("This user name is taken; pick the existing user instead.")
                raise DomainError(message, field_errors={"username": [message]}) from None
        else:
            user = (User.objects.select_for_update()
                    .filter(pk=id_or_none(user_id) or 0, is_active=True).first())
            if user is None:
                message = _("No such active user.")
                raise DomainError(message, field_errors={"user": [message]})
        liaison = (PartnerLiaison.objects.select_for_update().select_related("partner")
                   .filter(user=user).first())
        if liaison is not None and liaison.is_active:
            message = (_("This person is already a liaison of this partner.")
                       if liaison.partner_id == partner.pk else msg_other_partner(liaison.partner))
            raise DomainError(message, code="taken", field_errors={"user": [message]})
        if liaison is None:
            liaison = PartnerLiaison.objects.create(partner=partner, user=user, post=post)
        else:
            liaison.partner, liaison.is_active = partner, True
            liaison.post = post or liaison.post
            liaison.save()
        _liaison_sync(liaison)
        activity_record(target=partner, actor=actor, verb="police.liaison_add",
                        data={"user": user.username, "new_account": new_account,
                              "name": str(user), "password_set": bool(new_account and password)})
    return liaison


def liaison_deactivate(*, actor, liaison_id: int) -> PartnerLiaison:
    """The liaison no longer speaks for the partner: inactive, and their ``police_liaison``
    memberships are removed (their other roles stay)."""
    perm_require(actor, "police.manage_partners")
    with transaction.atomic():
        liaison = (PartnerLiaison.objects.select_for_update().select_related("partner", "user")
                   .filter(pk=id_or_none(liaison_id) or 0).first())
        if liaison is None:
            raise DomainError(_("This liaison does not exist."), code="not_found")
        if not liaison.is_active:
            raise DomainError(_("This liaison is already inactive."), code="inactive")
        liaison.is_active = False
        liaison.save(update_fields=["is_active", "updated_at"])
        _liaison_sync(liaison)
        activity_record(target=liaison.partner, actor=actor, verb="police.liaison_deactivate",
                        data={"user": liaison.user.username, "name": str(liaison.user)})
    return liaison
