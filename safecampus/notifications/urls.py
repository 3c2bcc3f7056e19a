from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_read, name="read_all"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
    path("alerts/<int:pk>/read/", views.alert_read, name="alert_read"),
]
