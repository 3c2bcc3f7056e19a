"""The demo's fraud case library and fraud reports, replayed through the real services.

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay (each run inside :func:`clock.frozen` at its time, all before
now), ``backdate()`` runs after it, ``counts`` goes into the summary. It runs first among the
education areas: the checker's rules, warnings and follow-ups name its fraud types.

- **Taxonomy** (:data:`SETUP_DAYS` days back): the 13 common types of
  :mod:`safecampus.education.taxonomy` are seeded.
- **Cases**: :data:`CASES` — anonymised campus stories written for the demo — are written by
  the office (``inspector1``) over the following months and published an hour later; one
  more stays a draft.
- **Reports**: :data:`REPORTS` reports over the last six months by roster students of every
  college (more from the colleges and types a campaign should aim at), one by ``student``;
  the police liaison of the reporter's campus receives them within a day, refers most with
  a case number and closes the older ones; the last two days' reports wait in the queue,
  the last weeks' are received or referred.
"""

import datetime as dt
import random
from decimal import Decimal

from safecampus.accounts.models import Affiliation, User
from safecampus.core import clock
from safecampus.education.models import FraudCase, FraudReport, FraudType
from safecampus.education.services import library as library_services
from safecampus.education.services import reports as report_services

SETUP_DAYS = 200
OFFICE = "inspector1"
REPORTS = 40
REPORT_DAYS = 180
HOUR = dt.timedelta(hours=1)

