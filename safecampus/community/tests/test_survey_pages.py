"""The survey pages as the office and respondents use them: drafting and the question editor,
sending, "我的问卷", the answer page (errors at their question, a second submit refused),
the hub card, permissions and the query counts of the lists."""
# ruff: noqa: F811  (fixtures imported from surveys_helpers)

import re

import pytest
from django.urls import reverse

from safecampus.community.models import Survey, SurveyParticipation, SurveyResponse
from safecampus.community.services import surveys as services

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


def test_the_office_drafts_a_survey_and_writes_its_questions(client, roster, english_pages):
    client.force_login(roster.users.staff)
    page = client.get(reverse("community:survey_create"))
    html = page.content.decode()
    anonymous = re.search(r'<input[^>]*name="is_anonymous"[^>]*>', html).group(0)
    assert "checked" in anonymous
    assert "Nobody, the security office included, can see who gave which answers" in html
    response = client.post(reverse("community:survey_create"), {
        "title": "电动车充电需求调查", "description": "", "is_anonymous": "on",
        "audience_kind": "college", "audience_unit": roster.org.unit_a.pk,
        "closes_at": "2026-06-30T18:00", "idempotency_key": "a" * 32})
    survey = Survey.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/community/surveys/{survey.pk}/"
    assert survey.closes_at == local(2026, 6, 30, 18) and survey.audience_unit == roster.org.unit_a
    client.post(reverse("community:survey_create"), {  # the double tap
        "title": "电动车充电需求调查", "audience_kind": "everyone", "idempotency_key": "a" * 32})
    assert Survey.objects.count() == 1
    add = reverse("community:survey_question_add", args=[survey.pk])
    bad = client.post(add, {"kind": "single", "text": "你在哪里充电？", "options": "宿舍楼下\n\n宿舍楼下",
                            "required": "on"})
    assert bad.status_code == 200
    assert "Option 2 is empty; remove the blank line." in bad.content.decode()
    assert not survey.questions.exists()
    ok = client.post(add, {"kind": "single", "text": "你在哪里充电？",
                           "options": "\n宿舍楼下\n充电站\n", "required": "on"})
    assert ok.status_code == 302
    assert survey.questions.get().options == ["宿舍楼下", "充电站"]
    detail = client.get(survey.get_absolute_url()).content.decode()
    assert "Reaches 3 people now." in detail and 'id="survey-send"' in detail


def test_sending_from_the_page_shows_refusals_there(client, roster, english_pages):
    survey = draft(roster, questions=[])
    client.force_login(roster.users.staff)
    page = client.post(reverse("community:survey_send", args=[survey.pk]))
    assert page.status_code == 200
    assert "Add at least one question before sending." in page.content.decode()
    services.question_add(actor=roster.users.staff, survey_id=survey.pk, kind="text",
                          text="建议？")
    done = client.post(reverse("community:survey_send", args=[survey.pk]), follow=True)
    assert "Survey sent to 18 people." in done.content.decode()
    assert Survey.objects.get(pk=survey.pk).state == Survey.State.OPEN


def test_a_student_answers_on_the_answer_page(client, roster, english_pages):
    survey = sent(roster)
    single, multiple, scale, text = survey.questions.order_by("position")
    client.force_login(roster.students.a1)
    url = reverse("community:survey_answer", args=[survey.pk])
    html = client.get(url).content.decode()
    assert "This survey is anonymous" in html
    assert f'name="q{scale.pk}" id="q{scale.pk}-5"' in html
    missing = client.post(url, {f"q{multiple.pk}": ["1"], f"q{text.pk}": "路灯"})
    html = missing.content.decode()
    assert missing.status_code == 200 and "2 questions need your attention." in html
    assert f'id="q{single.pk}-error">Answer this question.' in html
    assert f'id="q{scale.pk}-error">Answer this question.' in html
    assert 'value="1" checked' in html and "路灯</textarea>" in html  # what was given stays
    assert not SurveyResponse.objects.exists()
    done = client.post(url, {f"q{single.pk}": "0", f"q{scale.pk}": "5"}, follow=True)
    assert "Thank you: your answers have been recorded." in done.content.decode()
    again = client.post(url, {f"q{single.pk}": "1", f"q{scale.pk}": "1"}, follow=True)
    assert "You have already answered this survey." in again.content.decode()
    assert SurveyParticipation.objects.count() == 1 and SurveyResponse.objects.count() == 1


