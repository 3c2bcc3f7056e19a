"""Helpers of the library and fraud report tests: English messages, the seeded taxonomy,
a student with an affiliation, a case, a report."""

import datetime as dt

import pytest
from django.utils import translation

from safecampus.accounts.models import Affiliation, Role
from safecampus.core import clock
from safecampus.education.models import FraudReport, FraudType
from safecampus.education.services import library as library_services
from safecampus.education.services import reports as report_services
from safecampus.tests.factories import user_with_role

ZONE = clock.local_zone()
#: A fixed "now" for the tests: 2026-03-10 10:00 Beijing time.
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=ZONE)


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture(name="taxonomy")
def taxonomy_fixture(db):
    """The seeded fraud types by code (import this as ``taxonomy_fixture``)."""
    library_services.fraud_types_seed()
    return {t.code: t for t in FraudType.objects.all()}


def student(org, username, *, unit=None, campus=None) -> object:
    """A student (community member) of ``unit`` (default unit A) on ``campus`` (campus 1)."""
    user = user_with_role(Role.COMMUNITY_MEMBER, username=username)
    Affiliation.objects.create(user=user, kind=Affiliation.Kind.STUDENT,
                               college=unit or org.unit_a, campus=campus or org.campus1)
    return user


def case(org, fraud_type, **kwargs):
    values = {"title": "A student paid for a 'task' app", "story": "She was asked to pay.",
              **kwargs}
    return library_services.fraud_case_create(actor=org.users.staff,
                                              fraud_type_id=fraud_type.pk, **values)


def report(actor, *, at=NOW, **kwargs):
    values = {"channel": "sms", "occurred_on": at.astimezone(ZONE).date(),
              "description": "A message asked me to pay a deposit.", **kwargs}
    with clock.frozen(at):
        made = report_services.fraud_report_submit(actor=actor, **values)
    # created_at is filled by the database clock: set it to the report's replayed time.
    FraudReport.objects.filter(pk=made.pk).update(created_at=at)
    made.refresh_from_db()
    return made
