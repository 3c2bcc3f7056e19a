"""Notification channels, the second round: anonymous reporters stay anonymous in the log and
the admin, no database lock while sending, safe webhook addresses, the secret never shown,
the digest at 08:00 (or after the quiet hours), a bounded logging SMS provider, group chat
texts in the site language, the "incidents" topic and digest failures in the log."""

import datetime as dt
import re
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import translation

from safecampus.core import clock
from safecampus.core.errors import DomainError
from safecampus.notifications import services
from safecampus.notifications.models import (
    Delivery,
    Digest,
    GroupRobot,
    Notification,
    NotificationPreference,
    RobotMessage,
)
from safecampus.notifications.robots import mask_url, url_problem
from safecampus.notifications.sms import LoggingSmsProvider

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("channel_settings")]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def robot(url, *, kind="wecom", topics=("alerts",), secret="", active=True):
    return GroupRobot.objects.create(name=f"{kind} 值班群", kind=kind, webhook_url=url,
                                     secret=secret, topics=list(topics), active=active)


# --- 1. anonymous reporters ---------------------------------------------------------------------
def test_an_anonymous_reporter_is_not_named_in_the_log_or_the_admin(org, client,
                                                                    run_commit_fixture):
    from safecampus.hazards import services as hazards
    from safecampus.tests.factories import UserFactory

    hazard = run_commit_fixture(hazards.hazard_report, reporter=org.users.student,
                                title="匿名举报的隐患", category_id=org.fire.pk,
                                place_id=org.place_a.pk, is_anonymous=True)
    run_commit_fixture(hazards.hazard_reject, actor=org.users.staff, hazard_id=hazard.pk,
                       reason="不属实")
    told = Notification.objects.get(recipient=org.users.student,
                                    verb="hazards.reporter_update")
    assert told.private is True
    assert told.deliveries.filter(channel="email").exists()  # the row the log lists
    client.force_login(org.users.staff)
    page = client.get(reverse("notifications:deliveries")).content.decode()
    assert "匿名报告人" in page
    assert "匿名举报的隐患" not in page and str(org.users.student) not in page
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    listing = client.get(reverse("admin:notifications_notification_changelist"))
    assert listing.status_code == 200
    text = listing.content.decode()
    # (the office's own "new hazard report" row names the hazard, never the reporter)
    assert "匿名报告人" in text and "您的报告未予受理" not in text
    change = client.get(reverse("admin:notifications_notification_change", args=[told.pk]))
    assert change.status_code == 200
    text = change.content.decode()
    assert "匿名举报的隐患" not in text and "不属实" not in text
    assert str(org.users.student) not in text


def test_a_named_reporter_and_anonymous_concerns(org, run_commit_fixture):
    from safecampus.hazards import services as hazards

    hazard = run_commit_fixture(hazards.hazard_report, reporter=org.users.student,
                                title="具名隐患", category_id=org.fire.pk,
                                place_id=org.place_a.pk)
    run_commit_fixture(hazards.hazard_reject, actor=org.users.staff, hazard_id=hazard.pk,
                       reason="不属实")
    assert Notification.objects.get(recipient=org.users.student,
                                    verb="hazards.reporter_update").private is False
    # the services take the flag (community concerns pass it for anonymous ones)
    notes = services.notification_send(recipients=[org.users.student], verb="t", title="x",
                                       private=True)
    assert notes[0].private is True
    assert services.notification_send_bulk(recipients=[(org.users.staff.pk, "")], verb="t",
                                           title="y", dedupe_key="k", private=True) == 1
    assert Notification.objects.get(dedupe_key="k").private is True


# --- 2. no database lock while sending ------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_another_thread_writes_while_a_webhook_is_slow(org, hook, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "WEBHOOK_TIMEOUT_SECONDS": 3}
    hook.mode, hook.sleep_seconds = "sleep", 1.5
    hook.ok_body = None
    given = robot(hook.url + "/slow")
    message = RobotMessage.objects.create(robot=given, topic="alerts", title="t",
                                          next_attempt_at=clock.now())
    outcome = {}

    def send():
        try:
            outcome["row"] = services.robot_message_attempt(message_id=message.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=send)
    worker.start()
    try:
        deadline = time.monotonic() + 5
        while not hook.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        assert hook.requests, "the webhook was not called"
        # while the robot has not answered yet, another writer commits at once
        started = time.monotonic()
        note = Notification.objects.create(recipient=org.users.staff, verb="t", title="写入")
        GroupRobot.objects.filter(pk=given.pk).update(name="改名")
        assert time.monotonic() - started < 1.0
        # the message is claimed (a lease) while it is being sent: not due for anyone else
        claimed = RobotMessage.objects.get(pk=message.pk)
        assert claimed.attempts == 1 and claimed.next_attempt_at > clock.now()
        assert services.robot_message_attempt(message_id=message.pk).attempts == 1
        assert len(hook.requests) == 1
    finally:
        worker.join(10)
    assert note.pk and outcome["row"].state == "sent" and outcome["row"].attempts == 1


