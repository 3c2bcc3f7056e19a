"""Reading hazards and notices (house rule 1). Every list, export, PDF and API path goes
through :func:`hazard_list_visible_to` / :func:`notice_list_visible_to`, so a user never sees
another unit's work by any route."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.core.forms import id_or_none

from .models import (
    NOTICE_DAYS_MAX,
    OPEN_STATES,
    UNIT_STATES,
    VOID_STATES,
    ExtensionRequest,
    Hazard,
    HazardCategory,
    RectificationNotice,
    Status,
)


def hazard_visibility_q(user) -> Q | None:
    """The SQL form of ``hazards.view_hazard``; None means "everything"."""
    scope = user.scope
    if scope.sees_everything:
        return None
    q = Q(reporter_id=user.pk)
    if scope.unit_ids:
        acting = [uid for uid in scope.unit_ids if scope.acts_for_unit(uid)]
        if acting:
            q |= Q(responsible_unit_id__in=acting)
    if scope.zone_ids:
        q |= Q(zone_id__in=scope.zone_ids)
    if scope.area_campus_ids:
        q |= Q(campus_id__in=scope.area_campus_ids)
    if Role.POLICE_LIAISON in scope.roles:
        q |= Q(source="police", campus_id__in=scope.campus_ids)
    return q


def hazard_list_visible_to(user) -> QuerySet[Hazard]:
    """Hazards ``user`` may see, unordered filters applied later; anonymous users see none."""
    if not user.is_authenticated:
        return Hazard.objects.none()
    q = hazard_visibility_q(user)
    qs = Hazard.objects.all()
    return qs if q is None else qs.filter(q)


@dataclass
class LedgerFilters:
    """Filters of the hazard ledger; every field optional. Dates are local (Asia/Shanghai)."""

    campus: int | None = None
    unit: int | None = None
    category: int | None = None
    grade: str = ""
    status: str = ""
    overdue: bool = False
    source: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str = ""


def hazard_ledger(user, filters: LedgerFilters) -> QuerySet[Hazard]:
    """The ledger rows for ``user`` under ``filters``, newest first, with the columns the
    ledger page shows joined (query count independent of page size). Callers that also show
    the notice number (export, API) add ``select_related("current_notice")``: one join
    fewer makes PostgreSQL plan this query several times faster (docs/benchmarks.md)."""
    qs = hazard_list_visible_to(user)
    if filters.campus:
        qs = qs.filter(campus_id=filters.campus)
    if filters.unit:
        qs = qs.filter(responsible_unit_id=filters.unit)
    if filters.category:
        qs = qs.filter(category_id=filters.category)
    if filters.grade:
        qs = qs.filter(grade=filters.grade)
    if filters.status == "open":
        qs = qs.filter(status__in=OPEN_STATES)
    elif filters.status == "valid":  # rejected and duplicate reports are not hazards
        qs = qs.exclude(status__in=VOID_STATES)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.overdue:
        qs = qs.filter(overdue_q())
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.date_from:
        qs = qs.filter(reported_at__gte=clock.start_of_local_day(filters.date_from))
    if filters.date_to:
        qs = qs.filter(reported_at__lte=clock.end_of_local_day(filters.date_to))
    if filters.text:
        text = filters.text.strip()
        q = Q(title__icontains=text) | Q(description__icontains=text) | Q(
            location_text__icontains=text
        )
        if text.isdigit():
            q |= Q(pk=int(text))
        elif text.upper().startswith("YH") and text.split("-")[-1].isdigit():
            q |= Q(pk=int(text.split("-")[-1]))
        qs = qs.filter(q)
    return qs.select_related(
        "category", "campus", "building", "place", "responsible_unit"
    ).order_by("-reported_at", "-id")


def overdue_q(at: dt.datetime | None = None) -> Q:
    """Hazards past their deadline and still owed by the unit (evaluated in SQL)."""
    return Q(status__in=UNIT_STATES, deadline__lt=at or clock.now())


def hazard_detail(user, pk: int) -> Hazard | None:
    """One hazard with what its page shows, or None if absent or not visible to ``user``."""
    return (
        hazard_list_visible_to(user)
        .select_related(
            "category",
            "campus",
            "zone",
            "building",
            "place",
            "responsible_unit",
            "current_notice",
            "duplicate_of",
            "reporter",
        )
        .prefetch_related(
            "photos", "evidence__photos", "plan__milestones",
            Prefetch("extensions", queryset=ExtensionRequest.objects.select_related(
                "requested_by", "decided_by")))
        .filter(pk=pk)
        .first()
    )


def hazard_likely_duplicates(hazard: Hazard, *, limit: int = 5) -> list[Hazard]:
    """Open or recent hazards of the same category at the same place/building (or campus
    with the same location text), reported within 30 days before or after ``hazard``."""
    window = dt.timedelta(days=30)
    near = Q(place_id=hazard.place_id) if hazard.place_id else Q()
    if not hazard.place_id and hazard.building_id:
        near = Q(building_id=hazard.building_id)
    elif not hazard.place_id and hazard.location_text:
        near = Q(location_text__icontains=hazard.location_text[:20])
    return list(
        Hazard.objects.filter(near, campus_id=hazard.campus_id, category_id=hazard.category_id)
        .filter(
            reported_at__gte=hazard.reported_at - window,
            reported_at__lte=hazard.reported_at + window,
        )
        .exclude(pk=hazard.pk)
        .exclude(status__in=[Status.REJECTED, Status.DUPLICATE])
        .select_related("place", "building")
        .order_by("-reported_at")[:limit]
    )


def hazard_reported_by(user) -> QuerySet[Hazard]:
    """The hazards ``user`` reported (the "my reports" page), newest first."""
    return (
        Hazard.objects.filter(reporter=user)
        .select_related("category", "campus", "place__building", "building")
        .order_by("-reported_at", "-id")
    )


def notice_list_visible_to(user) -> QuerySet[RectificationNotice]:
    """Notices ``user`` may see: the office and leadership all; a unit its own."""
    if not user.is_authenticated:
        return RectificationNotice.objects.none()
    scope = user.scope
    qs = RectificationNotice.objects.select_related("unit", "issued_by", "acknowledged_by")
    if scope.sees_everything:
        return qs
    acting = [uid for uid in scope.unit_ids if scope.acts_for_unit(uid)]
    return qs.filter(unit_id__in=acting)


def extension_latest_date() -> dt.date:
    """The latest local date an extension may ask for: today (Asia/Shanghai) plus
    ``NOTICE_DAYS_MAX`` (180) calendar days, the longest a new notice may allow."""
    return clock.now().astimezone(clock.local_zone()).date() + dt.timedelta(days=NOTICE_DAYS_MAX)


def notice_hazards(notice: RectificationNotice) -> list[Hazard]:
    """The hazards listed on ``notice`` (in order, cancelled items excluded).

    The hazard's ``deadline`` is the one in force (an extension granted for one hazard moves
    only that hazard's); the notice keeps the deadline it was issued with. Each hazard gets
    ``extended_deadline``: its own deadline (aware) when it differs from the notice's, else
    None."""
    hazards = [
        item.hazard
        for item in notice.items.filter(cancelled_at__isnull=True)
        .select_related("hazard__category", "hazard__place", "hazard__building", "hazard__campus")
        .order_by("position")
    ]
    for hazard in hazards:
        hazard.extended_deadline = (hazard.deadline if hazard.deadline is not None
                                    and hazard.deadline != notice.deadline else None)
    return hazards


def categories_active() -> QuerySet[HazardCategory]:
    return HazardCategory.objects.filter(is_active=True).order_by("sort_order", "code")


def notice_days_default(hazard_ids) -> int:
    """Days a notice allows by default: ``SAFECAMPUS["NOTICE_DAYS_BY_RISK"]`` of the highest
    risk level (set by the risk register on ``Place.risk_level``) among the places of the
    hazards ``hazard_ids``; the entry for "" when none of them has a level (one query)."""
    from django.conf import settings

    by_risk = settings.SAFECAMPUS["NOTICE_DAYS_BY_RISK"]
    # Query values: "²" passes str.isdigit() but not int(), and a 23-digit id overflows the
    # database's integer; id_or_none drops both.
    ids = [i for i in (id_or_none(h) for h in hazard_ids or ()) if i is not None]
    levels = set(Hazard.objects.filter(pk__in=ids).exclude(place__risk_level="")
                 .values_list("place__risk_level", flat=True)) if ids else set()
    for level in ("major", "high", "moderate", "low"):
        if level in levels:
            return by_risk[level]
    return by_risk[""]


def hazards_awaiting_notice(user, *, unit_id: int | None = None) -> QuerySet[Hazard]:
    """Confirmed hazards with a responsible unit, ready to be listed on a notice."""
    qs = hazard_list_visible_to(user).filter(
        status=Status.CONFIRMED, responsible_unit__isnull=False
    )
    if unit_id:
        qs = qs.filter(responsible_unit_id=unit_id)
    return qs.select_related("category", "responsible_unit", "place", "building").order_by(
        "responsible_unit_id", "-reported_at"
    )


def hazard_source_record(hazard: Hazard, user):
    """The record a hazard came from (an inspection result, a patrol scan …) if ``user`` may
    see it, else None.

    Read through the generic reference, so this app imports no module; the record's
    ``get_absolute_url`` (when it has one) links back to it, and its ``is_visible_to(user)``
    (when it has one) decides who sees that link.
    """
    if not hazard.source_type_id or not hazard.source_id:
        return None
    model = hazard.source_type.model_class()
    if model is None:
        return None
    record = model._default_manager.filter(pk=hazard.source_id).first()
    if record is not None and hasattr(record, "is_visible_to") and not record.is_visible_to(user):
        return None
    return record
