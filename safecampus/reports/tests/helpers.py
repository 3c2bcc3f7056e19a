"""Shared set-up of the report tests: a known November 2026 of hazards on two campuses, the
frozen "now" (5 December 2026, 09:00 Beijing time), and reading the generated files."""

import datetime as dt
import re
import subprocess
from zoneinfo import ZoneInfo

import pytest
from docx import Document

from safecampus.core import clock
from safecampus.hazards.models import Grade
from safecampus.hazards.tests.helpers import reported

BEIJING = ZoneInfo("Asia/Shanghai")


def local(year, month, day, hour=10, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BEIJING)


NOW = local(2026, 12, 5, 9)


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def november(org):
    """Hazards: October 1 on campus 1; November 3 on campus 1 (one major) and 1 on campus 2;
    December (after the period) 1 on campus 1."""
    with clock.frozen(local(2026, 10, 20)):
        reported(org, title="十月隐患")
    with clock.frozen(local(2026, 11, 3)):
        reported(org, title="灭火器过期")
        reported(org, title="配电箱未上锁", category_id=org.electrical.pk)
    with clock.frozen(local(2026, 11, 12)):
        reported(org, title="实验室气瓶未固定", grade=Grade.MAJOR)
        reported(org, title="楼道堆放杂物", place_id=org.place_b.pk)
    with clock.frozen(local(2026, 12, 2)):
        reported(org, title="十二月隐患")
    return org


def folded(text: str) -> str:
    """``text`` with runs of whitespace folded to one space."""
    return re.sub(r"\s+", " ", text).strip()


def pdf_text(field) -> str:
    """The text of a stored PDF (poppler's ``pdftotext -layout``), whitespace folded."""
    with field.open("rb") as handle:
        data = handle.read()
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                         check=True, timeout=60)
    return folded(out.stdout.decode())


def docx_parts(field) -> tuple[str, list[list[str]]]:
    """A stored Word file's paragraphs (joined, whitespace folded) and its table rows."""
    with field.open("rb") as handle:
        document = Document(handle)
    text = folded(" ".join(p.text for p in document.paragraphs))
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    return text, rows
