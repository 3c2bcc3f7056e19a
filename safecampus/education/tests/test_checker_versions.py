"""Checker rule sets: the seed command, new versions, editing rules (bad and catastrophic
regular expressions refused), the state machine (every edge), evaluation figures on a small
labelled CSV, publishing (refused without evaluation or with too many false positives; one
live version at a time; the live engine switches), permissions and the timeline."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext
from django_fsm import TransitionNotAllowed

from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.education.models import CheckerRule, CheckerRuleSet
from safecampus.education.selectors import checker as selectors
from safecampus.education.services import checker as services

from .checker_helpers import _fresh_checker, english, examples, live, no_corpus, taxonomy

FIXTURES = (_fresh_checker, english, live, no_corpus, taxonomy)  # requested by name below

pytestmark = pytest.mark.usefixtures("english")
State = CheckerRuleSet.State

SMALL_CSV = (
    "label,content\n"
    "0,明天下午三点开班会\n"
    "0,您的快递已到驿站，取件码 1-2-3\n"
    "0,快来刷单赚钱\n"           # an ordinary message that reaches high with the rule below
    "1,你涉嫌洗钱，请把钱转到安全账户\n"
    "spam,今天天气不错\n"
).encode()


def _draft(staff, taxonomy, *, weight=40):
    """A draft with two police rules and one brushing rule that is too eager."""
    ruleset = services.checker_ruleset_create(actor=staff, note="test", blank=True)
    police = taxonomy["police_impersonation"].pk
    services.checker_rule_add(actor=staff, ruleset_id=ruleset.pk, fraud_type_id=police,
                              kind="phrase", pattern="安全账户", weight=weight,
                              red_flag="Safe account")
    services.checker_rule_add(actor=staff, ruleset_id=ruleset.pk, fraud_type_id=police,
                              kind="phrase", pattern="涉嫌洗钱", weight=weight,
                              red_flag="Crime")
    services.checker_rule_add(actor=staff, ruleset_id=ruleset.pk,
                              fraud_type_id=taxonomy["brushing"].pk, kind="regex",
                              pattern="刷单|赚钱", weight=40, red_flag="Brushing")
    ruleset.refresh_from_db()
    return ruleset


# --- seed ---------------------------------------------------------------------------------------
def test_the_seed_command_makes_version_1_evaluated_and_live_once(db, taxonomy, no_corpus):
    call_command("checker_rules_seed", stdout=open("/dev/null", "w"))
    ruleset = CheckerRuleSet.objects.get()
    assert (ruleset.version, ruleset.state) == (1, State.LIVE)
    assert 150 <= ruleset.rules.count() <= 300
    assert ruleset.evaluation["corpus"] == "examples.csv"
    assert ruleset.evaluation["high_fp"] == 0
    typed = sum(1 for row in examples() if row["label"] == "1" and row["type"])
    assert ruleset.evaluation["spam_by_level"]["high"] == typed
    # 26 ordinary examples are far fewer than a publish needs: live only as the bootstrap
    assert ruleset.evaluation["ordinary"] < services.min_ordinary()
    assert (ruleset.evaluation["bootstrap"], ruleset.evaluation["min_ordinary"]) == (True, 5000)
    with translation.override(settings.LANGUAGE_CODE):  # stored in the site's language
        said = gettext("Bootstrap: the first version, live although its evaluation had fewer "
                       "ordinary messages than a publish needs.")
    assert activity_for(ruleset).get(verb="education.checker_ruleset_publish").comment == said
    assert ruleset.rules.filter(fraud_type__code="loan").exists()
    assert ruleset.rules.filter(fraud_type__isnull=True, kind="regex").count() >= 8
    call_command("checker_rules_seed", stdout=open("/dev/null", "w"))
    assert CheckerRuleSet.objects.count() == 1
    verbs = [e.verb for e in activity_for(ruleset)]
    assert verbs == ["education.checker_ruleset_create", "education.checker_ruleset_evaluate",
                     "education.checker_ruleset_publish"]


def test_the_seed_leaves_out_rules_of_missing_types(db, no_corpus):
    ruleset, skipped = services.checker_ruleset_seed_default(actor=None)
    assert skipped > 100
    assert not ruleset.rules.exclude(fraud_type__isnull=True).exists()


def test_without_a_live_version_the_checker_says_it_is_not_configured(db):
    outcome = selectors.message_check("把钱转到安全账户")
    assert outcome.status == "not_configured"
    assert "no rule set is live" in outcome.message


# --- versions and rules -------------------------------------------------------------------------
def test_a_new_version_copies_the_live_rules_and_thresholds(org, live):
    copy = services.checker_ruleset_create(actor=org.users.staff, note="v2")
    assert (copy.version, copy.state) == (2, State.DRAFT)
    assert copy.rules.count() == live.rules.count()
    assert (copy.medium_threshold, copy.high_threshold) == (live.medium_threshold,
                                                            live.high_threshold)
    assert set(copy.rules.values_list("pattern", flat=True)) == set(
        live.rules.values_list("pattern", flat=True))
    live.refresh_from_db()
    assert live.state == State.LIVE


@pytest.mark.parametrize(("pattern", "message"), [
    (r"(?<![a-z0-9-])icbc", "which has no look-ahead or look-behind"),
    ("(?=x)x", "which has no look-ahead or look-behind"),
    ("(ab", "This regular expression is not valid."),
    ("a*", "matches an empty text"),
    (r"(a)\1", "Back-references"),
])
def test_bad_regular_expressions_get_a_field_error_and_nothing_changes(org, taxonomy, pattern,
                                                                       message):
    ruleset = services.checker_ruleset_create(actor=org.users.staff)
    with pytest.raises(DomainError) as caught:
        services.checker_rule_add(actor=org.users.staff, ruleset_id=ruleset.pk,
                                  fraud_type_id=None, kind="regex", pattern=pattern, weight=10,
                                  red_flag="x")
    assert message in caught.value.field_errors["pattern"][0]
    assert not CheckerRule.objects.filter(ruleset=ruleset).exists()


def test_rule_input_is_checked_field_by_field(org, taxonomy):
    ruleset = services.checker_ruleset_create(actor=org.users.staff)
    with pytest.raises(DomainError) as caught:
        services.checker_rule_add(actor=org.users.staff, ruleset_id=ruleset.pk,
                                  fraud_type_id=99999, kind="phrase", pattern=" \u200b ",
                                  weight=0, red_flag="", requires="发给我", window=0)
    errors = caught.value.field_errors
    assert set(errors) == {"fraud_type", "pattern", "weight", "red_flag", "window"}
    assert errors["weight"] == ["Enter a weight from -100 to 100 other than 0 (negative weights "
                                "count against)."]


def test_the_office_edits_rules_others_may_not(org, taxonomy):
    with pytest.raises(NotAllowed):
        services.checker_ruleset_create(actor=org.users.student)
    ruleset = _draft(org.users.staff, taxonomy)
    rule = ruleset.rules.first()
    for user in (org.users.police, org.users.contact_a, org.users.leadership):
        with pytest.raises(NotAllowed):
            services.checker_rule_edit(actor=user, rule_id=rule.pk, fraud_type_id=None,
                                       kind="phrase", pattern="x", weight=5, red_flag="x")
    with pytest.raises(NotAllowed):
        services.checker_ruleset_publish(actor=org.users.staff, ruleset_id=ruleset.pk)


# --- evaluation ---------------------------------------------------------------------------------
def test_evaluation_figures_on_a_small_labelled_csv(org, taxonomy):
    ruleset = _draft(org.users.staff, taxonomy)
    ruleset = services.checker_ruleset_evaluate(actor=org.users.staff, ruleset_id=ruleset.pk,
                                                upload=SMALL_CSV, upload_name="small.csv")
    e = ruleset.evaluation
    assert ruleset.state == State.EVALUATED and ruleset.evaluated_at is not None
    assert (e["corpus"], e["ordinary"], e["spam"]) == ("small.csv", 3, 2)
    assert e["ordinary_by_level"] == {"none": 2, "low": 0, "medium": 1, "high": 0}
    assert e["spam_by_level"] == {"none": 1, "low": 0, "medium": 0, "high": 1}
    assert (e["high_fp"], e["high_fp_rate"], e["medium_fp"]) == (0, 0.0, 1)
    assert e["per_type"] == {"police_impersonation": {"spam": 1, "ordinary_high": 0}}
    assert len(e["sha256"]) == 64 and e["seconds"] >= 0


def test_a_file_with_unlabelled_rows_is_refused_with_the_lines_listed(org, taxonomy):
    ruleset = _draft(org.users.staff, taxonomy)
    bad = "label,content\n0,好的\nmaybe,不知道\n1,安全账户\n,空\n".encode()
    with pytest.raises(DomainError) as caught:
        services.checker_ruleset_evaluate(actor=org.users.staff, ruleset_id=ruleset.pk,
                                          upload=bad, upload_name="bad.csv")
    assert caught.value.field_errors["file"] == [
        "These lines have no label 0/1 (ordinary/spam): 3, 5. Nothing was evaluated."]
    ruleset.refresh_from_db()
    assert ruleset.state == State.DRAFT and ruleset.evaluation == {}
    with pytest.raises(DomainError, match="neither UTF-8 nor GB18030"):
        services.checker_ruleset_evaluate(actor=org.users.staff, ruleset_id=ruleset.pk,
                                          upload=b"\xff\xfe\x00\xd8\x00", upload_name="x.csv")


def test_evaluating_on_the_configured_corpus_needs_the_corpus(org, taxonomy, no_corpus):
    ruleset = _draft(org.users.staff, taxonomy)
    with pytest.raises(DomainError) as caught:
        services.checker_ruleset_evaluate(actor=org.users.staff, ruleset_id=ruleset.pk,
                                          use_corpus=True)
    assert caught.value.code == "no_corpus"


# --- the state machine --------------------------------------------------------------------------
def test_publishing_needs_an_evaluation_and_a_low_false_positive_rate(org, taxonomy):
    admin, staff = org.users.admin, org.users.staff
    ruleset = _draft(staff, taxonomy)
    with pytest.raises(Conflict, match="Only an evaluated version can go live; version 1 is "
                                       "Draft."):
        services.checker_ruleset_publish(actor=admin, ruleset_id=ruleset.pk)
    # the eager brushing rule plus "赚钱" puts an ordinary message at high
    services.checker_rule_add(actor=staff, ruleset_id=ruleset.pk,
                              fraud_type_id=taxonomy["brushing"].pk, kind="phrase",
                              pattern="快来", weight=40, red_flag="Hurry")
    ruleset = services.checker_ruleset_evaluate(actor=staff, ruleset_id=ruleset.pk,
                                                upload=SMALL_CSV, upload_name="small.csv")
    assert ruleset.evaluation["high_fp"] == 1
    with pytest.raises(Conflict) as caught:
        services.checker_ruleset_publish(actor=admin, ruleset_id=ruleset.pk)
    assert caught.value.message == ("33.33% of ordinary messages reached high risk (1 of 3); at "
                                    "most 0.50% may. Fix the rules and evaluate again.")
    ruleset.refresh_from_db()
    assert ruleset.state == State.EVALUATED


def test_editing_an_evaluated_version_returns_it_to_draft(org, taxonomy):
    staff = org.users.staff
    ruleset = _draft(staff, taxonomy)
    ruleset = services.checker_ruleset_evaluate(actor=staff, ruleset_id=ruleset.pk,
                                                upload=SMALL_CSV, upload_name="small.csv")
    rule = ruleset.rules.get(pattern="安全账户")
    services.checker_rule_set_active(actor=staff, rule_id=rule.pk, active=False)
    ruleset.refresh_from_db()
    assert (ruleset.state, ruleset.evaluation, ruleset.evaluated_at) == (State.DRAFT, {}, None)
    verbs = [e.verb for e in activity_for(ruleset)]
    assert verbs[-2:] == ["education.checker_ruleset_edit", "education.checker_rule_deactivate"]
    for change in (
        lambda: services.checker_rule_edit(actor=staff, rule_id=rule.pk, fraud_type_id=None,
                                           kind="phrase", pattern="安全帐户", weight=30,
                                           red_flag="Safe"),
        lambda: services.checker_rule_delete(actor=staff, rule_id=rule.pk),
        lambda: services.checker_ruleset_thresholds_set(actor=staff, ruleset_id=ruleset.pk,
                                                        medium=30, high=60),
    ):
        services.checker_ruleset_evaluate(actor=staff, ruleset_id=ruleset.pk, upload=SMALL_CSV,
                                          upload_name="small.csv")
        change()
        ruleset.refresh_from_db()
        assert ruleset.state == State.DRAFT


@pytest.mark.parametrize("pattern", [r"(.|\s)+x", r"(\d|\d\d)+x", "(a|a)+$",
                                     r"\d+\d+\d+\d+\d+x", ".*.*.*.*="])
def test_a_pattern_that_backtracks_elsewhere_is_saved_and_runs_in_linear_time(org, taxonomy,
                                                                           pattern):
    import time

    ruleset = services.checker_ruleset_create(actor=org.users.staff, blank=True)
    services.checker_rule_add(actor=org.users.staff, ruleset_id=ruleset.pk,
                              fraud_type_id=None, kind="regex", pattern=pattern, weight=10,
                              red_flag="x")
    started = time.perf_counter()
    outcome = selectors.ruleset_try(ruleset, "1" * 2500 + "a" * 2499 + "\n")
    assert time.perf_counter() - started < 0.5
    assert outcome.result.checked_chars == 5000


def test_a_publish_needs_enough_ordinary_messages_in_its_evaluation(org, taxonomy, live,
                                                                    settings):
    admin, staff = org.users.admin, org.users.staff
    v2 = _draft(staff, taxonomy, weight=10)
    services.checker_ruleset_evaluate(actor=staff, ruleset_id=v2.pk, upload=SMALL_CSV,
                                      upload_name="small.csv")
    with pytest.raises(Conflict) as caught:
        services.checker_ruleset_publish(actor=admin, ruleset_id=v2.pk)
    assert caught.value.code == "too_few_ordinary"
    assert caught.value.message == (
        "The evaluation had only 3 ordinary messages; a version goes live only after an "
        "evaluation on at least 5000, so that its false-positive rate means something. "
        "Evaluate it on the configured corpus or a larger labelled file.")
    v2.refresh_from_db()
    assert v2.state == State.EVALUATED and "bootstrap" not in v2.evaluation
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_MIN_ORDINARY": 3}
    services.checker_ruleset_publish(actor=admin, ruleset_id=v2.pk)
    v2.refresh_from_db()
    assert v2.state == State.LIVE and "bootstrap" not in v2.evaluation


def test_only_the_very_first_version_goes_live_as_the_seeds_bootstrap(db, taxonomy, no_corpus):
    first = services.checker_rules_seed(actor=None)
    assert (first["state"], first["bootstrap"]) == (State.LIVE, True)
    again = services.checker_rules_seed(actor=None, force=True)  # a version was live before
    assert (again["version"], again["state"], again["bootstrap"]) == (2, State.EVALUATED,
                                                                     False)
    assert CheckerRuleSet.objects.get(state=State.LIVE).version == 1


def test_fraud_type_edits_show_in_the_next_check_without_a_new_version(org, taxonomy, live):
    scam = "你涉嫌洗钱，请把钱转到安全账户"
    police = taxonomy["police_impersonation"]
    assert selectors.message_check(scam).result.types[0].name == police.name
    selectors.live_engine()  # compiled and kept with the names of now
    FraudType = type(police)
    FraudType.objects.filter(pk=police.pk).update(name="冒充公检法（新名称）",
                                                  advice="新的第一条建议\n第二条")
    result = selectors.message_check(scam).result
    assert result.types[0].name == "冒充公检法（新名称）"
    assert result.types[0].advice == ("新的第一条建议", "第二条")
    assert {f.type_name for f in result.red_flags if f.type_code == police.code} == {
        "冒充公检法（新名称）"}
    assert "新的第一条建议" in selectors.message_check(scam).advice


def test_a_check_reads_the_type_names_with_one_query(org, taxonomy, live,
                                                     django_assert_num_queries):
    selectors.message_check("热身")  # the live version compiled and cached
    with django_assert_num_queries(1):
        selectors.message_check("你涉嫌洗钱，请把钱转到安全账户")
    with django_assert_num_queries(0):
        selectors.message_check("明天下午开班会")


def test_a_stored_rule_re2_cannot_run_is_left_out_of_the_live_checker(org, taxonomy, live):
    """A version stored before the checker moved to RE2 keeps answering."""
    rule = live.rules.filter(kind="regex").first()
    CheckerRule.objects.filter(pk=rule.pk).update(pattern=r"(?<!\d)95\d{3}(?!\d)")
    selectors._ENGINES.clear()
    outcome = selectors.message_check("你涉嫌洗钱，请把钱转到安全账户")
    assert outcome.status == "checked" and outcome.result.level == "high"
    with pytest.raises(DomainError, match="cannot be used"):
        services.checker_ruleset_evaluate(
            actor=org.users.staff, ruleset_id=services.checker_ruleset_create(
                actor=org.users.staff).pk, upload=SMALL_CSV, upload_name="small.csv")


def test_one_live_version_at_a_time_and_the_live_engine_switches(
        org, taxonomy, live, settings, django_capture_on_commit_callbacks):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_MIN_ORDINARY": 3}
    admin, staff = org.users.admin, org.users.staff
    assert selectors.message_check("你涉嫌洗钱，请转到安全账户").result.version == 1
    v2 = _draft(staff, taxonomy, weight=10)
    services.checker_ruleset_evaluate(actor=staff, ruleset_id=v2.pk, upload=SMALL_CSV,
                                      upload_name="small.csv")
    with pytest.raises(NotAllowed):
        services.checker_ruleset_publish(actor=staff, ruleset_id=v2.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.checker_ruleset_publish(actor=admin, ruleset_id=v2.pk)
    live.refresh_from_db()
    v2.refresh_from_db()
    assert (live.state, v2.state) == (State.RETIRED, State.LIVE)
    assert CheckerRuleSet.objects.filter(state=State.LIVE).count() == 1
    assert v2.published_by == admin and v2.published_at is not None
    outcome = selectors.message_check("你涉嫌洗钱，请转到安全账户")
    assert (outcome.result.version, outcome.result.level) == (2, "low")
    with pytest.raises(Conflict, match="is Retired and cannot be changed"):
        services.checker_rule_delete(actor=staff, rule_id=live.rules.first().pk)
    with pytest.raises(Conflict, match="is Live and cannot be changed"):
        services.checker_ruleset_thresholds_set(actor=staff, ruleset_id=v2.pk, medium=30,
                                                high=60)
    assert [e.verb for e in activity_for(live)][-1] == "education.checker_ruleset_retire"


def test_every_edge_of_the_state_machine():
    allowed = {("draft", "evaluate"), ("evaluated", "evaluate"), ("evaluated", "edit"),
               ("evaluated", "publish"), ("live", "retire")}
    for state in State.values:
        for verb in ("evaluate", "edit", "publish", "retire"):
            ruleset = CheckerRuleSet(version=1, state=state)  # never saved
            if (state, verb) in allowed:
                getattr(ruleset, verb)()
            else:
                with pytest.raises(TransitionNotAllowed):
                    getattr(ruleset, verb)()


def test_thresholds_are_checked(org, taxonomy):
    ruleset = _draft(org.users.staff, taxonomy)
    with pytest.raises(DomainError) as caught:
        services.checker_ruleset_thresholds_set(actor=org.users.staff, ruleset_id=ruleset.pk,
                                                medium=70, high=40)
    assert caught.value.field_errors == {
        "high_threshold": ["High risk must start above medium risk."]}
    with pytest.raises(DomainError):
        services.checker_ruleset_thresholds_set(actor=org.users.staff, ruleset_id=ruleset.pk,
                                                medium=0, high=101)
