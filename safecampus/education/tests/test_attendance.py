"""Attendance, services and selectors: QR sign-in (codes, window, idempotency, position),
sign-in controls, manual additions, list imports, lists by unit with absentees, person
records and their scoping."""
# ruff: noqa: F811  (fixtures imported from attendance_helpers)

import datetime as dt
import io
import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from safecampus.core import clock
from safecampus.core.activity import ActivityEntry
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.spreadsheets import ImportRejected
from safecampus.education.models import Activity, Attendance
from safecampus.education.qr import activity_code, activity_url, signer
from safecampus.education.selectors import attendance as selectors
from safecampus.education.services import attendance as services
from safecampus.traffic.services.posts import _signer as post_signer

from .attendance_helpers import HOUR, english, make_activity, roster  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")


def _error(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


# --- QR sign-in ------------------------------------------------------------------------------
def test_a_student_signs_in_by_the_qr_url_and_college_and_class_are_copied(org, roster):
    student = roster.chem_students[0]
    outcome = services.attendance_sign_in(
        actor=student, code=activity_url(roster.training),
        latitude="34.246100", longitude="108.983100")
    a = outcome.attendance
    assert outcome.created
    assert (a.activity, a.user, a.college, a.class_group, a.method) == (
        roster.training, student, org.unit_a, roster.chem, Attendance.Method.QR)
    assert a.distance_m == 14 and a.far_away is False
    entry = ActivityEntry.objects.get(verb="education.attendance_sign_in")
    assert entry.actor == student and entry.data["attendance"] == a.pk


def test_signing_in_twice_is_the_same_attendance(org, roster):
    student = roster.chem_students[0]
    first = services.attendance_sign_in(actor=student, code=roster.code)
    second = services.attendance_sign_in(actor=student, code=roster.code)
    assert first.created and not second.created
    assert second.attendance.pk == first.attendance.pk
    assert Attendance.objects.count() == 1
    assert ActivityEntry.objects.filter(verb="education.attendance_sign_in").count() == 1


def test_a_position_far_away_is_flagged_not_refused(org, roster):
    outcome = services.attendance_sign_in(actor=roster.mech_students[0], code=roster.code,
                                          latitude="34.262410", longitude="108.654830")
    assert outcome.attendance.far_away is True and outcome.attendance.distance_m > 30_000
    assert outcome.attendance.college == org.unit_b  # anyone may attend


def test_the_phone_time_is_kept_when_believable_else_the_servers(org, roster):
    now = clock.now()
    with clock.frozen(now):
        a = services.attendance_sign_in(actor=roster.chem_students[0], code=roster.code,
                                        signed_at=now - dt.timedelta(minutes=1)).attendance
        b = services.attendance_sign_in(actor=roster.chem_students[1], code=roster.code,
                                        signed_at=now + dt.timedelta(hours=3)).attendance
        c = services.attendance_sign_in(actor=roster.chem_students[2], code=roster.code,
                                        signed_at=now - dt.timedelta(days=2)).attendance
    assert a.signed_in_at == now - dt.timedelta(minutes=1)
    assert b.signed_in_at == now and c.signed_in_at == now


UNREADABLE = ("This sign-in code cannot be read: scan again or type the code printed on the "
              "poster.")


@pytest.mark.parametrize(("mangle", "code"), [
    (lambda c: c[:-3] + ("xyz" if not c.endswith("xyz") else "abc"), "forged_code"),
    (lambda c: "hello", "unknown_code"),
])
def test_damaged_and_foreign_codes_are_unreadable_without_accusing_anyone(org, roster, mangle,
                                                                          code):
    error = _error(lambda: services.attendance_sign_in(actor=roster.chem_students[0],
                                                       code=mangle(roster.code)))
    assert (error.code, error.message) == (code, UNREADABLE)
    assert "forged" not in error.message
    assert not Attendance.objects.exists()


# --- manual code (typed when the camera cannot read the QR) ----------------------------------
def test_opening_sign_in_gives_a_manual_code_once_and_renewing_changes_it(org, roster):
    activity = make_activity(org, organiser=org.users.contact_a, colleges=[org.unit_a],
                             open_=False)
    assert activity.sign_in_manual_code == ""
    opened = services.activity_sign_in_open(actor=org.users.contact_a, activity_id=activity.pk)
    first = opened.sign_in_manual_code
    assert len(first) == 8 and first == first.upper()
    services.activity_sign_in_close(actor=org.users.contact_a, activity_id=activity.pk)
    again = services.activity_sign_in_open(actor=org.users.contact_a, activity_id=activity.pk)
    assert again.sign_in_manual_code == first  # the printed poster still works
    renewed = services.activity_sign_in_renew(actor=org.users.contact_a,
                                              activity_id=activity.pk)
    assert renewed.sign_in_manual_code not in ("", first)
    error = _error(lambda: services.attendance_sign_in(actor=roster.chem_students[0],
                                                       code=first))
    assert (error.code, error.message) == ("unknown_code", UNREADABLE)


def test_manual_codes_are_unique_among_activities(org, roster, monkeypatch):
    from safecampus.core import qrcodes
    taken = make_activity(org, organiser=org.users.contact_a, open_=False)
    Activity.objects.filter(pk=taken.pk).update(sign_in_manual_code="AAAABBBB")
    fresh = iter(["AAAABBBB", "AAAABBBB", "CCCCDDDD"])
    monkeypatch.setattr(qrcodes, "manual_code_new", lambda: next(fresh))
    other = make_activity(org, organiser=org.users.contact_a, open_=False)
    opened = services.activity_sign_in_open(actor=org.users.contact_a, activity_id=other.pk)
    assert opened.sign_in_manual_code == "CCCCDDDD"


@pytest.mark.parametrize("typed", ["{code}", "{lower}", " {a} {b} ", "{a}-{b}"])
def test_the_typed_manual_code_signs_in_ignoring_case_and_spaces(org, roster, typed):
    activity = make_activity(org, organiser=org.users.contact_a, colleges=[org.unit_a],
                             open_=False)
    code = services.activity_sign_in_open(actor=org.users.contact_a,
                                          activity_id=activity.pk).sign_in_manual_code
    text = typed.format(code=code, lower=code.lower(), a=code[:4].lower(), b=code[4:])
    outcome = services.attendance_sign_in(actor=roster.chem_students[0], code=text)
    assert outcome.created and outcome.attendance.activity == activity
    assert outcome.attendance.method == Attendance.Method.QR


def test_a_typed_code_of_a_closed_sign_in_is_refused_as_closed(org, roster):
    code = services.activity_sign_in_open(
        actor=org.users.contact_a, activity_id=roster.training.pk).sign_in_manual_code
    services.activity_sign_in_close(actor=org.users.contact_a, activity_id=roster.training.pk)
    error = _error(lambda: services.attendance_sign_in(actor=roster.chem_students[0],
                                                       code=code))
    assert error.code == "sign_in_closed"
    assert not Attendance.objects.exists()


def test_a_duty_posts_code_is_not_an_activitys(org, roster):
    foreign = post_signer.sign(roster.training.pk, roster.training.sign_in_generation)
    error = _error(lambda: services.attendance_sign_in(actor=roster.chem_students[0],
                                                       code=f"/education/a/{foreign}/"))
    assert error.code == "forged_code"


def test_a_renewed_code_refuses_the_old_one_as_replaced(org, roster):
    old = roster.code
    services.activity_sign_in_renew(actor=org.users.contact_a, activity_id=roster.training.pk)
    roster.training.refresh_from_db()
    assert roster.training.sign_in_generation == 2
    error = _error(lambda: services.attendance_sign_in(actor=roster.chem_students[0], code=old))
    assert (error.code, error.message) == (
        "revoked_code", "This sign-in code has been replaced by a new one. Scan the code the "
        "organiser shows now.")
    new = services.attendance_sign_in(actor=roster.chem_students[0],
                                      code=activity_code(roster.training))
    assert new.created
    entry = ActivityEntry.objects.get(verb="education.sign_in_renew")
    assert (entry.from_state, entry.to_state) == ("1", "2")


def test_closed_sign_in_is_refused(org, roster):
    services.activity_sign_in_close(actor=org.users.contact_a, activity_id=roster.training.pk)
    error = _error(lambda: services.attendance_sign_in(actor=roster.chem_students[0],
                                                       code=roster.code))
    assert (error.code, error.message) == (
        "sign_in_closed", "Sign-in for this activity is closed. Ask the organiser to open it.")
    services.activity_sign_in_open(actor=org.users.contact_a, activity_id=roster.training.pk)
    assert services.attendance_sign_in(actor=roster.chem_students[0], code=roster.code).created
    verbs = list(ActivityEntry.objects.filter(verb__startswith="education.sign_in_")
                 .order_by("pk").values_list("verb", flat=True))
    assert verbs == ["education.sign_in_close", "education.sign_in_open"]


def test_a_cancelled_activity_refuses_sign_in_and_opening(org, roster):
    Activity.objects.filter(pk=roster.training.pk).update(state=Activity.State.CANCELLED)
    error = _error(lambda: services.attendance_sign_in(actor=roster.chem_students[0],
                                                       code=roster.code))
    assert (error.code, error.message) == (
        "cancelled", "This activity was cancelled; there is nothing to sign in to.")
    services.activity_sign_in_close(actor=org.users.contact_a, activity_id=roster.training.pk)
    error = _error(lambda: services.activity_sign_in_open(actor=org.users.contact_a,
                                                          activity_id=roster.training.pk))
    assert error.code == "cancelled"


def test_the_window_opens_an_hour_before_and_closes_two_hours_after(org, roster):
    activity = roster.training
    student = roster.chem_students[0]
    with clock.frozen(activity.starts_at - HOUR - dt.timedelta(minutes=1)):
        error = _error(lambda: services.attendance_sign_in(actor=student, code=roster.code))
    assert error.code == "too_early"
    assert error.message.startswith("Sign-in opens one hour before the activity starts (at ")
    with clock.frozen(activity.ends_at + 2 * HOUR + dt.timedelta(minutes=1)):
        error = _error(lambda: services.attendance_sign_in(actor=student, code=roster.code))
    assert error.code == "too_late"
    with clock.frozen(activity.starts_at - HOUR + dt.timedelta(minutes=1)):
        assert services.attendance_sign_in(actor=student, code=roster.code).created
    with clock.frozen(activity.ends_at + 2 * HOUR - dt.timedelta(minutes=1)):
        assert services.attendance_sign_in(actor=roster.chem_students[1],
                                           code=roster.code).created


def test_a_bad_position_is_a_field_error_and_nothing_is_written(org, roster):
    error = _error(lambda: services.attendance_sign_in(
        actor=roster.chem_students[0], code=roster.code, latitude="95", longitude="10"))
    assert error.field_errors == {"latitude": ["The position is out of range."]}
    assert not Attendance.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_sign_ins_of_one_person_store_one(org, roster):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    student = roster.chem_students[0]
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(services.attendance_sign_in(actor=student, code=roster.code))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Attendance.objects.filter(user=student).count() == 1
    assert sorted(r.created for r in results) == [False, True]
    assert len({r.attendance.pk for r in results}) == 1


# --- sign-in controls ------------------------------------------------------------------------
def test_who_may_manage_sign_in(org, roster):
    """The organiser (contact A) and the office run the sign-in; the counsellor and leader of
    the college reached read the list but do not run it."""
    allowed = [org.users.contact_a, org.users.staff]
    refused = [roster.chem_counsellor, org.users.leader_a, org.users.contact_b,
               roster.mech_counsellor, roster.chem_students[0], org.users.leadership,
               org.users.police]
    for user in (roster.chem_counsellor, org.users.leader_a):
        assert user.has_perm("education.view_activity_attendance", roster.training)
    for user in (org.users.contact_b, roster.mech_counsellor, roster.chem_students[0]):
        assert not user.has_perm("education.view_activity_attendance", roster.training)
    for user in allowed:
        services.activity_sign_in_close(actor=user, activity_id=roster.training.pk)
    for user in refused:
        with pytest.raises(NotAllowed):
            services.activity_sign_in_open(actor=user, activity_id=roster.training.pk)
    roster.training.refresh_from_db()
    assert roster.training.sign_in_open is False
    # only the first close changed anything
    assert ActivityEntry.objects.filter(verb="education.sign_in_close").count() == 1


# --- manual additions ------------------------------------------------------------------------
def test_the_organiser_adds_people_by_number_or_username(org, roster):
    first = services.attendance_add(actor=org.users.contact_a, activity_id=roster.training.pk,
                                    identifier=" ２０２４００１０１ ")  # full width, spaces
    second = services.attendance_add(actor=org.users.contact_a, activity_id=roster.training.pk,
                                     identifier="MECH2")
    again = services.attendance_add(actor=org.users.contact_a, activity_id=roster.training.pk,
                                    identifier="202400101")
    assert first.created and second.created and not again.created
    assert first.attendance.user == roster.chem_students[0]
    assert (second.attendance.user, second.attendance.method, second.attendance.recorded_by,
            second.attendance.college) == (roster.mech_students[1], Attendance.Method.MANUAL,
                                           org.users.contact_a, org.unit_b)
    error = _error(lambda: services.attendance_add(
        actor=org.users.contact_a, activity_id=roster.training.pk, identifier="999"))
    assert error.field_errors == {
        "person": ["Nobody has the staff or student number or username “999”."]}
    with pytest.raises(NotAllowed):
        services.attendance_add(actor=roster.chem_students[1], activity_id=roster.training.pk,
                                identifier="chem2")
    assert Attendance.objects.count() == 2


def test_nobody_is_added_to_a_cancelled_or_far_future_activity(org, roster):
    later = make_activity(org, organiser=org.users.contact_a, starts_in=48)
    error = _error(lambda: services.attendance_add(actor=org.users.staff, activity_id=later.pk,
                                                   identifier="chem1"))
    assert error.code == "too_early"
    Activity.objects.filter(pk=later.pk).update(state=Activity.State.CANCELLED)
    assert _error(lambda: services.attendance_add(
        actor=org.users.staff, activity_id=later.pk, identifier="chem1")).code == "cancelled"


# --- imports ---------------------------------------------------------------------------------
def _csv(text: str, name="list.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\ufeff" + text).encode("utf-8"), content_type="text/csv")


