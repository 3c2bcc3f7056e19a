"""Anti-fraud warnings: audience targeting, sending (bulk, idempotent, e-mail only when
urgent), read receipts, remind once, and the pages."""
# ruff: noqa: F811  (fixtures imported from warning_helpers)

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.education.selectors import warnings as selectors
from safecampus.education.services import warnings as services
from safecampus.notifications.models import Alert, Delivery, Notification
from safecampus.notifications.services import alert_mark_read

from .warning_helpers import english, roster  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")


def send(actor, kind, *, level="warning", key=None, **audience):
    return services.warning_send(actor=actor, title="警惕冒充客服",
                                 body="接到自称客服的电话要求退款，请挂断。", level=level,
                                 audience_kind=kind, idempotency_key=key, **audience)


def recipients(alert) -> set[str]:
    return set(Notification.objects.filter(alert=alert).values_list("recipient__username",
                                                                    flat=True))


# --- targeting --------------------------------------------------------------------------------
def test_everyone_reaches_every_active_user_including_people_without_affiliation(org, roster):
    alert = send(org.users.staff, "everyone")
    names = recipients(alert)
    assert org.users.student.username in names  # no affiliation: only "everyone" reaches them
    assert "sa_gone" not in names  # inactive
    assert alert.recipient_count == len(names) == len(
        [u for u in type(org.users.staff).objects.filter(is_active=True)])


def test_a_college_reaches_its_students_and_staff_only(org, roster):
    assert recipients(send(org.users.staff, "college", unit_id=org.unit_a.pk)) == {
        "sa1", "sb1", "sb2", "teacher_a"}


def test_a_college_and_year_group(org, roster):
    assert recipients(send(org.users.staff, "college", unit_id=org.unit_a.pk, year=2025)) == {
        "sb1", "sb2"}


def test_a_year_group_and_a_year_group_on_one_campus(org, roster):
    assert recipients(send(org.users.staff, "year", year=2025)) == {"sb1", "sb2", "sm1"}
    assert recipients(send(org.users.police, "year", year=2025, campus_id=org.campus2.pk)) == {
        "sm1"}


def test_a_campus_and_a_class(org, roster):
    assert recipients(send(org.users.staff, "campus", campus_id=org.campus1.pk)) == {
        "sa1", "sb1", "sb2", "teacher_a"}
    assert recipients(send(org.users.staff, "class", class_id=roster.c24.pk)) == {"sa1"}


def test_fields_the_kind_does_not_use_are_dropped(org, roster):
    alert = send(org.users.staff, "class", class_id=roster.c25.pk, unit_id=org.unit_b.pk,
                 year=2024)
    assert (alert.audience_unit_id, alert.audience_year) == (None, None)
    assert recipients(alert) == {"sb1", "sb2"}


@pytest.mark.parametrize(("kind", "audience", "field", "message"), [
    ("college", {}, "audience_unit", "Choose the college."),
    ("campus", {}, "audience_campus", "Choose the campus."),
    ("year", {}, "audience_year", "Give the year group, e.g. 2024."),
    ("class", {}, "audience_class", "Choose the class."),
    ("nobody", {}, "audience_kind", "Choose who it is for."),
    ("college", {"unit_id": 999999}, "audience_unit", "Choose one of the colleges."),
])
def test_an_incomplete_audience_is_refused_and_nothing_is_sent(org, roster, kind, audience,
                                                                field, message):
    with pytest.raises(DomainError) as error:
        send(org.users.staff, kind, **audience)
    assert error.value.field_errors == {field: [message]}
    assert not Alert.objects.exists() and not Notification.objects.exists()


NO_ONE = ("No one matches this audience, so the warning was not sent. Check the year group, "
          "college, class or campus.")


