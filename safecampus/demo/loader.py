"""Load the demo university and replay a year of its hazard loop through the real services.

:func:`demo_load` is the one entry point (the ``demo_load`` command calls it). It works in
three stages:

1. **World**: campuses, grids, units, buildings and places with map positions, hazard
   categories and routing rules, and a user for every role with scoped memberships.
   This is configuration, written with ``bulk_create`` like an administrator's import.
2. **Plan**: with ``random.Random(seed)``, decide for every hazard what happens to it and
   when (report, confirm, notice, sign, rectify, evidence, verify …), all within the twelve
   months before :func:`safecampus.core.clock.now`. Several hazards found in one inspection
   share one notice; some are major hazards with plans; some ask for extensions; some are
   overdue right now. Nothing is written in this stage.
3. **Replay**: run every step in time order through :mod:`safecampus.hazards.services`
   inside :func:`~safecampus.core.clock.frozen`, one transaction per local day, with the
   deadline sweep once a day. So timelines, notice numbers (consecutive per year) and
   notifications are the real ones. A last sweep at the current time marks and escalates
   what is overdue now.

``created_at`` of a few records is set afterwards to the replayed time (notifications,
hazards, notices, evidence, extension requests, plans): ``BaseModel.created_at`` is filled
by the database clock, which does not know about the replay, and the inbox shows it.
"""

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from safecampus.accounts.models import Membership, Role, User
from safecampus.core import clock
from safecampus.core.errors import DomainError
from safecampus.hazards import services
from safecampus.hazards.models import (
    DeadlineBasis,
    Evidence,
    ExtensionRequest,
    Grade,
    Hazard,
    HazardCategory,
    RectificationNotice,
    RectificationPlan,
    RoutingRule,
    Source,
    Status,
)
from safecampus.inspections.models import Inspection
from safecampus.inspections.services import coverage_sweep
from safecampus.notifications.models import Delivery, Notification
from safecampus.organisation.models import Building, Campus, Place, Unit, Zone

from . import data
from .channels import ChannelDemo
from .cockpit import CockpitDemo
from .community_bookings import ServiceDemo
from .community_concerns import ConcernDemo
from .community_open311 import Open311Demo
from .community_surveys import SurveyDemo
from .education_activities import ActivityDemo
from .education_attendance import AttendanceDemo
from .education_checker import CheckerDemo
from .education_library import LibraryDemo
from .education_quizzes import QuizDemo
from .education_roster import RosterDemo
from .education_warnings import WarningDemo
from .images import campus_map_png, photo_jpeg
from .inspections import InspectionDemo
from .patrols import PatrolDemo
from .police_bulletins import BulletinDemo
from .police_meetings import MeetingDemo
from .police_partners import PartnerDemo
from .police_risks import RiskDemo
from .reports import ReportDemo
from .traffic import TrafficDemo
from .traffic_abandoned import AbandonedDemo
from .traffic_charging import ChargingDemo
from .traffic_gates import GateDemo
from .traffic_posts import DutyPostDemo

DEFAULT_SEED = 2026
DEFAULT_HAZARDS = 400
MIN_HAZARDS = 30
SWEEP_HOUR = 9  # local time of the daily deadline sweep during the replay

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)

NOTICE_STATES = (Status.NOTICE_ISSUED, Status.ACKNOWLEDGED, Status.RECTIFYING,
                 Status.EVIDENCE_SUBMITTED, Status.RETURNED, Status.CLOSED)
OWED_STATES = (Status.NOTICE_ISSUED, Status.ACKNOWLEDGED, Status.RECTIFYING, Status.RETURNED)
STARTED_STATES = (Status.RECTIFYING, Status.EVIDENCE_SUBMITTED, Status.RETURNED, Status.CLOSED)

# Share of hazards by age, and what became of them (relative weights).
AGE_BUCKETS = [("old", 70, 45, 355), ("mid", 17, 10, 45), ("recent", 13, 0.2, 10)]
STATE_WEIGHTS = {
    "old": {Status.CLOSED: 70, Status.FIXED_ON_SPOT: 12, Status.REJECTED: 6,
            Status.DUPLICATE: 5, Status.RECTIFYING: 3, Status.RETURNED: 1,
            Status.ACKNOWLEDGED: 1, Status.NOTICE_ISSUED: 1},
    "mid": {Status.CLOSED: 40, Status.FIXED_ON_SPOT: 10, Status.REJECTED: 5,
            Status.DUPLICATE: 4, Status.RECTIFYING: 12, Status.ACKNOWLEDGED: 5,
            Status.EVIDENCE_SUBMITTED: 8, Status.RETURNED: 5, Status.NOTICE_ISSUED: 4,
            Status.CONFIRMED: 2},
    "recent": {Status.REPORTED: 16, Status.CONFIRMED: 10, Status.NOTICE_ISSUED: 12,
               Status.ACKNOWLEDGED: 10, Status.RECTIFYING: 12, Status.EVIDENCE_SUBMITTED: 8,
               Status.RETURNED: 3, Status.CLOSED: 10, Status.FIXED_ON_SPOT: 8,
               Status.REJECTED: 6, Status.DUPLICATE: 5},
}
# Where the deadline of a notice with work still owed lies, relative to now (cycled).
DEADLINE_CYCLE = ["overdue_long", "future", "overdue_short", "due_soon", "overdue_fresh",
                  "future", "future", "overdue_long", "future", "overdue_short"]
CAMPUS_WEIGHTS = {"xingqing": 40, "chuangxin": 34, "yanta": 12, "qujiang": 14}
LOCATION_HINTS = ["", "", "", "靠近楼梯口", "东侧", "西侧走廊", "北侧入口处", "门口"]


class DemoNotEmpty(Exception):
    """The database already holds an organisation; the demo loads only into an empty one."""


def demo_is_loaded() -> bool:
    return Campus.objects.exists()


