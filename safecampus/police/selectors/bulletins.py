"""Incident bulletins (警情通报), reads: which bulletins and records a user may see (the same
rules as ``police.view_bulletin``, as queries), the list filters, and the statistics of
published records (by type, campus and proximity, place, month and hour of day — local
Asia/Shanghai — and the hot spots on each campus map). Every figure is one SQL aggregate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, ExtractHour, NullIf, TruncMonth

from safecampus.core import clock
from safecampus.core.charts import month_axis
from safecampus.core.incidents import IncidentCategory

from ..models import Bulletin, BulletinImport, BulletinRecord, RiskPoint
from ..rules import liaison_partner_id
from .risks import risk_points_visible_to

TOP_TYPES = 15
TOP_LOCATIONS = 15


def bulletins_visible_to(user) -> QuerySet[Bulletin]:
    """Bulletins ``user`` may open: all for the office and leadership; for a liaison their
    partner's (any state) and every published one; none for anyone else."""
    if not user.is_authenticated or not user.has_perm("police.view_bulletins"):
        return Bulletin.objects.none()
    partner_id = liaison_partner_id(user)
    if user.scope.sees_everything or partner_id is None:
        return Bulletin.objects.all()
    return Bulletin.objects.filter(Q(partner_id=partner_id)
                                   | Q(state=Bulletin.State.PUBLISHED))


@dataclass(frozen=True)
class BulletinFilters:
    """List filters: partner id, campus id (a record on it), the period overlapping
    ``date_from``–``date_to`` (local dates), state code; None = any."""

    partner_id: int | None = None
    campus_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    state: str | None = None


