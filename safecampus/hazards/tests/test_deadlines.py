"""Deadlines of the hazard loop: reminders, overdue, escalation, extensions, working days.

Time is frozen with :func:`safecampus.core.clock.frozen`; a sweep "at" an instant is run
inside ``frozen(instant)``. Notifications go out on commit, so sweeps run with the on-commit
callbacks executed. The rules are idempotent: the tests count Notification rows per
recipient and verb after re-running the sweep.
"""

import datetime as dt
import os
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from safecampus.core import clock
from safecampus.hazards import selectors, services
from safecampus.hazards.models import DeadlineBasis, Hazard
from safecampus.notifications.models import Notification

from .helpers import confirmed, fresh

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Monday 2 November 2026, 10:00 in Shanghai: an ordinary working day.
ISSUED_AT = dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
#: 7 calendar days later, end of the local day.
DEADLINE = dt.datetime(2026, 11, 9, 23, 59, 59, 999999, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def escalation(settings):
    """Explicit escalation days so the test shows the settings are obeyed."""
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "REMINDER_HOURS_BEFORE_DEADLINE": 24,
                           "ESCALATE_TO_UNIT_LEADER_AFTER_DAYS": 2,
                           "ESCALATE_TO_OFFICE_HEAD_AFTER_DAYS": 5}
    return settings.SAFECAMPUS


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    def run(at: dt.datetime) -> dict:
        with clock.frozen(at), django_capture_on_commit_callbacks(execute=True):
            return services.hazard_deadline_sweep()
    return run


def _issue(org, *, at=ISSUED_AT, days=7, basis=DeadlineBasis.CALENDAR_DAYS, **kwargs):
    with clock.frozen(at):
        hazard = confirmed(org, **kwargs)
        notice = services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                       requirements="限期整改", deadline_days=days,
                                       deadline_basis=basis)
    return fresh(hazard), notice


def _count(user, verb) -> int:
    return Notification.objects.filter(recipient=user, verb=verb).count()


def _tally(org) -> dict:
    """(recipient, verb) → number of notifications, for the deadline verbs."""
    verbs = ("hazards.deadline_reminder", "hazards.overdue", "hazards.escalate")
    rows = Notification.objects.filter(verb__in=verbs).values_list("recipient__username", "verb")
    tally: dict = {}
    for row in rows:
        tally[row] = tally.get(row, 0) + 1
    return tally


def test_date_only_deadline_ends_at_the_end_of_the_local_day(org, sweep):
    # given a notice issued on Monday 2 Nov with 7 calendar days
    hazard, notice = _issue(org)
    # then the deadline is 9 Nov 23:59:59 in Shanghai (15:59:59 UTC), on notice and hazard
    assert notice.deadline == DEADLINE == hazard.deadline
    assert notice.deadline.astimezone(dt.UTC).replace(microsecond=0) == dt.datetime(
        2026, 11, 9, 15, 59, 59, tzinfo=dt.UTC)
    assert clock.end_of_local_day(dt.date(2026, 11, 9)) == DEADLINE
    # when the sweep runs at the last second of that day / then it is not overdue yet
    sweep(dt.datetime(2026, 11, 9, 23, 59, 59, tzinfo=SHANGHAI))
    assert fresh(hazard).is_overdue is False
    # and a second after local midnight it is
    sweep(dt.datetime(2026, 11, 10, 0, 0, 0, tzinfo=SHANGHAI))
    assert fresh(hazard).is_overdue is True


def test_reminder_goes_to_the_safety_contact_once_before_the_deadline(org, sweep, escalation):
    hazard, _notice = _issue(org)
    # given 30 hours before the deadline: outside the 24-hour reminder window
    counts = sweep(DEADLINE - dt.timedelta(hours=30))
    assert counts["reminded"] == 0
    assert _count(org.users.contact_a, "hazards.deadline_reminder") == 0
    # when the sweep runs 23 hours before the deadline
    counts = sweep(DEADLINE - dt.timedelta(hours=23))
    # then the unit's safety contact is reminded, with the local deadline in the title
    assert counts["reminded"] == 1
    note = Notification.objects.get(recipient=org.users.contact_a,
                                    verb="hazards.deadline_reminder")
    assert note.title == "Rectification due by 2026-11-09 23:59: 灭火器过期"
    assert note.url == f"/hazards/{hazard.pk}/"
    assert _count(org.users.leader_a, "hazards.deadline_reminder") == 0
    assert _count(org.users.contact_b, "hazards.deadline_reminder") == 0
    # and re-running (later, and twice at the same instant) sends nothing more
    for at in (DEADLINE - dt.timedelta(hours=5), DEADLINE - dt.timedelta(hours=5),
               DEADLINE - dt.timedelta(minutes=1)):
        assert sweep(at)["reminded"] == 0
    assert _count(org.users.contact_a, "hazards.deadline_reminder") == 1
    assert fresh(hazard).is_overdue is False


