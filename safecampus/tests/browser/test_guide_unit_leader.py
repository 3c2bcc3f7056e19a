"""The unit leader's guide (docs/guide/<lang>/unit-leader.md) walked as ``housing_leader``
(学生公寓管理中心): on a phone, the escalation (督办) in the inbox, the escalated hazard, and
signing for a notice; at a desk, the unit's overview on the home page and the unit's overdue
hazards exported to Excel. Each step takes the guide's picture ``unit-leader-<nn>-…``.

Runs again on the same demo: when no notice of the unit is waiting to be signed any more,
the walk shows a signed one."""

import pytest
from django.utils import translation

pytestmark = [pytest.mark.browser, pytest.mark.guide]

USER = "housing_leader"


def tr(lang: str, msgid: str) -> str:
    """What the UI shows for ``msgid`` in ``lang``."""
    with translation.override(lang):
        return translation.gettext(msgid)


def before_placeholder(lang: str, msgid: str) -> str:
    """The part of a translated message before its first placeholder."""
    return tr(lang, msgid).split("%(")[0]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_unit_leader_daily_tasks(guide, lang):
    phone = guide.login(USER, "phone", next_url="/notifications/", lang=lang)

    # 1. The inbox: an overdue hazard of the unit was escalated to its leader. A message keeps
    # the language it was sent in (the task consumer sends in the site's language, Chinese).
    escalated = phone.locator("a.inbox-title", has_text=before_placeholder(
        "zh-hans", "Escalated to you: overdue since %(deadline)s: %(title)s"))
    assert escalated.count() >= 1
    guide.shot(phone, "unit-leader-01-inbox")

    # 2. The escalated hazard: overdue, escalated (level 1), and its timeline.
    with phone.expect_navigation():
        escalated.first.tap()
    assert "/hazards/" in phone.url
    assert before_placeholder(lang, "escalated (level %(level)s)") in phone.locator(
        "main").inner_text()
    guide.shot(phone, "unit-leader-02-escalated-hazard")

    # 3. The unit's notices: sign for one that is waiting (签收).
    phone.goto("/hazards/notices/")
    waiting = phone.locator("main a:has(.notice-issued)")
    if waiting.count():
        with phone.expect_navigation():
            waiting.first.tap()
        sign = phone.get_by_role("button", name=tr(lang, "Sign for the notice"))
        with phone.expect_navigation():
            sign.tap()
        assert before_placeholder(lang, "Signed for notice %(number)s.") in " ".join(
            phone.locator(".alert-success").all_inner_texts())
    else:
        with phone.expect_navigation():
            phone.locator("main a:has(.notice-acknowledged)").first.tap()
    assert phone.locator(".badge.notice-acknowledged").is_visible()
    guide.shot(phone, "unit-leader-03-notice-signed")

    # 4. At a desk: the home page is the unit's overview and its to-do list.
    desk = guide.login(USER, "desktop", lang=lang)
    assert desk.locator(".dash-kpis .card").count() == 6
    assert desk.locator(".dash-todo .list-group-item").count() >= 1
    guide.shot(desk, "unit-leader-04-home")

    # 5. The unit's overdue hazards in the ledger, exported to Excel.
    with desk.expect_navigation():
        desk.locator(".dash-kpis a[href*='overdue=on']").click()
    assert desk.locator("input[name=overdue]").is_checked()
    rows = desk.locator("table tbody tr")
    assert rows.count() >= 1
    guide.shot(desk, "unit-leader-05-overdue-ledger")
    with desk.expect_download() as download:
        desk.locator("main a[href^='/hazards/export/']").click()
    assert download.value.suggested_filename.endswith(".xlsx")