def bulletin_list(user, filters: BulletinFilters) -> QuerySet[Bulletin]:
    """The bulletins ``user`` sees under ``filters``, newest period first, with the partner
    and the number of records (one query per page)."""
    qs = bulletins_visible_to(user).select_related("partner")
    if filters.partner_id:
        qs = qs.filter(partner_id=filters.partner_id)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.date_from:
        qs = qs.filter(period_end__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(period_start__lte=filters.date_to)
    if filters.campus_id:
        qs = qs.filter(pk__in=BulletinRecord.objects.filter(campus_id=filters.campus_id)
                       .values("bulletin_id"))
    return qs.annotate(record_count=Count("records")).order_by("-period_end", "-id")


def bulletin_get(user, pk) -> Bulletin | None:
    """Bulletin ``pk`` if ``user`` may see it, else None (the view answers 404)."""
    return bulletins_visible_to(user).select_related(
        "partner", "created_by", "published_by").filter(pk=pk).first()


def bulletin_records(bulletin: Bulletin) -> QuerySet[BulletinRecord]:
    """The records of ``bulletin`` in order, with campus, place and what they opened."""
    return (bulletin.records.select_related("campus", "place", "place__building", "hazard",
                                            "alert").order_by("position"))


def records_visible_to(user) -> QuerySet[BulletinRecord]:
    """Records of the bulletins ``user`` may see."""
    return BulletinRecord.objects.filter(bulletin__in=bulletins_visible_to(user))


@dataclass(frozen=True)
class RecordFilters:
    """API filters of records: bulletin, campus, category, proximity, occurred between two
    local dates, only published bulletins."""

    bulletin_id: int | None = None
    campus_id: int | None = None
    category: str | None = None
    proximity: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    published: bool = False


def record_list(user, filters: RecordFilters) -> QuerySet[BulletinRecord]:
    """The records ``user`` sees under ``filters``, latest first."""
    qs = records_visible_to(user).select_related("bulletin", "bulletin__partner", "campus",
                                                 "place")
    if filters.bulletin_id:
        qs = qs.filter(bulletin_id=filters.bulletin_id)
    if filters.campus_id:
        qs = qs.filter(campus_id=filters.campus_id)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.proximity:
        qs = qs.filter(proximity=filters.proximity)
    if filters.published:
        qs = qs.filter(bulletin__state=Bulletin.State.PUBLISHED)
    if filters.date_from:
        qs = qs.filter(occurred_at__gte=clock.start_of_local_day(filters.date_from))
    if filters.date_to:
        qs = qs.filter(occurred_at__lte=clock.end_of_local_day(filters.date_to))
    return qs.order_by("-occurred_at", "-id")


def record_get(user, pk) -> BulletinRecord | None:
    """Record ``pk`` if ``user`` may see its bulletin, else None."""
    return (records_visible_to(user)
            .select_related("bulletin", "bulletin__partner", "campus", "place",
                            "place__building", "hazard", "alert")
            .filter(pk=pk).first())


def bulletin_imports(bulletin: Bulletin) -> QuerySet[BulletinImport]:
    return bulletin.imports.order_by("-created_at")


# --- acting on a record --------------------------------------------------------------------
def record_reviews_visible_to(user, record: BulletinRecord):
    """The risk review requests ``record`` prompted whose risk point ``user`` may see (a
    liaison does not learn the codes and names of points not shared with partners), newest
    first, with their point."""
    return (record.risk_reviews.filter(risk_point__in=risk_points_visible_to(user))
            .select_related("risk_point").order_by("-id"))


#: The hazard category (code, as the office seeds them: ``public_order`` 治安秩序,
#: ``fraud_cyber`` 电信网络诈骗, ``traffic`` 交通安全, ``fire`` 消防安全) a hazard opened from an
#: incident of each category most likely belongs to; categories absent here suggest none.
HAZARD_CATEGORY_CODES: dict[str, str] = {
    IncidentCategory.THEFT: "public_order",
    IncidentCategory.BURGLARY: "public_order",
    IncidentCategory.ASSAULT: "public_order",
    IncidentCategory.HARASSMENT: "public_order",
    IncidentCategory.VANDALISM: "public_order",
    IncidentCategory.TRESPASS: "public_order",
    IncidentCategory.DISTURBANCE: "public_order",
    IncidentCategory.DRUGS_ALCOHOL: "public_order",
    IncidentCategory.FRAUD: "fraud_cyber",
    IncidentCategory.TRAFFIC: "traffic",
    IncidentCategory.FIRE: "fire",
}


def hazard_category_suggested(category: str):
    """The active hazard category an incident of ``category`` (an IncidentCategory code)
    suggests, or None when none fits or the office has no such category."""
    from safecampus.hazards.models import HazardCategory

    code = HAZARD_CATEGORY_CODES.get(category)
    if code is None:
        return None
    return HazardCategory.objects.filter(code=code, is_active=True).first()


def review_points_for(user, record: BulletinRecord) -> QuerySet[RiskPoint]:
    """Published risk points ``user`` sees that ``record`` may ask to review: on its campus
    (any campus for a record without one), those at its place first, then in its place's
    building, then the rest, each group by code."""
    points = risk_points_visible_to(user).filter(state=RiskPoint.State.PUBLISHED)
    if record.campus_id:
        points = points.filter(campus_id=record.campus_id)
    place = record.place
    building_id = place.building_id if place is not None else None
    nearness = [When(place_id=place.pk, then=Value(0))] if place is not None else []
    if building_id:
        nearness.append(When(building_id=building_id, then=Value(1)))
        nearness.append(When(place__building_id=building_id, then=Value(1)))
    if not nearness:
        return points.order_by("code")
    return points.annotate(nearness=Case(*nearness, default=Value(2),
                                         output_field=IntegerField())).order_by("nearness",
                                                                                 "code")


# --- statistics ----------------------------------------------------------------------------
@dataclass(frozen=True)
class BulletinStatsFilters:
    """Records occurred between two local dates (inclusive; None = open), partner, campus and
    incident category (``""``: all)."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    partner_id: int | None = None
    campus_id: int | None = None
    category: str = ""


@dataclass
class BulletinStatistics:
    """Figures of published records. ``by_category`` (category, n), ``by_type`` (type_label,
    n; top 15), ``by_campus`` (campus name or None, proximity, n), ``by_location`` (where,
    n; top 15: the hot spots), ``by_month`` ((1st of month, n) continuous), ``by_hour`` (24
    counts, local hours), ``points`` per campus id: [(place id, name, map_x, map_y, n)] of
    places with a map position."""

    filters: BulletinStatsFilters
    total: int = 0
    by_category: list[dict] = field(default_factory=list)
    by_type: list[dict] = field(default_factory=list)
    by_campus: list[dict] = field(default_factory=list)
    by_location: list[dict] = field(default_factory=list)
    by_month: list[tuple[dt.date, int]] = field(default_factory=list)
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    points: dict[int, list[dict]] = field(default_factory=dict)


def records_for_statistics(user, filters: BulletinStatsFilters) -> QuerySet[BulletinRecord]:
    """Published records ``user`` may count (none without the statistics permission)."""
    if not user.is_authenticated or not user.has_perm("police.view_bulletin_statistics"):
        return BulletinRecord.objects.none()
    qs = BulletinRecord.objects.filter(bulletin__state=Bulletin.State.PUBLISHED)
    if filters.date_from:
        qs = qs.filter(occurred_at__gte=clock.start_of_local_day(filters.date_from))
    if filters.date_to:
        qs = qs.filter(occurred_at__lte=clock.end_of_local_day(filters.date_to))
    if filters.partner_id:
        qs = qs.filter(bulletin__partner_id=filters.partner_id)
    if filters.campus_id:
        qs = qs.filter(campus_id=filters.campus_id)
    if filters.category:
        qs = qs.filter(category=filters.category)
    return qs


def bulletin_statistics(user, filters: BulletinStatsFilters) -> BulletinStatistics:
    """All figures of the statistics page in 8 queries, whatever the number of records."""
    zone = clock.local_zone()
    qs = records_for_statistics(user, filters).order_by()
    stats = BulletinStatistics(filters=filters)
    stats.total = qs.count()
    if not stats.total:
        return stats
    stats.by_category = list(qs.values("category").annotate(n=Count("id"))
                             .order_by("-n", "category"))
    stats.by_type = list(qs.exclude(type_label="").values("type_label")
                         .annotate(n=Count("id")).order_by("-n", "type_label")[:TOP_TYPES])
    stats.by_campus = list(qs.values("campus__name", "proximity").annotate(n=Count("id"))
                           .order_by("campus__name", "proximity"))
    stats.by_location = list(
        qs.annotate(where=Coalesce(NullIf("place__name", Value("")),
                                   NullIf("location_text", Value(""))))
        .exclude(where__isnull=True).values("where").annotate(n=Count("id"))
        .order_by("-n", "where")[:TOP_LOCATIONS])
    counted = {row["month"]: row["n"]
               for row in qs.annotate(month=TruncMonth("occurred_at", tzinfo=zone))
               .values("month").annotate(n=Count("id")).order_by("month")}
    stats.by_month, _cut = month_axis(counted, date_from=filters.date_from,
                                      date_to=filters.date_to)
    for row in (qs.annotate(hour=ExtractHour("occurred_at", tzinfo=zone))
                .values("hour").annotate(n=Count("id"))):
        stats.by_hour[row["hour"]] = row["n"]
    for row in (qs.filter(place__map_x__isnull=False, place__map_y__isnull=False)
                .values("place_id", "place__name", "place__map_x", "place__map_y",
                        "place__campus_id")
                .annotate(n=Count("id")).order_by("-n", "place_id")):
        stats.points.setdefault(row["place__campus_id"], []).append({
            "place_id": row["place_id"], "name": row["place__name"],
            "x": float(row["place__map_x"]), "y": float(row["place__map_y"]), "n": row["n"]})
    return stats
