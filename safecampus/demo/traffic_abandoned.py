"""The demo's abandoned vehicles (僵尸车), replayed through the real services.

Timed events for the loader's replay, each run inside :func:`clock.frozen` at its own time:

- **Single cases** on the 兴庆 and 雁塔 campuses, one in every state: a sighting from this
  week (suspected); a report with the notice on the windscreen (noticed, deadline ahead); a
  student's registered car whose owner was contacted in-app and whose deadline has passed
  (ready to remove); a car the owner moved after the notice; a car removed to storage last
  month (claim period running); one claimed by its verified owner; one disposed of after
  the claim period; one dismissed (in use after all); and a long-stay case opened by the
  gate-record detection (no actor).
- **A clean-up drive** on the 创新港 campus: five vehicles tagged in one go in the
  underground car park (one e-bike without a plate), the drive's notices posted the next
  day; one owner has moved the car since.
"""

import datetime as dt
import random

from django.conf import settings

from safecampus.accounts.models import User
from safecampus.core import clock
from safecampus.organisation.models import Place
from safecampus.traffic.models import AbandonedVehicleCase, CasePhoto, CleanUpDrive, Vehicle
from safecampus.traffic.services import abandoned as services

from .traffic import car_photo

OFFICE = "inspector2"
#: (key, campus, guard, place code, where exactly, description, source, days ago opened)
SINGLE = [
    ("suspected", "xingqing", "guard_xq1", "xq-park-n", "北门停车场西侧第3排",
     "银色大众朗逸，四轮亏气，车身积灰很厚", "patrol", 2),
    ("noticed", "xingqing", "guard_xq2", "xq-park-lib", "图书馆地下停车场B区17号位",
     "黑色本田雅阁，前挡风玻璃落满树叶", "report", 5),
    ("contacted", "xingqing", "guard_xq1", "xq-road-wt", "梧桐大道东段路边",
     "白色比亚迪秦PLUS，轮胎瘪，长期未挪动", "patrol", 14),
    ("moved", "yanta", "guard_yt1", "yt-park", "雁塔停车场东北角",
     "灰色丰田卡罗拉，车内堆满杂物", "patrol", 40),
    ("stored", "xingqing", "guard_xq2", "xq-park-n", "北门停车场东侧围墙边",
     "红色五菱宏光，后窗破损，无人使用", "patrol", 45),
    ("claimed", "xingqing", "shift_leader", "xq-park-lib", "图书馆地下停车场C区",
     "蓝色吉利帝豪，电瓶亏电，轮胎亏气", "report", 75),
    ("disposed", "yanta", "guard_yt1", "yt-park", "雁塔停车场南侧",
     "无牌白色面包车，锈蚀严重，车窗缺失", "patrol", 200),
    ("dismissed", "xingqing", "guard_xq1", "xq-road-ew", "东西主干道北侧车位",
     "黑色奥迪A4L，积灰", "report", 20),
]
DRIVE_ROWS = [
    ("", "地下停车场B1-032", "ebike", "白色电动车，无牌，车筐生锈，后轮无气"),
    (None, "地下停车场B1-047", "car", ""),
    (None, "地下停车场B1-051", "car", ""),
    (None, "地下停车场B2-008", "car", ""),
    (None, "地下停车场B2-013", "car", ""),
]


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clock.local_zone())


