"""Normalising a pasted message before rules are matched, with an offset map back to it.

What is folded (so that "刷 单", "刷-单", "ｓｈｕａ单", "刷\u200b单" and "刷單" all read 刷单):

* NFKC per character: full-width letters, digits and punctuation become half-width,
  circled and parenthesised numbers become digits, compatibility ideographs their base;
* invisible characters are dropped: format characters (category Cf: zero-width space,
  joiners, U+2060 word joiner, U+FEFF, soft hyphen, bidi marks), combining marks (Mn/Me,
  including variation selectors U+FE00–FE0F and accents) and the Hangul fillers;
* case is folded (``str.casefold``);
* look-alike letters become the Latin letter they imitate (Cyrillic а е о р с у х і ј ѕ …,
  Greek ο α ν ρ τ κ ι μ …, and ℃ ○ 〇 used for "c" and "o" in spelled-out domains);
* inside a number run (two or more digits), the letters o/i/l and 〇 become 0 and 1
  ("4OO-8O0-1234", "95５8８" → "400-800-1234", "95588");
* traditional characters used by the default phrases become simplified (a small table
  written for them, not a full converter);
* separators inside Chinese text are dropped: a run of spaces or of the punctuation that
  pads words apart (``- _ * . · | / \\ ~ ^ # + = ! ? , ; : ' "`` …) between two Chinese
  characters, and spaces between a Chinese character and a Latin letter or digit; spaces
  inside a run of digits go too ("138 1234 5678"). A dot between Latin letters stays
  (domains), and so does punctuation next to Latin text.

:func:`normalise` returns the folded text and, for each of its characters, the index of
the original character it came from, so that a span of the folded text maps back to the
exact span of what the user pasted (:meth:`Normalised.original_span`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Look-alikes of Latin letters (after casefold, so lower-case forms only).
LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l", "ɡ": "g",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "m", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    # symbols used for letters in spelled-out domains ("xx.℃○Μ")
    "℃": "c", "○": "o", "◯": "o", "⭕": "o", "〇": "o", "ℓ": "l", "ⓞ": "o",
}
# Traditional → simplified for the characters the default phrases use.
TRADITIONAL = str.maketrans(
    "單錢銀貸帳賬號碼驗證轉匯錯網絡資門員務訂購買賣價優獎現額戶凍結關聯繫係點擊載軟體會議陸傳發領導親愛戀遊戲裝備寶貝徵當請將國際業緊簽約違規罰險積數據區塊鏈幣場盤漲賺賠償還辦電話機醫療檢樂龍頭報紅這個們為麼說嗎給與時間學費補貼獲選擇開啟權護歸隊淨餘運營鎖縣處罪嫌疑洩漏掃碼碼載註銷貨質證聽統計劃傭殺豬約視頻異產兌換彩儲蓄騙詐騙聯絡團隊扣減厲風險內幫幣顧問課師長級級網頁網址鏈接復車廣總監處長協鍵億萬兩",
    "单钱银贷账账号码验证转汇错网络资门员务订购买卖价优奖现额户冻结关联系系点击载软体会议陆传发领导亲爱恋游戏装备宝贝征当请将国际业紧签约违规罚险积数据区块链币场盘涨赚赔偿还办电话机医疗检乐龙头报红这个们为么说吗给与时间学费补贴获选择开启权护归队净余运营锁县处罪嫌疑泄漏扫码码载注销货质证听统计划佣杀猪约视频异产兑换彩储蓄骗诈骗联络团队扣减厉风险内帮币顾问课师长级级网页网址链接复车广总监处长协键亿万两",
)
_INVISIBLE_EXTRA = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}  # fillers, blank braille
_SEPARATORS = " \t\r\n\f\v-_*.·•|/\\~^#+=!?,;:'\"`、，。…‧∙⋅・"
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A separator run between two Chinese characters, spaces between Chinese and Latin/digits,
# spaces inside digit runs.
_DROP = re.compile(
    rf"(?<=[{_CJK}])[{re.escape(_SEPARATORS)}]+(?=[{_CJK}])"
    rf"|(?<=[{_CJK}])\s+(?=[0-9a-z])|(?<=[0-9a-z])\s+(?=[{_CJK}])"
    r"|(?<=\d)[ \t]+(?=\d)"
)
_NUMBER_RUN = re.compile(r"(?<![a-z])[0-9oil]+(?:[- ][0-9oil]+)*(?![a-z])")
_TOKEN = re.compile(r"[0-9oil]+")
_DIGIT_FIX = str.maketrans("oil", "011")


class _CharTable(dict):
    """Character → its folded form ('' when dropped), computed once per character."""

    def __missing__(self, ch: str) -> str:
        out = []
        for c in unicodedata.normalize("NFKC", LOOKALIKES.get(ch, ch)).casefold():
            c = LOOKALIKES.get(c, c)
            if c in _INVISIBLE_EXTRA or unicodedata.category(c) in ("Cf", "Mn", "Me"):
                continue
            out.append(c.translate(TRADITIONAL))
        folded = "".join(out)
        self[ch] = folded
        if len(folded) != 1:
            IRREGULAR.add(ch)
        return folded


IRREGULAR: set[str] = set()  # characters that vanish or expand when folded
_TABLE = _CharTable()
_TRANSLATE = {}  # ord → folded, what str.translate wants (filled beside _TABLE)


class _OrdTable(dict):
    def __missing__(self, code: int) -> str:
        folded = _TABLE[chr(code)]
        self[code] = folded
        return folded


_ORD = _OrdTable()


@dataclass(frozen=True, slots=True)
class Normalised:
    """The folded ``text`` and, when it differs in length or alignment from ``original``,
    ``starts[i]`` = index in ``original`` of the character folded into ``text[i]``
    (``None`` when the two align one to one)."""

    original: str
    text: str
    starts: list[int] | None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of ``original`` that folded into ``text[start:end]`` (end exclusive)."""
        if self.starts is None:
            return start, end
        if start >= end:
            i = self.starts[start] if start < len(self.starts) else len(self.original)
            return i, i
        return self.starts[start], self.starts[end - 1] + 1


