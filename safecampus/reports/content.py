"""What a safety work report says, computed once and written twice (PDF and Word).

:func:`report_content` reads the cockpit's figures and tables for the period and the campus
in the system scope (``user=None``: everything the office sees) and turns them into a
:class:`ReportContent`: the title, the summary paragraph (本期概况), one table per section
(本期 / 上期 / 变化), the overdue and major hazard lists, incidents by type and the closing
work points (下期工作重点). Texts are produced in the active language; the documents are
rendered under ``settings.LANGUAGE_CODE`` (Chinese), like every stored office document.

An empty section (every figure 0 or missing) says 「本期无相关记录」 instead of a table; a
report whose every section is empty is an *empty* report (``is_empty``), still written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from safecampus.dashboards.periods import Period, PeriodKind

#: How many overdue hazards, major hazards and units the documents list.
OVERDUE_ROWS = 20
MAJOR_ROWS = 20
UNIT_ROWS = 10


def msg_no_records() -> str:
    return _("No records in this period.")


@dataclass
class Row:
    """One metric as printed: label, this period, previous period, change (texts)."""

    key: str
    label: str
    value: str
    previous: str
    change: str


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row]
    empty: bool


@dataclass
class Table:
    """A list printed as a table: ``headers`` and ``rows`` (texts), or ``empty``."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    #: A line under the title, e.g. that the list is cut (「（共 66 项，列出逾期最久的 20 项）」).
    note: str = ""
    #: Which list (``overdue``, ``major``, ``units``, ``incidents``): the documents size the
    #: columns by it.
    key: str = ""

    @property
    def empty(self) -> bool:
        return not self.rows


@dataclass
class ReportContent:
    title: str
    university: str
    office: str
    scope_name: str
    period: Period
    period_label: str
    period_text: str
    summary: str
    sections: list[Section]
    tables: list[Table]
    outlook_title: str
    outlook: list[str]
    is_empty: bool
    #: Chart data: ``trend`` [(1st of month, reported, closed-or-None)], ``units``
    #: [(unit name, open hazards)], ``risk`` [(level key, label, count)].
    trend: list[tuple[dt.date, float, float | None]] = field(default_factory=list)
    units: list[tuple[str, int]] = field(default_factory=list)
    risk: list[tuple[str, str, int]] = field(default_factory=list)
    #: The figures as read (metric key → value), for tests and the page.
    values: dict = field(default_factory=dict)


