"""The leadership cockpit (驾驶舱): every module's headline figures for a period, per campus or
for the whole university, with the previous period, a 12-month trend and a drill-down link.

Reads only. Each figure starts from the module's own visibility selector (the same rows its
list page shows that person) and is aggregated in SQL: one grouped query per module, in
which the period, the previous period and the twelve trend months are conditional counts
(``COUNT(*) FILTER (WHERE …)``), so the cost does not grow with the rows or the months.

Periods are :class:`~safecampus.dashboards.periods.Period` values: local (Asia/Shanghai)
calendar days, start included, end excluded. Two kinds of figure:

* **period figures** count the records dated within the period (reported, finished, seen,
  occurred, held, submitted);
* **state figures** ("now") say how things stood at the period's end: when the period
  includes today (or lies ahead), the state now, exactly as the module's list shows it; for a
  past period, reconstructed from the record's own dates where the module keeps them
  (hazards: reported/closed/deadline; abandoned-vehicle cases: created/closed), else None.

Metric keys (stable; the reports use them) and what each counts:

``hazards_reported``            hazards reported in the period (``reported_at``), rejected
                                and duplicate reports excluded (GLOSSARY: not hazards).
``hazards_open``                state: hazards open at the period's end (``OPEN_STATES``; for
                                a past period: reported before the end and not closed, rejected
                                or merged by then).
``hazards_overdue``             state: hazards past their deadline and still owed by the
                                unit at the period's end — the meaning of
                                ``hazards.selectors.overdue_q`` everywhere (figures, trend,
                                tables). Now: exactly ``overdue_q(now)``. For a past end: open
                                then, deadline before it, and not awaiting the office's review
                                then (the unit's latest evidence submitted before the end of a
                                hazard now awaiting review or closed); a hazard returned for
                                rework counts as owed (the return time is not kept).
``hazards_rectification_rate``  整改率: of the hazards reported in the period, the percentage
                                closed (verified or fixed on the spot) by now.
``hazards_on_time_rate``        按期整改率: of the hazards closed in the period (``closed_at``),
                                the percentage closed by their deadline.
``hazards_major``               state: open major hazards (重大隐患) at the period's end.
``inspections_done``            finished inspections whose finishing day is in the period
                                (``inspections.stats.finished_inspections``).
``inspection_coverage``         state: percentage of the places of active inspection plans
                                inspected in their current cycle (target coverage "done"); no
                                history is kept, so None for a past period.
``inspection_compliance``       items complied ÷ items checked × 100 over those inspections
                                (``inspections.stats.totals``'s rate).
``patrol_completion``           checkpoints done ÷ expected × 100 over the rounds of the
                                period's shift dates whose window has closed
                                (``patrols.selectors.reports``).
``patrol_missed_checkpoints``   漏巡: expected − done over the same rounds.
``traffic_violations``          violations seen in the period (``observed_at``, warnings
                                included, as the violation list shows them).
``abandoned_vehicles``          state: open abandoned-vehicle cases (僵尸车) at the period's end.
``education_activities``        education activities held in the period (``starts_at``).
``education_coverage``          percentage of active colleges and residential colleges that
                                an activity held in the period reached.
``incidents``                   incidents that occurred in the period (``occurred_at``).
``concerns_received``           concerns submitted in the period (``submitted_at``).
``concerns_answered_on_time``   of those, the percentage answered on time: first answered
                                (``answered_at``) by the end of the category's working days
                                to answer after the local day submitted
                                (``community.selectors.concerns.answer_due_day``), or not
                                answered yet and not overdue now (``community`` ``overdue_q``).
``risk_major`` … ``risk_low``   state: published risk points at that level (重大/较大/一般/低).
                                For a past period: the points published before its end
                                (``published_at``, else ``created_at``) that are still
                                published, at their
                                current level (the register keeps no level history on the
                                point; retired points drop out of every period).

Campus: the hazard's, inspection's, route's, violation's, case's, activity's, incident's,
concern's or risk point's campus; records without a campus count only for the university.
A figure the person may not see (no permission for the module page) is None, with no link.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

import rules
from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, Count, F, Func, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.urls import reverse
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from safecampus.accounts.models import Role, Scope
from safecampus.community.selectors.concerns import QueueFilters, answer_due_days, concern_queue
from safecampus.community.selectors.concerns import overdue_q as concern_overdue_q
from safecampus.core import clock
from safecampus.core.models import ActivityEntry
from safecampus.core.workdays import WorkCalendar
from safecampus.education.models import Activity, Term
from safecampus.education.selectors.activities import activities_visible_to
from safecampus.hazards.models import (
    DONE_STATES,
    OPEN_STATES,
    UNIT_STATES,
    VOID_STATES,
    Evidence,
    Grade,
    Status,
)
from safecampus.hazards.selectors import hazard_list_visible_to, overdue_q
from safecampus.inspections.models import Coverage, InspectionPlan
from safecampus.inspections.selectors import target_list_visible_to
from safecampus.inspections.stats import StatsFilters, finished_inspections
from safecampus.organisation.models import STUDENT_UNIT_KINDS, Campus, Unit
from safecampus.patrols.selectors.incidents import incident_search
from safecampus.patrols.selectors.reports import ReportFilters, rounds_in_period
from safecampus.police.models import RiskPoint
from safecampus.police.selectors.risks import risk_points_visible_to
from safecampus.traffic.models.abandoned import CASE_OPEN_STATES
from safecampus.traffic.selectors.abandoned import case_list_visible_to
from safecampus.traffic.selectors.violations import violation_search

from .periods import Period

#: How many local months the trend covers (ending with the period's last month).
TREND_MONTHS = 12
#: Rows of the tables for the reports.
TOP_UNITS = 10
OVERDUE_ROWS = 20
MAJOR_ROWS = 20

RISK_LEVELS = ("major", "high", "moderate", "low")

#: The module page each section's figures need (house rule 6: same permission as the page).
SECTION_PERMS = {
    "hazards": "hazards.view_ledger",
    "inspections": "inspections.view_statistics",
    "patrols": "patrols.view_patrol_reports",
    "traffic": "traffic.view_abandoned",
    "education": "education.view_activities",
    "incidents": "patrols.view_incident",
    "concerns": "community.view_concern_reports",
    "risks": "police.view_risk_register",
}


class SystemViewer:
    """The whole-office view (``user=None``): what the security office sees, read-only.

    Used by the big screen and scheduled reports, which run without a signed-in person. It
    has the office administrator's scope and answers ``has_perm`` through the same rules, so
    every module selector filters it exactly as it filters the office."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False
    pk = id = None
    username = "system"

    def __init__(self):
        self.scope = Scope({Role.OFFICE_ADMIN}, (), (), (), {})

    def has_perm(self, perm: str, obj=None) -> bool:
        return rules.has_perm(perm, self, obj)


