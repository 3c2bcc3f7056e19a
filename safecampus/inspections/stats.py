"""Inspection statistics (reads only): compliance by unit, campus and item, most-failed items,
places overdue for inspection and repeat findings.

Every figure is one SQL aggregation (``GROUP BY`` with ``Count``/``Sum`` and filters) over
the rows the user may see (:mod:`.selectors`); nothing loops over inspections or results
in Python, so the number of queries does not depend on how many there are.

Definitions (the same as :attr:`Inspection.compliance_rate`):

- *items checked* = items that complied + items that failed (not applicable counts nowhere);
- *compliance rate* = complied ÷ checked × 100, in percent; None when nothing was checked;
- *failure rate* of an item = times failed ÷ times checked × 100.

Only finished inspections count. The date range is of local (Asia/Shanghai) days on which
the inspection was finished, both ends included.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, FloatField, Max, Q, QuerySet, Sum
from django.db.models.functions import Cast, NullIf

from safecampus.core import clock
from safecampus.core.pagination import Page, page_of

from .models import Coverage, Inspection, InspectionPlan, InspectionResult, InspectionTarget, Outcome
from .selectors import inspection_list_visible_to, target_list_visible_to

#: The default period: the last 180 local days (about one term).
DEFAULT_DAYS = 180
#: How many items the most-failed chart and table show.
TOP_ITEMS = 10


@dataclass(frozen=True)
class StatsFilters:
    """What the statistics cover. Dates are local days (inclusive); ids may be None (all)."""

    date_from: dt.date
    date_to: dt.date
    campus_id: int | None = None
    template_id: int | None = None

    @classmethod
    def default(cls, today: dt.date | None = None) -> "StatsFilters":
        today = today or clock.local_today()
        return cls(date_from=today - dt.timedelta(days=DEFAULT_DAYS - 1), date_to=today)


def _rate(part, whole):
    """``part × 100 ÷ whole`` as a float in SQL; NULL when ``whole`` is 0."""
    return Cast(part, FloatField()) * 100.0 / NullIf(Cast(whole, FloatField()), 0.0)


def finished_inspections(user, filters: StatsFilters) -> QuerySet[Inspection]:
    """Finished inspections visible to ``user`` within ``filters`` (unordered)."""
    qs = inspection_list_visible_to(user).filter(
        state=Inspection.State.FINISHED,
        finished_at__gte=clock.start_of_local_day(filters.date_from),
        finished_at__lte=clock.end_of_local_day(filters.date_to),
    )
    if filters.campus_id:
        qs = qs.filter(campus_id=filters.campus_id)
    if filters.template_id:
        qs = qs.filter(version__template_id=filters.template_id)
    return qs


def _results(user, filters: StatsFilters) -> QuerySet[InspectionResult]:
    return InspectionResult.objects.filter(
        inspection__in=finished_inspections(user, filters).values("pk"))


def _compliance(qs: QuerySet[Inspection], *group: str) -> QuerySet:
    checked = Sum(F("items_complied") + F("items_failed"))
    return (qs.values(*group)
            .annotate(inspections=Count("pk"), checked=checked, failed=Sum("items_failed"),
                      complied=Sum("items_complied"), vetoed=Count("pk", filter=Q(vetoed=True)))
            .annotate(rate=_rate(F("complied"), F("checked"))))


def totals(user, filters: StatsFilters) -> dict:
    """``{"inspections", "checked", "failed", "complied", "vetoed", "rate"}`` over the period
    (one query; counts are 0 and ``rate`` None when there is nothing)."""
    row = finished_inspections(user, filters).aggregate(
        inspections=Count("pk"), checked=Sum(F("items_complied") + F("items_failed")),
        failed=Sum("items_failed"), complied=Sum("items_complied"),
        vetoed=Count("pk", filter=Q(vetoed=True)))
    for key in ("checked", "failed", "complied"):
        row[key] = row[key] or 0
    row["rate"] = row["complied"] * 100.0 / row["checked"] if row["checked"] else None
    return row


def compliance_by_unit(user, filters: StatsFilters) -> QuerySet:
    """Rows ``{"unit_id", "unit__name", "inspections", "checked", "failed", "complied",
    "vetoed", "rate"}`` per inspected unit (None: places without a unit), worst rate first;
    units with nothing checked come last."""
    return _compliance(finished_inspections(user, filters), "unit_id", "unit__name").order_by(
        F("rate").asc(nulls_last=True), "-failed", "unit__name")


def compliance_by_campus(user, filters: StatsFilters) -> QuerySet:
    """Rows like :func:`compliance_by_unit` per campus (``campus_id``, ``campus__name``)."""
    return _compliance(finished_inspections(user, filters), "campus_id", "campus__name").order_by(
        F("rate").asc(nulls_last=True), "-failed", "campus__name")


def by_item(user, filters: StatsFilters) -> QuerySet:
    """Rows per template and item code: ``{"template_id", "template_name", "item_code",
    "text", "checked", "failed", "rate"}``, highest failure rate first.

    Versions of one template share item codes, so an item counts across the versions used;
    ``text`` is the item's wording (of the latest version when it changed).
    """
    return (_results(user, filters)
            .values("item_code", template_id=F("item__version__template_id"),
                    template_name=F("item__version__template__name"))
            .annotate(text=Max("item__text"),
                      checked=Count("pk", filter=Q(outcome__in=[Outcome.COMPLIES, Outcome.FAILS])),
                      failed=Count("pk", filter=Q(outcome=Outcome.FAILS)))
            .annotate(rate=_rate(F("failed"), F("checked")))
            .order_by(F("rate").desc(nulls_last=True), "-failed", "template_name", "item_code"))


def most_failed_items(user, filters: StatsFilters, *, limit: int = TOP_ITEMS) -> list[dict]:
    """The ``limit`` items failed most often (ties: higher failure rate, then code); items
    never failed are left out. Rows as :func:`by_item`."""
    return list(by_item(user, filters).filter(failed__gt=0).order_by(
        "-failed", F("rate").desc(nulls_last=True), "template_name", "item_code")[:limit])


def overdue_places(user, filters: StatsFilters) -> QuerySet[InspectionTarget]:
    """Targets of active plans that are late, or never inspected although due (due date
    today or earlier), most overdue first, with plan, place, unit and inspector joined.

    The date range does not apply (this is the state today); campus and template do.
    """
    today = clock.local_today()
    qs = target_list_visible_to(user).filter(
        Q(coverage=Coverage.LATE) | Q(coverage=Coverage.NEVER, due_on__lte=today),
        plan__state=InspectionPlan.State.ACTIVE)
    if filters.campus_id:
        qs = qs.filter(place__campus_id=filters.campus_id)
    if filters.template_id:
        qs = qs.filter(plan__template_id=filters.template_id)
    return qs.select_related("plan", "place", "place__building", "unit", "inspector").order_by(
        F("due_on").asc(nulls_last=True), "id")


def repeat_findings(user, filters: StatsFilters) -> QuerySet[InspectionResult]:
    """Failed items flagged as repeat findings in the period's finished inspections, newest
    first, with the place, the item, this inspection and the one it repeats joined."""
    return (_results(user, filters).filter(is_repeat=True)
            .select_related("inspection", "place", "place__building", "item",
                            "repeat_of__inspection", "inspection__unit")
            .order_by("-recorded_at", "-id"))


@dataclass
class Statistics:
    """Everything the statistics page shows (see the module docstring for definitions)."""

    filters: StatsFilters
    totals: dict
    by_unit: list[dict]
    by_campus: list[dict]
    most_failed: list[dict]
    items: Page
    overdue: Page
    repeats: Page


def statistics(user, filters: StatsFilters, *, item_page: int = 1, overdue_page: int = 1,
               repeat_page: int = 1, per_page: int = 20) -> Statistics:
    """All figures of the statistics page for ``user`` (seven queries whatever the data).

    Lists of items, overdue places and repeat findings come one page at a time (page
    numbers from 1); units and campuses are few and come whole.
    """
    return Statistics(
        filters=filters,
        totals=totals(user, filters),
        by_unit=list(compliance_by_unit(user, filters)),
        by_campus=list(compliance_by_campus(user, filters)),
        most_failed=most_failed_items(user, filters),
        items=page_of(by_item(user, filters), item_page, per_page=per_page),
        overdue=page_of(overdue_places(user, filters), overdue_page, per_page=per_page),
        repeats=page_of(repeat_findings(user, filters), repeat_page, per_page=per_page),
    )
