"""The demo's education activities area, replayed through the real services.

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay (each run inside :func:`clock.frozen` at its time, all before
now), ``backdate()`` runs after it, ``counts`` goes into the summary.

- **Setup**: three terms (last spring, this term containing today, next spring; the demo's
  terms tile the year so that "today" always has a term), five partners (雁塔派出所,
  兴庆路派出所, 各学院, 青年志愿者协会, 消防救援站).
- **Last spring**: a lecture and a fire drill.
- **This term**: the anti-fraud month (e.g. 2026年秋季反诈宣传月, the four weeks up to today)
  with about 25 held activities — booths outside the four canteens handing out printed tissue
  packs and leaflets, evening dorm visits to four of the six dormitory buildings (笃行书院
  and 曲江 apartments stay unreached, so coverage lists them), classroom talks recorded by the
  colleges' counsellors for some classes, lectures with the police stations, an online
  course for every campus; a fire-safety month with an evacuation drill; one booth cancelled
  for rain; three activities planned for the coming days.
"""

import datetime as dt
import random

from safecampus.accounts.models import User
from safecampus.core import clock
from safecampus.education.models import Activity, Campaign, Partner, Term
from safecampus.education.services import activities as services
from safecampus.organisation.models import Building, ClassGroup, Place, Unit

from .images import photo_jpeg

OFFICE = "inspector1"
PARTNERS = [("雁塔派出所", "police_station", "029-8521-0110"),
            ("兴庆路派出所", "police_station", "029-8321-0110"),
            ("各学院", "college", ""),
            ("青年志愿者协会", "volunteers", "校团委"),
            ("消防救援站", "fire_brigade", "119")]
#: (canteen building, campus, police station)
CANTEENS = [("xq-canteen", "xingqing", "兴庆路派出所"), ("cx-canteen", "chuangxin", "雁塔派出所"),
            ("yt-canteen", "yanta", "雁塔派出所"), ("qj-canteen", "qujiang", "雁塔派出所")]
#: Dormitory buildings the anti-fraud month visits (cx-dd and qj-dorm are left out).
VISITED_DORMS = ["xq-d1", "xq-d2", "cx-dh", "yt-dorm"]
TALK_COLLEGES = ["chem", "mech", "elec", "info", "mgmt", "medical"]


