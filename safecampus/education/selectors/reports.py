"""Confidential fraud reports, reads: the handlers' queue, a reporter's own reports, one
report, and the statistics that aim the next campaign.

Who sees a report: its reporter, police liaisons and office administrators
(``education.handle_fraud_report``). Anyone else gets None (the pages answer 404, so the
existence of a report is not given away). Statistics (``education.view_fraud_statistics``:
the office, leadership, police liaisons) are counts and sums only, never a report's content.

Times: the statistics count a report by ``occurred_on``, the day the fraud happened as the
reporter gave it (a local date), for both the period filter and the month axis — a campaign is
aimed at when frauds happen, and a fraud reported days later still counts in its own month.
The queue and "my reports" are ordered by ``created_at``, the moment the report was made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from safecampus.accounts.models import Affiliation
from safecampus.core.activity import activity_for
from safecampus.core.charts import month_axis
from safecampus.core.forms import id_or_none

from ..models import FraudReport

HANDLE = "education.handle_fraud_report"
State = FraudReport.State
OPEN_STATES = (State.SUBMITTED, State.RECEIVED, State.REFERRED)
#: The queue's tabs (``?state=``): open reports, each state, and all ("").
TAB_OPEN = "open"


def handles(user) -> bool:
    return user.is_authenticated and user.has_perm(HANDLE)


def report_queue(user, *, state: str = TAB_OPEN) -> QuerySet[FraudReport]:
    """Reports for the handlers, oldest open first for ``open``, else newest first; empty
    for anyone else. ``state``: ``open``, a state, or "" (all)."""
    if not handles(user):
        return FraudReport.objects.none()
    qs = FraudReport.objects.select_related("fraud_type", "college", "campus", "reporter")
    if state == TAB_OPEN:
        return qs.filter(state__in=OPEN_STATES).order_by("created_at", "id")
    if state in State.values:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-id")


def report_state_counts(user) -> dict[str, int]:
    """``{state: n, "open": n, "all": n}`` for the handlers' tabs (one query)."""
    counts = {s: 0 for s in State.values}
    if handles(user):
        for row in FraudReport.objects.values("state").annotate(n=Count("id")).order_by():
            counts[row["state"]] = row["n"]
    counts[TAB_OPEN] = sum(counts[s] for s in OPEN_STATES)
    counts["all"] = sum(counts[s] for s in State.values)
    return counts


def open_report_count(user) -> int | None:
    """How many reports wait for a handler (submitted); None for anyone else."""
    if not handles(user):
        return None
    return FraudReport.objects.filter(state=State.SUBMITTED).count()


def my_reports(user) -> QuerySet[FraudReport]:
    """The user's own reports, newest first."""
    if not user.is_authenticated:
        return FraudReport.objects.none()
    return (FraudReport.objects.filter(reporter=user).select_related("fraud_type")
            .order_by("-created_at", "-id"))


def report_for(user, pk) -> FraudReport | None:
    """One report if ``user`` may see it (reporter or handler), else None."""
    if not user.is_authenticated or not id_or_none(pk):
        return None
    qs = FraudReport.objects.select_related("fraud_type", "college", "campus", "reporter",
                                            "handled_by")
    if not handles(user):
        qs = qs.filter(reporter=user)
    return qs.filter(pk=pk).first()


def report_timeline(report: FraudReport):
    return activity_for(report).order_by("occurred_at", "id")


