"""Parking violations (违停), writes: recording one on a phone, move-car notices (挪车通知),
closing and voiding, repeat-offender rules and their actions, and appeals (申诉).

Every write follows resolve → lock → permission → state → write in one transaction, with an
activity entry per state change (on the violation's timeline; offender actions also on the
vehicle's). Notifications go out on commit.

Repeat-offender rules (:func:`offender_rules_apply`): a rule "``count`` violations within
``days``" fires when the vehicle has at least ``count`` *counted* violations (level
violation, not void) observed within ``days`` days ending at its newest counted violation
**that no earlier action of the same rule already counted**. So with "3 in 90 days" the
3rd violation sends a letter; the 4th and 5th send nothing more; a 6th (three new ones within
90 days) sends a second letter. An action, once taken, stands even if a violation it counted
is later voided. A vehicle with a pending appeal is not escalated; deciding the appeal
applies the rules again.

Errors: :class:`~safecampus.core.errors.DomainError` (bad input, 400, with
``field_errors``), :class:`~safecampus.core.errors.NotAllowed` (403),
:class:`~safecampus.core.errors.Conflict` (409: the violation was closed meanwhile).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import Conflict, DomainError, NotAllowed, field_error
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.core.uploads import photo_process
from safecampus.notifications.services import notification_send
from safecampus.organisation.models import Campus, Place

from ..models import (
    Appeal,
    MoveCarNotice,
    OffenderAction,
    OffenderRule,
    Permit,
    Vehicle,
    Violation,
    ViolationKind,
    ViolationPhoto,
)
from ..plates import plate_check

RECORD_SCOPE = "traffic.violation_record"
MAX_PHOTOS = 6
NOTE_MAX = 2000
LOCATION_MAX = 200
REASON_MAX = 2000
#: A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=2)

#: A violation recorded later than this after it was seen (a paper record typed in) gets no
#: move-car notice on recording: the car is most likely gone. One can still be sent by hand.
FIRST_NOTICE_WITHIN = dt.timedelta(hours=2)




def _setting(name: str) -> int:
    return int(settings.SAFECAMPUS[name])


# --- messages shared with the pages and the API -----------------------------------------------
def msg_not_open(violation: Violation) -> str:
    return _("This violation is already %(state)s.") % {"state": violation.get_state_display()}


def msg_resend_wait(minutes: int) -> str:
    return _("A move-car notice was sent less than %(interval)s minutes ago; you can send it "
             "again in %(minutes)s min.") % {
        "interval": _setting("MOVE_CAR_RESEND_MINUTES"), "minutes": minutes}


def msg_recent_duplicate(earlier: Violation) -> str:
    """The warning after recording a violation identical to ``earlier`` (plain text)."""
    return _("An identical violation (%(plate)s, %(kind)s, %(campus)s) was recorded "
             "%(minutes)s min ago. If it is the same vehicle seen twice, void this record.") % {
        "plate": earlier.plate, "kind": earlier.get_kind_display(),
        "campus": earlier.campus.name if earlier.campus_id else "—",
        "minutes": minutes_ago(earlier.observed_at)}


def msg_seen_long_ago() -> str:
    return _("Seen more than %(hours)s hours ago: no move-car notice was sent. If the vehicle "
             "is still there, send one from this page.") % {
        "hours": int(FIRST_NOTICE_WITHIN.total_seconds() // 3600)}


def msg_daily_cap(cap: int) -> str:
    return _("This owner has already been sent %(cap)s move-car notices today, the most "
             "allowed in one day; call the owner instead.") % {"cap": cap}


def phone_masked(phone: str) -> str:
    """A phone number with its middle hidden for those who may not call it:
    ``13800138000`` → ``138****8000``; short numbers keep only their last two digits."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if len(phone) >= 7:
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


# --- recording ----------------------------------------------------------------------------------
def _process_photos(photos: Sequence, *, required: bool) -> list:
    """Validate and re-encode every photo before anything is written (all or nothing)."""
    photos = [p for p in (photos or []) if p]
    if len(photos) > MAX_PHOTOS:
        raise field_error("photos", _("At most %(count)s photos can be attached.")
                       % {"count": MAX_PHOTOS})
    if required and not photos:
        raise field_error("photos", _("A violation needs at least one photo of the vehicle and "
                                   "where it stands."), code="photo_required")
    return [photo_process(p, field="photos") for p in photos]


