"""The Excel file of a survey's results: a summary sheet, then one row per response.

The responses sheet is written by :func:`safecampus.core.spreadsheets.write_xlsx` (streamed,
cells neutralised, numbers as text); the small summary sheet is put in front of it with the
same neutralising. Anonymous surveys: no name, number or date column, rows in random-id order."""

import datetime as dt
import io

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import load_workbook
from openpyxl.styles import Font

from safecampus.core.spreadsheets import neutralise, write_xlsx

from ..selectors import surveys as selectors

DATE_FORMAT, DATETIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"


def survey_workbook(survey) -> bytes:
    """The .xlsx bytes of ``survey``'s results (see the module's docstring)."""
    questions = selectors.survey_questions(survey)
    numbered = [_("Q%(number)s. %(question)s") % {"number": n, "question": q.text}
                for n, q in enumerate(questions, start=1)]
    if survey.is_anonymous:
        headers = [_("No."), *numbered]
        text_columns: tuple = ()
    else:
        headers = [_("No."), _("Name"), _("Staff or student number"), _("Answered on"),
                   *numbered]
        text_columns = (2,)
    data = write_xlsx(headers, selectors.export_responses(survey, questions),
                      text_columns=text_columns, sheet_title=_("Responses"))
    book = load_workbook(io.BytesIO(data))
    if not survey.is_anonymous:
        for (cell,) in book.worksheets[0].iter_rows(min_row=2, min_col=4, max_col=4):
            cell.number_format = DATE_FORMAT
    summary = book.create_sheet(pgettext("survey", "Summary"), 0)
    bold = Font(bold=True)
    # The survey's figures first, a blank row, then the table with its own header row.
    for row in selectors.survey_summary_facts(survey):
        summary.append([_cell(v) for v in row])
        summary.cell(summary.max_row, 1).font = bold
        if isinstance(row[1], dt.datetime):
            summary.cell(summary.max_row, 2).number_format = DATETIME_FORMAT
    summary.append([])
    headers = (pgettext("survey", "Item"), pgettext("survey", "Value"), _("Count"),
               _("Share (%)"))
    summary.append([neutralise(h) for h in headers])
    for cell in summary[summary.max_row]:
        cell.font = bold
    for row in selectors.survey_summary_rows(survey, selectors.survey_results(survey)):
        summary.append([_cell(v) for v in row])
    summary.column_dimensions["A"].width = 48
    summary.column_dimensions["B"].width = 36
    book.active = 0
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value):
    return neutralise(str(value)) if isinstance(value, str) else _naive(value)


def _naive(value):
    """Aware datetimes as Asia/Shanghai wall time (Excel has no time zones)."""
    from safecampus.core.clock import local_zone

    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return value.astimezone(local_zone()).replace(tzinfo=None, microsecond=0)
    return value
