"""The duty room: taking over, logging, closing and reopening entries, handing over with open
items carried over (given/when/then), and the duty pages with their permissions."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.notifications.models import Notification
from safecampus.patrols.models import DutyLogEntry, DutyShift
from safecampus.patrols.selectors.duty import duty_shift_story
from safecampus.patrols.services import duty as services
from safecampus.tests.factories import user_with_role

from .helpers import local, login, messages_of, text_of

pytestmark = pytest.mark.django_db

NOW = local(2026, 3, 12, 21, 30)
NO_SHIFT = ("Nobody is on duty: take over the duty first (Duty room → Take over the duty), "
            "then log the entry.")


@pytest.fixture(autouse=True)
def _now():
    with clock.frozen(NOW):
        yield


def on_duty(org, officer=None, **kwargs) -> DutyShift:
    return services.duty_shift_take_over(actor=officer or org.users.guard, **kwargs)


def log(org, actor=None, summary="东门来电：自行车被盗", **kwargs) -> DutyLogEntry:
    return services.duty_entry_log(actor=actor or org.users.guard, summary=summary, **kwargs)


def verbs(obj) -> list[str]:
    return list(activity_for(obj).order_by("id").values_list("verb", flat=True))


# --- taking over -----------------------------------------------------------------------------
def test_the_first_shift_starts_by_taking_over(org):
    shift = on_duty(org, leader_id=org.users.staff.pk, note="第一班")
    assert (shift.state, shift.officer, shift.leader) == ("open", org.users.guard, org.users.staff)
    assert shift.started_at == NOW
    assert verbs(shift) == ["patrols.duty_take_over"]


def test_taking_over_when_someone_is_on_duty_is_a_conflict(org):
    on_duty(org)
    with pytest.raises(Conflict) as error:
        on_duty(org, officer=org.users.staff)
    assert error.value.message == (f"{org.users.guard.full_name} is on duty since 2026-03-12 "
                                   "21:30: the next shift starts by handing over.")
    assert DutyShift.objects.count() == 1


def test_students_and_leadership_cannot_take_over(org):
    for user in (org.users.student, org.users.leadership):
        with pytest.raises(NotAllowed):
            on_duty(org, officer=user)
    assert not DutyShift.objects.exists()


# --- logging ---------------------------------------------------------------------------------
def test_logging_without_an_open_shift_says_how_to_take_over(org):
    with pytest.raises(DomainError) as error:
        log(org)
    assert (error.value.code, error.value.message) == ("no_open_shift", NO_SHIFT)
    assert not DutyLogEntry.objects.exists()


def test_an_entry_is_logged_into_the_open_shift_now_with_the_place_campus(org):
    shift = on_duty(org)
    entry = log(org, kind="walk_in", place_id=org.place_b.pk, location_text="二楼走廊",
                caller_name="王同学", caller_phone="13800001111", action_taken="已派人前往")
    assert (entry.shift, entry.logged_in_shift, entry.logged_by) == (shift, shift, org.users.guard)
    assert entry.occurred_at == NOW and entry.campus == org.campus2
    assert (entry.kind, entry.status, entry.caller_phone) == ("walk_in", "open", "13800001111")
    assert verbs(entry) == ["patrols.duty_entry_log"]


def test_an_entry_time_may_be_earlier_but_not_in_the_future(org):
    on_duty(org)
    earlier = log(org, occurred_at=NOW - dt.timedelta(minutes=40))
    assert earlier.occurred_at == NOW - dt.timedelta(minutes=40)
    with pytest.raises(DomainError) as error:
        log(org, occurred_at=NOW + dt.timedelta(hours=1))
    assert error.value.field_errors == {"occurred_at": ["This time is in the future."]}
    assert DutyLogEntry.objects.count() == 1


def test_an_entry_time_more_than_a_week_back_is_refused(org):
    # a week back is a late entry; 1990 is a typo that would sink to the log's bottom unseen
    on_duty(org)
    week = log(org, occurred_at=NOW - dt.timedelta(days=7))
    assert week.occurred_at == NOW - dt.timedelta(days=7)
    for when in (NOW - dt.timedelta(days=7, minutes=1), dt.datetime(1990, 1, 1, tzinfo=dt.UTC)):
        with pytest.raises(DomainError) as error:
            log(org, occurred_at=when, summary=f"旧事 {when:%Y}")
        assert error.value.field_errors["occurred_at"][0].startswith(
            "This time is more than 7 days ago (before ")
    assert DutyLogEntry.objects.count() == 1


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"summary": "  "}, "summary", "Say in a few words what happened."),
    ({"place_id": 999999}, "place", "Choose a place from the list."),
    ({"place_id": "abc"}, "place", "Choose a place from the list."),
    ({"campus_id": 999999}, "campus", "Choose a campus from the list."),
    ({"kind": "telegram"}, "kind", "Choose the type of entry."),
    ({"caller_phone": "1" * 33}, "caller_phone", "At most 32 characters (this has 33)."),
])
def test_bad_entries_are_refused_and_nothing_is_written(org, kwargs, field, message):
    on_duty(org)
    with pytest.raises(DomainError) as error:
        log(org, **kwargs)
    assert error.value.field_errors[field] == [message]
    assert not DutyLogEntry.objects.exists()


def test_a_place_on_another_campus_is_refused(org):
    on_duty(org)
    with pytest.raises(DomainError) as error:
        log(org, campus_id=org.campus1.pk, place_id=org.place_b.pk)
    assert error.value.field_errors == {"place": ["The place is not on the chosen campus."]}


def test_the_same_idempotency_key_logs_once(org):
    on_duty(org)
    first = log(org, idempotency_key="entry-key-0001")
    again = log(org, summary="changed on retry", idempotency_key="entry-key-0001")
    assert again.pk == first.pk and DutyLogEntry.objects.count() == 1


# --- changing, closing, reopening -------------------------------------------------------------
def _update(entry, actor, **changes):
    fields = {"summary": entry.summary, "kind": entry.kind, "occurred_at": None,
              "campus_id": entry.campus_id, "place_id": entry.place_id,
              "location_text": entry.location_text, "caller_name": entry.caller_name,
              "caller_phone": entry.caller_phone, "action_taken": entry.action_taken}
    fields.update(changes)
    return services.duty_entry_update(actor=actor, entry_id=entry.pk, **fields)


def test_an_update_records_which_fields_changed(org):
    on_duty(org)
    entry = log(org)
    entry = _update(entry, org.users.staff, summary="东门来电：电动车被盗", place_id=org.place_a.pk)
    assert entry.summary == "东门来电：电动车被盗" and entry.campus == org.campus1
    last = activity_for(entry).order_by("id").last()
    assert last.verb == "patrols.duty_entry_update"
    assert last.data == {"fields": ["campus", "place", "summary"]}
    # the same values again change nothing and write nothing
    _update(entry, org.users.staff)
    assert verbs(entry).count("patrols.duty_entry_update") == 1


def test_closing_needs_what_was_done_and_happens_once(org):
    on_duty(org)
    entry = log(org)
    with pytest.raises(DomainError) as error:
        services.duty_entry_close(actor=org.users.guard, entry_id=entry.pk)
    assert error.value.field_errors == {"action_taken": ["Say what was done before closing the "
                                                         "entry."]}
    entry.refresh_from_db()
    assert entry.status == "open"
    closed = services.duty_entry_close(actor=org.users.guard, entry_id=entry.pk,
                                       action_taken="已报派出所")
    assert (closed.status, closed.closed_at, closed.action_taken) == ("closed", NOW, "已报派出所")
    with pytest.raises(Conflict) as again:
        services.duty_entry_close(actor=org.users.guard, entry_id=entry.pk)
    assert again.value.message == "This entry is already closed."
    with pytest.raises(Conflict) as edit:
        _update(closed, org.users.guard, summary="x")
    assert edit.value.message == "This entry is closed; reopen it to change it."


def test_a_reopened_entry_joins_the_shift_on_duty(org):
    first = on_duty(org)
    entry = log(org, action_taken="处理完毕")
    services.duty_entry_close(actor=org.users.guard, entry_id=entry.pk)
    second = services.duty_shift_hand_over(actor=org.users.guard, shift_id=first.pk,
                                           next_officer_id=org.users.staff.pk)
    with pytest.raises(DomainError) as error:
        services.duty_entry_reopen(actor=org.users.staff, entry_id=entry.pk, reason=" ")
    assert error.value.message == "Say why the entry is reopened."
    reopened = services.duty_entry_reopen(actor=org.users.staff, entry_id=entry.pk,
                                          reason="失主再次来电")
    assert (reopened.status, reopened.shift, reopened.logged_in_shift) == ("open", second, first)
    last = activity_for(entry).order_by("id").last()
    assert (last.verb, last.comment, last.data) == (
        "patrols.duty_entry_reopen", "失主再次来电", {"from_shift": first.pk, "to_shift": second.pk})


# --- handing over ------------------------------------------------------------------------------
def test_handover_carries_open_entries_over_and_leaves_closed_ones(
        org, django_capture_on_commit_callbacks):
    # given a shift with two open entries and one closed
    shift = on_duty(org, leader_id=org.users.staff.pk)
    open1 = log(org, summary="东门来电：自行车被盗", occurred_at=NOW - dt.timedelta(hours=2))
    closed = log(org, summary="图书馆报警：误报", action_taken="已复位")
    services.duty_entry_close(actor=org.users.guard, entry_id=closed.pk)
    open2 = log(org, summary="宿舍楼下有可疑人员")
    # when the guard hands over to the next officer
    later = NOW + dt.timedelta(hours=1)
    with clock.frozen(later), django_capture_on_commit_callbacks(execute=True):
        new = services.duty_shift_hand_over(actor=org.users.guard, shift_id=shift.pk,
                                            next_officer_id=org.users.staff2.pk,
                                            leader_id=org.users.admin.pk, note="东门监控坏了")
    # then the old shift ended with the note and the count, the new one is open
    shift.refresh_from_db()
    assert (shift.state, shift.ended_at, shift.handover_note, shift.carried_over) == (
        "handed_over", later, "东门监控坏了", 2)
    assert (new.state, new.officer, new.leader, new.previous, new.started_at) == (
        "open", org.users.staff2, org.users.admin, shift, later)
    assert DutyShift.objects.filter(state="open").get() == new
    # open entries moved, the closed one stayed, each keeps where it was logged
    for entry in (open1, open2, closed):
        entry.refresh_from_db()
    assert (open1.shift, open2.shift, closed.shift) == (new, new, shift)
    assert {open1.logged_in_shift, open2.logged_in_shift, closed.logged_in_shift} == {shift}
    # timelines: each carried entry, both shifts
    assert verbs(open1)[-1] == verbs(open2)[-1] == "patrols.duty_entry_carry_over"
    assert "patrols.duty_entry_carry_over" not in verbs(closed)
    carry = activity_for(open1).order_by("id").last()
    assert carry.data == {"from_shift": shift.pk, "to_shift": new.pk,
                          "to_officer": org.users.staff2.full_name}
    hand = activity_for(shift).order_by("id").last()
    assert (hand.verb, hand.from_state, hand.to_state, hand.comment) == (
        "patrols.duty_hand_over", "open", "handed_over", "东门监控坏了")
    assert hand.data["entries"] == [open1.pk, open2.pk] and hand.data["carried_over"] == 2
    took = activity_for(new).get()
    assert took.verb == "patrols.duty_take_over" and took.data["previous_shift"] == shift.pk
    # the shift pages' story
    old_story = duty_shift_story(org.users.staff, shift)
    assert [e.pk for e in old_story["logged"]] == [open1.pk, closed.pk, open2.pk]
    assert [e.pk for e in old_story["carried_out"]] == [open1.pk, open2.pk]
    new_story = duty_shift_story(org.users.staff, new)
    assert [e.pk for e in new_story["carried_in"]] == [open1.pk, open2.pk]
    assert new_story["logged"] == []
    # the next officer is told
    note = Notification.objects.get(recipient=org.users.staff2)
    with translation.override(settings.LANGUAGE_CODE):
        assert note.title == translation.gettext(
            "You are on duty: %(count)s open item(s) handed over to you") % {"count": 2}
    assert note.body == "东门监控坏了" and note.url == reverse("patrols:duty_home")


def test_an_entry_carried_over_twice_keeps_its_first_shift(org):
    first = on_duty(org)
    entry = log(org)
    second = services.duty_shift_hand_over(actor=org.users.guard, shift_id=first.pk,
                                           next_officer_id=org.users.staff.pk)
    third = services.duty_shift_hand_over(actor=org.users.staff, shift_id=second.pk,
                                          next_officer_id=org.users.guard.pk)
    entry.refresh_from_db()
    assert (entry.shift, entry.logged_in_shift) == (third, first)
    assert verbs(entry).count("patrols.duty_entry_carry_over") == 2
    assert [e.pk for e in duty_shift_story(org.users.staff, second)["carried_in"]] == [entry.pk]
    assert [e.pk for e in duty_shift_story(org.users.staff, second)["carried_out"]] == [entry.pk]


def test_handover_with_nothing_open_carries_nothing(org):
    shift = on_duty(org)
    new = services.duty_shift_hand_over(actor=org.users.guard, shift_id=shift.pk,
                                        next_officer_id=org.users.staff.pk)
    shift.refresh_from_db()
    assert shift.carried_over == 0 and new.state == "open"


def _refused_handover(org, shift, *, error_class=DomainError, actor=None, **kwargs):
    entry_shifts = dict(DutyLogEntry.objects.values_list("pk", "shift_id"))
    with pytest.raises(error_class) as error:
        services.duty_shift_hand_over(actor=actor or org.users.guard, shift_id=shift.pk,
                                      **kwargs)
    # nothing changed
    shift.refresh_from_db()
    assert shift.state == "open" and shift.ended_at is None
    assert DutyShift.objects.count() == 1
    assert dict(DutyLogEntry.objects.values_list("pk", "shift_id")) == entry_shifts
    return error.value


def test_handover_to_oneself_is_refused(org):
    shift = on_duty(org)
    log(org)
    error = _refused_handover(org, shift, next_officer_id=org.users.guard.pk)
    assert error.field_errors == {"next_officer": [
        "You cannot hand the shift over to the officer who is handing it over; choose the "
        "next duty officer."]}


def test_handover_to_an_inactive_or_unsuitable_user_is_refused(org):
    shift = on_duty(org)
    log(org)
    org.users.staff2.is_active = False
    org.users.staff2.save()
    error = _refused_handover(org, shift, next_officer_id=org.users.staff2.pk)
    assert error.field_errors["next_officer"] == [
        f"{org.users.staff2.full_name}'s account is disabled; choose someone who can sign in."]
    error = _refused_handover(org, shift, next_officer_id=org.users.leadership.pk)
    assert error.field_errors["next_officer"] == [
        f"{org.users.leadership.full_name} cannot keep the duty log (security office staff or "
        "guards only)."]
    error = _refused_handover(org, shift, next_officer_id=None)
    assert error.field_errors == {"next_officer": ["Choose the next duty officer."]}
    error = _refused_handover(org, shift, next_officer_id=987654)
    assert error.field_errors == {"next_officer": ["Choose a person from the list."]}


def test_only_the_officer_the_next_officer_or_the_office_hands_over(org):
    shift = on_duty(org)
    other_guard = user_with_role(Role.GUARD, username="guard9")
    error = _refused_handover(org, shift, error_class=NotAllowed, actor=other_guard,
                              next_officer_id=org.users.staff.pk)
    assert error.message == ("Only the officer on duty, the next officer or the security "
                             "office can hand over this shift.")
    # the next officer himself may (taking over at the desk) …
    new = services.duty_shift_hand_over(actor=org.users.staff, shift_id=shift.pk,
                                        next_officer_id=org.users.staff.pk)
    # … and office staff on behalf of a guard
    services.duty_shift_hand_over(actor=org.users.admin, shift_id=new.pk,
                                  next_officer_id=org.users.guard.pk)


def test_handing_over_a_shift_already_handed_over_is_a_conflict(org):
    shift = on_duty(org)
    services.duty_shift_hand_over(actor=org.users.guard, shift_id=shift.pk,
                                  next_officer_id=org.users.staff.pk)
    with pytest.raises(Conflict) as error:
        services.duty_shift_hand_over(actor=org.users.guard, shift_id=shift.pk,
                                      next_officer_id=org.users.staff2.pk)
    assert error.value.message == (f"This shift was already handed over to "
                                   f"{org.users.staff.full_name} at 2026-03-12 21:30.")
    assert error.value.code == "handed_over"
    assert DutyShift.objects.count() == 2


def test_the_same_handover_sent_twice_hands_over_once(org):
    shift = on_duty(org)
    log(org, summary="东门监控黑屏")
    first = services.duty_shift_hand_over(actor=org.users.guard, shift_id=shift.pk,
                                          next_officer_id=org.users.staff.pk,
                                          idempotency_key="handover-key-01")
    again = services.duty_shift_hand_over(actor=org.users.guard, shift_id=shift.pk,
                                          next_officer_id=org.users.staff.pk,
                                          idempotency_key="handover-key-01")
    assert again.pk == first.pk and again.previous.carried_over == 1
    assert DutyShift.objects.count() == 2
    assert verbs(shift) == ["patrols.duty_take_over", "patrols.duty_hand_over"]
    with pytest.raises(Conflict):  # someone else's key never replays a handover
        services.duty_shift_hand_over(actor=org.users.staff, shift_id=shift.pk,
                                      next_officer_id=org.users.staff2.pk,
                                      idempotency_key="handover-key-01")


def test_handover_timeline_names_who_took_over_from_whom(org):
    first = on_duty(org, officer=org.users.guard)
    second = services.duty_shift_hand_over(actor=org.users.guard, shift_id=first.pk,
                                           next_officer_id=org.users.staff.pk)
    # the office hands the next shift over on the officer's behalf
    services.duty_shift_hand_over(actor=org.users.admin, shift_id=second.pk,
                                  next_officer_id=org.users.staff2.pk)
    second = DutyShift.objects.select_related("officer", "previous__officer").get(pk=second.pk)
    story = duty_shift_story(org.users.staff, second)
    guard, staff, staff2 = (u.full_name for u in (org.users.guard, org.users.staff,
                                                  org.users.staff2))
    assert [(e.verb, e.officer, e.other, e.recorded_by) for e in story["timeline"]] == [
        ("patrols.duty_take_over", staff, guard, ""),
        ("patrols.duty_hand_over", staff, staff2, org.users.admin.full_name),
    ]


# --- the same entry twice ----------------------------------------------------------------------
def test_the_same_entry_again_within_ten_minutes_is_the_first_one(org):
    on_duty(org)
    fields = {"kind": "call", "place_id": org.place_a.pk, "caller_name": "李老师",
              "caller_phone": "13900002222", "location_text": "南门"}
    first = log(org, summary="南门来电：有人翻墙", idempotency_key="entry-key-0001", **fields)
    with clock.frozen(NOW + dt.timedelta(minutes=9)):
        # Back, then send again: the page had issued a new key
        again = log(org, summary="南门来电：有人翻墙", idempotency_key="entry-key-0002", **fields)
    assert again.pk == first.pk and again.already_logged
    assert services.msg_already_logged(again) == "This entry was already logged at 21:30."
    assert not getattr(first, "already_logged", False)
    assert DutyLogEntry.objects.count() == 1
    assert verbs(first) == ["patrols.duty_entry_log"]


def test_a_different_or_later_entry_is_a_new_one(org):
    on_duty(org)
    first = log(org, summary="巡逻正常", kind="patrol")
    others = [
        log(org, summary="巡逻正常", kind="call"),  # another type
        log(org, summary="巡逻正常", kind="patrol", place_id=org.place_a.pk),  # another place
        log(org, actor=org.users.staff, summary="巡逻正常", kind="patrol"),  # another person
        # written up afterwards: two patrol reports at different times are two entries
        log(org, summary="巡逻正常", kind="patrol", occurred_at=local(2026, 3, 12, 20, 0)),
        log(org, summary="巡逻正常", kind="patrol", occurred_at=local(2026, 3, 12, 21, 0)),
    ]
    with clock.frozen(NOW + dt.timedelta(minutes=11)):
        others.append(log(org, summary="巡逻正常", kind="patrol"))
    assert len({first.pk, *(e.pk for e in others)}) == 7
    assert not any(getattr(e, "already_logged", False) for e in others)


@pytest.mark.parametrize("phone", ["13800001111", "+86 138-0000-1111", "(021) 6543 2100",
                                   "0571-88881234转123", "021-65432100 ext 123",
                                   "１３８００００１１１"])
def test_caller_phones_as_people_write_them_are_accepted(org, phone):
    on_duty(org)
    assert log(org, caller_phone=phone).caller_phone


@pytest.mark.parametrize("phone", ["abc电话", "138abc", "转123", "---", "13800001111 ext"])
def test_a_caller_phone_that_is_not_a_number_is_refused(org, phone):
    on_duty(org)
    with pytest.raises(DomainError) as error:
        log(org, caller_phone=phone)
    assert error.value.field_errors == {"caller_phone": [
        "Give the caller's phone number in digits (spaces, +, - and brackets may be used; an "
        "extension as “转123” or “ext 123”)."]}
    assert not DutyLogEntry.objects.exists()


# --- pages -----------------------------------------------------------------------------------
def test_duty_pages_are_closed_to_students_and_unit_staff(org, client):
    shift = on_duty(org)
    entry = log(org)
    for user in (org.users.student, org.users.contact_a):
        login(client, user)
        for url in (reverse("patrols:duty_home"), reverse("patrols:duty_handover"),
                    reverse("patrols:duty_shift_list"),
                    reverse("patrols:duty_shift_detail", args=[shift.pk]),
                    reverse("patrols:duty_entry_detail", args=[entry.pk])):
            assert client.get(url).status_code == 403, (user, url)
        response = client.post(reverse("patrols:duty_home"), {"summary": "x"})
        assert response.status_code == 403
    assert DutyLogEntry.objects.count() == 1


def test_the_duty_room_page_shows_the_shift_and_logs_from_the_quick_form(org, client):
    on_duty(org, leader_id=org.users.staff.pk)
    login(client, org.users.guard)
    page = client.get(reverse("patrols:duty_home"))
    assert page.status_code == 200
    assert page.context["shift"].officer == org.users.guard
    response = client.post(reverse("patrols:duty_home"), {
        "kind": "call", "summary": "南门来电：有人翻墙", "campus": org.campus1.pk,
        "place": org.place_a.pk, "caller_name": "李老师", "caller_phone": "13900002222",
        "idempotency_key": "quick-form-0001"})
    assert response.status_code == 302
    again = client.post(reverse("patrols:duty_home"), {
        "kind": "call", "summary": "南门来电：有人翻墙", "idempotency_key": "quick-form-0001"})
    assert again.status_code == 302
    entry = DutyLogEntry.objects.get()
    assert (entry.place, entry.caller_phone, entry.occurred_at) == (org.place_a, "13900002222",
                                                                      NOW)
    page = client.get(reverse("patrols:duty_home"))
    assert "13900002222" in page.content.decode() and "南门来电：有人翻墙" in page.content.decode()


def test_the_quick_form_with_nobody_on_duty_or_a_bad_place_explains(org, client):
    login(client, org.users.guard)
    response = client.post(reverse("patrols:duty_home"), {"kind": "call", "summary": "来电"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [NO_SHIFT]
    on_duty(org)
    response = client.post(reverse("patrols:duty_home"), {"kind": "call", "summary": "来电",
                                                          "place": "424242"})
    assert response.status_code == 400
    assert response.context["form"].errors["place"] == ["Choose a place from the list."]
    assert not DutyLogEntry.objects.exists()


def test_caller_phone_is_hidden_from_leadership(org, client):
    on_duty(org)
    entry = log(org, caller_name="王同学", caller_phone="13800001111")
    login(client, org.users.leadership)
    for url in (reverse("patrols:duty_home"),
                reverse("patrols:duty_entry_detail", args=[entry.pk]),
                reverse("patrols:duty_shift_detail", args=[entry.shift_id])):
        response = client.get(url)
        assert response.status_code == 200
        assert "王同学" in response.content.decode()
        assert "13800001111" not in response.content.decode(), url
    # leadership reads the log but writes nothing
    assert client.post(reverse("patrols:duty_home"), {"summary": "x"}).status_code == 403
    assert "forms" in client.get(reverse("patrols:duty_entry_detail", args=[entry.pk])).context
    assert client.get(reverse("patrols:duty_entry_detail", args=[entry.pk])).context[
        "forms"] == {}
    login(client, org.users.staff)
    assert "13800001111" in client.get(
        reverse("patrols:duty_entry_detail", args=[entry.pk])).content.decode()


def test_handover_page_lists_what_carries_over_and_hands_over(org, client):
    shift = on_duty(org, leader_id=org.users.staff.pk)
    open_entry = log(org, summary="东门监控黑屏")
    closed = log(org, summary="已处理的来电", action_taken="答复")
    services.duty_entry_close(actor=org.users.guard, entry_id=closed.pk)
    login(client, org.users.guard)
    page = client.get(reverse("patrols:duty_handover"))
    assert [e.pk for e in page.context["carrying"]] == [open_entry.pk]
    assert page.context["form"].initial["leader"] == org.users.staff.pk
    refused = client.post(reverse("patrols:duty_handover"), {"next_officer": org.users.guard.pk})
    assert refused.status_code == 400
    assert refused.context["form"].errors["next_officer"] == [
        "You cannot hand the shift over to the officer who is handing it over; choose the "
        "next duty officer."]
    response = client.post(reverse("patrols:duty_handover"), {
        "next_officer": org.users.staff2.pk, "leader": org.users.staff.pk, "note": "钥匙在抽屉"})
    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.state == "handed_over" and shift.handover_note == "钥匙在抽屉"
    open_entry.refresh_from_db()
    assert open_entry.shift.officer == org.users.staff2


def test_handover_page_without_a_shift_says_how_to_take_over(org, client):
    login(client, org.users.guard)
    response = client.get(reverse("patrols:duty_handover"), follow=True)
    assert [str(m) for m in response.context["messages"]] == [NO_SHIFT]
    assert response.context["take_over_form"] is not None
    response = client.post(reverse("patrols:duty_take_over"), {"leader": org.users.staff.pk})
    assert response.status_code == 302
    assert DutyShift.objects.get().officer == org.users.guard


def test_entry_page_closes_and_reopens(org, client):
    on_duty(org)
    entry = log(org)
    login(client, org.users.guard)
    url = reverse("patrols:duty_entry_detail", args=[entry.pk])
    assert set(client.get(url).context["forms"]) == {"close", "incident", "hazard"}
    bad = client.post(reverse("patrols:duty_entry_action", args=[entry.pk, "close"]),
                      {"action_taken": ""})
    assert bad.status_code == 400
    assert bad.context["forms"]["close"].errors["action_taken"] == [
        "Say what was done before closing the entry."]
    ok = client.post(reverse("patrols:duty_entry_action", args=[entry.pk, "close"]),
                     {"action_taken": "已派队员到场"})
    assert ok.status_code == 302
    page = client.get(url)
    assert set(page.context["forms"]) == {"reopen", "incident", "hazard"}
    assert [e.verb for e in page.context["timeline"]] == ["patrols.duty_entry_log",
                                                          "patrols.duty_entry_close"]
    ok = client.post(reverse("patrols:duty_entry_action", args=[entry.pk, "reopen"]),
                     {"reason": "又来电"})
    assert ok.status_code == 302
    entry.refresh_from_db()
    assert entry.status == "open"
    assert client.post(reverse("patrols:duty_entry_action", args=[entry.pk, "fly"])
                       ).status_code == 404


def test_entry_edit_page_saves_changes(org, client):
    on_duty(org)
    entry = log(org)
    login(client, org.users.staff)
    url = reverse("patrols:duty_entry_edit", args=[entry.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": "cctv", "summary": "监控发现：东门有人翻越",
                                 "occurred_at": "2026-03-12T20:45", "campus": org.campus1.pk})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.kind == "cctv" and entry.occurred_at == local(2026, 3, 12, 20, 45)
    bad = client.post(url, {"kind": "cctv", "summary": "x", "occurred_at": "2026-03-13T23:00"})
    assert bad.status_code == 400
    assert bad.context["form"].errors["occurred_at"] == ["This time is in the future."]


def test_shift_history_and_detail(org, client, django_assert_max_num_queries):
    shift = on_duty(org)
    for n in range(3):
        log(org, summary=f"来电{n}")
    for n in range(4):
        officer = org.users.staff if n % 2 == 0 else org.users.guard
        shift = services.duty_shift_hand_over(actor=officer, shift_id=shift.pk,
                                              next_officer_id=officer.pk, note=f"交班{n}")
    login(client, org.users.leadership)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("patrols:duty_shift_list"))
    assert response.status_code == 200 and len(response.context["page"]) == 5
    detail = client.get(reverse("patrols:duty_shift_detail", args=[shift.previous_id]))
    assert detail.status_code == 200
    assert len(detail.context["story"]["carried_in"]) == 3
    assert len(detail.context["story"]["carried_out"]) == 3
    assert client.get(reverse("patrols:duty_shift_detail", args=[9999])).status_code == 404


def test_duty_home_query_count_does_not_grow_with_entries(org, client,
                                                           django_assert_max_num_queries):
    on_duty(org)
    for n in range(30):
        log(org, summary=f"来电{n}", place_id=org.place_a.pk)
    login(client, org.users.staff)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("patrols:duty_home"))
    assert response.status_code == 200 and len(response.context["page"]) == 30


def test_handover_pressed_twice_lands_on_the_new_shift_with_the_success_message(org, client):
    shift = on_duty(org)
    log(org, summary="东门监控黑屏")
    login(client, org.users.guard)
    form = client.get(reverse("patrols:duty_handover")).context["form"]
    assert form.initial["shift"] == shift.pk
    body = {"shift": shift.pk, "next_officer": org.users.staff.pk,
            "idempotency_key": form.initial["idempotency_key"]}
    client.post(reverse("patrols:duty_handover"), body, follow=True)
    again = client.post(reverse("patrols:duty_handover"), body, follow=True)
    assert again.redirect_chain == [(reverse("patrols:duty_home"), 302)]
    assert messages_of(again) == [
        f"Shift handed over to {org.users.staff.full_name}; 1 open item(s) carried over."]
    assert DutyShift.objects.count() == 2
    assert again.context["shift"].officer == org.users.staff


def test_a_stale_handover_goes_back_to_the_duty_room_and_says_why(org, client):
    shift = on_duty(org)
    login(client, org.users.guard)
    key = client.get(reverse("patrols:duty_handover")).context["form"].initial[
        "idempotency_key"]
    services.duty_shift_hand_over(actor=org.users.admin, shift_id=shift.pk,
                                  next_officer_id=org.users.staff.pk)
    response = client.post(reverse("patrols:duty_handover"), {
        "shift": shift.pk, "next_officer": org.users.staff2.pk, "idempotency_key": key},
        follow=True)
    assert response.redirect_chain == [(reverse("patrols:duty_home"), 302)]
    assert messages_of(response) == [
        f"This shift was already handed over to {org.users.staff.full_name} at "
        "2026-03-12 21:30."]
    assert DutyShift.objects.count() == 2


def test_take_over_by_get_goes_to_the_duty_room(org, client):
    login(client, org.users.guard)
    response = client.get(reverse("patrols:duty_take_over"))
    assert (response.status_code, response["Location"]) == (302, reverse("patrols:duty_home"))
    assert not DutyShift.objects.exists()


def test_the_quick_form_sent_again_says_the_entry_is_logged_already(org, client):
    on_duty(org)
    login(client, org.users.guard)
    body = {"kind": "call", "summary": "南门来电：有人翻墙", "place": org.place_a.pk,
            "campus": org.campus1.pk}
    client.post(reverse("patrols:duty_home"), {**body, "idempotency_key": "quick-form-0001"},
                follow=True)
    again = client.post(reverse("patrols:duty_home"),
                        {**body, "idempotency_key": "quick-form-0002"}, follow=True)
    assert messages_of(again) == ["This entry was already logged at 21:30."]
    assert DutyLogEntry.objects.count() == 1
    bad = client.post(reverse("patrols:duty_home"), {**body, "summary": "另一通电话",
                                                     "caller_phone": "abc电话"})
    assert bad.status_code == 400
    assert bad.context["form"].errors["caller_phone"] == [
        "Give the caller's phone number in digits (spaces, +, - and brackets may be used; an "
        "extension as “转123” or “ext 123”)."]


def test_shift_page_says_who_took_over_from_whom_and_rows_have_no_stray_dots(org, client):
    first = on_duty(org)
    log(org, summary="无地点的来电")
    second = services.duty_shift_hand_over(actor=org.users.guard, shift_id=first.pk,
                                           next_officer_id=org.users.staff.pk)
    services.duty_shift_hand_over(actor=org.users.staff, shift_id=second.pk,
                                  next_officer_id=org.users.staff2.pk)
    login(client, org.users.staff)
    page = client.get(reverse("patrols:duty_shift_detail", args=[second.pk]))
    text = text_of(page)
    guard, staff, staff2 = (u.full_name for u in (org.users.guard, org.users.staff,
                                                  org.users.staff2))
    assert f"{staff} took over from {guard} · 1 open item taken over" in text
    assert f"{staff} handed over to {staff2} · 1 open item carried over" in text
    assert "recorded by" not in text
    html = client.get(reverse("patrols:duty_home")).content.decode()
    # an entry without a place or caller: its facts start with "carried over", no dot before
    assert '<div class="small text-secondary dot-join"><span class="text-primary text-nowrap">' in html
