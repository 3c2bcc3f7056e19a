"""The API keeps the loop's rules: anonymity, idempotency, stale writes, illegal
transitions, input errors that change nothing, filters, and a fixed query count."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from safecampus.core.clock import frozen, local_today
from safecampus.core.models import IdempotencyKey
from safecampus.hazards import services
from safecampus.hazards.models import (
    Evidence,
    Hazard,
    HazardPhoto,
    NoticeSequence,
    RectificationNotice,
    RectificationPlan,
    Status,
)
from safecampus.hazards.tests.helpers import (
    acknowledged,
    confirmed,
    fresh,
    noticed,
    rectifying,
    reported,
)
from safecampus.tests.factories import photo_upload

from .helpers import HAZARDS, NOTICES, client_for, hazard_url, notice_url

pytestmark = pytest.mark.django_db


# --- anonymous reports ------------------------------------------------------------------------
def test_an_anonymous_reporter_is_hidden_from_everyone_but_himself(org):
    # given a student reports anonymously through the API, then the loop moves on
    student = org.users.student
    response = client_for(student).post(HAZARDS, {
        "title": "宿舍私拉电线", "category": org.electrical.pk, "place": org.place_a.pk,
        "is_anonymous": True}, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]
    # the reporter himself sees his name on his report
    assert response.json()["reporter"] == {"id": student.pk, "name": student.full_name}
    services.hazard_confirm(actor=org.users.staff, hazard_id=pk)
    notice = services.notice_issue(actor=org.users.staff, hazard_ids=[pk], requirements="整改",
                                   deadline_days=7)
    # when anyone else who may see it reads it by any route
    for name in ("admin", "staff", "guard", "grid", "contact_a", "leader_a", "leadership"):
        client = client_for(getattr(org.users, name))
        outputs = [client.get(hazard_url(pk)), client.get(HAZARDS, {"page_size": 200})]
        if name in ("admin", "staff", "contact_a", "leader_a", "leadership"):
            outputs.append(client.get(notice_url(notice.pk)))
        if name == "staff":
            outputs.append(client.post(hazard_url(pk, "relocate"), {
                "category": org.electrical.pk, "place": org.place_a.pk,
                "location_text": "3楼"}, format="json"))
        # then no output carries his identity
        for response in outputs:
            assert response.status_code == 200, (name, response.content)
            text = response.content.decode()
            assert student.full_name not in text, name
            assert student.username not in text, name
        detail = outputs[0].json()
        assert detail["reporter"] is None
        assert detail["is_anonymous"] is True
        assert detail["timeline"][0]["verb"] == "hazards.report"
        assert detail["timeline"][0]["actor"] is None
        row = next(r for r in outputs[1].json()["results"] if r["id"] == pk)
        assert row["reporter"] is None
    # while his own list and detail still show it is his
    assert client_for(student).get(hazard_url(pk)).json()["reporter"]["id"] == student.pk
    assert client_for(student).get(f"{HAZARDS}mine/").json()["results"][0]["reporter"] is not None


def test_a_named_report_shows_its_reporter(org):
    hazard = reported(org)
    body = client_for(org.users.contact_a).get(hazard_url(hazard.pk)).json()
    assert body["reporter"] == {"id": org.users.student.pk, "name": org.users.student.full_name}


# --- idempotency ------------------------------------------------------------------------------
REPORT = {"title": "消防通道堵塞", "category": 0, "place": 0}


def report_body(org):
    return {**REPORT, "category": org.fire.pk, "place": org.place_a.pk}


def test_the_same_idempotency_key_reports_once(org):
    client = client_for(org.users.student)
    first = client.post(HAZARDS, report_body(org), format="json", HTTP_IDEMPOTENCY_KEY="tap-12345678")
    second = client.post(HAZARDS, report_body(org), format="json",
                         HTTP_IDEMPOTENCY_KEY="tap-12345678")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Hazard.objects.count() == 1
    # a new key is a new report
    third = client.post(HAZARDS, report_body(org), format="json", HTTP_IDEMPOTENCY_KEY="tap-87654321")
    assert third.status_code == 201 and Hazard.objects.count() == 2


def test_another_users_key_is_a_conflict_and_reveals_nothing(org):
    client_for(org.users.student).post(HAZARDS, report_body(org), format="json",
                                       HTTP_IDEMPOTENCY_KEY="shared-key-0001")
    response = client_for(org.users.student2).post(HAZARDS, report_body(org), format="json",
                                                   HTTP_IDEMPOTENCY_KEY="shared-key-0001")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert "消防通道堵塞" not in response.content.decode()
    assert Hazard.objects.count() == 1


def test_a_malformed_key_is_refused_not_ignored(org):
    response = client_for(org.users.student).post(HAZARDS, report_body(org), format="json",
                                                  HTTP_IDEMPOTENCY_KEY="short")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert not Hazard.objects.exists()


def test_evidence_and_notice_keys_replay_the_first_result(org):
    hazard = confirmed(org)
    staff = client_for(org.users.staff)
    body = {"hazard_ids": [hazard.pk], "requirements": "整改", "deadline_days": 7}
    first = staff.post(NOTICES, body, format="json", HTTP_IDEMPOTENCY_KEY="notice-00000001")
    second = staff.post(NOTICES, body, format="json", HTTP_IDEMPOTENCY_KEY="notice-00000001")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["number"] == second.json()["number"]
    assert RectificationNotice.objects.count() == 1
    assert NoticeSequence.objects.get().last_number == 1  # no number used up by the retry
    # the evidence of the unit, sent twice over a flaky network
    services.notice_acknowledge(actor=org.users.contact_a, notice_id=first.json()["id"])
    services.hazard_start_rectification(actor=org.users.contact_a, hazard_id=hazard.pk)
    contact = client_for(org.users.contact_a)
    for _ in range(2):
        response = contact.post(hazard_url(hazard.pk, "evidence"),
                                {"text": "已整改", "photos": [photo_upload()]},
                                format="multipart", HTTP_IDEMPOTENCY_KEY="evidence-0000001")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "evidence_submitted"
    assert Evidence.objects.count() == 1
    assert HazardPhoto.objects.filter(stage="after").count() == 1
    assert IdempotencyKey.objects.count() == 2


# --- stale and illegal transitions -----------------------------------------------------------
def stale_message() -> str:
    from django.utils.translation import gettext as _

    return _("Someone else changed this hazard while you were looking at it. "
             "Reload the page and try again.")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_stale_version_is_409_and_changes_nothing(org, language):
    # given two officers looking at the same report (version 1)
    hazard = reported(org)
    seen = hazard.version
    assert client_for(org.users.staff).post(hazard_url(hazard.pk, "confirm"), {"version": seen},
                                            format="json").status_code == 200
    # when the second rejects what he saw
    response = client_for(org.users.staff2, language=language).post(
        hazard_url(hazard.pk, "reject"), {"version": seen, "reason": "不是隐患"}, format="json")
    # then a conflict in his language, and the hazard stays confirmed
    assert response.status_code == 409
    with translation.override(language):
        assert response.json() == {"detail": stale_message(), "code": "stale", "errors": {}}
    assert fresh(hazard).status == Status.CONFIRMED
    assert fresh(hazard).resolution_comment == ""


def test_stale_version_on_plan_and_extension_request(org):
    hazard, _ = acknowledged(org, grade="major")
    contact = client_for(org.users.contact_a)
    response = contact.post(hazard_url(hazard.pk, "extension-request"), {
        "version": hazard.version - 1, "requested_deadline": "2099-01-01", "reason": "采购"},
        format="json")
    assert response.status_code == 409 and response.json()["code"] == "stale"
    response = contact.post(hazard_url(hazard.pk, "plan"), {
        "version": hazard.version - 1, "plan": "p", "interim_measures": "m",
        "person_in_charge": "王工", "milestones": [{"title": "t", "due_date": "2099-01-01"}]},
        format="json")
    assert response.status_code == 409
    assert not fresh(hazard).extensions.exists()
    assert not RectificationPlan.objects.exists()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_illegal_transition_is_409_with_the_translated_message(org, language):
    from django.utils.translation import gettext as _

    hazard, _notice = acknowledged(org)
    response = client_for(org.users.staff, language=language).post(
        hazard_url(hazard.pk, "verify"), {}, format="json")
    assert response.status_code == 409
    with translation.override(language):
        expected = _("This cannot be done while the hazard is “%(status)s”.") % {
            "status": Status.ACKNOWLEDGED.label}
    assert response.json() == {"detail": str(expected), "code": "illegal_transition", "errors": {}}
    assert fresh(hazard).status == Status.ACKNOWLEDGED


def test_signing_a_notice_twice_is_409(org):
    _hazard, notice = noticed(org)
    contact = client_for(org.users.contact_a)
    assert contact.post(notice_url(notice.pk, "acknowledge")).status_code == 200
    response = contact.post(notice_url(notice.pk, "acknowledge"))
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "This notice is “Acknowledged” and cannot be signed for again.")


# --- bad input -------------------------------------------------------------------------------
def test_a_report_without_title_or_category_is_400_with_field_errors(org):
    response = client_for(org.users.student).post(HAZARDS, {"place": org.place_a.pk},
                                                  format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == {"title": ["Say in a few words what the hazard is."],
                              "category": ["Choose a category."]}
    assert body["detail"] == "Say in a few words what the hazard is."
    assert not Hazard.objects.exists()


def test_wrong_types_are_400_from_the_serializer_in_the_users_language(org):
    hazard = reported(org)
    response = client_for(org.users.staff).post(hazard_url(hazard.pk, "confirm"),
                                                {"version": "abc", "grade": "huge"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"version", "grade"}
    assert response.json()["errors"]["version"] == ["A valid integer is required."]
    assert fresh(hazard).status == Status.REPORTED
    assert fresh(hazard).version == hazard.version


def test_extension_decision_needs_a_choice(org):
    hazard, _ = acknowledged(org)
    extension = services.extension_request(
        actor=org.users.contact_a, hazard_id=hazard.pk,
        requested_deadline=local_today() + dt.timedelta(days=90), reason="采购")
    response = client_for(org.users.staff, language="zh-hans").post(
        f"/api/v1/hazards/extensions/{extension.pk}/decide/", {}, format="json")
    assert response.status_code == 400
    with translation.override("zh-hans"):
        from rest_framework.fields import Field

        assert response.json()["errors"] == {"decision": [str(Field.default_error_messages[
            "required"])]}
    response = client_for(org.users.staff).post(
        f"/api/v1/hazards/extensions/{extension.pk}/decide/", {"decision": "refuse"},
        format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"comment": ["Give the reason for refusing."]}
    extension.refresh_from_db()
    assert extension.state == "pending"


def test_an_unreadable_photo_is_400_and_nothing_is_written(org, settings):
    bogus = SimpleUploadedFile("scan.jpg", b"not an image at all", content_type="image/jpeg")
    response = client_for(org.users.student).post(HAZARDS, {
        **report_body(org), "photos": [photo_upload(), bogus]}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "photos": ["scan.jpg is not a photo we can read; use JPEG, PNG, WebP or HEIC."]}
    assert not Hazard.objects.exists()
    assert not HazardPhoto.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_reject_and_return_need_a_reason_under_the_api_field_name(org):
    hazard = reported(org)
    staff = client_for(org.users.staff)
    response = staff.post(hazard_url(hazard.pk, "reject"), {"reason": "  "}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": ["Give the reason, the reporter will see it."]}
    assert fresh(hazard).status == Status.REPORTED


def test_evidence_without_photo_and_notice_without_hazards(org):
    hazard, _ = rectifying(org)
    notices = RectificationNotice.objects.count()
    response = client_for(org.users.contact_a).post(hazard_url(hazard.pk, "evidence"),
                                                    {"text": "已整改"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"photos": ["Add at least one photo of the rectified state."]}
    assert fresh(hazard).status == Status.RECTIFYING
    response = client_for(org.users.staff).post(NOTICES, {"hazard_ids": [], "requirements": "",
                                                          "deadline_days": 500}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "hazard_ids": ["Choose at least one hazard for the notice."],
        "requirements": ["Write the rectification requirements."],
        "deadline_days": ["The deadline must be between 1 and 180 days."],
    }
    assert RectificationNotice.objects.count() == notices


def test_a_bad_ledger_filter_is_400(org):
    response = client_for(org.users.staff).get(HAZARDS, {"grade": "huge", "date_from": "yesterday"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"grade", "date_from"}


# --- ledger filters ---------------------------------------------------------------------------
def test_ledger_filters_mirror_the_page(org):
    at = dt.datetime(2026, 5, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    with frozen(at):
        lab = reported(org, title="实验室废液桶无标签")
        road = reported(org, title="路口反光镜损坏", category_id=org.traffic.pk,
                        place_id=org.place_b.pk)
        closed_one, _ = noticed(org, title="逾期未整改")
    with frozen(at + dt.timedelta(days=1)):
        late = reported(org, title="次日报告")
    staff = client_for(org.users.staff)

    def ids(**params):
        with frozen(at + dt.timedelta(days=30)):
            response = staff.get(HAZARDS, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(campus=org.campus2.pk) == [road.pk]
    assert ids(unit=org.logistics.pk) == [road.pk]
    assert ids(category=org.traffic.pk) == [road.pk]
    assert set(ids(status="open")) == {lab.pk, road.pk, closed_one.pk, late.pk}
    assert ids(status="notice_issued") == [closed_one.pk]
    assert ids(overdue="true") == [closed_one.pk]  # a 7-day deadline, 30 days later
    assert ids(q=lab.reference) == [lab.pk]
    assert ids(q="反光镜") == [road.pk]
    assert set(ids(date_from="2026-05-11")) == {late.pk}
    assert late.pk not in ids(date_to="2026-05-10")
    assert ids(source="police") == []
    with frozen(at + dt.timedelta(days=30)):
        row = next(r for r in staff.get(HAZARDS).json()["results"] if r["id"] == closed_one.pk)
    assert row["is_overdue"] is True
    assert row["current_notice"]["number"].startswith("保卫整改〔2026〕")


def test_pages_have_next_links_and_no_count(org):
    for n in range(3):
        reported(org, title=f"隐患{n}")
    staff = client_for(org.users.staff)
    first = staff.get(HAZARDS, {"page_size": 2}).json()
    assert set(first) == {"page", "next", "previous", "results"}
    assert len(first["results"]) == 2 and first["previous"] is None
    second = staff.get(first["next"]).json()
    assert second["page"] == 2 and len(second["results"]) == 1 and second["next"] is None
    assert second["previous"] is not None


# --- query counts ----------------------------------------------------------------------------
def _many(org, n: int) -> None:
    for i in range(n):
        hazard = reported(org, title=f"隐患{i}", is_anonymous=bool(i % 2))
        if i % 3 == 0:
            services.hazard_confirm(actor=org.users.staff, hazard_id=hazard.pk)
            services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                  requirements="整改", deadline_days=7)


# token user (1), memberships for the scope (1), the page (1)
LEDGER_QUERIES = 3
NOTICE_LIST_QUERIES = 3


@pytest.mark.parametrize("rows", [1, 30])
def test_ledger_query_count_does_not_grow_with_rows(org, rows, django_assert_num_queries):
    _many(org, rows)
    for name in ("staff", "contact_a"):  # office (no filter) and unit (visibility filter)
        client = client_for(getattr(org.users, name))
        with django_assert_num_queries(LEDGER_QUERIES):
            response = client.get(HAZARDS, {"page_size": 50, "status": "open"})
        assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 12])
def test_notice_list_query_count_does_not_grow_with_rows(org, rows, django_assert_num_queries):
    _many(org, rows * 3 - 2)  # every third hazard gets a notice
    client = client_for(org.users.contact_a)
    with django_assert_num_queries(NOTICE_LIST_QUERIES):
        response = client.get(NOTICES)
    assert len(response.json()["results"]) == rows


def _reworked(org, rounds: int):
    """A hazard returned ``rounds`` times, each time with a refused extension and new evidence."""
    from safecampus.hazards.tests.helpers import submitted

    hazard, _ = submitted(org)
    for _round in range(rounds):
        services.hazard_return(actor=org.users.staff, hazard_id=hazard.pk, reason="不合格")
        extension = services.extension_request(actor=org.users.contact_a, hazard_id=hazard.pk,
                                               requested_deadline=local_today() + dt.timedelta(days=90),
                                               reason="采购")
        services.extension_decide(actor=org.users.staff, extension_id=extension.pk, grant=False,
                                  comment="不同意")
        services.hazard_start_rectification(actor=org.users.contact_a, hazard_id=hazard.pk)
        services.evidence_submit(actor=org.users.contact_a, hazard_id=hazard.pk, text="再次整改",
                                 photos=[photo_upload(), photo_upload()])
    return hazard


def test_detail_query_count_does_not_grow_with_evidence_and_extensions(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    few, many = _reworked(org, 1), _reworked(org, 3)
    client = client_for(org.users.staff)
    counts = []
    for hazard in (few, many):
        with CaptureQueriesContext(connection) as queries:
            body = client.get(hazard_url(hazard.pk)).json()
        counts.append(len(queries))
    assert len(body["evidence"]) == 4 and len(body["extensions"]) == 3
    assert body["evidence"][3]["submitted_by"] == str(org.users.contact_a)
    assert body["extensions"][0]["decided_by"] == str(org.users.staff)
    assert counts == [DETAIL_QUERIES, DETAIL_QUERIES]


# token, scope, hazard, photos, evidence, evidence photos, extensions with their requesters
# and deciders, plan (none: no milestones query), timeline, evidence people
DETAIL_QUERIES = 10


def test_detail_lists_the_actions_the_viewer_may_take(org):
    hazard = reported(org)
    assert client_for(org.users.staff).get(hazard_url(hazard.pk)).json()["actions"] == [
        "confirm", "reject", "duplicate"]
    assert client_for(org.users.student).get(hazard_url(hazard.pk)).json()["actions"] == []
    acked, _ = acknowledged(org)
    assert client_for(org.users.contact_a).get(hazard_url(acked.pk)).json()["actions"] == [
        "start-rectification", "extension-request"]
    assert client_for(org.users.staff).get(hazard_url(acked.pk)).json()["actions"] == ["relocate"]
    assert client_for(org.users.leadership).get(hazard_url(acked.pk)).json()["actions"] == []


def test_token_sign_in_is_locked_after_repeated_failures(org, settings):
    from rest_framework.test import APIClient

    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(3):
        response = client.post("/api/v1/auth/token/", {"username": "staff1", "password": "wrong"},
                               format="json")
        assert response.status_code == 400
    # the right password no longer helps for this user from this address …
    response = client.post("/api/v1/auth/token/", {"username": "staff1", "password": "pass-1234"},
                           format="json")
    assert response.status_code == 400
    assert "token" not in response.json()
    # … while another user still signs in (lockout is per user and address)
    response = client.post("/api/v1/auth/token/", {"username": "contact_a",
                                                   "password": "pass-1234"}, format="json")
    assert response.status_code == 200 and response.json()["token"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_labels_are_translated_into_the_users_language(org, language):
    from safecampus.api.hazards import VERB_LABELS
    from safecampus.hazards.models import Grade, Source

    hazard = reported(org)
    body = client_for(org.users.staff, language=language).get(hazard_url(hazard.pk)).json()
    with translation.override(language):
        expected = {
            "status_display": str(Status.REPORTED.label),
            "grade_display": str(Grade.GENERAL.label),
            "source_display": str(Source.REPORT.label),
            "category": "Fire safety" if language == "en" else "消防安全",
            "verb": str(VERB_LABELS["hazards.report"]),
        }
    assert {
        "status_display": body["status_display"],
        "grade_display": body["grade_display"],
        "source_display": body["source_display"],
        "category": body["category"]["name"],
        "verb": body["timeline"][0]["verb_display"],
    } == expected
    assert body["timeline"][0]["to_state_display"] == expected["status_display"]
    if language == "en":
        assert body["status_display"] == "Reported"


def test_a_pdf_client_gets_the_pdf_or_a_json_error(org):
    _hazard, notice = noticed(org)
    response = client_for(org.users.contact_a).get(notice_url(notice.pk, "pdf"),
                                                    HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert 'filename="notice-' in response["Content-Disposition"]
    response = client_for(org.users.contact_b).get(notice_url(notice.pk, "pdf"),
                                                   HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Notice not found", "code": "not_found", "errors": {}}
