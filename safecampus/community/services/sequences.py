"""Yearly record numbers (``SQ-2026-000123``): one locked counter row per kind and year."""

from django.db import transaction

from ..models import Sequence


def sequence_next(*, kind: str, year: int) -> int:
    """The next number of ``kind`` (:class:`Sequence.Kind`) in ``year`` (local year), starting
    at 1. Call inside the transaction that stores the record: the counter row stays locked
    until it commits, so concurrent callers wait and never get the same number, and a rolled
    back record gives its number back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must run inside a transaction")
    row = Sequence.objects.select_for_update().filter(kind=kind, year=year).first()
    if row is None:
        Sequence.objects.get_or_create(kind=kind, year=year)
        row = Sequence.objects.select_for_update().get(kind=kind, year=year)
    row.last_number += 1
    row.save(update_fields=["last_number"])
    return row.last_number
