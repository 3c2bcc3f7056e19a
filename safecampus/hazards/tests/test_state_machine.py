"""Every allowed and forbidden edge of ``Hazard.status`` (house rule 4).

Three layers: the declared FSM against a table written out here; the services, where an
illegal call raises Conflict and writes nothing; and a property test that drives random
sequences of service calls by random actors and checks the invariants of the loop.
"""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import translation
from django_fsm import can_proceed
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError
from safecampus.core.models import ActivityEntry
from safecampus.hazards import services
from safecampus.hazards.models import Evidence, Hazard, RectificationNotice, Status
from safecampus.tests.factories import photo_upload

from .helpers import acknowledged, confirmed, fresh, noticed, rectifying, reported, submitted

S = Status


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the msgids), whatever translations are compiled."""
    with translation.override("en"):
        yield

UNIT_WORK = [S.NOTICE_ISSUED, S.ACKNOWLEDGED, S.RECTIFYING, S.EVIDENCE_SUBMITTED, S.RETURNED]

#: transition name → {source state: target state}. Anything not listed is forbidden.
EXPECTED = {
    "confirm": {S.REPORTED: S.CONFIRMED},
    "reject": {S.REPORTED: S.REJECTED},
    "mark_duplicate": {S.REPORTED: S.DUPLICATE},
    "fix_on_spot": {S.CONFIRMED: S.FIXED_ON_SPOT},
    "issue_notice": {S.CONFIRMED: S.NOTICE_ISSUED},
    "acknowledge": {S.NOTICE_ISSUED: S.ACKNOWLEDGED},
    "start_rectification": {S.ACKNOWLEDGED: S.RECTIFYING, S.RETURNED: S.RECTIFYING},
    "submit_evidence": {S.RECTIFYING: S.EVIDENCE_SUBMITTED},
    "verify": {S.EVIDENCE_SUBMITTED: S.CLOSED},
    "return_for_rework": {S.EVIDENCE_SUBMITTED: S.RETURNED},
    "reroute": dict.fromkeys(UNIT_WORK, S.CONFIRMED),
}
ALLOWED_EDGES = {(src, dst) for table in EXPECTED.values() for src, dst in table.items()}

CASES = [(state, name) for state in Status.values for name in EXPECTED]


def _declared():
    field = Hazard._meta.get_field("status")
    return {(t.source, t.name, t.target) for t in field.get_all_transitions(Hazard)}


def test_declared_transitions_are_exactly_the_table():
    # given the FSM as declared on the model / then it matches the table edge for edge
    expected = {(src, name, dst) for name, table in EXPECTED.items() for src, dst in table.items()}
    assert _declared() == expected
    # and the model helper lists the same transitions
    via_helper = {(t.source, t.name, t.target) for t in Hazard().get_all_status_transitions()}
    assert via_helper == expected


@pytest.mark.parametrize(("state", "name"), CASES, ids=[f"{s}-{n}" for s, n in CASES])
def test_can_proceed_matches_table(state, name):
    # given a hazard in ``state``
    hazard = Hazard(status=state)
    allowed = state in EXPECTED[name]
    # when asking whether transition ``name`` may run / then the answer follows the table
    assert can_proceed(getattr(hazard, name)) is allowed
    if allowed:
        getattr(hazard, name)()
        assert hazard.status == EXPECTED[name][state]


def test_status_field_is_protected():
    hazard = Hazard(status=S.REPORTED)
    with pytest.raises(AttributeError):
        hazard.status = S.CLOSED


# --- the same edges through the services ---------------------------------------------------
def _reject(org, h):
    return services.hazard_reject(actor=org.users.staff, hazard_id=h.pk, reason="不是隐患")


def _duplicate(org, h):
    original = confirmed(org, title="原隐患")
    return services.hazard_mark_duplicate(actor=org.users.staff, hazard_id=h.pk,
                                          duplicate_of_id=original.pk)


def _fixed(org, h):
    return services.hazard_fix_on_spot(actor=org.users.staff, hazard_id=h.pk, text="当场整改",
                                       photos=[photo_upload()])


def _returned(org):
    h, _n = submitted(org)
    return services.hazard_return(actor=org.users.staff, hazard_id=h.pk, reason="照片不清楚")


def _closed(org):
    h, _n = submitted(org)
    return services.hazard_verify(actor=org.users.staff, hazard_id=h.pk)


BUILD = {
    S.REPORTED: lambda org: reported(org),
    S.CONFIRMED: lambda org: confirmed(org),
    S.REJECTED: lambda org: _reject(org, reported(org)),
    S.DUPLICATE: lambda org: _duplicate(org, reported(org)),
    S.FIXED_ON_SPOT: lambda org: _fixed(org, confirmed(org)),
    S.NOTICE_ISSUED: lambda org: noticed(org)[0],
    S.ACKNOWLEDGED: lambda org: acknowledged(org)[0],
    S.RECTIFYING: lambda org: rectifying(org)[0],
    S.EVIDENCE_SUBMITTED: lambda org: submitted(org)[0],
    S.RETURNED: _returned,
    S.CLOSED: _closed,
}

# service name → (states it may run from, call)
SERVICES = {
    "confirm": ({S.REPORTED}, lambda org, h: services.hazard_confirm(
        actor=org.users.staff, hazard_id=h.pk, version=h.version)),
    "reject": ({S.REPORTED}, lambda org, h: services.hazard_reject(
        actor=org.users.staff, hazard_id=h.pk, version=h.version, reason="不予受理")),
    "mark_duplicate": ({S.REPORTED}, lambda org, h: services.hazard_mark_duplicate(
        actor=org.users.staff, hazard_id=h.pk, version=h.version,
        duplicate_of_id=Hazard.objects.exclude(pk=h.pk).order_by("pk").first().pk)),
    "fix_on_spot": ({S.CONFIRMED}, lambda org, h: services.hazard_fix_on_spot(
        actor=org.users.staff, hazard_id=h.pk, version=h.version, text="当场整改",
        photos=[photo_upload()])),
    "notice_issue": ({S.CONFIRMED}, lambda org, h: services.notice_issue(
        actor=org.users.staff, hazard_ids=[h.pk], requirements="整改", deadline_days=7)),
    "start_rectification": ({S.ACKNOWLEDGED, S.RETURNED},
                            lambda org, h: services.hazard_start_rectification(
                                actor=org.users.contact_a, hazard_id=h.pk, version=h.version)),
    "evidence_submit": ({S.RECTIFYING}, lambda org, h: services.evidence_submit(
        actor=org.users.contact_a, hazard_id=h.pk, version=h.version, text="已整改",
        photos=[photo_upload()])),
    "verify": ({S.EVIDENCE_SUBMITTED}, lambda org, h: services.hazard_verify(
        actor=org.users.staff, hazard_id=h.pk, version=h.version)),
    "return": ({S.EVIDENCE_SUBMITTED}, lambda org, h: services.hazard_return(
        actor=org.users.staff, hazard_id=h.pk, version=h.version, reason="不合格")),
}
ILLEGAL = [(state, name) for state in Status.values for name, (ok, _c) in SERVICES.items()
           if state not in ok]
LEGAL = [(state, name) for state in Status.values for name, (ok, _c) in SERVICES.items()
         if state in ok]


def _snapshot(h):
    h = fresh(h)
    return (h.status, h.version, h.closed_at, h.current_notice_id, ActivityEntry.objects.count(),
            Evidence.objects.count(), RectificationNotice.objects.count())


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "name"), ILLEGAL, ids=[f"{s}-{n}" for s, n in ILLEGAL])
def test_illegal_service_call_is_a_conflict_and_changes_nothing(org, state, name):
    # given a hazard walked to ``state`` by the real services
    hazard = fresh(BUILD[state](org))
    assert hazard.status == state
    if name == "mark_duplicate" and Hazard.objects.count() == 1:
        confirmed(org, title="另一隐患")
    before = _snapshot(hazard)
    # when a service that does not apply to this state is called by an authorised actor
    with pytest.raises(Conflict) as excinfo:
        SERVICES[name][1](org, hazard)
    # then it is a conflict naming the current state, and nothing was written
    if name != "notice_issue":
        assert excinfo.value.code == "illegal_transition"
        assert excinfo.value.message == (
            f"This cannot be done while the hazard is “{hazard.get_status_display()}”."
        )
    else:
        assert excinfo.value.message == (
            f"{hazard.reference} is “{hazard.get_status_display()}” and cannot be put on a notice."
        )
    assert _snapshot(hazard) == before


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "name"), LEGAL, ids=[f"{s}-{n}" for s, n in LEGAL])
def test_legal_service_call_moves_along_one_edge_with_one_entry(org, state, name):
    # given a hazard in ``state``
    hazard = fresh(BUILD[state](org))
    if name == "mark_duplicate":
        confirmed(org, title="另一隐患")
    entries = ActivityEntry.objects.count()
    # when the service for an allowed edge runs
    SERVICES[name][1](org, hazard)
    after = fresh(hazard)
    # then the hazard took exactly that edge, its version went up, and the timeline has it
    assert (state, after.status) in ALLOWED_EDGES
    assert after.version > hazard.version
    last = list(activity_for(after).filter(to_state=after.status))[-1]
    assert (last.from_state, last.to_state) == (state, after.status)
    assert ActivityEntry.objects.count() > entries


@pytest.mark.django_db
def test_acknowledging_a_notice_twice_is_a_conflict(org):
    # given a notice already signed for
    hazard, notice = acknowledged(org)
    before = _snapshot(hazard)
    # when the unit signs again / then it is refused and nothing changes
    with pytest.raises(Conflict) as excinfo:
        services.notice_acknowledge(actor=org.users.contact_a, notice_id=notice.pk)
    assert excinfo.value.message == (
        "This notice is “Acknowledged” and cannot be signed for again."
    )
    assert _snapshot(hazard) == before


# --- property test ---------------------------------------------------------------------------
ACTIONS = [
    "confirm", "reject", "duplicate", "fix_on_spot", "issue_notice", "acknowledge", "start",
    "evidence", "verify", "return", "reroute", "extension",
]
ACTORS = ["admin", "staff", "staff2", "guard", "grid", "contact_a", "leader_a", "contact_b",
          "contact_log", "police", "leadership", "student", "student2"]


def _act(org, action, actor, hazard, other):
    """Call the service for ``action`` on ``hazard`` as ``actor`` (any outcome allowed)."""
    h = fresh(hazard)
    if action == "confirm":
        services.hazard_confirm(actor=actor, hazard_id=h.pk, version=h.version)
    elif action == "reject":
        services.hazard_reject(actor=actor, hazard_id=h.pk, version=h.version, reason="否")
    elif action == "duplicate":
        services.hazard_mark_duplicate(actor=actor, hazard_id=h.pk, duplicate_of_id=other.pk)
    elif action == "fix_on_spot":
        services.hazard_fix_on_spot(actor=actor, hazard_id=h.pk, text="修好",
                                    photos=[photo_upload()])
    elif action == "issue_notice":
        services.notice_issue(actor=actor, hazard_ids=[h.pk], requirements="整改",
                              deadline_days=3)
    elif action == "acknowledge":
        if h.current_notice_id:
            services.notice_acknowledge(actor=actor, notice_id=h.current_notice_id)
    elif action == "start":
        services.hazard_start_rectification(actor=actor, hazard_id=h.pk)
    elif action == "evidence":
        services.evidence_submit(actor=actor, hazard_id=h.pk, text="已整改",
                                 photos=[photo_upload()])
    elif action == "verify":
        services.hazard_verify(actor=actor, hazard_id=h.pk, version=h.version)
    elif action == "return":
        services.hazard_return(actor=actor, hazard_id=h.pk, reason="不合格")
    elif action == "reroute":
        target = org.place_b if h.place_id == org.place_a.pk else org.place_a
        services.hazard_update_location(actor=actor, hazard_id=h.pk, category_id=h.category_id,
                                        campus_id=target.campus_id, place_id=target.pk)
    elif action == "extension":
        services.extension_request(actor=actor, hazard_id=h.pk,
                                   requested_deadline=dt.date(2026, 12, 31), reason="材料未到")


#: the actor whose role fits the action; drawn half of the time so that runs get far
RIGHT_ACTOR = {
    "confirm": "staff", "reject": "staff", "duplicate": "staff", "fix_on_spot": "staff",
    "issue_notice": "staff", "acknowledge": "contact_a", "start": "contact_a",
    "evidence": "contact_a", "verify": "admin", "return": "staff2", "reroute": "staff",
    "extension": "contact_a",
}
#: actions that end a hazard early are drawn less often than those that move it along
WEIGHTED_ACTIONS = [a for a in ACTIONS for _ in range(1 if a in ("reject", "duplicate") else 4)]
#: the action that moves a hazard on from its state (a "forward" step of the loop)
FORWARD = {
    S.REPORTED: "confirm", S.CONFIRMED: "issue_notice", S.NOTICE_ISSUED: "acknowledge",
    S.ACKNOWLEDGED: "start", S.RECTIFYING: "evidence", S.EVIDENCE_SUBMITTED: "verify",
    S.RETURNED: "start",
}
STEPS = st.lists(
    st.tuples(st.booleans(), st.sampled_from(WEIGHTED_ACTIONS),
              st.sampled_from(ACTORS + ["right"] * len(ACTORS)), st.integers(0, 1)),
    min_size=5, max_size=40,
)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
def test_random_service_sequences_keep_the_loop_consistent(steps):
    from safecampus.tests.factories import build_org

    with transaction.atomic():  # each example starts from a fresh organisation
        with clock.frozen(dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)):
            org = build_org()
            hazards = [reported(org), reported(org, title="电线裸露", category_id=org.electrical.pk)]
            seen = {h.pk: (h.status, h.version, _last_entry_id(h)) for h in hazards}
            furthest = S.REPORTED
            for forward, action, actor_name, index in steps:
                hazard, other = hazards[index], hazards[1 - index]
                if forward and seen[hazard.pk][0] in FORWARD:  # the next step, by the right role
                    action, actor_name = FORWARD[seen[hazard.pk][0]], "right"
                if actor_name == "right":
                    actor_name = RIGHT_ACTOR[action]
                actor = getattr(org.users, actor_name)
                failed = False
                try:
                    _act(org, action, actor, hazard, other)
                except DomainError:
                    failed = True
                for h in hazards:
                    seen[h.pk] = _check(h, seen[h.pk], failed=failed)
                    furthest = max(furthest, seen[h.pk][0], key=_depth)
            event(f"furthest state: {furthest}")
        transaction.set_rollback(True)


def _depth(status: str) -> int:
    order = [S.REPORTED, S.REJECTED, S.DUPLICATE, S.CONFIRMED, S.FIXED_ON_SPOT, S.NOTICE_ISSUED,
             S.ACKNOWLEDGED, S.RECTIFYING, S.EVIDENCE_SUBMITTED, S.RETURNED, S.CLOSED]
    return order.index(status)


def _last_entry_id(h) -> int:
    return activity_for(h).order_by("-id").values_list("id", flat=True).first() or 0


def _check(h, previous, *, failed):
    old_status, old_version, last_id = previous
    h = fresh(h)
    # the state is one of the declared ones, reached along a declared edge
    assert h.status in Status.values
    new_entries = list(activity_for(h).filter(id__gt=last_id).exclude(to_state=""))
    if h.status != old_status:
        assert not failed, "a refused call must not change the state"
        assert (old_status, h.status) in ALLOWED_EDGES
        # exactly one timeline entry records the change, with matching from/to
        assert [(e.from_state, e.to_state) for e in new_entries] == [(old_status, h.status)]
        assert h.version > old_version
    else:
        assert new_entries == []
        assert h.version >= old_version
    if failed:
        assert h.version == old_version
    if h.status in (S.CLOSED, S.FIXED_ON_SPOT):
        assert h.closed_at is not None
    else:
        assert h.closed_at is None
    return h.status, h.version, _last_entry_id(h)


@pytest.mark.django_db
def test_merging_a_hazard_into_its_own_duplicate_is_refused(org):
    # given B was merged into A
    a = reported(org, title="A")
    b = reported(org, title="B")
    services.hazard_mark_duplicate(actor=org.users.staff, hazard_id=b.pk, duplicate_of_id=a.pk)
    before = _snapshot(a)
    # when the office tries to merge A into B (which points back to A)
    with pytest.raises(DomainError) as excinfo:
        services.hazard_mark_duplicate(actor=org.users.staff, hazard_id=a.pk, duplicate_of_id=b.pk)
    # then it is refused: A would be its own duplicate and the hazard lost
    message = f"{b.reference} was merged into this hazard already."
    assert excinfo.value.message == message
    assert excinfo.value.field_errors == {"duplicate_of": [message]}
    assert _snapshot(a) == before
    assert fresh(a).duplicate_of_id is None


@pytest.mark.django_db
def test_merging_into_a_duplicate_points_to_the_original(org):
    a = reported(org, title="A")
    b = reported(org, title="B")
    c = reported(org, title="C")
    services.hazard_mark_duplicate(actor=org.users.staff, hazard_id=b.pk, duplicate_of_id=a.pk)
    services.hazard_mark_duplicate(actor=org.users.staff, hazard_id=c.pk, duplicate_of_id=b.pk)
    assert fresh(c).duplicate_of_id == a.pk
