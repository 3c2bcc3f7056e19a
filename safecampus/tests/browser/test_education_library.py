"""The fraud library and a confidential fraud report as people click them (phone 390×844 and
desktop 1440×900): someone not signed in reads a fraud type and a case (the checker links
there) and is offered to sign in to report; a student opens the library, reads a fraud type's
page (how it works, red flags, what to do, its cases), comes to the report form from the
checker with the message filled in (a POST: the text is never in the address), reports a
loss; the police liaison finds it in the queue, receives it and refers it to the police
station; the student sees the new state under "my fraud reports". Screenshots of each page go
to /tmp/shots."""

import pytest
from django.utils import translation

from safecampus.accounts.models import Affiliation
from safecampus.education.models import FraudReport, FraudType
from safecampus.education.services import library as library_services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def test_a_student_reads_a_type_reports_fraud_and_the_liaison_receives_it(
        browsing, org, viewport):
    library_services.fraud_types_seed()
    brushing = FraudType.objects.get(code="brushing")
    case = library_services.fraud_case_create(
        actor=org.users.staff, fraud_type_id=brushing.pk, title="“点赞赚佣金”三单之后被拉黑",
        victim_profile="某学院大一学生", loss_amount=6800,
        story="先返小额佣金，再要求垫付“连单”，转账后被拉黑。", lesson="先付钱的兼职都是诈骗。")
    library_services.fraud_case_publish(actor=org.users.staff, case_id=case.pk)
    Affiliation.objects.create(user=org.users.student, kind=Affiliation.Kind.STUDENT,
                               college=org.unit_a, campus=org.campus1)

    # -- signed out: the type and case pages the checker links to ---------------------------
    visitor = browsing.new_page(viewport)
    visitor.goto("/education/library/types/brushing/")
    assert visitor.locator("#type-name").inner_text() == "刷单返利"
    assert "要先垫钱才能拿佣金" in visitor.locator("#red-flags").inner_text()
    assert visitor.locator("#report-fraud").count() == 0
    assert visitor.locator("#sign-in-to-report").inner_text().strip() == zh(
        "Sign in to report fraud")
    assert browsing.overflow(visitor) == 0
    browsing.shot(visitor, "type-signed-out")
    with visitor.expect_navigation():
        visitor.locator("#cases a").first.click()
    assert visitor.locator("#case-title").inner_text() == "“点赞赚佣金”三单之后被拉黑"
    assert visitor.locator("#manage-case").count() == 0
    with visitor.expect_navigation():
        visitor.locator("#sign-in-to-report").click()
    assert "/accounts/login/" in visitor.url and "fraud-reports" in visitor.url

    # -- the student reads the library on the phone -------------------------------------------
    student = browsing.login("student1", viewport, next_url="/education/library/")
    assert student.locator("#fraud-types .type-card").count() == 13
    assert browsing.overflow(student) == 0
    browsing.shot(student, "library")
    with student.expect_navigation():
        student.locator("#fraud-types .type-card", has_text="刷单返利").click()
    assert student.locator("#type-name").inner_text() == "刷单返利"
    assert "要先垫钱才能拿佣金" in student.locator("#red-flags").inner_text()
    assert "96110" in student.locator("#advice").inner_text()
    assert "“点赞赚佣金”三单之后被拉黑" in student.locator("#cases").inner_text()
    assert browsing.overflow(student) == 0
    browsing.shot(student, "type")
    with student.expect_navigation():
        student.locator("#cases a").first.click()
    assert student.locator("#case-title").inner_text() == "“点赞赚佣金”三单之后被拉黑"
    assert browsing.overflow(student) == 0
    browsing.shot(student, "case")

    # -- from the checker with the message, to the confidential report form ---------------------
    # The checker's "Report it" is a form POSTing from=checker and text; sent here the same way.
    student.goto("/education/fraud-reports/new/")
    with student.expect_navigation():
        student.evaluate("""(text) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = location.pathname;
            const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
            for (const [name, value] of [["csrfmiddlewaretoken", token], ["from", "checker"],
                                         ["text", text]]) {
                const input = document.createElement("input");
                input.type = "hidden";
                input.name = name;
                input.value = value;
                form.append(input);
            }
            document.body.append(form);
            form.submit();
        }""", "【兼职】点赞日结，先垫付后返佣")
    assert "text=" not in student.url and "%E3%80%90" not in student.url
    assert FraudReport.objects.count() == 0
    assert student.locator(".invalid-feedback").count() == 0
    assert student.locator("textarea[name=message_text]").input_value() == "【兼职】点赞日结，先垫付后返佣"
    assert student.locator("#from-checker").is_visible()
    amount = student.locator("input[name=loss_amount]")
    assert not amount.is_visible()  # asked only once "I lost money" is ticked
    student.locator("label[for=id_channel_2]").click()  # 聊天软件或社交媒体
    student.fill("input[name=occurred_on]", "2026-01-05")
    student.select_option("select[name=fraud_type]", str(brushing.pk))
    student.fill("textarea[name=description]", "在兼职群接点赞任务，后来要求垫付连单，转了三次钱后被拉黑。")
    student.check("input[name=lost_money]")
    amount.fill("3000")
    student.fill("input[name=counterpart]", "QQ群 7xxxxxx")
    student.fill("input[name=contact_phone]", "13800001111")
    assert browsing.overflow(student) == 0
    browsing.shot(student, "report-form")
    with student.expect_navigation():
        student.locator("#send-report").click()
    report = FraudReport.objects.get()
    assert student.url.endswith(f"/education/fraud-reports/{report.pk}/")
    assert (report.channel, report.fraud_type, report.lost_money, report.loss_amount) == (
        "social", brushing, True, 3000)
    assert report.college == org.unit_a and report.message_text == "【兼职】点赞日结，先垫付后返佣"
    assert report.state == "submitted"
    assert student.locator("#steps").count() == 0
    browsing.shot(student, "report-sent")

    # -- the police liaison receives and refers it ----------------------------------------------
    police = browsing.login("police1", viewport, next_url="/education/fraud-reports/")
    assert police.locator("#reports .report-row").count() == 1
    assert browsing.overflow(police) == 0
    browsing.shot(police, "queue")
    with police.expect_navigation():
        police.locator("#reports .report-row").first.click()
    assert "¥3000" in police.locator(".report-facts").inner_text().replace(",", "")
    with police.expect_navigation():
        police.locator("#do-receive").click()
    report.refresh_from_db()
    assert report.state == "received" and report.handled_by == org.users.police
    assert police.locator("#step-refer").get_attribute("open") is not None  # the next step
    police.fill("input[name=refer-police_reference]", "反诈2026-0001")
    with police.expect_navigation():
        police.locator("#do-refer").click()
    report.refresh_from_db()
    assert report.state == "referred" and report.police_reference == "反诈2026-0001"
    assert "反诈2026-0001" in police.locator("#police-reference").inner_text()
    assert browsing.overflow(police) == 0
    browsing.shot(police, "report-referred")

    # -- the student sees the state --------------------------------------------------------------
    student.goto("/education/fraud-reports/mine/")
    assert zh("Referred to the police station") in student.locator("#my-reports").inner_text()
    browsing.shot(student, "my-reports")