def location_resolve(*, campus_id, place_id, actor) -> tuple[Campus, Place | None]:
    """The campus and place (or None) of a record from form/API ids. The campus may be left
    out when the place gives it or the actor (None: the system) works on one campus only.
    Raises DomainError on the field: unknown ids, no campus, a place on another campus."""
    place = None
    if place_id not in (None, ""):
        place = (Place.objects.select_related("campus").filter(pk=place_id).first()
                 if id_or_none(place_id) else None)
        if place is None:
            raise field_error("place", _("Choose a place from the list."))
    campus = None
    if campus_id not in (None, ""):
        campus = Campus.objects.filter(pk=campus_id).first() if id_or_none(campus_id) else None
        if campus is None:
            raise field_error("campus", _("Choose a campus from the list."))
    if campus is None and place is not None:
        campus = place.campus
    if campus is None and actor is not None and len(actor.scope.campus_ids) == 1:
        campus = Campus.objects.filter(pk=next(iter(actor.scope.campus_ids))).first()
    if campus is None:
        raise field_error("campus", _("Choose the campus."))
    if place is not None and place.campus_id != campus.pk:
        raise field_error("place", _("%(place)s is not on %(campus)s.")
                       % {"place": place.name, "campus": campus.name})
    return campus, place


def violation_record(
    *,
    actor,
    plate: str,
    kind: str,
    level: str = Violation.Level.VIOLATION,
    campus_id: int | None = None,
    place_id: int | None = None,
    location_text: str = "",
    observed_at: dt.datetime | None = None,
    note: str = "",
    photos: Sequence = (),
    idempotency_key: str | None = None,
) -> Violation:
    """Record a parking violation or warning seen now (or at ``observed_at``, aware, not in
    the future) and, when the plate belongs to a registered vehicle, send the first move-car
    notice.

    ``plate`` is normalised and validated (:func:`~safecampus.traffic.plates.plate_check`);
    ``photos`` (uploaded files, at most 6) are all processed before anything is written and
    at least one is required for level ``violation``. ``campus_id`` defaults to the place's
    campus, then to the actor's only campus. The same ``idempotency_key`` returns the first
    record. Needs ``traffic.record_violation``.

    Returns the violation; its attribute ``notice`` is the first notice (or None),
    ``notice_problem`` the reason no notice was sent (e.g. the daily cap, or a notice to the
    same vehicle within ``MOVE_CAR_RESEND_MINUTES``, or a violation seen more than
    :data:`FIRST_NOTICE_WITHIN` ago), or "", and ``recent_duplicate`` an
    identical violation (:func:`violation_recent_duplicate`) recorded just before, or None:
    the record is kept, the caller warns.
    Raises DomainError with field errors (``plate``, ``kind``, ``level``, ``campus``,
    ``place``, ``observed_at``, ``note``, ``photos``), NotAllowed.
    """
    if not actor.has_perm("traffic.record_violation"):
        raise NotAllowed()
    existing = idempotency_lookup(scope=RECORD_SCOPE, key=idempotency_key, model=Violation,
                                  user=actor)
    if existing is not None:
        existing.notice, existing.notice_problem, existing.recent_duplicate = None, "", None
        return existing
    number = plate_check(plate).number
    errors: dict[str, list[str]] = {}
    if kind not in ViolationKind.values:
        errors["kind"] = [_("Choose what the vehicle is doing wrong.")]
    if level not in Violation.Level.values:
        errors["level"] = [_("Choose warning or violation.")]
    now = clock.now()
    observed_at = observed_at or now
    if observed_at > now + CLOCK_SKEW:
        errors["observed_at"] = [_("The time seen cannot be in the future.")]
    location_text = (location_text or "").strip()
    if len(location_text) > LOCATION_MAX:
        errors["location_text"] = [_("At most %(count)s characters.") % {"count": LOCATION_MAX}]
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [_("At most %(count)s characters.") % {"count": NOTE_MAX}]
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError(first, field_errors=errors)
    campus, place = location_resolve(campus_id=campus_id, place_id=place_id, actor=actor)
    processed = _process_photos(photos, required=level == Violation.Level.VIOLATION)

    with transaction.atomic():
        vehicle = Vehicle.objects.filter(plate=number, is_active=True).first()
        recent = violation_recent_duplicate(plate=number, kind=kind, campus_id=campus.pk,
                                            observed_at=observed_at)
        violation = Violation.objects.create(
            plate=number, vehicle=vehicle, kind=kind, level=level, campus=campus, place=place,
            location_text=location_text, observed_at=observed_at, recorded_by=actor, note=note,
            source=Violation.Source.RECORDED)
        for full, thumb in processed:
            ViolationPhoto.objects.create(violation=violation, image=full, thumbnail=thumb)
        activity_record(target=violation, actor=actor, verb="traffic.violation_record",
                        to_state=violation.state,
                        data={"plate": number, "kind": kind, "level": level,
                              "registered": vehicle is not None, "photos": len(processed)})
        winner = idempotency_race_lost(scope=RECORD_SCOPE, key=idempotency_key, user=actor,
                                       result=violation)
        if winner is not None:
            winner.notice, winner.notice_problem, winner.recent_duplicate = None, "", None
            return winner
        violation.notice, violation.notice_problem = None, ""
        violation.recent_duplicate = recent
        if vehicle is not None and now - observed_at > FIRST_NOTICE_WITHIN:
            violation.notice_problem = msg_seen_long_ago()
        elif vehicle is not None:
            try:
                with transaction.atomic():
                    violation.notice = _notice_send(actor=actor, violation=violation)
            except DomainError as error:
                violation.notice_problem = error.message
        if _counts(violation):
            vehicle_id = vehicle.pk if vehicle else None
            if vehicle_id:
                transaction.on_commit(lambda: offender_rules_apply(vehicle_id=vehicle_id))
    return violation


