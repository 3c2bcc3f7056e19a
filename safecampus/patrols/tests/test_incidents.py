"""Incidents (警情): recorded by hand or from a duty log entry, numbered per local year,
changed, turned into hazards that link back; the incident pages and who sees them. The
race tests (PostgreSQL) are at the end."""

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.hazards.models import Hazard, Source
from safecampus.hazards.selectors import hazard_source_record
from safecampus.patrols.models import DutyLogEntry, DutyShift, Incident, IncidentSequence
from safecampus.patrols.services import duty as services
from safecampus.tests.threads import race

from .helpers import local, login

NOW = local(2026, 3, 12, 21, 30)
OCCURRED_AFTER = ("An incident cannot have occurred after it was reported (reported at "
                  "2026-03-12 21:00).")


TOO_OLD = ("This time is more than a year ago (before 2025-03-11). Older incidents are "
           "entered through the import of an incident log.")
NO_CASE_NUMBER = "Give the police case number: the incident is referred to the police."


@pytest.fixture(autouse=True)
def _now():
    with clock.frozen(NOW):
        yield


def record(org, actor=None, **kwargs) -> Incident:
    kwargs.setdefault("category", "theft")
    kwargs.setdefault("summary", "宿舍楼下电动车被盗")
    return services.incident_record(actor=actor or org.users.staff, **kwargs)


def entry_on_duty(org, **kwargs) -> DutyLogEntry:
    if not DutyShift.objects.filter(state="open").exists():
        services.duty_shift_take_over(actor=org.users.guard)
    kwargs.setdefault("summary", "东门来电：自行车被盗")
    return services.duty_entry_log(actor=org.users.guard, **kwargs)


# --- recording and numbering -----------------------------------------------------------------
@pytest.mark.django_db
def test_incidents_are_numbered_per_local_year(org):
    first = record(org)
    second = record(org, occurred_at=NOW - dt.timedelta(days=2))
    assert (first.reference, second.reference) == ("JQ2026-00001", "JQ2026-00002")
    # 00:30 on 1 January in Shanghai is still 31 December in UTC: the local year counts
    new_year = local(2027, 1, 1, 0, 30)
    with clock.frozen(new_year):
        third = record(org)
    assert third.reported_at.astimezone(dt.UTC).year == 2026
    assert third.reference == "JQ2027-00001"
    assert dict(IncidentSequence.objects.values_list("year", "last_number")) == {2026: 2,
                                                                                  2027: 1}


@pytest.mark.django_db
def test_a_manual_incident_keeps_what_was_given(org):
    incident = record(org, type_label="电动车盗窃", place_id=org.place_a.pk, location_text="车棚",
                      reported_at=NOW - dt.timedelta(minutes=10),
                      occurred_at=NOW - dt.timedelta(hours=3),
                      occurred_until=NOW - dt.timedelta(hours=2), people_involved="失主：张同学",
                      disposition="referred", police_reference="川公(郫)受案字〔2026〕101号",
                      idempotency_key="incident-key-01")
    assert (incident.source, incident.campus, incident.place, incident.recorded_by) == (
        "manual", org.campus1, org.place_a, org.users.staff)
    assert incident.occurred_at == NOW - dt.timedelta(hours=3)
    assert (incident.disposition, incident.police_reference) == ("referred",
                                                                 "川公(郫)受案字〔2026〕101号")
    assert [e.verb for e in activity_for(incident)] == ["patrols.incident_record"]
    again = record(org, summary="retry", idempotency_key="incident-key-01")
    assert again.pk == incident.pk and Incident.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"reported_at": local(2026, 3, 12, 21, 0), "occurred_at": local(2026, 3, 12, 21, 5)},
     "occurred_at", OCCURRED_AFTER),
    ({"occurred_at": local(2026, 3, 12, 20, 0), "occurred_until": local(2026, 3, 12, 19, 0)},
     "occurred_until", "“Occurred until” is before the incident occurred."),
    ({"reported_at": local(2026, 3, 13, 9, 0)}, "reported_at", "This time is in the future."),
    ({"place_id": 777777}, "place", "Choose a place from the list."),
    ({"category": "alien"}, "category", "Choose the category of the incident."),
    ({"disposition": "shrug"}, "disposition", "Choose a disposition."),
    ({"summary": ""}, "summary", "Say in a few words what happened."),
    ({"occurred_at": local(1990, 1, 1, 8, 0)}, "occurred_at", TOO_OLD),
    ({"reported_at": local(2025, 3, 1, 9, 0), "occurred_at": local(2025, 3, 1, 8, 0)},
     "reported_at", TOO_OLD),
    ({"disposition": "referred"}, "police_reference", NO_CASE_NUMBER),
    ({"disposition": "referred", "police_reference": "  "}, "police_reference",
     NO_CASE_NUMBER),
])
def test_bad_incidents_are_refused_and_use_no_number(org, kwargs, field, message):
    with pytest.raises(DomainError) as error:
        record(org, **kwargs)
    assert error.value.field_errors[field] == [message]
    assert not Incident.objects.exists()
    assert not IncidentSequence.objects.filter(last_number__gt=0).exists()


