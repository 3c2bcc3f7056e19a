"""Reads for the home dashboard: hazard figures per role, aggregated in SQL.

Everything here starts from :func:`safecampus.hazards.selectors.hazard_list_visible_to`, so
each person sees the figures of their own scope: a unit's people their unit (and what they
reported themselves), a grid officer his zones or campus, the office and leadership all.

Cost: a fixed handful of queries whatever the number of hazards (pinned in
``tests/test_dashboard.py``). The visible hazards are read once, in one grouped pass with
conditional aggregates; the median reads the closed ones ordered and returns two rows at
most; the rest are primary-key lookups and the short to-do lists. The page keeps a scope's
figures in the cache until the next timeline entry (so a change shows at once), for at most
``SAFECAMPUS["DASHBOARD_CACHE_SECONDS"]`` (default 120). The whole university's figures (the
office and leadership) come from a snapshot refreshed every
``SAFECAMPUS["DASHBOARD_REFRESH_MINUTES"]`` by a background task instead (see
:func:`university_figures`).
"""

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, FloatField, Func, Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.core.models import ActivityEntry
from safecampus.hazards.models import (
    DONE_STATES,
    OPEN_STATES,
    UNIT_STATES,
    VOID_STATES,
    Hazard,
    HazardCategory,
    Status,
)
from safecampus.hazards.selectors import hazard_list_visible_to, hazard_reported_by, overdue_q
from safecampus.inspections.models import Coverage, Inspection, InspectionPlan
from safecampus.inspections.selectors import inspection_list_visible_to, target_list_visible_to
from safecampus.organisation.models import Campus, Unit

#: How many rows each to-do list and the by-unit chart show.
WORK_LIMIT = 8
TOP_UNITS = 10
TREND_MONTHS = 12

#: The headline counts of ``hazard_figures()["totals"]``.
HEADLINE = ("total", "open", "overdue", "closed", "closed_on_time", "awaiting_confirmation",
            "awaiting_verification", "unit_awaiting")

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


class DaysBetween(Func):
    """``end - start`` in days (float), in native SQL on both backends.

    Django's own temporal subtraction runs a Python function per row on SQLite
    (``django_timestamp_diff``); ``julianday`` is built in and stays in C.
    """

    output_field = FloatField()
    arity = 2

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s))",
                           arg_joiner=") - julianday(", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection,
                           template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)",
                           arg_joiner=" - ", **extra_context)


def _median_days(closed: QuerySet[Hazard], count: int) -> float | None:
    """Median of ``closed_at - reported_at`` in days over ``closed`` (``count`` rows), in SQL.

    Portable between SQLite and PostgreSQL (SQLite has no ``percentile_cont``): the row count
    is already known from the totals, so the rows are ordered by their duration and only the
    middle one (odd count) or the middle two (even count, averaged) are read with
    ``LIMIT 1|2 OFFSET (count - 1) // 2``. One query, at most two rows back.
    """
    if not count:
        return None
    offset = (count - 1) // 2
    take = 1 if count % 2 else 2
    days = list(
        closed.annotate(days=DaysBetween(F("closed_at"), F("reported_at")))
        .order_by("days")
        .values_list("days", flat=True)[offset : offset + take]
    )
    if not days:  # rows changed between the two queries
        return None
    return sum(days) / len(days)


def _category_label(name: str, name_en: str) -> str:
    """The category name in the page language (same rule as ``HazardCategory.__str__``)."""
    return name_en if name_en and (get_language() or "").startswith("en") else name


def _month_bounds(at: dt.datetime) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
    """The 12 local (Asia/Shanghai) calendar months ending with ``at``'s month, oldest first,
    as (first day, aware start, aware end) with the end exclusive."""
    today = at.astimezone(clock.local_zone()).date()
    firsts = [_month_start(today, back) for back in range(TREND_MONTHS - 1, -2, -1)]
    return [
        (first, clock.start_of_local_day(first), clock.start_of_local_day(following))
        for first, following in zip(firsts, firsts[1:], strict=False)
    ]


