"""Service requests through the services: booking (numbering, lead time with holidays,
capacity, the service's questions, phone, idempotency), the office's decision and the SLA,
every state machine edge, staff overlaps, delivery, cancelling, rating once, reminders."""
# ruff: noqa: F811  (fixtures imported from bookings_helpers and the browser conftest)

import datetime as dt

import pytest
from django.utils import translation

from safecampus.community.models import ServiceAssignment, ServiceRequest
from safecampus.community.services import bookings as services
from safecampus.core import clock
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.models import ActivityEntry
from safecampus.notifications.models import Notification

from .bookings_helpers import NOW, TALK_ANSWERS, accept, book, catalogue, local  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=False)
State = ServiceRequest.State


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def _error(call, *args, **kwargs) -> dict:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value.field_errors


# --- booking -----------------------------------------------------------------------------------
def test_booking_is_numbered_due_within_the_sla_and_tells_the_office(
        catalogue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = book(catalogue)
        second = book(catalogue, item="drill")
    assert (first.number, second.number) == ("FW-2026-0001", "FW-2026-0002")
    assert first.state == State.SUBMITTED and first.requested_by == catalogue.users.contact_a
    assert first.submitted_at == NOW and first.sla_due_at == NOW + dt.timedelta(hours=24)
    assert second.sla_due_at == NOW + dt.timedelta(hours=48)
    assert first.answers == {"audience": 120, "topic": "防范电信网络诈骗",
                             "media": ["投影仪", "话筒"], "agree": True}
    told = Notification.objects.filter(verb="community.service_submit",
                                       recipient=catalogue.users.staff).order_by("id")
    assert told.count() == 2
    assert told[0].title == "新服务申请 FW-2026-0001：化学学院预约安全教育讲座，2026年6月22日"
    assert not Notification.objects.filter(verb="community.service_submit",
                                           recipient=catalogue.users.contact_a).exists()
    entry = ActivityEntry.objects.get(verb="community.service_submit", target_id=first.pk)
    assert entry.actor == catalogue.users.contact_a and entry.to_state == State.SUBMITTED


def test_lead_time_in_working_days_skips_the_dragon_boat_holiday(catalogue, english):
    # Booked on Tuesday 16 June: 17, 18 and (after the holiday of 19–21 June) 22 June.
    errors = _error(book, catalogue, service_date=dt.date(2026, 6, 19))
    assert errors == {"service_date": [
        "“安全教育讲座” must be booked at least 3 working days ahead: the earliest date "
        "allowed is 22 June 2026."]}
    assert not ServiceRequest.objects.exists()
    assert book(catalogue, service_date=dt.date(2026, 6, 22)).service_date == dt.date(
        2026, 6, 22)


def test_lead_time_in_calendar_days_says_the_earliest_date_in_chinese(catalogue):
    with pytest.raises(DomainError) as caught:
        book(catalogue, item="drill", service_date=dt.date(2026, 6, 20))
    assert caught.value.field_errors["service_date"] == [
        "“消防演练”须至少提前 5 天预约，最早可预约日期为 2026年6月21日。"]
    assert book(catalogue, item="drill", service_date=dt.date(2026, 6, 21)).pk


def test_a_past_date_is_refused_with_the_earliest_date(catalogue, english):
    assert _error(book, catalogue, service_date=dt.date(2026, 6, 15)) == {"service_date": [
        "That date has passed: the earliest date allowed is 22 June 2026."]}


def test_a_full_day_names_the_next_day_with_room(catalogue, english):
    book(catalogue)
    book(catalogue, actor=catalogue.users.contact_b, unit=catalogue.org.unit_b)
    errors = _error(book, catalogue)
    assert errors == {"service_date": [
        "“安全教育讲座” is fully booked on 22 June 2026; the next day with room is "
        "23 June 2026."]}
    # A cancelled booking gives its place back.
    services.service_request_cancel(actor=catalogue.users.contact_a,
                                    request_id=ServiceRequest.objects.order_by("id")[0].pk,
                                    reason="活动改期")
    assert book(catalogue).service_date == dt.date(2026, 6, 22)


def test_required_questions_and_bad_answers_are_refused_each_at_its_field(catalogue, english):
    errors = _error(book, catalogue, answers={
        "audience": "about 100", "topic": "交通安全", "media": ["投影仪", "白板"],
        "agree": False, "rehearsal": "next week", "speaker": "x" * 201})
    assert errors == {
        "answer_audience": ["“听众人数” needs a whole number."],
        "answer_topic": ["“交通安全” is not one of the choices of “讲座主题”."],
        "answer_media": ["“白板” is not one of the choices of “需要的设备”."],
        "answer_agree": ["“已阅读预约须知” must be ticked."],
        "answer_speaker": ["At most 200 characters."],
        "answer_rehearsal": ["“彩排日期” needs a date such as 2026-06-19."]}
    errors = _error(book, catalogue, answers={})
    assert errors == {"answer_audience": ["Answer “听众人数”."],
                      "answer_topic": ["Answer “讲座主题”."],
                      "answer_agree": ["“已阅读预约须知” must be ticked."]}
    assert not ServiceRequest.objects.exists()


def test_whole_numbers_outside_the_question_range_are_refused(catalogue, english):
    # Given the talk's audience question accepts 1 to 2,000 people
    catalogue.talk.fields.filter(code="audience").update(min_value=1, max_value=2000)
    for given in (-5, "-5", 0, 2001, "99999999"):
        # When a booking answers outside that range, Then nothing is booked
        assert _error(book, catalogue, answers={**TALK_ANSWERS, "audience": given}) == {
            "answer_audience": ["“听众人数” needs a whole number from 1 to 2000."]}
    assert not ServiceRequest.objects.exists()
    assert book(catalogue, answers={**TALK_ANSWERS, "audience": 2000}).answers["audience"] == 2000


def test_a_number_question_accepts_0_to_100000_unless_set_otherwise(catalogue):
    field = catalogue.talk.fields.get(code="audience")
    assert (field.min_value, field.max_value) == (0, 100_000)
    with translation.override("zh-hans"):
        assert _error(book, catalogue, answers={**TALK_ANSWERS, "audience": -1}) == {
            "answer_audience": ["“听众人数”须为 0 至 100000 之间的整数。"]}


def test_service_settings_and_number_ranges_are_bounded_in_the_admin(catalogue):
    from django.core.exceptions import ValidationError

    talk = catalogue.talk
    talk.lead_days, talk.sla_hours, talk.duration_minutes, talk.daily_capacity = 400, 0, 0, 5000
    with pytest.raises(ValidationError) as caught:
        talk.full_clean()
    assert set(caught.value.message_dict) == {"lead_days", "sla_hours", "duration_minutes",
                                              "daily_capacity"}
    field = talk.fields.get(code="audience")
    field.min_value, field.max_value = 10, 5
    with pytest.raises(ValidationError) as caught:
        field.full_clean()
    assert "max_value" in caught.value.message_dict


def test_answers_are_stored_by_code_and_unknown_codes_dropped(catalogue):
    request = book(catalogue, answers={
        "audience": 80, "topic": "消防安全", "media": "音响, 话筒", "agree": "on",
        "rehearsal": dt.date(2026, 6, 20), "background": "  大一新生  ", "other": "x"})
    assert request.answers == {"audience": 80, "topic": "消防安全", "media": ["话筒", "音响"],
                               "agree": True, "rehearsal": "2026-06-20",
                               "background": "大一新生"}


def test_where_when_and_phone_are_checked(catalogue, english):
    errors = _error(book, catalogue, start_time=dt.time(15), end_time=dt.time(14),
                    campus_id=catalogue.org.campus2.pk, contact_phone="call me")
    assert errors == {"end_time": ["The end time is not after the start time."],
                      "place": ["The place is not on the chosen campus."],
                      "contact_phone": [
                          "Enter a phone number (digits, with spaces, +, - or brackets)."]}
    errors = _error(book, catalogue, place_id=None, contact_phone="")
    assert errors == {"location_text": ["Choose a place or say where the service is."],
                      "contact_phone": ["Give a phone number the office can call."]}
    request = book(catalogue, place_id=None, location_text="学生活动中心报告厅",
                   contact_phone="１３９ ００００ ００００")
    assert (request.location_text, request.contact_phone) == ("学生活动中心报告厅",
                                                              "139 0000 0000")


def test_only_contacts_and_leaders_book_and_only_for_their_units(catalogue, english):
    with pytest.raises(NotAllowed):
        book(catalogue, actor=catalogue.users.student)
    assert _error(book, catalogue, actor=catalogue.users.contact_b) == {
        "unit": ["Choose one of the units you book for."]}
    assert book(catalogue, actor=catalogue.users.leader_a).unit == catalogue.org.unit_a


def test_same_key_books_once(catalogue):
    first = book(catalogue, idempotency_key="booking-key-1")
    again = book(catalogue, idempotency_key="booking-key-1")
    assert first.pk == again.pk and ServiceRequest.objects.count() == 1


# --- the office's decision and the SLA ---------------------------------------------------------
def test_accept_within_the_sla_assigns_staff_and_tells_unit_and_staff(
        catalogue, django_capture_on_commit_callbacks):
    request = book(catalogue)
    users = catalogue.users
    with clock.frozen(NOW + dt.timedelta(hours=3)), django_capture_on_commit_callbacks(
            execute=True):
        accept(catalogue, request, staff=[users.staff, users.guard], lead=users.guard,
               office_note="请提前准备场地")
    request.refresh_from_db()
    assert request.state == State.ACCEPTED and request.sla_met is True
    assert request.decided_by == users.admin
    assert request.decided_at == NOW + dt.timedelta(hours=3)
    assert list(ServiceAssignment.objects.filter(request=request).values_list(
        "user__username", "is_lead")) == [("guard1", True), ("staff1", False)]
    unit_told = Notification.objects.get(verb="community.service_accept",
                                         recipient=users.contact_a)
    assert unit_told.title == "FW-2026-0001 已受理：安全教育讲座，2026-06-22 14:00"
    assert Notification.objects.filter(verb="community.service_accept",
                                       recipient=users.leader_a).exists()
    assert set(Notification.objects.filter(verb="community.service_assigned").values_list(
        "recipient__username", flat=True)) == {"staff1", "guard1"}
    entry = ActivityEntry.objects.get(verb="community.service_accept", target_id=request.pk)
    assert (entry.from_state, entry.to_state, entry.data["sla_met"]) == (
        "submitted", "accepted", True)


def test_a_decision_after_the_sla_is_recorded_as_missed(catalogue):
    request = book(catalogue)
    with clock.frozen(NOW + dt.timedelta(hours=25)):
        services.service_request_decline(actor=catalogue.users.staff, request_id=request.pk,
                                         reason="当天保卫处另有重大活动安保任务")
    request.refresh_from_db()
    assert (request.state, request.sla_met) == (State.DECLINED, False)
    assert request.decline_reason == "当天保卫处另有重大活动安保任务"
    exactly = book(catalogue, service_date=dt.date(2026, 6, 23))
    with clock.frozen(exactly.sla_due_at):
        accept(catalogue, exactly)
    exactly.refresh_from_db()
    assert exactly.sla_met is True


def test_accept_checks_times_and_staff(catalogue, english):
    request = book(catalogue)
    start = local(2026, 6, 22, 14)
    errors = _error(services.service_request_accept, actor=catalogue.users.admin,
                    request_id=request.pk, scheduled_start=start, scheduled_end=start,
                    staff_ids=[catalogue.users.contact_b.pk, catalogue.users.staff.pk],
                    lead_id=catalogue.users.staff2.pk)
    assert errors == {"scheduled_end": ["The end is not after the start."],
                      "staff": ["Only active office staff and guards can be assigned."],
                      "lead": ["The person in charge must be one of the staff assigned."]}
    errors = _error(services.service_request_accept, actor=catalogue.users.admin,
                    request_id=request.pk, scheduled_start=start, scheduled_end=None,
                    staff_ids=[])
    assert errors == {"scheduled_end": ["Give the day and time the service ends."],
                      "staff": ["Assign at least one member of staff."],
                      "lead": ["Say who is in charge."]}
    request.refresh_from_db()
    assert request.state == State.SUBMITTED and not request.assignments.exists()


def test_schedule_must_start_within_30_days_of_the_booked_date(catalogue, english):
    users = catalogue.users
    request = book(catalogue)  # booked for Monday 22 June 2026
    window = ("The service was booked for 22 June 2026: schedule it to start between "
              "23 May 2026 and 22 July 2026.")
    end = local(2026, 6, 22, 16)
    for start in (dt.datetime(1, 1, 1, tzinfo=clock.local_zone()),
                  dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC),
                  local(2026, 5, 22, 23, 59), local(2026, 7, 23, 0, 0)):
        errors = _error(services.service_request_accept, actor=users.admin,
                        request_id=request.pk, scheduled_start=start, scheduled_end=end,
                        staff_ids=[users.staff.pk])
        assert errors == {"scheduled_start": [window]}, start
    request.refresh_from_db()
    assert request.state == State.SUBMITTED and request.decided_at is None
    assert not request.assignments.exists()
    # the last day of the window is allowed, and so is moving back to the first
    accept(catalogue, request, start=local(2026, 7, 22, 22), hours=1)
    services.service_request_reschedule(
        actor=users.admin, request_id=request.pk, scheduled_start=local(2026, 5, 23, 0),
        scheduled_end=local(2026, 5, 23, 2), staff_ids=[users.staff.pk])
    errors = _error(services.service_request_reschedule, actor=users.admin,
                    request_id=request.pk, scheduled_start=dt.datetime(
                        1, 1, 1, tzinfo=clock.local_zone()), scheduled_end=end,
                    staff_ids=[users.staff.pk])
    assert errors == {"scheduled_start": [window]}
    request.refresh_from_db()
    assert request.scheduled_start == local(2026, 5, 23, 0)


