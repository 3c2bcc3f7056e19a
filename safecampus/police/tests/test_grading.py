"""Grading: LEC (D = L × E × C, bands 320 / 160 / 70) and the matrix (R = L × S, bands 20 /
12 / 6) at every band edge, the control tier each level needs, and refused values."""

import itertools
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from safecampus.core.errors import DomainError
from safecampus.police import grading

pytestmark = pytest.mark.usefixtures("english_on")

L_VALUES = [v for v, _ in grading.LEC_L]
E_VALUES = [v for v, _ in grading.LEC_E]
C_VALUES = [v for v, _ in grading.LEC_C]


@pytest.fixture
def english_on():
    with translation.override("en"):
        yield


def expected_lec(d: Decimal) -> str:
    return "major" if d >= 320 else "high" if d >= 160 else "moderate" if d >= 70 else "low"


def expected_matrix(r: int) -> str:
    return "major" if r >= 20 else "high" if r >= 12 else "moderate" if r >= 6 else "low"


# --- LEC band edges ---------------------------------------------------------------------------
@pytest.mark.parametrize(("l", "e", "c", "score", "level", "tier"), [
    # The reachable products on each side of each edge (160 and 320 themselves are not).
    (10, 6, 40, "2400.00", "major", "university"),
    (10, 2, 40, "800.00", "major", "university"),
    (6, 6, 15, "540.00", "major", "university"),
    (10, 3, 15, "450.00", "major", "university"),
    (1, 10, 40, "400.00", "major", "university"),
    (3, 3, 40, "360.00", "major", "university"),
    (6, 1, 40, "240.00", "high", "unit"),       # below 320
    (10, 2, 15, "300.00", "high", "unit"),      # the highest product below 320
    (6, 3, 15, "270.00", "high", "unit"),
    (1, 6, 40, "240.00", "high", "unit"),
    (10, 1, 15, "150.00", "moderate", "team"),  # just below 160
    (10, 6, 3, "180.00", "high", "unit"),       # just above 160
    (0.5, 10, 40, "200.00", "high", "unit"),
    (1, 3, 40, "120.00", "moderate", "team"),
    (10, 1, 7, "70.00", "moderate", "team"),    # exactly 70
    (1, 10, 7, "70.00", "moderate", "team"),
    (3, 3, 7, "63.00", "low", "post"),          # just below 70
    (1, 2, 40, "80.00", "moderate", "team"),    # just above 70
    (10, 2, 1, "20.00", "low", "post"),         # 20
    (0.5, 1, 40, "20.00", "low", "post"),
    (0.1, 0.5, 1, "0.05", "low", "post"),       # the smallest
    (10, 10, 100, "10000.00", "major", "university"),  # the largest
])
def test_lec_products_and_levels(l, e, c, score, level, tier):  # noqa: E741
    result = grading.grade_lec(l, e, c)
    assert result.score == Decimal(score)
    assert result.level == level
    assert result.control_tier == tier
    assert result.method == "lec"


def test_lec_band_edges_themselves():
    assert [grading.lec_band(Decimal(x)) for x in
            ("320", "319.99", "160", "159.99", "70", "69.99", "0")] == [
        "major", "high", "high", "moderate", "moderate", "low", "low"]


def test_the_reachable_products_at_and_near_each_edge():
    products = {lv * ev * cv for lv, ev, cv in itertools.product(L_VALUES, E_VALUES, C_VALUES)}
    assert Decimal(70) in products and Decimal(20) in products
    assert Decimal(160) not in products and Decimal(320) not in products
    assert max(p for p in products if p < 320) == Decimal(300)
    assert min(p for p in products if p >= 320) == Decimal(360)
    assert max(p for p in products if p < 160) == Decimal(150)
    assert min(p for p in products if p >= 160) == Decimal(180)
    assert max(p for p in products if p < 70) == Decimal(63)


def test_values_given_as_text_are_read():
    assert grading.grade_lec("0.5", " 6 ", "40").score == Decimal("120.00")
    assert grading.grade_lec(Decimal("10"), 1, "7").level == "moderate"


# --- matrix band edges ------------------------------------------------------------------------
@pytest.mark.parametrize(("li", "se", "level"), [
    (5, 5, "major"), (4, 5, "major"), (5, 4, "major"),  # 25, 20, 20
    (4, 4, "high"), (3, 5, "high"), (4, 3, "high"),     # 16, 15, 12
    (2, 5, "moderate"), (3, 3, "moderate"), (2, 3, "moderate"), (3, 2, "moderate"),  # 10 9 6 6
    (1, 5, "low"), (2, 2, "low"), (1, 1, "low"),        # 5 4 1
])
def test_matrix_levels_at_the_edges(li, se, level):
    result = grading.grade_matrix(li, se)
    assert result.score == Decimal(li * se)
    assert result.level == level
    assert result.control_tier == grading.TIER_BY_LEVEL[level]


def test_matrix_band_edges_themselves():
    assert [grading.matrix_band(x) for x in (20, 19, 12, 11, 6, 5)] == [
        "major", "high", "high", "moderate", "moderate", "low"]


