"""The periodic tasks in huey's registry, their schedules in words and their intervals.

Huey keeps a periodic task's schedule as a function of a (local, naive: ``utc=False``)
datetime, not as data. :func:`schedule_of` recovers the minutes, hours and weekdays it fires
on: from the settings a ``huey.crontab`` closes over when the task uses one directly, else by
asking the function about every minute of one week (a task like the nightly backup wraps its
crontab in a function of its own). Both are done once per process and task.

Weekdays follow huey's crontab: 0 = Sunday … 6 = Saturday.
"""

import datetime as dt
import functools
import inspect
from dataclasses import dataclass

from django.apps import apps
from django.utils.dates import WEEKDAYS
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from huey.contrib.djhuey import HUEY

WEEK_MINUTES = 7 * 24 * 60
_ALL_MINUTES = frozenset(range(60))
_ALL_HOURS = frozenset(range(24))
_ALL_WEEKDAYS = frozenset(range(7))
#: A Monday at midnight: the week the fallback asks the schedule function about.
_PROBE_WEEK = dt.datetime(2024, 1, 1)


@dataclass(frozen=True)
class Schedule:
    """When a periodic task fires, as sets: ``minutes`` (0–59), ``hours`` (0–23),
    ``weekdays`` (0 = Sunday); ``every_day`` False when it also depends on the day of the
    month or the month (then only ``interval`` None and a generic description are known).
    ``interval`` is the longest gap between two firings (None: not within a week)."""

    minutes: frozenset
    hours: frozenset
    weekdays: frozenset
    every_day: bool
    interval: dt.timedelta | None

    def describe(self) -> str:
        """The schedule in words, in the active language (Asia/Shanghai times)."""
        if self.interval is None:
            return _("Not within a week (turned off, or rarer than weekly)")
        if not self.every_day:
            return _("Custom schedule")
        times = _times(self.hours, self.minutes)
        if self.weekdays != _ALL_WEEKDAYS:
            days = "、".join(str(WEEKDAYS[(w - 1) % 7]) for w in sorted(self.weekdays, key=_monday_first))
            if times is None:
                return _("Every %(days)s, %(count)s times a day") % {
                    "days": days, "count": len(self.hours) * len(self.minutes)}
            return _("Every %(days)s at %(times)s") % {"days": days, "times": times}
        if self.hours == _ALL_HOURS:
            if self.minutes == _ALL_MINUTES:
                return _("Every minute")
            step = _step(self.minutes, 60)
            if step:
                return _("Every %(n)s minutes") % {"n": step}
            if len(self.minutes) == 1:
                return _("Every hour at minute %(minute)s") % {"minute": min(self.minutes)}
            return _("Every hour at minutes %(minutes)s") % {
                "minutes": ", ".join(str(m) for m in sorted(self.minutes))}
        step = _step(self.hours, 24)
        if step and len(self.minutes) == 1:
            return _("Every %(n)s hours at minute %(minute)s") % {
                "n": step, "minute": min(self.minutes)}
        if times is None:
            return _("%(count)s times a day") % {"count": len(self.hours) * len(self.minutes)}
        return _("Daily at %(times)s") % {"times": times}


@dataclass(frozen=True)
class PeriodicTaskInfo:
    """One periodic task of the registry: ``name`` (``module.function``, the key of its
    ScheduledRun), ``function``, ``app`` (the app's translated name) and ``schedule``."""

    name: str
    function: str
    app: str
    schedule: Schedule


def _monday_first(weekday: int) -> int:
    return (weekday - 1) % 7


def _step(values: frozenset, size: int) -> int | None:
    """n when ``values`` is exactly 0, n, 2n … below ``size`` (n > 1), else None."""
    if len(values) < 2 or 0 not in values:
        return None
    ordered = sorted(values)
    n = ordered[1]
    return n if set(range(0, size, n)) == set(values) else None


