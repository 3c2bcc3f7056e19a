"""Generate a university's worth of hazard data for the benchmark, fast.

The organisation (4 campuses, 30 units, zones, buildings, places, categories, a user for
every role) goes in through ``bulk_create``. The hazards, their rectification notices,
notice items and timeline entries are built in memory as plain rows and written in batches:
``executemany`` on SQLite, ``COPY … FROM STDIN`` on PostgreSQL. This is test data, so it
bypasses the services, but every row is shaped as the services would leave it:

- ids grow with ``reported_at``; reports are spread over the two years before ``now``
  at local (Asia/Shanghai) day times;
- old hazards are mostly closed, recent ones mostly open, a few old ones are stuck and
  overdue (``is_overdue`` and ``escalation_level`` set as the deadline sweep would);
- a hazard in a unit state or verified through a notice has ``current_notice``, a
  ``deadline`` at the end of a local day and a ``NoticeItem``; closed ones have
  ``closed_at`` and ``closed_on_time``; fixed-on-the-spot ones close the same day;
- every hazard has a ``hazards.report`` timeline entry and one for its last transition.
"""

import datetime as dt
import json
import random
import time
from collections import defaultdict

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, models, transaction

from safecampus.accounts.models import Membership, Role, User
from safecampus.core import clock
from safecampus.core.models import ActivityEntry
from safecampus.hazards.models import (
    DeadlineBasis,
    Grade,
    Hazard,
    HazardCategory,
    NoticeItem,
    NoticeSequence,
    RectificationNotice,
    RoutingRule,
    Source,
    Status,
)
from safecampus.organisation.models import Building, Campus, Place, Unit, Zone

SEED = 20261130
BATCH = 5000

CAMPUSES = [("north", "北校区", 0.35), ("south", "南校区", 0.25), ("east", "东校区", 0.25),
            ("harbour", "创新港校区", 0.15)]
UNIT_KINDS = [  # kind, how many, name stem
    (Unit.Kind.COLLEGE, 12, "学院"), (Unit.Kind.RESIDENTIAL_COLLEGE, 4, "书院"),
    (Unit.Kind.OFFICE, 6, "职能部门"), (Unit.Kind.LAB, 4, "研究院"),
    (Unit.Kind.LOGISTICS, 2, "后勤保障部"), (Unit.Kind.CONTRACTOR, 1, "物业公司"),
    (Unit.Kind.SECURITY_OFFICE, 1, "保卫处"),
]
CATEGORIES = [  # code, name, English name, weight, typical titles
    ("fire", "消防安全", "Fire safety", 0.22,
     ["灭火器过期", "消防通道堵塞", "安全出口指示灯损坏", "消火栓被遮挡", "防火门常开"]),
    ("electrical", "用电安全", "Electrical", 0.18,
     ["私拉乱接电线", "宿舍使用违规电器", "插座过载", "配电箱未上锁"]),
    ("chemicals", "危险化学品", "Hazardous chemicals", 0.08,
     ["化学品未分类存放", "废液桶未加盖", "气瓶未固定"]),
    ("lab", "实验室安全", "Laboratory", 0.10,
     ["实验室无人值守设备运行", "通风橱故障", "实验记录缺失"]),
    ("traffic", "交通安全", "Traffic", 0.10,
     ["车辆占用消防通道", "减速带损坏", "路口视线遮挡", "电动车违规停放"]),
    ("construction", "施工安全", "Construction", 0.05, ["施工区域未围挡", "脚手架不稳"]),
    ("food", "食品安全", "Food safety", 0.04, ["食堂留样不全", "后厨卫生不达标"]),
    ("equipment", "特种设备", "Special equipment", 0.04, ["电梯维保过期", "压力容器未年检"]),
    ("dormitory", "宿舍安全", "Dormitory", 0.09, ["宿舍楼门禁故障", "楼道堆放杂物"]),
    ("gas", "燃气安全", "Gas", 0.03, ["燃气管道老化", "报警器失灵"]),
    ("public_order", "治安防范", "Public order", 0.05, ["监控探头损坏", "围墙破损", "照明不足"]),
    ("other", "其他", "Other", 0.02, ["其他安全隐患"]),
]
SOURCES = [(Source.REPORT, 0.40), (Source.INSPECTION, 0.35), (Source.PATROL, 0.15),
           (Source.POLICE, 0.03), (Source.OFFICE, 0.07)]
