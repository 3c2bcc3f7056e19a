"""The checker's engine without the database: normalisation with its offset map, phrase
matching in context, scoring and levels, the default rules on everyday campus messages and
on scam messages, empty and huge texts, and unsafe regular expressions."""

import time

import pytest

from safecampus.education.checker.engine import RuleSpec, TypeInfo, compile_specs, regex_problem
from safecampus.education.checker.normalise import fold_phrase, normalise

from .checker_helpers import default_engine, examples

ENGINE = None


def engine():
    global ENGINE
    if ENGINE is None:
        ENGINE = default_engine()
    return ENGINE


# --- normalisation ------------------------------------------------------------------------------
@pytest.mark.parametrize(("pasted", "folded"), [
    ("ＡＢＣ１２３，刷单", "abc123,刷单"),          # full width → half width, case folded
    ("刷\u200b单", "刷单"),                          # zero-width space
    ("刷\u200d\u2060\ufeff\u00ad单", "刷单"),        # joiner, word joiner, BOM, soft hyphen
    ("刷\ufe0f单", "刷单"),                          # variation selector
    ("刷 单", "刷单"), ("刷-单", "刷单"), ("刷*单", "刷单"), ("刷 · 单", "刷单"),
    ("刷單返利", "刷单返利"),                        # traditional → simplified
    ("Рaypal", "paypal"),                            # Cyrillic Р
    ("аlipay.com", "alipay.com"),                    # Cyrillic а
    ("ΑΡΡ", "app"),                                  # Greek capitals
    ("4OO-8O0-1234", "400-800-1234"),                # O → 0 inside a number run
    ("955〇8", "95508"),
    ("138 1234 5678", "13812345678"),                # spaces inside a phone number
    ("dhyxx.℃○Μ", "dhyxx.com"),                      # spelled-out ".com"
    ("下载 APP", "下载app"),
])
def test_normalisation_folds_what_scammers_use_to_hide_words(pasted, folded):
    assert normalise(pasted).text == folded


@pytest.mark.parametrize("kept", [
    "click here to read", "hello o 12", "lol 2024", "www.xjtu.edu.cn", "iphone 12",
    "x.x折", "1,000元",
])
def test_normalisation_leaves_ordinary_latin_text_numbers_and_domains_alone(kept):
    assert normalise(kept).text == kept.lower()


def test_the_offset_map_leads_back_to_the_exact_characters_pasted():
    pasted = "请把钱转到ＡＮ全 账\u200b户，谢谢"
    norm = normalise(pasted)
    start = norm.text.index("账户")
    a, b = norm.original_span(start, start + 2)
    assert pasted[a:b] == "账\u200b户"
    pasted2 = "①号 刷 單 返利"
    norm2 = normalise(pasted2)
    s = norm2.text.index("刷单")
    a, b = norm2.original_span(s, s + 2)
    assert pasted2[a:b] == "刷 單"


def test_red_flags_are_reported_on_the_original_text():
    pasted = "招聘兼职：刷 單 日赚 300元，先墊付本金，完成任務返還本金加佣金"
    result = engine().check(pasted)
    texts = {f.text for f in result.red_flags}
    assert "刷 單" in texts
    for flag in result.red_flags:
        assert pasted[flag.start:flag.end] == flag.text
    assert "".join(piece for piece, _flags in result.segments) == pasted
    marked = [piece for piece, flags in result.segments if flags]
    assert "刷 單" in marked


# --- matching in context ----------------------------------------------------------------------
def _engine(*specs, medium=40, high=70):
    return compile_specs(list(specs), {"t": TypeInfo("t", "Type T")}, medium=medium,
                         high=high, max_chars=5000)


def test_a_short_keyword_does_not_fire_inside_an_unrelated_word():
    e = engine()
    for ordinary in ("每天刷单词三十分钟", "请携带单位介绍信", "学院招聘兼职辅导员两名",
                     "刷单车卡进校门", "单曲循环，刷单曲榜"):
        result = e.check(ordinary)
        assert result.level == "none", (ordinary, result.red_flags)
    assert e.check("招聘刷单员").red_flags[0].text == "刷单"


def test_latin_phrases_count_only_as_whole_words():
    e = _engine(RuleSpec(pattern="app", weight=20, red_flag="an app", type_code="t"))
    assert e.check("下载 APP").level == "low"
    assert e.check("whatsapp and application").level == "none"