def test_overdue_then_escalation_to_unit_leader_then_office_head(org, sweep, escalation):
    hazard, _notice = _issue(org)
    sweep(DEADLINE - dt.timedelta(hours=2))  # the reminder
    # when the deadline has passed
    counts = sweep(DEADLINE + dt.timedelta(minutes=1))
    # then the hazard is overdue and the safety contact is told, nobody else yet
    assert counts["overdue"] == 1
    h = fresh(hazard)
    assert (h.is_overdue, h.escalation_level) == (True, 0)
    assert Notification.objects.get(recipient=org.users.contact_a, verb="hazards.overdue").title \
        == "Overdue since 2026-11-09 23:59: 灭火器过期"
    assert _count(org.users.leader_a, "hazards.escalate") == 0
    with clock.frozen(DEADLINE + dt.timedelta(minutes=2)):  # the ledger's overdue filter agrees
        overdue_rows = selectors.hazard_ledger(org.users.staff, selectors.LedgerFilters(overdue=True))
        assert list(overdue_rows.values_list("pk", flat=True)) == [hazard.pk]
    # just before ESCALATE_TO_UNIT_LEADER_AFTER_DAYS (2) the leader is not bothered
    assert sweep(DEADLINE + dt.timedelta(days=2) - dt.timedelta(minutes=1))[
        "escalated_to_unit_leader"] == 0
    assert fresh(hazard).escalation_level == 0
    # after it, the unit leader gets the escalation (督办 1)
    counts = sweep(DEADLINE + dt.timedelta(days=2, minutes=1))
    assert counts["escalated_to_unit_leader"] == 1
    assert fresh(hazard).escalation_level == 1
    assert Notification.objects.get(recipient=org.users.leader_a, verb="hazards.escalate").title \
        == "Escalated to you: overdue since 2026-11-09 23:59: 灭火器过期"
    assert _count(org.users.admin, "hazards.escalate") == 0
    # just before ESCALATE_TO_OFFICE_HEAD_AFTER_DAYS (5) the office head is not bothered
    sweep(DEADLINE + dt.timedelta(days=5) - dt.timedelta(minutes=1))
    assert fresh(hazard).escalation_level == 1
    # after it, the office administrator gets it (督办 2), staff do not
    counts = sweep(DEADLINE + dt.timedelta(days=5, minutes=1))
    assert counts["escalated_to_office_head"] == 1
    assert fresh(hazard).escalation_level == 2
    assert Notification.objects.get(recipient=org.users.admin, verb="hazards.escalate").title == (
        "Escalated to the office head: overdue since 2026-11-09 23:59: 灭火器过期")
    assert _count(org.users.staff, "hazards.escalate") == 0
    # and any number of re-runs, twice at the same instant too, sends nothing new
    before = _tally(org)
    for at in (DEADLINE + dt.timedelta(days=6),) * 2 + (DEADLINE + dt.timedelta(days=30),):
        assert sum(sweep(at).values()) == 0
    assert _tally(org) == before == {
        ("contact_a", "hazards.deadline_reminder"): 1,
        ("contact_a", "hazards.overdue"): 1,
        ("leader_a", "hazards.escalate"): 1,
        ("admin1", "hazards.escalate"): 1,
    }
    # every step is on the timeline, without an actor (the system did it)
    from safecampus.core.activity import activity_for

    steps = list(activity_for(hazard).filter(verb__in=["hazards.remind", "hazards.overdue",
                                                        "hazards.escalate"]))
    assert [(e.verb, e.data.get("level")) for e in steps] == [
        ("hazards.remind", None), ("hazards.overdue", 0), ("hazards.escalate", 1),
        ("hazards.escalate", 2)]
    assert all(e.actor is None for e in steps)


