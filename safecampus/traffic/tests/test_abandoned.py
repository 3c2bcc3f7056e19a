"""Abandoned-vehicle cases (僵尸车): opening (numbers, plates, one open case per plate,
idempotency), every allowed and forbidden edge of the case's state machine, the date rules
(notice deadline, claim period), the owner's notification, stale versions and permissions."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.notifications.models import Notification
from safecampus.tests.factories import photo_upload
from safecampus.traffic.models import AbandonedVehicleCase, CasePhoto, CaseSequence
from safecampus.traffic.services import abandoned as services

from .abandoned_helpers import DAY0, at, notice, open_case, store, stored_case
from .violation_helpers import english, local, owner_user, vehicle  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")

State = AbandonedVehicleCase.State


def site(msgid: str, **params) -> str:
    """``msgid`` in the site's language (how stored texts are written)."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(msgid) % params if params else translation.gettext(msgid)


def fresh(case):
    return AbandonedVehicleCase.objects.get(pk=case.pk)


# --- opening ------------------------------------------------------------------------------
def test_a_guard_reports_a_registered_vehicle_and_it_is_numbered_and_linked(org):
    # Given a registered e-bike's plate typed loosely
    car = vehicle("陕A12345", kind="ebike")
    # When a guard reports it with a photo
    case = open_case(org, "陕a·12345", description="白色，轮胎没气，积灰")
    # Then the case is suspected, numbered for the local year, linked and photographed
    assert (case.number, case.state, case.plate, case.vehicle) == (
        "ZC2026-0001", State.SUSPECTED, "陕A12345", car)
    assert case.vehicle_kind == "ebike"  # the registered vehicle's type by default
    assert case.reported_by == org.users.guard and case.campus == org.campus1
    assert list(CasePhoto.objects.filter(case=case).values_list("stage", flat=True)) == [
        "sighting"]
    assert [e.verb for e in activity_for(case)] == ["traffic.abandoned_open"]
    assert open_case(org, "陕A54321").number == "ZC2026-0002"


def test_numbers_start_again_each_local_year_and_are_never_reused(org):
    # 31 Dec 23:30 in Shanghai is still 2026; 1 Jan 00:30 local is 31 Dec in UTC
    last = open_case(org, "陕A11111", when=local(2026, 12, 31, 23, 30))
    first = open_case(org, "陕A22222", when=local(2027, 1, 1, 0, 30))
    assert (last.number, first.number) == ("ZC2026-0001", "ZC2027-0001")
    # a dismissed case keeps its number; the next one does not take it again
    services.abandoned_dismiss(actor=org.users.staff, case_id=first.pk, reason="在用车辆")
    again = open_case(org, "陕A22222", when=local(2027, 1, 2, 9, 0))
    assert again.number == "ZC2027-0002"
    assert CaseSequence.objects.get(year=2027).last_number == 2


def test_a_vehicle_without_a_plate_needs_a_description(org):
    with pytest.raises(DomainError) as caught:
        open_case(org, "", vehicle_kind="ebike")
    assert caught.value.field_errors == {"description": [
        "Without a plate, describe the vehicle (make, colour, condition)."]}
    case = open_case(org, "", vehicle_kind="ebike", description="蓝色电动车，无牌，车筐生锈")
    assert (case.plate, case.vehicle, case.vehicle_kind) == ("", None, "ebike")
    # any number of plate-less cases may be open at once
    assert open_case(org, "", description="黑色自行车").state == State.SUSPECTED


@pytest.mark.parametrize(("plate", "message"), [
    ("A12345", "A plate starts with a province abbreviation such as 京, 陕 or 粤."),
    ("陕A1234", "A plate has 7 characters (8 for new-energy vehicles); this one has 6."),
])
def test_a_bad_plate_is_refused_with_the_reason_and_nothing_is_written(org, plate, message):
    with pytest.raises(DomainError) as caught:
        open_case(org, plate)
    assert caught.value.code == "bad_plate"
    assert caught.value.field_errors == {"plate": [message]}
    assert not AbandonedVehicleCase.objects.exists() and not CasePhoto.objects.exists()


