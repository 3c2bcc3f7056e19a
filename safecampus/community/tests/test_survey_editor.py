"""Drafting a survey and writing its questions: settings, audience, the editor's rules
(2–20 options without blanks or duplicates, a 2–10 point scale), ordering, and that nothing
changes once the survey is sent."""
# ruff: noqa: F811  (fixtures imported from surveys_helpers)

import pytest

from safecampus.community.models import Survey, SurveyQuestion
from safecampus.community.services import surveys as services
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed

from .helpers import english  # noqa: F401
from .surveys_helpers import NOW, draft, local, roster, sent  # noqa: F401

pytestmark = pytest.mark.django_db


def _add(roster, survey, **kwargs):
    data = {"kind": "single", "text": "你常走哪个校门？", "options": ["东门", "南门"]}
    data.update(kwargs)
    return services.question_add(actor=roster.users.staff, survey_id=survey.pk, **data)


def _errors(excinfo) -> dict:
    return excinfo.value.field_errors


# --- the draft --------------------------------------------------------------------------------
def test_a_draft_is_anonymous_by_default_and_on_the_timeline(roster, english):
    survey = services.survey_create(actor=roster.users.staff, title=" 校园安全感调查 ")
    assert survey.state == Survey.State.DRAFT
    assert survey.is_anonymous is True
    assert survey.title == "校园安全感调查"
    assert survey.audience_kind == "everyone" and survey.created_by == roster.users.staff
    assert [(e.verb, e.to_state) for e in activity_for(survey)] == [
        ("community.survey_create", "draft")]


def test_the_same_idempotency_key_drafts_once(roster):
    key = "k" * 32
    one = services.survey_create(actor=roster.users.staff, title="A", idempotency_key=key)
    two = services.survey_create(actor=roster.users.staff, title="A", idempotency_key=key)
    assert one.pk == two.pk and Survey.objects.count() == 1


def test_bad_settings_are_refused_at_their_fields_and_nothing_is_written(roster, english):
    with pytest.raises(DomainError) as excinfo:
        services.survey_create(actor=roster.users.staff, title="", audience_kind="college",
                               closes_at=local(2026, 6, 16, 9))
    assert _errors(excinfo) == {
        "title": ["Give the survey a title."],
        "closes_at": ["The closing time has passed; choose a later one."],
        "audience_unit": ["Choose the college."],
    }
    assert not Survey.objects.exists()


def test_an_audience_keeps_only_the_fields_of_its_kind(roster):
    survey = services.survey_create(
        actor=roster.users.staff, title="A", audience_kind="college",
        unit_id=roster.org.unit_a.pk, year=2024, campus_id=roster.org.campus1.pk,
        class_id=roster.c24.pk)
    assert (survey.audience_unit_id, survey.audience_year, survey.audience_campus_id,
            survey.audience_class_id) == (roster.org.unit_a.pk, 2024, None, None)


def test_only_the_office_drafts_and_edits(roster):
    for user in (roster.users.student, roster.users.leadership, roster.users.contact_a):
        with pytest.raises(NotAllowed):
            services.survey_create(actor=user, title="A")
    survey = draft(roster, questions=[])
    with pytest.raises(NotAllowed):
        services.question_add(actor=roster.users.leadership, survey_id=survey.pk,
                              kind="text", text="?")


def test_a_draft_can_be_edited_but_not_once_sent(roster, english):
    survey = draft(roster, questions=[])
    services.survey_update(actor=roster.users.staff, survey_id=survey.pk, title="新标题",
                           is_anonymous=False, audience_kind="campus",
                           campus_id=roster.org.campus2.pk, closes_at=local(2026, 6, 30, 18))
    survey.refresh_from_db()
    assert (survey.title, survey.is_anonymous, survey.audience_campus_id) == (
        "新标题", False, roster.org.campus2.pk)
    _add(roster, survey)
    services.survey_send(actor=roster.users.staff, survey_id=survey.pk)
    with pytest.raises(Conflict) as excinfo:
        services.survey_update(actor=roster.users.staff, survey_id=survey.pk, title="x")
    assert excinfo.value.message == (
        "The survey has been sent; its questions can no longer change.")


# --- questions --------------------------------------------------------------------------------
def test_questions_of_every_kind_are_numbered_in_order(roster):
    survey = draft(roster)
    rows = list(survey.questions.values_list("position", "kind", "required"))
    assert rows == [(1, "single", True), (2, "multiple", False), (3, "scale", True),
                    (4, "text", False)]
    scale = survey.questions.get(kind="scale")
    assert (scale.scale_min, scale.scale_max, scale.scale_min_label, scale.scale_max_label) == (
        1, 5, "很不满意", "很满意")
    assert survey.questions.get(kind="text").options == []


@pytest.mark.parametrize(("options", "messages"), [
    (["东门"], ["Give 2 to 20 options, one per line."]),
    ([f"选项{n}" for n in range(21)], ["Give 2 to 20 options, one per line."]),
    (["东门", "", "南门"], ["Option 2 is empty; remove the blank line."]),
    (["东门", "南门", " 东门 "], ["“东门” is listed twice."]),
    (["Gate", "gate"], ["“gate” is listed twice."]),
    (["东门", "门" * 101], ["Option 2 is longer than 100 characters."]),
])
def test_choice_options_are_checked(roster, english, options, messages):
    survey = draft(roster, questions=[])
    for kind in ("single", "multiple"):
        with pytest.raises(DomainError) as excinfo:
            _add(roster, survey, kind=kind, options=options)
        assert _errors(excinfo) == {"options": messages}
    assert not survey.questions.exists()