def test_the_answer_page_refuses_people_outside_the_audience(client, roster, english_pages):
    survey = sent(roster, audience={"audience_kind": "class", "class_id": roster.m25.pk})
    client.force_login(roster.students.a1)
    html = client.get(reverse("community:survey_answer", args=[survey.pk])).content.decode()
    assert 'id="survey-refusal">This survey was not sent to you.' in html
    assert 'id="survey-answer-form"' not in html
    a_draft = draft(roster)
    assert client.get(reverse("community:survey_answer", args=[a_draft.pk])).status_code == 404


def test_a_survey_whose_class_was_closed_after_sending_is_not_offered(client, roster,
                                                                     english_pages):
    """The class the survey went to was closed since: the answer page says it was not sent to
    me (a 500 before) and neither "my surveys" nor the hub card lists it."""
    survey = sent(roster, title="班级问卷", audience={"audience_kind": "class",
                                                     "class_id": roster.c24.pk})
    type(roster.c24).objects.filter(pk=roster.c24.pk).update(is_active=False)
    client.force_login(roster.students.a1)
    page = client.get(reverse("community:survey_answer", args=[survey.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="survey-refusal">This survey was not sent to you.' in html
    assert 'id="survey-answer-form"' not in html
    assert "班级问卷" not in client.get(reverse("community:survey_mine")).content.decode()
    assert "班级问卷" not in client.get(reverse("community:home")).content.decode()
    posted = client.post(reverse("community:survey_answer", args=[survey.pk]), follow=True)
    assert "This survey was not sent to you." in posted.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_nul_in_an_answer_is_dropped_not_a_server_error(client, roster, english_pages):
    """PostgreSQL refuses NUL in text (a 500 before); the page drops control characters from
    every answer (run on both databases)."""
    survey = sent(roster)
    single, multiple, scale, text = survey.questions.order_by("position")
    client.force_login(roster.students.a1)
    done = client.post(reverse("community:survey_answer", args=[survey.pk]),
                       {f"q{single.pk}": "0", f"q{multiple.pk}": ["1\x00"],
                        f"q{scale.pk}": "3", f"q{text.pk}": "a\x00b"})
    assert done.status_code == 302 and done["Location"] == reverse("community:survey_mine")
    response = SurveyResponse.objects.get()
    assert response.answers.get(question=text).text == "ab"
    assert response.answers.get(question=multiple).choices == [1]


def test_my_surveys(client, roster, english_pages, django_assert_num_queries):
    waiting = sent(roster, title="等我回答")
    answered = sent(roster, title="已经答过")
    services.survey_answer(actor=roster.students.a1, survey_id=answered.pk,
                           answers=answers_for(answered, "0", [], "3"))
    services.survey_close(actor=roster.users.staff, survey_id=answered.pk)
    sent(roster, title="不是发给我的", audience={"audience_kind": "class",
                                                "class_id": roster.m25.pk})
    closed_unanswered = sent(roster, title="没答就结束了")
    services.survey_close(actor=roster.users.staff, survey_id=closed_unanswered.pk)
    draft(roster, title="还是草稿")
    client.force_login(roster.students.a1)
    with django_assert_num_queries(8):
        page = client.get(reverse("community:survey_mine"))
    html = page.content.decode()
    assert html.index("等我回答") < html.index("已经答过")
    for hidden in ("不是发给我的", "没答就结束了", "还是草稿"):
        assert hidden not in html
    assert f'href="/community/surveys/{waiting.pk}/answer/"' in html
    assert f'href="/community/surveys/{answered.pk}/answer/"' not in html


def test_the_managed_list_costs_the_same_whatever_its_length(client, roster, english_pages,
                                                            django_assert_num_queries):
    client.force_login(roster.users.staff)
    sent(roster, audience={"audience_kind": "class", "class_id": roster.c24.pk})
    with django_assert_num_queries(7):
        client.get(reverse("community:survey_manage"))
    for n in range(6):
        draft(roster, title=f"问卷{n}", audience={"audience_kind": "college",
                                                "unit_id": roster.org.unit_b.pk})
    with django_assert_num_queries(7):
        html = client.get(reverse("community:survey_manage")).content.decode()
    assert "化学2401" in html and "机械学院" in html and "0 of 2 answered (0%)" in html


def test_the_hub_card(client, roster, english_pages):
    survey = sent(roster, title="等我回答")
    client.force_login(roster.students.a1)
    html = client.get(reverse("community:home")).content.decode()
    card = html.split('id="home-surveys"')[1].split("</section>")[0]
    assert "1 waiting for your answer" in card and "等我回答" in card
    assert "Manage surveys" not in card
    client.force_login(roster.users.staff)
    card = client.get(reverse("community:home")).content.decode().split(
        'id="home-surveys"')[1].split("</section>")[0]
    assert f'data-survey-rate="{survey.pk}">0% (0/18)' in card and "Manage surveys" in card


def test_the_office_pages_are_the_office_s(client, roster):
    survey = draft(roster)
    question = survey.questions.first()
    client.force_login(roster.students.a1)
    for name, args in (("survey_manage", []), ("survey_create", []),
                       ("survey_edit", [survey.pk]), ("survey_preview", [survey.pk]),
                       ("survey_question_edit", [survey.pk, question.pk])):
        assert client.get(reverse(f"community:{name}", args=args)).status_code == 403, name
    for name, args in (("survey_send", [survey.pk]), ("survey_close", [survey.pk]),
                       ("survey_question_add", [survey.pk]),
                       ("survey_question_delete", [survey.pk, question.pk]),
                       ("survey_question_move", [survey.pk, question.pk])):
        assert client.post(reverse(f"community:{name}", args=args)).status_code == 403, name
    # a respondent following a survey's own link lands on its answer page
    assert client.get(survey.get_absolute_url())["Location"] == reverse(
        "community:survey_answer", args=[survey.pk])
    assert Survey.objects.get(pk=survey.pk).state == Survey.State.DRAFT


def test_the_preview_cannot_be_submitted(client, roster, english_pages):
    survey = draft(roster)
    client.force_login(roster.users.staff)
    html = client.get(reverse("community:survey_preview", args=[survey.pk])).content.decode()
    assert 'id="survey-preview-note"' in html and 'id="survey-submit" disabled' in html
    assert "晚上走在校园里你感到安全吗？" in html


def test_the_editor_moves_and_deletes_from_the_page(client, roster, english_pages):
    survey = draft(roster)
    first, second = survey.questions.order_by("position")[:2]
    client.force_login(roster.users.staff)
    client.post(reverse("community:survey_question_move", args=[survey.pk, second.pk]),
                {"direction": "up"})
    assert list(survey.questions.order_by("position").values_list("pk", flat=True))[:2] == [
        second.pk, first.pk]
    client.post(reverse("community:survey_question_delete", args=[survey.pk, first.pk]))
    assert survey.questions.count() == 3
    edit = reverse("community:survey_question_edit", args=[survey.pk, second.pk])
    page = client.post(edit, {"kind": "scale", "text": "打分", "scale_min": "1",
                              "scale_max": "20"})
    assert "A scale has 2 to 10 points: end it between 2 and 10." in page.content.decode()
    services.survey_send(actor=roster.users.staff, survey_id=survey.pk)
    refused = client.post(reverse("community:survey_question_delete",
                                  args=[survey.pk, second.pk]), follow=True)
    assert "The survey has been sent; its questions can no longer change." in (
        refused.content.decode())
    assert survey.questions.count() == 3


def test_the_editor_names_kinds_consistently_and_asks_before_irreversible_steps(client, roster):
    survey = draft(roster, questions=[])
    client.force_login(roster.users.staff)
    html = client.get(survey.get_absolute_url()).content.decode()
    assert 'id="question-list"' not in html and 'id="question-list-empty">还没有题目。' in html
    kinds = re.search(r'<select[^>]*name="kind".*?</select>', html, re.S).group(0)
    assert re.findall(r">([^<]+)</option>", kinds) == ["单选题", "多选题", "量表题", "填空题"]
    assert 'data-confirm="发送给18人后题目不能再修改，确定发送？"' in html
    question = services.question_add(actor=roster.users.staff, survey_id=survey.pk,
                                     kind="text", text="建议？")
    html = client.get(survey.get_absolute_url()).content.decode()
    assert 'id="question-list"' in html and 'id="question-list-empty"' not in html
    delete = reverse("community:survey_question_delete", args=[survey.pk, question.pk])
    assert f'action="{delete}" data-confirm="确定删除这道题目？"' in html
    too_long = client.post(reverse("community:survey_question_add", args=[survey.pk]),
                           {"kind": "text", "text": "问" * 201, "required": "on"})
    assert too_long.status_code == 200 and survey.questions.count() == 1
    services.survey_send(actor=roster.users.staff, survey_id=survey.pk)
    html = client.get(survey.get_absolute_url()).content.decode()
    assert 'data-confirm="确定现在结束问卷？' in html


def test_a_scale_without_end_labels_says_which_end_is_which(client, roster):
    survey = draft(roster, questions=[])
    services.question_add(actor=roster.users.staff, survey_id=survey.pk, kind="scale",
                          text="总体满意度", scale_min=1, scale_max=5)
    services.survey_send(actor=roster.users.staff, survey_id=survey.pk)
    client.force_login(roster.students.a1)
    html = client.get(reverse("community:survey_answer", args=[survey.pk])).content.decode()
    assert "<span>1 = 最低</span>" in html and '<span class="text-end">5 = 最高</span>' in html
