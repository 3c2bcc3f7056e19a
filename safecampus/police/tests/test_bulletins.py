"""Incident bulletins: drafting and numbering, records while draft, publish and withdraw,
liaison permissions, and what a published record can open (hazard, risk review, warning)."""
# ruff: noqa: F811  (the bul fixture is imported from bulletins_helpers)

import datetime as dt
import re
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from safecampus.accounts.models import Affiliation
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.hazards.models import Hazard
from safecampus.notifications.models import Alert, Notification
from safecampus.notifications.services import alert_send
from safecampus.organisation.models import ClassGroup
from safecampus.police.models import Bulletin, BulletinRecord, RiskPoint, RiskReview
from safecampus.police.services import bulletins as services
from safecampus.tests.factories import UserFactory

from .bulletins_helpers import add, bul, draft, english, local, published, record_values  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# --- drafting and numbering ----------------------------------------------------------------
def test_liaison_drafts_for_own_partner_and_numbers_run_per_partner_and_year(bul):
    # Given two drafts of station xq and one of cx in 2026
    first = draft(bul.liaison_xq)
    second = draft(bul.liaison_xq, partner=bul.cx)  # a liaison's partner is their own
    other = draft(bul.staff, partner=bul.cx)
    # Then each partner counts its own issues
    assert (first.partner, first.reference) == (bul.xq, "2026-01")
    assert (second.partner, second.reference) == (bul.xq, "2026-02")
    assert (other.partner, other.reference) == (bul.cx, "2026-01")
    # People read the issue as "2026年第2期" (the reference stays the machine form)
    assert services.bulletin_label(second) == "2026 issue 2"
    with translation.override("zh-hans"):
        assert services.bulletin_label(second) == "2026年第2期"
    assert [e.verb for e in activity_for(first)] == ["police.bulletin_draft"]


def test_office_must_choose_partner_and_period_must_be_ordered(bul):
    with pytest.raises(DomainError) as error:
        draft(bul.staff)
    assert error.value.field_errors == {"partner": ["Choose the partner the bulletin is from."]}
    with pytest.raises(DomainError) as error:
        draft(bul.liaison_xq, start=dt.date(2026, 6, 1), end=dt.date(2026, 5, 1))
    assert error.value.field_errors == {"period_end": ["The period ends before it starts."]}
    assert not Bulletin.objects.exists()


def test_same_idempotency_key_drafts_once(bul):
    a = draft(bul.liaison_xq, idempotency_key="k" * 32)
    b = draft(bul.liaison_xq, idempotency_key="k" * 32)
    assert a.pk == b.pk and Bulletin.objects.count() == 1


def test_people_without_the_role_cannot_draft(bul):
    with pytest.raises(NotAllowed):
        draft(bul.org.users.student, partner=bul.xq)


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="needs PostgreSQL row locks and parallel connections")
@pytest.mark.django_db(transaction=True)
def test_concurrent_drafts_get_distinct_numbers(bul):
    # Given six liaison requests at once
    numbers, errors = [], []

    def work():
        try:
            numbers.append(draft(bul.liaison_xq).sequence)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then every draft has its own number, 1 to 6
    assert not errors
    assert sorted(numbers) == [1, 2, 3, 4, 5, 6]


# --- records, publish, withdraw ------------------------------------------------------------
def test_records_while_draft_then_publish_tells_the_office(bul, django_capture_on_commit_callbacks):
    bulletin = draft(bul.liaison_xq)
    record = add(bul.liaison_xq, bulletin, bul.org)
    second = add(bul.liaison_xq, bulletin, bul.org, category="fraud", type_label="冒充客服诈骗")
    assert (record.position, second.position) == (1, 2)
    services.record_update(actor=bul.liaison_xq, record_id=second.pk,
                           **record_values(bul.org, summary="改"))
    services.record_delete(actor=bul.liaison_xq, record_id=second.pk)
    with django_capture_on_commit_callbacks(execute=True):
        bulletin = services.bulletin_publish(actor=bul.liaison_xq, bulletin_id=bulletin.pk)
    assert bulletin.state == "published" and bulletin.published_by == bul.liaison_xq
    told = set(Notification.objects.filter(verb="police.bulletin_published")
               .values_list("recipient__username", flat=True))
    assert told == {"admin1", "staff1", "staff2"}
    assert [e.verb for e in activity_for(bulletin)] == ["police.bulletin_draft",
                                                        "police.bulletin_publish"]


