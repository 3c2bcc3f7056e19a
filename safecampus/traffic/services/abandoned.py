"""Abandoned vehicles (僵尸车), writes: opening a case (a patrol sighting, a report, long-stay
detection over gate records, a clean-up drive), the notice on the vehicle, contacting the
owner, the vehicle moved, removal to storage, the claim, disposal and dismissal; clean-up
drives with batch tagging and batch notices; the reminder sweep.

Every write follows resolve → lock → permission → state → write in one transaction with an
:class:`~safecampus.core.models.ActivityEntry` on the case's timeline (verbs
``traffic.abandoned_<step>``). Transitions take an optional ``version`` (the case's
``row_version`` the caller saw): a stale one is a Conflict (code ``stale``), so of two
officers acting at once one wins and the other is told to reload.

Dates are local (Asia/Shanghai) days; a date-only deadline means the end of that day, so a
vehicle may be removed from the day after its notice deadline, and claimed up to and
including ``claim_until``; it may be disposed of from the day after.

One open case per plate (a database constraint, see the model): :func:`abandoned_case_open`
for a plate that already has an open case raises :class:`CaseAlreadyOpen` (a Conflict, code
``case_already_open``) whose ``case`` is the existing case. Long-stay detection calls it
repeatedly and catches that exception; it never creates a duplicate, also when two calls
race (the year's number sequence row is locked before the check).

Errors: :class:`~safecampus.core.errors.DomainError` (bad input, 400, with
``field_errors``; nothing written), :class:`~safecampus.core.errors.NotAllowed` (403),
:class:`~safecampus.core.errors.Conflict` (409: illegal in the current state, stale).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, can_proceed

from safecampus.accounts.models import Role
from safecampus.accounts.selectors import office_people
from safecampus.core import clock
from safecampus.core.activity import activity_for, activity_record
from safecampus.core.errors import (
    Conflict,
    DomainError,
    field_error,
    perm_require,
    raise_field_errors,
    text_checked,
)
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.core.models import ActivityEntry
from safecampus.core.uploads import photo_process
from safecampus.notifications.services import notification_send
from safecampus.organisation.models import Campus, Place

from ..models import (
    CASE_OPEN_STATES,
    AbandonedVehicleCase,
    CasePhoto,
    CaseSequence,
    CleanUpDrive,
    Vehicle,
)
from ..plates import plate_check
from .violations import location_resolve

Case = AbandonedVehicleCase
State = AbandonedVehicleCase.State
Source = AbandonedVehicleCase.Source
Stage = CasePhoto.Stage

OPEN_SCOPE = "traffic.abandoned_open"
DRIVE_SCOPE = "traffic.clean_up_drive_create"
TAG_SCOPE = "traffic.clean_up_drive_tag"
PHOTOS_SCOPE = "traffic.abandoned_photos"
MAX_PHOTOS = 6
TEXT_MAX = 200
NOTE_MAX = 2000
NAME_MAX = 64
#: At most this many vehicles tagged in one batch.
TAG_MAX_ROWS = 200
#: A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=2)
#: A notice deadline (a case's or a drive's) is at most this many days ahead (or the usual
#: notice period, ``ABANDONED_NOTICE_DAYS``, if that is longer); a drive starts at most this
#: many days before or after today.
DATE_RANGE_DAYS = 90
#: An error message quotes at most this many characters of what was typed.
QUOTE_MAX = 30

#: How the owner was reached (stored in the contact record and the timeline's data).
CONTACT_CHANNELS = {
    "phone": gettext_lazy("By phone"),
    "in_app": gettext_lazy("In-app message"),
    "in_person": gettext_lazy("In person"),
    "unreachable": gettext_lazy("Could not be reached"),
}


class CaseAlreadyOpen(Conflict):
    """The plate already has an open case; ``case`` is that case."""

    def __init__(self, case: AbandonedVehicleCase):
        super().__init__(msg_already_open(case), code="case_already_open")
        self.case = case
        self.field_errors = {"plate": [self.message]}


# --- messages shared with the pages and the API ---------------------------------------------------
def msg_already_open(case: AbandonedVehicleCase) -> str:
    return _("%(plate)s already has an open case: %(number)s (%(state)s).") % {
        "plate": case.plate, "number": case.number, "state": case.get_state_display()}


def msg_illegal(case: AbandonedVehicleCase) -> str:
    return _("This cannot be done while the case is “%(state)s”.") % {
        "state": case.get_state_display()}


def msg_stale() -> str:
    return _("Someone else changed this case while you were looking at it. Reload the page "
             "and try again.")





def _days(name: str) -> int:
    return int(settings.SAFECAMPUS[name])


def quote(text: str, limit: int = QUOTE_MAX) -> str:
    """``text`` for an error message: at most ``limit`` characters, then "…"."""
    text = str(text or "")
    return text if len(text) <= limit else text[:limit] + "…"


def _photos(photos: Sequence, *, required: str = "") -> list:
    """Validate and re-encode every photo before anything is written (all or nothing)."""
    photos = [p for p in (photos or []) if p]
    if len(photos) > MAX_PHOTOS:
        raise field_error("photos", _("At most %(count)s photos can be attached.")
                       % {"count": MAX_PHOTOS})
    if required and not photos:
        raise field_error("photos", required, code="photo_required")
    return [photo_process(p, field="photos") for p in photos]


def _save_photos(case: AbandonedVehicleCase, stage: str, processed: list) -> None:
    for full, thumb in processed:
        CasePhoto.objects.create(case=case, stage=stage, image=full, thumbnail=thumb)


def _batch_replay(*, scope: str, key: str | None, actor, target) -> ActivityEntry | None:
    """The timeline entry an earlier batch by ``actor`` with ``key`` wrote on ``target``, or
    None. A batch (tagging, photos) remembers its key with that entry, whose ``data`` lists
    the ids it created, so a replay returns the first result. The same key on another
    drive or case is a Conflict (code ``idempotency_key_reused``)."""
    entry = idempotency_lookup(scope=scope, key=key, model=ActivityEntry, user=actor)
    if entry is None:
        return None
    if (entry.target_type.model_class() is not type(target)
            or str(entry.target_id) != str(target.pk)):
        raise Conflict(_("This request key was already used for something else; reload the "
                         "form."), code="idempotency_key_reused")
    return entry


def _in_order(model, ids: list[int]) -> list:
    by_id = model._default_manager.in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def local_today() -> dt.date:
    return clock.local_today()


# --- case numbers -------------------------------------------------------------------------------
def case_numbers_take(*, year: int, count: int = 1) -> int:
    """Take ``count`` consecutive case numbers of ``year``; returns the first.

    Call inside a transaction: the year's :class:`CaseSequence` row stays locked until it
    ends, so concurrent writers queue, numbers are unique and never reused (a rolled-back
    writer releases its numbers with the lock).
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    if not CaseSequence.objects.filter(year=year).exists():
        try:
            with transaction.atomic():
                CaseSequence.objects.create(year=year)
        except IntegrityError:
            pass  # created by a concurrent writer
    sequence = CaseSequence.objects.select_for_update().get(year=year)
    first = sequence.last_number + 1
    sequence.last_number += count
    sequence.save(update_fields=["last_number"])
    return first


