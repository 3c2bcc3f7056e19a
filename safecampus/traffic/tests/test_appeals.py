"""Appeals: the owner appeals online (one per violation), the office decides; both on the
timeline, the owner told. And the pages: permissions, an owner sees only theirs, list
filters and query counts, the phone form's plate refusal."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.notifications.models import Notification
from safecampus.tests.factories import photo_upload
from safecampus.tests.pages import login, messages_of, text_of
from safecampus.traffic.models import Appeal, Violation
from safecampus.traffic.selectors.appeals import appeal_queue
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


# --- the office's queue ----------------------------------------------------------------------
def _appeal(org, plate, *, owner, reason, days_ago, photo=None):
    """An appeal by ``owner`` (who owns ``plate``) against a new violation, made ``days_ago``
    days ago."""
    vehicle(plate, owner=owner, owner_name=f"Owner of {plate}")
    violation = record(org, plate)
    appeal = services.appeal_submit(actor=owner, violation_id=violation.pk, reason=reason,
                                    photo=photo)
    Appeal.objects.filter(pk=appeal.pk).update(
        created_at=clock.now() - dt.timedelta(days=days_ago, hours=1))
    return appeal


def test_the_queue_lists_pending_appeals_oldest_first(client, org):
    """Given three pending appeals made 1, 5 and 3 days ago and one refused, when the office
    opens the queue, then the pending ones are listed oldest first with plate, owner, reason,
    age, photos and a link to decide; the refused one is under its own filter."""
    owner = owner_user()
    newer = _appeal(org, "陕A11111", owner=owner, reason="Unloading the van", days_ago=1)
    oldest = _appeal(org, "陕A22222", owner=owner, reason="The sign was covered",
                     days_ago=5, photo=photo_upload())
    middle = _appeal(org, "陕A33333", owner=owner, reason="I was inside for 2 minutes",
                     days_ago=3)
    refused = _appeal(org, "陕A44444", owner=owner, reason="Not my car", days_ago=8)
    services.appeal_decide(actor=org.users.staff, appeal_id=refused.pk, grant=False,
                           note="The photo shows the plate")
    login(client, org.users.staff)
    response = client.get("/traffic/appeals/")
    assert response.status_code == 200
    html = response.content.decode()
    rows = [int(x) for x in re.findall(r'data-appeal="(\d+)"', html)]
    assert rows == [oldest.pk, middle.pk, newer.pk]
    text = text_of(response)
    assert "陕A22222" in text and "Owner of 陕A22222" in text and "The sign was covered" in text
    assert "Waiting 5 days" in text and "Waiting 1 day" in text
    assert f'href="/traffic/violations/{oldest.violation_id}/#appeal"' in html
    assert f'src="/traffic/appeals/photos/{oldest.pk}/"' in html
    photo = oldest.violation.photos.get()
    assert f'src="/traffic/violations/photos/{photo.pk}/thumb/"' in html
    assert "陕A44444" not in text
    decided = text_of(client.get("/traffic/appeals/?state=refused"))
    assert "陕A44444" in decided and "The photo shows the plate" in decided
    assert "陕A11111" not in decided
    assert "No appeals in this state." in text_of(client.get("/traffic/appeals/?state=granted"))
    # A state that is not one shows the pending queue
    bad = client.get("/traffic/appeals/?state=lost")
    assert re.findall(r'data-appeal="(\d+)"', bad.content.decode()) == [
        str(oldest.pk), str(middle.pk), str(newer.pk)]


def test_an_empty_queue_says_so(client, org):
    login(client, org.users.admin)
    assert "No appeals are waiting for a decision." in text_of(client.get("/traffic/appeals/"))


def test_only_those_who_decide_see_the_queue_and_its_links(client, org):
    owner = owner_user()
    _appeal(org, "陕A11111", owner=owner, reason="Unloading", days_ago=1)
    for user in (org.users.guard, org.users.student, owner, org.users.leadership):
        login(client, user)
        assert client.get("/traffic/appeals/").status_code == 403, user.username
    login(client, org.users.guard)
    assert 'href="/traffic/appeals/"' not in client.get("/traffic/").content.decode()
    assert 'href="/traffic/appeals/"' not in client.get("/traffic/violations/").content.decode()
    login(client, org.users.staff)
    assert 'href="/traffic/appeals/"' in client.get("/traffic/").content.decode()
    assert 'href="/traffic/appeals/"' in client.get("/traffic/violations/").content.decode()
    client.logout()
    assert client.get("/traffic/appeals/").status_code == 302


def test_the_queue_s_query_count_does_not_grow_and_it_pages(
        client, org, django_assert_max_num_queries, settings):
    owner = owner_user()
    for i in range(2):
        _appeal(org, f"陕A1000{i}", owner=owner, reason="Unloading", days_ago=40 - i)
    login(client, org.users.staff)
    with django_assert_max_num_queries(10) as few:
        client.get("/traffic/appeals/")
    for i in range(30):
        _appeal(org, f"陕B2{i:04d}", owner=owner, reason="Unloading", days_ago=30 - i,
                photo=photo_upload() if i % 2 else None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/traffic/appeals/")
    rows = re.findall(r'data-appeal="(\d+)"', response.content.decode())
    assert len(rows) == 30 and "Page 1" in text_of(response)
    assert 'href="?page=2"' in response.content.decode()
    second = client.get("/traffic/appeals/?page=2")
    assert len(re.findall(r'data-appeal="(\d+)"', second.content.decode())) == 2


def test_the_queue_selector_sees_nothing_without_the_permission(org):
    owner = owner_user()
    _appeal(org, "陕A11111", owner=owner, reason="Unloading", days_ago=1)
    assert appeal_queue(org.users.guard).count() == 0
    assert appeal_queue(owner).count() == 0
    assert appeal_queue(org.users.staff).count() == 1
    assert appeal_queue(org.users.staff, state="granted").count() == 0


def test_a_too_long_decision_note_is_refused_saying_how_long_it_is(client, org):
    owner = owner_user()
    vehicle(owner=owner)
    violation = record(org)
    appeal = services.appeal_submit(actor=owner, violation_id=violation.pk, reason="Loading")
    login(client, org.users.staff)
    # Given a decision and a 6,000-character note: the length is the reason given
    response = client.post(f"/traffic/violations/{violation.pk}/appeal/decide/",
                           {"decision": "refuse", "note": "理" * 6000})
    assert messages_of(response) == ["At most 2000 characters (this has 6000)."]
    appeal.refresh_from_db()
    assert appeal.state == "pending"
    # Without a decision the form still asks for both
    response = client.post(f"/traffic/violations/{violation.pk}/appeal/decide/",
                           {"note": "理由"})
    assert messages_of(response)[-1] == "Choose the decision and give its reason."
    response = client.post(f"/traffic/violations/{violation.pk}/appeal/decide/",
                           {"decision": "refuse", "note": "理" * 2000})
    assert messages_of(response)[-1] == "Appeal refused: the violation stands."


def test_the_appeal_photo_is_one_photo_and_a_second_one_is_refused(client, org):
    owner = owner_user()
    vehicle(owner=owner)
    violation = record(org)
    login(client, owner)
    # The appeal's photo input takes one photo and says so
    page = client.get(f"/traffic/violations/{violation.pk}/").content.decode()
    field = re.search(r'<input type="file" name="photo"[^>]*>', page).group(0)
    assert " multiple" not in field
    box = page[page.index('<input type="file" name="photo"'):]
    box = box[:box.index("</label>")]
    assert "Take or choose a photo" in box and "one photo" in box
    assert "several at once" not in box
    # Given two photos sent at once (a crafted request): refused, nothing dropped silently
    response = client.post(f"/traffic/violations/{violation.pk}/appeal/", {
        "reason": "I was loading", "photo": [photo_upload(), photo_upload()]})
    assert response.status_code == 400
    assert response.context["appeal_form"].errors["photo"] == ["Send one photo only (2 were sent)."]
    assert not Appeal.objects.exists()
    response = client.post(f"/traffic/violations/{violation.pk}/appeal/", {
        "reason": "I was loading", "photo": photo_upload()})
    assert messages_of(response)[-1] == "Appeal sent; the office will decide."
    assert Appeal.objects.get().photo


def test_an_appeal_refused_at_a_field_keeps_the_reason_and_names_the_field(client, org):
    owner = owner_user()
    vehicle(owner=owner)
    violation = record(org)
    login(client, owner)
    url = f"/traffic/violations/{violation.pk}/appeal/"
    # An empty reason: the guide's words at the reason field, the page shown again
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert response.context["appeal_form"].errors == {
        "reason": ["Say why the violation is wrong."]}
    assert "Say why the violation is wrong." in text_of(response)
    # A file that is no photo: refused at the photo field, the reason typed is kept
    response = client.post(url, {"reason": "I was loading for two minutes",
                                 "photo": SimpleUploadedFile("doc.pdf", b"%PDF-1.4 not a photo",
                                                             content_type="application/pdf")})
    assert response.status_code == 400
    form = response.context["appeal_form"]
    assert list(form.errors) == ["photo"] and "doc.pdf" in form.errors["photo"][0]
    html = response.content.decode()
    assert re.search(r'<textarea name="reason"[^>]*>\s*I was loading for two minutes</textarea>',
                     html)
    assert 'aria-invalid="true"' in html
    assert not Appeal.objects.exists() and messages_of(response) == []
    # Sent again right, it goes through
    response = client.post(url, {"reason": "I was loading for two minutes"})
    assert messages_of(response) == ["Appeal sent; the office will decide."]
    assert Appeal.objects.get().reason == "I was loading for two minutes"


def test_multi_photo_inputs_still_take_several(client, org):
    login(client, org.users.guard)
    page = client.get("/traffic/violations/record/").content.decode()
    field = re.search(r'<input type="file" name="photos"[^>]*>', page).group(0)
    assert " multiple" in field
    assert "several at once" in page


def test_the_timeline_names_states_in_words(client, org):
    owner = owner_user()
    vehicle(owner=owner)
    violation = record(org)
    appeal = services.appeal_submit(actor=owner, violation_id=violation.pk, reason="Loading")
    services.appeal_decide(actor=org.users.staff, appeal_id=appeal.pk, grant=False,
                           note="The photo shows the plate")
    services.violation_close(actor=org.users.guard, violation_id=violation.pk, outcome="moved")
    login(client, org.users.staff)
    html = client.get(f"/traffic/violations/{violation.pk}/").content.decode()
    timeline = re.sub(r"\s+", " ", html[html.index('<ol class="timeline'):])
    timeline = timeline[:timeline.index("</ol>")]
    # Appeal entries in the appeal's words, the others in the violation's; no raw codes
    assert "→ Pending decision" in timeline and "→ Refused: violation stands" in timeline
    assert "→ Moved" in timeline
    assert not re.search(r"→ (pending|refused|moved|open)\b", timeline)
