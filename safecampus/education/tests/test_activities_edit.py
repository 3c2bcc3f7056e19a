"""Editing a planned activity: the service (fields, groups, position; refused when held or
cancelled and for a unit contact who did not organise it; bad input changes nothing), the
edit page, the detail page's Edit button, and PATCH/PUT on the API."""
# ruff: noqa: F811  (fixtures imported from activity_helpers)

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from safecampus.api.tests.helpers import client_for
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.education.models import Activity, Partner
from safecampus.education.services import activities as services
from safecampus.tests.pages import login, messages_of

from .activity_helpers import edu, english, hold, local, plan  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")
API = "/api/v1/education/activities/"


def _snapshot(activity: Activity) -> tuple:
    activity = Activity.objects.get(pk=activity.pk)
    return (activity.title, activity.starts_at, activity.ends_at, activity.location,
            activity.latitude, activity.longitude, activity.sign_in_radius_m,
            sorted(activity.buildings.values_list("pk", flat=True)),
            sorted(activity.colleges.values_list("pk", flat=True)),
            sorted(activity.class_groups.values_list("pk", flat=True)), activity.updated_at)


def test_the_organiser_edits_title_time_groups_and_position(edu, org):
    activity = plan(edu.counsellor, colleges=[org.unit_a], buildings=[edu.dorms[0]])
    starts = local(2026, 12, 3, 19)
    services.activity_update(actor=edu.counsellor, activity_id=activity.pk, changes={
        "title": " 反诈进宿舍（改） ", "starts_at": starts, "ends_at": starts + dt.timedelta(hours=2),
        "building_ids": [edu.dorms[1].pk], "class_ids": [edu.classes[0].pk],
        "latitude": "34.25", "longitude": "108.98", "sign_in_radius_m": "150"})
    activity.refresh_from_db()
    assert activity.title == "反诈进宿舍（改）"
    assert (activity.starts_at, activity.ends_at) == (starts, starts + dt.timedelta(hours=2))
    assert list(activity.buildings.all()) == [edu.dorms[1]]
    assert list(activity.class_groups.all()) == [edu.classes[0]]
    assert list(activity.colleges.all()) == [org.unit_a]  # not named: kept
    assert (activity.latitude, activity.longitude, activity.sign_in_radius_m) == (
        Decimal("34.25"), Decimal("108.98"), 150)
    assert activity.state == Activity.State.PLANNED
    entries = [e for e in activity_for(activity) if e.verb == "education.activity_update"]
    assert len(entries) == 1
    assert entries[0].actor == edu.counsellor
    assert entries[0].data["changed"] == sorted([
        "title", "starts_at", "ends_at", "buildings", "class_groups", "latitude", "longitude",
        "sign_in_radius_m"])
    # the office may edit it too; an edit that changes nothing writes no entry
    services.activity_update(actor=edu.staff, activity_id=activity.pk,
                             changes={"title": "反诈进宿舍（改）"})
    assert len([e for e in activity_for(activity)
                if e.verb == "education.activity_update"]) == 1


@pytest.mark.parametrize("end", ["hold", "cancel"])
def test_a_held_or_cancelled_activity_cannot_be_edited(edu, org, end):
    activity = plan(edu.staff, colleges=[org.unit_a])
    if end == "hold":
        hold(edu.staff, activity)
    else:
        services.activity_cancel(actor=edu.staff, activity_id=activity.pk, reason="下雨")
    before = _snapshot(activity)
    with pytest.raises(Conflict) as error:
        services.activity_update(actor=edu.staff, activity_id=activity.pk,
                                 changes={"title": "新标题"})
    state = "Held" if end == "hold" else "Cancelled"
    assert error.value.message == (
        f"Only a planned activity can be edited; this one is already {state}.")
    assert _snapshot(activity) == before


def test_a_unit_contact_who_did_not_organise_it_cannot_edit(edu, org):
    activity = plan(edu.staff, colleges=[org.unit_a])
    contact = org.users.contact_a
    assert contact.has_perm("education.view_activity", activity)
    before = _snapshot(activity)
    with pytest.raises(NotAllowed):
        services.activity_update(actor=contact, activity_id=activity.pk,
                                 changes={"title": "我改的"})
    assert _snapshot(activity) == before
    assert client_for(contact).patch(f"{API}{activity.pk}/", {"title": "我改的"},
                                     format="json").status_code == 403
    assert _snapshot(activity) == before


def test_bad_input_changes_nothing(edu, org):
    activity = plan(edu.counsellor, colleges=[org.unit_a], buildings=[edu.dorms[0]])
    before = _snapshot(activity)
    with pytest.raises(DomainError) as error:
        services.activity_update(actor=edu.counsellor, activity_id=activity.pk, changes={
            "title": "", "ends_at": local(2026, 11, 1, 8), "building_ids": [edu.dorms[1].pk],
            "college_ids": [org.unit_b.pk], "latitude": "34°15'"})
    assert set(error.value.field_errors) == {"title", "ends_at", "colleges", "latitude"}
    assert error.value.field_errors["colleges"] == [
        "You record activities only for your own units; not for 机械学院."]
    assert _snapshot(activity) == before
    assert [e.verb for e in activity_for(activity)] == ["education.activity_create"]
    with pytest.raises(DomainError):
        services.activity_update(actor=edu.counsellor, activity_id=activity.pk,
                                 changes={"organiser": edu.staff})
    assert _snapshot(activity) == before


