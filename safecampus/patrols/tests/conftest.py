"""Patrol tests read messages in English (the pages are asked for in English too)."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield
