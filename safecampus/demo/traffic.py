"""The demo's traffic office (交通管理), replayed through the real traffic services.

Timed events for the loader's replay (like :mod:`.patrols`), each run inside
:func:`clock.frozen` at its own time:

- **Setup** (:data:`SETUP_DAYS` days back): the two default repeat-offender rules; about 40
  vehicles registered by the office on the four campuses (陕A plates, some 8-character
  new-energy plates, a few e-bikes with only a campus tag), owned by staff and students (ten
  of them with demo accounts, so notices reach an inbox), contractors and visitors (phone
  numbers only); long-term permits for the school year, some expired and not renewed.
- **Violations** (about 80 over the last three months): recorded by the campus guards at
  demo places (fire lanes at gates and dormitories, entrances, no-parking zones, pavements)
  with a photo; the service sends the first move-car notice to a registered vehicle's owner
  (in-app with an account, else the guard phones). Some owners are reminded again after the
  re-send interval; most vehicles are moved, some towed, a few violations voided as
  recorded by mistake, the newest still open.
- **The story**: ``teacher2``'s car reaches 3 violations in 90 days (warning letter),
  ``teacher3``'s reaches 5 (permit suspended; an appeal of the second was refused on the
  way), ``teacher4`` has an appeal pending, ``teacher1`` (the featured vehicle owner) has a
  move-car notice about a violation it can still appeal; one contractor has a temporary
  permit.
"""

import datetime as dt
import io
import random
from functools import partial

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F, OuterRef, Subquery
from PIL import Image, ImageDraw

from safecampus.accounts.models import User
from safecampus.core import clock
from safecampus.notifications.models import Delivery, Notification
from safecampus.organisation.models import Place
from safecampus.traffic.models import (
    Appeal,
    MoveCarNotice,
    OffenderAction,
    OffenderRule,
    Permit,
    Vehicle,
    Violation,
    ViolationKind,
    ViolationPhoto,
)
from safecampus.traffic.plates import LETTERS
from safecampus.traffic.services import vehicles as vehicle_services
from safecampus.traffic.services import violations as violation_services

from . import data

MINUTE = dt.timedelta(minutes=1)
SETUP_DAYS = 95
#: How long before recording the guard saw the vehicle (photo, then the form).
SEEN_BEFORE = 3 * MINUTE
VIOLATIONS = 80
GUARDS = {"xingqing": ["guard_xq1", "guard_xq2", "shift_leader"],
          "chuangxin": ["guard_cx1", "guard_cx2"], "yanta": ["guard_yt1"],
          "qujiang": ["guard_qj1"]}
TAG_PREFIX = {"xingqing": "XQ", "chuangxin": "CX", "yanta": "YT", "qujiang": "QJ"}
CAMPUS_WEIGHTS = {"xingqing": 45, "chuangxin": 30, "yanta": 12, "qujiang": 13}

F_, E_, N_, P_ = (ViolationKind.FIRE_LANE, ViolationKind.ENTRANCE, ViolationKind.NO_PARKING,
                  ViolationKind.PAVEMENT)
# campus → [(place code, kind, location)]
SPOTS = {
    "xingqing": [
        ("xq-gate-n", F_, "北门内侧消防通道"), ("xq-gate-n", E_, "北门车行道入口"),
        ("xq-gate-e", E_, "东门出口闸机前"), ("xq-d1-bike", F_, "东区1号学生公寓楼前消防通道"),
        ("xq-d2-2f", F_, "东区2号学生公寓楼门前消防通道"),
        ("xq-canteen-kitchen", E_, "康乐餐厅后门卸货通道"),
        ("xq-clinic-lobby", F_, "门诊楼前急救车通道"), ("xq-park-n", N_, "停车场出口黄色禁停网格"),
        ("xq-park-lib", E_, "地下停车场入口坡道"), ("xq-road-wt", N_, "梧桐大道禁停黄线"),
        ("xq-road-ew", P_, "东西主干道南侧人行道"), ("xq-main-hall", F_, "主楼南侧消防登高面"),
    ],
    "chuangxin": [
        ("cx-gate-s", F_, "南门内侧消防通道"), ("cx-gate-s", E_, "南门车行道入口"),
        ("cx-dh-bike", F_, "弘毅书院楼前消防通道"), ("cx-dd-3f", F_, "笃行书院楼门前消防通道"),
        ("cx-charge", N_, "新能源专用充电车位（燃油车占用）"), ("cx-road-main", N_, "创新港大道禁停路段"),
        ("cx-park-ug", E_, "地下停车场出口"), ("cx-canteen-kitchen", E_, "学生餐厅后厨卸货区"),
    ],
    "yanta": [
        ("yt-gate-w", F_, "西门内侧消防通道"), ("yt-park", N_, "停车场通道"),
        ("yt-road", P_, "校内主路人行道"), ("yt-dorm-2f", F_, "学生公寓楼前消防通道"),
    ],
    "qujiang": [
        ("qj-gate", E_, "正门车行道"), ("qj-road", N_, "校园环路禁停路段"),
        ("qj-dorm-5f", F_, "学生公寓楼前消防通道"), ("qj-gym-arena", F_, "体育馆东侧消防通道"),
    ],
}
SEEN_NOTES = ["", "", "", "车内无人，未开双闪。", "已在车窗张贴违停告知单。", "车主电话未接通。",
              "占用时间较长，影响消防车通行。"]
