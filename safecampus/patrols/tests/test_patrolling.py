"""Checkpoint codes, rounds across midnight, scans and the missed-checkpoint sweep."""

import datetime as dt
import uuid

import pytest
from django.conf import settings
from django.core import signing
from django.utils import translation
from django.utils.translation import gettext

from safecampus.core import clock
from safecampus.core.errors import Conflict, DomainError
from safecampus.notifications.models import Notification
from safecampus.patrols.models import CheckpointScan, PatrolRound, PatrolShift
from safecampus.patrols.services import patrolling

from .helpers import build_route, local, scan

pytestmark = pytest.mark.django_db
NIGHT = dt.date(2026, 11, 30)  # a Monday


@pytest.fixture
def night(org):
    """The route and tonight's shift (22:00 Mon – 06:00 Tue, 4 rounds of 2 h, 30-min windows)."""
    built = build_route(org)
    built.shift = patrolling.shift_plan(schedule=built.schedule, day=NIGHT)
    built.rounds = list(built.shift.rounds.order_by("sequence"))
    return built


# --- codes -----------------------------------------------------------------------------------
def test_code_resolves_to_its_checkpoint_from_the_url_or_the_code(night, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "PUBLIC_URL": "https://bwc.example.edu.cn"}
    checkpoint = night.checkpoints[1]
    url = patrolling.checkpoint_url(checkpoint)
    assert url.startswith("https://bwc.example.edu.cn/patrols/c/")
    assert patrolling.checkpoint_resolve(url) == (checkpoint, CheckpointScan.Method.QR)
    code = patrolling.checkpoint_code(checkpoint)
    assert patrolling.checkpoint_resolve(code)[0] == checkpoint
    typed = checkpoint.manual_code.lower()[:4] + " - " + checkpoint.manual_code.lower()[4:]
    assert patrolling.checkpoint_resolve(typed) == (checkpoint, CheckpointScan.Method.MANUAL)


def test_a_code_for_another_checkpoint_cannot_be_forged(night):
    good = patrolling.checkpoint_code(night.checkpoints[0])
    signature = good.split(".", 1)[1]
    forged = f"{night.checkpoints[1].pk}-1.{signature}"
    with pytest.raises(DomainError) as error:
        patrolling.checkpoint_resolve(forged)
    assert error.value.code == "forged_code"
    other_key = signing.Signer(key="not-our-key", salt=patrolling.CODE_SALT, sep=".")
    with pytest.raises(DomainError) as error:
        patrolling.checkpoint_resolve(other_key.sign(f"{night.checkpoints[1].pk}-1"))
    assert error.value.code == "forged_code"


def test_unknown_codes_are_refused_with_a_clear_message(night):
    # A code of the right shape that no checkpoint has
    for text in ("ZZZZ2222", "zzzz-2222", "https://evil.example/c/"):
        with pytest.raises(DomainError) as error:
            patrolling.checkpoint_resolve(text)
        assert error.value.code == "unknown_code"
        assert error.value.message == (
            "This code is not a checkpoint code in use: it may be mistyped or replaced. Check "
            "the sticker; if it has been replaced, tell your shift leader.")


def test_a_typed_code_of_the_wrong_shape_is_told_what_a_code_looks_like(night):
    # a too short or too long code: the length of a real one (8) is said
    for text, shown, count in (("QQ", "QQ", 2), ("hello", "HELLO", 5),
                               ("https://evil.example/x/", "HTTPS://EVIL.EXAMPLE…", 23)):
        with pytest.raises(DomainError) as error:
            patrolling.checkpoint_resolve(text)
        assert error.value.code == "unknown_code"
        assert error.value.message == (
            f"The code printed under the QR code has 8 characters; “{shown}” has {count}. "
            "Check the sticker and type it again.")
    # eight characters, but some a manual code never has (0, 1, I, L, O)
    with pytest.raises(DomainError) as error:
        patrolling.checkpoint_resolve("ABCD0123")
    assert error.value.message == (
        "The code printed under the QR code has only the digits 2 to 9 and letters other than "
        "I, L and O; “ABCD0123” has other characters. Check the sticker and type it again.")
    with pytest.raises(DomainError) as error:
        patrolling.checkpoint_resolve("  ")
    assert error.value.message == "Type the code printed under the QR code."


