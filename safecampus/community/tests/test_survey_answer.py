"""Answering a survey: validation per kind of question, once per person (also two submits
at the same moment on PostgreSQL), who may answer, and the proof that an anonymous answer is
stored with nothing that leads back to the person."""
# ruff: noqa: F811  (fixtures imported from surveys_helpers)

import datetime as dt
import io
import uuid

import pytest
from django.db import connection
from openpyxl import load_workbook

from safecampus.community.models import (
    Survey,
    SurveyAnswer,
    SurveyParticipation,
    SurveyResponse,
)
from safecampus.community.selectors import surveys as selectors
from safecampus.community.services import surveys as services
from safecampus.community.services.open311 import api_client_issue
from safecampus.community.views.surveys_export import survey_workbook
from safecampus.core import clock
from safecampus.core.errors import Conflict, DomainError
from safecampus.core.models import ActivityEntry, IdempotencyKey
from safecampus.notifications.models import Notification
from safecampus.tests.threads import race

from .helpers import english  # noqa: F401
from .surveys_helpers import NOW, answers_for, draft, local, roster, sent  # noqa: F401

pytestmark = pytest.mark.django_db

GOOD = ("1", ["0", "2"], "4", "东门外路灯太暗")


def _answer(survey, user, *values):
    return services.survey_answer(actor=user, survey_id=survey.pk,
                                  answers=answers_for(survey, *values))


def _refused(survey, user, *values) -> DomainError:
    with pytest.raises(DomainError) as excinfo:
        _answer(survey, user, *values)
    return excinfo.value


def _nothing_written():
    assert not SurveyParticipation.objects.exists()
    assert not SurveyResponse.objects.exists()
    assert not SurveyAnswer.objects.exists()


# --- validation per kind ------------------------------------------------------------------------
def test_answers_of_every_kind_are_stored(roster):
    survey = sent(roster, anonymous=False)
    response = _answer(survey, roster.students.a1, *GOOD)
    by_kind = {a.question.kind: a for a in response.answers.select_related("question")}
    assert by_kind["single"].choices == [1]
    assert by_kind["multiple"].choices == [0, 2]
    assert by_kind["scale"].number == 4 and by_kind["scale"].choices == []
    assert by_kind["text"].text == "东门外路灯太暗"
    assert Survey.objects.get(pk=survey.pk).response_count == 1


def test_repeated_and_unordered_choices_are_stored_once_in_order(roster):
    survey = sent(roster)
    response = _answer(survey, roster.students.a1, 0, [3, "1", 3], 5, "")
    multiple = response.answers.get(question__kind="multiple")
    assert multiple.choices == [1, 3]
    assert not response.answers.filter(question__kind="text").exists()  # blank: no row


def test_required_questions_are_asked_for_at_the_question(roster, english):
    survey = sent(roster)
    single, multiple, scale, text = survey.questions.order_by("position")
    error = _refused(survey, roster.students.a1, "", [], " ", "")
    assert error.field_errors == {f"q{single.pk}": ["Answer this question."],
                                  f"q{scale.pk}": ["Answer this question."]}
    _nothing_written()


@pytest.mark.parametrize(("values", "position", "message"), [
    (("4", [], "3"), 1, "Choose one of the options."),
    (("-1", [], "3"), 1, "Choose one of the options."),
    (("东门", [], "3"), 1, "Choose one of the options."),
    ((["0", "1"], [], "3"), 1, "Choose one of the options."),
    (("0", ["0", "9"], "3"), 2, "Choose among the options."),
    (("0", ["x"], "3"), 2, "Choose among the options."),
    (("0", [], "6"), 3, "Choose a value from 1 to 5."),
    (("0", [], "0"), 3, "Choose a value from 1 to 5."),
    (("0", [], "3.5"), 3, "Choose a value from 1 to 5."),
    (("0", [], "3", "字" * 2001), 4, "At most 2000 characters."),
])
def test_answers_outside_the_question_are_refused(roster, english, values, position, message):
    survey = sent(roster)
    question = survey.questions.get(position=position)
    error = _refused(survey, roster.students.a1, *values)
    assert error.field_errors == {f"q{question.pk}": [message]}
    _nothing_written()


def test_every_problem_is_reported_at_once(roster, english):
    survey = sent(roster)
    single, multiple, scale, text = survey.questions.order_by("position")
    error = _refused(survey, roster.students.a1, "9", ["7"], "", "")
    assert error.field_errors == {f"q{single.pk}": ["Choose one of the options."],
                                  f"q{multiple.pk}": ["Choose among the options."],
                                  f"q{scale.pk}": ["Answer this question."]}


