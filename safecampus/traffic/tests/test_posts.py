"""Duty posts, services: codes, timetable and duty times, planning, sign-in, log, alerts."""
# ruff: noqa: F811  (the ``posts`` fixture is imported from post_helpers)

import datetime as dt

import pytest
from django.conf import settings
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from safecampus.core import clock
from safecampus.core.activity import ActivityEntry
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.notifications.models import Notification
from safecampus.traffic.models import (
    ClassPeriod,
    DutyPost,
    PostDuty,
    PostDutyTime,
    PostLogEntry,
    PostSignIn,
)
from safecampus.traffic.selectors import posts as selectors
from safecampus.traffic.services import posts as services

from .post_helpers import MONDAY, english, local, new_id, posts, sign_in, t  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")


def _duty(posts, duty_time=None, day=MONDAY) -> PostDuty:
    services.post_duties_plan(day=day)
    return PostDuty.objects.get(duty_time=duty_time or posts.morning, duty_date=day)


# --- times ------------------------------------------------------------------------------------
def test_an_anchored_duty_runs_around_the_class_start_in_beijing_time(posts):
    start, end = services.duty_time_bounds(posts.morning, MONDAY)
    assert (start, end) == (local(2026, 3, 2, 7, 45), local(2026, 3, 2, 8, 10))
    # stored in UTC: the duty of Monday starts on Sunday 23:45 UTC
    assert start.tzinfo == dt.UTC and start == dt.datetime(2026, 3, 1, 23, 45, tzinfo=dt.UTC)


def test_a_class_end_anchor_and_fixed_times(org, posts):
    lunch = services.duty_time_create(
        actor=org.users.staff, post_id=posts.canteen.pk, name="Lunch",
        anchor=PostDutyTime.Anchor.CLASS_END, class_period_id=posts.periods[3].pk,
        minutes_before=5, minutes_after=30)
    assert services.duty_time_bounds(lunch, MONDAY) == (local(2026, 3, 2, 11, 35),
                                                        local(2026, 3, 2, 12, 10))
    assert services.duty_time_bounds(posts.noon, MONDAY) == (local(2026, 3, 2, 11, 35),
                                                             local(2026, 3, 2, 11, 55))


# --- planning ---------------------------------------------------------------------------------
def test_planning_makes_each_days_duties_once_with_the_standing_guards(org, posts):
    assert services.post_duties_plan(day=MONDAY) == 2
    assert services.post_duties_plan(day=MONDAY) == 0  # idempotent
    duty = PostDuty.objects.get(duty_time=posts.morning, duty_date=MONDAY)
    assert list(duty.guards.all()) == [org.users.guard]
    assert (duty.starts_at, duty.ends_at) == (local(2026, 3, 2, 7, 45), local(2026, 3, 2, 8, 10))
    assert duty.post == posts.canteen and duty.first_sign_in_at is None
    # weekdays: Saturday has only the every-day noon duty
    saturday = MONDAY + dt.timedelta(days=5)
    assert services.post_duties_plan(day=saturday) == 1
    assert PostDuty.objects.get(duty_date=saturday).duty_time == posts.noon


def test_a_changed_roster_survives_planning_again(org, posts):
    duty = _duty(posts)
    with clock.frozen(local(2026, 3, 1, 20, 0)):
        services.post_duty_roster_set(actor=org.users.staff, duty_id=duty.pk,
                                      guard_ids=[org.users.staff2.pk])
    assert services.post_duties_plan(day=MONDAY) == 0
    assert list(duty.guards.all()) == [org.users.staff2]
    assert ActivityEntry.objects.filter(verb="traffic.post_roster").count() == 1


def test_inactive_posts_and_duty_times_are_not_planned(org, posts):
    services.post_set_active(actor=org.users.staff, post_id=posts.teaching.pk, active=False)
    services.duty_time_update(
        actor=org.users.staff, duty_time_id=posts.morning.pk, name="Morning",
        anchor="class_start", class_period_id=posts.periods[0].pk, minutes_before=15,
        minutes_after=10, weekdays="12345", is_active=False)
    assert services.post_duties_plan(day=MONDAY) == 0


