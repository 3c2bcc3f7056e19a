"""What patrol, duty-room and grid work waits for one person (the home page's card)."""

import datetime as dt

from django.db.models import Q

from safecampus.accounts.models import Role
from safecampus.core import clock

from ..models import DutyLogEntry, DutyShift, GridVisit, PatrolRound

#: A led shift's missed checkpoints stay on the leader's home page this long.
LEADER_LOOKBACK = dt.timedelta(hours=24)


def patrol_work(user, *, at: dt.datetime | None = None) -> dict | None:
    """The card's figures for ``user`` at ``at`` (default now), or None when there is nothing.

    Keys (None when the user has no part in it):
    ``next_round`` — the guard's current or next round not yet done (a :class:`PatrolRound`
    with ``route`` loaded) on a shift they are assigned to, whose late period has not ended;
    ``missed_led`` — rounds with missed checkpoints on shifts the user leads, closed within
    the last 24 hours; ``open_duty_entries`` — open entries of the duty room's open shift
    (people who keep the duty log); ``visits_this_month`` — the grid officer's own visits in
    the current local month. At most four queries.
    """
    at = at or clock.now()
    work: dict = dict.fromkeys(("next_round", "missed_led", "open_duty_entries",
                                "visits_this_month"))
    roles = user.scope.roles
    if user.has_perm("patrols.patrol"):
        work["next_round"] = (
            PatrolRound.objects.filter(shift__guards=user, late_until__gt=at,
                                       state__in=[PatrolRound.State.PLANNED,
                                                  PatrolRound.State.IN_PROGRESS])
            .select_related("route").order_by("window_start").first())
        work["missed_led"] = PatrolRound.objects.filter(
            shift__leader=user, state=PatrolRound.State.INCOMPLETE,
            window_end__gte=at - LEADER_LOOKBACK).count() or None
    if user.has_perm("patrols.keep_duty_log"):
        work["open_duty_entries"] = DutyLogEntry.objects.filter(
            shift__state=DutyShift.State.OPEN, status=DutyLogEntry.Status.OPEN).count() or None
    if roles & {Role.GRID_OFFICER, Role.GRID_HEAD}:
        month_start = clock.start_of_local_day(
            at.astimezone(clock.local_zone()).date().replace(day=1))
        work["visits_this_month"] = GridVisit.objects.filter(
            Q(officer=user), visited_at__gte=month_start).count()
    if not any(value is not None for value in work.values()):
        return None
    return work
