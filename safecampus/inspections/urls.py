"""Pages under /inspections/. Each area of the module keeps its routes beside its views."""

from .views import checklists, plans, reports, running, statistics

app_name = "inspections"

urlpatterns = [
    *running.urls,
    *checklists.urls,
    *plans.urls,
    *reports.urls,
    *statistics.urls,
]
