"""Pages under /traffic/. Each area of the module keeps its routes beside its views."""

from .views import (
    abandoned,
    charging,
    gates,
    posts,
    statistics,
    vehicles,
    violation_import,
    violations,
)

app_name = "traffic"

urlpatterns = [
    *violations.urls,
    *vehicles.urls,
    *violation_import.urls,
    *statistics.urls,
    *abandoned.urls,
    *gates.urls,
    *posts.urls,
    *charging.urls,
]
