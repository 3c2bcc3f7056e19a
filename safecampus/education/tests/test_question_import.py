"""Question import: the real SEU and Fudan banks, answers as letters / texts / 正确错误,
Excel with options in one cell or in 选项A… columns, a malformed bank refused as a whole with
its bad entries listed, the same file not imported twice, the command and the pages."""
# ruff: noqa: F811

import io
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import Workbook

from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.spreadsheets import ImportRejected
from safecampus.education.models import Question, QuestionBank
from safecampus.education.services import question_import as importing
from safecampus.education.services import quizzes as services
from safecampus.tests.pages import login, text_of

from .quiz_helpers import english  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")
LAB = "other/lab-safety-exam-questions"


def json_file(entries, name="bank.json"):
    return SimpleUploadedFile(name, json.dumps(entries, ensure_ascii=False).encode())


def xlsx_file(rows, name="bank.xlsx"):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture
def empty_bank(org):
    return services.bank_create(actor=org.users.staff, name="实验室安全", topic="lab")


def run_import(org, bank, uploaded, columns=None):
    upload = importing.question_import_upload(actor=org.users.staff, bank_id=bank.pk,
                                              uploaded_file=uploaded)
    table = importing.question_upload_table(upload)
    plan = importing.suggest_plan(table)
    for key, header in (columns or {}).items():
        plan.columns[key] = table.headers.index(header) if header else None
    return importing.question_import_commit(actor=org.users.staff, upload=upload, plan=plan)


def kinds_of(bank):
    return {kind: bank.questions.filter(kind=kind).count() for kind in Question.Kind.values}


# --- the real banks ----------------------------------------------------------------------------
def test_the_seu_bank_imports_747_questions_with_their_kinds(org, empty_bank, shared_data):
    data = (shared_data / LAB / "seu_lab_safety_exam_questions.json").read_bytes()
    started = time.perf_counter()
    count = run_import(org, empty_bank, SimpleUploadedFile("seu.json", data))
    elapsed = time.perf_counter() - started
    assert count == 747 == empty_bank.questions.count()
    assert kinds_of(empty_bank) == {"single": 224, "multiple": 124, "true_false": 399}
    assert elapsed < 5  # measured ~0.2 s; the brief asks for well under 5 s
    first = empty_bank.questions.get(number=1)
    assert first.kind == "single" and first.answer == [1]  # "B"
    assert first.options[1] == "硫酸铜溶液（30g溶于一杯水中）催吐"
    second = empty_bank.questions.get(number=2)  # 判断题, answer "错误"
    assert (second.kind, second.options, second.answer) == ("true_false", ["正确", "错误"], [1])
    fifth = empty_bank.questions.get(number=5)  # 多项选择题, A B C D
    assert (fifth.kind, fifth.answer) == ("multiple", [0, 1, 2, 3])
    empty_bank.refresh_from_db()
    assert empty_bank.source_sha256 and empty_bank.source == "seu.json"


def test_the_fudan_bank_infers_kinds_from_answer_texts(org, empty_bank, shared_data):
    data = (shared_data / LAB / "fudan_lab_safety_exam_questions.json").read_bytes()
    table = importing.read_questions_file(data, "fudan.json")
    plan = importing.suggest_plan(table)
    assert [table.headers[plan.columns[k]] for k in ("stem", "options", "answer")] == [
        "stem", "answers", "correct_answers"]
    count = run_import(org, empty_bank, SimpleUploadedFile("fudan.json", data))
    assert count == 196
    # options exactly 正确/错误 → true/false; several correct texts → multiple; else single
    assert kinds_of(empty_bank) == {"single": 57, "multiple": 80, "true_false": 59}
    first = empty_bank.questions.get(number=1)
    assert first.answer == [1] and first.options[1] == "迅速用竹竿或木棍挑开电线。"


def test_the_same_file_is_not_imported_twice_into_a_bank(org, empty_bank):
    entries = [{"question": "火警电话？", "options": ["110", "119"], "answer": "B"}]
    run_import(org, empty_bank, json_file(entries))
    with pytest.raises(DomainError) as refused:
        importing.question_import_upload(actor=org.users.staff, bank_id=empty_bank.pk,
                                         uploaded_file=json_file(entries))
    assert refused.value.code == "already_imported"
    assert refused.value.message == "This file was already imported into “实验室安全”."
    # another bank may take the same file
    other = services.bank_create(actor=org.users.staff, name="其他", topic="fire")
    assert run_import(org, other, json_file(entries)) == 1
    assert empty_bank.questions.count() == 1


