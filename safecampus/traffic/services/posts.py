"""Traffic duty posts (交通执勤岗), writes: posts and their QR codes, the class timetable,
duty times, planning each day's duties, rosters, guards' sign-ins and the post log.

Times: stored aware UTC. Clock times (timetable, fixed duty times) are Asia/Shanghai
(``settings.TIME_ZONE``); a duty on local date *d* runs from its start to its end on *d*.

Codes. A post's QR code holds ``<PUBLIC_URL>/traffic/p/<id>-<generation>.<signature>/``
(:mod:`safecampus.core.qrcodes`, salt of its own: a patrol checkpoint's code is never a
post's). Rotating the code raises the generation and draws a new manual code, so an old
sign is refused.

Sign-in (:func:`post_sign_in`): a guard signs in at a post at the phone's time; the sign-in
belongs to the post's duty running then (from ``POST_SIGN_IN_EARLY_MINUTES`` before its start
to its end) and is flagged, not refused, when something is off (:data:`FLAG_LABELS`).

Errors: :class:`~safecampus.core.errors.DomainError` (bad input, 400, ``code`` says which),
:class:`~safecampus.core.errors.NotAllowed` (403).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.accounts.models import Role
from safecampus.accounts.selectors import office_people
from safecampus.core import clock, qrcodes
from safecampus.core.activity import activity_record
from safecampus.core.errors import DomainError, field_error, perm_require
from safecampus.core.geo import client_uuid, degrees_checked, distance_m
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.notifications.services import notification_send
from safecampus.organisation.models import Campus, Place

from ..models import ClassPeriod, DutyPost, PostDuty, PostDutyTime, PostLogEntry, PostSignIn

CODE_SALT = "safecampus.traffic.duty_post"
POST_CREATE_SCOPE = "traffic.post_create"
DUTY_TIME_CREATE_SCOPE = "traffic.duty_time_create"
LOG_SCOPE = "traffic.post_log"
NAME_MAX = 64
TEXT_MAX = 2000
#: A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=2)
#: A sign-in reaches the server within seconds (the sign-in page keeps no offline queue); one
#: whose phone time is further back than this is flagged ``late`` (a back-dated or stale form).
LATE_AFTER = dt.timedelta(minutes=5)
#: Most minutes a duty may start before / end after its class period's start or end.
ANCHOR_MINUTES_MAX = 180

FLAG_FAR = "far_from_post"
FLAG_NOT_ROSTERED = "not_rostered"
FLAG_OUTSIDE = "outside_duty"
FLAG_FUTURE = "future_time"
FLAG_LATE = "late"
#: What a leader should look at in a sign-in (stored in ``PostSignIn.flags``).
FLAG_LABELS = {
    FLAG_FAR: gettext_lazy("Far from the post"),
    FLAG_NOT_ROSTERED: gettext_lazy("Not on the roster"),
    FLAG_OUTSIDE: gettext_lazy("Outside any duty"),
    FLAG_FUTURE: gettext_lazy("Phone time in the future"),
    FLAG_LATE: gettext_lazy("Arrived late: phone time long before it reached the office"),
}

_signer = qrcodes.CodeSigner(salt=CODE_SALT, url_segment="p")



def _setting(name: str) -> int:
    return int(settings.SAFECAMPUS[name])


# --- codes -----------------------------------------------------------------------------------
def post_code(post: DutyPost) -> str:
    """The signed code of the post's current generation, e.g. ``7-2.Xy…`` (ASCII)."""
    return _signer.sign(post.pk, post.code_generation)


def post_url(post: DutyPost) -> str:
    """What the post's QR code holds: ``SAFECAMPUS["PUBLIC_URL"]`` + the sign-in page (never
    the host of the request that printed it)."""
    return settings.SAFECAMPUS["PUBLIC_URL"] + reverse("traffic:post_sign_in_code",
                                                       args=[post_code(post)])


