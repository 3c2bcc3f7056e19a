"""The cockpit's campus map layers (reads only): hazards, incidents or traffic violations of
one campus, counted per place in SQL, positioned on the campus map image.

Positions are the place's ``map_x``/``map_y`` (percent of the map image's width and height,
from its top-left corner), else its building's. Each layer starts from the module's own
visibility selector, so the map shows what the person's list pages show:

* ``hazards``: hazards open now (``hazards.models.OPEN_STATES``);
* ``incidents``: incidents that occurred in the period (local days);
* ``violations``: traffic violations seen in the period.
"""

import html
from dataclasses import dataclass, field

from django.db.models import Count, F
from django.db.models.functions import Coalesce
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from safecampus.hazards.models import OPEN_STATES
from safecampus.hazards.selectors import hazard_list_visible_to
from safecampus.patrols.selectors.incidents import incident_search
from safecampus.traffic.selectors.violations import violation_search

from .periods import Period

LAYERS = ("hazards", "incidents", "violations")
LAYER_COLOURS = {"hazards": "#d9342b", "incidents": "#6f42c1", "violations": "#f08c00"}


@dataclass
class MapLayerData:
    """``spots``: ``[{"x", "y" (percent), "n", "name"}]`` placed, most first; ``total``:
    all the layer's records on the campus; ``unplaced``: those without a position."""

    layer: str
    spots: list[dict] = field(default_factory=list)
    total: int = 0
    unplaced: int = 0

    @property
    def placed(self) -> int:
        return self.total - self.unplaced


def _rows(viewer, layer: str, campus_id: int, period: Period):
    if layer == "hazards":
        return hazard_list_visible_to(viewer).filter(campus_id=campus_id,
                                                     status__in=OPEN_STATES), True
    if layer == "incidents":
        return incident_search(viewer, date_from=period.first, date_to=period.last,
                               campus_id=campus_id), False
    return violation_search(viewer, date_from=period.first, date_to=period.last,
                            campus_id=campus_id), False


def map_layer(viewer, *, campus_id: int, layer: str, period: Period) -> MapLayerData:
    """The records of ``layer`` on campus ``campus_id`` (see the module docstring) grouped by
    position: one grouped query. Raises ValueError for an unknown layer."""
    if layer not in LAYERS:
        raise ValueError(layer)
    rows, has_building = _rows(viewer, layer, campus_id, period)
    if has_building:  # a hazard may name only its building
        x = Coalesce("place__map_x", "place__building__map_x", "building__map_x")
        y = Coalesce("place__map_y", "place__building__map_y", "building__map_y")
        name = Coalesce("place__name", "building__name")
    else:
        x = Coalesce("place__map_x", "place__building__map_x")
        y = Coalesce("place__map_y", "place__building__map_y")
        name = F("place__name")
    groups = (rows.order_by().annotate(mx=x, my=y, spot=name).values("mx", "my", "spot")
              .annotate(n=Count("pk")).order_by("-n"))
    data = MapLayerData(layer=layer)
    names: dict[tuple, dict] = {}
    for g in groups:
        data.total += g["n"]
        if g["mx"] is None or g["my"] is None:
            data.unplaced += g["n"]
            continue
        key = (float(g["mx"]), float(g["my"]))
        spot = names.get(key)
        if spot is None:
            spot = names[key] = {"x": key[0], "y": key[1], "n": 0, "name": g["spot"] or ""}
            data.spots.append(spot)
        spot["n"] += g["n"]
    data.spots.sort(key=lambda s: -s["n"])
    return data


def layer_svg(*, data: MapLayerData, size: tuple[int, int], image_url: str, mode: str,
              label: str) -> SafeString:
    """An inline SVG of the map image (``size`` its pixels) with the layer drawn on it.
    ``points``: one dot per position with its count; ``heat``: translucent circles whose
    radius grows with the square root of the count and whose opacity with its share of the
    largest (a simple density). Every text is escaped."""
    width, height = size
    side = max(width, height)
    colour = LAYER_COLOURS.get(data.layer, "#d9342b")
    largest = max((s["n"] for s in data.spots), default=1)
    parts = [f'<svg class="ck-map-svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{html.escape(label)}" xmlns="http://www.w3.org/2000/svg">',
             f'<image href="{html.escape(image_url)}" x="0" y="0" width="{width}" '
             f'height="{height}"/>']
    for spot in reversed(data.spots):  # the largest on top
        cx, cy = round(spot["x"] * width / 100, 1), round(spot["y"] * height / 100, 1)
        title = html.escape(_("%(place)s: %(count)d") % {"place": spot["name"] or "—",
                                                         "count": spot["n"]}, quote=False)
        if mode == "heat":
            r = round(side * (0.02 + 0.05 * (spot["n"] / largest) ** 0.5), 1)
            opacity = round(0.25 + 0.5 * spot["n"] / largest, 2)
            parts.append(f'<circle class="ck-heat" cx="{cx}" cy="{cy}" r="{r}" '
                         f'fill="{colour}" fill-opacity="{opacity}"><title>{title}</title>'
                         "</circle>")
        else:
            r = round(side * 0.012, 1)
            parts.append(f'<g class="ck-point"><title>{title}</title><circle cx="{cx}" '
                         f'cy="{cy}" r="{r}" fill="{colour}" stroke="#fff" '
                         f'stroke-width="{round(r / 4, 1)}"/>')
            if spot["n"] > 1:
                parts.append(f'<text x="{cx}" y="{cy}" dy="0.35em" text-anchor="middle" '
                             f'font-size="{round(r * 1.2, 1)}" fill="#fff">{spot["n"]}</text>')
            parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
