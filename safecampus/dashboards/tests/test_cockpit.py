"""The leadership cockpit: every figure computed two ways (the cockpit, and the module's own
selector or list page with the drill-down's filters), per campus and for the university;
permissions; periods; query count; cache.

The story (local Asia/Shanghai times), seen on 2026-11-20 12:00:

* hazards: on campus 1 in November — one sent a notice on 1 November with 7 days (so
  overdue), one major, one plain, one rectified and closed on time (6 November); one
  confirmed in October; one rejected in November. On campus 2: one reported in November,
  one reported in October (deadline 1 November) closed late on 11 November;
* inspections (5 items each): campus 1 finished at 00:30 on 1 November (one item failed —
  the day boundary: 31 October in UTC) and at 23:30 on 31 October (none failed); campus 2
  on 10 November (two failed); each failed item became a hazard with a 7-day notice (so
  three more hazards, overdue now); a November campaign over place A, place B and a third
  place of campus 1 (so two of three places done);
* patrols (2 checkpoints × 2 rounds, 22:00 and 02:00): campus 1 on the night of
  31 October (crosses midnight; 3 of 4 done, counts for October) and of 10 November (3 of
  4); campus 2 on 12 November (nobody walked: 4 missed);
* traffic: two violations on campus 1 in November, one in October; one abandoned-vehicle
  case open on campus 1;
* education: held on campus 1 on 10 November reaching college A and on campus 2 on
  12 November reaching college B; held on campus 1 on 15 October reaching college A; one
  planned; a term that is exactly November;
* incidents: two on campus 1 in November, one on campus 2 in November, one in October;
* concerns (3 working days to answer): on campus 1 submitted 3 and 15 November (unanswered,
  overdue), 9 November (answered 19 November: late), 16 November (answered 17 November: on
  time); on campus 2 on 19 November (unanswered, not yet due);
* risk points: published major and low on campus 1, high on campus 2, one draft major.
"""

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from safecampus.accounts.models import Role
from safecampus.community.models import ConcernCategory
from safecampus.community.selectors.reports import ReportFilters, concern_report
from safecampus.community.services import concerns as concern_services
from safecampus.core import clock
from safecampus.dashboards.cockpit import METRIC_KEYS, cockpit_figures, cockpit_tables
from safecampus.dashboards.periods import current_period, month_period, quarter_period
from safecampus.education.models import Activity
from safecampus.education.selectors.activities import activity_list
from safecampus.hazards import services as hazard_services
from safecampus.hazards.models import Grade, Hazard
from safecampus.hazards.selectors import LedgerFilters, hazard_ledger
from safecampus.inspections import stats as inspection_stats
from safecampus.patrols.selectors.incidents import incident_search
from safecampus.patrols.selectors.reports import ReportFilters as PatrolFilters
from safecampus.patrols.selectors.reports import completion_totals
from safecampus.patrols.services.duty import incident_record
from safecampus.police.models import RiskPoint
from safecampus.police.selectors.risks import risk_point_list
from safecampus.police.tests.risk_map_helpers import point
from safecampus.tests.factories import user_with_role
from safecampus.traffic.selectors.abandoned import case_search
from safecampus.traffic.selectors.violations import violation_search
from safecampus.traffic.tests.abandoned_helpers import open_case
from safecampus.traffic.tests.violation_helpers import record

pytestmark = pytest.mark.django_db

NOVEMBER = month_period(2026, 11)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=clock.local_zone())


NOW = local(2026, 11, 20, 12, 0)


def _hazard(org, when, *, place=None, grade=Grade.GENERAL, title="灭火器过期"):
    with clock.frozen(when):
        return hazard_services.hazard_report(
            reporter=org.users.student, title=title, category_id=org.fire.pk,
            place_id=(place or org.place_a).pk, grade=grade)


def _noticed(org, hazard, when, days=7):
    with clock.frozen(when):
        hazard_services.hazard_confirm(actor=org.users.staff, hazard_id=hazard.pk)
        return hazard_services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                            requirements="整改", deadline_days=days)


def _evidence(org, hazard, notice, contact, when):
    """The unit acknowledges, rectifies and submits evidence at ``when``."""
    from safecampus.tests.factories import photo_upload

    with clock.frozen(when):
        hazard_services.notice_acknowledge(actor=contact, notice_id=notice.pk)
        hazard_services.hazard_start_rectification(actor=contact, hazard_id=hazard.pk)
        hazard_services.evidence_submit(actor=contact, hazard_id=hazard.pk, text="已整改",
                                        photos=[photo_upload()])


def _closed(org, hazard, notice, contact, evidence_at, closed_at):
    _evidence(org, hazard, notice, contact, evidence_at)
    with clock.frozen(closed_at):
        hazard_services.hazard_verify(actor=org.users.staff, hazard_id=hazard.pk)


def _inspect(org, version, place, at, fails=()):
    from safecampus.inspections import services as inspection_services
    from safecampus.inspections.tests.helpers import answer_all, signature_png

    with clock.frozen(at):
        inspection = inspection_services.inspection_start(
            actor=org.users.staff, place_id=place.pk, template_id=version.template_id)
        answer_all(inspection, org.users.staff, fails={code: "不符合" for code in fails})
        inspection_services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                                              signer_name="王老师", signature=signature_png())


