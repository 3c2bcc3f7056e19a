"""The student or staff member's guide (docs/guide/<lang>/community-member.md) walked on a
phone: report a hazard with a photo, follow my reports, raise a concern, read and confirm a
warning, check a suspicious message, find my quiz, the menu with notification settings and
the language switch; answer a survey; a car owner's move-car notice and appeal (``teacher1``);
a counsellor closing the follow-up of a police warning (``chem_counsellor``). Each step takes
the guide's picture ``community-member-<nn>-…``.

Runs again on the same demo: every run adds its own report and concern, and a warning
already confirmed by an earlier run is shown in its confirmed state. The survey, the appeal
and the follow-up each take the first one still open (the demo leaves one survey for each of
``student`` and ``teacher1``, two appealable violations and two open follow-ups, enough for
one walk in each language); when none is left, their pictures show the list instead."""

import pytest
from django.utils import translation
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.guide]

USER = "student"


def tr(lang: str, msgid: str, context: str = "") -> str:
    """What the UI shows for ``msgid`` in ``lang``."""
    with translation.override(lang):
        return translation.pgettext(context, msgid) if context else translation.gettext(msgid)


def success_text(page) -> str:
    return " ".join(page.locator(".alert-success").all_inner_texts())


def photo(tmp_path) -> str:
    """A phone photo of the hazard (a plain JPEG is enough for the form)."""
    path = tmp_path / "corridor.jpg"
    Image.new("RGB", (1200, 900), (180, 60, 50)).save(path, format="JPEG")
    return str(path)


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_community_member_daily_tasks(guide, lang, tmp_path):
    page = guide.login(USER, "phone", lang=lang)

    # 1. The home page: the big "Report a hazard" button and my recent reports.
    report_button = page.locator("a.dash-report")
    assert report_button.is_visible()
    assert page.locator("h1").inner_text().startswith(tr(lang, "Hello, %(name)s").split("%")[0])
    guide.shot(page, "community-member-01-home")

    # 2. Report a hazard with a photo from the phone: what, category, where.
    with page.expect_navigation():
        report_button.tap()
    page.set_input_files("input[name=photos]", photo(tmp_path))
    assert page.locator("[data-photo-preview] img").count() == 1
    title = "三层楼道灭火器箱被杂物挡住" if lang == "zh-hans" else "Fire extinguisher box blocked"
    page.fill("input[name=title]", title)
    page.select_option("select[name=category]", index=1)
    page.select_option("select[name=campus]", index=1)
    page.select_option("select[name=building]", label="东区1号学生公寓")
    page.select_option("select[name=place]", label="三层楼道")
    guide.shot(page, "community-member-02-report-form")
    with page.expect_navigation():
        page.locator("#report-form button[type=submit]").tap()
    message = success_text(page)
    before, after = tr(lang, "Thank you. Your report %(ref)s was received; you will be told "
                             "when it is handled.").split("%(ref)s")
    assert message.startswith(before) and after.strip() in message
    assert page.locator("h1", has_text=title).count() == 1
    reference = message[len(before):].split()[0]
    guide.shot(page, "community-member-03-report-sent")

    # 3. Follow my reports: every report with its state.
    page.goto("/hazards/mine/")
    first = page.locator("main .list-group a").first
    assert title in first.inner_text() and reference in first.inner_text()
    guide.shot(page, "community-member-04-my-reports")

    # 4. Raise a concern (诉求) that is not a hazard: category, what troubles you, campus.
    page.goto("/community/")
    with page.expect_navigation():
        page.locator("a[href='/community/concerns/new/']").first.tap()
    page.select_option("select[name=category]", label="道路照明")
    page.wait_for_load_state("networkidle")
    page.fill("input[name='attribute[road]']", "东区1号学生公寓后门小路")
    page.fill("input[name=title]", "宿舍后门小路路灯不亮" if lang == "zh-hans" else
              "Street lamp out behind the dormitory")
    page.fill("textarea[name=description]",
              "晚上十点后路灯一直不亮，女生回宿舍很不方便。" if lang == "zh-hans" else
              "The lamp has been out every night after ten; walking back to the dorm is unsafe.")
    page.select_option("select[name=campus]", index=1)
    guide.shot(page, "community-member-05-concern-form")
    with page.expect_navigation():
        page.locator("#concern-form button[type=submit]").tap()
    assert tr(lang, "Thank you. Your concern was received as number %(number)s; you will be "
                    "told when the office answers.").split("%(number)s")[0] in success_text(page)

    # 5. A warning (预警): open it and confirm it has been read.
    page.goto("/education/warnings/mine/")
    unread = page.locator("main a[href^='/notifications/alerts/']",
                          has_text=tr(lang, "Unread"))
    target = unread.first if unread.count() else page.locator(
        "main a[href^='/notifications/alerts/']").first
    with page.expect_navigation():
        target.tap()
    read_form = page.locator("#alert-read-form")
    if read_form.count():
        with page.expect_navigation():
            read_form.locator("button[type=submit]").tap()
    assert page.locator("#alert-read-at").is_visible()
    assert page.locator("#unread-alerts-banner").count() == 0
    guide.shot(page, "community-member-06-warning-read")

    # 6. The fraud-risk checker: paste a suspicious message, read the result.
    page.goto("/education/checker/")
    page.fill("#checker-form textarea",
              "【兼职】刷单返利，日结300元，先垫付50元做任务，加QQ 123456789 领取任务，"
              "完成后立即返还本金和佣金。")
    with page.expect_navigation():
        page.click("#checker-submit")
    assert page.locator("#checker-result .checker-level").is_visible()
    assert page.locator("#checker-highlight mark").count() > 0
    guide.shot(page, "community-member-07-fraud-check")

    # 7. Quizzes assigned to me.
    page.goto("/education/quizzes/")
    quiz = page.locator("main a[href^='/education/quizzes/']").first
    with page.expect_navigation():
        quiz.tap()
    assert page.locator("#quiz-start").is_visible() or page.locator("main").inner_text()
    guide.shot(page, "community-member-08-quiz")

    survey_walk(guide, lang)
    car_owner_walk(guide, lang)
    counsellor_walk(guide, lang)

    # 8. The menu: notification settings and the language switch.
    page.goto("/")
    page.locator("button.navbar-toggler").tap()
    guide.wait_until(page, "() => document.querySelector('#mainnav.show')")
    page.locator("#nav-account").tap()
    settings_item = page.locator("#nav-notification-settings")
    guide.wait_until(page, "() => document.querySelector('#nav-notification-settings')"
                           ".offsetParent !== null")
    assert settings_item.is_visible()
    guide.shot(page, "community-member-09-menu")
    with page.expect_navigation():
        settings_item.tap()
    with page.expect_navigation():
        page.locator("#save-preferences").tap()
    assert tr(lang, "Your notification settings were saved.") in success_text(page)

    # 9. Switch the language from the same menu; the choice is kept for the next visits.
    page.locator("button.navbar-toggler").tap()
    guide.wait_until(page, "() => document.querySelector('#mainnav.show')")
    page.locator("#nav-account").tap()
    other = "en" if lang == "zh-hans" else "zh-hans"
    switch = page.locator(f"#mainnav form[action='/i18n/setlang/'] button[lang='{other}']")
    with page.expect_navigation():
        switch.tap()
    assert page.evaluate("document.documentElement.lang") == other


