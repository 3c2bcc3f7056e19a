"""The report's charts as PNG images (matplotlib, 150 dpi), drawn with the same CJK font the
PDFs embed (:func:`safecampus.core.pdf.cjk_font_path`), so Chinese labels never turn into
boxes.

- :func:`trend_png`: hazards reported (and closed, when given) in the 12 months ending with
  the period;
- :func:`units_png`: open hazards of the top units, horizontal bars;
- :func:`risk_png`: risk points by level in the four colours (red, orange, yellow, blue).

Each returns PNG bytes, or None when there is nothing to draw.
"""

from __future__ import annotations

import functools
import io

import matplotlib

matplotlib.use("Agg")  # no display: draw into memory only

from matplotlib import font_manager  # noqa: E402 - after choosing the backend
from matplotlib.figure import Figure  # noqa: E402

from safecampus.core.pdf import cjk_font_path  # noqa: E402

DPI = 150
#: Four-colour risk map colours (安全风险四色图), as the risk register draws them.
RISK_COLOURS = {"major": "#e03131", "high": "#f76707", "moderate": "#fcc419", "low": "#1c7ed6"}
BLUE, ORANGE = "#1c7ed6", "#e8590c"


@functools.cache
def _font_family() -> str:
    path = str(cjk_font_path())
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def _cjk(draw):
    """Run ``draw`` with the CJK font as the default family (a local rc context, so the
    task's other threads keep their settings)."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context({"font.family": [_font_family(), "DejaVu Sans"],
                                    "axes.unicode_minus": False}):
            return draw(*args, **kwargs)

    return wrapper


def _figure(width_in: float, height_in: float) -> Figure:
    figure = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    figure.set_facecolor("white")
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _style(axes) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dee2e6", linewidth=0.6)
    axes.set_axisbelow(True)


@_cjk
def trend_png(months: list[tuple], *, title: str, reported_label: str,
              closed_label: str) -> bytes | None:
    """``months``: ``(1st of month, reported, closed or None)`` oldest first."""
    if not months:
        return None
    figure = _figure(7.0, 2.8)
    axes = figure.subplots()
    labels = [m.strftime("%Y-%m") for m, _r, _c in months]
    xs = list(range(len(labels)))
    axes.plot(xs, [r for _m, r, _c in months], marker="o", color=BLUE, linewidth=1.8,
              markersize=3.5, label=reported_label)
    if any(c is not None for _m, _r, c in months):
        axes.plot(xs, [c or 0 for _m, _r, c in months], marker="s", color=ORANGE,
                  linewidth=1.8, markersize=3.5, label=closed_label)
    axes.set_title(title, fontsize=11)
    axes.set_xticks(xs, labels)
    axes.tick_params(axis="x", labelrotation=45, labelsize=7)
    axes.tick_params(axis="y", labelsize=8)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylim(bottom=0)
    axes.legend(fontsize=8, frameon=False)
    _style(axes)
    return _png(figure)


@_cjk
def units_png(units: list[tuple[str, int]], *, title: str) -> bytes | None:
    """``units``: ``(unit name, open hazards)``, largest first."""
    if not units or not any(n for _u, n in units):
        return None
    figure = _figure(7.0, 0.6 + 0.32 * len(units))
    axes = figure.subplots()
    names = [name if len(name) <= 14 else name[:13] + "…" for name, _n in units]
    values = [n for _name, n in units]
    bars = axes.barh(names, values, color=BLUE, height=0.6)
    axes.invert_yaxis()
    axes.bar_label(bars, fontsize=8, padding=2)
    axes.set_title(title, fontsize=11)
    axes.tick_params(labelsize=8)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


@_cjk
def risk_png(levels: list[tuple[str, str, int]], *, title: str) -> bytes | None:
    """``levels``: ``(level key, label, count)`` from major to low."""
    if not levels or not any(n for _k, _l, n in levels):
        return None
    figure = _figure(7.0, 2.4)
    axes = figure.subplots()
    bars = axes.bar([label for _k, label, _n in levels], [n for _k, _l, n in levels],
                    color=[RISK_COLOURS.get(key, BLUE) for key, _l, _n in levels], width=0.55)
    axes.bar_label(bars, fontsize=8, padding=2)
    axes.set_title(title, fontsize=11)
    axes.tick_params(labelsize=8)
    axes.yaxis.get_major_locator().set_params(integer=True)
    _style(axes)
    return _png(figure)
