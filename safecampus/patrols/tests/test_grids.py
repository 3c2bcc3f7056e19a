"""Grids (网格): the office assigns grid heads, officers and buildings; grid officers log
visits on their phones and report hazards found on them; who sees which grid and whose
phone numbers; the dashboard's figures across local midnight; query counts that do not grow.
"""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safecampus.accounts.models import Membership, Role
from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.hazards.models import Hazard, Source
from safecampus.hazards.services import hazard_report
from safecampus.organisation.models import Place
from safecampus.patrols.models import GridVisit, Incident
from safecampus.patrols.selectors import grids as selectors
from safecampus.patrols.services import grids as services
from safecampus.tests.factories import (
    BuildingFactory,
    PlaceFactory,
    ZoneFactory,
    user_with_role,
)

from .helpers import local, login, messages_of

pytestmark = pytest.mark.django_db

NOW = local(2026, 3, 20, 15, 0)


@pytest.fixture
def grids(org):
    """Zone 1 (org's, building A1 with its lab) and zone 2 on campus 1 with its own building,
    place and officer; org.users.grid / grid_head are zone 1's officer and head."""
    zone2 = ZoneFactory(campus=org.campus1, code="n-grid-2", name="北二网格")
    building2 = BuildingFactory(campus=org.campus1, zone=zone2, code="c1", name="三号学生公寓")
    place2 = PlaceFactory(building=building2, campus=org.campus1, zone=zone2, code="c1-301",
                          name="301宿舍", kind=Place.Kind.DORMITORY)
    officer2 = user_with_role(Role.GRID_OFFICER, zone=zone2, username="grid2")
    org.users.grid.phone = "13800000001"
    org.users.grid.save()
    org.users.grid_head.phone = "13800000002"
    org.users.grid_head.save()
    org.zone2, org.building2, org.place2, org.users.grid2 = zone2, building2, place2, officer2
    return org


def visit(org, *, officer=None, zone=None, at=NOW, **kwargs):
    with clock.frozen(NOW if at <= NOW else at):
        return services.grid_visit_log(actor=officer or org.users.grid,
                                       zone_id=(zone or org.zone1).pk, visited_at=at, **kwargs)


# --- the office's assignments -----------------------------------------------------------------
def test_office_assigns_and_removes_grid_members_with_timeline(grids):
    org = grids
    staff, person = org.users.staff, org.users.staff2
    # when the office makes staff2 an officer of zone 2, twice
    first = services.grid_member_assign(actor=staff, zone_id=org.zone2.pk, user_id=person.pk,
                                        role=Role.GRID_OFFICER)
    again = services.grid_member_assign(actor=staff, zone_id=org.zone2.pk, user_id=person.pk,
                                        role=Role.GRID_OFFICER)
    # then one membership and one timeline entry
    assert first.pk == again.pk
    assert Membership.objects.filter(user=person, role=Role.GRID_OFFICER, zone=org.zone2).count() == 1
    entries = [(e.verb, e.data["role"], e.actor) for e in activity_for(org.zone2)]
    assert entries == [("patrols.grid_member_assign", Role.GRID_OFFICER, staff)]
    # when removed, then gone and recorded
    services.grid_member_remove(actor=staff, membership_id=first.pk)
    assert not Membership.objects.filter(pk=first.pk).exists()
    assert [e.verb for e in activity_for(org.zone2)][-1] == "patrols.grid_member_remove"
    # removing again, or a membership that is no grid role, is refused clearly
    with pytest.raises(DomainError, match="This person is no longer on the grid."):
        services.grid_member_remove(actor=staff, membership_id=first.pk)
    contact = Membership.objects.get(user=org.users.contact_a)
    with pytest.raises(DomainError, match="This person is no longer on the grid."):
        services.grid_member_remove(actor=staff, membership_id=contact.pk)
    assert Membership.objects.filter(pk=contact.pk).exists()