def post_resolve(code: str) -> tuple[DutyPost, str]:
    """The post a scanned or typed code names and how it was given (``PostSignIn.Method``).

    ``code``: the QR's URL, its signed part, or the manual code (spaces, dashes, case
    ignored). Raises DomainError ``unknown_code`` (no such code, or a post no longer in use),
    ``forged_code`` (signature wrong, e.g. a checkpoint's code) or ``revoked_code`` (an
    earlier generation: the sign was replaced).
    """
    try:
        signed = _signer.parse(code)
    except qrcodes.ForgedCode:
        raise DomainError(_("This code is forged or damaged: it was not issued by the security "
                            "office for a duty post. Report the sign to the office."),
                          code="forged_code") from None
    if signed is None:
        manual = qrcodes.manual_code_normalise(_signer.extract(code))
        post = DutyPost.objects.filter(manual_code=manual).first() if manual else None
        if post is None:
            raise DomainError(_("This is not the code of a duty post: it may be mistyped or "
                                "replaced. Check the sign at the post."), code="unknown_code")
        method = PostSignIn.Method.MANUAL
    else:
        post = DutyPost.objects.filter(pk=signed.pk).first()
        if post is None:
            raise DomainError(_("This duty post no longer exists."), code="unknown_code")
        if signed.generation != post.code_generation:
            raise DomainError(_("This sign's code has been replaced. Report the old sign to the "
                                "office."), code="revoked_code")
        method = PostSignIn.Method.QR
    if not post.is_active:
        raise DomainError(_("This duty post is no longer staffed."), code="unknown_code")
    return post, method


def _unique_manual_code() -> str:
    while True:
        code = qrcodes.manual_code_new()
        if not DutyPost.objects.filter(manual_code=code).exists():
            return code


# --- posts -----------------------------------------------------------------------------------
def _post_fields(*, campus_id, place_id, name: str, kind: str, duties: str, latitude,
                 longitude, radius_m) -> dict:
    campus = Campus.objects.filter(pk=campus_id).first() if campus_id else None
    if campus is None:
        raise field_error("campus", _("Choose a campus."))
    place = None
    if place_id:
        place = Place.objects.filter(pk=place_id).first()
        if place is None:
            raise field_error("place", _("No such place."))
        if place.campus_id != campus.pk:
            raise field_error("place", _("%(place)s is not on %(campus)s.")
                           % {"place": place.name, "campus": campus.name})
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("Give the post a name."))
    if len(name) > NAME_MAX:
        raise field_error("name", _("The name is too long (at most %(limit)s characters).")
                       % {"limit": NAME_MAX})
    if kind not in DutyPost.Kind.values:
        raise field_error("kind", _("Choose the type of place."))
    duties = (duties or "").strip()
    if len(duties) > TEXT_MAX:
        raise field_error("duties", _("The text is too long (at most %(limit)s characters).")
                       % {"limit": TEXT_MAX})
    lat = degrees_checked(latitude, limit=90, field="latitude")
    lon = degrees_checked(longitude, limit=180, field="longitude")
    if (lat is None) != (lon is None):
        raise field_error("longitude", _("Give both latitude and longitude, or neither."),
                       code="bad_location")
    try:
        radius = int(radius_m)
    except (TypeError, ValueError):
        radius = -1
    if not 10 <= radius <= 5000:
        raise field_error("radius_m", _("The allowed distance must be 10 to 5000 metres."))
    return {"campus": campus, "place": place, "name": name, "kind": kind, "duties": duties,
            "latitude": lat, "longitude": lon, "radius_m": radius}


def post_create(*, actor, campus_id: int, name: str, kind: str = DutyPost.Kind.TEACHING,
                place_id: int | None = None, duties: str = "", latitude=None, longitude=None,
                radius_m: int = 150, idempotency_key: str | None = None) -> DutyPost:
    """Create an active duty post with a fresh QR generation 1 and a unique manual code.
    The same ``idempotency_key`` returns the first post."""
    perm_require(actor, "traffic.manage_duty_posts")
    existing = idempotency_lookup(scope=POST_CREATE_SCOPE, key=idempotency_key,
                                  model=DutyPost, user=actor)
    if existing is not None:
        return existing
    fields = _post_fields(campus_id=campus_id, place_id=place_id, name=name, kind=kind,
                          duties=duties, latitude=latitude, longitude=longitude,
                          radius_m=radius_m)
    with transaction.atomic():
        post = DutyPost.objects.create(manual_code=_unique_manual_code(), **fields)
        activity_record(target=post, actor=actor, verb="traffic.post_create",
                        to_state="active")
        winner = idempotency_race_lost(scope=POST_CREATE_SCOPE, key=idempotency_key,
                                       user=actor, result=post)
    return winner or post


