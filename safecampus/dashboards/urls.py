from django.urls import path

from . import cockpit_views, screen_views, views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("cockpit/", cockpit_views.cockpit, name="cockpit"),
    path("cockpit/map/", cockpit_views.cockpit_map, name="cockpit_map"),
    path("cockpit/displays/", cockpit_views.displays, name="displays"),
    path("cockpit/displays/<int:pk>/revoke/", cockpit_views.display_revoke,
         name="display_revoke"),
    path("screen/<str:token>/", screen_views.screen, name="screen"),
    path("screen/<str:token>/data/", screen_views.screen_data, name="screen_data"),
    path("screen/<str:token>/map/", screen_views.screen_map, name="screen_map"),
]