def test_email_has_a_timeout(settings):
    from config.settings import base

    assert base.EMAIL_TIMEOUT == 10


# --- 3. webhook addresses --------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    "https://127.0.0.1/x", "https://10.1.2.3/x", "https://169.254.169.254/latest/meta-data",
    "https://localhost/x", "https://[::1]/x", "https://192.168.0.8/x", "https://[::ffff:127.0.0.1]/x",
])
def test_internal_addresses_are_refused(url, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "ROBOT_ALLOW_PRIVATE": False}
    with translation.override("en"):
        assert url_problem(url) == ("The webhook address points to an internal network "
                                    "address, which is not allowed.")


def test_https_is_required_and_names_resolving_inside_are_refused(settings, org):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "ROBOT_ALLOW_PRIVATE": False,
                           "ROBOT_ALLOW_HTTP": False}
    with translation.override("en"):
        assert url_problem("http://qyapi.weixin.qq.com/x") == (
            "The webhook address must start with https://.")
        assert url_problem("https://8.8.8.8/x") == ""
        # a name is resolved when sending: localhost-like names resolve to loopback
        assert url_problem("https://ip6-localhost.localdomain.invalid/x").startswith(
            "The webhook host")
    with translation.override("zh-hans"), pytest.raises(DomainError) as error:
        services.robot_save(actor=org.users.admin, name="n", kind="wecom",
                            webhook_url="http://qyapi.weixin.qq.com/x", topics=["alerts"])
    assert error.value.field_errors == {"webhook_url": ["Webhook 地址必须以 https:// 开头。"]}


def test_a_refused_address_fails_at_once_and_nothing_is_posted(hook, settings,
                                                              run_commit_fixture):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "ROBOT_ALLOW_PRIVATE": False}
    robot(hook.url + "/x")
    [message] = run_commit_fixture(services.robot_broadcast, topic="alerts", title="t")
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 1)
    assert message.last_error == "Webhook 地址指向内部网络地址，不允许使用。"
    assert hook.requests == []


def test_redirects_are_not_followed_and_the_robot_message_is_cut(hook, run_commit_fixture):
    hook.mode, hook.raw_body = "raw", ""
    hook.redirect_to = "http://169.254.169.254/latest/meta-data"
    robot(hook.url + "/moved")
    [message] = run_commit_fixture(services.robot_broadcast, topic="alerts", title="t")
    message.refresh_from_db()
    assert message.last_error == "HTTP 302（请检查 Webhook 地址是否正确）"
    assert len(hook.requests) == 1
    hook.redirect_to = ""
    hook.mode, hook.ok_body = "ok", {"errcode": 40001, "errmsg": "x" * 5000}
    [second] = run_commit_fixture(services.robot_broadcast, topic="alerts", title="t2")
    second.refresh_from_db()
    assert second.last_error.startswith("errcode 40001: xxx")
    assert len(second.last_error) < 160


# --- 4. the secret and the token are never shown --------------------------------------------
def test_mask_url():
    assert mask_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-abcd"
                    ) == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…abcd"
    assert mask_url("https://open.feishu.cn/open-apis/bot/v2/hook/0123456789abcdef1234"
                    ) == "https://open.feishu.cn/open-apis/bot/v2/hook/…1234"