def test_a_late_first_sweep_does_every_step_once(org, sweep, escalation):
    # given the consumer was down: the first sweep runs 10 days after the deadline
    hazard, _notice = _issue(org)
    counts = sweep(DEADLINE + dt.timedelta(days=10))
    # then it marks overdue and escalates to both levels in one pass, no reminder any more
    assert counts == {"reminded": 0, "overdue": 1, "escalated_to_unit_leader": 1,
                      "escalated_to_office_head": 1}
    assert fresh(hazard).escalation_level == 2
    sweep(DEADLINE + dt.timedelta(days=10))
    assert _tally(org) == {("contact_a", "hazards.overdue"): 1, ("leader_a", "hazards.escalate"): 1,
                           ("admin1", "hazards.escalate"): 1}


def test_closed_and_rerouted_hazards_are_not_chased(org, sweep):
    from .helpers import submitted

    with clock.frozen(ISSUED_AT):
        closed, _n = submitted(org)
        services.hazard_verify(actor=org.users.staff, hazard_id=closed.pk)
        waiting, _n = submitted(org, title="电线裸露")  # evidence in: the office owes the next step
    assert sum(sweep(DEADLINE + dt.timedelta(days=10)).values()) == 0
    assert Notification.objects.filter(verb__in=["hazards.overdue", "hazards.escalate"]).count() == 0
    assert fresh(waiting).is_overdue is False


def test_granted_extension_clears_overdue(org, sweep, escalation):
    # given an overdue, escalated hazard
    hazard, _notice = _issue(org)
    sweep(DEADLINE + dt.timedelta(days=3))
    assert (fresh(hazard).is_overdue, fresh(hazard).escalation_level) == (True, 1)
    later = DEADLINE + dt.timedelta(days=3, hours=1)
    with clock.frozen(later):
        assert selectors.hazard_ledger(org.users.staff, selectors.LedgerFilters(overdue=True)).filter(
            pk=hazard.pk).exists()
        # when the unit asks for a new deadline and the office grants it
        request = services.extension_request(actor=org.users.contact_a, hazard_id=hazard.pk,
                                             requested_deadline=dt.date(2026, 11, 30),
                                             reason="配件需要订购")
        services.extension_decide(actor=org.users.staff, extension_id=request.pk, grant=True)
        # then it is no longer overdue, the escalation is reset and the ledger agrees
        h = fresh(hazard)
        assert h.deadline == dt.datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=SHANGHAI)
        assert (h.is_overdue, h.escalation_level) == (False, 0)
        assert not selectors.hazard_ledger(
            org.users.staff, selectors.LedgerFilters(overdue=True)).filter(pk=hazard.pk).exists()
    # and the sweep leaves it alone until the new deadline
    assert sum(sweep(later + dt.timedelta(hours=1)).values()) == 0
    assert fresh(hazard).is_overdue is False
    # after the new deadline it is overdue again, told once more for the new deadline
    sweep(dt.datetime(2026, 12, 1, 0, 1, tzinfo=SHANGHAI))
    assert fresh(hazard).is_overdue is True
    titles = sorted(Notification.objects.filter(recipient=org.users.contact_a,
                                                verb="hazards.overdue").values_list("title",
                                                                                    flat=True))
    assert titles == ["Overdue since 2026-11-09 23:59: 灭火器过期",
                      "Overdue since 2026-11-30 23:59: 灭火器过期"]


def test_extension_granted_after_the_new_date_has_passed_stays_overdue(org, sweep):
    hazard, _notice = _issue(org)
    sweep(DEADLINE + dt.timedelta(days=20))
    with clock.frozen(DEADLINE + dt.timedelta(days=20)):
        request = services.extension_request(actor=org.users.contact_a, hazard_id=hazard.pk,
                                             requested_deadline=dt.date(2026, 11, 20),
                                             reason="迟到的申请")
        services.extension_decide(actor=org.users.staff, extension_id=request.pk, grant=True)
    assert fresh(hazard).is_overdue is True


