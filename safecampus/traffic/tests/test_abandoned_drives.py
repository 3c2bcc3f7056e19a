"""Clean-up drives (batch tagging all or nothing, batch notices) and the reminder sweep
(ready to remove, ready to dispose of; idempotent)."""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError
from safecampus.notifications.models import Notification
from safecampus.tests.factories import photo_upload
from safecampus.traffic.forms.abandoned import tag_rows
from safecampus.traffic.models import AbandonedVehicleCase, CaseSequence, CleanUpDrive
from safecampus.traffic.services import abandoned as services
from safecampus.traffic.tasks import abandoned as tasks

from .abandoned_helpers import DAY0, at, notice, open_case, stored_case
from .test_abandoned import site
from .violation_helpers import english, local, vehicle  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")
State = AbandonedVehicleCase.State


def drive(org, **kwargs):
    kwargs.setdefault("campus_id", org.campus1.pk)
    kwargs.setdefault("name", "春季僵尸车清理")
    with clock.frozen(DAY0):
        return services.clean_up_drive_create(actor=org.users.staff, **kwargs)


def tag(org, d, rows):
    with clock.frozen(DAY0):
        return services.abandoned_cases_tag(actor=org.users.staff, drive_id=d.pk, rows=rows)


# --- drives ---------------------------------------------------------------------------------
def test_a_drive_defaults_and_checks_its_dates(org):
    d = drive(org)
    assert (d.starts_on, d.notice_deadline, d.created_by) == (
        dt.date(2026, 3, 2), dt.date(2026, 3, 9), org.users.staff)
    with pytest.raises(DomainError) as caught:
        drive(org, notice_deadline=dt.date(2026, 3, 2))
    assert caught.value.field_errors == {"notice_deadline": [
        "The deadline must be a day after today."]}
    with pytest.raises(DomainError) as caught:
        drive(org, starts_on=dt.date(2026, 3, 20), notice_deadline=dt.date(2026, 3, 10))
    assert caught.value.field_errors == {"notice_deadline": [
        "The deadline cannot be before the drive starts."]}
    with pytest.raises(DomainError) as caught:
        drive(org, name=" ", campus_id=None)
    assert set(caught.value.field_errors) == {"name", "campus"}
    assert drive(org, idempotency_key="drive-key-01").pk == drive(
        org, idempotency_key="drive-key-01").pk
    assert CleanUpDrive.objects.count() == 2


def test_a_drive_starts_within_ninety_days_and_its_deadline_is_at_most_ninety_days_ahead(org):
    for kwargs, errors in [
        ({"notice_deadline": dt.date(2026, 6, 1)}, {"notice_deadline": [
            "The deadline can be at most 90 days ahead, by 2026-05-31 at the latest."]}),
        ({"notice_deadline": dt.date(9999, 12, 31)}, {"notice_deadline": [
            "The deadline can be at most 90 days ahead, by 2026-05-31 at the latest."]}),
        # far ahead or back (9999-12-31 + the notice period would overflow): refused first
        ({"starts_on": dt.date(9999, 12, 31)}, {"starts_on": [
            "A drive starts at most 90 days before or after today (2025-12-02 to 2026-05-31)."]}),
        ({"starts_on": dt.date(1, 1, 1)}, {"starts_on": [
            "A drive starts at most 90 days before or after today (2025-12-02 to 2026-05-31)."]}),
        ({"starts_on": dt.date(2026, 5, 31)}, {"notice_deadline": [
            "The deadline can be at most 90 days ahead, by 2026-05-31 at the latest."]}),
    ]:
        with pytest.raises(DomainError) as caught:
            drive(org, **kwargs)
        assert caught.value.field_errors == errors
    assert not CleanUpDrive.objects.exists()
    first = drive(org, starts_on=dt.date(2025, 12, 2), notice_deadline=dt.date(2026, 5, 31))
    last = drive(org, starts_on=dt.date(2026, 5, 30), notice_deadline=dt.date(2026, 5, 31))
    assert (first.starts_on, last.starts_on) == (dt.date(2025, 12, 2), dt.date(2026, 5, 30))


