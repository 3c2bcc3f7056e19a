"""The demo university: one load with 60 hazards replayed through the real services."""

import datetime as dt
import io
import random
import re

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.utils import translation

from safecampus.accounts.models import Membership, Role, User
from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.hazards.models import (
    UNIT_STATES,
    Evidence,
    ExtensionRequest,
    Grade,
    Hazard,
    HazardCategory,
    HazardPhoto,
    RectificationNotice,
    Status,
)
from safecampus.inspections.models import (
    ChecklistTemplate,
    Inspection,
    InspectionPlan,
    InspectionResult,
)
from safecampus.notifications.models import Notification
from safecampus.organisation.models import Campus, Unit, Zone

pytestmark = pytest.mark.django_db(transaction=True)

# A year back from mid-March 2026 reaches into 2025: notices of two years.
NOW = dt.datetime(2026, 3, 16, 2, 30, tzinfo=dt.UTC)


def load(**options) -> str:
    out = io.StringIO()
    with clock.frozen(NOW):
        call_command("demo_load", stdout=out, **options)
    return out.getvalue()


def test_demo_load_replays_a_year_of_the_loop_and_loads_once():
    # given an empty database, when the demo loads with 60 hazards
    with translation.override("en"):
        output = load(hazards=60, seed=7)
    assert output.startswith("Demo loaded in ")
    assert re.search(r", \d+ hazards, .* \d+ inspections, 4 patrol routes, \d+ rounds, \d+ "
                     r"checkpoint scans, 30 grid visits, \d+ duty-log entries, \d+ incidents, "
                     r"41 vehicles, 80 parking violations, \d+ move-car notices, [1-9]\d* "
                     r"abandoned-vehicle cases, [1-9]\d* gate records, [1-9]\d* duty posts, "
                     r"[1-9]\d* charging stations with [1-9]\d* sessions\.",
                     output), output
    # and the whole university's wall display has the demo's fixed address, printed and open
    from django.test import Client

    from safecampus.dashboards.models import DisplayToken
    from safecampus.demo.cockpit import DEMO_TOKEN

    assert "run “manage.py demo_accounts” to see whom to sign in as, the big screen's link" in output
    assert DisplayToken.objects.get().campus_id is None
    with clock.frozen(NOW):
        screen = Client().get(f"/screen/{DEMO_TOKEN}/")
    assert screen.status_code == 200 and "逾期隐患" in screen.content.decode()

    # then the university has four campuses, the security office and 11 categories
    assert sorted(Campus.objects.values_list("name", flat=True)) == sorted(
        ["兴庆校区", "创新港校区", "雁塔校区", "曲江校区"])
    assert Unit.objects.filter(kind=Unit.Kind.SECURITY_OFFICE).count() == 1
    assert Unit.objects.count() >= 30
    assert HazardCategory.objects.count() == 11
    assert not HazardCategory.objects.filter(name_en="").exists()

    # and someone holds every role, scoped where the role is scoped
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    assert not Membership.objects.filter(role=Role.GUARD, campus__isnull=True).exists()
    assert not Membership.objects.filter(role=Role.GRID_OFFICER, zone__isnull=True).exists()
    assert not Membership.objects.filter(role__in=[Role.UNIT_SAFETY_CONTACT, Role.UNIT_LEADER],
                                         unit__isnull=True).exists()
    assert Membership.objects.filter(role=Role.OFFICE_ADMIN, user__username="office_head").exists()
    assert User.objects.get(username="admin").is_superuser
    for username in ("admin", "student", "office_head"):
        assert User.objects.get(username=username).check_password("safecampus")
    assert not User.objects.filter(full_name="").exists()

    # and the 60 hazards reached every state, within the twelve months before now
    replayed = Hazard.objects.filter(source_type__isnull=True)
    assert replayed.count() == 60
    assert set(replayed.values_list("status", flat=True)) == set(Status.values)
    assert not Hazard.objects.exclude(reported_at__range=(NOW - dt.timedelta(days=366), NOW)).exists()

    # and the term's inspections: the laboratory checklist in two versions, each used; a
    # campaign part done, part due, part in progress; results awaiting approval; repeat
    # findings; every finding of a finished inspection became a hazard
    lab = ChecklistTemplate.objects.get(code="lab-safety")
    assert [(v.number, v.state, v.inspections.exists()) for v in lab.versions.order_by(
        "number")] == [(1, "retired", True), (2, "published", True)]
    campaign = InspectionPlan.objects.get(kind="campaign")
    assert {"done", "never", "in_progress"} <= set(campaign.targets.values_list("coverage",
                                                                                flat=True))
    assert Inspection.objects.filter(state="awaiting_review").exists()
    assert Inspection.objects.filter(kind="self", state="finished").exists()
    assert InspectionResult.objects.filter(is_repeat=True).exists()
    findings = InspectionResult.objects.filter(outcome="fails", inspection__state="finished")
    assert findings.exists() and not findings.filter(hazard__isnull=True).exists()

    # and notice numbers run 1, 2, 3 … in each year, in the order they were issued
    notices = list(RectificationNotice.objects.order_by("issued_at", "pk"))
    assert {n.year for n in notices} == {2025, 2026}
    for year in (2025, 2026):
        in_year = [n for n in notices if n.year == year]
        assert [n.sequence for n in in_year] == list(range(1, len(in_year) + 1))
        assert all(n.number == settings.SAFECAMPUS["NOTICE_NUMBER_FORMAT"].format(
            year=year, seq=n.sequence) for n in in_year)
        assert all(n.issued_at.astimezone(clock.local_zone()).year == year for n in in_year)
    assert RectificationNotice.objects.annotate(k=Count("items")).filter(k__gt=1).exists()
    # one notice went to the wrong unit and was cancelled when the hazard was re-routed
    cancelled = RectificationNotice.objects.get(state=RectificationNotice.State.CANCELLED)
    rerouted = cancelled.items.get().hazard
    assert rerouted.status == Status.CONFIRMED
    assert rerouted.responsible_unit != cancelled.unit
    assert "hazards.reroute" in [e.verb for e in activity_for(rerouted)]

    # and some hazards are overdue now and already escalated by the sweep
    overdue = Hazard.objects.filter(is_overdue=True)
    assert overdue.filter(escalation_level__gte=1).exists()
    # (evidence handed in late stays overdue until verified)
    assert all(h.status in (*UNIT_STATES, Status.EVIDENCE_SUBMITTED) and h.deadline < NOW
               for h in overdue)
    assert not Hazard.objects.filter(status__in=UNIT_STATES, deadline__lt=NOW,
                                     is_overdue=False).exists()

    # and extensions were granted, refused and are pending; major hazards have plans
    assert set(ExtensionRequest.objects.values_list("state", flat=True)) == {
        "granted", "refused", "pending"}
    majors = Hazard.objects.filter(grade=Grade.MAJOR)
    assert majors.filter(status=Status.CLOSED).exists()
    assert all(h.plan.milestones.exists() for h in majors.filter(
        status__in=[Status.CLOSED, Status.RECTIFYING, Status.EVIDENCE_SUBMITTED]))

    # and photos are there: before (reports) and after (every piece of evidence)
    assert HazardPhoto.objects.filter(stage="before").exists()
    assert not Evidence.objects.annotate(k=Count("photos")).filter(k=0).exists()

    # and a closed hazard's timeline is the real one, in time order
    closed = Hazard.objects.filter(status=Status.CLOSED, grade=Grade.GENERAL).first()
    entries = list(activity_for(closed))
    verbs = [e.verb for e in entries]
    assert verbs[0] == "hazards.report" and verbs[-1] == "hazards.verify"
    assert {"hazards.confirm", "hazards.issue_notice", "hazards.acknowledge",
            "hazards.submit_evidence"} <= set(verbs)
    assert entries[0].occurred_at == closed.reported_at
    assert [e.occurred_at for e in entries] == sorted(e.occurred_at for e in entries)

    # and notifications went out, dated when they were sent
    assert Notification.objects.filter(verb="notices.issue").exists()
    assert Notification.objects.filter(verb="hazards.escalate").exists()
    assert not Notification.objects.filter(created_at__gt=NOW).exists()

    _assert_patrols_grids_and_duty_room()
    _assert_traffic()

    # when it is loaded again with --if-empty, then nothing changes
    counts = (Hazard.objects.count(), User.objects.count(), RectificationNotice.objects.count())
    with translation.override("en"):
        again = load(hazards=60, seed=7, if_empty=True)
    assert again == "The database already holds an organisation: demo not loaded.\n"
    assert (Hazard.objects.count(), User.objects.count(),
            RectificationNotice.objects.count()) == counts
    # and without --if-empty it refuses rather than loading twice
    with pytest.raises(CommandError):
        load(hazards=60, seed=7)
    assert Hazard.objects.count() == counts[0]

    # and demo_accounts names every role with its demo account
    out = io.StringIO()
    with translation.override("en"):
        call_command("demo_accounts", stdout=out)
        labels = [str(label) for label in Role.labels]
    table = out.getvalue()
    for label in labels:
        assert label in table
    for username in ("student", "inspector1", "office_head", "leadership", "admin",
                     "shift_leader", "gridhead_xq", "teacher1"):
        assert f"\n{username} " in table
    assert "safecampus" in table
    # and, after the accounts, the big screen's address and the Open311 demo key
    from safecampus.demo.community_open311 import DEMO_KEY

    assert table.splitlines()[-2].endswith(f"http://127.0.0.1:8000/screen/{DEMO_TOKEN}/")
    assert f"api_key={DEMO_KEY} " in table.splitlines()[-1]
    contact_line = next(line for line in table.splitlines() if "Unit safety contact" in line)
    contact = User.objects.get(username=contact_line.split()[0])
    assert RectificationNotice.objects.filter(unit__memberships__user=contact).exists()