class AbandonedDemo:
    """Cases in every state and one clean-up drive, as timed events (module text)."""

    def __init__(self, rng: random.Random, world, now: dt.datetime):
        self.rng, self.world, self.now = rng, world, now
        self.today = now.astimezone(clock.local_zone()).date()
        self.cases: dict[str, int] = {}
        self.drive_id: int | None = None
        self.stamps: list[tuple[type, int, dt.datetime]] = []
        self.plates: set[str] = set()
        self.counts: dict[str, int] = {"abandoned_cases": 0, "clean_up_drives": 0}

    def at(self, days_ago: int, hour: int, minute: int | None = None) -> dt.datetime:
        minute = self.rng.randint(0, 59) if minute is None else minute
        when = _local(self.today - dt.timedelta(days=days_ago), hour, minute)
        return min(when, self.now - dt.timedelta(minutes=5))

    def plate(self) -> str:
        rng = self.rng
        while True:
            number = (rng.choice(["陕A", "陕A", "陕A", "陕U", "甘A", "豫A"])
                      + "".join(rng.choice("0123456789") for _ in range(5)))
            if number not in self.plates:
                self.plates.add(number)
                return number

    def user(self, username: str) -> User:
        return User.objects.get(username=username)

    def photos(self, n: int = 1, *, green: bool = False) -> list:
        return [car_photo(self.rng, green_plate=green, name=f"{i}.jpg") for i in range(n)]

    # --- the plan -----------------------------------------------------------------------------
    def events(self) -> list[tuple[dt.datetime, object]]:
        events: list = []
        for key, campus, guard, place, where, description, source, days in SINGLE:
            events.extend(self.story(key, campus, guard, place, where, description, source, days))
        events.append((self.at(3, 2, 10), self.long_stay))
        events.append((self.at(6, 9, 30), self.drive_create))
        events.append((self.at(6, 10, 40), self.drive_tag))
        events.append((self.at(5, 15, 20), self.drive_notices))
        events.append((self.at(1, 11, 5), self.drive_one_moved))
        return [(when, action) for when, action in events if when < self.now]

    def story(self, key, campus, guard, place, where, description, source, days):
        """The events of one single case up to its state ``key``."""
        steps = [(self.at(days, 9), lambda: self.open(key, campus, guard, place, where,
                                                       description, source))]
        notice_day = days - 1
        if key != "suspected" and key != "dismissed":
            steps.append((self.at(notice_day, 10), lambda: self.notice(key)))
        if key == "contacted":
            steps.append((self.at(days - 3, 14), lambda: self.step(
                key, services.abandoned_owner_contact, channel="in_app",
                note="已通过平台消息通知车主，车主未回复。")))
        if key == "moved":
            steps.append((self.at(days - 4, 16), lambda: self.step(
                key, services.abandoned_mark_moved, note="车主看到告知单后来电，已将车辆开走。")))
        if key in ("stored", "claimed", "disposed"):
            stored_ago = notice_day - 9
            steps.append((self.at(stored_ago, 9, 30), lambda: self.step(
                key, services.abandoned_store, storage_place="北门临时停放场（保卫处车辆暂存区）",
                photos=self.photos(2), note="经值班领导同意，联系拖车拖移。")))
            if key == "claimed":
                steps.append((self.at(stored_ago - 10, 15), lambda: self.step(
                    key, services.abandoned_claim, claimed_by_name="刘同学",
                    verification="核对驾驶证、行驶证及学生证，与登记信息一致",
                    note="车主已毕业离校，回校办理认领并缴清拖车费。")))
            if key == "disposed":
                steps.append((self.at(stored_ago - settings.SAFECAMPUS["ABANDONED_CLAIM_DAYS"] - 3,
                                      10), lambda: self.step(
                    key, services.abandoned_dispose, photos=self.photos(),
                    note="认领期满无人认领，经公示后移交辖区派出所依法处置。")))
        if key == "dismissed":
            steps.append((self.at(days - 1, 11), lambda: self.step(
                key, services.abandoned_dismiss,
                reason="车主为在读博士，车辆正常使用，仅长时间未清洗。")))
        return steps

    # --- the events ---------------------------------------------------------------------------
    def open(self, key, campus, guard, place_code, where, description, source):
        place = Place.objects.filter(code=place_code).only("pk").first()
        if key == "contacted":  # a student's registered car: the contact reaches the inbox
            vehicle = Vehicle.objects.filter(owner__username="student3").first()
            plate = vehicle.plate if vehicle else self.plate()
        else:
            plate = "" if key == "disposed" else self.plate()
        case = services.abandoned_case_open(
            actor=self.user(guard), source=source, plate=plate,
            vehicle_kind="car", description=description,
            campus_id=self.world.campuses[campus].pk, place_id=place.pk if place else None,
            location_text=where, photos=self.photos(self.rng.choice([1, 2]),
                                                    green=len(plate) == 8))
        self.cases[key] = case.pk
        self.stamps.append((AbandonedVehicleCase, case.pk, clock.now()))
        self.counts["abandoned_cases"] += 1

    def notice(self, key):
        services.abandoned_notice_post(actor=self.user(OFFICE), case_id=self.cases[key],
                                       photos=self.photos(), note="告知单贴于前挡风玻璃。")

    def step(self, key, service, **kwargs):
        service(actor=self.user(OFFICE), case_id=self.cases[key], **kwargs)

    def long_stay(self):
        """The gate-record detection (no actor) finds a car in since 47 days."""
        case = services.abandoned_case_open(
            actor=None, source=AbandonedVehicleCase.Source.LONG_STAY, plate=self.plate(),
            campus_id=self.world.campuses["xingqing"].pk,
            last_entry_at=clock.now() - dt.timedelta(days=47, hours=5),
            source_ref="gates.record:demo", location_text="北门入校后未见出校记录")
        self.stamps.append((AbandonedVehicleCase, case.pk, clock.now()))
        self.counts["abandoned_cases"] += 1

    def drive_create(self):
        start = clock.local_today()
        drive = services.clean_up_drive_create(
            actor=self.user("office_head"), campus_id=self.world.campuses["chuangxin"].pk,
            name="创新港地下停车场僵尸车清理", starts_on=start,
            notice_deadline=start + dt.timedelta(days=8),
            note="联合物业对地下停车场B1、B2层长期停放车辆逐一排查、张贴告知单。")
        self.drive_id = drive.pk
        self.stamps.append((CleanUpDrive, drive.pk, clock.now()))
        self.counts["clean_up_drives"] += 1

    def drive_tag(self):
        place = Place.objects.filter(code="cx-park-ug").only("pk").first()
        rows = [{"plate": self.plate() if plate is None else plate, "location_text": where,
                 "vehicle_kind": kind, "description": description,
                 "place_id": place.pk if place else None}
                for plate, where, kind, description in DRIVE_ROWS]
        cases = services.abandoned_cases_tag(actor=self.user(OFFICE), drive_id=self.drive_id,
                                             rows=rows)
        for case in cases:
            self.stamps.append((AbandonedVehicleCase, case.pk, clock.now()))
        self.cases["drive_moved"] = cases[2].pk
        self.counts["abandoned_cases"] += len(cases)

    def drive_notices(self):
        services.drive_notices_post(actor=self.user(OFFICE), drive_id=self.drive_id)

    def drive_one_moved(self):
        services.abandoned_mark_moved(actor=self.user(OFFICE), case_id=self.cases["drive_moved"],
                                      note="车主为后勤职工，接通知后已将车辆开走。")

    # --- afterwards ---------------------------------------------------------------------------
    def backdate(self) -> None:
        """``created_at`` of the cases, drives and photos: when they happened in the replay."""
        for model, pk, at in self.stamps:
            model.objects.filter(pk=pk).update(created_at=at)
        for case_id, at in AbandonedVehicleCase.objects.values_list("pk", "created_at"):
            CasePhoto.objects.filter(case_id=case_id, stage=CasePhoto.Stage.SIGHTING).update(
                created_at=at)
