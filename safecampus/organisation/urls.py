from django.urls import path

from . import views

app_name = "organisation"

urlpatterns = [
    path("campuses/<int:pk>/map/", views.campus_map, name="campus_map"),
    path("import/", views.import_page, name="import"),
    path("import/template/<slug:kind>.xlsx", views.import_template, name="import_template"),
]
