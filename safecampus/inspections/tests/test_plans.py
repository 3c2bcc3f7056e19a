"""Plans and campaigns through their pages: creation and its refusals, targets and their
units and inspectors, coverage as inspections start and finish and the calendar moves on,
who sees which targets, bulk assignment, closing, and query counts that do not grow."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safecampus.core import clock
from safecampus.core.errors import DomainError
from safecampus.core.models import ActivityEntry
from safecampus.inspections import services
from safecampus.inspections.models import (
    Coverage,
    InspectionPlan,
    InspectionTarget,
    PlanKind,
)
from safecampus.organisation.models import Place, RiskLevel
from safecampus.tests.factories import PlaceFactory

from .helpers import answer_all, login, messages_of, published_checklist, signature_png

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 4, 1)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=clock.local_zone())


def _checklist(org):
    return published_checklist(org.users.admin, items=3, category_id=org.fire.pk)


def _campaign(org, places, *, inspectors=(), ends_on=TODAY + dt.timedelta(days=14), **kw):
    version = _checklist(org)
    return services.plan_create(
        actor=org.users.admin, kind=PlanKind.CAMPAIGN, name="春季实验室安全专项检查",
        template_id=version.template_id, place_ids=[p.pk for p in places], starts_on=TODAY,
        ends_on=ends_on, inspector_ids=[u.pk for u in inspectors], **kw)


def _more_places(org, n: int, *, building=None, campus=None, prefix="x"):
    building = building or org.building_a
    return [PlaceFactory(building=building, campus=campus or building.campus,
                         code=f"{prefix}-{building.code}-{i}", name=f"{i}室", kind=Place.Kind.LAB)
            for i in range(n)]


def _form(org, version, **extra):
    data = {"kind": "campaign", "name": "安全大检查", "template": version.template_id,
            "starts_on": "2026-04-01", "ends_on": "2026-04-30", "all_matching": "on",
            "deadline_days": "7"}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


# --- creating a plan ------------------------------------------------------------------------
def test_campaign_from_filters_covers_the_matching_places_with_units_and_inspectors(org, client):
    # given unit A's building with three labs (one lent to logistics) and unit B's room
    a2, a3 = _more_places(org, 2)
    lent = PlaceFactory(building=org.building_a, campus=org.campus1, code="a1-lent",
                        name="后勤库房", unit=org.logistics, kind=Place.Kind.ROOM)
    version = _checklist(org)
    login(client, org.users.admin)
    # when the office asks for every place on campus 1, dealt to two inspectors
    with clock.frozen(_at(TODAY)):
        response = client.post(reverse("inspections:plan_new"), _form(
            org, version, campus=[org.campus1.pk],
            inspectors=[org.users.staff.pk, org.users.staff2.pk]))
    # then one plan covers exactly campus 1's places
    plan = InspectionPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inspections:plan_detail", args=[plan.pk])
    assert messages_of(response) == ['Plan "安全大检查" created for 4 places.']
    targets = {t.place_id: t for t in plan.targets.all()}
    assert set(targets) == {org.place_a.pk, a2.pk, a3.pk, lent.pk}
    # each target's unit is the place's own unit, else its building's
    assert {targets[p.pk].unit_id for p in (org.place_a, a2, a3)} == {org.unit_a.pk}
    assert targets[lent.pk].unit_id == org.logistics.pk
    # a unit's places stay with one inspector; the units are dealt out in turn
    unit_a_inspectors = {targets[p.pk].inspector_id for p in (org.place_a, a2, a3)}
    assert len(unit_a_inspectors) == 1
    assert {targets[lent.pk].inspector_id} | unit_a_inspectors == {org.users.staff.pk,
                                                                   org.users.staff2.pk}
    # none of the places was ever inspected with this checklist
    assert {t.coverage for t in targets.values()} == {Coverage.NEVER}
    assert {t.due_on for t in targets.values()} == {dt.date(2026, 4, 30)}
    assert plan.campus_id == org.campus1.pk


def test_unit_and_kind_filters_and_hand_picked_places(org, client):
    version = _checklist(org)
    extra_b = _more_places(org, 2, building=org.building_b, prefix="b")
    login(client, org.users.admin)
    # the preview counts what the filters match
    preview = client.get(reverse("inspections:plan_new"),
                         {"preview": "1", "unit": [org.unit_b.pk], "place_kind": ["lab"]})
    assert preview.status_code == 200
    assert preview.context["count"] == 2
    assert "2 places match" in preview.content.decode()
    # picking one place by hand (not "all matching") covers that place only
    response = client.post(reverse("inspections:plan_new"), _form(
        org, version, all_matching=None, unit=[org.unit_b.pk], places=[extra_b[0].pk]))
    assert response.status_code == 302
    assert list(InspectionTarget.objects.values_list("place_id", flat=True)) == [extra_b[0].pk]


def test_the_new_plan_form_sent_twice_creates_one_plan(org, client):
    version = _checklist(org)
    login(client, org.users.admin)
    data = _form(org, version, idempotency_key="e3b0c44298fc1c149afbf4c8996fb924")
    first = client.post(reverse("inspections:plan_new"), data)
    again = client.post(reverse("inspections:plan_new"), data)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert InspectionPlan.objects.count() == 1


def test_recurring_plan_by_risk_level(org, client):
    version = _checklist(org)
    login(client, org.users.admin)
    response = client.post(reverse("inspections:plan_new"), _form(
        org, version, kind="risk", ends_on="", name="实验室定期检查"))
    assert response.status_code == 302
    plan = InspectionPlan.objects.get()
    assert (plan.kind, plan.by_risk_level, plan.interval_days, plan.ends_on) == (
        PlanKind.RECURRING, True, None, None)


BAD_PLANS = [
    # (what is wrong, form changes, field, message)
    ("no places", {"campus": None, "unit": "{unit_none}"}, "places",
     "Choose at least one place."),
    ("campaign without an end", {"ends_on": ""}, "ends_on", "A campaign needs an end date."),
    ("end before start", {"ends_on": "2026-03-31"}, "ends_on",
     "The end date is before the start date."),
    ("recurring without an interval", {"kind": "recurring", "ends_on": ""}, "interval_days",
     "Repeat every 1 to 366 days, or follow the risk level."),
    ("unpublished checklist", {"template": "{draft}"}, "template",
     "This checklist has no published version yet."),
    ("no name", {"name": "  "}, "name", "Give the plan a name."),
    ("start before 2000", {"starts_on": "1926-04-01", "ends_on": "1926-04-30"}, "starts_on",
     "A plan cannot start before 2000-01-01; check the year."),
    ("campaign longer than a year", {"ends_on": "2027-06-30"}, "ends_on",
     "A campaign lasts at most one year; for checks that go on longer, make a recurring "
     "schedule."),
    ("deadline days out of range", {"deadline_days": "181"}, "deadline_days",
     "The deadline must be between 1 and 180 days."),
]


@pytest.mark.parametrize(("case", "changes", "field", "message"), BAD_PLANS,
                         ids=[c[0] for c in BAD_PLANS])
def test_a_bad_plan_is_refused_with_its_reason_and_nothing_is_written(
        org, client, case, changes, field, message):
    version = _checklist(org)
    draft = services.template_create(actor=org.users.admin, code="draft-only", name="草稿检查表")
    empty_unit = org.logistics  # owns no place: filtering by it matches nothing
    data = _form(org, version)
    for key, value in changes.items():
        if value == "{unit_none}":
            value = [empty_unit.pk]
        elif value == "{draft}":
            value = draft.template_id
        data[key] = value
    data = {k: v for k, v in data.items() if v is not None}
    login(client, org.users.admin)
    activity_before = ActivityEntry.objects.count()
    response = client.post(reverse("inspections:plan_new"), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert not InspectionPlan.objects.exists()
    assert not InspectionTarget.objects.exists()
    assert ActivityEntry.objects.count() == activity_before


def test_only_the_office_may_open_the_new_plan_form(org, client):
    for user in (org.users.contact_a, org.users.leadership, org.users.student):
        login(client, user)
        assert client.get(reverse("inspections:plan_new")).status_code == 403
    login(client, org.users.staff)
    page = client.get(reverse("inspections:plan_new"))
    assert page.status_code == 200
    # only published checklists are offered; only office people as inspectors
    version = _checklist(org)
    services.template_create(actor=org.users.admin, code="draft-only", name="草稿检查表")
    form = client.get(reverse("inspections:plan_new")).context["form"]
    offered = [v for v, _label in form.fields["template"].widget.choices if v]
    assert offered == [version.template_id]
    assert set(form.fields["inspectors"].queryset) == {org.users.admin, org.users.staff,
                                                       org.users.staff2}


# --- coverage -------------------------------------------------------------------------------
def test_coverage_moves_from_due_to_in_progress_to_done_and_the_page_adds_it_up(org, client):
    extra = _more_places(org, 2)
    with clock.frozen(_at(TODAY)):
        plan = _campaign(org, [org.place_a, *extra], inspectors=[org.users.staff])
    target = plan.targets.get(place=org.place_a)
    assert target.coverage == Coverage.NEVER
    # when the inspector starts from the plan, the target is in progress
    with clock.frozen(_at(TODAY + dt.timedelta(days=2))):
        inspection = services.inspection_start(actor=org.users.staff, target_id=target.pk)
        target.refresh_from_db()
        assert target.coverage == Coverage.IN_PROGRESS
        # when it is submitted (one failure), the target is done
        answer_all(inspection, org.users.staff, fails={"1.2": "灭火器压力不足"})
        services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                                   signer_name="王老师", signature=signature_png())
    target.refresh_from_db()
    assert target.coverage == Coverage.DONE
    assert target.last_inspection_id == inspection.pk
    # then the coverage page adds it up: 1 done of 3, 2 of 3 applied items complied, 1 finding
    login(client, org.users.admin)
    with clock.frozen(_at(TODAY + dt.timedelta(days=2))):
        page = client.get(reverse("inspections:plan_detail", args=[plan.pk]))
    assert page.status_code == 200
    summary = page.context["summary"]
    assert (summary["total"], summary["done"], summary["never"], summary["late"]) == (3, 1, 2, 0)
    compliance = page.context["compliance"]
    assert (compliance["inspections"], compliance["findings"]) == (1, 1)
    assert round(compliance["rate"], 1) == 66.7
    assert page.context["by_unit"] == [{"unit_id": org.unit_a.pk, "unit__name": "化学学院",
                                        "total": 3, "done": 1, "late": 0}]
    html = page.content.decode()
    assert "66.7%" in html
    assert reverse("inspections:detail", args=[inspection.pk]) in html


def test_campaign_targets_not_done_turn_late_after_the_end_by_the_daily_task(org):
    from safecampus.inspections.tasks import coverage_sweep

    extra = _more_places(org, 1)
    with clock.frozen(_at(TODAY)):
        plan = _campaign(org, [org.place_a, *extra], inspectors=[org.users.staff],
                         ends_on=TODAY + dt.timedelta(days=5))
        done = plan.targets.get(place=org.place_a)
        inspection = services.inspection_start(actor=org.users.staff, target_id=done.pk)
        answer_all(inspection, org.users.staff)
        services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                                   signer_name="王老师", signature=signature_png())
    # on the last day nothing is late yet
    with clock.frozen(_at(TODAY + dt.timedelta(days=5), 23)):
        coverage_sweep()
    assert set(plan.targets.values_list("coverage", flat=True)) == {Coverage.DONE,
                                                                    Coverage.NEVER}
    # the day after the end the daily task marks what is left late (and a re-run changes nothing)
    with clock.frozen(_at(TODAY + dt.timedelta(days=6), 0)):
        coverage_sweep()
        assert services.coverage_sweep() == {"late": 0, "due": 0, "rescheduled": 0}
    coverages = dict(plan.targets.values_list("place_id", "coverage"))
    assert coverages == {org.place_a.pk: Coverage.DONE, extra[0].pk: Coverage.LATE}


def test_the_task_runs_daily_at_ten_past_midnight_local_time():
    import datetime

    from safecampus.inspections.tasks import coverage_sweep

    validate = coverage_sweep.task_class().validate_datetime
    assert validate(datetime.datetime(2026, 4, 2, 0, 10)) is True
    assert validate(datetime.datetime(2026, 4, 2, 0, 11)) is False
    assert validate(datetime.datetime(2026, 4, 2, 12, 10)) is False
    assert settings.HUEY["utc"] is False


def test_recurring_by_risk_level_a_major_risk_place_is_due_again_after_seven_days(org):
    major = PlaceFactory(building=org.building_a, campus=org.campus1, code="a1-major",
                         name="危化品库", risk_level=RiskLevel.MAJOR)
    low = PlaceFactory(building=org.building_a, campus=org.campus1, code="a1-low",
                       name="会议室", risk_level=RiskLevel.LOW)
    version = _checklist(org)
    with clock.frozen(_at(TODAY)):
        plan = services.plan_create(
            actor=org.users.admin, kind=PlanKind.RECURRING, name="按风险等级定期检查",
            template_id=version.template_id, place_ids=[major.pk, low.pk], starts_on=TODAY,
            by_risk_level=True, inspector_ids=[org.users.staff.pk])
        assert set(plan.targets.values_list("coverage", flat=True)) == {Coverage.NEVER}
        for target in plan.targets.all():
            inspection = services.inspection_start(actor=org.users.staff, target_id=target.pk)
            answer_all(inspection, org.users.staff)
            services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                                       signer_name="王老师", signature=signature_png())
    due = dict(plan.targets.values_list("place_id", "due_on"))
    assert due == {major.pk: TODAY + dt.timedelta(days=7), low.pk: TODAY + dt.timedelta(days=90)}
    assert plan.targets.get(place=low).coverage == Coverage.DONE
    # on day 7 the major-risk place is due, not late; on day 8 it is late; the low one is done
    with clock.frozen(_at(TODAY + dt.timedelta(days=7))):
        services.coverage_sweep()
    assert plan.targets.get(place=major).coverage == Coverage.DUE
    with clock.frozen(_at(TODAY + dt.timedelta(days=8))):
        services.coverage_sweep()
    coverages = dict(plan.targets.values_list("place_id", "coverage"))
    assert coverages == {major.pk: Coverage.LATE, low.pk: Coverage.DONE}
    # when the risk register raises the low place to high (14 days), the next daily run
    # reschedules it from its last inspection: due on day 14, so late on day 15
    Place.objects.filter(pk=low.pk).update(risk_level=RiskLevel.HIGH)
    with clock.frozen(_at(TODAY + dt.timedelta(days=15))):
        result = services.coverage_sweep()
        again = services.coverage_sweep()
    target = plan.targets.get(place=low)
    assert (target.due_on, target.coverage) == (TODAY + dt.timedelta(days=14), Coverage.LATE)
    assert result["rescheduled"] == 1 and again["rescheduled"] == 0


# --- who sees what ------------------------------------------------------------------------
def test_unit_contacts_see_only_their_units_targets_and_students_nothing(org, client):
    with clock.frozen(_at(TODAY)):
        plan = _campaign(org, [org.place_a, org.place_b], inspectors=[org.users.staff])
        only_b = _campaign(org, [org.place_b], inspectors=[org.users.staff2])
    url = reverse("inspections:plan_detail", args=[plan.pk])
    # the office and leadership see every target
    for user in (org.users.admin, org.users.staff2, org.users.leadership):
        login(client, user)
        page = client.get(url)
        assert {t.place_id for t in page.context["page"]} == {org.place_a.pk, org.place_b.pk}
    # a unit's contact or leader sees the unit's targets only, and counts of those
    for user, place in ((org.users.contact_a, org.place_a), (org.users.leader_a, org.place_a),
                        (org.users.contact_b, org.place_b)):
        login(client, user)
        page = client.get(url)
        assert page.status_code == 200
        assert [t.place_id for t in page.context["page"]] == [place.pk]
        assert page.context["summary"]["total"] == 1
        assert page.context["assign_form"] is None
    # a plan that does not touch the unit is not found; the list leaves it out
    login(client, org.users.contact_a)
    assert client.get(reverse("inspections:plan_detail", args=[only_b.pk])).status_code == 404
    listed = client.get(reverse("inspections:plan_list")).context["page"]
    assert [p.pk for p in listed] == [plan.pk]
    assert listed.object_list[0].total == 1
    # unit people may not assign or close
    assert client.post(reverse("inspections:plan_assign", args=[plan.pk]),
                       {"targets": [t.pk for t in plan.targets.all()],
                        "inspector": org.users.staff2.pk}).status_code == 403
    assert client.post(reverse("inspections:plan_close", args=[plan.pk])).status_code == 403
    # students and guards see no plans at all
    for user in (org.users.student, org.users.guard):
        login(client, user)
        assert client.get(reverse("inspections:plan_list")).status_code == 403
        assert client.get(url).status_code == 403
    assert set(plan.targets.values_list("inspector_id", flat=True)) == {org.users.staff.pk}
    assert InspectionPlan.objects.get(pk=plan.pk).state == InspectionPlan.State.ACTIVE


def test_start_button_only_for_the_assigned_inspector(org, client):
    with clock.frozen(_at(TODAY)):
        plan = _campaign(org, [org.place_a], inspectors=[org.users.staff])
    target = plan.targets.get()
    url = reverse("inspections:plan_detail", args=[plan.pk])
    login(client, org.users.staff)
    html = client.get(url).content.decode()
    assert f'name="target_id" value="{target.pk}"' in html
    login(client, org.users.staff2)
    assert 'name="target_id"' not in client.get(url).content.decode()


# --- assigning and closing ----------------------------------------------------------------
def test_bulk_assign_ticked_and_all_matching_stays_inside_the_plan(org, client):
    extra = _more_places(org, 3)
    with clock.frozen(_at(TODAY)):
        plan = _campaign(org, [org.place_a, org.place_b, *extra], inspectors=[org.users.staff])
        other = _campaign(org, [org.place_a], inspectors=[org.users.staff])
    login(client, org.users.admin)
    url = reverse("inspections:plan_assign", args=[plan.pk])
    ticked = list(plan.targets.filter(place__in=extra[:2]).values_list("pk", flat=True))
    other_target = other.targets.get().pk
    # ticked targets (plus one of another plan, which is ignored) go to staff2
    response = client.post(url, {"targets": [*ticked, other_target],
                                 "inspector": org.users.staff2.pk})
    assert response.status_code == 302
    assert messages_of(response) == ["2 place(s) assigned."]
    assert set(plan.targets.filter(inspector=org.users.staff2).values_list("pk", flat=True)) \
        == set(ticked)
    assert other.targets.get().inspector_id == org.users.staff.pk
    # every target matching the page's filters (unit B) is unassigned
    response = client.post(url, {"all_matching": "on", "inspector": "",
                                 "next_query": f"unit={org.unit_b.pk}"})
    assert response["Location"].endswith(f"?unit={org.unit_b.pk}")
    assert messages_of(response)[-1] == "1 place(s) unassigned."
    assert plan.targets.get(place=org.place_b).inspector_id is None
    # a student account as inspector is refused with the reason
    response = client.post(url, {"targets": ticked, "inspector": org.users.student.pk})
    assert messages_of(response)[-1] == "Inspectors must be security office staff."
    # nothing ticked
    response = client.post(url, {"inspector": org.users.staff.pk})
    assert messages_of(response)[-1] == "Choose at least one place."


def test_closing_a_plan_stops_it(org, client):
    with clock.frozen(_at(TODAY)):
        plan = _campaign(org, [org.place_a], inspectors=[org.users.staff],
                         ends_on=TODAY + dt.timedelta(days=1))
    login(client, org.users.admin)
    response = client.post(reverse("inspections:plan_close", args=[plan.pk]))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.state == InspectionPlan.State.CLOSED
    assert ActivityEntry.objects.filter(verb="inspections.plan_close").count() == 1
    # a closed plan's targets are not made late, and its page offers no actions
    with clock.frozen(_at(TODAY + dt.timedelta(days=5))):
        services.coverage_sweep()
    assert plan.targets.get().coverage == Coverage.NEVER
    page = client.get(reverse("inspections:plan_detail", args=[plan.pk]))
    assert page.context["assign_form"] is None and not page.context["can_close"]
    assert client.get(reverse("inspections:plan_list")).context["page"].object_list == []
    assert [p.pk for p in client.get(reverse("inspections:plan_list"), {"state": "closed"})
            .context["page"]] == [plan.pk]


def test_target_filters(org, client):
    extra = _more_places(org, 2)
    with clock.frozen(_at(TODAY)):
        plan = _campaign(org, [org.place_a, org.place_b, *extra], inspectors=[org.users.staff])
        target = plan.targets.get(place=org.place_a)
        services.inspection_start(actor=org.users.staff, target_id=target.pk)
    login(client, org.users.admin)
    url = reverse("inspections:plan_detail", args=[plan.pk])

    def places(**params):
        return {t.place_id for t in client.get(url, params).context["page"]}

    assert places(coverage="in_progress") == {org.place_a.pk}
    assert places(unit=org.unit_b.pk) == {org.place_b.pk}
    assert places(q="101实验") == {org.place_a.pk}
    assert places(q="机械楼") == {org.place_b.pk}
    assert places(inspector=org.users.staff.pk) == {org.place_a.pk, org.place_b.pk,
                                                    *(p.pk for p in extra)}
    assert places(inspector=0) == set()
    # a bad filter value is dropped with a note, not a 500
    response = client.get(url, {"coverage": "nonsense", "unit": "x"})
    assert response.status_code == 200
    assert len(response.context["page"]) == 4
    assert "These filters were not applied" in response.content.decode()


# --- query counts -------------------------------------------------------------------------
def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_coverage_page_query_count_does_not_grow_with_targets(org, client,
                                                              django_assert_max_num_queries):
    with clock.frozen(_at(TODAY)):
        small = _campaign(org, [org.place_a, org.place_b], inspectors=[org.users.staff])
        places = _more_places(org, 60)
        big = _campaign(org, [org.place_a, org.place_b, *places],
                        inspectors=[org.users.staff, org.users.staff2])
        for target in big.targets.all()[:3]:
            inspection = services.inspection_start(actor=target.inspector, target_id=target.pk)
            answer_all(inspection, target.inspector, fails={"1.1": "堆放杂物"})
            services.inspection_submit(actor=target.inspector, inspection_id=inspection.pk,
                                       signer_name="王老师", signature=signature_png())
    login(client, org.users.admin)
    small_url = reverse("inspections:plan_detail", args=[small.pk])
    big_url = reverse("inspections:plan_detail", args=[big.pk])
    client.get(small_url)  # warm the session
    assert _queries(client, big_url) == _queries(client, small_url)
    assert _queries(client, big_url + "?page=2") == _queries(client, small_url)
    with django_assert_max_num_queries(12):
        client.get(big_url + "?coverage=due&q=室")
    # a unit contact's page, too
    login(client, org.users.contact_a)
    assert _queries(client, big_url) == _queries(client, small_url)


def test_plan_list_query_count_does_not_grow_with_plans(org, client,
                                                        django_assert_max_num_queries):
    with clock.frozen(_at(TODAY)):
        _campaign(org, [org.place_a])
    login(client, org.users.admin)
    url = reverse("inspections:plan_list")
    client.get(url)
    one = _queries(client, url)
    with clock.frozen(_at(TODAY)):
        version = published_checklist(org.users.admin, code="dorm", name="宿舍检查表", items=2)
        for n in range(6):
            services.plan_create(actor=org.users.admin, kind=PlanKind.RECURRING,
                                 name=f"宿舍周检{n}", template_id=version.template_id,
                                 place_ids=[org.place_a.pk, org.place_b.pk], starts_on=TODAY,
                                 interval_days=7)
    page = client.get(url)
    assert len(page.context["page"]) == 7
    assert _queries(client, url) == one
    with django_assert_max_num_queries(8):
        client.get(url)


def test_a_recurring_place_never_inspected_turns_late_one_interval_after_the_plan_began(org):
    # given a weekly plan that began today, its place never inspected
    with clock.frozen(_at(TODAY)):
        plan = services.plan_create(
            actor=org.users.staff, kind=PlanKind.RECURRING, name="每周检查",
            template_id=_checklist(org).template_id, place_ids=[org.place_a.pk],
            starts_on=TODAY, interval_days=7)
    target = plan.targets.get()
    assert (target.coverage, target.due_on) == (Coverage.NEVER, TODAY + dt.timedelta(days=7))
    # when the daily task runs on the due day nothing changes; the day after, it is late
    with clock.frozen(_at(TODAY + dt.timedelta(days=7), 0)):
        services.coverage_sweep()
    assert plan.targets.get().coverage == Coverage.NEVER
    with clock.frozen(_at(TODAY + dt.timedelta(days=8), 0)):
        services.coverage_sweep()
    assert plan.targets.get().coverage == Coverage.LATE


def test_an_unknown_campus_is_refused_and_nothing_written(org):
    with pytest.raises(DomainError) as error:
        services.plan_create(
            actor=org.users.staff, kind=PlanKind.RECURRING, name="每周检查",
            template_id=_checklist(org).template_id, place_ids=[org.place_a.pk],
            starts_on=TODAY, interval_days=7, campus_id=999999)
    assert error.value.field_errors == {"campus": ["Choose a campus from the list."]}
    assert not InspectionPlan.objects.exists()


def test_a_plan_starting_more_than_a_year_ahead_is_refused_as_a_likely_typo(org):
    version = _checklist(org)
    with clock.frozen(_at(TODAY)), pytest.raises(services.DomainError) as error:
        services.plan_create(
            actor=org.users.admin, kind=PlanKind.CAMPAIGN, name="专项检查",
            template_id=version.template_id, place_ids=[org.place_a.pk],
            starts_on=dt.date(2206, 4, 1), ends_on=dt.date(2206, 4, 30))
    assert error.value.field_errors["starts_on"] == [
        "A plan can start at most one year from today (by 2027-04-02); check the year."]
    assert not InspectionPlan.objects.exists()


def test_a_campaign_that_already_ended_may_be_recorded_and_counts_inspections_in_its_dates(org):
    # given an inspection of place A done on 3 April with the campaign's checklist
    version = _checklist(org)
    with clock.frozen(_at(TODAY + dt.timedelta(days=2))):
        inspection = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                               template_id=version.template_id)
        answer_all(inspection, org.users.staff)
        services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                                   signer_name="王老师", signature=signature_png())
    # when, in May, the office records the April campaign that has already ended
    with clock.frozen(_at(dt.date(2026, 5, 10))):
        plan = services.plan_create(
            actor=org.users.admin, kind=PlanKind.CAMPAIGN, name="四月实验室安全大检查",
            template_id=version.template_id, place_ids=[org.place_a.pk, org.place_b.pk],
            starts_on=TODAY, ends_on=dt.date(2026, 4, 30))
    # then it is accepted: place A counts as done within its dates, place B as late
    coverage = dict(plan.targets.values_list("place_id", "coverage"))
    assert coverage == {org.place_a.pk: Coverage.DONE, org.place_b.pk: Coverage.LATE}
