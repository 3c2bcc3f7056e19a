"""Open311 GeoReport v2 (mounted at /open311/v2/): discovery, services, requests.

Every method takes its format as the path's suffix (``services.json``, ``services.xml``);
another suffix is answered 404 with the error list in XML."""

from django.urls import path, re_path

from . import views

app_name = "open311"

_FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,10})$"

urlpatterns = [
    path("", views.root, name="root"),
    re_path(r"^discovery" + _FMT, views.discovery, name="discovery"),
    re_path(r"^services" + _FMT, views.services_list, name="services"),
    re_path(r"^services/(?P<code>[^/]+?)" + _FMT, views.service_definition,
            name="service_definition"),
    re_path(r"^requests" + _FMT, views.requests_view, name="requests"),
    re_path(r"^requests/(?P<number>[^/]+?)" + _FMT, views.request_detail, name="request"),
]
