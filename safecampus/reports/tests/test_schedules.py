"""Schedules: the daily run asks once for the last complete month's (or quarter's) report,
generates it and sends it to each recipient once, with the PDF and the Word file attached;
the checks of a schedule; quarterly schedules send only after a quarter."""


import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from safecampus.accounts.models import Membership, Role
from safecampus.core.activity import activity_for
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.notifications.models import (
    GroupRobot,
    Notification,
    NotificationPreference,
    RobotMessage,
)
from safecampus.reports import services
from safecampus.reports.models import ReportSchedule, SafetyReport
from safecampus.tests.factories import user_with_role
from safecampus.tests.pages import login

from .helpers import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def schedule(november):
    users = november.users
    return services.schedule_create(
        actor=users.admin, name="北校区月报", kind="month", campus_id=november.campus1.pk,
        send_day=5, recipient_ids=[users.staff.pk, users.leadership.pk])


def test_the_daily_run_twice_makes_one_report_and_tells_each_recipient_once(
        november, schedule, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.report_schedules_run(at=local(2026, 12, 5, 7))
    with django_capture_on_commit_callbacks(execute=True):
        second = services.report_schedules_run(at=local(2026, 12, 5, 7))
    assert first == {"requested": 1, "retried": 0, "resent": 0} and second == {
        "requested": 0, "retried": 0, "resent": 0}
    report = SafetyReport.objects.get()
    assert (report.schedule, report.period_key, report.campus, report.state) == (
        schedule, "2026-11", november.campus1, SafetyReport.State.DONE)
    assert report.sent_at is not None and report.requested_by is None
    told = Notification.objects.filter(dedupe_key=f"report:{report.pk}")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["leader1", "staff1"]
    note = told.first()
    assert note.verb == "reports.ready"
    assert note.title == "西部交通大学 北校区 安全工作月报（2026年11月）已生成"
    assert note.url == f"/reports/{report.pk}/"
    assert len(mail.outbox) == 2
    message = mail.outbox[0]
    assert message.subject == "西部交通大学 北校区 安全工作月报（2026年11月）已生成"
    names = sorted(name for name, _content, _type in message.attachments)
    assert [n.rsplit(".", 1)[1] for n in names] == ["docx", "pdf"]
    contents = {name.rsplit(".", 1)[1]: content for name, content, _t in message.attachments}
    assert contents["pdf"].startswith(b"%PDF") and contents["docx"].startswith(b"PK")


def test_a_resend_after_a_lost_sending_tells_nobody_twice(
        november, schedule, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.report_schedules_run(at=local(2026, 12, 5, 7))
    report = SafetyReport.objects.get()
    SafetyReport.objects.filter(pk=report.pk).update(sent_at=None)  # the sending was lost
    with django_capture_on_commit_callbacks(execute=True):
        again = services.report_schedules_run(at=local(2026, 12, 5, 7))
    assert again == {"requested": 0, "retried": 0, "resent": 0}  # all had been told already
    assert Notification.objects.filter(dedupe_key=f"report:{report.pk}").count() == 2


def test_other_days_and_stopped_schedules_ask_for_nothing(
        november, schedule, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_schedules_run(at=local(2026, 12, 4, 7))["requested"] == 0
        services.schedule_deactivate(actor=november.users.admin, schedule_id=schedule.pk)
        assert services.report_schedules_run(at=local(2026, 12, 5, 7))["requested"] == 0
    assert not SafetyReport.objects.exists()
    assert [e.verb for e in activity_for(schedule)] == ["reports.schedule_create",
                                                        "reports.schedule_deactivate"]


def test_a_quarterly_schedule_sends_after_the_quarter(november,
                                                      django_capture_on_commit_callbacks):
    services.schedule_create(actor=november.users.admin, name="全校季报", kind="quarter",
                             send_day=3, recipient_ids=[november.users.leadership.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_schedules_run(at=local(2026, 12, 3, 7))["requested"] == 0
        assert services.report_schedules_run(at=local(2027, 1, 3, 7))["requested"] == 1
    report = SafetyReport.objects.get()
    assert (report.kind, report.period_key, report.campus) == ("quarter", "2026-Q4", None)


def test_the_schedule_checks(november):
    users = november.users
    with pytest.raises(DomainError) as caught:
        services.schedule_create(actor=users.admin, name=" ", kind="week", send_day=31,
                                 recipient_ids=[users.student.pk])
    assert caught.value.field_errors == {
        "name": ["请填写计划名称。"], "kind": ["请选择月报或季报。"],
        "send_day": ["请选择 1 至 28 日中的一天。"],
        "recipients": ["报告只能发送给保卫处工作人员和校领导。"]}
    with pytest.raises(DomainError) as caught:
        services.schedule_create(actor=users.admin, name="月报", kind="month", send_day=1)
    assert caught.value.field_errors == {"recipients": ["请至少选择一位接收人。"]}
    with pytest.raises(NotAllowed):
        services.schedule_create(actor=users.staff, name="月报", kind="month", send_day=1,
                                 recipient_ids=[users.staff.pk])
    assert not ReportSchedule.objects.exists()


def test_a_schedule_is_changed_and_stopped(november, schedule):
    users = november.users
    other = user_with_role(Role.OFFICE_ADMIN, username="admin2")
    changed = services.schedule_update(actor=users.admin, schedule_id=schedule.pk, name="全校月报",
                                       kind="month", campus_id=None, send_day=2,
                                       recipient_ids=[other.pk], active=False)
    assert (changed.name, changed.campus, changed.send_day, changed.active) == (
        "全校月报", None, 2, False)
    assert list(changed.recipients.all()) == [other]


# --- who may receive a schedule's reports ----------------------------------------------------
def test_a_schedule_refuses_a_recipient_who_may_not_read_its_reports(november, client):
    """A leader limited to the south campus cannot receive the whole university's reports
    nor the north campus's; the form names them and nothing is saved."""
    users = november.users
    south_leader = user_with_role(Role.LEADERSHIP, campus=november.campus2, username="s_leader")
    south_leader.full_name = "南校区王书记"
    south_leader.save()
    with pytest.raises(DomainError) as caught:
        services.schedule_create(actor=users.admin, name="全校月报", kind="month", send_day=1,
                                 recipient_ids=[users.leadership.pk, south_leader.pk])
    assert caught.value.field_errors == {"recipients": [
        "南校区王书记只能查看本校区的报告，不能接收全校报告；请选择校区或其他接收人。"]}
    with translation.override("en"), pytest.raises(DomainError) as caught:
        services.schedule_create(actor=users.admin, name="北校区月报", kind="month", send_day=1,
                                 campus_id=november.campus1.pk, recipient_ids=[south_leader.pk])
    assert caught.value.field_errors == {"recipients": [
        "南校区王书记 may not read the reports of 北校区."]}
    assert not ReportSchedule.objects.exists()
    # Their own campus is fine.
    services.schedule_create(actor=users.admin, name="南校区月报", kind="month", send_day=1,
                             campus_id=november.campus2.pk, recipient_ids=[south_leader.pk])
    # The page shows the error on the recipients field.
    login(client, users.admin)
    with translation.override("en"):
        page = client.post(reverse("reports:schedule_create"), {
            "name": "全校月报", "kind": "month", "campus": "", "send_day": "1",
            "recipients": [south_leader.pk]}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.context["form"].errors["recipients"] == [
        "南校区王书记 may read only the reports of their own campus, not the whole "
        "university's; choose a campus or another recipient."]
    assert ReportSchedule.objects.count() == 1


def test_sending_skips_and_records_a_recipient_who_may_no_longer_read_it(
        november, django_capture_on_commit_callbacks):
    """The leader was moved to the south campus after the whole-university schedule was
    saved: at send time they get nothing (no e-mail, no files); it is recorded."""
    users = november.users
    schedule = services.schedule_create(
        actor=users.admin, name="全校月报", kind="month", send_day=5,
        recipient_ids=[users.staff.pk, users.leadership.pk])
    Membership.objects.filter(user=users.leadership).update(campus=november.campus2)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.report_schedules_run(at=local(2026, 12, 5, 7))
    report = SafetyReport.objects.get(schedule=schedule)
    assert report.state == SafetyReport.State.DONE and report.sent_at is not None
    told = Notification.objects.filter(dedupe_key=f"report:{report.pk}")
    assert list(told.values_list("recipient__username", flat=True)) == ["staff1"]
    assert [m.to for m in mail.outbox] == [[users.staff.email]]
    skipped = activity_for(report).get(verb="reports.recipients_skipped")
    assert skipped.data == {"users": [users.leadership.pk]}
    assert skipped.comment == (users.leadership.full_name or users.leadership.username)


# --- missed runs, 07:00, retries ---------------------------------------------------------------
def test_the_run_is_due_from_seven_and_catches_up_later_in_the_month(
        november, schedule, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_schedules_run(at=local(2026, 12, 5, 6, 59))["requested"] == 0
        assert services.report_schedules_run(at=local(2026, 12, 4, 23))["requested"] == 0
        # The consumer was down on the 5th: the run of the 9th makes November's report.
        assert services.report_schedules_run(at=local(2026, 12, 9, 3))["requested"] == 1
        assert services.report_schedules_run(at=local(2026, 12, 9, 4))["requested"] == 0
    report = SafetyReport.objects.get()
    assert (report.period_key, report.state) == ("2026-11", SafetyReport.State.DONE)


def test_a_quarterly_schedule_catches_up_only_in_its_send_month(
        november, django_capture_on_commit_callbacks):
    services.schedule_create(actor=november.users.admin, name="全校季报", kind="quarter",
                             send_day=3, recipient_ids=[november.users.leadership.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_schedules_run(at=local(2027, 2, 10, 8))["requested"] == 0
        assert services.report_schedules_run(at=local(2027, 1, 20, 8))["requested"] == 1
    assert SafetyReport.objects.get().period_key == "2026-Q4"


def test_a_failed_scheduled_report_is_retried_a_few_times_and_the_office_is_told(
        november, schedule, django_capture_on_commit_callbacks, monkeypatch, settings):
    from safecampus.reports import documents

    def broken(*args, **kwargs):
        raise OSError("disk full")

    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "REPORT_AUTO_RETRIES": 2}
    monkeypatch.setattr(documents, "report_pdf", broken)
    results = []
    for hour in (7, 8, 9, 10):
        with django_capture_on_commit_callbacks(execute=True):
            results.append(services.report_schedules_run(at=local(2026, 12, 5, hour)))
    assert [(r["requested"], r["retried"]) for r in results] == [(1, 0), (0, 1), (0, 1), (0, 0)]
    report = SafetyReport.objects.get()
    assert (report.state, report.failures) == (SafetyReport.State.FAILED, 3)
    told = Notification.objects.filter(verb="reports.failed").order_by("pk")
    assert [n.recipient.username for n in told] == ["admin1"] * 3
    assert told[0].title == "西部交通大学 北校区 安全工作月报（2026年11月）未能生成"
    assert told[0].body == ("计划“北校区月报”：OSError: disk full 将在下一次整点运行时自动重试。")
    assert told[2].body.endswith("不再自动重试，请在报告页面手动重试。")
    assert told[0].url == f"/reports/{report.pk}/"
    assert not Notification.objects.filter(verb="reports.ready").exists()
    # The fault is gone: a retry by hand generates and sends it.
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.report_retry(actor=november.users.staff, report_id=report.pk)
    report.refresh_from_db()
    assert report.state == SafetyReport.State.DONE and report.sent_at is not None
    assert Notification.objects.filter(verb="reports.ready").count() == 2


# --- robots and the digest -----------------------------------------------------------------
def test_a_ready_report_is_posted_to_the_robots_of_the_reports_topic(
        november, schedule, django_capture_on_commit_callbacks):
    listening = GroupRobot.objects.create(name="保卫处工作群", kind="wecom", topics=["reports"],
                                          webhook_url="http://127.0.0.1:9/hook")
    GroupRobot.objects.create(name="隐患群", kind="wecom", topics=["hazards"],
                              webhook_url="http://127.0.0.1:9/hook2")
    GroupRobot.objects.create(name="南校区群", kind="wecom", topics=["reports"],
                              campus=november.campus2, webhook_url="http://127.0.0.1:9/hook3")
    with django_capture_on_commit_callbacks(execute=True):
        services.report_schedules_run(at=local(2026, 12, 5, 7))
    with django_capture_on_commit_callbacks(execute=True):
        services.report_send(report_id=SafetyReport.objects.get().pk)  # again: posted once
    report = SafetyReport.objects.get()
    message = RobotMessage.objects.get()
    assert (message.robot, message.topic) == (listening, "reports")
    assert message.title == "西部交通大学 北校区 安全工作月报（2026年11月）已生成"
    assert message.body == "西部交通大学 北校区 安全工作月报（2026年11月）已生成，请在报告页面查看。"
    assert message.url.endswith(f"/reports/{report.pk}/")


def test_a_recipient_with_the_daily_digest_gets_the_files_at_once(
        november, schedule, django_capture_on_commit_callbacks):
    """The report e-mail says "attached": it is not swallowed by the daily digest."""
    users = november.users
    NotificationPreference.objects.create(user=users.leadership, digest=True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.report_schedules_run(at=local(2026, 12, 5, 7))
    to_leader = [m for m in mail.outbox if m.to == [users.leadership.email]]
    assert len(to_leader) == 1
    assert sorted(n.rsplit(".", 1)[1] for n, _c, _t in to_leader[0].attachments) == [
        "docx", "pdf"]