def test_only_the_office_assigns_and_only_grid_roles(grids):
    org = grids
    for actor in (org.users.grid_head, org.users.grid, org.users.leadership):
        with pytest.raises(NotAllowed):
            services.grid_member_assign(actor=actor, zone_id=org.zone1.pk,
                                        user_id=org.users.staff2.pk, role=Role.GRID_OFFICER)
        with pytest.raises(NotAllowed):
            services.grid_building_assign(actor=actor, building_id=org.building2.pk,
                                          zone_id=org.zone1.pk)
    with pytest.raises(DomainError, match="Choose grid head or grid officer."):
        services.grid_member_assign(actor=org.users.admin, zone_id=org.zone1.pk,
                                    user_id=org.users.staff2.pk, role=Role.OFFICE_ADMIN)
    with pytest.raises(DomainError, match="Choose a grid from the list."):
        services.grid_member_assign(actor=org.users.admin, zone_id=999999,
                                    user_id=org.users.staff2.pk, role=Role.GRID_HEAD)
    assert not Membership.objects.filter(user=org.users.staff2).exclude(
        role=Role.OFFICE_STAFF).exists()


def test_building_moves_to_another_grid_with_the_places_that_followed_it(grids):
    org = grids
    own = PlaceFactory(building=org.building_a, campus=org.campus1, zone=org.zone2,
                       code="a1-own", name="自管点位")
    loose = PlaceFactory(building=org.building_a, campus=org.campus1, zone=None,
                         code="a1-loose", name="走廊")
    # when building A1 moves from zone 1 to zone 2
    services.grid_building_assign(actor=org.users.staff, building_id=org.building_a.pk,
                                  zone_id=org.zone2.pk)
    org.building_a.refresh_from_db()
    assert org.building_a.zone == org.zone2
    # then its lab (zone 1) and the corridor (no zone) follow; a place with its own grid stays
    assert Place.objects.get(pk=org.place_a.pk).zone == org.zone2
    assert Place.objects.get(pk=loose.pk).zone == org.zone2
    assert Place.objects.get(pk=own.pk).zone == org.zone2
    entry = list(activity_for(org.building_a))[-1]
    assert (entry.verb, entry.from_state, entry.to_state, entry.data) == (
        "patrols.grid_building_assign", str(org.zone1.pk), str(org.zone2.pk), {"places": 2})
    # a building of another campus cannot join the grid
    with pytest.raises(DomainError, match="机械楼 is not on the campus of 北二网格."):
        services.grid_building_assign(actor=org.users.staff, building_id=org.building_b.pk,
                                      zone_id=org.zone2.pk)
    # and to no grid
    services.grid_building_assign(actor=org.users.staff, building_id=org.building_a.pk,
                                  zone_id=None)
    assert Place.objects.get(pk=org.place_a.pk).zone is None


# --- visits ------------------------------------------------------------------------------------
def test_officer_logs_a_visit_in_his_grid_once_per_key(grids):
    org = grids
    kwargs = {"building_id": org.building_a.pk, "kind": GridVisit.Kind.DORMITORY,
              "community": "化学楼 3 层", "people_met": 6, "findings": "走廊堆放纸箱",
              "needs_follow_up": True, "idempotency_key": "visit-key-0001"}
    first = visit(org, at=NOW - dt.timedelta(hours=2), **kwargs)
    second = visit(org, at=NOW - dt.timedelta(hours=2), **kwargs)
    assert first.pk == second.pk and GridVisit.objects.count() == 1
    assert (first.officer, first.zone, first.building, first.people_met) == (
        org.users.grid, org.zone1, org.building_a, 6)
    assert [e.verb for e in activity_for(first)] == ["patrols.grid_visit_log"]


