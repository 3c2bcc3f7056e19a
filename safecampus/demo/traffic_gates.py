"""The demo's gate records (出入记录). Same interface as :class:`TrafficDemo`: ``events()`` for
the replay, ``backdate()`` after it, ``counts`` for the summary.

- **Gates** (2–3 per campus) added by the office through the gate service 46 days ago.
- **45 days of passes** up to now, written in bulk after the replay (a few thousand; one
  imported file per week, uploaded two hours after its last pass or, this week's, just now):
  the registered vehicles and some unregistered staff cars commute on working days (in 7–9,
  out 17–20, one in twenty stays the night, a few come at weekends); visitors come once for a
  few hours (some without a plate: 无牌车); two cars came in 40 and 43 days ago and never
  left: long-stay candidates the office can turn into cases from the page.
- **A rejected upload** yesterday through the real import: a file naming a gate nobody has
  added (东门2), so the import history shows the problem report.

Every time written (``created_at`` included) is the replayed time or earlier: none is after
the ``now`` the demo was loaded at.
"""

import datetime as dt
import hashlib
import random

from django.core.files.uploadedfile import SimpleUploadedFile

from safecampus.accounts.models import User
from safecampus.core import clock
from safecampus.traffic.models import Gate, GateImport, GateRecord, Vehicle
from safecampus.traffic.services import gates as services

OFFICE = "inspector2"
DAYS = 45
#: campus code → (code, name) of its gates
GATES = {
    "xingqing": [("XQ-N", "兴庆北门"), ("XQ-E", "兴庆东门"), ("XQ-S", "兴庆南门")],
    "chuangxin": [("CX-1", "创新港1号门"), ("CX-2", "创新港2号门")],
    "yanta": [("YT-W", "雁塔西门"), ("YT-N", "雁塔北门")],
    "qujiang": [("QJ-S", "曲江南门"), ("QJ-E", "曲江东门")],
}
#: Two cars that came in and never left: (plate, gate code, days ago, hour).
LONG_STAYS = [("陕A5K721", "XQ-N", 43, 21), ("陕UD23817", "YT-W", 40, 8)]
PROVINCES = "陕陕陕陕陕京豫甘川"
LETTERS = "ABCDEFGHJK"


def _backdate(record) -> None:
    """``created_at``/``updated_at`` (set by the database's clock) to the replayed time."""
    type(record).objects.filter(pk=record.pk).update(created_at=clock.now(),
                                                    updated_at=clock.now())