def test_schedule_window_message_in_chinese(catalogue):
    request = book(catalogue)
    with translation.override("zh-hans"):
        errors = _error(accept, catalogue, request, start=local(2026, 8, 1, 9))
    assert errors == {"scheduled_start": [
        "该服务预约日期为2026年6月22日：开始时间须安排在2026年5月23日至2026年7月22日之间。"]}


def test_unit_people_told_are_active_and_by_the_accounts_selector(catalogue):
    users = catalogue.users
    request = book(catalogue)
    assert {u.username for u in services._unit_people(request)} == {"contact_a", "leader_a"}
    users.leader_a.is_active = False
    users.leader_a.save(update_fields=["is_active"])
    users.contact_a.is_active = False
    users.contact_a.save(update_fields=["is_active"])
    assert services._unit_people(request) == []
    assert {u.username for u in services._office_people()} >= {"staff1", "admin1"}


def test_staff_on_an_overlapping_booking_are_refused_unless_the_overlap_is_wanted(
        catalogue, english):
    users = catalogue.users
    first = book(catalogue)
    accept(catalogue, first, staff=[users.staff, users.guard])  # 22 June 14:00–16:00
    second = book(catalogue, actor=users.contact_b, unit=catalogue.org.unit_b,
                  campus_id=catalogue.org.campus2.pk, place_id=catalogue.org.place_b.pk)
    staff1 = users.staff.full_name or users.staff.username
    errors = _error(accept, catalogue, second, start=local(2026, 6, 22, 15),
                    staff=[users.staff2, users.staff], lead=users.staff2)
    assert errors == {"staff": [
        f"{staff1} is already assigned to FW-2026-0001 (安全教育讲座, 化学学院) from "
        "2026-06-22 14:00 to 2026-06-22 16:00."]}
    # Back to back is no overlap; an overlap that is wanted is allowed.
    accept(catalogue, second, start=local(2026, 6, 22, 16), staff=[users.staff])
    third = book(catalogue, item="drill")
    accept(catalogue, third, start=local(2026, 6, 22, 15), staff=[users.staff],
           allow_overlap=True)
    assert ServiceAssignment.objects.filter(user=users.staff).count() == 3