def case_number(year: int, n: int) -> str:
    """``ZC2026-0007``: four digits at least (more after 9999 cases in a year)."""
    return f"ZC{year}-{n:04d}"


# --- opening ------------------------------------------------------------------------------------
def _campus_place(*, campus_id, place_id, actor) -> tuple[Campus, Place | None]:
    campus, place = location_resolve(campus_id=campus_id, place_id=place_id, actor=actor)
    if actor is not None and not acts_on_campus(actor, campus.pk):
        raise field_error("campus", _("You can report vehicles only on your own campus."),
                       code="other_campus")
    return campus, place


def acts_on_campus(user, campus_id) -> bool:
    """The office and leadership act university-wide; everyone else (guards) only on the
    campuses of their memberships (``user.scope.campus_ids``)."""
    scope = user.scope
    return scope.sees_everything or campus_id in scope.campus_ids


def _open_case_of(plate: str) -> AbandonedVehicleCase | None:
    if not plate:
        return None
    return (Case.objects.filter(plate=plate, state__in=CASE_OPEN_STATES)
            .order_by("-created_at", "-id").first())


def abandoned_case_open(
    *,
    actor,
    source: str,
    campus_id: int | None = None,
    plate: str = "",
    vehicle_kind: str = "",
    description: str = "",
    place_id: int | None = None,
    location_text: str = "",
    photos: Sequence = (),
    last_entry_at: dt.datetime | None = None,
    source_ref: str = "",
    drive_id: int | None = None,
    idempotency_key: str | None = None,
) -> AbandonedVehicleCase:
    """Open a case about a suspected abandoned vehicle (state ``suspected``).

    ``actor``: the person reporting (needs ``traffic.report_abandoned``) or None for the
    system (long-stay detection: no permission check). ``source``: one of
    :class:`AbandonedVehicleCase.Source`. ``plate`` is normalised and validated
    (:func:`~safecampus.traffic.plates.plate_check`, DomainError code ``bad_plate`` with the
    reason); empty for a vehicle without a readable plate, which then needs a
    ``description``. A known plate links the registered vehicle (its type is the default
    ``vehicle_kind``, else car). A sighting (sources ``patrol`` and ``report``) needs at
    least one photo; long-stay and clean-up cases may have none. ``campus_id`` defaults to
    the place's campus, then to the actor's only campus. ``last_entry_at`` (aware, not in
    the future) is the gate entry with no exit after it; ``source_ref`` a generic reference
    such as ``gates.record:42``; ``drive_id`` a clean-up drive of the same campus.

    Returns the new case. The same ``idempotency_key`` (same actor) returns the first case.
    Raises :class:`CaseAlreadyOpen` (a Conflict, code ``case_already_open``, ``.case`` the
    existing case) when the plate has an open case; DomainError with field errors
    (``source``, ``plate``, ``vehicle_kind``, ``description``, ``campus``, ``place``,
    ``location_text``, ``last_entry_at``, ``source_ref``, ``drive``, ``photos``);
    NotAllowed.
    """
    perm_require(actor, "traffic.report_abandoned", system=True)
    existing = idempotency_lookup(scope=OPEN_SCOPE, key=idempotency_key, model=Case,
                                  user=actor)
    if existing is not None:
        return existing
    errors: dict[str, list[str]] = {}
    if source not in Source.values:
        errors["source"] = [_("Choose where the suspicion comes from.")]
    number = plate_check(plate).number if (plate or "").strip() else ""
    if vehicle_kind and vehicle_kind not in Vehicle.Kind.values:
        errors["vehicle_kind"] = [_("Choose the type of vehicle.")]
    description = text_checked(description, field="description", limit=TEXT_MAX, errors=errors,
                               required="" if number else _(
                                   "Without a plate, describe the vehicle (make, colour, "
                                   "condition)."))
    location_text = text_checked(location_text, field="location_text", limit=TEXT_MAX, errors=errors)
    source_ref = text_checked(source_ref, field="source_ref", limit=64, errors=errors)
    if last_entry_at is not None and last_entry_at > clock.now() + CLOCK_SKEW:
        errors["last_entry_at"] = [_("The last entry cannot be in the future.")]
    raise_field_errors(errors)
    campus, place = _campus_place(campus_id=campus_id, place_id=place_id, actor=actor)
    drive = None
    if drive_id not in (None, ""):
        drive = CleanUpDrive.objects.filter(pk=drive_id).first() if id_or_none(drive_id) else None
        if drive is None:
            raise field_error("drive", _("This clean-up drive does not exist."))
        if drive.campus_id != campus.pk:
            raise field_error("drive", _("The clean-up drive is on %(campus)s.")
                           % {"campus": drive.campus.name})
    processed = _photos(photos, required=_(
        "Take at least one photo of the vehicle.") if source in (Source.PATROL, Source.REPORT)
        else "")

    with transaction.atomic():
        case = _create_cases(
            actor=actor, campus=campus, drive=drive,
            rows=[{"plate": number, "vehicle_kind": vehicle_kind, "description": description,
                   "place": place, "location_text": location_text}],
            source=source, last_entry_at=last_entry_at, source_ref=source_ref)[0]
        _save_photos(case, Stage.SIGHTING, processed)
        winner = idempotency_race_lost(scope=OPEN_SCOPE, key=idempotency_key, user=actor,
                                       result=case)
    return winner or case


