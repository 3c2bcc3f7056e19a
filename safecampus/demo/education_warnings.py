"""The demo's education warnings area, replayed through the real services.

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay (each run inside :func:`clock.frozen` at its time, all before
now), ``backdate()`` runs after it, ``counts`` goes into the summary.

- **Warnings** (预警) over the term, sent with :func:`warning_send`: to everyone
  (开学季反诈预警, by the office), to 信息学院 (game-trading fraud, by police_xq), to year group
  2025 (新生警惕冒充客服, by the office) and to 创新港校区 (by police_cx). After the replay about
  60–80 % of each warning's recipients have read it, at spread times after it was sent.
- **Follow-ups** (辅导员跟进): eight from police_xq across colleges; 化学学院 has two open, one
  of them overdue; the others' counsellors closed some with notes; the overdue sweep has run.
"""

import datetime as dt
import random

from django.db.models import F

from safecampus.accounts.models import Affiliation, User
from safecampus.core import clock
from safecampus.education.models import FollowUp, FraudType
from safecampus.education.services import followups as followup_services
from safecampus.education.services import warnings as services
from safecampus.notifications.models import Alert, Notification
from safecampus.organisation.models import Campus, Unit

DAY = dt.timedelta(days=1)
#: (days before now, sender, title, body, audience, share left unread)
WARNINGS = [
    (80, "inspector1", "开学季反诈预警",
     "开学季是电信网络诈骗高发期。冒充“学长学姐”“辅导员”收取培训费、资料费，冒充客服办理退款，"
     "兼职刷单返利……都是骗局。凡是要求转账、提供验证码、下载陌生软件的，一律先核实。"
     "遇到可疑情况请拨打 96110 或联系保卫处。",
     {"audience_kind": "everyone"}, 0.22),
    (45, "police_xq", "警惕网络游戏虚假交易",
     "近期有同学在游戏平台购买“低价装备”“代练账号”，被引导到非官方平台交易后被骗。"
     "请只在官方平台交易，不要私下转账。",
     {"audience_kind": "college", "college": "info"}, 0.35),
    (21, "inspector1", "新生警惕冒充客服",
     "骗子冒充电商、快递客服，以“商品质量问题”“快递丢失”为由要求退款理赔，"
     "诱导开通“备用金”、共享屏幕。官方客服不会要求你转账或共享屏幕。",
     {"audience_kind": "year", "audience_year": 2025}, 0.3),
    (6, "police_cx", "创新港校区：警惕冒充公检法诈骗",
     "近日创新港校区有学生接到自称“公安局”的电话，称其涉嫌洗钱并要求转入“安全账户”。"
     "公检法机关不会通过电话办案，更没有“安全账户”。",
     {"audience_kind": "campus", "campus": "chuangxin"}, 0.28),
]
#: (days before now, college code, nth student of it, reason, closed after days, outcome, note)
FOLLOWUPS = [
    (9, "chem", 0, "96110 预警：该生近两日与涉诈号码多次通话，疑似遭遇刷单返利诈骗。", None, "", ""),
    (1, "chem", 3, "反诈中心推送：该生手机安装了涉诈 App，请尽快核实劝阻。", None, "", ""),
    (30, "chem", 5, "派出所通报：该生向涉诈账户转账 200 元。", 1, "reached_loss",
     "已当面谈话，学生已报警并保存聊天记录，已提醒其不再转账。"),
    (25, "mech", 1, "96110 预警：与冒充客服号码通话 20 分钟。", 1, "reached_safe",
     "电话联系到学生，其尚未转账，已讲解冒充客服诈骗手法。"),
    (18, "info", 2, "反诈中心推送：疑似网络游戏虚假交易。", 2, "reached_safe",
     "已联系学生并在班会上通报了游戏交易诈骗案例。"),
    (14, "elec", 0, "96110 预警：与涉诈号码通话。", 3, "not_reached",
     "三次电话未接通，已请班长和室友转告，将继续联系。"),
    (7, "mgmt", 4, "派出所通报：疑似网络贷款诈骗受害人。", 2, "reached_safe",
     "已联系学生，确认未申请贷款，已讲解虚假网贷手法。"),
    (3, "life", 1, "96110 预警：与冒充公检法号码通话。", None, "", ""),
]