def _patrol_night(route, day, scans):
    """The shift of ``route`` on local ``day`` (22:00 and 02:00 rounds); ``scans``: how many
    checkpoints each round got, on time."""
    from safecampus.patrols.services import patrolling
    from safecampus.patrols.tests.helpers import scan

    shift = patrolling.shift_plan(schedule=route.schedule, day=day)
    for patrol_round, done in zip(shift.rounds.order_by("sequence"), scans, strict=True):
        for i, checkpoint in enumerate(route.checkpoints[:done]):
            at = patrol_round.window_start + dt.timedelta(minutes=5 + i)
            with clock.frozen(at + dt.timedelta(minutes=1)):
                scan(route.schedule.guards.first(), checkpoint, at)


@pytest.fixture
def story(org):
    staff = org.users.staff
    # Hazards
    late = _hazard(org, local(2026, 11, 1, 9), title="消防通道堵塞")
    with clock.frozen(local(2026, 11, 1, 10)):
        hazard_services.hazard_confirm(actor=staff, hazard_id=late.pk)
        hazard_services.notice_issue(actor=staff, hazard_ids=[late.pk], requirements="清理",
                                     deadline_days=7)
    _hazard(org, local(2026, 11, 5, 9), grade=Grade.MAJOR, title="危化品混放")
    _hazard(org, local(2026, 11, 18, 9))
    _hazard(org, local(2026, 11, 6, 9), place=org.place_b, title="机械楼灭火器过期")
    old = _hazard(org, local(2026, 10, 20, 9), title="十月的隐患")
    with clock.frozen(local(2026, 10, 20, 10)):
        hazard_services.hazard_confirm(actor=staff, hazard_id=old.pk)
    rejected = _hazard(org, local(2026, 11, 7, 9), title="误报")
    with clock.frozen(local(2026, 11, 7, 10)):
        hazard_services.hazard_reject(actor=staff, hazard_id=rejected.pk, reason="不是隐患")
    on_time = _hazard(org, local(2026, 11, 2, 9), title="配电箱未上锁")
    notice = _noticed(org, on_time, local(2026, 11, 2, 10))
    _closed(org, on_time, notice, org.users.contact_a, local(2026, 11, 5, 9), local(2026, 11, 6, 9))
    late_closed = _hazard(org, local(2026, 10, 25, 9), place=org.place_b, title="楼道堆物")
    notice = _noticed(org, late_closed, local(2026, 10, 25, 10))
    _closed(org, late_closed, notice, org.users.contact_b, local(2026, 11, 10, 9),
            local(2026, 11, 11, 9))
    # Inspections
    from safecampus.inspections import services as inspection_services
    from safecampus.inspections.models import PlanKind
    from safecampus.inspections.tests.helpers import published_checklist
    from safecampus.tests.factories import PlaceFactory

    with clock.frozen(local(2026, 10, 1, 9)), translation.override("en"):
        version = published_checklist(org.users.admin, items=5)
    with translation.override("en"):
        _inspect(org, version, org.place_a, local(2026, 11, 1, 0, 30), fails=("1.1",))
        _inspect(org, version, org.place_a, local(2026, 10, 31, 23, 30))
        _inspect(org, version, org.place_b, local(2026, 11, 10, 10), fails=("1.2", "1.3"))
    place_c = PlaceFactory(building=org.building_a, campus=org.campus1, code="a1-109",
                           name="109实验室")
    with clock.frozen(local(2026, 11, 19, 9)):
        inspection_services.plan_create(
            actor=staff, kind=PlanKind.CAMPAIGN, name="十一月安全大检查",
            template_id=version.template_id, place_ids=[org.place_a.pk, org.place_b.pk,
                                                        place_c.pk],
            starts_on=dt.date(2026, 11, 1), ends_on=dt.date(2026, 11, 30))
    # Patrols
    from safecampus.patrols.models import PatrolRoute
    from safecampus.patrols.tests.helpers import build_route

    north = build_route(org, code="north-night", checkpoints=2, rounds=2)
    south = build_route(org, code="south-night", checkpoints=2, rounds=2)
    PatrolRoute.objects.filter(pk=south.route.pk).update(campus=org.campus2, zone=None)
    _patrol_night(north, dt.date(2026, 10, 31), (2, 1))
    _patrol_night(north, dt.date(2026, 11, 10), (2, 1))
    _patrol_night(south, dt.date(2026, 11, 12), (0, 0))
    # Traffic
    record(org, "陕A12345", at=local(2026, 11, 3, 8))
    record(org, "陕A12346", at=local(2026, 11, 12, 8))
    record(org, "陕A12347", at=local(2026, 10, 12, 8))
    open_case(org, "陕A54321", when=local(2026, 11, 4, 9))
    # Education
    from safecampus.education.tests.activity_helpers import hold, plan

    with clock.frozen(local(2026, 11, 1, 9)):
        held = plan(staff, starts_at=local(2026, 11, 10, 11), campus_id=org.campus1.pk,
                    colleges=[org.unit_a])
    with clock.frozen(local(2026, 11, 10, 13)):
        hold(staff, held)
        plan(staff, title="消防演练", starts_at=local(2026, 11, 25, 15),
             campus_id=org.campus1.pk)
    for when, campus, college in ((local(2026, 11, 12, 10), org.campus2, org.unit_b),
                                  (local(2026, 10, 15, 10), org.campus1, org.unit_a)):
        with clock.frozen(when - dt.timedelta(days=3)):
            activity = plan(staff, title="防诈骗讲座", starts_at=when, campus_id=campus.pk,
                            colleges=[college])
        with clock.frozen(when + dt.timedelta(hours=2)):
            hold(staff, activity)
    from safecampus.education.models import Term

    Term.objects.create(name="十一月学期", starts_on=dt.date(2026, 11, 1),
                        ends_on=dt.date(2026, 11, 30))
    # Incidents
    for campus, when in ((org.campus1, local(2026, 11, 2, 21)), (org.campus1, local(2026, 11, 9, 1)),
                         (org.campus2, local(2026, 11, 10, 3)), (org.campus1, local(2026, 10, 9, 3))):
        with clock.frozen(when + dt.timedelta(hours=1)):
            incident_record(actor=staff, category="theft", summary="电动车被盗",
                            occurred_at=when, campus_id=campus.pk)
    # Concerns
    parking = ConcernCategory.objects.create(code="parking", name="停车难", name_en="Parking")
    assert parking.answer_days == 3
    for day, campus, answered in ((3, org.campus1, None), (15, org.campus1, None),
                                  (9, org.campus1, 19), (16, org.campus1, 17),
                                  (19, org.campus2, None)):
        with clock.frozen(local(2026, 11, day, 9)):
            concern = concern_services.concern_submit(
                actor=org.users.student, category_id=parking.pk, title="东门停车位不够",
                description="找不到车位。", campus_id=campus.pk)
        if answered:
            with clock.frozen(local(2026, 11, answered, 16)):
                concern_services.concern_answer(actor=staff, concern_id=concern.pk,
                                                answer="已增设车位。")
    # Risk points
    point(org.campus1, "R-1", level="major")
    point(org.campus1, "R-2", level="low")
    point(org.campus2, "R-3", level="high")
    point(org.campus1, "R-4", level="major", state="draft")
    # Published: R-1 in October, R-2 and R-3 in November (the register's publication times)
    for code, day in (("R-1", (2026, 10, 15)), ("R-2", (2026, 11, 10)), ("R-3", (2026, 11, 20))):
        RiskPoint.objects.filter(code=code).update(published_at=local(*day, 10))
    with clock.frozen(NOW):
        cache.clear()
        yield org


