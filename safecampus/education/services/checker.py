"""Fraud-risk checker rule sets, writes: versions, their rules, evaluation and publishing.

A rule set (``CheckerRuleSet``, a state machine whose transitions run only here):

* ``draft``: created empty, from the default rules (:func:`checker_ruleset_seed_default`) or
  as a copy of the live or another version (:func:`checker_ruleset_create`); its rules and
  thresholds are edited (:func:`checker_rule_add`, :func:`checker_rule_edit`,
  :func:`checker_rule_set_active`, :func:`checker_rule_delete`,
  :func:`checker_ruleset_thresholds_set`);
* ``draft``/``evaluated`` → ``evaluated`` (``evaluate``): scored against labelled messages
  (an uploaded CSV or the configured corpus, :func:`checker_ruleset_evaluate`); the figures
  go into ``evaluation``;
* ``evaluated`` → ``draft`` (``edit``): any change of a rule or threshold; the figures are
  cleared (they no longer hold);
* ``evaluated`` → ``live`` (``publish``): only when the evaluation held at least
  ``SAFECAMPUS["CHECKER_MIN_ORDINARY"]`` (default 5,000) ordinary messages and the
  false-positive rate at "high" on them is at most ``SAFECAMPUS["CHECKER_MAX_HIGH_FP_RATE"]``;
  the live version before it goes ``live`` → ``retired`` (``retire``) in the same
  transaction (:func:`checker_ruleset_publish`). Two publishes at the same moment: one wins,
  the other gets a Conflict. Live and retired versions are never edited. The one exception
  to the minimum is the seed's bootstrap (:func:`checker_rules_seed` without the corpus): the
  very first version, evaluated on the checker's own examples, goes live marked
  ``evaluation["bootstrap"] = True`` so that the checker works at all; no one can publish
  another version that way.

Every change writes an ActivityEntry on the rule set. Needs
``education.manage_checker_rules`` (publishing: ``education.publish_checker_rules``);
``actor=None`` is the system (the seed command and the demo).

Errors: DomainError (bad input, with ``field_errors``), NotAllowed, Conflict.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import Conflict, DomainError, field_error, perm_require
from safecampus.core.forms import id_or_none

from ..checker import evaluation as ev
from ..checker.engine import RuleProblem, compile_ruleset, phrase_alternatives, regex_problem
from ..models import CheckerRule, CheckerRuleSet, FraudType

State = CheckerRuleSet.State
Kind = CheckerRule.Kind
LIVE_VERSION_KEY = "education:checker:live-version"
LIVE_VERSION_SECONDS = 60  # a process that missed a publish catches up within a minute
RATE_KEY = "education:checker:rate:{client}:{minute}"
NOTE_MAX, FLAG_MAX, PATTERN_MAX, CONTEXT_MAX = 200, 120, 300, 2000
WINDOW_MAX, WEIGHT_MIN, WEIGHT_MAX = 200, -100, 100


def _locked_ruleset(ruleset_id) -> CheckerRuleSet:
    ruleset = (CheckerRuleSet.objects.select_for_update().filter(pk=ruleset_id).first()
               if id_or_none(ruleset_id) else None)
    if ruleset is None:
        raise DomainError(_("This rule set does not exist."), code="not_found")
    return ruleset


def msg_stale() -> str:
    return _("Someone else changed this rule set at the same moment. Reload and try again.")


def _save(ruleset: CheckerRuleSet, fields: list[str]) -> None:
    try:
        ruleset.save(update_fields=[*fields, "updated_at"])
    except ConcurrentTransition as exc:
        raise Conflict(msg_stale(), code="stale") from exc


def _editable(ruleset: CheckerRuleSet, actor) -> str:
    """Make ``ruleset`` a draft for an edit (an evaluated one goes back to draft, its figures
    cleared); Conflict for live and retired versions. Returns the state before."""
    old = ruleset.state
    if old == State.EVALUATED:
        ruleset.edit()
        ruleset.evaluation = {}
        ruleset.evaluated_at = None
        _save(ruleset, ["state", "evaluation", "evaluated_at"])
        activity_record(target=ruleset, actor=actor, verb="education.checker_ruleset_edit",
                        from_state=old, to_state=ruleset.state,
                        comment=_("A change after the evaluation: evaluate it again."))
    elif old != State.DRAFT:
        raise Conflict(_("Version %(version)s is %(state)s and cannot be changed; make a new "
                         "version from it.") % {"version": ruleset.version,
                                                "state": ruleset.get_state_display()},
                       code="not_editable")
    else:
        _save(ruleset, [])  # touch: an evaluation running meanwhile sees the change
    return old


def _next_version() -> int:
    return (CheckerRuleSet.objects.aggregate(m=Max("version"))["m"] or 0) + 1


def _new_ruleset(*, actor, note: str, medium: int, high: int) -> CheckerRuleSet:
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return CheckerRuleSet.objects.create(
                    version=_next_version(), note=note, medium_threshold=medium,
                    high_threshold=high,
                    created_by=actor if actor is not None and actor.is_authenticated else None)
        except IntegrityError:  # two versions made at the same moment: take the next number
            continue
    raise Conflict(msg_stale(), code="stale")


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise field_error("note", _("At most %(count)s characters.") % {"count": NOTE_MAX})
    return note


# --- versions -------------------------------------------------------------------------------
def checker_ruleset_create(*, actor, note: str = "", source_id: int | None = None,
                           blank: bool = False) -> CheckerRuleSet:
    """A new draft version copying the rules and thresholds of ``source_id`` (default: the
    live version; an empty draft when there is none or ``blank``)."""
    perm_require(actor, "education.manage_checker_rules", system=True)
    note = _clean_note(note)
    if blank:
        source = None
    elif source_id not in (None, ""):
        source = (CheckerRuleSet.objects.filter(pk=source_id).first()
                  if id_or_none(source_id) else None)
        if source is None:
            raise DomainError(_("This rule set does not exist."), code="not_found")
    else:
        source = CheckerRuleSet.objects.filter(state=State.LIVE).first()
    with transaction.atomic():
        ruleset = _new_ruleset(actor=actor, note=note,
                               medium=source.medium_threshold if source else 40,
                               high=source.high_threshold if source else 70)
        copied = 0
        if source is not None:
            rules = [CheckerRule(ruleset=ruleset, fraud_type_id=r.fraud_type_id, kind=r.kind,
                                 pattern=r.pattern, weight=r.weight, red_flag=r.red_flag,
                                 requires=r.requires, excludes=r.excludes, window=r.window,
                                 is_active=r.is_active)
                     for r in source.rules.order_by("id")]
            CheckerRule.objects.bulk_create(rules)
            copied = len(rules)
        activity_record(target=ruleset, actor=actor, verb="education.checker_ruleset_create",
                        to_state=ruleset.state, comment=note,
                        data={"source": source.version if source else None, "rules": copied})
    return ruleset


def checker_ruleset_seed_default(*, actor, note: str = "") -> tuple[CheckerRuleSet, int]:
    """A new draft version holding the default rules (:mod:`..checker.default_rules`), red
    flags stored in the site's language. Rules of a fraud type that does not exist (by
    code) are left out; returns the rule set and how many rules were left out."""
    from ..checker.default_rules import HIGH, MEDIUM, default_specs

    perm_require(actor, "education.manage_checker_rules", system=True)
    note = _clean_note(note) or "默认规则"
    types = {t.code: t.pk for t in FraudType.objects.all()}
    with translation.override(settings.LANGUAGE_CODE):
        specs = default_specs()
    with transaction.atomic():
        ruleset = _new_ruleset(actor=actor, note=note, medium=MEDIUM, high=HIGH)
        rules, skipped = [], 0
        for spec in specs:
            if spec.type_code and spec.type_code not in types:
                skipped += 1
                continue
            rules.append(CheckerRule(
                ruleset=ruleset, fraud_type_id=types.get(spec.type_code), kind=spec.kind,
                pattern=spec.pattern, weight=spec.weight, red_flag=spec.red_flag,
                requires="\n".join(spec.requires), excludes="\n".join(spec.excludes),
                window=spec.window))
        CheckerRule.objects.bulk_create(rules)
        activity_record(target=ruleset, actor=actor, verb="education.checker_ruleset_create",
                        to_state=ruleset.state, comment=note,
                        data={"source": "default", "rules": len(rules), "skipped": skipped})
    return ruleset, skipped


def checker_ruleset_thresholds_set(*, actor, ruleset_id: int, medium, high,
                                   note: str | None = None) -> CheckerRuleSet:
    """Set the score from which a message is medium and high risk (1 ≤ medium < high ≤
    100) and the note."""
    perm_require(actor, "education.manage_checker_rules", system=True)
    errors: dict[str, list[str]] = {}
    for name, value in (("medium_threshold", medium), ("high_threshold", high)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100:
            errors[name] = [_("Enter a score from 1 to 100.")]
    if not errors and medium >= high:
        errors["high_threshold"] = [_("High risk must start above medium risk.")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], field_errors=errors)
    note = _clean_note(note) if note is not None else None
    with transaction.atomic():
        ruleset = _locked_ruleset(ruleset_id)
        if (ruleset.medium_threshold, ruleset.high_threshold) == (medium, high) and (
                note is None or note == ruleset.note):
            return ruleset
        old = _editable(ruleset, actor)
        ruleset.medium_threshold, ruleset.high_threshold = medium, high
        if note is not None:
            ruleset.note = note
        _save(ruleset, ["medium_threshold", "high_threshold", "note"])
        activity_record(target=ruleset, actor=actor, verb="education.checker_thresholds",
                        from_state=old, to_state=ruleset.state,
                        data={"medium": medium, "high": high})
    return ruleset


# --- rules ----------------------------------------------------------------------------------
def _lines(text: str) -> str:
    return "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())


def _rule_values(*, fraud_type_id, kind, pattern, weight, red_flag, requires, excludes,
                 window) -> dict:
    errors: dict[str, list[str]] = {}
    fraud_type = None
    if fraud_type_id not in (None, ""):
        fraud_type = (FraudType.objects.filter(pk=fraud_type_id).first()
                      if id_or_none(fraud_type_id) else None)
        if fraud_type is None:
            errors["fraud_type"] = [_("Choose a fraud type from the list, or none for a "
                                      "shared signal.")]
    if kind not in Kind.values:
        errors["kind"] = [_("Choose phrase or regular expression.")]
    pattern = (pattern or "").strip()
    if not pattern:
        errors["pattern"] = [_("Enter the phrase or pattern to look for.")]
    elif len(pattern) > PATTERN_MAX:
        errors["pattern"] = [_("At most %(count)s characters.") % {"count": PATTERN_MAX}]
    elif kind == Kind.REGEX:
        problem = regex_problem(pattern)
        if problem:
            errors["pattern"] = [_regex_message(problem)]
    elif kind == Kind.PHRASE and not phrase_alternatives(pattern):
        errors["pattern"] = [_("The phrase has no letters or characters that can be matched "
                               "(only spaces, punctuation or invisible characters).")]
    if not isinstance(weight, int) or isinstance(weight, bool) or not (
            WEIGHT_MIN <= weight <= WEIGHT_MAX) or weight == 0:
        errors["weight"] = [_("Enter a weight from %(min)s to %(max)s other than 0 (negative "
                              "weights count against).") % {"min": WEIGHT_MIN,
                                                            "max": WEIGHT_MAX}]
    red_flag = (red_flag or "").strip()
    if not red_flag:
        errors["red_flag"] = [_("Say what this part of a message means for the reader.")]
    elif len(red_flag) > FLAG_MAX:
        errors["red_flag"] = [_("At most %(count)s characters.") % {"count": FLAG_MAX}]
    requires, excludes = _lines(requires), _lines(excludes)
    for name, value in (("requires", requires), ("excludes", excludes)):
        if len(value) > CONTEXT_MAX:
            errors[name] = [_("At most %(count)s characters.") % {"count": CONTEXT_MAX}]
    if not isinstance(window, int) or isinstance(window, bool) or not 0 <= window <= WINDOW_MAX:
        errors["window"] = [_("Enter a window from 0 to %(max)s characters.")
                            % {"max": WINDOW_MAX}]
    elif window == 0 and (requires or excludes):
        errors["window"] = [_("A rule with context phrases needs a window of at least one "
                              "character.")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], field_errors=errors)
    return {"fraud_type": fraud_type, "kind": kind, "pattern": pattern, "weight": weight,
            "red_flag": red_flag, "requires": requires, "excludes": excludes, "window": window}


def _regex_message(problem: str) -> str:
    return {
        "syntax": _("This regular expression is not valid."),
        "unsupported": _("The checker runs regular expressions in RE2, which has no "
                         "look-ahead or look-behind ((?=…), (?!…), (?<=…), (?<!…)), atomic "
                         "groups or possessive repeats. Match the neighbouring character "
                         "instead and name the part to highlight (?P<flag>…)."),
        "backreference": _("Back-references (\\1) are not allowed in checker patterns."),
        "empty": _("This regular expression matches an empty text, so it would flag every "
                   "message."),
        "too_long": _("At most %(count)s characters.") % {"count": PATTERN_MAX},
    }[problem]


def _locked_rule(rule_id) -> CheckerRule:
    rule = (CheckerRule.objects.select_for_update().filter(pk=rule_id).first()
            if id_or_none(rule_id) else None)
    if rule is None:
        raise DomainError(_("This rule does not exist."), code="not_found")
    return rule


def checker_rule_add(*, actor, ruleset_id: int, fraud_type_id, kind: str, pattern: str,
                     weight: int, red_flag: str, requires: str = "", excludes: str = "",
                     window: int = 30) -> CheckerRule:
    """Add a rule to a draft (or evaluated, which returns to draft) version."""
    perm_require(actor, "education.manage_checker_rules", system=True)
    values = _rule_values(fraud_type_id=fraud_type_id, kind=kind, pattern=pattern,
                          weight=weight, red_flag=red_flag, requires=requires,
                          excludes=excludes, window=window)
    with transaction.atomic():
        ruleset = _locked_ruleset(ruleset_id)
        old = _editable(ruleset, actor)
        rule = CheckerRule.objects.create(ruleset=ruleset, **values)
        activity_record(target=ruleset, actor=actor, verb="education.checker_rule_add",
                        from_state=old, to_state=ruleset.state, comment=rule.pattern,
                        data={"rule": rule.pk})
    return rule


def checker_rule_edit(*, actor, rule_id: int, fraud_type_id, kind: str, pattern: str,
                      weight: int, red_flag: str, requires: str = "", excludes: str = "",
                      window: int = 30) -> CheckerRule:
    """Change a rule of a draft (or evaluated) version."""
    perm_require(actor, "education.manage_checker_rules", system=True)
    values = _rule_values(fraud_type_id=fraud_type_id, kind=kind, pattern=pattern,
                          weight=weight, red_flag=red_flag, requires=requires,
                          excludes=excludes, window=window)
    with transaction.atomic():
        rule = _locked_rule(rule_id)
        ruleset = _locked_ruleset(rule.ruleset_id)
        before = {"pattern": rule.pattern, "weight": rule.weight}
        if all(getattr(rule, k) == v for k, v in values.items()):
            return rule
        old = _editable(ruleset, actor)
        for name, value in values.items():
            setattr(rule, name, value)
        rule.save()
        activity_record(target=ruleset, actor=actor, verb="education.checker_rule_edit",
                        from_state=old, to_state=ruleset.state, comment=rule.pattern,
                        data={"rule": rule.pk, "before": before})
    return rule


def checker_rule_set_active(*, actor, rule_id: int, active: bool) -> CheckerRule:
    """Switch a rule of a draft (or evaluated) version off or back on."""
    perm_require(actor, "education.manage_checker_rules", system=True)
    with transaction.atomic():
        rule = _locked_rule(rule_id)
        ruleset = _locked_ruleset(rule.ruleset_id)
        if rule.is_active == bool(active):
            return rule
        old = _editable(ruleset, actor)
        rule.is_active = bool(active)
        rule.save(update_fields=["is_active", "updated_at"])
        activity_record(target=ruleset, actor=actor,
                        verb="education.checker_rule_activate" if active
                        else "education.checker_rule_deactivate",
                        from_state=old, to_state=ruleset.state, comment=rule.pattern,
                        data={"rule": rule.pk})
    return rule


def checker_rule_delete(*, actor, rule_id: int) -> CheckerRuleSet:
    """Delete a rule of a draft (or evaluated) version; returns its rule set."""
    perm_require(actor, "education.manage_checker_rules", system=True)
    with transaction.atomic():
        rule = _locked_rule(rule_id)
        ruleset = _locked_ruleset(rule.ruleset_id)
        old = _editable(ruleset, actor)
        pattern, pk = rule.pattern, rule.pk
        rule.delete()
        activity_record(target=ruleset, actor=actor, verb="education.checker_rule_delete",
                        from_state=old, to_state=ruleset.state, comment=pattern,
                        data={"rule": pk})
    return ruleset


# --- evaluation and publishing --------------------------------------------------------------
def checker_ruleset_evaluate(*, actor, ruleset_id: int, upload: bytes | None = None,
                             upload_name: str = "", use_corpus: bool = False
                             ) -> CheckerRuleSet:
    """Score the version against an uploaded labelled CSV (``upload``) or the configured
    corpus (``use_corpus``) and store the figures (:mod:`..checker.evaluation`). The scoring
    runs outside the transaction; if the rules changed meanwhile, Conflict."""
    perm_require(actor, "education.manage_checker_rules", system=True)
    if upload:
        if len(upload) > settings.SAFECAMPUS["IMPORT_MAX_BYTES"]:
            raise field_error("file", _("The file is larger than %(mb)s MB.") % {
                "mb": settings.SAFECAMPUS["IMPORT_MAX_BYTES"] // (1024 * 1024)})
        try:
            labelled = ev.read_labelled(upload, (upload_name or "upload.csv")[:100])
        except ev.LabelledFileError as error:
            raise field_error("file", _labelled_message(error)) from error
    elif use_corpus:
        path = ev.corpus_path()
        if path is None:
            raise field_error("file", _("The message corpus is not on this server; upload a "
                                        "labelled CSV file instead."), code="no_corpus")
        try:
            labelled = ev.read_path(path)
        except ev.LabelledFileError as error:
            raise DomainError(_labelled_message(error)) from error
    else:
        raise field_error("file", _("Upload a labelled CSV file (label,content) or choose the "
                                    "configured corpus."))
    ruleset = (CheckerRuleSet.objects.filter(pk=ruleset_id).first()
               if id_or_none(ruleset_id) else None)
    if ruleset is None:
        raise DomainError(_("This rule set does not exist."), code="not_found")
    if ruleset.state not in (State.DRAFT, State.EVALUATED):
        raise Conflict(_("Version %(version)s is %(state)s; only drafts are evaluated.")
                       % {"version": ruleset.version, "state": ruleset.get_state_display()},
                       code="not_editable")
    seen = ruleset.updated_at
    try:
        engine = compile_ruleset(ruleset)
    except RuleProblem as error:
        raise DomainError(_("A rule of this version cannot be used: %(problem)s")
                          % {"problem": error}) from error
    figures = ev.evaluate(engine, labelled)
    with transaction.atomic():
        ruleset = _locked_ruleset(ruleset_id)
        if ruleset.updated_at != seen or not can_proceed(ruleset.evaluate):
            raise Conflict(_("The rules changed while they were being evaluated; evaluate "
                             "again."), code="stale")
        old = ruleset.state
        ruleset.evaluate()
        ruleset.evaluation = figures
        ruleset.evaluated_at = clock.now()
        _save(ruleset, ["state", "evaluation", "evaluated_at"])
        activity_record(
            target=ruleset, actor=actor, verb="education.checker_ruleset_evaluate",
            from_state=old, to_state=ruleset.state, comment=figures["corpus"],
            data={k: figures[k] for k in ("ordinary", "spam", "high_fp", "high_fp_rate",
                                          "sha256")})
    return ruleset


def _labelled_message(error: ev.LabelledFileError) -> str:
    if error.reason == "encoding":
        return _("The file is neither UTF-8 nor GB18030 text.")
    if error.reason == "empty":
        return _("The file holds no labelled messages.")
    lines = ", ".join(str(number) for number, _what in error.problems)
    return _("These lines have no label 0/1 (ordinary/spam): %(lines)s. Nothing was "
             "evaluated.") % {"lines": lines}


def max_fp_rate() -> float:
    return float(settings.SAFECAMPUS["CHECKER_MAX_HIGH_FP_RATE"])


def min_ordinary() -> int:
    """How many ordinary messages an evaluation needs before its version may go live (a
    false-positive rate measured on a handful of messages says nothing)."""
    return int(settings.SAFECAMPUS.get("CHECKER_MIN_ORDINARY", 5000))


def msg_published_meanwhile() -> str:
    return _("Another version was published at the same moment. Reload the page to see "
             "which version is live.")


def checker_ruleset_publish(*, actor, ruleset_id: int) -> CheckerRuleSet:
    """Make an evaluated version live, retiring the live one, when its evaluation held at
    least :func:`min_ordinary` ordinary messages and its false-positive rate at "high" is at
    most the configured maximum. Conflict otherwise, and when another version is published
    at the same moment."""
    perm_require(actor, "education.publish_checker_rules", system=True)
    return _publish(actor=actor, ruleset_id=ruleset_id, bootstrap=False)


def _publish(*, actor, ruleset_id, bootstrap: bool) -> CheckerRuleSet:
    """The publishing itself. ``bootstrap`` (only :func:`checker_rules_seed`): the first
    version ever may go live on fewer ordinary messages than :func:`min_ordinary`, marked
    so in its evaluation."""
    try:
        with transaction.atomic():
            return _publish_locked(actor=actor, ruleset_id=ruleset_id, bootstrap=bootstrap)
    except IntegrityError as error:
        # Another publish committed a live version after this one read which was live (the
        # row it would have retired was no longer live when its lock was granted): the
        # database's one-live-version constraint refuses the second.
        raise Conflict(msg_published_meanwhile(), code="stale") from error


def _publish_locked(*, actor, ruleset_id, bootstrap: bool) -> CheckerRuleSet:
    live = list(CheckerRuleSet.objects.select_for_update().filter(state=State.LIVE))
    ruleset = _locked_ruleset(ruleset_id)
    if ruleset.state != State.EVALUATED:
        raise Conflict(_("Only an evaluated version can go live; version %(version)s is "
                         "%(state)s.") % {"version": ruleset.version,
                                          "state": ruleset.get_state_display()},
                       code="not_evaluated")
    rate = ruleset.evaluation.get("high_fp_rate")
    ordinary = ruleset.evaluation.get("ordinary") or 0
    if rate is None or not ordinary:
        raise Conflict(_("The evaluation had no ordinary messages, so the false-positive "
                         "rate is unknown. Evaluate with ordinary messages first."),
                       code="no_fp_rate")
    if rate > max_fp_rate():
        raise Conflict(_("%(rate)s of ordinary messages reached high risk (%(count)s of "
                         "%(total)s); at most %(max)s may. Fix the rules and evaluate "
                         "again.") % {
            "rate": f"{rate:.2%}", "count": ruleset.evaluation.get("high_fp"),
            "total": ruleset.evaluation.get("ordinary"), "max": f"{max_fp_rate():.2%}"},
            code="fp_too_high")
    needed = min_ordinary()
    if ordinary < needed:
        first_ever = not CheckerRuleSet.objects.filter(
            state__in=[State.LIVE, State.RETIRED]).exists()
        if not (bootstrap and first_ever):
            raise Conflict(_("The evaluation had only %(count)s ordinary messages; a version "
                             "goes live only after an evaluation on at least %(min)s, so that "
                             "its false-positive rate means something. Evaluate it on the "
                             "configured corpus or a larger labelled file.") % {
                "count": ordinary, "min": needed}, code="too_few_ordinary")
        ruleset.evaluation = {**ruleset.evaluation, "bootstrap": True, "min_ordinary": needed}
    for old in live:
        old.retire()
        _save(old, ["state"])
        activity_record(target=old, actor=actor, verb="education.checker_ruleset_retire",
                        from_state=State.LIVE, to_state=State.RETIRED,
                        data={"replaced_by": ruleset.version})
    ruleset.publish()
    ruleset.published_at = clock.now()
    ruleset.published_by = actor if actor is not None and actor.is_authenticated else None
    _save(ruleset, ["state", "published_at", "published_by", "evaluation"])
    comment = ""
    if ruleset.evaluation.get("bootstrap"):
        with translation.override(settings.LANGUAGE_CODE):
            comment = _("Bootstrap: the first version, live although its evaluation had "
                        "fewer ordinary messages than a publish needs.")
    activity_record(target=ruleset, actor=actor, verb="education.checker_ruleset_publish",
                    from_state=State.EVALUATED, to_state=State.LIVE, comment=comment,
                    data={"high_fp_rate": rate, "ordinary": ordinary,
                          "bootstrap": bool(ruleset.evaluation.get("bootstrap"))})
    version = ruleset.version
    transaction.on_commit(lambda: cache.set(LIVE_VERSION_KEY, version,
                                            LIVE_VERSION_SECONDS))
    return ruleset


# --- the public check's rate limit ----------------------------------------------------------
def checker_rate_take(*, client: str, per_minute: int | None = None) -> bool:
    """Count one check for ``client`` (an IP address) in this minute; False when it already
    made ``per_minute`` (default ``SAFECAMPUS["CHECKER_CHECKS_PER_MINUTE"]``, else 60)."""
    limit = per_minute or int(settings.SAFECAMPUS.get("CHECKER_CHECKS_PER_MINUTE", 60))
    key = RATE_KEY.format(client=client or "-", minute=int(clock.now().timestamp() // 60))
    if cache.add(key, 1, 120):
        return True
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, 120)
        return True


# --- the first version ----------------------------------------------------------------------
def checker_rules_seed(*, actor=None, force: bool = False, publish: bool = True,
                       note: str = "") -> dict:
    """Make a version of the default rules, evaluate it (on the configured corpus when it is
    there, else on the checker's built-in labelled examples) and publish it. Does nothing
    when a version exists already, unless ``force``. Returns ``{"version", "rules",
    "skipped", "corpus", "high_fp_rate", "state", "bootstrap"}`` (``version`` None when
    nothing was done); a version whose evaluation is refused for publishing stays evaluated.

    Evaluated on the examples, the version has far fewer ordinary messages than a publish
    needs (:func:`min_ordinary`): it goes live only as the bootstrap, when no version was
    ever live, marked ``evaluation["bootstrap"]`` (and shown so on its page)."""
    if CheckerRuleSet.objects.exists() and not force:
        return {"version": None}
    ruleset, skipped = checker_ruleset_seed_default(actor=actor, note=note)
    path = ev.corpus_path()
    if path is not None:
        ruleset = checker_ruleset_evaluate(actor=actor, ruleset_id=ruleset.pk, use_corpus=True)
    else:
        ruleset = checker_ruleset_evaluate(actor=actor, ruleset_id=ruleset.pk,
                                           upload=ev.EXAMPLES.read_bytes(),
                                           upload_name=ev.EXAMPLES.name)
    if publish:
        perm_require(actor, "education.publish_checker_rules", system=True)
        try:
            ruleset = _publish(actor=actor, ruleset_id=ruleset.pk, bootstrap=True)
        except Conflict:
            pass
    return {"version": ruleset.version, "rules": ruleset.rules.count(), "skipped": skipped,
            "corpus": ruleset.evaluation.get("corpus"),
            "high_fp_rate": ruleset.evaluation.get("high_fp_rate"), "state": ruleset.state,
            "bootstrap": bool(ruleset.evaluation.get("bootstrap"))}
