"""Reads of the duty room: the open shift, shifts, duty log entries and who may be on duty.

Who sees what: the duty log is seen by those with ``patrols.view_duty_log`` (office, guards,
leadership); a caller's phone number is personal data, shown only to those who keep the duty
log (:func:`caller_phone_visible`), never to leadership.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from safecampus.accounts.models import OFFICE_ROLES, Role, User
from safecampus.core.activity import activity_for
from safecampus.hazards.models import Hazard

from ..models import DutyLogEntry, DutyShift, Incident

#: The roles whose members may keep the duty log (``patrols.keep_duty_log``).
DUTY_ROLES = frozenset(OFFICE_ROLES | {Role.GUARD})


def duty_people() -> QuerySet[User]:
    """Active users who may take a shift or lead one: office staff and guards, by name."""
    return (User.objects.filter(is_active=True, memberships__role__in=DUTY_ROLES)
            .distinct().order_by("full_name", "username"))


def caller_phone_visible(user) -> bool:
    """Whether ``user`` may see callers' phone numbers (those who keep the duty log)."""
    return user.has_perm("patrols.keep_duty_log")


def duty_shift_open() -> DutyShift | None:
    """The shift on duty now, with officer and leader, or None (an empty duty room)."""
    return (DutyShift.objects.filter(state=DutyShift.State.OPEN)
            .select_related("officer", "leader").first())


def duty_shift_list_visible_to(user) -> QuerySet[DutyShift]:
    """Shifts newest first with officer and leader joined (none without view_duty_log)."""
    if not user.has_perm("patrols.view_duty_log"):
        return DutyShift.objects.none()
    return DutyShift.objects.select_related("officer", "leader").order_by("-started_at", "-id")


def duty_entry_list_visible_to(user) -> QuerySet[DutyLogEntry]:
    """Duty log entries with what a row shows joined (none without view_duty_log)."""
    if not user.has_perm("patrols.view_duty_log"):
        return DutyLogEntry.objects.none()
    return DutyLogEntry.objects.select_related("campus", "place", "logged_by", "incident")


def open_first(entries: QuerySet[DutyLogEntry]) -> QuerySet[DutyLogEntry]:
    """Open entries first, then newest first."""
    return entries.annotate(
        is_closed=Case(When(status=DutyLogEntry.Status.OPEN, then=Value(0)), default=Value(1),
                       output_field=IntegerField())
    ).order_by("is_closed", "-occurred_at", "-id")


def duty_shift_entries(user, shift: DutyShift) -> QuerySet[DutyLogEntry]:
    """The entries now in ``shift`` (logged in it or carried over into it), open first."""
    return open_first(duty_entry_list_visible_to(user).filter(shift=shift))


def _event_hazards_q(entry_ids: Iterable[int], incident_ids: Iterable[int]) -> Q | None:
    """Hazards whose generic source reference is one of the entries or incidents."""
    entry_ids, incident_ids = {i for i in entry_ids if i}, {i for i in incident_ids if i}
    q = Q(pk__in=[])
    if entry_ids:
        q |= Q(source_type=ContentType.objects.get_for_model(DutyLogEntry),
               source_id__in=entry_ids)
    if incident_ids:
        q |= Q(source_type=ContentType.objects.get_for_model(Incident),
               source_id__in=incident_ids)
    return q if (entry_ids or incident_ids) else None


def event_hazard(*, entry: DutyLogEntry | None = None,
                 incident: Incident | None = None) -> Hazard | None:
    """The hazard a duty room event led to, or None. An entry and the incident made of it are
    one event: the hazard may have been reported from either (found by the hazard's generic
    source reference, whoever may see it; links are for :func:`hazard_visible`)."""
    if entry is None and incident is not None:
        entry = getattr(incident, "duty_entry", None) if incident.pk else None
    if incident is None and entry is not None and entry.incident_id:
        incident = entry.incident
    q = _event_hazards_q([entry.pk] if entry else [], [incident.pk] if incident else [])
    if q is None:
        return None
    return Hazard.objects.filter(q).order_by("pk").first()