def test_a_new_timetable_applies_from_the_next_planned_day(org, posts):
    duty = _duty(posts)
    services.class_timetable_set(actor=org.users.staff, campus_id=org.campus1.pk,
                                 periods=[(t("08:30"), t("09:15")), (t("09:25"), t("10:10")),
                                          (t("10:20"), t("11:05")), (t("11:15"), t("12:00")),
                                          (t("14:00"), t("14:45"))])
    duty.refresh_from_db()
    assert duty.starts_at == local(2026, 3, 2, 7, 45)  # planned: unchanged
    tuesday = _duty(posts, day=MONDAY + dt.timedelta(days=1))
    assert tuesday.starts_at == local(2026, 3, 3, 8, 15)
    assert ClassPeriod.objects.filter(campus=org.campus1).count() == 5


# --- validation -------------------------------------------------------------------------------
@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"anchor": "class_start", "class_period_id": None}, "class_period",
     "Choose a class period of the post's campus timetable."),
    ({"anchor": "fixed", "starts_at": None, "ends_at": None}, "starts_at",
     "Fixed times need a start and an end."),
    ({"anchor": "fixed", "starts_at": t("12:00"), "ends_at": t("11:00")}, "ends_at",
     "The duty must end after it starts (on the same day)."),
    ({"anchor": "class_start", "weekdays": ""}, "weekdays", "Choose at least one weekday."),
    ({"anchor": "class_start", "weekdays": "189"}, "weekdays", "Choose at least one weekday."),
    ({"anchor": "class_start", "minutes_before": 500}, "minutes_before",
     "Give 0 to 180 minutes."),
    ({"anchor": "class_start", "minutes_before": 0, "minutes_after": 0}, "minutes_after",
     "The duty must last at least a minute."),
    ({"anchor": "class_end", "name": " "}, "name",
     "Give the duty time a name, e.g. “Morning, before period 1”."),
    ({"anchor": "sometimes"}, "anchor", "Choose how the duty time is set."),
])
def test_bad_duty_times_are_refused_and_nothing_is_stored(org, posts, kwargs, field, message):
    arguments = {"name": "X", "class_period_id": posts.periods[0].pk, "weekdays": "12345",
                 **kwargs}
    before = PostDutyTime.objects.count()
    with pytest.raises(DomainError) as error:
        services.duty_time_create(actor=org.users.staff, post_id=posts.canteen.pk, **arguments)
    assert error.value.field_errors == {field: [message]}
    assert PostDutyTime.objects.count() == before


def test_a_period_of_another_campus_or_a_non_guard_cannot_be_used(org, posts):
    other = services.class_timetable_set(actor=org.users.staff, campus_id=org.campus2.pk,
                                         periods=[(t("08:00"), t("08:45"))])[0]
    with pytest.raises(DomainError) as error:
        services.duty_time_create(actor=org.users.staff, post_id=posts.canteen.pk, name="X",
                                  anchor="class_start", class_period_id=other.pk)
    assert error.value.field_errors.keys() == {"class_period"}
    with pytest.raises(DomainError) as error:
        services.duty_time_create(actor=org.users.staff, post_id=posts.canteen.pk, name="X",
                                  anchor="class_start", class_period_id=posts.periods[0].pk,
                                  guard_ids=[org.users.student.pk])
    assert error.value.message == "student1 cannot sign in at a post (not a guard or office staff)."


@pytest.mark.parametrize(("periods", "field", "message"), [
    ([("08:00", "08:45"), ("08:30", "09:15")], "period_2",
     "Period 2 starts before period 1 ends: list the periods in order."),
    ([("08:00", "07:45")], "period_1", "Period 1 must end after it starts."),
    ([("08:00", "08:00")], "period_1", "Period 1 must end after it starts."),
])
def test_a_timetable_out_of_order_is_refused_and_nothing_changes(org, posts, periods, field,
                                                                 message):
    with pytest.raises(DomainError) as error:
        services.class_timetable_set(actor=org.users.staff, campus_id=org.campus1.pk,
                                     periods=[(t(a), t(b)) for a, b in periods])
    assert error.value.field_errors == {field: [message]}
    assert list(ClassPeriod.objects.filter(campus=org.campus1).values_list(
        "starts_at", flat=True))[:2] == [t("08:00"), t("08:55")]


