"""Yearly numbers of concerns (``SQ-2026-000123``) and service requests (``FW-2026-0042``).

One row per kind and year; the service that numbers a record locks the row
(``select_for_update``) inside its transaction, so concurrent submissions never share or
skip a number.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sequence(models.Model):
    class Kind(models.TextChoices):
        CONCERN = "concern", _("Concern")  # 诉求
        SERVICE_REQUEST = "service_request", _("Service request")  # 服务申请

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        ordering = ["kind", "year"]
        constraints = [models.UniqueConstraint(fields=["kind", "year"],
                                               name="community_sequence_kind_year")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last_number}"
