"""Service request pages: the catalogue, the booking form, the queue (who sees what, SLA
order and flags, query counts), a request's page and its steps, the calendar, the report
with its figures and the Excel export, the hub card."""
# ruff: noqa: F811  (fixtures imported from bookings_helpers and the browser conftest)

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from safecampus.community.models import ServiceRequest
from safecampus.community.selectors import bookings as selectors
from safecampus.community.services import bookings as services
from safecampus.core import clock
from safecampus.tests.pages import login, messages_of, text_of

from .bookings_helpers import NOW, accept, book, catalogue, local  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=False)
State = ServiceRequest.State


# --- catalogue and booking ---------------------------------------------------------------------
def test_catalogue_shows_lead_time_sla_earliest_date_and_book_only_for_units(client, catalogue):
    login(client, catalogue.users.student)
    page = text_of(client.get("/community/services/"))
    assert "安全教育讲座" in page and "消防演练" in page
    assert "Book at least 3 working days ahead" in page
    assert "Answer within 24 hours" in page
    assert "Earliest date bookable today: 2026-06-22" in page
    assert "Book at least 5 days ahead" in page and "Earliest date bookable today: 2026-06-21" in page
    assert "/community/services/talk/book/" not in client.get("/community/services/").content.decode()
    login(client, catalogue.users.contact_a)
    html = client.get("/community/services/").content.decode()
    assert "/community/services/talk/book/" in html


def test_catalogue_in_chinese(client, catalogue):
    client.force_login(catalogue.users.contact_a)
    page = text_of(client.get("/community/services/"))
    assert "至少提前 3 个工作日预约" in page and "24 小时内答复" in page
    assert "今天起最早可预约：2026-06-22" in page


def test_booking_form_books_and_shows_the_request(client, catalogue):
    login(client, catalogue.users.contact_a)
    form = client.get("/community/services/talk/book/")
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="answer_audience"' in html and 'name="answer_media"' in html
    assert 'min="2026-06-22"' in html
    data = {"unit": catalogue.org.unit_a.pk, "service_date": "2026-06-22",
            "start_time": "14:00", "end_time": "15:30", "campus": catalogue.org.campus1.pk,
            "place": catalogue.org.place_a.pk, "contact_phone": "13900000000",
            "answer_audience": "150", "answer_topic": "消防安全",
            "answer_media": ["投影仪"], "answer_agree": "on", "idempotency_key": "k-123456789"}
    response = client.post("/community/services/talk/book/", data)
    request = ServiceRequest.objects.get()
    assert response.status_code == 302 and response.url == f"/community/services/requests/{request.pk}/"
    assert messages_of(response) == [
        "Service request FW-2026-0001 sent. The office will answer by 2026-06-17 10:00."]
    assert request.answers == {"audience": 150, "topic": "消防安全", "media": ["投影仪"],
                               "agree": True}
    again = client.post("/community/services/talk/book/", data)
    assert again.status_code == 302 and ServiceRequest.objects.count() == 1
    page = text_of(client.get(response.url))
    assert "FW-2026-0001" in page and "听众人数 150" in page and "需要的设备 投影仪" in page


def test_booking_form_shows_the_lead_time_refusal_and_keeps_the_input(client, catalogue):
    login(client, catalogue.users.contact_a)
    response = client.post("/community/services/talk/book/", {
        "unit": catalogue.org.unit_a.pk, "service_date": "2026-06-18", "start_time": "14:00",
        "campus": catalogue.org.campus1.pk, "location_text": "报告厅",
        "contact_phone": "13900000000", "answer_audience": "x"})
    assert response.status_code == 400
    page = text_of(response)
    assert "“听众人数” needs a whole number." in page
    assert "Answer “讲座主题”." in page and "“已阅读预约须知” must be ticked." in page
    # with the questions answered, the service's lead time refusal shows
    response = client.post("/community/services/talk/book/", {
        "unit": catalogue.org.unit_a.pk, "service_date": "2026-06-18", "start_time": "14:00",
        "campus": catalogue.org.campus1.pk, "location_text": "报告厅",
        "contact_phone": "13900000000", "answer_audience": "90", "answer_topic": "消防安全",
        "answer_agree": "on"})
    assert response.status_code == 400
    assert ("“安全教育讲座” must be booked at least 3 working days ahead: the earliest date "
            "allowed is 22 June 2026.") in text_of(response)
    assert 'value="报告厅"' in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_booking_form_bounds_number_answers_in_the_html_and_on_the_server(client, catalogue):
    catalogue.talk.fields.filter(code="audience").update(min_value=1, max_value=2000)
    login(client, catalogue.users.contact_a)
    html = client.get("/community/services/talk/book/").content.decode()
    assert 'type="number" name="answer_audience"' in html
    assert 'min="1"' in html and 'max="2000"' in html
    for given in ("-5", "99999999"):
        response = client.post("/community/services/talk/book/", {
            "unit": catalogue.org.unit_a.pk, "service_date": "2026-06-22",
            "start_time": "14:00", "campus": catalogue.org.campus1.pk,
            "contact_phone": "13900000000", "answer_audience": given,
            "answer_topic": "消防安全", "answer_agree": "on"})
        assert response.status_code == 400
        assert "“听众人数” needs a whole number from 1 to 2000." in text_of(response)
    assert not ServiceRequest.objects.exists()