def _xlsx(rows) -> SimpleUploadedFile:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("list.xlsx", buffer.getvalue())


def test_an_import_with_an_unknown_number_writes_nothing_and_lists_the_rows(org, roster):
    upload = _csv("姓名,学号\n甲,202400101\n乙,202400999\n丙,\n丁,202400201\n")
    with pytest.raises(ImportRejected) as caught:
        services.attendance_import(actor=org.users.contact_a, activity_id=roster.training.pk,
                                   uploaded_file=upload)
    assert [str(e) for e in caught.value.errors] == [
        "Row 3, column “学号”: Nobody has the staff or student number or username “202400999”.",
        "Row 4, column “学号”: The staff or student number is empty.",
    ]
    assert caught.value.message == "2 problems found; nothing was imported."
    assert not Attendance.objects.exists()


def test_an_import_adds_everyone_once_and_counts_those_already_there(org, roster):
    services.attendance_sign_in(actor=roster.chem_students[0], code=roster.code)
    upload = _xlsx([["No.", "Number"], [1, 202400101], [2, "202400102"], [3, "202400102"],
                    [4, "mech3"]])
    outcome = services.attendance_import(actor=org.users.contact_a,
                                         activity_id=roster.training.pk, uploaded_file=upload)
    assert (outcome.added, outcome.already, outcome.rows) == (2, 1, 4)
    rows = {a.user.username: a for a in Attendance.objects.select_related("user")}
    assert set(rows) == {"chem1", "chem2", "mech3"}
    assert rows["chem1"].method == Attendance.Method.QR
    assert rows["chem2"].method == Attendance.Method.IMPORT
    assert rows["mech3"].college == org.unit_b and rows["mech3"].class_group == roster.mech
    entry = ActivityEntry.objects.get(verb="education.attendance_import")
    assert entry.data["added"] == 2


