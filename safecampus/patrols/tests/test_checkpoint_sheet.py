"""The printable A4 sheet of checkpoint QR codes (巡更点二维码).

Given a route with a Chinese name, its sheet (six cards a page) shows each checkpoint's
manual code and the route name as text, holds QR codes that point at PUBLIC_URL whatever host
the office printed from, and after new codes are issued the old sheet's codes are refused.
"""

import shutil
import subprocess
from pathlib import Path

import pytest
import segno
from django.conf import settings
from django.urls import reverse
from PIL import Image

from safecampus.core.errors import DomainError
from safecampus.patrols import documents
from safecampus.patrols.models import Checkpoint
from safecampus.patrols.services import patrolling
from safecampus.patrols.services import setup as services

from .helpers import build_route, login

pytestmark = pytest.mark.django_db
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
    reason="pdftotext/pdfinfo (poppler-utils) are not installed")
PUBLIC = "https://xbjd.example.edu.cn"
JSQR = Path(settings.BASE_DIR) / "static" / "vendor" / "jsqr" / "jsQR.js"
needs_decoder = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("pdftoppm") is None or not JSQR.is_file(),
    reason="decoding the printed QR code needs node, pdftoppm and static/vendor/jsqr")
#: Decodes raw RGBA pixels (file, width, height) with jsQR, the decoder the scan page uses.
DECODE_JS = """
const jsQR = require(process.argv[1]);
const data = new Uint8ClampedArray(require("fs").readFileSync(process.argv[2]));
const found = jsQR(data, +process.argv[3], +process.argv[4]);
process.stdout.write(found ? found.data : "");
"""


@pytest.fixture
def public_url(settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "PUBLIC_URL": PUBLIC}
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "laptop.local", "testserver"]
    return PUBLIC


@pytest.fixture
def route(org):
    built = build_route(org, checkpoints=7, code="north-night")
    built.route.name = "北校区夜间巡逻"
    built.route.save()
    Checkpoint.objects.filter(pk=built.checkpoints[0].pk).update(name="北门岗亭")
    built.checkpoints[0].refresh_from_db()
    return built


@pytest.fixture
def segno_calls(monkeypatch):
    """Every payload the sheet passes to segno (the QR codes' contents), in order. The PDF
    itself is not rendered (WeasyPrint with a CJK font takes seconds); other tests read it."""
    monkeypatch.setattr(documents, "render_pdf", lambda template, context: b"%PDF-1.7 stub")
    calls: list[str] = []
    make = segno.make

    def recording(content, *args, **kwargs):
        calls.append(content)
        return make(content, *args, **kwargs)

    monkeypatch.setattr(documents.segno, "make", recording)
    return calls


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def _pages(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines()
                    if line.startswith("Pages:")))


def test_the_qr_code_holds_the_payload(public_url):
    payload = f"{PUBLIC}/patrols/c/12-3.abc/"
    uri = documents.qr_svg_data_uri(payload)
    assert uri.startswith("data:image/svg+xml")
    # the SVG is segno's drawing of exactly that payload (the matrix, module for module)
    expected = segno.make(payload, error=documents.QR_ERROR, micro=False)
    assert uri == expected.svg_data_uri(scale=1, border=documents.QR_BORDER, dark="#000",
                                       light="#fff")
    assert expected.version <= 7  # a 55 mm code keeps modules of about 1 mm