def test_a_period_in_use_cannot_be_dropped(org, posts):
    lunch = services.duty_time_create(
        actor=org.users.staff, post_id=posts.canteen.pk, name="Lunch", anchor="class_end",
        class_period_id=posts.periods[3].pk)
    with pytest.raises(DomainError) as error:
        services.class_timetable_set(actor=org.users.staff, campus_id=org.campus1.pk,
                                     periods=[(t("08:00"), t("08:45"))])
    assert error.value.message == "Period 4 is used by a duty time; change that duty time first."
    assert ClassPeriod.objects.filter(campus=org.campus1).count() == 5
    assert lunch.class_period.number == 4


def test_bad_posts_are_refused(org):
    base = {"actor": org.users.staff, "campus_id": org.campus1.pk, "name": "北门"}
    for extra, field in (({"name": ""}, "name"), ({"kind": "moon"}, "kind"),
                         ({"latitude": "91", "longitude": "1"}, "latitude"),
                         ({"latitude": "34.2"}, "longitude"), ({"radius_m": 5}, "radius_m"),
                         ({"campus_id": None}, "campus")):
        with pytest.raises(DomainError) as error:
            services.post_create(**{**base, **extra})
        assert field in error.value.field_errors
    assert not DutyPost.objects.exists()


def test_a_place_on_another_campus_is_refused(org, posts):
    with pytest.raises(DomainError) as error:
        services.post_create(actor=org.users.staff, campus_id=org.campus1.pk, name="北门",
                             place_id=org.place_b.pk)
    assert error.value.field_errors == {"place": ["201室 is not on 北校区."]}
    assert not DutyPost.objects.filter(name="北门").exists()
    with pytest.raises(DomainError) as error:
        services.post_update(actor=org.users.staff, post_id=posts.teaching.pk,
                             campus_id=org.campus1.pk, name="教学楼", kind="teaching",
                             place_id=org.place_b.pk)
    assert "place" in error.value.field_errors
    posts.teaching.refresh_from_db()
    assert posts.teaching.place is None
    # a place on the post's own campus is fine
    post = services.post_create(actor=org.users.staff, campus_id=org.campus1.pk, name="北门",
                                place_id=org.place_a.pk)
    assert post.place == org.place_a


def test_only_the_office_sets_up_posts(org, posts):
    for user in (org.users.guard, org.users.leadership, org.users.student):
        with pytest.raises(NotAllowed):
            services.post_create(actor=user, campus_id=org.campus1.pk, name="X")
        with pytest.raises(NotAllowed):
            services.post_rotate_code(actor=user, post_id=posts.canteen.pk)
        with pytest.raises(NotAllowed):
            services.class_timetable_set(actor=user, campus_id=org.campus1.pk, periods=[])


def test_creating_twice_with_one_key_makes_one_post(org):
    first = services.post_create(actor=org.users.staff, campus_id=org.campus1.pk, name="北门",
                                 idempotency_key="key-12345678")
    again = services.post_create(actor=org.users.staff, campus_id=org.campus1.pk, name="北门",
                                 idempotency_key="key-12345678")
    assert first == again and DutyPost.objects.count() == 1
    assert ActivityEntry.objects.filter(verb="traffic.post_create").count() == 1


# --- codes ------------------------------------------------------------------------------------
def test_codes_resolve_by_qr_url_and_typed_manual_code(org, posts, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "PUBLIC_URL": "https://aq.example.edu.cn"}
    url = services.post_url(posts.canteen)
    assert url == f"https://aq.example.edu.cn/traffic/p/{services.post_code(posts.canteen)}/"
    assert services.post_resolve(url) == (posts.canteen, "qr")
    code = posts.canteen.manual_code
    typed = f" {code[:4].lower()} - {code[4:].lower()} "
    assert services.post_resolve(typed) == (posts.canteen, "manual")


def test_a_forged_code_is_refused(org, posts):
    good = services.post_code(posts.canteen)
    signature = good.split(".", 1)[1]
    patrol_salt = signing.Signer(salt="safecampus.patrols.checkpoint", sep=".")
    for forged in (f"{posts.teaching.pk}-1.{signature}", patrol_salt.sign(f"{posts.canteen.pk}-1")):
        with pytest.raises(DomainError) as error:
            services.post_resolve(forged)
        assert error.value.code == "forged_code"
        assert error.value.message == (
            "This code is forged or damaged: it was not issued by the security office for a "
            "duty post. Report the sign to the office.")


