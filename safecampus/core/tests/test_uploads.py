"""Photos from phones (core.uploads.photo_process): formats, EXIF stripping, orientation, limits."""

import io

import pillow_heif
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from safecampus.core.errors import DomainError
from safecampus.core.uploads import photo_process

MAKE, MODEL, ORIENTATION, GPS_IFD = 0x010F, 0x0110, 0x0112, 0x8825


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _exif(orientation: int = 1) -> Image.Exif:
    """EXIF as a phone writes it: maker, model, orientation and a GPS position (Xi'an)."""
    exif = Image.Exif()
    exif[MAKE] = "Apple"
    exif[MODEL] = "iPhone 15 Pro"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (34.0, 15.0, 0.0), 3: "E", 4: (108.0, 56.0, 0.0)})
    return exif


def _picture(size=(60, 40)) -> Image.Image:
    """Left half red, right half blue, so a rotation can be seen in the pixels."""
    image = Image.new("RGB", size, (220, 20, 20))
    image.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    return image


def _upload(data: bytes, name: str, content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _jpeg(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95, **kwargs)
    return buffer.getvalue()


def _open(content_file) -> Image.Image:
    content_file.seek(0)
    image = Image.open(io.BytesIO(content_file.read()))
    image.load()
    return image


def _assert_clean(image: Image.Image):
    exif = image.getexif()
    assert MAKE not in exif and MODEL not in exif
    assert not exif.get_ifd(GPS_IFD)
    assert exif.get(ORIENTATION, 1) == 1
    assert "exif" not in image.info


def test_jpeg_with_gps_and_camera_comes_out_without_them():
    # given a phone JPEG with GPS position, maker and model
    source = _jpeg(_picture(), exif=_exif())
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS_IFD)  # (the input really has it)
    # when it is processed
    full, thumb = photo_process(_upload(source, "IMG_0001.JPG"))
    # then both stored copies are JPEGs without location or device data
    for copy in (full, thumb):
        image = _open(copy)
        assert image.format == "JPEG"
        _assert_clean(image)
    assert full.name.endswith(".jpg") and thumb.name.endswith("_t.jpg")
    assert b"iPhone" not in full.read() and b"Apple" not in full.read()


def test_orientation_6_is_applied_to_the_pixels():
    # given a landscape sensor image tagged "rotate 90° clockwise to display" (Orientation=6)
    source = _jpeg(_picture((60, 40)), exif=_exif(orientation=6))
    # when processed
    full, _thumb = photo_process(_upload(source, "portrait.jpg"))
    image = _open(full)
    # then it is stored upright (portrait) with the tag gone, so no viewer rotates it again
    assert image.size == (40, 60)
    _assert_clean(image)
    # the red left half of the sensor image is now the top
    r, _g, b = image.getpixel((20, 5))
    assert r > 150 and b < 100
    r, _g, b = image.getpixel((20, 55))
    assert b > 150 and r < 100


def test_heic_is_accepted_and_not_rotated_twice():
    # given a HEIC from a phone (pillow_heif applies the orientation when reading)
    buffer = io.BytesIO()
    _picture((60, 40)).save(buffer, format="HEIF", exif=_exif(orientation=6).tobytes())
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "HEIF"
    # when processed
    full, thumb = photo_process(_upload(buffer.getvalue(), "IMG_0002.HEIC", "image/heic"))
    # then it is a JPEG, upright once, without metadata
    image = _open(full)
    assert image.format == "JPEG"
    assert image.size == (40, 60)
    _assert_clean(image)
    assert _open(thumb).size == (40, 60)


def test_heic_written_by_pillow_heif_directly_is_accepted():
    buffer = io.BytesIO()
    pillow_heif.from_pillow(_picture((64, 48))).save(buffer, format="HEIF")
    full, _thumb = photo_process(_upload(buffer.getvalue(), "plain.heic", "image/heic"))
    assert _open(full).size == (64, 48)


def test_mpo_from_a_multi_lens_phone_is_accepted():
    # given an MPO (a JPEG with a second frame, as multi-lens phones write), with EXIF
    buffer = io.BytesIO()
    _picture((60, 40)).save(buffer, format="MPO", save_all=True,
                            append_images=[Image.new("RGB", (60, 40), (0, 200, 0))],
                            exif=_exif(orientation=6))
    source = Image.open(io.BytesIO(buffer.getvalue()))
    assert source.format == "MPO" and source.n_frames == 2
    # when processed
    full, _thumb = photo_process(_upload(buffer.getvalue(), "IMG_0003.JPG"))
    # then the first frame is stored, upright, as a plain JPEG without metadata
    image = _open(full)
    assert image.format == "JPEG"
    assert getattr(image, "n_frames", 1) == 1
    assert image.size == (40, 60)
    _assert_clean(image)


