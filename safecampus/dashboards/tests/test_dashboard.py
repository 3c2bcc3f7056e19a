"""The home dashboard: figures aggregated in SQL per role, local months, constant queries.

The story (times UTC; Shanghai is UTC+8), seen on 2026-06-15 12:00 local:

==== ====== ======================== ============================== =====================
no.  unit   reported                 end                            state on 15 June
==== ====== ======================== ============================== =====================
h1   A      2026-01-10 02:00         verified 01-13 02:00 (3 d)     closed on time
h2   A      2026-02-01 02:00         verified 02-21 02:00 (20 d)    closed late
h3   A      2026-03-31 20:00 (=4/1)  fixed on spot 04-01 00:00 (4h) fixed on the spot
h4   A      2026-05-01 02:00         deadline 05-08                 rectifying, overdue
h5   B      2026-06-10 02:00         deadline 06-17, electrical     notice issued
h6   A      2026-06-12 02:00                                        reported
h7   A      2026-06-01 02:00         rejected                       (not a hazard)
h8   B      2025-05-10 02:00         evidence 05-12                 evidence submitted
h9   B      2026-04-20 02:00 (st. 2) fixed on spot 04-21 02:00 (1d) fixed on the spot
==== ====== ======================== ============================== =====================
"""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safecampus.core.clock import frozen
from safecampus.dashboards.selectors import Audience, hazard_figures
from safecampus.hazards import services
from safecampus.hazards.models import Status
from safecampus.hazards.tests.helpers import fresh
from safecampus.tests.factories import photo_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    """The page caches figures; every test starts without any."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
MONTHS = ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12",
          "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def report(org, when, *, place=None, category=None, reporter=None, title="灭火器过期"):
    with frozen(when):
        return services.hazard_report(
            reporter=reporter or org.users.student, title=title,
            category_id=(category or org.fire).pk, place_id=(place or org.place_a).pk,
        )


def confirm(org, hazard, when):
    with frozen(when):
        services.hazard_confirm(actor=org.users.staff, hazard_id=hazard.pk)


def issue(org, hazard, when, contact=None, *, rectify=False, submit=False):
    """Confirm, issue a 7-day notice, and (optionally) walk on as the unit's ``contact``."""
    confirm(org, hazard, when)
    with frozen(when):
        notice = services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                       requirements="立即整改", deadline_days=7)
        if rectify or submit:
            services.notice_acknowledge(actor=contact, notice_id=notice.pk)
            services.hazard_start_rectification(actor=contact, hazard_id=hazard.pk)
        if submit:
            services.evidence_submit(actor=contact, hazard_id=hazard.pk, text="已整改",
                                     photos=[photo_upload()])


def close(org, hazard, reported_at, closed_at):
    issue(org, hazard, reported_at, org.users.contact_a, submit=True)
    with frozen(closed_at):
        services.hazard_verify(actor=org.users.staff, hazard_id=hazard.pk)


def fix_on_spot(org, hazard, reported_at, fixed_at):
    confirm(org, hazard, reported_at)
    with frozen(fixed_at):
        services.hazard_fix_on_spot(actor=org.users.staff, hazard_id=hazard.pk, text="当场更换",
                                    photos=[photo_upload()])