# --- working days ---------------------------------------------------------------------------
def test_working_day_deadline_skips_national_day_and_counts_the_make_up_saturday(org):
    # chinese_calendar's 2026 data: 1–7 October off; Saturday 10 October a make-up working day
    import chinese_calendar

    assert all(not chinese_calendar.is_workday(dt.date(2026, 10, d)) for d in range(1, 8))
    assert chinese_calendar.is_workday(dt.date(2026, 10, 10))
    # given a notice issued on Wednesday 30 September with 3 working days
    hazard, notice = _issue(org, at=dt.datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI), days=3,
                            basis=DeadlineBasis.WORKING_DAYS)
    # then it is due at the end of Saturday 10 October (8th, 9th, 10th count; the holiday not)
    assert notice.deadline == dt.datetime(2026, 10, 10, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert hazard.deadline == notice.deadline
    # while 3 calendar days from the same day end on 3 October
    other, notice2 = _issue(org, at=dt.datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI), days=3,
                            title="楼道杂物")
    assert notice2.deadline == dt.datetime(2026, 10, 3, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def test_working_day_deadline_counts_the_make_up_sunday_before_national_day(org):
    import chinese_calendar

    assert not chinese_calendar.is_workday(dt.date(2026, 9, 19))  # Saturday
    assert chinese_calendar.is_workday(dt.date(2026, 9, 20))  # Sunday, make-up day
    # given a notice issued on Friday 18 September with 1 working day
    _hazard, notice = _issue(org, at=dt.datetime(2026, 9, 18, 9, 0, tzinfo=SHANGHAI), days=1,
                             basis=DeadlineBasis.WORKING_DAYS)
    # then it is due the make-up Sunday, not Monday
    assert notice.deadline.astimezone(SHANGHAI).date() == dt.date(2026, 9, 20)


def test_local_date_decides_the_start_of_the_count(org):
    # given 30 September 23:30 in Shanghai is still 30 September 15:30 UTC
    at = dt.datetime(2026, 9, 30, 15, 30, tzinfo=dt.UTC)
    _h, early = _issue(org, at=at, days=1, basis=DeadlineBasis.WORKING_DAYS)
    # and 1 October 00:30 in Shanghai is still 30 September 16:30 UTC
    _h2, late = _issue(org, at=at + dt.timedelta(hours=1), days=1,
                       basis=DeadlineBasis.WORKING_DAYS, title="楼道杂物")
    # then both count from the local day: the next working day after each is 8 October
    assert early.deadline.astimezone(SHANGHAI).date() == dt.date(2026, 10, 8)
    assert late.deadline.astimezone(SHANGHAI).date() == dt.date(2026, 10, 8)
    assert (early.year, late.year) == (2026, 2026)


# --- the task ---------------------------------------------------------------------------------
def test_huey_task_runs_the_sweep(org, settings, django_capture_on_commit_callbacks):
    from huey.contrib.djhuey import HUEY

    from safecampus.hazards.tasks import deadline_sweep

    # given the test settings' huey: in memory and immediate
    assert settings.HUEY["immediate"] is True and HUEY.immediate is True
    hazard, _notice = _issue(org)
    # when the periodic task is called
    with clock.frozen(DEADLINE + dt.timedelta(hours=1)), \
            django_capture_on_commit_callbacks(execute=True):
        deadline_sweep()  # periodic tasks keep no result; the effects show it ran
    # then the sweep ran: the hazard is overdue and the contact told
    assert fresh(hazard).is_overdue is True
    assert _count(org.users.contact_a, "hazards.overdue") == 1


REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "")


def _redis_or_skip() -> str:
    if REDIS_TEST_URL:
        return REDIS_TEST_URL
    if os.environ.get("CI") == "true":
        pytest.fail("REDIS_TEST_URL is not set but CI=true requires the Redis-backed task test")
    pytest.skip("REDIS_TEST_URL is not set (the Makefile sets it when Redis answers at "
                "127.0.0.1:6379)")


def test_redis_backed_queue_round_trips_the_sweep(org):
    import huey

    url = _redis_or_skip()
    # given a Redis-backed huey that queues instead of running at once
    queue = huey.RedisHuey(f"safecampus-test-{uuid.uuid4().hex}", url=url, immediate=False,
                           utc=False)
    try:
        @queue.task()
        def sweep_at(at):
            return services.hazard_deadline_sweep(at=at)

        hazard, _notice = _issue(org)
        # when the task is enqueued, it waits in Redis
        result = sweep_at(DEADLINE + dt.timedelta(hours=1))
        assert queue.pending_count() == 1
        assert result.get() is None
        assert fresh(hazard).is_overdue is False
        # and a worker takes it from Redis and runs it
        task = queue.dequeue()
        assert task is not None and queue.pending_count() == 0
        queue.execute(task)
        # then the result comes back through Redis and the sweep did its work
        assert result.get() == {"reminded": 0, "overdue": 1, "escalated_to_unit_leader": 0,
                                "escalated_to_office_head": 0}
        assert Hazard.objects.get(pk=hazard.pk).is_overdue is True
    finally:
        queue.storage.flush_all()