def _create_cases(*, actor, campus: Campus, drive: CleanUpDrive | None, rows: list[dict],
                  source: str, last_entry_at=None, source_ref: str = "") -> list:
    """Create one case per row (inside the caller's transaction). The year's sequence row is
    locked first, so the check for an open case of each plate and the insert cannot race
    with another opener. Raises CaseAlreadyOpen for the first plate with an open case."""
    year = clock.local_today().year
    first = case_numbers_take(year=year, count=len(rows))
    plates = [row["plate"] for row in rows if row["plate"]]
    open_cases = {c.plate: c for c in Case.objects.filter(
        plate__in=plates, state__in=CASE_OPEN_STATES)}
    vehicles = {v.plate: v for v in Vehicle.objects.filter(plate__in=plates, is_active=True)}
    created = []
    for offset, row in enumerate(rows):
        number = row["plate"]
        if number in open_cases:
            raise CaseAlreadyOpen(open_cases[number])
        vehicle = vehicles.get(number)
        kind = row.get("vehicle_kind") or (vehicle.kind if vehicle else Vehicle.Kind.CAR)
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    number=case_number(year, first + offset), source=source, plate=number,
                    vehicle=vehicle, vehicle_kind=kind, description=row["description"],
                    campus=campus, place=row.get("place"),
                    location_text=row["location_text"], drive=drive,
                    last_entry_at=last_entry_at, source_ref=source_ref,
                    reported_by=actor if actor is not None and actor.is_authenticated
                    else None)
        except IntegrityError as exc:  # an open case appeared meanwhile (another year's opener)
            existing = _open_case_of(number)
            if existing is None:
                raise
            raise CaseAlreadyOpen(existing) from exc
        activity_record(target=case, actor=actor, verb="traffic.abandoned_open",
                        to_state=case.state,
                        data={"source": source, "plate": number,
                              "registered": vehicle is not None,
                              "drive": drive.pk if drive else None,
                              "source_ref": source_ref})
        created.append(case)
        if number:
            open_cases[number] = case
    return created


# --- transitions --------------------------------------------------------------------------------
def _locked_case(case_id, version: int | None) -> AbandonedVehicleCase:
    case = (Case.objects.select_for_update(of=("self",))
            .select_related("vehicle__owner", "campus", "place", "drive")
            .filter(pk=case_id).first() if id_or_none(case_id) else None)
    if case is None:
        raise DomainError(_("This case does not exist."), code="not_found")
    if version is not None and case.row_version != version:
        raise Conflict(msg_stale(), code="stale")
    return case


def _transition(case: AbandonedVehicleCase, name: str, *, actor, verb: str,
                comment: str = "", data: dict | None = None) -> None:
    """Run transition ``name`` on the locked ``case``, bump its version, save and log."""
    method = getattr(case, name)
    if not can_proceed(method):
        raise Conflict(msg_illegal(case), code="illegal_transition")
    old = case.state
    method()
    case.row_version += 1
    try:
        case.save()
    except ConcurrentTransition as exc:  # the row changed between read and write
        raise Conflict(msg_stale(), code="stale") from exc
    activity_record(target=case, actor=actor, verb=verb, from_state=old, to_state=case.state,
                    comment=comment, data=data)


def step_offered(case: AbandonedVehicleCase, name: str) -> bool:
    """Whether the pages and the API offer transition ``name`` on ``case`` now: allowed by
    the state machine, and removal only once a notice was posted (a contacted case without
    one is offered the notice instead)."""
    if name == "store" and case.notice_posted_at is None:
        return False
    return can_proceed(getattr(case, name))


def _check_state(case: AbandonedVehicleCase, name: str) -> None:
    if not can_proceed(getattr(case, name)):
        raise Conflict(msg_illegal(case), code="illegal_transition")


def default_notice_deadline() -> dt.date:
    """Today (local) + ``ABANDONED_NOTICE_DAYS``."""
    return local_today() + dt.timedelta(days=_days("ABANDONED_NOTICE_DAYS"))


def latest_notice_deadline() -> dt.date:
    """The last day a notice deadline may be: today (local) + :data:`DATE_RANGE_DAYS` (or
    the usual notice period if that is longer)."""
    return local_today() + dt.timedelta(days=max(DATE_RANGE_DAYS,
                                                 _days("ABANDONED_NOTICE_DAYS")))


def _deadline_problem(deadline: dt.date) -> str | None:
    """Why ``deadline`` cannot be a notice deadline (after today, not too far ahead)."""
    if deadline <= local_today():
        return _("The deadline must be a day after today.")
    latest = latest_notice_deadline()
    if deadline > latest:
        return _("The deadline can be at most %(days)s days ahead, by %(date)s at the "
                 "latest.") % {"days": (latest - local_today()).days,
                               "date": latest.isoformat()}
    return None


def _deadline(deadline: dt.date | None, *, field: str = "deadline") -> dt.date:
    deadline = deadline or default_notice_deadline()
    problem = _deadline_problem(deadline)
    if problem is not None:
        raise field_error(field, problem)
    return deadline