def post_update(*, actor, post_id: int, campus_id: int, name: str, kind: str,
                place_id: int | None = None, duties: str = "", latitude=None, longitude=None,
                radius_m: int = 150) -> DutyPost:
    """Change a post's name, place, duties and position (its code stays)."""
    perm_require(actor, "traffic.manage_duty_posts")
    fields = _post_fields(campus_id=campus_id, place_id=place_id, name=name, kind=kind,
                          duties=duties, latitude=latitude, longitude=longitude,
                          radius_m=radius_m)
    with transaction.atomic():
        post = _locked_post(post_id)
        if fields["campus"].pk != post.campus_id and post.duty_times.filter(
                class_period__isnull=False).exists():
            raise field_error("campus", _("The post's duty times follow this campus's class "
                                       "timetable; change them before moving the post."))
        changed = [name for name, value in fields.items() if getattr(post, name) != value]
        for name_, value in fields.items():
            setattr(post, name_, value)
        post.save()
        if changed:
            activity_record(target=post, actor=actor, verb="traffic.post_update",
                            data={"fields": changed})
    return post


def _locked_post(post_id) -> DutyPost:
    post = DutyPost.objects.select_for_update().filter(pk=post_id).first()
    if post is None:
        raise DomainError(_("No such duty post."), code="not_found")
    return post


def post_set_active(*, actor, post_id: int, active: bool) -> DutyPost:
    """Take a post out of use (its duties are no longer planned, its code is refused) or
    back into use."""
    perm_require(actor, "traffic.manage_duty_posts")
    with transaction.atomic():
        post = _locked_post(post_id)
        if post.is_active == active:
            return post
        post.is_active = active
        post.save(update_fields=["is_active", "updated_at"])
        activity_record(target=post, actor=actor,
                        verb="traffic.post_reactivate" if active else "traffic.post_deactivate",
                        from_state="inactive" if active else "active",
                        to_state="active" if active else "inactive")
    return post


def post_rotate_code(*, actor, post_id: int) -> DutyPost:
    """Issue a new QR and manual code for a post; the old sign stops working."""
    perm_require(actor, "traffic.manage_duty_posts")
    with transaction.atomic():
        post = _locked_post(post_id)
        old = post.code_generation
        post.code_generation = old + 1
        post.manual_code = _unique_manual_code()
        post.save(update_fields=["code_generation", "manual_code", "updated_at"])
        activity_record(target=post, actor=actor, verb="traffic.post_rotate_code",
                        from_state=str(old), to_state=str(post.code_generation))
    return post


# --- class timetable -------------------------------------------------------------------------
def class_timetable_set(*, actor, campus_id: int,
                        periods: Sequence[tuple[dt.time, dt.time]]) -> list[ClassPeriod]:
    """Replace a campus's class timetable by ``periods`` (period 1, 2, … in order; local
    clock times). Each period ends after it starts and starts no earlier than the previous
    one ends. Periods kept by number are updated in place (duty times anchored to them follow
    the new times from the next planned day); a period that a duty time uses cannot be
    dropped. Raises DomainError with ``field_errors`` keyed ``period_<n>``."""
    perm_require(actor, "traffic.manage_duty_posts")
    campus = Campus.objects.filter(pk=campus_id).first()
    if campus is None:
        raise field_error("campus", _("Choose a campus."))
    if len(periods) > 20:
        raise field_error("periods", _("A timetable has at most 20 periods."))
    previous_end = None
    for number, (start, end) in enumerate(periods, start=1):
        if start is None or end is None:
            raise field_error(f"period_{number}", _("Period %(number)s needs a start and an end.")
                           % {"number": number})
        if end <= start:
            raise field_error(f"period_{number}", _("Period %(number)s must end after it starts.")
                           % {"number": number})
        if previous_end is not None and start < previous_end:
            raise field_error(f"period_{number}", _("Period %(number)s starts before period "
                                                 "%(previous)s ends: list the periods in order.")
                           % {"number": number, "previous": number - 1})
        previous_end = end
    with transaction.atomic():
        existing = {p.number: p for p in ClassPeriod.objects.select_for_update()
                    .filter(campus=campus)}
        dropped = [p for n, p in existing.items() if n > len(periods)]
        used = set(PostDutyTime.objects.filter(class_period__in=dropped)
                   .values_list("class_period__number", flat=True))
        if used:
            number = min(used)
            raise field_error(f"period_{number}", _("Period %(number)s is used by a duty time; "
                                                 "change that duty time first.")
                           % {"number": number})
        ClassPeriod.objects.filter(pk__in=[p.pk for p in dropped]).delete()
        result = []
        for number, (start, end) in enumerate(periods, start=1):
            period = existing.get(number)
            if period is None:
                period = ClassPeriod.objects.create(campus=campus, number=number,
                                                    starts_at=start, ends_at=end)
            elif (period.starts_at, period.ends_at) != (start, end):
                period.starts_at, period.ends_at = start, end
                period.save(update_fields=["starts_at", "ends_at", "updated_at"])
            result.append(period)
        activity_record(target=campus, actor=actor, verb="traffic.class_timetable_set",
                        data={"periods": [[f"{s:%H:%M}", f"{e:%H:%M}"] for s, e in periods]})
    return result


