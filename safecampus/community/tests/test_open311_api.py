"""The Open311 GeoReport v2 endpoint: every method in JSON and XML against the
specification's fields, every error, which requests a caller sees, and that no output
names the submitter or their contact details."""

import datetime as dt
import hashlib
import re

import pytest

from safecampus.community.models import CategoryAttribute, Concern, ConcernCategory
from safecampus.core import clock
from safecampus.hazards.models import Hazard

from .helpers import NOW, local, submit
from .open311_helpers import (
    ATTRIBUTE_FIELDS,
    REQUEST_FIELDS,
    SERVICE_FIELDS,
    as_json,
    as_xml,
    errors_of,
    open311_fixture,  # noqa: F401 (the open311 fixture)
    post,
    xml_items,
)

pytestmark = pytest.mark.django_db(transaction=False)
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
BASE = "/open311/v2/"


def lighting_post(o, fmt="json", **extra):
    data = {"service_code": "lighting", "lat": "34.250001", "long": "108.940002",
            "description": "银杏大道路灯不亮，晚上很黑。", "attribute[road]": "银杏大道",
            "attribute[lamps]": "3", "attribute[when]": "night"}
    data.update(extra)
    return post(o, fmt, **data)


def published(concern, **fields):
    """The office published ``concern`` (with an answer): what the board shows."""
    values = {"is_public": True, "published_at": clock.now()}
    values.update(fields)
    Concern.objects.filter(pk=concern.pk).update(**values)
    concern.refresh_from_db()
    return concern


# --- discovery and services ------------------------------------------------------------------
def test_discovery_in_both_formats(open311):
    data = as_json(open311.http.get(BASE + "discovery.json"))
    assert set(data) == {"changeset", "contact", "key_service", "endpoints"}
    assert W3C.match(data["changeset"])
    (endpoint,) = data["endpoints"]
    assert endpoint == {"specification": "http://wiki.open311.org/GeoReport_v2",
                        "url": "http://127.0.0.1:8000/open311/v2",
                        "changeset": data["changeset"], "type": "production",
                        "formats": ["application/json", "text/xml"]}
    root = as_xml(open311.http.get(BASE + "discovery.xml"))
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    formats = [f.text for f in root.find("endpoints/endpoint/formats")]
    assert formats == ["application/json", "text/xml"]
    assert root.find("endpoints/endpoint/specification").text == (
        "http://wiki.open311.org/GeoReport_v2")


def test_services_list_every_field(open311):
    ConcernCategory.objects.filter(pk=open311.parking.pk).update(
        description="停车位不足、乱停车", keywords="停车,车位")
    ConcernCategory.objects.create(code="retired", name="已停用", is_active=False)
    data = as_json(open311.http.get(BASE + "services.json"))
    assert [list(s) for s in data] == [SERVICE_FIELDS] * 3
    assert data[0] == {"service_code": "parking", "service_name": "Parking",
                       "description": "停车位不足、乱停车", "metadata": False,
                       "type": "realtime", "keywords": "停车,车位", "group": "交通"}
    assert [(s["service_code"], s["metadata"]) for s in data] == [
        ("parking", False), ("lighting", True), ("fire-exit", False)]
    root = as_xml(open311.http.get(BASE + "services.xml"))
    assert root.tag == "services" and [s.tag for s in root] == ["service"] * 3
    items = xml_items(root)
    assert [list(i) for i in items] == [SERVICE_FIELDS] * 3
    assert items[1]["metadata"] == "true" and items[1]["type"] == "realtime"
    assert items[0]["keywords"] == "停车,车位" and items[1]["group"] is None


def test_service_name_is_chinese_by_default(open311):
    data = as_json(open311.http.get(BASE + "services.json", HTTP_ACCEPT_LANGUAGE="zh-CN"))
    assert data[0]["service_name"] == "停车难"