def test_reschedule_moves_the_booking_and_tells_the_unit_and_new_staff(
        catalogue, django_capture_on_commit_callbacks, english):
    users = catalogue.users
    request = book(catalogue)
    accept(catalogue, request)
    with django_capture_on_commit_callbacks(execute=True):
        services.service_request_reschedule(
            actor=users.staff, request_id=request.pk, scheduled_start=local(2026, 6, 23, 9),
            scheduled_end=local(2026, 6, 23, 11), staff_ids=[users.staff2.pk, users.staff.pk],
            lead_id=users.staff2.pk, office_note="改到上午")
    request.refresh_from_db()
    assert (request.state, request.scheduled_start) == (State.ACCEPTED, local(2026, 6, 23, 9))
    assert request.sla_met is True and request.office_note == "改到上午"
    assert Notification.objects.filter(verb="community.service_reschedule",
                                       recipient=users.contact_a).count() == 1
    assert set(Notification.objects.filter(verb="community.service_assigned").values_list(
        "recipient__username", flat=True)) == {"staff1", "staff2"}
    entry = ActivityEntry.objects.get(verb="community.service_reschedule")
    assert entry.data["from"] == "2026-06-22 14:00" and entry.data["moved"] is True
    errors = _error(services.service_request_reschedule, actor=users.staff,
                    request_id=request.pk, scheduled_start=local(2026, 6, 23, 9),
                    scheduled_end=local(2026, 6, 23, 11), staff_ids=[users.staff2.pk, users.staff.pk],
                    lead_id=users.staff2.pk, office_note="改到上午")
    assert errors == {"scheduled_start": ["Nothing changed: give another time or other staff."]}


