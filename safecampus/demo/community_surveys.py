"""The demo's community voice: surveys (replayed through the real services).

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay, ``backdate()`` runs after it, ``counts`` goes into the summary.

- **校园安全感调查** (anonymous, to everyone): eight questions of every kind, sent twelve
  days ago, open for ten more days; about 150 students of the roster answered over the days
  since (the demo account ``student`` has not, so it waits on their hub).
- **电动车充电需求调查** (named, to 化学学院): sent 45 days ago, closed by the closing task
  30 days ago with about 30 answers.
- **实验室安全培训需求调查**: a draft with three questions.
"""

import datetime as dt
import random

from safecampus.accounts.models import Affiliation, User
from safecampus.community.models import Survey
from safecampus.community.services import surveys as services
from safecampus.core import clock
from safecampus.organisation.models import Unit

DAY = dt.timedelta(days=1)

#: (kind, text, required, extra, how people answer): for choices one weight per option
#: (multiple: each option's chance of being ticked), for a scale one weight per point, for
#: text the chance of writing something and the texts written.
SAFETY = [
    ("single", "总体来说，你在校园里感到安全吗？", True,
     {"options": ["非常安全", "比较安全", "一般", "不太安全", "很不安全"]}, [30, 45, 15, 8, 2]),
    ("scale", "你对夜间校园道路照明的满意度", True,
     {"scale_min": 1, "scale_max": 5, "scale_min_label": "很不满意",
      "scale_max_label": "很满意"}, [6, 14, 30, 33, 17]),
    ("multiple", "你认为校园内最需要改善的安全问题有哪些？", True,
     {"options": ["夜间道路照明", "电动车违规充电", "校门口交通秩序", "宿舍消防通道堵塞",
                  "电信网络诈骗", "实验室安全", "外来人员随意进出"]},
     [0.45, 0.38, 0.3, 0.18, 0.52, 0.12, 0.22]),
    ("single", "过去一年，你或身边同学是否接到过诈骗电话或短信？", True,
     {"options": ["接到过，没有上当", "接到过，差点上当", "有人被骗过", "没有接到过"]},
     [55, 12, 8, 25]),
    ("scale", "你会向新同学推荐用平安校园平台反映安全问题吗？", False,
     {"scale_min": 1, "scale_max": 10, "scale_min_label": "完全不会",
      "scale_max_label": "一定会"}, [1, 2, 3, 4, 9, 10, 16, 22, 17, 16]),
    ("multiple", "你更希望通过哪些方式收到安全提醒？", False,
     {"options": ["平台消息", "短信", "班级群", "宿舍楼宣传栏", "安全教育讲座"]},
     [0.5, 0.3, 0.55, 0.15, 0.12]),
    ("single", "你知道保卫处 24 小时值班电话吗？", True,
     {"options": ["知道，并存在手机里", "知道，但没存", "不知道"]}, [28, 34, 38]),
    ("text", "你还有哪些意见或建议？", False, {}, (0.35, [
        "东区宿舍到图书馆那段路晚上太暗了，希望多装几盏路灯。",
        "南门外电动车乱停，早上进出很挤。",
        "希望多开展防诈骗讲座，尤其是针对新生。",
        "宿舍楼下充电桩不够用，常有人拉线充电。",
        "体育馆后面的小路晚上没人，希望加强巡逻。",
        "实验楼晚上有外来人员进出，门禁应该管严一点。",
        "保卫处反馈很快，点赞。",
        "希望平台能看到自己反映问题的处理进度。",
        "快递点附近车辆太多，建议错峰或设隔离栏。",
        "地下车库照明不足，有些摄像头好像坏了。",
    ])),
]
CHARGING = [
    ("single", "你是否有电动自行车？", True,
     {"options": ["有", "没有，但打算购买", "没有"]}, [62, 13, 25]),
    ("single", "你目前通常在哪里充电？", False,
     {"options": ["宿舍楼下集中充电桩", "校内充电站", "把电池带回宿舍充", "校外充电"]},
     [52, 26, 9, 13]),
    ("scale", "你对现有充电桩数量的满意度", True,
     {"scale_min": 1, "scale_max": 5, "scale_min_label": "很不满意",
      "scale_max_label": "很满意"}, [18, 30, 28, 17, 7]),
    ("multiple", "你希望在哪些位置增设充电桩？", False,
     {"options": ["宿舍区", "教学楼", "图书馆", "食堂", "实验楼"]},
     [0.78, 0.35, 0.28, 0.2, 0.25]),
    ("text", "关于充电还有什么建议？", False, {}, (0.3, [
        "充电桩经常被占满，希望能扫码预约。",
        "充电价格能不能再便宜一点。",
        "希望充电区装上遮雨棚。",
        "晚上十点后充电桩就断电了，不方便。",
        "化学楼附近完全没有充电桩。",
    ])),
]
DRAFT = [
    ("single", "你所在的实验室是否开展过安全培训？", True,
     {"options": ["每学期都有", "偶尔有", "从来没有"]}, None),
    ("multiple", "你最希望学习哪些实验室安全内容？", True,
     {"options": ["危化品存放", "消防器材使用", "应急处置", "废弃物处理"]}, None),
    ("text", "你希望培训安排在什么时间？", False, {}, None),
]


