"""The checker's engine: a rule set compiled once, and the scoring of one message.

A rule set is compiled into an :class:`Engine` (:func:`compile_specs`; from the database by
:func:`compile_ruleset`): every phrase rule's folded phrase goes into one regular
expression built as a trie (so a message is scanned once for all phrases, whatever their
number); regular-expression rules run in RE2 (google-re2), a linear-time engine, so no
pattern a member of staff writes can make a check hang however the message is built
(:func:`regex_problem` says which patterns RE2 refuses: back-references and look-around). A
regular expression may name the part to highlight ``(?P<flag>…)`` (for instance a phone
number with the non-digit before and after it); without it the whole match is highlighted.
All regular expressions are first tried together as one RE2 set, so a message is scanned
once for all of them and only the rules that match are searched again for their spans.

Scoring one message (:meth:`Engine.check`), in the folded text (:mod:`.normalise`):

1. every occurrence of every phrase is found (also phrases that begin where a longer one
   begins, and phrases inside or overlapping others); a phrase that begins or ends with a
   Latin letter or digit counts only as a whole word ("app" not inside "whatsapp");
2. context: a rule with ``requires`` counts only when one of those phrases occurs within
   ``window`` characters before or after it; ``excludes`` cancel it when one occurs there
   (so the short keyword 刷单 does not fire inside 刷单词, 带单 not inside 携带单位);
3. a rule's weight counts once however often it occurs, and rules that share the same red
   flag and type count as one piece of evidence (their highest weight): synonyms do not add
   up. So a rule stops being looked for once it has counted (scoring) or once it has
   :data:`HIGHLIGHTS_PER_RULE` highlights (a full check): a wall of one word pasted before
   the scam cannot use up the search and hide the evidence after it;
4. each fraud type's score is the sum of its evidence; the message's score is the highest
   type score plus the shared signals (rules without a type: links, phone numbers, app
   downloads, screen sharing, urgency, money; negative weights for warnings about fraud);
   signals alone, or a single piece of evidence alone, stay below "high"; 0…100;
5. level: ``none`` (no evidence), ``low``, ``medium`` from the rule set's medium threshold,
   ``high`` from its high threshold.

Texts longer than ``SAFECAMPUS["CHECKER_MAX_CHARS"]`` are checked on their first that many
characters (:attr:`CheckResult.truncated`; such a result is not :attr:`CheckResult.complete`
and is never shown as an all-clear). Nothing is stored or logged.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import re2

from .normalise import Normalised, fold_phrase, normalise

try:  # Python ≥ 3.11 keeps the regular-expression parser here (sre_parse is deprecated)
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover
    import sre_constants
    import sre_parse

logger = logging.getLogger(__name__)
LEVELS = ("none", "low", "medium", "high")
_WORDCHAR = re.compile(r"[0-9a-z]")
HIGHLIGHTS_PER_RULE = 10  # a check shows at most this many occurrences of one rule
FLAG_GROUP = "flag"  # a regular expression's group named so is what gets highlighted
PATTERN_MAX = 300


def re2_options() -> re2.Options:
    """RE2's options for checker patterns: case-insensitive (like the folded text), errors
    returned to the caller instead of printed."""
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = False
    return options


_RE2_OPTIONS = re2_options()


@dataclass(frozen=True)
class RuleSpec:
    """A rule as the engine needs it (from a CheckerRule row or the default rules)."""

    pattern: str
    weight: int
    red_flag: str
    type_code: str = ""
    kind: str = "phrase"
    requires: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    window: int = 30
    key: object = None  # the row's id, for a rule set from the database


@dataclass(frozen=True)
class TypeInfo:
    code: str
    name: str
    advice: tuple[str, ...] = ()
    pk: int | None = None


@dataclass
class _Rule:
    spec: RuleSpec
    evidence: tuple[str, str]  # (type code, red flag): synonyms count once
    requires: tuple[str, ...]
    excludes: tuple[str, ...]
    regex: object = None  # a compiled RE2 pattern
    group: int = 0  # the group whose span is highlighted


@dataclass(frozen=True)
class RedFlag:
    """One occurrence: ``start``/``end`` index the text the user pasted."""

    start: int
    end: int
    text: str
    explanation: str
    type_code: str
    type_name: str
    weight: int


@dataclass(frozen=True)
class TypeMatch:
    code: str
    name: str
    score: int
    advice: tuple[str, ...]
    pk: int | None = None


@dataclass
class CheckResult:
    """What a check found. ``segments`` is the checked text cut at the red flags:
    ``(text, flag numbers)`` pairs, flag numbers 1-based into ``red_flags`` (empty when the
    piece is not flagged), for highlighting."""

    level: str
    score: int
    types: list[TypeMatch] = field(default_factory=list)
    red_flags: list[RedFlag] = field(default_factory=list)
    segments: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    truncated: bool = False
    checked_chars: int = 0
    total_chars: int = 0
    version: int | None = None

    @property
    def complete(self) -> bool:
        """Whether the whole text was read. A cut text is never an all-clear: what was not
        read may hold the scam, whatever the checked part scored."""
        return not self.truncated

    @property
    def top_type(self) -> TypeMatch | None:
        return self.types[0] if self.types else None


class RuleProblem(ValueError):
    """A rule that cannot be compiled; ``args[0]`` says why (English, for logs and tests;
    services translate their own messages)."""


# --- regular expressions that are safe to run -------------------------------------------------
def compile_regex(pattern: str):
    """``pattern`` compiled by RE2 with the checker's options (raises ``re2.error``)."""
    return re2.compile(pattern, _RE2_OPTIONS)


