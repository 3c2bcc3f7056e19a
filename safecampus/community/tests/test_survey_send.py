"""Sending and closing surveys: the refusals of a send, the recipients fixed and told in
bulk once, every edge of draft → open → closed, and the closing task (idempotent)."""
# ruff: noqa: F811  (fixtures imported from surveys_helpers)

import datetime as dt

import pytest

from safecampus.community.models import Survey
from safecampus.community.selectors.surveys import audience_reach
from safecampus.community.services import surveys as services
from safecampus.community.services.open311 import api_client_issue
from safecampus.community.tasks.surveys import surveys_close_due
from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.notifications.models import Notification

from .helpers import english  # noqa: F401
from .surveys_helpers import NOW, draft, local, roster, sent  # noqa: F401

pytestmark = pytest.mark.django_db
State = Survey.State


def test_sending_fixes_the_recipients_and_tells_them_once(roster, django_capture_on_commit_callbacks):
    survey = draft(roster, audience={"audience_kind": "college",
                                     "unit_id": roster.org.unit_a.pk})
    with django_capture_on_commit_callbacks(execute=True):
        survey = services.survey_send(actor=roster.users.staff, survey_id=survey.pk)
    s = roster.students
    assert survey.state == State.OPEN and survey.sent_at == NOW
    assert survey.recipient_count == 3
    told = Notification.objects.filter(dedupe_key=f"survey:{survey.pk}:sent")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["sa1", "sa2", "sb1"]
    note = told.first()
    assert note.title == "新问卷：校园安全感调查"
    assert note.url == f"/community/surveys/{survey.pk}/answer/"
    assert note.body == "匿名问卷：任何人都无法看到谁作了哪些回答。"
    assert [(e.verb, e.from_state, e.to_state, e.data) for e in activity_for(survey)][-1] == (
        "community.survey_send", "draft", "open", {"recipients": 3})
    # telling them again (a re-run of the bulk send) reaches nobody twice
    from safecampus.notifications.services import notification_send_bulk

    again = notification_send_bulk(recipients=[(s.a1.pk, "")], verb="community.survey_send",
                                   title="x", dedupe_key=f"survey:{survey.pk}:sent")
    assert again == 0


def test_open311_service_accounts_are_not_recipients(roster, django_capture_on_commit_callbacks):
    """A survey to everyone reaches people only: an Open311 client's service account (an
    active community member) is neither counted nor told."""
    api, _key = api_client_issue(actor=roster.users.admin, name="随手拍")
    survey = draft(roster)
    assert audience_reach(survey) == (18, "")  # the same as without the client
    with django_capture_on_commit_callbacks(execute=True):
        survey = services.survey_send(actor=roster.users.staff, survey_id=survey.pk)
    assert survey.recipient_count == 18
    told = Notification.objects.filter(dedupe_key=f"survey:{survey.pk}:sent")
    assert told.count() == 18
    assert not told.filter(recipient=api.user).exists()


