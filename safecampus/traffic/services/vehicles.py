"""Vehicles and campus entry permits, writes (车辆登记, 通行证).

Every public function is ``<entity>_<verb>`` with keyword-only arguments and follows one
order: check input → lock (``select_for_update``) → permission (``traffic.manage_vehicles``)
→ state → write, in one transaction, with an
:class:`~safecampus.core.models.ActivityEntry` on the vehicle's timeline per change
(``traffic.vehicle_register``, ``…vehicle_update``, ``…vehicle_deactivate``,
``…permit_issue``, ``…permit_revoke``).

Plates. A plate goes through :func:`safecampus.traffic.plates.plate_check` and is stored in
normal form; an e-bike may instead carry only its campus tag (校内电动车号牌). A plate is
registered once (a database constraint): a second registration is refused naming the vehicle
that has it, also when two arrive at once.

Permits. Validity is in local (Asia/Shanghai) dates, both ends inclusive; a permit whose
last day is already past is refused (it would be listed as issued but never be valid). A new
permit may overlap an active one of the same vehicle (a renewal often starts before the old
one ends; the pages and the API warn with :func:`msg_permit_overlaps`), but not a suspended
one: issuing a new permit must not lift a suspension.

Errors: DomainError (bad input, 400; nothing changed), NotAllowed (403), Conflict (409).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from safecampus.accounts.models import User
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import Conflict, DomainError, NotAllowed, raise_field_errors
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.core.phones import PHONE_INVALID, phone_is_valid, phone_normalise
from safecampus.organisation.models import Unit

from ..models import Permit, Vehicle
from ..plates import plate_check
from ..selectors.vehicles import tag_normalise

VEHICLE_SCOPE = "traffic.vehicle_register"
PERMIT_SCOPE = "traffic.permit_issue"
#: Longest texts accepted (the model's limits); longer input is refused, never cut.
LIMITS = {"tag_number": 32, "make": 64, "colour": 32, "owner_name": 64, "owner_phone": 32,
          "note": 200, "reason": 2000}
#: The editable fields of a vehicle (what :func:`vehicle_update` takes).
VEHICLE_FIELDS = ("plate", "tag_number", "kind", "make", "colour", "owner_id", "owner_name",
                  "owner_kind", "owner_phone", "unit_id")
#: Longest permit: ten years (a typo in the year is refused rather than kept).
PERMIT_MAX_DAYS = 3653


# --- helpers -------------------------------------------------------------------------------
def _require(actor) -> None:
    if not actor.has_perm("traffic.manage_vehicles"):
        raise NotAllowed()


def _add(errors: dict, name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)



def _text(value) -> str:
    return str(value or "").strip()


def _check_length(errors: dict, name: str, value: str) -> None:
    limit = LIMITS[name]
    if len(value) > limit:
        _add(errors, name, _("At most %(limit)s characters (this has %(length)s).")
             % {"limit": limit, "length": len(value)})


def vehicle_name(vehicle: Vehicle) -> str:
    """How messages name a vehicle: plate or tag, owner, and whether it is deactivated."""
    label = vehicle.plate or vehicle.tag_number or f"#{vehicle.pk}"
    if not vehicle.is_active:
        return _("%(vehicle)s of %(owner)s (deactivated)") % {
            "vehicle": label, "owner": vehicle.owner_name}
    return _("%(vehicle)s of %(owner)s") % {"vehicle": label, "owner": vehicle.owner_name}


def msg_plate_taken(vehicle: Vehicle) -> str:
    return _("This plate is already registered: %(vehicle)s. Open that vehicle instead.") % {
        "vehicle": vehicle_name(vehicle)}


def _vehicle_fields(errors: dict, data: dict, *, exclude_pk: int | None) -> dict:
    """Check the vehicle's fields; returns the values to store (plate in normal form)."""
    kind = _text(data.get("kind")) or Vehicle.Kind.CAR
    if kind not in Vehicle.Kind.values:
        _add(errors, "kind", _("Choose a vehicle type from the list."))
    raw_plate = _text(data.get("plate"))
    tag = tag_normalise(data.get("tag_number"))
    _check_length(errors, "tag_number", tag)
    plate = plate_kind = ""
    if raw_plate:
        try:
            checked = plate_check(raw_plate)
        except DomainError as error:
            _add(errors, "plate", error.message)
        else:
            plate, plate_kind = checked.number, checked.kind
            taken = Vehicle.objects.filter(plate=plate).exclude(pk=exclude_pk).first()
            if taken is not None:
                _add(errors, "plate", msg_plate_taken(taken))
    elif kind == Vehicle.Kind.EBIKE:
        if not tag:
            _add(errors, "plate", _("Enter the plate number or, for an e-bike without a plate, "
                                    "its campus tag number."))
    else:
        _add(errors, "plate", _("Enter the plate number."))
    if tag:
        clash = (Vehicle.objects.filter(tag_number=tag, is_active=True)
                 .exclude(pk=exclude_pk).first())
        if clash is not None:
            _add(errors, "tag_number", _("This campus tag is already on %(vehicle)s.")
                 % {"vehicle": vehicle_name(clash)})
    owner_name = _text(data.get("owner_name"))
    if not owner_name:
        _add(errors, "owner_name", _("Enter the owner's name."))
    _check_length(errors, "owner_name", owner_name)
    owner_kind = _text(data.get("owner_kind"))
    if owner_kind not in Vehicle.OwnerKind.values:
        _add(errors, "owner_kind", _("Choose the owner type (staff, student, contractor or "
                                     "visitor)."))
    phone = phone_normalise(data.get("owner_phone"))
    if phone and not phone_is_valid(phone):
        _add(errors, "owner_phone", str(PHONE_INVALID))
    _check_length(errors, "owner_phone", phone)
    owner = None
    if data.get("owner_id") not in (None, ""):
        oid = id_or_none(data.get("owner_id"))
        owner = User.objects.filter(pk=oid).first() if oid else None
        if owner is None:
            _add(errors, "owner", _("Choose an account from the list, or leave it empty."))
    unit = None
    if data.get("unit_id") not in (None, ""):
        uid = id_or_none(data.get("unit_id"))
        unit = Unit.objects.filter(pk=uid).first() if uid else None
        if unit is None:
            _add(errors, "unit", _("Choose a unit from the list."))
    make, colour = _text(data.get("make")), _text(data.get("colour"))
    _check_length(errors, "make", make)
    _check_length(errors, "colour", colour)
    return {"plate": plate, "plate_kind": plate_kind, "tag_number": tag, "kind": kind,
            "make": make, "colour": colour, "owner": owner, "owner_name": owner_name,
            "owner_kind": owner_kind, "owner_phone": phone, "unit": unit}


