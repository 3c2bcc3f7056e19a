"""The duty room (值班室), writes: shifts, the duty log (值班日志), handover, incidents (警情).

Every public function is ``<entity>_<verb>`` with keyword-only arguments and follows one
order: resolve and check input → lock (``select_for_update``) → permission → state → write,
in one transaction, with an :class:`~safecampus.core.models.ActivityEntry` per change.

Shifts. The duty room has one open shift at a time (a database constraint). The first shift
starts with :func:`duty_shift_take_over`; every later one with :func:`duty_shift_hand_over`,
which ends the open shift, opens the next officer's shift and moves every open entry to it
(carried over), all in one transaction. Two handovers of the same shift at once: the shift
row is locked, the second waits and then finds the shift handed over (a Conflict).

Hazards. An entry or an incident becomes a hazard through
:func:`safecampus.hazards.services.hazard_report` with the entry or incident as the source
record (the hazard page links back to it for those who may see it). Source: a patrol
report (entry kind ``patrol``) is a hazard found on patrol (``Source.PATROL``); everything
else the duty room hears about (calls, walk-ins, alarms, CCTV, incidents) is found by the
security office, of which the duty room is part (``Source.OFFICE``). The hazard ledger's
"by source" figures then count a guard's patrol finding as a patrol finding however it
reached the system.

Times in and out are aware datetimes; an incident's number year is the local
(Asia/Shanghai) year it was reported. Errors: DomainError (bad input, 400; nothing
changed), NotAllowed (403), Conflict (stale or illegal, 409).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from safecampus.accounts.models import User
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.idempotency import idempotency_lookup, idempotency_remember
from safecampus.core.models import ActivityEntry
from safecampus.core.phones import phone_is_valid, phone_normalise
from safecampus.hazards import services as hazard_services
from safecampus.hazards.models import Grade, Hazard, Source
from safecampus.notifications.services import notification_send, robot_broadcast
from safecampus.organisation.models import Campus, Place

from ..models import DutyLogEntry, DutyShift, Incident
from ..selectors.duty import event_hazard
from ..selectors.incidents import incident_visible
from .incidents import incident_numbers_take

#: Longest texts accepted (characters); longer input is refused, never cut.
SUMMARY_MAX, NOTE_MAX, LABEL_MAX = 4000, 2000, 120
#: A time this far ahead of the server clock is a typo, not a phone whose clock runs fast.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
#: Nothing the duty room records happened before this (and older times do not fit the
#: databases' UTC columns once converted).
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
#: How far back an incident entered by hand (form or API) may have occurred or been
#: reported. Older incidents come from old logs and go through the incident import (a
#: column mapping, every row checked first); a year covers an incident found out late, while
#: 1990 for 2025 is a typo that would sit unseen at the bottom of every list and statistic.
MANUAL_INCIDENT_MAX_AGE = dt.timedelta(days=366)
#: How far back a new duty-log entry's time may lie: the log is the shift's record of calls
#: and events; an older event is an incident (entered as one), and 1990 is a typo.
DUTY_ENTRY_MAX_AGE = dt.timedelta(days=7)

ENTRY_SCOPE = "patrols.duty_entry_log"
INCIDENT_SCOPE = "patrols.incident_record"
HANDOVER_SCOPE = "patrols.duty_shift_hand_over"
#: The idempotency scope of ``hazards.services.hazard_report`` (a replayed hazard form).
HAZARD_SCOPE = "hazards.report"
#: The same entry logged again by the same person within this time is the same entry (the
#: browser's Back button and a resubmitted form): the first one is returned.
SAME_ENTRY_WINDOW = dt.timedelta(minutes=10)


# --- helpers -------------------------------------------------------------------------------
def _require(actor, perm: str, obj=None) -> None:
    if not actor.has_perm(perm, obj):
        raise NotAllowed()


def _refuse(field_name: str, message: str, *, code: str = "invalid") -> None:
    raise DomainError(message, code=code, field_errors={field_name: [message]})


def _raise_all(errors: dict[str, list[str]]) -> None:
    if errors:
        raise DomainError(next(iter(errors.values()))[0], field_errors=errors)


def _check_length(errors: dict, field_name: str, value: str | None, limit: int) -> None:
    if value and len(value) > limit:
        errors.setdefault(field_name, []).append(
            _("At most %(limit)s characters (this has %(length)s).")
            % {"limit": limit, "length": len(value)})


def _as_id(value) -> int | None:
    """An id from a form or the API (``"12"``, ``12``); anything else → None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 and int(text) > 0 else None


def _resolve_place(errors: dict, *, campus_id, place_id) -> tuple[Campus | None, Place | None]:
    """Campus and place by id; the place's campus when no campus is given. Unknown ids and a
    place on another campus are field errors."""
    place = campus = None
    if place_id not in (None, ""):
        pid = _as_id(place_id)
        place = Place.objects.filter(pk=pid).first() if pid else None
        if place is None:
            errors.setdefault("place", []).append(_("Choose a place from the list."))
    if campus_id not in (None, ""):
        cid = _as_id(campus_id)
        campus = Campus.objects.filter(pk=cid).first() if cid else None
        if campus is None:
            errors.setdefault("campus", []).append(_("Choose a campus from the list."))
    if place is not None:
        if campus is not None and place.campus_id != campus.pk:
            errors.setdefault("place", []).append(_("The place is not on the chosen campus."))
        elif campus is None and "campus" not in errors:
            campus = place.campus
    return campus, place


