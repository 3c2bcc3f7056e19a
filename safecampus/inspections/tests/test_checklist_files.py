"""Checklist files: the real dormitory sheet and MoE fragments imported and inspected with,
malformed files refused line by line with nothing written, and export → import round trips."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from safecampus.hazards.models import Grade, Hazard, RectificationNotice, Source
from safecampus.inspections import checklist_files, services
from safecampus.inspections.models import (
    ChecklistItem,
    ChecklistTemplate,
    ChecklistVersion,
    Inspection,
    Scoring,
)
from safecampus.inspections.services import ChecklistData, ItemData, SectionData

from .helpers import answer_all, signature_png

pytestmark = pytest.mark.django_db

DORMITORY = "lab-checklist/dormitory_inspection_scoring_items_KnowledgeAndAction_Dormitory.csv"
FRAGMENTS = "lab-checklist/moe_checklist_item_fragments.csv"


def _upload(name: str, content: bytes | str) -> SimpleUploadedFile:
    if isinstance(content, str):
        content = content.encode("utf-8")
    return SimpleUploadedFile(name, content)


def _real(shared_data, relative: str) -> SimpleUploadedFile:
    path = shared_data / relative
    return _upload(path.name, path.read_bytes())


def _problems(error) -> list[str]:
    return error.value.field_errors["file"]


def _inspect(org, version, *, fails: dict[str, str]):
    inspection = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                           template_id=version.template_id)
    answer_all(inspection, org.users.staff, fails=fails)
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="宿管王老师", signature=signature_png())
    inspection.refresh_from_db()
    return inspection


# --- the real files -----------------------------------------------------------------------------
def test_dormitory_sheet_imports_as_24_items_and_scores_out_of_100(org, shared_data):
    # given the real dormitory scoring sheet (item_no, type, item_text, points, variable)
    upload = checklist_files.read_upload(_real(shared_data, DORMITORY))
    columns = checklist_files.guess_columns(upload.table.headers)
    # then its columns are recognised from the English headers; "variable" is left out
    assert upload.table.headers == ["item_no", "type", "item_text", "points", "variable"]
    assert {k: v for k, v in columns.items() if v is not None} == {
        "code": 0, "scoring": 1, "text": 2, "points": 3}
    # when it is read and imported as a published dormitory checklist
    data = checklist_files.table_checklist(upload.table, columns, code="dorm", name="宿舍检查评分表",
                                           kind=ChecklistTemplate.Kind.DORMITORY)
    version = services.checklist_import(actor=org.users.admin, data=data, publish=True)
    # then it has the 24 items in file order, 18 scored, 1 bonus and 5 deductions of 20 points
    items = list(version.items.order_by("position"))
    assert [i.code for i in items] == [str(n) for n in range(1, 25)]
    assert items[4].text == "关系融洽,互助互爱"
    assert [i.scoring for i in items].count(Scoring.SCORED) == 18
    bonus = [i for i in items if i.scoring == Scoring.BONUS]
    assert [(b.code, b.points) for b in bonus] == [("19", Decimal("10"))]
    deductions = [i for i in items if i.scoring == Scoring.DEDUCTION]
    assert [d.code for d in deductions] == ["20", "21", "22", "23", "24"]
    assert {d.points for d in deductions} == {Decimal("20")}
    assert deductions[0].text == "宿舍内吸烟，乱扔烟头"
    assert sum(i.points for i in items if i.scoring == Scoring.SCORED) == 100
    assert version.state == ChecklistVersion.State.PUBLISHED
    assert version.template.kind == ChecklistTemplate.Kind.DORMITORY

    # when a dormitory is inspected with it: floor dirty (10 points) and smoking (−20)
    inspection = _inspect(org, version, fails={"7": "地面有垃圾", "20": "发现烟头"})
    # then the maximum is the 100 points of the 18 scored items and the score 100 − 10 + 10 − 20
    assert inspection.state == Inspection.State.FINISHED
    assert inspection.max_score == Decimal("100")
    assert inspection.score == Decimal("80")
    assert (inspection.items_complied, inspection.items_failed) == (22, 2)
    hazards = list(Hazard.objects.filter(source=Source.INSPECTION).order_by("pk"))
    # titled by what was found; the item it fails is in the description
    assert [h.title for h in hazards] == ["[7] 地面有垃圾", "[20] 发现烟头"]
    assert "宿舍内吸烟，乱扔烟头" in hazards[1].description
    notice = RectificationNotice.objects.get()
    assert notice.unit_id == org.unit_a.pk
    assert set(notice.items.values_list("hazard_id", flat=True)) == {h.pk for h in hazards}


def test_moe_fragments_import_with_the_code_taken_from_the_text(org, shared_data):
    # given the MoE fragments (fragment_no, item_text, where_found): no item-code column
    upload = checklist_files.read_upload(_real(shared_data, FRAGMENTS))
    assert upload.table.headers == ["fragment_no", "item_text", "where_found"]
    columns = {**dict.fromkeys(checklist_files.FIELD_KEYS), "text": 1}
    # when only the text column is mapped
    data = checklist_files.table_checklist(upload.table, columns, code="moe-lab",
                                           name="实验室安全检查项目表（摘录）",
                                           kind=ChecklistTemplate.Kind.LABORATORY)
    version = services.checklist_import(actor=org.users.admin, data=data, publish=True)
    # then the 9 fragments are items numbered in file order, except fragment 9 whose text
    # begins with its code 1.1.1 (and loses it)
    items = list(version.items.order_by("position"))
    assert [i.code for i in items] == ["1", "2", "3", "4", "5", "6", "7", "8", "1.1.1"]
    assert items[8].text == "有校级实验室安全工作领导机构，由校领导作为负责人，相关职能部门参与，设办公室"
    assert items[2].text == "实验室消防通道通畅"
    assert {i.scoring for i in items} == {Scoring.NONE}

    # when a lab is inspected with it and two items fail
    inspection = _inspect(org, version, fails={"3": "走廊堆放纸箱", "1.1.1": "未设领导机构"})
    # then two hazards on one notice; not scored, 7 of 9 comply
    assert inspection.score is None and inspection.max_score is None
    assert (inspection.items_complied, inspection.items_failed) == (7, 2)
    assert str(inspection.compliance_rate) == "77.8"
    titles = sorted(Hazard.objects.filter(source=Source.INSPECTION).values_list("title", flat=True))
    assert titles == ["[1.1.1] 未设领导机构", "[3] 走廊堆放纸箱"]
    assert RectificationNotice.objects.count() == 1


def test_code_column_wins_over_a_code_in_the_text(org):
    upload = _upload("x.csv", "编号,检查内容\n7,1.1.1 有领导机构\n,2.1 有制度\n")
    table = checklist_files.read_upload(upload).table
    columns = checklist_files.guess_columns(table.headers)
    data = checklist_files.table_checklist(table, columns, code="x", name="x")
    items = data.sections[0].items
    assert [(i.code, i.text) for i in items] == [("7", "1.1.1 有领导机构"), ("2.1", "有制度")]


# --- Chinese headers, sections, words ----------------------------------------------------------------
CHINESE_CSV = (
    "\ufeff项目,序号,检查内容,依据,类别,等级,一票否决,类型,分值\n"
    "1 安全责任体系,1.1.1,有校级领导机构,《规定》第5条,消防安全,重大,是,扣分项,-5\n"
    ",1.1.2,有安全员,,fire,一般,否,得分项,５\n"
    "2 消防设施,2.1,灭火器在有效期内,,electrical,,,,\n"
)


def test_chinese_headers_sections_and_words_are_understood(org):
    # given a GB-style sheet whose section cell is merged over two rows (empty in the second)
    table = checklist_files.read_upload(_upload("检查表.csv", CHINESE_CSV)).table
    columns = checklist_files.guess_columns(table.headers)
    assert columns == {"section": 0, "code": 1, "text": 2, "basis": 3, "category": 4,
                       "grade": 5, "veto": 6, "scoring": 7, "points": 8, "section_code": None}
    data = checklist_files.table_checklist(table, columns, code="lab", name="实验室")
    # then the sections keep their codes, the second row stays in the first section
    assert [(s.code, s.title, [i.code for i in s.items]) for s in data.sections] == [
        ("1", "安全责任体系", ["1.1.1", "1.1.2"]), ("2", "消防设施", ["2.1"])]
    first, second, third = (i for s in data.sections for i in s.items)
    assert (first.hazard_category_id, first.hazard_grade, first.is_veto, first.scoring,
            first.points, first.basis, first.line) == (
        org.fire.pk, Grade.MAJOR, True, Scoring.DEDUCTION, Decimal("5"), "《规定》第5条", 2)
    assert (second.hazard_category_id, second.is_veto, second.scoring, second.points) == (
        org.fire.pk, False, Scoring.SCORED, Decimal("5"))
    assert (third.hazard_category_id, third.scoring, third.points) == (
        org.electrical.pk, Scoring.NONE, Decimal("0"))


# --- malformed files --------------------------------------------------------------------------------
def test_duplicate_codes_and_missing_text_are_refused_by_line_and_nothing_is_written(org):
    upload = _upload("bad.csv", "item_no,item_text,type,points\n"
                                "1,地面洁净,得分项,10\n"
                                "2,,得分项,10\n"
                                "1,床下洁净,得分项,10\n"
                                "3,门窗洁净,送分项,五\n")
    table = checklist_files.read_upload(upload).table
    with pytest.raises(services.DomainError) as error:
        checklist_files.table_checklist(table, checklist_files.guess_columns(table.headers),
                                        code="dorm", name="宿舍")
    assert error.value.message == "4 problems, nothing was imported."
    assert _problems(error) == [
        "Line 3: The check point text is missing.",
        "Line 4: Item code “1” appears twice (also on line 2).",
        "Line 5: Unknown scoring “送分项” (use 得分项, 加分项, 减分项 or 不计分).",
        "Line 5: Points must be a number, not “五”.",
    ]
    assert not ChecklistTemplate.objects.exists() and not ChecklistItem.objects.exists()


def test_unknown_grade_veto_and_category_are_refused_by_line(org):
    table = checklist_files.read_upload(_upload("bad.csv", "编号,检查内容,等级,一票否决,类别\n"
                                                           "1,a,特大,也许,化学品\n")).table
    with pytest.raises(services.DomainError) as error:
        checklist_files.table_checklist(table, checklist_files.guess_columns(table.headers),
                                        code="x", name="x")
    assert _problems(error) == [
        "Line 2: Unknown hazard category “化学品”.",
        "Line 2: Unknown hazard grade “特大” (use 一般 or 重大).",
        "Line 2: “也许” is not yes or no (use 是 or 否).",
    ]


def test_bad_yaml_is_refused_with_its_line(org):
    text = "code: lab\nname: 实验室\nsections:\n  - title: 一\n    items:\n      - code: '1'\n" \
           "        text: [unclosed\n"
    with pytest.raises(services.DomainError) as error:
        checklist_files.read_upload(_upload("lab.yaml", text))
    # then the message names the line where the list opened, in words (not PyYAML's)
    [problem] = _problems(error)
    assert problem == ("Line 7: A list in square brackets is not closed with “]”, or a comma "
                       "is missing between its entries.")
    assert error.value.message == problem
    assert not ChecklistTemplate.objects.exists()


@pytest.mark.parametrize(("text", "expected"), [
    ("code: lab\nname: 'unclosed\nsections: []\n", "Line 2: A quotation mark is not closed."),
    ("code: lab\n\tname: x\n",
     "Line 2: A tab is used for indenting; indent YAML with spaces only."),
    ("code: lab\nname: 实验室: 化学\n",
     "Line 2: A “: ” appears where no key can start: check the indentation, or put text "
     "containing “: ” in quotes."),
    ("code: lab\nsections:\n  - title: 一\n    items:\n      - a\n     - b\n",
     "Line 6: The indentation does not match the lines above."),
    ("code: lab\nname\nsections: []\n", "Line 2: A key is not followed by a colon “:”."),
    ("code: {a: 1, b\n: 2\n", "Line 1: A mapping in braces is not closed with “}”, or a comma "
                                "is missing between its entries."),
    ("code: *nowhere\n", "Line 1: The YAML is not well formed (found undefined alias "
                         "'nowhere')."),
])
def test_yaml_syntax_errors_read_as_plain_sentences(org, text, expected):
    with pytest.raises(services.DomainError) as error:
        checklist_files.read_upload(_upload("lab.yaml", text))
    assert _problems(error) == [expected]


def test_yaml_problems_name_the_line_of_each_item(org):
    text = (
        "code: lab\n"
        "name: 实验室\n"
        "sections:\n"
        "  - title: 消防\n"
        "    items:\n"
        "      - code: '1.1'\n"
        "        text: 通道畅通\n"
        "      - code: '1.1'\n"
        "        text: 灭火器有效\n"
        "        points: many\n"
        "      - code: '1.2'\n"
        "        scoring: lots\n"
    )
    with pytest.raises(services.DomainError) as error:
        checklist_files.read_upload(_upload("lab.yml", text))
    assert _problems(error) == [
        "Line 8: Points must be a number, not “many”.",
        "Line 8: Item code “1.1” appears twice (also on line 6).",
        "Line 11: Unknown scoring “lots” (use 得分项, 加分项, 减分项 or 不计分).",
        "Line 11: The check point text is missing.",
    ]
    assert not ChecklistTemplate.objects.exists()


def test_a_yaml_file_that_is_not_a_checklist_is_refused(org):
    with pytest.raises(services.DomainError) as error:
        checklist_files.read_upload(_upload("x.yaml", "- just\n- a list\n"))
    assert _problems(error) == [
        "The YAML file must describe one checklist with code, name and sections."]


def test_wrong_type_and_empty_files_are_refused(org):
    with pytest.raises(services.DomainError) as error:
        checklist_files.read_upload(_upload("list.txt", "a,b"))
    assert _problems(error) == ["“list.txt” is not an Excel (.xlsx), CSV (.csv) or YAML "
                                "(.yaml) file."]
    with pytest.raises(services.DomainError) as error:
        checklist_files.read_upload(_upload("empty.csv", "编号,检查内容\n"))
    assert _problems(error) == ["The file has a header row but no items."]


# --- export and round trips ---------------------------------------------------------------------------
def _rich_version(org):
    data = ChecklistData(code="lab-2026", name="实验室安全检查表", kind="laboratory",
                         pass_score=Decimal("60"), sections=[
        SectionData("1", "安全责任体系", [
            ItemData("1.1.1", "有校级实验室安全工作领导机构", basis="《规定》第5条",
                     hazard_category_id=org.fire.pk, hazard_grade=Grade.MAJOR, is_veto=True,
                     scoring=Scoring.SCORED, points=Decimal("4.5")),
            ItemData("1.1.2", "=HYPERLINK(\"http://x\")", scoring=Scoring.DEDUCTION,
                     points=Decimal("20")),
        ]),
        SectionData("", "其他", [
            ItemData("2", "+ 加分：整体美观", scoring=Scoring.BONUS, points=Decimal("10"),
                     hazard_category_id=org.electrical.pk),
            ItemData("3", "@无编号说明", basis="-"),
        ]),
    ])
    return services.checklist_import(actor=org.users.admin, data=data, publish=True)


def _shape(sections):
    return [(s.code, s.title, [(i.code, i.text, i.basis, i.hazard_category_id, i.hazard_grade,
                                i.is_veto, i.scoring, Decimal(i.points)) for i in s.items])
            for s in sections]


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "yaml"])
def test_export_then_import_gives_the_same_items(org, fmt):
    # given a published version with sections, categories, veto, grades and all scorings
    version = _rich_version(org)
    writer = {"xlsx": checklist_files.version_xlsx, "csv": checklist_files.version_csv,
              "yaml": checklist_files.version_yaml}[fmt]
    # when it is exported and the file is read back (columns as suggested)
    upload = checklist_files.read_upload(_upload(f"lab.{fmt}", writer(version)))
    if upload.table is not None:
        data = checklist_files.table_checklist(
            upload.table, checklist_files.guess_columns(upload.table.headers),
            code="lab-2026", name="实验室安全检查表")
    else:
        data = upload.checklist
        assert (data.code, data.name, data.kind, data.pass_score) == (
            "lab-2026", "实验室安全检查表", "laboratory", Decimal("60"))
    # then the items are the same, and importing them makes the next version
    assert _shape(data.sections) == _shape(services.version_sections(version))
    again = services.checklist_import(actor=org.users.admin, data=data)
    assert again.number == 2 and again.template_id == version.template_id
    assert _shape(services.version_sections(again)) == _shape(services.version_sections(version))


def test_exported_cells_cannot_run_as_formulas(org):
    version = _rich_version(org)
    sheet = load_workbook(io.BytesIO(checklist_files.version_xlsx(version))).active
    texts = [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert texts == ["有校级实验室安全工作领导机构", "'=HYPERLINK(\"http://x\")",
                     "'+ 加分：整体美观", "'@无编号说明"]
    assert [c.value for c in sheet[1]] == list(checklist_files.EXPORT_HEADERS)
    csv_text = checklist_files.version_csv(version).decode("utf-8")
    assert csv_text.startswith("\ufeff分类编号,分类,编号,检查内容")
    assert "'=HYPERLINK" in csv_text and "\n=" not in csv_text and ",=" not in csv_text


NEGATIVE = ("Points cannot be negative: write them as a positive number (a deduction item's "
            "points are what it takes off).")
NEEDED = ("A scored, bonus or deduction item needs points above 0 (choose “Not scored” for an "
          "item without points).")


@pytest.mark.parametrize("name", ["bad.csv", "bad.xlsx"])
def test_a_scored_item_with_negative_or_no_points_is_refused_in_a_sheet(org, name):
    # given a sheet whose 得分项 has −5 points and whose 加分项 has none (a 减分项 may say −20)
    rows = [["编号", "检查内容", "类型", "分值"], ["1", "地面洁净", "得分项", "-5"],
            ["2", "整体美观", "加分项", ""], ["3", "宿舍内吸烟", "减分项", "-20"]]
    if name.endswith(".csv"):
        content = "\n".join(",".join(row) for row in rows).encode()
    else:
        from openpyxl import Workbook

        book = Workbook()
        for row in rows:
            book.active.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        content = buffer.getvalue()
    table = checklist_files.read_upload(_upload(name, content)).table
    # when it is imported, then each bad line is named and nothing is written
    with pytest.raises(services.DomainError) as error:
        checklist_files.table_checklist(table, checklist_files.guess_columns(table.headers),
                                        code="dorm", name="宿舍")
    assert _problems(error) == [f"Line 2: {NEGATIVE}", f"Line 3: {NEEDED}"]
    assert not ChecklistTemplate.objects.exists() and not ChecklistItem.objects.exists()


def test_a_yaml_item_with_negative_points_is_refused_with_its_line(org):
    raw = ("code: dorm\nname: 宿舍\nsections:\n  - title: 内务\n    items:\n"
           "      - code: '1'\n        text: 地面洁净\n        scoring: scored\n"
           "        points: -5\n")
    with pytest.raises(services.DomainError) as error:
        services.checklist_import(actor=org.users.admin,
                                  data=checklist_files.yaml_checklist(raw.encode()))
    assert [p.split(": ", 1)[1] for p in _problems(error)] == [NEGATIVE]
    assert not ChecklistItem.objects.exists()
