"""The inspection report PDF (安全检查报告) and the Excel export of results.

Given a finished, scored office inspection with findings, photos, a fix on the spot and a
signature, the PDF shows all of it in Chinese and the Excel export has one row per item
result; people who may not view the inspection get 404.
"""

import datetime as dt
import io
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from safecampus.core import clock
from safecampus.hazards.models import RectificationNotice
from safecampus.inspections import documents, services
from safecampus.inspections.models import Outcome, ResultPhoto, Scoring
from safecampus.tests.factories import photo_upload

from .helpers import answer_all, login, messages_of, published_checklist, signature_png

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)
MANY_FAILS = {"1.1": "通道堆放纸箱", "1.2": "灭火器过期"}
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")


def _finished(org, *, place=None, actor=None, fails=None, photos=2, veto=None, code="lab",
              summary="总体情况良好，个别问题已当场整改。"):
    """A finished office inspection of 12 scored items (5 points each): ``fails`` fail (with
    ``photos`` photos between them, at least one each), 1.4 is not applicable and 1.10 is
    fixed on the spot (a photo before and one after)."""
    actor = actor or org.users.staff
    place = place or org.place_a
    fails = {"1.1": "通道堆放纸箱"} if fails is None else fails
    with clock.frozen(AT):
        version = published_checklist(org.users.admin, code=code, items=12,
                                      category_id=org.fire.pk, scoring=Scoring.SCORED,
                                      points="5", veto=veto)
        inspection = services.inspection_start(actor=actor, place_id=place.pk,
                                               template_id=version.template_id)
        answer_all(inspection, actor, fails=fails, na=("1.4",), photos=False)
        items = {i.code: i for i in version.items.all()}
        codes = sorted(fails)
        for n in range(photos):  # dealt out over the failed items (at most 9 per item)
            services.result_photo_add(actor=actor, inspection_id=inspection.pk,
                                      item_id=items[codes[n % len(codes)]].pk,
                                      upload=photo_upload(), client_id=f"finding-{n}")
        services.result_record(actor=actor, inspection_id=inspection.pk,
                               item_id=items["1.10"].pk, outcome=Outcome.FAILS,
                               note="插线板串接", fixed_on_spot=True, fix_note="当场拆除串接插线板")
        for stage in (ResultPhoto.Stage.FINDING, ResultPhoto.Stage.FIXED):
            services.result_photo_add(actor=actor, inspection_id=inspection.pk,
                                      item_id=items["1.10"].pk, upload=photo_upload(),
                                      client_id=stage, stage=stage)
        services.inspection_submit(actor=actor, inspection_id=inspection.pk,
                                   signer_name="王老师", signature=signature_png(),
                                   summary=summary)
    inspection.refresh_from_db()
    return inspection


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    return "".join(text.split())  # table cells wrap; compare without white space


def _zh(message: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message)


@needs_poppler
def test_report_pdf_shows_the_inspection_in_chinese(org, tmp_path):
    # given a finished inspection with one finding on a notice and one fixed on the spot
    inspection = _finished(org)
    notice = RectificationNotice.objects.get()
    # when its report is printed
    pdf = documents.inspection_report_pdf_bytes(inspection)
    assert pdf.startswith(b"%PDF")
    flat = _pdf_text(pdf, tmp_path)
    # then the header, the place, the checklist and the people read back as Chinese text
    assert "".join(_zh("Safety inspection report").split()) in flat
    assert settings.SAFECAMPUS["UNIVERSITY_NAME"] in flat
    assert settings.SAFECAMPUS["OFFICE_NAME"] in flat
    assert inspection.reference in flat
    assert "北校区化学楼101实验室" in flat and "化学学院" in flat
    assert "实验室安全检查表v1" in flat
    assert org.users.staff.full_name in flat and "王老师" in flat
    # dates are local (10:00 in Shanghai, not 02:00 UTC)
    assert "2026-10-0910:00" in flat
    # every item code and check point, the notes and the fix on the spot
    for n in range(1, 13):
        assert f"1.{n}检查项{n}：消防通道畅通" in flat, n
    assert "通道堆放纸箱" in flat and "当场拆除串接插线板" in flat
    assert "总体情况良好，个别问题已当场整改。" in flat
    # the score of the 11 applicable items (9 complied × 5 of 55) and the compliance rate
    assert (inspection.score, inspection.max_score) == (45, 55)
    assert "45.0/55.0" in flat and "81.8%" in flat
    # the hazards the findings became and the notice number
    hazards = [r.hazard for r in inspection.results.filter(outcome=Outcome.FAILS)
               .select_related("hazard").order_by("item__position")]
    assert all(h.reference in flat for h in hazards)
    assert notice.number == "保卫整改〔2026〕第0001号"
    assert notice.number in flat
    # no veto banner: no veto item failed
    assert "".join(_zh("A veto item failed: the inspection is failed whatever the score.")
                   .split()) not in flat


