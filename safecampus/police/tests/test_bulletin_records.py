"""Incident records of a bulletin as people use them: the time within the bulletin's period,
where it happened (a place is on the chosen campus; none elsewhere in the precinct), the
issue label ("2026年第1期") in every message, stored texts in the site language whatever the
caller's, the record page's hazard link, and what the action forms offer first."""
# ruff: noqa: F811  (the bul fixture is imported from bulletins_helpers)

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from safecampus.core.errors import DomainError
from safecampus.hazards.models import Hazard
from safecampus.police.models import Bulletin, BulletinRecord, RiskPoint
from safecampus.police.services import bulletins as services
from safecampus.tests.factories import CategoryFactory

from .bulletins_helpers import add, bul, draft, english, local, published  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=False)


def record_post(org, **extra) -> dict:
    data = {"occurred_at": "2026-05-03T21:30", "category": "theft", "type_label": "电动车被盗",
            "proximity": "on_campus", "campus": org.campus1.pk, "place": org.place_a.pk,
            "relevance": "high", "idempotency_key": "r" * 32}
    data.update(extra)
    return data


# --- when and where ------------------------------------------------------------------------
def test_an_incident_outside_the_bulletins_period_is_refused(bul, client):
    # Given a draft of 1 April – 10 June 2026
    bulletin = draft(bul.liaison_xq)
    english(client).force_login(bul.liaison_xq)
    # When an incident of 31 March (local) is added on the page
    response = client.post(reverse("police:record_new", args=[bulletin.pk]),
                           record_post(bul.org, occurred_at="2026-03-31T23:50"))
    # Then the form says why and nothing is written
    assert response.status_code == 200
    assert response.context["form"].errors["occurred_at"] == [
        "The incident occurred on 2026-03-31, outside the bulletin's period "
        "(2026-04-01 – 2026-06-10)."]
    assert not BulletinRecord.objects.exists()
    # and the last day of the period counts (local day, 23:59 Beijing is 15:59 UTC)
    record = add(bul.liaison_xq, bulletin, bul.org, occurred_at=local(2026, 6, 10, 23, 59))
    assert record.position == 1


def test_moving_the_period_past_its_incidents_is_refused(bul):
    bulletin = draft(bul.liaison_xq)
    add(bul.liaison_xq, bulletin, bul.org)  # 3 May
    with pytest.raises(DomainError) as error, translation.override("en"):
        services.bulletin_update(actor=bul.liaison_xq, bulletin_id=bulletin.pk, title="六月",
                                 period_start=dt.date(2026, 6, 1),
                                 period_end=dt.date(2026, 6, 10))
    assert error.value.field_errors == {"period_start": [
        "1 incident of the bulletin occurred outside this period; change or delete it "
        "first."]}
    assert Bulletin.objects.get().period_start == dt.date(2026, 4, 1)


def test_elsewhere_in_the_precinct_has_no_campus_place(bul, client):
    bulletin = draft(bul.liaison_xq)
    english(client).force_login(bul.liaison_xq)
    response = client.post(reverse("police:record_new", args=[bulletin.pk]),
                           record_post(bul.org, proximity="area"))
    assert response.context["form"].errors["place"] == [
        "A place is on campus: for an incident elsewhere in the precinct leave the place "
        "empty and write the location."]
    assert not BulletinRecord.objects.exists()
    # Without the place it is kept, with its location
    response = client.post(reverse("police:record_new", args=[bulletin.pk]),
                           record_post(bul.org, proximity="area", place="", campus="",
                                       location_text="长安路与纬二街路口"))
    assert response.status_code == 302
    assert BulletinRecord.objects.get().location_text == "长安路与纬二街路口"


def test_place_options_carry_their_campus_and_another_campus_place_is_refused(bul, client):
    bulletin = draft(bul.liaison_xq)
    # the office, who may enter every campus (a liaison is offered their partner's only)
    client.force_login(bul.staff)  # Chinese (the site language)
    page = client.get(reverse("police:record_new", args=[bulletin.pk])).content.decode()
    # The place select can be filtered by campus (police/bulletin_record.js)
    assert f'value="{bul.org.place_a.pk}" data-campus="{bul.org.campus1.pk}"' in page
    assert f'value="{bul.org.place_b.pk}" data-campus="{bul.org.campus2.pk}"' in page
    assert "police/bulletin_record.js" in page
    # "Where" (the proximity) is no longer labelled as the location (both were 地点)
    assert page.count('">地点') == 1
    # Without the script, a place of campus 2 under campus 1 is refused
    response = client.post(reverse("police:record_new", args=[bulletin.pk]),
                           record_post(bul.org, place=bul.org.place_b.pk))
    assert response.context["form"].errors["place"] == ["所选场所不在该校区。"]
    assert not BulletinRecord.objects.exists()