def english(client):
    """Pages in English from now on (the language cookie LocaleMiddleware reads)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def independent(user, period, campus_id) -> dict:
    """Every count the cockpit shows, from each module's own selectors with the filters of
    its list or statistics page (the second way)."""
    first, last = period.first, period.last
    stats = inspection_stats.totals(user, inspection_stats.StatsFilters(
        date_from=first, date_to=last, campus_id=campus_id))
    patrol = completion_totals(PatrolFilters(date_from=first, date_to=last, campus_id=campus_id))
    campus = None
    if campus_id:
        from safecampus.organisation.models import Campus

        campus = Campus.objects.get(pk=campus_id)
    out = {
        "hazards_reported": hazard_ledger(user, LedgerFilters(
            campus=campus_id, status="valid", date_from=first, date_to=last)).count(),
        "hazards_open": hazard_ledger(user, LedgerFilters(campus=campus_id, status="open")).count(),
        "hazards_overdue": hazard_ledger(user, LedgerFilters(campus=campus_id,
                                                             overdue=True)).count(),
        "hazards_major": hazard_ledger(user, LedgerFilters(campus=campus_id, status="open",
                                                           grade=Grade.MAJOR)).count(),
        "inspections_done": stats["inspections"],
        "inspection_compliance": None if stats["rate"] is None else round(stats["rate"], 1),
        "patrol_completion": (None if patrol["completion_rate"] is None
                              else round(patrol["completion_rate"], 1)),
        "patrol_missed_checkpoints": patrol["missed"],
        "traffic_violations": violation_search(user, date_from=first, date_to=last,
                                               campus_id=campus_id).count(),
        "abandoned_vehicles": case_search(user, state="open", campus_id=campus_id).count(),
        "education_activities": activity_list(user, date_from=first, date_to=last,
                                              campus_id=campus_id,
                                              state=Activity.State.HELD).count(),
        "incidents": incident_search(user, date_from=first, date_to=last,
                                     campus_id=campus_id).count(),
        "concerns_received": concern_report(ReportFilters(date_from=first, date_to=last,
                                                          campus_id=campus_id)).total,
    }
    for level in ("major", "high", "moderate", "low"):
        out[f"risk_{level}"] = risk_point_list(user, campus=campus, level=level,
                                               state="published").count()
    return out


#: Every figure of November, counted by hand from the story: (university, campus 1, campus 2).
EXPECTED = {
    # the inspections' failed items became hazards with 7-day notices: [1.1] on campus 1
    # (1 November 00:30), [1.2] and [1.3] on campus 2 (10 November), all overdue now
    "hazards_reported": (8, 5, 3),
    "hazards_open": (8, 5, 3),
    "hazards_overdue": (4, 2, 2),
    "hazards_rectification_rate": (12.5, 20.0, 0.0),  # closed of those reported: 1/8, 1/5, 0/3
    "hazards_on_time_rate": (50.0, 100.0, 0.0),  # closed in November: on time + late
    "hazards_major": (1, 1, 0),
    "inspections_done": (2, 1, 1),  # the one at 00:30 on 1 November counts for November
    "inspection_coverage": (66.7, 50.0, 100.0),  # places A, B done; the third not
    "inspection_compliance": (70.0, 80.0, 60.0),  # 7/10, 4/5, 3/5 items complied
    "patrol_completion": (37.5, 75.0, 0.0),  # 3/8, 3/4, 0/4 checkpoints
    "patrol_missed_checkpoints": (5, 1, 4),
    "traffic_violations": (2, 2, 0),
    "abandoned_vehicles": (1, 1, 0),
    "education_activities": (2, 1, 1),
    "education_coverage": (100.0, 50.0, 50.0),  # of the two colleges
    "incidents": (3, 2, 1),
    "concerns_received": (5, 4, 1),
    "concerns_answered_on_time": (40.0, 25.0, 100.0),
    "risk_major": (1, 1, 0),
    "risk_high": (1, 0, 1),
    "risk_moderate": (0, 0, 0),
    "risk_low": (1, 1, 0),
}
#: October (the previous period), university: by hand as well.
EXPECTED_OCTOBER = {
    "hazards_reported": 2, "hazards_open": 2, "hazards_overdue": 0,
    "hazards_rectification_rate": 50.0, "hazards_on_time_rate": None, "hazards_major": 0,
    "inspections_done": 1, "inspection_coverage": None, "inspection_compliance": 100.0,
    "patrol_completion": 75.0, "patrol_missed_checkpoints": 1,  # the night across 1 Nov
    "traffic_violations": 1, "abandoned_vehicles": 0, "education_activities": 1,
    "education_coverage": 50.0, "incidents": 1, "concerns_received": 0,
    "concerns_answered_on_time": None, "risk_major": 1, "risk_high": 0,
    "risk_moderate": 0, "risk_low": 0,  # R-1 only was published by the end of October
}


def _pages(client, user, campus_id) -> dict:
    """The figures of November as the modules' own statistics pages show them (the page is
    rendered with the drill-down's filters and its context read)."""
    client.force_login(user)
    days = {"date_from": "2026-11-01", "date_to": "2026-11-30",
            **({"campus": campus_id} if campus_id else {})}
    inspections = client.get(reverse("inspections:statistics"), days).context
    patrols = client.get(reverse("patrols:reports"), days).context
    concerns = client.get(reverse("community:reports"), days).context
    return {"inspections": inspections, "patrols": patrols, "concerns": concerns}


