"""API test helpers: token-authenticated clients speaking English or Chinese."""

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

HAZARDS = "/api/v1/hazards/hazards/"
NOTICES = "/api/v1/hazards/notices/"
EXTENSIONS = "/api/v1/hazards/extensions/"


def client_for(user, *, language: str = "en") -> APIClient:
    """An APIClient sending ``Authorization: Token …`` for ``user`` (None: no credentials)."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def hazard_url(pk: int, action: str | None = None) -> str:
    return f"{HAZARDS}{pk}/" + (f"{action}/" if action else "")


def notice_url(pk: int, action: str | None = None) -> str:
    return f"{NOTICES}{pk}/" + (f"{action}/" if action else "")
