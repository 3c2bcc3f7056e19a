"""Quizzes: questions' rules, setting a quiz (seeded draw, groups, open notification),
assignment targeting, attempts (not assigned, not open, closed, attempts used up, resume),
scoring (multiple choice only exactly right), the deadline and the time limit, idempotent
submit, bad answers, results per college and class, and the pages."""
# ruff: noqa: F811

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from safecampus.accounts.models import Affiliation
from safecampus.core import clock
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.education.models import Question, Quiz, QuizAttempt
from safecampus.education.selectors import quizzes as selectors
from safecampus.education.services import quizzes as services
from safecampus.notifications.audiences import audience_users
from safecampus.notifications.models import Notification
from safecampus.tests.pages import login, messages_of, text_of

from .quiz_helpers import (  # noqa: F401
    NOW,
    at_now,
    bank,
    english,
    make_quiz,
    right_answers,
    roster,
)

pytestmark = pytest.mark.usefixtures("english")
MIN = dt.timedelta(minutes=1)


def by_stem(bank, stem):
    return bank.questions.get(stem=stem)


# --- questions ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "options", "answer", "errors"), [
    ("single", ["甲", "乙"], [0, 1], {"answer": ["Single choice needs exactly one correct answer, "
                                                 "not 2."]}),
    ("single", ["甲"], [0], {"options": ["Fewer than two options."]}),
    ("multiple", ["甲", "乙", "甲"], [0], {"options": ["Duplicate options: “甲”."]}),
    ("multiple", ["甲", "乙"], [], {"answer": ["No correct answer."]}),
    ("single", ["甲", "乙"], [2], {"answer": ["A correct answer that is not one of the options."]}),
    ("true_false", ["是", "不是"], [0], {"options": [
        "A true-or-false question's options are 正确 and 错误."]}),
])
def test_question_rules(org, bank, kind, options, answer, errors):
    with pytest.raises(DomainError) as refused:
        services.question_add(actor=org.users.staff, bank_id=bank.pk, kind=kind, stem="题",
                              options=options, answer=answer)
    assert refused.value.field_errors == errors


def test_multiple_choice_with_one_answer_and_true_false_without_options_are_allowed(org, bank):
    one = services.question_add(actor=org.users.staff, bank_id=bank.pk, kind="multiple",
                                stem="只有一个对", options=["甲", "乙", "丙"], answer=[2])
    tf = services.question_add(actor=org.users.staff, bank_id=bank.pk, kind="true_false",
                               stem="判断", options=[], answer=[0])
    assert (one.number, one.answer) == (7, [2])
    assert (tf.number, tf.options) == (8, ["正确", "错误"])


def test_a_question_people_answered_is_not_edited_but_can_be_deactivated(org, bank, roster,
                                                                        at_now):
    quiz = make_quiz(org, bank)
    attempt = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    services.attempt_submit(actor=roster.s.a1, attempt_id=attempt.pk, answers={})
    question = bank.questions.get(number=1)
    with pytest.raises(DomainError) as refused:
        services.question_update(actor=org.users.staff, question_id=question.pk, kind="single",
                                 stem="新", options=["a", "b"], answer=[0])
    assert refused.value.code == "question_taken"
    services.question_deactivate(actor=org.users.staff, question_id=question.pk)
    assert not Question.objects.get(pk=question.pk).is_active
    assert quiz.questions.filter(pk=question.pk).exists()  # the quiz keeps it
    with pytest.raises(NotAllowed):
        services.question_deactivate(actor=roster.s.a1, question_id=question.pk)


def test_a_question_being_answered_in_an_open_quiz_keeps_its_options_and_answer(
        org, bank, roster, at_now):
    quiz = make_quiz(org, bank, closes=NOW + 30 * MIN)
    services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)  # in progress
    question = bank.questions.get(number=4)  # 火警电话是？ 110/119/120/122, B
    with pytest.raises(DomainError) as refused:
        services.question_update(actor=org.users.staff, question_id=question.pk, kind="single",
                                 stem=question.stem, options=question.options, answer=[2])
    assert refused.value.code == "question_in_progress"
    assert refused.value.message.startswith("People are taking an open quiz with this "
                                            "question right now")
    assert Question.objects.get(pk=question.pk).answer == [1]
    # a typo in the text or the explanation may still be fixed
    fixed = services.question_update(actor=org.users.staff, question_id=question.pk,
                                     kind="single", stem="火警电话是多少？",
                                     options=question.options, answer=[1], explanation="119")
    assert (fixed.stem, fixed.explanation) == ("火警电话是多少？", "119")
    with clock.frozen(NOW + 30 * MIN):  # closed: the unsubmitted attempt no longer counts
        changed = services.question_update(actor=org.users.staff, question_id=question.pk,
                                           kind="single", stem=fixed.stem,
                                           options=question.options, answer=[2])
    assert changed.answer == [2]


