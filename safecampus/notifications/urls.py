from django.urls import path

from . import views, views_channels

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_read, name="read_all"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
    path("alerts/<int:pk>/read/", views.alert_read, name="alert_read"),
    path("preferences/", views.preferences, name="preferences"),
    path("robots/", views_channels.robot_list, name="robots"),
    path("robots/new/", views_channels.robot_edit, name="robot_create"),
    path("robots/<int:pk>/", views_channels.robot_edit, name="robot_edit"),
    path("robots/<int:pk>/deactivate/", views_channels.robot_deactivate,
         name="robot_deactivate"),
    path("robots/<int:pk>/reactivate/", views_channels.robot_reactivate,
         name="robot_reactivate"),
    path("robots/<int:pk>/test/", views_channels.robot_test, name="robot_test"),
    path("deliveries/", views_channels.delivery_log, name="deliveries"),
    path("deliveries/<str:kind>/<int:pk>/retry/", views_channels.delivery_retry,
         name="delivery_retry"),
]