def _check_past(errors: dict, field_name: str, value: dt.datetime | None, *, now) -> None:
    if value is None:
        return
    if value.tzinfo is None:
        errors.setdefault(field_name, []).append(_("Give the time with its time zone."))
    elif value > now + FUTURE_TOLERANCE:
        errors.setdefault(field_name, []).append(_("This time is in the future."))
    elif value < EARLIEST:
        errors.setdefault(field_name, []).append(_("This time is too far in the past."))


def _person(user) -> str:
    return (user.full_name or user.username) if user is not None else ""


def _duty_person(errors: dict, field_name: str, user_id, *, required: bool,
                 missing: str) -> User | None:
    """An active user who may keep the duty log, or a field error."""
    if user_id in (None, ""):
        if required:
            errors.setdefault(field_name, []).append(missing)
        return None
    uid = _as_id(user_id)
    user = User.objects.filter(pk=uid).first() if uid else None
    if user is None:
        errors.setdefault(field_name, []).append(_("Choose a person from the list."))
    elif not user.is_active:
        errors.setdefault(field_name, []).append(
            _("%(name)s's account is disabled; choose someone who can sign in.")
            % {"name": _person(user)})
    elif not user.has_perm("patrols.keep_duty_log"):
        errors.setdefault(field_name, []).append(
            _("%(name)s cannot keep the duty log (security office staff or guards only).")
            % {"name": _person(user)})
    else:
        return user
    return None


def msg_no_open_shift() -> str:
    return _("Nobody is on duty: take over the duty first (Duty room → Take over the duty), "
             "then log the entry.")


def _open_shift_locked() -> DutyShift:
    shift = DutyShift.objects.select_for_update().filter(state=DutyShift.State.OPEN).first()
    if shift is None:
        raise DomainError(msg_no_open_shift(), code="no_open_shift")
    return shift


def _lock_entry(entry_id) -> DutyLogEntry:
    eid = _as_id(entry_id)
    entry = DutyLogEntry.objects.select_for_update().filter(pk=eid).first() if eid else None
    if entry is None:
        raise DomainError(_("This duty log entry does not exist."), code="not_found")
    return entry


def _lock_incident(incident_id) -> Incident:
    iid = _as_id(incident_id)
    incident = Incident.objects.select_for_update().filter(pk=iid).first() if iid else None
    if incident is None:
        raise DomainError(_("This incident does not exist."), code="not_found")
    return incident


def _race_lost(*, scope: str, key: str | None, actor, result):
    """Remember that ``key`` made ``result``. When a concurrent request with the same key got
    there first, this transaction is marked for rollback and the winner's result returned;
    else None."""
    if idempotency_remember(scope=scope, key=key, user=actor, result=result):
        return None
    winner = idempotency_lookup(scope=scope, key=key, model=type(result), user=actor)
    transaction.set_rollback(True)
    return winner


def _local_year(at: dt.datetime) -> int:
    return at.astimezone(clock.local_zone()).year


# --- shifts --------------------------------------------------------------------------------
def duty_shift_take_over(*, actor, leader_id: int | None = None, note: str = "") -> DutyShift:
    """Start the first shift: ``actor`` goes on duty when nobody is (an empty duty room).

    Later shifts start by handing over (:func:`duty_shift_hand_over`). Raises Conflict when a
    shift is already open (also when another person took over at the same moment).
    """
    _require(actor, "patrols.keep_duty_log")
    errors: dict[str, list[str]] = {}
    note = (note or "").strip()
    _check_length(errors, "note", note, NOTE_MAX)
    leader = _duty_person(errors, "leader", leader_id, required=False, missing="")
    _raise_all(errors)
    now = clock.now()
    with transaction.atomic():
        current = DutyShift.objects.select_for_update().filter(
            state=DutyShift.State.OPEN).select_related("officer").first()
        if current is not None:
            raise _already_on_duty(current)
        try:
            with transaction.atomic():
                shift = DutyShift.objects.create(officer=actor, leader=leader, started_at=now)
        except IntegrityError as exc:  # someone took over between our read and our write
            raise Conflict(_("Someone else took over the duty at the same moment. Reload the "
                             "duty room."), code="already_on_duty") from exc
        activity_record(target=shift, actor=actor, verb="patrols.duty_take_over",
                        to_state=shift.state, comment=note,
                        data={"leader": leader.pk if leader else None, "carried_over": 0,
                              "entries": [], "officer": _person(actor)})
    return shift


def _already_on_duty(shift: DutyShift) -> Conflict:
    local = shift.started_at.astimezone(clock.local_zone())
    return Conflict(_("%(name)s is on duty since %(time)s: the next shift starts by handing "
                      "over.") % {"name": _person(shift.officer),
                                  "time": local.strftime("%Y-%m-%d %H:%M")},
                    code="already_on_duty")