def test_record_form_labels_where_as_on_or_off_campus(bul, client):
    bulletin = draft(bul.liaison_xq)
    english(client).force_login(bul.liaison_xq)
    page = client.get(reverse("police:record_new", args=[bulletin.pk])).content.decode()
    assert '<label class="form-label" for="id_proximity">On or off campus' in page
    assert '<label class="form-label" for="id_location_text">Location' in page


def test_the_incident_type_is_chosen_not_preselected(bul, client):
    # Given the liaison's new-incident form
    bulletin = draft(bul.liaison_xq)
    english(client).force_login(bul.liaison_xq)
    url = reverse("police:record_new", args=[bulletin.pk])
    page = client.get(url).content.decode()
    # Then no type is selected: the first option is the empty "Choose…"
    select = page[page.index('name="category"'):]
    select = select[:select.index("</select>")]
    assert '<option value="" selected>Choose…</option>' in select
    assert "selected" not in select.replace('<option value="" selected>', "")
    # When it is sent without a type, it is refused with the reason and nothing is written
    response = client.post(url, record_post(bul.org, category=""))
    assert response.status_code == 200
    assert response.context["form"].errors["category"] == ["Choose the type of incident."]
    assert not BulletinRecord.objects.exists()


NOT_SERVED = ("Choose a campus your partner serves; an incident on another campus is for the "
              "partner serving it to report.")


def test_a_liaison_enters_incidents_and_hazards_only_on_the_campuses_they_serve(bul, client):
    with translation.override("en"):  # the services' messages in English
        # Given liaison_xq, whose station serves campus 1, and a draft of theirs
        bulletin = draft(bul.liaison_xq)
        # When they add an incident on campus 2, it is refused and nothing is written
        with pytest.raises(DomainError) as error:
            add(bul.liaison_xq, bulletin, bul.org, campus_id=bul.org.campus2.pk, place_id=None)
        assert error.value.field_errors == {"campus": [NOT_SERVED]}
        with pytest.raises(DomainError) as error:  # nor through a place on campus 2
            add(bul.liaison_xq, bulletin, bul.org, campus_id=None, place_id=bul.org.place_b.pk)
        assert error.value.field_errors == {"campus": [NOT_SERVED]}
        assert not BulletinRecord.objects.exists()
        # Given a published incident of theirs on campus 2 (entered by the office) and one without
        # a campus
        add(bul.staff, bulletin, bul.org, campus_id=bul.org.campus2.pk, place_id=None)
        add(bul.liaison_xq, bulletin, bul.org, proximity="area", campus_id=None, place_id=None)
        services.bulletin_publish(actor=bul.liaison_xq, bulletin_id=bulletin.pk)
        on_campus2, nowhere = bulletin.records.order_by("position")
        category = CategoryFactory()
        # When the liaison opens a hazard from either on campus 2, it is refused
        for record, campus in ((on_campus2, None), (nowhere, bul.org.campus2.pk)):
            with pytest.raises(DomainError) as error:
                services.record_open_hazard(actor=bul.liaison_xq, record_id=record.pk,
                                            category_id=category.pk, campus_id=campus)
            assert error.value.field_errors == {"campus": [NOT_SERVED]}
        assert not Hazard.objects.exists()
        # while on their own campus it is opened, and the office may open one on any campus
        hazard, created = services.record_open_hazard(actor=bul.liaison_xq, record_id=nowhere.pk,
                                                      category_id=category.pk,
                                                      campus_id=bul.org.campus1.pk)
        assert created and hazard.campus == bul.org.campus1
        hazard, created = services.record_open_hazard(actor=bul.staff, record_id=on_campus2.pk,
                                                      category_id=category.pk)
        assert created and hazard.campus == bul.org.campus2
        # and the liaison's forms offer campus 1 only
        english(client).force_login(bul.liaison_xq)
        form = client.get(reverse("police:record_new", args=[draft(bul.liaison_xq).pk])
                          ).context["form"]
        assert list(form.fields["campus"].queryset) == [bul.org.campus1]
        assert {p.campus_id for p in form.fields["place"].queryset} == {bul.org.campus1.pk}


