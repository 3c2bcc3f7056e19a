"""Page helpers for view tests in any app: a client signed in with English pages, the flash
messages a request left, a page's visible text."""

import re

from django.conf import settings
from django.contrib.messages import get_messages


def login(client, user):
    """``client`` signed in as ``user``, asking for English pages (the language cookie)."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def messages_of(response) -> list[str]:
    """The flash messages the request behind ``response`` left, as text."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def text_of(response) -> str:
    """The page's visible text with whitespace folded (for message assertions)."""
    html = response.content.decode()
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