def duty_shift_hand_over(*, actor, shift_id: int, next_officer_id: int,
                         leader_id: int | None = None, note: str = "",
                         idempotency_key: str | None = None) -> DutyShift:
    """Hand the open shift ``shift_id`` over to ``next_officer_id``; returns the new shift.

    In one transaction: the shift ends (``handed_over``, with the note and how many open
    entries it passed on), a shift for the next officer opens (``leader_id`` its leader on
    duty, may be None), and every open entry moves to it. Each moved entry, the old and the
    new shift get a timeline entry naming the entries carried over. The next officer is told.

    Who: the officer on duty, the next officer, or the security office. Refused: handing over
    to the officer on duty himself, to a disabled account or to someone who may not keep the
    duty log (DomainError); a shift already handed over, also by a concurrent handover
    (Conflict, code ``handed_over``, naming who took it over and when).

    With the same ``idempotency_key`` (a double tap on the button, a resent form) a second
    call returns the shift the first one opened, also when it waited for the first one's lock.
    """
    _require(actor, "patrols.keep_duty_log")
    existing = idempotency_lookup(scope=HANDOVER_SCOPE, key=idempotency_key, model=DutyShift,
                                  user=actor)
    if existing is not None:
        return existing
    errors: dict[str, list[str]] = {}
    note = (note or "").strip()
    _check_length(errors, "note", note, NOTE_MAX)
    next_officer = _duty_person(errors, "next_officer", next_officer_id, required=True,
                                missing=_("Choose the next duty officer."))
    leader = _duty_person(errors, "leader", leader_id, required=False, missing="")
    sid = _as_id(shift_id)
    if sid is None:
        raise DomainError(_("This shift does not exist."), code="not_found")
    _raise_all(errors)
    now = clock.now()
    with transaction.atomic():
        shift = DutyShift.objects.select_for_update().filter(pk=sid).first()
        if shift is None:
            raise DomainError(_("This shift does not exist."), code="not_found")
        if shift.state != DutyShift.State.OPEN:
            # A double tap waits for the first request's lock and then finds its result.
            winner = idempotency_lookup(scope=HANDOVER_SCOPE, key=idempotency_key,
                                        model=DutyShift, user=actor)
            if winner is not None:
                return winner
            raise _handed_over(shift)
        if actor.pk not in (shift.officer_id, next_officer.pk) and not actor.scope.is_office:
            raise NotAllowed(_("Only the officer on duty, the next officer or the security "
                               "office can hand over this shift."))
        if next_officer.pk == shift.officer_id:
            _refuse("next_officer", _("You cannot hand the shift over to the officer who is "
                                      "handing it over; choose the next duty officer."))
        carried = list(DutyLogEntry.objects.select_for_update()
                       .filter(shift=shift, status=DutyLogEntry.Status.OPEN)
                       .order_by("occurred_at", "pk").values_list("pk", flat=True))
        shift.state = DutyShift.State.HANDED_OVER
        shift.ended_at = now
        shift.handover_note = note
        shift.carried_over = len(carried)
        shift.save(update_fields=["state", "ended_at", "handover_note", "carried_over",
                                  "updated_at"])
        try:
            with transaction.atomic():
                new = DutyShift.objects.create(officer=next_officer, leader=leader,
                                               started_at=now, previous=shift)
        except IntegrityError as exc:  # another shift opened meanwhile (take-over race)
            raise Conflict(_("Someone else opened a shift at the same moment. Reload the duty "
                             "room."), code="already_on_duty") from exc
        DutyLogEntry.objects.filter(pk__in=carried).update(shift=new, updated_at=now)
        for entry_id in carried:
            entry = DutyLogEntry(pk=entry_id)
            activity_record(target=entry, actor=actor, verb="patrols.duty_entry_carry_over",
                            data={"from_shift": shift.pk, "to_shift": new.pk,
                                  "to_officer": _person(next_officer)})
        # Who handed over to whom, by name, so that each shift's timeline says it whoever
        # pressed the button (the officer, the next officer or the office).
        data = {"entries": carried, "carried_over": len(carried)}
        activity_record(target=shift, actor=actor, verb="patrols.duty_hand_over",
                        from_state=DutyShift.State.OPEN, to_state=shift.state, comment=note,
                        data={**data, "next_shift": new.pk, "officer": _person(shift.officer),
                              "next_officer": _person(next_officer)})
        activity_record(target=new, actor=actor, verb="patrols.duty_take_over",
                        to_state=new.state, comment=note,
                        data={**data, "previous_shift": shift.pk,
                              "leader": leader.pk if leader else None,
                              "officer": _person(next_officer),
                              "from_officer": _person(shift.officer)})
        winner = _race_lost(scope=HANDOVER_SCOPE, key=idempotency_key, actor=actor,
                            result=new)
        if winner is not None:
            return winner
        if next_officer.pk != actor.pk:
            _notify_handover(new, next_officer, count=len(carried))
    return new


def _handed_over(shift: DutyShift) -> Conflict:
    """The conflict of a stale handover: who has the duty now and since when."""
    following = DutyShift.objects.filter(previous=shift).select_related("officer").first()
    if following is None:
        return Conflict(_("This shift was already handed over. Reload the duty room."),
                        code="handed_over")
    return Conflict(_("This shift was already handed over to %(name)s at %(time)s.")
                    % {"name": _person(following.officer),
                       "time": following.started_at.astimezone(clock.local_zone())
                       .strftime("%Y-%m-%d %H:%M")}, code="handed_over")


def _notify_handover(shift: DutyShift, officer, *, count: int) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        title = _("You are on duty: %(count)s open item(s) handed over to you") % {
            "count": count}
        body = shift.previous.handover_note if shift.previous else ""
    url = reverse("patrols:duty_home")
    transaction.on_commit(lambda: notification_send(
        recipients=[officer], verb="patrols.duty_hand_over", title=title, body=body, url=url,
        dedupe_key=f"duty-shift:{shift.pk}:handover", email=False))


