"""Builders for the abandoned-vehicle tests: a case opened through the service at a frozen
local time, and the same case carried on to later states."""

import datetime as dt

from safecampus.core import clock
from safecampus.tests.factories import photo_upload
from safecampus.traffic.services import abandoned as services

from .violation_helpers import local

#: The day the stories start (a Monday); notice deadline by default 7 days later.
DAY0 = local(2026, 3, 2, 9, 0)


def at(days: float, hour: int = 9) -> dt.datetime:
    """``DAY0`` + ``days`` at ``hour`` local time."""
    day = (DAY0 + dt.timedelta(days=int(days))).date()
    return local(day.year, day.month, day.day, hour, 0)


GUARD = object()


def open_case(org, plate="陕A12345", *, actor=GUARD, source="patrol", when=None, **kwargs):
    """A case on campus 1 opened by the guard (``actor=None``: the system), with a photo for
    a sighting."""
    kwargs.setdefault("photos", [photo_upload()] if source in ("patrol", "report") else [])
    kwargs.setdefault("location_text", "3号楼后停车场")
    kwargs.setdefault("campus_id", org.campus1.pk)
    with clock.frozen(when or DAY0):
        return services.abandoned_case_open(
            actor=org.users.guard if actor is GUARD else actor, source=source, plate=plate,
            **kwargs)


def notice(org, case, *, when=None, **kwargs):
    kwargs.setdefault("photos", [photo_upload()])
    with clock.frozen(when or DAY0):
        return services.abandoned_notice_post(actor=org.users.staff, case_id=case.pk, **kwargs)


def store(org, case, *, when=None, **kwargs):
    kwargs.setdefault("photos", [photo_upload()])
    kwargs.setdefault("storage_place", "北门临时停车场")
    with clock.frozen(when or at(8)):
        return services.abandoned_store(actor=org.users.staff, case_id=case.pk, **kwargs)


def stored_case(org, plate="陕A12345"):
    """Opened and noticed on day 0 (deadline day 7), stored on day 8 (claim until day 98)."""
    case = open_case(org, plate)
    notice(org, case)
    return store(org, case)
