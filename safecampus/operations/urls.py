from django.urls import path

from . import views

app_name = "operations"

urlpatterns = [
    path("", views.status, name="status"),
    path("backup/", views.backup_now, name="backup"),
    # No trailing slash: probes ask for exactly this path and must not be redirected.
    path("healthz", views.healthz, name="healthz"),
]
