"""The demo's traffic duty posts (交通执勤岗), replayed through the real duty-post services.

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay (each run inside :func:`clock.frozen` at its time, all before
now), ``backdate()`` runs after it, ``counts`` goes into the summary.

- **Setup** (:data:`SETUP_DAYS` days back): a 12-period class timetable (作息时间表) on every
  campus; six posts — the north and east gates, the main building, the central square and
  the 康乐餐厅 canteen on 兴庆校区, the student canteen on 创新港校区 — with duty times tied to
  the periods (before period 1, the break after period 2, lunch after period 4, before
  period 5, the evening peak after period 8) and all-day gate duties, guards rostered
  (guard_xq1, guard_xq2, shift_leader, guard_cx1).
- **Every day since**: the day's duties are planned at 00:10; the rostered guards sign in by
  QR (sometimes by the typed code), a few minutes before the start or a little late; about
  one duty in twelve stays unstaffed and the office is alerted; now and then a sign-in is far
  from the post or by a guard who is not rostered; some duties get a log line.
- **Today**: every duty of today is planned; those running or over are staffed, except the
  north gate's, which stay unstaffed, so the live list shows both whenever it is opened
  during the day.
"""

import datetime as dt
import random
import uuid
from decimal import Decimal

from safecampus.accounts.models import User
from safecampus.core import clock
from safecampus.notifications.models import Delivery, Notification
from safecampus.organisation.models import Place
from safecampus.traffic.models import (
    ClassPeriod,
    DutyPost,
    PostDuty,
    PostLogEntry,
    PostSignIn,
)
from safecampus.traffic.services import posts as services

MINUTE = dt.timedelta(minutes=1)
SETUP_DAYS = 21
OFFICE = "inspector1"
TIMETABLE = [("08:00", "08:45"), ("08:55", "09:40"), ("10:00", "10:45"), ("10:55", "11:40"),
             ("14:00", "14:45"), ("14:55", "15:40"), ("16:00", "16:45"), ("16:55", "17:40"),
             ("19:00", "19:45"), ("19:55", "20:40"), ("20:50", "21:35"), ("21:45", "22:30")]
#: (name, campus, kind, place code, latitude, longitude, duties)
POSTS = [
    ("北门", "xingqing", "gate", "xq-gate-n", "34.250910", "108.983260",
     "早高峰引导车辆减速、行人走人行道，禁止车辆在门口停车上下客。"),
    ("东门", "xingqing", "gate", "xq-gate-e", "34.247380", "108.987540",
     "出入车辆疏导，外来车辆核验放行，门口禁停。"),
    ("主楼前", "xingqing", "teaching", "xq-main-hall", "34.246620", "108.983010",
     "上下课人流高峰时段禁止机动车驶入主楼前广场，电动车靠右慢行。"),
    ("中心广场路口", "xingqing", "crossing", "xq-square", "34.245810", "108.982420",
     "十字路口人车分流，课间时段拦停机动车让行人通过。"),
    ("康乐餐厅", "xingqing", "canteen", "xq-canteen-dining", "34.243540", "108.983700",
     "就餐高峰禁止车辆驶入餐厅前道路，电动车在指定区域停放。"),
    ("创新港学生餐厅", "chuangxin", "canteen", "cx-canteen-dining", "34.262410", "108.654830",
     "就餐高峰疏导餐厅门口电动车和外卖车辆。"),
]
# (post, name, anchor, period, before, after, fixed start, fixed end, weekdays, guards)
DUTY_TIMES = [
    ("北门", "早高峰（第1节前）", "class_start", 1, 30, 10, None, None, "12345", ["guard_xq1"]),
    ("北门", "门岗执勤（全天）", "fixed", None, 0, 0, "07:00", "22:00", "1234567",
     ["guard_xq1"]),
    ("东门", "校门执勤（全天）", "fixed", None, 0, 0, "07:30", "21:30", "1234567",
     ["guard_xq2"]),
    ("东门", "晚高峰（第8节下课）", "class_end", 8, 10, 30, None, None, "12345",
     ["shift_leader"]),
    ("主楼前", "上课前（第1节）", "class_start", 1, 20, 5, None, None, "12345", ["guard_xq2"]),
    ("主楼前", "上午放学（第4节下课）", "class_end", 4, 5, 20, None, None, "12345",
     ["guard_xq2"]),
    ("中心广场路口", "大课间（第2节下课）", "class_end", 2, 5, 20, None, None, "12345",
     ["guard_xq1"]),
    ("中心广场路口", "下午上课前（第5节）", "class_start", 5, 20, 5, None, None, "12345",
     ["guard_xq1"]),
    ("中心广场路口", "晚自习前（第9节）", "class_start", 9, 20, 5, None, None, "1234567",
     ["guard_xq1"]),
    ("康乐餐厅", "午餐高峰", "class_end", 4, 0, 50, None, None, "1234567",
     ["guard_xq1", "shift_leader"]),
    ("康乐餐厅", "晚餐高峰", "fixed", None, 0, 0, "17:30", "18:30", "1234567", ["shift_leader"]),
    ("创新港学生餐厅", "午餐高峰", "class_end", 4, 0, 50, None, None, "1234567", ["guard_cx1"]),
]
#: Today this post stays unstaffed: its all-day duty shows a red row in the live list from
#: 07:05 to 22:00, whenever the demo is opened during the day.
UNSTAFFED_TODAY = "北门"
UNSTAFFED_SHARE = 0.08
LOG_LINES = [
    ("congestion", "放学高峰车辆排队至路口，已引导车辆绕行。"),
    ("congestion", "外卖电动车在门口聚集，已劝离至指定区域。"),
    ("incident", "一辆电动车与行人轻微剐蹭，双方协商处理，无人受伤。"),
    ("note", "门口临时停放的送货车已联系司机挪走。"),
    ("note", "雨天路滑，已提醒电动车减速慢行。"),
    ("handover", "交接：北侧护栏一处松动，已报后勤维修。"),
]


