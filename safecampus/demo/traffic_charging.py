"""The demo's charging points (充电设施), replayed through the charging services.

- **Setup** (62 days back): e-bike charging sheds by the dormitories of every campus and a
  few EV chargers per campus, run by three operators (names invented for the demo) under
  contracts of the logistics unit (后勤保障部), so faults reach its safety contact; each
  station has the operator's id its session files use.
- **Sessions** (the last 60 days): generated per station and day with the real shape of
  campus charging: e-bikes plugged in from the evening (peak 19:00–23:00, many overnight
  until the morning), a smaller lunchtime peak; EVs by day (08:00–18:00). Written with
  ``bulk_create`` (a few thousand rows; keeps ``demo_load`` fast).
- **Faults**: one fixed a few weeks ago (the station back in service) and one open: the
  demo account ``student`` reported a smoking socket at 东区1号学生公寓's shed with a
  photo; it became a hazard routed to logistics and the shed is in "fault".
"""

import datetime as dt
import io
import math
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from safecampus.accounts.models import User
from safecampus.core import clock
from safecampus.organisation.models import Place
from safecampus.traffic.models import ChargingFault, ChargingSession, ChargingStation
from safecampus.traffic.services import charging as services

SETUP_DAYS = 62
SESSION_DAYS = 60
OPERATORS = ("安充智能科技有限公司", "绿驰新能源服务有限公司", "秦能充电运营有限公司")
# (campus, place code or None, name, kind, points, operator index, operator's id)
STATIONS = [
    ("xingqing", "xq-d1-bike", "东区1号学生公寓电动车充电棚", "ebike", 40, 0, "AC-XQ-001"),
    ("xingqing", "xq-d2-2f", "东区2号学生公寓北侧充电棚", "ebike", 30, 0, "AC-XQ-002"),
    ("xingqing", "xq-canteen-dining", "康乐餐厅西侧充电桩", "ebike", 16, 0, "AC-XQ-003"),
    ("xingqing", "xq-park-n", "北门停车场电动汽车充电桩", "ev", 6, 1, "LC-XQ-101"),
    ("chuangxin", "cx-dh-bike", "弘毅书院电动车充电棚", "ebike", 48, 2, "QN-CX-001"),
    ("chuangxin", "cx-dd-3f", "笃行书院楼前充电棚", "ebike", 36, 2, "QN-CX-002"),
    ("chuangxin", "cx-charge", "新能源汽车充电站", "ev", 12, 1, "LC-CX-101"),
    ("yanta", "yt-dorm-2f", "雁塔学生公寓充电棚", "ebike", 24, 0, "AC-YT-001"),
    ("yanta", "yt-park", "雁塔停车场充电桩", "ev", 4, 1, "LC-YT-101"),
    ("qujiang", "qj-dorm-5f", "曲江学生公寓充电棚", "ebike", 24, 2, "QN-QJ-001"),
    ("qujiang", "qj-park", "曲江停车场充电桩", "ev", 4, 1, "LC-QJ-101"),
]
OPEN_FAULT = ("AC-XQ-001", "12号插座充电时冒烟，有明显焦糊味，已有同学拔掉插头，请尽快检修。")
FIXED_FAULT = ("QN-CX-001", "充电棚第3排的刷卡器屏幕不亮，无法扫码充电。", "运营方已更换刷卡器主板。")