def test_publish_needs_a_record(bul):
    bulletin = draft(bul.liaison_xq)
    with pytest.raises(DomainError) as error:
        services.bulletin_publish(actor=bul.liaison_xq, bulletin_id=bulletin.pk)
    assert error.value.message == "Add at least one incident before publishing the bulletin."


def test_edit_after_publish_is_refused(bul):
    bulletin = published(bul.liaison_xq, bul.org)
    record = bulletin.records.get()
    with pytest.raises(NotAllowed):
        add(bul.liaison_xq, bulletin, bul.org)
    with pytest.raises(NotAllowed):
        services.record_update(actor=bul.liaison_xq, record_id=record.pk,
                               **record_values(bul.org))
    with pytest.raises(NotAllowed):
        services.bulletin_publish(actor=bul.liaison_xq, bulletin_id=bulletin.pk)


def test_withdraw_needs_a_reason_and_happens_once(bul):
    bulletin = published(bul.liaison_xq, bul.org)
    with pytest.raises(DomainError) as error:
        services.bulletin_withdraw(actor=bul.liaison_xq, bulletin_id=bulletin.pk, reason=" ")
    assert error.value.field_errors == {"reason": ["Say why the bulletin is withdrawn."]}
    services.bulletin_withdraw(actor=bul.liaison_xq, bulletin_id=bulletin.pk, reason="重复")
    with pytest.raises(NotAllowed):
        services.bulletin_withdraw(actor=bul.liaison_xq, bulletin_id=bulletin.pk, reason="x")
    assert Bulletin.objects.get().state == "withdrawn"


def test_record_checks_place_on_campus_and_time(bul):
    bulletin = draft(bul.liaison_xq)
    with pytest.raises(DomainError) as error:
        add(bul.liaison_xq, bulletin, bul.org, campus_id=bul.org.campus2.pk)
    assert error.value.field_errors == {"place": ["The place is not on the chosen campus."]}
    with pytest.raises(DomainError) as error:
        add(bul.liaison_xq, bulletin, bul.org, occurred_at=local(2026, 7, 1, 8))
    assert error.value.field_errors == {
        "occurred_at": ["The incident cannot have occurred in the future."]}
    assert not BulletinRecord.objects.exists()


def test_conflicting_transition_is_a_conflict(bul):
    bulletin = published(bul.liaison_xq, bul.org)
    with pytest.raises((Conflict, NotAllowed)):
        services.bulletin_publish(actor=bul.staff, bulletin_id=bulletin.pk)


# --- liaison permissions on pages ----------------------------------------------------------
def test_other_partners_draft_is_404_and_published_is_visible(bul, client):
    draft_xq = draft(bul.liaison_xq)
    pub = published(bul.liaison_xq, bul.org)
    client.force_login(bul.liaison_cx)
    assert client.get(reverse("police:bulletin_detail", args=[draft_xq.pk])).status_code == 404
    assert client.get(reverse("police:bulletin_detail", args=[pub.pk])).status_code == 200
    record = pub.records.get()
    assert client.get(reverse("police:record_detail", args=[record.pk])).status_code == 200
    # but cannot act on another partner's record
    assert client.get(reverse("police:record_hazard", args=[record.pk])).status_code == 403
    listed = client.get(reverse("police:bulletin_list")).context["page"].object_list
    assert [b.pk for b in listed] == [pub.pk]


def test_liaison_sees_the_police_hazard_they_opened(bul):
    pub = published(bul.liaison_xq, bul.org)
    hazard, created = services.record_open_hazard(
        actor=bul.liaison_xq, record_id=pub.records.get().pk, category_id=bul.org.fire.pk)
    assert created
    assert bul.liaison_xq.has_perm("hazards.view_hazard", hazard)