@pytest.mark.django_db
def test_who_may_record_an_incident(org):
    record(org, actor=org.users.guard)
    for user in (org.users.student, org.users.leadership, org.users.police):
        with pytest.raises(NotAllowed):
            record(org, actor=user)
    assert Incident.objects.count() == 1


# --- from the duty log ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_entry_becomes_an_incident_once(org):
    entry = entry_on_duty(org, place_id=org.place_a.pk, location_text="东门车棚",
                          occurred_at=local(2026, 3, 12, 21, 0))
    incident = services.duty_entry_to_incident(
        actor=org.users.guard, entry_id=entry.pk, category="theft", type_label="自行车盗窃",
        occurred_at=local(2026, 3, 12, 18, 0), people_involved="失主：王同学",
        police_reference="JJ-2026-7")
    entry.refresh_from_db()
    assert entry.incident == incident
    assert (incident.source, incident.reported_at, incident.occurred_at) == (
        "duty_log", local(2026, 3, 12, 21, 0), local(2026, 3, 12, 18, 0))
    assert (incident.place, incident.campus, incident.location_text, incident.summary) == (
        org.place_a, org.campus1, "东门车棚", "东门来电：自行车被盗")
    assert incident.reference == "JQ2026-00001"
    timeline = activity_for(entry).order_by("id").last()
    assert (timeline.verb, timeline.data) == ("patrols.duty_entry_to_incident",
                                              {"incident": incident.pk,
                                               "reference": "JQ2026-00001"})
    with pytest.raises(Conflict) as error:
        services.duty_entry_to_incident(actor=org.users.staff, entry_id=entry.pk,
                                        category="fraud")
    assert error.value.message == ("This entry is already incident JQ2026-00001; open the "
                                   "incident to change it.")
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_an_entry_incident_cannot_occur_after_the_entry_time(org):
    entry = entry_on_duty(org, occurred_at=local(2026, 3, 12, 21, 0))
    with pytest.raises(DomainError) as error:
        services.duty_entry_to_incident(actor=org.users.guard, entry_id=entry.pk,
                                        category="theft", occurred_at=local(2026, 3, 12, 21, 10))
    assert error.value.field_errors == {"occurred_at": [OCCURRED_AFTER]}
    entry.refresh_from_db()
    assert entry.incident is None and not Incident.objects.exists()
    assert not IncidentSequence.objects.filter(last_number__gt=0).exists()