def abandoned_notice_post(*, actor, case_id: int, photos: Sequence = (),
                          deadline: dt.date | None = None, note: str = "",
                          version: int | None = None) -> AbandonedVehicleCase:
    """A notice (告知单) is on the vehicle: the owner must move it by ``deadline`` (a local
    date after today; default today + ``ABANDONED_NOTICE_DAYS``). At least one photo of the
    notice on the vehicle is required. ``suspected`` | ``contacted`` → ``noticed`` (a case
    whose owner was contacted first keeps ``contacted_at`` and its contact record). Needs
    ``traffic.manage_abandoned``."""
    perm_require(actor, "traffic.manage_abandoned", system=True)
    errors: dict[str, list[str]] = {}
    note = text_checked(note, field="note", limit=NOTE_MAX, errors=errors)
    raise_field_errors(errors)
    deadline = _deadline(deadline)
    processed = _photos(photos, required=_("Take a photo of the notice on the vehicle."))
    with transaction.atomic():
        case = _locked_case(case_id, version)
        _post_notice(case, actor=actor, deadline=deadline, processed=processed, note=note)
    return case


def _post_notice(case, *, actor, deadline: dt.date, processed: list, note: str = "",
                 drive: CleanUpDrive | None = None) -> None:
    _check_state(case, "post_notice")
    case.notice_posted_at = clock.now()
    case.notice_deadline = deadline
    _save_photos(case, Stage.NOTICE, processed)
    _transition(case, "post_notice", actor=actor, verb="traffic.abandoned_notice", comment=note,
                data={"deadline": deadline.isoformat(), "photos": len(processed),
                      "drive": drive.pk if drive else None})


def abandoned_owner_contact(*, actor, case_id: int, channel: str, note: str = "",
                            version: int | None = None) -> AbandonedVehicleCase:
    """The owner was reached, or every way was tried (``channel`` ``unreachable``):
    ``channel`` is one of :data:`CONTACT_CHANNELS`; ``note`` (what was said or tried) is
    required except for an in-app message. When the registered owner has an account an
    in-app notification about the vehicle goes out on commit, whatever the channel.
    ``suspected`` | ``noticed`` → ``contacted``. Needs ``traffic.manage_abandoned``.

    Contacting sets no deadline: only a notice posted on the vehicle (with its photo) does,
    and a vehicle is removed only after a notice's deadline. A case contacted before a
    notice was posted gets its notice afterwards (``contacted`` → ``noticed``, see
    :func:`abandoned_notice_post`); contacting after a notice keeps the notice's
    deadline."""
    perm_require(actor, "traffic.manage_abandoned", system=True)
    errors: dict[str, list[str]] = {}
    if channel not in CONTACT_CHANNELS:
        errors["channel"] = [_("Choose how the owner was contacted.")]
    note = text_checked(note, field="note", limit=NOTE_MAX, errors=errors,
                        required="" if channel == "in_app" else _(
                            "Write what was said or tried."))
    raise_field_errors(errors)
    with transaction.atomic():
        case = _locked_case(case_id, version)
        _check_state(case, "contact")
        now = clock.now()
        with translation.override(settings.LANGUAGE_CODE):
            label = str(CONTACT_CHANNELS[channel])
            record = _("%(channel)s: %(note)s") % {"channel": label, "note": note} if note \
                else label
        case.contacted_at = now
        case.contact_note = record
        owner = _owner_account(case)
        deadline = case.notice_deadline.isoformat() if case.notice_deadline else None
        _transition(case, "contact", actor=actor, verb="traffic.abandoned_contact",
                    comment=note, data={"channel": channel, "notified": owner is not None,
                                        "deadline": deadline})
        if owner is not None:
            _tell_owner(case, owner)
    return case


def _owner_account(case: AbandonedVehicleCase):
    vehicle = case.vehicle
    if vehicle is None or vehicle.owner_id is None or not vehicle.owner.is_active:
        return None
    return vehicle.owner


def _where(case: AbandonedVehicleCase) -> str:
    return " · ".join(x for x in [case.campus.name, case.place.name if case.place_id else "",
                                  case.location_text] if x)


def _tell_owner(case: AbandonedVehicleCase, owner) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Your vehicle %(plate)s looks abandoned: please move it · %(where)s") % {
            "plate": case.plate, "where": _where(case)}
        if case.notice_deadline:
            body = _("The security office asks you to move it by %(date)s; after that it will "
                     "be removed to storage.") % {"date": case.notice_deadline.isoformat()}
        else:
            body = _("The security office asks you to move it or to contact the office.")
    key = f"traffic:abandoned:{case.pk}:contact:{case.row_version}"
    url = case.get_absolute_url()
    transaction.on_commit(lambda: notification_send(
        recipients=[owner], verb="traffic.abandoned_contact", title=title, body=body, url=url,
        dedupe_key=key))


def _close(case, name: str, *, actor, verb: str, note: str, data: dict | None = None):
    case.closed_at = clock.now()
    case.close_note = note
    _transition(case, name, actor=actor, verb=verb, comment=note, data=data)


def abandoned_mark_moved(*, actor, case_id: int, note: str = "",
                         version: int | None = None) -> AbandonedVehicleCase:
    """The owner took the vehicle away (before it was removed). ``suspected`` | ``noticed`` |
    ``contacted`` → ``moved``. Needs ``traffic.manage_abandoned``."""
    perm_require(actor, "traffic.manage_abandoned", system=True)
    errors: dict[str, list[str]] = {}
    note = text_checked(note, field="note", limit=NOTE_MAX, errors=errors)
    raise_field_errors(errors)
    with transaction.atomic():
        case = _locked_case(case_id, version)
        _check_state(case, "mark_moved")
        _close(case, "mark_moved", actor=actor, verb="traffic.abandoned_moved", note=note)
    return case