def test_liaison_does_not_see_the_offices_hazards(bul, client):
    from safecampus.hazards.selectors import hazard_list_visible_to
    from safecampus.hazards.services import hazard_report

    office_hazard = hazard_report(reporter=bul.staff, title="楼道堆物", category_id=bul.org.fire.pk,
                                  campus_id=bul.org.campus1.pk)
    liaison = type(bul.liaison_xq).objects.get(pk=bul.liaison_xq.pk)  # a fresh scope
    assert office_hazard.campus_id in liaison.scope.campus_ids
    assert not liaison.has_perm("hazards.view_hazard", office_hazard)
    assert not hazard_list_visible_to(liaison).filter(pk=office_hazard.pk).exists()
    client.force_login(liaison)
    assert client.get(reverse("hazards:detail", args=[office_hazard.pk])).status_code == 404
    # nor a hazard the police raised on a campus their partner does not serve
    elsewhere = hazard_report(reporter=bul.staff, title="南校区电动车被盗", source="police",
                              category_id=bul.org.fire.pk, campus_id=bul.org.campus2.pk)
    assert bul.org.campus2.pk not in liaison.scope.campus_ids
    assert not liaison.has_perm("hazards.view_hazard", elsewhere)
    assert not hazard_list_visible_to(liaison).filter(pk=elsewhere.pk).exists()


def test_list_query_count_is_flat(bul, client, django_assert_max_num_queries):
    for _n in range(3):
        published(bul.liaison_xq, bul.org, records=2)
    client.force_login(bul.staff)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("police:bulletin_list"))
    assert len(response.context["page"].object_list) == 3
    for _n in range(5):
        published(bul.liaison_xq, bul.org, records=2)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("police:bulletin_list"))
    assert len(response.context["page"].object_list) == 8


def test_pages_render_for_liaison(bul, client):
    english(client)
    client.force_login(bul.liaison_xq)
    bulletin = draft(bul.liaison_xq)
    record = add(bul.liaison_xq, bulletin, bul.org)
    for url in (reverse("police:home"), reverse("police:bulletin_list"),
                reverse("police:bulletin_new"), bulletin.get_absolute_url(),
                reverse("police:record_new", args=[bulletin.pk]),
                reverse("police:record_edit", args=[record.pk]), record.get_absolute_url(),
                reverse("police:bulletin_import", args=[bulletin.pk]),
                reverse("police:bulletin_statistics")):
        assert client.get(url).status_code == 200, url
    response = client.post(reverse("police:bulletin_publish", args=[bulletin.pk]))
    assert response.status_code == 302
    assert Bulletin.objects.get().state == "published"


def test_new_bulletin_page_creates_a_draft(bul, client):
    english(client)
    client.force_login(bul.liaison_xq)
    response = client.post(reverse("police:bulletin_new"), {
        "title": "五月警情通报", "period_start": "2026-05-01", "period_end": "2026-05-31",
        "summary": "注意防盗", "idempotency_key": "a" * 32})
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302 and bulletin.partner == bul.xq
    response = client.post(reverse("police:record_new", args=[bulletin.pk]), {
        "occurred_at": "2026-05-03T21:30", "category": "theft", "type_label": "电动车被盗",
        "proximity": "on_campus", "campus": bul.org.campus1.pk, "place": bul.org.place_a.pk,
        "relevance": "high", "idempotency_key": "b" * 32})
    assert response.status_code == 302
    record = bulletin.records.get()
    assert record.occurred_at == local(2026, 5, 3, 21, 30)


# --- acting on a record --------------------------------------------------------------------
def test_liaison_opens_a_police_hazard_once(bul, client):
    """Done when: a liaison posts a bulletin whose incident opens a hazard."""
    english(client)
    client.force_login(bul.liaison_xq)
    pub = published(bul.liaison_xq, bul.org)
    record = pub.records.get()
    url = reverse("police:record_hazard", args=[record.pk])
    form = client.get(url).context["form"]
    # The texts offered are the stored ones, in the site language (an English page too)
    assert form.initial["title"] == "新区派出所通报：电动车被盗"
    response = client.post(url, {"category": bul.org.fire.pk, "title": "车棚电动车被盗",
                                 "description": "夜间车棚无人值守", "idempotency_key": "c" * 32})
    assert response.status_code == 302
    hazard = Hazard.objects.get()
    assert (hazard.source, hazard.campus_id, hazard.place_id) == (
        "police", bul.org.campus1.pk, bul.org.place_a.pk)
    record.refresh_from_db()
    assert record.hazard == hazard
    # A second try shows the existing one
    response = client.get(url, follow=True)
    assert "A hazard was already opened from this incident." in response.content.decode()
    again, created = services.record_open_hazard(actor=bul.staff, record_id=record.pk,
                                                 category_id=bul.org.fire.pk)
    assert (again, created) == (hazard, False) and Hazard.objects.count() == 1