# --- duty log entries ----------------------------------------------------------------------
def _entry_fields(errors: dict, *, now, occurred_at, kind, campus_id, place_id, location_text,
                  caller_name, caller_phone, summary, action_taken) -> dict:
    """Check and normalise the fields of an entry; problems go into ``errors``."""
    summary = (summary or "").strip()
    values = {
        "location_text": (location_text or "").strip(),
        "caller_name": (caller_name or "").strip(),
        "caller_phone": (caller_phone or "").strip(),
        "summary": summary,
        "action_taken": (action_taken or "").strip(),
    }
    if not summary:
        errors.setdefault("summary", []).append(_("Say in a few words what happened."))
    _check_length(errors, "summary", summary, SUMMARY_MAX)
    _check_length(errors, "action_taken", values["action_taken"], SUMMARY_MAX)
    _check_length(errors, "location_text", values["location_text"], 200)
    _check_length(errors, "caller_name", values["caller_name"], 64)
    _check_length(errors, "caller_phone", values["caller_phone"], 32)
    if values["caller_phone"]:
        values["caller_phone"] = phone_normalise(values["caller_phone"])
        if not phone_is_valid(values["caller_phone"]):
            errors.setdefault("caller_phone", []).append(
                _("Give the caller's phone number in digits (spaces, +, - and brackets may "
                  "be used; an extension as “转123” or “ext 123”)."))
    if kind not in DutyLogEntry.Kind.values:
        errors.setdefault("kind", []).append(_("Choose the type of entry."))
    _check_past(errors, "occurred_at", occurred_at, now=now)
    campus, place = _resolve_place(errors, campus_id=campus_id, place_id=place_id)
    values.update(kind=kind, occurred_at=occurred_at or now, campus=campus, place=place)
    return values


def duty_entry_log(
    *,
    actor,
    summary: str,
    kind: str = DutyLogEntry.Kind.CALL,
    occurred_at: dt.datetime | None = None,
    campus_id: int | None = None,
    place_id: int | None = None,
    location_text: str = "",
    caller_name: str = "",
    caller_phone: str = "",
    action_taken: str = "",
    idempotency_key: str | None = None,
) -> DutyLogEntry:
    """Log a call or event into the open shift (``occurred_at`` defaults to now).

    The campus defaults to the place's. With the same ``idempotency_key`` a second call
    returns the first entry. The same entry again (same person, type, summary, campus, place,
    location, caller name and phone, and the same time when one is given) within
    :data:`SAME_ENTRY_WINDOW` of logging the first is that entry: it is returned with
    ``already_logged = True`` and nothing is written (the browser's Back button re-sends a
    form with a fresh key). Raises DomainError when nobody is on duty (code
    ``no_open_shift``), for a missing summary, an unknown kind/campus/place, a place on
    another campus, a caller phone that is not a phone number, a time in the future or text
    too long.
    """
    _require(actor, "patrols.keep_duty_log")
    existing = idempotency_lookup(scope=ENTRY_SCOPE, key=idempotency_key, model=DutyLogEntry,
                                  user=actor)
    if existing is not None:
        return existing
    now = clock.now()
    errors: dict[str, list[str]] = {}
    if (occurred_at is not None and occurred_at.tzinfo is not None
            and EARLIEST <= occurred_at < now - DUTY_ENTRY_MAX_AGE):
        errors.setdefault("occurred_at", []).append(
            _("This time is more than %(days)s days ago (before %(date)s). The duty log records "
              "the shift's calls and events; enter an older event as an incident.") % {
                "days": DUTY_ENTRY_MAX_AGE.days,
                "date": (now - DUTY_ENTRY_MAX_AGE).astimezone(clock.local_zone())
                .strftime("%Y-%m-%d")})
    values = _entry_fields(errors, now=now, occurred_at=occurred_at, kind=kind,
                           campus_id=campus_id, place_id=place_id, location_text=location_text,
                           caller_name=caller_name, caller_phone=caller_phone, summary=summary,
                           action_taken=action_taken)
    _raise_all(errors)
    with transaction.atomic():
        shift = _open_shift_locked()  # also serialises two copies of the same entry
        same = _same_entry(actor, values, now=now, time_given=occurred_at is not None)
        if same is not None:
            same.already_logged = True
            return same
        entry = DutyLogEntry.objects.create(shift=shift, logged_in_shift=shift, logged_by=actor,
                                            **values)
        activity_record(target=entry, actor=actor, verb="patrols.duty_entry_log",
                        to_state=entry.status, data={"shift": shift.pk, "kind": entry.kind})
        winner = _race_lost(scope=ENTRY_SCOPE, key=idempotency_key, actor=actor,
                            result=entry)
        if winner is not None:
            return winner
    return entry


def _same_entry(actor, values: dict, *, now, time_given: bool) -> DutyLogEntry | None:
    """The entry ``actor`` logged with these values within :data:`SAME_ENTRY_WINDOW`."""
    # When each was logged is on its timeline (the service clock, which tests can freeze).
    logged_at = dict(ActivityEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(DutyLogEntry),
        verb="patrols.duty_entry_log", actor=actor, occurred_at__gte=now - SAME_ENTRY_WINDOW,
    ).values_list("target_id", "occurred_at"))
    if not logged_at:
        return None
    rows = DutyLogEntry.objects.filter(
        pk__in=logged_at, logged_by=actor, kind=values["kind"], summary=values["summary"],
        campus=values["campus"], place=values["place"], location_text=values["location_text"],
        caller_name=values["caller_name"], caller_phone=values["caller_phone"])
    if time_given:  # two patrol reports written up afterwards are two entries
        rows = rows.filter(occurred_at=values["occurred_at"])
    entry = rows.order_by("-pk").first()
    if entry is not None:
        entry.logged_at = logged_at[entry.pk]
    return entry