# --- answers ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "expected"), [
    ("B", [1]), ("b", [1]), ("AB", [0, 1]), ("A,B", [0, 1]), ("A、C", [0, 2]), ("A C D", [0, 2, 3]),
    (["A", "D"], [0, 3]), ("Ｃ", [2]), ("119", [1]), (["110", "120"], [0, 2]), ("110|122", [0, 3]),
])
def test_answers_are_letters_or_option_texts(raw, expected):
    assert importing.parse_answer(raw, ["110", "119", "120", "122"]) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("正确", [0]), ("错误", [1]), ("对", [0]), ("错", [1]), ("√", [0]), ("×", [1]), ("T", [0]),
    ("F", [1]), ("A", [0]), ("B", [1]), (True, [0]), (["错误"], [1]),
])
def test_true_false_answers(raw, expected):
    assert importing.parse_answer(raw, ["正确", "错误"]) == expected


def test_true_false_options_in_another_wording_are_stored_as_correct_wrong(org, empty_bank):
    entries = [{"题干": "可以用铜丝代替保险丝。", "选项": ["错", "对"], "答案": "错"},
               {"题干": "离开宿舍要断电。", "题型": "判断题", "答案": "对"}]
    assert run_import(org, empty_bank, json_file(entries)) == 2
    rows = list(empty_bank.questions.values_list("kind", "options", "answer"))
    assert rows == [("true_false", ["正确", "错误"], [1]), ("true_false", ["正确", "错误"], [0])]


@pytest.mark.parametrize(("raw", "message"), [
    ("E", "answer “E” but only 4 options"),
    ("AZ", "answer “AZ” is neither option letters (A–D) nor the text of an option"),
    ("", "no correct answer"),
    (None, "no correct answer"),
])
def test_bad_answers_say_why(raw, message):
    with pytest.raises(ValueError) as error:
        importing.parse_answer(raw, ["110", "119", "120", "122"])
    assert str(error.value) == message


# --- a malformed bank -------------------------------------------------------------------------
def test_a_malformed_bank_is_refused_whole_listing_every_bad_entry(org, empty_bank):
    entries = [
        {"question": "正常的一题", "options": ["甲", "乙", "丙", "丁"], "answer": "A"},
        {"question": "答案越界", "options": ["甲", "乙", "丙", "丁"], "answer": "E"},
        {"question": "", "options": ["甲", "乙"], "answer": "A"},
        {"question": "重复选项", "options": ["甲", "甲", "丙"], "answer": "A"},
        {"question": "单选两个答案", "type": "单项选择题", "options": ["甲", "乙", "丙"],
         "answer": "AB"},
        {"question": "只有一个选项", "options": ["甲"], "answer": "A"},
        {"question": "未知题型", "type": "填空题", "options": ["甲", "乙"], "answer": "A"},
    ]
    upload = importing.question_import_upload(actor=org.users.staff, bank_id=empty_bank.pk,
                                              uploaded_file=json_file(entries))
    table = importing.question_upload_table(upload)
    with pytest.raises(ImportRejected) as rejected:
        importing.question_import_commit(actor=org.users.staff, upload=upload,
                                         plan=importing.suggest_plan(table))
    listed = [(e.row, e.column, e.message) for e in rejected.value.errors]
    assert listed == [
        (2, "answer", "answer “E” but only 4 options"),
        (3, "question", "no question text"),
        (4, "options", "duplicate options: “甲”"),
        (5, "answer", "Single choice needs exactly one correct answer, not 2"),
        (6, "options", "fewer than two options"),
        (7, "type", "unknown question type “填空题”"),
    ]
    assert rejected.value.message == "6 problems found in 7 entries; nothing was imported."
    assert empty_bank.questions.count() == 0
    # nothing was recorded as imported: the corrected file may come later
    assert not importing._already_imported(empty_bank.pk, upload.sha256)


def test_a_file_that_is_not_a_question_list_is_refused_at_upload(org, empty_bank):
    for uploaded, message in [
        (SimpleUploadedFile("x.json", b"{not json"), "The file is not valid JSON text (UTF-8)."),
        (json_file([1, 2]), "Entries 1, 2 are not objects with fields; each question must be "
                            "an object like {\"question\": …, \"options\": […]}."),
        (json_file([]), "The file holds no questions."),
        (SimpleUploadedFile("x.csv", b"a,b"), "Upload a JSON file (.json) or an Excel file "
                                              "(.xlsx)."),
    ]:
        with pytest.raises(DomainError) as refused:
            importing.question_import_upload(actor=org.users.staff, bank_id=empty_bank.pk,
                                             uploaded_file=uploaded)
        assert refused.value.field_errors == {"file": [message]}


