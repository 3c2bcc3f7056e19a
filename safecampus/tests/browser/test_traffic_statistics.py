"""Browser: the violation ledger import's mapping step and the statistics page with the real
Philadelphia tickets (76,352 rows) and two repeat-offender rules, at phone and desktop size."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safecampus.traffic.models import OffenderRule
from safecampus.traffic.services import violation_import as imp

pytestmark = pytest.mark.browser


def test_mapping_step_and_statistics_with_philadelphia(browsing, org, shared_data, viewport):
    data = (shared_data / "parking/philadelphia_unpaid_tickets_anon_76k.csv").read_bytes()
    job = imp.violation_import_upload(
        actor=org.users.staff, uploaded_file=SimpleUploadedFile("philadelphia.csv", data))
    OffenderRule.objects.create(name="警告函", count=3, days=90, action="warning_letter")
    OffenderRule.objects.create(name="暂停通行证", count=5, days=90, action="suspend_permit")
    page = browsing.login(org.users.staff.username, viewport)
    page.goto(f"/traffic/violations/import/{job.pk}/")
    assert page.locator("#values-kind").is_visible()
    assert browsing.overflow(page) == 0
    browsing.shot(page, "import-map")
    imp.violation_import_commit(actor=org.users.staff, job=job,
                                plan=imp.ViolationImportPlan.from_json(job.plan))
    page.goto("/traffic/statistics/")
    page.wait_for_selector("[data-chart='stats-chart-month'][data-chart-ready]")
    assert page.locator("#stats-total").inner_text() == "76352"
    assert page.locator("#no-hours").is_visible()  # Philadelphia gives dates only
    assert browsing.overflow(page) == 0
    browsing.shot(page, "statistics")
