"""The police and risk card of the main dashboard (for leadership and the office).

Usage in ``dashboards/home.html``: ``{% load police_overview %}{% police_overview_card %}``,
or ``{% police_overview_card campus_id=campus_id %}``; it renders nothing for a user without
``police.view_risk_overview``.
"""

from django import template

from ..selectors.risk_overview import overview_card

register = template.Library()


@register.inclusion_tag("police/risk_map/_overview_card.html", takes_context=True)
def police_overview_card(context, campus_id=None) -> dict:
    """Published risk points per level, reviews overdue and meeting actions overdue, on the
    campus the dashboard shows: ``campus_id`` when given, else the page's ``campus_id``
    (the dashboard's campus choice), else every campus. The map link opens that campus."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.has_perm("police.view_risk_overview"):
        return {"card": None}
    if campus_id is None:
        campus_id = context.get("campus_id")
    try:
        campus_id = int(campus_id) if campus_id not in (None, "") else None
    except (TypeError, ValueError):
        campus_id = None
    return {"card": overview_card(user, campus_id=campus_id)}