class WarningDemo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.counts: dict[str, int] = {}
        self.sent: list[tuple[int, float]] = []  # (alert id, share left unread)
        self.followups: dict[int, int] = {}  # FOLLOWUPS index → follow-up id
        self.created: dict[int, dt.datetime] = {}  # follow-up id → replayed creation time

    def events(self) -> list:
        events = []
        for days, sender, title, body, audience, unread in WARNINGS:
            at = self._at(days, 9, 30)
            events.append((at, lambda s=sender, t=title, b=body, a=audience, u=unread:
                           self._send(s, t, b, a, u)))
        for index, (days, college, nth, reason, after, outcome, note) in enumerate(FOLLOWUPS):
            at = self._at(days, 10, 15 + index)
            events.append((at, lambda c=college, n=nth, r=reason, i=index:
                           self._open(i, c, n, r)))
            if after is not None:
                events.append((self._at(days - after, 16, index),
                               lambda i=index, o=outcome, t=note: self._close(i, o, t)))
        # the daily overdue sweep, on the mornings the follow-ups were open
        for days in range(8, 0, -1):
            events.append((self._at(days, 8, 30), followup_services.followup_sweep_overdue))
        return [(at, action) for at, action in events if at < self.now]

    def _at(self, days_ago: int, hour: int, minute: int) -> dt.datetime:
        day = (self.now - days_ago * DAY).astimezone(clock.local_zone()).date()
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clock.local_zone())

    def _send(self, sender, title, body, audience, unread) -> None:
        kind = audience["audience_kind"]
        unit = Unit.objects.get(code=audience["college"]) if "college" in audience else None
        campus = Campus.objects.get(code=audience["campus"]) if "campus" in audience else None
        alert = services.warning_send(
            actor=User.objects.get(username=sender), title=title, body=body,
            level=Alert.Level.WARNING, audience_kind=kind, unit_id=unit.pk if unit else None,
            campus_id=campus.pk if campus else None, year=audience.get("audience_year"))
        self.sent.append((alert.pk, unread))
        self.counts["warnings"] = self.counts.get("warnings", 0) + 1

    def _open(self, index, college, nth, reason) -> None:
        student = (Affiliation.objects.filter(college__code=college,
                                              kind=Affiliation.Kind.STUDENT,
                                              user__username__startswith="s2")
                   .select_related("user").order_by("user__username")[nth].user)
        types = list(FraudType.objects.filter(is_active=True).order_by("position", "code"))
        followup = followup_services.followup_create(
            actor=User.objects.get(username="police_xq"), student_number=student.employee_number,
            warning_source="96110预警中心" if index % 2 == 0 else "雁塔派出所",
            warning_reference=f"YJ{self.now.year}{index + 1:04d}", reason=reason,
            fraud_type_id=types[index % len(types)].pk if types else None)
        self.followups[index] = followup.pk
        self.created[followup.pk] = clock.now()
        self.counts["followups"] = self.counts.get("followups", 0) + 1

    def _close(self, index, outcome, note) -> None:
        followup = FollowUp.objects.select_related("college").get(pk=self.followups[index])
        counsellor = User.objects.get(username=f"{followup.college.code}_counsellor")
        followup_services.followup_close(actor=counsellor, followup_id=followup.pk,
                                         outcome=outcome, note=note)

    def backdate(self) -> None:
        """Give warnings and follow-ups their replayed creation time; leave each warning with
        its share unread and the rest read at spread times after it was sent (the loader
        marks everything older than ten days read)."""
        delays = [dt.timedelta(minutes=m) for m in (12, 45, 130, 300, 720, 1500, 2900)]
        for alert_id, unread in self.sent:
            Alert.objects.filter(pk=alert_id).update(created_at=F("sent_at"))
            rows = Notification.objects.filter(alert_id=alert_id)
            cut = int(unread * 100)
            ids = list(rows.values_list("pk", flat=True))
            groups: dict[object, list[int]] = {}
            for pk in ids:  # a fixed pseudo-random share stays unread
                key = None if (pk * 37) % 100 < cut else delays[pk % len(delays)]
                groups.setdefault(key, []).append(pk)
            for delay, pks in groups.items():
                for start in range(0, len(pks), 900):
                    batch = Notification.objects.filter(pk__in=pks[start:start + 900])
                    if delay is None:
                        batch.update(read_at=None)
                    else:
                        batch.update(read_at=F("created_at") + delay)
            rows.filter(read_at__gt=self.now).update(read_at=self.now)  # never after now
        for pk, at in self.created.items():
            FollowUp.objects.filter(pk=pk).update(created_at=at)
