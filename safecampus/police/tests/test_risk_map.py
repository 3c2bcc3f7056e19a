"""The four-colour risk map page and its PDF: who sees which points, filters, colours in the
SVG, the list and the points without a position, constant queries, the PDF's text and paper."""

import io
import re
import shutil
import subprocess

import pytest
from django.urls import reverse
from PIL import Image

from safecampus.police.documents_risk_map import map_box, map_jpeg, point_url_pattern
from safecampus.police.selectors.risk_map import map_campuses, map_points

from .risk_map_helpers import english, give_map, liaison, many_points, point  # noqa: F401

pytestmark = pytest.mark.django_db
MAP = reverse("police:risk_map")
PDF = reverse("police:risk_map_pdf")


def _codes(response) -> set[str]:
    """Codes of the points drawn on the SVG map (each point's title starts with its code)."""
    html = response.content.decode()
    if "<svg" not in html:
        return set()
    svg = html[html.index("<svg"):html.index("</svg>")]
    return set(re.findall(r"<title>(\S+) ", svg))


def _visible(html: str) -> int:
    """The visible circles on the map (each point also has an invisible ``rm-hit`` one)."""
    return html.count("<circle cx=")


@pytest.fixture
def points(org):
    """campus1 (with a map): R-MAJ red, R-HI orange, R-MOD yellow (a dormitory), R-LOW blue,
    R-OFF not placed, R-PRIV published but not shared, R-DRAFT a draft, R-NOLV without a
    level; campus2: S-1 yellow."""
    give_map(org.campus1, (400, 300))
    return {
        "major": point(org.campus1, "R-MAJ", level="major", x=10, y=20, unit=org.unit_a),
        "high": point(org.campus1, "R-HI", level="high", x=50, y=50,
                      building=org.building_a, place=org.place_a),
        "moderate": point(org.campus1, "R-MOD", level="moderate", kind="dormitory", x=75, y=25),
        "low": point(org.campus1, "R-LOW", level="low", x=90, y=90),
        "off": point(org.campus1, "R-OFF", level="low", x=None, y=None),
        "private": point(org.campus1, "R-PRIV", level="high", shared=False,
                         location="东门岗亭"),
        "draft": point(org.campus1, "R-DRAFT", level="major", state="draft"),
        "nolevel": point(org.campus1, "R-NOLV", level=""),
        "south": point(org.campus2, "S-1", level="moderate"),
    }


def test_leadership_sees_every_published_point_with_a_level(client, org, points):
    # Given published, draft and level-less points on campus1
    client.force_login(org.users.leadership)
    # When leadership opens the map (campus1 is the first campus with points)
    response = client.get(MAP)
    # Then every placed published point with a level is drawn, nothing else
    assert response.status_code == 200
    assert _codes(response) == {"R-MAJ", "R-HI", "R-MOD", "R-LOW", "R-PRIV"}
    html = response.content.decode()
    assert "R-OFF" in html and "R-DRAFT" not in html and "R-NOLV" not in html
    assert "S-1" not in html


def test_liaison_sees_only_shared_points_of_the_campuses_they_serve(client, org, points):
    # Given a liaison serving campus1
    officer = liaison(org.campus1)
    client.force_login(officer)
    # When they open the map of campus1
    response = client.get(MAP, {"campus": org.campus1.pk})
    # Then the unshared point is not there
    assert _codes(response) == {"R-MAJ", "R-HI", "R-MOD", "R-LOW"}
    # And campus2 (not theirs) is neither a tab nor reachable
    assert [t.campus for t in map_campuses(officer)] == [org.campus1]
    assert client.get(MAP, {"campus": org.campus2.pk}).status_code == 404
    assert client.get(PDF, {"campus": org.campus2.pk}).status_code == 404


def test_a_student_may_not_open_the_map(client, org, points):
    client.force_login(org.users.student)
    assert client.get(MAP).status_code == 403
    assert client.get(PDF).status_code == 403