def violation_recent_duplicate(*, plate: str, kind: str, campus_id: int,
                               observed_at: dt.datetime) -> Violation | None:
    """The latest violation (not void) of the same normalised ``plate``, ``kind`` and campus
    seen within ``MOVE_CAR_RESEND_MINUTES`` of ``observed_at`` (aware): most likely the same
    one recorded twice (two guards, or a double tap without the form's key). None if none.
    Empty plates (imported rows) never match."""
    if not plate:
        return None
    window = dt.timedelta(minutes=_setting("MOVE_CAR_RESEND_MINUTES"))
    return (Violation.objects.filter(plate=plate, kind=kind, campus_id=campus_id,
                                     observed_at__gte=observed_at - window,
                                     observed_at__lte=observed_at + window)
            .exclude(state=Violation.State.VOID).order_by("-observed_at", "-pk").first())


def minutes_ago(at: dt.datetime) -> int:
    """Whole minutes from ``at`` (aware) until now, at least 1."""
    return max(1, math.ceil((clock.now() - at).total_seconds() / 60))


# --- move-car notices ---------------------------------------------------------------------------
def _owner_notices(vehicle: Vehicle):
    """Notices to this vehicle's owner across all their vehicles: by account, else by phone."""
    if vehicle.owner_id:
        return MoveCarNotice.objects.filter(vehicle__owner_id=vehicle.owner_id)
    if vehicle.owner_phone:
        return MoveCarNotice.objects.filter(vehicle__owner_phone=vehicle.owner_phone,
                                            vehicle__owner__isnull=True)
    return MoveCarNotice.objects.filter(vehicle=vehicle)


