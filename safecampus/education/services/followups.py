"""Counsellor follow-ups (辅导员跟进) of students named in police warnings, writes.

The office or a police liaison opens a follow-up for a student (by student number, resolved
through the roster; an unknown number needs the name and the college chosen by hand), one at
a time or as a pasted list / sheet of (student number, reason) rows that are all checked
before any is written. The counsellors of the student's college are told in-app, with a
title that does not name the student. A counsellor (or an office administrator) closes it
with an outcome and a note of at least :data:`NOTE_MIN` characters; an office administrator
may reopen it. The daily sweep reminds the counsellors once when a follow-up is overdue and
the office administrators once when it is :data:`OFFICE_AFTER_DAYS` days past due.

Every write: resolve → lock → permission → state → write in one transaction, with an
ActivityEntry (``education.followup_<verb>``); notifications after commit.
Errors: DomainError (field errors; ImportRejected listing bad rows), NotAllowed, Conflict.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from safecampus.accounts.models import Affiliation, Role, User
from safecampus.accounts.selectors import office_people, unit_people
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import Conflict, DomainError, NotAllowed, field_error, raise_field_errors
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.core.models import ActivityEntry
from safecampus.core.spreadsheets import ImportRejected, RowError, Table, normalise_text
from safecampus.notifications.services import notification_send
from safecampus.organisation.models import STUDENT_UNIT_KINDS, Unit

from ..models import FollowUp, FraudType

CREATE_SCOPE = "education.followup_create"
BULK_SCOPE = "education.followup_bulk_create"
NOTE_MIN = 10
NOTE_MAX = 4000
REASON_MAX = 2000
#: The most rows one pasted list or sheet may hold.
BULK_MAX_ROWS = 500
#: A due date at most this many days ahead.
DUE_MAX_DAYS = 90
#: The office administrators are told once a follow-up is this many days past due.
OFFICE_AFTER_DAYS = 2

State = FollowUp.State


def default_due_on() -> dt.date:
    """Today (local) plus ``FOLLOWUP_DUE_DAYS``."""
    return clock.local_today() + dt.timedelta(days=int(settings.SAFECAMPUS["FOLLOWUP_DUE_DAYS"]))


def msg_illegal(followup: FollowUp) -> str:
    return _("This cannot be done while the follow-up is “%(state)s”.") % {
        "state": followup.get_state_display()}


# --- resolving students -----------------------------------------------------------------------
@dataclass(frozen=True)
class Student:
    user: User | None
    name: str
    number: str
    college: Unit | None


def student_lookup(number: str) -> Student | None:
    """The person with staff/student number ``number`` (a student's affiliation preferred),
    with their college from the roster; None when nobody or more than one person has it."""
    number = normalise_text(number)
    if not number:
        return None
    people = list(User.objects.filter(employee_number=number, is_active=True)
                  .select_related("affiliation__college")[:3])
    if len(people) > 1:
        students = [p for p in people if getattr(_affiliation(p), "kind", "")
                    == Affiliation.Kind.STUDENT]
        people = students if len(students) == 1 else []
    if len(people) != 1:
        return None
    person = people[0]
    affiliation = _affiliation(person)
    return Student(person, person.full_name or person.username, number,
                   affiliation.college if affiliation else None)


def _affiliation(user):
    try:
        return user.affiliation
    except Affiliation.DoesNotExist:
        return None


def _college(college_id) -> Unit | None:
    pk = id_or_none(college_id)
    return Unit.objects.filter(pk=pk, kind__in=STUDENT_UNIT_KINDS, is_active=True).first() if pk else None


def _fraud_type(fraud_type_id) -> FraudType | None:
    if fraud_type_id in (None, ""):
        return None
    found = FraudType.objects.filter(pk=id_or_none(fraud_type_id), is_active=True).first() \
        if id_or_none(fraud_type_id) else None
    if found is None:
        raise field_error("fraud_type", _("Choose one of the fraud types."))
    return found


def _due(due_on) -> dt.date:
    if due_on in (None, ""):
        return default_due_on()
    today = clock.local_today()
    if due_on < today:
        raise field_error("due_on", _("The follow-up date cannot be in the past."))
    if due_on > today + dt.timedelta(days=DUE_MAX_DAYS):
        raise field_error("due_on", _("At most %(days)s days ahead.") % {"days": DUE_MAX_DAYS})
    return due_on


def _source(warning_source: str, warning_reference: str, errors: dict) -> tuple[str, str]:
    source = (warning_source or "").strip()
    reference = (warning_reference or "").strip()
    if not source:
        errors["warning_source"] = [_("Say where the warning came from, e.g. 96110.")]
    elif len(source) > 120:
        errors["warning_source"] = [_("At most %(count)s characters.") % {"count": 120}]
    if len(reference) > 64:
        errors["warning_reference"] = [_("At most %(count)s characters.") % {"count": 64}]
    return source, reference


def _notify_new(followups: list[FollowUp]) -> None:
    """Tell each follow-up's college counsellors (in-app, the title names no student)."""
    with translation.override(settings.LANGUAGE_CODE):
        for followup in followups:
            notification_send(
                recipients=unit_people(followup.college_id, Role.COUNSELLOR),
                verb="education.followup_new",
                title=_("New follow-up of a police warning (%(college)s), due %(date)s") % {
                    "college": followup.college.name, "date": followup.due_on.isoformat()},
                url=reverse("education:followup_detail", args=[followup.pk]),
                dedupe_key=f"followup-new:{followup.pk}", email=False)


def _create(*, actor, rows: list[dict], source: str, reference: str, fraud_type, due_on,
            ) -> list[FollowUp]:
    created = []
    for row in rows:
        followup = FollowUp(
            student=row["student"], student_name=row["name"], student_number=row["number"],
            college=row["college"], warning_source=source, warning_reference=reference,
            reason=row["reason"], fraud_type=fraud_type, due_on=due_on,
            created_by=actor if actor.is_authenticated else None)
        followup.save()
        activity_record(target=followup, actor=actor, verb="education.followup_create",
                        to_state=followup.state)
        created.append(followup)
    transaction.on_commit(lambda: _notify_new(created))
    return created


def followup_create(*, actor, student_number: str = "", student_name: str = "",
                    college_id: int | None = None, warning_source: str,
                    warning_reference: str = "", reason: str, fraud_type_id: int | None = None,
                    due_on: dt.date | None = None,
                    idempotency_key: str | None = None) -> FollowUp:
    """Open one follow-up. The student is found by ``student_number`` in the roster (their
    name and college come from it); an unknown number needs ``student_name`` and
    ``college_id`` (a college). ``due_on`` defaults to today + ``FOLLOWUP_DUE_DAYS`` and may
    not be in the past. Needs ``education.create_followup``; the same ``idempotency_key``
    returns the first follow-up. Raises DomainError with field errors (``student_number``,
    ``student_name``, ``college``, ``warning_source``, ``warning_reference``, ``reason``,
    ``fraud_type``, ``due_on``)."""
    if not actor.has_perm("education.create_followup"):
        raise NotAllowed()
    existing = idempotency_lookup(scope=CREATE_SCOPE, key=idempotency_key, model=FollowUp,
                                  user=actor)
    if existing is not None:
        return existing
    errors: dict[str, list[str]] = {}
    number = normalise_text(student_number)
    source, reference = _source(warning_source, warning_reference, errors)
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Write what the police said.")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_("At most %(count)s characters.") % {"count": REASON_MAX}]
    if len(number) > 32:
        errors["student_number"] = [_("At most %(count)s characters.") % {"count": 32}]
    student = student_lookup(number) if number and len(number) <= 32 else None
    chosen = _college(college_id) if college_id not in (None, "") else None
    if college_id not in (None, "") and chosen is None:
        errors["college"] = [_("Choose one of the colleges.")]
    name = (student.name if student else normalise_text(student_name))[:64]
    college = (student.college if student and student.college else None) or chosen
    if student is None:
        if not name:
            errors["student_name"] = [
                _("No student has this number in the roster: give the name and choose the "
                  "college.") if number else _("Give the student number, or the name and "
                                               "the college.")]
        if college is None and "college" not in errors:
            errors["college"] = [_("Choose the student's college.")]
    elif college is None and "college" not in errors:
        errors["college"] = [_("The roster has no college for this student: choose it.")]
    raise_field_errors(errors)
    fraud_type = _fraud_type(fraud_type_id)
    due = _due(due_on)
    with transaction.atomic():
        followup = _create(actor=actor, rows=[{
            "student": student.user if student else None, "name": name, "number": number,
            "college": college, "reason": reason}], source=source, reference=reference,
            fraud_type=fraud_type, due_on=due)[0]
        winner = idempotency_race_lost(scope=CREATE_SCOPE, key=idempotency_key, user=actor,
                                       result=followup)
    return winner or followup


# --- many at once -------------------------------------------------------------------------------
_SPLIT = re.compile(r"\s*[\t,，;；]\s*|\s+")


def followup_rows_from_text(text: str) -> list[tuple[int, str, str]]:
    """``(line number, student number, reason)`` per non-empty line of a pasted list: the
    number, then a tab, comma or spaces, then the reason."""
    rows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = normalise_text(line)
        if not line:
            continue
        parts = _SPLIT.split(line, maxsplit=1)
        rows.append((number, parts[0], parts[1].strip() if len(parts) > 1 else ""))
    return rows


#: Headers naming the two columns, Chinese or English (compared folded: case, spaces, ``_``
#: and ``-`` ignored, so "Student number" and "student_no" match).
NUMBER_HEADERS = ("学号", "学号/工号", "学工号", "studentnumber", "studentno", "studentid",
                  "number", "工号")
REASON_HEADERS = ("原因", "事由", "预警内容", "reason")


def followup_rows_from_table(table: Table) -> list[tuple[int, str, str]]:
    """``(row number, student number, reason)`` from a sheet whose headers name the student
    number (学号, or in English "Student number") and the reason (原因, "Reason"); without
    such headers, its first two columns."""
    from safecampus.core.importing import Target, suggest_columns

    found = suggest_columns(table.headers, (Target("number", "", NUMBER_HEADERS),
                                            Target("reason", "", REASON_HEADERS)))
    num = found["number"] if found["number"] is not None else 0
    why = found["reason"] if found["reason"] is not None else (1 if len(table.headers) > 1
                                                               else None)
    return [(row, normalise_text(cells[num]),
             normalise_text(cells[why]) if why is not None else "")
            for row, cells in table.numbered()]


def followup_bulk_create(*, actor, rows: list[tuple[int, str, str]], warning_source: str,
                         warning_reference: str = "", fraud_type_id: int | None = None,
                         due_on: dt.date | None = None,
                         idempotency_key: str | None = None) -> list[FollowUp]:
    """Open one follow-up per ``(row number, student number, reason)``. Every row is checked
    first (the number must be in the roster with a college, once in the list; a reason is
    needed); if any fails nothing is written and :class:`ImportRejected` lists every bad row.
    Same permission, source, type and due date rules as :func:`followup_create`. The same
    ``idempotency_key`` returns the follow-ups of the first call."""
    if not actor.has_perm("education.create_followup"):
        raise NotAllowed()
    replay = idempotency_lookup(scope=BULK_SCOPE, key=idempotency_key, model=ActivityEntry,
                                user=actor)
    if replay is not None:
        ids = replay.data.get("followups", [])
        found = FollowUp.objects.in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]
    errors: dict[str, list[str]] = {}
    source, reference = _source(warning_source, warning_reference, errors)
    raise_field_errors(errors)
    fraud_type = _fraud_type(fraud_type_id)
    due = _due(due_on)
    if not rows:
        raise field_error("rows", _("Paste at least one line: student number, then the reason."))
    if len(rows) > BULK_MAX_ROWS:
        raise field_error("rows", _("At most %(count)s rows at once.") % {"count": BULK_MAX_ROWS})
    number_col, reason_col = _("Student number"), _("Reason")
    problems: list[RowError] = []
    seen: dict[str, int] = {}
    good = []
    for row, number, reason in rows:
        student = None
        if not number:
            problems.append(RowError(row, number_col, _("The student number is empty.")))
        elif len(number) > 32:
            problems.append(RowError(row, number_col, _("At most %(count)s characters.")
                                     % {"count": 32}))
        elif number in seen:
            problems.append(RowError(row, number_col, _("%(number)s is also in row %(row)s.")
                                     % {"number": number, "row": seen[number]}))
        else:
            seen[number] = row
            student = student_lookup(number)
            if student is None:
                problems.append(RowError(row, number_col, _(
                    "No student has the number %(number)s in the roster.") % {"number": number}))
            elif student.college is None:
                problems.append(RowError(row, number_col, _(
                    "The roster has no college for %(number)s.") % {"number": number}))
        if not reason:
            problems.append(RowError(row, reason_col, _("The reason is empty.")))
        elif len(reason) > REASON_MAX:
            problems.append(RowError(row, reason_col, _("At most %(count)s characters.")
                                     % {"count": REASON_MAX}))
        if student is not None and student.college is not None:
            good.append({"student": student.user, "name": student.name[:64], "number": number,
                         "college": student.college, "reason": reason})
    if problems:
        raise ImportRejected(problems, total_rows=len(rows))
    with transaction.atomic():
        created = _create(actor=actor, rows=good, source=source, reference=reference,
                          fraud_type=fraud_type, due_on=due)
        # The batch is remembered by one entry on the first follow-up (its data lists all).
        entry = activity_record(target=created[0], actor=actor,
                                verb="education.followup_bulk_create",
                                data={"followups": [f.pk for f in created]})
        winner = idempotency_race_lost(scope=BULK_SCOPE, key=idempotency_key, user=actor,
                                       result=entry)
    if winner is not None:
        found = FollowUp.objects.in_bulk(winner.data.get("followups", []))
        return [found[pk] for pk in winner.data.get("followups", []) if pk in found]
    return created