def abandoned_store(*, actor, case_id: int, storage_place: str,
                    stored_on: dt.date | None = None, photos: Sequence = (), note: str = "",
                    version: int | None = None) -> AbandonedVehicleCase:
    """Removed to storage: ``storage_place`` (required), ``stored_on`` (a local date, default
    today, not in the future and after the notice deadline) and at least one photo. Only once
    the notice deadline has passed (a notice must have been posted). ``claim_until`` becomes
    ``stored_on`` + ``ABANDONED_CLAIM_DAYS``. ``noticed`` | ``contacted`` → ``stored``.
    Needs ``traffic.manage_abandoned``."""
    perm_require(actor, "traffic.manage_abandoned", system=True)
    errors: dict[str, list[str]] = {}
    storage_place = text_checked(storage_place, field="storage_place", limit=TEXT_MAX, errors=errors,
                                 required=_("Say where the vehicle is stored."))
    note = text_checked(note, field="note", limit=NOTE_MAX, errors=errors)
    today = local_today()
    stored_on = stored_on or today
    if stored_on > today:
        errors["stored_on"] = [_("The day of removal cannot be in the future.")]
    raise_field_errors(errors)
    processed = _photos(photos, required=_("Take at least one photo of the removal."))
    with transaction.atomic():
        case = _locked_case(case_id, version)
        _check_state(case, "store")
        if case.notice_posted_at is None or case.notice_deadline is None:
            # contacted without a notice (also rows from when contacting set a deadline)
            raise Conflict(_("Post a notice with a deadline on the vehicle before removing it."),
                           code="no_notice")
        if today <= case.notice_deadline:
            raise Conflict(_("The notice deadline (%(date)s) has not passed yet; the vehicle "
                             "may be removed from the day after.")
                           % {"date": case.notice_deadline.isoformat()}, code="deadline_ahead")
        if stored_on <= case.notice_deadline:
            raise field_error("stored_on", _("The day of removal must be after the notice "
                                          "deadline (%(date)s).")
                           % {"date": case.notice_deadline.isoformat()})
        case.storage_place = storage_place
        case.stored_on = stored_on
        case.claim_until = stored_on + dt.timedelta(days=_days("ABANDONED_CLAIM_DAYS"))
        _save_photos(case, Stage.STORAGE, processed)
        _transition(case, "store", actor=actor, verb="traffic.abandoned_store", comment=note,
                    data={"storage_place": storage_place, "stored_on": stored_on.isoformat(),
                          "claim_until": case.claim_until.isoformat(),
                          "photos": len(processed)})
        owner = _owner_account(case)
        if owner is not None:
            with translation.override(settings.LANGUAGE_CODE):
                title = _("Your vehicle %(plate)s was removed to storage: %(place)s") % {
                    "plate": case.plate, "place": storage_place}
                body = _("Claim it by %(date)s with your driving licence and the vehicle "
                         "registration; after that it will be disposed of.") % {
                    "date": case.claim_until.isoformat()}
            url, key = case.get_absolute_url(), f"traffic:abandoned:{case.pk}:stored"
            transaction.on_commit(lambda: notification_send(
                recipients=[owner], verb="traffic.abandoned_store", title=title, body=body,
                url=url, dedupe_key=key))
    return case


def abandoned_claim(*, actor, case_id: int, claimed_by_name: str, verification: str,
                    photos: Sequence = (), note: str = "",
                    version: int | None = None) -> AbandonedVehicleCase:
    """The verified owner collected the vehicle from storage: ``claimed_by_name`` and
    ``verification`` (which documents were checked) are required; only up to and including
    ``claim_until``. ``stored`` → ``claimed``. Needs ``traffic.manage_abandoned``."""
    perm_require(actor, "traffic.manage_abandoned", system=True)
    errors: dict[str, list[str]] = {}
    claimed_by_name = text_checked(claimed_by_name, field="claimed_by_name", limit=NAME_MAX,
                                   errors=errors, required=_("Enter who claimed the vehicle."))
    verification = text_checked(verification, field="verification", limit=TEXT_MAX, errors=errors,
                                required=_("Say how the owner was verified (documents checked)."))
    note = text_checked(note, field="note", limit=NOTE_MAX, errors=errors)
    raise_field_errors(errors)
    processed = _photos(photos)
    with transaction.atomic():
        case = _locked_case(case_id, version)
        _check_state(case, "claim")
        if local_today() > case.claim_until:
            raise Conflict(_("The claim period ended on %(date)s.")
                           % {"date": case.claim_until.isoformat()}, code="claim_period_over")
        case.claimed_by_name = claimed_by_name
        case.claim_verification = verification
        _save_photos(case, Stage.CLAIM, processed)
        _close(case, "claim", actor=actor, verb="traffic.abandoned_claim", note=note,
               data={"claimed_by": claimed_by_name, "verification": verification})
    return case


def abandoned_dispose(*, actor, case_id: int, note: str, photos: Sequence = (),
                      version: int | None = None) -> AbandonedVehicleCase:
    """Nobody claimed the vehicle: disposed of (``note``: how, required), only after
    ``claim_until``. ``stored`` → ``disposed``. Needs ``traffic.manage_abandoned``."""
    perm_require(actor, "traffic.manage_abandoned", system=True)
    errors: dict[str, list[str]] = {}
    note = text_checked(note, field="note", limit=NOTE_MAX, errors=errors,
                        required=_("Say how the vehicle was disposed of."))
    raise_field_errors(errors)
    processed = _photos(photos)
    with transaction.atomic():
        case = _locked_case(case_id, version)
        _check_state(case, "dispose")
        if local_today() <= case.claim_until:
            raise Conflict(_("The claim period runs until %(date)s; dispose of the vehicle "
                             "only after it.") % {"date": case.claim_until.isoformat()},
                           code="claim_period_running")
        _save_photos(case, Stage.DISPOSAL, processed)
        _close(case, "dispose", actor=actor, verb="traffic.abandoned_dispose", note=note)
    return case