def test_points_are_coloured_by_level_and_linked_with_a_title(client, org, points):
    client.force_login(org.users.staff)
    html = client.get(MAP, {"campus": org.campus1.pk}).content.decode()
    svg = html[html.index("<svg"):html.index("</svg>")]
    # viewBox is the image's pixel size; the image is drawn first
    assert 'viewBox="0 0 400 300"' in svg
    assert f'href="/organisation/campuses/{org.campus1.pk}/map/?v=' in svg
    groups = dict(re.findall(r'<g class="rm-points rm-(\w+)" fill="(#[0-9a-f]{6})"', svg))
    assert groups == {"major": "#d62728", "high": "#f28500", "moderate": "#f2c500",
                      "low": "#1f6fd1"}
    # blue is drawn first, red last (on top)
    assert svg.index("rm-low") < svg.index("rm-moderate") < svg.index("rm-high") \
        < svg.index("rm-major")
    # x% of the width, y% of the height; the radius 0.6 % of the long side (400 px)
    assert '<circle cx="40.0" cy="60.0" r="2.4"/>' in svg
    # each point has an invisible twin of the same place for fingers
    assert '<circle class="rm-hit" cx="40.0" cy="60.0" r="3.8"/>' in svg
    assert "<title>R-MAJ 风险点R-MAJ · 重大风险（红）</title>" in svg
    pattern = point_url_pattern()
    if pattern:
        assert f'<a href="{pattern.format(pk=points["major"].pk)}"><title>R-MAJ ' in svg


@pytest.mark.parametrize(("size", "radius"), [((4000, 3000), "24.0"), ((1000, 750), "6.0"),
                                              ((40, 30), "0.2")])
def test_points_keep_their_size_relative_to_the_map(client, org, size, radius):
    # Given the same point on maps of very different pixel sizes
    give_map(org.campus1, size)
    point(org.campus1, "R-1", level="major", x=50, y=50)
    client.force_login(org.users.staff)
    # When the map is drawn
    html = client.get(MAP, {"campus": org.campus1.pk}).content.decode()
    # Then the point's radius is the same share (0.6 %) of the map's long side
    cx, cy = size[0] / 2, size[1] / 2
    assert f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius}"/>' in html


def test_the_map_has_a_way_back_and_wrapping_campus_tabs(client, org, points):
    client.force_login(org.users.leadership)
    html = client.get(MAP).content.decode()
    assert f'<a href="{reverse("police:home")}"><i class="bi bi-chevron-left" ' in html
    assert "警校协作与风险管控" in html
    tabs = html[html.index('id="campus-tabs"') - 60:html.index('id="campus-tabs"')]
    assert "nav-pills rm-tabs" in tabs and "nav-tabs" not in tabs


def test_filters_by_kind_and_level_keep_the_legend_of_the_campus(client, org, points):
    client.force_login(org.users.staff)
    response = client.get(MAP, {"campus": org.campus1.pk, "level": "high"})
    assert _codes(response) == {"R-HI", "R-PRIV"}
    html = response.content.decode()
    # The legend still counts every level of the campus
    counts = dict(re.findall(r'data-level-count="(\w+)">(\d+)<', html))
    assert counts == {"major": "1", "high": "2", "moderate": "1", "low": "2"}
    response = client.get(MAP, {"campus": org.campus1.pk, "kind": "dormitory"})
    assert _codes(response) == {"R-MOD"}
    counts = dict(re.findall(r'data-level-count="(\w+)">(\d+)<', response.content.decode()))
    assert counts == {"major": "0", "high": "0", "moderate": "1", "low": "0"}


@pytest.mark.usefixtures("english")
def test_an_unknown_filter_value_is_an_error_and_not_applied(client, org, points):
    client.force_login(org.users.staff)
    response = client.get(MAP, {"campus": org.campus1.pk, "level": "purple"})
    assert response.status_code == 200
    assert "Select a valid choice. purple is not one of the available choices." in \
        response.content.decode()
    assert len(_codes(response)) == 5