@pytest.mark.parametrize("who", ["admin", "staff", "leadership", None])
def test_figures_equal_the_module_selectors_per_campus_and_for_the_university(story, who):
    # Given the story, and a person of the office or leadership (None: the big screen)
    org = story
    user = getattr(org.users, who) if who else None
    viewer = user or org.users.admin
    for column, campus_id in enumerate((None, org.campus1.pk, org.campus2.pk)):
        # When the cockpit computes November (no cache)
        figures = cockpit_figures(user=user, period=NOVEMBER, campus_id=campus_id, max_age=0)
        got = {key: figures["metrics"][key]["value"] for key in METRIC_KEYS}
        # Then every count equals the module's own selector with the same filters
        expected = independent(viewer, NOVEMBER, campus_id)
        assert {key: got[key] for key in expected} == expected, campus_id
        # And every figure is the one counted by hand (none of them all zero or None)
        assert got == {key: values[column] for key, values in EXPECTED.items()}, campus_id
    # And the contract holds: every key, sections in module order
    assert set(figures["metrics"]) == set(METRIC_KEYS) == set(EXPECTED)
    assert [s["key"] for s in figures["sections"]] == [
        "hazards", "inspections", "patrols", "traffic", "education", "incidents", "concerns",
        "risks"]


def test_previous_period_figures_counted_by_hand(story):
    figures = cockpit_figures(user=None, period=NOVEMBER, max_age=0)
    assert {k: m["previous"] for k, m in figures["metrics"].items()} == EXPECTED_OCTOBER
    # and October itself, as a past period, gives the same figures
    october = cockpit_figures(user=None, period=month_period(2026, 10), max_age=0)
    assert {k: m["value"] for k, m in october["metrics"].items()} == EXPECTED_OCTOBER


@pytest.mark.parametrize("campus", [None, "campus1", "campus2"])
def test_statistics_pages_show_the_same_figures(story, client, campus):
    # Given the office head, and the statistics pages the cockpit's cards open
    org = story
    campus_id = getattr(org, campus).pk if campus else None
    m = cockpit_figures(user=org.users.admin, period=NOVEMBER, campus_id=campus_id,
                        max_age=0)["metrics"]
    pages = _pages(client, org.users.admin, campus_id)
    # Inspections: the statistics page's totals
    totals = pages["inspections"]["figures"].totals
    assert m["inspections_done"]["value"] == totals["inspections"]
    assert m["inspection_compliance"]["value"] == round(totals["rate"], 1)
    # Patrols: the report page's completion and missed checkpoints
    patrol = pages["patrols"]["totals"]
    assert m["patrol_completion"]["value"] == round(patrol["completion_rate"], 1)
    assert m["patrol_missed_checkpoints"]["value"] == patrol["missed"]
    # Concerns: the report page's total
    assert m["concerns_received"]["value"] == pages["concerns"]["report"].total
    # Inspection coverage: the active plan's places done, as its page lists them
    from safecampus.inspections.models import Coverage, InspectionPlan
    from safecampus.inspections.selectors import target_list_visible_to

    plan = InspectionPlan.objects.get(name="十一月安全大检查")
    targets = target_list_visible_to(org.users.admin, plan)
    if campus_id:
        targets = targets.filter(place__campus_id=campus_id)
    done = sum(1 for t in targets if t.coverage == Coverage.DONE)
    assert m["inspection_coverage"]["value"] == round(100 * done / len(targets), 1)
    # Hazards: the ledger's reported and closed hazards of November; the rate's link lists
    # the closed ones (its numerator)
    ledger = {status: hazard_ledger(org.users.admin, LedgerFilters(
        campus=campus_id, status=status, date_from=NOVEMBER.first,
        date_to=NOVEMBER.last)).count() for status in ("valid", "closed")}
    assert m["hazards_rectification_rate"]["value"] == round(
        100 * ledger["closed"] / ledger["valid"], 1)
    listed = client.get(m["hazards_rectification_rate"]["url"]).context["page"]
    assert len(listed.object_list) == ledger["closed"] == 1 - (campus == "campus2")
    # Inspection coverage of the university: the active plans' page, places done / all
    if campus is None:
        plans = client.get(m["inspection_coverage"]["url"]).context["page"].object_list
        done, total = sum(p.done for p in plans), sum(p.total for p in plans)
        assert m["inspection_coverage"]["value"] == round(100 * done / total, 1) == 66.7