@needs_poppler
def test_report_pdf_shows_the_veto_banner(org, tmp_path):
    inspection = _finished(org, fails={"1.1": "通道堆放纸箱", "1.2": "违规存放危化品"}, veto="1.2")
    assert inspection.vetoed
    flat = _pdf_text(documents.inspection_report_pdf_bytes(inspection), tmp_path)
    assert "".join(_zh("A veto item failed: the inspection is failed whatever the score.")
                   .split()) in flat


def test_report_embeds_photos_and_signature_from_storage_not_urls(org, tmp_path):
    # given two findings with 10 photos, and one fixed on the spot with a photo before and after
    inspection = _finished(org, fails=MANY_FAILS, photos=10)
    # when the report's HTML is built
    context = documents.report_context(inspection)
    html = render_to_string("inspections/report_pdf.html", {**context, "font_face_css": ""})
    # then the 12 thumbnails and the signature are inline data, never a media URL
    assert html.count('src="data:image/jpeg;base64,') == 12
    assert html.count('src="data:image/png;base64,') == 1
    assert settings.MEDIA_URL not in html and "http" not in html


@needs_poppler
def test_report_with_many_photos_stays_one_file_with_every_image(org, tmp_path):
    inspection = _finished(org, fails=MANY_FAILS, photos=10)
    pdf = documents.inspection_report_pdf_bytes(inspection)
    path = tmp_path / "photos.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    # 11 photos drawn (JPEG thumbnails) and the signature (PNG pixels plus its alpha mask)
    kinds = [(line.split()[2], line.split()[8]) for line in listing]
    assert kinds.count(("image", "jpeg")) == 12, listing
    assert kinds.count(("image", "image")) == 1 and kinds.count(("smask", "image")) == 1
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    assert "(A4)" in info


def test_report_context_query_count_does_not_grow_with_photos(org, django_assert_num_queries):
    few = _finished(org, photos=1)
    many = _finished(org, photos=9, place=org.place_b, actor=org.users.staff2, code="lab2")
    with django_assert_num_queries(5) as few_queries:
        documents.report_context(few)
    with django_assert_num_queries(len(few_queries.captured_queries)):
        documents.report_context(many)


# --- pages ---------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["staff", "staff2", "admin", "leadership", "contact_a",
                                 "leader_a"])
