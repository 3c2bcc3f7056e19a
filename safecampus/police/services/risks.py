"""Risk register (安全风险分级管控), writes: register and edit risk points, grade them (LEC or
matrix, :mod:`safecampus.police.grading`), keep their control measures, publish and retire
them, keep each place's ``risk_level`` in step, and remind people of reviews that are due.

Who: the office registers, edits, publishes and retires points
(``police.manage_risk_points``); the office and the people who answer for a point (its
responsible person, its unit's safety contacts and leaders) assess it and keep its measures
(``police.assess_risk_point``).

Place sync: a place's ``risk_level`` is the highest level among its published points (blank
when none); it is recomputed in the same transaction whenever a point at the place is
published, reassessed, moved or retired, with an activity entry on the place.

Errors: :class:`~safecampus.core.errors.DomainError` (400, ``field_errors`` name the fields),
:class:`~safecampus.core.errors.NotAllowed` (403), :class:`~safecampus.core.errors.Conflict`
(409: a transition the state does not allow, or a concurrent change).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django_fsm import can_proceed

from safecampus.accounts.models import Role, User
from safecampus.accounts.selectors import office_people, unit_people
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import (
    Conflict,
    DomainError,
    perm_require,
    raise_field_errors,
    text_checked,
)
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.notifications.services import notification_send
from safecampus.organisation.models import Building, Campus, Place, Unit

from .. import grading
from ..models import ControlMeasure, RiskAssessment, RiskPoint, RiskReview
from ..models.risks import ControlTier

REGISTER_SCOPE = "police.risk_point_register"
MEASURE_SCOPE = "police.control_measure_add"
NAME_MAX = 120
LOCATION_MAX = 200
ACCIDENTS_MAX = 300
TEXT_MAX = 4000
CYCLE_MAX = 3650
#: Fields of a point that the register form and the API edit.
POINT_FIELDS = ("name", "kind", "campus_id", "building_id", "place_id", "location_text",
                "map_x", "map_y", "hazard_factors", "possible_accidents",
                "responsible_unit_id", "responsible_person_id", "review_cycle_days",
                "shared_with_partners")


# --- messages ---------------------------------------------------------------------------------
def msg_not_found() -> str:
    return _("This risk point does not exist.")


def msg_state(point: RiskPoint) -> str:
    return _("This cannot be done while the risk point is “%(state)s”.") % {
        "state": point.get_state_display()}


def _check_person_in_unit(person, unit, errors: dict) -> None:
    """The responsible person belongs to the responsible unit (a membership there), or is the
    security office's, which answers for any unit; else a field error."""
    if person is None or unit is None:
        return
    from safecampus.accounts.models import Membership

    if Membership.objects.filter(user=person).filter(
            Q(unit=unit) | Q(role__in=(Role.OFFICE_ADMIN, Role.OFFICE_STAFF))).exists():
        return
    errors["responsible_person"] = [
        _("%(person)s is not a member of %(unit)s: choose someone of the responsible unit.")
        % {"person": person, "unit": unit}]


def msg_no_responsible_person() -> str:
    return _("A risk point without a responsible person cannot be published.")


def msg_not_assessed() -> str:
    return _("Assess the risk point before publishing it.")


def msg_no_measure() -> str:
    return _("Add at least one control measure in force, with its responsible unit, before "
             "publishing.")


def msg_measure_tier(level: str) -> str:
    """No measure in force at the tier ``level`` needs (or higher) with a responsible person."""
    return _("Add a control measure in force at the “%(tier)s” tier or higher, with its "
             "responsible person, before publishing.") % {
        "tier": ControlTier(grading.TIER_BY_LEVEL[level]).label}


def msg_unit_kept() -> str:
    return _("A published risk point keeps its responsible unit.")