def test_booking_page_is_for_contacts_and_leaders(client, catalogue):
    login(client, catalogue.users.student)
    refused = client.get("/community/services/talk/book/")
    assert refused.status_code == 403
    assert WHO_ORDERS in text_of(refused)
    assert client.post("/community/services/talk/book/", {}).status_code == 403
    assert not ServiceRequest.objects.exists()
    login(client, catalogue.users.contact_a)
    assert client.get("/community/services/nothing/book/").status_code == 404


WHO_ORDERS = ("Services are ordered for a whole unit by its safety contact or leader. "
              "To order one, ask your unit's safety contact.")


def test_catalogue_and_hub_say_who_orders_to_those_who_cannot(client, catalogue):
    # Given a student (no unit role): the catalogue and the hub card say who orders, once
    login(client, catalogue.users.student)
    page = text_of(client.get("/community/services/"))
    assert page.count(WHO_ORDERS) == 1
    assert page.count("Ordered by a unit's safety contact or leader") == 2
    assert text_of(client.get("/community/")).count(WHO_ORDERS) == 1
    # Given a unit safety contact: they get the Book buttons and no such note
    login(client, catalogue.users.contact_a)
    page = text_of(client.get("/community/services/"))
    assert WHO_ORDERS not in page and "Ordered by a unit's" not in page
    assert WHO_ORDERS not in text_of(client.get("/community/"))


# --- the queue ---------------------------------------------------------------------------------
@pytest.fixture
def queue(catalogue):
    """Four requests: A's talk (overdue SLA), A's drill (due later), B's talk accepted, B's
    drill declined."""
    users, org = catalogue.users, catalogue.org
    with clock.frozen(NOW - dt.timedelta(days=2)):
        overdue = book(catalogue, service_date=dt.date(2026, 6, 22))
    waiting = book(catalogue, item="drill", service_date=dt.date(2026, 6, 25))
    b_kwargs = {"actor": users.contact_b, "unit": org.unit_b, "campus_id": org.campus2.pk,
                "place_id": org.place_b.pk}
    accepted = book(catalogue, service_date=dt.date(2026, 6, 23), **b_kwargs)
    accept(catalogue, accepted)
    declined = book(catalogue, item="drill", service_date=dt.date(2026, 6, 26), **b_kwargs)
    services.service_request_decline(actor=users.staff, request_id=declined.pk, reason="无")
    return {"overdue": overdue, "waiting": waiting, "accepted": accepted, "declined": declined}


def _rows(response) -> list[int]:
    return [r.pk for r in response.context["page"]]


def test_office_queue_puts_awaiting_first_by_sla_and_flags_overdue(client, catalogue, queue):
    login(client, catalogue.users.staff)
    response = client.get("/community/services/requests/")
    assert _rows(response) == [queue["overdue"].pk, queue["waiting"].pk,
                               queue["declined"].pk, queue["accepted"].pk]
    html = response.content.decode()
    assert html.count("data-sla-overdue") == 1 and "SLA passed" in text_of(response)
    filtered = client.get("/community/services/requests/", {
        "state": "submitted", "item": catalogue.drill.pk, "month": "2026-06"})
    assert _rows(filtered) == [queue["waiting"].pk]
    assert _rows(client.get("/community/services/requests/", {
        "unit": catalogue.org.unit_b.pk})) == [queue["declined"].pk, queue["accepted"].pk]
    assert _rows(client.get("/community/services/requests/", {"month": "2026-07"})) == []
    bad = client.get("/community/services/requests/", {"month": "June"})
    assert bad.status_code == 200 and "Give a month such as 2026-06." in text_of(bad)


