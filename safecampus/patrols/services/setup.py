"""Setting patrols up (writes, the office): routes, checkpoints, schedules and shift rosters.

Every function takes keyword-only arguments, needs ``patrols.manage_patrols`` (raises
:class:`~safecampus.core.errors.NotAllowed`), checks its input before writing (raises
:class:`~safecampus.core.errors.DomainError` with ``field_errors`` keyed by the form/API
field names, nothing written) and records an activity entry per change in the same
transaction. Clock times of schedules are local (Asia/Shanghai); a schedule whose end is not
after its start runs overnight.

Checkpoint codes are issued and rotated by :mod:`.patrolling` (``checkpoint_rotate_code``);
this module only asks it for a fresh manual code when a checkpoint is added.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Max, Value, When
from django.utils.translation import gettext as _

from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.forms import id_or_none
from safecampus.core.geo import LATITUDE_LIMIT, LONGITUDE_LIMIT, BadCoordinate, parse_degrees
from safecampus.core.idempotency import idempotency_lookup, idempotency_remember
from safecampus.organisation.models import Campus, Place, Zone

from ..models import Checkpoint, PatrolRound, PatrolRoute, PatrolSchedule, PatrolShift
from ..selectors.setup import patrol_people
from . import patrolling

ROUTE_CODE_RE = re.compile(r"^[A-Za-z0-9_-]+$")
ROUTE_CODE_MAX = 32
ROUTE_NAME_MAX = 100
CHECKPOINT_NAME_MAX = 100
SCHEDULE_NAME_MAX = 64
TEXT_MAX = 2000
#: Allowed distance of a checkpoint, metres: GPS on a phone is rarely better than 10 m.
RADIUS_MIN, RADIUS_MAX = 10, 5000
DEFAULT_RADIUS = 150
ROUNDS_MAX = 48
WINDOW_MIN = 5
DAY_MINUTES = 24 * 60


def _require(actor) -> None:
    if not actor.has_perm("patrols.manage_patrols"):
        raise NotAllowed()


def _refuse(errors: dict[str, list[str]], code: str = "invalid") -> None:
    """Raise one DomainError carrying every field's messages (nothing has been written)."""
    if errors:
        message = " ".join(messages[0] for messages in errors.values())
        raise DomainError(message, code=code, field_errors=errors)


def _create_once(*, scope: str, key: str | None, actor, model, create):
    """``create()`` (checks, writes, returns the new object) in one transaction, once per
    idempotency ``key``: a repeated call returns the first result, and a concurrent one that
    lost the race rolls back and returns the winner's."""
    existing = idempotency_lookup(scope=scope, key=key, model=model, user=actor)
    if existing is not None:
        return existing
    with transaction.atomic():
        created = create()
        if idempotency_remember(scope=scope, key=key, user=actor, result=created):
            return created
        transaction.set_rollback(True)
    return idempotency_lookup(scope=scope, key=key, model=model, user=actor)


def _active_label(active: bool) -> str:
    return "active" if active else "inactive"


# --- routes ----------------------------------------------------------------------------------
def route_errors(*, campus_id, zone_id, code, name, description,
                 route_id: int | None = None) -> dict[str, list[str]]:
    """The messages, by field, with which :func:`route_create` (or :func:`route_update` of
    ``route_id``) would refuse these values; empty when they would pass. Writes nothing; for
    forms that show every error of a submit at once."""
    route = (PatrolRoute.objects.filter(pk=route_id).first()
             if str(route_id or "").isdigit() else None)
    return _route_check(campus_id=campus_id, zone_id=zone_id, code=code, name=name,
                        description=description, route=route)[0]


def _route_clean(**values) -> dict:
    errors, data = _route_check(**values)
    _refuse(errors)
    return data


