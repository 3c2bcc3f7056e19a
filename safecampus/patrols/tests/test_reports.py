"""Patrol reports: completion per route, guard, zone and night with hand-computed figures
(rounds after midnight belong to their shift's date), missed and flagged lists, the Excel
export, the shift leader's page, permissions and pinned query counts."""

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.patrols.models import PatrolRoute, PatrolShift
from safecampus.patrols.selectors import reports
from safecampus.patrols.selectors.reports import ReportFilters
from safecampus.patrols.services import patrolling
from safecampus.tests.factories import user_with_role

from .helpers import BASE_LAT, build_route, local, login, scan

pytestmark = pytest.mark.django_db

NIGHT = dt.date(2026, 11, 30)  # a Monday
NEXT = dt.date(2026, 12, 1)
AFTER = local(2026, 12, 2, 7, 0)  # every window of both nights has closed and been swept


def _scan(guard, checkpoint, at, **kwargs):
    with clock.frozen(at + dt.timedelta(minutes=1)):
        return scan(guard, checkpoint, at, **kwargs)


@pytest.fixture
def patrolled(org):
    """Two routes walked on the night of 30 November (and route B's next night unwalked).

    Route A (zone 1, campus 1; 4 checkpoints, rounds 22:00, 00:00, 02:00, 04:00, 30-minute
    windows): round 1 all on time by guard1; round 2 (after midnight) 3 on time + 1 late by
    guard1; round 3 2 on time by guard2 (one far from the checkpoint: flagged), 2 missed;
    round 4 never started (4 missed). → expected 16, on time 9, late 1, missed 6.

    Route B (no zone, campus 2; 2 checkpoints, rounds 22:00 and 02:00): on the 30th round 1
    both on time, round 2 one late, one missed (guard2) → expected 4, on time 2, late 1; on
    1 December nobody walks (4 expected, all missed, unassigned).
    """
    guard2 = user_with_role(Role.GUARD, campus=org.campus2, username="guard2")
    guard2.full_name = "王二"
    guard2.save()
    a = build_route(org, code="north-night", guards=[org.users.guard, guard2],
                    leader=org.users.staff)
    b = build_route(org, code="south-night", checkpoints=2, rounds=2, guards=[guard2],
                    leader=org.users.staff2)
    PatrolRoute.objects.filter(pk=b.route.pk).update(zone=None, campus=org.campus2)
    a.shift = patrolling.shift_plan(schedule=a.schedule, day=NIGHT)
    b.shift = patrolling.shift_plan(schedule=b.schedule, day=NIGHT)
    b.next_shift = patrolling.shift_plan(schedule=b.schedule, day=NEXT)
    a.rounds = list(a.shift.rounds.order_by("sequence"))
    b.rounds = list(b.shift.rounds.order_by("sequence"))
    b.next_rounds = list(b.next_shift.rounds.order_by("sequence"))
    g1, cps = org.users.guard, a.checkpoints
    for i, cp in enumerate(cps):
        _scan(g1, cp, local(2026, 11, 30, 22, 5 + i))
    for i, cp in enumerate(cps[:3]):
        _scan(g1, cp, local(2026, 12, 1, 0, 5 + i))
    _scan(g1, cps[3], local(2026, 12, 1, 0, 45))  # late
    _scan(guard2, cps[0], local(2026, 12, 1, 2, 5))
    far = _scan(guard2, cps[1], local(2026, 12, 1, 2, 10), latitude=BASE_LAT + 0.01)
    _scan(guard2, b.checkpoints[0], local(2026, 11, 30, 22, 10))
    _scan(guard2, b.checkpoints[1], local(2026, 11, 30, 22, 12))
    _scan(guard2, b.checkpoints[0], local(2026, 12, 1, 2, 40))  # late
    with clock.frozen(AFTER):
        patrolling.patrol_sweep(at=AFTER)
    return SimpleNamespace(a=a, b=b, guard2=guard2, far=far.scan)


def period(start, end, **kwargs) -> ReportFilters:
    return ReportFilters(date_from=start, date_to=end, **kwargs)