def test_deeply_nested_json_is_refused_clearly(org, empty_bank):
    message = ("The JSON file nests lists and objects too deeply: a question file is a list of "
               "questions, each an object of texts and lists of texts.")
    nested = [{"question": "深", "options": [[[[[[[["甲"]]]]]]], "乙"], "answer": "A"}]
    for uploaded in (json_file(nested),  # readable, but deeper than a question file goes
                     SimpleUploadedFile("deep.json", b"[" * 100_000 + b"]" * 100_000)):
        with pytest.raises(DomainError) as refused:
            importing.question_import_upload(actor=org.users.staff, bank_id=empty_bank.pk,
                                             uploaded_file=uploaded)
        assert refused.value.field_errors == {"file": [message]}


def test_options_and_answers_given_as_objects_are_entry_errors(org, empty_bank):
    entries = [
        {"question": "好题", "options": ["甲", "乙"], "answer": "A"},
        {"question": "对象选项", "options": [{"label": "A", "text": "t1"},
                                          {"label": "B", "text": "t2"}], "answer": "A"},
        {"question": "对象答案", "options": ["甲", "乙"], "answer": [{"label": "A"}]},
    ]
    with pytest.raises(ImportRejected) as rejected:
        run_import(org, empty_bank, json_file(entries))
    assert [(e.row, e.column, e.message) for e in rejected.value.errors] == [
        (2, "options", "an option given as a list or an object; each option must be a text"),
        (3, "answer", "an answer given as a list or an object; give option letters or option "
                      "texts"),
    ]
    assert empty_bank.questions.count() == 0


def test_a_damaged_excel_file_is_refused_at_upload(org, empty_bank):
    with pytest.raises(DomainError) as refused:
        importing.question_import_upload(
            actor=org.users.staff, bank_id=empty_bank.pk,
            uploaded_file=SimpleUploadedFile("x.xlsx", b"PK\x03\x04 not really a zip"))
    assert refused.value.field_errors == {"file": [
        "The file is neither a JSON file nor an Excel (.xlsx) file that can be opened."]}


def test_kept_uploads_left_for_a_day_are_cleaned(org, empty_bank):
    import datetime as dt

    from django.core.files.storage import default_storage

    from safecampus.core import clock

    old = importing.question_import_upload(actor=org.users.staff, bank_id=empty_bank.pk,
                                           uploaded_file=json_file([{"question": "旧"}]))
    fresh = importing.question_import_upload(actor=org.users.staff, bank_id=empty_bank.pk,
                                             uploaded_file=json_file([{"question": "新"}]))
    with clock.frozen(clock.now() + dt.timedelta(hours=23)):
        assert importing.question_uploads_clean() == 0
    aged = (clock.now() - dt.timedelta(days=1, minutes=1)).timestamp()
    __import__("os").utime(default_storage.path(old.path), (aged, aged))
    assert importing.question_uploads_clean() == 1
    assert not default_storage.exists(old.path) and default_storage.exists(fresh.path)
    importing.question_upload_discard(fresh)
    assert not default_storage.exists(fresh.path)


def test_only_the_office_imports(org, empty_bank):
    with pytest.raises(NotAllowed):
        importing.question_import_upload(actor=org.users.student, bank_id=empty_bank.pk,
                                         uploaded_file=json_file([{"question": "x"}]))


# --- Excel ---------------------------------------------------------------------------------------
def test_excel_with_options_in_one_cell(org, empty_bank):
    rows = [["题号", "题型", "题目", "选项", "答案", "解析"],
            [1, "单选题", "火警电话是？", "A. 110\nB. 119\nC. 120", "B", "记住119"],
            [2, "多选题", "逃生时应当？", "捂住口鼻|乘电梯|沿指示撤离", "A、C", None],
            [3, "判断", "离开宿舍要断电。", None, "√", None]]
    assert run_import(org, empty_bank, xlsx_file(rows)) == 3
    rows = list(empty_bank.questions.values_list("number", "kind", "options", "answer",
                                                 "explanation"))
    assert rows == [(1, "single", ["110", "119", "120"], [1], "记住119"),
                    (2, "multiple", ["捂住口鼻", "乘电梯", "沿指示撤离"], [0, 2], ""),
                    (3, "true_false", ["正确", "错误"], [0], "")]


