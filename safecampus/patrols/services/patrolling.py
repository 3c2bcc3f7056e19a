"""Patrolling (writes): checkpoint codes, shifts and rounds, scans and the missed-checkpoint sweep.

Errors: :class:`~safecampus.core.errors.DomainError` (bad input, 400; ``code`` says which:
``unknown_code``, ``revoked_code``, ``forged_code``, ``bad_time`` …),
:class:`~safecampus.core.errors.NotAllowed` (403), :class:`~safecampus.core.errors.Conflict`
(illegal or stale transition, 409). Times in and out are aware datetimes; local clock times
and dates are Asia/Shanghai (``settings.TIME_ZONE``).

Codes. A checkpoint's QR code is ``<PUBLIC_URL>/patrols/c/<id>-<generation>.<signature>/``,
where the signature is an HMAC (Django's :class:`~django.core.signing.Signer`, SHA-256,
keyed by ``SECRET_KEY`` with its own salt) of ``<id>-<generation>``. Nobody without the
server's key can make a code for another checkpoint or another generation (forged), and
rotating a checkpoint's code raises its generation so every earlier sticker is refused
(revoked). The manual code printed under the QR is random (8 characters from an alphabet
without look-alikes, 40 bits) and changes on rotation too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from safecampus.accounts.models import Role
from safecampus.accounts.selectors import office_people
from safecampus.core import clock, qrcodes
from safecampus.core.activity import activity_record
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.forms import id_or_none
from safecampus.core.geo import (
    LATITUDE_LIMIT,
    LONGITUDE_LIMIT,
    BadCoordinate,
    client_uuid,
    distance_m,
    parse_degrees,
)
from safecampus.notifications.services import notification_send, robot_broadcast

from ..models import Checkpoint, CheckpointScan, PatrolRound, PatrolSchedule, PatrolShift

CODE_SALT = "safecampus.patrols.checkpoint"
#: Manual codes: no 0/O, 1/I/L, so a guard reading a worn sticker cannot mistype them.
MANUAL_ALPHABET = qrcodes.MANUAL_ALPHABET
MANUAL_LENGTH = qrcodes.MANUAL_LENGTH
REASON_MAX = 1000
NOTE_MAX = 500
#: Largest batch the phone may upload at once.
BULK_MAX = 500

_signer = qrcodes.CodeSigner(salt=CODE_SALT, url_segment="c")


def _require(actor, perm: str, obj=None) -> None:
    if not actor.has_perm(perm, obj):
        raise NotAllowed()


# --- codes -----------------------------------------------------------------------------------
def checkpoint_code(checkpoint: Checkpoint) -> str:
    """The signed code of the checkpoint's current generation, e.g. ``12-3.Xy…`` (ASCII)."""
    return _signer.sign(checkpoint.pk, checkpoint.code_generation)


def checkpoint_url(checkpoint: Checkpoint) -> str:
    """The address the QR code holds: ``SAFECAMPUS["PUBLIC_URL"]`` + the scan page, never the
    host of the current request (a sticker printed from a laptop on ``localhost`` must still
    open on a guard's phone)."""
    path = reverse("patrols:scan_code", args=[checkpoint_code(checkpoint)])
    return settings.SAFECAMPUS["PUBLIC_URL"] + path


def manual_code_new() -> str:
    """A fresh random manual code (8 characters of :data:`MANUAL_ALPHABET`)."""
    return qrcodes.manual_code_new()


