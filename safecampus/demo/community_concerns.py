"""The demo's community voice: concerns (replayed through the real services).

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay, ``backdate()`` runs after it, ``counts`` goes into the summary.

Ten concern categories (two with questions; 消防通道 goes straight into the hazard loop as a
fire hazard), and about a hundred concerns by the demo's students and teachers over the last
six months, some anonymous, in every state and way of closing: answered, fixed at once,
planned (done or still open), turned into hazards (some already rectified or rejected, which
the sync closes), duplicates, and a few still awaiting the office — one of them overdue.
About fifteen are on the public board, most closed ones are rated (mostly 4–5), one was
reopened and answered again, one board entry had its text hidden and a photo blurred.
"""

import datetime as dt
import random

from safecampus.community.models import CategoryAttribute, Concern, ConcernCategory
from safecampus.community.services import concerns as services
from safecampus.core import clock
from safecampus.hazards import services as hazard_services
from safecampus.hazards.models import HazardCategory

from .images import photo_jpeg

# code, name, English name, group, keywords, working days to answer, hazard category code
CATEGORIES = [
    ("parking", "停车难", "Parking", "交通", "车位,停车,停车场", 3, None),
    ("lighting", "道路照明", "Road lighting", "设施", "路灯,照明,太黑", 5, None),
    ("ebike-charging", "电动车充电", "E-bike charging", "消防", "充电桩,电动车,飞线充电", 3, None),
    ("delivery", "快递外卖进校", "Deliveries", "秩序", "快递,外卖,骑手", 3, None),
    ("access", "门禁与访客", "Gates and visitors", "秩序", "门禁,访客,刷脸,校门", 3, None),
    ("dormitory", "宿舍安全", "Dormitory safety", "安全", "宿舍,公寓,推销", 3, None),
    ("fire-exit", "消防通道", "Fire exits", "消防", "消防通道,安全出口,堵塞", 2, "fire"),
    ("traffic-order", "交通秩序", "Traffic order", "交通", "超速,逆行,斑马线", 5, None),
    ("fraud", "电信诈骗", "Telecom fraud", "反诈", "诈骗,刷单,冒充客服", 2, None),
    ("other", "其他", "Other", "", "", 5, None),
]
# code → [(title, description, answer)]
TEXTS = {
    "parking": [
        ("东门晚上停车位不够", "晚自习后东门附近基本找不到车位，只能停到路边。",
         "已协调东门外临时停车区，晚 18:00 后向教职工和访客开放。"),
        ("图书馆地下车库长期被外来车辆占用", "很多车一停就是好几天，疑似校外人员。",
         "已对长期停放车辆逐一联系车主，外来车辆按访客规定限时停放。"),
        ("北门停车场收费标准不清楚", "收费牌看不清，不知道访客怎么收费。",
         "已更换收费公示牌，并在小程序中公布标准。"),
    ],
    "lighting": [
        ("梧桐大道路灯不亮", "晚上十点后梧桐大道南段一片漆黑，走路很害怕。",
         "已报修并更换 6 盏路灯，夜间巡逻经过该路段。"),
        ("宿舍区小路太黑", "从食堂回宿舍的小路没有路灯。", "已列入照明改造计划，先加装临时太阳能灯。"),
    ],
    "ebike-charging": [
        ("宿舍楼下充电桩不够用", "晚上排队充电，有人从楼上拉线充电。",
         "已增设 40 个充电端口，并对飞线充电开展专项检查。"),
        ("充电桩扫码后不通电", "东区 3 号充电棚好几个桩坏了。", "已通知运维单位维修，现已恢复。"),
    ],
    "delivery": [
        ("外卖骑手在校内骑车太快", "骑手在人行道上逆行，差点撞到人。",
         "已在校门设外卖取餐点，骑手不再进入教学区。"),
        ("快递柜不够，包裹堆在路边", "双十一期间包裹放在路边没人管。", "已增设临时快递点并安排值守。"),
    ],
    "access": [
        ("南门刷脸闸机经常识别不了", "早上高峰排长队。", "已升级闸机识别算法，高峰期增派门岗。"),
        ("访客预约流程太复杂", "家长来校要填很多信息。", "已简化访客预约，只需姓名、手机号和事由。"),
    ],
    "dormitory": [
        ("宿舍楼里有人挨门推销", "自称学长推销电话卡，还要身份证号。",
         "已加强宿舍楼门禁查验，宿管发现推销人员立即劝离并报告保卫处。"),
        ("宿舍楼门禁晚上不锁", "晚上 12 点后门还开着。", "已调整门禁时间并安排宿管夜间巡查。"),
    ],
    "fire-exit": [
        ("宿舍楼消防通道堆放杂物", "一楼安全出口被自行车和纸箱堵住。", ""),
        ("实验楼安全出口被上锁", "三楼安全出口白天也锁着。", ""),
    ],
    "traffic-order": [
        ("东西主干道车辆超速", "上课高峰车速很快，学生过马路危险。",
         "已在东西主干道增设减速带和限速标志。"),
        ("斑马线处车辆不礼让", "教学楼前斑马线车辆不停。", "已在该路口增设交通执勤岗，早晚高峰值守。"),
    ],
    "fraud": [
        ("收到冒充辅导员的诈骗短信", "让我加 QQ 群交资料费。",
         "这是典型的冒充熟人诈骗。请勿转账，已在全校发布预警。"),
        ("网上兼职刷单是不是诈骗", "有人说刷单能赚佣金，先要垫付。",
         "刷单返利就是诈骗，凡是要求先垫付的都是骗局。如已转账请立即报警。"),
    ],
    "other": [
        ("校园里流浪狗太多", "晚上有狗追人。", "已联系后勤与动物保护组织，对流浪犬进行收容。"),
        ("体育馆更衣室柜子坏了", "柜门锁不上，东西容易丢。", "已转体育部报修并更换柜锁。"),
    ],
}
# (days ago, outcome): the last six months. Outcomes: answer, fix, plan_done, planned,
# hazard, duplicate, open (awaiting the office).
OUTCOMES = (["answer"] * 30 + ["fix"] * 15 + ["plan_done"] * 12 + ["planned"] * 6
            + ["hazard"] * 8 + ["duplicate"] * 5)
