"""Risk register, reads: which risk points a user may see (the same rule as
``police.view_risk_point``, as a query)."""

import datetime as dt

from django.db.models import Count, Q, QuerySet

from safecampus.core import clock
from safecampus.core.activity import activity_for

from .. import grading
from ..models import ControlMeasure, RiskAssessment, RiskPoint, RiskReview
from ..rules import liaison_partner_id


def risk_points_visible_to(user) -> QuerySet[RiskPoint]:
    """Risk points ``user`` may open: all for the office and leadership; for a police liaison
    the published points shared with partners on the campuses they serve; for a unit's safety
    contact or leader the points their unit answers for; and any point the user is the
    responsible person of. Signed-out users see none."""
    if not user.is_authenticated:
        return RiskPoint.objects.none()
    scope = user.scope
    if scope.sees_everything:
        return RiskPoint.objects.all()
    q = Q(responsible_person=user)
    unit_ids = [unit_id for unit_id in scope.unit_ids if scope.acts_for_unit(unit_id)]
    if unit_ids:
        q |= Q(responsible_unit_id__in=unit_ids)
    if liaison_partner_id(user) is not None:
        q |= Q(shared_with_partners=True, state=RiskPoint.State.PUBLISHED,
               campus_id__in=scope.campus_ids)
    return RiskPoint.objects.filter(q)


# --- lists, pages and the hub -----------------------------------------------------------------
def risk_point_list(user, *, campus=None, kind: str = "", level: str = "", state: str = "",
                    overdue: bool = False, unit=None, q: str = "") -> QuerySet[RiskPoint]:
    """The register as ``user`` may see it, filtered, with what a list row shows joined.
    ``level`` "none" is the points never assessed; ``overdue``: published points whose review
    date (local) has passed (the due date itself runs to the end of that local day); ``q``
    searches code, name, location and hazard factors."""
    rows = (risk_points_visible_to(user)
            .select_related("campus", "building", "place", "responsible_unit",
                            "responsible_person")
            .order_by("campus__sort_order", "campus_id", "code"))
    if campus is not None:
        rows = rows.filter(campus=campus)
    if kind:
        rows = rows.filter(kind=kind)
    if level == "none":
        rows = rows.filter(level="")
    elif level:
        rows = rows.filter(level=level)
    if state:
        rows = rows.filter(state=state)
    if overdue:
        rows = rows.filter(state=RiskPoint.State.PUBLISHED,
                           next_review_on__lt=clock.local_today())
    if unit is not None:
        rows = rows.filter(responsible_unit=unit)
    q = (q or "").strip()
    if q:
        rows = rows.filter(Q(code__icontains=q) | Q(name__icontains=q)
                           | Q(location_text__icontains=q) | Q(hazard_factors__icontains=q))
    return rows


def risk_point_detail(pk) -> RiskPoint | None:
    """One point with its places and people joined (None when there is none)."""
    return (RiskPoint.objects.select_related("campus", "building", "place", "responsible_unit",
                                             "responsible_person", "created_by")
            .filter(pk=pk).first())


def risk_point_measures(point: RiskPoint) -> list[ControlMeasure]:
    """Measures in force first, then withdrawn ones."""
    return list(point.measures.select_related("responsible_unit", "responsible_person")
                .order_by("-is_active", "id"))


def risk_point_tier_missing(point: RiskPoint, measures) -> str:
    """The control tier ``point``'s level needs when none of ``measures`` (the point's, as
    :func:`risk_point_measures` gives them; no query) is in force at that tier or higher with
    a responsible person — the publish rule — else "" (also for a point not assessed)."""
    tiers = grading.tiers_for_level(point.level)
    if not tiers or any(m.is_active and m.tier in tiers and m.responsible_person_id
                        for m in measures):
        return ""
    return grading.TIER_BY_LEVEL[point.level]


def risk_point_assessments(point: RiskPoint) -> list[RiskAssessment]:
    """The assessment history, newest first."""
    return list(point.assessments.select_related("assessed_by"))


def risk_point_open_reviews(point: RiskPoint) -> list[RiskReview]:
    return list(point.review_requests.filter(assessment__isnull=True)
                .select_related("requested_by", "record"))


def risk_point_timeline(point: RiskPoint):
    return activity_for(point).order_by("occurred_at", "id")


def risk_summary(user) -> dict:
    """The hub card's figures for ``user``'s visible published points: ``levels`` (count by
    level, highest first), ``overdue`` (review date passed; the due date runs to the end of
    its local day), ``due_today`` (review due today) and ``mine`` (points the
    user answers for that are due within 30 days or overdue, at most 5). Three queries."""
    visible = risk_points_visible_to(user).filter(state=RiskPoint.State.PUBLISHED)
    counts = dict(visible.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    levels = [(level, counts.get(level, 0)) for level in ("major", "high", "moderate", "low")]
    today = clock.local_today()
    review = visible.aggregate(overdue=Count("id", filter=Q(next_review_on__lt=today)),
                               due_today=Count("id", filter=Q(next_review_on=today)))
    mine = []
    if user.is_authenticated:
        scope = user.scope
        unit_ids = [u for u in scope.unit_ids if scope.acts_for_unit(u)]
        mine = list(RiskPoint.objects.filter(
            Q(responsible_person=user) | Q(responsible_unit_id__in=unit_ids),
            state=RiskPoint.State.PUBLISHED,
            next_review_on__lte=today + dt.timedelta(days=30))
            .order_by("next_review_on", "code")[:5])
    return {"levels": levels, "overdue": review["overdue"], "due_today": review["due_today"],
            "mine": mine, "today": today,
            "total": sum(n for _level, n in levels)}
