"""Template tags of the service request pages: the hub card's figures."""

from django import template

from ..selectors.bookings import hub_figures

register = template.Library()


@register.simple_tag
def service_hub_figures(user) -> dict:
    """The hub card's figures for ``user`` (one query; nothing for people without a role in
    services)."""
    if not (user.has_perm("community.decide_service_request")
            or user.has_perm("community.book_service")):
        return {}
    return hub_figures(user)