def notice_wait_minutes(violation: Violation, *, at: dt.datetime | None = None) -> int:
    """Whole minutes (rounded up) until a notice about ``violation`` may be sent again;
    0 when it may be sent now (or none was sent yet). The interval counts from the last
    notice to the same vehicle, whichever violation it was about: the same car recorded
    twice is not notified twice."""
    sent = (MoveCarNotice.objects.filter(vehicle_id=violation.vehicle_id)
            if violation.vehicle_id else MoveCarNotice.objects.filter(violation=violation))
    last = sent.order_by("-sent_at").values_list("sent_at", flat=True).first()
    if last is None:
        return 0
    at = at or clock.now()
    ready = last + dt.timedelta(minutes=_setting("MOVE_CAR_RESEND_MINUTES"))
    if at >= ready:
        return 0
    return max(1, math.ceil((ready - at).total_seconds() / 60))


def _notice_send(*, actor, violation: Violation) -> MoveCarNotice:
    """Send one notice about the (locked, open) ``violation``; the checks of interval and cap
    are here so that the first notice on recording obeys them too."""
    vehicle = violation.vehicle
    now = clock.now()
    wait = notice_wait_minutes(violation, at=now)
    if wait:
        raise DomainError(msg_resend_wait(wait), code="notice_too_soon")
    # Lock the owner's vehicles so two guards cannot both send the last notice of the day.
    owner_vehicles = (Vehicle.objects.filter(owner_id=vehicle.owner_id) if vehicle.owner_id
                      else Vehicle.objects.filter(pk=vehicle.pk))
    list(owner_vehicles.select_for_update().values_list("pk", flat=True))
    cap = _setting("MOVE_CAR_DAILY_CAP")
    today = now.astimezone(clock.local_zone()).date()
    start = clock.start_of_local_day(today)
    sent_today = _owner_notices(vehicle).filter(
        sent_at__gte=start, sent_at__lt=start + dt.timedelta(days=1)).count()
    if sent_today >= cap:
        raise DomainError(msg_daily_cap(cap), code="notice_daily_cap")
    owner = vehicle.owner if vehicle.owner_id and vehicle.owner.is_active else None
    if owner is not None:
        channel = MoveCarNotice.Channel.IN_APP
    elif vehicle.owner_phone:
        channel = MoveCarNotice.Channel.PHONE
    else:
        channel = MoveCarNotice.Channel.NONE
    sequence = MoveCarNotice.objects.filter(violation=violation).count() + 1
    notice = MoveCarNotice.objects.create(
        violation=violation, vehicle=vehicle, recipient=owner, channel=channel,
        sequence=sequence, sent_at=now, sent_by=actor)
    activity_record(target=violation, actor=actor, verb="traffic.move_car_notice",
                    data={"sequence": sequence, "channel": channel})
    if owner is not None:
        with translation.override(settings.LANGUAGE_CODE):
            where = " · ".join(x for x in [
                violation.place.name if violation.place_id else "", violation.location_text]
                if x) or (violation.campus.name if violation.campus_id else "")
            title = _("Please move your vehicle now: %(plate)s %(kind)s · %(where)s") % {
                "plate": violation.plate, "kind": violation.get_kind_display(),
                "where": where or "—"}
            body = _("Seen at %(time)s. Move it at once; the security office may have it "
                     "towed.") % {"time": violation.observed_at.astimezone(
                         clock.local_zone()).strftime("%Y-%m-%d %H:%M")}
        url = violation.get_absolute_url()
        key = f"traffic:notice:{violation.pk}:{sequence}"
        transaction.on_commit(lambda: notification_send(
            recipients=[owner], verb="traffic.move_car_notice", title=title, body=body,
            url=url, dedupe_key=key))
    return notice


def _locked_violation(violation_id) -> Violation:
    violation = (Violation.objects.select_for_update(of=("self",))
                 .select_related("vehicle__owner", "campus", "place")
                 .filter(pk=violation_id).first() if id_or_none(violation_id) else None)
    if violation is None:
        raise DomainError(_("This violation does not exist."), code="not_found")
    return violation