MOVED_NOTES = ["车主已到场挪车。", "车主接到通知后已将车辆挪走。", "车辆已驶离。", "车主到场，已批评教育。"]
TOWED_NOTES = ["联系不上车主，经值班领导同意拖移至北门停车场。", "堵塞消防通道且车主未到场，已通知拖车拖离。"]
VOID_REASONS = ["车牌录入错误（将8误录为B），该记录作废。",
                "该车当时停在临时装卸点并已报备，登记有误，予以撤销。",
                "重复登记：同一车辆同一时间已有违停记录。"]
MAKES_CAR = ["大众朗逸", "丰田卡罗拉", "本田雅阁", "日产轩逸", "吉利帝豪", "长安CS75", "哈弗H6",
             "别克英朗", "奥迪A4L", "马自达阿特兹"]
MAKES_NEV = ["比亚迪秦PLUS", "特斯拉Model 3", "比亚迪海豚", "理想L7", "小鹏P7", "五菱宏光MINIEV"]
MAKES_VAN = ["五菱宏光", "福特全顺", "江铃特顺", "金杯海狮"]
MAKES_EBIKE = ["雅迪", "爱玛", "小牛", "台铃"]
COLOURS = ["白色", "黑色", "银色", "灰色", "蓝色", "红色"]

# Demo accounts with a vehicle: (username, owner kind, vehicle kind, plate kind, home campus).
OWNERS_WITH_ACCOUNTS = [
    ("teacher1", "staff", "car", "ordinary", "xingqing"),
    ("teacher2", "staff", "car", "ordinary", "xingqing"),
    ("teacher3", "staff", "car", "new_energy", "xingqing"),
    ("teacher4", "staff", "car", "ordinary", "xingqing"),
    ("chem_leader", "staff", "car", "ordinary", "xingqing"),
    ("elec_contact", "staff", "car", "new_energy", "xingqing"),
    ("life_contact", "staff", "car", "ordinary", "chuangxin"),
    ("student3", "student", "car", "new_energy", "chuangxin"),
    ("student5", "student", "ebike", "", "xingqing"),
    ("student8", "student", "ebike", "", "chuangxin"),
]
# Vehicles of people without accounts: (owner kind, vehicle kind, plate kind, how many).
OTHERS = [("staff", "car", "ordinary", 9), ("staff", "car", "new_energy", 4),
          ("student", "car", "ordinary", 2), ("student", "ebike", "", 3),
          ("contractor", "car", "van", 6), ("visitor", "car", "ordinary", 4),
          ("visitor", "car", "new_energy", 2)]
EXPIRED_ONLY = 3  # staff vehicles whose permit ran out last summer and was not renewed
# The story: username → violations (days ago, hour, campus spot index or None).
STORY = {
    "teacher1": [(23, 8), (0, 8)],
    "teacher2": [(71, 9), (38, 17), (9, 8)],
    "teacher3": [(83, 8), (64, 12), (47, 18), (29, 8), (12, 9)],
    "teacher4": [(52, 14), (6, 10)],
}
APPEAL_REFUSED = ("teacher3", 1, "我停在白线车位内，并未占用消防通道，请核实。",
                  "现场照片显示车辆停在消防通道黄色网格线内，申诉不成立，违停记录维持。")
APPEAL_PENDING = ("teacher4", 1, "当时送孩子到校医院门诊就医，临时停车不到10分钟，车内有人，"
                  "并非无人违停。")
