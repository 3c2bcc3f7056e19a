"""Counsellor follow-ups: opening (roster lookup, by hand, idempotent), bulk all-or-nothing,
who sees them (404s), close with a note, reopen by office admins, the FSM edges, the overdue
sweep's dedupe, the pages."""
# ruff: noqa: F811  (fixtures imported from warning_helpers)

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.spreadsheets import ImportRejected, Table
from safecampus.education.models import FollowUp
from safecampus.education.selectors import followups as selectors
from safecampus.education.services import followups as services
from safecampus.notifications.models import Notification
from safecampus.tests.factories import user_with_role
from safecampus.tests.pages import login, messages_of, text_of

from .warning_helpers import english, roster  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")


def open_one(actor, number="2025001", **kw):
    kw.setdefault("warning_source", "96110预警中心")
    kw.setdefault("reason", "与涉诈号码多次通话")
    return services.followup_create(actor=actor, student_number=number, **kw)


@pytest.fixture
def people(org, roster):
    """Everyone whose access to a chem follow-up is tested."""
    return {
        "office_admin": org.users.admin, "police": org.users.police,
        "chem_counsellor": roster.chem_c, "mech_counsellor": roster.mech_c,
        "office_staff": org.users.staff, "unit_contact": org.users.contact_a,
        "unit_leader": org.users.leader_a, "leadership": org.users.leadership,
        "student": roster.students.b1,
    }