def test_tag_lines_are_parsed_plate_first():
    assert tag_rows("陕A12345 3号楼后\n\n 陕AD12345，东区停车场12号位 \n- 白色电动车 无牌\n"
                    "陕A54321") == [
        {"plate": "陕A12345", "description": "", "location_text": "3号楼后", "line": 1},
        {"plate": "陕AD12345", "description": "", "location_text": "东区停车场12号位",
         "line": 3},
        {"plate": "", "description": "白色电动车 无牌", "location_text": "", "line": 4},
        {"plate": "陕A54321", "description": "", "location_text": "", "line": 5},
    ]


@pytest.mark.parametrize(("line", "plate", "where"), [
    ("陕a 12345 北门停车场东侧第1排", "陕a 12345", "北门停车场东侧第1排"),
    (" 陕a 0l3０4 ", "陕a 0l3０4", ""),
    ("京Ａ　１２３４５ 北门", "京Ａ　１２３４５", "北门"),
    ("陕A·12345 北门", "陕A·12345", "北门"),
    ("陕A-12345,东区", "陕A-12345", "东区"),
    ("陕AD 12345\t东区停车场", "陕AD 12345", "东区停车场"),
    ("陕AD12345 东区", "陕AD12345", "东区"),  # not 陕AD1234 with "5 东区"
    ("陕AD1234 5号楼", "陕AD1234", "5号楼"),  # the shortest plate: the rest is the place
    ("陕A12345 D栋", "陕A12345", "D栋"),  # not the new-energy 陕A12345D
    ("陕A12345：西门", "陕A12345", "西门"),
    # no valid plate: the words meant as the plate, for the error message
    ("陕a 1234 3号楼", "陕a 1234", "3号楼"),  # not 陕A12343 with "号楼"
    ("陕A1234 short", "陕A1234", "short"),
    ("陕A1234,东区", "陕A1234", "东区"),
    ("陕A12345北门", "陕A12345北门", ""),  # a plate needs a space or separator after it
    ("北门停车场 白车", "北门停车场", "白车"),
])
def test_plates_typed_with_spaces_or_separators_are_read_whole(line, plate, where):
    assert tag_rows(line) == [{"plate": plate, "description": "", "location_text": where,
                               "line": 1}]


@pytest.mark.parametrize(("line", "description"), [
    ("-", ""), ("- 白色电动车", "白色电动车"), ("-白色电动车", "白色电动车"),
    ("—，蓝色自行车", "蓝色自行车"), ("无牌 白色电动车", "白色电动车"), ("无车牌白色电动车", "白色电动车"),
    ("无\t白车", "白车"), ("No plate, white e-bike", "white e-bike"), ("none", ""),
])
def test_a_line_marked_without_plate_describes_the_vehicle(line, description):
    assert tag_rows(line) == [{"plate": "", "description": description, "location_text": "",
                               "line": 1}]


def test_sloppy_plates_are_tagged_and_errors_name_the_lines_as_typed(org):
    d = drive(org)
    cases = tag(org, d, tag_rows("陕a 12345 北门停车场东侧第1排\n\n 陕a 0l3０4 \n"
                                 "陕ad 12345，东区"))
    assert [(c.plate, c.location_text) for c in cases] == [
        ("陕A12345", "北门停车场东侧第1排"), ("陕A0L304", ""), ("陕AD12345", "东区")]
    with pytest.raises(DomainError) as caught:
        tag(org, d, tag_rows("陕b 11111 东\n\n\n陕a 1234 3号楼\n陕B·11111 西"))
    assert caught.value.field_errors["rows"] == [
        "Line 4: 陕a 1234: A plate has 7 characters (8 for new-energy vehicles); this one has 6.",
        "Line 5: 陕B11111 is already on line 1."]


def test_a_long_plate_is_quoted_short_in_its_error(org):
    d = drive(org)
    with pytest.raises(DomainError) as caught:
        tag(org, d, [{"plate": "陕" * 5000}])
    [message] = caught.value.field_errors["rows"]
    assert message.startswith("Line 1: " + "陕" * 30 + "…: ") and len(message) < 160