def msg_already_logged(entry: DutyLogEntry) -> str:
    """What the page says when :func:`duty_entry_log` found the entry already logged."""
    at = getattr(entry, "logged_at", None) or entry.created_at
    return _("This entry was already logged at %(time)s.") % {
        "time": at.astimezone(clock.local_zone()).strftime("%H:%M")}


#: Fields of an entry that :func:`duty_entry_update` may change.
ENTRY_FIELDS = ("occurred_at", "kind", "campus", "place", "location_text", "caller_name",
                "caller_phone", "summary", "action_taken")


def duty_entry_update(
    *,
    actor,
    entry_id: int,
    summary: str,
    kind: str,
    occurred_at: dt.datetime | None,
    campus_id: int | None = None,
    place_id: int | None = None,
    location_text: str = "",
    caller_name: str = "",
    caller_phone: str = "",
    action_taken: str = "",
) -> DutyLogEntry:
    """Correct an open entry (every field given; ``occurred_at`` None keeps the time).

    The timeline records which fields changed (not the old caller details). A closed entry
    is reopened before it is changed (Conflict).
    """
    _require(actor, "patrols.keep_duty_log")
    now = clock.now()
    errors: dict[str, list[str]] = {}
    values = _entry_fields(errors, now=now, occurred_at=occurred_at, kind=kind,
                           campus_id=campus_id, place_id=place_id, location_text=location_text,
                           caller_name=caller_name, caller_phone=caller_phone, summary=summary,
                           action_taken=action_taken)
    _raise_all(errors)
    with transaction.atomic():
        entry = _lock_entry(entry_id)
        if entry.status != DutyLogEntry.Status.OPEN:
            raise Conflict(_("This entry is closed; reopen it to change it."), code="closed")
        if occurred_at is None:
            values["occurred_at"] = entry.occurred_at
        changed = [name for name in ENTRY_FIELDS if getattr(entry, name) != values[name]]
        if not changed:
            return entry
        for name in changed:
            setattr(entry, name, values[name])
        entry.save()
        activity_record(target=entry, actor=actor, verb="patrols.duty_entry_update",
                        data={"fields": changed})
    return entry


def duty_entry_close(*, actor, entry_id: int, action_taken: str | None = None) -> DutyLogEntry:
    """Close an open entry: it was dealt with. ``action_taken`` (when given) replaces what
    was done; an entry closes only when it says what was done (DomainError otherwise)."""
    _require(actor, "patrols.keep_duty_log")
    errors: dict[str, list[str]] = {}
    text = (action_taken or "").strip() if action_taken is not None else None
    _check_length(errors, "action_taken", text, SUMMARY_MAX)
    _raise_all(errors)
    with transaction.atomic():
        entry = _lock_entry(entry_id)
        if entry.status != DutyLogEntry.Status.OPEN:
            raise Conflict(_("This entry is already closed."), code="closed")
        if text:
            entry.action_taken = text
        if not entry.action_taken:
            _refuse("action_taken", _("Say what was done before closing the entry."))
        entry.status = DutyLogEntry.Status.CLOSED
        entry.closed_at = clock.now()
        entry.save()
        activity_record(target=entry, actor=actor, verb="patrols.duty_entry_close",
                        from_state=DutyLogEntry.Status.OPEN, to_state=entry.status,
                        comment=entry.action_taken)
    return entry


def duty_entry_reopen(*, actor, entry_id: int, reason: str) -> DutyLogEntry:
    """Reopen a closed entry, with a reason. It joins the open shift (so it is carried over
    at the next handover); DomainError when nobody is on duty."""
    _require(actor, "patrols.keep_duty_log")
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the entry is reopened.")]
    _check_length(errors, "reason", reason, NOTE_MAX)
    _raise_all(errors)
    with transaction.atomic():
        shift = _open_shift_locked()
        entry = _lock_entry(entry_id)
        if entry.status != DutyLogEntry.Status.CLOSED:
            raise Conflict(_("This entry is open already."), code="open")
        from_shift = entry.shift_id
        entry.status = DutyLogEntry.Status.OPEN
        entry.closed_at = None
        entry.shift = shift
        entry.save()
        activity_record(target=entry, actor=actor, verb="patrols.duty_entry_reopen",
                        from_state=DutyLogEntry.Status.CLOSED, to_state=entry.status,
                        comment=reason, data={"from_shift": from_shift, "to_shift": shift.pk})
    return entry


# --- incidents -----------------------------------------------------------------------------
def _incident_times(errors: dict, *, now, reported_at, occurred_at, occurred_until):
    """Default and check the times: none in the future, occurred not after reported,
    "occurred until" not before occurred. Problems go into ``errors``."""
    bad: dict[str, list[str]] = {}
    _check_past(bad, "reported_at", reported_at, now=now)
    _check_past(bad, "occurred_at", occurred_at, now=now)
    _check_past(bad, "occurred_until", occurred_until, now=now)
    if bad:
        for name, messages in bad.items():
            errors.setdefault(name, []).extend(messages)
        return reported_at, occurred_at
    reported_at = reported_at or now
    occurred_at = occurred_at or reported_at
    if occurred_at > reported_at:
        errors.setdefault("occurred_at", []).append(
            _("An incident cannot have occurred after it was reported (reported at "
              "%(time)s).") % {"time": reported_at.astimezone(clock.local_zone())
                               .strftime("%Y-%m-%d %H:%M")})
    if occurred_until is not None and occurred_until < occurred_at:
        errors.setdefault("occurred_until", []).append(
            _("“Occurred until” is before the incident occurred."))
    return reported_at, occurred_at


