"""Reads for patrolling: the rounds a user may see, a guard's shifts today, a round's
checkpoints with their status, and the office's view of rounds open now and rounds with
missed checkpoints.

Visibility in SQL is the same rule as ``patrols.view_round`` (``rules.py``): the office and
leadership see every round; anyone else sees the rounds they walked and the rounds of shifts
they are a guard on or lead. Times in and out are aware; "today" is the local
(Asia/Shanghai) day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from safecampus.core import clock

from ..models import Checkpoint, CheckpointScan, PatrolRound, PatrolShift
from ..services.patrolling import START_LEAD

#: Rounds with missed checkpoints stay on the office hub this long after their window.
MISSED_LOOKBACK = dt.timedelta(hours=24)
OPEN_STATES = (PatrolRound.State.PLANNED, PatrolRound.State.IN_PROGRESS)
COUNTED = (CheckpointScan.Timing.ON_TIME, CheckpointScan.Timing.LATE)


def round_list_visible_to(user):
    """Rounds ``user`` may open (a queryset, no ordering imposed beyond the model's)."""
    rounds = PatrolRound.objects.all()
    if user.scope.sees_everything:
        return rounds
    return rounds.filter(
        Q(guard=user) | Q(shift__leader=user) | Q(shift__guards=user)).distinct()


def scan_list_visible_to(user):
    """Checkpoint scans ``user`` may read one by one (they carry guards' positions): the
    office all; anyone else their own scans and those on shifts they lead. Leadership reads
    the reports' figures, not the scans."""
    rows = CheckpointScan.objects.all()
    if not user.scope.is_office:
        rows = rows.filter(Q(guard=user) | Q(round__shift__leader=user))
    return rows


def round_visible(user, pk: int) -> PatrolRound | None:
    """The round ``pk`` with its shift, schedule, leader, route and guard loaded, or None
    when it does not exist or ``user`` may not see it (``patrols.view_round``)."""
    round_ = (PatrolRound.objects
              .select_related("shift__leader", "shift__schedule", "route__campus", "guard")
              .filter(pk=pk).first())
    if round_ is None or not user.has_perm("patrols.view_round", round_):
        return None
    return round_


def round_phase(round_: PatrolRound, at: dt.datetime) -> str:
    """Where ``at`` falls for the round: ``upcoming`` (before the window), ``open`` (in the
    window), ``late`` (after the window, late scans still counted) or ``closed``."""
    if at < round_.window_start:
        return "upcoming"
    if at < round_.window_end:
        return "open"
    if at < round_.late_until:
        return "late"
    return "closed"


def round_start_from(round_: PatrolRound) -> dt.datetime:
    """The earliest time the round may be started: :data:`START_LEAD` before its window
    opens (``patrolling.round_start``'s rule; it may be started until ``late_until``)."""
    return round_.window_start - START_LEAD


def round_startable(round_: PatrolRound, at: dt.datetime) -> bool:
    """Whether a planned round may be started at ``at`` (see :func:`round_start_from`)."""
    return (round_.state == PatrolRound.State.PLANNED
            and round_start_from(round_) <= at < round_.late_until)


@dataclass
class CheckpointRow:
    """One expected checkpoint of a round, as the round page shows it.

    ``status``: ``on_time`` / ``late`` (scanned; ``scan`` is the scan that counted),
    ``missed`` (not scanned and the window has closed, or the round ended), ``pending``.
    ``flagged``: the checkpoint's flagged scans in this round, each with its reasons'
    labels (``CheckpointScan.Flag``).
    """

    checkpoint: Checkpoint
    status: str
    scan: CheckpointScan | None = None
    flagged: list[tuple[CheckpointScan, list[str]]] = field(default_factory=list)


def flag_labels(scan: CheckpointScan) -> list[str]:
    """The translated reasons a scan was flagged (unknown stored values shown as they are)."""
    labels = dict(CheckpointScan.Flag.choices)
    return [str(labels.get(flag, flag)) for flag in scan.flags or []]


def round_scans(round_: PatrolRound) -> list[CheckpointScan]:
    """Every scan matched to the round, oldest first, with checkpoint and guard, each with
    ``flag_labels`` (see :func:`flag_labels`) set (1 query)."""
    scans = list(round_.scans.select_related("checkpoint__place__building", "guard")
                 .order_by("counted_at", "id"))
    for scan in scans:
        scan.flag_labels = flag_labels(scan)
    return scans


def round_checkpoint_rows(round_: PatrolRound, scans: list[CheckpointScan], *,
                          at: dt.datetime | None = None) -> list[CheckpointRow]:
    """The round's expected checkpoints in route order with their status (1 query).

    ``scans``: the round's scans from :func:`round_scans` (with ``flag_labels``). A
    checkpoint with no counting scan is ``missed`` once the window has closed (the sweep's
    rule) or the round ended early, else ``pending``.
    """
    at = at or clock.now()
    checkpoints = Checkpoint.objects.select_related("place__building").in_bulk(
        round_.checkpoint_ids)
    closed = at >= round_.window_end or round_.state in (
        PatrolRound.State.ENDED_EARLY, PatrolRound.State.INCOMPLETE)
    counting: dict[int, CheckpointScan] = {}
    flagged: dict[int, list] = {}
    for scan in scans:
        if scan.timing in COUNTED and scan.checkpoint_id not in counting:
            counting[scan.checkpoint_id] = scan
        if scan.is_flagged:
            flagged.setdefault(scan.checkpoint_id, []).append((scan, scan.flag_labels))
    rows = []
    for checkpoint_id in round_.checkpoint_ids:
        checkpoint = checkpoints.get(checkpoint_id)
        if checkpoint is None:  # deleted since the round was planned
            continue
        scan = counting.get(checkpoint_id)
        if scan is not None:
            status = scan.timing
        else:
            status = "missed" if closed else "pending"
        rows.append(CheckpointRow(checkpoint=checkpoint, status=status, scan=scan,
                                  flagged=flagged.get(checkpoint_id, [])))
    return rows


@dataclass
class ShiftToday:
    """One of the user's shifts today with its rounds (``rounds``: PatrolRound with
    ``phase`` (see :func:`round_phase`), ``start_from`` (see :func:`round_start_from`) and
    ``too_early`` (before ``start_from``) set)."""

    shift: PatrolShift
    rounds: list[PatrolRound]
    is_guard: bool


def my_shifts_today(user, *, at: dt.datetime | None = None) -> tuple[list[ShiftToday],
                                                                      PatrolRound | None]:
    """The shifts ``user`` is a guard on or leads that overlap today's local day (so at
    02:00 last night's shift is there, and at 18:00 tonight's), each with its rounds, and
    the next round to walk: the earliest planned or in-progress round on a shift the user
    guards whose late period has not ended. Three queries."""
    at = at or clock.now()
    today = at.astimezone(clock.local_zone()).date()
    shifts = (PatrolShift.objects
              .filter(Q(guards=user) | Q(leader=user),
                      starts_at__lt=clock.end_of_local_day(today),
                      ends_at__gt=clock.start_of_local_day(today))
              .select_related("route", "schedule")
              .prefetch_related(
                  Prefetch("rounds", queryset=PatrolRound.objects.order_by("sequence")),
                  Prefetch("guards", to_attr="guard_list"))
              .distinct().order_by("starts_at", "route_id"))
    result, next_round = [], None
    for shift in shifts:
        is_guard = any(g.pk == user.pk for g in shift.guard_list)
        rounds = list(shift.rounds.all())
        for round_ in rounds:
            round_.phase = round_phase(round_, at)
            round_.start_from = round_start_from(round_)
            round_.too_early = at < round_.start_from
            if (is_guard and round_.state in OPEN_STATES and round_.late_until > at
                    and (next_round is None or round_.window_start < next_round.window_start)):
                next_round = round_
        result.append(ShiftToday(shift=shift, rounds=rounds, is_guard=is_guard))
    return result, next_round


def rounds_open_now(user, *, at: dt.datetime | None = None, limit: int = 30) -> list:
    """Rounds ``user`` may see whose window or late period is running now and that are not
    done yet, soonest closing first, with route, shift and guard (1 query)."""
    at = at or clock.now()
    return list(round_list_visible_to(user)
                .filter(window_start__lte=at, late_until__gt=at, state__in=OPEN_STATES)
                .select_related("route__campus", "shift", "guard")
                .order_by("window_end", "route_id")[:limit])


def rounds_missed_recently(user, *, at: dt.datetime | None = None, limit: int = 30) -> list:
    """Rounds ``user`` may see that closed with missed checkpoints in the last 24 hours,
    latest first (1 query)."""
    at = at or clock.now()
    return list(round_list_visible_to(user)
                .filter(checkpoints_missed__gt=0, window_end__gte=at - MISSED_LOOKBACK,
                        window_end__lte=at)
                .select_related("route__campus", "shift", "guard")
                .order_by("-window_end", "route_id")[:limit])
