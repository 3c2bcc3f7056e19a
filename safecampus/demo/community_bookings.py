"""The demo's community voice: services units order from the office (订单式服务), replayed
through the real services.

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay, ``backdate()`` runs after it, ``counts`` goes into the summary.

Six services, each with two to four questions, lead times in working or calendar days and
SLAs from 24 to 72 hours. About forty bookings by the demo units' safety contacts over the
last four months, for dates up to a month ahead: most delivered (some rated, a couple held
on another day than booked), some declined or cancelled, the recent ones accepted with staff
(office staff and the campus's guards) or still awaiting the office — one of them past its
SLA — and two decided after their SLA.
"""

import datetime as dt
import random

from django.db.models import F

from safecampus.accounts.models import User
from safecampus.community.models import ServiceField, ServiceItem, ServiceRequest
from safecampus.community.models.bookings import NUMBER_MAX_DEFAULT, NUMBER_MIN_DEFAULT
from safecampus.community.services import bookings as services
from safecampus.core import clock
from safecampus.core.errors import DomainError
from safecampus.organisation.models import Unit

OFFICE = "inspector1"
HEAD = "office_head"
STAFF = ["inspector1", "inspector2", "inspector3", "inspector4"]
K = ServiceField.Kind

# (code, name, English name, description, lead days, in working days, SLA hours, minutes,
#  per day, start hours, questions: (code, label, kind, required, options))
SERVICES = [
    ("event-security", "大型活动安保", "Event security",
     "为校内大型活动（晚会、运动会、招聘会等）制定安保方案，派出校卫队维护秩序、疏导人流。",
     5, True, 48, 240, 0, [9, 14, 18],
     [("attendance", "预计参加人数", K.NUMBER, True, []),
      ("event_kind", "活动类型", K.CHOICE, True, ["文艺演出", "体育赛事", "招聘会", "学术会议"]),
      ("outside_guests", "是否有校外人员参加", K.BOOLEAN, False, []),
      ("plan", "活动流程简介", K.TEXTAREA, False, [])]),
    ("safety-talk", "安全教育讲座", "Safety talk",
     "保卫处派员到学院、书院开展安全教育讲座，内容可选消防、防诈骗、实验室安全等。",
     3, True, 24, 90, 2, [10, 14, 19],
     [("audience", "听众人数", K.NUMBER, True, []),
      ("topic", "讲座主题", K.CHOICE, True, ["防范电信网络诈骗", "消防安全", "实验室安全",
                                           "交通安全"]),
      ("devices", "需要的设备", K.MULTICHOICE, False, ["投影仪", "话筒", "音响"])]),
    ("fire-drill", "消防演练", "Fire drill",
     "组织宿舍楼、教学楼、实验楼疏散演练和灭火器实操，演练后提交总结。",
     7, False, 48, 120, 1, [9, 15],
     [("building", "演练楼宇", K.TEXT, True, []),
      ("participants", "参演人数", K.NUMBER, True, []),
      ("extinguisher", "需要灭火器实操", K.BOOLEAN, False, [])]),
    ("lab-check", "实验室安全检查", "Lab safety check",
     "对实验室危化品、气瓶、用电和废弃物处置进行专项检查，当场反馈问题清单。",
     3, True, 24, 120, 0, [9, 14],
     [("labs", "检查的实验室数量", K.NUMBER, True, []),
      ("hazards", "涉及的危险源", K.MULTICHOICE, True, ["危险化学品", "压力气瓶", "生物样本",
                                                     "高压电"])]),
    ("ceremony-traffic", "典礼交通管制", "Ceremony traffic control",
     "开学典礼、毕业典礼等活动期间对周边道路实施临时交通管制，安排停车和接驳。",
     5, True, 72, 180, 0, [8, 15],
     [("vehicles", "预计车辆数", K.NUMBER, True, []),
      ("roads", "需要管制的道路", K.TEXT, True, []),
      ("shuttle", "需要接驳车", K.BOOLEAN, False, [])]),
    ("anti-fraud-class", "反诈宣讲进班级", "Anti-fraud talk in class",
     "民警和保卫处干部进班级开展反诈宣讲，结合真实案例讲解常见诈骗手法。",
     2, True, 24, 45, 3, [12, 19],
     [("classes", "班级", K.TEXT, True, []),
      ("grade", "年级", K.CHOICE, True, ["大一", "大二", "大三", "大四", "研究生"])]),
]
#: The range each whole-number question accepts (how many people, labs, vehicles).
NUMBER_RANGES = {"attendance": (1, 50_000), "audience": (1, 2_000), "participants": (1, 5_000),
                 "labs": (1, 500), "vehicles": (1, 5_000)}
