"""Random input never breaks the API: every answer is 2xx or a 400/403/404/409 in the
uniform error shape, never a 500 (property-based, with hypothesis)."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safecampus.hazards.tests.helpers import acknowledged, reported

from .helpers import HAZARDS, NOTICES, client_for, hazard_url, notice_url

pytestmark = pytest.mark.django_db

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat),
    st.lists(st.integers(min_value=-(2**70), max_value=2**70), max_size=3),
    st.lists(st.dictionaries(st.sampled_from(["title", "due_date"]), st.text(max_size=10)),
             max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
FIELDS = ["title", "category", "campus", "building", "place", "location_text", "description",
          "map_x", "map_y", "is_anonymous", "grade", "source", "version", "comment", "reason",
          "duplicate_of", "responsible_unit", "text", "requested_deadline", "plan",
          "interim_measures", "person_in_charge", "funding", "milestones", "decision",
          "hazard_ids", "requirements", "deadline_days", "deadline_basis"]
BODIES = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6)
ACTIONS = ["confirm", "reject", "duplicate", "fix-on-spot", "start-rectification", "evidence",
           "verify", "return", "relocate", "extension-request", "plan"]
QUERY = st.dictionaries(
    st.sampled_from(["campus", "unit", "category", "grade", "status", "overdue", "source",
                     "date_from", "date_to", "q", "page", "page_size"]),
    st.one_of(st.text(max_size=12), st.integers(min_value=-(2**70), max_value=2**70).map(str)),
    max_size=5,
)
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def assert_sane(response):
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"detail", "code", "errors"}, body
        assert isinstance(body["detail"], str) and body["detail"]


@FUZZ
@given(body=BODIES, action=st.sampled_from(ACTIONS), who=st.sampled_from(["staff", "contact_a"]))
def test_transitions_take_any_body(org, body, action, who):
    hazard = reported(org)
    acked, _ = acknowledged(org)
    client = client_for(getattr(org.users, who))
    for pk in (hazard.pk, acked.pk):
        assert_sane(client.post(hazard_url(pk, action), body, format="json"))


@FUZZ
@given(body=BODIES, pk=st.integers(min_value=0, max_value=2**70))
def test_report_notice_and_decide_take_any_body(org, body, pk):
    staff = client_for(org.users.staff)
    assert_sane(staff.post(HAZARDS, body, format="json"))
    assert_sane(staff.post(NOTICES, body, format="json"))
    assert_sane(staff.post(f"/api/v1/hazards/extensions/{pk}/decide/", body, format="json"))
    assert_sane(staff.get(hazard_url(pk)))
    assert_sane(staff.get(notice_url(pk)))
    assert_sane(staff.post(hazard_url(pk, "verify"), body, format="json"))


@FUZZ
@given(query=QUERY)
def test_the_ledger_takes_any_query(org, query):
    response = client_for(org.users.contact_a).get(HAZARDS, query)
    assert_sane(response)
    if response.status_code == 200:
        assert isinstance(response.json()["results"], list)


@FUZZ
@given(ids=st.lists(st.integers(min_value=-(2**70), max_value=2**70), max_size=4),
       days=st.integers(min_value=-(2**70), max_value=2**70))
def test_notice_issue_takes_any_ids_and_days(org, ids, days):
    response = client_for(org.users.staff).post(NOTICES, {
        "hazard_ids": ids, "requirements": "整改", "deadline_days": days}, format="json")
    assert_sane(response)
    assert response.status_code != 201 or ids  # nothing is issued without hazards


def test_ids_beyond_64_bits_are_field_errors_not_crashes(org):
    staff = client_for(org.users.staff)
    big = 2**64
    response = staff.post(NOTICES, {"hazard_ids": [big], "requirements": "整改",
                                    "deadline_days": 3}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["hazard_ids"]
    response = staff.post(HAZARDS, {"title": "x", "category": big, "place": big}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"category", "place"}
    assert staff.get(HAZARDS, {"campus": big}).status_code == 400
    assert staff.get(hazard_url(big)).status_code == 404
