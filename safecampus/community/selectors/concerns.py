"""Concerns (reads): a concern's page and timeline, the submitter's list, the office's
queue, the public board and the "already answered" hints on the submit form.

Anonymity: nothing here names the submitter of an anonymous concern to anyone but the
submitter; contact details go only to holders of ``community.view_concern_contact``."""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import DomainError
from safecampus.core.forms import id_or_none
from safecampus.core.workdays import WorkCalendar

from ..models import Concern, ConcernCategory


def concern_expected_at(concern: Concern, *, calendar: WorkCalendar | None = None
                        ) -> dt.datetime | None:
    """When the submitter can expect the next step, aware (end of a Beijing-time day):
    the planned target date; the hazard's rectification deadline while it is in the hazard
    loop (None before a notice sets one); otherwise ``category.answer_days`` working days
    after the local day it was submitted (or reopened). None once closed. ``calendar``: a
    :class:`WorkCalendar` loaded once for a list of concerns (:func:`concern_expected_for`)."""
    if concern.state == Concern.State.CLOSED:
        return None
    if concern.state == Concern.State.PLANNED and concern.target_date:
        return clock.end_of_local_day(concern.target_date)
    if concern.state == Concern.State.HAZARD:
        return concern.hazard.deadline if concern.hazard_id and concern.hazard else None
    since = concern.reopened_at or concern.submitted_at
    day = since.astimezone(clock.local_zone()).date()
    return clock.end_of_local_day(_answer_day(day, concern.category.answer_days, calendar))


def answer_due_day(day: dt.date, days: int, calendar: WorkCalendar | None = None) -> dt.date:
    """The last local day to answer a concern submitted on local day ``day`` whose category
    allows ``days`` working days (answered on time: first answered by the end of it)."""
    return _answer_day(day, days, calendar)


def answer_due_days(first: dt.date, last: dt.date, days: int,
                    calendar: WorkCalendar | None = None) -> dict[dt.date, dt.date]:
    """:func:`answer_due_day` of every local day from ``first`` to ``last`` (both included),
    the working days read in one pass rather than once per day."""
    span = (last - first).days + 1
    if days < 1:
        return {first + dt.timedelta(days=i): first + dt.timedelta(days=i) for i in range(span)}
    end = last + dt.timedelta(days=days * 3 + 30)
    calendar = calendar or WorkCalendar(first, end)
    working: list[dt.date] = []
    day = first
    try:
        while day < end:
            day += dt.timedelta(days=1)
            if calendar.is_working_day(day):
                working.append(day)
    except DomainError:  # a year without official holidays: those days one by one
        pass
    out = {}
    for i in range(span):
        submitted = first + dt.timedelta(days=i)
        index = bisect.bisect_right(working, submitted) + days - 1
        out[submitted] = (working[index] if index < len(working)
                          else _answer_day(submitted, days, calendar))
    return out


def _answer_day(day: dt.date, days: int, calendar: WorkCalendar | None) -> dt.date:
    """The local day ``days`` working days after ``day`` (calendar days for a year whose
    official holidays are not known)."""
    if days < 1:
        return day
    calendar = calendar or WorkCalendar(day, day + dt.timedelta(days=days * 3 + 30))
    try:
        counted = 0
        while counted < days:
            day += dt.timedelta(days=1)
            if calendar.is_working_day(day):
                counted += 1
        return day
    except DomainError:
        return day + dt.timedelta(days=days - counted)


def concern_expected_for(concerns) -> list[tuple[Concern, dt.datetime | None]]:
    """``(concern, expected time)`` for a page of concerns, the working-day calendar read
    once (the query count does not grow with the rows)."""
    concerns = list(concerns)
    days = [(c.reopened_at or c.submitted_at).astimezone(clock.local_zone()).date()
            for c in concerns if c.state == Concern.State.SUBMITTED]
    calendar = WorkCalendar(min(days), max(days) + dt.timedelta(days=60)) if days else None
    return [(c, concern_expected_at(c, calendar=calendar)) for c in concerns]


# --- one concern ----------------------------------------------------------------------------
def concern_detail(user, pk) -> Concern | None:
    """The concern ``pk`` with what its page shows, or None when absent or ``user`` may not
    see it (``community.view_concern``)."""
    concern = (Concern.objects.select_related(
        "category", "campus", "building", "place", "submitter", "handling_unit",
        "hazard__category", "duplicate_of", "answered_by", "moderated_by")
        .prefetch_related("photos").filter(pk=id_or_none(pk)).first())
    if concern is None or not user.has_perm("community.view_concern", concern):
        return None
    return concern


def concern_shows_text(concern: Concern, user) -> bool:
    """Whether ``user`` reads the concern's text: hidden text only for the office and the
    submitter."""
    return not concern.text_hidden or concern.submitter_id == user.pk or user.has_perm(
        "community.moderate_concern", concern)