@pytest.mark.django_db
def test_incident_update_changes_disposition_and_records_it(org):
    incident = record(org, occurred_at=NOW - dt.timedelta(hours=1))
    fields = {"category": "theft", "summary": incident.summary, "occurred_at": incident.occurred_at,
              "people_involved": "嫌疑人：李某", "disposition": "arrest",
              "police_reference": "JJ-88"}
    changed = services.incident_update(actor=org.users.staff, incident_id=incident.pk, **fields)
    assert (changed.disposition, changed.police_reference, changed.people_involved) == (
        "arrest", "JJ-88", "嫌疑人：李某")
    last = activity_for(incident).order_by("id").last()
    assert (last.verb, last.from_state, last.to_state) == ("patrols.incident_update", "open",
                                                           "arrest")
    assert last.data == {"fields": ["people_involved", "disposition", "police_reference"]}
    with pytest.raises(DomainError) as error:
        services.incident_update(actor=org.users.staff, incident_id=incident.pk,
                                 **{**fields, "occurred_at": NOW + dt.timedelta(minutes=1)})
    assert error.value.field_errors["occurred_at"][0].startswith(
        "An incident cannot have occurred after it was reported")
    with pytest.raises(NotAllowed):
        services.incident_update(actor=org.users.leadership, incident_id=incident.pk, **fields)


@pytest.mark.django_db
def test_a_year_back_is_taken_and_older_goes_through_the_import(org):
    # a theft found out late, 360 days on, is recorded by hand
    late = record(org, occurred_at=NOW - dt.timedelta(days=360))
    assert late.occurred_at == NOW - dt.timedelta(days=360)
    # an entry of the duty log cannot become an incident of 1990
    entry = entry_on_duty(org, occurred_at=local(2026, 3, 12, 21, 0))
    with pytest.raises(DomainError) as error:
        services.duty_entry_to_incident(actor=org.users.guard, entry_id=entry.pk,
                                        category="theft", occurred_at=local(1990, 1, 1, 8, 0))
    assert error.value.field_errors == {"occurred_at": [TOO_OLD]}
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_an_imported_old_incident_can_still_be_edited_but_not_moved_further_back(org):
    # given an incident of 2019 (as the import writes it) referred without a case number
    old = record(org)
    Incident.objects.filter(pk=old.pk).update(
        reported_at=local(2019, 5, 1, 10, 0), occurred_at=local(2019, 5, 1, 9, 0),
        source="import", disposition="referred", police_reference="")
    old.refresh_from_db()
    fields = {"category": "theft", "summary": "补记：失主已报案",
              "occurred_at": old.occurred_at, "disposition": "referred",
              "police_reference": ""}
    # when its summary is corrected, it is saved (its old time and missing number stand)
    changed = services.incident_update(actor=org.users.staff, incident_id=old.pk, **fields)
    assert changed.summary == "补记：失主已报案"
    # but a time changed to another old one is refused
    with pytest.raises(DomainError) as error:
        services.incident_update(actor=org.users.staff, incident_id=old.pk,
                                 **{**fields, "occurred_at": local(2019, 4, 30, 9, 0)})
    assert error.value.field_errors == {"occurred_at": [
        "This time is more than a year ago (before 2025-03-11). Older incidents are entered "
        "through the import of an incident log."]}


@pytest.mark.django_db
def test_referring_an_incident_to_the_police_needs_the_case_number(org):
    incident = record(org, occurred_at=NOW - dt.timedelta(hours=1))
    fields = {"category": "theft", "summary": incident.summary,
              "occurred_at": incident.occurred_at, "disposition": "referred",
              "police_reference": ""}
    with pytest.raises(DomainError) as error:
        services.incident_update(actor=org.users.staff, incident_id=incident.pk, **fields)
    assert error.value.field_errors == {"police_reference": [NO_CASE_NUMBER]}
    incident.refresh_from_db()
    assert incident.disposition == "open"
    entry = entry_on_duty(org, occurred_at=local(2026, 3, 12, 21, 0))
    with pytest.raises(DomainError) as error:
        services.duty_entry_to_incident(actor=org.users.guard, entry_id=entry.pk,
                                        category="theft", disposition="referred")
    assert error.value.field_errors == {"police_reference": [NO_CASE_NUMBER]}
    referred = services.incident_update(actor=org.users.staff, incident_id=incident.pk,
                                        **{**fields, "police_reference": "JJ-2026-9"})
    assert (referred.disposition, referred.police_reference) == ("referred", "JJ-2026-9")