def abandoned_dismiss(*, actor, case_id: int, reason: str,
                      version: int | None = None) -> AbandonedVehicleCase:
    """Not abandoned after all (in use, wrongly tagged): ``reason`` required.
    ``suspected`` | ``noticed`` | ``contacted`` → ``dismissed``. Needs
    ``traffic.manage_abandoned``."""
    perm_require(actor, "traffic.manage_abandoned", system=True)
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=NOTE_MAX, errors=errors,
                          required=_("Say why the vehicle is not abandoned."))
    raise_field_errors(errors)
    with transaction.atomic():
        case = _locked_case(case_id, version)
        _check_state(case, "dismiss")
        _close(case, "dismiss", actor=actor, verb="traffic.abandoned_dismiss", note=reason)
    return case


def abandoned_photos_add(*, actor, case_id: int, stage: str, photos: Sequence,
                         idempotency_key: str | None = None) -> list[CasePhoto]:
    """Add photos to a stage the case has reached (e.g. the notice photo of a notice posted
    in a batch). Needs ``traffic.manage_abandoned``; no state change, one timeline entry.
    The same ``idempotency_key`` (same actor) returns the photos the first call added."""
    perm_require(actor, "traffic.manage_abandoned", system=True)
    if stage not in Stage.values:
        raise field_error("stage", _("Choose the stage of the photos."))
    processed = _photos(photos, required=_("Choose at least one photo."))
    with transaction.atomic():
        case = _locked_case(case_id, None)
        # looked up under the case's lock: a concurrent double tap waits for the first
        replay = _batch_replay(scope=PHOTOS_SCOPE, key=idempotency_key, actor=actor,
                               target=case)
        if replay is not None:
            return _in_order(CasePhoto, replay.data.get("photo_ids", []))
        reached = {Stage.SIGHTING: True, Stage.NOTICE: case.notice_posted_at is not None,
                   Stage.STORAGE: case.stored_on is not None,
                   Stage.CLAIM: case.state == State.CLAIMED,
                   Stage.DISPOSAL: case.state == State.DISPOSED}[stage]
        if not reached:
            raise Conflict(msg_illegal(case), code="illegal_transition")
        before = list(CasePhoto.objects.filter(case=case).values_list("pk", flat=True))
        _save_photos(case, stage, processed)
        added = list(CasePhoto.objects.filter(case=case).exclude(pk__in=before).order_by("id"))
        entry = activity_record(target=case, actor=actor, verb="traffic.abandoned_photos",
                                data={"stage": stage, "photos": len(processed),
                                      "photo_ids": [p.pk for p in added]})
        winner = idempotency_race_lost(scope=PHOTOS_SCOPE, key=idempotency_key, user=actor,
                                       result=entry)
    return _in_order(CasePhoto, winner.data.get("photo_ids", [])) if winner else added


# --- clean-up drives ------------------------------------------------------------------------------
def clean_up_drive_create(*, actor, campus_id: int, name: str,
                          starts_on: dt.date | None = None,
                          notice_deadline: dt.date | None = None, note: str = "",
                          idempotency_key: str | None = None) -> CleanUpDrive:
    """A clean-up drive (僵尸车清理行动) on one campus. ``starts_on`` defaults to today;
    ``notice_deadline`` (the day owners must move their vehicles by, after today and not
    before ``starts_on``) to ``starts_on`` + ``ABANDONED_NOTICE_DAYS``. Needs
    ``traffic.manage_abandoned``. Raises DomainError (``campus``, ``name``, ``starts_on``,
    ``notice_deadline``, ``note``)."""
    perm_require(actor, "traffic.manage_abandoned", system=True)
    existing = idempotency_lookup(scope=DRIVE_SCOPE, key=idempotency_key, model=CleanUpDrive,
                                  user=actor)
    if existing is not None:
        return existing
    errors: dict[str, list[str]] = {}
    name = text_checked(name, field="name", limit=100, errors=errors,
                        required=_("Give the drive a name."))
    note = text_checked(note, field="note", limit=NOTE_MAX, errors=errors)
    today = local_today()
    starts_on = starts_on or today
    span = dt.timedelta(days=DATE_RANGE_DAYS)
    if not today - span <= starts_on <= today + span:
        # checked first: the default deadline below is computed from it
        errors["starts_on"] = [_("A drive starts at most %(days)s days before or after "
                                 "today (%(first)s to %(last)s).") % {
            "days": DATE_RANGE_DAYS, "first": (today - span).isoformat(),
            "last": (today + span).isoformat()}]
        starts_on = today
    notice_deadline = notice_deadline or max(
        starts_on, today) + dt.timedelta(days=_days("ABANDONED_NOTICE_DAYS"))
    problem = _deadline_problem(notice_deadline)
    if problem is not None:
        errors["notice_deadline"] = [problem]
    elif notice_deadline < starts_on:
        errors["notice_deadline"] = [_("The deadline cannot be before the drive starts.")]
    campus = (Campus.objects.filter(pk=campus_id).first()
              if id_or_none(campus_id) else None)
    if campus is None:
        errors["campus"] = [_("Choose the campus.")]
    raise_field_errors(errors)
    with transaction.atomic():
        drive = CleanUpDrive.objects.create(campus=campus, name=name, starts_on=starts_on,
                                            notice_deadline=notice_deadline, note=note,
                                            created_by=actor)
        activity_record(target=drive, actor=actor, verb="traffic.clean_up_drive_create",
                        data={"notice_deadline": notice_deadline.isoformat()})
        winner = idempotency_race_lost(scope=DRIVE_SCOPE, key=idempotency_key, user=actor,
                                       result=drive)
    return winner or drive