def test_the_edit_page_never_shows_the_secret_or_the_token(org, client, hook):
    secret, token = "SECabcdef0123456789", "tok-0123456789-wxyz"
    given = robot(f"{hook.url}/robot/send?access_token={token}", kind="dingtalk", secret=secret)
    client.force_login(org.users.admin)
    for url in (reverse("notifications:robot_edit", args=[given.pk]),
                reverse("notifications:robots")):
        page = client.get(url).content.decode()
        assert secret not in page and token not in page
    page = client.get(reverse("notifications:robot_edit", args=[given.pk])).content.decode()
    assert 'type="password"' in page and "留空则保持不变" in page
    assert "access_token=…wxyz" in client.get(reverse("notifications:robots")).content.decode()
    # saved with both fields empty: the stored address and secret are kept
    answer = client.post(reverse("notifications:robot_edit", args=[given.pk]), {
        "name": "改名", "kind": "dingtalk", "webhook_url": "", "secret": "",
        "topics": ["alerts"], "active": "on"})
    assert answer.status_code == 302
    given.refresh_from_db()
    assert (given.name, given.secret, given.webhook_url) == (
        "改名", secret, f"{hook.url}/robot/send?access_token={token}")
    client.post(reverse("notifications:robot_edit", args=[given.pk]), {
        "name": "改名", "kind": "dingtalk", "webhook_url": "", "secret": "",
        "clear_secret": "on", "topics": ["alerts"], "active": "on"})
    given.refresh_from_db()
    assert given.secret == ""


# --- 5. the digest at 08:00 or after the quiet hours --------------------------------------
def test_no_small_digest_in_the_afternoon(org, run_commit_fixture):
    user = org.users.contact_a
    NotificationPreference.objects.create(user=user, digest=True)
    with clock.frozen(local(2025, 5, 7, 13, 50)):
        run_commit_fixture(services.notification_send, recipients=[user], verb="t",
                           title="下午的通知")
    with clock.frozen(local(2025, 5, 7, 14, 0)):
        assert run_commit_fixture(services.digests_send) == 0
    with clock.frozen(local(2025, 5, 8, 7, 45)):
        assert run_commit_fixture(services.digests_send) == 0
    with clock.frozen(local(2025, 5, 8, 8, 0)):
        assert run_commit_fixture(services.digests_send) == 1
    assert Digest.objects.get().day == dt.date(2025, 5, 8)
    assert [m.subject for m in mail.outbox] == ["平安校园每日通知摘要：1 条通知"]


def test_digest_waits_for_the_end_of_the_quiet_hours(org, run_commit_fixture):
    user = org.users.contact_a
    NotificationPreference.objects.create(user=user, digest=True, quiet_start=dt.time(6),
                                          quiet_end=dt.time(9, 30))
    with clock.frozen(local(2025, 5, 6, 20, 0)):
        [note] = run_commit_fixture(services.notification_send, recipients=[user], verb="t",
                                    title="晚上的通知")
    held = note.deliveries.get(channel="email")
    assert held.state == "held" and held.next_attempt_at == local(2025, 5, 7, 9, 30)
    with clock.frozen(local(2025, 5, 7, 8, 0)):
        assert run_commit_fixture(services.digests_send) == 0
    with clock.frozen(local(2025, 5, 7, 9, 30)):
        assert run_commit_fixture(services.digests_send) == 1
    assert len(mail.outbox) == 1


def test_attachments_and_urgent_ones_are_never_held(org, run_commit_fixture):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    user = org.users.contact_a
    NotificationPreference.objects.create(user=user, digest=True)
    name = default_storage.save("reports/test/月报.pdf", ContentFile(b"%PDF-1.4"))
    with clock.frozen(local(2025, 5, 6, 10, 0)):
        [report] = run_commit_fixture(services.notification_send, recipients=[user],
                                      verb="reports.ready", title="五月月报",
                                      attachments=[name])
        [urgent] = run_commit_fixture(services.notification_send, recipients=[user],
                                      verb="t", title="紧急", urgent=True)
    assert report.deliveries.get(channel="email").state == "sent"
    assert urgent.deliveries.get(channel="email").state == "sent"
    assert [m.subject for m in mail.outbox] == ["五月月报", "紧急"]
    default_storage.delete(name)


def test_the_digest_task_runs_all_day():
    from safecampus.notifications.tasks import send_digests

    assert send_digests.task_class().validate_datetime(dt.datetime(2025, 5, 7, 9, 30))
    assert send_digests.task_class().validate_datetime(dt.datetime(2025, 5, 7, 2, 15))


# --- 6. the logging SMS provider keeps a bounded list ------------------------------------------
def test_logging_sms_provider_keeps_the_last_messages_only():
    provider = LoggingSmsProvider()
    for n in range(LoggingSmsProvider.KEEP + 20):
        provider.send("13800138000", f"短信{n}")
    assert len(LoggingSmsProvider.sent) == LoggingSmsProvider.KEEP
    assert LoggingSmsProvider.sent[-1][1] == f"短信{LoggingSmsProvider.KEEP + 19}"