def test_a_sighting_needs_a_photo_long_stay_does_not(org):
    with pytest.raises(DomainError) as caught:
        open_case(org, photos=[])
    assert caught.value.field_errors == {"photos": ["Take at least one photo of the vehicle."]}
    bad = SimpleUploadedFile("car.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(DomainError) as caught:
        open_case(org, photos=[photo_upload(), bad])
    assert caught.value.field_errors == {"photos": [
        "car.jpg is not a photo we can read; use JPEG, PNG, WebP or HEIC."]}
    assert not AbandonedVehicleCase.objects.exists()


def test_long_stay_detection_opens_once_and_recognises_the_open_case(org):
    # Given the system (no actor) opening a case from the gate records
    entry = DAY0 - dt.timedelta(days=40)
    first = open_case(org, "陕A12345", actor=None, source="long_stay", last_entry_at=entry,
                      source_ref="gates.record:42", location_text="")
    assert (first.reported_by, first.last_entry_at, first.source_ref) == (
        None, entry, "gates.record:42")
    # When it runs again the next day, the existing case is pointed to, nothing is created
    with pytest.raises(services.CaseAlreadyOpen) as caught:
        open_case(org, "陕A12345", actor=None, source="long_stay", when=at(1),
                  last_entry_at=entry)
    assert caught.value.case == first and caught.value.code == "case_already_open"
    assert caught.value.status_code == 409
    assert caught.value.message == f"陕A12345 already has an open case: {first.number} (Suspected)."
    # a guard's report of the same plate gets the same answer
    with pytest.raises(services.CaseAlreadyOpen):
        open_case(org, "陕A12345")
    assert AbandonedVehicleCase.objects.count() == 1
    assert CaseSequence.objects.get(year=2026).last_number == 1  # no number lost either
    # once the case is closed, a new case may be opened for the plate
    services.abandoned_mark_moved(actor=org.users.staff, case_id=first.pk)
    assert open_case(org, "陕A12345", actor=None, source="long_stay").number == "ZC2026-0002"


def test_the_system_still_needs_a_campus_and_a_valid_source(org):
    with pytest.raises(DomainError) as caught:
        open_case(org, actor=None, source="long_stay", campus_id=None)
    assert caught.value.field_errors == {"campus": ["Choose the campus."]}
    with pytest.raises(DomainError) as caught:
        open_case(org, source="rumour")
    assert caught.value.field_errors == {"source": ["Choose where the suspicion comes from."]}


def test_the_guard_s_campus_the_place_s_campus_and_a_place_elsewhere(org):
    assert open_case(org, "陕A00001", campus_id=None).campus == org.campus1
    assert open_case(org, "陕A00002", campus_id=None, actor=org.users.staff,
                     place_id=org.place_b.pk).campus == org.campus2
    with pytest.raises(DomainError) as caught:
        open_case(org, "陕A00003", place_id=org.place_b.pk)
    assert caught.value.field_errors == {"place": ["201室 is not on 北校区."]}


def test_the_same_key_opens_once(org):
    first = open_case(org, idempotency_key="case-key-0001")
    again = open_case(org, idempotency_key="case-key-0001")
    assert first.pk == again.pk and AbandonedVehicleCase.objects.count() == 1


def test_who_may_report_and_who_may_manage(org):
    with pytest.raises(NotAllowed):
        open_case(org, actor=org.users.student)
    with pytest.raises(NotAllowed):
        open_case(org, actor=org.users.leadership)
    case = open_case(org)  # a guard may report …
    with pytest.raises(NotAllowed):  # … but not run the case
        services.abandoned_notice_post(actor=org.users.guard, case_id=case.pk,
                                       photos=[photo_upload()])
    for call in (
        lambda u: services.abandoned_owner_contact(actor=u, case_id=case.pk, channel="phone",
                                                   note="x"),
        lambda u: services.abandoned_mark_moved(actor=u, case_id=case.pk),
        lambda u: services.abandoned_dismiss(actor=u, case_id=case.pk, reason="x"),
        lambda u: services.clean_up_drive_create(actor=u, campus_id=org.campus1.pk, name="x"),
    ):
        with pytest.raises(NotAllowed):
            call(org.users.guard)
        with pytest.raises(NotAllowed):
            call(org.users.leadership)
    assert fresh(case).state == State.SUSPECTED


# --- the notice -----------------------------------------------------------------------------
def test_the_notice_needs_a_photo_and_a_future_deadline(org, settings):
    case = open_case(org)
    with pytest.raises(DomainError) as caught:
        notice(org, case, photos=[])
    assert caught.value.field_errors == {"photos": ["Take a photo of the notice on the vehicle."]}
    for day in (DAY0.date(), DAY0.date() - dt.timedelta(days=1)):
        with pytest.raises(DomainError) as caught:
            notice(org, case, deadline=day)
        assert caught.value.field_errors == {"deadline": ["The deadline must be a day after today."]}
    assert fresh(case).state == State.SUSPECTED and not CasePhoto.objects.filter(
        stage="notice").exists()
    # default: today + ABANDONED_NOTICE_DAYS (local days)
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "ABANDONED_NOTICE_DAYS": 10}
    case = notice(org, case, note="贴于前挡风玻璃")
    assert (case.state, case.notice_deadline, case.row_version) == (
        State.NOTICED, dt.date(2026, 3, 12), 2)
    assert CasePhoto.objects.filter(case=case, stage="notice").count() == 1
    entry = list(activity_for(case))[-1]
    assert (entry.verb, entry.from_state, entry.to_state, entry.comment) == (
        "traffic.abandoned_notice", "suspected", "noticed", "贴于前挡风玻璃")