# --- helpers ----------------------------------------------------------------------------------
def _percent(value, *, field: str, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or not (0 <= number <= 100):
        errors[field] = [_("A map position is a percentage from 0 to 100.")]
        return None
    return number.quantize(Decimal("0.01"))


def _point_locked(point_id) -> RiskPoint:
    point = (RiskPoint.objects.select_for_update().filter(pk=id_or_none(point_id) or 0)
             .first())
    if point is None:
        raise DomainError(msg_not_found(), code="not_found")
    return point


def _point_fields(data: dict, *, current: RiskPoint | None = None) -> dict:
    """Check a point's fields (``POINT_FIELDS``; missing keys keep ``current``'s values) and
    resolve ids. Raises DomainError with every field's message at once."""
    def get(key, default=None):
        if key in data:
            return data[key]
        if current is not None:
            return getattr(current, key)
        return default

    errors: dict[str, list[str]] = {}
    name = text_checked(get("name"), field="name", limit=NAME_MAX, errors=errors,
                        required=_("Give the risk point a name."))
    kind = get("kind") or ""
    if kind not in RiskPoint.Kind.values:
        errors["kind"] = [_("Choose the kind of risk point.")]
    hazard_factors = text_checked(get("hazard_factors"), field="hazard_factors",
                                  limit=TEXT_MAX, errors=errors,
                                  required=_("Name the hazard factors."))
    possible_accidents = text_checked(get("possible_accidents"), field="possible_accidents",
                                      limit=ACCIDENTS_MAX, errors=errors)
    location_text = text_checked(get("location_text"), field="location_text",
                                 limit=LOCATION_MAX, errors=errors)
    place = building = campus = None
    place_id, building_id, campus_id = (get("place_id"), get("building_id"), get("campus_id"))
    if place_id not in (None, ""):
        place = (Place.objects.select_related("building", "campus")
                 .filter(pk=id_or_none(place_id) or 0).first())
        if place is None:
            errors["place"] = [_("No such place.")]
    if building_id not in (None, ""):
        building = (Building.objects.select_related("campus")
                    .filter(pk=id_or_none(building_id) or 0).first())
        if building is None:
            errors["building"] = [_("No such building.")]
    if campus_id not in (None, ""):
        campus = Campus.objects.filter(pk=id_or_none(campus_id) or 0).first()
        if campus is None:
            errors["campus"] = [_("No such campus.")]
    if place is not None:
        if building is not None and place.building_id and building.pk != place.building_id:
            errors["building"] = [_("The place is in another building.")]
        building = place.building or building
        if campus is not None and campus.pk != place.campus_id:
            errors["campus"] = [_("The place is on another campus.")]
        campus = place.campus
    elif building is not None:
        if campus is not None and campus.pk != building.campus_id:
            errors["campus"] = [_("The building is on another campus.")]
        campus = building.campus
    if campus is None and "campus" not in errors:
        errors["campus"] = [_("Choose the campus.")]
    map_x = _percent(get("map_x"), field="map_x", errors=errors)
    map_y = _percent(get("map_y"), field="map_y", errors=errors)
    moved = current is None or (place and place.pk) != current.place_id or (
        building and building.pk) != current.building_id
    if map_x is None and map_y is None and moved:
        # Default position: the place's, else the building's.
        for source in (place, building):
            if source is not None and source.map_x is not None and source.map_y is not None:
                map_x, map_y = source.map_x, source.map_y
                break
    unit = None
    unit_id = get("responsible_unit_id")
    if unit_id not in (None, ""):
        unit = Unit.objects.filter(pk=id_or_none(unit_id) or 0, is_active=True).first()
        if unit is None:
            errors["responsible_unit"] = [_("No such unit.")]
    person = None
    person_id = get("responsible_person_id")
    if person_id not in (None, ""):
        person = User.objects.filter(pk=id_or_none(person_id) or 0, is_active=True).first()
        if person is None:
            errors["responsible_person"] = [_("No such person.")]
    _check_person_in_unit(person, unit, errors)
    cycle = get("review_cycle_days")
    if cycle in ("",):
        cycle = None
    if cycle is not None:
        try:
            cycle = int(cycle)
        except (TypeError, ValueError):
            cycle = -1
        if not 1 <= cycle <= CYCLE_MAX:
            errors["review_cycle_days"] = [
                _("A review cycle is from 1 to %(days)s days.") % {"days": CYCLE_MAX}]
    shared = get("shared_with_partners", True)
    raise_field_errors(errors)
    return {"name": name, "kind": kind, "campus": campus, "building": building, "place": place,
            "location_text": location_text, "map_x": map_x, "map_y": map_y,
            "hazard_factors": hazard_factors, "possible_accidents": possible_accidents,
            "responsible_unit": unit, "responsible_person": person,
            "review_cycle_days": cycle, "shared_with_partners": bool(shared)}


def _next_code(campus: Campus) -> str:
    """``FX-<CAMPUS CODE>-0001``: one more than the campus's highest (call with the campus
    row locked)."""
    prefix = f"FX-{campus.code.upper()}-"
    highest = 0
    for code in RiskPoint.objects.filter(code__startswith=prefix).values_list("code", flat=True):
        match = re.fullmatch(re.escape(prefix) + r"(\d+)", code)
        if match:
            highest = max(highest, int(match.group(1)))
    return f"{prefix}{highest + 1:04d}"


def place_risk_sync(*, actor, place_id: int | None) -> str | None:
    """Set ``Place.risk_level`` to the highest level among the place's published points
    (blank when none), with an activity entry when it changes. Call inside the transaction of
    the change. Returns the new level, or None when nothing changed (or no place)."""
    if not place_id:
        return None
    place = Place.objects.select_for_update().filter(pk=place_id).first()
    if place is None:
        return None
    levels = (RiskPoint.objects.filter(place_id=place_id, state=RiskPoint.State.PUBLISHED)
              .values_list("level", flat=True))
    level = grading.level_max(levels)
    if level == place.risk_level:
        return None
    old = place.risk_level
    place.risk_level = level
    place.save(update_fields=["risk_level", "updated_at"])
    activity_record(target=place, actor=actor, verb="organisation.place_risk_level",
                    from_state=old, to_state=level)
    return level


def _notify(recipients, *, verb: str, title: str, point: RiskPoint, dedupe_key: str = ""):
    recipients = [r for r in recipients if r is not None]
    if not recipients:
        return
    url = reverse("police:risk_detail", args=[point.pk])
    transaction.on_commit(lambda: notification_send(
        recipients=recipients, verb=verb, title=title, url=url, dedupe_key=dedupe_key))


def _answerers(point: RiskPoint) -> list:
    """Who answers for a point: its responsible person, else its unit's safety contacts."""
    if point.responsible_person_id:
        return [point.responsible_person]
    return unit_people(point.responsible_unit_id, Role.UNIT_SAFETY_CONTACT)


# --- risk points ------------------------------------------------------------------------------
def risk_point_register(*, actor, data: dict, idempotency_key: str | None = None) -> RiskPoint:
    """A draft risk point. ``data`` holds ``POINT_FIELDS`` (ids for campus, building, place,
    responsible unit and person; map x/y in percent). A place sets campus and building, a
    building the campus; without a map position the place's (else the building's) is used.
    The code ``FX-<campus code>-0001`` is the campus's next, unique also when two points are
    registered at once."""
    perm_require(actor, "police.manage_risk_points", system=True)
    earlier = idempotency_lookup(scope=REGISTER_SCOPE, key=idempotency_key, model=RiskPoint,
                                 user=actor)
    if earlier is not None:
        return earlier
    fields = _point_fields(data)
    with transaction.atomic():
        Campus.objects.select_for_update().filter(pk=fields["campus"].pk).first()
        point = RiskPoint.objects.create(code=_next_code(fields["campus"]), created_by=actor,
                                         **fields)
        activity_record(target=point, actor=actor, verb="police.risk_point_register",
                        to_state=point.state)
        winner = idempotency_race_lost(scope=REGISTER_SCOPE, key=idempotency_key, user=actor,
                                       result=point)
    return winner or point


def risk_point_update(*, actor, risk_point_id: int, changes: dict) -> RiskPoint:
    """Edit a draft or published point (``changes``: some of ``POINT_FIELDS``). A published
    point moved to another place updates both places' levels; it cannot lose its responsible
    person or unit (DomainError at that field). Retired points are refused."""
    with transaction.atomic():
        point = _point_locked(risk_point_id)
        perm_require(actor, "police.manage_risk_points", point, system=True)
        if point.state == RiskPoint.State.RETIRED:
            raise Conflict(msg_state(point))
        fields = _point_fields({k: v for k, v in changes.items() if k in POINT_FIELDS},
                               current=point)
        if point.state == RiskPoint.State.PUBLISHED:
            # What publishing required stays: a published point is never left without the
            # person (or the unit) who answers for it.
            errors: dict[str, list[str]] = {}
            if fields["responsible_person"] is None:
                errors["responsible_person"] = [msg_no_responsible_person()]
            if fields["responsible_unit"] is None and point.responsible_unit_id:
                errors["responsible_unit"] = [msg_unit_kept()]
            raise_field_errors(errors)
        old_place_id = point.place_id
        changed = []
        for key, value in fields.items():
            if getattr(point, key) != value:
                setattr(point, key, value)
                changed.append(key)
        if changed:
            point.save()
            activity_record(target=point, actor=actor, verb="police.risk_point_update",
                            data={"fields": sorted(set(changed))})
            if point.state == RiskPoint.State.PUBLISHED and old_place_id != point.place_id:
                place_risk_sync(actor=actor, place_id=old_place_id)
                place_risk_sync(actor=actor, place_id=point.place_id)
    return point


def risk_point_assess(*, actor, risk_point_id: int, method: str, lec_l=None, lec_e=None,
                      lec_c=None, likelihood=None, severity=None,
                      reason: str = RiskAssessment.Reason.INITIAL,
                      note: str = "") -> RiskAssessment:
    """Grade a point (LEC or matrix, :func:`safecampus.police.grading.grade`) and keep the
    assessment as history. The point takes its level, method, score, control tier and
    ``last_assessed_at``; the next review is the assessment's local date plus the point's
    cycle (else ``RISK_REVIEW_DAYS[level]``). Every open review request of the point is
    resolved by this assessment. A published point whose level changes updates its place."""
    errors: dict[str, list[str]] = {}
    note = text_checked(note, field="note", limit=TEXT_MAX, errors=errors)
    if reason not in RiskAssessment.Reason.values:
        errors["reason"] = [_("Choose why the point is assessed.")]
    raise_field_errors(errors)
    result = grading.grade(method, lec_l=lec_l, lec_e=lec_e, lec_c=lec_c,
                           likelihood=likelihood, severity=severity)
    with transaction.atomic():
        point = _point_locked(risk_point_id)
        perm_require(actor, "police.assess_risk_point", point, system=True)
        if point.state == RiskPoint.State.RETIRED:
            raise Conflict(msg_state(point))
        now = clock.now()
        is_lec = result.method == "lec"
        assessment = RiskAssessment.objects.create(
            risk_point=point, method=result.method, score=result.score, level=result.level,
            lec_l=Decimal(str(lec_l)) if is_lec else None,
            lec_e=Decimal(str(lec_e)) if is_lec else None,
            lec_c=Decimal(str(lec_c)) if is_lec else None,
            likelihood=None if is_lec else int(Decimal(str(likelihood))),
            severity=None if is_lec else int(Decimal(str(severity))),
            reason=reason, note=note, assessed_by=actor, assessed_at=now)
        old_level = point.level
        cycle = point.review_cycle_days or settings.SAFECAMPUS["RISK_REVIEW_DAYS"][result.level]
        point.level = result.level
        point.method = result.method
        point.score = result.score
        point.control_tier = result.control_tier
        point.last_assessed_at = now
        point.next_review_on = now.astimezone(clock.local_zone()).date() + dt.timedelta(
            days=cycle)
        point.save()
        resolved = RiskReview.objects.filter(risk_point=point, assessment__isnull=True).update(
            assessment=assessment, updated_at=now)
        activity_record(target=point, actor=actor, verb="police.risk_point_assess",
                        comment=note, data={
                            "assessment": assessment.pk, "method": result.method,
                            "score": str(result.score), "from_level": old_level,
                            "to_level": result.level, "reviews_resolved": resolved})
        if point.state == RiskPoint.State.PUBLISHED and old_level != result.level:
            place_risk_sync(actor=actor, place_id=point.place_id)
    return assessment


def risk_point_publish(*, actor, risk_point_id: int) -> RiskPoint:
    """Draft → published. Refused (every reason at once) unless the point is assessed, has a
    responsible person and at least one control measure in force at the control tier its
    level needs or higher (:func:`~safecampus.police.grading.tiers_for_level`) with a
    responsible person. The place's level follows."""
    with transaction.atomic():
        point = _point_locked(risk_point_id)
        perm_require(actor, "police.manage_risk_points", point, system=True)
        if not can_proceed(point.publish):
            raise Conflict(msg_state(point))
        problems = []
        if not point.level:
            problems.append(msg_not_assessed())
        if not point.responsible_person_id:
            problems.append(msg_no_responsible_person())
        in_force = point.measures.filter(is_active=True, responsible_unit__isnull=False)
        if not point.level:
            if not in_force.exists():
                problems.append(msg_no_measure())
        elif not in_force.filter(tier__in=grading.tiers_for_level(point.level),
                                 responsible_person__isnull=False).exists():
            problems.append(msg_measure_tier(point.level))
        if problems:
            raise DomainError(problems[0], code="not_ready",
                              field_errors={"__all__": problems})
        old = point.state
        point.publish()
        point.published_at = clock.now()
        point.save()
        activity_record(target=point, actor=actor, verb="police.risk_point_publish",
                        from_state=old, to_state=point.state)
        place_risk_sync(actor=actor, place_id=point.place_id)
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Risk point %(code)s %(name)s is published; you answer for it.") % {
                "code": point.code, "name": point.name}
        _notify([point.responsible_person], verb="police.risk_point_publish", point=point,
                title=title)
    return point


