"""Core geo: the haversine distance and the phone's record id."""

import uuid
from decimal import Decimal

import pytest

from safecampus.core.geo import client_uuid, distance_m


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
