"""The demo's education quizzes area, replayed through the real services.

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay (each run inside :func:`clock.frozen` at its time, all before
now), ``backdate()`` runs after it, ``counts`` goes into the summary.

- **Banks** (40 days back): two built-in banks written for the demo — 反诈知识题库 (14
  questions) and 消防安全题库 (8) — and, when the real data folder is there
  (``SAFECAMPUS_SHARED_DATA`` or ``../shared/data``), the 747 real lab-safety questions of
  ``other/lab-safety-exam-questions/seu_lab_safety_exam_questions.json`` imported through the
  mapping import. The demo does not depend on that folder.
- **A closed quiz** (opened 35 days ago, closed 21 days ago) for the 2024 year group:
  实验室安全准入测试 (20 questions drawn from the lab bank) when the real file is there, else
  宿舍消防安全准入测试 (the whole fire bank); about 85 % attempted, some twice.
- **Open now**: ``<year>秋季新生反诈知识测试`` for the 2025 year group (10 of the anti-fraud
  questions, 20 minutes, two attempts), opened five days ago; about 70 % have taken it with
  varied scores, some failing. 宿舍消防安全知识测验 for 化学学院 2024级, opened two days ago:
  some classmates have taken it, ``student`` has not — it is open for them to take.
"""

import datetime as dt
import os
import random
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile

from safecampus.accounts.models import Affiliation, AudienceKind, User
from safecampus.core import clock
from safecampus.education.models import Question, QuestionBank, Quiz, QuizAttempt
from safecampus.education.services import question_import as importing
from safecampus.education.services import quizzes as services
from safecampus.organisation.models import Unit

OFFICE = "inspector1"
DAY = dt.timedelta(days=1)
SEU_FILE = Path("other") / "lab-safety-exam-questions" / "seu_lab_safety_exam_questions.json"