# --- closing and reopening --------------------------------------------------------------------
def _locked(followup_id) -> FollowUp:
    pk = id_or_none(followup_id)
    followup = (FollowUp.objects.select_for_update().filter(pk=pk).first() if pk else None)
    if followup is None:
        raise DomainError(_("This follow-up does not exist."), code="not_found")
    return followup


def followup_close(*, actor, followup_id: int, outcome: str, note: str) -> FollowUp:
    """Close an open follow-up with an ``outcome`` (:class:`FollowUp.Outcome`) and a ``note``
    of at least :data:`NOTE_MIN` characters. Needs ``education.close_followup`` on it (the
    college's counsellors, office administrators). Conflict when it is closed already."""
    errors: dict[str, list[str]] = {}
    note = (note or "").strip()
    if outcome not in FollowUp.Outcome.values:
        errors["outcome"] = [_("Choose the outcome.")]
    if len(note) < NOTE_MIN:
        errors["note"] = [_("Write what was done, at least %(count)s characters.")
                          % {"count": NOTE_MIN}]
    elif len(note) > NOTE_MAX:
        errors["note"] = [_("At most %(count)s characters.") % {"count": NOTE_MAX}]
    with transaction.atomic():
        followup = _locked(followup_id)
        if not actor.has_perm("education.close_followup", followup):
            raise NotAllowed()
        raise_field_errors(errors)
        if not can_proceed(followup.close):
            raise Conflict(msg_illegal(followup), code="illegal_state")
        before = followup.state
        followup.close()
        followup.outcome, followup.note = outcome, note
        followup.closed_by, followup.closed_at = actor, clock.now()
        try:
            followup.save()
        except ConcurrentTransition:
            raise Conflict(msg_illegal(followup), code="stale") from None
        activity_record(target=followup, actor=actor, verb="education.followup_close",
                        from_state=before, to_state=followup.state, comment=note,
                        data={"outcome": outcome})
    return followup