@pytest.fixture
def story(org):
    h = {}
    h[1] = report(org, utc(2026, 1, 10, 2))
    close(org, h[1], utc(2026, 1, 10, 2), utc(2026, 1, 13, 2))
    h[2] = report(org, utc(2026, 2, 1, 2))
    close(org, h[2], utc(2026, 2, 1, 2), utc(2026, 2, 21, 2))
    h[3] = report(org, utc(2026, 3, 31, 20))  # 1 April 04:00 in Shanghai
    fix_on_spot(org, h[3], utc(2026, 3, 31, 20), utc(2026, 4, 1, 0))
    h[4] = report(org, utc(2026, 5, 1, 2))
    issue(org, h[4], utc(2026, 5, 1, 2), org.users.contact_a, rectify=True)
    h[5] = report(org, utc(2026, 6, 10, 2), place=org.place_b, category=org.electrical)
    issue(org, h[5], utc(2026, 6, 10, 2))
    h[6] = report(org, utc(2026, 6, 12, 2))
    h[7] = report(org, utc(2026, 6, 1, 2))
    with frozen(utc(2026, 6, 1, 3)):
        services.hazard_reject(actor=org.users.staff, hazard_id=h[7].pk, reason="不是隐患")
    h[8] = report(org, utc(2025, 5, 10, 2), place=org.place_b)
    issue(org, h[8], utc(2025, 5, 10, 2), org.users.contact_b, submit=True)
    h[9] = report(org, utc(2026, 4, 20, 2), place=org.place_b, reporter=org.users.student2)
    fix_on_spot(org, h[9], utc(2026, 4, 20, 2), utc(2026, 4, 21, 2))
    h = {k: fresh(v) for k, v in h.items()}
    # the story is what the table in the module docstring says
    assert [h[k].status for k in sorted(h)] == [
        Status.CLOSED, Status.CLOSED, Status.FIXED_ON_SPOT, Status.RECTIFYING,
        Status.NOTICE_ISSUED, Status.REPORTED, Status.REJECTED, Status.EVIDENCE_SUBMITTED,
        Status.FIXED_ON_SPOT,
    ]
    assert [h[1].closed_on_time, h[2].closed_on_time] == [True, False]
    assert h[5].responsible_unit == org.unit_b and h[4].responsible_unit == org.unit_a
    return h


def trend(figures):
    return {row["month"]: (row["reported"], row["closed"]) for row in figures["trend"]}


def test_office_sees_every_figure_of_the_university(org, story):
    # when the office looks on 15 June
    figures = hazard_figures(org.users.staff, at=NOW)
    # then the headline counts leave out the rejected report h7
    assert figures["audience"] == Audience.OFFICE
    assert figures["totals"] == {
        "total": 8, "open": 4, "overdue": 1, "closed": 4, "closed_on_time": 3,
        "awaiting_confirmation": 1, "awaiting_verification": 1, "unit_awaiting": 0,
    }
    assert figures["rectification_rate"] == 50.0  # 4 / 8
    assert figures["on_time_rate"] == 75.0  # h1, h3, h9 of 4 closed
    # median of 4 h, 1 d, 3 d, 20 d: the mean of the middle two = 2 days
    assert figures["median_days_to_close"] == 2.0
    assert figures["by_unit"] == [
        {"unit_id": org.unit_a.pk, "name": "化学学院", "total": 5, "open": 2, "overdue": 1,
         "closed": 3},
        {"unit_id": org.unit_b.pk, "name": "机械学院", "total": 3, "open": 2, "overdue": 0,
         "closed": 1},
    ]
    assert figures["by_category"] == [
        {"category_id": org.fire.pk, "name": "消防安全", "total": 7, "open": 3, "closed": 4},
        {"category_id": org.electrical.pk, "name": "用电安全", "total": 1, "open": 1, "closed": 0},
    ]
    # and the to-do lists hold what awaits the office
    assert [x.pk for x in figures["work"]["to_confirm"]] == [story[6].pk]
    assert [x.pk for x in figures["work"]["to_verify"]] == [story[8].pk]
    assert "unit_todo" not in figures["work"]


def test_trend_counts_local_months(org, story):
    figures = hazard_figures(org.users.admin, at=NOW)
    assert [row["month"] for row in figures["trend"]] == MONTHS
    # h3, reported 31 March 20:00 UTC, is 1 April in Shanghai: April, not March;
    # h8 (May 2025) is older than the 12 months; h7 (rejected) is not a hazard
    assert trend(figures) == {
        "2025-07": (0, 0), "2025-08": (0, 0), "2025-09": (0, 0), "2025-10": (0, 0),
        "2025-11": (0, 0), "2025-12": (0, 0), "2026-01": (1, 1), "2026-02": (1, 1),
        "2026-03": (0, 0), "2026-04": (2, 2), "2026-05": (1, 0), "2026-06": (2, 0),
    }