# --- setting a quiz ------------------------------------------------------------------------------
def test_a_quiz_draws_its_questions_with_a_stored_seed(org, bank, at_now):
    first = make_quiz(org, bank, question_count=3, seed=42, title="A")
    again = make_quiz(org, bank, question_count=3, seed=42, title="B")
    assert first.questions.count() == 3
    assert set(first.questions.values_list("pk", flat=True)) == set(
        again.questions.values_list("pk", flat=True))
    from safecampus.core.activity import activity_for

    entry = activity_for(first).get(verb="education.quiz_create")
    assert entry.data["seed"] == 42 and entry.data["pool"] == 6
    tf_only = make_quiz(org, bank, kinds=["true_false"], title="C")
    assert set(tf_only.questions.values_list("kind", flat=True)) == {"true_false"}
    assert tf_only.questions.count() == 2


def test_quiz_refusals(org, bank, at_now):
    cases = [
        ({"question_count": 7}, "question_count",
         "The bank has only 6 active questions of these types."),
        ({"closes": NOW - MIN, "opens": NOW - 2 * MIN}, "closes_at", "The deadline is in the past."),
        ({"closes": NOW + MIN, "opens": NOW + 2 * MIN}, "closes_at",
         "The deadline must be after the opening time."),
        ({"pass_mark": 101}, "pass_mark", "A percentage from 0 to 100."),
        ({"audiences": [{"kind": "college"}]}, "audience_unit", "Choose the college."),
    ]
    for kwargs, field, message in cases:
        with pytest.raises(DomainError) as refused:
            make_quiz(org, bank, **kwargs)
        assert refused.value.field_errors[field] == [message]
    assert Quiz.objects.count() == 0


def test_a_quiz_open_on_creation_tells_the_assigned_people_once(org, bank, roster, at_now):
    with pytest.MonkeyPatch.context():
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            quiz = make_quiz(org, bank, audiences=[{"kind": "year", "year": 2025}])
    told = set(Notification.objects.filter(verb="education.quiz_open").values_list(
        "recipient__username", flat=True))
    assert told == {"sb1", "sb2", "sm1", "sm2"}
    assert services.quiz_open_announce(quiz_id=quiz.pk) == 0  # once
    assert services.quizzes_open_sweep() == 0


def test_opening_is_announced_by_a_task_after_the_commit_in_batches(org, bank, roster, at_now,
                                                                      monkeypatch):
    from django.test import TestCase

    from safecampus.core.activity import activity_for

    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        quiz = make_quiz(org, bank, audiences=[{"kind": "college", "unit_id": org.unit_a.pk}])
    assert len(callbacks) == 1  # queued after the commit, nobody told inside the request
    assert not Notification.objects.filter(verb="education.quiz_open").exists()
    monkeypatch.setattr(services, "ANNOUNCE_BATCH", 2)
    callbacks[0]()  # the queued task (huey runs it at once in the tests)
    told = Notification.objects.filter(verb="education.quiz_open")
    assert told.count() == 5  # chem: a1 a2 a3 b1 b2 (students; not the teacher)
    entry = activity_for(quiz).get(verb="education.quiz_open")
    assert entry.data == {"told": 5, "people": 5}
    # a run that overlapped (before the entry was written) tells nobody twice
    entry.delete()
    assert services.quiz_open_announce(quiz_id=quiz.pk) == 0
    assert told.count() == 5
    assert activity_for(quiz).filter(verb="education.quiz_open").count() == 1