class SurveyDemo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.counts: dict[str, int] = {}
        self.created: dict[str, dt.datetime] = {}  # title → replayed creation time
        self.ids: dict[str, int] = {}

    # --- the story ------------------------------------------------------------------------
    def events(self) -> list:
        events = []
        safety_sent = self._at(12, 9, 0)
        events.append((self._at(13, 15, 20), lambda: self._draft(
            "校园安全感调查", SAFETY, anonymous=True, audience={"audience_kind": "everyone"},
            description="为了解同学们对校园安全的真实感受，保卫处开展本次匿名调查，约需 3 分钟。"
                        "你的回答不会与姓名关联，请放心填写。",
            closes_at=self.now + 10 * DAY)))
        events.append((safety_sent, lambda: self._send("校园安全感调查")))
        people = list(Affiliation.objects.filter(
            kind=Affiliation.Kind.STUDENT, user__is_active=True).exclude(
            user__username="student").order_by("user__username").values_list(
            "user_id", flat=True))
        chosen = self.rng.sample(people, min(150, len(people)))
        for user_id in chosen:
            at = self._spread(safety_sent, self.now - dt.timedelta(hours=1))
            events.append((at, lambda u=user_id: self._answer("校园安全感调查", SAFETY, u)))

        chem = Unit.objects.filter(code="chem").first()
        if chem is not None:
            sent, closes = self._at(45, 10, 0), self._at(30, 18, 0)
            events.append((self._at(46, 16, 40), lambda: self._draft(
                "电动车充电需求调查", CHARGING, anonymous=False,
                audience={"audience_kind": "college", "unit_id": chem.pk},
                description="学院拟与后勤保障部共同规划新增充电桩位置，请有电动车的同学如实填写。",
                closes_at=closes)))
            events.append((sent, lambda: self._send("电动车充电需求调查")))
            college = list(Affiliation.objects.filter(
                kind=Affiliation.Kind.STUDENT, college=chem, user__is_active=True)
                .exclude(user__username="student").order_by("user__username")
                .values_list("user_id", flat=True))
            for user_id in self.rng.sample(college, min(30, len(college))):
                at = self._spread(sent, closes - dt.timedelta(hours=2))
                events.append((at, lambda u=user_id: self._answer("电动车充电需求调查",
                                                                   CHARGING, u)))
            events.append((closes + dt.timedelta(minutes=5), services.survey_close_due))

        events.append((self._at(2, 11, 5), lambda: self._draft(
            "实验室安全培训需求调查", DRAFT, anonymous=True,
            audience={"audience_kind": "year", "year": 2024}, description="", closes_at=None)))
        return [(at, action) for at, action in events if at < self.now]

    def _at(self, days_ago: int, hour: int, minute: int) -> dt.datetime:
        day = (self.now - days_ago * DAY).astimezone(clock.local_zone()).date()
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clock.local_zone())

    def _spread(self, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        """A time between ``start`` and ``end``, more of them soon after ``start`` (people
        answer when the notice arrives), and in waking hours."""
        span = (end - start).total_seconds()
        at = start + dt.timedelta(seconds=span * (self.rng.random() ** 2))
        local = at.astimezone(clock.local_zone())
        if local.hour < 8:
            at += dt.timedelta(hours=8 - local.hour)
        return min(at, end)

    # --- steps ----------------------------------------------------------------------------
    def _draft(self, title, questions, *, anonymous, audience, description, closes_at):
        office = self.world.office_head
        survey = services.survey_create(actor=office, title=title, description=description,
                                        is_anonymous=anonymous, closes_at=closes_at,
                                        **audience)
        for kind, text, required, extra, _how in questions:
            services.question_add(actor=office, survey_id=survey.pk, kind=kind, text=text,
                                  required=required, **extra)
        self.ids[title] = survey.pk
        self.created[title] = clock.now()
        self.counts["surveys"] = self.counts.get("surveys", 0) + 1

    def _send(self, title):
        services.survey_send(actor=self.world.office_head, survey_id=self.ids[title])

    def _answer(self, title, questions, user_id):
        survey_id = self.ids[title]
        rows = list(Survey.objects.get(pk=survey_id).questions.order_by("position"))
        answers = {}
        for question, (kind, _text, required, extra, how) in zip(rows, questions,
                                                                  strict=True):
            value = self._pick(kind, extra, how)
            if value in (None, "", []) and required:
                value = self._pick(kind, extra, how, force=True)
            answers[question.pk] = value
        services.survey_answer(actor=User.objects.get(pk=user_id), survey_id=survey_id,
                               answers=answers)
        self.counts["survey_responses"] = self.counts.get("survey_responses", 0) + 1

    def _pick(self, kind, extra, how, *, force=False):
        rng = self.rng
        if kind == "single":
            return rng.choices(range(len(extra["options"])), weights=how)[0]
        if kind == "scale":
            points = range(extra["scale_min"], extra["scale_max"] + 1)
            return rng.choices(points, weights=how)[0]
        if kind == "multiple":
            ticked = [i for i, p in enumerate(how) if rng.random() < p]
            if not ticked and force:
                ticked = [max(range(len(how)), key=lambda i: how[i])]
            return ticked
        chance, texts = how
        return rng.choice(texts) if force or rng.random() < chance else ""

    def backdate(self) -> None:
        """Give each survey its replayed creation time."""
        for title, at in self.created.items():
            Survey.objects.filter(pk=self.ids[title]).update(created_at=at)
