"""Safety work reports, reads: the lists people may see, one report, the schedules, and the
figures a report is written from (the cockpit's, in the whole-office view)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from safecampus.core import clock
from safecampus.core.forms import id_or_none
from safecampus.dashboards.periods import Period
from safecampus.organisation.models import Campus

from .models import ReportKind, ReportSchedule, SafetyReport


@dataclass(frozen=True)
class ReportFilters:
    """The list's filters: ``kind`` (month/quarter/custom), ``campus`` (an id, or ``"all"``
    for the whole university's reports), ``state``; empty means any."""

    kind: str = ""
    campus: str = ""
    state: str = ""

    @classmethod
    def from_query(cls, data) -> ReportFilters:
        kind = data.get("kind") or ""
        state = data.get("state") or ""
        campus = data.get("campus") or ""
        return cls(kind=kind if kind in ReportKind.values else "",
                   campus=campus if campus == "all" or id_or_none(campus) else "",
                   state=state if state in SafetyReport.State.values else "")


def report_visibility_q(user) -> Q:
    """The SQL form of ``reports.view_report``: nothing for people who may not read reports,
    their campuses' reports for campus-scoped people, else everything."""
    if not user.has_perm("reports.view_report"):
        return Q(pk__in=[])
    campus_ids = user.scope.campus_ids
    return Q(campus_id__in=campus_ids) if campus_ids else Q()


def reports_visible_to(user, filters: ReportFilters | None = None) -> QuerySet[SafetyReport]:
    """Reports ``user`` may read, newest first, with campus, schedule and requester joined
    (the list costs the same queries whatever its length)."""
    filters = filters or ReportFilters()
    qs = SafetyReport.objects.filter(report_visibility_q(user)).select_related(
        "campus", "schedule", "requested_by")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.campus == "all":
        qs = qs.filter(campus__isnull=True)
    elif filters.campus:
        qs = qs.filter(campus_id=id_or_none(filters.campus))
    return qs.order_by("-created_at", "-id")


def report_get(user, pk) -> SafetyReport | None:
    """Report ``pk`` if ``user`` may read it, else None."""
    pk = id_or_none(pk)
    if pk is None:
        return None
    report = SafetyReport.objects.select_related("campus", "schedule", "requested_by").filter(
        pk=pk).first()
    if report is None or not user.has_perm("reports.view_report", report):
        return None
    return report


def campuses_for(user) -> QuerySet[Campus]:
    """The campuses ``user`` may ask for reports of (their own when campus-scoped)."""
    qs = Campus.objects.order_by("sort_order", "id")
    if user.scope.campus_ids:
        qs = qs.filter(pk__in=user.scope.campus_ids)
    return qs


def schedules_all() -> QuerySet[ReportSchedule]:
    """Every schedule, active first, with campus and the number of recipients."""
    return ReportSchedule.objects.select_related("campus").annotate(
        recipient_total=Count("recipients", distinct=True)).order_by("-active", "name", "id")


def schedule_get(pk) -> ReportSchedule | None:
    pk = id_or_none(pk)
    return ReportSchedule.objects.filter(pk=pk).first() if pk else None


# --- what a report is written from ------------------------------------------------------------
def hazards_closed_by_month(*, months: list[dt.date], campus_id: int | None) -> dict:
    """Hazards closed (verified or fixed on the spot) in each local month starting on a day
    of ``months`` (1st of the month), whole-office view, one aggregate query:
    ``{1st of month: n}``."""
    from safecampus.dashboards.cockpit import SystemViewer
    from safecampus.hazards.models import DONE_STATES
    from safecampus.hazards.selectors import hazard_list_visible_to

    if not months:
        return {}
    visible = hazard_list_visible_to(SystemViewer()).order_by()
    if campus_id:
        visible = visible.filter(campus_id=campus_id)
    counts = {}
    for i, first in enumerate(months):
        following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        counts[f"m{i}"] = Count("pk", filter=Q(
            closed_at__gte=clock.start_of_local_day(first),
            closed_at__lt=clock.start_of_local_day(following)))
    row = visible.filter(status__in=DONE_STATES,
                         closed_at__gte=clock.start_of_local_day(months[0])).aggregate(**counts)
    return {first: row[f"m{i}"] for i, first in enumerate(months)}


def report_figures(*, period: Period, campus_id: int | None) -> dict:
    """What a report of ``period`` for ``campus_id`` (None: the university) is written from,
    in the whole-office view (``user=None``) and computed now (no cache):
    ``{"figures": cockpit_figures(...), "tables": cockpit_tables(...), "closed": {1st of
    month: hazards closed}}`` for the figures' 12 trend months."""
    from safecampus.dashboards.cockpit import cockpit_figures, cockpit_tables

    figures = cockpit_figures(user=None, period=period, campus_id=campus_id, max_age=0)
    tables = cockpit_tables(user=None, period=period, campus_id=campus_id)
    reported = (figures["metrics"].get("hazards_reported") or {}).get("trend") or []
    closed = hazards_closed_by_month(months=[month for month, _n in reported],
                                     campus_id=campus_id)
    return {"figures": figures, "tables": tables, "closed": closed}


def report_problem_counts(*, failed_since: dt.datetime, now: dt.datetime | None = None) -> dict:
    """For the operations page: ``{"failed": n, "stuck": n}``. ``failed``: reports created
    since ``failed_since`` (aware) whose generation failed and was not retried; ``stuck``:
    queued or running reports without a sign of life (``heartbeat_at``) for longer than
    ``SAFECAMPUS["REPORT_STUCK_MINUTES"]`` — the periodic sweep marks those failed, so any
    left means the sweep is not running. One aggregate query."""
    from django.conf import settings

    minutes = int(settings.SAFECAMPUS.get("REPORT_STUCK_MINUTES", 30))
    silent_since = (now or clock.now()) - dt.timedelta(minutes=minutes)
    State = SafetyReport.State
    return SafetyReport.objects.aggregate(
        failed=Count("id", filter=Q(state=State.FAILED, created_at__gte=failed_since)),
        stuck=Count("id", filter=Q(state__in=[State.QUEUED, State.RUNNING],
                                   heartbeat_at__lt=silent_since)))
