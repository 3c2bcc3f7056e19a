"""The default rule set (version 1), written for SafeCampus from what police and university
anti-fraud notices publicly say about the common scams; tuned on the labelled SMS corpus so
that ordinary messages stay below "high" (see docs/benchmarks.md, checker section).

Each entry below is a *concept*: a few phrases (or regular expressions) that say the same
thing, one red flag, one weight, one context. :func:`default_specs` turns the concepts
into rules of a few phrases each (``刷单|刷信誉|刷销量|刷好评``); the engine counts rules
that share a red flag and type as one piece of evidence, so synonyms never add up.

Fraud types are found by code (the library's codes in :mod:`..taxonomy`: brushing,
investment, ecommerce_service, loan, police_impersonation, leader_impersonation, game_trade,
romance, credit_record, refund_cancel_loan, part_time_job, grant_subsidy); rules of a
type that does not exist are left out by the seed. ``""`` is a shared signal (no type).

Weights: a phrase that only fraudsters write 40–55, a strong sign 25–35, a sign that needs
company 10–20; shared signals 5–40; warnings *about* fraud (被骗, 反诈, 谨防 …) count
against. The thresholds are medium 40 and high 70; a single piece of evidence never
reaches high (engine rule), so high needs at least two independent signs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .engine import RuleSpec

MEDIUM, HIGH = 40, 70
PHRASES_PER_RULE = 4

FLAGS = {
    # brushing
    "brushing": _("Paid \"order brushing\" or liking tasks: a classic bait of brushing scams."),
    "task_advance": _("You are asked to pay first and get it back with commission: that is "
                      "how brushing scams take your money."),
    "stuck_task": _("A \"stuck\" or \"linked\" order that needs more money to release: the "
                    "money never comes back."),
    "easy_money": _("Easy money for little work from home: typical of fake part-time jobs."),
    "commission": _("Commission paid per task or per day: typical of fake part-time jobs."),
    "part_time": _("An offer of part-time work."),
    # investment and betting
    "guaranteed": _("Guaranteed or risk-free high returns: no real investment promises that."),
    "tipster": _("A \"teacher\" or insider leading your trades: the bait of investment scams."),
    "crypto": _("Virtual currency or unregulated trading platforms."),
    "betting": _("Online betting or lottery platforms are illegal and a common way to take "
                 "money."),
    "betting_bonus": _("Bonus money for your first deposit or cash back on losses: the hook "
                       "of betting sites."),
    "withdraw_blocked": _("You cannot withdraw unless you pay a fee or deposit first: the "
                          "platform is fake."),
    "returns": _("Promised daily or monthly returns."),
    # e-commerce / courier customer service
    "refund_offer": _("An unasked-for refund or compensation from \"customer service\"."),
    "parcel_lost": _("A lost parcel or failed order used as a reason to contact you."),
    "cancel_membership": _("\"Cancel a membership or agent status or you will be charged\": "
                           "a typical customer-service scam."),
    "unknown_membership": _("A membership or service you never opened that is said to charge "
                            "you automatically."),
    "borrow_to_refund": _("You are asked to borrow (借呗, 微粒贷 …) or show a balance to get "
                          "a refund: real refunds never need that."),
    "account_threat": _("A threat that your account or money will be frozen or seized."),
    # loans
    "no_collateral": _("A loan without collateral, guarantor or credit check."),
    "fast_loan": _("Instant approval or payout promised."),
    "loan_fee": _("A fee, deposit or \"unfreezing money\" before a loan is paid out: real "
                  "lenders never ask for that."),
    "fake_statement": _("\"Boosting your bank statement\" to get a loan."),
    "student_loan": _("Loans aimed at students."),
    "loan_offer": _("An unasked-for loan offer."),
    # police impersonation
    "safe_account": _("A \"safe account\" for your money: police never ask you to move money."),
    "crime_accusation": _("You are told you are involved in a crime (money laundering, a "
                          "case, a warrant)."),
    "online_case": _("Case handling online, by video or by transferred call: the police do "
                     "not do that."),
    "police_mention": _("Police, court or prosecutor named together with money or accounts."),
    "identity_misused": _("A claim that your identity, bank card or medical insurance card "
                          "was misused."),
    "contraband_parcel": _("A parcel said to contain contraband."),
    # leader / acquaintance impersonation
    "new_number": _("\"I changed my number / add my new account\": check it through a known "
                    "channel first."),
    "guess_who": _("\"Guess who I am\" or a leader or teacher contacting you from an "
                   "unknown account."),
    "pay_for_me": _("You are asked to transfer or advance money on someone's behalf."),
    "busy_cannot_talk": _("They cannot talk on the phone but need money now."),
    "card_changed": _("\"My bank card changed, pay to this account from now on\": confirm "
                      "by phone before paying."),
    "emergency_relative": _("A relative or friend in an emergency who needs money at once."),
    # game trading
    "cheap_game_items": _("Cheap or free game accounts, skins or currency."),
    "off_platform": _("Trading outside the platform, where nothing protects you."),
    "game_frozen": _("A game trade \"frozen\" until you pay a deposit or fee."),
    "minor_refund": _("A refund of a minor's game spending used as bait."),
    "pay_first": _("You are asked to pay first and receive the goods later, outside any "
                   "platform."),
    # romance
    "love_money": _("Someone met online who talks about money, investment or platforms."),
    "online_partner": _("An online friend or partner (\"dear\", \"baby\") brings up money "
                        "or a platform."),
    "loophole": _("An inside person or a \"loophole\" in a platform that guarantees "
                  "winnings: the bait of investment and betting scams."),
    "nude_chat": _("Naked video chat and threats to expose it: sextortion."),
    "meet_fee": _("Travel money or a fee before meeting."),
    "sex_service": _("Paid sexual services offered: a common way to take a deposit."),
    "contacts_access": _("Access to your contact list or threats to message your contacts."),
    # credit record
    "credit_fix": _("\"Repair your credit record\" or \"remove overdue records\": nobody can "
                    "do that for a fee."),
    "cancel_student_loan": _("\"Cancel your student loan account or your credit record "
                             "suffers\": a typical fake credit-record scam."),
    "credit_threat": _("A threat that your credit record will be damaged."),
    "clear_quota": _("You are asked to clear or empty a credit line (花呗, 借呗, 白条 …)."),
    "job_fee": _("A fee, deposit or training charge before you start a job: real employers "
                 "never ask for one."),
    "two_cards": _("Renting out or selling bank cards or phone cards, or moving money for "
                   "others: that is a crime, not a job."),
    "grant_bait": _("A grant, subsidy or tax refund you must claim through a link, a fee or "
                    "your card details: schools pay grants directly."),
    "credit_fee": _("A fee to \"fix\" or \"cancel\" something about your credit."),
    # shared signals
    "link": _("A link: open only addresses you know."),
    "short_link": _("A short link hides where it leads."),
    "ip_link": _("A link to a bare IP address: official sites use names."),
    "lookalike_domain": _("A web address that imitates a bank, shop or government site."),
    "odd_domain": _("An unusual web address ending."),
    "intl_number": _("An international number."),
    "virtual_number": _("A virtual-carrier mobile number (170, 171, 162, 165, 167)."),
    "service_number": _("A 95 or 400 service number: check it on the official website."),
    "download_app": _("You are asked to download an app or open a link to an app."),
    "screen_share": _("Screen sharing or a meeting app: they want to see your codes and "
                      "bank screens."),
    "remote_control": _("Remote control software gives them your phone or computer."),
    "urgency": _("Pressure to act at once."),
    "secrecy": _("You are told to keep it secret from family, teachers or the police."),
    "code_request": _("You are asked to tell someone a verification code or password."),
    "credentials": _("You are asked to enter your account and password: a phishing page "
                     "steals them."),
    "code_on_page": _("You are asked to enter a verification code on a page a link opens: "
                      "whoever runs the page uses the code to take over your account or "
                      "money."),
    "card_details": _("You are asked for your bank card, ID number or other personal data."),
    "transfer": _("A request to transfer or pay money."),
    "pay_account": _("A bank account to pay into."),
    "money": _("An amount of money."),
    "points_phishing": _("Points, bonuses or cash to redeem through a link: a phishing trick."),
    "prize": _("A prize you never entered for."),
    "warning_context": _("Text that warns about fraud (counts against)."),
    "warning_framing": _("The text says this is a scam or warns against it, as the "
                         "office's and the police's own warnings do (counts against)."),
    "qq_wechat": _("You are asked to move to WeChat or QQ."),
}


@dataclass(frozen=True)
class Concept:
    type_code: str
    patterns: tuple[str, ...]
    weight: int
    flag: str
    requires: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    window: int = 30
    kind: str = "phrase"


def C(type_code, patterns, weight, flag, requires=(), excludes=(), window=30, kind="phrase"):
    if isinstance(patterns, str):
        patterns = (patterns,)
    return Concept(type_code, tuple(patterns), weight, flag, tuple(requires), tuple(excludes),
                   window, kind)


def X(type_code, pattern, weight, flag, requires=(), excludes=(), window=30):
    return C(type_code, (pattern,), weight, flag, requires, excludes, window, kind="regex")


TRANSFER = ("转账", "汇款", "打款", "转钱", "打钱", "汇钱", "转给", "转到", "汇到", "打到",
            "付款", "支付", "充值", "垫付")
WARNING_WORDS = ("被骗", "骗了", "骗子", "防骗", "反诈", "谨防", "警惕", "上当", "诈骗团伙",
                 "犯罪分子", "冒充", "防范", "识破", "骗局", "诈骗分子", "犯罪嫌疑人")
WARNING_FRAMING = ("都是诈骗", "均为诈骗", "均是诈骗", "全是诈骗", "都是骗局", "都是骗人",
                   "就是诈骗", "一律是诈骗", "都属于诈骗", "是诈骗行为", "不要轻信", "切勿轻信",
                   "别轻信", "勿轻信", "不可轻信", "谨防", "警惕", "反诈")
#: Words that put a link near a phrase (a web address, or the text asking to open one).
LINK_CUES = ("http", "www.", "wap.", "点击", "链接", "网址", ".cc", ".top", ".vip", ".xyz",
             ".com", ".cn", ".net", ".icu", ".shop", ".site")
NOT_INSTRUCTION = ("请勿", "切勿", "不要", "勿将", "勿向", "勿泄露", "不会向您索要", "不会索要",
                   "谨防", "严禁", "勿告知", "勿转发", "千万别", "不得向")

CONCEPTS: list[Concept] = [
    # --- brushing (刷单返利) ------------------------------------------------------------------
    C("brushing", ("刷单", "刷信誉", "刷销量", "刷好评"), 35, "brushing",
      excludes=("刷单词", "刷单车", "刷单曲", "刷单科", "刷单元", "刷单选", "刷单杠", "刷单机",
                "刷单位", "刷单程", "刷单页")),
    C("brushing", ("点赞", "关注", "评论", "收藏", "浏览"), 20, "brushing",
      requires=("佣金", "日结", "一单", "每单", "返现", "返利", "赚", "元/单", "元一单"),
      excludes=("感谢", "欢迎"), window=12),
    C("brushing", ("垫付", "先垫", "本金返还", "返还本金", "本金加佣金", "本金+佣金", "返本金"),
      40, "task_advance",
      requires=("任务", "佣金", "刷", "一单", "每单", "下单", "做单", "返利", "返还", "兼职"),
      excludes=("医药费", "医疗费", "住院", "开发商", "平台规则", "规则的平台"), window=20),
    C("brushing", ("充值", "转入", "补单", "继续做单", "本金", "追加"), 30, "task_advance",
      requires=("任务", "卡单", "连单", "做单", "佣金", "返还", "解冻"),
      excludes=("游戏",), window=20),
    C("brushing", ("卡单", "连单", "任务冻结", "解冻任务", "未完成任务", "数据异常需",
                   "做满", "完成三单", "完成全部任务"), 45, "stuck_task",
      excludes=("卡单车", "卡单元"), window=20),
    C("brushing", ("日赚", "日入", "轻松赚", "动动手指", "在家就能", "足不出户", "手机就能做",
                   "躺赚", "零门槛", "无需经验", "时间自由"), 25, "easy_money",
      requires=("兼职", "任务", "佣金", "元", "赚", "日结", "百", "千", "收入"),
      excludes=("课程", "学习"), window=20),
    C("brushing", ("佣金", "返佣", "提成", "日结", "一单一结", "单单结"), 20, "commission",
      requires=("兼职", "任务", "刷", "点赞", "下单", "一单", "每单", "做单", "接单", "抢单"),
      window=20),
    C("brushing", ("兼职",), 10, "part_time",
      excludes=("兼职辅导员", "兼职教师", "兼职教授", "兼职导师", "兼职律师", "兼职研究员",
                "兼职副", "兼职班主任", "兼职顾问", "兼职教练", "兼职司机", "兼职人员管理",
                "兼职会计", "兼职家教", "兼任"), window=4),
    C("brushing", ("做任务", "接任务", "派单", "抢单", "做单", "接单"), 15, "commission",
      requires=("佣金", "返", "日结", "垫付", "兼职", "刷", "赚"),
      excludes=("外卖", "骑手", "司机", "滴滴", "跑腿"), window=20),
    # --- investment, betting (虚假网络投资理财) ---------------------------------------------------
    C("investment", ("稳赚不赔", "只赚不赔", "稳赚", "包赚", "保本保息", "零风险", "无风险",
                     "保证收益", "收益翻倍", "资金翻倍", "翻倍收益", "躺着赚钱"), 35,
      "guaranteed", excludes=("没有", "不存在", "不可能", "哪有", "谨防"), window=8),
    C("investment", ("带单", "喊单", "荐股", "内幕消息", "内部消息", "内部渠道", "牛股", "黑马股",
                     "导师指导", "老师指导", "跟着老师", "专业老师带", "投资导师", "股票群",
                     "炒股群", "投资群", "理财群"), 30, "tipster",
      excludes=("携带单", "带单位", "带单据", "带单人", "带单车", "带单反"), window=6),
    C("investment", ("虚拟币", "数字货币", "usdt", "比特币", "泰达币", "币圈", "虚拟货币",
                     "合约交易", "外汇平台", "期货平台", "数字资产", "交易所"), 15, "crypto",
      requires=("投资", "收益", "赚", "充值", "入金", "平台", "导师", "老师", "翻倍", "提现"),
      excludes=("央行", "监管", "打击", "禁止", "风险提示", "新闻"), window=25),
    C("investment", ("博彩", "百家乐", "时时彩", "六合彩", "娱乐城", "网投", "真人视讯",
                     "体育投注", "赌场", "澳门", "葡京", "威尼斯人", "娱乐", "网上赌"), 30,
      "betting",
      requires=("注册", "存", "送", "官网", "投注", "返水", "提款", "取款", "下注", "com",
                "www", "彩金", "优惠", "开户", "信誉", "博彩"),
      excludes=("打击", "抓获", "查处", "非法", "破获", "警方", "ktv", "量贩", "包厢"),
      window=20),
    C("investment", ("首存", "首充送", "存送", "彩金", "返水", "注册即送", "注册送", "存款赠送",
                     "不计输赢", "输赢"), 30, "betting_bonus",
      requires=("送", "返", "彩金", "%", "无上限", "注册", "存", "娱乐", "博彩", "官网"),
      excludes=("打击", "警方"), window=20),
    C("investment", ("生肖", "特码", "平码", "必中", "六肖", "四肖", "三肖", "主号码", "开奖",
                     "资料"), 20, "betting",
      requires=("特码", "必中", "六肖", "四肖", "三肖", "主号码", "中特", "开码", "彩"),
      excludes=("打击", "警方"), window=15),
    C("investment", ("无法提现", "提现失败", "提不了现", "不能提现", "提现需", "缴纳保证金",
                     "缴纳个人所得税", "交税才能", "解冻资金", "激活账户", "账户异常需",
                     "充值才能", "出金", "入金"), 35, "withdraw_blocked",
      requires=("平台", "账户", "提现", "资金", "收益", "保证金", "充值", "入金", "出金",
                "交易"), excludes=("警方", "提醒"), window=20),
    C("investment", ("日收益", "月收益", "周收益", "日化", "日息", "每天收益", "每日收益",
                     "年化收益", "高回报", "高收益"), 15, "returns",
      requires=("%", "投资", "理财", "平台", "收益", "本金", "保本", "稳"), window=15),
    C("investment", ("原始股", "私募", "杠杆", "资金扩大", "买涨买跌", "t+0", "免费开户",
                     "在线开户"), 15, "crypto",
      requires=("收益", "交易", "投资", "开户", "资金", "倍"), window=20),
    # --- e-commerce and courier customer service (冒充电商物流客服) --------------------------------
    C("ecommerce_service", ("退款", "理赔", "赔偿", "双倍赔付", "三倍赔付", "退货款",
                            "赔付", "补偿"), 20, "refund_offer",
      requires=("客服", "快递", "包裹", "订单", "商品", "质量问题", "丢失", "理赔", "淘宝",
                "京东", "拼多多", "抖音", "快手", "闲鱼", "物流"),
      excludes=("退房", "被骗", "讨薪", "医疗"), window=20),
    C("ecommerce_service", ("快递丢失", "包裹丢失", "丢件", "订单异常", "订单失效",
                            "订单出现异常", "卡单", "系统升级导致", "商品存在质量问题",
                            "质量问题召回", "被召回", "签收异常", "快件异常"), 30,
      "parcel_lost", window=20),
    C("refund_cancel_loan", ("取消会员", "关闭会员", "取消代理", "关闭代理", "取消vip",
                            "关闭vip", "关闭扣费", "取消扣费", "关闭服务将", "取消该服务"), 35,
      "cancel_membership", excludes=("如何", "怎么"), window=6),
    C("refund_cancel_loan", ("百万保障", "开通了会员", "会员扣费", "自动扣费", "每月扣费",
                            "开通了代理", "开通了vip", "将自动续费", "每月将扣"), 35,
      "unknown_membership", excludes=("如何", "怎么"), window=6),
    C("ecommerce_service", ("借呗", "微粒贷", "备用金", "京东金条", "花呗", "白条", "美团借钱",
                            "360借条", "征信额度"), 25, "borrow_to_refund",
      requires=("退款", "理赔", "赔偿", "提取", "转出", "验证", "流水", "证明", "关闭", "注销",
                "清空", "额度"), window=25),
    C("ecommerce_service", ("账户资金将被", "资金将被冻结", "账户将被冻结", "将被冻结",
                            "将被扣押", "将被扣除", "资金被冻结", "账户被冻结"), 30,
      "account_threat", window=20),
    # "Your account is abnormal / frozen: unfreeze it here" with a link to open: the same
    # threat (it counts once with the phrases above); without a link it is often a real
    # bank's or app's notice, so it needs one nearby (and someone telling of their own
    # frozen account, "等了三天才解冻", is not a threat: the phrases are the notice's words).
    C("ecommerce_service", ("您的账户异常", "您的账号异常", "账户存在异常", "账户出现异常",
                            "账号存在异常", "账户已被冻结", "账户已冻结", "账号已被冻结",
                            "账号已冻结", "进行解冻", "点击解冻", "申请解冻", "验证码解冻",
                            "解冻账户", "解冻账号", "即可解冻", "办理解冻"), 30, "account_threat",
      requires=LINK_CUES, excludes=("游戏", "装备", "皮肤", "解冻金", "解冻费") + NOT_INSTRUCTION,
      window=30),
    # --- part-time jobs (兼职招聘) and grants (助学金/补助类) ------------------------------------
    C("part_time_job", ("入职费", "培训费", "押金", "服装费", "会员费", "报名费", "体检费",
                        "保证金", "资料费"), 30, "job_fee",
      requires=("兼职", "招聘", "入职", "上岗", "工作", "日结", "高薪"),
      excludes=("不收", "无需", "不需要", "退还", "谨防", "被骗"), window=20),
    C("part_time_job", ("出租银行卡", "出借银行卡", "收购银行卡", "租借银行卡", "高价收卡",
                        "收银行卡", "出租电话卡", "收购电话卡", "租用你的银行卡", "借用你的银行卡",
                        "帮忙走账", "帮忙跑分", "跑分", "走流水"), 45, "two_cards",
      excludes=("违法", "谨防", "警方", "打击", "断卡行动"), window=10),
    C("grant_subsidy", ("助学金", "奖学金", "补助", "补贴", "退税", "资助款", "困难补助",
                        "生活补助", "教育补贴", "国家补贴"), 20, "grant_bait",
      requires=("领取", "激活", "手续费", "银行卡", "验证码", "链接", "点击", "登录", "到账前",
                "先交", "atm", "核实身份"),
      excludes=("学工系统", "辅导员", "评审", "公示", "申请表", "截止"), window=25),
    # --- loans (虚假网络贷款) ---------------------------------------------------------------
    C("loan", ("无抵押", "无需抵押", "免抵押", "无需担保", "免担保", "不看征信", "无视征信",
               "黑户可", "黑户也", "征信不好也", "不查征信", "无需面签", "凭身份证就",
               "有身份证就"), 25, "no_collateral", window=20),
    C("loan", ("秒批", "秒到账", "秒下款", "当天下款", "当天放款", "快速放款", "极速放款",
               "快速下款", "最快x天到账", "最快当天", "立即到账", "马上到账", "秒放款"), 25,
      "fast_loan", requires=("贷", "借", "额度", "款", "万"), window=20),
    C("loan", ("解冻金", "解冻费", "保证金", "工本费", "手续费", "会员费", "验资", "激活费",
               "刷流水", "账户冻结", "卡号填错", "银行卡号填写错误", "资金冻结", "先交",
               "预付"), 35, "loan_fee",
      requires=("贷款", "放款", "下款", "借款", "贷", "额度", "到账", "提现"),
      excludes=("切勿", "不会收取", "不收", "无任何", "没有额外", "免手续费", "无手续费",
                "零手续费", "0手续费", "没有任何", "不需要", "无需", "任何费用均不", "谨防",
                "警方", "被骗", "前期无"),
      window=20),
    C("loan", ("刷流水", "做流水", "银行流水不足", "流水不足"), 45, "fake_statement"),
    C("loan", ("学生贷", "校园贷", "大学生贷款", "学生也能贷", "学生可贷", "大学生借",
               "学生借款", "学生分期"), 25, "student_loan",
      excludes=("注销", "征信", "打击", "谨防", "防范", "不良校园贷"), window=10),
    C("loan", ("贷款", "借款", "信用贷", "信贷", "网贷", "小额贷", "借钱", "代.利", "代款",
               "额度最高", "最高额度", "随借随还", "先息后本", "低息", "低利息", "利息低",
               "月息", "日息"), 15, "loan_offer",
      requires=("无抵押", "无需", "秒", "额度", "当天", "手续", "黑户", "低息", "低利息", "电话",
                "详询", "咨询", "联系", "加微", "微信", "随借随还", "到账", "最高", "利息",
                "下款", "放款", "万"),
      excludes=("被拒", "新闻", "政策", "利率上调", "银行贷款利率", "房贷", "按揭", "公积金",
                "助学贷款", "生源地", "还贷", "还款日", "逾期还款将", "贷款余额"),
      window=20),
    # --- police impersonation (冒充公检法) -----------------------------------------------------
    C("police_impersonation", ("安全账户", "安全账号", "国家账户", "资金清查", "资金核查",
                               "清查资金", "核查资金", "资金审查", "监管账户"), 50, "safe_account",
      excludes=("没有所谓", "不存在", "没有什么", "从来没有", "根本没有"), window=10),
    C("police_impersonation", ("涉嫌洗钱", "洗钱案", "涉嫌诈骗", "涉嫌犯罪", "涉嫌一起",
                               "通缉令", "逮捕令", "拘捕令", "冻结令", "传唤", "协查",
                               "涉案", "涉及一起", "涉嫌参与", "非法集资案", "贩毒"), 35,
      "crime_accusation",
      requires=("你", "您", "账户", "资金", "银行卡", "身份证", "名下"),
      excludes=("抓获", "破获", "依法", "据悉", "记者", "警方通报", "经查", "判处", "一审"),
      window=15),
    C("police_impersonation", ("网上办案", "在线办案", "视频录口供", "视频笔录", "视频做笔录",
                               "电话转接", "转接到", "转到公安", "转接公安", "警官证",
                               "案件编号", "工作证件", "网上通缉", "最高检官网", "电子通缉",
                               "保密协议"), 35, "online_case",
      requires=("公安", "警官", "警察", "派出所", "检察", "法院", "案件", "案", "调查",
                "办案", "民警", "通缉"), window=30),
    C("police_impersonation", ("公安局", "派出所", "检察院", "法院", "公安", "警官", "警察",
                               "民警", "刑警", "经侦", "网警", "公检法"), 20, "police_mention",
      requires=("涉嫌", "账户", "银行卡", "转账", "洗钱", "冻结", "通缉", "逮捕", "配合调查",
                "保密", "资金", "名下", "核查"),
      excludes=("提醒", "警方提示", "反诈", "被骗", "冒充", "防范", "谨防", "破获", "抓获",
                "据", "通报", "记者", "新闻", "发布"),
      window=25),
    C("police_impersonation", ("身份信息被盗用", "身份被冒用", "身份被盗用", "名下有一张",
                               "名下银行卡", "医保卡异常", "医保卡被", "社保卡异常",
                               "社保卡被", "医保卡违规", "违规套现", "盗刷医保"), 35,
      "identity_misused", excludes=("新闻", "据悉", "记者"), window=20),
    C("police_impersonation", ("违禁品", "毒品", "走私", "护照"), 25, "contraband_parcel",
      requires=("快递", "包裹", "邮寄", "海关", "您的", "你的"),
      excludes=("查获", "抓获", "破获", "据悉", "记者"), window=15),
    # --- leader / acquaintance impersonation (冒充领导熟人) -------------------------------------
    C("leader_impersonation", ("新号", "换号", "换号码了", "新号码", "这是我的新", "换了手机号",
                               "新微信", "新qq", "这是我新", "存一下这个号", "存下我的号",
                               "加我微信", "加我qq", "加一下我", "加我好友", "微信加我"), 25,
      "new_number",
      requires=("领导", "老师", "院长", "书记", "校长", "主任", "处长", "辅导员", "我是",
                "明天", "办公室", "急", "帮"), window=25),
    C("leader_impersonation", ("猜猜我是谁", "猜猜我是", "听不出我", "连我都不记得", "我是你领导",
                               "我是你们领导", "我是你老师", "我是你们老师", "我是你们院长",
                               "我是你们书记", "明天来我办公室", "明天到我办公室",
                               "来我办公室一趟", "到我办公室一趟"), 40, "guess_who", window=20),
    C("leader_impersonation", ("帮我转", "帮我垫", "先帮我", "替我转", "帮我打", "帮忙转",
                               "帮我汇", "帮我付", "帮我交", "借我点", "借点钱", "周转一下",
                               "先转给他", "转给他", "帮我给"), 30, "pay_for_me",
      excludes=("被骗", "骗子", "冒充"), window=10),
    C("leader_impersonation", ("不方便接电话", "不方便接听", "在开会", "正在开会", "开会不方便",
                               "不方便说话", "稍后给你打电话"), 25, "busy_cannot_talk",
      requires=("转", "汇", "钱", "帮", "借", "款", "垫"), window=30),
    C("leader_impersonation", ("卡号换了", "换卡了", "账号换了", "账户换了", "更换了银行卡",
                               "换了银行卡", "以后打到这个", "打到这个卡", "打到这个账",
                               "汇到这个账", "打到以下账户", "汇到以下账户", "转到以下账户",
                               "就汇到这个", "房租打到", "房租请打到", "水电费打到",
                               "请打到", "请汇到", "请转到"), 40, "card_changed", window=20),
    C("leader_impersonation", ("出车祸", "住院了", "手术费", "急需手术", "被拘留", "被抓了",
                               "打架被", "出事了", "急需医药费"), 25, "emergency_relative",
      requires=("转", "汇", "钱", "卡号", "账户", "急", "赶紧"),
      excludes=("新闻", "据悉", "记者", "报道", "抢救", "医生"), window=25),
    # --- game trading (网络游戏虚假交易) ---------------------------------------------------------
    C("game_trade", ("游戏账号", "游戏币", "游戏装备", "皮肤", "点券", "钻石", "元宝", "金币",
                     "装备", "账号"), 15, "cheap_game_items",
      requires=("低价", "免费领", "免费送", "白送", "半价", "折出售", "出售", "代充", "便宜",
                "0元"),
      excludes=("护肤", "皮肤科", "皮肤病", "过敏"), window=10),
    C("game_trade", ("免费领皮肤", "免费领取皮肤", "领取皮肤", "送皮肤", "皮肤免费", "永久皮肤",
                     "低价代充", "代充", "内部折扣充值", "游戏内部号", "扶持号"), 30,
      "cheap_game_items"),
    C("game_trade", ("私下交易", "线下交易", "绕过平台", "不走平台", "加qq交易", "加微信交易",
                     "私聊交易", "平台外交易"), 35, "off_platform", window=20),
    C("game_trade", ("交易冻结", "账号冻结", "账户冻结", "交易失败", "解冻", "激活账户"), 25,
      "game_frozen",
      requires=("游戏", "交易", "装备", "账号", "皮肤", "保证金", "充值"),
      excludes=("解冻金",), window=20),
    C("game_trade", ("你先转账", "先转账", "先付款", "先付钱", "先打款", "你先转", "先交定金"),
      25, "pay_first",
      requires=("账号", "装备", "皮肤", "游戏", "发货", "给你", "点券", "钻石"), window=20),
    C("game_trade", ("未成年退款", "未成年人退款", "游戏退款", "充值退款", "退还充值"), 35,
      "minor_refund", window=10),
    # --- romance (网络婚恋交友) -----------------------------------------------------------------
    C("romance", ("带你赚钱", "带你投资", "一起赚钱", "一起投资", "带你理财", "带你玩"), 30,
      "love_money",
      requires=("平台", "投资", "赚", "充值", "收益", "亲爱", "宝贝", "老公", "老婆", "漏洞"),
      window=30),
    C("romance", ("我舅舅", "我叔叔", "我表哥", "内部漏洞", "平台漏洞", "后台漏洞", "系统漏洞",
                  "内部人员", "做后台", "在后台"), 30, "loophole",
      requires=("平台", "投资", "赚", "充值", "收益", "漏洞", "下注", "稳赚", "彩票"),
      excludes=("修复", "补丁", "安全漏洞"), window=30),
    C("romance", ("亲爱的", "宝贝", "老公", "老婆", "网恋", "网友", "交友", "相亲", "婚恋",
                  "对象"), 15, "online_partner",
      requires=("平台", "投资", "充值", "收益", "赚钱", "转账", "漏洞", "下注"),
      excludes=("会员您好", "顾客", "会员", "促销", "专柜", "三八", "女人节", "宝贝们"),
      window=25),
    C("romance", ("裸聊", "裸照", "裸体视频"), 40, "nude_chat",
      excludes=("警方", "抓获", "据悉", "记者"), window=20),
    C("romance", ("脱衣", "录屏", "不雅视频", "不雅照", "私密视频", "私密照", "录下来"), 30,
      "nude_chat", requires=("视频", "聊天", "曝光", "发给", "亲友", "通讯录", "转账", "钱"),
      excludes=("警方", "抓获", "据悉", "记者", "围殴"), window=20),
    C("romance", ("发给你的亲友", "发给你通讯录", "发给你家人", "曝光你", "发到你", "让你身败名裂",
                  "读取通讯录", "授权通讯录", "通讯录授权", "获取通讯录"), 35, "contacts_access",
      window=20),
    C("romance", ("路费", "机票钱", "车费", "见面礼", "见面费"), 25, "meet_fee",
      requires=("见面", "来看你", "转", "红包", "打", "先付"), window=20),
    C("romance", ("上门服务", "特殊服务", "约炮", "同城约", "同城交友", "一夜情", "包夜",
                  "学生妹", "美女上门", "全套", "约吗", "保证金"), 30, "sex_service",
      requires=("服务", "上门", "约", "妹", "美女", "交友", "包夜", "全套", "定金", "保证金"),
      excludes=("家政", "维修", "家电", "安装", "快递", "保洁", "开锁", "送水", "回收", "保险",
                "服务中心", "营业厅"), window=15),
    # --- credit record (虚假征信) --------------------------------------------------------------
    C("credit_record", ("修复征信", "征信修复", "消除逾期", "征信洗白", "洗白征信", "删除不良记录",
                        "消除不良记录", "逾期记录消除", "征信处理", "铲单", "征信修改",
                        "修改征信"), 45, "credit_fix", excludes=("骗局", "不存在", "不能"),
      window=10),
    C("credit_record", ("注销校园贷", "注销学生账户", "注销学生贷", "关闭校园贷", "注销京东金条",
                        "注销账户", "注销花呗", "关闭学生账户", "清除校园贷", "大学生账户",
                        "学生身份认证", "学生账号未注销", "注销网贷账户"), 40,
      "cancel_student_loan",
      requires=("校园贷", "学生", "征信", "账户", "贷", "影响", "银保监", "金条", "花呗"),
      window=25),
    C("credit_record", ("影响征信", "影响个人征信", "影响您的征信", "影响你的征信", "征信受损",
                        "征信有污点", "征信黑名单", "上征信", "拉入征信", "纳入征信",
                        "记入征信", "征信将", "上报征信", "个人信用受损", "信用记录受损"), 30,
      "credit_threat",
      excludes=("新闻", "记者", "据悉", "政策"), window=10),
    C("credit_record", ("先交手续费", "先交费", "先付费", "手续费", "服务费", "保证金", "定金"),
      25, "credit_fee", requires=("征信", "逾期", "洗白", "修复", "注销", "不良记录"),
      window=20),
    C("credit_record", ("清空额度", "额度清零", "清空花呗", "清空借呗", "额度清空", "把额度",
                        "借出来转", "套出来"), 35, "clear_quota", window=15),
    C("credit_record", ("银保监会", "银保监", "银监会", "金融监管局", "人民银行征信中心", "征信中心"), 15,
      "credit_threat",
      requires=("注销", "账户", "关闭", "影响", "客服", "专员"), window=25),
    # --- shared signals (no type) -------------------------------------------------------------
    # Regular expressions run in RE2 (no look-around): a boundary that must not be part of
    # the match is matched and the part to highlight named (?P<flag>…). Web addresses are
    # ASCII and end at the first other character, so a link pasted inside Chinese text
    # ("请点击 icbc-verify.top 进行验证", whose spaces folding drops) is found and ends
    # where the Chinese begins; RE2's \b is an ASCII word boundary, so it holds beside
    # Chinese characters too.
    X("", r"(?:https?://|www\.|wap\.)[!-~]*[a-z0-9/=_&#%-]|\b[a-z0-9][a-z0-9-]*\.(?:com|cn"
          r"|net|org|top|xyz|vip|cc|club|icu|shop|site|live|app|me|info|ink|work|fun|ltd|pw"
          r"|link|online|tk|ml|ga|cf|gq|buzz|co|io|so|la|ws|tv|hk)\b(?:/[!-~]*[a-z0-9/=_&#%-])?",
      10, "link"),
    X("", r"\b(?:t\.cn|dwz\.cn|url\.cn|suo\.im|bit\.ly|tinyurl\.com|is\.gd|t\.co|goo\.gl"
          r"|c\.tb\.cn|m\.tb\.cn|tb\.cn|u\.nu|w\.url\.cn|sohu\.gg|dwz\.date|rrd\.me|mrw\.so"
          r"|6du\.in|kuaizhan\.com|s\.click)/\w+", 15, "short_link"),
    X("", r"(?:https?://)?\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{2,5})?(?:/|\b)", 30, "ip_link"),
    # A brand's name with something added (icbc-verify.top, jd618.vip, etc-gov.cc); the
    # organisations' own second-level domains (.com.cn, .gov.cn, .edu.cn) are left alone.
    X("", r"\b[a-z0-9-]*(?:icbc|ccb|boc|abchina|bankcomm|cmbchina|psbc|alipay|taobao|tmall"
          r"|jd|pinduoduo|10086|10010|chsi|12306|12123|gov|police|gongan|weixin|wechat|qq"
          r"|apple|icloud|unionpay|etc|955\d\d|ems|chinapost)(?:-[a-z0-9]+|[0-9]+[a-z]*)"
          r"[a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b", 40, "lookalike_domain",
      excludes=(".com.cn", ".gov.cn", ".edu.cn"), window=1),
    X("", r"\bxn--[a-z0-9-]+", 40, "lookalike_domain"),
    X("", r"\.(?:top|xyz|vip|icu|club|shop|site|tk|ml|ga|cf|gq|buzz|rest|monster|cyou|sbs"
          r"|bond|cfd|click|cc)\b", 15, "odd_domain"),
    # An international number; not China's own +86 / 0086.
    X("", r"(?:\+|\b00)(?:[1-79]\d{0,2}|8[0-57-9]\d?|8[- ])[- ]?\d{3,4}[- ]?\d{3,8}\b", 20,
      "intl_number"),
    X("", r"(?:^|\D)(?P<flag>(?:\+?86)?(?:170|171|162|165|167)\d{8})(?:\D|$)", 15,
      "virtual_number"),
    X("", r"(?:^|\D)(?P<flag>95\d{3}|400-?\d{3}-?\d{4}|400\d{7})(?:\D|$)", 5,
      "service_number"),
    C("", ("下载app", "下载软件", "下载客户端", "安装app", "下载安装", "扫码下载", "下载链接",
           "下载注册", "下载并注册", "下载该app", "下载这个app", "apk"), 20, "download_app",
      excludes=("官方应用商店", "应用市场", "app store", "appstore"), window=15),
    C("", ("屏幕共享", "共享屏幕", "开启共享", "投屏", "共享桌面"), 40, "screen_share",
      excludes=("会议室投屏", "教室", "课堂", "答辩"), window=10),
    C("", ("腾讯会议", "zoom", "飞书会议", "钉钉会议", "会议号", "会议室号", "会议app", "会议软件",
           "视频会议"), 15, "screen_share",
      requires=("共享", "下载", "转账", "银行", "账户", "警官", "客服", "退款", "验证码"),
      window=30),
    C("", ("远程控制", "向日葵", "todesk", "teamviewer", "anydesk", "远程协助"), 35,
      "remote_control", requires=("下载", "安装", "打开", "客服", "操作", "帮你", "协助"),
      window=20),
    C("", ("立即", "马上", "尽快", "赶紧", "赶快", "限时", "逾期", "过期", "24小时内",
           "今天内", "今日内", "否则", "截止今天", "最后一天", "过时不候", "过期不候", "来不及"),
      10, "urgency",
      requires=("转", "汇", "付", "冻结", "注销", "征信", "账户", "链接", "点击", "登录",
                "下载", "验证码", "处理", "激活", "兑换", "清零"), window=15),
    C("", ("不要告诉", "别告诉", "不能告诉", "不要声张", "不要跟任何人说", "对任何人保密",
           "不得向任何人透露", "不要让", "保守秘密", "签保密"), 25, "secrecy",
      requires=("家人", "父母", "老师", "辅导员", "同学", "朋友", "任何人", "别人", "警察",
                "派出所", "银行"), excludes=("被骗",), window=15),
    C("", ("验证码", "校验码", "动态码", "动态密码", "支付密码", "银行卡密码", "取件码", "密码"),
      35, "code_request",
      requires=("告诉我", "发给我", "报给我", "念给我", "提供给", "发我", "报一下", "说一下",
                "截图给", "截图发", "发过来", "告诉他", "告诉客服", "读一下", "发送给我",
                "私发", "把收到的"),
      excludes=NOT_INSTRUCTION, window=15),
    C("", ("输入账号密码", "输入账号和密码", "填写账号密码", "输入qq号和密码", "输入密码",
           "登录账号密码", "输入银行卡号", "填写银行卡", "输入支付密码", "输入卡号"), 30,
      "credentials", excludes=NOT_INSTRUCTION, window=10),
    # A code typed into a page a link opens; a real service's code message says never to
    # give it away (请勿泄露 …), which cancels this.
    C("", ("输入验证码", "填写验证码", "填入验证码", "提交验证码", "输入短信验证码",
           "填写短信验证码", "输入动态码", "填写动态码"), 30, "code_on_page",
      requires=LINK_CUES, excludes=NOT_INSTRUCTION, window=30),
    C("", ("银行卡号", "身份证号", "身份证照片", "手持身份证", "身份证正反面", "卡号和密码",
           "信用卡号", "有效期和", "cvv"), 15, "card_details",
      requires=("提供", "发给", "发我", "告诉", "填写", "上传", "拍照", "报给", "核实"),
      excludes=NOT_INSTRUCTION, window=15),
    C("", TRANSFER, 10, "transfer",
      requires=("我", "请", "你", "您", "马上", "立即", "账户", "卡号", "红包", "先"),
      excludes=("被骗", "骗子", "不要", "切勿", "千万别", "谨防", "功能", "网银", "手续费全免"),
      window=10),
    X("", r"(?:户名|卡号|账号|帐号|账户|收款人|开户行)[:：,，]?[^\n]{0,12}?[0-9x]{12,}"
          r"|[0-9x]{16,19}[^\n]{0,12}?(?:户名|农行|工行|建行|中行|邮政|农业银行|工商银行"
          r"|建设银行|中国银行|信用社|交通银行|招商银行)", 20, "pay_account"),
    X("", r"(?:[¥]\s*\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s*(?:元|块钱|万元|万块))", 5, "money"),
    C("", ("积分兑换", "积分可兑换", "积分即将清零", "积分已满足", "积分清零", "积分将于",
           "兑换现金", "现金礼包", "返现活动", "兑换积分", "积分返现", "领取补贴", "补贴发放",
           "退税", "etc认证", "etc失效", "etc已失效", "认证失效", "已停用", "将被停用"), 25,
      "points_phishing",
      requires=("登录", "登陆", "点击", "链接", "下载", "激活", "网址", "打开", "wap", "www",
                "http", "com"), window=40),
    C("", ("恭喜您", "恭喜你", "中奖", "获得了", "幸运用户", "被抽中", "抽中"), 20, "prize",
      requires=("领取", "手续费", "保证金", "登录", "链接", "点击", "兑换", "激活", "个人所得税"),
      excludes=("本店", "门店", "到店", "店内", "凭此短信", "专柜", "营业厅"), window=25),
    C("", ("加微信", "加qq", "加vx", "加v", "vx:", "微信号", "qq号", "联系微信", "私聊"), 5,
      "qq_wechat", window=5),
    C("", WARNING_WORDS, -20, "warning_context"),
    # A warning's framing ("……都是诈骗", "不要轻信……", "保卫处提醒") cancels the scam words it
    # quotes: with the words above it takes 60 off, so a warning that names a safe account
    # and a transfer stays at most low. A scam that adds "谨防诈骗" still keeps its other
    # signs (a full one ends medium, not none).
    C("", WARNING_FRAMING, -40, "warning_framing"),
    C("", ("提醒", "提示"), -40, "warning_framing",
      requires=("诈骗", "骗局", "骗子", "防骗", "反诈", "被骗", "上当"), window=30),
]


def default_specs() -> list[RuleSpec]:
    """The default concepts as rules, red flags in the active language: a phrase concept is
    one rule listing its phrases separated by ``|``, longer lists split in rules of at most
    :data:`PHRASES_PER_RULE` (they share the red flag, so they count once)."""
    specs = []
    for concept in CONCEPTS:
        if concept.kind == "phrase":
            chunks = [concept.patterns[i:i + PHRASES_PER_RULE]
                      for i in range(0, len(concept.patterns), PHRASES_PER_RULE)]
            patterns = ["|".join(chunk) for chunk in chunks]
        else:
            patterns = list(concept.patterns)
        for pattern in patterns:
            specs.append(RuleSpec(pattern=pattern, weight=concept.weight,
                                  red_flag=str(FLAGS[concept.flag]),
                                  type_code=concept.type_code, kind=concept.kind,
                                  requires=concept.requires, excludes=concept.excludes,
                                  window=concept.window))
    return specs
