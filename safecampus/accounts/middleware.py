"""The second sign-in step: a user whose account has two-factor authentication on is not
signed in for any page until they enter a code; with ``settings.OFFICE_2FA_REQUIRED`` an
office user without a device must set one up first.

At sign-in (:func:`two_factor_mark`, on ``user_logged_in``, for passwords, CAS and the admin
alike) the session is marked ``verify`` or ``setup`` and given the user's
``session_generation``. :class:`TwoFactorMiddleware` then

- ends a session whose generation is older than the user's (two-factor authentication was
  turned on since: sessions that signed in without a code end), and
- sends every page request of a marked session to the code (or set-up) page until the mark
  is cleared; API requests get a JSON 403 in the API's error shape.

Only the session and the signed-in user (which nearly every page loads anyway) are read per
request: users without two-factor cost no further query. Runs after django-otp's
``OTPMiddleware`` (which tells whether the session is verified). Exempt pages are matched
by URL name, so the check holds under a ``SCRIPT_NAME`` prefix too.
"""

from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

SESSION_KEY = "safecampus_two_factor"
GENERATION_KEY = "safecampus_session_generation"
VERIFY, SETUP = "verify", "setup"

#: Views a session waiting for its code may open (by URL name).
VERIFY_EXEMPT = frozenset({"accounts:logout", "accounts:cas_logout", "accounts:two_factor_verify",
                           "set_language", "operations:healthz"})
#: … and a session that must set two-factor authentication up first.
SETUP_EXEMPT = VERIFY_EXEMPT | {"accounts:two_factor", "accounts:two_factor_start",
                                "accounts:two_factor_confirm", "accounts:two_factor_qr"}


def two_factor_mark(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: mark the new session if a code or a set-up is due, and
    remember the user's session generation."""
    from .selectors import two_factor_setup_due, user_has_two_factor

    session = getattr(request, "session", None)
    if session is None:
        return
    session[GENERATION_KEY] = user.session_generation
    if user_has_two_factor(user):
        session[SESSION_KEY] = VERIFY
    elif two_factor_setup_due(user):
        session[SESSION_KEY] = SETUP
    else:
        session.pop(SESSION_KEY, None)


def two_factor_done(request, *, session_generation: int | None = None) -> None:
    """Clear the mark once the session has been verified (or a device was set up); with
    ``session_generation`` (two-factor was just turned on) this session keeps going."""
    request.session.pop(SESSION_KEY, None)
    if session_generation is not None:
        request.session[GENERATION_KEY] = session_generation


def _local_next(request) -> str:
    """Where to go after the code: the page asked for (GET), or for htmx the page the
    browser shows (``HX-Current-URL``, only if it is on this site), not the fragment URL."""
    if request.headers.get("HX-Request"):
        current = request.headers.get("HX-Current-URL", "")
        if current and url_has_allowed_host_and_scheme(
                current, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            parts = urlsplit(current)
            return urlunsplit(("", "", parts.path or "/", parts.query, ""))
        return ""
    return request.get_full_path() if request.method == "GET" else ""


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated:
            if session.get(GENERATION_KEY, 0) != request.user.session_generation:
                logout(request)  # signed in before two-factor authentication was turned on
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        session = getattr(request, "session", None)
        state = session.get(SESSION_KEY) if session is not None else None
        if not state or not request.user.is_authenticated:
            return None
        if state == VERIFY and request.user.is_verified():
            two_factor_done(request)
            return None
        match = getattr(request, "resolver_match", None)
        exempt = SETUP_EXEMPT if state == SETUP else VERIFY_EXEMPT
        if match is not None and match.view_name in exempt:
            return None
        return self._redirect(request, state)

    @staticmethod
    def _redirect(request, state: str):
        if request.path_info.startswith("/api/"):
            message = (_("Enter your two-factor code first.") if state == VERIFY else
                       _("Office accounts must use two-factor authentication. Set it up to "
                         "continue."))
            return JsonResponse({"detail": message, "code": "two_factor_required", "errors": {}},
                                status=403)
        target = reverse("accounts:two_factor_verify" if state == VERIFY else "accounts:two_factor")
        next_url = _local_next(request)
        if next_url:
            target += "?" + urlencode({REDIRECT_FIELD_NAME: next_url})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