@dataclass
class Contact:
    """Who submitted (for the office): ``anonymous`` True shows 匿名 and nothing else."""

    anonymous: bool
    name: str = ""
    phone: str = ""
    email: str = ""


def concern_contact(concern: Concern, user) -> Contact | None:
    """Who sent the concern and how to reach them, for ``user``: None when they may not
    know (no ``community.view_concern_contact``), ``anonymous`` for anonymous concerns."""
    if concern.is_anonymous:
        return Contact(anonymous=True)
    if not user.has_perm("community.view_concern_contact", concern):
        return None
    person = concern.submitter
    return Contact(
        anonymous=False,
        name=concern.contact_name or (person.full_name or person.username if person else ""),
        phone=concern.contact_phone or (person.phone if person else ""),
        email=concern.contact_email or (person.email if person else ""))


@dataclass
class TimelineRow:
    verb: str
    data: dict
    comment: str
    occurred_at: dt.datetime
    who: str
    from_state: str
    to_state: str


#: The submitter's own words on the timeline (reopen reason, rating comment): hidden with
#: the concern's text (:func:`concern_shows_text`).
SUBMITTER_VERBS = ("community.rate", "community.reopen")


def concern_timeline(concern: Concern, user) -> list[TimelineRow]:
    """Every step of ``concern``, oldest first, for ``user``. The submitter's own steps name
    them only to those who may know who it is (themselves; the office for non-anonymous
    concerns); others read "the submitter". When the text is hidden, the submitter's own
    words (reopen reason, rating comment) are left out for those who may not read it."""
    contact = concern_contact(concern, user)
    shows_submitter = concern.submitter_id == user.pk or (
        contact is not None and not contact.anonymous)
    shows_text = concern_shows_text(concern, user)
    rows = []
    for entry in activity_for(concern):
        if entry.actor_id is not None and entry.actor_id == concern.submitter_id:
            who = ((entry.actor.full_name or entry.actor.username) if shows_submitter
                   else _("The submitter"))
        elif entry.actor_id is None:
            who = (_("The submitter") if entry.verb in ("community.submit", "community.rate",
                                                         "community.reopen")
                   else _("The system"))
        else:
            who = entry.actor.full_name or entry.actor.username
        comment = entry.comment
        if not shows_text and entry.verb in SUBMITTER_VERBS:
            comment = ""
        rows.append(TimelineRow(verb=entry.verb, data=entry.data, comment=comment,
                                occurred_at=entry.occurred_at, who=who,
                                from_state=entry.from_state, to_state=entry.to_state))
    return rows


# --- lists ----------------------------------------------------------------------------------
LIST_RELATED = ("category", "campus")


def concern_mine(user) -> QuerySet[Concern]:
    """The concerns ``user`` submitted, newest first."""
    return (Concern.objects.filter(submitter_id=user.pk).select_related(*LIST_RELATED,
                                                                         "hazard")
            .order_by("-submitted_at", "-id"))


def _day_before_due(day: dt.date, days: int, today: dt.date, calendar: WorkCalendar
                    ) -> dt.date:
    """The last local day whose concerns (with ``days`` working days to answer) are overdue
    ``today``: their expected day is before ``today``."""
    while _answer_day(day, days, calendar) >= today:
        day -= dt.timedelta(days=1)
    return day


def overdue_q(now: dt.datetime | None = None) -> Q:
    """Open concerns past their expected time (:func:`concern_expected_at`), in SQL: planned
    ones past the target date, those in the hazard loop past the hazard's deadline, and
    those awaiting the office past their category's working days to answer (counted from
    the day submitted or reopened)."""
    now = now or clock.now()
    today = now.astimezone(clock.local_zone()).date()
    q = Q(state=Concern.State.PLANNED, target_date__lt=today) | Q(
        state=Concern.State.HAZARD, hazard__deadline__lt=now)
    rows = list(ConcernCategory.objects.values_list("id", "answer_days"))
    longest = max((days for _id, days in rows), default=0)
    calendar = WorkCalendar(today - dt.timedelta(days=longest * 3 + 30), today)
    for category_id, days in rows:
        last_day = _day_before_due(today, days, today, calendar)
        q |= Q(state=Concern.State.SUBMITTED, category_id=category_id,
               since__lt=clock.start_of_local_day(last_day + dt.timedelta(days=1)))
    return q


def _since(qs: QuerySet[Concern]) -> QuerySet[Concern]:
    return qs.annotate(since=Coalesce("reopened_at", "submitted_at"))


@dataclass
class QueueFilters:
    """The office queue's filters; every one optional. ``state`` "open" is every state but
    closed. ``q``: a number (SQ-2026-000123 or part of it) or words of the title."""

    state: str = ""
    category: int | None = None
    campus: int | None = None
    overdue: bool = False
    q: str = ""


