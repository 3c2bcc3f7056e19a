"""The demo's patrols, grids and duty room, replayed through the real services.

Timed events for the loader's replay (like :mod:`.inspections`), each run inside
:func:`clock.frozen` at its own time:

- **Patrols**: four routes (three on 兴庆校区, one on 创新港校区) with checkpoints at demo
  places, positioned in WGS-84 around each campus's centre from the places' map positions;
  night schedules (22:00–06:00, four rounds, 30-minute windows) and a day traffic schedule
  (06:00–22:00) with the demo guards and a shift leader. The last 14 nights (and days) are
  walked scan by scan through ``patrolling.scan_record``: a few checkpoints and whole rounds
  are missed, some scans are late, one scan is far from its checkpoint (flagged), one round
  ends early with a reason, one round is uploaded from the phone's offline queue. The
  sweep runs :data:`SWEEP_AFTER` after each round's window closes (as the scheduled task,
  every few minutes, would find it), and once more now, so tonight's shift is planned and
  each missed round alerted the shift leader minutes after it closed.
- **Grids**: a grid head per campus, a second officer in one grid, phone numbers, about 30
  grid visits in the last four weeks (some needing follow-up, three reporting a hazard);
  the grids of 曲江校区 get no visits, so their officers show as idle on the dashboard.
- **Duty room**: two shifts a day for the last five days with handovers (open entries carried
  over), about 40 log entries, four turned into incidents and one into a hazard.
- **Incidents**: about 150 over the last year, with Chinese types, places by kind, hours and
  dispositions, for the incident statistics page.
"""

import datetime as dt
import random
import uuid
from functools import partial

from django.db.models import F

from safecampus.accounts.models import Membership, Role, User
from safecampus.core import clock
from safecampus.hazards.models import HazardCategory
from safecampus.notifications.models import Delivery, Notification
from safecampus.organisation.models import Campus, Place
from safecampus.patrols.models import (
    CheckpointScan,
    DutyLogEntry,
    GridVisit,
    Incident,
    PatrolRound,
    PatrolSchedule,
)
from safecampus.patrols.services import duty, grids, patrolling, setup

DAY = dt.timedelta(days=1)
MINUTE = dt.timedelta(minutes=1)
NIGHTS = 14
#: When the replayed sweep runs after a window closes (the task runs every 5 minutes).
SWEEP_AFTER = 4 * MINUTE
#: Campus centres (WGS-84) and metres per percent of the campus map.
CENTRES = {"xingqing": (34.246700, 108.983600), "chuangxin": (34.384000, 108.738000)}
DEG_LAT_PER_PCT, DEG_LON_PER_PCT = 0.000110, 0.000130

# (code, campus, zone, name, description, checkpoint place codes in order)
ROUTES = [
    ("xq-night-teach", "xingqing", "xq-teaching", "兴庆教学区夜间巡逻",
     "教学楼、实验室和危化品库房的夜间巡查：门窗、水电、可疑人员。",
     ["xq-gate-n", "xq-chem-b1", "xq-chem-201", "xq-mech-shop", "xq-elec-hv",
      "xq-energy-boiler", "xq-square"]),
    ("xq-night-living", "xingqing", "xq-living", "东区生活区夜间巡逻",
     "学生公寓、电动车停放处、餐厅后厨和镜湖周边的夜间巡查。",
     ["xq-d1-bike", "xq-d1-3f", "xq-d2-2f", "xq-canteen-kitchen", "xq-clinic-pharm",
      "xq-lake"]),
    ("xq-day-traffic", "xingqing", "xq-traffic", "兴庆交通秩序巡查",
     "校门、停车场和主干道的交通秩序巡查：违停、占用消防通道、僵尸车。",
     ["xq-gate-n", "xq-park-n", "xq-road-ew", "xq-gate-e", "xq-road-wt", "xq-park-lib"]),
    ("cx-night-research", "chuangxin", "cx-research", "创新港科研区夜间巡逻",
     "气瓶间、化学品暂存间、生物安全实验室、数据中心和建设工地的夜间巡查。",
     ["cx-gate-s", "cx-2-gas", "cx-3-chem", "cx-4-bsl2", "cx-1-dc", "cx-site"]),
]
# (route code, name, starts, ends, rounds, window minutes, guard usernames)
SCHEDULES = [
    ("xq-night-teach", "夜班", dt.time(22), dt.time(6), 4, 30, ["guard_xq1"]),
    ("xq-night-living", "夜班", dt.time(22), dt.time(6), 4, 30, ["guard_xq2"]),
    ("xq-day-traffic", "白班", dt.time(6), dt.time(22), 4, 60, ["guard_xq1", "guard_xq2"]),
    ("cx-night-research", "夜班", dt.time(22), dt.time(6), 4, 30, ["guard_cx1", "guard_cx2"]),
]
SHIFT_LEADER = ("shift_leader", "孙卫东", ["xingqing", "chuangxin"])  # 巡逻班长
# Special rounds: (route code, days before today, round number).
FAR_SCAN = ("xq-night-living", 5, 2)
ENDED_EARLY = ("xq-night-teach", 3, 3)
OFFLINE = ("cx-night-research", 2, 1)
MISSED_ROUNDS = {("xq-night-living", 8, 4), ("xq-night-teach", 11, 3), ("cx-night-research", 6, 4)}
END_EARLY_REASON = "接值班室指令，前往东区1号学生公寓处置电动车充电冒烟警情，本轮巡逻中止。"
SCAN_NOTES = ["", "", "", "", "", "门窗已锁好", "一切正常", "照明正常", "已提醒学生早点休息"]

