"""Activities: terms (no overlap), campaigns, planning, holding (materials, photos all or
nothing), cancelling, the state machine's edges, unit scoping, and coverage."""
# ruff: noqa: F811  (fixtures imported from activity_helpers)

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_fsm import TransitionNotAllowed

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.models import ActivityEntry
from safecampus.education.models import Activity, ActivityMaterial, ActivityPhoto, Partner
from safecampus.education.selectors import activities as selectors
from safecampus.education.services import activities as services
from safecampus.tests.factories import photo_upload

from .activity_helpers import attend, edu, english, hold, local, plan  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")


# --- terms and campaigns ----------------------------------------------------------------------
def test_an_overlapping_term_is_refused_naming_the_other(edu):
    with pytest.raises(DomainError) as error:
        services.term_create(actor=edu.staff, name="冬", starts_on=dt.date(2027, 1, 10),
                             ends_on=dt.date(2027, 2, 20))
    assert error.value.field_errors["starts_on"] == [
        "These dates overlap the term “2026秋” (2026-09-01 to 2027-01-17)."]
    spring = services.term_create(actor=edu.staff, name="2027春", starts_on=dt.date(2027, 2, 20),
                                  ends_on=dt.date(2027, 7, 5))
    assert selectors.term_for_date(dt.date(2027, 1, 17)) == edu.term
    assert selectors.term_for_date(dt.date(2027, 2, 20)) == spring
    assert selectors.term_for_date(dt.date(2027, 2, 1)) is None
    with pytest.raises(DomainError) as error:  # moving a term onto another is refused too
        services.term_update(actor=edu.staff, term_id=spring.pk, name="2027春",
                             starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 7, 5))
    assert "2026秋" in error.value.field_errors["starts_on"][0]


def test_term_reversed_dates_and_permission(edu, org):
    with pytest.raises(DomainError) as error:
        services.term_create(actor=edu.staff, name="x", starts_on=dt.date(2028, 3, 1),
                             ends_on=dt.date(2028, 2, 1))
    assert error.value.field_errors == {"ends_on": ["The last day is before the first day."]}
    with pytest.raises(NotAllowed):
        services.term_create(actor=org.users.contact_a, name="y",
                             starts_on=dt.date(2028, 3, 1), ends_on=dt.date(2028, 4, 1))


