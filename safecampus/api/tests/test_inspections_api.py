"""Inspections through the REST API: checklists and versions, plans and their targets,
starting (idempotent), recording results, submitting, approving, reopening, visibility."""

import datetime as dt

import pytest
from django.urls import reverse

from safecampus.core.clock import frozen
from safecampus.inspections import selectors, services
from safecampus.inspections.models import Inspection, InspectionResult, PlanKind, ResultPhoto
from safecampus.inspections.tests.helpers import (
    answer_all,
    login,
    published_checklist,
    signature_png,
)
from safecampus.tests.factories import photo_upload

from .helpers import client_for

pytestmark = pytest.mark.django_db

BASE = "/api/v1/inspections/"
TEMPLATES, PLANS, INSPECTIONS = BASE + "templates/", BASE + "plans/", BASE + "inspections/"
NOW = dt.datetime(2026, 4, 10, 2, 0, tzinfo=dt.UTC)


def url(base: str, pk: int, action: str | None = None) -> str:
    return f"{base}{pk}/" + (f"{action}/" if action else "")


@pytest.fixture(autouse=True)
def _now():
    with frozen(NOW):
        yield


@pytest.fixture
def version(org):
    """A published 3-item checklist (codes 1.1–1.3) whose failures are fire hazards."""
    return published_checklist(org.users.admin, items=3, category_id=org.fire.pk)


def _start(org, version, *, user=None, place=None, key=None) -> dict:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = client_for(user or org.users.staff).post(
        INSPECTIONS, {"place": (place or org.place_a).pk, "template": version.template_id},
        format="json", **headers)
    assert response.status_code in (200, 201), response.content
    return response.json()


def _finish(org, inspection_id: int) -> None:
    inspection = Inspection.objects.get(pk=inspection_id)
    answer_all(inspection, inspection.inspector)
    services.inspection_submit(actor=inspection.inspector, inspection_id=inspection_id,
                               signer_name="王老师", signature=signature_png())


def _answer(client, inspection: dict, version, *, fails=()) -> None:
    for item in version.items.all():
        failed = item.code in fails
        response = client.post(url(INSPECTIONS, inspection["id"], "results"), {
            "item": item.pk, "outcome": "fails" if failed else "complies",
            "note": "灭火器压力不足" if failed else ""}, format="json")
        assert response.status_code == 200, response.content
        if failed:
            response = client.post(url(INSPECTIONS, inspection["id"], "photos"), {
                "item": item.pk, "client_id": f"photo-{item.pk}", "photo": photo_upload()},
                format="multipart")
            assert response.status_code == 201, response.content


# --- templates -------------------------------------------------------------------------------
def test_templates_list_retrieve_and_one_version_with_sections_and_items(org, version):
    staff = client_for(org.users.staff)
    services.version_new_draft(actor=org.users.admin, template_id=version.template_id)
    rows = staff.get(TEMPLATES).json()["results"]
    assert [(r["code"], r["published_number"], r["draft_number"]) for r in rows] == [("lab", 1, 2)]
    detail = staff.get(url(TEMPLATES, version.template_id)).json()
    assert [(v["number"], v["state"], v["item_count"]) for v in detail["versions"]] == [
        (2, "draft", 3), (1, "published", 3)]
    body = staff.get(detail["versions"][1]["url"]).json()
    assert body["template"]["code"] == "lab" and body["state_display"] == "Published"
    assert [s["title"] for s in body["sections"]] == ["安全设施"]
    items = body["sections"][0]["items"]
    assert [i["code"] for i in items] == ["1.1", "1.2", "1.3"]
    assert items[0]["hazard_category"]["code"] == "fire"
    assert items[0]["basis"] == "《高等学校消防安全管理规定》"


def test_units_see_published_versions_only_and_students_no_checklists(org, version):
    services.version_new_draft(actor=org.users.admin, template_id=version.template_id)
    contact = client_for(org.users.contact_a)
    detail = contact.get(url(TEMPLATES, version.template_id)).json()
    assert [v["number"] for v in detail["versions"]] == [1]
    assert detail["draft_number"] is None
    assert contact.get(url(TEMPLATES, version.template_id) + "versions/2/").status_code == 404
    response = client_for(org.users.student).get(TEMPLATES)
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "code", "errors"}
    assert client_for(org.users.student).get(url(TEMPLATES, version.template_id)).status_code == 404


