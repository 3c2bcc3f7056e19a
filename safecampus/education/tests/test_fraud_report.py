"""Confidential fraud reports: submitting (checks, affiliation copied, idempotency, the
handlers told without content), the permission matrix (reporter, police liaison, office
administrator see it; office staff, unit contacts, counsellors, other students get 404), every
edge of the state machine with the reporter told at each step, the pages and the API."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.education.models import FraudReport
from safecampus.education.selectors import reports as selectors
from safecampus.education.services import reports as services
from safecampus.notifications.models import Notification
from safecampus.tests.factories import user_with_role
from safecampus.tests.pages import login, messages_of, text_of

from .library_helpers import NOW, english, report, student, taxonomy_fixture  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")
State = FraudReport.State


@pytest.fixture
def people(org):
    """A student of unit A on campus 1, the police liaison of campus 1 and of campus 2, a
    counsellor of unit A."""
    from types import SimpleNamespace

    return SimpleNamespace(
        reporter=student(org, "reporter1"),
        other=student(org, "other1"),
        police1=user_with_role(Role.POLICE_LIAISON, campus=org.campus1, username="police_c1"),
        police2=user_with_role(Role.POLICE_LIAISON, campus=org.campus2, username="police_c2"),
        counsellor=user_with_role(Role.COUNSELLOR, unit=org.unit_a, username="couns_a"))


# --- submitting -------------------------------------------------------------------------------
def test_a_report_copies_the_affiliation_and_tells_the_campus_police_and_admins_only(
        org, people, taxonomy, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        made = report(people.reporter, fraud_type_id=taxonomy["brushing"].pk, lost_money=True,
                      loss_amount="2,000".replace(",", ""), counterpart="QQ 12345",
                      contact_phone="１３８ 0000 1111", message_text="刷单日结佣金")
    assert made.state == State.SUBMITTED and made.college == org.unit_a
    assert made.campus == org.campus1 and made.loss_amount == Decimal("2000.00")
    assert made.contact_phone == "138 0000 1111"
    told = Notification.objects.filter(verb="education.fraud_report_submit")
    assert sorted(n.recipient.username for n in told) == ["admin1", "police_c1"]
    for note in told:
        with translation.override(settings.LANGUAGE_CODE):
            assert note.title == gettext("New fraud report")
        assert "刷单" not in note.title + note.body and "2000" not in note.title + note.body
        assert note.url == reverse("education:fraud_report_detail", args=[made.pk])
    assert [e.verb for e in activity_for(made)] == ["education.fraud_report_submit"]


def test_without_a_police_liaison_on_the_campus_every_liaison_is_told(
        org, people, taxonomy, django_capture_on_commit_callbacks):
    far = student(org, "far1", unit=org.unit_b, campus=org.campus2)
    people.police2.memberships.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        report(far)
    told = {n.recipient.username for n in Notification.objects.filter(
        verb="education.fraud_report_submit")}
    assert told == {"admin1", "police_c1", "police1"}


def test_bad_input_is_refused_with_every_field_named_and_nothing_written(org, people,
                                                                          taxonomy):
    with clock.frozen(NOW), pytest.raises(DomainError) as caught:
        services.fraud_report_submit(
            actor=people.reporter, channel="pigeon", occurred_on=dt.date(2026, 3, 11),
            fraud_type_id="abc", lost_money=True, loss_amount="10000000.01",
            description=" ", message_text="x" * 5001, counterpart="y" * 201,
            contact_phone="call me")
    assert caught.value.field_errors == {
        "channel": ["Choose how it reached you."],
        "occurred_on": ["The day cannot be in the future."],
        "fraud_type": ["Choose a fraud type from the list, or “not sure”."],
        "loss_amount": ["Enter an amount from 0 to 10,000,000 yuan."],
        "description": ["Tell what happened."],
        "message_text": ["At most 5000 characters."],
        "counterpart": ["At most 200 characters."],
        "contact_phone": ["Enter a phone number (digits, with spaces, +, - or brackets)."]}
    with clock.frozen(NOW), pytest.raises(DomainError) as caught:
        services.fraud_report_submit(actor=people.reporter, channel="sms", occurred_on=None,
                                     lost_money=True, description="d")
    assert caught.value.field_errors == {"occurred_on": ["Enter the day it happened."],
                                         "loss_amount": ["Enter how much money was lost."]}
    assert not FraudReport.objects.exists()
    with pytest.raises(NotAllowed):
        services.fraud_report_submit(actor=None, channel="sms", occurred_on=NOW.date(),
                                     description="d")


def test_no_money_lost_ignores_an_amount_and_the_same_key_makes_one_report(org, people,
                                                                           taxonomy):
    made = report(people.reporter, lost_money=False, loss_amount="500",
                  idempotency_key="key-12345678")
    again = report(people.reporter, lost_money=False, idempotency_key="key-12345678")
    assert again.pk == made.pk and made.loss_amount is None
    assert FraudReport.objects.count() == 1
    with pytest.raises(Conflict):
        report(people.other, idempotency_key="key-12345678")


# --- state machine ----------------------------------------------------------------------------
def _steps(report_, actor, *names):
    for name in names:
        if name == "receive":
            services.fraud_report_receive(actor=actor, report_id=report_.pk)
        elif name == "refer":
            services.fraud_report_refer(actor=actor, report_id=report_.pk,
                                        police_reference="西公(刑)受字2026-031")
        else:
            services.fraud_report_close(actor=actor, report_id=report_.pk, note="已立案")


@pytest.mark.parametrize("path, allowed", [
    (["receive"], True), (["refer"], True), (["close"], True),
    (["receive", "refer"], True), (["receive", "close"], True),
    (["receive", "refer", "close"], True), (["refer", "close"], True),
    (["receive", "receive"], False), (["refer", "receive"], False),
    (["refer", "refer"], False), (["close", "receive"], False), (["close", "refer"], False),
    (["close", "close"], False), (["receive", "refer", "receive"], False),
])
def test_every_edge_of_the_state_machine(org, people, path, allowed):
    made = report(people.reporter)
    *before, last = path
    _steps(made, people.police1, *before)
    if allowed:
        _steps(made, people.police1, last)
    else:
        state = FraudReport.objects.get(pk=made.pk).get_state_display()
        with pytest.raises(Conflict) as caught:
            _steps(made, people.police1, last)
        assert caught.value.message == (f"This cannot be done while the report is “{state}”.")


def test_the_handlers_steps_tell_the_reporter_and_write_the_timeline(
        org, people, django_capture_on_commit_callbacks):
    made = report(people.reporter)
    with django_capture_on_commit_callbacks(execute=True):
        with clock.frozen(NOW + dt.timedelta(hours=1)):
            services.fraud_report_receive(actor=people.police1, report_id=made.pk,
                                          note="已联系")
        with clock.frozen(NOW + dt.timedelta(hours=2)):
            services.fraud_report_refer(actor=people.police1, report_id=made.pk,
                                        police_reference="  A-2026-7 ")
        with clock.frozen(NOW + dt.timedelta(days=2)):
            services.fraud_report_close(actor=org.users.admin, report_id=made.pk,
                                        note="钱款已部分止付")
    made.refresh_from_db()
    assert made.state == State.CLOSED and made.police_reference == "A-2026-7"
    assert made.closing_note == "钱款已部分止付" and made.handled_by == org.users.admin
    assert made.closed_at == NOW + dt.timedelta(days=2)
    titles = list(Notification.objects.filter(recipient=people.reporter)
                  .order_by("id").values_list("title", flat=True))
    with translation.override(settings.LANGUAGE_CODE):  # stored in the site's language
        assert titles == [gettext("Your fraud report: %(state)s") % {"state": label} for label in (
            State.RECEIVED.label, State.REFERRED.label, State.CLOSED.label)]
    assert [(e.verb, e.from_state, e.to_state) for e in activity_for(made)] == [
        ("education.fraud_report_submit", "", "submitted"),
        ("education.fraud_report_receive", "submitted", "received"),
        ("education.fraud_report_refer", "received", "referred"),
        ("education.fraud_report_close", "referred", "closed")]
    with pytest.raises(DomainError) as caught:
        services.fraud_report_close(actor=people.police1, report_id=made.pk, note=" ")
    assert caught.value.field_errors == {"note": ["Write what came of it."]}


def test_only_handlers_take_steps(org, people):
    made = report(people.reporter)
    for outsider in (people.reporter, people.counsellor, org.users.staff, org.users.contact_a,
                     org.users.leadership):
        with pytest.raises(NotAllowed):
            services.fraud_report_receive(actor=outsider, report_id=made.pk)
    with pytest.raises(DomainError) as caught:
        services.fraud_report_refer(actor=people.police1, report_id=made.pk,
                                    police_reference="")
    assert caught.value.field_errors == {
        "police_reference": ["Enter the police station's case number."]}
    with pytest.raises(DomainError) as caught:
        services.fraud_report_receive(actor=people.police1, report_id=10**30)
    assert caught.value.code == "not_found"


# --- the permission matrix on pages and the API -----------------------------------------------
def test_who_sees_a_report(client, org, people):
    made = report(people.reporter, description="我被冒充客服骗了")
    page = reverse("education:fraud_report_detail", args=[made.pk])
    api = reverse("api:fraud-report-detail", args=[made.pk])
    sees = {people.reporter: True, people.police1: True, people.police2: True,
            org.users.admin: True, org.users.staff: False, org.users.contact_a: False,
            org.users.leader_a: False, people.counsellor: False, people.other: False,
            org.users.leadership: False, org.users.guard: False}
    for user, visible in sees.items():
        login(client, user)
        response = client.get(page)
        assert response.status_code == (200 if visible else 404), user.username
        if visible:
            assert "我被冒充客服骗了" in text_of(response)
        assert client.get(api).status_code == (200 if visible else 404), user.username
        listed = [r["id"] for r in client.get(reverse("api:fraud-report-list")).json()["results"]]
        assert (made.pk in listed) == visible, user.username
        queue = client.get(reverse("education:fraud_report_queue"))
        handler = user in (people.police1, people.police2, org.users.admin)
        assert queue.status_code == (200 if handler else 403), user.username
    assert selectors.report_for(people.other, made.pk) is None


def test_the_report_page_prefills_the_checker_text_and_stores_it_only_when_sent(
        client, org, people, taxonomy):
    login(client, people.reporter)
    url = reverse("education:fraud_report")
    long_text = "【通知】您的校园贷账户未注销" + "x" * 6000
    # Given the checker's "Report it" (a POST with from=checker), even with report fields in it
    response = client.post(url, {"from": "checker", "text": long_text, "channel": "sms",
                                 "occurred_on": "2026-03-09", "description": "x"})
    # then the empty form comes back with the message in it, no errors, nothing written
    assert response.status_code == 200
    text = text_of(response)
    assert "The message you checked is filled in below." in text
    assert "【通知】您的校园贷账户未注销" in response.content.decode()
    form = response.context["form"]
    assert not form.is_bound and form.initial["message_text"] == long_text[:5000]
    assert "description" not in form.initial and "is-invalid" not in response.content.decode()
    assert not FraudReport.objects.exists()
    with clock.frozen(NOW):
        response = client.post(url, {"channel": "sms", "occurred_on": "2026-03-11",
                                     "description": "x", "lost_money": "on"})
    assert response.status_code == 400
    page = text_of(response)
    assert "The day cannot be in the future." in page and "Enter how much money was lost." in page
    assert not FraudReport.objects.exists()
    form = {"channel": "sms", "occurred_on": "2026-03-09", "description": "收到短信让我注销",
            "fraud_type": taxonomy["refund_cancel_loan"].pk, "message_text": "【通知】注销",
            "contact_phone": "13800001111", "idempotency_key": "form-key-0001"}
    with clock.frozen(NOW):
        response = client.post(url, form)
        client.post(url, form)  # a double tap
    made = FraudReport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "education:fraud_report_detail", args=[made.pk])
    assert messages_of(response) == ["Your report was sent to the police liaison. Only you and "
                                     "those handling it can read it."]
    assert made.message_text == "【通知】注销" and made.reporter == people.reporter
    text = text_of(client.get(reverse("education:fraud_reports_mine")))
    assert "Submitted" in text and "冒充客服退款/注销校园贷" in text


def test_the_checker_text_never_travels_in_a_url_and_a_prefill_writes_nothing(client, org,
                                                                              people):
    made = report(people.other)
    url = reverse("education:fraud_report")
    # signed out: the checker's POST is sent to sign in, without the text
    response = client.post(url, {"from": "checker", "text": "【通知】点击链接退款"})
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login"))
    assert "text" not in response["Location"] and "%E3%80%90" not in response["Location"]
    login(client, people.reporter)
    # the old address with ?text= fills nothing in any more
    response = client.get(url, {"from": "checker", "text": "【通知】点击链接退款"})
    assert response.status_code == 200 and "点击链接退款" not in response.content.decode()
    assert "message_text" not in response.context["form"].initial
    assert "The message you checked is filled in below." not in text_of(response)
    # a prefill with the text is not cached and stores nothing
    response = client.post(url, {"from": "checker", "text": "【通知】点击链接退款"})
    assert response.context["form"].initial["message_text"] == "【通知】点击链接退款"
    assert "no-store" in response["Cache-Control"]
    assert list(FraudReport.objects.values_list("pk", flat=True)) == [made.pk]


def test_the_liaison_handles_a_report_on_its_page(client, org, people):
    made = report(people.reporter)
    login(client, people.police1)
    page = text_of(client.get(reverse("education:fraud_report_detail", args=[made.pk])))
    assert "Receive it" in page and "Refer to the police station" in page
    url = reverse("education:fraud_report_step", args=[made.pk, "refer"])
    response = client.post(url, {"refer-police_reference": ""})
    assert response.status_code == 400 and "This field is required." in text_of(response)
    response = client.post(url, {"refer-police_reference": "P-1"})
    assert messages_of(response) == ["Done: the reporter was told."]
    made.refresh_from_db()
    assert made.state == State.REFERRED
    page = text_of(client.get(reverse("education:fraud_report_detail", args=[made.pk])))
    assert "Receive it" not in page and "Close it" in page
    login(client, people.reporter)
    assert client.post(reverse("education:fraud_report_step", args=[made.pk, "close"]),
                       {"close-note": "x"}).status_code == 403
    login(client, people.other)
    assert client.post(reverse("education:fraud_report_step", args=[made.pk, "close"]),
                       {"close-note": "x"}).status_code == 404


def test_the_queue_lists_open_reports_with_a_fixed_query_count(
        client, org, people, django_assert_max_num_queries):
    report(people.reporter)
    login(client, people.police1)
    url = reverse("education:fraud_report_queue")
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for i in range(6):
        _steps(report(people.other), people.police1, *(["receive"] if i % 2 else []))
    with django_assert_max_num_queries(len(few.captured_queries)):
        text = text_of(client.get(url))
    assert "Open reports 7" in text and "Submitted 4" in text and "Received by the police liaison 3" in text


def test_the_api_creates_lists_and_steps(client, org, people, taxonomy):
    login(client, people.reporter)
    url = reverse("api:fraud-report-list")
    body = {"channel": "phone", "occurred_on": "2026-03-01", "description": "冒充公检法",
            "fraud_type": taxonomy["police_impersonation"].pk, "lost_money": True,
            "loss_amount": "50000.00"}
    with clock.frozen(NOW):
        response = client.post(url, body, content_type="application/json",
                               HTTP_IDEMPOTENCY_KEY="api-key-0001")
        again = client.post(url, body, content_type="application/json",
                            HTTP_IDEMPOTENCY_KEY="api-key-0001")
    assert response.status_code == 201 and again.status_code == 200
    data = response.json()
    assert data["state"] == "submitted" and data["fraud_type"]["code"] == "police_impersonation"
    assert data["actions"] == [] and data["college"]["name"] == org.unit_a.name
    with clock.frozen(NOW):
        bad = client.post(url, {**body, "occurred_on": "2026-04-01"},
                          content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"occurred_on": ["The day cannot be in the future."]}
    pk = data["id"]
    assert client.post(reverse("api:fraud-report-receive", args=[pk]), {},
                       content_type="application/json").status_code == 403
    login(client, people.police2)
    listed = client.get(url, {"state": "open"}).json()["results"]
    assert [r["id"] for r in listed] == [pk]
    response = client.post(reverse("api:fraud-report-refer", args=[pk]),
                           {"police_reference": "X-1"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "referred"
    assert response.json()["actions"] == ["close", "classify"]
    response = client.post(reverse("api:fraud-report-receive", args=[pk]), {},
                           content_type="application/json")
    assert response.status_code == 409
    assert client.get(url, {"state": "closed"}).json()["results"] == []


def test_the_library_api_lists_active_types_and_published_cases(client, org, people, taxonomy):
    from safecampus.education.services import library

    draft = library.fraud_case_create(actor=org.users.staff,
                                      fraud_type_id=taxonomy["romance"].pk, title="交友被骗",
                                      story="对方带我投资")
    login(client, people.reporter)
    types = client.get(reverse("api:fraud-type-list")).json()
    assert len(types) == 13 and types[0]["code"] == "brushing"
    assert "要先垫钱才能拿佣金" in types[0]["red_flags"]
    assert client.get(reverse("api:fraud-case-list")).json()["results"] == []
    assert client.get(reverse("api:fraud-case-detail", args=[draft.pk])).status_code == 404
    library.fraud_case_publish(actor=org.users.staff, case_id=draft.pk)
    rows = client.get(reverse("api:fraud-case-list"), {"type": "romance", "q": "投资"}).json()
    assert [r["id"] for r in rows["results"]] == [draft.pk]
    assert client.get(reverse("api:fraud-case-list"), {"type": "loan"}).json()["results"] == []
    client.logout()
    assert client.get(reverse("api:fraud-type-list")).status_code in (401, 403)


# --- setting the fraud type after it arrived --------------------------------------------------
def test_a_handler_sets_the_fraud_type_until_the_report_is_closed(org, people, taxonomy):
    made = report(people.reporter)
    assert made.fraud_type is None
    for outsider in (people.reporter, people.counsellor, org.users.staff, org.users.leadership):
        with pytest.raises(NotAllowed):
            services.fraud_report_classify(actor=outsider, report_id=made.pk,
                                           fraud_type_id=taxonomy["brushing"].pk)
    done = services.fraud_report_classify(actor=people.police1, report_id=made.pk,
                                          fraud_type_id=taxonomy["brushing"].pk)
    assert done.fraud_type == taxonomy["brushing"] and done.state == State.SUBMITTED
    entries = [e for e in activity_for(made) if e.verb == "education.fraud_report_classify"]
    assert [(e.actor, e.data) for e in entries] == [
        (people.police1, {"from": None, "to": "brushing"})]
    # the same type again changes nothing and writes nothing
    services.fraud_report_classify(actor=people.police1, report_id=made.pk,
                                   fraud_type_id=taxonomy["brushing"].pk)
    assert len([e for e in activity_for(made)
                if e.verb == "education.fraud_report_classify"]) == 1
    # an inactive or unknown type is refused with the field named, nothing changed
    inactive = taxonomy["romance"]
    inactive.is_active = False
    inactive.save()
    for bad in (inactive.pk, 10**30, "x"):
        with pytest.raises(DomainError) as caught:
            services.fraud_report_classify(actor=org.users.admin, report_id=made.pk,
                                           fraud_type_id=bad)
        assert list(caught.value.field_errors) == ["fraud_type"]
    made.refresh_from_db()
    assert made.fraud_type == taxonomy["brushing"]
    # allowed while received and referred; back to "not sure" with None
    _steps(made, people.police1, "receive", "refer")
    services.fraud_report_classify(actor=org.users.admin, report_id=made.pk, fraud_type_id=None)
    made.refresh_from_db()
    assert made.fraud_type is None and made.state == State.REFERRED
    _steps(made, people.police1, "close")
    with pytest.raises(Conflict):
        services.fraud_report_classify(actor=people.police1, report_id=made.pk,
                                       fraud_type_id=taxonomy["brushing"].pk)
    made.refresh_from_db()
    assert made.fraud_type is None
    with pytest.raises(DomainError) as caught:
        services.fraud_report_classify(actor=people.police1, report_id=10**30,
                                       fraud_type_id=None)
    assert caught.value.code == "not_found"


def test_the_liaison_sets_the_fraud_type_on_the_page_and_through_the_api(client, org, people,
                                                                        taxonomy):
    made = report(people.reporter)
    page = reverse("education:fraud_report_detail", args=[made.pk])
    url = reverse("education:fraud_report_classify", args=[made.pk])
    login(client, people.reporter)
    assert "classify" not in client.get(page).content.decode()
    assert client.post(url, {"classify-fraud_type": taxonomy["brushing"].pk}).status_code == 403
    login(client, people.other)
    assert client.post(url, {"classify-fraud_type": taxonomy["brushing"].pk}).status_code == 404
    login(client, people.police1)
    assert "Set the fraud type" in text_of(client.get(page))
    response = client.post(url, {"classify-fraud_type": "999999"})
    assert response.status_code == 400 and "Select a valid choice." in text_of(response)
    response = client.post(url, {"classify-fraud_type": taxonomy["brushing"].pk})
    assert response.status_code == 302 and messages_of(response) == ["Fraud type set."]
    made.refresh_from_db()
    assert made.fraud_type == taxonomy["brushing"]
    assert "Fraud type set" in text_of(client.get(page))  # on the timeline
    api = reverse("api:fraud-report-classify", args=[made.pk])
    response = client.post(api, {"fraud_type": taxonomy["romance"].pk},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["fraud_type"]["code"] == "romance"
    response = client.post(api, {"fraud_type": None}, content_type="application/json")
    assert response.status_code == 200 and response.json()["fraud_type"] is None
    assert client.post(api, {}, content_type="application/json").status_code == 400
    _steps(made, people.police1, "close")
    assert "Set the fraud type" not in text_of(client.get(page))
    assert client.post(api, {"fraud_type": None},
                       content_type="application/json").status_code == 409
    assert client.post(url, {"classify-fraud_type": ""}).status_code == 400
    login(client, people.reporter)
    assert client.post(api, {"fraud_type": None},
                       content_type="application/json").status_code == 403


def test_the_checker_prefills_its_top_fraud_type_by_code(client, org, people, taxonomy):
    login(client, people.reporter)
    url = reverse("education:fraud_report")
    response = client.post(url, {"from": "checker", "text": "刷单返利日结",
                                 "fraud_type": "brushing"})
    form = response.context["form"]
    assert response.status_code == 200 and form.initial["fraud_type"] == taxonomy["brushing"].pk
    assert f'<option value="{taxonomy["brushing"].pk}" selected>' in response.content.decode()
    inactive = taxonomy["romance"]
    inactive.is_active = False
    inactive.save()
    for ignored in ("no_such_code", "romance", str(taxonomy["brushing"].pk), "x" * 500):
        response = client.post(url, {"from": "checker", "text": "x", "fraud_type": ignored})
        assert response.status_code == 200, ignored
        assert "fraud_type" not in response.context["form"].initial, ignored
    assert not FraudReport.objects.exists()


def test_a_report_without_a_loss_says_none_not_no(client, org, people):
    made = report(people.reporter)
    login(client, people.reporter)
    response = client.get(reverse("education:fraud_report_detail", args=[made.pk]))
    body = response.content.decode()
    assert '<span id="no-loss">None</span>' in body and ">No<" not in body


@pytest.mark.parametrize("amount", ["1e30", "-5", "123456789012345", "10000000.01"])
def test_an_amount_out_of_range_gets_one_message(client, org, people, amount):
    # Given a reporter who lost money and types an amount out of range (1e30 too)
    login(client, people.reporter)
    with clock.frozen(NOW):
        response = client.post(reverse("education:fraud_report"), {
            "channel": "sms", "occurred_on": "2026-03-09", "description": "x",
            "lost_money": "on", "loss_amount": amount})
    # Then the field says one thing, in range terms, and nothing is written
    assert response.status_code == 400
    assert response.context["form"].errors["loss_amount"] == [
        "Enter an amount from 0 to 10,000,000 yuan."]
    assert not FraudReport.objects.exists()


def test_the_services_refuse_a_huge_amount_as_out_of_range(org, people):
    # 1e30 cannot be rounded to cents in the decimal context: still the range message
    with clock.frozen(NOW), pytest.raises(DomainError) as caught:
        services.fraud_report_submit(actor=people.reporter, channel="sms",
                                     occurred_on=dt.date(2026, 3, 9), lost_money=True,
                                     loss_amount="1e30", description="d")
    assert caught.value.field_errors == {
        "loss_amount": ["Enter an amount from 0 to 10,000,000 yuan."]}