def test_service_definition_every_field(open311):
    data = as_json(open311.http.get(BASE + "services/lighting.json"))
    assert list(data) == ["service_code", "attributes"] and data["service_code"] == "lighting"
    assert [list(a) for a in data["attributes"]] == [ATTRIBUTE_FIELDS] * 3
    assert data["attributes"][0] == {
        "variable": True, "code": "road", "datatype": "string", "required": True,
        "datatype_description": None, "order": 1, "description": "哪条路", "values": []}
    assert data["attributes"][2]["values"] == [{"key": "evening", "name": "傍晚"},
                                               {"key": "night", "name": "深夜"}]
    root = as_xml(open311.http.get(BASE + "services/lighting.xml"))
    assert root.tag == "service_definition"
    attributes = root.find("attributes")
    assert [a.tag for a in attributes] == ["attribute"] * 3
    when = attributes[2]
    assert [c.tag for c in when] == ATTRIBUTE_FIELDS
    assert when.find("required").text == "false" and when.find("variable").text == "true"
    assert [(v.find("key").text, v.find("name").text) for v in when.find("values")] == [
        ("evening", "傍晚"), ("night", "深夜")]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_code_is_404(open311, fmt):
    response = open311.http.get(f"{BASE}services/potholes.{fmt}")
    assert response.status_code == 404
    assert errors_of(response, fmt) == [(404, "No service has the code “potholes”.")]


def test_bad_format_suffix_is_404(open311):
    for url in ("services.csv", "requests.html", "discovery.yaml", "services/lighting.txt"):
        response = open311.http.get(BASE + url)
        assert response.status_code == 404, url
        assert errors_of(response, "xml")[0][0] == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_other_jurisdiction_is_404_and_ours_is_fine(open311, fmt):
    response = open311.http.get(f"{BASE}services.{fmt}", {"jurisdiction_id": "la.gov"})
    assert response.status_code == 404
    assert errors_of(response, fmt) == [(404, "Unknown jurisdiction_id “la.gov”.")]
    assert open311.http.get(f"{BASE}services.{fmt}", {"jurisdiction_id": "safecampus"}
                            ).status_code == 200
    response = lighting_post(open311, fmt, jurisdiction_id="elsewhere")
    assert response.status_code == 404 and not Concern.objects.exists()


def test_wrong_method_is_400_as_the_specification_says(open311):
    # GeoReport v2 answers 403, 404 and "400 for everything else": no 405.
    response = open311.http.post(BASE + "services.json")
    assert response.status_code == 400 and response["Allow"] == "GET"
    assert errors_of(response) == [(400, "This method takes GET only.")]
    response = open311.http.put(BASE + "requests.xml")
    assert response.status_code == 400 and response["Allow"] == "GET, POST"
    assert errors_of(response, "xml") == [(400, "This method takes GET, POST only.")]


# --- POST requests ---------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_creates_a_concern(open311, fmt):
    response = lighting_post(open311, fmt, email="li@example.edu.cn", first_name="小明",
                             last_name="李", phone="13800000000", device_id="ios-7f3a",
                             account_id="u-991", address_string="银杏大道北段",
                             media_url="https://img.example.com/a.jpg")
    assert response.status_code == 200
    concern = Concern.objects.get()
    expected = {"service_request_id": "SQ-2026-000001",
                "service_notice": "The security office answers within 5 working days.",
                "account_id": "u-991"}
    if fmt == "json":
        assert as_json(response) == [expected]
    else:
        root = as_xml(response)
        assert root.tag == "service_requests" and [r.tag for r in root] == ["request"]
        assert xml_items(root) == [expected]
    assert (concern.channel, concern.api_client, concern.submitter) == (
        "open311", open311.client, None)
    assert concern.attributes == {"road": "银杏大道", "lamps": "3", "when": "night"}
    assert (str(concern.latitude), str(concern.longitude)) == ("34.250001", "108.940002")
    assert (concern.contact_name, concern.contact_email, concern.contact_phone) == (
        "李小明", "li@example.edu.cn", "13800000000")
    assert (concern.device_id, concern.account_id, concern.location_text, concern.media_url) == (
        "ios-7f3a", "u-991", "银杏大道北段", "https://img.example.com/a.jpg")


