"""hazard_report with a responsible unit named by the source (a charging station's operator
unit): that unit answers for the hazard; without one the routing rules decide."""

import pytest

from safecampus.core.errors import DomainError
from safecampus.hazards import services
from safecampus.hazards.models import Hazard
from safecampus.organisation.models import Unit

from .helpers import reported

pytestmark = pytest.mark.django_db


def test_the_unit_the_source_names_answers_for_the_hazard(org):
    # given a traffic category routed to logistics by a rule
    # when the source names unit B
    hazard = reported(org, category_id=org.traffic.pk, responsible_unit_id=org.unit_b.pk)
    # then unit B is responsible, not the rule's unit
    assert hazard.responsible_unit_id == org.unit_b.pk


def test_without_a_unit_the_routing_rules_still_decide(org):
    assert reported(org, category_id=org.traffic.pk).responsible_unit_id == org.logistics.pk
    # the building's unit for a category without a rule
    assert reported(org).responsible_unit_id == org.unit_a.pk


@pytest.mark.parametrize("bad", ["unknown", "inactive", "text"])
def test_an_unknown_or_inactive_unit_is_refused_and_nothing_is_written(org, bad):
    inactive = Unit.objects.create(code="gone", name="撤销单位", is_active=False)
    value = {"unknown": 999_999, "inactive": inactive.pk, "text": "x1"}[bad]
    with pytest.raises(DomainError) as caught:
        reported(org, responsible_unit_id=value)
    assert caught.value.field_errors == {
        "responsible_unit": ["请从列表中选择责任单位。"]}  # Choose a responsible unit from the list.
    assert Hazard.objects.count() == 0


def test_other_errors_are_reported_together_with_the_unit(org):
    with pytest.raises(DomainError) as caught:
        services.hazard_report(reporter=org.users.student, title="", category_id=org.fire.pk,
                               place_id=org.place_a.pk, responsible_unit_id=999_999)
    assert set(caught.value.field_errors) == {"title", "responsible_unit"}
