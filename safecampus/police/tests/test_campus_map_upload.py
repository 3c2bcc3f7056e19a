"""Uploading a campus map: office administrators only; upright, without metadata, bounded; a
bad file is refused with its reason and the old map kept; one timeline entry."""

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from safecampus.core.activity import activity_for
from safecampus.organisation import campus_maps
from safecampus.organisation.campus_maps import campus_map_size, campus_map_upload

from .risk_map_helpers import english, give_map, png_bytes  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db
URL = reverse("police:campus_map_upload")


def _upload(name="map.png", data=None, content_type="image/png"):
    return SimpleUploadedFile(name, data if data is not None else png_bytes((900, 450)),
                              content_type=content_type)


def _stored(campus) -> Image.Image:
    campus.refresh_from_db()
    with campus.map_image.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    return image


def test_an_admin_uploads_a_map_and_it_is_on_the_timeline(client, org,
                                                          django_capture_on_commit_callbacks):
    # Given campus1 has an old map
    give_map(org.campus1, (300, 200))
    old_name = org.campus1.map_image.name
    storage = org.campus1.map_image.storage
    client.force_login(org.users.admin)
    # When the admin uploads a new PNG
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"campus": org.campus1.pk, "image": _upload()})
    # Then they are back on the campus's map, which now shows the new picture
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('police:risk_map')}?campus={org.campus1.pk}"
    org.campus1.refresh_from_db()
    assert org.campus1.map_image.name.endswith(".png")
    assert org.campus1.map_image.name != old_name and not storage.exists(old_name)
    assert campus_map_size(org.campus1) == (900, 450)
    entry = activity_for(org.campus1).get()
    assert entry.verb == "organisation.campus_map_upload" and entry.actor == org.users.admin
    assert entry.data["width"] == 900 and entry.data["replaced"] == old_name


def test_a_phone_photo_is_turned_upright_and_loses_its_metadata(org):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 400), (10, 200, 10)).save(buffer, format="JPEG", exif=exif)
    campus_map_upload(actor=org.users.admin, campus_id=org.campus1.pk,
                      upload=_upload("photo.jpg", buffer.getvalue(), "image/jpeg"))
    image = _stored(org.campus1)
    assert image.size == (400, 800)
    assert image.format == "JPEG" and not image.getexif()


def test_a_large_map_is_bounded(org, monkeypatch):
    monkeypatch.setattr(campus_maps, "MAP_MAX_SIDE_PX", 700)
    campus_map_upload(actor=org.users.admin, campus_id=org.campus1.pk, upload=_upload())
    assert _stored(org.campus1).size == (700, 350)


@pytest.mark.usefixtures("english")
def test_a_file_that_is_not_an_image_is_refused_and_the_old_map_stays(client, org):
    give_map(org.campus1, (300, 200))
    old_name = org.campus1.map_image.name
    client.force_login(org.users.admin)
    response = client.post(URL, {"campus": org.campus1.pk,
                                 "image": _upload("plan.pdf", b"%PDF-1.4 not a picture",
                                                  "application/pdf")})
    assert response.status_code == 200
    assert "plan.pdf is not an image we can read; use PNG, JPEG, WebP or HEIC." in \
        response.content.decode()
    org.campus1.refresh_from_db()
    assert org.campus1.map_image.name == old_name
    assert org.campus1.map_image.storage.exists(old_name)
    assert not activity_for(org.campus1).exists()


def test_a_file_too_large_is_refused_in_chinese(client, org, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "PHOTO_MAX_BYTES": 1024 * 1024}
    client.force_login(org.users.admin)
    big = _upload("huge.png", b"\x89PNG" + b"0" * (1024 * 1024 + 10))
    response = client.post(URL, {"campus": org.campus2.pk, "image": big})
    assert "huge.png 太大（1.1 MB），上限为 1 MB。" in response.content.decode()
    org.campus2.refresh_from_db()
    assert not org.campus2.map_image


def test_only_office_admins_upload(client, org):
    for user in (org.users.staff, org.users.leadership, org.users.police):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"campus": org.campus1.pk,
                                 "image": _upload()}).status_code == 403
    org.campus1.refresh_from_db()
    assert not org.campus1.map_image


def test_the_size_is_read_once_and_cached(org):
    give_map(org.campus1, (321, 123))
    cache.clear()
    assert campus_map_size(org.campus1) == (321, 123)
    assert cache.get(f"campus-map-size:{org.campus1.map_image.name}") == (321, 123)
    assert campus_map_size(org.campus2) is None


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("size", [(40, 30), (599, 400), (300, 599)])
def test_a_map_too_small_is_refused_and_the_old_map_stays(client, org, size):
    # Given campus1 has a map
    give_map(org.campus1, (800, 600))
    old_name = org.campus1.map_image.name
    client.force_login(org.users.admin)
    # When the admin uploads an icon-sized picture
    response = client.post(URL, {"campus": org.campus1.pk,
                                 "image": _upload("icon.png", png_bytes(size))})
    # Then it is refused with its size and the minimum, and nothing changed
    assert response.status_code == 200
    width, height = size
    assert (f"icon.png is too small ({width} × {height} pixels); a campus map needs at least "
            "600 pixels on its long side.") in response.content.decode()
    org.campus1.refresh_from_db()
    assert org.campus1.map_image.name == old_name
    assert not activity_for(org.campus1).exists()


def test_a_map_of_600_pixels_on_its_long_side_is_accepted(org):
    campus_map_upload(actor=org.users.admin, campus_id=org.campus1.pk,
                      upload=_upload("edge.png", png_bytes((400, 600))))
    assert _stored(org.campus1).size == (400, 600)


@pytest.mark.usefixtures("english")
def test_the_upload_page_previews_the_current_map(client, org):
    # Given campus1 with a map, campus2 without
    give_map(org.campus1, (800, 600))
    client.force_login(org.users.admin)
    # When the admin opens the page for campus1
    html = client.get(URL, {"campus": org.campus1.pk}).content.decode()
    previews = html[html.index('id="campus-map-previews"'):]
    # Then campus1's map shows with its size, campus2's line is there but hidden
    assert f'<figure class="card card-body shadow-sm mb-0" data-campus="{org.campus1.pk}">' \
        in previews
    assert f'src="/organisation/campuses/{org.campus1.pk}/map/?v=' in previews
    assert "800 × 600 pixels. It stays until a new one is saved." in previews
    assert f'data-campus="{org.campus2.pk}" hidden>' in previews
    assert "has no map yet." in previews
    assert "at least 600 pixels on the long side" in html
    # When it is opened for campus2, campus2's line shows instead
    html = client.get(URL, {"campus": org.campus2.pk}).content.decode()
    assert f'data-campus="{org.campus1.pk}" hidden>' in html