def _lock_vehicle(vehicle_id) -> Vehicle:
    vid = id_or_none(vehicle_id)
    vehicle = Vehicle.objects.select_for_update().filter(pk=vid).first() if vid else None
    if vehicle is None:
        raise DomainError(_("This vehicle does not exist."), code="not_found")
    return vehicle


def _save_unique(vehicle: Vehicle, plate: str) -> None:
    """Save; a plate registered meanwhile by someone else is refused naming that vehicle."""
    try:
        with transaction.atomic():
            vehicle.save()
    except IntegrityError:
        taken = Vehicle.objects.filter(plate=plate).first()
        if taken is None:
            raise
        message = msg_plate_taken(taken)
        raise DomainError(message, code="plate_taken",
                          field_errors={"plate": [message]}) from None


# --- vehicles ------------------------------------------------------------------------------
def vehicle_register(*, actor, owner_name: str, owner_kind: str, plate: str = "",
                     tag_number: str = "", kind: str = Vehicle.Kind.CAR, make: str = "",
                     colour: str = "", owner_id=None, owner_phone: str = "", unit_id=None,
                     idempotency_key: str | None = None) -> Vehicle:
    """Register a vehicle. ``plate`` in any typed form (normalised and validated; may be
    empty for an e-bike with ``tag_number``); ``owner_id`` an account (optional);
    ``owner_kind`` a :class:`Vehicle.OwnerKind` value. A repeat with the same
    ``idempotency_key`` returns the first vehicle."""
    _require(actor)
    earlier = idempotency_lookup(scope=VEHICLE_SCOPE, key=idempotency_key, model=Vehicle,
                                 user=actor)
    if earlier is not None:
        return earlier
    errors: dict[str, list[str]] = {}
    values = _vehicle_fields(errors, {
        "plate": plate, "tag_number": tag_number, "kind": kind, "make": make, "colour": colour,
        "owner_id": owner_id, "owner_name": owner_name, "owner_kind": owner_kind,
        "owner_phone": owner_phone, "unit_id": unit_id}, exclude_pk=None)
    raise_field_errors(errors)
    with transaction.atomic():
        vehicle = Vehicle(**values)
        _save_unique(vehicle, values["plate"])
        activity_record(target=vehicle, actor=actor, verb="traffic.vehicle_register",
                        to_state="active", comment=str(vehicle))
        winner = idempotency_race_lost(scope=VEHICLE_SCOPE, key=idempotency_key, user=actor,
                                       result=vehicle)
        if winner is not None:
            return winner
    return vehicle


