"""Idempotency keys replay only the caller's own record."""

import pytest

from safecampus.core.errors import Conflict
from safecampus.hazards.models import Hazard
from safecampus.hazards.tests.helpers import reported

pytestmark = pytest.mark.django_db


def test_same_user_same_key_replays_the_first_record(org):
    first = reported(org, idempotency_key="abcdefgh-1234")
    again = reported(org, idempotency_key="abcdefgh-1234")
    assert again.pk == first.pk
    assert Hazard.objects.count() == 1


def test_another_users_key_is_a_conflict_and_writes_nothing(org):
    reported(org, idempotency_key="abcdefgh-1234")
    with pytest.raises(Conflict) as excinfo:
        reported(org, reporter=org.users.student2, idempotency_key="abcdefgh-1234")
    assert excinfo.value.code == "idempotency_key_reused"
    assert Hazard.objects.count() == 1