def test_a_file_without_a_number_column_is_refused_naming_its_columns(org, roster):
    error = _error(lambda: services.attendance_import(
        actor=org.users.contact_a, activity_id=roster.training.pk,
        uploaded_file=_csv("姓名,班级\n甲,化学2401\n")))
    assert error.field_errors == {"file": [
        "No column of the file is headed with a staff or student number (学号, 工号) or "
        "username; its columns are: 姓名、班级."]}
    # a single column is taken whatever its header
    outcome = services.attendance_import(actor=org.users.contact_a,
                                         activity_id=roster.training.pk,
                                         uploaded_file=_csv("名单\n202400103\n"))
    assert outcome.added == 1


def test_only_organisers_import(org, roster):
    with pytest.raises(NotAllowed):
        services.attendance_import(actor=org.users.contact_b, activity_id=roster.training.pk,
                                   uploaded_file=_csv("学号\n202400101\n"))


# --- lists by unit and absentees -------------------------------------------------------------
def test_attendance_by_unit_with_the_expected_audience_and_absentees(org, roster):
    training = make_activity(org, organiser=org.users.staff, colleges=[org.unit_a],
                             classes=[roster.mech])
    code = activity_code(training)
    for student in roster.chem_students[:3] + roster.mech_students[:1]:
        services.attendance_sign_in(actor=student, code=code)
    services.attendance_add(actor=org.users.staff, activity_id=training.pk,
                            identifier=org.users.guard.username)  # no affiliation
    training = selectors.activity_get(training.pk)
    rows = {r.name: r for r in selectors.attendance_by_unit(training)}
    assert [(r.attended, r.expected, r.absent, r.rate) for r in (rows["化学学院"],
                                                                  rows["机械学院"])] == [
        (3, 4, 1, 75), (1, 3, 2, 33)]
    assert rows[""].attended == 1 and rows[""].expected == 0
    absent = [a.user.username for a in selectors.absentees(training)]
    assert absent == ["chem4", "mech2", "mech3"]


