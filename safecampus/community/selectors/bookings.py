"""Service requests (reads): the catalogue, the queue, a request's page, the calendar of
booked services and staff, the report per service and the hub's figures.

Who sees which request: the office and leadership all of them; safety contacts and leaders
their units'; the person who booked theirs; staff the ones they are assigned to. Days and
months are Beijing (Asia/Shanghai) days.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Prefetch,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from safecampus.accounts.models import UNIT_ROLES
from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.organisation.models import Unit

from ..models import ServiceAssignment, ServiceItem, ServiceRequest
from ..services.bookings import earliest_by_lead_time, first_free_day, staff_people

State = ServiceRequest.State


# --- catalogue ---------------------------------------------------------------------------------
@dataclass
class CatalogueEntry:
    item: ServiceItem
    earliest: dt.date | None  # the first date bookable today (lead time and free room)


def catalogue(today: dt.date | None = None) -> list[CatalogueEntry]:
    """Active services in order, each with its questions and the earliest date bookable
    ``today`` (local): the lead time, then the first day with room when a daily limit is
    set. One query for the services and their questions, one per service with a limit."""
    today = today or clock.local_today()
    items = ServiceItem.objects.filter(is_active=True).prefetch_related("fields")
    return [CatalogueEntry(item, catalogue_earliest(item, today)) for item in items]


def catalogue_earliest(item: ServiceItem, today: dt.date | None = None) -> dt.date | None:
    """The earliest date ``item`` can be booked for ``today`` (see :func:`catalogue`)."""
    return first_free_day(item, earliest_by_lead_time(item, today or clock.local_today()))


def service_item_for_booking(code: str) -> ServiceItem | None:
    return ServiceItem.objects.filter(code=code, is_active=True).prefetch_related(
        "fields").first()


def units_booked_for(user):
    """The units ``user`` books for (safety contact or leader), by name."""
    ids = [unit_id for unit_id, roles in user.scope.unit_roles.items() if roles & UNIT_ROLES]
    return Unit.objects.filter(pk__in=ids).order_by("name")


# --- the queue ---------------------------------------------------------------------------------
def service_requests_visible_to(user):
    """The requests ``user`` may see (see the module docstring)."""
    rows = ServiceRequest.objects.all()
    if not user.is_authenticated:
        return rows.none()
    if user.scope.sees_everything:
        return rows
    units = [unit_id for unit_id, roles in user.scope.unit_roles.items() if roles & UNIT_ROLES]
    assigned = ServiceAssignment.objects.filter(user=user).values("request_id")
    return rows.filter(Q(unit_id__in=units) | Q(requested_by=user) | Q(pk__in=assigned))


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of ``month`` (any day in it)."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def service_request_list(user, *, state: str = "", item_id: int | None = None,
                         unit_id: int | None = None, month: dt.date | None = None,
                         now: dt.datetime | None = None):
    """The queue: visible requests, those awaiting the office first by SLA due time, then
    the rest newest first. Filters: state, service, unit, service date in ``month``. Each
    row has ``sla_overdue`` (awaiting and past its SLA), with service, unit and booker
    joined (no query per row)."""
    now = now or clock.now()
    rows = service_requests_visible_to(user).select_related("item", "unit", "requested_by",
                                                            "campus")
    if state:
        rows = rows.filter(state=state)
    if item_id:
        rows = rows.filter(item_id=item_id)
    if unit_id:
        rows = rows.filter(unit_id=unit_id)
    if month:
        first, last = month_bounds(month)
        rows = rows.filter(service_date__range=(first, last))
    waiting = Q(state=State.SUBMITTED)
    return rows.annotate(
        waiting_rank=Case(When(waiting, then=Value(0)), default=Value(1),
                          output_field=IntegerField()),
        sla_overdue=Case(When(waiting & Q(sla_due_at__lt=now), then=Value(True)),
                         default=Value(False), output_field=BooleanField()),
    ).order_by("waiting_rank", Case(When(waiting, then=F("sla_due_at"))), "-submitted_at",
               "-id")


def service_request_detail(pk: int) -> ServiceRequest | None:
    """One request with what its page shows joined; its assignments (lead first) with
    their people prefetched."""
    return (ServiceRequest.objects.select_related(
        "item", "unit", "campus", "place", "requested_by", "decided_by", "rated_by")
        .prefetch_related(Prefetch("assignments",
                                   queryset=ServiceAssignment.objects.select_related("user")))
        .filter(pk=pk).first())


def service_request_timeline(request: ServiceRequest):
    """The request's timeline, newest first."""
    return activity_for(request).order_by("-occurred_at", "-id")