def test_a_later_quiz_is_announced_by_the_sweep_when_it_opens(org, bank, roster, at_now):
    quiz = make_quiz(org, bank, opens=NOW + dt.timedelta(hours=2))
    assert services.quizzes_open_sweep() == 0
    with clock.frozen(NOW + dt.timedelta(hours=2, minutes=3)):
        assert services.quizzes_open_sweep() == 3  # a1, a2, a3 (2024)
        assert services.quizzes_open_sweep() == 0
    notification = Notification.objects.filter(verb="education.quiz_open").first()
    assert notification.url == reverse("education:quiz_take", args=[quiz.pk])


# --- who a quiz is for -----------------------------------------------------------------------------
AUDIENCES = [
    ("everyone", {}),
    ("campus", {"campus_id": "campus2"}),
    ("college", {"unit_id": "unit_a"}),
    ("college", {"unit_id": "unit_a", "year": 2025}),
    ("year", {"year": 2025}),
    ("year", {"year": 2025, "campus_id": "campus1"}),
    ("class", {"class_id": "c24b"}),
]


@pytest.mark.parametrize(("kind", "spec"), AUDIENCES)
def test_my_quizzes_matches_the_audience_resolver(org, bank, roster, at_now, kind, spec):
    values = {}
    for key, value in spec.items():
        if key == "campus_id":
            values[key] = getattr(org, value).pk
        elif key == "unit_id":
            values[key] = getattr(org, value).pk
        elif key == "class_id":
            values[key] = getattr(roster, value).pk
        else:
            values[key] = value
    quiz = make_quiz(org, bank, audiences=[{"kind": kind, **values}])
    expected = audience_users(kind=kind, **values)
    if kind != "everyone":  # a group's quiz is for its students
        expected = expected.filter(affiliation__kind=Affiliation.Kind.STUDENT)
    expected = set(expected.values_list("username", flat=True))
    people = [*vars(roster.s).values(), roster.teacher, org.users.student]
    seeing = {u.username for u in people if selectors.my_quizzes(u).filter(pk=quiz.pk).exists()}
    assert seeing == expected & {u.username for u in people}
    assert "sm_gone" not in seeing


def test_a_group_quiz_is_for_its_students_and_everyone_means_staff_too(org, bank, roster,
                                                                       at_now):
    college = make_quiz(org, bank, audiences=[{"kind": "college", "unit_id": org.unit_a.pk}])
    campus = make_quiz(org, bank, audiences=[{"kind": "campus", "campus_id": org.campus1.pk}])
    everyone = make_quiz(org, bank, audiences=[{"kind": "everyone"}])
    teacher = roster.teacher  # staff affiliated with chem on campus1
    mine = set(selectors.my_quizzes(teacher).values_list("pk", flat=True))
    assert everyone.pk in mine and college.pk not in mine and campus.pk not in mine
    assert not selectors.quiz_people(college).filter(pk=teacher.pk).exists()
    assert selectors.quiz_people(everyone).filter(pk=teacher.pk).exists()
    assert selectors.quiz_results(college).total.assigned == 5  # a1 a2 a3 b1 b2
    with pytest.raises(NotAllowed):
        services.attempt_start(actor=teacher, quiz_id=college.pk)


# --- attempts --------------------------------------------------------------------------------
def test_start_refusals(org, bank, roster, at_now):
    quiz = make_quiz(org, bank, max_attempts=1)
    with pytest.raises(NotAllowed) as refused:
        services.attempt_start(actor=roster.s.b1, quiz_id=quiz.pk)  # 2025: not assigned
    assert refused.value.message == "This quiz is not assigned to you."
    later = make_quiz(org, bank, opens=NOW + dt.timedelta(days=1), title="later")
    with pytest.raises(DomainError) as refused:
        services.attempt_start(actor=roster.s.a1, quiz_id=later.pk)
    assert (refused.value.code, refused.value.message) == (
        "not_open", "This quiz opens at 2026-10-13 09:00.")
    first = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    assert services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk).pk == first.pk  # resumed
    services.attempt_submit(actor=roster.s.a1, attempt_id=first.pk, answers={})
    with pytest.raises(DomainError) as refused:
        services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    assert refused.value.message == "You have used all 1 attempts at this quiz."
    with clock.frozen(NOW + dt.timedelta(days=8)), pytest.raises(DomainError) as refused:
        services.attempt_start(actor=roster.s.a2, quiz_id=quiz.pk)
    assert refused.value.code == "closed"


