"""Checker rule sets under concurrency (PostgreSQL): two versions published at the same
moment, one goes live, the other publisher is told (a Conflict, not a database error), and
exactly one version is live afterwards."""

import pytest
from django.db import connection

from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict
from safecampus.education.models import CheckerRuleSet
from safecampus.education.services import checker as services
from safecampus.tests.threads import race

from .checker_helpers import _fresh_checker, no_corpus, taxonomy

FIXTURES = (_fresh_checker, no_corpus, taxonomy)  # the helpers' fixtures, requested by name

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
State = CheckerRuleSet.State
LABELLED = "label,content\n0,明天下午三点开班会\n0,取件码 1-2-3\n1,你涉嫌洗钱，请转到安全账户\n".encode()


@pytest.fixture
def _postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; SQLite serialises "
                    "writers, so there is no race to test (run with DATABASE_URL=postgres://…)")


def _evaluated(staff) -> CheckerRuleSet:
    ruleset = services.checker_ruleset_create(actor=staff, note="race")
    return services.checker_ruleset_evaluate(actor=staff, ruleset_id=ruleset.pk,
                                             upload=LABELLED, upload_name="race.csv")


def test_two_versions_published_at_once_one_goes_live_the_other_is_told(
        _postgres, org, taxonomy, no_corpus, settings):
    services.checker_rules_seed(actor=None)
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_MIN_ORDINARY": 2}
    admin = org.users.admin
    v2, v3 = _evaluated(org.users.staff), _evaluated(org.users.staff)
    outcomes = race([lambda pk=pk: services.checker_ruleset_publish(actor=admin, ruleset_id=pk)
                     for pk in (v2.pk, v3.pk)])
    errors = [error for _outcome, error in outcomes if error]
    assert len(errors) == 1 and isinstance(errors[0], Conflict), errors
    assert errors[0].message == ("Another version was published at the same moment. Reload "
                                 "the page to see which version is live.")
    live = CheckerRuleSet.objects.get(state=State.LIVE)
    loser = v3 if live.pk == v2.pk else v2
    loser.refresh_from_db()
    assert loser.state == State.EVALUATED
    assert CheckerRuleSet.objects.get(version=1).state == State.RETIRED
    assert [e.verb for e in activity_for(loser)].count(
        "education.checker_ruleset_publish") == 0


def test_one_version_published_twice_at_once_goes_live_once(_postgres, org, taxonomy,
                                                            no_corpus, settings):
    services.checker_rules_seed(actor=None)
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_MIN_ORDINARY": 2}
    admin = org.users.admin
    v2 = _evaluated(org.users.staff)
    outcomes = race([lambda: services.checker_ruleset_publish(actor=admin, ruleset_id=v2.pk)
                     for _ in range(2)])
    errors = [error for _outcome, error in outcomes if error]
    assert len(errors) == 1 and isinstance(errors[0], Conflict), errors
    v2.refresh_from_db()
    assert v2.state == State.LIVE
    assert [e.verb for e in activity_for(v2)].count("education.checker_ruleset_publish") == 1
