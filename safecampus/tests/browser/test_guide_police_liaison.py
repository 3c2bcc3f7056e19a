"""The police liaison's guide (docs/guide/<lang>/police-liaison.md) walked as ``police_xq``
(兴庆路派出所): on a phone, draft a bulletin, add an incident, publish it and open a hazard
from the incident, then send a warning about it (the recipients counted before it goes); at a
desk, the joint meeting with its carried-over actions, the read
receipts of a warning, the four-colour risk map and the incident statistics. Each step takes
the guide's picture ``police-liaison-<nn>-…``.

Runs again on the same demo: every run drafts and publishes a bulletin of its own."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from safecampus.police.models import Bulletin

pytestmark = [pytest.mark.browser, pytest.mark.guide]

USER = "police_xq"
LOCAL = ZoneInfo("Asia/Shanghai")


def tr(lang: str, msgid: str) -> str:
    """What the UI shows for ``msgid`` in ``lang``."""
    with translation.override(lang):
        return translation.gettext(msgid)


def success_text(page) -> str:
    return " ".join(page.locator(".alert-success").all_inner_texts())


def before_placeholder(lang: str, msgid: str) -> str:
    """The part of a translated message before its first placeholder."""
    return tr(lang, msgid).split("%(")[0]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_police_liaison_daily_tasks(guide, lang):
    today = dt.datetime.now(LOCAL).date()
    yesterday = today - dt.timedelta(days=1)
    phone = guide.login(USER, "phone", next_url="/police/", lang=lang)

    # 1. The police cooperation page: risk points, bulletins, the next joint meeting.
    assert phone.locator("a[href='/police/bulletins/new/']").is_visible()
    guide.shot(phone, "police-liaison-01-police-home")

    # 2. A new bulletin: title and the period it covers; saved as a draft.
    with phone.expect_navigation():
        phone.locator("a[href='/police/bulletins/new/']").tap()
    phone.fill("input[name=title]", "本周校园周边警情通报" if lang == "zh-hans" else
               "Incidents on and around campus this week")
    phone.fill("input[name=period_start]", (today - dt.timedelta(days=6)).isoformat())
    phone.fill("input[name=period_end]", today.isoformat())
    with phone.expect_navigation():
        phone.locator("#main-form button[type=submit]").first.tap()
    assert phone.locator("#add-record").is_visible()

    # 3. Add an incident: when, what type, on campus or nearby, where, how relevant.
    with phone.expect_navigation():
        phone.locator("#add-record").tap()
    phone.fill("input[name=occurred_at]", f"{yesterday.isoformat()}T21:30")
    phone.select_option("select[name=category]", "theft")
    phone.fill("input[name=type_label]", "电动车电瓶被盗" if lang == "zh-hans" else
               "E-bike battery stolen")
    phone.select_option("select[name=proximity]", "on_campus")
    phone.select_option("select[name=campus]", index=1)
    phone.select_option("select[name=place]", index=1)
    phone.select_option("select[name=relevance]", "high")
    guide.shot(phone, "police-liaison-02-incident-form")
    with phone.expect_navigation():
        phone.locator("#main-form button[type=submit]").first.tap()
    assert before_placeholder(lang, "Incident %(position)s saved.") in success_text(phone)
    assert phone.locator("#record-rows a").count() == 1

    # 4. Publish: the office and the partners' liaisons see it from now on.
    with phone.expect_navigation():
        phone.locator("#publish").tap()
    assert before_placeholder(lang, "Bulletin %(number)s published.") in success_text(phone)
    with translation.override(lang):
        published = str(Bulletin.State.PUBLISHED.label)
    assert phone.locator("#bulletin-state").inner_text().strip() == published
    guide.shot(phone, "police-liaison-03-bulletin-published")

    # 5. From the incident, open a hazard: it enters the hazard loop as a police hazard.
    with phone.expect_navigation():
        phone.locator("#record-rows a").first.tap()
    with phone.expect_navigation():
        phone.locator("#record-hazard a").tap()
    phone.select_option("select[name=category]", index=1)
    guide.shot(phone, "police-liaison-04-open-hazard")
    with phone.expect_navigation():
        phone.locator("#main-form button[type=submit]").first.tap()
    assert before_placeholder(lang, "Hazard %(number)s opened from the incident.") in (
        success_text(phone))
    assert phone.locator("#record-hazard-link").is_visible()

    # 6. From the same incident, a warning: the recipients are counted first, then it is sent.
    with phone.expect_navigation():
        phone.locator("#record-warning a").tap()
    warning_title = phone.locator("input[name=title]").input_value()
    assert warning_title
    with phone.expect_navigation():
        phone.locator("button[name=preview]").tap()
    count = int(phone.locator("p[data-recipient-count]").get_attribute("data-recipient-count"))
    assert count > 0
    guide.shot(phone, "police-liaison-05-warning-preview")
    with phone.expect_navigation():
        phone.locator("button[name=send]").tap()
    assert before_placeholder(lang, "Warning sent to %(count)s people.") in success_text(phone)

    # 7. At a desk: the next joint meeting and the actions carried over to it.
    desk = guide.login(USER, "desktop", next_url="/police/meetings/", lang=lang)
    with desk.expect_navigation():
        desk.locator("main a[href^='/police/meetings/']").first.click()
    assert desk.locator("main a[href^='/police/actions/']").count() >= 1
    guide.shot(desk, "police-liaison-06-meeting")

    # 8. The read receipts of a warning sent earlier (liaisons see every warning's receipts).
    desk.goto("/education/warnings/")
    with desk.expect_navigation():
        desk.locator("main a.list-group-item-action[href^='/education/warnings/']").filter(
            has_not_text=warning_title).first.click()
    assert desk.locator("#receipt-read").is_visible()
    guide.shot(desk, "police-liaison-07-warning-receipts")

    # 9. The four-colour risk map of the campus.
    desk.goto("/police/risks/map/")
    assert desk.locator("#risk-map svg").is_visible()
    assert int(desk.locator("[data-level-count=major]").inner_text()) >= 1
    guide.shot(desk, "police-liaison-08-risk-map")

    # 10. Statistics and hot spots of the incidents.
    desk.goto("/police/bulletins/statistics/")
    assert desk.locator("#stats-total").is_visible()
    guide.wait_until(desk, "() => document.querySelector('[data-chart=stats-chart-hour] canvas')")
    guide.shot(desk, "police-liaison-09-statistics")