@pytest.mark.usefixtures("english")
def test_points_without_a_position_are_listed_as_not_placed(client, org, points):
    client.force_login(org.users.staff)
    html = client.get(MAP, {"campus": org.campus1.pk}).content.decode()
    assert "1 point has no position on the map yet." in html
    listed = html[html.index('id="risk-map-list"'):]
    assert "R-OFF" in listed and "Not placed" in listed
    # most severe first in the list
    assert listed.index("R-MAJ") < listed.index("R-HI") < listed.index("R-MOD") \
        < listed.index("R-LOW")


@pytest.mark.usefixtures("english")
def test_without_a_map_image_the_page_says_so_and_lists_the_points(client, org, points):
    # Given campus2 has no map
    client.force_login(org.users.admin)
    html = client.get(MAP, {"campus": org.campus2.pk}).content.decode()
    # Then no SVG, a message with the upload link for the admin, and the list
    assert "<svg" not in html
    assert "This campus has no map image yet, so the points are only listed." in html
    assert f'{reverse("police:campus_map_upload")}?campus={org.campus2.pk}' in html
    assert "S-1" in html
    # Staff (not admins) get the message without the link
    client.force_login(org.users.staff)
    html = client.get(MAP, {"campus": org.campus2.pk}).content.decode()
    assert "Upload the campus map" not in html


def test_the_list_is_paginated(client, org):
    give_map(org.campus1)
    many_points(org.campus1, 60)
    client.force_login(org.users.staff)
    first = client.get(MAP, {"campus": org.campus1.pk}).content.decode()
    second = client.get(MAP, {"campus": org.campus1.pk, "page": 2}).content.decode()
    rows = re.compile(r'class="list-group-item[^"]*d-flex')
    assert len(rows.findall(first)) == 50 and len(rows.findall(second)) == 10
    # every point is still on the map of either page
    assert _visible(first) == 60


def test_queries_do_not_grow_with_the_points(client, org, django_assert_max_num_queries):
    give_map(org.campus1)
    client.force_login(org.users.staff)
    many_points(org.campus1, 10, prefix="A")
    client.get(MAP)  # warm the map size cache
    with django_assert_max_num_queries(12) as few:
        assert client.get(MAP).status_code == 200
    many_points(org.campus1, 190, prefix="B")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(MAP).content.decode()
    assert _visible(html) == 200