def concern_queue(user, filters: QueueFilters) -> QuerySet[Concern]:
    """The office's queue (``community.view_concern_queue``: office and leadership): every
    concern under ``filters``, oldest-waiting first for open ones, newest first otherwise."""
    if not user.has_perm("community.view_concern_queue"):
        return Concern.objects.none()
    qs = _since(Concern.objects.all())
    if filters.state == "open":
        qs = qs.exclude(state=Concern.State.CLOSED)
    elif filters.state in Concern.State.values:
        qs = qs.filter(state=filters.state)
    if filters.category:
        qs = qs.filter(category_id=filters.category)
    if filters.campus:
        qs = qs.filter(campus_id=filters.campus)
    if filters.overdue:
        qs = qs.filter(overdue_q())
    text = (filters.q or "").strip()
    if text:
        qs = qs.filter(Q(number__icontains=text) | Q(title__icontains=text))
    qs = qs.select_related(*LIST_RELATED, "hazard")
    if filters.state and filters.state != Concern.State.CLOSED:
        return qs.order_by("since", "id")
    return qs.order_by("-submitted_at", "-id")


def concern_queue_counts(user) -> dict[str, int]:
    """The hub's figures for the office: awaiting the office, and overdue."""
    if not user.has_perm("community.view_concern_queue"):
        return {}
    return {
        "awaiting": Concern.objects.filter(state=Concern.State.SUBMITTED).count(),
        "overdue": _since(Concern.objects.all()).filter(overdue_q()).count(),
    }


def concern_board(*, q: str = "", category: int | None = None,
                  campus: int | None = None) -> QuerySet[Concern]:
    """The public board: published concerns, newest published first. Never says who
    submitted (callers show no submitter)."""
    qs = Concern.objects.filter(is_public=True)
    if category:
        qs = qs.filter(category_id=category)
    if campus:
        qs = qs.filter(campus_id=campus)
    text = (q or "").strip()
    if text:
        qs = qs.filter(Q(number__icontains=text) | Q(title__icontains=text)
                       | Q(answer__icontains=text)
                       | (Q(description__icontains=text) & Q(text_hidden=False)))
    return (qs.select_related(*LIST_RELATED).prefetch_related("photos")
            .order_by("-published_at", "-id"))


_WORD = re.compile(r"[A-Za-z0-9]{2,}|[\u3400-\u9fff]+")


def title_words(title: str, *, limit: int = 12) -> list[str]:
    """The words a title is matched by: Latin words and numbers of two or more characters,
    and the two-character pieces of each run of Chinese characters (Chinese has no spaces:
    停车难 → 停车, 车难)."""
    words: list[str] = []
    for token in _WORD.findall(title or ""):
        if token.isascii():
            pieces = [token.lower()]
        elif len(token) <= 2:
            pieces = [token]
        else:
            pieces = [token[i:i + 2] for i in range(len(token) - 1)]
        for piece in pieces:
            if piece not in words:
                words.append(piece)
    return words[:limit]


def concern_similar(*, title: str = "", category_id=None, limit: int = 5) -> list[Concern]:
    """Up to ``limit`` concerns already answered on the public board that look like the one
    being written: those sharing most words of ``title`` first, the same category before
    others; with no title, the category's latest. Empty without title words or category."""
    category_id = id_or_none(category_id)
    words = title_words(title)
    if not words and not category_id:
        return []
    qs = Concern.objects.filter(is_public=True).exclude(answer="")
    score = Value(0, output_field=IntegerField())
    if words:
        match = Q()
        for word in words:
            match |= Q(title__icontains=word)
            score = score + Case(When(title__icontains=word, then=Value(1)), default=Value(0),
                                 output_field=IntegerField())
        qs = qs.filter(match)
    else:
        qs = qs.filter(category_id=category_id)
    same = Case(When(category_id=category_id or 0, then=Value(1)), default=Value(0),
                output_field=IntegerField())
    return list(qs.annotate(score=score, same=same).select_related("category")
                .order_by("-same", "-score", "-published_at", "-id")[:limit])


def concern_open_count(user) -> int:
    """How many of ``user``'s concerns are still open (the hub)."""
    return Concern.objects.filter(submitter_id=user.pk).exclude(
        state=Concern.State.CLOSED).count()


def concern_answers(concern: Concern, user) -> list[tuple[str, str]]:
    """The answers to the category's questions as (question, answer in words), in the
    category's order: list keys become their names, several joined by "、". None for
    ``user`` when the concern's text is hidden from them (:func:`concern_shows_text`): free
    answers may say as much as the description."""
    if not concern_shows_text(concern, user):
        return []
    rows = []
    given = concern.attributes or {}
    for attribute in concern.category.attributes.order_by("order", "id"):
        if attribute.code not in given:
            continue
        names = {str(v.get("key")): v.get("name") or v.get("key")
                 for v in attribute.values or [] if isinstance(v, dict)}
        value = given[attribute.code]
        values = value if isinstance(value, list) else [value]
        rows.append((attribute.description, "、".join(str(names.get(str(v), v))
                                                     for v in values)))
    return rows