def _terms(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """Last spring, the term containing ``today`` and the next one. Autumn terms run 25 Aug –
    20 Feb, spring terms 21 Feb – 24 Aug, so every day has a term."""
    def autumn(year):
        return (f"{year}–{year + 1}学年第一学期", dt.date(year, 8, 25), dt.date(year + 1, 2, 20))

    def spring(year):
        return (f"{year - 1}–{year}学年第二学期", dt.date(year, 2, 21), dt.date(year, 8, 24))

    if dt.date(today.year, 2, 21) <= today <= dt.date(today.year, 8, 24):
        return [autumn(today.year - 1), spring(today.year), autumn(today.year)]
    year = today.year if today.month >= 8 else today.year - 1
    return [spring(year), autumn(year), spring(year + 1)]


class ActivityDemo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.zone = clock.local_zone()
        self.today = now.astimezone(self.zone).date()
        self.terms_spec = _terms(self.today)
        self.current = self.terms_spec[1]
        self.setup_at = self.at(self.terms_spec[0][1] - dt.timedelta(days=10), 9)
        self.partners: dict[str, Partner] = {}
        self.campaigns: dict[str, Campaign] = {}
        self.created: list[tuple[str, dt.datetime]] = []
        self.counts: dict[str, int] = {}

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.zone)

    def user(self, username: str) -> User:
        return User.objects.get(username=username)

    # --- plan ------------------------------------------------------------------------------
    def events(self) -> list:
        events: list = [(self.setup_at, self.setup)]
        rng = self.rng
        spring_start = self.terms_spec[0][1]
        for offset, kind, title in ((30, "lecture", "春季学期反诈骗专题讲座"),
                                    (45, "drill", "春季宿舍消防疏散演练")):
            day = spring_start + dt.timedelta(days=offset)
            spec = {"title": title, "kind": kind,
                    "topic": "anti_fraud" if kind == "lecture" else "fire",
                    "place": None, "location": "学术报告厅" if kind == "lecture" else "东区1号学生公寓",
                    "campus": "xingqing", "buildings": ["xq-d1"] if kind == "drill" else [],
                    "colleges": ["chem", "mech"] if kind == "lecture" else [],
                    "partners": ["兴庆路派出所"] if kind == "lecture" else ["消防救援站"],
                    "audience": 260 if kind == "lecture" else 180, "materials": []}
            self._add(events, day, 15 if kind == "lecture" else 19, spec, campaign=None)

        term_start = self.current[1]
        first = max(term_start, self.today - dt.timedelta(days=27))
        events.append((self.at(first - dt.timedelta(days=3), 10), self.campaigns_create))
        days = [first + dt.timedelta(days=n) for n in range((self.today - first).days)]
        if not days:
            days = [first]
        plan: list[tuple[dt.date, int, dict]] = []
        canteen_names = dict(Building.objects.filter(
            code__in=[c[0] for c in CANTEENS]).values_list("code", "name"))
        for n in range(8):
            building, campus, police = CANTEENS[n % len(CANTEENS)]
            plan.append((rng.choice(days), 11, {
                "title": f"反诈宣传摊位·{canteen_names.get(building, building)}门口（第{n // 4 + 1}场）",
                "kind": "booth", "topic": "anti_fraud",
                "place": ("canteen", building), "location": "", "campus": campus,
                "campuses": [campus], "partners": [police, "青年志愿者协会"],
                "audience": rng.randint(150, 400),
                "materials": [("印制纸巾", rng.choice([300, 400, 500]), "包"),
                              ("反诈折页", rng.choice([200, 300]), "份")]}))
        for n in range(6):
            dorm = VISITED_DORMS[n % len(VISITED_DORMS)]
            plan.append((rng.choice(days), 20, {
                "title": f"反诈进宿舍（{n + 1}）", "kind": "dorm_visit", "topic": "anti_fraud",
                "place": ("dormitory", dorm), "location": "", "campus": None,
                "buildings": [dorm], "partners": ["青年志愿者协会"],
                "audience": rng.randint(40, 120), "materials": [("反诈折页", 100, "份")]}))
        for n, college in enumerate(TALK_COLLEGES):
            plan.append((rng.choice(days), 14, {
                "title": f"反诈进课堂（{n + 1}）", "kind": "classroom_talk",
                "topic": "anti_fraud", "place": None, "location": "教室", "campus": None,
                "colleges": [college], "classes_of": college, "partners": ["各学院"],
                "audience": rng.randint(25, 60), "materials": [],
                "organiser": f"{college}_counsellor"}))
        for n, (police, colleges) in enumerate((("兴庆路派出所", ["energy", "humanities"]),
                                                 ("雁塔派出所", ["medical", "life"]),
                                                 ("雁塔派出所", ["materials", "info"]))):
            plan.append((rng.choice(days), 15, {
                "title": f"防范电信网络诈骗专题讲座（{n + 1}）", "kind": "lecture",
                "topic": "anti_fraud", "place": None, "location": "学术报告厅",
                "campus": None, "colleges": colleges, "partners": [police],
                "audience": rng.randint(200, 320), "materials": [("反诈折页", 200, "份")]}))
        plan.append((days[0], 9, {
            "title": "线上反诈课程：识别刷单返利与虚假投资", "kind": "online",
            "topic": "anti_fraud", "place": None, "location": "在线学习平台", "campus": None,
            "campuses": ["xingqing", "chuangxin", "yanta", "qujiang"], "partners": [],
            "audience": 3200, "materials": []}))
        for day, hour, spec in plan:
            self._add(events, day, hour, spec, campaign="anti_fraud")

        drill_day = rng.choice(days)
        self._add(events, drill_day, 16, {
            "title": "学生公寓消防疏散演练", "kind": "drill", "topic": "fire", "place": None,
            "location": "东区1号学生公寓", "campus": "xingqing", "buildings": ["xq-d1"],
            "partners": ["消防救援站"], "audience": 420,
            "materials": [("灭火器", 20, "具")]}, campaign="fire")
        # Cancelled for rain.
        self._add(events, rng.choice(days), 11, {
            "title": "反诈宣传摊位（雨天取消）", "kind": "booth", "topic": "anti_fraud",
            "place": ("canteen", "xq-canteen"), "location": "", "campus": "xingqing",
            "campuses": ["xingqing"], "partners": ["青年志愿者协会"], "cancel": "降雨，改期举行"},
            campaign="anti_fraud")
        # Planned for the coming days (created now-ish).
        for n, (kind, title, dorm) in enumerate((
                ("dorm_visit", "反诈进宿舍·笃行书院", "cx-dd"),
                ("booth", "反诈宣传摊位·曲江餐厅", None),
                ("lecture", "冬季消防安全讲座", None))):
            start = self.at(self.today + dt.timedelta(days=2 + n * 2), 19 if dorm else 15)
            spec = {"title": title, "kind": kind,
                    "topic": "fire" if kind == "lecture" else "anti_fraud",
                    "place": ("dormitory", dorm) if dorm else
                    (("canteen", "qj-canteen") if kind == "booth" else None),
                    "location": "学术报告厅" if kind == "lecture" else "", "campus": None,
                    "buildings": [dorm] if dorm else [], "partners": [], "future": True}
            created = min(self.now - dt.timedelta(hours=2 + n), start)
            events.append((created, self._create(spec, start,
                                                  "anti_fraud" if spec["topic"] == "anti_fraud"
                                                  else None)))
        return [(when, action) for when, action in events if when < self.now]

    def _add(self, events: list, day: dt.date, hour: int, spec: dict, *, campaign) -> None:
        start = self.at(day, hour, self.rng.choice([0, 10, 30]))
        created_at = start - dt.timedelta(days=self.rng.randint(2, 5), hours=-1)
        events.append((created_at, self._create(spec, start, campaign)))
        if spec.get("cancel"):
            events.append((start - dt.timedelta(hours=3), self._cancel(spec)))
        elif start + dt.timedelta(hours=3) < self.now:
            events.append((start + dt.timedelta(hours=2, minutes=self.rng.randint(5, 50)),
                           self._hold(spec)))

    # --- the events ------------------------------------------------------------------------
    def setup(self) -> None:
        office = self.user(OFFICE)
        for name, first, last in self.terms_spec:
            services.term_create(actor=office, name=name, starts_on=first, ends_on=last)
        for name, kind, contact in PARTNERS:
            self.partners[name] = services.partner_create(actor=office, name=name, kind=kind,
                                                          contact=contact)
        self.created.append(("setup", clock.now()))

    def campaigns_create(self) -> None:
        office = self.user(OFFICE)
        term = Term.objects.get(name=self.current[0])
        first = max(term.starts_on, self.today - dt.timedelta(days=27))
        last = min(term.ends_on, self.today + dt.timedelta(days=10))
        season = "秋季" if term.starts_on.month == 8 else "春季"
        self.campaigns["anti_fraud"] = services.campaign_create(
            actor=office, title=f"{first.year}年{season}反诈宣传月", topic="anti_fraud",
            term_id=term.pk, starts_on=first, ends_on=last,
            goal="每个学生公寓、每个班级至少开展一次反诈宣传；食堂门口摆摊发放印制反诈提示的纸巾和折页。")
        self.campaigns["fire"] = services.campaign_create(
            actor=office, title=f"{first.year}年{season}消防安全月", topic="fire", term_id=term.pk,
            starts_on=first, ends_on=last, goal="学生公寓疏散演练，灭火器实操。")

    def _create(self, spec: dict, start: dt.datetime, campaign):
        def run():
            actor = self.user(spec.get("organiser") or OFFICE)
            place = None
            if spec.get("place"):
                kind, building = spec["place"]
                place = Place.objects.filter(building__code=building, kind=kind).first()
            classes = []
            if spec.get("classes_of"):
                groups = list(ClassGroup.objects.filter(college__code=spec["classes_of"])
                              .order_by("code"))
                classes = [g.pk for g in self.rng.sample(groups, min(len(groups), 2))]
            campus = self.world.campuses[spec["campus"]].pk if spec.get("campus") else None
            activity = services.activity_create(actor=actor, data=services.ActivityInput(
                title=spec["title"], topic=spec["topic"], kind=spec["kind"], starts_at=start,
                ends_at=start + dt.timedelta(hours=1, minutes=30),
                campaign_id=self.campaigns[campaign].pk if campaign in self.campaigns
                else None,
                campus_id=None if place else campus, place_id=place.pk if place else None,
                location=spec.get("location", ""),
                description=spec.get("description", ""),
                partner_ids=[self.partners[p].pk for p in spec.get("partners", [])
                             if p in self.partners],
                campus_ids=[self.world.campuses[c].pk for c in spec.get("campuses", [])],
                building_ids=list(Building.objects.filter(
                    code__in=spec.get("buildings", [])).values_list("pk", flat=True)),
                college_ids=list(Unit.objects.filter(
                    code__in=spec.get("colleges", [])).values_list("pk", flat=True)),
                class_ids=classes))
            spec["activity_id"] = activity.pk
            spec["actor"] = actor.username
            self.created.append((f"activity:{activity.pk}", clock.now()))
        return run

    def _hold(self, spec: dict):
        def run():
            photos = [photo_jpeg(self.rng, (70, 110, 170), name=f"activity-{n + 1}.jpg")
                      for n in range(self.rng.choice([0, 1, 2]))]
            services.activity_hold(
                actor=self.user(spec["actor"]), activity_id=spec["activity_id"],
                audience_count=spec["audience"],
                summary=spec.get("summary", "活动按计划开展，现场讲解常见诈骗手法并发放宣传材料。"),
                materials=[services.Material(name=n, quantity=q, unit_label=u)
                           for n, q, u in spec.get("materials", [])], photos=photos)
        return run

    def _cancel(self, spec: dict):
        def run():
            services.activity_cancel(actor=self.user(spec["actor"]),
                                     activity_id=spec["activity_id"], reason=spec["cancel"])
        return run

    def backdate(self) -> None:
        """``created_at`` of the replayed records: when they were made in the replay."""
        setup_at = dict(self.created).get("setup", self.setup_at)
        Term.objects.update(created_at=setup_at)
        Partner.objects.update(created_at=setup_at)
        for key, at in self.created:
            if key.startswith("activity:"):
                Activity.objects.filter(pk=int(key.split(":")[1])).update(created_at=at)
        for campaign in self.campaigns.values():
            Campaign.objects.filter(pk=campaign.pk).update(
                created_at=min(self.now, clock.start_of_local_day(campaign.starts_on)))
        self.counts = {
            "terms": Term.objects.count(), "partners": Partner.objects.count(),
            "campaigns": Campaign.objects.count(),
            "activities_held": Activity.objects.filter(state=Activity.State.HELD).count(),
            "activities_planned": Activity.objects.filter(
                state=Activity.State.PLANNED).count(),
        }