# --- stage 1: the world ------------------------------------------------------------------
@dataclass
class World:
    campuses: dict = field(default_factory=dict)
    zones: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    buildings: dict = field(default_factory=dict)
    places: list = field(default_factory=list)
    categories: dict = field(default_factory=dict)
    office_head: User | None = None
    inspectors: list = field(default_factory=list)
    guards: dict = field(default_factory=dict)  # campus id → [User]
    grid_officers: dict = field(default_factory=dict)  # zone id → User
    police: dict = field(default_factory=dict)  # campus id → User
    contacts: dict = field(default_factory=dict)  # unit id → User
    community: list = field(default_factory=list)
    users: int = 0


def _names(rng: random.Random):
    seen = set()
    while True:
        name = rng.choice(data.SURNAMES) + rng.choice(data.GIVEN)
        if name not in seen:
            seen.add(name)
            yield name


def _percent(value) -> Decimal:
    return Decimal(str(round(min(99.0, max(1.0, float(value))), 2)))


def _build_world(rng: random.Random) -> World:
    world = World()
    for code, name, address, order in data.CAMPUSES:
        world.campuses[code] = Campus.objects.create(code=code, name=name, address=address,
                                                     sort_order=order)
    Zone.objects.bulk_create([Zone(campus=world.campuses[c], code=code, name=name)
                              for code, c, name in data.ZONES])
    world.zones = {z.code: z for z in Zone.objects.all()}
    Unit.objects.bulk_create([Unit(code=c, name=n, kind=k, phone=p) for c, n, k, p in data.UNITS])
    world.units = {u.code: u for u in Unit.objects.all()}

    buildings, places = [], []
    for campus_code, rows in data.BUILDINGS.items():
        for code, name, unit, zone, x, y, _places in rows:
            buildings.append(Building(campus=world.campuses[campus_code], zone=world.zones[zone],
                                      code=code, name=name, unit=world.units[unit],
                                      map_x=_percent(x), map_y=_percent(y)))
    Building.objects.bulk_create(buildings)
    world.buildings = {b.code: b for b in Building.objects.all()}
    for campus_code, rows in data.BUILDINGS.items():
        for code, _name, _unit, zone, x, y, rooms in rows:
            for suffix, name, kind, unit, risk in rooms:
                places.append(Place(
                    campus=world.campuses[campus_code], zone=world.zones[zone],
                    building=world.buildings[code], code=f"{code}-{suffix}", name=name, kind=kind,
                    unit=world.units[unit] if unit else None, risk_level=risk,
                    map_x=_percent(x + rng.uniform(-3, 3)), map_y=_percent(y + rng.uniform(-3, 3)),
                ))
    for code, campus, zone, name, kind, unit, x, y, risk in data.OUTDOOR_PLACES:
        places.append(Place(campus=world.campuses[campus], zone=world.zones[zone], code=code,
                            name=name, kind=kind, unit=world.units[unit], risk_level=risk,
                            map_x=_percent(x), map_y=_percent(y)))
    Place.objects.bulk_create(places)
    world.places = list(Place.objects.select_related("building", "campus").order_by("pk"))

    for campus in world.campuses.values():
        png = campus_map_png(
            rng,
            buildings=[(b.map_x, b.map_y) for b in world.buildings.values()
                       if b.campus_id == campus.pk],
            places=[(p.map_x, p.map_y) for p in world.places
                    if p.campus_id == campus.pk and p.building_id is None],
        )
        campus.map_image.save(f"{campus.code}.png", ContentFile(png), save=True)

    HazardCategory.objects.bulk_create([
        HazardCategory(code=c, name=n, name_en=en, sort_order=i * 10)
        for i, (c, n, en) in enumerate(data.CATEGORIES, start=1)
    ])
    world.categories = {c.code: c for c in HazardCategory.objects.all()}
    RoutingRule.objects.bulk_create([
        RoutingRule(category=world.categories[cat],
                    campus=world.campuses[campus] if campus else None, unit=world.units[unit])
        for cat, campus, unit in data.ROUTING_RULES
    ])
    _build_people(rng, world)
    return world


