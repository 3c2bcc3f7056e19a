"""The office pages of the notification channels: group robots and the delivery log."""

import pytest
from django.urls import reverse

from safecampus.notifications import services
from safecampus.notifications.models import Delivery, GroupRobot, Notification, RobotMessage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("channel_settings")]


def test_only_office_admins_manage_robots_and_the_office_reads_the_log(org, client):
    users = org.users
    for user, robots, log in [(users.admin, 200, 200), (users.staff, 403, 200),
                              (users.leadership, 403, 403), (users.student, 403, 403)]:
        client.force_login(user)
        assert client.get(reverse("notifications:robots")).status_code == robots
        assert client.get(reverse("notifications:robot_create")).status_code == robots
        assert client.get(reverse("notifications:deliveries")).status_code == log


def test_add_robot_with_a_bad_address_then_a_good_one_and_test_it(org, client, hook):
    client.force_login(org.users.admin)
    url = reverse("notifications:robot_create")
    answer = client.post(url, {"name": "保卫处值班群", "kind": "wecom",
                               "webhook_url": "qyapi.weixin.qq.com/send", "topics": ["alerts"]})
    assert answer.status_code == 200
    assert "请填写 Webhook 地址：以 https:// 开头并包含主机名。" in (
        answer.content.decode())
    assert not GroupRobot.objects.exists()
    answer = client.post(url, {"name": "保卫处值班群", "kind": "wecom",
                               "webhook_url": hook.url + "/send?key=k",
                               "topics": ["alerts", "hazards"], "campus": org.campus1.pk,
                               "active": "on"})
    assert answer.status_code == 302
    robot = GroupRobot.objects.get()
    assert (robot.topics, robot.campus, robot.active) == (["alerts", "hazards"], org.campus1,
                                                         True)
    page = client.post(reverse("notifications:robot_test", args=[robot.pk]), follow=True)
    assert "发往“保卫处值班群”的测试消息：已发送。" in page.content.decode()
    hook.mode = "errcode"
    page = client.post(reverse("notifications:robot_test", args=[robot.pk]), follow=True)
    assert ("发往“保卫处值班群”的测试消息：发送失败——errcode 93000: invalid webhook url"
            in page.content.decode())
    client.post(reverse("notifications:robot_deactivate", args=[robot.pk]))
    robot.refresh_from_db()
    assert robot.active is False
    assert client.get(reverse("notifications:robot_edit", args=[999])).status_code == 404


def _rows(org, n):
    notes = Notification.objects.bulk_create(
        [Notification(recipient=org.users.staff, verb="t", title=f"通知{i}") for i in range(n)])
    Delivery.objects.bulk_create(
        [Delivery(notification=note, channel="email", state="failed" if i % 2 else "sent",
                  attempts=4, last_error="HTTP 500" if i % 2 else "")
         for i, note in enumerate(notes)])


@pytest.mark.parametrize("rows", [3, 60])
def test_delivery_log_filters_and_a_fixed_number_of_queries(org, client,
                                                             django_assert_num_queries, rows):
    _rows(org, rows)
    client.force_login(org.users.admin)
    client.get(reverse("notifications:deliveries"))  # warm the session and permissions
    # session, user, memberships (scope), unread counts, the page of rows
    with django_assert_num_queries(8):  # + three counts of failures
        page = client.get(reverse("notifications:deliveries"), {"channel": "email",
                                                                "state": "failed"})
    text = page.content.decode()
    assert text.count('data-state="failed"') == min(rows // 2, 50)
    assert 'data-state="sent"' not in text
    assert "原因： HTTP 500" in text or "原因：HTTP 500" in text


def test_retry_now_sends_a_failed_delivery_again(org, client, run_commit_fixture):
    run_commit_fixture(services.notification_send, recipients=[org.users.staff], verb="t",
                       title="补发")
    delivery = Delivery.objects.get(channel="email")
    Delivery.objects.filter(pk=delivery.pk).update(state="failed", attempts=4,
                                                   last_error="relay down")
    client.force_login(org.users.staff)  # reads the log but may not retry
    url = reverse("notifications:delivery_retry", args=["delivery", delivery.pk])
    assert client.post(url).status_code == 403
    client.force_login(org.users.admin)
    page = client.post(url, {"query": "channel=email&state=failed"}, follow=True)
    assert page.redirect_chain[-1][0] == reverse("notifications:deliveries") + (
        "?channel=email&state=failed")
    assert "已重新发送。" in page.content.decode()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    # a sent one cannot be "retried"
    page = client.post(url, follow=True)
    assert "只有发送失败的消息才能重新发送。" in page.content.decode()
    missing = reverse("notifications:delivery_retry", args=["robot", 999])
    assert client.post(missing).status_code == 404


def test_robot_messages_in_the_log_with_the_reason_and_retry(org, client, hook):
    robot = GroupRobot.objects.create(name="钉钉群", kind="dingtalk", webhook_url=hook.url,
                                      topics=["alerts"])
    message = RobotMessage.objects.create(robot=robot, title="预警", state="failed",
                                          attempts=4, last_error="超时（5 秒）")
    client.force_login(org.users.admin)
    page = client.get(reverse("notifications:deliveries"), {"channel": "robot"})
    text = page.content.decode()
    assert "钉钉群" in text and "超时（5 秒）" in text
    client.post(reverse("notifications:delivery_retry", args=["robot", message.pk]))
    message.refresh_from_db()
    assert message.state == "sent" and hook.requests[0]["json"]["msgtype"] == "markdown"
