"""Activities pages and API: planning on the page (and bad input), record as held with
photos, the photo view's permission, the list's filters and query count, the coverage page,
its Excel export, the hub card, and the API (list, create with Idempotency-Key, coverage)."""
# ruff: noqa: F811  (fixtures imported from activity_helpers)

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from safecampus.api.tests.helpers import client_for
from safecampus.education.models import Activity, ActivityPhoto
from safecampus.tests.factories import photo_upload
from safecampus.tests.pages import login, messages_of, text_of

from .activity_helpers import edu, english, hold, local, plan  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")
API = "/api/v1/education/activities/"
COVERAGE_API = "/api/v1/education/coverage/"


def test_office_plans_an_activity_prefilled_for_an_unreached_dorm(edu, org, client):
    login(client, edu.staff)
    page = client.get(reverse("education:activity_create") + f"?dorm={edu.dorms[2].pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<option value="{edu.dorms[2].pk}" selected>' in html
    # dormitory buildings come first, in their own group
    assert html.index('label="Dormitory buildings"') < html.index('label="Other buildings"')
    response = client.post(reverse("education:activity_create"), {
        "title": "反诈进宿舍", "topic": "anti_fraud", "kind": "dorm_visit",
        "starts_at": "2026-12-02T19:30", "ends_at": "2026-12-02T21:00", "location": "d3公寓",
        "buildings": [edu.dorms[2].pk], "idempotency_key": "abcdefgh-1234"})
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert activity.starts_at == local(2026, 12, 2, 19, 30)
    assert list(activity.buildings.all()) == [edu.dorms[2]]
    # a double tap makes no second activity
    client.post(reverse("education:activity_create"), {
        "title": "反诈进宿舍", "topic": "anti_fraud", "kind": "dorm_visit",
        "starts_at": "2026-12-02T19:30", "ends_at": "2026-12-02T21:00", "location": "d3公寓",
        "buildings": [edu.dorms[2].pk], "idempotency_key": "abcdefgh-1234"})
    assert Activity.objects.count() == 1


def test_bad_input_on_the_page_is_shown_at_the_fields(edu, client):
    login(client, edu.staff)
    response = client.post(reverse("education:activity_create"), {
        "title": "x", "topic": "anti_fraud", "kind": "booth", "starts_at": "2026-12-02T19:30",
        "ends_at": "2026-12-02T18:00", "location": "门口", "colleges": ["987654"],
        "campaign": "abc"})
    assert response.status_code == 400
    text = text_of(response)
    assert "The end is before the start." in text
    assert "Unknown choices: 987654." in text
    assert "No such campaign." in text
    assert Activity.objects.count() == 0


def test_record_as_held_on_the_page_with_photos(edu, org, client):
    activity = plan(edu.counsellor, colleges=[org.unit_a])
    login(client, edu.counsellor)
    url = reverse("education:activity_hold", args=[activity.pk])
    bad = client.post(url, {"audience_count": "30", "photos": [
        photo_upload("ok.jpg"),
        SimpleUploadedFile("scan.pdf", b"%PDF-1.4", content_type="application/pdf")]})
    assert bad.status_code == 400
    assert "scan.pdf is not a photo we can read" in text_of(bad)
    assert ActivityPhoto.objects.count() == 0
    ok = client.post(url, {"audience_count": "30", "summary": "好", "material_0_name": "折页",
                           "material_0_quantity": "40", "material_0_unit": "份",
                           "photos": [photo_upload("ok.jpg")]})
    assert ok.status_code == 302 and messages_of(ok) == ["Recorded as held."]
    detail = client.get(reverse("education:activity_detail", args=[activity.pk]))
    photo = ActivityPhoto.objects.get()
    assert reverse("education:activity_photo", args=[photo.pk]) in detail.content.decode()
    assert "折页" in text_of(detail) and "Recorded as held" in text_of(detail)
    assert client.get(reverse("education:activity_photo", args=[photo.pk])).status_code == 200
    # the other college's contact neither sees the activity nor its photo
    login(client, org.users.contact_b)
    assert client.get(reverse("education:activity_detail", args=[activity.pk])).status_code == 403
    assert client.get(reverse("education:activity_photo", args=[photo.pk])).status_code == 403


def test_cancel_on_the_page(edu, client):
    activity = plan(edu.staff)
    login(client, edu.staff)
    url = reverse("education:activity_cancel", args=[activity.pk])
    assert "Say why the activity is cancelled." in text_of(
        client.post(url, {"reason": ""}, follow=True))
    assert Activity.objects.get().state == "planned"
    assert "Activity cancelled." in text_of(client.post(url, {"reason": "降雨"}, follow=True))
    assert "This activity is already Cancelled." in text_of(
        client.post(url, {"reason": "again"}, follow=True))
    assert Activity.objects.get().cancel_reason == "降雨"


def test_the_list_filters_and_its_query_count_is_flat(edu, org, client):
    login(client, edu.staff)
    fire = plan(edu.staff, topic="fire", kind="drill", title="演练")
    plan(edu.staff, title="摊位")
    response = client.get(reverse("education:activity_list") + "?topic=fire&term=x&campus=-1")
    assert response.status_code == 200
    assert "演练" in text_of(response) and "摊位" not in text_of(response)
    assert f'href="/education/activities/{fire.pk}/"' in response.content.decode()

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("education:activity_list")).status_code == 200
        return len(ctx)

    few = queries()
    for n in range(15):
        plan(edu.staff, title=f"a{n}", place_id=org.place_a.pk)
    assert queries() == few


