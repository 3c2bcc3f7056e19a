"""Safety work reports in the browser: office staff ask for last month's report on a phone,
watch its progress (the page polls while the report is generated in the background) and
download the PDF and the Word document; the list and the form on a desktop."""

import threading

import pytest

from safecampus.dashboards.periods import PeriodKind, last_complete_period
from safecampus.hazards.tests.helpers import reported
from safecampus.reports import documents, services
from safecampus.reports.models import SafetyReport

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def test_office_staff_ask_for_the_monthly_report_on_a_phone_and_download_it(
        browsing, org, monkeypatch):
    reported(org, title="灭火器过期")
    queued = []
    monkeypatch.setattr(services, "_queue", queued.append)  # the worker is started by hand
    page = browsing.login("staff1", "phone")
    page.goto("/reports/")
    assert browsing.overflow(page) == 0
    # No report yet: what reports are, and a button to the form.
    assert "安全工作报告按月" in page.inner_text("#report-empty-list")
    page.click("#report-empty-generate")
    assert page.url.endswith("#report-request")
    assert page.locator("[data-kind=quarter]").is_hidden()  # month is chosen
    page.check("input[name=kind][value=quarter]")
    assert page.locator("[data-kind=quarter]").is_visible()
    page.check("input[name=kind][value=month]")
    assert page.input_value("input[name=month]") == last_complete_period(PeriodKind.MONTH).key
    page.select_option("select[name=campus]", label="北校区")
    browsing.shot(page, "01-list-form")
    with page.expect_navigation():
        page.click("#report-generate")
    report = SafetyReport.objects.get()
    assert queued == [report.pk] and page.url.endswith(f"/reports/{report.pk}/")
    assert page.inner_text("#report-step") == "等待开始生成"

    # The worker runs in another thread and stops after the charts until the page has shown
    # that it is writing the PDF.
    shown = threading.Event()
    real_pdf = documents.report_pdf

    def pdf_after_the_page_looked(*args, **kwargs):
        shown.wait(30)
        return real_pdf(*args, **kwargs)

    monkeypatch.setattr(documents, "report_pdf", pdf_after_the_page_looked)
    worker = threading.Thread(target=services.report_build, kwargs={"report_id": report.pk})
    worker.start()
    try:
        browsing.wait_until(page, "() => document.querySelector('#report-step')"
                                  "?.textContent.includes('正在生成 PDF')", timeout_s=30)
        assert page.get_attribute("#report-progress", "value") == "50"
        assert browsing.overflow(page) == 0
        browsing.shot(page, "02-progress")
    finally:
        shown.set()
        worker.join(120)
    browsing.wait_until(page, "() => !!document.querySelector('#download-pdf')", timeout_s=30)
    assert page.locator("#report-status").get_attribute("data-state") == "done"
    assert page.locator("#report-status").get_attribute("hx-trigger") is None  # polling stops
    browsing.shot(page, "03-done")
    with page.expect_download() as pdf:
        page.click("#download-pdf")
    assert pdf.value.suggested_filename.endswith("安全工作月报（" +
                                                 _label(report) + "）.pdf")
    with page.expect_download() as word:
        page.click("#download-docx")
    assert word.value.suggested_filename.endswith(".docx")
    with open(pdf.value.path(), "rb") as handle:
        assert handle.read(4) == b"%PDF"


def _label(report) -> str:
    first = report.period_first
    return f"{first.year}年{first.month}月"


def test_the_report_list_on_a_desktop(browsing, org):
    for period in (last_complete_period(PeriodKind.MONTH).previous().key,
                   last_complete_period(PeriodKind.QUARTER).key):
        services.report_request(actor=org.users.staff, period=period, campus_id=org.campus1.pk)
    page = browsing.login("admin1", "desktop")
    page.goto("/reports/")
    assert page.locator("#report-list li").count() == 2
    assert page.locator("#report-schedules").is_visible()
    page.click("input[name=kind][value=custom]")
    assert page.locator("[data-kind=custom]").is_visible()
    browsing.shot(page, "01-list")
    page.goto("/reports/schedules/new/")
    browsing.shot(page, "02-schedule-form")
    assert browsing.overflow(page) == 0


def test_leadership_find_the_reports_on_their_home_page(browsing, org):
    page = browsing.login("leader1", "phone")
    page.goto("/")
    with page.expect_navigation():
        page.click("#home-reports-link")
    assert page.url.endswith("/reports/")
    assert page.locator("#report-request").count() == 0  # leadership read, do not generate
    assert page.locator("#report-empty-generate").count() == 0
    assert browsing.overflow(page) == 0
    browsing.shot(page, "01-leader-list")
