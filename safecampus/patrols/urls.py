"""Pages under /patrols/. Each area of the module keeps its routes beside its views."""

from .views import (
    duty,
    grids,
    incident_import,
    incident_stats,
    incidents,
    patrolling,
    reports,
    setup,
)

app_name = "patrols"

urlpatterns = [
    *patrolling.urls,
    *setup.urls,
    *reports.urls,
    *grids.urls,
    *duty.urls,
    *incidents.urls,
    *incident_import.urls,
    *incident_stats.urls,
]