def move_car_notice_send(*, actor, violation_id: int) -> MoveCarNotice:
    """Send (again) a move-car notice about an open violation of a registered vehicle.

    The owner with an account is told in-app and by e-mail; otherwise the notice records
    that the guard phones the owner (channel ``phone``) or that there is no way to reach
    them (``none``). Refused (DomainError) before ``MOVE_CAR_RESEND_MINUTES`` since the last
    notice to the vehicle, about any violation (with the minutes left, code
    ``notice_too_soon``) and beyond
    ``MOVE_CAR_DAILY_CAP`` notices to one owner in a local day across all their vehicles
    (code ``notice_daily_cap``); Conflict when the violation is closed. Needs
    ``traffic.send_move_car_notice``.
    """
    if not actor.has_perm("traffic.send_move_car_notice"):
        raise NotAllowed()
    with transaction.atomic():
        violation = _locked_violation(violation_id)
        if violation.state != Violation.State.OPEN:
            raise Conflict(msg_not_open(violation), code="not_open")
        if violation.vehicle_id is None:
            raise DomainError(_("The vehicle %(plate)s is not registered: nobody to notify.")
                              % {"plate": violation.plate}, code="not_registered")
        return _notice_send(actor=actor, violation=violation)


# --- closing ------------------------------------------------------------------------------------
def violation_close(*, actor, violation_id: int, outcome: str, note: str = "") -> Violation:
    """Close an open violation as ``moved`` (the owner moved the vehicle) or ``towed``.

    Needs ``traffic.close_violation``. Raises DomainError for another outcome, Conflict when
    it is no longer open.
    """
    if not actor.has_perm("traffic.close_violation"):
        raise NotAllowed()
    if outcome not in (Violation.State.MOVED, Violation.State.TOWED):
        raise field_error("outcome", _("Choose moved or towed."))
    with transaction.atomic():
        violation = _locked_violation(violation_id)
        if violation.state != Violation.State.OPEN:
            raise Conflict(msg_not_open(violation), code="not_open")
        old = violation.state
        if outcome == Violation.State.MOVED:
            violation.mark_moved()
        else:
            violation.mark_towed()
        violation.closed_at = clock.now()
        violation.close_reason = (note or "").strip()[:REASON_MAX]
        violation.row_version += 1
        violation.save()
        activity_record(target=violation, actor=actor, verb="traffic.violation_close",
                        from_state=old, to_state=violation.state, comment=violation.close_reason)
    return violation


def _void(violation: Violation, *, actor, reason: str, verb: str) -> None:
    old = violation.state
    violation.void()
    violation.closed_at = violation.closed_at or clock.now()
    violation.close_reason = reason
    violation.row_version += 1
    violation.save()
    activity_record(target=violation, actor=actor, verb=verb, from_state=old,
                    to_state=violation.state, comment=reason)


def violation_void(*, actor, violation_id: int, reason: str) -> Violation:
    """Void a violation recorded by mistake; ``reason`` is required. Void violations do not
    count for the repeat-offender rules. Needs ``traffic.close_violation``; Conflict when it
    is void already (code ``not_open``) or is ledger history, an imported ticket the old
    ledger had closed (code ``ledger_history``)."""
    if not actor.has_perm("traffic.close_violation"):
        raise NotAllowed()
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Say why the violation is void."))
    if len(reason) > REASON_MAX:
        raise field_error("reason", _("At most %(count)s characters.") % {"count": REASON_MAX})
    with transaction.atomic():
        violation = _locked_violation(violation_id)
        if violation.state == Violation.State.VOID:
            raise Conflict(msg_not_open(violation), code="not_open")
        if violation.is_ledger_history:
            raise Conflict(_("This ticket was dealt with in the imported ledger and is kept "
                             "as history; it cannot be voided here."), code="ledger_history")
        _void(violation, actor=actor, reason=reason, verb="traffic.violation_void")
    return violation


# --- repeat-offender rules ------------------------------------------------------------------------
def _counts(violation: Violation) -> bool:
    return (violation.level == Violation.Level.VIOLATION
            and violation.state != Violation.State.VOID)


def _counted(vehicle_id: int):
    return Violation.objects.filter(vehicle_id=vehicle_id, level=Violation.Level.VIOLATION
                                    ).exclude(state=Violation.State.VOID)


