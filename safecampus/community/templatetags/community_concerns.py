"""Template tags of the concerns area: the hub card's figures."""

from django import template

from ..selectors import concerns as selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def concern_hub_figures(context) -> dict:
    """``{"mine_open": n}`` for everyone signed in, plus ``awaiting`` and ``overdue`` for
    those who read the office's queue."""
    user = context["request"].user
    if not user.is_authenticated:
        return {}
    return {"mine_open": selectors.concern_open_count(user),
            **selectors.concern_queue_counts(user)}
