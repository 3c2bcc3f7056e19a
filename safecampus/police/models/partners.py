"""Partners of the security office (警校合作单位): police stations, the traffic police brigade,
the city police's campus-protection unit and other agencies, and their liaison officers.

A liaison (联络民警) is a user with the ``police_liaison`` role scoped to each campus the
partner serves; :class:`PartnerLiaison` says which partner they speak for.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safecampus.core.models import BaseModel


class Partner(BaseModel):
    class Kind(models.TextChoices):
        POLICE_STATION = "police_station", _("Police station")  # 派出所
        TRAFFIC_POLICE = "traffic_police", _("Traffic police brigade")  # 交警大队
        CAMPUS_PROTECTION = "campus_protection", _("Campus-protection unit")  # 公安文保/内保
        FIRE_RESCUE = "fire_rescue", _("Fire and rescue")  # 消防救援
        OTHER = "other", _("Other agency")  # 其他单位

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, db_index=True)
    campuses = models.ManyToManyField("organisation.Campus", related_name="police_partners",
                                      verbose_name=_("campuses served"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("duty phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class PartnerLiaison(BaseModel):
    """A liaison officer of a partner: the account they sign in with and their post."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="liaisons",
                                verbose_name=_("partner"))
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="police_liaison", verbose_name=_("user"))
    post = models.CharField(_("post"), max_length=64, blank=True,
                            help_text=_("e.g. 社区民警, 教导员."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("liaison officer")
        verbose_name_plural = _("liaison officers")
        ordering = ["partner_id", "id"]

    def __str__(self) -> str:
        return f"{self.partner} · {self.user}"