# --- the issue label -----------------------------------------------------------------------
def test_publish_message_withdraw_title_and_cards_read_the_issue_label(bul, client):
    # Given a draft with an incident typed as its category and one typed otherwise
    bulletin = draft(bul.liaison_xq)
    add(bul.liaison_xq, bulletin, bul.org, type_label="")
    add(bul.liaison_xq, bulletin, bul.org, type_label="盗窃")
    add(bul.liaison_xq, bulletin, bul.org, type_label="电动车被盗")
    client.force_login(bul.liaison_xq)
    # When it is published on the page (Chinese)
    response = client.post(reverse("police:bulletin_publish", args=[bulletin.pk]),
                           follow=True)
    page = response.content.decode()
    # Then the message and the head say the issue as people write it
    assert "通报 2026年第1期 已发布。" in page
    assert "新区派出所 · 2026年第1期 ·" in page
    # and the category badge shows only beside a type that differs from it
    assert page.count('<span class="badge text-bg-light">盗窃</span>') == 1
    page = client.get(reverse("police:bulletin_withdraw", args=[bulletin.pk])).content.decode()
    assert "撤回通报 2026年第1期" in page
    listed = client.get(reverse("police:bulletin_list")).content.decode()
    assert "2026年第1期" in listed


def test_api_gives_the_label_beside_the_reference(bul):
    bulletin = draft(bul.liaison_xq)
    api = APIClient()
    api.force_authenticate(bul.liaison_xq)
    data = api.get(f"/api/v1/police/bulletins/{bulletin.pk}/").data
    assert (data["reference"], data["label"]) == ("2026-01", "2026年第1期")


def test_bulletin_list_with_a_reversed_period_says_so(bul, client):
    published(bul.liaison_xq, bul.org)
    client.force_login(bul.staff)
    response = client.get(reverse("police:bulletin_list"),
                          {"date_from": "2026-06-01", "date_to": "2026-05-01"})
    assert response.context["form"].errors["date_to"] == ["结束日期早于开始日期。"]
    assert "结束日期早于开始日期。" in response.content.decode()


# --- hazards opened from a record ----------------------------------------------------------
def test_hazard_opened_through_the_english_api_stores_the_site_language(bul):
    # Given a published incident and a liaison whose API client asks for English
    pub = published(bul.liaison_xq, bul.org)
    record = pub.records.get()
    api = APIClient()
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    api.force_authenticate(bul.liaison_xq)
    # When a hazard is opened without a title or description
    response = api.post(f"/api/v1/police/incidents/{record.pk}/open-hazard/",
                        {"category": bul.org.fire.pk}, format="json")
    assert response.status_code == 201, response.data
    # Then its texts are Chinese, with the issue label
    hazard = Hazard.objects.get()
    assert hazard.title == "新区派出所通报：电动车被盗"
    assert hazard.description.splitlines()[0] == (
        "新区派出所警情通报 2026年第1期 第 1 起，发生于 2026-05-03 21:30。")


def test_record_page_links_the_hazard_under_follow_up(bul, client):
    pub = published(bul.liaison_xq, bul.org)
    record = pub.records.get()
    hazard, _created = services.record_open_hazard(actor=bul.liaison_xq, record_id=record.pk,
                                                  category_id=bul.org.fire.pk)
    english(client).force_login(bul.liaison_xq)
    page = client.get(record.get_absolute_url()).content.decode()
    assert f'href="{reverse("hazards:detail", args=[hazard.pk])}" id="record-hazard-link"' in page
    assert 'href=""' not in page
    assert "Follow-up" in page and "What was done" not in page


def test_open_hazard_form_suggests_the_category_and_shows_where(bul, client):
    # Given a traffic incident and a theft, and no public-order category yet
    pub = published(bul.liaison_xq, bul.org, category="traffic", type_label="校门口交通事故")
    traffic = pub.records.get()
    theft = published(bul.liaison_xq, bul.org).records.get()
    client.force_login(bul.liaison_xq)

    def offered(record):
        response = client.get(reverse("police:record_hazard", args=[record.pk]))
        return response.context["form"]["category"].value(), response.content.decode()

    # Then traffic suggests the traffic category and the page shows the place and location
    category, page = offered(traffic)
    assert category == bul.org.traffic.pk
    assert 'id="record-facts"' in page and "化学楼 · 101实验室" in page
    assert "化学楼北侧车棚" in page
    # A theft suggests public order only once the office has that category
    assert offered(theft)[0] is None
    public_order = CategoryFactory(code="public_order", name="治安秩序")
    assert offered(theft)[0] == public_order.pk


def _point(org, code, **where):
    return RiskPoint.objects.create(
        code=code, name=f"风险点{code}", kind="gate", campus=org.campus1, hazard_factors="人车混行",
        responsible_person=org.users.contact_a, state="published", shared_with_partners=True,
        **where)


