"""Question banks (题库), quizzes assigned to groups, and attempts.

A question's ``options`` is a list of option texts in display order; ``answer`` is the
sorted list of the correct options' 0-based indexes (one for single choice and true/false,
one or more for multiple choice). A true/false question's options are ["正确", "错误"].
A submitted attempt's ``answers`` maps question id (as text) to
``{"chosen": [indexes], "correct": bool}``; ``score`` is a
percentage 0–100 (each question equal, a multiple-choice question right only when exactly
the correct options are chosen).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from safecampus.accounts.models import Audience
from safecampus.core.models import BaseModel

from .terms import Topic

#: The options stored for a true/false question (the generated ones; an imported bank's own
#: wording is folded to these), and their labels in the reader's language.
TRUE_FALSE_OPTIONS = ("正确", "错误")


def true_false_labels() -> tuple[str, str]:
    return pgettext("true or false", "True"), pgettext("true or false", "False")


class QuestionBank(BaseModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    topic = models.CharField(_("topic"), max_length=16, choices=Topic.choices)
    source = models.CharField(_("source"), max_length=200, blank=True,
                              help_text=_("Where the questions come from."))
    #: SHA-256 of the imported file, so the same file is not imported twice.
    source_sha256 = models.CharField(_("file fingerprint"), max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))

    class Meta:
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")
        ordering = ["name"]
        permissions = [("manage_quizzes", "Can keep question banks and assign quizzes")]

    def __str__(self) -> str:
        return self.name


class Question(BaseModel):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")  # 单选题
        MULTIPLE = "multiple", _("Multiple choice")  # 多选题
        TRUE_FALSE = "true_false", _("True or false")  # 判断题

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="questions",
                             verbose_name=_("question bank"))
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    stem = models.TextField(_("question"))
    options = models.JSONField(_("options"), default=list)
    answer = models.JSONField(_("correct answer"), default=list)
    explanation = models.TextField(_("explanation"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["bank_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "number"], name="education_question_number"),
        ]

    def __str__(self) -> str:
        return self.stem[:60]

    @property
    def option_labels(self) -> list[str]:
        """The options as the reader sees them: a true/false question's stored 正确/错误
        in the active language (True/False in English), other options as written."""
        if self.kind == self.Kind.TRUE_FALSE and tuple(self.options) == TRUE_FALSE_OPTIONS:
            return list(true_false_labels())
        return list(self.options)


class Quiz(BaseModel):
    """A quiz drawn from one bank: a fixed set of questions, open between two instants.

    ``pass_mark`` is a percentage; ``max_attempts`` counts submitted attempts per person.
    """

    title = models.CharField(_("title"), max_length=120)
    bank = models.ForeignKey(QuestionBank, on_delete=models.PROTECT, related_name="quizzes",
                             verbose_name=_("question bank"))
    questions = models.ManyToManyField(Question, related_name="quizzes",
                                       verbose_name=_("questions"))
    instructions = models.TextField(_("instructions"), blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("deadline"), db_index=True)
    time_limit_minutes = models.PositiveSmallIntegerField(_("time limit (minutes)"), null=True,
                                                          blank=True)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (%)"), default=60)
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"), default=1)
    shuffle = models.BooleanField(_("shuffle questions"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_at__gt=models.F("opens_at")),
                                   name="education_quiz_closes_after_open"),
            models.CheckConstraint(condition=models.Q(pass_mark__lte=100),
                                   name="education_quiz_pass_mark_percent"),
        ]

    def __str__(self) -> str:
        return self.title


class QuizAssignment(Audience, BaseModel):
    """One group a quiz is assigned to (a quiz may have several)."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="assignments",
                             verbose_name=_("quiz"))

    class Meta:
        verbose_name = _("quiz assignment")
        verbose_name_plural = _("quiz assignments")
        ordering = ["quiz_id", "id"]


class QuizAttempt(BaseModel):
    """One person's go at a quiz. ``submitted_at`` empty while it is in progress.
    ``college`` is copied from the affiliation at start (statistics by college)."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts",
                             verbose_name=_("quiz"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="quiz_attempts", verbose_name=_("person"))
    college = models.ForeignKey("organisation.Unit", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("college or unit"))
    number = models.PositiveSmallIntegerField(_("attempt"), default=1)
    question_order = models.JSONField(_("question order"), default=list)
    started_at = models.DateTimeField(_("started at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, db_index=True)
    answers = models.JSONField(_("answers"), default=dict)
    correct_count = models.PositiveSmallIntegerField(_("correct answers"), default=0)
    score = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=1, null=True,
                                blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)

    class Meta:
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        ordering = ["quiz_id", "user_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "user", "number"],
                                    name="education_attempt_number"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.quiz_id} #{self.number}"