def _times(hours: frozenset, minutes: frozenset) -> str | None:
    """``"02:30"`` / ``"08:10, 20:10"`` for at most six times a day, else None."""
    if len(hours) * len(minutes) > 6:
        return None
    return ", ".join(f"{h:02d}:{m:02d}" for h in sorted(hours) for m in sorted(minutes))


def _interval(minutes: frozenset, hours: frozenset, weekdays: frozenset) -> dt.timedelta | None:
    """The longest gap between two firings over a week (the week wraps around)."""
    offsets = sorted(_monday_first(w) * 1440 + h * 60 + m
                     for w in weekdays for h in hours for m in minutes)
    if not offsets:
        return None
    gaps = [b - a for a, b in zip(offsets, offsets[1:], strict=False)]
    gaps.append(offsets[0] + WEEK_MINUTES - offsets[-1])
    return dt.timedelta(minutes=max(gaps))


def _crontab_settings(task_class) -> list | None:
    """The ``[months, days, weekdays, hours, minutes]`` lists of a ``huey.crontab`` the task
    was declared with, or None when its schedule is some other function."""
    try:
        validate = inspect.getclosurevars(task_class.validate_datetime).nonlocals.get(
            "validate_datetime")
        if validate is None or validate.__name__ != "validate_date":
            return None
        cron = inspect.getclosurevars(validate).nonlocals.get("cron_settings")
    except (TypeError, AttributeError, ValueError):
        return None
    return cron if isinstance(cron, list) and len(cron) == 5 else None


def _probe(task_class) -> Schedule:
    task = task_class()
    fired = set()
    for minute in range(WEEK_MINUTES):
        at = _PROBE_WEEK + dt.timedelta(minutes=minute)
        if task.validate_datetime(at):
            fired.add(((at.weekday() + 1) % 7, at.hour, at.minute))
    weekdays = frozenset(w for w, _h, _m in fired)
    hours = frozenset(h for _w, h, _m in fired)
    minutes = frozenset(m for _w, _h, m in fired)
    regular = {(w, h, m) for w in weekdays for h in hours for m in minutes} == fired
    if fired and not regular:
        offsets = sorted(_monday_first(w) * 1440 + h * 60 + m for w, h, m in fired)
        gaps = [b - a for a, b in zip(offsets, offsets[1:], strict=False)]
        gaps.append(offsets[0] + WEEK_MINUTES - offsets[-1])
        return Schedule(minutes, hours, weekdays, False, dt.timedelta(minutes=max(gaps)))
    return Schedule(minutes, hours, weekdays, True, _interval(minutes, hours, weekdays))


@functools.cache
def schedule_of(task_class) -> Schedule:
    """The :class:`Schedule` of a periodic task class (computed once per process)."""
    cron = _crontab_settings(task_class)
    if cron is None:
        return _probe(task_class)
    months, days, weekdays, hours, minutes = (frozenset(values) for values in cron)
    weekdays = frozenset(w % 7 for w in weekdays)  # "*" also lists 7, Sunday again
    every_day = months == frozenset(range(1, 13)) and days == frozenset(range(1, 32))
    if not every_day:
        return Schedule(minutes, hours, weekdays, False, None)
    return Schedule(minutes, hours, weekdays, True, _interval(minutes, hours, weekdays))


def periodic_tasks() -> list[PeriodicTaskInfo]:
    """Every periodic task in huey's registry (after importing every app's ``tasks``, as the
    consumer does), sorted by app and function name."""
    autodiscover_modules("tasks")
    registry = HUEY._registry
    found = []
    for task_class in list(registry._periodic_tasks):
        name = registry.task_to_string(task_class)
        config = apps.get_containing_app_config(task_class.__module__)
        found.append(PeriodicTaskInfo(
            name=name, function=task_class.__name__,
            app=config.verbose_name if config else task_class.__module__,
            schedule=schedule_of(task_class)))
    return sorted(found, key=lambda info: (str(info.app), info.function))
