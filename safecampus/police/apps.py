from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliceConfig(AppConfig):
    name = "safecampus.police"
    label = "police"
    verbose_name = _("Police cooperation and risk register")
