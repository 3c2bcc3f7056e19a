"""Core geo: parsing decimal degrees, the haversine distance and the phone's record id."""

import uuid
from decimal import Decimal

import pytest

from safecampus.core.geo import (
    LATITUDE_LIMIT,
    LONGITUDE_LIMIT,
    BadCoordinate,
    client_uuid,
    distance_m,
    parse_degrees,
)


def test_distance_of_a_hundredth_degree_of_latitude_is_about_1112_metres():
    assert round(distance_m("34.25", "108.98", "34.26", "108.98")) == 1112
    assert round(distance_m(Decimal("34.250100"), 108.98, 34.25, "108.980000")) == 11
    assert distance_m(34.25, 108.98, 34.25, 108.98) == 0


def test_distance_along_a_parallel_shrinks_with_latitude():
    at_equator = distance_m(0, 0, 0, 1)
    assert round(at_equator) == 111_195
    assert distance_m(60, 0, 60, 1) == pytest.approx(at_equator / 2, rel=1e-3)


def test_antipodes_are_half_the_circumference_apart():
    assert distance_m(0, 0, 0, 180) == pytest.approx(3.141592653589793 * 6_371_000)


def test_client_uuid_reads_uuids_and_their_text():
    value = uuid.uuid4()
    assert client_uuid(value) is value
    assert client_uuid(str(value)) == value
    assert client_uuid(str(value).upper().replace("-", "")) == value


@pytest.mark.parametrize("value", [None, "", "not-a-uuid", "1234", 42, ["x"]])
def test_client_uuid_is_none_for_anything_else(value):
    assert client_uuid(value) is None


@pytest.mark.parametrize(("value", "limit", "expected"), [
    (None, LATITUDE_LIMIT, None), ("", LATITUDE_LIMIT, None), ("  ", LONGITUDE_LIMIT, None),
    ("34.2460004", LATITUDE_LIMIT, Decimal("34.246000")),
    (" -90 ", LATITUDE_LIMIT, Decimal("-90.000000")),
    (108.983, LONGITUDE_LIMIT, Decimal("108.983000")),
    (Decimal("180"), LONGITUDE_LIMIT, Decimal("180.000000")), (0, LATITUDE_LIMIT, Decimal(0)),
])
def test_parse_degrees_rounds_to_six_places_and_treats_blank_as_missing(value, limit,
                                                                        expected):
    assert parse_degrees(value, limit=limit) == expected


@pytest.mark.parametrize(("value", "limit", "reason"), [
    ("34°14'45\"", LATITUDE_LIMIT, "not_a_number"), ("abc", LATITUDE_LIMIT, "not_a_number"),
    ("nan", LATITUDE_LIMIT, "not_a_number"), (True, LATITUDE_LIMIT, "not_a_number"),
    ("90.0000001", LATITUDE_LIMIT, "out_of_range"), (-180.5, LONGITUDE_LIMIT, "out_of_range"),
    (float("inf"), LONGITUDE_LIMIT, "out_of_range"), ("120", LATITUDE_LIMIT, "out_of_range"),
])
def test_parse_degrees_refuses_text_and_values_out_of_range(value, limit, reason):
    with pytest.raises(BadCoordinate) as bad:
        parse_degrees(value, limit=limit)
    assert bad.value.reason == reason