def test_education_coverage_opens_the_coverage_page_of_the_period(story, client):
    # Given the university's November (the term of the story is exactly November)
    client.force_login(story.users.admin)
    metric = cockpit_figures(user=story.users.admin, period=NOVEMBER,
                             max_age=0)["metrics"]["education_coverage"]
    # When the office head opens its drill-down
    query = parse_qs(urlsplit(metric["url"]).query)
    from safecampus.education.models import Term

    assert query == {"term": [str(Term.objects.get(name="十一月学期").pk)],
                     "dimension": ["colleges"]}
    coverage = client.get(metric["url"]).context["coverage"]
    # Then the page covers that term and shows the same share of colleges reached
    assert coverage.term.name == "十一月学期"
    reached = sum(1 for row in coverage.rows if row.reached)
    assert metric["value"] == round(100 * reached / len(coverage.rows), 1) == 100.0


def test_rates_previous_period_change_and_trend(story):
    figures = cockpit_figures(user=None, period=NOVEMBER, campus_id=story.campus1.pk, max_age=0)
    m = figures["metrics"]
    # 整改率: one of the 5 November hazards of campus 1 is closed
    assert m["hazards_rectification_rate"]["value"] == 20.0
    # October: one hazard reported (previous period), one violation, one incident
    assert m["hazards_reported"]["previous"] == 1
    assert m["hazards_reported"]["change"] == 4
    assert m["traffic_violations"]["previous"] == 1
    assert m["incidents"]["previous"] == 1 and m["incidents"]["change"] == 1
    # Education coverage: college A of the two colleges (unit A, unit B) was reached
    assert m["education_coverage"]["value"] == 50.0
    # Concerns: one of the four answered in time (two unanswered and overdue, one late)
    assert m["concerns_answered_on_time"]["value"] == 25.0
    # Open at the end of October (a past period): the October hazard only
    assert m["hazards_open"]["previous"] == 1
    # Risk points at the end of October: R-1 (major) was published; R-2 (low) only in November
    assert (m["risk_major"]["previous"], m["risk_major"]["change"]) == (1, 0)
    assert (m["risk_low"]["value"], m["risk_low"]["previous"]) == (1, 0)
    # The trend: 12 local months ending with November, oldest first
    trend = m["hazards_reported"]["trend"]
    assert [d for d, _v in trend][0] == dt.date(2025, 12, 1)
    assert trend[-2:] == [(dt.date(2026, 10, 1), 1), (dt.date(2026, 11, 1), 5)]
    assert m["hazards_reported"]["unit"] == "count"
    assert m["hazards_overdue"]["better"] == "down"


LIST_PAGES = {"hazards_reported", "hazards_open", "hazards_overdue", "hazards_major",
              "traffic_violations", "abandoned_vehicles", "education_activities", "incidents",
              "risk_major", "risk_high", "risk_moderate", "risk_low"}


@pytest.mark.parametrize("campus", [None, "campus1", "campus2"])
def test_drill_down_lists_exactly_the_records_behind_the_number(story, client, campus):
    # Given the office head on the cockpit of this month (November, it includes today)
    org = story
    client.force_login(org.users.admin)
    campus_id = getattr(org, campus).pk if campus else None
    figures = cockpit_figures(user=org.users.admin, period=current_period(), campus_id=campus_id,
                              max_age=0)
    for key in LIST_PAGES:
        metric = figures["metrics"][key]
        # When they open the drill-down
        response = client.get(metric["url"])
        assert response.status_code == 200, key
        # Then the list shows exactly that many records (one page, none further)
        page = response.context["page"]
        assert not page.has_next
        assert len(page.object_list) == metric["value"], key
        if campus_id:
            assert parse_qs(urlsplit(metric["url"]).query)["campus"] == [str(campus_id)]
    # And the ledger states the overdue count in words
    english(client)
    response = client.get(figures["metrics"]["hazards_overdue"]["url"])
    n = figures["metrics"]["hazards_overdue"]["value"]
    assert n == {None: 4, "campus1": 2, "campus2": 2}[campus]
    assert f"{n} hazards match these filters" in response.content.decode()
    # And the statistics pages behind the other figures open
    for key in ("inspections_done", "patrol_completion", "concerns_received",
                "education_coverage"):
        assert client.get(figures["metrics"][key]["url"]).status_code == 200, key


def test_tables_for_the_reports(story):
    tables = cockpit_tables(user=None, period=NOVEMBER)
    assert [row["open"] for row in tables["units"]] == sorted(
        (row["open"] for row in tables["units"]), reverse=True)
    assert sum(row["open"] for row in tables["units"]) == 8
    assert sum(row["overdue"] for row in tables["units"]) == 4
    # overdue now (the period includes today): days counted to today, 20 November
    assert [(row["title"], row["deadline"], row["days_overdue"]) for row in tables["overdue"]] \
        == [("消防通道堵塞", dt.date(2026, 11, 8), 12), ("[1.1] 不符合", dt.date(2026, 11, 8), 12),
            ("[1.2] 不符合", dt.date(2026, 11, 17), 3), ("[1.3] 不符合", dt.date(2026, 11, 17), 3)]
    assert [row["title"] for row in tables["major"]] == ["危化品混放"]
    assert tables["incidents"] == [{"category": "theft", "label": tables["incidents"][0]["label"],
                                    "n": 3}]