@dataclass(frozen=True)
class _Bucket:
    name: str
    start: dt.datetime
    end: dt.datetime
    first: dt.date
    last: dt.date


def _month_firsts(last_day: dt.date) -> list[dt.date]:
    index = last_day.year * 12 + last_day.month - 1
    return [dt.date((index - back) // 12, (index - back) % 12 + 1, 1)
            for back in range(TREND_MONTHS - 1, -1, -1)]


def _buckets(period: Period) -> list[_Bucket]:
    """``v`` (the period), ``p`` (the previous one) and ``m0``…``m11`` (the trend months,
    oldest first), each with aware bounds (end excluded) and local first/last days."""
    previous = period.previous()
    out = [_Bucket("v", period.start, period.end, period.first, period.last),
           _Bucket("p", previous.start, previous.end, previous.first, previous.last)]
    for i, first in enumerate(_month_firsts(period.last)):
        following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        last = following - dt.timedelta(days=1)
        out.append(_Bucket(f"m{i}", clock.start_of_local_day(first),
                           clock.start_of_local_day(following), first, last))
    return out


def _span(buckets: list[_Bucket]) -> tuple[dt.date, dt.date]:
    return min(b.first for b in buckets), max(b.last for b in buckets)


def _in(field: str, bucket: _Bucket) -> Q:
    return Q(**{f"{field}__gte": bucket.start, f"{field}__lt": bucket.end})


def _days_in(field: str, bucket: _Bucket) -> Q:
    return Q(**{f"{field}__gte": bucket.first, f"{field}__lte": bucket.last})


def _pct(part, whole) -> float | None:
    """``part / whole`` in percent with one decimal; None when ``whole`` is 0 or None."""
    if not whole or part is None:
        return None
    return round(100.0 * part / whole, 1)


def _is_now(bucket: _Bucket, now: dt.datetime) -> bool:
    """A state figure of ``bucket`` is read now when the bucket has not ended yet."""
    return bucket.end > now


def _is_future(bucket: _Bucket, now: dt.datetime) -> bool:
    """A bucket that starts after ``now`` has no figures yet (its trend point is None)."""
    return bucket.start > now


def _url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "", False)})
    return f"{reverse(name)}?{query}" if query else reverse(name)


# --- the modules ------------------------------------------------------------------------------
def _hazard_open_at(at: dt.datetime) -> Q:
    """Hazards open at the past instant ``at``: reported before it and neither void nor
    closed by then (a closed hazard without a closing time counts as closed)."""
    done_by = Q(status__in=DONE_STATES) & (Q(closed_at__isnull=True) | Q(closed_at__lt=at))
    return Q(reported_at__lt=at) & ~Q(status__in=VOID_STATES) & ~done_by