# --- duty times ------------------------------------------------------------------------------
def _weekdays(value) -> str:
    text = "".join(sorted(set(str(value or "").replace(",", "").replace(" ", ""))))
    if not text or not set(text) <= set("1234567"):
        raise field_error("weekdays", _("Choose at least one weekday."))
    return text


def _guards(guard_ids: Iterable) -> list:
    ids = sorted({int(g) for g in guard_ids or []})
    users = list(get_user_model().objects.filter(pk__in=ids, is_active=True))
    if len(users) != len(ids):
        raise field_error("guards", _("A chosen guard does not exist or is no longer active."))
    for user in users:
        if not user.has_perm("traffic.sign_in_post"):
            raise field_error("guards", _("%(name)s cannot sign in at a post (not a guard or "
                                       "office staff).") % {"name": user.get_full_name()
                                                           or user.username})
    return users


def _minutes(value, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= ANCHOR_MINUTES_MAX:
        raise field_error(field, _("Give 0 to %(limit)s minutes.") % {"limit": ANCHOR_MINUTES_MAX})
    return number


def _duty_time_fields(*, post: DutyPost, name: str, anchor: str, class_period_id,
                      minutes_before, minutes_after, starts_at, ends_at, weekdays) -> dict:
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("Give the duty time a name, e.g. “Morning, before period 1”."))
    if len(name) > NAME_MAX:
        raise field_error("name", _("The name is too long (at most %(limit)s characters).")
                       % {"limit": NAME_MAX})
    if anchor not in PostDutyTime.Anchor.values:
        raise field_error("anchor", _("Choose how the duty time is set."))
    fields = {"name": name, "anchor": anchor, "weekdays": _weekdays(weekdays),
              "class_period": None, "minutes_before": 0, "minutes_after": 0,
              "starts_at": None, "ends_at": None}
    if anchor == PostDutyTime.Anchor.FIXED:
        if starts_at is None or ends_at is None:
            raise field_error("starts_at", _("Fixed times need a start and an end."))
        if ends_at <= starts_at:
            raise field_error("ends_at", _("The duty must end after it starts (on the same day)."))
        fields.update(starts_at=starts_at, ends_at=ends_at)
        return fields
    period = (ClassPeriod.objects.filter(pk=class_period_id, campus_id=post.campus_id).first()
              if class_period_id else None)
    if period is None:
        raise field_error("class_period", _("Choose a class period of the post's campus "
                                         "timetable."))
    fields.update(class_period=period,
                  minutes_before=_minutes(minutes_before, "minutes_before"),
                  minutes_after=_minutes(minutes_after, "minutes_after"))
    start, end = _anchor_clock(fields)
    if end <= start:
        raise field_error("minutes_after", _("The duty must last at least a minute."))
    # Stored for ordering and display: the clock times the anchor gives today.
    fields.update(starts_at=start.time(), ends_at=end.time())
    if start.date() != end.date() or start.date() != dt.date(2000, 1, 3):
        raise field_error("minutes_before", _("The duty must start and end on the same day."))
    return fields


def _anchor_clock(fields: dict) -> tuple[dt.datetime, dt.datetime]:
    """Naive start and end on a reference Monday (2000-01-03) of an anchored duty time."""
    period = fields["class_period"]
    base = period.starts_at if fields["anchor"] == PostDutyTime.Anchor.CLASS_START else period.ends_at
    at = dt.datetime.combine(dt.date(2000, 1, 3), base)
    return (at - dt.timedelta(minutes=fields["minutes_before"]),
            at + dt.timedelta(minutes=fields["minutes_after"]))