def figures(row) -> tuple:
    return (row["rounds"], row["expected"], row["on_time"], row["late"], row["missed"],
            round(row["completion_rate"], 2), round(row["on_time_rate"], 2))


# --- selectors -------------------------------------------------------------------------------
def test_one_night_counts_its_rounds_after_midnight(patrolled):
    night = period(NIGHT, NIGHT)
    totals = reports.completion_totals(night, at=AFTER)
    # 6 rounds; expected 16 + 4; on time 9 + 2; late 1 + 1; done 13 → 65 %, on time 55 %
    assert figures(totals) == (6, 20, 11, 2, 7, 65.0, 55.0)
    assert totals["done"] == 13 and totals["incomplete"] == 3 and totals["not_started"] == 1
    assert totals["flagged"] == 1
    routes = list(reports.completion_by_route(night, at=AFTER))
    assert [(r["route__code"], *figures(r)) for r in routes] == [
        ("north-night", 4, 16, 9, 1, 6, 62.5, 56.25),
        ("south-night", 2, 4, 2, 1, 1, 75.0, 50.0),
    ]
    # the next local date holds only route B's next shift, not route A's rounds after midnight
    next_day = list(reports.completion_by_route(period(NEXT, NEXT), at=AFTER))
    assert [(r["route__code"], *figures(r)) for r in next_day] == [
        ("south-night", 2, 4, 0, 0, 4, 0.0, 0.0)]


def test_completion_by_guard_counts_never_started_rounds_as_unassigned(patrolled, org):
    rows = list(reports.completion_by_guard(period(NIGHT, NIGHT), at=AFTER))
    assert [(r["guard__username"], *figures(r)) for r in rows] == [
        (None, 1, 4, 0, 0, 4, 0.0, 0.0),  # route A round 4, never started
        ("guard2", 3, 8, 4, 1, 3, 62.5, 50.0),
        ("guard1", 2, 8, 7, 1, 0, 100.0, 87.5),
    ]
    two_nights = {r["guard_id"]: figures(r)
                  for r in reports.completion_by_guard(period(NIGHT, NEXT), at=AFTER)}
    assert two_nights[None] == (3, 8, 0, 0, 8, 0.0, 0.0)  # + route B's next night
    assert two_nights[org.users.guard.pk] == (2, 8, 7, 1, 0, 100.0, 87.5)


def test_completion_by_zone_and_by_night(patrolled, org):
    zones = list(reports.completion_by_zone(period(NIGHT, NIGHT), at=AFTER))
    assert [(r["route__zone__name"], *figures(r)) for r in zones] == [
        (org.zone1.name, 4, 16, 9, 1, 6, 62.5, 56.25),
        (None, 2, 4, 2, 1, 1, 75.0, 50.0),
    ]
    nights = list(reports.completion_by_night(period(NIGHT, NEXT), at=AFTER))
    assert [(r["shift__shift_date"], *figures(r)) for r in nights] == [
        (NIGHT, 6, 20, 11, 2, 7, 65.0, 55.0),
        (NEXT, 2, 4, 0, 0, 4, 0.0, 0.0),
    ]


