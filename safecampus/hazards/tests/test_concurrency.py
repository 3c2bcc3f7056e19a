"""Concurrent writes on PostgreSQL: one wins, the other gets a clear conflict (house rule 4).

These tests need real row locks (``SELECT … FOR UPDATE``) and several connections, so they
run on PostgreSQL only. Each thread opens its own connection and closes it when done.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import translation

from safecampus.core import clock
from safecampus.core.errors import Conflict
from safecampus.core.models import ActivityEntry
from safecampus.hazards import services
from safecampus.hazards.models import Hazard, NoticeSequence, RectificationNotice, Status
from safecampus.notifications.models import Notification
from safecampus.tests.threads import race as _race

from .helpers import confirmed, fresh, noticed, reported, submitted

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; SQLite serialises "
                    "writers, so there is no race to test (run with DATABASE_URL=postgres://…)")
    with translation.override("en"):
        yield


@pytest.mark.parametrize("with_version", [False, True], ids=["no-version", "same-version"])
def test_two_officers_verify_at_once_one_wins(org, with_version):
    # given a hazard with evidence submitted
    hazard, _notice = submitted(org)
    version = hazard.version if with_version else None
    entries = ActivityEntry.objects.filter(verb="hazards.verify").count()
    # when two officers verify it at the same moment
    outcomes = _race([
        lambda: services.hazard_verify(actor=org.users.staff, hazard_id=hazard.pk, version=version),
        lambda: services.hazard_verify(actor=org.users.staff2, hazard_id=hazard.pk,
                                       version=version),
    ])
    # then exactly one succeeds and the other gets a Conflict, not a crash or a double close
    wins = [r for r, e in outcomes if e is None]
    errors = [e for _r, e in outcomes if e is not None]
    assert len(wins) == 1 and len(errors) == 1, outcomes
    assert isinstance(errors[0], Conflict), repr(errors[0])
    if with_version:
        assert errors[0].code == "stale"
        assert errors[0].message == ("Someone else changed this hazard while you were looking at "
                                     "it. Reload the page and try again.")
    else:
        assert errors[0].message == "This cannot be done while the hazard is “Verified and closed”."
    h = fresh(hazard)
    assert h.status == Status.CLOSED
    assert h.version == hazard.version + 1
    assert ActivityEntry.objects.filter(verb="hazards.verify").count() == entries + 1


def test_verify_racing_return_one_wins(org):
    hazard, _notice = submitted(org)
    outcomes = _race([
        lambda: services.hazard_verify(actor=org.users.staff, hazard_id=hazard.pk),
        lambda: services.hazard_return(actor=org.users.staff2, hazard_id=hazard.pk,
                                       reason="照片不清楚"),
    ])
    errors = [e for _r, e in outcomes if e is not None]
    assert len(errors) == 1 and isinstance(errors[0], Conflict), outcomes
    assert fresh(hazard).status in (Status.CLOSED, Status.RETURNED)
    assert ActivityEntry.objects.filter(
        verb__in=["hazards.verify", "hazards.return"]).count() == 1


@pytest.mark.parametrize("existing", [0, 5], ids=["first-of-year", "year-under-way"])
def test_concurrent_notices_get_consecutive_numbers(org, existing):
    at = dt.datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with clock.frozen(at):
        for _ in range(existing):
            noticed(org)
        # given N confirmed hazards of unit A
        hazards = [confirmed(org, title=f"隐患{i}") for i in range(8)]
    # when N officers issue a notice each at the same moment
    outcomes = _race([
        (lambda h=h: services.notice_issue(actor=org.users.staff, hazard_ids=[h.pk],
                                           requirements="整改", deadline_days=7))
        for h in hazards
    ], at=at)
    # then every issue succeeded and the numbers follow on with no gap and no duplicate
    assert all(e is None for _r, e in outcomes), [repr(e) for _r, e in outcomes if e]
    sequences = sorted(r.sequence for r, _e in outcomes)
    assert sequences == list(range(existing + 1, existing + 9))
    numbers = set(RectificationNotice.objects.values_list("number", flat=True))
    assert len(numbers) == existing + 8
    assert "保卫整改〔2026〕第0013号" in numbers or existing == 0
    assert NoticeSequence.objects.get(year=2026).last_number == existing + 8
    assert all(fresh(h).status == Status.NOTICE_ISSUED for h in hazards)


def test_concurrent_notices_for_the_same_hazard_issue_one(org):
    hazard = confirmed(org)
    outcomes = _race([
        lambda: services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                      requirements="整改", deadline_days=7),
        lambda: services.notice_issue(actor=org.users.staff2, hazard_ids=[hazard.pk],
                                      requirements="整改", deadline_days=7),
    ])
    errors = [e for _r, e in outcomes if e is not None]
    assert len(errors) == 1 and isinstance(errors[0], Conflict), outcomes
    assert RectificationNotice.objects.count() == 1
    # the loser's number was released with its rollback: no gap
    assert NoticeSequence.objects.get().last_number == 1


def test_double_tap_report_creates_one_hazard(org):
    outcomes = _race([
        lambda: reported(org, idempotency_key="double-tap-123456"),
        lambda: reported(org, idempotency_key="double-tap-123456"),
    ])
    assert all(e is None for _r, e in outcomes), outcomes
    assert outcomes[0][0].pk == outcomes[1][0].pk
    assert Hazard.objects.count() == 1
    assert Notification.objects.filter(recipient=org.users.staff, verb="hazards.report").count() == 1


def test_overlapping_sweeps_notify_once(org):
    shanghai = ZoneInfo("Asia/Shanghai")
    with clock.frozen(dt.datetime(2026, 11, 2, 10, 0, tzinfo=shanghai)):
        hazard, _notice = noticed(org)
    # when two sweeps run at the same instant, long after the deadline
    at = dt.datetime(2026, 11, 20, 9, 0, tzinfo=shanghai)
    outcomes = _race([services.hazard_deadline_sweep, services.hazard_deadline_sweep], at=at)
    assert all(e is None for _r, e in outcomes), outcomes
    # then each step happened once and each person was told once
    assert fresh(hazard).escalation_level == 2
    for user, verb in ((org.users.contact_a, "hazards.overdue"),
                       (org.users.leader_a, "hazards.escalate"),
                       (org.users.admin, "hazards.escalate")):
        assert Notification.objects.filter(recipient=user, verb=verb).count() == 1, (user, verb)
    assert sum(o[0]["overdue"] for o in outcomes) == 1


def test_double_tap_notice_issue_returns_the_same_notice(org):
    # given the office taps "issue" twice on the same form (same idempotency key)
    hazard = confirmed(org)
    outcomes = _race([
        (lambda: services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                       requirements="整改", deadline_days=7,
                                       idempotency_key="notice-tap-123456"))
    ] * 2)
    # then both requests answer with the one notice, and one number was used
    assert all(e is None for _r, e in outcomes), outcomes
    assert outcomes[0][0].pk == outcomes[1][0].pk
    assert RectificationNotice.objects.count() == 1
    assert NoticeSequence.objects.get().last_number == 1


def test_double_tap_evidence_returns_the_same_evidence(org):
    from safecampus.hazards.models import Evidence
    from safecampus.tests.factories import photo_upload

    from .helpers import rectifying

    hazard, _notice = rectifying(org)
    version = fresh(hazard).version
    outcomes = _race([
        (lambda: services.evidence_submit(actor=org.users.contact_a, hazard_id=hazard.pk,
                                          version=version, text="已整改", photos=[photo_upload()],
                                          idempotency_key="evidence-tap-123456"))
    ] * 2)
    assert all(e is None for _r, e in outcomes), outcomes
    assert outcomes[0][0].pk == outcomes[1][0].pk
    assert Evidence.objects.count() == 1
    assert fresh(hazard).status == Status.EVIDENCE_SUBMITTED
