"""RowCells: one row's cells read by field under a plan's columns, with the row's errors."""

from safecampus.core.importing import RowCells, column_header
from safecampus.core.spreadsheets import RowError

HEADERS = ["编号", "名称", "Points"]
COLUMNS = {"external_id": 0, "name": 1, "points": 2, "note": None}


def test_a_row_reads_its_cells_by_field_and_blank_for_a_field_without_a_column():
    row = RowCells(7, ["  E1 ", "东区\u3000充电棚", 4], columns=COLUMNS, headers=HEADERS)
    assert (row.has("points"), row.has("note"), row.has("unknown")) == (True, False, False)
    assert row.cell("points") == 4 and row.cell("note") is None
    assert row.text("external_id") == "E1"
    assert row.text("note") == "" and row.text("unknown") == ""
    assert row.header("name") == "名称" and row.header("note") == ""


def test_a_rows_failures_name_its_number_and_the_column():
    row = RowCells(7, ["", "x", "many"], columns=COLUMNS, headers=HEADERS)
    assert row.errors == []
    row.fail("points", "not a number")
    row.fail("note", "no column")
    assert row.errors == [RowError(7, "Points", "not a number"), RowError(7, "", "no column")]
    other = RowCells(8, ["E2", "y", 1], columns=COLUMNS, headers=HEADERS)
    assert other.errors == []  # each row keeps its own errors


def test_column_header():
    assert column_header(HEADERS, COLUMNS, "points") == "Points"
    assert column_header(HEADERS, COLUMNS, "note") == ""
