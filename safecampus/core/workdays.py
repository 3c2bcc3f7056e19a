"""Deadlines in calendar days or Chinese working days (工作日).

Working days follow the State Council's official calendar as published in the
``chinese_calendar`` package: weekends and public holidays are off, make-up working days
(调休) on a weekend count as working days.
"""

import datetime as dt

import chinese_calendar

from . import errors


def is_working_day(day: dt.date) -> bool:
    """True when ``day`` is an official working day in mainland China.

    Raises :class:`errors.DomainError` for years the official calendar does not cover yet.
    """
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError as exc:
        raise errors.DomainError(
            errors.msg_calendar_unknown(year=day.year), code="calendar_unknown"
        ) from exc


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted).

    ``days`` must be ≥ 1. Example: a notice issued on Thursday 2026-09-24 with 5 working days
    is due on the day the fifth working day after it ends, skipping the National Day holiday.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    day = start
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def add_calendar_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` calendar days after ``start``."""
    if days < 1:
        raise ValueError("days must be at least 1")
    return start + dt.timedelta(days=days)