def test_a_partner_deactivated_since_may_stay_but_not_be_added(edu, org):
    kept = services.partner_create(actor=edu.staff, name="雁塔派出所", kind="police_station")
    other = services.partner_create(actor=edu.staff, name="志愿者队", kind="volunteers")
    activity = plan(edu.staff, partner_ids=[kept.pk])
    Partner.objects.filter(pk__in=[kept.pk, other.pk]).update(is_active=False)
    services.activity_update(actor=edu.staff, activity_id=activity.pk,
                             changes={"title": "改名", "partner_ids": [kept.pk]})
    with pytest.raises(DomainError) as error:
        services.activity_update(actor=edu.staff, activity_id=activity.pk,
                                 changes={"partner_ids": [kept.pk, other.pk]})
    assert error.value.field_errors["partners"] == [f"Unknown choices: {other.pk}."]
    assert list(Activity.objects.get(pk=activity.pk).partners.all()) == [kept]


def test_the_edit_page_is_prefilled_and_saves(edu, org, client):
    activity = plan(edu.counsellor, colleges=[org.unit_a], buildings=[edu.dorms[0]],
                    latitude="34.246", longitude="108.983")
    login(client, edu.counsellor)
    detail = client.get(reverse("education:activity_detail", args=[activity.pk]))
    url = reverse("education:activity_edit", args=[activity.pk])
    assert f'href="{url}" id="edit-activity"' in detail.content.decode()
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="反诈摊位"' in html
    assert 'value="2026-11-10T11:00"' in html  # local time
    assert f'<option value="{edu.dorms[0].pk}" selected>' in html
    assert 'value="34.246000"' in html
    form = {"title": "反诈摊位（二）", "topic": "anti_fraud", "kind": "booth",
            "starts_at": "2026-11-20T10:00", "ends_at": "2026-11-20T12:00",
            "location": "食堂门口", "colleges": [org.unit_a.pk], "buildings": [edu.dorms[2].pk],
            "latitude": "34.246", "longitude": "108.983"}
    bad = client.post(url, {**form, "ends_at": "2026-11-20T09:00"})
    assert bad.status_code == 400
    assert "The end is before the start." in bad.content.decode()
    assert Activity.objects.get(pk=activity.pk).title == "反诈摊位"
    saved = client.post(url, form)
    assert saved.status_code == 302
    activity.refresh_from_db()
    assert activity.title == "反诈摊位（二）"
    assert activity.starts_at == local(2026, 11, 20, 10)
    assert list(activity.buildings.all()) == [edu.dorms[2]]
    assert "Activity saved." in messages_of(client.get(saved.url))
    # once held: no Edit button, and the page sends back with the reason
    hold(edu.counsellor, activity)
    assert 'id="edit-activity"' not in client.get(saved.url).content.decode()
    back = client.get(url)
    assert back.status_code == 302
    assert messages_of(client.get(back.url)) == [
        "Only a planned activity can be edited; this one is already Held."]
    login(client, org.users.contact_a)
    assert client.get(url).status_code == 403


def test_api_patch_and_put(edu, org):
    activity = plan(edu.staff, colleges=[org.unit_a], buildings=[edu.dorms[0]])
    api = client_for(edu.staff)
    response = api.patch(f"{API}{activity.pk}/", {
        "title": "改了标题", "starts_at": "2026-12-01T09:00", "ends_at": "2026-12-01T10:00",
        "class_groups": [edu.classes[1].pk]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "改了标题"
    assert [c["id"] for c in body["class_groups"]] == [edu.classes[1].pk]
    assert [b["id"] for b in body["buildings"]] == [edu.dorms[0].pk]  # not sent: kept
    activity.refresh_from_db()
    assert activity.starts_at == local(2026, 12, 1, 9)
    # bad input: 400 naming the field, nothing changed
    bad = api.patch(f"{API}{activity.pk}/", {"title": "x", "colleges": ["abc"]}, format="json")
    assert bad.status_code == 400
    bad = api.patch(f"{API}{activity.pk}/", {"title": "x", "colleges": [999999]}, format="json")
    assert bad.status_code == 400
    assert "colleges" in bad.json()["errors"]
    assert Activity.objects.get(pk=activity.pk).title == "改了标题"
    # PUT replaces: what is left out is emptied
    put = api.put(f"{API}{activity.pk}/", {
        "title": "整体替换", "topic": "fire", "kind": "lecture",
        "starts_at": "2026-11-12T14:00", "ends_at": "2026-11-12T16:00", "location": "报告厅",
        "colleges": [org.unit_b.pk]}, format="json")
    assert put.status_code == 200, put.content
    assert put.json()["buildings"] == [] and put.json()["class_groups"] == []
    assert put.json()["topic"] == "fire"
    assert api.put(f"{API}{activity.pk}/", {"title": "少了字段"},
                   format="json").status_code == 400
    hold(edu.staff, activity)
    assert api.patch(f"{API}{activity.pk}/", {"title": "晚了"},
                     format="json").status_code == 409
    assert client_for(org.users.contact_b).patch(
        f"{API}999999/", {"title": "x"}, format="json").status_code == 404


def test_the_coverage_footer_names_the_campaign_chosen(edu, client):
    campaign = services.campaign_create(
        actor=edu.staff, title="反诈宣传月", topic="anti_fraud",
        starts_on=dt.date(2026, 11, 1), ends_on=dt.date(2026, 11, 30))
    login(client, edu.staff)
    url = reverse("education:coverage")
    with_campaign = client.get(url, {"campaign": campaign.pk}).content.decode()
    assert ('Only the activities of the campaign “反诈宣传月” count here, for reached groups '
            'and for sign-ins.') in with_campaign
    assert 'id="coverage-campaign-note"' not in client.get(
        url, {"term": edu.term.pk}).content.decode()