def fold_phrase(phrase: str) -> str:
    """A rule's phrase folded like a message (so "刷-單" in a rule is 刷单)."""
    return normalise(phrase.strip()).text


def normalise(original: str) -> Normalised:
    """Fold ``original`` (see the module's description) keeping the offset map."""
    folded = original.translate(_ORD)
    starts: list[int] | None = None
    if len(folded) != len(original) or not IRREGULAR.isdisjoint(original):
        starts = []
        for i, ch in enumerate(original):
            n = len(_TABLE[ch])
            if n == 1:
                starts.append(i)
            elif n:
                starts.extend([i] * n)
    if _DROP.search(folded):
        kept: list[str] = []
        new_starts: list[int] = []
        at = 0
        for m in _DROP.finditer(folded):
            kept.append(folded[at:m.start()])
            new_starts.extend(starts[at:m.start()] if starts is not None
                              else range(at, m.start()))
            at = m.end()
        kept.append(folded[at:])
        new_starts.extend(starts[at:] if starts is not None else range(at, len(folded)))
        folded, starts = "".join(kept), new_starts
    if "o" in folded or "i" in folded or "l" in folded:
        folded = _NUMBER_RUN.sub(_fix_digits, folded)
    return Normalised(original, folded, starts)


def _fix_digits(m: re.Match) -> str:
    """A number run with three or more digits: its tokens that hold a digit read o/i/l as
    0/1/1 ("4oo-8o0" → "400-800"; a lone "o" stays)."""
    run = m.group()
    if run.replace("-", "").replace(" ", "").isdigit() or sum(c.isdigit() for c in run) < 3:
        return run
    return _TOKEN.sub(lambda t: t.group().translate(_DIGIT_FIX)
                      if any(c.isdigit() for c in t.group()) else t.group(), run)
