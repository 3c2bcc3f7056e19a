"""Reads for the home dashboard: hazard figures per role, aggregated in SQL.

Everything here starts from :func:`safecampus.hazards.selectors.hazard_list_visible_to`, so
each person sees the figures of their own scope: a unit's people their unit (and what they
reported themselves), a grid officer his zones or campus, the office and leadership all.

Cost: a fixed handful of aggregate queries whatever the number of hazards (pinned in
``tests/test_dashboard.py``). The visible hazards are counted once, in one pass with
conditional aggregates; the other queries are grouped counts or read at most a few rows.
"""

import datetime as dt

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.hazards.models import DONE_STATES, OPEN_STATES, UNIT_STATES, VOID_STATES, Hazard, Status
from safecampus.hazards.selectors import hazard_list_visible_to, hazard_reported_by, overdue_q

#: How many rows each to-do list and the by-unit chart show.
WORK_LIMIT = 8
TOP_UNITS = 10
TREND_MONTHS = 12

FIELD_ROLES = frozenset({Role.GUARD, Role.GRID_OFFICER, Role.POLICE_LIAISON})


class Audience:
    """Which home page a person gets (decided from roles here, never in templates)."""

    OFFICE = "office"  # 保卫处: confirm and verify, every figure
    UNIT = "unit"  # 单位安全员 / 单位负责人: their unit's open work and figures
    LEADERSHIP = "leadership"  # 校领导: every figure, read-only, no to-do list
    FIELD = "field"  # guards, grid officers, police liaisons: their area's figures
    COMMUNITY = "community"  # 师生: their own reports and a big report button


def dashboard_audience(user) -> str:
    """The :class:`Audience` of ``user``; the office wins over other roles a person holds."""
    scope = user.scope
    if scope.is_office:
        return Audience.OFFICE
    if _acting_unit_ids(user):
        return Audience.UNIT
    if scope.is_leadership:
        return Audience.LEADERSHIP
    if scope.roles & FIELD_ROLES:
        return Audience.FIELD
    return Audience.COMMUNITY


def _acting_unit_ids(user) -> list[int]:
    scope = user.scope
    return sorted(uid for uid in scope.unit_ids if scope.acts_for_unit(uid))


def _percent(part: int, whole: int) -> float | None:
    """``part / whole`` as a percentage rounded to one decimal; None when ``whole`` is 0."""
    return round(100 * part / whole, 1) if whole else None


def _month_start(day: dt.date, months_back: int) -> dt.date:
    """The first day of the month ``months_back`` months before the month of ``day``."""
    index = day.year * 12 + (day.month - 1) - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def _median_duration(closed: QuerySet[Hazard], count: int) -> dt.timedelta | None:
    """Median of ``closed_at - reported_at`` over ``closed`` (``count`` rows), in SQL.

    Portable between SQLite and PostgreSQL (no ``percentile_cont`` on SQLite): we already
    know the row count from the totals query, so we order the rows by their duration and
    read only the middle one (odd count) or the middle two (even count, averaged) with
    ``LIMIT 1|2 OFFSET (count - 1) // 2``. One query reading at most two rows. The duration
    expression is Django's temporal subtraction (an ``interval`` on PostgreSQL, microseconds
    on SQLite), which sorts correctly on both.
    """
    if not count:
        return None
    offset = (count - 1) // 2
    take = 1 if count % 2 else 2
    durations = list(
        closed.annotate(
            duration=ExpressionWrapper(F("closed_at") - F("reported_at"), output_field=DurationField())
        )
        .order_by("duration", "pk")
        .values_list("duration", flat=True)[offset : offset + take]
    )
    if not durations:  # rows changed between the two queries
        return None
    return sum(durations, dt.timedelta()) / len(durations)


def _category_label(name: str, name_en: str) -> str:
    """The category name in the page language (same rule as ``HazardCategory.__str__``)."""
    return name_en if name_en and (get_language() or "").startswith("en") else name


