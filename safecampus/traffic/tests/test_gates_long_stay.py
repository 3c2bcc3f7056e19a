"""Long-stay detection: per plate the latest pass decides; out then in again; in with no out;
exactly at the boundary; no-plate passes ignored; cases opened once per plate through the
abandoned-vehicle service; the nightly task."""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.core.errors import NotAllowed
from safecampus.traffic.models import AbandonedVehicleCase
from safecampus.traffic.selectors.gates import long_stay_candidates, vehicles_inside_count
from safecampus.traffic.services import abandoned
from safecampus.traffic.services import gates as services

from .gate_helpers import batch, gate, local, passes

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 30, 12, 0)
DAYS = 30
CUTOFF = NOW - dt.timedelta(days=DAYS)


@pytest.fixture(autouse=True)
def _now():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def north(org):
    return gate(org, "N1", "北门")


def plates(**kwargs):
    return [c.plate for c in long_stay_candidates(days=DAYS, at=NOW, **kwargs)]


def test_the_latest_pass_decides(org, north):
    job = batch(org)
    second = gate(org, "S2", "南门", campus=org.campus2)
    passes(north, job,
           # in 40 days ago, never out → candidate
           ("陕A00001", "in", NOW - dt.timedelta(days=40)),
           # in, out, in again 35 days ago → candidate (the latest is an entry)
           ("陕A00002", "in", NOW - dt.timedelta(days=60)),
           ("陕A00002", "out", NOW - dt.timedelta(days=50)),
           ("陕A00002", "in", NOW - dt.timedelta(days=35)),
           # in 40 days ago, out yesterday → not
           ("陕A00003", "in", NOW - dt.timedelta(days=40)),
           ("陕A00003", "out", NOW - dt.timedelta(days=1)),
           # in 10 days ago → not yet
           ("陕A00004", "in", NOW - dt.timedelta(days=10)),
           # exactly at the boundary → not (inside exactly 30 days, not longer)
           ("陕A00005", "in", CUTOFF),
           # a microsecond before the boundary → candidate
           ("陕A00006", "in", CUTOFF - dt.timedelta(microseconds=1)),
           # no-plate passes are ignored
           ("", "in", NOW - dt.timedelta(days=90)),
           # out as the latest pass, long ago → not inside
           ("陕A00007", "out", NOW - dt.timedelta(days=90)))
    # a later pass through another campus's gate still counts (the plate left)
    passes(second, job, ("陕A00008", "in", NOW - dt.timedelta(days=45)),
           ("陕A00008", "out", NOW - dt.timedelta(days=44)),
           ("陕A00008", "in", NOW - dt.timedelta(days=43)))
    # oldest entry first
    assert plates() == ["陕A00008", "陕A00001", "陕A00002", "陕A00006"]
    found = {c.plate: c for c in long_stay_candidates(days=DAYS, at=NOW)}
    assert sorted(found) == ["陕A00001", "陕A00002", "陕A00006", "陕A00008"]
    assert found["陕A00001"].days_inside == 40
    assert found["陕A00001"].entered_at == NOW - dt.timedelta(days=40)
    assert (found["陕A00008"].gate_name, found["陕A00008"].campus_id) == ("南门", org.campus2.pk)
    # inside now: 1, 2, 4, 5, 6, 8 (3 and 7 are out; no-plate ignored)
    assert vehicles_inside_count(at=NOW) == 6


def test_same_time_in_and_out_is_decided_by_the_later_record(org, north):
    job = batch(org)
    at = NOW - dt.timedelta(days=40)
    passes(north, job, ("陕A00009", "in", at), ("陕A00009", "out", at))
    passes(north, job, ("陕A00010", "out", at), ("陕A00010", "in", at))
    assert plates() == ["陕A00010"]


def test_cases_are_opened_once_per_plate(org, north):
    job = batch(org)
    passes(north, job, ("陕A00001", "in", NOW - dt.timedelta(days=40)),
           ("陕A00002", "in", NOW - dt.timedelta(days=31)),
           ("陕A00003", "in", NOW - dt.timedelta(days=3)))
    opened = services.long_stay_cases_open(actor=org.users.staff, days=DAYS)
    assert sorted(c.plate for c in opened) == ["陕A00001", "陕A00002"]
    case = AbandonedVehicleCase.objects.get(plate="陕A00001")
    assert (case.source, case.state, case.campus_id, case.reported_by) == (
        "long_stay", "suspected", org.campus1.pk, None)
    assert case.last_entry_at == NOW - dt.timedelta(days=40)
    assert case.source_ref.startswith("traffic.gate_record:")
    assert plates(exclude_handled=True) == []
    # a second run opens nothing new
    assert services.long_stay_cases_open(days=DAYS) == []
    assert AbandonedVehicleCase.objects.count() == 2