def test_tagging_opens_one_case_per_row_in_one_go(org):
    car = vehicle("陕A12345")
    d = drive(org)
    cases = tag(org, d, tag_rows("陕A12345 3号楼后\n陕AD12345 东区停车场\n- 白色电动车，车筐生锈"))
    assert [c.number for c in cases] == ["ZC2026-0001", "ZC2026-0002", "ZC2026-0003"]
    assert [(c.plate, c.source, c.drive_id, c.state) for c in cases] == [
        ("陕A12345", "clean_up", d.pk, "suspected"), ("陕AD12345", "clean_up", d.pk, "suspected"),
        ("", "clean_up", d.pk, "suspected")]
    assert cases[0].vehicle == car and cases[2].description == "白色电动车，车筐生锈"
    assert [e.verb for e in activity_for(d)] == ["traffic.clean_up_drive_create",
                                                 "traffic.clean_up_drive_tag"]


def test_one_bad_row_writes_nothing_and_every_bad_row_is_reported(org):
    open_case(org, "陕A99999")  # already has an open case
    d = drive(org)
    lines = ("陕A12345 ok\n陕A1234 short\n陕A12345 again\n- \n陕A99999 known\n"
             + "".join(f"陕A1{i:04d}\n" for i in range(6)))
    with pytest.raises(DomainError) as caught:
        tag(org, d, tag_rows(lines))
    assert caught.value.code == "rows_invalid"
    assert caught.value.message == "4 of 11 lines have problems; nothing was saved."
    assert caught.value.field_errors["rows"] == [
        "Line 2: 陕A1234: A plate has 7 characters (8 for new-energy vehicles); this one has 6.",
        "Line 3: 陕A12345 is already on line 1.",
        "Line 4: Without a plate, describe the vehicle (make, colour, condition).",
        "Line 5: 陕A99999 already has an open case: ZC2026-0001 (Suspected).",
    ]
    assert AbandonedVehicleCase.objects.count() == 1
    assert CaseSequence.objects.get(year=2026).last_number == 1  # no numbers taken


def test_tagging_limits(org):
    d = drive(org)
    with pytest.raises(DomainError) as caught:
        tag(org, d, [])
    assert caught.value.field_errors == {"rows": ["Enter at least one vehicle."]}
    with pytest.raises(DomainError) as caught:
        tag(org, d, [{"plate": f"陕A{i:05d}"} for i in range(201)])
    assert caught.value.field_errors == {"rows": ["At most 200 vehicles in one go."]}
    with pytest.raises(DomainError) as caught:
        tag(org, d, [{"plate": "陕A12345", "place_id": org.place_b.pk}])
    assert caught.value.field_errors == {"rows": ["Line 1: Choose a place on 北校区."]}


def test_the_drive_posts_its_deadline_on_its_suspected_cases(org):
    d = drive(org, notice_deadline=dt.date(2026, 3, 16))
    first, second, third = tag(org, d, tag_rows("陕A11111\n陕A22222\n陕A33333"))
    services.abandoned_dismiss(actor=org.users.staff, case_id=third.pk, reason="在用车辆")
    with clock.frozen(at(1)):
        result = services.drive_notices_post(actor=org.users.staff, drive_id=d.pk,
                                             photos={first.pk: [photo_upload()]})
    assert result == {"posted": 2, "skipped": 1, "skipped_cases": [third.number]}
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.notice_deadline, first.photos.count()) == (
        State.NOTICED, dt.date(2026, 3, 16), 1)
    assert (second.state, second.photos.count()) == (State.NOTICED, 0)
    assert list(activity_for(second))[-1].data == {"deadline": "2026-03-16", "photos": 0,
                                                    "drive": d.pk}
    # again: nothing left to post
    with clock.frozen(at(1)):
        assert services.drive_notices_post(actor=org.users.staff, drive_id=d.pk) == {
            "posted": 0, "skipped": 3,
            "skipped_cases": [first.number, second.number, third.number]}
    # once the deadline is not ahead any more the drive cannot post it
    with clock.frozen(local(2026, 3, 16, 10, 0)), pytest.raises(Conflict) as caught:
        services.drive_notices_post(actor=org.users.staff, drive_id=d.pk)
    assert caught.value.code == "deadline_past"