def test_a_replaced_sign_is_refused_by_qr_and_by_manual_code(org, posts):
    old_code, old_manual = services.post_code(posts.canteen), posts.canteen.manual_code
    rotated = services.post_rotate_code(actor=org.users.staff, post_id=posts.canteen.pk)
    assert rotated.code_generation == 2 and rotated.manual_code != old_manual
    with pytest.raises(DomainError) as error:
        services.post_resolve(old_code)
    assert (error.value.code, error.value.message) == (
        "revoked_code", "This sign's code has been replaced. Report the old sign to the office.")
    with pytest.raises(DomainError) as error:
        services.post_resolve(old_manual)
    assert error.value.code == "unknown_code"
    assert services.post_resolve(services.post_code(rotated))[0] == posts.canteen
    entry = ActivityEntry.objects.get(verb="traffic.post_rotate_code")
    assert (entry.from_state, entry.to_state) == ("1", "2")


def test_a_post_out_of_use_refuses_its_code(org, posts):
    services.post_set_active(actor=org.users.staff, post_id=posts.canteen.pk, active=False)
    with pytest.raises(DomainError) as error:
        services.post_resolve(services.post_code(posts.canteen))
    assert error.value.message == "This duty post is no longer staffed."


# --- sign-in ----------------------------------------------------------------------------------
def test_a_rostered_guard_signs_in_during_the_duty(org, posts):
    duty = _duty(posts)
    outcome = sign_in(org, posts.canteen, local(2026, 3, 2, 7, 50), latitude="34.250100",
                      longitude="108.980000")
    assert outcome.created
    s = outcome.sign_in
    assert (s.duty, s.flags, s.method, s.distance_m) == (duty, [], "qr", 11)
    duty.refresh_from_db()
    assert duty.first_sign_in_at == local(2026, 3, 2, 7, 50)
    assert ActivityEntry.objects.filter(verb="traffic.post_sign_in").count() == 1


def test_the_first_sign_in_is_the_earliest_even_when_uploaded_later(org, posts):
    duty = _duty(posts)
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 55))
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 40), actor=org.users.staff)
    duty.refresh_from_db()
    assert duty.first_sign_in_at == local(2026, 3, 2, 7, 40)


@pytest.mark.parametrize(("at", "on_duty"), [
    (local(2026, 3, 2, 7, 30), True),  # 15 minutes early: the margin
    (local(2026, 3, 2, 7, 29), False),
    (local(2026, 3, 2, 8, 10), True),  # the end
    (local(2026, 3, 2, 8, 11), False),
    (local(2026, 3, 3, 7, 50), False),  # Tuesday: not planned
])
def test_the_sign_in_margin_and_outside_any_duty(org, posts, at, on_duty):
    duty = _duty(posts)
    s = sign_in(org, posts.canteen, at).sign_in
    assert (s.duty == duty) is on_duty
    assert (services.FLAG_OUTSIDE in s.flags) is not on_duty
    duty.refresh_from_db()
    assert (duty.first_sign_in_at is not None) is on_duty


def test_flags_not_rostered_far_away_and_phone_time_in_the_future(org, posts):
    _duty(posts)
    s = sign_in(org, posts.canteen, local(2026, 3, 2, 7, 50), actor=org.users.staff,
                latitude="34.260000", longitude="108.980000").sign_in
    assert s.flags == [services.FLAG_FAR, services.FLAG_NOT_ROSTERED]
    assert s.distance_m == 1112
    s = sign_in(org, posts.canteen, local(2026, 3, 2, 9, 0),
                received=local(2026, 3, 2, 7, 50)).sign_in
    assert services.FLAG_FUTURE in s.flags and services.FLAG_OUTSIDE not in s.flags
    assert s.signed_at == local(2026, 3, 2, 7, 50)  # placed at the server's time