def test_rotating_a_code_revokes_the_old_sticker_and_manual_code(night, org):
    checkpoint = night.checkpoints[0]
    old_code, old_manual = patrolling.checkpoint_code(checkpoint), checkpoint.manual_code
    rotated = patrolling.checkpoint_rotate_code(actor=org.users.admin,
                                                checkpoint_id=checkpoint.pk)
    assert rotated.code_generation == 2 and rotated.manual_code != old_manual
    with pytest.raises(DomainError) as error:
        patrolling.checkpoint_resolve(old_code)
    assert error.value.code == "revoked_code"
    with pytest.raises(DomainError) as error:
        patrolling.checkpoint_resolve(old_manual)
    assert error.value.code == "unknown_code"
    assert patrolling.checkpoint_resolve(patrolling.checkpoint_code(rotated))[0] == checkpoint


def test_a_guard_cannot_rotate_codes(night, org):
    from safecampus.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        patrolling.checkpoint_rotate_code(actor=org.users.guard,
                                          checkpoint_id=night.checkpoints[0].pk)


# --- shifts and rounds -----------------------------------------------------------------------
def test_a_night_shift_runs_past_midnight_in_local_time(night):
    shift = night.shift
    assert shift.starts_at == local(2026, 11, 30, 22, 0)
    assert shift.ends_at == local(2026, 12, 1, 6, 0)
    windows = [(r.window_start, r.window_end, r.late_until) for r in night.rounds]
    assert windows == [
        (local(2026, 11, 30, 22, 0), local(2026, 11, 30, 22, 30), local(2026, 12, 1, 0, 0)),
        (local(2026, 12, 1, 0, 0), local(2026, 12, 1, 0, 30), local(2026, 12, 1, 2, 0)),
        (local(2026, 12, 1, 2, 0), local(2026, 12, 1, 2, 30), local(2026, 12, 1, 4, 0)),
        (local(2026, 12, 1, 4, 0), local(2026, 12, 1, 4, 30), local(2026, 12, 1, 6, 0)),
    ]
    assert all(r.checkpoints_expected == 4 for r in night.rounds)


def test_planning_twice_creates_one_shift(night):
    again = patrolling.shift_plan(schedule=night.schedule, day=NIGHT)
    assert again == night.shift
    assert PatrolShift.objects.count() == 1 and PatrolRound.objects.count() == 4


def test_a_schedule_does_not_run_on_days_it_skips(night):
    night.schedule.weekdays = "12345"  # not at weekends
    assert patrolling.shift_plan(schedule=night.schedule, day=dt.date(2026, 12, 5)) is None


# --- scans -----------------------------------------------------------------------------------
def test_scans_in_the_window_complete_the_round(night, org):
    guard = org.users.guard
    with clock.frozen(local(2026, 11, 30, 22, 20)):
        for i, checkpoint in enumerate(night.checkpoints):
            outcome = scan(guard, checkpoint, local(2026, 11, 30, 22, 1 + i))
            assert outcome.created and outcome.scan.timing == "on_time"
            assert outcome.scan.flags == []
    first = PatrolRound.objects.get(pk=night.rounds[0].pk)
    assert first.state == "completed" and first.guard == guard
    assert (first.checkpoints_on_time, first.checkpoints_late) == (4, 0)


def test_a_replayed_scan_is_stored_once(night, org):
    guard, client_id = org.users.guard, uuid.uuid4()
    with clock.frozen(local(2026, 11, 30, 23, 50)):
        first = scan(guard, night.checkpoints[0], local(2026, 11, 30, 22, 5), client_id=client_id)
        second = scan(guard, night.checkpoints[0], local(2026, 11, 30, 22, 5),
                      client_id=client_id)
    assert first.created and not second.created and second.scan.pk == first.scan.pk
    assert CheckpointScan.objects.count() == 1
    assert PatrolRound.objects.get(pk=night.rounds[0].pk).checkpoints_on_time == 1