def _route_check(*, campus_id, zone_id, code, name, description, route=None,
                 ) -> tuple[dict[str, list[str]], dict]:
    errors: dict[str, list[str]] = {}
    code = (code or "").strip()
    name = (name or "").strip()
    description = (description or "").strip()
    campus = (Campus.objects.filter(pk=campus_id).first()
              if str(campus_id or "").isdigit() else None)
    if campus is None:
        errors["campus"] = [_("Choose the campus of the route.")]
    zone = None
    if zone_id not in (None, ""):
        zone = Zone.objects.filter(pk=zone_id).first() if str(zone_id).isdigit() else None
        if zone is None:
            errors["zone"] = [_("No such zone.")]
        elif campus is not None and zone.campus_id != campus.pk:
            errors["zone"] = [_("The zone %(zone)s is not on campus %(campus)s.")
                              % {"zone": zone.name, "campus": campus.name}]
    if not code:
        errors["code"] = [_("Give the route a short code, e.g. north-night.")]
    elif len(code) > ROUTE_CODE_MAX or not ROUTE_CODE_RE.match(code):
        errors["code"] = [_("Use at most %(limit)s letters, digits, dashes or underscores for "
                            "the code.") % {"limit": ROUTE_CODE_MAX}]
    elif PatrolRoute.objects.filter(code__iexact=code).exclude(
            pk=route.pk if route else None).exists():
        errors["code"] = [_("Another route already has the code %(code)s.") % {"code": code}]
    if not name:
        errors["name"] = [_("Give the route a name.")]
    elif len(name) > ROUTE_NAME_MAX:
        errors["name"] = [_("The name is too long (at most %(limit)s characters).")
                          % {"limit": ROUTE_NAME_MAX}]
    if len(description) > TEXT_MAX:
        errors["description"] = [_("The description is too long (at most %(limit)s "
                                   "characters).") % {"limit": TEXT_MAX}]
    if route is not None and campus is not None and campus.pk != route.campus_id \
            and route.checkpoints.exists():
        errors["campus"] = [_("The route's checkpoints are on campus %(campus)s: it cannot move "
                              "to another campus.") % {"campus": route.campus.name}]
    return errors, {"campus": campus, "zone": zone, "code": code, "name": name,
                    "description": description}


def route_create(*, actor, campus_id: int, code: str, name: str, zone_id: int | None = None,
                 description: str = "", is_active: bool = True,
                 idempotency_key: str | None = None) -> PatrolRoute:
    """Create a patrol route on a campus. ``code`` is unique (letters, digits, ``-``, ``_``,
    compared without case); ``zone_id`` must be a zone of that campus. The same
    ``idempotency_key`` returns the route it created the first time."""
    _require(actor)

    def create() -> PatrolRoute:
        data = _route_clean(campus_id=campus_id, zone_id=zone_id, code=code, name=name,
                            description=description)
        try:
            with transaction.atomic():
                route = PatrolRoute.objects.create(**data, is_active=bool(is_active))
        except IntegrityError:  # the same code saved concurrently
            _refuse({"code": [_("Another route already has the code %(code)s.")
                              % {"code": data["code"]}]})
        activity_record(target=route, actor=actor, verb="patrols.route_create",
                        to_state=_active_label(route.is_active))
        return route

    return _create_once(scope="patrols.route_create", key=idempotency_key, actor=actor,
                        model=PatrolRoute, create=create)


def route_update(*, actor, route_id: int, campus_id: int, code: str, name: str,
                 zone_id: int | None = None, description: str = "",
                 is_active: bool = True) -> PatrolRoute:
    """Change a route. A route with checkpoints keeps its campus (its checkpoints' places are
    there). Deactivating stops planning new shifts for it and its stickers stop working;
    shifts already planned stay."""
    _require(actor)
    try:
        with transaction.atomic():
            route = PatrolRoute.objects.select_for_update().filter(pk=route_id).first()
            if route is None:
                raise DomainError(_("No such route."), code="not_found")
            data = _route_clean(campus_id=campus_id, zone_id=zone_id, code=code, name=name,
                                description=description, route=route)
            changed = [key for key, value in data.items() if getattr(route, key) != value]
            was_active, now_active = route.is_active, bool(is_active)
            for key, value in data.items():
                setattr(route, key, value)
            route.is_active = now_active
            route.save()
            if changed:
                activity_record(target=route, actor=actor, verb="patrols.route_update",
                                data={"changed": changed})
            if was_active != now_active:
                activity_record(target=route, actor=actor,
                                verb="patrols.route_activate" if now_active
                                else "patrols.route_deactivate",
                                from_state=_active_label(was_active),
                                to_state=_active_label(now_active))
    except IntegrityError:
        _refuse({"code": [_("Another route already has the code %(code)s.") % {"code": code}]})
    return route


