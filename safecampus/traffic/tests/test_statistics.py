"""Violation statistics: hours and weekdays in Beijing time across local midnight, date-only
imports left out of the hour chart, the monthly axis, the repeat-offender list of the active
rules (3 in 90 days vs 3 in 91 days), who sees the page and its query count."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import translation

from safecampus.core import clock
from safecampus.tests.pages import login, text_of
from safecampus.traffic.models import OffenderRule, Vehicle, Violation
from safecampus.traffic.selectors.statistics import (
    ViolationStatsFilters,
    violation_statistics,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=clock.local_zone())


def violation(at, **fields):
    fields.setdefault("kind", "no_parking")
    return Violation.objects.create(observed_at=at, **fields)


def stats_of(user, **filters):
    return violation_statistics(user, ViolationStatsFilters(**filters))


def test_hours_and_weekdays_are_beijing_time_across_midnight(org):
    # Sunday 2 March 2025 23:30 and Monday 3 March 00:30 Beijing time: the same UTC day.
    sunday = violation(local(2025, 3, 2, 23, 30), location_text="North gate")
    monday = violation(local(2025, 3, 3, 0, 30), location_text="North gate")
    assert sunday.observed_at.astimezone(dt.UTC).date() == monday.observed_at.astimezone(dt.UTC).date()
    # An imported row whose ledger gives a date only (stored at 00:00 Beijing time).
    violation(local(2025, 3, 4), source=Violation.Source.IMPORT, vehicle_ref="9")
    # A recorded violation at exactly midnight is a real time.
    violation(local(2025, 3, 4), location_text="Library")
    stats = stats_of(org.users.admin)
    assert stats.total == 4 and stats.untimed == 1
    assert stats.by_hour[23] == 1 and stats.by_hour[0] == 2 and sum(stats.by_hour) == 3
    assert stats.by_weekday == [1, 2, 0, 0, 0, 0, 1]  # Mon 3rd; Tue 4th ×2; Sun 2nd
    assert stats.by_place == [{"where": "North gate", "n": 2}, {"where": "Library", "n": 1}]


def test_monthly_trend_is_continuous_and_levels_split(org):
    violation(local(2024, 11, 5, 9), level="warning", kind_label="W- NO PERMIT")
    violation(local(2025, 2, 5, 9), kind="fire_lane", kind_label="RED CURB")
    violation(local(2025, 2, 6, 9), kind="fire_lane", kind_label="RED CURB")
    stats = stats_of(org.users.admin)
    assert [(m.isoformat(), n) for m, n in stats.by_month] == [
        ("2024-11-01", 1), ("2024-12-01", 0), ("2025-01-01", 0), ("2025-02-01", 2)]
    assert (stats.warnings, stats.violations) == (1, 2)
    assert stats.by_kind == [{"kind": "fire_lane", "n": 2}, {"kind": "no_parking", "n": 1}]
    assert stats.by_type[0] == {"kind_label": "RED CURB", "n": 2}
    assert stats_of(org.users.admin, date_from=dt.date(2025, 2, 6)).total == 1
    assert stats_of(org.users.admin, level="warning").total == 1


def test_repeat_offenders_3_in_90_days_not_91(org):
    rule = OffenderRule.objects.create(name="Warning letter", count=3, days=90,
                                       action=OffenderRule.Action.WARNING_LETTER)
    OffenderRule.objects.create(name="Off", count=2, days=5, action="warning_letter",
                                is_active=False)
    car = Vehicle.objects.create(plate="京A12345", owner_name="Wang", owner_kind="staff")
    # 1 Jan 00:10, 15 Feb, 31 Mar 23:50 2025: within 90 days (89 days 23 h 40 min).
    for at in (local(2025, 1, 1, 0, 10), local(2025, 2, 15, 12), local(2025, 3, 31, 23, 50)):
        violation(at, vehicle=car, plate=car.plate)
    # 1 Jan, 15 Feb, 1 Apr 08:00: 90 whole days apart, the 91st day — not reached (a plate
    # without a registered vehicle).
    for at in (local(2025, 1, 1, 8), local(2025, 2, 15, 8), local(2025, 4, 1, 8)):
        violation(at, plate="沪B54321")
    # Within 90 days but one is a warning and one void: they do not count.
    violation(local(2025, 5, 1, 8), vehicle_ref="77", source="import")
    violation(local(2025, 5, 2, 8), vehicle_ref="77", source="import", level="warning")
    voided = violation(local(2025, 5, 3, 8), vehicle_ref="77", source="import")
    Violation.objects.filter(pk=voided.pk).update(state="void")
    violation(local(2025, 5, 4, 8), vehicle_ref="77", source="import")
    # An imported ledger's vehicle, 4 in a week: reached twice (3rd and 4th).
    for day in (10, 11, 12, 13):
        violation(local(2025, 6, day), vehicle_ref="5741", source="import")
    stats = stats_of(org.users.admin)
    assert [entry.rule for entry in stats.rules] == [rule]
    entry = stats.rules[0]
    assert entry.total == 2
    ledger, registered = entry.offenders
    assert (ledger.key, ledger.label, ledger.kind, ledger.reached, ledger.counted) == (
        "r:5741", "5741", "ledger", 2, 4)
    assert ledger.first_reached == local(2025, 6, 12)
    assert (registered.label, registered.vehicle, registered.reached, registered.counted) == (
        "京A12345", car, 1, 3)
    assert registered.first_reached == local(2025, 3, 31, 23, 50)
    # Over a period that leaves out 1 January, nobody reaches it with the car.
    later = stats_of(org.users.admin, date_from=dt.date(2025, 1, 2))
    assert [o.label for o in later.rules[0].offenders] == ["5741"]


@pytest.mark.parametrize(("role", "status"), [
    ("student", 403), ("guard", 403), ("staff", 200), ("admin", 200), ("leadership", 200)])
def test_who_sees_the_statistics(client, org, role, status):
    client.force_login(getattr(org.users, role))
    assert client.get(reverse("traffic:statistics")).status_code == status


def test_page_shows_charts_and_offenders(client, org):
    OffenderRule.objects.create(name="Three in ninety", count=3, days=90, action="warning_letter")
    for day in (1, 2, 3):
        violation(local(2025, 6, day, 9), vehicle_ref="5741", source="import",
                  location_text="104 EAST REMOTE", kind_label="NO PARKING PERMIT")
    login(client, org.users.admin)
    response = client.get(reverse("traffic:statistics"))
    text = text_of(response)
    assert "1 vehicle reached this rule." in text and "5741" in text
    html = response.content.decode()
    for name in ("place", "kind", "type", "hour", "weekday", "month", "level"):
        assert f'data-chart="stats-chart-{name}"' in html
        assert f'id="stats-chart-{name}"' in html
    blob = html.split('id="stats-chart-hour" type="application/json">')[1].split("</script>")[0]
    assert json.loads(blob)["series"][0]["data"][9] == 3
    assert "<script>" not in html.replace('<script src=', '')


def test_a_bad_filter_is_shown_and_left_out(client, org):
    violation(local(2025, 3, 1, 9))
    login(client, org.users.admin)
    response = client.get(reverse("traffic:statistics"),
                          {"date_from": "2025-03-05", "date_to": "2025-03-01"})
    assert response.context["stats"].total == 1
    assert "The end date is before the start date." in text_of(response)


def test_query_count_does_not_grow_with_violations(client, org, django_assert_max_num_queries):
    OffenderRule.objects.create(name="Three in ninety", count=3, days=90, action="warning_letter")
    OffenderRule.objects.create(name="Five", count=5, days=180, action="suspend_permit")
    car = Vehicle.objects.create(plate="京A12345", owner_name="Wang", owner_kind="staff")
    for day in range(1, 29):
        violation(local(2025, 2, day, day % 24), vehicle=car, plate=car.plate,
                  location_text=f"Place {day % 7}", kind_label=f"Type {day % 5}")
        violation(local(2025, 2, day), vehicle_ref=str(day % 3), source="import")
    client.force_login(org.users.admin)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("traffic:statistics"))
    stats = response.context["stats"]
    assert stats.total == 56 and stats.untimed == 28
    assert [e.total for e in stats.rules] == [4, 4]
