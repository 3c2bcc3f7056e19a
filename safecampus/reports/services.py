"""Safety work reports, writes: ask for a report, generate it in steps, retry, send it, and
the schedules that ask for the monthly and quarterly reports.

- :func:`report_request` creates a queued report and, after the transaction commits, queues
  the task ``report_generate`` (the page that asked returns at once).
- :func:`report_build` (the task's body) moves the report queued → running, computes the
  figures, draws the charts, writes the PDF and the Word file and moves it to done; each
  step writes ``progress``/``step`` in a short transaction of its own so that the report's
  page shows them. Any error moves it to failed with the error kept; :func:`report_retry`
  queues it again.
- :func:`reports_sweep_stuck` (every 10 minutes) marks failed the queued or running reports
  silent for longer than ``SAFECAMPUS["REPORT_STUCK_MINUTES"]`` (a worker killed mid-build,
  a lost task), so that no page polls forever and a schedule's period is not blocked.
- :func:`report_schedules_run` (every hour; a schedule is due from 07:00 local time on its
  ``send_day``) asks, once, for the report of the last complete month or quarter of every
  active schedule that is due, catching up later runs when the consumer was down, and
  retries its failed report a few times; :func:`report_send` tells the recipients who may
  read it when it is done (both files attached to the e-mail) and the group robots of the
  topic "reports". The office administrators are told when a scheduled report fails.

Errors: :class:`DomainError` with field errors (nothing written), :class:`NotAllowed`,
:class:`Conflict` (the report's state does not allow it).
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from safecampus.accounts.models import Role, User
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import (
    Conflict,
    DomainError,
    NotAllowed,
    field_error,
    perm_require,
    raise_field_errors,
    text_checked,
)
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.dashboards.periods import Period, last_complete_period, parse_period
from safecampus.organisation.models import Campus

from .models import ReportSchedule, SafetyReport

log = logging.getLogger(__name__)

REQUEST_SCOPE = "reports.report_request"
NAME_MAX = 100
#: Progress (%) written when each step is done (the page's progress bar).
PROGRESS = {"started": 5, "figures": 20, "charts": 50, "pdf": 75, "word": 95, "done": 100}
#: Who may receive scheduled reports: people who may read them (office and leadership).
RECIPIENT_ROLES = (Role.OFFICE_ADMIN, Role.OFFICE_STAFF, Role.LEADERSHIP)
#: Local hour of a schedule's send day from which its report is due.
SEND_HOUR = 7
#: A report in progress this long without a sign of life shows "taking longer than usual".
SLOW_AFTER = dt.timedelta(minutes=3)


def stuck_minutes() -> int:
    return int(settings.SAFECAMPUS.get("REPORT_STUCK_MINUTES", 30))


def auto_retries() -> int:
    return int(settings.SAFECAMPUS.get("REPORT_AUTO_RETRIES", 2))


def msg_future_period() -> str:
    return _("This period has not started yet; choose a period up to today.")


def earliest_day() -> dt.date:
    """The first local day a report may cover: 1 January 2000 unless
    ``SAFECAMPUS["REPORT_EARLIEST_DAY"]`` (an ISO date) says otherwise. No record of a
    platform like this one predates it, so a period before it (a typo such as 1900-01) can
    only give an empty report."""
    configured = settings.SAFECAMPUS.get("REPORT_EARLIEST_DAY")
    return dt.date.fromisoformat(configured) if configured else dt.date(2000, 1, 1)


def msg_before_earliest(day: dt.date) -> str:
    return _("This period starts before %(date)s, earlier than any record this platform can "
             "hold; choose a period from %(date)s on.") % {"date": day.isoformat()}


def msg_custom_after_today() -> str:
    return _("The last day is after today; choose days up to today.")


def msg_not_failed() -> str:
    return _("Only a report whose generation failed can be retried.")


def msg_stuck(minutes: int) -> str:
    return _("The generation stopped: no progress for %(minutes)d minutes (the report worker "
             "may have stopped). Retry it.") % {"minutes": minutes}


def msg_recipient_cannot_read(person, campus) -> str:
    name = person.full_name or person.username
    if campus is None:
        return _("%(name)s may read only the reports of their own campus, not the whole "
                 "university's; choose a campus or another recipient.") % {"name": name}
    return _("%(name)s may not read the reports of %(campus)s.") % {
        "name": name, "campus": campus.name}


# --- asking for a report ---------------------------------------------------------------------
def _campus_checked(actor, campus_id, errors: dict) -> Campus | None:
    if campus_id in (None, ""):
        campus = None
    else:
        pk = id_or_none(campus_id)
        campus = Campus.objects.filter(pk=pk).first() if pk else None
        if campus is None:
            errors["campus"] = [_("This campus does not exist.")]
            return None
    scoped = actor is not None and actor.scope.campus_ids
    if scoped and (campus is None or campus.pk not in actor.scope.campus_ids):
        errors["campus"] = [_("You can ask only for reports of your own campus.")]
    return campus


def _days_after_today(key: str, today: dt.date) -> None:
    """For a key of chosen days (``2026-11-01..2099-11-01``): raise the "not started" or
    "after today" refusal before the key is parsed, so that it is what a period both too
    long and in the future is refused for (choosing days up to today mends both)."""
    first, sep, last = str(key or "").strip().partition("..")
    try:
        days = (dt.date.fromisoformat(first), dt.date.fromisoformat(last)) if sep else None
    except ValueError:
        days = None  # parse_period says what is wrong with it
    if days and days[0] <= days[1]:
        if days[0] > today:
            raise field_error("period", msg_future_period())
        if days[1] > today:
            raise field_error("period", msg_custom_after_today())


def period_checked(period: Period | str, *, today: dt.date | None = None) -> Period:
    """``period`` (a :class:`Period` or its key such as ``2026-11``) if it has started by
    ``today`` (local), for chosen days ends by today (both checked before the length of
    chosen days), and starts no earlier than :func:`earliest_day`. Raises DomainError
    (field ``period``)."""
    today = today or clock.local_today()
    if not isinstance(period, Period):
        _days_after_today(period, today)
        period = parse_period(period)
    if period.first > today:
        raise field_error("period", msg_future_period())
    if period.kind == "custom" and period.last > today:
        raise field_error("period", msg_custom_after_today())
    if period.first < earliest_day():
        raise field_error("period", msg_before_earliest(earliest_day()))
    return period


def report_request(*, actor, period: Period | str, campus_id: int | None = None,
                   idempotency_key: str | None = None) -> SafetyReport:
    """Ask for the report of ``period`` (a :class:`Period` or its key: ``2026-11``,
    ``2026-Q4``, ``2026-11-01..2026-11-15``; local days, started by today) for ``campus_id``
    (None: the whole university). Returns the queued report; generation starts after the
    transaction commits. The same ``idempotency_key`` by the same actor returns the first
    report. Needs ``reports.generate_report``; a campus-scoped actor asks only for their
    campus. Raises DomainError (fields ``period``, ``campus``)."""
    perm_require(actor, "reports.generate_report")
    existing = idempotency_lookup(scope=REQUEST_SCOPE, key=idempotency_key,
                                  model=SafetyReport, user=actor)
    if existing is not None:
        return existing
    errors: dict[str, list[str]] = {}
    try:
        period = period_checked(period)
    except DomainError as error:
        errors.update(error.field_errors or {"period": [error.message]})
    campus = _campus_checked(actor, campus_id, errors)
    raise_field_errors(errors)
    with transaction.atomic():
        report = _report_create(period=period, campus=campus, actor=actor)
        winner = idempotency_race_lost(scope=REQUEST_SCOPE, key=idempotency_key, user=actor,
                                       result=report)
        if winner is not None:
            return winner
    return report


def _report_create(*, period: Period, campus, actor=None, schedule=None) -> SafetyReport:
    """Insert a queued report and queue its generation after commit (inside a transaction)."""
    report = SafetyReport.objects.create(
        kind=period.kind, period_first=period.first, period_last=period.last,
        period_key=period.key, campus=campus, requested_by=actor, schedule=schedule,
        heartbeat_at=clock.now())
    activity_record(target=report, actor=actor, verb="reports.request",
                    to_state=SafetyReport.State.QUEUED, data={"period": period.key})
    _queue(report.pk)
    return report


def _queue(report_id: int) -> None:
    from .tasks import report_generate

    transaction.on_commit(lambda: report_generate(report_id))


def report_retry(*, actor, report_id) -> SafetyReport:
    """Queue a failed report again (its error is cleared). Needs ``reports.generate_report``
    on the report. Raises Conflict when the report has not failed."""
    with transaction.atomic():
        report = _locked(report_id)
        perm_require(actor, "reports.generate_report")
        if not actor.has_perm("reports.view_report", report):
            raise NotAllowed()
        if not can_proceed(report.retry):
            raise Conflict(msg_not_failed(), code="not_failed")
        _requeue(report, actor=actor)
    return report


def _requeue(report: SafetyReport, *, actor) -> None:
    """Failed → queued again, error cleared, generation queued after commit (locked row)."""
    report.retry()
    report.error, report.progress, report.step = "", 0, SafetyReport.Step.WAITING
    report.heartbeat_at = clock.now()
    report.save()
    activity_record(target=report, actor=actor, verb="reports.retry",
                    from_state=SafetyReport.State.FAILED, to_state=report.state)
    _queue(report.pk)


def _locked(report_id) -> SafetyReport:
    pk = id_or_none(report_id)
    report = SafetyReport.objects.select_for_update().filter(pk=pk).first() if pk else None
    if report is None:
        raise DomainError(_("This report does not exist."), code="not_found")
    return report


# --- generating ------------------------------------------------------------------------------
def _progress(report_id: int, step: str, progress: int) -> None:
    """Write the step and progress in a short transaction of its own (seen by the page)."""
    with transaction.atomic():
        SafetyReport.objects.filter(pk=report_id, state=SafetyReport.State.RUNNING).update(
            step=step, progress=progress, heartbeat_at=clock.now(), updated_at=clock.now())


def _file_stem(report: SafetyReport) -> str:
    key = re.sub(r"[^0-9A-Za-z-]+", "_", report.period_key)
    return f"safety-report-{report.pk}-{key}"


def report_build(*, report_id: int) -> SafetyReport | None:
    """Generate a queued report (the task's body; the system acts, no permission check).

    Steps and progress: figures 20 %, charts 50 %, PDF 75 %, Word 95 %, done 100 %. A report
    that is not queued (another worker took it, or it is done) is left alone and None is
    returned. Never raises for a failure of the generation itself: the report ends failed
    with the error kept, and is returned."""
    from . import documents
    from .content import report_content
    from .selectors import report_figures

    with transaction.atomic():
        report = SafetyReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None or not can_proceed(report.start):
            return None
        report.start()
        report.progress, report.step = PROGRESS["started"], SafetyReport.Step.FIGURES
        report.heartbeat_at = clock.now()
        report.save()
        activity_record(target=report, actor=None, verb="reports.start",
                        from_state=SafetyReport.State.QUEUED, to_state=report.state)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            period = report.period
            read = report_figures(period=period, campus_id=report.campus_id)
            content = report_content(kind=report.kind, period=period,
                                     campus_id=report.campus_id, figures=read["figures"],
                                     tables=read["tables"], closed_trend=read["closed"])
            _progress(report.pk, SafetyReport.Step.CHARTS, PROGRESS["figures"])
            pngs = documents.chart_pngs(content)
            _progress(report.pk, SafetyReport.Step.PDF, PROGRESS["charts"])
            generated_at = clock.now()
            pdf = documents.report_pdf(content, pngs, generated_at=generated_at)
            _progress(report.pk, SafetyReport.Step.WORD, PROGRESS["pdf"])
            docx = documents.report_docx(content, pngs, generated_at=generated_at)
            _progress(report.pk, SafetyReport.Step.SAVING, PROGRESS["word"])
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the report
        log.exception("safety report %s failed", report_id)
        return report_fail(report_id=report.pk, error=f"{type(exc).__name__}: {exc}")
    with transaction.atomic():
        report = SafetyReport.objects.select_for_update().get(pk=report.pk)
        if not can_proceed(report.finish):
            return report
        stem = _file_stem(report)
        report.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
        report.docx.save(f"{stem}.docx", ContentFile(docx), save=False)
        report.finish()
        report.progress, report.step = PROGRESS["done"], SafetyReport.Step.DONE
        report.is_empty, report.generated_at = content.is_empty, generated_at
        report.save()
        activity_record(target=report, actor=None, verb="reports.finish",
                        from_state=SafetyReport.State.RUNNING, to_state=report.state,
                        data={"empty": content.is_empty})
        if report.schedule_id:
            from .tasks import report_deliver

            transaction.on_commit(lambda pk=report.pk: report_deliver(pk))
    return report


def report_fail(*, report_id: int, error: str) -> SafetyReport | None:
    """Move a queued or running report to failed, keeping ``error`` and counting the failure
    (the system acts). The office administrators who may read it are told when it is a
    scheduled report."""
    with transaction.atomic():
        report = SafetyReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None or not can_proceed(report.fail):
            return report
        before = report.state
        report.fail()
        report.error = error[:4000]
        report.failures += 1
        report.save()
        activity_record(target=report, actor=None, verb="reports.fail", from_state=before,
                        to_state=report.state, comment=report.error[:500])
        if report.schedule_id:
            _tell_office_failed(report)
    return report


def office_admins_for(report: SafetyReport) -> list[User]:
    """Active office administrators who may read ``report``."""
    people = User.objects.filter(is_active=True, memberships__role=Role.OFFICE_ADMIN).distinct()
    return [p for p in people.order_by("pk") if p.has_perm("reports.view_report", report)]


def _tell_office_failed(report: SafetyReport) -> None:
    from safecampus.notifications.services import notification_send

    from .content import report_title

    with translation.override(settings.LANGUAGE_CODE):
        title = report_title(kind=report.kind, scope_name=report.campus.name
                             if report.campus else "", period=report.period)
        body = _("Schedule “%(schedule)s”: %(error)s") % {
            "schedule": report.schedule.name, "error": report.error[:300]}
        if report.failures <= auto_retries():
            body += " " + _("It will be tried again automatically at the next hourly run.")
        else:
            body += " " + _("It will not be tried again automatically; retry it on the "
                            "report's page.")
        notification_send(
            recipients=office_admins_for(report), verb="reports.failed",
            title=_("%(title)s could not be generated") % {"title": title}, body=body,
            url=reverse("reports:detail", args=[report.pk]),
            dedupe_key=f"report-failed:{report.pk}:{report.failures}")


def reports_sweep_stuck(*, now: dt.datetime | None = None) -> int:
    """Mark failed every queued or running report without a sign of life (``heartbeat_at``)
    for longer than ``SAFECAMPUS["REPORT_STUCK_MINUTES"]`` (30) minutes: a worker killed
    mid-build or a lost task. A worker that wakes up later finds it failed and stops.
    Returns how many were marked."""
    minutes = stuck_minutes()
    limit = (now or clock.now()) - dt.timedelta(minutes=minutes)
    ids = list(SafetyReport.objects.filter(
        state__in=[SafetyReport.State.QUEUED, SafetyReport.State.RUNNING],
        heartbeat_at__lt=limit).values_list("pk", flat=True))
    with translation.override(settings.LANGUAGE_CODE):
        error = msg_stuck(minutes)
    marked = 0
    for pk in ids:
        with transaction.atomic():
            # Looked at again under the lock: it may have moved on since.
            fresh = SafetyReport.objects.select_for_update().filter(
                pk=pk, heartbeat_at__lt=limit).exists()
            if fresh and report_fail(report_id=pk, error=error).state == "failed":
                marked += 1
    return marked


# --- sending ---------------------------------------------------------------------------------
def report_send(*, report_id: int) -> int:
    """Tell the recipients of a done scheduled report who may read it (in-app and e-mail with
    the PDF and the Word file attached). Idempotent: each recipient is told once per report
    (dedupe key ``report:<id>``). The first sending also records the recipients left out
    (they may not read the report, e.g. a leader of one campus on a whole-university
    schedule; activity ``reports.recipients_skipped``) and tells the group robots of the
    topic "reports". Returns how many were told now."""
    from safecampus.notifications.services import notification_send, robot_broadcast

    from .content import report_title

    report = SafetyReport.objects.select_related("schedule", "campus").filter(
        pk=report_id).first()
    if report is None or report.schedule is None or report.state != SafetyReport.State.DONE:
        return 0
    allowed, skipped = [], []
    for person in report.schedule.recipients.filter(is_active=True).order_by("pk"):
        (allowed if person.has_perm("reports.view_report", report) else skipped).append(person)
    url = reverse("reports:detail", args=[report.pk])
    with translation.override(settings.LANGUAGE_CODE):
        title = report_title(kind=report.kind, scope_name=report.campus.name
                             if report.campus else "", period=report.period)
        subject = _("%(title)s is ready") % {"title": title}
        body = _("The %(title)s has been generated. The PDF and the Word document are "
                 "attached and on the report's page.") % {"title": title}
        robot_body = _("The %(title)s has been generated; open it on the report's page.") % {
            "title": title}
        if report.is_empty:
            body += " " + _("There were no records in this period.")
            robot_body += " " + _("There were no records in this period.")
    with transaction.atomic():
        first = SafetyReport.objects.select_for_update().filter(
            pk=report.pk, sent_at__isnull=True).exists()
        told = notification_send(
            recipients=allowed, verb="reports.ready", title=subject, body=body, url=url,
            dedupe_key=f"report:{report.pk}", attachments=[report.pdf.name, report.docx.name])
        if first:
            if skipped:
                log.warning("report %s not sent to %s: they may not read it", report.pk,
                            [p.pk for p in skipped])
                activity_record(target=report, actor=None, verb="reports.recipients_skipped",
                                data={"users": [p.pk for p in skipped]},
                                comment=", ".join(p.full_name or p.username for p in skipped))
            robot_broadcast(topic="reports", title=subject, body=robot_body, url=url,
                            campus_id=report.campus_id)
            SafetyReport.objects.filter(pk=report.pk).update(sent_at=clock.now())
    return len(told)


def schedule_due_at(schedule: ReportSchedule, period: Period) -> dt.datetime:
    """When ``schedule``'s report of ``period`` is due: ``SEND_HOUR`` (07:00) local time on
    its ``send_day`` of the month after the period (aware)."""
    after = period.last + dt.timedelta(days=1)
    day = dt.date(after.year, after.month, schedule.send_day)
    return dt.datetime.combine(day, dt.time(SEND_HOUR), tzinfo=clock.local_zone())


def report_schedules_run(*, at: dt.datetime | None = None) -> dict:
    """The schedules' run (every hour). For every active schedule whose report of the last
    complete month or quarter (as of ``at``, default now; local days) is due (from 07:00 on
    its ``send_day`` of the month after the period, see :func:`schedule_due_at`, until the
    end of that month): ask for that report once when it has none (so a run missed on the
    send day is caught up by a later one; a schedule made after this month's send day sends
    the last period's report at the next run); queue its failed report again while it has failed at most
    ``SAFECAMPUS["REPORT_AUTO_RETRIES"]`` times; re-send a done report whose sending did
    not happen (each recipient is told once). Idempotent: a re-run or an overlapping run
    creates nothing new. Returns ``{"requested": n, "retried": n, "resent": n}``."""
    at = at or clock.now()
    today = at.astimezone(clock.local_zone()).date()
    requested = retried = resent = 0
    for schedule in ReportSchedule.objects.filter(active=True).select_related("campus"):
        period = last_complete_period(schedule.kind, today=today)
        due = schedule_due_at(schedule, period)
        if at < due or (due.year, due.month) != (today.year, today.month):
            continue  # not yet, or not a send month (a quarterly schedule)
        existing = SafetyReport.objects.filter(schedule=schedule, period_key=period.key).first()
        if existing is None:
            try:
                with transaction.atomic():
                    _report_create(period=period, campus=schedule.campus, schedule=schedule)
            except IntegrityError:
                continue  # an overlapping run created it a moment ago
            requested += 1
        elif existing.state == SafetyReport.State.FAILED and existing.failures <= auto_retries():
            with transaction.atomic():
                report = _locked(existing.pk)
                if report.state == SafetyReport.State.FAILED:
                    _requeue(report, actor=None)
                    retried += 1
        elif existing.state == SafetyReport.State.DONE and existing.sent_at is None:
            resent += report_send(report_id=existing.pk) and 1
    return {"requested": requested, "retried": retried, "resent": resent}


# --- schedules -------------------------------------------------------------------------------
def recipients_allowed():
    """Active people who may receive scheduled reports (office staff and leadership)."""
    return User.objects.filter(is_active=True, memberships__role__in=RECIPIENT_ROLES).distinct()


def _schedule_checked(*, name, kind, campus_id, send_day, recipient_ids) -> dict:
    errors: dict[str, list[str]] = {}
    name = text_checked(name, field="name", limit=NAME_MAX, errors=errors,
                        required=_("Give the schedule a name."))
    if kind not in ReportSchedule.Kind.values:
        errors["kind"] = [_("Choose monthly or quarterly.")]
    campus = _campus_checked(None, campus_id, errors)
    if "campus" in errors:
        campus = None
    try:
        day = int(send_day)
    except (TypeError, ValueError):
        day = 0
    if not 1 <= day <= 28:
        errors["send_day"] = [_("Choose a day from 1 to 28.")]
    ids = {id_or_none(pk) for pk in (recipient_ids or [])} - {None}
    people = list(recipients_allowed().filter(pk__in=ids))
    if not ids:
        errors["recipients"] = [_("Choose at least one recipient.")]
    elif len(people) != len(ids):
        errors["recipients"] = [_("Reports can be sent only to office staff and leadership.")]
    elif "campus" not in errors:
        # Everyone must be able to read the schedule's reports (campus-scoped people only
        # their campus's).
        probe = SafetyReport(campus=campus)
        refused = [msg_recipient_cannot_read(p, campus) for p in people
                   if not p.has_perm("reports.view_report", probe)]
        if refused:
            errors["recipients"] = refused
    raise_field_errors(errors)
    return {"name": name, "kind": kind, "campus": campus, "send_day": day, "people": people}


def schedule_create(*, actor, name: str, kind: str, campus_id: int | None = None,
                    send_day: int = 1, recipient_ids=()) -> ReportSchedule:
    """A new active schedule. ``send_day``: 1–28 of the month after the period;
    ``recipient_ids``: office staff or leadership. Needs ``reports.manage_schedules``.
    Raises DomainError (fields ``name``, ``kind``, ``campus``, ``send_day``, ``recipients``)."""
    perm_require(actor, "reports.manage_schedules")
    values = _schedule_checked(name=name, kind=kind, campus_id=campus_id, send_day=send_day,
                               recipient_ids=recipient_ids)
    people = values.pop("people")
    with transaction.atomic():
        schedule = ReportSchedule.objects.create(**values, created_by=actor)
        schedule.recipients.set(people)
        activity_record(target=schedule, actor=actor, verb="reports.schedule_create",
                        to_state="active")
    return schedule


def schedule_update(*, actor, schedule_id, name: str, kind: str, campus_id: int | None = None,
                    send_day: int = 1, recipient_ids=(), active: bool = True) -> ReportSchedule:
    """Change a schedule (and switch it on or off). Same checks as :func:`schedule_create`."""
    perm_require(actor, "reports.manage_schedules")
    values = _schedule_checked(name=name, kind=kind, campus_id=campus_id, send_day=send_day,
                               recipient_ids=recipient_ids)
    people = values.pop("people")
    with transaction.atomic():
        schedule = _locked_schedule(schedule_id)
        before = "active" if schedule.active else "inactive"
        for key, value in values.items():
            setattr(schedule, key, value)
        schedule.active = bool(active)
        schedule.save()
        schedule.recipients.set(people)
        activity_record(target=schedule, actor=actor, verb="reports.schedule_update",
                        from_state=before, to_state="active" if schedule.active else "inactive")
    return schedule


def schedule_deactivate(*, actor, schedule_id) -> ReportSchedule:
    """Stop a schedule (its reports stay). Needs ``reports.manage_schedules``."""
    perm_require(actor, "reports.manage_schedules")
    with transaction.atomic():
        schedule = _locked_schedule(schedule_id)
        if schedule.active:
            schedule.active = False
            schedule.save(update_fields=["active", "updated_at"])
            activity_record(target=schedule, actor=actor, verb="reports.schedule_deactivate",
                            from_state="active", to_state="inactive")
    return schedule


def _locked_schedule(schedule_id) -> ReportSchedule:
    pk = id_or_none(schedule_id)
    schedule = ReportSchedule.objects.select_for_update().filter(pk=pk).first() if pk else None
    if schedule is None:
        raise DomainError(_("This schedule does not exist."), code="not_found")
    return schedule