# --- checkpoints -----------------------------------------------------------------------------
def _coordinate(value, limit: int, field: str, errors: dict) -> Decimal | None:
    try:
        return parse_degrees(value, limit=limit)
    except BadCoordinate as bad:
        if bad.reason == "not_a_number":
            errors[field] = [_("Enter the position in decimal degrees (WGS-84), not degrees "
                               "and minutes.")]
        elif limit == LATITUDE_LIMIT:
            errors[field] = [_("The latitude must be between -90 and 90 degrees.")]
        else:
            errors[field] = [_("The longitude must be between -180 and 180 degrees.")]
        return None


def _checkpoint_clean(*, name, latitude, longitude, radius_m, errors=None) -> dict:
    """The checked values; refuses with every field's message at once, ``errors`` (e.g. the
    place's) included."""
    errors = dict(errors or {})
    name = (name or "").strip()
    if len(name) > CHECKPOINT_NAME_MAX:
        errors["name"] = [_("The name is too long (at most %(limit)s characters).")
                          % {"limit": CHECKPOINT_NAME_MAX}]
    lat = _coordinate(latitude, LATITUDE_LIMIT, "latitude", errors)
    lon = _coordinate(longitude, LONGITUDE_LIMIT, "longitude", errors)
    if not errors and (lat is None) != (lon is None):
        missing = "longitude" if lon is None else "latitude"
        errors[missing] = [_("Give both latitude and longitude, or neither.")]
    try:
        radius = DEFAULT_RADIUS if radius_m in (None, "") else int(radius_m)
    except (TypeError, ValueError):
        radius = None
    if radius is None or not RADIUS_MIN <= radius <= RADIUS_MAX:
        errors["radius_m"] = [_("The allowed distance must be %(low)s to %(high)s metres.")
                              % {"low": RADIUS_MIN, "high": RADIUS_MAX}]
    _refuse(errors)
    return {"name": name, "latitude": lat, "longitude": lon, "radius_m": radius}


def _lock_route(route_id) -> PatrolRoute:
    route = (PatrolRoute.objects.select_for_update().filter(pk=route_id).first()
             if str(route_id or "").isdigit() else None)
    if route is None:
        raise DomainError(_("No such route."), code="not_found")
    return route


def checkpoint_add(*, actor, route_id: int, place_id: int, name: str = "",
                   latitude=None, longitude=None, radius_m: int | None = DEFAULT_RADIUS,
                   idempotency_key: str | None = None) -> Checkpoint:
    """Add a checkpoint at a place of the route's campus, last on the route, with a fresh
    manual code (its QR code is generation 1). ``latitude``/``longitude``: WGS-84 decimal
    degrees, both or neither; ``radius_m``: allowed distance of a scan (10–5000 m).
    Rounds already planned do not expect the new checkpoint; shifts planned later do."""
    _require(actor)
    route = (PatrolRoute.objects.select_related("campus").filter(pk=route_id).first()
             if str(route_id or "").isdigit() else None)
    if route is None:
        raise DomainError(_("No such route."), code="not_found")
    # The place's error and the position's together (checked again under the lock below).
    errors: dict[str, list[str]] = {}
    _checkpoint_place(route, place_id, errors)
    data = _checkpoint_clean(name=name, latitude=latitude, longitude=longitude,
                             radius_m=radius_m, errors=errors)

    def create() -> Checkpoint:
        route = _lock_route(route_id)  # one sequence number at a time per route
        errors: dict[str, list[str]] = {}
        place = _checkpoint_place(route, place_id, errors)
        _refuse(errors)
        last = Checkpoint.objects.filter(route=route).aggregate(n=Max("sequence"))["n"] or 0
        checkpoint = Checkpoint.objects.create(
            route=route, place=place, sequence=last + 1,
            manual_code=patrolling.checkpoint_manual_code_unique(), **data)
        activity_record(target=checkpoint, actor=actor, verb="patrols.checkpoint_add",
                        to_state="active", data={"route": route.pk, "place": place.pk,
                                                 "sequence": checkpoint.sequence})
        return checkpoint

    return _create_once(scope="patrols.checkpoint_add", key=idempotency_key, actor=actor,
                        model=Checkpoint, create=create)