def hazard_figures(user, *, campus_id: int | None = None, at: dt.datetime | None = None) -> dict:
    """The dashboard figures of the hazards ``user`` may see, optionally on one campus.

    ``at`` (aware; default :func:`clock.now`) is "now": it decides what is overdue and which
    12 local months the trend covers. Returns a dict::

        audience        Audience.* (what kind of home page to show)
        campus_id       the campus filter applied, or None
        totals          dict of counts: total (excluding rejected and duplicate), open,
                        overdue, closed (closed + fixed on the spot), closed_on_time,
                        awaiting_confirmation, awaiting_verification, unit_awaiting
        rectification_rate   整改率 = closed / total, percent with one decimal, or None
        on_time_rate         按期整改率 = closed on time / closed, percent, or None
        median_days_to_close median of closed_at - reported_at over closed hazards, in
                             days with one decimal, or None when nothing is closed
        by_unit         top 10 responsible units by total: [{unit_id, name, total, open,
                        overdue, closed}], unrouted hazards as unit_id None
        by_category     [{category_id, name, total, open, closed}], largest first
        trend           12 dicts {month: "YYYY-MM", reported, closed}, oldest first; months
                        are local (Asia/Shanghai) calendar months ending with ``at``'s month
        work            the user's own work, lists of at most 8 hazards each:
                        office → to_confirm, to_verify; unit → unit_todo (by deadline);
                        field and community → my_reports; leadership → nothing

    For the community audience only ``totals`` (of their own reports) and ``work`` are
    computed; the chart entries stay None. Rejected and duplicate reports are not hazards
    (GLOSSARY): they count in no figure, the trend's "reported" included.
    """
    at = at or clock.now()
    audience = dashboard_audience(user)
    acting = _acting_unit_ids(user)
    visible = hazard_list_visible_to(user)
    if campus_id:
        visible = visible.filter(campus_id=campus_id)
    real = visible.exclude(status__in=VOID_STATES).order_by()

    open_q = Q(status__in=OPEN_STATES)
    done_q = Q(status__in=DONE_STATES)
    overdue = overdue_q(at)

    # 1. Every headline count in one pass over the visible hazards.
    counts = {
        "total": Count("pk"),
        "open": Count("pk", filter=open_q),
        "overdue": Count("pk", filter=overdue),
        "closed": Count("pk", filter=done_q),
        "closed_on_time": Count("pk", filter=done_q & Q(closed_on_time=True)),
        "closed_timed": Count("pk", filter=done_q & Q(closed_at__isnull=False)),
        "awaiting_confirmation": Count("pk", filter=Q(status=Status.REPORTED)),
        "awaiting_verification": Count("pk", filter=Q(status=Status.EVIDENCE_SUBMITTED)),
    }
    if acting:
        counts["unit_awaiting"] = Count(
            "pk", filter=Q(status__in=UNIT_STATES, responsible_unit_id__in=acting)
        )
    totals = real.aggregate(**counts)
    totals.setdefault("unit_awaiting", 0)
    closed_timed = totals.pop("closed_timed")
    figures: dict = {
        "audience": audience,
        "campus_id": campus_id,
        "at": at,
        "totals": totals,
        "rectification_rate": _percent(totals["closed"], totals["total"]),
        "on_time_rate": _percent(totals["closed_on_time"], totals["closed"]),
        "median_days_to_close": None,
        "by_unit": None,
        "by_category": None,
        "trend": None,
        "work": _work(user, audience, visible, acting, campus_id),
    }
    if audience == Audience.COMMUNITY:
        return figures

    # 2. Median time to close (reads at most two rows).
    median = _median_duration(real.filter(done_q, closed_at__isnull=False), closed_timed)
    if median is not None:
        figures["median_days_to_close"] = round(median.total_seconds() / 86400, 1)

    # 3. By responsible unit, top 10 by total.
    rows = (
        real.values("responsible_unit_id", "responsible_unit__name")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=open_q),
            overdue=Count("pk", filter=overdue),
            closed=Count("pk", filter=done_q),
        )
        .order_by("-total", "-overdue", "responsible_unit__name")[:TOP_UNITS]
    )
    figures["by_unit"] = [
        {
            "unit_id": row["responsible_unit_id"],
            "name": row["responsible_unit__name"] or _("Not yet assigned"),
            "total": row["total"],
            "open": row["open"],
            "overdue": row["overdue"],
            "closed": row["closed"],
        }
        for row in rows
    ]

    # 4. By category.
    rows = (
        real.values("category_id", "category__name", "category__name_en")
        .annotate(total=Count("pk"), open=Count("pk", filter=open_q), closed=Count("pk", filter=done_q))
        .order_by("-total", "category__name")
    )
    figures["by_category"] = [
        {
            "category_id": row["category_id"],
            "name": _category_label(row["category__name"], row["category__name_en"]),
            "total": row["total"],
            "open": row["open"],
            "closed": row["closed"],
        }
        for row in rows
    ]

    # 5. Twelve local months of reported vs closed (two grouped queries on indexed columns).
    figures["trend"] = _trend(real, at)
    return figures


def _trend(real: QuerySet[Hazard], at: dt.datetime) -> list[dict]:
    zone = clock.local_zone()
    today = at.astimezone(zone).date()
    first = _month_start(today, TREND_MONTHS - 1)
    start = clock.start_of_local_day(first)
    end = clock.start_of_local_day(_month_start(today, -1))
    months = [_month_start(today, back) for back in range(TREND_MONTHS - 1, -1, -1)]
    series = {m: {"month": m.strftime("%Y-%m"), "reported": 0, "closed": 0} for m in months}

    def per_month(field: str, **filters):
        return (
            real.filter(**{f"{field}__gte": start, f"{field}__lt": end}, **filters)
            .annotate(month=TruncMonth(field, tzinfo=zone))
            .values("month")
            .annotate(n=Count("pk"))
            .values_list("month", "n")
        )

    for month, n in per_month("reported_at"):
        series[month.astimezone(zone).date().replace(day=1)]["reported"] = n
    for month, n in per_month("closed_at", status__in=DONE_STATES):
        series[month.astimezone(zone).date().replace(day=1)]["closed"] = n
    return [series[m] for m in months]


def _work(user, audience: str, visible: QuerySet[Hazard], acting: list[int],
          campus_id: int | None) -> dict:
    """The user's own to-do lists (at most :data:`WORK_LIMIT` hazards each)."""
    columns = ("category", "campus", "building", "place", "responsible_unit")
    work: dict = {}
    if audience == Audience.OFFICE:
        work["to_confirm"] = list(
            visible.filter(status=Status.REPORTED)
            .select_related(*columns)
            .order_by("reported_at", "pk")[:WORK_LIMIT]
        )
        work["to_verify"] = list(
            visible.filter(status=Status.EVIDENCE_SUBMITTED)
            .select_related(*columns)
            .order_by("deadline", "reported_at", "pk")[:WORK_LIMIT]
        )
    if acting and audience in (Audience.OFFICE, Audience.UNIT):
        work["unit_todo"] = list(
            visible.filter(status__in=UNIT_STATES, responsible_unit_id__in=acting)
            .select_related(*columns)
            .order_by(F("deadline").asc(nulls_last=True), "reported_at", "pk")[:WORK_LIMIT]
        )
    if audience in (Audience.FIELD, Audience.COMMUNITY):
        mine = hazard_reported_by(user)
        if campus_id:
            mine = mine.filter(campus_id=campus_id)
        work["my_reports"] = list(mine[:WORK_LIMIT])
    return work
