"""The charging API: stations for anyone signed in (filters, one with its open faults), a
fault report opens a hazard routed to the operator's unit (JSON and multipart, once per
Idempotency-Key), bad input 400, out of service 409, who sees a fault."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safecampus.hazards.models import Hazard
from safecampus.tests.factories import photo_upload
from safecampus.traffic.models import ChargingFault, ChargingStation
from safecampus.traffic.services import charging as services

from .helpers import client_for

pytestmark = pytest.mark.django_db
STATIONS = "/api/v1/traffic/charging-stations/"
FAULTS = "/api/v1/traffic/charging-faults/"


def station(org, **kwargs):
    kwargs.setdefault("campus_id", org.campus1.pk)
    kwargs.setdefault("name", "东区宿舍充电棚")
    kwargs.setdefault("operator_name", "安充科技")
    kwargs.setdefault("operator_unit_id", org.logistics.pk)
    kwargs.setdefault("points", 20)
    return services.charging_station_create(actor=org.users.staff, **kwargs)


def test_a_student_lists_and_filters_stations(org):
    shed = station(org)
    ev = station(org, name="北门电动汽车充电桩", kind="ev", points=4, campus_id=org.campus2.pk)
    api = client_for(org.users.student)
    rows = api.get(STATIONS).json()["results"]
    assert [r["name"] for r in rows] == [shed.name, ev.name]
    assert rows[0]["kind"] == "ebike" and rows[0]["status"] == "in_service"
    assert rows[0]["operator_unit"] == {"id": org.logistics.pk, "name": "后勤保障部"}
    assert rows[0]["report_url"].endswith(f"/traffic/charging/{shed.pk}/report/")
    assert [r["id"] for r in api.get(STATIONS, {"kind": "ev"}).json()["results"]] == [ev.pk]
    assert [r["id"] for r in api.get(STATIONS, {"campus": org.campus2.pk}).json()["results"]
            ] == [ev.pk]
    assert [r["id"] for r in api.get(STATIONS, {"q": "北门"}).json()["results"]] == [ev.pk]
    bad = api.get(STATIONS, {"status": "broken"})
    assert bad.status_code == 400
    assert client_for(None).get(STATIONS).status_code in (401, 403)


def test_the_station_list_query_count_does_not_grow(org):
    api = client_for(org.users.student)
    station(org)
    with CaptureQueriesContext(connection) as few:
        api.get(STATIONS)
    for n in range(10):
        station(org, name=f"充电棚{n}", place_id=org.place_a.pk)
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(STATIONS).json()["results"]) == 11
    assert len(many) == len(few)


def test_a_fault_report_opens_a_hazard_for_the_operators_unit_once_per_key(org):
    shed = station(org)
    api = client_for(org.users.student)
    body = {"station": shed.pk, "description": "插座冒烟", "photos": [photo_upload()]}
    first = api.post(FAULTS, body, format="multipart", HTTP_IDEMPOTENCY_KEY="fault-api-0001")
    assert first.status_code == 201, first.json()
    data = first.json()
    hazard = Hazard.objects.get(pk=data["hazard"])
    assert hazard.responsible_unit == org.logistics
    assert (data["station"], data["state"]) == (shed.pk, "open")
    again = api.post(FAULTS, {**body, "photos": [photo_upload()]}, format="multipart",
                     HTTP_IDEMPOTENCY_KEY="fault-api-0001")
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert ChargingFault.objects.count() == 1 and Hazard.objects.count() == 1
    detail = api.get(f"{STATIONS}{shed.pk}/").json()
    assert detail["status"] == "fault"
    assert [f["id"] for f in detail["open_faults"]] == [data["id"]]
    # the reporter and the office see the fault; another student does not
    assert api.get(f"{FAULTS}{data['id']}/").status_code == 200
    assert client_for(org.users.staff).get(f"{FAULTS}{data['id']}/").status_code == 200
    assert client_for(org.users.student2).get(f"{FAULTS}{data['id']}/").status_code == 404


def test_bad_reports_are_400_and_change_nothing(org):
    shed = station(org)
    api = client_for(org.users.student)
    empty = api.post(FAULTS, {"station": shed.pk, "description": ""}, format="json")
    assert empty.status_code == 400
    assert empty.json()["errors"]["description"] == ["Say what is wrong with the station."]
    missing = api.post(FAULTS, {"station": 999_999, "description": "x"}, format="json")
    assert missing.status_code == 400
    assert "station" in missing.json()["errors"]
    assert ChargingFault.objects.count() == 0
    assert ChargingStation.objects.get().status == "in_service"


def test_a_station_out_of_service_is_409(org):
    shed = station(org)
    services.charging_station_status_set(actor=org.users.staff, station_id=shed.pk,
                                         status="out_of_service", reason="线路改造")
    response = client_for(org.users.student).post(
        FAULTS, {"station": shed.pk, "description": "x"}, format="json")
    assert response.status_code == 409
    assert ChargingFault.objects.count() == 0
