"""Importing questions into a question bank (题库) from JSON or Excel, by a column mapping.

1. :func:`question_import_upload` reads the file (``.json``: a list of objects, or an object
   holding one such list; ``.xlsx``: the first sheet, header row first), keeps it under a
   random name in the default storage and returns a :class:`QuestionUpload` (its SHA-256,
   fields and entry count). A file already imported into that bank is refused.
2. The user maps the file's fields (JSON keys or Excel headers) to ours
   (:data:`TARGETS`; suggestions from :func:`suggest_plan`), and sees the first parsed
   questions (:func:`questions_validate`).
3. :func:`question_import_commit` checks EVERY entry and writes only when none fails; a bad
   bank raises :class:`~safecampus.core.spreadsheets.ImportRejected` listing the entries
   (entry number for JSON, spreadsheet row for Excel, and the reason).

Reading an entry:

* **Options**: a list (JSON), one cell split at new lines or ``|``, or the columns
  ``选项A`` … ``选项F``. Letter prefixes (``A.``, ``B、``, ``(C)``) are removed when every
  option has one in order. At most :data:`MAX_OPTIONS`; two options may not be the same.
* **Answer**: letters (``B``, ``AB``, ``A,B``, ``A、C``, lower case too), option texts (a list,
  or one text), or for true/false ``正确``/``错误``/``对``/``错``/``√``/``×``/``T``/``F``.
  Stored as the sorted 0-based option indexes.
* **Kind**: the type column (``单项选择题``/``多项选择题``/``判断题``/``single``… see
  :data:`KIND_WORDS`) or, without one, inferred: options that are exactly a true/false pair
  (正确/错误, 对/错) → true/false; more than one correct option → multiple; else single.
  A multiple-choice question with one correct option is allowed (real banks have them);
  single choice and true/false need exactly one. True/false options are stored as
  ``["正确", "错误"]``.
* **Number**: the number column when mapped (positive and unique in the file), else the
  bank's next numbers in file order. When mapped numbers collide with numbers the bank
  already holds, the whole file is appended: each number is moved up by the same amount so
  the file's lowest becomes the bank's highest + 1 (file 1–747 into a bank of 1–196 → 197–943;
  :attr:`QuestionValidation.renumbered` says so on the preview).

A kept upload is deleted once imported, when the command rejects or only checks it
(:func:`question_upload_discard`), and otherwise by the nightly
:func:`question_uploads_clean` after :data:`UPLOAD_KEEP_SECONDS` (a rejected file stays for a
day on the pages, so the fields can be mapped again). A JSON file nesting deeper than
:data:`MAX_JSON_DEPTH` is refused; an option or answer that is itself a list or an object is
an entry error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
import uuid
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import DomainError, NotAllowed, field_error
from safecampus.core.importing import (
    MAX_ERRORS_KEPT,
    ErrorCollector,
    MappingPlan,
    Target,
    column_problems,
    suggest_columns,
    upload_name,
)
from safecampus.core.models import ActivityEntry
from safecampus.core.spreadsheets import (
    ImportRejected,
    RowError,
    SpreadsheetError,
    Table,
    fold_key,
    xlsx_rows,
)

from ..models import Question, QuestionBank

PERMISSION = "education.manage_quizzes"
VERB = "education.questions_import"
STORAGE_DIR = "education/question-imports"
#: Letters name options A…H.
LETTERS = "ABCDEFGH"
MAX_OPTIONS = len(LETTERS)
STEM_MAX = 2000
OPTION_MAX = 500
EXPLANATION_MAX = 4000
MAX_NUMBER = 2_000_000_000
PREVIEW_SIZE = 10
#: How deeply a JSON question file may nest lists and objects (list → question → options
#: → an option); deeper files are refused before anything reads them.
MAX_JSON_DEPTH = 8
#: Uploads kept between the import's steps are deleted when left this long.
UPLOAD_KEEP_SECONDS = 24 * 3600
EXTENSIONS = (".json", ".xlsx")
TF_OPTIONS = ["正确", "错误"]
Kind = Question.Kind

TARGETS: tuple[Target, ...] = (
    Target("stem", gettext_lazy("Question text"),
           ("question", "stem", "题目", "题干", "问题", "试题", "题目内容", "questiontext",
            "content", "title"), True),
    Target("options", gettext_lazy("Options (one list or one cell)"),
           ("options", "answers", "选项", "备选项", "备选答案", "choices")),
    Target("answer", gettext_lazy("Correct answer"),
           ("answer", "correct_answers", "correctanswer", "答案", "正确答案", "标准答案",
            "参考答案", "key"), True),
    Target("kind", gettext_lazy("Question type"),
           ("type", "kind", "题型", "类型", "题目类型", "questiontype")),
    Target("explanation", gettext_lazy("Explanation"),
           ("explain", "explanation", "解析", "答案解析", "试题解析", "analysis", "说明")),
    Target("number", gettext_lazy("Number"),
           ("index", "number", "no", "序号", "题号", "编号")),
    *(Target(f"option_{letter.lower()}",
             gettext_lazy("Option %(letter)s (own column)") % {"letter": letter},
             (f"选项{letter}", f"{letter}选项", f"option{letter}", f"choice{letter}", letter))
      for letter in LETTERS[:6]),
)
TARGET_KEYS = tuple(t.key for t in TARGETS)
OPTION_COLUMNS = tuple(f"option_{letter.lower()}" for letter in LETTERS[:6])

#: Words of a type column, folded (:func:`~safecampus.core.spreadsheets.fold_key`).
KIND_WORDS = {
    Kind.SINGLE: ("单项选择题", "单项选择", "单选题", "单选", "单项", "single", "singlechoice",
                  "radio"),
    Kind.MULTIPLE: ("多项选择题", "多项选择", "多选题", "多选", "多项", "不定项选择题",
                    "不定项选择", "不定项", "multiple", "multiplechoice", "checkbox"),
    Kind.TRUE_FALSE: ("判断题", "判断", "是非题", "是非", "对错题", "truefalse", "tf", "judge",
                      "judgement", "judgment", "boolean"),
}
_KIND_BY_WORD = {fold_key(word): kind for kind, words in KIND_WORDS.items() for word in words}
#: Answers that say "true" / "false" (folded).
TRUE_WORDS = {fold_key(w) for w in ("正确", "对", "√", "✓", "✔", "T", "true", "是", "Y", "yes")}
FALSE_WORDS = {fold_key(w) for w in ("错误", "错", "×", "✗", "✘", "X", "F", "false", "否", "N",
                                      "no")}
#: Option pairs that make a question true/false (in either order).
TF_PAIRS = ({"正确", "错误"}, {"对", "错"}, {"√", "×"}, {"是", "否"})

_SPLIT_CELL = re.compile(r"\s*(?:\r\n|\n|\r|\|)\s*")
_LETTER_SEPARATORS = re.compile(r"[\s,，、;；|/.．]+")
_PREFIX = re.compile(r"^[(（]?([A-Ha-h])[)）]?\s*[.．、:：)）]?\s*")


# --- the plan --------------------------------------------------------------------------------
@dataclass
class QuestionImportPlan(MappingPlan):
    """Step 2: ``columns`` (our field → the file's field index or None)."""

    TARGET_KEYS = TARGET_KEYS
    VALUE_KINDS = ()


def suggest_plan(table: Table) -> QuestionImportPlan:
    """The mapping guessed from the file's field names (question/stem/题目/题干 → question
    text, options/answers/选项 → options, answer/correct_answers/答案 → answer, …)."""
    return QuestionImportPlan(columns=suggest_columns(table.headers, TARGETS))


def plan_problems(table: Table, plan: QuestionImportPlan) -> list[str]:
    """Problems with the field choice (a field outside the file, question or answer not
    chosen, the same field chosen twice)."""
    problems = [p for p in column_problems(table, plan, TARGETS)
                if "time zone" not in p.lower()]
    chosen = [i for i in plan.columns.values() if i is not None]
    if len(chosen) != len(set(chosen)):
        problems.append(_("Each field of the file can be chosen for one of ours only."))
    return problems


# --- reading files ---------------------------------------------------------------------------
@dataclass
class QuestionUpload:
    """A kept upload: ``path`` in the default storage, ``name`` as uploaded, ``sha256`` of
    its bytes, ``entries`` (how many entries it holds) and ``bank_id``."""

    path: str
    name: str
    sha256: str
    entries: int
    bank_id: int

    def as_json(self) -> dict:
        return {"path": self.path, "name": self.name, "sha256": self.sha256,
                "entries": self.entries, "bank_id": self.bank_id}

    @classmethod
    def from_json(cls, data: dict) -> QuestionUpload:
        return cls(path=str(data["path"]), name=str(data["name"]), sha256=str(data["sha256"]),
                   entries=int(data["entries"]), bank_id=int(data["bank_id"]))


def _file_error(message: str) -> DomainError:
    return field_error("file", message, code="bad_file")


def read_questions_file(data: bytes, name: str) -> Table:
    """The entries of a question file as a :class:`Table`: JSON objects become rows whose
    headers are their keys (in order of first appearance; values kept as they are, lists
    too), numbered 1, 2, … (entry numbers); an Excel sheet's rows keep their spreadsheet
    numbers (header row 1) and their cells' line breaks (options in one cell). Raises
    DomainError (field ``file``) for a file that is not such JSON or .xlsx or holds no
    entries."""
    lower = name.lower()
    if lower.endswith(".json") or (not lower.endswith(".xlsx") and data[:4] != b"PK\x03\x04"):
        table = _json_table(data)
        table.entry_word = "entry"
    else:
        table = _xlsx_table(data)
        table.entry_word = "row"
    table.name = name
    if not table.rows:
        raise _file_error(_("The file holds no questions."))
    return table


def _depth(document) -> int:
    """How deeply lists and objects nest in ``document`` (a scalar: 0), without recursion."""
    deepest = 0
    stack = [(document, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                stack.extend((item, level + 1) for item in value)
    return deepest


def _json_table(data: bytes) -> Table:
    too_deep = _("The JSON file nests lists and objects too deeply: a question file is a list "
                 "of questions, each an object of texts and lists of texts.")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise _file_error(_("The file is not valid JSON text (UTF-8).")) from None
    except RecursionError:
        raise _file_error(too_deep) from None
    if _depth(document) > MAX_JSON_DEPTH:
        raise _file_error(too_deep)
    if isinstance(document, dict):
        lists = [v for v in document.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise _file_error(_("The JSON file must be a list of questions, or an object "
                                "holding one such list."))
        document = lists[0]
    if not isinstance(document, list):
        raise _file_error(_("The JSON file must be a list of questions."))
    headers: list[str] = []
    index: dict[str, int] = {}
    for entry in document:
        if isinstance(entry, dict):
            for key in entry:
                if str(key) not in index:
                    index[str(key)] = len(headers)
                    headers.append(str(key))
    table = Table(headers=headers)
    bad = [n for n, entry in enumerate(document, start=1) if not isinstance(entry, dict)]
    if bad:
        raise _file_error(_("Entries %(numbers)s are not objects with fields; each question "
                            "must be an object like {\"question\": …, \"options\": […]}.")
                          % {"numbers": ", ".join(str(n) for n in bad[:20])})
    for number, entry in enumerate(document, start=1):
        cells = [None] * len(headers)
        for key, value in entry.items():
            cells[index[str(key)]] = value
        table.rows.append(cells)
        table.numbers.append(number)
    return table


def _xlsx_table(data: bytes) -> Table:
    try:
        rows = list(xlsx_rows(data))
    except SpreadsheetError:
        raise _file_error(_("The file is neither a JSON file nor an Excel (.xlsx) file that "
                            "can be opened.")) from None
    headers = None
    table = None
    for number, raw in enumerate(rows, start=1):
        cells = [(_clean_line_text(v) if isinstance(v, str) else v) for v in raw]
        if headers is None:
            if any(c not in (None, "") for c in cells):
                while cells and cells[-1] in (None, ""):
                    cells.pop()
                headers = [_one_line(c) or _("Column %(number)s") % {"number": i + 1}
                           for i, c in enumerate(cells)]
                table = Table(headers=headers)
            continue
        cells = list(cells[:len(headers)]) + [None] * (len(headers) - len(cells))
        if all(c in (None, "") for c in cells):
            continue
        table.rows.append(cells)
        table.numbers.append(number)
    if table is None:
        raise _file_error(_("The sheet is empty: the first row must hold the column headers."))
    return table


def _clean_line_text(value: str) -> str:
    """Each line trimmed and inner spaces collapsed; line breaks kept."""
    lines = [" ".join(line.split()) for line in re.split(r"\r\n|\n|\r", value)]
    return "\n".join(line for line in lines if line)


def _one_line(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _norm(value) -> str:
    """Text for comparing: NFKC, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", str(value)).split())


# --- one entry -------------------------------------------------------------------------------
@dataclass
class ParsedQuestion:
    """One entry read: ``row`` its entry (or sheet row) number, then the question's fields."""

    row: int
    kind: str
    stem: str
    options: list[str]
    answer: list[int]
    explanation: str = ""
    number: int | None = None

    @property
    def answer_letters(self) -> str:
        return "".join(LETTERS[i] for i in self.answer)


class _EntryError(Exception):
    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key, self.message = key, message


def _cell(table: Table, cells, plan: QuestionImportPlan, key: str):
    index = plan.columns.get(key)
    return cells[index] if index is not None and index < len(cells) else None


def _text(value, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        raise _EntryError(key, _("a list where a text was expected"))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _split_options(value) -> list[str]:
    """The option texts of an options cell: a list (or an object's values) of texts, or one
    text split at new lines or ``|``. Raises _EntryError for an option that is itself a
    list or an object (such as ``{"label": "A", "text": "…"}``)."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        items = value
    else:
        text = str(value).strip()
        items = _SPLIT_CELL.split(text) if text else []
    if any(isinstance(v, list | dict) for v in items):
        raise _EntryError("options", _("an option given as a list or an object; each option "
                                       "must be a text"))
    return [" ".join(str(v).split()) if v is not None else "" for v in items]


def _strip_prefixes(options: list[str]) -> list[str]:
    """``["A. 水", "B. 沙"]`` → ``["水", "沙"]`` when every option has its letter in order."""
    if len(options) < 2:
        return options
    stripped = []
    for position, option in enumerate(options):
        match = _PREFIX.match(option)
        if not match or match[1].upper() != LETTERS[position] or len(option) == match.end():
            return options
        # "A水" without any separator is ambiguous: keep the options as written.
        if match.end() == 1:
            return options
        stripped.append(option[match.end():].strip())
    return stripped


def tf_truth_of(options: list[str]) -> list[bool] | None:
    """Whether each of two options means true, when they are a true/false pair
    (正确/错误, 对/错, √/×, 是/否, either order); else None."""
    normed = [_norm(o) for o in options]
    if len(normed) != 2 or set(normed) not in TF_PAIRS:
        return None
    return [fold_key(o) in TRUE_WORDS for o in normed]


def parse_answer(raw, options: list[str]) -> list[int]:
    """The 0-based indexes (sorted) of the correct options named by ``raw``: letters
    (``"B"``, ``"AB"``, ``"A,B"``, ``"A、C"``), option texts (one, a list, or separated by
    ``|``/new lines), or for a true/false pair of options the true/false words. Raises
    ValueError with a translated reason."""
    items = raw if isinstance(raw, list) else [raw]
    if any(isinstance(v, list | dict) for v in items):
        raise ValueError(_("an answer given as a list or an object; give option letters or "
                           "option texts"))
    items = [v for v in items if v is not None and str(v).strip() != ""]
    if not items:
        raise ValueError(_("no correct answer"))
    normed = [_norm(o) for o in options]
    truth = tf_truth_of(options)
    chosen: set[int] = set()
    for item in items:
        if isinstance(item, bool):
            if truth is None:
                raise ValueError(_("answer “%(answer)s” but the options are not true/false")
                                 % {"answer": item})
            chosen.add(truth.index(item))
            continue
        chosen |= _answer_item(_norm(item), normed, truth, len(options))
    return sorted(chosen)


def _answer_item(item: str, normed: list[str], truth, count: int) -> set[int]:
    if item in normed:
        return {normed.index(item)}
    folded = fold_key(item)
    if truth is not None and (folded in TRUE_WORDS or folded in FALSE_WORDS):
        return {truth.index(folded in TRUE_WORDS)}
    compact = _LETTER_SEPARATORS.sub("", item.upper())
    if compact and all(c in LETTERS for c in compact):
        for letter in compact:
            if LETTERS.index(letter) >= count:
                raise ValueError(_("answer “%(letter)s” but only %(count)s options")
                                 % {"letter": letter, "count": count})
        return {LETTERS.index(c) for c in compact}
    parts = [p for p in _SPLIT_CELL.split(item) if p]
    if len(parts) > 1 and all(p in normed for p in parts):
        return {normed.index(p) for p in parts}
    if not normed:
        raise ValueError(_("answer “%(answer)s” but there are no options")
                         % {"answer": item[:40]})
    raise ValueError(_("answer “%(answer)s” is neither option letters (A–%(last)s) nor the "
                       "text of an option") % {"answer": item[:40],
                                                "last": LETTERS[max(count, 1) - 1]})


def kind_of(value) -> str | None:
    """Our kind for a type cell (``单项选择题`` → single …), or None when unknown."""
    return _KIND_BY_WORD.get(fold_key(value))


def question_check(*, kind: str, stem: str, options: list[str], answer: list[int]) -> list[
        tuple[str, str]]:
    """``(field, reason)`` for every rule a question breaks (shared by the import and the
    question form): question text, 2…8 options, no duplicate or empty options, answer indexes
    in range, exactly one correct for single choice and true/false, at least one for
    multiple choice, true/false options 正确/错误."""
    problems: list[tuple[str, str]] = []
    if kind not in Kind.values:
        problems.append(("kind", _("unknown question type")))
    if not stem:
        problems.append(("stem", _("no question text")))
    elif len(stem) > STEM_MAX:
        problems.append(("stem", _("question text longer than %(max)s characters")
                         % {"max": STEM_MAX}))
    if any(not o for o in options):
        problems.append(("options", _("an empty option")))
    if len(options) < 2:
        problems.append(("options", _("fewer than two options")))
    elif len(options) > MAX_OPTIONS:
        problems.append(("options", _("more than %(max)s options") % {"max": MAX_OPTIONS}))
    if any(len(o) > OPTION_MAX for o in options):
        problems.append(("options", _("an option longer than %(max)s characters")
                         % {"max": OPTION_MAX}))
    normed = [_norm(o) for o in options if o]
    duplicates = sorted({o for o in normed if normed.count(o) > 1})
    if duplicates:
        problems.append(("options", _("duplicate options: %(options)s")
                         % {"options": "、".join(f"“{o[:30]}”" for o in duplicates)}))
    if kind == Kind.TRUE_FALSE and tf_truth_of(options) is None:
        problems.append(("options", _("a true-or-false question's options are 正确 and 错误")))
    if not answer:
        problems.append(("answer", _("no correct answer")))
    elif any(not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(options)
             for i in answer):
        problems.append(("answer", _("a correct answer that is not one of the options")))
    elif len(set(answer)) != len(answer):
        problems.append(("answer", _("the same correct answer twice")))
    elif kind in (Kind.SINGLE, Kind.TRUE_FALSE) and len(answer) != 1:
        problems.append(("answer", _("%(kind)s needs exactly one correct answer, not "
                                     "%(count)s") % {"kind": Kind(kind).label,
                                                     "count": len(answer)}))
    return problems


def canonical_true_false(options: list[str], answer: list[int]) -> tuple[list[str], list[int]]:
    """A true/false pair in any wording and order → ``["正确", "错误"]`` and the answer index
    in that order."""
    truth = tf_truth_of(options)
    if truth is None:
        return options, answer
    return list(TF_OPTIONS), sorted({0 if truth[i] else 1 for i in answer})


def _parse_entry(number: int, cells, table: Table, plan: QuestionImportPlan,
                 errors: list[RowError]) -> ParsedQuestion | None:
    def fail(key: str, message: str) -> None:
        index = plan.columns.get(key)
        header = table.headers[index] if index is not None else ""
        errors.append(RowError(number, header, message))

    try:
        stem = _text(_cell(table, cells, plan, "stem"), "stem")
        explanation = _text(_cell(table, cells, plan, "explanation"), "explanation")
        kind_text = _text(_cell(table, cells, plan, "kind"), "kind")
    except _EntryError as error:
        fail(error.key, error.message)
        return None
    if plan.columns.get("options") is not None:
        try:
            options = _split_options(_cell(table, cells, plan, "options"))
        except _EntryError as error:
            fail(error.key, error.message)
            return None
    else:
        options = []
        gap = None
        for key, letter in zip(OPTION_COLUMNS, LETTERS, strict=False):
            value = _cell(table, cells, plan, key)
            text = " ".join(str(value).split()) if value not in (None, "") else ""
            if isinstance(value, float) and value.is_integer():
                text = str(int(value))
            if text:
                if gap:
                    fail(key, _("option %(missing)s is empty but option %(letter)s is not")
                         % {"missing": gap, "letter": letter})
                    return None
                options.append(text)
            elif gap is None and plan.columns.get(key) is not None:
                gap = letter
    options = _strip_prefixes([o for o in options])
    kind = None
    if kind_text:
        kind = kind_of(kind_text)
        if kind is None:
            fail("kind", _("unknown question type “%(type)s”") % {"type": kind_text[:30]})
            return None
    if kind == Kind.TRUE_FALSE and not options:
        options = list(TF_OPTIONS)
    raw_answer = _cell(table, cells, plan, "answer")
    try:
        answer = parse_answer(raw_answer, options)
    except ValueError as error:
        if not stem:
            fail("stem", _("no question text"))
        fail("answer", str(error))
        return None
    if kind is None:
        if tf_truth_of(options) is not None:
            kind = Kind.TRUE_FALSE
        else:
            kind = Kind.MULTIPLE if len(answer) > 1 else Kind.SINGLE
    if kind == Kind.TRUE_FALSE:
        options, answer = canonical_true_false(options, answer)
    problems = question_check(kind=kind, stem=stem, options=options, answer=answer)
    if len(explanation) > EXPLANATION_MAX:
        problems.append(("explanation", _("explanation longer than %(max)s characters")
                         % {"max": EXPLANATION_MAX}))
    number_value = None
    if plan.columns.get("number") is not None:
        raw_number = _cell(table, cells, plan, "number")
        text = _one_line(raw_number)
        if not (text.isascii() and text.isdigit() and 0 < int(text) <= MAX_NUMBER):
            problems.append(("number", _("number “%(value)s” is not a whole number from 1")
                             % {"value": text[:20]}))
        else:
            number_value = int(text)
    for key, message in problems:
        fail(key, message)
    if problems:
        return None
    return ParsedQuestion(row=number, kind=kind, stem=stem, options=options, answer=answer,
                          explanation=explanation, number=number_value)


@dataclass(frozen=True)
class Renumbering:
    """The file's numbers ``first``–``last`` are stored as ``stored_first``–``stored_last``
    (the bank already holds some of them)."""

    first: int
    last: int
    shift: int

    @property
    def stored_first(self) -> int:
        return self.first + self.shift

    @property
    def stored_last(self) -> int:
        return self.last + self.shift

    @property
    def message(self) -> str:
        return _("Numbers %(first)s–%(last)s in the file will be stored as "
                 "%(stored_first)s–%(stored_last)s because the bank already has questions "
                 "with these numbers.") % {
            "first": self.first, "last": self.last,
            "stored_first": self.stored_first, "stored_last": self.stored_last}


@dataclass
class QuestionValidation:
    """Every entry checked: ``questions`` read (all of them only when ``ok``), the first
    ``errors`` and how many there were in all."""

    questions: list[ParsedQuestion]
    errors: list[RowError]
    error_total: int
    total_rows: int
    entry_word: str = "entry"
    kinds: dict = field(default_factory=dict)
    renumbered: Renumbering | None = None

    @property
    def ok(self) -> bool:
        return self.error_total == 0

    @property
    def preview(self) -> list[ParsedQuestion]:
        return self.questions[:PREVIEW_SIZE]


def questions_validate(table: Table, plan: QuestionImportPlan, *,
                       taken_numbers: set[int] | frozenset = frozenset()) -> QuestionValidation:
    """Check every entry of ``table`` under ``plan``. ``taken_numbers``: numbers the bank
    already uses — a mapped number may not repeat another entry's; when any repeats one of
    the bank's, every read question's number is moved past the bank's highest (see
    :class:`Renumbering`)."""
    collector = ErrorCollector(MAX_ERRORS_KEPT)
    for problem in plan_problems(table, plan):
        collector.extend([RowError(0, "", problem)])
    questions: list[ParsedQuestion] = []
    if collector:
        return QuestionValidation([], collector.errors, collector.total, len(table.rows),
                                  getattr(table, "entry_word", "entry"))
    first_of: dict[int, int] = {}
    for number, cells in table.numbered():
        errors: list[RowError] = []
        parsed = _parse_entry(number, cells, table, plan, errors)
        if parsed is not None and parsed.number is not None:
            header = table.headers[plan.columns["number"]]
            if parsed.number in first_of:
                errors.append(RowError(number, header, _(
                    "number %(number)s repeats entry %(entry)s") % {
                        "number": parsed.number, "entry": first_of[parsed.number]}))
                parsed = None
            else:
                first_of[parsed.number] = number
        collector.extend(errors)
        if parsed is not None:
            questions.append(parsed)
    kinds = {k: sum(1 for q in questions if q.kind == k) for k in Kind.values}
    renumbered = _renumber(questions, taken_numbers)
    return QuestionValidation(questions, collector.errors, collector.total, len(table.rows),
                              getattr(table, "entry_word", "entry"), kinds, renumbered)


def _renumber(questions: list[ParsedQuestion], taken: set[int] | frozenset
              ) -> Renumbering | None:
    """Move every mapped number past the bank's highest when any is taken already."""
    numbers = [q.number for q in questions if q.number is not None]
    if not numbers or not taken or taken.isdisjoint(numbers):
        return None
    renumbered = Renumbering(min(numbers), max(numbers), max(taken) - min(numbers) + 1)
    for q in questions:
        if q.number is not None:
            q.number += renumbered.shift
    return renumbered


def bank_numbers(bank_id: int) -> set[int]:
    """The question numbers ``bank_id`` holds (the preview's ``taken_numbers``)."""
    return set(Question.objects.filter(bank_id=bank_id).values_list("number", flat=True))


# --- the services ----------------------------------------------------------------------------
def _require(actor) -> None:
    if actor is not None and not actor.has_perm(PERMISSION):
        raise NotAllowed()


def _already_imported(bank_id: int, sha256: str) -> bool:
    from django.contrib.contenttypes.models import ContentType

    return ActivityEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(QuestionBank), target_id=bank_id,
        verb=VERB, data__sha256=sha256).exists()


def _refuse_imported(bank: QuestionBank, sha256: str) -> None:
    if _already_imported(bank.pk, sha256):
        raise DomainError(_("This file was already imported into “%(bank)s”.")
                          % {"bank": bank.name}, code="already_imported",
                          field_errors={"file": [_("This file was already imported into "
                                                   "“%(bank)s”.") % {"bank": bank.name}]})


def question_import_upload(*, actor, bank_id: int, uploaded_file) -> QuestionUpload:
    """Step 1: read ``uploaded_file`` (.json or .xlsx, at most IMPORT_MAX_BYTES), refuse it
    when it is not a question file or was already imported into the bank, keep it. Raises
    NotAllowed, DomainError (field ``file``; code ``already_imported`` for a repeat)."""
    from django.conf import settings

    _require(actor)
    bank = QuestionBank.objects.filter(pk=bank_id).first()
    if bank is None:
        raise DomainError(_("Question bank not found."), code="not_found")
    name = upload_name(uploaded_file, "questions.json")
    if not name.lower().endswith(EXTENSIONS):
        raise _file_error(_("Upload a JSON file (.json) or an Excel file (.xlsx)."))
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read()
    limit = settings.SAFECAMPUS["IMPORT_MAX_BYTES"]
    if len(data) > limit:
        raise _file_error(_("The file is larger than %(size)s MB; split it into smaller files.")
                          % {"size": round(limit / 1024 / 1024, 1)})
    table = read_questions_file(data, name)
    sha256 = hashlib.sha256(data).hexdigest()
    _refuse_imported(bank, sha256)
    extension = ".xlsx" if name.lower().endswith(".xlsx") else ".json"
    path = default_storage.save(f"{STORAGE_DIR}/{uuid.uuid4().hex}{extension}",
                                ContentFile(data))
    return QuestionUpload(path=path, name=name, sha256=sha256, entries=len(table.rows),
                          bank_id=bank.pk)


def question_upload_discard(upload: QuestionUpload) -> None:
    """Delete the kept file of ``upload`` (a rejected or checked-only file); gone already is
    fine."""
    try:
        default_storage.delete(upload.path)
    except OSError:  # pragma: no cover - the periodic clean-up gets it then
        pass


def question_uploads_clean(*, older_than: float = UPLOAD_KEEP_SECONDS) -> int:
    """Delete kept uploads older than ``older_than`` seconds (uploaded, never imported and
    left). Returns how many were deleted. The periodic task runs it nightly."""
    try:
        _dirs, names = default_storage.listdir(STORAGE_DIR)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    limit = clock.now() - dt.timedelta(seconds=older_than)
    deleted = 0
    for name in names:
        path = f"{STORAGE_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)
                deleted += 1
        except (FileNotFoundError, OSError):
            continue
    return deleted


def question_upload_table(upload: QuestionUpload) -> Table:
    """The kept upload read again. Raises DomainError when it is gone."""
    try:
        with default_storage.open(upload.path, "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError):
        raise DomainError(_("The uploaded file is no longer here; upload it again."),
                          code="upload_gone") from None
    return read_questions_file(data, upload.name)


def question_import_commit(*, actor, upload: QuestionUpload, plan: QuestionImportPlan,
                           table: Table | None = None) -> int:
    """Step 3: check every entry and add all questions to the bank, or none. Returns how many
    were added. Raises NotAllowed, DomainError ``already_imported`` (same SHA-256 into this
    bank before), ImportRejected listing every bad entry (nothing written)."""
    _require(actor)
    if table is None:
        table = question_upload_table(upload)
    with transaction.atomic():
        bank = QuestionBank.objects.select_for_update().filter(pk=upload.bank_id).first()
        if bank is None:
            raise DomainError(_("Question bank not found."), code="not_found")
        _refuse_imported(bank, upload.sha256)
        taken = set(bank.questions.values_list("number", flat=True))
        result = questions_validate(table, plan, taken_numbers=taken)
        if not result.ok:
            raise ImportRejected(result.errors, total_rows=result.total_rows,
                                 error_total=result.error_total,
                                 message=_("%(count)s problems found in %(rows)s entries; "
                                           "nothing was imported.") % {
                                     "count": result.error_total, "rows": result.total_rows})
        next_number = (bank.questions.aggregate(top=Max("number"))["top"] or 0) + 1
        if plan.columns.get("number") is None:
            numbers = range(next_number, next_number + len(result.questions))
        else:
            numbers = [q.number for q in result.questions]
        Question.objects.bulk_create([
            Question(bank=bank, number=number, kind=q.kind, stem=q.stem, options=q.options,
                     answer=q.answer, explanation=q.explanation)
            for number, q in zip(numbers, result.questions, strict=True)
        ], batch_size=1000)
        bank.source_sha256 = upload.sha256
        if not bank.source:
            bank.source = upload.name[-200:]
        bank.save(update_fields=["source_sha256", "source", "updated_at"])
        activity_record(target=bank, actor=actor, verb=VERB, comment=upload.name[-200:],
                        data={"sha256": upload.sha256, "count": len(result.questions),
                              "kinds": result.kinds, "file": upload.name[-200:]})
    question_upload_discard(upload)
    return len(result.questions)