# --- texts -----------------------------------------------------------------------------------
def period_label(period: Period) -> str:
    """The period as a report title says it: 2026年11月 / 2026年第四季度 / 2026年11月1日至15日."""
    if period.kind == PeriodKind.MONTH:
        return pgettext("report period", "%(month)s %(year)d") % {
            "year": period.first.year, "month": _month_name(period.first.month)}
    if period.kind == PeriodKind.QUARTER:
        return pgettext("report period", "Q%(quarter)d %(year)d") % {
            "year": period.first.year, "quarter": (period.first.month - 1) // 3 + 1}
    return day_range(period.first, period.last)


def day_range(first: dt.date, last: dt.date) -> str:
    """``first`` to ``last`` as full dates (2026年11月1日至2026年11月30日)."""
    return pgettext("report period", "%(first)s to %(last)s") % {
        "first": long_date(first), "last": long_date(last)}


def long_date(day: dt.date) -> str:
    return pgettext("report date", "%(day)d %(month)s %(year)d") % {
        "day": day.day, "month": _month_name(day.month), "year": day.year}


def _month_name(month: int) -> str:
    names = [pgettext("report month", "January"), pgettext("report month", "February"),
             pgettext("report month", "March"), pgettext("report month", "April"),
             pgettext("report month", "May"), pgettext("report month", "June"),
             pgettext("report month", "July"), pgettext("report month", "August"),
             pgettext("report month", "September"), pgettext("report month", "October"),
             pgettext("report month", "November"), pgettext("report month", "December")]
    return names[month - 1]


def kind_title(kind: str) -> str:
    """安全工作月报 / 安全工作季报 / 安全工作报告."""
    if kind == PeriodKind.MONTH:
        return _("Monthly safety work report")
    if kind == PeriodKind.QUARTER:
        return _("Quarterly safety work report")
    return _("Safety work report")


def report_title(*, kind: str, scope_name: str, period: Period) -> str:
    """「西部交通大学 北校区 安全工作月报（2026年11月）」; ``scope_name`` empty for the whole
    university."""
    university = settings.SAFECAMPUS["UNIVERSITY_NAME"]
    if scope_name:
        return _("%(university)s %(campus)s %(report)s (%(period)s)") % {
            "university": university, "campus": scope_name, "report": kind_title(kind),
            "period": period_label(period)}
    return _("%(university)s %(report)s (%(period)s)") % {
        "university": university, "report": kind_title(kind), "period": period_label(period)}


def _this_word(kind: str) -> str:
    if kind == PeriodKind.MONTH:
        return pgettext("report", "This month")
    if kind == PeriodKind.QUARTER:
        return pgettext("report", "This quarter")
    return pgettext("report", "This period")


def _previous_word(kind: str) -> str:
    if kind == PeriodKind.MONTH:
        return pgettext("report", "the previous month")
    if kind == PeriodKind.QUARTER:
        return pgettext("report", "the previous quarter")
    return pgettext("report", "the previous period")


def _next_title(kind: str) -> str:
    if kind == PeriodKind.MONTH:
        return _("Work points for next month")
    if kind == PeriodKind.QUARTER:
        return _("Work points for next quarter")
    return _("Work points for the next period")


def number(value, unit: str = "count") -> str:
    """A figure as printed: ``12``, ``85.3%``, ``2.5 days``; ``—`` when missing."""
    if value is None:
        return "—"
    if unit == "percent":
        return _("%(value)s%%") % {"value": f"{float(value):.1f}"}
    if unit == "days":
        return _("%(value)s days") % {"value": f"{float(value):.1f}"}
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value))


def change_text(metric: dict) -> str:
    """The change on the previous period: ``+3``, ``-2.5 pp``, ``no change``; ``—`` when it
    cannot be computed."""
    change = metric.get("change")
    if change is None:
        return "—"
    if change == 0:
        return _("no change")
    sign = "+" if change > 0 else "-"
    magnitude = abs(change)
    if metric.get("unit") == "percent":
        return _("%(sign)s%(value)s pp") % {"sign": sign, "value": f"{magnitude:.1f}"}
    if metric.get("unit") == "days":
        return _("%(sign)s%(value)s days") % {"sign": sign, "value": f"{magnitude:.1f}"}
    text = f"{magnitude:.1f}" if isinstance(magnitude, float) and not magnitude.is_integer() \
        else str(int(magnitude))
    return f"{sign}{text}"


def _count_change(kind: str, metric: dict) -> str:
    change = metric.get("change")
    previous = _previous_word(kind)
    if change is None:
        return _("no figure for %(previous)s") % {"previous": previous}
    if change > 0:
        return _("%(n)s more than %(previous)s") % {"n": number(change), "previous": previous}
    if change < 0:
        return _("%(n)s fewer than %(previous)s") % {"n": number(-change), "previous": previous}
    return _("the same as %(previous)s") % {"previous": previous}


# --- the content -----------------------------------------------------------------------------
def _blank(metric: dict | None) -> bool:
    return metric is None or not metric.get("value")