#: The states in which the unit's latest evidence put the hazard out of the unit's hands.
_REVIEWED_STATES = (Status.EVIDENCE_SUBMITTED, Status.CLOSED)


def _with_last_evidence(hazards):
    """``hazards`` annotated with ``last_evidence_at``: when the unit last submitted evidence
    (None if never)."""
    latest = (Evidence.objects.filter(hazard=OuterRef("pk")).order_by("-submitted_at")
              .values("submitted_at")[:1])
    return hazards.annotate(last_evidence_at=Subquery(latest))


def hazard_overdue_at(at: dt.datetime, now: dt.datetime) -> Q:
    """Overdue hazards at instant ``at`` (aware) in one meaning — past the deadline and owed
    by the unit (``hazards.selectors.overdue_q``). ``at >= now``: ``overdue_q(now)``. A past
    ``at``: open then, deadline before ``at``, and not awaiting the office's review then (the
    latest evidence submitted before ``at`` of a hazard now awaiting review or closed). Needs
    the ``last_evidence_at`` annotation of :func:`_with_last_evidence`."""
    if at >= now:
        return overdue_q(now)
    not_awaiting = (~Q(status__in=_REVIEWED_STATES) | Q(last_evidence_at__isnull=True)
                    | Q(last_evidence_at__gte=at))
    return _hazard_open_at(at) & Q(deadline__lt=at) & not_awaiting


def _edges(buckets: list[_Bucket], now: dt.datetime) -> list[dt.datetime]:
    """Every bucket bound and ``now``, sorted: the cut points of :func:`_segment`."""
    return sorted({b.start for b in buckets} | {b.end for b in buckets} | {now})


def _segment(field: str, edges: list[dt.datetime]) -> Case:
    """SQL: how many of ``edges`` are at or before ``field`` (0…len), NULL when it is NULL.
    Then ``field < edges[j]`` ⇔ segment ≤ j, and ``field ≥ edges[i]`` ⇔ segment ≥ i + 1."""
    whens = [When(**{f"{field}__isnull": True}, then=Value(None))]
    whens += [When(**{f"{field}__lt": edge}, then=Value(i)) for i, edge in enumerate(edges)]
    return Case(*whens, default=Value(len(edges)), output_field=IntegerField())


def _hazards(viewer, campus_id, buckets, now) -> dict:
    """One grouped query: the visible hazards counted by (segment of reported_at, closed_at
    and deadline among the buckets' bounds, status, grade, closed on time); every figure of
    every bucket is a sum over those groups (at most a few thousand, never over hazards).
    Reading 14 buckets × 7 figures as conditional counts instead costs a full evaluation of
    ~100 filters per row (measured several times slower on SQLite)."""
    visible = hazard_list_visible_to(viewer).order_by()
    if campus_id:
        visible = visible.filter(campus_id=campus_id)
    low = min(b.start for b in buckets)
    # Only rows that can count in a bucket: still open, or reported or closed since ``low``.
    rows = visible.filter(Q(status__in=OPEN_STATES) | Q(reported_at__gte=low)
                          | Q(closed_at__gte=low))
    edges = _edges(buckets, now)
    index = {edge: i for i, edge in enumerate(edges)}
    # The segment of the unit's latest evidence, read (in a subquery) only for the hazards
    # it can matter for: now awaiting review or closed, with a deadline.
    latest = (Evidence.objects.filter(hazard=OuterRef("pk")).order_by("-submitted_at")
              .annotate(segment=_segment("submitted_at", edges)).values("segment")[:1])
    es = Case(When(Q(status__in=_REVIEWED_STATES, deadline__isnull=False),
                   then=Subquery(latest)), default=Value(None), output_field=IntegerField())
    groups = list(rows
                  .annotate(rs=_segment("reported_at", edges), cs=_segment("closed_at", edges),
                            ds=_segment("deadline", edges), es=es)
                  .values("rs", "cs", "ds", "es", "status", "grade", "closed_on_time")
                  .annotate(n=Count("pk")))
    done_states, void_states = set(DONE_STATES), set(VOID_STATES)
    open_states, unit_states = set(OPEN_STATES), set(UNIT_STATES)
    reviewed_states = set(_REVIEWED_STATES)
    out = {}
    for b in buckets:
        i, j = index[b.start], index[b.end]
        live = _is_now(b, now)
        figures = dict.fromkeys(("reported", "rclosed", "closed", "ontime", "open", "overdue",
                                 "major"), 0)
        for g in groups:
            n, status, rs, cs, ds = g["n"], g["status"], g["rs"], g["cs"], g["ds"]
            void, done = status in void_states, status in done_states
            if not void and i + 1 <= rs <= j:
                figures["reported"] += n
                if done:
                    figures["rclosed"] += n
            if done and cs is not None and i + 1 <= cs <= j:
                figures["closed"] += n
                if g["closed_on_time"]:
                    figures["ontime"] += n
            if live:
                is_open = status in open_states
                late = status in unit_states and ds is not None and ds <= index[now]
            else:
                # the rule of :func:`hazard_overdue_at` on the groups
                closed_by = done and (cs is None or cs <= j)
                is_open = not void and rs <= j and not closed_by
                awaiting = status in reviewed_states and g["es"] is not None and g["es"] <= j
                late = is_open and ds is not None and ds <= j and not awaiting
            if is_open:
                figures["open"] += n
                if g["grade"] == Grade.MAJOR:
                    figures["major"] += n
            if late:
                figures["overdue"] += n
        out[b.name] = {
            "hazards_reported": figures["reported"],
            "hazards_open": figures["open"],
            "hazards_overdue": figures["overdue"],
            "hazards_rectification_rate": _pct(figures["rclosed"], figures["reported"]),
            "hazards_on_time_rate": _pct(figures["ontime"], figures["closed"]),
            "hazards_major": figures["major"],
        }
    return out


