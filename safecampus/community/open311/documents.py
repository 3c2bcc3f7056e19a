"""GeoReport v2 documents: what each method answers, as plain Python values, and how they
are written as JSON and as XML (the specification's element names).

A document is a dict (one object) or a list of dicts (a collection). Values are text,
numbers, booleans, None (JSON ``null``, an empty XML element), nested lists of dicts
(``attributes``, ``values``, ``endpoints``) or lists of text (``formats``). Date-times are
W3C (ISO 8601 with the offset) in Beijing time, e.g. ``2026-06-16T10:00:00+08:00``.
Text is written without the control characters XML 1.0 forbids (rows stored before input
was cleaned may hold them), so every XML answer parses.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from xml.etree import ElementTree as ET

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from safecampus.core import clock
from safecampus.core.errors import without_control_characters

from ..models import CategoryAttribute, Concern, ConcernCategory

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json", "xml": "text/xml"}
#: The element name of one item of each collection in XML.
XML_ITEMS = {"services": "service", "service_requests": "request", "errors": "error",
             "attributes": "attribute", "values": "value", "endpoints": "endpoint",
             "formats": "format"}


def w3c(moment: dt.datetime | None) -> str | None:
    """``moment`` as W3C date-time text in Beijing time with seconds (None stays None)."""
    if moment is None:
        return None
    return moment.astimezone(clock.local_zone()).replace(microsecond=0).isoformat()


def public_url(path: str) -> str:
    """``path`` on the site as people reach it (``SAFECAMPUS["PUBLIC_URL"]``), never the host
    a request happened to name."""
    return settings.SAFECAMPUS["PUBLIC_URL"] + path


# --- writing ---------------------------------------------------------------------------------
def _json_value(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


def _xml_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return without_control_characters(str(value))


def _xml_fill(parent: ET.Element, name: str, value) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _xml_fill(element, key, inner)
    elif isinstance(value, list):
        item = XML_ITEMS.get(name, "item")
        for inner in value:
            _xml_fill(element, item, inner)
    else:
        element.text = _xml_text(value)


def render(document, *, root: str, fmt: str, status: int = 200) -> HttpResponse:
    """``document`` as an HTTP response in ``fmt`` ("json" or "xml", UTF-8). ``root``: the
    XML root element (``services``, ``service_requests``, ``errors``, ``discovery`` …); a
    list document's items are its children, named by :data:`XML_ITEMS`."""
    if fmt == "json":
        body = json.dumps(document, ensure_ascii=False, default=_json_value)
        return HttpResponse(body.encode("utf-8"), status=status,
                            content_type="application/json; charset=utf-8")
    element = ET.Element(root)
    if isinstance(document, list):
        item = XML_ITEMS.get(root, "item")
        for value in document:
            _xml_fill(element, item, value)
    else:
        for key, value in document.items():
            _xml_fill(element, key, value)
    body = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def errors_response(errors: list[tuple[int, str]], *, fmt: str, status: int) -> HttpResponse:
    """The specification's error list (``[{"code": 400, "description": "…"}]`` /
    ``<errors><error><code>…``) with HTTP ``status``."""
    return render([{"code": code, "description": text} for code, text in errors],
                  root="errors", fmt=fmt, status=status)


# --- documents -------------------------------------------------------------------------------
def discovery_document(categories_changed: dt.datetime | None) -> dict:
    """Service discovery: one production endpoint of this server, both formats."""
    changeset = w3c(categories_changed or clock.now())
    office = settings.SAFECAMPUS["OFFICE_NAME"]
    return {
        "changeset": changeset,
        "contact": _("%(office)s, %(url)s") % {"office": office, "url": public_url("/")},
        "key_service": _("Keys for Open311 clients are issued by the %(office)s.") % {
            "office": office},
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": public_url(reverse("open311:root")).rstrip("/"),
            "changeset": changeset,
            "type": "production",
            "formats": list(FORMATS.values()),
        }],
    }


def _localised_name(category: ConcernCategory) -> str:
    english = (translation.get_language() or "").startswith("en")
    return category.name_en if english and category.name_en else category.name