def test_units_see_only_their_own_and_leadership_reads_all(client, catalogue, queue):
    login(client, catalogue.users.contact_b)
    assert _rows(client.get("/community/services/requests/")) == [
        queue["declined"].pk, queue["accepted"].pk]
    assert client.get(f"/community/services/requests/{queue['overdue'].pk}/").status_code == 404
    assert client.get(f"/community/services/requests/{queue['accepted'].pk}/").status_code == 200
    login(client, catalogue.users.leadership)
    assert len(_rows(client.get("/community/services/requests/"))) == 4
    page = client.get(f"/community/services/requests/{queue['overdue'].pk}/")
    assert page.status_code == 200 and 'id="request-steps"' not in page.content.decode()
    login(client, catalogue.users.student)
    assert client.get("/community/services/requests/").status_code == 403
    assert client.get(f"/community/services/requests/{queue['overdue'].pk}/").status_code == 404
    # a guard assigned sees that booking only
    login(client, catalogue.users.guard)
    assert client.get(f"/community/services/requests/{queue['accepted'].pk}/").status_code == 404
    services.service_request_reschedule(
        actor=catalogue.users.admin, request_id=queue["accepted"].pk,
        scheduled_start=local(2026, 6, 23, 14), scheduled_end=local(2026, 6, 23, 16),
        staff_ids=[catalogue.users.guard.pk])
    assert client.get(f"/community/services/requests/{queue['accepted'].pk}/").status_code == 200


def test_queue_query_count_does_not_grow_with_rows(client, catalogue, queue,
                                                   django_assert_num_queries):
    login(client, catalogue.users.staff)
    client.get("/community/services/requests/")
    # session, user, memberships, the unit filter's units, the page, unread notifications,
    # the user's model permissions (2: perms in the menu), the service filter's services
    with django_assert_num_queries(9):
        client.get("/community/services/requests/")
    for day in (29, 30):
        book(catalogue, item="drill", service_date=dt.date(2026, 6, day))
    with django_assert_num_queries(9):
        response = client.get("/community/services/requests/")
    assert len(response.context["page"]) == 6


# --- a request's page and its steps ------------------------------------------------------------
def test_office_accepts_and_delivers_and_the_unit_rates_on_the_page(client, catalogue):
    users = catalogue.users
    request = book(catalogue)
    url = f"/community/services/requests/{request.pk}/"
    login(client, users.staff)
    page = client.get(url)
    html = page.content.decode()
    assert 'id="schedule-form"' in html and 'value="2026-06-22T14:00"' in html
    assert 'value="2026-06-22T15:30"' in html
    response = client.post(url + "accept/", {
        "scheduled_start": "2026-06-22T14:00", "scheduled_end": "2026-06-22T15:30",
        "staff": [users.staff.pk, users.guard.pk], "lead": users.guard.pk,
        "office_note": "请准备投影"})
    assert response.status_code == 302
    assert messages_of(response) == ["Accepted and scheduled; the unit and the staff are told."]
    request.refresh_from_db()
    assert request.state == State.ACCEPTED and request.scheduled_start == local(2026, 6, 22, 14)
    page = text_of(client.get(url))
    assert "The service has not started yet: delivery can be recorded from 2026-06-22 14:00." in page
    early = client.post(url + "deliver/", {"delivery_note": "完成"})
    assert messages_of(early) == [
        "The service has not started yet: delivery can be recorded from 2026-06-22 14:00."]
    with clock.frozen(local(2026, 6, 22, 16)):
        refused = client.post(url + "deliver/", {"delivery_note": ""})
        assert refused.status_code == 400
        done = client.post(url + "deliver/", {"delivery_note": "讲座顺利完成", "people_reached": "140"})
        assert messages_of(done) == ["Recorded as delivered; the unit is asked to rate it."]
    login(client, users.contact_a)
    page = client.get(url)
    assert 'id="rate-form"' in page.content.decode()
    rated = client.post(url + "rate/", {"rating": "5", "comment": "非常专业"})
    assert messages_of(rated) == ["Thank you for rating the service."]
    request.refresh_from_db()
    assert (request.state, request.rating, request.people_reached) == (State.DELIVERED, 5, 140)
    again = client.post(url + "rate/", {"rating": "1"})
    assert messages_of(again)[-1] == "Service request FW-2026-0001 was already rated."
    page = text_of(client.get(url))
    assert "Rated 5/5" in page and "140 people reached" in page