def test_an_attempt_whose_time_ran_out_counts(org, bank, roster, at_now):
    quiz = make_quiz(org, bank, max_attempts=2, time_limit_minutes=10)
    first = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    with clock.frozen(NOW + 12 * MIN):
        second = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
        assert second.number == 2 and second.pk != first.pk
    with clock.frozen(NOW + 25 * MIN), pytest.raises(DomainError) as refused:
        services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    assert refused.value.code == "no_attempts_left"


def test_scoring_counts_a_multiple_choice_right_only_when_exact(org, bank, roster, at_now):
    quiz = make_quiz(org, bank, pass_mark=60)
    attempt = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    assert sorted(attempt.question_order) == sorted(quiz.questions.values_list("pk", flat=True))
    answers = right_answers(attempt)
    multiple = by_stem(bank, "哪些是诈骗信号？")
    answers[str(multiple.pk)] = [0, 1]  # two of the three right ones: wrong
    other = by_stem(bank, "逃生时应当？")
    answers[str(other.pk)] = [0, 1, 2]  # one too many: wrong
    with clock.frozen(NOW + 5 * MIN):
        scored = services.attempt_submit(actor=roster.s.a1, attempt_id=attempt.pk,
                                         answers=answers)
    assert (scored.correct_count, scored.score, scored.passed) == (4, Decimal("66.7"), True)
    # each question's correctness is stored as scored (the results count these flags)
    assert scored.answers[str(multiple.pk)] == {"chosen": [0, 1], "correct": False}
    assert sum(entry["correct"] for entry in scored.answers.values()) == 4
    assert len(scored.answers) == 6
    second = services.attempt_start(actor=roster.s.a2, quiz_id=quiz.pk)
    with clock.frozen(NOW + 6 * MIN):
        failed = services.attempt_submit(actor=roster.s.a2, attempt_id=second.pk, answers={
            str(by_stem(bank, "火警电话是？").pk): ["1"]})
    assert (failed.correct_count, failed.score, failed.passed) == (1, Decimal("16.7"), False)


def test_submit_twice_returns_the_first_result(org, bank, roster, at_now):
    quiz = make_quiz(org, bank)
    attempt = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    first = services.attempt_submit(actor=roster.s.a1, attempt_id=attempt.pk,
                                    answers=right_answers(attempt))
    again = services.attempt_submit(actor=roster.s.a1, attempt_id=attempt.pk, answers={})
    assert (again.score, again.submitted_at) == (first.score, first.submitted_at) == (
        Decimal("100.0"), NOW)
    assert QuizAttempt.objects.get(pk=attempt.pk).score == Decimal("100.0")
    with pytest.raises(NotAllowed):
        services.attempt_submit(actor=roster.s.a2, attempt_id=attempt.pk, answers={})


def test_answers_after_the_deadline_are_refused_without_grace(org, bank, roster, at_now):
    quiz = make_quiz(org, bank, closes=NOW + 30 * MIN)
    attempt = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    with clock.frozen(NOW + 30 * MIN + dt.timedelta(seconds=1)), \
            pytest.raises(DomainError) as refused:
        services.attempt_submit(actor=roster.s.a1, attempt_id=attempt.pk,
                                answers=right_answers(attempt))
    assert (refused.value.code, refused.value.message) == (
        "closed", "The deadline (2026-10-12 09:30) has passed: your answers were not accepted.")
    stored = QuizAttempt.objects.get(pk=attempt.pk)
    assert (stored.submitted_at, stored.score, stored.answers) == (None, None, {})


def test_a_submit_exactly_at_the_deadline_is_refused(org, bank, roster, at_now):
    quiz = make_quiz(org, bank, closes=NOW + 30 * MIN)
    attempt = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    with clock.frozen(NOW + 30 * MIN), pytest.raises(DomainError) as refused:
        services.attempt_submit(actor=roster.s.a1, attempt_id=attempt.pk,
                                answers=right_answers(attempt))
    assert refused.value.code == "closed"
    with clock.frozen(NOW + 30 * MIN - dt.timedelta(microseconds=1)):
        assert services.attempt_submit(actor=roster.s.a1, attempt_id=attempt.pk,
                                       answers={}).submitted_at is not None


