"""Two office members triaging one concern at the same moment (PostgreSQL row locks): one
wins, the other gets a clear Conflict and nothing is written twice."""

import pytest
from django.db import connection
from django.utils import translation

from safecampus.community.models import Concern
from safecampus.community.services import concerns as services
from safecampus.core.errors import Conflict
from safecampus.core.models import ActivityEntry
from safecampus.tests.threads import race

from .helpers import NOW, submit

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; SQLite serialises "
                    "writers, so there is no race to test (run with DATABASE_URL=postgres://…)")
    with translation.override("en"):
        yield


def test_answer_and_plan_at_once_one_wins(community):
    # given a submitted concern both office members opened
    concern = submit(community)
    version = services.concern_version(concern)
    # when one answers and the other plans it at the same moment
    outcomes = race([
        lambda: services.concern_answer(actor=community.users.staff, concern_id=concern.pk,
                                        answer="已答复", version=version),
        lambda: services.concern_fix(actor=community.users.staff2, concern_id=concern.pk,
                                     answer="已整改", version=version),
    ], at=NOW)
    # then exactly one wins; the other is told someone changed it
    errors = [e for _r, e in outcomes if e is not None]
    assert len(errors) == 1 and isinstance(errors[0], Conflict), outcomes
    assert errors[0].message == ("Concern SQ-2026-000001 was changed by someone else a moment "
                                 "ago. Reload the page and try again.")
    concern = Concern.objects.get(pk=concern.pk)
    assert concern.state == Concern.State.CLOSED
    assert ActivityEntry.objects.filter(target_id=concern.pk,
                                        verb__in=["community.answer", "community.fix"]).count() == 1


def test_two_closings_without_a_version_one_conflict(community):
    concern = submit(community)
    outcomes = race([
        lambda: services.concern_answer(actor=community.users.staff, concern_id=concern.pk,
                                        answer="已答复"),
        lambda: services.concern_answer(actor=community.users.staff2, concern_id=concern.pk,
                                        answer="也答复"),
    ], at=NOW)
    errors = [e for _r, e in outcomes if e is not None]
    assert len(errors) == 1 and isinstance(errors[0], Conflict), outcomes
    assert errors[0].message == ("Concern SQ-2026-000001 is now “Closed”; that cannot be done "
                                 "to it any more. Reload the page to see what changed.")