def test_an_extension_for_a_closed_hazard_can_only_be_refused(org):
    from safecampus.core.errors import Conflict
    from safecampus.hazards.models import ExtensionRequest, Status
    from safecampus.tests.factories import photo_upload

    # given a unit asked for more time, then finished anyway and the office closed the hazard
    hazard, notice = _issue(org)
    with clock.frozen(ISSUED_AT + dt.timedelta(days=1)):
        request = services.extension_request(actor=org.users.contact_a, hazard_id=hazard.pk,
                                             requested_deadline=dt.date(2026, 11, 30),
                                             reason="配件需要订购")
        services.notice_acknowledge(actor=org.users.contact_a, notice_id=notice.pk)
        services.hazard_start_rectification(actor=org.users.contact_a, hazard_id=hazard.pk)
        services.evidence_submit(actor=org.users.contact_a, hazard_id=hazard.pk, text="已更换",
                                 photos=[photo_upload()])
        services.hazard_verify(actor=org.users.staff, hazard_id=hazard.pk)
        closed = fresh(hazard)
        # when the office grants the forgotten request / then it is refused, nothing moves
        with pytest.raises(Conflict) as excinfo:
            services.extension_decide(actor=org.users.staff, extension_id=request.pk, grant=True)
        assert excinfo.value.message == (
            "The hazard is “Verified and closed” now; this request can only be refused.")
        after = fresh(hazard)
        assert (after.status, after.deadline, after.closed_on_time) == (
            Status.CLOSED, closed.deadline, True)
        # and refusing it clears it
        services.extension_decide(actor=org.users.staff, extension_id=request.pk, grant=False,
                                  comment="已销号")
    assert ExtensionRequest.objects.get(pk=request.pk).state == ExtensionRequest.State.REFUSED


def test_reroute_refuses_the_old_units_pending_extension(org):
    from safecampus.hazards.models import ExtensionRequest

    # given unit A asked for more time on a hazard that is then found to be unit B's
    hazard, _notice = _issue(org)
    with clock.frozen(ISSUED_AT + dt.timedelta(days=1)):
        old = services.extension_request(actor=org.users.contact_a, hazard_id=hazard.pk,
                                         requested_deadline=dt.date(2026, 11, 30), reason="缺配件")
        services.hazard_update_location(actor=org.users.staff, hazard_id=hazard.pk,
                                        category_id=org.fire.pk, campus_id=org.campus2.pk,
                                        place_id=org.place_b.pk)
        # then unit A's request went with its notice
        old.refresh_from_db()
        assert old.state == ExtensionRequest.State.REFUSED
        assert old.decision_comment == "The hazard was reassigned to another unit."
        assert old.decided_at is not None
        # and once unit B has its own notice it can ask for time itself
        notice_b = services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                         requirements="整改", deadline_days=7)
        assert notice_b.unit == org.unit_b
        new = services.extension_request(actor=org.users.contact_b, hazard_id=hazard.pk,
                                         requested_deadline=dt.date(2026, 12, 15), reason="排期")
    assert new.state == ExtensionRequest.State.PENDING


def test_notice_numbers_follow_the_local_year(org):
    # given 31 Dec 2026 23:50 in Shanghai (15:50 UTC) and, ten minutes later, 1 Jan 2027 locally
    _h, last = _issue(org, at=dt.datetime(2026, 12, 31, 15, 50, tzinfo=dt.UTC), days=3)
    _h2, first = _issue(org, at=dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC), days=3,
                        title="新年第一单")
    # then the first notice of the local new year starts the count again, under 2027
    assert (last.year, last.sequence, last.number) == (2026, 1, "保卫整改〔2026〕第0001号")
    assert (first.year, first.sequence, first.number) == (2027, 1, "保卫整改〔2027〕第0001号")
    assert first.deadline == dt.datetime(2027, 1, 4, 23, 59, 59, 999999, tzinfo=SHANGHAI)
