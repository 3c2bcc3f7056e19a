"""Concerns (reads)."""

from __future__ import annotations

import datetime as dt

from safecampus.core import clock
from safecampus.core.errors import DomainError
from safecampus.core.workdays import add_working_days

from ..models import Concern


def concern_expected_at(concern: Concern) -> dt.datetime | None:
    """When the submitter can expect the next step, aware (end of a Beijing-time day):
    the planned target date; the hazard's rectification deadline while it is in the hazard
    loop (None before a notice sets one); otherwise ``category.answer_days`` working days
    after the local day it was submitted (or reopened). None once closed."""
    if concern.state == Concern.State.CLOSED:
        return None
    if concern.state == Concern.State.PLANNED and concern.target_date:
        return clock.end_of_local_day(concern.target_date)
    if concern.state == Concern.State.HAZARD:
        return concern.hazard.deadline if concern.hazard_id and concern.hazard else None
    since = concern.reopened_at or concern.submitted_at
    day = since.astimezone(clock.local_zone()).date()
    days = concern.category.answer_days
    if days < 1:
        return clock.end_of_local_day(day)
    try:
        return clock.end_of_local_day(add_working_days(day, days))
    except DomainError:  # a year whose official holidays are not known: calendar days
        return clock.end_of_local_day(day + dt.timedelta(days=days))
