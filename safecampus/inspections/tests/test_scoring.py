"""Scoring (scored, bonus, deduction, not scored, not applicable), the veto item, the
compliance rate, and the repeat-finding rule (same place and item within 18 months).

The scored sheet is shaped like a dormitory check (学生宿舍安全检查评分表): 18 scored items
worth 100 points together, a bonus item of 10 and two deduction items of 10 each.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from safecampus.core import clock
from safecampus.inspections import services
from safecampus.inspections.models import Outcome, Scoring
from safecampus.inspections.services import ChecklistData, ItemData, SectionData
from safecampus.tests.factories import photo_upload

from .helpers import answer_all, published_checklist, signature_png

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _dormitory_sheet(*, deduction_sign: str = "") -> ChecklistData:
    """18 scored items (D1–D10 × 6 points, D11–D18 × 5 points = 100), bonus B1 (10),
    deductions X1 and X2 (10 each; written with ``deduction_sign``), N1 not scored, and V1 a
    veto item not scored."""
    scored = [ItemData(code=f"D{n}", text=f"宿舍检查项{n}", scoring=Scoring.SCORED,
                       points=Decimal(6 if n <= 10 else 5)) for n in range(1, 19)]
    extra = [
        ItemData(code="B1", text="宿舍文化建设突出", scoring=Scoring.BONUS, points=Decimal(10)),
        ItemData(code="X1", text="使用违章电器", scoring=Scoring.DEDUCTION,
                 points=Decimal(f"{deduction_sign}10")),
        ItemData(code="X2", text="私拉乱接电线", scoring=Scoring.DEDUCTION,
                 points=Decimal(f"{deduction_sign}10")),
        ItemData(code="N1", text="宿舍卫生（记录不计分）", scoring=Scoring.NONE),
        ItemData(code="V1", text="存放易燃易爆危险品", is_veto=True),
    ]
    return ChecklistData(name="学生宿舍安全检查评分表", code="dorm", kind="dormitory",
                         pass_score=Decimal(60),
                         sections=[SectionData("1", "安全管理", scored),
                                   SectionData("2", "加减分及否决项", extra)])


def _inspect(org, *, fails=(), na=(), deduction_sign=""):
    """Answer the dormitory sheet (``X1``/``X2`` "comply" unless failed) and submit."""
    version = services.checklist_import(actor=org.users.admin,
                                        data=_dormitory_sheet(deduction_sign=deduction_sign),
                                        publish=True)
    assert sum(i.points for i in version.items.filter(scoring=Scoring.SCORED)) == 100
    inspection = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                           template_id=version.template_id)
    answer_all(inspection, org.users.staff, fails={code: "不符合" for code in fails}, na=na)
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="宿管员", signature=signature_png())
    inspection.refresh_from_db()
    return inspection


def _figures(inspection):
    return (inspection.score, inspection.max_score, inspection.vetoed)


def test_everything_complies_scores_100_plus_the_bonus(org):
    inspection = _inspect(org)
    assert _figures(inspection) == (Decimal("110.0"), Decimal("100.0"), False)
    assert (inspection.items_total, inspection.items_complied, inspection.items_failed,
            inspection.items_not_applicable) == (23, 23, 0, 0)
    assert inspection.compliance_rate == Decimal("100.0")


def test_failed_scored_item_loses_its_points_but_stays_in_the_maximum(org):
    inspection = _inspect(org, fails=("D1", "D18"))
    assert _figures(inspection) == (Decimal("99.0"), Decimal("100.0"), False)  # 89 + bonus 10


def test_failed_bonus_item_adds_nothing_and_is_never_in_the_maximum(org):
    inspection = _inspect(org, fails=("B1",))
    assert _figures(inspection) == (Decimal("100.0"), Decimal("100.0"), False)


def test_failed_deduction_items_take_their_points_off(org):
    inspection = _inspect(org, fails=("X1", "X2"))
    assert _figures(inspection) == (Decimal("90.0"), Decimal("100.0"), False)  # 100 + 10 − 20


def test_a_deduction_written_as_minus_10_in_a_file_is_read_as_10_and_never_stored_negative(org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from safecampus.inspections import checklist_files

    # given a file that writes a deduction as −10 (as real score sheets do)
    table = checklist_files.read_upload(SimpleUploadedFile(
        "dorm.csv", "编号,检查内容,类型,分值\nX1,使用违章电器,减分项,-10\n".encode())).table
    data = checklist_files.table_checklist(table, checklist_files.guess_columns(table.headers),
                                           code="dorm", name="宿舍")
    # then the file reader takes it as the 10 points the item takes off
    [item] = data.sections[0].items
    assert (item.scoring, item.points) == (Scoring.DEDUCTION, Decimal("10"))
    # but −10 handed to the service directly is refused: points are never stored negative
    with pytest.raises(services.DomainError) as error:
        services.checklist_import(actor=org.users.admin,
                                  data=_dormitory_sheet(deduction_sign="-"))
    assert error.value.message == "2 problems, nothing was saved."


def test_not_applicable_items_leave_the_maximum(org):
    inspection = _inspect(org, na=("D1", "D11", "B1", "X1"))
    assert _figures(inspection) == (Decimal("89.0"), Decimal("89.0"), False)
    assert inspection.items_not_applicable == 4
    assert inspection.compliance_rate == Decimal("100.0")


def test_not_scored_item_changes_counts_not_the_score(org):
    inspection = _inspect(org, fails=("N1",))
    assert _figures(inspection) == (Decimal("110.0"), Decimal("100.0"), False)
    assert inspection.items_failed == 1
    assert inspection.compliance_rate == Decimal("95.7")  # 22 of 23


def test_a_failed_veto_item_fails_the_inspection_whatever_the_score(org):
    inspection = _inspect(org, fails=("V1",))
    assert _figures(inspection) == (Decimal("110.0"), Decimal("100.0"), True)


def test_everything_at_once(org):
    # D2 (6) and D12 (5) fail, D3 n.a., the bonus complies, X1 fails, the veto item fails
    inspection = _inspect(org, fails=("D2", "D12", "X1", "V1"), na=("D3",))
    # maximum 100 − 6 = 94; score 94 − 6 − 5 + 10 − 10 = 83
    assert _figures(inspection) == (Decimal("83.0"), Decimal("94.0"), True)
    assert (inspection.items_complied, inspection.items_failed,
            inspection.items_not_applicable) == (18, 4, 1)
    assert inspection.compliance_rate == Decimal("81.8")  # 18 of 22


def test_an_unscored_checklist_has_no_score(org):
    version = published_checklist(org.users.admin, items=2)
    inspection = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                           template_id=version.template_id)
    answer_all(inspection, org.users.staff, na=("1.1", "1.2"))
    figures = services.inspection_figures(inspection)
    assert (figures.score, figures.max_score, figures.vetoed) == (None, None, False)
    assert figures.unanswered == 0 and figures.not_applicable == 2
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    inspection.refresh_from_db()
    assert inspection.score is None and inspection.compliance_rate is None


def test_figures_count_unanswered_items_before_submit(org):
    version = published_checklist(org.users.admin, items=4, scoring=Scoring.SCORED,
                                  points="25")
    inspection = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                           template_id=version.template_id)
    item = version.items.get(code="1.1")
    services.result_record(actor=org.users.staff, inspection_id=inspection.pk, item_id=item.pk,
                           outcome=Outcome.COMPLIES)
    figures = services.inspection_figures(inspection)
    assert (figures.total, figures.complied, figures.unanswered) == (4, 1, 3)
    # only answered scored items count toward the maximum so far
    assert (figures.score, figures.max_score) == (Decimal("25.0"), Decimal("25.0"))


# --- repeat findings -------------------------------------------------------------------------
FIRST = dt.datetime(2025, 3, 10, 9, 0, tzinfo=SHANGHAI)


def _months_later(months: int) -> dt.datetime:
    year, month = divmod(FIRST.month - 1 + months, 12)
    return FIRST.replace(year=FIRST.year + year, month=month + 1)


def _finished_failure(org, version, *, at, place=None, actor=None, code="1.1"):
    actor = actor or org.users.staff
    with clock.frozen(at):
        inspection = services.inspection_start(actor=actor, place_id=(place or org.place_a).pk,
                                               template_id=version.template_id)
        answer_all(inspection, actor, fails={code: "灭火器过期"})
        services.inspection_submit(actor=actor, inspection_id=inspection.pk,
                                   signer_name="王老师", signature=signature_png())
    return inspection


def _failure_at(org, version, *, at, place=None, code="1.1"):
    """Start an inspection at ``at`` and fail ``code``; returns its result."""
    with clock.frozen(at):
        inspection = services.inspection_start(actor=org.users.staff2,
                                               place_id=(place or org.place_a).pk,
                                               template_id=version.template_id)
        item = inspection.version.items.get(code=code)
        result = services.result_record(actor=org.users.staff2, inspection_id=inspection.pk,
                                        item_id=item.pk, outcome=Outcome.FAILS, note="又过期")
        services.result_photo_add(actor=org.users.staff2, inspection_id=inspection.pk,
                                  item_id=item.pk, upload=photo_upload(), client_id="finding")
        return result


@pytest.fixture
def first_failure(org):
    version = published_checklist(org.users.admin, items=2)
    first = _finished_failure(org, version, at=FIRST)
    return version, first.results.get(item_code="1.1")


@pytest.mark.parametrize("months", [1, 12, 17])
def test_failing_again_within_18_months_is_a_repeat(org, first_failure, months):
    version, earlier = first_failure
    result = _failure_at(org, version, at=_months_later(months))
    assert result.is_repeat and result.repeat_of_id == earlier.pk


@pytest.mark.parametrize("months", [19, 24])
def test_failing_again_after_18_months_is_not_a_repeat(org, first_failure, months):
    version, _earlier = first_failure
    result = _failure_at(org, version, at=_months_later(months))
    assert not result.is_repeat and result.repeat_of is None


def test_the_same_item_at_another_place_is_not_a_repeat(org, first_failure):
    version, _earlier = first_failure
    result = _failure_at(org, version, at=_months_later(2), place=org.place_b)
    assert not result.is_repeat


def test_another_item_at_the_same_place_is_not_a_repeat(org, first_failure):
    version, _earlier = first_failure
    result = _failure_at(org, version, at=_months_later(2), code="1.2")
    assert not result.is_repeat


def test_a_new_version_of_the_template_keeps_the_item_code_rule(org, first_failure):
    # given the checklist was republished since (same template code, item 1.1 kept)
    _version, earlier = first_failure
    new_version = published_checklist(org.users.admin, items=3)
    assert new_version.number == 2
    result = _failure_at(org, new_version, at=_months_later(3))
    assert result.is_repeat and result.repeat_of_id == earlier.pk


def test_an_unfinished_or_passed_earlier_inspection_is_not_a_repeat_source(org):
    version = published_checklist(org.users.admin, items=1)
    with clock.frozen(FIRST):
        open_one = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                             template_id=version.template_id)
        answer_all(open_one, org.users.staff, fails={"1.1": "堆物"})  # never submitted
    with clock.frozen(_months_later(1)):
        passed = services.inspection_start(actor=org.users.staff, place_id=org.place_b.pk,
                                           template_id=version.template_id)
        answer_all(passed, org.users.staff)  # 1.1 complied at place B
        services.inspection_submit(actor=org.users.staff, inspection_id=passed.pk,
                                   signer_name="王老师", signature=signature_png())
    assert not _failure_at(org, version, at=_months_later(2)).is_repeat
    assert not _failure_at(org, version, at=_months_later(2), place=org.place_b).is_repeat


def test_a_repeat_is_flagged_on_the_hazard_and_repeat_is_cleared_when_it_complies(org,
                                                                                first_failure):
    version, _earlier = first_failure
    result = _failure_at(org, version, at=_months_later(6))
    assert result.is_repeat
    # when the inspector corrects the answer to complies, the flag goes
    services.result_record(actor=org.users.staff2, inspection_id=result.inspection_id,
                           item_id=result.item_id, outcome=Outcome.COMPLIES)
    result.refresh_from_db()
    assert not result.is_repeat and result.repeat_of is None
    # and failed again and released, the hazard says it is a repeat finding
    services.result_record(actor=org.users.staff2, inspection_id=result.inspection_id,
                           item_id=result.item_id, outcome=Outcome.FAILS, note="又过期")
    services.result_record(actor=org.users.staff2, inspection_id=result.inspection_id,
                           item_id=version.items.get(code="1.2").pk, outcome=Outcome.COMPLIES)
    with clock.frozen(_months_later(6)):
        services.inspection_submit(actor=org.users.staff2, inspection_id=result.inspection_id,
                                   signer_name="王老师", signature=signature_png())
    result.refresh_from_db()
    assert result.is_repeat
    # (the hazard's text is written in the site language)
    assert "重复问题：该场所的此检查项在近 18 个月内曾不符合。" in result.hazard.description