def checkpoint_resolve(code: str) -> tuple[Checkpoint, str]:
    """The checkpoint a scanned or typed code names, and how it was given (``qr``/``manual``).

    ``code`` may be the whole URL from the QR code, the signed part alone, or the manual code
    (spaces, dashes and case ignored). Raises DomainError with ``code``:
    ``unknown_code`` (no such code), ``forged_code`` (signature wrong), ``revoked_code``
    (an earlier generation, or the checkpoint/route is no longer in use).
    """
    try:
        signed = _signer.parse(code)
    except qrcodes.ForgedCode:
        raise DomainError(_("This code is forged or damaged: it was not issued by the security "
                            "office. Report the sticker to your shift leader."),
                          code="forged_code") from None
    if signed is None:
        manual = qrcodes.manual_code_normalise(_signer.extract(code))
        _check_manual_shape(manual, typed=code)
        checkpoint = (Checkpoint.objects.select_related("route", "place")
                      .filter(manual_code=manual).first() if manual else None)
        if checkpoint is None:
            raise DomainError(_("This code is not a checkpoint code in use: it may be mistyped "
                                "or replaced. Check the sticker; if it has been replaced, tell "
                                "your shift leader."), code="unknown_code")
        _check_in_use(checkpoint)
        return checkpoint, CheckpointScan.Method.MANUAL
    pk, generation = signed.pk, signed.generation
    checkpoint = Checkpoint.objects.select_related("route", "place").filter(pk=pk).first()
    if checkpoint is None:
        raise DomainError(_("This checkpoint no longer exists."), code="unknown_code")
    if generation != checkpoint.code_generation:
        raise DomainError(_("This sticker's code has been replaced. Report the old sticker to "
                            "your shift leader."), code="revoked_code")
    _check_in_use(checkpoint)
    return checkpoint, CheckpointScan.Method.QR


def _check_manual_shape(manual: str, *, typed: str) -> None:
    """Refuse a typed code that cannot be a manual code (wrong length or characters) with a
    message that says what one looks like (DomainError ``unknown_code``). Nothing typed is
    refused as such; an address with no code in it is left to the lookup (unknown)."""
    if not (typed or "").strip():
        raise DomainError(_("Type the code printed under the QR code."), code="unknown_code")
    if not manual:
        return
    shown = manual if len(manual) <= 20 else manual[:20] + "…"
    if len(manual) != MANUAL_LENGTH:
        raise DomainError(_("The code printed under the QR code has %(length)s characters; "
                            "“%(code)s” has %(count)s. Check the sticker and type it again.")
                          % {"length": MANUAL_LENGTH, "code": shown, "count": len(manual)},
                          code="unknown_code")
    if any(c not in MANUAL_ALPHABET for c in manual):
        raise DomainError(_("The code printed under the QR code has only the digits 2 to 9 and "
                            "letters other than I, L and O; “%(code)s” has other characters. "
                            "Check the sticker and type it again.") % {"code": shown},
                          code="unknown_code")


def _check_in_use(checkpoint: Checkpoint) -> None:
    if not checkpoint.is_active or not checkpoint.route.is_active:
        raise DomainError(_("This checkpoint is no longer patrolled."), code="revoked_code")


def checkpoint_rotate_code(*, actor, checkpoint_id: int) -> Checkpoint:
    """Issue a new QR and manual code for a checkpoint; every earlier sticker stops working."""
    _require(actor, "patrols.manage_patrols")
    with transaction.atomic():
        checkpoint = Checkpoint.objects.select_for_update().filter(pk=checkpoint_id).first()
        if checkpoint is None:
            raise DomainError(_("No such checkpoint."), code="not_found")
        old = checkpoint.code_generation
        checkpoint.code_generation = old + 1
        checkpoint.manual_code = _unique_manual_code()
        checkpoint.code_rotated_at = clock.now()
        checkpoint.save(update_fields=["code_generation", "manual_code", "code_rotated_at",
                                       "updated_at"])
        activity_record(target=checkpoint, actor=actor, verb="patrols.rotate_code",
                        from_state=str(old), to_state=str(checkpoint.code_generation))
    return checkpoint


def _unique_manual_code() -> str:
    while True:
        code = manual_code_new()
        if not Checkpoint.objects.filter(manual_code=code).exists():
            return code


def checkpoint_manual_code_unique() -> str:
    """A manual code that no checkpoint has yet (for a new checkpoint)."""
    return _unique_manual_code()


# --- shifts and rounds -----------------------------------------------------------------------
def _local(day: dt.date, at: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=clock.local_zone())