def _inspections(viewer, campus_id, buckets, now) -> dict:
    first, last = _span(buckets)
    qs = finished_inspections(viewer, StatsFilters(date_from=first, date_to=last,
                                                   campus_id=campus_id)).order_by()
    aggregates = {}
    for b in buckets:
        f = _in("finished_at", b)
        aggregates[f"n_{b.name}"] = Count("pk", filter=f)
        aggregates[f"ok_{b.name}"] = Sum("items_complied", filter=f)
        aggregates[f"checked_{b.name}"] = Sum(F("items_complied") + F("items_failed"), filter=f)
    row = qs.aggregate(**aggregates)
    targets = target_list_visible_to(viewer).filter(plan__state=InspectionPlan.State.ACTIVE)
    if campus_id:
        targets = targets.filter(place__campus_id=campus_id)
    coverage = None
    if any(_is_now(b, now) for b in buckets):
        cov = targets.order_by().aggregate(total=Count("pk"),
                                           done=Count("pk", filter=Q(coverage=Coverage.DONE)))
        coverage = _pct(cov["done"], cov["total"])
    out = {}
    for b in buckets:
        n = b.name
        out[n] = {
            "inspections_done": row[f"n_{n}"],
            "inspection_coverage": coverage if _is_now(b, now) else None,
            "inspection_compliance": _pct(row[f"ok_{n}"] or 0, row[f"checked_{n}"] or 0),
        }
    return out


def _patrols(viewer, campus_id, buckets, now) -> dict:
    first, last = _span(buckets)
    qs = rounds_in_period(ReportFilters(date_from=first, date_to=last, campus_id=campus_id),
                          at=now).order_by()
    aggregates = {}
    for b in buckets:
        f = _days_in("shift__shift_date", b)
        aggregates[f"exp_{b.name}"] = Sum("checkpoints_expected", filter=f)
        aggregates[f"done_{b.name}"] = Sum(F("checkpoints_on_time") + F("checkpoints_late"),
                                           filter=f)
    row = qs.aggregate(**aggregates)
    out = {}
    for b in buckets:
        expected, done = row[f"exp_{b.name}"] or 0, row[f"done_{b.name}"] or 0
        out[b.name] = {"patrol_completion": _pct(done, expected),
                       "patrol_missed_checkpoints": expected - done}
    return out


def _traffic(viewer, campus_id, buckets, now) -> dict:
    first, last = _span(buckets)
    violations = violation_search(viewer, date_from=first, date_to=last,
                                  campus_id=campus_id).order_by()
    row = violations.aggregate(**{b.name: Count("pk", filter=_in("observed_at", b))
                                  for b in buckets})
    cases = case_list_visible_to(viewer).order_by()
    if campus_id:
        cases = cases.filter(campus_id=campus_id)
    case_counts = {}
    for b in buckets:
        if _is_now(b, now):
            q = Q(state__in=CASE_OPEN_STATES)
        else:
            q = Q(created_at__lt=b.end) & (Q(state__in=CASE_OPEN_STATES)
                                           | Q(closed_at__gte=b.end))
        case_counts[b.name] = Count("pk", filter=q)
    cases_row = cases.aggregate(**case_counts)
    return {b.name: {"traffic_violations": row[b.name], "abandoned_vehicles": cases_row[b.name]}
            for b in buckets}


def _education(viewer, campus_id, buckets, now) -> dict:
    low, high = min(b.start for b in buckets), max(b.end for b in buckets)
    held = activities_visible_to(viewer).filter(state=Activity.State.HELD, starts_at__gte=low,
                                                starts_at__lt=high).order_by()
    if campus_id:
        held = held.filter(campus_id=campus_id)
    row = held.aggregate(**{b.name: Count("pk", filter=_in("starts_at", b)) for b in buckets})
    colleges = Unit.objects.filter(kind__in=STUDENT_UNIT_KINDS, is_active=True)
    reached = (Activity.colleges.through.objects
               .filter(activity__in=held.values("pk"), unit__in=colleges).order_by()
               .aggregate(**{b.name: Count("unit_id", distinct=True,
                                           filter=_in("activity__starts_at", b))
                             for b in buckets}))
    total = colleges.count()
    return {b.name: {"education_activities": row[b.name],
                     "education_coverage": _pct(reached[b.name], total)} for b in buckets}