def socket_photo(rng: random.Random) -> SimpleUploadedFile:
    """A 320×240 JPEG: a row of charging sockets on a wall, one blackened."""
    image = Image.new("RGB", (320, 240), (205, 205, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 170, 320, 240], fill=(120, 120, 115))
    burnt = rng.randint(1, 4)
    for i in range(6):
        x = 20 + 50 * i
        draw.rounded_rectangle([x, 60, x + 40, 120], radius=6, fill=(235, 235, 235),
                               outline=(90, 90, 90), width=2)
        draw.ellipse([x + 12, 80, x + 28, 96], fill=(60, 60, 60))
        if i == burnt:
            draw.ellipse([x - 6, 50, x + 46, 126], fill=(40, 35, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return SimpleUploadedFile("socket.jpg", buffer.getvalue(), content_type="image/jpeg")


class ChargingDemo:
    def __init__(self, rng: random.Random, world, now: dt.datetime):
        self.rng, self.world, self.now = rng, world, now
        self.today = now.astimezone(clock.local_zone()).date()
        self.setup_at = self._local(self.today - dt.timedelta(days=SETUP_DAYS), 10, 0)
        self.stamps: list[tuple[dt.datetime, int]] = []  # station creation times
        self.fault_stamps: list[tuple[dt.datetime, int]] = []
        self.counts: dict[str, int] = {"charging_stations": 0, "charging_sessions": 0,
                                       "charging_faults": 0}

    @staticmethod
    def _local(day: dt.date, hour: int, minute: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clock.local_zone())

    def events(self) -> list:
        """``(when, callable)`` pairs for the loader's replay (all before now)."""
        fixed_report = self._local(self.today - dt.timedelta(days=24), 21, 12)
        fixed_done = self._local(self.today - dt.timedelta(days=22), 15, 40)
        open_report = self._local(self.today - dt.timedelta(days=1), 22, 37)
        return [(self.setup_at, self.setup),
                (self.setup_at + dt.timedelta(minutes=30), self.sessions),
                (fixed_report, self.fixed_fault_report),
                (fixed_done, self.fixed_fault_fix),
                (open_report, self.open_fault)]

    def user(self, username: str) -> User:
        return User.objects.get(username=username)

    def setup(self) -> None:
        office = self.user("inspector2")
        logistics = self.world.units.get("logistics")
        places = {p.code: p for p in Place.objects.filter(code__in=[s[1] for s in STATIONS])}
        for campus, place, name, kind, points, operator, external_id in STATIONS:
            station = services.charging_station_create(
                actor=office, campus_id=self.world.campuses[campus].pk,
                place_id=places[place].pk if place in places else None, name=name, kind=kind,
                points=points, operator_name=OPERATORS[operator],
                operator_unit_id=logistics.pk if logistics else None, external_id=external_id)
            self.stamps.append((clock.now(), station.pk))
        self.counts["charging_stations"] = len(STATIONS)

    def _starts(self, kind: str, points: int) -> list[tuple[float, float]]:
        """``(start hour, hours)`` of one day's sessions at a station of ``kind``."""
        rng = self.rng
        out = []
        if kind == "ebike":
            for _ in range(rng.randint(int(points * 0.5), int(points * 0.9))):
                if rng.random() < 0.7:  # evening, often overnight
                    start = rng.gauss(20.5, 1.6)
                    hours = rng.choice([rng.uniform(3, 6), rng.uniform(7, 10)])
                else:  # lunchtime top-up or daytime
                    start = rng.gauss(12.5, 2.2)
                    hours = rng.uniform(1, 4)
                out.append((start % 24, hours))
        else:
            for _ in range(rng.randint(points, points * 2)):
                out.append((min(max(rng.gauss(12, 3), 7), 20), rng.uniform(0.5, 3)))
        return out

    def sessions(self) -> None:
        """Sessions of the last 60 days at every station (charging points never double-booked
        beyond the station's points: a session that finds the station full is dropped)."""
        rng = self.rng
        rows = []
        for station in ChargingStation.objects.order_by("pk"):
            number = 0
            busy: list[dt.datetime] = []  # end times of sessions in progress
            for offset in range(SESSION_DAYS, 0, -1):
                day = self.today - dt.timedelta(days=offset)
                weekend = day.weekday() >= 5
                for start_hour, hours in sorted(self._starts(station.kind, station.points)):
                    if weekend and rng.random() < 0.25:
                        continue
                    started = self._local(day, int(start_hour), int(start_hour % 1 * 60))
                    ended = started + dt.timedelta(hours=hours)
                    if ended > self.now:
                        continue
                    busy = [end for end in busy if end > started]
                    if len(busy) >= station.points:
                        continue
                    busy.append(ended)
                    number += 1
                    watts = 400 if station.kind == "ebike" else 7000
                    energy = int(watts * min(hours, 5 if station.kind == "ebike" else hours)
                                 * rng.uniform(0.6, 1.0))
                    rows.append(ChargingSession(
                        station=station, external_id=f"{station.external_id}-{number:05d}",
                        user_ref=f"U{rng.randint(1000, 9999)}",
                        started_at=started.astimezone(dt.UTC),
                        ended_at=ended.astimezone(dt.UTC), energy_wh=energy,
                        plug=str(rng.randint(1, station.points))))
        ChargingSession.objects.bulk_create(rows, batch_size=2000)
        self.counts["charging_sessions"] = len(rows)

    def _station(self, external_id: str) -> ChargingStation:
        return ChargingStation.objects.get(external_id=external_id)

    def _student(self) -> User:
        community = self.world.community
        return community[math.floor(self.rng.random() * len(community))] if community else (
            self.user("student1"))

    def fixed_fault_report(self) -> None:
        external_id, text, _done = FIXED_FAULT
        self.fixed = services.charging_fault_report(
            actor=self._student(), station_id=self._station(external_id).pk, description=text)
        self.fault_stamps.append((clock.now(), self.fixed.pk))
        self.counts["charging_faults"] += 1

    def fixed_fault_fix(self) -> None:
        services.charging_fault_fix(actor=self.user("inspector2"), fault_id=self.fixed.pk,
                                    comment=FIXED_FAULT[2])

    def open_fault(self) -> None:
        external_id, text = OPEN_FAULT
        reporter = User.objects.filter(username="student").first() or self._student()
        fault = services.charging_fault_report(
            actor=reporter, station_id=self._station(external_id).pk, description=text,
            photos=[socket_photo(self.rng)])
        self.fault_stamps.append((clock.now(), fault.pk))
        self.counts["charging_faults"] += 1

    def backdate(self) -> None:
        """``created_at`` of stations and faults: when they happened in the replay."""
        for at, pk in self.stamps:
            ChargingStation.objects.filter(pk=pk).update(created_at=at)
        for at, pk in self.fault_stamps:
            ChargingFault.objects.filter(pk=pk).update(created_at=at)
