"""The leadership guide (docs/guide/<lang>/leadership.md) walked at a desk as ``leadership``:
the home page's figures and risk card, the cockpit for last month, the records behind a
figure, the campus map as heat, the risk overview and a campus's four-colour map, last
month's safety work report, and the duty room's big screen. Each step takes the guide's
picture ``leadership-<nn>-…``. Reads only, so it runs again on the same demo."""

import pytest
from django.utils import translation

from safecampus.demo.cockpit import DEMO_TOKEN

pytestmark = [pytest.mark.browser, pytest.mark.guide]

USER = "leadership"


def tr(lang: str, msgid: str, context: str = "") -> str:
    """What the UI shows for ``msgid`` in ``lang``."""
    with translation.override(lang):
        return translation.pgettext(context, msgid) if context else translation.gettext(msgid)


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_leadership_daily_tasks(guide, lang):
    page = guide.login(USER, "desktop", lang=lang)

    # 1. The home page: the hazard figures of the university and the risk card.
    assert page.locator(".dash-kpis .card").count() == 6
    assert page.locator("#home-cockpit-link").is_visible()
    guide.wait_until(page, "() => document.querySelector('[data-chart=chart-trend] canvas')")
    guide.shot(page, "leadership-01-home")

    # 2. The cockpit, last month against the month before.
    with page.expect_navigation():
        page.locator("#home-cockpit-link").click()
    page.select_option("#cockpit-filters select[name=period]", "last_month")
    with page.expect_navigation():
        page.locator("#cockpit-filters button[type=submit]").click()
    assert "period=last_month" in page.url
    assert tr(lang, "Last month") in page.locator("#cockpit-filters select[name=period]").evaluate(
        "el => el.options[el.selectedIndex].text")
    assert page.locator("#metric-hazards_reported, [data-metric]").first.is_visible()
    guide.shot(page, "leadership-02-cockpit")

    # 3. A figure opens the records behind it: the overdue hazards in the ledger.
    overdue = page.locator("[data-metric=hazards_overdue]")
    with page.expect_navigation():
        overdue.click()
    assert "overdue=on" in page.url
    assert page.locator("input[name=overdue]").is_checked()
    guide.shot(page, "leadership-03-overdue-ledger")

    # 4. The campus map: open hazards as heat.
    page.goto("/cockpit/")
    with page.expect_navigation():
        page.locator("#cockpit-map-link").click()
    page.select_option("select[name=mode]", "heat")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert "mode=heat" in page.url
    guide.shot(page, "leadership-04-campus-map")

    # 5. The risk overview and a campus's four-colour risk map.
    page.goto("/")
    with page.expect_navigation():
        page.locator("main a[href='/police/risks/overview/']").click()
    with page.expect_navigation():
        page.locator("main a[href^='/police/risks/map/?campus=']").first.click()
    assert page.locator("#risk-map svg").is_visible()
    guide.shot(page, "leadership-05-risk-map")

    # 6. Last month's safety work report: PDF and Word.
    page.goto("/")
    with page.expect_navigation():
        page.locator("#home-reports-link").click()
    first = page.locator("#report-list li").first
    pdf_href = first.locator("a[href$='/file/pdf/']").get_attribute("href")
    assert first.locator("a[href$='/file/docx/']").count() == 1
    guide.shot(page, "leadership-06-reports")
    pdf = page.request.get(pdf_href)
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    # 7. The duty room's big screen (大屏), opened from its display link without signing in.
    page.goto(f"/screen/{DEMO_TOKEN}/")
    assert page.locator("body").inner_text().strip()
    guide.shot(page, "leadership-07-big-screen")