def test_the_notice_deadline_is_at_most_ninety_days_ahead(org, settings):
    case = open_case(org)
    for day in (dt.date(2026, 6, 1), dt.date(3000, 1, 1), dt.date(9999, 12, 31)):
        with pytest.raises(DomainError) as caught:
            notice(org, case, deadline=day)
        assert caught.value.field_errors == {"deadline": [
            "The deadline can be at most 90 days ahead, by 2026-05-31 at the latest."]}
    assert fresh(case).state == State.SUSPECTED
    assert not CasePhoto.objects.filter(stage="notice").exists()
    # the 90th day is allowed
    assert notice(org, case, deadline=dt.date(2026, 5, 31)).notice_deadline == dt.date(
        2026, 5, 31)
    # a longer usual notice period stretches the limit to it (its default stays allowed)
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "ABANDONED_NOTICE_DAYS": 120}
    assert notice(org, open_case(org, "陕A54321")).notice_deadline == dt.date(2026, 6, 30)


def test_a_chosen_deadline_tomorrow_is_accepted_in_local_days(org):
    case = open_case(org, when=local(2026, 3, 2, 23, 30))  # 15:30 UTC, still 2 March
    case = notice(org, case, when=local(2026, 3, 2, 23, 30), deadline=dt.date(2026, 3, 3))
    assert case.notice_deadline == dt.date(2026, 3, 3)


# --- contacting the owner -----------------------------------------------------------------
def test_contacting_an_owner_with_an_account_sends_an_in_app_message(
        org, django_capture_on_commit_callbacks):
    owner = owner_user()
    vehicle(owner=owner)
    case = notice(org, open_case(org))
    with django_capture_on_commit_callbacks(execute=True), clock.frozen(at(1)):
        case = services.abandoned_owner_contact(actor=org.users.staff, case_id=case.pk,
                                                channel="phone", note="车主说下周开走")
    assert case.state == State.CONTACTED and case.contacted_at == at(1)
    assert case.contact_note == site("%(channel)s: %(note)s", channel=site("By phone"),
                                     note="车主说下周开走")
    note = Notification.objects.get(recipient=owner)
    assert note.title == site(
        "Your vehicle %(plate)s looks abandoned: please move it · %(where)s",
        plate="陕A12345", where="北校区 · 3号楼后停车场")
    assert note.body == site("The security office asks you to move it by %(date)s; after that "
                             "it will be removed to storage.", date="2026-03-09")
    assert note.url == case.get_absolute_url()
    assert list(activity_for(case))[-1].data == {"channel": "phone", "notified": True,
                                                 "deadline": "2026-03-09"}