def hazard_figures(
    user, *, campus_id: int | None = None, at: dt.datetime | None = None, max_age: int = 0
) -> dict:
    """The dashboard figures of the hazards ``user`` may see, optionally on one campus.

    ``at`` (aware; default :func:`clock.now`) is "now": it decides what is overdue and which
    12 local months the trend covers. ``max_age`` > 0 (the page; only without ``at``) reuses
    figures computed up to that many seconds ago for the same scope, see
    :func:`_figures_cache_key`; the to-do lists are always read fresh. Returns a dict::

        audience        Audience.* (what kind of home page to show)
        campus_id       the campus filter applied, or None
        at              the "now" used
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

    Queries (constant): one grouped scan of the visible hazards, by (responsible unit,
    category), with every count as a conditional aggregate, the 24 trend buckets included;
    the median (one ordered read of at most two rows); unit and category names (two
    primary-key lookups); the to-do lists (one or two); with ``max_age``, one more for the
    cache key, and on a hit only that and the to-do lists. Totals, by unit and by category
    are sums over the grouped rows (at most units × categories of them), never over hazards.

    Local months: the trend counts ``reported_at``/``closed_at`` between the local month
    boundaries (aware datetimes at 00:00 Asia/Shanghai on each 1st). That is what
    ``TruncMonth(…, tzinfo=Asia/Shanghai)`` computes, but plain comparisons run inside the
    one scan on both backends, where SQLite would call a Python function per row for
    ``TruncMonth`` (measured: seconds on 200,000 hazards).
    """
    audience = dashboard_audience(user)
    acting = _acting_unit_ids(user)
    visible = hazard_list_visible_to(user)
    if campus_id:
        visible = visible.filter(campus_id=campus_id)
    now = at or clock.now()
    if max_age > 0 and at is None and user.scope.sees_everything:
        figures = university_figures(campus_id=campus_id)
        if acting:  # e.g. the office head also leads the security office as a unit
            figures = {**figures, "totals": {**figures["totals"], "unit_awaiting": visible.filter(
                status__in=UNIT_STATES, responsible_unit_id__in=acting).count()}}
    elif max_age > 0 and at is None:
        charts = audience != Audience.COMMUNITY
        key = _figures_cache_key(user, charts, acting, campus_id)
        figures = cache.get(key)
        if figures is None:
            figures = _scope_figures(visible, charts, acting, now)
            cache.set(key, figures, max_age)
    else:
        figures = _scope_figures(visible, audience != Audience.COMMUNITY, acting, now)
    return {
        **figures,
        "audience": audience,
        "campus_id": campus_id,
        "at": now,
        "work": _work(user, audience, visible, acting, campus_id),
    }


def _snapshot_key(campus_id: int | None, language: str) -> str:
    return f"dashboards:university:v1:{campus_id or 0}:{language}"


def university_figures(*, campus_id: int | None = None) -> dict:
    """The whole university's figures (what the office and leadership see), from the snapshot
    that :func:`safecampus.dashboards.services.university_figures_refresh` keeps in the cache
    every few minutes; computed here (and stored) only when no snapshot exists yet.

    Reading all hazards of a large university takes about a second (see
    docs/benchmarks.md), too slow for every page view and for every change, so these figures
    are as of ``figures["computed_at"]`` (aware UTC), at most one refresh interval old; the
    to-do lists beside them are always live.
    """
    key = _snapshot_key(campus_id, get_language())
    figures = cache.get(key)
    if figures is None:
        figures = university_figures_compute(campus_id=campus_id)
        cache.set(key, figures, snapshot_seconds())
    return figures