def shift_bounds(schedule: PatrolSchedule, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Start and end (aware) of ``schedule`` on local date ``day``; an end not after the start
    is on the next day (a night shift 22:00–06:00 ends the next morning)."""
    start = _local(day, schedule.starts_at)
    end_day = day if schedule.ends_at > schedule.starts_at else day + dt.timedelta(days=1)
    return start, _local(end_day, schedule.ends_at)


def round_windows(schedule: PatrolSchedule, day: dt.date) -> list[tuple[dt.datetime, ...]]:
    """``(window_start, window_end, late_until)`` of each round of ``schedule`` on ``day``.

    The shift is cut into ``rounds`` equal parts; a round's window is its first
    ``window_minutes`` (at most the whole part); late scans count until the next round
    starts (or the shift ends).
    """
    start, end = shift_bounds(schedule, day)
    count = max(1, schedule.rounds)
    part = (end - start) / count
    window = min(dt.timedelta(minutes=schedule.window_minutes), part)
    result = []
    for i in range(count):
        opens = start + part * i
        result.append((opens, opens + window, start + part * (i + 1)))
    return result


def shift_plan(*, schedule: PatrolSchedule, day: dt.date) -> PatrolShift | None:
    """Create the shift of ``schedule`` on local ``day`` with its rounds, if it runs that day.

    Idempotent: a second call returns the existing shift and changes nothing. The rounds
    expect the route's active checkpoints at the time of planning. Returns None when the
    schedule does not run on that weekday or the route has no active checkpoint.
    """
    if str(day.isoweekday()) not in schedule.weekdays:
        return None
    existing = PatrolShift.objects.filter(schedule=schedule, shift_date=day).first()
    if existing is not None:
        return existing
    checkpoint_ids = list(Checkpoint.objects.filter(route_id=schedule.route_id, is_active=True)
                          .order_by("sequence").values_list("pk", flat=True))
    if not checkpoint_ids:
        return None
    start, end = shift_bounds(schedule, day)
    try:
        with transaction.atomic():
            shift = PatrolShift.objects.create(schedule=schedule, route_id=schedule.route_id,
                                               shift_date=day, starts_at=start, ends_at=end,
                                               leader_id=schedule.leader_id)
            shift.guards.set(schedule.guards.all())
            PatrolRound.objects.bulk_create([
                PatrolRound(shift=shift, route_id=schedule.route_id, sequence=i + 1,
                            window_start=opens, window_end=closes, late_until=late,
                            checkpoint_ids=checkpoint_ids,
                            checkpoints_expected=len(checkpoint_ids))
                for i, (opens, closes, late) in enumerate(round_windows(schedule, day))
            ])
    except IntegrityError:  # planned concurrently by another sweep
        return PatrolShift.objects.get(schedule=schedule, shift_date=day)
    return shift


def shifts_plan_ahead(*, at: dt.datetime | None = None) -> int:
    """Plan today's and tomorrow's shifts (local dates) of every active schedule.

    Returns the number of shifts that exist for those days afterwards. Idempotent.
    """
    today = clock.local_today() if at is None else at.astimezone(clock.local_zone()).date()
    count = 0
    schedules = PatrolSchedule.objects.filter(is_active=True, route__is_active=True)
    for schedule in schedules.prefetch_related("guards"):
        for day in (today, today + dt.timedelta(days=1)):
            if shift_plan(schedule=schedule, day=day) is not None:
                count += 1
    return count


def _lock_round(round_id: int) -> PatrolRound:
    round_ = (PatrolRound.objects.select_for_update().select_related("shift", "route")
              .filter(pk=round_id).first())
    if round_ is None:
        raise DomainError(_("No such round."), code="not_found")
    return round_


#: A round can be started this long before its window opens (walking to the first checkpoint).
START_LEAD = dt.timedelta(minutes=15)


def round_start(*, actor, round_id: int) -> PatrolRound:
    """A guard starts a planned round; it becomes theirs.

    Allowed from :data:`START_LEAD` before the window opens until late scans stop counting
    (``late_until``). Raises Conflict if the round has started or ended, DomainError
    (``too_early`` / ``too_late``) outside that time.
    """
    _require(actor, "patrols.patrol")
    now = clock.now()
    with transaction.atomic():
        round_ = _lock_round(round_id)
        if not can_proceed(round_.start):
            raise Conflict(_("This round has already started or ended."))
        if now < round_.window_start - START_LEAD:
            opens = round_.window_start.astimezone(clock.local_zone())
            raise DomainError(_("This round's window opens at %(time)s; start it then.")
                              % {"time": opens.strftime("%m-%d %H:%M")}, code="too_early")
        if now >= round_.late_until:
            raise DomainError(_("This round's time is over; it can no longer be started."),
                              code="too_late")
        round_.start()
        round_.guard = actor
        round_.started_at = now
        round_.save()
        activity_record(target=round_, actor=actor, verb="patrols.start_round",
                        from_state=PatrolRound.State.PLANNED, to_state=round_.state)
    return round_


def round_end_early(*, actor, round_id: int, reason: str) -> PatrolRound:
    """End an in-progress round before every checkpoint is scanned; ``reason`` is required.

    Only its guard, the shift leader or the office may end it. Raises DomainError without a
    reason, Conflict when the round is not in progress.
    """
    _require(actor, "patrols.patrol")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the round ends before every checkpoint is scanned."),
                          field_errors={"reason": [_("A reason is required.")]})
    if len(reason) > REASON_MAX:
        raise DomainError(_("The reason is too long (at most %(limit)s characters).")
                          % {"limit": REASON_MAX}, field_errors={"reason": [_("Too long.")]})
    with transaction.atomic():
        round_ = _lock_round(round_id)
        if actor.pk not in (round_.guard_id, round_.shift.leader_id) and not actor.scope.is_office:
            raise NotAllowed(_("Only the round's guard or the shift leader can end it."))
        if not can_proceed(round_.end_early):
            raise Conflict(_("Only a round in progress can be ended early."))
        round_.end_early()
        round_.ended_at = clock.now()
        round_.end_reason = reason
        round_.save()
        activity_record(target=round_, actor=actor, verb="patrols.end_round_early",
                        from_state=PatrolRound.State.IN_PROGRESS, to_state=round_.state,
                        comment=reason)
    return round_


# --- scans -----------------------------------------------------------------------------------
@dataclass
class ScanOutcome:
    """What happened to one scan: ``created`` False means the same ``client_id`` was already
    stored (a replayed upload) and ``scan`` is the stored one."""

    scan: CheckpointScan
    created: bool


def _parse_coordinate(value, limit: int, field: str) -> Decimal | None:
    try:
        return parse_degrees(value, limit=limit)
    except BadCoordinate as bad:
        if bad.reason == "not_a_number":
            raise DomainError(_("The position is not a number."), code="bad_location",
                              field_errors={field: [_("Not a number.")]}) from None
        raise DomainError(_("The position is out of range."), code="bad_location",
                          field_errors={field: [_("Out of range.")]}) from None


def _as_uuid(value) -> uuid.UUID:
    parsed = client_uuid(value)
    if parsed is None:
        raise DomainError(_("The scan has no valid id from the phone."), code="bad_client_id",
                          field_errors={"client_id": [_("Not a valid id.")]})
    return parsed


def scan_record(
    *,
    actor,
    code: str,
    client_id,
    scanned_at: dt.datetime | None,
    latitude=None,
    longitude=None,
    accuracy_m: int | None = None,
    round_id: int | None = None,
    note: str = "",
) -> ScanOutcome:
    """Record that ``actor`` scanned the checkpoint named by ``code`` at ``scanned_at``.

    ``scanned_at``: the phone's clock (aware; None means now). ``client_id``: the phone's id
    of this scan (UUID); the same id from the same guard is stored once, so replaying an
    offline queue creates nothing new. ``latitude``/``longitude``: WGS-84 degrees when the
    phone gave a position, ``accuracy_m`` in metres. ``round_id``: the round the guard is
    walking, when known.

    The scan counts at the phone's time unless that time is more than
    ``PATROL_FUTURE_TOLERANCE_MINUTES`` ahead of the server (then at the server's time).
    It is matched to the round of the checkpoint's route whose window contains it (on time),
    or whose late period does (late); the first counting scan of a checkpoint in a round
    updates the round's counters and may complete it. Flags (see ``CheckpointScan.Flag``):
    phone time in the future or older than ``PATROL_STALE_AFTER_HOURS``, position farther
    from the checkpoint than its radius, no round at that time, guard not on the shift.

    Raises DomainError for an unknown, forged or revoked code, a bad id, position or note.
    """
    _require(actor, "patrols.patrol")
    client_uuid = _as_uuid(client_id)
    stored = CheckpointScan.objects.filter(guard=actor, client_id=client_uuid).first()
    if stored is not None:
        return ScanOutcome(stored, False)
    checkpoint, method = checkpoint_resolve(code)
    lat = _parse_coordinate(latitude, LATITUDE_LIMIT, "latitude")
    lon = _parse_coordinate(longitude, LONGITUDE_LIMIT, "longitude")
    if (lat is None) != (lon is None):
        lat = lon = None
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("The note is too long (at most %(limit)s characters).")
                          % {"limit": NOTE_MAX}, code="bad_note",
                          field_errors={"note": [_("Too long.")]})
    if accuracy_m is not None:
        try:
            accuracy_m = max(0, min(int(float(accuracy_m)), 1_000_000))
        except (TypeError, ValueError, OverflowError):
            accuracy_m = None

    received = clock.now()
    flags: list[str] = []
    if scanned_at is None:
        scanned_at = received
    if scanned_at.tzinfo is None:
        raise DomainError(_("The scan time has no time zone."), code="bad_time")
    _check_plausible(scanned_at)
    counted = scanned_at
    tolerance = dt.timedelta(minutes=settings.SAFECAMPUS["PATROL_FUTURE_TOLERANCE_MINUTES"])
    if scanned_at > received + tolerance:
        flags.append(CheckpointScan.Flag.FUTURE_TIME)
        counted = received
    elif received - scanned_at > dt.timedelta(hours=settings.SAFECAMPUS["PATROL_STALE_AFTER_HOURS"]):
        flags.append(CheckpointScan.Flag.STALE_TIME)
    distance = None
    if lat is not None and checkpoint.latitude is not None and checkpoint.longitude is not None:
        distance = round(distance_m(lat, lon, checkpoint.latitude, checkpoint.longitude))
        slack = min(accuracy_m or 0, checkpoint.radius_m)
        if distance > checkpoint.radius_m + slack:
            flags.append(CheckpointScan.Flag.FAR_FROM_PLACE)

    try:
        with transaction.atomic():
            round_ = _round_for(checkpoint, counted, round_id)
            if round_ is None:
                timing = CheckpointScan.Timing.OUTSIDE
                flags.append(CheckpointScan.Flag.OUTSIDE_WINDOW)
            else:
                timing = _timing_in(round_, checkpoint, counted)
                if not _on_shift(actor, round_.shift):
                    flags.append(CheckpointScan.Flag.NOT_ON_SHIFT)
            scan = CheckpointScan.objects.create(
                checkpoint=checkpoint, round=round_, guard=actor, client_id=client_uuid,
                method=method, scanned_at=scanned_at, received_at=received, counted_at=counted,
                timing=timing, latitude=lat, longitude=lon, accuracy_m=accuracy_m,
                distance_m=distance, flags=[str(f) for f in flags], is_flagged=bool(flags),
                note=note,
            )
            if round_ is not None:
                _count_scan(round_, scan, actor)
    except IntegrityError:
        # The same scan arrived twice at once (two uploads of one queue): the other won.
        stored = CheckpointScan.objects.filter(guard=actor, client_id=client_uuid).first()
        if stored is None:
            raise
        return ScanOutcome(stored, False)
    return ScanOutcome(scan, True)


def _check_plausible(at: dt.datetime) -> None:
    """Refuse an aware time outside 2000–8999 (UTC). Flagging is for clocks that are off; a
    year-1 or year-9999 time is not a clock being off and does not fit the database once
    converted to UTC."""
    try:
        plausible = 2000 <= at.astimezone(dt.UTC).year < 9000
    except OverflowError:
        plausible = False
    if not plausible:
        raise DomainError(_("The scan time is impossible (before 2000 or after 8999). Check "
                            "the phone's date and time."), code="bad_time",
                          field_errors={"scanned_at": [_("Impossible time.")]})


def _round_for(checkpoint: Checkpoint, at: dt.datetime, round_id: int | None):
    """The round (locked) a scan of ``checkpoint`` at ``at`` belongs to, or None."""
    candidates = (PatrolRound.objects.select_for_update().select_related("shift")
                  .filter(route_id=checkpoint.route_id, window_start__lte=at, late_until__gt=at)
                  .exclude(state=PatrolRound.State.ENDED_EARLY)
                  .order_by("window_start"))
    matching = [r for r in candidates if checkpoint.pk in r.checkpoint_ids]
    if round_id is not None:
        chosen = next((r for r in matching if r.pk == int(round_id)), None)
        if chosen is not None:
            return chosen
    return matching[0] if matching else None


def _timing_in(round_: PatrolRound, checkpoint: Checkpoint, at: dt.datetime) -> str:
    already = CheckpointScan.objects.filter(
        round=round_, checkpoint=checkpoint,
        timing__in=[CheckpointScan.Timing.ON_TIME, CheckpointScan.Timing.LATE],
    ).exists()
    if already:
        return CheckpointScan.Timing.REPEAT
    return CheckpointScan.Timing.ON_TIME if at <= round_.window_end else CheckpointScan.Timing.LATE


def _on_shift(actor, shift: PatrolShift) -> bool:
    if actor.pk == shift.leader_id:
        return True
    guards = shift.guards.values_list("pk", flat=True)
    return not guards.exists() or actor.pk in set(guards)


def _count_scan(round_: PatrolRound, scan: CheckpointScan, actor) -> None:
    """Update the (locked) round's counters for a new scan; complete it when nothing is left."""
    changes: dict = {}
    if scan.is_flagged:
        changes["flagged_scans"] = F("flagged_scans") + 1
    if scan.timing == CheckpointScan.Timing.ON_TIME:
        round_.checkpoints_on_time += 1
        changes["checkpoints_on_time"] = F("checkpoints_on_time") + 1
    elif scan.timing == CheckpointScan.Timing.LATE:
        round_.checkpoints_late += 1
        changes["checkpoints_late"] = F("checkpoints_late") + 1
    old_state = round_.state
    counted = scan.timing in (CheckpointScan.Timing.ON_TIME, CheckpointScan.Timing.LATE)
    # After the sweep a counting scan fills a missed checkpoint: a late one, or one the phone
    # queued offline inside the window and uploads only now.
    if counted and round_.swept_at is not None and round_.checkpoints_missed:
        round_.checkpoints_missed -= 1
        changes["checkpoints_missed"] = F("checkpoints_missed") - 1
    if counted and round_.state == PatrolRound.State.PLANNED:
        round_.start()
        round_.started_at = scan.counted_at
        changes["started_at"] = scan.counted_at
    if counted and round_.guard_id is None:
        changes["guard_id"] = actor.pk
    if counted and round_.checkpoints_done >= round_.checkpoints_expected \
            and can_proceed(round_.complete):
        round_.complete()
        changes["ended_at"] = scan.counted_at
    if round_.state != old_state:
        changes["state"] = round_.state
    if changes:
        PatrolRound.objects.filter(pk=round_.pk).update(updated_at=clock.now(), **changes)
    if round_.state != old_state:
        activity_record(target=round_, actor=actor, verb=f"patrols.round_{round_.state}",
                        from_state=old_state, to_state=round_.state)


#: The scan time format the phone and the API send, for messages.
TIME_EXAMPLE = "2026-11-30T22:05:00+08:00"
ACCURACY_MAX = 1_000_000


def scan_item_parse(raw) -> dict:
    """The keyword arguments of :func:`scan_record` from one uploaded scan, as JSON decoded it.

    The one reader of uploaded scans, for the scan page's endpoint and the bulk API alike.
    ``raw`` must be an object with ``code`` (text: the QR code's content or the typed code),
    ``client_id`` (the phone's UUID of the scan, text), ``scanned_at`` (the phone's time, text
    in ISO 8601 **with** a UTC offset, e.g. ``2026-11-30T22:05:00+08:00``; required: a scan
    without its time could only be placed at the upload's time, which an offline queue makes
    wrong) and optionally ``latitude``/``longitude`` (WGS-84 degrees), ``accuracy_m``
    (metres, 0–1 000 000), ``round_id`` (a round's id) and ``note`` (text); numbers may be
    JSON numbers or numeric text, ``null`` means not given, other keys are ignored. A Python
    caller may give ``client_id`` as a UUID and ``scanned_at`` as an aware datetime.

    Returns ``{"code", "client_id" (UUID), "scanned_at" (aware datetime), "latitude",
    "longitude" (Decimal or None), "accuracy_m" (int or None), "round_id" (int or None),
    "note" (str)}``. Raises DomainError saying what is wrong with the first bad value:
    ``bad_scan`` (not an object), ``bad_client_id``, ``bad_code``, ``bad_time`` (missing,
    not a date and time, no offset, before 2000 or after 8999), ``bad_location``,
    ``bad_round``, ``bad_note``.
    """
    if not isinstance(raw, dict):
        raise DomainError(_("Each scan must be a JSON object with a code, a client_id and a "
                            "scanned_at."), code="bad_scan")
    client_id = raw.get("client_id")
    client_uuid = _as_uuid(client_id if isinstance(client_id, str | uuid.UUID) else None)
    code = raw.get("code")
    if not isinstance(code, str) or not code.strip():
        raise DomainError(_("The scan has no checkpoint code."), code="bad_code",
                          field_errors={"code": [_("Required.")]})
    latitude = _parse_coordinate(_number_or_none(raw.get("latitude"), "latitude"),
                                 LATITUDE_LIMIT, "latitude")
    longitude = _parse_coordinate(_number_or_none(raw.get("longitude"), "longitude"),
                                  LONGITUDE_LIMIT, "longitude")
    return {
        "code": code,
        "client_id": client_uuid,
        "scanned_at": _parse_scan_time(raw.get("scanned_at")),
        "latitude": latitude,
        "longitude": longitude,
        "accuracy_m": _parse_accuracy(raw.get("accuracy_m")),
        "round_id": _parse_round_id(raw.get("round_id")),
        "note": _parse_note(raw.get("note")),
    }


def _number_or_none(value, field: str):
    """A JSON number or numeric text as it came (``None`` for null or ""); DomainError for
    true/false, lists and objects."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise DomainError(_("The position is not a number."), code="bad_location",
                          field_errors={field: [_("Not a number.")]})
    return value


def _parse_scan_time(value) -> dt.datetime:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(_("The scan has no time. Send the phone's time in ISO 8601 with an "
                            "offset, e.g. %(example)s.") % {"example": TIME_EXAMPLE},
                          code="bad_time", field_errors={"scanned_at": [_("Required.")]})
    parsed = value if isinstance(value, dt.datetime) else None
    text = value.isoformat() if parsed is not None else str(value)
    if parsed is None and isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    if parsed is None:
        raise DomainError(_("“%(value)s” is not a date and time. Send ISO 8601 with an "
                            "offset, e.g. %(example)s.")
                          % {"value": text[:40], "example": TIME_EXAMPLE}, code="bad_time",
                          field_errors={"scanned_at": [_("Not a date and time.")]})
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise DomainError(_("The scan time “%(value)s” has no time zone offset. Send e.g. "
                            "%(example)s.") % {"value": text[:40], "example": TIME_EXAMPLE},
                          code="bad_time", field_errors={"scanned_at": [_("No time zone.")]})
    _check_plausible(parsed)
    return parsed


def _parse_accuracy(value) -> int | None:
    message = _("The position's accuracy must be a number of metres from 0 to %(limit)s.") % {
        "limit": ACCURACY_MAX}
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        number = None
    else:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite() or not 0 <= number <= ACCURACY_MAX:
        raise DomainError(message, code="bad_location",
                          field_errors={"accuracy_m": [_("Not a number of metres.")]})
    return int(number.to_integral_value())


def _parse_round_id(value) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    round_id = id_or_none(value)
    if round_id is None:
        raise DomainError(_("The round is not a valid round id."), code="bad_round",
                          field_errors={"round_id": [_("Not a valid id.")]})
    return round_id


def _parse_note(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError(_("The note must be text."), code="bad_note",
                          field_errors={"note": [_("Not text.")]})
    return value


def scan_record_many(*, actor, scans: list) -> list[dict]:
    """Record a batch of uploaded scans (the phone's offline queue), each on its own.

    ``scans``: the uploaded items as JSON decoded them, each read by :func:`scan_item_parse`
    (the scan page's endpoint and the bulk API both call this, so both answer alike). One
    bad scan does not stop the others. Returns one dict per input, in order:
    ``{"client_id" (the item's own id text, "" when it had none), "status":
    "created"|"duplicate"|"refused", "scan" (CheckpointScan or None), "error" (translated
    text), "code" (error code)}``. Raises NotAllowed for a non-patroller and DomainError
    (``too_many``) when the batch holds more than :data:`BULK_MAX` scans.
    """
    _require(actor, "patrols.patrol")
    if len(scans) > BULK_MAX:
        raise DomainError(_("Upload at most %(limit)s scans at once.") % {"limit": BULK_MAX},
                          code="too_many")
    results = []
    for raw in scans:
        sent_id = raw.get("client_id") if isinstance(raw, dict) else None
        sent_id = str(sent_id)[:64] if isinstance(sent_id, str | uuid.UUID) else ""
        try:
            outcome = scan_record(actor=actor, **scan_item_parse(raw))
        except DomainError as error:
            results.append({"client_id": sent_id, "status": "refused", "scan": None,
                            "error": error.message, "code": error.code})
        else:
            results.append({"client_id": sent_id or str(outcome.scan.client_id),
                            "status": "created" if outcome.created else "duplicate",
                            "scan": outcome.scan, "error": "", "code": ""})
    return results


# --- the sweep -------------------------------------------------------------------------------
def patrol_sweep(*, at: dt.datetime | None = None) -> dict[str, int]:
    """Scheduled work (every ``PATROL_SWEEP_MINUTES``): plan shifts ahead, then close every
    round whose window has closed.

    A closed round with every checkpoint scanned is left as it is; one with checkpoints
    unscanned becomes ``incomplete`` with ``checkpoints_missed`` set, and its shift leader
    (else the office administrators) is alerted once. Rounds of a route taken out of use are
    closed without an alert. Idempotent: ``swept_at`` marks rounds
    done and alerts carry a dedupe key, so overlapping runs never alert twice.
    Returns counts: ``shifts``, ``rounds_closed``, ``rounds_incomplete``.
    """
    at = at or clock.now()
    shifts = shifts_plan_ahead(at=at)
    closed = incomplete = 0
    due = (PatrolRound.objects.filter(swept_at__isnull=True, window_end__lte=at)
           .order_by("window_end").values_list("pk", flat=True))
    for round_id in list(due[:5000]):
        with transaction.atomic():
            round_ = (PatrolRound.objects.select_for_update(skip_locked=True, of=("self",))
                      .select_related("shift__leader", "route").filter(pk=round_id,
                                                                       swept_at__isnull=True)
                      .first())
            if round_ is None:
                continue
            closed += 1
            round_.swept_at = at
            if not round_.route.is_active:  # the route went out of use after planning
                round_.save()
                continue
            missed = max(0, round_.checkpoints_expected - round_.checkpoints_done)
            round_.checkpoints_missed = missed
            old_state = round_.state
            if missed and can_proceed(round_.close_incomplete):
                round_.close_incomplete()
            round_.save()
            if missed:
                incomplete += 1
                if round_.state != old_state:
                    activity_record(target=round_, actor=None, verb="patrols.missed_checkpoints",
                                    from_state=old_state, to_state=round_.state,
                                    data={"missed": missed})
                _alert_missed(round_, missed, first=round_.state != old_state)
    return {"shifts": shifts, "rounds_closed": closed, "rounds_incomplete": incomplete}


def _alert_missed(round_: PatrolRound, missed: int, *, first: bool = True) -> None:
    leader = round_.shift.leader
    recipients = [leader] if leader is not None else office_people(Role.OFFICE_ADMIN)
    start = round_.window_start.astimezone(clock.local_zone())
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Missed checkpoints: %(route)s round %(round)s (%(time)s), %(missed)s not "
                  "scanned") % {"route": round_.route.name, "round": round_.sequence,
                                "time": start.strftime("%m-%d %H:%M"), "missed": missed}
    transaction.on_commit(lambda: notification_send(
        recipients=recipients, verb="patrols.missed_checkpoints", title=title,
        url=round_.get_absolute_url(), dedupe_key=f"patrols:round:{round_.pk}:missed",
    ))
    if first:  # the group chats hear of a round once, when it closes incomplete
        robot_broadcast(topic="patrols", title=title, url=round_.get_absolute_url(),
                        campus_id=round_.route.campus_id)