def summary_text(kind: str, metrics: dict, *, is_empty: bool) -> str:
    """本期概况: a few full sentences from the figures (missing figures are left out)."""
    if is_empty:
        return msg_no_records()

    def m(key):
        return metrics.get(key) or {"value": None, "unit": "count"}

    def v(key):
        return number(m(key).get("value"), m(key).get("unit", "count"))

    sentences = [
        _("%(this)s %(reported)s new hazards were found, %(change)s; at the end of the period "
          "%(open)s hazards were still open, %(overdue)s of them overdue, and %(major)s were "
          "major hazards.") % {
            "this": _this_word(kind), "reported": v("hazards_reported"),
            "change": _count_change(kind, m("hazards_reported")), "open": v("hazards_open"),
            "overdue": v("hazards_overdue"), "major": v("hazards_major")},
        _("Rectification rate %(rate)s, on-time rate %(on_time)s.") % {
            "rate": v("hazards_rectification_rate"), "on_time": v("hazards_on_time_rate")},
        _("%(inspections)s safety inspections were carried out; inspection coverage "
          "%(coverage)s, compliance %(compliance)s.") % {
            "inspections": v("inspections_done"), "coverage": v("inspection_coverage"),
            "compliance": v("inspection_compliance")},
        _("Patrol completion %(completion)s, %(missed)s missed checkpoints.") % {
            "completion": v("patrol_completion"), "missed": v("patrol_missed_checkpoints")},
        _("%(violations)s traffic violations and %(abandoned)s abandoned vehicles were "
          "handled, %(incidents)s incidents received, %(activities)s education activities "
          "held (coverage %(coverage)s) and %(concerns)s concerns received.") % {
            "violations": v("traffic_violations"), "abandoned": v("abandoned_vehicles"),
            "incidents": v("incidents"), "activities": v("education_activities"),
            "coverage": v("education_coverage"), "concerns": v("concerns_received")},
    ]
    # Chinese sentences end with 。 and follow each other without a space.
    return ("" if _is_zh() else " ").join(sentences)


def _is_zh() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").startswith("zh")


def outlook_points(kind: str, metrics: dict, unit_rows: list[dict]) -> list[str]:
    """下期工作重点: what the figures say to chase next (the units with the most overdue
    hazards first). ``unit_rows``: the cockpit's ``units`` table."""
    points = []
    units = {str(r.get("name")): r.get("overdue") or 0 for r in unit_rows
             if r.get("overdue") and r.get("unit_id")}
    overdue = (metrics.get("hazards_overdue") or {}).get("value") or 0
    if overdue:
        named = sorted(units, key=lambda name: (-units[name], name))[:3]
        if named:
            points.append(_("Chase %(units)s and the other responsible units to finish the "
                            "%(n)s overdue rectifications.") % {
                "units": pgettext("list separator", ", ").join(named), "n": number(overdue)})
        else:
            points.append(_("Chase the responsible units to finish the %(n)s overdue "
                            "rectifications.") % {"n": number(overdue)})
    major = (metrics.get("hazards_major") or {}).get("value") or 0
    if major:
        points.append(_("Keep the %(n)s major hazards under listed supervision until they are "
                        "rectified and closed.") % {"n": number(major)})
    missed = (metrics.get("patrol_missed_checkpoints") or {}).get("value") or 0
    if missed:
        points.append(_("Check the patrol routes with %(n)s missed checkpoints and tighten "
                        "patrol supervision.") % {"n": number(missed)})
    coverage = (metrics.get("inspection_coverage") or {}).get("value")
    if coverage is not None and coverage < 100:
        points.append(_("Widen safety inspections: coverage was %(rate)s this period.")
                      % {"rate": number(coverage, "percent")})
    if not points:
        points.append(_("Keep hazard investigation and rectification routine and consolidate "
                        "the results."))
    return points