# --- plans -----------------------------------------------------------------------------------
def test_office_creates_a_campaign_and_reads_its_targets(org, version):
    staff = client_for(org.users.staff)
    response = staff.post(PLANS, {
        "kind": "campaign", "name": "春季安全大检查", "template": version.template_id,
        "places": [org.place_a.pk, org.place_b.pk], "starts_on": "2026-04-01",
        "ends_on": "2026-04-30", "inspectors": [org.users.staff.pk, org.users.staff2.pk],
    }, format="json")
    assert response.status_code == 201, response.content
    plan = response.json()
    assert plan["coverage"] == {"never": 2, "due": 0, "in_progress": 0, "done": 0, "late": 0,
                                "total": 2}
    assert {p["name"] for p in plan["inspectors"]} == {str(org.users.staff),
                                                        str(org.users.staff2)}
    targets = staff.get(plan["targets_url"], {"unit": org.unit_a.pk}).json()["results"]
    assert [(t["place"]["name"], t["coverage"], t["due_on"]) for t in targets] == [
        ("101实验室", "never", "2026-04-30")]
    assert staff.get(plan["targets_url"], {"coverage": "late"}).json()["results"] == []
    assert [p["id"] for p in staff.get(PLANS, {"kind": "campaign"}).json()["results"]] == [plan["id"]]
    # unit B sees the plan through its own place only, and only its count
    contact_b = client_for(org.users.contact_b)
    assert contact_b.get(url(PLANS, plan["id"])).json()["coverage"]["total"] == 1
    assert [t["place"]["name"] for t in contact_b.get(plan["targets_url"]).json()["results"]] == [
        "201室"]