def test_answers_to_questions_of_another_survey_are_ignored(roster):
    survey, other = sent(roster), sent(roster, title="另一份")
    foreign = other.questions.get(kind="text")
    answers = answers_for(survey, *GOOD) | {foreign.pk: "不该存"}
    services.survey_answer(actor=roster.students.a1, survey_id=survey.pk, answers=answers)
    assert not SurveyAnswer.objects.filter(question=foreign).exists()


# --- once per person, and who may answer ----------------------------------------------------
def test_a_second_answer_by_the_same_person_counts_once(roster, english):
    survey = sent(roster)
    _answer(survey, roster.students.a1, *GOOD)
    error = _refused(survey, roster.students.a1, "0", [], "1", "改主意了")
    assert error.message == "You have already answered this survey."
    assert error.code == "already_answered"
    assert SurveyResponse.objects.count() == 1 and SurveyAnswer.objects.count() == 4
    assert Survey.objects.get(pk=survey.pk).response_count == 1


def test_the_refusal_reads_in_chinese(roster):
    survey = sent(roster)
    _answer(survey, roster.students.a1, *GOOD)
    error = _refused(survey, roster.students.a1, *GOOD)
    assert error.message == "您已提交过此问卷。"


def test_the_unique_participation_decides_when_the_check_is_passed(roster, english,
                                                                   monkeypatch):
    """A second tab whose check ran before the first submit committed: the database's
    unique participation refuses it, and nothing of it is written."""
    survey = sent(roster)
    _answer(survey, roster.students.a1, *GOOD)
    monkeypatch.setattr(services, "survey_answer_refusal", lambda survey, user: "")
    error = _refused(survey, roster.students.a1, *GOOD)
    assert error.message == "You have already answered this survey."
    assert SurveyResponse.objects.count() == 1 and SurveyAnswer.objects.count() == 4
    assert Survey.objects.get(pk=survey.pk).response_count == 1


@pytest.mark.parametrize(("audience", "allowed", "refused"), [
    ({"audience_kind": "campus", "campus_id": "campus2"}, ["m1"], ["a1", "b1"]),
    ({"audience_kind": "college", "unit_id": "unit_a"}, ["a1", "b1"], ["m1"]),
    ({"audience_kind": "college", "unit_id": "unit_a", "year": 2025}, ["b1"], ["a1", "m1"]),
    ({"audience_kind": "year", "year": 2025}, ["b1", "m1"], ["a1"]),
    ({"audience_kind": "class", "class_id": "c24"}, ["a1", "a2"], ["b1", "m1"]),
])
def test_only_the_audience_may_answer(roster, english, audience, allowed, refused):
    audience = {k: (getattr(roster.org, v, None) or getattr(roster, v)).pk
                if isinstance(v, str) and k.endswith("_id") else v
                for k, v in audience.items()}
    survey = sent(roster, audience=audience)
    for name in refused:
        error = _refused(survey, getattr(roster.students, name), *GOOD)
        assert error.message == "This survey was not sent to you."
    for name in allowed:
        _answer(survey, getattr(roster.students, name), *GOOD)
    assert SurveyParticipation.objects.count() == len(allowed)


def test_a_person_without_affiliation_answers_only_surveys_to_everyone(roster, english):
    everyone, college = sent(roster), sent(roster, audience={
        "audience_kind": "college", "unit_id": roster.org.unit_a.pk})
    _answer(everyone, roster.users.student, *GOOD)
    error = _refused(college, roster.users.student, *GOOD)
    assert error.message == "This survey was not sent to you."


def test_a_draft_or_closed_survey_takes_no_answers(roster, english):
    a_draft = draft(roster)
    assert _refused(a_draft, roster.students.a1, *GOOD).message == (
        "This survey has not been sent yet.")
    survey = sent(roster)
    services.survey_close(actor=roster.users.staff, survey_id=survey.pk)
    assert _refused(survey, roster.students.a1, *GOOD).message == (
        "This survey is closed; it takes no more answers.")
    _nothing_written()


def test_past_its_closing_time_a_survey_takes_no_answers_even_before_the_task(roster, english):
    survey = sent(roster, closes_at=local(2026, 6, 17, 18))
    with clock.frozen(local(2026, 6, 17, 18, 1)):
        assert _refused(survey, roster.students.a1, *GOOD).message == (
            "This survey is closed; it takes no more answers.")
    assert Survey.objects.get(pk=survey.pk).state == Survey.State.OPEN