# --- grids --------------------------------------------------------------------------------------
GRID_HEADS = [("gridhead_xq", "xingqing"), ("gridhead_cx", "chuangxin"),
              ("gridhead_yt", "yanta"), ("gridhead_qj", "qujiang")]
EXTRA_OFFICER = ("guard_xq2", "xq-living")
#: Zones with visits and their share (曲江 has none: its officers are idle).
VISIT_ZONES = {"xq-living": 8, "cx-college": 7, "xq-teaching": 5, "cx-research": 4,
               "yt-living": 3, "xq-traffic": 2, "yt-teaching": 1}
VISITS = 30
VISIT_COMMUNITIES = ["3层301–320宿舍", "4层走廊及水房", "一楼大厅和值班室", "楼前电动车停放区",
                     "5层东侧宿舍", "2层自习室", "地下室及配电间", "楼顶天台入口"]
VISIT_FINDINGS = [
    ("", False), ("", False), ("", False),
    ("宿舍内发现使用大功率电器（电热锅），已当面劝导并登记。", True),
    ("楼道堆放纸箱杂物，影响疏散，已联系宿管清理。", True),
    ("与学生谈心，了解到有同学接到冒充客服的诈骗电话，已进行反诈提醒。", False),
    ("安全出口指示灯不亮一处，需报修。", True),
    ("开展反诈宣传，发放宣传册20份。", False),
    ("楼前电动车乱停放，部分堵塞消防通道。", True),
    ("门禁系统运行正常，值班记录完整。", False),
]
# (category code, title) of hazards reported from visits, in turn.
VISIT_HAZARDS = [("electrical", "学生宿舍使用大功率电器"),
                 ("fire", "楼道堆放杂物堵塞疏散通道"),
                 ("fire", "安全出口指示灯损坏")]