# --- past periods -----------------------------------------------------------------------------
def _noticed_on(org, day, title, *, place=None):
    """A hazard reported on local ``day`` of October and sent a notice (7 days) that day."""
    hazard = _hazard(org, local(2026, 10, day, 9), title=title, place=place)
    _noticed(org, hazard, local(2026, 10, day, 10))
    return hazard


def test_days_overdue_of_a_past_period_count_to_its_last_day(org):
    # Given a hazard with the deadline 8 October, still not rectified
    hazard = _noticed_on(org, 1, "消防通道堵塞")
    assert Hazard.objects.get(pk=hazard.pk).deadline.astimezone(
        clock.local_zone()).date() == dt.date(2026, 10, 8)
    with clock.frozen(local(2026, 12, 5, 9)):
        # When the October report is read in December
        (row,) = cockpit_tables(user=None, period=month_period(2026, 10))["overdue"]
        # Then it is 23 days overdue at the end of October (8 → 31 October)
        assert row["days_overdue"] == 23
        # and 30 days at the end of November
        (row,) = cockpit_tables(user=None, period=month_period(2026, 11))["overdue"]
        assert row["days_overdue"] == 53
        # and counted to today in the month that includes it (8 October → 5 December)
        (row,) = cockpit_tables(user=None, period=month_period(2026, 12))["overdue"]
        assert row["days_overdue"] == 58


def test_overdue_has_one_meaning_owed_by_the_unit_in_every_period(org):
    # Given two hazards past their deadline (8 October): the unit of the first submitted its
    # evidence on 20 October (awaiting the office's review since), the second on 3 November
    first = _noticed_on(org, 1, "第一条")
    second = _noticed_on(org, 1, "第二条")
    notices = {h.pk: Hazard.objects.get(pk=h.pk).current_notice for h in
               (first, second)}
    _evidence(org, first, notices[first.pk], org.users.contact_a, local(2026, 10, 20, 9))
    _evidence(org, second, notices[second.pk], org.users.contact_a, local(2026, 11, 3, 9))
    with clock.frozen(local(2026, 12, 5, 9)):
        cache.clear()
        # Then at the end of October only the second was still owed by the unit
        october = cockpit_figures(user=None, period=month_period(2026, 10), max_age=0)
        assert october["metrics"]["hazards_overdue"]["value"] == 1
        assert [r["title"] for r in cockpit_tables(user=None,
                                                   period=month_period(2026, 10))["overdue"]] \
            == ["第二条"]
        units = cockpit_tables(user=None, period=month_period(2026, 10))["units"]
        assert [(r["open"], r["overdue"]) for r in units] == [(2, 1)]
        # And now neither (both await review), as the ledger's overdue filter says
        december = cockpit_figures(user=None, period=month_period(2026, 12), max_age=0)
        m = december["metrics"]["hazards_overdue"]
        assert m["value"] == 0 == hazard_ledger(org.users.admin,
                                                LedgerFilters(overdue=True)).count()
        assert cockpit_tables(user=None, period=month_period(2026, 12))["overdue"] == []
        # And the trend and the previous period use the same rule: September 0, October 1,
        # November 0 (both awaiting review at its end), December now 0
        assert m["trend"][-4:] == [(dt.date(2026, 9, 1), 0), (dt.date(2026, 10, 1), 1),
                                   (dt.date(2026, 11, 1), 0), (dt.date(2026, 12, 1), 0)]
        assert m["previous"] == 0


def test_trend_has_no_future_months(story):
    # Given the fourth quarter seen on 20 November
    figures = cockpit_figures(user=None, period=quarter_period(2026, 4), max_age=0)
    for key, metric in figures["metrics"].items():
        # Then December has not started: no figure; November has one
        (last_day, last_value), (nov_day, nov_value) = metric["trend"][-1], metric["trend"][-2]
        assert last_day == dt.date(2026, 12, 1) and last_value is None, key
        assert nov_day == dt.date(2026, 11, 1) and nov_value is not None, key
    m = figures["metrics"]
    assert m["hazards_open"]["trend"][-2:] == [(dt.date(2026, 11, 1), 8),
                                              (dt.date(2026, 12, 1), None)]
    assert m["hazards_reported"]["trend"][-3:] == [(dt.date(2026, 10, 1), 2),
                                                  (dt.date(2026, 11, 1), 8),
                                                  (dt.date(2026, 12, 1), None)]


