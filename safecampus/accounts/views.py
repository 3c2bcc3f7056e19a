"""Sign-in (local accounts, CAS single sign-on, the two-factor step), sign-out and the
user's own page. (The roster and its import are organisation pages.)"""

import secrets
from urllib.parse import urljoin, urlsplit, urlunsplit

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.crypto import constant_time_compare
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_cas_ng.utils import get_cas_client, get_service_url
from django_otp import login as otp_login

from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error, bootstrap

from . import selectors, services
from .backends import BACKEND_PATH, cas_ticket_user
from .forms import TwoFactorCodeForm
from .middleware import SESSION_KEY as TWO_FACTOR_MARK
from .middleware import two_factor_done

#: Session key of the random values that bind a CAS sign-in to the browser that began it.
CAS_STATE_KEY = "safecampus_cas_state"
CAS_STATES_KEPT = 5  # sign-ins begun in several tabs at once


class SignInForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"class": "form-control", "autocomplete": "current-password"})


def _safe_next(request, value: str | None) -> str:
    """``value`` if it points into this site (``//evil``, ``/\\evil`` and other hosts do
    not), else the home page."""
    if value and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return value
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _cas_login_url(next_url: str) -> str:
    url = reverse("accounts:cas_login")
    return url + "?" + urlencode({"next": next_url}) if next_url else url


class SignInView(auth_views.LoginView):
    """The sign-in page: the unified identity authentication button (when CAS is on) above
    the local account form."""

    template_name = "accounts/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.CAS_SERVER_URL:
            context["cas_login_url"] = _cas_login_url(self.request.GET.get("next", ""))
        return context


def _cas_refused(request, message: str, next_url: str):
    """Our sign-in page with the reason a CAS sign-in was refused (403); nothing changed."""
    return render(request, "accounts/login.html", {
        "form": SignInForm(request), "next": next_url, "cas_error": message,
        "cas_login_url": _cas_login_url(next_url),
    }, status=403)


def _cas_service_url(request, next_url: str, state: str) -> str:
    """The service URL the CAS server sends the browser back to (and that a ticket is valid
    for): this page with the checked ``next`` and the browser's ``state``."""
    return get_service_url(request, next_url) + "&" + urlencode({"state": state})


def _cas_state_new(request) -> str:
    state = secrets.token_urlsafe(24)
    kept = request.session.get(CAS_STATE_KEY, [])[-(CAS_STATES_KEPT - 1):]
    request.session[CAS_STATE_KEY] = [*kept, state]
    return state


def _cas_state_take(request, state: str) -> bool:
    """True (and forgotten) if this browser's session began a sign-in with ``state``."""
    kept = request.session.get(CAS_STATE_KEY, [])
    found = next((s for s in kept if state and constant_time_compare(s, state)), None)
    if found is None:
        return False
    request.session[CAS_STATE_KEY] = [s for s in kept if s != found]
    return True


@method_decorator(csrf_exempt, name="dispatch")  # the CAS server's single-logout POST
class CASLoginView(View):
    """``GET /accounts/cas/login/?next=…``: sends the browser to the CAS server; when it comes
    back with ``ticket=…`` the ticket is validated (for exactly this service URL, once) and the
    mapped user is signed in. A random ``state`` kept in the session and carried in the
    service URL binds the ticket to the browser that began the sign-in (no login CSRF). A
    refused ticket shows our sign-in page with the reason (403). 404 while CAS is off.

    ``POST`` takes the CAS server's single-logout request (``logoutRequest``) only when
    ``SAFECAMPUS_CAS["SINGLE_LOGOUT"]`` is on; otherwise, or when it cannot be read, 400."""

    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        if not settings.CAS_SERVER_URL:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        next_url = _safe_next(request, request.GET.get("next"))
        if request.user.is_authenticated:
            return HttpResponseRedirect(next_url)
        ticket = request.GET.get("ticket", "").strip()
        if not ticket:
            service_url = _cas_service_url(request, next_url, _cas_state_new(request))
            client = get_cas_client(service_url=service_url, request=request)
            return HttpResponseRedirect(client.get_login_url())
        state = request.GET.get("state", "")
        if not _cas_state_take(request, state):
            return _cas_refused(request, _(
                "This sign-in was not started in this browser, or it has expired. Please "
                "sign in with unified identity authentication again."), next_url)
        user = cas_ticket_user(request, ticket=ticket,
                               service=_cas_service_url(request, next_url, state))
        if user is None:
            message = getattr(request, "cas_refusal", None) or _(
                "Unified identity authentication failed: the sign-in ticket is invalid, has "
                "expired or was already used. Please sign in again.")
            return _cas_refused(request, message, next_url)
        login(request, user, backend=BACKEND_PATH)
        if not request.session.session_key:
            request.session.save()
        services.cas_session_remember(session_key=request.session.session_key, ticket=ticket)
        return HttpResponseRedirect(next_url)

    def post(self, request):
        if not settings.SAFECAMPUS_CAS.get("SINGLE_LOGOUT"):
            return HttpResponseBadRequest(_("Single logout is not enabled."),
                                          content_type="text/plain; charset=utf-8")
        try:
            services.cas_single_logout(logout_request=request.POST.get("logoutRequest", ""))
        except DomainError as error:
            return HttpResponseBadRequest(error.message, content_type="text/plain; charset=utf-8")
        return HttpResponse("ok\n", content_type="text/plain")