def test_officer_of_one_grid_cannot_log_a_visit_in_another(grids):
    org = grids
    with pytest.raises(NotAllowed, match="You can only log visits in your own grid."):
        visit(org, officer=org.users.grid, zone=org.zone2)
    with pytest.raises(NotAllowed):
        visit(org, officer=org.users.student)
    # the office logs anywhere
    assert visit(org, officer=org.users.staff, zone=org.zone2).officer == org.users.staff
    assert GridVisit.objects.count() == 1


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"at": NOW + dt.timedelta(minutes=10)}, "visited_at",
     "The time of the visit cannot be in the future."),
    ({"at": NOW - dt.timedelta(days=31)}, "visited_at",
     "Visits are logged within 30 days; ask the office to record older ones."),
    ({"kind": "party"}, "kind", "Choose what kind of visit it was."),
    ({"people_met": -1}, "people_met", "Give a number from 0 to 1000."),
    ({"needs_follow_up": True}, "findings", "Say what needs following up."),
    ({"community": "x" * 121}, "community", "At most 120 characters."),
])
def test_bad_visits_are_refused_and_nothing_is_written(grids, kwargs, field, message):
    org = grids
    at = kwargs.pop("at", NOW)
    with clock.frozen(NOW), pytest.raises(DomainError) as caught:
        services.grid_visit_log(actor=org.users.grid, zone_id=org.zone1.pk, visited_at=at,
                                **kwargs)
    assert caught.value.field_errors == {field: [message]}
    assert not GridVisit.objects.exists()


def test_building_must_belong_to_the_grid(grids):
    org = grids
    with clock.frozen(NOW), pytest.raises(DomainError) as caught:
        services.grid_visit_log(actor=org.users.grid, zone_id=org.zone1.pk,
                                building_id=org.building2.pk)
    assert caught.value.field_errors == {"building": ["Choose a building of this grid."]}


def test_hazard_found_on_a_visit_links_back_to_it(grids, client):
    org = grids
    record = visit(org, building_id=org.building_a.pk, community="化学楼")
    with clock.frozen(NOW):
        hazard = services.grid_visit_hazard_report(
            actor=org.users.grid, visit_id=record.pk, title="消防通道堆放杂物",
            category_id=org.fire.pk, idempotency_key="hazard-key-0001")
        again = services.grid_visit_hazard_report(
            actor=org.users.grid, visit_id=record.pk, title="消防通道堆放杂物",
            category_id=org.fire.pk, idempotency_key="hazard-key-0001")
    # then one hazard, a patrol finding (not "found by the office"), in the grid, with the
    # visit as source
    assert hazard.pk == again.pk and Hazard.objects.count() == 1
    assert (hazard.source, hazard.zone, hazard.building, hazard.location_text) == (
        Source.PATROL, org.zone1, org.building_a, "化学楼")
    assert (hazard.source_type, hazard.source_id) == (
        ContentType.objects.get_for_model(GridVisit), record.pk)
    assert [e.verb for e in activity_for(record)] == ["patrols.grid_visit_log",
                                                      "patrols.grid_visit_hazard"]
    # and the visit page lists it; the hazard page links back to the visit
    login(client, org.users.grid)
    page = client.get(reverse("patrols:grid_visit_detail", args=[record.pk])).content.decode()
    hazard_url = reverse("hazards:detail", args=[hazard.pk])
    assert hazard_url in page and "消防通道堆放杂物" in page
    hazard_page = client.get(hazard_url).content.decode()
    assert record.get_absolute_url() in hazard_page
    # a place of another grid is refused; another grid's officer may not report from it
    with pytest.raises(DomainError, match="Choose a place of this grid."):
        services.grid_visit_hazard_report(actor=org.users.grid, visit_id=record.pk, title="x",
                                          category_id=org.fire.pk, place_id=org.place2.pk)
    with pytest.raises(DomainError, match="Grid visit not found."):
        services.grid_visit_hazard_report(actor=org.users.grid2, visit_id=record.pk, title="x",
                                          category_id=org.fire.pk)
    assert Hazard.objects.count() == 1


