"""Patrol reports (reads only): completion per route, guard, zone and night, the rounds with
missed checkpoints (漏巡), flagged scans, and the shifts a shift leader leads.

Every figure is one SQL aggregation over :class:`PatrolRound` counters
(``checkpoints_expected`` / ``_on_time`` / ``_late``) that the patrolling services keep
current; nothing loops over scans, so a report costs the same whatever the number of scans.

Definitions:

- a round counts once its window has closed (``window_end`` ≤ now): a round still ahead or
  being walked would lower the rate for no reason; rounds never started count in full;
- *done* = checkpoints scanned on time + late; *missed* = expected − done;
- *completion rate* = done ÷ expected × 100 and *on-time rate* = on time ÷ expected × 100,
  in percent, None when nothing was expected;
- the period is of local (Asia/Shanghai) **shift dates**, both ends included: the rounds of a
  night shift that starts at 22:00 on the 30th belong to the 30th, also those after midnight.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, FloatField, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Cast, NullIf

from safecampus.core import clock
from safecampus.core.pagination import Page, page_of

from ..models import CheckpointScan, PatrolRound, PatrolShift
from .rounds import flag_labels

#: Rows per page of the missed-checkpoint and flagged-scan lists.
PER_PAGE = 25
#: The shift leader's page: tonight and the days before it.
LEADER_DAYS = 7


@dataclass(frozen=True)
class ReportFilters:
    """What a report covers: local shift dates (inclusive); ids may be None (all).
    ``leader_id`` narrows it to the shifts one shift leader leads (his page's figures)."""

    date_from: dt.date
    date_to: dt.date
    campus_id: int | None = None
    route_id: int | None = None
    leader_id: int | None = None

    @classmethod
    def default(cls, today: dt.date | None = None) -> ReportFilters:
        """This month (local), first to last day."""
        today = today or clock.local_today()
        last = calendar.monthrange(today.year, today.month)[1]
        return cls(date_from=today.replace(day=1), date_to=today.replace(day=last))


def _rate(part, whole):
    """``part × 100 ÷ whole`` as a float in SQL; NULL when ``whole`` is 0."""
    return Cast(part, FloatField()) * 100.0 / NullIf(Cast(whole, FloatField()), 0.0)


def rounds_in_period(filters: ReportFilters, *, at: dt.datetime | None = None) -> QuerySet:
    """Rounds of the shifts dated within ``filters`` whose window has closed by ``at``
    (default now), of the campus and route asked for (unordered)."""
    qs = PatrolRound.objects.filter(
        shift__shift_date__gte=filters.date_from, shift__shift_date__lte=filters.date_to,
        window_end__lte=at or clock.now(),
        # Redundant bound on the indexed window_start: a round opens within its shift, which
        # starts on its shift date and lasts at most a day. With it the database reads a
        # month of rounds through the index instead of every round of every year.
        window_start__gte=clock.start_of_local_day(filters.date_from),
        window_start__lt=clock.start_of_local_day(filters.date_to + dt.timedelta(days=2)))
    if filters.campus_id:
        qs = qs.filter(route__campus_id=filters.campus_id)
    if filters.route_id:
        qs = qs.filter(route_id=filters.route_id)
    if filters.leader_id:
        qs = qs.filter(shift__leader_id=filters.leader_id)
    return qs


_FIGURES = {
    "rounds": Count("pk"),
    "expected": Sum("checkpoints_expected"),
    "on_time": Sum("checkpoints_on_time"),
    "late": Sum("checkpoints_late"),
    "flagged": Sum("flagged_scans"),
    "incomplete": Count("pk", filter=Q(state=PatrolRound.State.INCOMPLETE)),
    "not_started": Count("pk", filter=Q(started_at__isnull=True)),
}


def _completion(qs: QuerySet, *group: str) -> QuerySet:
    """Rows of ``group`` values with the figures of :data:`_FIGURES` and both rates."""
    done = F("on_time") + F("late")
    return (qs.values(*group).annotate(**_FIGURES)
            .annotate(done=done, missed=F("expected") - done,
                      completion_rate=_rate(done, F("expected")),
                      on_time_rate=_rate(F("on_time"), F("expected"))))


def completion_totals(filters: ReportFilters, *, at: dt.datetime | None = None) -> dict:
    """``{"rounds", "expected", "on_time", "late", "done", "missed", "flagged",
    "incomplete", "not_started", "completion_rate", "on_time_rate"}`` over the period (one
    query; counts 0 and rates None when there is nothing)."""
    row = rounds_in_period(filters, at=at).aggregate(**_FIGURES)
    for key in ("expected", "on_time", "late", "flagged"):
        row[key] = row[key] or 0
    row["done"] = row["on_time"] + row["late"]
    row["missed"] = row["expected"] - row["done"]
    expected = row["expected"]
    row["completion_rate"] = row["done"] * 100.0 / expected if expected else None
    row["on_time_rate"] = row["on_time"] * 100.0 / expected if expected else None
    return row


def completion_by_route(filters: ReportFilters, *, at: dt.datetime | None = None) -> QuerySet:
    """Rows per route: ``route_id``, ``route__code``, ``route__name``, ``route__campus__name``,
    ``route__zone__name`` and the figures; lowest completion rate first."""
    return _completion(rounds_in_period(filters, at=at), "route_id", "route__code",
                       "route__name", "route__campus__name", "route__zone__name").order_by(
        F("completion_rate").asc(nulls_last=True), "route__code")


def completion_by_guard(filters: ReportFilters, *, at: dt.datetime | None = None) -> QuerySet:
    """Rows per guard who walked (``guard_id``, ``guard__username``, ``guard__full_name``);
    rounds nobody started come under ``guard_id`` None (unassigned). Lowest rate first."""
    return _completion(rounds_in_period(filters, at=at), "guard_id", "guard__username",
                       "guard__full_name").order_by(
        F("completion_rate").asc(nulls_last=True), F("guard__username").asc(nulls_first=True))


def completion_by_zone(filters: ReportFilters, *, at: dt.datetime | None = None) -> QuerySet:
    """Rows per zone of the route (``route__zone_id``, ``route__zone__name``; None: routes
    without a zone); lowest rate first."""
    return _completion(rounds_in_period(filters, at=at), "route__zone_id",
                       "route__zone__name").order_by(
        F("completion_rate").asc(nulls_last=True), "route__zone__name")


def completion_by_night(filters: ReportFilters, *, at: dt.datetime | None = None) -> QuerySet:
    """Rows per shift date (``shift__shift_date``), oldest first; dates without a closed
    round are absent."""
    return _completion(rounds_in_period(filters, at=at), "shift__shift_date").order_by(
        "shift__shift_date")


def missed_rounds(filters: ReportFilters, *, page: int = 1,
                  at: dt.datetime | None = None) -> Page:
    """Page ``page`` of the rounds with missed checkpoints (state ``incomplete``), newest
    window first, with route, shift and guard joined."""
    qs = (rounds_in_period(filters, at=at).filter(state=PatrolRound.State.INCOMPLETE)
          .select_related("route", "shift", "guard").order_by("-window_start", "-id"))
    return page_of(qs, page, per_page=PER_PAGE)


def flagged_scans(filters: ReportFilters, *, page: int = 1) -> Page:
    """Page ``page`` of the flagged scans counted within the period's local days, newest
    first, with checkpoint, route, round and guard joined. Each scan gets ``flag_labels``:
    its flags as translated texts."""
    qs = CheckpointScan.objects.filter(
        is_flagged=True, counted_at__gte=clock.start_of_local_day(filters.date_from),
        counted_at__lte=clock.end_of_local_day(filters.date_to))
    if filters.campus_id:
        qs = qs.filter(checkpoint__route__campus_id=filters.campus_id)
    if filters.route_id:
        qs = qs.filter(checkpoint__route_id=filters.route_id)
    qs = qs.select_related("checkpoint__route", "checkpoint__place__building", "round", "guard").order_by(
        "-counted_at", "-id")
    result = page_of(qs, page, per_page=PER_PAGE)
    for scan in result.object_list:
        scan.flag_labels = flag_labels(scan)
    return result


def leader_window(user, *, until: dt.date | None = None) -> ReportFilters:
    """The shift leader's page's period: the local shift dates ``until`` (default today) and
    the :data:`LEADER_DAYS` days before, of the shifts ``user`` leads."""
    until = until or clock.local_today()
    return ReportFilters(date_from=until - dt.timedelta(days=LEADER_DAYS), date_to=until,
                         leader_id=user.pk)


def leads_shifts(user) -> bool:
    """Whether ``user`` is (or was) the leader of any patrol shift (one query)."""
    return user.is_authenticated and PatrolShift.objects.filter(leader_id=user.pk).exists()


def shifts_led_by(user, *, today: dt.date | None = None) -> QuerySet[PatrolShift]:
    """The shifts ``user`` leads dated ``today`` (local; default today) or in the
    :data:`LEADER_DAYS` days before, newest first (tonight on top), each with its route and
    its rounds in order (``rounds`` prefetched, guard joined) and the shift's sums
    ``expected``, ``done``, ``missed``, ``flagged`` and ``completion_rate`` (done ÷ expected
    × 100 so far, None when nothing is expected)."""
    today = today or clock.local_today()
    rounds = PatrolRound.objects.select_related("guard").order_by("sequence")
    done = Sum(F("rounds__checkpoints_on_time") + F("rounds__checkpoints_late"))
    return (PatrolShift.objects.filter(leader_id=user.pk,
                                       shift_date__gte=today - dt.timedelta(days=LEADER_DAYS),
                                       shift_date__lte=today)
            .select_related("route", "schedule")
            .annotate(expected=Sum("rounds__checkpoints_expected"), done=done,
                      missed=Sum("rounds__checkpoints_missed"),
                      flagged=Sum("rounds__flagged_scans"))
            .annotate(completion_rate=_rate(F("done"), F("expected")))
            .prefetch_related(Prefetch("rounds", queryset=rounds))
            .order_by("-shift_date", "-starts_at", "route__code"))