def _row_text(row: dict, key: str) -> str:
    value = row.get(key)
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def report_content(*, kind: str, period: Period, campus_id: int | None,
                   figures: dict, tables: dict, closed_trend: dict | None = None,
                   ) -> ReportContent:
    """The report's texts and chart data from the cockpit's ``figures`` and ``tables`` (see
    :func:`safecampus.dashboards.cockpit.cockpit_figures` and ``cockpit_tables`` for their
    shape) for ``period`` (local days) and ``campus_id`` (None: whole university).
    ``closed_trend``: hazards closed per local month (1st of the month → n), drawn beside
    the reported ones."""
    metrics = figures.get("metrics") or {}
    sections = []
    for section in figures.get("sections") or []:
        rows = [Row(key=m["key"], label=str(m["label"]),
                    value=number(m.get("value"), m.get("unit", "count")),
                    previous=number(m.get("previous"), m.get("unit", "count")),
                    change=change_text(m)) for m in section.get("metrics", [])]
        empty = all(_blank(m) for m in section.get("metrics", []))
        sections.append(Section(key=section["key"], title=str(section["title"]), rows=rows,
                                empty=empty))
    is_empty = all(s.empty for s in sections)
    scope_name = figures.get("campus_name", "") if campus_id else ""
    overdue_rows = list(tables.get("overdue") or [])[:OVERDUE_ROWS]
    major_rows = list(tables.get("major") or [])[:MAJOR_ROWS]
    unit_rows = list(tables.get("units") or [])[:UNIT_ROWS]
    incident_rows = list(tables.get("incidents") or [])
    overdue_total = (metrics.get("hazards_overdue") or {}).get("value") or 0
    overdue_note = ""
    if overdue_rows and overdue_total > len(overdue_rows):
        overdue_note = _("(%(total)s in all; the %(shown)s longest overdue are listed)") % {
            "total": overdue_total, "shown": len(overdue_rows)}
    lists = [
        Table(_("Overdue hazards"),
              [pgettext("report hazard number", "No."), _("Hazard"), _("Responsible unit"), _("Deadline"),
               _("Days overdue")],
              [[_row_text(r, "number"), _row_text(r, "title"), _row_text(r, "unit"),
                _row_text(r, "deadline"), _row_text(r, "days_overdue")] for r in overdue_rows],
              note=overdue_note, key="overdue"),
        Table(_("Major hazards"),
              [pgettext("report hazard number", "No."), _("Hazard"), _("Responsible unit"),
               _("Status"), _("Deadline")],
              [[_row_text(r, "number"), _row_text(r, "title"), _row_text(r, "unit"),
                _row_text(r, "status"), _row_text(r, "deadline")] for r in major_rows],
              key="major"),
        Table(_("Open hazards by unit"),
              [_("Responsible unit"), _("Open hazards"), _("Overdue hazards")],
              [[_row_text(r, "name"), _row_text(r, "open"), _row_text(r, "overdue")]
               for r in unit_rows], key="units"),
        Table(_("Incidents by type"), [_("Type"), _("Incidents")],
              [[_row_text(r, "label"), _row_text(r, "n")] for r in incident_rows],
              key="incidents"),
    ]
    trend = _trend(metrics, closed_trend)
    risk = [(level, str((metrics.get(f"risk_{level}") or {}).get("label", level)),
             int((metrics.get(f"risk_{level}") or {}).get("value") or 0))
            for level in ("major", "high", "moderate", "low")]
    return ReportContent(
        title=report_title(kind=kind, scope_name=scope_name, period=period),
        university=settings.SAFECAMPUS["UNIVERSITY_NAME"],
        office=settings.SAFECAMPUS["OFFICE_NAME"],
        scope_name=scope_name or _("Whole university"),
        period=period, period_label=period_label(period),
        period_text=day_range(period.first, period.last),
        summary=summary_text(kind, metrics, is_empty=is_empty),
        sections=sections, tables=lists,
        outlook_title=_next_title(kind),
        outlook=outlook_points(kind, metrics, unit_rows),
        is_empty=is_empty, trend=trend,
        units=[(_row_text(r, "name"), int(r.get("open") or 0)) for r in unit_rows],
        risk=risk,
        values={key: m.get("value") for key, m in metrics.items()},
    )


def _trend(metrics: dict, closed: dict | None) -> list[tuple[dt.date, float, float | None]]:
    reported = (metrics.get("hazards_reported") or {}).get("trend") or []
    return [(month, value or 0, None if closed is None else closed.get(month, 0))
            for month, value in reported]
