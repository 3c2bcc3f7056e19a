"""Fraud-risk checker rules, kept by staff in versions.

A rule set is a version: drafts are edited, then *evaluated* against labelled messages
(the false-positive rate at "high risk" on ordinary messages and what spam scores are
recorded in ``evaluation``), and only an evaluated version whose false-positive rate is at
most ``SAFECAMPUS["CHECKER_MAX_HIGH_FP_RATE"]`` may go live. Exactly one version is live at a
time; publishing a new one retires the old. Editing a rule of an evaluated version returns
it to draft.

A rule matches in the *normalised* text (full-width folded, zero-width characters removed,
look-alike characters mapped). ``pattern`` is a phrase (matched literally) or a regular
expression. ``requires``: phrases one of which must also occur within ``window`` characters
for the rule to count (context: "验证码" alone is ordinary, "验证码" near "告诉/发给" is not);
``excludes``: phrases that cancel the match when they occur within the window (a short
keyword inside an unrelated word). ``weight`` adds to the score of the rule's fraud type
(or of no type); the message's score is the highest type score plus shared signals.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.models import BaseModel


class CheckerRuleSet(ConcurrentTransitionMixin, BaseModel):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        EVALUATED = "evaluated", _("Evaluated")
        LIVE = "live", _("Live")
        RETIRED = "retired", _("Retired")

    version = models.PositiveIntegerField(_("version"), unique=True)
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    state = FSMField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT,
                     protected=True, db_index=True)
    medium_threshold = models.PositiveSmallIntegerField(_("medium risk from score"), default=40)
    high_threshold = models.PositiveSmallIntegerField(_("high risk from score"), default=70)
    evaluation = models.JSONField(_("evaluation"), default=dict, blank=True)
    evaluated_at = models.DateTimeField(_("evaluated at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    published_at = models.DateTimeField(_("live since"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("published by"))

    class Meta:
        verbose_name = _("checker rule set")
        verbose_name_plural = _("checker rule sets")
        ordering = ["-version"]
        permissions = [("manage_checker_rules", "Can edit and publish fraud-checker rules")]
        constraints = [
            models.UniqueConstraint(fields=["state"], condition=models.Q(state="live"),
                                    name="education_one_live_ruleset"),
            models.CheckConstraint(
                condition=models.Q(high_threshold__gt=models.F("medium_threshold")),
                name="education_ruleset_thresholds_ordered"),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"

    @transition(field=state, source=[State.DRAFT, State.EVALUATED], target=State.EVALUATED)
    def evaluate(self):
        """Scored against labelled messages; ``evaluation`` holds the figures."""

    @transition(field=state, source=State.EVALUATED, target=State.DRAFT)
    def edit(self):
        """A rule changed after evaluation: the figures no longer hold."""

    @transition(field=state, source=State.EVALUATED, target=State.LIVE)
    def publish(self):
        """Goes live (the previous live version is retired in the same transaction)."""

    @transition(field=state, source=State.LIVE, target=State.RETIRED)
    def retire(self):
        """Replaced by a newer live version."""


class CheckerRule(BaseModel):
    class Kind(models.TextChoices):
        PHRASE = "phrase", _("Phrase")
        REGEX = "regex", _("Regular expression")

    ruleset = models.ForeignKey(CheckerRuleSet, on_delete=models.CASCADE, related_name="rules",
                                verbose_name=_("rule set"))
    fraud_type = models.ForeignKey("education.FraudType", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="checker_rules",
                                   verbose_name=_("fraud type"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.PHRASE)
    pattern = models.CharField(_("pattern"), max_length=300)
    weight = models.SmallIntegerField(_("weight"))
    red_flag = models.CharField(_("red flag"), max_length=120,
                                help_text=_("What the user is told this part of the text means."))
    requires = models.TextField(_("only with"), blank=True,
                                help_text=_("One phrase per line; one of them must be near."))
    excludes = models.TextField(_("not with"), blank=True,
                                help_text=_("One phrase per line; any of them nearby cancels."))
    window = models.PositiveSmallIntegerField(_("context window (characters)"), default=30)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("checker rule")
        verbose_name_plural = _("checker rules")
        ordering = ["ruleset_id", "fraud_type_id", "id"]

    def __str__(self) -> str:
        return self.pattern