def _assert_patrols_grids_and_duty_room():
    from safecampus.hazards.models import Source
    from safecampus.patrols.models import (
        Checkpoint,
        CheckpointScan,
        DutyLogEntry,
        DutyShift,
        GridVisit,
        Incident,
        PatrolRound,
        PatrolRoute,
        PatrolSchedule,
        PatrolShift,
    )

    zone = clock.local_zone()
    today = NOW.astimezone(zone).date()
    # four routes, every checkpoint at a demo place with a position near its campus
    assert PatrolRoute.objects.count() == 4
    assert Checkpoint.objects.count() >= 24
    assert not Checkpoint.objects.filter(latitude__isnull=True).exists()
    assert not Checkpoint.objects.exclude(latitude__range=(34.2, 34.45),
                                          longitude__range=(108.6, 109.1)).exists()
    # night and day schedules with guards and the demo shift leader
    assert {(s.name, s.starts_at.hour) for s in PatrolSchedule.objects.all()} == {
        ("夜班", 22), ("白班", 6)}
    assert set(PatrolSchedule.objects.values_list("leader__username", flat=True)) == {
        "shift_leader"}
    assert not PatrolSchedule.objects.annotate(k=Count("guards")).filter(k=0).exists()
    # the last 14 nights were walked scan by scan, nothing after now
    walked = set(PatrolShift.objects.filter(schedule__name="夜班", rounds__scans__isnull=False)
                 .values_list("shift_date", flat=True))
    assert {today - dt.timedelta(days=d) for d in range(1, 15)} <= walked
    assert CheckpointScan.objects.count() > 1000
    assert not CheckpointScan.objects.filter(counted_at__gt=NOW).exists()
    assert CheckpointScan.objects.filter(timing="late").exists()
    assert CheckpointScan.objects.filter(received_at__gt=F("scanned_at") + dt.timedelta(
        minutes=10)).exists()  # the round uploaded from the offline queue
    flagged = CheckpointScan.objects.filter(is_flagged=True)
    assert [s.flags for s in flagged] == [["far_from_place"]] and flagged.get().distance_m > 500
    # a few rounds missed checkpoints and alerted the shift leader; one ended early
    states = dict(PatrolRound.objects.values_list("state").annotate(n=Count("id")))
    assert states["completed"] > 5 * states["incomplete"] > 0
    assert PatrolRound.objects.get(state="ended_early").end_reason
    alerts = Notification.objects.filter(verb="patrols.missed_checkpoints")
    # (a late scan after the alert may still complete a round)
    assert alerts.count() >= states["incomplete"]
    assert set(alerts.values_list("recipient__username", flat=True)) == {"shift_leader"}
    # … minutes after the round's window closed (as the 5-minute task would), not hours
    for round_ in PatrolRound.objects.filter(state="incomplete"):
        alert = alerts.get(dedupe_key=f"patrols:round:{round_.pk}:missed")
        assert dt.timedelta(0) < alert.created_at - round_.window_end <= dt.timedelta(
            minutes=5), (round_.window_end, alert.created_at)
    # tonight's shifts are planned with their rounds, so a guard can patrol now
    tonight = PatrolShift.objects.filter(shift_date=today, schedule__name="夜班")
    assert tonight.count() == 3
    assert not tonight.exclude(rounds__state="planned").exists()

    # grids: a grid head for every grid, phone numbers, visits of the last four weeks
    assert not Zone.objects.exclude(memberships__role=Role.GRID_HEAD).exists()
    assert not User.objects.filter(memberships__role__in=[Role.GRID_HEAD, Role.GRID_OFFICER],
                                   phone="").exists()
    visits = GridVisit.objects.all()
    assert visits.count() == 30
    assert not visits.exclude(visited_at__range=(NOW - dt.timedelta(days=29), NOW)).exists()
    assert visits.filter(needs_follow_up=True).exists()
    assert not visits.filter(zone__code__startswith="qj-").exists()  # idle officers
    from_visits = Hazard.objects.filter(source_type__model="gridvisit")
    assert 1 <= from_visits.count() <= 3
    assert set(from_visits.values_list("source", flat=True)) == {Source.PATROL}

    # the duty room: shifts handed over twice a day, open entries carried over, one open
    assert DutyShift.objects.filter(state="open").count() == 1
    assert DutyShift.objects.filter(state="handed_over").count() >= 9
    assert DutyShift.objects.filter(carried_over__gt=0).exists()
    assert DutyLogEntry.objects.count() >= 40
    assert DutyLogEntry.objects.filter(incident__isnull=False).count() >= 3
    assert Hazard.objects.filter(source_type__model="dutylogentry").count() == 1

    # about 150 incidents over the year, numbered per year without gaps
    incidents = Incident.objects.all()
    assert 140 <= incidents.filter(source="manual").count() <= 150
    assert not incidents.exclude(reported_at__range=(NOW - dt.timedelta(days=366), NOW)).exists()
    assert incidents.values("category").distinct().count() >= 8
    assert not incidents.filter(place__isnull=True).exists()
    for year in {i.year for i in incidents}:
        numbers = sorted(incidents.filter(year=year).values_list("sequence", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))


