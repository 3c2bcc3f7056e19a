"""Wall displays (大屏): read-only tokens that open the big-screen cockpit without signing in."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safecampus.core.models import BaseModel


class DisplayToken(BaseModel):
    """One wall display's access to ``/screen/<token>/``: the cockpit of the current month,
    whole-office view, for one campus or (``campus`` empty) the whole university.

    Only the SHA-256 hash of the token is stored; the token itself is shown once, when the
    display is created. A revoked token opens nothing. The token opens the big screen and
    its data fragment only, never another page, and creates no session."""

    name = models.CharField(_("name"), max_length=100)
    campus = models.ForeignKey("organisation.Campus", null=True, blank=True,
                               on_delete=models.CASCADE, related_name="display_tokens",
                               verbose_name=_("campus"))
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("wall display")
        verbose_name_plural = _("wall displays")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
