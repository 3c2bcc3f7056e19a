"""Joint meetings and their actions, reads.

Who sees what (the same rules as :mod:`safecampus.police.rules`): the office and leadership
see every meeting and action; a liaison sees the meetings their partner takes part in and
the actions of those meetings or owned by their partner; a unit's safety contact or leader
sees the actions their unit owns; anyone sees the actions naming them as responsible.
"Overdue" is open and due before today (local day).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from safecampus.accounts.models import Membership, Role
from safecampus.core import clock
from safecampus.core.activity import activity_for

from ..models import AgendaItem, Meeting, MeetingAction, MeetingAttendee, Side
from ..rules import liaison_partner_id

Open = MeetingAction.State.OPEN
#: Roles whose people are offered as campus-side attendees and responsible persons.
CAMPUS_ROLES = [Role.OFFICE_ADMIN, Role.OFFICE_STAFF, Role.UNIT_SAFETY_CONTACT,
                Role.UNIT_LEADER, Role.LEADERSHIP, Role.GRID_HEAD]


# --- meetings -----------------------------------------------------------------------------
def meetings_visible_to(user) -> QuerySet[Meeting]:
    if not user.is_authenticated or not user.has_perm("police.view_meetings"):
        return Meeting.objects.none()
    if user.scope.sees_everything:
        return Meeting.objects.all()
    partner_id = liaison_partner_id(user)
    if partner_id is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(partners__pk=partner_id)


def meeting_list(user, *, state: str = "", kind: str = "", campus_id: int | None = None,
                 year: int | None = None, university: bool = False) -> QuerySet[Meeting]:
    """Visible meetings, newest first, with campus, partners and counts of agenda items and
    actions (no query per row). ``university``: only university-wide meetings."""
    rows = meetings_visible_to(user)
    if state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    if university:
        rows = rows.filter(campus__isnull=True)
    elif campus_id:
        rows = rows.filter(campus_id=campus_id)
    if year:
        zone = clock.local_zone()
        rows = rows.filter(starts_at__gte=dt.datetime(year, 1, 1, tzinfo=zone),
                           starts_at__lt=dt.datetime(year + 1, 1, 1, tzinfo=zone))
    return (rows.select_related("campus").prefetch_related("partners")
            .annotate(action_count=Count("actions", distinct=True),
                      carried_count=Count("agenda", filter=Q(
                          agenda__carried_action__isnull=False), distinct=True))
            .order_by("-starts_at", "-pk"))


def meeting_detail(pk) -> Meeting | None:
    """A meeting with campus, partners, agenda (carried actions with their meeting and
    owners), attendees and actions, prefetched."""
    return (Meeting.objects.filter(pk=pk).select_related("campus", "created_by")
            .prefetch_related(
                "partners",
                Prefetch("agenda", queryset=AgendaItem.objects.select_related(
                    "carried_action__meeting", "carried_action__owner_unit",
                    "carried_action__owner_partner", "carried_action__owner")
                    .order_by("position", "pk")),
                Prefetch("attendees", queryset=MeetingAttendee.objects.select_related("user")
                         .order_by("side", "pk")),
                Prefetch("actions", queryset=MeetingAction.objects.select_related(
                    "owner_unit", "owner_partner", "owner").order_by("number")))
            .first())


def meeting_timeline(meeting: Meeting):
    return activity_for(meeting)


def meeting_next(user) -> Meeting | None:
    """The next planned visible meeting (from the start of today, local)."""
    return (meetings_visible_to(user).filter(
        state=Meeting.State.PLANNED, starts_at__gte=clock.start_of_local_day(
            clock.local_today())).select_related("campus").order_by("starts_at", "pk").first())


def meeting_years() -> list[int]:
    zone = clock.local_zone()
    first = Meeting.objects.order_by("starts_at").values_list("starts_at", flat=True).first()
    last = Meeting.objects.order_by("-starts_at").values_list("starts_at", flat=True).first()
    if first is None:
        return [clock.local_today().year]
    return list(range(last.astimezone(zone).year, first.astimezone(zone).year - 1, -1))


# --- people --------------------------------------------------------------------------------
def campus_people_with_units() -> list[tuple[int, str, list[int]]]:
    """``(user id, label, unit ids)`` of :func:`campus_people` (one query)."""
    rows = (Membership.objects.filter(role__in=CAMPUS_ROLES, user__is_active=True)
            .select_related("user", "unit").order_by("user__username", "pk"))
    people: dict[int, dict] = {}
    for m in rows:
        person = people.setdefault(m.user_id, {"user": m.user, "posts": [], "units": []})
        role = m.get_role_display()
        post = f"{m.unit.name} {role}" if m.unit_id else str(role)
        if post not in person["posts"]:
            person["posts"].append(post)
        if m.unit_id and m.unit_id not in person["units"]:
            person["units"].append(m.unit_id)
    out = []
    for pk, person in people.items():
        user = person["user"]
        name = user.full_name or user.username
        label = f"{name} ({user.username}) · {'、'.join(person['posts'])}"
        out.append((pk, label, person["units"]))
    return out



# --- actions ------------------------------------------------------------------------------
def _mine_q(user) -> Q:
    """Actions ``user`` answers for: as the person, their partner, or a unit they act for."""
    q = Q(owner_id=user.pk)
    partner_id = liaison_partner_id(user)
    if partner_id is not None:
        q |= Q(owner_partner_id=partner_id)
    units = [u for u, roles in user.scope.unit_roles.items()
             if user.scope.acts_for_unit(u)]
    if units:
        q |= Q(owner_unit_id__in=units)
    return q


def actions_visible_to(user) -> QuerySet[MeetingAction]:
    if not user.is_authenticated:
        return MeetingAction.objects.none()
    if user.scope.sees_everything:
        return MeetingAction.objects.all()
    q = _mine_q(user)
    partner_id = liaison_partner_id(user)
    if partner_id is not None:
        q |= Q(Exists(Meeting.partners.through.objects.filter(
            meeting_id=OuterRef("meeting_id"), partner_id=partner_id)))
    return MeetingAction.objects.filter(q)


def overdue_q(today: dt.date | None = None) -> Q:
    return Q(state=Open, due_on__lt=today or clock.local_today())


def action_list(user, *, mine: bool = False, state: str = "", overdue: bool = False,
                side: str = "", partner_id: int | None = None, unit_id: int | None = None,
                meeting_id: int | None = None) -> QuerySet[MeetingAction]:
    """Visible actions (``mine``: only those the user answers for), soonest due first, with
    meeting and owners joined."""
    rows = actions_visible_to(user)
    if mine:
        rows = rows.filter(_mine_q(user))
    if state:
        rows = rows.filter(state=state)
    if overdue:
        rows = rows.filter(overdue_q())
    if side:
        rows = rows.filter(side=side)
    if partner_id:
        rows = rows.filter(owner_partner_id=partner_id)
    if unit_id:
        rows = rows.filter(owner_unit_id=unit_id)
    if meeting_id:
        rows = rows.filter(meeting_id=meeting_id)
    return (rows.select_related("meeting", "owner_unit", "owner_partner", "owner")
            .order_by("-state", "due_on", "pk"))


def action_detail(pk) -> MeetingAction | None:
    return (MeetingAction.objects.filter(pk=pk)
            .select_related("meeting__campus", "owner_unit", "owner_partner", "owner")
            .prefetch_related(Prefetch("agenda_items", queryset=AgendaItem.objects
                                       .select_related("meeting").order_by("meeting__starts_at")))
            .first())


def action_timeline(action: MeetingAction):
    return activity_for(action)


def actions_open_summary(user) -> dict:
    """Open actions visible to ``user``: ``{"open": n, "overdue": n, "by_side": {"campus": n,
    "police": n}}`` (one query; for hub cards and the leadership overview)."""
    figures = actions_visible_to(user).filter(state=Open).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=clock.local_today())),
        campus=Count("pk", filter=Q(side=Side.CAMPUS)),
        police=Count("pk", filter=Q(side=Side.POLICE)))
    return {"open": figures["open"], "overdue": figures["overdue"],
            "by_side": {"campus": figures["campus"], "police": figures["police"]}}


def actions_mine_summary(user) -> dict:
    """The user's own open actions: ``{"open": n, "overdue": n}``."""
    return actions_visible_to(user).filter(_mine_q(user), state=Open).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=clock.local_today())))


def actions_overdue(user, limit: int = 10) -> list[MeetingAction]:
    """The ``limit`` most overdue open actions visible to ``user``, with meeting and owners."""
    return list(actions_visible_to(user).filter(overdue_q())
                .select_related("meeting", "owner_unit", "owner_partner", "owner")
                .order_by("due_on", "pk")[:limit])


def action_ids_visible_to(user, action_ids) -> set[int]:
    """Of ``action_ids``, those ``user`` may see (one query; everything for the office and
    leadership): a carried agenda item shows its action only to them — a liaison sees
    "an action of another meeting" for a campus action decided without their partner."""
    ids = {pk for pk in action_ids if pk}
    if not ids:
        return set()
    if user.is_authenticated and user.scope.sees_everything:
        return ids
    return set(actions_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def action_live_state(action: MeetingAction, today: dt.date | None = None) -> str:
    """"open", "overdue", "done" or "cancelled" (what a carried agenda item shows)."""
    if action.state == Open and action.due_on < (today or clock.local_today()):
        return "overdue"
    return action.state
