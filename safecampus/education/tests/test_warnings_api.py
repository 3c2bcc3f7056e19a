"""API of warnings and follow-ups: send (idempotent), list with read %, receipts, remind once,
my warnings; follow-ups visible list, 404 for others, close with a note."""
# ruff: noqa: F811  (fixtures imported from warning_helpers)

from safecampus.api.tests.helpers import client_for
from safecampus.education.services import followups as followup_services
from safecampus.notifications.models import Alert
from safecampus.notifications.services import alert_mark_read

from .warning_helpers import english, roster  # noqa: F401

WARNINGS = "/api/v1/education/warnings/"
FOLLOWUPS = "/api/v1/education/followups/"


def test_send_list_receipts_and_remind(org, roster):
    api = client_for(org.users.police)
    body = {"title": "新生警惕冒充客服", "body": "不要相信退款电话。", "level": "warning",
            "audience_kind": "year", "audience_year": 2025}
    sent = api.post(WARNINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="api-key-0001")
    assert sent.status_code == 201 and sent.json()["recipient_count"] == 3
    again = api.post(WARNINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="api-key-0001")
    assert again.status_code == 200 and again.json()["id"] == sent.json()["id"]
    assert Alert.objects.count() == 1
    alert_mark_read(user=roster.students.m1, alert_id=sent.json()["id"])
    listed = api.get(WARNINGS).json()["results"]
    assert [(r["read_count"], r["read_percent"], r["audience"]) for r in listed] == [
        (1, 33, "Year group 2025")]
    detail = api.get(f"{WARNINGS}{sent.json()['id']}/").json()
    assert detail["receipts"]["unread"] == 2
    assert {c["college"]: c["read"] for c in detail["receipts"]["by_college"]} == {
        "化学学院": 0, "机械学院": 1}
    assert api.post(f"{WARNINGS}{sent.json()['id']}/remind/").json() == {"reminded": 2}
    second = api.post(f"{WARNINGS}{sent.json()['id']}/remind/")
    assert second.status_code == 409 and second.json()["code"] == "already_reminded"


def test_bad_audience_is_a_400_with_the_field(org, roster):
    response = client_for(org.users.staff).post(WARNINGS, {
        "title": "t", "body": "b", "audience_kind": "college"}, format="json")
    assert response.status_code == 400
    assert "Choose the college." in str(response.json())
    assert not Alert.objects.exists()


def test_an_audience_of_no_one_is_a_400_and_nothing_is_sent(org, roster):
    response = client_for(org.users.staff).post(WARNINGS, {
        "title": "t", "body": "b", "audience_kind": "year", "audience_year": 2031},
        format="json")
    assert response.status_code == 400 and response.json()["code"] == "no_recipients"
    assert not Alert.objects.exists()


def test_students_cannot_send_but_read_their_own(org, roster):
    api = client_for(roster.students.a1)
    assert api.post(WARNINGS, {"title": "t", "body": "b", "audience_kind": "everyone"},
                    format="json").status_code == 403
    assert api.get(WARNINGS).status_code == 403
    client_for(org.users.staff).post(WARNINGS, {"title": "校园贷预警", "body": "b",
                                                "audience_kind": "class",
                                                "audience_class": roster.c24.pk}, format="json")
    mine = api.get(f"{WARNINGS}mine/").json()["results"]
    assert [(m["title"], m["read_at"]) for m in mine] == [("校园贷预警", None)]


def test_followups_visible_list_404_and_close(org, roster):
    followup = followup_services.followup_create(
        actor=org.users.police, student_number="2025001", warning_source="96110",
        reason="多次与涉诈号码通话")
    chem = client_for(roster.chem_c)
    assert [f["id"] for f in chem.get(FOLLOWUPS, {"state": "open"}).json()["results"]] == [
        followup.pk]
    assert client_for(roster.mech_c).get(f"{FOLLOWUPS}{followup.pk}/").status_code == 404
    assert client_for(roster.mech_c).get(FOLLOWUPS).json()["results"] == []
    assert client_for(org.users.leadership).get(FOLLOWUPS).status_code == 403
    short = chem.post(f"{FOLLOWUPS}{followup.pk}/close/", {"outcome": "reached_safe",
                                                          "note": "ok"}, format="json")
    assert short.status_code == 400
    closed = chem.post(f"{FOLLOWUPS}{followup.pk}/close/",
                       {"outcome": "reached_safe", "note": "已电话联系学生，已劝阻。"}, format="json")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    again = chem.post(f"{FOLLOWUPS}{followup.pk}/close/",
                      {"outcome": "reached_safe", "note": "已电话联系学生，已劝阻。"}, format="json")
    assert again.status_code == 409


def test_the_detail_reads_the_receipts_once(org, roster):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = client_for(org.users.police)
    sent = api.post(WARNINGS, {"title": "校园贷预警", "body": "b", "audience_kind": "year",
                               "audience_year": 2025}, format="json").json()
    alert_mark_read(user=roster.students.b1, alert_id=sent["id"])
    with CaptureQueriesContext(connection) as queries:
        detail = api.get(f"{WARNINGS}{sent['id']}/").json()
    assert (detail["read_count"], detail["read_percent"], detail["receipts"]["read"]) == (
        1, 33, 1)
    reminded_checks = [q for q in queries.captured_queries
                       if "core_activityentry" in q["sql"] and "alert_remind" in q["sql"]]
    assert len(reminded_checks) == 1