def _build_people(rng: random.Random, world: World) -> None:
    """A user for every role, with memberships scoped to units, zones and campuses."""
    names = _names(rng)
    # One hash for everyone: the password is the same published demo password, and hashing
    # it ninety times would take most of the load time.
    template = User(username="template")
    template.set_password(data.DEMO_PASSWORD)
    users: list[User] = []
    grants: list[tuple[str, str, dict]] = []  # (username, role, scope)

    def person(username, *, number, **extra):
        users.append(User(username=username, full_name=next(names), password=template.password,
                          employee_number=number, **extra))

    person("admin", number="A0001", is_superuser=True, is_staff=True)
    users[-1].full_name = "系统管理员"
    for i, (username, role) in enumerate(data.OFFICE_PEOPLE, start=1):
        person(username, number=f"T1{i:04d}")
        grants.append((username, role, {}))
    security = world.units["security"]
    grants.append(("office_head", Role.UNIT_LEADER, {"unit": security}))
    grants.append(("inspector2", Role.UNIT_SAFETY_CONTACT, {"unit": security}))

    campus_short = {"xingqing": "xq", "chuangxin": "cx", "yanta": "yt", "qujiang": "qj"}
    for code, short in campus_short.items():
        for i in range(1, 3 if code in ("xingqing", "chuangxin") else 2):
            person(f"guard_{short}{i}", number=f"G{short.upper()}{i:03d}")
            grants.append((f"guard_{short}{i}", Role.GUARD, {"campus": world.campuses[code]}))
    for zone_code, _campus, _name in data.ZONES:
        username = "grid_" + zone_code.replace("-", "_")
        person(username, number=f"W{len(users):05d}")
        grants.append((username, Role.GRID_OFFICER, {"zone": world.zones[zone_code]}))
    for code, _name, _kind, _phone in data.UNITS:
        if code == "security":
            continue
        person(f"{code}_contact", number=f"T2{len(users):04d}")
        grants.append((f"{code}_contact", Role.UNIT_SAFETY_CONTACT, {"unit": world.units[code]}))
        if code in data.UNITS_WITH_LEADERS:
            person(f"{code}_leader", number=f"T3{len(users):04d}")
            grants.append((f"{code}_leader", Role.UNIT_LEADER, {"unit": world.units[code]}))
    for username, campuses in (("police_xq", ["xingqing"]), ("police_cx", ["chuangxin"]),
                               ("police_yt", ["yanta", "qujiang"])):
        person(username, number=f"P{len(users):05d}")
        for campus in campuses:
            grants.append((username, Role.POLICE_LIAISON, {"campus": world.campuses[campus]}))
    for username in ("leadership", "leadership2"):
        person(username, number=f"L{len(users):05d}")
        grants.append((username, Role.LEADERSHIP, {}))
    person("student", number="2024010101")
    grants.append(("student", Role.COMMUNITY_MEMBER, {}))
    for i in range(1, 19):
        person(f"student{i}", number=f"20{22 + i % 4}0{i:06d}")
        grants.append((f"student{i}", Role.COMMUNITY_MEMBER, {}))
    for i in range(1, 5):
        person(f"teacher{i}", number=f"T4{i:04d}")
        grants.append((f"teacher{i}", Role.COMMUNITY_MEMBER, {}))

    User.objects.bulk_create(users)
    by_name = {u.username: u for u in User.objects.filter(username__in=[u.username for u in users])}
    Membership.objects.bulk_create(
        [Membership(user=by_name[username], role=role, **scope) for username, role, scope in grants]
    )
    # Fresh objects: ``User.scope`` is cached per object and must see the memberships.
    by_name = {u.username: u for u in User.objects.filter(username__in=list(by_name))}
    world.users = len(by_name)
    world.office_head = by_name["office_head"]
    world.inspectors = [by_name[f"inspector{i}"] for i in range(1, 5)]
    for username, role, scope in grants:
        user = by_name[username]
        if role == Role.GUARD:
            world.guards.setdefault(scope["campus"].pk, []).append(user)
        elif role == Role.GRID_OFFICER:
            world.grid_officers[scope["zone"].pk] = user
        elif role == Role.POLICE_LIAISON:
            world.police[scope["campus"].pk] = user
        elif role == Role.UNIT_SAFETY_CONTACT:
            world.contacts[scope["unit"].pk] = user
        elif role == Role.COMMUNITY_MEMBER:
            world.community.append(user)


# --- stage 2: the plan -------------------------------------------------------------------
@dataclass
class HazardPlan:
    """What happens to one hazard; ``steps`` are (time, name) in time order."""

    final: str
    age: float  # days before now, as drawn (used for finished hazards)
    category: str = ""
    title: str = ""
    description: str = ""
    place: Place | None = None
    unit_id: int | None = None
    grade: str = Grade.GENERAL
    source: str = Source.REPORT
    reporter: User | None = None
    anonymous: bool = False
    photos: int = 0
    original: "HazardPlan | None" = None
    steps: list = field(default_factory=list)
    extension: str = ""  # "", "pending", "granted", "refused"
    requested_deadline: dt.date | None = None
    reroute_place: Place | None = None  # moved here after its first notice (re-routing)
    hazard_id: int | None = None


@dataclass
class NoticePlan:
    members: list
    issue_at: dt.datetime | None = None
    ack_at: dt.datetime | None = None
    days: int = 7
    basis: str = DeadlineBasis.CALENDAR_DAYS
    deadline: dt.datetime | None = None
    notice_id: int | None = None