def test_visit_form_on_a_phone_then_hazard_form(grids, client):
    org = grids
    login(client, org.users.grid)
    url = reverse("patrols:grid_visit_create")
    with clock.frozen(NOW):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        # his one grid is preselected, only its buildings are offered
        assert f'<option value="{org.zone1.pk}" selected>' in html
        assert "化学楼" in html and "三号学生公寓" not in html
        assert 'value="2026-03-20T15:00"' in html
        key = page.context["form"].initial["idempotency_key"]
        data = {"zone": org.zone1.pk, "building": org.building_a.pk, "kind": "routine",
                "visited_at": "2026-03-20T23:00", "people_met": "3", "findings": "",
                "idempotency_key": key}
        bad = client.post(url, data)
        assert bad.status_code == 400
        assert "The time of the visit cannot be in the future." in bad.content.decode()
        data.update(visited_at="2026-03-20T14:30", found_hazard="on", findings="楼道灯不亮")
        done = client.post(url, data)
        client.post(url, data)  # a double tap
    saved = GridVisit.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("patrols:grid_visit_hazard", args=[saved.pk])
    assert saved.visited_at == local(2026, 3, 20, 14, 30)
    with clock.frozen(NOW):
        form = client.get(done["Location"])
        assert form.status_code == 200
        reported = client.post(done["Location"], {
            "title": "楼道照明损坏", "category": org.electrical.pk, "building": org.building_a.pk,
            "description": "楼道灯不亮", "idempotency_key": "hazard-form-key-1"})
    assert reported.status_code == 302
    hazard = Hazard.objects.get()
    assert messages_of(reported)[-1] == f"Hazard {hazard.reference} reported from this visit."
    # another grid's officer cannot open the visit nor its hazard form
    login(client, org.users.grid2)
    assert client.get(reverse("patrols:grid_visit_detail", args=[saved.pk])).status_code == 404
    assert client.get(done["Location"]).status_code == 404
    # and is refused when posting a visit in grid 1
    with clock.frozen(NOW):
        refused = client.post(url, {**data, "idempotency_key": "other-key-0001"})
    assert refused.status_code == 400
    assert GridVisit.objects.count() == 1


# --- who sees what -------------------------------------------------------------------------------
def test_phone_numbers_only_for_the_office_and_the_grids_members(grids, client):
    org = grids
    url = reverse("patrols:grid_detail", args=[org.zone1.pk])
    for user, sees_page, sees_phone in [
        (org.users.staff, True, True), (org.users.grid, True, True),
        (org.users.grid_head, True, True), (org.users.leadership, True, False),
        (org.users.grid2, False, False), (org.users.guard, False, False),
        (org.users.student, False, False),
    ]:
        login(client, user)
        response = client.get(url)
        assert response.status_code == (200 if sees_page else 404), user
        if sees_page:
            assert ("13800000001" in response.content.decode()) is sees_phone, user
    # zone 2's officer sees his own grid only, in the roster too
    login(client, org.users.grid2)
    roster = client.get(reverse("patrols:grid_list"))
    assert [z.pk for z in roster.context["page"]] == [org.zone2.pk]
    login(client, org.users.student)
    assert client.get(reverse("patrols:grid_list")).status_code == 403
    assert client.get(reverse("patrols:grid_dashboard")).status_code == 403


def test_visit_list_mine_for_officers_grid_for_heads_all_for_the_office(grids, client):
    org = grids
    mine = visit(org)
    other = visit(org, officer=org.users.staff)
    elsewhere = visit(org, officer=org.users.grid2, zone=org.zone2)
    assert set(selectors.grid_visit_list_visible_to(org.users.grid)) == {mine}
    assert set(selectors.grid_visit_list_visible_to(org.users.grid_head)) == {mine, other}
    assert set(selectors.grid_visit_list_visible_to(org.users.staff)) == {mine, other, elsewhere}
    login(client, org.users.staff)
    page = client.get(reverse("patrols:grid_visit_list"), {"zone": org.zone2.pk})
    assert list(page.context["page"]) == [elsewhere]
    # a visit page opens for those who see it in the list, not for the grid's other officers
    for user, opens in [(org.users.grid, False), (org.users.grid_head, True),
                        (org.users.staff, True), (org.users.grid2, False)]:
        login(client, user)
        response = client.get(reverse("patrols:grid_visit_detail", args=[other.pk]))
        assert response.status_code == (200 if opens else 404), user


