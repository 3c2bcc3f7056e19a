"""Real data: 9,999 MyLA311 service requests (../shared/data/civic-reports/
la311_2017_subset.csv) posted through the Open311 endpoint as a client would, then read
back by id; every field must come back as it was sent.

The whole file is read and checked; every fourth request (plus the first of each request type,
so every service is used) is posted, to keep the suite's time: the full replay's speed is
measured by ``benchmarks/open311.py``."""

import csv
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.utils.text import slugify

from safecampus.community.models import CategoryAttribute, Concern, ConcernCategory
from safecampus.core.geo import DEGREES_QUANTUM

from .open311_helpers import as_json, open311_fixture  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=False)
BATCH = 500
#: Post every STRIDE-th request of the file (and the first of each request type).
STRIDE = 4


def _rows(shared_data):
    path = shared_data / "civic-reports" / "la311_2017_subset.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _has_position(row) -> bool:
    return bool(row["Latitude"].strip() and row["Longitude"].strip())


def _description(row) -> str:
    return f"{row['RequestType']}: {row['ActionTaken']} ({row['Owner']}, {row['Status']})"


def _sample(rows: list[dict]) -> list[dict]:
    first_of_type = {}
    for index, row in enumerate(rows):
        first_of_type.setdefault(row["RequestType"], index)
    chosen = set(range(0, len(rows), STRIDE)) | set(first_of_type.values())
    return [row for index, row in enumerate(rows) if index in chosen]


def test_la311_replay_round_trips(open311, shared_data, english):
    every_row = _rows(shared_data)
    assert len(every_row) == 9999
    # In this extract every row has an address (8,246 also have a position).
    assert (sum(1 for row in every_row if not _has_position(row) and not row["Address"].strip()),
            sum(_has_position(row) for row in every_row)) == (0, 8246)
    rows = _sample(every_row)
    assert {row["RequestType"] for row in rows} == {row["RequestType"] for row in every_row}
    # Given one service per request type, asking where the request came from.
    sources = sorted({row["RequestSource"] for row in rows})
    for order, kind in enumerate(sorted({row["RequestType"] for row in rows})):
        category = ConcernCategory.objects.create(code=slugify(kind), name=kind,
                                                  sort_order=10 + order)
        CategoryAttribute.objects.create(
            category=category, code="source", description="How the request was made",
            datatype="singlevaluelist", required=True,
            values=[{"key": slugify(s), "name": s} for s in sources])
    http = open311.http
    started = time.perf_counter()
    created: dict[str, dict] = {}  # number → row
    refused = Counter()
    # When every row is posted as a client would.
    for row in rows:
        data = {"api_key": open311.key, "service_code": slugify(row["RequestType"]),
                "description": _description(row), "account_id": row["SRNumber"],
                "attribute[source]": slugify(row["RequestSource"])}
        if _has_position(row):
            data.update(lat=row["Latitude"], long=row["Longitude"])
        if row["Address"].strip():
            data["address_string"] = row["Address"]
        response = http.post("/open311/v2/requests.json", data)
        if response.status_code == 400:
            refused[tuple(e["description"] for e in as_json(response))] += 1
            continue
        assert response.status_code == 200, response.content
        (answer,) = as_json(response)
        assert answer["account_id"] == row["SRNumber"]
        created[answer["service_request_id"]] = row
    posted = time.perf_counter() - started
    # Then the rows with neither a position nor an address get the standard 400, counted
    # exactly, and nothing of them is stored; every other row is a concern.
    without_where = sum(1 for row in rows if not _has_position(row)
                        and not row["Address"].strip())
    assert sum(refused.values()) == without_where
    if without_where:
        assert list(refused) == [(
            "lat: Give a position (lat and long), an address_string or an address_id.",)]
    assert Concern.objects.count() == len(created) == len(rows) - without_where
    assert Counter(Concern.objects.values_list("channel", flat=True)) == {
        "open311": len(created)}
    # And reading them back by id (batches) gives every field as it was sent.
    numbers = list(created)
    seen = 0
    for start in range(0, len(numbers), BATCH):
        batch = numbers[start:start + BATCH]
        response = http.get("/open311/v2/requests.json", {
            "api_key": open311.key, "service_request_id": ",".join(batch)})
        items = as_json(response)
        assert [i["service_request_id"] for i in items] == sorted(batch, reverse=True)
        for item in items:
            row = created[item["service_request_id"]]
            assert item["service_code"] == slugify(row["RequestType"])
            assert item["service_name"] == row["RequestType"]
            assert item["description"] == _description(row)
            assert item["status"] == "open" and item["status_notes"] == "Awaiting the office"
            assert item["requested_datetime"] == "2026-06-16T10:00:00+08:00"
            assert item["agency_responsible"] == "党委保卫部（保卫处）"
            if _has_position(row):
                assert item["lat"] == float(Decimal(row["Latitude"]).quantize(DEGREES_QUANTUM))
                assert item["long"] == float(
                    Decimal(row["Longitude"]).quantize(DEGREES_QUANTUM))
            else:
                assert item["lat"] is None and item["long"] is None
            # The address is the one sent, with a position or without.
            assert item["address"] == row["Address"].strip()
            assert item["zipcode"] is None and item["media_url"] is None
            seen += 1
    assert seen == len(created)
    # The client's own fields are kept (not shown in GET requests, which names nobody).
    stored = dict(Concern.objects.values_list("number", "account_id"))
    assert all(stored[n] == row["SRNumber"] for n, row in created.items())
    sources_stored = Counter(s["source"] for s in Concern.objects.values_list(
        "attributes", flat=True))
    assert sources_stored == Counter(slugify(created[n]["RequestSource"]) for n in created)
    read = time.perf_counter() - started - posted
    print(f"\nLA311 replay: {len(created)} posted in {posted:.1f} s "
          f"({len(created) / posted:.0f}/s), {sum(refused.values())} refused, "
          f"read back in {read:.1f} s")
