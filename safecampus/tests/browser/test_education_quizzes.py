"""Quizzes as people click them (phone 390×844 and desktop 1440×900): a student opens "my
quizzes" on a phone, starts the quiz, ticks the answers with big tap targets, submits and
sees the score (while the quiz is open nothing more); once it has closed, each question's
right answer and explanation; the office looks at the results page. Screenshots go to
/tmp/shots."""

import datetime as dt

import pytest

from safecampus.accounts.models import Affiliation, Membership, Role
from safecampus.core import clock
from safecampus.education.models import Quiz, QuizAttempt
from safecampus.education.services import quizzes as services
from safecampus.organisation.models import ClassGroup
from safecampus.tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

QUESTIONS = [
    ("single", "全国反诈预警劝阻专线是？", ["96110", "12315", "12345"], [0], "接到请务必接听。"),
    ("multiple", "哪些是诈骗信号？", ["安全账户", "索要验证码", "学校官网电话", "要求保密"], [0, 1, 3],
     "公检法没有安全账户。"),
    ("true_false", "刷单返利先返小钱，说明兼职可靠。", ["正确", "错误"], [1], "先返小利再骗大钱。"),
    ("single", "火警电话是？", ["110", "119", "120"], [1], ""),
]


@pytest.fixture
def quiz(org):
    group = ClassGroup.objects.create(college=org.unit_a, enrolment_year=2025, code="chem-2501",
                                      name="化学2501", campus=org.campus1)
    for name in ("fresh1", "fresh2"):
        user = UserFactory(username=name)
        Membership.objects.create(user=user, role=Role.COMMUNITY_MEMBER)
        Affiliation.objects.create(user=user, kind=Affiliation.Kind.STUDENT,
                                   campus=org.campus1, college=org.unit_a,
                                   enrolment_year=2025, class_group=group)
    bank = services.bank_create(actor=org.users.staff, name="反诈题库", topic="anti_fraud")
    for kind, stem, options, answer, explanation in QUESTIONS:
        services.question_add(actor=org.users.staff, bank_id=bank.pk, kind=kind, stem=stem,
                              options=options, answer=answer, explanation=explanation)
    now = clock.now()
    return services.quiz_create(
        actor=org.users.staff, bank_id=bank.pk, title="2026秋季新生反诈知识测试",
        opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=7),
        audiences=[{"kind": "year", "year": 2025}], time_limit_minutes=20, pass_mark=60,
        shuffle=False)


def test_a_student_takes_the_quiz_on_a_phone_and_the_office_sees_the_results(
        browsing, org, quiz, viewport):
    phone = browsing.login("fresh1", "phone", next_url="/education/quizzes/")
    row = phone.locator(f".quiz-row[data-quiz='{quiz.pk}']")
    assert row.get_attribute("data-state") == "open"
    assert browsing.overflow(phone) == 0
    browsing.shot(phone, "mine")
    with phone.expect_navigation():
        row.click()
    with phone.expect_navigation():
        phone.click("#quiz-start")
    phone.wait_for_selector("html[data-quizzes-ready]")
    assert phone.locator(".quiz-question").count() == 4
    # tap the option texts (the whole option is the label): 1 right, 2 right, 3 wrong, 4 right
    phone.locator(".quiz-question").nth(0).get_by_text("96110").click()
    second = phone.locator(".quiz-question").nth(1)
    for text in ("安全账户", "索要验证码", "要求保密"):
        second.get_by_text(text).click()
    phone.locator(".quiz-question").nth(2).get_by_text("正确").click()
    phone.locator(".quiz-question").nth(3).get_by_text("119").click()
    browsing.wait_until(phone, "() => document.getElementById('quiz-progress')"
                               ".getAttribute('data-answered') === '4'")
    box = phone.locator(".quiz-option").first.bounding_box()
    assert box["height"] >= 44  # a comfortable tap target
    assert browsing.overflow(phone) == 0
    browsing.shot(phone, "attempt")
    with phone.expect_navigation():
        phone.click("#quiz-submit")
    assert phone.locator("#quiz-score-value").inner_text().strip() == "75.0"
    assert phone.locator("#quiz-score").get_attribute("data-passed") == "1"
    # open still: the score only; the right answers would pass to those still taking it
    assert phone.locator(".quiz-review").count() == 0
    assert phone.locator("#quiz-review-later").is_visible()
    assert browsing.overflow(phone) == 0
    browsing.shot(phone, "result-open")
    # the deadline passes (the server runs in its own thread: move the quiz's deadline)
    Quiz.objects.filter(pk=quiz.pk).update(closes_at=clock.now() - dt.timedelta(minutes=1))
    phone.reload()
    assert phone.locator(".quiz-review[data-correct='0']").count() == 1
    assert "先返小利再骗大钱。" in phone.locator(".quiz-review[data-correct='0']").inner_text()
    assert phone.locator("#quiz-review-later").count() == 0
    assert browsing.overflow(phone) == 0
    browsing.shot(phone, "result")
    attempt = QuizAttempt.objects.get()
    assert (attempt.score, attempt.passed, attempt.correct_count) == (75, True, 3)

    office = browsing.login("staff1", viewport,
                            next_url=f"/education/quizzes/{quiz.pk}/results/")
    assert office.locator("#total-assigned").inner_text() == "2"
    assert office.locator("#total-attempted").inner_text() == "1"
    assert office.locator("#total-pass-rate").inner_text() == "50.0%"
    assert "化学学院" in office.locator("#results-groups").inner_text()
    assert "刷单返利" in office.locator("#results-hardest").inner_text()
    assert browsing.overflow(office) == 0
    browsing.shot(office, "results")
