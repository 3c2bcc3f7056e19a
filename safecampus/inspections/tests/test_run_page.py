"""The run page speaks of a deduction item (one that names a violation) as found / not found."""

from decimal import Decimal

import pytest
from django.urls import reverse

from safecampus.inspections import exporting, services
from safecampus.inspections.models import Inspection, Scoring
from safecampus.inspections.services import ChecklistData, ItemData, SectionData

from .helpers import answer_all, login, signature_png

pytestmark = pytest.mark.django_db


def test_deduction_items_are_answered_found_or_not_found(org, client):
    data = ChecklistData(name="宿舍检查", code="dorm", sections=[SectionData("1", "宿舍", [
        ItemData(code="1", text="地面洁净", scoring=Scoring.SCORED, points=Decimal("10")),
        ItemData(code="2", text="宿舍内吸烟", scoring=Scoring.DEDUCTION, points=Decimal("20")),
    ])])
    version = services.checklist_import(actor=org.users.admin, data=data, publish=True)
    inspection = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                           template_id=version.template_id)
    login(client, org.users.staff)
    html = client.get(reverse("inspections:run", args=[inspection.pk])).content.decode()
    scored, deduction = html.split('data-code="2"')
    assert "Complies" in scored and "Does not comply" in scored
    assert "Complies" not in deduction and "Does not comply" not in deduction
    assert "Not found" in deduction and "Found" in deduction and "What was found" in deduction


def test_a_deduction_item_reads_found_on_the_inspection_page_and_in_the_excel(org, client):
    data = ChecklistData(name="宿舍检查", code="dorm", sections=[SectionData("1", "宿舍", [
        ItemData(code="1", text="地面洁净", scoring=Scoring.SCORED, points=Decimal("10")),
        ItemData(code="2", text="宿舍内吸烟", scoring=Scoring.DEDUCTION, points=Decimal("20")),
    ])])
    version = services.checklist_import(actor=org.users.admin, data=data, publish=True)
    inspection = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                           template_id=version.template_id)
    answer_all(inspection, org.users.staff, fails={"2": "阳台发现烟头"})
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    results = {r.item_code: r.outcome_label for r in inspection.results.select_related("item")}
    assert results == {"1": "Complies", "2": "Found"}
    login(client, org.users.staff)
    html = client.get(reverse("inspections:detail", args=[inspection.pk])).content.decode()
    assert '<span class="badge text-bg-danger">Found</span>' in html
    rows = list(exporting.results_rows(Inspection.objects.filter(pk=inspection.pk)))
    assert [row[7] for row in rows] == ["Complies", "Found"]
