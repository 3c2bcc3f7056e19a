"""The demo's police incident bulletins (警情通报), replayed through the real services.

Over the last six months the three stations (``xq-station``, ``cx-station``, ``yt-station``,
created by the partners area 200 days ago, looked up by code at event time) each publish a
monthly bulletin and the traffic brigade one; each has 5–15 incidents in realistic Chinese,
clustered at a few hot spots per campus (places with map positions). A few published
incidents open hazards (source police), one sends a warning, and police_xq keeps a draft.

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay, ``backdate()`` runs after it, ``counts`` goes into the summary.
"""

from __future__ import annotations

import datetime as dt
import random

from safecampus.accounts.models import User
from safecampus.core import clock
from safecampus.organisation.models import Place
from safecampus.police.models import Bulletin, BulletinRecord, PartnerLiaison
from safecampus.police.selectors.bulletins import hazard_category_suggested
from safecampus.police.services import bulletins as services

OFFICE = "office_head"
#: (partner code, campus codes, months ago of the bulletins)
STATIONS = (
    ("xq-station", ("xingqing",), (5, 4, 3, 2, 1)),
    ("cx-station", ("chuangxin",), (5, 3, 1)),
    ("yt-station", ("yanta", "qujiang"), (4, 2, 1)),
)
#: (category, type as recorded, proximity, relevance, summary)
KINDS = (
    ("theft", "电动车被盗", "on_campus", "high", "学生停放在车棚的电动车夜间被盗，车锁被剪断。"),
    ("theft", "自行车被盗", "on_campus", "medium", "教学楼前自行车被盗，未上锁。"),
    ("fraud", "冒充客服诈骗", "on_campus", "high",
     "学生接到冒充电商客服电话，称需退款，被诱导转账。"),
    ("fraud", "刷单返利诈骗", "on_campus", "high", "学生在兼职群参与刷单，先小额返利后被骗。"),
    ("burglary", "宿舍盗窃", "on_campus", "high", "宿舍门未锁，笔记本电脑被盗。"),
    ("traffic", "校门口交通事故", "nearby", "high", "校门口外电动车与行人相撞，行人轻伤。"),
    ("disturbance", "可疑人员徘徊", "nearby", "medium", "校园周边有可疑人员向学生推销。"),
    ("assault", "打架斗殴", "nearby", "medium", "校外餐馆酒后发生纠纷，已调解。"),
    ("theft", "快递点盗窃", "nearby", "medium", "校门外快递点包裹被冒领。"),
)
TRAFFIC_KINDS = (
    ("traffic", "电动车闯红灯", "nearby", "medium", "校门口路口电动车闯红灯，已教育。"),
    ("traffic", "违停占道", "nearby", "low", "校门外违停车辆占用消防通道。"),
    ("traffic", "校门口交通事故", "nearby", "high", "上学高峰校门口两车剐蹭。"),
)


