"""The fraud case library (诈骗类型 and anonymised cases) and students' fraud reports.

A fraud type carries its tactics, red flags and advice as plain text, one point per line;
cases are published to everyone as readable pages. A fraud report (涉诈线索/被骗报告) is
confidential: only the reporter, police liaisons and the office administrators read it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.models import BaseModel


class FraudType(BaseModel):
    """One type in the configurable taxonomy (e.g. 刷单返利类)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64, unique=True)
    group = models.CharField(_("group"), max_length=64, blank=True,
                             help_text=_("The family it belongs to, e.g. 仿冒身份欺诈."))
    summary = models.TextField(_("summary"), blank=True)
    tactics = models.TextField(_("tactics"), blank=True, help_text=_("One point per line."))
    red_flags = models.TextField(_("red flags"), blank=True, help_text=_("One point per line."))
    advice = models.TextField(_("advice"), blank=True, help_text=_("One point per line."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("fraud type")
        verbose_name_plural = _("fraud types")
        ordering = ["position", "code"]
        permissions = [("manage_fraud_library", "Can keep the fraud case library")]

    def __str__(self) -> str:
        return self.name


class FraudCase(BaseModel):
    """An anonymised case (案例): what happened, how, what it cost, the lesson."""

    fraud_type = models.ForeignKey(FraudType, on_delete=models.PROTECT, related_name="cases",
                                   verbose_name=_("fraud type"))
    title = models.CharField(_("title"), max_length=120)
    occurred_on = models.DateField(_("occurred on"), null=True, blank=True)
    victim_profile = models.CharField(_("victim"), max_length=64, blank=True,
                                      help_text=_("Anonymised, e.g. 某学院大二学生."))
    loss_amount = models.DecimalField(_("loss (yuan)"), max_digits=12, decimal_places=2,
                                      null=True, blank=True)
    story = models.TextField(_("what happened"))
    lesson = models.TextField(_("lesson"), blank=True)
    is_published = models.BooleanField(_("published"), default=False, db_index=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))

    class Meta:
        verbose_name = _("fraud case")
        verbose_name_plural = _("fraud cases")
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title


class FraudReport(ConcurrentTransitionMixin, BaseModel):
    """A confidential report by a student or staff member who was targeted or defrauded."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone call")
        SMS = "sms", _("Text message")
        SOCIAL = "social", _("Chat app or social media")  # 微信 / QQ
        WEBSITE = "website", _("Website or app")
        IN_PERSON = "in_person", _("In person")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        RECEIVED = "received", _("Received by the police liaison")
        REFERRED = "referred", _("Referred to the police station")
        CLOSED = "closed", _("Closed")

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                 related_name="fraud_reports", verbose_name=_("reported by"))
    college = models.ForeignKey("organisation.Unit", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("college or unit"))
    campus = models.ForeignKey("organisation.Campus", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("campus"))
    fraud_type = models.ForeignKey(FraudType, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="reports", verbose_name=_("fraud type"))
    channel = models.CharField(_("how it reached you"), max_length=12, choices=Channel.choices)
    occurred_on = models.DateField(_("occurred on"), db_index=True)
    lost_money = models.BooleanField(_("money was lost"), default=False)
    loss_amount = models.DecimalField(_("loss (yuan)"), max_digits=12, decimal_places=2,
                                      null=True, blank=True)
    description = models.TextField(_("what happened"))
    message_text = models.TextField(_("the suspicious message"), blank=True)
    counterpart = models.CharField(_("their phone, account or link"), max_length=200,
                                   blank=True)
    contact_phone = models.CharField(_("your phone"), max_length=20, blank=True)
    state = FSMField(_("state"), max_length=12, choices=State.choices, default=State.SUBMITTED,
                     protected=True, db_index=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("handled by"))
    police_reference = models.CharField(_("police case number"), max_length=64, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("fraud report")
        verbose_name_plural = _("fraud reports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_on}"

    @transition(field=state, source=State.SUBMITTED, target=State.RECEIVED)
    def receive(self):
        """A police liaison has read it and takes it on."""

    @transition(field=state, source=[State.SUBMITTED, State.RECEIVED], target=State.REFERRED)
    def refer(self):
        """Passed to the police station (with its case number when known)."""

    @transition(field=state, source=[State.SUBMITTED, State.RECEIVED, State.REFERRED],
                target=State.CLOSED)
    def close(self):
        """Done, with a closing note."""