# --- opening -----------------------------------------------------------------------------------
def test_a_known_number_takes_name_and_college_from_the_roster(org, roster,
                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        followup = open_one(org.users.police, fraud_type_id=roster.fraud.pk)
    assert (followup.student, followup.college, followup.student_number) == (
        roster.students.b1, org.unit_a, "2025001")
    assert followup.student_name == roster.students.b1.full_name
    assert followup.due_on == clock.local_today() + dt.timedelta(days=2)
    assert followup.state == FollowUp.State.OPEN and followup.fraud_type == roster.fraud
    told = Notification.objects.get(verb="education.followup_new")
    assert told.recipient == roster.chem_c  # only the college's counsellors, in-app only
    assert roster.students.b1.full_name not in told.title and "化学学院" in told.title
    assert not told.deliveries.filter(channel="email").exists()
    assert activity_for(followup).get().verb == "education.followup_create"


def test_an_unknown_number_needs_name_and_college(org, roster):
    with pytest.raises(DomainError) as error:
        open_one(org.users.police, number="9999999")
    assert error.value.field_errors == {
        "student_name": ["No student has this number in the roster: give the name and choose "
                         "the college."],
        "college": ["Choose the student's college."]}
    followup = open_one(org.users.police, number="9999999", student_name="王某",
                        college_id=org.unit_b.pk)
    assert (followup.student, followup.college, followup.student_name) == (None, org.unit_b,
                                                                            "王某")


def test_a_college_by_hand_must_be_a_college_and_dates_are_bounded(org, roster):
    with pytest.raises(DomainError) as error:
        open_one(org.users.police, number="", student_name="王某", college_id=org.logistics.pk)
    assert error.value.field_errors == {"college": ["Choose one of the colleges."]}
    with pytest.raises(DomainError) as error:
        open_one(org.users.police, due_on=clock.local_today() - dt.timedelta(days=1))
    assert error.value.field_errors == {"due_on": ["The follow-up date cannot be in the past."]}
    with pytest.raises(DomainError) as error:
        open_one(org.users.police, fraud_type_id=424242)
    assert error.value.field_errors == {"fraud_type": ["Choose one of the fraud types."]}
    assert not FollowUp.objects.exists()


def test_the_same_key_opens_one(org, roster):
    first = open_one(org.users.admin, idempotency_key="fu-key-00001")
    assert open_one(org.users.admin, idempotency_key="fu-key-00001").pk == first.pk
    assert FollowUp.objects.count() == 1


@pytest.mark.parametrize("who", ["chem_counsellor", "student", "unit_contact", "leadership",
                                 "office_staff"])
def test_only_office_admins_and_police_open_follow_ups(people, who):
    with pytest.raises(NotAllowed):
        open_one(people[who])


# --- many at once ------------------------------------------------------------------------------
def test_a_pasted_list_opens_one_per_line(org, roster):
    rows = services.followup_rows_from_text("2025001\t多次接到冒充客服电话\n\n2025101, 向涉诈账户转账\n")
    assert rows == [(1, "2025001", "多次接到冒充客服电话"), (3, "2025101", "向涉诈账户转账")]
    created = services.followup_bulk_create(actor=org.users.police, rows=rows,
                                            warning_source="雁塔派出所")
    assert [(f.student_number, f.college) for f in created] == [("2025001", org.unit_a),
                                                                ("2025101", org.unit_b)]


def test_one_bad_row_writes_nothing_and_every_bad_row_is_listed(org, roster):
    rows = [(1, "2025001", "ok reason"), (2, "0000000", "unknown"), (3, "2025001", "again"),
            (4, "2025002", "")]
    with pytest.raises(ImportRejected) as error:
        services.followup_bulk_create(actor=org.users.police, rows=rows,
                                      warning_source="96110")
    assert [(e.row, e.message) for e in error.value.errors] == [
        (2, "No student has the number 0000000 in the roster."),
        (3, "2025001 is also in row 1."),
        (4, "The reason is empty.")]
    assert not FollowUp.objects.exists() and not Notification.objects.exists()


def test_a_sheet_with_headers_is_read_by_its_headers(org, roster):
    table = Table(headers=["序号", "原因", "学号"], rows=[[1, "刷单", "2025002"]], numbers=[2])
    assert services.followup_rows_from_table(table) == [(2, "2025002", "刷单")]


def test_a_sheet_with_english_headers_is_read_by_its_headers(org, roster):
    table = Table(headers=["No.", "Reason", "Student number"], rows=[[1, "刷单", "2025002"]],
                  numbers=[2])
    assert services.followup_rows_from_table(table) == [(2, "2025002", "刷单")]
    table = Table(headers=["reason", "student_no"], rows=[["刷单", "2025002"]], numbers=[2])
    assert services.followup_rows_from_table(table) == [(2, "2025002", "刷单")]


def test_the_bulk_page_names_the_columns_in_both_languages(org, client):
    client.force_login(org.users.police)
    html = client.get(reverse("education:followup_bulk")).content.decode()
    assert "with the columns 学号 and 原因" in html
    assert "The headers may also be in English: “Student number” and “Reason”." in html


def test_a_bulk_replay_returns_the_first_batch(org, roster):
    rows = [(1, "2025001", "a reason"), (2, "2024001", "b reason")]
    first = services.followup_bulk_create(actor=org.users.police, rows=rows,
                                          warning_source="96110", idempotency_key="bulk-key-01")
    again = services.followup_bulk_create(actor=org.users.police, rows=rows,
                                          warning_source="96110", idempotency_key="bulk-key-01")
    assert [f.pk for f in again] == [f.pk for f in first] and FollowUp.objects.count() == 2


# --- who sees them -----------------------------------------------------------------------------
@pytest.mark.parametrize(("who", "sees"), [
    ("office_admin", True), ("police", True), ("chem_counsellor", True),
    ("mech_counsellor", False), ("office_staff", False), ("unit_contact", False),
    ("unit_leader", False), ("leadership", False), ("student", False),
])
def test_visibility_follows_the_rules(org, roster, people, client, who, sees):
    followup = open_one(org.users.police)
    user = people[who]
    assert (selectors.followup_get_visible(user, followup.pk) is not None) is sees
    assert (followup in selectors.followups_visible_to(user)) is sees
    client.force_login(user)
    status = client.get(reverse("education:followup_detail", args=[followup.pk])).status_code
    assert status == (200 if sees else 404)
    closing = client.post(reverse("education:followup_close", args=[followup.pk]),
                          {"outcome": "reached_safe", "note": "已电话联系，学生未受骗。"})
    if not sees:
        assert closing.status_code == 404
        assert FollowUp.objects.get().state == FollowUp.State.OPEN


def test_list_shows_only_my_colleges(org, roster, client):
    open_one(org.users.police)  # chem
    open_one(org.users.police, number="2025101")  # mech
    client.force_login(roster.mech_c)
    html = client.get(reverse("education:followup_list")).content.decode()
    assert "2025101" in html and "2025001" not in html


# --- closing and reopening ---------------------------------------------------------------------
def test_close_needs_an_outcome_and_a_note_of_ten_characters(org, roster):
    followup = open_one(org.users.police)
    with pytest.raises(DomainError) as error:
        services.followup_close(actor=roster.chem_c, followup_id=followup.pk, outcome="",
                                note="已联系")
    assert error.value.field_errors == {
        "outcome": ["Choose the outcome."],
        "note": ["Write what was done, at least 10 characters."]}
    assert FollowUp.objects.get().state == FollowUp.State.OPEN
    closed = services.followup_close(actor=roster.chem_c, followup_id=followup.pk,
                                     outcome="reached_safe", note="已电话联系学生，已劝阻，未转账。")
    assert (closed.state, closed.closed_by, closed.outcome) == ("closed", roster.chem_c,
                                                                "reached_safe")
    entry = activity_for(closed).filter(verb="education.followup_close").get()
    assert (entry.from_state, entry.to_state) == ("open", "closed")


def test_fsm_edges(org, roster):
    followup = open_one(org.users.police)
    with pytest.raises(Conflict):  # open → open
        services.followup_reopen(actor=org.users.admin, followup_id=followup.pk)
    services.followup_close(actor=roster.chem_c, followup_id=followup.pk,
                            outcome="not_reached", note="三次电话均未接通，已告知班主任。")
    with pytest.raises(Conflict) as error:  # closed → closed
        services.followup_close(actor=roster.chem_c, followup_id=followup.pk,
                                outcome="reached_safe", note="再次关闭的说明文字。")
    assert error.value.message == "This cannot be done while the follow-up is “Closed”."
    reopened = services.followup_reopen(actor=org.users.admin, followup_id=followup.pk,
                                        comment="请补充联系结果")
    assert (reopened.state, reopened.note, reopened.closed_by) == ("open", "", None)
    services.followup_close(actor=org.users.admin, followup_id=followup.pk,
                            outcome="reached_safe", note="已当面谈话，学生未受骗。")
    assert [e.verb for e in activity_for(followup).order_by("pk")] == [
        "education.followup_create", "education.followup_close", "education.followup_reopen",
        "education.followup_close"]


@pytest.mark.parametrize("who", ["chem_counsellor", "police"])
def test_only_office_admins_reopen(org, roster, people, who):
    followup = open_one(org.users.police)
    services.followup_close(actor=roster.chem_c, followup_id=followup.pk,
                            outcome="reached_safe", note="已电话联系学生，已劝阻。")
    with pytest.raises(NotAllowed):
        services.followup_reopen(actor=people[who], followup_id=followup.pk)


@pytest.mark.parametrize("who", ["mech_counsellor", "police"])
def test_others_cannot_close(org, roster, people, who):
    followup = open_one(org.users.police)
    with pytest.raises(NotAllowed):
        services.followup_close(actor=people[who], followup_id=followup.pk,
                                outcome="reached_safe", note="已电话联系学生，已劝阻。")


def test_the_state_cannot_be_set_directly(org, roster):
    followup = open_one(org.users.police)
    with pytest.raises(AttributeError):
        followup.state = FollowUp.State.CLOSED


def test_the_close_form_shows_the_note_error(org, roster, client):
    followup = open_one(org.users.police)
    client.force_login(roster.chem_c)
    page = client.post(reverse("education:followup_close", args=[followup.pk]),
                       {"outcome": "reached_safe", "note": "短"})
    assert page.status_code == 200 and FollowUp.objects.get().state == FollowUp.State.OPEN
    assert "Write what was done, at least 10 characters." in page.content.decode()


@pytest.mark.parametrize("note", ["再次关闭的说明文字。", ""])
def test_closing_a_closed_follow_up_says_it_is_closed_already(org, roster, client, note):
    # Given a follow-up closed in another tab
    followup = open_one(org.users.police)
    services.followup_close(actor=roster.chem_c, followup_id=followup.pk,
                            outcome="not_reached", note="三次电话均未接通，已告知班主任。")
    # When the counsellor sends the close form again (whatever its note)
    login(client, roster.chem_c)
    response = client.post(reverse("education:followup_close", args=[followup.pk]),
                           {"outcome": "reached_safe", "note": note})
    # Then they are told it is closed already, back on its page, and nothing changed
    assert response.status_code == 302 and response["Location"] == reverse(
        "education:followup_detail", args=[followup.pk])
    assert messages_of(response) == ["This follow-up is already closed; nothing was changed."]
    followup.refresh_from_db()
    assert (followup.outcome, followup.note) == ("not_reached", "三次电话均未接通，已告知班主任。")
    assert activity_for(followup).filter(verb="education.followup_close").count() == 1


def test_the_badge_the_timeline_and_the_refusal_call_a_close_by_one_word(org, roster, client):
    followup = open_one(org.users.police)
    services.followup_close(actor=roster.chem_c, followup_id=followup.pk,
                            outcome="not_reached", note="三次电话均未接通，已告知班主任。")
    client.force_login(roster.chem_c)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = text_of(client.get(reverse("education:followup_detail", args=[followup.pk])))
    assert page.count("已关闭") == 2 and "已销号" not in page  # the badge and the timeline
    with translation.override("zh-hans"), pytest.raises(Conflict) as error:
        services.followup_close(actor=roster.chem_c, followup_id=followup.pk,
                                outcome="reached_safe", note="再次关闭的说明文字。")
    assert "已关闭" in error.value.message and "已销号" not in error.value.message


# --- the overdue sweep -------------------------------------------------------------------------
def test_the_sweep_reminds_once_and_the_office_after_two_days(org, roster):
    other_admin = user_with_role(Role.OFFICE_ADMIN, username="admin2")
    followup = open_one(org.users.police)  # due today + 2
    due = followup.due_on
    assert services.followup_sweep_overdue(today=due) == {"counsellors": 0, "office": 0}
    day1 = due + dt.timedelta(days=1)
    assert services.followup_sweep_overdue(today=day1) == {"counsellors": 1, "office": 0}
    assert services.followup_sweep_overdue(today=day1) == {"counsellors": 0, "office": 0}
    day2 = due + dt.timedelta(days=2)
    assert services.followup_sweep_overdue(today=day2) == {"counsellors": 0, "office": 2}
    assert services.followup_sweep_overdue(today=day2 + dt.timedelta(days=5)) == {
        "counsellors": 0, "office": 0}
    office = Notification.objects.filter(verb="education.followup_overdue_office")
    assert set(office.values_list("recipient", flat=True)) == {org.users.admin.pk,
                                                               other_admin.pk}
    assert roster.students.b1.full_name not in office.first().title


def test_a_closed_follow_up_is_not_swept(org, roster):
    followup = open_one(org.users.police)
    services.followup_close(actor=roster.chem_c, followup_id=followup.pk,
                            outcome="reached_safe", note="已电话联系学生，已劝阻。")
    assert services.followup_sweep_overdue(today=followup.due_on + dt.timedelta(days=9)) == {
        "counsellors": 0, "office": 0}


# --- pages -------------------------------------------------------------------------------------
def test_bulk_page_lists_bad_rows(org, roster, client):
    client.force_login(org.users.police)
    page = client.post(reverse("education:followup_bulk"), {
        "rows": "2025001 reason one\nnot-a-number reason two", "warning_source": "96110",
        "idempotency_key": "bulk-page-0001"})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="import-error-list"' in html
    assert "No student has the number not-a-number in the roster." in html
    assert not FollowUp.objects.exists()


def test_new_page_opens_and_shows_the_follow_up(org, roster, client):
    client.force_login(org.users.police)
    page = client.post(reverse("education:followup_new"), {
        "student_number": "2024001", "warning_source": "96110", "reason": "接到冒充公检法电话",
        "idempotency_key": "fu-page-00001"}, follow=True)
    assert page.status_code == 200 and "接到冒充公检法电话" in page.content.decode()
    assert FollowUp.objects.get().college == org.unit_a


def test_counsellor_hub_card_counts(org, roster, client):
    followup = open_one(org.users.police)
    FollowUp.objects.filter(pk=followup.pk).update(due_on=clock.local_today()
                                                   - dt.timedelta(days=1))
    open_one(org.users.police, number="2025002")
    client.force_login(roster.chem_c)
    html = client.get(reverse("education:home")).content.decode()
    assert 'id="home-followups"' in html and "2 open" in html and "1 overdue" in html


def test_opening_pages_are_for_office_admins_and_police_only(org, roster, client):
    client.force_login(org.users.staff)  # office staff, not an administrator
    for name in ("followup_new", "followup_bulk"):
        assert client.get(reverse(f"education:{name}")).status_code == 403
    assert 'href="/education/followups/new/"' not in client.get(
        reverse("education:home")).content.decode()
    client.force_login(org.users.admin)
    listed = client.get(reverse("education:followup_list")).content.decode()
    assert 'href="/education/followups/new/"' in listed
    assert client.get(reverse("education:followup_new")).status_code == 200


def test_the_list_has_a_fixed_number_of_queries(org, roster, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    open_one(org.users.police, fraud_type_id=roster.fraud.pk)
    client.force_login(org.users.police)
    with CaptureQueriesContext(connection) as one:
        page = client.get(reverse("education:followup_list"), {"state": "all"})
    assert page.status_code == 200
    for number in ("2025002", "2025101", "2024001"):
        open_one(org.users.police, number=number, fraud_type_id=roster.fraud.pk)
    closed = open_one(org.users.police, number="9000001", student_name="王某",
                      college_id=org.unit_b.pk)
    services.followup_close(actor=org.users.admin, followup_id=closed.pk,
                            outcome="reached_safe", note="已电话联系学生，已劝阻。")
    with CaptureQueriesContext(connection) as five:
        page = client.get(reverse("education:followup_list"), {"state": "all"})
    html = page.content.decode()
    assert all(reverse("education:followup_detail", args=[f.pk]) in html
               for f in FollowUp.objects.all()) and FollowUp.objects.count() == 5
    assert len(five) == len(one)
