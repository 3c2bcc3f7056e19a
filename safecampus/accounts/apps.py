from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "safecampus.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import two_factor_mark

        user_logged_in.connect(two_factor_mark, dispatch_uid="safecampus.two_factor_mark")