# --- duty room ----------------------------------------------------------------------------------
DUTY_DAYS = 5
DUTY_OFFICERS = ["inspector3", "shift_leader", "inspector4", "guard_xq2"]
# (kind, summary, action taken, place code or "", location, caller, becomes)
DUTY_ENTRIES = [
    ("call", "学生来电称在图书馆二层阅览室丢失笔记本电脑一台。", "已调取监控并联系图书馆，登记失物信息。",
     "xq-lib-read", "", "王同学", "incident:theft"),
    ("alarm", "消防控制室报化学楼三层烟感报警。", "巡逻队员到场核实为误报，已复位。", "xq-chem-305", "",
     "", ""),
    ("patrol", "巡逻发现东区1号学生公寓电动车停放处有电动车违规充电，充电线从窗口拉出。",
     "已断电并联系宿管，通知学生本人。", "xq-d1-bike", "", "", "hazard"),
    ("call", "学生来电称接到自称“京东客服”电话要求退款操作，怀疑诈骗。", "已告知为诈骗，指导其不要转账。",
     "xq-d2-508", "", "李同学", "incident:fraud"),
    ("walk_in", "外卖骑手要求进入校园送餐，与门卫发生争执。", "已劝离，告知外卖放置点位置。", "xq-gate-n", "",
     "", ""),
    ("cctv", "监控发现北门停车场有可疑人员逐一查看车辆。", "通知巡逻队前往，人员已离开，加强巡查。",
     "xq-park-n", "", "", "incident:disturbance"),
    ("call", "教工来电称主楼电梯困人。", "联系电梯维保单位，15分钟后解困，无人员受伤。", "xq-main-lift", "",
     "张老师", ""),
    ("notice", "上级通知：明日有重要活动，东门临时交通管制。", "已通知各岗位及交通执勤人员。", "", "东门",
     "", ""),
    ("call", "学生在康乐餐厅就餐时摔倒，膝盖受伤。", "联系校医院，陪同就医。", "xq-canteen-dining",
     "", "餐厅经理", "incident:medical"),
    ("alarm", "电气楼一层配电间温度报警。", "后勤值班电工到场检查，设备正常。", "xq-elec-power", "", "",
     ""),
    ("call", "家长来电称联系不上在校学生。", "联系辅导员，学生手机没电，已报平安。", "", "东区2号学生公寓",
     "学生家长", ""),
    ("patrol", "巡逻发现镜湖边有学生深夜逗留。", "已劝导返回宿舍。", "xq-lake", "", "", ""),
    ("call", "创新港学生来电称自行车被盗。", "登记车辆信息，调取监控。", "cx-dh-bike", "", "赵同学",
     "incident:theft"),
    ("cctv", "监控发现三期建设工地围挡有缺口。", "通知施工单位修补围挡。", "cx-site", "", "", ""),
    ("walk_in", "学生来值班室交拾到的校园卡一张。", "已登记并联系失主领取。", "", "值班室", "", ""),
    ("call", "学生来电称宿舍楼道有异味。", "宿管与巡逻队员到场查看，为垃圾未及时清运。", "cx-dd-3f",
     "", "", ""),
    ("alarm", "创新港数据中心机房门禁异常报警。", "网络中心值班人员确认为刷卡故障。", "cx-1-dc", "", "", ""),
    ("call", "校外人员来电咨询车辆入校手续。", "告知预约流程。", "", "", "社会车辆车主", ""),
    ("patrol", "巡逻发现气瓶间门未上锁。", "已锁门并告知实验室负责人。", "cx-2-gas", "", "", ""),
    ("call", "学生来电称宿舍楼下有人发放“兼职刷单”传单。", "巡逻队员到场制止并收缴传单。", "xq-d1-412",
     "", "刘同学", ""),
]
DUTY_INCIDENT_TYPES = {"incident:theft": "财物被盗", "incident:fraud": "冒充电商物流客服",
                       "incident:disturbance": "可疑人员", "incident:medical": "摔伤"}
HANDOVER_NOTES = ["夜间平稳，未处理事项已移交。", "各岗位正常，注意东门临时交通管制。",
                  "请跟进失窃案件的监控调取情况。", "消防控制室设备正常。", ""]

