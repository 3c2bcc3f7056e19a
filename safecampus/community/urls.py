"""Pages under /community/. Each area of the module keeps its routes beside its views.
The Open311 GeoReport v2 endpoint is mounted separately under /open311/v2/."""

from .views import bookings, concerns, home, open311_clients, reports, surveys

app_name = "community"

urlpatterns = [
    *home.urls,
    *concerns.urls,
    *bookings.urls,
    *surveys.urls,
    *reports.urls,
    *open311_clients.urls,
]
