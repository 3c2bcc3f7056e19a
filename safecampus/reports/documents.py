"""Writing a report's :class:`~.content.ReportContent` as a PDF (WeasyPrint, A4, embedded CJK
font) and as a Word document (python-docx) with the same sections, tables and charts.

Both are rendered in the active language; the generation task activates
``settings.LANGUAGE_CODE`` (Chinese) first. The Word styles name the CJK font for East-Asian
text (``w:eastAsia``), so Word shows the Chinese in that font rather than a fallback.
"""

from __future__ import annotations

import base64
import datetime as dt
import io

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from safecampus.core.pdf import render_pdf

from . import charts as chart_images
from .content import ReportContent, long_date, msg_no_records

#: The Word documents' fonts: Latin text and East-Asian text (Windows and WPS have both).
DOCX_FONT = "Microsoft YaHei"
DOCX_EAST_ASIA_FONT = "SimSun"
DOCX_HEADING_EAST_ASIA_FONT = "SimHei"


def chart_pngs(content: ReportContent) -> dict[str, bytes | None]:
    """The report's three charts as PNG bytes (None where there is nothing to draw)."""
    return {
        "trend": chart_images.trend_png(
            content.trend, title=_("Hazards in the last 12 months"),
            reported_label=_("Reported"), closed_label=_("Closed")),
        "units": chart_images.units_png(content.units, title=_("Open hazards by unit (top 10)")),
        "risk": chart_images.risk_png(content.risk, title=_("Risk points by level")),
    }


#: A space that never breaks a line (between a date and its time, inside an English date).
NBSP = "\u00a0"


def _generated(at: dt.datetime) -> tuple[str, str]:
    """The generation time as printed (「2026年12月1日 07:29」, unbreakable) and its day."""
    from safecampus.core import clock

    local = at.astimezone(clock.local_zone())
    day = long_date(local.date())
    return f"{day} {local:%H:%M}".replace(" ", NBSP), day


def _title_html(content: ReportContent) -> SafeString:
    """The title as HTML with each date of the period kept on one line (``span.nowrap``): a
    long title may break before the period or at 「至」, never inside 「2026年11月15日」."""
    html = escape(content.title)
    first, last = content.period.first, content.period.last
    dates = ([long_date(first), long_date(last)] if content.period_label == content.period_text
             else [content.period_label])
    for text in dict.fromkeys(dates):
        html = html.replace(escape(text), f'<span class="nowrap">{escape(text)}</span>')
    return mark_safe(html)  # noqa: S308 -- built from escaped parts only


def report_pdf(content: ReportContent, pngs: dict[str, bytes | None], *,
               generated_at: dt.datetime) -> bytes:
    """The PDF (bytes): A4, title block, overview, one table per section with the charts,
    the lists, the work points."""
    uris = {key: ("data:image/png;base64," + base64.b64encode(png).decode()) if png else ""
            for key, png in pngs.items()}
    generated, generated_day = _generated(generated_at)
    return render_pdf("reports/documents/report_pdf.html", {
        "c": content, "title_html": _title_html(content), "charts": uris,
        "no_records": msg_no_records(),
        "has_risk_section": any(s.key == "risks" for s in content.sections),
        "generated": generated, "generated_day": generated_day})


# --- Word ------------------------------------------------------------------------------------
def _east_asian(style_or_run, east_asia: str, latin: str = DOCX_FONT) -> None:
    """Name ``latin`` and the East-Asian font on a style or a run (``w:rFonts w:eastAsia``)."""
    from docx.oxml.ns import qn

    style_or_run.font.name = latin
    r_pr = style_or_run.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(fonts)
    for attribute in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attribute), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


#: Word column widths (cm; the text width is 17 cm) per list: the hazard's title gets most
#: of the width, the number, dates and counts just what they need.
DOCX_WIDTHS = {
    "figures": (6.8, 3.4, 3.4, 3.4),
    "overdue": (3.3, 5.8, 3.5, 2.4, 2.0),
    "major": (3.3, 6.1, 3.5, 1.7, 2.4),
    "units": (9.0, 4.0, 4.0),
    "incidents": (11.0, 6.0),
}
#: Cell margins (twentieths of a point): top/bottom 1.5 mm, left/right 2 mm.
DOCX_CELL_MARGINS = {"top": 85, "bottom": 85, "left": 113, "right": 113}


