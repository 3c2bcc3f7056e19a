"""Uploaded files through django-storages' S3Storage, configured exactly as production
settings configure it, against an S3-compatible server on loopback (moto): photos are
stored as private objects and read back only through SafeCampus's permission-checked views."""

import datetime as dt
import io
import json

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from safecampus.core import clock
from safecampus.hazards.models import Hazard
from safecampus.organisation import roster_import
from safecampus.organisation.campus_maps import campus_map_upload
from safecampus.tests.factories import photo_upload

from .test_settings import REQUIRED, _load

pytestmark = pytest.mark.django_db
BUCKET = "safecampus-media-test"
KEYS = {"AWS_ACCESS_KEY_ID": "testing-key", "AWS_SECRET_ACCESS_KEY": "testing-secret",
        "AWS_S3_REGION_NAME": "us-east-1"}


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def production_s3_storage(s3_server, tmp_path_factory) -> dict:
    """STORAGES["default"] as config.settings.production builds it for this server."""
    result = _load(tmp_path_factory.mktemp("s3"), **REQUIRED, **KEYS,
                   SAFECAMPUS_MEDIA_STORAGE="s3", AWS_STORAGE_BUCKET_NAME=BUCKET,
                   AWS_S3_ENDPOINT_URL=s3_server)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["media"]


@pytest.fixture
def bucket(settings, s3_server, production_s3_storage):
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                          aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"])
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": production_s3_storage}
    assert default_storage.exists("nothing-here") is False  # the lazy storage is built now
    assert type(default_storage._wrapped).__name__ == "S3Storage"
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client, prefix: str) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def _gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 40.0, 0.0), 3: "E", 4: (104.0, 4.0, 0.0)}  # GPS
    return exif


def test_a_hazard_photo_is_a_private_object_served_only_to_those_who_may_see_it(client, org,
                                                                                 bucket):
    # given production's S3 storage, a student reports a hazard with a phone photo (GPS in EXIF)
    client.force_login(org.users.student)
    response = client.post(reverse("hazards:report"), {
        "title": "消防通道堆放杂物", "category": org.fire.pk, "campus": org.campus1.pk,
        "building": org.building_a.pk, "place": org.place_a.pk, "location_text": "一楼东侧",
        "photos": [photo_upload("IMG_0001.jpg", size=(800, 600), exif=_gps_exif())]})
    assert response.status_code == 302
    hazard = Hazard.objects.get(title="消防通道堆放杂物")
    photo = hazard.photos.get()
    # then both copies are objects in the bucket, readable by the bucket's owner only
    stored = _keys(bucket, "hazards/")
    assert sorted(stored) == sorted([photo.image.name, photo.thumbnail.name])
    for key in stored:
        grants = bucket.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
        assert all(g["Grantee"]["Type"] == "CanonicalUser" for g in grants)
    # and the reporter's photo view reads them back from S3: upright JPEG, no GPS, no make
    for size in ("full", "thumb"):
        served = client.get(reverse("hazards:photo", args=[photo.pk, size]))
        assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
        image = Image.open(io.BytesIO(b"".join(served.streaming_content)))
        assert image.format == "JPEG"
        assert 0x8825 not in image.getexif() and 0x010F not in image.getexif()
    assert Image.open(io.BytesIO(b"".join(client.get(reverse(
        "hazards:photo", args=[photo.pk, "full"])).streaming_content))).size == (800, 600)
    # and someone who may not see the hazard gets nothing
    client.force_login(org.users.student2)
    assert client.get(reverse("hazards:photo", args=[photo.pk, "full"])).status_code == 404


def test_a_campus_map_is_stored_in_s3_and_served_by_its_view(client, org, bucket):
    # given an office administrator uploads a campus map
    buffer = io.BytesIO()
    Image.new("RGB", (640, 320), (30, 120, 60)).save(buffer, format="PNG")
    campus_map_upload(actor=org.users.admin, campus_id=org.campus1.pk,
                      upload=ContentFile(buffer.getvalue(), name="north.png"))
    org.campus1.refresh_from_db()
    # then it is an object in the bucket and the map view serves it from there
    assert _keys(bucket, "campus-maps/") == [org.campus1.map_image.name]
    client.force_login(org.users.student)
    served = client.get(reverse("organisation:campus_map", args=[org.campus1.pk]))
    assert served.status_code == 200
    assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (640, 320)


def test_the_roster_upload_sweep_finds_old_files_in_s3(org, bucket):
    # given two files left in the roster upload folder of S3 (which has no real folders)
    default_storage.save(f"{roster_import.UPLOAD_FOLDER}/u1/old.csv", ContentFile(b"a,b\n"))
    default_storage.save(f"{roster_import.UPLOAD_FOLDER}/u1/old.json", ContentFile(b"{}"))
    # when the sweep runs long after the files' age limit
    later = clock.now() + roster_import.UPLOAD_MAX_AGE + dt.timedelta(hours=1)
    # then both are deleted
    assert roster_import.roster_uploads_sweep(now=later) == 2
    assert _keys(bucket, roster_import.UPLOAD_FOLDER) == []


def test_earlier_roster_uploads_are_dropped_from_s3(org, bucket):
    # given a person's earlier roster upload and its record in S3
    default_storage.save(f"{roster_import.UPLOAD_FOLDER}/u7/a.xlsx", ContentFile(b"x"))
    default_storage.save(f"{roster_import.UPLOAD_FOLDER}/u7/a.json", ContentFile(b"{}"))
    default_storage.save(f"{roster_import.UPLOAD_FOLDER}/u8/b.json", ContentFile(b"{}"))
    # when they upload again / then their earlier files go, another person's stay
    roster_import._drop_open_uploads(7)
    assert _keys(bucket, roster_import.UPLOAD_FOLDER) == [f"{roster_import.UPLOAD_FOLDER}/u8/b.json"]
