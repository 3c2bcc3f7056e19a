"""Project-wide pytest set-up: factories, role users, and the real-data folder."""

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Property tests check behaviour, not speed (speed is measured by `make bench`): no per-example
# deadline, which a loaded CI machine would otherwise turn into random failures.
hypothesis_settings.register_profile("safecampus", deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("safecampus")

SHARED_DATA = Path(
    os.environ.get("SAFECAMPUS_SHARED_DATA", Path(__file__).resolve().parent.parent / "shared" / "data")
)


@pytest.fixture
def shared_data() -> Path:
    """The real data folder (../shared/data); tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is not present")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    shutil.rmtree(tmp_path / "media", ignore_errors=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (dashboard figures live there)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def org(db):
    """A small university: 2 campuses, units, buildings, places, categories, one user per role."""
    from safecampus.tests.factories import build_org

    return build_org()