def test_a_dormitory_drill_expects_the_buildings_residents(org, roster):
    drill = make_activity(org, organiser=org.users.staff, kind=Activity.Kind.DRILL,
                          buildings=[org.building_a], title="宿舍楼疏散演练")
    drill = selectors.activity_get(drill.pk)
    assert [a.user.username for a in selectors.absentees(drill)] == ["chem1"]
    booth = make_activity(org, organiser=org.users.staff, kind=Activity.Kind.BOOTH)
    booth = selectors.activity_get(booth.pk)
    assert selectors.expected_q(booth) is None
    assert list(selectors.absentees(booth)) == []


def test_the_trainings_page_counts_by_unit(org, roster):
    for student in roster.chem_students[:2] + roster.mech_students[:1]:
        services.attendance_sign_in(actor=student, code=roster.code)
    make_activity(org, organiser=org.users.staff, kind=Activity.Kind.BOOTH)  # not a training
    past = make_activity(org, organiser=org.users.staff, kind=Activity.Kind.DRILL,
                         starts_in=-30, title="演练")
    upcoming = list(selectors.trainings(upcoming=True))
    assert [a.pk for a in upcoming] == [roster.training.pk] and upcoming[0].attended == 3
    assert [a.pk for a in selectors.trainings(upcoming=False)] == [past.pk]
    assert selectors.units_of(upcoming) == {roster.training.pk: [("化学学院", 2),
                                                                 ("机械学院", 1)]}