def test_a_replayed_sign_in_creates_nothing(org, posts):
    _duty(posts)
    client_id = new_id()
    first = sign_in(org, posts.canteen, local(2026, 3, 2, 7, 50), client_id=client_id)
    again = sign_in(org, posts.canteen, local(2026, 3, 2, 7, 51), client_id=client_id)
    assert first.created and not again.created and again.sign_in == first.sign_in
    assert PostSignIn.objects.count() == 1
    # another guard may use the same id (ids are unique per guard)
    assert sign_in(org, posts.canteen, local(2026, 3, 2, 7, 52), actor=org.users.staff,
                   client_id=client_id).created


def test_bad_sign_ins_are_refused_and_nothing_is_stored(org, posts):
    _duty(posts)
    cases = [
        ({"client_id": "not-a-uuid"}, "bad_client_id"),
        ({"code": "ZZZZ2222"}, "unknown_code"),
        ({"latitude": "100", "longitude": "1"}, "bad_location"),
        ({"signed_at": dt.datetime(2026, 3, 2, 7, 50)}, "bad_time"),
        ({"signed_at": dt.datetime(1, 1, 1, tzinfo=dt.UTC)}, "bad_time"),
    ]
    for kwargs, code in cases:
        arguments = {"code": services.post_code(posts.canteen), "client_id": new_id(),
                     "signed_at": local(2026, 3, 2, 7, 50), **kwargs}
        with pytest.raises(DomainError) as error:
            services.post_sign_in(actor=org.users.guard, **arguments)
        assert error.value.code == code
    with pytest.raises(NotAllowed):
        sign_in(org, posts.canteen, local(2026, 3, 2, 7, 50), actor=org.users.student)
    assert not PostSignIn.objects.exists()
    assert PostDuty.objects.get(duty_time=posts.morning).first_sign_in_at is None


# --- roster and log ---------------------------------------------------------------------------
def test_a_finished_duty_keeps_its_roster(org, posts):
    duty = _duty(posts)
    with clock.frozen(local(2026, 3, 2, 9, 0)), pytest.raises(DomainError) as error:
        services.post_duty_roster_set(actor=org.users.staff, duty_id=duty.pk, guard_ids=[])
    assert error.value.message == "This duty is over; its roster can no longer change."
    assert list(duty.guards.all()) == [org.users.guard]
    with pytest.raises(NotAllowed):
        services.post_duty_roster_set(actor=org.users.guard, duty_id=duty.pk, guard_ids=[])


def test_a_log_line_belongs_to_the_duty_running(org, posts):
    duty = _duty(posts)
    entry = services.post_log_add(actor=org.users.guard, post_id=posts.canteen.pk,
                                  kind="congestion", text="东门车多",
                                  logged_at=local(2026, 3, 2, 8, 0))
    assert (entry.duty, entry.kind, entry.author) == (duty, "congestion", org.users.guard)
    for kwargs, field in (({"text": " "}, "text"), ({"text": "x", "kind": "gossip"}, "kind"),
                          ({"text": "x" * 2001}, "text")):
        with pytest.raises(DomainError) as error:
            services.post_log_add(actor=org.users.guard, post_id=posts.canteen.pk, **kwargs)
        assert field in error.value.field_errors
    with pytest.raises(NotAllowed):
        services.post_log_add(actor=org.users.leadership, post_id=posts.canteen.pk, text="x")
    assert PostLogEntry.objects.count() == 1


# --- live list and alerts ---------------------------------------------------------------------
def _states(at):
    return {row.post.name: row.state for row in selectors.posts_now(at=at)}


def test_the_live_list_states_through_a_morning(org, posts):
    services.post_duties_plan(day=MONDAY)
    assert _states(local(2026, 3, 2, 6, 0)) == {"一食堂": "off", "教学楼": "off"}
    assert _states(local(2026, 3, 2, 7, 0)) == {"一食堂": "starting", "教学楼": "off"}
    assert _states(local(2026, 3, 2, 7, 48)) == {"一食堂": "waiting", "教学楼": "off"}
    assert _states(local(2026, 3, 2, 7, 50)) == {"一食堂": "unstaffed", "教学楼": "off"}
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 51))
    rows = selectors.posts_now(at=local(2026, 3, 2, 7, 55))
    assert [(r.post.name, r.state) for r in rows] == [("一食堂", "staffed"), ("教学楼", "off")]
    assert [s.guard for s in rows[0].signed_in] == [org.users.guard]
    # after the morning duty the canteen has no more duty today
    assert _states(local(2026, 3, 2, 11, 40)) == {"一食堂": "off", "教学楼": "unstaffed"}