def test_a_named_survey_says_nothing_about_anonymity(roster, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        survey = sent(roster, anonymous=False, audience={"audience_kind": "class",
                                                         "class_id": roster.m25.pk})
    assert survey.recipient_count == 1
    assert Notification.objects.get(dedupe_key=f"survey:{survey.pk}:sent").body == ""


def test_a_survey_without_questions_is_not_sent(roster, english):
    survey = draft(roster, questions=[])
    with pytest.raises(DomainError) as excinfo:
        services.survey_send(actor=roster.users.staff, survey_id=survey.pk)
    assert excinfo.value.field_errors == {
        "questions": ["Add at least one question before sending."]}
    survey.refresh_from_db()
    assert survey.state == State.DRAFT and survey.recipient_count == 0
    assert not Notification.objects.exists()


def test_an_audience_with_nobody_in_it_is_refused(roster, english):
    survey = draft(roster, audience={"audience_kind": "year", "year": 2019})
    with pytest.raises(DomainError) as excinfo:
        services.survey_send(actor=roster.users.staff, survey_id=survey.pk)
    assert excinfo.value.field_errors == {
        "audience_kind": ["Nobody is in this audience; choose another."]}
    assert Survey.objects.get(pk=survey.pk).state == State.DRAFT


def test_a_closing_time_that_has_passed_is_refused_at_send(roster, english):
    survey = draft(roster, closes_at=local(2026, 6, 16, 12))
    with clock.frozen(local(2026, 6, 16, 13)):
        with pytest.raises(DomainError) as excinfo:
            services.survey_send(actor=roster.users.staff, survey_id=survey.pk)
    assert excinfo.value.field_errors == {
        "closes_at": ["The closing time has passed; choose a later one."]}


def test_only_the_office_sends_and_closes(roster):
    survey = draft(roster)
    for user in (roster.users.student, roster.users.leadership):
        with pytest.raises(NotAllowed):
            services.survey_send(actor=user, survey_id=survey.pk)
    services.survey_send(actor=roster.users.staff, survey_id=survey.pk)
    with pytest.raises(NotAllowed):
        services.survey_close(actor=roster.users.leadership, survey_id=survey.pk)
    with pytest.raises(NotAllowed):
        services.survey_close(actor=None, survey_id=survey.pk)  # the system must say so


# --- every edge of the state machine -----------------------------------------------------------
def test_allowed_edges(roster):
    survey = draft(roster)
    survey = services.survey_send(actor=roster.users.staff, survey_id=survey.pk)
    assert survey.state == State.OPEN
    with clock.frozen(local(2026, 6, 20, 9)):
        survey = services.survey_close(actor=roster.users.staff, survey_id=survey.pk)
    assert survey.state == State.CLOSED and survey.closed_at == local(2026, 6, 20, 9)
    assert [(e.verb, e.from_state, e.to_state) for e in activity_for(survey)][-1] == (
        "community.survey_close", "open", "closed")


def test_forbidden_edges(roster, english):
    staff = roster.users.staff
    a_draft = draft(roster)
    with pytest.raises(Conflict) as excinfo:
        services.survey_close(actor=staff, survey_id=a_draft.pk)  # draft → closed
    assert excinfo.value.message == "Only an open survey can be closed."
    opened = services.survey_send(actor=staff, survey_id=draft(roster).pk)
    with pytest.raises(Conflict) as excinfo:
        services.survey_send(actor=staff, survey_id=opened.pk)  # open → open
    assert excinfo.value.message == "This survey has already been sent."
    closed = services.survey_close(actor=staff, survey_id=opened.pk)
    with pytest.raises(Conflict):
        services.survey_close(actor=staff, survey_id=closed.pk)  # closed → closed
    with pytest.raises(Conflict):
        services.survey_send(actor=staff, survey_id=closed.pk)  # closed → open
    assert Survey.objects.get(pk=closed.pk).state == State.CLOSED
    assert Survey.objects.get(pk=a_draft.pk).state == State.DRAFT


def test_a_survey_that_does_not_exist(roster, english):
    for junk in (0, "abc", 999999):
        with pytest.raises(DomainError) as excinfo:
            services.survey_send(actor=roster.users.staff, survey_id=junk)
        assert excinfo.value.message == "This survey does not exist."


def test_the_closing_task_closes_due_surveys_once(roster):
    due = sent(roster, closes_at=local(2026, 6, 18, 18))
    later = sent(roster, closes_at=local(2026, 6, 25, 18), title="晚些结束")
    open_ended = sent(roster, title="不设结束时间")
    with clock.frozen(local(2026, 6, 16, 12)):
        assert surveys_close_due.call_local() == 0
    with clock.frozen(local(2026, 6, 18, 18, 5)):
        assert surveys_close_due.call_local() == 1
        assert surveys_close_due.call_local() == 0  # a re-run closes nothing twice
    states = dict(Survey.objects.values_list("pk", "state"))
    assert states == {due.pk: State.CLOSED, later.pk: State.OPEN, open_ended.pk: State.OPEN}
    entries = [e for e in activity_for(Survey.objects.get(pk=due.pk))
               if e.verb == "community.survey_close"]
    assert len(entries) == 1 and entries[0].actor is None
    assert entries[0].data == {"automatic": True}


def test_the_closing_task_skips_one_closed_by_hand_meanwhile(roster, monkeypatch):
    due = sent(roster, closes_at=local(2026, 6, 18, 18))
    real = services.survey_close

    def closed_first(**kwargs):  # the office closes it between the task's query and its close
        real(actor=roster.users.staff, survey_id=due.pk)
        return real(**kwargs)

    monkeypatch.setattr(services, "survey_close", closed_first)
    with clock.frozen(local(2026, 6, 19, 8)):
        assert services.survey_close_due() == 0
    assert Survey.objects.get(pk=due.pk).state == State.CLOSED


def test_sent_at_is_the_moment_of_sending(roster):
    with clock.frozen(NOW + dt.timedelta(hours=2)):
        survey = sent(roster)
    assert survey.sent_at == NOW + dt.timedelta(hours=2)