def _own_absolute_url(request, url: str) -> str:
    """The absolute URL of the local, already checked ``url`` on this site (or under
    ``CAS_ROOT_PROXIED_AS`` behind a proxy)."""
    parts = urlsplit(url)
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    if settings.CAS_ROOT_PROXIED_AS:
        return urljoin(settings.CAS_ROOT_PROXIED_AS, path)
    return request.build_absolute_uri(path)


def _cas_sign_out(request):
    """Sign out here, then at the CAS server, which sends the browser back to ``next`` (only
    a page of this site; the home page otherwise)."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    services.cas_session_forget(session_key=request.session.session_key)
    logout(request)
    client = get_cas_client(request=request)
    return HttpResponseRedirect(client.get_logout_url(_own_absolute_url(request, next_url)))


@require_POST
def cas_logout(request):
    """Sign out here and at the CAS server, which then sends the browser back to our home
    page (and so to the sign-in page)."""
    if not settings.CAS_SERVER_URL:
        raise Http404
    return _cas_sign_out(request)


class SignOutView(auth_views.LogoutView):
    """Sign out; a session that came through CAS also signs out at the CAS server."""

    def post(self, request, *args, **kwargs):
        if settings.CAS_SERVER_URL and request.session.get(BACKEND_SESSION_KEY) == BACKEND_PATH:
            return _cas_sign_out(request)
        return super().post(request, *args, **kwargs)


class OwnPasswordForm(PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class OwnPasswordView(auth_views.PasswordChangeView):
    """Change one's own password (e.g. the initial one the office handed over): the old
    password, then the new one twice, checked by the configured password validators; the
    session stays signed in."""

    template_name = "accounts/password_change.html"
    form_class = OwnPasswordForm
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


def _may_use_two_factor(user, state) -> bool:
    return user.has_perm("accounts.set_up_two_factor") or state.enabled


@login_required
def profile(request):
    state = selectors.two_factor_state(request.user)
    return render(request, "accounts/profile.html", {
        "memberships": selectors.user_memberships(request.user), "two_factor": state,
        "show_two_factor": _may_use_two_factor(request.user, state)})


# --- two-factor authentication -----------------------------------------------------------------
#: Session key of new backup codes waiting to be shown once (after a redirect).
BACKUP_CODES_KEY = "safecampus_backup_codes"


def _two_factor_page(request, state, *, form=None, renew_form=None, status=200, **extra):
    if not _may_use_two_factor(request.user, state):
        raise PermissionDenied
    # when on, the page offers two forms: neither takes the focus (no keyboard popping up)
    context = {"state": state,
               "form": form or TwoFactorCodeForm(backup=state.enabled, autofocus=not state.enabled),
               "renew_form": renew_form or TwoFactorCodeForm(auto_id="renew_%s",
                                                             autofocus=False),
               "required": request.session.get(TWO_FACTOR_MARK) == "setup", **extra}
    return render(request, "accounts/two_factor.html", context, status=status)


def _show_backup_codes_once(request, codes: list[str]):
    """Keep new backup codes in the session for the next page only, and go there (a reload
    of that page, or of the form's POST address, never shows them again)."""
    request.session[BACKUP_CODES_KEY] = codes
    return redirect("accounts:two_factor")


@never_cache
@login_required
@require_GET
def two_factor(request):
    """``/accounts/me/2fa/``: the status and the next step: set up (start → QR code → confirm
    with a code → 10 backup codes shown once) or, when on, new backup codes or turn off, each
    with a current code. Office roles only (and anyone who already has it on, to turn it
    off). New backup codes waiting in the session are shown here once and forgotten."""
    codes = request.session.pop(BACKUP_CODES_KEY, None)
    return _two_factor_page(request, selectors.two_factor_state(request.user),
                            backup_codes=codes or None)


@login_required
@require_POST
def two_factor_start(request):
    """Begin setting up an authenticator app; back to the page with its QR code."""
    try:
        services.two_factor_start(user=request.user)
    except DomainError as error:
        if error.status_code == 403:
            raise PermissionDenied from None
        messages.error(request, error.message)
    return redirect("accounts:two_factor")


@never_cache
@login_required
@require_POST
def two_factor_confirm(request):
    """Confirm the app with its current code: two-factor sign-in is on, this session stays
    signed in (the user's others end); then on to the page that shows the backup codes once."""
    form = TwoFactorCodeForm(request.POST, backup=False)
    if form.is_valid():
        try:
            enabled = services.two_factor_confirm(user=request.user,
                                                  token=form.cleaned_data["code"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            otp_login(request, enabled.device)
            two_factor_done(request, session_generation=enabled.session_generation)
            messages.success(request, _("Two-factor authentication is on."))
            return _show_backup_codes_once(request, enabled.backup_codes)
    return _two_factor_page(request, selectors.two_factor_state(request.user), form=form,
                            status=400)


@never_cache
@login_required
@require_POST
def two_factor_backup_codes_renew(request):
    """New backup codes for a current code (app or backup code): the old ones stop working;
    the new ones are shown once on the two-factor page."""
    state = selectors.two_factor_state(request.user)
    if not state.enabled:
        return redirect("accounts:two_factor")
    form = TwoFactorCodeForm(request.POST, auto_id="renew_%s", autofocus=False)
    if form.is_valid():
        try:
            codes = services.two_factor_backup_codes_renew(user=request.user,
                                                           token=form.cleaned_data["code"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("New backup codes were made: the old ones no longer "
                                        "work."))
            return _show_backup_codes_once(request, codes)
    return _two_factor_page(request, state, renew_form=form, status=400)


@never_cache
@login_required
@require_POST
def two_factor_disable(request):
    """Turn two-factor sign-in off with a current code (app or backup code)."""
    form = TwoFactorCodeForm(request.POST)
    if form.is_valid():
        try:
            services.two_factor_disable(user=request.user, token=form.cleaned_data["code"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("accounts:profile")
    return _two_factor_page(request, selectors.two_factor_state(request.user), form=form,
                            status=400)


@never_cache
@login_required
def two_factor_qr(request):
    """The QR code (SVG) of the authenticator app being set up: its otpauth:// URI. Only while
    unconfirmed: the secret of a confirmed device is never shown again."""
    state = selectors.two_factor_state(request.user)
    if state.pending is None:
        raise Http404
    qr = segno.make(state.pending.config_url, error="m")
    response = HttpResponse(content_type="image/svg+xml")
    qr.save(response, kind="svg", scale=5, border=2, xmldecl=False)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """The second sign-in step: a code from the app or a backup code; then on to ``next``."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_verified() or request.session.get(TWO_FACTOR_MARK) != "verify":
        return HttpResponseRedirect(next_url)
    if not selectors.user_has_two_factor(request.user):  # turned off meanwhile by the office
        two_factor_done(request)
        return HttpResponseRedirect(next_url)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.two_factor_check(user=request.user, token=form.cleaned_data["code"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            otp_login(request, device)
            two_factor_done(request)
            return HttpResponseRedirect(next_url)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "accounts/two_factor_verify.html",
                  {"form": form, "next": next_url}, status=status)
