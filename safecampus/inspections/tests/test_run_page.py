"""The run page speaks of a deduction item (one that names a violation) as found / not found."""

from decimal import Decimal

import pytest
from django.urls import reverse

from safecampus.inspections import services
from safecampus.inspections.models import Scoring
from safecampus.inspections.services import ChecklistData, ItemData, SectionData

from .helpers import login

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
