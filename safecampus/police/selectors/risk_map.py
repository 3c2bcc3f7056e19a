"""The four-colour risk map (安全风险四色图), reads: which campuses a user may open, and the
points of one campus as plain rows for drawing.

Only published points with a level appear (drafts and retired points never do), filtered
through :func:`~.risks.risk_points_visible_to`, so a liaison sees the shared points of the
campuses they serve and leadership sees everything. Points come in one query as dictionaries
(``values()``): the map of 2,000 points must render without a query or a model instance per
point.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, FloatField, Q
from django.db.models.functions import Cast

from safecampus.organisation.models import Campus, RiskLevel

from ..models import ControlTier, RiskPoint
from .risks import risk_points_visible_to

#: The levels from the most severe; each with its map colour and control tier (分级管控).
LEVEL_ORDER = [RiskLevel.MAJOR, RiskLevel.HIGH, RiskLevel.MODERATE, RiskLevel.LOW]
LEVEL_COLOURS = {
    RiskLevel.MAJOR: "#d62728",  # 红
    RiskLevel.HIGH: "#f28500",  # 橙
    RiskLevel.MODERATE: "#f2c500",  # 黄
    RiskLevel.LOW: "#1f6fd1",  # 蓝
}
LEVEL_TIERS = {
    RiskLevel.MAJOR: ControlTier.UNIVERSITY,
    RiskLevel.HIGH: ControlTier.UNIT,
    RiskLevel.MODERATE: ControlTier.TEAM,
    RiskLevel.LOW: ControlTier.POST,
}
_RANK = {level.value: i for i, level in enumerate(LEVEL_ORDER)}
POINT_FIELDS = ("pk", "code", "name", "kind", "level")
PDF_FIELDS = (*POINT_FIELDS, "location_text", "building__name", "place__name",
              "responsible_unit__name")


def map_points_visible_to(user):
    """Published points with a level that ``user`` may see (a queryset; nothing evaluated)."""
    return (risk_points_visible_to(user)
            .filter(state=RiskPoint.State.PUBLISHED).exclude(level=""))


@dataclass
class CampusTab:
    campus: Campus
    count: int


def map_campuses(user) -> list[CampusTab]:
    """The campuses ``user`` may open on the map, in the campuses' order, each with how many
    map points they can see there (two queries). The office and leadership get every campus;
    others the campuses they serve and any campus where they see a point."""
    counts = dict(map_points_visible_to(user).order_by().values_list("campus_id")
                  .annotate(n=Count("id")).values_list("campus_id", "n"))
    campuses = Campus.objects.all()
    if not user.scope.sees_everything:
        campuses = campuses.filter(Q(pk__in=list(counts)) | Q(pk__in=user.scope.campus_ids))
    return [CampusTab(campus=c, count=counts.get(c.pk, 0)) for c in campuses]


def default_campus(tabs: list[CampusTab]) -> Campus | None:
    """The first campus with points, else the first campus, else None."""
    for tab in tabs:
        if tab.count:
            return tab.campus
    return tabs[0].campus if tabs else None


@dataclass
class MapData:
    """The points of one campus under the filters.

    ``points``: dicts with ``pk, code, name, kind, level, map_x, map_y`` (floats in %, or None)
    plus ``level_label`` and ``kind_label``, most severe first then by code. ``counts``: level
    → number of points of the kind filter (whatever the level filter, so the legend reads the
    whole campus). ``unplaced``: how many of ``points`` have no map position.
    """

    points: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    unplaced: int = 0

    @property
    def placed(self) -> list[dict]:
        return [p for p in self.points if p["map_x"] is not None and p["map_y"] is not None]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def map_points(user, *, campus_id: int, kind: str = "", level: str = "",
               fields: tuple[str, ...] = POINT_FIELDS) -> MapData:
    """The map of campus ``campus_id`` for ``user`` in one query: points of ``kind`` (any when
    "") and ``level`` (any when ""). ``fields`` may add columns (``PDF_FIELDS``)."""
    rows = map_points_visible_to(user).filter(campus_id=campus_id)
    if kind:
        rows = rows.filter(kind=kind)
    # Labels as plain strings once: a lazy label per point would translate 2,000 times.
    level_labels = {value: str(label) for value, label in RiskLevel.choices}
    kind_labels = {value: str(label) for value, label in RiskPoint.Kind.choices}
    counts = {lv.value: 0 for lv in LEVEL_ORDER}
    points = []
    # Positions as floats straight from the database (no Decimal per point).
    for row in rows.order_by().values(*fields, map_x_f=Cast("map_x", FloatField()),
                                      map_y_f=Cast("map_y", FloatField())):
        counts[row["level"]] = counts.get(row["level"], 0) + 1
        if level and row["level"] != level:
            continue
        row["map_x"] = row.pop("map_x_f")
        row["map_y"] = row.pop("map_y_f")
        row["level_label"] = level_labels.get(row["level"], row["level"])
        row["kind_label"] = kind_labels.get(row["kind"], row["kind"])
        points.append(row)
    points.sort(key=lambda p: (_RANK.get(p["level"], 9), p["code"]))
    unplaced = sum(1 for p in points if p["map_x"] is None or p["map_y"] is None)
    return MapData(points=points, counts=counts, unplaced=unplaced)


def legend(counts: dict[str, int]) -> list[dict]:
    """The four levels, most severe first: ``level``, ``label``, ``colour``, ``tier`` (label)
    and ``count``."""
    labels = dict(RiskLevel.choices)
    tiers = dict(ControlTier.choices)
    return [{"level": lv.value, "label": labels[lv.value], "colour": LEVEL_COLOURS[lv],
             "tier": tiers[LEVEL_TIERS[lv]], "count": counts.get(lv.value, 0)}
            for lv in LEVEL_ORDER]
