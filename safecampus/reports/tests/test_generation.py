"""Generating a report: the PDF's and the Word file's text (title, period, campus, every
figure equal to the cockpit's for the same period), an empty period, the steps and
progress, failure and retry, and every edge of the report's state machine."""

import pytest
from django.utils import translation
from django_fsm import TransitionNotAllowed

from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict
from safecampus.dashboards.cockpit import cockpit_figures, cockpit_tables
from safecampus.dashboards.periods import month_period, quarter_period
from safecampus.reports import documents, services
from safecampus.reports.models import SafetyReport

from .helpers import docx_parts, folded, pdf_text

pytestmark = pytest.mark.django_db
State = SafetyReport.State


def _request(user, capture, **kwargs):
    with capture(execute=True):
        report = services.report_request(actor=user, **kwargs)
    return SafetyReport.objects.get(pk=report.pk)


def test_the_monthly_report_arrives_as_pdf_and_word(november, django_capture_on_commit_callbacks):
    org = november
    report = _request(org.users.staff, django_capture_on_commit_callbacks, period="2026-11",
                      campus_id=org.campus1.pk)
    assert (report.state, report.progress, report.step) == (State.DONE, 100, "done")
    assert report.is_empty is False and report.error == ""
    assert report.pdf.name.endswith(".pdf") and report.docx.name.endswith(".docx")

    title = "西部交通大学 北校区 安全工作月报（2026年11月）"
    text = pdf_text(report.pdf)
    assert title.replace(" ", "") in text.replace(" ", "")
    assert "统计期：2026年11月1日至2026年11月30日" in text
    assert "范围：北校区" in text
    assert "本月新发现隐患3项，较上月增加2项" in text.replace(" ", "")
    words, rows = docx_parts(report.docx)
    assert title in words
    assert "统计期：2026年11月1日至2026年11月30日" in words and "范围：北校区" in words

    # Every figure of every section equals the cockpit's for the same period and campus.
    with translation.override("zh-hans"):
        figures = cockpit_figures(user=None, period=month_period(2026, 11),
                                  campus_id=org.campus1.pk, max_age=0)
        from safecampus.reports.content import change_text, number

        printed = 0
        for section in figures["sections"]:
            for m in section["metrics"]:
                if all(not x["value"] for x in section["metrics"]):
                    continue
                row = [m["label"], number(m["value"], m["unit"]),
                       number(m["previous"], m["unit"]), change_text(m)]
                assert folded(" ".join(row)) in text, row
                assert row in rows, row
                printed += 1
    assert printed >= 6
    hazards = figures["metrics"]
    assert (hazards["hazards_reported"]["value"], hazards["hazards_reported"]["previous"]) == (3, 1)
    assert "上报隐患数 3 1 +2" in text or "3 1 +2" in text
    # The lists: the major hazard by name, the overdue list says it is empty.
    assert "实验室气瓶未固定" in text and "实验室气瓶未固定" in str(rows)
    assert "编号 隐患 责任单位" in text and "题号" not in text  # not the quiz's word
    assert [r[:3] for r in rows if r[1] == "隐患"] == [["编号", "隐患", "责任单位"]]  # major list
    assert "楼道堆放杂物" not in text  # campus 2's hazard is not in campus 1's report
    assert "下月工作重点" in text and "下月工作重点" in words
    assert "对1项重大隐患实行挂牌督办，直至整改销号。" in text.replace(" ", "")


def test_the_whole_university_report_counts_both_campuses(november,
                                                          django_capture_on_commit_callbacks):
    report = _request(november.users.staff, django_capture_on_commit_callbacks,
                      period="2026-11")
    text = pdf_text(report.pdf)
    assert "西部交通大学安全工作月报（2026年11月）" in text.replace(" ", "")
    assert "范围：全校" in text
    assert "本月新发现隐患4项" in text.replace(" ", "")
    assert "化学学院 4 0 机械学院 1 0" in text  # open hazards by unit, both campuses
    assert ["机械学院", "1", "0"] in docx_parts(report.docx)[1]


def test_a_quarterly_report(november, django_capture_on_commit_callbacks):
    report = _request(november.users.staff, django_capture_on_commit_callbacks,
                      period="2026-Q4", campus_id=november.campus1.pk)
    assert report.state == State.DONE and report.kind == "quarter"
    text = pdf_text(report.pdf).replace(" ", "")
    assert "北校区安全工作季报（2026年第4季度）" in text
    assert "本季度新发现隐患5项" in text  # October, November and December (to the 5th)
    assert "下季度工作重点" in text