def test_twenty_options_and_trimmed_texts_are_kept(roster):
    survey = draft(roster, questions=[])
    question = _add(roster, survey, kind="multiple",
                    options=[f" 选项{n} " for n in range(20)])
    assert question.options == [f"选项{n}" for n in range(20)]


@pytest.mark.parametrize(("low", "high", "field", "message"), [
    (1, 1, "scale_max", "The highest value must be greater than the lowest."),
    (5, 3, "scale_max", "The highest value must be greater than the lowest."),
    (1, 11, "scale_max", "A scale has 2 to 10 points: end it between 2 and 10."),
    (0, 10, "scale_max", "A scale has 2 to 10 points: end it between 1 and 9."),
    (-1, 3, "scale_min", "Start the scale at a whole number from 0 to 10."),
    ("a", 5, "scale_min", "Start the scale at a whole number from 0 to 10."),
    (3, None, "scale_max", "A scale has 2 to 10 points: end it between 4 and 12."),
])
def test_a_scale_has_two_to_ten_points(roster, english, low, high, field, message):
    survey = draft(roster, questions=[])
    with pytest.raises(DomainError) as excinfo:
        _add(roster, survey, kind="scale", options=None, scale_min=low, scale_max=high)
    assert _errors(excinfo) == {field: [message]}


def test_a_ten_point_scale_from_zero_is_allowed(roster):
    survey = draft(roster, questions=[])
    question = _add(roster, survey, kind="scale", scale_min=0, scale_max=9)
    assert (question.scale_min, question.scale_max, question.options) == (0, 9, [])


def test_a_question_has_at_most_200_characters(roster, english):
    survey = draft(roster, questions=[])
    assert _add(roster, survey, text="问" * 200).text == "问" * 200
    with pytest.raises(DomainError) as excinfo:
        _add(roster, survey, text="问" * 201)
    assert list(_errors(excinfo)) == ["text"]
    assert survey.questions.count() == 1


def test_a_question_needs_a_text_and_a_known_kind(roster, english):
    survey = draft(roster, questions=[])
    with pytest.raises(DomainError) as excinfo:
        _add(roster, survey, kind="ranking", text="  ")
    assert _errors(excinfo) == {"kind": ["Choose the kind of question."],
                                "text": ["Write the question."]}


def test_edit_delete_and_move(roster):
    survey = draft(roster)
    staff = roster.users.staff
    first, second, third, fourth = survey.questions.order_by("position")
    services.question_update(actor=staff, survey_id=survey.pk, question_id=first.pk,
                             kind="scale", text="安全感打分", required=False, scale_min=1,
                             scale_max=10)
    first.refresh_from_db()
    assert (first.kind, first.text, first.required, first.options, first.scale_max) == (
        "scale", "安全感打分", False, [], 10)
    services.question_move(actor=staff, survey_id=survey.pk, question_id=third.pk,
                           direction="up")
    services.question_move(actor=staff, survey_id=survey.pk, question_id=first.pk,
                           direction="up")  # already first: nothing changes
    order = list(survey.questions.order_by("position").values_list("pk", flat=True))
    assert order == [first.pk, third.pk, second.pk, fourth.pk]
    services.question_move(actor=staff, survey_id=survey.pk, question_id=fourth.pk,
                           direction="down")  # already last
    services.question_delete(actor=staff, survey_id=survey.pk, question_id=third.pk)
    assert list(survey.questions.order_by("position").values_list("pk", "position")) == [
        (first.pk, 1), (second.pk, 2), (fourth.pk, 3)]


def test_a_question_of_another_survey_is_not_found(roster, english):
    one, other = draft(roster), draft(roster, title="另一份")
    foreign = other.questions.first()
    with pytest.raises(DomainError) as excinfo:
        services.question_delete(actor=roster.users.staff, survey_id=one.pk,
                                 question_id=foreign.pk)
    assert excinfo.value.message == "This question does not exist."
    assert SurveyQuestion.objects.filter(pk=foreign.pk).exists()


def test_questions_cannot_change_once_sent(roster, english):
    survey = sent(roster)
    question = survey.questions.first()
    staff = roster.users.staff
    calls = [
        lambda: _add(roster, survey),
        lambda: services.question_update(actor=staff, survey_id=survey.pk,
                                         question_id=question.pk, kind="text", text="x"),
        lambda: services.question_delete(actor=staff, survey_id=survey.pk,
                                         question_id=question.pk),
        lambda: services.question_move(actor=staff, survey_id=survey.pk,
                                       question_id=question.pk, direction="down"),
    ]
    for call in calls:
        with pytest.raises(Conflict) as excinfo:
            call()
        assert excinfo.value.message == (
            "The survey has been sent; its questions can no longer change.")
    assert survey.questions.count() == 4
    question.refresh_from_db()
    assert question.position == 1 and question.kind == "single"
