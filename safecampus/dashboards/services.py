"""Writes of the dashboards app: the whole-university figures snapshot in the cache."""

from django.core.cache import cache
from django.utils import translation

from safecampus.core import clock

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