def test_record_of_a_draft_cannot_open_anything(bul):
    bulletin = draft(bul.liaison_xq)
    record = add(bul.liaison_xq, bulletin, bul.org)
    with pytest.raises(NotAllowed):
        services.record_open_hazard(actor=bul.staff, record_id=record.pk,
                                    category_id=bul.org.fire.pk)


def _point(org, campus, *, code="RP-1", state="published"):
    return RiskPoint.objects.create(
        code=code, name="北门", kind="gate", campus=campus, hazard_factors="人车混行",
        responsible_person=org.users.contact_a, state=state, shared_with_partners=True)


def test_record_requests_a_risk_review_and_tells_the_responsible(
        bul, django_capture_on_commit_callbacks):
    pub = published(bul.liaison_xq, bul.org)
    record = pub.records.get()
    point = _point(bul.org, bul.org.campus1)
    with django_capture_on_commit_callbacks(execute=True):
        review = services.record_request_review(actor=bul.liaison_xq, risk_point_id=point.pk,
                                                reason="北门电动车被盗多发", record_id=record.pk)
    assert (review.record, review.risk_point, review.requested_by) == (
        record, point, bul.liaison_xq)
    note = Notification.objects.get(verb="police.risk_review_request")
    assert note.recipient == bul.org.users.contact_a


def test_review_refuses_point_of_another_campus_or_unpublished(bul):
    pub = published(bul.liaison_xq, bul.org)
    record = pub.records.get()
    other = _point(bul.org, bul.org.campus2, code="RP-2")
    draft_point = _point(bul.org, bul.org.campus1, code="RP-3", state="draft")
    with pytest.raises(DomainError) as error:
        services.record_request_review(actor=bul.staff, risk_point_id=other.pk, reason="x",
                                       record_id=record.pk)
    assert error.value.field_errors == {
        "risk_point": ["Choose a risk point on the incident's campus."]}
    with pytest.raises(DomainError) as error:
        services.record_request_review(actor=bul.staff, risk_point_id=draft_point.pk,
                                       reason="x", record_id=record.pk)
    assert error.value.field_errors == {"risk_point": ["Choose a published risk point."]}
    assert not RiskReview.objects.exists()


def _students(org):
    """Two students of college a on campus 1, class 化学2501 (enrolled 2025)."""
    group = ClassGroup.objects.create(college=org.unit_a, enrolment_year=2025,
                                      code="chem-2501", name="化学2501", campus=org.campus1)
    for n in (1, 2):
        user = UserFactory(username=f"stu{n}")
        Affiliation.objects.create(user=user, kind=Affiliation.Kind.STUDENT, campus=org.campus1,
                                   college=org.unit_a, enrolment_year=2025, class_group=group)
    return group


NO_ONE = ("No one matches this audience, so the warning was not sent. Check the year group, "
          "college, class or campus.")


def test_record_sends_one_warning_to_a_campus(bul):
    _students(bul.org)
    pub = published(bul.liaison_xq, bul.org)
    record = pub.records.get()
    alert, created = services.record_send_warning(
        actor=bul.liaison_xq, record_id=record.pk, title="防盗提醒", body="请锁好电动车",
        level="warning", audience_kind="campus", campus_id=bul.org.campus1.pk)
    assert created and alert.topic == "police"
    assert alert.recipient_count == Notification.objects.filter(alert=alert).count()
    record.refresh_from_db()
    assert record.alert == alert
    again, created = services.record_send_warning(
        actor=bul.liaison_xq, record_id=record.pk, title="x", body="y", level="warning",
        audience_kind="everyone")
    assert (again, created) == (alert, False)


