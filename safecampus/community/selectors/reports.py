"""Concern reports (reads): what people raised and how the office handled it, for a period
and optionally one campus or category. Everything is counted in SQL (no loop over rows).

Months are Beijing months; the period's days are Beijing days. Time to answer is
``answered_at − submitted_at`` in hours, its median taken in SQL (the middle row or two of
the answered concerns ordered by that difference). Satisfaction counts rated concerns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Avg, Count, ExpressionWrapper, F, Q
from django.db.models import DurationField as DurationOutput
from django.db.models.functions import TruncMonth

from safecampus.core import clock
from safecampus.core.charts import month_axis

from ..models import Concern, Resolution

#: How many months the report covers when no start is given.
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class ReportFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    campus_id: int | None = None
    category_id: int | None = None


@dataclass
class ConcernReport:
    """``by_*`` rows are dicts with ``n``; ``by_month`` is ``[(1st of month, n)]``."""

    date_from: dt.date
    date_to: dt.date
    total: int = 0
    open: int = 0
    closed: int = 0
    fixed: int = 0
    answered: int = 0
    median_hours: float | None = None
    rated: int = 0
    rating_mean: float | None = None
    rated_high: int = 0
    by_rating: list[int] = field(default_factory=lambda: [0] * 5)
    by_category: list[dict] = field(default_factory=list)
    by_campus: list[dict] = field(default_factory=list)
    by_channel: list[dict] = field(default_factory=list)
    by_month: list[tuple[dt.date, int]] = field(default_factory=list)

    @property
    def fixed_share(self) -> float | None:
        """Closed concerns fixed at once (立行立改), 0–1; None when none closed."""
        return self.fixed / self.closed if self.closed else None

    @property
    def high_share(self) -> float | None:
        """Ratings of 4 or 5 among the rated, 0–1; None when none rated."""
        return self.rated_high / self.rated if self.rated else None


def default_period() -> tuple[dt.date, dt.date]:
    """The last 12 months: from the 1st of the month eleven months ago to today (local)."""
    today = clock.local_today()
    index = today.year * 12 + today.month - 1 - (DEFAULT_MONTHS - 1)
    return dt.date(index // 12, index % 12 + 1, 1), today


def _median_duration(queryset) -> tuple[int, dt.timedelta | None]:
    """How many rows and the median of their ``wait``, in SQL: count, then the middle row
    (odd count) or the two middle rows (even) by ordered offset. Two queries."""
    count = queryset.count()
    if not count:
        return 0, None
    ordered = queryset.order_by("wait", "id").values_list("wait", flat=True)
    middle = list(ordered[(count - 1) // 2: count // 2 + 1])
    return count, sum(middle, dt.timedelta()) / len(middle)


def concern_report(filters: ReportFilters) -> ConcernReport:
    """The figures of concerns submitted in the period (default: :func:`default_period`),
    filtered by campus and category. Nine queries whatever the number of concerns."""
    start, end = default_period()
    start, end = filters.date_from or start, filters.date_to or end
    queryset = Concern.objects.filter(
        submitted_at__gte=clock.start_of_local_day(start),
        submitted_at__lt=clock.start_of_local_day(end + dt.timedelta(days=1)))
    if filters.campus_id:
        queryset = queryset.filter(campus_id=filters.campus_id)
    if filters.category_id:
        queryset = queryset.filter(category_id=filters.category_id)
    report = ConcernReport(date_from=start, date_to=end)
    closed = Q(state=Concern.State.CLOSED)
    figures = queryset.aggregate(
        total=Count("id"), closed=Count("id", filter=closed),
        fixed=Count("id", filter=closed & Q(resolution=Resolution.FIXED)),
        rated=Count("id", filter=Q(rating__isnull=False)),
        rated_high=Count("id", filter=Q(rating__gte=4)),
        rating_mean=Avg("rating"))
    report.total, report.closed, report.fixed = (figures["total"], figures["closed"],
                                                 figures["fixed"])
    report.open = report.total - report.closed
    report.rated, report.rated_high = figures["rated"], figures["rated_high"]
    report.rating_mean = (float(figures["rating_mean"]) if figures["rating_mean"] is not None
                          else None)
    if not report.total:
        return report
    for row in (queryset.filter(rating__isnull=False).values("rating")
                .annotate(n=Count("id")).order_by()):
        if 1 <= row["rating"] <= 5:
            report.by_rating[row["rating"] - 1] = row["n"]
    report.by_category = list(queryset.values("category_id", "category__name")
                              .annotate(n=Count("id")).order_by("-n", "category__name"))
    report.by_campus = list(queryset.values("campus_id", "campus__name")
                            .annotate(n=Count("id"))
                            .order_by("-n", F("campus__name").asc(nulls_last=True)))
    report.by_channel = list(queryset.values("channel").annotate(n=Count("id"))
                             .order_by("-n", "channel"))
    months = (queryset.annotate(month=TruncMonth("submitted_at", tzinfo=clock.local_zone()))
              .values("month").annotate(n=Count("id")).order_by())
    report.by_month, _cut = month_axis({row["month"]: row["n"] for row in months},
                                       date_from=start, date_to=end)
    answered = queryset.filter(answered_at__isnull=False).annotate(
        wait=ExpressionWrapper(F("answered_at") - F("submitted_at"),
                               output_field=DurationOutput()))
    report.answered, median = _median_duration(answered)
    if median is not None:
        report.median_hours = median.total_seconds() / 3600
    return report
