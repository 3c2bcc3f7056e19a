"""Results of a survey: the figures on a known set of answers, counted in a fixed number of
queries, the text answers (anonymous: no names, random-id order), the Excel file, and who
may see them."""
# ruff: noqa: F811  (fixtures imported from surveys_helpers)

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from safecampus.community.models import SurveyAnswer
from safecampus.community.selectors import surveys as selectors
from safecampus.community.services import surveys as services
from safecampus.core import clock
from safecampus.tests.factories import UserFactory

from .surveys_helpers import (  # noqa: F401
    NOW,
    answers_for,
    draft,
    english_pages,
    local,
    roster,
    sent,
)

pytestmark = pytest.mark.django_db

#: Four answers: (single, multiple, scale, text) by a1, a2, b1, m1.
KNOWN = [
    ("0", ["0", "2"], "5", "东门外路灯太暗"),
    ("1", ["2"], "4", ""),
    ("1", [], "4", "=HYPERLINK(\"http://x\")"),
    ("3", ["0", "1", "2"], "2", "希望增加夜间巡逻"),
]


def _known(roster, *, anonymous=True):
    survey = sent(roster, anonymous=anonymous)
    s = roster.students
    for n, (user, values) in enumerate(zip((s.a1, s.a2, s.b1, s.m1), KNOWN, strict=True)):
        with clock.frozen(NOW + dt.timedelta(minutes=n)):
            services.survey_answer(actor=user, survey_id=survey.pk,
                                   answers=answers_for(survey, *values))
    survey.refresh_from_db()
    return survey


def test_figures_of_a_known_set(roster, django_assert_num_queries):
    survey = _known(roster)
    with django_assert_num_queries(4):
        results = selectors.survey_results(survey)
    single, multiple, scale, text = results
    assert single.answered == 4
    assert [(o.label, o.count, o.share) for o in single.options] == [
        ("很安全", 1, 25.0), ("比较安全", 2, 50.0), ("不太安全", 0, 0.0), ("很不安全", 1, 25.0)]
    assert single.chart["baseOption"]["series"][0]["data"] == [1, 2, 0, 1]
    # multiple choice: the share of the people who answered the question (3 of 4 did)
    assert multiple.answered == 3
    assert [(o.count, o.share) for o in multiple.options] == [
        (2, 66.7), (1, 33.3), (3, 100.0), (0, 0.0)]
    assert multiple.chart["baseOption"]["series"][0]["data"] == [66.7, 33.3, 100.0, 0.0]
    assert scale.answered == 4 and scale.mean == 3.75
    assert [(o.label, o.count) for o in scale.options] == [
        ("1 很不满意", 0), ("2", 1), ("3", 0), ("4", 2), ("5 很满意", 1)]
    assert scale.chart["series"][0]["data"] == [0, 1, 0, 2, 1]
    assert text.answered == 3 and text.chart is None
    ordered = sorted(SurveyAnswer.objects.filter(question=text.question), key=lambda a: a.pk)
    assert [a.text for a in text.texts] == [a.text for a in ordered]


def test_the_query_count_does_not_grow_with_the_answers(roster, django_assert_num_queries):
    survey = _known(roster)
    for n in range(30):
        user = UserFactory(username=f"extra{n}")
        services.survey_answer(actor=user, survey_id=survey.pk,
                               answers=answers_for(survey, "2", ["3"], "3", f"第{n}条"))
    with django_assert_num_queries(4):
        results = selectors.survey_results(survey)
    assert results[3].answered == 33 and len(results[3].texts) == selectors.TEXT_PREVIEW


def test_the_results_page(client, roster, english_pages, django_assert_num_queries):
    survey = _known(roster)
    client.force_login(roster.users.leadership)
    url = reverse("community:survey_results", args=[survey.pk])
    # session, user, roles, the menu's notifications and permissions (5); the survey, its
    # questions and 3 counting queries
    with django_assert_num_queries(11):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="survey-rate">22%' in html  # 4 of 18 active people
    assert f'data-chart="survey-chart-{survey.questions.get(kind="single").pk}"' in html
    assert f'id="survey-chart-{survey.questions.get(kind="scale").pk}"' in html  # the JSON
    assert 'data-mean="' in html and "mean 3.75" in html
    assert "希望增加夜间巡逻" in html
    assert "<script>" not in html and "style=" not in html


def test_anonymous_text_answers_show_no_names(client, roster, english_pages):
    survey = _known(roster)
    question = survey.questions.get(kind="text")
    client.force_login(roster.users.staff)
    for url in (reverse("community:survey_results", args=[survey.pk]),
                reverse("community:survey_text_answers", args=[survey.pk, question.pk])):
        html = client.get(url).content.decode()
        for user in (roster.students.a1, roster.students.m1):
            assert user.full_name not in html and user.username not in html


def test_named_text_answers_show_who_and_when(client, roster, english_pages):
    survey = _known(roster, anonymous=False)
    question = survey.questions.get(kind="text")
    client.force_login(roster.users.staff)
    html = client.get(reverse("community:survey_text_answers",
                              args=[survey.pk, question.pk])).content.decode()
    assert roster.students.m1.full_name in html and "2026-06-16 10:03" in html