def duty_time_create(*, actor, post_id: int, name: str, anchor: str,
                     class_period_id: int | None = None, minutes_before: int = 15,
                     minutes_after: int = 10, starts_at: dt.time | None = None,
                     ends_at: dt.time | None = None, weekdays: str = "12345",
                     guard_ids: Iterable[int] = (),
                     idempotency_key: str | None = None) -> PostDutyTime:
    """Add a duty time to a post: fixed ``starts_at``–``ends_at`` (local clock, same day) or
    anchored to ``class_period_id`` (``minutes_before`` before to ``minutes_after`` after its
    start or end). ``weekdays``: ISO digits, e.g. ``"12345"``. ``guard_ids``: standing guards
    copied onto each planned day. The same ``idempotency_key`` returns the first one."""
    perm_require(actor, "traffic.manage_duty_posts")
    existing = idempotency_lookup(scope=DUTY_TIME_CREATE_SCOPE, key=idempotency_key,
                                  model=PostDutyTime, user=actor)
    if existing is not None:
        return existing
    post = DutyPost.objects.filter(pk=post_id).first()
    if post is None:
        raise DomainError(_("No such duty post."), code="not_found")
    fields = _duty_time_fields(post=post, name=name, anchor=anchor,
                               class_period_id=class_period_id, minutes_before=minutes_before,
                               minutes_after=minutes_after, starts_at=starts_at,
                               ends_at=ends_at, weekdays=weekdays)
    guards = _guards(guard_ids)
    with transaction.atomic():
        duty_time = PostDutyTime.objects.create(post=post, **fields)
        duty_time.guards.set(guards)
        activity_record(target=post, actor=actor, verb="traffic.duty_time_create",
                        data={"duty_time": duty_time.pk, "name": duty_time.name})
        winner = idempotency_race_lost(scope=DUTY_TIME_CREATE_SCOPE, key=idempotency_key,
                                       user=actor, result=duty_time)
    return winner or duty_time


def duty_time_update(*, actor, duty_time_id: int, name: str, anchor: str,
                     class_period_id: int | None = None, minutes_before: int = 15,
                     minutes_after: int = 10, starts_at: dt.time | None = None,
                     ends_at: dt.time | None = None, weekdays: str = "12345",
                     guard_ids: Iterable[int] = (), is_active: bool = True) -> PostDutyTime:
    """Change a duty time. Its planned duties that have not started and have no sign-in or
    log line follow at once (:func:`_duties_follow`): removed when the duty time is taken out
    of use or no longer runs on their weekday, moved to the new times otherwise (each keeps
    its day's roster). Duties already started or signed in on stay as they were; new days
    are planned by :func:`post_duties_plan`."""
    perm_require(actor, "traffic.manage_duty_posts")
    with transaction.atomic():
        duty_time = (PostDutyTime.objects.select_for_update().select_related("post")
                     .filter(pk=duty_time_id).first())
        if duty_time is None:
            raise DomainError(_("No such duty time."), code="not_found")
        fields = _duty_time_fields(post=duty_time.post, name=name, anchor=anchor,
                                   class_period_id=class_period_id,
                                   minutes_before=minutes_before, minutes_after=minutes_after,
                                   starts_at=starts_at, ends_at=ends_at, weekdays=weekdays)
        guards = _guards(guard_ids)
        for key, value in fields.items():
            setattr(duty_time, key, value)
        was_active = duty_time.is_active
        duty_time.is_active = bool(is_active)
        duty_time.save()
        duty_time.guards.set(guards)
        removed, moved = _duties_follow(duty_time)
        activity_record(target=duty_time.post, actor=actor, verb="traffic.duty_time_update",
                        from_state="active" if was_active else "inactive",
                        to_state="active" if duty_time.is_active else "inactive",
                        data={"duty_time": duty_time.pk, "name": duty_time.name,
                              "duties_removed": removed, "duties_moved": moved})
    return duty_time


