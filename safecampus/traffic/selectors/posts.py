"""Traffic duty posts, reads: the live list "now", a guard's duties today, a post's history
and log. Times in are aware; "today" is the local (Asia/Shanghai) date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from safecampus.core import clock

from ..models import ClassPeriod, DutyPost, PostDuty, PostDutyTime, PostLogEntry, PostSignIn
from ..services.posts import FLAG_LATE

STAFFED = "staffed"
UNSTAFFED = "unstaffed"
WAITING = "waiting"  # running, nobody yet, still within POST_UNSTAFFED_AFTER_MINUTES
STARTING = "starting"
OFF = "off"
#: State of a post now → (label, Bootstrap colour). Order of the live list: worst first.
STATES = {
    UNSTAFFED: (_("Unstaffed"), "danger"),
    WAITING: (_("Guard expected"), "warning"),
    STAFFED: (_("Staffed"), "success"),
    STARTING: (_("Starting soon"), "info"),
    OFF: (_("Off duty"), "secondary"),
}
#: A duty starting within this many minutes is "starting soon".
STARTING_SOON_MINUTES = 60


@dataclass
class PostNow:
    """One row of the live list: ``duty`` is the running duty, else the next one today,
    else None; ``signed_in`` the guards signed in on it (names, in sign-in order)."""

    post: DutyPost
    state: str
    duty: PostDuty | None
    guards: list = field(default_factory=list)
    signed_in: list = field(default_factory=list)

    @property
    def label(self):
        return STATES[self.state][0]

    @property
    def colour(self) -> str:
        return STATES[self.state][1]


def duty_posts_active(*, campus_id: int | None = None) -> QuerySet[DutyPost]:
    posts = DutyPost.objects.filter(is_active=True).select_related("campus", "place")
    if campus_id:
        posts = posts.filter(campus_id=campus_id)
    return posts.order_by("campus_id", "name")


def duty_posts_all() -> QuerySet[DutyPost]:
    """Every post (active first) for the setup page."""
    return DutyPost.objects.select_related("campus", "place").order_by("-is_active",
                                                                       "campus_id", "name")


def _state(duty: PostDuty | None, at: dt.datetime) -> str:
    if duty is None:
        return OFF
    if duty.starts_at > at:
        soon = duty.starts_at - at <= dt.timedelta(minutes=STARTING_SOON_MINUTES)
        return STARTING if soon else OFF
    if duty.first_sign_in_at is not None:
        return STAFFED
    grace = dt.timedelta(minutes=int(settings.SAFECAMPUS["POST_UNSTAFFED_AFTER_MINUTES"]))
    return UNSTAFFED if at - duty.starts_at >= grace else WAITING


def posts_now(*, at: dt.datetime | None = None, campus_id: int | None = None) -> list[PostNow]:
    """Every active post with its state at ``at`` (default now), from the duties of its
    active duty times: staffed (someone signed in
    on the running duty), unstaffed (running for ``POST_UNSTAFFED_AFTER_MINUTES`` or more,
    nobody signed in), guard expected (running, within that grace), starting soon (next duty
    today within an hour) or off duty. Worst first, then by name. Four queries whatever the
    number of posts."""
    at = at or clock.now()
    today = at.astimezone(clock.local_zone()).date()
    posts = list(duty_posts_active(campus_id=campus_id))
    sign_ins = (PostSignIn.objects.select_related("guard").order_by("signed_at", "pk"))
    duties = (PostDuty.objects.filter(post__in=posts, duty_date=today, ends_at__gte=at,
                                      duty_time__is_active=True)
              .select_related("duty_time")
              .prefetch_related("guards", Prefetch("sign_ins", queryset=sign_ins))
              .order_by("starts_at", "pk"))
    of_post: dict[int, list[PostDuty]] = {}
    for duty in duties:
        of_post.setdefault(duty.post_id, []).append(duty)
    rows = [_row(post, of_post.get(post.pk, []), at) for post in posts]
    order = list(STATES)
    rows.sort(key=lambda r: (order.index(r.state), r.post.name))
    return rows


def _row(post: DutyPost, duties: list[PostDuty], at: dt.datetime) -> PostNow:
    """The row of ``post`` from its duties of today not yet over (in start order): of those
    running, the one in the worst state (an unstaffed evening peak inside a staffed all-day
    duty shows); else the next one. ``signed_in`` leaves out sign-ins flagged late (they
    do not staff a duty; the post's page shows them)."""
    order = list(STATES)
    running = [d for d in duties if d.starts_at <= at]
    duty = (min(running, key=lambda d: order.index(_state(d, at))) if running
            else duties[0] if duties else None)
    signed: list = []
    if duty is not None:
        seen = set()
        for sign_in in duty.sign_ins.all():
            if sign_in.guard_id not in seen and FLAG_LATE not in sign_in.flags:
                seen.add(sign_in.guard_id)
                signed.append(sign_in)
    return PostNow(post=post, state=_state(duty, at), duty=duty,
                   guards=list(duty.guards.all()) if duty else [], signed_in=signed)


def post_now(post: DutyPost, *, at: dt.datetime | None = None) -> PostNow:
    """The live-list row of one post (off duty when the post is out of use)."""
    at = at or clock.now()
    today = at.astimezone(clock.local_zone()).date()
    sign_ins = PostSignIn.objects.select_related("guard").order_by("signed_at", "pk")
    duties = list(PostDuty.objects.filter(post=post, duty_date=today, ends_at__gte=at,
                                          duty_time__is_active=True)
                  .select_related("duty_time")
                  .prefetch_related("guards", Prefetch("sign_ins", queryset=sign_ins))
                  .order_by("starts_at", "pk"))
    row = _row(post, duties, at)
    if not post.is_active:
        row.state = OFF
    return row


def state_counts(rows: list[PostNow]) -> list[tuple[str, str, str, int]]:
    """``(state, label, colour, number of posts)`` for every state, worst first."""
    counts = dict.fromkeys(STATES, 0)
    for row in rows:
        counts[row.state] += 1
    return [(key, label, colour, counts[key]) for key, (label, colour) in STATES.items()]


def my_duties_today(user, *, at: dt.datetime | None = None) -> list[PostDuty]:
    """The duties ``user`` is rostered on today (local), in start order, each with
    ``signed_in`` (bool: the user has signed in on it, not counting sign-ins flagged late)."""
    at = at or clock.now()
    today = at.astimezone(clock.local_zone()).date()
    duties = list(PostDuty.objects.filter(duty_date=today, guards=user)
                  .select_related("post", "duty_time").order_by("starts_at", "pk"))
    mine = {duty_id for duty_id, flags in PostSignIn.objects.filter(duty__in=duties, guard=user)
            .values_list("duty_id", "flags") if FLAG_LATE not in flags}
    for duty in duties:
        duty.signed_in = duty.pk in mine
    return duties


def post_duties_of(post: DutyPost) -> QuerySet[PostDuty]:
    """A post's duties, newest first (paginate it), with guards and sign-ins."""
    return (PostDuty.objects.filter(post=post).select_related("duty_time")
            .prefetch_related("guards", Prefetch(
                "sign_ins", queryset=PostSignIn.objects.select_related("guard")
                .order_by("signed_at", "pk")))
            .order_by("-starts_at", "-pk"))


def duties_of_day(day: dt.date) -> QuerySet[PostDuty]:
    """Every duty of local date ``day`` (the roster page), by post then time."""
    return (PostDuty.objects.filter(duty_date=day).select_related("post", "duty_time")
            .prefetch_related("guards").order_by("post__name", "starts_at", "pk"))


def post_sign_ins(post: DutyPost) -> QuerySet[PostSignIn]:
    return (PostSignIn.objects.filter(post=post).select_related("guard", "duty__duty_time")
            .order_by("-signed_at", "-pk"))


def post_log(post: DutyPost) -> QuerySet[PostLogEntry]:
    return (PostLogEntry.objects.filter(post=post).select_related("author", "duty__duty_time")
            .order_by("-logged_at", "-pk"))


def post_duty_times(post: DutyPost) -> QuerySet[PostDutyTime]:
    return (PostDutyTime.objects.filter(post=post).select_related("class_period")
            .prefetch_related("guards").order_by("-is_active", "starts_at", "pk"))


def class_timetable(campus_id: int) -> list[ClassPeriod]:
    return list(ClassPeriod.objects.filter(campus_id=campus_id).order_by("number"))
