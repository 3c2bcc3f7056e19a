"""The whole hazard loop through the REST API with token authentication."""

import datetime as dt

import pytest
from django.utils import timezone

from safecampus.core.clock import frozen, local_today
from safecampus.hazards.models import Hazard, RectificationNotice, Status
from safecampus.notifications.models import Notification
from safecampus.tests.factories import photo_upload

from .helpers import HAZARDS, NOTICES, client_for, hazard_url, notice_url

pytestmark = pytest.mark.django_db(transaction=True)

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday


def token_client(username: str):
    """Sign in through POST /api/v1/auth/token/ and use the token it returns."""
    from rest_framework.test import APIClient

    anonymous = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    response = anonymous.post("/api/v1/auth/token/", {"username": username,
                                                       "password": "pass-1234"}, format="json")
    assert response.status_code == 200, response.content
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_token_is_required_and_a_wrong_password_gets_none(org):
    assert client_for(None).get(HAZARDS).status_code == 401
    from rest_framework.test import APIClient

    response = APIClient().post("/api/v1/auth/token/", {"username": "staff1", "password": "nope"},
                                format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_report_to_verified_close_through_the_api(org):
    student, staff, contact = (token_client("student1"), token_client("staff1"),
                               token_client("contact_a"))
    with frozen(AT):
        # given a student reports a hazard with a photo at a lab of unit A
        response = student.post(HAZARDS, {
            "title": "灭火器过期", "category": org.fire.pk, "place": org.place_a.pk,
            "description": "三楼走廊", "photos": [photo_upload()],
        }, format="multipart")
        assert response.status_code == 201, response.content
        body = response.json()
        pk = body["id"]
        assert body["status"] == "reported"
        assert body["status_display"] == "Reported"
        assert body["responsible_unit"] == {"id": org.unit_a.pk, "name": "化学学院"}
        assert body["reporter"]["id"] == org.users.student.pk
        assert len(body["photos"]) == 1
        assert body["photos"][0]["url"].endswith(f"/hazards/photos/{body['photos'][0]['id']}/full/")
        assert [e["verb"] for e in body["timeline"]] == ["hazards.report"]

        # when the office confirms it and issues a notice (5 working days)
        response = staff.post(hazard_url(pk, "confirm"), {"version": body["version"],
                                                          "grade": "general"}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "confirmed"
        response = staff.post(NOTICES, {"hazard_ids": [pk], "requirements": "立即更换",
                                        "deadline_days": 5, "deadline_basis": "working"},
                              format="json", HTTP_IDEMPOTENCY_KEY="notice-key-0001")
        assert response.status_code == 201, response.content
        notice = response.json()
        assert notice["number"].startswith("保卫整改〔2026〕")
        assert notice["state"] == "issued"
        assert [h["id"] for h in notice["hazards"]] == [pk]
        # five working days from Monday 2 March 2026 is Monday 9 March, end of the local day
        assert notice["deadline"].startswith("2026-03-09T23:59:59")

        # then the unit reads the notice as a PDF, signs for it and starts work
        response = contact.get(notice_url(notice["id"], "pdf"))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        response = contact.post(notice_url(notice["id"], "acknowledge"))
        assert response.status_code == 200, response.content
        assert response.json()["state"] == "acknowledged"
        assert response.json()["acknowledged_by"] == str(org.users.contact_a)
        hazard = contact.get(hazard_url(pk)).json()
        assert hazard["status"] == "acknowledged"
        response = contact.post(hazard_url(pk, "start-rectification"),
                                {"version": hazard["version"]}, format="json")
        assert response.status_code == 200
        hazard = response.json()
        assert hazard["status"] == "rectifying"

        # and submits evidence with a photo
        response = contact.post(hazard_url(pk, "evidence"), {
            "text": "已更换新灭火器", "version": hazard["version"], "photos": [photo_upload()],
        }, format="multipart", HTTP_IDEMPOTENCY_KEY="evidence-key-01")
        assert response.status_code == 200, response.content
        hazard = response.json()
        assert hazard["status"] == "evidence_submitted"
        assert hazard["evidence"][0]["text"] == "已更换新灭火器"
        assert len(hazard["evidence"][0]["photos"]) == 1
        assert hazard["evidence"][0]["photos"][0]["stage"] == "after"
        assert len(hazard["photos"]) == 1  # the report's photo; evidence photos sit with evidence

        # finally the office verifies and closes it
        response = staff.post(hazard_url(pk, "verify"), {"version": hazard["version"],
                                                         "comment": "复查合格"}, format="json")
        assert response.status_code == 200, response.content
        hazard = response.json()
    assert hazard["status"] == "closed"
    assert hazard["status_display"] == "Verified and closed"
    assert hazard["is_overdue"] is False
    assert [e["verb"] for e in hazard["timeline"]] == [
        "hazards.report", "hazards.confirm", "hazards.issue_notice", "hazards.acknowledge",
        "hazards.start_rectification", "hazards.submit_evidence", "hazards.verify"]
    assert hazard["timeline"][-1]["actor"] == str(org.users.staff)
    assert hazard["timeline"][-1]["to_state_display"] == "Verified and closed"
    db = Hazard.objects.get(pk=pk)
    assert db.status == Status.CLOSED and db.closed_on_time is True
    assert RectificationNotice.objects.get(pk=notice["id"]).state == "completed"
    # the same notifications as through the pages
    assert Notification.objects.filter(recipient=org.users.contact_a, verb="notices.issue").exists()
    assert Notification.objects.filter(recipient=org.users.student,
                                       verb="hazards.reporter_update").count() == 2


def test_json_report_without_photos_and_the_reporters_own_list(org):
    client = client_for(org.users.student)
    response = client.post(HAZARDS, {"title": "路灯不亮", "category": org.electrical.pk,
                                     "campus": org.campus2.pk, "location_text": "南门"},
                           format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["campus"]["name"] == "南校区"
    assert body["responsible_unit"] is None  # no rule, no place: the office assigns it
    assert body["photos"] == []
    mine = client.get(f"{HAZARDS}mine/").json()
    assert [row["id"] for row in mine["results"]] == [body["id"]]
    assert client_for(org.users.student2).get(f"{HAZARDS}mine/").json()["results"] == []


def test_office_reports_with_grade_and_source_but_a_student_cannot_set_them(org):
    staff = client_for(org.users.staff).post(HAZARDS, {
        "title": "配电箱未上锁", "category": org.electrical.pk, "place": org.place_a.pk,
        "grade": "major", "source": "inspection", "is_anonymous": True}, format="json").json()
    assert (staff["grade"], staff["source"], staff["is_anonymous"]) == ("major", "inspection", False)
    student = client_for(org.users.student).post(HAZARDS, {
        "title": "配电箱未上锁", "category": org.electrical.pk, "place": org.place_a.pk,
        "grade": "major", "source": "police"}, format="json").json()
    assert (student["grade"], student["source"]) == ("general", "report")


def test_reject_duplicate_fix_on_spot_return_relocate_extension_and_plan(org):
    from safecampus.hazards.tests.helpers import confirmed, reported, submitted

    staff, contact = client_for(org.users.staff), client_for(org.users.contact_a)
    # reject and duplicate
    one, two, three = reported(org), reported(org), reported(org)
    response = staff.post(hazard_url(one.pk, "reject"), {"reason": "不是隐患"}, format="json")
    assert response.json()["status"] == "rejected"
    assert response.json()["resolution_comment"] == "不是隐患"
    response = staff.post(hazard_url(two.pk, "duplicate"), {"duplicate_of": three.pk},
                          format="json")
    assert (response.json()["status"], response.json()["duplicate_of"]) == ("duplicate", three.pk)
    # fixed on the spot
    hazard = confirmed(org)
    response = staff.post(hazard_url(hazard.pk, "fix-on-spot"),
                          {"text": "当场清理", "photos": [photo_upload()]}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "fixed_on_spot"
    assert response.json()["evidence"][0]["kind"] == "on_the_spot"
    # returned for rework
    hazard, _ = submitted(org)
    response = staff.post(hazard_url(hazard.pk, "return"), {"reason": "照片不清楚"},
                          format="json")
    assert response.json()["status"] == "returned"
    # an extension is requested by the unit (at most 180 days ahead) and granted by the office
    later = local_today() + dt.timedelta(days=90)
    response = contact.post(hazard_url(hazard.pk, "extension-request"), {
        "requested_deadline": later.isoformat(), "reason": "等待采购"}, format="json")
    assert response.status_code == 200, response.content
    extension = response.json()["extensions"][0]
    assert (extension["state"], extension["state_display"]) == ("pending", "Pending")
    response = staff.post(f"/api/v1/hazards/extensions/{extension['id']}/decide/",
                          {"decision": "grant"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["extensions"][0]["state"] == "granted"
    assert response.json()["deadline"].startswith(f"{later.isoformat()}T23:59:59")
    # a major hazard gets a plan; relocating it to traffic re-routes it to logistics
    major = confirmed(org, grade="major", reporter=org.users.staff)
    response = staff.post(hazard_url(major.pk, "plan"), {
        "plan": "更换线路", "interim_measures": "断电并设置警示", "person_in_charge": "王工",
        "milestones": [{"title": "采购", "due_date": "2099-02-01"}]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["plan"]["milestones"][0]["title"] == "采购"
    response = staff.post(hazard_url(major.pk, "relocate"), {
        "category": org.traffic.pk, "campus": org.campus1.pk, "location_text": "北门",
        "version": response.json()["version"]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["responsible_unit"]["id"] == org.logistics.pk
    assert response.json()["timeline"][-1]["verb"] == "hazards.update"


def test_notice_lists_follow_the_unit(org):
    from safecampus.hazards.tests.helpers import noticed

    with frozen(timezone.now()):
        _, notice = noticed(org)
    rows = client_for(org.users.contact_a).get(NOTICES).json()["results"]
    assert [row["number"] for row in rows] == [notice.number]
    assert client_for(org.users.contact_b).get(NOTICES).json()["results"] == []
    assert client_for(org.users.leadership).get(NOTICES).json()["results"][0]["id"] == notice.pk


def test_relocating_a_noticed_hazard_reroutes_it_to_the_new_unit(org):
    from safecampus.hazards.tests.helpers import acknowledged

    hazard, notice = acknowledged(org)
    assert client_for(org.users.contact_log).get(hazard_url(hazard.pk)).status_code == 404
    # when the office finds it is a traffic hazard on the road outside
    response = client_for(org.users.staff).post(hazard_url(hazard.pk, "relocate"), {
        "category": org.traffic.pk, "campus": org.campus2.pk, "location_text": "南门外",
        "version": hazard.version}, format="json")
    # then logistics is responsible, the old notice is cancelled and it awaits a new notice
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["responsible_unit"]["id"] == org.logistics.pk
    assert body["status"] == "confirmed" and body["current_notice"] is None
    assert body["timeline"][-1]["verb"] == "hazards.reroute"
    assert RectificationNotice.objects.get(pk=notice.pk).state == "cancelled"
    # and unit A no longer sees it, while logistics does
    assert client_for(org.users.contact_a).get(hazard_url(hazard.pk)).status_code == 404
    assert client_for(org.users.contact_log).get(hazard_url(hazard.pk)).status_code == 200
    assert hazard.pk not in [r["id"] for r in client_for(org.users.contact_a).get(
        HAZARDS).json()["results"]]
