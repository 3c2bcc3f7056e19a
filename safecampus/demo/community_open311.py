"""The demo's community voice: open311 (replayed through the real services).

- **Client** (35 days back): the office administrator issues a key to “校园随手拍 App”, the
  campus photo-report app. The demo's key is the fixed :data:`DEMO_KEY` (for the demo only,
  so that anyone trying the endpoint has one); ``demo_accounts`` prints it while it is live.
- **Requests** (the last four weeks): about twenty concerns posted as the endpoint posts
  them (key check, then ``open311_request_create``) in whatever active concern categories
  exist then (the concern demo makes them; none, none posted): some with a position on a
  campus, some with a building or place code (``address_id``: a category that becomes a
  hazard then goes straight into the hazard loop), some with an address only; the app's
  own account ids and device ids; answers to the categories' required questions.

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay, ``backdate()`` runs after it, ``counts`` goes into the summary.
"""

import datetime as dt
import random

from django.db.models import Q

from safecampus.accounts.models import Role, User
from safecampus.community.models import ApiClient, CategoryAttribute, Concern, ConcernCategory
from safecampus.community.services import open311 as services
from safecampus.core import clock
from safecampus.core.errors import DomainError

#: The demo client's key (demo data only; a real key is random and shown once).
DEMO_KEY = "demo-suishoupai-0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"
CLIENT_NAME = "校园随手拍 App"
CLIENT_CONTACT = "网络信息中心 移动应用组"
CLIENT_DAYS = 35
REQUEST_DAYS = 28
REQUESTS = 20
#: Invented positions near each demo campus (WGS-84), for requests sent with lat/long.
POSITIONS = {"xingqing": (34.2468, 108.9835), "chuangxin": (34.1572, 108.6521),
             "yanta": (34.2231, 108.9594), "qujiang": (34.2027, 108.9853)}
ADDRESSES = ["东门外人行道", "图书馆北侧小路", "学生活动中心西侧", "3号教学楼后门",
             "二号食堂门口", "体育场看台下", "南门公交站旁"]
#: What people write, by a word in the category's name; the last one fits any category.
TEXTS = [
    ("停车", ["晚上东门附近车位全满，车只能停在消防通道边上。",
              "教学楼前的临时停车位被长期占用，来访车辆没处停。"]),
    ("照明", ["这段路的路灯坏了好几盏，晚上下自习很黑，不太安全。",
              "小树林里的路灯一直不亮，夜跑的同学都绕着走。"]),
    ("充电", ["充电棚里有人用插线板给电瓶拉线充电，插头发烫。",
              "充电桩扫码后一直不通电，已经坏了一周。"]),
    ("快递", ["外卖员骑车从侧门冲进来，车速很快，差点撞到人。"]),
    ("外卖", ["外卖放在门口地上没人管，经常被拿错。"]),
    ("门禁", ["宿舍楼门禁刷卡坏了，门一直开着，陌生人可以随便进。"]),
    ("宿舍", ["楼道里有人用大功率电器，晚上经常跳闸。"]),
    ("消防", ["楼梯间堆满了纸箱和旧家具，挡住了安全出口。"]),
    ("交通", ["上课高峰时路口电动车太多，没有人指挥，很乱。"]),
    ("诈骗", ["班级群里有人冒充辅导员让大家扫码交资料费。"]),
    ("", ["这里有个安全隐患，希望保卫处派人来看一下。",
          "反映一个问题：附近经常有校外人员逗留，有点担心。"]),
]


