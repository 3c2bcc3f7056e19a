"""The Open311 endpoint against awkward input and moderated rows: control characters in any
parameter or path id (never a 500, on SQLite and PostgreSQL alike), rows holding control
characters still give well-formed XML, hidden text leaks nowhere, and the fields the
specification defines narrowly (updated_datetime, attribute order, media_url, error codes)."""

import datetime as dt
import json

import pytest

from safecampus.community.models import CategoryAttribute, Concern, ConcernCategory
from safecampus.community.services.open311 import api_client_issue
from safecampus.core import clock
from safecampus.tests.factories import photo_upload

from .helpers import NOW, local, submit
from .open311_helpers import (
    as_json,
    as_xml,
    errors_of,
    open311_fixture,  # noqa: F401 (the open311 fixture)
    post,
    xml_items,
)

pytestmark = pytest.mark.django_db(transaction=False)
BASE = "/open311/v2/"


def published(concern, **fields):
    values = {"is_public": True, "published_at": clock.now()}
    values.update(fields)
    Concern.objects.filter(pk=concern.pk).update(**values)
    concern.refresh_from_db()
    return concern


def both_formats(open311, url, params=None):
    """The JSON items and the XML items (parsed with ElementTree) of one GET."""
    json_items = as_json(open311.http.get(f"{BASE}{url}.json", params or {}))
    xml_response = open311.http.get(f"{BASE}{url}.xml", params or {})
    return json_items, xml_items(as_xml(xml_response)), xml_response.content.decode()


# --- hidden text -----------------------------------------------------------------------------
def test_hidden_text_leaves_only_the_place_and_no_media(open311):
    web = published(submit(open311, title="骂人的话", description="不该公开的文字",
                           location_text="3号楼 王小明 宿舍 302", place_id=open311.org.place_a.pk,
                           photos=[photo_upload()]), text_hidden=True)
    post(open311, service_code="parking", address_string="南门 李四家门口",
         description="李四天天乱停车", media_url="https://img.example.com/lisi.jpg")
    app = published(Concern.objects.get(channel="open311"), text_hidden=True)
    secrets = ["不该公开的文字", "骂人的话", "王小明", "宿舍 302", "李四", "lisi.jpg",
               "concern_photo", "/photos/"]
    for params in ({}, {"api_key": open311.key}):
        json_items, xml_list, body = both_formats(open311, "requests", params)
        for items in (json_items, xml_list):
            by_id = {i["service_request_id"]: i for i in items}
            assert by_id[web.number]["address"] == "化学楼 101实验室"
            assert by_id[app.number]["address"] is None
            for item in by_id.values():
                assert item["description"] == "This text was hidden by a moderator."
                assert item["media_url"] is None
        json_body = open311.http.get(BASE + "requests.json", params).content.decode()
        for secret in secrets:
            assert secret not in body and secret not in json_body, secret
    single = as_json(open311.http.get(f"{BASE}requests/{web.number}.json"))
    assert (single[0]["address"], single[0]["media_url"]) == ("化学楼 101实验室", None)


def test_address_is_given_text_even_with_a_position_and_web_photos_are_not_linked(open311):
    post(open311, service_code="parking", lat="34.25", long="108.94", address_string="东门外")
    from_app = published(Concern.objects.get())
    web = published(submit(open311, title="东门停车难", photos=[photo_upload()],
                           place_id=open311.org.place_a.pk))
    json_items, xml_list, _body = both_formats(open311, "requests")
    for items in (json_items, xml_list):
        by_id = {i["service_request_id"]: i for i in items}
        assert by_id[from_app.number]["address"] == "东门外"
        # the photo is served to signed-in readers only: no Open311 client can fetch it
        assert by_id[web.number]["media_url"] is None
        assert by_id[web.number]["address"] == "化学楼 101实验室"


