"""Writing and reading the domain timeline (:class:`~safecampus.core.models.ActivityEntry`)."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from . import clock
from .models import ActivityEntry


def activity_record(
    *,
    target: models.Model,
    actor,
    verb: str,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    data: dict | None = None,
) -> ActivityEntry:
    """Append one entry to ``target``'s timeline at :func:`clock.now` (call inside the
    transaction that made the change, so entry and change commit together)."""
    return ActivityEntry.objects.create(
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
        actor=actor if (actor is not None and actor.is_authenticated) else None,
        verb=verb,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data or {},
        occurred_at=clock.now(),
    )


def activity_for(target: models.Model):
    """The timeline of ``target``, oldest first, with actors joined (one query)."""
    return ActivityEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=target.pk
    ).select_related("actor")