def vehicle_update(*, actor, vehicle_id, **changes) -> Vehicle:
    """Change a vehicle's fields (any of :data:`VEHICLE_FIELDS`; the others keep their
    values). A changed plate is validated again and must not be registered elsewhere. The
    timeline entry lists the changed fields, old → new."""
    unknown = set(changes) - set(VEHICLE_FIELDS)
    if unknown:
        raise TypeError(f"vehicle_update got unknown fields {sorted(unknown)}")
    with transaction.atomic():
        vehicle = _lock_vehicle(vehicle_id)
        _require(actor)
        current = {"plate": vehicle.plate, "tag_number": vehicle.tag_number,
                   "kind": vehicle.kind, "make": vehicle.make, "colour": vehicle.colour,
                   "owner_id": vehicle.owner_id, "owner_name": vehicle.owner_name,
                   "owner_kind": vehicle.owner_kind, "owner_phone": vehicle.owner_phone,
                   "unit_id": vehicle.unit_id}
        errors: dict[str, list[str]] = {}
        values = _vehicle_fields(errors, {**current, **changes}, exclude_pk=vehicle.pk)
        raise_field_errors(errors)
        changed = {}
        for name, value in values.items():
            old = getattr(vehicle, name)
            if old != value:
                changed[name] = [str(old or ""), str(value or "")]
                setattr(vehicle, name, value)
        if not changed:
            return vehicle
        _save_unique(vehicle, values["plate"])
        with translation.override(settings.LANGUAGE_CODE):
            comment = _("; ").join(
                _("%(field)s: %(old)s → %(new)s") % {
                    "field": Vehicle._meta.get_field(name).verbose_name, "old": old or "—",
                    "new": new or "—"}
                for name, (old, new) in changed.items())
        activity_record(target=vehicle, actor=actor, verb="traffic.vehicle_update",
                        comment=comment, data={"changed": changed})
    return vehicle


def vehicle_deactivate(*, actor, vehicle_id, reason: str = "") -> Vehicle:
    """Mark a vehicle as no longer on campus (sold, left the university). Its permits that
    are still active are revoked with it. Refused (Conflict) when already deactivated."""
    reason = _text(reason)
    errors: dict[str, list[str]] = {}
    if len(reason) > LIMITS["reason"]:
        _check_length(errors, "reason", reason)
    raise_field_errors(errors)
    with transaction.atomic():
        vehicle = _lock_vehicle(vehicle_id)
        _require(actor)
        if not vehicle.is_active:
            raise Conflict(_("%(vehicle)s is already deactivated.")
                           % {"vehicle": vehicle.plate or vehicle.tag_number},
                           code="already_deactivated")
        vehicle.is_active = False
        vehicle.save(update_fields=["is_active", "updated_at"])
        revoked = list(vehicle.permits.select_for_update().exclude(state=Permit.State.REVOKED))
        for permit in revoked:
            permit.state = Permit.State.REVOKED
            permit.save(update_fields=["state", "updated_at"])
        activity_record(target=vehicle, actor=actor, verb="traffic.vehicle_deactivate",
                        from_state="active", to_state="inactive", comment=reason,
                        data={"permits_revoked": [p.pk for p in revoked]})
    return vehicle


# --- permits -------------------------------------------------------------------------------
def msg_permit_overlap(permit: Permit) -> str:
    return _("This period overlaps the %(kind)s valid %(start)s – %(end)s (%(state)s); revoke "
             "it first or choose other dates.") % {
        "kind": permit.get_kind_display(), "start": permit.valid_from.isoformat(),
        "end": permit.valid_until.isoformat(), "state": permit.get_state_display()}


def msg_permit_overlaps(permit: Permit) -> str:
    """The warning after issuing a permit that overlaps ``permit`` (active, same vehicle)."""
    return _("The new permit overlaps the %(kind)s valid %(start)s – %(end)s. If it replaces "
             "that one, revoke the old permit.") % {
        "kind": permit.get_kind_display(), "start": permit.valid_from.isoformat(),
        "end": permit.valid_until.isoformat()}