def test_office_assigns_through_the_grid_page(grids, client):
    org = grids
    login(client, org.users.staff)
    response = client.post(reverse("patrols:grid_member_add", args=[org.zone2.pk]),
                           {"user": org.users.staff2.username, "role": Role.GRID_HEAD})
    assert response.status_code == 302
    assert Membership.objects.filter(user=org.users.staff2, role=Role.GRID_HEAD,
                                     zone=org.zone2).exists()
    unknown = client.post(reverse("patrols:grid_member_add", args=[org.zone2.pk]),
                          {"user": "nobody", "role": Role.GRID_HEAD})
    assert messages_of(unknown)[-1] == "No user with this username or staff number."
    client.post(reverse("patrols:grid_building_add", args=[org.zone2.pk]),
                {"building": org.building_a.pk})
    org.building_a.refresh_from_db()
    assert org.building_a.zone == org.zone2
    login(client, org.users.grid_head)
    assert client.post(reverse("patrols:grid_building_add", args=[org.zone1.pk]),
                       {"building": org.building2.pk}).status_code == 403


# --- dashboard ---------------------------------------------------------------------------------
def _incident(place, at, sequence):
    return Incident.objects.create(year=at.year, sequence=sequence, category="theft",
                                   reported_at=at, occurred_at=at, place=place,
                                   campus=place.campus)


