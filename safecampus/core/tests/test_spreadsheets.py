"""Spreadsheet helpers: safe writing, tolerant reading, cell parsing."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook

from safecampus.core.spreadsheets import (
    CellError,
    SpreadsheetError,
    content_disposition,
    excel_serial_to_datetime,
    fold_key,
    neutralise,
    normalise_text,
    parse_datetime_cell,
    read_table,
    write_xlsx,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).worksheets[0]


@pytest.mark.parametrize("value", ["=1+1", "+86 138", "-2", "@SUM(A1)", "  =HYPERLINK(\"x\")",
                                   "\t=cmd|' /C calc'!A0", " \t-1"])
def test_formula_like_text_is_neutralised(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["灭火器过期", "a=b", "1+1", "", "email@x.cn"])
def test_ordinary_text_is_kept(value):
    assert neutralise(value) == value


def test_write_xlsx_stores_neutralised_text_ids_as_text_and_local_times():
    # given a row with a formula-like title, a phone number and an aware UTC datetime
    at = dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC)  # 00:30 on 1 Dec in Shanghai
    data = write_xlsx(
        ["编号", "标题", "电话", "时间", "日期", "数量"],
        [["00123", "=HYPERLINK(\"http://x\",\"y\")", 13800138000, at, dt.date(2026, 12, 1), 7]],
        text_columns=("编号", "电话"),
    )
    sheet = _sheet(data)
    header = [c.value for c in sheet[1]]
    row = sheet[2]
    # then the formula is text with a guard, the ids are text cells, the time is local
    assert header == ["编号", "标题", "电话", "时间", "日期", "数量"]
    assert row[0].value == "00123" and row[0].data_type == "s" and row[0].number_format == "@"
    assert row[1].value == "'=HYPERLINK(\"http://x\",\"y\")" and row[1].data_type == "s"
    assert row[2].value == "13800138000" and row[2].data_type == "s" and row[2].number_format == "@"
    assert row[3].value == dt.datetime(2026, 12, 1, 0, 30) and row[3].is_date
    assert row[4].value == dt.datetime(2026, 12, 1, 0, 0) and row[4].number_format == "yyyy-mm-dd"
    assert row[5].value == 7


def test_write_xlsx_accepts_a_generator_and_reads_back():
    rows = ([i, f"标题{i}"] for i in range(2500))
    table = read_table(SimpleUploadedFile("x.xlsx", write_xlsx(["n", "标题"], rows)))
    assert len(table) == 2500
    assert table.rows[-1] == [2499, "标题2499"]
    assert table.numbers[:2] == [2, 3]


def test_read_table_removes_our_formula_guard():
    data = write_xlsx(["标题"], [["=1+2"], ["-"]])
    table = read_table(SimpleUploadedFile("x.xlsx", data))
    assert table.rows == [["=1+2"], ["-"]]


def test_csv_with_bom_and_full_width_text():
    text = "\ufeff编号,标题,数量\r\nＡ００１,  灭火器　过期 ,１２\r\n"
    table = read_table(SimpleUploadedFile("a.csv", text.encode("utf-8")))
    assert table.headers == ["编号", "标题", "数量"]
    assert table.rows == [["A001", "灭火器 过期", "12"]]


def test_gb18030_csv_from_chinese_excel():
    text = "标题,单位\n楼道堆放杂物,化学学院\n"
    table = read_table(SimpleUploadedFile("台账.csv", text.encode("gb18030")))
    assert table.rows == [["楼道堆放杂物", "化学学院"]]


def test_tab_separated_utf16_and_blank_rows_keep_row_numbers():
    text = "a\tb\n1\t2\n\t\n3\t4\n"
    table = read_table(SimpleUploadedFile("x.csv", text.encode("utf-16")))
    assert table.headers == ["a", "b"]
    assert table.rows == [["1", "2"], ["3", "4"]]
    assert table.numbers == [2, 4]


def test_duplicate_and_empty_headers_become_unique():
    with translation.override("en"):
        table = read_table(SimpleUploadedFile("x.csv", b"a,,a\n1,2,3\n"))
    assert table.headers == ["a", "Column B", "a (2)"]


def test_short_rows_are_padded():
    table = read_table(SimpleUploadedFile("x.csv", b"a,b,c\n1\n"))
    assert table.rows == [["1", None, None]]


def test_xlsx_cells_keep_their_types():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["标题", "时间", "序列"])
    sheet.append(["检查", dt.datetime(2026, 1, 2, 3, 4, 5), 45000.5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(SimpleUploadedFile("x.xlsx", buffer.getvalue()))
    assert table.rows == [["检查", dt.datetime(2026, 1, 2, 3, 4, 5), 45000.5]]


@pytest.mark.parametrize("name,content,message", [
    ("notes.txt", b"\x00\x01\x02binary", "Upload an Excel file (.xlsx) or a CSV file (.csv)."),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "Old Excel .xls files cannot be read"),
    ("broken.xlsx", b"PK\x03\x04not really a zip", "The Excel file could not be opened"),
    ("empty.csv", b"\n\n", "The file is empty"),
])
def test_unreadable_files_are_refused_with_a_clear_message(name, content, message):
    with translation.override("en"), pytest.raises(SpreadsheetError) as excinfo:
        read_table(SimpleUploadedFile(name, content))
    assert message in excinfo.value.message
    assert excinfo.value.field_errors["file"] == [excinfo.value.message]


def test_size_limit():
    with translation.override("en"), pytest.raises(SpreadsheetError) as excinfo:
        read_table(SimpleUploadedFile("x.csv", b"a\n" + b"1\n" * 600), max_bytes=1024)
    assert excinfo.value.message == "The file is larger than 0.0 MB; split it into smaller files."


def test_normalise_and_fold():
    assert normalise_text("  ＡＢＣ　１２３ ") == "ABC 123"
    assert normalise_text(13800138000.0) == "13800138000"
    assert normalise_text(None) == ""
    assert fold_key("Created Date") == fold_key("created_date") == fold_key("ＣｒｅａｔｅｄＤａｔｅ")


@pytest.mark.parametrize("value,expected", [
    (dt.datetime(2026, 11, 30, 8, 0), dt.datetime(2026, 11, 30, 8, 0, tzinfo=SHANGHAI)),
    (dt.date(2026, 11, 30), dt.datetime(2026, 11, 30, tzinfo=SHANGHAI)),
    (45000.5, dt.datetime(2023, 3, 15, 12, 0, tzinfo=SHANGHAI)),
    (45000, dt.datetime(2023, 3, 15, tzinfo=SHANGHAI)),
    ("45000.5", dt.datetime(2023, 3, 15, 12, 0, tzinfo=SHANGHAI)),
    ("４５０００．５", dt.datetime(2023, 3, 15, 12, 0, tzinfo=SHANGHAI)),
    ("2026-11-30", dt.datetime(2026, 11, 30, tzinfo=SHANGHAI)),
    ("２０２６－１１－３０", dt.datetime(2026, 11, 30, tzinfo=SHANGHAI)),
    ("2026/11/30 14:05", dt.datetime(2026, 11, 30, 14, 5, tzinfo=SHANGHAI)),
    ("2026/1/5 9:05:07", dt.datetime(2026, 1, 5, 9, 5, 7, tzinfo=SHANGHAI)),
    ("2026年11月30日", dt.datetime(2026, 11, 30, tzinfo=SHANGHAI)),
    ("12/31/2017 11:59:58 PM", dt.datetime(2017, 12, 31, 23, 59, 58, tzinfo=SHANGHAI)),
    ("01/02/2018 12:00:00 AM", dt.datetime(2018, 1, 2, 0, 0, tzinfo=SHANGHAI)),
    ("2026-11-30T06:00:00Z", dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)),
    (None, None),
    ("  ", None),
])
def test_parse_datetime_cell(value, expected):
    assert parse_datetime_cell(value, row=2, column="上报时间") == expected


def test_parse_datetime_cell_in_another_zone_and_end_of_day():
    la = parse_datetime_cell("12/31/2017 11:59:58 PM", tz="America/Los_Angeles")
    assert la == dt.datetime(2018, 1, 1, 7, 59, 58, tzinfo=dt.UTC)
    end = parse_datetime_cell("2026-11-30", date_only="end")
    assert end == dt.datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    # a value with a time of day is kept as it is, even for a deadline
    assert parse_datetime_cell("2026-11-30 12:00", date_only="end").hour == 12


@pytest.mark.parametrize("value", ["soon", "2026-13-01", "31/12/2017 25:00", True, 0])
def test_parse_datetime_cell_error_names_row_and_column(value):
    with translation.override("en"):
        with pytest.raises(CellError) as excinfo:
            parse_datetime_cell(value, row=7, column="上报时间")
        error = excinfo.value.error
        assert (error.row, error.column) == (7, "上报时间")
        assert str(error).startswith("Row 7, column “上报时间”: “")
        assert "is not a date or time" in error.message


def test_excel_serial():
    assert excel_serial_to_datetime(1) == dt.datetime(1899, 12, 31)
    assert excel_serial_to_datetime(46356) == dt.datetime(2026, 11, 30)


def test_content_disposition_has_rfc5987_name():
    header = content_disposition("隐患台账-20261130.xlsx", fallback="ledger-20261130.xlsx")
    assert header == ("attachment; filename=\"ledger-20261130.xlsx\"; "
                      "filename*=UTF-8''%E9%9A%90%E6%82%A3%E5%8F%B0%E8%B4%A6-20261130.xlsx")


def test_excel_date_cell_is_a_date_without_time():
    # Excel date cells read back as datetimes at midnight: a deadline means that whole day
    assert parse_datetime_cell(dt.datetime(2026, 11, 30), date_only="end") == dt.datetime(
        2026, 11, 30, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert parse_datetime_cell(dt.datetime(2026, 11, 30, 0, 0, 1), date_only="end") == dt.datetime(
        2026, 11, 30, 0, 0, 1, tzinfo=SHANGHAI)


@pytest.mark.parametrize("value,expected", [
    ("2026-11-30 14:05:07.25", dt.datetime(2026, 11, 30, 14, 5, 7, 250000)),
    ("2026.11.30 8:05", dt.datetime(2026, 11, 30, 8, 5)),
    ("2026年11月30日 下午 2:05", dt.datetime(2026, 11, 30, 14, 5)),
    ("12/31/2017 12:00:00 PM", dt.datetime(2017, 12, 31, 12, 0)),
    ("12/31/2017", dt.datetime(2017, 12, 31)),
    ("20261130", dt.datetime(2026, 11, 30)),
])
def test_more_date_texts(value, expected):
    assert parse_datetime_cell(value) == expected.replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize("value", ["13/31/2017 11:00:00 PM", "12/31/2017 13:00:00 PM", "2026-02-30",
                                   "2026-11-30 24:00"])
def test_impossible_dates_are_errors(value):
    with pytest.raises(CellError):
        parse_datetime_cell(value, row=3, column="x")
