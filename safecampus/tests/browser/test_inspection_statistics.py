"""The inspection statistics page at phone and desktop size: charts drawn, fitted to their
cards when the window changes, nothing wider than the screen, no CSP or console errors."""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.inspections import services
from safecampus.inspections.models import PlanKind
from safecampus.inspections.tests.helpers import answer_all, published_checklist, signature_png

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

CHART_WIDTH = "sel => document.querySelector(sel + ' canvas').getBoundingClientRect().width"


def _finished(org, version, place, fails):
    inspection = services.inspection_start(actor=org.users.staff, place_id=place.pk,
                                           template_id=version.template_id)
    answer_all(inspection, org.users.staff, fails={code: "不符合" for code in fails})
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    return inspection


def test_statistics_page_draws_and_fits_its_charts(browsing, org, viewport):
    # given two finished inspections with failures (the second repeats 1.1) and a late place
    version = published_checklist(org.users.admin, items=4, category_id=org.fire.pk)
    _finished(org, version, org.place_a, ("1.1", "1.2"))
    repeat = _finished(org, version, org.place_a, ("1.1",))
    today = clock.local_today()
    services.plan_create(actor=org.users.staff, kind=PlanKind.CAMPAIGN, name="春季安全大检查",
                         template_id=version.template_id, place_ids=[org.place_b.pk],
                         starts_on=today - dt.timedelta(days=30),
                         ends_on=today - dt.timedelta(days=1))
    # when the head of the office opens the statistics
    page = browsing.login(org.users.leadership.username, viewport)
    page.goto("/inspections/statistics/")
    # then both charts are drawn, the figures and lists are there, and the page fits
    page.wait_for_selector("[data-stats-chart='stats-chart-items'] canvas")
    page.wait_for_selector("[data-stats-chart='stats-chart-units'] canvas")
    assert "62.5%" in page.inner_text("#by-unit")  # 5 of 8 items complied
    assert repeat.reference in page.inner_text("#repeats")
    assert "201室" in page.inner_text("#overdue")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "statistics")
    # and a chart follows its card when the window changes (a phone turned sideways)
    before = page.evaluate(CHART_WIDTH, "#most-failed")
    size = page.viewport_size
    page.set_viewport_size({"width": size["height"], "height": size["width"]})
    browsing.wait_until(page, f"(selector) => ({CHART_WIDTH})(selector) !== {before}",
                        "#most-failed")
    # a click on the top bar marks its row in the table below the chart
    chart = page.locator("[data-stats-chart='stats-chart-items']")
    x, y = chart.evaluate("el => echarts.getInstanceByDom(el).convertToPixel("
                          "{seriesIndex: 0}, [1, 0])")  # halfway along the first bar (2 fails)
    chart.click(position={"x": x, "y": y})
    page.wait_for_selector("#most-failed tr.table-warning")
    assert "1.1" in page.inner_text("#most-failed tr.table-warning")
