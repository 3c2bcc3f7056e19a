"""The same violation recorded twice within minutes (same plate, kind and campus): the second
record warns with a link to the first, and the vehicle gets one move-car notice."""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.notifications.models import Notification
from safecampus.tests.factories import photo_upload
from safecampus.tests.pages import login, messages_of
from safecampus.traffic.models import MoveCarNotice, Violation
from safecampus.traffic.services import violations as services

from .violation_helpers import english, local, owner_user, record, vehicle  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
T0 = local(2026, 3, 2, 8, 0)


def _post(client, org, key):
    return client.post("/traffic/violations/record/", {
        "plate": "陕A12345", "kind": "fire_lane", "level": "violation",
        "campus": org.campus1.pk, "location_text": "北门", "idempotency_key": key,
        "photos": [photo_upload()]})


def test_the_second_record_warns_and_no_second_notice_is_sent(client, org, settings,
                                                               django_capture_on_commit_callbacks):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "MOVE_CAR_RESEND_MINUTES": 10}
    owner = owner_user()
    vehicle(owner=owner)
    login(client, org.users.guard)
    # given the guard recorded the violation (the owner was notified)
    with django_capture_on_commit_callbacks(execute=True), clock.frozen(T0):
        first = _post(client, org, "first-record-0001")
    assert [m for m in messages_of(first) if "identical" in m] == []
    earlier = Violation.objects.get()
    # when the same violation is recorded again a moment later (a new form, a new key)
    with (django_capture_on_commit_callbacks(execute=True),
          clock.frozen(T0 + dt.timedelta(seconds=30))):
        second = _post(client, org, "second-record-0002")
    # then it is recorded, with a warning linking the first one, and no second notice
    assert Violation.objects.count() == 2
    later = Violation.objects.exclude(pk=earlier.pk).get()
    assert second["Location"] == later.get_absolute_url()
    assert messages_of(second)[-3:] == [  # after the first record's, not yet shown
        "Violation of 陕A12345 recorded.",
        f"An identical violation (陕A12345, {earlier.get_kind_display()}, 北校区) was recorded 1 "
        f"min ago (<a href=\"{earlier.get_absolute_url()}\" class=\"alert-link\">open it</a>). "
        "If it is the same vehicle seen twice, void this record.",
        "A move-car notice was sent less than 10 minutes ago; you can send it again in 10 min.",
    ]
    assert MoveCarNotice.objects.count() == 1
    assert Notification.objects.filter(recipient=owner,
                                       verb="traffic.move_car_notice").count() == 1
    # and the warning's link is shown as a link on the page
    with clock.frozen(T0 + dt.timedelta(seconds=40)):
        page = client.get(second["Location"]).content.decode()
    assert f'<a href="{earlier.get_absolute_url()}" class="alert-link">' in page


def test_the_resend_interval_counts_across_records_of_one_vehicle(org, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "MOVE_CAR_RESEND_MINUTES": 10}
    vehicle(owner=owner_user())
    first = record(org, at=local(2026, 3, 2, 8, 0))
    assert first.notice is not None and first.recent_duplicate is None
    # another kind of violation of the same car 4 minutes later: not identical, still no notice
    other = record(org, at=local(2026, 3, 2, 8, 4), kind="entrance")
    assert other.recent_duplicate is None and other.notice is None
    assert other.notice_problem == ("A move-car notice was sent less than 10 minutes ago; you "
                                    "can send it again in 6 min.")
    with clock.frozen(local(2026, 3, 2, 8, 5)):
        assert services.notice_wait_minutes(other) == 5
    # the same kind again at 8:06: identical to the first, still within the interval
    again = record(org, at=local(2026, 3, 2, 8, 6))
    assert again.recent_duplicate == first and again.notice is None
    # after the interval a record sends its notice and, 11 minutes on, is no duplicate
    later = record(org, at=local(2026, 3, 2, 8, 16))
    assert later.notice is not None and later.recent_duplicate == again
    last = record(org, at=local(2026, 3, 2, 8, 16) + dt.timedelta(minutes=11))
    assert last.recent_duplicate is None and last.notice is not None


def test_a_void_earlier_record_or_another_campus_is_no_duplicate(org):
    first = record(org, plate="陕A99999", at=local(2026, 3, 2, 8, 0))
    services.violation_void(actor=org.users.admin, violation_id=first.pk, reason="录错")
    assert record(org, plate="陕A99999", at=local(2026, 3, 2, 8, 1)).recent_duplicate is None
    with clock.frozen(local(2026, 3, 2, 8, 2)):
        elsewhere = services.violation_recent_duplicate(
            plate="陕A99999", kind="fire_lane", campus_id=org.campus2.pk,
            observed_at=local(2026, 3, 2, 8, 2))
    assert elsewhere is None
