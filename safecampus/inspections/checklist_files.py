"""Checklist files (检查表文件) ↔ :class:`~safecampus.inspections.services.ChecklistData`.

Three formats, one shape:

- **Excel (.xlsx) and CSV**: one row per item. The columns are chosen by the person
  importing (:func:`guess_columns` suggests them from the headers, Chinese or English); see
  :data:`FIELDS`. Read with :func:`safecampus.core.spreadsheets.read_table` (UTF-8 with or
  without BOM, GB18030, full-width characters folded). Row numbers count the header as row 1.
- **YAML (.yaml/.yml)**, one documented structure::

      code: dorm-check            # letters, digits, . - _
      name: 学生宿舍安全检查评分表
      kind: dormitory             # laboratory | dormitory | fire | general | other
      description: ""
      pass_score: 60              # optional
      sections:
        - code: "1"
          title: 纪律
          items:
            - code: "1.1"
              text: 无睡懒觉现象
              basis: 《学生宿舍管理规定》
              category: fire       # hazard category code or name (optional)
              grade: general       # general | major (一般 | 重大)
              veto: false          # 一票否决
              scoring: scored      # scored | bonus | deduction | none (得分项 | 加分项 | 减分项 | 不计分)
              points: 4

Reading never writes anything: a file with problems raises :class:`DomainError` whose
``field_errors["file"]`` lists every problem as "Line N: reason" (parse problems and the
rules of :func:`services.checklist_validate` together), so the person can correct them all
at once. Writing (:func:`version_xlsx`, :func:`version_csv`, :func:`version_yaml`) gives files
that read back into the same items (spreadsheet cells neutralised by ``write_xlsx``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import yaml
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.core.errors import DomainError
from safecampus.core.spreadsheets import (
    SpreadsheetError,
    Table,
    fold_key,
    neutralise,
    normalise_text,
    read_table,
    write_xlsx,
)
from safecampus.hazards.models import Grade, HazardCategory

from .models import ChecklistTemplate, ChecklistVersion, Scoring
from .services import ChecklistData, ItemData, SectionData, checklist_validate, version_sections

#: Checklist files are small (a few hundred items); anything bigger is not a checklist.
MAX_BYTES = 2 * 1024 * 1024
SPREADSHEET_EXTENSIONS = (".xlsx", ".csv")
YAML_EXTENSIONS = (".yaml", ".yml")
EXTENSIONS = SPREADSHEET_EXTENSIONS + YAML_EXTENSIONS
YAML_CONTENT_TYPE = "application/yaml; charset=utf-8"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Field:
    """A column a spreadsheet row may have: ``key``, its label, and header synonyms (folded
    with :func:`fold_key` before comparing)."""

    key: str
    label: str
    synonyms: tuple[str, ...]
    required: bool = False


FIELDS: tuple[Field, ...] = (
    Field("code", gettext_lazy("Item code"),
          ("code", "item_code", "item_no", "item no", "no", "number", "编号", "序号", "项目编号",
           "检查项编号", "条款号", "条款编号")),
    Field("text", gettext_lazy("Check point"),
          ("text", "item_text", "item", "check point", "checkpoint", "content", "检查内容",
           "检查项", "检查项目内容", "检查要点", "内容", "检查点"), required=True),
    Field("section", gettext_lazy("Section"),
          ("section", "section_title", "分类", "项目", "检查项目", "类目", "大项", "板块")),
    Field("section_code", gettext_lazy("Section code"),
          ("section_code", "section_no", "分类编号")),
    Field("basis", gettext_lazy("Basis"),
          ("basis", "reference", "regulation", "依据", "检查依据", "法规依据", "标准依据")),
    Field("category", gettext_lazy("Hazard category"),
          ("category", "hazard_category", "类别", "隐患类别", "隐患类型")),
    Field("grade", gettext_lazy("Hazard grade"),
          ("grade", "hazard_grade", "等级", "隐患等级", "隐患级别")),
    Field("veto", gettext_lazy("Veto item"),
          ("veto", "is_veto", "一票否决", "否决项")),
    Field("scoring", gettext_lazy("Scoring"),
          ("scoring", "type", "item_type", "scoring_type", "类型", "计分方式", "计分类型",
           "评分类型")),
    Field("points", gettext_lazy("Points"),
          ("points", "score", "分值", "分数", "标准分", "扣分", "得分")),
)
FIELD_KEYS = tuple(f.key for f in FIELDS)

#: Words of the scoring column (folded), e.g. 得分项 → scored, 扣分项 → deduction.
SCORING_WORDS = {
    **dict.fromkeys(["scored", "得分项", "得分", "计分项"], Scoring.SCORED),
    **dict.fromkeys(["bonus", "加分项", "加分"], Scoring.BONUS),
    **dict.fromkeys(["deduction", "deduct", "减分项", "扣分项", "减分", "扣分"], Scoring.DEDUCTION),
    **dict.fromkeys(["none", "notscored", "不计分", "不评分", "无"], Scoring.NONE),
}
GRADE_WORDS = {
    **dict.fromkeys(["general", "一般", "一般隐患", "一般事故隐患"], Grade.GENERAL),
    **dict.fromkeys(["major", "重大", "重大隐患", "重大事故隐患"], Grade.MAJOR),
}
YES_WORDS = {"是", "yes", "y", "true", "1", "√", "✓", "✔", "一票否决", "veto", "否决"}
NO_WORDS = {"否", "no", "n", "false", "0", "不是", "-", "—", "×", "x"}
#: A leading item code in a text: "1.1.1 有校级实验室…" or "3、消防通道…".
LEADING_CODE = re.compile(r"^\s*(\d+(?:\.\d+)*)(?:[\s、，,:：)）]+|\.\s+|．\s*)(\S.*)$", re.S)

#: Headers of exported spreadsheets; :func:`guess_columns` maps them back.
EXPORT_HEADERS = ("分类编号", "分类", "编号", "检查内容", "依据", "隐患类别", "隐患等级",
                  "一票否决", "计分方式", "分值")
SCORING_EXPORT = {Scoring.SCORED: "得分项", Scoring.BONUS: "加分项",
                  Scoring.DEDUCTION: "减分项", Scoring.NONE: "不计分"}
GRADE_EXPORT = {Grade.GENERAL: "一般", Grade.MAJOR: "重大"}


# --- problems -------------------------------------------------------------------------------
def _problem_lines(problems: list[tuple[int | None, str]]) -> list[str]:
    ordered = sorted(problems, key=lambda p: (p[0] is not None, p[0] or 0))
    return [_("Line %(line)s: %(message)s") % {"line": line, "message": message}
            if line else message for line, message in ordered]


def refuse(problems: list[tuple[int | None, str]]) -> None:
    """Raise a DomainError listing ``problems`` (``(line or None, message)``) in line order."""
    lines = _problem_lines(problems)
    raise DomainError(
        _("%(count)s problems, nothing was imported.") % {"count": len(lines)}
        if len(lines) > 1 else lines[0],
        code="invalid_checklist", field_errors={"file": lines})


def check(data: ChecklistData, parse_problems: list[tuple[int | None, str]]) -> ChecklistData:
    """``data`` when it has no problem at all; else :func:`refuse` with every problem."""
    problems = parse_problems + checklist_validate(data)
    if problems:
        refuse(problems)
    return data


# --- cells ------------------------------------------------------------------------------------
def prose(value) -> str:
    """Text as written, whitespace collapsed: check points keep their full-width punctuation
    (，：（）), unlike codes and words, which are NFKC-folded by ``normalise_text``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool):
        return str(value).lower()
    return " ".join(str(value).split())


