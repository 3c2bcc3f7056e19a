"""Bad input through the pages and the API of patrols, grids, the duty room and incidents:
dates and times beyond what the databases hold, ids that are not ids. Each answers with a
clear message or ignores the value; none is a 500 (DESIGN: bad input, never a 500)."""

import json
import uuid

import pytest
from django.urls import reverse

from safecampus.api.tests.helpers import client_for
from safecampus.core import clock
from safecampus.core.forms import id_or_none
from safecampus.patrols.models import CheckpointScan, DutyLogEntry, Incident
from safecampus.patrols.services import duty as duty_services
from safecampus.patrols.services import patrolling

from .helpers import build_route, local

pytestmark = pytest.mark.django_db
NOW = local(2026, 3, 12, 21, 30)
HUGE = "99999999999999999999"
DAY_TOO_LATE = "Ensure this value is less than or equal to 2999-12-31."
DAY_TOO_EARLY = "Ensure this value is greater than or equal to 1900-01-01."


@pytest.fixture(autouse=True)
def _now():
    with clock.frozen(NOW):
        yield


@pytest.fixture(autouse=True)
def english_pages(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.mark.parametrize("name", ["patrols:reports", "patrols:reports_export",
                                  "patrols:grid_dashboard", "patrols:grid_visit_list",
                                  "patrols:incident_list", "patrols:incident_statistics"])
@pytest.mark.parametrize("query", ["date_from=0001-01-01", "date_to=9999-12-31",
                                   "date_from=9999-12-31"])
def test_date_filters_beyond_the_calendar_are_refused_on_the_pages(org, client, name, query):
    client.force_login(org.users.admin)
    response = client.get(f"{reverse(name)}?{query}")
    assert response.status_code in (200, 302)
    if response.status_code == 200 and "text/html" in response["Content-Type"]:
        text = response.content.decode()
        assert DAY_TOO_EARLY in text or DAY_TOO_LATE in text


@pytest.mark.parametrize("url", ["/api/v1/patrols/rounds/", "/api/v1/patrols/scans/",
                                 "/api/v1/patrols/incidents/"])
def test_date_filters_beyond_the_calendar_are_refused_by_the_api(org, url):
    api = client_for(org.users.admin)
    early = api.get(url, {"date_from": "0001-01-01"})
    late = api.get(url, {"date_to": "9999-12-31"})
    assert (early.status_code, late.status_code) == (400, 400)
    assert early.json()["errors"]["date_from"] == [DAY_TOO_EARLY]
    assert late.json()["errors"]["date_to"] == [DAY_TOO_LATE]


@pytest.mark.parametrize("value", ["²", HUGE, "-1", "0", "abc", ""])
def test_ids_in_links_that_are_not_ids_are_ignored(org, client, value):
    built = build_route(org)
    client.force_login(org.users.admin)
    for url in ("/patrols/scan/?round=", "/patrols/grids/visits/new/?zone=",
                "/patrols/setup/routes/?campus=",
                f"/patrols/setup/routes/{built.route.pk}/checkpoints/new/?place="):
        assert client.get(url + value).status_code == 200, url
    assert client.get("/patrols/incidents/new/?place=" + value).status_code == 200


def test_id_or_none():
    assert [id_or_none(v) for v in ("42", 42, " 7 ", "²", "-1", "0", HUGE, True, None, "")] == [
        42, 42, 7, None, None, None, None, None, None, None]


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "0001-01-01T00:00:00+14:00"])
def test_duty_and_incident_times_before_1900_are_field_errors(org, client, when):
    duty_services.duty_shift_take_over(actor=org.users.guard)
    api = client_for(org.users.guard)
    entry = api.post("/api/v1/patrols/duty-entries/", {"summary": "东门来电",
                                                       "occurred_at": when}, format="json")
    incident = client_for(org.users.admin).post(
        "/api/v1/patrols/incidents/", {"category": "theft", "summary": "自行车被盗",
                                       "occurred_at": when}, format="json")
    assert (entry.status_code, incident.status_code) == (400, 400)
    # Ours without an offset (the local time does not exist); DRF's own with one.
    message = ("This time is too far in the past." if "+" not in when
               else "Datetime value out of range.")
    assert entry.json()["errors"]["occurred_at"] == [message]
    assert incident.json()["errors"]["occurred_at"] == [message]
    client.force_login(org.users.guard)
    page = client.post(reverse("patrols:duty_home"), {"summary": "东门来电", "kind": "call",
                                                      "occurred_at": "0001-01-01T00:00"})
    assert page.status_code == 400
    assert "This time is too far in the past." in page.content.decode()
    assert not DutyLogEntry.objects.exists() and not Incident.objects.exists()


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_an_impossible_scan_time_is_refused_per_scan(org, client, when):
    built = build_route(org)
    code = patrolling.checkpoint_code(built.checkpoints[0])
    bulk = client_for(org.users.guard).post(
        "/api/v1/patrols/scans/bulk/",
        {"scans": [{"code": code, "client_id": str(uuid.uuid4()), "scanned_at": when}]},
        format="json")
    assert bulk.status_code == 200
    assert [(r["status"], r["code"]) for r in bulk.json()["results"]] == [("refused",
                                                                           "bad_time")]
    client.force_login(org.users.guard)
    page = client.post(reverse("patrols:scan_upload"), json.dumps(
        {"scans": [{"code": code, "client_id": str(uuid.uuid4()), "scanned_at": when}]}),
        content_type="application/json")
    assert page.status_code == 200
    assert [(r["status"], r["code"]) for r in page.json()["results"]] == [("refused",
                                                                           "bad_time")]
    assert not CheckpointScan.objects.exists()