def risk_point_retire(*, actor, risk_point_id: int, reason: str) -> RiskPoint:
    """Published → retired (the risk no longer exists), with a reason; the place's level
    follows."""
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=TEXT_MAX, errors=errors,
                          required=_("Say why the risk point is retired."))
    raise_field_errors(errors)
    with transaction.atomic():
        point = _point_locked(risk_point_id)
        perm_require(actor, "police.manage_risk_points", point, system=True)
        if not can_proceed(point.retire):
            raise Conflict(msg_state(point))
        old = point.state
        point.retire()
        point.save()
        activity_record(target=point, actor=actor, verb="police.risk_point_retire",
                        from_state=old, to_state=point.state, comment=reason)
        place_risk_sync(actor=actor, place_id=point.place_id)
    return point


# --- control measures -------------------------------------------------------------------------
def _measure_fields(*, kind, description, tier, responsible_unit_id,
                    responsible_person_id) -> dict:
    errors: dict[str, list[str]] = {}
    if kind not in ControlMeasure.Kind.values:
        errors["kind"] = [_("Choose the kind of measure.")]
    description = text_checked(description, field="description", limit=TEXT_MAX,
                               errors=errors, required=_("Describe the measure."))
    if tier not in ControlTier.values:
        errors["tier"] = [_("Choose the control tier.")]
    unit = None
    if responsible_unit_id in (None, ""):
        errors["responsible_unit"] = [_("Choose the responsible unit.")]
    else:
        unit = Unit.objects.filter(pk=id_or_none(responsible_unit_id) or 0,
                                   is_active=True).first()
        if unit is None:
            errors["responsible_unit"] = [_("No such unit.")]
    person = None
    if responsible_person_id not in (None, ""):
        person = User.objects.filter(pk=id_or_none(responsible_person_id) or 0,
                                     is_active=True).first()
        if person is None:
            errors["responsible_person"] = [_("No such person.")]
    _check_person_in_unit(person, unit, errors)
    raise_field_errors(errors)
    return {"kind": kind, "description": description, "tier": tier,
            "responsible_unit": unit, "responsible_person": person}