RECENT_OPEN = 8
COLOURS = {"parking": (60, 90, 160), "lighting": (40, 40, 70), "ebike-charging": (60, 140, 90),
           "delivery": (200, 120, 40), "access": (90, 90, 90), "dormitory": (150, 110, 80),
           "fire-exit": (190, 50, 40), "traffic-order": (120, 120, 40), "fraud": (120, 60, 140),
           "other": (100, 100, 100)}


class ConcernDemo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.zone = clock.local_zone()
        self.counts: dict[str, int] = {}
        self.concerns: dict[int, Concern] = {}
        self.texts: dict[int, tuple[str, str]] = {}
        self.categories = self._categories()

    # --- configuration ----------------------------------------------------------------------
    def _categories(self) -> dict[str, ConcernCategory]:
        hazard_categories = {c.code: c for c in HazardCategory.objects.all()}
        made = {}
        for order, (code, name, name_en, group, keywords, days, hazard) in enumerate(
                CATEGORIES, start=1):
            made[code] = ConcernCategory.objects.create(
                code=code, name=name, name_en=name_en, group=group, keywords=keywords,
                answer_days=days, sort_order=order * 10,
                hazard_category=hazard_categories.get(hazard) if hazard else None)
        lighting = made["lighting"]
        CategoryAttribute.objects.create(category=lighting, code="road", description="路段",
                                         datatype="string", required=True, order=1,
                                         datatype_description="例如：梧桐大道南段")
        CategoryAttribute.objects.create(
            category=lighting, code="period", description="时段", datatype="singlevaluelist",
            order=2, values=[{"key": "dusk", "name": "傍晚"}, {"key": "night", "name": "深夜"},
                             {"key": "allnight", "name": "整夜"}])
        charging = made["ebike-charging"]
        CategoryAttribute.objects.create(category=charging, code="ports",
                                         description="大约缺多少个充电口", datatype="number",
                                         order=1)
        return made

    # --- the story ----------------------------------------------------------------------------
    def at(self, days_ago: float, hour: int | None = None) -> dt.datetime:
        moment = self.now - dt.timedelta(days=days_ago)
        if hour is None:
            return moment
        day = moment.astimezone(self.zone).date()
        return dt.datetime.combine(day, dt.time(hour, self.rng.randint(0, 59)),
                                   tzinfo=self.zone)

    def office(self):
        return self.rng.choice(self.world.inspectors)

    def events(self) -> list:
        rng = self.rng
        plans = []
        outcomes = OUTCOMES[:]
        rng.shuffle(outcomes)
        for n, outcome in enumerate(outcomes):
            # Plans still open were made lately (their target dates mostly still ahead).
            days_ago = rng.uniform(8, 30) if outcome == "planned" else rng.uniform(8, 178)
            code = rng.choice([c for c in TEXTS if c != "fire-exit"]) if outcome != "hazard" \
                else rng.choice(["fire-exit", "dormitory", "ebike-charging"])
            plans.append((n, code, days_ago, outcome))
        base = len(plans)
        for k in range(RECENT_OPEN):
            plans.append((base + k, rng.choice([c for c in TEXTS if c != "fire-exit"]),
                          rng.uniform(0.1, 1.5), "open"))
        plans.append((base + RECENT_OPEN, "parking", 12, "open"))  # overdue, awaiting
        events = []
        for n, code, days_ago, outcome in plans:
            submitted = self.at(days_ago, rng.randint(8, 22))
            if submitted >= self.now:
                submitted = self.now - dt.timedelta(hours=1)
            events.append((submitted, lambda n=n, code=code, outcome=outcome:
                           self.submit(n, code, outcome)))
            if outcome == "open":
                continue
            triage = submitted + dt.timedelta(hours=rng.uniform(3, 50))
            events.append((triage, lambda n=n, outcome=outcome: self.triage(n, outcome)))
            closes = triage
            if outcome == "plan_done":
                closes = triage + dt.timedelta(days=rng.uniform(5, 20))
                events.append((closes, lambda n=n: self.complete(n)))
            if outcome == "hazard":
                closes = triage + dt.timedelta(days=rng.uniform(1, 4))
                events.append((closes, lambda n=n: self.hazard_ends(n)))
            if outcome in ("answer", "fix", "plan_done", "hazard", "duplicate"):
                events.append((closes + dt.timedelta(hours=rng.uniform(4, 40)),
                               lambda n=n: self.rate(n)))
            if outcome in ("answer", "fix", "plan_done") and n % 4 == 0:
                events.append((closes + dt.timedelta(hours=6), lambda n=n: self.publish(n)))
        reopened = next(n for n, _c, d, o in plans if o == "answer" and 20 < d < 150)
        start = self.at(0) - dt.timedelta(days=[d for n, _c, d, _o in plans if n == reopened][0])
        events.append((start + dt.timedelta(days=4), lambda: self.reopen(reopened)))
        events.append((start + dt.timedelta(days=6), lambda: self.answer_again(reopened)))
        moderated = next(n for n, _c, d, o in plans if o == "answer" and n % 4 == 0 and d > 30)
        start = self.at(0) - dt.timedelta(days=[d for n, _c, d, _o in plans if n == moderated][0])
        events.append((start + dt.timedelta(days=10), lambda: self.moderate(moderated)))
        return [(when, call) for when, call in events if when < self.now]

    def place_for(self, campus):
        places = [p for p in self.world.places if p.campus_id == campus.pk]
        return self.rng.choice(places) if places and self.rng.random() < 0.6 else None

    def submit(self, n: int, code: str, outcome: str) -> None:
        rng = self.rng
        title, description, _answer = rng.choice(TEXTS[code])
        campus = rng.choice(list(self.world.campuses.values()))
        place = self.place_for(campus)
        attributes = {}
        if code == "lighting":
            attributes = {"road": place.name if place else "梧桐大道南段",
                          "period": rng.choice(["dusk", "night", "allnight"])}
        elif code == "ebike-charging" and rng.random() < 0.5:
            attributes = {"ports": str(rng.choice([10, 20, 30]))}
        photos = ([photo_jpeg(rng, COLOURS[code], name=f"concern-{n}-{i}.jpg")
                   for i in range(rng.choice([0, 0, 1, 2]))] if n % 4 or code == "fire-exit"
                  else [photo_jpeg(rng, COLOURS[code], name=f"concern-{n}.jpg")])
        self.concerns[n] = services.concern_submit(
            actor=rng.choice(self.world.community), category_id=self.categories[code].pk,
            title=title, description=description, campus_id=campus.pk,
            building_id=place.building_id if place else None,
            place_id=place.pk if place else None, attributes=attributes,
            is_anonymous=rng.random() < 0.2, photos=photos)
        self.texts[n] = (code, title)

    def _answer(self, n: int) -> str:
        code, title = self.texts[n]
        return next((a for t, _d, a in TEXTS[code] if t == title and a), "已收到，保卫处已处理。")

    def _fresh(self, n: int) -> Concern:
        self.concerns[n] = Concern.objects.get(pk=self.concerns[n].pk)
        return self.concerns[n]

    def triage(self, n: int, outcome: str) -> None:
        concern = self._fresh(n)
        office = self.office()
        if concern.state == Concern.State.HAZARD:
            return  # went straight into the hazard loop (消防通道)
        if outcome == "answer":
            services.concern_answer(actor=office, concern_id=concern.pk, answer=self._answer(n))
        elif outcome == "fix":
            services.concern_fix(actor=office, concern_id=concern.pk,
                                 answer="已立行立改：" + self._answer(n))
        elif outcome in ("plan_done", "planned"):
            today = clock.local_today()
            target = today + dt.timedelta(days=self.rng.randint(10, 40)) if outcome == "planned" \
                else today + dt.timedelta(days=self.rng.randint(7, 25))
            unit = self.rng.choice([u for u in self.world.units.values()
                                    if u.code in ("logistics", "infra", "housing", "transport")]
                                   or [None])
            services.concern_plan(actor=office, concern_id=concern.pk, target_date=target,
                                  answer="已列入整改计划：" + self._answer(n),
                                  handling_unit_id=unit.pk if unit else None)
        elif outcome == "hazard":
            services.concern_to_hazard(actor=office, concern_id=concern.pk,
                                       hazard_category_id=HazardCategory.objects.get(
                                           code="fire").pk)
        elif outcome == "duplicate":
            earlier = Concern.objects.filter(
                category=concern.category, submitted_at__lt=concern.submitted_at).exclude(
                pk=concern.pk).order_by("submitted_at").first()
            if earlier is None:
                services.concern_answer(actor=office, concern_id=concern.pk,
                                        answer=self._answer(n))
            else:
                services.concern_mark_duplicate(actor=office, concern_id=concern.pk,
                                                duplicate_of_number=earlier.number)

    def complete(self, n: int) -> None:
        concern = self._fresh(n)
        if concern.state == Concern.State.PLANNED:
            services.concern_complete(actor=self.office(), concern_id=concern.pk,
                                      answer="计划整改已完成：" + self._answer(n))

    def hazard_ends(self, n: int) -> None:
        """The hazard of a concern is handled: most fixed on the spot, some rejected."""
        concern = self._fresh(n)
        if concern.hazard_id is None:
            return
        office = self.office()
        if self.rng.random() < 0.25:
            hazard_services.hazard_reject(actor=office, hazard_id=concern.hazard_id,
                                          reason="经现场核查不属于安全隐患，已转相关部门处理。")
        elif self.rng.random() < 0.8:
            hazard_services.hazard_confirm(actor=office, hazard_id=concern.hazard_id,
                                           grade="general")
            hazard_services.hazard_fix_on_spot(
                actor=office, hazard_id=concern.hazard_id, text="现场已清理，通道恢复畅通。",
                photos=[photo_jpeg(self.rng, COLOURS["fire-exit"], after=True)])
        services.concern_hazards_sync()

    def rate(self, n: int) -> None:
        concern = self._fresh(n)
        if concern.state != Concern.State.CLOSED or concern.rating is not None \
                or self.rng.random() < 0.3:
            return
        rating = self.rng.choice([5, 5, 5, 4, 4, 4, 3, 2])
        comment = {5: "处理很及时，谢谢！", 4: "满意", 3: "还可以，希望更快一些", 2: "问题没有根本解决"}
        services.concern_rate(actor=concern.submitter, concern_id=concern.pk, rating=rating,
                              comment=comment[rating] if self.rng.random() < 0.6 else "")

    def publish(self, n: int) -> None:
        concern = self._fresh(n)
        if concern.answer and not concern.is_public:
            services.concern_publish(actor=self.world.office_head, concern_id=concern.pk)

    def reopen(self, n: int) -> None:
        concern = self._fresh(n)
        if concern.state != Concern.State.CLOSED:
            return
        if concern.rating is None:
            services.concern_rate(actor=concern.submitter, concern_id=concern.pk, rating=2,
                                  comment="问题没有根本解决")
        services.concern_reopen(actor=concern.submitter, concern_id=concern.pk,
                                reason="答复后情况没有改善，晚上还是一样。")

    def answer_again(self, n: int) -> None:
        concern = self._fresh(n)
        if concern.state == Concern.State.SUBMITTED:
            services.concern_answer(actor=self.world.office_head, concern_id=concern.pk,
                                    answer="再次核查后已增派人员并安排每晚巡查，请继续反馈。")
            services.concern_rate(actor=concern.submitter, concern_id=concern.pk, rating=4,
                                  comment="这次解决了")

    def moderate(self, n: int) -> None:
        concern = self._fresh(n)
        if not concern.is_public:
            services.concern_publish(actor=self.world.office_head, concern_id=concern.pk)
        services.concern_moderate(actor=self.world.office_head, concern_id=concern.pk,
                                  hide_text=True, reason="内容含他人个人信息")
        photo = concern.photos.filter(redacted=False).first()
        if photo is not None:
            services.concern_photo_redact(actor=self.world.office_head, photo_id=photo.pk,
                                          reason="照片中可辨认他人面部")

    def backdate(self) -> None:
        from django.db.models import F

        Concern.objects.update(created_at=F("submitted_at"))
        self.counts = {
            "concerns": Concern.objects.count(),
            "concerns_public": Concern.objects.filter(is_public=True).count(),
        }