def test_png_and_webp_are_accepted_and_large_photos_are_scaled(settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "PHOTO_MAX_SIDE_PX": 100}
    for fmt, name in (("PNG", "a.png"), ("WEBP", "b.webp")):
        buffer = io.BytesIO()
        Image.new("RGBA", (300, 150), (10, 200, 10, 128)).save(buffer, format=fmt)
        full, thumb = photo_process(_upload(buffer.getvalue(), name, "image/" + fmt.lower()))
        assert _open(full).size == (100, 50)
        assert _open(full).mode == "RGB"
        assert _open(thumb).size == (300, 150)  # 480 px thumbnails never upscale


def test_too_large_file_is_refused_naming_the_file_and_the_limit(settings):
    # given the default 15 MB limit and a 15 MB + 1 byte file
    limit = settings.SAFECAMPUS["PHOTO_MAX_BYTES"]
    assert limit == 15 * 1024 * 1024
    upload = _upload(b"\xff" * (limit + 1), "huge.jpg")
    # when processed / then a DomainError names the file, its size and the limit
    with pytest.raises(DomainError) as excinfo:
        photo_process(upload, field="photos")
    error = excinfo.value
    assert error.code == "photo_too_large"
    assert error.message == "huge.jpg is too large (15.1 MB); the limit is 15 MB."
    assert error.field_errors == {"photos": [error.message]}


def test_limit_below_one_megabyte_is_shown_as_such(settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "PHOTO_MAX_BYTES": 512 * 1024}
    with pytest.raises(DomainError) as excinfo:
        photo_process(_upload(b"\xff" * (700 * 1024), "scan.jpg"))
    assert excinfo.value.message == "scan.jpg is too large (0.7 MB); the limit is 0.5 MB."


@pytest.mark.parametrize(("data", "name"), [
    (b"this is not an image", "notes.jpg"),
    (b"%PDF-1.7 not a photo", "form.pdf"),
    (_jpeg(_picture())[:200], "truncated.jpg"),
])
def test_not_an_image_is_refused_with_a_clear_message(data, name):
    with pytest.raises(DomainError) as excinfo:
        photo_process(_upload(data, name), field="photos")
    assert excinfo.value.code == "photo_unreadable"
    assert excinfo.value.message == (
        f"{name} is not a photo we can read; use JPEG, PNG, WebP or HEIC.")


def test_an_image_format_we_do_not_take_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buffer, format="GIF")
    with pytest.raises(DomainError) as excinfo:
        photo_process(_upload(buffer.getvalue(), "anim.gif", "image/gif"))
    assert excinfo.value.message == "anim.gif is not a photo we can read; use JPEG, PNG, WebP or HEIC."


# --- through the report page ---------------------------------------------------------------
@pytest.mark.django_db
def test_report_form_with_a_bad_photo_shows_the_message_and_creates_nothing(org, client):
    from safecampus.hazards.models import Hazard, HazardPhoto

    client.force_login(org.users.student)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages follow the chosen language
    data = {"title": "楼道灭火器缺失", "category": org.fire.pk, "campus": org.campus1.pk,
            "place": org.place_a.pk, "idempotency_key": "bad-photo-1234567",
            "photos": [_upload(_jpeg(_picture()), "good.jpg"),
                       _upload(b"not a picture at all", "holiday.txt", "text/plain")]}
    response = client.post(reverse("hazards:report"), data)
    # then the form is shown again with the message on the photo field, and nothing is written
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["photos"] == [
        "holiday.txt is not a photo we can read; use JPEG, PNG, WebP or HEIC."]
    assert "holiday.txt is not a photo we can read" in response.content.decode()
    assert Hazard.objects.count() == 0
    assert HazardPhoto.objects.count() == 0


@pytest.mark.django_db
def test_stored_hazard_photo_has_no_location(org, client):
    from safecampus.hazards.models import HazardPhoto
    from safecampus.hazards.tests.helpers import reported

    hazard = reported(org, photos=[_upload(_jpeg(_picture(), exif=_exif(orientation=6)), "p.jpg")])
    photo = HazardPhoto.objects.get(hazard=hazard)
    for field in (photo.image, photo.thumbnail):
        with field.open("rb") as handle:
            image = Image.open(io.BytesIO(handle.read()))
            _assert_clean(image)
            assert image.size[0] < image.size[1]  # stored upright
    # and the copy others download through the protected view is the same clean file
    client.force_login(org.users.staff)
    response = client.get(reverse("hazards:photo", args=[photo.pk, "full"]))
    body = b"".join(response.streaming_content)
    _assert_clean(Image.open(io.BytesIO(body)))