def test_deliver_only_from_the_scheduled_start_and_on_time_means_the_booked_date(
        catalogue, english, django_capture_on_commit_callbacks):
    request = book(catalogue)
    accept(catalogue, request)
    with pytest.raises(DomainError) as caught:
        services.service_request_deliver(actor=catalogue.users.staff, request_id=request.pk,
                                         delivery_note="讲座完成")
    assert caught.value.message == ("The service has not started yet: delivery can be "
                                    "recorded from 2026-06-22 14:00.")
    with clock.frozen(local(2026, 6, 23, 9)), django_capture_on_commit_callbacks(execute=True):
        services.service_request_deliver(actor=catalogue.users.staff, request_id=request.pk,
                                         delivery_note="讲座完成，现场答疑", people_reached="118")
    request.refresh_from_db()
    assert request.state == State.DELIVERED and request.delivered_on_time is True
    assert (request.people_reached, request.delivered_at) == (118, local(2026, 6, 23, 9))
    assert Notification.objects.filter(verb="community.service_deliver",
                                       recipient=catalogue.users.contact_a).exists()
    moved = book(catalogue, item="drill", service_date=dt.date(2026, 6, 22))
    accept(catalogue, moved, start=local(2026, 6, 24, 9))
    with clock.frozen(local(2026, 6, 24, 12)):
        services.service_request_deliver(actor=catalogue.users.staff, request_id=moved.pk,
                                         delivery_note="演练完成")
    moved.refresh_from_db()
    assert moved.delivered_on_time is False and moved.people_reached is None


