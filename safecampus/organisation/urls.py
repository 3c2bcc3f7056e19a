from django.urls import path

from . import views

app_name = "organisation"

urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("import/template/<slug:kind>.xlsx", views.import_template, name="import_template"),
]
