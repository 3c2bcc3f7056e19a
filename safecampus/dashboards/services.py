"""Writes of the dashboards app: the whole-university figures snapshot in the cache, and the
wall displays' tokens."""

import datetime as dt
import hashlib
import secrets

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import DomainError, NotAllowed, field_error
from safecampus.organisation.models import Campus

from .models import DisplayToken
from .selectors import snapshot_seconds, university_figures_compute, university_snapshot_keys


def university_figures_refresh() -> int:
    """Recompute the whole university's dashboard figures, for all campuses together and for
    each campus, in every UI language, and store them in the cache (shared by all web
    processes: Redis when REDIS_URL is set, else files under var/). Returns how many
    snapshots were stored. Run every SAFECAMPUS["DASHBOARD_REFRESH_MINUTES"] by a task."""
    now = clock.now()
    stored = 0
    for campus_id, language, key in university_snapshot_keys():
        with translation.override(language):
            figures = university_figures_compute(campus_id=campus_id, at=now)
        cache.set(key, figures, snapshot_seconds())
        stored += 1
    return stored


# --- wall displays (大屏) ---------------------------------------------------------------------
#: ``last_seen_at`` is written at most this often per display (seconds).
SEEN_EVERY_SECONDS = 60


def display_token_hash(token: str) -> str:
    """The stored form of a display token: its SHA-256 hex digest."""
    return hashlib.sha256(token.encode()).hexdigest()


def display_token_create(*, actor, name: str, campus_id: int | None = None,
                         token: str | None = None) -> tuple[DisplayToken, str]:
    """Create a wall display and return it with its token (shown once; only the hash is
    kept). ``actor`` needs ``dashboards.manage_displays``. ``token``: a fixed token (the
    demo's only; by default a random one). Raises NotAllowed, or DomainError (field ``name``
    empty; field ``campus`` unknown)."""
    if not actor.has_perm("dashboards.manage_displays"):
        raise NotAllowed()
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("Give the display a name."))
    if campus_id is not None and not Campus.objects.filter(pk=campus_id).exists():
        raise field_error("campus", _("No such campus."))
    token = token or secrets.token_urlsafe(32)
    with transaction.atomic():
        display = DisplayToken.objects.create(name=name[:100], campus_id=campus_id,
                                              token_hash=display_token_hash(token),
                                              created_by=actor)
        activity_record(target=display, actor=actor, verb="dashboards.display_create",
                        to_state="active", comment=display.name)
    return display, token


def display_token_revoke(*, actor, display_id: int) -> DisplayToken:
    """Revoke a wall display's token: from now on it opens nothing. Revoking twice is
    harmless. Raises NotAllowed, or DomainError when there is no such display."""
    if not actor.has_perm("dashboards.manage_displays"):
        raise NotAllowed()
    with transaction.atomic():
        display = DisplayToken.objects.select_for_update().filter(pk=display_id).first()
        if display is None:
            raise DomainError(_("No such display."))
        if display.revoked_at is None:
            display.revoked_at = clock.now()
            display.save(update_fields=["revoked_at", "updated_at"])
            activity_record(target=display, actor=actor, verb="dashboards.display_revoke",
                            from_state="active", to_state="revoked", comment=display.name)
    return display


def display_seen(*, display: DisplayToken) -> None:
    """Note that ``display`` fetched the big screen now; writes at most once a minute (one
    conditional UPDATE, so two requests at once write once) and no timeline entry."""
    now = clock.now()
    if display.last_seen_at and (now - display.last_seen_at).total_seconds() < SEEN_EVERY_SECONDS:
        return
    cutoff = now - dt.timedelta(seconds=SEEN_EVERY_SECONDS)
    DisplayToken.objects.filter(pk=display.pk).filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=cutoff)).update(last_seen_at=now)
    display.last_seen_at = now
