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
    # each overdue point opens its page
    late = RiskPoint.objects.get(code="N-2")
    assert f'<a href="{reverse("police:risk_detail", args=[late.pk])}">N-2 ' in reviews
    actions = html[html.index('id="overview-actions"'):html.index('id="overview-bulletins"')]
    assert "2 open, 1 overdue" in actions
    assert "加装监控" in actions and "整治停车" not in actions
    overdue = MeetingAction.objects.get(title="加装监控")
    assert f'<a href="{reverse("police:action_detail", args=[overdue.pk])}">加装监控</a>' \
        in actions
    assert "due 2026-06-10" in actions
    bulletins = html[html.index('id="overview-bulletins"'):]
    assert "1 bulletin published in the last 30 days" in bulletins
    # each incident type opens the statistics of the last 90 days for that type
    stats = reverse("police:bulletin_statistics")
    assert re.search(rf'<a href="{stats}\?date_from=2026-03-17&amp;category=theft">Theft</a> '
                     r'<span[^>]*>2</span>.*>Fraud</a> <span[^>]*>1</span>', bulletins, re.S)
    # and the page leads back to the police hub
    assert f'<a href="{reverse("police:home")}"><i class="bi bi-chevron-left"' in html


def test_review_and_action_due_dates_have_their_own_words(client, org, world):
    # The same English "due …" means a review due date on a point and a deadline on an action:
    # each has its own context, so Chinese says 复评到期 and 办理期限 (not 应检日期, an
    # inspection's date).
    client.force_login(org.users.staff)
    html = client.get(URL).content.decode()
    assert "应检日期" not in html


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
    # links, not actions (leadership's dashboard has no action buttons); apart from the next
    assert "btn-outline-primary" not in html and 'class="card shadow-sm mb-3"' in html
    assert f'href="{reverse("police:risk_map")}">' in html
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


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("how", ["argument", "page"])
def test_the_dashboard_card_follows_the_campus_shown(org, world, how):
    # Given the dashboard showing campus2 (chosen with ?campus=, the page's campus_id)
    request = RequestFactory().get("/")
    request.user = org.users.leadership
    meeting = Meeting.objects.create(kind=Meeting.Kind.JOINT, title="南校区会议",
                                     campus=org.campus1, starts_at=NOW - dt.timedelta(days=3))
    MeetingAction.objects.create(meeting=meeting, number=1, title="北校区事项", side="campus",
                                 owner_unit=org.unit_a, due_on=dt.date(2026, 6, 12))
    if how == "argument":
        html = Template("{% load police_overview %}{% police_overview_card campus_id=c %}").render(
            Context({"request": request, "c": org.campus2.pk}))
    else:
        html = Template("{% load police_overview %}{% police_overview_card %}").render(
            Context({"request": request, "campus_id": org.campus2.pk}))
    # Then only campus2's points count (S-1, S-2 low; S-2 due today is not overdue)
    counts = re.findall(r"<strong>(\d+)</strong>", html)
    assert counts == ["0", "0", "0", "2"]
    # and the actions of campus1's meeting do not, the whole university's do
    assert "Reviews overdue: 0 · Meeting actions overdue: 1" in html
    # and the map opens on campus2
    assert f'href="{reverse("police:risk_map")}?campus={org.campus2.pk}"' in html


def test_the_dashboard_card_is_three_queries(org, world, django_assert_num_queries):
    # (the dashboard's query-count test counts on these three)
    request = RequestFactory().get("/")
    request.user = org.users.leadership
    assert request.user.has_perm("police.view_risk_overview")  # roles read once, before
    template = Template("{% load police_overview %}{% police_overview_card campus_id=c %}")
    with django_assert_num_queries(3):
        template.render(Context({"request": request, "c": org.campus1.pk}))