def test_the_live_list_costs_the_same_queries_for_more_posts(org, posts):
    services.post_duties_plan(day=MONDAY)
    at = local(2026, 3, 2, 7, 55)
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 51))
    with CaptureQueriesContext(connection) as few:
        selectors.posts_now(at=at)
    for number in range(6):
        post = services.post_create(actor=org.users.staff, campus_id=org.campus1.pk,
                                    name=f"岗{number}")
        services.duty_time_create(actor=org.users.staff, post_id=post.pk, name="M",
                                  anchor="class_start", class_period_id=posts.periods[0].pk,
                                  guard_ids=[org.users.guard.pk])
    PostDuty.objects.filter(duty_date=MONDAY).delete()
    services.post_duties_plan(day=MONDAY)
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 51))
    with CaptureQueriesContext(connection) as many:
        rows = selectors.posts_now(at=at)
    assert len(rows) == 8
    assert len(many) == len(few) == 4


def test_the_office_hears_once_about_each_unstaffed_duty(org, posts):
    duty = _duty(posts)
    assert services.post_unstaffed_alert(at=local(2026, 3, 2, 7, 49)) == 0  # within 5 minutes
    assert services.post_unstaffed_alert(at=local(2026, 3, 2, 7, 50)) == 1
    assert services.post_unstaffed_alert(at=local(2026, 3, 2, 7, 55)) == 0  # once
    notes = Notification.objects.filter(verb="traffic.post_unstaffed")
    assert {n.recipient for n in notes} == {org.users.staff, org.users.staff2, org.users.admin}
    assert {n.dedupe_key for n in notes} == {f"traffic:post_duty:{duty.pk}:unstaffed"}
    # stored in the site's language, whatever language is active
    with translation.override(settings.LANGUAGE_CODE):
        expected = gettext("Duty post unstaffed: %(post)s, %(duty)s (from %(time)s), nobody "
                           "has signed in") % {"post": "一食堂", "duty": "Morning",
                                               "time": "07:45"}
    assert {n.title for n in notes} == {expected}
    assert notes[0].url == f"/traffic/posts/{posts.canteen.pk}/"


def test_a_staffed_duty_raises_no_alert(org, posts):
    _duty(posts)
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 46))
    assert services.post_unstaffed_alert(at=local(2026, 3, 2, 8, 0)) == 0
    assert not Notification.objects.exists()


def test_my_duties_today(org, posts):
    _duty(posts)
    at = local(2026, 3, 2, 7, 0)
    assert [(d.post, d.signed_in) for d in selectors.my_duties_today(org.users.guard, at=at)] \
        == [(posts.canteen, False)]
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 46))
    assert [d.signed_in for d in selectors.my_duties_today(org.users.guard, at=at)] == [True]
    assert selectors.my_duties_today(org.users.staff, at=at) == []


# --- tasks ------------------------------------------------------------------------------------
def test_the_tasks_plan_today_and_tomorrow_and_alert_once(org, posts):
    from safecampus.traffic import tasks

    with clock.frozen(local(2026, 3, 2, 0, 5)):  # Monday just after midnight
        assert tasks.post_duties_plan_ahead.call_local() == 4  # Monday and Tuesday, 2 each
        assert tasks.post_duties_plan_ahead.call_local() == 0
    assert set(PostDuty.objects.values_list("duty_date", flat=True)) == {
        MONDAY, MONDAY + dt.timedelta(days=1)}
    with clock.frozen(local(2026, 3, 2, 7, 51)):
        assert tasks.post_unstaffed_sweep.call_local() == 1
        assert tasks.post_unstaffed_sweep.call_local() == 0
    assert Notification.objects.filter(verb="traffic.post_unstaffed").count() == 3


