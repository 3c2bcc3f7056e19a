"""Fraud-risk checker, reads: checking a message against the live rule set (or trying one
on a draft), the advice that goes with a result, and the rule-set pages' lists.

The live rule set is compiled once per process and kept by version
(:func:`live_engine`); which version is live is asked of the shared cache (set when a version
is published, :func:`..services.checker.checker_ruleset_publish`, and kept a minute), else of
the database, so every web process switches to a newly published version at its next check
(within a minute when its cache missed the publish). The fraud types' names and advice are
not kept in the compiled engine: each check that matches a type reads them with one query
(:func:`_current_types`), so the library's edits show at once. Checked texts are never
stored and never logged.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from safecampus.core.activity import activity_for

from ..checker.engine import CheckResult, Engine, compile_ruleset
from ..models import CheckerRule, CheckerRuleSet, FraudType
from ..services.checker import LIVE_VERSION_KEY, LIVE_VERSION_SECONDS

State = CheckerRuleSet.State
_ENGINES: dict[int, Engine] = {}
_LOCK = threading.Lock()


def _live_version() -> int | None:
    version = cache.get(LIVE_VERSION_KEY)
    if version is None:
        version = (CheckerRuleSet.objects.filter(state=State.LIVE)
                   .values_list("version", flat=True).first())
        if version is not None:
            cache.set(LIVE_VERSION_KEY, version, LIVE_VERSION_SECONDS)
    return version


def live_engine() -> Engine | None:
    """The live rule set compiled (None when no version is live)."""
    version = _live_version()
    if version is None:
        return None
    engine = _ENGINES.get(version)
    if engine is None:
        ruleset = CheckerRuleSet.objects.filter(version=version, state=State.LIVE).first()
        if ruleset is None:  # the cache is behind the database
            cache.delete(LIVE_VERSION_KEY)
            ruleset = CheckerRuleSet.objects.filter(state=State.LIVE).first()
            if ruleset is None:
                return None
        engine = compile_ruleset(ruleset, strict=False)
        with _LOCK:
            _ENGINES.clear()  # one live version at a time: drop the old one
            _ENGINES[ruleset.version] = engine
    return engine


@dataclass
class CheckOutcome:
    """``status``: ``empty`` (nothing to check), ``not_configured`` (no live rule set) or
    ``checked`` (``result`` set). ``advice``: what to do, in order."""

    status: str
    result: CheckResult | None = None
    advice: list[str] = field(default_factory=list)
    hotline: str = ""
    max_chars: int = 0

    @property
    def message(self) -> str:
        if self.status == "empty":
            return _("Paste a message to check: a text message, chat text, a link or a phone "
                     "number.")
        if self.status == "not_configured":
            return _("The checker is not set up yet: no rule set is live. Ask the security "
                     "office; meanwhile, if in doubt, call %(hotline)s.") % {
                "hotline": self.hotline}
        return ""


def advice_for(result: CheckResult, hotline: str) -> list[str]:
    """What the reader should do: first, when the text was cut, that the rest was not read;
    for medium and high the hotline and the rules that stop every scam, then the
    best-matching type's own advice (first three points, no repeats)."""
    incomplete = []
    if result.truncated:
        incomplete = [_("Only the first %(count)s characters were checked; the rest may hide "
                        "fraud. Paste the suspicious part and check it again.") % {
            "count": result.checked_chars}]
    if result.level in ("medium", "high"):
        advice = [
            _("Stop: do not transfer money, pay a deposit or a fee, or lend your bank card."),
            _("Never tell anyone a verification code or password, and do not share your "
              "screen."),
            _("Call the anti-fraud hotline %(hotline)s to check, or 110 if you have already "
              "paid.") % {"hotline": hotline},
            _("Report it to the security office's police liaison so that others are warned."),
        ]
    elif result.level == "low":
        advice = [_("A few signs of risk: check who really sent it through a channel you "
                    "know before you do anything it asks."),
                  _("If in doubt, call %(hotline)s.") % {"hotline": hotline}]
    elif result.truncated:  # nothing found in the part read: no all-clear for the rest
        advice = [_("If in doubt, call %(hotline)s.") % {"hotline": hotline}]
    else:
        advice = [_("No warning signs found. That does not prove it is safe: never transfer "
                    "money or tell codes to someone you have not checked."),
                  _("If in doubt, call %(hotline)s.") % {"hotline": hotline}]
    advice = incomplete + advice
    for match in result.types[:1]:
        for line in match.advice[:3]:
            if line not in advice:
                advice.append(line)
    return advice


def _current_types(result: CheckResult) -> CheckResult:
    """``result`` with its types' names and advice (and the red flags' type names) as the
    library has them now: one query when the result names a type, none otherwise. A type
    deleted since the version was compiled keeps the name it had then."""
    codes = {t.code for t in result.types} | {f.type_code for f in result.red_flags
                                               if f.type_code}
    if not codes:
        return result
    rows = {code: (pk, name, advice) for code, pk, name, advice in FraudType.objects.filter(
        code__in=sorted(codes)).values_list("code", "pk", "name", "advice")}
    result.types = [replace(t, pk=rows[t.code][0], name=rows[t.code][1],
                            advice=_advice_lines(rows[t.code][2]))
                    if t.code in rows else t for t in result.types]
    result.red_flags = [replace(f, type_name=rows[f.type_code][1])
                        if f.type_code in rows else f for f in result.red_flags]
    return result


