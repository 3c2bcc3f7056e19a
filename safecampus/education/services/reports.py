"""Confidential fraud reports (涉诈报告), writes: a signed-in person submits one; a police
liaison (or an office administrator) receives it, refers it to the police station with the
station's case number and closes it with a note.

State machine (declared once on :class:`~safecampus.education.models.FraudReport`):
``submitted`` → ``received`` → ``referred`` → ``closed``; ``refer`` may skip ``received`` and
``close`` may come from any open state. A handler may set or correct the fraud type
(:func:`fraud_report_classify`) until the report is closed. Every change writes an
:class:`~safecampus.core.models.ActivityEntry` (verbs ``education.fraud_report_<step>``)
and tells the reporter in the app on commit.

Confidentiality: a report's content goes nowhere but its own page, which only the reporter,
police liaisons and office administrators open. Notifications carry no content: handlers
get "New fraud report", the reporter "Your fraud report: <state>".

Errors: :class:`~safecampus.core.errors.DomainError` (bad input with ``field_errors``;
nothing written; ``not_found`` for an unknown id), :class:`~safecampus.core.errors.NotAllowed`,
:class:`~safecampus.core.errors.Conflict` (illegal in the current state, or changed
meanwhile).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from safecampus.accounts.models import Affiliation, Membership, Role, User
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import Conflict, DomainError, NotAllowed, raise_field_errors, text_checked
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.core.phones import PHONE_INVALID, phone_is_valid, phone_normalise
from safecampus.notifications.services import notification_send

from ..models import FraudReport, FraudType

State = FraudReport.State
SUBMIT_SCOPE = "education.fraud_report_submit"
HANDLE = "education.handle_fraud_report"
TEXT_MAX = 5000
COUNTERPART_MAX = 200
PHONE_MAX = 20
REFERENCE_MAX = 64
NOTE_MAX = 2000
LOSS_MAX = Decimal("10000000")
EARLIEST = dt.date(2000, 1, 1)
OPEN_STATES = (State.SUBMITTED, State.RECEIVED, State.REFERRED)


def msg_illegal(report: FraudReport) -> str:
    return _("This cannot be done while the report is “%(state)s”.") % {
        "state": report.get_state_display()}


def handlers_of(campus_id: int | None) -> list[User]:
    """Who is told about a new report: the police liaisons of ``campus_id`` (memberships
    scoped to that campus), or every police liaison when that campus has none, and the
    office administrators. Active users, each once, in id order."""
    police = Membership.objects.filter(role=Role.POLICE_LIAISON, user__is_active=True)
    local = set(police.filter(campus_id=campus_id).values_list("user_id", flat=True)
                ) if campus_id else set()
    chosen = local or set(police.values_list("user_id", flat=True))
    admins = set(Membership.objects.filter(role=Role.OFFICE_ADMIN, user__is_active=True)
                 .values_list("user_id", flat=True))
    return list(User.objects.filter(pk__in=chosen | admins).order_by("pk"))


def fraud_report_submit(
    *,
    actor,
    channel: str,
    occurred_on: dt.date | None,
    description: str,
    fraud_type_id: int | None = None,
    lost_money: bool = False,
    loss_amount=None,
    counterpart: str = "",
    contact_phone: str = "",
    message_text: str = "",
    idempotency_key: str | None = None,
) -> FraudReport:
    """A signed-in person (``education.report_fraud``) reports a fraud attempt or a loss.

    ``channel``: one of :class:`FraudReport.Channel`; ``occurred_on``: a local date from
    2000 to today; ``fraud_type_id``: an active type or None ("not sure"); ``loss_amount``:
    yuan, 0 … 10,000,000, required when ``lost_money`` and ignored otherwise;
    ``description`` (required) and ``message_text`` at most 5,000 characters;
    ``contact_phone`` checked by :mod:`safecampus.core.phones` (optional). The reporter's
    college and campus are copied from their :class:`~safecampus.accounts.models.Affiliation`.
    On commit the handlers (:func:`handlers_of`) get a notification without any content.

    Returns the report; the same ``idempotency_key`` by the same actor returns the first one.
    Raises DomainError with field errors (``channel``, ``occurred_on``, ``fraud_type``,
    ``loss_amount``, ``description``, ``message_text``, ``counterpart``, ``contact_phone``)
    or NotAllowed.
    """
    if actor is None or not actor.has_perm("education.report_fraud"):
        raise NotAllowed()
    existing = idempotency_lookup(scope=SUBMIT_SCOPE, key=idempotency_key, model=FraudReport,
                                  user=actor)
    if existing is not None:
        return existing
    errors: dict[str, list[str]] = {}
    if channel not in FraudReport.Channel.values:
        errors["channel"] = [_("Choose how it reached you.")]
    if occurred_on is None:
        errors["occurred_on"] = [_("Enter the day it happened.")]
    elif occurred_on > clock.local_today():
        errors["occurred_on"] = [_("The day cannot be in the future.")]
    elif occurred_on < EARLIEST:
        errors["occurred_on"] = [_("The day cannot be before 2000.")]
    fraud_type = None
    if fraud_type_id not in (None, ""):
        fraud_type = (FraudType.objects.filter(pk=fraud_type_id, is_active=True).first()
                      if id_or_none(fraud_type_id) else None)
        if fraud_type is None:
            errors["fraud_type"] = [_("Choose a fraud type from the list, or “not sure”.")]
    loss = None
    if lost_money:
        if loss_amount in (None, ""):
            errors["loss_amount"] = [_("Enter how much money was lost.")]
        else:
            try:
                # Range first: quantizing 1e30 to cents overflows the decimal context.
                loss = Decimal(str(loss_amount))
                if loss.is_finite() and 0 <= loss <= LOSS_MAX:
                    loss = loss.quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                errors["loss_amount"] = [_("Enter an amount in yuan.")]
            else:
                if not loss.is_finite() or loss < 0 or loss > LOSS_MAX:
                    errors["loss_amount"] = [_("Enter an amount from 0 to 10,000,000 yuan.")]
    description = text_checked(description, field="description", limit=TEXT_MAX, errors=errors,
                               required=_("Tell what happened."))
    message_text = text_checked(message_text, field="message_text", limit=TEXT_MAX, errors=errors)
    counterpart = text_checked(counterpart, field="counterpart", limit=COUNTERPART_MAX, errors=errors)
    phone = phone_normalise(contact_phone)
    if phone and (len(phone) > PHONE_MAX or not phone_is_valid(phone)):
        errors["contact_phone"] = [str(PHONE_INVALID)]
    raise_field_errors(errors)
    affiliation = Affiliation.objects.filter(user=actor).first()

    with transaction.atomic():
        report = FraudReport.objects.create(
            reporter=actor, fraud_type=fraud_type, channel=channel, occurred_on=occurred_on,
            lost_money=bool(lost_money), loss_amount=loss, description=description,
            message_text=message_text, counterpart=counterpart, contact_phone=phone,
            college_id=affiliation.college_id if affiliation else None,
            campus_id=affiliation.campus_id if affiliation else None)
        activity_record(target=report, actor=actor, verb="education.fraud_report_submit",
                        to_state=report.state)
        winner = idempotency_race_lost(scope=SUBMIT_SCOPE, key=idempotency_key, user=actor,
                                       result=report)
        if winner is not None:
            return winner
        recipients = handlers_of(report.campus_id)
        with translation.override(settings.LANGUAGE_CODE):
            title = _("New fraud report")
            body = _("A confidential fraud report is waiting in the queue.")
        url = reverse("education:fraud_report_detail", args=[report.pk])
        key = f"education:fraud_report:{report.pk}:submitted"
        transaction.on_commit(lambda: notification_send(
            recipients=recipients, verb="education.fraud_report_submit", title=title,
            body=body, url=url, dedupe_key=key, email=False))
    return report


# --- handling ---------------------------------------------------------------------------------
def _locked(report_id) -> FraudReport:
    report = (FraudReport.objects.select_for_update(of=("self",)).filter(pk=report_id).first()
              if id_or_none(report_id) else None)
    if report is None:
        raise DomainError(_("This report does not exist."), code="not_found")
    return report


def _transition(report: FraudReport, name: str, *, actor, comment: str = "",
                data: dict | None = None, before=None) -> None:
    method = getattr(report, name)
    if not can_proceed(method):
        raise Conflict(msg_illegal(report), code="illegal_transition")
    old = report.state
    method()
    if before is not None:
        before(report)
    try:
        report.save()
    except ConcurrentTransition as exc:
        raise Conflict(_("Someone else changed this report meanwhile. Reload the page."),
                       code="stale") from exc
    activity_record(target=report, actor=actor, verb=f"education.fraud_report_{name}",
                    from_state=old, to_state=report.state, comment=comment, data=data)
    _tell_reporter(report)


def _tell_reporter(report: FraudReport) -> None:
    reporter = report.reporter
    if reporter is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Your fraud report: %(state)s") % {"state": report.get_state_display()}
    url = reverse("education:fraud_report_detail", args=[report.pk])
    key = f"education:fraud_report:{report.pk}:{report.state}"
    transaction.on_commit(lambda: notification_send(
        recipients=[reporter], verb=f"education.fraud_report_{report.state}", title=title,
        url=url, dedupe_key=key, email=False))


def _handle(actor, report_id, name: str, *, comment: str = "", data=None, before=None):
    if actor is None or not actor.has_perm(HANDLE):
        raise NotAllowed()
    with transaction.atomic():
        report = _locked(report_id)

        def stamp(r):
            r.handled_by = actor
            if before is not None:
                before(r)

        _transition(report, name, actor=actor, comment=comment, data=data, before=stamp)
    return report


def fraud_report_receive(*, actor, report_id: int, note: str = "") -> FraudReport:
    """A handler takes the report on: ``submitted`` → ``received`` (``handled_by`` the actor).
    ``note`` optional (at most 2,000 characters)."""
    errors: dict[str, list[str]] = {}
    note = text_checked(note, field="note", limit=NOTE_MAX, errors=errors)
    raise_field_errors(errors)
    return _handle(actor, report_id, "receive", comment=note)


def fraud_report_refer(*, actor, report_id: int, police_reference: str,
                       note: str = "") -> FraudReport:
    """Passed to the police station: ``submitted`` | ``received`` → ``referred`` with the
    station's case number (required, at most 64 characters)."""
    errors: dict[str, list[str]] = {}
    reference = text_checked(police_reference, field="police_reference", limit=REFERENCE_MAX,
                             errors=errors, required=_("Enter the police station's case number."))
    note = text_checked(note, field="note", limit=NOTE_MAX, errors=errors)
    raise_field_errors(errors)

    def set_reference(report):
        report.police_reference = reference

    return _handle(actor, report_id, "refer", comment=note,
                   data={"police_reference": reference}, before=set_reference)


