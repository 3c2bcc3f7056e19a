"""Counsellor follow-ups, reads. Visibility is ``education.view_followup``: office
administrators and police liaisons see all; counsellors those of the colleges they counsel;
nobody else any (their pages answer 404)."""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Q, Value, When

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.forms import id_or_none

from ..models import FollowUp


def _counselled(user) -> list[int]:
    return [unit for unit, roles in user.scope.unit_roles.items() if Role.COUNSELLOR in roles]


def followups_visible_to(user, *, state: str | None = None):
    """The follow-ups ``user`` may see: open first (overdue first among them, by due date),
    then closed, newest closed first; college, type and people joined. Paginate."""
    if not getattr(user, "is_authenticated", False):
        return FollowUp.objects.none()
    qs = FollowUp.objects.select_related("college", "fraud_type", "created_by", "closed_by")
    scope = user.scope
    if not (scope.is_office_admin or Role.POLICE_LIAISON in scope.roles):
        qs = qs.filter(college_id__in=_counselled(user))
    if state in FollowUp.State.values:
        qs = qs.filter(state=state)
    return qs.annotate(open_first=Case(When(state=FollowUp.State.OPEN, then=Value(0)),
                                       default=Value(1), output_field=IntegerField())
                       ).order_by("open_first", "due_on", "-closed_at", "pk")


def followup_counts(user) -> dict[str, int]:
    """``{"open", "overdue"}`` among the follow-ups ``user`` sees (one query)."""
    today = clock.local_today()
    return followups_visible_to(user).aggregate(
        open=Count("pk", filter=Q(state=FollowUp.State.OPEN)),
        overdue=Count("pk", filter=Q(state=FollowUp.State.OPEN, due_on__lt=today)))


def followup_get_visible(user, pk) -> FollowUp | None:
    """Follow-up ``pk`` if ``user`` may see it (``education.view_followup``), else None."""
    pk = id_or_none(pk)
    if pk is None or not getattr(user, "is_authenticated", False):
        return None
    followup = (FollowUp.objects.select_related("college", "fraud_type", "created_by",
                                                "closed_by", "student")
                .filter(pk=pk).first())
    if followup is None or not user.has_perm("education.view_followup", followup):
        return None
    return followup


def followup_timeline(followup: FollowUp):
    return activity_for(followup).order_by("occurred_at", "pk")


def is_overdue(followup: FollowUp) -> bool:
    return followup.state == FollowUp.State.OPEN and followup.due_on < clock.local_today()