def _assert_traffic():
    from safecampus.traffic.models import (
        Appeal,
        MoveCarNotice,
        OffenderAction,
        OffenderRule,
        Permit,
        Vehicle,
        Violation,
    )

    today = NOW.astimezone(clock.local_zone()).date()
    # the two default rules; about 40 vehicles, ten of them of demo accounts
    assert sorted(OffenderRule.objects.values_list("count", "days", "action")) == [
        (3, 90, "warning_letter"), (5, 90, "suspend_permit")]
    vehicles = Vehicle.objects.all()
    assert vehicles.count() == 41
    assert vehicles.filter(owner__isnull=False).count() == 10
    assert set(vehicles.values_list("owner_kind", flat=True)) == {
        "staff", "student", "contractor", "visitor"}
    assert not vehicles.filter(owner__isnull=True, owner_phone="").exists()
    plated = vehicles.exclude(plate="")
    assert plated.filter(plate__startswith="陕A").count() > plated.count() * 0.7
    assert plated.filter(plate_kind="new_energy").count() >= 5
    assert not plated.exclude(plate_kind="new_energy").exclude(plate__regex=r"^.{7}$").exists()
    assert vehicles.filter(kind="ebike", plate="").exclude(tag_number="").count() == 5
    # permits: long-term for the school year, some expired, one temporary
    permits = Permit.objects.all()
    assert permits.filter(kind="temporary").count() == 1
    assert permits.filter(valid_until__lt=today).exists()
    assert permits.filter(kind="long_term", valid_from__lte=today,
                          valid_until__gte=today).count() >= 25
    # 80 violations in the last three months by guards at demo places, with photos
    violations = Violation.objects.all()
    assert violations.count() == 80
    assert not violations.exclude(observed_at__range=(NOW - dt.timedelta(days=91), NOW)).exists()
    assert not violations.exclude(recorded_by__memberships__role=Role.GUARD).exists()
    assert not violations.filter(place__isnull=True).exists()
    assert {"fire_lane", "entrance", "no_parking"} <= set(violations.values_list("kind",
                                                                                 flat=True))
    assert not violations.filter(level="violation", photos__isnull=True).exists()
    states = dict(violations.values_list("state").annotate(n=Count("id")))
    assert states["moved"] > 40 and states["towed"] >= 2 and states["void"] == 3
    assert states.get("open", 0) >= 1
    # move-car notices: the first on recording, some sent again after the interval
    notices = MoveCarNotice.objects.all()
    assert not violations.filter(vehicle__isnull=False).exclude(notices__sequence=1).exists()
    resent = notices.filter(sequence=2)
    assert resent.exists()
    for notice in resent.select_related("violation"):
        first = notices.get(violation=notice.violation, sequence=1)
        assert notice.sent_at - first.sent_at >= dt.timedelta(minutes=10)
    assert {"in_app", "phone"} <= set(notices.values_list("channel", flat=True))
    told = Notification.objects.filter(verb="traffic.move_car_notice")
    assert told.count() == notices.filter(channel="in_app").count()
    assert told.filter(recipient__username="teacher1").exists()
    assert not told.filter(created_at__gt=NOW).exists()
    for note in told:
        sent = notices.get(violation_id=int(note.dedupe_key.split(":")[2]),
                           sequence=int(note.dedupe_key.split(":")[3])).sent_at
        assert note.created_at == sent
    # repeat offenders: teacher2's car reached 3 (a letter), teacher3's reached 5 (suspended)
    actions = {(a.vehicle.owner.username, a.rule.count) for a in OffenderAction.objects.all()}
    assert actions == {("teacher2", 3), ("teacher3", 3), ("teacher3", 5)}
    assert Permit.objects.filter(vehicle__owner__username="teacher3", state="suspended",
                                 valid_until__gte=today).exists()
    assert not Permit.objects.filter(state="suspended").exclude(
        vehicle__owner__username="teacher3").exists()
    assert Notification.objects.filter(verb="traffic.offender_action",
                                       recipient__username="teacher2").count() == 1
    # one appeal pending, one refused; teacher1 can still appeal its violations
    assert sorted(Appeal.objects.values_list("appellant__username", "state")) == [
        ("teacher3", "refused"), ("teacher4", "pending")]
    assert violations.filter(vehicle__owner__username="teacher1", appeal__isnull=True,
                             state__in=["open", "moved"]).count() == 2


def test_demo_accounts_without_a_demo_says_how_to_load_it():
    out = io.StringIO()
    with translation.override("en"):
        call_command("demo_accounts", stdout=out)
    assert out.getvalue().strip() == "No demo loaded yet: run “manage.py demo_load”."


def test_too_few_hazards_are_refused():
    with pytest.raises(CommandError), translation.override("en"):
        load(hazards=5)
    assert not Campus.objects.exists()


def test_the_same_seed_plans_the_same_story():
    from safecampus.demo.loader import Planner, _build_world

    with clock.frozen(NOW):
        world = _build_world(random.Random(1))

        def story(seed):
            hazards, notices = Planner(random.Random(seed), NOW, world).plan(40)
            return ([(h.final, h.title, h.place.code, h.reporter.username, h.steps)
                     for h in hazards], [(n.days, n.deadline) for n in notices])

        first = story(3)
    assert story(3) == first
    assert story(4) != first
