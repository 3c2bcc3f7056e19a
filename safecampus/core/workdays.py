"""Deadlines in calendar days or Chinese working days (工作日).

Working days follow the State Council's official calendar: weekends and public holidays
are off, make-up working days (调休) on a weekend count as working days. The source is, in
order: a :class:`~safecampus.core.models.WorkdayOverride` the office entered for that day;
the ``chinese_calendar`` package; for a year the package does not cover but the office has
entered adjustments for, Monday to Friday. A year known to neither raises DomainError
(``calendar_unknown``) rather than guessing around a Spring Festival.
"""

import datetime as dt

import chinese_calendar

from . import errors


class WorkCalendar:
    """Working days between two dates, with the office's adjustments loaded in one query."""

    def __init__(self, first: dt.date, last: dt.date):
        from .models import WorkdayOverride

        rows = WorkdayOverride.objects.filter(
            date__gte=dt.date(first.year, 1, 1), date__lte=dt.date(last.year, 12, 31)
        ).values_list("date", "is_working_day")
        self.overrides: dict[dt.date, bool] = dict(rows)
        self.configured_years = {day.year for day in self.overrides}

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError as exc:
            if day.year in self.configured_years:
                return day.weekday() < 5
            raise errors.DomainError(
                errors.msg_calendar_unknown(year=day.year), code="calendar_unknown"
            ) from exc


def is_working_day(day: dt.date) -> bool:
    """True when ``day`` is an official working day in mainland China (see module docstring).

    Raises :class:`errors.DomainError` (``calendar_unknown``) for a year nobody has set up.
    """
    return WorkCalendar(day, day).is_working_day(day)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted).

    ``days`` must be ≥ 1. Example: a notice issued on Thursday 2026-09-24 with 5 working days
    is due on the day the fifth working day after it ends, skipping the National Day holiday.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    # Working days never run more than ~3 times slower than calendar days (Spring Festival).
    calendar = WorkCalendar(start, start + dt.timedelta(days=days * 3 + 30))
    day = start
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def add_calendar_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` calendar days after ``start``."""
    if days < 1:
        raise ValueError("days must be at least 1")
    return start + dt.timedelta(days=days)
