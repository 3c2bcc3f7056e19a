"""Working days (工作日) from the official calendar: holidays skipped, make-up days counted."""

import datetime as dt

import chinese_calendar
import pytest
from django.utils import translation

from safecampus.core import workdays
from safecampus.core.errors import DomainError

D = dt.date

# Working days read the office's adjustments (core.WorkdayOverride) from the database.
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_the_2026_calendar_data_we_rely_on():
    # National Day and Mid-autumn 2026: 25–27 Sep and 1–7 Oct off; make-up days Sun 20 Sep
    # and Sat 10 Oct (调休). If the package's data changes, the examples below must follow.
    assert [chinese_calendar.is_workday(D(2026, 9, d)) for d in (24, 25, 26, 27, 28)] == [
        True, False, False, False, True]
    assert not any(chinese_calendar.is_workday(D(2026, 10, d)) for d in range(1, 8))
    assert chinese_calendar.is_workday(D(2026, 9, 20)) and D(2026, 9, 20).weekday() == 6
    assert chinese_calendar.is_workday(D(2026, 10, 10)) and D(2026, 10, 10).weekday() == 5


@pytest.mark.parametrize(("day", "expected"), [
    (D(2026, 11, 2), True),  # ordinary Monday
    (D(2026, 11, 7), False),  # ordinary Saturday
    (D(2026, 10, 1), False),  # National Day
    (D(2026, 10, 10), True),  # make-up Saturday
    (D(2026, 9, 20), True),  # make-up Sunday
    (D(2026, 1, 1), False),  # New Year's Day
])
def test_is_working_day(day, expected):
    assert workdays.is_working_day(day) is expected


@pytest.mark.parametrize(("start", "days", "due"), [
    # the docstring's example: Thu 24 Sep + 5 → 28, 29, 30 Sep, 8, 9 Oct
    (D(2026, 9, 24), 5, D(2026, 10, 9)),
    # Wed 30 Sep + 3 → 8, 9 Oct and the make-up Saturday 10 Oct
    (D(2026, 9, 30), 3, D(2026, 10, 10)),
    # Wed 30 Sep + 4 → skips Sunday 11 Oct → Monday 12 Oct
    (D(2026, 9, 30), 4, D(2026, 10, 12)),
    # Fri 18 Sep + 1 → Sunday 20 Sep is a make-up working day
    (D(2026, 9, 18), 1, D(2026, 9, 20)),
    # issued on a holiday: counting starts the next working day
    (D(2026, 10, 3), 1, D(2026, 10, 8)),
    # ordinary week: Fri + 1 → Mon
    (D(2026, 11, 6), 1, D(2026, 11, 9)),
    (D(2026, 11, 2), 10, D(2026, 11, 16)),
])
def test_add_working_days(start, days, due):
    assert workdays.add_working_days(start, days) == due


def test_add_calendar_days_ignores_holidays():
    assert workdays.add_calendar_days(D(2026, 9, 30), 3) == D(2026, 10, 3)
    assert workdays.add_calendar_days(D(2026, 12, 30), 5) == D(2027, 1, 4)


@pytest.mark.parametrize("days", [0, -1])
def test_fewer_than_one_day_is_a_programming_error(days):
    with pytest.raises(ValueError, match="days must be at least 1"):
        workdays.add_working_days(D(2026, 11, 2), days)
    with pytest.raises(ValueError, match="days must be at least 1"):
        workdays.add_calendar_days(D(2026, 11, 2), days)


def test_a_year_without_official_data_is_a_clear_domain_error():
    last = max(d.year for d in chinese_calendar.holidays)
    day = D(last + 1, 3, 2)
    with pytest.raises(DomainError) as excinfo:
        workdays.is_working_day(day)
    assert excinfo.value.code == "calendar_unknown"
    assert excinfo.value.message == (
        f"The official holiday calendar for {last + 1} is not known yet: use calendar days, or ask "
        "the administrator to enter that year's holidays and make-up working days.")
    # and a count that runs into that year fails the same way instead of guessing
    with pytest.raises(DomainError):
        workdays.add_working_days(D(last, 12, 30), 5)


@pytest.mark.django_db
def test_notice_across_an_unknown_year_is_refused_and_uses_no_number(org):
    from zoneinfo import ZoneInfo

    from safecampus.core import clock
    from safecampus.hazards import services
    from safecampus.hazards.models import NoticeSequence, RectificationNotice, Status
    from safecampus.hazards.tests.helpers import confirmed, fresh

    last = max(d.year for d in chinese_calendar.holidays)
    with clock.frozen(dt.datetime(last, 12, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        hazard = confirmed(org)
        with pytest.raises(DomainError) as excinfo:
            services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                  requirements="整改", deadline_days=5, deadline_basis="working")
        assert excinfo.value.code == "calendar_unknown"
        # the same notice in calendar days goes through
        notice = services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                       requirements="整改", deadline_days=5,
                                       deadline_basis="calendar")
    assert notice.sequence == 1
    assert RectificationNotice.objects.count() == 1
    assert NoticeSequence.objects.get(year=last).last_number == 1
    assert fresh(hazard).status == Status.NOTICE_ISSUED


def test_office_adjustments_set_up_an_uncovered_year():
    # given the office entered the (hypothetical) first days off of a year the package lacks
    from safecampus.core.models import WorkdayOverride

    WorkdayOverride.objects.create(date=D(2027, 1, 1), is_working_day=False, note="元旦")
    # then that year counts Monday to Friday plus the adjustments
    assert workdays.is_working_day(D(2027, 1, 1)) is False  # a Friday, entered as a holiday
    assert workdays.is_working_day(D(2027, 1, 4)) is True  # Monday
    assert workdays.is_working_day(D(2027, 1, 2)) is False  # Saturday
    # and a deadline from late 2026 crosses into 2027 without an error
    assert workdays.add_working_days(D(2026, 12, 30), 3) == D(2027, 1, 5)


def test_an_adjustment_overrides_the_packaged_calendar():
    from safecampus.core.models import WorkdayOverride

    WorkdayOverride.objects.create(date=D(2026, 12, 1), is_working_day=False, note="停电检修")
    assert workdays.is_working_day(D(2026, 12, 1)) is False