def test_a_scan_after_the_window_is_late_and_after_midnight_belongs_to_the_next_round(night, org):
    guard = org.users.guard
    with clock.frozen(local(2026, 12, 1, 0, 10)):
        late = scan(guard, night.checkpoints[0], local(2026, 11, 30, 23, 40)).scan
        next_round = scan(guard, night.checkpoints[0], local(2026, 12, 1, 0, 5)).scan
    assert (late.round_id, late.timing) == (night.rounds[0].pk, "late")
    assert (next_round.round_id, next_round.timing) == (night.rounds[1].pk, "on_time")


def test_a_scan_outside_every_round_is_flagged(night, org):
    with clock.frozen(local(2026, 11, 30, 15, 0)):
        outcome = scan(org.users.guard, night.checkpoints[0], local(2026, 11, 30, 14, 0))
    assert outcome.scan.round is None and outcome.scan.timing == "outside"
    assert outcome.scan.flags == ["outside_window"]


def test_a_scan_far_from_the_checkpoint_is_flagged(night, org):
    checkpoint = night.checkpoints[0]
    with clock.frozen(local(2026, 11, 30, 22, 10)):
        outcome = scan(org.users.guard, checkpoint, local(2026, 11, 30, 22, 9),
                       latitude=checkpoint.latitude + 1, longitude=checkpoint.longitude,
                       accuracy_m=20)
    assert outcome.scan.flags == ["far_from_place"]
    assert outcome.scan.distance_m > 100_000
    assert PatrolRound.objects.get(pk=night.rounds[0].pk).flagged_scans == 1


def test_a_phone_clock_in_the_future_is_not_trusted(night, org):
    with clock.frozen(local(2026, 11, 30, 22, 10)):
        outcome = scan(org.users.guard, night.checkpoints[0], local(2026, 11, 30, 23, 55))
    assert outcome.scan.flags == ["future_time"]
    assert outcome.scan.counted_at == local(2026, 11, 30, 22, 10)
    assert outcome.scan.scanned_at == local(2026, 11, 30, 23, 55)
    assert outcome.scan.timing == "on_time"


def test_a_scan_days_old_is_flagged(night, org):
    with clock.frozen(local(2026, 12, 4, 9, 0)):
        outcome = scan(org.users.guard, night.checkpoints[0], local(2026, 11, 30, 22, 10))
    assert "stale_time" in outcome.scan.flags
    assert outcome.scan.received_at == local(2026, 12, 4, 9, 0)


def test_a_guard_not_on_the_shift_is_flagged(night, org):
    from safecampus.accounts.models import Role
    from safecampus.tests.factories import user_with_role

    stranger = user_with_role(Role.GUARD, campus=org.campus1)
    with clock.frozen(local(2026, 11, 30, 22, 10)):
        outcome = scan(stranger, night.checkpoints[0], local(2026, 11, 30, 22, 9))
    assert outcome.scan.flags == ["not_on_shift"]


def test_a_batch_keeps_going_past_a_bad_scan(night, org):
    code = patrolling.checkpoint_code(night.checkpoints[0])
    good = {"code": code, "client_id": str(uuid.uuid4()),
            "scanned_at": "2026-11-30T22:05:00+08:00"}
    bad_time = {**good, "client_id": str(uuid.uuid4()), "scanned_at": "22:05"}
    with clock.frozen(local(2026, 11, 30, 22, 20)):
        results = patrolling.scan_record_many(actor=org.users.guard, scans=[
            {"code": "nonsense", "client_id": str(uuid.uuid4()),
             "scanned_at": "2026-11-30T22:04:00+08:00"},
            good,
            bad_time,
            "not a scan",
            good,
        ])
    assert [(r["status"], r["code"]) for r in results] == [
        ("refused", "unknown_code"), ("created", ""), ("refused", "bad_time"),
        ("refused", "bad_scan"), ("duplicate", "")]
    assert [r["client_id"] for r in results[1:4]] == [good["client_id"], bad_time["client_id"],
                                                     ""]
    assert results[1]["scan"].scanned_at == local(2026, 11, 30, 22, 5)
    assert CheckpointScan.objects.count() == 1


