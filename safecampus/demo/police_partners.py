"""The demo's police partners and their liaisons, replayed through the real services.

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay, ``backdate()`` runs after it, ``counts`` goes into the summary.

About 200 days ago (before every other police event: bulletins, risks and meetings look the
partners up by code) the office head adds five partners — 兴庆路派出所 (兴庆), 创新港派出所
(创新港), 雁塔派出所 (雁塔, 曲江), 市交警支队雁塔大队 (all campuses), 市公安局文保支队 (all
campuses) — links the loader's liaison users ``police_xq``, ``police_cx`` and ``police_yt``
to the three stations, and opens a new account ``police_traffic`` for the traffic brigade
(given the demo password, as every demo account).
"""

import datetime as dt
import random

from safecampus.accounts.models import User
from safecampus.organisation.models import Campus
from safecampus.police.services import partners as services

from .data import DEMO_PASSWORD

OFFICE = "office_head"
ALL = ["xingqing", "chuangxin", "yanta", "qujiang"]
#: (code, name, kind, campuses, address, phone)
PARTNERS = [
    ("xq-station", "兴庆路派出所", "police_station", ["xingqing"], "碑林区兴庆路88号",
     "029-8321-0110"),
    ("cx-station", "创新港派出所", "police_station", ["chuangxin"], "西咸新区创新港大道2号",
     "029-3321-0110"),
    ("yt-station", "雁塔派出所", "police_station", ["yanta", "qujiang"], "雁塔区雁塔西路20号",
     "029-8521-0110"),
    ("traffic-brigade", "市交警支队雁塔大队", "traffic_police", ALL, "雁塔区长安南路300号",
     "029-8526-0122"),
    ("campus-protection", "市公安局文保支队", "campus_protection", ALL, "新城区西五路10号",
     "029-8766-0110"),
]
#: (username, partner code, post)
LIAISONS = [("police_xq", "xq-station", "社区民警"), ("police_cx", "cx-station", "社区民警"),
            ("police_yt", "yt-station", "教导员")]


class PartnerDemo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.counts: dict[str, int] = {}

    def events(self) -> list:
        return [(self.now - dt.timedelta(days=200, hours=3), self.setup)]

    def setup(self) -> None:
        actor = User.objects.get(username=OFFICE)
        campuses = dict(Campus.objects.values_list("code", "pk"))
        partners = {}
        for code, name, kind, served, address, phone in PARTNERS:
            partners[code] = services.partner_create(actor=actor, data=services.PartnerInput(
                code=code, name=name, kind=kind, campus_ids=[campuses[c] for c in served],
                address=address, phone=phone))
        for username, code, post in LIAISONS:
            user = User.objects.get(username=username)
            services.liaison_add(actor=actor, partner_id=partners[code].pk, user_id=user.pk,
                                 post=post)
        # A new account with an initial password: the published demo password, as every
        # demo account has.
        liaison = services.liaison_add(
            actor=actor, partner_id=partners["traffic-brigade"].pk, username="police_traffic",
            full_name="王建军", phone="13809110122", post="秩序中队民警",
            password=DEMO_PASSWORD)
        user = liaison.user
        user.employee_number = "P-TRAFFIC"
        user.save(update_fields=["employee_number"])
        self.counts = {"partners": len(partners), "liaisons": len(LIAISONS) + 1}

    def backdate(self) -> None:
        return None