def _cell_margins(table) -> None:
    """Give every cell of ``table`` the margins of :data:`DOCX_CELL_MARGINS` (``w:tblCellMar``)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side, twips in DOCX_CELL_MARGINS.items():
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(twips))
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    look = tbl_pr.find(qn("w:tblLook"))
    if look is not None:  # the schema's order: tblCellMar comes before tblLook
        look.addprevious(margins)
    else:
        tbl_pr.append(margins)


def _table(document, headers: list[str], rows: list[list[str]], *, numeric_from: int = 99,
           widths: tuple[float, ...] | None = None):
    """A bordered table, header row repeated on each page; ``widths`` in cm (fixed layout)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.shared import Cm, Pt

    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    _cell_margins(table)
    repeat = OxmlElement("w:tblHeader")
    table.rows[0]._tr.get_or_add_trPr().append(repeat)
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = Pt(9.5)
    for row in rows:
        cells = table.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, row, strict=True)):
            cell.text = ""
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(text)
            run.font.size = Pt(9.5)
            if index >= numeric_from:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if widths:
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Cm(width)
            for cell in column.cells:  # Word reads the cells' widths, LibreOffice the grid's
                cell.width = Cm(width)
    document.add_paragraph()
    return table


def _field(paragraph, instruction: str) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``) in ``paragraph``, updated when the page is drawn."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind):
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    for part in (char("begin"), code, char("separate")):
        paragraph.add_run()._r.append(part)
    paragraph.add_run("1")
    paragraph.add_run()._r.append(char("end"))


def _page_numbers(section) -> None:
    """The footer: 「3 / 5」 (page / pages), centred, as in the PDF."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(footer, "PAGE")
    footer.add_run(" / ")
    _field(footer, "NUMPAGES")
    for run in footer.runs:
        run.font.size = Pt(9)


def _picture(document, png: bytes | None) -> None:
    from docx.shared import Cm

    if png:
        document.add_picture(io.BytesIO(png), width=Cm(16))


def report_docx(content: ReportContent, pngs: dict[str, bytes | None], *,
                generated_at: dt.datetime) -> bytes:
    """The Word document (bytes, .docx) with the same content as :func:`report_pdf`."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin, section.bottom_margin = Cm(2.2), Cm(2)
    _page_numbers(section)
    normal = document.styles["Normal"]
    _east_asian(normal, DOCX_EAST_ASIA_FONT)
    normal.font.size = Pt(11)
    for name in ("Title", "Heading 1", "Heading 2"):
        _east_asian(document.styles[name], DOCX_HEADING_EAST_ASIA_FONT)
        document.styles[name].font.color.rgb = RGBColor(0, 0, 0)
    document.styles["Title"].font.size = Pt(18)
    document.styles["Heading 1"].font.size = Pt(14)
    document.styles["Heading 2"].font.size = Pt(12)
    properties = document.core_properties
    properties.title, properties.author = content.title, content.office
    properties.language = "zh-CN"

    generated, generated_day = _generated(generated_at)
    office = document.add_paragraph(f"{content.university}{content.office}")
    office.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title = document.add_paragraph(content.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # The generation time on a line of its own, so that it is never split from its day.
    meta = document.add_paragraph("　".join([
        f"{pgettext('report', 'Period')}：{content.period_text}",
        f"{pgettext('report', 'Scope')}：{content.scope_name}"]))
    meta.add_run().add_break()
    meta.add_run(f"{pgettext('report', 'Generated')}：{generated}")
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading(pgettext("report", "Overview"), level=1)
    summary = document.add_paragraph(content.summary)
    summary.paragraph_format.first_line_indent = Pt(22)
    _picture(document, pngs.get("trend"))

    has_risk_section = any(s.key == "risks" for s in content.sections)
    for number, part in enumerate(content.sections, start=1):
        document.add_heading(f"{number}. {part.title}", level=2)
        if part.empty:
            document.add_paragraph(msg_no_records())
        else:
            _table(document, [pgettext("report", "Figure"), pgettext("report", "This period"),
                              pgettext("report", "Previous period"),
                              pgettext("report", "Change")],
                   [[r.label, r.value, r.previous, r.change] for r in part.rows],
                   numeric_from=1, widths=DOCX_WIDTHS["figures"])
        if part.key == "hazards":
            _picture(document, pngs.get("units"))
        if part.key == "risks":
            _picture(document, pngs.get("risk"))
    if not has_risk_section:
        _picture(document, pngs.get("risk"))

    for listed in content.tables:
        document.add_heading(listed.title, level=1)
        if listed.note:
            document.add_paragraph(listed.note)
        if listed.empty:
            document.add_paragraph(msg_no_records())
        else:
            _table(document, listed.headers, listed.rows, widths=DOCX_WIDTHS.get(listed.key))

    document.add_heading(content.outlook_title, level=1)
    for point in content.outlook:
        document.add_paragraph(point, style="List Number")
    sign = document.add_paragraph(f"{content.university}{content.office}\n{generated_day}")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