# --- person records --------------------------------------------------------------------------
def test_my_records_are_mine_newest_first(org, roster):
    student = roster.chem_students[0]
    older = make_activity(org, organiser=org.users.staff, starts_in=-0.9, hours=2,
                          title="较早的培训")
    with clock.frozen(clock.now() - dt.timedelta(minutes=20)):
        services.attendance_sign_in(actor=student, code=activity_code(older))
    services.attendance_sign_in(actor=student, code=roster.code)
    services.attendance_sign_in(actor=roster.chem_students[1], code=roster.code)
    assert [a.activity.title for a in selectors.my_attendances(student)] == [
        "消防安全培训", "较早的培训"]


def test_counsellors_see_only_their_colleges_people(org, roster):
    chem1, mech1 = roster.chem_students[0], roster.mech_students[0]
    counsellor = roster.chem_counsellor
    assert counsellor.has_perm("education.view_person_records", chem1)
    assert not counsellor.has_perm("education.view_person_records", mech1)
    assert [u.username for u in selectors.person_search(counsellor, "2024")] == [
        "chem1", "chem2", "chem3", "chem4"]
    assert selectors.person_get(counsellor, mech1.pk) is None
    assert selectors.person_get(counsellor, chem1.pk) == chem1
    assert len(selectors.person_search(org.users.staff, "2024")) == 7
    assert selectors.person_search(org.users.contact_a, "2024") == []
    assert not org.users.contact_a.has_perm("education.view_person_records")
    assert not chem1.has_perm("education.view_person_records")