def test_contact_before_the_notice_and_without_an_account(org):
    vehicle(owner=None, phone="13800138000")
    case = services.abandoned_owner_contact(actor=org.users.staff, case_id=open_case(org).pk,
                                            channel="unreachable", note="电话两次未接")
    assert case.state == State.CONTACTED
    assert not Notification.objects.exists()
    with pytest.raises(DomainError) as caught:
        services.abandoned_owner_contact(actor=org.users.staff, case_id=open_case(
            org, "陕A54321").pk, channel="phone", note=" ")
    assert caught.value.field_errors == {"note": ["Write what was said or tried."]}
    with pytest.raises(DomainError) as caught:
        services.abandoned_owner_contact(actor=org.users.staff, case_id=case.pk,
                                         channel="pigeon", note="x")
    assert caught.value.field_errors == {"channel": ["Choose how the owner was contacted."]}


# --- storage, claim and disposal ----------------------------------------------------------
def test_removal_only_after_the_notice_deadline_with_place_and_photo(org, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "ABANDONED_CLAIM_DAYS": 90}
    case = notice(org, open_case(org))  # deadline 9 March
    # on the deadline day itself it is too early (the deadline is the end of that day)
    with pytest.raises(Conflict) as caught:
        store(org, case, when=local(2026, 3, 9, 23, 59))
    assert caught.value.code == "deadline_ahead"
    assert caught.value.message == ("The notice deadline (2026-03-09) has not passed yet; the "
                                    "vehicle may be removed from the day after.")
    with pytest.raises(DomainError) as caught:
        store(org, case, storage_place=" ", photos=[])
    assert caught.value.field_errors == {"storage_place": ["Say where the vehicle is stored."]}
    with pytest.raises(DomainError) as caught:
        store(org, case, photos=[])
    assert caught.value.field_errors == {"photos": ["Take at least one photo of the removal."]}
    with pytest.raises(DomainError) as caught:
        store(org, case, stored_on=dt.date(2026, 3, 11))
    assert caught.value.field_errors == {"stored_on": ["The day of removal cannot be in the future."]}
    with pytest.raises(DomainError) as caught:
        store(org, case, stored_on=dt.date(2026, 3, 9))
    assert caught.value.field_errors == {"stored_on": [
        "The day of removal must be after the notice deadline (2026-03-09)."]}
    assert fresh(case).state == State.NOTICED
    case = store(org, case, when=local(2026, 3, 10, 0, 5))  # just after local midnight
    assert (case.state, case.stored_on, case.claim_until, case.storage_place) == (
        State.STORED, dt.date(2026, 3, 10), dt.date(2026, 6, 8), "北门临时停车场")
    assert CasePhoto.objects.filter(case=case, stage="storage").count() == 1


