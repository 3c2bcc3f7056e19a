"""Repeat-offender rules: what counts, once per rule and triggering violation, a pending
appeal blocks escalation, the default rules, the pages."""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.notifications.models import Notification
from safecampus.tests.pages import login, text_of
from safecampus.traffic.models import OffenderAction, OffenderRule, Permit
from safecampus.traffic.services import violations as services

from .violation_helpers import english, local, owner_user, record, vehicle  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")
DAY = dt.timedelta(days=1)


@pytest.fixture
def rules(db):
    services.offender_rules_default_create()
    return {r.action: r for r in OffenderRule.objects.all()}


def _record_days(org, days, *, plate="陕A12345", capture, **kwargs):
    out = []
    for n in days:
        with capture(execute=True):
            out.append(record(org, plate, at=local(2026, 1, 1, 9, 0) + n * DAY, **kwargs))
    return out


def test_default_rules_are_created_once(db):
    assert len(services.offender_rules_default_create()) == 2
    assert services.offender_rules_default_create() == []
    assert list(OffenderRule.objects.values_list("count", "days", "action")) == [
        (3, 90, "warning_letter"), (5, 90, "suspend_permit")]


def test_three_in_ninety_days_send_one_letter_the_fourth_none_the_sixth_a_second(
        org, rules, django_capture_on_commit_callbacks):
    owner = owner_user()
    car = vehicle(owner=owner)
    letter = rules["warning_letter"]
    seen = _record_days(org, [0, 10, 20], capture=django_capture_on_commit_callbacks)
    action = OffenderAction.objects.get(rule=letter)
    assert (action.vehicle, action.violation) == (car, seen[2])
    assert action.violation_ids == [v.pk for v in seen]
    assert Notification.objects.filter(recipient=owner, verb="traffic.offender_action").count() == 1
    assert "traffic.offender_action" in [e.verb for e in activity_for(car)]
    # The 4th and 5th do not send a second letter (5th suspends the permit instead)
    _record_days(org, [30], capture=django_capture_on_commit_callbacks)
    assert OffenderAction.objects.filter(rule=letter).count() == 1
    # Applying again changes nothing
    assert services.offender_rules_apply(vehicle_id=car.pk) == []
    # 3 new ones after the first letter (the 4th, 5th and 6th) send a second letter
    _record_days(org, [40, 50], capture=django_capture_on_commit_callbacks)
    assert OffenderAction.objects.filter(rule=letter).count() == 2


def test_violations_outside_the_window_do_not_count(org, rules,
                                                    django_capture_on_commit_callbacks):
    vehicle(owner=owner_user())
    _record_days(org, [0, 50, 91], capture=django_capture_on_commit_callbacks)
    assert not OffenderAction.objects.exists()


def test_warnings_and_void_violations_do_not_count(org, rules,
                                                   django_capture_on_commit_callbacks):
    vehicle(owner=owner_user())
    first, _second = _record_days(org, [0, 1], capture=django_capture_on_commit_callbacks)
    services.violation_void(actor=org.users.staff, violation_id=first.pk, reason="Mistake")
    _record_days(org, [2], capture=django_capture_on_commit_callbacks, level="warning")
    assert not OffenderAction.objects.exists()
    _record_days(org, [3], capture=django_capture_on_commit_callbacks)
    assert not OffenderAction.objects.exists()
    _record_days(org, [4], capture=django_capture_on_commit_callbacks)
    assert OffenderAction.objects.count() == 1


def test_five_suspend_the_active_permits(org, rules, django_capture_on_commit_callbacks):
    car = vehicle(owner=owner_user())
    today = clock.local_today()  # the rules run on commit, at the real time
    permit = Permit.objects.create(vehicle=car, valid_from=today - 300 * DAY,
                                   valid_until=today + 64 * DAY)
    _record_days(org, [0, 1, 2, 3, 4], capture=django_capture_on_commit_callbacks)
    permit.refresh_from_db()
    assert permit.state == Permit.State.SUSPENDED
    assert [e.verb for e in activity_for(permit)] == ["traffic.permit_suspend"]
    assert OffenderAction.objects.filter(rule=rules["suspend_permit"]).count() == 1


def test_suspension_leaves_expired_and_revoked_permits_as_they_were(
        org, rules, django_capture_on_commit_callbacks):
    """Given an expired (ended yesterday), a valid (ends today), an upcoming and a revoked
    permit, when the 5th violation triggers the suspension, then only the valid and the
    upcoming one are suspended, each with its timeline entry, and the action lists them."""
    car = vehicle(owner=owner_user())
    today = clock.local_today()

    def permit(start, end, **kwargs):
        return Permit.objects.create(vehicle=car, valid_from=today + start * DAY,
                                     valid_until=today + end * DAY, **kwargs)

    expired = permit(-365, -1)
    valid = permit(0, 0)
    upcoming = permit(1, 365)
    revoked = permit(-10, 100, state=Permit.State.REVOKED)
    _record_days(org, [0, 1, 2, 3, 4], capture=django_capture_on_commit_callbacks)
    states = {p.pk: p.state for p in Permit.objects.all()}
    assert states == {expired.pk: Permit.State.ACTIVE, valid.pk: Permit.State.SUSPENDED,
                      upcoming.pk: Permit.State.SUSPENDED, revoked.pk: Permit.State.REVOKED}
    assert list(activity_for(expired)) == [] and list(activity_for(revoked)) == []
    assert [e.verb for e in activity_for(upcoming)] == ["traffic.permit_suspend"]
    entry = activity_for(car).get(verb="traffic.offender_action",
                                  data__action="suspend_permit")
    assert entry.data["permits"] == [valid.pk, upcoming.pk]