# --- hazards ---------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "source"), [("call", Source.OFFICE), ("patrol", Source.PATROL)])
def test_an_entry_becomes_a_hazard_that_links_back(org, kind, source):
    entry = entry_on_duty(org, kind=kind, place_id=org.place_a.pk, summary="消防通道被电动车堵塞")
    hazard = services.duty_entry_to_hazard(actor=org.users.guard, entry_id=entry.pk,
                                           title="消防通道堵塞", category_id=org.fire.pk,
                                           idempotency_key="hazard-key-001")
    assert (hazard.source, hazard.place, hazard.campus, hazard.description) == (
        source, org.place_a, org.campus1, "消防通道被电动车堵塞")
    assert hazard_source_record(hazard, org.users.staff) == entry
    assert hazard_source_record(hazard, org.users.leadership) == entry
    assert hazard_source_record(hazard, org.users.student) is None
    again = services.duty_entry_to_hazard(actor=org.users.guard, entry_id=entry.pk,
                                          title="消防通道堵塞", category_id=org.fire.pk,
                                          idempotency_key="hazard-key-001")
    assert again.pk == hazard.pk and Hazard.objects.count() == 1
    marks = [e for e in activity_for(entry) if e.verb == "patrols.duty_entry_to_hazard"]
    assert [m.data for m in marks] == [{"hazard": hazard.pk, "reference": hazard.reference}]


@pytest.mark.django_db
def test_a_hazard_needs_a_campus_and_nothing_is_written_without(org):
    entry = entry_on_duty(org)
    with pytest.raises(DomainError) as error:
        services.duty_entry_to_hazard(actor=org.users.guard, entry_id=entry.pk, title="隐患",
                                      category_id=org.fire.pk)
    assert error.value.field_errors == {"campus": ["Choose the campus where the hazard is."]}
    assert not Hazard.objects.exists()
    assert [e.verb for e in activity_for(entry)] == ["patrols.duty_entry_log"]


@pytest.mark.django_db
def test_an_incident_becomes_a_hazard_and_the_hazard_page_links_back(org, client):
    incident = record(org, place_id=org.place_a.pk, summary="实验楼火警：插线板过热")
    hazard = services.incident_to_hazard(actor=org.users.staff, incident_id=incident.pk,
                                         title="插线板串接使用", category_id=org.electrical.pk)
    assert (hazard.source, hazard.place) == (Source.OFFICE, org.place_a)
    mark = activity_for(incident).order_by("id").last()
    assert (mark.verb, mark.data["hazard"]) == ("patrols.incident_to_hazard", hazard.pk)
    login(client, org.users.staff)
    page = client.get(reverse("hazards:detail", args=[hazard.pk])).content.decode()
    assert reverse("patrols:incident_detail", args=[incident.pk]) in page
    page = client.get(reverse("patrols:incident_detail", args=[incident.pk])).content.decode()
    assert reverse("hazards:detail", args=[hazard.pk]) in page


@pytest.mark.django_db
def test_an_entry_leads_to_one_hazard_and_a_second_names_the_first(org):
    entry = entry_on_duty(org, place_id=org.place_a.pk)
    hazard = services.duty_entry_to_hazard(actor=org.users.guard, entry_id=entry.pk,
                                           title="车棚照明损坏", category_id=org.electrical.pk,
                                           idempotency_key="hazard-key-001")
    with pytest.raises(Conflict) as error:
        services.duty_entry_to_hazard(actor=org.users.guard, entry_id=entry.pk,
                                      title="车棚照明损坏", category_id=org.electrical.pk,
                                      idempotency_key="hazard-key-002")
    assert (error.value.code, error.value.message) == ("already_hazard", (
        f"This entry already led to hazard {hazard.reference}; open the hazard to follow it "
        "up."))
    assert Hazard.objects.count() == 1