def test_filters_and_rounds_whose_window_is_still_open(patrolled, org):
    both = period(NIGHT, NEXT, campus_id=org.campus2.pk)
    assert [r["route__code"] for r in reports.completion_by_route(both, at=AFTER)] == [
        "south-night"]
    only_a = period(NIGHT, NEXT, route_id=patrolled.a.route.pk)
    assert figures(reports.completion_totals(only_a, at=AFTER))[:2] == (4, 16)
    # at 00:40 on 1 December only the first round of each route and A's second have closed
    # (with the counters as they stand: A's second round has its late scan since)
    at = local(2026, 12, 1, 0, 40)
    totals = reports.completion_totals(period(NIGHT, NIGHT), at=at)
    assert (totals["rounds"], totals["expected"], totals["done"]) == (3, 10, 10)
    empty = reports.completion_totals(period(dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
                                      at=AFTER)
    assert (empty["rounds"], empty["expected"], empty["completion_rate"]) == (0, 0, None)


def test_missed_rounds_newest_first_and_flagged_scans_with_reasons(patrolled):
    missed = reports.missed_rounds(period(NIGHT, NEXT), at=AFTER)
    a, b = patrolled.a, patrolled.b
    assert [(r.pk, r.checkpoints_missed) for r in missed] == [
        (b.next_rounds[1].pk, 2), (b.next_rounds[0].pk, 2), (a.rounds[3].pk, 4),
        (b.rounds[1].pk, 1), (a.rounds[2].pk, 2)]
    flagged = reports.flagged_scans(period(NIGHT, NEXT))
    assert [(s.pk, s.flag_labels) for s in flagged] == [
        (patrolled.far.pk, ["Far from the checkpoint"])]
    assert list(reports.flagged_scans(period(NIGHT, NIGHT))) == []  # counted on 1 December


def test_default_period_is_this_local_month():
    assert ReportFilters.default(dt.date(2026, 2, 14)) == period(dt.date(2026, 2, 1),
                                                                 dt.date(2026, 2, 28))
    with clock.frozen(local(2026, 12, 31, 23, 30)):
        assert ReportFilters.default().date_from == dt.date(2026, 12, 1)


# --- the report page -------------------------------------------------------------------------
URL = "/patrols/reports/"
QUERY = {"date_from": "2026-11-30", "date_to": "2026-12-01"}


def test_a_guard_gets_403_and_leadership_reads_the_report(patrolled, client, org):
    assert reverse("patrols:reports") == URL
    for name in ("guard", "grid", "contact_a"):
        login(client, getattr(org.users, name))
        assert client.get(URL).status_code == 403
        assert client.get(reverse("patrols:reports_export")).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302
    login(client, org.users.leadership)
    with clock.frozen(AFTER):
        assert client.get(URL, QUERY).status_code == 200


def test_report_page_shows_the_figures_missed_rounds_in_red_and_flag_reasons(
        patrolled, client, org, django_assert_max_num_queries):
    login(client, org.users.staff)
    with clock.frozen(AFTER), django_assert_max_num_queries(15):
        response = client.get(URL, QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["totals"]["completion_rate"] == pytest.approx(13 / 24 * 100)
    # route B's second night (nobody walked) brings it below route A: 3 of 8 against 10 of 16
    assert [r["route__code"] for r in response.context["by_route"]] == ["south-night",
                                                                        "north-night"]
    round_url = reverse("patrols:round_detail", args=[patrolled.a.rounds[3].pk])
    assert f'class="fw-semibold link-danger" href="{round_url}"' in html
    assert 'class="badge text-bg-danger text-nowrap">4 missed</span>' in html
    assert "Far from the checkpoint" in html
    assert "Unassigned (never started)" in html
    assert 'data-chart="patrol-chart-nights"' in html
    chart = response.context["night_chart"]
    assert chart["xAxis"]["data"] == ["11-30", "12-01"]
    assert chart["series"][0]["data"] == [65.0, 0.0]
    assert "style=" not in html and "<script>" not in html  # CSP: nothing inline


def test_report_query_count_does_not_grow_with_rounds(patrolled, client, org,
                                                      django_assert_max_num_queries):
    login(client, org.users.staff)
    with clock.frozen(AFTER), django_assert_max_num_queries(15) as few:
        client.get(URL, QUERY)
    for day in range(2, 10):
        patrolling.shift_plan(schedule=patrolled.a.schedule, day=dt.date(2026, 11, day))
        patrolling.shift_plan(schedule=patrolled.b.schedule, day=dt.date(2026, 11, day))
    with clock.frozen(AFTER):
        patrolling.patrol_sweep(at=AFTER)
    with clock.frozen(AFTER), django_assert_max_num_queries(len(few)):
        response = client.get(URL, {"date_from": "2026-11-01", "date_to": "2026-12-01"})
    assert len(response.context["missed"]) == 25 and response.context["missed"].has_next


def test_a_reversed_period_is_an_error_and_this_month_is_shown(patrolled, client, org):
    login(client, org.users.staff)
    with clock.frozen(AFTER):  # 2 December 2026
        response = client.get(URL, {"date_from": "2026-11-30", "date_to": "2026-11-01",
                                    "campus": "x"})
    assert response.status_code == 200
    # neither date applies: the default period (this month), said in the heading
    assert response.context["filters"] == period(dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    html = response.content.decode()
    assert "These filters were not applied:" in html
    assert "The end date is before the start date." in html
    assert "Select a valid choice." in html
    assert "Shifts from 2026-12-01 to 2026-12-31" in html
    # the dates typed stay in the form to be corrected
    assert 'name="date_from" value="2026-11-30"' in html


def test_a_period_longer_than_366_days_is_an_error_naming_the_limit(patrolled, client, org):
    login(client, org.users.staff)
    with clock.frozen(AFTER):
        too_long = client.get(URL, {"date_from": "2000-01-01", "date_to": "2030-12-31"})
        leap_year = client.get(URL, {"date_from": "2024-01-01", "date_to": "2024-12-31"})
        one_more = client.get(URL, {"date_from": "2024-01-01", "date_to": "2025-01-01"})
    assert too_long.context["filters"] == period(dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert ("A report covers at most 366 days; this period has 11323."
            in too_long.content.decode())
    assert leap_year.context["filters"] == period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert not leap_year.context["form"].errors
    assert "A report covers at most 366 days; this period has 367." in one_more.content.decode()


def test_one_date_alone_stands_for_its_month(patrolled, client, org):
    login(client, org.users.staff)
    with clock.frozen(AFTER):
        start = client.get(URL, {"date_from": "2026-11-05"})
        end = client.get(URL, {"date_to": "2026-11-20"})
    assert start.context["filters"] == period(dt.date(2026, 11, 5), dt.date(2026, 11, 30))
    assert end.context["filters"] == period(dt.date(2026, 11, 1), dt.date(2026, 11, 20))


def test_export_with_a_bad_period_exports_nothing_and_shows_the_error(patrolled, client, org):
    login(client, org.users.staff)
    with clock.frozen(AFTER):
        response = client.get(reverse("patrols:reports_export"),
                              {"date_from": "2026-11-30", "date_to": "2026-11-01"}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[0][0] == (
        "/patrols/reports/?date_from=2026-11-30&date_to=2026-11-01")
    assert "Correct the filters first; nothing was exported." in html
    assert "The end date is before the start date." in html


def test_excel_export_of_the_per_route_table(patrolled, client, org):
    login(client, org.users.staff)
    with clock.frozen(AFTER):
        response = client.get(reverse("patrols:reports_export"), {"date_from": "2026-11-30",
                                                                  "date_to": "2026-11-30"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="patrol-completion-20261130-20261130.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Route code", "Route", "Campus", "Zone", "Rounds", "Checkpoints expected",
                       "On time", "Late", "Missed", "Completion rate (%)", "On-time rate (%)",
                       "Rounds never started", "Flagged scans"]
    assert rows[1:] == [
        ["north-night", "Route north-night", org.campus1.name, org.zone1.name, 4, 16, 9, 1, 6,
         62.5, 56.3, 1, 1],
        ["south-night", "Route south-night", org.campus2.name, None, 2, 4, 2, 1, 1, 75, 50, 0, 0],
    ]


# --- the shift leader's page -----------------------------------------------------------------
MY = "/patrols/reports/my-shifts/"


def test_shift_leader_sees_tonight_first_and_missed_checkpoints_in_red(
        patrolled, client, org, django_assert_max_num_queries):
    assert reverse("patrols:my_shifts") == MY
    tonight = patrolling.shift_plan(schedule=patrolled.a.schedule, day=NEXT)
    login(client, org.users.staff)
    # 9: session, user, scope, shifts and rounds, the period's totals, pager count …
    with clock.frozen(local(2026, 12, 1, 23, 0)), django_assert_max_num_queries(9):
        response = client.get(MY)
    shifts = list(response.context["shifts"])
    assert [s.pk for s in shifts] == [tonight.pk, patrolled.a.shift.pk]
    last_night = shifts[1]
    assert (last_night.expected, last_night.done, last_night.missed, last_night.flagged) == (
        16, 10, 6, 1)
    html = response.content.decode()
    missed_round = patrolled.a.rounds[2]
    assert (f'class="list-group-item patrol-round patrol-round-missed list-group-item-danger" '
            f'data-round="{missed_round.pk}"') in html
    assert 'class="patrol-missed-count text-danger fw-semibold text-nowrap">2 missed' in html
    assert reverse("patrols:round_detail", args=[missed_round.pk]) in html
    # more shifts do not mean more queries
    for day in range(24, 30):
        patrolling.shift_plan(schedule=patrolled.a.schedule, day=dt.date(2026, 11, day))
    with clock.frozen(local(2026, 12, 1, 23, 0)), django_assert_max_num_queries(9):
        assert len(client.get(MY).context["shifts"]) == 8  # tonight and the 7 days before


def test_a_guard_who_has_never_led_a_shift_is_told_so(patrolled, client, org):
    login(client, org.users.guard)
    with clock.frozen(local(2026, 12, 1, 23, 0)):
        response = client.get(MY)
    assert response.status_code == 200
    html = response.content.decode()
    # who names leaders, and no empty figures or week links to page through
    assert 'id="leads-none"' in html and "You are not the leader of any patrol shift." in html
    assert "The office names each shift's leader" in html
    assert 'id="leader-totals"' not in html and 'id="leader-earlier"' not in html
    assert "shifts" not in response.context
    # another leader's shifts are not listed: staff2 leads route B only
    login(client, org.users.staff2)
    with clock.frozen(local(2026, 12, 1, 23, 0)):
        shifts = list(client.get(MY).context["shifts"])
    assert [s.route_id for s in shifts] == [patrolled.b.route.pk, patrolled.b.route.pk]


def test_a_guard_who_leads_a_shift_sees_its_completion_and_reaches_earlier_weeks(
        patrolled, client, org):
    # given guard1 (no report permission) leads route A's shift of 30 November
    PatrolShift.objects.filter(pk=patrolled.a.shift.pk).update(leader=org.users.guard)
    login(client, org.users.guard)
    # when he opens the patrol report, then he is taken to the shifts he leads
    with clock.frozen(local(2026, 12, 1, 23, 0)):
        response = client.get(reverse("patrols:reports"))
        assert response.status_code == 302 and response.url == MY
        assert reverse("patrols:my_shifts") in client.get(reverse("patrols:home")).content.decode()
        page = client.get(MY)
    # and sees the completion of his shift only (route B is staff2's): 10 of 16, 6 missed
    totals = page.context["totals"]
    assert (totals["expected"], totals["done"], totals["missed"]) == (16, 10, 6)
    assert totals["completion_rate"] == 62.5
    assert [s.pk for s in page.context["shifts"]] == [patrolled.a.shift.pk]
    assert list(page.context["shifts"])[0].completion_rate == 62.5
    assert 'data-rate="62.5"' in page.content.decode()
    # three weeks later the shift is out of the default eight days, one tap back finds it
    with clock.frozen(local(2026, 12, 20, 10, 0)):
        now_page = client.get(MY)
        assert list(now_page.context["shifts"]) == []
        assert "You do not lead any patrol shift tonight or in the last days." in (
            now_page.content.decode())
        assert now_page.context["totals"]["completion_rate"] is None
        assert 'href="?until=2026-12-12"' in now_page.content.decode()
        back = client.get(MY, {"until": "2026-12-01"})
        assert [s.pk for s in back.context["shifts"]] == [patrolled.a.shift.pk]
        assert back.context["totals"]["missed"] == 6
        assert "Shifts of 2026-11-24 to 2026-12-01" in back.content.decode()
        # a future or unreadable date is today
        assert client.get(MY, {"until": "2030-01-01"}).context["until"] == dt.date(2026, 12, 20)
        assert client.get(MY, {"until": "x"}).context["until"] == dt.date(2026, 12, 20)


def test_the_report_stays_closed_to_a_guard_who_leads_nothing(patrolled, client, org):
    login(client, patrolled.guard2)
    assert client.get(reverse("patrols:reports")).status_code == 403
    assert reverse("patrols:my_shifts") not in client.get(
        reverse("patrols:home")).content.decode()