# --- 7. group chat texts in the site language ----------------------------------------------
def test_major_hazard_robot_message_is_in_the_site_language(org, hook, run_commit_fixture):
    from safecampus.hazards import services as hazards

    robot(hook.url + "/h", topics=("hazards",))
    with translation.override("en"):  # the reporter uses the English interface
        run_commit_fixture(hazards.hazard_report, reporter=org.users.student,
                           title="配电箱冒烟", category_id=org.fire.pk,
                           place_id=org.place_a.pk, grade="major")
    message = RobotMessage.objects.get(topic="hazards")
    assert message.title == "重大隐患上报：配电箱冒烟"


# --- 8. the incidents topic -------------------------------------------------------------------
def test_a_recorded_incident_reaches_the_incidents_robots(org, hook, run_commit_fixture):
    from safecampus.patrols.services import duty as patrols

    robot(hook.url + "/i", topics=("incidents",))
    with translation.override("en"):
        incident = run_commit_fixture(patrols.incident_record, actor=org.users.staff,
                                      category="theft", summary="电动车被盗，车主张三",
                                      campus_id=org.campus1.pk)
    message = RobotMessage.objects.get(topic="incidents")
    assert message.title.startswith(f"新警情 {incident.reference}：")
    assert "张三" not in message.title + message.body  # the summary stays in the system
    assert message.state == "sent" and len(hook.requests) == 1


# --- 9. digest failures in the delivery log ----------------------------------------------------
def test_failed_digests_are_in_the_log_and_can_be_retried(org, client, run_commit_fixture):
    user = org.users.contact_a
    digest = Digest.objects.create(user=user, day=dt.date(2025, 5, 7), items=3,
                                   state="failed", attempts=4, last_error="SMTP 超时")
    client.force_login(org.users.admin)
    page = client.get(reverse("notifications:deliveries") + "?channel=digest").content.decode()
    assert "2025-05-07 每日摘要 · 3 条" in page and "SMTP 超时" in page
    answer = client.post(reverse("notifications:delivery_retry", args=["digest", digest.pk]))
    assert answer.status_code == 302
    digest.refresh_from_db()
    assert digest.state == "sent" and digest.attempts == 1
    assert Delivery.objects.count() == 0


# --- review of the pages -------------------------------------------------------------------------
def test_saving_preferences_with_a_mobile_number_through_the_page(org, client):
    user = org.users.student
    client.force_login(user)
    url = reverse("notifications:preferences")
    answer = client.post(url, {"email_enabled": "on", "sms_enabled": "on", "phone": "12345"})
    assert answer.status_code == 200
    assert "短信需要中国大陆手机号：以 1 开头的 11 位数字。" in answer.content.decode()
    answer = client.post(url, {"email_enabled": "on", "sms_enabled": "on",
                               "phone": "138 0013 8000"})
    assert answer.status_code == 302
    user.refresh_from_db()
    assert user.phone and NotificationPreference.objects.get(user=user).sms_enabled


def test_robot_address_on_the_kinds_host_a_topic_and_a_unique_name(org, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "ROBOT_ALLOW_ANY_HOST": False}
    admin = org.users.admin
    with translation.override("zh-hans"), pytest.raises(DomainError) as error:
        services.robot_save(actor=admin, name="n", kind="wecom",
                            webhook_url="https://example.com/hook", topics=[])
    assert error.value.field_errors == {
        "webhook_url": ["此类机器人的地址应在 qyapi.weixin.qq.com 上，请从群机器人设置中复制。"],
        "topics": ["至少选择一个主题。"]}
    services.robot_save(actor=admin, name="值班群", kind="feishu", topics=["alerts"],
                        webhook_url="https://open.feishu.cn/open-apis/bot/v2/hook/abc")
    with translation.override("zh-hans"), pytest.raises(DomainError) as error:
        services.robot_save(actor=admin, name="值班群", kind="dingtalk", topics=["alerts"],
                            webhook_url="https://oapi.dingtalk.com/robot/send?access_token=x")
    assert error.value.field_errors == {"name": ["已有同名的群机器人。"]}


def test_the_log_names_the_page_and_links_failures_of_every_channel(org, client, hook):
    RobotMessage.objects.create(robot=robot(hook.url + "/x"), topic="test", title="测试",
                                state="failed", attempts=1, last_error="HTTP 501")
    client.force_login(org.users.staff)
    page = client.get(reverse("notifications:deliveries")).content.decode()
    assert "通知渠道" in page and 'href="?channel=robot&amp;state=failed">群机器人 1' in page
    form = client.get(reverse("notifications:robot_create"))
    assert form.status_code == 403
    client.force_login(org.users.admin)
    form = client.get(reverse("notifications:robot_create")).content.decode()
    assert re.search(r'for="id_name"[^>]*>\s*名称', form), "the robot's name is 名称"