def _locked_drive(drive_id) -> CleanUpDrive:
    drive = (CleanUpDrive.objects.select_for_update(of=("self",)).select_related("campus")
             .filter(pk=drive_id).first() if id_or_none(drive_id) else None)
    if drive is None:
        raise DomainError(_("This clean-up drive does not exist."), code="not_found")
    return drive


def abandoned_cases_tag(*, actor, drive_id: int, rows: Iterable[Mapping],
                        idempotency_key: str | None = None) -> list[AbandonedVehicleCase]:
    """Open a case (source ``clean_up``) for every vehicle tagged in a drive, all or nothing.

    ``rows``: mappings with ``plate`` ("" for a vehicle without a plate, which then needs a
    ``description``), optional ``location_text``, ``description``, ``vehicle_kind`` and
    ``place_id`` (a place of the drive's campus); at most :data:`TAG_MAX_ROWS`. Every row is
    checked first: a bad plate, a plate twice in the batch or a plate with an open case is
    reported with its row number (1-based, or the row's ``line``: its line in the text it
    was read from) in ``field_errors["rows"]`` and nothing is written. Returns the new
    cases in row order. Needs ``traffic.manage_abandoned``.

    The same ``idempotency_key`` (same actor, same drive) returns the cases the first call
    opened, also when the two calls overlap (the key is looked up again under the drive's
    lock), instead of opening the vehicles without a plate twice and refusing the plated
    ones as already open.
    """
    perm_require(actor, "traffic.manage_abandoned", system=True)
    rows = list(rows)
    if not rows:
        raise field_error("rows", _("Enter at least one vehicle."))
    if len(rows) > TAG_MAX_ROWS:
        raise field_error("rows", _("At most %(count)s vehicles in one go.")
                       % {"count": TAG_MAX_ROWS})
    with transaction.atomic():
        drive = _locked_drive(drive_id)
        replay = _batch_replay(scope=TAG_SCOPE, key=idempotency_key, actor=actor,
                               target=drive)
        if replay is not None:
            return _in_order(Case, replay.data.get("case_ids", []))
        clean, problems = _check_rows(rows, drive=drive)
        if problems:
            raise DomainError(
                _("%(count)s of %(total)s lines have problems; nothing was saved.")
                % {"count": len(problems), "total": len(rows)},
                code="rows_invalid", field_errors={"rows": problems})
        cases = _create_cases(actor=actor, campus=drive.campus, drive=drive, rows=clean,
                              source=Source.CLEAN_UP)
        entry = activity_record(target=drive, actor=actor, verb="traffic.clean_up_drive_tag",
                                data={"cases": len(cases), "case_ids": [c.pk for c in cases]})
        winner = idempotency_race_lost(scope=TAG_SCOPE, key=idempotency_key, user=actor,
                                       result=entry)
    return _in_order(Case, winner.data.get("case_ids", [])) if winner else cases


def msg_row(number: int, message: str) -> str:
    return _("Line %(number)s: %(message)s") % {"number": number, "message": message}


def _check_rows(rows: list, *, drive: CleanUpDrive) -> tuple[list[dict], list[str]]:
    problems: list[tuple[int, str]] = []
    clean: list[dict] = []
    seen: dict[str, int] = {}
    place_ids = {str(r.get("place_id")) for r in rows if r.get("place_id") not in (None, "")}
    places = {str(p.pk): p for p in Place.objects.filter(
        pk__in=[p for p in place_ids if id_or_none(p)])}
    for position, row in enumerate(rows, start=1):
        index = int(row["line"]) if id_or_none(row.get("line")) else position
        errors: dict[str, list[str]] = {}
        text = (row.get("plate") or "").strip()
        number = ""
        if text:
            try:
                number = plate_check(text).number
            except DomainError as error:
                errors["plate"] = [_("%(plate)s: %(reason)s") % {"plate": quote(text),
                                                                   "reason": error.message}]
        kind = row.get("vehicle_kind") or ""
        if kind and kind not in Vehicle.Kind.values:
            errors["vehicle_kind"] = [_("Choose the type of vehicle.")]
        description = text_checked(row.get("description"), field="description", limit=TEXT_MAX,
                                   errors=errors, required="" if (number or errors.get("plate")) else
                                   _("Without a plate, describe the vehicle (make, colour, "
                                     "condition)."))
        location = text_checked(row.get("location_text"), field="location_text", limit=TEXT_MAX,
                                errors=errors)
        place = None
        if row.get("place_id") not in (None, ""):
            place = places.get(str(row.get("place_id")))
            if place is None or place.campus_id != drive.campus_id:
                errors["place"] = [_("Choose a place on %(campus)s.")
                                   % {"campus": drive.campus.name}]
        if number and number in seen:
            errors["plate"] = [_("%(plate)s is already on line %(line)s.")
                               % {"plate": number, "line": seen[number]}]
        elif number:
            seen[number] = index
        for messages in errors.values():
            problems.extend((index, msg_row(index, m)) for m in messages)
        clean.append({"plate": number, "vehicle_kind": kind, "description": description,
                      "location_text": location, "place": place})
    if seen:
        for case in Case.objects.filter(plate__in=list(seen), state__in=CASE_OPEN_STATES):
            problems.append((seen[case.plate], msg_row(seen[case.plate], msg_already_open(case))))
    problems.sort(key=lambda item: item[0])  # in line order (a stable sort keeps the rest)
    return clean, [message for _index, message in problems]