def test_a_case_contacted_first_gets_its_notice_afterwards_and_only_then_may_be_removed(org):
    # The rule: contacting sets no deadline; a vehicle is removed only after the deadline of
    # a notice posted on it (with its photo). Contacted first, the office posts the notice
    # afterwards (contacted → noticed), keeping the contact record.
    case = open_case(org)
    with clock.frozen(DAY0):
        case = services.abandoned_owner_contact(actor=org.users.staff, case_id=case.pk,
                                                channel="phone", note="车主答应三天内开走")
    assert (case.state, case.notice_deadline, case.notice_posted_at) == (
        State.CONTACTED, None, None)
    assert list(activity_for(case))[-1].data == {"channel": "phone", "notified": False,
                                                 "deadline": None}
    # without a notice the vehicle is never removed, however long ago the contact was
    with pytest.raises(Conflict) as caught:
        store(org, case, when=at(30))
    assert caught.value.code == "no_notice"
    assert fresh(case).state == State.CONTACTED
    assert services.abandoned_reminders_sweep(at=at(30))["ready_to_remove"] == 0
    # the notice is posted after the contact: noticed, the contact kept
    case = notice(org, case, when=at(1))  # deadline 10 March
    assert (case.state, case.notice_deadline, case.contacted_at) == (
        State.NOTICED, dt.date(2026, 3, 10), DAY0)
    assert case.contact_note == site("%(channel)s: %(note)s", channel=site("By phone"),
                                     note="车主答应三天内开走")
    last = list(activity_for(case))[-1]
    assert (last.verb, last.from_state, last.to_state) == (
        "traffic.abandoned_notice", "contacted", "noticed")
    assert CasePhoto.objects.filter(case=case, stage="notice").count() == 1
    with pytest.raises(Conflict) as caught:
        store(org, case, when=local(2026, 3, 10, 20, 0))
    assert caught.value.code == "deadline_ahead"
    assert store(org, case, when=local(2026, 3, 11, 8, 0)).state == State.STORED


def test_a_deadline_set_by_contact_alone_does_not_allow_removal(org):
    # rows written when contacting still set a deadline: not due, not removable
    from safecampus.traffic.selectors import abandoned as selectors

    case = services.abandoned_owner_contact(actor=org.users.staff, case_id=open_case(org).pk,
                                            channel="unreachable", note="无人接听")
    AbandonedVehicleCase.objects.filter(pk=case.pk).update(notice_deadline=dt.date(2026, 3, 5))
    with clock.frozen(at(10)):
        assert list(selectors.cases_due_for_removal(org.users.staff)) == []
        assert selectors.case_state_counts(org.users.staff)["due_removal"] == 0
    assert services.abandoned_reminders_sweep(at=at(10))["ready_to_remove"] == 0
    with pytest.raises(Conflict) as caught:
        store(org, case, when=at(10))
    assert caught.value.code == "no_notice"
    assert caught.value.message == "Post a notice with a deadline on the vehicle before removing it."


def test_the_owner_is_told_of_the_removal(org, django_capture_on_commit_callbacks):
    owner = owner_user()
    vehicle(owner=owner)
    with django_capture_on_commit_callbacks(execute=True):
        case = stored_case(org)
    note = Notification.objects.get(recipient=owner, verb="traffic.abandoned_store")
    assert note.title == site("Your vehicle %(plate)s was removed to storage: %(place)s",
                              plate="陕A12345", place="北门临时停车场")
    assert "2026-06-08" in note.body and case.claim_until == dt.date(2026, 6, 8)


def test_claim_up_to_and_including_claim_until_with_name_and_verification(org):
    case = stored_case(org)  # claim until 8 June
    with clock.frozen(local(2026, 6, 8, 18, 0)), pytest.raises(DomainError) as caught:
        services.abandoned_claim(actor=org.users.staff, case_id=case.pk, claimed_by_name="",
                                 verification="")
    assert caught.value.field_errors == {
        "claimed_by_name": ["Enter who claimed the vehicle."],
        "verification": ["Say how the owner was verified (documents checked)."]}
    with clock.frozen(local(2026, 6, 9, 0, 1)), pytest.raises(Conflict) as caught:
        services.abandoned_claim(actor=org.users.staff, case_id=case.pk,
                                 claimed_by_name="王老师", verification="驾驶证、行驶证已核对")
    assert caught.value.code == "claim_period_over"
    assert caught.value.message == "The claim period ended on 2026-06-08."
    with clock.frozen(local(2026, 6, 8, 23, 50)):
        case = services.abandoned_claim(actor=org.users.staff, case_id=case.pk,
                                        claimed_by_name="王老师",
                                        verification="驾驶证、行驶证已核对",
                                        photos=[photo_upload()])
    assert (case.state, case.claimed_by_name, case.claim_verification) == (
        State.CLAIMED, "王老师", "驾驶证、行驶证已核对")
    assert case.closed_at == local(2026, 6, 8, 23, 50)
    assert CasePhoto.objects.filter(case=case, stage="claim").count() == 1


