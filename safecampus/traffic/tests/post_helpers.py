"""Builders for the duty-post tests: a campus timetable, a post with a duty time anchored to
period 1, and aware local times."""

import datetime as dt
import uuid
from types import SimpleNamespace

import pytest
from django.utils import translation

from safecampus.core import clock
from safecampus.traffic.models import PostDutyTime
from safecampus.traffic.services import posts as services

#: 2026-03-02 is a Monday.
MONDAY = dt.date(2026, 3, 2)
LAT, LON = "34.250000", "108.980000"


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def local(*args) -> dt.datetime:
    """An aware Asia/Shanghai datetime: ``local(2026, 3, 2, 8, 0)``."""
    return dt.datetime(*args, tzinfo=clock.local_zone())


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


TIMETABLE = [("08:00", "08:45"), ("08:55", "09:40"), ("10:00", "10:45"), ("10:55", "11:40"),
             ("14:00", "14:45")]


def build_posts(org) -> SimpleNamespace:
    """Campus 1's timetable (5 periods); post 一食堂 (canteen) with "Morning" 15 min before
    to 10 min after period 1 starts on weekdays, guard1 standing; post 教学楼 (teaching) with
    a fixed 11:35–11:55 duty every day and nobody standing."""
    staff = org.users.staff
    periods = services.class_timetable_set(
        actor=staff, campus_id=org.campus1.pk,
        periods=[(t(a), t(b)) for a, b in TIMETABLE])
    canteen = services.post_create(actor=staff, campus_id=org.campus1.pk, name="一食堂",
                                   kind="canteen", latitude=LAT, longitude=LON, radius_m=100)
    teaching = services.post_create(actor=staff, campus_id=org.campus1.pk, name="教学楼",
                                    kind="teaching")
    morning = services.duty_time_create(
        actor=staff, post_id=canteen.pk, name="Morning", anchor=PostDutyTime.Anchor.CLASS_START,
        class_period_id=periods[0].pk, minutes_before=15, minutes_after=10, weekdays="12345",
        guard_ids=[org.users.guard.pk])
    noon = services.duty_time_create(
        actor=staff, post_id=teaching.pk, name="Noon", anchor=PostDutyTime.Anchor.FIXED,
        starts_at=t("11:35"), ends_at=t("11:55"), weekdays="1234567")
    return SimpleNamespace(periods=periods, canteen=canteen, teaching=teaching,
                           morning=morning, noon=noon)


@pytest.fixture
def posts(org):
    return build_posts(org)


def sign_in(org, post, at, *, actor=None, code=None, client_id=None, received=None, **kwargs):
    """A sign-in with phone time ``at`` that reaches the server at ``received`` (default:
    the same moment, as a sign-in from the page does)."""
    with clock.frozen(received or at):
        return services.post_sign_in(
            actor=actor or org.users.guard, code=code or services.post_code(post),
            signed_at=at, client_id=client_id or new_id(), **kwargs)