#: (type code, title, victim, loss in yuan or None, days before now it happened, story,
#: lesson). Invented, anonymised stories of the kinds campus campaigns describe.
CASES = [
    ("brushing", "“点赞赚佣金”三单之后被拉黑", "某学院大一学生", 6800, 170,
     "小A在兼职群看到“关注主播、点赞截图，一单3元”的广告，前两天做了十几单，按时收到几十元佣金。"
     "随后客服把她拉进“派单群”，说升级为“福利单”，先垫付298元购买指定商品，完成后返还本金加30%佣金。"
     "第一单确实返了钱。第二单要求一次完成三笔“连单”，共6500元，小A垫付后被告知“操作超时，"
     "需要再做一单才能解冻”。她意识到被骗时，对方已将其拉黑。",
     "先给甜头、再让垫钱，是刷单诈骗的固定套路。凡是要先付钱的“兼职”都是诈骗。"),
    ("investment", "“导师”带着炒虚拟币，充值后提不了现", "某学院研究生", 52000, 150,
     "小B在短视频平台认识了一位自称金融从业者的“导师”，被拉进一个投资交流群，群里每天有人晒收益截图。"
     "“导师”推荐了一个虚拟货币交易App，小B先投入2000元，两天后显示盈利600元并成功提现。"
     "之后他陆续投入5万元，想提现时，平台提示需先缴纳20%“个人所得税”和“风控保证金”。"
     "他再次转账后仍无法提现，群解散，App无法打开。",
     "能提现的小额“盈利”是诱饵。投资只认持牌机构和官方应用商店的App，网上认识的“导师”推荐投资一律拒绝。"),
    ("ecommerce_service", "“快递丢件双倍理赔”，屏幕共享被转走积蓄", "某学院大二学生", 9600, 140,
     "小C接到电话，对方准确报出她的姓名、快递单号和收货地址，称包裹在运输中丢失，可以双倍理赔。"
     "对方让她添加QQ，下载一个会议软件并打开屏幕共享，“指导”她在支付宝里操作领取理赔金。"
     "操作过程中对方看到了她收到的验证码，把她银行卡里的9600元转走了。",
     "理赔和退款只在购物平台的官方App里办理；正规客服不会要求共享屏幕，验证码绝不告诉任何人。"),
    ("loan", "贷款“审批通过”，却要先交解冻费", "某学院大三学生", 4300, 130,
     "小D想买新电脑，看到“学生凭身份证即可贷款，当天到账”的广告，按提示下载了一个贷款App。"
     "申请2万元后，App显示审批通过，但“银行卡号填写错误，资金被冻结”，客服要求缴纳3000元解冻金。"
     "缴纳后又被要求交1300元“会员费”证明还款能力。小D找同学借钱时被提醒，才意识到被骗。",
     "放款前收取任何费用的贷款都是诈骗。学生有经济困难可以找学院和学生资助部门。"),
    ("police_impersonation", "“警官”视频里出示通缉令，要求转到安全账户", "某学院大二学生", 38000, 120,
     "小E接到自称某地快递公司的电话，称她寄出的包裹里查出多张银行卡，涉嫌洗钱，随后电话被“转接”给一位“警官”。"
     "对方在视频里穿着制服，出示印有她名字的“通缉令”，要求她对家人老师保密，到宾馆单独“配合调查”。"
     "为证明清白，小E按要求把3.8万元转进“国家安全账户”接受“资金核查”。第二天辅导员找不到她，报警后才发现被骗。",
     "公检法机关不会通过电话、视频办案，也没有“安全账户”。被要求保密并转账时，立刻挂断，打110核实。"),
    ("leader_impersonation", "“辅导员”在QQ上让帮忙垫付报名费", "某学院大一学生", 2000, 110,
     "小F收到一个好友申请，头像和昵称与他的辅导员一模一样。对方说在开会不便接电话，"
     "让他先帮忙给一位“老师”转2000元竞赛报名费，会后马上还他。小F转账后，对方又要求再转3000元，"
     "他打电话给辅导员核实，才知道辅导员的账号被冒用了。",
     "涉及转账，一定要打电话或当面向本人核实，头像和昵称都可以被复制。"),
    ("game_trade", "低价买游戏皮肤，“卡单”要交保证金", "某学院大一学生", 1500, 100,
     "小G在游戏群里看到有人低价出售限定皮肤，对方发来一个“交易平台”链接。"
     "他付款300元后，页面提示“交易卡单，需缴纳保证金解冻”，又先后转了1200元，皮肤始终没有到账，链接也打不开了。",
     "游戏交易只走官方平台，不点对方发来的链接，价格明显低于市场价时要格外警惕。"),
    ("romance", "交友软件上的“完美对象”，带着一起“投资”", "某学院研究生", 86000, 95,
     "小H在交友软件上认识了一位自称海外留学归来的异性，对方每天嘘寒问暖，两人很快确定了“恋爱关系”，但对方总以各种理由拒绝视频。"
     "一个多月后，对方透露自己掌握某博彩平台的“漏洞”，带小H一起下注，小H先赢了几千元。"
     "之后他加大投入，共充值8.6万元，平台突然显示“违规操作，账户冻结”，对方随即失联。",
     "网上谈感情、见面前谈钱，是“杀猪盘”的典型特征。不在对方推荐的任何平台充值。"),
    ("credit_record", "“不注销校园贷会影响征信”", "某学院大四学生", 27000, 80,
     "临近毕业的小I接到“某金融平台客服”电话，称他在校期间开通过校园贷账户，按国家规定必须注销，否则会影响征信和就业。"
     "对方让他在几个借贷App上借款“清空额度”，再把借到的钱转到“指定账户”核销。小I照做后，发现对方再也联系不上，"
     "自己却背上了2.7万元贷款。",
     "征信记录任何个人和机构都改不了。陌生来电让你贷款再转账，一定是诈骗。"),
    ("refund_cancel_loan", "“误开通百万保障，每月扣费”", "某学院大三学生", 15000, 70,
     "小J接到自称某支付平台客服的电话，说他误开通了“百万保障”服务，不关闭每月会自动扣费500元。"
     "对方让他下载会议软件共享屏幕，一步步“指导”关闭服务，其间让他在两个借贷App上借款，"
     "称是“验证账户资金流水”，借出的1.5万元转入“验证账户”后即被转走。",
     "取消会员、保障等服务在官方App内自己操作即可，任何要求贷款或转账的“客服”都是骗子。"),
    ("shopping", "二手平台低价演唱会门票", "某学院大二学生", 1280, 60,
     "小K想买演唱会门票，在二手平台上找到一位低于票面价出售的卖家。对方以“平台手续费太高”为由，"
     "让小K添加微信直接转账。小K转账1280元后，对方又要求缴纳“实名认证保证金”，小K拒绝后被拉黑。",
     "网购坚持使用平台担保交易；票务认准官方渠道，绕开平台私下付款的风险自己承担。"),
    ("part_time_job", "高薪兼职要先交培训费，还想借用银行卡", "某学院大一学生", 599, 45,
     "小L在招聘网站上找到一份“在家录入文字，日结200元”的兼职。对方称需要先交599元培训费和资料费。"
     "交钱后对方又说有更赚钱的工作：把自己的银行卡借出去“走账”，每天给300元。"
     "小L觉得不对劲，向辅导员求助，辅导员提醒他出租出借银行卡是违法行为。",
     "先交钱的兼职是诈骗；出租、出借、出售银行卡和电话卡，会成为诈骗团伙的帮凶，要承担法律责任。"),
    ("grant_subsidy", "“助学金待领取”短信里的链接", "某学院大一新生", 3500, 30,
     "开学不久，小M收到一条短信，称她符合国家助学金发放条件，请点击链接登记领取。"
     "链接打开后是一个仿冒的“学生资助管理系统”页面，要求填写银行卡号、密码和验证码。"
     "小M填写后，银行卡里的3500元生活费被分几笔转走。",
     "助学金由学校直接发放到学生账户，不需要学生填写密码和验证码。收到此类短信先向辅导员或资助中心核实。"),
    ("investment", "同学拉进“内部荐股群”，老师带着买“原始股”", "某学院大三学生", 12000, 20,
     "小N被同学拉进一个炒股交流群，群里的“老师”每天免费讲课，推荐的股票偶尔确实上涨。"
     "一周后“老师”说有一只即将上市的“原始股”，只对群内成员开放认购。小N在对方提供的App上买了1.2万元，"
     "想卖出时被告知“锁定期内不能交易”，之后群被解散。",
     "“内部消息”“原始股”是投资诈骗的常见说法；认购股票只通过正规证券公司。"),
]
#: One more case that stays a draft (the office page shows drafts).
DRAFT = ("ecommerce_service", "“退货运费险理赔”电话", "某学院大二学生", None, 10,
         "（待补充）接到自称某电商平台客服的电话，称可以为其办理运费险理赔……",
         "")