@pytest.mark.parametrize(("kind", "audience"), [
    ("year", {"year": 2031}),
    ("college", {"unit_id": "unit_b", "year": 2024}),
])
def test_an_audience_that_matches_no_one_is_refused_and_nothing_is_sent(org, roster, kind,
                                                                          audience):
    # given an audience every field of which is valid but which no active person is in
    audience = {k: (getattr(org, v).pk if isinstance(v, str) else v)
                for k, v in audience.items()}
    # when the office sends to it
    with pytest.raises(DomainError) as error:
        send(org.users.staff, kind, **audience)
    # then it is refused as a whole and nothing is written
    assert (error.value.code, error.value.message) == ("no_recipients", NO_ONE)
    assert not Alert.objects.exists() and not Notification.objects.exists()
    assert selectors.audience_count(kind=kind, **audience) == (0, NO_ONE)


def test_a_logistics_unit_is_not_a_college_audience(org, roster):
    with pytest.raises(DomainError) as error:
        send(org.users.staff, "college", unit_id=org.logistics.pk)
    assert error.value.field_errors == {"audience_unit": ["Choose one of the colleges."]}


def test_empty_title_and_body_are_refused(org, roster):
    with pytest.raises(DomainError) as error:
        services.warning_send(actor=org.users.staff, title=" ", body="", level="loud",
                              audience_kind="everyone")
    assert error.value.field_errors == {"title": ["Give the warning a title."],
                                        "body": ["Write what the warning says."],
                                        "level": ["Choose the level."]}


@pytest.mark.parametrize("who", ["student", "contact_a", "leadership", "guard"])
def test_only_the_office_and_police_send(org, roster, who):
    with pytest.raises(NotAllowed):
        send(getattr(org.users, who), "everyone")
    assert not Alert.objects.exists()


def test_the_live_count_matches_what_is_sent(org, roster):
    assert selectors.audience_count(kind="college", unit_id=org.unit_a.pk, year=2025) == (2, "")
    assert selectors.audience_count(kind="college") == (None, "Choose the college.")


# --- sending ---------------------------------------------------------------------------------
def test_sending_writes_alert_notifications_deliveries_and_the_timeline(org, roster):
    alert = send(org.users.police, "class", class_id=roster.c25.pk)
    rows = Notification.objects.filter(alert=alert)
    assert alert.recipient_count == 2 and alert.sent_by == org.users.police
    assert alert.topic == "anti_fraud"
    assert set(rows.values_list("verb", "dedupe_key", "url")) == {
        ("notifications.alert", f"alert:{alert.pk}", reverse("notifications:alert",
                                                             args=[alert.pk]))}
    assert Delivery.objects.filter(notification__alert=alert, channel="in_app",
                                   state="sent").count() == 2
    assert not Delivery.objects.filter(notification__alert=alert, channel="email").exists()
    entry = activity_for(alert).get()
    assert (entry.verb, entry.data["recipients"]) == ("notifications.alert_send", 2)