def test_the_time_limit_has_a_minute_of_grace(org, bank, roster, at_now):
    quiz = make_quiz(org, bank, time_limit_minutes=10)
    attempt = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    late = services.attempt_start(actor=roster.s.a2, quiz_id=quiz.pk)
    with clock.frozen(NOW + 11 * MIN):  # within the 60 s grace
        assert services.attempt_submit(actor=roster.s.a1, attempt_id=attempt.pk,
                                       answers={}).submitted_at is not None
    with clock.frozen(NOW + 11 * MIN + dt.timedelta(seconds=1)), \
            pytest.raises(DomainError) as refused:
        services.attempt_submit(actor=roster.s.a2, attempt_id=late.pk, answers={})
    assert refused.value.message == ("The time limit of 10 minutes ran out at 2026-10-12 09:10: "
                                     "your answers were not accepted.")


@pytest.mark.parametrize(("answers", "message"), [
    ({"999999": [0]}, "Question “999999” is not in this quiz."),
    ({"abc": [0]}, "Question “abc” is not in this quiz."),
    ("x", "Answers must map question ids to lists of option numbers."),
])
def test_unknown_questions_are_refused(org, bank, roster, at_now, answers, message):
    quiz = make_quiz(org, bank)
    attempt = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    with pytest.raises(DomainError) as refused:
        services.attempt_submit(actor=roster.s.a1, attempt_id=attempt.pk, answers=answers)
    assert refused.value.field_errors == {"answers": [message]}
    assert QuizAttempt.objects.get(pk=attempt.pk).submitted_at is None


def test_options_out_of_range_and_two_answers_to_a_single_choice_are_refused(
        org, bank, roster, at_now):
    quiz = make_quiz(org, bank, shuffle=False)
    attempt = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    single = by_stem(bank, "96110 是什么电话？")  # position 1, 3 options
    for answer, message in [([3], "Question 1 has no option 4."),
                            ([-1], "Question 1 has no option 0."),
                            (["x"], "Question 1: “x” is not an option."),
                            ([0, 1], "Question 1 takes one answer only.")]:
        with pytest.raises(DomainError) as refused:
            services.attempt_submit(actor=roster.s.a1, attempt_id=attempt.pk,
                                    answers={str(single.pk): answer})
        assert refused.value.message == message
    assert QuizAttempt.objects.get(pk=attempt.pk).submitted_at is None


# --- results ------------------------------------------------------------------------------------
@pytest.fixture
def taken(org, bank, roster, at_now):
    """A quiz for chem (all years) and mech 2025: a1 100, a2 50 (fails at 60), b1 100; m1 33.3;
    a3, b2, m2 have not taken it."""
    quiz = make_quiz(org, bank, audiences=[{"kind": "college", "unit_id": org.unit_a.pk},
                                           {"kind": "college", "unit_id": org.unit_b.pk,
                                            "year": 2025}], pass_mark=60, max_attempts=2,
                     shuffle=False)
    order = list(quiz.questions.order_by("number"))

    def take(person, right: int):
        attempt = services.attempt_start(actor=person, quiz_id=quiz.pk)
        answers = {str(q.pk): list(q.answer) for q in order[:right]}
        return services.attempt_submit(actor=person, attempt_id=attempt.pk, answers=answers)

    take(roster.s.a1, 6)
    take(roster.s.a2, 2)  # 33.3
    take(roster.s.a2, 3)  # 50.0: the best of two, still failing
    take(roster.s.b1, 6)
    take(roster.s.m1, 2)
    return quiz


