"""Setting patrols up: routes, checkpoints (add, move, deactivate, new codes), schedules (with
shifts planned at once), single-shift rosters, and the office-only pages around them."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safecampus.core import clock
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.models import ActivityEntry
from safecampus.organisation.models import Place
from safecampus.patrols.models import (
    Checkpoint,
    PatrolRound,
    PatrolRoute,
    PatrolSchedule,
    PatrolShift,
)
from safecampus.patrols.services import patrolling
from safecampus.patrols.services import setup as services

from .helpers import build_route, local, login, messages_of

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 30)
NOON = local(2026, 11, 30, 12, 0)


def _verbs(obj) -> list[str]:
    return list(ActivityEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(obj), target_id=obj.pk)
        .order_by("id").values_list("verb", flat=True))


def _place(org, code, *, name=None):
    return Place.objects.create(campus=org.campus1, code=code, name=name or code,
                                building=org.building_a)


def _route(org, code="gate-night", **kwargs):
    return services.route_create(actor=org.users.staff, campus_id=org.campus1.pk, code=code,
                                 name=kwargs.pop("name", "北门夜巡"), **kwargs)


# --- routes ----------------------------------------------------------------------------------
def test_office_creates_a_route_with_its_activity(org):
    route = _route(org, zone_id=org.zone1.pk, description="北门一带")
    assert (route.campus, route.zone, route.code, route.is_active) == (
        org.campus1, org.zone1, "gate-night", True)
    assert _verbs(route) == ["patrols.route_create"]


def test_a_duplicate_route_code_is_refused_and_nothing_changes(org):
    _route(org)
    with pytest.raises(DomainError) as error:
        _route(org, code="GATE-night", name="另一条")
    assert error.value.field_errors == {"code": ["Another route already has the code GATE-night."]}
    assert PatrolRoute.objects.count() == 1


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"campus_id": 0}, "campus", "Choose the campus of the route."),
    ({"code": "north night!"}, "code",
     "Use at most 32 letters, digits, dashes or underscores for the code."),
    ({"name": "  "}, "name", "Give the route a name."),
])
def test_bad_route_input_is_refused(org, kwargs, field, message):
    arguments = {"campus_id": org.campus1.pk, "code": "r1", "name": "路线", **kwargs}
    with pytest.raises(DomainError) as error:
        services.route_create(actor=org.users.staff, **arguments)
    assert error.value.field_errors[field] == [message]
    assert not PatrolRoute.objects.exists()


def test_a_zone_of_another_campus_is_refused(org):
    with pytest.raises(DomainError) as error:
        services.route_create(actor=org.users.staff, campus_id=org.campus2.pk, code="s1",
                              name="南区", zone_id=org.zone1.pk)
    assert error.value.field_errors == {"zone": ["The zone 北一网格 is not on campus 南校区."]}


def test_only_the_office_sets_patrols_up(org):
    for user in (org.users.guard, org.users.leadership, org.users.grid, org.users.student):
        with pytest.raises(NotAllowed):
            services.route_create(actor=user, campus_id=org.campus1.pk, code="x", name="x")
    assert not PatrolRoute.objects.exists()


def test_the_same_idempotency_key_creates_one_route(org):
    first = _route(org, idempotency_key="route-key-0001")
    again = _route(org, idempotency_key="route-key-0001")
    assert again == first and PatrolRoute.objects.count() == 1


def test_a_route_with_checkpoints_keeps_its_campus_and_deactivating_is_recorded(org):
    route = _route(org)
    services.checkpoint_add(actor=org.users.staff, route_id=route.pk, place_id=org.place_a.pk)
    with pytest.raises(DomainError) as error:
        services.route_update(actor=org.users.staff, route_id=route.pk,
                              campus_id=org.campus2.pk, code=route.code, name=route.name)
    assert error.value.field_errors["campus"] == [
        "The route's checkpoints are on campus 北校区: it cannot move to another campus."]
    services.route_update(actor=org.users.staff, route_id=route.pk, campus_id=org.campus1.pk,
                          code=route.code, name="北门夜间巡逻", is_active=False)
    route.refresh_from_db()
    assert (route.name, route.is_active, route.campus) == ("北门夜间巡逻", False, org.campus1)
    assert _verbs(route) == ["patrols.route_create", "patrols.route_update",
                             "patrols.route_deactivate"]


# --- checkpoints -----------------------------------------------------------------------------
def test_checkpoints_are_added_last_with_a_fresh_manual_code(org):
    route = _route(org)
    first = services.checkpoint_add(actor=org.users.staff, route_id=route.pk,
                                    place_id=org.place_a.pk, latitude="30.7600001",
                                    longitude=" 103.98 ", radius_m=80)
    second = services.checkpoint_add(actor=org.users.staff, route_id=route.pk,
                                     place_id=_place(org, "gate").pk, name="北门岗亭")
    assert (first.sequence, second.sequence) == (1, 2)
    assert str(first.latitude) == "30.760000" and str(first.longitude) == "103.980000"
    assert (first.radius_m, second.radius_m, second.label) == (80, 150, "北门岗亭")
    assert first.manual_code != second.manual_code
    assert len(first.manual_code) == patrolling.MANUAL_LENGTH
    assert set(first.manual_code) <= set(patrolling.MANUAL_ALPHABET)
    assert first.code_generation == 1
    assert patrolling.checkpoint_resolve(patrolling.checkpoint_url(first))[0] == first
    assert _verbs(first) == ["patrols.checkpoint_add"]


def test_a_place_of_another_campus_is_refused(org):
    route = _route(org)
    with pytest.raises(DomainError) as error:
        services.checkpoint_add(actor=org.users.staff, route_id=route.pk,
                                place_id=org.place_b.pk)
    assert error.value.field_errors == {"place": [
        "201室 is on campus 南校区, not on the route's campus 北校区."]}
    assert not Checkpoint.objects.exists()


@pytest.mark.parametrize(("lat", "lng", "field", "message"), [
    ("91", "103.9", "latitude", "The latitude must be between -90 and 90 degrees."),
    ("30.7", "-180.5", "longitude", "The longitude must be between -180 and 180 degrees."),
    ("north", "103.9", "latitude",
     "Enter the position in decimal degrees (WGS-84), not degrees and minutes."),
    ("30.7", "", "longitude", "Give both latitude and longitude, or neither."),
])
def test_a_position_out_of_range_is_refused(org, lat, lng, field, message):
    route = _route(org)
    with pytest.raises(DomainError) as error:
        services.checkpoint_add(actor=org.users.staff, route_id=route.pk,
                                place_id=org.place_a.pk, latitude=lat, longitude=lng)
    assert error.value.field_errors == {field: [message]}
    assert not Checkpoint.objects.exists()


def test_moving_checkpoints_renumbers_the_route_without_breaking_the_unique_order(org):
    built = build_route(org, checkpoints=4)
    a, b, c, d = built.checkpoints
    # gaps in the numbering (an earlier import) are closed by the first move
    Checkpoint.objects.filter(pk=d.pk).update(sequence=9)
    services.checkpoint_move(actor=org.users.staff, checkpoint_id=c.pk, direction="up")
    order = list(Checkpoint.objects.filter(route=built.route).order_by("sequence")
                 .values_list("pk", "sequence"))
    assert order == [(a.pk, 1), (c.pk, 2), (b.pk, 3), (d.pk, 4)]
    services.checkpoint_move(actor=org.users.staff, checkpoint_id=a.pk, direction="down")
    assert list(Checkpoint.objects.filter(route=built.route).order_by("sequence")
                .values_list("pk", flat=True)) == [c.pk, a.pk, b.pk, d.pk]
    entry = ActivityEntry.objects.filter(verb="patrols.checkpoint_move").order_by("id").first()
    assert (entry.target_id, entry.from_state, entry.to_state) == (c.pk, "3", "2")
    with pytest.raises(DomainError) as error:
        services.checkpoint_move(actor=org.users.staff, checkpoint_id=c.pk, direction="up")
    assert error.value.message == "This checkpoint is already first on the route."
    with pytest.raises(DomainError) as error:
        services.checkpoint_move(actor=org.users.staff, checkpoint_id=d.pk, direction="down")
    assert error.value.message == "This checkpoint is already last on the route."


def test_deactivating_a_checkpoint_takes_it_out_of_rounds_not_yet_open(org):
    built = build_route(org, checkpoints=3)
    gone = built.checkpoints[1]
    with clock.frozen(local(2026, 11, 30, 23, 0)):  # round 1 (22:00) is open, 2–4 are not
        shift = patrolling.shift_plan(schedule=built.schedule, day=MONDAY)
        services.checkpoint_update(actor=org.users.staff, checkpoint_id=gone.pk,
                                   latitude=gone.latitude, longitude=gone.longitude,
                                   radius_m=gone.radius_m, is_active=False)
    rounds = list(shift.rounds.order_by("sequence"))
    assert gone.pk in rounds[0].checkpoint_ids and rounds[0].checkpoints_expected == 3
    for round_ in rounds[1:]:
        assert gone.pk not in round_.checkpoint_ids and round_.checkpoints_expected == 2
    with pytest.raises(DomainError) as error:
        patrolling.checkpoint_resolve(patrolling.checkpoint_code(gone))
    assert error.value.code == "revoked_code"
    assert _verbs(gone) == ["patrols.checkpoint_deactivate"]
    entry = ActivityEntry.objects.get(verb="patrols.checkpoint_deactivate")
    assert entry.data == {"rounds_changed": 3}


def test_new_codes_for_a_route_revoke_every_printed_sticker(org):
    built = build_route(org, checkpoints=3)
    old = [(patrolling.checkpoint_url(c), c.manual_code) for c in built.checkpoints]
    assert services.route_rotate_codes(actor=org.users.staff, route_id=built.route.pk) == 3
    for (url, manual), checkpoint in zip(old, built.checkpoints, strict=True):
        checkpoint.refresh_from_db()
        assert checkpoint.code_generation == 2 and checkpoint.manual_code != manual
        with pytest.raises(DomainError) as error:
            patrolling.checkpoint_resolve(url)
        assert error.value.code == "revoked_code"
        with pytest.raises(DomainError) as error:
            patrolling.checkpoint_resolve(manual)
        assert error.value.code == "unknown_code"
        assert patrolling.checkpoint_resolve(patrolling.checkpoint_url(checkpoint))[0] == checkpoint
    assert _verbs(built.route) == ["patrols.rotate_route_codes"]


# --- schedules -------------------------------------------------------------------------------
def _schedule(org, route, **kwargs):
    arguments = {"name": "夜班", "starts_at": dt.time(22, 0), "ends_at": dt.time(6, 0),
                 "rounds": 4, "window_minutes": 30, "weekdays": ["1", "2", "3", "4", "5"],
                 "leader_id": org.users.staff.pk, "guard_ids": [org.users.guard.pk], **kwargs}
    return services.schedule_create(actor=org.users.staff, route_id=route.pk, **arguments)


def test_a_new_schedule_plans_todays_and_tomorrows_shifts(org):
    built = build_route(org, checkpoints=2)
    with clock.frozen(NOON):  # Monday
        schedule = _schedule(org, built.route, weekdays=["1", "3"])  # Mon and Wed only
    assert schedule.weekdays == "13"
    shifts = list(PatrolShift.objects.filter(schedule=schedule))
    assert [s.shift_date for s in shifts] == [MONDAY]  # Tuesday is not one of its days
    shift = shifts[0]
    assert shift.starts_at == local(2026, 11, 30, 22, 0)
    assert shift.ends_at == local(2026, 12, 1, 6, 0)  # overnight
    assert shift.leader == org.users.staff and list(shift.guards.all()) == [org.users.guard]
    assert shift.rounds.count() == 4
    assert _verbs(schedule) == ["patrols.schedule_create"]


def test_changing_a_schedule_leaves_planned_shifts_as_they_are(org):
    built = build_route(org, checkpoints=2)
    with clock.frozen(NOON):
        schedule = _schedule(org, built.route, weekdays=[str(d) for d in range(1, 8)])
        services.schedule_update(actor=org.users.staff, schedule_id=schedule.pk, name="夜班",
                                 starts_at="21:00", ends_at="05:00", rounds=2,
                                 window_minutes=60, weekdays=["1", "2"],
                                 leader_id=org.users.admin.pk, guard_ids=[])
    schedule.refresh_from_db()
    assert (schedule.starts_at, schedule.rounds, schedule.leader) == (
        dt.time(21, 0), 2, org.users.admin)
    shifts = PatrolShift.objects.filter(schedule=schedule).order_by("shift_date")
    assert [(s.starts_at, s.leader_id, s.rounds.count()) for s in shifts] == [
        (local(2026, 11, 30, 22, 0), org.users.staff.pk, 4),
        (local(2026, 12, 1, 22, 0), org.users.staff.pk, 4),
    ]
    entry = ActivityEntry.objects.get(verb="patrols.schedule_update")
    assert entry.data == {"changed": ["starts_at", "ends_at", "rounds", "window_minutes",
                                      "weekdays", "leader", "guards"]}


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"rounds": 4, "window_minutes": 150}, "window_minutes",
     "A 150-minute window does not fit: 4 rounds in this shift leave 120 minutes per round. "
     "Shorten the window or plan fewer rounds."),
    ({"starts_at": "08:00", "ends_at": "08:00", "rounds": 48, "window_minutes": 31},
     "window_minutes", "A 31-minute window does not fit: 48 rounds in this shift leave 30 "
     "minutes per round. Shorten the window or plan fewer rounds."),
    ({"window_minutes": 4}, "window_minutes", "A window is at least 5 minutes."),
    ({"rounds": 0}, "rounds", "Plan 1 to 48 rounds per shift."),
    ({"weekdays": []}, "weekdays", "Choose at least one weekday."),
    ({"weekdays": ["8"]}, "weekdays", "Weekdays are 1 (Monday) to 7 (Sunday)."),
    ({"starts_at": "25:00"}, "starts_at", "Give the time as hours and minutes, e.g. 22:00."),
    ({"name": ""}, "name", "Give the schedule a name, e.g. Night."),
])
def test_bad_schedules_are_refused_and_nothing_is_planned(org, kwargs, field, message):
    route = _route(org)
    services.checkpoint_add(actor=org.users.staff, route_id=route.pk, place_id=org.place_a.pk)
    with clock.frozen(NOON), pytest.raises(DomainError) as error:
        _schedule(org, route, **kwargs)
    assert error.value.field_errors == {field: [message]}
    assert not PatrolSchedule.objects.exists() and not PatrolShift.objects.exists()


def test_only_guards_and_office_staff_go_on_a_schedule(org):
    route = _route(org)
    with pytest.raises(DomainError) as error:
        _schedule(org, route, leader_id=org.users.student.pk,
                  guard_ids=[org.users.guard.pk, org.users.grid.pk])
    assert error.value.field_errors == {
        "leader": ["The shift leader must be a guard or a member of the office staff."],
        "guards": ["Only guards and office staff can be put on a shift."]}


def test_a_schedule_put_back_in_use_plans_its_shifts(org):
    built = build_route(org, checkpoints=2)
    with clock.frozen(NOON):
        schedule = _schedule(org, built.route, weekdays=list("1234567"))
        services.schedule_set_active(actor=org.users.staff, schedule_id=schedule.pk,
                                     active=False)
        PatrolShift.objects.filter(schedule=schedule).delete()
        services.schedule_set_active(actor=org.users.staff, schedule_id=schedule.pk, active=True)
    assert PatrolShift.objects.filter(schedule=schedule).count() == 2
    assert _verbs(schedule) == ["patrols.schedule_create", "patrols.schedule_deactivate",
                                "patrols.schedule_activate"]


# --- shifts ----------------------------------------------------------------------------------
def test_the_office_changes_one_shifts_people(org):
    built = build_route(org, checkpoints=2)
    with clock.frozen(NOON):
        shift = patrolling.shift_plan(schedule=built.schedule, day=MONDAY)
        services.shift_assign(actor=org.users.staff, shift_id=shift.pk,
                              leader_id=org.users.admin.pk,
                              guard_ids=[org.users.guard.pk, org.users.staff2.pk])
    shift.refresh_from_db()
    assert shift.leader == org.users.admin
    assert set(shift.guards.all()) == {org.users.guard, org.users.staff2}
    assert list(built.schedule.guards.all()) == [org.users.guard]  # the schedule stays
    entry = ActivityEntry.objects.get(verb="patrols.shift_assign")
    assert entry.data == {"leader": [org.users.staff.pk, org.users.admin.pk],
                          "guards_before": [org.users.guard.pk],
                          "guards_after": sorted([org.users.guard.pk, org.users.staff2.pk])}


def test_a_shift_that_is_over_cannot_be_changed(org):
    built = build_route(org, checkpoints=2)
    shift = patrolling.shift_plan(schedule=built.schedule, day=MONDAY)
    with clock.frozen(local(2026, 12, 1, 6, 0)), pytest.raises(DomainError) as error:
        services.shift_assign(actor=org.users.staff, shift_id=shift.pk, leader_id=None,
                              guard_ids=[])
    assert error.value.message == ("This shift is over: its guards and leader can no longer be "
                                   "changed.")
    assert shift.guards.count() == 1


# --- pages -----------------------------------------------------------------------------------
def _urls(built, shift):
    route, checkpoint = built.route.pk, built.checkpoints[0].pk
    return [
        ("get", reverse("patrols:route_list")),
        ("get", reverse("patrols:route_create")),
        ("get", reverse("patrols:route_edit", args=[route])),
        ("get", reverse("patrols:route_detail", args=[route])),
        ("get", reverse("patrols:checkpoint_add", args=[route])),
        ("get", reverse("patrols:checkpoint_edit", args=[checkpoint])),
        ("post", reverse("patrols:checkpoint_move", args=[checkpoint])),
        ("post", reverse("patrols:checkpoint_rotate", args=[checkpoint])),
        ("post", reverse("patrols:route_rotate_codes", args=[route])),
        ("get", reverse("patrols:schedule_create", args=[route])),
        ("get", reverse("patrols:schedule_edit", args=[built.schedule.pk])),
        ("post", reverse("patrols:schedule_set_active", args=[built.schedule.pk])),
        ("get", reverse("patrols:route_shifts", args=[route])),
        ("get", reverse("patrols:shift_assign", args=[shift.pk])),
        ("get", reverse("patrols:checkpoint_sheet", args=[checkpoint])),
        ("get", reverse("patrols:route_sheet", args=[route])),
    ]


def test_paths_are_under_patrols_setup_except_the_route_page(org):
    assert reverse("patrols:route_detail", args=[7]) == "/patrols/routes/7/"
    assert reverse("patrols:route_list") == "/patrols/setup/routes/"
    assert reverse("patrols:shift_assign", args=[3]) == "/patrols/setup/shifts/3/assign/"


def test_only_the_office_reaches_the_setup_pages(org, client):
    built = build_route(org, checkpoints=2)
    shift = patrolling.shift_plan(schedule=built.schedule, day=clock.local_today())
    before = list(Checkpoint.objects.order_by("pk").values_list("sequence", "code_generation"))
    for user in (org.users.guard, org.users.leadership, org.users.grid_head, org.users.student,
                 org.users.police):
        login(client, user)
        for method, url in _urls(built, shift):
            response = getattr(client, method)(url, {"direction": "down", "active": "0"})
            assert response.status_code == 403, (user.username, url)
    assert list(Checkpoint.objects.order_by("pk").values_list(
        "sequence", "code_generation")) == before
    client.logout()
    response = client.get(reverse("patrols:route_detail", args=[built.route.pk]))
    assert response.status_code == 302 and "/login" in response["Location"]
    login(client, org.users.staff)
    for method, url in _urls(built, shift):
        if method == "get":
            assert client.get(url).status_code == 200, url


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_route_list_filters_and_its_query_count_does_not_grow(org, client,
                                                                  django_assert_max_num_queries):
    build_route(org, checkpoints=2, code="r-north")
    south = services.route_create(actor=org.users.staff, campus_id=org.campus2.pk, code="r-south",
                                  name="南区巡逻")
    login(client, org.users.staff)
    url = reverse("patrols:route_list")
    few = _queries(client, url)
    for n in range(12):
        build_route(org, checkpoints=3, code=f"r-{n:02d}")
    assert _queries(client, url) == few
    with django_assert_max_num_queries(8):
        response = client.get(url)
    counts = {r.code: (r.checkpoint_count, r.schedule_count) for r in response.context["page"]}
    assert (counts["r-north"], counts["r-00"], counts["r-south"]) == ((2, 1), (3, 1), (0, 0))
    page = client.get(url, {"campus": org.campus2.pk}).context["page"]
    assert [r.code for r in page] == ["r-south"]
    services.route_update(actor=org.users.staff, route_id=south.pk, campus_id=org.campus2.pk,
                          code="r-south", name="南区巡逻", is_active=False)
    assert [r.code for r in client.get(url, {"campus": org.campus2.pk}).context["page"]] == []
    assert [r.code for r in client.get(url, {"active": "no"}).context["page"]] == ["r-south"]


def test_the_route_page_shows_checkpoints_schedules_and_shifts_in_fixed_queries(
        org, client, django_assert_max_num_queries):
    small = build_route(org, checkpoints=2, code="small")
    big = build_route(org, checkpoints=25, code="big")
    today = clock.local_today()
    for built in (small, big):
        patrolling.shift_plan(schedule=built.schedule, day=today)
    extra = PatrolSchedule.objects.create(route=big.route, name="Day", starts_at=dt.time(8),
                                          ends_at=dt.time(18), leader=org.users.admin)
    extra.guards.set([org.users.guard, org.users.staff2])
    patrolling.shift_plan(schedule=extra, day=today + dt.timedelta(days=1))
    login(client, org.users.staff)
    big_url = reverse("patrols:route_detail", args=[big.route.pk])
    assert _queries(client, big_url) == _queries(
        client, reverse("patrols:route_detail", args=[small.route.pk]))
    # session, user, roles, route, checkpoints, schedules (+ guards), shifts (+ guards), the
    # inbox badge and the menu's two permission reads
    with django_assert_max_num_queries(12):
        response = client.get(big_url)
    html = response.content.decode()
    assert big.checkpoints[24].manual_code in html and "Point 25" in html
    assert "Day · 08:00–18:00" in html and "Night · 22:00–06:00" in html
    assert [c.sequence for c in response.context["checkpoints"]] == list(range(1, 26))
    assert len(response.context["shifts"]) == 2


def test_creating_a_route_through_the_page(org, client):
    login(client, org.users.staff)
    url = reverse("patrols:route_create")
    data = {"campus": org.campus1.pk, "zone": org.zone1.pk, "code": "west", "name": "西区",
            "is_active": "on", "idempotency_key": "abcdef123456"}
    response = client.post(url, data)
    route = PatrolRoute.objects.get()
    assert response.status_code == 302 and response["Location"] == route.get_absolute_url()
    assert client.post(url, data).status_code == 302  # the same form again: still one route
    assert PatrolRoute.objects.count() == 1
    response = client.post(url, {**data, "idempotency_key": "abcdef654321"})
    assert response.status_code == 400
    assert "Another route already has the code west." in response.content.decode()
    assert PatrolRoute.objects.count() == 1


def test_the_route_form_marks_what_is_required_and_shows_every_error_at_once(org, client):
    login(client, org.users.staff)
    url = reverse("patrols:route_create")
    page = client.get(url).content.decode()
    # campus, code and name are marked and required; the code takes at most 32 characters
    for name in ("campus", "code", "name"):
        tag = page.split(f'name="{name}"')[1].split(">")[0]
        assert " required" in tag, (name, tag)
    assert 'maxlength="32"' in page.split('name="code"')[1].split(">")[0]
    assert 'maxlength="100"' in page.split('name="name"')[1].split(">")[0]
    # given nothing but a zone of the other campus than the one chosen, all errors show on
    # the first submit
    response = client.post(url, {"campus": "", "zone": org.zone1.pk, "code": "",
                                 "name": "", "idempotency_key": "route-key-0001"})
    assert response.status_code == 400
    assert {name: [str(m) for m in messages] for name, messages
            in response.context["form"].errors.items()} == {
        "campus": ["Choose the campus of the route."],
        "code": ["Give the route a short code, e.g. north-night."],
        "name": ["Give the route a name."]}
    # a missing name and a bad code and a zone of another campus together
    response = client.post(url, {"campus": org.campus2.pk, "zone": org.zone1.pk,
                                 "code": "bad code!", "name": "",
                                 "idempotency_key": "route-key-0002"})
    errors = {name: [str(m) for m in messages]
              for name, messages in response.context["form"].errors.items()}
    assert errors == {
        "name": ["Give the route a name."],
        "code": ["Use at most 32 letters, digits, dashes or underscores for the code."],
        "zone": [f"The zone {org.zone1.name} is not on campus {org.campus2.name}."]}
    assert not PatrolRoute.objects.exists()


def test_editing_a_route_with_an_error_does_not_call_its_own_code_taken(org, client):
    route = _route(org)
    login(client, org.users.staff)
    response = client.post(reverse("patrols:route_edit", args=[route.pk]), {
        "campus": org.campus1.pk, "code": route.code, "name": ""})
    errors = {name: [str(m) for m in messages]
              for name, messages in response.context["form"].errors.items()}
    assert errors == {"name": ["Give the route a name."]}


def test_adding_a_checkpoint_shows_the_place_and_position_errors_at_once(org, client):
    route = _route(org)
    login(client, org.users.staff)
    url = reverse("patrols:checkpoint_add", args=[route.pk])
    # no checkpoint on the campus has a position yet: the placeholders give the ranges
    page = client.get(url).content.decode()
    assert 'placeholder="−90 … 90"' in page and 'placeholder="−180 … 180"' in page
    response = client.post(url, {"place": "", "latitude": "91", "longitude": "",
                                 "radius_m": "x", "idempotency_key": "cp-key-000003"})
    assert response.status_code == 400
    html = response.content.decode()
    for message in ("Choose the place of the checkpoint.",
                    "The latitude must be between -90 and 90 degrees.",
                    "The allowed distance must be 10 to 5000 metres."):
        assert message in html, message
    assert not Checkpoint.objects.exists()


def test_the_position_placeholders_are_the_campus_own(org, client):
    built = build_route(org, checkpoints=2)
    login(client, org.users.staff)
    page = client.get(reverse("patrols:checkpoint_add", args=[built.route.pk])).content
    lat = sum(float(c.latitude) for c in built.checkpoints) / 2
    lon = sum(float(c.longitude) for c in built.checkpoints) / 2
    assert f'placeholder="{lat:.6f}"' in page.decode()
    assert f'placeholder="{lon:.6f}"' in page.decode()


def test_adding_a_checkpoint_by_searching_hundreds_of_places(org, client):
    route = _route(org)
    Place.objects.bulk_create([
        Place(campus=org.campus1, building=org.building_a, code=f"room-{n:03d}",
              name=f"房间{n:03d}") for n in range(300)])
    gate = Place.objects.create(campus=org.campus1, code="north-gate", name="北门")
    login(client, org.users.staff)
    url = reverse("patrols:checkpoint_add", args=[route.pk])
    page = client.get(url)
    assert len(page.context["places"]) == 30 and page.context["more"]
    assert "Showing the first 30 places" in page.content.decode()
    fragment = client.get(url, {"q": "北门"}, HTTP_HX_REQUEST="true")
    assert [p.pk for p in fragment.context["places"]] == [gate.pk]
    assert "<html" not in fragment.content.decode()
    by_building = client.get(url, {"q": "化学楼", "building": org.building_a.pk})
    assert len(by_building.context["places"]) == 30
    assert [p.code for p in client.get(url, {"q": "room-29"}).context["places"]] == [
        f"room-{n}" for n in range(290, 300)]
    # a place of the other campus is refused on the page too
    response = client.post(url, {"place": org.place_b.pk, "radius_m": 150,
                                 "idempotency_key": "cp-key-000001"})
    assert response.status_code == 400
    assert "201室 is on campus 南校区, not on the route&#x27;s campus 北校区." in (
        response.content.decode())
    response = client.post(url, {"place": gate.pk, "latitude": "30.76", "longitude": "103.98",
                                 "radius_m": 100, "idempotency_key": "cp-key-000002"})
    assert response.status_code == 302
    checkpoint = Checkpoint.objects.get()
    assert (checkpoint.place, checkpoint.radius_m) == (gate, 100)
    assert messages_of(response)[-1] == "Checkpoint 1, 北门, added."


def test_moving_and_rotating_through_the_page(org, client):
    built = build_route(org, checkpoints=3)
    login(client, org.users.staff)
    first, second = built.checkpoints[0], built.checkpoints[1]
    response = client.post(reverse("patrols:checkpoint_move", args=[second.pk]),
                           {"direction": "up"})
    assert response["Location"].endswith(f"/patrols/routes/{built.route.pk}/#checkpoints")
    second.refresh_from_db()
    assert second.sequence == 1
    response = client.post(reverse("patrols:checkpoint_move", args=[second.pk]),
                           {"direction": "up"})
    assert messages_of(response)[-1] == "This checkpoint is already first on the route."
    response = client.post(reverse("patrols:checkpoint_rotate", args=[first.pk]))
    first.refresh_from_db()
    assert first.code_generation == 2
    assert messages_of(response)[-1] == (
        "New code issued for 化学楼 Point 1 (generation 2): print its sheet and replace the "
        "sticker; the old one no longer works.")


def test_the_schedule_form_says_what_is_wrong(org, client):
    built = build_route(org, checkpoints=2)
    login(client, org.users.staff)
    url = reverse("patrols:schedule_create", args=[built.route.pk])
    data = {"name": "早班", "starts_at": "06:00", "ends_at": "08:00", "rounds": 2,
            "window_minutes": 90, "leader": org.users.staff.pk, "guards": [org.users.guard.pk],
            "idempotency_key": "schedule-key-01"}
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert ("A 90-minute window does not fit: 2 rounds in this shift leave 60 minutes per "
            "round. Shorten the window or plan fewer rounds.") in html
    assert "Choose at least one weekday." in html
    assert PatrolSchedule.objects.count() == 1  # the builder's
    with clock.frozen(NOON):
        response = client.post(url, {**data, "window_minutes": 20, "weekdays": ["1", "2"]})
    assert response.status_code == 302
    schedule = PatrolSchedule.objects.get(name="早班")
    assert (schedule.weekdays, schedule.window_minutes) == ("12", 20)
    assert PatrolShift.objects.filter(schedule=schedule).count() == 2
    edit = client.get(reverse("patrols:schedule_edit", args=[schedule.pk])).content.decode()
    assert 'value="06:00"' in edit and "already planned stay as they are" in edit


def test_the_shifts_page_and_changing_a_shift(org, client):
    built = build_route(org, checkpoints=2)
    today = clock.local_today()
    shift = patrolling.shift_plan(schedule=built.schedule, day=today)
    later = patrolling.shift_plan(schedule=built.schedule, day=today + dt.timedelta(days=3))
    patrolling.shift_plan(schedule=built.schedule, day=today + dt.timedelta(days=7))  # too far
    login(client, org.users.staff)
    response = client.get(reverse("patrols:route_shifts", args=[built.route.pk]))
    assert [s.pk for _day, shifts in response.context["days"] for s in shifts] == [
        shift.pk, later.pk]
    url = reverse("patrols:shift_assign", args=[later.pk])
    response = client.post(url, {"leader": org.users.student.pk, "guards": [org.users.guard.pk]})
    assert response.status_code == 400
    assert ("The shift leader must be a guard or a member of the office staff."
            in response.content.decode())
    response = client.post(url, {"leader": org.users.admin.pk,
                                 "guards": [org.users.staff2.pk]})
    assert response.status_code == 302
    later.refresh_from_db()
    assert later.leader == org.users.admin and list(later.guards.all()) == [org.users.staff2]
    assert _verbs(later) == ["patrols.shift_assign"]


def test_a_planned_round_keeps_its_checkpoints_when_one_is_added(org):
    built = build_route(org, checkpoints=2)
    with clock.frozen(NOON):
        shift = patrolling.shift_plan(schedule=built.schedule, day=MONDAY)
        services.checkpoint_add(actor=org.users.staff, route_id=built.route.pk,
                                place_id=org.place_a.pk)
    assert set(PatrolRound.objects.filter(shift=shift).values_list(
        "checkpoints_expected", flat=True)) == {2}
