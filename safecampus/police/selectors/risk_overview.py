"""The leadership overview of the risk register and the police cooperation (reads).

Everything is aggregated in SQL (house rule: dashboards never loop over rows in Python):
published points by level × campus, points overdue for review, open and overdue meeting
actions, recent published bulletins and the incident types they report most. "Today" and
"overdue" are local (Asia/Shanghai) days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q

from safecampus.core import clock
from safecampus.core.incidents import IncidentCategory
from safecampus.organisation.models import Campus

from ..models import Bulletin, BulletinRecord, MeetingAction, RiskPoint
from .risk_map import LEVEL_COLOURS, LEVEL_ORDER, legend, map_points_visible_to

OVERDUE_SHOWN = 10
BULLETIN_DAYS = 30
INCIDENT_DAYS = 90
TOP_TYPES = 5


@dataclass
class LevelMatrix:
    """``rows``: one per campus, ``{"campus", "cells": [count per level], "total"}``;
    ``totals``: count per level over all campuses; ``grand_total``; ``levels``: the legend."""

    rows: list[dict]
    totals: list[int]
    grand_total: int
    levels: list[dict]


def level_matrix(user) -> LevelMatrix:
    """Published points ``user`` may see, counted by campus and level (one aggregate query
    and the campus list)."""
    counts: dict[tuple[int, str], int] = {}
    for campus_id, level, n in (map_points_visible_to(user).order_by()
                                .values_list("campus_id", "level")
                                .annotate(n=Count("id")).values_list("campus_id", "level", "n")):
        counts[(campus_id, level)] = n
    rows = []
    totals = [0] * len(LEVEL_ORDER)
    for campus in Campus.objects.all():
        cells = [counts.get((campus.pk, lv.value), 0) for lv in LEVEL_ORDER]
        for i, n in enumerate(cells):
            totals[i] += n
        rows.append({"campus": campus, "cells": [
            {"level": lv.value, "count": n, "colour": LEVEL_COLOURS[lv]}
            for lv, n in zip(LEVEL_ORDER, cells, strict=True)], "total": sum(cells)})
    return LevelMatrix(rows=rows, totals=totals, grand_total=sum(totals),
                       levels=legend(dict(zip([lv.value for lv in LEVEL_ORDER], totals,
                                              strict=True))))


def reviews_overdue(user, *, limit: int = OVERDUE_SHOWN) -> tuple[int, list[RiskPoint]]:
    """(how many, the ``limit`` most overdue) published points whose next review was due
    before today (local)."""
    rows = map_points_visible_to(user).filter(next_review_on__lt=clock.local_today())
    return rows.count(), list(rows.select_related("campus").order_by("next_review_on", "code")
                              [:limit])


def actions_summary(user, *, limit: int = OVERDUE_SHOWN) -> dict:
    """Open meeting actions: ``open`` (count), ``overdue`` (count, due before today local)
    and ``overdue_rows`` (the ``limit`` most overdue, with meeting and owners). The overview
    is for the office and leadership, who see every action."""
    if not user.scope.sees_everything:
        return {"open": 0, "overdue": 0, "overdue_rows": []}
    today = clock.local_today()
    open_rows = MeetingAction.objects.filter(state=MeetingAction.State.OPEN)
    stats = open_rows.aggregate(open=Count("id"),
                                overdue=Count("id", filter=Q(due_on__lt=today)))
    overdue_rows = list(open_rows.filter(due_on__lt=today)
                        .select_related("meeting", "owner_unit", "owner_partner", "owner")
                        .order_by("due_on", "id")[:limit])
    return {"open": stats["open"], "overdue": stats["overdue"], "overdue_rows": overdue_rows}


def bulletin_summary(user) -> dict:
    """``published``: bulletins published in the last 30 days; ``top_types``: the incident
    types most reported in published bulletins' records of the last 90 days
    (``[{"category", "label", "count"}]``, at most five); ``since``: the local date those 90
    days start (for the statistics link). Office and leadership only."""
    now = clock.now()
    since = clock.local_today() - dt.timedelta(days=INCIDENT_DAYS)
    if not user.scope.sees_everything:
        return {"published": 0, "top_types": [], "since": since}
    published = Bulletin.objects.filter(
        state=Bulletin.State.PUBLISHED,
        published_at__gte=now - dt.timedelta(days=BULLETIN_DAYS)).count()
    labels = dict(IncidentCategory.choices)
    top = (BulletinRecord.objects
           .filter(bulletin__state=Bulletin.State.PUBLISHED,
                   occurred_at__gte=now - dt.timedelta(days=INCIDENT_DAYS))
           .order_by().values("category").annotate(n=Count("id")).order_by("-n", "category")
           [:TOP_TYPES])
    return {"published": published, "since": since,
            "top_types": [{"category": r["category"], "label": labels.get(r["category"],
                                                                          r["category"]),
                           "count": r["n"]} for r in top]}


def overview_card(user, *, campus_id: int | None = None) -> dict:
    """The dashboard card's figures for ``user``, over every campus or campus ``campus_id``:
    published points per level (legend), reviews overdue (count), overdue actions (count; on
    one campus, the actions of that campus's meetings and of whole-university meetings,
    which bind every campus) and ``campus_id`` itself; three queries."""
    points = map_points_visible_to(user)
    actions = MeetingAction.objects.filter(state=MeetingAction.State.OPEN)
    if campus_id is not None:
        points = points.filter(campus_id=campus_id)
        actions = actions.filter(Q(meeting__campus_id=campus_id)
                                 | Q(meeting__campus__isnull=True))
    counts = dict(points.order_by().values_list("level")
                  .annotate(n=Count("id")).values_list("level", "n"))
    today = clock.local_today()
    return {
        "levels": legend(counts),
        "total": sum(counts.values()),
        "campus_id": campus_id,
        "reviews_overdue": points.filter(next_review_on__lt=today).count(),
        "actions_overdue": actions.filter(due_on__lt=today).count()
        if user.scope.sees_everything else 0,
    }