def test_deliver_needs_a_note_and_a_sensible_number(catalogue, english):
    request = book(catalogue)
    accept(catalogue, request)
    with clock.frozen(local(2026, 6, 22, 16)):
        errors = _error(services.service_request_deliver, actor=catalogue.users.staff,
                        request_id=request.pk, delivery_note=" ", people_reached="-3")
    assert errors == {"delivery_note": ["Say what was done."], "people_reached": [
        "Give the number of people as a whole number from 0 to 1000000."]}


# --- the state machine -------------------------------------------------------------------------
def _in_state(catalogue, state: str, **extra) -> ServiceRequest:
    """A request brought to ``state`` through the services."""
    request = book(catalogue, **extra)
    users = catalogue.users
    if state in ("accepted", "delivered"):
        accept(catalogue, request)
    if state == "delivered":
        with clock.frozen(local(2026, 6, 22, 16)):
            services.service_request_deliver(actor=users.staff, request_id=request.pk,
                                             delivery_note="已完成")
    if state == "declined":
        services.service_request_decline(actor=users.staff, request_id=request.pk,
                                         reason="人手不足")
    if state == "cancelled":
        services.service_request_cancel(actor=users.contact_a, request_id=request.pk,
                                        reason="活动取消")
    request.refresh_from_db()
    assert request.state == state
    return request