def test_text_answers_page_through(client, roster, english_pages, django_assert_num_queries):
    survey = sent(roster)
    for n in range(55):
        services.survey_answer(actor=UserFactory(username=f"p{n}"), survey_id=survey.pk,
                               answers=answers_for(survey, "0", [], "3", f"建议{n:02d}"))
    question = survey.questions.get(kind="text")
    client.force_login(roster.users.staff)
    url = reverse("community:survey_text_answers", args=[survey.pk, question.pk])
    with django_assert_num_queries(9):
        first = client.get(url)
    with django_assert_num_queries(9):
        second = client.get(url + "?page=2")
    texts = {f"建议{n:02d}" for n in range(55)}
    shown = {t for t in texts if t in first.content.decode()}
    rest = {t for t in texts if t in second.content.decode()}
    assert len(shown) == 50 and len(rest) == 5 and not shown & rest
    ordered = [a.text for a in SurveyAnswer.objects.filter(question=question).order_by("id")]
    assert ordered[:50] == sorted(shown, key=ordered.index)


def test_excel_of_an_anonymous_survey(client, roster, english_pages):
    survey = _known(roster)
    client.force_login(roster.users.staff)
    response = client.get(reverse("community:survey_export", args=[survey.pk]))
    assert response.status_code == 200
    assert f"survey-{survey.pk}.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Summary", "Responses"]
    summary = [list(r) for r in book["Summary"].iter_rows(values_only=True)]
    # the survey's figures, a blank row, then the table under its own header row
    assert summary[0] == ["Survey", "校园安全感调查", None, None]
    assert summary[1] == ["Anonymous", "Yes", None, None]
    assert summary[3][:2] == ["Recipients", 18] and summary[4][:2] == ["Responses", 4]
    assert summary[5][:2] == ["Response rate (%)", 22]
    assert summary[6][0] == "Sent at" and book["Summary"]["B7"].number_format == "yyyy-mm-dd hh:mm"
    assert summary[8] == [None, None, None, None]
    assert summary[9] == ["Item", "Value", "Count", "Share (%)"]
    assert summary[10] == ["Q1. 晚上走在校园里你感到安全吗？", "Single choice", "Answered", 4]
    assert ["Q1. 晚上走在校园里你感到安全吗？", "Single choice", "Answered", 4] in summary
    assert [None, "比较安全", 2, 50] in summary
    assert [None, "Mean", 3.75, None] in summary
    rows = [list(r) for r in book["Responses"].iter_rows(values_only=True)]
    assert rows[0] == ["No.", "Q1. 晚上走在校园里你感到安全吗？",
                       "Q2. 哪些地方让你感到不安全？", "Q3. 对校园安保工作总体满意度",
                       "Q4. 还有什么建议？"]
    assert len(rows) == 5 and [r[0] for r in rows[1:]] == [1, 2, 3, 4]
    cells = {tuple(r[1:]) for r in rows[1:]}
    assert ("很安全", "东门外；地下车库", 5, "东门外路灯太暗") in cells
    # a formula typed as an answer stays text
    assert ("比较安全", None, 4, "'=HYPERLINK(\"http://x\")") in cells
    flat = " ".join(str(c) for r in rows for c in r)
    for user in (roster.students.a1, roster.students.b1):
        assert user.full_name not in flat and user.employee_number not in flat


def test_excel_of_a_named_survey_has_names_and_numbers(client, roster, english_pages):
    survey = _known(roster, anonymous=False)
    client.force_login(roster.users.leadership)
    book = load_workbook(io.BytesIO(client.get(
        reverse("community:survey_export", args=[survey.pk])).content))
    rows = [list(r) for r in book["Responses"].iter_rows(values_only=True)]
    assert rows[0][:4] == ["No.", "Name", "Staff or student number", "Answered on"]
    assert rows[1][1:3] == [roster.students.a1.full_name, "2024001"]
    assert rows[1][3].date() == dt.date(2026, 6, 16)
    assert book["Responses"]["D2"].number_format == "yyyy-mm-dd"
    assert book["Responses"]["C2"].data_type == "s"


def test_who_may_see_results(client, roster):
    survey = _known(roster)
    urls = [reverse("community:survey_results", args=[survey.pk]),
            reverse("community:survey_export", args=[survey.pk]),
            reverse("community:survey_text_answers",
                    args=[survey.pk, survey.questions.get(kind="text").pk])]
    for user, status in ((roster.students.a1, 403), (roster.users.contact_a, 403),
                         (roster.users.leadership, 200), (roster.users.staff, 200)):
        client.force_login(user)
        assert [client.get(url).status_code for url in urls] == [status] * 3, user
    a_draft = draft(roster, title="草稿")
    client.force_login(roster.users.staff)
    assert client.get(reverse("community:survey_results", args=[a_draft.pk])).status_code == 404