class _Cell(ValueError):
    """A cell's value is not understood; ``str()`` is the translated reason."""


def split_code(text: str) -> tuple[str, str]:
    """``("1.1.1", "有校级…")`` for ``"1.1.1 有校级…"``; ``("", text)`` without a leading code."""
    match = LEADING_CODE.match(text or "")
    if not match:
        return "", (text or "").strip()
    return normalise_text(match.group(1)), match.group(2).strip()


def parse_scoring(value) -> str | None:
    """The scoring for a cell (None when empty); raises _Cell for an unknown word."""
    text = normalise_text(value)
    if not text:
        return None
    scoring = SCORING_WORDS.get(fold_key(text))
    if scoring is None:
        raise _Cell(_("Unknown scoring “%(value)s” (use 得分项, 加分项, 减分项 or 不计分).")
                    % {"value": text})
    return scoring


def parse_grade(value) -> str:
    text = normalise_text(value)
    if not text:
        return Grade.GENERAL
    grade = GRADE_WORDS.get(fold_key(text))
    if grade is None:
        raise _Cell(_("Unknown hazard grade “%(value)s” (use 一般 or 重大).") % {"value": text})
    return grade


def parse_veto(value) -> bool:
    if isinstance(value, bool):
        return value
    text = normalise_text(value)
    if not text:
        return False
    key = fold_key(text)
    if key in YES_WORDS:
        return True
    if key in NO_WORDS:
        return False
    raise _Cell(_("“%(value)s” is not yes or no (use 是 or 否).") % {"value": text})


