"""Drawing the four-colour risk map (安全风险四色图): the inline SVG of the map page and the
printable A3/A4 landscape PDF.

Both are built for 2,000 points: the SVG is one string joined in Python (no template loop,
no query per point) and the PDF draws every point onto one copy of the campus map with
Pillow, so WeasyPrint lays out one image instead of thousands of elements. Positions are
percentages of the image from its top-left corner (``map_x``, ``map_y``).

The PDF is a Chinese office document (like the rectification notice): its fixed texts are
Chinese and it is rendered under ``settings.LANGUAGE_CODE`` whatever the reader's language.
"""

from __future__ import annotations

import base64
import html
import io

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from PIL import Image, ImageDraw, ImageFont

from safecampus.core import clock
from safecampus.core.pdf import render_pdf
from safecampus.organisation.models import RiskLevel

from .selectors.risk_map import LEVEL_COLOURS, LEVEL_ORDER, LEVEL_TIERS, MapData

#: Papers of the PDF: WeasyPrint page size and the room inside the margins (width, height in
#: mm) left for the map and its legend under the title.
PAPERS = {"A3": ("A3 landscape", (396.0, 258.0)), "A4": ("A4 landscape", (273.0, 172.0))}
#: The legend beside the map takes this width (mm); under the map, this height.
SIDE_MM = 82.0
BELOW_MM = 40.0
#: The long side of the map image drawn into the PDF, in pixels (about 150 dpi on A3).
PDF_MAP_SIDE_PX = 2400
#: A point's radius as a share of the map's long side: the same size on any map, whatever its
#: pixels (a 1,000 px and a 4,000 px map of a campus look alike).
POINT_RADIUS = 0.006
#: The invisible circle that takes a tap or a click, as a multiple of the point's radius.
HIT_RADIUS = 1.6
#: The height of a point's number on the PDF map as a multiple of the point's radius.
NUMBER_SIZE = 1.9
#: Control tiers as printed (分级管控), for the legend of the Chinese PDF.
TIER_ZH = {"university": "学校级", "unit": "学院（部门）级", "team": "科室（实验室、班组）级",
           "post": "岗位级"}
LEVEL_ZH = {"major": "重大风险", "high": "较大风险", "moderate": "一般风险", "low": "低风险"}
COLOUR_ZH = {"major": "红", "high": "橙", "moderate": "黄", "low": "蓝"}
_SENTINEL = 987654321


def point_url_pattern() -> str | None:
    """The URL of a risk point's page with ``{pk}`` for its id, or None when the register's
    page (``police:risk_detail``) is not installed."""
    try:
        return reverse("police:risk_detail", args=[_SENTINEL]).replace(str(_SENTINEL), "{pk}")
    except NoReverseMatch:
        return None


def _radius(width: int, height: int) -> float:
    """A point's radius in the image's pixels (its viewBox units)."""
    return max(0.1, round(max(width, height) * POINT_RADIUS, 1))


def map_svg(*, data: MapData, size: tuple[int, int], image_url: str, label: str) -> SafeString:
    """The inline SVG of the map page: ``viewBox`` is the image's pixel ``size``; the map
    image, then the placed points (the least severe first so red stays on top), each a link
    to the point's page with a ``<title>`` naming code, name and level. A point is two
    circles: the visible one (radius :data:`POINT_RADIUS` of the long side, so it keeps its
    size relative to the map) and an invisible ``rm-hit`` one, :data:`HIT_RADIUS` times as
    large, that takes the tap; ``risk_map.js`` widens the hit circles to a finger's size in
    screen pixels whatever the map's scale (``data-hit-r`` is their radius without it).
    ``label`` is the SVG's accessible name."""
    width, height = size
    r = _radius(width, height)
    hit = round(r * HIT_RADIUS, 1)
    pattern = point_url_pattern()
    by_level: dict[str, list[str]] = {lv.value: [] for lv in LEVEL_ORDER}
    for p in data.placed:
        cx = round(p["map_x"] * width / 100, 1)
        cy = round(p["map_y"] * height / 100, 1)
        title = html.escape(f"{p['code']} {p['name']} · {p['level_label']}", quote=False)
        shapes = (f"<title>{title}</title>"
                  f'<circle class="rm-hit" cx="{cx}" cy="{cy}" r="{hit}"/>'
                  f'<circle cx="{cx}" cy="{cy}" r="{r}"/>')
        if pattern:
            by_level.setdefault(p["level"], []).append(
                f'<a href="{pattern.format(pk=p["pk"])}">{shapes}</a>')
        else:
            by_level.setdefault(p["level"], []).append(f"<g>{shapes}</g>")
    parts = [f'<svg class="rm-svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{html.escape(label)}" data-hit-r="{hit}" '
             'xmlns="http://www.w3.org/2000/svg">',
             f'<image href="{html.escape(image_url)}" x="0" y="0" width="{width}" '
             f'height="{height}"/>']
    stroke = round(r / 3, 2)
    for level in reversed(LEVEL_ORDER):
        circles = by_level.get(level.value)
        if circles:
            parts.append(f'<g class="rm-points rm-{level.value}" fill="{LEVEL_COLOURS[level]}" '
                         f'stroke="#ffffff" stroke-width="{stroke}">')
            parts.extend(circles)
            parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def map_jpeg(campus, data: MapData, *, numbers: dict[int, int] | None = None,
             side: int = PDF_MAP_SIDE_PX) -> tuple[bytes, tuple[int, int]] | None:
    """The campus map scaled to ``side`` pixels on its long side with the placed points
    drawn on it, and each point whose id is in ``numbers`` labelled with its number (the row
    of the PDF's table): ``(JPEG bytes, (width, height))``, or None when the campus has no
    readable map image."""
    if not campus.map_image:
        return None
    try:
        with campus.map_image.open("rb") as handle, Image.open(handle) as source:
            image = source.convert("RGB")
    except (OSError, ValueError):
        return None
    scale = side / max(image.size)
    if abs(scale - 1) > 0.05:
        image = image.resize((round(image.width * scale), round(image.height * scale)),
                             Image.Resampling.BILINEAR)
    width, height = image.size
    r = _radius(width, height)
    outline = max(1, round(r / 3))
    draw = ImageDraw.Draw(image)
    placed = data.placed
    for level in reversed(LEVEL_ORDER):
        colour = LEVEL_COLOURS[level]
        for p in placed:
            if p["level"] != level.value:
                continue
            x, y = p["map_x"] * width / 100, p["map_y"] * height / 100
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour, outline="#ffffff",
                         width=outline)
    if numbers:
        # Numbers last, beside their point (up and to the right), dark on a white halo so
        # they read on any map and over other points.
        font = ImageFont.load_default(size=max(8, round(r * NUMBER_SIZE)))
        halo = max(2, round(r / 4))
        for p in placed:
            number = numbers.get(p["pk"])
            if number is None:
                continue
            x, y = p["map_x"] * width / 100, p["map_y"] * height / 100
            draw.text((x + r * 0.8, y - r * 0.8), str(number), fill="#111111", font=font,
                      anchor="ld", stroke_width=halo, stroke_fill="#ffffff")
    buffer = io.BytesIO()
    # JPEG: WeasyPrint embeds it as it is, where a PNG would be decoded and compressed again.
    image.save(buffer, format="JPEG", quality=88)
    return buffer.getvalue(), (width, height)