def university_figures_compute(*, campus_id: int | None = None,
                               at: dt.datetime | None = None) -> dict:
    """Compute the whole university's figures now (one campus with ``campus_id``), in the
    active language, with ``computed_at``."""
    visible = Hazard.objects.all()
    if campus_id:
        visible = visible.filter(campus_id=campus_id)
    now = at or clock.now()
    return {**_scope_figures(visible, True, [], now), "computed_at": now}


def snapshot_seconds() -> int:
    """How long a stored snapshot serves: three refresh intervals, so one missed run of the
    task does not send page views back to computing."""
    return 3 * 60 * settings.SAFECAMPUS.get("DASHBOARD_REFRESH_MINUTES", 5)


def university_snapshot_keys() -> list[tuple[int | None, str, str]]:
    """(campus_id, language, cache key) of every snapshot the refresh task keeps."""
    campus_ids = [None, *Campus.objects.order_by("pk").values_list("pk", flat=True)]
    return [(cid, code, _snapshot_key(cid, code))
            for cid in campus_ids for code, _name in settings.LANGUAGES]


def _figures_cache_key(user, charts: bool, acting: list[int], campus_id: int | None) -> str:
    """Cache key of a scope's figures. The office and leadership see the same hazards and
    share one entry; anyone else has their own. The newest timeline entry's id is part of
    the key: every change of a hazard writes one (house rule 3), so a change shows at once
    and the cache only saves work while nothing happens; ``max_age`` bounds what time
    alone changes (overdue, the current month)."""
    newest = ActivityEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    scope = "all" if user.scope.sees_everything else f"user{user.pk}"
    units = ".".join(map(str, acting))
    return (f"dashboards:figures:v1:{scope}:{units}:{int(charts)}:{campus_id or 0}:"
            f"{get_language()}:{newest}")