def test_dispose_only_after_the_claim_period_with_a_note(org):
    case = stored_case(org)
    with clock.frozen(local(2026, 6, 8, 23, 59)), pytest.raises(Conflict) as caught:
        services.abandoned_dispose(actor=org.users.staff, case_id=case.pk, note="交废旧回收")
    assert caught.value.code == "claim_period_running"
    with clock.frozen(local(2026, 6, 9, 9, 0)), pytest.raises(DomainError) as caught:
        services.abandoned_dispose(actor=org.users.staff, case_id=case.pk, note="")
    assert caught.value.field_errors == {"note": ["Say how the vehicle was disposed of."]}
    with clock.frozen(local(2026, 6, 9, 9, 0)):
        case = services.abandoned_dispose(actor=org.users.staff, case_id=case.pk,
                                          note="经公示无人认领，交派出所依法处置")
    assert (case.state, case.close_note) == (State.DISPOSED, "经公示无人认领，交派出所依法处置")


# --- every edge of the state machine ------------------------------------------------------
def _reach(org, state: str, plate: str):
    """A case in ``state`` through the services."""
    case = open_case(org, plate)
    if state == State.SUSPECTED:
        return case
    if state in (State.NOTICED, State.STORED, State.CLAIMED, State.DISPOSED):
        case = notice(org, case)
    if state == State.CONTACTED:
        case = notice(org, case)
        with clock.frozen(DAY0):
            return services.abandoned_owner_contact(actor=org.users.staff, case_id=case.pk,
                                                    channel="in_app")
    if state in (State.STORED, State.CLAIMED, State.DISPOSED):
        case = store(org, case)
    if state == State.CLAIMED:
        with clock.frozen(at(9)):
            case = services.abandoned_claim(actor=org.users.staff, case_id=case.pk,
                                            claimed_by_name="王", verification="证件已核")
    if state == State.DISPOSED:
        with clock.frozen(at(200)):
            case = services.abandoned_dispose(actor=org.users.staff, case_id=case.pk,
                                              note="处置")
    with clock.frozen(DAY0):
        if state == State.MOVED:
            case = services.abandoned_mark_moved(actor=org.users.staff, case_id=case.pk)
        if state == State.DISMISSED:
            case = services.abandoned_dismiss(actor=org.users.staff, case_id=case.pk,
                                              reason="在用")
    assert case.state == state
    return case


def _do(org, action: str, case):
    """Run ``action`` on ``case`` at a time when its date rules allow it."""
    staff = org.users.staff
    when = {"store": at(8), "claim": at(9), "dispose": at(200)}.get(action, at(1))
    with clock.frozen(when):
        if action == "notice":
            return services.abandoned_notice_post(actor=staff, case_id=case.pk,
                                                  photos=[photo_upload()])
        if action == "contact":
            return services.abandoned_owner_contact(actor=staff, case_id=case.pk,
                                                    channel="in_app")
        if action == "moved":
            return services.abandoned_mark_moved(actor=staff, case_id=case.pk)
        if action == "store":
            return services.abandoned_store(actor=staff, case_id=case.pk, storage_place="库",
                                            photos=[photo_upload()])
        if action == "claim":
            return services.abandoned_claim(actor=staff, case_id=case.pk,
                                            claimed_by_name="王", verification="证件已核")
        if action == "dispose":
            return services.abandoned_dispose(actor=staff, case_id=case.pk, note="处置")
        return services.abandoned_dismiss(actor=staff, case_id=case.pk, reason="在用")


