"""Fraud reports under concurrency (PostgreSQL): two handlers receiving one report at once,
one wins and the other gets a clear conflict; one submission sent twice at once with the same
key makes one report."""

import pytest
from django.db import connection
from django.utils import translation

from safecampus.accounts.models import Role
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict
from safecampus.education.models import FraudReport
from safecampus.education.services import reports as services
from safecampus.tests.factories import user_with_role
from safecampus.tests.threads import race

from .library_helpers import NOW, report, student

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def _postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; SQLite serialises "
                    "writers, so there is no race to test (run with DATABASE_URL=postgres://…)")


def _receive(actor, report_id):
    with translation.override("en"):
        return services.fraud_report_receive(actor=actor, report_id=report_id)


def test_two_liaisons_receiving_at_once_one_wins_the_other_is_told(_postgres, org):
    reporter = student(org, "racer")
    other = user_with_role(Role.POLICE_LIAISON, username="police_other")
    made = report(reporter)
    outcomes = race([lambda u=u: _receive(u, made.pk) for u in (org.users.police, other)])
    errors = [error for _outcome, error in outcomes if error]
    assert len(errors) == 1 and isinstance(errors[0], Conflict)
    assert errors[0].message == ("This cannot be done while the report is “Received by the "
                                 "police liaison”.")
    made.refresh_from_db()
    assert made.state == "received"
    assert [e.verb for e in activity_for(made)].count("education.fraud_report_receive") == 1


def test_one_report_sent_twice_at_once_is_stored_once(_postgres, org):
    reporter = student(org, "twice")
    # The service itself (the report() helper's refresh_from_db flips the FSM field's
    # class-wide "protected" flag, which is not thread-safe).
    outcomes = race([lambda: services.fraud_report_submit(
        actor=reporter, channel="sms", occurred_on=NOW.date(), description="twice",
        idempotency_key="same-key-0001") for _ in range(3)], at=NOW)
    assert [error for _outcome, error in outcomes if error] == []
    assert len({outcome.pk for outcome, _error in outcomes}) == 1
    assert FraudReport.objects.count() == 1
