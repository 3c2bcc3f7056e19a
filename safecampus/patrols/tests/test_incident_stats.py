"""Incident statistics: hours, weekdays and months in Asia/Shanghai (incidents placed by hand
around local midnight), what counts where, filters, the page, permissions, query counts."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from safecampus.organisation.models import Place
from safecampus.patrols.models import Incident
from safecampus.patrols.selectors.incident_stats import IncidentStatsFilters, incident_statistics

from .helpers import local

pytestmark = pytest.mark.django_db
_numbers = iter(range(1, 100000))


def incident(org, occurred, *, until=None, category="theft", type_label="Theft",
             source=Incident.Source.IMPORT, campus=None, place=None, location_text="",
             disposition="closed"):
    return Incident.objects.create(
        year=occurred.year, sequence=next(_numbers), category=category, type_label=type_label,
        reported_at=occurred, occurred_at=occurred, occurred_until=until,
        campus=campus or org.campus1, place=place, location_text=location_text,
        disposition=disposition, source=source)


@pytest.fixture
def client(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def around_midnight(org):
    """Sunday 2026-03-01 23:30 and Monday 2026-03-02 00:30 Beijing time (both Sunday 15:30 and
    16:30 in UTC), a date-only entry (Tuesday, the whole day) and a three-day period."""
    sunday = incident(org, local(2026, 3, 1, 23, 30), location_text="North Gate")
    monday = incident(org, local(2026, 3, 2, 0, 30), category="fraud", type_label="诈骗",
                      location_text="North Gate", disposition="open")
    day = incident(org, local(2026, 3, 3, 0, 0), until=local(2026, 3, 3, 23, 59, 59, 999999),
                   location_text="Library")
    period = incident(org, local(2026, 2, 27, 22, 0), until=local(2026, 3, 2, 8, 0),
                      source=Incident.Source.MANUAL)
    return sunday, monday, day, period


def test_hours_and_weekdays_are_local_across_midnight(org, around_midnight):
    stats = incident_statistics(org.users.admin, IncidentStatsFilters())
    assert stats.total == 4
    assert (stats.untimed, stats.undated) == (2, 1)
    expected_hours = [0] * 24
    expected_hours[23] = expected_hours[0] = 1
    assert stats.by_hour == expected_hours
    assert stats.by_weekday == [1, 1, 0, 0, 0, 0, 1]  # Mon 00:30, Tue (date only), Sun 23:30
    assert sorted(stats.heat) == [[0, 0, 1], [23, 6, 1]]
    assert stats.by_month == [(dt.date(2026, 2, 1), 1), (dt.date(2026, 3, 1), 3)]
    assert stats.by_category == [{"category": "theft", "n": 3}, {"category": "fraud", "n": 1}]
    assert stats.by_type == [{"type_label": "Theft", "n": 3}, {"type_label": "诈骗", "n": 1}]
    assert stats.by_place == [{"where": "North Gate", "n": 2}, {"where": "Library", "n": 1}]
    assert stats.by_disposition == [{"disposition": "closed", "n": 3},
                                    {"disposition": "open", "n": 1}]


def test_filters_use_local_dates_category_source_and_campus(org, around_midnight):
    def count(**filters):
        return incident_statistics(org.users.admin, IncidentStatsFilters(**filters)).total

    # 2026-03-02 00:30 in Beijing is 2026-03-01 in UTC: it counts on the local 2nd.
    assert count(date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 3, 2)) == 1
    assert count(date_to=dt.date(2026, 3, 1)) == 2
    assert count(category="fraud") == 1
    assert count(source="manual") == 1
    assert count(campus_id=org.campus2.pk) == 0


def test_a_place_name_wins_over_the_location_text(org):
    place = Place.objects.filter(campus=org.campus1).first()
    incident(org, local(2026, 3, 1, 10, 0), place=place, location_text="somewhere")
    stats = incident_statistics(org.users.admin, IncidentStatsFilters())
    assert stats.by_place == [{"where": place.name, "n": 1}]


def test_the_page_draws_charts_from_json_blobs(client, org, around_midnight,
                                               django_assert_max_num_queries):
    client.force_login(org.users.police)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("patrols:incident_statistics"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-chart="stats-chart-heat"' in html
    assert '<script id="stats-chart-hour" type="application/json">' in html
    hour = json.loads(html.split('<script id="stats-chart-hour" type="application/json">')[1]
                      .split("</script>")[0])
    assert hour["series"][0]["data"][23] == 1 and hour["series"][0]["data"][0] == 1
    assert "vendor/echarts/echarts.min.js" in html  # drawn by app.js ([data-chart])
    assert "onclick" not in html and "<script>" not in html
    assert ("2 incidents whose log gives only a date or a period longer than an hour are left "
            "out of the hour charts") in html


def test_query_count_does_not_grow_with_incidents(client, org, django_assert_max_num_queries):
    client.force_login(org.users.admin)
    for day in range(1, 29):
        for hour in (1, 9, 17):
            incident(org, local(2026, 2, day, hour, 0), type_label=f"Type {day}",
                     location_text=f"Place {day % 7}")
    with django_assert_max_num_queries(16):
        response = client.get(reverse("patrols:incident_statistics"), {"category": "theft"})
    assert response.context["stats"].total == 84


def test_a_bad_filter_is_shown_and_left_out(client, org, around_midnight):
    client.force_login(org.users.admin)
    response = client.get(reverse("patrols:incident_statistics"),
                          {"date_from": "2026-03-05", "date_to": "2026-03-01"})
    assert response.context["stats"].total == 4
    assert "The end date is before the start date." in response.content.decode()


@pytest.mark.parametrize(("role", "status"), [
    ("student", 403), ("guard", 403), ("admin", 200), ("leadership", 200), ("police", 200)])
def test_who_sees_the_statistics(client, org, role, status):
    client.force_login(getattr(org.users, role))
    assert client.get(reverse("patrols:incident_statistics")).status_code == status


def test_without_the_permission_nothing_is_counted(org, around_midnight):
    assert incident_statistics(org.users.student, IncidentStatsFilters()).total == 0


def _months(stats):
    return [(month.strftime("%Y-%m"), n) for month, n in stats.by_month]


def test_the_monthly_trend_has_every_month_empty_ones_counted_zero(org):
    # given incidents in July 2021, December 2025 (local: 1 Dec 00:30 is 30 Nov in UTC) and
    # January 2026, nothing between
    incident(org, local(2021, 7, 15, 12, 0))
    incident(org, local(2025, 12, 1, 0, 30))
    incident(org, local(2026, 1, 31, 23, 30))
    # when nothing bounds the period: from the first to the last month with an incident
    stats = incident_statistics(org.users.admin, IncidentStatsFilters())
    months = _months(stats)
    assert months[0] == ("2021-07", 1) and months[-1] == ("2026-01", 1)
    assert len(months) == 55 and stats.months_cut == 0
    assert ("2021-08", 0) in months and ("2025-11", 0) in months and ("2025-12", 1) in months
    assert sum(n for _m, n in months) == 3
    # when the period is bounded: its months, also empty ones at both ends
    bounded = incident_statistics(org.users.admin, IncidentStatsFilters(
        date_from=dt.date(2025, 10, 20), date_to=dt.date(2026, 3, 5)))
    assert _months(bounded) == [("2025-10", 0), ("2025-11", 0), ("2025-12", 1),
                                ("2026-01", 1), ("2026-02", 0), ("2026-03", 0)]


def test_the_monthly_trend_stops_at_the_current_month_and_keeps_the_last_240(org):
    from safecampus.core.clock import frozen

    incident(org, local(1990, 5, 1, 12, 0))
    incident(org, local(2026, 4, 2, 12, 0))
    with frozen(local(2026, 4, 10, 12, 0)):
        stats = incident_statistics(org.users.admin, IncidentStatsFilters(
            date_from=dt.date(1900, 1, 1), date_to=dt.date(2999, 12, 31)))
    months = _months(stats)
    assert len(months) == 240
    assert months[0] == ("2006-05", 0) and months[-1] == ("2026-04", 1)
    # 1900-01 … 2006-04 are left out and said so
    assert stats.months_cut == (2006 - 1900) * 12 + 4


def test_the_page_says_when_months_are_left_out(org, client):
    incident(org, local(1990, 5, 1, 12, 0))
    incident(org, local(2026, 4, 2, 12, 0))
    client.force_login(org.users.admin)
    response = client.get(reverse("patrols:incident_statistics"))
    html = response.content.decode()
    option = json.loads(html.split('id="stats-chart-month" type="application/json">')[1]
                        .split("</script>")[0])
    assert len(option["xAxis"]["data"]) == 240 and option["xAxis"]["data"][-1] == "2026-04"
    cut = (2026 - 1990) * 12 - 240  # 1990-05 … 2006-04
    assert (f"The trend shows the last 240 months of the period; {cut} earlier months are "
            "left out.") in html
