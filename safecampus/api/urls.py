"""The REST API (mounted under ``/api/``): OpenAPI schema and docs, token, and ``v1`` routes.

URL names live in the ``api`` namespace (``api:hazard-detail``, ``api:notice-pdf`` …).
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from . import (
    duty,
    education_activities,
    education_attendance,
    education_checker,
    education_library,
    education_quizzes,
    education_warnings,
    hazards,
    inspections,
    patrols,
    police_bulletins,
    police_meetings,
    police_partners,
    police_risks,
    traffic_abandoned,
    traffic_charging,
    traffic_gates,
    traffic_posts,
    traffic_vehicles,
    traffic_violations,
)
from .views import ApiDocsView, TokenView, not_found

app_name = "api"

router = SimpleRouter(use_regex_path=False)
router.register("v1/hazards/hazards", hazards.HazardViewSet, basename="hazard")
router.register("v1/hazards/notices", hazards.NoticeViewSet, basename="notice")
router.register("v1/hazards/extensions", hazards.ExtensionViewSet, basename="extension")
router.register("v1/inspections/templates", inspections.TemplateViewSet,
                basename="inspection-template")
router.register("v1/inspections/plans", inspections.PlanViewSet, basename="inspection-plan")
router.register("v1/inspections/inspections", inspections.InspectionViewSet,
                basename="inspection")
router.register("v1/patrols/routes", patrols.RouteViewSet, basename="patrol-route")
router.register("v1/patrols/rounds", patrols.RoundViewSet, basename="patrol-round")
router.register("v1/patrols/scans", patrols.ScanViewSet, basename="patrol-scan")

router.register("v1/patrols/duty-shifts", duty.DutyShiftViewSet, basename="duty-shift")
router.register("v1/patrols/duty-entries", duty.DutyEntryViewSet, basename="duty-entry")
router.register("v1/patrols/incidents", duty.IncidentViewSet, basename="incident")
router.register("v1/traffic/vehicles", traffic_vehicles.VehicleViewSet, basename="vehicle")
router.register("v1/traffic/permits", traffic_vehicles.PermitViewSet, basename="permit")
router.register("v1/traffic/violations", traffic_violations.ViolationViewSet,
                basename="violation")
router.register("v1/traffic/notices", traffic_violations.NoticeViewSet,
                basename="move-car-notice")
for module in (traffic_abandoned, traffic_gates, traffic_posts, traffic_charging,
               education_activities, education_attendance, education_quizzes, education_library,
               education_checker, education_warnings, police_partners, police_bulletins,
               police_meetings, police_risks):
    for prefix, viewset, basename in module.routes:
        router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(), name="docs"),
    path("v1/auth/token/", TokenView.as_view(), name="token"),
    *router.urls,
    re_path(r"^.*$", not_found, name="not-found"),
]