def test_excel_with_option_columns_and_row_numbers_in_errors(org, empty_bank):
    rows = [["试题", "选项A", "选项B", "选项C", "选项D", "正确答案"],
            ["火警电话是？", "110", "119", "120", None, "B"],
            ["逃生时应当？", "捂住口鼻", "乘电梯", "沿指示撤离", "大声喊", "ACD"]]
    assert run_import(org, empty_bank, xlsx_file(rows)) == 2
    assert list(empty_bank.questions.values_list("kind", "answer")) == [
        ("single", [1]), ("multiple", [0, 2, 3])]
    bad = [["试题", "选项A", "选项B", "选项C", "正确答案"],
           ["有空缺", "110", None, "120", "A"],
           ["答案越界", "110", "119", None, "C"]]
    other = services.bank_create(actor=org.users.staff, name="另一个", topic="fire")
    with pytest.raises(ImportRejected) as rejected:
        run_import(org, other, xlsx_file(bad))
    assert [(e.row, e.message) for e in rejected.value.errors] == [
        (2, "option B is empty but option C is not"), (3, "answer “C” but only 2 options")]


def test_numbers_repeated_in_the_file_are_entry_errors(org, empty_bank):
    entries = [{"index": "7", "question": "乙？", "options": ["是", "不是"], "answer": "A"},
               {"index": "8", "question": "丙？", "options": ["是", "不是"], "answer": "A"},
               {"index": "8", "question": "丁？", "options": ["是", "不是"], "answer": "A"}]
    with pytest.raises(ImportRejected) as rejected:
        run_import(org, empty_bank, json_file(entries, "b.json"))
    assert [(e.row, e.message) for e in rejected.value.errors] == [
        (3, "number 8 repeats entry 2")]
    assert not empty_bank.questions.exists()
    # without the number field the questions follow on
    assert run_import(org, empty_bank, json_file(entries, "b.json"), {"number": None}) == 3
    assert list(empty_bank.questions.values_list("number", flat=True)) == [1, 2, 3]


def test_numbers_the_bank_holds_already_move_the_file_past_its_highest(org, empty_bank):
    run_import(org, empty_bank, json_file([{"index": str(n), "question": f"旧{n}？",
                                           "options": ["是", "不是"], "answer": "A"}
                                          for n in (1, 2, 5)]))
    entries = [{"index": str(n), "question": f"新{n}？", "options": ["是", "不是"],
                "answer": "B"} for n in (2, 3, 9)]
    table = importing.read_questions_file(json.dumps(entries).encode(), "b.json")
    check = importing.questions_validate(table, importing.suggest_plan(table),
                                         taken_numbers=importing.bank_numbers(empty_bank.pk))
    assert check.ok
    assert (check.renumbered.first, check.renumbered.last) == (2, 9)
    assert (check.renumbered.stored_first, check.renumbered.stored_last) == (6, 13)
    assert check.renumbered.message == (
        "Numbers 2–9 in the file will be stored as 6–13 because the bank already has "
        "questions with these numbers.")
    assert run_import(org, empty_bank, json_file(entries, "b.json")) == 3
    assert list(empty_bank.questions.order_by("number").values_list("number", "stem")) == [
        (1, "旧1？"), (2, "旧2？"), (5, "旧5？"), (6, "新2？"), (7, "新3？"), (13, "新9？")]
    # numbers clear of the bank's are kept as they are
    clear = [{"index": "20", "question": "后？", "options": ["是", "不是"], "answer": "A"}]
    table = importing.read_questions_file(json.dumps(clear).encode(), "c.json")
    check = importing.questions_validate(table, importing.suggest_plan(table),
                                         taken_numbers=importing.bank_numbers(empty_bank.pk))
    assert check.renumbered is None and check.questions[0].number == 20


def test_the_seu_bank_follows_the_fudan_bank_in_one_bank(org, empty_bank, shared_data, client,
                                                         english):
    fudan = (shared_data / LAB / "fudan_lab_safety_exam_questions.json").read_bytes()
    seu = (shared_data / LAB / "seu_lab_safety_exam_questions.json").read_bytes()
    assert run_import(org, empty_bank, SimpleUploadedFile("fudan.json", fudan)) == 196
    login(client, org.users.staff)
    page = client.post(reverse("education:quiz_bank_import", args=[empty_bank.pk]),
                       {"file": SimpleUploadedFile("seu.json", seu)})
    assert page.status_code == 302
    preview = client.get(page.url)
    assert ("Numbers 1–747 in the file will be stored as 197–943 because the bank already "
            "has questions with these numbers.") in text_of(preview)
    form = preview.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    assert client.post(page.url, {**data, "import": "1"}).status_code == 302
    assert empty_bank.questions.count() == 943
    numbers = list(empty_bank.questions.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, 944))
    first_seu = empty_bank.questions.get(number=197)
    assert first_seu.options[1] == "硫酸铜溶液（30g溶于一杯水中）催吐"