def test_trend_window_follows_at(org, story):
    # seen from 31 March 23:59 local (15:59 UTC), the last month is March and h3 is not in it
    figures = hazard_figures(org.users.staff, at=utc(2026, 3, 31, 15, 59))
    assert figures["trend"][-1] == {"month": "2026-03", "reported": 0, "closed": 0}
    assert figures["trend"][0]["month"] == "2025-04"
    assert trend(figures)["2025-05"] == (1, 0)  # h8 is inside this window


def test_unit_contact_sees_only_their_unit(org, story):
    # unit A: h1–h4 and h6 (h7 rejected); unit B's h5, h8, h9 are not there
    a = hazard_figures(org.users.contact_a, at=NOW)
    assert a["audience"] == Audience.UNIT
    assert a["totals"] == {
        "total": 5, "open": 2, "overdue": 1, "closed": 3, "closed_on_time": 2,
        "awaiting_confirmation": 1, "awaiting_verification": 0, "unit_awaiting": 1,
    }
    assert a["rectification_rate"] == 60.0
    assert a["on_time_rate"] == 66.7
    assert a["median_days_to_close"] == 3.0  # 4 h, 3 d, 20 d
    assert [row["unit_id"] for row in a["by_unit"]] == [org.unit_a.pk]
    assert [x.pk for x in a["work"]["unit_todo"]] == [story[4].pk]
    assert "to_confirm" not in a["work"]
    # unit B's contact does not see unit A's numbers
    b = hazard_figures(org.users.contact_b, at=NOW)
    assert b["totals"] == {
        "total": 3, "open": 2, "overdue": 0, "closed": 1, "closed_on_time": 1,
        "awaiting_confirmation": 0, "awaiting_verification": 1, "unit_awaiting": 1,
    }
    assert b["rectification_rate"] == 33.3
    assert b["on_time_rate"] == 100.0
    assert b["median_days_to_close"] == 1.0
    assert [row["name"] for row in b["by_unit"]] == ["机械学院"]
    assert trend(b)["2026-04"] == (1, 1) and trend(b)["2026-06"] == (1, 0)
    assert [x.pk for x in b["work"]["unit_todo"]] == [story[5].pk]


def test_campus_filter_narrows_the_figures(org, story):
    # campus 2 holds unit B's building only
    figures = hazard_figures(org.users.staff, campus_id=org.campus2.pk, at=NOW)
    assert figures["campus_id"] == org.campus2.pk
    assert (figures["totals"]["total"], figures["totals"]["closed"]) == (3, 1)
    assert [x.pk for x in figures["work"]["to_confirm"]] == []
    assert [x.pk for x in figures["work"]["to_verify"]] == [story[8].pk]


def test_grid_officer_and_leadership_scopes(org, story):
    grid = hazard_figures(org.users.grid, at=NOW)  # zone 1 = unit A's building
    assert grid["audience"] == Audience.FIELD
    assert grid["totals"]["total"] == 5 and grid["totals"]["overdue"] == 1
    assert [x.pk for x in grid["work"]["my_reports"]] == []
    lead = hazard_figures(org.users.leadership, at=NOW)
    assert lead["audience"] == Audience.LEADERSHIP
    assert lead["totals"]["total"] == 8 and lead["median_days_to_close"] == 2.0
    assert lead["work"] == {}  # read-only: nothing to do


def test_community_member_gets_their_own_reports(org, story):
    figures = hazard_figures(org.users.student2, at=NOW)
    assert figures["audience"] == Audience.COMMUNITY
    assert [x.pk for x in figures["work"]["my_reports"]] == [story[9].pk]
    assert figures["totals"]["total"] == 1 and figures["totals"]["closed"] == 1
    assert figures["trend"] is None and figures["by_unit"] is None
    student = hazard_figures(org.users.student, at=NOW)
    # newest first, the rejected report included (it is still theirs), at most 8
    assert [x.pk for x in student["work"]["my_reports"]] == [
        story[k].pk for k in (6, 5, 7, 4, 3, 2, 1, 8)
    ]


def test_no_hazards_gives_empty_figures(org):
    figures = hazard_figures(org.users.staff, at=NOW)
    assert figures["totals"]["total"] == 0
    assert figures["rectification_rate"] is None and figures["on_time_rate"] is None
    assert figures["median_days_to_close"] is None
    assert figures["by_unit"] == [] and figures["by_category"] == []
    assert [row["reported"] for row in figures["trend"]] == [0] * 12


