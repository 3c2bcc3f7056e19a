"""The home page's patrols card: each person sees the patrol, duty and grid work that is theirs."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import translation

from safecampus.core import clock
from safecampus.patrols.models import GridVisit
from safecampus.patrols.selectors.work import patrol_work
from safecampus.patrols.services import duty, patrolling
from safecampus.patrols.tests.helpers import build_route, local, login

pytestmark = pytest.mark.django_db
NIGHT = dt.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def night(org):
    built = build_route(org, leader=org.users.admin)
    built.shift = patrolling.shift_plan(schedule=built.schedule, day=NIGHT)
    return built


def test_a_guard_sees_the_next_round_of_a_shift_he_is_on(org, night, client):
    with clock.frozen(local(2026, 11, 30, 23, 10)):
        work = patrol_work(org.users.guard)
        login(client, org.users.guard)  # the pages follow the language cookie
        html = client.get(reverse("dashboards:home")).content.decode()
    # round 1 (22:00–22:30) is late but its late period runs to midnight: it is still "next"
    assert work["next_round"].sequence == 1 and work["missed_led"] is None
    assert 'id="patrol-work"' in html
    assert "Next round: Route north-night, round 1" in html
    assert "11-30 22:00–22:30" in html


def test_the_shift_leader_sees_rounds_with_missed_checkpoints(org, night):
    patrolling.patrol_sweep(at=local(2026, 12, 1, 0, 35))  # rounds 1 and 2 closed, unwalked
    with clock.frozen(local(2026, 12, 1, 0, 40)):
        assert patrol_work(org.users.admin)["missed_led"] == 2
    with clock.frozen(local(2026, 12, 2, 1, 0)):  # more than 24 hours later: nothing left
        assert patrol_work(org.users.admin) is None


def test_the_duty_room_sees_its_open_items(org):
    duty.duty_shift_take_over(actor=org.users.staff)
    duty.duty_entry_log(actor=org.users.staff, summary="Noise complaint at dorm 3",
                        kind="call", idempotency_key=str(uuid.uuid4()))
    assert patrol_work(org.users.guard)["open_duty_entries"] == 1


def test_a_grid_officer_sees_this_months_visits(org):
    GridVisit.objects.create(zone=org.zone1, officer=org.users.grid,
                             visited_at=local(2026, 11, 3, 9, 0), findings="All well")
    GridVisit.objects.create(zone=org.zone1, officer=org.users.grid,
                             visited_at=local(2026, 10, 31, 23, 59), findings="Last month")
    with clock.frozen(local(2026, 11, 30, 12, 0)):
        assert patrol_work(org.users.grid)["visits_this_month"] == 1


@pytest.mark.parametrize("role", ["student", "contact_a", "leadership", "police"])
def test_people_without_patrol_work_see_no_card(org, client, role):
    user = getattr(org.users, role)
    assert patrol_work(user) is None
    client.force_login(user)
    assert 'id="patrol-work"' not in client.get(reverse("dashboards:home")).content.decode()