def _incident_recent(errors: dict, *, now, changed: dict) -> None:
    """Refuse times in ``changed`` (``{field: aware datetime or None}``) more than
    :data:`MANUAL_INCIDENT_MAX_AGE` before ``now`` (see there why)."""
    floor = now - MANUAL_INCIDENT_MAX_AGE
    for name, value in changed.items():
        if value is not None and value.tzinfo is not None and EARLIEST <= value < floor:
            errors.setdefault(name, []).append(
                _("This time is more than a year ago (before %(date)s). Older incidents are "
                  "entered through the import of an incident log.") % {
                    "date": floor.astimezone(clock.local_zone()).strftime("%Y-%m-%d")})


def _incident_referral(errors: dict, values: dict) -> None:
    """An incident referred to the police (移交公安) carries the police's case number: the
    station gives it with the receipt of the referral, and without it the office cannot
    follow the case up with the station."""
    if (values["disposition"] == Incident.Disposition.REFERRED
            and not values["police_reference"]):
        errors.setdefault("police_reference", []).append(
            _("Give the police case number: the incident is referred to the police."))


def _incident_texts(errors: dict, *, category, type_label, summary, people_involved,
                    disposition, police_reference, location_text) -> dict:
    values = {
        "category": category,
        "type_label": (type_label or "").strip(),
        "summary": (summary or "").strip(),
        "people_involved": (people_involved or "").strip(),
        "disposition": disposition or Incident.Disposition.OPEN,
        "police_reference": (police_reference or "").strip(),
        "location_text": (location_text or "").strip(),
    }
    if category not in Incident.Category.values:
        errors.setdefault("category", []).append(_("Choose the category of the incident."))
    if values["disposition"] not in Incident.Disposition.values:
        errors.setdefault("disposition", []).append(_("Choose a disposition."))
    _check_length(errors, "type_label", values["type_label"], LABEL_MAX)
    _check_length(errors, "summary", values["summary"], SUMMARY_MAX)
    _check_length(errors, "people_involved", values["people_involved"], SUMMARY_MAX)
    _check_length(errors, "police_reference", values["police_reference"], 64)
    _check_length(errors, "location_text", values["location_text"], 200)
    return values


def _incident_create(*, actor, source: str, reported_at, occurred_at, **values) -> Incident:
    """Take the year's next number and create the incident (inside the caller's atomic)."""
    year = _local_year(reported_at)
    sequence = incident_numbers_take(year=year)
    incident = Incident.objects.create(year=year, sequence=sequence, source=source,
                                       reported_at=reported_at, occurred_at=occurred_at,
                                       recorded_by=actor, **values)
    return incident


def _incident_broadcast(incident: Incident) -> None:
    """Tell the group robots of topic "incidents" that the duty room recorded an incident
    (number, category and campus only — the summary may name people), in the site
    language, after commit."""
    with translation.override(settings.LANGUAGE_CODE):
        robot_broadcast(
            topic="incidents", campus_id=incident.campus_id, url=incident.get_absolute_url(),
            title=_("New incident %(reference)s: %(category)s") % {
                "reference": incident.reference, "category": incident.get_category_display()},
            body=incident.campus.name if incident.campus_id else "")


def incident_record(
    *,
    actor,
    category: str,
    summary: str,
    reported_at: dt.datetime | None = None,
    occurred_at: dt.datetime | None = None,
    occurred_until: dt.datetime | None = None,
    type_label: str = "",
    campus_id: int | None = None,
    place_id: int | None = None,
    location_text: str = "",
    people_involved: str = "",
    disposition: str = Incident.Disposition.OPEN,
    police_reference: str = "",
    idempotency_key: str | None = None,
) -> Incident:
    """Record an incident by hand (source ``manual``); numbered ``JQ<year>-<n>`` by the local
    year it was reported (``reported_at`` defaults to now, ``occurred_at`` to reported_at).

    Raises DomainError for an unknown category/disposition/campus/place, a missing summary,
    a time in the future or more than a year back (:data:`MANUAL_INCIDENT_MAX_AGE`: older
    ones go through the import), occurred after reported, "occurred until" before
    occurred, or disposition "referred to police" without the police case number.
    With the same ``idempotency_key`` a second call returns the first incident.
    """
    _require(actor, "patrols.record_incident")
    existing = idempotency_lookup(scope=INCIDENT_SCOPE, key=idempotency_key, model=Incident,
                                  user=actor)
    if existing is not None:
        return existing
    now = clock.now()
    errors: dict[str, list[str]] = {}
    values = _incident_texts(errors, category=category, type_label=type_label, summary=summary,
                             people_involved=people_involved, disposition=disposition,
                             police_reference=police_reference, location_text=location_text)
    if not values["summary"]:
        errors.setdefault("summary", []).append(_("Say in a few words what happened."))
    campus, place = _resolve_place(errors, campus_id=campus_id, place_id=place_id)
    _incident_referral(errors, values)
    _incident_recent(errors, now=now, changed={"reported_at": reported_at,
                                               "occurred_at": occurred_at,
                                               "occurred_until": occurred_until})
    reported_at, occurred_at = _incident_times(errors, now=now, reported_at=reported_at,
                                               occurred_at=occurred_at,
                                               occurred_until=occurred_until)
    _raise_all(errors)
    with transaction.atomic():
        incident = _incident_create(actor=actor, source=Incident.Source.MANUAL,
                                    reported_at=reported_at, occurred_at=occurred_at,
                                    occurred_until=occurred_until, campus=campus, place=place,
                                    **values)
        activity_record(target=incident, actor=actor, verb="patrols.incident_record",
                        to_state=incident.disposition,
                        data={"reference": incident.reference, "source": incident.source})
        winner = _race_lost(scope=INCIDENT_SCOPE, key=idempotency_key, actor=actor,
                            result=incident)
        if winner is not None:
            return winner
        _incident_broadcast(incident)
    return incident