def service_document(category: ConcernCategory) -> dict:
    """One service of GET services (``has_attributes`` annotated by the selector)."""
    return {
        "service_code": category.code,
        "service_name": _localised_name(category),
        "description": category.description or None,
        "metadata": bool(getattr(category, "has_attributes", False)),
        "type": "realtime",
        "keywords": category.keywords or None,
        "group": category.group or None,
    }


def attribute_document(attribute: CategoryAttribute, *, order: int) -> dict:
    """One attribute of a service definition; ``order``: its position in the definition
    (1, 2, …: positive and unique, as the specification asks, whatever the stored sort
    keys are)."""
    lists = (CategoryAttribute.Datatype.SINGLE, CategoryAttribute.Datatype.MULTI)
    values = [{"key": str(v.get("key", "")), "name": str(v.get("name", v.get("key", "")))}
              for v in attribute.values or [] if isinstance(v, dict)]
    return {
        "variable": attribute.variable,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": attribute.datatype_description or None,
        "order": order,
        "description": attribute.description,
        "values": values if attribute.datatype in lists else [],
    }


def definition_document(category: ConcernCategory) -> dict:
    """GET service definition: the category's attributes in order (``attribute_list``)."""
    return {"service_code": category.code,
            "attributes": [attribute_document(a, order=position) for position, a
                           in enumerate(category.attribute_list, start=1)]}


def service_notice(concern: Concern) -> str:
    """What the office says about the request: when it answers, or how it ended."""
    if concern.state == Concern.State.CLOSED:
        return concern.get_resolution_display() or concern.get_state_display()
    return _("The security office answers within %(days)s working days.") % {
        "days": concern.category.answer_days}


def _address(concern: Concern) -> str | None:
    """The address given (``location_text``), else the place or building. When a moderator
    hid the text, only the place or building: the free text may name people."""
    if concern.location_text and not concern.text_hidden:
        return concern.location_text
    if concern.place_id:
        return str(concern.place)
    if concern.building_id:
        return concern.building.name
    return None


def _media_url(concern: Concern) -> str | None:
    """The client's ``media_url``. Photos uploaded on the web are served only to signed-in
    people who may see the concern, which no Open311 client is, so they are never linked;
    nothing when a moderator hid the text."""
    if concern.text_hidden:
        return None
    return concern.media_url or None


def _agency(concern: Concern) -> str:
    hazard = concern.hazard if concern.hazard_id else None
    if hazard is not None and hazard.responsible_unit_id:
        return hazard.responsible_unit.name
    if concern.handling_unit_id:
        return concern.handling_unit.name
    return settings.SAFECAMPUS["OFFICE_NAME"]


def updated_at(concern: Concern) -> dt.datetime:
    """When the request last changed: its close time when closed (as the specification
    says), else the row's last change."""
    if concern.state == Concern.State.CLOSED and concern.closed_at is not None:
        return concern.closed_at
    return concern.updated_at


def request_document(concern: Concern, expected_at: dt.datetime | None) -> dict:
    """One service request of GET requests, in the specification's field order. Never the
    submitter or contact details. When a moderator hid the text, the description is a
    placeholder, the address only the place or building and there is no media link.
    ``expected_at``: :func:`concern_expected_at` (for a list, ``concern_expected_for``,
    which reads the working-day calendar once)."""
    if concern.text_hidden:
        description = _("This text was hidden by a moderator.")
    else:
        description = concern.description or concern.title
    return {
        "service_request_id": concern.number,
        "status": "closed" if concern.state == Concern.State.CLOSED else "open",
        "status_notes": concern.answer or concern.get_state_display(),
        "service_name": _localised_name(concern.category),
        "service_code": concern.category.code,
        "description": description,
        "agency_responsible": _agency(concern),
        "service_notice": service_notice(concern),
        "requested_datetime": w3c(concern.submitted_at),
        "updated_datetime": w3c(updated_at(concern)),
        "expected_datetime": w3c(expected_at),
        "address": _address(concern),
        "address_id": concern.address_id or (concern.place.code if concern.place_id else None)
        or None,
        "zipcode": None,
        "lat": concern.latitude,
        "long": concern.longitude,
        "media_url": _media_url(concern),
    }


def created_document(concern: Concern) -> dict:
    """One item of the POST requests answer."""
    return {"service_request_id": concern.number, "service_notice": service_notice(concern),
            "account_id": concern.account_id or None}