S, M, TF = Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.TRUE_FALSE
#: (kind, question, options, correct indexes, explanation) — written for this demo.
ANTI_FRAUD = [
    (S, "有人自称“快递客服”，说你的包裹丢失要给你双倍理赔，让你下载一个会议软件并共享屏幕。"
        "你应该怎么做？",
     ["按对方指引操作，尽快拿到理赔", "挂断电话，通过购物平台官方渠道核实",
      "先共享屏幕，发现不对再关掉", "把银行卡号告诉对方方便退款"], [1],
     "理赔只走购物平台内的官方流程；共享屏幕会让对方看到验证码和密码。"),
    (TF, "“刷单返利”兼职先让你做几单小额任务并返还本金，说明这份兼职是可靠的。", ["正确", "错误"],
     [1], "先小额返利取得信任、再诱导大额垫付，是刷单诈骗的典型套路。"),
    (M, "下列哪些是电信网络诈骗的常见信号？",
     ["要求把钱转到“安全账户”", "要求对通话内容保密，不要告诉家人老师",
      "要求提供短信验证码", "通过学校官网公布的电话联系你办理业务"], [0, 1, 2],
     "公检法没有“安全账户”；要求保密、索要验证码都是危险信号。"),
    (S, "接到自称“公安局”的电话，说你涉嫌洗钱，要求你配合调查并转账“验资”。正确的做法是：",
     ["立即转账证明清白", "按对方要求到宾馆单独开房接受“视频笔录”",
      "挂断后拨打110或到就近派出所核实", "把身份证照片发给对方"], [2],
     "公安机关不会通过电话、网络办案要求转账。"),
    (TF, "国家反诈中心App可以举报诈骗线索、查验可疑账号和网址。", ["正确", "错误"], [0], ""),
    (S, "全国统一的反诈预警劝阻专线是：", ["96110", "12315", "12345", "10086"], [0],
     "接到96110来电请务必接听，这是在提醒你可能正遭遇诈骗。"),
    (M, "网上“低价游戏装备、代练”交易，下列哪些做法容易被骗？",
     ["脱离游戏官方平台私下交易", "扫码进入对方提供的“交易网站”",
      "按“客服”要求缴纳解冻金、保证金", "只在官方交易平台内完成交易"], [0, 1, 2], ""),
    (S, "“网贷客服”称你申请的贷款因银行卡号填错被冻结，需要先交解冻费。这是：",
     ["正常的贷款流程", "虚假网络贷款诈骗", "银行的风控要求", "平台的会员服务"], [1],
     "正规贷款放款前不会收取任何费用。"),
    (TF, "自己的银行卡、手机卡出借或出售给他人使用，只要自己没有参与诈骗就不违法。",
     ["正确", "错误"], [1], "出租出借“两卡”可能构成帮助信息网络犯罪活动罪。"),
    (M, "发现自己被骗后，应当立即做哪些事？",
     ["拨打110报警", "保存聊天记录、转账凭证等证据", "联系银行尝试止付",
      "继续给对方转账，希望对方退还"], [0, 1, 2], ""),
    (S, "QQ上“辅导员”让你帮忙给某位“领导”转一笔钱，说事后马上还。你应该：",
     ["马上转账，不能让领导等", "通过电话或当面向辅导员本人核实", "转一半试试", "向同学借钱后转账"],
     [1], "冒充领导、熟人诈骗多用新注册或被盗的社交账号。"),
    (TF, "网络上认识的“恋人”推荐你到某个平台投资理财，稳赚不赔，可以放心投入。",
     ["正确", "错误"], [1], "“杀猪盘”以恋爱为名诱导投资，平台是虚假的。"),
    (S, "“注销校园贷会影响征信”的电话要求你把借款转到指定账户“清空额度”，这属于：",
     ["虚假征信诈骗", "正常的征信修复服务", "银行客户回访", "学校资助政策"], [0],
     "个人征信不能通过转账“修复”或“注销”。"),
    (M, "保护个人信息，下列做法正确的是：",
     ["快递单撕毁或涂抹后再丢弃", "不随意扫描来路不明的二维码", "在陌生网站填写身份证号领奖品",
      "不同平台使用不同的密码"], [0, 1, 3], ""),
]
FIRE = [
    (S, "宿舍内发现电线冒烟、有焦糊味，首先应该：",
     ["用水浇灭", "切断电源并报告宿管或拨打119", "打开窗户通风后继续使用", "拍照发朋友圈"], [1],
     "电气火灾不能用水扑救，应先断电。"),
    (TF, "在宿舍使用“热得快”、电热锅等大功率电器，只要有人看着就没有危险。", ["正确", "错误"],
     [1], "大功率电器易使线路过载，宿舍内禁止使用。"),
    (M, "火场逃生时，下列做法正确的是：",
     ["用湿毛巾捂住口鼻，低姿前进", "乘坐电梯快速下楼", "沿疏散指示标志撤离",
      "身上着火时就地打滚压灭火苗"], [0, 2, 3], "火灾时不要乘坐电梯。"),
    (S, "使用手提式干粉灭火器，正确的顺序是：",
     ["拔保险销→握喷管对准火焰根部→压把手", "压把手→拔保险销→对准火焰顶部",
      "摇晃→对准火焰顶部→压把手", "拔保险销→对准烟雾→压把手"], [0], ""),
    (TF, "电动自行车电池可以拿回宿舍充电，只要不过夜就行。", ["正确", "错误"], [1],
     "电动自行车及电池严禁进入宿舍楼充电、停放。"),
    (S, "火警电话是：", ["110", "119", "120", "122"], [1], ""),
    (M, "下列哪些行为会堵塞疏散通道、影响逃生？",
     ["在楼道堆放纸箱杂物", "把安全出口的门锁死", "在楼梯间停放自行车", "保持常闭式防火门关闭"],
     [0, 1, 2], "常闭式防火门平时应保持关闭，这是正确的。"),
    (TF, "离开宿舍时应关闭电源，充电器不用时要拔下。", ["正确", "错误"], [0], ""),
]


def shared_data_dir() -> Path:
    """The real data folder (``SAFECAMPUS_SHARED_DATA``, else ``../shared/data`` beside the
    project); it may be absent."""
    env = os.environ.get("SAFECAMPUS_SHARED_DATA")
    return Path(env) if env else Path(settings.BASE_DIR).parent / "shared" / "data"


