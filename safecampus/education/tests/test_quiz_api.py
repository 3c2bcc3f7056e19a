"""Quizzes API: my quizzes (office: all), a quiz's questions without answers, starting an
attempt, submitting (scored; a repeat returns the same; late and bad answers refused)."""
# ruff: noqa: F811

import datetime as dt

import pytest

from safecampus.api.tests.helpers import client_for
from safecampus.core import clock

from .quiz_helpers import NOW, at_now, bank, english, make_quiz, right_answers, roster  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")
BASE = "/api/v1/education/quizzes/"


def test_list_retrieve_start_and_submit(org, bank, roster, at_now):
    quiz = make_quiz(org, bank, title="API测验")
    other = make_quiz(org, bank, title="别人的", audiences=[{"kind": "year", "year": 2025}])
    api = client_for(roster.s.a1)
    listed = api.get(BASE).json()["results"]
    assert [q["title"] for q in listed] == ["API测验"]
    assert listed[0]["state"] == "open" and listed[0]["my_attempts"] == 0
    office = client_for(org.users.staff).get(BASE).json()["results"]
    assert {q["id"] for q in office} == {quiz.pk, other.pk}

    detail = api.get(f"{BASE}{quiz.pk}/").json()
    assert detail["title"] == "API测验" and detail["question_count"] == 6
    assert "questions" not in detail  # takers get them only with a started attempt
    assert api.get(f"{BASE}{other.pk}/").status_code == 404
    office_detail = client_for(org.users.staff).get(f"{BASE}{quiz.pk}/").json()
    assert len(office_detail["questions"]) == 6
    assert all(set(q) == {"id", "number", "kind", "kind_display", "stem", "options"}
               for q in office_detail["questions"])  # no answers, no explanations

    started = api.post(f"{BASE}{quiz.pk}/attempts/")
    assert started.status_code == 201
    attempt = started.json()
    assert [q["id"] for q in attempt["questions"]] and "answer" not in attempt["questions"][0]
    from safecampus.education.models import QuizAttempt

    row = QuizAttempt.objects.get(pk=attempt["id"])
    url = f"{BASE}attempts/{row.pk}/submit/"
    answers = {k: v for k, v in right_answers(row).items()}
    first_key = next(iter(answers))
    answers[first_key] = [9]
    bad = api.post(url, {"answers": answers}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "bad_answers"
    answers = right_answers(row)
    scored = api.post(url, {"answers": answers}, format="json")
    assert scored.status_code == 200
    body = scored.json()
    assert (body["score"], body["passed"], body["correct_count"]) == ("100.0", True, 6)
    # open still: no right answers or explanations (others are taking it)
    assert all("answer" not in q and "explanation" not in q for q in body["questions"])
    assert body["answers"] == {k: sorted(v) for k, v in answers.items()}  # my choices only
    again = api.post(url, {"answers": {}}, format="json")
    assert again.json()["score"] == "100.0"
    assert client_for(roster.s.a2).post(url, {"answers": {}}, format="json").status_code == 404
    assert api.get(f"{BASE}attempts/{row.pk}/").json()["passed"] is True
    with clock.frozen(quiz.closes_at):
        closed = api.get(f"{BASE}attempts/{row.pk}/").json()
    assert "answer" in closed["questions"][0] and "explanation" in closed["questions"][0]
    assert api.get(f"{BASE}{quiz.pk}/").json().get("questions") is None


def test_an_upcoming_quiz_shows_no_questions_and_cannot_be_started(org, bank, roster, at_now):
    quiz = make_quiz(org, bank, opens=NOW + dt.timedelta(days=1),
                     closes=NOW + dt.timedelta(days=2))
    api = client_for(roster.s.a1)
    detail = api.get(f"{BASE}{quiz.pk}/").json()
    assert detail["state"] == "upcoming" and "questions" not in detail
    started = api.post(f"{BASE}{quiz.pk}/attempts/")
    assert started.status_code == 400 and started.json()["code"] == "not_open"
    # the office, who set it, sees its questions (without the answers)
    office = client_for(org.users.staff).get(f"{BASE}{quiz.pk}/").json()
    assert len(office["questions"]) == 6 and "answer" not in office["questions"][0]


def test_refusals_over_the_api(org, bank, roster, at_now):
    quiz = make_quiz(org, bank, closes=NOW + dt.timedelta(minutes=10))
    outsider = client_for(roster.s.b1).post(f"{BASE}{quiz.pk}/attempts/")
    assert outsider.status_code == 403
    assert outsider.json()["detail"] == "This quiz is not assigned to you."
    api = client_for(roster.s.a1)
    attempt = api.post(f"{BASE}{quiz.pk}/attempts/").json()
    with clock.frozen(NOW + dt.timedelta(minutes=11)):
        late = api.post(f"{BASE}attempts/{attempt['id']}/submit/", {"answers": {}},
                        format="json")
    assert late.status_code == 400 and late.json()["code"] == "closed"
    assert api.post(f"{BASE}999999/attempts/").status_code == 404
    assert client_for(None).get(BASE).status_code in (401, 403)