class BulletinDemo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.zone = clock.local_zone()
        self.counts: dict[str, int] = {}
        self.bulletin_ids: list[int] = []

    # --- the plan --------------------------------------------------------------------------
    def events(self) -> list:
        events = []
        today = self.now.astimezone(self.zone).date()
        for code, campuses, months in STATIONS:
            for ago in months:
                end = (today.replace(day=1) - dt.timedelta(days=1)) if ago == 1 else (
                    self._month_end(today, ago))
                start = end.replace(day=1)
                # Two days after the month, or (last month's) a few hours ago.
                when = min(dt.datetime.combine(end + dt.timedelta(days=2), dt.time(9),
                                               tzinfo=self.zone),
                           self.now - dt.timedelta(hours=6))
                n = self.rng.randint(5, 15)
                seed = self.rng.random()
                events.append((when, lambda c=code, cs=campuses, s=start, e=end, n=n, r=seed:
                               self.bulletin(c, cs, s, e, n, r)))
        end = self._month_end(today, 2)
        brigade_seed, draft_seed = self.rng.random(), self.rng.random()
        events.append((dt.datetime.combine(end + dt.timedelta(days=3), dt.time(10),
                                           tzinfo=self.zone),
                       lambda e=end, r=brigade_seed: self.bulletin(
                           "traffic-brigade", ("xingqing", "yanta"), e.replace(day=1), e, 6, r)))
        events.append((self.now - dt.timedelta(days=2),
                       lambda r=draft_seed: self.draft_only(r)))
        return [(when, call) for when, call in events if when < self.now]

    @staticmethod
    def _month_end(today: dt.date, ago: int) -> dt.date:
        first = today.replace(day=1)
        for _n in range(ago - 1):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        return first - dt.timedelta(days=1)

    # --- helpers ---------------------------------------------------------------------------
    def _author(self, code: str) -> tuple[User, int | None]:
        """The partner's liaison (or the office head with the partner chosen)."""
        link = (PartnerLiaison.objects.select_related("user", "partner")
                .filter(partner__code=code, is_active=True).first())
        if link is not None:
            return User.objects.get(pk=link.user_id), None
        from safecampus.police.models import Partner

        return User.objects.get(username=OFFICE), Partner.objects.get(code=code).pk

    def _hot_spots(self, campus_codes, rng) -> list[Place]:
        places = list(Place.objects.filter(campus__code__in=campus_codes, map_x__isnull=False)
                      .order_by("pk"))
        rng.shuffle(places)
        return places[:3]

    def _add(self, actor, bulletin, *, kinds, campus_codes, start, end, count, rng):
        spots = self._hot_spots(campus_codes, rng)
        days = max(1, (end - start).days)
        for _n in range(count):
            category, label, proximity, relevance, summary = rng.choice(kinds)
            spot = rng.choice(spots) if spots and rng.random() < 0.8 else None
            hour = rng.choice((8, 12, 18, 20, 21, 22, 23, 0, 14))
            occurred = dt.datetime.combine(start + dt.timedelta(days=rng.randrange(days)),
                                           dt.time(hour, rng.choice((5, 20, 40))),
                                           tzinfo=self.zone)
            campus_id = spot.campus_id if spot else None
            if campus_id is None:
                from safecampus.organisation.models import Campus

                campus_id = Campus.objects.get(code=campus_codes[0]).pk
            services.record_add(
                actor=actor, bulletin_id=bulletin.pk, occurred_at=occurred, category=category,
                type_label=label, proximity=proximity if spot is None else "on_campus",
                campus_id=campus_id, place_id=spot.pk if spot else None,
                location_text="" if spot else "校门外", summary=summary,
                relevance=relevance, external_ref=f"J{occurred:%Y%m%d}{rng.randint(100, 999)}")

    # --- events ----------------------------------------------------------------------------
    def bulletin(self, code, campus_codes, start, end, count, seed) -> None:
        rng = random.Random(seed)
        actor, partner_id = self._author(code)
        month = f"{end.year}年{end.month}月"
        title = (f"{month}交通安全情况通报" if code == "traffic-brigade"
                 else f"{month}校园及周边警情通报")
        bulletin = services.bulletin_draft(
            actor=actor, title=title, period_start=start, period_end=end, partner_id=partner_id,
            summary="请加强车棚巡查，提醒学生锁好电动车，警惕冒充客服、刷单返利类诈骗。")
        kinds = TRAFFIC_KINDS if code == "traffic-brigade" else KINDS
        self._add(actor, bulletin, kinds=kinds, campus_codes=campus_codes, start=start,
                  end=end, count=count, rng=rng)
        services.bulletin_publish(actor=actor, bulletin_id=bulletin.pk)
        self.bulletin_ids.append(bulletin.pk)
        self._act(actor, bulletin, rng)

    def _act(self, actor, bulletin, rng) -> None:
        """Open a hazard from the first high-relevance on-campus record of every other
        bulletin; the first such bulletin also sends a campus warning."""
        from safecampus.hazards.models import HazardCategory

        if len(self.bulletin_ids) % 2:
            return
        record = (BulletinRecord.objects.filter(bulletin=bulletin, relevance="high",
                                                place__isnull=False).order_by("position")
                  .first())
        if record is None:
            return
        category = (hazard_category_suggested(record.category)
                    or HazardCategory.objects.filter(code="public_order").first())
        if category is not None:  # the texts are the service's (site language)
            services.record_open_hazard(actor=actor, record_id=record.pk,
                                        category_id=category.pk)
        if not BulletinRecord.objects.filter(alert__isnull=False).exists():
            texts = services.record_hazard_texts(record)
            services.record_send_warning(
                actor=actor, record_id=record.pk, title=texts["warning_title"],
                body=texts["description"] + "\n请同学们提高警惕，发现可疑情况及时报警。",
                level="warning", audience_kind="campus", campus_id=record.campus_id)

    def draft_only(self, seed) -> None:
        rng = random.Random(seed)
        actor, partner_id = self._author("xq-station")
        end = clock.now().astimezone(self.zone).date() - dt.timedelta(days=1)
        start = end - dt.timedelta(days=10)
        bulletin = services.bulletin_draft(
            actor=actor, title=f"{end.month}月{start.day}日至{end.day}日警情通报",
            period_start=start, period_end=end, partner_id=partner_id)
        self._add(actor, bulletin, kinds=KINDS, campus_codes=("xingqing",), start=start,
                  end=end, count=4, rng=rng)

    def backdate(self) -> None:
        self.counts = {
            "bulletins": Bulletin.objects.filter(state="published").count(),
            "bulletin_drafts": Bulletin.objects.filter(state="draft").count(),
            "bulletin_records": BulletinRecord.objects.count(),
            "bulletin_hazards": BulletinRecord.objects.filter(hazard__isnull=False).count(),
            "bulletin_warnings": BulletinRecord.objects.filter(alert__isnull=False).count(),
        }
