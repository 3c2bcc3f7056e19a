"""Two office members assigning the same guard to overlapping bookings at the same moment
(PostgreSQL row locks): the staff's rows are locked before the overlap check, so one
succeeds and the other is refused naming the first booking."""
# ruff: noqa: F811  (fixtures imported from bookings_helpers)

import datetime as dt

import pytest
from django.db import connection
from django.utils import translation

from safecampus.community.models import ServiceAssignment, ServiceRequest
from safecampus.community.services import bookings as services
from safecampus.core.errors import DomainError
from safecampus.tests.threads import race

from .bookings_helpers import NOW, book, catalogue, local  # noqa: F401

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; SQLite serialises "
                    "writers, so there is no race to test (run with DATABASE_URL=postgres://…)")
    with translation.override("en"):
        yield


def test_two_accepts_with_the_same_guard_at_once_one_is_refused(catalogue):
    users = catalogue.users
    # different services for different units: locking the two requests (and their service
    # and unit rows) does not serialise the two accepts
    first = book(catalogue)
    second = book(catalogue, item="drill", actor=users.contact_b, unit=catalogue.org.unit_b,
                  campus_id=catalogue.org.campus2.pk, place_id=catalogue.org.place_b.pk)

    def accept(request, staff, hour):
        return lambda: services.service_request_accept(
            actor=staff, request_id=request.pk, scheduled_start=local(2026, 6, 22, hour),
            scheduled_end=local(2026, 6, 22, hour) + dt.timedelta(hours=2),
            staff_ids=[users.staff2.pk, users.guard.pk], lead_id=users.guard.pk)

    outcomes = race([accept(first, users.staff, 14), accept(second, users.admin, 15)], at=NOW)
    errors = [e for _r, e in outcomes if e is not None]
    assert len(errors) == 1 and isinstance(errors[0], DomainError), outcomes
    winner = first if outcomes[0][1] is None else second
    loser = second if winner is first else first
    names = {u.full_name or u.username for u in (users.staff2, users.guard)}
    refused = errors[0].field_errors["staff"]
    assert {m.split(" is already assigned to ")[0] for m in refused} == names
    assert all(f" is already assigned to {winner.number} (" in m for m in refused)
    states = dict(ServiceRequest.objects.values_list("pk", "state"))
    assert (states[winner.pk], states[loser.pk]) == ("accepted", "submitted")
    assert ServiceAssignment.objects.filter(user=users.guard).count() == 1