def duty_entry_to_incident(
    *,
    actor,
    entry_id: int,
    category: str,
    occurred_at: dt.datetime | None = None,
    occurred_until: dt.datetime | None = None,
    type_label: str = "",
    summary: str | None = None,
    people_involved: str = "",
    disposition: str = Incident.Disposition.OPEN,
    police_reference: str = "",
) -> Incident:
    """Make an incident (source ``duty_log``) of a duty log entry and link the entry to it.

    Reported at = the entry's time; ``occurred_at`` may be earlier (defaults to the entry's
    time); campus, place and location come from the entry, the summary too unless given.
    Refused (Conflict, with the incident's number) when the entry already is an incident;
    DomainError for the checks of :func:`incident_record`.
    """
    _require(actor, "patrols.record_incident")
    errors: dict[str, list[str]] = {}
    values = _incident_texts(errors, category=category, type_label=type_label,
                             summary=summary or "", people_involved=people_involved,
                             disposition=disposition, police_reference=police_reference,
                             location_text="")
    _incident_referral(errors, values)
    now = clock.now()
    _incident_recent(errors, now=now, changed={"occurred_at": occurred_at,
                                               "occurred_until": occurred_until})
    _raise_all(errors)
    with transaction.atomic():
        entry = _lock_entry(entry_id)
        if entry.incident_id:
            raise Conflict(_("This entry is already incident %(reference)s; open the incident "
                             "to change it.") % {"reference": entry.incident.reference},
                           code="already_incident")
        _incident_times(errors, now=now, reported_at=entry.occurred_at,
                        occurred_at=occurred_at or entry.occurred_at,
                        occurred_until=occurred_until)
        _raise_all(errors)
        values["summary"] = values["summary"] or entry.summary
        values["location_text"] = entry.location_text
        incident = _incident_create(actor=actor, source=Incident.Source.DUTY_LOG,
                                    reported_at=entry.occurred_at,
                                    occurred_at=occurred_at or entry.occurred_at,
                                    occurred_until=occurred_until, campus_id=entry.campus_id,
                                    place_id=entry.place_id, **values)
        entry.incident = incident
        entry.save(update_fields=["incident", "updated_at"])
        activity_record(target=incident, actor=actor, verb="patrols.incident_record",
                        to_state=incident.disposition,
                        data={"reference": incident.reference, "source": incident.source,
                              "entry": entry.pk})
        activity_record(target=entry, actor=actor, verb="patrols.duty_entry_to_incident",
                        data={"incident": incident.pk, "reference": incident.reference})
        _incident_broadcast(incident)
    return incident


#: Fields of an incident that :func:`incident_update` may change.
INCIDENT_FIELDS = ("category", "type_label", "summary", "occurred_at", "occurred_until",
                   "campus", "place", "location_text", "people_involved", "disposition",
                   "police_reference")


def incident_update(
    *,
    actor,
    incident_id: int,
    category: str,
    summary: str,
    occurred_at: dt.datetime,
    occurred_until: dt.datetime | None = None,
    type_label: str = "",
    campus_id: int | None = None,
    place_id: int | None = None,
    location_text: str = "",
    people_involved: str = "",
    disposition: str = Incident.Disposition.OPEN,
    police_reference: str = "",
) -> Incident:
    """Change an incident (every field given): disposition, police reference, people involved,
    summary, category, times and place. The reported time and the number never change.
    The timeline records the fields changed and the disposition's old and new value.
    A time changed here more than a year back, or a referral to the police being entered
    without the case number, is refused (DomainError), as in :func:`incident_record`."""
    _require(actor, "patrols.record_incident")
    now = clock.now()
    errors: dict[str, list[str]] = {}
    values = _incident_texts(errors, category=category, type_label=type_label, summary=summary,
                             people_involved=people_involved, disposition=disposition,
                             police_reference=police_reference, location_text=location_text)
    if not values["summary"]:
        errors.setdefault("summary", []).append(_("Say in a few words what happened."))
    campus, place = _resolve_place(errors, campus_id=campus_id, place_id=place_id)
    if occurred_at is None:
        errors.setdefault("occurred_at", []).append(_("Give the time the incident occurred."))
    _raise_all(errors)
    with transaction.atomic():
        incident = _lock_incident(incident_id)
        if not incident_visible(actor, incident):
            raise NotAllowed()
        _incident_times(errors, now=now, reported_at=incident.reported_at,
                        occurred_at=occurred_at, occurred_until=occurred_until)
        # An imported incident keeps its old times; only a time changed here is bounded.
        _incident_recent(errors, now=now, changed={
            name: value for name, value in (("occurred_at", occurred_at),
                                            ("occurred_until", occurred_until))
            if value != getattr(incident, name)})
        # A referral (or its case number) being entered needs the number; an imported
        # "referred" incident without one can still be corrected otherwise.
        if (values["disposition"] != incident.disposition
                or values["police_reference"] != incident.police_reference):
            _incident_referral(errors, values)
        _raise_all(errors)
        values.update(occurred_at=occurred_at, occurred_until=occurred_until, campus=campus,
                      place=place)
        changed = [name for name in INCIDENT_FIELDS if getattr(incident, name) != values[name]]
        if not changed:
            return incident
        old_disposition = incident.disposition
        for name in changed:
            setattr(incident, name, values[name])
        incident.save()
        activity_record(target=incident, actor=actor, verb="patrols.incident_update",
                        from_state=old_disposition if "disposition" in changed else "",
                        to_state=incident.disposition if "disposition" in changed else "",
                        data={"fields": changed})
    return incident