# --- control characters ----------------------------------------------------------------------
def test_nul_in_every_post_parameter_is_dropped(open311):
    data = {"service_code": "light\x00ing", "lat": "34.25\x00", "long": "108.94",
            "address_string": "银杏\x00大道", "address_id": "", "email": "li@exa\x00mple.edu.cn",
            "device_id": "ios\x00", "account_id": "a\x00-1", "first_name": "小\x00明",
            "last_name": "李", "phone": "138\x0000000000", "description": "路灯\x00坏了\x01",
            "media_url": "https://img.example.com/\x00a.jpg", "attribute[ro\x00ad]": "银杏\x00大道",
            "attribute[when]": "night\x00", "jurisdiction_id": "safe\x00campus"}
    response = post(open311, **data)
    assert response.status_code == 200, response.content
    concern = Concern.objects.get()
    assert (concern.category.code, str(concern.latitude), concern.location_text) == (
        "lighting", "34.250000", "银杏大道")
    assert (concern.contact_email, concern.device_id, concern.account_id, concern.contact_name,
            concern.contact_phone) == ("li@example.edu.cn", "ios", "a-1", "李小明",
                                       "13800000000")
    assert (concern.description, concern.media_url) == ("路灯坏了",
                                                        "https://img.example.com/a.jpg")
    assert concern.attributes == {"road": "银杏大道", "when": "night"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_nul_in_get_parameters_and_path_ids_is_never_a_server_error(open311, fmt):
    cases = [
        (f"requests.{fmt}", {"service_code": "a\x00"}, 404, "No service has the code “a”."),
        (f"requests.{fmt}", {"start_date": "2026-06-01T00:00:00\x00+08:00"}, 200, None),
        (f"requests.{fmt}", {"status": "op\x00en"}, 200, None),
        (f"requests.{fmt}", {"service_request_id": "SQ\x00"}, 200, None),
        (f"requests.{fmt}", {"api_key": open311.key + "\x00"}, 200, None),
        (f"requests/SQ%00.{fmt}", {}, 404, "No service request has the id “SQ”."),
        (f"services/a%00.{fmt}", {}, 404, "No service has the code “a”."),
        (f"services/lighting%00.{fmt}", {}, 200, None),
    ]
    for url, params, status, message in cases:
        response = open311.http.get(BASE + url, params)
        assert response.status_code == status, (url, params)
        if message:
            assert errors_of(response, fmt) == [(status, message)], (url, params)


def test_rows_holding_control_characters_still_give_well_formed_xml(open311):
    concern = published(submit(open311, title="路灯坏了"))
    # Stored before input was cleaned.
    Concern.objects.filter(pk=concern.pk).update(
        description="路灯\x0b坏了\x01", location_text="东门\x1b外", answer="已\x08处理")
    root = as_xml(open311.http.get(BASE + "requests.xml"))
    (item,) = xml_items(root)
    assert (item["description"], item["address"], item["status_notes"]) == (
        "路灯坏了", "东门外", "已处理")
    root = as_xml(open311.http.get(f"{BASE}requests/{concern.number}.xml"))
    assert xml_items(root)[0]["description"] == "路灯坏了"
    ConcernCategory.objects.filter(pk=open311.parking.pk).update(description="车位\x0c不足")
    root = as_xml(open311.http.get(BASE + "services.xml"))
    assert xml_items(root)[0]["description"] == "车位不足"


# --- fields the specification defines narrowly -----------------------------------------------
def test_updated_datetime_is_the_close_time_once_closed(open311):
    concern = published(submit(open311, title="路灯坏了"))
    # Any later change of the open request (its row's write time).
    Concern.objects.filter(pk=concern.pk).update(updated_at=NOW + dt.timedelta(hours=3))
    (item,) = as_json(open311.http.get(BASE + "requests.json"))
    assert item["updated_datetime"] == "2026-06-16T13:00:00+08:00"
    Concern.objects.filter(pk=concern.pk).update(
        state="closed", resolution="answered", answered_at=local(2026, 6, 16, 15),
        closed_at=local(2026, 6, 16, 15), rated_at=local(2026, 6, 18, 9),
        updated_at=local(2026, 6, 18, 9))
    for fmt in ("json", "xml"):
        response = open311.http.get(f"{BASE}requests/{concern.number}.{fmt}")
        item = as_json(response)[0] if fmt == "json" else xml_items(as_xml(response))[0]
        assert item["updated_datetime"] == "2026-06-16T15:00:00+08:00"


def test_attribute_order_is_the_position_whatever_the_stored_keys(open311):
    category = ConcernCategory.objects.create(code="dorm", name="宿舍安全")
    for code, order in (("kinds", 0), ("floor", 5), ("room", 5), ("note", 2)):
        CategoryAttribute.objects.create(category=category, code=code, description=code,
                                         datatype="string", order=order)
    data = as_json(open311.http.get(BASE + "services/dorm.json"))
    assert [(a["code"], a["order"]) for a in data["attributes"]] == [
        ("kinds", 1), ("note", 2), ("floor", 3), ("room", 4)]
    root = as_xml(open311.http.get(BASE + "services/dorm.xml"))
    assert [a.find("order").text for a in root.find("attributes")] == ["1", "2", "3", "4"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_idempotency_key_of_another_client_is_400(open311, fmt):
    _other, other_key = api_client_issue(actor=open311.users.admin, name="另一个应用")
    headers = {"Idempotency-Key": "shared-retry-0001"}
    first = post(open311, fmt, service_code="parking", address_string="南门", headers=headers)
    assert first.status_code == 200
    response = post(open311, fmt, key=other_key, service_code="parking",
                    address_string="北门", headers=headers)
    assert response.status_code == 400
    assert errors_of(response, fmt) == [
        (400, "This request key was already used by someone else; reload the form.")]
    assert Concern.objects.count() == 1


FORM_ONLY = ("The request body must be form-encoded (application/x-www-form-urlencoded or "
             "multipart/form-data), as GeoReport v2 requires; a body sent as %s is not read.")


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_a_body_that_is_not_form_encoded_is_400_saying_so(open311, fmt, content_type):
    # Given a client that sends its parameters, key included, as a JSON body
    body = json.dumps({"api_key": open311.key, "service_code": "parking",
                       "address_string": "南门", "description": "有车堵住消防通道"})
    # When it POSTs them
    response = open311.http.post(f"{BASE}requests.{fmt}", body, content_type=content_type)
    # Then it is told the body must be form-encoded (not that the key is missing)
    assert response.status_code == 400
    assert errors_of(response, fmt) == [(400, FORM_ONLY % content_type)]
    assert not Concern.objects.filter(channel="open311").exists()


def test_form_bodies_of_both_kinds_are_read(open311):
    # urlencoded (the helper) and multipart (Django's test client default) both create
    urlencoded = open311.http.post(
        f"{BASE}requests.json", f"api_key={open311.key}&service_code=parking&address_string=N",
        content_type="application/x-www-form-urlencoded")
    assert urlencoded.status_code == 200, urlencoded.content
    assert post(open311, service_code="parking", address_string="南门").status_code == 200
    assert Concern.objects.filter(channel="open311").count() == 2
    # and a POST with no body at all still hears that the key is missing
    empty = open311.http.post(f"{BASE}requests.json", "", content_type="")
    assert errors_of(empty) == [(403, "An api_key is required to create a request.")]
