"""The office's decisions on the hazard page: deadline extensions (a bounded date, no decision
preselected, the notice page agreeing with the hazard), a unit for a hazard confirmed without
one, merging as a duplicate with the reason a number is refused, one label per action."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from safecampus.core import clock
from safecampus.core.errors import DomainError
from safecampus.hazards import selectors, services
from safecampus.hazards.models import ExtensionRequest, Status

from .helpers import confirmed, fresh, noticed, rectifying, reported

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Monday 2 November 2026, 10:00 in Shanghai.
NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _login(client, user):
    client.logout()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- 1. extensions ----------------------------------------------------------------------------
def test_an_extension_may_ask_for_at_most_180_days_from_today(org):
    with clock.frozen(NOW):
        hazard, _notice = noticed(org)
        # when the unit asks for 9999-12-31, or 181 days from today
        for day in (dt.date(9999, 12, 31), dt.date(2027, 5, 2)):
            with pytest.raises(DomainError) as caught:
                services.extension_request(actor=org.users.contact_a, hazard_id=hazard.pk,
                                           requested_deadline=day, reason="材料未到")
            # then it is refused on the field, with the latest date allowed, and nothing saved
            message = "The new deadline can be at most 180 days from today (2027-05-01)."
            assert caught.value.message == message
            assert caught.value.field_errors == {"requested_deadline": [message]}
        assert not ExtensionRequest.objects.exists()
        # 180 days from today, the longest a new notice may allow, is accepted
        request = services.extension_request(actor=org.users.contact_a, hazard_id=hazard.pk,
                                             requested_deadline=dt.date(2027, 5, 1),
                                             reason="材料未到")
    assert request.state == ExtensionRequest.State.PENDING


def test_the_extension_form_offers_no_later_date_than_allowed(org, client):
    with clock.frozen(NOW):
        hazard, _notice = noticed(org)
        _login(client, org.users.contact_a)
        form = client.get(reverse("hazards:detail", args=[hazard.pk])).context["forms"][
            "extension"]
    assert form.fields["requested_deadline"].widget.attrs["max"] == "2027-05-01"
    assert str(form.fields["requested_deadline"].help_text) == (
        "At most 180 days from today (2027-05-01).")


def test_the_decision_must_be_chosen_and_a_grant_shows_on_the_notice(org, client):
    # given the unit asked for a later deadline
    hazard, notice = noticed(org)
    request = services.extension_request(
        actor=org.users.contact_a, hazard_id=hazard.pk, reason="配件需要订购",
        requested_deadline=clock.local_today() + dt.timedelta(days=30))
    _login(client, org.users.staff)
    page = client.get(reverse("hazards:detail", args=[hazard.pk]))
    # then the office's form has no decision preselected
    decide = page.context["forms"]["decide"]
    assert decide["decision"].value() is None
    assert '<option value="" selected>— choose —</option>' in page.content.decode()
    # when the officer records a decision without choosing one
    url = reverse("hazards:extension_decide", args=[hazard.pk, request.pk])
    response = client.post(url, {"decision": "", "comment": ""})
    # then nothing is decided
    assert _messages(response) == ["Choose grant or refuse."]
    assert ExtensionRequest.objects.get(pk=request.pk).state == ExtensionRequest.State.PENDING
    assert fresh(hazard).deadline == notice.deadline
    # when the officer grants it
    client.post(url, {"decision": "grant"})
    new_deadline = fresh(hazard).deadline
    assert new_deadline == clock.end_of_local_day(request.requested_deadline)
    # then the notice page shows the hazard's new deadline beside the notice's own
    html = client.get(reverse("hazards:notice_detail", args=[notice.pk])).content.decode()
    assert f"Deadline extended to {request.requested_deadline:%Y-%m-%d}" in html
    assert f"{notice.deadline.astimezone(SHANGHAI):%Y-%m-%d}" in html
    [listed] = selectors.notice_hazards(notice)
    assert listed.extended_deadline == new_deadline


def test_the_notice_page_says_nothing_extra_without_an_extension(org, client):
    hazard, notice = noticed(org)
    _login(client, org.users.staff)
    html = client.get(reverse("hazards:notice_detail", args=[notice.pk])).content.decode()
    assert "Deadline extended" not in html
    assert selectors.notice_hazards(notice)[0].extended_deadline is None


# --- 2. a unit for a hazard confirmed without one ---------------------------------------------
def test_a_hazard_confirmed_without_a_unit_gets_one_and_can_be_put_on_a_notice(org, client):
    # given an outdoor report (campus only, no routing rule) confirmed with the unit left empty
    hazard = reported(org, place_id=None, campus_id=org.campus1.pk, title="路灯不亮")
    _login(client, org.users.staff)
    client.post(reverse("hazards:action", args=[hazard.pk, "confirm"]),
                {"grade": "general", "responsible_unit": "", "version": hazard.version})
    stuck = fresh(hazard)
    assert (stuck.status, stuck.responsible_unit_id) == (Status.CONFIRMED, None)
    assert not selectors.hazards_awaiting_notice(org.users.staff).filter(pk=hazard.pk).exists()
    # then its page offers the unit in "Change category, grade, place or unit", opened
    page = client.get(reverse("hazards:detail", args=[hazard.pk]))
    html = page.content.decode()
    assert "responsible_unit" in page.context["forms"]["location"].fields
    assert page.context["needs_unit"] is True
    assert 'id="needs-unit"' in html and 'id="action-location" open' in html
    # when the officer chooses a unit there
    response = client.post(reverse("hazards:action", args=[hazard.pk, "location"]), {
        "category": org.fire.pk, "grade": "general", "campus": org.campus1.pk,
        "responsible_unit": org.unit_a.pk, "version": stuck.version})
    # then the hazard has the unit, the timeline says so, and a notice can be issued
    assert response.status_code == 302
    freed = fresh(hazard)
    assert freed.responsible_unit_id == org.unit_a.pk
    assert selectors.hazards_awaiting_notice(org.users.staff).filter(pk=hazard.pk).exists()
    page = client.get(reverse("hazards:detail", args=[hazard.pk]))
    assert page.context["can_issue_notice"] is True and page.context["needs_unit"] is False
    notice = services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                   requirements="修复路灯", deadline_days=7)
    assert notice.unit_id == org.unit_a.pk


def test_routing_still_decides_when_the_unit_is_left_as_it_was(org):
    # given a hazard of unit A (its place's unit)
    hazard = confirmed(org)
    assert hazard.responsible_unit_id == org.unit_a.pk
    # when its place moves to unit B's building and the form sends the old unit unchanged
    services.hazard_update_location(
        actor=org.users.staff, hazard_id=hazard.pk, category_id=org.fire.pk,
        campus_id=org.campus2.pk, place_id=org.place_b.pk, responsible_unit_id=org.unit_a.pk)
    # then the new place's unit is responsible
    assert fresh(hazard).responsible_unit_id == org.unit_b.pk
    # and an inactive or unknown unit is refused on the field
    org.logistics.is_active = False
    org.logistics.save()
    with pytest.raises(DomainError) as caught:
        services.hazard_update_location(
            actor=org.users.staff, hazard_id=hazard.pk, category_id=org.fire.pk,
            campus_id=org.campus2.pk, place_id=org.place_b.pk,
            responsible_unit_id=org.logistics.pk)
    assert caught.value.field_errors == {
        "responsible_unit": ["Choose a responsible unit from the list."]}
    assert fresh(hazard).responsible_unit_id == org.unit_b.pk


# --- 6. merging as a duplicate ----------------------------------------------------------------
def test_merging_says_why_a_number_is_refused(org, client):
    hazard = reported(org)
    _login(client, org.users.staff)
    url = reverse("hazards:action", args=[hazard.pk, "duplicate"])
    for typed, message in (
            (hazard.reference, "A hazard cannot repeat itself: give the number of another "
                               "hazard."),
            ("YH2026-999999", "There is no hazard numbered 999999."),
            ("4242", "There is no hazard numbered 4242.")):
        response = client.post(url, {"duplicate_of": typed, "version": hazard.version})
        assert response.status_code == 400
        assert response.context["forms"]["duplicate"].errors == {"duplicate_of": [message]}
    assert fresh(hazard).status == Status.REPORTED
    with translation.override("zh-hans"):
        with pytest.raises(DomainError) as caught:
            services.hazard_mark_duplicate(actor=org.users.staff, hazard_id=hazard.pk,
                                           duplicate_of_id=hazard.pk)
    assert caught.value.message == "不能与自身重复：请填写另一条隐患的编号。"
    with translation.override("zh-hans"):
        with pytest.raises(DomainError) as caught:
            services.hazard_mark_duplicate(actor=org.users.staff, hazard_id=hazard.pk,
                                           duplicate_of_id=999999)
    assert caught.value.message == "没有编号为 999999 的隐患。"


# --- 9. one label for one action --------------------------------------------------------------
def test_the_evidence_action_has_one_label(org, client):
    hazard, _notice = rectifying(org)
    _login(client, org.users.contact_a)
    html = client.get(reverse("hazards:detail", args=[hazard.pk])).content.decode()
    assert "Submit for verification" not in html
    # the heading, the form's button and the phone's sticky button
    assert html.count("Submit rectification evidence") == 3
