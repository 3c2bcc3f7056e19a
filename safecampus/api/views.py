"""The API's own views: the token endpoint and the interactive documentation."""

from django.apps import apps
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response

from safecampus.accounts.services import api_token_issue

from .exceptions import ErrorSerializer

#: The app that ships Swagger UI as static files (PyPI: drf-spectacular-sidecar).
ASSETS_APP = "drf_spectacular_sidecar"


class ApiDocsView(TemplateView):
    """Swagger UI for ``/api/schema/`` that works on a campus intranet under the site's CSP.

    Unlike drf-spectacular's own view it loads nothing from a CDN and has no inline script or
    style: Swagger UI comes from the static files of :data:`ASSETS_APP`, and the start-up code
    from ``api/docs.js``. When that app is not installed, the page says so and links the raw
    schema instead of showing a blank page.
    """

    template_name = "api/docs.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["schema_url"] = reverse("api:schema")
        context["has_assets"] = apps.is_installed(ASSETS_APP)
        return context


class TokenRequestSerializer(AuthTokenSerializer):
    """User name and password, plus the current two-factor code when the account has one."""

    otp = serializers.CharField(
        label=gettext_lazy("Two-factor code"), required=False, allow_blank=True, max_length=32,
        write_only=True, help_text=gettext_lazy(
            "The 6 digits the authenticator app shows now, or a backup code; required when "
            "the account has two-factor authentication on."))


@extend_schema(
    tags=["auth"],
    summary=gettext_lazy("Exchange a username and password for an API token"),
    description=gettext_lazy(
        "Send the token as `Authorization: Token <key>` on every other request. Repeated "
        "failures lock the account for a while, as on the sign-in page. An account with "
        "two-factor authentication on must send its current code as `otp` too (403 "
        "`two_factor_required` without it); an office account that must still set "
        "two-factor authentication up gets no token. Turning two-factor authentication on "
        "deletes the account's tokens."),
    request=TokenRequestSerializer,
    responses={
        200: inline_serializer("ApiToken", {"token": serializers.CharField()}),
        400: OpenApiResponse(ErrorSerializer, description=gettext_lazy(
            "Wrong user name or password, or a wrong or throttled two-factor code.")),
        403: OpenApiResponse(ErrorSerializer, description=gettext_lazy(
            "Two-factor authentication required (code `two_factor_required`).")),
    },
)
class TokenView(ObtainAuthToken):
    """DRF's token endpoint (one token per user) with the two-factor check of
    :func:`~safecampus.accounts.services.api_token_issue`."""

    serializer_class = TokenRequestSerializer

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = api_token_issue(user=serializer.validated_data["user"],
                              otp=serializer.validated_data.get("otp", ""))
        return Response({"token": key})


def not_found(request, *args, **kwargs):
    """Any other address under /api/: a JSON 404 in the API's error shape, not an HTML page."""
    from django.http import JsonResponse
    from django.utils.translation import gettext as _

    return JsonResponse({"detail": _("There is nothing at this address."), "code": "not_found",
                         "errors": {}}, status=404)