#: Relative weights of the types reported; one report in ten names no type ("not sure").
TYPE_WEIGHTS = {"brushing": 9, "ecommerce_service": 6, "investment": 4, "loan": 4,
                "police_impersonation": 4, "refund_cancel_loan": 3, "game_trade": 3,
                "shopping": 3, "part_time_job": 3, "leader_impersonation": 2, "romance": 2,
                "credit_record": 2, "grant_subsidy": 2}
#: Colleges that report more (a campaign should aim there); others weigh 1.
COLLEGE_WEIGHTS = {"info": 4, "mgmt": 3, "humanities": 2}
CHANNELS = {"brushing": "social", "investment": "social", "ecommerce_service": "phone",
            "loan": "website", "police_impersonation": "phone", "leader_impersonation": "social",
            "game_trade": "website", "romance": "social", "credit_record": "phone",
            "refund_cancel_loan": "phone", "shopping": "website", "part_time_job": "website",
            "grant_subsidy": "sms"}
DESCRIPTIONS = {
    "brushing": "在兼职群接了点赞任务，前几单返了佣金，后来让我垫付做“连单”，钱转过去后提不了现。",
    "investment": "网上认识的人推荐了一个投资App，充值后显示赚钱，但提现要先交手续费。",
    "ecommerce_service": "有人自称快递客服，说我的包裹丢了要理赔，让我下载软件共享屏幕。",
    "loan": "下载了一个贷款App，说审批通过但卡号错误被冻结，要交解冻金。",
    "police_impersonation": "对方自称警察，说我涉嫌洗钱，要我保密并把钱转到安全账户。",
    "leader_impersonation": "一个和老师头像一样的QQ号让我帮忙转钱垫付费用。",
    "game_trade": "在游戏群买装备，对方发来链接让我在上面交易，付款后说卡单要交保证金。",
    "romance": "交友软件上认识的人一直不肯视频，最近劝我去一个平台充值投资。",
    "credit_record": "接到电话说我的校园贷没注销会影响征信，要我借款转到指定账户。",
    "refund_cancel_loan": "对方说我误开通了会员每月扣费，让我按他说的操作取消。",
    "shopping": "在二手平台买东西，卖家让我加微信私下转账，付款后不发货。",
    "part_time_job": "找兼职时对方要求先交培训费，还问我能不能把银行卡借给他们用。",
    "grant_subsidy": "收到短信说我有助学金可以领，点开链接要填银行卡密码和验证码。",
    None: "接到一个陌生电话，对方说的内容很奇怪，我不确定是不是诈骗，想请老师看一下。",
}
LOSSES = [200, 298, 500, 880, 1200, 1500, 2600, 3000, 4500, 6800, 9000, 12000, 20000, 36000]