def test_overlap_refusal_shows_on_the_page_and_can_be_overridden(client, catalogue):
    users = catalogue.users
    first = book(catalogue)
    accept(catalogue, first, staff=[users.guard])
    second = book(catalogue, item="drill")
    url = f"/community/services/requests/{second.pk}/accept/"
    login(client, users.admin)
    data = {"scheduled_start": "2026-06-22T15:00", "scheduled_end": "2026-06-22T17:00",
            "staff": [users.guard.pk]}
    response = client.post(url, data)
    assert response.status_code == 400
    guard = users.guard.full_name or users.guard.username
    assert (f"{guard} is already assigned to FW-2026-0001 (安全教育讲座, 化学学院) from "
            "2026-06-22 14:00 to 2026-06-22 16:00.") in text_of(response)
    response = client.post(url, {**data, "allow_overlap": "on"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.state == State.ACCEPTED


def test_schedule_far_from_the_booked_date_is_a_field_error_not_a_crash(client, catalogue):
    users = catalogue.users
    request = book(catalogue)
    url = f"/community/services/requests/{request.pk}/"
    login(client, users.admin)
    for start, end, message in [
            ("0001-01-01T00:00", "0001-01-01T01:00", "Give a day from 1900-01-01 to 2999-12-31."),
            ("9999-12-31T23:00", "9999-12-31T23:30", "Give a day from 1900-01-01 to 2999-12-31."),
            ("2026-08-01T09:00", "2026-08-01T10:00",
             "The service was booked for 22 June 2026: schedule it to start between "
             "23 May 2026 and 22 July 2026.")]:
        response = client.post(url + "accept/", {
            "scheduled_start": start, "scheduled_end": end, "staff": [users.staff.pk],
            "lead": users.staff.pk})
        assert response.status_code == 400, start
        assert message in text_of(response)
    request.refresh_from_db()
    assert request.state == State.SUBMITTED and not request.assignments.exists()
    accept(catalogue, request)
    response = client.post(url + "reschedule/", {
        "scheduled_start": "0001-01-01T00:00", "scheduled_end": "2026-06-22T16:00",
        "staff": [users.staff.pk]})
    assert response.status_code == 400
    assert "Give a day from 1900-01-01 to 2999-12-31." in text_of(response)
    request.refresh_from_db()
    assert request.scheduled_start == local(2026, 6, 22, 14)


def test_decline_and_cancel_on_the_page(client, catalogue):
    users = catalogue.users
    first, second = book(catalogue), book(catalogue, item="drill")
    login(client, users.staff)
    response = client.post(f"/community/services/requests/{first.pk}/decline/",
                           {"decline-reason": ""})
    assert response.status_code == 400 and "This field is required." in text_of(response)
    client.post(f"/community/services/requests/{first.pk}/decline/",
                {"decline-reason": "当日人手不足"})
    login(client, users.contact_b)
    assert client.post(f"/community/services/requests/{second.pk}/cancel/",
                       {"cancel-reason": "x"}).status_code == 404
    login(client, users.contact_a)
    response = client.post(f"/community/services/requests/{second.pk}/cancel/",
                           {"cancel-reason": "活动取消"})
    assert messages_of(response) == ["Service request cancelled."]
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.state, second.state) == (State.DECLINED, State.CANCELLED)
    assert client.post(f"/community/services/requests/{first.pk}/accept/", {}).status_code == 403
    page = text_of(client.get(f"/community/services/requests/{first.pk}/"))
    assert "当日人手不足" in page and "Declined" in page


# --- calendar ----------------------------------------------------------------------------------
def test_calendar_shows_accepted_and_delivered_by_beijing_day_and_filters_staff(
        client, catalogue, django_assert_num_queries):
    users = catalogue.users
    late = book(catalogue)
    # 23:30 Beijing time on 22 June is still 22 June (15:30 UTC).
    accept(catalogue, late, start=local(2026, 6, 22, 23, 30), hours=1, staff=[users.guard])
    other = book(catalogue, item="drill")
    accept(catalogue, other, start=local(2026, 6, 30, 9), staff=[users.staff])
    book(catalogue, item="drill", service_date=dt.date(2026, 6, 24))  # awaiting: not shown
    login(client, users.staff)
    client.get("/community/services/calendar/?month=2026-06")
    with django_assert_num_queries(9):
        response = client.get("/community/services/calendar/?month=2026-06")
    cal = response.context["cal"]
    assert [(d.day, [b.pk for b in d.bookings]) for d in cal.booked_days] == [
        (dt.date(2026, 6, 22), [late.pk]), (dt.date(2026, 6, 30), [other.pk])]
    assert cal.weeks[0][0].day == dt.date(2026, 6, 1) and len(cal.weeks) == 5
    html = response.content.decode()
    assert 'href="?month=2026-05"' in html and 'href="?month=2026-07"' in html
    assert "23:30–00:30" in html
    mine = client.get("/community/services/calendar/?month=2026-06&mine=1")
    assert [d.day for d in mine.context["cal"].booked_days] == [dt.date(2026, 6, 30)]
    guard = client.get(f"/community/services/calendar/?month=2026-06&staff={users.guard.pk}")
    assert [d.day for d in guard.context["cal"].booked_days] == [dt.date(2026, 6, 22)]
    assert client.get("/community/services/calendar/?month=rubbish").status_code == 200
    login(client, users.contact_a)
    assert client.get("/community/services/calendar/").status_code == 403


def test_a_guard_sees_only_their_own_assignments_in_the_calendar_and_the_list(
        client, catalogue, django_assert_num_queries):
    users = catalogue.users
    login(client, users.guard)
    empty = client.get("/community/services/calendar/?month=2026-06")
    assert empty.status_code == 200 and empty.context["cal"].count == 0
    assert client.get("/community/services/requests/").status_code == 200
    hub = client.get("/community/").content.decode()
    assert 'href="/community/services/calendar/"' in hub
    assert 'href="/community/services/requests/"' in hub
    theirs = book(catalogue)
    accept(catalogue, theirs, staff=[users.staff, users.guard])
    other = book(catalogue, item="drill")
    accept(catalogue, other, start=local(2026, 6, 30, 9), staff=[users.staff])
    book(catalogue, item="drill", service_date=dt.date(2026, 6, 25))  # not assigned
    client.get("/community/services/calendar/?month=2026-06")
    # session, user, memberships, the bookings, their staff, unread notifications, the
    # user's model permissions (2): no staff list for the filter
    with django_assert_num_queries(8):
        response = client.get(
            f"/community/services/calendar/?month=2026-06&staff={users.staff.pk}")
    cal = response.context["cal"]
    assert [(d.day, [b.pk for b in d.bookings]) for d in cal.booked_days] == [
        (dt.date(2026, 6, 22), [theirs.pk])]
    html = response.content.decode()
    assert 'id="calendar-filter"' not in html and 'id="calendar-mine"' in html
    assert 'href="?month=2026-07"' in html
    assert [r.pk for r in client.get("/community/services/requests/").context["page"]] == [
        theirs.pk]
    assert client.get(f"/community/services/requests/{other.pk}/").status_code == 404
    # students and police liaisons still have no calendar or list
    for outsider in (users.student, users.police):
        login(client, outsider)
        assert client.get("/community/services/calendar/").status_code == 403
        assert client.get("/community/services/requests/").status_code == 403


def test_calendar_query_count_does_not_grow_with_bookings(client, catalogue,
                                                          django_assert_num_queries):
    users = catalogue.users
    def booked(day):
        request = book(catalogue, item="drill", service_date=dt.date(2026, 6, day))
        accept(catalogue, request, staff=[users.staff, users.guard], allow_overlap=True)

    booked(22)
    login(client, users.leadership)
    client.get("/community/services/calendar/?month=2026-06")
    # session, user, memberships, the staff list, the bookings, their staff, unread
    # notifications, the user's model permissions (2)
    with django_assert_num_queries(9):
        client.get("/community/services/calendar/?month=2026-06")
    for day in (23, 24, 25):
        booked(day)
    with django_assert_num_queries(9):
        response = client.get("/community/services/calendar/?month=2026-06")
    assert response.context["cal"].count == 4


# --- report ------------------------------------------------------------------------------------
@pytest.fixture
def known(catalogue):
    """Talks: one delivered on the booked date (decided after 2 h, rated 5), one delivered on
    another day (decided after 30 h: SLA missed, rated 2), one declined after 6 h, one awaiting.
    Drill: one cancelled. One talk booked last year (outside the period)."""
    users = catalogue.users
    with clock.frozen(local(2025, 12, 1, 10)):
        old = book(catalogue, service_date=dt.date(2025, 12, 10))
        services.service_request_decline(actor=users.staff, request_id=old.pk, reason="旧")
    kinds = {}
    for name, day, hours in (("on_time", 22, 2), ("moved", 23, 30), ("declined", 24, 6)):
        request = book(catalogue, service_date=dt.date(2026, 6, day))
        with clock.frozen(NOW + dt.timedelta(hours=hours)):
            if name == "declined":
                services.service_request_decline(actor=users.staff, request_id=request.pk,
                                                 reason="无")
            else:
                start = local(2026, 6, day if name == "on_time" else 25, 9)
                accept(catalogue, request, start=start, allow_overlap=True)
        kinds[name] = request
    with clock.frozen(local(2026, 6, 26, 12)):
        for name, rating in (("on_time", 5), ("moved", 2)):
            services.service_request_deliver(actor=users.staff, request_id=kinds[name].pk,
                                             delivery_note="完成")
            services.service_request_rate(actor=users.contact_a, request_id=kinds[name].pk,
                                          rating=rating)
    book(catalogue, service_date=dt.date(2026, 6, 29))
    drill = book(catalogue, item="drill")
    services.service_request_cancel(actor=users.contact_a, request_id=drill.pk, reason="取消")
    return kinds


def test_report_figures_on_a_known_set(catalogue, known):
    rows, totals = selectors.service_report(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    talk = next(r for r in rows if r.item == catalogue.talk)
    drill = next(r for r in rows if r.item == catalogue.drill)
    assert (talk.total, talk.submitted, talk.accepted, talk.declined, talk.delivered,
            talk.cancelled) == (4, 1, 0, 1, 2, 0)
    assert (talk.decided, talk.sla_met, talk.sla_share) == (3, 2, 2 / 3)
    assert talk.median_hours == 6.0  # 2, 6 and 30 hours
    assert (talk.on_time, talk.on_time_share) == (1, 0.5)
    assert (talk.rating_count, talk.rating_avg) == (2, 3.5)
    assert (drill.total, drill.cancelled, drill.decided, drill.median_hours,
            drill.sla_share) == (1, 1, 0, None, None)
    assert (totals.total, totals.decided, totals.median_hours, totals.rating_avg) == (
        5, 3, 6.0, 3.5)
    rows, totals = selectors.service_report(dt.date(2026, 6, 17), dt.date(2026, 6, 30))
    assert totals.total == 0 and totals.median_hours is None


def test_report_median_of_an_even_count_is_the_mean_of_the_middle_two(catalogue, known):
    rows, totals = selectors.service_report(dt.date(2025, 1, 1), dt.date(2026, 6, 30))
    # decisions after 0 h (last year's, declined at once), 2 h, 6 h and 30 h
    assert totals.decided == 4 and totals.median_hours == 4.0


def test_report_page_and_excel(client, catalogue, known):
    login(client, catalogue.users.leadership)
    response = client.get("/community/services/report/")
    assert response.status_code == 200
    assert (response.context["date_from"], response.context["date_to"]) == (
        dt.date(2026, 1, 1), dt.date(2026, 6, 16))
    page = text_of(response)
    assert "67% (2/3)" in page and "6.0" in page and "3.5 (2 ratings)" in page
    export = client.get("/community/services/report/?date_from=2026-01-01&date_to=2026-06-30"
                        "&export=xlsx")
    assert export["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Service", "Requests", "Awaiting the office")
    assert rows[1][:2] == ("安全教育讲座", 4)
    assert rows[1][8:15] == (2, 66.7, 6.0, 1, 50.0, 2, 3.5)
    assert rows[-1][:2] == ("Total", 5)
    bad = client.get("/community/services/report/?date_from=2026-06-30&date_to=2026-01-01")
    assert "The end date is before the start date." in text_of(bad)
    login(client, catalogue.users.contact_a)
    assert client.get("/community/services/report/").status_code == 403


# --- the hub -----------------------------------------------------------------------------------
def test_hub_card_counts_for_office_and_unit(client, catalogue, queue):
    login(client, catalogue.users.staff)
    page = text_of(client.get("/community/"))
    assert "2 awaiting a decision" in page and "1 past the SLA" in page
    login(client, catalogue.users.contact_b)
    page = text_of(client.get("/community/"))
    assert "My unit: 1 open booking" in page
    login(client, catalogue.users.student)
    page = client.get("/community/").content.decode()
    assert 'id="hub-catalogue"' in page and "/community/services/requests/" not in page