def test_an_urgent_warning_also_goes_by_email(org, roster, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        alert = send(org.users.staff, "class", class_id=roster.c25.pk, level="urgent")
    emails = Delivery.objects.filter(notification__alert=alert, channel="email")
    assert emails.count() == 2 and set(emails.values_list("state", flat=True)) == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == ["sb1@example.edu.cn", "sb2@example.edu.cn"]


def test_the_same_key_sends_once(org, roster):
    first = send(org.users.staff, "college", unit_id=org.unit_a.pk, key="warn-key-0001")
    again = send(org.users.staff, "college", unit_id=org.unit_a.pk, key="warn-key-0001")
    assert first.pk == again.pk
    assert Alert.objects.count() == 1 and Notification.objects.count() == 4
    with pytest.raises(Conflict):
        send(org.users.police, "college", unit_id=org.unit_a.pk, key="warn-key-0001")


def test_a_big_audience_is_sent_in_a_bounded_number_of_statements(org, roster):
    from safecampus.tests.factories import UserFactory

    UserFactory.create_batch(300)
    with CaptureQueriesContext(connection) as queries:
        alert = send(org.users.staff, "everyone")
    assert alert.recipient_count > 300
    assert len(queries) < 40  # not one INSERT per person


# --- read receipts -----------------------------------------------------------------------------
def test_reading_is_the_receipt_and_counts_by_college(org, roster, client):
    alert = send(org.users.staff, "year", year=2025)
    client.force_login(roster.students.b1)
    page = client.get(reverse("notifications:alert", args=[alert.pk]))
    assert page.status_code == 200 and "警惕冒充客服" in page.content.decode()
    assert 'id="alert-read-form"' in page.content.decode()
    assert selectors.warning_receipts(alert)["read"] == 0  # showing it is not reading it
    read = client.post(reverse("notifications:alert_read", args=[alert.pk]))
    assert read.url == reverse("notifications:alert", args=[alert.pk])
    client.post(reverse("notifications:alert_read", args=[alert.pk]))  # again: still one read
    again = client.get(reverse("notifications:alert", args=[alert.pk])).content.decode()
    assert 'id="alert-read-at"' in again and 'id="alert-read-form"' not in again
    receipts = selectors.warning_receipts(alert)
    assert (receipts["recipients"], receipts["read"], receipts["unread"],
            receipts["percent"]) == (3, 1, 2, 33)
    assert {(r["college"], r["total"], r["read"]) for r in receipts["by_college"]} == {
        ("化学学院", 2, 1), ("机械学院", 1, 0)}
    assert [n.recipient.username for n in selectors.warning_unread(alert)] == ["sb2", "sm1"]


def test_the_receipt_is_a_post_only(org, roster, client):
    alert = send(org.users.staff, "class", class_id=roster.c24.pk)
    client.force_login(roster.students.a1)
    assert client.get(reverse("notifications:alert_read", args=[alert.pk])).status_code == 405
    assert Notification.objects.get(alert=alert).read_at is None


def test_mark_all_read_in_the_inbox_leaves_warnings_unread(org, roster, client):
    from safecampus.notifications.services import notification_send

    alert = send(org.users.staff, "class", class_id=roster.c24.pk)
    other = notification_send(recipients=[roster.students.a1], verb="test.other",
                              title="其他通知", email=False)[0]
    client.force_login(roster.students.a1)
    client.post(reverse("notifications:read_all"))
    client.post(reverse("notifications:read", args=[Notification.objects.get(alert=alert).pk]))
    assert Notification.objects.get(alert=alert).read_at is None
    assert Notification.objects.get(pk=other.pk).read_at is not None
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert "Open it and confirm you have read it." in inbox


@pytest.mark.parametrize("pk", [2 ** 63, 10 ** 30])
def test_a_huge_id_is_a_404_not_a_500(org, roster, client, pk):
    send(org.users.staff, "class", class_id=roster.c24.pk)
    client.force_login(roster.students.a1)
    assert client.get(f"/notifications/alerts/{pk}/").status_code == 404
    assert client.post(f"/notifications/alerts/{pk}/read/").status_code == 404
    client.force_login(org.users.staff)
    assert client.get(f"/education/warnings/{pk}/").status_code == 404
    assert client.post(f"/education/warnings/{pk}/remind/").status_code == 404
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_the_first_reading_time_is_kept(org, roster):
    alert = send(org.users.staff, "class", class_id=roster.c24.pk)
    first = alert_mark_read(user=roster.students.a1, alert_id=alert.pk).read_at
    assert alert_mark_read(user=roster.students.a1, alert_id=alert.pk).read_at == first


def test_someone_not_a_recipient_gets_404(org, roster, client):
    alert = send(org.users.staff, "class", class_id=roster.c24.pk)
    client.force_login(roster.students.m1)
    assert client.get(reverse("notifications:alert", args=[alert.pk])).status_code == 404
    assert client.post(reverse("notifications:alert_read", args=[alert.pk])).status_code == 404
    assert not Notification.objects.filter(recipient=roster.students.m1).exists()


def test_my_warnings_are_unread_first(org, roster):
    old = send(org.users.staff, "class", class_id=roster.c25.pk)
    new = send(org.users.staff, "college", unit_id=org.unit_a.pk)
    alert_mark_read(user=roster.students.b1, alert_id=new.pk)
    mine = list(selectors.warnings_for(roster.students.b1))
    assert [n.alert_id for n in mine] == [old.pk, new.pk]
    assert selectors.warnings_unread_count(roster.students.b1) == 1


# --- remind once -------------------------------------------------------------------------------
def test_remind_reaches_only_the_unread_and_only_once(org, roster):
    alert = send(org.users.staff, "year", year=2025)
    alert_mark_read(user=roster.students.b1, alert_id=alert.pk)
    assert services.warning_remind_unread(actor=org.users.police, alert_id=alert.pk) == 2
    reminders = Notification.objects.filter(verb="notifications.alert_reminder")
    assert set(reminders.values_list("recipient__username", flat=True)) == {"sb2", "sm1"}
    assert selectors.warning_receipts(alert)["reminded"] is True
    with pytest.raises(Conflict) as error:
        services.warning_remind_unread(actor=org.users.staff, alert_id=alert.pk)
    assert error.value.code == "already_reminded"
    assert error.value.message == ("The unread recipients of this warning were already "
                                   "reminded; a warning is reminded only once.")
    assert reminders.count() == 2
    # reading the warning marks its reminder read too
    alert_mark_read(user=roster.students.b2, alert_id=alert.pk)
    assert reminders.filter(recipient=roster.students.b2).get().read_at is not None


def test_a_student_cannot_remind(org, roster):
    alert = send(org.users.staff, "everyone")
    with pytest.raises(NotAllowed):
        services.warning_remind_unread(actor=roster.students.a1, alert_id=alert.pk)


# --- pages -------------------------------------------------------------------------------------
def test_compose_previews_the_count_then_sends_once(org, roster, client):
    client.force_login(org.users.police)
    data = {"title": "新生警惕冒充客服", "body": "不要相信退款电话。", "level": "warning",
            "audience_kind": "college", "audience_unit": org.unit_a.pk, "audience_year": "2025",
            "idempotency_key": "page-key-0001"}
    preview = client.post(reverse("education:warning_new"), {**data, "preview": "1"})
    assert preview.status_code == 200 and 'id="confirm-send"' in preview.content.decode()
    assert "Send to 2 people" in preview.content.decode() and not Alert.objects.exists()
    data["checked_audience"] = checked_audience(preview)
    sent = client.post(reverse("education:warning_new"), {**data, "send": "1"})
    alert = Alert.objects.get()
    assert sent.url == reverse("education:warning_receipts", args=[alert.pk])
    client.post(reverse("education:warning_new"), {**data, "send": "1"})  # double tap
    assert Alert.objects.count() == 1 and alert.recipient_count == 2


def checked_audience(page) -> str:
    """The key of the audience whose count the page showed beside its send button."""
    found = re.search(r'name="checked_audience" value="([^"]*)"', page.content.decode())
    assert found, "no send button"
    return found.group(1)


def test_an_audience_changed_after_the_check_is_shown_again_not_sent(org, roster, client):
    # the count was checked for one college's year group, then the audience became everyone
    client.force_login(org.users.police)
    data = {"title": "新生警惕冒充客服", "body": "不要相信退款电话。", "level": "warning",
            "audience_kind": "college", "audience_unit": org.unit_a.pk, "audience_year": "2025",
            "idempotency_key": "page-key-0003"}
    preview = client.post(reverse("education:warning_new"), {**data, "preview": "1"})
    changed = {**data, "audience_kind": "everyone", "checked_audience": checked_audience(preview),
               "send": "1"}
    page = client.post(reverse("education:warning_new"), changed)
    # nothing is sent; the new audience's count is shown with its own send button
    assert page.status_code == 200 and not Alert.objects.exists()
    assert ("Who receives it was changed after the recipients were checked: check the new "
            "number below, then send.") in page.content.decode()
    assert checked_audience(page) != changed["checked_audience"]
    client.post(reverse("education:warning_new"), {**changed, "checked_audience":
                                                   checked_audience(page)})
    assert Alert.objects.get().audience_kind == "everyone"


def test_compose_shows_the_missing_audience_field(org, roster, client):
    client.force_login(org.users.staff)
    page = client.post(reverse("education:warning_new"), {
        "title": "x", "body": "y", "level": "info", "audience_kind": "class", "send": "1"})
    assert page.status_code == 200 and "Choose the class." in page.content.decode()
    assert not Alert.objects.exists()


def test_compose_offers_no_send_button_for_an_audience_of_no_one(org, roster, client):
    client.force_login(org.users.police)
    data = {"title": "新生警惕冒充客服", "body": "不要相信退款电话。", "level": "warning",
            "audience_kind": "year", "audience_year": "2031",
            "idempotency_key": "page-key-0002"}
    preview = client.post(reverse("education:warning_new"), {**data, "preview": "1"})
    html = preview.content.decode()
    assert preview.status_code == 200 and 'id="confirm-send"' not in html
    assert NO_ONE in html and "Send to 0" not in html
    sent = client.post(reverse("education:warning_new"), {**data, "send": "1"})
    assert sent.status_code == 200 and NO_ONE in sent.content.decode()
    assert not Alert.objects.exists()
    fragment = client.get(reverse("education:warning_count"), {
        "audience_kind": "year", "audience_year": "2031"}).content.decode()
    assert NO_ONE in fragment and "Reaches 0" not in fragment


def test_the_live_count_fragment(org, roster, client):
    client.force_login(org.users.staff)
    url = reverse("education:warning_count")
    page = client.get(url, {"audience_kind": "year", "audience_year": "2025"})
    assert 'data-recipient-count="3"' in page.content.decode()
    junk = client.get(url, {"audience_kind": "class", "audience_class": "x²"})
    assert junk.status_code == 200 and "Choose the class." in junk.content.decode()


def test_receipts_page_and_remind_twice(org, roster, client):
    alert = send(org.users.staff, "college", unit_id=org.unit_a.pk)
    client.force_login(org.users.staff)
    page = client.get(reverse("education:warning_receipts", args=[alert.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="receipt-unread">4<' in html
    first = client.post(reverse("education:warning_remind", args=[alert.pk]), follow=True)
    assert "4 people who had not read it were reminded." in first.content.decode()
    second = client.post(reverse("education:warning_remind", args=[alert.pk]), follow=True)
    assert "a warning is reminded only once" in second.content.decode()


def test_warning_pages_are_closed_to_students(org, roster, client):
    alert = send(org.users.staff, "everyone")
    client.force_login(roster.students.a1)
    for name, args in (("warning_list", []), ("warning_new", []), ("warning_receipts",
                                                                  [alert.pk])):
        assert client.get(reverse(f"education:{name}", args=args)).status_code == 403


def test_the_sent_list_has_a_fixed_number_of_queries(org, roster, client):
    client.force_login(org.users.staff)
    first = send(org.users.staff, "everyone")
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("education:warning_list"))
    for _ in range(4):
        send(org.users.staff, "college", unit_id=org.unit_a.pk)
    alert_mark_read(user=roster.students.a1, alert_id=first.pk)
    with CaptureQueriesContext(connection) as five:
        page = client.get(reverse("education:warning_list"))
    assert len(five) == len(one)
    # the read counts are those of each warning (counted for the page's rows only)
    assert [(a.recipient_count, a.read_count) for a in page.context["page"]] == [
        (4, 0)] * 4 + [(first.recipient_count, 1)]
    assert 'value="1"' in page.content.decode()


def test_the_hub_card_lists_my_unread_warning(org, roster, client):
    send(org.users.staff, "class", class_id=roster.c24.pk)
    client.force_login(roster.students.a1)
    html = client.get(reverse("education:home")).content.decode()
    assert 'id="home-warnings-unread"' in html and "警惕冒充客服" in html
    assert 'id="home-warning-new"' not in html
