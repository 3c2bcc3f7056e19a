"""Template tags of the risk register: the hub card's figures for the signed-in user."""

from django import template

from ..selectors.risks import risk_summary

register = template.Library()


@register.simple_tag(takes_context=True)
def risk_hub_summary(context) -> dict:
    """:func:`~safecampus.police.selectors.risks.risk_summary` for ``request.user``."""
    return risk_summary(context["request"].user)