def parse_points(value) -> Decimal | None:
    """Points as a Decimal (None when empty); ``5分`` is read as 5."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    text = normalise_text(value).removesuffix("分").strip()
    if not text:
        return None
    try:
        points = Decimal(text)
        if not points.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise _Cell(_("Points must be a number, not “%(value)s”.")
                    % {"value": normalise_text(value)}) from None
    return points


class Categories:
    """Hazard categories matched by code, Chinese name or English name (folded)."""

    def __init__(self):
        self._by_key: dict[str, int] = {}
        for pk, code, name, name_en in HazardCategory.objects.filter(is_active=True).values_list(
                "pk", "code", "name", "name_en"):
            for word in (code, name, name_en):
                if word:
                    self._by_key.setdefault(fold_key(word), pk)
        self._code = dict(HazardCategory.objects.values_list("pk", "code"))

    def parse(self, value) -> int | None:
        text = normalise_text(value)
        if not text:
            return None
        pk = self._by_key.get(fold_key(text))
        if pk is None:
            raise _Cell(_("Unknown hazard category “%(value)s”.") % {"value": text})
        return pk

    def code_of(self, pk: int | None) -> str:
        return self._code.get(pk, "") if pk else ""


def _item(raw: dict, *, line: int | None, categories: Categories,
          problems: list[tuple[int | None, str]], default_code: str = "",
          code_given: bool = True) -> ItemData:
    """One item from raw values (keys of :data:`FIELD_KEYS`); cell problems go to
    ``problems`` and the field keeps a valid default, so each problem is told once."""
    text = prose(raw.get("text"))
    code = normalise_text(raw.get("code"))
    if not code:
        leading, rest = split_code(text)
        if leading:
            code, text = leading, rest
        elif not code_given:
            code = default_code
    item = ItemData(code=code, text=text, basis=prose(raw.get("basis")), line=line)

    def read(key, parser, attribute):
        try:
            return parser(raw.get(key))
        except _Cell as error:
            problems.append((line, str(error)))
            return getattr(item, attribute)

    item.hazard_category_id = read("category", categories.parse, "hazard_category_id")
    item.hazard_grade = read("grade", parse_grade, "hazard_grade")
    item.is_veto = read("veto", parse_veto, "is_veto")
    scoring = read("scoring", parse_scoring, "scoring")
    told = len(problems)
    points = read("points", parse_points, "points")
    if len(problems) > told:
        # the bad cell is told already; a placeholder keeps "needs points" from telling it twice
        points = Decimal("1")
    if scoring is None:
        # No scoring word: points alone say it (positive earn, negative deduct).
        scoring = (Scoring.NONE if not points else
                   Scoring.DEDUCTION if points < 0 else Scoring.SCORED)
    item.scoring = scoring
    # A deduction item's points are how much it takes off: "-20" and "20" are the same.
    item.points = abs(points) if points is not None and scoring == Scoring.DEDUCTION else (
        points if points is not None else Decimal("0"))
    return item


# --- spreadsheets -----------------------------------------------------------------------------
def guess_columns(headers: list[str]) -> dict[str, int | None]:
    """Suggest a column for each field from the headers: exact synonyms first, then a header
    that contains a synonym (e.g. "检查内容（要点）"). Each column is used once."""
    folded = [fold_key(h) for h in headers]
    chosen: dict[str, int | None] = dict.fromkeys(FIELD_KEYS)
    used: set[int] = set()
    for exact in (True, False):
        for field in FIELDS:
            if chosen[field.key] is not None:
                continue
            keys = [fold_key(s) for s in field.synonyms]
            for index, header in enumerate(folded):
                if index in used or not header:
                    continue
                if header in keys if exact else any(len(k) > 2 and k in header for k in keys):
                    chosen[field.key] = index
                    used.add(index)
                    break
    return chosen


def table_checklist(table: Table, columns: dict[str, int | None], *, code: str, name: str,
                    kind: str = ChecklistTemplate.Kind.GENERAL, description: str = "",
                    pass_score: Decimal | None = None) -> ChecklistData:
    """The checklist in ``table`` read through ``columns`` (field key → column index or None).

    Sections: the section column's values in order of first appearance (a row without one
    stays in the section above, as with merged cells; ``"1 安全责任体系"`` gives code ``1``);
    without a section column, one section. Item codes: the code column; when it is empty or
    not chosen, a code at the start of the text (``"1.1.1 有校级…"``); when no code column is
    chosen at all, the item's running number otherwise. Raises DomainError listing every
    problem by row.
    """
    if columns.get("text") is None:
        raise DomainError(_("Choose the column that holds the check point text."),
                          field_errors={"col_text": [_("This column is needed.")]})
    categories = Categories()
    problems: list[tuple[int | None, str]] = []
    sections: list[SectionData] = []
    by_key: dict[str, SectionData] = {}
    current: SectionData | None = None
    code_given = columns.get("code") is not None
    for position, (number, cells) in enumerate(table.numbered(), start=1):
        raw = {key: (cells[index] if index is not None and index < len(cells) else None)
               for key, index in columns.items()}
        title = prose(raw.get("section"))
        section_code = normalise_text(raw.get("section_code"))
        if title or section_code:
            if not section_code:
                section_code, title = split_code(title)
            title = title or section_code
            key = fold_key(f"{section_code}|{title}")
            current = by_key.get(key)
            if current is None:
                current = by_key[key] = SectionData(code=section_code, title=title)
                sections.append(current)
        elif current is None:
            current = SectionData(code="", title=_("Check items"))
            sections.append(current)
        current.items.append(_item(raw, line=number, categories=categories, problems=problems,
                                   default_code=str(position), code_given=code_given))
    data = ChecklistData(name=name, code=code, kind=kind, description=description,
                         pass_score=pass_score, sections=sections)
    return check(data, problems)


def table_to_json(table: Table) -> dict:
    """A table as JSON-safe text cells (kept between the import steps)."""
    return {"headers": table.headers, "numbers": table.numbers, "name": table.name,
            "rows": [[prose(v) for v in row] for row in table.rows]}


def table_from_json(data: dict) -> Table:
    return Table(headers=list(data["headers"]), rows=[list(r) for r in data["rows"]],
                 numbers=list(data["numbers"]), name=data.get("name", ""))


# --- YAML ---------------------------------------------------------------------------------------
class _LineLoader(yaml.SafeLoader):
    """A safe loader that keeps each mapping's line number under ``__line__``."""