# --- refused values ---------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [4, "4", "abc", 0, -1, "1e9", "NaN", True, 0.3])
def test_an_lec_likelihood_outside_the_method_is_refused(bad):
    with pytest.raises(DomainError) as error:
        grading.grade_lec(bad, 6, 7)
    assert error.value.field_errors == {
        "lec_l": ["L must be one of the method's values: 10, 6, 3, 1, 0.5, 0.2, 0.1."]}


def test_every_bad_lec_factor_is_named_at_once():
    with pytest.raises(DomainError) as error:
        grading.grade_lec(10, 4, 50)
    assert error.value.field_errors == {
        "lec_e": ["E must be one of the method's values: 10, 6, 3, 2, 1, 0.5."],
        "lec_c": ["C must be one of the method's values: 100, 40, 15, 7, 3, 1."]}


@pytest.mark.parametrize(("li", "se", "field"), [
    (6, 3, "likelihood"), (0, 3, "likelihood"), ("abc", 3, "likelihood"),
    (3, 6, "severity"), (3, "2.5", "severity")])
def test_a_matrix_grade_outside_1_to_5_is_refused(li, se, field):
    with pytest.raises(DomainError) as error:
        grading.grade_matrix(li, se)
    name = "Likelihood" if field == "likelihood" else "Severity"
    assert error.value.field_errors == {
        field: [f"{name} must be one of the method's values: 5, 4, 3, 2, 1."]}


@pytest.mark.parametrize("blank", [None, "", "  "])
def test_blank_lec_factors_are_asked_for_by_name_and_meaning(blank):
    # Given no factor chosen, when grading, then each one is asked for, not "refused"
    with pytest.raises(DomainError) as error:
        grading.grade_lec(blank, blank, blank)
    assert error.value.field_errors == {
        "lec_l": ["Choose L (the likelihood of an accident)."],
        "lec_e": ["Choose E (how often people are exposed to the hazard)."],
        "lec_c": ["Choose C (the consequence of an accident)."]}
    assert error.value.message == "Choose L (the likelihood of an accident)."


def test_blank_matrix_grades_are_asked_for_and_a_blank_beside_a_bad_value_too():
    with pytest.raises(DomainError) as error:
        grading.grade_matrix(None, "")
    assert error.value.field_errors == {"likelihood": ["Choose the likelihood."],
                                        "severity": ["Choose the severity."]}
    with pytest.raises(DomainError) as error:
        grading.grade_lec("", 4, 7)
    assert error.value.field_errors == {
        "lec_l": ["Choose L (the likelihood of an accident)."],
        "lec_e": ["E must be one of the method's values: 10, 6, 3, 2, 1, 0.5."]}


def test_a_level_is_controlled_at_its_tier_or_a_higher_one():
    assert grading.tiers_for_level("major") == ["university"]
    assert grading.tiers_for_level("high") == ["unit", "university"]
    assert grading.tiers_for_level("moderate") == ["team", "unit", "university"]
    assert grading.tiers_for_level("low") == ["post", "team", "unit", "university"]
    assert grading.tiers_for_level("") == []


def test_an_unknown_method_is_refused():
    with pytest.raises(DomainError) as error:
        grading.grade("guess", lec_l=10, lec_e=10, lec_c=100)
    assert error.value.field_errors == {"method": ["Choose the assessment method."]}


def test_the_chinese_message_names_the_values():
    with translation.override("zh-hans"), pytest.raises(DomainError) as error:
        grading.grade_lec(4, 6, 7)
    assert "10, 6, 3, 1, 0.5, 0.2, 0.1" in error.value.message


def test_level_max_and_tables():
    assert grading.level_max(["low", "major", "moderate"]) == "major"
    assert grading.level_max([]) == ""
    tables = grading.tables()
    assert [v for v, _ in tables["lec_l"]] == ["10", "6", "3", "1", "0.5", "0.2", "0.1"]
    assert tables["lec_bands"] == {"major": 320, "high": 160, "moderate": 70}


# --- every allowed combination ----------------------------------------------------------------
@given(st.sampled_from(L_VALUES), st.sampled_from(E_VALUES), st.sampled_from(C_VALUES))
def test_lec_level_is_the_band_of_the_product(lv, ev, cv):
    result = grading.grade_lec(lv, ev, cv)
    assert result.score == (lv * ev * cv).quantize(Decimal("0.01"))
    assert result.level == expected_lec(lv * ev * cv)
    assert result.control_tier == grading.TIER_BY_LEVEL[result.level]


@given(st.integers(1, 5), st.integers(1, 5))
def test_matrix_level_is_the_band_of_the_product(li, se):
    assert grading.grade_matrix(li, se).level == expected_matrix(li * se)


def test_all_lec_combinations_exhaustively():
    for lv, ev, cv in itertools.product(L_VALUES, E_VALUES, C_VALUES):
        assert grading.grade_lec(lv, ev, cv).level == expected_lec(lv * ev * cv)
