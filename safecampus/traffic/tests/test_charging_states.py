"""The charging state machines: every allowed and forbidden edge of the station's status and
of the fault's state (on the models and through the services), the fields refuse plain
assignment, a stale save is a conflict, and racing transitions on PostgreSQL: one wins, the
other gets a clear conflict."""

import pytest
from django.db import connection, transaction
from django.utils import translation
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from safecampus.core.errors import Conflict
from safecampus.tests.threads import race
from safecampus.traffic.models import ChargingFault, ChargingStation
from safecampus.traffic.services import charging as services

Status = ChargingStation.Status
FaultState = ChargingFault.State
IN, FAULT, OUT = Status.IN_SERVICE, Status.FAULT, Status.OUT_OF_SERVICE

#: (transition, from) → to; every other pair is refused.
STATION_EDGES = {
    ("report_fault", IN): FAULT,
    ("report_fault", FAULT): FAULT,
    ("mark_fixed", FAULT): IN,
    ("take_out_of_service", IN): OUT,
    ("take_out_of_service", FAULT): OUT,
    ("return_to_service", OUT): IN,
}
STATION_MATRIX = [(name, source, STATION_EDGES.get((name, source)))
                  for name in ("report_fault", "mark_fixed", "take_out_of_service",
                               "return_to_service")
                  for source in (IN, FAULT, OUT)]
FAULT_MATRIX = [("mark_fixed", FaultState.OPEN, FaultState.FIXED),
                ("mark_fixed", FaultState.FIXED, None)]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def station(org, **kwargs):
    kwargs.setdefault("campus_id", org.campus1.pk)
    kwargs.setdefault("name", "东区宿舍充电棚")
    kwargs.setdefault("operator_name", "安充科技")
    kwargs.setdefault("operator_unit_id", org.logistics.pk)
    kwargs.setdefault("points", 20)
    return services.charging_station_create(actor=org.users.staff, **kwargs)


def report(org, st, **kwargs):
    kwargs.setdefault("actor", org.users.student)
    kwargs.setdefault("description", "3号插座冒烟，有焦味")
    return services.charging_fault_report(station_id=st.pk, **kwargs)


def status_of(st):
    return ChargingStation.objects.values_list("status", flat=True).get(pk=st.pk)


# --- the models ------------------------------------------------------------------------------
def test_the_matrices_cover_every_pair():
    assert len(STATION_MATRIX) == 4 * len(Status)
    assert sum(1 for *_, target in STATION_MATRIX if target) == len(STATION_EDGES)
    assert len(FAULT_MATRIX) == len(FaultState)


@pytest.mark.django_db
@pytest.mark.parametrize("name, source, target", STATION_MATRIX)
def test_station_status_edges(org, name, source, target):
    st = ChargingStation.objects.create(campus=org.campus1, name="充电棚", operator_name="安充",
                                        status=source)
    if target is None:
        with pytest.raises(TransitionNotAllowed):
            getattr(st, name)()
        assert st.status == source
    else:
        getattr(st, name)()
        st.save()
        assert status_of(st) == target


@pytest.mark.django_db
@pytest.mark.parametrize("name, source, target", FAULT_MATRIX)
def test_fault_state_edges(org, name, source, target):
    st = ChargingStation.objects.create(campus=org.campus1, name="充电棚", operator_name="安充")
    fault = ChargingFault.objects.create(station=st, description="x", state=source)
    if target is None:
        with pytest.raises(TransitionNotAllowed):
            getattr(fault, name)()
        assert fault.state == source
    else:
        getattr(fault, name)()
        fault.save()
        assert ChargingFault.objects.get(pk=fault.pk).state == target


@pytest.mark.django_db
def test_the_fields_refuse_plain_assignment(org):
    st = ChargingStation.objects.create(campus=org.campus1, name="充电棚", operator_name="安充")
    fault = ChargingFault.objects.create(station=st, description="x")
    with pytest.raises(AttributeError):
        st.status = FAULT
    with pytest.raises(AttributeError):
        fault.state = FaultState.FIXED
    st.refresh_from_db()  # reading back from the database still works
    assert (st.status, fault.state) == (IN, FaultState.OPEN)


@pytest.mark.django_db
def test_a_save_over_a_state_changed_meanwhile_is_refused(org):
    st = ChargingStation.objects.create(campus=org.campus1, name="充电棚", operator_name="安充")
    first, second = ChargingStation.objects.get(pk=st.pk), ChargingStation.objects.get(pk=st.pk)
    first.report_fault()
    first.save()
    second.take_out_of_service()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()
    assert status_of(st) == FAULT