class GateDemo:
    def __init__(self, rng: random.Random, world, now: dt.datetime):
        self.rng, self.world, self.now = rng, world, now
        self.counts: dict[str, int] = {}
        self.zone = clock.local_zone()
        self.today = now.astimezone(self.zone).date()

    def at(self, days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
        day = self.today - dt.timedelta(days=days_ago)
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.zone)

    def events(self) -> list:
        return [(self.at(DAYS + 1, 9, 10), self.setup),
                (self.at(1, 9, 40), self.rejected_upload)]

    def office(self) -> User:
        return User.objects.get(username=OFFICE)

    def setup(self) -> None:
        office = self.office()
        for code, gates in GATES.items():
            campus = self.world.campuses[code]
            for gate_code, name in gates:
                gate = services.gate_create(actor=office, campus_id=campus.pk, name=name,
                                            code=gate_code)
                _backdate(gate)

    def rejected_upload(self) -> None:
        lines = ["车牌号码,通道,方向,通行时间,车辆类型,车牌颜色",
                 "陕A3M105,XQ-N,入场,{d} 07:52:10,小型车,蓝",
                 "陕A3M105,东门2,出场,{d} 18:05:44,小型车,蓝",
                 "无牌车,XQ-E,入场,{d} 10:12:03,,"]
        day = (self.today - dt.timedelta(days=2)).isoformat()
        data = ("\r\n".join(lines).format(d=day) + "\r\n").encode("gbk")
        job = services.gate_import_upload(
            actor=self.office(), uploaded_file=SimpleUploadedFile(
                f"出入记录_{day}.csv", data, content_type="text/csv"))
        services.gate_import_run(import_id=job.pk)
        _backdate(job)

    def _plate(self) -> str:
        rng = self.rng
        return (rng.choice(PROVINCES) + rng.choice(LETTERS)
                + "".join(rng.choice("0123456789") for _ in range(5)))

    def backdate(self) -> None:
        """The passes of the last :data:`DAYS` days, in bulk, one import per week."""
        rng = self.rng
        gates = {g.code: g for g in Gate.objects.select_related("campus")}
        if not gates:
            return
        by_campus: dict[int, list[Gate]] = {}
        for gate in gates.values():
            by_campus.setdefault(gate.campus_id, []).append(gate)
        campus_ids = list(by_campus)
        registered = [(plate, rng.choice(campus_ids)) for plate in Vehicle.objects.exclude(
            plate="").order_by("pk").values_list("plate", flat=True)]
        commuters = registered + [(self._plate(), rng.choice(campus_ids)) for _ in range(30)]
        inside: set[str] = set()
        rows: list[tuple[str, str, Gate, dt.datetime]] = []
        for days_ago in range(DAYS, -1, -1):
            day = self.today - dt.timedelta(days=days_ago)
            workday = day.weekday() < 5
            for plate, campus_id in commuters:
                gate = rng.choice(by_campus[campus_id])
                if plate not in inside:
                    if not workday and rng.random() > 0.1:
                        continue
                    if workday and rng.random() < 0.08:  # leave, illness, travel
                        continue
                    rows.append((plate, "in", gate, self.at(days_ago, rng.randint(7, 8),
                                                            rng.randrange(60))))
                if rng.random() < 0.05:
                    inside.add(plate)
                    continue
                inside.discard(plate)
                rows.append((plate, "out", gate, self.at(days_ago, rng.randint(17, 19),
                                                         rng.randrange(60))))
            for _ in range(rng.randint(25, 45)):
                plate = "" if rng.random() < 0.04 else self._plate()
                gate = rng.choice(list(gates.values()))
                come = self.at(days_ago, rng.randint(8, 18), rng.randrange(60))
                rows.append((plate, "in", gate, come))
                rows.append((plate, "out", gate,
                             come + dt.timedelta(minutes=rng.randint(15, 240))))
        for plate, code, days_ago, hour in LONG_STAYS:
            rows.append((plate, "in", gates[code], self.at(days_ago, hour, 12)))
        rows = sorted((r for r in rows if r[3] < self.now), key=lambda r: r[3])
        office = self.office()
        weeks: dict[int, list] = {}
        for row in rows:
            weeks.setdefault((self.today - row[3].astimezone(self.zone).date()).days // 7,
                             []).append(row)
        for week, week_rows in sorted(weeks.items(), reverse=True):
            first, last = week_rows[0][3], week_rows[-1][3]
            name = f"出入记录_{first.astimezone(self.zone):%Y%m%d}-{last.astimezone(self.zone):%Y%m%d}.csv"
            # Uploaded two hours after its last pass, but never after now: this week's file,
            # with passes of the last hours, was uploaded just now.
            imported = min(last + dt.timedelta(hours=2), self.now)
            job = GateImport.objects.create(
                created_by=office, original_name=name, file=f"imports/gates/demo/{week}.csv",
                digest=hashlib.sha256(name.encode()).hexdigest(),
                state=GateImport.State.IMPORTED, rows_read=len(week_rows),
                imported_count=len(week_rows), first_passed_at=first, last_passed_at=last,
                imported_at=imported)
            GateImport.objects.filter(pk=job.pk).update(created_at=imported, updated_at=imported)
            GateRecord.objects.bulk_create(
                [GateRecord(gate=gate, plate=plate, direction=direction, passed_at=at, batch=job)
                 for plate, direction, gate, at in week_rows], batch_size=2000)
        self.counts = {"gates": len(gates), "gate_records": len(rows),
                       "gate_imports": GateImport.objects.count()}