def _duties_follow(duty_time: PostDutyTime) -> tuple[list[str], list[str]]:
    """Bring ``duty_time``'s planned duties that have not started and have no sign-in or log
    line in line with it: delete those it no longer makes (out of use, post out of use, or
    weekday dropped), set the new start and end on the others. Returns the local dates
    (ISO) of the duties removed and of those moved."""
    removed: list[str] = []
    moved: list[str] = []
    upcoming = (PostDuty.objects.select_for_update()
                .filter(duty_time=duty_time, starts_at__gt=clock.now())
                .exclude(Exists(PostSignIn.objects.filter(duty=OuterRef("pk"))))
                .exclude(Exists(PostLogEntry.objects.filter(duty=OuterRef("pk"))))
                .order_by("starts_at", "pk"))
    for duty in upcoming:
        if (not duty_time.is_active or not duty_time.post.is_active
                or str(duty.duty_date.isoweekday()) not in duty_time.weekdays):
            duty.delete()
            removed.append(duty.duty_date.isoformat())
            continue
        start, end = duty_time_bounds(duty_time, duty.duty_date)
        if (start, end) != (duty.starts_at, duty.ends_at):
            duty.starts_at, duty.ends_at = start, end
            duty.save(update_fields=["starts_at", "ends_at", "updated_at"])
            moved.append(duty.duty_date.isoformat())
    return removed, moved