# --- the command ------------------------------------------------------------------------------
def test_the_command_imports_with_a_mapping(org, tmp_path, capsys):
    path = tmp_path / "q.json"
    path.write_text(json.dumps([{"题": "火警电话？", "opts": ["110", "119"], "key": "B"}],
                               ensure_ascii=False), encoding="utf-8")
    call_command("questions_import", str(path), "--bank", "消防", "--topic", "fire",
                 "--map", "stem=题,options=opts")
    assert "1 questions imported into “消防”" in capsys.readouterr().out
    bank = QuestionBank.objects.get(name="消防")
    assert bank.topic == "fire" and bank.questions.get().answer == [1]
    with pytest.raises(CommandError, match="already imported"):
        call_command("questions_import", str(path), "--bank", "消防", "--map", "stem=题")
    with pytest.raises(CommandError, match="no field “nope”"):
        call_command("questions_import", str(path), "--bank", "消防2", "--map", "stem=nope")
    assert not QuestionBank.objects.filter(name="消防2").exists()
    from safecampus.core.activity import activity_for

    assert activity_for(bank).filter(verb="education.bank_create").exists()  # the service
    assert kept_uploads() == []


def kept_uploads() -> list[str]:
    from django.core.files.storage import default_storage

    try:
        return default_storage.listdir(importing.STORAGE_DIR)[1]
    except FileNotFoundError:
        return []


def test_the_command_leaves_nothing_for_a_rejected_or_checked_file(org, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"question": "好", "options": ["甲", "乙"], "answer": "A"},
                               {"question": "坏", "options": ["甲", "乙"], "answer": "E"}],
                              ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("questions_import", str(bad), "--bank", "新题库", "--topic", "fire")
    assert "answer “E” but only 2 options" in capsys.readouterr().err
    assert not QuestionBank.objects.filter(name="新题库").exists()  # no empty bank left
    assert kept_uploads() == []
    good = tmp_path / "good.json"
    good.write_text(json.dumps([{"question": "好", "options": ["甲", "乙"], "answer": "A"}],
                               ensure_ascii=False), encoding="utf-8")
    call_command("questions_import", str(good), "--bank", "新题库", "--check")
    assert "1 entries checked: no problems." in capsys.readouterr().out
    assert not QuestionBank.objects.filter(name="新题库").exists()
    assert kept_uploads() == []
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("questions_import", str(bad), "--bank", "新题库", "--check")
    assert kept_uploads() == []


# --- the pages ----------------------------------------------------------------------------------
def test_upload_map_preview_and_import_pages(org, empty_bank, client):
    login(client, org.users.staff)
    entries = [{"题干": f"第{n}题", "备选项": ["甲", "乙", "丙"], "答案": "乙"} for n in range(12)]
    response = client.post(reverse("education:quiz_bank_import", args=[empty_bank.pk]),
                           {"file": json_file(entries)})
    assert response.status_code == 302
    page = client.get(response.url)
    text = text_of(page)
    assert "The first 10 questions as read" in text and "第9题" in text and "第10题" not in text
    assert "12 entries" in text
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    response = client.post(page.wsgi_request.path, {**data, "import": "1"})
    assert response.status_code == 302
    assert empty_bank.questions.count() == 12
    assert all(a == [1] for a in empty_bank.questions.values_list("answer", flat=True))


def test_the_map_page_lists_bad_entries_and_imports_nothing(org, empty_bank, client):
    login(client, org.users.staff)
    entries = [{"question": "好题", "options": ["甲", "乙"], "answer": "A"},
               {"question": "坏题", "options": ["甲", "乙"], "answer": "E"}]
    response = client.post(reverse("education:quiz_bank_import", args=[empty_bank.pk]),
                           {"file": json_file(entries)})
    page = client.get(response.url)
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    response = client.post(page.wsgi_request.path, {**data, "import": "1"})
    assert response.status_code == 400
    text = text_of(response)
    assert "1 problems in 2 entries. Nothing was imported." in text
    assert "Entry 2 answer answer “E” but only 2 options" in text
    assert empty_bank.questions.count() == 0
