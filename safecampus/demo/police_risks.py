"""The demo's police risk register, replayed through the real services.

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay, ``backdate()`` runs after it, ``counts`` goes into the summary.

About 70 risk points over the four campuses, from the world's places (labs and hazardous
goods stores, dormitory e-bike charging, canteen kitchens' gas, gates at peak hours, car
parks, special equipment, waterside), a library construction site and a graduation ceremony.
Each is registered, graded (LEC or matrix) and given control measures during the last year,
then published; some are reassessed (history), a few are overdue for review, two carry open
review requests and one stays a draft without a responsible person. Places' risk levels
follow through the services.
"""

import datetime as dt
import random

from django.conf import settings

from safecampus.core import clock
from safecampus.organisation.models import Building, Unit
from safecampus.police.services import risk_reviews as reviews
from safecampus.police.services import risks as services

# LEC values (L, E, C) and matrix grades (likelihood, severity) giving each level.
LEC = {"major": [(6, 6, 15), (3, 6, 40), (10, 6, 7), (6, 3, 40)],
       "high": [(3, 6, 15), (6, 3, 15), (6, 6, 7), (3, 10, 7)],
       "moderate": [(3, 6, 7), (1, 6, 15), (3, 3, 15), (6, 2, 7), (10, 1, 7)],
       "low": [(1, 6, 7), (3, 3, 3), (1, 3, 7), (0.5, 6, 15), (1, 2, 15)]}
MATRIX = {"major": [(4, 5), (5, 4), (5, 5)], "high": [(3, 4), (4, 4), (3, 5), (4, 3)],
          "moderate": [(2, 3), (3, 3), (2, 4), (3, 2)], "low": [(1, 3), (2, 2), (1, 4), (1, 5)]}
TIERS = ["university", "unit", "team", "post"]
LEVEL_TIER = {"major": 0, "high": 1, "moderate": 2, "low": 3}

# kind → (name suffix, hazard factors, possible accidents, weights of major/high/moderate/low,
#          measures as (kind, text))
TEMPLATES = {
    "hazardous_goods": ("", "易燃易爆及有毒化学品集中存放；通风不良时可燃气体积聚；领用登记不全",
                        "火灾、爆炸、中毒", (1, 0, 0, 0), [
        ("engineering", "防爆柜分类存放，安装可燃气体报警器与强制排风"),
        ("management", "双人双锁、领用登记与每日巡查，台账每周核对"),
        ("emergency", "配置吸附棉、洗眼器和专用灭火器，每学期演练一次")]),
    "lab": ("", "实验操作使用易燃试剂和高温设备；学生操作不规范；废液暂存", "火灾、灼烫、中毒",
            (0, 3, 5, 2), [
        ("management", "实验室准入培训与考试，实验记录签字"),
        ("engineering", "通风橱定期检测，电气线路专用回路"),
        ("protection", "配备护目镜、防护手套和实验服")]),
    "charging": ("", "电动车集中停放充电；私拉电线、改装电池；夜间无人值守", "火灾、人员伤亡",
                 (1, 4, 3, 1), [
        ("engineering", "安装智能充电桩（定时断电、过载保护）和视频监控"),
        ("management", "禁止电动车进楼入户，宿管每晚巡查"),
        ("training", "新生入学电动车安全教育")]),
    "dormitory": ("", "违规使用大功率电器；楼道堆放杂物；吸烟", "火灾、拥挤踩踏", (0, 1, 5, 4), [
        ("management", "宿管员每周查寝，违规电器登记收缴"),
        ("training", "每学期一次宿舍消防疏散演练")]),
    "canteen": ("", "后厨使用管道燃气；油烟管道积油；刀具和高温设备", "燃气泄漏、火灾、烫伤",
                (1, 4, 3, 0), [
        ("engineering", "安装燃气泄漏报警与自动切断装置"),
        ("management", "每日开关火检查记录，油烟管道每季度清洗"),
        ("emergency", "配置灭火毯和湿式化学灭火器，员工每季度演练")]),
    "gate": ("（早晚高峰）", "上下学高峰人车混行；外卖车辆聚集；社会车辆强行进入", "交通事故、拥挤",
             (0, 1, 4, 3), [
        ("management", "高峰时段校卫队与交警联合执勤，人车分流"),
        ("engineering", "设置隔离护栏与减速带")]),
    "car_park": ("", "车辆进出频繁；照明不足；消防通道被占用", "车辆剐蹭、人员碰撞", (0, 1, 3, 4), [
        ("management", "划线停车、专人巡查消防通道"),
        ("engineering", "加装照明与反光镜")]),
    "equipment": ("", "特种设备长期运行；维保不到位；超载使用", "困人、机械伤害", (0, 2, 4, 2), [
        ("management", "特种设备定期检验，维保单位每半月维保"),
        ("emergency", "设置应急电话，维保单位30分钟到场")]),
    "water": ("", "水域无护栏；夜间照明不足；冬季结冰", "溺水", (0, 2, 4, 1), [
        ("engineering", "沿岸设置护栏、警示牌和救生圈"),
        ("management", "夜间巡逻加密，冬季冰面禁行")]),
    "venue": ("", "人员密集；疏散通道狭窄；临时用电", "拥挤踩踏、火灾", (0, 1, 3, 3), [
        ("management", "大型活动报备审批，控制人数"),
        ("emergency", "明确疏散路线与引导人员")]),
    "construction": ("", "深基坑和高处作业；塔吊交叉作业；施工车辆进出校园", "坍塌、高处坠落、物体打击",
                     (1, 0, 0, 0), [
        ("engineering", "施工区域硬质围挡，与师生通道物理隔离"),
        ("management", "项目部安全员旁站监督，每日班前教育"),
        ("emergency", "应急物资储备，与校医院建立联动")]),
}