def duty_time_bounds(duty_time: PostDutyTime, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Start and end (aware, UTC) of ``duty_time`` on local date ``day``: fixed clock times,
    or the class period's start/end minus ``minutes_before`` / plus ``minutes_after``, in
    Asia/Shanghai."""
    zone = clock.local_zone()
    if duty_time.anchor == PostDutyTime.Anchor.FIXED:
        start = dt.datetime.combine(day, duty_time.starts_at, tzinfo=zone)
        end = dt.datetime.combine(day, duty_time.ends_at, tzinfo=zone)
    else:
        period = duty_time.class_period
        base = (period.starts_at if duty_time.anchor == PostDutyTime.Anchor.CLASS_START
                else period.ends_at)
        at = dt.datetime.combine(day, base, tzinfo=zone)
        start = at - dt.timedelta(minutes=duty_time.minutes_before)
        end = at + dt.timedelta(minutes=duty_time.minutes_after)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def post_duties_plan(*, day: dt.date) -> int:
    """Make the :class:`PostDuty` of local date ``day`` for every active duty time of an
    active post whose weekdays include ``day``'s, with the duty time's standing guards.
    Idempotent: a duty already planned is left as it is (its roster may have been changed).
    Returns how many duties were created."""
    weekday = str(day.isoweekday())
    duty_times = (PostDutyTime.objects.filter(is_active=True, post__is_active=True,
                                              weekdays__contains=weekday)
                  .select_related("class_period").prefetch_related("guards"))
    planned = set(PostDuty.objects.filter(duty_date=day).values_list("duty_time_id", flat=True))
    created = 0
    for duty_time in duty_times:
        if duty_time.pk in planned:
            continue
        start, end = duty_time_bounds(duty_time, day)
        try:
            with transaction.atomic():
                duty = PostDuty.objects.create(duty_time=duty_time, post_id=duty_time.post_id,
                                               duty_date=day, starts_at=start, ends_at=end)
                duty.guards.set(duty_time.guards.all())
        except IntegrityError:  # planned at the same moment by an overlapping run
            continue
        created += 1
    return created


def post_duty_roster_set(*, actor, duty_id: int, guard_ids: Iterable[int]) -> PostDuty:
    """Set the guards of one day's duty (the duty time's standing guards are unchanged)."""
    perm_require(actor, "traffic.manage_duty_posts")
    guards = _guards(guard_ids)
    with transaction.atomic():
        duty = PostDuty.objects.select_for_update().filter(pk=duty_id).first()
        if duty is None:
            raise DomainError(_("No such duty."), code="not_found")
        if duty.ends_at <= clock.now():
            raise DomainError(_("This duty is over; its roster can no longer change."),
                              code="duty_over")
        before = sorted(duty.guards.values_list("pk", flat=True))
        after = sorted(g.pk for g in guards)
        if before != after:
            duty.guards.set(guards)
            activity_record(target=duty, actor=actor, verb="traffic.post_roster",
                            data={"before": before, "after": after})
    return duty


# --- sign-in ---------------------------------------------------------------------------------
@dataclass
class SignInOutcome:
    """``created`` is False when the same ``client_id`` was already stored (a replay)."""

    sign_in: PostSignIn
    created: bool


def _client_uuid(value) -> uuid.UUID:
    parsed = client_uuid(value)
    if parsed is None:
        raise field_error("client_id", _("The sign-in has no valid id from the phone."),
                       code="bad_client_id")
    return parsed


def duty_running(post: DutyPost, at: dt.datetime, guard=None) -> PostDuty | None:
    """The post's duty that a sign-in (or log line) at ``at`` belongs to, among those with
    ``starts_at - POST_SIGN_IN_EARLY_MINUTES <= at <= ends_at``: when duties overlap (an
    all-day gate duty and its evening peak), one that ``guard`` is rostered on first, then
    the one whose start is nearest to ``at``. None outside any duty."""
    early = dt.timedelta(minutes=_setting("POST_SIGN_IN_EARLY_MINUTES"))
    running = list(PostDuty.objects.filter(post=post, starts_at__lte=at + early, ends_at__gte=at)
                   .order_by("starts_at", "pk"))
    if len(running) <= 1:
        return running[0] if running else None
    rostered = set()
    if guard is not None:
        rostered = set(PostDuty.guards.through.objects.filter(
            postduty_id__in=[d.pk for d in running], user_id=guard.pk)
            .values_list("postduty_id", flat=True))
    return min(running, key=lambda d: (d.pk not in rostered, abs(d.starts_at - at)))


def post_sign_in(*, actor, code: str, signed_at: dt.datetime | None, client_id,
                 latitude=None, longitude=None, method: str | None = None) -> SignInOutcome:
    """Record that ``actor`` signed in at the post named by ``code`` at ``signed_at``.

    ``signed_at``: the phone's clock (aware; None means now); when it is more than two
    minutes ahead of the server, the sign-in is flagged ``future_time`` and placed at the
    server's time. ``client_id``: the phone's UUID of this sign-in; the same id from the same
    guard is stored once (a replay returns the stored one, ``created=False``).
    ``latitude``/``longitude``: WGS-84 degrees or None. ``method``: ``qr``/``manual`` as the
    phone saw it (else as the code says).

    Flags: ``far_from_post`` (farther than the post's ``radius_m``), ``not_rostered`` (not a
    guard of that duty), ``outside_duty`` (no duty of the post running then), ``late``
    (received more than :data:`LATE_AFTER` after ``signed_at``, or after its duty ended: a
    back-dated time). The earliest sign-in of a duty that is not late sets
    ``duty.first_sign_in_at``; a late one stays on the duty for the leader to see but never
    makes it staffed. Raises DomainError for an unknown,
    forged or replaced code, a bad id, position or time; NotAllowed for a non-guard.
    """
    perm_require(actor, "traffic.sign_in_post")
    client_uuid = _client_uuid(client_id)
    stored = PostSignIn.objects.filter(guard=actor, client_id=client_uuid).first()
    if stored is not None:
        return SignInOutcome(stored, False)
    post, resolved_method = post_resolve(code)
    if method not in PostSignIn.Method.values:
        method = resolved_method
    lat = degrees_checked(latitude, limit=90, field="latitude")
    lon = degrees_checked(longitude, limit=180, field="longitude")
    if (lat is None) != (lon is None):
        lat = lon = None
    received = clock.now()
    if signed_at is None:
        signed_at = received
    if signed_at.tzinfo is None or signed_at.utcoffset() is None:
        raise field_error("signed_at", _("The sign-in time has no time zone."), code="bad_time")
    try:
        plausible = 2000 <= signed_at.astimezone(dt.UTC).year < 9000
    except OverflowError:
        plausible = False
    if not plausible:
        raise field_error("signed_at", _("The sign-in time is impossible. Check the phone's date "
                                      "and time."), code="bad_time")
    flags: list[str] = []
    counted = signed_at
    if signed_at > received + CLOCK_SKEW:
        flags.append(FLAG_FUTURE)
        counted = received
    distance = None
    if lat is not None and post.latitude is not None and post.longitude is not None:
        distance = round(distance_m(lat, lon, post.latitude, post.longitude))
        if distance > post.radius_m:
            flags.append(FLAG_FAR)
    try:
        with transaction.atomic():
            duty = duty_running(post, counted, actor)
            if duty is None:
                flags.append(FLAG_OUTSIDE)
            else:
                duty = PostDuty.objects.select_for_update().get(pk=duty.pk)
                if not duty.guards.filter(pk=actor.pk).exists():
                    flags.append(FLAG_NOT_ROSTERED)
            if received - counted > LATE_AFTER or (
                    duty is not None and received > duty.ends_at + CLOCK_SKEW):
                flags.append(FLAG_LATE)
            sign_in = PostSignIn.objects.create(
                post=post, duty=duty, guard=actor, method=method, signed_at=counted,
                received_at=received, latitude=lat, longitude=lon, distance_m=distance,
                flags=flags, client_id=client_uuid)
            if duty is not None and FLAG_LATE not in flags and (
                    duty.first_sign_in_at is None or counted < duty.first_sign_in_at):
                duty.first_sign_in_at = counted
                duty.save(update_fields=["first_sign_in_at", "updated_at"])
            activity_record(target=post, actor=actor, verb="traffic.post_sign_in",
                            data={"sign_in": sign_in.pk, "duty": duty.pk if duty else None,
                                  "flags": flags})
    except IntegrityError:
        # The same sign-in arrived twice at once (a retried upload): the other one won.
        stored = PostSignIn.objects.filter(guard=actor, client_id=client_uuid).first()
        if stored is None:
            raise
        return SignInOutcome(stored, False)
    return SignInOutcome(sign_in, True)


# --- post log --------------------------------------------------------------------------------
def post_log_add(*, actor, post_id: int, text: str, kind: str = PostLogEntry.Kind.NOTE,
                 logged_at: dt.datetime | None = None,
                 idempotency_key: str | None = None) -> PostLogEntry:
    """Add a line to a post's log, tied to the duty running then (if any). The same
    ``idempotency_key`` returns the first entry."""
    perm_require(actor, "traffic.sign_in_post")
    existing = idempotency_lookup(scope=LOG_SCOPE, key=idempotency_key, model=PostLogEntry,
                                  user=actor)
    if existing is not None:
        return existing
    text = (text or "").strip()
    if not text:
        raise field_error("text", _("Write what happened."))
    if len(text) > TEXT_MAX:
        raise field_error("text", _("The text is too long (at most %(limit)s characters).")
                       % {"limit": TEXT_MAX})
    if kind not in PostLogEntry.Kind.values:
        raise field_error("kind", _("Choose the type of entry."))
    post = DutyPost.objects.filter(pk=post_id).first()
    if post is None:
        raise DomainError(_("No such duty post."), code="not_found")
    logged_at = logged_at or clock.now()
    with transaction.atomic():
        entry = PostLogEntry.objects.create(post=post,
                                            duty=duty_running(post, logged_at, actor),
                                            author=actor, kind=kind, text=text,
                                            logged_at=logged_at)
        activity_record(target=post, actor=actor, verb="traffic.post_log",
                        data={"entry": entry.pk, "kind": kind})
        winner = idempotency_race_lost(scope=LOG_SCOPE, key=idempotency_key, user=actor,
                                       result=entry)
    return winner or entry


# --- unstaffed duties ------------------------------------------------------------------------
def post_unstaffed_alert(*, at: dt.datetime | None = None) -> int:
    """Tell the office once per duty that runs unstaffed (of an active duty time of an
    active post): started at least
    ``POST_UNSTAFFED_AFTER_MINUTES`` ago, not over, nobody signed in. The notification's
    dedupe key (``traffic:post_duty:<id>:unstaffed``) makes a re-run send nothing twice.
    Returns how many duties were alerted on for the first time."""
    at = at or clock.now()
    grace = dt.timedelta(minutes=_setting("POST_UNSTAFFED_AFTER_MINUTES"))
    duties = (PostDuty.objects.filter(starts_at__lte=at - grace, ends_at__gt=at,
                                      first_sign_in_at__isnull=True, post__is_active=True,
                                      duty_time__is_active=True)
              .select_related("post", "duty_time"))
    recipients = office_people(Role.OFFICE_STAFF, Role.OFFICE_ADMIN)
    alerted = 0
    zone = clock.local_zone()
    for duty in duties:
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Duty post unstaffed: %(post)s, %(duty)s (from %(time)s), nobody has "
                      "signed in") % {"post": duty.post.name, "duty": duty.duty_time.name,
                                      "time": duty.starts_at.astimezone(zone).strftime("%H:%M")}
        sent = notification_send(
            recipients=recipients, verb="traffic.post_unstaffed", title=title,
            url=reverse("traffic:post_detail", args=[duty.post_id]),
            dedupe_key=f"traffic:post_duty:{duty.pk}:unstaffed")
        if sent:
            alerted += 1
    return alerted