def appeal_pending(vehicle_id: int) -> bool:
    """True when one of the vehicle's violations has an appeal awaiting a decision."""
    return Appeal.objects.filter(violation__vehicle_id=vehicle_id,
                                 state=Appeal.State.PENDING).exists()


def offender_rules_apply(*, vehicle_id: int) -> list[OffenderAction]:
    """Apply every active repeat-offender rule to the vehicle (see the module docstring for
    what counts); returns the actions taken now ([] when none, or while an appeal of the
    vehicle is pending). Idempotent: an action is taken once per rule and triggering
    violation. Warning letter: a notification to the owner's account and an entry on the
    timelines; permit suspension: the vehicle's active permits that are still valid or
    upcoming (ending today or later, local day) become suspended; expired ones stay as they
    were."""
    taken: list[OffenderAction] = []
    with transaction.atomic():
        vehicle = (Vehicle.objects.select_for_update(of=("self",)).select_related("owner")
                   .filter(pk=vehicle_id).first())
        if vehicle is None or appeal_pending(vehicle.pk):
            return taken
        newest = _counted(vehicle.pk).order_by("-observed_at", "-id").first()
        if newest is None:
            return taken
        for rule in OffenderRule.objects.filter(is_active=True).order_by("count", "days", "pk"):
            if OffenderAction.objects.filter(rule=rule, violation=newest).exists():
                continue
            used = set()
            for ids in OffenderAction.objects.filter(rule=rule, vehicle=vehicle).values_list(
                    "violation_ids", flat=True):
                used.update(ids)
            window = list(_counted(vehicle.pk).filter(
                observed_at__gt=newest.observed_at - dt.timedelta(days=rule.days),
                observed_at__lte=newest.observed_at).exclude(pk__in=used)
                .order_by("observed_at", "id").values_list("pk", flat=True))
            if len(window) < rule.count or newest.pk not in window:
                continue
            action = OffenderAction.objects.create(
                rule=rule, vehicle=vehicle, violation=newest, violation_ids=window,
                applied_at=clock.now())
            _offender_act(action, vehicle=vehicle, violation=newest)
            taken.append(action)
    return taken


def _offender_act(action: OffenderAction, *, vehicle: Vehicle, violation: Violation) -> None:
    rule = action.rule
    data = {"rule": rule.pk, "rule_name": rule.name, "action": rule.action,
            "count": len(action.violation_ids), "days": rule.days}
    suspended = []
    if rule.action == OffenderRule.Action.SUSPEND_PERMIT:
        # Only permits still valid or upcoming (local day): an expired one stays as it was.
        for permit in Permit.objects.select_for_update().filter(
                vehicle=vehicle, state=Permit.State.ACTIVE,
                valid_until__gte=clock.local_today()).order_by("valid_from", "id"):
            permit.state = Permit.State.SUSPENDED
            permit.save(update_fields=["state", "updated_at"])
            activity_record(target=permit, actor=None, verb="traffic.permit_suspend",
                            from_state=Permit.State.ACTIVE, to_state=Permit.State.SUSPENDED,
                            comment=rule.name, data={"rule": rule.pk, "violation": violation.pk})
            suspended.append(permit.pk)
        data["permits"] = suspended
    activity_record(target=vehicle, actor=None, verb="traffic.offender_action",
                    comment=rule.name, data={**data, "violation": violation.pk})
    activity_record(target=violation, actor=None, verb="traffic.offender_action",
                    comment=rule.name, data=data)
    owner = vehicle.owner if vehicle.owner_id and vehicle.owner.is_active else None
    if owner is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        if rule.action == OffenderRule.Action.SUSPEND_PERMIT:
            title = _("Campus entry permit of %(plate)s suspended: %(count)s parking "
                      "violations within %(days)s days") % {
                "plate": vehicle.plate, "count": len(action.violation_ids), "days": rule.days}
        else:
            title = _("Warning letter: %(plate)s has %(count)s parking violations within "
                      "%(days)s days") % {
                "plate": vehicle.plate, "count": len(action.violation_ids), "days": rule.days}
        body = _("Further violations lead to the suspension of the vehicle's campus entry "
                 "permit. You may appeal a violation on its page.")
    url = violation.get_absolute_url()
    key = f"traffic:offender:{action.pk}"
    transaction.on_commit(lambda: notification_send(
        recipients=[owner], verb="traffic.offender_action", title=title, body=body, url=url,
        dedupe_key=key))