# --- reading an uploaded scan (the one reader of the scan page and the bulk API) -------------
GOOD_ID = "0b6b4c51-7d0e-4a51-9d55-2f3c1f0e7a10"
TIME_HINT = "Send ISO 8601 with an offset, e.g. 2026-11-30T22:05:00+08:00."


def raw(**changes) -> dict:
    """An uploaded scan as JSON decodes it; ``changes`` replace (``...`` removes) a key."""
    item = {"code": "K7QM4XPA", "client_id": GOOD_ID, "scanned_at": "2026-11-30T22:05:00+08:00",
            "latitude": 31.2, "longitude": "121.5", "accuracy_m": 12.4, "round_id": "7",
            "note": "gate locked", "extra": "ignored"}
    item.update(changes)
    return {key: value for key, value in item.items() if value is not ...}


def test_an_uploaded_scan_is_read_into_the_services_arguments():
    parsed = patrolling.scan_item_parse(raw())
    assert parsed == {
        "code": "K7QM4XPA", "client_id": uuid.UUID(GOOD_ID),
        "scanned_at": dt.datetime(2026, 11, 30, 22, 5, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        "latitude": patrolling.Decimal("31.200000"), "longitude": patrolling.Decimal("121.500000"),
        "accuracy_m": 12, "round_id": 7, "note": "gate locked"}
    bare = patrolling.scan_item_parse(raw(latitude=None, longitude=..., accuracy_m="",
                                          round_id=None, note=...))
    assert (bare["latitude"], bare["longitude"], bare["accuracy_m"], bare["round_id"],
            bare["note"]) == (None, None, None, None, "")
    assert patrolling.scan_item_parse(raw(scanned_at="2026-11-30T14:05:00Z"))["scanned_at"] == \
        local(2026, 11, 30, 22, 5)


@pytest.mark.parametrize("item,code,message", [
    ("not an object", "bad_scan",
     "Each scan must be a JSON object with a code, a client_id and a scanned_at."),
    (["K7QM4XPA"], "bad_scan",
     "Each scan must be a JSON object with a code, a client_id and a scanned_at."),
    (raw(code=...), "bad_code", "The scan has no checkpoint code."),
    (raw(code="  "), "bad_code", "The scan has no checkpoint code."),
    (raw(code=12345), "bad_code", "The scan has no checkpoint code."),
    (raw(client_id=...), "bad_client_id", "The scan has no valid id from the phone."),
    (raw(client_id="not-a-uuid"), "bad_client_id", "The scan has no valid id from the phone."),
    (raw(client_id=7), "bad_client_id", "The scan has no valid id from the phone."),
    (raw(scanned_at=...), "bad_time",
     "The scan has no time. Send the phone's time in ISO 8601 with an offset, e.g. "
     "2026-11-30T22:05:00+08:00."),
    (raw(scanned_at=""), "bad_time",
     "The scan has no time. Send the phone's time in ISO 8601 with an offset, e.g. "
     "2026-11-30T22:05:00+08:00."),
    (raw(scanned_at="yesterday night"), "bad_time", f"“yesterday night” is not a date and time. "
                                                    f"{TIME_HINT}"),
    (raw(scanned_at=1764511500), "bad_time", f"“1764511500” is not a date and time. {TIME_HINT}"),
    (raw(scanned_at="2026-11-30T22:05:00"), "bad_time",
     "The scan time “2026-11-30T22:05:00” has no time zone offset. Send e.g. "
     "2026-11-30T22:05:00+08:00."),
    (raw(scanned_at="0001-01-01T00:00:00+14:00"), "bad_time",
     "The scan time is impossible (before 2000 or after 8999). Check the phone's date and time."),
    (raw(scanned_at="9999-12-31T23:59:59-12:00"), "bad_time",
     "The scan time is impossible (before 2000 or after 8999). Check the phone's date and time."),
    (raw(latitude=True), "bad_location", "The position is not a number."),
    (raw(longitude={"x": 1}), "bad_location", "The position is not a number."),
    (raw(latitude="north"), "bad_location", "The position is not a number."),
    (raw(latitude=91), "bad_location", "The position is out of range."),
    (raw(longitude=float("inf")), "bad_location", "The position is out of range."),
    (raw(accuracy_m="Infinity"), "bad_location",
     "The position's accuracy must be a number of metres from 0 to 1000000."),
    (raw(accuracy_m=-3), "bad_location",
     "The position's accuracy must be a number of metres from 0 to 1000000."),
    (raw(accuracy_m=[1]), "bad_location",
     "The position's accuracy must be a number of metres from 0 to 1000000."),
    (raw(round_id="abc"), "bad_round", "The round is not a valid round id."),
    (raw(round_id=True), "bad_round", "The round is not a valid round id."),
    (raw(round_id=2**70), "bad_round", "The round is not a valid round id."),
    (raw(note=5), "bad_note", "The note must be text."),
])
def test_a_bad_uploaded_scan_is_refused_with_one_message(item, code, message):
    with pytest.raises(DomainError) as error:
        patrolling.scan_item_parse(item)
    assert (error.value.code, error.value.message) == (code, message)


# --- ending rounds and the sweep -------------------------------------------------------------
def test_ending_a_round_early_needs_a_reason(night, org):
    guard = org.users.guard
    with clock.frozen(local(2026, 11, 30, 22, 5)):
        patrolling.round_start(actor=guard, round_id=night.rounds[0].pk)
        with pytest.raises(DomainError) as error:
            patrolling.round_end_early(actor=guard, round_id=night.rounds[0].pk, reason="  ")
        assert error.value.field_errors == {"reason": ["A reason is required."]}
        ended = patrolling.round_end_early(actor=guard, round_id=night.rounds[0].pk,
                                           reason="Called to a fight at the north gate")
    assert ended.state == "ended_early" and ended.end_reason.startswith("Called")
    with pytest.raises(Conflict):
        patrolling.round_start(actor=guard, round_id=night.rounds[0].pk)


def test_the_sweep_finds_missed_checkpoints_after_midnight_and_alerts_the_leader_once(
        night, org, django_capture_on_commit_callbacks):
    guard, leader = org.users.guard, org.users.staff
    # Round 2 (00:00–00:30 on Tuesday): three of four checkpoints scanned.
    with clock.frozen(local(2026, 12, 1, 0, 20)):
        for checkpoint in night.checkpoints[:3]:
            scan(guard, checkpoint, local(2026, 12, 1, 0, 10))
    with django_capture_on_commit_callbacks(execute=True):
        before = patrolling.patrol_sweep(at=local(2026, 12, 1, 0, 29))
    assert PatrolRound.objects.get(pk=night.rounds[1].pk).swept_at is None
    with django_capture_on_commit_callbacks(execute=True):
        result = patrolling.patrol_sweep(at=local(2026, 12, 1, 0, 35))
    with django_capture_on_commit_callbacks(execute=True):
        again = patrolling.patrol_sweep(at=local(2026, 12, 1, 0, 40))
    second = PatrolRound.objects.get(pk=night.rounds[1].pk)
    assert (second.state, second.checkpoints_missed) == ("incomplete", 1)
    first = PatrolRound.objects.get(pk=night.rounds[0].pk)
    assert (first.state, first.checkpoints_missed) == ("incomplete", 4)
    assert before["rounds_closed"] == 1 and result["rounds_closed"] == 1
    assert again["rounds_closed"] == 0
    alerts = Notification.objects.filter(recipient=leader, verb="patrols.missed_checkpoints")
    assert alerts.count() == 2
    with translation.override(settings.LANGUAGE_CODE):  # stored in the site's language
        title = gettext("Missed checkpoints: %(route)s round %(round)s (%(time)s), "
                        "%(missed)s not scanned") % {"route": "Route north-night", "round": 2,
                                                     "time": "12-01 00:00", "missed": 1}
    assert alerts.filter(url=second.get_absolute_url()).get().title == title
    # A late scan before round 3 opens fills the gap: the round is completed, late.
    with clock.frozen(local(2026, 12, 1, 1, 0)):
        late = scan(guard, night.checkpoints[3], local(2026, 12, 1, 0, 55))
    assert late.scan.timing == "late"
    second.refresh_from_db()
    assert (second.state, second.checkpoints_missed, second.checkpoints_late) == (
        "completed", 0, 1)


def test_an_on_time_scan_uploaded_after_the_sweep_is_no_longer_missed(night, org):
    """Given round 2 swept with one checkpoint missed, when the guard's phone uploads the
    scan it queued offline inside the window, then the checkpoint counts on time and is no
    longer missed (the round completes)."""
    guard = org.users.guard
    with clock.frozen(local(2026, 12, 1, 0, 20)):
        for checkpoint in night.checkpoints[:3]:
            scan(guard, checkpoint, local(2026, 12, 1, 0, 10))
    patrolling.patrol_sweep(at=local(2026, 12, 1, 0, 35))
    with clock.frozen(local(2026, 12, 1, 0, 50)):
        queued = scan(guard, night.checkpoints[3], local(2026, 12, 1, 0, 25))
    assert queued.scan.timing == "on_time"
    second = PatrolRound.objects.get(pk=night.rounds[1].pk)
    assert (second.state, second.checkpoints_on_time, second.checkpoints_missed) == (
        "completed", 4, 0)


def test_an_impossible_scan_time_is_refused_not_stored(night, org):
    year_one = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14)))
    with pytest.raises(DomainError) as error:
        scan(org.users.guard, night.checkpoints[0], year_one)
    assert error.value.code == "bad_time"
    assert error.value.message == ("The scan time is impossible (before 2000 or after 8999). "
                                   "Check the phone's date and time.")
    assert not CheckpointScan.objects.exists()