def _incidents(viewer, campus_id, buckets, now) -> dict:
    first, last = _span(buckets)
    qs = incident_search(viewer, date_from=first, date_to=last, campus_id=campus_id).order_by()
    row = qs.aggregate(**{b.name: Count("pk", filter=_in("occurred_at", b)) for b in buckets})
    return {b.name: {"incidents": row[b.name]} for b in buckets}


class _DayIndex(Func):
    """SQL: whole days of 86,400 s from the instant ``origin`` (a local midnight) to the
    datetime column, i.e. the local day's index (Asia/Shanghai keeps no daylight saving);
    NULL when the column is NULL. Integer arithmetic on the epoch seconds, no date function
    per row (SQLite's timezone functions run in Python)."""

    output_field = IntegerField()

    def __init__(self, field: str, origin: dt.datetime):
        super().__init__(F(field))
        self.origin = int(origin.timestamp())

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return (f"((CAST(strftime('%%s', {sql}) AS INTEGER) - %s) / 86400)",
                [*params, self.origin])

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL
        sql, params = compiler.compile(self.source_expressions[0])
        return (f"((FLOOR(EXTRACT(EPOCH FROM {sql}))::bigint - %s) / 86400)",
                [*params, self.origin])


def _concerns(viewer, campus_id, buckets, now) -> dict:
    """One grouped query: the queue's concerns by segment of ``submitted_at``, category,
    local day submitted, local day first answered and whether overdue now (the community
    module's ``overdue_q``, a long OR per category, is evaluated once per row). Whether an
    answer came in time is decided per group (a category and two days), never per row, from
    the due day of each submission day (``answer_due_days``: one pass over the calendar per
    category allowance). Plus one query for the working-day calendar."""
    low, high = min(b.start for b in buckets), max(b.end for b in buckets)
    qs = concern_queue(viewer, QueueFilters(campus=campus_id)).filter(
        submitted_at__gte=low, submitted_at__lt=high).order_by()
    edges = _edges(buckets, now)
    index = {edge: i for i, edge in enumerate(edges)}
    zone = clock.local_zone()
    first = low.astimezone(zone).date()
    days = (max(high, now).astimezone(zone).date() - first).days + 1
    origin = clock.start_of_local_day(first)
    # Each row pays only for what decides it: overdue now if unanswered, the two days if
    # answered (CASE evaluates lazily).
    answered = Q(answered_at__isnull=False)
    late = Case(When(answered, then=Value(0)), When(concern_overdue_q(now), then=Value(1)),
                default=Value(0), output_field=IntegerField())
    sday = Case(When(answered, then=_DayIndex("submitted_at", origin)), default=Value(None),
                output_field=IntegerField())
    groups = list(qs.annotate(ss=_segment("submitted_at", edges), late=late, sday=sday,
                              aday=_DayIndex("answered_at", origin))
                  .values("ss", "late", "category__answer_days", "sday", "aday")
                  .annotate(n=Count("pk")))
    allowances = {g["category__answer_days"] for g in groups if g["aday"] is not None}
    due: dict[int, dict[dt.date, dt.date]] = {}
    if allowances:
        last = first + dt.timedelta(days=days - 1)
        calendar = WorkCalendar(first, last + dt.timedelta(days=3 * max(allowances) + 30))
        due = {d: answer_due_days(first, last, d, calendar) for d in allowances}
    for g in groups:
        if g["aday"] is None:
            g["on_time"] = not g["late"]
        else:
            submitted = first + dt.timedelta(days=g["sday"])
            due_day = due[g["category__answer_days"]][submitted]
            g["on_time"] = first + dt.timedelta(days=g["aday"]) <= due_day
    out = {}
    for b in buckets:
        i, j = index[b.start], index[b.end]
        inside = [g for g in groups if i + 1 <= g["ss"] <= j]
        n = sum(g["n"] for g in inside)
        on_time = sum(g["n"] for g in inside if g["on_time"])
        out[b.name] = {"concerns_received": n, "concerns_answered_on_time": _pct(on_time, n)}
    return out