def test_previous_period_abandoned_vehicles_and_the_local_midnight_edge(org):
    # Given a case opened on 5 October and closed (moved) on 10 November, one still open
    from safecampus.traffic.models import AbandonedVehicleCase
    from safecampus.traffic.services.abandoned import abandoned_mark_moved

    closed = open_case(org, "陕A11111", when=local(2026, 10, 5, 9))
    # (created_at is the database's clock, not the frozen one: as the case was opened)
    AbandonedVehicleCase.objects.filter(pk=closed.pk).update(created_at=local(2026, 10, 5, 9))
    open_case(org, "陕A22222", when=local(2026, 11, 4, 9))
    with clock.frozen(local(2026, 11, 10, 9)):
        abandoned_mark_moved(actor=org.users.staff, case_id=closed.pk, note="车主已移走")
    # And a violation and an incident at 00:30 local on 1 November (16:30 UTC on 31 October)
    edge = local(2026, 11, 1, 0, 30)
    assert edge.astimezone(dt.UTC).date() == dt.date(2026, 10, 31)
    record(org, "陕A33333", at=edge)
    with clock.frozen(edge + dt.timedelta(hours=1)):
        incident_record(actor=org.users.staff, category="theft", summary="电动车被盗",
                        occurred_at=edge, campus_id=org.campus1.pk)
    with clock.frozen(NOW):
        m = cockpit_figures(user=None, period=NOVEMBER, max_age=0)["metrics"]
    # Then October ended with one open case, November (now) has one
    assert (m["abandoned_vehicles"]["value"], m["abandoned_vehicles"]["previous"]) == (1, 1)
    assert m["abandoned_vehicles"]["trend"][-3:] == [
        (dt.date(2026, 9, 1), 0), (dt.date(2026, 10, 1), 1), (dt.date(2026, 11, 1), 1)]
    # And the records at 00:30 on 1 November count for November, not October
    for key in ("traffic_violations", "incidents"):
        assert (m[key]["value"], m[key]["previous"]) == (1, 0), key


# --- permissions ------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["contact_a", "leader_a", "guard", "grid", "police", "student"])
def test_others_get_403(org, client, who):
    client.force_login(getattr(org.users, who))
    assert client.get(reverse("dashboards:cockpit")).status_code == 403
    assert client.get(reverse("dashboards:cockpit_map")).status_code == 403
    assert client.get(reverse("dashboards:displays")).status_code == 403


def test_office_and_leadership_open_it_and_the_menu_shows_it(org, client):
    for user in (org.users.admin, org.users.staff, org.users.leadership):
        client.force_login(user)
        with translation.override("zh-hans"):
            response = client.get(reverse("dashboards:cockpit"))
        assert response.status_code == 200
        assert 'href="/cockpit/"' in response.content.decode()
        assert "驾驶舱" in response.content.decode()
    # Only office administrators manage wall displays
    client.force_login(org.users.staff)
    assert client.get(reverse("dashboards:displays")).status_code == 403


def test_a_leader_of_one_campus_sees_that_campus_only(org, client):
    leader = user_with_role(Role.LEADERSHIP, campus=org.campus2, username="campus_leader")
    client.force_login(leader)
    response = client.get(reverse("dashboards:cockpit"))
    assert response.status_code == 200
    assert response.context["campus_id"] == org.campus2.pk
    # Asking for the other campus shows an error and stays on theirs
    response = client.get(reverse("dashboards:cockpit"), {"campus": org.campus1.pk})
    assert response.context["campus_id"] == org.campus2.pk
    assert response.context["form"].errors["campus"]
    assert not leader.has_perm("dashboards.view_cockpit", 0)
    assert leader.has_perm("dashboards.view_cockpit", org.campus2.pk)


# --- periods ----------------------------------------------------------------------------------
def test_period_switcher(story, client):
    client.force_login(story.users.admin)
    url = reverse("dashboards:cockpit")
    for choice, key in (("this_month", "2026-11"), ("last_month", "2026-10"),
                        ("this_quarter", "2026-Q4"), ("last_quarter", "2026-Q3")):
        assert client.get(url, {"period": choice}).context["period"].key == key
    response = client.get(url, {"period": "custom", "date_from": "2026-11-01",
                                "date_to": "2026-11-15"})
    assert response.context["period"].key == "2026-11-01..2026-11-15"
    assert response.context["figures"]["previous"].key == "2026-10-17..2026-10-31"


@pytest.mark.parametrize("params, field, message", [
    ({"date_from": "2026-11-15", "date_to": "2026-11-01"}, "date_to",
     "The end date is before the start date."),
    ({"date_from": "2024-01-01", "date_to": "2026-11-01"}, "date_to",
     "A period can be at most 731 days long."),
    ({"date_to": "2026-11-01"}, "date_from", "Give the first day of a custom period."),
    ({"date_from": "2026-11-41", "date_to": "2026-11-01"}, "date_from", "Enter a valid date."),
    ({"date_from": "2027-01-01", "date_to": "2027-02-01"}, "date_from",
     "This period has not started yet; choose a period up to today."),
])
def test_custom_period_errors_are_shown_and_this_month_is_used(story, client, params, field,
                                                               message):
    client.force_login(story.users.admin)
    english(client)
    response = client.get(reverse("dashboards:cockpit"), {"period": "custom", **params})
    assert response.status_code == 200
    with translation.override("en"):
        assert [str(e) for e in response.context["form"].errors[field]] == [message]
    assert response.context["period"].key == "2026-11"
    assert message in response.content.decode()


def test_custom_period_error_in_chinese(story, client):
    client.force_login(story.users.admin)
    with translation.override("zh-hans"):
        response = client.get(reverse("dashboards:cockpit"), {
            "period": "custom", "date_from": "2026-11-15", "date_to": "2026-11-01"})
    assert "结束日期早于开始日期。" in response.content.decode()


def test_bad_campus_and_period_values_change_nothing(story, client):
    client.force_login(story.users.admin)
    for params in ({"campus": "999999"}, {"campus": "abc"}, {"period": "forever"}):
        response = client.get(reverse("dashboards:cockpit"), params)
        assert response.status_code == 200
        assert response.context["campus_id"] is None
        assert response.context["period"].key == "2026-11"