def _checkpoint_place(route: PatrolRoute, place_id, errors: dict) -> Place | None:
    """The place ``place_id`` if it is on the route's campus; else None and its message in
    ``errors["place"]``."""
    place_id = id_or_none(place_id)
    place = (Place.objects.select_related("campus").filter(pk=place_id).first()
             if place_id else None)
    if place is None:
        errors["place"] = [_("Choose the place of the checkpoint.")]
    elif place.campus_id != route.campus_id:
        errors["place"] = [_("%(place)s is on campus %(other)s, not on the route's campus "
                             "%(campus)s.") % {"place": place.name, "other": place.campus.name,
                                               "campus": route.campus.name}]
    else:
        return place
    return None


def _lock_checkpoint(checkpoint_id) -> Checkpoint:
    checkpoint = (Checkpoint.objects.select_for_update().filter(pk=checkpoint_id).first()
                  if str(checkpoint_id or "").isdigit() else None)
    if checkpoint is None:
        raise DomainError(_("No such checkpoint."), code="not_found")
    return checkpoint


def checkpoint_update(*, actor, checkpoint_id: int, name: str = "", latitude=None,
                      longitude=None, radius_m: int | None = DEFAULT_RADIUS,
                      is_active: bool = True) -> Checkpoint:
    """Change a checkpoint's name, position, allowed distance or whether it is in use.

    A deactivated checkpoint's stickers are refused and rounds that have not opened yet stop
    expecting it (so nobody is alerted for a checkpoint that cannot be scanned); rounds
    already open keep it. Reactivating takes effect from the next shifts planned.
    """
    _require(actor)
    data = _checkpoint_clean(name=name, latitude=latitude, longitude=longitude,
                             radius_m=radius_m)
    with transaction.atomic():
        checkpoint = _lock_checkpoint(checkpoint_id)
        changed = [key for key, value in data.items() if getattr(checkpoint, key) != value]
        was_active, now_active = checkpoint.is_active, bool(is_active)
        for key, value in data.items():
            setattr(checkpoint, key, value)
        checkpoint.is_active = now_active
        checkpoint.save()
        if changed:
            activity_record(target=checkpoint, actor=actor, verb="patrols.checkpoint_update",
                            data={"changed": changed})
        if was_active != now_active:
            rounds = (_rounds_drop_checkpoint(checkpoint) if not now_active else 0)
            activity_record(target=checkpoint, actor=actor,
                            verb="patrols.checkpoint_activate" if now_active
                            else "patrols.checkpoint_deactivate",
                            from_state=_active_label(was_active),
                            to_state=_active_label(now_active),
                            data={"rounds_changed": rounds} if rounds else None)
    return checkpoint


def _rounds_drop_checkpoint(checkpoint: Checkpoint) -> int:
    """Take ``checkpoint`` out of the route's planned rounds whose window has not opened."""
    rounds = list(PatrolRound.objects.select_for_update()
                  .filter(route_id=checkpoint.route_id, state=PatrolRound.State.PLANNED,
                          window_start__gt=clock.now()))
    changed = [r for r in rounds if checkpoint.pk in r.checkpoint_ids]
    for round_ in changed:
        round_.checkpoint_ids = [pk for pk in round_.checkpoint_ids if pk != checkpoint.pk]
        round_.checkpoints_expected = len(round_.checkpoint_ids)
    PatrolRound.objects.bulk_update(changed, ["checkpoint_ids", "checkpoints_expected"])
    return len(changed)


