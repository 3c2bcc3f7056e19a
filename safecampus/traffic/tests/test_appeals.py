"""Appeals: the owner appeals online (one per violation), the office decides; both on the
timeline, the owner told. And the pages: permissions, an owner sees only theirs, list
filters and query counts, the phone form's plate refusal."""

import pytest

from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.notifications.models import Notification
from safecampus.tests.factories import photo_upload
from safecampus.tests.pages import login, messages_of, text_of
from safecampus.traffic.models import Appeal, Violation
from safecampus.traffic.services import violations as services

from .violation_helpers import english, owner_user, record, vehicle  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")


def test_the_owner_appeals_and_the_office_grants(org, django_capture_on_commit_callbacks):
    owner = owner_user()
    vehicle(owner=owner)
    violation = record(org)
    with django_capture_on_commit_callbacks(execute=True):
        appeal = services.appeal_submit(actor=owner, violation_id=violation.pk,
                                        reason="I was unloading for 2 minutes",
                                        photo=photo_upload())
    assert appeal.state == "pending" and appeal.photo
    assert Notification.objects.filter(recipient=org.users.staff,
                                       verb="traffic.appeal_submit").exists()
    with pytest.raises(Conflict) as caught:
        services.appeal_submit(actor=owner, violation_id=violation.pk, reason="again")
    assert caught.value.message == "This violation has already been appealed."
    with pytest.raises(NotAllowed):
        services.appeal_decide(actor=org.users.student, appeal_id=appeal.pk, grant=True,
                               note="x")
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_decide(actor=org.users.staff, appeal_id=appeal.pk, grant=True,
                               note="Loading bay was closed")
    violation.refresh_from_db()
    assert (violation.state, violation.close_reason) == ("void", "Loading bay was closed")
    assert [e.verb for e in activity_for(violation)][-3:] == [
        "traffic.appeal_submit", "traffic.appeal_decide", "traffic.violation_void"]
    told = Notification.objects.get(recipient=owner, verb="traffic.appeal_decide")
    assert told.title.endswith("陕A12345") or "陕A12345" in told.title
    with pytest.raises(Conflict):
        services.appeal_decide(actor=org.users.staff, appeal_id=appeal.pk, grant=False,
                               note="x")


def test_a_refused_appeal_leaves_the_violation_standing(org):
    owner = owner_user()
    vehicle(owner=owner)
    violation = record(org)
    appeal = services.appeal_submit(actor=owner, violation_id=violation.pk, reason="No")
    services.appeal_decide(actor=org.users.admin, appeal_id=appeal.pk, grant=False,
                           note="Photo is clear")
    violation.refresh_from_db()
    appeal.refresh_from_db()
    assert violation.state == "open" and appeal.state == Appeal.State.REFUSED


def test_only_the_owner_appeals_with_a_reason(org):
    owner = owner_user()
    vehicle(owner=owner)
    violation = record(org)
    with pytest.raises(NotAllowed) as caught:
        services.appeal_submit(actor=org.users.student, violation_id=violation.pk, reason="x")
    assert caught.value.message == "Only the vehicle's owner can appeal."
    with pytest.raises(DomainError) as caught:
        services.appeal_submit(actor=owner, violation_id=violation.pk, reason="  ")
    assert caught.value.field_errors == {"reason": ["Say why the violation is wrong."]}
    with pytest.raises(DomainError) as caught:
        services.appeal_decide(actor=org.users.staff, appeal_id=999, grant=True, note="")
    assert caught.value.field_errors == {"note": ["Write the decision."]}


# --- pages ----------------------------------------------------------------------------------
def test_the_phone_form_records_and_opens_the_violation_page(client, org):
    vehicle(owner=owner_user())
    login(client, org.users.guard)
    page = client.get("/traffic/violations/record/")
    assert page.status_code == 200 and 'data-photo-field' in page.content.decode()
    response = client.post("/traffic/violations/record/", {
        "plate": "陕a 12345", "kind": "fire_lane", "level": "violation",
        "campus": org.campus1.pk, "location_text": "北门", "photos": [photo_upload()],
        "idempotency_key": "k-1234567890"})
    violation = Violation.objects.get()
    assert response.status_code == 302
    assert response.url == f"/traffic/violations/{violation.pk}/"
    assert messages_of(response) == ["Violation of 陕A12345 recorded.",
                                     "Move-car notice sent: In-app and e-mail."]
    detail = client.get(response.url)
    text = text_of(detail)
    assert "138****8000" in text and 'href="tel:13800138000"' in detail.content.decode()
    assert "Send again in 10 min" in text


def test_the_phone_form_shows_the_plate_s_reason(client, org):
    login(client, org.users.guard)
    response = client.post("/traffic/violations/record/", {
        "plate": "陕A1234", "kind": "fire_lane", "level": "warning", "campus": org.campus1.pk})
    assert response.status_code == 400
    assert ("A plate has 7 characters (8 for new-energy vehicles); this one has 6."
            in text_of(response))
    assert not Violation.objects.exists()


def test_a_student_cannot_record_or_list(client, org):
    login(client, org.users.student)
    assert client.get("/traffic/violations/record/").status_code == 403
    assert client.get("/traffic/violations/").status_code == 403


def test_an_owner_sees_only_their_own(client, org):
    owner = owner_user()
    vehicle(owner=owner)
    vehicle("陕A54321", owner=owner_user("other"))
    mine = record(org)
    theirs = record(org, "陕A54321")
    login(client, owner)
    assert client.get(f"/traffic/violations/{mine.pk}/").status_code == 200
    assert client.get(f"/traffic/violations/{theirs.pk}/").status_code == 404
    text = text_of(client.get("/traffic/violations/mine/"))
    assert "陕A12345" in text and "陕A54321" not in text
    # The owner sees the phone masked and no call button, and may appeal
    detail = client.get(f"/traffic/violations/{mine.pk}/").content.decode()
    assert "tel:" not in detail and "Send the appeal" in detail
    response = client.post(f"/traffic/violations/{mine.pk}/appeal/",
                           {"reason": "I was loading"})
    assert messages_of(response) == ["Appeal sent; the office will decide."]
    assert Appeal.objects.get().violation == mine


def test_resend_and_close_from_the_page(client, org):
    vehicle(owner=owner_user())
    violation = record(org)
    login(client, org.users.guard)
    response = client.post(f"/traffic/violations/{violation.pk}/notice/")
    assert messages_of(response)[0].startswith("A move-car notice was sent less than 10 minutes")
    response = client.post(f"/traffic/violations/{violation.pk}/close/", {"outcome": "moved"})
    assert messages_of(response)[-1] == "Closed: moved."
    violation.refresh_from_db()
    assert violation.state == "moved"


def test_the_list_filters_and_its_query_count_does_not_grow(
        client, org, django_assert_max_num_queries):
    vehicle(owner=owner_user())
    for i in range(3):
        record(org, level="warning", kind="entrance")
        record(org, f"京B1234{i}", level="warning", kind="pavement")
    login(client, org.users.staff)
    with django_assert_max_num_queries(10) as few:
        client.get("/traffic/violations/")
    for i in range(10):
        record(org, f"粤C1234{i}", level="warning")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/traffic/violations/")
    assert response.status_code == 200
    text = text_of(client.get("/traffic/violations/?kind=pavement&plate=京b"))
    assert "京B12340" in text and "陕A12345" not in text and "粤C" not in text
    bad = client.get("/traffic/violations/?date_from=1800-01-01")
    assert bad.status_code == 200 and "These filters were not applied" in text_of(bad)
