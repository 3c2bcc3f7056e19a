from django.urls import path

from . import views

app_name = "hazards"

urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("export/", views.ledger_export, name="ledger_export"),
    path("import/", views.ledger_import, name="ledger_import"),
    path("import/<int:pk>/", views.ledger_import_map, name="ledger_import_map"),
    path("import/<int:pk>/done/", views.ledger_import_done, name="ledger_import_done"),
    path("report/", views.hazard_report, name="report"),
    path("mine/", views.my_reports, name="mine"),
    path("<int:pk>/", views.hazard_detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", views.hazard_action, name="action"),
    path("<int:pk>/extensions/<int:extension_id>/decide/", views.extension_decide,
         name="extension_decide"),
    path("photos/<int:pk>/<str:size>/", views.hazard_photo, name="photo"),
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/new/", views.notice_new, name="notice_new"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/acknowledge/", views.notice_acknowledge, name="notice_acknowledge"),
    path("notices/<int:pk>/pdf/", views.notice_pdf, name="notice_pdf"),
]
