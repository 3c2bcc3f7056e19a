"""Grid officers' visits (网格走访): who went where in their grid, and what they found."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safecampus.core.clock import local_zone
from safecampus.core.models import BaseModel


class GridVisit(BaseModel):
    """A grid officer's visit to a student community or building of a grid (网格员走访).

    Hazards found on the visit are reported through the hazard loop with this visit as
    their source record, so the hazard page links back here.
    """

    class Kind(models.TextChoices):
        ROUTINE = "routine", _("Routine visit")  # 日常走访
        DORMITORY = "dormitory", _("Dormitory check")  # 宿舍检查
        TALK = "talk", _("Talk with students")  # 谈心谈话 / 宣传
        FOLLOW_UP = "follow_up", _("Follow-up of an earlier problem")  # 回访
        OTHER = "other", _("Other")

    zone = models.ForeignKey("organisation.Zone", on_delete=models.PROTECT,
                             related_name="grid_visits", verbose_name=_("grid"))
    building = models.ForeignKey("organisation.Building", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="grid_visits",
                                 verbose_name=_("building"))
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="grid_visits", verbose_name=_("grid officer"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices,
                            default=Kind.ROUTINE)
    visited_at = models.DateTimeField(_("visited at"), db_index=True)
    community = models.CharField(_("community or rooms visited"), max_length=120, blank=True)
    people_met = models.PositiveSmallIntegerField(_("people met"), default=0)
    findings = models.TextField(_("what was found"), blank=True)
    needs_follow_up = models.BooleanField(_("needs follow-up"), default=False)

    class Meta:
        verbose_name = _("grid visit")
        verbose_name_plural = _("grid visits")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["zone", "-visited_at"], name="grid_visit_zone_time"),
            models.Index(fields=["officer", "-visited_at"], name="grid_visit_officer_time"),
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.visited_at.astimezone(local_zone()):%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("patrols:grid_visit_detail", args=[self.pk])

    def is_visible_to(self, user) -> bool:
        return user.has_perm("patrols.view_grid_visit", self)
