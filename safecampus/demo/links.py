"""The demo's two published secrets, printed by ``manage.py demo_accounts`` (which ``make
demo`` runs every time, the demo freshly loaded or not): the whole university's big-screen
address (:data:`~.cockpit.DEMO_TOKEN`) and the Open311 demo client's key
(:data:`~.community_open311.DEMO_KEY`). Only the hashes are stored, so each is checked
against its stored hash: a revoked (or never made) one is not printed. Reads only."""

from django.urls import reverse
from django.utils.translation import gettext as _

from safecampus.community.models import ApiClient
from safecampus.community.services.open311 import key_digest
from safecampus.dashboards.selectors import display_by_token

from .cockpit import DEMO_TOKEN
from .community_open311 import CLIENT_NAME, DEMO_KEY


def demo_screen_path() -> str | None:
    """The path of the demo's big screen (``/screen/<token>/``) while its display link is
    live, else None."""
    if display_by_token(DEMO_TOKEN) is None:
        return None
    return reverse("dashboards:screen", args=[DEMO_TOKEN])


def demo_key_is_live() -> bool:
    """True while the demo's Open311 client (and its service account) is active."""
    return ApiClient.objects.filter(key_hash=key_digest(DEMO_KEY), is_active=True,
                                    user__is_active=True).exists()


def demo_link_lines(public_url: str) -> list[str]:
    """The lines to print (translated; empty when both are revoked). ``public_url``: the
    address the demo is served at, without a trailing slash (``SAFECAMPUS_PUBLIC_URL``)."""
    lines = []
    path = demo_screen_path()
    if path:
        lines.append(_("Big screen of the whole university (a wall display, no sign-in): "
                       "%(url)s") % {"url": public_url + path})
    if demo_key_is_live():
        lines.append(_("Open311: the demo client “%(name)s” posts with api_key=%(key)s to "
                       "%(url)s") % {"name": CLIENT_NAME, "key": DEMO_KEY,
                                     "url": public_url + reverse("open311:requests", kwargs={"fmt": "json"})})
    return lines
