"""Pages under /police/. Each area of the module keeps its routes beside its views."""

from .views import bulletins, home, meetings, partners, risk_map, risks

app_name = "police"

urlpatterns = [
    *home.urls,
    *partners.urls,
    *bulletins.urls,
    *meetings.urls,
    *risks.urls,
    *risk_map.urls,
]