DEFAULT_RANGE = (NUMBER_MIN_DEFAULT, NUMBER_MAX_DEFAULT)
UNITS = ["chem", "mech", "elec", "energy", "materials", "life", "humanities", "mgmt",
         "medical", "info", "boya", "zhixing", "hongyi", "duxing", "students", "housing"]
WHERE = ["学生活动中心报告厅", "体育馆", "主楼前广场", "学院一楼大厅", "宿舍区中心广场",
         "图书馆报告厅", "东操场"]
DECLINE = ["当天保卫处另有重大活动安保任务，建议改期。", "活动规模超出校内安保能力，请联系属地派出所备案。",
           "申请内容不属于保卫处服务范围。"]
CANCEL = ["活动因天气原因取消。", "学院调整了活动安排。", "主讲嘉宾时间冲突，活动延期。"]
COMMENTS = ["准备充分，讲解生动。", "现场秩序良好，感谢保卫处支持。", "时间安排再提前一些就更好了。",
            "演练组织有序，师生反映收获很大。", ""]
DONE = ["按方案完成，现场秩序良好，无安全事件。", "讲座完成，现场答疑二十分钟。",
        "演练完成，疏散用时三分十秒，已反馈改进建议。", "检查完成，当场反馈问题清单并督促整改。"]


