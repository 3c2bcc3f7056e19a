"""A concern as its users click it: a student submits one with a photo on a phone, the
office answers and publishes it at a desk, and the student rates the handling on the phone.
Expected texts come from the zh-hans catalogue through ``zh()``."""

import pytest
from django.utils import translation
from PIL import Image

from safecampus.community.models import Concern, ConcernCategory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def alert_text(page, kind: str) -> str:
    return " ".join(page.locator(f".alert-{kind}").all_inner_texts())


def test_submit_answer_publish_rate(browsing, org, tmp_path):
    parking = ConcernCategory.objects.create(code="parking", name="停车难", sort_order=1)
    ConcernCategory.objects.create(code="lighting", name="道路照明", sort_order=2)
    photo = tmp_path / "parking.jpg"
    Image.new("RGB", (800, 600), (40, 80, 160)).save(photo, format="JPEG")

    # -- the student submits on a phone --------------------------------------------------------
    student = browsing.login("student1", "phone")
    student.goto("/community/concerns/new/")
    student.select_option("select[name=category]", label="停车难")
    student.fill("input[name=title]", "东门晚上停车位不够")
    student.fill("textarea[name=description]", "晚自习后东门附近找不到车位。")
    student.select_option("select[name=campus]", label="北校区")
    student.set_input_files("input[name=photos]", str(photo))
    assert student.locator("[data-photo-preview] img").count() == 1
    assert zh("The office never sees who you are; you still follow and rate it here.") in (
        student.locator("#concern-form").inner_text())
    assert browsing.overflow(student) == 0
    browsing.shot(student, "01-submit")
    with student.expect_navigation():
        student.locator("#concern-form button[type=submit]").tap()
    concern = Concern.objects.get()
    assert (concern.category, concern.campus, concern.photos.count()) == (parking, org.campus1, 1)
    assert student.url.endswith(f"/community/concerns/{concern.pk}/")
    assert concern.number in alert_text(student, "success")
    assert browsing.overflow(student) == 0
    browsing.shot(student, "02-submitted")

    # -- the office answers and publishes at a desk --------------------------------------------
    staff = browsing.login("staff1", "desktop")
    staff.goto("/community/concerns/")
    row = staff.locator("#concern-queue a", has_text="东门晚上停车位不够")
    with staff.expect_navigation():
        row.click()
    assert concern.submitter.full_name in staff.locator("#concern-contact").inner_text()
    staff.fill("#action-answer textarea[name=answer]", "已协调东门外临时停车区，晚间开放。")
    browsing.shot(staff, "03-office-detail")
    with staff.expect_navigation():
        staff.locator("#action-answer button[type=submit]").click()
    assert zh("Answered; the submitter was told.") in alert_text(staff, "success")
    with staff.expect_navigation():
        staff.locator("#action-publish button[type=submit]").click()
    assert zh("Published on the board.") in alert_text(staff, "success")
    concern.refresh_from_db()
    assert concern.state == Concern.State.CLOSED and concern.is_public

    # -- the student sees the answer and rates it ----------------------------------------------
    student.goto(f"/community/concerns/{concern.pk}/")
    assert "已协调东门外临时停车区" in student.locator("#concern-answer").inner_text()
    student.locator("#action-rate label", has_text=zh("5 · very satisfied")).tap()
    student.fill("#action-rate textarea[name=comment]", "很及时")
    assert browsing.overflow(student) == 0
    browsing.shot(student, "04-rate")
    with student.expect_navigation():
        student.locator("#action-rate button[type=submit]").tap()
    assert zh("Thank you for rating the handling.") in alert_text(student, "success")
    concern.refresh_from_db()
    assert (concern.rating, concern.rating_comment) == (5, "很及时")

    # -- the board shows it without who sent it --------------------------------------------------
    student.goto("/community/board/")
    board = student.locator("#board").inner_text()
    assert "东门晚上停车位不够" in board and concern.submitter.full_name not in board
    assert browsing.overflow(student) == 0
    browsing.shot(student, "05-board")
