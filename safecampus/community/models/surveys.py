"""Surveys (问卷调研): a questionnaire sent to one group, one answer per person.

Who answered (:class:`SurveyParticipation`) and what was answered (:class:`SurveyResponse`,
:class:`SurveyAnswer`) are kept apart. In an anonymous survey a response has no respondent,
no date or time and a random id, and the participation row holds no time, a random id and
no link to the response, so nothing stored ties a person to their answers.

Lifecycle: draft ──send──▶ open ──close (or closes_at passes)──▶ closed.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.accounts.models import Audience
from safecampus.core.models import BaseModel


class Survey(ConcurrentTransitionMixin, Audience, BaseModel):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")  # 草稿
        OPEN = "open", _("Open")  # 进行中
        CLOSED = "closed", _("Closed")  # 已结束

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("introduction"), blank=True)
    is_anonymous = models.BooleanField(
        _("anonymous"), default=True,
        help_text=_("Nobody, the office included, can see who gave which answers."))
    state = FSMField(_("state"), max_length=8, choices=State.choices, default=State.DRAFT,
                     protected=True, db_index=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    response_count = models.PositiveIntegerField(_("responses"), default=0)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("community:survey_detail", args=[self.pk])

    @transition(field=state, source=State.DRAFT, target=State.OPEN)
    def send(self) -> None:
        """Sent to its audience; questions can no longer change."""

    @transition(field=state, source=State.OPEN, target=State.CLOSED)
    def close(self) -> None:
        """No more answers."""


class SurveyQuestion(BaseModel):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")  # 单选
        MULTIPLE = "multiple", _("Multiple choice")  # 多选
        SCALE = "scale", _("Scale")  # 量表
        TEXT = "text", _("Text")  # 填空

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions",
                               verbose_name=_("survey"))
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=300)
    required = models.BooleanField(_("required"), default=True)
    options = models.JSONField(_("options"), default=list, blank=True)
    scale_min = models.SmallIntegerField(_("scale from"), default=1)
    scale_max = models.SmallIntegerField(_("scale to"), default=5)
    scale_min_label = models.CharField(_("label of the lowest"), max_length=32, blank=True)
    scale_max_label = models.CharField(_("label of the highest"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["survey_id", "position", "id"]

    def __str__(self) -> str:
        return self.text


class SurveyParticipation(models.Model):
    """That ``user`` answered ``survey`` (one per person). Deliberately no timestamps and a
    random id, so nothing orders who answered against the responses."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="participations",
                               verbose_name=_("survey"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("user"))

    class Meta:
        verbose_name = _("survey participation")
        verbose_name_plural = _("survey participations")
        constraints = [models.UniqueConstraint(fields=["survey", "user"],
                                               name="community_survey_once_per_person")]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.user_id}"


class SurveyResponse(models.Model):
    """One person's answers. Random id; in an anonymous survey no respondent, no date and no
    time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses",
                               verbose_name=_("survey"))
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("respondent"))
    submitted_on = models.DateField(_("answered on"), null=True, blank=True,
                                    help_text=_("Not kept for anonymous surveys."))
    submitted_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["survey_id", "id"]

    def __str__(self) -> str:
        return str(self.id)


class SurveyAnswer(models.Model):
    """The answer to one question: ``choices`` (option indexes), ``number`` (scale) or
    ``text``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE,
                                 related_name="answers", verbose_name=_("response"))
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE,
                                 related_name="answers", verbose_name=_("question"))
    choices = models.JSONField(_("options chosen"), default=list, blank=True)
    number = models.SmallIntegerField(_("value"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["question_id", "id"]

    def __str__(self) -> str:
        return str(self.id)