@needs_poppler
def test_the_route_sheet_prints_every_checkpoint_in_chinese(org, route, client, tmp_path,
                                                             public_url):
    login(client, org.users.staff)
    response = client.get(reverse("patrols:route_sheet", args=[route.route.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="checkpoints-north-night.pdf"'
    pdf = response.content
    assert _pages(pdf, tmp_path) == 2  # 7 cards, 6 a page
    text = _text(pdf, tmp_path)
    flat = "".join(text.split())
    assert "北校区夜间巡逻" in flat and "北门岗亭" in flat
    for checkpoint in route.checkpoints:
        code = checkpoint.manual_code
        assert f"{code[:4]} {code[4:]}" in text, code  # grouped 4 + 4, as printed
    assert "党委保卫部（保卫处）" in flat and "north-night2/2" in flat


@needs_poppler
def test_the_sheet_of_one_checkpoint(org, route, client, tmp_path, public_url):
    login(client, org.users.staff)
    third = route.checkpoints[2]
    response = client.get(reverse("patrols:checkpoint_sheet", args=[third.pk]))
    assert response["Content-Disposition"] == (
        'inline; filename="checkpoint-north-night-03.pdf"')
    assert _pages(response.content, tmp_path) == 1
    text = _text(response.content, tmp_path)
    assert third.manual_code[:4] in text
    assert route.checkpoints[0].manual_code[:4] not in text


@needs_decoder
def test_the_printed_qr_code_reads_back_as_the_public_scan_address(org, route, client,
                                                                   tmp_path, public_url):
    # given the sheet of one checkpoint, printed from a laptop on another host
    login(client, org.users.staff)
    checkpoint = route.checkpoints[1]
    response = client.get(reverse("patrols:checkpoint_sheet", args=[checkpoint.pk]),
                          HTTP_HOST="laptop.local")
    (tmp_path / "one.pdf").write_bytes(response.content)
    # when the page is printed at 150 dpi and the top-left card is read by jsQR
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "one.pdf"),
                    str(tmp_path / "one")], check=True)
    page = Image.open(tmp_path / "one.png").convert("RGBA")
    card = page.crop((0, 0, page.width // 2, page.height // 3))
    (tmp_path / "card.rgba").write_bytes(card.tobytes())
    read = subprocess.run(["node", "-e", DECODE_JS, str(JSQR), str(tmp_path / "card.rgba"),
                           str(card.width), str(card.height)],
                          capture_output=True, text=True, check=True).stdout
    # then it is the public scan address of that checkpoint, which resolves to it
    assert read == patrolling.checkpoint_url(checkpoint)
    assert read.startswith(f"{PUBLIC}/patrols/c/{checkpoint.pk}-1.")
    assert patrolling.checkpoint_resolve(read)[0] == checkpoint


def test_qr_codes_point_at_the_public_url_not_the_printing_host(org, route, client, public_url,
                                                                segno_calls):
    login(client, org.users.staff)
    response = client.get(reverse("patrols:route_sheet", args=[route.route.pk]),
                          HTTP_HOST="laptop.local")
    assert response.status_code == 200
    assert segno_calls == [patrolling.checkpoint_url(c) for c in route.checkpoints]
    for payload, checkpoint in zip(segno_calls, route.checkpoints, strict=True):
        assert payload.startswith(f"{PUBLIC}/patrols/c/{checkpoint.pk}-1.")
        assert "laptop.local" not in payload and "testserver" not in payload
        assert patrolling.checkpoint_resolve(payload)[0] == checkpoint


def test_new_codes_make_the_old_sheet_useless(org, route, client, public_url, segno_calls):
    login(client, org.users.staff)
    url = reverse("patrols:route_sheet", args=[route.route.pk])
    client.get(url)
    old = list(segno_calls)
    old_manual = [c.manual_code for c in route.checkpoints]
    services.route_rotate_codes(actor=org.users.staff, route_id=route.route.pk)
    segno_calls.clear()
    client.get(url)
    assert len(segno_calls) == 7 and not set(segno_calls) & set(old)
    for payload, manual in zip(old, old_manual, strict=True):
        with pytest.raises(DomainError) as error:
            patrolling.checkpoint_resolve(payload)
        assert error.value.code == "revoked_code"
        with pytest.raises(DomainError) as error:
            patrolling.checkpoint_resolve(manual)
        assert error.value.code == "unknown_code"
    assert all(patrolling.checkpoint_resolve(p)[0].code_generation == 2 for p in segno_calls)


def test_checkpoints_not_in_use_are_left_off_the_route_sheet(org, route, client, public_url,
                                                             segno_calls):
    gone = route.checkpoints[3]
    services.checkpoint_update(actor=org.users.staff, checkpoint_id=gone.pk, is_active=False)
    login(client, org.users.staff)
    client.get(reverse("patrols:route_sheet", args=[route.route.pk]))
    assert len(segno_calls) == 6
    assert patrolling.checkpoint_url(gone) not in segno_calls


def test_only_the_office_prints_sheets(org, route, client):
    for user in (org.users.guard, org.users.leadership, org.users.student):
        login(client, user)
        assert client.get(reverse("patrols:route_sheet", args=[route.route.pk])).status_code == 403
        assert client.get(reverse("patrols:checkpoint_sheet",
                                  args=[route.checkpoints[0].pk])).status_code == 403


def test_cards_are_laid_out_two_by_three():
    pages = documents.sheet_pages(list(range(7)))
    assert pages == [[[0, 1], [2, 3], [4, 5]], [[6, None]]]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")
def test_the_last_page_draws_no_empty_cells(org, route, client, tmp_path, public_url):
    # given a route of 7 checkpoints: page 2 has one card and five free places
    login(client, org.users.staff)
    response = client.get(reverse("patrols:route_sheet", args=[route.route.pk]))
    (tmp_path / "sheet.pdf").write_bytes(response.content)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "2", "-l", "2", "-singlefile",
                    "-gray", str(tmp_path / "sheet.pdf"), str(tmp_path / "last")], check=True)
    page = Image.open(tmp_path / "last.png").convert("L")
    # the card (top left) is drawn …
    card = page.crop((0, 0, page.width // 2, page.height // 3))
    assert card.getextrema()[0] < 100
    # … and the free place beside it and the rows below are blank paper: no dashed frames
    # (a few pixels off the card's own cut line, which ends 8 + 93 mm down the 297 mm page;
    # the page number at the foot left out)
    beside = page.crop((page.width // 2 + 3, 0, page.width, page.height // 3))
    below = page.crop((0, page.height * 36 // 100, page.width, page.height * 9 // 10))
    assert beside.getextrema() == (255, 255)
    assert below.getextrema() == (255, 255)