class LibraryDemo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.counts: dict[str, int] = {}
        self.made: list[tuple[type, int, dt.datetime]] = []

    # --- plan ----------------------------------------------------------------------------------
    def events(self) -> list:
        now = self.now
        events = [(now - dt.timedelta(days=SETUP_DAYS), self._seed)]
        for index, entry in enumerate(CASES):
            written = now - dt.timedelta(days=entry[4] - 3, hours=self.rng.randint(1, 6))
            events.append((written, lambda e=entry, i=index: self._write_case(e)))
        events.append((now - dt.timedelta(days=2), lambda: self._write_case(DRAFT, publish=False)))
        events.extend(self._report_events())
        return events

    def _seed(self) -> None:
        library_services.fraud_types_seed(actor=None)

    def _write_case(self, entry, *, publish: bool = True) -> None:
        code, title, victim, loss, days, story, lesson = entry
        office = User.objects.get(username=OFFICE)
        fraud_type = FraudType.objects.get(code=code)
        case = library_services.fraud_case_create(
            actor=office, fraud_type_id=fraud_type.pk, title=title, victim_profile=victim,
            loss_amount=Decimal(loss) if loss is not None else None, story=story, lesson=lesson,
            occurred_on=(self.now - dt.timedelta(days=days)).astimezone(clock.local_zone())
            .date())
        self.made.append((FraudCase, case.pk, clock.now()))
        if publish:
            with clock.frozen(clock.now() + HOUR):
                library_services.fraud_case_publish(actor=office, case_id=case.pk)

    def _students(self) -> list[tuple[str, str, int]]:
        """(username, college code, campus id) of every roster student, in a fixed order."""
        return list(Affiliation.objects.filter(kind=Affiliation.Kind.STUDENT,
                                               college__isnull=False)
                    .order_by("user__username")
                    .values_list("user__username", "college__code", "campus_id"))

    def _report_events(self) -> list:
        rng, now = self.rng, self.now
        students = self._students()
        if not students:
            return []
        weights = [COLLEGE_WEIGHTS.get(code, 1) for _u, code, _c in students]
        codes, type_weights = zip(*TYPE_WEIGHTS.items(), strict=True)
        plans = []
        for n in range(REPORTS):
            username = "student" if n == REPORTS - 3 else rng.choices(students, weights)[0][0]
            code = None if rng.random() < 1 / 10 else rng.choices(codes, type_weights)[0]
            age = dt.timedelta(days=rng.uniform(0.2, REPORT_DAYS))
            if n < 3:  # the last two days' reports wait in the queue
                age = dt.timedelta(hours=rng.uniform(2, 40))
            if n == REPORTS - 3:
                age = dt.timedelta(days=4, hours=3)
            plans.append((now - age, username, code))
        events = []
        for at, username, code in sorted(plans):
            events.append((at, lambda u=username, c=code, a=at: self._report(u, c, a)))
        return events

    def _report(self, username: str, code: str | None, at: dt.datetime) -> None:
        rng = self.rng
        actor = User.objects.get(username=username)
        lost = code is not None and rng.random() < 0.45
        happened = (at - dt.timedelta(days=rng.choice([0, 0, 1, 2, 5]))).astimezone(
            clock.local_zone()).date()
        fraud_type = FraudType.objects.filter(code=code).first() if code else None
        report = report_services.fraud_report_submit(
            actor=actor, channel=CHANNELS.get(code, "phone"), occurred_on=happened,
            fraud_type_id=fraud_type.pk if fraud_type else None, lost_money=lost,
            loss_amount=Decimal(rng.choice(LOSSES)) if lost else None,
            description=DESCRIPTIONS[code],
            counterpart=rng.choice(["", "QQ群 7xxxxxx", "微信号 wx_lucky***",
                                    "https://vip-task.example", "170****2231"]),
            contact_phone=actor.phone or f"13{rng.randint(0, 9)}{rng.randint(10**7, 10**8 - 1)}")
        self.made.append((FraudReport, report.pk, at))
        police = self.world.police.get(report.campus_id) or next(iter(self.world.police.values()))
        age = self.now - at
        if age < dt.timedelta(days=2):
            return
        steps = [("receive", at + dt.timedelta(hours=rng.randint(2, 20)))]
        if age > dt.timedelta(days=6):
            if rng.random() < 0.8 or lost:
                steps.append(("refer", at + dt.timedelta(days=1, hours=rng.randint(1, 30))))
        if age > dt.timedelta(days=40):
            steps.append(("close", at + dt.timedelta(days=rng.randint(8, 20))))
        for name, when in steps:
            with clock.frozen(min(when, self.now - HOUR)):
                self._step(report.pk, name, police, lost)

    def _step(self, report_id: int, name: str, police, lost: bool) -> None:
        if name == "receive":
            report_services.fraud_report_receive(actor=police, report_id=report_id,
                                                 note="已电话联系报告人，了解经过。")
        elif name == "refer":
            year = clock.local_today().year
            report_services.fraud_report_refer(
                actor=police, report_id=report_id,
                police_reference=f"反诈{year}-{report_id:04d}",
                note="已转辖区派出所受理。")
        else:
            report_services.fraud_report_close(
                actor=police, report_id=report_id,
                note="派出所已立案，部分资金已止付。" if lost else "已向报告人讲解防骗要点，未造成损失。")

    # --- after the replay ------------------------------------------------------------------------
    def backdate(self) -> None:
        """``created_at`` of the replayed cases and reports: when they happened."""
        for model, pk, at in self.made:
            model.objects.filter(pk=pk).update(created_at=at)
        FraudType.objects.update(created_at=self.now - dt.timedelta(days=SETUP_DAYS))
        self.counts = {
            "fraud_types": FraudType.objects.count(),
            "fraud_cases_published": FraudCase.objects.filter(is_published=True).count(),
            "fraud_reports": FraudReport.objects.count(),
            "fraud_reports_open": FraudReport.objects.exclude(
                state=FraudReport.State.CLOSED).count(),
        }