OPEN_RECENT = [(Status.REPORTED, 0.12), (Status.CONFIRMED, 0.08), (Status.NOTICE_ISSUED, 0.15),
               (Status.ACKNOWLEDGED, 0.15), (Status.RECTIFYING, 0.30),
               (Status.EVIDENCE_SUBMITTED, 0.10), (Status.RETURNED, 0.10)]
OPEN_STUCK = [(Status.NOTICE_ISSUED, 0.2), (Status.ACKNOWLEDGED, 0.2), (Status.RECTIFYING, 0.5),
              (Status.RETURNED, 0.1)]
NOTICE_STATES = {Status.NOTICE_ISSUED, Status.ACKNOWLEDGED, Status.RECTIFYING,
                 Status.EVIDENCE_SUBMITTED, Status.RETURNED, Status.CLOSED}
UNIT_STATES = {Status.NOTICE_ISSUED, Status.ACKNOWLEDGED, Status.RECTIFYING, Status.RETURNED}
LAST_VERB = {
    Status.CONFIRMED: "hazards.confirm", Status.REJECTED: "hazards.reject",
    Status.DUPLICATE: "hazards.mark_duplicate", Status.FIXED_ON_SPOT: "hazards.fix_on_spot",
    Status.NOTICE_ISSUED: "hazards.issue_notice", Status.ACKNOWLEDGED: "hazards.acknowledge",
    Status.RECTIFYING: "hazards.start_rectification",
    Status.EVIDENCE_SUBMITTED: "hazards.submit_evidence", Status.RETURNED: "hazards.return",
    Status.CLOSED: "hazards.verify",
}
HOUR = dt.timedelta(hours=1)


def _pick(rng: random.Random, weighted):
    return rng.choices([w[0] for w in weighted], weights=[w[-1] for w in weighted])[0]


