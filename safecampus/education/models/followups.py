"""Counsellor follow-ups (辅导员跟进) of students named in police warnings.

When the police (e.g. the 96110 warning centre) tell the office that a student was in
contact with a fraud number or is being targeted, a follow-up goes to the counsellors of
the student's college. Each is closed with a note. Only the office administrators, police
liaisons and the counsellors of that college see it: the student's name and the reason are
sensitive.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.models import BaseModel


class FollowUp(ConcurrentTransitionMixin, BaseModel):
    class State(models.TextChoices):
        # The follow-up's own words (已关闭), as its badges say, not a hazard's 已销号
        OPEN = "open", pgettext_lazy("follow-up", "Open")
        CLOSED = "closed", pgettext_lazy("follow-up", "Closed")

    class Outcome(models.TextChoices):
        REACHED_SAFE = "reached_safe", _("Reached, no loss")  # 已劝阻，未受骗
        REACHED_LOSS = "reached_loss", _("Reached, money already lost")  # 已受骗
        NOT_REACHED = "not_reached", _("Could not be reached")  # 联系不上
        NOT_OURS = "not_ours", _("Not our student")  # 非本院学生

    student = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("student"))
    student_name = models.CharField(_("student name"), max_length=64)
    student_number = models.CharField(_("student number"), max_length=32, blank=True)
    college = models.ForeignKey("organisation.Unit", on_delete=models.PROTECT,
                                related_name="fraud_followups", verbose_name=_("college"))
    warning_source = models.CharField(_("warning from"), max_length=120,
                                      help_text=_("e.g. 96110 warning centre, 雁塔派出所."))
    warning_reference = models.CharField(_("warning reference"), max_length=64, blank=True)
    reason = models.TextField(_("what the police said"))
    fraud_type = models.ForeignKey("education.FraudType", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("fraud type"))
    due_on = models.DateField(_("follow up by"))
    state = FSMField(_("state"), max_length=8, choices=State.choices, default=State.OPEN,
                     protected=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    note = models.TextField(_("follow-up note"), blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("closed by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("counsellor follow-up")
        verbose_name_plural = _("counsellor follow-ups")
        ordering = ["state", "due_on", "id"]
        indexes = [models.Index(fields=["college", "state"])]

    def __str__(self) -> str:
        return f"{self.student_name} · {self.college}"

    @transition(field=state, source=State.OPEN, target=State.CLOSED)
    def close(self):
        """Followed up: outcome and note recorded."""

    @transition(field=state, source=State.CLOSED, target=State.OPEN)
    def reopen(self):
        """The office reopens it (e.g. the note was not enough)."""