def map_box(paper: str, size: tuple[int, int] | None) -> dict:
    """Where the map goes on the page: ``{"layout": "side" | "below", "width", "height"}``
    (mm). The legend goes beside the map or under it, whichever lets a map of ``size``
    pixels be printed larger; the map then fills its room (one side touches the room's
    edge). Without a map: the legend beside an empty frame."""
    room_w, room_h = PAPERS.get(paper, PAPERS["A3"])[1]
    if not size:
        return {"layout": "side", "width": room_w - SIDE_MM, "height": 60.0}
    width, height = size
    side = min((room_w - SIDE_MM) / width, room_h / height)
    below = min(room_w / width, (room_h - BELOW_MM) / height)
    scale = max(side, below)
    return {"layout": "side" if side >= below else "below",
            "width": round(width * scale, 1), "height": round(height * scale, 1)}


def _where(point: dict) -> str:
    """A point's location as printed: building, place and the location text, each once."""
    parts: list[str] = []
    for key in ("building__name", "place__name", "location_text"):
        text = (point.get(key) or "").strip()
        if text and not any(text in part for part in parts):
            parts.append(text)
    return " ".join(parts)


def risk_map_pdf_bytes(*, campus, data: MapData, paper: str = "A3", kind_label: str = "",
                       level_label: str = "") -> bytes:
    """One landscape page (A3 or A4) titled university + campus + 安全风险四色图 + date: the map
    with the coloured points, the red and orange ones numbered, scaled to fill the page, and
    the legend (four levels, their counts and control tiers) beside or under it; then a table
    of the red and orange points (number, code and name, level, location and responsible
    unit) whose numbers are those on the map. ``data`` must come from
    :func:`~.selectors.risk_map.map_points` with ``PDF_FIELDS``; the caller checked that the
    reader may see the map. ``kind_label``/``level_label`` name the filters when set."""
    page_size = PAPERS.get(paper, PAPERS["A3"])[0]
    severe = [dict(p, level_zh=LEVEL_ZH[p["level"]], where=_where(p), number=n)
              for n, p in enumerate((p for p in data.points
                                     if p["level"] in (RiskLevel.MAJOR, RiskLevel.HIGH)),
                                    start=1)]
    drawn = map_jpeg(campus, data, numbers={p["pk"]: p["number"] for p in severe})
    jpeg, size = drawn if drawn else (None, None)
    legend = [{"level": lv.value, "name": LEVEL_ZH[lv.value], "colour_name": COLOUR_ZH[lv.value],
               "colour": LEVEL_COLOURS[lv], "count": data.counts.get(lv.value, 0),
               "tier": TIER_ZH[LEVEL_TIERS[lv].value]} for lv in LEVEL_ORDER]
    with translation.override(settings.LANGUAGE_CODE):
        return render_pdf("police/risk_map/pdf.html", {
            "campus": campus, "SITE": settings.SAFECAMPUS, "today": clock.local_today(),
            "page_size": page_size, "paper": paper, "box": map_box(paper, size),
            "map_uri": ("data:image/jpeg;base64," + base64.b64encode(jpeg).decode())
            if jpeg else "",
            "legend": legend, "severe": severe, "total": len(data.points),
            "unplaced": data.unplaced, "kind_label": kind_label, "level_label": level_label})