ACTIONS = {"notice": "noticed", "contact": "contacted", "moved": "moved", "store": "stored",
           "claim": "claimed", "dispose": "disposed", "dismiss": "dismissed"}
ALLOWED = {
    ("suspected", "notice"), ("suspected", "contact"), ("suspected", "moved"),
    ("suspected", "dismiss"), ("noticed", "contact"), ("noticed", "moved"),
    ("noticed", "store"), ("noticed", "dismiss"), ("contacted", "notice"),
    ("contacted", "moved"),
    ("contacted", "store"), ("contacted", "dismiss"), ("stored", "claim"),
    ("stored", "dispose"),
}


@pytest.mark.parametrize("state", State.values)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_edge(org, state, action):
    case = _reach(org, state, "陕A12345")
    before = (fresh(case).row_version, len(activity_for(case)))
    if (state, action) in ALLOWED:
        case = _do(org, action, case)
        assert case.state == ACTIONS[action]
        assert fresh(case).row_version == before[0] + 1
        last = list(activity_for(case))[-1]
        assert (last.from_state, last.to_state) == (state, ACTIONS[action])
    else:
        with pytest.raises(Conflict) as caught:
            _do(org, action, case)
        assert caught.value.code == "illegal_transition"
        assert caught.value.message == (
            f"This cannot be done while the case is “{fresh(case).get_state_display()}”.")
        assert fresh(case).state == state
        assert (fresh(case).row_version, len(activity_for(case))) == before


def test_a_stale_version_is_a_conflict_and_changes_nothing(org):
    case = open_case(org)
    services.abandoned_owner_contact(actor=org.users.staff2, case_id=case.pk,
                                     channel="unreachable", note="无人接听", version=1)
    with pytest.raises(Conflict) as caught:
        services.abandoned_dismiss(actor=org.users.staff, case_id=case.pk, reason="在用",
                                   version=1)
    assert caught.value.code == "stale"
    assert fresh(case).state == State.CONTACTED


def test_dismiss_needs_a_reason_and_an_unknown_case_is_not_found(org):
    case = open_case(org)
    with pytest.raises(DomainError) as caught:
        services.abandoned_dismiss(actor=org.users.staff, case_id=case.pk, reason="  ")
    assert caught.value.field_errors == {"reason": ["Say why the vehicle is not abandoned."]}
    with pytest.raises(DomainError) as caught:
        services.abandoned_dismiss(actor=org.users.staff, case_id=case.pk + 99, reason="x")
    assert caught.value.code == "not_found"


def test_photos_added_later_to_a_reached_stage_only(org):
    case = open_case(org, source="long_stay", actor=None)
    with pytest.raises(Conflict):
        services.abandoned_photos_add(actor=org.users.staff, case_id=case.pk, stage="storage",
                                      photos=[photo_upload()])
    added = services.abandoned_photos_add(actor=org.users.staff, case_id=case.pk,
                                          stage="sighting", photos=[photo_upload()])
    assert [p.stage for p in added] == ["sighting"]
    assert list(activity_for(case))[-1].verb == "traffic.abandoned_photos"