def _time(text: str | None) -> dt.time | None:
    return dt.time.fromisoformat(text) if text else None


class DutyPostDemo:
    """Builds the demo's duty posts, daily duties, sign-ins and log as timed events."""

    def __init__(self, rng: random.Random, world, now: dt.datetime):
        self.rng, self.world, self.now = rng, world, now
        self.zone = clock.local_zone()
        self.today = now.astimezone(self.zone).date()
        self.first_day = self.today - dt.timedelta(days=SETUP_DAYS)
        self.setup_at = dt.datetime.combine(self.first_day, dt.time(9, 0), tzinfo=self.zone)
        self.posts: dict[str, DutyPost] = {}
        self.users: dict[str, User] = {}
        self.counts: dict[str, int] = {}

    def user(self, username: str) -> User:
        if username not in self.users:
            self.users[username] = User.objects.get(username=username)
        return self.users[username]

    # --- the plan ----------------------------------------------------------------------------
    def bounds(self, spec, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """Local start and end of a DUTY_TIMES row on ``day`` (as the services compute it)."""
        _post, _name, anchor, period, before, after, start, end, _days, _guards = spec
        if anchor == "fixed":
            return (dt.datetime.combine(day, _time(start), tzinfo=self.zone),
                    dt.datetime.combine(day, _time(end), tzinfo=self.zone))
        starts, ends = TIMETABLE[period - 1]
        base = dt.datetime.combine(day, _time(starts if anchor == "class_start" else ends),
                                   tzinfo=self.zone)
        return base - before * MINUTE, base + after * MINUTE

    def events(self) -> list[tuple[dt.datetime, object]]:
        """``(when, callable)`` pairs for the loader's replay (all before now)."""
        rng = self.rng
        events: list = [(self.setup_at, self.setup)]
        day = self.first_day + dt.timedelta(days=1)
        while day <= self.today:
            plan_at = dt.datetime.combine(day, dt.time(0, 10), tzinfo=self.zone)
            if plan_at < self.now:
                events.append((plan_at, lambda d=day: services.post_duties_plan(day=d)))
            for spec in DUTY_TIMES:
                if str(day.isoweekday()) not in spec[8]:
                    continue
                start, end = self.bounds(spec, day)
                post, guards = spec[0], spec[9]
                if day == self.today:
                    unstaffed = post == UNSTAFFED_TODAY
                else:
                    unstaffed = rng.random() < UNSTAFFED_SHARE
                if unstaffed:
                    alert_at = start + 6 * MINUTE
                    if alert_at < self.now:
                        events.append((alert_at, lambda a=alert_at:
                                       services.post_unstaffed_alert(at=a)))
                    continue
                for index, guard in enumerate(guards):
                    at = start + dt.timedelta(seconds=rng.randint(-12 * 60, 4 * 60 + index * 90))
                    if at >= self.now:
                        continue
                    events.append((at, self._sign_in(post, guard, at, far=rng.random() < 0.05)))
                if rng.random() < 0.07 and start < self.now:  # a guard standing in
                    at = start + rng.randint(0, 3) * MINUTE
                    if at < self.now:
                        events.append((at, self._sign_in(post, "guard_xq2" if post != "北门"
                                                         else "guard_xq1", at)))
                if rng.random() < 0.25:
                    at = start + rng.randint(5, max(6, int((end - start) / MINUTE) - 2)) * MINUTE
                    if at < self.now:
                        kind, text = rng.choice(LOG_LINES)
                        events.append((at, self._log(post, guards[0], kind, text, at)))
            day += dt.timedelta(days=1)
        return events

    # --- the events --------------------------------------------------------------------------
    def setup(self) -> None:
        office = self.user(OFFICE)
        for campus in self.world.campuses.values():
            services.class_timetable_set(actor=office, campus_id=campus.pk, periods=[
                (_time(a), _time(b)) for a, b in TIMETABLE])
        for name, campus, kind, place, lat, lon, duties in POSTS:
            place_obj = Place.objects.filter(code=place).first()
            self.posts[name] = services.post_create(
                actor=office, campus_id=self.world.campuses[campus].pk, name=name, kind=kind,
                place_id=place_obj.pk if place_obj else None, duties=duties, latitude=lat,
                longitude=lon, radius_m=120)
        for post, name, anchor, period, before, after, start, end, days, guards in DUTY_TIMES:
            campus_id = self.posts[post].campus_id
            period_id = (ClassPeriod.objects.get(campus_id=campus_id, number=period).pk
                         if period else None)
            services.duty_time_create(
                actor=office, post_id=self.posts[post].pk, name=name, anchor=anchor,
                class_period_id=period_id, minutes_before=before, minutes_after=after,
                starts_at=_time(start), ends_at=_time(end), weekdays=days,
                guard_ids=[self.user(g).pk for g in guards])
        services.post_duties_plan(day=self.first_day)

    def _sign_in(self, post: str, guard: str, at: dt.datetime, *, far: bool = False):
        client_id = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        manual = self.rng.random() < 0.2
        jitter = (Decimal(self.rng.randint(-40, 40)) / 1_000_000,
                  Decimal(self.rng.randint(-40, 40)) / 1_000_000)

        def run():
            target = self.posts[post]
            lat, lon = target.latitude + jitter[0], target.longitude + jitter[1]
            if far:  # signed in from the duty room, about 600 m away
                lat += Decimal("0.005400")
            services.post_sign_in(
                actor=self.user(guard),
                code=target.manual_code if manual else services.post_url(target),
                signed_at=at, client_id=client_id, latitude=lat, longitude=lon,
                method="manual" if manual else "qr")
        return run

    def _log(self, post: str, guard: str, kind: str, text: str, at: dt.datetime):
        def run():
            services.post_log_add(actor=self.user(guard), post_id=self.posts[post].pk,
                                  kind=kind, text=text, logged_at=at)
        return run

    def backdate(self) -> None:
        """``created_at`` of the replayed records and the time of the unstaffed alerts: when
        they happened in the replay."""
        for duty in PostDuty.objects.all():
            planned = dt.datetime.combine(duty.duty_date, dt.time(0, 10), tzinfo=self.zone)
            PostDuty.objects.filter(pk=duty.pk).update(created_at=min(planned, self.now))
        for model, field in ((PostSignIn, "received_at"), (PostLogEntry, "logged_at")):
            for pk, at in model.objects.values_list("pk", field):
                model.objects.filter(pk=pk).update(created_at=at)
        DutyPost.objects.update(created_at=self.setup_at)
        grace = dt.timedelta(minutes=6)
        starts = dict(PostDuty.objects.values_list("pk", "starts_at"))
        for note in Notification.objects.filter(verb="traffic.post_unstaffed"):
            duty_id = int(note.dedupe_key.split(":")[2])
            at = starts.get(duty_id)
            if at is None:
                continue
            Notification.objects.filter(pk=note.pk).update(created_at=at + grace)
            Delivery.objects.filter(notification=note, sent_at__isnull=False).update(
                sent_at=at + grace)
        self.counts = {
            "duty_posts": DutyPost.objects.count(),
            "post_duties": PostDuty.objects.count(),
            "post_sign_ins": PostSignIn.objects.count(),
            "post_duties_unstaffed": PostDuty.objects.filter(
                first_sign_in_at__isnull=True, starts_at__lt=self.now).count(),
        }
