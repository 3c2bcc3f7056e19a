"""Joint meetings and their actions: carried-over actions (planned after, done shown done,
added to already-planned later meetings, never twice, through a cancelled meeting), holding
all-or-nothing, every FSM edge, liaison permissions and 404s, the daily sweep (idempotent),
the summary selectors, the pages and their query counts, and a concurrent completion."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.notifications.models import Notification
from safecampus.police.models import AgendaItem, Meeting, MeetingAction
from safecampus.police.selectors import meetings as selectors
from safecampus.police.services import meetings as services
from safecampus.tests.pages import login, messages_of, text_of
from safecampus.tests.threads import race

from .meetings_helpers import (
    campus_action,
    english,
    hold,
    local,
    plan,
    police,
    police_action,
)

FIXTURES = (english, police)  # the helpers' fixtures, requested by name
pytestmark = pytest.mark.django_db
State = MeetingAction.State


def carried(meeting) -> list[int]:
    return list(AgendaItem.objects.filter(meeting=meeting, carried_action__isnull=False)
                .order_by("position").values_list("carried_action_id", flat=True))


# --- carried-over actions -----------------------------------------------------------------
def test_a_meeting_planned_after_carries_every_open_action(org, police):
    # Given a held meeting with two actions, one of which is then done
    first = plan(police.staff, partners=[police.station1], agenda=["通报警情"])
    a1, a2 = hold(police.staff, first, [campus_action(org.unit_a),
                                        police_action(police.station1)])
    services.action_complete(actor=police.staff, action_id=a2.pk, note="已完成")
    # When the next meeting is planned
    second = plan(police.staff, starts_at=local(2026, 4, 1, 14), agenda=["议题一"])
    # Then only the open action is carried, after the planned items
    assert carried(second) == [a1.pk]
    items = list(second.agenda.order_by("position"))
    assert items[0].title == "议题一" and items[1].carried_action_id == a1.pk
    assert "整改南门照明" in items[1].title and "2026-03-20" in items[1].title
    assert activity_for(second).get().data == {"carried": 1}


def test_done_is_shown_done_on_the_later_meeting(org, police, client):
    first = plan(police.staff)
    (action,) = hold(police.staff, first, [campus_action(org.unit_a)])
    second = plan(police.staff, starts_at=local(2026, 4, 1, 14))
    services.action_complete(actor=org.users.contact_a, action_id=action.pk, note="已更换灯具")
    assert carried(second) == [action.pk]  # stays, showing its state
    login(client, police.staff)
    html = client.get(reverse("police:meeting_detail", args=[second.pk])).content.decode()
    assert f'data-action="{action.pk}"' in html and 'data-live="done"' in html
    assert "已更换灯具" in html


def test_an_action_of_a_meeting_held_later_joins_already_planned_meetings(org, police):
    # Given March's meeting and April's, both planned; then March's is held
    march = plan(police.staff)
    april = plan(police.staff, starts_at=local(2026, 4, 1, 14))
    assert carried(april) == []
    (action,) = hold(police.staff, march, [campus_action(org.unit_a)])
    # Then April's agenda has the new action, once, even if carrying runs again
    assert carried(april) == [action.pk]
    services._agenda_carry(april)
    assert carried(april) == [action.pk]
    assert carried(march) == []  # never on the meeting that decided it


def test_scope_campus_meetings_carry_their_campus_and_university_actions(org, police):
    uni = plan(police.staff)
    (uni_action,) = hold(police.staff, uni, [campus_action(org.unit_a, title="全校")])
    north = plan(police.staff, campus=org.campus1, starts_at=local(2026, 3, 1, 16))
    (north_action,) = hold(police.staff, north, [campus_action(org.unit_a, title="北")])
    south = plan(police.staff, campus=org.campus2, starts_at=local(2026, 4, 1, 14))
    later_uni = plan(police.staff, starts_at=local(2026, 4, 2, 14))
    assert carried(south) == [uni_action.pk]
    assert carried(later_uni) == [uni_action.pk, north_action.pk]


def test_a_cancelled_meetings_carried_items_go_on_to_the_next(org, police):
    first = plan(police.staff)
    (action,) = hold(police.staff, first, [campus_action(org.unit_a)])
    april = plan(police.staff, starts_at=local(2026, 4, 1, 14))
    may = plan(police.staff, starts_at=local(2026, 5, 1, 14))
    services.meeting_cancel(actor=police.staff, meeting_id=april.pk, reason="领导出差")
    assert carried(april) == [action.pk] and carried(may) == [action.pk]
    april.refresh_from_db()
    assert april.state == Meeting.State.CANCELLED and april.cancel_reason == "领导出差"


def test_a_reopened_action_is_carried_again(org, police):
    first = plan(police.staff)
    (action,) = hold(police.staff, first, [campus_action(org.unit_a)])
    services.action_complete(actor=police.staff, action_id=action.pk, note="完成")
    april = plan(police.staff, starts_at=local(2026, 4, 1, 14))
    assert carried(april) == []
    services.action_reopen(actor=police.admin, action_id=action.pk, reason="复查未整改到位")
    assert carried(april) == [action.pk]


# --- holding ------------------------------------------------------------------------------
def test_hold_is_all_or_nothing_with_a_message_per_bad_row(org, police, english):
    meeting = plan(police.staff, partners=[police.station1])
    rows = [campus_action(org.unit_a),
            services.ActionInput(title="", side="police", due_on=dt.date(2026, 2, 1),
                                 owner_partner_id=police.station1.pk),
            police_action(police.station1, owner=police.liaison2),
            services.ActionInput(title="x", side="both", due_on=None)]
    with pytest.raises(DomainError) as error:
        services.meeting_hold(actor=police.staff, meeting_id=meeting.pk, minutes="",
                              actions=rows)
    assert error.value.field_errors == {
        "minutes": ["Record the minutes."],
        "actions": [
            "Decision 2: give the decision; the due date is before the meeting (2026-03-01).",
            "Decision 3: the responsible person must be a liaison of the partner.",
            "Decision 4: choose the campus or the police side; give the due date."]}
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.PLANNED and meeting.minutes == ""
    assert not MeetingAction.objects.exists() and not Notification.objects.exists()


def test_hold_records_attendance_numbers_actions_and_tells_owners(org, police,
                                                                  django_capture_on_commit_callbacks):
    meeting = plan(police.staff, partners=[police.station1],
                   campus_user_ids=[org.users.contact_a.pk],
                   liaison_user_ids=[police.liaison1.pk],
                   guests=[services.GuestInput("李支队", "文保支队", "副支队长")])
    people = {a.name: a.pk for a in meeting.attendees.all()}
    assert len(people) == 3
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_hold(
            actor=police.staff, meeting_id=meeting.pk, minutes="纪要",
            attended_ids=[people["李支队"]],
            actions=[campus_action(org.unit_a), police_action(police.station1)])
    assert [a.attended for a in meeting.attendees.order_by("pk")] == [False, False, True]
    actions = list(meeting.actions.order_by("number"))
    assert [a.number for a in actions] == [1, 2]
    told = set(Notification.objects.filter(verb="police.action_assigned")
               .values_list("recipient__username", flat=True))
    assert told == {"contact_a", "police1"}  # the unit's contact; the partner's liaison
    assert [e.verb for e in activity_for(meeting)] == ["police.meeting_plan",
                                                       "police.meeting_hold"]


def test_a_meeting_cannot_be_held_before_it_starts(org, police, english, client):
    # Given a meeting later today (now is 10:00, it starts at 14:00)
    meeting = plan(police.staff, starts_at=local(2026, 3, 2, 14))
    # Then the service refuses, the page offers no "record minutes" and says from when
    with pytest.raises(DomainError) as error:
        hold(police.staff, meeting)
    assert error.value.message == ("The meeting has not started yet: minutes can be recorded "
                                   "from 2026-03-02 14:00.")
    login(client, police.staff)
    page = client.get(reverse("police:meeting_detail", args=[meeting.pk]))
    assert 'id="record-minutes"' not in page.content.decode()
    assert "minutes can be recorded from 2026-03-02 14:00" in text_of(page)
    response = client.get(reverse("police:meeting_hold", args=[meeting.pk]))
    assert response.status_code == 302 and messages_of(response) == [error.value.message]
    # When it has started, the button is there
    with clock.frozen(local(2026, 3, 2, 14)):
        page = client.get(reverse("police:meeting_detail", args=[meeting.pk]))
        assert 'id="record-minutes"' in page.content.decode()


# --- every edge of the two state machines --------------------------------------------------
def test_meeting_edges(org, police, english):
    held = plan(police.staff)
    hold(police.staff, held)
    with pytest.raises(Conflict) as error:
        hold(police.staff, held)
    assert error.value.message == ("This meeting is Held; only a planned meeting can be held "
                                   "or cancelled.")
    with pytest.raises(Conflict):
        services.meeting_cancel(actor=police.staff, meeting_id=held.pk, reason="x")
    cancelled = plan(police.staff)
    services.meeting_cancel(actor=police.staff, meeting_id=cancelled.pk, reason="x")
    with pytest.raises(Conflict):
        hold(police.staff, cancelled)
    with pytest.raises(Conflict):
        services.meeting_cancel(actor=police.staff, meeting_id=cancelled.pk, reason="x")
    with pytest.raises(DomainError) as error:
        services.meeting_cancel(actor=police.staff, meeting_id=plan(police.staff).pk, reason="")
    assert error.value.message == "Say why the meeting is cancelled."


def test_action_edges(org, police, english):
    meeting = plan(police.staff)
    a, b = hold(police.staff, meeting, [campus_action(org.unit_a), campus_action(org.unit_a)])
    # open → done → open (reopen) → dropped; dropped and done refuse the rest
    services.action_complete(actor=police.staff, action_id=a.pk, note="完成")
    for call in (lambda: services.action_complete(actor=police.staff, action_id=a.pk, note="x"),
                 lambda: services.action_drop(actor=police.admin, action_id=a.pk, reason="x"),
                 lambda: services.action_progress(actor=police.staff, action_id=a.pk,
                                                  progress="x")):
        with pytest.raises(Conflict) as error:
            call()
        assert error.value.message == "This action is Done; that cannot be done to it now."
    services.action_reopen(actor=police.admin, action_id=a.pk, reason="未到位")
    a.refresh_from_db()
    assert a.state == State.OPEN and a.completed_at is None
    with pytest.raises(Conflict):
        services.action_reopen(actor=police.admin, action_id=a.pk, reason="x")
    services.action_drop(actor=police.admin, action_id=a.pk, reason="不再需要")
    for call in (lambda: services.action_complete(actor=police.staff, action_id=a.pk, note="x"),
                 lambda: services.action_reopen(actor=police.admin, action_id=a.pk, reason="x"),
                 lambda: services.action_drop(actor=police.admin, action_id=a.pk, reason="x")):
        with pytest.raises(Conflict):
            call()
    assert [(e.verb, e.from_state, e.to_state) for e in activity_for(a)] == [
        ("police.action_create", "", "open"),
        ("police.action_complete", "open", "done"),
        ("police.action_reopen", "done", "open"),
        ("police.action_drop", "open", "cancelled")]
    with pytest.raises(DomainError) as error:
        services.action_complete(actor=police.staff, action_id=b.pk, note=" ")
    assert error.value.message == "Say how the action was done."


def test_complete_late_is_marked_late(org, police):
    (action,) = hold(police.staff, plan(police.staff), [campus_action(org.unit_a)])
    with clock.frozen(local(2026, 3, 25, 9)):
        services.action_complete(actor=police.staff, action_id=action.pk, note="晚了")
    assert activity_for(action).last().data == {"late": True}


# --- permissions --------------------------------------------------------------------------
def test_liaison_permissions(org, police):
    theirs = plan(police.staff, partners=[police.station1])
    others = plan(police.staff, partners=[police.station2])
    mine, unit = hold(police.staff, theirs, [police_action(police.station1),
                                             campus_action(org.unit_a)])
    (foreign,) = hold(police.staff, others, [police_action(police.station2)])
    liaison = police.liaison1
    assert liaison.has_perm("police.view_meeting", theirs)
    assert not liaison.has_perm("police.view_meeting", others)
    assert set(selectors.meetings_visible_to(liaison)) == {theirs}
    with pytest.raises(NotAllowed):
        plan(liaison)
    with pytest.raises(NotAllowed):
        hold(liaison, plan(police.staff))
    services.action_progress(actor=liaison, action_id=mine.pk, progress="已巡逻两次")
    services.action_complete(actor=liaison, action_id=mine.pk, note="已完成")
    for action in (unit, foreign):
        with pytest.raises(NotAllowed):
            services.action_complete(actor=liaison, action_id=action.pk, note="x")
    with pytest.raises(NotAllowed):
        services.action_reopen(actor=liaison, action_id=mine.pk, reason="x")
    # Sees the actions of their meetings and their own; not the other partner's
    assert set(selectors.action_list(liaison)) == {mine, unit}
    assert set(selectors.action_list(liaison, mine=True)) == {mine}


def test_liaison_pages_404_for_what_they_may_not_see(org, police, client):
    others = plan(police.staff, partners=[police.station2])
    (foreign,) = hold(police.staff, others, [police_action(police.station2)])
    login(client, police.liaison1)
    assert client.get(reverse("police:meeting_detail", args=[others.pk])).status_code == 404
    assert client.get(reverse("police:action_detail", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("police:action_complete", args=[foreign.pk]),
                       {"note": "x"}).status_code == 404
    assert client.get(reverse("police:meeting_plan")).status_code == 403
    assert client.get(reverse("police:meeting_list")).status_code == 200


def test_unit_contact_updates_their_units_action_on_the_page(org, police, client):
    (action,) = hold(police.staff, plan(police.staff), [campus_action(org.unit_a)])
    login(client, org.users.contact_a)
    page = client.get(reverse("police:action_list"))
    assert "整改南门照明" in text_of(page)
    response = client.post(reverse("police:action_complete", args=[action.pk]), {"note": ""})
    assert response.status_code == 400
    assert "Say how the action was done." in text_of(response)
    response = client.post(reverse("police:action_complete", args=[action.pk]),
                           {"note": "已更换"})
    assert messages_of(response) == ["Action marked as done."]
    action.refresh_from_db()
    assert action.state == State.DONE
    login(client, org.users.contact_b)
    assert client.get(reverse("police:action_detail", args=[action.pk])).status_code == 404


# --- the sweep and the summaries -----------------------------------------------------------
def test_sweep_reminds_before_due_and_once_overdue_idempotently(org, police, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "MEETING_ACTION_REMIND_DAYS": 3}
    soon, late, far = hold(police.staff, plan(police.staff), [
        campus_action(org.unit_a, due_on=dt.date(2026, 3, 4)),
        campus_action(org.unit_a, due_on=dt.date(2026, 3, 1)),
        campus_action(org.unit_a, due_on=dt.date(2026, 3, 30))])
    assert services.meeting_action_sweep() == {"due_soon": 1, "overdue": 1}
    assert services.meeting_action_sweep() == {"due_soon": 0, "overdue": 0}
    late.refresh_from_db()
    assert late.overdue_reminded_at is not None
    sent = Notification.objects.filter(recipient=org.users.contact_a)
    assert sorted(sent.values_list("verb", flat=True)) == ["police.action_due_soon",
                                                           "police.action_overdue"]
    # The next morning nothing new; a moved due date reminds again
    assert services.meeting_action_sweep(today=dt.date(2026, 3, 3)) == {
        "due_soon": 0, "overdue": 0}
    MeetingAction.objects.filter(pk=far.pk).update(due_on=dt.date(2026, 3, 5))
    assert services.meeting_action_sweep() == {"due_soon": 1, "overdue": 0}


def test_open_summary_and_overdue_list(org, police):
    a, b, c = hold(police.staff, plan(police.staff), [
        campus_action(org.unit_a, due_on=dt.date(2026, 3, 1)),
        police_action(police.station1, due_on=dt.date(2026, 3, 20)),
        police_action(police.station2, due_on=dt.date(2026, 3, 1))])
    assert selectors.actions_open_summary(org.users.leadership) == {
        "open": 3, "overdue": 2, "by_side": {"campus": 1, "police": 2}}
    assert selectors.actions_overdue(org.users.leadership, limit=5) == [a, c]
    assert selectors.actions_open_summary(police.liaison1) == {
        "open": 1, "overdue": 0, "by_side": {"campus": 0, "police": 1}}
    assert selectors.actions_overdue(org.users.contact_a, 5) == [a]


# --- pages --------------------------------------------------------------------------------
def test_office_plans_and_holds_on_the_pages(org, police, client):
    login(client, police.staff)
    key = client.get(reverse("police:meeting_plan")).context["form"].initial["idempotency_key"]
    post = {"kind": "joint", "title": "三月联席会议", "campus": "", "starts_at": "2026-03-02T09:00",
            "partners": [police.station1.pk], "agenda": "通报警情\n\n交通秩序",
            "police_attendees": [police.liaison1.pk], "guests": "李支队，文保支队，副支队长",
            "campus_attendees": [org.users.contact_a.pk], "idempotency_key": key}
    response = client.post(reverse("police:meeting_plan"), post)
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert client.post(reverse("police:meeting_plan"), post).status_code == 302
    assert Meeting.objects.count() == 1  # the same key: one meeting
    assert [i.title for i in meeting.agenda.all()] == ["通报警情", "交通秩序"]
    assert meeting.attendees.count() == 3
    rows = {"actions-TOTAL_FORMS": "2", "actions-INITIAL_FORMS": "0",
            "actions-MIN_NUM_FORMS": "0", "actions-MAX_NUM_FORMS": "30",
            "actions-0-title": "整改照明", "actions-0-side": "campus",
            "actions-0-owner_unit": str(org.unit_a.pk), "actions-0-due_on": "2026-03-10",
            "actions-1-title": "巡逻", "actions-1-side": "police",
            "actions-1-owner_partner": str(police.station1.pk), "actions-1-due_on": "2026-02-10"}
    url = reverse("police:meeting_hold", args=[meeting.pk])
    response = client.post(url, {"minutes": "纪要", **rows})
    assert response.status_code == 400
    # The row's message is shown once, beside the row (not at the top)
    html = response.content.decode()
    message = "Decision 2: the due date is before the meeting (2026-03-02)."
    assert text_of(response).count(message) == 1
    row2 = html[html.index('id="action-row-2"'):html.index('id="action-row-template"')]
    assert message in row2 and "row-error" in row2
    assert not MeetingAction.objects.exists()
    rows["actions-1-due_on"] = "2026-03-12"
    response = client.post(url, {"minutes": "纪要", **rows})
    assert response.status_code == 302
    assert MeetingAction.objects.count() == 2


def test_list_pages_query_counts_are_flat(org, police, client):
    login(client, police.staff)

    def queries(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    pages = [reverse("police:meeting_list"), reverse("police:action_list"),
             reverse("police:home")]
    first = plan(police.staff, partners=[police.station1])
    hold(police.staff, first, [campus_action(org.unit_a)])
    few = [queries(url) for url in pages]
    for n in range(6):
        meeting = plan(police.staff, partners=[police.station1, police.station2],
                       starts_at=local(2026, 3, 1, 15 + n), agenda=["a", "b"])
        hold(police.staff, meeting, [campus_action(org.unit_a), police_action(police.station2)])
    assert [queries(url) for url in pages] == few
    detail = plan(police.staff, starts_at=local(2026, 3, 20, 9),
                  partners=[police.station1, police.station2])
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("police:meeting_detail", args=[detail.pk])).content.decode()
    assert html.count("agenda-carried") == 13 and len(ctx) <= 20


# --- races (PostgreSQL) -------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_completions_at_once_one_wins(org, police):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; SQLite serialises "
                    "writers, so there is no race to test (run with DATABASE_URL=postgres://…)")
    (action,) = hold(police.staff, plan(police.staff), [police_action(police.station1)])
    outcomes = race([lambda user=user: services.action_complete(
        actor=user, action_id=action.pk, note="完成") for user in (police.staff,
                                                                   police.liaison1)], at=clock.now())
    errors = [error for _result, error in outcomes if error]
    assert len(errors) == 1 and isinstance(errors[0], Conflict), errors
    assert errors[0].message == "This action is Done; that cannot be done to it now."
    assert [e.verb for e in activity_for(action)].count("police.action_complete") == 1


# --- fix round: rules of planning, carrying and holding --------------------------------------
def test_a_joint_meeting_needs_a_partner(org, police, english):
    with pytest.raises(DomainError) as error:
        plan(police.staff, kind="joint")
    assert error.value.field_errors == {
        "partners": ["A joint meeting needs at least one partner taking part."]}
    assert plan(police.staff, kind="assessment").state == Meeting.State.PLANNED  # internal


def test_police_actions_are_carried_only_when_their_partner_takes_part(org, police):
    # Given a held meeting with a campus action and one action of each station
    first = plan(police.staff, partners=[police.station1, police.station2])
    unit, north, south = hold(police.staff, first, [
        campus_action(org.unit_a), police_action(police.station1, title="北"),
        police_action(police.station2, title="南")])
    # When a meeting with station 1 only is planned
    april = plan(police.staff, starts_at=local(2026, 4, 1, 14), partners=[police.station1])
    # Then the campus action and station 1's are carried, not station 2's
    assert carried(april) == [unit.pk, north.pk]
    # When station 2 joins and station 1 leaves (edit), carrying is recomputed and logged
    services.meeting_update(actor=police.staff, meeting_id=april.pk, data=services.MeetingInput(
        kind="joint", title="四月联席会议", starts_at=local(2026, 4, 1, 14),
        partner_ids=[police.station2.pk], agenda=["新议题"]))
    assert carried(april) == [unit.pk, south.pk]
    april.refresh_from_db()
    assert april.title == "四月联席会议"
    assert [(i.position, i.title) for i in april.agenda.order_by("position")][0] == (1, "新议题")
    entry = activity_for(april).last()
    assert entry.verb == "police.meeting_update"
    assert entry.data == {"fields": ["title", "partners", "agenda"], "carried": 1,
                          "uncarried": 1}


def test_each_later_carry_is_on_the_timeline_with_its_count(org, police, client):
    march = plan(police.staff)
    april = plan(police.staff, starts_at=local(2026, 4, 1, 14))
    hold(police.staff, march, [campus_action(org.unit_a), campus_action(org.unit_a)])
    assert [(e.verb, e.data) for e in activity_for(april)] == [
        ("police.meeting_plan", {"carried": 0}), ("police.meeting_carry", {"carried": 2})]
    login(client, police.staff)
    page = client.get(reverse("police:meeting_detail", args=[april.pk]))
    assert "2 open actions carried over" in text_of(page)


def test_only_a_planned_meeting_can_be_edited(org, police, english, client):
    meeting = plan(police.staff)
    hold(police.staff, meeting)
    with pytest.raises(Conflict) as error:
        services.meeting_update(actor=police.staff, meeting_id=meeting.pk,
                                data=services.MeetingInput(kind="assessment", title="x",
                                                           starts_at=local(2026, 3, 1, 14)))
    assert error.value.message == ("This meeting is Held; only a planned meeting can be "
                                   "edited.")
    with pytest.raises(NotAllowed):
        services.meeting_update(actor=police.liaison1, meeting_id=meeting.pk,
                                data=services.MeetingInput(kind="assessment", title="x",
                                                           starts_at=local(2026, 3, 1, 14)))


def test_office_edits_a_planned_meeting_on_the_page(org, police, client):
    meeting = plan(police.staff, starts_at=local(2026, 3, 20, 9), partners=[police.station1],
                   agenda=["通报警情"], liaison_user_ids=[police.liaison1.pk],
                   guests=[services.GuestInput("李支队", "文保支队", "副支队长")])
    login(client, police.staff)
    url = reverse("police:meeting_edit", args=[meeting.pk])
    form = client.get(url).context["form"]
    assert form.initial["agenda"] == "通报警情" and form.initial["guests"] == "李支队, 文保支队, 副支队长"
    response = client.post(url, {
        "kind": "joint", "title": "改期的联席会议", "campus": "", "starts_at": "2026-03-21T15:00",
        "location": "行政楼 301", "partners": [police.station1.pk], "agenda": "通报警情\n交通",
        "police_attendees": [police.liaison1.pk], "guests": "李支队, 文保支队, 副支队长",
        "idempotency_key": form.initial["idempotency_key"]})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.starts_at == local(2026, 3, 21, 15) and meeting.location == "行政楼 301"
    assert [i.title for i in meeting.agenda.order_by("position")] == ["通报警情", "交通"]
    assert meeting.attendees.count() == 2
    page = client.get(reverse("police:meeting_detail", args=[meeting.pk]))
    assert 'id="edit-meeting"' in page.content.decode() and "Meeting edited" in text_of(page)


def test_a_campus_owner_must_belong_to_the_responsible_unit(org, police, english):
    meeting = plan(police.staff)
    with pytest.raises(DomainError) as error:
        hold(police.staff, meeting, [campus_action(org.unit_a, owner=org.users.contact_b)])
    assert error.value.field_errors["actions"] == [
        "Decision 1: the responsible person must belong to the responsible unit."]
    assert error.value.row_errors == {
        1: "Decision 1: the responsible person must belong to the responsible unit."}
    (action,) = hold(police.staff, meeting, [campus_action(org.unit_a,
                                                           owner=org.users.contact_a)])
    assert action.owner == org.users.contact_a


def test_hold_page_offers_more_rows_and_people_with_their_units(org, police, client):
    meeting = plan(police.staff, partners=[police.station1])
    login(client, police.staff)
    url = reverse("police:meeting_hold", args=[meeting.pk])
    html = client.get(url).content.decode()
    assert 'id="action-row-template"' in html and 'id="add-action-row"' in html
    assert html.count('class="card card-body shadow-sm mb-2 action-row') == 6  # 5 + template
    assert "(contact_a) · 化学学院" in html and f'data-units="{org.unit_a.pk}"' in html
    assert f'data-partner="{police.station1.pk}"' in html and 'id="hold-back"' in html
    # A sixth row (added by the script) is taken
    rows = {"actions-TOTAL_FORMS": "6", "actions-INITIAL_FORMS": "0",
            "actions-MIN_NUM_FORMS": "0", "actions-MAX_NUM_FORMS": "30",
            "actions-5-title": "第六项", "actions-5-side": "campus",
            "actions-5-owner_unit": str(org.unit_a.pk), "actions-5-due_on": "2026-03-10"}
    assert client.post(url, {"minutes": "纪要", **rows}).status_code == 302
    assert list(meeting.actions.values_list("title", flat=True)) == ["第六项"]


def test_too_long_progress_keeps_the_text_and_says_why(org, police, client):
    (action,) = hold(police.staff, plan(police.staff), [campus_action(org.unit_a)])
    login(client, org.users.contact_a)
    text = "进展" * 4001
    response = client.post(reverse("police:action_progress", args=[action.pk]),
                           {"progress": text})
    assert response.status_code == 400
    assert "At most 8000 characters." in text_of(response) and text in text_of(response)
    assert 'maxlength' not in response.content.decode().split('id="progress-form"')[1][:600]


def test_a_refused_cancel_keeps_the_reason_box_open(org, police, client):
    meeting = plan(police.staff)
    login(client, police.staff)
    response = client.post(reverse("police:meeting_cancel", args=[meeting.pk]), {"reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert '<details class="flex-grow-1 cancel-meeting" open>' in html
    assert "Say why the meeting is cancelled." in text_of(response)
    assert 'class="d-flex flex-wrap align-items-start gap-2 mb-3" id="meeting-buttons"' in html


def test_states_read_as_supervised_work_in_chinese(org, police, client):
    (action,) = hold(police.staff, plan(police.staff), [campus_action(org.unit_a)])
    client.force_login(police.staff)  # default language: Chinese
    page = client.get(reverse("police:action_list"))
    options = page.content.decode().split('name="state"')[1].split("</select>")[0]
    assert "办理中" in options and "已办结" in options and "已撤销" in options
    assert "进入" not in options and "已检查" not in options
    html = client.get(reverse("police:meeting_list")).content.decode()
    assert ">操作<" not in html
    with pytest.raises(Conflict) as error:
        services.action_drop(actor=police.admin, action_id=action.pk, reason="x")
        services.action_drop(actor=police.admin, action_id=action.pk, reason="x")
    assert "已撤销" in error.value.message


# --- code review: what a liaison sees of carried items; planning while holding ---------------
def test_a_liaison_sees_no_content_of_a_carried_action_they_may_not_see(org, police, client):
    # Given an internal meeting's campus action, carried onto a meeting with station 2
    internal = plan(police.staff, title="内部研判会")
    (secret,) = hold(police.staff, internal, [campus_action(org.unit_a, title="内部整改事项")])
    joint = plan(police.staff, starts_at=local(2026, 4, 1, 14), partners=[police.station2])
    assert carried(joint) == [secret.pk]
    # Then station 2's liaison sees the meeting, but only a neutral line for that item
    login(client, police.liaison2)
    page = client.get(reverse("police:meeting_detail", args=[joint.pk]))
    assert page.status_code == 200
    assert "内部整改事项" not in text_of(page) and "内部研判会" not in text_of(page)
    assert "An action decided at another meeting" in text_of(page)
    # The office sees it all
    login(client, police.staff)
    assert "内部整改事项" in text_of(client.get(reverse("police:meeting_detail",
                                                        args=[joint.pk])))


@pytest.mark.django_db(transaction=True)
def test_a_meeting_planned_while_another_is_held_gets_its_actions(org, police):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; SQLite serialises "
                    "writers, so there is no race to test (run with DATABASE_URL=postgres://…)")
    for n in range(3):
        march = plan(police.staff, starts_at=local(2026, 3, 1, 9 + n))
        outcomes = race([
            lambda m=march, n=n: services.meeting_hold(
                actor=police.staff, meeting_id=m.pk, minutes="纪要",
                actions=[campus_action(org.unit_a, title=f"事项{n}")]),
            lambda n=n: plan(police.staff, starts_at=local(2026, 4, 1 + n, 14))],
            at=clock.now())
        assert [error for _result, error in outcomes] == [None, None]
        april = Meeting.objects.get(starts_at=local(2026, 4, 1 + n, 14))
        action = MeetingAction.objects.get(meeting=march)
        assert action.pk in carried(april)