def test_map_points_is_one_query(org, django_assert_num_queries):
    many_points(org.campus1, 40)
    staff = org.users.staff
    assert staff.scope.sees_everything  # roles read once per request, before
    with django_assert_num_queries(1):
        data = map_points(staff, campus_id=org.campus1.pk)
    assert len(data.points) == 40 and data.counts == {"major": 10, "high": 10,
                                                     "moderate": 10, "low": 10}


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "map.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize(("paper", "size"), [("A3", (1191, 842)), ("A4", (842, 595))])
def test_pdf_is_a_landscape_page_in_chinese(client, org, points, tmp_path, paper, size):
    client.force_login(org.users.leadership)
    response = client.get(PDF, {"campus": org.campus1.pk, "paper": paper})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"risk-map-north-{paper}.pdf" in response["Content-Disposition"]
    text = _pdf_text(response.content, tmp_path)
    assert "西部交通大学北校区安全风险四色图" in text
    assert "学校级" in text and "岗位级" in text
    # the red and orange points are listed in the table, the yellow one is not
    assert "重大风险、较大风险点一览（3 处）" in text
    assert "R-MAJ" in text and "R-HI" in text and "R-PRIV" in text and "R-MOD" not in text
    assert "化学学院" in text  # the responsible unit
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "1", "-"], input=response.content,
                          capture_output=True, check=True).stdout.decode()
    width, height = map(float, re.search(r"Page\s+1 size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert (round(width), round(height)) == size


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_follows_the_filters_and_the_liaisons_view(client, org, points, tmp_path):
    client.force_login(liaison(org.campus1))
    response = client.get(PDF, {"campus": org.campus1.pk, "level": "high", "paper": "A4"})
    text = _pdf_text(response.content, tmp_path)
    assert "R-HI" in text and "R-PRIV" not in text and "R-MAJ" not in text
    assert "风险等级：较大风险（橙）" in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_numbers_the_red_and_orange_points_and_says_where_they_are(client, org, points,
                                                                       tmp_path):
    client.force_login(org.users.leadership)
    response = client.get(PDF, {"campus": org.campus1.pk, "paper": "A3"})
    text = _pdf_text(response.content, tmp_path)
    # Then the table's numbers follow the order of the points (most severe, then code)
    assert re.search(r"^\s*1\s+R-MAJ ", text, re.M)
    assert re.search(r"^\s*2\s+R-HI ", text, re.M)
    assert re.search(r"^\s*3\s+R-PRIV ", text, re.M)
    # And the location reads building, place or the location text
    assert "化学楼 101实验室" in text and "东门岗亭" in text
    assert "图中红、橙色点旁的数字为附表图号" in re.sub(r"\s+", "", text)  # wrapped


def test_the_numbers_are_drawn_beside_their_points(org):
    # Given a white map with one red point in the middle
    give_map(org.campus1, (1000, 1000))
    red = point(org.campus1, "R-1", level="major", x=50, y=50)
    data = map_points(org.users.staff, campus_id=org.campus1.pk)

    def label_area(numbers):
        jpeg, size = map_jpeg(org.campus1, data, numbers=numbers, side=1000)
        image = Image.open(io.BytesIO(jpeg)).convert("L")
        assert size == (1000, 1000)
        # up and to the right of the point (radius 6 px), where the number goes
        return image.crop((505, 470, 540, 494))

    # When it is drawn without and with its number
    plain, numbered = label_area(None), label_area({red.pk: 7})
    # Then only the numbered map has dark text there
    assert plain.getextrema()[0] > 200
    assert numbered.getextrema()[0] < 80


@pytest.mark.parametrize(("paper", "size", "expected"), [
    # a wide map: the legend goes under it, the map as high as the room allows
    ("A3", (1200, 800), {"layout": "below", "width": 327.0, "height": 218.0}),
    # a tall map: the legend beside it, the map as high as the page
    ("A3", (800, 1200), {"layout": "side", "width": 172.0, "height": 258.0}),
    ("A4", (1600, 1100), {"layout": "below", "width": 192.0, "height": 132.0}),
])
def test_the_map_fills_the_page(paper, size, expected):
    assert map_box(paper, size) == expected


@pytest.mark.skipif(shutil.which("pdfimages") is None, reason="poppler-utils not installed")
def test_the_printed_map_is_as_wide_as_its_room(client, org, points, tmp_path):
    # Given campus1's 400 × 300 map (legend beside: 396 − 82 = 314 mm of room across)
    client.force_login(org.users.leadership)
    response = client.get(PDF, {"campus": org.campus1.pk, "paper": "A3"})
    path = tmp_path / "map.pdf"
    path.write_bytes(response.content)
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    # page num type width height color comp bpc enc interp object ID x-ppi y-ppi ...
    row = listing[2].split()
    width_px, x_ppi = int(row[3]), int(row[12])
    # Then the map is printed 314 mm wide (within a millimetre of rounding)
    assert abs(width_px / x_ppi * 25.4 - 314) < 1.5


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("paper", ["A3", "A4"])
@pytest.mark.parametrize("size", [(1200, 800), (800, 1200)])
def test_the_map_and_its_legend_stay_on_the_first_page(client, org, paper, size):
    # Given a wide or a tall map (legend under or beside it) and a red point
    give_map(org.campus1, size)
    point(org.campus1, "R-1", level="major")
    client.force_login(org.users.leadership)
    # When it is printed
    response = client.get(PDF, {"campus": org.campus1.pk, "paper": paper})
    info = subprocess.run(["pdfinfo", "-"], input=response.content, capture_output=True,
                          check=True).stdout.decode()
    # Then the map page and the table page, no page with a spilled legend row between
    assert re.search(r"^Pages:\s+2$", info, re.M)
