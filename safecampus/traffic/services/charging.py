"""Charging points (充电设施), writes: keeping the stations, fault reports that become
hazards routed to the operator's unit, and marking a fault fixed.

Station status (``ChargingStation.status``, a state machine whose transitions run only
here; the fault's ``open`` → ``fixed`` likewise):

* ``in_service`` → ``fault`` (``report_fault``): a fault is reported
  (:func:`charging_fault_report`); ``fault`` stays ``fault`` when another fault is reported;
* ``fault`` → ``in_service`` (``mark_fixed``): the office marks the last open fault fixed
  (:func:`charging_fault_fix`);
* ``in_service`` / ``fault`` → ``out_of_service`` (``take_out_of_service``) and
  ``out_of_service`` → ``in_service`` (``return_to_service``): the office takes the station
  out of service or back (:func:`charging_station_status_set`); back in service is refused
  while a fault is open;
* a station out of service takes no fault reports (it is switched off already).

Every change writes an ActivityEntry on the station's timeline. A fault opens a hazard
through :func:`safecampus.hazards.services.hazard_report` (category
``SAFECAMPUS["CHARGING_FAULT_CATEGORY"]``, ``source_record`` the fault, responsible unit
the station's ``operator_unit`` when it is an active unit, else the routing rules). The
hazard then runs its own loop (notice, rectification, verification); marking the fault
fixed is the office's statement that the station works again and does not close the hazard.

Errors: DomainError (bad input, with ``field_errors``), NotAllowed, Conflict (a state
that does not allow the change).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import Conflict, DomainError, NotAllowed, field_error
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.hazards import services as hazard_services
from safecampus.hazards.models import HazardCategory, Source
from safecampus.organisation.models import Campus, Place, Unit

from ..models import ChargingFault, ChargingStation

FAULT_SCOPE = "traffic.charging_fault_report"
STATION_SCOPE = "traffic.charging_station_create"
DESCRIPTION_MAX = 2000
NAME_MAX, OPERATOR_MAX, EXTERNAL_MAX = 100, 64, 32
POINTS_MAX = 500
Status = ChargingStation.Status




def _locked_station(station_id) -> ChargingStation:
    station = (ChargingStation.objects.select_for_update().filter(pk=station_id).first()
               if id_or_none(station_id) else None)
    if station is None:
        raise DomainError(_("This charging station does not exist."), code="not_found")
    return station


def msg_status(station: ChargingStation) -> str:
    return _("The station is already %(status)s.") % {"status": station.get_status_display()}


def msg_stale() -> str:
    return _("Someone else changed this charging station at the same moment. Reload and try "
             "again.")


def _save(record, fields: list[str]) -> None:
    """Save ``record`` after a transition; Conflict when its state changed in the database
    since it was read (the rows are locked, so this is the last line of defence)."""
    try:
        record.save(update_fields=[*fields, "updated_at"])
    except ConcurrentTransition as exc:
        raise Conflict(msg_stale(), code="stale") from exc


# --- stations -------------------------------------------------------------------------------
def _station_fields(*, campus_id, place_id, name, external_id, kind, operator_name,
                    operator_unit_id, points, note, latitude, longitude,
                    station_id: int | None = None) -> dict:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the station a name.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("At most %(count)s characters.") % {"count": NAME_MAX}]
    external_id = (external_id or "").strip()
    if len(external_id) > EXTERNAL_MAX:
        errors["external_id"] = [_("At most %(count)s characters.") % {"count": EXTERNAL_MAX}]
    elif external_id and ChargingStation.objects.filter(external_id=external_id).exclude(
            pk=station_id).exists():
        errors["external_id"] = [_("Another station already has the operator's id "
                                   "%(id)s.") % {"id": external_id}]
    if kind not in ChargingStation.Kind.values:
        errors["kind"] = [_("Choose e-bike or electric-car charging.")]
    operator_name = (operator_name or "").strip()
    if not operator_name:
        errors["operator_name"] = [_("Name the operator.")]
    elif len(operator_name) > OPERATOR_MAX:
        errors["operator_name"] = [_("At most %(count)s characters.") % {"count": OPERATOR_MAX}]
    if not isinstance(points, int) or isinstance(points, bool) or not 1 <= points <= POINTS_MAX:
        errors["points"] = [_("Enter a number of charging points from 1 to %(max)s.")
                            % {"max": POINTS_MAX}]
    note = (note or "").strip()
    if len(note) > DESCRIPTION_MAX:
        errors["note"] = [_("At most %(count)s characters.") % {"count": DESCRIPTION_MAX}]
    unit = None
    if operator_unit_id not in (None, ""):
        unit = (Unit.objects.filter(pk=operator_unit_id, is_active=True).first()
                if id_or_none(operator_unit_id) else None)
        if unit is None:
            errors["operator_unit"] = [_("Choose a unit from the list.")]
    coordinates = {}
    for key, value, limit in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if value in (None, ""):
            coordinates[key] = None
            continue
        try:
            number = Decimal(str(value)).quantize(Decimal("0.000001"))
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not -limit <= number <= limit:
            errors[key] = [_("Enter a number from -%(limit)s to %(limit)s.") % {"limit": limit}]
        coordinates[key] = number
    campus = place = None
    if place_id not in (None, ""):
        place = (Place.objects.filter(pk=place_id).first() if id_or_none(place_id) else None)
        if place is None:
            errors["place"] = [_("Choose a place from the list.")]
    if campus_id not in (None, ""):
        campus = Campus.objects.filter(pk=campus_id).first() if id_or_none(campus_id) else None
    if campus is None and place is not None:
        campus = place.campus
    if campus is None:
        errors["campus"] = [_("Choose the campus.")]
    elif place is not None and place.campus_id != campus.pk:
        errors["place"] = [_("%(place)s is not on %(campus)s.")
                           % {"place": place.name, "campus": campus.name}]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], field_errors=errors)
    return {"campus": campus, "place": place, "name": name, "external_id": external_id,
            "kind": kind, "operator_name": operator_name, "operator_unit": unit,
            "points": points, "note": note, **coordinates}


def charging_station_create(
    *, actor, campus_id: int | None, name: str, operator_name: str, points: int,
    kind: str = ChargingStation.Kind.EBIKE, place_id: int | None = None,
    external_id: str = "", operator_unit_id: int | None = None, note: str = "",
    latitude=None, longitude=None, idempotency_key: str | None = None,
) -> ChargingStation:
    """A new station in service. ``campus_id`` may be left out when ``place_id`` names a
    place (its campus); ``external_id`` is the operator's station id that session files use
    (unique when given); ``operator_unit_id`` is the active unit faults are routed to;
    ``points`` 1–500. The same ``idempotency_key`` returns the first station. Needs
    ``traffic.manage_charging``. Raises DomainError with field errors, NotAllowed."""
    if not actor.has_perm("traffic.manage_charging"):
        raise NotAllowed()
    existing = idempotency_lookup(scope=STATION_SCOPE, key=idempotency_key,
                                  model=ChargingStation, user=actor)
    if existing is not None:
        return existing
    fields = _station_fields(campus_id=campus_id, place_id=place_id, name=name,
                             external_id=external_id, kind=kind, operator_name=operator_name,
                             operator_unit_id=operator_unit_id, points=points, note=note,
                             latitude=latitude, longitude=longitude)
    with transaction.atomic():
        station = ChargingStation.objects.create(**fields, status=Status.IN_SERVICE)
        activity_record(target=station, actor=actor, verb="traffic.charging_station_create",
                        to_state=station.status, data=_station_data(station))
        winner = idempotency_race_lost(scope=STATION_SCOPE, key=idempotency_key, user=actor,
                                       result=station)
        if winner is not None:
            return winner
    return station


def _station_data(station: ChargingStation) -> dict:
    return {"name": station.name, "kind": station.kind, "points": station.points,
            "operator": station.operator_name, "operator_unit": station.operator_unit_id,
            "external_id": station.external_id, "campus": station.campus_id,
            "place": station.place_id}


def charging_station_update(
    *, actor, station_id: int, campus_id: int | None, name: str, operator_name: str,
    points: int, kind: str, place_id: int | None = None, external_id: str = "",
    operator_unit_id: int | None = None, note: str = "", latitude=None, longitude=None,
) -> ChargingStation:
    """Change a station's details (not its status). Same rules as
    :func:`charging_station_create`; the timeline records the fields that changed. Needs
    ``traffic.manage_charging``."""
    if not actor.has_perm("traffic.manage_charging"):
        raise NotAllowed()
    with transaction.atomic():
        station = _locked_station(station_id)
        fields = _station_fields(campus_id=campus_id, place_id=place_id, name=name,
                                 external_id=external_id, kind=kind,
                                 operator_name=operator_name, operator_unit_id=operator_unit_id,
                                 points=points, note=note, latitude=latitude,
                                 longitude=longitude, station_id=station.pk)
        before = _station_data(station)
        for key, value in fields.items():
            setattr(station, key, value)
        station.save()
        after = _station_data(station)
        changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        activity_record(target=station, actor=actor, verb="traffic.charging_station_update",
                        data={"changed": changed})
    return station


def charging_station_status_set(*, actor, station_id: int, status: str,
                                reason: str = "") -> ChargingStation:
    """The office takes a station out of service (from in service or fault) or puts it back
    in service (from out of service, only when no fault is open). ``reason`` is required
    for out of service. Needs ``traffic.manage_charging``; Conflict for a state that does
    not allow it."""
    if not actor.has_perm("traffic.manage_charging"):
        raise NotAllowed()
    if status not in (Status.IN_SERVICE, Status.OUT_OF_SERVICE):
        raise field_error("status", _("Choose in service or out of service."))
    reason = (reason or "").strip()
    if status == Status.OUT_OF_SERVICE and not reason:
        raise field_error("reason", _("Say why the station is out of service."))
    if len(reason) > DESCRIPTION_MAX:
        raise field_error("reason", _("At most %(count)s characters.") % {"count": DESCRIPTION_MAX})
    with transaction.atomic():
        station = _locked_station(station_id)
        old = station.status
        if old == status:
            raise Conflict(msg_status(station), code="same_status")
        if status == Status.IN_SERVICE:
            if old != Status.OUT_OF_SERVICE:
                raise Conflict(_("A station with a fault goes back in service when its faults "
                                 "are marked fixed."), code="fault_open")
            if station.faults.filter(state=ChargingFault.State.OPEN).exists():
                raise Conflict(_("This station has open faults; mark them fixed first."),
                               code="fault_open")
            station.return_to_service()
        else:
            station.take_out_of_service()
        _save(station, ["status"])
        activity_record(target=station, actor=actor, verb="traffic.charging_station_status",
                        from_state=old, to_state=status, comment=reason)
    return station


# --- faults ---------------------------------------------------------------------------------
def _fault_category() -> HazardCategory:
    code = settings.SAFECAMPUS.get("CHARGING_FAULT_CATEGORY", "electrical")
    category = HazardCategory.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise DomainError(_("Fault reports are not set up: hazard category “%(code)s” does "
                            "not exist. Tell the security office.") % {"code": code},
                          code="no_category")
    return category


def charging_fault_report(
    *, actor, station_id: int, description: str, photos: Sequence = (),
    is_anonymous: bool = False, idempotency_key: str | None = None,
) -> ChargingFault:
    """Anyone signed in reports a fault at a station (``description`` required, at most
    2000 characters; ``photos`` as the hazard report takes them, all checked before anything
    is written). Opens a hazard routed to the station's operator unit, sets the station to
    ``fault`` and writes the station's timeline, all in one transaction. ``is_anonymous``:
    the fault keeps no reporter and the hazard is anonymous. The same ``idempotency_key``
    returns the first fault. Needs ``traffic.report_charging_fault``.

    Returns the fault (``hazard_id`` set). Raises DomainError (``description``, ``photos``,
    or the hazard category missing), NotAllowed, Conflict (station out of service)."""
    if not actor.has_perm("traffic.report_charging_fault"):
        raise NotAllowed()
    existing = idempotency_lookup(scope=FAULT_SCOPE, key=idempotency_key, model=ChargingFault,
                                  user=actor)
    if existing is not None:
        return existing
    description = (description or "").strip()
    if not description:
        raise field_error("description", _("Say what is wrong with the station."))
    if len(description) > DESCRIPTION_MAX:
        raise field_error("description", _("At most %(count)s characters.")
                       % {"count": DESCRIPTION_MAX})
    category = _fault_category()
    with transaction.atomic():
        station = _locked_station(station_id)
        if not can_proceed(station.report_fault):  # out of service
            raise Conflict(_("This station is out of service; no fault can be reported."),
                           code="out_of_service")
        fault = ChargingFault.objects.create(
            station=station, reporter=None if is_anonymous else actor, description=description)
        unit = station.operator_unit
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Charging station fault: %(station)s") % {"station": station.name}
            location = _("%(station)s (operator: %(operator)s)") % {
                "station": station.name, "operator": station.operator_name}
        hazard = hazard_services.hazard_report(
            reporter=actor, title=title[:120], category_id=category.pk,
            campus_id=station.campus_id, place_id=station.place_id,
            description=description, location_text=location[:200],
            is_anonymous=is_anonymous, photos=photos, source=Source.REPORT,
            source_record=fault,
            responsible_unit_id=unit.pk if unit is not None and unit.is_active else None)
        fault.hazard_id = hazard.pk
        fault.save(update_fields=["hazard_id", "updated_at"])
        old = station.status
        station.report_fault()
        if old != station.status:
            _save(station, ["status"])
        activity_record(target=station, actor=None if is_anonymous else actor,
                        verb="traffic.charging_fault_report", from_state=old,
                        to_state=station.status, comment=description,
                        data={"fault": fault.pk, "hazard": hazard.pk,
                              "unit": hazard.responsible_unit_id, "anonymous": is_anonymous})
        winner = idempotency_race_lost(scope=FAULT_SCOPE, key=idempotency_key, user=actor,
                                       result=fault)
        if winner is not None:
            return winner
    return fault


def charging_fault_fix(*, actor, fault_id: int, comment: str = "") -> ChargingFault:
    """The office marks a fault fixed; when no other fault of the station is open, a station
    in ``fault`` goes back ``in_service`` (both on the station's timeline). Needs
    ``traffic.manage_charging``; Conflict when the fault is fixed already."""
    if not actor.has_perm("traffic.manage_charging"):
        raise NotAllowed()
    comment = (comment or "").strip()
    if len(comment) > DESCRIPTION_MAX:
        raise field_error("comment", _("At most %(count)s characters.") % {"count": DESCRIPTION_MAX})
    with transaction.atomic():
        found = (ChargingFault.objects.filter(pk=fault_id).values_list("station_id", flat=True)
                 .first() if id_or_none(fault_id) else None)
        if found is None:
            raise DomainError(_("This fault does not exist."), code="not_found")
        station = _locked_station(found)  # station first, then fault: one lock order
        fault = ChargingFault.objects.select_for_update().get(pk=fault_id)
        if not can_proceed(fault.mark_fixed):
            raise Conflict(_("This fault is already marked fixed."), code="fixed")
        fault.mark_fixed()
        fault.fixed_at = clock.now()
        _save(fault, ["state", "fixed_at"])
        old = station.status
        still_open = station.faults.filter(state=ChargingFault.State.OPEN).exists()
        if not still_open and can_proceed(station.mark_fixed):
            station.mark_fixed()
            _save(station, ["status"])
        activity_record(target=station, actor=actor, verb="traffic.charging_fault_fix",
                        from_state=old, to_state=station.status, comment=comment,
                        data={"fault": fault.pk, "hazard": fault.hazard_id})
    return fault
