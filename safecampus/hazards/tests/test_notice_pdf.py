"""The printed rectification notice (隐患整改通知单): A4, Chinese text extractable, complete."""

import datetime as dt
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from safecampus.core import clock
from safecampus.hazards import services
from safecampus.hazards.documents import notice_pdf_bytes

from .helpers import confirmed

pytestmark = pytest.mark.django_db

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)


@pytest.fixture
def notice(org):
    at = dt.datetime(2026, 9, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with clock.frozen(at):
        first = confirmed(org, title="化学楼三层消防通道被自行车堵塞", description="东侧楼梯口")
        second = confirmed(org, title="101实验室插线板串联使用", category_id=org.electrical.pk)
        return services.notice_issue(actor=org.users.staff, hazard_ids=[first.pk, second.pk],
                                     requirements="立即清理通道，更换合格插线板。",
                                     deadline_days=3, deadline_basis="working")


def _text(pdf: bytes, tmp_path, *args) -> str:
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *args, str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def _info(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout


@needs_poppler
def test_notice_pdf_has_the_number_and_the_chinese_hazards(notice, tmp_path):
    # when the notice is rendered
    pdf = notice_pdf_bytes(notice)
    assert pdf.startswith(b"%PDF")
    text = _text(pdf, tmp_path)
    flat = "".join(text.split())  # table cells may wrap a title over lines
    # then the number, the unit, both hazards, the deadline (working days, after the holiday)
    # and the signature and receipt parts can be read back as text
    assert notice.number == "保卫整改〔2026〕第0001号"
    assert "保卫整改〔2026〕第0001号" in flat
    assert "隐患整改通知单" in flat
    assert "化学学院" in flat
    assert "化学楼三层消防通道被自行车堵塞" in flat
    assert "101实验室插线板串联使用" in flat
    assert "2026年10月10日" in flat and "3个工作日" in flat
    assert "立即清理通道，更换合格插线板。" in flat
    for part in ("检查人（签字）", "保卫部门（盖章）", "回执", "责任单位签收人（签字）"):
        assert part in flat, part
    # and the receipt stub repeats the number, the unit and the count
    assert flat.count("保卫整改〔2026〕第0001号") >= 2
    assert "化学学院已收到本通知单（共2项隐患），将于2026年10月10日前完成整改。" in flat


@needs_poppler
def test_notice_pdf_is_one_a4_page_with_an_embedded_cjk_font(notice, tmp_path):
    pdf = notice_pdf_bytes(notice)
    info = _info(pdf, tmp_path)
    assert "Pages:           1" in info
    assert "595.276 x 841.89 pts (A4)" in info or "(A4)" in info
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout
    lines = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert lines, fonts
    assert all(" yes " in line for line in lines), fonts  # every font embedded


@needs_poppler
def test_notice_pdf_shows_who_signed_once_acknowledged(org, notice, tmp_path):
    with clock.frozen(dt.datetime(2026, 10, 8, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        services.notice_acknowledge(actor=org.users.contact_a, notice_id=notice.pk)
    notice.refresh_from_db()
    flat = "".join(_text(notice_pdf_bytes(notice), tmp_path).split())
    assert org.users.contact_a.full_name in flat
    assert "2026年10月8日" in flat


def test_notice_pdf_url_serves_the_pdf(org, notice, client):
    client.force_login(org.users.contact_a)
    response = client.get(reverse("hazards:notice_pdf", args=[notice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="notice-2026-0001.pdf"'
    assert response.content.startswith(b"%PDF")