def _answer_text(value) -> str:
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def answers_shown(request: ServiceRequest) -> list[tuple[str, str]]:
    """``(question label, answer as text)`` in the form's order; questions removed since
    show by code."""
    labels = {f.code: f.label for f in request.item.fields.all()}
    order = [f.code for f in request.item.fields.all()]
    codes = [c for c in order if c in request.answers] + [
        c for c in request.answers if c not in labels]
    return [(labels.get(code, code), _answer_text(request.answers[code])) for code in codes]


# --- calendar ----------------------------------------------------------------------------------
@dataclass
class CalendarDay:
    day: dt.date
    in_month: bool
    bookings: list = field(default_factory=list)


@dataclass
class CalendarMonth:
    month: dt.date  # the first day
    previous: dt.date
    next: dt.date
    weeks: list[list[CalendarDay]]
    booked_days: list[CalendarDay]  # days of the month with bookings, in order
    count: int


def calendar_month(month: dt.date, *, viewer, staff_id: int | None = None) -> CalendarMonth:
    """Accepted and delivered bookings whose scheduled start falls in ``month`` (Beijing
    days), optionally only those ``staff_id`` is assigned to, laid out in weeks from Monday
    (with the neighbouring months' days to fill them) and as a list of booked days. A
    ``viewer`` who does not see everything (a guard) gets only their own assignments,
    whatever ``staff_id`` says. Two queries: the bookings (service and unit joined) and
    their staff."""
    if not viewer.scope.sees_everything:
        staff_id = viewer.pk
    first, last = month_bounds(month)
    rows = (ServiceRequest.objects.filter(
        state__in=(State.ACCEPTED, State.DELIVERED),
        scheduled_start__gte=clock.start_of_local_day(first),
        scheduled_start__lt=clock.start_of_local_day(last + dt.timedelta(days=1)))
        .select_related("item", "unit", "place")
        .prefetch_related(Prefetch("assignments",
                                   queryset=ServiceAssignment.objects.select_related("user")))
        .order_by("scheduled_start", "id"))
    if staff_id:
        rows = rows.filter(pk__in=ServiceAssignment.objects.filter(
            user_id=staff_id).values("request_id"))
    by_day: dict[dt.date, list] = {}
    zone = clock.local_zone()
    count = 0
    for row in rows:
        row.local_start = row.scheduled_start.astimezone(zone)
        row.local_end = row.scheduled_end.astimezone(zone) if row.scheduled_end else None
        by_day.setdefault(row.local_start.date(), []).append(row)
        count += 1
    start = first - dt.timedelta(days=first.weekday())
    end = last + dt.timedelta(days=6 - last.weekday())
    weeks, week = [], []
    day = start
    while day <= end:
        week.append(CalendarDay(day, day.month == first.month, by_day.get(day, [])))
        if len(week) == 7:
            weeks.append(week)
            week = []
        day += dt.timedelta(days=1)
    booked = [d for w in weeks for d in w if d.in_month and d.bookings]
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    return CalendarMonth(month=first, previous=previous,
                         next=last + dt.timedelta(days=1), weeks=weeks, booked_days=booked,
                         count=count)


def staff_choices():
    """Who the calendar can be filtered by: the people who can be assigned."""
    return staff_people()


# --- report ------------------------------------------------------------------------------------
@dataclass
class ReportRow:
    """One service's figures for a period (or the totals, ``item`` None)."""

    item: ServiceItem | None
    total: int = 0
    submitted: int = 0
    accepted: int = 0
    declined: int = 0
    delivered: int = 0
    cancelled: int = 0
    decided: int = 0
    sla_met: int = 0
    on_time: int = 0
    rating_count: int = 0
    rating_avg: float | None = None
    median_hours: float | None = None

    @property
    def sla_share(self) -> float | None:
        """Share of decisions made within the SLA (0–1), None without decisions."""
        return self.sla_met / self.decided if self.decided else None

    @property
    def on_time_share(self) -> float | None:
        """Share of delivered services delivered on the booked date (0–1)."""
        return self.on_time / self.delivered if self.delivered else None