def _rule_fields(*, name: str, count, days, action: str) -> dict:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the rule a name.")]
    elif len(name) > 64:
        errors["name"] = [_("At most %(count)s characters.") % {"count": 64}]
    if not isinstance(count, int) or not 1 <= count <= 100:
        errors["count"] = [_("Enter a number of violations from 1 to 100.")]
    if not isinstance(days, int) or not 1 <= days <= 3650:
        errors["days"] = [_("Enter a number of days from 1 to 3650.")]
    if action not in OffenderRule.Action.values:
        errors["action"] = [_("Choose what the rule does.")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], field_errors=errors)
    return {"name": name, "count": count, "days": days, "action": action}


def offender_rule_create(*, actor, name: str, count: int, days: int, action: str,
                         is_active: bool = True) -> OffenderRule:
    """A new repeat-offender rule. Needs ``traffic.manage_offender_rules``. It applies from
    the next counted violation on (it is not run over the past)."""
    if not actor.has_perm("traffic.manage_offender_rules"):
        raise NotAllowed()
    fields = _rule_fields(name=name, count=count, days=days, action=action)
    with transaction.atomic():
        rule = OffenderRule.objects.create(**fields, is_active=is_active)
        activity_record(target=rule, actor=actor, verb="traffic.offender_rule_create",
                        data=fields)
    return rule


def offender_rule_update(*, actor, rule_id: int, name: str, count: int, days: int,
                         action: str, is_active: bool) -> OffenderRule:
    """Change a rule (``is_active=False`` deactivates it; its past actions stay). Needs
    ``traffic.manage_offender_rules``."""
    if not actor.has_perm("traffic.manage_offender_rules"):
        raise NotAllowed()
    fields = _rule_fields(name=name, count=count, days=days, action=action)
    with transaction.atomic():
        rule = (OffenderRule.objects.select_for_update().filter(pk=rule_id).first()
                if id_or_none(rule_id) else None)
        if rule is None:
            raise DomainError(_("This rule does not exist."), code="not_found")
        for key, value in {**fields, "is_active": bool(is_active)}.items():
            setattr(rule, key, value)
        rule.save()
        activity_record(target=rule, actor=actor, verb="traffic.offender_rule_update",
                        data={**fields, "is_active": rule.is_active})
    return rule


def offender_rules_default_create() -> list[OffenderRule]:
    """The two usual rules, created once (for the demo and a new installation): 3 violations
    in 90 days → warning letter; 5 in 90 days → permit suspended. Calling it again creates
    nothing; returns the rules created now."""
    created = []
    with translation.override(settings.LANGUAGE_CODE):
        defaults = [
            (3, 90, OffenderRule.Action.WARNING_LETTER, _("3 violations in 90 days")),
            (5, 90, OffenderRule.Action.SUSPEND_PERMIT, _("5 violations in 90 days")),
        ]
    with transaction.atomic():
        for count, days, action, name in defaults:
            if not OffenderRule.objects.filter(count=count, days=days, action=action).exists():
                created.append(OffenderRule.objects.create(name=name, count=count, days=days,
                                                           action=action))
    return created