def test_post_multivalued_attribute(open311):
    category = ConcernCategory.objects.create(code="dorm", name="宿舍安全")
    CategoryAttribute.objects.create(
        category=category, code="kinds", description="哪些问题", datatype="multivaluelist",
        required=True, values=[{"key": "lock", "name": "门锁"}, {"key": "wire", "name": "私拉电线"},
                               {"key": "stove", "name": "违章电器"}])
    response = open311.http.post(BASE + "requests.json", {
        "api_key": open311.key, "service_code": "dorm", "address_string": "东区3号楼",
        "attribute[kinds][]": ["wire", "stove"], "description": "楼道有人私拉电线"})
    assert response.status_code == 200
    assert Concern.objects.get().attributes == {"kinds": ["wire", "stove"]}
    response = open311.http.post(BASE + "requests.json", {
        "api_key": open311.key, "service_code": "dorm", "address_string": "东区3号楼",
        "attribute[kinds][]": ["wire", "gas"], "description": "楼道有煤气罐"})
    assert response.status_code == 400
    assert errors_of(response) == [
        (400, "attribute[kinds]: “gas” is not one of the choices of “哪些问题”.")]


def test_post_address_id_and_hazard_category_goes_to_the_hazard_loop(open311):
    from safecampus.hazards.models import RoutingRule

    # Fire hazards on the north campus are the logistics department's.
    RoutingRule.objects.create(category=open311.org.fire, campus=open311.org.campus1,
                               unit=open311.org.logistics)
    response = post(open311, service_code="fire-exit", address_id="a1-101",
                    description="化学楼101门口消防通道堆满纸箱")
    assert response.status_code == 200
    concern = Concern.objects.get()
    hazard = Hazard.objects.get(pk=concern.hazard_id)
    assert concern.state == Concern.State.HAZARD and hazard.reporter == open311.client.user
    published(concern)
    (out,) = as_json(open311.http.get(BASE + "requests.json"))
    assert out["status"] == "open" and out["address_id"] == "a1-101"
    assert out["agency_responsible"] == "后勤保障部"
    assert out["address"] == "化学楼 101实验室"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_key_missing_invalid_or_revoked_is_403(open311, fmt):
    from safecampus.community.services.open311 import api_client_revoke

    response = lighting_post(open311, fmt, api_key="")
    assert response.status_code == 403
    assert errors_of(response, fmt) == [(403, "An api_key is required to create a request.")]
    response = lighting_post(open311, fmt, key="x" * 43)
    assert response.status_code == 403
    assert errors_of(response, fmt) == [(403, "The api_key is not valid or was revoked.")]
    api_client_revoke(actor=open311.users.admin, client_id=open311.client.pk)
    response = lighting_post(open311, fmt)
    assert response.status_code == 403
    assert errors_of(response, fmt) == [(403, "The api_key is not valid or was revoked.")]
    assert not Concern.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_bad_input_is_400_and_nothing_is_stored(open311, fmt):
    cases = [
        ({"service_code": ""}, [(400, "service_code: Give a service_code.")]),
        ({"attribute[road]": ""}, [(400, "attribute[road]: Answer “哪条路”.")]),
        ({"lat": "", "long": ""},
         [(400, "lat: Give a position (lat and long), an address_string or an address_id.")]),
        ({"lat": "north"}, [(400, "lat: Give the position as decimal degrees, e.g. 34.2583.")]),
        ({"long": "200"},
         [(400, "long: Give the longitude as decimal degrees between -180 and 180.")]),
        ({"long": ""}, [(400, "long: Give both the latitude and the longitude.")]),
        ({"email": "not-an-address"}, [(400, "email: Give a valid e-mail address.")]),
        ({"address_id": "zz-9"}, [(400, "address_id: No building or place has the code “zz-9”.")]),
        ({"media_url": "ftp://x/y.jpg"},
         [(400, "media_url: Give the media link as an http or https address.")]),
        ({"description": "长" * 5001}, [(400, "description: At most 5000 characters.")]),
        ({"attribute[lamps]": "many", "attribute[when]": "noon"},
         [(400, "attribute[lamps]: “几盏灯不亮” needs a number."),
          (400, "attribute[when]: “noon” is not one of the choices of “什么时段”.")]),
    ]
    for data, expected in cases:
        response = lighting_post(open311, fmt, **data)
        assert response.status_code == 400, data
        assert errors_of(response, fmt) == expected, data
    response = lighting_post(open311, fmt, service_code="potholes")
    assert response.status_code == 404
    assert errors_of(response, fmt) == [(404, "No service has the code “potholes”.")]
    assert not Concern.objects.exists()