# --- hazards -------------------------------------------------------------------------------
def _hazard_from(record, *, actor, verb: str, source: str, title: str, category_id,
                 grade: str, description: str | None, campus_id, place_id,
                 location_text: str | None, idempotency_key: str | None) -> Hazard:
    """Report a hazard with ``record`` (an entry or an incident) as its source; campus,
    place, location and description default to the record's. The hazard goes on
    ``record``'s timeline once (a replayed idempotency key returns the same hazard without a
    second entry). One event, one hazard: when the entry or its incident already led to a
    hazard, Conflict (code ``already_hazard``) naming it. The caller holds the locks."""
    replay = _hazard_replayed(actor=actor, key=idempotency_key)
    if replay is not None and (replay.source_type_id, replay.source_id) == (
            ContentType.objects.get_for_model(record).pk, record.pk):
        return replay
    entry = record if isinstance(record, DutyLogEntry) else None
    incident = record if isinstance(record, Incident) else None
    existing = event_hazard(entry=entry, incident=incident)
    if existing is not None:
        message = (_("This entry already led to hazard %(reference)s; open the hazard to "
                     "follow it up.") if entry is not None else
                   _("This incident already led to hazard %(reference)s; open the hazard to "
                     "follow it up."))
        raise Conflict(message % {"reference": existing.reference}, code="already_hazard")
    hazard = hazard_services.hazard_report(
        reporter=actor, title=title, category_id=category_id,
        campus_id=campus_id if campus_id is not None else record.campus_id,
        place_id=place_id if place_id is not None else record.place_id,
        location_text=record.location_text if location_text is None else location_text,
        description=record.summary if description is None else description, grade=grade,
        source=source, source_record=record, idempotency_key=idempotency_key)
    already = ActivityEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(record), target_id=record.pk, verb=verb,
        data__hazard=hazard.pk).exists()
    if not already:
        activity_record(target=record, actor=actor, verb=verb,
                        data={"hazard": hazard.pk, "reference": hazard.reference})
    return hazard


def _hazard_replayed(*, actor, key: str | None) -> Hazard | None:
    """The hazard an earlier hazard form with ``key`` reported (a double tap), or None."""
    return idempotency_lookup(scope=HAZARD_SCOPE, key=key, model=Hazard, user=actor)


def duty_entry_to_hazard(
    *,
    actor,
    entry_id: int,
    title: str,
    category_id: int,
    grade: str = Grade.GENERAL,
    description: str | None = None,
    campus_id: int | None = None,
    place_id: int | None = None,
    location_text: str | None = None,
    idempotency_key: str | None = None,
) -> Hazard:
    """Report a hazard found through a duty log entry (the hazard loop takes it from there).

    Source: ``patrol`` for a guard's patrol report, else ``office`` (see the module text).
    Campus, place, location and description default to the entry's. The hazard's id and
    reference go on the entry's timeline. An entry (with its incident, the same event) leads
    to one hazard: a second is refused (Conflict naming the first); the same form sent
    twice (same ``idempotency_key``) returns the first.
    """
    _require(actor, "patrols.keep_duty_log")
    with transaction.atomic():
        entry = _lock_entry(entry_id)
        if entry.incident_id:  # the event's other half, locked in the same order as below
            Incident.objects.select_for_update().filter(pk=entry.incident_id).first()
        source = Source.PATROL if entry.kind == DutyLogEntry.Kind.PATROL else Source.OFFICE
        return _hazard_from(
            entry, actor=actor, verb="patrols.duty_entry_to_hazard", source=source, title=title,
            category_id=category_id, grade=grade, description=description, campus_id=campus_id,
            place_id=place_id, location_text=location_text, idempotency_key=idempotency_key)


def incident_to_hazard(
    *,
    actor,
    incident_id: int,
    title: str,
    category_id: int,
    grade: str = Grade.GENERAL,
    description: str | None = None,
    campus_id: int | None = None,
    place_id: int | None = None,
    location_text: str | None = None,
    idempotency_key: str | None = None,
) -> Hazard:
    """Report a hazard that an incident revealed (a broken lock after a burglary, a blocked
    exit after a fire alarm), source ``office``, with the incident as the source record.
    Defaults and timeline as :func:`duty_entry_to_hazard`."""
    _require(actor, "patrols.record_incident")
    with transaction.atomic():
        # Lock the event as duty_entry_to_hazard does (entry first, then incident), so that
        # the entry and its incident cannot both become a hazard at the same moment.
        iid = _as_id(incident_id)
        entry_id = DutyLogEntry.objects.filter(incident_id=iid).values_list(
            "pk", flat=True).first() if iid else None
        if entry_id is not None:
            _lock_entry(entry_id)
        incident = _lock_incident(incident_id)
        if not incident_visible(actor, incident):
            raise NotAllowed()
        return _hazard_from(
            incident, actor=actor, verb="patrols.incident_to_hazard", source=Source.OFFICE,
            title=title, category_id=category_id, grade=grade, description=description,
            campus_id=campus_id, place_id=place_id, location_text=location_text,
            idempotency_key=idempotency_key)
