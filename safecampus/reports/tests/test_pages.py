"""The report pages: asking for a report (returns at once with a redirect), the bad periods
refused with the form's message and nothing written, the progress fragment, the downloads,
who may see what (students 403, leadership reads but cannot generate, a campus-scoped person
sees their campus only), the list's filters and its pinned query count, the schedules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safecampus.accounts.models import Role
from safecampus.reports import services
from safecampus.reports.models import ReportSchedule, SafetyReport
from safecampus.tests.factories import user_with_role
from safecampus.tests.pages import login, text_of

pytestmark = pytest.mark.django_db


def _ask(client, data, capture):
    with capture(execute=True):
        return client.post(reverse("reports:create"), data)


def _report(org, capture, **kwargs):
    kwargs.setdefault("period", "2026-11")
    with capture(execute=True):
        return services.report_request(actor=org.users.staff, **kwargs)


def test_asking_for_a_monthly_report_redirects_to_its_page(november, client,
                                                          django_capture_on_commit_callbacks):
    login(client, november.users.staff)
    response = _ask(client, {"kind": "month", "month": "2026-11",
                             "campus": november.campus1.pk, "idempotency_key": "k" * 16},
                    django_capture_on_commit_callbacks)
    report = SafetyReport.objects.get()
    assert response.status_code == 302 and response.url == f"/reports/{report.pk}/"
    again = _ask(client, {"kind": "month", "month": "2026-11", "campus": november.campus1.pk,
                          "idempotency_key": "k" * 16}, django_capture_on_commit_callbacks)
    assert again.url == response.url and SafetyReport.objects.count() == 1  # a double tap
    page = client.get(response.url)
    text = text_of(page)
    assert "Download PDF" in text and "Download Word" in text
    assert 'hx-trigger="every' not in page.content.decode()  # done: no more polling
    pdf = client.get(reverse("reports:file", args=[report.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert "filename*=UTF-8''" in pdf["Content-Disposition"]
    word = client.get(reverse("reports:file", args=[report.pk, "docx"]))
    assert word.status_code == 200 and b"".join(word.streaming_content).startswith(b"PK")
    assert client.get(reverse("reports:file", args=[report.pk, "xls"])).status_code == 404


def test_a_queued_report_page_polls_its_progress(november, client):
    """No task has run yet (not committed): the page shows the waiting step and polls."""
    report = services.report_request(actor=november.users.staff, period="2026-11")
    login(client, november.users.leadership)
    page = client.get(reverse("reports:detail", args=[report.pk]))
    html = page.content.decode()
    assert f'hx-get="/reports/{report.pk}/status/"' in html and 'hx-trigger="every 2s"' in html
    assert "Waiting for the report worker" in text_of(page)
    SafetyReport.objects.filter(pk=report.pk).update(state="running", progress=50, step="pdf")
    fragment = client.get(reverse("reports:status", args=[report.pk]))
    assert 'value="50"' in fragment.content.decode() and "Writing the PDF" in text_of(fragment)
    assert client.get(reverse("reports:file", args=[report.pk, "pdf"])).status_code == 404


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"kind": "custom", "date_from": "2026-11-20", "date_to": "2026-11-01"}, "date_to",
     "The end date is before the start date."),
    ({"kind": "custom", "date_from": "2020-01-01", "date_to": "2026-11-01"}, "date_to",
     "A period can be at most 731 days long."),
    ({"kind": "custom", "date_from": "2026-11-01"}, "date_to", "Give the last day."),
    ({"kind": "custom", "date_from": "2027-01-01", "date_to": "2027-01-31"}, "date_to",
     "This period has not started yet; choose a period up to today."),
    ({"kind": "custom", "date_from": "2026-12-01", "date_to": "2027-03-31"}, "date_to",
     "The last day is after today; choose days up to today."),
    # too long and in the future: the future is what is said (days up to today mend both)
    ({"kind": "custom", "date_from": "2026-11-01", "date_to": "2099-11-01"}, "date_to",
     "The last day is after today; choose days up to today."),
    ({"kind": "custom", "date_from": "2027-01-01", "date_to": "2099-11-01"}, "date_to",
     "This period has not started yet; choose a period up to today."),
    ({"kind": "month", "month": "2027-03"}, "month",
     "This period has not started yet; choose a period up to today."),
    # before any record the platform can hold (a typo such as 1900-01)
    ({"kind": "month", "month": "1900-01"}, "month",
     "This period starts before 2000-01-01, earlier than any record this platform can hold; "
     "choose a period from 2000-01-01 on."),
    ({"kind": "custom", "date_from": "1999-12-01", "date_to": "2000-01-31"}, "date_to",
     "This period starts before 2000-01-01, earlier than any record this platform can hold; "
     "choose a period from 2000-01-01 on."),
    ({"kind": "month", "month": "2026-13"}, "month",
     "Not a period: 2026-13. Use 2026-11, 2026-Q4 or 2026-11-01..2026-11-15."),
    ({"kind": "month", "month": ""}, "month", "Choose a month."),
    ({"kind": "quarter", "quarter": "2026-Q9"}, "quarter", None),
    ({"kind": "month", "month": "2026-11", "campus": "999999"}, "campus", None),
])
def test_bad_periods_are_refused_and_nothing_is_written(november, client, data, field, message):
    login(client, november.users.staff)
    response = client.post(reverse("reports:create"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    if message:
        assert form.errors[field] == [message]
    assert not SafetyReport.objects.exists()


def test_a_custom_period_report(november, client, django_capture_on_commit_callbacks):
    login(client, november.users.staff)
    response = _ask(client, {"kind": "custom", "date_from": "2026-11-01",
                             "date_to": "2026-11-15"}, django_capture_on_commit_callbacks)
    report = SafetyReport.objects.get()
    assert response.status_code == 302 and report.state == "done"
    assert (report.kind, report.period_key) == ("custom", "2026-11-01..2026-11-15")


def test_who_may_see_and_ask(november, client, django_capture_on_commit_callbacks):
    org = november
    north = _report(org, django_capture_on_commit_callbacks, campus_id=org.campus1.pk)
    south = _report(org, django_capture_on_commit_callbacks, campus_id=org.campus2.pk)
    university = _report(org, django_capture_on_commit_callbacks)
    for user in (org.users.student, org.users.contact_a, org.users.guard):
        login(client, user)
        assert client.get(reverse("reports:list")).status_code == 403
        assert client.get(reverse("reports:detail", args=[north.pk])).status_code == 403
        assert client.get(reverse("reports:file", args=[north.pk, "pdf"])).status_code == 403
    login(client, org.users.leadership)
    page = client.get(reverse("reports:list"))
    assert page.status_code == 200 and page.context["form"] is None
    assert {r.pk for r in page.context["page"]} == {north.pk, south.pk, university.pk}
    assert client.get(reverse("reports:file", args=[south.pk, "docx"])).status_code == 200
    assert client.post(reverse("reports:create"), {"kind": "month", "month": "2026-11"}
                       ).status_code == 403
    assert client.post(reverse("reports:retry", args=[north.pk])).status_code == 403
    # A campus-scoped leader reads only the north campus's reports.
    scoped = user_with_role(Role.LEADERSHIP, campus=org.campus1, username="north_leader")
    login(client, scoped)
    assert {r.pk for r in client.get(reverse("reports:list")).context["page"]} == {north.pk}
    assert client.get(reverse("reports:detail", args=[south.pk])).status_code == 404
    assert client.get(reverse("reports:file", args=[university.pk, "pdf"])).status_code == 404
    # Campus-scoped office staff ask only for their campus.
    staff = user_with_role(Role.OFFICE_STAFF, campus=org.campus1, username="north_staff")
    login(client, staff)
    response = client.post(reverse("reports:create"), {"kind": "month", "month": "2026-11",
                                                       "campus": org.campus2.pk})
    assert response.status_code == 400 and SafetyReport.objects.count() == 3


def test_the_list_filters_and_its_query_count_does_not_grow(
        november, client, django_capture_on_commit_callbacks):
    org = november
    login(client, org.users.staff)
    _report(org, django_capture_on_commit_callbacks, campus_id=org.campus1.pk)
    url = reverse("reports:list")
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for period in ("2026-10", "2026-09", "2026-Q3", "2026-08"):
        services.report_request(actor=org.users.staff, period=period)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert len(page.context["page"]) == 5
    assert len(many) == len(few) <= 12
    only = client.get(url, {"kind": "quarter"}).context["page"]
    assert [r.period_key for r in only] == ["2026-Q3"]
    assert len(client.get(url, {"campus": "all"}).context["page"]) == 4
    assert len(client.get(url, {"campus": org.campus1.pk, "state": "done"}).context["page"]) == 1
    assert len(client.get(url, {"state": "queued"}).context["page"]) == 4


def test_a_failed_report_shows_its_error_and_a_retry_button(
        november, client, django_capture_on_commit_callbacks):
    report = services.report_request(actor=november.users.staff, period="2026-11")
    services.report_fail(report_id=report.pk, error="OSError: disk full")
    login(client, november.users.staff)
    page = client.get(reverse("reports:detail", args=[report.pk]))
    assert "The report could not be generated." in text_of(page)
    assert 'id="report-retry"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:retry", args=[report.pk]))
    assert response.status_code == 302
    assert SafetyReport.objects.get(pk=report.pk).state == "done"


def test_office_admins_manage_schedules(november, client):
    users = november.users
    login(client, users.staff)
    assert client.get(reverse("reports:schedules")).status_code == 403
    assert client.post(reverse("reports:schedule_create"), {}).status_code == 403
    login(client, users.admin)
    assert client.get(reverse("reports:schedules")).status_code == 200
    bad = client.post(reverse("reports:schedule_create"), {"name": "月报", "kind": "month",
                                                           "send_day": "29"})
    assert bad.status_code == 200 and set(bad.context["form"].errors) == {"send_day",
                                                                           "recipients"}
    response = client.post(reverse("reports:schedule_create"), {
        "name": "北校区月报", "kind": "month", "campus": november.campus1.pk, "send_day": "1",
        "recipients": [users.staff.pk, users.leadership.pk]})
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert (schedule.campus, schedule.send_day, schedule.active) == (november.campus1, 1, True)
    page = client.get(reverse("reports:schedules"))
    assert "北校区月报" in text_of(page) and "2 recipients" in text_of(page)
    edit = client.post(reverse("reports:schedule_edit", args=[schedule.pk]), {
        "name": "北校区月报", "kind": "quarter", "campus": "", "send_day": "3",
        "recipients": [users.staff.pk], "active": "on"})
    assert edit.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.kind, schedule.campus, schedule.send_day) == ("quarter", None, 3)
    client.post(reverse("reports:schedule_deactivate", args=[schedule.pk]))
    schedule.refresh_from_db()
    assert schedule.active is False


def test_the_reports_page_has_unique_ids_and_labels_point_to_their_fields(org, client):
    import re

    login(client, org.users.staff)
    html = client.get(reverse("reports:list"), {"campus": str(org.campus1.pk)}).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert 'id="id_campus"' in html and 'id="filter_campus"' in html
    for target in re.findall(r'<label[^>]*\sfor="([^"]+)"', html):
        assert target in ids, target
    # the filter still reads the plain query names
    assert re.search(r'<select name="campus"[^>]*id="filter_campus"', html)
