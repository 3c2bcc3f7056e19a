"""Concurrent API requests on PostgreSQL: one transition wins, the other gets 409; a retried
report with the same key creates one hazard even when both copies arrive together."""


import pytest
from django.db import connection

from safecampus.hazards.models import Hazard, Status
from safecampus.hazards.tests.helpers import fresh, reported
from safecampus.tests.threads import race

from .helpers import HAZARDS, client_for, hazard_url

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; SQLite serialises "
                    "writers, so there is no race to test (run with DATABASE_URL=postgres://…)")


def _race(calls):
    """Run each request in its own thread, released together; return the responses."""
    outcomes = race(calls)
    errors = [error for _result, error in outcomes if error is not None]
    assert not errors, errors
    return [result for result, _error in outcomes]


def test_two_officers_confirm_and_reject_at_once(org):
    # given a report both officers loaded at version 1
    hazard = reported(org)
    staff, staff2 = client_for(org.users.staff), client_for(org.users.staff2)
    # when one confirms and the other rejects at the same moment
    confirm, reject = _race([
        lambda: staff.post(hazard_url(hazard.pk, "confirm"), {"version": hazard.version},
                           format="json"),
        lambda: staff2.post(hazard_url(hazard.pk, "reject"),
                            {"version": hazard.version, "reason": "不是隐患"}, format="json"),
    ])
    # then exactly one wins and the other is told why, with 409
    codes = sorted([confirm.status_code, reject.status_code])
    assert codes == [200, 409], (confirm.content, reject.content)
    loser = confirm if confirm.status_code == 409 else reject
    assert loser.json()["code"] == "stale"
    assert fresh(hazard).status in (Status.CONFIRMED, Status.REJECTED)
    assert fresh(hazard).version == hazard.version + 1


def test_a_double_tap_with_one_key_creates_one_hazard(org):
    client_a, client_b = client_for(org.users.student), client_for(org.users.student)
    body = {"title": "楼道灯坏", "category": org.electrical.pk, "place": org.place_a.pk}
    first, second = _race([
        lambda: client_a.post(HAZARDS, body, format="json", HTTP_IDEMPOTENCY_KEY="double-tap-01"),
        lambda: client_b.post(HAZARDS, body, format="json", HTTP_IDEMPOTENCY_KEY="double-tap-01"),
    ])
    assert {first.status_code, second.status_code} <= {200, 201}, (first.content, second.content)
    assert first.json()["id"] == second.json()["id"]
    assert Hazard.objects.count() == 1