# --- final fixes -----------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "url", "message"), [
    ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
     "企业微信机器人的地址必须包含 key=…，请从群机器人设置中复制完整地址。"),
    ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=",
     "企业微信机器人的地址必须包含 key=…，请从群机器人设置中复制完整地址。"),
    ("dingtalk", "https://oapi.dingtalk.com/robot/send?key=abc",
     "钉钉机器人的地址必须包含 access_token=…，请从群机器人设置中复制完整地址。"),
    ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/",
     "飞书机器人的地址路径必须是 /open-apis/bot/v2/hook/<id>，请从群机器人设置中复制完整地址。"),
    ("feishu", "https://open.feishu.cn/other/abc",
     "飞书机器人的地址路径必须是 /open-apis/bot/v2/hook/<id>，请从群机器人设置中复制完整地址。"),
])
def test_a_robot_address_without_its_token_is_refused(org, settings, kind, url, message):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "ROBOT_ALLOW_ANY_HOST": False}
    with translation.override("zh-hans"), pytest.raises(DomainError) as error:
        services.robot_save(actor=org.users.admin, name="n", kind=kind, webhook_url=url,
                            topics=["alerts"])
    assert error.value.field_errors == {"webhook_url": [message]}
    assert not GroupRobot.objects.exists()
    services.robot_save(actor=org.users.admin, name="企业微信群", kind="wecom", topics=["alerts"],
                        webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1")


def test_a_deactivated_robot_offers_reactivate_and_no_test_message(org, client, hook):
    given = robot(hook.url + "/x", active=False)
    client.force_login(org.users.admin)
    with translation.override("zh-hans"):
        page = client.get(reverse("notifications:robots")).content.decode()
    test_url = reverse("notifications:robot_test", args=[given.pk])
    again_url = reverse("notifications:robot_reactivate", args=[given.pk])
    assert test_url not in page and "发送测试消息" not in page
    assert again_url in page and "重新启用" in page
    assert client.get(again_url).status_code == 405
    client.force_login(org.users.staff)
    assert client.post(again_url).status_code == 403
    given.refresh_from_db()
    assert given.active is False
    client.force_login(org.users.admin)
    answer = client.post(again_url, follow=True)
    given.refresh_from_db()
    assert given.active is True
    page = answer.content.decode()
    assert f"群机器人“{given.name}”已重新启用，将再次接收消息。" in page
    assert test_url in page and again_url not in page


def test_invalid_delivery_filters_are_reported(org, client):
    client.force_login(org.users.admin)
    with translation.override("zh-hans"):
        page = client.get(reverse("notifications:deliveries"),
                          {"channel": "zzz", "state": "failed"}).content.decode()
    assert "以下筛选条件无效，未生效：" in page
    assert re.search(r'id="filter-errors".*<strong>渠道</strong>', page)
    assert "<strong>状态</strong>" not in page
    page = client.get(reverse("notifications:deliveries"), {"state": "zzz"}).content.decode()
    assert "<strong>状态</strong>" in page
    page = client.get(reverse("notifications:deliveries"), {"state": "failed"}).content.decode()
    assert "以下筛选条件无效" not in page


def test_without_an_email_address_the_email_choices_are_disabled(org, client):
    user = org.users.student
    user.email = ""
    user.save(update_fields=["email"])
    NotificationPreference.objects.create(user=user, email_enabled=True, digest=True)
    client.force_login(user)
    url = reverse("notifications:preferences")
    page = client.get(url).content.decode()
    assert "您的账号没有电子邮箱地址，无法向您发送邮件。" in page
    for name in ("email_enabled", "digest"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert "disabled" in tag and "checked" not in tag
    # a forged tick changes nothing; the stored choice is kept
    assert client.post(url, {"email_enabled": "on", "digest": "on"}).status_code == 302
    pref = NotificationPreference.objects.get(user=user)
    assert (pref.email_enabled, pref.digest) == (True, True)
    user.email = "s@example.com"
    user.save(update_fields=["email"])
    tag = re.search(r'<input[^>]*name="email_enabled"[^>]*>',
                    client.get(url).content.decode()).group(0)
    assert "disabled" not in tag and "checked" in tag
