"""Template filters of the checker pages."""

from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.00123 → "0.12%"; "—" for a missing figure."""
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value):.2%}"
    except (TypeError, ValueError):
        return "—"
