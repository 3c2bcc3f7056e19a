"""The demo's safety work reports (安全工作月报), made through the real services after the
replay, when the year of data is in place.

- A monthly schedule for the whole university (sent on the 1st, from 07:00), recipients the
  office head and a university leader, and the last complete month's report of that schedule,
  asked for by the schedules' run and generated at once (``report_build``, the task's body)
  and sent to its recipients (in-app and e-mail with the PDF and the Word file).
- One campus report of the same month, asked for by office staff and generated at once.

``run()`` takes a few seconds (two reports: figures, charts, PDF and Word each); ``counts``
goes into the summary.
"""

from safecampus.accounts.models import User
from safecampus.dashboards.periods import PeriodKind, last_complete_period
from safecampus.notifications.models import Delivery, Notification
from safecampus.organisation.models import Campus
from safecampus.reports import services
from safecampus.reports.models import ReportSchedule, SafetyReport

HEAD = "office_head"
LEADER = "leadership"
STAFF = "inspector1"
SEND_DAY = 1


class ReportDemo:
    def __init__(self, now):
        self.now = now
        self.counts = {"schedules": 0, "done": 0, "sent_to": 0, "period": ""}

    def _generate(self, report: SafetyReport) -> SafetyReport:
        """Generate now (the task's body); the task queued on commit finds it done."""
        services.report_build(report_id=report.pk)
        report.refresh_from_db()
        return report

    def run(self) -> dict:
        people = {u.username: u for u in User.objects.filter(username__in=[HEAD, LEADER, STAFF])}
        schedule = services.schedule_create(
            actor=people[HEAD], name="全校安全工作月报", kind="month", campus_id=None,
            send_day=SEND_DAY, recipient_ids=[people[HEAD].pk, people[LEADER].pk])
        self.counts["schedules"] = 1
        period = last_complete_period(PeriodKind.MONTH)
        # The schedules' run as of this month's send day (07:00) or now, whichever is later.
        at = max(self.now, services.schedule_due_at(schedule, period))
        services.report_schedules_run(at=at)
        monthly = self._generate(SafetyReport.objects.get(schedule=schedule,
                                                          period_key=period.key))
        services.report_send(report_id=monthly.pk)  # at once (idempotent with the task's)
        self.counts["sent_to"] = Notification.objects.filter(
            dedupe_key=f"report:{monthly.pk}").count()
        campus = Campus.objects.order_by("sort_order", "id").first()
        campus_report = self._generate(services.report_request(
            actor=people[STAFF], period=period, campus_id=campus.pk))
        self.counts["done"] = sum(r.state == SafetyReport.State.DONE
                                  for r in (monthly, campus_report))
        self.counts["period"] = period.key
        self._backdate(schedule, [monthly.pk, campus_report.pk])
        return self.counts

    def _backdate(self, schedule, report_ids: list[int]) -> None:
        """``created_at`` is the demo's "now" (BaseModel fills it with the wall clock)."""
        ReportSchedule.objects.filter(pk=schedule.pk).update(created_at=self.now)
        SafetyReport.objects.filter(pk__in=report_ids).update(created_at=self.now)
        told = Notification.objects.filter(dedupe_key__in=[f"report:{pk}" for pk in report_ids])
        Delivery.objects.filter(notification__in=told).update(created_at=self.now)
        told.update(created_at=self.now)