def test_results_per_college_and_per_class(org, roster, taken):
    results = selectors.quiz_results(taken)
    total = results.total
    # chem students: a1 a2 a3 b1 b2 = 5 (the teacher, staff of chem, is not); mech 2025: 2
    assert (total.assigned, total.attempted, total.passed) == (7, 4, 2)
    assert total.pass_rate == Decimal("28.6")
    assert total.average == Decimal("70.8")  # (100 + 50 + 100 + 33.3) / 4
    rows = {r.label: (r.assigned, r.attempted, r.passed, r.average) for r in results.groups}
    assert rows == {"化学学院": (5, 3, 2, Decimal("83.3")), "机械学院": (2, 1, 0, Decimal("33.3"))}
    per_class = selectors.quiz_results(taken, college_id=org.unit_a.pk)
    assert per_class.group_kind == "class"
    rows = {r.label: (r.assigned, r.attempted, r.passed) for r in per_class.groups}
    assert rows == {"化学2401": (2, 2, 1), "化学2402": (1, 0, 0), "化学2501": (2, 1, 1)}
    hardest = results.hardest
    # questions 3–6 were answered right only by a1 and b1 (and a2's 2nd for 3): 5 attempts
    assert hardest[0]["question"].number == 4 and hardest[0]["rate"] == Decimal("40.0")
    assert [h["answered"] for h in hardest] == [5] * 6
    # the flags stored when scoring are what counts, and attempts stored before them (the
    # chosen indexes only) are still counted against the answer key
    attempt = QuizAttempt.objects.get(user=roster.s.m1)
    attempt.answers = {key: entry["chosen"] for key, entry in attempt.answers.items()}
    attempt.save(update_fields=["answers"])
    assert selectors.hardest_questions(taken) == hardest
    fourth = taken.questions.get(number=4)
    attempt.answers[str(fourth.pk)] = {"chosen": [], "correct": True}
    attempt.save(update_fields=["answers"])
    assert {h["question"].number: h["correct"] for h in selectors.hardest_questions(taken)}[
        4] == 3


def test_counsellors_see_their_college_only(org, roster, taken, client):
    login(client, roster.mech_c)
    page = client.get(reverse("education:quiz_results", args=[taken.pk]))
    assert page.status_code == 200
    assert page.context["results"].total.assigned == 2
    assert "化学2401" not in text_of(page)
    login(client, roster.s.a1)
    assert client.get(reverse("education:quiz_results", args=[taken.pk])).status_code == 403


