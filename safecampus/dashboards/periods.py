"""Reporting periods: a month, a quarter or any run of local days, and the one before it.

The cockpit compares a period with the previous one and the safety work reports (月报/季报)
cover one; both read their bounds from here. Days are Asia/Shanghai calendar days
(``settings.TIME_ZONE``); the bounds are aware datetimes, start included, end excluded, so
``created_at__gte=start, created_at__lt=end`` counts the period's records.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from safecampus.core import clock
from safecampus.core.errors import field_error


class PeriodKind:
    MONTH = "month"  # 月
    QUARTER = "quarter"  # 季度
    CUSTOM = "custom"  # any run of days

    ALL = (MONTH, QUARTER, CUSTOM)


#: The longest custom period (days); a longer one is refused.
MAX_CUSTOM_DAYS = 731


@dataclass(frozen=True)
class Period:
    """``first``…``last``: local calendar days, both included."""

    kind: str
    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> dt.datetime:
        """The period's first instant (aware, local midnight of ``first``)."""
        return clock.start_of_local_day(self.first)

    @property
    def end(self) -> dt.datetime:
        """The instant after the period (aware, local midnight after ``last``), excluded."""
        return clock.start_of_local_day(self.last + dt.timedelta(days=1))

    @property
    def key(self) -> str:
        """A short stable text for cache keys and URLs: ``2026-11``, ``2026-Q4`` or
        ``2026-11-01..2026-11-15``."""
        if self.kind == PeriodKind.MONTH:
            return f"{self.first:%Y-%m}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.first:%Y-%m-%d}..{self.last:%Y-%m-%d}"

    @property
    def label(self) -> str:
        """The period in the page language: 2026年11月 / 2026年第四季度 / a date range."""
        if self.kind == PeriodKind.MONTH:
            return _("%(year)d-%(month)02d") % {"year": self.first.year, "month": self.first.month}
        if self.kind == PeriodKind.QUARTER:
            return _("Q%(quarter)d %(year)d") % {"year": self.first.year,
                                                  "quarter": (self.first.month - 1) // 3 + 1}
        return _("%(first)s to %(last)s") % {"first": self.first.isoformat(),
                                             "last": self.last.isoformat()}

    def previous(self) -> "Period":
        """The period just before: the previous month or quarter, or as many days before."""
        if self.kind == PeriodKind.MONTH:
            return month_period(*_add_months(self.first.year, self.first.month, -1))
        if self.kind == PeriodKind.QUARTER:
            year, month = _add_months(self.first.year, self.first.month, -3)
            return quarter_period(year, (month - 1) // 3 + 1)
        return Period(PeriodKind.CUSTOM, self.first - dt.timedelta(days=self.days),
                      self.first - dt.timedelta(days=1))

    def contains_today(self) -> bool:
        return self.first <= clock.local_today() <= self.last


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_period(year: int, month: int) -> Period:
    first = dt.date(year, month, 1)
    next_year, next_month = _add_months(year, month, 1)
    return Period(PeriodKind.MONTH, first, dt.date(next_year, next_month, 1) - dt.timedelta(days=1))


def quarter_period(year: int, quarter: int) -> Period:
    """Quarter 1–4 of ``year`` (Q1 = January–March)."""
    first_month = (quarter - 1) * 3 + 1
    last = month_period(year, first_month + 2).last
    return Period(PeriodKind.QUARTER, dt.date(year, first_month, 1), last)


def custom_period(first: dt.date, last: dt.date) -> Period:
    """Raises DomainError (field ``last``) when ``last`` is before ``first`` or the period is
    longer than :data:`MAX_CUSTOM_DAYS`."""
    if last < first:
        raise field_error("last", _("The end date is before the start date."))
    if (last - first).days + 1 > MAX_CUSTOM_DAYS:
        raise field_error("last", _("A period can be at most %(days)d days long.")
                          % {"days": MAX_CUSTOM_DAYS})
    return Period(PeriodKind.CUSTOM, first, last)


def current_period(kind: str = PeriodKind.MONTH, *, today: dt.date | None = None) -> Period:
    """The month or quarter holding ``today`` (local; default now)."""
    today = today or clock.local_today()
    if kind == PeriodKind.QUARTER:
        return quarter_period(today.year, (today.month - 1) // 3 + 1)
    return month_period(today.year, today.month)


def last_complete_period(kind: str, *, today: dt.date | None = None) -> Period:
    """The last month or quarter that has ended before ``today`` (what a monthly report
    sent on the 1st covers)."""
    return current_period(kind, today=today).previous()


def parse_period(key: str) -> Period:
    """The :class:`Period` of a :attr:`Period.key` (``2026-11``, ``2026-Q4`` or
    ``2026-11-01..2026-11-15``). Raises DomainError (field ``period``) for anything else."""
    text = (key or "").strip()
    try:
        if ".." in text:
            first, last = text.split("..", 1)
            return custom_period(dt.date.fromisoformat(first), dt.date.fromisoformat(last))
        if "-Q" in text.upper():
            year, quarter = text.upper().split("-Q", 1)
            if int(quarter) in (1, 2, 3, 4):
                return quarter_period(int(year), int(quarter))
        else:
            year, month = text.split("-", 1)
            if 1 <= int(month) <= 12 and len(year) == 4:
                return month_period(int(year), int(month))
    except ValueError:
        pass
    raise field_error("period", _("Not a period: %(text)s. Use 2026-11, 2026-Q4 or "
                                  "2026-11-01..2026-11-15.") % {"text": text[:40]})