def with_hazards(entries: Iterable[DutyLogEntry]) -> list[DutyLogEntry]:
    """``entries`` as a list, each with ``.hazard``: the hazard it or its incident led to
    (None if none). One query for all rows."""
    rows = list(entries)
    q = _event_hazards_q([e.pk for e in rows], [e.incident_id for e in rows])
    found: dict[tuple[str, int], Hazard] = {}
    if q is not None:
        entry_type = ContentType.objects.get_for_model(DutyLogEntry).pk
        for hazard in Hazard.objects.filter(q).order_by("-pk").only(
                "pk", "reported_at", "source_type", "source_id"):
            kind = "entry" if hazard.source_type_id == entry_type else "incident"
            found[(kind, hazard.source_id)] = hazard
    for entry in rows:
        entry.hazard = found.get(("entry", entry.pk)) or found.get(
            ("incident", entry.incident_id))
    return rows


def hazard_visible(user, hazard: Hazard | None) -> bool:
    """Whether ``user`` may open ``hazard``'s page (the number is shown to everyone who sees
    the entry; the link only to those the hazard loop lets in)."""
    return hazard is not None and user.has_perm("hazards.view_hazard", hazard)


def _name(user) -> str:
    return (user.full_name or user.username) if user is not None else ""


def _handover_lines(shift: DutyShift, timeline) -> None:
    """Give the shift's take-over and hand-over events who did what, by name: ``officer``
    (whose shift), ``other`` (took over from / handed over to) and ``recorded_by`` (who
    pressed the button, when neither of them: the office, say). Events recorded before the
    names were kept read them from the shift and its neighbours."""
    previous = shift.previous if shift.previous_id else None
    for event in timeline:
        data = event.data or {}
        if event.verb == "patrols.duty_take_over":
            event.officer = data.get("officer") or _name(shift.officer)
            event.other = data.get("from_officer") or (
                _name(previous.officer) if previous is not None else "")
        elif event.verb == "patrols.duty_hand_over":
            event.officer = data.get("officer") or _name(shift.officer)
            event.other = data.get("next_officer", "")
        else:
            continue
        actor = _name(event.actor)
        event.recorded_by = actor if actor not in (event.officer, event.other) else ""


def duty_shift_story(user, shift: DutyShift) -> dict:
    """What a shift page shows: the entries logged in it, those carried over into it and
    those it carried over to the next shift (from the handover timeline), and its timeline.

    Returns ``{"logged": [...], "carried_in": [...], "carried_out": [...], "timeline": [...]}``
    in a fixed number of queries; entries carry ``.hazard`` (:func:`with_hazards`), handover
    events who did what (``officer``, ``other``, ``recorded_by``). ``shift`` comes with its
    officer and its previous shift's officer joined.
    """
    timeline = list(activity_for(shift).order_by("occurred_at", "id"))
    carried_in: list[int] = []
    carried_out: list[int] = []
    for event in timeline:
        ids = [i for i in (event.data or {}).get("entries", []) if isinstance(i, int)]
        if event.verb == "patrols.duty_take_over":
            carried_in.extend(ids)
        elif event.verb == "patrols.duty_hand_over":
            carried_out.extend(ids)
    rows = duty_entry_list_visible_to(user)
    logged = list(rows.filter(logged_in_shift=shift).order_by("occurred_at", "id"))
    others = {e.pk: e for e in rows.filter(pk__in=set(carried_in + carried_out))}
    _handover_lines(shift, timeline)
    carried_in_rows = [others[i] for i in carried_in if i in others]
    carried_out_rows = [others[i] for i in carried_out if i in others]
    with_hazards(logged + list(others.values()))
    return {
        "logged": logged,
        "carried_in": carried_in_rows,
        "carried_out": carried_out_rows,
        "timeline": timeline,
    }


def duty_entry_detail(user, pk) -> DutyLogEntry | None:
    """One entry with its shifts and incident, if ``user`` may see the duty log."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (duty_entry_list_visible_to(user)
            .select_related("shift__officer", "logged_in_shift__officer")
            .filter(pk=pk).first())
