"""Recording parking violations, move-car notices (interval and daily cap), closing and
voiding; the pages of the violations area."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.notifications.models import Notification
from safecampus.tests.factories import photo_upload
from safecampus.traffic.models import MoveCarNotice, Violation, ViolationPhoto
from safecampus.traffic.services import violations as services

from .violation_helpers import english, local, owner_user, record, vehicle  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")


# --- recording ------------------------------------------------------------------------------
def test_a_guard_records_a_violation_of_a_registered_vehicle_and_the_owner_is_told(
        org, django_capture_on_commit_callbacks):
    # Given a vehicle registered to an account
    owner = owner_user()
    car = vehicle(owner=owner)
    # When a guard records it blocking the fire lane, typed loosely
    with django_capture_on_commit_callbacks(execute=True):
        violation = record(org, plate="陕a·12345", at=local(2026, 3, 2, 8, 0))
    # Then the violation is linked by plate, has its photo, and the first notice went out
    assert violation.plate == "陕A12345" and violation.vehicle == car
    assert violation.state == Violation.State.OPEN
    assert ViolationPhoto.objects.filter(violation=violation).count() == 1
    notice = MoveCarNotice.objects.get(violation=violation)
    assert (notice.sequence, notice.channel, notice.recipient) == (1, "in_app", owner)
    note = Notification.objects.get(recipient=owner)
    # stored in the site's language (Chinese), whatever language the guard's page was in
    assert note.title == "请立即挪车：陕A12345 占用消防通道 · 北门"
    assert note.url == reverse("traffic:violation_detail", args=[violation.pk])
    assert [e.verb for e in activity_for(violation)] == [
        "traffic.violation_record", "traffic.move_car_notice"]


def test_the_title_is_in_chinese_by_default(org, settings, django_capture_on_commit_callbacks):
    owner = owner_user()
    vehicle(owner=owner)
    with django_capture_on_commit_callbacks(execute=True):
        record(org)
    title = Notification.objects.get(recipient=owner).title
    assert "陕A12345" in title and "北门" in title


def test_an_unregistered_plate_is_recorded_without_a_notice(org):
    violation = record(org, plate="京B7K2M9")
    assert violation.vehicle is None and violation.notice is None
    assert not MoveCarNotice.objects.exists()


def test_without_an_account_the_notice_says_to_phone_the_owner(org):
    vehicle(owner=None, phone="13800138000")
    violation = record(org)
    assert violation.notice.channel == MoveCarNotice.Channel.PHONE
    vehicle("陕A54321", owner=None, phone="")
    assert record(org, plate="陕A54321").notice.channel == MoveCarNotice.Channel.NONE


def test_a_violation_typed_in_long_after_it_was_seen_sends_no_notice(org):
    # A paper record typed in the next day: the car is gone, the owner is not told to move it
    vehicle(owner=owner_user())
    now = local(2026, 3, 3, 9, 0)
    with clock.frozen(now):
        late = services.violation_record(
            actor=org.users.guard, plate="陕A12345", kind="fire_lane", level="violation",
            campus_id=org.campus1.pk, location_text="北门", photos=[photo_upload()],
            observed_at=now - dt.timedelta(hours=2, minutes=1))
    assert late.notice is None and not MoveCarNotice.objects.exists()
    assert late.notice_problem == ("Seen more than 2 hours ago: no move-car notice was sent. "
                                   "If the vehicle is still there, send one from this page.")
    # It does not hold back the notice about a car seen now, and can be sent by hand
    with clock.frozen(now):
        fresh = services.violation_record(
            actor=org.users.guard, plate="陕A12345", kind="fire_lane", level="violation",
            campus_id=org.campus1.pk, location_text="图书馆", photos=[photo_upload()],
            observed_at=now - dt.timedelta(hours=2))
    assert fresh.notice is not None and fresh.notice_problem == ""
    with clock.frozen(now + dt.timedelta(minutes=11)):
        by_hand = services.move_car_notice_send(actor=org.users.guard, violation_id=late.pk)
    assert by_hand.violation == late and by_hand.sequence == 1


@pytest.mark.parametrize(("plate", "message"), [
    ("", "Enter the plate number."),
    ("A12345", "A plate starts with a province abbreviation such as 京, 陕 or 粤."),
    ("陕A1234", "A plate has 7 characters (8 for new-energy vehicles); this one has 6."),
    ("陕AO1234", "Plates use no letters I or O (they would read as 1 and 0)."),
])
def test_a_bad_plate_is_refused_with_the_reason_and_nothing_is_written(org, plate, message):
    with pytest.raises(DomainError) as caught:
        record(org, plate=plate)
    assert caught.value.code == "bad_plate"
    assert caught.value.field_errors == {"plate": [message]}
    assert not Violation.objects.exists()


def test_a_violation_needs_a_photo_a_warning_does_not(org):
    with pytest.raises(DomainError) as caught:
        record(org, photos=[])
    assert caught.value.field_errors == {"photos": [
        "A violation needs at least one photo of the vehicle and where it stands."]}
    warning = record(org, level=Violation.Level.WARNING)
    assert warning.level == "warning" and not warning.photos.exists()


def test_one_bad_photo_refuses_the_whole_record(org):
    bad = SimpleUploadedFile("plate.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(DomainError) as caught:
        record(org, photos=[photo_upload(), bad])
    assert caught.value.field_errors == {"photos": [
        "plate.jpg is not a photo we can read; use JPEG, PNG, WebP or HEIC."]}
    assert not Violation.objects.exists() and not ViolationPhoto.objects.exists()


def test_at_most_six_photos(org):
    with pytest.raises(DomainError) as caught:
        record(org, photos=[photo_upload() for _ in range(7)])
    assert caught.value.message == "At most 6 photos can be attached."


def test_the_time_seen_cannot_be_in_the_future(org):
    with pytest.raises(DomainError) as caught:
        services.violation_record(
            actor=org.users.guard, plate="陕A12345", kind="fire_lane", level="warning",
            campus_id=org.campus1.pk, observed_at=clock.now() + dt.timedelta(minutes=10))
    assert caught.value.field_errors == {"observed_at": ["The time seen cannot be in the future."]}


def test_place_of_another_campus_is_refused(org):
    with pytest.raises(DomainError) as caught:
        services.violation_record(actor=org.users.guard, plate="陕A12345", kind="fire_lane",
                                  level="warning", campus_id=org.campus1.pk,
                                  place_id=org.place_b.pk)
    assert caught.value.field_errors == {"place": ["201室 is not on 北校区."]}


def test_the_guard_s_campus_is_the_default(org):
    violation = services.violation_record(actor=org.users.guard, plate="陕A12345",
                                          kind="entrance", level="warning")
    assert violation.campus == org.campus1


def test_the_same_key_records_once(org):
    first = record(org, idempotency_key="key-12345678")
    again = record(org, idempotency_key="key-12345678")
    assert first.pk == again.pk and Violation.objects.count() == 1


def test_a_student_cannot_record(org):
    with pytest.raises(NotAllowed):
        record(org, actor=org.users.student)


# --- notices --------------------------------------------------------------------------------
def test_a_notice_is_sent_again_only_after_the_interval(org, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "MOVE_CAR_RESEND_MINUTES": 10}
    vehicle(owner=owner_user())
    violation = record(org, at=local(2026, 3, 2, 8, 0))
    with clock.frozen(local(2026, 3, 2, 8, 3, 30)), pytest.raises(DomainError) as caught:
        services.move_car_notice_send(actor=org.users.guard, violation_id=violation.pk)
    assert caught.value.message == ("A move-car notice was sent less than 10 minutes ago; you "
                                    "can send it again in 7 min.")
    with clock.frozen(local(2026, 3, 2, 8, 10)):
        notice = services.move_car_notice_send(actor=org.users.guard, violation_id=violation.pk)
    assert notice.sequence == 2
    assert list(violation.notices.values_list("sequence", flat=True)) == [2, 1]


def test_an_owner_gets_at_most_the_daily_cap_across_vehicles_and_it_resets_at_local_midnight(
        org, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "MOVE_CAR_DAILY_CAP": 3,
                           "MOVE_CAR_RESEND_MINUTES": 10}
    owner = owner_user()
    vehicle("陕A12345", owner=owner)
    vehicle("陕A54321", owner=owner)
    # 3 notices on one local day (23:00 local is 15:00 UTC: the same day in UTC too)
    first = record(org, "陕A12345", at=local(2026, 3, 2, 7, 0))
    record(org, "陕A54321", at=local(2026, 3, 2, 7, 5))
    with clock.frozen(local(2026, 3, 2, 23, 0)):
        services.move_car_notice_send(actor=org.users.guard, violation_id=first.pk)
    # A 4th the same local day is refused, on either vehicle, also via the first notice
    with clock.frozen(local(2026, 3, 2, 23, 50)), pytest.raises(DomainError) as caught:
        services.move_car_notice_send(actor=org.users.guard, violation_id=first.pk)
    assert caught.value.code == "notice_daily_cap"
    assert caught.value.message == ("This owner has already been sent 3 move-car notices "
                                    "today, the most allowed in one day; call the owner "
                                    "instead.")
    third = record(org, "陕A54321", at=local(2026, 3, 2, 23, 55))
    assert third.notice is None and third.notice_problem == caught.value.message
    # After local midnight (16:00 UTC, still 2 March in UTC) it may be sent again
    with clock.frozen(local(2026, 3, 3, 0, 1)):
        notice = services.move_car_notice_send(actor=org.users.guard, violation_id=first.pk)
    assert notice.sequence == 3
    # Another owner is not affected by this owner's cap
    vehicle("陕A11111", owner=owner_user("owner2"))
    assert record(org, "陕A11111", at=local(2026, 3, 2, 23, 56)).notice is not None


def test_no_notice_about_a_closed_violation(org):
    vehicle(owner=owner_user())
    violation = record(org)
    services.violation_close(actor=org.users.guard, violation_id=violation.pk, outcome="moved")
    with pytest.raises(Conflict) as caught:
        services.move_car_notice_send(actor=org.users.guard, violation_id=violation.pk)
    assert caught.value.message == "This violation is already Moved."


def test_phone_masked():
    assert services.phone_masked("13800138000") == "138****8000"
    assert services.phone_masked("") == ""


# --- closing --------------------------------------------------------------------------------
def test_close_as_moved_or_towed_and_void_with_a_reason(org):
    moved = record(org)
    services.violation_close(actor=org.users.guard, violation_id=moved.pk, outcome="moved")
    moved.refresh_from_db()
    assert moved.state == "moved" and moved.closed_at is not None
    towed = record(org)
    services.violation_close(actor=org.users.staff, violation_id=towed.pk, outcome="towed")
    with pytest.raises(Conflict):
        services.violation_close(actor=org.users.staff, violation_id=towed.pk, outcome="moved")
    with pytest.raises(DomainError) as caught:
        services.violation_void(actor=org.users.staff, violation_id=towed.pk, reason=" ")
    assert caught.value.field_errors == {"reason": ["Say why the violation is void."]}
    services.violation_void(actor=org.users.staff, violation_id=towed.pk, reason="Wrong plate")
    towed.refresh_from_db()
    assert (towed.state, towed.close_reason) == ("void", "Wrong plate")
    assert [e.verb for e in activity_for(towed)][-2:] == ["traffic.violation_close",
                                                          "traffic.violation_void"]
    with pytest.raises(NotAllowed):
        services.violation_close(actor=org.users.student, violation_id=moved.pk,
                                 outcome="towed")
