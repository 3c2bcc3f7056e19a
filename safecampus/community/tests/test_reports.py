"""Concern reports: the figures on a known set of concerns (period, campus and category
filters, Beijing months, the median in SQL), the page, the Excel export, who may see them
and the page's query count."""

import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from safecampus.community.models import Concern
from safecampus.community.selectors.reports import ReportFilters, concern_report, default_period

from .helpers import local, submit
from .open311_helpers import page_client

pytestmark = pytest.mark.django_db(transaction=False)
H = dt.timedelta(hours=1)


def _concern(community, category, campus, submitted, *, answered_after=None, closed=None,
             rating=None, channel="web"):
    concern = submit(community, category=category, title="已知诉求",
                     attributes={"road": "银杏大道"})
    values = {"campus": campus, "submitted_at": submitted, "channel": channel}
    if answered_after is not None:
        values["answered_at"] = submitted + answered_after
    if closed:
        values.update(state="closed", resolution=closed, closed_at=submitted + 48 * H)
    if rating is not None:
        values.update(rating=rating, rated_at=submitted + 72 * H)
    Concern.objects.filter(pk=concern.pk).update(**values)
    return concern


@pytest.fixture
def known(community):
    """Six concerns: five in the default period (to 16 June 2026), one before it.

    | concern | category | campus | submitted (Beijing) | answered after | closed  | rating |
    | c1      | parking  | north  | 2026-06-14 09:00    | 2 h            | fixed   | 5      |
    | c2      | parking  | south  | 2026-05-10 09:00    | 10 h           | answer  | 4      |
    | c3      | lighting | north  | 2026-05-20 09:00    | 30 h           | answer  | 2      |
    | c4      | lighting | —      | 2026-06-16 08:00    | —              | open    | —  (Open311)
    | c5      | parking  | north  | 2025-03-01 09:00    | 1 h            | fixed   | 5  (before)
    | c6      | lighting | north  | 2026-05-01 00:30    | 4 h            | open    | —
    c6 is 30 April in UTC but May in Beijing."""
    org = community.org
    return {
        "c1": _concern(community, "parking", org.campus1, local(2026, 6, 14, 9),
                       answered_after=2 * H, closed="fixed", rating=5),
        "c2": _concern(community, "parking", org.campus2, local(2026, 5, 10, 9),
                       answered_after=10 * H, closed="answered", rating=4),
        "c3": _concern(community, "lighting", org.campus1, local(2026, 5, 20, 9),
                       answered_after=30 * H, closed="answered", rating=2),
        "c4": _concern(community, "lighting", None, local(2026, 6, 16, 8), channel="open311"),
        "c5": _concern(community, "parking", org.campus1, local(2025, 3, 1, 9),
                       answered_after=H, closed="fixed", rating=5),
        "c6": _concern(community, "lighting", org.campus1, local(2026, 5, 1, 0, 30),
                       answered_after=4 * H),
    }


def test_default_period_is_the_last_twelve_months(community):
    assert default_period() == (dt.date(2025, 7, 1), dt.date(2026, 6, 16))


def test_figures_of_the_default_period(known, community):
    report = concern_report(ReportFilters())
    assert (report.total, report.open, report.closed, report.fixed) == (5, 2, 3, 1)
    assert report.fixed_share == pytest.approx(1 / 3)
    assert (report.answered, report.median_hours) == (4, pytest.approx(7.0))  # 2,4,10,30 h
    assert (report.rated, report.rated_high, report.by_rating) == (3, 2, [0, 1, 0, 1, 1])
    assert report.rating_mean == pytest.approx(11 / 3)
    assert report.high_share == pytest.approx(2 / 3)
    assert [(r["category__name"], r["n"]) for r in report.by_category] == [
        ("道路照明", 3), ("停车难", 2)]
    assert [(r["campus__name"], r["n"]) for r in report.by_campus] == [
        ("北校区", 3), ("南校区", 1), (None, 1)]
    assert [(r["channel"], r["n"]) for r in report.by_channel] == [("web", 4), ("open311", 1)]
    months = dict(report.by_month)
    assert len(report.by_month) == 12 and report.by_month[0][0] == dt.date(2025, 7, 1)
    assert months[dt.date(2026, 5, 1)] == 3 and months[dt.date(2026, 6, 1)] == 2
    assert months[dt.date(2026, 4, 1)] == 0 and sum(months.values()) == 5


