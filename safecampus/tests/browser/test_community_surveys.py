"""Surveys as people click them on a phone (390×844): a student finds an anonymous survey on
the community hub, leaves a required question blank and is told at the question, answers
(an option, several options, a point of the scale, a text) and submits; a second submit from
the same page is refused. The office then reads the results: response rate, counts and
charts drawn. Screenshots go to /tmp/shots (SAFECAMPUS_SHOTS)."""
# ruff: noqa: F811  (fixtures imported from surveys_helpers)

import pytest

from safecampus.community.models import SurveyParticipation, SurveyResponse
from safecampus.community.tests.surveys_helpers import roster, sent  # noqa: F401

pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def test_a_student_answers_an_anonymous_survey_and_the_office_sees_the_result(browsing,
                                                                              roster):
    survey = sent(roster)
    single, multiple, scale, text = survey.questions.order_by("position")

    # -- the student, on the phone -------------------------------------------------------------
    student = browsing.login("sa1", "phone", next_url="/community/")
    card = student.locator("#home-surveys")
    assert "校园安全感调查" in card.inner_text()
    assert student.locator("#home-surveys-waiting").inner_text() == "1 份待填写"
    assert browsing.overflow(student) == 0
    browsing.shot(student, "hub")
    with student.expect_navigation():
        card.locator("a", has_text="校园安全感调查").click()
    assert student.url.endswith(f"/community/surveys/{survey.pk}/answer/")
    assert "匿名问卷" in student.locator("#survey-anonymous-note").inner_text()
    assert browsing.overflow(student) == 0
    browsing.shot(student, "answer")
    second_tab = student.context.new_page()  # the same form, open in a second tab
    second_tab.goto(student.url)
    # a required question left blank is asked for at the question
    student.locator(f"#question-{multiple.pk} label", has_text="地下车库").click()
    student.locator(f"label[for=q{scale.pk}-4]").click()
    with student.expect_navigation():
        student.locator("#survey-submit").click()
    assert student.locator(f"#q{single.pk}-error").inner_text() == "请回答此题。"
    assert student.locator(f"input[name=q{multiple.pk}][value='2']").is_checked()
    assert not SurveyResponse.objects.exists()
    browsing.shot(student, "answer-error")
    student.locator(f"#question-{single.pk} label", has_text="比较安全").click()
    student.locator(f"#question-{multiple.pk} label", has_text="东门外").click()
    student.fill(f"#q{text.pk}-text", "东门外路灯太暗")
    box = student.locator(f"label[for=q{scale.pk}-4]").bounding_box()
    assert box["width"] >= 40 and box["height"] >= 40  # a tap target
    with student.expect_navigation():
        student.locator("#survey-submit").click()
    assert student.url.endswith("/community/surveys/")
    assert "感谢参与" in student.locator("body").inner_text()
    assert "已答" in student.locator("#my-surveys").inner_text()
    browsing.shot(student, "mine")
    # the form in the second tab, submitted after the first, is refused
    second_tab.locator(f"#question-{single.pk} label", has_text="很安全").click()
    second_tab.locator(f"label[for=q{scale.pk}-2]").click()
    with second_tab.expect_navigation():
        second_tab.locator("#survey-submit").click()
    assert "您已提交过此问卷" in second_tab.locator("#survey-refusal").inner_text()
    assert SurveyParticipation.objects.count() == 1 and SurveyResponse.objects.count() == 1
    answer = SurveyResponse.objects.get()
    assert answer.respondent is None and answer.submitted_at is None

    # -- the office reads the results ----------------------------------------------------------
    office = browsing.login("staff1", "phone", next_url=f"/community/surveys/{survey.pk}/")
    with office.expect_navigation():
        office.locator("#survey-results-link").click()
    assert office.locator("#survey-rate").inner_text() == "6%"  # 1 of 18
    assert office.locator(f"[data-count='{single.pk}-1']").inner_text() == "1"
    browsing.wait_until(office, "() => document.querySelectorAll('[data-chart-ready]')"
                                ".length === 3")
    assert "东门外路灯太暗" in office.locator(f"#result-{text.pk}").inner_text()
    assert "学生2024001" not in office.locator("main").inner_text()
    assert browsing.overflow(office) == 0
    browsing.shot(office, "results")
