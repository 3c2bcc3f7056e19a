"""Builders shared by the patrol tests: a route with checkpoints and a night schedule; and
the page helpers from :mod:`safecampus.tests.pages` (signed-in client, flash messages, page
text), re-exported."""

import datetime as dt
import uuid
from types import SimpleNamespace

from safecampus.core import clock
from safecampus.organisation.models import Place
from safecampus.patrols.models import Checkpoint, PatrolRoute, PatrolSchedule
from safecampus.patrols.services import patrolling
from safecampus.tests.pages import login, messages_of, text_of  # noqa: F401 (re-exported)

#: Checkpoint positions around (30.7600 N, 103.9800 E), about 100 m apart.
BASE_LAT, BASE_LON = 30.760000, 103.980000


def local(*args) -> dt.datetime:
    """An aware Asia/Shanghai datetime: ``local(2026, 11, 30, 22, 0)``."""
    return dt.datetime(*args, tzinfo=clock.local_zone())


def build_route(org, *, checkpoints: int = 4, code: str = "north-night", rounds: int = 4,
                window_minutes: int = 30, starts_at=dt.time(22, 0), ends_at=dt.time(6, 0),
                guards=None, leader=None) -> SimpleNamespace:
    """A route on campus 1 (zone 1) with ``checkpoints`` checkpoints at new places, each with a
    position, and a schedule (default 22:00–06:00, 4 rounds, 30-minute windows)."""
    route = PatrolRoute.objects.create(campus=org.campus1, zone=org.zone1, code=code,
                                       name=f"Route {code}")
    points = []
    for i in range(checkpoints):
        place = Place.objects.create(campus=org.campus1, zone=org.zone1,
                                     building=org.building_a, code=f"{code}-p{i + 1}",
                                     name=f"Point {i + 1}", kind=Place.Kind.OUTDOOR)
        points.append(Checkpoint.objects.create(
            route=route, place=place, sequence=i + 1, latitude=BASE_LAT + i * 0.0009,
            longitude=BASE_LON, manual_code=patrolling.manual_code_new()))
    schedule = PatrolSchedule.objects.create(
        route=route, name="Night", starts_at=starts_at, ends_at=ends_at, rounds=rounds,
        window_minutes=window_minutes, leader=leader or org.users.staff)
    schedule.guards.set(guards if guards is not None else [org.users.guard])
    return SimpleNamespace(route=route, checkpoints=points, schedule=schedule)


def scan(guard, checkpoint, at, **kwargs):
    """Scan ``checkpoint`` as ``guard`` with phone time ``at`` (at the checkpoint's spot)."""
    kwargs.setdefault("latitude", checkpoint.latitude)
    kwargs.setdefault("longitude", checkpoint.longitude)
    kwargs.setdefault("client_id", uuid.uuid4())
    return patrolling.scan_record(actor=guard, code=patrolling.checkpoint_code(checkpoint),
                                  scanned_at=at, **kwargs)