def _resequence(route_id: int, ordered: list[Checkpoint]) -> None:
    """Number ``ordered`` (every checkpoint of the route) 1, 2, 3 … in two UPDATEs that never
    collide with the unique (route, sequence) constraint, which is checked row by row: first
    every row moves above the highest number in use, then down to its final place."""
    above = max(c.sequence for c in ordered)
    rows = Checkpoint.objects.filter(route_id=route_id)
    rows.update(sequence=Case(*[When(pk=c.pk, then=Value(above + i))
                                for i, c in enumerate(ordered, start=1)]))
    rows.update(sequence=F("sequence") - above)
    for i, c in enumerate(ordered, start=1):
        c.sequence = i


def checkpoint_move(*, actor, checkpoint_id: int, direction: str) -> Checkpoint:
    """Move a checkpoint one place ``"up"`` (earlier) or ``"down"`` (later) on its route; the
    route is renumbered 1…n in one transaction."""
    _require(actor)
    if direction not in ("up", "down"):
        raise DomainError(_("Move a checkpoint up or down."), code="invalid")
    found = None
    if str(checkpoint_id or "").isdigit():
        found = (Checkpoint.objects.filter(pk=checkpoint_id)
                 .values_list("route_id", flat=True).first())
    if found is None:
        raise DomainError(_("No such checkpoint."), code="not_found")
    with transaction.atomic():
        _lock_route(found)  # the same lock order as checkpoint_add: route, then checkpoints
        ordered = list(Checkpoint.objects.select_for_update().filter(route_id=found)
                       .order_by("sequence"))
        index = next((i for i, c in enumerate(ordered) if c.pk == int(checkpoint_id)), None)
        if index is None:  # moved to another route meanwhile (cannot happen today)
            raise DomainError(_("No such checkpoint."), code="not_found")
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(ordered):
            raise DomainError(_("This checkpoint is already first on the route.")
                              if direction == "up"
                              else _("This checkpoint is already last on the route."),
                              code="invalid")
        checkpoint = ordered[index]
        old = checkpoint.sequence
        ordered[index], ordered[other] = ordered[other], ordered[index]
        _resequence(found, ordered)
        activity_record(target=checkpoint, actor=actor, verb="patrols.checkpoint_move",
                        from_state=str(old), to_state=str(checkpoint.sequence))
    return checkpoint


def route_rotate_codes(*, actor, route_id: int) -> int:
    """Issue new QR and manual codes for every checkpoint of the route at once (after a sheet
    was lost or copied); every sticker printed before stops working. Returns how many."""
    _require(actor)
    with transaction.atomic():
        route = _lock_route(route_id)
        ids = list(Checkpoint.objects.filter(route=route).order_by("sequence")
                   .values_list("pk", flat=True))
        if not ids:
            raise DomainError(_("This route has no checkpoints yet."), code="invalid")
        for pk in ids:
            patrolling.checkpoint_rotate_code(actor=actor, checkpoint_id=pk)
        activity_record(target=route, actor=actor, verb="patrols.rotate_route_codes",
                        data={"checkpoints": len(ids)})
    return len(ids)


# --- schedules -------------------------------------------------------------------------------
def _as_time(value, field: str, errors: dict) -> dt.time | None:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return dt.time.fromisoformat(str(value).strip()).replace(second=0, microsecond=0)
    except (TypeError, ValueError):
        errors[field] = [_("Give the time as hours and minutes, e.g. 22:00.")]
        return None


def shift_minutes(starts_at: dt.time, ends_at: dt.time) -> int:
    """Length in minutes of a shift from ``starts_at`` to ``ends_at`` (local clock times); an
    end not after the start is on the next day, so 22:00–06:00 is 480 and 08:00–08:00 is
    1440."""
    start = starts_at.hour * 60 + starts_at.minute
    end = ends_at.hour * 60 + ends_at.minute
    return (end - start) % DAY_MINUTES or DAY_MINUTES


def _people(ids, errors: dict, field: str, message: str) -> list:
    wanted = {int(pk) for pk in ids if str(pk).isdigit()}
    if len(wanted) != len({str(pk) for pk in ids}):
        errors[field] = [message]
        return []
    found = list(patrol_people().filter(pk__in=wanted))
    if len(found) != len(wanted):
        errors[field] = [message]
    return found