def _advice_lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def message_check(text: str | None) -> CheckOutcome:
    """Check ``text`` against the live rule set. Nothing is stored or logged."""
    hotline = settings.SAFECAMPUS["FRAUD_HOTLINE"]
    max_chars = settings.SAFECAMPUS["CHECKER_MAX_CHARS"]
    if not (text or "").strip():
        return CheckOutcome("empty", hotline=hotline, max_chars=max_chars)
    engine = live_engine()
    if engine is None:
        return CheckOutcome("not_configured", hotline=hotline, max_chars=max_chars)
    result = _current_types(engine.check(text))
    return CheckOutcome("checked", result=result, advice=advice_for(result, hotline),
                        hotline=hotline, max_chars=max_chars)


def ruleset_try(ruleset: CheckerRuleSet, text: str | None) -> CheckOutcome:
    """Check ``text`` against ``ruleset`` as it is now (compiled afresh: drafts change)."""
    hotline = settings.SAFECAMPUS["FRAUD_HOTLINE"]
    max_chars = settings.SAFECAMPUS["CHECKER_MAX_CHARS"]
    if not (text or "").strip():
        return CheckOutcome("empty", hotline=hotline, max_chars=max_chars)
    result = compile_ruleset(ruleset).check(text)
    return CheckOutcome("checked", result=result, advice=advice_for(result, hotline),
                        hotline=hotline, max_chars=max_chars)


# --- the rule-set pages ---------------------------------------------------------------------
def rulesets_list():
    """All versions, newest first, with their rule counts (one query)."""
    return (CheckerRuleSet.objects.select_related("created_by", "published_by")
            .annotate(rule_count=Count("rules"),
                      active_count=Count("rules", filter=Q(rules__is_active=True)))
            .order_by("-version"))


def ruleset_detail(pk) -> CheckerRuleSet | None:
    from safecampus.core.forms import id_or_none

    if not id_or_none(pk):
        return None
    return (CheckerRuleSet.objects.select_related("created_by", "published_by")
            .filter(pk=pk).first())


def ruleset_rules(ruleset: CheckerRuleSet, *, fraud_type: str = "", q: str = ""):
    """The version's rules, by type then id; ``fraud_type`` a code, ``"-"`` for shared
    signals; ``q`` a part of the pattern or red flag."""
    rules = ruleset.rules.select_related("fraud_type").order_by(
        "fraud_type__position", "fraud_type__code", "id")
    if fraud_type == "-":
        rules = rules.filter(fraud_type__isnull=True)
    elif fraud_type:
        rules = rules.filter(fraud_type__code=fraud_type)
    if q:
        rules = rules.filter(Q(pattern__icontains=q) | Q(red_flag__icontains=q))
    return rules


def rule_detail(pk) -> CheckerRule | None:
    from safecampus.core.forms import id_or_none

    if not id_or_none(pk):
        return None
    return CheckerRule.objects.select_related("ruleset", "fraud_type").filter(pk=pk).first()


def fraud_type_choices() -> list[tuple[str, str]]:
    return [(str(t.pk), t.name) for t in FraudType.objects.order_by("position", "code")]


def fraud_type_codes() -> list[tuple[str, str]]:
    return [(t.code, t.name) for t in FraudType.objects.order_by("position", "code")]


# What a version's history says for each of the services' verbs (a context of their own:
# "Published" here is a version going live, not the library's publishing).
VERB_LABELS = {
    "education.checker_ruleset_create": pgettext_lazy("checker history", "Version created"),
    "education.checker_ruleset_edit": pgettext_lazy("checker history", "Returned to draft by an edit"),
    "education.checker_thresholds": pgettext_lazy("checker history", "Thresholds changed"),
    "education.checker_rule_add": pgettext_lazy("checker history", "Rule added"),
    "education.checker_rule_edit": pgettext_lazy("checker history", "Rule edited"),
    "education.checker_rule_activate": pgettext_lazy("checker history", "Rule switched on"),
    "education.checker_rule_deactivate": pgettext_lazy("checker history", "Rule switched off"),
    "education.checker_rule_delete": pgettext_lazy("checker history", "Rule deleted"),
    "education.checker_ruleset_evaluate": pgettext_lazy("checker history", "Evaluated"),
    "education.checker_ruleset_publish": pgettext_lazy("checker history", "Published"),
    "education.checker_ruleset_retire": pgettext_lazy("checker history", "Retired"),
}


def verb_label(verb: str) -> str:
    """The translated label of a history verb (the verb itself when it has none)."""
    label = VERB_LABELS.get(verb)
    return str(label) if label is not None else verb


def ruleset_timeline(ruleset: CheckerRuleSet, *, limit: int = 20) -> list:
    """The version's latest history entries, newest first, each with its ``label``."""
    entries = list(activity_for(ruleset).order_by("-occurred_at", "-id")[:limit])
    for entry in entries:
        entry.label = verb_label(entry.verb)
    return entries
