"""The GeoReport v2 methods. Thin: parse the parameters, one selector or service call,
write the document in the format the path's suffix names (``.json`` or ``.xml``).

Errors are the specification's error list with the HTTP status, and only the three codes
it names: 403 for a missing, unknown or revoked ``api_key`` (on POST, where it is needed,
and on GET when one is given), 404 for an unknown format, service code, request or
jurisdiction, and 400 for everything else: a missing or bad parameter (a missing required
attribute is named), a POST body that is not form-encoded (JSON, say), a reused idempotency
key, a method the path does not take (with an ``Allow`` header).

GET requests covers at most 90 days (``OPEN311_LIST_DAYS``), as the specification says:
with only ``start_date`` the 90 days after it, with only ``end_date`` the 90 days before
it, and both dates further apart than that are refused (400).

Control characters (NUL and the like) in any parameter name or value, and in the ids of
the path, are dropped before anything reads them. Language: the client's Accept-Language
(a program states the language it wants), else Chinese. No session, no CSRF token: clients
prove who they are by key.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from django.conf import settings
from django.db.models import Max
from django.http import HttpResponse, QueryDict
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from safecampus.core.errors import DomainError, NotAllowed, without_control_characters
from safecampus.core.forms import FIRST_DAY, LAST_DAY
from safecampus.core.idempotency import clean_key

from ..models import ConcernCategory
from ..selectors import open311 as selectors
from ..selectors.concerns import concern_expected_at, concern_expected_for
from ..services import open311 as services
from . import documents


class Refused(Exception):
    """A request the endpoint answers with the error list (``errors``: ``(code, text)``)."""

    def __init__(self, status: int, *messages: str):
        super().__init__(messages[0] if messages else "")
        self.status = status
        self.errors = [(status, message) for message in messages]


_ATTRIBUTE_RE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
STATUSES = frozenset({"open", "closed"})


def cleaned_params(query: QueryDict) -> QueryDict:
    """``query`` (GET or POST parameters) without control characters in names and values."""
    out = QueryDict(mutable=True)
    for name, values in query.lists():
        name = without_control_characters(name)
        out.setlist(name, [*out.getlist(name),
                           *(without_control_characters(v) for v in values)])
    return out


#: The bodies GeoReport v2 POSTs are sent in; anything else (JSON above all) is not read.
FORM_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _require_form_body(request) -> None:
    """Refused(400) for a POST whose body is not form-encoded: GeoReport v2 takes its
    parameters as form fields, and a JSON body (with its ``api_key`` unread) would otherwise
    be answered as if the key were missing. A POST with no body and no type passes."""
    content_type = (request.content_type or "").lower()
    if content_type in FORM_CONTENT_TYPES or (not content_type and not request.body):
        return
    raise Refused(400, _(
        "The request body must be form-encoded (application/x-www-form-urlencoded or "
        "multipart/form-data), as GeoReport v2 requires; a body sent as %(type)s is not "
        "read.") % {"type": content_type[:80] or "?"})


def endpoint(methods: tuple[str, ...]):
    """Wrap a method: the format from the suffix (404 otherwise), the language, the
    parameters cleaned (:func:`cleaned_params`, passed as ``params``), the jurisdiction
    check and the error list for :class:`Refused`."""

    def wrap(view):
        @functools.wraps(view)
        @csrf_exempt
        def wrapped(request, fmt: str, **kwargs):
            fmt_ok = fmt in documents.FORMATS
            with translation.override(translation.get_language_from_request(request)):
                out_fmt = fmt if fmt_ok else "xml"
                try:
                    if not fmt_ok:
                        raise Refused(404, _("Unknown format “%(format)s”: use json or xml.")
                                      % {"format": fmt[:10]})
                    if request.method not in methods:
                        response = documents.errors_response(
                            [(400, _("This method takes %(methods)s only.") % {
                                "methods": ", ".join(methods)})], fmt=out_fmt, status=400)
                        response["Allow"] = ", ".join(methods)
                        return response
                    if request.method == "POST":
                        _require_form_body(request)
                    params = cleaned_params(
                        request.POST if request.method == "POST" else request.GET)
                    kwargs = {name: without_control_characters(value)
                              for name, value in kwargs.items()}
                    jurisdiction = params.get("jurisdiction_id", "").strip()
                    if jurisdiction and jurisdiction != (
                            settings.SAFECAMPUS["OPEN311_JURISDICTION_ID"]):
                        raise Refused(404, _("Unknown jurisdiction_id “%(id)s”.") % {
                            "id": jurisdiction[:64]})
                    return view(request, fmt, params, **kwargs)
                except Refused as refused:
                    return documents.errors_response(refused.errors, fmt=out_fmt,
                                                     status=refused.status)
        return wrapped
    return wrap


def _client(params, *, required: bool):
    """The client whose ``api_key`` the request carries; Refused(403) for a bad key, or
    for none when ``required``."""
    key = params.get("api_key", "").strip()
    if not key:
        if required:
            raise Refused(403, _("An api_key is required to create a request."))
        return None
    client = services.api_client_authenticate(key=key)
    if client is None:
        raise Refused(403, _("The api_key is not valid or was revoked."))
    return client


# --- discovery and services ------------------------------------------------------------------
@endpoint(("GET",))
def discovery(request, fmt, params):
    changed = ConcernCategory.objects.aggregate(at=Max("updated_at"))["at"]
    return documents.render(documents.discovery_document(changed), root="discovery", fmt=fmt)


@endpoint(("GET",))
def services_list(request, fmt, params):
    return documents.render([documents.service_document(c) for c in selectors.service_list()],
                            root="services", fmt=fmt)


@endpoint(("GET",))
def service_definition(request, fmt, params, code: str):
    category = selectors.service_get(code)
    if category is None:
        raise Refused(404, _("No service has the code “%(code)s”.") % {"code": code[:64]})
    return documents.render(documents.definition_document(category),
                            root="service_definition", fmt=fmt)


# --- requests --------------------------------------------------------------------------------
def parse_datetime(text: str, *, name: str) -> dt.datetime:
    """A W3C date-time with its offset (``Z`` or ``+08:00``) in the years the date filters
    accept (1900–2999); Refused(400) otherwise."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or not (
            FIRST_DAY.year <= moment.year <= LAST_DAY.year):
        raise Refused(400, _("%(name)s must be a W3C date and time with its offset, e.g. "
                             "2026-05-01T14:30:00+08:00.") % {"name": name})
    return moment


