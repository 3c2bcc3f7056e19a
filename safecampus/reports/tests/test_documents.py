"""How the documents are laid out: the cut overdue list says so, the Word tables' column
widths and cell margins, the page numbers, the generation time kept on one line, and the
PDF title that never breaks inside a date."""

import io

import pytest
from django.utils import translation
from docx import Document
from docx.oxml.ns import qn

from safecampus.dashboards.periods import month_period
from safecampus.reports import documents, services
from safecampus.reports.content import report_content
from safecampus.reports.models import SafetyReport

from .helpers import NOW, pdf_text

pytestmark = pytest.mark.django_db


def _overdue_row(n):
    return {"id": n, "number": f"YH2026-{n:06d}", "title": f"隐患{n}", "unit": "化学学院",
            "deadline": NOW.date(), "days_overdue": 30 - n}


def _content(total, shown):
    figures = {"metrics": {"hazards_overdue": {"key": "hazards_overdue", "value": total,
                                               "unit": "count"}}, "sections": []}
    tables = {"overdue": [_overdue_row(n) for n in range(shown)]}
    return report_content(kind="month", period=month_period(2026, 11), campus_id=None,
                          figures=figures, tables=tables)


def test_a_cut_overdue_list_says_how_many_there_are(org):
    with translation.override("zh-hans"):
        content = _content(66, 20)
        overdue = content.tables[0]
        assert (overdue.key, len(overdue.rows)) == ("overdue", 20)
        assert overdue.note == "（共 66 项，列出逾期最久的 20 项）"
        pdf = documents.report_pdf(content, {}, generated_at=NOW)
        docx = documents.report_docx(content, {}, generated_at=NOW)
    with translation.override("en"):
        assert _content(66, 20).tables[0].note == \
            "(66 in all; the 20 longest overdue are listed)"
    report = SafetyReport(pk=1)
    report.pdf.save("cut.pdf", io.BytesIO(pdf), save=False)
    assert "逾期隐患 （共 66 项，列出逾期最久的 20 项） 编号 隐患" in pdf_text(report.pdf)
    paragraphs = [p.text for p in Document(io.BytesIO(docx)).paragraphs]
    assert paragraphs[paragraphs.index("逾期隐患") + 1] == "（共 66 项，列出逾期最久的 20 项）"
    report.pdf.delete(save=False)
    with translation.override("zh-hans"):
        assert _content(20, 20).tables[0].note == ""  # the whole list: nothing to say
        assert _content(0, 0).tables[0].note == ""


def _cm(twips_or_emu) -> float:
    return round(twips_or_emu / 360000, 1)


def test_word_tables_page_numbers_and_generation_time(november,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(actor=november.users.staff, period="2026-11",
                                         campus_id=november.campus1.pk)
    report = SafetyReport.objects.get(pk=report.pk)
    with report.docx.open("rb") as handle:
        document = Document(handle)
    # The generation time on its own line, the day and the time joined by a no-break space.
    meta = next(p.text for p in document.paragraphs if p.text.startswith("统计期："))
    assert meta.split("\n") == ["统计期：2026年11月1日至2026年11月30日　范围：北校区",
                                "生成时间：2026年12月5日\u00a009:00"]
    # The major hazards' list: the title column widest, the number narrow; fixed layout.
    major = next(t for t in document.tables if t.rows[0].cells[3].text == "状态")
    assert [c.text for c in major.rows[0].cells] == ["编号", "隐患", "责任单位", "状态",
                                                     "整改期限"]
    assert [_cm(c.width) for c in major.columns] == [3.3, 6.1, 3.5, 1.7, 2.4]
    assert [_cm(c.width) for c in major.rows[1].cells] == [3.3, 6.1, 3.5, 1.7, 2.4]
    tbl_pr = major._tbl.tblPr
    assert tbl_pr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    margins = tbl_pr.find(qn("w:tblCellMar"))
    assert {qn(f"w:{s}"): int(margins.find(qn(f"w:{s}")).get(qn("w:w")))
            for s in ("top", "left")} == {qn("w:top"): 85, qn("w:left"): 113}
    assert major.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated per page
    figures = document.tables[0]
    assert [c.text for c in figures.rows[0].cells] == ["指标", "本期", "上期", "变化"]
    assert _cm(figures.columns[0].width) == 6.8
    # Page numbers: PAGE / NUMPAGES fields in the footer.
    footer = document.sections[0].footer.paragraphs[0]
    codes = [e.text.strip() for e in footer._p.iter(qn("w:instrText"))]
    assert codes == ["PAGE", "NUMPAGES"]


def test_the_pdf_title_never_breaks_inside_a_date(november, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(actor=november.users.staff,
                                         period="2026-11-01..2026-11-15",
                                         campus_id=november.campus1.pk)
    report = SafetyReport.objects.get(pk=report.pk)
    assert report.state == SafetyReport.State.DONE
    with translation.override("zh-hans"):
        from safecampus.reports.selectors import report_figures

        read = report_figures(period=report.period, campus_id=november.campus1.pk)
        content = report_content(kind="custom", period=report.period,
                                 campus_id=november.campus1.pk, figures=read["figures"],
                                 tables=read["tables"])
        html = documents._title_html(content)
    assert html == ('西部交通大学 北校区 安全工作报告（<span class="nowrap">2026年11月1日</span>至'
                    '<span class="nowrap">2026年11月15日</span>）')
    text = pdf_text(report.pdf)
    # Title and period line: each date whole (a break may fall only at 「至」 or 「（」).
    assert text.count("2026年11月15日") == 2 and text.count("2026年11月1日") == 2
    assert "生成时间：2026年12月5日 09:00" in text