def _risks(viewer, campus_id, buckets, now) -> dict:
    points = risk_points_visible_to(viewer).filter(state=RiskPoint.State.PUBLISHED).order_by()
    if campus_id:
        points = points.filter(campus_id=campus_id)
    counted = points.aggregate(**{
        f"{b.name}_{lv}": Count("pk", filter=Q(level=lv) if _is_now(b, now)
                                else Q(level=lv) & (Q(published_at__lt=b.end) | Q(
                                    published_at__isnull=True, created_at__lt=b.end)))
        for b in buckets if not _is_future(b, now) for lv in RISK_LEVELS})
    return {b.name: {f"risk_{lv}": counted.get(f"{b.name}_{lv}") for lv in RISK_LEVELS}
            for b in buckets}


#: The sections in module order: key, title, metric definitions (key, label, unit, better),
#: the function computing them.
def _definitions() -> list[tuple[str, str, list[tuple[str, str, str, str | None]], object]]:
    return [
        ("hazards", _("Hazards"), [
            ("hazards_reported", _("Hazards reported"), "count", None),
            ("hazards_open", _("Open hazards"), "count", "down"),
            ("hazards_overdue", _("Overdue hazards"), "count", "down"),
            ("hazards_rectification_rate", _("Rectification rate"), "percent", "up"),
            ("hazards_on_time_rate", _("On-time rectification rate"), "percent", "up"),
            ("hazards_major", _("Open major hazards"), "count", "down"),
        ], _hazards),
        ("inspections", _("Inspections"), [
            ("inspections_done", _("Inspections finished"), "count", "up"),
            ("inspection_coverage", _("Inspection coverage"), "percent", "up"),
            ("inspection_compliance", _("Inspection compliance"), "percent", "up"),
        ], _inspections),
        ("patrols", _("Patrols"), [
            ("patrol_completion", _("Patrol completion"), "percent", "up"),
            ("patrol_missed_checkpoints", _("Missed checkpoints"), "count", "down"),
        ], _patrols),
        ("traffic", _("Traffic"), [
            ("traffic_violations", _("Traffic violations"), "count", "down"),
            ("abandoned_vehicles", _("Abandoned-vehicle cases open"), "count", "down"),
        ], _traffic),
        ("education", _("Education"), [
            ("education_activities", _("Education activities held"), "count", "up"),
            ("education_coverage", _("Colleges reached"), "percent", "up"),
        ], _education),
        ("incidents", _("Incidents"), [
            ("incidents", _("Incidents"), "count", "down"),
        ], _incidents),
        ("concerns", _("Concerns"), [
            ("concerns_received", _("Concerns received"), "count", None),
            ("concerns_answered_on_time", _("Concerns answered on time"), "percent", "up"),
        ], _concerns),
        ("risks", _("Risk levels"), [
            ("risk_major", pgettext("risk level", "Major risk points"), "count", "down"),
            ("risk_high", pgettext("risk level", "High risk points"), "count", "down"),
            ("risk_moderate", pgettext("risk level", "Moderate risk points"), "count", "down"),
            ("risk_low", pgettext("risk level", "Low risk points"), "count", None),
        ], _risks),
    ]


#: State figures ("as of the period's end"): for a past period their drill-down lists the
#: records as they are now, which may differ from the card's figure.
STATE_KEYS = frozenset({"hazards_open", "hazards_overdue", "hazards_major", "inspection_coverage",
                        "abandoned_vehicles", "risk_major", "risk_high", "risk_moderate",
                        "risk_low"})

#: Every metric key, in section order (the contract with the reports).
METRIC_KEYS = (
    "hazards_reported", "hazards_open", "hazards_overdue", "hazards_rectification_rate",
    "hazards_on_time_rate", "hazards_major", "inspections_done", "inspection_coverage",
    "inspection_compliance", "patrol_completion", "patrol_missed_checkpoints",
    "traffic_violations", "abandoned_vehicles", "education_activities", "education_coverage",
    "incidents", "concerns_received", "concerns_answered_on_time", "risk_major", "risk_high",
    "risk_moderate", "risk_low",
)