def followup_reopen(*, actor, followup_id: int, comment: str = "") -> FollowUp:
    """Reopen a closed follow-up (office administrators only: ``education.reopen_followup``);
    the counsellors are told again. The old outcome and note stay on the timeline."""
    comment = (comment or "").strip()
    if len(comment) > NOTE_MAX:
        raise field_error("comment", _("At most %(count)s characters.") % {"count": NOTE_MAX})
    with transaction.atomic():
        followup = _locked(followup_id)
        if not actor.has_perm("education.reopen_followup", followup):
            raise NotAllowed()
        if not can_proceed(followup.reopen):
            raise Conflict(msg_illegal(followup), code="illegal_state")
        before = followup.state
        followup.reopen()
        followup.outcome, followup.note, followup.closed_by, followup.closed_at = "", "", None, None
        try:
            followup.save()
        except ConcurrentTransition:
            raise Conflict(msg_illegal(followup), code="stale") from None
        activity_record(target=followup, actor=actor, verb="education.followup_reopen",
                        from_state=before, to_state=followup.state, comment=comment)
        stamp = clock.now().strftime("%Y%m%d%H%M%S")

        def tell():
            with translation.override(settings.LANGUAGE_CODE):
                notification_send(
                    recipients=unit_people(followup.college_id, Role.COUNSELLOR),
                    verb="education.followup_reopen",
                    title=_("A follow-up of a police warning was reopened (%(college)s)") % {
                        "college": followup.college.name},
                    body=comment, url=reverse("education:followup_detail", args=[followup.pk]),
                    dedupe_key=f"followup-reopen:{followup.pk}:{stamp}", email=False)

        transaction.on_commit(tell)
    return followup