# --- reminders ------------------------------------------------------------------------------
def test_the_office_hears_once_when_a_vehicle_is_ready_to_remove_and_to_dispose(
        org, django_capture_on_commit_callbacks):
    noticed = notice(org, open_case(org, "陕A11111"))  # deadline 9 March
    stored = stored_case(org, "陕A22222")  # claim until 8 June
    office = {org.users.staff.pk, org.users.staff2.pk, org.users.admin.pk}
    # on the deadline day nothing is due yet
    assert services.abandoned_reminders_sweep(at=local(2026, 3, 9, 23, 0)) == {
        "ready_to_remove": 0, "ready_to_dispose": 0}
    # the next morning the noticed case is ready to remove; the messages wait for the commit
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.abandoned_reminders_sweep(at=local(2026, 3, 10, 0, 5)) == {
            "ready_to_remove": 1, "ready_to_dispose": 0}
        assert not Notification.objects.exists()
        entry = list(activity_for(noticed))[-1]
        assert (entry.verb, entry.data) == ("traffic.abandoned_ready_to_remove",
                                            {"date": "2026-03-09", "recipients": 3})
    assert len(callbacks) == 1
    for callback in callbacks:
        callback()
    notes = Notification.objects.filter(verb="traffic.abandoned_ready_to_remove")
    assert set(notes.values_list("recipient_id", flat=True)) == office
    assert notes.first().title == site(
        "Abandoned vehicle %(vehicle)s can be removed: the notice deadline %(date)s has passed",
        vehicle="陕A11111", date="2026-03-09")
    assert notes.first().url == noticed.get_absolute_url()
    # re-runs send nothing more (and write no second timeline entry)
    for when in (local(2026, 3, 10, 1, 5), local(2026, 3, 20, 9, 5)):
        assert services.abandoned_reminders_sweep(at=when)["ready_to_remove"] == 0
    assert notes.count() == 3
    assert [e.verb for e in activity_for(noticed)].count("traffic.abandoned_ready_to_remove") == 1
    # the claim period of the stored case ends
    with django_capture_on_commit_callbacks(execute=True):
        assert services.abandoned_reminders_sweep(at=local(2026, 6, 9, 0, 5)) == {
            "ready_to_remove": 0, "ready_to_dispose": 1}
    assert services.abandoned_reminders_sweep(at=local(2026, 6, 10, 0, 5)) == {
        "ready_to_remove": 0, "ready_to_dispose": 0}
    assert Notification.objects.filter(verb="traffic.abandoned_ready_to_dispose",
                                       url=stored.get_absolute_url()).count() == 3


def test_a_closed_case_is_not_announced_and_the_task_runs_the_sweep(org):
    case = notice(org, open_case(org))
    services.abandoned_mark_moved(actor=org.users.staff, case_id=case.pk)
    with clock.frozen(local(2026, 3, 20, 9, 0)):
        assert tasks.abandoned_reminders.call_local() == {"ready_to_remove": 0,
                                                          "ready_to_dispose": 0}
    assert not Notification.objects.exists()


def test_a_rolled_back_sweep_sends_nothing(org, django_capture_on_commit_callbacks):
    from django.db import transaction

    notice(org, open_case(org))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            assert services.abandoned_reminders_sweep(at=at(10))["ready_to_remove"] == 1
            raise RuntimeError("the task failed after the sweep")
    assert not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):  # the next run announces it
        assert services.abandoned_reminders_sweep(at=at(10))["ready_to_remove"] == 1
    assert Notification.objects.count() == 3


