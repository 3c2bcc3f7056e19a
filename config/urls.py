"""URL map: pages under /<app>/…, the REST API under /api/v1/<app>/…, OpenAPI at /api/schema/."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("safecampus.dashboards.urls")),
    path("accounts/", include("safecampus.accounts.urls")),
    path("hazards/", include("safecampus.hazards.urls")),
    path("inspections/", include("safecampus.inspections.urls")),
    path("patrols/", include("safecampus.patrols.urls")),
    path("traffic/", include("safecampus.traffic.urls")),
    path("education/", include("safecampus.education.urls")),
    path("police/", include("safecampus.police.urls")),
    path("community/", include("safecampus.community.urls")),
    path("open311/v2/", include("safecampus.community.open311.urls")),
    path("reports/", include("safecampus.reports.urls")),
    path("operations/", include("safecampus.operations.urls")),
    path("notifications/", include("safecampus.notifications.urls")),
    path("organisation/", include("safecampus.organisation.urls")),
    path("api/", include("safecampus.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
# Uploaded files (photos, campus maps, imports) are never served from MEDIA_URL: each is
# served by a view that checks who may see it.