# --- anonymity ------------------------------------------------------------------------------------
def test_nothing_stored_links_a_person_to_an_anonymous_answer(roster, django_capture_on_commit_callbacks):
    survey = sent(roster)
    before = {"activity": ActivityEntry.objects.count(),
              "notifications": Notification.objects.count(),
              "keys": IdempotencyKey.objects.count()}
    with clock.frozen(local(2026, 6, 16, 21, 37, 12)):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = _answer(survey, roster.students.a1, *GOOD)
    assert callbacks == []  # nothing goes out after the answer
    # The participation: who answered, with a random id, no time and no link to the response.
    participation = SurveyParticipation.objects.get()
    assert {f.name for f in SurveyParticipation._meta.concrete_fields} == {"id", "survey", "user"}
    assert (participation.survey_id, participation.user_id) == (survey.pk,
                                                                roster.students.a1.pk)
    assert isinstance(participation.pk, uuid.UUID) and participation.pk.version == 4
    # The response: no person, no day, no time, a random id.
    row = SurveyResponse.objects.values().get()
    assert row == {"id": response.pk, "survey_id": survey.pk, "respondent_id": None,
                   "submitted_on": None, "submitted_at": None}
    assert isinstance(response.pk, uuid.UUID) and response.pk.version == 4
    # The answers: no person, random ids; nothing in them names anyone.
    fields = {f.name for f in SurveyAnswer._meta.concrete_fields}
    assert fields == {"id", "response", "question", "choices", "number", "text"}
    for answer in SurveyAnswer.objects.all():
        assert isinstance(answer.pk, uuid.UUID) and answer.pk.version == 4
    # No timeline entry, notification or idempotency key was written by answering.
    assert {"activity": ActivityEntry.objects.count(),
            "notifications": Notification.objects.count(),
            "keys": IdempotencyKey.objects.count()} == before
    # The survey's row changed only its count (not even its updated time).
    fresh = Survey.objects.get(pk=survey.pk)
    assert fresh.response_count == 1 and fresh.updated_at == survey.updated_at


def test_two_anonymous_answers_cannot_be_told_apart_by_person(roster):
    survey = sent(roster)
    _answer(survey, roster.students.a1, "0", [], "1", "甲")
    _answer(survey, roster.students.a2, "3", [], "5", "乙")
    users = set(SurveyParticipation.objects.values_list("user_id", flat=True))
    assert users == {roster.students.a1.pk, roster.students.a2.pk}
    rows = list(SurveyResponse.objects.values_list("respondent_id", "submitted_at",
                                                   "submitted_on"))
    assert rows == [(None, None, None)] * 2


def test_anonymous_answers_on_different_days_keep_no_order_or_date(roster, client):
    """Three people answer on three days: no stored value, list or export puts the answers
    in the order they came, so the order of the participations cannot be matched to them."""
    survey = sent(roster, closes_at=local(2026, 6, 30, 18))
    people = (roster.students.a1, roster.students.a2, roster.students.b1)
    texts = ("第一天", "第二天", "第三天")
    for day, (person, text) in enumerate(zip(people, texts, strict=True)):
        with clock.frozen(local(2026, 6, 16 + day, 11 + 3 * day)):
            _answer(survey, person, "0", [], "3", text)
    responses = list(SurveyResponse.objects.values_list("submitted_on", "submitted_at"))
    assert responses == [(None, None)] * 3
    assert set(SurveyParticipation.objects.values_list("user_id", flat=True)) == {
        p.pk for p in people}
    for participation in SurveyParticipation.objects.all():
        assert isinstance(participation.pk, uuid.UUID) and participation.pk.version == 4
    # Everything that lists them goes by the random ids of the answers or responses.
    question = survey.questions.get(kind="text")
    by_answer_id = [a.text for a in SurveyAnswer.objects.filter(question=question)
                    .order_by("id")]
    assert [a.text for a in selectors.text_answers(survey, question)] == by_answer_id
    results = selectors.survey_results(survey)
    assert [a.text for a in results[3].texts] == by_answer_id
    by_response_id = [r.answers.get(question=question).text
                      for r in SurveyResponse.objects.order_by("id")]
    exported = list(selectors.export_responses(survey, selectors.survey_questions(survey)))
    assert [row[-1] for row in exported] == by_response_id
    assert [row[0] for row in exported] == [1, 2, 3]
    assert all(len(row) == 1 + 4 for row in exported)  # number and answers, no date
    sheet = load_workbook(io.BytesIO(survey_workbook(survey))).worksheets[-1]
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert not any(isinstance(c, (dt.date, dt.datetime)) for c in cells)


def test_a_named_survey_stores_the_respondent_and_the_time(roster):
    survey = sent(roster, anonymous=False)
    response = _answer(survey, roster.students.b1, *GOOD)
    response.refresh_from_db()
    assert response.respondent == roster.students.b1
    assert response.submitted_at == NOW and response.submitted_on == dt.date(2026, 6, 16)