def _scope_figures(visible: QuerySet[Hazard], charts: bool, acting: list[int],
                   at: dt.datetime) -> dict:
    """Everything of :func:`hazard_figures` but ``audience``, ``work``, ``campus_id`` and
    ``at``; without ``charts`` only the totals."""
    real = visible.exclude(status__in=VOID_STATES).order_by()

    open_q = Q(status__in=OPEN_STATES)
    done_q = Q(status__in=DONE_STATES)
    counts = {
        "total": Count("pk"),
        "open": Count("pk", filter=open_q),
        "overdue": Count("pk", filter=overdue_q(at)),
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
    months = _month_bounds(at) if charts else []
    for i, (_first, start, end) in enumerate(months):
        counts[f"r{i}"] = Count("pk", filter=Q(reported_at__gte=start, reported_at__lt=end))
        counts[f"c{i}"] = Count("pk", filter=done_q & Q(closed_at__gte=start, closed_at__lt=end))

    # 1. The one scan: every count per (responsible unit, category).
    groups = list(real.values("responsible_unit_id", "category_id").annotate(**counts))
    sums = {name: sum(g[name] for g in groups) for name in counts}
    totals = {name: sums.get(name, 0) for name in HEADLINE}
    figures: dict = {
        "totals": totals,
        "rectification_rate": _percent(totals["closed"], totals["total"]),
        "on_time_rate": _percent(totals["closed_on_time"], totals["closed"]),
        "median_days_to_close": None,
        "by_unit": None,
        "by_category": None,
        "trend": None,
    }
    if not charts:
        return figures

    # 2. Median time to close (reads at most two rows).
    median = _median_days(real.filter(done_q, closed_at__isnull=False), sums["closed_timed"])
    if median is not None:
        figures["median_days_to_close"] = round(median, 1)

    # 3. Roll the groups up by unit and by category, then name them (two pk lookups).
    by_unit: dict = {}
    by_category: dict = {}
    for g in groups:
        for key, bucket, fields in (
            (g["responsible_unit_id"], by_unit, ("total", "open", "overdue", "closed")),
            (g["category_id"], by_category, ("total", "open", "closed")),
        ):
            row = bucket.setdefault(key, dict.fromkeys(fields, 0))
            for name in fields:
                row[name] += g[name]
    unit_names = dict(
        Unit.objects.filter(pk__in=[k for k in by_unit if k]).values_list("pk", "name")
    )
    top = sorted(
        by_unit.items(),
        key=lambda kv: (-kv[1]["total"], -kv[1]["overdue"], unit_names.get(kv[0], "")),
    )[:TOP_UNITS]
    figures["by_unit"] = [
        {"unit_id": uid, "name": unit_names.get(uid) or _("Not yet assigned"), **row}
        for uid, row in top
    ]
    categories = {
        c["pk"]: _category_label(c["name"], c["name_en"])
        for c in HazardCategory.objects.filter(pk__in=list(by_category)).values("pk", "name", "name_en")
    }
    figures["by_category"] = [
        {"category_id": cid, "name": categories.get(cid, ""), **row}
        for cid, row in sorted(
            by_category.items(), key=lambda kv: (-kv[1]["total"], categories.get(kv[0], ""))
        )
    ]

    # 4. Twelve local months of reported vs closed, from the same scan.
    figures["trend"] = [
        {"month": first.strftime("%Y-%m"), "reported": sums[f"r{i}"], "closed": sums[f"c{i}"]}
        for i, (first, _start, _end) in enumerate(months)
    ]
    return figures


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


def inspection_work(user) -> dict | None:
    """The inspection work waiting for ``user``, as counts for the home page's card, or None
    when there is none (or the user has no part in inspections).

    An office admin (``inspections.review_inspection``): ``awaiting_review``, the inspections
    waiting for approval. An inspector (office staff, ``inspections.start_inspection``):
    ``due``, ``late`` and ``never`` (their assigned places in active plans by coverage) and
    ``in_progress`` (their own inspections not yet submitted). Keys a user has no part in are
    None. At most two queries, both through the inspections selectors: one conditional
    aggregate over the visible inspections and one over the visible targets.
    """
    reviews = user.has_perm("inspections.review_inspection")
    inspects = user.has_perm("inspections.start_inspection")
    if not (reviews or inspects):
        return None
    work: dict = dict.fromkeys(("awaiting_review", "in_progress", "due", "late", "never"))
    counts: dict = {}
    if reviews:
        counts["awaiting_review"] = Count("pk", filter=Q(state=Inspection.State.AWAITING_REVIEW))
    if inspects:
        counts["in_progress"] = Count("pk", filter=Q(state=Inspection.State.IN_PROGRESS,
                                                     inspector_id=user.pk))
    work.update(inspection_list_visible_to(user).order_by().aggregate(**counts))
    if inspects:
        targets = target_list_visible_to(user).filter(
            inspector_id=user.pk, plan__state=InspectionPlan.State.ACTIVE).order_by()
        work.update(targets.aggregate(**{
            name: Count("pk", filter=Q(coverage=coverage)) for name, coverage in (
                ("due", Coverage.DUE), ("late", Coverage.LATE), ("never", Coverage.NEVER))
        }))
    if not any(work.values()):
        return None
    return work


# --- big-screen display links ------------------------------------------------------------------
def display_list():
    """Every display link (QuerySet of :class:`~.models.DisplayToken` with campus and creator),
    live ones first, newest first. Only office administrators see this list."""
    from .models import DisplayToken

    return DisplayToken.objects.select_related("campus", "created_by").order_by(
        "revoked_at", "-created_at", "-id")


def display_by_token(token: str):
    """The live (not revoked) :class:`~.models.DisplayToken` whose secret is ``token`` (the
    text in the screen's address; only its sha256 is stored), or None for an unknown, revoked,
    empty or over-long (> 128 characters) token."""
    from .models import DisplayToken
    from .services import display_token_hash

    if not token or len(token) > 128:
        return None
    return (DisplayToken.objects.select_related("campus")
            .filter(token_hash=display_token_hash(token), revoked_at__isnull=True).first())