STEPS = {
    "accept": lambda cat, r: accept(cat, r, start=local(2026, 6, 29, 9)),
    "reschedule": lambda cat, r: services.service_request_reschedule(
        actor=cat.users.admin, request_id=r.pk, scheduled_start=local(2026, 6, 29, 9),
        scheduled_end=local(2026, 6, 29, 10), staff_ids=[cat.users.staff2.pk]),
    "decline": lambda cat, r: services.service_request_decline(
        actor=cat.users.admin, request_id=r.pk, reason="不予受理"),
    "deliver": lambda cat, r: services.service_request_deliver(
        actor=cat.users.admin, request_id=r.pk, delivery_note="已完成"),
    "cancel": lambda cat, r: services.service_request_cancel(
        actor=cat.users.admin, request_id=r.pk, reason="取消"),
}
ALLOWED = {
    ("submitted", "accept"): "accepted", ("submitted", "decline"): "declined",
    ("submitted", "cancel"): "cancelled", ("accepted", "reschedule"): "accepted",
    ("accepted", "deliver"): "delivered", ("accepted", "cancel"): "cancelled",
}


@pytest.mark.parametrize("state", ["submitted", "accepted", "declined", "delivered",
                                   "cancelled"])
@pytest.mark.parametrize("step", list(STEPS))
def test_every_edge_of_the_state_machine(catalogue, state, step, english):
    request = _in_state(catalogue, state)
    entries = ActivityEntry.objects.filter(target_id=request.pk).count()
    with clock.frozen(local(2026, 6, 30, 12)):  # after every scheduled start
        if (state, step) in ALLOWED:
            STEPS[step](catalogue, request)
            request.refresh_from_db()
            assert request.state == ALLOWED[(state, step)]
            assert ActivityEntry.objects.filter(target_id=request.pk).count() == entries + 1
        else:
            with pytest.raises(Conflict) as caught:
                STEPS[step](catalogue, request)
            label = dict(State.choices)[state]
            assert caught.value.message == (
                f"Service request {request.number} is {label}; that cannot be done to it now.")
            request.refresh_from_db()
            assert request.state == state
            assert ActivityEntry.objects.filter(target_id=request.pk).count() == entries


def test_office_steps_need_the_office(catalogue):
    request = book(catalogue)
    for actor in (catalogue.users.contact_a, catalogue.users.leadership,
                  catalogue.users.guard):
        with pytest.raises(NotAllowed):
            accept(catalogue, request, actor=actor)
        with pytest.raises(NotAllowed):
            services.service_request_decline(actor=actor, request_id=request.pk, reason="x")


def test_cancel_by_the_unit_tells_the_office_and_staff_not_another_unit(
        catalogue, english, django_capture_on_commit_callbacks):
    request = book(catalogue)
    accept(catalogue, request, staff=[catalogue.users.guard])
    with pytest.raises(NotAllowed):
        services.service_request_cancel(actor=catalogue.users.contact_b,
                                        request_id=request.pk, reason="x")
    assert _error(services.service_request_cancel, actor=catalogue.users.contact_a,
                  request_id=request.pk, reason="") == {
        "reason": ["Say why the request is cancelled."]}
    with django_capture_on_commit_callbacks(execute=True):
        services.service_request_cancel(actor=catalogue.users.leader_a, request_id=request.pk,
                                        reason="学院活动取消")
    told = set(Notification.objects.filter(verb="community.service_cancel").values_list(
        "recipient__username", flat=True))
    assert {"staff1", "admin1", "guard1"} <= told and "contact_a" not in told
    entry = ActivityEntry.objects.get(verb="community.service_cancel")
    assert (entry.from_state, entry.comment, entry.data) == (
        "accepted", "学院活动取消", {"by_office": False})


