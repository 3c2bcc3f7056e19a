"""The one source of "now" for services, so that demo data and tests can set the time.

Services call :func:`now` instead of ``timezone.now()``. :func:`frozen` sets the time for
the current thread, e.g. while the demo loader replays a year of events.
"""

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

_state = threading.local()


def now() -> dt.datetime:
    """Return the current aware datetime (UTC), or the frozen one inside :func:`frozen`."""
    frozen_at = getattr(_state, "at", None)
    return frozen_at if frozen_at is not None else timezone.now()


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Make :func:`now` return ``at`` (aware) in this thread until the block ends."""
    if timezone.is_naive(at):
        raise ValueError("frozen() needs an aware datetime")
    previous = getattr(_state, "at", None)
    _state.at = at
    try:
        yield
    finally:
        _state.at = previous


def local_zone() -> ZoneInfo:
    """The campus time zone (settings.TIME_ZONE, Asia/Shanghai)."""
    return ZoneInfo(settings.TIME_ZONE)


def local_today() -> dt.date:
    """Today's date in Asia/Shanghai."""
    return now().astimezone(local_zone()).date()


def end_of_local_day(day: dt.date) -> dt.datetime:
    """The last instant (23:59:59.999999) of ``day`` in Asia/Shanghai, as an aware datetime.

    A date-only deadline means the end of that local day (DESIGN, domain rules).
    """
    return dt.datetime.combine(day, dt.time.max, tzinfo=local_zone())


def start_of_local_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in Asia/Shanghai, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=local_zone())