def test_overlapping_duties_count_a_sign_in_where_the_guard_is_rostered(org, posts):
    # given an all-day duty at the canteen (staff2) around the morning duty (guard1)
    services.duty_time_create(actor=org.users.staff, post_id=posts.canteen.pk, name="All day",
                              anchor="fixed", starts_at=t("07:00"), ends_at=t("21:00"),
                              guard_ids=[org.users.staff2.pk])
    services.post_duties_plan(day=MONDAY)
    morning = PostDuty.objects.get(duty_time=posts.morning)
    all_day = PostDuty.objects.get(duty_time__name="All day")
    # when guard1 and staff2 sign in during the morning duty
    guard = sign_in(org, posts.canteen, local(2026, 3, 2, 7, 44)).sign_in
    staff2 = sign_in(org, posts.canteen, local(2026, 3, 2, 7, 50), actor=org.users.staff2).sign_in
    # then each counts for the duty they are rostered on, both staffed, nothing flagged
    assert (guard.duty, guard.flags) == (morning, [])
    assert (staff2.duty, staff2.flags) == (all_day, [])
    # a guard rostered on neither counts for the duty starting nearest to the time
    other = sign_in(org, posts.canteen, local(2026, 3, 2, 7, 46), actor=org.users.staff).sign_in
    assert (other.duty, other.flags) == (morning, [services.FLAG_NOT_ROSTERED])


def test_the_live_list_shows_the_worst_of_overlapping_duties(org, posts):
    services.duty_time_create(actor=org.users.staff, post_id=posts.canteen.pk, name="All day",
                              anchor="fixed", starts_at=t("07:00"), ends_at=t("21:00"),
                              guard_ids=[org.users.staff2.pk])
    services.post_duties_plan(day=MONDAY)
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 1), actor=org.users.staff2)
    # the all-day duty is staffed, the morning peak inside it is not
    row = selectors.posts_now(at=local(2026, 3, 2, 7, 55))[0]
    assert (row.post, row.state, row.duty.duty_time) == (posts.canteen, "unstaffed",
                                                         posts.morning)
    assert selectors.post_now(posts.canteen, at=local(2026, 3, 2, 7, 55)).state == "unstaffed"
    row = selectors.post_now(posts.canteen, at=local(2026, 3, 2, 9, 0))
    assert (row.state, row.duty.duty_time.name) == ("staffed", "All day")


# --- late sign-ins ----------------------------------------------------------------------------
def test_a_back_dated_sign_in_is_flagged_late_and_does_not_move_the_first_sign_in(org, posts):
    duty = _duty(posts)
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 58))
    # the next day someone sends a sign-in dated at Monday's duty start
    late = sign_in(org, posts.canteen, local(2026, 3, 2, 7, 45), actor=org.users.staff,
                   received=local(2026, 3, 3, 9, 0)).sign_in
    assert late.duty == duty and services.FLAG_LATE in late.flags  # visible for the leader
    assert late.signed_at == local(2026, 3, 2, 7, 45)
    duty.refresh_from_db()
    assert duty.first_sign_in_at == local(2026, 3, 2, 7, 58)  # the real one stays


def test_a_late_sign_in_does_not_staff_a_duty(org, posts):
    duty = _duty(posts)
    at = local(2026, 3, 2, 7, 56)
    s = sign_in(org, posts.canteen, local(2026, 3, 2, 7, 46), received=at).sign_in
    assert s.flags == [services.FLAG_LATE]
    duty.refresh_from_db()
    assert duty.first_sign_in_at is None
    row = selectors.posts_now(at=at)[0]
    assert (row.post, row.state, row.signed_in) == (posts.canteen, selectors.UNSTAFFED, [])
    assert [d.signed_in for d in selectors.my_duties_today(org.users.guard, at=at)] == [False]
    assert services.post_unstaffed_alert(at=at) == 1


@pytest.mark.parametrize(("signed", "received", "late"), [
    (local(2026, 3, 2, 7, 50), local(2026, 3, 2, 7, 50, 5), False),  # seconds: as usual
    (local(2026, 3, 2, 7, 50), local(2026, 3, 2, 7, 55), False),  # five minutes: allowed
    (local(2026, 3, 2, 7, 50), local(2026, 3, 2, 7, 55, 1), True),
    (local(2026, 3, 2, 8, 9), local(2026, 3, 2, 8, 12), False),  # within the skew of the end
    (local(2026, 3, 2, 8, 9), local(2026, 3, 2, 8, 12, 30), True),  # after the duty ended
])
def test_late_means_long_after_the_phone_time_or_after_the_duty_ended(org, posts, signed,
                                                                    received, late):
    duty = _duty(posts)
    s = sign_in(org, posts.canteen, signed, received=received).sign_in
    assert s.duty == duty and (services.FLAG_LATE in s.flags) is late
    duty.refresh_from_db()
    assert (duty.first_sign_in_at is None) is late


