"""The API's own views: the token endpoint and the interactive documentation."""

from django.apps import apps
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.views import ObtainAuthToken

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


@extend_schema(
    tags=["auth"],
    summary=gettext_lazy("Exchange a username and password for an API token"),
    description=gettext_lazy(
        "Send the token as `Authorization: Token <key>` on every other request. Repeated "
        "failures lock the account for a while, as on the sign-in page."),
)
class TokenView(ObtainAuthToken):
    """DRF's token endpoint (one token per user), documented under "auth"."""


def not_found(request, *args, **kwargs):
    """Any other address under /api/: a JSON 404 in the API's error shape, not an HTML page."""
    from django.http import JsonResponse
    from django.utils.translation import gettext as _

    return JsonResponse({"detail": _("There is nothing at this address."), "code": "not_found",
                         "errors": {}}, status=404)