def test_requires_needs_a_context_phrase_within_the_window_on_either_side():
    e = _engine(RuleSpec(pattern="验证码", weight=30, red_flag="code", type_code="t",
                         requires=("发给我",), window=6))
    assert e.check("您的验证码是123456").level == "none"
    assert e.check("把验证码发给我").level == "low"
    assert e.check("发给我刚才的验证码").level == "low"          # before it
    assert e.check("验证码在这里之后隔了很多字发给我").level == "none"  # too far


def test_excludes_cancel_a_match_near_them():
    e = _engine(RuleSpec(pattern="返利", weight=30, red_flag="rebate", type_code="t",
                         excludes=("返利网",), window=5))
    assert e.check("下单就返利").level == "low"
    assert e.check("在返利网买东西").level == "none"


def test_synonyms_with_one_red_flag_count_once_and_one_sign_alone_never_makes_high():
    e = _engine(
        RuleSpec(pattern="安全账户", weight=60, red_flag="safe account", type_code="t"),
        RuleSpec(pattern="国家账户", weight=60, red_flag="safe account", type_code="t"),
        RuleSpec(pattern="涉嫌洗钱", weight=40, red_flag="crime", type_code="t"))
    one = e.check("把钱转到安全账户和国家账户")
    assert (one.level, one.score) == ("medium", 60)
    both = e.check("你涉嫌洗钱，把钱转到安全账户")
    assert (both.level, both.score) == ("high", 100)


def test_levels_follow_the_rule_sets_thresholds():
    specs = [RuleSpec(pattern="甲", weight=20, red_flag="a", type_code="t"),
             RuleSpec(pattern="乙", weight=25, red_flag="b", type_code="t")]
    assert _engine(*specs, medium=40, high=70).check("甲乙").level == "medium"
    assert _engine(*specs, medium=50, high=70).check("甲乙").level == "low"
    assert _engine(*specs, medium=20, high=45).check("甲乙").level == "high"
    assert _engine(*specs).check("丙").level == "none"


def test_shared_signals_alone_stay_below_high_and_warnings_about_fraud_count_against():
    e = _engine(
        RuleSpec(pattern=r"https?://\S+", weight=40, red_flag="link", kind="regex"),
        RuleSpec(pattern="屏幕共享", weight=40, red_flag="screen"),
        RuleSpec(pattern="被骗", weight=-60, red_flag="warning"),
        RuleSpec(pattern="退款", weight=40, red_flag="refund", type_code="t"))
    signals = e.check("打开 http://a.example 然后屏幕共享")
    assert (signals.level, signals.score) == ("medium", 69)
    assert e.check("退款请打开 http://a.example 屏幕共享").level == "high"
    assert e.check("退款请打开 http://a.example 屏幕共享，小心被骗").level == "medium"


# --- the default rules ------------------------------------------------------------------------
ORDINARY = [row for row in examples() if row["label"] == "0"]
FRAUD = [row for row in examples() if row["label"] == "1"]


def test_there_are_enough_everyday_and_scam_examples():
    assert len(ORDINARY) >= 20 and len(FRAUD) >= 15


@pytest.mark.parametrize("row", ORDINARY, ids=lambda r: r["content"][:12])
def test_everyday_campus_messages_are_not_flagged(row):
    result = engine().check(row["content"])
    assert result.level in ("none", "low"), result.red_flags


@pytest.mark.parametrize("row", [r for r in FRAUD if r["type"]], ids=lambda r: r["type"])
def test_scam_messages_are_high_risk_with_the_right_type(row):
    result = engine().check(row["content"])
    assert result.level == "high", (result.score, result.red_flags)
    assert result.types[0].code == row["type"]
    assert result.red_flags


# --- links inside Chinese text ------------------------------------------------------------------
@pytest.mark.parametrize(("message", "link"), [
    ("【工商银行】您的账户存在异常，请点击 icbc-verify.top 进行验证", "icbc-verify.top"),
    ("请登录 etc-gov.cc 重新认证", "etc-gov.cc"),
    ("请点击icbc-verify.top进行验证", "icbc-verify.top"),   # no spaces at all
])
def test_a_phishing_domain_inside_chinese_text_is_flagged(message, link):
    result = engine().check(message)
    flagged = {f.text for f in result.red_flags}
    assert link in flagged, result.red_flags
    assert {f.explanation for f in result.red_flags if f.text == link} >= {
        "A web address that imitates a bank, shop or government site.",
        "A link: open only addresses you know."}
    if "工商银行" in message:
        assert result.level in ("medium", "high")