def test_coordinates_are_compared_in_metres(org, roster):
    activity = roster.training
    Activity.objects.filter(pk=activity.pk).update(latitude=Decimal("34.250000"),
                                                   longitude=Decimal("108.980000"),
                                                   sign_in_radius_m=100)
    near = services.attendance_sign_in(actor=roster.chem_students[0], code=roster.code,
                                       latitude="34.250500", longitude="108.980000")
    far = services.attendance_sign_in(actor=roster.chem_students[1], code=roster.code,
                                      latitude="34.251000", longitude="108.980000")
    assert (near.attendance.distance_m, near.attendance.far_away) == (56, False)
    assert (far.attendance.distance_m, far.attendance.far_away) == (111, True)


def test_the_signer_reads_the_url_and_the_code(org, roster):
    assert signer.parse(activity_url(roster.training)).pk == roster.training.pk
    assert activity_url(roster.training).startswith("http")
    assert f"/education/a/{roster.code}/" in activity_url(roster.training)


def test_the_sweep_closes_sign_in_after_the_window_once(org, roster):
    running = roster.training
    over = make_activity(org, organiser=org.users.staff, starts_in=-6, hours=1, title="早上的培训")
    cancelled = make_activity(org, organiser=org.users.staff, starts_in=3, title="取消的培训")
    Activity.objects.filter(pk=cancelled.pk).update(state=Activity.State.CANCELLED)
    assert services.sign_in_close_expired() == 2
    assert services.sign_in_close_expired() == 0
    states = dict(Activity.objects.values_list("pk", "sign_in_open"))
    assert states == {running.pk: True, over.pk: False, cancelled.pk: False}
    entry = ActivityEntry.objects.filter(verb="education.sign_in_close").first()
    assert entry.actor is None and entry.data == {"reason": "window_over"}
    from safecampus.education.tasks.attendance import attendance_sign_in_close_expired

    assert attendance_sign_in_close_expired.call_local() == 0