def drive_notices_post(*, actor, drive_id: int,
                       photos: Mapping[int, Sequence] | None = None) -> dict:
    """Post the drive's notice deadline on all its ``suspected`` cases in one go.

    ``photos``: optional ``{case_id: [upload, …]}`` — a photo per case is welcome but not
    required in a batch (the team posts dozens of notices in one walk and may add the
    photos later on each case with :func:`abandoned_photos_add`; the timeline records
    ``photos: 0``). Photos keyed by anything but a case of this drive that is still
    ``suspected`` are refused (DomainError on ``photos`` naming them; nothing written), so
    no photo is ever dropped silently. Cases already past ``suspected`` are left as they
    are and reported. The drive's deadline must still be ahead. Returns ``{"posted": n,
    "skipped": m, "skipped_cases": [case numbers]}``. Needs ``traffic.manage_abandoned``.
    All or nothing: one unreadable photo refuses the batch.
    """
    perm_require(actor, "traffic.manage_abandoned", system=True)
    photos = {k: v for k, v in (photos or {}).items() if v}
    bad_keys = [str(k) for k in photos if not id_or_none(k)]
    if bad_keys:
        raise field_error("photos", _("Photos are for cases of this drive; not a case: "
                                   "%(keys)s.") % {"keys": ", ".join(bad_keys)})
    processed = {int(k): _photos(v) for k, v in photos.items()}
    with transaction.atomic():
        drive = _locked_drive(drive_id)
        if drive.notice_deadline <= local_today():
            raise Conflict(_("The drive's notice deadline (%(date)s) is not after today.")
                           % {"date": drive.notice_deadline.isoformat()}, code="deadline_past")
        cases = list(Case.objects.select_for_update(of=("self",))
                     .select_related("vehicle__owner", "campus", "place")
                     .filter(drive=drive).order_by("id"))
        by_id = {case.pk: case for case in cases}
        strangers = sorted(pk for pk in processed if pk not in by_id)
        if strangers:
            numbers = dict(Case.objects.filter(pk__in=strangers).values_list("pk", "number"))
            raise field_error("photos", _("These cases are not in this drive: %(cases)s. "
                                       "Nothing was posted.") % {
                "cases": ", ".join(numbers.get(pk, str(pk)) for pk in strangers)})
        moved_on = [by_id[pk].number for pk in sorted(processed)
                    if by_id[pk].state != State.SUSPECTED]
        if moved_on:
            raise field_error("photos", _("These cases are not suspected any more, so no notice "
                                       "is posted on them: %(cases)s. Add their photos on "
                                       "each case. Nothing was posted.")
                           % {"cases": ", ".join(moved_on)})
        posted, skipped = 0, []
        for case in cases:
            if case.state != State.SUSPECTED:
                skipped.append(case.number)
                continue
            _post_notice(case, actor=actor, deadline=drive.notice_deadline,
                         processed=processed.get(case.pk, []), drive=drive)
            posted += 1
        activity_record(target=drive, actor=actor, verb="traffic.clean_up_drive_notices",
                        data={"posted": posted, "skipped": len(skipped),
                              "skipped_cases": skipped})
    return {"posted": posted, "skipped": len(skipped), "skipped_cases": skipped}


# --- reminders ------------------------------------------------------------------------------------
def abandoned_reminders_sweep(*, at: dt.datetime | None = None) -> dict[str, int]:
    """Tell the office (staff and administrators, in-app) about each case that became due:

    - ``ready_to_remove``: a notice posted (``noticed``, or ``contacted`` after the notice)
      and its deadline (a local day) has passed;
    - ``ready_to_dispose``: ``stored`` and ``claim_until`` has passed.

    Idempotent: each case is re-checked under its row lock, and its timeline entry for that
    kind and date (written first, in the same transaction) marks it announced, so re-runs
    and overlapping runs never announce twice; the messages go out when the transaction
    commits (house rule 2), with a dedupe key per case and date besides. Returns how many
    cases of each kind were announced now.
    """
    at = at or clock.now()
    today = at.astimezone(clock.local_zone()).date()
    counts = {"ready_to_remove": 0, "ready_to_dispose": 0}
    recipients = office_people(Role.OFFICE_STAFF, Role.OFFICE_ADMIN)
    if not recipients:
        return counts
    steps = [
        ("ready_to_remove", Case.objects.filter(
            state__in=[State.NOTICED, State.CONTACTED], notice_posted_at__isnull=False,
            notice_deadline__lt=today),
         "notice_deadline"),
        ("ready_to_dispose", Case.objects.filter(state=State.STORED, claim_until__lt=today),
         "claim_until"),
    ]
    for name, todo, field in steps:
        for pk in todo.order_by("id").values_list("pk", flat=True):
            with transaction.atomic():
                case = (Case.objects.select_for_update(of=("self",))
                        .select_related("campus", "place").get(pk=pk))
                day = getattr(case, field)
                due = (case.state in (State.NOTICED, State.CONTACTED)
                       and case.notice_posted_at is not None
                       if name == "ready_to_remove" else case.state == State.STORED)
                if not due or day is None or day >= today:
                    continue
                with translation.override(settings.LANGUAGE_CODE):
                    label = case.plate or case.description or case.number
                    if name == "ready_to_remove":
                        title = _("Abandoned vehicle %(vehicle)s can be removed: the notice "
                                  "deadline %(date)s has passed") % {
                            "vehicle": label, "date": day.isoformat()}
                    else:
                        title = _("Abandoned vehicle %(vehicle)s can be disposed of: the claim "
                                  "period ended on %(date)s") % {
                            "vehicle": label, "date": day.isoformat()}
                    body = f"{case.number} · {_where(case)}"
                verb = f"traffic.abandoned_{name}"
                if activity_for(case).filter(verb=verb, data__date=day.isoformat()).exists():
                    continue  # announced by an earlier run (the row lock orders the runs)
                activity_record(target=case, actor=None, verb=verb,
                                data={"date": day.isoformat(), "recipients": len(recipients)})
                _send_on_commit(recipients=recipients, verb=verb, title=title, body=body,
                                url=case.get_absolute_url(),
                                dedupe_key=f"traffic:abandoned:{case.pk}:{name}:{day.isoformat()}")
                counts[name] += 1
    return counts


def _send_on_commit(**kwargs) -> None:
    transaction.on_commit(lambda: notification_send(**kwargs, email=False))
