"""Bulletin statistics: figures from known records (published only, local hours and months),
hot spots with map positions, the Excel export, and a flat query count."""
# ruff: noqa: F811  (the bul fixture is imported from bulletins_helpers)

import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from safecampus.police.selectors.bulletins import BulletinStatsFilters, bulletin_statistics
from safecampus.police.services import bulletins as services

from .bulletins_helpers import add, bul, draft, english, local  # noqa: F401


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def known(bul):
    """Published: 3 thefts at place A (map 30%, 40%) at 21:30 / 23:10 local in May, one fraud
    near campus 2 at 00:20 local 1 June; a draft's record and a withdrawn one do not count."""
    org = bul.org
    org.place_a.map_x, org.place_a.map_y = 30, 40
    org.place_a.save()
    b = draft(bul.liaison_xq)
    add(bul.liaison_xq, b, org, occurred_at=local(2026, 5, 3, 21, 30))
    add(bul.liaison_xq, b, org, occurred_at=local(2026, 5, 9, 21, 5))
    add(bul.liaison_xq, b, org, occurred_at=local(2026, 5, 20, 23, 10))
    # the office adds the one near campus 2 (a liaison enters only on the campuses it serves)
    add(bul.staff, b, org, occurred_at=local(2026, 6, 1, 0, 20), category="fraud",
        type_label="冒充客服诈骗", proximity="nearby", campus_id=org.campus2.pk, place_id=None,
        location_text="南门外快递点")
    services.bulletin_publish(actor=bul.liaison_xq, bulletin_id=b.pk)
    add(bul.liaison_xq, draft(bul.liaison_xq), org)  # draft: not counted
    gone = draft(bul.liaison_xq)
    add(bul.liaison_xq, gone, org)
    services.bulletin_publish(actor=bul.liaison_xq, bulletin_id=gone.pk)
    services.bulletin_withdraw(actor=bul.liaison_xq, bulletin_id=gone.pk, reason="重复")
    return bul


def test_figures_from_known_records(known):
    stats = bulletin_statistics(known.staff, BulletinStatsFilters())
    assert stats.total == 4
    assert [(r["category"], r["n"]) for r in stats.by_category] == [("theft", 3), ("fraud", 1)]
    assert stats.by_hour[21] == 2 and stats.by_hour[23] == 1 and stats.by_hour[0] == 1
    assert [(m.strftime("%Y-%m"), n) for m, n in stats.by_month] == [("2026-05", 3),
                                                                      ("2026-06", 1)]
    assert [(r["where"], r["n"]) for r in stats.by_location] == [("101实验室", 3),
                                                                 ("南门外快递点", 1)]
    assert sorted((r["campus__name"], r["proximity"], r["n"]) for r in stats.by_campus) == [
        ("北校区", "on_campus", 3), ("南校区", "nearby", 1)]
    assert stats.points == {known.org.campus1.pk: [
        {"place_id": known.org.place_a.pk, "name": "101实验室", "x": 30.0, "y": 40.0, "n": 3}]}


def test_period_and_campus_filters(known):
    import datetime as dt

    stats = bulletin_statistics(known.staff, BulletinStatsFilters(
        date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 30)))
    assert stats.total == 1  # 00:20 on 1 June Beijing time is 31 May in UTC
    stats = bulletin_statistics(known.staff, BulletinStatsFilters(campus_id=known.org.campus1.pk))
    assert stats.total == 3


def test_the_type_filter_the_overview_links_to(known, client):
    stats = bulletin_statistics(known.staff, BulletinStatsFilters(category="fraud"))
    assert stats.total == 1 and [r["category"] for r in stats.by_category] == ["fraud"]
    client.force_login(known.staff)
    response = client.get(reverse("police:bulletin_statistics") + "?category=theft")
    assert response.context["stats"].total == 3
    response = client.get(reverse("police:bulletin_statistics") + "?category=nonsense")
    assert response.status_code == 200 and response.context["form"].errors["category"]


def test_people_without_the_permission_count_nothing(known):
    assert bulletin_statistics(known.org.users.student, BulletinStatsFilters()).total == 0


def test_page_excel_and_query_count(known, client, django_assert_max_num_queries):
    english(client)
    client.force_login(known.liaison_cx)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("police:bulletin_statistics"))
    assert response.status_code == 200
    assert "4 incidents in published bulletins." in response.content.decode()
    response = client.get(reverse("police:bulletin_statistics") + "?date_from=2026-06-02&"
                          "date_to=2026-06-01")
    assert response.context["form"].errors == {
        "date_to": ["The end date is before the start date."]}
    response = client.get(reverse("police:bulletin_statistics_xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Figure", "Value", "Incidents") and rows[1] == ("Total", None, 4)
    client.force_login(known.org.users.student)
    assert client.get(reverse("police:bulletin_statistics")).status_code == 403