def control_measure_add(*, actor, risk_point_id: int, kind: str, description: str, tier: str,
                        responsible_unit_id: int, responsible_person_id: int | None = None,
                        idempotency_key: str | None = None) -> ControlMeasure:
    """A control measure in force on a draft or published point."""
    earlier = idempotency_lookup(scope=MEASURE_SCOPE, key=idempotency_key,
                                 model=ControlMeasure, user=actor)
    if earlier is not None:
        return earlier
    fields = _measure_fields(kind=kind, description=description, tier=tier,
                             responsible_unit_id=responsible_unit_id,
                             responsible_person_id=responsible_person_id)
    with transaction.atomic():
        point = _point_locked(risk_point_id)
        perm_require(actor, "police.assess_risk_point", point, system=True)
        if point.state == RiskPoint.State.RETIRED:
            raise Conflict(msg_state(point))
        measure = ControlMeasure.objects.create(risk_point=point, **fields)
        activity_record(target=point, actor=actor, verb="police.control_measure_add",
                        comment=measure.description[:200], data={"measure": measure.pk})
        winner = idempotency_race_lost(scope=MEASURE_SCOPE, key=idempotency_key, user=actor,
                                       result=measure)
    return winner or measure


def _measure_locked(measure_id) -> tuple[ControlMeasure, RiskPoint]:
    measure = ControlMeasure.objects.filter(pk=id_or_none(measure_id) or 0).first()
    if measure is None:
        raise DomainError(_("This control measure does not exist."), code="not_found")
    point = _point_locked(measure.risk_point_id)
    measure = ControlMeasure.objects.select_for_update().get(pk=measure.pk)
    return measure, point


