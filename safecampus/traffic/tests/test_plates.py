"""Plate normal form and validation, with examples and property-based tests."""

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from safecampus.core.errors import DomainError
from safecampus.traffic.plates import (
    DIGITS,
    LARGE_ENERGY,
    LETTERS,
    PROVINCES,
    SMALL_ENERGY,
    SPECIAL_SUFFIXES,
    plate_check,
    plate_normalise,
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


ALNUM = LETTERS + DIGITS
province = st.sampled_from(PROVINCES)
office = st.sampled_from(LETTERS)
alnum = st.sampled_from(ALNUM)
digit = st.sampled_from(DIGITS)

ordinary = st.builds(lambda p, o, body, last: p + o + "".join(body) + last, province, office,
                     st.lists(alnum, min_size=4, max_size=4),
                     st.sampled_from(ALNUM + SPECIAL_SUFFIXES))
small_new_energy = st.builds(lambda p, o, e, x, tail: p + o + e + x + "".join(tail), province,
                             office, st.sampled_from(SMALL_ENERGY), alnum,
                             st.lists(digit, min_size=4, max_size=4))
large_new_energy = st.builds(lambda p, o, body, e: p + o + "".join(body) + e, province, office,
                             st.lists(digit, min_size=5, max_size=5),
                             st.sampled_from(LARGE_ENERGY))
valid = st.one_of(ordinary, small_new_energy, large_new_energy)


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def written(draw, plate):
    """How people type a plate: any case, full width, separators and spaces between parts."""
    text = draw(plate)
    chars = []
    for i, char in enumerate(text):
        if i and draw(st.booleans()):
            chars.append(draw(st.sampled_from([" ", "·", "-", "・", "．", "\u3000", "_"])))
        if draw(st.booleans()):
            char = char.lower()
        if draw(st.booleans()):
            char = _full_width(char)
        chars.append(char)
    return text, "".join(chars)


@given(valid)
def test_every_valid_plate_is_accepted_as_it_is(number):
    plate = plate_check(number)
    assert plate.number == number
    assert plate.kind == ("ordinary" if len(number) == 7 else "new_energy")


@given(written(valid))
def test_a_plate_however_typed_normalises_to_one_form(pair):
    number, typed = pair
    assert plate_check(typed).number == number


@given(st.text(max_size=12))
def test_any_text_is_either_a_plate_or_refused_with_a_reason(text):
    assert plate_normalise(plate_normalise(text)) == plate_normalise(text)
    try:
        plate = plate_check(text)
    except DomainError as error:
        assert error.code == "bad_plate" and error.message
        assert error.field_errors == {"plate": [error.message]}
    else:
        assert len(plate.number) in (7, 8) and plate.number[0] in PROVINCES
        assert "I" not in plate.number and "O" not in plate.number


@pytest.mark.parametrize(("typed", "number", "kind"), [
    ("陕A·12345", "陕A12345", "ordinary"),
    ("  陕a 1234学 ", "陕A1234学", "ordinary"),
    ("粤Ｚ１２３４港", "粤Z1234港", "ordinary"),
    ("京AD12345", "京AD12345", "new_energy"),
    ("沪A-F1B234", "沪AF1B234", None),
    ("陕A12345D", "陕A12345D", "new_energy"),
])
def test_examples_of_accepted_plates(typed, number, kind):
    if kind is None:  # F1B234: four digits must close a small new-energy plate
        with pytest.raises(DomainError):
            plate_check(typed)
        return
    assert plate_check(typed) == type(plate_check(typed))(number=number, kind=kind)


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter the plate number."),
    ("A12345", "A plate starts with a province abbreviation such as 京, 陕 or 粤."),
    ("陕A1234", "A plate has 7 characters (8 for new-energy vehicles); this one has 6."),
    ("陕A1234567", "A plate has 7 characters (8 for new-energy vehicles); this one has 9."),
    ("陕112345", "The second character is the issuing office's letter (A–Z, no I or O)."),
    ("陕A1O345", "Plates use no letters I or O (they would read as 1 and 0)."),
    ("陕A12学45", "After the province and office letter an ordinary plate has five letters or "
                 "digits (the last may be 学, 警, 挂, 港 or 澳)."),
    ("陕AX12345", "An 8-character new-energy plate continues with D, A, B, C, E, F, G, H, J "
                  "or K, one letter or digit and four digits (small vehicles), or five digits "
                  "and D or F (large vehicles)."),
])
def test_bad_plates_are_refused_with_the_reason(typed, message):
    with pytest.raises(DomainError) as error:
        plate_check(typed)
    assert error.value.message == message
