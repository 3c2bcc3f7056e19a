from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_create, name="create"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/status/", views.report_status, name="status"),
    path("<int:pk>/file/<str:kind>/", views.report_file, name="file"),
    path("<int:pk>/retry/", views.report_retry, name="retry"),
    path("schedules/", views.schedule_list, name="schedules"),
    path("schedules/new/", views.schedule_create, name="schedule_create"),
    path("schedules/<int:pk>/", views.schedule_edit, name="schedule_edit"),
    path("schedules/<int:pk>/deactivate/", views.schedule_deactivate,
         name="schedule_deactivate"),
]