def test_viewers_get_the_pdf(org, client, who):
    inspection = _finished(org)
    response = login(client, getattr(org.users, who)).get(
        reverse("inspections:report_pdf", args=[inspection.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'inline; filename="inspection-{inspection.reference}.pdf"')
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("who", ["contact_b", "student", "guard", "police", "grid"])
@pytest.mark.parametrize("name", ["report_pdf", "results_xlsx"])
def test_others_get_404(org, client, who, name):
    inspection = _finished(org)
    response = login(client, getattr(org.users, who)).get(
        reverse(f"inspections:{name}", args=[inspection.pk]))
    assert response.status_code == 404


def test_anonymous_is_sent_to_log_in(org, client):
    inspection = _finished(org)
    response = client.get(reverse("inspections:report_pdf", args=[inspection.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


# --- Excel -----------------------------------------------------------------------------------
def _sheet(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return sheet, rows[0], rows[1:]


def test_results_xlsx_has_one_row_per_item_with_text_codes(org, client):
    # given a finished inspection whose finding note looks like a formula
    inspection = _finished(org, fails={"1.1": "=HYPERLINK(\"http://evil\",\"点我\")"})
    hazard = inspection.results.get(item_code="1.1").hazard
    fixed_hazard = inspection.results.get(item_code="1.10").hazard
    # when the unit's safety contact downloads the results
    response = login(client, org.users.contact_a).get(
        reverse("inspections:results_xlsx", args=[inspection.pk]))
    sheet, headers, rows = _sheet(response)
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="inspection-{inspection.reference}-results.xlsx"')
    # then the headers are the agreed columns and there is one row per item, in order
    assert headers == ["Reference", "Place", "Inspected unit", "Checklist", "Version",
                       "Item code", "Check point", "Result", "Note", "Fixed on the spot",
                       "Repeat finding", "Hazard", "Inspector", "Finished at"]
    assert [r[5] for r in rows] == [f"1.{n}" for n in range(1, 13)]
    first, tenth = rows[0], rows[9]
    assert first == [inspection.reference, "北校区 化学楼 101实验室", "化学学院", "实验室安全检查表",
                     "1", "1.1", "检查项1：消防通道畅通", "Does not comply",
                     "'=HYPERLINK(\"http://evil\",\"点我\")", "No", "No", hazard.reference,
                     org.users.staff.full_name, dt.datetime(2026, 10, 9, 10, 0)]
    assert tenth[5:12] == ["1.10", "检查项10：消防通道畅通", "Does not comply", "插线板串接", "Yes",
                           "No", fixed_hazard.reference]
    assert rows[3][7] == "Not applicable" and rows[1][7] == "Complies"
    assert rows[1][11] is None
    # codes, versions and references are text cells ("1.10" never becomes 1.1)
    for column in ("A", "E", "F", "L"):
        cell = sheet[f"{column}11"]
        assert cell.data_type == "s" and cell.number_format == "@", column
    assert sheet["I2"].data_type == "s"


def test_export_follows_the_home_list_filters_and_visibility(org, client,
                                                             django_assert_max_num_queries):
    # given one finished inspection of each unit
    a = _finished(org)
    b = _finished(org, place=org.place_b, actor=org.users.staff2, code="lab2")
    url = reverse("inspections:export_xlsx")
    # when the office exports everything, then both inspections' rows come, newest first
    login(client, org.users.staff)
    with django_assert_max_num_queries(8):
        _s, _h, rows = _sheet(client.get(url))
    assert [r[0] for r in rows] == [b.reference] * 12 + [a.reference] * 12
    # when it filters by unit B, then only B's rows
    _s, _h, rows = _sheet(client.get(url, {"unit": org.unit_b.pk}))
    assert {r[0] for r in rows} == {b.reference} and len(rows) == 12
    # when unit A's safety contact exports, then only A's rows, whatever the filter asks
    client.logout()
    login(client, org.users.contact_a)
    _s, _h, rows = _sheet(client.get(url))
    assert {r[0] for r in rows} == {a.reference}
    # and asking for unit B is a filter it cannot choose (as on the list): nothing exported
    response = client.get(url, {"unit": org.unit_b.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("inspections:home") + f"?unit={org.unit_b.pk}"


@pytest.mark.parametrize("who", ["student", "guard"])
def test_export_is_403_for_those_without_the_inspections_pages(org, client, who):
    # given a finished inspection and someone with no part in inspections
    _finished(org)
    login(client, getattr(org.users, who))
    # then the export is refused like the inspections home page, never an empty workbook
    assert client.get(reverse("inspections:home")).status_code == 403
    response = client.get(reverse("inspections:export_xlsx"))
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_export_with_a_bad_filter_exports_nothing(org, client):
    _finished(org)
    response = login(client, org.users.staff).get(reverse("inspections:export_xlsx"),
                                                   {"state": "bogus"})
    assert response.status_code == 302
    assert response["Location"] == reverse("inspections:home") + "?state=bogus"
    assert messages_of(response) == [
        "Correct the filters first; nothing was exported."]