def regex_problem(pattern: str) -> str | None:
    """Why the regular expression ``pattern`` may not be used, or None.

    Patterns run in RE2 (linear time in the length of the message, whatever the pattern:
    ``(a|a)+$`` or ``(.|\\s)+x`` cannot backtrack), so what is refused is what RE2 cannot
    run, or what would flag everything: ``"syntax"`` (not a regular expression at all),
    ``"backreference"`` (``\\1``), ``"unsupported"`` (valid for Python but not for RE2:
    look-ahead and look-behind ``(?=…) (?!…) (?<=…) (?<!…)``, atomic groups, possessive
    repeats …), ``"empty"`` (matches the empty string) or ``"too_long"``."""
    if len(pattern) > PATTERN_MAX:
        return "too_long"
    try:
        parsed = sre_parse.parse(pattern)
        re.compile(pattern)
    except (re.error, sre_constants.error, OverflowError, RecursionError, ValueError):
        parsed = None
    try:
        compiled = compile_regex(pattern)
    except re2.error:
        if parsed is None:
            return "syntax"
        return "backreference" if _has_backreference(parsed) else "unsupported"
    if compiled.search("") is not None:
        return "empty"
    return None


def _children(parsed):
    yield from parsed


def _has_backreference(parsed) -> bool:
    for op, av in _children(parsed):
        if op in (sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS):
            return True
        for sub in _subpatterns(op, av):
            if _has_backreference(sub):
                return True
    return False


def _subpatterns(op, av):
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT,
              getattr(sre_constants, "POSSESSIVE_REPEAT", None)):
        yield av[2]
    elif op is sre_constants.SUBPATTERN:
        yield av[-1]
    elif op is sre_constants.BRANCH:
        yield from av[1]
    elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        yield av[1]
    elif op is sre_constants.GROUPREF_EXISTS:
        yield av[1]
        if av[2] is not None:
            yield av[2]
    elif op is getattr(sre_constants, "ATOMIC_GROUP", None):
        yield av


def phrase_alternatives(pattern: str) -> list[str]:
    """A phrase rule's folded phrases: its pattern may list several, separated by ``|``
    ("刷单|刷信誉|刷销量")."""
    return [p for p in dict.fromkeys(fold_phrase(part) for part in pattern.split("|")) if p]


# --- the phrase trie --------------------------------------------------------------------------
def _trie_regex(phrases: list[str]) -> re.Pattern | None:
    """One pattern matching any of ``phrases``, longest first at a position."""
    if not phrases:
        return None
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = True
    return re.compile(_node_regex(trie))