def test_a_partner_name_is_taken_once(org):
    services.partner_create(actor=org.users.staff, name="雁塔派出所", kind="police_station")
    with pytest.raises(DomainError) as error:
        services.partner_create(actor=org.users.staff, name=" 雁塔派出所 ", kind="police_station")
    assert error.value.field_errors == {"name": ["A partner with this name exists."]}
    assert Partner.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_partner_sent_twice_at_once_is_stored_once_and_the_other_is_told(org):
    """A double submit on PostgreSQL: both requests pass the name check, the unique name
    lets one insert; the other gets the "name exists" field error, not a 500."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    barrier = threading.Barrier(2)
    created, refused, other = [], [], []

    def run():
        try:
            with translation.override("en"):
                barrier.wait()
                created.append(services.partner_create(
                    actor=org.users.staff, name="长安派出所", kind="police_station"))
        except DomainError as error:
            refused.append(error)
        except Exception as error:  # noqa: BLE001 - reported below
            other.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert other == []
    assert len(created) == 1 and len(refused) == 1
    assert refused[0].field_errors == {"name": ["A partner with this name exists."]}
    assert Partner.objects.filter(name="长安派出所").count() == 1


def test_campaign_takes_the_term_of_its_first_day_and_must_lie_within(edu):
    campaign = services.campaign_create(actor=edu.staff, title="反诈宣传月", topic="anti_fraud",
                                        starts_on=dt.date(2026, 11, 1),
                                        ends_on=dt.date(2026, 11, 30))
    assert campaign.term == edu.term
    with pytest.raises(DomainError) as error:
        services.campaign_create(actor=edu.staff, title="x", topic="fire", term_id=edu.term.pk,
                                 starts_on=dt.date(2027, 1, 10), ends_on=dt.date(2027, 2, 1))
    assert error.value.field_errors["ends_on"] == [
        "The campaign must lie within the term “2026秋” (2026-09-01 to 2027-01-17)."]


def test_campaign_totals(edu, org):
    campaign = services.campaign_create(actor=edu.staff, title="月", topic="anti_fraud",
                                        starts_on=dt.date(2026, 11, 1),
                                        ends_on=dt.date(2026, 11, 30))
    a = plan(edu.staff, campaign_id=campaign.pk)
    b = plan(edu.staff, campaign_id=campaign.pk)
    plan(edu.staff, campaign_id=campaign.pk, starts_at=local(2026, 12, 5, 10))
    hold(edu.staff, a, 300, materials=[services.Material("纸巾", 500, "包"),
                                       services.Material("折页", 200, "份")])
    hold(edu.staff, b, 120, materials=[services.Material("纸巾", 100, "包")])
    totals = selectors.campaign_totals(campaign)
    assert (totals.activities, totals.held, totals.planned, totals.people) == (3, 2, 1, 420)
    assert totals.materials == [{"name": "纸巾", "unit_label": "包", "quantity": 600},
                                {"name": "折页", "unit_label": "份", "quantity": 200}]


# --- planning ---------------------------------------------------------------------------------
def test_bad_input_gives_field_errors_and_writes_nothing(edu, org):
    start = local(2026, 12, 1, 10)
    data = services.ActivityInput(title="", topic="nope", kind="booth", starts_at=start,
                                  ends_at=start - dt.timedelta(minutes=1), location="",
                                  building_ids=[999999, "x"], campaign_id=424242)
    with pytest.raises(DomainError) as error:
        services.activity_create(actor=edu.staff, data=data)
    fields = error.value.field_errors
    assert fields["title"] == ["Give the activity a title."]
    assert fields["topic"] == ["Choose a topic."]
    assert fields["ends_at"] == ["The end is before the start."]
    assert fields["campaign"] == ["No such campaign."]
    assert fields["buildings"] == ["“x” is not a valid choice.", "Unknown choices: 999999."]
    assert fields["location"][0].startswith("Choose a place or say where")
    assert Activity.objects.count() == 0


def test_a_place_must_be_on_the_campus_given(edu, org):
    with pytest.raises(DomainError) as error:
        plan(edu.staff, campus_id=org.campus2.pk, place_id=org.place_a.pk)
    assert error.value.field_errors["place"] == ["101实验室 is not on 南校区."]
    activity = plan(edu.staff, place_id=org.place_a.pk, location="")
    assert activity.campus == org.campus1  # the place's campus
    assert ActivityEntry.objects.filter(verb="education.activity_create",
                                        target_id=activity.pk).count() == 1


def test_idempotency_key_creates_one_activity(edu):
    start = local(2026, 12, 1, 10)
    data = services.ActivityInput(title="讲座", topic="fire", kind="lecture", starts_at=start,
                                  ends_at=start + dt.timedelta(hours=1), location="报告厅")
    first = services.activity_create(actor=edu.staff, data=data, idempotency_key="key-12345678")
    again = services.activity_create(actor=edu.staff, data=data, idempotency_key="key-12345678")
    assert first.pk == again.pk and Activity.objects.count() == 1


def test_unit_contacts_and_counsellors_record_only_for_their_units(edu, org):
    contact = org.users.contact_a
    with pytest.raises(DomainError) as error:
        plan(contact, colleges=[org.unit_a, org.unit_b])
    assert error.value.field_errors["colleges"] == [
        "You record activities only for your own units; not for 机械学院."]
    with pytest.raises(DomainError) as error:
        plan(contact)
    assert error.value.field_errors["colleges"] == ["Name your unit among the colleges reached."]
    with pytest.raises(DomainError) as error:
        plan(edu.counsellor, colleges=[org.unit_a], classes=[edu.classes[2]])
    assert error.value.field_errors["class_groups"] == [
        "These classes are not in your units: 机械2501."]
    mine = plan(edu.counsellor, colleges=[org.unit_a], classes=[edu.classes[0]])
    other = plan(edu.staff, colleges=[org.unit_b])
    # the contact of unit A sees the counsellor's activity (it reached unit A), not unit B's;
    # only the organiser (or the office) holds it
    visible = set(selectors.activities_visible_to(contact).values_list("pk", flat=True))
    assert visible == {mine.pk}
    assert set(selectors.activities_visible_to(org.users.contact_b)
               .values_list("pk", flat=True)) == {other.pk}
    assert selectors.activities_visible_to(org.users.student).count() == 0
    with pytest.raises(NotAllowed):
        hold(contact, other)
    with pytest.raises(NotAllowed):
        hold(contact, mine)
    hold(edu.counsellor, mine)
    assert Activity.objects.get(pk=mine.pk).state == Activity.State.HELD


def test_a_unit_contact_sees_but_cannot_change_an_office_activity_reaching_their_unit(edu, org):
    """Given an office activity for units A and B, when the contact of unit A tries to cancel
    it, hold it or run its sign-in, then each is refused and nothing changes; they still see
    it and its attendance list."""
    from safecampus.education.services import attendance as attendance_services

    contact = org.users.contact_a
    activity = plan(edu.staff, colleges=[org.unit_a, org.unit_b])
    assert contact.has_perm("education.view_activity", activity)
    assert contact.has_perm("education.view_activity_attendance", activity)
    for perm in ("education.change_activity", "education.manage_attendance"):
        assert not contact.has_perm(perm, activity)
        assert edu.staff.has_perm(perm, activity)
    with pytest.raises(NotAllowed):
        services.activity_cancel(actor=contact, activity_id=activity.pk, reason="不办了")
    with pytest.raises(NotAllowed):
        hold(contact, activity)
    with pytest.raises(NotAllowed):
        attendance_services.activity_sign_in_renew(actor=contact, activity_id=activity.pk)
    with pytest.raises(NotAllowed):
        attendance_services.activity_sign_in_open(actor=contact, activity_id=activity.pk)
    activity.refresh_from_db()
    assert (activity.state, activity.sign_in_generation, activity.sign_in_open) == (
        "planned", 1, False)
    assert [e.verb for e in activity_for(activity)] == ["education.activity_create"]


# --- holding and cancelling -------------------------------------------------------------------
def test_hold_records_materials_and_photos(edu):
    activity = plan(edu.staff)
    hold(edu.staff, activity, 250, summary="顺利",
         materials=[services.Material("纸巾", "500", "包"), services.Material("", None, ""),
                    services.Material("折页", 300, "份")],
         photos=[photo_upload("a.jpg"), photo_upload("b.png", fmt="PNG")])
    activity.refresh_from_db()
    assert (activity.state, activity.audience_count, activity.held_note) == ("held", 250, "顺利")
    assert list(activity.materials.values_list("name", "quantity", "unit_label")) == [
        ("纸巾", 500, "包"), ("折页", 300, "份")]
    assert activity.photos.count() == 2
    entry = ActivityEntry.objects.get(verb="education.activity_hold", target_id=activity.pk)
    assert (entry.from_state, entry.to_state, entry.actor) == ("planned", "held", edu.staff)


def test_one_bad_photo_refuses_the_whole_submission(edu):
    activity = plan(edu.staff)
    bad = photo_upload("broken.jpg")
    bad.file.seek(0)
    bad.file.truncate(0)
    bad.file.write(b"not an image at all")
    bad.size = 19
    with pytest.raises(DomainError) as error:
        hold(edu.staff, activity, 10, photos=[photo_upload("good.jpg"), bad],
             materials=[services.Material("纸巾", 5, "包")])
    assert error.value.field_errors["photos"] == [
        "broken.jpg is not a photo we can read; use JPEG, PNG, WebP or HEIC."]
    activity.refresh_from_db()
    assert activity.state == "planned" and activity.audience_count is None
    assert ActivityPhoto.objects.count() == 0 and ActivityMaterial.objects.count() == 0


def test_hold_bad_input(edu):
    activity = plan(edu.staff)
    with pytest.raises(DomainError) as error:
        services.activity_hold(actor=edu.staff, activity_id=activity.pk, audience_count="many",
                               materials=[services.Material("纸巾", 0, "包"),
                                          services.Material("", 3, "")],
                               photos=[photo_upload(f"{n}.jpg") for n in range(10)])
    assert error.value.field_errors == {
        "audience_count": ["Give the number of people reached (0 to 100000)."],
        "materials": ["Row 1: the quantity of 纸巾 must be a whole number from 1 to 1000000.",
                      "Row 2: name the item."],
        "photos": ["At most 9 photos."]}
    future = plan(edu.staff, starts_at=local(2026, 12, 20, 10))
    with pytest.raises(DomainError) as error:
        hold(edu.staff, future)
    assert error.value.code == "not_started"


@pytest.mark.parametrize("first, second", [("hold", "hold"), ("hold", "cancel"),
                                           ("cancel", "hold"), ("cancel", "cancel")])
def test_forbidden_edges_are_conflicts(edu, first, second):
    activity = plan(edu.staff)
    steps = {"hold": lambda: hold(edu.staff, activity),
             "cancel": lambda: services.activity_cancel(actor=edu.staff,
                                                        activity_id=activity.pk, reason="雨")}
    steps[first]()
    state = Activity.objects.get(pk=activity.pk).state
    with pytest.raises(Conflict) as error:
        steps[second]()
    assert error.value.message == f"This activity is already {state.capitalize()}."
    assert Activity.objects.get(pk=activity.pk).state == state


def test_cancel_needs_a_reason_and_is_on_the_timeline(edu):
    activity = plan(edu.staff)
    with pytest.raises(DomainError) as error:
        services.activity_cancel(actor=edu.staff, activity_id=activity.pk, reason="  ")
    assert error.value.field_errors == {"reason": ["Say why the activity is cancelled."]}
    services.activity_cancel(actor=edu.staff, activity_id=activity.pk, reason="降雨")
    entry = ActivityEntry.objects.get(verb="education.activity_cancel")
    assert (entry.from_state, entry.to_state, entry.comment) == ("planned", "cancelled", "降雨")


def test_the_state_field_is_protected(edu):
    activity = plan(edu.staff)
    with pytest.raises(AttributeError):
        activity.state = Activity.State.HELD
    activity.hold()
    with pytest.raises(TransitionNotAllowed):
        activity.cancel()


# --- coverage ---------------------------------------------------------------------------------
def _rows(result):
    return {r.label: r for r in result.rows}


def test_coverage_counts_held_activities_in_the_term_by_group(edu, org):
    d1, d2, d3 = edu.dorms
    a = plan(edu.staff, buildings=[d1], starts_at=local(2026, 10, 8, 20))
    b = plan(edu.staff, buildings=[d1, d2], starts_at=local(2026, 11, 12, 20))
    hold(edu.staff, a, 40)
    hold(edu.staff, b, 60)
    plan(edu.staff, buildings=[d3], starts_at=local(2026, 11, 13, 20))  # planned only
    cancelled = plan(edu.staff, buildings=[d3], starts_at=local(2026, 11, 14, 20))
    services.activity_cancel(actor=edu.staff, activity_id=cancelled.pk, reason="雨")
    with clock.frozen(local(2026, 8, 31, 23)):  # before the term
        early = plan(edu.staff, buildings=[d3], starts_at=local(2026, 8, 31, 15))
        hold(edu.staff, early, 10)
    result = selectors.coverage(term=edu.term, dimension="dorms")
    assert result.months == [dt.date(2026, m, 1) for m in (9, 10, 11, 12)] + [dt.date(2027, 1, 1)]
    rows = _rows(result)
    assert rows["d1公寓"].months == [0, 1, 1, 0, 0]
    assert (rows["d1公寓"].activities, rows["d1公寓"].people) == (2, 100)
    assert rows["d1公寓"].last_at == local(2026, 11, 12, 20)
    assert (rows["d2公寓"].activities, rows["d2公寓"].people) == (1, 60)
    assert rows["d3公寓"].activities == 0 and rows["d3公寓"].last_at is None
    assert [r.label for r in result.uncovered] == ["d3公寓"]
    # the non-dormitory buildings of the organisation are not coverage groups
    assert set(rows) == {"d1公寓", "d2公寓", "d3公寓"}


def test_coverage_month_is_the_local_month(edu):
    # 31 Oct 2026 23:30 in Shanghai is 15:30 UTC: an October activity.
    a = plan(edu.staff, buildings=[edu.dorms[0]], starts_at=local(2026, 10, 31, 23, 30))
    hold(edu.staff, a)
    assert _rows(selectors.coverage(term=edu.term, dimension="dorms"))["d1公寓"].months == [
        0, 1, 0, 0, 0]


def test_coverage_topic_filter(edu, org):
    fire = plan(edu.staff, topic="fire", kind="drill", colleges=[org.unit_a])
    fraud = plan(edu.staff, colleges=[org.unit_b])
    hold(edu.staff, fire)
    hold(edu.staff, fraud)
    all_topics = _rows(selectors.coverage(term=edu.term, dimension="colleges"))
    assert (all_topics["化学学院"].activities, all_topics["机械学院"].activities) == (1, 1)
    only_fire = selectors.coverage(term=edu.term, dimension="colleges", topic="fire")
    assert [r.label for r in only_fire.uncovered] == ["机械学院"]


def test_a_campus_reached_does_not_count_for_its_buildings_or_classes(edu, org):
    a = plan(edu.staff, campuses=[org.campus1])
    hold(edu.staff, a, 500)
    campuses = _rows(selectors.coverage(term=edu.term, dimension="campuses"))
    assert campuses["北校区"].activities == 1 and campuses["南校区"].activities == 0
    assert campuses["北校区"].size is None  # no attendance figure for campuses
    assert all(not r.reached for r in
               selectors.coverage(term=edu.term, dimension="dorms").rows)
    assert all(not r.reached for r in
               selectors.coverage(term=edu.term, dimension="classes").rows)


def test_attendance_reach_is_shown_beside_not_mixed_in(edu, org):
    talk = plan(edu.staff, kind="lecture", colleges=[org.unit_a])
    hold(edu.staff, talk, 80)
    attend(talk, edu.students[0])
    attend(talk, edu.students[2])  # class 2401, dorm d2
    attend(talk, edu.students[4])  # unit B's class 2501, dorm d3
    planned = plan(edu.staff, colleges=[org.unit_b], starts_at=local(2026, 12, 20, 10))
    attend(planned, edu.students[5])  # not held: does not count
    colleges = _rows(selectors.coverage(term=edu.term, dimension="colleges"))
    assert (colleges["化学学院"].attended, colleges["化学学院"].size) == (2, 4)
    assert colleges["化学学院"].percent == 50.0
    assert (colleges["机械学院"].attended, colleges["机械学院"].size) == (1, 2)
    assert not colleges["机械学院"].reached  # attendance alone does not make it reached
    classes = _rows(selectors.coverage(term=edu.term, dimension="classes"))
    assert (classes["化学2401"].attended, classes["化学2401"].size) == (2, 3)
    assert (classes["化学2402"].attended, classes["化学2402"].size) == (0, 1)
    dorms = _rows(selectors.coverage(term=edu.term, dimension="dorms"))
    assert [(dorms[d].attended, dorms[d].size) for d in ("d1公寓", "d2公寓", "d3公寓")] == [
        (1, 2), (1, 2), (1, 2)]


def test_coverage_query_count_does_not_grow_with_groups(edu, org):
    from safecampus.organisation.models import ClassGroup

    def count():
        with CaptureQueriesContext(connection) as queries:
            result = selectors.coverage(term=edu.term, dimension="classes")
            assert result.rows
        return len(queries)

    hold(edu.staff, plan(edu.staff, classes=edu.classes, colleges=[org.unit_a]))
    few = count()
    for n in range(30):
        ClassGroup.objects.create(college=org.unit_b, enrolment_year=2026, code=f"x-{n}",
                                  name=f"新{n}", campus=org.campus2)
    assert few == count() == 3


# --- sign-in position -------------------------------------------------------------------------
def test_a_planned_position_and_distance_flag_far_sign_ins(edu, org):
    """Given an activity planned at 34.246, 108.983 with 100 m allowed, a sign-in 56 m away
    is near and one 1.5 km away is flagged far away (both stored)."""
    from safecampus.education.qr import activity_code
    from safecampus.education.services import attendance as attendance_services

    activity = plan(edu.staff, starts_at=local(2026, 11, 30, 9, 30), hours=2,
                    latitude="34.2460004", longitude=108.983, sign_in_radius_m="100")
    activity.refresh_from_db()
    assert (str(activity.latitude), str(activity.longitude), activity.sign_in_radius_m) == (
        "34.246000", "108.983000", 100)
    attendance_services.activity_sign_in_open(actor=edu.staff, activity_id=activity.pk)
    code = activity_code(activity)
    near = attendance_services.attendance_sign_in(
        actor=edu.students[0], code=code, latitude="34.2465", longitude="108.983")
    far = attendance_services.attendance_sign_in(
        actor=edu.students[1], code=code, latitude="34.26", longitude="108.983")
    assert (near.attendance.far_away, far.attendance.far_away) == (False, True)
    default = plan(edu.staff, latitude="", longitude=None, sign_in_radius_m="")
    default.refresh_from_db()
    assert (default.latitude, default.longitude, default.sign_in_radius_m) == (None, None, 300)


@pytest.mark.parametrize(("given", "errors"), [
    ({"latitude": "34°14′", "longitude": "108.98"},
     {"latitude": ["Enter the position in decimal degrees (WGS-84), not degrees and minutes."]}),
    ({"latitude": "95", "longitude": "190"},
     {"latitude": ["The latitude must be between -90 and 90 degrees."],
      "longitude": ["The longitude must be between -180 and 180 degrees."]}),
    ({"latitude": "34.246"}, {"longitude": ["Give both latitude and longitude, or neither."]}),
    ({"sign_in_radius_m": "5"},
     {"sign_in_radius_m": ["The allowed distance is a whole number of metres from 10 to 5000."]}),
    ({"sign_in_radius_m": "abc"},
     {"sign_in_radius_m": ["The allowed distance is a whole number of metres from 10 to 5000."]}),
])
def test_a_bad_position_or_distance_is_a_field_error(edu, given, errors):
    with pytest.raises(DomainError) as error:
        plan(edu.staff, **given)
    assert error.value.field_errors == errors
    assert not Activity.objects.exists()


def test_coverage_of_one_campaign_counts_only_its_activities_and_sign_ins(edu, org):
    campaign = services.campaign_create(actor=edu.staff, title="反诈宣传月", topic="anti_fraud",
                                        starts_on=dt.date(2026, 11, 1),
                                        ends_on=dt.date(2026, 11, 30))
    d1, d2, _d3 = edu.dorms
    inside = plan(edu.staff, buildings=[d1], campaign_id=campaign.pk)
    outside = plan(edu.staff, buildings=[d2])  # same topic and term, no campaign
    hold(edu.staff, inside, 30)
    hold(edu.staff, outside, 50)
    attend(inside, edu.students[0])  # lives in d1
    attend(outside, edu.students[2])  # lives in d2
    whole = _rows(selectors.coverage(term=edu.term, dimension="dorms", topic="anti_fraud"))
    assert (whole["d1公寓"].activities, whole["d2公寓"].activities) == (1, 1)
    result = selectors.coverage(term=edu.term, dimension="dorms", campaign=campaign)
    rows = _rows(result)
    assert result.campaign == campaign
    assert (rows["d1公寓"].activities, rows["d1公寓"].people, rows["d1公寓"].attended) == (
        1, 30, 1)
    assert (rows["d2公寓"].activities, rows["d2公寓"].attended) == (0, 0)
    assert [r.label for r in result.uncovered] == ["d2公寓", "d3公寓"]


def test_the_coverage_scope_takes_a_campaigns_term(edu):
    with clock.frozen(local(2026, 12, 1, 9)):
        spring = services.term_create(actor=edu.staff, name="2027春",
                                      starts_on=dt.date(2027, 2, 20),
                                      ends_on=dt.date(2027, 7, 10))
        campaign = services.campaign_create(actor=edu.staff, title="春季", topic="fire",
                                            starts_on=dt.date(2027, 3, 1),
                                            ends_on=dt.date(2027, 3, 31))
    assert selectors.coverage_scope(term_id=edu.term.pk, campaign_id=campaign.pk) == (
        spring, campaign)
    assert selectors.coverage_scope(term_id=None, campaign_id=None) == (edu.term, None)
    assert selectors.coverage_scope(term_id=spring.pk, campaign_id=999999) == (spring, None)
