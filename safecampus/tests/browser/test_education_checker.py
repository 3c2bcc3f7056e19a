"""The fraud-risk checker in a browser: a student pastes a suspicious message into the card on
the education page of a phone (and a desktop), sees the high risk, the type, the red flags
highlighted in the text and what to do, and takes the message on to a fraud report only by
pressing "Report it" (a POST: the text never goes into a URL); signed out, the checker page
answers an empty box clearly and offers a sign-in link to the report form instead."""

import pytest
from django.conf import settings

from safecampus.education.tests.checker_helpers import _fresh_checker, live, no_corpus, taxonomy

FIXTURES = (_fresh_checker, live, no_corpus, taxonomy)  # the helpers' fixtures, used by name

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

MESSAGE = ("【银保监会】您在大学期间开通的校园贷账户未注销，将影响个人征信，请立即联系专员"
           "注销学生账户，并下载会议软件开启屏幕共享，将借呗额度清空转入指定账户。")


def test_a_student_checks_a_suspicious_message_and_sees_why(browsing, org, live, viewport):
    page = browsing.login("student1", viewport)
    page.goto("/education/")
    page.fill("#home-checker-text", MESSAGE)
    with page.expect_navigation():
        page.click("#home-checker button[type=submit]")
    page.wait_for_selector("#checker-result")
    assert page.get_attribute("#checker-result", "data-level") == "high"
    assert page.locator("#checker-types [data-type]").first.get_attribute(
        "data-type") == "credit_record"
    marked = page.locator("#checker-highlight mark").all_inner_texts()
    assert any(text.startswith("注销学生账户") for text in marked), marked
    assert any(text.startswith("屏幕共享") for text in marked), marked
    flags = page.locator("#checker-flags li").count()
    assert flags == len(marked) or flags >= 4
    assert "96110" in page.inner_text("#checker-advice")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "01-result", full_page=False)
    browsing.shot(page, "02-result-full")
    # the textarea keeps what was pasted; the count shows its length
    assert page.input_value("#checker-form textarea") == MESSAGE
    browsing.wait_until(page, "(max) => document.getElementById('checker-count').textContent"
                              ".includes('/ ' + max)", settings.SAFECAMPUS["CHECKER_MAX_CHARS"])
    assert page.get_attribute("#checker-report", "method") == "post"
    with page.expect_navigation():
        page.click("#checker-report button[type=submit]")
    assert page.url.endswith("/education/fraud-reports/new/")  # the text is not in the URL
    assert page.input_value("textarea[name=message_text]") == MESSAGE
    assert page.locator(".invalid-feedback:visible, .alert-danger").count() == 0
    browsing.shot(page, "03-report", full_page=False)


def test_signed_out_the_checker_answers_an_empty_box(browsing, live, viewport):
    page = browsing.new_page(viewport)
    page.goto("/education/checker/")
    with page.expect_navigation():
        page.click("#checker-submit")
    page.wait_for_selector("#checker-message")
    assert "粘贴" in page.inner_text("#checker-message") or "Paste" in page.inner_text(
        "#checker-message")
    page.fill("#checker-form textarea", "刷单")
    page.click("#checker-clear")
    assert page.input_value("#checker-form textarea") == ""
    assert browsing.overflow(page) == 0
    # a scam checked signed out: a sign-in link to the report form, the text not carried
    page.fill("#checker-form textarea", MESSAGE)
    with page.expect_navigation():
        page.click("#checker-submit")
    page.wait_for_selector("#checker-result")
    assert page.locator("#checker-report").count() == 0
    href = page.get_attribute("#checker-report-signin", "href")
    assert href.startswith("/accounts/login/?next=") and "text" not in href
    assert page.locator("#checker-report-note").is_visible()
    assert browsing.overflow(page) == 0
    browsing.shot(page, "04-signed-out-result")


def test_a_text_too_long_to_read_whole_is_shown_as_incomplete(browsing, live, viewport,
                                                               settings):
    """Past CHECKER_MAX_CHARS the result is the amber 'incomplete' state, never the green
    all-clear, even though the part read has no warning signs."""
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_MAX_CHARS": 20_000}
    notice = "本周四下午两点在图书馆三楼报告厅举行学术讲座，请按时到场并在门口签到。\n"
    text = (notice * 1000)[:25_000]
    page = browsing.new_page(viewport)
    page.goto("/education/checker/")
    page.fill("#checker-form textarea", text)
    with page.expect_navigation():
        page.click("#checker-submit")
    page.wait_for_selector("#checker-result")
    assert page.get_attribute("#checker-result", "data-complete") == "false"
    assert page.get_attribute("#checker-result", "data-level") == "none"
    header = page.locator("#checker-result .checker-level")
    colour = header.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(255, 193, 7)", colour  # amber, not the all-clear's green
    assert "20000" in page.inner_text("#checker-truncated")
    assert page.locator("#checker-truncated").is_visible()
    assert browsing.overflow(page) == 0
    browsing.shot(page, "04-incomplete", full_page=False)


def test_the_counter_counts_characters_as_the_server_does(browsing, live, viewport, settings):
    """Emoji are one character each (not two UTF-16 units) and line breaks one each: a text
    of exactly CHECKER_MAX_CHARS shows "max / max", not red, and the server reads it whole."""
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_MAX_CHARS": 120}
    text = ("明天交费😀🎉👍\n" * 20)[:120]
    assert len(text) == 120
    page = browsing.new_page(viewport)
    page.goto("/education/checker/")
    page.fill("#checker-form textarea", text)
    counter = page.locator("#checker-count")
    assert counter.inner_text().strip() == "120 / 120"
    assert "text-danger" not in (counter.get_attribute("class") or "")
    with page.expect_navigation():
        page.click("#checker-submit")
    page.wait_for_selector("#checker-result")
    assert page.get_attribute("#checker-result", "data-complete") == "true"
    assert page.locator("#checker-truncated").count() == 0
    assert counter.inner_text().strip() == "120 / 120"
    page.fill("#checker-form textarea", text + "😀")
    assert counter.inner_text().strip() == "121 / 120"
    assert "text-danger" in counter.get_attribute("class")