def test_dashboard_counts_by_local_days_across_midnight(grids, client):
    org = grids
    march_first = local(2026, 3, 1, 0, 0)  # 2026-02-28 16:00 UTC
    april_first = local(2026, 4, 1, 0, 0)
    second = dt.timedelta(seconds=1)
    for at in (march_first - second, march_first, april_first - second, april_first):
        with clock.frozen(at + dt.timedelta(hours=1)):
            services.grid_visit_log(actor=org.users.grid, zone_id=org.zone1.pk, visited_at=at)
    with clock.frozen(local(2026, 3, 20, 9, 0)):
        services.grid_visit_log(actor=org.users.grid2, zone_id=org.zone2.pk,
                                visited_at=march_first + dt.timedelta(days=3),
                                needs_follow_up=True, findings="门禁损坏", people_met=4)
    for at in (march_first - second, march_first, april_first - second, april_first):
        with clock.frozen(at):
            hazard_report(reporter=org.users.student, title="灭火器过期", category_id=org.fire.pk,
                          place_id=org.place_a.pk)
    for n, at in enumerate((march_first - second, april_first - second, april_first), start=1):
        _incident(org.place2, at, n)
    board = selectors.grid_dashboard(org.users.staff, date_from=dt.date(2026, 3, 1),
                                     date_to=dt.date(2026, 3, 31))
    rows = {r["zone"].pk: r for r in board.rows}
    assert {k: rows[org.zone1.pk][k] for k in ("visits", "hazards", "incidents")} == {
        "visits": 2, "hazards": 2, "incidents": 0}
    assert {k: rows[org.zone2.pk][k] for k in ("visits", "follow_ups", "people_met",
                                               "hazards", "incidents")} == {
        "visits": 1, "follow_ups": 1, "people_met": 4, "hazards": 0, "incidents": 1}
    assert board.totals == {"visits": 3, "follow_ups": 1, "people_met": 4, "hazards": 2,
                            "incidents": 1}
    # a grid officer's dashboard shows his grid only
    own = selectors.grid_dashboard(org.users.grid2, date_from=dt.date(2026, 3, 1),
                                   date_to=dt.date(2026, 3, 31))
    assert [r["zone"] for r in own.rows] == [org.zone2]
    # the page: default period is this local month (2 April → 1–2 April)
    login(client, org.users.staff)
    with clock.frozen(local(2026, 4, 2, 9, 0)):
        page = client.get(reverse("patrols:grid_dashboard"))
        chosen = client.get(reverse("patrols:grid_dashboard"),
                            {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    assert (page.context["board"].date_from, page.context["board"].date_to) == (
        dt.date(2026, 4, 1), dt.date(2026, 4, 2))
    assert page.context["board"].totals["visits"] == 1
    assert chosen.context["board"].totals == board.totals
    html = chosen.content.decode()
    assert 'data-chart="grid-chart"' in html and 'id="grid-chart"' in html
    assert "<script>" not in html.replace('<script id="grid-chart" type="application/json">', "")


def test_officers_without_a_visit_in_14_days_are_highlighted(grids):
    org = grids
    with clock.frozen(NOW):
        services.grid_visit_log(actor=org.users.grid, zone_id=org.zone1.pk,
                                visited_at=NOW - dt.timedelta(days=13, hours=23))
        services.grid_visit_log(actor=org.users.grid2, zone_id=org.zone2.pk,
                                visited_at=NOW - dt.timedelta(days=14, minutes=1))
        quiet = user_with_role(Role.GRID_OFFICER, zone=org.zone1, username="grid3")
        board = selectors.grid_dashboard(org.users.staff, date_from=dt.date(2026, 3, 1),
                                         date_to=dt.date(2026, 3, 31))
    assert [(m.user.username, m.idle) for m in board.officers] == [
        (quiet.username, True), ("grid2", True), ("grid1", False)]


def test_grid_page_months_and_incidents(grids, client):
    org = grids
    with clock.frozen(NOW):
        services.grid_visit_log(actor=org.users.grid, zone_id=org.zone1.pk,
                                visited_at=local(2026, 3, 1, 0, 30))
    _incident(org.place_a, local(2026, 2, 28, 23, 30), 1)
    _incident(org.place_a, local(2026, 3, 1, 0, 30), 2)
    with clock.frozen(NOW):
        months = selectors.grid_monthly(org.users.staff, org.zone1)
    assert [m["month"] for m in months] == [dt.date(2025, 10, 1), dt.date(2025, 11, 1),
                                            dt.date(2025, 12, 1), dt.date(2026, 1, 1),
                                            dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    assert [(m["visits"], m["incidents"]) for m in months[-2:]] == [(0, 1), (1, 1)]
    login(client, org.users.staff)
    assert "JQ2026-00002" in client.get(reverse("patrols:grid_detail",
                                                args=[org.zone1.pk])).content.decode()
    # the grid's officer sees the counts, not the incident records
    login(client, org.users.grid)
    page = client.get(reverse("patrols:grid_detail", args=[org.zone1.pk]))
    assert "JQ2026-00002" not in page.content.decode()
    assert page.context["incidents"] == []


# --- query counts ------------------------------------------------------------------------------
def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _more_grids(org, n):
    for i in range(n):
        zone = ZoneFactory(campus=org.campus1, code=f"extra-{i}", name=f"网格{i}")
        building = BuildingFactory(campus=org.campus1, zone=zone, code=f"x{i}", name=f"{i}号楼")
        place = PlaceFactory(building=building, campus=org.campus1, zone=zone, code=f"x{i}-1")
        officer = user_with_role(Role.GRID_OFFICER, zone=zone, username=f"extra{i}")
        user_with_role(Role.GRID_HEAD, zone=zone, username=f"head{i}")
        with clock.frozen(NOW):
            services.grid_visit_log(actor=officer, zone_id=zone.pk, building_id=building.pk)
            hazard_report(reporter=officer, title="隐患", category_id=org.fire.pk,
                          place_id=place.pk)
        _incident(place, NOW, 100 + i)


def test_grid_pages_query_counts_do_not_grow(grids, client, django_assert_max_num_queries):
    org = grids
    visit(org)
    login(client, org.users.staff)
    urls = [reverse("patrols:grid_list"), reverse("patrols:grid_dashboard"),
            reverse("patrols:grid_visit_list"),
            reverse("patrols:grid_detail", args=[org.zone1.pk])]
    with clock.frozen(NOW):
        for url in urls:
            client.get(url)  # warm the session
        before = [_queries(client, url) for url in urls]
        _more_grids(org, 6)
        visit(org, building_id=org.building_a.pk)
        after = [_queries(client, url) for url in urls]
    assert after == before
    with django_assert_max_num_queries(12), clock.frozen(NOW):
        client.get(urls[0])
    with django_assert_max_num_queries(12), clock.frozen(NOW):
        client.get(urls[1])


def test_a_dashboard_period_that_has_not_started_is_refused(grids, client):
    org = grids
    login(client, org.users.grid)
    with clock.frozen(NOW):
        page = client.get(reverse("patrols:grid_dashboard"),
                          {"date_from": "2030-01-01", "date_to": "2030-01-31"})
    assert page.status_code == 200
    assert page.context["form"].errors["date_from"] == [
        "This period has not started yet; choose a period up to today."]
    assert page.context["board"].date_from == dt.date(2026, 3, 1)  # the default: this month
