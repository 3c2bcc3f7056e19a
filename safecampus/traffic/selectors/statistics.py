"""Violation statistics (违停统计): counts by place, type, type as recorded, hour of day,
weekday, month and level, and the repeat-offender list the active rules produce over the
period. Every figure is an SQL aggregate; hours, weekdays, days and months are those of
Asia/Shanghai (``Extract…``/``Trunc…`` with ``tzinfo``).

* **Time of day unknown**: an imported violation whose ledger gives a date only is stored at
  00:00:00 Beijing time (see :mod:`~safecampus.traffic.services.violation_import`); those
  are left out of the hour chart and counted in :attr:`ViolationStatistics.untimed`.
* **Monthly trend**: every month from the period's first to its last (open ends: the first
  or last month with a violation), empty months 0, at most 240 (the latest; the incident statistics' axis).
* **Repeat offenders**: for each active :class:`~safecampus.traffic.models.OffenderRule`
  (``count`` violations within ``days``), the vehicles that reached it in the period. A
  vehicle is the registered vehicle when the violation has one, else its plate, else the
  imported ledger's own vehicle reference. Warnings and void violations do not count.
  "Within ``days`` days" is the rules' own window (``services.violations``): the
  violations seen after ``observed_at - days`` up to the one that reaches the count (3 in 90
  days: 1 Jan, 15 Feb and 31 Mar count; 1 Jan and 1 Apr at the same hour are 90 whole days
  apart and do not). Computed with a ``LAG`` window per vehicle: a violation "reaches" the
  rule when the violation ``count - 1`` before it (same vehicle) is within that window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Max,
    Min,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    ExtractHour,
    ExtractIsoWeekDay,
    ExtractMinute,
    ExtractSecond,
    Lag,
    NullIf,
    TruncMonth,
)

from safecampus.core import clock
from safecampus.core.charts import month_axis

from ..models import OffenderRule, Vehicle, Violation

TOP_PLACES = 20
TOP_TYPES = 20
#: Offenders listed per rule (the total is always given).
TOP_OFFENDERS = 20


@dataclass(frozen=True)
class ViolationStatsFilters:
    """Seen between two local dates (inclusive; None = open end), our type, level and
    source (None = all)."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    kind: str | None = None
    level: str | None = None
    source: str | None = None


@dataclass
class Offender:
    """One vehicle that reached a rule: ``key`` (``v:<vehicle id>``, ``p:<plate>`` or
    ``r:<ledger ref>``), ``label`` to show, ``vehicle`` when registered, ``reached`` (how
    many of its violations reached the count), ``first_reached`` (when it first did),
    ``counted`` (its counting violations in the period) and ``last`` (its latest)."""

    key: str
    label: str
    vehicle: Vehicle | None
    reached: int
    first_reached: dt.datetime
    counted: int
    last: dt.datetime

    @property
    def kind(self) -> str:
        return {"v": "vehicle", "p": "plate", "r": "ledger"}[self.key[0]]


@dataclass
class RuleOffenders:
    rule: OffenderRule
    total: int = 0
    offenders: list[Offender] = field(default_factory=list)


@dataclass
class ViolationStatistics:
    """The figures of the page (lists of dicts, most first unless said otherwise)."""

    filters: ViolationStatsFilters
    total: int = 0
    warnings: int = 0
    untimed: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    by_place: list[dict] = field(default_factory=list)
    by_kind: list[dict] = field(default_factory=list)
    by_type: list[dict] = field(default_factory=list)
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    by_weekday: list[int] = field(default_factory=lambda: [0] * 7)
    by_month: list[tuple[dt.date, int]] = field(default_factory=list)
    months_cut: int = 0
    by_state: list[dict] = field(default_factory=list)
    rules: list[RuleOffenders] = field(default_factory=list)

    @property
    def violations(self) -> int:
        return self.total - self.warnings


def _untimed() -> Q:
    """Imported violations at exactly 00:00:00 Beijing time (their ledger gave a date only);
    use on a queryset annotated by :func:`_with_clock`."""
    return Q(source=Violation.Source.IMPORT, local_hour=0, local_minute=0, local_second=0)


def _with_clock(qs):
    zone = clock.local_zone()
    return qs.annotate(local_hour=ExtractHour("observed_at", tzinfo=zone),
                       local_minute=ExtractMinute("observed_at", tzinfo=zone),
                       local_second=ExtractSecond("observed_at", tzinfo=zone))


def vehicle_key():
    """SQL: who a violation counts against (``v:<id>``, ``p:<plate>``, ``r:<ref>`` or "")."""
    return Case(
        When(vehicle__isnull=False, then=Concat(Value("v:"), Cast("vehicle_id", CharField()))),
        When(~Q(plate=""), then=Concat(Value("p:"), F("plate"))),
        When(~Q(vehicle_ref=""), then=Concat(Value("r:"), F("vehicle_ref"))),
        default=Value(""), output_field=CharField())


