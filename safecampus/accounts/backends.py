"""Single sign-on through a CAS 2.0/3.0 server (统一身份认证), beside local accounts.

:func:`cas_ticket_user` validates a service ticket with the CAS server (django-cas-ng's
client, python-cas) and maps the person to a SafeCampus user with
:func:`~safecampus.accounts.services.cas_user_resolve`. The CAS sign-in view calls it
directly, not through ``django.contrib.auth.authenticate``: a refused ticket is no password
guess, so it must not fire ``user_login_failed`` and count toward django-axes' lockout (whose
key would be "no user name + this IP address", locking every CAS user behind one NAT). The
CAS server throttles its own logins.

:class:`CASBackend` stays in ``AUTHENTICATION_BACKENDS`` so sessions signed in through CAS
load their user; it answers only ``authenticate(request, ticket=…, service=…)`` and only
while ``settings.CAS_SERVER_URL`` is set; username/password sign-in never reaches it. A
refusal leaves a translated reason in ``request.cas_refusal`` for the sign-in page.
"""

import logging
from xml.etree.ElementTree import ParseError

import requests
from cas import CASError
from django.conf import settings
from django.utils.translation import gettext as _
from django_cas_ng.backends import CASBackend as BaseCASBackend
from django_cas_ng.utils import get_cas_client

from safecampus.core.errors import DomainError

from .services import cas_user_resolve

logger = logging.getLogger(__name__)

#: The dotted path Django stores in the session for users signed in through CAS.
BACKEND_PATH = "safecampus.accounts.backends.CASBackend"


class _TimeoutSession(requests.Session):
    """A requests session that never waits longer than ``timeout`` seconds (python-cas sets
    none, so an unreachable CAS server would hang the request)."""

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


def _refuse(request, message: str) -> None:
    if request is not None:
        request.cas_refusal = message


def cas_ticket_user(request, *, ticket: str, service: str):
    """The mapped, active SafeCampus user for CAS service ``ticket`` issued for exactly the
    ``service`` URL, or None.

    An invalid, expired or replayed ticket, a ticket issued for another service URL (the CAS
    server refuses each of them), an unreachable server (waits at most
    ``SAFECAMPUS_CAS["TIMEOUT_SECONDS"]``), an unusable answer and a person who may not be
    mapped all give None, with a translated reason in ``request.cas_refusal`` where there is
    a more precise one than "invalid ticket". Writes nothing but what
    :func:`~safecampus.accounts.services.cas_user_resolve` writes.
    """
    if not settings.CAS_SERVER_URL or not ticket or not service:
        return None
    client = get_cas_client(service_url=service, request=request)
    client.session = _TimeoutSession(settings.SAFECAMPUS_CAS["TIMEOUT_SECONDS"])
    try:
        username, attributes, _pgtiou = client.verify_ticket(ticket)
    except requests.RequestException as error:
        logger.warning("CAS ticket validation failed: %s", error)
        _refuse(request, _("The unified identity authentication service could not be "
                           "reached. Please try again later or sign in with a local "
                           "account."))
        return None
    except (ParseError, CASError, IndexError, AttributeError, ValueError) as error:
        logger.warning("CAS server gave an unusable answer: %r", error)
        return None
    attributes = attributes or {}
    if settings.CAS_USERNAME_ATTRIBUTE != "cas:user":
        value = attributes.get(settings.CAS_USERNAME_ATTRIBUTE)
        username = value[0] if isinstance(value, list) and value else value
    if not username:
        return None
    try:
        user = cas_user_resolve(cas_id=str(username), attributes=attributes)
    except DomainError as error:
        _refuse(request, error.message)
        return None
    return user if user.is_active else None


class CASBackend(BaseCASBackend):
    """Loads users of sessions signed in through CAS; ``authenticate`` validates a ticket as
    :func:`cas_ticket_user` does (our views call that directly, see the module docstring)."""

    def authenticate(self, request, ticket: str | None = None, service: str | None = None):
        return cas_ticket_user(request, ticket=ticket or "", service=service or "")