def test_the_answer_day_of_a_named_survey_is_the_local_day(roster):
    survey = sent(roster, anonymous=False, closes_at=local(2026, 6, 30, 18))
    with clock.frozen(local(2026, 6, 17, 0, 30)):  # 16:30 UTC on the 16th
        response = _answer(survey, roster.students.a1, *GOOD)
    assert response.submitted_on == dt.date(2026, 6, 17)


def test_control_characters_in_a_text_answer_are_dropped(roster):
    """A NUL would be refused by PostgreSQL (500 before); the other invisible control
    characters are dropped too, tabs and line breaks kept."""
    survey = sent(roster)
    response = _answer(survey, roster.students.a1, "0", [], "3", "路灯\x00坏了\x07\n\t东门")
    assert response.answers.get(question__kind="text").text == "路灯坏了\n\t东门"


def test_a_text_answer_of_control_characters_only_is_blank(roster, english):
    survey = sent(roster, questions=[("text", "还有什么建议？", True, {})])
    error = _refused(survey, roster.students.a1, "\x00\x01")
    assert error.field_errors == {
        f"q{survey.questions.get().pk}": ["Answer this question."]}
    _nothing_written()


def test_an_answer_whose_survey_closed_after_the_check_is_rolled_back(roster, english,
                                                                       monkeypatch):
    """The check ran while the survey was open, then the office (or the task) closed it
    before the answer was written: the answer is refused and nothing of it stays."""
    survey = sent(roster)
    services.survey_close(actor=roster.users.staff, survey_id=survey.pk)
    monkeypatch.setattr(services, "survey_answer_refusal", lambda survey, user: "")
    with pytest.raises(Conflict) as excinfo:
        _answer(survey, roster.students.a1, *GOOD)
    assert excinfo.value.message == "This survey is closed; it takes no more answers."
    _nothing_written()
    assert Survey.objects.get(pk=survey.pk).response_count == 0


def test_an_answer_past_the_closing_time_after_the_check_is_rolled_back(roster, english,
                                                                        monkeypatch):
    survey = sent(roster, closes_at=local(2026, 6, 17, 18))
    monkeypatch.setattr(services, "survey_answer_refusal", lambda survey, user: "")
    with clock.frozen(local(2026, 6, 17, 18)), pytest.raises(Conflict):
        _answer(survey, roster.students.a1, *GOOD)
    _nothing_written()


def test_open311_service_accounts_may_not_answer_a_survey_to_everyone(roster, english):
    api, _key = api_client_issue(actor=roster.users.admin, name="随手拍")
    survey = sent(roster)
    assert _refused(survey, api.user, *GOOD).message == "This survey was not sent to you."
    assert not services.survey_in_audience(survey, api.user)
    assert services.survey_in_audience(survey, roster.students.a1)
    _nothing_written()


@pytest.mark.parametrize("closed", ["class", "college"])
def test_a_survey_whose_class_or_college_was_closed_is_not_sent_to_anyone(roster, english,
                                                                           closed):
    audience = ({"audience_kind": "class", "class_id": roster.c24.pk} if closed == "class"
                else {"audience_kind": "college", "unit_id": roster.org.unit_a.pk})
    survey = sent(roster, audience=audience)
    group = roster.c24 if closed == "class" else roster.org.unit_a
    type(group).objects.filter(pk=group.pk).update(is_active=False)
    assert not services.survey_in_audience(survey, roster.students.a1)
    error = _refused(survey, roster.students.a1, *GOOD)
    assert error.message == "This survey was not sent to you."
    _nothing_written()


# --- two submits at the same moment (PostgreSQL) -------------------------------------------------
@pytest.fixture
def _postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs parallel connections; SQLite serialises writers, so there is no "
                    "race to test (run with DATABASE_URL=postgres://…)")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_double_submit_at_the_same_moment_counts_once(_postgres, roster):
    survey = sent(roster)
    answers = answers_for(survey, *GOOD)
    student = roster.students.a1
    outcomes = race([lambda: services.survey_answer(actor=student, survey_id=survey.pk,
                                                    answers=answers)] * 2, at=NOW)
    errors = [error for _result, error in outcomes if error]
    assert len(errors) == 1, outcomes
    assert errors[0].message == "You have already answered this survey."
    assert SurveyParticipation.objects.count() == 1
    assert SurveyResponse.objects.count() == 1 and SurveyAnswer.objects.count() == 4
    assert Survey.objects.get(pk=survey.pk).response_count == 1