def test_a_warning_to_no_one_is_refused_and_the_record_can_still_warn(bul):
    # given a published incident and a year group no one is in
    group = _students(bul.org)
    record = published(bul.liaison_xq, bul.org).records.get()
    # when the liaison sends to it, then it is refused and nothing is written
    with pytest.raises(DomainError) as error:
        services.record_send_warning(actor=bul.liaison_xq, record_id=record.pk, title="提醒",
                                     body="锁好车", level="warning", audience_kind="year",
                                     year=2031)
    assert (error.value.code, error.value.message) == ("no_recipients", NO_ONE)
    assert not Alert.objects.exists()
    record.refresh_from_db()
    assert record.alert_id is None
    # and the right warning (a class, as on the general form) can still be sent
    alert, created = services.record_send_warning(
        actor=bul.liaison_xq, record_id=record.pk, title="提醒", body="锁好车",
        level="warning", audience_kind="class", class_id=group.pk)
    assert created and alert.recipient_count == 2 and alert.audience_class == group


def test_a_warning_that_reached_no_one_before_does_not_block_the_record(bul):
    # given a record whose warning went to nobody (sent before such warnings were refused)
    _students(bul.org)
    record = published(bul.liaison_xq, bul.org).records.get()
    empty = alert_send(sender=bul.liaison_xq, title="t", body="b", level="warning",
                       topic="police", audience_kind="year", audience_year=2031)
    BulletinRecord.objects.filter(pk=record.pk).update(alert=empty)
    # when the liaison sends again, then a new warning goes out and the record points to it
    alert, created = services.record_send_warning(
        actor=bul.liaison_xq, record_id=record.pk, title="提醒", body="锁好车",
        level="warning", audience_kind="year", year=2025)
    assert created and alert != empty and alert.recipient_count == 2
    record.refresh_from_db()
    assert record.alert == alert


def test_the_warning_page_previews_the_count_and_refuses_no_one(bul, client):
    _students(bul.org)
    record = published(bul.liaison_xq, bul.org).records.get()
    client.force_login(bul.liaison_xq)
    english(client)
    url = reverse("police:record_warning", args=[record.pk])
    form = client.get(url).content.decode()
    assert 'value="class"' in form and 'name="audience_class"' in form
    data = {"title": "提醒", "body": "锁好车", "level": "warning", "audience_kind": "year",
            "audience_year": "2031", "idempotency_key": "warn-page-0001"}
    # no one: no send button, the reason, nothing sent (also when "send" is posted anyway)
    html = client.post(url, {**data, "preview": "1"}).content.decode()
    assert NO_ONE in html and 'id="confirm-send"' not in html
    html = client.post(url, {**data, "send": "1"}).content.decode()
    assert NO_ONE in html and not Alert.objects.exists()
    # two people: the preview says so before anything is sent, then "send" sends once
    data["audience_year"] = "2025"
    html = client.post(url, {**data, "preview": "1"}).content.decode()
    assert 'data-recipient-count="2"' in html and "Send to 2 people" in html
    assert not Alert.objects.exists()
    checked = re.search(r'name="checked_audience" value="([^"]*)"', html).group(1)
    # the audience changed after the check: shown again with the new count, not sent
    html = client.post(url, {**data, "audience_kind": "everyone", "checked_audience": checked,
                             "send": "1"}).content.decode()
    assert "Who receives it was changed after the recipients were checked" in html
    assert not Alert.objects.exists()
    data["checked_audience"] = checked
    assert client.post(url, {**data, "send": "1"}).status_code == 302
    assert client.post(url, {**data, "send": "1"}).status_code == 302  # double tap
    assert Alert.objects.get().recipient_count == 2
    record.refresh_from_db()
    assert record.alert.recipient_count == 2
    # its read receipts are one link away, and listed with the office's warnings
    receipts = reverse("education:warning_receipts", args=[record.alert_id])
    assert f'href="{receipts}"' in client.get(record.get_absolute_url()).content.decode()
    assert client.get(receipts).status_code == 200
    listed = client.get(reverse("education:warning_list")).content.decode()
    assert f'href="{receipts}"' in listed


def test_warning_needs_a_complete_audience(bul):
    pub = published(bul.liaison_xq, bul.org)
    with pytest.raises(DomainError) as error:
        services.record_send_warning(actor=bul.staff, record_id=pub.records.get().pk,
                                     title="t", body="b", level="warning",
                                     audience_kind="campus")
    assert error.value.field_errors == {"audience_campus": ["Choose the campus."]}