def test_filters_by_period_campus_and_category(known, community):
    org = community.org
    north = concern_report(ReportFilters(campus_id=org.campus1.pk))
    assert (north.total, north.answered, north.median_hours) == (3, 3, pytest.approx(4.0))
    lighting = concern_report(ReportFilters(category_id=community.lighting.pk))
    assert (lighting.total, lighting.closed, lighting.fixed_share) == (3, 1, 0)
    assert lighting.median_hours == pytest.approx(17.0)
    assert (lighting.rated, lighting.rating_mean) == (1, pytest.approx(2.0))
    wider = concern_report(ReportFilters(date_from=dt.date(2025, 1, 1)))
    assert (wider.total, wider.fixed, wider.median_hours) == (6, 2, pytest.approx(4.0))
    april = concern_report(ReportFilters(date_from=dt.date(2026, 4, 1),
                                         date_to=dt.date(2026, 4, 30)))
    assert april.total == 0 and april.median_hours is None and april.by_month == []
    may_first = concern_report(ReportFilters(date_from=dt.date(2026, 5, 1),
                                             date_to=dt.date(2026, 5, 1)))
    assert may_first.total == 1  # Beijing days


def test_nothing_to_report(community):
    report = concern_report(ReportFilters())
    assert (report.total, report.fixed_share, report.median_hours, report.rating_mean,
            report.high_share) == (0, None, None, None, None)


def test_page_and_its_charts(known, community, client):
    page_client(client, community.users.staff)
    response = client.get(reverse("community:reports"))
    assert response.status_code == 200
    body = response.content.decode()
    assert set(response.context["charts"]) == {"category", "campus", "month", "channel",
                                               "rating"}
    for blob in ("category", "campus", "month", "channel", "rating"):
        assert f'id="report-chart-{blob}"' in body
    assert "No campus given" in body and '<div class="figure" id="fig-total">5</div>' in body
    assert '<div class="figure" id="fig-median">7.0 h</div>' in body
    assert "<script>" not in body and "style=" not in body
    response = client.get(reverse("community:reports"), {"campus": community.org.campus2.pk})
    assert response.context["report"].total == 1


def test_page_in_chinese_names_the_missing_campus(known, community, client):
    page_client(client, community.users.leadership, language="zh-hans")
    body = client.get(reverse("community:reports")).content.decode()
    assert "未指明校区" in body and "诉求统计" in body


def test_bad_filters_show_an_error_and_the_default_period(known, community, client, english):
    page_client(client, community.users.staff)
    response = client.get(reverse("community:reports"), {"date_from": "2026-06-10",
                                                          "date_to": "2026-06-01"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "date_to": ["The end date is before the start date."]}
    assert response.context["report"].total == 5
    response = client.get(reverse("community:reports"), {"date_from": "0001-01-01",
                                                          "campus": "abc"})
    assert response.status_code == 200 and response.context["report"].total == 5


def test_excel_export(known, community, client):
    page_client(client, community.users.leadership)
    response = client.get(reverse("community:reports_xlsx"), {"category": community.parking.pk})
    assert response.status_code == 200
    start, end = default_period()
    name = f"concern-report-{start:%Y-%m-%d}-{end:%Y-%m-%d}.xlsx"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows[0] == ("Figure", "Value", "Number")
    assert rows[1] == ("Period", f"{start:%Y-%m-%d} to {end:%Y-%m-%d}", None)
    assert ("Concerns", None, 2) in rows and ("Closed concerns", None, 2) in rows
    assert ("Fixed at once", "50.0%", 1) in rows
    assert ("Median time to answer (hours)", "6.0", 2) in rows
    assert ("Mean satisfaction", "4.50", 2) in rows
    assert ("Campus", "南校区", 1) in rows and ("Campus", "北校区", 1) in rows
    assert ("Month", "2026-05", 1) in rows and ("Channel", "Web or phone browser", 2) in rows


def test_excel_export_in_chinese(known, community, client):
    page_client(client, community.users.leadership, language="zh-hans")
    response = client.get(reverse("community:reports_xlsx"), {
        "date_from": "2026-01-01", "date_to": "2026-06-16"})
    assert response["Content-Disposition"] == (
        "attachment; filename=\"concern-report-2026-01-01-2026-06-16.xlsx\"; "
        "filename*=UTF-8''" + quote("诉求统计-2026-01-01-2026-06-16.xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[2]] == ["统计时段", "2026-01-01 至 2026-06-16", None]


@pytest.mark.parametrize("who, status", [("staff", 200), ("admin", 200), ("leadership", 200),
                                         ("student", 403), ("contact_a", 403),
                                         ("police", 403)])
def test_who_may_see_the_reports(community, client, who, status):
    page_client(client, getattr(community.users, who))
    assert client.get(reverse("community:reports")).status_code == status
    assert client.get(reverse("community:reports_xlsx")).status_code == status
    hub = client.get(reverse("community:home")).content.decode()
    assert ('id="hub-reports"' in hub) == (status == 200)


def test_page_query_count_does_not_grow(known, community, client):
    page_client(client, community.users.staff)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("community:reports")).status_code == 200
        return len(captured)

    few = queries()
    for n in range(12):
        _concern(community, "parking" if n % 2 else "lighting",
                 community.org.campus2 if n % 3 else None,
                 local(2026, 1 + n % 5, 3 + n, 9), answered_after=(n + 1) * H,
                 closed="fixed" if n % 2 else None, rating=1 + n % 5)
    assert queries() == few
