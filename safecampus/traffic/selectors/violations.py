"""Parking violations, reads: who sees which violations, one violation with what its page
shows, the lists (office and guards; an owner's own), and the repeat-offender list.

The office, guards and leadership see every violation; anyone else sees only violations of
vehicles registered to their account (house rule 6: every list, page and API call goes
through :func:`violation_list_visible_to`).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.models import ActivityEntry

from ..models import (
    Appeal,
    MoveCarNotice,
    OffenderAction,
    OffenderRule,
    Vehicle,
    Violation,
    ViolationPhoto,
)
from ..plates import plate_normalise

#: The offender list counts violations in this many days when no rule is active.
DEFAULT_WINDOW_DAYS = 90


def sees_all_violations(user) -> bool:
    scope = user.scope
    return scope.is_office or scope.is_leadership or Role.GUARD in scope.roles


def violation_list_visible_to(user):
    """Violations ``user`` may see, newest seen first, with vehicle, owner, campus and place
    joined."""
    rows = Violation.objects.select_related("vehicle__owner", "campus", "place", "recorded_by")
    if not user.is_authenticated:
        return rows.none()
    if not sees_all_violations(user):
        rows = rows.filter(vehicle__owner=user)
    return rows.order_by("-observed_at", "-id")


def violation_search(user, *, kind: str = "", state: str = "", level: str = "",
                     date_from: dt.date | None = None, date_to: dt.date | None = None,
                     plate: str = "", campus_id: int | None = None):
    """The visible violations filtered as the list page and the API offer: type, state,
    level, local days seen (inclusive), campus, and a plate or part of one (normalised, so
    ``"陕a 123"`` finds 陕A12345)."""
    rows = violation_list_visible_to(user)
    if campus_id:
        rows = rows.filter(campus_id=campus_id)
    if kind:
        rows = rows.filter(kind=kind)
    if state:
        rows = rows.filter(state=state)
    if level:
        rows = rows.filter(level=level)
    if date_from:
        rows = rows.filter(observed_at__gte=clock.start_of_local_day(date_from))
    if date_to:
        rows = rows.filter(observed_at__lt=clock.start_of_local_day(date_to)
                           + dt.timedelta(days=1))
    number = plate_normalise(plate)
    if number:
        rows = rows.filter(plate__startswith=number) if len(number) >= 7 else rows.filter(
            plate__contains=number)
    return rows


def violation_detail(user, pk) -> Violation | None:
    """One violation ``user`` may see with its photos, notices (newest first) and appeal, or
    None."""
    if not str(pk or "").isdigit():
        return None
    return (violation_list_visible_to(user)
            .select_related("vehicle__unit")
            .prefetch_related(
                Prefetch("photos", queryset=ViolationPhoto.objects.order_by("id")),
                Prefetch("notices", queryset=MoveCarNotice.objects.select_related(
                    "sent_by", "recipient").order_by("-sent_at", "-id")))
            .filter(pk=pk).first())


def violation_appeal(violation: Violation) -> Appeal | None:
    return (Appeal.objects.select_related("appellant", "decided_by")
            .filter(violation=violation).first())


def violation_timeline(violation: Violation) -> list:
    """The violation's timeline entries, oldest first, each with ``to_label``: the state it
    moved to in words (an appeal's state for the appeal entries, else the violation's;
    "" when the entry moved no state)."""
    appeal_states, violation_states = dict(Appeal.State.choices), dict(Violation.State.choices)
    timeline = list(activity_for(violation).order_by("occurred_at", "id"))
    for entry in timeline:
        labels = appeal_states if entry.verb.startswith("traffic.appeal") else violation_states
        entry.to_label = labels.get(entry.to_state, entry.to_state) if entry.to_state else ""
    return timeline


def violation_import_origin(violation: Violation) -> ActivityEntry | None:
    """Where an imported violation (``source=import``) came from: the
    ``traffic.violations_import`` entry of the import that created it (``comment``, and in
    ``data`` the file name and the id range), with its actor; None for a violation recorded
    on campus, or when that entry is gone. One query."""
    if violation.source != Violation.Source.IMPORT:
        return None
    entries = ActivityEntry.objects.filter(
        verb="traffic.violations_import",  # services.violation_import.VERB
        data__first_id__lte=violation.pk, data__last_id__gte=violation.pk)
    if violation.recorded_by_id:
        entries = entries.filter(actor_id=violation.recorded_by_id)
    return entries.select_related("actor").order_by("-occurred_at", "-id").first()


def my_violations(user):
    """Violations of the vehicles registered to ``user``'s account, newest first, with
    their appeal."""
    return (Violation.objects.filter(vehicle__owner=user)
            .select_related("vehicle", "campus", "place", "appeal")
            .order_by("-observed_at", "-id"))


def violation_photo_visible(user, pk) -> ViolationPhoto | None:
    photo = ViolationPhoto.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if photo is None or violation_detail(user, photo.violation_id) is None:
        return None
    return photo


def appeal_photo_visible(user, pk) -> Appeal | None:
    appeal = Appeal.objects.filter(pk=pk).exclude(photo="").first() if str(pk).isdigit() else None
    if appeal is None or violation_detail(user, appeal.violation_id) is None:
        return None
    return appeal


def appeals_pending():
    """Appeals awaiting a decision, oldest first (the office's queue)."""
    return (Appeal.objects.filter(state=Appeal.State.PENDING)
            .select_related("violation", "appellant").order_by("created_at", "id"))


# --- repeat offenders -----------------------------------------------------------------------------
def offender_window_days() -> int:
    """The counting window of the list: the longest active rule's days (90 without rules)."""
    days = (OffenderRule.objects.filter(is_active=True).order_by("-days")
            .values_list("days", flat=True).first())
    return days or DEFAULT_WINDOW_DAYS


def offender_list(*, days: int | None = None):
    """Vehicles with at least one repeat-offender action, the latest action first; each
    annotated with ``window_count`` (counted violations — level violation, not void — seen
    in the last ``days`` days), ``action_count``, ``latest_action_at``,
    ``latest_rule_name`` and ``latest_rule_action``."""
    days = days or offender_window_days()
    since = clock.now() - dt.timedelta(days=days)
    latest = OffenderAction.objects.filter(vehicle=OuterRef("pk")).order_by("-applied_at", "-id")
    return (Vehicle.objects.filter(offender_actions__isnull=False).distinct()
            .select_related("owner")
            .annotate(
                window_count=Count("violations", filter=Q(
                    violations__level=Violation.Level.VIOLATION,
                    violations__observed_at__gte=since) & ~Q(
                        violations__state=Violation.State.VOID), distinct=True),
                action_count=Count("offender_actions", distinct=True),
                latest_action_at=Subquery(latest.values("applied_at")[:1]),
                latest_rule_name=Subquery(latest.values("rule__name")[:1]),
                latest_rule_action=Subquery(latest.values("rule__action")[:1]))
            .order_by(F("latest_action_at").desc(nulls_last=True), "plate"))


def offender_rules():
    return OffenderRule.objects.annotate(actions_taken=Count("actions")).order_by(
        "-is_active", "count", "days", "pk")


def vehicle_actions(vehicle: Vehicle):
    return OffenderAction.objects.filter(vehicle=vehicle).select_related("rule", "violation")