# --- duty times changed after planning --------------------------------------------------------
def _plan_monday_and_tuesday():
    services.post_duties_plan(day=MONDAY)
    services.post_duties_plan(day=MONDAY + dt.timedelta(days=1))


def _morning_update(org, posts, **changes):
    fields = {"name": "Morning", "anchor": PostDutyTime.Anchor.CLASS_START,
              "class_period_id": posts.periods[0].pk, "minutes_before": 15,
              "minutes_after": 10, "weekdays": "12345", "guard_ids": [org.users.guard.pk],
              "is_active": True, **changes}
    return services.duty_time_update(actor=org.users.staff, duty_time_id=posts.morning.pk,
                                     **fields)


def test_deactivating_a_duty_time_removes_its_planned_duties_and_raises_no_alert(org, posts):
    _plan_monday_and_tuesday()
    with clock.frozen(local(2026, 3, 2, 6, 0)):
        _morning_update(org, posts, is_active=False)
    assert not PostDuty.objects.filter(duty_time=posts.morning).exists()
    entry = ActivityEntry.objects.get(verb="traffic.duty_time_update")
    assert entry.data["duties_removed"] == ["2026-03-02", "2026-03-03"]
    assert services.post_unstaffed_alert(at=local(2026, 3, 2, 7, 55)) == 0
    row = [r for r in selectors.posts_now(at=local(2026, 3, 2, 7, 55))
           if r.post == posts.canteen][0]
    assert (row.state, row.duty) == (selectors.OFF, None)
    assert services.post_duties_plan(day=MONDAY) == 0  # not planned again


def test_a_running_duty_of_a_deactivated_duty_time_is_kept_but_not_alerted(org, posts):
    duty = _duty(posts)
    with clock.frozen(local(2026, 3, 2, 7, 47)):
        _morning_update(org, posts, is_active=False)
    assert PostDuty.objects.filter(pk=duty.pk).exists()  # started: stays on the record
    assert services.post_unstaffed_alert(at=local(2026, 3, 2, 7, 55)) == 0
    assert selectors.post_now(posts.canteen, at=local(2026, 3, 2, 7, 55)).state == selectors.OFF


def test_changed_weekdays_and_times_apply_to_planned_duties_keeping_their_roster(org, posts):
    _plan_monday_and_tuesday()
    monday = PostDuty.objects.get(duty_time=posts.morning, duty_date=MONDAY)
    with clock.frozen(local(2026, 3, 1, 20, 0)):
        services.post_duty_roster_set(actor=org.users.staff, duty_id=monday.pk,
                                      guard_ids=[org.users.staff2.pk])
        _morning_update(org, posts, weekdays="135", minutes_before=30)
    monday.refresh_from_db()
    assert (monday.starts_at, monday.ends_at) == (local(2026, 3, 2, 7, 30),
                                                  local(2026, 3, 2, 8, 10))
    assert list(monday.guards.all()) == [org.users.staff2]
    assert not PostDuty.objects.filter(duty_time=posts.morning,
                                       duty_date=MONDAY + dt.timedelta(days=1)).exists()
    entry = ActivityEntry.objects.get(verb="traffic.duty_time_update")
    assert (entry.data["duties_removed"], entry.data["duties_moved"]) == (["2026-03-03"],
                                                                         ["2026-03-02"])


def test_a_duty_signed_in_on_or_already_started_keeps_its_times(org, posts):
    _plan_monday_and_tuesday()
    sign_in(org, posts.canteen, local(2026, 3, 2, 7, 35))  # early, within the margin
    with clock.frozen(local(2026, 3, 2, 7, 36)):
        _morning_update(org, posts, is_active=False)
    monday = PostDuty.objects.get(duty_time=posts.morning, duty_date=MONDAY)
    assert monday.starts_at == local(2026, 3, 2, 7, 45)
    assert not PostDuty.objects.filter(duty_time=posts.morning,
                                       duty_date=MONDAY + dt.timedelta(days=1)).exists()