def test_suspension_with_only_an_expired_permit_suspends_nothing(
        org, rules, django_capture_on_commit_callbacks):
    car = vehicle(owner=owner_user())
    today = clock.local_today()
    expired = Permit.objects.create(vehicle=car, valid_from=today - 400 * DAY,
                                    valid_until=today - 35 * DAY)
    _record_days(org, [0, 1, 2, 3, 4], capture=django_capture_on_commit_callbacks)
    expired.refresh_from_db()
    assert expired.state == Permit.State.ACTIVE
    action = OffenderAction.objects.get(rule=rules["suspend_permit"])
    assert action.vehicle == car
    entry = activity_for(car).get(verb="traffic.offender_action",
                                  data__action="suspend_permit")
    assert entry.data["permits"] == []


def test_a_pending_appeal_blocks_escalation_and_the_decision_reapplies(
        org, rules, django_capture_on_commit_callbacks):
    owner = owner_user()
    vehicle(owner=owner)
    first, _ = _record_days(org, [0, 1], capture=django_capture_on_commit_callbacks)
    services.appeal_submit(actor=owner, violation_id=first.pk, reason="I was loading")
    _record_days(org, [2], capture=django_capture_on_commit_callbacks)
    assert not OffenderAction.objects.exists()  # blocked while the appeal is pending
    appeal = first.appeal
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_decide(actor=org.users.staff, appeal_id=appeal.pk, grant=False,
                               note="The photo shows the fire lane blocked")
    assert OffenderAction.objects.count() == 1  # refused: the three count, the letter goes


def test_a_granted_appeal_removes_the_violation_from_the_count(
        org, rules, django_capture_on_commit_callbacks):
    owner = owner_user()
    vehicle(owner=owner)
    first, _ = _record_days(org, [0, 1], capture=django_capture_on_commit_callbacks)
    services.appeal_submit(actor=owner, violation_id=first.pk, reason="Not my car")
    _record_days(org, [2], capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_decide(actor=org.users.staff, appeal_id=first.appeal.pk, grant=True,
                               note="Cloned plate")
    assert not OffenderAction.objects.exists()


def test_rules_are_managed_by_the_office_admin(org):
    with pytest.raises(NotAllowed):
        services.offender_rule_create(actor=org.users.guard, name="x", count=3, days=90,
                                      action="warning_letter")
    with pytest.raises(DomainError) as caught:
        services.offender_rule_create(actor=org.users.admin, name="x", count=0, days=90,
                                      action="warning_letter")
    assert caught.value.field_errors == {"count": ["Enter a number of violations from 1 to 100."]}
    rule = services.offender_rule_create(actor=org.users.admin, name="2 in 7 days", count=2,
                                         days=7, action="warning_letter")
    services.offender_rule_update(actor=org.users.admin, rule_id=rule.pk, name=rule.name,
                                  count=2, days=7, action="warning_letter", is_active=False)
    rule.refresh_from_db()
    assert rule.is_active is False


def test_the_rules_page_creates_and_deactivates(client, org, rules):
    login(client, org.users.admin)
    response = client.post("/traffic/offenders/rules/", {
        "new-name": "2 in 7 days", "new-count": "2", "new-days": "7",
        "new-action": "warning_letter", "new-is_active": "on"})
    assert response.status_code == 302
    rule = OffenderRule.objects.get(name="2 in 7 days")
    response = client.post("/traffic/offenders/rules/", {
        "rule": rule.pk, f"r{rule.pk}-name": "2 in 7 days", f"r{rule.pk}-count": "2",
        f"r{rule.pk}-days": "7", f"r{rule.pk}-action": "warning_letter"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.is_active is False
    login(client, org.users.guard)
    assert client.get("/traffic/offenders/rules/").status_code == 403


def test_the_offender_list_shows_counts_and_the_latest_action(
        client, org, rules, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    for i in range(3):
        vehicle(f"陕A1234{i}", owner=owner_user(f"o{i}"))
        _record_days(org, [0, 1, 2], plate=f"陕A1234{i}",
                     capture=django_capture_on_commit_callbacks)
    login(client, org.users.guard)
    with django_assert_max_num_queries(12):
        response = client.get("/traffic/offenders/")
    text = text_of(response)
    assert response.status_code == 200
    assert "陕A12340" in text and "陕A12342" in text and rules["warning_letter"].name in text
    login(client, org.users.student)
    assert client.get("/traffic/offenders/").status_code == 403


def test_the_vehicle_timeline_names_the_rule_applied_in_words(
        client, org, rules, django_capture_on_commit_callbacks):
    car = vehicle(owner=owner_user())
    _record_days(org, [0, 1, 2], capture=django_capture_on_commit_callbacks)
    login(client, org.users.staff)
    html = client.get(f"/traffic/vehicles/{car.pk}/").content.decode()
    entry = html[html.index('data-verb="traffic.offender_action"'):]
    entry = entry[:entry.index("</li>")]
    assert "Repeat-offender rule applied" in entry
    assert "traffic.offender_action<" not in entry.replace(" ", "").replace("\n", "")