def _schedule_clean(*, name, starts_at, ends_at, rounds, window_minutes, weekdays,
                    leader_id, guard_ids) -> dict:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the schedule a name, e.g. Night.")]
    elif len(name) > SCHEDULE_NAME_MAX:
        errors["name"] = [_("The name is too long (at most %(limit)s characters).")
                          % {"limit": SCHEDULE_NAME_MAX}]
    start = _as_time(starts_at, "starts_at", errors)
    end = _as_time(ends_at, "ends_at", errors)
    try:
        rounds = int(rounds)
    except (TypeError, ValueError):
        rounds = 0
    if not 1 <= rounds <= ROUNDS_MAX:
        errors["rounds"] = [_("Plan 1 to %(limit)s rounds per shift.") % {"limit": ROUNDS_MAX}]
    try:
        window = int(window_minutes)
    except (TypeError, ValueError):
        window = 0
    if window < WINDOW_MIN:
        errors["window_minutes"] = [_("A window is at least %(minutes)s minutes.")
                                    % {"minutes": WINDOW_MIN}]
    elif start is not None and end is not None and "rounds" not in errors:
        part = shift_minutes(start, end) // rounds
        if window > part:
            errors["window_minutes"] = [_(
                "A %(window)s-minute window does not fit: %(rounds)s rounds in this shift leave "
                "%(part)s minutes per round. Shorten the window or plan fewer rounds.")
                % {"window": window, "rounds": rounds, "part": part}]
    days = sorted({str(d).strip() for d in (weekdays or [])})
    if not days:
        errors["weekdays"] = [_("Choose at least one weekday.")]
    elif any(d not in "1234567" or len(d) != 1 for d in days):
        errors["weekdays"] = [_("Weekdays are 1 (Monday) to 7 (Sunday).")]
    leader = None
    if leader_id not in (None, ""):
        found = _people([leader_id], errors, "leader",
                        _("The shift leader must be a guard or a member of the office staff."))
        leader = found[0] if found else None
    guards = _people(list(guard_ids or []), errors, "guards",
                     _("Only guards and office staff can be put on a shift."))
    _refuse(errors)
    return {"name": name, "starts_at": start, "ends_at": end, "rounds": rounds,
            "window_minutes": window, "weekdays": "".join(days), "leader": leader,
            "guards": guards}


def _plan_ahead(schedule: PatrolSchedule) -> None:
    """Plan today's and tomorrow's shifts (patrolling.shifts_plan_ahead is idempotent: shifts
    planned before keep their times, guards and rounds)."""
    if schedule.is_active and schedule.route.is_active:
        patrolling.shifts_plan_ahead()


def schedule_create(*, actor, route_id: int, name: str, starts_at, ends_at, rounds: int,
                    window_minutes: int, weekdays, leader_id: int | None = None,
                    guard_ids=(), idempotency_key: str | None = None) -> PatrolSchedule:
    """Create a schedule for a route and plan its shifts of today and tomorrow.

    ``starts_at``/``ends_at``: local clock times (``datetime.time`` or ``"HH:MM"``), an end
    not after the start meaning overnight; ``rounds`` 1–48; ``window_minutes`` at least 5 and
    no longer than one round's part of the shift; ``weekdays``: ISO weekday numbers 1–7 (at
    least one); ``leader_id``/``guard_ids``: guards or office staff.
    """
    _require(actor)
    data = _schedule_clean(name=name, starts_at=starts_at, ends_at=ends_at, rounds=rounds,
                           window_minutes=window_minutes, weekdays=weekdays,
                           leader_id=leader_id, guard_ids=guard_ids)
    guards = data.pop("guards")

    def create() -> PatrolSchedule:
        route = _lock_route(route_id)
        schedule = PatrolSchedule.objects.create(route=route, **data)
        schedule.guards.set(guards)
        activity_record(target=schedule, actor=actor, verb="patrols.schedule_create",
                        to_state="active", data={"route": route.pk})
        return schedule

    schedule = _create_once(scope="patrols.schedule_create", key=idempotency_key, actor=actor,
                            model=PatrolSchedule, create=create)
    _plan_ahead(schedule)
    return schedule