def permit_issue(*, actor, vehicle_id, valid_from: dt.date | None, valid_until: dt.date | None,
                 kind: str = Permit.Kind.LONG_TERM, note: str = "",
                 idempotency_key: str | None = None) -> Permit:
    """Issue a campus entry permit to an active vehicle for ``valid_from`` … ``valid_until``
    (local dates, inclusive; at most ten years). Refused (DomainError on ``valid_until``)
    when ``valid_until`` is before today (local date), and (code ``permit_overlap``, the
    message names it) when it overlaps a suspended permit of the vehicle. Overlapping an
    active permit is allowed: a renewal may start before the old one ends (the caller
    warns, :func:`~safecampus.traffic.selectors.vehicles.permit_overlaps`).
    A repeat with the same ``idempotency_key`` returns the first permit."""
    _require(actor)
    earlier = idempotency_lookup(scope=PERMIT_SCOPE, key=idempotency_key, model=Permit,
                                 user=actor)
    if earlier is not None:
        return earlier
    errors: dict[str, list[str]] = {}
    if kind not in Permit.Kind.values:
        _add(errors, "kind", _("Choose a permit type from the list."))
    if valid_from is None:
        _add(errors, "valid_from", _("Enter the first day of validity."))
    if valid_until is None:
        _add(errors, "valid_until", _("Enter the last day of validity."))
    if valid_from is not None and valid_until is not None:
        if valid_until < valid_from:
            _add(errors, "valid_until", _("The last day is before the first day."))
        elif (valid_until - valid_from).days >= PERMIT_MAX_DAYS:
            _add(errors, "valid_until", _("A permit is valid for at most ten years."))
    today = clock.local_today()
    if valid_until is not None and valid_until < today and "valid_until" not in errors:
        _add(errors, "valid_until", _("The last day (%(end)s) is already past: a permit must "
                                      "be valid until today (%(today)s) or later.") % {
            "end": valid_until.isoformat(), "today": today.isoformat()})
    note = _text(note)
    _check_length(errors, "note", note)
    raise_field_errors(errors)
    with transaction.atomic():
        vehicle = _lock_vehicle(vehicle_id)
        if not vehicle.is_active:
            raise Conflict(_("%(vehicle)s is deactivated; it cannot get a permit.")
                           % {"vehicle": vehicle.plate or vehicle.tag_number},
                           code="vehicle_inactive")
        overlap = (vehicle.permits.filter(state=Permit.State.SUSPENDED)
                   .filter(valid_from__lte=valid_until, valid_until__gte=valid_from)
                   .order_by("valid_from").first())
        if overlap is not None:
            message = msg_permit_overlap(overlap)
            raise DomainError(message, code="permit_overlap",
                              field_errors={"valid_from": [message]})
        permit = Permit.objects.create(vehicle=vehicle, kind=kind, valid_from=valid_from,
                                       valid_until=valid_until, issued_by=actor, note=note)
        activity_record(target=vehicle, actor=actor, verb="traffic.permit_issue",
                        to_state=Permit.State.ACTIVE,
                        comment=f"{permit.get_kind_display()} {valid_from} – {valid_until}",
                        data={"permit": permit.pk})
        winner = idempotency_race_lost(scope=PERMIT_SCOPE, key=idempotency_key, user=actor,
                                       result=permit)
        if winner is not None:
            return winner
    return permit


def permit_revoke(*, actor, permit_id, reason: str) -> Permit:
    """Revoke a permit (active or suspended) with a reason (required, on the timeline).
    Refused (Conflict) when it is revoked already."""
    reason = _text(reason)
    errors: dict[str, list[str]] = {}
    if not reason:
        _add(errors, "reason", _("Say why the permit is revoked."))
    _check_length(errors, "reason", reason)
    raise_field_errors(errors)
    with transaction.atomic():
        pid = id_or_none(permit_id)
        permit = (Permit.objects.select_for_update().select_related("vehicle")
                  .filter(pk=pid).first() if pid else None)
        if permit is None:
            raise DomainError(_("This permit does not exist."), code="not_found")
        _require(actor)
        if permit.state == Permit.State.REVOKED:
            raise Conflict(_("This permit is already revoked."), code="already_revoked")
        old = permit.state
        permit.state = Permit.State.REVOKED
        permit.save(update_fields=["state", "updated_at"])
        activity_record(target=permit.vehicle, actor=actor, verb="traffic.permit_revoke",
                        from_state=old, to_state=Permit.State.REVOKED, comment=reason,
                        data={"permit": permit.pk})
    return permit