@pytest.mark.parametrize("closed", ["dismissed", "moved"])
def test_a_closed_case_covers_its_stay_until_a_newer_entry(org, north, closed):
    """Dismissed (in use) or marked moved while the camera missed the exit: the same
    unchanged entry opens no new case night after night; a newer entry that stays too long
    again does."""
    job = batch(org)
    passes(north, job, ("陕A00001", "in", NOW - dt.timedelta(days=40)))
    (case,) = services.long_stay_cases_open(days=DAYS)
    if closed == "dismissed":
        abandoned.abandoned_dismiss(actor=org.users.staff, case_id=case.pk,
                                    reason="教职工的车，长期停放")
    else:
        abandoned.abandoned_mark_moved(actor=org.users.staff, case_id=case.pk)
    assert AbandonedVehicleCase.objects.get(pk=case.pk).state == closed
    assert services.long_stay_cases_open(days=DAYS) == []
    assert plates(exclude_handled=True) == []
    assert plates() == ["陕A00001"]  # still a candidate on the page, with its closed case
    # the next nights: still nothing
    with clock.frozen(NOW + dt.timedelta(days=3)):
        assert services.long_stay_cases_open(days=DAYS) == []
    assert AbandonedVehicleCase.objects.count() == 1
    # it left unseen and came back 31 days ago: a new stay, a new case
    passes(north, job, ("陕A00001", "in", NOW - dt.timedelta(days=31)))
    (again,) = services.long_stay_cases_open(days=DAYS)
    assert (again.plate, again.last_entry_at) == ("陕A00001", NOW - dt.timedelta(days=31))
    assert again.pk != case.pk


def test_a_closed_case_without_entry_or_of_an_older_stay_does_not_cover(org, north):
    """A guard's case (no last entry) that was closed, or a case about an earlier stay, does
    not stand for the current stay; an open case of the plate always blocks."""
    job = batch(org)
    passes(north, job, ("陕A00001", "in", NOW - dt.timedelta(days=40)),
           ("陕A00002", "in", NOW - dt.timedelta(days=40)),
           ("陕A00003", "in", NOW - dt.timedelta(days=40)))
    opened = {c.plate: c for c in services.long_stay_cases_open(days=DAYS)}
    cases = AbandonedVehicleCase.objects
    cases.filter(pk=opened["陕A00001"].pk).update(state="dismissed", last_entry_at=None)
    cases.filter(pk=opened["陕A00002"].pk).update(
        state="dismissed", last_entry_at=NOW - dt.timedelta(days=41))
    cases.filter(pk=opened["陕A00003"].pk).update(last_entry_at=None)  # open, guard's report
    assert plates(exclude_handled=True) == ["陕A00001", "陕A00002"]
    assert sorted(c.plate for c in services.long_stay_cases_open(days=DAYS)) == [
        "陕A00001", "陕A00002"]


def test_only_the_office_runs_detection_and_days_must_be_positive(org, north):
    from safecampus.core.errors import DomainError

    with pytest.raises(NotAllowed):
        services.long_stay_cases_open(actor=org.users.guard)
    with pytest.raises(DomainError):
        services.long_stay_cases_open(actor=org.users.staff, days=0)


def test_the_nightly_task_uses_the_setting(org, north, settings):
    from safecampus.traffic.tasks.gates import gate_long_stay_nightly

    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "GATE_LONG_STAY_DAYS": 20}
    passes(north, batch(org), ("陕A00001", "in", NOW - dt.timedelta(days=25)))
    gate_long_stay_nightly()
    assert AbandonedVehicleCase.objects.filter(plate="陕A00001", source="long_stay").exists()


def test_every_strategy_finds_the_same_set(org, north):
    from django.db import connection

    job = batch(org)
    passes(north, job, ("陕A00001", "in", NOW - dt.timedelta(days=40)),
           ("陕A00002", "in", NOW - dt.timedelta(days=60)),
           ("陕A00002", "out", NOW - dt.timedelta(days=50)),
           ("陕A00003", "in", NOW - dt.timedelta(days=45)),
           ("陕A00003", "out", NOW - dt.timedelta(days=44)),
           ("陕A00003", "in", NOW - dt.timedelta(days=43)),
           ("", "in", NOW - dt.timedelta(days=90)))
    strategies = ["skip", "distinct"] if connection.vendor == "postgresql" else ["window"]
    for strategy in strategies:
        found = long_stay_candidates(days=DAYS, at=NOW, strategy=strategy)
        assert [c.plate for c in found] == ["陕A00003", "陕A00001"], strategy
    # a case that handled 陕A00003's current stay (dismissed) and one about its earlier stay
    # (the exit 44 days ago shows it left): every strategy leaves out only the handled one
    (case,) = [c for c in services.long_stay_cases_open(days=DAYS) if c.plate == "陕A00003"]
    AbandonedVehicleCase.objects.filter(pk=case.pk).update(state="dismissed")
    AbandonedVehicleCase.objects.filter(plate="陕A00001").update(
        state="dismissed", last_entry_at=NOW - dt.timedelta(days=41))
    for strategy in strategies:
        found = long_stay_candidates(days=DAYS, at=NOW, strategy=strategy, exclude_handled=True)
        assert [c.plate for c in found] == ["陕A00001"], strategy
