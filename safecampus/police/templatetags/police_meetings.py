"""Template tags of the meetings area: the hub card's figures."""

from django import template

from ..selectors import meetings as selectors

register = template.Library()


@register.simple_tag
def meetings_card(user) -> dict:
    """``{"next": Meeting | None, "mine": {"open", "overdue"}, "all": {...} | None}`` for the
    hub card (three queries)."""
    return {"next": selectors.meeting_next(user),
            "mine": selectors.actions_mine_summary(user),
            "all": selectors.actions_open_summary(user) if user.scope.sees_everything else None}