#: Accounts that are sent the demo's campus safety survey.
SURVEY_USERS = ("student", "teacher1")
TEXT = {
    "zh-hans": {"suggestion": "希望东区后门小路多装几盏路灯。",
                "appeal": "当时在东门接送生病的学生去校医院，停车不到 5 分钟，收到通知后已立即挪走。",
                "followup": "已电话联系该生并当面谈话，协助卸载涉诈 App，未发生转账。"},
    "en": {"suggestion": "More street lamps on the lane behind the East dormitories, please.",
           "appeal": ("I was taking a sick student to the clinic at the East gate, stopped under "
                      "five minutes and left as soon as the notice came."),
           "followup": ("Called the student and met in person; the fraud app was removed, no "
                        "money was sent.")},
}


def survey_walk(guide, lang):
    """Answer a survey: every question answered, then the confirmation."""
    for user in SURVEY_USERS:
        page = guide.login(user, "phone", lang=lang)
        page.goto("/community/surveys/")
        pending = page.locator("main a[href$='/answer/']", has_text=tr(lang, "Waiting for your answer"))
        if pending.count():
            break
    else:
        guide.shot(page, "community-member-10-survey")
        return
    with page.expect_navigation():
        pending.first.tap()
    form = page.locator("#survey-answer-form")
    names = []
    for choice in form.locator("input[type=radio], input[type=checkbox]").all():
        if choice.get_attribute("name") not in names:
            names.append(choice.get_attribute("name"))
    for number, name in enumerate(names):
        options = form.locator(f"input[name='{name}']")
        choice = options.nth(min(number % 3, options.count() - 1))
        if "btn-check" in (choice.get_attribute("class") or ""):
            # A scale's points are buttons: the label is what a finger taps.
            form.locator(f"label[for='{choice.get_attribute('id')}']").tap()
        else:
            choice.check()
    form.locator("textarea").first.fill(TEXT[lang]["suggestion"])
    guide.shot(page, "community-member-10-survey")
    with page.expect_navigation():
        form.locator("button[type=submit]").tap()
    assert tr(lang, "Thank you: your answers have been recorded.") in success_text(page)