def test_risk_review_offers_the_points_at_the_place_first(bul, client):
    # Given points on campus 1: one anywhere, one in the record's building, one at its place
    org = bul.org
    _point(org, "FX-1")
    _point(org, "FX-2", building=org.building_a)
    _point(org, "FX-3", place=org.place_a, building=org.building_a)
    record = published(bul.liaison_xq, org).records.get()
    client.force_login(bul.staff)
    form = client.get(reverse("police:record_review", args=[record.pk])).context["form"]
    # Then the place's point comes first, then the building's, then the campus's
    assert [p.code for p in form.fields["risk_point"].queryset] == ["FX-3", "FX-2", "FX-1"]


# --- code review ---------------------------------------------------------------------------
def test_record_page_lists_only_reviews_of_points_the_user_sees(bul, client):
    # Given a record that prompted reviews of a point shared with partners and of one not
    org = bul.org
    shared = _point(org, "FX-1")
    unshared = _point(org, "FX-2")
    RiskPoint.objects.filter(pk=unshared.pk).update(shared_with_partners=False)
    record = published(bul.liaison_xq, org).records.get()
    for point in (shared, unshared):
        services.record_request_review(actor=bul.staff, record_id=record.pk,
                                       risk_point_id=point.pk, reason="车棚盗窃多发")
    # Then the liaison sees the shared point's request only, the office both
    client.force_login(bul.liaison_xq)
    assert [r.risk_point.code for r in client.get(record.get_absolute_url()).context[
        "reviews"]] == ["FX-1"]
    assert "FX-2" not in client.get(record.get_absolute_url()).content.decode()
    client.force_login(bul.staff)
    assert [r.risk_point.code for r in client.get(record.get_absolute_url()).context[
        "reviews"]] == ["FX-2", "FX-1"]


def test_a_double_tap_requests_one_review(bul, client):
    from safecampus.police.models import RiskReview

    _point(bul.org, "FX-1")
    record = published(bul.liaison_xq, bul.org).records.get()
    client.force_login(bul.liaison_xq)
    url = reverse("police:record_review", args=[record.pk])
    data = {"risk_point": RiskPoint.objects.get().pk, "reason": "车棚盗窃多发",
            "idempotency_key": "v" * 32}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert RiskReview.objects.count() == 1


def test_editing_a_record_keeps_its_disposition(bul, client):
    bulletin = draft(bul.liaison_xq)
    record = add(bul.liaison_xq, bulletin, bul.org, disposition_label="已立案")
    client.force_login(bul.liaison_xq)
    url = reverse("police:record_edit", args=[record.pk])
    form = client.get(url).context["form"]
    assert form["disposition_label"].value() == "已立案"
    data = {**record_post(bul.org, summary="夜间被盗"), "disposition_label": "已立案"}
    assert client.post(url, data).status_code == 302
    api = APIClient()
    api.force_authenticate(bul.liaison_xq)
    response = api.patch(f"/api/v1/police/incidents/{record.pk}/", {"summary": "改"},
                         format="json")
    assert response.status_code == 200, response.data
    record.refresh_from_db()
    assert (record.summary, record.disposition_label) == ("改", "已立案")


def test_api_dates_and_periods_are_bounded(bul):
    api = APIClient()
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    api.force_authenticate(bul.staff)
    # A filter date far in the past is a 400, not a 500
    assert api.get("/api/v1/police/incidents/", {"date_from": "0001-01-01"}).status_code == 400
    assert api.get("/api/v1/police/bulletins/", {"date_to": "0001-01-01"}).status_code == 400
    # A bulletin of year 1 or one ending tomorrow is refused
    head = {"title": "t", "partner": bul.xq.pk}
    response = api.post("/api/v1/police/bulletins/", {
        **head, "period_start": "0001-01-01", "period_end": "0001-01-31"}, format="json")
    assert response.status_code == 400
    assert response.data["detail"] == "The period cannot start before 2000-01-01."
    response = api.post("/api/v1/police/bulletins/", {
        **head, "period_start": "2026-06-01", "period_end": "2026-06-16"}, format="json")
    assert response.data["detail"] == "The period cannot end in the future."
    assert not Bulletin.objects.exists()


def test_a_numbered_bulletin_keeps_its_year(bul):
    bulletin = draft(bul.liaison_xq)  # 2026年第1期
    with pytest.raises(DomainError) as error, translation.override("en"):
        services.bulletin_update(actor=bul.liaison_xq, bulletin_id=bulletin.pk, title="t",
                                 period_start=dt.date(2025, 12, 1),
                                 period_end=dt.date(2025, 12, 31))
    assert error.value.field_errors == {"period_end": [
        "The bulletin is numbered 2026 issue 1: its period must end in 2026 (draft a new "
        "bulletin for another year)."]}
    assert Bulletin.objects.get().period_end == dt.date(2026, 6, 10)
