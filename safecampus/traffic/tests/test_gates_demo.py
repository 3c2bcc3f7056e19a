"""The demo's gate records (safecampus/demo/traffic_gates.py) at any time of day: nothing it
writes (gates, passes, imports and their times) is after the moment it was loaded."""

import datetime as dt
import random
from types import SimpleNamespace

import pytest

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.demo.traffic_gates import GATES, GateDemo
from safecampus.tests.factories import CampusFactory, user_with_role
from safecampus.traffic.models import Gate, GateImport, GateRecord

from .gate_helpers import local

pytestmark = pytest.mark.django_db


def _world(org) -> SimpleNamespace:
    campuses = [org.campus1, org.campus2, CampusFactory(), CampusFactory()]
    return SimpleNamespace(campuses=dict(zip(GATES, campuses, strict=True)))


@pytest.mark.parametrize("now", [
    local(2026, 11, 30, 18, 36),  # the commuters are leaving: the last pass minutes ago
    local(2026, 11, 30, 9, 5),
    local(2026, 11, 29, 0, 20),  # a Sunday, just after midnight
])
def test_the_demo_writes_no_gate_time_after_now(org, now):
    user_with_role(Role.OFFICE_STAFF, username="inspector2")
    demo = GateDemo(random.Random(7), _world(org), now)
    for at, event in demo.events():  # as the demo's replay runs them
        assert at <= now
        with clock.frozen(at):
            event()
    with clock.frozen(now):
        demo.backdate()
    assert GateRecord.objects.count() == demo.counts["gate_records"] > 1000
    imports = GateImport.objects.filter(state=GateImport.State.IMPORTED)
    assert imports.count() >= 6
    assert GateImport.objects.filter(state=GateImport.State.REJECTED).count() == 1
    latest = max(imports.values_list("imported_at", flat=True))
    assert latest <= now
    for field in ("created_at", "updated_at", "imported_at", "last_passed_at"):
        assert not GateImport.objects.filter(**{f"{field}__gt": now}).exists(), field
    for field in ("created_at", "updated_at"):
        assert not Gate.objects.filter(**{f"{field}__gt": now}).exists(), field
    assert not GateRecord.objects.filter(passed_at__gt=now).exists()
    for job in imports:  # each file was imported after its last pass
        assert job.first_passed_at <= job.last_passed_at <= job.imported_at
        assert job.created_at == job.imported_at
    # the newest import is dated now only when its last pass is less than two hours old
    newest = imports.order_by("-imported_at").first()
    assert newest.imported_at == min(newest.last_passed_at + dt.timedelta(hours=2), now)
