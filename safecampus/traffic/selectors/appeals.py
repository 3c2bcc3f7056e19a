"""Appeals (申诉), reads: the office's queue of appeals to decide.

Only those who decide appeals (``traffic.decide_appeal``: the security office) see the
queue; an owner sees their own appeal on the violation's page.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from ..models import Appeal, ViolationPhoto

#: The states the queue filters by, the default first.
QUEUE_STATES = (Appeal.State.PENDING, Appeal.State.GRANTED, Appeal.State.REFUSED)


def appeal_queue(user, *, state: str = Appeal.State.PENDING) -> QuerySet[Appeal]:
    """Appeals in ``state`` (pending, granted or refused) for ``user``, none unless they may
    decide appeals. Pending ones oldest first (the longest waiting on top); decided ones
    latest decision first. Each row has its violation with vehicle, campus and place, the
    appellant and the decider joined, and ``violation.first_photos`` (the violation's
    photos, oldest first: one query for the page)."""
    if not user.is_authenticated or not user.has_perm("traffic.decide_appeal"):
        return Appeal.objects.none()
    if state not in QUEUE_STATES:
        state = Appeal.State.PENDING
    rows = (Appeal.objects.filter(state=state)
            .select_related("violation__vehicle", "violation__campus", "violation__place",
                            "appellant", "decided_by")
            .prefetch_related(Prefetch("violation__photos",
                                       queryset=ViolationPhoto.objects.order_by("id"),
                                       to_attr="first_photos")))
    if state == Appeal.State.PENDING:
        return rows.order_by("created_at", "id")
    return rows.order_by("-decided_at", "-id")
