"""Reads of the duty room: the open shift, shifts, duty log entries and who may be on duty.

Who sees what: the duty log is seen by those with ``patrols.view_duty_log`` (office, guards,
leadership); a caller's phone number is personal data, shown only to those who keep the duty
log (:func:`caller_phone_visible`), never to leadership.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from safecampus.accounts.models import OFFICE_ROLES, Role, User
from safecampus.core.activity import activity_for

from ..models import DutyLogEntry, DutyShift

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


def duty_shift_story(user, shift: DutyShift) -> dict:
    """What a shift page shows: the entries logged in it, those carried over into it and
    those it carried over to the next shift (from the handover timeline), and its timeline.

    Returns ``{"logged": [...], "carried_in": [...], "carried_out": [...], "timeline": [...]}``
    in a fixed number of queries.
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
    return {
        "logged": logged,
        "carried_in": [others[i] for i in carried_in if i in others],
        "carried_out": [others[i] for i in carried_out if i in others],
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