class Planner:
    """Decides, without writing anything, what happens to each demo hazard and when."""

    def __init__(self, rng: random.Random, now: dt.datetime, world: World):
        self.rng, self.now, self.world = rng, now, world
        self.today = now.astimezone(clock.local_zone()).date()
        self.limit = now - 10 * MINUTE  # the last step of any hazard happens before this
        self.deadline_cycle = itertools.cycle(DEADLINE_CYCLE)
        self.extensions_wanted = ["pending", "granted", "refused"]
        self.routes: dict[tuple[int, int], int | None] = {}
        self.places_by_kind: dict[str, list[Place]] = {}
        for place in world.places:
            self.places_by_kind.setdefault(place.kind, []).append(place)

    # -- helpers --
    def between(self, start: dt.datetime, low: dt.timedelta, high: dt.timedelta) -> dt.datetime:
        """A random time in [start + low, start + high], in waking hours when one is drawn."""
        for _attempt in range(6):
            at = start + low + (high - low) * self.rng.random()
            if 7 <= at.astimezone(clock.local_zone()).hour < 22:
                break
        return at

    def local_at(self, day: dt.date, hour_low: int = 8, hour_high: int = 17) -> dt.datetime:
        minutes = self.rng.randint(hour_low * 60, hour_high * 60 + 59)
        return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60),
                                   tzinfo=clock.local_zone())

    def office_hours(self, at: dt.datetime) -> dt.datetime:
        return self.local_at(at.astimezone(clock.local_zone()).date())

    def route(self, category: str, place: Place) -> int | None:
        key = (self.world.categories[category].pk, place.pk)
        if key not in self.routes:
            self.routes[key] = services.hazard_route(
                category_id=key[0], campus_id=place.campus_id, place=place,
                building=place.building,
            )
        return self.routes[key]

    def pick_place(self, kinds: list[str]) -> Place:
        candidates = [p for kind in kinds for p in self.places_by_kind.get(kind, [])]
        per_campus: dict[int, int] = {}
        for place in candidates:
            per_campus[place.campus_id] = per_campus.get(place.campus_id, 0) + 1
        # Each campus gets its share whatever its number of places of these kinds.
        weights = [CAMPUS_WEIGHTS[p.campus.code] / per_campus[p.campus_id] for p in candidates]
        return self.rng.choices(candidates, weights=weights)[0]

    def pick_state(self) -> tuple[str, float]:
        bucket = self.rng.choices(AGE_BUCKETS, weights=[b[1] for b in AGE_BUCKETS])[0]
        name, _weight, low, high = bucket
        states = STATE_WEIGHTS[name]
        state = self.rng.choices(list(states), weights=list(states.values()))[0]
        return state, self.rng.uniform(low, high)

    def describe(self, plan: HazardPlan, *, category: str | None = None, major: bool = False,
                 place: Place | None = None) -> None:
        """Choose category, title, place, reporter and source of ``plan``."""
        rng = self.rng
        if major:
            category, title, kinds, description = rng.choice(data.MAJOR_TITLES)
        else:
            if category is None:
                category = rng.choices(list(data.CATEGORY_WEIGHTS),
                                       weights=list(data.CATEGORY_WEIGHTS.values()))[0]
            options = data.TITLES[category]
            if place is not None:
                options = [t for t in options if place.kind in t[1]] or options
            title, kinds, description = rng.choice(options)
        place = place or self.pick_place(kinds)
        if category == "traffic" and place.campus.code in data.CAMPUS_TRAFFIC_TITLES:
            flavour = [(t, d) for t, k, d in data.TITLES["traffic"]
                       if t in data.CAMPUS_TRAFFIC_TITLES[place.campus.code] and place.kind in k]
            if flavour and rng.random() < 0.6:
                title, description = rng.choice(flavour)
        plan.category, plan.title, plan.description, plan.place = (
            category, title, description, place)
        plan.grade = Grade.MAJOR if major else Grade.GENERAL
        plan.unit_id = self.route(category, place)
        if plan.final == Status.FIXED_ON_SPOT or major:
            plan.source = Source.INSPECTION
        elif not plan.source or plan.source == Source.REPORT:
            weights = data.SOURCE_WEIGHTS[category]
            plan.source = rng.choices(list(weights), weights=list(weights.values()))[0]
        plan.reporter = self.reporter_for(plan)
        plan.anonymous = plan.source == Source.REPORT and rng.random() < 0.15
        plan.photos = rng.choice([0, 0, 1, 1, 1, 2]) if plan.source != Source.INSPECTION else (
            rng.choice([1, 1, 2]))

    def reporter_for(self, plan: HazardPlan) -> User:
        rng, world, place = self.rng, self.world, plan.place
        if plan.source in (Source.INSPECTION, Source.OFFICE):
            return rng.choice(world.inspectors)
        if plan.source == Source.POLICE:
            return world.police.get(place.campus_id) or rng.choice(list(world.police.values()))
        if plan.source == Source.PATROL:
            grid = world.grid_officers.get(place.zone_id)
            guards = world.guards.get(place.campus_id, [])
            if grid is not None and (not guards or rng.random() < 0.5):
                return grid
            if guards:
                return rng.choice(guards)
            plan.source = Source.REPORT
        return self.community_member()

    def community_member(self) -> User:
        """Mostly anyone; often ``student``, the account the demo suggests signing in as."""
        community = self.world.community
        return community[0] if self.rng.random() < 0.2 else self.rng.choice(community)

    # -- the whole plan --
    def plan(self, count: int) -> tuple[list[HazardPlan], list[NoticePlan]]:
        count = max(count, MIN_HAZARDS)
        # Every state at least twice, so every page of the demo has something to show.
        drawn = [(s, None) for s in Status.values for _ in range(2)]
        drawn += [self.pick_state() for _ in range(count - len(drawn))]
        hazards = []
        for state, age in drawn:
            if age is None:
                age = self.rng.uniform(0.5, 8) if state in (
                    Status.REPORTED, Status.CONFIRMED) else self.rng.uniform(5, 200)
            hazards.append(HazardPlan(final=state, age=age))
        self.rng.shuffle(hazards)

        notices = self.plan_notices([h for h in hazards if h.final in NOTICE_STATES])
        rerouted = False
        for plan in hazards:
            if plan.final in NOTICE_STATES or plan.final == Status.DUPLICATE:
                continue
            if plan.final == Status.CONFIRMED and not rerouted:
                self.describe(plan, category="fire")  # routed by place, so a move re-routes
                self.plan_single(plan)
                rerouted = self.plan_reroute(plan)
                continue
            self.describe(plan)
            self.plan_single(plan)
        for plan in hazards:
            if plan.final == Status.DUPLICATE:
                self.plan_duplicate(plan, [h for h in hazards if h.steps and h.final not in (
                    Status.REJECTED, Status.DUPLICATE)])
        return hazards, notices

    def plan_single(self, plan: HazardPlan) -> None:
        rng, now = self.rng, self.now
        if plan.final == Status.REPORTED:
            plan.steps = [(now - dt.timedelta(days=min(plan.age, 5)) - HOUR, "report")]
        elif plan.final == Status.CONFIRMED:
            report = now - dt.timedelta(days=min(plan.age, 9)) - 2 * HOUR
            confirm = min(self.between(report, 30 * MINUTE, DAY), self.between(
                report, MINUTE, (self.limit - report) * 0.9))
            plan.steps = [(report, "report"), (confirm, "confirm")]
        elif plan.final == Status.REJECTED:
            report = now - dt.timedelta(days=plan.age) - HOUR
            plan.steps = [(report, "report"),
                          (min(self.between(report, 2 * HOUR, 2 * DAY), self.limit), "reject")]
        elif plan.final == Status.FIXED_ON_SPOT:
            report = self.office_hours(now - dt.timedelta(days=max(plan.age, 1)))
            confirm = self.between(report, 3 * MINUTE, 10 * MINUTE)
            plan.steps = [(report, "report"), (confirm, "confirm"),
                          (self.between(confirm, 5 * MINUTE, 40 * MINUTE), "fix")]
        if rng.random() < 0.3 and plan.final == Status.REPORTED:
            plan.photos = max(plan.photos, 1)

    def plan_reroute(self, plan: HazardPlan) -> bool:
        """A notice went to the wrong unit: the office moves the hazard to the right place,
        the notice is cancelled and the hazard waits, confirmed, for a notice to the new unit."""
        kinds = next(k for t, k, _d in data.TITLES[plan.category] if t == plan.title)
        targets = [p for kind in kinds for p in self.places_by_kind.get(kind, [])
                   if p.campus_id == plan.place.campus_id
                   and self.route(plan.category, p) not in (None, plan.unit_id)]
        if not targets:
            return False
        plan.reroute_place = self.rng.choice(targets)
        confirm = plan.steps[1][0]
        room = self.limit - confirm
        issue = confirm + room * self.rng.uniform(0.1, 0.3)
        move = issue + (self.limit - issue) * self.rng.uniform(0.3, 0.8)
        plan.steps += [(issue, "issue_alone"), (move, "relocate")]
        return True

    def plan_duplicate(self, plan: HazardPlan, originals: list[HazardPlan]) -> None:
        """A second report of something already reported (same place and title)."""
        candidates = [h for h in originals if h.steps[0][0] < self.now - 6 * HOUR]
        original = self.rng.choice(candidates)
        plan.original = original
        plan.category, plan.title, plan.description, plan.place = (
            original.category, original.title, original.description, original.place)
        plan.unit_id = original.unit_id
        plan.source = Source.REPORT
        plan.reporter = self.community_member()
        first = original.steps[0][0]
        report = min(self.between(first, HOUR, 4 * DAY), self.between(
            first, MINUTE, (self.limit - first) * 0.8))
        decide = min(self.between(report, HOUR, DAY), report + (self.limit - report) / 2)
        plan.steps = [(report, "report"), (decide, "duplicate")]

    # -- notices --
    def plan_notices(self, plans: list[HazardPlan]) -> list[NoticePlan]:
        """Group notice-bound hazards into notices and time every step of them."""
        rng = self.rng
        issued_only = [p for p in plans if p.final == Status.NOTICE_ISSUED]
        signed = [p for p in plans if p.final != Status.NOTICE_ISSUED]
        groups: list[list[HazardPlan]] = []
        majors_left = max(2, len(plans) // 60)
        # Major hazards: one closed and one still rectifying at least, each on its own notice.
        for wanted in (Status.CLOSED, Status.RECTIFYING, Status.EVIDENCE_SUBMITTED,
                       Status.ACKNOWLEDGED, Status.CLOSED, Status.RECTIFYING):
            if majors_left == 0:
                break
            match = next((p for p in signed if p.final == wanted), None)
            if match is not None:
                signed.remove(match)
                self.describe(match, major=True)
                groups.append([match])
                majors_left -= 1
        for pool in (issued_only, signed):
            while pool:
                size = 1 if rng.random() < 0.75 else rng.randint(2, 4)
                leader = pool.pop(0)
                self.describe(leader)
                group = [leader]
                if size > 1:
                    group += self.siblings(leader, pool, size - 1)
                groups.append(group)
        notices = [NoticePlan(members=g) for g in groups]
        for notice in notices:
            self.plan_notice(notice)
        return notices

    def siblings(self, leader: HazardPlan, pool: list[HazardPlan], count: int) -> list:
        """More hazards found in the same inspection: same building, same responsible unit."""
        building = leader.place.building_id
        places = [p for p in self.world.places if p.building_id == building and building] or [
            leader.place]
        found = []
        for plan in pool[:count]:
            for _attempt in range(12):
                place = self.rng.choice(places)
                category = self.rng.choice(["fire", "electrical", "lab", "hazchem", "building",
                                            "public_health", "other"])
                options = [t for t in data.TITLES[category] if place.kind in t[1]]
                if options and self.route(category, place) == leader.unit_id:
                    plan.source = Source.INSPECTION
                    self.describe(plan, category=category, place=place)
                    found.append(plan)
                    break
        if found:
            # One inspector found them all on one visit.
            inspector = leader.reporter if leader.source == Source.INSPECTION else (
                self.rng.choice(self.world.inspectors))
            leader.source, leader.reporter, leader.anonymous = Source.INSPECTION, inspector, False
            for plan in found:
                pool.remove(plan)
                plan.reporter = inspector
        return found

    def plan_notice(self, notice: NoticePlan) -> None:
        rng, members = self.rng, notice.members
        major = any(m.grade == Grade.MAJOR for m in members)
        owed = any(m.final in OWED_STATES for m in members)
        day_options = [30, 45, 60] if major else [5, 7, 10, 15, 30]
        if owed:
            situation = next(self.deadline_cycle)
            offset = {
                "overdue_long": -rng.randint(4, 25), "overdue_short": -rng.randint(2, 3),
                "overdue_fresh": -1, "due_soon": 0, "future": rng.randint(2, 30),
            }[situation]
            due = self.today + dt.timedelta(days=offset)
            valid = [d for d in day_options if (due - dt.timedelta(days=d)) <= self.today - 2 * DAY]
            notice.days = rng.choice(valid) if valid else (due - self.today).days + rng.randint(3, 8)
            issue_day = due - dt.timedelta(days=notice.days)
            notice.issue_at = self.local_at(issue_day, 9, 16)
            notice.deadline = clock.end_of_local_day(due)
        else:
            if any(m.final == Status.EVIDENCE_SUBMITTED for m in members):
                age = rng.uniform(4, 40)
            else:
                age = min(max(members[0].age, 8), 355)
            notice.issue_at = self.office_hours(self.now - dt.timedelta(days=age))
            notice.days = rng.choice(day_options)
            if rng.random() < 0.3:
                notice.basis = DeadlineBasis.WORKING_DAYS
            issued_on = notice.issue_at.astimezone(clock.local_zone()).date()
            try:
                notice.deadline = services.notice_deadline(issued_on=issued_on, days=notice.days,
                                                           basis=notice.basis)
            except DomainError:  # the official calendar of next year is not published yet
                notice.basis = DeadlineBasis.CALENDAR_DAYS
                notice.deadline = services.notice_deadline(issued_on=issued_on, days=notice.days,
                                                           basis=notice.basis)
        issue = notice.issue_at
        found = issue - dt.timedelta(hours=rng.uniform(20, 90))
        for i, member in enumerate(members):
            report = found + i * rng.uniform(4, 15) * MINUTE
            confirm = min(self.between(report, 20 * MINUTE, 16 * HOUR), issue - 5 * MINUTE)
            member.steps = [(report, "report"), (confirm, "confirm"), (issue, "issue")]
        if any(m.final != Status.NOTICE_ISSUED for m in members):
            notice.ack_at = self.between(issue, 2 * HOUR, 2 * DAY)
            for member in members:
                member.steps.append((notice.ack_at, "ack"))
                self.plan_unit_work(member, notice)
        # Squeeze what comes after the issue into the time before now, keeping the order.
        last = max(t for m in members for t, _ in m.steps)
        if last > self.limit:
            factor = (self.limit - issue) / (last - issue)
            for member in members:
                member.steps = [(t if t <= issue else issue + (t - issue) * factor, name)
                                for t, name in member.steps]
            if notice.ack_at:
                notice.ack_at = issue + (notice.ack_at - issue) * factor

    def plan_unit_work(self, plan: HazardPlan, notice: NoticePlan) -> None:
        """Steps after the unit signed: plan, start, extension, evidence, return, verify."""
        rng, final, deadline = self.rng, plan.final, notice.deadline
        ack = notice.ack_at
        if final == Status.ACKNOWLEDGED:
            if plan.grade == Grade.MAJOR:
                plan.steps.append((self.between(ack, HOUR, DAY), "plan"))
            return
        start = self.between(ack, HOUR, 36 * HOUR)
        plan.steps.append((start, "start"))
        if final in (Status.EVIDENCE_SUBMITTED, Status.RETURNED, Status.CLOSED):
            late = final != Status.RETURNED and deadline < self.now and rng.random() < 0.2
            if late:
                evidence = deadline + dt.timedelta(days=rng.uniform(0.3, 6))
            elif deadline > start + 2 * HOUR:
                evidence = start + (deadline - start) * rng.uniform(0.2, 0.7)
            else:
                evidence = self.between(start, HOUR, DAY)
        else:
            evidence = None
        if plan.grade == Grade.MAJOR:
            plan.steps.append((start + ((evidence or self.now) - start) * 0.15, "plan"))
        self.plan_extension(plan, start, evidence or self.now, deadline)
        if evidence is None:
            return
        plan.steps.append((evidence, "evidence"))
        if final == Status.EVIDENCE_SUBMITTED:
            return
        if final == Status.RETURNED or rng.random() < 0.15:
            back = self.between(evidence, 4 * HOUR, 3 * DAY)
            plan.steps.append((back, "return"))
            if final == Status.RETURNED:
                return
            restart = self.between(back, HOUR, DAY)
            evidence = self.between(restart, DAY, 5 * DAY)
            plan.steps += [(restart, "start"), (evidence, "evidence")]
        plan.steps.append((self.between(evidence, 2 * HOUR, 2 * DAY), "verify"))

    def plan_extension(self, plan: HazardPlan, start, before, deadline) -> None:
        rng = self.rng
        kind = ""
        if "pending" in self.extensions_wanted and plan.final == Status.RECTIFYING:
            kind = "pending"
        elif plan.final != Status.RECTIFYING and any(
                k in self.extensions_wanted for k in ("granted", "refused")):
            kind = next(k for k in ("granted", "refused") if k in self.extensions_wanted)
        elif rng.random() < 0.12:
            options = ["granted", "refused"] + (["pending"] if plan.final in (
                Status.RECTIFYING,) else [])
            kind = rng.choice(options)
        if not kind:
            return
        if kind in self.extensions_wanted:
            self.extensions_wanted.remove(kind)
        plan.extension = kind
        request = start + (before - start) * rng.uniform(0.2, 0.5)
        current = deadline.astimezone(clock.local_zone()).date()
        plan.requested_deadline = current + dt.timedelta(days=rng.choice([7, 14, 21, 30]))
        plan.steps.append((request, "extension_request"))
        if kind != "pending":
            plan.steps.append((request + (before - request) * rng.uniform(0.3, 0.7),
                               "extension_decide"))


# --- stage 3: the replay -----------------------------------------------------------------
class Replay:
    """Runs the planned steps through the real services, in time order."""

    def __init__(self, rng: random.Random, world: World, notices: list[NoticePlan]):
        self.rng, self.world = rng, world
        self.notice_of = {id(m): n for n in notices for m in n.members}
        self.issued: set[int] = set()
        self.acknowledged: set[int] = set()
        self.pending_extensions: dict[int, int] = {}
        self.backdate: list[tuple[type, int, dt.datetime]] = []

    def office(self):
        return self.rng.choice(self.world.inspectors)

    def route_of(self, category: str, place: Place) -> int | None:
        return services.hazard_route(category_id=self.world.categories[category].pk,
                                     campus_id=place.campus_id, place=place,
                                     building=place.building)

    def contact(self, plan: HazardPlan):
        return self.world.contacts[plan.unit_id]

    def photos(self, plan: HazardPlan, count: int, *, after: bool = False) -> list:
        colour = data.CATEGORY_COLOURS[plan.category]
        return [photo_jpeg(self.rng, colour, after=after, name=f"demo-{i}.jpg")
                for i in range(count)]

    def step(self, plan: HazardPlan, name: str, at: dt.datetime) -> None:
        rng = self.rng
        if name == "report":
            place = plan.place
            hazard = services.hazard_report(
                reporter=plan.reporter, title=plan.title, category_id=self.world.categories[
                    plan.category].pk, place_id=place.pk, description=plan.description,
                location_text=rng.choice(LOCATION_HINTS),
                map_x=_percent(float(place.map_x) + rng.uniform(-1.5, 1.5)),
                map_y=_percent(float(place.map_y) + rng.uniform(-1.5, 1.5)),
                is_anonymous=plan.anonymous, photos=self.photos(plan, plan.photos),
                source=plan.source,
            )
            plan.hazard_id = hazard.pk
        elif name == "confirm":
            services.hazard_confirm(
                actor=plan.reporter if plan.final == Status.FIXED_ON_SPOT else self.office(),
                hazard_id=plan.hazard_id, grade=plan.grade,
                comment=rng.choice(data.CONFIRM_COMMENTS))
        elif name == "reject":
            services.hazard_reject(actor=self.office(), hazard_id=plan.hazard_id,
                                   reason=rng.choice(data.REJECT_REASONS))
        elif name == "duplicate":
            services.hazard_mark_duplicate(actor=self.office(), hazard_id=plan.hazard_id,
                                           duplicate_of_id=plan.original.hazard_id,
                                           comment="与已受理的隐患为同一问题，已合并处理。")
        elif name == "fix":
            services.hazard_fix_on_spot(actor=plan.reporter, hazard_id=plan.hazard_id,
                                        text=rng.choice(data.FIX_ON_SPOT_TEXTS),
                                        photos=self.photos(plan, rng.randint(1, 2), after=True))
        elif name == "issue":
            notice = self.notice_of[id(plan)]
            if id(notice) in self.issued:
                return
            self.issued.add(id(notice))
            record = services.notice_issue(
                actor=self.office(), hazard_ids=[m.hazard_id for m in notice.members],
                requirements=rng.choice(data.REQUIREMENTS), deadline_days=notice.days,
                deadline_basis=notice.basis,
            )
            notice.notice_id = record.pk
        elif name == "issue_alone":
            services.notice_issue(actor=self.office(), hazard_ids=[plan.hazard_id],
                                  requirements=rng.choice(data.REQUIREMENTS), deadline_days=7)
        elif name == "relocate":
            place = plan.reroute_place
            services.hazard_update_location(
                actor=self.office(), hazard_id=plan.hazard_id,
                category_id=self.world.categories[plan.category].pk, campus_id=place.campus_id,
                building_id=place.building_id, place_id=place.pk,
                location_text="经核实，隐患实际位置在此，改派责任单位。",
            )
            plan.place, plan.unit_id = place, self.route_of(plan.category, place)
        elif name == "ack":
            notice = self.notice_of[id(plan)]
            if id(notice) in self.acknowledged:
                return
            self.acknowledged.add(id(notice))
            services.notice_acknowledge(actor=self.contact(plan), notice_id=notice.notice_id)
        elif name == "start":
            services.hazard_start_rectification(actor=self.contact(plan), hazard_id=plan.hazard_id)
        elif name == "plan":
            text, interim = rng.choice(data.PLAN_TEXTS)
            day = at.astimezone(clock.local_zone()).date()
            milestones = [(title, day + dt.timedelta(days=7 + 12 * i))
                          for i, title in enumerate(data.MILESTONES)]
            record = services.plan_submit(
                actor=self.contact(plan), hazard_id=plan.hazard_id, plan=text,
                interim_measures=interim, person_in_charge=self.contact(plan).full_name,
                milestones=milestones, funding="学校安全专项经费",
            )
            self.backdate.append((RectificationPlan, record.pk, at))
        elif name == "extension_request":
            request = services.extension_request(
                actor=self.contact(plan), hazard_id=plan.hazard_id,
                requested_deadline=plan.requested_deadline,
                reason=rng.choice(data.EXTENSION_REASONS))
            self.pending_extensions[id(plan)] = request.pk
            self.backdate.append((ExtensionRequest, request.pk, at))
        elif name == "extension_decide":
            grant = plan.extension == "granted"
            services.extension_decide(
                actor=self.office(), extension_id=self.pending_extensions.pop(id(plan)),
                grant=grant, comment="" if grant else rng.choice(data.REFUSE_COMMENTS))
        elif name == "evidence":
            services.evidence_submit(actor=self.contact(plan), hazard_id=plan.hazard_id,
                                     text=rng.choice(data.EVIDENCE_TEXTS),
                                     photos=self.photos(plan, rng.randint(1, 2), after=True))
        elif name == "return":
            services.hazard_return(actor=self.office(), hazard_id=plan.hazard_id,
                                   reason=rng.choice(data.RETURN_REASONS))
        elif name == "verify":
            actor = self.world.office_head if plan.grade == Grade.MAJOR else self.office()
            services.hazard_verify(actor=actor, hazard_id=plan.hazard_id, comment="复查合格，予以销号。")
        else:  # pragma: no cover - a planning mistake
            raise ValueError(name)

    def run(self, plans: list[HazardPlan], now: dt.datetime, progress=None,
            extra: list | None = None) -> None:
        """Replay the plans' steps day by day; ``extra`` holds ``(when, callable)`` events of
        other modules (inspections), run at their time among the hazards' steps."""
        events = []
        for order, plan in enumerate(plans):
            for index, (at, name) in enumerate(plan.steps):
                events.append((at, order, index, plan, name))
        for index, (at, action) in enumerate(extra or []):
            events.append((at, len(plans), index, None, action))
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        zone = clock.local_zone()
        first_day = events[0][0].astimezone(zone).date()
        today = now.astimezone(zone).date()
        days: dict[dt.date, list] = {}
        for event in events:
            days.setdefault(event[0].astimezone(zone).date(), []).append(event)
        day = first_day
        while day <= today:
            sweep_at = dt.datetime.combine(day, dt.time(SWEEP_HOUR), tzinfo=zone)
            todays = days.get(day, [])
            if not todays and sweep_at >= now:
                break
            last = max([e[0] for e in todays] + ([sweep_at] if sweep_at < now else []))
            with clock.frozen(last), transaction.atomic():
                swept = sweep_at >= now
                for at, _order, _index, plan, name in todays:
                    if not swept and at >= sweep_at:
                        with clock.frozen(sweep_at):
                            services.hazard_deadline_sweep(at=sweep_at)
                        swept = True
                    with clock.frozen(at):
                        if plan is None:
                            name()
                        else:
                            self.step(plan, name, at)
                if not swept:
                    with clock.frozen(sweep_at):
                        services.hazard_deadline_sweep(at=sweep_at)
            if progress and day.day == 1:
                progress(day)
            day += DAY


def _backdate(first_ids: dict, replay: Replay, now: dt.datetime) -> None:
    """Give records made during the replay the replayed time as ``created_at``."""
    in_app = Delivery.objects.filter(notification=OuterRef("pk"),
                                     channel=Delivery.Channel.IN_APP).values("sent_at")[:1]
    fresh = Notification.objects.filter(pk__gt=first_ids["notification"])
    fresh.update(created_at=Coalesce(Subquery(in_app), F("created_at")))
    fresh.filter(created_at__lt=now - dt.timedelta(days=10), read_at__isnull=True).update(
        read_at=F("created_at") + dt.timedelta(hours=3))
    Hazard.objects.filter(pk__gt=first_ids["hazard"]).update(created_at=F("reported_at"))
    RectificationNotice.objects.filter(pk__gt=first_ids["notice"]).update(
        created_at=F("issued_at"))
    Evidence.objects.filter(pk__gt=first_ids["evidence"]).update(created_at=F("submitted_at"))
    Inspection.objects.update(created_at=F("started_at"))
    for model, pk, at in replay.backdate:
        model.objects.filter(pk=pk).update(created_at=at)


def _last_pk(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def demo_load(*, seed: int = DEFAULT_SEED, hazards: int = DEFAULT_HAZARDS,
              progress=None) -> dict[str, int]:
    """Load the demo university and a year of hazards into an empty database.

    ``seed``: the same seed gives the same university, people and story (times are relative
    to :func:`clock.now`). ``hazards``: how many hazards (at least 30, so every state
    appears). ``progress``: optional callable given each replayed month's first day.
    Returns counts of what was made. Raises :class:`DemoNotEmpty` when any campus exists.
    """
    if demo_is_loaded():
        raise DemoNotEmpty()
    rng = random.Random(seed)
    now = clock.now()
    with transaction.atomic():
        world = _build_world(rng)
        roster = RosterDemo(random.Random(seed + 10), world)
        roster.build()
    hazard_plans, notice_plans = Planner(rng, now, world).plan(hazards)
    first_ids = {"notification": _last_pk(Notification), "hazard": _last_pk(Hazard),
                 "notice": _last_pk(RectificationNotice), "evidence": _last_pk(Evidence)}
    replay = Replay(rng, world, notice_plans)
    inspections = InspectionDemo(random.Random(seed + 1), world, now)
    patrols = PatrolDemo(random.Random(seed + 2), world, now)
    traffic = TrafficDemo(random.Random(seed + 3), world, now)
    # The traffic areas, each with its own seed so that one area's changes leave the others'
    # data as it was.
    traffic_areas = [area(random.Random(seed + 4 + n), world, now) for n, area in
                     enumerate((AbandonedDemo, GateDemo, DutyPostDemo, ChargingDemo))]
    # Education: the library and the checker rules first (warnings, reports and follow-ups
    # name fraud types), then activities, attendance, quizzes and warnings.
    education_areas = [area(random.Random(seed + 11 + n), world, now) for n, area in
                       enumerate((LibraryDemo, CheckerDemo, ActivityDemo, AttendanceDemo,
                                  QuizDemo, WarningDemo))]
    # Police cooperation and risk: partners first (bulletins and meetings name them).
    police_areas = [area(random.Random(seed + 21 + n), world, now) for n, area in
                    enumerate((PartnerDemo, RiskDemo, BulletinDemo, MeetingDemo))]
    # Community voice: concern categories and the service catalogue first (Open311 requests
    # name the categories).
    community_areas = [area(random.Random(seed + 31 + n), world, now) for n, area in
                       enumerate((ConcernDemo, ServiceDemo, SurveyDemo, Open311Demo))]
    channels = ChannelDemo(random.Random(seed + 41), world, now)
    replay.run(hazard_plans, now, progress=progress,
               extra=inspections.events() + patrols.events() + traffic.events()
               + [event for area in traffic_areas for event in area.events()]
               + [event for area in education_areas for event in area.events()]
               + [event for area in police_areas for event in area.events()]
               + [event for area in community_areas for event in area.events()])
    with transaction.atomic():
        coverage_sweep()
    with transaction.atomic():
        services.hazard_deadline_sweep()  # at the current time: overdue now, escalated now
    with transaction.atomic():
        _backdate(first_ids, replay, now)
        patrols.backdate()
        traffic.backdate()
        for area in traffic_areas + education_areas + police_areas + community_areas:
            area.backdate()
        channels.backdate()
    # Safety work reports last: they are written from the year of data (a few seconds).
    reports = ReportDemo(now)
    reports.run()
    # The whole university's wall display (big screen), with the demo's fixed address.
    cockpit = CockpitDemo()
    cockpit.run()
    return {
        "campuses": Campus.objects.count(),
        "units": Unit.objects.count(),
        "places": Place.objects.count(),
        "users": world.users,
        "hazards": Hazard.objects.count(),
        "notices": RectificationNotice.objects.count(),
        "overdue": Hazard.objects.filter(is_overdue=True).count(),
        "notifications": Notification.objects.count(),
        "inspections": inspections.count,
        **{f"patrol_{key}": value for key, value in patrols.counts.items()},
        **{f"traffic_{key}": value for key, value in traffic.counts.items()},
        **{f"traffic_{key}": value for area in traffic_areas
           for key, value in area.counts.items()},
        **{f"roster_{key}": value for key, value in roster.counts.items()},
        **{f"education_{key}": value for area in education_areas
           for key, value in area.counts.items()},
        **{f"police_{key}": value for area in police_areas
           for key, value in area.counts.items()},
        **{f"community_{key}": value for area in community_areas
           for key, value in area.counts.items()},
        **{f"channels_{key}": value for key, value in channels.counts.items()},
        **{f"reports_{key}": value for key, value in reports.counts.items()},
        **{f"cockpit_{key}": value for key, value in cockpit.counts.items()},
    }