def insert_rows(model, fields: list[str], rows) -> int:
    """Write ``rows`` (tuples of Python values in ``fields`` order, ids included) into the
    table of ``model``: COPY on PostgreSQL, batched executemany elsewhere. Returns the count."""
    meta = model._meta
    fobjs = [meta.get_field(name) for name in fields]
    columns = [f.column for f in fobjs]
    count = 0
    if connection.vendor == "postgresql":
        from psycopg import sql

        connection.ensure_connection()
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns)))
        with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([json.dumps(v) if isinstance(v, dict) else v for v in row])
                count += 1
        return count
    # Only dates and JSON need the backend's adaptation; the rest go in as they are.
    adapt = [i for i, f in enumerate(fobjs)
             if isinstance(f, (models.DateTimeField, models.JSONField))]
    quote = connection.ops.quote_name
    statement = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(meta.db_table), ", ".join(map(quote, columns)), ", ".join(["%s"] * len(columns)))
    batch = []
    with connection.cursor() as cursor:
        for row in rows:
            row = list(row)
            for i in adapt:
                row[i] = fobjs[i].get_db_prep_save(row[i], connection)
            batch.append(row)
            if len(batch) >= BATCH:
                cursor.executemany(statement, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(statement, batch)
            count += len(batch)
    return count


def build_organisation(rng: random.Random):
    """Campuses, zones, units, buildings, places, categories, routing and users (bulk)."""
    campuses = Campus.objects.bulk_create(
        [Campus(code=code, name=name, sort_order=i) for i, (code, name, _w) in enumerate(CAMPUSES)])
    zones = Zone.objects.bulk_create(
        [Zone(campus=c, code=f"{c.code}-grid-{i}", name=f"{c.name}第{i}网格")
         for c in campuses for i in range(1, 6)])
    units = Unit.objects.bulk_create(
        [Unit(code=f"{kind}-{i}", name=f"{stem}{i:02d}" if count > 1 else stem, kind=kind)
         for kind, count, stem in UNIT_KINDS for i in range(1, count + 1)])
    owners = [u for u in units if u.kind != Unit.Kind.SECURITY_OFFICE]
    logistics = next(u for u in units if u.kind == Unit.Kind.LOGISTICS)
    campus_zones = defaultdict(list)
    for z in zones:
        campus_zones[z.campus_id].append(z)
    buildings = Building.objects.bulk_create(
        [Building(campus=c, zone=campus_zones[c.pk][i % 5], code=f"{c.code}-b{i:02d}",
                  name=f"{c.name[:1]}{i + 1}号楼", unit=owners[(ci * 25 + i) % len(owners)])
         for ci, c in enumerate(campuses) for i in range(25)])
    places = Place.objects.bulk_create(
        [Place(campus_id=b.campus_id, zone_id=b.zone_id, building=b, code=f"{b.code}-{r}",
               name=f"{r}室", kind=rng.choice(list(Place.Kind.values)),
               unit=rng.choice(owners) if rng.random() < 0.2 else None)
         for b in buildings for r in (101, 102, 201, 202, 301, 302, 401, 402, 501, 502)])
    categories = HazardCategory.objects.bulk_create(
        [HazardCategory(code=code, name=name, name_en=en, sort_order=i)
         for i, (code, name, en, _w, _t) in enumerate(CATEGORIES)])
    traffic = next(c for c in categories if c.code == "traffic")
    RoutingRule.objects.create(category=traffic, campus=None, unit=logistics)

    people: dict[str, list[User]] = defaultdict(list)
    specs = []  # (username, role, unit, zone, campus)
    specs += [(f"office_admin{i}", Role.OFFICE_ADMIN, None, None, None) for i in range(2)]
    specs += [(f"office_staff{i}", Role.OFFICE_STAFF, None, None, None) for i in range(10)]
    specs += [(f"guard_{c.code}{i}", Role.GUARD, None, None, c) for c in campuses for i in range(5)]
    specs += [(f"grid_{z.code}", Role.GRID_OFFICER, None, z, None) for z in zones]
    specs += [(f"contact_{u.code}", Role.UNIT_SAFETY_CONTACT, u, None, None) for u in units]
    specs += [(f"leader_{u.code}", Role.UNIT_LEADER, u, None, None) for u in units]
    specs += [(f"police{i}", Role.POLICE_LIAISON, None, None, None) for i in range(3)]
    specs += [(f"leadership{i}", Role.LEADERSHIP, None, None, None) for i in range(3)]
    specs += [(f"member{i:04d}", Role.COMMUNITY_MEMBER, None, None, None) for i in range(1000)]
    users = User.objects.bulk_create(
        [User(username=name, full_name=f"用户{name}", password="!", email=f"{name}@example.edu.cn")
         for name, *_rest in specs])
    User.objects.bulk_create(
        [User(username="bench_super", full_name="超级管理员", password="!", is_staff=True,
              is_superuser=True)])
    Membership.objects.bulk_create(
        [Membership(user=user, role=role, unit=unit, zone=zone, campus=campus)
         for user, (_n, role, unit, zone, campus) in zip(users, specs, strict=True)])
    contact_of = {}
    for user, (_n, role, unit, *_rest) in zip(users, specs, strict=True):
        people[role].append(user)
        if role == Role.UNIT_SAFETY_CONTACT:
            contact_of[unit.pk] = user
    return campuses, units, buildings, places, categories, logistics, traffic, people, contact_of


def generate(hazard_count: int, *, now: dt.datetime | None = None, log=print) -> dict:
    """Fill an empty, migrated database; returns counts and the seconds each step took."""
    rng = random.Random(SEED)
    now = (now or clock.now()).replace(microsecond=0)
    tz = clock.local_zone()
    timings = {}
    started = time.perf_counter()
    with transaction.atomic():
        (campuses, units, buildings, places, categories, logistics, traffic, people,
         contact_of) = build_organisation(rng)
    timings["organisation"] = time.perf_counter() - started

    t0 = time.perf_counter()
    campus_places = defaultdict(list)
    for p in places:
        campus_places[p.campus_id].append(p)
    campus_buildings = defaultdict(list)
    for b in buildings:
        campus_buildings[b.campus_id].append(b)
    building_by_id = {b.pk: b for b in buildings}
    campus_weights = [w for *_x, w in CAMPUSES]
    cat_weights = [c[3] for c in CATEGORIES]
    titles = {c.pk: spec[4] for c, spec in zip(categories, CATEGORIES, strict=True)}
    reporters = {
        Source.REPORT: people[Role.COMMUNITY_MEMBER], Source.INSPECTION: people[Role.OFFICE_STAFF],
        Source.OFFICE: people[Role.OFFICE_STAFF], Source.PATROL: people[Role.GUARD],
        Source.POLICE: people[Role.POLICE_LIAISON],
    }
    staff = people[Role.OFFICE_STAFF]

    # Report times: uniform over two years, at local day times; ids follow time.
    span_days = 730
    reported = []
    for _ in range(hazard_count):
        day = (now.astimezone(tz) - dt.timedelta(days=rng.randrange(span_days))).date()
        local = dt.datetime.combine(day, dt.time(7), tzinfo=tz) + dt.timedelta(
            seconds=rng.randrange(15 * 3600))
        at = local.astimezone(dt.UTC)
        if at >= now:
            at = now - dt.timedelta(seconds=rng.randrange(60, 6 * 3600))
        reported.append(at)
    reported.sort()

    def step(at: dt.datetime, delta: dt.timedelta) -> dt.datetime:
        """``at + delta``, or halfway to ``now`` if that would be in the future."""
        later = at + delta
        return later if later < now - dt.timedelta(minutes=1) else at + (now - at) / 2

    hazards = []  # dicts, index i ↔ id i + 1
    for i, at in enumerate(reported):
        pk = i + 1
        campus = campuses[rng.choices(range(len(campuses)), weights=campus_weights)[0]]
        if rng.random() < 0.95:
            place = rng.choice(campus_places[campus.pk])
            building = building_by_id[place.building_id]
        else:
            place, building = None, rng.choice(campus_buildings[campus.pk])
        category = categories[rng.choices(range(len(categories)), weights=cat_weights)[0]]
        if category.pk == traffic.pk:
            unit_id = logistics.pk
        else:
            unit_id = (place.unit_id if place and place.unit_id else None) or building.unit_id
        source = _pick(rng, SOURCES)
        reporter = rng.choice(reporters[source])
        age = (now - at).days
        p_open = 0.6 if age < 14 else 0.25 if age < 60 else 0.03
        u = rng.random()
        if u < 0.03:
            status = Status.REJECTED
        elif u < 0.05 and pk > 50:
            status = Status.DUPLICATE
        elif rng.random() < p_open:
            status = _pick(rng, OPEN_RECENT if age < 60 else OPEN_STUCK)
        elif source != Source.REPORT and rng.random() < 0.2:
            status = Status.FIXED_ON_SPOT
        else:
            status = Status.CLOSED
        title = rng.choice(titles[category.pk])
        where = f"{building.name}{place.name}" if place else building.name
        h = {
            "id": pk, "title": title, "description": f"{where}发现{title}，请责任单位及时整改。",
            "category_id": category.pk, "grade": Grade.MAJOR if rng.random() < 0.02 else Grade.GENERAL,
            "status": status, "campus_id": campus.pk,
            "zone_id": place.zone_id if place else building.zone_id, "building_id": building.pk,
            "place_id": place.pk if place else None,
            "location_text": "" if place else rng.choice(["东侧出入口", "北面停车场", "一楼走廊"]),
            "source": source, "responsible_unit_id": unit_id, "reporter_id": reporter.pk,
            "is_anonymous": source == Source.REPORT and rng.random() < 0.08,
            "reported_at": at, "confirmed_at": None, "closed_at": None, "deadline": None,
            "closed_on_time": None, "current_notice_id": None, "is_overdue": False,
            "escalation_level": 0, "duplicate_of_id": None, "resolution_comment": "",
            "version": 1, "last_at": at,
        }
        if status == Status.DUPLICATE:
            h["duplicate_of_id"] = max(1, pk - rng.randrange(1, 50))
            h["last_at"] = step(at, dt.timedelta(hours=rng.uniform(0.5, 24)))
            h["version"] = 2
        elif status == Status.REJECTED:
            h["resolution_comment"] = "经核实不属于安全隐患。"
            h["last_at"] = step(at, dt.timedelta(hours=rng.uniform(0.5, 24)))
            h["version"] = 2
        elif status != Status.REPORTED:
            h["confirmed_at"] = step(at, dt.timedelta(hours=rng.uniform(0.2, 36)))
            h["last_at"] = h["confirmed_at"]
            h["version"] = 2
            if status == Status.FIXED_ON_SPOT:
                h["closed_at"] = step(h["confirmed_at"], dt.timedelta(hours=rng.uniform(0.1, 2)))
                h["closed_on_time"] = True
                h["last_at"] = h["closed_at"]
                h["version"] = 3
            elif status in NOTICE_STATES:
                h["issue_at"] = step(h["confirmed_at"], dt.timedelta(hours=rng.uniform(1, 48)))
        hazards.append(h)
    timings["hazards built"] = time.perf_counter() - t0

    # Notices: one per unit, local issue day and phase (unacknowledged or not).
    t0 = time.perf_counter()
    groups = defaultdict(list)
    for h in hazards:
        if "issue_at" in h:
            key = (h["responsible_unit_id"], h["issue_at"].astimezone(tz).date(),
                   h["status"] == Status.NOTICE_ISSUED)
            groups[key].append(h)
    number_format = settings.SAFECAMPUS["NOTICE_NUMBER_FORMAT"]
    notices, items = [], []
    sequences: dict[int, int] = defaultdict(int)
    for key in sorted(groups, key=lambda k: max(h["issue_at"] for h in groups[k])):
        members = groups[key]
        unit_id, day, unacknowledged = key
        issued_at = max(h["issue_at"] for h in members)
        major = any(h["grade"] == Grade.MAJOR for h in members)
        days = 30 if major else 7
        deadline = clock.end_of_local_day(day + dt.timedelta(days=days))
        year = issued_at.astimezone(tz).year
        sequences[year] += 1
        notice_id = len(notices) + 1
        if unacknowledged:
            state, acknowledged_at = RectificationNotice.State.ISSUED, None
        else:
            acknowledged_at = step(issued_at, dt.timedelta(hours=rng.uniform(1, 30)))
            state = (RectificationNotice.State.COMPLETED
                     if all(h["status"] == Status.CLOSED for h in members)
                     else RectificationNotice.State.ACKNOWLEDGED)
        issuer = rng.choice(staff)
        contact = contact_of[unit_id]
        notices.append((
            notice_id, number_format.format(year=year, seq=sequences[year]), year,
            sequences[year], unit_id, state, "请于期限内完成整改并上传整改佐证。", days,
            DeadlineBasis.CALENDAR_DAYS, deadline, issuer.pk, issued_at,
            contact.pk if acknowledged_at else None, acknowledged_at, issued_at,
            acknowledged_at or issued_at,
        ))
        for position, h in enumerate(members, start=1):
            items.append((len(items) + 1, notice_id, h["id"], position, None, issued_at, issued_at))
            h["current_notice_id"] = notice_id
            h["deadline"] = deadline
            h["last_at"] = acknowledged_at or issued_at
            h["version"] = 4 if unacknowledged else 5
            status = h["status"]
            if status in (Status.RECTIFYING, Status.EVIDENCE_SUBMITTED, Status.RETURNED,
                          Status.CLOSED):
                span = deadline - issued_at
                done = step(h["last_at"], span * rng.uniform(0.05, 1.3))
                h["last_at"] = done
                h["version"] = 7
                if status == Status.CLOSED:
                    h["closed_at"] = done
                    h["closed_on_time"] = done <= deadline
                    h["version"] = 8
            if status in UNIT_STATES and deadline < now:
                h["is_overdue"] = True
                late = (now - deadline).days
                h["escalation_level"] = 2 if late >= 3 else 1 if late >= 1 else 0
    timings["notices built"] = time.perf_counter() - t0

    hazard_fields = [
        "id", "title", "description", "category_id", "grade", "status", "campus_id", "zone_id",
        "building_id", "place_id", "location_text", "source", "responsible_unit_id",
        "reporter_id", "is_anonymous", "reported_at", "confirmed_at", "closed_at", "deadline",
        "closed_on_time", "current_notice_id", "is_overdue", "escalation_level",
        "duplicate_of_id", "resolution_comment", "version",
    ]
    notice_fields = [
        "id", "number", "year", "sequence", "unit_id", "state", "requirements", "deadline_days",
        "deadline_basis", "deadline", "issued_by_id", "issued_at", "acknowledged_by_id",
        "acknowledged_at", "created_at", "updated_at",
    ]
    item_fields = ["id", "notice_id", "hazard_id", "position", "cancelled_at", "created_at",
                   "updated_at"]
    hazard_type = ContentType.objects.get_for_model(Hazard)

    def hazard_rows():
        for h in hazards:
            yield (*(h[f] for f in hazard_fields), None, None, None, None, "", h["reported_at"],
                   h["last_at"])

    def activity_rows():
        pk = 0
        for h in hazards:
            pk += 1
            yield (pk, hazard_type.pk, h["id"], h["reporter_id"], "hazards.report", "",
                   Status.REPORTED, "", {}, h["reported_at"])
            if h["status"] != Status.REPORTED:
                pk += 1
                yield (pk, hazard_type.pk, h["id"], rng.choice(staff).pk,
                       LAST_VERB[h["status"]], "", h["status"], "", {}, h["last_at"])

    t0 = time.perf_counter()
    with transaction.atomic():
        # Hazards and notices point at each other: notices first (their unit FK only),
        # then hazards, then items. Constraints are checked at commit on PostgreSQL.
        n_notices = insert_rows(RectificationNotice, notice_fields, notices)
        n_hazards = insert_rows(
            Hazard, hazard_fields + ["map_x", "map_y", "source_type", "source_id",
                                     "external_ref", "created_at", "updated_at"], hazard_rows())
        n_items = insert_rows(NoticeItem, item_fields, items)
        n_activity = insert_rows(
            ActivityEntry, ["id", "target_type", "target_id", "actor", "verb", "from_state",
                            "to_state", "comment", "data", "occurred_at"], activity_rows())
        NoticeSequence.objects.bulk_create(
            [NoticeSequence(year=y, last_number=n) for y, n in sorted(sequences.items())])
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(
                        no_style(), [Hazard, RectificationNotice, NoticeItem, ActivityEntry]):
                    cursor.execute(statement)
    timings["rows written"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    analyze()
    timings["analyze"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started
    return {"hazards": n_hazards, "notices": n_notices, "notice_items": n_items,
            "activity_entries": n_activity, "generated_at": now.isoformat(), "seconds": timings}


def analyze() -> None:
    """Refresh the planner's statistics (and, on PostgreSQL, the visibility map)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
