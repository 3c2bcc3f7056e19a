"""Notifications: one row per recipient, deduplicated, with a delivery per channel and retries."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from safecampus.accounts.models import User
from safecampus.notifications import services
from safecampus.notifications.models import Delivery, Notification
from safecampus.notifications.selectors import notification_inbox, notification_unread_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """notification_send with its on-commit e-mail tasks run (huey is immediate in tests)."""
    def run(**kwargs):
        kwargs.setdefault("verb", "test.notice")
        kwargs.setdefault("title", "化学楼整改通知")
        with django_capture_on_commit_callbacks(execute=True):
            return services.notification_send(**kwargs)
    return run


def test_one_notification_per_recipient_with_in_app_and_email_deliveries(org, send):
    users = org.users
    # given a list naming a person twice, a missing person, and an inactive one
    User.objects.filter(pk=users.contact_b.pk).update(is_active=False)
    users.contact_b.refresh_from_db()
    created = send(recipients=[users.contact_a, users.leader_a, users.contact_a, None,
                               users.contact_b], body="请签收", url="/hazards/1/",
                   dedupe_key="notice:1:issued")
    # then each active person gets exactly one notification
    assert {n.recipient_id for n in created} == {users.contact_a.pk, users.leader_a.pk}
    assert Notification.objects.count() == 2
    for note in created:
        deliveries = {d.channel: d for d in note.deliveries.all()}
        assert deliveries["in_app"].state == Delivery.State.SENT
        assert deliveries["in_app"].sent_at is not None
        # the e-mail went out after commit through the task
        assert deliveries["email"].state == Delivery.State.SENT
        assert deliveries["email"].attempts == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [users.contact_a.email, users.leader_a.email])
    assert mail.outbox[0].subject == "化学楼整改通知"
    # the body, then the link made absolute with PUBLIC_URL
    assert mail.outbox[0].body == "请签收\n\nhttp://127.0.0.1:8000/hazards/1/"


def test_same_dedupe_key_never_notifies_twice(org, send):
    users = org.users
    first = send(recipients=[users.contact_a], dedupe_key="hazard:7:overdue")
    again = send(recipients=[users.contact_a, users.leader_a], dedupe_key="hazard:7:overdue")
    # then only the newcomer is told the second time
    assert len(first) == 1
    assert [n.recipient_id for n in again] == [users.leader_a.pk]
    assert Notification.objects.filter(recipient=users.contact_a).count() == 1
    assert len(mail.outbox) == 2
    # while messages without a key may repeat (e.g. replies)
    send(recipients=[users.contact_a], title="无键消息")
    send(recipients=[users.contact_a], title="无键消息")
    assert Notification.objects.filter(recipient=users.contact_a, title="无键消息").count() == 2


def test_in_app_only_and_no_address(org, send):
    users = org.users
    User.objects.filter(pk=users.student.pk).update(email="")
    users.student.refresh_from_db()
    send(recipients=[users.student], dedupe_key="a")
    delivery = Delivery.objects.get(notification__recipient=users.student, channel="email")
    assert delivery.state == Delivery.State.SKIPPED
    send(recipients=[users.staff], dedupe_key="b", email=False)
    assert list(Delivery.objects.filter(notification__recipient=users.staff)
                .values_list("channel", flat=True)) == ["in_app"]
    assert mail.outbox == []


def test_long_title_is_cut_to_the_column(org, send):
    note = send(recipients=[org.users.staff], title="长" * 300)[0]
    assert len(Notification.objects.get(pk=note.pk).title) == 200


def test_failed_email_is_retried_with_back_off_then_recorded_as_failed(org, send,
                                                                       monkeypatch):

    from django.core.mail import EmailMessage

    from safecampus.core import clock

    calls = []

    def broken(self, fail_silently=False):
        calls.append(self.to)
        raise ConnectionRefusedError("mail relay down")

    monkeypatch.setattr(EmailMessage, "send", broken)
    start = clock.now()
    # when the relay refuses the first attempt (made by the task after commit)
    with clock.frozen(start):
        send(recipients=[org.users.staff], dedupe_key="x")
    delivery = Delivery.objects.get(channel="email")
    # then the attempt and the error are recorded, and the next attempt waits a minute
    assert len(calls) == 1
    assert (delivery.attempts, delivery.state, delivery.last_error) == (
        1, Delivery.State.PENDING, "mail relay down")
    assert delivery.next_attempt_at == start + dt.timedelta(minutes=1)
    # the periodic sender leaves it alone before then, and retries after 1, 5 and 30 minutes
    with clock.frozen(start + dt.timedelta(seconds=59)):
        services.deliveries_send_due()
    assert len(calls) == 1
    at = start
    for wait in (1, 5, 30):
        at += dt.timedelta(minutes=wait)
        with clock.frozen(at):
            services.deliveries_send_due()
    delivery.refresh_from_db()
    assert len(calls) == 4
    assert (delivery.attempts, delivery.state, delivery.next_attempt_at) == (
        4, Delivery.State.FAILED, None)
    assert delivery.last_error == "mail relay down"
    # and the in-app copy is there regardless
    assert Delivery.objects.get(channel="in_app").state == Delivery.State.SENT
    # a later attempt leaves a finished delivery alone
    monkeypatch.setattr(EmailMessage, "send", lambda self, fail_silently=False: calls.append(1))
    with clock.frozen(at + dt.timedelta(days=1)):
        services.deliveries_send_due()
        assert services.delivery_attempt_email(delivery_id=delivery.pk).attempts == 4
    assert len(calls) == 4


def test_pending_email_is_picked_up_by_the_periodic_retry(org, monkeypatch):
    from safecampus.notifications.tasks import send_due as retry_pending_email

    # given an e-mail left pending (the consumer was down: no on-commit run here)
    services.notification_send(recipients=[org.users.staff], verb="v", title="待发送",
                               dedupe_key="p")
    delivery = Delivery.objects.get(channel="email")
    assert delivery.state == Delivery.State.PENDING and mail.outbox == []
    # when the periodic task runs
    retry_pending_email()
    delivery.refresh_from_db()
    # then it is sent once
    assert delivery.state == Delivery.State.SENT
    assert len(mail.outbox) == 1
    retry_pending_email()
    assert len(mail.outbox) == 1


def test_mark_read_only_touches_ones_own(org, send):
    users = org.users
    mine = send(recipients=[users.contact_a], dedupe_key="m1")[0]
    send(recipients=[users.contact_a], dedupe_key="m2")
    theirs = send(recipients=[users.contact_b], dedupe_key="t1")[0]
    assert notification_unread_count(users.contact_a) == 2
    # a user cannot mark someone else's notification read
    assert services.notification_mark_read(user=users.contact_a, notification_id=theirs.pk) == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert services.notification_mark_read(user=users.contact_a, notification_id=mine.pk) == 1
    assert notification_unread_count(users.contact_a) == 1
    assert services.notification_mark_read(user=users.contact_a) == 1
    assert notification_unread_count(users.contact_a) == 0
    assert notification_unread_count(users.contact_b) == 1
    assert list(notification_inbox(users.contact_b)) == [theirs]


def test_inbox_page_lists_only_ones_own(org, send, client):
    send(recipients=[org.users.contact_a], title="给安全员A的通知", dedupe_key="a")
    send(recipients=[org.users.contact_b], title="给安全员B的通知", dedupe_key="b")
    client.force_login(org.users.contact_a)
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert "给安全员A的通知" in html and "给安全员B的通知" not in html


@pytest.mark.parametrize(("target", "expected"), [
    ("/hazards/5/", "/hazards/5/"),
    ("//evil.example/", "/notifications/"),
    ("/\\evil.example/", "/notifications/"),
    ("https://evil.example/", "/notifications/"),
    ("", "/notifications/"),
])
def test_mark_read_redirects_only_within_the_site(org, send, client, target, expected):
    note = send(recipients=[org.users.staff], dedupe_key="r")[0]
    client.force_login(org.users.staff)
    response = client.post(reverse("notifications:read", args=[note.pk]), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == expected
    assert Notification.objects.get(pk=note.pk).read_at is not None


def test_bulk_send_skips_people_already_told_and_mails_only_those_with_an_address(
        org, django_capture_on_commit_callbacks):
    with_mail = User.objects.create(username="bulk-a", email="a@example.edu.cn")
    without_mail = User.objects.create(username="bulk-b", email="")
    already = User.objects.create(username="bulk-c", email="c@example.edu.cn")
    services.notification_send(recipients=[already], verb="test.bulk", title="早到的",
                               dedupe_key="bulk:1", email=False)
    people = [(u.pk, u.email) for u in (with_mail, without_mail, already)]

    with django_capture_on_commit_callbacks(execute=True):
        told = services.notification_send_bulk(
            recipients=people, verb="test.bulk", title="宿舍消防安全测验已开放",
            dedupe_key="bulk:1", email=True, batch_size=2)  # two batches

    assert told == 2
    rows = Notification.objects.filter(dedupe_key="bulk:1")
    assert sorted(rows.values_list("recipient__username", flat=True)) == [
        "bulk-a", "bulk-b", "bulk-c"]
    assert rows.get(recipient=already).title == "早到的"  # not told twice
    email = dict(Delivery.objects.filter(notification__dedupe_key="bulk:1",
                                         channel=Delivery.Channel.EMAIL)
                 .values_list("notification__recipient__username", "state"))
    assert email == {"bulk-a": Delivery.State.SENT, "bulk-b": Delivery.State.SKIPPED}
    assert [m.to for m in mail.outbox] == [["a@example.edu.cn"]]
    # a second run tells nobody
    assert services.notification_send_bulk(recipients=people, verb="test.bulk", title="x",
                                           dedupe_key="bulk:1") == 0
