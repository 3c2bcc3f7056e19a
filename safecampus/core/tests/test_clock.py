"""The one source of "now" (core.clock): frozen time per thread, local days in Asia/Shanghai."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from safecampus.core import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_now_is_aware_utc_and_follows_the_real_clock():
    before = timezone.now()
    value = clock.now()
    after = timezone.now()
    assert value.tzinfo is not None and value.utcoffset() == dt.timedelta(0)
    assert before <= value <= after


def test_frozen_sets_now_and_restores_it_even_when_nested_or_raising():
    outer = dt.datetime(2026, 9, 30, 15, 30, tzinfo=dt.UTC)
    inner = dt.datetime(2026, 10, 1, 0, 0, tzinfo=SHANGHAI)
    with clock.frozen(outer):
        assert clock.now() == outer
        with pytest.raises(RuntimeError):
            with clock.frozen(inner):
                assert clock.now() == inner
                raise RuntimeError("boom")
        assert clock.now() == outer
    assert abs(clock.now() - timezone.now()) < dt.timedelta(seconds=5)


def test_frozen_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        with clock.frozen(dt.datetime(2026, 10, 1, 8, 0)):
            pass


def test_frozen_time_belongs_to_its_thread():
    seen = {}
    with clock.frozen(dt.datetime(2020, 1, 1, tzinfo=dt.UTC)):
        thread = threading.Thread(target=lambda: seen.setdefault("other", clock.now()))
        thread.start()
        thread.join()
        assert clock.now().year == 2020
    assert seen["other"].year != 2020


def test_local_zone_is_shanghai():
    assert clock.local_zone() == SHANGHAI


@pytest.mark.parametrize(("utc", "local_day"), [
    (dt.datetime(2026, 9, 30, 15, 59, 59, tzinfo=dt.UTC), dt.date(2026, 9, 30)),
    (dt.datetime(2026, 9, 30, 16, 0, 0, tzinfo=dt.UTC), dt.date(2026, 10, 1)),  # local midnight
    (dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC), dt.date(2027, 1, 1)),  # new year locally
])
def test_local_today_uses_the_campus_day(utc, local_day):
    with clock.frozen(utc):
        assert clock.local_today() == local_day


def test_a_date_only_deadline_is_the_last_instant_of_the_local_day():
    end = clock.end_of_local_day(dt.date(2026, 10, 10))
    assert end == dt.datetime(2026, 10, 10, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert end.astimezone(dt.UTC) == dt.datetime(2026, 10, 10, 15, 59, 59, 999999, tzinfo=dt.UTC)
    start = clock.start_of_local_day(dt.date(2026, 10, 11))
    assert start == dt.datetime(2026, 10, 11, 0, 0, tzinfo=SHANGHAI)
    assert start - end == dt.timedelta(microseconds=1)


@pytest.mark.django_db
def test_a_deadline_survives_the_database_to_the_microsecond(org):
    # (SQLite and PostgreSQL both keep microseconds, so 23:59:59.999999 stays on its day)
    from safecampus.hazards import services
    from safecampus.hazards.tests.helpers import confirmed

    with clock.frozen(dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)):
        hazard = confirmed(org)
        notice = services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                       requirements="整改", deadline_days=7)
    notice.refresh_from_db()
    assert notice.deadline == dt.datetime(2026, 11, 9, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert notice.deadline.astimezone(SHANGHAI).date() == dt.date(2026, 11, 9)