def violations_for_statistics(user, filters: ViolationStatsFilters):
    """The violations ``user`` may count under ``filters`` (none without
    ``traffic.view_statistics``)."""
    if not user.has_perm("traffic.view_statistics"):
        return Violation.objects.none()
    qs = Violation.objects.all()
    if filters.date_from:
        qs = qs.filter(observed_at__gte=clock.start_of_local_day(filters.date_from))
    if filters.date_to:
        qs = qs.filter(observed_at__lte=clock.end_of_local_day(filters.date_to))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.source:
        qs = qs.filter(source=filters.source)
    return qs.order_by()


def violation_statistics(user, filters: ViolationStatsFilters) -> ViolationStatistics:
    """All figures of the statistics page, whatever the number of violations: 8 queries,
    one for the rules, 3 per active rule someone reached (2 when nobody did) and one for the
    registered vehicles among the offenders."""
    zone = clock.local_zone()
    qs = violations_for_statistics(user, filters)
    stats = ViolationStatistics(filters=filters)
    summary = _with_clock(qs).aggregate(
        total=Count("id"), warnings=Count("id", filter=Q(level=Violation.Level.WARNING)),
        untimed=Count("id", filter=_untimed()),
        first=Min("observed_at"), last=Max("observed_at"))
    stats.total = summary["total"]
    if not stats.total:
        return stats
    stats.warnings, stats.untimed = summary["warnings"], summary["untimed"]
    stats.first, stats.last = summary["first"], summary["last"]
    stats.by_place = list(
        qs.annotate(where=Coalesce(NullIf("place__name", Value("")),
                                   NullIf("location_text", Value(""))))
        .exclude(where__isnull=True).values("where").annotate(n=Count("id"))
        .order_by("-n", "where")[:TOP_PLACES])
    stats.by_kind = list(qs.values("kind").annotate(n=Count("id")).order_by("-n", "kind"))
    stats.by_type = list(qs.exclude(kind_label="").values("kind_label").annotate(n=Count("id"))
                         .order_by("-n", "kind_label")[:TOP_TYPES])
    for row in (_with_clock(qs).exclude(_untimed()).values("local_hour")
                .annotate(n=Count("id"))):
        stats.by_hour[row["local_hour"]] = row["n"]
    for row in (qs.annotate(weekday=ExtractIsoWeekDay("observed_at", tzinfo=zone))
                .values("weekday").annotate(n=Count("id"))):
        stats.by_weekday[row["weekday"] - 1] = row["n"]
    counted = {row["month"]: row["n"]
               for row in qs.annotate(month=TruncMonth("observed_at", tzinfo=zone))
               .values("month").annotate(n=Count("id")).order_by("month")}
    stats.by_month, stats.months_cut = month_axis(counted, date_from=filters.date_from,
                                                  date_to=filters.date_to)
    stats.by_state = list(qs.values("state").annotate(n=Count("id")).order_by("-n", "state"))
    stats.rules = repeat_offenders(qs)
    return stats


def repeat_offenders(qs, *, top: int = TOP_OFFENDERS) -> list[RuleOffenders]:
    """For each active rule, the vehicles among ``qs`` that reached it (see the module's
    definition): how many in all and the first ``top`` (most often reached first)."""
    counting = (qs.exclude(level=Violation.Level.WARNING).exclude(state=Violation.State.VOID)
                .annotate(who=vehicle_key()).exclude(who=""))
    result = []
    vehicle_ids: set[int] = set()
    for rule in OffenderRule.objects.filter(is_active=True).order_by("count", "days", "id"):
        entry = RuleOffenders(rule=rule)
        result.append(entry)
        if rule.count < 1 or rule.days < 1:
            continue
        reached = counting.annotate(
            earlier=Window(Lag("observed_at", offset=rule.count - 1),
                           partition_by=[vehicle_key()],
                           order_by=[F("observed_at").asc(), F("id").asc()]),
        ) if rule.count > 1 else counting.annotate(earlier=F("observed_at"))
        reached = reached.filter(earlier__gt=F("observed_at") - dt.timedelta(days=rule.days))
        hits = (counting.filter(pk__in=reached.values("pk")).values("who")
                .annotate(reached=Count("id"), first_reached=Min("observed_at")))
        entry.total = hits.count()
        if not entry.total:
            continue
        chosen = list(hits.order_by("-reached", "first_reached", "who")[:top])
        totals = {row["who"]: row for row in counting.filter(who__in=[r["who"] for r in chosen])
                  .values("who").annotate(n=Count("id"), last=Max("observed_at"))}
        for row in chosen:
            key = row["who"]
            entry.offenders.append(Offender(
                key=key, label=key[2:], vehicle=None, reached=row["reached"],
                first_reached=row["first_reached"], counted=totals[key]["n"],
                last=totals[key]["last"]))
            if key.startswith("v:"):
                vehicle_ids.add(int(key[2:]))
    if vehicle_ids:
        vehicles = Vehicle.objects.in_bulk(vehicle_ids)
        for entry in result:
            for offender in entry.offenders:
                if offender.key.startswith("v:"):
                    offender.vehicle = vehicles.get(int(offender.key[2:]))
                    offender.label = str(offender.vehicle) if offender.vehicle else offender.label
    return result
