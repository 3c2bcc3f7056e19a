"""Attendance at education activities (签到), writes: opening, closing and renewing an
activity's QR sign-in, a person's sign-in by the code, the organiser's manual additions and
list imports.

Who: the activity's organiser and the office manage sign-in and the list
(``education.manage_attendance``); the unit safety contacts, leaders and counsellors of a
college the activity reached only read the list (``education.view_activity_attendance``);
anyone signed in signs in (``education.sign_in_activity``).

Sign-in window (server time, Asia/Shanghai shown): from :data:`EARLY` before the start to
:data:`LATE` after the end, while the organiser has sign-in open and the activity is not
cancelled. A position (WGS-84) farther than ``Activity.sign_in_radius_m`` from the activity's
latitude/longitude is flagged ``far_away``, not refused. A person attends an activity once:
signing in again returns the stored attendance (``created=False``), also when two sign-ins
race (the unique constraint decides).

Errors: :class:`~safecampus.core.errors.DomainError` (400; ``code`` says which),
:class:`~safecampus.core.errors.NotAllowed` (403).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.accounts.models import Affiliation
from safecampus.core import clock, qrcodes
from safecampus.core.activity import activity_record
from safecampus.core.errors import DomainError, field_error, perm_require
from safecampus.core.geo import LATITUDE_LIMIT, LONGITUDE_LIMIT, degrees_checked, distance_m
from safecampus.core.importing import ErrorCollector, RowCells, Target, suggest_columns
from safecampus.core.spreadsheets import ImportRejected, RowError, normalise_text, read_table

from ..models import Activity, Attendance
from ..qr import signer

#: Sign-in opens this long before the activity starts …
EARLY = dt.timedelta(hours=1)
#: … and closes this long after it ends.
LATE = dt.timedelta(hours=2)
#: A phone's clock may run a little ahead of the server's; a phone time further back than
#: :data:`STALE_AFTER` (a form left open, a back-dated request) is not believed either.
CLOCK_SKEW = dt.timedelta(minutes=2)
STALE_AFTER = dt.timedelta(minutes=10)
#: Most people one import adds.
IMPORT_MAX_ROWS = 5000
#: DomainError codes about the code itself (shown at the code field).
CODE_ERRORS = ("forged_code", "unknown_code", "revoked_code")

#: The column of an imported list that holds the people: its header, in either language.
PERSON_COLUMN = Target(
    key="person", label=gettext_lazy("Staff or student number"), required=True,
    aliases=("学号", "工号", "学工号", "学号/工号", "职工号", "编号", "账号", "用户名",
             "number", "student number", "staff number", "staff or student number",
             "employee number", "id", "username", "user"))


def _locked_activity(activity_id) -> Activity:
    activity = Activity.objects.select_for_update().filter(pk=activity_id).first()
    if activity is None:
        raise DomainError(_("No such activity."), code="not_found")
    return activity


# --- codes -----------------------------------------------------------------------------------
def _unreadable(code: str) -> DomainError:
    """A code that names no current activity: damaged, mistyped or not an activity's (the
    reader is not told it is forged — a smudged poster or a typo is likelier)."""
    return DomainError(_("This sign-in code cannot be read: scan again or type the code "
                         "printed on the poster."), code=code)


def activity_resolve(code: str) -> Activity:
    """The activity a scanned or typed code names: its URL, the signed code alone, or the
    manual code printed under the QR (spaces, dashes and case ignored).

    Raises DomainError ``forged_code`` (a signed code whose signature is wrong: damaged or not
    issued by SafeCampus for an activity), ``unknown_code`` (no activity has this code, or the
    activity no longer exists) or ``revoked_code`` (an earlier generation: the organiser
    renewed the code).
    """
    try:
        signed = signer.parse(code)
    except qrcodes.ForgedCode:
        raise _unreadable("forged_code") from None
    activities = Activity.objects.select_related("campus", "place__building", "organiser")
    if signed is None:
        manual = qrcodes.manual_code_normalise(signer.extract(code))
        activity = (activities.filter(sign_in_manual_code=manual).first()
                    if manual and len(manual) <= 12 else None)
        if activity is None:
            raise _unreadable("unknown_code")
        return activity
    activity = activities.filter(pk=signed.pk).first()
    if activity is None:
        raise DomainError(_("This activity no longer exists."), code="unknown_code")
    if signed.generation != activity.sign_in_generation:
        raise DomainError(_("This sign-in code has been replaced by a new one. Scan the code "
                            "the organiser shows now."), code="revoked_code")
    return activity


def sign_in_refusal(activity: Activity, at: dt.datetime) -> DomainError | None:
    """Why nobody can sign in at ``activity`` at ``at`` by its code, or None when they can:
    cancelled, sign-in not open, more than :data:`EARLY` before the start, more than
    :data:`LATE` after the end."""
    zone = clock.local_zone()
    if activity.state == Activity.State.CANCELLED:
        return DomainError(_("This activity was cancelled; there is nothing to sign in to."),
                           code="cancelled")
    if not activity.sign_in_open:
        return DomainError(_("Sign-in for this activity is closed. Ask the organiser to open "
                             "it."), code="sign_in_closed")
    if at < activity.starts_at - EARLY:
        return DomainError(_("Sign-in opens one hour before the activity starts (at "
                             "%(time)s).") % {
            "time": f"{(activity.starts_at - EARLY).astimezone(zone):%Y-%m-%d %H:%M}"},
            code="too_early")
    if at > activity.ends_at + LATE:
        return DomainError(_("Sign-in closed two hours after the activity ended (at "
                             "%(time)s).") % {
            "time": f"{(activity.ends_at + LATE).astimezone(zone):%Y-%m-%d %H:%M}"},
            code="too_late")
    return None


# --- organiser: open, close, renew -----------------------------------------------------------
def _unique_manual_code() -> str:
    """A fresh manual code no activity has (an old activity's code is never reused, so a
    code typed from an old poster is never taken for another activity's)."""
    while True:
        code = qrcodes.manual_code_new()
        if not Activity.objects.filter(sign_in_manual_code=code).exists():
            return code


def _sign_in_set(*, actor, activity_id: int, open_: bool) -> Activity:
    with transaction.atomic():
        activity = _locked_activity(activity_id)
        perm_require(actor, "education.manage_attendance", activity)
        if open_ and activity.state == Activity.State.CANCELLED:
            raise DomainError(_("This activity was cancelled; sign-in cannot be opened."),
                              code="cancelled")
        if open_ and not activity.sign_in_manual_code:
            # also for a sign-in opened before manual codes existed
            activity.sign_in_manual_code = _unique_manual_code()
            activity.save(update_fields=["sign_in_manual_code", "updated_at"])
        if activity.sign_in_open == open_:
            return activity
        activity.sign_in_open = open_
        activity.save(update_fields=["sign_in_open", "updated_at"])
        activity_record(target=activity, actor=actor,
                        verb="education.sign_in_open" if open_ else "education.sign_in_close",
                        from_state="closed" if open_ else "open",
                        to_state="open" if open_ else "closed")
    return activity


def activity_sign_in_open(*, actor, activity_id: int) -> Activity:
    """Let people sign in by the activity's code (within the time window). The first opening
    gives the activity its manual code (typed when the camera cannot read the QR). Opening it
    again changes nothing. Refused for a cancelled activity."""
    return _sign_in_set(actor=actor, activity_id=activity_id, open_=True)


def activity_sign_in_close(*, actor, activity_id: int) -> Activity:
    """Stop sign-in by code (the organiser can still add people by hand)."""
    return _sign_in_set(actor=actor, activity_id=activity_id, open_=False)


def activity_sign_in_renew(*, actor, activity_id: int) -> Activity:
    """Issue a new sign-in code: the generation goes up, the manual code changes, and every
    earlier QR code (a poster photographed and passed round) is refused as replaced (an old
    manual code is unknown)."""
    with transaction.atomic():
        activity = _locked_activity(activity_id)
        perm_require(actor, "education.manage_attendance", activity)
        old = activity.sign_in_generation
        activity.sign_in_generation = old + 1
        activity.sign_in_manual_code = _unique_manual_code()
        activity.save(update_fields=["sign_in_generation", "sign_in_manual_code",
                                     "updated_at"])
        activity_record(target=activity, actor=actor, verb="education.sign_in_renew",
                        from_state=str(old), to_state=str(activity.sign_in_generation))
    return activity


def sign_in_close_expired(*, at: dt.datetime | None = None) -> int:
    """Close the sign-in of every activity whose window is over (more than :data:`LATE`
    after its end) or that was cancelled, so a forgotten open sign-in does not stay open on
    the organiser's page. Idempotent (a closed sign-in is left alone); each closing is on the
    activity's timeline (no actor: the system). Returns how many were closed."""
    at = at or clock.now()
    closed = 0
    for pk in (Activity.objects.filter(sign_in_open=True)
               .filter(Q(ends_at__lt=at - LATE) | Q(state=Activity.State.CANCELLED))
               .values_list("pk", flat=True)):
        with transaction.atomic():
            activity = _locked_activity(pk)
            if not activity.sign_in_open:
                continue  # closed meanwhile
            activity.sign_in_open = False
            activity.save(update_fields=["sign_in_open", "updated_at"])
            activity_record(target=activity, actor=None, verb="education.sign_in_close",
                            from_state="open", to_state="closed",
                            data={"reason": "window_over"})
            closed += 1
    return closed


# --- sign-in ---------------------------------------------------------------------------------
@dataclass
class SignInOutcome:
    """``created`` is False when the person had already signed in (or been added)."""

    attendance: Attendance
    created: bool


def _signed_time(signed_at: dt.datetime | None, received: dt.datetime) -> dt.datetime:
    """The phone's time when it is believable (not ahead of the server by more than the skew,
    not older than :data:`STALE_AFTER`), else the server's."""
    if signed_at is None:
        return received
    if signed_at.tzinfo is None or signed_at.utcoffset() is None:
        raise field_error("signed_at", _("The sign-in time has no time zone."), code="bad_time")
    if signed_at > received + CLOCK_SKEW or signed_at < received - STALE_AFTER:
        return received
    return min(signed_at, received)


def _affiliation_of(user) -> tuple[int | None, int | None]:
    row = (Affiliation.objects.filter(user=user).values_list("college_id", "class_group_id")
           .first())
    return row or (None, None)


def attendance_sign_in(*, actor, code: str, signed_at: dt.datetime | None = None,
                       latitude=None, longitude=None) -> SignInOutcome:
    """``actor`` signs in at the activity named by ``code`` (scanned URL, signed code or the
    manual code typed).

    ``signed_at``: the phone's clock (aware) or None; the window is always checked at the
    server's time. ``latitude``/``longitude``: WGS-84 degrees or None (both or neither; one
    alone is ignored). College and class are copied from the person's affiliation.
    Returns the attendance and whether it is new. Raises DomainError for a forged, unknown or
    replaced code (:data:`CODE_ERRORS`), ``cancelled``, ``sign_in_closed``, ``too_early``,
    ``too_late`` or a bad position; NotAllowed for an anonymous actor.
    """
    perm_require(actor, "education.sign_in_activity")
    activity = activity_resolve(code)
    stored = Attendance.objects.filter(activity=activity, user=actor).first()
    if stored is not None:
        return SignInOutcome(stored, False)
    lat = degrees_checked(latitude, limit=LATITUDE_LIMIT, field="latitude")
    lon = degrees_checked(longitude, limit=LONGITUDE_LIMIT, field="longitude")
    if (lat is None) != (lon is None):
        lat = lon = None
    received = clock.now()
    when = _signed_time(signed_at, received)
    try:
        with transaction.atomic():
            activity = _locked_activity(activity.pk)
            refusal = sign_in_refusal(activity, received)
            if refusal is not None:
                raise refusal
            distance = None
            if lat is not None and activity.latitude is not None \
                    and activity.longitude is not None:
                distance = round(distance_m(lat, lon, activity.latitude, activity.longitude))
            college_id, class_id = _affiliation_of(actor)
            attendance = Attendance.objects.create(
                activity=activity, user=actor, college_id=college_id, class_group_id=class_id,
                signed_in_at=when, method=Attendance.Method.QR, distance_m=distance,
                far_away=distance is not None and distance > activity.sign_in_radius_m)
            activity_record(target=activity, actor=actor, verb="education.attendance_sign_in",
                            data={"attendance": attendance.pk, "far_away": attendance.far_away})
    except IntegrityError:
        # The same person's second tap arrived at the same moment: the first one won.
        stored = Attendance.objects.filter(activity=activity, user=actor).first()
        if stored is None:
            raise
        return SignInOutcome(stored, False)
    return SignInOutcome(attendance, True)


# --- organiser: add by hand, import a list ---------------------------------------------------
def person_find(identifier: str):
    """The active user whose staff/student number or username is ``identifier`` (spaces
    and full-width characters folded; usernames case-insensitive), or None."""
    text = normalise_text(identifier)
    if not text:
        return None
    users = get_user_model().objects.filter(is_active=True)
    return (users.filter(employee_number=text).first()
            or users.filter(username__iexact=text).first())


def _check_recordable(activity: Activity) -> None:
    if activity.state == Activity.State.CANCELLED:
        raise DomainError(_("This activity was cancelled; nobody can be recorded as attending."),
                          code="cancelled")
    if activity.starts_at - EARLY > clock.now():
        raise DomainError(_("The activity has not started yet; record attendance from one hour "
                            "before it starts."), code="too_early")


def attendance_add(*, actor, activity_id: int, identifier: str) -> SignInOutcome:
    """The organiser records one person (by staff/student number or username) as attending
    (``Attendance.Method.MANUAL``, at the current time). A person already on the list is
    returned with ``created=False``. Raises DomainError at field ``person`` for an unknown
    person, ``cancelled``/``too_early`` for the activity; NotAllowed."""
    person = person_find(identifier)
    with transaction.atomic():
        activity = _locked_activity(activity_id)
        perm_require(actor, "education.manage_attendance", activity)
        _check_recordable(activity)
        if person is None:
            raise field_error("person", _("Nobody has the staff or student number or username "
                                          "“%(value)s”.") % {"value": (identifier or "").strip()},
                              code="unknown_person")
        stored = Attendance.objects.filter(activity=activity, user=person).first()
        if stored is not None:
            return SignInOutcome(stored, False)
        college_id, class_id = _affiliation_of(person)
        attendance = Attendance.objects.create(
            activity=activity, user=person, college_id=college_id, class_group_id=class_id,
            signed_in_at=clock.now(), method=Attendance.Method.MANUAL, recorded_by=actor)
        activity_record(target=activity, actor=actor, verb="education.attendance_add",
                        data={"attendance": attendance.pk, "person": person.pk})
    return SignInOutcome(attendance, True)


@dataclass
class ImportOutcome:
    """``added``: people newly on the list; ``already``: people of the file already on it;
    ``rows``: data rows read."""

    added: int
    already: int
    rows: int


def attendance_import(*, actor, activity_id: int, uploaded_file) -> ImportOutcome:
    """Add the people of an Excel/CSV list (one column of staff/student numbers or usernames,
    found by its header — 学号, 工号, number, username … — or the only column) as attending
    (``Attendance.Method.IMPORT``).

    Every row is checked first; when any row names nobody (or is empty in that column),
    :class:`~safecampus.core.spreadsheets.ImportRejected` lists the rows and nothing is
    written. People listed twice, or already on the list, are counted, not doubled. Raises
    :class:`~safecampus.core.spreadsheets.SpreadsheetError` for an unreadable file,
    DomainError for a file without a person column or with too many rows; NotAllowed.
    """
    activity = Activity.objects.filter(pk=activity_id).prefetch_related("colleges").first()
    if activity is None:
        raise DomainError(_("No such activity."), code="not_found")
    perm_require(actor, "education.manage_attendance", activity)
    table = read_table(uploaded_file)
    columns = suggest_columns(table.headers, (PERSON_COLUMN,))
    if columns["person"] is None and len(table.headers) == 1:
        columns["person"] = 0
    if columns["person"] is None:
        raise field_error("file", _("No column of the file is headed with a staff or student "
                                    "number (学号, 工号) or username; its columns are: "
                                    "%(headers)s.") % {"headers": "、".join(table.headers)},
                          code="no_person_column")
    if len(table) > IMPORT_MAX_ROWS:
        raise field_error("file", _("The list has %(rows)s rows; import at most %(limit)s at "
                                    "a time.") % {"rows": len(table), "limit": IMPORT_MAX_ROWS},
                          code="too_many_rows")
    if not len(table):
        raise field_error("file", _("The list has no rows under its header."), code="empty")
    cells = [RowCells(number, row, columns=columns, headers=table.headers)
             for number, row in table.numbered()]
    wanted = {c.text("person") for c in cells} - {""}
    users = get_user_model().objects.filter(is_active=True)
    by_number = {u.employee_number: u for u in users.filter(employee_number__in=wanted)}
    # usernames as written or in lower case (how accounts are made); numbers exactly
    by_name = {u.username.casefold(): u for u in users.filter(
        Q(username__in=wanted) | Q(username__in={w.casefold() for w in wanted}))}
    errors = ErrorCollector()
    people = {}
    for row in cells:
        value = row.text("person")
        if not value:
            row.fail("person", _("The staff or student number is empty."))
        else:
            person = by_number.get(value) or by_name.get(value.casefold())
            if person is None:
                row.fail("person", _("Nobody has the staff or student number or username "
                                     "“%(value)s”.") % {"value": value})
            else:
                people[person.pk] = person
        errors.extend(row.errors)
    if errors:
        raise ImportRejected(errors.errors, total_rows=len(table), error_total=errors.total)
    affiliations = dict(
        (user_id, (college_id, class_id)) for user_id, college_id, class_id in
        Affiliation.objects.filter(user_id__in=people).values_list(
            "user_id", "college_id", "class_group_id"))
    with transaction.atomic():
        activity = _locked_activity(activity_id)
        _check_recordable(activity)
        present = set(Attendance.objects.filter(activity=activity, user_id__in=people)
                      .values_list("user_id", flat=True))
        now = clock.now()
        new = [Attendance(activity=activity, user_id=pk,
                          college_id=affiliations.get(pk, (None, None))[0],
                          class_group_id=affiliations.get(pk, (None, None))[1],
                          signed_in_at=now, method=Attendance.Method.IMPORT, recorded_by=actor)
               for pk in people if pk not in present]
        Attendance.objects.bulk_create(new, batch_size=500)
        activity_record(target=activity, actor=actor, verb="education.attendance_import",
                        data={"added": len(new), "already": len(present),
                              "rows": len(table), "file": table.name[:100]})
    return ImportOutcome(added=len(new), already=len(present), rows=len(table))


__all__ = [
    "CODE_ERRORS", "EARLY", "LATE", "ImportOutcome", "ImportRejected", "RowError",
    "SignInOutcome", "activity_resolve", "activity_sign_in_close", "activity_sign_in_open",
    "activity_sign_in_renew", "attendance_add", "attendance_import", "attendance_sign_in",
    "person_find", "sign_in_close_expired", "sign_in_refusal",
]
