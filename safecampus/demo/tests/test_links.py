"""``manage.py demo_accounts`` prints the demo's big-screen link and Open311 key every time
(``make demo`` runs it even when ``demo_load --if-empty`` skips), each only while live."""

import io

import pytest
from django.core.management import call_command
from django.utils import translation

from safecampus.community.services.open311 import api_client_issue, api_client_revoke
from safecampus.dashboards.services import display_token_create, display_token_revoke
from safecampus.demo.cockpit import DEMO_TOKEN, DISPLAY_NAME
from safecampus.demo.community_open311 import CLIENT_NAME, DEMO_KEY

pytestmark = pytest.mark.django_db(transaction=False)

SCREEN = f"Big screen of the whole university (a wall display, no sign-in): http://127.0.0.1:8000/screen/{DEMO_TOKEN}/"
KEY = (f"Open311: the demo client “{CLIENT_NAME}” posts with api_key={DEMO_KEY} to "
       "http://127.0.0.1:8000/open311/v2/requests.json")


def _accounts() -> list[str]:
    out = io.StringIO()
    with translation.override("en"):
        call_command("demo_accounts", stdout=out)
    return out.getvalue().splitlines()


def test_demo_accounts_prints_the_live_screen_link_and_open311_key(org, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "PUBLIC_URL": "http://127.0.0.1:8000"}
    # Given a loaded demo without its display link and key, nothing of them is printed
    lines = _accounts()
    assert lines and not any("Big screen" in line or "Open311" in line for line in lines)
    # When the demo's display link and Open311 client exist (as the demo makes them)
    display, _token = display_token_create(actor=org.users.admin, name=DISPLAY_NAME,
                                           token=DEMO_TOKEN)
    client, _key = api_client_issue(actor=org.users.admin, name=CLIENT_NAME, key=DEMO_KEY)
    # Then every run prints both, after the accounts
    for _run in range(2):
        assert _accounts()[-2:] == [SCREEN, KEY]
    # And a revoked one is no longer printed
    display_token_revoke(actor=org.users.admin, display_id=display.pk)
    assert _accounts()[-1] == KEY and SCREEN not in _accounts()
    api_client_revoke(actor=org.users.admin, client_id=client.pk)
    assert not any("Big screen" in line or "Open311" in line for line in _accounts())


def test_a_display_with_another_token_is_not_taken_for_the_demo_one(org):
    display_token_create(actor=org.users.admin, name=DISPLAY_NAME, token="another-token-" + "x" * 30)
    api_client_issue(actor=org.users.admin, name=CLIENT_NAME, key="another-key-" + "y" * 30)
    assert not any("Big screen" in line or "Open311" in line for line in _accounts())
