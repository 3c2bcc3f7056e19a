"""Inspection statistics: figures on a known dataset built with the services, the page per
role, and a query count that does not grow with the data."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safecampus.core.clock import frozen
from safecampus.inspections import services, stats
from safecampus.inspections.models import Coverage, PlanKind
from safecampus.tests.factories import PlaceFactory

from .helpers import answer_all, published_checklist, signature_png

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 on 10 April 2026, local time
URL = "/inspections/statistics/"


def _at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 2, 0, tzinfo=dt.UTC)


def _inspect(org, template_id: int, place, *, at: dt.datetime, fails=(), na=()):
    """An office inspection of ``place`` by staff1, started and finished at ``at``."""
    with frozen(at):
        inspection = services.inspection_start(actor=org.users.staff, place_id=place.pk,
                                               template_id=template_id)
        answer_all(inspection, org.users.staff, fails={code: "不符合" for code in fails}, na=na)
        services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                                   signer_name="王老师", signature=signature_png())
    inspection.refresh_from_db()
    return inspection


def build_dataset(org) -> SimpleNamespace:
    """Given a 5-item checklist and three finished inspections in March 2026:

    - unit A (place_a, north campus): 2 inspections, 10 items checked, 3 failed → 70.0 %;
      item 1.1 fails in both, so the second is a repeat finding;
    - unit B (place_b, south campus): 1 inspection, 1.5 not applicable, 4 checked, 1 failed
      → 75.0 %;
    and plans: a campaign over place_a and place_b that ended on 31 March without them
    (late), a recurring plan whose place_c was never inspected since it began on 1 April
    (overdue), and one for place_d beginning in May (not overdue yet).
    """
    with frozen(_at(3, 1)):
        version = published_checklist(org.users.admin, items=5, category_id=org.fire.pk)
    template_id = version.template_id
    first = _inspect(org, template_id, org.place_a, at=_at(3, 2), fails=("1.1", "1.2"))
    unit_b = _inspect(org, template_id, org.place_b, at=_at(3, 5), fails=("1.3",), na=("1.5",))
    second = _inspect(org, template_id, org.place_a, at=_at(3, 12), fails=("1.1",))
    place_c = PlaceFactory(building=org.building_a, campus=org.campus1, code="a1-103",
                           name="103实验室")
    place_d = PlaceFactory(building=org.building_a, campus=org.campus1, code="a1-104",
                           name="104实验室")
    with frozen(NOW):
        campaign = services.plan_create(
            actor=org.users.staff, kind=PlanKind.CAMPAIGN, name="春季安全大检查",
            template_id=template_id, place_ids=[org.place_a.pk, org.place_b.pk],
            starts_on=dt.date(2026, 3, 20), ends_on=dt.date(2026, 3, 31))
        weekly = services.plan_create(
            actor=org.users.staff, kind=PlanKind.RECURRING, name="实验室月检",
            template_id=template_id, place_ids=[place_c.pk], starts_on=dt.date(2026, 3, 1),
            interval_days=30)
        later = services.plan_create(
            actor=org.users.staff, kind=PlanKind.RECURRING, name="五月起月检",
            template_id=template_id, place_ids=[place_d.pk], starts_on=dt.date(2026, 5, 1),
            interval_days=30)
    return SimpleNamespace(version=version, template_id=template_id, first=first,
                           second=second, unit_b=unit_b, campaign=campaign, weekly=weekly,
                           later=later, place_c=place_c, place_d=place_d)


def _page(client, user, **params):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with frozen(NOW):
        return client.get(URL, params)


def test_compliance_by_unit_and_campus_worst_first(org):
    data = build_dataset(org)
    with frozen(NOW):
        figures = stats.statistics(org.users.staff, stats.StatsFilters.default())
    assert [(r["unit__name"], r["inspections"], r["checked"], r["failed"], round(r["rate"], 1))
            for r in figures.by_unit] == [("化学学院", 2, 10, 3, 70.0), ("机械学院", 1, 4, 1, 75.0)]
    assert [(r["campus__name"], r["inspections"], r["checked"], r["failed"], round(r["rate"], 1))
            for r in figures.by_campus] == [("北校区", 2, 10, 3, 70.0), ("南校区", 1, 4, 1, 75.0)]
    assert figures.totals["inspections"] == 3
    assert (figures.totals["checked"], figures.totals["failed"]) == (14, 4)
    assert round(figures.totals["rate"], 1) == 71.4
    assert data.second.compliance_rate is not None  # the page's rate agrees with the model's
    assert float(data.second.compliance_rate) == 80.0


def test_by_item_and_most_failed_ordering(org):
    build_dataset(org)
    with frozen(NOW):
        figures = stats.statistics(org.users.leadership, stats.StatsFilters.default())
    items = [(r["item_code"], r["checked"], r["failed"], round(r["rate"], 1))
             for r in figures.items]
    # 1.5 was not applicable once: checked twice, never failed
    assert items == [("1.1", 3, 2, 66.7), ("1.2", 3, 1, 33.3), ("1.3", 3, 1, 33.3),
                     ("1.4", 3, 0, 0.0), ("1.5", 2, 0, 0.0)]
    # most failed: by times failed, never-failed items left out
    assert [(r["item_code"], r["failed"]) for r in figures.most_failed] == [
        ("1.1", 2), ("1.2", 1), ("1.3", 1)]
    assert figures.most_failed[0]["text"] == "检查项1：消防通道畅通"


def test_overdue_places_late_or_never_inspected_since_due(org):
    data = build_dataset(org)
    with frozen(NOW):
        figures = stats.statistics(org.users.staff, stats.StatsFilters.default())
    rows = [(t.plan.name, t.place.name, t.coverage, t.due_on) for t in figures.overdue]
    assert rows == [
        ("春季安全大检查", "101实验室", Coverage.LATE, dt.date(2026, 3, 31)),
        ("春季安全大检查", "201室", Coverage.LATE, dt.date(2026, 3, 31)),
        # first check due 30 days after the plan began, none done
        ("实验室月检", "103实验室", Coverage.LATE, dt.date(2026, 3, 31)),
    ]
    # a closed plan's places are no longer chased
    with frozen(NOW):
        services.plan_close(actor=org.users.staff, plan_id=data.campaign.pk)
        figures = stats.statistics(org.users.staff, stats.StatsFilters.default())
    assert [t.place.name for t in figures.overdue] == ["103实验室"]


def test_repeat_findings_name_both_inspections(org):
    data = build_dataset(org)
    with frozen(NOW):
        figures = stats.statistics(org.users.staff, stats.StatsFilters.default())
    repeats = list(figures.repeats)
    assert len(repeats) == 1
    result = repeats[0]
    assert (result.place_id, result.item_code) == (org.place_a.pk, "1.1")
    assert result.inspection_id == data.second.pk
    assert result.repeat_of.inspection_id == data.first.pk


def test_filters_by_campus_template_and_local_dates(org):
    data = build_dataset(org)
    with frozen(NOW):
        south = stats.statistics(org.users.staff, stats.StatsFilters(
            date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 4, 10),
            campus_id=org.campus2.pk))
        other_template = published_checklist(org.users.admin, code="dorm", name="宿舍检查表")
        none = stats.statistics(org.users.staff, stats.StatsFilters(
            date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 4, 10),
            template_id=other_template.template_id))
        # 2 March 10:00 local is in the local day 2 March, not in 3 March onwards
        later = stats.statistics(org.users.staff, stats.StatsFilters(
            date_from=dt.date(2026, 3, 3), date_to=dt.date(2026, 4, 10)))
    assert [r["unit__name"] for r in south.by_unit] == ["机械学院"]
    assert [t.place.name for t in south.overdue] == ["201室"]
    assert not south.repeats.object_list
    assert none.totals["inspections"] == 0 and none.by_unit == [] and none.most_failed == []
    assert later.totals["inspections"] == 2
    assert data.first.finished_at.date() == dt.date(2026, 3, 2)


def test_page_shows_the_figures(org, client):
    data = build_dataset(org)
    response = _page(client, org.users.staff)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Inspection statistics" in html
    assert "Inspections finished from 2025-10-13 to 2026-04-10" in html
    assert "70.0%" in html and "75.0%" in html
    assert data.second.reference in html and data.first.reference in html
    assert "103实验室" in html and "104实验室" not in html
    assert 'id="stats-chart-items"' in html and 'data-stats-chart="stats-chart-units"' in html
    assert "inspections/statistics.js" in html
    assert "<script>" not in html and "style=" not in html


def test_page_filters_and_reports_bad_ones(org, client):
    build_dataset(org)
    response = _page(client, org.users.staff, date_from="2026-04-01", date_to="2026-03-01",
                     campus=org.campus2.pk)
    assert response.status_code == 200
    html = response.content.decode()
    assert "These filters were not applied:" in html
    assert "The end date is before the start date." in html
    # the campus still applies; the dates fall back to the default period
    assert "机械学院" in html and "化学学院" not in html.split('id="by-unit"')[1].split(
        'id="by-campus"')[0]


@pytest.mark.parametrize("role", ["contact_a", "leader_a", "student", "guard", "police"])
def test_page_refused_outside_office_and_leadership(org, client, role):
    response = _page(client, getattr(org.users, role))
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["staff", "admin", "leadership"])
def test_page_open_to_office_and_leadership(org, client, role):
    assert _page(client, getattr(org.users, role)).status_code == 200


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_query_count_does_not_grow_with_the_data(org, client, django_assert_max_num_queries):
    data = build_dataset(org)
    client.force_login(org.users.staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def count() -> int:
        with frozen(NOW), CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    small = count()
    # more inspections, units' places, overdue places and repeat findings
    for n in range(4):
        place = PlaceFactory(building=org.building_b, campus=org.campus2, code=f"b1-3{n}")
        _inspect(org, data.template_id, place, at=_at(3, 14 + n), fails=("1.2", "1.4"))
        _inspect(org, data.template_id, place, at=_at(3, 24 + n), fails=("1.2",))
    with frozen(NOW):
        services.plan_create(actor=org.users.staff, kind=PlanKind.RECURRING, name="更多",
                             template_id=data.template_id,
                             place_ids=[PlaceFactory(building=org.building_b,
                                                     campus=org.campus2).pk for _ in range(5)],
                             starts_on=dt.date(2026, 4, 2), interval_days=7)
    assert count() == small
    with django_assert_max_num_queries(15), frozen(NOW):
        client.get(URL)


@pytest.mark.parametrize(("params", "errors"), [
    ({"date_from": "0001-01-01"},
     {"date_from": ["Ensure this value is greater than or equal to 1900-01-01."]}),
    ({"date_to": "9999-12-31"},
     {"date_to": ["Ensure this value is less than or equal to 2999-12-31."]}),
])
def test_page_reports_a_day_out_of_range_instead_of_failing(org, client, params, errors):
    # given inspections, when the office asks for a day Python cannot take the start or end of
    build_dataset(org)
    response = _page(client, org.users.staff, **params)
    # then the filter is shown as not applied and the default period is used
    assert response.status_code == 200
    html = response.content.decode()
    assert list(response.context["form"].errors) == list(errors)
    assert "These filters were not applied:" in html and next(iter(errors.values()))[0] in html