def control_measure_update(*, actor, measure_id: int, kind: str, description: str, tier: str,
                           responsible_unit_id: int,
                           responsible_person_id: int | None = None) -> ControlMeasure:
    fields = _measure_fields(kind=kind, description=description, tier=tier,
                             responsible_unit_id=responsible_unit_id,
                             responsible_person_id=responsible_person_id)
    with transaction.atomic():
        measure, point = _measure_locked(measure_id)
        perm_require(actor, "police.assess_risk_point", point, system=True)
        if point.state == RiskPoint.State.RETIRED or not measure.is_active:
            raise Conflict(_("Only a measure in force on a current risk point can be edited."))
        for key, value in fields.items():
            setattr(measure, key, value)
        measure.save()
        activity_record(target=point, actor=actor, verb="police.control_measure_update",
                        comment=measure.description[:200], data={"measure": measure.pk})
    return measure


def control_measure_withdraw(*, actor, measure_id: int, reason: str = "") -> ControlMeasure:
    """Take a measure out of force. A published point keeps at least one measure in force."""
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=TEXT_MAX, errors=errors)
    raise_field_errors(errors)
    with transaction.atomic():
        measure, point = _measure_locked(measure_id)
        perm_require(actor, "police.assess_risk_point", point, system=True)
        if not measure.is_active:
            raise Conflict(pgettext("control measure", "This measure is already withdrawn."))
        if (point.state == RiskPoint.State.PUBLISHED
                and not point.measures.filter(is_active=True).exclude(pk=measure.pk).exists()):
            raise DomainError(_("A published risk point keeps at least one control measure in "
                                "force: add another one first."), code="last_measure")
        measure.is_active = False
        measure.save(update_fields=["is_active", "updated_at"])
        activity_record(target=point, actor=actor, verb="police.control_measure_withdraw",
                        comment=reason, data={"measure": measure.pk})
    return measure