def page_queries(client, user) -> int:
    """Queries of one home page view with nothing cached (no figures, no snapshot)."""
    cache.clear()
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("dashboards:home"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_count_is_constant(org, story, client, django_assert_max_num_queries):
    # given the page's query count with the story's hazards, computed from scratch
    before = page_queries(client, org.users.staff)
    unit_before = page_queries(client, org.users.contact_b)
    # when many more hazards of several units, categories and months exist
    for month in range(1, 6):
        for place, category in ((org.place_a, org.electrical), (org.place_b, org.traffic)):
            h = report(org, utc(2026, month, 3, 2), place=place, category=category)
            fix_on_spot(org, h, utc(2026, month, 3, 2), utc(2026, month, 4, 2))
    # then the page runs the same number of queries, and no more than the pinned figure
    assert page_queries(client, org.users.staff) == before
    assert page_queries(client, org.users.contact_b) == unit_before
    cache.clear()
    client.force_login(org.users.staff)
    # (14 for the hazards, 2 for the inspections card: inspections and assigned places, 3 for
    # the patrols card: next round, missed on led shifts, open duty-log items, 3 for the police
    # and risk card: risk points per level, reviews overdue, meeting actions overdue)
    with django_assert_max_num_queries(22):
        client.get(reverse("dashboards:home") + f"?campus={org.campus1.pk}")
    # a student's page lists their 8 latest reports without a query per row
    client.force_login(org.users.student)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("dashboards:home"))
    assert len(response.context["work"]["my_reports"]) == 8


def test_unit_page_reuses_figures_until_a_hazard_changes(org, story, client):
    # given unit B's page computed once
    with frozen(NOW):
        cold = page_queries(client, org.users.contact_b)
        # when nothing changed, the figures come from the cache: only the cache key (newest
        # timeline entry) and the to-do list are read
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("dashboards:home"))
    assert len(ctx.captured_queries) == cold - 4  # no scan, median, unit or category names
    assert response.context["totals"]["awaiting_verification"] == 1
    # when the office verifies h8 (unit B's), the unit's next page shows it at once
    with frozen(NOW):
        services.hazard_verify(actor=org.users.staff, hazard_id=story[8].pk)
        client.force_login(org.users.contact_b)
        totals = client.get(reverse("dashboards:home")).context["totals"]
    assert totals["awaiting_verification"] == 0


def test_office_and_leadership_share_the_university_snapshot(org, story, client):
    # given the office's page, which stored the university snapshot
    with frozen(NOW):
        office = page_queries(client, org.users.staff)
        assert office > 0
        client.force_login(org.users.staff)
        figures = client.get(reverse("dashboards:home")).context["figures"]
        # then leadership reads the same snapshot without touching the hazards table
        client.force_login(org.users.leadership)
        with CaptureQueriesContext(connection) as ctx:
            lead = client.get(reverse("dashboards:home")).context["figures"]
    assert lead["totals"] == figures["totals"]
    assert lead["computed_at"] == figures["computed_at"]
    assert not [q for q in ctx.captured_queries if "hazards_hazard" in q["sql"]]


def test_figures_take_a_handful_of_queries(org, story, django_assert_num_queries):
    # the grouped scan, the median, unit names, category names, two to-do lists
    staff = org.users.staff
    staff.scope  # noqa: B018 — memberships are read once per request, not by the selector
    with django_assert_num_queries(6):
        hazard_figures(staff, at=NOW)


@pytest.mark.parametrize("role", ["admin", "staff", "guard", "grid", "contact_a", "leader_a",
                                  "contact_b", "contact_log", "police", "leadership", "student"])