# --- rating ------------------------------------------------------------------------------------
def test_the_unit_rates_a_delivered_service_once(catalogue, english):
    request = _in_state(catalogue, "delivered")
    with pytest.raises(NotAllowed):
        services.service_request_rate(actor=catalogue.users.contact_b, request_id=request.pk,
                                      rating=5)
    with pytest.raises(NotAllowed):
        services.service_request_rate(actor=catalogue.users.staff, request_id=request.pk,
                                      rating=5)
    assert _error(services.service_request_rate, actor=catalogue.users.contact_a,
                  request_id=request.pk, rating=6) == {"rating": ["Give a rating from 1 to 5."]}
    services.service_request_rate(actor=catalogue.users.leader_a, request_id=request.pk,
                                  rating="4", comment="讲得很好")
    request.refresh_from_db()
    assert (request.rating, request.rating_comment, request.rated_by) == (
        4, "讲得很好", catalogue.users.leader_a)
    with pytest.raises(Conflict) as caught:
        services.service_request_rate(actor=catalogue.users.contact_a, request_id=request.pk,
                                      rating=1)
    assert caught.value.message == "Service request FW-2026-0001 was already rated."
    request.refresh_from_db()
    assert request.rating == 4
    assert ActivityEntry.objects.filter(verb="community.service_rate").count() == 1


def test_only_a_delivered_service_is_rated(catalogue, english):
    request = _in_state(catalogue, "accepted")
    with pytest.raises(Conflict) as caught:
        services.service_request_rate(actor=catalogue.users.contact_a, request_id=request.pk,
                                      rating=5)
    assert caught.value.message == "Only a delivered service can be rated."


# --- reminders ---------------------------------------------------------------------------------
def test_sweep_reminds_the_office_of_the_sla_once_each_and_staff_the_day_before(catalogue):
    users = catalogue.users
    soon = book(catalogue)  # due 17 June 10:00
    later = book(catalogue, item="drill")  # due 18 June 10:00
    with clock.frozen(local(2026, 6, 17, 7)):
        assert services.service_request_sweep() == {"sla_soon": 1, "sla_passed": 0,
                                                     "tomorrow": 0}
        assert services.service_request_sweep() == {"sla_soon": 0, "sla_passed": 0,
                                                     "tomorrow": 0}
    with clock.frozen(local(2026, 6, 17, 11)):
        assert services.service_request_sweep()["sla_passed"] == 1
        assert services.service_request_sweep()["sla_passed"] == 0
    titles = list(Notification.objects.filter(
        verb="community.service_sla", recipient=users.staff).order_by("id").values_list(
        "title", flat=True))
    assert titles == [
        "请在 2026-06-17 10:00 前处理 FW-2026-0001：化学学院预约的安全教育讲座",
        "FW-2026-0001 已超出服务时限：化学学院预约的安全教育讲座应于 2026-06-17 10:00 前答复"]
    assert later.state == State.SUBMITTED
    accept(catalogue, soon, staff=[users.staff, users.guard])
    with clock.frozen(local(2026, 6, 21, 18)):
        assert services.service_request_sweep()["tomorrow"] == 1
        assert services.service_request_sweep()["tomorrow"] == 0
    assert set(Notification.objects.filter(verb="community.service_tomorrow").values_list(
        "recipient__username", flat=True)) == {"staff1", "guard1"}
    with clock.frozen(local(2026, 6, 20, 18)):  # two days before: nothing yet
        assert services.service_request_sweep()["tomorrow"] == 0
