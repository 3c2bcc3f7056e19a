"""Template tags of the bulletins area: the hub card's summary and the bulletin's label."""

from django import template

from ..models import Bulletin
from ..rules import liaison_partner_id
from ..selectors.bulletins import bulletins_visible_to
from ..services.bulletins import bulletin_label as services_label

register = template.Library()


@register.simple_tag(takes_context=True)
def bulletin_hub_summary(context) -> dict:
    """``{"latest": 5 newest published, "drafts": the user's partner's drafts (the office:
    drafts it started)}`` for the hub card (2 queries)."""
    user = context["request"].user
    visible = bulletins_visible_to(user).select_related("partner")
    drafts = visible.filter(state=Bulletin.State.DRAFT)
    if liaison_partner_id(user) is None:
        drafts = drafts.filter(created_by=user)
    return {"latest": list(visible.filter(state=Bulletin.State.PUBLISHED)
                           .order_by("-published_at", "-id")[:5]),
            "drafts": list(drafts.order_by("-created_at")[:5])}


@register.filter
def bulletin_label(bulletin: Bulletin) -> str:
    """``{{ bulletin|bulletin_label }}``: "2026年第7期" (see services.bulletins.bulletin_label)."""
    return services_label(bulletin)
