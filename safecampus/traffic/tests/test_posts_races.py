"""Duty posts under concurrency (PostgreSQL): a sign-in uploaded twice at once is stored once,
guards signing in at once keep the earliest first sign-in, planning racing itself plans once."""
# ruff: noqa: F811  (the ``posts`` fixture is imported from post_helpers)

import datetime as dt

import pytest
from django.db import connection

from safecampus.core import clock
from safecampus.tests.threads import race
from safecampus.traffic.models import PostDuty, PostSignIn
from safecampus.traffic.services import posts as services

from .post_helpers import MONDAY, local, new_id, posts  # noqa: F401

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def _postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; SQLite serialises "
                    "writers, so there is no race to test (run with DATABASE_URL=postgres://…)")


def _sign_in(user, code, at, client_id):
    """A sign-in as it arrives from the page: received a few seconds after the phone's time
    (the clock is frozen per thread, so each racing thread freezes its own)."""
    with clock.frozen(at + dt.timedelta(seconds=3)):
        return services.post_sign_in(actor=user, code=code, signed_at=at, client_id=client_id)


def test_one_sign_in_uploaded_twice_at_once_is_stored_once(_postgres, org, posts):
    services.post_duties_plan(day=MONDAY)
    client_id, code = new_id(), services.post_code(posts.canteen)
    outcomes = race([lambda: _sign_in(org.users.guard, code, local(2026, 3, 2, 7, 50),
                                      client_id) for _ in range(4)])
    assert [error for _outcome, error in outcomes if error] == []
    assert sorted(outcome.created for outcome, _error in outcomes) == [False, False, False, True]
    assert len({outcome.sign_in.pk for outcome, _error in outcomes}) == 1
    assert PostSignIn.objects.count() == 1


def test_guards_signing_in_at_once_keep_the_earliest_first_sign_in(_postgres, org, posts):
    services.post_duties_plan(day=MONDAY)
    code = services.post_code(posts.canteen)
    guards = [org.users.guard, org.users.staff, org.users.staff2]
    outcomes = race([lambda user=user, minute=minute: _sign_in(
        user, code, local(2026, 3, 2, 7, minute), new_id())
        for user, minute in zip(guards, (52, 47, 50), strict=True)])
    assert [error for _outcome, error in outcomes if error] == []
    duty = PostDuty.objects.get(duty_time=posts.morning)
    assert duty.first_sign_in_at == local(2026, 3, 2, 7, 47)


def test_planning_racing_itself_plans_each_duty_once(_postgres, org, posts):
    outcomes = race([lambda: services.post_duties_plan(day=MONDAY) for _ in range(3)])
    assert [error for _count, error in outcomes if error] == []
    assert sum(count for count, _error in outcomes) == 2
    assert PostDuty.objects.filter(duty_date=MONDAY).count() == 2
    assert all(d.guards.count() == (1 if d.duty_time == posts.morning else 0)
               for d in PostDuty.objects.all())