# --- idempotent tagging ---------------------------------------------------------------------
def test_tagging_twice_with_the_same_key_returns_the_first_cases(org):
    d = drive(org)
    rows = tag_rows("陕A11111 东区\n- 白色电动车 无牌")
    with clock.frozen(DAY0):
        first = services.abandoned_cases_tag(actor=org.users.staff, drive_id=d.pk, rows=rows,
                                             idempotency_key="tag-key-0001")
        again = services.abandoned_cases_tag(actor=org.users.staff, drive_id=d.pk, rows=rows,
                                             idempotency_key="tag-key-0001")
    assert [c.pk for c in again] == [c.pk for c in first] and len(first) == 2
    assert [c.number for c in again] == ["ZC2026-0001", "ZC2026-0002"]
    assert AbandonedVehicleCase.objects.count() == 2  # the e-bike without a plate once
    assert CaseSequence.objects.get(year=2026).last_number == 2
    assert [e.verb for e in activity_for(d)].count("traffic.clean_up_drive_tag") == 1
    # the key on another drive, or by someone else, is refused and writes nothing
    other = drive(org, name="第二次")
    for actor, drive_id in ((org.users.staff, other.pk), (org.users.admin, d.pk)):
        with clock.frozen(DAY0), pytest.raises(Conflict) as caught:
            services.abandoned_cases_tag(actor=actor, drive_id=drive_id,
                                         rows=tag_rows("- 蓝色自行车"),
                                         idempotency_key="tag-key-0001")
        assert caught.value.code == "idempotency_key_reused"
    assert AbandonedVehicleCase.objects.count() == 2
    # a refused batch does not use up its key: fixed, the same key saves it once
    with clock.frozen(DAY0), pytest.raises(DomainError):
        services.abandoned_cases_tag(actor=org.users.staff, drive_id=other.pk,
                                     rows=tag_rows("陕A1234"), idempotency_key="tag-key-0002")
    with clock.frozen(DAY0):
        fixed = services.abandoned_cases_tag(actor=org.users.staff, drive_id=other.pk,
                                             rows=tag_rows("陕A22222"),
                                             idempotency_key="tag-key-0002")
    assert [c.plate for c in fixed] == ["陕A22222"]


# --- batch notices: photos of other cases ----------------------------------------------------
def test_photos_for_cases_outside_the_drive_are_refused_and_nothing_is_posted(org):
    d = drive(org, notice_deadline=dt.date(2026, 3, 16))
    first, second = tag(org, d, tag_rows("陕A11111\n陕A22222"))
    stranger = open_case(org, "陕A33333")
    with clock.frozen(at(1)), pytest.raises(DomainError) as caught:
        services.drive_notices_post(actor=org.users.staff, drive_id=d.pk, photos={
            first.pk: [photo_upload()], stranger.pk: [photo_upload()], 99999: [photo_upload()]})
    assert caught.value.field_errors == {"photos": [
        f"These cases are not in this drive: {stranger.number}, 99999. Nothing was posted."]}
    with clock.frozen(at(1)), pytest.raises(DomainError) as caught:
        services.drive_notices_post(actor=org.users.staff, drive_id=d.pk,
                                    photos={"abc": [photo_upload()]})
    assert caught.value.field_errors == {"photos": [
        "Photos are for cases of this drive; not a case: abc."]}
    # a photo for a case of the drive that is not suspected any more is not dropped silently
    services.abandoned_dismiss(actor=org.users.staff, case_id=second.pk, reason="在用车辆")
    with clock.frozen(at(1)), pytest.raises(DomainError) as caught:
        services.drive_notices_post(actor=org.users.staff, drive_id=d.pk,
                                    photos={second.pk: [photo_upload()]})
    assert caught.value.field_errors == {"photos": [
        f"These cases are not suspected any more, so no notice is posted on them: "
        f"{second.number}. Add their photos on each case. Nothing was posted."]}
    first.refresh_from_db()
    assert (first.state, first.photos.count()) == (State.SUSPECTED, 0)
    assert not [e for e in activity_for(d) if e.verb == "traffic.clean_up_drive_notices"]
    with clock.frozen(at(1)):
        assert services.drive_notices_post(
            actor=org.users.staff, drive_id=d.pk, photos={first.pk: [photo_upload()]}) == {
            "posted": 1, "skipped": 1, "skipped_cases": [second.number]}
    assert list(activity_for(d))[-1].data == {"posted": 1, "skipped": 1,
                                              "skipped_cases": [second.number]}