def test_page_renders_for_every_role(org, story, client, role):
    user = getattr(org.users, role)
    client.force_login(user)
    with frozen(NOW):
        response = client.get(reverse("dashboards:home"))
    assert response.status_code == 200
    html = response.content.decode()
    figures = hazard_figures(user, at=NOW)
    audience = figures["audience"]
    # logistics and the police liaison have no hazards in the story: no charts, a hint instead
    has_charts = audience != Audience.COMMUNITY and figures["totals"]["total"] > 0
    assert ("alert alert-light" in html) is (audience != Audience.COMMUNITY and not has_charts)
    assert ('id="chart-trend"' in html) is has_charts
    assert ("vendor/echarts/echarts.min.js" in html) is has_charts
    assert ('class="btn btn-warning btn-lg' in html) is (audience in (Audience.COMMUNITY,
                                                                       Audience.FIELD))
    detail = reverse("hazards:detail", args=[story[6].pk])
    if audience == Audience.LEADERSHIP:  # read-only: no to-do list, no action buttons
        assert "dash-todo" not in html and "btn-outline-primary" not in html
    if audience == Audience.OFFICE:
        assert f'href="{detail}">' in html  # h6 awaits confirmation


def test_page_shows_translated_chart_series(org, story, client, settings):
    import json

    client.force_login(org.users.staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with frozen(NOW):
        response = client.get(reverse("dashboards:home"))
    assert response.status_code == 200
    charts = response.context["charts"]
    assert [s["name"] for s in charts["trend"]["series"]] == ["Reported", "Closed"]
    assert charts["trend"]["xAxis"]["data"] == MONTHS
    assert charts["trend"]["series"][0]["data"] == [0, 0, 0, 0, 0, 0, 1, 1, 0, 2, 1, 2]
    unit = charts["unit"]["baseOption"]
    assert unit["yAxis"]["data"] == ["化学学院", "机械学院"]
    # by unit: closed, open within deadline, overdue; they stack to each unit's total
    assert [s["name"] for s in unit["series"]] == ["Closed", "Open, within deadline", "Overdue"]
    assert [s["data"] for s in unit["series"]] == [[3, 1], [1, 2], [1, 0]]
    assert charts["category"]["baseOption"]["series"][0]["data"] == [
        {"name": "Fire safety", "value": 7}, {"name": "Electrical", "value": 1}]
    # a click on a bar or slice opens the ledger filtered to it (static/js/charts.js)
    links = response.context["chart_links"]
    ledger = reverse("hazards:ledger")
    assert links["unit"][2] == [f"{ledger}?unit={org.unit_a.pk}&overdue=on",
                                f"{ledger}?unit={org.unit_b.pk}&overdue=on"]
    assert links["category"] == [[f"{ledger}?category={org.fire.pk}",
                                  f"{ledger}?category={org.electrical.pk}"]]
    html = response.content.decode()
    assert 'data-chart-links="links-unit"' in html and 'id="links-unit"' in html
    for chart_id in ("chart-trend", "chart-category", "chart-unit"):
        assert f'data-chart="{chart_id}"' in html and f'id="{chart_id}"' in html
    assert json.dumps(unit["yAxis"]["data"])[1:-1] in html  # ECharts gets the names
    # in Chinese (the default) the categories carry their Chinese names
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    with frozen(NOW):
        response = client.get(reverse("dashboards:home"))
    assert [d["name"] for d in response.context["charts"]["category"]["baseOption"]["series"][0][
        "data"]] == ["消防安全", "用电安全"]


def test_one_unit_gets_no_by_unit_chart(org, story, client):
    client.force_login(org.users.contact_b)
    response = client.get(reverse("dashboards:home"))
    assert set(response.context["charts"]) == {"trend", "category"}
    assert 'data-chart="chart-unit"' not in response.content.decode()


def test_campus_filter_from_the_query_string(org, story, client):
    client.force_login(org.users.staff)
    with frozen(NOW):
        response = client.get(reverse("dashboards:home") + f"?campus={org.campus2.pk}")
    assert response.context["campus_id"] == org.campus2.pk
    assert response.context["totals"]["total"] == 3
    assert f'active" href="/?campus={org.campus2.pk}"' in response.content.decode()
    # a campus id that does not exist, or no number at all, is ignored
    for bad in ("999999", "north", ""):
        response = client.get(reverse("dashboards:home") + f"?campus={bad}")
        assert response.context["campus_id"] is None
        assert response.context["totals"]["total"] == 8


# --- the inspections card -------------------------------------------------------------------
def _inspection_work(org):
    """Staff's inspection work: plan 1 assigns him place A (started: in progress) and place B
    (late); plan 2 place A again (due) and place B (never inspected); a closed plan's place
    and another inspector's place do not count. One inspection awaits approval (staff2's,
    in a plan needing review)."""
    from safecampus.core import clock
    from safecampus.inspections import services as inspections
    from safecampus.inspections.models import Coverage, InspectionTarget, PlanKind
    from safecampus.inspections.tests.helpers import (
        answer_all,
        published_checklist,
        signature_png,
    )

    version = published_checklist(org.users.admin, items=1)
    today = clock.local_today()

    def plan(name, inspector, *, needs_review=False, places=(org.place_a, org.place_b)):
        return inspections.plan_create(
            actor=org.users.admin, kind=PlanKind.CAMPAIGN, name=name,
            template_id=version.template_id, place_ids=[p.pk for p in places],
            starts_on=today, ends_on=today + dt.timedelta(days=20),
            inspector_ids=[inspector.pk], needs_review=needs_review)

    first, second = plan("一", org.users.staff), plan("二", org.users.staff)
    inspections.inspection_start(actor=org.users.staff,
                                 target_id=first.targets.get(place=org.place_a).pk)
    first.targets.filter(place=org.place_b).update(coverage=Coverage.LATE)
    second.targets.filter(place=org.place_a).update(coverage=Coverage.DUE)
    second.targets.filter(place=org.place_b).update(coverage=Coverage.NEVER)
    closed = plan("三", org.users.staff, places=(org.place_a,))
    inspections.plan_close(actor=org.users.admin, plan_id=closed.pk)
    reviewed = plan("四", org.users.staff2, needs_review=True, places=(org.place_b,))
    waiting = inspections.inspection_start(actor=org.users.staff2,
                                           target_id=reviewed.targets.get().pk)
    answer_all(waiting, org.users.staff2)
    inspections.inspection_submit(actor=org.users.staff2, inspection_id=waiting.pk,
                                  signer_name="王老师", signature=signature_png())
    assert InspectionTarget.objects.filter(plan=closed).exists()


def test_inspections_card_counts_the_work_of_an_inspector_and_an_approver(
        org, client, django_assert_num_queries):
    # given staff's assigned places, his inspection in progress and one awaiting approval
    _inspection_work(org)
    from safecampus.dashboards.selectors import inspection_work

    # then staff (an inspector) gets his places by coverage and his inspection to resume,
    # counted in two queries; approval is not his work
    staff = org.users.staff
    staff.get_all_permissions()  # Django's permission tables are read once per request
    with django_assert_num_queries(2):
        work = inspection_work(staff)
    assert work == {"awaiting_review": None, "in_progress": 1, "due": 1, "late": 1, "never": 1}
    # and the office admin the inspections awaiting approval (and his own places: none)
    assert inspection_work(org.users.admin) == {
        "awaiting_review": 1, "in_progress": 0, "due": 0, "late": 0, "never": 0}
    # and staff2, whose one inspection is submitted, has no inspection work left
    assert inspection_work(org.users.staff2) is None
    # the page shows the card with links to the inspections home page
    client.force_login(staff)
    html = client.get(reverse("dashboards:home")).content.decode()
    home = reverse("inspections:home")
    assert 'id="inspection-work"' in html
    assert f'href="{home}#my-targets"' in html and f'href="{home}#in-progress"' in html
    assert f'href="{home}#awaiting"' not in html
    client.force_login(org.users.admin)
    html = client.get(reverse("dashboards:home")).content.decode()
    assert f'href="{home}#awaiting"' in html
    assert f'href="{home}#my-targets"' not in html  # rows with nothing to do are left out


@pytest.mark.parametrize("role", ["contact_a", "leader_a", "leadership", "guard", "student"])
def test_no_inspections_card_without_inspection_work(org, client, role):
    _inspection_work(org)
    client.force_login(getattr(org.users, role))
    response = client.get(reverse("dashboards:home"))
    assert response.context["inspection_work"] is None
    assert 'id="inspection-work"' not in response.content.decode()