def drill_url(key: str, *, period: Period, campus_id: int | None,
              term_id: int | None = None) -> str:
    """The module page (with its filters) that lists the records behind metric ``key`` for
    ``period`` and ``campus_id``. A count on a list page: the list shows exactly that many
    rows (state figures: as they are now). ``term_id``: the education term of the period
    (the coverage page's filter, see :func:`coverage_term_id`; it has no campus filter)."""
    days = {"date_from": period.first.isoformat(), "date_to": period.last.isoformat()}
    c = {"campus": campus_id}
    ledger = "hazards:ledger"
    urls = {
        "hazards_reported": (ledger, {**days, **c, "status": "valid"}),
        "hazards_open": (ledger, {**c, "status": "open"}),
        "hazards_overdue": (ledger, {**c, "overdue": "on"}),
        # a rate's link lists its numerator: the period's hazards closed by now
        "hazards_rectification_rate": (ledger, {**days, **c, "status": "closed"}),
        "hazards_on_time_rate": (ledger, {**c, "status": "closed"}),
        "hazards_major": (ledger, {**c, "status": "open", "grade": Grade.MAJOR}),
        "inspections_done": ("inspections:statistics", {**days, **c}),
        # the active plans with their places done / all (the page has no campus filter)
        "inspection_coverage": ("inspections:plan_list",
                                {"state": InspectionPlan.State.ACTIVE}),
        "inspection_compliance": ("inspections:statistics", {**days, **c}),
        "patrol_completion": ("patrols:reports", {**days, **c}),
        "patrol_missed_checkpoints": ("patrols:reports", {**days, **c}),
        "traffic_violations": ("traffic:violation_list", {**days, **c}),
        "abandoned_vehicles": ("traffic:abandoned_list", {**c, "state": "open"}),
        "education_activities": ("education:activity_list",
                                 {**days, **c, "state": Activity.State.HELD}),
        "education_coverage": ("education:coverage", {"term": term_id,
                                                      "dimension": "colleges"}),
        "incidents": ("patrols:incident_list", {**days, **c}),
        "concerns_received": ("community:reports", {**days, **c}),
        "concerns_answered_on_time": ("community:reports", {**days, **c}),
    }
    for level in RISK_LEVELS:
        urls[f"risk_{level}"] = ("police:risk_list",
                                 {**c, "level": level, "state": RiskPoint.State.PUBLISHED})
    name, params = urls[key]
    return _url(name, **params)


def coverage_term_id(period: Period) -> int | None:
    """The latest education term overlapping the period (the one containing its last day
    when there is one), or None: the term the coverage page opens for the period (one
    query)."""
    return (Term.objects.filter(starts_on__lte=period.last, ends_on__gte=period.first)
            .order_by("-starts_on").values_list("pk", flat=True).first())


def _may(viewer, section: str) -> bool:
    return viewer.has_perm(SECTION_PERMS[section])


def cockpit_scope_key(user) -> str:
    """Who shares cached figures: ``system`` for the whole-office view, ``all:<sections>``
    for people who see everything (the sections they may open), else one entry per user."""
    if user is None:
        return "system"
    if user.scope.sees_everything:
        return "all:" + "".join("1" if _may(user, s) else "0" for s in SECTION_PERMS)
    return f"user{user.pk}"


def _cache_key(user, period: Period, campus_id: int | None) -> str:
    """Keyed by the newest timeline entry (every state change of every module writes one,
    house rule 3) so a change shows at once; the cache only saves work while nothing
    happens, and its lifetime bounds what time alone changes (overdue, the current day)."""
    newest = ActivityEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return (f"dashboards:cockpit:v1:{cockpit_scope_key(user)}:{campus_id or 0}:{period.key}:"
            f"{get_language()}:{newest}")


def cache_seconds() -> int:
    return settings.SAFECAMPUS.get("COCKPIT_CACHE_SECONDS", 120)


def cockpit_figures(*, user, period: Period, campus_id: int | None = None,
                    max_age: int | None = None) -> dict:
    """The cockpit's figures for ``period`` on campus ``campus_id`` (None: the university) as
    ``user`` may see them (None: the whole-office view of the big screen and the scheduled
    reports, see :class:`SystemViewer`).

    Returns::

        {"period": Period, "previous": Period, "campus_id": int | None, "campus_name": str,
         "sections": [{"key": "hazards", "title": str, "metrics": [metric, ...]}, ...],
         "metrics": {key: metric}}

    Sections in module order (hazards, inspections, patrols, traffic, education, incidents,
    concerns, risks); a section whose module page the user may not open is left out. A
    metric is ``{"key", "label", "value", "previous", "change" (value − previous, or None),
    "unit" ("count" | "percent" | "days"), "better" ("up" | "down" | None), "trend" (12
    ``(first day of local month, value)`` pairs, oldest first, ending with the period's
    last month), "url" (drill-down)}``. Percentages have one decimal. What each key counts:
    the module docstring.

    Cached per (scope, campus, period key, language, newest timeline entry) for
    ``max_age`` seconds (default ``SAFECAMPUS["COCKPIT_CACHE_SECONDS"]``, 120; 0: compute
    now). Cost: one or two aggregate queries per module, whatever the number of rows.
    Raises nothing for an unknown ``campus_id``: its figures are all zero.
    """
    max_age = cache_seconds() if max_age is None else max_age
    key = _cache_key(user, period, campus_id) if max_age > 0 else None
    if key:
        cached = cache.get(key)
        if cached is not None:
            return cached
    figures = _compute(user, period, campus_id)
    if key:
        cache.set(key, figures, max_age)
    return figures