def test_coverage_page_lists_unreached_groups_and_exports(edu, org, client):
    hold(edu.staff, plan(edu.staff, buildings=edu.dorms[:2], starts_at=local(2026, 11, 3, 20)))
    login(client, org.users.leadership)
    response = client.get(reverse("education:coverage"))  # default: the current term
    assert response.status_code == 200
    html = response.content.decode()
    assert "Coverage · 2026秋" in text_of(response)
    assert "Not reached yet: 1 group" in text_of(response)
    assert f'data-group="{edu.dorms[2].pk}" data-activities="0"' in html
    assert "Plan an activity" not in html  # leadership does not record activities
    tabs = client.get(reverse("education:coverage") + "?dimension=classes&topic=bogus")
    assert "Not reached yet: 3 groups" in text_of(tabs)
    export = client.get(reverse("education:coverage_export") + "?dimension=dorms")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == ("Group", "Where", "2026-09", "2026-10", "2026-11", "2026-12",
                           "2027-01")
    assert rows[1][:7] == ("d1公寓", "北校区", None, None, 1, None, None)
    assert rows[3][0] == "d3公寓" and rows[3][7] == 0


def test_coverage_needs_permission_and_the_hub_badge(edu, org, client):
    login(client, org.users.student)
    assert client.get(reverse("education:coverage")).status_code == 403
    login(client, edu.staff)
    home = client.get(reverse("education:home"))
    assert reverse("education:coverage_badge") in home.content.decode()
    badge = client.get(reverse("education:coverage_badge"))
    # 3 dorms + 2 colleges (unit A, unit B) + 3 classes + 2 campuses, none reached
    assert "10 groups not reached" in text_of(badge)