def _node_regex(node: dict) -> str:
    end = "" in node
    branches = [re.escape(ch) + _node_regex(child) for ch, child in sorted(node.items())
                if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if end:
        return "(?:" + body + ")?" if len(branches) > 1 or len(branches[0]) > 1 else body + "?"
    return body


# --- the engine -------------------------------------------------------------------------------
class Engine:
    """A compiled rule set. Thread-safe to share (read only after construction)."""

    def __init__(self, specs: list[RuleSpec], types: dict[str, TypeInfo], *,
                 medium: int, high: int, version: int | None = None, max_chars: int = 20000):
        if not 0 < medium < high:
            raise RuleProblem("thresholds must be 0 < medium < high")
        self.medium, self.high, self.version, self.max_chars = medium, high, version, max_chars
        self.types = types
        self.phrases: dict[str, list[_Rule]] = {}
        self.regex_rules: list[_Rule] = []
        for spec in specs:
            rule = _Rule(spec=spec, evidence=(spec.type_code, spec.red_flag),
                         requires=tuple(p for p in map(fold_phrase, spec.requires) if p),
                         excludes=tuple(p for p in map(fold_phrase, spec.excludes) if p))
            if spec.kind == "regex":
                problem = regex_problem(spec.pattern)
                if problem:
                    raise RuleProblem(f"{spec.pattern!r}: {problem}")
                rule.regex = compile_regex(spec.pattern)
                rule.group = rule.regex.groupindex.get(FLAG_GROUP, 0)
                self.regex_rules.append(rule)
                continue
            alternatives = phrase_alternatives(spec.pattern)
            if not alternatives:
                raise RuleProblem(f"{spec.pattern!r}: empty phrase")
            for phrase in alternatives:
                self.phrases.setdefault(phrase, []).append(rule)
        self._trie = _trie_regex(sorted(self.phrases))
        # Shorter phrases that begin where a longer one begins (found with it).
        self._prefixes = {p: [q for q in self.phrases if q != p and p.startswith(q)]
                          for p in self.phrases}
        # All regular expressions as one RE2 set: one scan says which of them match at all.
        self._regex_set = None
        if self.regex_rules:
            self._regex_set = re2.Set.SearchSet(_RE2_OPTIONS)
            for rule in self.regex_rules:
                self._regex_set.Add(rule.spec.pattern)
            self._regex_set.Compile()

    # --- matching ------------------------------------------------------------------------
    def _hits(self, text: str, per_rule: int) -> list[tuple[_Rule, int, int]]:
        """(rule, start, end) in the folded ``text`` of every occurrence in context, at most
        ``per_rule`` of each rule: once a rule has them, its further occurrences are not
        even looked at (its weight counts once anyway)."""
        hits: list[tuple[_Rule, int, int]] = []
        counted: dict[int, int] = {}
        in_context = self._in_context
        if self._trie is not None:
            search, pos, n = self._trie.search, 0, len(text)
            while pos < n:
                m = search(text, pos)
                if m is None:
                    break
                start = m.start()
                for phrase in (m.group(), *self._prefixes[m.group()]):
                    end = start + len(phrase)
                    for rule in self.phrases[phrase]:
                        key = id(rule)
                        if counted.get(key, 0) < per_rule and in_context(rule, text, start,
                                                                          end):
                            counted[key] = counted.get(key, 0) + 1
                            hits.append((rule, start, end))
                pos = start + 1
        if self._regex_set is not None:
            for index in self._regex_set.Match(text) or ():
                rule = self.regex_rules[index]
                found = 0
                for m in rule.regex.finditer(text):
                    start, end = m.span(rule.group)
                    if end > start and in_context(rule, text, start, end):
                        hits.append((rule, start, end))
                        found += 1
                        if found >= per_rule:
                            break
        return hits

    @staticmethod
    def _in_context(rule: _Rule, text: str, start: int, end: int) -> bool:
        if rule.regex is None:  # a phrase: Latin words and numbers only whole
            if start > 0 and _WORDCHAR.match(text[start]) and _WORDCHAR.match(text[start - 1]):
                return False
            if end < len(text) and _WORDCHAR.match(text[end - 1]) and _WORDCHAR.match(text[end]):
                return False
        if rule.requires or rule.excludes:
            window = rule.spec.window
            around = text[max(0, start - window):end + window]
            if rule.requires and not any(p in around for p in rule.requires):
                return False
            if rule.excludes and any(p in around for p in rule.excludes):
                return False
        return True

    # --- scoring -------------------------------------------------------------------------
    def score(self, text: str) -> tuple[str, int, dict[str, int]]:
        """(level, score, type scores) of ``text`` without red-flag spans (for evaluation
        and benchmarks; same figures as :meth:`check`)."""
        return self._score(self._hits(normalise(text[:self.max_chars]).text, 1))

    def _score(self, hits) -> tuple[str, int, dict[str, int]]:
        evidence: dict[tuple[str, str], int] = {}
        for rule, _s, _e in hits:
            key, weight = rule.evidence, rule.spec.weight
            old = evidence.get(key)
            if old is None or abs(weight) > abs(old):
                evidence[key] = weight
        type_scores: dict[str, int] = {}
        signals = 0
        positive = 0
        for (code, _flag), weight in evidence.items():
            if weight > 0:
                positive += 1
            if code:
                type_scores[code] = type_scores.get(code, 0) + weight
            else:
                signals += weight
        best = max(type_scores.values(), default=0)
        if best > 0:
            score = best + signals
        else:
            score = min(signals, self.high - 1)
        if positive < 2:
            score = min(score, self.high - 1)
        score = max(0, min(100, score))
        if positive == 0 or score <= 0:
            level = "none"
        elif score >= self.high:
            level = "high"
        elif score >= self.medium:
            level = "medium"
        else:
            level = "low"
        if level == "none":  # cancelled (a warning about fraud): nothing to show either
            return level, score, {}
        return level, score, {c: s for c, s in type_scores.items() if s > 0}

    def check(self, text: str) -> CheckResult:
        """The full result for ``text``: level, score, matched types (highest first), red
        flags in the original text (in order) and the highlighted segments."""
        total = len(text)
        checked = text[:self.max_chars]
        norm = normalise(checked)
        hits = self._hits(norm.text, HIGHLIGHTS_PER_RULE)
        level, score, type_scores = self._score(hits)
        flags = self._flags(norm, hits) if level != "none" else []
        types = [TypeMatch(code=c, name=self.types[c].name if c in self.types else c,
                           score=s, advice=self.types[c].advice if c in self.types else (),
                           pk=self.types[c].pk if c in self.types else None)
                 for c, s in sorted(type_scores.items(), key=lambda kv: (-kv[1], kv[0]))]
        return CheckResult(level=level, score=score, types=types, red_flags=flags,
                           segments=_segments(checked, flags), truncated=total > len(checked),
                           checked_chars=len(checked), total_chars=total,
                           version=self.version)

    def _flags(self, norm: Normalised, hits) -> list[RedFlag]:
        flags: dict[tuple[int, int, str], RedFlag] = {}
        for rule, s, e in hits:
            if rule.spec.weight <= 0:
                continue
            start, end = norm.original_span(s, e)
            code = rule.spec.type_code
            key = (start, end, rule.spec.red_flag)
            if key not in flags:
                info = self.types.get(code)
                flags[key] = RedFlag(start=start, end=end, text=norm.original[start:end],
                                     explanation=rule.spec.red_flag, type_code=code,
                                     type_name=info.name if info else "",
                                     weight=rule.spec.weight)
        # Inside a longer flag with the same explanation, a shorter one says nothing new.
        ordered = sorted(flags.values(), key=lambda f: (f.start, -(f.end - f.start)))
        kept: list[RedFlag] = []
        for flag in ordered:
            if any(k.start <= flag.start and flag.end <= k.end
                   and k.explanation == flag.explanation for k in kept):
                continue
            kept.append(flag)
        return kept


def _segments(text: str, flags: list[RedFlag]) -> list[tuple[str, tuple[int, ...]]]:
    """``text`` cut at every flag boundary; each piece with the (1-based) flags covering it."""
    if not flags:
        return [(text, ())] if text else []
    cuts = sorted({0, len(text), *(f.start for f in flags), *(f.end for f in flags)})
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if a == b:
            continue
        covering = tuple(i for i, f in enumerate(flags, 1) if f.start <= a and b <= f.end)
        if pieces and pieces[-1][1] == covering:
            pieces[-1] = (pieces[-1][0] + text[a:b], covering)
        else:
            pieces.append((text[a:b], covering))
    return pieces


def compile_specs(specs: list[RuleSpec], types: dict[str, TypeInfo], *, medium: int = 40,
                  high: int = 70, version: int | None = None,
                  max_chars: int | None = None) -> Engine:
    """An :class:`Engine` from plain rule specs (raises :class:`RuleProblem`)."""
    if max_chars is None:
        from django.conf import settings

        max_chars = settings.SAFECAMPUS["CHECKER_MAX_CHARS"]
    return Engine(specs, types, medium=medium, high=high, version=version, max_chars=max_chars)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def compile_ruleset(ruleset, *, strict: bool = True) -> Engine:
    """An :class:`Engine` from a :class:`~safecampus.education.models.CheckerRuleSet`'s
    active rules (two queries). A regular expression RE2 cannot run (a version stored before
    the checker moved to RE2) raises :class:`RuleProblem` when ``strict``; otherwise that
    rule is left out with a warning in the log (the live checker keeps answering)."""
    from safecampus.education.models import FraudType

    rules = list(ruleset.rules.filter(is_active=True).select_related("fraud_type")
                 .order_by("id"))
    if not strict:
        unusable = [r for r in rules if r.kind == "regex" and regex_problem(r.pattern)]
        for rule in unusable:
            logger.warning("checker rule %s of version %s left out: RE2 cannot run its "
                           "pattern", rule.pk, ruleset.version)
        rules = [r for r in rules if r not in unusable]
    types = {t.code: TypeInfo(code=t.code, name=t.name, advice=_lines(t.advice), pk=t.pk)
             for t in FraudType.objects.all()}
    specs = [RuleSpec(pattern=r.pattern, weight=r.weight, red_flag=r.red_flag,
                      type_code=r.fraud_type.code if r.fraud_type else "", kind=r.kind,
                      requires=_lines(r.requires), excludes=_lines(r.excludes),
                      window=r.window, key=r.pk) for r in rules]
    return compile_specs(specs, types, medium=ruleset.medium_threshold,
                         high=ruleset.high_threshold, version=ruleset.version)
