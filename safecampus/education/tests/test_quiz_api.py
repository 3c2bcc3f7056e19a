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
    assert len(detail["questions"]) == 6
    assert all(set(q) == {"id", "number", "kind", "kind_display", "stem", "options"}
               for q in detail["questions"])  # no answers, no explanations
    assert api.get(f"{BASE}{other.pk}/").status_code == 404

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
    assert "answer" in body["questions"][0] and "explanation" in body["questions"][0]
    again = api.post(url, {"answers": {}}, format="json")
    assert again.json()["score"] == "100.0"
    assert client_for(roster.s.a2).post(url, {"answers": {}}, format="json").status_code == 404
    assert api.get(f"{BASE}attempts/{row.pk}/").json()["passed"] is True


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
