"""The police and risk card of the main dashboard (for leadership and the office).

Usage in ``dashboards/home.html``: ``{% load police_overview %}{% police_overview_card %}``;
it renders nothing for a user without ``police.view_risk_overview``.
"""

from django import template

from ..selectors.risk_overview import overview_card

register = template.Library()


@register.inclusion_tag("police/risk_map/_overview_card.html", takes_context=True)
def police_overview_card(context) -> dict:
    """Published risk points per level, reviews overdue and meeting actions overdue."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.has_perm("police.view_risk_overview"):
        return {"card": None}
    return {"card": overview_card(user)}
