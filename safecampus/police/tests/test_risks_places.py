"""What a place's risk level, set by the register, drives elsewhere: the default days of a
rectification notice (NOTICE_DAYS_BY_RISK, form and API) and how often a risk-following
inspection plan visits the place (INSPECTION_DAYS_BY_RISK). These tests cross modules on
purpose (the code does not: hazards and inspections read only ``Place.risk_level``)."""
# ruff: noqa: F811

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.hazards import selectors as hazard_selectors
from safecampus.hazards.forms import NoticeForm
from safecampus.hazards.models import Hazard
from safecampus.hazards.tests.helpers import confirmed
from safecampus.inspections import services as inspections
from safecampus.inspections.models import PlanKind
from safecampus.inspections.tests.helpers import answer_all, published_checklist, signature_png
from safecampus.police.services import risks as services
from safecampus.tests.factories import PlaceFactory

from .risks_helpers import assess_lec, english, local, published, risk  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")


def _hazard(org, place, title):
    return confirmed(org, place_id=place.pk, title=title)


def test_notice_days_follow_the_highest_level_of_the_hazards_places(risk, client):
    org = risk.org
    quiet = PlaceFactory(building=org.building_a, campus=org.campus1, code="a1-quiet")
    calm = _hazard(org, quiet, "走廊杂物")
    lab = _hazard(org, org.place_a, "危化品混放")
    assert hazard_selectors.notice_days_default([calm.pk, lab.pk]) == 7  # no level yet
    point = published(org)  # moderate → 7
    assess_lec(org, point, 10, 6, 40)  # major → 3
    assert hazard_selectors.notice_days_default([calm.pk]) == 7
    assert hazard_selectors.notice_days_default([calm.pk, lab.pk]) == 3
    assess_lec(org, point, 6, 6, 7)  # 252: high → 5
    assert hazard_selectors.notice_days_default([lab.pk, calm.pk]) == 5
    qs = Hazard.objects.all()
    form = NoticeForm(hazards_qs=qs, initial={"hazards": [str(lab.pk)]})
    assert form["deadline_days"].value() is None  # left empty: the risk level decides
    bound = NoticeForm({"hazards": [lab.pk], "requirements": "整改", "deadline_days": "",
                        "deadline_basis": "calendar"}, hazards_qs=qs)
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["deadline_days"] == 5
    client.force_login(org.users.staff)
    response = client.post("/api/v1/hazards/notices/",
                           {"hazard_ids": [lab.pk], "requirements": "整改"},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["deadline_days"] == 5


def test_junk_hazard_ids_fall_back_to_the_default_and_the_page_never_fails(risk, client):
    # Given query values that look like digits but are not ids ("²") or overflow the database
    lab = _hazard(risk.org, risk.org.place_a, "危化品混放")
    published(risk.org)  # moderate → 7
    junk = ["²", "1" * 23, "-1", "0", "", None, "abc"]
    assert hazard_selectors.notice_days_default(junk) == 7
    assert hazard_selectors.notice_days_default([*junk, str(lab.pk)]) == 7
    # When the office opens the notice form with them, then the page renders
    client.force_login(risk.org.users.staff)
    for value in ("²", "1" * 23):
        response = client.get("/hazards/notices/new/", {"hazard": value})
        assert response.status_code == 200


def test_a_published_major_point_makes_a_risk_following_plan_visit_every_7_days(risk):
    org = risk.org
    today = dt.date(2026, 6, 15)
    plain = PlaceFactory(building=org.building_a, campus=org.campus1, code="a1-plain")
    point = published(org)
    assess_lec(org, point, 10, 6, 40)
    org.place_a.refresh_from_db()
    assert org.place_a.risk_level == "major"
    version = published_checklist(org.users.admin, items=3, category_id=org.fire.pk)
    plan = inspections.plan_create(
        actor=org.users.admin, kind=PlanKind.RECURRING, name="按风险等级定期检查",
        template_id=version.template_id, place_ids=[org.place_a.pk, plain.pk],
        starts_on=today, by_risk_level=True, inspector_ids=[org.users.staff.pk])
    for target in plan.targets.all():
        inspection = inspections.inspection_start(actor=org.users.staff, target_id=target.pk)
        answer_all(inspection, org.users.staff)
        inspections.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                                      signer_name="王老师", signature=signature_png())
    due = dict(plan.targets.values_list("place_id", "due_on"))
    assert due == {org.place_a.pk: today + dt.timedelta(days=7),
                   plain.pk: today + dt.timedelta(days=90)}
    # Retired: the place has no level left, the next sweep spaces its visits as unrated.
    services.risk_point_retire(actor=org.users.staff, risk_point_id=point.pk, reason="已搬迁")
    with clock.frozen(local(2026, 6, 23, 9)):
        inspections.coverage_sweep()
    assert plan.targets.get(place=org.place_a).due_on == today + dt.timedelta(days=90)
