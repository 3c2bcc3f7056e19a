"""Idempotency keys: a repeated create with the same key returns the first result.

Keys come from a hidden form field (a UUID generated when the form is rendered) or the
``Idempotency-Key`` HTTP header on the API. Keys are 8–64 characters of [A-Za-z0-9_-].
"""

import re

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from .errors import Conflict
from .models import IdempotencyKey

_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def clean_key(raw: str | None) -> str | None:
    """Return the key if well-formed, else None (a malformed key is ignored, not an error)."""
    if raw and _KEY_RE.match(raw):
        return raw
    return None


def idempotency_lookup(*, scope: str, key: str | None, model: type[models.Model], user):
    """The object an earlier call by ``user`` with ``key`` produced, or None.

    Raises :class:`~safecampus.core.errors.Conflict` when another user already used the key,
    so a key can never replay someone else's record.
    """
    if not key:
        return None
    row = IdempotencyKey.objects.filter(scope=scope, key=key).first()
    if row is None:
        return None
    user_id = user.pk if user is not None and user.is_authenticated else None
    if row.user_id != user_id:
        raise Conflict(_("This request key was already used by someone else; reload the form."),
                       code="idempotency_key_reused")
    return model._default_manager.filter(pk=row.result_id).first()


def idempotency_remember(*, scope: str, key: str | None, user, result: models.Model) -> bool:
    """Record that ``key`` produced ``result``. Returns False if another request won the race
    (the unique constraint fired); callers then roll back and return the winner's result."""
    if not key:
        return True
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                scope=scope,
                key=key,
                user=user if user is not None and user.is_authenticated else None,
                result_type=ContentType.objects.get_for_model(result),
                result_id=result.pk,
            )
    except IntegrityError:
        return False
    return True


def idempotency_race_lost(*, scope: str, key: str | None, user, result: models.Model):
    """Remember that ``key`` produced ``result``, inside the caller's open transaction.

    Returns None when this request is the first with ``key`` (or there is no key). When a
    concurrent request with the same key got there first, marks the caller's transaction for
    rollback and returns the winner's result (an instance of ``type(result)``), which the
    caller returns instead of its own; nothing it wrote in the transaction is kept.
    """
    if idempotency_remember(scope=scope, key=key, user=user, result=result):
        return None
    winner = idempotency_lookup(scope=scope, key=key, model=type(result), user=user)
    transaction.set_rollback(True)
    return winner
