"""The warnings area's hub card data: ``{% warnings_card user as card %}``."""

from django import template

from ..selectors import followups as followup_selectors
from ..selectors import warnings as selectors

register = template.Library()

#: How many of a person's warnings the hub card lists (unread first).
CARD_ROWS = 5


@register.simple_tag
def warnings_card(user) -> dict:
    """``{"mine": [notification, …], "unread": n, "followups": {"open", "overdue"} | None}``:
    the user's latest warnings (unread first) and, for those who see follow-ups, the counts
    (three queries)."""
    mine = list(selectors.warnings_for(user)[:CARD_ROWS])
    return {
        "mine": mine,
        "unread": selectors.warnings_unread_count(user) if mine else 0,
        "followups": (followup_selectors.followup_counts(user)
                      if user.has_perm("education.view_followups") else None),
    }