# --- cost and cache ---------------------------------------------------------------------------
def test_page_query_count_is_pinned_and_does_not_grow(story, client):
    client.force_login(story.users.admin)
    url = reverse("dashboards:cockpit")
    with CaptureQueriesContext(connection) as cold:
        assert client.get(url).status_code == 200
    for n in range(5):  # more records of every kind
        _hazard(story, local(2026, 11, 19, 9 + n))
        record(story, f"陕B1234{n}", at=local(2026, 11, 19, 9 + n))
    cache.clear()
    with CaptureQueriesContext(connection) as cold_more:
        assert client.get(url).status_code == 200
    assert len(cold) == len(cold_more)
    # session + user + memberships, the timeline key, 10 module aggregates, the colleges,
    # the risk levels, the education term, the working-day calendar (answered concerns)
    # and the campus list of the form
    assert len(cold) == 22
    with CaptureQueriesContext(connection) as warm:
        assert client.get(url).status_code == 200
    assert len(warm) <= 6


def test_cache_per_scope_and_a_change_shows_at_once(story):
    first = cockpit_figures(user=story.users.admin, period=NOVEMBER)
    # A leader shares the office's entry only when they may open the same module pages
    with CaptureQueriesContext(connection) as cached:
        again = cockpit_figures(user=story.users.admin, period=NOVEMBER)
    assert again == first
    assert len(cached) == 1  # the newest timeline entry only
    # A change writes a timeline entry: the next read computes afresh
    _hazard(story, local(2026, 11, 20, 11))
    after = cockpit_figures(user=story.users.admin, period=NOVEMBER)
    assert after["metrics"]["hazards_reported"]["value"] == \
        first["metrics"]["hazards_reported"]["value"] + 1
    # Each language has its own entry (labels are translated)
    with translation.override("en"):
        english = cockpit_figures(user=story.users.admin, period=NOVEMBER)
    with translation.override("zh-hans"):
        chinese = cockpit_figures(user=story.users.admin, period=NOVEMBER)
    assert english["metrics"]["hazards_overdue"]["label"] == "Overdue hazards"
    assert chinese["metrics"]["hazards_overdue"]["label"] == "逾期隐患"


def test_map_layers(story, client):
    from safecampus.police.tests.risk_map_helpers import give_map

    client.force_login(story.users.leadership)
    url = reverse("dashboards:cockpit_map")
    english(client)
    response = client.get(url, {"campus": story.campus1.pk, "layer": "hazards"})
    assert "This campus has no map image yet." in response.content.decode()
    # Given positions and a map image
    story.place_a.map_x, story.place_a.map_y = 30, 40
    story.place_a.save()
    give_map(story.campus1)
    for layer, total in (("hazards", 5), ("incidents", 2), ("violations", 2)):
        for mode in ("points", "heat"):
            response = client.get(url, {"campus": story.campus1.pk, "layer": layer,
                                        "mode": mode})
            assert response.status_code == 200
            data = response.context["map"]["data"]
            assert data.total == total, layer
            html = response.content.decode()
            assert ("ck-heat" in html) == (mode == "heat" and data.placed > 0)
    response = client.get(url, {"campus": story.campus1.pk, "layer": "nonsense", "mode": "x"})
    assert response.context["layer"] == "hazards" and response.context["mode"] == "points"



def test_the_map_keeps_the_cockpits_period(story, client):
    from safecampus.police.tests.risk_map_helpers import give_map

    story.place_a.map_x, story.place_a.map_y = 30, 40
    story.place_a.save()
    give_map(story.campus1)
    client.force_login(story.users.leadership)
    # Given the cockpit of last month (October) for campus 1
    response = client.get(reverse("dashboards:cockpit"),
                          {"campus": story.campus1.pk, "period": "last_month"})
    map_url = response.context["map_url"]
    assert parse_qs(urlsplit(map_url).query) == {"campus": [str(story.campus1.pk)],
                                                 "period": ["last_month"]}
    # When its map link is opened: October's incidents (one on campus 1), not November's
    english(client)
    response = client.get(map_url + "&layer=incidents")
    assert response.context["period"].key == "2026-10"
    assert response.context["map"]["data"].total == 1
    assert "Incidents in 2026-10, per place." in response.content.decode()
    # And the way back keeps the period
    assert parse_qs(urlsplit(response.context["cockpit_url"]).query)["period"] == ["last_month"]
    # A custom period works as on the cockpit (errors shown, this month used)
    response = client.get(reverse("dashboards:cockpit_map"), {
        "campus": story.campus1.pk, "layer": "incidents", "period": "custom",
        "date_from": "2026-11-15", "date_to": "2026-11-01"})
    assert response.context["period"].key == "2026-11"
    assert "The end date is before the start date." in response.content.decode()
    assert response.context["map"]["data"].total == 2


def test_past_period_state_cards_say_their_list_is_the_state_now(story, client):
    client.force_login(story.users.admin)
    english(client)
    note = "Its list shows the records as they are now."
    html = client.get(reverse("dashboards:cockpit"), {"period": "last_month"}).content.decode()
    cards = {m.group(1): m.group(0)
             for m in re.finditer(r'id="metric-(\w+)".*?</a></div>', html, re.S)}
    assert note in cards["hazards_open"] and note in cards["abandoned_vehicles"]
    assert note not in cards["hazards_reported"] and note not in cards["incidents"]
    # This month's cards are as of now: no note
    assert note not in client.get(reverse("dashboards:cockpit")).content.decode()
