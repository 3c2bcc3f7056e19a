"""Who may see and do what through the API, role by role, against a hazard of unit A.

The hazard was reported by a student at a lab of unit A (campus 1, zone 1). Users who may
not see it get 404 on every route (no existence leak); users who see it but may not act get
403; nothing changes either way.
"""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.hazards.models import Hazard, RectificationNotice
from safecampus.hazards.tests.helpers import (
    acknowledged,
    noticed,
    rectifying,
    reported,
    submitted,
)
from safecampus.tests.factories import photo_upload

from .helpers import HAZARDS, NOTICES, client_for, hazard_url, notice_url

pytestmark = pytest.mark.django_db

ALL = ["admin", "staff", "staff2", "guard", "grid", "contact_a", "leader_a", "contact_b",
       "contact_log", "police", "leadership", "student", "student2"]
# hazards.view_hazard for this hazard: office, leadership, campus guard, zone grid officer,
# unit A's contact and leader, and the reporter.
SEES_HAZARD = {"admin", "staff", "staff2", "guard", "grid", "contact_a", "leader_a",
               "leadership", "student"}
# notice_list_visible_to: the office and leadership all; a unit its own.
SEES_NOTICE = {"admin", "staff", "staff2", "leadership", "contact_a", "leader_a"}
OFFICE = {"admin", "staff", "staff2"}
UNIT_A = {"contact_a", "leader_a"}
NO_LEDGER = {"student", "student2"}  # like the ledger page: 403 (they have "mine/")


def expected(name: str, allowed: set[str], sees: set[str] = SEES_HAZARD) -> int:
    if name in allowed:
        return 200
    return 403 if name in sees else 404


@pytest.mark.parametrize("name", ALL)
def test_detail_and_list_show_a_unit_a_hazard_only_to_who_may_see_it(org, name):
    # given a hazard of unit A and one of unit B
    hazard = reported(org)
    other = reported(org, place_id=org.place_b.pk, reporter=org.users.student2,
                     title="机械楼消防通道堵塞")
    client = client_for(getattr(org.users, name))
    # when the user asks for the hazard and the ledger
    detail = client.get(hazard_url(hazard.pk))
    listing = client.get(HAZARDS, {"page_size": 200})
    # then
    assert detail.status_code == (200 if name in SEES_HAZARD else 404)
    if name in NO_LEDGER:
        assert listing.status_code == 403
        assert listing.json()["code"] == "not_allowed"
        return
    assert listing.status_code == 200
    ids = {row["id"] for row in listing.json()["results"]}
    assert (hazard.pk in ids) == (name in SEES_HAZARD)
    # unit B's hazard (campus 2, no zone) is seen by the office, leadership and unit B only
    assert (other.pk in ids) == (name in {"admin", "staff", "staff2", "leadership", "contact_b"})
    if name not in SEES_HAZARD:
        assert "灭火器过期" not in listing.content.decode()
        assert "灭火器过期" not in detail.content.decode()


@pytest.mark.parametrize("name", ALL)
def test_confirm_and_reject_are_the_offices(org, name):
    hazard = reported(org)
    client = client_for(getattr(org.users, name))
    response = client.post(hazard_url(hazard.pk, "confirm"), {}, format="json")
    assert response.status_code == expected(name, OFFICE)
    status = Hazard.objects.get(pk=hazard.pk).status
    assert status == ("confirmed" if name in OFFICE else "reported")
    if name not in OFFICE:
        response = client.post(hazard_url(hazard.pk, "reject"), {"reason": "x"}, format="json")
        assert response.status_code == expected(name, OFFICE)
        assert Hazard.objects.get(pk=hazard.pk).status == "reported"


@pytest.mark.parametrize("name", ALL)
def test_notice_detail_pdf_and_acknowledge_belong_to_the_unit(org, name):
    hazard, notice = noticed(org)
    client = client_for(getattr(org.users, name))
    detail = client.get(notice_url(notice.pk))
    pdf = client.get(notice_url(notice.pk, "pdf"))
    assert detail.status_code == (200 if name in SEES_NOTICE else 404)
    assert pdf.status_code == (200 if name in SEES_NOTICE else 404)
    if name in SEES_NOTICE:
        assert pdf["Content-Type"] == "application/pdf"
    else:
        assert pdf["Content-Type"] == "application/json"
        assert notice.number not in pdf.content.decode()
    response = client.post(notice_url(notice.pk, "acknowledge"))
    assert response.status_code == expected(name, UNIT_A, SEES_NOTICE)
    state = RectificationNotice.objects.get(pk=notice.pk).state
    assert state == ("acknowledged" if name in UNIT_A else "issued")


@pytest.mark.parametrize("name", ALL)
def test_start_and_evidence_belong_to_the_unit(org, name):
    hazard, _ = acknowledged(org)
    client = client_for(getattr(org.users, name))
    response = client.post(hazard_url(hazard.pk, "start-rectification"), {}, format="json")
    assert response.status_code == expected(name, UNIT_A)
    assert Hazard.objects.get(pk=hazard.pk).status == (
        "rectifying" if name in UNIT_A else "acknowledged")


@pytest.mark.parametrize("name", ALL)
def test_evidence_belongs_to_the_unit(org, name):
    hazard, _ = rectifying(org)
    client = client_for(getattr(org.users, name))
    response = client.post(hazard_url(hazard.pk, "evidence"),
                           {"text": "已整改", "photos": [photo_upload()]}, format="multipart")
    assert response.status_code == expected(name, UNIT_A)
    assert Hazard.objects.get(pk=hazard.pk).evidence.count() == (1 if name in UNIT_A else 0)


@pytest.mark.parametrize("name", ALL)
def test_verify_is_the_offices(org, name):
    hazard, _ = submitted(org)
    client = client_for(getattr(org.users, name))
    response = client.post(hazard_url(hazard.pk, "verify"), {}, format="json")
    assert response.status_code == expected(name, OFFICE)
    assert Hazard.objects.get(pk=hazard.pk).status == (
        "closed" if name in OFFICE else "evidence_submitted")


@pytest.mark.parametrize("name", ALL)
def test_extension_decisions_are_the_offices(org, name):
    from safecampus.hazards import services

    hazard, _ = acknowledged(org)
    extension = services.extension_request(actor=org.users.contact_a, hazard_id=hazard.pk,
                                           requested_deadline=clock.local_today() + dt.timedelta(days=90),
                                           reason="采购")
    client = client_for(getattr(org.users, name))
    response = client.post(f"/api/v1/hazards/extensions/{extension.pk}/decide/",
                           {"decision": "refuse", "comment": "不同意"}, format="json")
    assert response.status_code == expected(name, OFFICE)
    extension.refresh_from_db()
    assert extension.state == ("refused" if name in OFFICE else "pending")


def test_notice_issue_is_the_offices_and_unknown_ids_are_404(org):
    from safecampus.hazards.tests.helpers import confirmed

    hazard = confirmed(org)
    for name in ("contact_a", "leadership", "guard", "student"):
        response = client_for(getattr(org.users, name)).post(
            NOTICES, {"hazard_ids": [hazard.pk], "requirements": "整改", "deadline_days": 7},
            format="json")
        assert response.status_code == 403, name
    assert not RectificationNotice.objects.exists()
    staff = client_for(org.users.staff)
    assert staff.get(hazard_url(999999)).status_code == 404
    assert staff.post(hazard_url(999999, "confirm"), {}, format="json").status_code == 404
    assert staff.get(notice_url(999999, "pdf")).status_code == 404
    assert staff.post("/api/v1/hazards/extensions/999999/decide/", {"decision": "grant"},
                      format="json").status_code == 404
