"""Helpers of the checker tests: a fresh cache and engine per test, the default rules
compiled without the database, the seeded taxonomy with a live rule set."""

import csv
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation

from safecampus.education.checker.default_rules import HIGH, MEDIUM, default_specs
from safecampus.education.checker.engine import TypeInfo, compile_specs
from safecampus.education.models import CheckerRuleSet, FraudType
from safecampus.education.selectors import checker as selectors
from safecampus.education.services import checker as services
from safecampus.education.services import library as library_services
from safecampus.education.taxonomy import FRAUD_TYPES

EXAMPLES = Path(__file__).resolve().parent.parent / "checker" / "examples.csv"


@pytest.fixture(autouse=True)
def _fresh_checker():
    """Versions restart at 1 in every test's database: forget the compiled engines, the live
    version and the rate counts of earlier tests."""
    cache.clear()
    selectors._ENGINES.clear()
    yield
    cache.clear()
    selectors._ENGINES.clear()


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def no_corpus(settings):
    """Evaluate on the built-in examples, not the 20k corpus (fast, same everywhere)."""
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_CORPUS_PATH": "/nonexistent.csv"}


def default_engine():
    """The default rules compiled with the taxonomy's names (no database)."""
    with translation.override("en"):
        specs = default_specs()
    types = {t["code"]: TypeInfo(code=t["code"], name=t["name"],
                                 advice=tuple(t["advice"].splitlines())) for t in FRAUD_TYPES}
    return compile_specs(specs, types, medium=MEDIUM, high=HIGH, max_chars=5000)


def examples() -> list[dict]:
    with EXAMPLES.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def taxonomy(db):
    library_services.fraud_types_seed()
    return {t.code: t for t in FraudType.objects.all()}


@pytest.fixture
def live(db, taxonomy, no_corpus) -> CheckerRuleSet:
    """Version 1 of the default rules, evaluated on the examples and live."""
    result = services.checker_rules_seed(actor=None)
    assert result["state"] == "live", result
    return CheckerRuleSet.objects.get(version=result["version"])
