"""Notification channels as people click them: the office administrator adds a WeCom group
robot pointing at a fake webhook server on loopback and sends a test message (desktop
1440×900); a user sets quiet hours on the phone (390×844). Screenshots go to /tmp/shots."""

import datetime as dt

import pytest

from safecampus.notifications.models import GroupRobot, NotificationPreference
from safecampus.notifications.tests.fake_servers import FakeServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def test_admin_adds_a_wecom_robot_and_sends_a_test_message(browsing, org, settings):
    # the fake server is plain http on loopback: allowed for this test only
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "ROBOT_ALLOW_HTTP": True,
                           "ROBOT_ALLOW_PRIVATE": True, "ROBOT_ALLOW_ANY_HOST": True}
    with FakeServer() as hook:
        page = browsing.login("admin1", "desktop")
        page.click("#nav-account")
        page.click("text=通知渠道")
        page.click("text=群机器人")
        page.click("#add-robot")
        page.fill("input[name=name]", "保卫处值班群")
        page.select_option("select[name=kind]", "wecom")
        page.fill("input[name=webhook_url]", hook.url + "/cgi-bin/webhook/send?key=demo")
        page.check("input[name=topics][value=alerts]")
        page.check("input[name=topics][value=hazards]")
        with page.expect_navigation():
            page.click("#save-robot")
        assert "群机器人“保卫处值班群”已保存。" in page.content()
        with page.expect_navigation():
            page.click("#robot-list button.robot-test")
        assert "发往“保卫处值班群”的测试消息：已发送。" in page.inner_text("main")
        assert hook.requests[0]["json"]["msgtype"] == "markdown"
        assert "平安校园测试消息" in hook.requests[0]["json"]["markdown"]["content"]
        assert browsing.overflow(page) == 0
        browsing.shot(page, "robot-tested")
        page.goto("/notifications/deliveries/?channel=robot")
        assert "已发送" in page.inner_text("#delivery-list")
        browsing.shot(page, "delivery-log")
    assert sorted(GroupRobot.objects.get().topics) == ["alerts", "hazards"]


def test_user_sets_quiet_hours_on_the_phone(browsing, org):
    page = browsing.login("student1", "phone", next_url="/notifications/preferences/")
    page.fill("input[name=quiet_start]", "22:00")
    page.fill("input[name=quiet_end]", "22:00")
    with page.expect_navigation():
        page.click("#save-preferences")
    assert "免打扰时段的开始和结束时间不能相同。" in page.inner_text("#preferences-form")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "quiet-hours-error")
    page.fill("input[name=quiet_end]", "07:00")
    with page.expect_navigation():
        page.click("#save-preferences")
    assert "通知设置已保存。" in page.inner_text("main")
    pref = NotificationPreference.objects.get(user=org.users.student)
    assert (pref.quiet_start, pref.quiet_end) == (dt.time(22), dt.time(7))
    assert browsing.overflow(page) == 0
    browsing.shot(page, "quiet-hours-saved")