def test_the_phishing_examples_are_at_least_medium_with_the_link_flagged():
    untyped = [r for r in FRAUD if not r["type"]]
    assert len(untyped) >= 2
    for row in untyped:
        result = engine().check(row["content"])
        assert result.level in ("medium", "high"), (row["content"], result.red_flags)
        assert any("link" in f.explanation.lower() or "web address" in f.explanation
                   for f in result.red_flags)


def test_an_account_threat_with_a_link_and_a_code_to_enter_is_high_risk():
    # Given the message a newcomer found scored "low 25"
    result = engine().check("【XX银行】您的账户存在异常，请点击 http://bank-safe.cc 输入验证码解冻")
    # Then the threat, the code to enter and the link are each a red flag: high risk
    assert (result.level, result.score) == ("high", 85)
    assert result.types[0].code == "ecommerce_service"
    flags = {f.text: f.explanation for f in result.red_flags}
    assert flags["账户存在异常"] == flags["验证码解冻"] == (
        "A threat that your account or money will be frozen or seized.")
    assert flags["输入验证码"].startswith("You are asked to enter a verification code on a page")
    assert "http://bank-safe.cc" in flags
    # the same without the odd ending .cc still reaches high (threat + code + link)
    assert engine().check("【XX银行】您的账户存在异常，请点击 http://bank-safe.com 输入验证码解冻"
                          ).level == "high"


@pytest.mark.parametrize("message", [
    "【学信网】您正在注册账号，验证码482913，请在 chsi.com.cn 页面输入验证码完成注册，"
    "10分钟内有效，请勿泄露给他人。",
    "【中国银行】您的验证码为 482913，请在网银页面输入验证码完成转账确认，5分钟内有效。",
    "【某银行】您的账户存在异常登录，如非本人操作请及时修改密码。",
    "王者荣耀账号被冻结了，申诉页面 kf.qq.com 等了三天才解冻",
])
def test_a_code_to_enter_or_an_account_notice_without_a_link_or_with_a_warning_stays_low(message):
    assert engine().check(message).level in ("none", "low")


def test_a_link_ends_where_the_chinese_text_after_it_begins():
    pasted = "https://b23.tv/BV1xx 这个视频挺好看"
    result = engine().check(pasted)
    assert [f.text for f in result.red_flags] == ["https://b23.tv/BV1xx"]
    assert [piece for piece, flags in result.segments if flags] == ["https://b23.tv/BV1xx"]
    assert result.level == "low"
    comma = engine().check("详见 http://x.example.cn，请查收")
    assert [f.text for f in comma.red_flags] == ["http://x.example.cn"]


def test_a_named_flag_group_highlights_only_the_number_not_its_neighbours():
    result = engine().check("客服热线95588，或致电17012345678咨询")
    texts = [f.text for f in result.red_flags]
    assert "95588" in texts and "17012345678" in texts
    assert "+8613812345678" not in engine().check("请拨打+8613812345678").red_flags


# --- long texts keep their evidence -------------------------------------------------------------
def test_a_wall_of_one_word_before_the_scam_does_not_hide_it():
    scam = "兼职刷单，日赚300-500元，先垫付后返佣"
    pasted = "转账" * 450 + scam
    result = engine().check(pasted)
    assert result.level == "high", result.red_flags
    assert engine().score(pasted)[0] == "high"
    assert {"刷单", "返佣"} <= {f.text for f in result.red_flags}
    wall = engine().check("刷单 " * 2000)
    assert sum(1 for f in wall.red_flags if f.text == "刷单") <= 10  # highlights per rule capped


# --- warnings about fraud -----------------------------------------------------------------------
@pytest.mark.parametrize("warning", [
    "反诈提醒：公检法不会通过电话办案，凡是要求转账到安全账户的都是诈骗，请拨打96110",
    "学校保卫处提醒：刷单返利都是诈骗，不要轻信兼职刷单广告",
    "警惕“安全账户”：民警不会要求你转账",
])
def test_the_offices_own_warnings_stay_at_most_low(warning):
    result = engine().check(warning)
    assert result.level in ("none", "low"), (result.score, result.red_flags)


def test_a_scam_that_adds_a_warning_word_keeps_its_other_signs():
    scam = "我是市公安局民警，你名下的银行卡涉嫌洗钱案，请将资金转到安全账户，不要告诉任何人。"
    assert engine().check(scam).level == "high"
    assert engine().check("谨防诈骗！" + scam).level in ("medium", "high")


def test_the_default_rules_are_a_few_hundred_and_all_compile():
    e = engine()
    count = sum(len({id(r) for r in rules}) for rules in e.phrases.values())
    assert len(e.regex_rules) >= 8
    assert 150 <= len({id(r) for rs in e.phrases.values() for r in rs}) + len(
        e.regex_rules) <= 300, count