def test_post_errors_in_chinese_by_default(open311):
    response = open311.http.post(BASE + "requests.json", {
        "api_key": open311.key, "service_code": "lighting", "address_string": "银杏大道",
        "description": "路灯不亮"}, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 400
    assert errors_of(response) == [(400, "attribute[road]: 请回答“哪条路”。")]


def test_post_with_the_same_idempotency_key_creates_one(open311):
    first = lighting_post(open311, headers={"Idempotency-Key": "retry-0001-abcd"})
    again = lighting_post(open311, headers={"Idempotency-Key": "retry-0001-abcd"})
    assert as_json(first) == as_json(again) and Concern.objects.count() == 1


# --- GET requests ----------------------------------------------------------------------------
def _fields_ok(item: dict) -> None:
    assert list(item) == REQUEST_FIELDS
    for name in ("requested_datetime", "updated_datetime"):
        assert W3C.match(item[name]), item[name]
    assert item["expected_datetime"] is None or W3C.match(item["expected_datetime"])
    assert item["status"] in ("open", "closed")


def test_get_requests_json_fields(open311):
    lighting_post(open311, media_url="https://img.example.com/a.jpg", address_string="银杏大道")
    concern = Concern.objects.get()
    # updated_datetime of an open request is its row's write time (the database's clock).
    Concern.objects.filter(pk=concern.pk).update(updated_at=NOW + dt.timedelta(minutes=5))
    (item,) = as_json(open311.http.get(BASE + "requests.json", {"api_key": open311.key}))
    _fields_ok(item)
    assert item == {
        "service_request_id": concern.number, "status": "open",
        "status_notes": "Awaiting the office", "service_name": "Road lighting",
        "service_code": "lighting", "description": "银杏大道路灯不亮，晚上很黑。",
        "agency_responsible": "党委保卫部（保卫处）",
        "service_notice": "The security office answers within 5 working days.",
        "requested_datetime": "2026-06-16T10:00:00+08:00",
        "updated_datetime": "2026-06-16T10:05:00+08:00",
        # five working days: 端午节 (Fri 19 June 2026) is a holiday
        "expected_datetime": "2026-06-24T23:59:59+08:00",
        "address": "银杏大道", "address_id": None, "zipcode": None,
        "lat": 34.250001, "long": 108.940002, "media_url": "https://img.example.com/a.jpg"}


def test_get_requests_xml_fields_and_closed_status(open311):
    lighting_post(open311)
    concern = Concern.objects.get()
    Concern.objects.filter(pk=concern.pk).update(
        state="closed", resolution="fixed", answer="已更换灯泡。", answered_at=local(2026, 6, 16, 15),
        closed_at=local(2026, 6, 16, 15), handling_unit=open311.org.unit_b)
    root = as_xml(open311.http.get(BASE + "requests.xml", {"api_key": open311.key}))
    assert root.tag == "service_requests" and [r.tag for r in root] == ["request"]
    (item,) = xml_items(root)
    assert list(item) == REQUEST_FIELDS
    assert (item["status"], item["status_notes"], item["service_notice"]) == (
        "closed", "已更换灯泡。", "Fixed at once")
    assert item["agency_responsible"] == open311.org.unit_b.name
    assert item["expected_datetime"] is None and item["zipcode"] is None
    assert item["updated_datetime"] == "2026-06-16T15:00:00+08:00"
    assert (item["lat"], item["long"]) == ("34.250001", "108.940002")


def test_visibility_without_and_with_a_key(open311):
    from safecampus.community.services.open311 import api_client_issue

    other, other_key = api_client_issue(actor=open311.users.admin, name="另一个应用")
    lighting_post(open311)  # the client's own, not public
    own = Concern.objects.get()
    board = published(submit(open311, title="东门停车难"))
    post(open311, key=other_key, service_code="parking", address_string="南门",
         description="别的应用的诉求")
    foreign = Concern.objects.get(api_client=other)
    hidden_web = submit(open311, title="没有公开的诉求")

    def ids(**params):
        return [r["service_request_id"] for r in as_json(
            open311.http.get(BASE + "requests.json", params))]

    assert ids() == [board.number]
    assert ids(api_key=open311.key) == [board.number, own.number]
    assert ids(api_key=other_key) == [foreign.number, board.number]
    everything = ",".join([own.number, board.number, foreign.number, hidden_web.number])
    assert ids(service_request_id=everything) == [board.number]
    assert ids(service_request_id=everything, api_key=open311.key) == [board.number,
                                                                        own.number]
    for number, key, status in ((own.number, "", 404), (own.number, open311.key, 200),
                                (foreign.number, open311.key, 404),
                                (hidden_web.number, open311.key, 404),
                                (board.number, "", 200)):
        params = {"api_key": key} if key else {}
        response = open311.http.get(f"{BASE}requests/{number}.json", params)
        assert response.status_code == status, (number, key)
    response = open311.http.get(f"{BASE}requests/SQ-2026-999999.xml")
    assert errors_of(response, "xml") == [(404, "No service request has the id “SQ-2026-999999”.")]
    response = open311.http.get(BASE + "requests.json", {"api_key": "wrong" * 8})
    assert response.status_code == 403


def test_single_request_in_both_formats(open311):
    board = published(submit(open311, title="东门停车难"), answer="已增设临时车位。")
    data = as_json(open311.http.get(f"{BASE}requests/{board.number}.json"))
    assert len(data) == 1 and list(data[0]) == REQUEST_FIELDS
    assert data[0]["status_notes"] == "已增设临时车位。"
    assert data[0]["address"] is None and data[0]["lat"] is None
    root = as_xml(open311.http.get(f"{BASE}requests/{board.number}.xml"))
    assert root.tag == "service_requests"
    assert xml_items(root)[0]["service_request_id"] == board.number


def test_no_submitter_or_contact_in_any_output(open311):
    student = open311.users.student
    student.full_name = "张同学"
    student.save()
    published(submit(open311, title="宿舍楼门禁坏了", is_anonymous=False))
    published(submit(open311, title="匿名反映的问题", is_anonymous=True))
    lighting_post(open311, email="li@example.edu.cn", first_name="小明", last_name="李",
                  phone="13811112222", device_id="ios-device-7f3a", account_id="acct-991")
    published(Concern.objects.get(channel="open311"))
    secrets = ["张同学", student.username, "li@example.edu.cn", "李小明", "小明", "13811112222",
               "ios-device-7f3a", "acct-991", open311.client.user.username]
    for fmt in ("json", "xml"):
        for params in ({}, {"api_key": open311.key}):
            body = open311.http.get(f"{BASE}requests.{fmt}", params).content.decode()
            assert body.count("<request>") == 3 or fmt == "json"
            for secret in secrets:
                assert secret not in body, (fmt, secret)


def test_hidden_text_is_replaced(open311):
    concern = published(submit(open311, title="骂人的话", description="不该公开的文字"),
                        text_hidden=True)
    (item,) = as_json(open311.http.get(BASE + "requests.json"))
    assert item["service_request_id"] == concern.number
    assert item["description"] == "This text was hidden by a moderator."
    assert "不该公开的文字" not in open311.http.get(BASE + "requests.xml").content.decode()


def test_filters_dates_codes_status_and_default_window(open311):
    old = published(submit(open311, title="很久以前"))
    Concern.objects.filter(pk=old.pk).update(submitted_at=NOW - dt.timedelta(days=100))
    parking = published(submit(open311, title="停车"))
    lighting_post(open311)
    light = published(Concern.objects.get(channel="open311"))
    Concern.objects.filter(pk=light.pk).update(state="closed", resolution="answered",
                                               closed_at=NOW)

    def ids(**params):
        response = open311.http.get(BASE + "requests.json", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in as_json(response)]

    assert ids() == [light.number, parking.number]  # newest first, last 90 days
    # only start_date: its 90 days (to 1 April)
    assert ids(start_date="2026-01-01T00:00:00+08:00") == [old.number]
    assert ids(start_date="2026-04-01T00:00:00+08:00") == [light.number, parking.number]
    assert ids(start_date="2026-01-01T00:00:00Z", end_date="2026-04-01T00:00:00Z") == [
        old.number]
    assert ids(service_code="lighting") == [light.number]
    assert ids(service_code="lighting,parking") == [light.number, parking.number]
    assert ids(status="open") == [parking.number]
    assert ids(status="closed") == [light.number]
    assert ids(status="open,closed") == [light.number, parking.number]


def test_list_is_capped(open311, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "OPEN311_LIST_MAX": 2}
    made = [published(submit(open311, title=f"第{n}条")) for n in range(3)]
    assert [r["service_request_id"] for r in as_json(open311.http.get(BASE + "requests.json"))
            ] == [made[2].number, made[1].number]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_bad_parameters(open311, fmt):
    cases = [
        ({"start_date": "yesterday"},
         400, "start_date must be a W3C date and time with its offset, e.g. "
              "2026-05-01T14:30:00+08:00."),
        ({"end_date": "2026-06-01T10:00:00"},
         400, "end_date must be a W3C date and time with its offset, e.g. "
              "2026-05-01T14:30:00+08:00."),
        ({"start_date": "0001-01-01T00:00:00+14:00"},
         400, "start_date must be a W3C date and time with its offset, e.g. "
              "2026-05-01T14:30:00+08:00."),
        ({"end_date": "0001-01-02T00:00:00Z"},
         400, "end_date must be a W3C date and time with its offset, e.g. "
              "2026-05-01T14:30:00+08:00."),
        ({"start_date": "2026-06-02T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"},
         400, "end_date is before start_date."),
        ({"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-04-01T00:00:01+08:00"},
         400, "start_date and end_date may not span more than 90 days."),
        ({"status": "pending"}, 400, "status must be open, closed or both (comma-separated)."),
        ({"service_code": "potholes"}, 404, "No service has the code “potholes”."),
        ({"service_request_id": ",".join(str(n) for n in range(1001))},
         400, "At most 1000 service_request_id values at once."),
    ]
    for params, status, message in cases:
        response = open311.http.get(f"{BASE}requests.{fmt}", params)
        assert response.status_code == status, params
        assert errors_of(response, fmt) == [(status, message)], params


def test_get_requests_query_count_does_not_grow(open311, django_assert_num_queries):
    for n in range(3):
        published(submit(open311, title=f"第{n}条"))
    open311.http.get(BASE + "requests.json", {"api_key": open311.key})  # last_used_at set
    # key, concerns with their joins, the working-day calendar of their day
    with django_assert_num_queries(3):
        open311.http.get(BASE + "requests.json", {"api_key": open311.key})
    for n in range(5):  # other days, other categories: still one calendar
        concern = published(submit(open311, title=f"又一条{n}", category="lighting",
                                   attributes={"road": "银杏大道"}))
        Concern.objects.filter(pk=concern.pk).update(
            submitted_at=NOW - dt.timedelta(days=n + 1))
    with django_assert_num_queries(3):
        response = open311.http.get(BASE + "requests.json", {"api_key": open311.key})
    assert len(as_json(response)) == 8
    with django_assert_num_queries(2):
        open311.http.get(BASE + "requests.xml")


def test_key_last_used_at_written_at_most_once_a_minute(open311):
    assert open311.client.last_used_at is None
    open311.http.get(BASE + "requests.json", {"api_key": open311.key})
    open311.client.refresh_from_db()
    assert open311.client.last_used_at == NOW
    with clock.frozen(NOW + dt.timedelta(seconds=59)):
        open311.http.get(BASE + "requests.json", {"api_key": open311.key})
    open311.client.refresh_from_db()
    assert open311.client.last_used_at == NOW
    with clock.frozen(NOW + dt.timedelta(seconds=61)):
        lighting_post(open311)
    open311.client.refresh_from_db()
    assert open311.client.last_used_at == NOW + dt.timedelta(seconds=61)


def test_key_is_stored_only_as_its_digest(open311):
    client = open311.client
    assert client.key_hash == hashlib.sha256(open311.key.encode()).hexdigest()
    assert client.key_prefix == open311.key[:8] and len(open311.key) == 43
    from django.forms.models import model_to_dict

    assert open311.key not in str(model_to_dict(client))