def _lock_schedule(schedule_id) -> PatrolSchedule:
    schedule = (PatrolSchedule.objects.select_for_update().select_related("route")
                .filter(pk=schedule_id).first() if str(schedule_id or "").isdigit() else None)
    if schedule is None:
        raise DomainError(_("No such schedule."), code="not_found")
    return schedule


def schedule_update(*, actor, schedule_id: int, name: str, starts_at, ends_at, rounds: int,
                    window_minutes: int, weekdays, leader_id: int | None = None,
                    guard_ids=()) -> PatrolSchedule:
    """Change a schedule (same rules as :func:`schedule_create`). Shifts already planned keep
    their times, rounds, guards and leader (change a single shift with :func:`shift_assign`);
    today's and tomorrow's shifts not yet planned are planned with the new values."""
    _require(actor)
    data = _schedule_clean(name=name, starts_at=starts_at, ends_at=ends_at, rounds=rounds,
                           window_minutes=window_minutes, weekdays=weekdays,
                           leader_id=leader_id, guard_ids=guard_ids)
    guards = data.pop("guards")
    with transaction.atomic():
        schedule = _lock_schedule(schedule_id)
        changed = [key for key, value in data.items() if getattr(schedule, key) != value]
        old_guards = set(schedule.guards.values_list("pk", flat=True))
        if old_guards != {g.pk for g in guards}:
            changed.append("guards")
        for key, value in data.items():
            setattr(schedule, key, value)
        schedule.save()
        schedule.guards.set(guards)
        if changed:
            activity_record(target=schedule, actor=actor, verb="patrols.schedule_update",
                            data={"changed": changed})
    _plan_ahead(schedule)
    return schedule


def schedule_set_active(*, actor, schedule_id: int, active: bool) -> PatrolSchedule:
    """Activate a schedule (its shifts of today and tomorrow are planned at once) or
    deactivate it (no new shifts; shifts already planned stay)."""
    _require(actor)
    with transaction.atomic():
        schedule = _lock_schedule(schedule_id)
        was = schedule.is_active
        if was != bool(active):
            schedule.is_active = bool(active)
            schedule.save(update_fields=["is_active", "updated_at"])
            activity_record(target=schedule, actor=actor,
                            verb="patrols.schedule_activate" if active
                            else "patrols.schedule_deactivate",
                            from_state=_active_label(was), to_state=_active_label(bool(active)))
    _plan_ahead(schedule)
    return schedule


# --- shifts ----------------------------------------------------------------------------------
def shift_assign(*, actor, shift_id: int, leader_id: int | None, guard_ids=()) -> PatrolShift:
    """Put other guards or another leader on one shift (the schedule stays as it is). A shift
    that is over cannot be changed. Guards and leader: guards or office staff."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    leader = None
    if leader_id not in (None, ""):
        found = _people([leader_id], errors, "leader",
                        _("The shift leader must be a guard or a member of the office staff."))
        leader = found[0] if found else None
    guards = _people(list(guard_ids or []), errors, "guards",
                     _("Only guards and office staff can be put on a shift."))
    _refuse(errors)
    with transaction.atomic():
        shift = (PatrolShift.objects.select_for_update().filter(pk=shift_id).first()
                 if str(shift_id or "").isdigit() else None)
        if shift is None:
            raise DomainError(_("No such shift."), code="not_found")
        if shift.ends_at <= clock.now():
            raise DomainError(_("This shift is over: its guards and leader can no longer be "
                                "changed."), code="shift_over")
        before = sorted(shift.guards.values_list("pk", flat=True))
        after = sorted(g.pk for g in guards)
        old_leader = shift.leader_id
        if before == after and old_leader == (leader.pk if leader else None):
            return shift
        shift.leader = leader
        shift.save(update_fields=["leader", "updated_at"])
        shift.guards.set(guards)
        activity_record(target=shift, actor=actor, verb="patrols.shift_assign",
                        data={"leader": [old_leader, shift.leader_id],
                              "guards_before": before, "guards_after": after})
    return shift