def test_an_empty_period_says_so_instead_of_failing(november, django_capture_on_commit_callbacks):
    report = _request(november.users.staff, django_capture_on_commit_callbacks,
                      period="2020-01", campus_id=november.campus1.pk)
    assert report.state == State.DONE and report.is_empty is True
    text = pdf_text(report.pdf)
    words, rows = docx_parts(report.docx)
    assert text.count("本期无相关记录") >= 8  # every section and every list
    assert words.count("本期无相关记录") >= 8
    assert "本期概况 本期无相关记录。" in text
    assert rows == []  # no table at all


def test_steps_and_progress_stop_where_generation_failed_then_retry(
        november, django_capture_on_commit_callbacks, monkeypatch):
    """The PDF step breaks: the report ends failed at the PDF step (charts done, 50 %) with
    the error kept; a retry after the fault is gone generates it."""
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(documents, "report_pdf", broken)
    report = _request(november.users.staff, django_capture_on_commit_callbacks,
                      period="2026-11")
    assert (report.state, report.step, report.progress) == (State.FAILED, "pdf", 50)
    assert report.error == "OSError: disk full" and not report.pdf
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.report_retry(actor=november.users.staff, report_id=report.pk)
    report.refresh_from_db()
    assert (report.state, report.progress, report.error) == (State.DONE, 100, "")
    assert [(e.verb, e.from_state, e.to_state) for e in activity_for(report)] == [
        ("reports.request", "", "queued"), ("reports.start", "queued", "running"),
        ("reports.fail", "running", "failed"), ("reports.retry", "failed", "queued"),
        ("reports.start", "queued", "running"), ("reports.finish", "running", "done")]


def test_a_report_is_generated_once(november, django_capture_on_commit_callbacks):
    report = _request(november.users.staff, django_capture_on_commit_callbacks,
                      period="2026-11")
    assert services.report_build(report_id=report.pk) is None  # done: left alone
    assert activity_for(report).filter(verb="reports.start").count() == 1


def test_retry_only_after_a_failure(november, django_capture_on_commit_callbacks):
    report = _request(november.users.staff, django_capture_on_commit_callbacks,
                      period="2026-11")
    with pytest.raises(Conflict) as caught:
        services.report_retry(actor=november.users.staff, report_id=report.pk)
    assert caught.value.message == "只有生成失败的报告才能重试。"
    with translation.override("en"), pytest.raises(Conflict) as caught:
        services.report_retry(actor=november.users.staff, report_id=report.pk)
    assert caught.value.message == "Only a report whose generation failed can be retried."


EDGES = {
    ("queued", "start"): "running", ("running", "finish"): "done",
    ("queued", "fail"): "failed", ("running", "fail"): "failed", ("failed", "retry"): "queued",
}


@pytest.mark.parametrize("source", ["queued", "running", "done", "failed"])
@pytest.mark.parametrize("transition", ["start", "finish", "fail", "retry"])
def test_every_edge_of_the_state_machine(source, transition, org):
    report = SafetyReport(kind="month", period_first=month_period(2026, 11).first,
                          period_last=month_period(2026, 11).last, period_key="2026-11",
                          state=source)
    target = EDGES.get((source, transition))
    if target:
        getattr(report, transition)()
        assert report.state == target
    else:
        with pytest.raises(TransitionNotAllowed):
            getattr(report, transition)()


def test_state_is_protected(org):
    report = SafetyReport(kind="month", period_first=quarter_period(2026, 4).first,
                          period_last=quarter_period(2026, 4).last, period_key="2026-Q4")
    with pytest.raises(AttributeError):
        report.state = "done"


def test_tables_read_for_the_report_are_the_cockpits(november):
    """The overdue list, major hazards, units and incidents come from ``cockpit_tables``."""
    from safecampus.reports.selectors import report_figures

    read = report_figures(period=month_period(2026, 11), campus_id=november.campus1.pk)
    assert read["tables"] == cockpit_tables(user=None, period=month_period(2026, 11),
                                            campus_id=november.campus1.pk)
    assert [m.isoformat() for m in read["closed"]][-1] == "2026-11-01"