def _compute(user, period: Period, campus_id: int | None) -> dict:
    viewer = user or SystemViewer()
    now = clock.now()
    buckets = _buckets(period)
    month_names = [b for b in buckets if b.name.startswith("m")]
    sections, metrics = [], {}
    term_id = None
    for section, title, definitions, compute in _definitions():
        if not _may(viewer, section):
            continue
        if section == "education":
            term_id = coverage_term_id(period)
        values = compute(viewer, campus_id, buckets, now)
        rows = []
        for key, label, unit, better in definitions:
            value, previous = values["v"][key], values["p"][key]
            change = None
            if value is not None and previous is not None:
                change = round(value - previous, 1) if unit == "percent" else value - previous
            metric = {
                "key": key, "label": label, "value": value, "previous": previous,
                "change": change, "unit": unit, "better": better,
                "trend": [(b.first, None if _is_future(b, now) else values[b.name][key])
                          for b in month_names],
                "url": drill_url(key, period=period, campus_id=campus_id, term_id=term_id),
            }
            rows.append(metric)
            metrics[key] = metric
        sections.append({"key": section, "title": title, "metrics": rows})
    campus_name = _("Whole university")
    if campus_id:
        campus_name = Campus.objects.filter(pk=campus_id).values_list("name", flat=True).first() \
            or campus_name
    return {"period": period, "previous": period.previous(), "campus_id": campus_id,
            "campus_name": campus_name, "sections": sections, "metrics": metrics}


def cockpit_tables(*, user, period: Period, campus_id: int | None = None) -> dict:
    """The tables of the safety work report for ``period`` (same scope rules as
    :func:`cockpit_figures`; state tables as of the period's end, now when it includes
    today). Returns lists of dicts:

    ``units``      top 10 responsible units by open hazards: ``{"unit_id", "name", "open",
                   "overdue"}``, unrouted hazards as ``unit_id`` None, most open first;
    ``overdue``    at most 20 overdue hazards (:func:`hazard_overdue_at` the period's end, or
                   now), longest overdue first: ``{"id", "number", "title", "unit", "deadline"
                   (local date), "days_overdue" (local days from the deadline's day to the
                   period's last day once it has ended, else to today)}``;
    ``major``      at most 20 open major hazards, oldest first: ``{"id", "number", "title",
                   "unit", "status", "reported" (local date), "deadline" (local date or
                   None)}``;
    ``incidents``  incidents that occurred in the period by category: ``{"category",
                   "label", "n"}``, most first.

    A table of a module the user may not open is an empty list. Four queries."""
    viewer = user or SystemViewer()
    now = clock.now()
    tables: dict = {"units": [], "overdue": [], "major": [], "incidents": []}
    if _may(viewer, "hazards"):
        visible = _with_last_evidence(hazard_list_visible_to(viewer).order_by())
        if campus_id:
            visible = visible.filter(campus_id=campus_id)
        ended = period.end <= now
        open_q = _hazard_open_at(period.end) if ended else Q(status__in=OPEN_STATES)
        overdue = hazard_overdue_at(period.end if ended else now, now)
        groups = (visible.filter(open_q).values("responsible_unit_id", "responsible_unit__name")
                  .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue))
                  .order_by("-open", "-overdue", "responsible_unit__name")[:TOP_UNITS])
        tables["units"] = [{"unit_id": g["responsible_unit_id"],
                            "name": g["responsible_unit__name"] or _("Not yet assigned"),
                            "open": g["open"], "overdue": g["overdue"]} for g in groups]
        zone = clock.local_zone()
        local_at = period.last if ended else clock.local_today()
        late = (visible.filter(overdue).select_related("responsible_unit")
                .order_by("deadline", "pk")[:OVERDUE_ROWS])
        tables["overdue"] = [{
            "id": h.pk, "number": h.reference, "title": h.title,
            "unit": str(h.responsible_unit or _("Not yet assigned")),
            "deadline": h.deadline.astimezone(zone).date(),
            "days_overdue": (local_at - h.deadline.astimezone(zone).date()).days,
        } for h in late]
        major = (visible.filter(open_q, grade=Grade.MAJOR).select_related("responsible_unit")
                 .order_by("reported_at", "pk")[:MAJOR_ROWS])
        tables["major"] = [{
            "id": h.pk, "number": h.reference, "title": h.title,
            "unit": str(h.responsible_unit or _("Not yet assigned")),
            "status": h.get_status_display(),
            "reported": h.reported_at.astimezone(zone).date(),
            "deadline": h.deadline.astimezone(zone).date() if h.deadline else None,
        } for h in major]
    if _may(viewer, "incidents"):
        from safecampus.core.incidents import IncidentCategory

        labels = dict(IncidentCategory.choices)
        rows = (incident_search(viewer, date_from=period.first, date_to=period.last,
                                campus_id=campus_id).order_by()
                .values("category").annotate(n=Count("pk")).order_by("-n", "category"))
        tables["incidents"] = [{"category": r["category"],
                                "label": str(labels.get(r["category"], r["category"])),
                                "n": r["n"]} for r in rows]
    return tables