def car_owner_walk(guide, lang):
    """A car owner: the move-car notice among the messages, the vehicles' violations, and an
    appeal against one of them."""
    page = guide.login("teacher1", "phone", lang=lang)
    page.goto("/notifications/")
    notice = page.locator("main a[href^='/traffic/violations/']")
    assert notice.count() > 0, "the demo sent teacher1 a move-car notice"
    guide.shot(page, "community-member-11-move-car-notice")
    page.goto("/traffic/")
    mine = page.locator("main a[href='/traffic/violations/mine/']")
    if mine.count():
        with page.expect_navigation():
            mine.first.tap()
    else:  # the hub without the link: the notice leads to the violation too
        page.goto("/traffic/violations/mine/")
    violations = [link.get_attribute("href") for link in
                  page.locator("main a[href^='/traffic/violations/']").all()]
    assert violations, "teacher1's car has violations"
    guide.shot(page, "community-member-12-my-violations")
    for href in violations:
        page.goto(href)
        appeal = page.locator("form[action$='/appeal/']")
        if appeal.count():
            break
    else:
        return
    appeal.locator("textarea[name=reason]").fill(TEXT[lang]["appeal"])
    appeal.scroll_into_view_if_needed()
    guide.shot(page, "community-member-13-appeal", full_page=True)
    with page.expect_navigation():
        appeal.locator("button[type=submit]").tap()
    assert tr(lang, "Appeal sent; the office will decide.") in success_text(page)


def counsellor_walk(guide, lang):
    """A counsellor closes the follow-up of a police warning about a student."""
    page = guide.login("chem_counsellor", "phone", lang=lang)
    page.goto("/education/")
    with page.expect_navigation():
        page.locator("main a[href='/education/followups/']").first.tap()
    guide.shot(page, "community-member-14-followups")
    open_ones = page.locator("main a[href^='/education/followups/'][href$='/']").filter(
        has_not_text=tr(lang, "Closed", "follow-up"))
    if not open_ones.count():
        return
    with page.expect_navigation():
        open_ones.first.tap()
    form = page.locator("#close-form")
    form.locator("select[name=outcome]").select_option(index=1)
    form.locator("textarea[name=note]").fill(TEXT[lang]["followup"])
    guide.shot(page, "community-member-15-followup-close", full_page=True)
    with page.expect_navigation():
        form.locator("button[type=submit]").tap()
    assert tr(lang, "Follow-up closed.") in success_text(page)