# --- the daily sweep ----------------------------------------------------------------------------
def followup_sweep_overdue(*, today: dt.date | None = None) -> dict[str, int]:
    """Remind about overdue open follow-ups (due before ``today``, local): each college's
    counsellors once per follow-up, the office administrators once when it is
    :data:`OFFICE_AFTER_DAYS` or more days past due. Idempotent (dedupe keys): a re-run or an
    overlapping run sends nothing twice. Returns ``{"counsellors": n, "office": m}``
    notifications sent."""
    today = today or clock.local_today()
    sent = {"counsellors": 0, "office": 0}
    overdue = (FollowUp.objects.filter(state=State.OPEN, due_on__lt=today)
               .select_related("college").order_by("due_on", "pk"))
    admins = None
    with translation.override(settings.LANGUAGE_CODE):
        for followup in overdue.iterator(chunk_size=500):
            url = reverse("education:followup_detail", args=[followup.pk])
            days = (today - followup.due_on).days
            with transaction.atomic():
                sent["counsellors"] += len(notification_send(
                    recipients=unit_people(followup.college_id, Role.COUNSELLOR),
                    verb="education.followup_overdue",
                    title=_("A follow-up of a police warning is overdue (%(college)s, due "
                            "%(date)s)") % {"college": followup.college.name,
                                            "date": followup.due_on.isoformat()},
                    url=url, dedupe_key=f"followup-overdue:{followup.pk}", email=False))
            if days >= OFFICE_AFTER_DAYS:
                if admins is None:
                    admins = office_people(Role.OFFICE_ADMIN)
                with transaction.atomic():
                    sent["office"] += len(notification_send(
                        recipients=admins, verb="education.followup_overdue_office",
                        title=_("A follow-up of a police warning is %(days)s days overdue "
                                "(%(college)s)") % {"days": days,
                                                     "college": followup.college.name},
                        url=url, dedupe_key=f"followup-overdue-office:{followup.pk}",
                        email=False))
    return sent