# --- the services ------------------------------------------------------------------------------
def _bring(org, st, state):
    """Put a fresh station (in service) into ``state`` the way the office and users do."""
    if state == FAULT:
        report(org, st)
    elif state == OUT:
        services.charging_station_status_set(actor=org.users.staff, station_id=st.pk,
                                             status=OUT, reason="线路改造")
    assert status_of(st) == state


def _report(org, st):
    report(org, st)


def _fix(org, st):
    fault = ChargingFault.objects.filter(station=st, state=FaultState.OPEN).first()
    if fault is None:  # a fixed fault, to show fixing it again is refused
        fault = ChargingFault.objects.create(station=st, description="x")
        fault.mark_fixed()
        fault.save()
    services.charging_fault_fix(actor=org.users.staff, fault_id=fault.pk)


def _out(org, st):
    services.charging_station_status_set(actor=org.users.staff, station_id=st.pk, status=OUT,
                                         reason="等待维修")


def _back(org, st):
    services.charging_station_status_set(actor=org.users.staff, station_id=st.pk, status=IN)


#: (service step, from) → (to, or the conflict's code and message)
SERVICE_MATRIX = [
    (_report, IN, FAULT),
    (_report, FAULT, FAULT),
    (_report, OUT, ("out_of_service",
                    "This station is out of service; no fault can be reported.")),
    (_fix, FAULT, IN),
    (_fix, IN, ("fixed", "This fault is already marked fixed.")),
    (_out, IN, OUT),
    (_out, FAULT, OUT),
    (_out, OUT, ("same_status", "The station is already Out of service.")),
    (_back, OUT, IN),
    (_back, IN, ("same_status", "The station is already In service.")),
    (_back, FAULT, ("fault_open", "A station with a fault goes back in service when its "
                                  "faults are marked fixed.")),
]


@pytest.mark.django_db
@pytest.mark.parametrize("step, source, outcome", SERVICE_MATRIX,
                         ids=lambda v: getattr(v, "__name__", None))
def test_service_edges(org, step, source, outcome):
    st = station(org)
    _bring(org, st, source)
    if isinstance(outcome, tuple):
        with pytest.raises(Conflict) as caught:
            step(org, st)
        assert (caught.value.code, caught.value.message) == outcome
        assert status_of(st) == source
    else:
        step(org, st)
        assert status_of(st) == outcome


@pytest.mark.django_db
def test_back_in_service_is_refused_while_a_fault_is_open(org):
    st = station(org)
    _bring(org, st, FAULT)
    _out(org, st)
    with pytest.raises(Conflict) as caught:
        _back(org, st)
    assert (caught.value.code, caught.value.message) == (
        "fault_open", "This station has open faults; mark them fixed first.")
    _fix(org, st)  # fixing does not switch an out-of-service station back on
    assert status_of(st) == OUT
    _back(org, st)
    assert status_of(st) == IN


# --- races (PostgreSQL) ---------------------------------------------------------------------
@pytest.fixture
def _postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; SQLite serialises "
                    "writers, so there is no race to test (run with DATABASE_URL=postgres://…)")


def _errors(outcomes):
    return [error for _result, error in outcomes if error is not None]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_people_fixing_the_same_fault_at_once(_postgres, org):
    st = station(org)
    fault = report(org, st)
    outcomes = race([lambda: services.charging_fault_fix(actor=org.users.staff,
                                                          fault_id=fault.pk)
                     for _ in range(2)])
    errors = _errors(outcomes)
    assert len(errors) == 1 and isinstance(errors[0], Conflict)
    assert (errors[0].code, errors[0].message) == ("fixed", "This fault is already marked fixed.")
    assert ChargingFault.objects.get().state == FaultState.FIXED
    assert status_of(st) == IN


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_people_taking_a_station_out_of_service_at_once(_postgres, org):
    st = station(org)
    outcomes = race([lambda: _out(org, st) for _ in range(2)])
    errors = _errors(outcomes)
    assert len(errors) == 1 and isinstance(errors[0], Conflict)
    assert (errors[0].code, errors[0].message) == ("same_status",
                                                   "The station is already Out of service.")
    assert status_of(st) == OUT


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_fault_report_racing_the_switch_off(_postgres, org):
    st = station(org)
    outcomes = race([lambda: report(org, st), lambda: _out(org, st)])
    (fault, report_error), (_station, out_error) = outcomes
    assert out_error is None  # switching off is allowed from in service and from fault
    if report_error is not None:  # switched off first: the report is refused, nothing written
        assert isinstance(report_error, Conflict) and report_error.code == "out_of_service"
        assert not ChargingFault.objects.exists()
    else:  # reported first: the fault stays open on the switched-off station
        assert ChargingFault.objects.get().pk == fault.pk
    assert status_of(st) == OUT