# --- empty and huge ---------------------------------------------------------------------------
def test_a_100_kb_paste_is_checked_on_its_first_5000_characters_quickly():
    text = ("这是一段很长的普通文字。" * 9000)[:99_996] + "安全账户"
    started = time.perf_counter()
    result = engine().check(text)
    assert time.perf_counter() - started < 1.0
    assert result.truncated and result.checked_chars == 5000 and result.total_chars == 100_000
    assert result.level == "none"  # the red flag beyond 5000 characters was not read
    wall = engine().check("刷单" * 50_000)
    assert wall.truncated and wall.level in ("medium", "low")


def test_the_checked_length_comes_from_the_settings_and_reaches_a_late_scam(settings):
    """The checker reads CHECKER_MAX_CHARS; 20,000 reach a scam after 6,392 ordinary
    characters that a 5,000 cut missed (and reported as cut, not complete)."""
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_MAX_CHARS": 20_000}
    base = engine()
    specs = [rule.spec for rule in {id(r): r for rs in base.phrases.values() for r in rs}
             .values()] + [rule.spec for rule in base.regex_rules]
    long = compile_specs(specs, base.types, medium=base.medium, high=base.high)
    assert long.max_chars == 20_000
    notice = "本周四下午两点在图书馆三楼报告厅举行学术讲座，请按时到场并在门口签到。\n"
    text = (notice * 300)[:6392] + "我是市公安局民警，你名下的银行卡涉嫌洗钱案，请将资金转到安全账户。"
    cut = base.check(text)  # 5,000 characters
    assert (cut.level, cut.truncated, cut.complete) == ("none", True, False)
    found = long.check(text)
    assert (found.level, found.truncated, found.complete) == ("high", False, True)
    started = time.perf_counter()
    huge = long.check((notice * 3000)[:100_000])
    assert time.perf_counter() - started < 1.0
    assert (huge.checked_chars, huge.total_chars, huge.complete) == (20_000, 100_000, False)


# --- regular expressions: RE2, linear time ----------------------------------------------------
@pytest.mark.parametrize(("pattern", "problem"), [
    ("(ab", "syntax"), ("[", "syntax"), (r"(a)\1", "backreference"), ("a*", "empty"),
    ("x" * 301, "too_long"), (r"(?:95\d{3})(?!\d)", "unsupported"),
    (r"(?<!\d)400", "unsupported"), ("(?=a)a", "unsupported"), ("(?>ab)c", "unsupported"),
])
def test_broken_or_unsupported_regular_expressions_are_refused(pattern, problem):
    assert regex_problem(pattern) == problem


@pytest.mark.parametrize("pattern", [r"https?://\S+", r"\d{3,4}-\d{7,8}", "(ab|cd){2}x",
                                     r"(?:^|\D)(?P<flag>95\d{3})(?:\D|$)"])
def test_ordinary_regular_expressions_are_accepted(pattern):
    assert regex_problem(pattern) is None


# Patterns that take exponential time in a backtracking engine, each with the text that
# makes it backtrack (no "x" / "=" / "b" at the end, so the match fails at the last step).
CATASTROPHIC = [
    (r"(.|\s)+x", "a" * 5000),
    (r"(\d|\d\d)+x", "1" * 5000),
    (r"(a|a)+$", "a" * 4999 + "!"),
    (r"\d+\d+\d+\d+\d+x", "1" * 5000),
    (r".*.*.*.*=", "a" * 5000),
    ("(a+)+b", "a" * 5000),
]


@pytest.mark.parametrize(("pattern", "text"), CATASTROPHIC, ids=[p for p, _t in CATASTROPHIC])
def test_a_catastrophic_pattern_checks_5000_adversarial_characters_in_half_a_second(pattern,
                                                                                     text):
    assert regex_problem(pattern) is None  # RE2 runs it in linear time: nothing to refuse
    e = _engine(RuleSpec(pattern=pattern, weight=30, red_flag="slow", type_code="t",
                         kind="regex"),
                RuleSpec(pattern="安全账户", weight=30, red_flag="safe", type_code="t"))
    started = time.perf_counter()
    result = e.check(text)
    e.score(text)
    assert time.perf_counter() - started < 0.5
    assert result.level == "none" and result.checked_chars == 5000


def test_phrases_of_a_rule_are_folded_like_messages():
    assert fold_phrase(" 刷-單 ") == "刷单"