# --- incidents ----------------------------------------------------------------------------------
INCIDENTS = 150
# (category, weight, type labels, place kinds, hours weights key, summaries)
INCIDENT_KINDS = [
    ("theft", 26, ["电动车被盗", "自行车被盗", "宿舍财物被盗", "图书馆物品被盗"],
     ["outdoor", "dormitory", "room"], "day", ["{place}附近发生盗窃，失主报案。",
                                               "失主称{place}停放的车辆被盗。"]),
    ("fraud", 18, ["刷单返利", "冒充电商物流客服", "虚假网络贷款", "网络游戏虚假交易", "冒充公检法"],
     ["dormitory"], "evening", ["学生在{place}被骗，损失若干元，已报警。"]),
    ("lost_property", 16, ["校园卡遗失", "手机遗失", "钱包遗失"], ["room", "canteen", "dormitory"],
     "day", ["{place}拾到/遗失物品登记。"]),
    ("assistance", 12, ["学生求助", "开门求助", "车辆故障求助"], ["gate", "dormitory", "car_park"],
     "any", ["{place}有人求助，已处置。"]),
    ("disturbance", 9, ["可疑人员", "外卖人员冲卡", "深夜喧哗"], ["gate", "dormitory", "outdoor"],
     "night", ["{place}发现可疑情况，巡逻队到场处置。"]),
    ("traffic", 8, ["交通事故", "电动车剐蹭", "违停占用消防通道"], ["road", "car_park", "gate"],
     "day", ["{place}发生交通事件，已协调处理。"]),
    ("fire", 6, ["火警误报", "电动车充电冒烟", "实验室小火情"], ["lab", "dormitory", "canteen"], "any",
     ["{place}发生火警，已处置。"]),
    ("medical", 6, ["学生晕倒", "运动受伤", "醉酒"], ["room", "canteen", "outdoor"], "any",
     ["{place}有人受伤/不适，已送医。"]),
    ("harassment", 3, ["骚扰电话", "尾随"], ["dormitory", "outdoor"], "night",
     ["{place}发生骚扰事件，已报警。"]),
    ("vandalism", 3, ["公共设施损坏", "车辆被划"], ["car_park", "outdoor", "room"], "night",
     ["{place}公共财物被损坏。"]),
    ("trespass", 3, ["校外人员闯入"], ["gate", "lab"], "night", ["{place}有校外人员擅自闯入。"]),
]
HOURS = {
    "day": [0, 0, 0, 0, 0, 0, 1, 2, 4, 5, 6, 6, 5, 5, 6, 6, 6, 5, 4, 3, 3, 2, 1, 1],
    "evening": [1, 1, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4, 5, 6, 7, 7, 5, 3],
    "night": [5, 5, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5, 6, 6],
    "any": [2, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3],
}


def _local(day: dt.date, at: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=clock.local_zone())