class Open311Demo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.today = now.astimezone(clock.local_zone()).date()
        self.counts: dict[str, int] = {"open311_clients": 0, "open311_requests": 0}
        self.client: ApiClient | None = None
        self.stamps: list[tuple[dt.datetime, int]] = []

    def _local(self, days_back: int, hour: int, minute: int) -> dt.datetime:
        day = self.today - dt.timedelta(days=days_back)
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clock.local_zone())

    def events(self) -> list:
        """``(when, callable)`` pairs: the key first, then the requests (all before now)."""
        events = [(self._local(CLIENT_DAYS, 10, 20), self.issue)]
        for _n in range(REQUESTS):
            at = self._local(self.rng.randint(1, REQUEST_DAYS), self.rng.randint(7, 22),
                             self.rng.randint(0, 59))
            if at < self.now:
                events.append((at, self.request))
        return events

    def issue(self) -> None:
        admin = (User.objects.filter(Q(memberships__role=Role.OFFICE_ADMIN)
                                     | Q(is_superuser=True), is_active=True)
                 .order_by("-is_superuser", "pk").first())
        self.client, _key = services.api_client_issue(
            actor=admin, name=CLIENT_NAME, contact=CLIENT_CONTACT, key=DEMO_KEY)
        self.stamps.append((clock.now(), self.client.pk))
        self.counts["open311_clients"] += 1

    def _text(self, category: ConcernCategory) -> str:
        for word, texts in TEXTS:
            if word in category.name:
                return self.rng.choice(texts)
        return self.rng.choice(TEXTS[-1][1])

    def _answers(self, category: ConcernCategory) -> dict:
        """An answer to each required question of ``category``."""
        answers: dict[str, object] = {}
        for attribute in category.attributes.filter(required=True, variable=True):
            keys = [str(v.get("key")) for v in attribute.values or [] if isinstance(v, dict)]
            kind = attribute.datatype
            if kind == CategoryAttribute.Datatype.MULTI and keys:
                answers[attribute.code] = self.rng.sample(keys, k=min(2, len(keys)))
            elif kind == CategoryAttribute.Datatype.SINGLE and keys:
                answers[attribute.code] = self.rng.choice(keys)
            elif kind == CategoryAttribute.Datatype.NUMBER:
                answers[attribute.code] = str(self.rng.randint(1, 5))
            elif kind == CategoryAttribute.Datatype.DATETIME:
                answers[attribute.code] = clock.now().isoformat()
            else:
                answers[attribute.code] = self.rng.choice(ADDRESSES)
        return answers

    def _where(self) -> dict:
        roll = self.rng.random()
        if roll < 0.45:
            lat, lon = POSITIONS[self.rng.choice(sorted(POSITIONS))]
            return {"lat": f"{lat + self.rng.uniform(-0.003, 0.003):.6f}",
                    "long": f"{lon + self.rng.uniform(-0.003, 0.003):.6f}"}
        if roll < 0.75 and self.world.places:
            return {"address_id": self.rng.choice(self.world.places).code}
        return {"address_string": self.rng.choice(ADDRESSES)}

    def request(self) -> None:
        """One request as the app posts it: the key checked, then created."""
        client = services.api_client_authenticate(key=DEMO_KEY)
        categories = list(ConcernCategory.objects.filter(is_active=True).order_by("pk"))
        if client is None or not categories:
            return
        category = self.rng.choice(categories)
        fields = {"description": self._text(category), **self._where(),
                  "account_id": f"ssp-{self.rng.randint(100000, 999999)}",
                  "device_id": f"{self.rng.choice(['ios', 'android', 'harmony'])}-"
                               f"{self.rng.getrandbits(32):08x}"}
        try:
            concern = services.open311_request_create(
                client=client, service_code=category.code, fields=fields,
                attributes=self._answers(category))
        except DomainError:
            return  # e.g. a hazard category without a campus: the app would show the error
        self.counts["open311_requests"] += 1
        self.stamps.append((concern.submitted_at, -concern.pk))

    def backdate(self) -> None:
        """``created_at`` of the client and its requests, and ``updated_at`` of the requests
        (their ``updated_datetime`` while open): when they happened in the replay. The demo
        key is printed by ``manage.py demo_accounts`` (:mod:`~.links`)."""
        for at, pk in self.stamps:
            if pk > 0:
                ApiClient.objects.filter(pk=pk).update(created_at=at)
            else:
                Concern.objects.filter(pk=-pk).update(created_at=at, updated_at=at)