@pytest.mark.django_db
def test_an_entry_and_its_incident_are_one_event_with_one_hazard(org):
    entry = entry_on_duty(org, place_id=org.place_a.pk)
    incident = services.duty_entry_to_incident(actor=org.users.guard, entry_id=entry.pk,
                                               category="theft")
    hazard = services.incident_to_hazard(actor=org.users.staff, incident_id=incident.pk,
                                         title="车棚无监控", category_id=org.electrical.pk)
    with pytest.raises(Conflict) as error:
        services.duty_entry_to_hazard(actor=org.users.guard, entry_id=entry.pk,
                                      title="车棚无监控", category_id=org.electrical.pk)
    assert error.value.message == (f"This entry already led to hazard {hazard.reference}; "
                                   "open the hazard to follow it up.")
    with pytest.raises(Conflict) as error:
        services.incident_to_hazard(actor=org.users.staff, incident_id=incident.pk,
                                    title="车棚无监控", category_id=org.electrical.pk)
    assert error.value.message == (f"This incident already led to hazard {hazard.reference}; "
                                   "open the hazard to follow it up.")
    assert Hazard.objects.count() == 1


@pytest.mark.django_db
def test_pages_show_the_hazard_instead_of_the_button(org, client, django_assert_max_num_queries):
    entry = entry_on_duty(org, place_id=org.place_a.pk)
    incident = services.duty_entry_to_incident(actor=org.users.guard, entry_id=entry.pk,
                                               category="theft")
    hazard = services.incident_to_hazard(actor=org.users.staff, incident_id=incident.pk,
                                         title="车棚无监控", category_id=org.electrical.pk)
    login(client, org.users.staff)
    link = f'href="{reverse("hazards:detail", args=[hazard.pk])}"'
    for url in (entry.get_absolute_url(), incident.get_absolute_url()):
        page = client.get(url)
        html = page.content.decode()
        assert link in html and 'id="hazard-done"' in html, url
        assert 'id="action-hazard"' not in html, url
    assert "hazard" not in client.get(entry.get_absolute_url()).context["forms"]
    # the entry became an incident and then a hazard: the lists show both numbers
    for url in (reverse("patrols:duty_home"), reverse("patrols:duty_handover"),
                reverse("patrols:duty_shift_detail", args=[entry.shift_id])):
        html = client.get(url).content.decode()
        assert incident.reference in html and hazard.reference in html, url
    # a second try from the page says where the first went and changes nothing
    response = client.post(reverse("patrols:duty_entry_action", args=[entry.pk, "hazard"]), {
        "title": "车棚无监控", "category": org.electrical.pk, "grade": "general",
        "campus": org.campus1.pk, "idempotency_key": "entry-hazard-2"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"This entry already led to hazard {hazard.reference}; open the hazard to follow it up."]
    response = client.post(reverse("patrols:incident_hazard", args=[incident.pk]), {
        "title": "车棚无监控", "category": org.electrical.pk, "grade": "general",
        "campus": org.campus1.pk, "idempotency_key": "incident-hazard-2"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"This incident already led to hazard {hazard.reference}; open the hazard to follow it "
        "up."]
    assert Hazard.objects.count() == 1
    for n in range(20):
        entry_on_duty(org, summary=f"来电{n}")
    with django_assert_max_num_queries(15):
        assert client.get(reverse("patrols:duty_home")).status_code == 200


# --- who sees incidents ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_guards_see_duty_log_incidents_and_their_own_only(org, client):
    entry = entry_on_duty(org)
    from_log = services.duty_entry_to_incident(actor=org.users.staff, entry_id=entry.pk,
                                               category="theft")
    by_office = record(org)
    own = record(org, actor=org.users.guard)
    login(client, org.users.guard)
    listed = client.get(reverse("patrols:incident_list")).context["page"].object_list
    assert {i.pk for i in listed} == {from_log.pk, own.pk}
    assert client.get(reverse("patrols:incident_detail", args=[by_office.pk])).status_code == 404
    for user in (org.users.leadership, org.users.police, org.users.staff):
        login(client, user)
        listed = client.get(reverse("patrols:incident_list")).context["page"].object_list
        assert len(listed) == 3, user
    for user in (org.users.student, org.users.contact_a):
        login(client, user)
        assert client.get(reverse("patrols:incident_list")).status_code == 403
        assert client.get(reverse("patrols:incident_detail",
                                  args=[by_office.pk])).status_code == 403
        assert client.get(reverse("patrols:incident_create")).status_code == 403


@pytest.mark.django_db
def test_incident_list_filters(org, client):
    theft = record(org, occurred_at=local(2026, 3, 1, 0, 30), police_reference="JJ-1")
    fraud = record(org, category="fraud", summary="刷单返利诈骗", disposition="referred",
                   police_reference="FZ-2026-3", occurred_at=local(2026, 3, 10, 12, 0))
    entry = entry_on_duty(org, summary="有人打架")
    fight = services.duty_entry_to_incident(actor=org.users.staff, entry_id=entry.pk,
                                            category="assault")
    login(client, org.users.staff)

    def listed(**query):
        response = client.get(reverse("patrols:incident_list"), query)
        assert response.status_code == 200
        return [i.pk for i in response.context["page"]]

    assert listed() == [fight.pk, fraud.pk, theft.pk]
    assert listed(category="fraud") == [fraud.pk]
    assert listed(disposition="referred") == [fraud.pk]
    assert listed(source="duty_log") == [fight.pk]
    # local days: 00:30 on 1 March in Shanghai is 28 February in UTC
    assert listed(date_from="2026-03-01", date_to="2026-03-01") == [theft.pk]
    assert listed(date_from="2026-03-02") == [fight.pk, fraud.pk]
    assert listed(q="刷单") == [fraud.pk]
    assert listed(q="jq2026-00001") == [theft.pk]
    assert listed(q="JJ-1") == [theft.pk]
    assert listed(category="nonsense") == [fight.pk, fraud.pk, theft.pk]


@pytest.mark.django_db
def test_incident_list_query_count_is_pinned(org, client, django_assert_max_num_queries):
    for n in range(60):
        record(org, place_id=org.place_a.pk, summary=f"事件{n}",
               occurred_at=NOW - dt.timedelta(hours=n))
    login(client, org.users.staff)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("patrols:incident_list"), {"category": "theft"})
    assert len(response.context["page"]) == 50 and response.context["page"].has_next
    with django_assert_max_num_queries(8):
        response = client.get(reverse("patrols:incident_list"), {"page": 2})
    assert len(response.context["page"]) == 10


# --- incident pages --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_incident_create_preselects_the_place_from_a_checkpoint_link(org, client):
    login(client, org.users.guard)
    page = client.get(reverse("patrols:incident_create"), {"place": org.place_a.pk})
    assert page.status_code == 200
    assert page.context["form"].initial == {"campus": org.campus1.pk, "place": org.place_a.pk,
                                            "idempotency_key": page.context["form"].initial[
                                                "idempotency_key"]}
    assert f'<option value="{org.place_a.pk}" selected>' in page.content.decode()
    unknown = client.get(reverse("patrols:incident_create"), {"place": "9999"})
    assert [str(m) for m in unknown.context["messages"]] == [
        "The place in the link does not exist; choose the place from the list."]
    response = client.post(reverse("patrols:incident_create"), {
        "category": "trespass", "summary": "有人翻越围墙", "campus": org.campus1.pk,
        "place": org.place_a.pk, "occurred_at": "2026-03-12T21:00", "disposition": "open",
        "idempotency_key": "create-key-0001"})
    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url == incident.get_absolute_url()
    assert (incident.place, incident.recorded_by, incident.occurred_at) == (
        org.place_a, org.users.guard, local(2026, 3, 12, 21, 0))


@pytest.mark.django_db
def test_incident_create_refuses_bad_input_with_the_service_message(org, client):
    login(client, org.users.staff)
    response = client.post(reverse("patrols:incident_create"), {
        "category": "theft", "summary": "被盗", "reported_at": "2026-03-12T21:00",
        "occurred_at": "2026-03-12T21:20", "disposition": "open", "place": "31337"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["occurred_at"] == [OCCURRED_AFTER]
    assert errors["place"] == ["Choose a place from the list."]
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_incident_edit_page(org, client):
    incident = record(org, occurred_at=NOW - dt.timedelta(hours=1))
    login(client, org.users.staff)
    url = reverse("patrols:incident_edit", args=[incident.pk])
    page = client.get(url)
    assert page.status_code == 200 and "reported_at" not in page.context["form"].fields
    response = client.post(url, {"category": "theft", "summary": "电动车被盗（已追回）",
                                 "occurred_at": "2026-03-12T20:00", "disposition": "resolved",
                                 "police_reference": "JJ-9"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.disposition, incident.police_reference) == ("resolved", "JJ-9")
    login(client, org.users.leadership)
    assert client.get(url).status_code == 403
    assert client.get(reverse("patrols:incident_detail", args=[incident.pk])).status_code == 200


@pytest.mark.django_db
def test_entry_page_turns_an_entry_into_an_incident_and_a_hazard(org, client):
    entry = entry_on_duty(org, place_id=org.place_a.pk, occurred_at=local(2026, 3, 12, 21, 0))
    login(client, org.users.guard)
    action = reverse("patrols:duty_entry_action", args=[entry.pk, "incident"])
    bad = client.post(action, {"category": "", "disposition": "open"})
    assert bad.status_code == 400
    assert bad.context["forms"]["incident"].errors["category"] == [
        "Choose the category of the incident."]
    response = client.post(action, {"category": "theft", "disposition": "open",
                                    "occurred_at": "2026-03-12T20:00"}, follow=True)
    incident = Incident.objects.get()
    assert response.redirect_chain == [(incident.get_absolute_url(), 302)]
    assert [str(m) for m in response.context["messages"]] == ["Incident JQ2026-00001 recorded."]
    again = client.post(action, {"category": "theft", "disposition": "open"}, follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        "This entry is already incident JQ2026-00001; open the incident to change it."]
    response = client.post(reverse("patrols:duty_entry_action", args=[entry.pk, "hazard"]), {
        "title": "车棚照明损坏", "category": org.electrical.pk, "grade": "general",
        "campus": org.campus1.pk, "place": org.place_a.pk, "idempotency_key": "entry-hazard-1"})
    assert response.status_code == 302
    hazard = Hazard.objects.get()
    page = client.get(entry.get_absolute_url()).content.decode()
    assert reverse("hazards:detail", args=[hazard.pk]) in page
    assert reverse("patrols:incident_detail", args=[incident.pk]) in page


# --- races (PostgreSQL) ---------------------------------------------------------------------------
@pytest.fixture
def postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; SQLite serialises "
                    "writers, so there is no race to test (run with DATABASE_URL=postgres://…)")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_handovers_at_once_one_wins(org, postgres):
    # given a shift with two open entries and one closed
    shift = services.duty_shift_take_over(actor=org.users.guard)
    open_ids = [services.duty_entry_log(actor=org.users.guard, summary=f"来电{n}").pk
                for n in range(2)]
    closed = services.duty_entry_log(actor=org.users.guard, summary="已处理", action_taken="答复")
    services.duty_entry_close(actor=org.users.guard, entry_id=closed.pk)
    # when the guard hands over to staff1 and office staff hands over to staff2 at once
    outcomes = race([
        lambda: services.duty_shift_hand_over(actor=org.users.guard, shift_id=shift.pk,
                                              next_officer_id=org.users.staff.pk),
        lambda: services.duty_shift_hand_over(actor=org.users.staff2, shift_id=shift.pk,
                                              next_officer_id=org.users.staff2.pk),
    ], at=NOW)
    # then one wins, the other gets a conflict, and the entries moved once
    wins = [r for r, e in outcomes if e is None]
    errors = [e for _r, e in outcomes if e is not None]
    assert len(wins) == 1 and len(errors) == 1, outcomes
    assert isinstance(errors[0], Conflict), repr(errors[0])
    new = wins[0]
    assert errors[0].message == (f"This shift was already handed over to "
                                 f"{new.officer.full_name} at 2026-03-12 21:30.")
    assert DutyShift.objects.filter(state="open").get().pk == new.pk
    assert DutyShift.objects.count() == 2
    assert set(DutyLogEntry.objects.filter(shift=new).values_list("pk", flat=True)) == set(
        open_ids)
    shift.refresh_from_db()
    assert shift.carried_over == 2
    for entry_id in open_ids:
        verbs = [e.verb for e in activity_for(DutyLogEntry(pk=entry_id))]
        assert verbs.count("patrols.duty_entry_carry_over") == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_double_tap_on_handover_hands_over_once_and_both_get_the_new_shift(org, postgres):
    shift = services.duty_shift_take_over(actor=org.users.guard)
    services.duty_entry_log(actor=org.users.guard, summary="来电")
    outcomes = race([
        lambda: services.duty_shift_hand_over(actor=org.users.guard, shift_id=shift.pk,
                                              next_officer_id=org.users.staff.pk,
                                              idempotency_key="double-tap-0001"),
    ] * 2, at=NOW)
    assert [e for _r, e in outcomes] == [None, None], outcomes
    assert outcomes[0][0].pk == outcomes[1][0].pk
    assert DutyShift.objects.count() == 2
    shift.refresh_from_db()
    assert (shift.state, shift.carried_over) == ("handed_over", 1)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_take_overs_at_once_one_wins(org, postgres):
    outcomes = race([
        lambda: services.duty_shift_take_over(actor=org.users.guard),
        lambda: services.duty_shift_take_over(actor=org.users.staff),
    ], at=NOW)
    errors = [e for _r, e in outcomes if e is not None]
    assert len(errors) == 1 and isinstance(errors[0], Conflict), outcomes
    assert DutyShift.objects.count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_incidents_get_unique_consecutive_numbers(org, postgres):
    entries = []
    services.duty_shift_take_over(actor=org.users.guard)
    for n in range(3):
        entries.append(services.duty_entry_log(actor=org.users.guard, summary=f"来电{n}"))
    calls = [(lambda n=n: services.incident_record(actor=org.users.staff, category="theft",
                                                   summary=f"事件{n}")) for n in range(5)]
    calls += [(lambda e=e: services.duty_entry_to_incident(actor=org.users.guard,
                                                           entry_id=e.pk, category="other"))
              for e in entries]
    outcomes = race(calls, at=NOW)
    assert all(e is None for _r, e in outcomes), [repr(e) for _r, e in outcomes if e]
    sequences = sorted(r.sequence for r, _e in outcomes)
    assert sequences == list(range(1, 9))
    assert IncidentSequence.objects.get(year=2026).last_number == 8


@pytest.mark.django_db
def test_a_guards_incident_entered_by_hand_is_not_labelled_as_the_offices(org):
    from django.utils import translation

    incident = record(org, actor=org.users.guard)
    assert incident.source == Incident.Source.MANUAL
    with translation.override("zh-hans"):
        assert incident.get_source_display() == "手工录入"