def fraud_report_close(*, actor, report_id: int, note: str) -> FraudReport:
    """Done: any open state → ``closed`` with a closing note (required, what came of it)."""
    errors: dict[str, list[str]] = {}
    note = text_checked(note, field="note", limit=NOTE_MAX, errors=errors,
                        required=_("Write what came of it."))
    raise_field_errors(errors)

    def set_note(report):
        report.closing_note = note
        report.closed_at = clock.now()

    return _handle(actor, report_id, "close", comment=note, before=set_note)


def fraud_report_classify(*, actor, report_id: int, fraud_type_id: int | None) -> FraudReport:
    """A handler sets or corrects the report's fraud type after it arrived (the reporter may
    have chosen "not sure" or the wrong one): ``fraud_type_id`` an active type, or None for
    "not sure". Allowed in every state but ``closed``; the state does not change. Writes an
    ActivityEntry ``education.fraud_report_classify`` (data: the old and new type codes)
    unless the type stays the same; the reporter is not notified (it is the handlers' sorting).

    Raises NotAllowed (not a handler), DomainError (``fraud_type``: not an active type;
    ``not_found``), Conflict (closed)."""
    if actor is None or not actor.has_perm(HANDLE):
        raise NotAllowed()
    fraud_type = None
    if fraud_type_id not in (None, ""):
        fraud_type = (FraudType.objects.filter(pk=fraud_type_id, is_active=True).first()
                      if id_or_none(fraud_type_id) else None)
        if fraud_type is None:
            raise_field_errors({"fraud_type": [
                _("Choose a fraud type from the list, or “not sure”.")]})
    with transaction.atomic():
        report = _locked(report_id)
        if report.state not in OPEN_STATES:
            raise Conflict(msg_illegal(report), code="illegal_transition")
        old = report.fraud_type
        if (old.pk if old else None) == (fraud_type.pk if fraud_type else None):
            return report
        report.fraud_type = fraud_type
        try:
            report.save(update_fields=["fraud_type", "updated_at"])
        except ConcurrentTransition as exc:
            raise Conflict(_("Someone else changed this report meanwhile. Reload the page."),
                           code="stale") from exc
        activity_record(target=report, actor=actor, verb="education.fraud_report_classify",
                        data={"from": old.code if old else None,
                              "to": fraud_type.code if fraud_type else None})
    return report


def classify_offered(report: FraudReport) -> bool:
    """Whether the pages and the API offer setting the fraud type now (until closed)."""
    return report.state in OPEN_STATES


def step_offered(report: FraudReport, name: str) -> bool:
    """Whether the pages and the API offer ``name`` (receive, refer, close) now."""
    return report.state in OPEN_STATES and can_proceed(getattr(report, name))