# --- appeals --------------------------------------------------------------------------------------
def appeal_submit(*, actor, violation_id: int, reason: str, photo=None) -> Appeal:
    """The vehicle's owner appeals a violation with a reason and an optional photo (one
    appeal per violation). While it is pending, the vehicle is not escalated by the rules.
    Needs ``traffic.appeal_violation`` (the owner's account). Raises DomainError (``reason``,
    ``photo``), Conflict when already appealed, void, or imported ledger history (code
    ``ledger_history``: the old ledger dealt with it, and a granted appeal could not void it)."""
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Say why the violation is wrong."))
    if len(reason) > REASON_MAX:
        raise field_error("reason", _("At most %(count)s characters.") % {"count": REASON_MAX})
    processed = photo_process(photo, field="photo") if photo else None
    with transaction.atomic():
        violation = _locked_violation(violation_id)
        if not actor.has_perm("traffic.appeal_violation", violation):
            raise NotAllowed(_("Only the vehicle's owner can appeal."))
        if Appeal.objects.filter(violation=violation).exists():
            raise Conflict(_("This violation has already been appealed."), code="appealed")
        if violation.state == Violation.State.VOID:
            raise Conflict(msg_not_open(violation), code="not_open")
        if violation.is_ledger_history:
            raise Conflict(_("This ticket was dealt with in the imported ledger and is kept "
                             "as history; it cannot be appealed here. Ask the security office "
                             "if you think it is wrong."), code="ledger_history")
        appeal = Appeal(violation=violation, appellant=actor, reason=reason)
        if processed is not None:
            appeal.photo = processed[0]
        appeal.save()
        activity_record(target=violation, actor=actor, verb="traffic.appeal_submit",
                        to_state=appeal.state, comment=reason)
        from safecampus.accounts.models import Role
        from safecampus.accounts.selectors import office_people

        with translation.override(settings.LANGUAGE_CODE):
            title = _("Appeal against the violation of %(plate)s") % {"plate": violation.plate}
        url = violation.get_absolute_url()
        transaction.on_commit(lambda: notification_send(
            recipients=office_people(Role.OFFICE_STAFF, Role.OFFICE_ADMIN),
            verb="traffic.appeal_submit", title=title, body=reason, url=url,
            dedupe_key=f"traffic:appeal:{appeal.pk}", email=False))
    return appeal


def appeal_decide(*, actor, appeal_id: int, grant: bool, note: str) -> Appeal:
    """Decide a pending appeal: granted → the violation becomes void with ``note`` as its
    reason; refused → it stands. ``note`` (the decision) is required. The owner is told; the
    repeat-offender rules are applied again on commit. Needs ``traffic.decide_appeal``;
    Conflict when already decided."""
    if not actor.has_perm("traffic.decide_appeal"):
        raise NotAllowed()
    note = (note or "").strip()
    if not note:
        raise field_error("note", _("Write the decision."))
    if len(note) > REASON_MAX:
        raise field_error("note", _("At most %(limit)s characters (this has %(length)s).")
                          % {"limit": REASON_MAX, "length": len(note)})
    with transaction.atomic():
        appeal = (Appeal.objects.select_for_update().filter(pk=appeal_id).first()
                  if id_or_none(appeal_id) else None)
        if appeal is None:
            raise DomainError(_("This appeal does not exist."), code="not_found")
        violation = _locked_violation(appeal.violation_id)
        if appeal.state != Appeal.State.PENDING:
            raise Conflict(_("This appeal has already been decided: %(state)s.")
                           % {"state": appeal.get_state_display()}, code="decided")
        appeal.state = Appeal.State.GRANTED if grant else Appeal.State.REFUSED
        appeal.decided_by, appeal.decided_at, appeal.decision_note = actor, clock.now(), note
        appeal.save()
        activity_record(target=violation, actor=actor, verb="traffic.appeal_decide",
                        from_state=Appeal.State.PENDING, to_state=appeal.state, comment=note)
        if grant and violation.state != Violation.State.VOID:
            _void(violation, actor=actor, reason=note, verb="traffic.violation_void")
        with translation.override(settings.LANGUAGE_CODE):
            title = (_("Your appeal for %(plate)s was granted: the violation is void")
                     if grant else _("Your appeal for %(plate)s was refused: the violation "
                                     "stands")) % {"plate": violation.plate}
        url = violation.get_absolute_url()
        appellant = appeal.appellant
        transaction.on_commit(lambda: notification_send(
            recipients=[appellant], verb="traffic.appeal_decide", title=title, body=note,
            url=url, dedupe_key=f"traffic:appeal:{appeal.pk}:decided"))
        if violation.vehicle_id:
            vehicle_id = violation.vehicle_id
            transaction.on_commit(lambda: offender_rules_apply(vehicle_id=vehicle_id))
    return appeal
