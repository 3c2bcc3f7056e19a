"""The default rules on the real labelled SMS corpus (../shared/data/fraud-sms; skips when the
folder is absent): at most 0.5 % of the 18,038 ordinary messages reach "high risk", and the
seed's evaluation records the same figures with the corpus's checksum."""

import hashlib

import pytest

from safecampus.education.checker import evaluation as ev
from safecampus.education.models import CheckerRuleSet
from safecampus.education.services import checker as services

from .checker_helpers import _fresh_checker, default_engine, taxonomy

FIXTURES = (_fresh_checker, taxonomy)  # the helpers' fixtures, requested by name below


@pytest.fixture
def corpus(shared_data, settings):
    path = shared_data / "fraud-sms" / ev.CORPUS_NAME
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_CORPUS_PATH": str(path)}
    return path


def test_ordinary_messages_stay_below_high_risk(corpus):
    labelled = ev.read_path(corpus)
    figures = ev.evaluate(default_engine(), labelled)
    assert (figures["ordinary"], figures["spam"]) == (18_038, 1_962)
    assert figures["high_fp_rate"] <= 0.005, figures["fp_examples"]
    assert figures["high_fp_rate"] <= 0.001  # what the default rules aim for
    assert sum(figures["spam_by_level"].values()) == 1_962
    assert figures["spam_by_level"]["high"] + figures["spam_by_level"]["medium"] > 0


def test_ordinary_messages_about_codes_or_frozen_accounts_stay_below_high(corpus):
    # The real ordinary SMS that mention a verification code or a frozen/abnormal account
    # (e.g. a site's registration code) are not lifted to high by the link-bound rules.
    engine = default_engine()
    rows = [text for is_spam, text in ev.read_path(corpus).rows if not is_spam and any(
        word in text for word in ("验证码", "冻结", "异常"))]
    assert len(rows) >= 10
    levels = [engine.score(text)[0] for text in rows]
    assert "high" not in levels and levels.count("medium") <= 1, list(zip(levels, rows, strict=True))


def test_the_seed_evaluates_on_the_corpus_and_goes_live(corpus, taxonomy):
    result = services.checker_rules_seed(actor=None)
    ruleset = CheckerRuleSet.objects.get(version=result["version"])
    assert ruleset.state == CheckerRuleSet.State.LIVE
    assert ruleset.evaluation["corpus"] == ev.CORPUS_NAME
    assert ruleset.evaluation["sha256"] == hashlib.sha256(corpus.read_bytes()).hexdigest()
    assert ruleset.evaluation["ordinary"] == 18_038
    assert ruleset.evaluation["high_fp_rate"] <= 0.005
