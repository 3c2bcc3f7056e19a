from django.urls import path

from . import roster_views, views

app_name = "organisation"

urlpatterns = [
    path("campuses/<int:pk>/map/", views.campus_map, name="campus_map"),
    path("import/", views.import_page, name="import"),
    path("import/template/<slug:kind>.xlsx", views.import_template, name="import_template"),
    path("roster/", roster_views.roster_page, name="roster"),
    path("roster/import/", roster_views.roster_import_upload, name="roster_import"),
    path("roster/import/<str:pk>/", roster_views.roster_import_map,
         name="roster_import_map"),
    path("roster/import/<str:pk>/done/", roster_views.roster_import_done,
         name="roster_import_done"),
]