#: Owners who get the office's reminders again after the interval (the first stories).
RESEND_SHARE = 0.15


def _local(day: dt.date, at: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=clock.local_zone())


def car_photo(rng: random.Random, *, green_plate: bool, name: str) -> SimpleUploadedFile:
    """A 320×240 JPEG: a car from behind on a road with yellow no-parking lines, its plate
    blue (ordinary) or green (new energy)."""
    image = Image.new("RGB", (320, 240), (150, 155, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 320, 90], fill=(rng.randint(170, 210), 200, 215))  # wall or sky
    for x in range(-40, 320, 36):  # yellow grid of the fire lane
        draw.line([(x, 240), (x + 60, 120)], fill=(235, 200, 30), width=5)
    body = tuple(rng.randint(20, 230) for _ in range(3))
    x0 = rng.randint(60, 100)
    draw.rounded_rectangle([x0, 70, x0 + 160, 140], radius=18, fill=body, outline=(30, 30, 30))
    draw.rectangle([x0 - 10, 120, x0 + 170, 200], fill=body, outline=(30, 30, 30))
    draw.rectangle([x0 + 20, 85, x0 + 140, 120], fill=(60, 70, 85))  # rear window
    draw.ellipse([x0 - 5, 190, x0 + 35, 225], fill=(25, 25, 25))
    draw.ellipse([x0 + 125, 190, x0 + 165, 225], fill=(25, 25, 25))
    plate = (60, 170, 90) if green_plate else (30, 70, 170)
    draw.rectangle([x0 + 50, 160, x0 + 110, 178], fill=plate, outline=(240, 240, 240), width=2)
    for i in range(6):
        draw.rectangle([x0 + 56 + 8 * i, 164, x0 + 60 + 8 * i, 174], fill=(245, 245, 245))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=78)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