def test_plan_bad_input_and_refusals(org, version):
    staff = client_for(org.users.staff)
    response = staff.post(PLANS, {"kind": "campaign", "name": "无结束日期",
                                  "template": version.template_id, "places": [org.place_a.pk],
                                  "starts_on": "2026-04-01"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"ends_on": ["A campaign needs an end date."]}
    response = staff.post(PLANS, {"kind": "recurring", "name": "周检"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["starts_on"]
    response = client_for(org.users.contact_a).post(PLANS, {
        "kind": "recurring", "name": "自查", "template": version.template_id,
        "places": [org.place_a.pk], "starts_on": "2026-04-01", "interval_days": 7}, format="json")
    assert response.status_code == 403
    assert client_for(org.users.student).get(PLANS).status_code == 403


# --- inspections -----------------------------------------------------------------------------
def test_start_is_idempotent_with_the_same_key(org, version):
    staff = client_for(org.users.staff)
    data = {"place": org.place_a.pk, "template": version.template_id}
    first = staff.post(INSPECTIONS, data, format="json", HTTP_IDEMPOTENCY_KEY="start-key-0001")
    again = staff.post(INSPECTIONS, data, format="json", HTTP_IDEMPOTENCY_KEY="start-key-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Inspection.objects.count() == 1
    body = first.json()
    assert (body["state"], body["kind"], body["unanswered"], body["unit"]["id"]) == (
        "in_progress", "office", 3, org.unit_a.pk)
    assert body["reference"] == f"JC2026-{body['id']:06d}"
    assert body["actions"] == ["results", "submit", "cancel"]
    # another person cannot replay someone else's key; a malformed key is refused
    other = client_for(org.users.staff2).post(INSPECTIONS, data, format="json",
                                              HTTP_IDEMPOTENCY_KEY="start-key-0001")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    bad = staff.post(INSPECTIONS, data, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["Idempotency-Key"]
    assert Inspection.objects.count() == 1


def test_start_refusals(org, version):
    response = client_for(org.users.staff).post(INSPECTIONS, {"template": version.template_id},
                                                format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"place": ["Choose the place to inspect."]}
    # unit B's contact may self-inspect only unit B's places
    response = client_for(org.users.contact_b).post(
        INSPECTIONS, {"place": org.place_a.pk, "template": version.template_id}, format="json")
    assert response.status_code == 403
    response = client_for(org.users.contact_b).post(
        INSPECTIONS, {"place": org.place_b.pk, "template": version.template_id}, format="json")
    assert response.status_code == 201 and response.json()["kind"] == "self"


def test_results_are_recorded_once_per_item_and_refused_for_another_version(org, version):
    inspection = _start(org, version)
    staff = client_for(org.users.staff)
    item = version.items.get(code="1.1")
    for method in (staff.post, staff.put):
        response = method(url(INSPECTIONS, inspection["id"], "results"),
                          {"item": item.pk, "outcome": "fails", "note": "通道堆放纸箱"},
                          format="json")
        assert response.status_code == 200, response.content
    assert InspectionResult.objects.filter(inspection_id=inspection["id"]).count() == 1
    assert response.json()["outcome_display"] == "Does not comply"
    other = published_checklist(org.users.admin, code="dorm", name="宿舍检查表", items=2)
    response = staff.post(url(INSPECTIONS, inspection["id"], "results"),
                          {"item": other.items.first().pk, "outcome": "complies"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "This item is not in the checklist version this inspection uses.",
        "code": "invalid",
        "errors": {"item": ["This item is not in the checklist version this inspection uses."]}}
    response = staff.post(url(INSPECTIONS, inspection["id"], "results"),
                          {"item": item.pk, "outcome": "maybe"}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["outcome"]
    listing = staff.get(url(INSPECTIONS, inspection["id"], "results")).json()["results"]
    assert [(r["item_code"], r["outcome"], r["note"]) for r in listing] == [
        ("1.1", "fails", "通道堆放纸箱")]


def test_submit_lists_what_is_missing(org, version):
    inspection = _start(org, version)
    staff = client_for(org.users.staff)
    item = version.items.get(code="1.1")
    staff.post(url(INSPECTIONS, inspection["id"], "results"),
               {"item": item.pk, "outcome": "fails"}, format="json")
    response = staff.post(url(INSPECTIONS, inspection["id"], "submit"), {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "incomplete"
    assert body["detail"] == "5 things to finish first."
    assert body["errors"]["non_field_errors"] == [
        "2 item(s) have no result yet.",
        "Item 1.1: describe what does not comply.",
        "Item 1.1: add a photo of what does not comply.",
        "Write the name of the unit's representative who signs.",
        "The unit's representative must sign on the screen.",
    ]
    assert Inspection.objects.get(pk=inspection["id"]).state == "in_progress"


def test_submit_finishes_then_changes_are_409_until_reopened(org, version):
    inspection = _start(org, version)
    staff = client_for(org.users.staff)
    _answer(staff, inspection, version, fails=("1.2",))
    response = staff.post(url(INSPECTIONS, inspection["id"], "submit"), {
        "signer_name": "王老师", "signature": signature_png(),
        "row_version": inspection["row_version"]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["items_failed"], body["compliance_rate"]) == ("finished", 1, "66.7")
    assert [r["hazard"] is not None for r in body["results"]] == [False, True, False]
    item = version.items.get(code="1.1")
    response = staff.post(url(INSPECTIONS, inspection["id"], "results"),
                          {"item": item.pk, "outcome": "fails", "note": "x"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert staff.post(url(INSPECTIONS, inspection["id"], "submit"), {
        "signer_name": "王老师", "signature": signature_png()}, format="json").status_code == 409
    # a stale row_version and a missing reason are refused; then it reopens
    response = staff.post(url(INSPECTIONS, inspection["id"], "reopen"),
                          {"reason": "记录有误", "row_version": inspection["row_version"]},
                          format="json")
    assert response.status_code == 409
    response = staff.post(url(INSPECTIONS, inspection["id"], "reopen"), {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": ["Give the reason; it goes on the timeline."]}
    response = staff.post(url(INSPECTIONS, inspection["id"], "reopen"),
                          {"reason": "1.1 记录有误", "row_version": body["row_version"]},
                          format="json")
    assert response.status_code == 200 and response.json()["state"] == "in_progress"


def test_a_plan_needing_review_is_approved_by_the_office_admin(org, version):
    with frozen(NOW):
        plan = services.plan_create(actor=org.users.staff, kind=PlanKind.CAMPAIGN, name="审核",
                                    template_id=version.template_id, place_ids=[org.place_a.pk],
                                    starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2026, 4, 30),
                                    needs_review=True)
    staff = client_for(org.users.staff)
    target = plan.targets.get()
    response = staff.post(INSPECTIONS, {"target": target.pk}, format="json")
    assert response.status_code == 201, response.content
    inspection = response.json()
    assert inspection["plan"]["id"] == plan.pk and inspection["needs_review"] is True
    _answer(staff, inspection, version)
    response = staff.post(url(INSPECTIONS, inspection["id"], "submit"), {
        "signer_name": "王老师", "signature": signature_png()}, format="json")
    assert response.json()["state"] == "awaiting_review"
    assert staff.post(url(INSPECTIONS, inspection["id"], "approve"), {},
                      format="json").status_code == 403
    admin = client_for(org.users.admin)
    assert admin.get(url(INSPECTIONS, inspection["id"])).json()["actions"] == ["approve",
                                                                               "send-back"]
    response = admin.post(url(INSPECTIONS, inspection["id"], "approve"), {"comment": "同意"},
                          format="json")
    assert response.status_code == 200 and response.json()["state"] == "finished"
    assert response.json()["reviewed_by"]["id"] == org.users.admin.pk
    assert admin.post(url(INSPECTIONS, inspection["id"], "approve"), {},
                      format="json").status_code == 409
    plan_body = staff.get(url(PLANS, plan.pk)).json()
    assert plan_body["coverage"]["done"] == 1


def test_list_filters_and_visibility(org, version):
    a = _start(org, version)
    b = _start(org, version, place=org.place_b)
    staff = client_for(org.users.staff)

    def ids(client, **params):
        response = client.get(INSPECTIONS, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(staff) == [b["id"], a["id"]]
    assert ids(staff, unit=org.unit_a.pk) == [a["id"]]
    assert ids(staff, place=org.place_b.pk) == [b["id"]]
    assert ids(staff, state="finished") == []
    assert ids(staff, campus=org.campus2.pk) == [b["id"]]
    assert staff.get(INSPECTIONS, {"state": "nonsense"}).status_code == 400
    # a unit sees the office's inspections once their results went out: unit B's contact
    # sees only unit B's finished inspection; unit A's is 404 on every route
    contact_b = client_for(org.users.contact_b)
    assert ids(contact_b) == []
    _finish(org, b["id"])
    assert ids(contact_b) == [b["id"]]
    for path in ("", "results/"):
        response = contact_b.get(url(INSPECTIONS, a["id"]) + path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    item = version.items.first()
    assert contact_b.post(url(INSPECTIONS, a["id"], "results"), {
        "item": item.pk, "outcome": "complies"}, format="json").status_code == 404
    # unit A's contact sees its unit's inspection once finished, and may not record results
    contact_a = client_for(org.users.contact_a)
    assert contact_a.get(url(INSPECTIONS, a["id"])).status_code == 404
    _finish(org, a["id"])
    assert contact_a.get(url(INSPECTIONS, a["id"])).json()["actions"] == []
    assert contact_a.post(url(INSPECTIONS, a["id"], "results"), {
        "item": item.pk, "outcome": "complies"}, format="json").status_code == 403
    assert ids(client_for(org.users.student)) == []
    assert client_for(None).get(INSPECTIONS).status_code == 401


def test_a_unit_contact_sees_the_same_inspections_in_the_api_as_on_the_web_list(org, version,
                                                                              client):
    # given, around unit A: the office's inspections in progress, awaiting approval and
    # finished, the unit's own self-inspection, and an inspection of unit B
    _start(org, version)
    _start(org, version, user=org.users.staff2)
    finished = _start(org, version, user=org.users.admin)
    _finish(org, finished["id"])
    plan = services.plan_create(
        actor=org.users.admin, kind=PlanKind.CAMPAIGN, name="复查", template_id=version.template_id,
        place_ids=[org.place_a.pk], starts_on=NOW.date(), ends_on=NOW.date() + dt.timedelta(9),
        inspector_ids=[org.users.staff.pk], needs_review=True)
    awaiting = services.inspection_start(actor=org.users.staff,
                                         target_id=plan.targets.get().pk)
    _finish(org, awaiting.pk)
    assert Inspection.objects.get(pk=awaiting.pk).state == Inspection.State.AWAITING_REVIEW
    own = _start(org, version, user=org.users.contact_a)
    other_unit = _start(org, version, place=org.place_b)
    _finish(org, other_unit["id"])
    # when unit A's safety contact reads the list through the API and on /inspections/
    api_ids = [row["id"] for row in client_for(org.users.contact_a).get(
        INSPECTIONS, {"page_size": 200}).json()["results"]]
    login(client, org.users.contact_a)
    web_ids = [i.pk for i in client.get(reverse("inspections:home")).context["page"]]
    # then both list the same inspections in the same order: the selector's, newest first
    expected = list(selectors.inspection_list_visible_to(org.users.contact_a)
                    .order_by("-started_at", "-id").values_list("pk", flat=True))
    assert api_ids == web_ids == expected
    assert own["id"] in api_ids and finished["id"] in api_ids
    assert other_unit["id"] not in api_ids


def test_list_query_count_does_not_grow(org, version, django_assert_max_num_queries):
    staff = client_for(org.users.staff)
    _start(org, version)
    with django_assert_max_num_queries(4):
        assert staff.get(INSPECTIONS).status_code == 200
    for _ in range(5):
        _start(org, version, place=org.place_b)
    with django_assert_max_num_queries(4):
        assert len(staff.get(INSPECTIONS).json()["results"]) == 6


def test_schema_lists_the_inspection_endpoints(org):
    response = client_for(org.users.staff).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/inspections/templates/", "/api/v1/inspections/templates/{id}/",
        "/api/v1/inspections/templates/{id}/versions/{number}/",
        "/api/v1/inspections/plans/", "/api/v1/inspections/plans/{id}/",
        "/api/v1/inspections/plans/{id}/targets/",
        "/api/v1/inspections/inspections/", "/api/v1/inspections/inspections/{id}/",
        "/api/v1/inspections/inspections/{id}/results/",
        "/api/v1/inspections/inspections/{id}/submit/",
        "/api/v1/inspections/inspections/{id}/approve/",
        "/api/v1/inspections/inspections/{id}/reopen/",
    } <= set(paths)
    results = paths["/api/v1/inspections/inspections/{id}/results/"]
    assert {"get", "post", "put"} <= set(results)
    start = paths["/api/v1/inspections/inspections/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in start["parameters"])
    assert {"200", "201", "400", "403", "409"} <= set(start["responses"])


def test_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    # --fail-on-warn raises on any warning (e.g. two components or enums with one name)
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "s.yaml"))
    assert "/api/v1/inspections/inspections/{id}/submit/" in (tmp_path / "s.yaml").read_text()


def test_photos_are_stored_once_per_client_id_and_bad_files_refused(org, version):
    # given an item recorded as failed
    inspection = _start(org, version)
    staff = client_for(org.users.staff)
    item = version.items.get(code="1.1")
    photos = url(INSPECTIONS, inspection["id"], "photos")
    # a photo for an item without a result is refused
    early = staff.post(photos, {"item": item.pk, "client_id": "p1", "photo": photo_upload()},
                       format="multipart")
    assert early.status_code == 400
    assert early.json()["detail"] == "Record the result of this item before adding photos."
    staff.post(url(INSPECTIONS, inspection["id"], "results"),
               {"item": item.pk, "outcome": "fails", "note": "堆物"}, format="json")
    # when the same photo is sent twice, it is stored once (201, then 200 with the same id)
    first = staff.post(photos, {"item": item.pk, "client_id": "p1", "photo": photo_upload()},
                       format="multipart")
    again = staff.post(photos, {"item": item.pk, "client_id": "p1", "photo": photo_upload()},
                       format="multipart")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert ResultPhoto.objects.count() == 1
    # and a file that is not a photo is refused with the reason, nothing stored
    bad = staff.post(photos, {"item": item.pk, "client_id": "p2",
                              "photo": photo_upload("notes.txt", fmt="BMP")}, format="multipart")
    assert bad.status_code == 400
    assert bad.json()["detail"] == (
        "notes.txt is not a photo we can read; use JPEG, PNG, WebP or HEIC.")
    assert ResultPhoto.objects.count() == 1
    # and another unit's contact cannot add photos (404)
    assert client_for(org.users.contact_b).post(photos, {
        "item": item.pk, "client_id": "p3", "photo": photo_upload()},
        format="multipart").status_code == 404