# --- API --------------------------------------------------------------------------------------
def test_api_create_with_idempotency_key_list_and_filters(edu, org):
    api = client_for(edu.staff)
    body = {"title": "讲座", "topic": "anti_fraud", "kind": "lecture",
            "starts_at": "2026-12-03T15:00:00", "ends_at": "2026-12-03T16:30:00",
            "location": "报告厅", "colleges": [org.unit_a.pk]}
    first = api.post(API, body, format="json", HTTP_IDEMPOTENCY_KEY="api-key-0001")
    again = api.post(API, body, format="json", HTTP_IDEMPOTENCY_KEY="api-key-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["colleges"] == [{"id": org.unit_a.pk, "name": "化学学院"}]
    bad = api.post(API, {**body, "ends_at": "2026-12-03T14:00:00", "buildings": [99999]},
                   format="json")
    assert bad.status_code == 400
    assert Activity.objects.count() == 1
    plan(edu.staff, topic="fire", kind="drill")
    listed = api.get(API, {"topic": "anti_fraud", "term": edu.term.pk})
    assert [r["title"] for r in listed.json()["results"]] == ["讲座"]
    assert api.get(API, {"term": 999999}).json()["results"] == []
    assert client_for(org.users.student).get(API).status_code == 403
    other = client_for(org.users.contact_b).get(f"{API}{first.json()['id']}/")
    assert other.status_code == 404


def test_api_coverage(edu, org):
    hold(edu.staff, plan(edu.staff, colleges=[org.unit_a]))
    response = client_for(org.users.leadership).get(COVERAGE_API, {"dimension": "colleges"})
    assert response.status_code == 200
    data = response.json()
    assert data["term"] == {"id": edu.term.pk, "name": "2026秋"}
    by_name = {r["name"]: r for r in data["rows"]}
    assert by_name["化学学院"]["activities"] == 1 and by_name["化学学院"]["by_month"][2] == 1
    assert data["not_reached"] == [org.unit_b.pk]
    assert client_for(org.users.leadership).get(
        COVERAGE_API, {"dimension": "nope"}).status_code == 400
    assert client_for(org.users.student).get(COVERAGE_API).status_code == 403


def test_api_ids_too_large_for_the_database_are_refused(edu, org):
    """An id beyond 2⁶³−1 in a filter or a body is a 400 naming the field, never a 500."""
    api = client_for(edu.staff)
    huge = "99999999999999999999"
    for params in ({"campaign": huge}, {"term": huge}):
        response = api.get(API, params)
        assert response.status_code == 400, params
        assert list(response.json()["errors"]) == list(params)
    assert client_for(org.users.leadership).get(COVERAGE_API, {"term": huge}).status_code == 400
    body = {"title": "讲座", "topic": "fire", "kind": "lecture",
            "starts_at": "2026-12-03T15:00:00", "ends_at": "2026-12-03T16:30:00",
            "location": "报告厅", "campaign": int(huge), "colleges": [int(huge)]}
    response = api.post(API, body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"campaign", "colleges"}
    assert not Activity.objects.exists()


def test_a_unit_contact_cannot_cancel_an_office_activity_on_the_page(edu, org, client):
    activity = plan(edu.staff, colleges=[org.unit_a, org.unit_b])
    login(client, org.users.contact_a)
    detail = client.get(reverse("education:activity_detail", args=[activity.pk]))
    assert detail.status_code == 200  # they see it: it reached their unit
    assert 'id="record-held"' not in detail.content.decode()
    response = client.post(reverse("education:activity_cancel", args=[activity.pk]),
                           {"reason": "不办了"})
    assert response.status_code == 403
    assert client.get(reverse("education:activity_hold", args=[activity.pk])).status_code == 403
    assert Activity.objects.get().state == "planned"


def test_the_admin_shows_terms_partners_and_campaigns_but_never_writes_them(edu, client):
    """Even a superuser only reads them in the admin: the pages (and their services) edit."""
    from safecampus.education.models import Campaign, Partner
    from safecampus.education.services import activities as services
    from safecampus.tests.factories import UserFactory

    partner = services.partner_create(actor=edu.staff, name="雁塔派出所", kind="police_station")
    campaign = services.campaign_create(actor=edu.staff, title="反诈月", topic="anti_fraud",
                                        starts_on=local(2026, 11, 1, 0).date(),
                                        ends_on=local(2026, 11, 30, 0).date())
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    for model, row in (("term", edu.term), ("partner", partner), ("campaign", campaign)):
        assert client.get(reverse(f"admin:education_{model}_changelist")).status_code == 200
        change = reverse(f"admin:education_{model}_change", args=[row.pk])
        assert client.get(change).status_code == 200  # a read-only view
        assert client.post(change, {"name": "x", "title": "x"}).status_code == 403
        assert client.get(reverse(f"admin:education_{model}_add")).status_code == 403
        assert client.post(reverse(f"admin:education_{model}_delete", args=[row.pk]),
                           {"post": "yes"}).status_code == 403
    assert Partner.objects.get().name == "雁塔派出所"
    assert Campaign.objects.get().title == "反诈月"


def test_the_coverage_matrix_is_paged_and_the_not_reached_card_links_to_the_rest(edu, org,
                                                                                 client):
    """Given 60 classes of which one was reached, the matrix shows 50 groups a page, the
    "not reached" card names 50 of the 59 with a link to the matrix of unreached groups
    only, and the attendance column says what it counts."""
    from safecampus.organisation.models import ClassGroup

    ClassGroup.objects.bulk_create([
        ClassGroup(college=org.unit_a, enrolment_year=2025, code=f"z-{n:03}", name=f"化学25{n:02}",
                   campus=org.campus1) for n in range(57)])
    hold(edu.staff, plan(edu.staff, classes=[edu.classes[0]]))
    login(client, org.users.leadership)
    url = reverse("education:coverage") + "?dimension=classes"
    first = client.get(url)
    html = first.content.decode()
    matrix = html[html.index('id="coverage-matrix"'):]
    assert matrix.count("<tr class=") == 50
    assert "Students signed in this term" in matrix
    card = html[html.index('id="not-reached"'):html.index('id="coverage-matrix"')]
    assert "Not reached yet: 59 groups" in text_of(first)
    assert card.count("<li ") == 50
    assert "and 9 more groups: show them all" in card
    assert f"term={edu.term.pk}&amp;topic=&amp;dimension=classes&amp;unreached=1" in card
    second = client.get(url + "&page=2").content.decode()
    assert second[second.index('id="coverage-matrix"'):].count("<tr class=") == 10
    only = client.get(url + "&unreached=1&page=2").content.decode()
    rows = only[only.index('id="coverage-matrix"'):]
    assert rows.count('<tr class="table-warning coverage-unreached"') == 9
    assert f'data-group="{edu.classes[0].pk}"' not in rows
    assert 'id="unreached-filter"' in only
    assert "page=1" in only and "unreached=1" in only[only.index('aria-label="Pages"'):]


def test_the_form_and_the_api_take_the_sign_in_position(edu, org, client):
    login(client, edu.staff)
    form = client.get(reverse("education:activity_create")).content.decode()
    assert 'id="use-position"' in form and "education/activities.js" in form
    body = {"title": "消防培训", "topic": "fire", "kind": "training",
            "starts_at": "2026-12-02T19:30", "ends_at": "2026-12-02T21:00", "location": "报告厅",
            "idempotency_key": "position-0001"}
    bad = client.post(reverse("education:activity_create"),
                      {**body, "latitude": "34.246", "longitude": ""})
    assert bad.status_code == 400
    assert "Give both latitude and longitude, or neither." in text_of(bad)
    response = client.post(reverse("education:activity_create"),
                           {**body, "latitude": " 34.246 ", "longitude": "108.983",
                            "sign_in_radius_m": "150"}, follow=True)
    activity = Activity.objects.get()
    assert (str(activity.latitude), str(activity.longitude), activity.sign_in_radius_m) == (
        "34.246000", "108.983000", 150)
    assert "34.246000, 108.983000 · within 150 m" in text_of(response)
    api = client_for(edu.staff)
    created = api.post(API, {"title": "演练", "topic": "fire", "kind": "drill",
                             "starts_at": "2026-12-03T15:00:00", "ends_at": "2026-12-03T16:00:00",
                             "location": "操场", "latitude": 34.25, "longitude": "108.98",
                             "sign_in_radius_m": 200}, format="json")
    assert created.status_code == 201
    assert (created.json()["latitude"], created.json()["longitude"],
            created.json()["sign_in_radius_m"]) == ("34.250000", "108.980000", 200)
    refused = api.post(API, {"title": "演练", "topic": "fire", "kind": "drill",
                             "starts_at": "2026-12-03T15:00:00", "ends_at": "2026-12-03T16:00:00",
                             "location": "操场", "latitude": 91, "longitude": 0}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "latitude": ["The latitude must be between -90 and 90 degrees."]}


def test_a_campaigns_coverage_button_opens_coverage_of_that_campaign(edu, org, client):
    from safecampus.education.services import activities as services
    campaign = services.campaign_create(actor=edu.staff, title="反诈宣传月", topic="anti_fraud",
                                        starts_on=dt.date(2026, 11, 1),
                                        ends_on=dt.date(2026, 11, 30))
    hold(edu.staff, plan(edu.staff, buildings=[edu.dorms[0]], campaign_id=campaign.pk))
    hold(edu.staff, plan(edu.staff, buildings=[edu.dorms[1]]))  # not the campaign's
    login(client, edu.staff)
    page = client.get(reverse("education:campaign_detail", args=[campaign.pk])).content.decode()
    link = (f'{reverse("education:coverage")}?term={edu.term.pk}&amp;topic=anti_fraud'
            f'&amp;campaign={campaign.pk}')
    assert f'href="{link}"' in page
    response = client.get(link.replace("&amp;", "&"))
    text = text_of(response)
    assert "Coverage · 2026秋 · 反诈宣传月" in text and "Not reached yet: 2 groups" in text
    html = response.content.decode()
    assert f'data-group="{edu.dorms[1].pk}" data-activities="0"' in html
    assert f"campaign={campaign.pk}&amp;dimension=classes" in html  # the tabs keep it
    assert f"&amp;campaign={campaign.pk}" in html.split('id="not-reached"')[1]  # plan links
    export = client.get(reverse("education:coverage_export")
                        + f"?campaign={campaign.pk}&dimension=dorms")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert [(r[0], r[7]) for r in rows[1:]] == [("d1公寓", 1), ("d2公寓", 0), ("d3公寓", 0)]
    assert "反诈宣传月" in export["Content-Disposition"] or "%E5%8F%8D" in \
        export["Content-Disposition"]
    api = client_for(edu.staff)
    data = api.get(COVERAGE_API, {"campaign": campaign.pk}).json()
    assert data["campaign"] == {"id": campaign.pk, "name": "反诈宣传月"}
    assert data["not_reached"] == [edu.dorms[1].pk, edu.dorms[2].pk]
    assert api.get(COVERAGE_API).json()["campaign"] is None
    assert api.get(COVERAGE_API, {"campaign": 999999}).status_code == 404
    assert api.get(COVERAGE_API, {"campaign": "99999999999999999999"}).status_code == 400


def test_a_planned_activity_under_way_shows_in_progress_and_its_place_with_building(edu, org,
                                                                                   client):
    running = plan(edu.staff, title="正在进行", starts_at=local(2026, 11, 30, 9), hours=2,
                   campus_id=org.campus1.pk, place_id=org.place_a.pk, location="")
    later = plan(edu.staff, title="稍后", starts_at=local(2026, 11, 30, 14))
    login(client, edu.staff)
    listing = client.get(reverse("education:activity_list")).content.decode()
    assert 'data-state="planned" data-running="1">In progress<' in listing
    assert listing.count('data-running="1"') == 1
    detail = client.get(reverse("education:activity_detail", args=[running.pk]))
    assert "In progress" in text_of(detail)
    assert f"{org.building_a.name} {org.place_a.name}" in text_of(detail)
    assert Activity.objects.get(pk=running.pk).state == "planned"  # display only
    assert "In progress" not in text_of(
        client.get(reverse("education:activity_detail", args=[later.pk])))
