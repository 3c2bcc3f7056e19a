"""Doing an inspection through HTTP: my work, start, the JSON endpoints of the run page,
submit with a signature, the inspection page and its actions, and who may see what."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safecampus.core import clock
from safecampus.core.uploads import ACCEPT_ATTRIBUTE
from safecampus.hazards.models import Hazard, RectificationNotice
from safecampus.inspections import services
from safecampus.inspections.models import Inspection, Outcome, PlanKind, ResultPhoto
from safecampus.tests.factories import photo_upload
from safecampus.tests.pages import text_of

from .helpers import answer_all, login, messages_of, published_checklist, signature_png

pytestmark = pytest.mark.django_db


def _started(org, *, actor=None, items=3, **kwargs):
    version = published_checklist(org.users.admin, category_id=org.fire.pk, items=items, **kwargs)
    inspection = services.inspection_start(actor=actor or org.users.staff,
                                           place_id=org.place_a.pk,
                                           template_id=version.template_id)
    return version, inspection


def _item(inspection, code="1.1"):
    return inspection.version.items.get(code=code)


def _save_url(inspection, item):
    return reverse("inspections:result_save", args=[inspection.pk, item.pk])


def _photo_url(inspection, item):
    return reverse("inspections:result_photo", args=[inspection.pk, item.pk])


def _plan(org, version, *, needs_review=False):
    return services.plan_create(
        actor=org.users.admin, kind=PlanKind.CAMPAIGN, name="2026春季实验室安全大检查",
        template_id=version.template_id, place_ids=[org.place_a.pk, org.place_b.pk],
        starts_on=clock.local_today(), ends_on=clock.local_today() + dt.timedelta(days=20),
        inspector_ids=[org.users.staff.pk], needs_review=needs_review)


# --- my work and the list -------------------------------------------------------------------
def test_my_work_lists_assigned_places_and_inspections_to_resume(org, client):
    # given a campaign assigning both places to staff1 and one inspection he has begun
    version = published_checklist(org.users.admin, items=2)
    _plan(org, version)
    running = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                        template_id=version.template_id)
    # when he opens /inspections/
    login(client, org.users.staff)
    response = client.get(reverse("inspections:home"))
    # then the place not begun is offered with a Start button, and the begun one (started
    # from the place, it counts for the campaign) can be resumed
    assert response.status_code == 200
    assert running.target.place == org.place_a and running.plan.name == "2026春季实验室安全大检查"
    assert [str(t.place) for t, _form in response.context["targets"]] == ["机械楼 201室"]
    assert response.context["in_progress"] == [running]
    html = response.content.decode()
    assert reverse("inspections:run", args=[running.pk]) in html
    assert f'href="{reverse("inspections:checklist_list")}"' in html
    # and staff2, with nothing assigned, is told so
    login(client, org.users.staff2)
    assert "No place assigned to you is due." in client.get(reverse("inspections:home")).content.decode()


def test_unit_contact_sees_the_units_inspections_and_a_self_inspection_start(org, client):
    _version, inspection = _started(org)
    login(client, org.users.contact_a)
    response = client.get(reverse("inspections:home"))
    assert response.status_code == 200
    # the office's results reach the unit only when they go out
    assert list(response.context["page"]) == []
    answer_all(inspection, org.users.staff)
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    response = client.get(reverse("inspections:home"))
    assert list(response.context["page"]) == [inspection]
    assert "Start a self-inspection" in response.content.decode()
    # the other unit's contact sees an empty list; a student may not open the page
    login(client, org.users.contact_b)
    assert list(client.get(reverse("inspections:home")).context["page"]) == []
    login(client, org.users.student)
    assert client.get(reverse("inspections:home")).status_code == 403


def test_list_filters_and_query_count_does_not_grow_with_rows(org, client):
    version, first = _started(org)
    login(client, org.users.staff)
    url = reverse("inspections:home")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(12):
        services.inspection_start(actor=org.users.staff2, place_id=org.place_b.pk,
                                  template_id=version.template_id)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["page"]) == 13
    assert len(many) == len(few)
    # session, user, memberships, permissions ×2, the page, in progress, recent, inbox badge,
    # and the unit and campus filter lists: the same with 1 row or 13
    assert len(many) <= 12
    response = client.get(url, {"campus": org.campus1.pk})
    assert list(response.context["page"]) == [first]
    response = client.get(url, {"state": Inspection.State.FINISHED})
    assert list(response.context["page"]) == []
    response = client.get(url, {"state": "nonsense"})
    assert len(response.context["page"]) == 13
    assert "These filters were not applied" in response.content.decode()


def test_home_page_query_count_is_pinned(org, client, django_assert_max_num_queries):
    version, _inspection = _started(org)
    _plan(org, version)
    login(client, org.users.staff)
    client.get(reverse("inspections:home"))
    with django_assert_max_num_queries(12):
        client.get(reverse("inspections:home"))


# --- start ----------------------------------------------------------------------------------
def test_start_from_a_target_twice_with_one_key_starts_one_inspection(org, client):
    version = published_checklist(org.users.admin, items=2)
    plan = _plan(org, version)
    target = plan.targets.get(place=org.place_a)
    login(client, org.users.staff)
    data = {"target_id": target.pk, "idempotency_key": "tap-tap-0123456789"}
    first = client.post(reverse("inspections:start"), data)
    second = client.post(reverse("inspections:start"), data)
    inspection = Inspection.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("inspections:run",
                                                              args=[inspection.pk])
    assert (inspection.plan, inspection.target, inspection.kind) == (plan, target,
                                                                     Inspection.Kind.OFFICE)


def test_start_ad_hoc_with_the_place_picker(org, client):
    version = published_checklist(org.users.admin, items=2)
    login(client, org.users.staff)
    page = client.get(reverse("inspections:start"))
    assert page.status_code == 200
    key = page.context["form"].initial["idempotency_key"]
    data = {"campus": org.campus1.pk, "building": org.building_a.pk, "place": org.place_a.pk,
            "template": version.template_id, "idempotency_key": key}
    client.post(reverse("inspections:start"), data)
    client.post(reverse("inspections:start"), data)
    assert Inspection.objects.count() == 1
    # a missing place is shown on the form and nothing is started
    response = client.post(reverse("inspections:start"), {**data, "place": "",
                                                          "idempotency_key": "other-key-123456"})
    assert response.status_code == 400
    assert response.context["form"].errors["place"] == ["This field is required."]
    assert Inspection.objects.count() == 1


def test_unit_contact_self_inspects_only_the_units_places(org, client):
    version = published_checklist(org.users.admin, items=2)
    login(client, org.users.contact_a)
    page = client.get(reverse("inspections:start"))
    assert page.context["self_inspection"] is True
    assert [row[0] for row in page.context["picker"]["places"]] == [org.place_a.pk]
    data = {"campus": org.campus1.pk, "place": org.place_a.pk, "template": version.template_id,
            "idempotency_key": "self-check-12345678"}
    assert client.post(reverse("inspections:start"), data).status_code == 302
    assert Inspection.objects.get().kind == Inspection.Kind.SELF
    # another unit's place is not offered, and refused if posted anyway
    response = client.post(reverse("inspections:start"), {
        **data, "campus": org.campus2.pk, "place": org.place_b.pk,
        "idempotency_key": "self-check-87654321"})
    assert response.status_code == 400
    assert Inspection.objects.count() == 1
    login(client, org.users.student)
    assert client.get(reverse("inspections:start")).status_code == 403


# --- the run page and its JSON endpoints -----------------------------------------------------
def test_run_page_shows_what_the_server_has(org, client):
    _version, inspection = _started(org, veto="1.2")
    item = _item(inspection)
    services.result_record(actor=org.users.staff, inspection_id=inspection.pk, item_id=item.pk,
                           outcome=Outcome.FAILS, note="通道堆放纸箱")
    login(client, org.users.staff)
    response = client.get(reverse("inspections:run", args=[inspection.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-outcome="fails"' in html and "通道堆放纸箱</textarea>" in html
    assert f'accept="{ACCEPT_ATTRIBUTE}"' in html
    assert "Veto item" in html
    assert "Answered 1 of 3" in html
    assert response.context["run_config"]["itemsUrl"] == f"/inspections/{inspection.pk}/items/"
    # someone else (even office staff) cannot record here; another unit cannot see it
    login(client, org.users.staff2)
    assert client.get(reverse("inspections:run", args=[inspection.pk])).status_code == 403
    login(client, org.users.contact_b)
    assert client.get(reverse("inspections:run", args=[inspection.pk])).status_code == 404


def test_result_endpoint_saves_and_answers_json(org, client):
    _version, inspection = _started(org)
    item = _item(inspection)
    login(client, org.users.staff)
    response = client.post(_save_url(inspection, item), {
        "outcome": "fails", "note": "灭火器过期", "fixed_on_spot": "on", "fix_note": "已更换"})
    assert response.status_code == 200
    assert response.json() == {"ok": True, "item": item.pk, "outcome": "fails",
                               "fixed_on_spot": True, "is_repeat": False, "repeat_of": None,
                               "answered": 1}
    # sent again (a retry): still one result, with the latest values
    client.post(_save_url(inspection, item), {"outcome": "complies"})
    result = inspection.results.get()
    assert (result.outcome, result.fixed_on_spot) == (Outcome.COMPLIES, False)


def test_result_endpoint_refuses_bad_input_with_the_message(org, client):
    _version, inspection = _started(org)
    other = published_checklist(org.users.admin, code="dorm", items=1)
    login(client, org.users.staff)
    bad = client.post(_save_url(inspection, _item(inspection)), {"outcome": "maybe"})
    assert bad.status_code == 400
    assert bad.json()["error"] == "Choose complies, does not comply or not applicable."
    assert bad.json()["field_errors"] == {
        "outcome": ["Choose complies, does not comply or not applicable."]}
    foreign = client.post(_save_url(inspection, other.items.get()), {"outcome": "complies"})
    assert foreign.status_code == 400
    assert foreign.json()["error"] == (
        "This item is not in the checklist version this inspection uses.")
    assert not inspection.results.exists()
    # not the inspector: 403; not visible: 404; signed out: 401 (JSON, not a redirect)
    login(client, org.users.staff2)
    assert client.post(_save_url(inspection, _item(inspection)),
                       {"outcome": "complies"}).status_code == 403
    login(client, org.users.contact_b)
    assert client.post(_save_url(inspection, _item(inspection)),
                       {"outcome": "complies"}).status_code == 404
    login(client, org.users.student)
    assert client.post(_save_url(inspection, _item(inspection)),
                       {"outcome": "complies"}).status_code == 404
    client.logout()
    assert client.post(_save_url(inspection, _item(inspection)),
                       {"outcome": "complies"}).status_code == 401
    assert not inspection.results.exists()


def test_finished_inspection_answers_409(org, client):
    _version, inspection = _started(org, items=1)
    answer_all(inspection, org.users.staff)
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    login(client, org.users.staff)
    response = client.post(_save_url(inspection, _item(inspection)), {"outcome": "fails"})
    assert response.status_code == 409
    assert response.json()["error"] == (
        "This inspection is “Finished” and its results cannot be changed; reopen it with a "
        "reason first.")
    photo = client.post(_photo_url(inspection, _item(inspection)),
                        {"client_id": "c-1", "photo": photo_upload()})
    assert photo.status_code == 409
    # and the run page sends the inspector to the inspection's page
    run = client.get(reverse("inspections:run", args=[inspection.pk]))
    assert run.status_code == 302 and run["Location"] == reverse("inspections:detail",
                                                                 args=[inspection.pk])


def test_repeat_finding_is_flagged_in_the_answer(org, client):
    version, first = _started(org, items=1)
    answer_all(first, org.users.staff, fails={"1.1": "堆物"})
    services.inspection_submit(actor=org.users.staff, inspection_id=first.pk,
                               signer_name="王老师", signature=signature_png())
    second = services.inspection_start(actor=org.users.staff2, place_id=org.place_a.pk,
                                       template_id=version.template_id)
    login(client, org.users.staff2)
    answer = client.post(_save_url(second, _item(second)), {"outcome": "fails", "note": "又堆物"})
    assert answer.json()["is_repeat"] is True
    assert answer.json()["repeat_of"] == first.reference


def test_photo_upload_retried_is_stored_once_and_a_bad_file_is_refused(org, client):
    _version, inspection = _started(org)
    item = _item(inspection)
    login(client, org.users.staff)
    before = client.post(_photo_url(inspection, item), {"client_id": "x-1", "photo": photo_upload()})
    assert before.status_code == 400
    assert before.json()["error"] == "Record the result of this item before adding photos."
    client.post(_save_url(inspection, item), {"outcome": "fails", "note": "堆物"})
    first = client.post(_photo_url(inspection, item), {"client_id": "a1b2c3", "photo": photo_upload()})
    again = client.post(_photo_url(inspection, item), {"client_id": "a1b2c3", "photo": photo_upload()})
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert ResultPhoto.objects.count() == 1
    bad = client.post(_photo_url(inspection, item), {
        "client_id": "a1b2c4", "photo": photo_upload("notes.txt", fmt="BMP")})
    assert bad.status_code == 400
    assert bad.json()["error"] == "notes.txt is not a photo we can read; use JPEG, PNG, WebP or HEIC."
    assert ResultPhoto.objects.count() == 1
    # the photo is served to the unit, not to another unit or a student
    thumb = first.json()["thumb"]
    assert client.get(thumb).status_code == 200
    # the unit sees it once the results go out; another unit or a student never
    for outsider in (org.users.contact_a, org.users.contact_b, org.users.student):
        login(client, outsider)
        assert client.get(thumb).status_code == 404
    # the inspector can remove it again
    login(client, org.users.staff)
    assert client.post(first.json()["delete"]).json() == {"ok": True, "id": first.json()["id"]}
    assert not ResultPhoto.objects.exists()


# --- submit -----------------------------------------------------------------------------------
def test_submit_lists_everything_missing_then_finishes(org, client, django_capture_on_commit_callbacks):
    _version, inspection = _started(org)
    login(client, org.users.staff)
    url = reverse("inspections:submit", args=[inspection.pk])
    client.post(_save_url(inspection, _item(inspection)), {"outcome": "fails"})
    response = client.post(url, {"row_version": inspection.row_version})
    assert response.status_code == 400
    assert response.context["problems"] == [
        "2 item(s) have no result yet.",
        "Item 1.1: describe what does not comply.",
        "Item 1.1: add a photo of what does not comply.",
        "Write the name of the unit's representative who signs.",
        "The unit's representative must sign on the screen.",
    ]
    answer_all(inspection, org.users.staff, fails={"1.1": "通道堆放纸箱"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"row_version": inspection.row_version, "summary": "总体良好",
                                     "signer_name": "王老师", "signature": signature_png()})
    assert response.status_code == 302
    assert response["Location"] == reverse("inspections:detail", args=[inspection.pk])
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.FINISHED and inspection.signature
    assert messages_of(response) == [
        f"Inspection {inspection.reference} finished; the results went to the unit."]
    assert RectificationNotice.objects.get().unit == org.unit_a
    # a stale form (submitted again from an old tab) is a conflict, not a second release
    stale = client.post(url, {"row_version": 1, "signer_name": "王老师",
                              "signature": signature_png()})
    assert stale.status_code == 302
    assert Hazard.objects.count() == 1


def test_stale_submit_is_refused_with_the_message(org, client):
    _version, inspection = _started(org, items=1)
    answer_all(inspection, org.users.staff)
    login(client, org.users.staff)
    response = client.post(reverse("inspections:submit", args=[inspection.pk]), {
        "row_version": inspection.row_version + 5, "signer_name": "王老师",
        "signature": signature_png()})
    assert response.status_code == 409
    assert response.context["problems"] == [
        "Someone changed this inspection a moment ago; reload the page."]


# --- the inspection's page ------------------------------------------------------------------
def test_detail_shows_results_hazards_signature_and_timeline(org, client):
    _version, inspection = _started(org, items=2)
    answer_all(inspection, org.users.staff, fails={"1.2": "插线板串接"})
    services.result_photo_add(actor=org.users.staff, inspection_id=inspection.pk,
                              item_id=_item(inspection, "1.2").pk, upload=photo_upload(),
                              client_id="p-1")
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    hazard = Hazard.objects.get()
    login(client, org.users.contact_a)
    response = client.get(reverse("inspections:detail", args=[inspection.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("hazards:detail", args=[hazard.pk]) in html
    assert "插线板串接" in html and "50.0%" in html
    assert reverse("inspections:signature", args=[inspection.pk]) in html
    assert "Finished; results sent to the unit" in html
    assert response.context["forms"] == {}  # the unit may not reopen an office inspection
    signature = client.get(reverse("inspections:signature", args=[inspection.pk]))
    assert signature.status_code == 200 and signature["Content-Type"] == "image/png"
    for outsider in (org.users.contact_b, org.users.student):
        login(client, outsider)
        assert client.get(reverse("inspections:detail", args=[inspection.pk])).status_code == 404
        assert client.get(reverse("inspections:signature",
                                  args=[inspection.pk])).status_code == 404


def test_reopen_needs_a_reason_and_goes_on_the_timeline(org, client):
    _version, inspection = _started(org, items=1)
    answer_all(inspection, org.users.staff)
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    inspection.refresh_from_db()
    login(client, org.users.staff)
    url = reverse("inspections:action", args=[inspection.pk, "reopen"])
    detail = reverse("inspections:detail", args=[inspection.pk])
    response = client.post(url, {"reason": "", "row_version": inspection.row_version})
    assert response.status_code == 302 and response["Location"] == detail + "#action-reopen"
    page = client.get(detail)
    assert page.context["forms"]["reopen"].errors["reason"] == [
        "Give the reason; it goes on the timeline."]
    response = client.post(url, {"reason": "漏记一项", "row_version": inspection.row_version},
                           follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Reopened; the reason is on the timeline."]
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.IN_PROGRESS
    html = response.content.decode()
    assert "Reopened" in html and "漏记一项" in html
    assert reverse("inspections:run", args=[inspection.pk]) in html  # resume


def test_a_refused_action_redirects_to_the_inspection_page_keeping_what_was_typed(org,
                                                                                    client):
    # given a finished inspection and its inspector on its page
    _version, inspection = _started(org, items=1)
    answer_all(inspection, org.users.staff)
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    inspection.refresh_from_db()
    login(client, org.users.staff)
    detail = reverse("inspections:detail", args=[inspection.pk])
    too_long = "漏" * (services.NOTE_MAX + 1)
    # when he asks to reopen it with a reason that is too long
    response = client.post(reverse("inspections:action", args=[inspection.pk, "reopen"]),
                           {"reason": too_long, "row_version": inspection.row_version},
                           follow=True)
    # then the browser ends on the inspection's page (a GET: a reload sends nothing again)
    assert response.redirect_chain == [(detail + "#action-reopen", 302)]
    assert response.request["REQUEST_METHOD"] == "GET" and response.status_code == 200
    error = (f"At most {services.NOTE_MAX} characters (this has {services.NOTE_MAX + 1}).")
    assert [str(m) for m in response.context["messages"]] == [error]
    # and the reopen form is open with what he typed and the error beside the field
    form = response.context["forms"]["reopen"]
    assert form.data["reason"] == too_long
    assert form.errors["reason"] == [error]
    html = response.content.decode()
    assert 'id="action-reopen" open' in html and too_long in html
    # a reload shows the page afresh: nothing written, no message, an empty form
    again = client.get(detail)
    assert not again.context["forms"]["reopen"].is_bound
    assert messages_of(again) == []
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.FINISHED


def test_review_approve_and_send_back(org, client):
    version = published_checklist(org.users.admin, items=1)
    plan = _plan(org, version, needs_review=True)
    inspection = services.inspection_start(actor=org.users.staff,
                                           target_id=plan.targets.get(place=org.place_a).pk)
    answer_all(inspection, org.users.staff)
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.AWAITING_REVIEW
    # the inspector (staff) cannot approve; the office admin sees it waiting and approves
    login(client, org.users.staff)
    assert "approve" not in client.get(reverse("inspections:detail",
                                               args=[inspection.pk])).context["forms"]
    login(client, org.users.admin)
    home = client.get(reverse("inspections:home"))
    assert home.context["awaiting"] == [inspection]
    response = client.post(reverse("inspections:action", args=[inspection.pk, "send_back"]),
                           {"reason": "请补拍照片", "row_version": inspection.row_version})
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.IN_PROGRESS
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    inspection.refresh_from_db()
    response = client.post(reverse("inspections:action", args=[inspection.pk, "approve"]),
                           {"reason": "同意", "row_version": inspection.row_version})
    assert messages_of(response)[-1] == "Approved; the results went to the unit."
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.FINISHED
    assert inspection.reviewed_by == org.users.admin
    # approving again is a conflict shown as a message
    response = client.post(reverse("inspections:action", args=[inspection.pk, "approve"]),
                           {"reason": "", "row_version": inspection.row_version})
    assert messages_of(response)[-1] == "This inspection is not awaiting approval."


def test_cancel_with_a_reason(org, client):
    _version, inspection = _started(org)
    login(client, org.users.staff)
    response = client.post(reverse("inspections:action", args=[inspection.pk, "cancel"]),
                           {"reason": "场所停用"})
    assert messages_of(response) == ["Inspection cancelled."]
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.CANCELLED
    login(client, org.users.contact_b)
    assert client.post(reverse("inspections:action", args=[inspection.pk, "reopen"]),
                       {"reason": "x"}).status_code == 404


# --- what finishing a self-inspection says -----------------------------------------------------
def _self_inspection(org, *, items=3):
    version = published_checklist(org.users.admin, category_id=org.fire.pk, items=items)
    return services.inspection_start(actor=org.users.contact_a, place_id=org.place_a.pk,
                                     template_id=version.template_id)


def test_finishing_a_self_inspection_says_its_findings_went_to_the_office_as_hazards(
        org, client, django_capture_on_commit_callbacks):
    # given a unit contact's self-inspection with two failed items
    inspection = _self_inspection(org)
    answer_all(inspection, org.users.contact_a, fails={"1.1": "通道堆放纸箱", "1.3": "灭火器过期"})
    login(client, org.users.contact_a)
    # when the contact finishes it
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("inspections:submit", args=[inspection.pk]),
                               {"row_version": inspection.row_version})
    inspection.refresh_from_db()
    # then the message says the failed items were reported to the office, naming the hazards
    references = [h.reference for h in Hazard.objects.order_by("pk")]
    assert len(references) == 2
    assert messages_of(response) == [
        f"Self-inspection {inspection.reference} finished: 2 failed items were reported to the "
        f"security office as hazards {'、'.join(references)}."]
    assert all(h.status == "reported" for h in Hazard.objects.all())
    # and its page says the same, not "sent to the unit"
    page = text_of(client.get(reverse("inspections:detail", args=[inspection.pk])))
    assert "Finished; failed items reported to the security office" in page
    assert "sent to the unit" not in page


def test_finishing_a_self_inspection_with_one_or_no_finding_says_so(org, client):
    one = _self_inspection(org)
    answer_all(one, org.users.contact_a, fails={"1.2": "通道堆放纸箱"})
    login(client, org.users.contact_a)
    response = client.post(reverse("inspections:submit", args=[one.pk]),
                           {"row_version": one.row_version})
    one.refresh_from_db()
    hazard = Hazard.objects.get()
    assert messages_of(response) == [
        f"Self-inspection {one.reference} finished: 1 failed item was reported to the security "
        f"office as hazard {hazard.reference}."]
    clean = services.inspection_start(actor=org.users.contact_a, place_id=org.place_a.pk,
                                      template_id=one.version.template_id)
    answer_all(clean, org.users.contact_a)
    response = client.post(reverse("inspections:submit", args=[clean.pk]),
                           {"row_version": clean.row_version})
    clean.refresh_from_db()
    assert messages_of(response)[-1] == (
        f"Self-inspection {clean.reference} finished: every item complies, so no hazard was "
        "reported.")
    assert "the results went to the unit" not in str(messages_of(response))
