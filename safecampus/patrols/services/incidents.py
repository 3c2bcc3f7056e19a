"""Incident numbers (警情编号), shared by the duty room and imports."""

from django.db import IntegrityError, transaction

from ..models import IncidentSequence


def incident_numbers_take(*, year: int, count: int = 1) -> int:
    """Take ``count`` consecutive incident numbers of ``year``; returns the first.

    Call inside a transaction: the year's :class:`IncidentSequence` row stays locked until it
    ends, so concurrent writers queue and numbers are unique and never reused (a rolled-back
    writer releases its numbers with the lock).
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    if not IncidentSequence.objects.filter(year=year).exists():
        try:
            with transaction.atomic():
                IncidentSequence.objects.create(year=year)
        except IntegrityError:
            pass  # created by a concurrent writer
    sequence = IncidentSequence.objects.select_for_update().get(year=year)
    first = sequence.last_number + 1
    sequence.last_number += count
    sequence.save(update_fields=["last_number"])
    return first