# --- statistics -------------------------------------------------------------------------------
@dataclass
class FraudStatistics:
    """Counts of the reports of frauds that happened in a period (both days included)."""

    total: int = 0
    with_loss: int = 0
    total_loss: Decimal = Decimal("0")
    #: ``[{"fraud_type_id", "name", "code", "n", "loss"}]``, most first; "not sure" has id None.
    by_type: list[dict] = field(default_factory=list)
    #: ``[{"college_id", "name", "n", "loss", "students", "per_1000"}]``, most first.
    by_college: list[dict] = field(default_factory=list)
    #: ``[(1st of the month it happened, n)]`` continuous, empty months 0.
    by_month: list[tuple[dt.date, int]] = field(default_factory=list)
    months_cut: int = 0
    #: The three types most reported (known types only).
    top_types: list[dict] = field(default_factory=list)
    #: Colleges with the most reports per 1,000 students (at most three, students > 0).
    top_colleges: list[dict] = field(default_factory=list)

    @property
    def types_reported(self) -> int:
        """How many fraud types the reports named ("not sure" left out)."""
        return sum(1 for r in self.by_type if r["fraud_type_id"] is not None)

    @property
    def loss_share(self) -> float:
        """Share of reports with money lost, 0–100."""
        return 100 * self.with_loss / self.total if self.total else 0.0


def _most_first(row: dict):
    """Most reports first; then by name, the unnamed group ("not sure", no college) last."""
    return (-row["n"], row["name"] is None, row["name"] or "")


def _period(qs, date_from: dt.date | None, date_to: dt.date | None):
    """Reports of frauds that happened between the two days (both included, open ends)."""
    if date_from:
        qs = qs.filter(occurred_on__gte=date_from)
    if date_to:
        qs = qs.filter(occurred_on__lte=date_to)
    return qs


def fraud_statistics(*, date_from: dt.date | None = None,
                     date_to: dt.date | None = None) -> FraudStatistics:
    """Reports of frauds that happened (``occurred_on``) between ``date_from`` and ``date_to``
    (inclusive; open ends allowed) by fraud type, college and the month it happened, with the
    loss and the campaign targets.
    Aggregated in SQL (a handful of queries whatever the number of reports)."""
    qs = _period(FraudReport.objects.all(), date_from, date_to)
    stats = FraudStatistics()
    totals = qs.aggregate(total=Count("id"), with_loss=Count("id", filter=Q(lost_money=True)),
                          loss=Sum("loss_amount", filter=Q(lost_money=True)))
    stats.total = totals["total"] or 0
    stats.with_loss = totals["with_loss"] or 0
    stats.total_loss = totals["loss"] or Decimal("0")
    if not stats.total:
        return stats
    loss = Sum("loss_amount", filter=Q(lost_money=True))
    stats.by_type = [
        {"fraud_type_id": r["fraud_type_id"], "name": r["fraud_type__name"],
         "code": r["fraud_type__code"], "n": r["n"], "loss": r["loss"] or Decimal("0")}
        for r in qs.values("fraud_type_id", "fraud_type__name", "fraud_type__code")
        .annotate(n=Count("id"), loss=loss).order_by()]
    stats.by_type.sort(key=_most_first)
    colleges = sorted(({**r, "name": r["college__name"]} for r in qs.values(
        "college_id", "college__name").annotate(n=Count("id"), loss=loss).order_by()),
        key=_most_first)
    students = dict(Affiliation.objects.filter(kind=Affiliation.Kind.STUDENT,
                                               college_id__isnull=False)
                    .values("college_id").annotate(n=Count("id"))
                    .values_list("college_id", "n"))
    for r in colleges:
        count = students.get(r["college_id"], 0)
        stats.by_college.append({
            "college_id": r["college_id"], "name": r["college__name"], "n": r["n"],
            "loss": r["loss"] or Decimal("0"), "students": count,
            "per_1000": round(1000 * r["n"] / count, 1) if count else None})
    months = dict(qs.annotate(month=TruncMonth("occurred_on"))
                  .values("month").annotate(n=Count("id")).order_by("month")
                  .values_list("month", "n"))
    stats.by_month, stats.months_cut = month_axis(months, date_from=date_from, date_to=date_to)
    stats.top_types = [r for r in stats.by_type if r["fraud_type_id"] is not None][:3]
    ranked = [r for r in stats.by_college if r["per_1000"] is not None]
    ranked.sort(key=lambda r: (-r["per_1000"], -r["n"], r["name"] or ""))
    stats.top_colleges = ranked[:3]
    return stats