def test_the_results_export(org, roster, taken, client):
    login(client, org.users.leadership)
    response = client.get(reverse("education:quiz_results_export", args=[taken.pk]))
    assert response.status_code == 200
    sheet = load_workbook(filename=__import__("io").BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == ("College or unit", "Class", "Username", "Name", "Attempts",
                           "Best score (%)", "Passed")
    by_user = {r[2]: r for r in rows[1:]}
    assert len(by_user) == 7  # the students assigned; not the chem teacher
    assert by_user["sa2"][4:7] == (2, 50, "no")
    assert by_user["sa1"][4:7] == (1, 100, "yes")
    assert by_user["sm2"][4:7] == (0, None, "no")


# --- pages ----------------------------------------------------------------------------------------
def test_a_student_takes_a_quiz_on_the_pages(org, bank, roster, at_now, client):
    quiz = make_quiz(org, bank, title="新生反诈测试", shuffle=False)
    login(client, roster.s.a1)
    mine = client.get(reverse("education:quiz_mine"))
    assert f'data-quiz="{quiz.pk}" data-state="open"' in mine.content.decode()
    take = client.get(reverse("education:quiz_take", args=[quiz.pk]))
    assert "Start the quiz" in text_of(take)
    response = client.post(reverse("education:quiz_start", args=[quiz.pk]))
    attempt = QuizAttempt.objects.get()
    assert response.url == reverse("education:quiz_attempt", args=[attempt.pk])
    page = client.get(response.url)
    assert page.content.decode().count('class="card shadow-sm mb-3 quiz-question"') == 6
    data = {f"q{pk}": [str(i) for i in answer]
            for pk, answer in right_answers(attempt).items()}
    data[f"q{by_stem(bank, '火警电话是？').pk}"] = ["0"]  # wrong
    response = client.post(response.url, data)
    assert response.status_code == 302
    result = client.get(response.url)
    text = text_of(result)
    assert "83.3" in text and "5 of 6 right" in text and "Passed" in text
    # while the quiz is open: the score and the right count only, no answers or explanations
    assert "Explanation" not in text and "先返小利再骗大钱。" not in text
    assert 'class="card shadow-sm mb-3 quiz-review' not in result.content.decode()
    assert ("The right answers and explanations are shown here after the deadline "
            "(2026-10-19 09:00).") in text
    with clock.frozen(quiz.closes_at):  # closed: each question with its right answer
        after = client.get(response.url)
    assert "Explanation: 先返小利再骗大钱。" in text_of(after)
    assert after.content.decode().count('data-correct="0"') == 1
    # a second post of the same form shows the result, no rescore
    again = client.post(reverse("education:quiz_attempt", args=[attempt.pk]), {})
    assert again.status_code == 302
    assert QuizAttempt.objects.get().score == Decimal("83.3")


def test_true_or_false_answers_and_the_pass_mark_speak_the_page_language(org, bank, roster,
                                                                          at_now, client):
    quiz = make_quiz(org, bank, shuffle=False, pass_mark=60)
    attempt = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    url = reverse("education:quiz_attempt", args=[attempt.pk])
    tf = by_stem(bank, "离开宿舍要断电。")
    # Given an English page, the generated true/false options read True / False
    login(client, roster.s.a1)
    page = client.get(url)
    assert f'name="q{tf.pk}"' in page.content.decode()
    assert "正确" not in text_of(page) and "错误" not in text_of(page)
    assert text_of(page).count(" A. True B. False ") == 2
    # and the Chinese page keeps 正确 / 错误
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert text_of(client.get(url)).count(" A. 正确 B. 错误 ") == 2
    # When it is submitted with one answer (1 of 6: 16.7), Then both languages say percent
    client.post(url, {f"q{tf.pk}": "0", "confirm_unanswered": "1"})
    chinese = text_of(client.get(url))
    assert "16.7 %" in chinese and "未通过（及格线 60%）" in chinese
    login(client, roster.s.a1)
    english = text_of(client.get(url))
    assert "16.7 %" in english and "Not passed (pass mark 60%)" in english
    with clock.frozen(quiz.closes_at):  # the review after the deadline: True / False too
        review = text_of(client.get(url))
    assert "正确" not in review and " A. True " in review and " B. False " in review


def test_a_question_field_with_a_non_ascii_digit_is_ignored_not_a_500(org, bank, roster,
                                                                         at_now, client):
    quiz = make_quiz(org, bank)
    attempt = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    login(client, roster.s.a1)
    response = client.post(reverse("education:quiz_attempt", args=[attempt.pk]),
                           {"q²": "1", "q٣": "0", "confirm_unanswered": "1"})
    assert response.status_code == 302
    assert QuizAttempt.objects.get().score == Decimal("0.0")


def test_a_late_submit_on_the_page_says_why_and_keeps_the_ticks(org, bank, roster, at_now,
                                                               client):
    quiz = make_quiz(org, bank, closes=NOW + 10 * MIN)
    attempt = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    login(client, roster.s.a1)
    question = by_stem(bank, "火警电话是？")
    with clock.frozen(NOW + 11 * MIN):
        response = client.post(reverse("education:quiz_attempt", args=[attempt.pk]),
                               {f"q{question.pk}": "1"})
    assert response.status_code == 400
    assert ("The deadline (2026-10-12 09:10) has passed: your answers were not accepted."
            in text_of(response))
    assert f'name="q{question.pk}" value="1" checked' in response.content.decode()
    assert QuizAttempt.objects.get().submitted_at is None


def test_a_submit_with_unanswered_questions_asks_first_and_keeps_the_ticks(
        org, bank, roster, at_now, client, english):
    quiz = make_quiz(org, bank, max_attempts=1, time_limit_minutes=20)
    attempt = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    login(client, roster.s.a1)
    url = reverse("education:quiz_attempt", args=[attempt.pk])
    question = by_stem(bank, "火警电话是？")
    asked = client.post(url, {f"q{question.pk}": "1"})
    assert asked.status_code == 200
    assert "5 questions unanswered — submit anyway?" in text_of(asked)
    html = asked.content.decode()
    assert f'name="q{question.pk}" value="1" checked' in html
    assert 'name="confirm_unanswered" value="1"' in html
    assert QuizAttempt.objects.get().submitted_at is None  # the only attempt is not used
    with clock.frozen(NOW + 20 * MIN):  # time up: submitted within the grace, not asked
        late = client.post(url, {f"q{question.pk}": "1"})
    assert late.status_code == 302
    assert QuizAttempt.objects.get(user=roster.s.a1).score == Decimal("16.7")
    # every question answered: nothing asked
    other = services.attempt_start(actor=roster.s.a2, quiz_id=quiz.pk)
    login(client, roster.s.a2)
    everything = {f"q{pk}": [str(i) for i in answer]
                  for pk, answer in right_answers(other).items()}
    done = client.post(reverse("education:quiz_attempt", args=[other.pk]), everything)
    assert done.status_code == 302
    assert QuizAttempt.objects.get(user=roster.s.a2).score == Decimal("100.0")


def test_a_submit_confirmed_with_unanswered_questions_is_scored(org, bank, roster, at_now,
                                                                client):
    quiz = make_quiz(org, bank)
    attempt = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    login(client, roster.s.a1)
    question = by_stem(bank, "火警电话是？")
    response = client.post(reverse("education:quiz_attempt", args=[attempt.pk]),
                           {f"q{question.pk}": "1", "confirm_unanswered": "1"})
    assert response.status_code == 302
    assert QuizAttempt.objects.get().score == Decimal("16.7")


def test_someone_elses_attempt_is_not_found(org, bank, roster, at_now, client):
    quiz = make_quiz(org, bank)
    attempt = services.attempt_start(actor=roster.s.a1, quiz_id=quiz.pk)
    login(client, roster.s.a2)
    assert client.get(reverse("education:quiz_attempt", args=[attempt.pk])).status_code == 404


def test_office_sets_a_quiz_on_the_form(org, bank, roster, at_now, client):
    login(client, org.users.staff)
    form = client.get(reverse("education:quiz_new") + f"?bank={bank.pk}")
    assert form.context["form"].initial["bank"] == bank.pk
    data = {"bank": bank.pk, "title": "期中测验", "question_count": "4", "kinds": [],
            "opens_at": "2026-10-12T10:00", "closes_at": "2026-10-19T22:00",
            "pass_mark": "60", "max_attempts": "1", "shuffle": "on",
            "audience_kind": "class", "audience_class": [roster.c24a.pk, roster.m25.pk],
            "idempotency_key": "quiz-form-key-1"}
    response = client.post(reverse("education:quiz_new"), data)
    assert response.status_code == 302, text_of(response)
    again = client.post(reverse("education:quiz_new"), data)  # double tap
    assert again.url == response.url
    quiz = Quiz.objects.get()
    assert quiz.questions.count() == 4
    assert quiz.opens_at == dt.datetime(2026, 10, 12, 10, 0, tzinfo=clock.local_zone())
    assert sorted(quiz.assignments.values_list("audience_class_id", flat=True)) == sorted(
        [roster.c24a.pk, roster.m25.pk])
    bad = client.post(reverse("education:quiz_new"), {**data, "audience_class": [],
                                                      "idempotency_key": "quiz-form-key-2"})
    assert bad.status_code == 400
    assert bad.context["form"].errors["audience_class"] == ["Choose the class."]


def test_bank_pages(org, bank, client, django_assert_max_num_queries):
    login(client, org.users.staff)
    banks = client.get(reverse("education:quiz_banks"))
    assert "6 active questions: 2 single, 2 multiple, 2 true/false" in text_of(banks)
    for n in range(30):
        services.question_add(actor=org.users.staff, bank_id=bank.pk, kind="single",
                              stem=f"题{n}", options=["甲", "乙"], answer=[0])
    url = reverse("education:quiz_bank", args=[bank.pk])
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200 and len(page.context["page"]) == 25
    with CaptureQueriesContext(connection) as more:
        client.get(url + "?page=2")
    assert len(more) == len(queries)  # the page's queries do not grow with its rows
    page = client.get(url + "?kind=true_false")
    assert len(page.context["page"]) == 2
    question = bank.questions.get(number=3)
    response = client.post(reverse("education:quiz_question_active", args=[question.pk]),
                           {"active": "0"})
    assert messages_of(response) == ["Question 3 deactivated: new quizzes leave it out."]
    assert len(client.get(url + "?kind=true_false").context["page"]) == 1
    edit = client.post(reverse("education:quiz_question_edit", args=[question.pk]), {
        "kind": "single", "stem": "改过", "options": "甲\n乙", "answer": "C"})
    assert edit.status_code == 400
    assert edit.context["form"].errors["answer"] == ["Answer “C” but only 2 options."]
    login(client, org.users.student)
    assert client.get(url).status_code == 403


def test_the_hub_card_counts_my_open_quizzes(org, bank, roster, at_now, client):
    make_quiz(org, bank)
    login(client, roster.s.a1)
    page = client.get(reverse("education:home"))
    assert 'id="home-quizzes-open"' in page.content.decode()
    assert "1 to take" in text_of(page)
