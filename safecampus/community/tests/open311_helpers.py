"""Fixtures of the Open311 tests: an issued client key, and helpers that call the endpoint
and read its JSON or XML answers."""

import json
from types import SimpleNamespace
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from safecampus.community.services import open311 as open311_services

#: The fields of one request of GET requests, in the specification's order.
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
    "media_url",
]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group"]
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description",
                    "order", "description", "values"]


@pytest.fixture(name="open311")
def open311_fixture(community):
    """The community fixture plus an Open311 client ("随手拍") issued by the office
    administrator, its key, and an English-speaking HTTP client."""
    client, key = open311_services.api_client_issue(
        actor=community.users.admin, name="随手拍", contact="信息中心")
    http = Client(HTTP_ACCEPT_LANGUAGE="en")
    return SimpleNamespace(**vars(community), client=client, key=key, http=http)


def post(o, fmt="json", *, key=None, headers=None, **data):
    """POST requests.<fmt> with ``data`` (form-encoded) and the fixture's key (``key=""``:
    none); ``headers``: extra HTTP headers."""
    payload = {"api_key": o.key if key is None else key, **data}
    if payload["api_key"] == "":
        payload.pop("api_key")
    return o.http.post(f"/open311/v2/requests.{fmt}", payload, headers=headers or {})


def as_json(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content.decode("utf-8"))


def as_xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(response.content)


def xml_items(root: ET.Element) -> list[dict]:
    """The children of ``root`` as dicts of their children's text (nested ones as
    elements)."""
    return [{child.tag: (child if len(child) else child.text) for child in item}
            for item in root]


def errors_of(response, fmt="json") -> list[tuple[int, str]]:
    if fmt == "json":
        return [(e["code"], e["description"]) for e in as_json(response)]
    root = as_xml(response)
    assert root.tag == "errors"
    return [(int(e.find("code").text), e.find("description").text) for e in root]


def page_client(client, user, *, language="en"):
    """``client`` signed in as ``user`` with pages in ``language`` (the language cookie)."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client