class QuizDemo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.zone = clock.local_zone()
        self.counts: dict[str, int] = {}
        self.banks: dict[str, int] = {}
        self.quizzes: dict[str, int] = {}
        today = now.astimezone(self.zone).date()
        self.autumn_year = today.year if today.month >= 8 else today.year - 1
        self.lab_file = shared_data_dir() / SEU_FILE

    # --- helpers -------------------------------------------------------------------------
    def office(self) -> User:
        return User.objects.get(username=OFFICE)

    def ago(self, days: float, hour: int | None = None) -> dt.datetime:
        moment = self.now - dt.timedelta(days=days)
        if hour is not None:
            local = moment.astimezone(self.zone)
            moment = local.replace(hour=hour, minute=0, second=0, microsecond=0)
        return moment

    def events(self) -> list:
        setup = self.ago(40, 10)
        closed_open, closed_close = self.ago(35, 8), self.ago(21, 22)
        fresh_open = self.ago(5, 8)
        fire_open = self.ago(2, 9)
        events = [(setup, self.make_banks),
                  (closed_open, self.make_closed_quiz),
                  (fresh_open, self.make_freshman_quiz),
                  (fire_open, self.make_fire_quiz)]
        # Attempts spread over the open days (each event a day's share, before now).
        for day in range(0, 13):
            at = closed_open + dt.timedelta(days=day, hours=self.rng.randint(2, 12))
            if at < closed_close:
                events.append((at, lambda d=day: self.take("closed", share=1 / 13, day=d)))
        for day in range(0, 5):
            at = fresh_open + dt.timedelta(days=day, hours=self.rng.randint(2, 12))
            if at < self.now - dt.timedelta(minutes=30):
                events.append((at, lambda d=day: self.take("freshman", share=1 / 5, day=d)))
        at = fire_open + dt.timedelta(hours=10)
        if at < self.now - dt.timedelta(minutes=30):
            events.append((at, lambda: self.take("fire", share=1.0, day=0)))
        return events

    # --- banks --------------------------------------------------------------------------------
    def _bank(self, name: str, topic: str, source: str, rows) -> int:
        office = self.office()
        bank = services.bank_create(actor=office, name=name, topic=topic, source=source)
        for kind, stem, options, answer, explanation in rows:
            services.question_add(actor=office, bank_id=bank.pk, kind=kind, stem=stem,
                                  options=options, answer=answer, explanation=explanation)
        return bank.pk

    def make_banks(self) -> None:
        self.banks["fraud"] = self._bank("反诈知识题库", "anti_fraud", "保卫处编写", ANTI_FRAUD)
        self.banks["fire"] = self._bank("消防安全题库", "fire", "保卫处编写", FIRE)
        self.counts["quiz_questions"] = len(ANTI_FRAUD) + len(FIRE)
        if self.lab_file.is_file():
            office = self.office()
            bank = services.bank_create(actor=office, name="实验室安全考试题库（东南大学）",
                                        topic="lab", source="东南大学实验室安全考试题库")
            upload = importing.question_import_upload(
                actor=office, bank_id=bank.pk,
                uploaded_file=ContentFile(self.lab_file.read_bytes(), name=self.lab_file.name))
            table = importing.question_upload_table(upload)
            count = importing.question_import_commit(
                actor=office, upload=upload, plan=importing.suggest_plan(table), table=table)
            self.banks["lab"] = bank.pk
            self.counts["quiz_questions"] += count

    # --- quizzes ------------------------------------------------------------------------------
    def make_closed_quiz(self) -> None:
        # named for the bank it draws on: the lab bank only when the real file is there
        if "lab" in self.banks:
            bank, count = self.banks["lab"], 20
            title, instructions = "实验室安全准入测试", "进入实验室前须通过本测试。"
        else:
            bank, count = self.banks["fire"], None
            title, instructions = "宿舍消防安全准入测试", "入住宿舍前须通过本测试。"
        quiz = services.quiz_create(
            actor=self.office(), bank_id=bank, title=title,
            instructions=instructions, opens_at=clock.now(),
            closes_at=self.ago(21, 22), audiences=[{"kind": AudienceKind.YEAR, "year": 2024}],
            question_count=count, time_limit_minutes=30, pass_mark=80, max_attempts=2,
            seed=2024)
        self.quizzes["closed"] = quiz.pk
        self._announce(quiz.pk)

    def make_freshman_quiz(self) -> None:
        quiz = services.quiz_create(
            actor=self.office(), bank_id=self.banks["fraud"],
            title=f"{self.autumn_year}秋季新生反诈知识测试",
            instructions="请在截止时间前完成，60分及格，可作答两次。", opens_at=clock.now(),
            closes_at=self.ago(-10, 22),
            audiences=[{"kind": AudienceKind.YEAR, "year": 2025}], question_count=10,
            time_limit_minutes=20, pass_mark=60, max_attempts=2, seed=2025)
        self.quizzes["freshman"] = quiz.pk
        self._announce(quiz.pk)

    def make_fire_quiz(self) -> None:
        chem = Unit.objects.get(code="chem")
        quiz = services.quiz_create(
            actor=self.office(), bank_id=self.banks["fire"], title="宿舍消防安全知识测验",
            opens_at=clock.now(), closes_at=self.ago(-12, 22),
            audiences=[{"kind": AudienceKind.COLLEGE, "unit_id": chem.pk, "year": 2024}],
            time_limit_minutes=15, pass_mark=60, max_attempts=1, seed=7)
        self.quizzes["fire"] = quiz.pk
        self._announce(quiz.pk)

    @staticmethod
    def _announce(quiz_id: int) -> None:
        """What the task queued by ``quiz_create`` does, at the replayed opening time (the
        queue's own run later finds the quiz announced already)."""
        services.quiz_open_announce(quiz_id=quiz_id)

    # --- people taking them ----------------------------------------------------------------
    def _takers(self, key: str) -> list[User]:
        """Who takes quiz ``key`` in the end (a fixed share of those assigned, ``student``
        never takes the fire quiz), in a fixed shuffled order."""
        if not hasattr(self, "_taker_lists"):
            self._taker_lists = {}
        if key not in self._taker_lists:
            from safecampus.education.selectors import quizzes as selectors

            quiz = Quiz.objects.get(pk=self.quizzes[key])
            people = list(selectors.quiz_people(quiz).exclude(username="student")
                          .order_by("pk"))
            self.rng.shuffle(people)
            share = {"closed": 0.85, "freshman": 0.70, "fire": 0.45}[key]
            self._taker_lists[key] = people[:round(len(people) * share)]
        return self._taker_lists[key]

    def take(self, key: str, *, share: float, day: int) -> None:
        if key not in self.quizzes:
            return
        people = self._takers(key)
        per_day = max(1, round(len(people) * share))
        batch = people[day * per_day:(day + 1) * per_day] if share < 1 else people
        start = clock.now()
        for n, person in enumerate(batch):
            with clock.frozen(start + dt.timedelta(minutes=3 * n)):
                self._attempt(key, person)

    def _attempt(self, key: str, person: User) -> None:
        skill = self.rng.choice([0.35, 0.5, 0.65, 0.75, 0.85, 0.9, 0.95, 1.0])
        for _round in range(2):
            attempt = services.attempt_start(actor=person, quiz_id=self.quizzes[key])
            questions = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_order)}
            answers = {}
            for pk in attempt.question_order:
                question = questions[pk]
                if self.rng.random() < skill:
                    answers[str(pk)] = list(question.answer)
                else:
                    wrong = [i for i in range(len(question.options)) if i not in question.answer]
                    answers[str(pk)] = [self.rng.choice(wrong)] if wrong else []
            minutes = self.rng.randint(4, 14)
            with clock.frozen(clock.now() + dt.timedelta(minutes=minutes)):
                attempt = services.attempt_submit(actor=person, attempt_id=attempt.pk,
                                                  answers=answers)
            self.counts["quiz_attempts"] = self.counts.get("quiz_attempts", 0) + 1
            quiz = attempt.quiz
            if attempt.passed or attempt.number >= quiz.max_attempts or self.rng.random() < 0.5:
                break
            skill = min(1.0, skill + 0.2)

    def backdate(self) -> None:
        """Created times as replayed: banks and questions at setup, quizzes at opening,
        attempts at their start."""
        from django.db.models import F

        QuizAttempt.objects.update(created_at=F("started_at"), updated_at=F("started_at"))
        Quiz.objects.update(created_at=F("opens_at"), updated_at=F("opens_at"))
        setup = self.ago(40, 10)
        QuestionBank.objects.update(created_at=setup)
        Question.objects.update(created_at=setup)
        self.counts["quizzes"] = Quiz.objects.count()
        self.counts["quiz_people"] = Affiliation.objects.filter(enrolment_year=2025).count()
