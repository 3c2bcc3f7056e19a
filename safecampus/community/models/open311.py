"""Open311 clients: who may post requests through the GeoReport v2 endpoint.

The key itself is shown once when issued; only its SHA-256 digest is stored (``key_hash``),
with its first characters (``key_prefix``) to tell keys apart. Each client has a service
account (``user``) that reports hazards on its behalf.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safecampus.core.models import BaseModel


class ApiClient(BaseModel):
    name = models.CharField(_("name"), max_length=100, unique=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True,
                               help_text=_("Who runs the client and how to reach them."))
    key_prefix = models.CharField(_("key begins with"), max_length=8)
    key_hash = models.CharField(_("key digest"), max_length=64, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="open311_client", verbose_name=_("service account"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("issued by"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