def _kind_of(place) -> str | None:
    name = place.name
    if "危化品" in name or "化学品暂存" in name or "气瓶" in name:
        return "hazardous_goods"
    if "电动车" in name or "充电" in name:
        return "charging"
    if "工地" in name:
        return "construction"
    if "湖" in name:
        return "water"
    if "电梯" in name or "锅炉" in name or "配电" in name:
        return "equipment"
    if "报告厅" in name or "比赛馆" in name or "广场" in name or "就餐" in name:
        return "venue"
    if place.kind == "canteen":
        return "canteen"
    return {"lab": "lab", "dormitory": "dormitory", "gate": "gate",
            "car_park": "car_park"}.get(place.kind)


class RiskDemo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.counts: dict[str, int] = {}
        self.ids: dict[int, int] = {}  # plan index → risk point id

    # --- planning -----------------------------------------------------------------------------
    def _plans(self) -> list[dict]:
        rng = self.rng
        plans = []
        for place in self.world.places:
            kind = _kind_of(place)
            if kind is None:
                continue
            plans.append({"place_id": place.pk, "kind": kind,
                          "name": f"{place}{TEMPLATES[kind][0]}", "unit_id": place.unit_id
                          or (place.building.unit_id if place.building_id else None)})
        rng.shuffle(plans)
        plans = plans[:66]
        lib = Building.objects.filter(name="图书馆").order_by("pk").first()
        infra = Unit.objects.filter(code="infra").first()
        if lib is not None:
            plans.append({"building_id": lib.pk, "kind": "construction",
                          "name": "图书馆改扩建工地", "location_text": "图书馆北侧",
                          "unit_id": infra.pk if infra else lib.unit_id})
        square = next((p for p in self.world.places if "广场" in p.name), None)
        if square is not None:
            plans.append({"place_id": square.pk, "kind": "large_event",
                          "name": "毕业典礼（6月，约8000人）", "unit_id": Unit.objects.filter(
                              code="security").values_list("pk", flat=True).first()})
        return plans

    def events(self) -> list:
        rng = self.rng
        plans = self._plans()
        events = []
        today = self.now.astimezone(clock.local_zone()).date()
        review_days = settings.SAFECAMPUS["RISK_REVIEW_DAYS"]
        overdue = set(rng.sample(range(len(plans) - 1), 4))
        draft = len(plans) - 1  # the last: a draft without a responsible person
        for index, plan in enumerate(plans):
            kind = plan["kind"]
            weights = TEMPLATES.get(kind, TEMPLATES["venue"])[3]
            level = rng.choices(["major", "high", "moderate", "low"], weights=weights)[0]
            first = self.now - dt.timedelta(days=rng.randint(30, 330), hours=rng.randint(0, 8))
            cycle = None
            if index in overdue:
                cycle = 30
                first = self.now - dt.timedelta(days=rng.randint(40, 75), hours=2)
            plan.update(level=level, cycle=cycle, lec=rng.random() < 0.65)
            events.append((first, lambda i=index, p=plan: self.register(i, p, draft=(i == draft))))
            if index == draft:
                continue
            # Reassessments: on time (periodic), after an incident, so the next review lies ahead.
            at, current = first, level
            while index not in overdue:
                days = review_days[current]
                due = (at + dt.timedelta(days=days)).astimezone(clock.local_zone()).date()
                if due > today and rng.random() < 0.8:
                    break
                at = at + dt.timedelta(days=min(days, max(10, (self.now - at).days - 1)) -
                                       rng.randint(0, 7))
                if at >= self.now:
                    break
                if rng.random() < 0.15:  # a reassessment that moves the level one step
                    order = ["major", "high", "moderate", "low"]
                    step = order.index(current) + rng.choice([-1, 1])
                    current = order[min(3, max(0, step))]
                reason = rng.choice(["periodic", "periodic", "incident", "change"])
                events.append((at, lambda i=index, lv=current, r=reason:
                               self.reassess(i, lv, r)))
                if (at + dt.timedelta(days=review_days[current])).astimezone(
                        clock.local_zone()).date() > today:
                    break
        # Two open review requests in the last weeks.
        for n, index in enumerate(rng.sample([i for i in range(len(plans) - 1)
                                              if i not in overdue], 2)):
            events.append((self.now - dt.timedelta(days=3 + 5 * n, hours=1),
                           lambda i=index, n=n: self.request_review(i, n)))
        return events

    # --- replayed steps -----------------------------------------------------------------------
    def _person(self, unit_id):
        return self.world.contacts.get(unit_id) if unit_id else None

    def register(self, index: int, plan: dict, *, draft: bool) -> None:
        rng = self.rng
        actor = self.world.office_head
        template = TEMPLATES.get(plan["kind"], TEMPLATES["venue"])
        unit_id = plan.get("unit_id") or Unit.objects.filter(code="logistics").values_list(
            "pk", flat=True).first()
        person = None if draft else self._person(unit_id)
        if person is None and not draft:
            person = self.world.office_head
        hazard_factors = template[1]
        if plan["kind"] == "large_event":
            hazard_factors = "数千名毕业生与家长集中入场；临时舞台与用电；高温天气"
        point = services.risk_point_register(actor=actor, data={
            "name": plan["name"][:120], "kind": plan["kind"], "place_id": plan.get("place_id"),
            "building_id": plan.get("building_id"), "location_text": plan.get("location_text", ""),
            "hazard_factors": hazard_factors, "possible_accidents": template[2],
            "responsible_unit_id": unit_id,
            "responsible_person_id": person.pk if person else None,
            "review_cycle_days": plan["cycle"],
            "shared_with_partners": rng.random() < 0.85})
        self.ids[index] = point.pk
        self._assess(point.pk, plan["level"], "initial", lec=plan["lec"])
        level_tier = LEVEL_TIER[plan["level"]]
        for n, (kind, text) in enumerate(template[4][:rng.randint(1, len(template[4]))]):
            tier = TIERS[min(3, level_tier + n)]
            services.control_measure_add(actor=actor, risk_point_id=point.pk, kind=kind,
                                         description=text, tier=tier,
                                         responsible_unit_id=unit_id,
                                         responsible_person_id=person.pk if person else None)
        if not draft:
            services.risk_point_publish(actor=actor, risk_point_id=point.pk)

    def _assess(self, point_id: int, level: str, reason: str, *, lec: bool, actor=None):
        rng = self.rng
        actor = actor or self.world.office_head
        if lec:
            l, e, c = rng.choice(LEC[level])  # noqa: E741
            services.risk_point_assess(actor=actor, risk_point_id=point_id, method="lec",
                                       lec_l=l, lec_e=e, lec_c=c, reason=reason)
        else:
            li, se = rng.choice(MATRIX[level])
            services.risk_point_assess(actor=actor, risk_point_id=point_id, method="matrix",
                                       likelihood=li, severity=se, reason=reason)

    def reassess(self, index: int, level: str, reason: str) -> None:
        point_id = self.ids.get(index)
        if point_id is None:
            return
        self._assess(point_id, level, reason, lec=self.rng.random() < 0.6)

    def request_review(self, index: int, n: int) -> None:
        point_id = self.ids.get(index)
        if point_id is None:
            return
        texts = ["辖区派出所通报：近期校园周边发生多起电动车电池被盗及充电起火警情，建议复评。",
                 "联席会议研判：该区域人流量明显增加，请重新评估风险等级并完善管控措施。"]
        reviews.risk_review_request(actor=self.world.office_head, risk_point_id=point_id,
                                    reason=texts[n % 2])

    def backdate(self) -> None:
        from safecampus.police.models import RiskAssessment, RiskPoint, RiskReview

        self.counts = {
            "risk_points": RiskPoint.objects.count(),
            "risk_published": RiskPoint.objects.filter(state="published").count(),
            "risk_assessments": RiskAssessment.objects.count(),
            "risk_overdue": RiskPoint.objects.filter(
                state="published", next_review_on__lte=clock.local_today()).count(),
            "risk_major": RiskPoint.objects.filter(state="published", level="major").count(),
            "risk_reviews_open": RiskReview.objects.filter(assessment__isnull=True).count(),
        }


__all__ = ["RiskDemo"]
