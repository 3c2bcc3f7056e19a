"""Template tags of the fraud library area: the hub card's count of reports waiting."""

from django import template

from ..selectors.reports import open_report_count

register = template.Library()


@register.simple_tag
def fraud_reports_waiting(user) -> int | None:
    """How many fraud reports wait to be received (handlers only; None for anyone else)."""
    return open_report_count(user)
