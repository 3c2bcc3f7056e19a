"""Fraud report statistics: by type, college and the month the fraud happened (the day the
reporter gave, not the day of the report; the queue keeps the report's own time), total loss,
share with money lost, the campaign targets (top types, colleges per 1,000 students), who may
see them, and the Excel export."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from safecampus.accounts.models import Affiliation, Role
from safecampus.core import clock
from safecampus.education.selectors.reports import fraud_statistics, report_queue
from safecampus.tests.factories import UserFactory, user_with_role
from safecampus.tests.pages import login, text_of

from .library_helpers import ZONE, english, report, student, taxonomy_fixture  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")


def local(*args):
    return dt.datetime(*args, tzinfo=ZONE)


@pytest.fixture
def reports(org, taxonomy):
    """Unit A: 4 students, 3 reports; unit B: 10 students, 2 reports; 1 without a college."""
    a = [student(org, f"a{i}") for i in range(4)]
    b = [student(org, f"b{i}", unit=org.unit_b, campus=org.campus2) for i in range(10)]
    staff = UserFactory(username="nobody")
    t = taxonomy
    at_end_of_march = local(2026, 3, 31, 23, 30)  # 15:30 UTC: still March in Beijing
    made = [
        report(a[0], at=at_end_of_march, fraud_type_id=t["brushing"].pk, lost_money=True,
               loss_amount="1200"),
        report(a[1], at=local(2026, 4, 1, 0, 30), fraud_type_id=t["brushing"].pk),
        report(a[2], at=local(2026, 1, 15, 12), fraud_type_id=t["loan"].pk, lost_money=True,
               loss_amount="800.50"),
        report(b[0], at=local(2026, 4, 2, 9), fraud_type_id=t["brushing"].pk),
        report(b[1], at=local(2026, 4, 3, 9)),
        report(staff, at=local(2026, 4, 3, 10), fraud_type_id=t["game_trade"].pk),
    ]
    return made


def test_by_type_college_and_month_in_local_time(org, reports):
    with clock.frozen(local(2026, 4, 10, 12)):
        stats = fraud_statistics()
    assert stats.total == 6 and stats.with_loss == 2
    assert stats.total_loss == Decimal("2000.50") and round(stats.loss_share, 1) == 33.3
    assert [(r["name"], r["n"]) for r in stats.by_type] == [
        ("刷单返利", 3), ("网络游戏虚假交易", 1), ("虚假网络贷款", 1), (None, 1)]
    assert [(r["name"], r["n"], r["students"], r["per_1000"]) for r in stats.by_college] == [
        ("化学学院", 3, 4, 750.0), ("机械学院", 2, 10, 200.0), (None, 1, 0, None)]
    assert [(m.isoformat(), n) for m, n in stats.by_month] == [
        ("2026-01-01", 1), ("2026-02-01", 0), ("2026-03-01", 1), ("2026-04-01", 4)]
    assert [r["code"] for r in stats.top_types] == ["brushing", "game_trade", "loan"]
    assert stats.types_reported == 3
    assert [r["name"] for r in stats.top_colleges] == ["化学学院", "机械学院"]


def test_the_period_is_in_local_days(org, reports):
    with clock.frozen(local(2026, 4, 10, 12)):
        march = fraud_statistics(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31))
        april = fraud_statistics(date_from=dt.date(2026, 4, 1))
    assert march.total == 1 and march.total_loss == Decimal("1200")
    assert april.total == 4 and [(m.isoformat(), n) for m, n in april.by_month] == [
        ("2026-04-01", 4)]


def test_months_and_the_period_follow_the_day_it_happened_not_the_day_it_was_reported(
        org, taxonomy):
    someone = student(org, "late1")
    # Given a fraud on 28 February reported on 2 April, and one on 1 April reported that day
    late = report(someone, at=local(2026, 4, 2, 9), occurred_on=dt.date(2026, 2, 28),
                  fraud_type_id=taxonomy["loan"].pk)
    report(someone, at=local(2026, 4, 1, 8), fraud_type_id=taxonomy["brushing"].pk)
    with clock.frozen(local(2026, 4, 10, 12)):
        every = fraud_statistics()
        february = fraud_statistics(date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 2, 28))
        april = fraud_statistics(date_from=dt.date(2026, 4, 1))
    # then the late report counts in February, the month it happened
    assert [(m.isoformat(), n) for m, n in every.by_month] == [
        ("2026-02-01", 1), ("2026-03-01", 0), ("2026-04-01", 1)]
    assert february.total == 1 and [r["code"] for r in february.by_type] == ["loan"]
    assert april.total == 1 and [r["code"] for r in april.by_type] == ["brushing"]
    # and the queue still orders by when reports were made (oldest open first)
    assert [r.pk for r in report_queue(org.users.admin)][-1] == late.pk


def test_the_statistics_page_export_and_who_sees_them(client, org, reports):
    police = user_with_role(Role.POLICE_LIAISON, username="police_s")
    url = reverse("education:fraud_statistics")
    for user, code in ((org.users.staff, 200), (org.users.leadership, 200), (police, 200),
                       (org.users.admin, 200), (org.users.student, 403),
                       (org.users.contact_a, 403)):
        login(client, user)
        assert client.get(url).status_code == code, user.username
    login(client, org.users.leadership)
    with clock.frozen(local(2026, 4, 10, 12)):
        text = text_of(client.get(url))
        bad = text_of(client.get(url, {"date_from": "2026-05-01", "date_to": "2026-04-01"}))
    assert "Aim the next campaign" in text and "750.0 per 1,000 (3 of 4 students)" in text
    assert "Counted by the day the fraud happened" in text and "Happened from" in text
    assert "The end date is before the start date." in bad
    assert "我" not in text  # no report's content on the page
    with clock.frozen(local(2026, 4, 10, 12)):
        charts = client.get(url).context["charts"]
    assert [d["name"] for d in charts["loss"]["series"][0]["data"]] == [
        "With money lost", "No money lost"]  # shares of reports, not an amount
    with clock.frozen(local(2026, 4, 10, 12)):
        response = client.get(reverse("education:fraud_statistics_export"),
                              {"date_from": "2026-03-01"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1][:5] == ["Total", "All reports", 5, 1, 1200]
    assert ["College", "化学学院", 2, None, 1200, 4, 500] in rows
    assert ["Month", "2026-04", 4, None, None, None, None] in rows
    login(client, org.users.student)
    assert client.get(reverse("education:fraud_statistics_export")).status_code == 403


def test_an_empty_period_shows_a_message(client, org, taxonomy):
    login(client, org.users.admin)
    text = text_of(client.get(reverse("education:fraud_statistics")))
    assert "No fraud reports in this period." in text
    assert Affiliation.objects.count() == 0
