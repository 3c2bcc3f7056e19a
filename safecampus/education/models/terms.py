"""Terms (学期) and the safety topics education work is about."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from safecampus.core.models import BaseModel


class Topic(models.TextChoices):
    """What a campaign, activity, quiz or question bank teaches."""

    ANTI_FRAUD = "anti_fraud", _("Anti-fraud")  # 反诈
    FIRE = "fire", _("Fire safety")  # 消防
    TRAFFIC = "traffic", _("Traffic safety")  # 交通
    LAB = "lab", _("Laboratory safety")  # 实验室安全
    GENERAL = "general", _("General safety")  # 综合安全


class Term(BaseModel):
    """An academic term, local dates inclusive (e.g. 2026–2027学年第一学期, 2026-09-01 …
    2027-01-17). Terms do not overlap; coverage is computed per term."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                   name="education_term_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name
