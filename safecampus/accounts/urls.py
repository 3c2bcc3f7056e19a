from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("me/", views.profile, name="profile"),
    path("roster/", views.roster, name="roster"),
    path("roster/import/", views.roster_upload, name="roster_upload"),
    path("roster/import/<str:token>/", views.roster_map, name="roster_map"),
]
