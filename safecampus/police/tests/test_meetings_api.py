"""The meetings, actions and partners API: the same services and rules as the pages —
plan (idempotent), hold all-or-nothing, cancel, the agenda's carried actions with their live
state, action transitions with 409 on a forbidden edge, liaisons' 404s and 403s, partner
create/update by the office admin, query counts of the lists, and the schema's components."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safecampus.accounts.models import Membership, Role
from safecampus.api.tests.helpers import client_for
from safecampus.police.models import Meeting, MeetingAction, Partner

from .meetings_helpers import (
    campus_action,
    hold,
    local,
    plan,
    police,
    police_action,
)

FIXTURES = (police,)  # the helpers' fixtures, requested by name
pytestmark = pytest.mark.django_db
MEETINGS = "/api/v1/police/meetings/"
ACTIONS = "/api/v1/police/actions/"
PARTNERS = "/api/v1/police/partners/"


def test_plan_hold_and_follow_an_action_through_the_api(org, police):
    api = client_for(police.staff)
    first = plan(police.staff, partners=[police.station1])
    (earlier,) = hold(police.staff, first, [campus_action(org.unit_a)])
    body = {"kind": "joint", "title": "四月联席会议", "starts_at": "2026-03-02T09:00:00",
            "partners": [police.station1.pk], "agenda": ["通报"],
            "police_attendees": [police.liaison1.pk],
            "guests": [{"name": "李支队", "organisation": "文保支队"}]}
    response = api.post(MEETINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="plan-key-0001")
    assert response.status_code == 201, response.json()
    data = response.json()
    again = api.post(MEETINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="plan-key-0001")
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert [i["title"] for i in data["agenda"]][0] == "通报"
    carried = data["agenda"][1]["carried_action"]
    assert carried["id"] == earlier.pk and carried["live_state"] == "open"
    assert [a["name"] for a in data["attendees"]] == [str(police.liaison1), "李支队"]
    # Hold: one bad row refuses all
    bad = {"minutes": "纪要", "actions": [
        {"title": "巡逻", "side": "police", "due_on": "2026-03-20",
         "owner_partner": police.station1.pk},
        {"title": "照明", "side": "campus", "due_on": "2026-03-20"}]}
    response = api.post(f"{MEETINGS}{data['id']}/hold/", bad, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "Decision 2: choose the responsible unit."
    assert not MeetingAction.objects.filter(meeting_id=data["id"]).exists()
    bad["actions"][1]["owner_unit"] = org.unit_a.pk
    response = api.post(f"{MEETINGS}{data['id']}/hold/", bad, format="json")
    assert response.status_code == 200 and response.json()["state"] == "held"
    assert [a["number"] for a in response.json()["actions"]] == [1, 2]
    police_side = MeetingAction.objects.get(meeting_id=data["id"], number=1)
    # The liaison completes their partner's action; the office reopens it; a second reopen: 409
    liaison = client_for(police.liaison1)
    response = liaison.post(f"{ACTIONS}{police_side.pk}/progress/", {"progress": "巡逻中"})
    assert response.status_code == 200 and response.json()["progress"] == "巡逻中"
    response = liaison.post(f"{ACTIONS}{police_side.pk}/complete/", {"note": "已完成"})
    assert response.status_code == 200 and response.json()["state"] == "done"
    assert liaison.post(f"{ACTIONS}{police_side.pk}/reopen/",
                        {"reason": "x"}).status_code == 403
    assert api.post(f"{ACTIONS}{police_side.pk}/reopen/", {"reason": "未到位"}).status_code == 200
    response = api.post(f"{ACTIONS}{police_side.pk}/reopen/", {"reason": "again"})
    assert response.status_code == 409
    assert response.json()["detail"] == "This action is Open; that cannot be done to it now."
    assert api.post(f"{ACTIONS}{police_side.pk}/drop/", {"reason": ""}).status_code == 400
    assert api.post(f"{ACTIONS}{police_side.pk}/drop/", {"reason": "不再需要"}).json()[
        "state"] == "cancelled"


def test_cancel_and_liaison_visibility(org, police):
    theirs = plan(police.staff, partners=[police.station1])
    others = plan(police.staff, partners=[police.station2])
    (foreign,) = hold(police.staff, others, [police_action(police.station2)])
    liaison = client_for(police.liaison1)
    listed = liaison.get(MEETINGS).json()["results"]
    assert [m["id"] for m in listed] == [theirs.pk]
    assert liaison.get(f"{MEETINGS}{others.pk}/").status_code == 404
    assert liaison.get(f"{ACTIONS}{foreign.pk}/").status_code == 404
    assert liaison.post(f"{ACTIONS}{foreign.pk}/complete/", {"note": "x"}).status_code == 404
    assert liaison.post(MEETINGS, {}, format="json").status_code == 403
    assert liaison.post(f"{MEETINGS}{theirs.pk}/hold/", {"minutes": "x"}).status_code == 403
    assert liaison.post(f"{MEETINGS}{theirs.pk}/cancel/", {"reason": "x"}).status_code == 403
    api = client_for(police.staff)
    response = api.post(f"{MEETINGS}{theirs.pk}/cancel/", {"reason": "改期"})
    assert response.status_code == 200 and response.json()["cancel_reason"] == "改期"
    assert api.post(f"{MEETINGS}{theirs.pk}/cancel/", {"reason": "x"}).status_code == 409
    assert Meeting.objects.get(pk=theirs.pk).state == "cancelled"
    # A student sees no meetings and no actions
    student = client_for(org.users.student)
    assert student.get(MEETINGS).status_code == 403
    assert student.get(ACTIONS).status_code == 403


def test_action_list_filters_and_mine(org, police):
    a, b = hold(police.staff, plan(police.staff), [
        campus_action(org.unit_a, due_on=dt.date(2026, 3, 1)),
        police_action(police.station1, due_on=dt.date(2026, 3, 20))])
    api = client_for(police.staff)
    ids = [r["id"] for r in api.get(ACTIONS, {"overdue": "true"}).json()["results"]]
    assert ids == [a.pk]
    assert [r["live_state"] for r in api.get(ACTIONS).json()["results"]] == ["overdue", "open"]
    ids = [r["id"] for r in api.get(ACTIONS, {"side": "police"}).json()["results"]]
    assert ids == [b.pk]
    assert api.get(ACTIONS, {"mine": "true"}).json()["results"] == []
    contact = client_for(org.users.contact_a)
    assert [r["id"] for r in contact.get(ACTIONS).json()["results"]] == [a.pk]
    assert api.get(ACTIONS, {"partner": "x"}).status_code == 400


def test_partners_api(org, police):
    admin = client_for(police.admin)
    body = {"code": "fire", "name": "消防救援站", "kind": "fire_rescue",
            "campuses": [org.campus1.pk]}
    response = admin.post(PARTNERS, body, format="json", HTTP_IDEMPOTENCY_KEY="partner-key-1")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert admin.post(PARTNERS, body, format="json",
                      HTTP_IDEMPOTENCY_KEY="partner-key-1").status_code == 200
    response = admin.post(PARTNERS, {**body, "code": "st1", "name": "x"}, format="json")
    assert response.status_code == 400 and response.json()["detail"] == (
        "Another partner has this code.")
    response = admin.put(f"{PARTNERS}{police.station1.pk}/", {
        "code": "st1", "name": "北派出所", "kind": "police_station",
        "campuses": [org.campus1.pk, org.campus2.pk]}, format="json")
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["campuses"]] == [org.campus1.pk, org.campus2.pk]
    assert set(Membership.objects.filter(user=police.liaison1, role=Role.POLICE_LIAISON)
               .values_list("campus_id", flat=True)) == {org.campus1.pk, org.campus2.pk}
    assert client_for(police.staff).post(PARTNERS, body, format="json").status_code == 403
    liaison = client_for(police.liaison1)
    assert [p["code"] for p in liaison.get(PARTNERS).json()["results"]] == ["st1"]
    assert liaison.get(f"{PARTNERS}{pk}/").status_code == 404
    assert Partner.objects.filter(code="fire").count() == 1


def test_api_list_query_counts_are_flat(org, police):
    api = client_for(org.users.leadership)

    def queries(url):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        return len(ctx)

    urls = [MEETINGS, ACTIONS, PARTNERS]
    hold(police.staff, plan(police.staff, partners=[police.station1]),
         [campus_action(org.unit_a)])
    few = [queries(url) for url in urls]
    for n in range(5):
        hold(police.staff, plan(police.staff, partners=[police.station1, police.station2],
                                starts_at=local(2026, 3, 1, 15 + n)),
             [campus_action(org.unit_a, owner=org.users.contact_a),
              police_action(police.station2)])
    assert [queries(url) for url in urls] == few


def test_put_edits_a_planned_meeting_and_action_states_read_as_supervised_work(org, police):
    api = client_for(police.staff)
    first = plan(police.staff, partners=[police.station2])
    (south,) = hold(police.staff, first, [police_action(police.station2)])
    later = plan(police.staff, starts_at=local(2026, 4, 1, 14), partners=[police.station1])
    body = {"kind": "joint", "title": "四月联席会议", "starts_at": "2026-04-01T14:00:00",
            "partners": [police.station1.pk, police.station2.pk]}
    response = api.put(f"{MEETINGS}{later.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert [i["carried_action"]["id"] for i in data["agenda"]] == [south.pk]
    chinese = client_for(police.staff, language="zh-hans").get(f"{MEETINGS}{later.pk}/").json()
    assert chinese["agenda"][0]["carried_action"]["state_display"] == "办理中"
    body["partners"] = []
    response = api.put(f"{MEETINGS}{later.pk}/", body, format="json")
    assert response.status_code == 400
    assert client_for(police.liaison1).put(f"{MEETINGS}{later.pk}/", body,
                                           format="json").status_code == 403


def test_hold_api_words_a_bad_row_like_the_page(org, police):
    meeting = plan(police.staff, partners=[police.station1])
    api = client_for(police.staff)
    response = api.post(f"{MEETINGS}{meeting.pk}/hold/", {"minutes": "纪要", "actions": [
        {"title": "巡逻", "side": "police", "due_on": "2026-03-20",
         "owner_partner": police.station1.pk},
        {"title": "照明", "side": "campus", "due_on": "明天"}]}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("Decision 2: Complete by: Date has wrong format")
    assert "ErrorDetail" not in str(body) and "{" not in body["detail"]


def test_a_liaison_gets_no_content_of_a_carried_action_they_may_not_see(org, police):
    internal = plan(police.staff, title="内部研判会")
    (secret,) = hold(police.staff, internal, [campus_action(org.unit_a, title="内部整改事项")])
    joint = plan(police.staff, starts_at=local(2026, 4, 1, 14), partners=[police.station2])
    data = client_for(police.liaison2).get(f"{MEETINGS}{joint.pk}/").json()
    item = data["agenda"][0]
    assert item["hidden_action"] is True and item["carried_action"] is None
    assert item["title"] == "An action decided at another meeting"
    assert "内部" not in str(data)
    office = client_for(police.staff).get(f"{MEETINGS}{joint.pk}/").json()
    assert office["agenda"][0]["carried_action"]["id"] == secret.pk