_REPORT_COUNTS = {
    "total": Count("id"),
    "submitted": Count("id", filter=Q(state=State.SUBMITTED)),
    "accepted": Count("id", filter=Q(state=State.ACCEPTED)),
    "declined": Count("id", filter=Q(state=State.DECLINED)),
    "delivered": Count("id", filter=Q(state=State.DELIVERED)),
    "cancelled": Count("id", filter=Q(state=State.CANCELLED)),
    "decided": Count("id", filter=Q(decided_at__isnull=False)),
    "sla_met": Count("id", filter=Q(sla_met=True)),
    "on_time": Count("id", filter=Q(state=State.DELIVERED, delivered_on_time=True)),
    "rating_count": Count("rating"),
    "rating_avg": Avg("rating"),
}


def _period(date_from: dt.date, date_to: dt.date):
    """Requests booked on a local day from ``date_from`` to ``date_to`` (inclusive)."""
    return ServiceRequest.objects.filter(
        submitted_at__gte=clock.start_of_local_day(date_from),
        submitted_at__lt=clock.start_of_local_day(date_to + dt.timedelta(days=1)))


def _medians(rows, *, by_item: bool) -> dict:
    """Median hours from booking to decision, per service (or ``{None: …}``), computed in
    SQL: the decided requests are numbered by their time to decision within each service
    and only the middle one or two rows are read."""
    wait = ExpressionWrapper(F("decided_at") - F("submitted_at"), output_field=DurationField())
    partition = [F("item_id")] if by_item else []
    decided = rows.filter(decided_at__isnull=False).annotate(wait=wait).annotate(
        position=Window(RowNumber(), partition_by=partition, order_by=[wait.asc(),
                                                                       F("id").asc()]),
        size=Window(Count("id"), partition_by=partition))
    middle = decided.filter(
        position__gte=(F("size") + 1) / 2, position__lte=(F("size") + 2) / 2)
    found: dict = {}
    for item_id, waited in middle.values_list("item_id", "wait"):
        found.setdefault(item_id if by_item else None, []).append(
            waited.total_seconds() / 3600)
    return {key: sum(values) / len(values) for key, values in found.items()}


def service_report(date_from: dt.date, date_to: dt.date) -> tuple[list[ReportRow], ReportRow]:
    """Per service (catalogue order, every service that had requests or is active): requests
    booked in the period by state, decisions and those within the SLA, median hours to a
    decision, delivered on the booked date, ratings (count and average). Returns ``(rows,
    totals)``. Counts and averages in one grouped query; medians in one query each for the
    services and the totals."""
    rows = _period(date_from, date_to)
    figures = {r["item_id"]: r for r in rows.values("item_id").annotate(**_REPORT_COUNTS)
               .order_by()}
    medians = _medians(rows, by_item=True)
    items = ServiceItem.objects.filter(Q(is_active=True) | Q(pk__in=list(figures)))
    out = []
    for item in items:
        data = figures.get(item.pk, {})
        row = ReportRow(item=item, **{k: data.get(k) or 0 for k in _REPORT_COUNTS
                                      if k != "rating_avg"})
        row.rating_avg = data.get("rating_avg")
        row.median_hours = medians.get(item.pk)
        out.append(row)
    totals_data = rows.aggregate(**_REPORT_COUNTS)
    totals = ReportRow(item=None, **{k: totals_data.get(k) or 0 for k in _REPORT_COUNTS
                                     if k != "rating_avg"})
    totals.rating_avg = totals_data.get("rating_avg")
    totals.median_hours = _medians(rows, by_item=False).get(None)
    return out, totals


# --- the hub -----------------------------------------------------------------------------------
def hub_figures(user, now: dt.datetime | None = None) -> dict:
    """The hub card's figures, one query: for the office, requests awaiting a decision and
    those past their SLA; for units, their open bookings (awaiting or accepted)."""
    now = now or clock.now()
    if user.scope.is_office or user.scope.is_leadership:
        return ServiceRequest.objects.aggregate(
            waiting=Count("id", filter=Q(state=State.SUBMITTED)),
            overdue=Count("id", filter=Q(state=State.SUBMITTED, sla_due_at__lt=now)))
    return service_requests_visible_to(user).aggregate(
        open=Count("id", filter=Q(state__in=(State.SUBMITTED, State.ACCEPTED))),
        unrated=Count("id", filter=Q(state=State.DELIVERED, rating__isnull=True)))
