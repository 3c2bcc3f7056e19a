"""The hazard pages through HTTP: double posts, stale forms, query counts, every page per role."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from safecampus.core import clock
from safecampus.core.models import ActivityEntry
from safecampus.hazards import services
from safecampus.hazards.models import Hazard, RectificationNotice, Status
from safecampus.tests.factories import photo_upload

from .helpers import confirmed, fresh, noticed, reported, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _login(client, user):
    client.logout()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages follow the chosen language
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _report_data(org, **extra):
    return {"title": "楼梯间应急灯不亮", "category": org.fire.pk, "campus": org.campus1.pk,
            "building": org.building_a.pk, "place": org.place_a.pk, "location_text": "三楼东侧",
            "description": "晚上全黑", **extra}


def test_report_posted_twice_with_the_same_key_creates_one_hazard(org, client):
    # given the report form, rendered with a fresh idempotency key
    _login(client, org.users.student)
    form = client.get(reverse("hazards:report")).context["form"]
    key = form.initial["idempotency_key"]
    assert len(key) == 32
    # when the phone sends the same form twice (double tap, retry on a flaky network)
    first = client.post(reverse("hazards:report"), _report_data(org, idempotency_key=key,
                                                                photos=photo_upload()))
    second = client.post(reverse("hazards:report"), _report_data(org, idempotency_key=key,
                                                                 photos=photo_upload()))
    # then there is one hazard, with one photo, and both answers lead to it
    assert Hazard.objects.count() == 1
    hazard = Hazard.objects.get()
    assert hazard.photos.count() == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("hazards:detail", args=[hazard.pk])
    assert _messages(second)[-1] == (
        f"Thank you. Your report {hazard.reference} was received; you will be told when it is "
        "handled.")
    assert ActivityEntry.objects.filter(verb="hazards.report").count() == 1
    # and a new form (new key) makes a second report
    client.post(reverse("hazards:report"), _report_data(org, idempotency_key="another-key-123456"))
    assert Hazard.objects.count() == 2


def test_report_form_errors_are_shown_and_nothing_is_created(org, client):
    _login(client, org.users.student)
    response = client.post(reverse("hazards:report"), _report_data(
        org, title="", campus=org.campus2.pk, idempotency_key="bad-form-1234567"))
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert Hazard.objects.count() == 0
    # a place on another campus is refused by the service with its message on the form
    response = client.post(reverse("hazards:report"), _report_data(
        org, campus=org.campus2.pk, building="", idempotency_key="bad-form-7654321"))
    assert response.status_code == 200
    assert response.context["form"].errors["place"] == [
        "The building or place is not on the chosen campus."]
    assert Hazard.objects.count() == 0


def test_stale_version_on_an_action_shows_the_message_and_changes_nothing(org, client):
    # given two officers with the same reported hazard open
    hazard = reported(org)
    seen_version = hazard.version
    # and one of them confirms it first
    services.hazard_confirm(actor=org.users.staff2, hazard_id=hazard.pk, version=seen_version)
    before = fresh(hazard)
    entries = ActivityEntry.objects.count()
    # when the other submits "reject" from the page he loaded before
    _login(client, org.users.staff)
    response = client.post(reverse("hazards:action", args=[hazard.pk, "reject"]),
                           {"version": seen_version, "comment": "不是隐患"}, follow=True)
    # then he is told why, on the hazard page, and nothing changed
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(reverse("hazards:detail", args=[hazard.pk]))
    assert [str(m) for m in response.context["messages"]] == [
        "Someone else changed this hazard while you were looking at it. Reload the page and try "
        "again."]
    after = fresh(hazard)
    assert (after.status, after.version, after.resolution_comment) == (
        Status.CONFIRMED, before.version, "")
    assert ActivityEntry.objects.count() == entries


def test_illegal_action_for_the_state_shows_the_conflict(org, client):
    hazard, _notice = noticed(org)
    _login(client, org.users.staff)
    response = client.post(reverse("hazards:action", args=[hazard.pk, "verify"]),
                           {"version": hazard.version})
    assert _messages(response) == ["This cannot be done while the hazard is “Notice issued”."]
    assert fresh(hazard).status == Status.NOTICE_ISSUED


def test_unknown_action_is_404_and_get_is_refused(org, client):
    hazard = reported(org)
    _login(client, org.users.staff)
    assert client.post(reverse("hazards:action", args=[hazard.pk, "explode"])).status_code == 404
    assert client.get(reverse("hazards:action", args=[hazard.pk, "confirm"])).status_code == 405


def test_the_whole_loop_through_the_pages(org, client):
    at = dt.datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with clock.frozen(at):
        # a student reports
        _login(client, org.users.student)
        client.post(reverse("hazards:report"), _report_data(org, photos=photo_upload(),
                                                            idempotency_key="loop-key-123456"))
        hazard = Hazard.objects.get()
        # the office confirms and issues a notice from the notice page
        _login(client, org.users.staff)
        client.post(reverse("hazards:action", args=[hazard.pk, "confirm"]),
                    {"version": hazard.version, "grade": "general"})
        assert fresh(hazard).status == Status.CONFIRMED
        page = client.get(reverse("hazards:notice_new") + f"?unit={org.unit_a.pk}&hazard={hazard.pk}")
        assert page.status_code == 200
        response = client.post(reverse("hazards:notice_new"), {
            "unit": org.unit_a.pk, "hazards": [hazard.pk], "requirements": "更换应急灯",
            "deadline_days": 5, "deadline_basis": "working", "idempotency_key": "notice-key-1234"})
        notice = RectificationNotice.objects.get()
        assert response["Location"] == reverse("hazards:notice_detail", args=[notice.pk])
        assert _messages(response)[-1] == f"Notice {notice.number} issued."
        # the unit signs, starts and submits evidence
        _login(client, org.users.contact_a)
        response = client.post(reverse("hazards:notice_acknowledge", args=[notice.pk]))
        assert _messages(response)[-1] == f"Signed for notice {notice.number}."
        h = fresh(hazard)
        client.post(reverse("hazards:action", args=[h.pk, "start"]), {"version": h.version})
        h = fresh(hazard)
        response = client.post(reverse("hazards:action", args=[h.pk, "evidence"]), {
            "version": h.version, "text": "已更换应急灯", "photos": photo_upload(),
            "idempotency_key": "evidence-key-1234"})
        assert _messages(response)[-1] == "Evidence submitted; the office will verify it."
        # the office verifies
        _login(client, org.users.staff)
        h = fresh(hazard)
        response = client.post(reverse("hazards:action", args=[h.pk, "verify"]),
                               {"version": h.version, "comment": "合格"})
        assert _messages(response)[-1] == "Verified and closed."
    h = fresh(hazard)
    assert h.status == Status.CLOSED and h.closed_on_time is True
    assert RectificationNotice.objects.get().state == RectificationNotice.State.COMPLETED


# --- query counts ------------------------------------------------------------------------------
def _make_rows(org, count):
    """``count`` hazards of different shapes: reported, confirmed, on a notice, other campus."""
    for i in range(count):
        kind = i % 4
        if kind == 0:
            reported(org, title=f"隐患{i}")
        elif kind == 1:
            confirmed(org, title=f"隐患{i}", category_id=org.electrical.pk)
        elif kind == 2:
            noticed(org, title=f"隐患{i}")
        else:
            reported(org, title=f"隐患{i}", place_id=org.place_b.pk,
                     category_id=org.traffic.pk)


@pytest.mark.parametrize("role", ["staff", "contact_a", "leadership"])
def test_ledger_query_count_does_not_grow_with_rows(org, client, django_assert_num_queries, role):
    _login(client, getattr(org.users, role))
    url = reverse("hazards:ledger")
    _make_rows(org, 5)
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as five:
        response = client.get(url)
    assert response.status_code == 200
    rows = len(response.context["page"])
    assert rows == {"staff": 5, "contact_a": 4, "leadership": 5}[role]  # 1 in 4 is logistics
    # when the ledger has 50 rows on the page
    _make_rows(org, 60)
    with django_assert_num_queries(len(five)):
        response = client.get(url)
    # then the same number of queries served ten times the rows
    assert len(response.context["page"]) == (50 if role != "contact_a" else 49)
    assert len(five) <= 15, [q["sql"] for q in five.captured_queries]


def test_filtered_ledger_query_count_does_not_grow_with_rows(org, client, django_assert_num_queries):
    _login(client, org.users.staff)
    url = reverse("hazards:ledger") + f"?campus={org.campus1.pk}&status=open&q=隐患"
    _make_rows(org, 5)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _make_rows(org, 60)
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["page"]) == 49  # the other 16 are on campus 2


def test_notice_list_and_my_reports_query_counts_do_not_grow(org, client, django_assert_num_queries):
    _login(client, org.users.staff)
    url = reverse("hazards:notice_list")
    noticed(org)
    confirmed(org)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(12):
        noticed(org)
        confirmed(org)
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["page"]) == 13
    # my reports
    _login(client, org.users.student)
    url = reverse("hazards:mine")
    client.get(url)
    with CaptureQueriesContext(connection) as mine:
        client.get(url)
    _make_rows(org, 20)
    with django_assert_num_queries(len(mine)):
        client.get(url)


# --- every page, right role -----------------------------------------------------------------
def test_every_page_of_the_loop_answers_200_for_the_right_role(org, client):
    hazard, notice = submitted(org)
    other = reported(org, photos=[photo_upload()])
    photo = other.photos.get()
    pages = {
        "student": [reverse("hazards:report"), reverse("hazards:mine"),
                    reverse("hazards:detail", args=[other.pk]),
                    reverse("hazards:photo", args=[photo.pk, "thumb"]),
                    reverse("notifications:inbox")],
        "staff": [reverse("hazards:ledger"), reverse("hazards:ledger") + "?overdue=on&grade=general",
                  reverse("hazards:report"), reverse("hazards:detail", args=[hazard.pk]),
                  reverse("hazards:detail", args=[other.pk]), reverse("hazards:notice_list"),
                  reverse("hazards:notice_new"), reverse("hazards:notice_detail", args=[notice.pk]),
                  reverse("hazards:notice_pdf", args=[notice.pk]),
                  reverse("hazards:photo", args=[photo.pk, "full"])],
        "contact_a": [reverse("hazards:ledger"), reverse("hazards:detail", args=[hazard.pk]),
                      reverse("hazards:notice_list"),
                      reverse("hazards:notice_detail", args=[notice.pk]),
                      reverse("hazards:notice_pdf", args=[notice.pk])],
        "leadership": [reverse("hazards:ledger"), reverse("hazards:detail", args=[hazard.pk]),
                       reverse("hazards:notice_list"),
                       reverse("hazards:notice_detail", args=[notice.pk])],
        "guard": [reverse("hazards:ledger"), reverse("hazards:detail", args=[hazard.pk]),
                  reverse("hazards:report")],
        "grid": [reverse("hazards:ledger"), reverse("hazards:detail", args=[other.pk])],
    }
    for role, urls in pages.items():
        _login(client, getattr(org.users, role))
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (role, url, response.status_code)
    # and the pages that are not for them are refused
    refused = {"student": [reverse("hazards:ledger"), reverse("hazards:notice_new"),
                           reverse("hazards:notice_list")],
               "leadership": [reverse("hazards:notice_new")],
               "contact_a": [reverse("hazards:notice_new")]}
    for role, urls in refused.items():
        _login(client, getattr(org.users, role))
        for url in urls:
            assert client.get(url).status_code == 403, (role, url)


def test_detail_page_offers_each_role_only_its_actions(org, client):
    hazard, _notice = submitted(org)
    _login(client, org.users.staff)
    html = client.get(reverse("hazards:detail", args=[hazard.pk])).content.decode()
    assert reverse("hazards:action", args=[hazard.pk, "verify"]) in html
    assert reverse("hazards:action", args=[hazard.pk, "return"]) in html
    _login(client, org.users.contact_a)
    html = client.get(reverse("hazards:detail", args=[hazard.pk])).content.decode()
    assert reverse("hazards:action", args=[hazard.pk, "verify"]) not in html


def test_the_notice_number_links_only_for_those_who_may_open_the_notice(org, client):
    # Given a hazard a student reported, now on a notice to unit A
    hazard, notice = noticed(org)
    url = reverse("hazards:notice_detail", args=[notice.pk])
    for user, may_open in ((org.users.student, False), (org.users.contact_a, True),
                           (org.users.staff, True)):
        _login(client, user)
        html = client.get(reverse("hazards:detail", args=[hazard.pk])).content.decode()
        # every one of them reads the number; only those who may open it get a link
        number = html[html.index('id="notice-number"'):]
        number = number[:number.index("</dd>")]
        assert notice.number in number
        assert (f'href="{url}"' in number) is may_open
        assert (client.get(url).status_code == 200) is may_open


def test_failed_action_shows_the_form_again_with_what_was_typed(org, client):
    # given a hazard the unit is rectifying
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .helpers import rectifying

    hazard, _notice = rectifying(org)
    _login(client, org.users.contact_a)
    # when the contact submits evidence with a file that is not a photo
    bad = SimpleUploadedFile("scan.jpg", b"not an image", content_type="image/jpeg")
    response = client.post(reverse("hazards:action", args=[hazard.pk, "evidence"]),
                           {"text": "已更换灭火器并张贴检查卡", "version": hazard.version,
                            "photos": [bad]})
    # then the page comes back with the text kept and the reason beside the field
    assert response.status_code == 400
    html = response.content.decode()
    assert "已更换灭火器并张贴检查卡" in html
    assert "scan.jpg" in html
    assert fresh(hazard).status == "rectifying"


def test_a_bad_filter_is_shown_and_the_export_refused(org, client):
    reported(org)
    _login(client, org.users.staff)
    page = client.get(reverse("hazards:ledger") + "?date_from=2026-13-45&grade=general")
    assert page.status_code == 200
    assert page.context["form"].errors["date_from"]
    assert len(page.context["page"].object_list) == 1  # the valid grade filter still applies
    export = client.get(reverse("hazards:ledger_export")
                        + "?date_from=2026-13-45")
    assert export.status_code == 302
    assert export["Location"].startswith(reverse("hazards:ledger"))


def test_duplicate_accepts_the_reference_people_see(org, client):
    original = reported(org)
    copy = reported(org, title="同一个灭火器")
    _login(client, org.users.staff)
    client.post(reverse("hazards:action", args=[copy.pk, "duplicate"]),
                {"duplicate_of": original.reference, "version": copy.version})
    assert fresh(copy).duplicate_of_id == original.pk


# --- the new-notice form: days left empty follow the risk level ---------------------------------
def test_new_notice_leaves_the_days_empty_and_a_major_risk_hazard_gets_its_default(org, client):
    from safecampus.organisation.models import Place

    # given a confirmed hazard in a place the risk register rates 重大风险 (major: 3 days)
    hazard = confirmed(org)
    Place.objects.filter(pk=org.place_a.pk).update(risk_level="major")
    _login(client, org.users.staff)
    # when the office opens the new-notice form for the unit
    page = client.get(reverse("hazards:notice_new") + f"?unit={org.unit_a.pk}")
    # then the days field is empty and its help text states the rule with the real numbers
    field = page.context["form"]["deadline_days"]
    assert field.value() is None
    assert 'name="deadline_days"' in page.content.decode()
    assert 'name="deadline_days" value=' not in page.content.decode()
    assert field.help_text == (
        "Leave empty for the default of the highest risk level among the chosen hazards' "
        "places: major risk 3 days, high 5, moderate 7, low 7, not assessed 7.")
    # when it issues the notice with the days left empty
    response = client.post(reverse("hazards:notice_new"), {
        "unit": org.unit_a.pk, "hazards": [hazard.pk], "requirements": "立即整改",
        "deadline_days": "", "deadline_basis": "calendar", "idempotency_key": "notice-key-major"})
    # then the notice allows the 3 days of a major risk
    notice = RectificationNotice.objects.get()
    assert response.status_code == 302
    assert (notice.deadline_days, notice.deadline_basis) == (3, "calendar")


@pytest.mark.parametrize("days", ["0", "181"])
def test_days_out_of_range_are_refused_in_the_office_words(org, client, days):
    hazard = confirmed(org)
    _login(client, org.users.staff)
    response = client.post(reverse("hazards:notice_new"), {
        "unit": org.unit_a.pk, "hazards": [hazard.pk], "requirements": "立即整改",
        "deadline_days": days, "deadline_basis": "calendar"})
    assert response.status_code == 200
    assert response.context["form"].errors["deadline_days"] == [
        "The deadline must be between 1 and 180 days."]
    assert not RectificationNotice.objects.exists()


def test_days_out_of_range_read_as_the_guide_says_in_chinese(org, client):
    hazard = confirmed(org)
    client.force_login(org.users.staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    with translation.override("zh-hans"):
        response = client.post(reverse("hazards:notice_new"), {
            "unit": org.unit_a.pk, "hazards": [hazard.pk], "requirements": "立即整改",
            "deadline_days": "0", "deadline_basis": "calendar"})
        assert response.context["form"].errors["deadline_days"] == ["整改时限须在 1 至 180 天之间。"]


# --- extension requests on the hazard page --------------------------------------------------------
def _ask_extension(org, hazard, reason="等待采购新的灭火器"):
    deadline = fresh(hazard).deadline.astimezone(ZoneInfo("Asia/Shanghai")).date()
    return services.extension_request(actor=org.users.contact_a, hazard_id=hazard.pk,
                                      requested_deadline=deadline + dt.timedelta(days=10),
                                      reason=reason)


def test_a_pending_extension_shows_it_awaits_approval_then_the_decision(org, client):
    from .helpers import rectifying

    # given a unit contact who asked for an extension
    hazard, _notice = rectifying(org)
    extension = _ask_extension(org, hazard)
    asked = extension.requested_deadline.isoformat()
    _login(client, org.users.contact_a)
    # when the contact opens the hazard, then the request is marked as awaiting approval
    html = client.get(reverse("hazards:detail", args=[hazard.pk])).content.decode()
    assert 'data-state="pending"' in html and "Awaiting approval" in html
    assert f"New deadline asked for: {asked}" in html
    assert "Reason: 等待采购新的灭火器" in html
    # when the office refuses it with a comment
    services.extension_decide(actor=org.users.staff, extension_id=extension.pk, grant=False,
                              comment="请先落实临时管控措施")
    # then the contact sees the decision, who made it and the comment
    html = client.get(reverse("hazards:detail", args=[hazard.pk])).content.decode()
    assert 'data-state="refused"' in html and "Awaiting approval" not in html
    assert f"Refused by {org.users.staff}" in html and "the deadline stays." in html
    assert "Office’s comment: 请先落实临时管控措施" in html


def test_a_pending_extension_reads_in_chinese_with_chinese_punctuation(org, client):
    from .helpers import rectifying

    hazard, _notice = rectifying(org)
    extension = _ask_extension(org, hazard)
    client.force_login(org.users.contact_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    with translation.override("zh-hans"):
        html = client.get(reverse("hazards:detail", args=[hazard.pk])).content.decode()
    assert "待审批" in html
    assert f"申请延期至：{extension.requested_deadline.isoformat()}" in html
    assert "延期理由：等待采购新的灭火器" in html
    assert f"延期至 {extension.requested_deadline.isoformat()}:" not in html


def test_an_empty_extension_reason_asks_for_one(org, client):
    from .helpers import rectifying

    hazard, _notice = rectifying(org)
    client.force_login(org.users.contact_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    deadline = fresh(hazard).deadline.astimezone(ZoneInfo("Asia/Shanghai")).date()
    with translation.override("zh-hans"):
        response = client.post(reverse("hazards:action", args=[hazard.pk, "extension"]), {
            "requested_deadline": (deadline + dt.timedelta(days=5)).isoformat(), "reason": ""})
        assert response.status_code == 400
        assert response.context["forms"]["extension"].errors["reason"] == ["请填写延期原因。"]
    assert not fresh(hazard).extensions.exists()


# --- the ledger's phone cards show the deadline and how late --------------------------------------
def test_overdue_cards_show_the_deadline_and_the_days_overdue(org, client):
    # given a hazard on a notice whose deadline passed five local days ago, and one not yet due
    late, _notice = noticed(org, title="灭火器过期")
    due, _other = noticed(org, title="应急灯不亮")
    deadline = late.deadline.astimezone(ZoneInfo("Asia/Shanghai")).date()
    Hazard.objects.filter(pk=due.pk).update(deadline=late.deadline + dt.timedelta(days=30))
    _login(client, org.users.staff)
    with clock.frozen(late.deadline + dt.timedelta(days=5)):
        # when the office opens the overdue ledger
        page = client.get(reverse("hazards:ledger") + "?overdue=on")
        html = page.content.decode()
        # then the phone card (list-group) shows the deadline and the days overdue
        cards = html.split('<div class="list-group d-md-none">', 1)[1]
        assert f"Deadline {deadline.isoformat()}" in cards
        assert '<span class="badge text-bg-danger overdue-days" data-days="5">5 days overdue</span>' \
            in cards
        assert fresh(late).days_overdue == 5
        # and a card not yet due shows its deadline without an overdue badge
        everything = client.get(reverse("hazards:ledger")).content.decode()
    cards = everything.split('<div class="list-group d-md-none">', 1)[1]
    later = (deadline + dt.timedelta(days=30)).isoformat()
    assert f"Deadline {later}" in cards
    assert cards.count("overdue-days") == 1