def _construct_mapping(loader, node, deep=False):
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _yaml_load(raw: bytes):
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        refuse([(None, _("The YAML file is not UTF-8 text."))])
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as error:
        refuse([_yaml_problem(error)])
    except yaml.YAMLError as error:
        refuse([(None, _("The YAML is not well formed (%(problem)s).") % {"problem": error})])


def _yaml_problem(error: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """``(line, plain translated sentence)`` for a YAML syntax error.

    PyYAML's own text ("while parsing a flow sequence … expected ',' or ']'") speaks of the
    parser; the usual mistakes get a sentence a person can act on, at the line where the
    fix goes (where an unclosed bracket or quote opened). Anything else keeps PyYAML's short
    ``problem`` in parentheses.
    """
    context, problem = error.context or "", error.problem or ""
    opened = error.context_mark or error.problem_mark
    found = error.problem_mark or error.context_mark
    if "flow sequence" in context:
        mark, message = opened, _("A list in square brackets is not closed with “]”, or a "
                                  "comma is missing between its entries.")
    elif "flow mapping" in context:
        mark, message = opened, _("A mapping in braces is not closed with “}”, or a comma is "
                                  "missing between its entries.")
    elif "quoted scalar" in context:
        mark, message = opened, _("A quotation mark is not closed.")
    elif "simple key" in context:
        mark, message = opened, _("A key is not followed by a colon “:”.")
    elif "'\\t'" in problem:
        mark, message = found, _("A tab is used for indenting; indent YAML with spaces only.")
    elif problem.startswith("mapping values are not allowed"):
        mark, message = found, _("A “: ” appears where no key can start: check the "
                                 "indentation, or put text containing “: ” in quotes.")
    elif problem.startswith(("expected <block end>", "did not find expected")):
        mark, message = found, _("The indentation does not match the lines above.")
    else:
        mark, message = found, _("The YAML is not well formed (%(problem)s).") % {
            "problem": problem or context}
    return (mark.line + 1 if mark else None), message


def yaml_checklist(raw: bytes) -> ChecklistData:
    """The checklist in a YAML file of the structure in this module's docstring.

    Raises DomainError listing every problem with its line (bad YAML, a wrong structure,
    unknown words, non-numeric points and the rules of ``checklist_validate``).
    """
    doc = _yaml_load(raw)
    if not isinstance(doc, dict):
        refuse([(None, _("The YAML file must describe one checklist with code, name and "
                         "sections."))])
    problems: list[tuple[int | None, str]] = []
    line = doc.get("__line__")
    kind = normalise_text(doc.get("kind")) or ChecklistTemplate.Kind.GENERAL
    pass_score = None
    try:
        pass_score = parse_points(doc.get("pass_score"))
    except _Cell as error:
        problems.append((line, str(error)))
    data = ChecklistData(name=prose(doc.get("name")), code=normalise_text(doc.get("code")),
                         kind=kind, description=str(doc.get("description") or "").strip(),
                         pass_score=pass_score)
    categories = Categories()
    raw_sections = doc.get("sections")
    if not isinstance(raw_sections, list):
        problems.append((line, _("“sections” must be a list of sections, each with a title "
                                 "and items.")))
        raw_sections = []
    for raw_section in raw_sections:
        if not isinstance(raw_section, dict):
            problems.append((line, _("Each section must have a title and items.")))
            continue
        s_line = raw_section.get("__line__")
        section = SectionData(code=normalise_text(raw_section.get("code")),
                              title=prose(raw_section.get("title")))
        if not section.title:
            problems.append((s_line, _("Every section needs a title.")))
            section.title = "-"
        items = raw_section.get("items")
        if not isinstance(items, list):
            problems.append((s_line, _("“items” must be a list of items.")))
            items = []
        for raw_item in items:
            if not isinstance(raw_item, dict):
                problems.append((s_line, _("Each item must have at least a code and a text.")))
                continue
            values = {key: raw_item.get(key) for key in FIELD_KEYS}
            values["code"] = normalise_text(values["code"])
            section.items.append(_item(values, line=raw_item.get("__line__"),
                                       categories=categories, problems=problems))
        data.sections.append(section)
    return check(data, problems)


# --- reading an upload ----------------------------------------------------------------------------
@dataclass
class Upload:
    """What an uploaded file held: a table to map (spreadsheets) or a whole checklist (YAML)."""

    filename: str
    table: Table | None = None
    checklist: ChecklistData | None = None


def read_upload(uploaded_file) -> Upload:
    """Read an uploaded .xlsx/.csv (into a table) or .yaml/.yml (into a checklist).

    Raises DomainError (``field_errors["file"]``) for a wrong type, a file over
    :data:`MAX_BYTES`, an unreadable or empty file, or YAML with problems (each with its line).
    """
    name = getattr(uploaded_file, "name", "") or ""
    lower = name.lower()
    size = getattr(uploaded_file, "size", None)
    if not lower.endswith(EXTENSIONS):
        refuse([(None, _("“%(name)s” is not an Excel (.xlsx), CSV (.csv) or YAML (.yaml) file.")
                 % {"name": name})])
    if size is not None and size > MAX_BYTES:
        refuse([(None, _("The file is larger than %(size)s MB; a checklist is much smaller.")
                 % {"size": MAX_BYTES // (1024 * 1024)})])
    if lower.endswith(YAML_EXTENSIONS):
        if hasattr(uploaded_file, "seek"):
            uploaded_file.seek(0)
        raw = uploaded_file.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            refuse([(None, _("The file is larger than %(size)s MB; a checklist is much "
                             "smaller.") % {"size": MAX_BYTES // (1024 * 1024)})])
        return Upload(filename=name, checklist=yaml_checklist(raw))
    try:
        table = read_table(uploaded_file, max_bytes=MAX_BYTES, fold_width=False)
    except SpreadsheetError as error:
        refuse([(None, error.message)])
    if not table.rows:
        refuse([(None, _("The file has a header row but no items."))])
    return Upload(filename=name, table=table)


# --- JSON between the import steps ------------------------------------------------------------------
def checklist_to_json(data: ChecklistData) -> dict:
    return {
        "code": data.code, "name": data.name, "kind": data.kind, "description": data.description,
        "pass_score": None if data.pass_score is None else str(data.pass_score),
        "sections": [{"code": s.code, "title": s.title, "items": [
            {"code": i.code, "text": i.text, "basis": i.basis, "category": i.hazard_category_id,
             "grade": i.hazard_grade, "veto": i.is_veto, "scoring": i.scoring,
             "points": str(i.points), "line": i.line} for i in s.items]}
            for s in data.sections],
    }


def checklist_from_json(data: dict) -> ChecklistData:
    return ChecklistData(
        code=data["code"], name=data["name"], kind=data["kind"], description=data["description"],
        pass_score=None if data["pass_score"] is None else Decimal(data["pass_score"]),
        sections=[SectionData(code=s["code"], title=s["title"], items=[
            ItemData(code=i["code"], text=i["text"], basis=i["basis"],
                     hazard_category_id=i["category"], hazard_grade=i["grade"],
                     is_veto=i["veto"], scoring=i["scoring"], points=Decimal(i["points"]),
                     line=i["line"]) for i in s["items"]]) for s in data["sections"]])


# --- writing -------------------------------------------------------------------------------------------
def _number(value: Decimal):
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _export_rows(version: ChecklistVersion) -> list[list]:
    categories = Categories()
    rows = []
    for section in version_sections(version):
        for item in section.items:
            rows.append([section.code, section.title, item.code, item.text, item.basis,
                         categories.code_of(item.hazard_category_id),
                         GRADE_EXPORT.get(item.hazard_grade, item.hazard_grade),
                         "是" if item.is_veto else "否",
                         SCORING_EXPORT.get(item.scoring, item.scoring), _number(item.points)])
    return rows


def version_xlsx(version: ChecklistVersion) -> bytes:
    """The version as one sheet, one item a row, headers :data:`EXPORT_HEADERS`."""
    return write_xlsx(EXPORT_HEADERS, _export_rows(version), text_columns=(0, 2),
                      widths=[8, 24, 10, 60, 40, 14, 10, 10, 10, 8],
                      sheet_title=f"{version.template.code}-v{version.number}")


def version_csv(version: ChecklistVersion) -> bytes:
    """The version as UTF-8 CSV with a BOM (Excel opens it as UTF-8), cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADERS)
    for row in _export_rows(version):
        writer.writerow([neutralise(v) if isinstance(v, str) else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def version_yaml(version: ChecklistVersion) -> bytes:
    """The version in the YAML structure of this module's docstring."""
    categories = Categories()
    template = version.template
    doc = {"code": template.code, "name": template.name, "kind": template.kind,
           "description": template.description}
    if version.pass_score is not None:
        doc["pass_score"] = _number(version.pass_score)
    doc["sections"] = [{
        "code": section.code, "title": section.title,
        "items": [{"code": i.code, "text": i.text, "basis": i.basis,
                   "category": categories.code_of(i.hazard_category_id) or None,
                   "grade": i.hazard_grade, "veto": i.is_veto, "scoring": i.scoring,
                   "points": _number(i.points)} for i in section.items],
    } for section in version_sections(version)]
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100).encode("utf-8")


def export_filename(version: ChecklistVersion, extension: str) -> str:
    return f"{version.template.name}-v{version.number}.{extension}"
