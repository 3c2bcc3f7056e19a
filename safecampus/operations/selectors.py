"""Reads of the operations page: the health checks and the latest backups."""

from django.db.models import QuerySet

from .health import health_checks
from .models import Backup

#: Backups (and restores) listed on the operations page.
RECENT_BACKUPS = 10


def backups_recent(limit: int = RECENT_BACKUPS) -> QuerySet[Backup]:
    """The latest ``limit`` backups and restores, newest first (times aware UTC)."""
    return Backup.objects.order_by("-started_at", "-pk")[:limit]


def operations_overview() -> dict:
    """Everything the operations page shows: :func:`~.health.health_checks`' keys
    (``status``, ``headline``, ``checks``, ``checked_at``) and ``backups`` (the latest
    :data:`RECENT_BACKUPS`)."""
    return {**health_checks(), "backups": list(backups_recent())}
