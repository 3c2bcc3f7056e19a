"""The leadership overview and the dashboard card: counts by level × campus in SQL, reviews
overdue, open and overdue meeting actions, recent bulletins and their incident types."""

import datetime as dt
import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from safecampus.core import clock
from safecampus.police.models import (
    Bulletin,
    BulletinRecord,
    Meeting,
    MeetingAction,
    Partner,
    RiskPoint,
)
from safecampus.police.selectors.risk_overview import level_matrix

from .risk_map_helpers import english, many_points, point  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db
URL = reverse("police:risk_overview")
NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


@pytest.fixture
def frozen():
    with clock.frozen(NOW):
        yield


def _set(model_obj, **fields):
    type(model_obj).objects.filter(pk=model_obj.pk).update(**fields)


@pytest.fixture
def world(org, frozen):
    """Points on both campuses, two overdue for review; a meeting with one action overdue,
    one due later and one done; a bulletin published 10 days ago with three records."""
    point(org.campus1, "N-1", level="major")
    late = point(org.campus1, "N-2", level="high")
    later = point(org.campus1, "N-3", level="high")
    point(org.campus1, "N-D", level="major", state="draft")
    point(org.campus2, "S-1", level="low")
    _set(late, next_review_on=dt.date(2026, 6, 1))
    _set(later, next_review_on=dt.date(2026, 6, 14))
    _set(point(org.campus2, "S-2", level="low"), next_review_on=dt.date(2026, 6, 15))  # today
    partner = Partner.objects.create(code="ps", name="某派出所", kind="police_station")
    meeting = Meeting.objects.create(kind=Meeting.Kind.JOINT, title="第二季度联席会议",
                                     starts_at=NOW - dt.timedelta(days=30))
    actions = [MeetingAction(meeting=meeting, number=i, title=title, side="campus",
                             owner_unit=org.unit_a, due_on=due)
               for i, (title, due) in enumerate([("加装监控", dt.date(2026, 6, 10)),
                                                 ("整治停车", dt.date(2026, 6, 30)),
                                                 ("已完成", dt.date(2026, 6, 1))], start=1)]
    MeetingAction.objects.bulk_create(actions)
    MeetingAction.objects.filter(title="已完成").update(state="done")
    bulletin = Bulletin.objects.create(partner=partner, year=2026, sequence=1, title="六月通报",
                                       period_start=dt.date(2026, 6, 1),
                                       period_end=dt.date(2026, 6, 7))
    _set(bulletin, state="published", published_at=NOW - dt.timedelta(days=10))
    for i, category in enumerate(["theft", "theft", "fraud"], start=1):
        BulletinRecord.objects.create(bulletin=bulletin, position=i, category=category,
                                      occurred_at=NOW - dt.timedelta(days=12))
    return meeting


@pytest.mark.usefixtures("english")
def test_leadership_reads_counts_by_level_and_campus(client, org, world,
                                                    django_assert_max_num_queries):
    client.force_login(org.users.leadership)
    with django_assert_max_num_queries(14):
        response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    table = html[html.index('id="overview-levels"'):html.index('id="overview-reviews"')]
    cells = re.findall(r'<td class="rm-cell[^"]*">(\d+)</td>', table)
    # campus1: 1 major, 2 high (the draft not counted); campus2: 2 low; totals
    assert cells == ["1", "2", "0", "0", "3", "0", "0", "0", "2", "2", "1", "2", "0", "2", "5"]
    assert f'{reverse("police:risk_map")}?campus={org.campus2.pk}' in table


def test_level_matrix_is_two_queries(org, world, django_assert_num_queries):
    leader = org.users.leadership
    assert leader.scope.sees_everything  # roles read once per request, before
    with django_assert_num_queries(2):
        matrix = level_matrix(leader)
    assert matrix.grand_total == 5 and matrix.totals == [1, 2, 0, 2]


@pytest.mark.usefixtures("english")
def test_reviews_actions_and_bulletins(client, org, world):
    client.force_login(org.users.staff)
    html = client.get(URL).content.decode()
    reviews = html[html.index('id="overview-reviews"'):html.index('id="overview-actions"')]
    assert "2 points overdue for review" in reviews
    assert reviews.index("N-2") < reviews.index("N-3") and "S-2" not in reviews
    assert "due 2026-06-01" in reviews
    actions = html[html.index('id="overview-actions"'):html.index('id="overview-bulletins"')]
    assert "2 open, 1 overdue" in actions
    assert "加装监控" in actions and "整治停车" not in actions
    bulletins = html[html.index('id="overview-bulletins"'):]
    assert "1 bulletin published in the last 30 days" in bulletins
    assert re.search(r"Theft <span[^>]*>2</span>.*Fraud <span[^>]*>1</span>", bulletins,
                     re.S)


def test_only_office_and_leadership_open_the_overview(client, org, world):
    for user in (org.users.police, org.users.contact_a, org.users.student):
        client.force_login(user)
        assert client.get(URL).status_code == 403


@pytest.mark.usefixtures("english")
def test_the_dashboard_card(org, world):
    template = Template("{% load police_overview %}{% police_overview_card %}")
    request = RequestFactory().get("/")
    request.user = org.users.leadership
    html = template.render(Context({"request": request}))
    assert "Reviews overdue: 2 · Meeting actions overdue: 1" in html
    assert reverse("police:risk_overview") in html
    request.user = org.users.student
    assert "police-overview-card" not in Template(
        "{% load police_overview %}{% police_overview_card %}").render(
        Context({"request": request}))


def test_the_overview_counts_in_sql_whatever_the_points(client, org, frozen,
                                                        django_assert_max_num_queries):
    client.force_login(org.users.leadership)
    many_points(org.campus1, 5, prefix="A")
    client.get(URL)
    with django_assert_max_num_queries(14) as few:
        client.get(URL)
    many_points(org.campus1, 300, prefix="B")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(URL)
    assert RiskPoint.objects.count() == 305
