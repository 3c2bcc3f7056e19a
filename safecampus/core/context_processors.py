"""Template context shared by every page."""

from django.conf import settings


def site(request) -> dict:
    """``SITE``: the university and office names and the other SAFECAMPUS settings."""
    return {"SITE": settings.SAFECAMPUS}
