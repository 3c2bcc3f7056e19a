"""Warnings and follow-ups as people click them (phone 390×844 and desktop 1440×900): a police
liaison composes a warning to one college on the phone, sees how many it reaches, confirms
and sends it; a student of that college finds it on the education hub, opens it and confirms
having read it, and the sender's read receipts count the read; the college's counsellor
closes a follow-up with a note. Screenshots go to /tmp/shots (SAFECAMPUS_SHOTS)."""
# ruff: noqa: F811  (fixtures imported from warning_helpers)

import pytest
from django.utils import translation

from safecampus.education.models import FollowUp
from safecampus.education.services import followups as followup_services
from safecampus.education.tests.warning_helpers import roster  # noqa: F401
from safecampus.notifications.models import Alert, Notification

pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def test_police_warns_a_college_a_student_reads_it_a_counsellor_closes_a_follow_up(
        browsing, org, roster, viewport):
    # -- the police liaison composes and sends ---------------------------------------------------
    police = browsing.login("police1", viewport, next_url="/education/warnings/new/")
    police.fill("input[name=title]", "警惕冒充客服退款诈骗")
    police.fill("textarea[name=body]", "接到自称客服要求退款、共享屏幕的电话，请立即挂断并拨打96110。")
    police.select_option("select[name=audience_kind]", "college")
    assert police.locator("select[name=audience_class]").is_hidden()  # only the college's fields
    police.select_option("select[name=audience_unit]", str(org.unit_a.pk))
    browsing.wait_until(police, "() => !!document.querySelector('[data-recipient-count=\"4\"]')")
    assert browsing.overflow(police) == 0
    browsing.shot(police, "compose")
    with police.expect_navigation():
        police.locator("button[name=preview]").click()
    assert police.locator("#confirm-send").is_visible() and not Alert.objects.exists()
    browsing.shot(police, "confirm")
    with police.expect_navigation():
        police.locator("#confirm-send button[name=send]").click()
    alert = Alert.objects.get()
    assert police.url.endswith(f"/education/warnings/{alert.pk}/")
    assert police.locator("#receipt-unread").inner_text() == "4"
    assert police.locator("#receipt-read").inner_text() == "0"

    # -- a student of the college opens it from the hub ----------------------------------------
    student = browsing.login("sa1", viewport, next_url="/education/")
    card = student.locator("#home-warnings")
    assert "警惕冒充客服退款诈骗" in card.inner_text()
    assert student.locator("#home-warnings-unread").is_visible()
    assert browsing.overflow(student) == 0
    browsing.shot(student, "hub-card")
    with student.expect_navigation():
        card.locator("a", has_text="警惕冒充客服退款诈骗").click()
    assert "96110" in student.locator("article").inner_text()
    assert browsing.overflow(student) == 0
    browsing.shot(student, "warning-open")
    mine = Notification.objects.get(alert=alert, recipient=roster.students.a1)
    assert mine.read_at is None  # opening it is not yet the receipt
    with student.expect_navigation():
        student.locator("#alert-read-form button[type=submit]").click()
    assert student.locator("#alert-read-at").is_visible()
    browsing.shot(student, "warning-read")
    mine.refresh_from_db()
    assert mine.read_at

    # -- the sender sees the read receipt ------------------------------------------------------
    police.reload()
    assert police.locator("#receipt-read").inner_text() == "1"
    assert police.locator("#receipt-percent").inner_text() == "25%"
    assert "化学学院" in police.locator("#receipts-by-college").inner_text()
    assert roster.students.a1.full_name not in police.locator("#unread-list").inner_text()
    assert browsing.overflow(police) == 0
    browsing.shot(police, "receipts")

    # -- the counsellor closes a follow-up -----------------------------------------------------
    followup = followup_services.followup_create(
        actor=org.users.police, student_number="2025001", warning_source="96110预警中心",
        reason="该生与涉诈号码多次通话")
    counsellor = browsing.login("chem_c", viewport, next_url="/education/followups/")
    assert roster.students.b1.full_name in counsellor.locator("#followup-list").inner_text()
    browsing.shot(counsellor, "followups")
    with counsellor.expect_navigation():
        counsellor.locator("#followup-list a").first.click()
    counsellor.select_option("select[name=outcome]", "reached_safe")
    counsellor.fill("textarea[name=note]", "太短")
    with counsellor.expect_navigation():
        counsellor.locator("#close-form button[type=submit]").click()
    assert zh("Write what was done, at least %(count)s characters.") % {"count": 10} in \
        counsellor.locator("#close-form").inner_text()
    counsellor.fill("textarea[name=note]", "已电话联系该生，确认未转账，已讲解冒充客服诈骗手法。")
    with counsellor.expect_navigation():
        counsellor.locator("#close-form button[type=submit]").click()
    followup.refresh_from_db()
    assert followup.state == FollowUp.State.CLOSED and followup.closed_by == roster.chem_c
    assert "已电话联系该生" in counsellor.locator("#followup-note").inner_text()
    assert browsing.overflow(counsellor) == 0
    browsing.shot(counsellor, "followup-closed")
