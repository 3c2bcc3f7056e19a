"""Joint meetings (联席会议, 研判会) and their actions (决定事项/督办事项), writes.

A meeting is planned (agenda, attendees), then held (minutes, attendance, decisions → actions,
in one all-or-nothing submit) or cancelled with a reason. An action is owned on the campus
side (a unit, optionally a person) or the police side (a partner, optionally one of its
liaisons), due on a local date no earlier than the meeting's day, and followed to done
(progress, complete with a note; the office reopens or drops it with a reason).

Carried-over actions: every planned meeting lists, as agenda items with ``carried_action``,
every action still open from a meeting that started before it in an overlapping scope (same
campus, or either meeting is university-wide). :func:`_agenda_carry` keeps that true when a
meeting is planned, when one is held with new actions, when one is cancelled and when an
action is reopened; an item is never added twice (unique per meeting and action). Items stay
when their action is done, so the meeting shows it done.

Times are stored aware UTC; ``starts_at`` may be given in any zone; due dates and "overdue"
(open and due before today) use local (Asia/Shanghai) days.

Errors: :class:`~safecampus.core.errors.DomainError` (400, ``field_errors`` name the fields),
:class:`~safecampus.core.errors.NotAllowed` (403), :class:`~safecampus.core.errors.Conflict`
(409: the state does not allow it, or someone changed it at the same moment).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django_fsm import can_proceed

from safecampus.accounts.models import Membership, Role, User
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
from safecampus.core.importing import lock_imports
from safecampus.notifications.services import notification_send
from safecampus.organisation.models import Campus, Unit

from ..models import (
    AgendaItem,
    Meeting,
    MeetingAction,
    MeetingAttendee,
    Partner,
    PartnerLiaison,
    Side,
)

MEETING_PLAN_SCOPE = "police.meeting_plan"
TITLE_MAX = 200
TEXT_MAX = 8000
AGENDA_MAX = 30
ATTENDEES_MAX = 100
ACTIONS_MAX = 30
YEARS_AHEAD = 2


# --- input --------------------------------------------------------------------------------
@dataclass
class GuestInput:
    """A police-side attendee without an account: name, agency, post."""

    name: str
    organisation: str = ""
    post: str = ""


@dataclass
class MeetingInput:
    """What the office gives to plan a meeting. ``campus_id`` None: the whole university.
    ``agenda``: item titles in order. ``campus_user_ids``: campus-side attendees;
    ``liaison_user_ids``: police-side attendees with accounts (liaisons of the partners
    taking part); ``guests``: police-side attendees by name."""

    kind: str
    title: str
    starts_at: dt.datetime | None
    campus_id: int | None = None
    location: str = ""
    partner_ids: Sequence = ()
    chair: str = ""
    agenda: Sequence[str] = ()
    campus_user_ids: Sequence = ()
    liaison_user_ids: Sequence = ()
    guests: Sequence[GuestInput] = field(default_factory=list)


@dataclass
class ActionInput:
    """One decision of a meeting being held. Campus side: ``owner_unit_id`` (required) and
    optionally ``owner_id``; police side: ``owner_partner_id`` (required) and optionally
    ``owner_id`` (a liaison of that partner)."""

    title: str
    side: str
    due_on: dt.date | None
    detail: str = ""
    owner_unit_id: int | None = None
    owner_partner_id: int | None = None
    owner_id: int | None = None


# --- labels and messages ------------------------------------------------------------------
#: The states of an action in the words of supervised work (办理中/已办结/已撤销): the
#: models' plain labels ("Open", "Done") already mean inspection states in the catalogue.
ACTION_STATE_CHOICES = [
    (MeetingAction.State.OPEN, pgettext_lazy("meeting action", "Open")),
    (MeetingAction.State.DONE, pgettext_lazy("meeting action", "Done")),
    (MeetingAction.State.CANCELLED, pgettext_lazy("meeting action", "Dropped")),
]
#: A meeting's states (待召开/已召开/已取消), for the same reason.
MEETING_STATE_CHOICES = [
    (Meeting.State.PLANNED, pgettext_lazy("meeting", "Planned")),
    (Meeting.State.HELD, pgettext_lazy("meeting", "Held")),
    (Meeting.State.CANCELLED, pgettext_lazy("meeting", "Cancelled")),
]


def action_state_label(state: str) -> str:
    return str(dict(ACTION_STATE_CHOICES).get(state, state))


def meeting_state_label(state: str) -> str:
    return str(dict(MEETING_STATE_CHOICES).get(state, state))


def msg_meeting_state(meeting: Meeting) -> str:
    return _("This meeting is %(state)s; only a planned meeting can be held or cancelled.") % {
        "state": meeting_state_label(meeting.state)}


def msg_meeting_not_planned(meeting: Meeting) -> str:
    return _("This meeting is %(state)s; only a planned meeting can be edited.") % {
        "state": meeting_state_label(meeting.state)}


def msg_action_state(action: MeetingAction) -> str:
    return _("This action is %(state)s; that cannot be done to it now.") % {
        "state": action_state_label(action.state)}


def msg_too_early(meeting: Meeting) -> str:
    start = meeting.starts_at.astimezone(clock.local_zone())
    return _("The meeting has not started yet: minutes can be recorded from %(time)s.") % {
        "time": start.strftime("%Y-%m-%d %H:%M")}


def meeting_started(meeting: Meeting, now: dt.datetime | None = None) -> bool:
    """True once ``meeting.starts_at`` has come (minutes may be recorded from then)."""
    return meeting.starts_at <= (now or clock.now())


# --- helpers ------------------------------------------------------------------------------
def _ids(values, *, field: str, errors: dict) -> list[int]:
    ids = []
    for value in values or ():
        number = id_or_none(value)
        if number is None:
            errors.setdefault(field, []).append(
                _("“%(value)s” is not a valid choice.") % {"value": str(value)[:20]})
        else:
            ids.append(number)
    return sorted(set(ids))


def _missing(field: str, ids, found, errors: dict) -> None:
    missing = sorted(set(ids) - set(found))
    if missing:
        errors.setdefault(field, []).append(
            _("Unknown choices: %(ids)s.") % {"ids": ", ".join(str(i) for i in missing)})


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(clock.local_zone()).date()


def _scope_q(campus_id: int | None, prefix: str = "") -> Q:
    """Meetings whose scope overlaps a meeting on ``campus_id`` (None: the university):
    every meeting overlaps a university-wide one."""
    if campus_id is None:
        return Q()
    return Q(**{f"{prefix}campus_id": campus_id}) | Q(**{f"{prefix}campus__isnull": True})


CARRY_LOCK = "police.meeting_carry"


def _carry_lock() -> None:
    """One lock for every write that carries actions (plan, edit, hold, cancel, reopen), taken
    first in the transaction: a meeting planned while another is held then either sees the
    held meeting's new actions or is seen by its carrying, never neither (PostgreSQL advisory
    lock; SQLite has one writer at a time anyway)."""
    lock_imports(CARRY_LOCK)


def _carry_candidates(meeting: Meeting):
    """Actions, in any state, that belong on ``meeting``'s agenda: decided at a meeting that
    started before it in an overlapping scope, and owned by the campus side or by a partner
    taking part in ``meeting`` (a partner not there cannot report on its action)."""
    partner_ids = list(meeting.partners.values_list("pk", flat=True))
    return MeetingAction.objects.filter(
        _scope_q(meeting.campus_id, "meeting__"), meeting__starts_at__lt=meeting.starts_at,
    ).filter(Q(side=Side.CAMPUS) | Q(side=Side.POLICE, owner_partner_id__in=partner_ids))


def _agenda_carry(meeting: Meeting, *, actor=None, log: bool = True) -> int:
    """Put on a planned ``meeting``'s agenda every open action of
    :func:`_carry_candidates` that is not there yet. With ``log``, one timeline entry
    (``police.meeting_carry``) says how many were added. Returns how many were added."""
    if meeting.state != Meeting.State.PLANNED:
        return 0
    actions = list(_carry_candidates(meeting).filter(state=MeetingAction.State.OPEN)
                   .exclude(agenda_items__meeting=meeting)
                   .select_related("meeting").order_by("meeting__starts_at", "number"))
    if not actions:
        return 0
    last = (meeting.agenda.order_by("-position").values_list("position", flat=True).first()
            or 0)
    with translation.override(settings.LANGUAGE_CODE):
        items = [AgendaItem(
            meeting=meeting, position=last + n, carried_action=action,
            title=_("Follow-up: %(action)s (decided at %(meeting)s, due %(due)s)") % {
                "action": action.title, "meeting": action.meeting.title,
                "due": action.due_on.isoformat()})
            for n, action in enumerate(actions, start=1)]
    AgendaItem.objects.bulk_create(items, ignore_conflicts=True)
    if log:
        activity_record(target=meeting, actor=actor, verb="police.meeting_carry",
                        data={"carried": len(items)})
    return len(items)


def _agenda_uncarry(meeting: Meeting) -> int:
    """Take off a planned ``meeting``'s agenda the carried items that no longer belong there
    (its time, campus or partners changed). Returns how many were removed."""
    stale = (meeting.agenda.filter(carried_action__isnull=False)
             .exclude(carried_action__in=_carry_candidates(meeting)))
    removed, _detail = stale.delete()
    return removed


def _carry_forward(*, after: dt.datetime, campus_id: int | None, actor=None) -> None:
    """Carry open actions onto every planned meeting starting after ``after`` whose scope
    overlaps ``campus_id``."""
    later = (Meeting.objects.filter(state=Meeting.State.PLANNED, starts_at__gt=after)
             .filter(_scope_q(campus_id)).order_by("starts_at", "pk"))
    for meeting in later:
        _agenda_carry(meeting, actor=actor)


def _action_recipients(action: MeetingAction) -> list:
    """Who is told about an action: its responsible person; without one, the safety contacts
    of the unit (campus side) or the active liaisons of the partner (police side)."""
    if action.owner_id:
        return list(User.objects.filter(pk=action.owner_id))
    if action.owner_unit_id:
        return list(User.objects.filter(
            memberships__role=Role.UNIT_SAFETY_CONTACT,
            memberships__unit_id=action.owner_unit_id).distinct())
    if action.owner_partner_id:
        return list(User.objects.filter(police_liaison__partner_id=action.owner_partner_id,
                                        police_liaison__is_active=True))
    return []


def _notify_created(action_ids: list[int]) -> None:
    for action in MeetingAction.objects.filter(pk__in=action_ids).select_related("meeting"):
        with translation.override(settings.LANGUAGE_CODE):
            notification_send(
                recipients=_action_recipients(action), verb="police.action_assigned",
                title=_("New action for you from “%(meeting)s”: %(action)s") % {
                    "meeting": action.meeting.title, "action": action.title},
                body=_("Due on %(due)s.") % {"due": action.due_on.isoformat()},
                url=action.get_absolute_url(), dedupe_key=f"police.action_assigned:{action.pk}")


# --- meetings -----------------------------------------------------------------------------
def _meeting_fields(data: MeetingInput) -> dict:
    errors: dict[str, list[str]] = {}
    if data.kind not in Meeting.Kind.values:
        errors["kind"] = [_("Choose the kind of meeting.")]
    title = text_checked(data.title, field="title", limit=TITLE_MAX, errors=errors,
                         required=_("Give the meeting a title."))
    location = text_checked(data.location, field="location", limit=200, errors=errors)
    chair = text_checked(data.chair, field="chair", limit=64, errors=errors)
    starts_at = data.starts_at
    if not isinstance(starts_at, dt.datetime) or starts_at.tzinfo is None:
        errors["starts_at"] = [_("Give the day and time the meeting starts.")]
    elif local_day(starts_at).year > clock.local_today().year + YEARS_AHEAD:
        errors["starts_at"] = [_("A meeting can be planned at most %(years)s years ahead.")
                               % {"years": YEARS_AHEAD}]
    campus = None
    if data.campus_id not in (None, ""):
        campus = Campus.objects.filter(pk=id_or_none(data.campus_id) or 0).first()
        if campus is None:
            errors["campus"] = [_("No such campus.")]
    partner_ids = _ids(data.partner_ids, field="partners", errors=errors)
    partners = list(Partner.objects.filter(pk__in=partner_ids, is_active=True))
    _missing("partners", partner_ids, [p.pk for p in partners], errors)
    if data.kind == Meeting.Kind.JOINT and not partner_ids:
        errors.setdefault("partners", []).append(
            _("A joint meeting needs at least one partner taking part."))
    agenda = []
    for line in data.agenda or ():
        line = (line or "").strip()
        if not line:
            continue
        if len(line) > TITLE_MAX:
            errors.setdefault("agenda", []).append(
                _("An agenda item has at most %(count)s characters.") % {"count": TITLE_MAX})
        agenda.append(line[:TITLE_MAX])
    if len(agenda) > AGENDA_MAX:
        errors.setdefault("agenda", []).append(
            _("At most %(count)s agenda items.") % {"count": AGENDA_MAX})
    user_ids = _ids(data.campus_user_ids, field="campus_attendees", errors=errors)
    users = list(User.objects.filter(pk__in=user_ids, is_active=True))
    _missing("campus_attendees", user_ids, [u.pk for u in users], errors)
    liaison_ids = _ids(data.liaison_user_ids, field="police_attendees", errors=errors)
    liaisons = list(PartnerLiaison.objects.filter(
        user_id__in=liaison_ids, is_active=True, partner__in=partners)
        .select_related("user", "partner"))
    if len(liaisons) != len(liaison_ids):
        errors.setdefault("police_attendees", []).append(
            _("Police-side attendees must be liaisons of the partners taking part."))
    guests = []
    for guest in data.guests or ():
        name = (guest.name or "").strip()
        if not name:
            continue
        if len(name) > 64 or len(guest.organisation or "") > 100 or len(guest.post or "") > 64:
            errors.setdefault("guests", []).append(
                _("“%(name)s”: name at most 64 characters, agency at most 100.")
                % {"name": name[:20]})
        guests.append(GuestInput(name[:64], (guest.organisation or "").strip()[:100],
                                 (guest.post or "").strip()[:64]))
    if len(users) + len(liaisons) + len(guests) > ATTENDEES_MAX:
        errors.setdefault("campus_attendees", []).append(
            _("At most %(count)s attendees.") % {"count": ATTENDEES_MAX})
    raise_field_errors(errors)
    return {"kind": data.kind, "title": title, "location": location, "chair": chair,
            "starts_at": starts_at, "campus": campus, "partners": partners, "agenda": agenda,
            "users": users, "liaisons": liaisons, "guests": guests}


def _attendee_rows(meeting: Meeting, f: dict) -> list[MeetingAttendee]:
    rows = [MeetingAttendee(meeting=meeting, side=Side.CAMPUS, user=u,
                            name=(u.full_name or u.username)[:64]) for u in f["users"]]
    rows += [MeetingAttendee(meeting=meeting, side=Side.POLICE, user=li.user,
                             name=(li.user.full_name or li.user.username)[:64],
                             organisation=li.partner.name[:100], post=li.post)
             for li in f["liaisons"]]
    rows += [MeetingAttendee(meeting=meeting, side=Side.POLICE, name=g.name,
                             organisation=g.organisation, post=g.post) for g in f["guests"]]
    return rows


def _attendee_keys(rows) -> list[tuple]:
    return sorted((a.side, a.user_id or 0, a.name, a.organisation, a.post) for a in rows)


def meeting_plan(*, actor, data: MeetingInput, idempotency_key: str | None = None) -> Meeting:
    """Plan a meeting (office). Its agenda gets the given items, then every open action from
    earlier meetings in an overlapping scope (carried over). Returns the meeting."""
    perm_require(actor, "police.plan_meeting")
    earlier = idempotency_lookup(scope=MEETING_PLAN_SCOPE, key=idempotency_key, model=Meeting,
                                 user=actor)
    if earlier is not None:
        return earlier
    f = _meeting_fields(data)
    with transaction.atomic():
        _carry_lock()
        meeting = Meeting.objects.create(
            kind=f["kind"], title=f["title"], campus=f["campus"], starts_at=f["starts_at"],
            location=f["location"], chair=f["chair"], created_by=actor)
        meeting.partners.set(f["partners"])
        AgendaItem.objects.bulk_create([
            AgendaItem(meeting=meeting, position=n, title=title)
            for n, title in enumerate(f["agenda"], start=1)])
        MeetingAttendee.objects.bulk_create(_attendee_rows(meeting, f))
        carried = _agenda_carry(meeting, log=False)
        activity_record(target=meeting, actor=actor, verb="police.meeting_plan",
                        to_state=meeting.state, data={"carried": carried})
        winner = idempotency_race_lost(scope=MEETING_PLAN_SCOPE, key=idempotency_key,
                                       user=actor, result=meeting)
    return winner or meeting


def meeting_update(*, actor, meeting_id: int, data: MeetingInput) -> Meeting:
    """Edit a planned meeting (office): kind, title, campus, time, place, chair, partners,
    its own agenda items (in order, before the carried ones) and attendees (replaced). The
    carried-over items are recomputed: those that no longer belong (time, campus or partners
    changed) are taken off, newly due ones are added. One timeline entry names the changed
    fields and how many carried items were added and removed. Raises :class:`Conflict` when
    the meeting is no longer planned."""
    perm_require(actor, "police.plan_meeting")
    f = _meeting_fields(data)
    with transaction.atomic():
        _carry_lock()
        meeting = _locked_meeting(meeting_id)
        if meeting.state != Meeting.State.PLANNED:
            raise Conflict(msg_meeting_not_planned(meeting))
        changed = [k for k in ("kind", "title", "location", "chair", "starts_at")
                   if getattr(meeting, k) != f[k]]
        if meeting.campus_id != (f["campus"].pk if f["campus"] else None):
            changed.append("campus")
        if set(meeting.partners.values_list("pk", flat=True)) != {p.pk for p in f["partners"]}:
            changed.append("partners")
        for key in ("kind", "title", "location", "chair", "starts_at", "campus"):
            setattr(meeting, key, f[key])
        meeting.save()
        meeting.partners.set(f["partners"])
        own = meeting.agenda.filter(carried_action__isnull=True)
        if list(own.order_by("position", "pk").values_list("title", flat=True)) != f["agenda"]:
            changed.append("agenda")
        own.delete()
        AgendaItem.objects.bulk_create([
            AgendaItem(meeting=meeting, position=n, title=title)
            for n, title in enumerate(f["agenda"], start=1)])
        for n, item in enumerate(meeting.agenda.filter(carried_action__isnull=False)
                                 .order_by("position", "pk"), start=len(f["agenda"]) + 1):
            if item.position != n:
                AgendaItem.objects.filter(pk=item.pk).update(position=n)
        rows = _attendee_rows(meeting, f)
        if _attendee_keys(meeting.attendees.all()) != _attendee_keys(rows):
            changed.append("attendees")
            meeting.attendees.all().delete()
            MeetingAttendee.objects.bulk_create(rows)
        removed = _agenda_uncarry(meeting)
        added = _agenda_carry(meeting, log=False)
        activity_record(target=meeting, actor=actor, verb="police.meeting_update",
                        data={"fields": changed, "carried": added, "uncarried": removed})
    return meeting


def _locked_meeting(meeting_id) -> Meeting:
    meeting = (Meeting.objects.select_for_update()
               .filter(pk=id_or_none(meeting_id) or 0).first())
    if meeting is None:
        raise DomainError(_("This meeting does not exist."), code="not_found")
    return meeting


def _check_actions(meeting: Meeting, rows: Sequence[ActionInput], errors: dict,
                   row_errors: dict | None = None) -> list[dict]:
    """Every row checked; problems go to ``errors["actions"]`` as "Decision N: …" and, when
    ``row_errors`` is given, to ``row_errors[N]`` (N counts the given rows from 1)."""
    day = local_day(meeting.starts_at)
    checked = []
    units = {u.pk: u for u in Unit.objects.filter(pk__in=[
        id_or_none(r.owner_unit_id) or 0 for r in rows])}
    partners = {p.pk: p for p in Partner.objects.filter(pk__in=[
        id_or_none(r.owner_partner_id) or 0 for r in rows], is_active=True)}
    owners = {u.pk: u for u in User.objects.filter(pk__in=[
        id_or_none(r.owner_id) or 0 for r in rows], is_active=True)}
    liaison_of = dict(PartnerLiaison.objects.filter(
        user_id__in=list(owners), is_active=True).values_list("user_id", "partner_id"))
    members = set(Membership.objects.filter(user_id__in=list(owners), unit_id__in=list(units))
                  .values_list("user_id", "unit_id"))
    if len(rows) > ACTIONS_MAX:
        errors.setdefault("actions", []).append(
            _("At most %(count)s decisions at one meeting.") % {"count": ACTIONS_MAX})
    for n, row in enumerate(rows, start=1):
        problems = []
        title = (row.title or "").strip()
        detail = (row.detail or "").strip()
        if not title:
            problems.append(_("give the decision"))
        elif len(title) > TITLE_MAX:
            problems.append(_("the decision has at most %(count)s characters")
                            % {"count": TITLE_MAX})
        if len(detail) > TEXT_MAX:
            problems.append(_("the detail has at most %(count)s characters")
                            % {"count": TEXT_MAX})
        unit = partner = owner = None
        if row.side == Side.CAMPUS:
            unit = units.get(id_or_none(row.owner_unit_id) or 0)
            if unit is None:
                problems.append(_("choose the responsible unit"))
        elif row.side == Side.POLICE:
            partner = partners.get(id_or_none(row.owner_partner_id) or 0)
            if partner is None:
                problems.append(_("choose the responsible partner"))
        else:
            problems.append(_("choose the campus or the police side"))
        if row.owner_id not in (None, ""):
            owner = owners.get(id_or_none(row.owner_id) or 0)
            if owner is None:
                problems.append(_("no such responsible person"))
            elif partner is not None and liaison_of.get(owner.pk) != partner.pk:
                problems.append(_("the responsible person must be a liaison of the partner"))
            elif unit is not None and (owner.pk, unit.pk) not in members:
                problems.append(_("the responsible person must belong to the responsible "
                                  "unit"))
        if not isinstance(row.due_on, dt.date):
            problems.append(_("give the due date"))
        elif row.due_on < day:
            problems.append(_("the due date is before the meeting (%(day)s)")
                            % {"day": day.isoformat()})
        elif row.due_on.year > day.year + YEARS_AHEAD:
            problems.append(_("the due date is too far ahead"))
        if problems:
            message = _("Decision %(number)s: %(problems)s.") % {
                "number": n, "problems": _("; ").join(problems)}
            errors.setdefault("actions", []).append(message)
            if row_errors is not None:
                row_errors[n] = message
            continue
        checked.append({"number": n, "title": title, "detail": detail, "side": row.side,
                        "owner_unit": unit, "owner_partner": partner, "owner": owner,
                        "due_on": row.due_on})
    return checked


def meeting_hold(*, actor, meeting_id: int, minutes: str, attended_ids: Sequence = (),
                 actions: Sequence[ActionInput] = ()) -> Meeting:
    """Record a planned meeting as held: minutes (required), who attended (attendee ids;
    the rest are marked absent) and its decisions as actions (numbered 1…n). All or nothing:
    one bad row refuses everything with a message per row (the raised error's ``row_errors``
    maps each bad row's number to its message). Not before the meeting's start. The new
    actions' owners are told after commit and the actions are carried onto later planned
    meetings."""
    perm_require(actor, "police.record_minutes")
    errors: dict[str, list[str]] = {}
    minutes = text_checked(minutes, field="minutes", limit=TEXT_MAX * 4, errors=errors,
                           required=_("Record the minutes."))
    attended = _ids(attended_ids, field="attended", errors=errors)
    with transaction.atomic():
        _carry_lock()
        meeting = _locked_meeting(meeting_id)
        if not can_proceed(meeting.hold):
            raise Conflict(msg_meeting_state(meeting))
        if not meeting_started(meeting):
            raise DomainError(msg_too_early(meeting), code="too_early")
        row_errors: dict[int, str] = {}
        rows = _check_actions(meeting, list(actions), errors, row_errors)
        _missing("attended", attended, meeting.attendees.values_list("pk", flat=True), errors)
        if errors:
            error = DomainError(next(iter(errors.values()))[0], field_errors=errors)
            error.row_errors = row_errors  # {decision number: its message}, for the page
            raise error
        meeting.hold()
        meeting.minutes = minutes
        meeting.held_at = clock.now()
        meeting.save()
        meeting.attendees.filter(pk__in=attended).update(attended=True)
        meeting.attendees.exclude(pk__in=attended).update(attended=False)
        created = MeetingAction.objects.bulk_create(
            [MeetingAction(meeting=meeting, **row) for row in rows])
        ids = list(MeetingAction.objects.filter(meeting=meeting).values_list("pk", flat=True))
        for action in MeetingAction.objects.filter(pk__in=ids):
            activity_record(target=action, actor=actor, verb="police.action_create",
                            to_state=action.state, data={"meeting": meeting.pk})
        activity_record(target=meeting, actor=actor, verb="police.meeting_hold",
                        from_state=Meeting.State.PLANNED, to_state=meeting.state,
                        data={"actions": len(created), "attended": len(attended)})
        _carry_forward(after=meeting.starts_at, campus_id=meeting.campus_id, actor=actor)
        transaction.on_commit(lambda: _notify_created(ids))
    return meeting


def meeting_cancel(*, actor, meeting_id: int, reason: str) -> Meeting:
    """Cancel a planned meeting with a reason. Its carried-over items go on: they are (and
    stay) on the agenda of the next planned meetings."""
    perm_require(actor, "police.plan_meeting")
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=200, errors=errors,
                          required=_("Say why the meeting is cancelled."))
    raise_field_errors(errors)
    with transaction.atomic():
        _carry_lock()
        meeting = _locked_meeting(meeting_id)
        if not can_proceed(meeting.cancel):
            raise Conflict(msg_meeting_state(meeting))
        meeting.cancel()
        meeting.cancel_reason = reason
        meeting.save()
        activity_record(target=meeting, actor=actor, verb="police.meeting_cancel",
                        from_state=Meeting.State.PLANNED, to_state=meeting.state,
                        comment=reason)
        _carry_forward(after=meeting.starts_at, campus_id=meeting.campus_id, actor=actor)
    return meeting


# --- actions ------------------------------------------------------------------------------
def _locked_action(action_id) -> MeetingAction:
    action = (MeetingAction.objects.select_for_update()
              .filter(pk=id_or_none(action_id) or 0).first())
    if action is None:
        raise DomainError(_("This action does not exist."), code="not_found")
    return action


def action_progress(*, actor, action_id: int, progress: str) -> MeetingAction:
    """Record the latest progress of an open action (its owner or the office)."""
    errors: dict[str, list[str]] = {}
    progress = text_checked(progress, field="progress", limit=TEXT_MAX, errors=errors,
                            required=_("Say what has been done so far."))
    with transaction.atomic():
        action = _locked_action(action_id)
        perm_require(actor, "police.update_action", action)
        raise_field_errors(errors)
        if action.state != MeetingAction.State.OPEN:
            raise Conflict(msg_action_state(action))
        action.progress = progress
        action.save(update_fields=["progress", "updated_at"])
        activity_record(target=action, actor=actor, verb="police.action_progress",
                        comment=progress)
    return action


def action_complete(*, actor, action_id: int, note: str) -> MeetingAction:
    """Open → done, with a note on how (its owner or the office). Of two at the same moment,
    one wins; the other gets a :class:`Conflict`."""
    errors: dict[str, list[str]] = {}
    note = text_checked(note, field="note", limit=TEXT_MAX, errors=errors,
                        required=_("Say how the action was done."))
    with transaction.atomic():
        action = _locked_action(action_id)
        perm_require(actor, "police.update_action", action)
        raise_field_errors(errors)
        if not can_proceed(action.complete):
            raise Conflict(msg_action_state(action))
        action.complete()
        action.completion_note = note
        action.completed_at = clock.now()
        action.save()
        late = local_day(action.completed_at) > action.due_on
        activity_record(target=action, actor=actor, verb="police.action_complete",
                        from_state=MeetingAction.State.OPEN, to_state=action.state,
                        comment=note, data={"late": late})
    return action


def action_reopen(*, actor, action_id: int, reason: str) -> MeetingAction:
    """Done → open again (office, with a reason); it is carried onto later planned
    meetings again."""
    perm_require(actor, "police.reopen_action")
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=TEXT_MAX, errors=errors,
                          required=_("Say why the action is reopened."))
    raise_field_errors(errors)
    with transaction.atomic():
        _carry_lock()
        action = _locked_action(action_id)
        if not can_proceed(action.reopen):
            raise Conflict(msg_action_state(action))
        action.reopen()
        action.completed_at = None
        action.save()
        activity_record(target=action, actor=actor, verb="police.action_reopen",
                        from_state=MeetingAction.State.DONE, to_state=action.state,
                        comment=reason)
        meeting = action.meeting
        _carry_forward(after=meeting.starts_at, campus_id=meeting.campus_id, actor=actor)
    return action


def action_drop(*, actor, action_id: int, reason: str) -> MeetingAction:
    """Open → dropped, no longer needed (office, with a reason)."""
    perm_require(actor, "police.drop_action")
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=TEXT_MAX, errors=errors,
                          required=_("Say why the action is dropped."))
    raise_field_errors(errors)
    with transaction.atomic():
        action = _locked_action(action_id)
        if not can_proceed(action.drop):
            raise Conflict(msg_action_state(action))
        action.drop()
        action.save()
        activity_record(target=action, actor=actor, verb="police.action_drop",
                        from_state=MeetingAction.State.OPEN, to_state=action.state,
                        comment=reason)
    return action


# --- the daily sweep ----------------------------------------------------------------------
def meeting_action_sweep(*, today: dt.date | None = None) -> dict[str, int]:
    """Remind owners of open actions: once when the due date is at most
    ``MEETING_ACTION_REMIND_DAYS`` away (dedupe key per action and due date, so a moved due
    date reminds again), and once when overdue (``overdue_reminded_at``). Idempotent: a re-run
    or an overlapping run sends nothing twice. Returns ``{"due_soon": n, "overdue": n}``
    (actions reminded)."""
    today = today or clock.local_today()
    days = settings.SAFECAMPUS["MEETING_ACTION_REMIND_DAYS"]
    counts = {"due_soon": 0, "overdue": 0}
    open_rows = MeetingAction.objects.filter(state=MeetingAction.State.OPEN)
    soon = open_rows.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=days))
    with translation.override(settings.LANGUAGE_CODE):
        for action in soon.select_related("meeting").order_by("pk"):
            with transaction.atomic():
                sent = notification_send(
                    recipients=_action_recipients(action), verb="police.action_due_soon",
                    title=_("Action due on %(due)s: %(action)s") % {
                        "due": action.due_on.isoformat(), "action": action.title},
                    body=_("Decided at “%(meeting)s”.") % {"meeting": action.meeting.title},
                    url=action.get_absolute_url(),
                    dedupe_key=f"police.action_due:{action.pk}:{action.due_on.isoformat()}")
            counts["due_soon"] += bool(sent)
        overdue_ids = list(open_rows.filter(due_on__lt=today, overdue_reminded_at__isnull=True)
                           .order_by("pk").values_list("pk", flat=True))
        for pk in overdue_ids:
            with transaction.atomic():
                action = (MeetingAction.objects.select_for_update().select_related("meeting")
                          .filter(pk=pk, state=MeetingAction.State.OPEN,
                                  overdue_reminded_at__isnull=True).first())
                if action is None:
                    continue  # done meanwhile, or another run got here first
                notification_send(
                    recipients=_action_recipients(action), verb="police.action_overdue",
                    title=_("Action overdue since %(due)s: %(action)s") % {
                        "due": action.due_on.isoformat(), "action": action.title},
                    body=_("Decided at “%(meeting)s”.") % {"meeting": action.meeting.title},
                    url=action.get_absolute_url(),
                    dedupe_key=f"police.action_overdue:{action.pk}")
                MeetingAction.objects.filter(pk=pk).update(overdue_reminded_at=clock.now())
                counts["overdue"] += 1
    return counts