class ServiceDemo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.zone = clock.local_zone()
        self.items: dict[str, ServiceItem] = {}
        self.requests: dict[int, ServiceRequest] = {}
        self.counts: dict[str, int] = {}

    # --- the catalogue (set up before the replay, as the administrator would) -----------------
    def _catalogue(self) -> None:
        for order, (code, name, name_en, text, lead, workdays, sla, minutes, per_day, _h,
                    questions) in enumerate(SERVICES, start=1):
            item = ServiceItem.objects.create(
                code=code, name=name, name_en=name_en, description=text, lead_days=lead,
                lead_in_workdays=workdays, sla_hours=sla, duration_minutes=minutes,
                daily_capacity=per_day, sort_order=order)
            ServiceField.objects.bulk_create([
                ServiceField(item=item, code=q[0], label=q[1], kind=q[2], required=q[3],
                             options=q[4], position=n,
                             min_value=NUMBER_RANGES.get(q[0], DEFAULT_RANGE)[0],
                             max_value=NUMBER_RANGES.get(q[0], DEFAULT_RANGE)[1])
                for n, q in enumerate(questions)])
            self.items[code] = item

    def _answers(self, code: str) -> dict:
        rng = self.rng
        answers = {}
        for q_code, _label, kind, required, options in next(s for s in SERVICES
                                                             if s[0] == code)[10]:
            if not required and rng.random() < 0.3:
                continue
            if kind == K.NUMBER:
                answers[q_code] = rng.choice([30, 45, 60, 80, 120, 200, 300, 500])
            elif kind == K.CHOICE:
                answers[q_code] = rng.choice(options)
            elif kind == K.MULTICHOICE:
                answers[q_code] = rng.sample(options, rng.randint(1, min(2, len(options))))
            elif kind == K.BOOLEAN:
                answers[q_code] = rng.random() < 0.5
            elif q_code == "building":
                answers[q_code] = rng.choice(["东区学生公寓3号楼", "主楼A座", "化学楼", "图书馆"])
            elif q_code == "roads":
                answers[q_code] = rng.choice(["南门至体育馆", "东门主干道", "校内环路北段"])
            elif q_code == "classes":
                answers[q_code] = rng.choice(["化工2301班", "机械2402班", "电气2305、2306班"])
            else:
                answers[q_code] = "活动时间约两小时，请提前半小时到场。"
        return answers

    # --- the plan --------------------------------------------------------------------------------
    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.zone)

    def events(self) -> list:
        self._catalogue()
        rng = self.rng
        events = []
        today = self.now.astimezone(self.zone).date()
        taken: set[tuple[str, dt.date]] = set()
        total = 40
        late_decisions = {7, 19}  # decided after the SLA
        for n in range(total):
            spec = SERVICES[n % len(SERVICES)]
            code, lead, start_hours = spec[0], spec[4], spec[9]
            item = self.items[code]
            # Booked from ~120 days ago up to yesterday; the last few recently.
            days_ago = int(120 * (1 - n / total)) + rng.randint(0, 3)
            if n >= total - 4:
                days_ago = 3 if n == total - 1 else rng.choice([1, 2, 3])
            booked_at = self.at(today - dt.timedelta(days=max(days_ago, 1)),
                                rng.randint(8, 17), rng.choice([0, 15, 30, 45]))
            earliest = services.earliest_by_lead_time(item, booked_at.astimezone(
                self.zone).date())
            day = earliest + dt.timedelta(days=rng.randint(0, 12 if lead < 5 else 20))
            while (code, day) in taken and item.daily_capacity == 1:
                day += dt.timedelta(days=1)
            taken.add((code, day))
            hour = rng.choice(start_hours)
            start = self.at(day, hour)
            minutes = item.duration_minutes
            events.append((booked_at, lambda n=n, code=code, day=day, hour=hour:
                           self.book(n, code, day, hour)))
            recent = booked_at > self.now - dt.timedelta(hours=spec[6])
            roll = rng.random()
            if n == total - 1:
                # booked three days ago and still waiting: past its SLA
                continue
            if recent and roll < 0.6:
                continue  # still awaiting the office
            decide_hours = spec[6] + rng.randint(2, 20) if n in late_decisions else (
                rng.uniform(1, spec[6] * 0.8))
            decided_at = booked_at + dt.timedelta(hours=decide_hours)
            if roll > 0.88 and start > decided_at:
                events.append((decided_at, lambda n=n: self.decline(n)))
                continue
            actual = start
            if n % 11 == 5:  # held on another day than booked
                actual = start + dt.timedelta(days=rng.choice([1, 2]))
            events.append((decided_at, lambda n=n, s=start, m=minutes:
                           self.accept(n, s, s + dt.timedelta(minutes=m))))
            if actual != start:
                moved_at = decided_at + (start - decided_at) / 2
                events.append((moved_at, lambda n=n, d=actual - start:
                               self.reschedule(n, d)))
            if roll < 0.08 and start > decided_at + dt.timedelta(days=1):
                events.append((decided_at + dt.timedelta(hours=20),
                               lambda n=n: self.cancel(n)))
                continue
            delivered_at = actual + dt.timedelta(minutes=minutes + rng.randint(20, 180))
            events.append((delivered_at, lambda n=n: self.deliver(n)))
            if rng.random() < 0.8:
                events.append((delivered_at + dt.timedelta(hours=rng.randint(4, 60)),
                               lambda n=n: self.rate(n)))
        return [(when, call) for when, call in events if when < self.now]

    # --- steps -----------------------------------------------------------------------------------
    def user(self, username: str) -> User:
        return User.objects.get(username=username)

    def book(self, n: int, code: str, day: dt.date, hour: int) -> None:
        unit = Unit.objects.get(code=UNITS[n % len(UNITS)])
        contact = self.world.contacts[unit.pk]
        place = self.rng.choice(self.world.places)
        item = self.items[code]
        end = (dt.datetime.combine(day, dt.time(hour)) + dt.timedelta(
            minutes=item.duration_minutes)).time()
        free = services.first_free_day(item, day)
        self.requests[n] = services.service_request_submit(
            actor=User.objects.get(pk=contact.pk), item_id=item.pk, unit_id=unit.pk,
            service_date=free, start_time=dt.time(hour),
            end_time=end if end > dt.time(hour) else None, campus_id=place.campus_id,
            place_id=place.pk if self.rng.random() < 0.6 else None,
            location_text=self.rng.choice(WHERE), contact_phone=unit.phone or "029-8000-0000",
            notes=self.rng.choice(["", "", "请提前一天电话确认。", "活动有校领导出席。"]),
            answers=self._answers(code))

    def _staff(self, request: ServiceRequest) -> list[User]:
        guards = self.world.guards.get(request.campus_id, [])
        office = [self.user(u) for u in self.rng.sample(STAFF, 1 if guards else 2)]
        return office + self.rng.sample(guards, min(len(guards), self.rng.randint(0, 2)))

    def _schedule(self, call, n: int, start, end) -> None:
        request = self.requests[n]
        staff = self._staff(request)
        kwargs = {"actor": self.user(OFFICE), "request_id": request.pk,
                  "scheduled_start": start, "scheduled_end": end,
                  "staff_ids": [u.pk for u in staff], "lead_id": staff[0].pk}
        try:
            call(**kwargs, office_note=self.rng.choice(["", "请提前准备场地并保持电话畅通。"]))
        except DomainError:  # someone is already on another booking then: the office knows
            call(**kwargs, allow_overlap=True)

    def accept(self, n: int, start, end) -> None:
        # the schedule follows the booked date, whatever day the booking landed on
        request = self.requests[n]
        shift = request.service_date - start.astimezone(self.zone).date()
        self._schedule(services.service_request_accept, n, start + shift, end + shift)

    def reschedule(self, n: int, later: dt.timedelta) -> None:
        """Moved ``later`` than scheduled (held on another day than booked)."""
        request = ServiceRequest.objects.get(pk=self.requests[n].pk)
        if request.state != ServiceRequest.State.ACCEPTED:
            return
        self._schedule(services.service_request_reschedule, n,
                       request.scheduled_start + later, request.scheduled_end + later)

    def decline(self, n: int) -> None:
        services.service_request_decline(actor=self.user(HEAD),
                                         request_id=self.requests[n].pk,
                                         reason=self.rng.choice(DECLINE))

    def cancel(self, n: int) -> None:
        request = self.requests[n]
        services.service_request_cancel(actor=request.requested_by, request_id=request.pk,
                                        reason=self.rng.choice(CANCEL))

    def deliver(self, n: int) -> None:
        request = ServiceRequest.objects.get(pk=self.requests[n].pk)
        if request.state != ServiceRequest.State.ACCEPTED or not services.service_started(
                request):
            return
        services.service_request_deliver(
            actor=self.user(OFFICE), request_id=request.pk, delivery_note=self.rng.choice(DONE),
            people_reached=self.rng.choice([None, 40, 85, 120, 260, 600]))

    def rate(self, n: int) -> None:
        request = ServiceRequest.objects.get(pk=self.requests[n].pk)
        if request.state != ServiceRequest.State.DELIVERED:
            return
        services.service_request_rate(
            actor=request.requested_by, request_id=request.pk,
            rating=self.rng.choice([5, 5, 5, 4, 4, 3, 2]), comment=self.rng.choice(COMMENTS))

    def backdate(self) -> None:
        ServiceRequest.objects.update(created_at=F("submitted_at"))
        self.counts = {
            "services": ServiceItem.objects.count(),
            "service_requests": ServiceRequest.objects.count(),
        }
