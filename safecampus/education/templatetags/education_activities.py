"""Template filters of the activities pages."""

from django import template

from safecampus.core import clock

from ..models import Activity

register = template.Library()


@register.filter
def running(activity) -> bool:
    """Whether a planned activity is under way now (between its start and end): shown as
    "in progress" — a display only, the activity stays planned until it is recorded as held."""
    if getattr(activity, "state", None) != Activity.State.PLANNED:
        return False
    return activity.starts_at <= clock.now() <= activity.ends_at