class PatrolDemo:
    """Builds the demo's patrol world and its timed events (see the module text)."""

    def __init__(self, rng: random.Random, world, now: dt.datetime):
        self.rng, self.world, self.now = rng, world, now
        self.today = now.astimezone(clock.local_zone()).date()
        self.admin = world.office_head
        self.routes: dict[str, object] = {}
        self.schedules: dict[str, PatrolSchedule] = {}
        self.users: dict[str, User] = {}
        self.duty_shift = None
        self.counts = {"routes": 0, "rounds": 0, "scans": 0, "visits": 0, "incidents": 0,
                       "duty_entries": 0}

    # --- people ------------------------------------------------------------------------------
    def people(self) -> None:
        """The shift leader and the grid heads (accounts), and phone numbers for the people
        who patrol and keep the grids (configuration, like the rest of the world)."""
        rng = self.rng
        password = self.admin.password  # the one demo password, hashed once
        username, full_name, campuses = SHIFT_LEADER
        leader = User.objects.create(username=username, full_name=full_name,
                                     password=password, employee_number="G00001")
        Membership.objects.bulk_create([
            Membership(user=leader, role=Role.GUARD, campus=self.world.campuses[c])
            for c in campuses])
        surnames, given = "王李张刘陈杨赵黄周吴", ["建国", "海涛", "晓燕", "志强", "红梅", "永刚"]
        for i, (name, _campus) in enumerate(GRID_HEADS):
            User.objects.create(username=name, password=password, employee_number=f"WH{i:04d}",
                                full_name=surnames[i * 3 % 10] + given[i])
        names = ([u for u, _c in GRID_HEADS] + [SHIFT_LEADER[0]]
                 + list(Membership.objects.filter(role__in=[Role.GRID_OFFICER, Role.GUARD])
                        .values_list("user__username", flat=True)))
        people = list(User.objects.filter(username__in=names).order_by("username"))
        for person in people:
            person.phone = f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10**7, 10**8 - 1)}"
        User.objects.bulk_update(people, ["phone"])
        self.users = {u.username: u for u in User.objects.filter(
            memberships__role__in=[Role.GUARD, Role.OFFICE_STAFF, Role.OFFICE_ADMIN,
                                   Role.GRID_OFFICER]).distinct()}
        self.users.update({u.username: u for u in User.objects.filter(
            username__in=[u for u, _c in GRID_HEADS])})

    def user(self, username: str) -> User:
        # A fresh object: ``User.scope`` is cached and memberships change during the story.
        return User.objects.get(username=username)

    def at(self, days_ago: float, hour: int | None = None, minute: int | None = None):
        day = self.today - dt.timedelta(days=int(days_ago))
        hour = self.rng.randint(8, 20) if hour is None else hour
        minute = self.rng.randint(0, 59) if minute is None else minute
        return min(_local(day, dt.time(hour, minute)), self.now - MINUTE)

    # --- the story as timed events -----------------------------------------------------------
    def events(self) -> list[tuple[dt.datetime, object]]:
        """``(when, callable)`` pairs for the loader's replay (all before now)."""
        self.people()
        events: list[tuple[dt.datetime, object]] = []
        events += self.incident_events()
        events += self.grid_events()
        events += self.patrol_events()
        events += self.duty_events()
        return [(when, action) for when, action in events if when < self.now]

    # --- patrols -----------------------------------------------------------------------------
    def patrol_events(self) -> list:
        # Set up before the first day shift opens (06:00), NIGHTS days back.
        first = self.today - dt.timedelta(days=NIGHTS)
        events = [(_local(first, dt.time(5, 0)), self.setup_routes)]
        sweeps: set[dt.datetime] = set()  # routes sharing a window share its sweep
        for offset in range(NIGHTS, -1, -1):
            day = self.today - dt.timedelta(days=offset)
            for code, _name, starts, ends, rounds, window, _guards in SCHEDULES:
                template = PatrolSchedule(starts_at=starts, ends_at=ends, rounds=rounds,
                                          window_minutes=window)
                for number, (opens, closes, _late) in enumerate(
                        patrolling.round_windows(template, day), start=1):
                    sweeps.add(closes + SWEEP_AFTER)
                    # Rounds still open now are left for the guard on duty to walk.
                    if closes + 15 * MINUTE < self.now:
                        events.append((opens, partial(self.walk_round, code, offset, number)))
        events += [(at, patrolling.patrol_sweep) for at in sorted(sweeps)]
        events.append((self.now - MINUTE / 2, patrolling.patrol_sweep))
        return events

    def position(self, place: Place) -> tuple[float, float]:
        lat0, lon0 = CENTRES[place.campus.code]
        return (round(lat0 + (50 - float(place.map_y)) * DEG_LAT_PER_PCT, 6),
                round(lon0 + (float(place.map_x) - 50) * DEG_LON_PER_PCT, 6))

    def setup_routes(self) -> None:
        places = {p.code: p for p in Place.objects.select_related("campus")}
        campuses = {c.code: c for c in Campus.objects.all()}
        zones = self.world.zones
        for code, campus, zone, name, description, stops in ROUTES:
            route = setup.route_create(actor=self.admin, campus_id=campuses[campus].pk, code=code,
                                       name=name, zone_id=zones[zone].pk, description=description)
            for stop in stops:
                lat, lon = self.position(places[stop])
                setup.checkpoint_add(actor=self.admin, route_id=route.pk,
                                     place_id=places[stop].pk, latitude=lat, longitude=lon,
                                     radius_m=100 if places[stop].kind != "road" else 200)
            self.routes[code] = route
            self.counts["routes"] += 1
        leader = self.users[SHIFT_LEADER[0]]
        for code, name, starts, ends, rounds, window, guards in SCHEDULES:
            self.schedules[code] = setup.schedule_create(
                actor=self.admin, route_id=self.routes[code].pk, name=name, starts_at=starts,
                ends_at=ends, rounds=rounds, window_minutes=window, weekdays="1234567",
                leader_id=leader.pk, guard_ids=[self.users[g].pk for g in guards])

    def walk_round(self, code: str, days_ago: int, number: int) -> None:
        """One guard walks round ``number`` of the shift ``days_ago`` days back."""
        rng = self.rng
        key = (code, days_ago, number)
        round_ = (PatrolRound.objects.select_related("shift")
                  .filter(shift__schedule=self.schedules[code],
                          shift__shift_date=self.today - dt.timedelta(days=days_ago),
                          sequence=number).first())
        if round_ is None or key in MISSED_ROUNDS:
            return
        guard = self.users[rng.choice(SCHEDULES[[s[0] for s in SCHEDULES].index(code)][6])]
        checkpoints = list(self.routes[code].checkpoints.filter(pk__in=round_.checkpoint_ids)
                           .select_related("place__campus").order_by("sequence"))
        late = rng.random() < 0.06
        window = round_.window_end - round_.window_start
        moment = round_.window_start + (window * rng.uniform(0.6, 0.9) if late
                                        else dt.timedelta(minutes=rng.uniform(0, 6)))
        skip = rng.randrange(len(checkpoints)) if rng.random() < 0.04 else None
        pace = window / (len(checkpoints) + 2)
        scans = []
        for index, checkpoint in enumerate(checkpoints):
            moment += pace * rng.uniform(0.6, 1.1)
            if index == skip:
                continue
            lat = float(checkpoint.latitude) + rng.uniform(-0.00015, 0.00015)
            lon = float(checkpoint.longitude) + rng.uniform(-0.00015, 0.00015)
            if key == FAR_SCAN and index == 2:
                lat += 0.0065  # about 720 m north: the photo of the sticker, not the place
            scans.append({"code": patrolling.checkpoint_code(checkpoint),
                          "client_id": uuid.UUID(int=rng.getrandbits(128)),
                          "scanned_at": moment, "latitude": round(lat, 6),
                          "longitude": round(lon, 6), "accuracy_m": rng.randint(5, 30),
                          "round_id": round_.pk, "note": rng.choice(SCAN_NOTES)})
            if key == ENDED_EARLY and len(scans) == 3:
                break
        if key == OFFLINE:
            # No signal in the basement: the phone queued the round and uploaded it later.
            with clock.frozen(scans[-1]["scanned_at"] + 17 * MINUTE):
                patrolling.scan_record_many(actor=guard, scans=scans)
        else:
            for scan in scans:
                with clock.frozen(scan["scanned_at"]):
                    patrolling.scan_record(actor=guard, **scan)
        self.counts["scans"] += len(scans)
        if key == ENDED_EARLY:
            with clock.frozen(scans[-1]["scanned_at"] + 2 * MINUTE):
                patrolling.round_end_early(actor=guard, round_id=round_.pk,
                                           reason=END_EARLY_REASON)

    # --- grids -------------------------------------------------------------------------------
    def grid_events(self) -> list:
        rng = self.rng
        events = [(self.at(32, 9, 30), self.setup_grids)]
        zones = [z for z, w in VISIT_ZONES.items() for _ in range(w)]
        hazards = iter(VISIT_HAZARDS)
        for n in range(VISITS):
            zone = zones[n % len(zones)]
            when = self.at(rng.uniform(0.3, 27.5), rng.randint(9, 20))
            finding, follow = rng.choice(VISIT_FINDINGS)
            hazard = next(hazards, None) if follow and n % 3 == 0 else None
            events.append((when, partial(self.visit, zone, finding, follow, hazard)))
        return events

    def setup_grids(self) -> None:
        for username, campus in GRID_HEADS:
            head = self.users[username]
            for zone in self.world.zones.values():
                if zone.campus_id == self.world.campuses[campus].pk:
                    grids.grid_member_assign(actor=self.admin, zone_id=zone.pk, user_id=head.pk,
                                             role=Role.GRID_HEAD)
        username, zone = EXTRA_OFFICER
        grids.grid_member_assign(actor=self.admin, zone_id=self.world.zones[zone].pk,
                                 user_id=self.users[username].pk, role=Role.GRID_OFFICER)

    def visit(self, zone_code: str, finding: str, follow: bool, hazard) -> None:
        rng = self.rng
        zone = self.world.zones[zone_code]
        officers = list(Membership.objects.filter(zone=zone, role=Role.GRID_OFFICER)
                        .order_by("user__username").values_list("user__username", flat=True))
        officer = self.user(rng.choice(officers))
        buildings = list(zone.buildings.order_by("code"))
        building = rng.choice(buildings) if buildings else None
        kind = rng.choice([GridVisit.Kind.ROUTINE, GridVisit.Kind.ROUTINE,
                           GridVisit.Kind.DORMITORY, GridVisit.Kind.TALK,
                           GridVisit.Kind.FOLLOW_UP])
        record = grids.grid_visit_log(
            actor=officer, zone_id=zone.pk, building_id=building.pk if building else None,
            kind=kind, visited_at=clock.now() - dt.timedelta(minutes=rng.randint(20, 90)),
            community=rng.choice(VISIT_COMMUNITIES) if building else "",
            people_met=rng.randint(0, 12), findings=finding, needs_follow_up=follow)
        self.counts["visits"] += 1
        if hazard is not None and building is not None:
            category, title = hazard
            grids.grid_visit_hazard_report(
                actor=officer, visit_id=record.pk, title=title,
                category_id=HazardCategory.objects.get(code=category).pk,
                description=finding)

    # --- duty room ---------------------------------------------------------------------------
    def duty_events(self) -> list:
        rng = self.rng
        events = []
        start = _local(self.today - dt.timedelta(days=DUTY_DAYS), dt.time(8, 0))
        events.append((start, self.duty_take_over))
        turn, moment, entries = 0, start, iter(range(10_000))
        while moment + 12 * dt.timedelta(hours=1) < self.now:
            end = moment + dt.timedelta(hours=12)
            for _ in range(4):
                when = moment + dt.timedelta(minutes=rng.randint(15, 11 * 60))
                events.append((when, partial(self.duty_entry, next(entries))))
            turn += 1
            events.append((end, partial(self.hand_over, turn)))
            moment = end
        # the current shift's first entries
        for _ in range(2):
            when = moment + dt.timedelta(minutes=rng.randint(10, 120))
            events.append((when, partial(self.duty_entry, next(entries))))
        return events

    def duty_take_over(self) -> None:
        self.duty_shift = duty.duty_shift_take_over(actor=self.user(DUTY_OFFICERS[0]),
                                                    leader_id=self.admin.pk)

    def hand_over(self, turn: int) -> None:
        officer = self.user(DUTY_OFFICERS[turn % len(DUTY_OFFICERS)])
        self.duty_shift = duty.duty_shift_hand_over(
            actor=self.user(self.duty_shift.officer.username), shift_id=self.duty_shift.pk,
            next_officer_id=officer.pk, leader_id=self.admin.pk if turn % 2 else None,
            note=self.rng.choice(HANDOVER_NOTES))

    def duty_entry(self, index: int) -> None:
        rng = self.rng
        kind, summary, action, place_code, location, caller, becomes = DUTY_ENTRIES[
            index % len(DUTY_ENTRIES)]
        officer = self.user(self.duty_shift.officer.username)
        place = Place.objects.filter(code=place_code).first() if place_code else None
        first_round = index < len(DUTY_ENTRIES)
        entry = duty.duty_entry_log(
            actor=officer, summary=summary, kind=kind,
            occurred_at=clock.now() - dt.timedelta(minutes=rng.randint(1, 10)),
            campus_id=place.campus_id if place else self.world.campuses["xingqing"].pk,
            place_id=place.pk if place else None, location_text=location, caller_name=caller,
            caller_phone=f"1{rng.randint(3, 9)}{rng.randint(10**8, 10**9 - 1)}" if caller else "")
        self.counts["duty_entries"] += 1
        if becomes.startswith("incident:") and first_round:
            disposition = (Incident.Disposition.REFERRED if becomes.endswith("fraud")
                           else Incident.Disposition.OPEN)
            with clock.frozen(clock.now() + 20 * MINUTE):
                duty.duty_entry_to_incident(
                    actor=officer, entry_id=entry.pk, category=becomes.split(":")[1],
                    type_label=DUTY_INCIDENT_TYPES[becomes], disposition=disposition,
                    people_involved=caller,
                    police_reference=self.police_reference() if disposition == "referred" else "")
        if becomes == "hazard" and first_round:
            with clock.frozen(clock.now() + 10 * MINUTE):
                duty.duty_entry_to_hazard(
                    actor=officer, entry_id=entry.pk, title="学生公寓电动车违规充电",
                    category_id=HazardCategory.objects.get(code="electrical").pk)
        # Most entries are dealt with at once; some stay open and are carried over.
        if rng.random() < 0.75:
            with clock.frozen(clock.now() + dt.timedelta(minutes=rng.randint(12, 50))):
                duty.duty_entry_close(actor=officer, entry_id=entry.pk, action_taken=action)

    def police_reference(self) -> str:
        return f"J61011{self.today.year % 100:02d}{self.rng.randint(10**7, 10**8 - 1)}"

    # --- incidents over the year -------------------------------------------------------------
    def incident_events(self) -> list:
        rng = self.rng
        by_kind: dict[str, list[Place]] = {}
        weights = {"xingqing": 40, "chuangxin": 34, "yanta": 12, "qujiang": 14}
        for place in Place.objects.select_related("campus", "building").order_by("code"):
            by_kind.setdefault(place.kind, []).append(place)
        kinds = [k for k in INCIDENT_KINDS for _ in range(k[1])]
        events = []
        for _ in range(INCIDENTS):
            category, _w, labels, place_kinds, hours, summaries = rng.choice(kinds)
            candidates = [p for k in place_kinds for p in by_kind.get(k, [])]
            place = rng.choices(candidates, [weights[p.campus.code] for p in candidates])[0]
            day = self.today - dt.timedelta(days=int(rng.triangular(0, 364, 40)))
            hour = rng.choices(range(24), HOURS[hours])[0]
            occurred = _local(day, dt.time(hour, rng.randint(0, 59)))
            reported = occurred + dt.timedelta(minutes=rng.randint(5, 180))
            if reported >= self.now:
                continue
            events.append((reported, partial(
                self.incident, category, rng.choice(labels), place, occurred,
                rng.choice(summaries).format(place=place))))
        return events

    def incident(self, category, label, place, occurred, summary) -> None:
        rng = self.rng
        age = (self.now - occurred).days
        if category == "fraud":
            disposition = Incident.Disposition.REFERRED
        elif age < 5 and rng.random() < 0.5:
            disposition = Incident.Disposition.OPEN
        elif category in ("assistance", "lost_property", "medical"):
            disposition = rng.choices([Incident.Disposition.RESOLVED,
                                       Incident.Disposition.CLOSED], [80, 20])[0]
        else:
            disposition = rng.choices(
                [Incident.Disposition.RESOLVED, Incident.Disposition.CLOSED,
                 Incident.Disposition.REFERRED, Incident.Disposition.UNFOUNDED,
                 Incident.Disposition.ARREST], [60, 20, 10, 7, 3])[0]
        duty.incident_record(
            actor=rng.choice(self.world.inspectors), category=category, summary=summary,
            reported_at=clock.now(), occurred_at=occurred, type_label=label,
            campus_id=place.campus_id, place_id=place.pk, disposition=disposition,
            police_reference=self.police_reference() if disposition in (
                Incident.Disposition.REFERRED, Incident.Disposition.ARREST) else "")
        self.counts["incidents"] += 1

    # --- afterwards ----------------------------------------------------------------------------
    def backdate(self) -> None:
        """``created_at`` of the replayed records: their replayed time (the database clock
        does not know about the replay); and the count of rounds the sweeps planned.

        A missed-round alert goes out when the sweep's transaction commits, and the loader
        commits a replayed day at its last event: the alert (and its deliveries) get the
        time of the sweep that sent it, minutes after the round's window closed."""
        self.counts["rounds"] = PatrolRound.objects.count()
        swept = dict(PatrolRound.objects.filter(swept_at__isnull=False)
                     .values_list("pk", "swept_at"))
        alerts, deliveries = [], []
        for alert in (Notification.objects.filter(verb="patrols.missed_checkpoints")
                      .prefetch_related("deliveries")):
            at = swept.get(int(alert.dedupe_key.split(":")[2]))
            if at is None:
                continue
            alert.created_at = at
            alerts.append(alert)
            for delivery in alert.deliveries.all():
                if delivery.sent_at is not None:
                    delivery.sent_at = at
                    deliveries.append(delivery)
        Notification.objects.bulk_update(alerts, ["created_at"])
        Delivery.objects.bulk_update(deliveries, ["sent_at"])
        GridVisit.objects.update(created_at=F("visited_at"))
        Incident.objects.update(created_at=F("reported_at"))
        DutyLogEntry.objects.update(created_at=F("occurred_at"))
        CheckpointScan.objects.update(created_at=F("received_at"))
