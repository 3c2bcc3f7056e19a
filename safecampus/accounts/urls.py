from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("cas/login/", views.CASLoginView.as_view(), name="cas_login"),
    path("cas/logout/", views.cas_logout, name="cas_logout"),
    path("verify/", views.two_factor_verify, name="two_factor_verify"),
    path("me/", views.profile, name="profile"),
    path("me/password/", views.OwnPasswordView.as_view(), name="password_change"),
    path("me/2fa/", views.two_factor, name="two_factor"),
    path("me/2fa/start/", views.two_factor_start, name="two_factor_start"),
    path("me/2fa/confirm/", views.two_factor_confirm, name="two_factor_confirm"),
    path("me/2fa/backup-codes/", views.two_factor_backup_codes_renew,
         name="two_factor_backup_codes_renew"),
    path("me/2fa/disable/", views.two_factor_disable, name="two_factor_disable"),
    path("me/2fa/qr.svg", views.two_factor_qr, name="two_factor_qr"),
]