# --- review reminders -------------------------------------------------------------------------
def risk_reviews_remind(*, today: dt.date | None = None) -> int:
    """Remind once per due date about published points whose review is due today or earlier:
    the responsible person (else the unit's safety contacts), and the office staff too for a
    major risk. Idempotent (``review_reminded_for`` and a dedupe key per point and date).
    Returns how many points were reminded."""
    today = today or clock.local_today()
    due = (RiskPoint.objects.filter(state=RiskPoint.State.PUBLISHED, next_review_on__lte=today)
           .select_related("responsible_person").order_by("pk"))
    count = 0
    staff = None
    with translation.override(settings.LANGUAGE_CODE):
        for point in due.iterator():
            if point.review_reminded_for == point.next_review_on:
                continue
            with transaction.atomic():
                won = (RiskPoint.objects.filter(pk=point.pk, next_review_on=point.next_review_on)
                       .exclude(review_reminded_for=point.next_review_on)
                       .update(review_reminded_for=point.next_review_on))
                if not won:
                    continue
                recipients = list(_answerers(point))
                if point.level == grading.MAJOR:
                    if staff is None:
                        staff = office_people()
                    recipients += staff
                title = _("Risk point %(code)s %(name)s is due for review (%(date)s).") % {
                    "code": point.code, "name": point.name,
                    "date": point.next_review_on.isoformat()}
                _notify(recipients, verb="police.risk_review_due", title=title, point=point,
                        dedupe_key=f"risk_review:{point.pk}:{point.next_review_on}")
                count += 1
    return count


__all__ = [
    "POINT_FIELDS", "control_measure_add", "control_measure_update", "control_measure_withdraw",
    "place_risk_sync", "risk_point_assess", "risk_point_publish", "risk_point_register",
    "risk_point_retire", "risk_point_update", "risk_reviews_remind",
]
