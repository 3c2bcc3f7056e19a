"""Notification channels: group robots against a fake webhook server on loopback, retries
with back-off, independent channels, quiet hours, the daily digest, preferences, SMS
providers (Tencent Cloud against a fake API) and e-mail attachments."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import translation

from safecampus.core import clock
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.notifications import services
from safecampus.notifications.models import (
    Delivery,
    Digest,
    GroupRobot,
    NotificationPreference,
    RobotMessage,
)
from safecampus.notifications.sms import (
    DeliveryError,
    LoggingSmsProvider,
    SmsProvider,
    TencentCloudSmsProvider,
)

from .fake_servers import FakeServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("channel_settings")]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def robot(url, *, kind="wecom", topics=("alerts",), campus=None, secret="", active=True):
    return GroupRobot.objects.create(name=f"{kind} 值班群", kind=kind, webhook_url=url,
                                     secret=secret, topics=list(topics), campus=campus,
                                     active=active)


@pytest.fixture
def run_commit(django_capture_on_commit_callbacks):
    """Run ``fn`` and then its on-commit callbacks (the tasks; huey is immediate here)."""
    def run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)
    return run


# --- group robots -------------------------------------------------------------------------
def test_wecom_message_is_markdown_with_the_title_and_an_absolute_link(hook, org, run_commit):
    given = robot(hook.url + "/cgi-bin/webhook/send?key=abc")
    # when a warning topic is broadcast
    [message] = run_commit(services.robot_broadcast, topic="alerts", title="暴雨橙色预警",
                           body="请各单位做好防汛准备", url="/notifications/alerts/3/")
    # then the group robot got one markdown message with the title and a full link
    assert len(hook.requests) == 1
    sent = hook.requests[0]
    assert sent["path"] == "/cgi-bin/webhook/send" and sent["query"] == {"key": ["abc"]}
    assert sent["json"]["msgtype"] == "markdown"
    content = sent["json"]["markdown"]["content"]
    assert content.startswith("## 暴雨橙色预警\n请各单位做好防汛准备")
    assert "(https://safe.example.edu/notifications/alerts/3/)" in content
    message.refresh_from_db()
    assert (message.robot, message.state, message.attempts) == (given, "sent", 1)
    assert json.loads(message.response) == {"errcode": 0, "errmsg": "ok"}


def test_broadcast_reaches_only_active_robots_of_the_topic_and_campus(hook, org, run_commit):
    everywhere = robot(hook.url + "/all")
    north = robot(hook.url + "/north", campus=org.campus1)
    robot(hook.url + "/south", campus=org.campus2)
    robot(hook.url + "/patrols", topics=("patrols",))
    robot(hook.url + "/off", active=False)
    messages = run_commit(services.robot_broadcast, topic="alerts", title="t",
                          campus_id=org.campus1.pk)
    assert {m.robot for m in messages} == {everywhere, north}
    assert sorted(r["path"] for r in hook.requests) == ["/all", "/north"]
    # a message of no campus goes to every robot of the topic
    assert len(services.robot_broadcast(topic="alerts", title="t")) == 3
    assert services.robot_broadcast(topic="reports", title="t") == []


def test_dingtalk_signature_verifies(hook, org, run_commit):
    secret = "SEC0123456789abcdef"
    robot(hook.url + "/robot/send?access_token=tok", kind="dingtalk", secret=secret)
    run_commit(services.robot_broadcast, topic="alerts", title="消防演练", body="周五下午")
    sent = hook.requests[0]
    stamp = sent["query"]["timestamp"][0]
    expected = base64.b64encode(hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(),
                                         hashlib.sha256).digest()).decode()
    # parse_qs has already url-decoded the sign
    assert sent["query"]["sign"] == [expected]
    assert sent["query"]["access_token"] == ["tok"]
    assert abs(int(stamp) / 1000 - clock.now().timestamp()) < 60
    assert sent["json"]["msgtype"] == "markdown"
    assert sent["json"]["markdown"]["title"] == "消防演练"
    assert sent["json"]["markdown"]["text"].startswith("### 消防演练\n\n周五下午")
    assert RobotMessage.objects.get().state == "sent"


def test_feishu_signature_in_body_and_code_answer(hook, org, run_commit):
    secret = "feishu-secret"
    robot(hook.url + "/open-apis/bot/v2/hook/x", kind="feishu", secret=secret)
    hook.ok_body = {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
    [message] = run_commit(services.robot_broadcast, topic="alerts", title="t", body="b")
    sent = hook.requests[0]["json"]
    key = f"{sent['timestamp']}\n{secret}".encode()
    assert sent["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert sent["msg_type"] == "text" and sent["content"]["text"] == "t\nb"
    message.refresh_from_db()
    with translation.override("en"):
        assert message.state == "pending" and message.last_error == (
            "code 19021: sign match fail or timestamp is not within one hour")
    # the old-style answer counts as success
    hook.ok_body = {"StatusCode": 0, "StatusMessage": "success"}
    with clock.frozen(clock.now() + dt.timedelta(minutes=2)):
        services.deliveries_send_due()
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == ("sent", 2, "")


@pytest.mark.parametrize(("mode", "reason"), [
    ("http500", "HTTP 500"),
    ("errcode", "errcode 93000: invalid webhook url"),
    ("sleep", "超时（1 秒）"),
])
def test_failing_webhook_is_retried_with_back_off_then_failed_with_the_reason(
        hook, org, run_commit, mode, reason):
    robot(hook.url)
    hook.mode, hook.sleep_seconds = mode, 1.6
    start = clock.now().replace(microsecond=0)
    with clock.frozen(start):
        [message] = run_commit(services.robot_broadcast, topic="alerts", title="t")
    message.refresh_from_db()
    # then the first failure waits 1 minute, with the reason in the site language
    assert (message.state, message.attempts, message.last_error) == ("pending", 1, reason)
    assert message.next_attempt_at == start + dt.timedelta(minutes=1)
    # nothing is tried before the back-off has passed
    with clock.frozen(start + dt.timedelta(seconds=59)):
        assert services.deliveries_send_due()["robot_messages"] == 0
    # then after 1, 5 and 30 more minutes; the 4th failure is final
    at = start
    for n, wait in enumerate((1, 5, 30), start=2):
        at += dt.timedelta(minutes=wait)
        with clock.frozen(at):
            services.deliveries_send_due()
        message.refresh_from_db()
        assert message.attempts == n
    assert (message.state, message.next_attempt_at, message.last_error) == (
        "failed", None, reason)
    assert len(hook.requests) == 4
    # a failed message is never tried again by the sender
    with clock.frozen(at + dt.timedelta(days=1)):
        assert services.deliveries_send_due()["robot_messages"] == 0
    assert len(hook.requests) == 4


def test_unreachable_webhook_is_a_failed_attempt(org, run_commit):
    with FakeServer() as gone:
        url = gone.url
    robot(url)  # nobody listens there any more
    [message] = run_commit(services.robot_broadcast, topic="alerts", title="t")
    message.refresh_from_db()
    assert message.state == "pending"
    assert message.last_error == "无法连接到机器人地址，请检查 Webhook 地址和服务器网络。"


def test_robot_test_message_reports_the_outcome_once(hook, org):
    given = robot(hook.url, active=False)
    assert services.robot_test(actor=org.users.admin, robot_id=given.pk).state == "sent"
    assert "SafeCampus" in hook.requests[0]["json"]["markdown"]["content"] or (
        "平安校园" in hook.requests[0]["json"]["markdown"]["content"])
    hook.mode = "http500"
    failed = services.robot_test(actor=org.users.admin, robot_id=given.pk)
    assert (failed.state, failed.attempts, failed.last_error) == ("failed", 1, "HTTP 500")
    with pytest.raises(NotAllowed):
        services.robot_test(actor=org.users.staff, robot_id=given.pk)


def test_robot_save_checks_the_input(org):
    admin = org.users.admin
    with translation.override("en"), pytest.raises(DomainError) as error:
        services.robot_save(actor=admin, name=" ", kind="slack", webhook_url="ftp://x/y",
                            topics=["alerts", "gossip"])
    assert error.value.field_errors == {
        "name": ["Give the robot a name."], "kind": ["Choose the kind of robot."],
        "webhook_url": ["Enter the webhook address: https:// and a host."],
        "topics": ["Choose topics from the list."]}
    with pytest.raises(DomainError):
        services.robot_save(actor=admin, name="n", kind="wecom", webhook_url="https:///path")
    assert not GroupRobot.objects.exists()
    with pytest.raises(NotAllowed):
        services.robot_save(actor=org.users.staff, name="n", kind="wecom",
                            webhook_url="https://qyapi.weixin.qq.com/x")
    saved = services.robot_save(actor=admin, name=" 值班群 ", kind="wecom",
                                webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
                                "?key=1", topics=["alerts", "alerts", "hazards"],
                                campus_id=org.campus1.pk)
    assert (saved.name, saved.topics, saved.campus) == ("值班群", ["alerts", "hazards"],
                                                       org.campus1)
    assert services.robot_deactivate(actor=admin, robot_id=saved.pk).active is False


def test_alert_send_and_major_hazard_reach_the_group(hook, org, run_commit):
    from safecampus.hazards.services import hazard_report

    robot(hook.url, topics=("alerts", "hazards"), campus=org.campus1)
    run_commit(services.alert_send, sender=org.users.admin, title="电信诈骗预警",
               body="冒充客服退款", level="warning", audience_kind="campus",
               audience_campus_id=org.campus1.pk)
    assert "电信诈骗预警" in hook.requests[-1]["json"]["markdown"]["content"]
    run_commit(hazard_report, reporter=org.users.student, title="配电箱冒烟",
               category_id=org.electrical.pk, campus_id=org.campus1.pk, grade="major",
               is_anonymous=True)
    content = hook.requests[-1]["json"]["markdown"]["content"]
    assert content.startswith("## 重大隐患上报：配电箱冒烟\n北校区 · 用电安全")
    assert "student1" not in content
    # an ordinary hazard is not broadcast
    run_commit(hazard_report, reporter=org.users.student, title="灯不亮",
               category_id=org.electrical.pk, campus_id=org.campus1.pk)
    assert len(hook.requests) == 2


# --- e-mail, SMS: independent channels ------------------------------------------------------
class BrokenSms(SmsProvider):
    calls: list = []

    def send(self, phone, text):
        self.calls.append(phone)
        raise DeliveryError("网关拒绝")


def sms_user(user, phone="13800138000", **prefs):
    user.phone = phone
    user.save(update_fields=["phone"])
    NotificationPreference.objects.create(user=user, sms_enabled=True, **prefs)
    return user


def test_sms_failure_leaves_the_email_sent_and_a_rerun_resends_nothing(org, run_commit,
                                                                       settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "SMS_PROVIDER":
                           "safecampus.notifications.tests.test_channels.BrokenSms"}
    BrokenSms.calls = []
    user = sms_user(org.users.contact_a)
    start = clock.now()
    with clock.frozen(start):
        [note] = run_commit(services.notification_send, recipients=[user], verb="t",
                            title="整改通知")
    states = dict(note.deliveries.values_list("channel", "state"))
    assert states == {"in_app": "sent", "email": "sent", "sms": "pending"}
    assert len(mail.outbox) == 1 and BrokenSms.calls == ["13800138000"]
    for minutes in (1, 6, 36, 600):
        with clock.frozen(start + dt.timedelta(minutes=minutes)):
            services.deliveries_send_due()
    sms = note.deliveries.get(channel="sms")
    assert (sms.state, sms.attempts, sms.last_error) == ("failed", 4, "网关拒绝")
    # the e-mail was sent once and stays sent
    assert note.deliveries.get(channel="email").state == "sent"
    assert len(mail.outbox) == 1 and len(BrokenSms.calls) == 4


def test_email_failure_leaves_the_sms_sent(org, run_commit, monkeypatch):
    from django.core.mail import EmailMessage

    def down(self, fail_silently=False):
        raise ConnectionRefusedError("relay down")

    monkeypatch.setattr(EmailMessage, "send", down)
    user = sms_user(org.users.contact_a)
    [note] = run_commit(services.notification_send, recipients=[user], verb="t", title="通知")
    states = dict(note.deliveries.values_list("channel", "state"))
    assert states == {"in_app": "sent", "email": "pending", "sms": "sent"}
    assert note.deliveries.get(channel="sms").reference.startswith("log-")
    assert LoggingSmsProvider.sent[-1][:2] == ("13800138000", "通知")
    # when the relay is back the e-mail goes; the SMS is not sent twice
    monkeypatch.undo()
    with clock.frozen(clock.now() + dt.timedelta(minutes=2)):
        services.deliveries_send_due()
    assert note.deliveries.get(channel="email").state == "sent"
    assert len(LoggingSmsProvider.sent) == 1


def test_sms_only_when_turned_on_with_a_phone(org, run_commit):
    users = org.users
    users.staff.phone = "13900000000"
    users.staff.save(update_fields=["phone"])  # has a phone but never turned SMS on
    sms_user(users.leader_a, phone="")  # turned SMS on but the phone is gone
    notes = run_commit(services.notification_send, recipients=[users.staff, users.leader_a],
                       verb="t", title="x")
    assert not Delivery.objects.filter(notification__in=notes, channel="sms").exists()


# --- attachments --------------------------------------------------------------------------
def test_attachments_go_with_the_email_with_names_and_types(org, run_commit):
    pdf = default_storage.save("reports/2025-05/月报.pdf", ContentFile(b"%PDF-1.7 test"))
    docx = default_storage.save("reports/2025-05/monthly.docx", ContentFile(b"PK\x03\x04"))
    [note] = run_commit(services.notification_send, recipients=[org.users.leadership],
                        verb="reports.ready", title="五月安全月报", attachments=[pdf, docx])
    assert note.attachments == [pdf, docx]
    [message] = mail.outbox
    assert [(name, mime) for name, _content, mime in message.attachments] == [
        ("月报.pdf", "application/pdf"),
        ("monthly.docx",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    assert message.attachments[0][1] == b"%PDF-1.7 test"


def test_missing_attachment_fails_the_email_only_with_the_reason(org, run_commit):
    user = sms_user(org.users.leadership)
    [note] = run_commit(services.notification_send, recipients=[user], verb="reports.ready",
                        title="月报", attachments=["reports/gone.pdf"])
    email = note.deliveries.get(channel="email")
    assert (email.state, email.attempts) == ("failed", 1)
    assert email.last_error == "附件 reports/gone.pdf 不存在。"
    assert note.deliveries.get(channel="sms").state == "sent"
    assert mail.outbox == []


# --- quiet hours --------------------------------------------------------------------------
@pytest.mark.parametrize(("start", "end", "at", "until"), [
    ((22, 0), (7, 0), local(2025, 5, 6, 23, 30), local(2025, 5, 7, 7, 0)),  # evening part
    ((22, 0), (7, 0), local(2025, 5, 7, 6, 59), local(2025, 5, 7, 7, 0)),  # morning part
    ((22, 0), (7, 0), local(2025, 5, 7, 7, 0), None),  # the end is not quiet
    ((22, 0), (7, 0), local(2025, 5, 6, 21, 59), None),
    ((22, 0), (7, 0), local(2025, 5, 6, 22, 0), local(2025, 5, 7, 7, 0)),  # start is quiet
    ((12, 0), (14, 0), local(2025, 5, 6, 13, 0), local(2025, 5, 6, 14, 0)),  # same day
    ((12, 0), (14, 0), local(2025, 5, 6, 15, 0), None),
])
def test_quiet_until(start, end, at, until):
    pref = NotificationPreference(quiet_start=dt.time(*start), quiet_end=dt.time(*end))
    # the instant may come in UTC: the quiet hours are local
    assert services.quiet_until(pref, at.astimezone(dt.UTC)) == until
    assert services.quiet_until(NotificationPreference(), at) is None


def test_quiet_hours_hold_non_urgent_email_and_sms_but_not_urgent(org, run_commit):
    user = sms_user(org.users.contact_a, quiet_start=dt.time(22), quiet_end=dt.time(7))
    night = local(2025, 5, 6, 23, 15)
    with clock.frozen(night):
        [held] = run_commit(services.notification_send, recipients=[user], verb="t",
                            title="普通通知", dedupe_key="a")
        [urgent] = run_commit(services.notification_send, recipients=[user], verb="t",
                              title="紧急通知", dedupe_key="b", urgent=True)
    morning = local(2025, 5, 7, 7, 0)
    # the in-app copy is immediate; e-mail and SMS wait for 07:00 unless urgent
    for channel in ("email", "sms"):
        waiting = held.deliveries.get(channel=channel)
        assert (waiting.state, waiting.attempts, waiting.next_attempt_at) == (
            "pending", 0, morning)
        assert urgent.deliveries.get(channel=channel).state == "sent"
    assert held.deliveries.get(channel="in_app").state == "sent"
    assert [m.subject for m in mail.outbox] == ["紧急通知"]
    with clock.frozen(morning - dt.timedelta(minutes=1)):
        services.deliveries_send_due()
    assert len(mail.outbox) == 1
    with clock.frozen(morning):
        assert services.deliveries_send_due()["deliveries"] == 2
    assert [m.subject for m in mail.outbox] == ["紧急通知", "普通通知"]
    assert {d.state for d in held.deliveries.all()} == {"sent"}


def test_urgent_bulk_warning_ignores_quiet_hours(org, run_commit):
    user = org.users.contact_a
    NotificationPreference.objects.create(user=user, quiet_start=dt.time(22),
                                          quiet_end=dt.time(7))
    with clock.frozen(local(2025, 5, 6, 23, 0)):
        run_commit(services.alert_send, sender=org.users.admin, title="紧急预警", body="b",
                   level="urgent", audience_kind="everyone")
    assert user.email in [m.to[0] for m in mail.outbox]


def test_email_turned_off_is_skipped_with_the_reason(org, run_commit):
    user = org.users.contact_a
    NotificationPreference.objects.create(user=user, email_enabled=False)
    [note] = run_commit(services.notification_send, recipients=[user], verb="t", title="x")
    email = note.deliveries.get(channel="email")
    assert email.state == "skipped" and email.last_error == "收件人在通知设置中关闭了邮件。"
    assert mail.outbox == []


# --- daily digest -------------------------------------------------------------------------
def test_digest_once_per_user_and_day(org, run_commit):
    user = org.users.contact_a
    NotificationPreference.objects.create(user=user, digest=True)
    day1 = local(2025, 5, 6, 10, 0)
    with clock.frozen(day1):
        run_commit(services.notification_send, recipients=[user], verb="t", title="通知一")
        run_commit(services.notification_send, recipients=[user], verb="t", title="通知二")
        run_commit(services.notification_send, recipients=[user], verb="t", title="紧急",
                   urgent=True)
    # only the urgent one went at once; the others are held
    assert [m.subject for m in mail.outbox] == ["紧急"]
    assert Delivery.objects.filter(channel="email", state="held").count() == 2
    with clock.frozen(local(2025, 5, 7, 8, 0)):
        assert run_commit(services.digests_send) == 1
        # a re-run (or an overlapping run) the same day sends nothing
        assert run_commit(services.digests_send) == 0
        run_commit(services.notification_send, recipients=[user], verb="t", title="通知三")
        assert run_commit(services.digests_send) == 0
    digest = Digest.objects.get()
    assert (digest.user, digest.day, digest.items, digest.state) == (
        user, dt.date(2025, 5, 7), 2, "sent")
    assert set(Delivery.objects.filter(digest=digest).values_list("state", flat=True)) == {
        "digested"}
    assert len(mail.outbox) == 2
    text = mail.outbox[1].body
    assert mail.outbox[1].subject == "平安校园每日通知摘要：2 条通知"
    assert re.search(r"^- \d\d-\d\d \d\d:\d\d 通知一$", text, re.M)
    assert "通知二" in text and not re.search(r" 紧急$", text, re.M)
    # the one held after today's digest goes out the next day
    with clock.frozen(local(2025, 5, 8, 8, 0)):
        assert run_commit(services.digests_send) == 1
    assert "通知三" in mail.outbox[2].body


# --- preferences --------------------------------------------------------------------------
def test_preferences_validation(org):
    user = org.users.student
    cases = [
        ({"quiet_start": dt.time(22), "quiet_end": None},
         {"quiet_end": ["Give both the start and the end of the quiet hours, or neither."]}),
        ({"quiet_start": dt.time(22), "quiet_end": dt.time(22)},
         {"quiet_end": ["Quiet hours cannot start and end at the same time."]}),
        ({"sms_enabled": True}, {"phone": ["Text messages need a mobile phone number."]}),
        ({"phone": "138-abc"},
         {"phone": ["Enter a phone number (digits, with spaces, +, - or brackets)."]}),
    ]
    for given, errors in cases:
        args = {"email_enabled": True, "sms_enabled": False, "digest": False,
                "quiet_start": None, "quiet_end": None, **given}
        with translation.override("en"), pytest.raises(DomainError) as error:
            services.preference_update(user=user, **args)
        assert error.value.field_errors == errors
    assert not NotificationPreference.objects.exists()
    pref = services.preference_update(user=user, email_enabled=False, sms_enabled=True,
                                      digest=True, quiet_start=dt.time(22),
                                      quiet_end=dt.time(7), phone="１３８ ００００ ００００")
    user.refresh_from_db()
    assert user.phone == "138 0000 0000"
    assert (pref.email_enabled, pref.sms_enabled, pref.digest) == (False, True, True)


def test_preferences_page(org, client):
    from django.urls import reverse

    client.force_login(org.users.student)
    url = reverse("notifications:preferences")
    page = client.get(url)
    assert page.status_code == 200 and "免打扰时段" in page.content.decode()
    answer = client.post(url, {"email_enabled": "on", "quiet_start": "22:00",
                               "quiet_end": "22:00"})
    assert "免打扰时段的开始和结束时间不能相同。" in answer.content.decode()
    assert not NotificationPreference.objects.exists()
    answer = client.post(url, {"email_enabled": "on", "quiet_start": "22:00",
                               "quiet_end": "07:00"})
    assert answer.status_code == 302
    pref = NotificationPreference.objects.get(user=org.users.student)
    assert (pref.quiet_start, pref.quiet_end) == (dt.time(22), dt.time(7))


# --- SMS providers ------------------------------------------------------------------------
TENCENT_OK = {"Response": {"SendStatusSet": [{
    "SerialNo": "5000:1045710669157053657849499619", "PhoneNumber": "+8613800138000",
    "Fee": 1, "SessionContext": "", "Code": "Ok", "Message": "send success",
    "IsoCode": "CN"}], "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"}}


def tencent(server, **more):
    return TencentCloudSmsProvider({
        "TENCENT_SMS_SECRET_ID": "AKIDtest", "TENCENT_SMS_SECRET_KEY": "key",
        "TENCENT_SMS_APP_ID": "1400000000", "TENCENT_SMS_SIGN": "西部交通大学",
        "TENCENT_SMS_TEMPLATE_ID": "449739", "TENCENT_SMS_REGION": "ap-guangzhou",
        "TENCENT_SMS_ENDPOINT": server.url, "SMS_TIMEOUT_SECONDS": 1, **more})


def test_tencent_cloud_sms_against_a_fake_api(hook):
    hook.ok_body = TENCENT_OK
    assert tencent(hook).send("138 0013 8000", "化学楼整改通知请签收") == (
        "5000:1045710669157053657849499619")
    sent = hook.requests[0]
    assert sent["headers"]["X-TC-Action"] == "SendSms"
    assert sent["headers"]["X-TC-Version"] == "2021-01-11"
    assert sent["headers"]["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtest/")
    assert sent["json"] == {"PhoneNumberSet": ["+8613800138000"], "SmsSdkAppId": "1400000000",
                            "SignName": "西部交通大学", "TemplateId": "449739",
                            "TemplateParamSet": ["化学楼整改通知请签收"]}


def test_tencent_cloud_sms_errors_have_the_reason(hook):
    hook.ok_body = {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure",
                                           "Message": "The provided credentials could not be "
                                                      "validated."}, "RequestId": "x"}}
    with translation.override("en"), pytest.raises(DeliveryError) as error:
        tencent(hook).send("13800138000", "t")
    assert error.value.reason == ("SMS provider error AuthFailure.SignatureFailure: The "
                                  "provided credentials could not be validated.")
    status = json.loads(json.dumps(TENCENT_OK))
    status["Response"]["SendStatusSet"][0].update(Code="LimitExceeded.PhoneNumberDailyLimit",
                                                  Message="daily limit")
    hook.ok_body = status
    with translation.override("en"), pytest.raises(DeliveryError) as error:
        tencent(hook).send("13800138000", "t")
    assert error.value.reason == (
        "SMS provider error LimitExceeded.PhoneNumberDailyLimit: daily limit")


def test_tencent_provider_through_the_dispatcher(hook, org, run_commit, settings):
    hook.ok_body = TENCENT_OK
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, **tencent(hook).config,
                           "SMS_PROVIDER":
                           "safecampus.notifications.sms.TencentCloudSmsProvider"}
    user = sms_user(org.users.contact_a)
    [note] = run_commit(services.notification_send, recipients=[user], verb="t", title="通知")
    sms = note.deliveries.get(channel="sms")
    assert sms.last_error == ""
    assert (sms.state, sms.reference) == ("sent", "5000:1045710669157053657849499619")