def _list(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for part in text.split(","):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return list(seen)


def parse_filters(params) -> selectors.RequestFilters:
    """GET requests' query as :class:`RequestFilters`; Refused(400/404) for bad values."""
    ids = _list(params.get("service_request_id", ""))
    if len(ids) > selectors.MAX_IDS:
        raise Refused(400, _("At most %(count)s service_request_id values at once.") % {
            "count": selectors.MAX_IDS})
    if ids:
        return selectors.RequestFilters(ids=ids)
    codes = _list(params.get("service_code", ""))
    if codes:
        known = set(ConcernCategory.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise Refused(404, *[_("No service has the code “%(code)s”.") % {"code": c[:64]}
                                 for c in unknown])
    start = params.get("start_date", "").strip()
    end = params.get("end_date", "").strip()
    start = parse_datetime(start, name="start_date") if start else None
    end = parse_datetime(end, name="end_date") if end else None
    if start and end and start > end:
        raise Refused(400, _("end_date is before start_date."))
    days = settings.SAFECAMPUS["OPEN311_LIST_DAYS"]
    if start and end and end - start > dt.timedelta(days=days):
        raise Refused(400, _("start_date and end_date may not span more than %(days)s days.")
                      % {"days": days})
    status = frozenset(s.lower() for s in _list(params.get("status", "")))
    if status - STATUSES:
        raise Refused(400, _("status must be open, closed or both (comma-separated)."))
    return selectors.RequestFilters(service_codes=codes, start=start, end=end, status=status)


def parse_attributes(params) -> dict:
    """``attribute[code]`` (one value, or several) and ``attribute[code][]`` (a list) as
    ``{code: value or [values]}``."""
    out: dict[str, object] = {}
    for key in params:
        match = _ATTRIBUTE_RE.match(key)
        if not match:
            continue
        values = [v for v in params.getlist(key)]
        code = match.group(1)
        if match.group(2) or len(values) > 1:
            previous = out.get(code, [])
            out[code] = [*(previous if isinstance(previous, list) else [previous]), *values]
        else:
            out.setdefault(code, values[0] if values else "")
    return out


POST_FIELDS = ("lat", "long", "address_string", "address_id", "email", "device_id",
               "account_id", "first_name", "last_name", "phone", "description", "media_url")


def _create(request, fmt, params):
    client = _client(params, required=True)
    try:
        concern = services.open311_request_create(
            client=client, service_code=params.get("service_code", ""),
            fields={name: params.get(name, "") for name in POST_FIELDS},
            attributes=parse_attributes(params),
            idempotency_key=clean_key(request.headers.get("Idempotency-Key")))
    except NotAllowed as error:
        raise Refused(403, error.message) from None
    except DomainError as error:
        if error.code == "not_found":
            raise Refused(404, error.message) from None
        messages = [f"{field}: {message}" for field, texts in error.field_errors.items()
                    for message in texts] or [error.message]
        raise Refused(400, *messages) from None
    return documents.render([documents.created_document(concern)], root="service_requests",
                            fmt=fmt)


@endpoint(("GET", "POST"))
def requests_view(request, fmt, params):
    """GET: the requests the caller may see; POST: create one (needs ``api_key``)."""
    if request.method == "POST":
        return _create(request, fmt, params)
    client = _client(params, required=False)
    filters = parse_filters(params)
    rows = concern_expected_for(selectors.request_list(client=client, filters=filters))
    return documents.render([documents.request_document(c, at) for c, at in rows],
                            root="service_requests", fmt=fmt)


@endpoint(("GET",))
def request_detail(request, fmt, params, number: str):
    client = _client(params, required=False)
    concern = selectors.request_get(client=client, number=number)
    if concern is None:
        raise Refused(404, _("No service request has the id “%(id)s”.") % {"id": number[:40]})
    return documents.render([documents.request_document(concern, concern_expected_at(concern))],
                            root="service_requests", fmt=fmt)


def root(request) -> HttpResponse:
    """The endpoint's base URL: where discovery is."""
    return documents.errors_response(
        [(404, _("See discovery.xml or discovery.json."))], fmt="xml", status=404)