class TrafficDemo:
    """Builds the demo's vehicles, permits and violations as timed events (module text)."""

    def __init__(self, rng: random.Random, world, now: dt.datetime):
        self.rng, self.world, self.now = rng, world, now
        self.today = now.astimezone(clock.local_zone()).date()
        self.setup_at = _local(self.today - dt.timedelta(days=SETUP_DAYS), dt.time(9, 0))
        self.plates: set[str] = set()
        self.vehicles: list[dict] = []  # planned vehicles (the plate, owner, home campus …)
        self.by_owner: dict[str, dict] = {}
        self.violation_of: dict[tuple[str, int], int] = {}  # (username, n) → violation id
        self.users: dict[str, User] = {}
        self.stamps: list[tuple[type, int, dt.datetime]] = []
        self.counts = {"vehicles": 0, "permits": 0, "violations": 0, "notices": 0,
                       "appeals": 0, "offender_actions": 0}

    # --- the plan ----------------------------------------------------------------------------
    def plate(self, kind: str) -> str:
        rng = self.rng
        while True:
            office = "A" if rng.random() < 0.85 else rng.choice("DU")  # 西安, 咸阳, 西安新
            if kind == "new_energy":
                tail = (rng.choice("DF") + rng.choice(LETTERS + "0123456789")
                        + "".join(rng.choice("0123456789") for _ in range(4)))
            else:
                chars = [rng.choice("0123456789") for _ in range(5)]
                for index in rng.sample(range(5), rng.choice([0, 1, 1, 2])):
                    chars[index] = rng.choice(LETTERS)
                tail = "".join(chars)
            number = f"陕{office}{tail}"
            if number not in self.plates:
                self.plates.add(number)
                return number

    def stranger(self) -> str:
        """A plate of an unregistered vehicle (delivery vans, taxis, visitors' cars)."""
        rng = self.rng
        if rng.random() < 0.25:
            while True:
                number = rng.choice(["豫A", "甘A", "京Q", "川A", "晋A"]) + "".join(
                    rng.choice("0123456789" + LETTERS[:8]) for _ in range(5))
                if number not in self.plates:
                    self.plates.add(number)
                    return number
        return self.plate("new_energy" if rng.random() < 0.25 else "ordinary")

    def plan_vehicles(self) -> None:
        rng = self.rng
        names = iter(rng.sample([s + g for s in data.SURNAMES[:40] for g in data.GIVEN], 60))
        tags = iter(range(rng.randint(100, 300), 10_000, 37))
        campuses = [c for c, w in CAMPUS_WEIGHTS.items() for _ in range(w)]

        def plan(owner_kind, kind, plate_kind, campus, username=""):
            vehicle = {"username": username, "owner_kind": owner_kind, "kind": kind,
                       "campus": campus, "name": "" if username else next(names)}
            if kind == "ebike":
                vehicle.update(plate="", kind=Vehicle.Kind.EBIKE, make=rng.choice(MAKES_EBIKE),
                               tag=f"{TAG_PREFIX[campus]}-E-{next(tags):04d}")
            else:
                vehicle.update(plate=self.plate("new_energy" if plate_kind == "new_energy"
                                                else "ordinary"), tag="",
                               make=rng.choice({"new_energy": MAKES_NEV, "van": MAKES_VAN}.get(
                                   plate_kind, MAKES_CAR)))
            vehicle["colour"] = rng.choice(COLOURS)
            self.vehicles.append(vehicle)
            if username:
                self.by_owner[username] = vehicle

        for username, owner_kind, kind, plate_kind, campus in OWNERS_WITH_ACCOUNTS:
            plan(owner_kind, kind, plate_kind, campus, username)
        for owner_kind, kind, plate_kind, count in OTHERS:
            for _ in range(count):
                plan(owner_kind, kind, plate_kind, rng.choice(campuses))

    def events(self) -> list[tuple[dt.datetime, object]]:
        """``(when, callable)`` pairs for the loader's replay (all before now)."""
        rng = self.rng
        self.plan_vehicles()
        events: list = [(self.setup_at, self.setup)]
        temporary = self.at(rng.randint(8, 14), 9, 30)
        events.append((temporary, self.temporary_permit))
        # the story
        for username, visits in STORY.items():
            vehicle = self.by_owner[username]
            for n, (days_ago, hour) in enumerate(visits):
                when = self.at(days_ago, hour)
                last = n == len(visits) - 1
                outcome = "open" if username == "teacher1" and last else "moved"
                events.append((when, partial(self.violation, vehicle["plate"], vehicle["campus"],
                                             outcome=outcome, key=(username, n),
                                             resend=username == "teacher1")))
        who, n, reason, decision = APPEAL_REFUSED
        appealed = self.at(STORY[who][n][0] - 1, 20, 15)
        events.append((appealed, partial(self.appeal, who, n, reason)))
        events.append((self.at(STORY[who][n][0] - 3, 10, 5),
                       partial(self.decide, who, n, decision)))
        who, n, reason = APPEAL_PENDING
        events.append((self.at(STORY[who][n][0] - 1, 19, 40), partial(self.appeal, who, n,
                                                                       reason)))
        # the rest: other registered vehicles (at most two each, so no rule fires) and strangers
        story = set(STORY)
        others = [v for v in self.vehicles if v["plate"] and v["username"] not in story]
        filler = VIOLATIONS - sum(len(v) for v in STORY.values())
        plates = ([(v["plate"], v["campus"]) for v in others]
                  + [(v["plate"], v["campus"]) for v in rng.sample(others, len(others) // 2)])
        rng.shuffle(plates)
        plates = plates[:int(filler * 0.7)]
        campuses = [c for c, w in CAMPUS_WEIGHTS.items() for _ in range(w)]
        plates += [(self.stranger(), rng.choice(campuses)) for _ in range(filler - len(plates))]
        voids = set(rng.sample(range(len(plates)), 3))
        for index, (plate, campus) in enumerate(plates):
            days_ago = rng.uniform(0, 89) if index % 12 else rng.uniform(0, 1.5)
            hour = rng.choices(range(7, 22), [5, 9, 6, 4, 4, 7, 4, 3, 4, 5, 8, 9, 6, 3, 2])[0]
            registered = any(plate == v["plate"] for v in others)
            if index in voids:
                outcome = "void"
            elif rng.random() < (0.07 if registered else 0.3):
                outcome = "towed"
            else:
                outcome = "moved"
            level = (Violation.Level.WARNING if rng.random() < 0.1
                     else Violation.Level.VIOLATION)
            events.append((self.at(days_ago, hour), partial(
                self.violation, plate, campus, outcome=outcome, level=level,
                resend=registered and rng.random() < RESEND_SHARE)))
        return [(when, action) for when, action in events if when < self.now]

    def at(self, days_ago: float, hour: int, minute: int | None = None) -> dt.datetime:
        day = self.today - dt.timedelta(days=int(days_ago))
        minute = self.rng.randint(0, 59) if minute is None else minute
        return min(_local(day, dt.time(hour, minute)), self.now - 2 * MINUTE)

    # --- the events --------------------------------------------------------------------------
    def user(self, username: str) -> User:
        if username not in self.users:
            self.users[username] = User.objects.get(username=username)
        return self.users[username]

    def setup(self) -> None:
        """The rules, the vehicles and their permits, as the office registered them."""
        rng = self.rng
        violation_services.offender_rules_default_create()
        office = self.user("inspector2")
        units = [u for code, u in self.world.units.items()
                 if code not in ("security", "property", "elevator", "construct")]
        contractors = [self.world.units[c] for c in ("property", "elevator", "construct")]
        year = self.today.year if self.today.month >= 9 else self.today.year - 1
        this_year = (dt.date(year, 9, 1), dt.date(year + 1, 8, 31))
        last_year = (dt.date(year - 1, 9, 1), dt.date(year, 8, 31))
        expired_only = EXPIRED_ONLY
        for plan in self.vehicles:
            owner = self.user(plan["username"]) if plan["username"] else None
            unit = None
            if plan["owner_kind"] == "contractor":
                unit = rng.choice(contractors)
            elif plan["owner_kind"] == "staff":
                membership = owner.memberships.filter(unit__isnull=False).first() if owner else None
                unit = membership.unit if membership else rng.choice(units)
            phone = (owner.phone if owner and owner.phone else
                     f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10**7, 10**8 - 1)}")
            vehicle = vehicle_services.vehicle_register(
                actor=office, plate=plan["plate"], tag_number=plan["tag"], kind=plan["kind"],
                make=plan["make"], colour=plan["colour"], owner_id=owner.pk if owner else None,
                owner_name=owner.full_name if owner else plan["name"],
                owner_kind=plan["owner_kind"], owner_phone=phone,
                unit_id=unit.pk if unit else None)
            plan["id"] = vehicle.pk
            self.counts["vehicles"] += 1
            periods = []
            if plan["owner_kind"] in ("staff", "student", "contractor"):
                if not plan["username"] and plan["owner_kind"] == "staff" and expired_only:
                    expired_only -= 1
                    periods = [last_year]  # ran out last summer, not renewed
                elif rng.random() < 0.3:
                    periods = [last_year, this_year]
                else:
                    periods = [this_year]
            for start, end in periods:
                # A permit whose last day is past is refused: last year's was issued then.
                issued_at = (self.setup_at if end >= self.setup_at.astimezone(
                    clock.local_zone()).date() else _local(start, dt.time(9, 0)))
                with clock.frozen(issued_at):
                    vehicle_services.permit_issue(
                        actor=office, vehicle_id=vehicle.pk, valid_from=start, valid_until=end,
                        note="驻校单位车辆" if plan["owner_kind"] == "contractor" else "")
                self.counts["permits"] += 1

    def temporary_permit(self) -> None:
        """A construction firm's lorry gets a temporary permit for the works."""
        vehicle = vehicle_services.vehicle_register(
            actor=self.user("inspector2"), plate=self.plate("ordinary"), make="陕汽德龙",
            colour="黄色", owner_name="创新港三期工程项目部", owner_kind="contractor",
            owner_phone="029-8000-5120", unit_id=self.world.units["construct"].pk)
        self.counts["vehicles"] += 1
        start = clock.now().astimezone(clock.local_zone()).date()
        permit = vehicle_services.permit_issue(
            actor=self.user("inspector2"), vehicle_id=vehicle.pk, valid_from=start,
            valid_until=start + dt.timedelta(days=30), kind=Permit.Kind.TEMPORARY,
            note="三期工程施工车辆，限南门进出")
        self.counts["permits"] += 1
        self.stamps += [(Vehicle, vehicle.pk, clock.now()), (Permit, permit.pk, clock.now())]

    def violation(self, plate: str, campus: str, *, outcome: str, resend: bool = False,
                  level: str = Violation.Level.VIOLATION, key=None) -> None:
        """A guard records a violation now; the owner is reminded, then it is closed."""
        rng = self.rng
        guard = self.user(rng.choice(GUARDS[campus]))
        code, kind, location = rng.choice(SPOTS[campus])
        place = Place.objects.filter(code=code).only("pk").first()
        recorded = clock.now()
        record = violation_services.violation_record(
            actor=guard, plate=plate, kind=kind, level=level,
            campus_id=self.world.campuses[campus].pk, place_id=place.pk if place else None,
            location_text=location, observed_at=recorded - SEEN_BEFORE,
            note=rng.choice(SEEN_NOTES),
            photos=[car_photo(rng, green_plate=len(plate) == 8, name=f"{i}.jpg")
                    for i in range(rng.choice([1, 1, 2]))])
        self.counts["violations"] += 1
        if key is not None:
            self.violation_of[key] = record.pk
        if record.vehicle_id and record.level == Violation.Level.VIOLATION:
            # The rules run when the recording commits; the replay commits once a day.
            self.counts["offender_actions"] += len(
                violation_services.offender_rules_apply(vehicle_id=record.vehicle_id))
        moment = recorded
        if resend and record.vehicle_id:
            moment += dt.timedelta(minutes=rng.randint(12, 20))
            if moment >= self.now:
                return
            with clock.frozen(moment):
                violation_services.move_car_notice_send(actor=guard, violation_id=record.pk)
        if outcome == "open":
            return
        moment += dt.timedelta(minutes=rng.randint(8, 40) if outcome != "towed" else
                               rng.randint(40, 90))
        if moment >= self.now:
            return
        with clock.frozen(moment):
            if outcome == "void":
                violation_services.violation_void(
                    actor=self.user("inspector1"), violation_id=record.pk,
                    reason=rng.choice(VOID_REASONS))
            else:
                violation_services.violation_close(
                    actor=guard, violation_id=record.pk, outcome=outcome,
                    note=rng.choice(MOVED_NOTES if outcome == "moved" else TOWED_NOTES))

    def appeal(self, username: str, n: int, reason: str) -> None:
        appeal = violation_services.appeal_submit(
            actor=self.user(username), violation_id=self.violation_of[(username, n)],
            reason=reason)
        self.counts["appeals"] += 1
        self.stamps.append((Appeal, appeal.pk, clock.now()))

    def decide(self, username: str, n: int, decision: str) -> None:
        appeal = Appeal.objects.get(violation_id=self.violation_of[(username, n)])
        violation_services.appeal_decide(actor=self.user("office_head"), appeal_id=appeal.pk,
                                         grant=False, note=decision)

    # --- afterwards ----------------------------------------------------------------------------
    def backdate(self) -> None:
        """``created_at`` of the replayed records and the time of their notifications: when
        they happened in the replay (the database clock and the daily commit do not know)."""
        self.counts["notices"] = MoveCarNotice.objects.count()
        self.counts["offender_actions"] = OffenderAction.objects.count()
        Vehicle.objects.update(created_at=self.setup_at)
        Permit.objects.update(created_at=self.setup_at)
        OffenderRule.objects.update(created_at=self.setup_at)
        for model, pk, at in self.stamps:
            model.objects.filter(pk=pk).update(created_at=at)
        Violation.objects.update(created_at=F("observed_at") + SEEN_BEFORE)
        ViolationPhoto.objects.update(created_at=Subquery(Violation.objects.filter(
            pk=OuterRef("violation_id")).values("created_at")[:1]))
        MoveCarNotice.objects.update(created_at=F("sent_at"))
        OffenderAction.objects.update(created_at=F("applied_at"))
        sent = {f"traffic:notice:{v}:{s}": at for v, s, at in
                MoveCarNotice.objects.values_list("violation_id", "sequence", "sent_at")}
        sent.update({f"traffic:offender:{pk}": at for pk, at in
                     OffenderAction.objects.values_list("pk", "applied_at")})
        for pk, created, decided in Appeal.objects.values_list("pk", "created_at",
                                                                 "decided_at"):
            sent[f"traffic:appeal:{pk}"] = created
            if decided:
                sent[f"traffic:appeal:{pk}:decided"] = decided
        notes, deliveries = [], []
        for note in (Notification.objects.filter(verb__startswith="traffic.")
                     .prefetch_related("deliveries")):
            at = sent.get(note.dedupe_key)
            if at is None:
                continue
            note.created_at = at
            notes.append(note)
            for delivery in note.deliveries.all():
                if delivery.sent_at is not None:
                    delivery.sent_at = at
                    deliveries.append(delivery)
        Notification.objects.bulk_update(notes, ["created_at"])
        Delivery.objects.bulk_update(deliveries, ["sent_at"])