def test_the_sweep_does_not_alert_for_a_route_taken_out_of_use(night, org):
    night.route.is_active = False
    night.route.save()
    result = patrolling.patrol_sweep(at=local(2026, 12, 1, 0, 35))
    first = PatrolRound.objects.get(pk=night.rounds[0].pk)
    assert result["rounds_incomplete"] == 0 and first.swept_at is not None
    assert (first.state, first.checkpoints_missed) == ("planned", 0)
    assert not Notification.objects.filter(verb="patrols.missed_checkpoints").exists()


def test_a_round_starts_only_around_its_time(night, org):
    guard, later = org.users.guard, night.rounds[2]  # 02:00–02:30, late scans until 04:00
    with clock.frozen(local(2026, 12, 1, 1, 44)):
        with pytest.raises(DomainError) as error:
            patrolling.round_start(actor=guard, round_id=later.pk)
    assert (error.value.code, error.value.message) == (
        "too_early", "This round's window opens at 12-01 02:00; start it then.")
    with clock.frozen(local(2026, 12, 1, 4, 0)):
        with pytest.raises(DomainError) as error:
            patrolling.round_start(actor=guard, round_id=later.pk)
    assert error.value.code == "too_late"
    assert PatrolRound.objects.get(pk=later.pk).state == "planned"
    with clock.frozen(local(2026, 12, 1, 1, 45)):  # 15 minutes ahead: walking to the start
        assert patrolling.round_start(actor=guard, round_id=later.pk).state == "in_progress"