def test_photos_added_with_the_same_key_are_added_once(org):
    case = open_case(org)
    first = services.abandoned_photos_add(actor=org.users.staff, case_id=case.pk,
                                          stage="sighting", photos=[photo_upload(), photo_upload()],
                                          idempotency_key="photos-key-01")
    again = services.abandoned_photos_add(actor=org.users.staff, case_id=case.pk,
                                          stage="sighting", photos=[photo_upload(), photo_upload()],
                                          idempotency_key="photos-key-01")
    assert [p.pk for p in again] == [p.pk for p in first] and len(first) == 2
    assert CasePhoto.objects.filter(case=case).count() == 3  # the sighting's + 2
    assert [e.verb for e in activity_for(case)].count("traffic.abandoned_photos") == 1
    # the key on another case, or by someone else, replays nothing
    other = open_case(org, "陕A54321")
    with pytest.raises(Conflict) as caught:
        services.abandoned_photos_add(actor=org.users.staff, case_id=other.pk,
                                      stage="sighting", photos=[photo_upload()],
                                      idempotency_key="photos-key-01")
    assert caught.value.code == "idempotency_key_reused"
    with pytest.raises(Conflict) as caught:
        services.abandoned_photos_add(actor=org.users.staff2, case_id=case.pk,
                                      stage="sighting", photos=[photo_upload()],
                                      idempotency_key="photos-key-01")
    assert caught.value.code == "idempotency_key_reused"
    assert CasePhoto.objects.filter(case=other).count() == 1
    # a new key adds again
    services.abandoned_photos_add(actor=org.users.staff, case_id=case.pk, stage="sighting",
                                  photos=[photo_upload()], idempotency_key="photos-key-02")
    assert CasePhoto.objects.filter(case=case).count() == 4


# --- campuses -----------------------------------------------------------------------------
def test_a_guard_opens_cases_only_on_his_campus(org):
    with pytest.raises(DomainError) as caught:
        open_case(org, campus_id=org.campus2.pk)
    assert caught.value.code == "other_campus"
    assert caught.value.field_errors == {"campus": [
        "You can report vehicles only on your own campus."]}
    with pytest.raises(DomainError) as caught:  # through a place of the other campus
        open_case(org, campus_id=None, place_id=org.place_b.pk)
    assert caught.value.code == "other_campus"
    assert not AbandonedVehicleCase.objects.exists()
    assert open_case(org).campus == org.campus1
    # the office opens anywhere; so does the system
    assert open_case(org, "陕A54321", actor=org.users.staff,
                     campus_id=org.campus2.pk).campus == org.campus2
    assert open_case(org, "陕A11111", actor=None, source="long_stay",
                     campus_id=org.campus2.pk).campus == org.campus2


def test_a_guard_sees_the_cases_and_drives_of_his_campus_the_office_and_leadership_all(org):
    from safecampus.accounts.models import Role
    from safecampus.tests.factories import user_with_role
    from safecampus.traffic.selectors import abandoned as selectors

    north = open_case(org, "陕A11111")
    south = open_case(org, "陕A22222", actor=org.users.staff, campus_id=org.campus2.pk)
    north_drive = services.clean_up_drive_create(actor=org.users.staff,
                                                 campus_id=org.campus1.pk, name="北区清理")
    services.clean_up_drive_create(actor=org.users.staff, campus_id=org.campus2.pk,
                                   name="南区清理")
    south_photo = CasePhoto.objects.get(case=south)
    guard = org.users.guard
    assert list(selectors.case_list_visible_to(guard)) == [north]
    assert selectors.case_detail(guard, south.pk) is None
    assert selectors.case_detail(guard, north.pk) == north
    assert selectors.case_photo_visible(guard, south_photo.pk) is None
    assert selectors.case_photo_visible(guard, CasePhoto.objects.get(case=north).pk)
    assert selectors.case_state_counts(guard)["all"] == 1
    assert list(selectors.drive_list_visible_to(guard)) == [north_drive]
    for everyone in (org.users.staff, org.users.admin, org.users.leadership):
        assert set(selectors.case_list_visible_to(everyone)) == {north, south}
        assert selectors.drive_list_visible_to(everyone).count() == 2
        assert selectors.case_photo_visible(everyone, south_photo.pk) == south_photo
    # a guard without a campus sees none; others without the permission none either
    roaming = user_with_role(Role.GUARD, username="guard_nowhere")
    assert not selectors.case_list_visible_to(roaming).exists()
    assert not selectors.drive_list_visible_to(roaming).exists()
    assert not selectors.case_list_visible_to(org.users.student).exists()
    assert selectors.case_photo_visible(org.users.student, south_photo.pk) is None
