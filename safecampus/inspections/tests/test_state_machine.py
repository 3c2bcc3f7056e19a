"""Every allowed and forbidden edge of the Inspection state machine (house rule 4), the review
flow, self-inspections, signatures, photos and the release of findings into the hazard loop.

States: in_progress → (awaiting_review →) finished; awaiting_review → in_progress (send back);
finished → in_progress (reopen); in_progress → cancelled. Forbidden moves raise Conflict and
change nothing: no state, row version, timeline entry, hazard or notice.
"""

import base64
import datetime as dt
import io

import pytest
from PIL import Image

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.models import ActivityEntry
from safecampus.hazards.models import Hazard, RectificationNotice, Source, Status
from safecampus.inspections import services
from safecampus.inspections.models import Inspection, InspectionPlan, Outcome, ResultPhoto
from safecampus.notifications.models import Notification
from safecampus.tests.factories import photo_upload

from .helpers import answer_all, published_checklist, signature_png

pytestmark = pytest.mark.django_db

State = Inspection.State


# --- givens ----------------------------------------------------------------------------------
def _version(org, **kwargs):
    return published_checklist(org.users.admin, category_id=org.fire.pk, **kwargs)


def _started(org, *, review=False, items=3):
    """An office inspection of place A by staff, in progress (``review``: from a plan whose
    results need approval)."""
    version = _version(org, items=items)
    if not review:
        return services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                         template_id=version.template_id)
    plan = services.plan_create(
        actor=org.users.admin, kind="campaign", name="实验室安全专项检查",
        template_id=version.template_id, place_ids=[org.place_a.pk],
        starts_on=clock.local_today(), ends_on=clock.local_today() + dt.timedelta(days=300),
        inspector_ids=[org.users.staff.pk], needs_review=True)
    target = plan.targets.get()
    return services.inspection_start(actor=org.users.staff, target_id=target.pk)


def _submit(org, inspection, **kwargs):
    kwargs.setdefault("signer_name", "王老师")
    kwargs.setdefault("signature", signature_png())
    return services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                                      **kwargs)


def _in_state(org, state, *, fails=None):
    """An inspection of three items (1.1 failing by default) brought to ``state``."""
    inspection = _started(org, review=state == State.AWAITING_REVIEW)
    answer_all(inspection, org.users.staff, fails={"1.1": "通道堆放纸箱"} if fails is None else fails)
    if state in (State.AWAITING_REVIEW, State.FINISHED):
        _submit(org, inspection)
    elif state == State.CANCELLED:
        services.inspection_cancel(actor=org.users.staff, inspection_id=inspection.pk,
                                   reason="场所临时关闭")
    return Inspection.objects.get(pk=inspection.pk)


def _snapshot(inspection):
    fresh = Inspection.objects.get(pk=inspection.pk)
    return (fresh.state, fresh.row_version, fresh.finished_at, ActivityEntry.objects.count(),
            Hazard.objects.count(), RectificationNotice.objects.count(),
            list(fresh.results.values_list("item_code", "outcome", "note")))


# --- the edges -------------------------------------------------------------------------------
def _move(org, inspection, name):
    """Try the transition ``name`` as the person allowed to do it."""
    if name == "submit":
        return _submit(org, inspection)
    if name == "approve":
        return services.inspection_approve(actor=org.users.admin, inspection_id=inspection.pk)
    if name == "send_back":
        return services.inspection_send_back(actor=org.users.admin,
                                             inspection_id=inspection.pk, reason="照片不清楚")
    if name == "reopen":
        return services.inspection_reopen(actor=org.users.admin, inspection_id=inspection.pk,
                                          reason="漏记一项")
    if name == "cancel":
        return services.inspection_cancel(actor=org.users.staff, inspection_id=inspection.pk,
                                          reason="场所临时关闭")
    if name == "record":
        item = inspection.version.items.get(code="1.2")
        result = services.result_record(actor=org.users.staff, inspection_id=inspection.pk,
                                        item_id=item.pk, outcome=Outcome.FAILS, note="改动")
        services.result_photo_add(actor=org.users.staff, inspection_id=inspection.pk,
                                  item_id=item.pk, upload=photo_upload(), client_id="record")
        return result
    raise AssertionError(name)


ALLOWED = [
    (State.IN_PROGRESS, "submit", State.FINISHED),  # no review needed
    (State.AWAITING_REVIEW, "approve", State.FINISHED),
    (State.AWAITING_REVIEW, "send_back", State.IN_PROGRESS),
    (State.FINISHED, "reopen", State.IN_PROGRESS),
    (State.IN_PROGRESS, "cancel", State.CANCELLED),
]

FORBIDDEN = [
    (State.AWAITING_REVIEW, "submit"), (State.FINISHED, "submit"), (State.CANCELLED, "submit"),
    (State.IN_PROGRESS, "approve"), (State.FINISHED, "approve"), (State.CANCELLED, "approve"),
    (State.IN_PROGRESS, "send_back"), (State.FINISHED, "send_back"),
    (State.CANCELLED, "send_back"),
    (State.IN_PROGRESS, "reopen"), (State.AWAITING_REVIEW, "reopen"),
    (State.CANCELLED, "reopen"),
    (State.AWAITING_REVIEW, "cancel"), (State.FINISHED, "cancel"), (State.CANCELLED, "cancel"),
    (State.AWAITING_REVIEW, "record"), (State.FINISHED, "record"), (State.CANCELLED, "record"),
]


@pytest.mark.parametrize(("source", "name", "target"), ALLOWED,
                         ids=[f"{s}-{n}" for s, n, _t in ALLOWED])
def test_allowed_edge(org, source, name, target):
    # given an inspection in the source state
    inspection = _in_state(org, source)
    before = inspection.row_version
    entries = ActivityEntry.objects.count()
    entries_last = ActivityEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    # when the move is made
    _move(org, inspection, name)
    # then it is in the target state, its row version moved on and the timeline says so
    fresh = Inspection.objects.get(pk=inspection.pk)
    assert fresh.state == target
    assert fresh.row_version > before
    assert ActivityEntry.objects.count() > entries
    moves = activity_for(fresh).filter(pk__gt=entries_last).exclude(verb="inspections.notices")
    assert [(e.from_state, e.to_state) for e in moves] == [(source, target)]


@pytest.mark.parametrize(("source", "name"), FORBIDDEN, ids=[f"{s}-{n}" for s, n in FORBIDDEN])
def test_forbidden_edge_raises_conflict_and_changes_nothing(org, source, name):
    inspection = _in_state(org, source)
    before = _snapshot(inspection)
    with pytest.raises(Conflict) as error:
        _move(org, inspection, name)
    assert error.value.message
    assert _snapshot(inspection) == before


def test_forbidden_messages_name_the_state(org):
    finished = _in_state(org, State.FINISHED)
    with pytest.raises(Conflict) as error:
        _move(org, finished, "record")
    assert error.value.message == ("This inspection is “Finished” and its results cannot be "
                                   "changed; reopen it with a reason first.")
    with pytest.raises(Conflict) as error:
        _move(org, finished, "approve")
    assert error.value.message == "This inspection is not awaiting approval."
    with pytest.raises(Conflict) as error:
        _move(org, finished, "cancel")
    assert error.value.message == "Only an inspection in progress can be cancelled."
    with pytest.raises(Conflict) as error:
        _move(org, finished, "send_back")
    assert error.value.message == "This inspection is “Finished”; it cannot be changed this way."


def test_a_stale_row_version_is_a_conflict(org):
    inspection = _started(org)
    answer_all(inspection, org.users.staff)
    before = _snapshot(inspection)
    with pytest.raises(Conflict) as error:
        _submit(org, inspection, row_version=inspection.row_version + 1)
    assert error.value.message == "Someone changed this inspection a moment ago; reload the page."
    assert _snapshot(inspection) == before


@pytest.mark.parametrize("reason", ["", "   "])
@pytest.mark.parametrize("name", ["send_back", "reopen", "cancel"])
def test_moves_back_need_a_reason(org, name, reason):
    source = {"send_back": State.AWAITING_REVIEW, "reopen": State.FINISHED,
              "cancel": State.IN_PROGRESS}[name]
    inspection = _in_state(org, source)
    before = _snapshot(inspection)
    call = {"send_back": services.inspection_send_back, "reopen": services.inspection_reopen,
            "cancel": services.inspection_cancel}[name]
    actor = org.users.staff if name == "cancel" else org.users.admin
    with pytest.raises(DomainError) as error:
        call(actor=actor, inspection_id=inspection.pk, reason=reason)
    assert error.value.message == "Give the reason; it goes on the timeline."
    assert error.value.field_errors == {"reason": ["Give the reason; it goes on the timeline."]}
    assert _snapshot(inspection) == before


def test_only_the_inspector_submits_and_only_an_office_admin_approves(org):
    inspection = _in_state(org, State.IN_PROGRESS)
    with pytest.raises(NotAllowed):
        services.inspection_submit(actor=org.users.staff2, inspection_id=inspection.pk,
                                   signer_name="王老师", signature=signature_png())
    inspection = _in_state(org, State.AWAITING_REVIEW)
    before = _snapshot(inspection)
    for user in (org.users.staff, org.users.contact_a, org.users.leadership):
        with pytest.raises(NotAllowed):
            services.inspection_approve(actor=user, inspection_id=inspection.pk)
        with pytest.raises(NotAllowed):
            services.inspection_send_back(actor=user, inspection_id=inspection.pk, reason="x")
    assert _snapshot(inspection) == before


# --- the review flow -----------------------------------------------------------------------
def test_review_submit_waits_for_the_reviewer_then_approval_releases(
        org, django_capture_on_commit_callbacks):
    # given an inspection from a plan whose results need approval, with one finding
    inspection = _started(org, review=True)
    assert inspection.needs_review
    answer_all(inspection, org.users.staff, fails={"1.2": "灭火器过期"})
    # when the inspector submits it
    with django_capture_on_commit_callbacks(execute=True):
        _submit(org, inspection)
    inspection.refresh_from_db()
    # then it awaits approval, the reviewer is told, and nothing went out yet
    assert inspection.state == State.AWAITING_REVIEW
    assert inspection.submitted_at is not None and inspection.finished_at is None
    review = Notification.objects.filter(verb="inspections.review")
    assert set(review.values_list("recipient", flat=True)) == {org.users.admin.pk}
    # stored in the site language, whatever the inspector reads
    assert review.get().title == f"检查 {inspection.reference} 待您审核"
    assert not Hazard.objects.exists() and not RectificationNotice.objects.exists()
    assert not Notification.objects.filter(verb="inspections.report").exists()
    # when the office admin approves
    with django_capture_on_commit_callbacks(execute=True):
        services.inspection_approve(actor=org.users.admin, inspection_id=inspection.pk,
                                    comment="同意")
    inspection.refresh_from_db()
    # then the results are released: one hazard on one notice, the unit gets the report
    assert inspection.state == State.FINISHED and inspection.reviewed_by == org.users.admin
    hazard = Hazard.objects.get()
    assert hazard.source == Source.INSPECTION and hazard.status == Status.NOTICE_ISSUED
    assert hazard.title == "[1.2] 灭火器过期"
    notice = RectificationNotice.objects.get()
    assert notice.unit_id == org.unit_a.pk and hazard.current_notice_id == notice.pk
    assert inspection.results.get(item_code="1.2").hazard_id == hazard.pk
    assert Notification.objects.filter(recipient=org.users.contact_a,
                                       verb="inspections.report").count() == 1
    approve = activity_for(inspection).get(verb="inspections.approve")
    assert (approve.from_state, approve.to_state, approve.comment) == (
        State.AWAITING_REVIEW, State.FINISHED, "同意")


def test_send_back_returns_it_to_the_inspector_with_the_reason(
        org, django_capture_on_commit_callbacks):
    inspection = _in_state(org, State.AWAITING_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        services.inspection_send_back(actor=org.users.admin, inspection_id=inspection.pk,
                                      reason="1.1 照片不清楚，请补拍")
    inspection.refresh_from_db()
    assert inspection.state == State.IN_PROGRESS
    assert not Hazard.objects.exists()
    told = Notification.objects.get(verb="inspections.send_back")
    assert told.recipient == org.users.staff and told.body == "1.1 照片不清楚，请补拍"
    entry = activity_for(inspection).get(verb="inspections.send_back")
    assert entry.comment == "1.1 照片不清楚，请补拍"
    # and the inspector can correct and submit again, back to the reviewer
    _move(org, inspection, "record")
    _submit(org, inspection)
    assert Inspection.objects.get(pk=inspection.pk).state == State.AWAITING_REVIEW


# --- self-inspection -----------------------------------------------------------------------
def test_self_inspection_reports_findings_as_the_unit_without_a_notice(
        org, django_capture_on_commit_callbacks):
    # given unit A's safety contact self-inspects its lab and finds two problems
    version = _version(org, items=3)
    inspection = services.inspection_start(actor=org.users.contact_a, place_id=org.place_a.pk,
                                           template_id=version.template_id)
    assert inspection.kind == Inspection.Kind.SELF
    answer_all(inspection, org.users.contact_a, fails={"1.1": "通道堆物", "1.3": "灭火器过期"})
    # when it submits (a signature is optional for a self-inspection)
    with django_capture_on_commit_callbacks(execute=True):
        services.inspection_submit(actor=org.users.contact_a, inspection_id=inspection.pk)
    inspection.refresh_from_db()
    # then the findings are reported hazards, by the unit's contact, waiting for the office
    assert inspection.state == State.FINISHED
    hazards = list(Hazard.objects.order_by("pk"))
    assert len(hazards) == 2
    assert {h.status for h in hazards} == {Status.REPORTED}
    assert {h.reporter_id for h in hazards} == {org.users.contact_a.pk}
    assert {h.source for h in hazards} == {Source.INSPECTION}
    # no notice, and the office is told of each report
    assert not RectificationNotice.objects.exists()
    told = Notification.objects.filter(verb="hazards.report")
    assert {n.recipient_id for n in told} >= {org.users.staff.pk, org.users.admin.pk}
    assert told.filter(recipient=org.users.staff).count() == 2


def test_a_self_inspection_cannot_fix_on_the_spot(org):
    version = _version(org, items=1)
    inspection = services.inspection_start(actor=org.users.contact_a, place_id=org.place_a.pk,
                                           template_id=version.template_id)
    with pytest.raises(DomainError) as error:
        services.result_record(actor=org.users.contact_a, inspection_id=inspection.pk,
                               item_id=version.items.get().pk, outcome=Outcome.FAILS,
                               note="堆物", fixed_on_spot=True, fix_note="搬走")
    assert error.value.field_errors == {"fixed_on_spot": [
        "A self-inspection reports its findings to the office; describe any immediate fix in "
        "the note."]}
    assert not inspection.results.exists()


# --- signature -----------------------------------------------------------------------------
def _png(size=(300, 120), *, ink=True, fmt="PNG") -> str:
    image = Image.new("RGBA" if fmt == "PNG" else "RGB", size, (0, 0, 0, 0) if fmt == "PNG"
                      else (255, 255, 255))
    if ink:
        image.putpixel((10, 10), (0, 0, 0, 255) if fmt == "PNG" else (0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _noisy_png_over_limit() -> str:
    import os

    side = 600
    image = Image.frombytes("RGBA", (side, side), os.urandom(side * side * 4))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    assert buffer.tell() > services.SIGNATURE_MAX_BYTES
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize(("signature", "message"), [
    ("", "The unit's representative must sign on the screen."),
    ("data:image/jpeg;base64,/9j/4AAQ", "The unit's representative must sign on the screen."),
    ("data:image/png;base64,@@not-base64@@", "The signature could not be read; sign again."),
    ("data:image/png;base64," + base64.b64encode(b"GIF89a not a png").decode(),
     "The signature could not be read; sign again."),
    ("jpeg", "The unit's representative must sign on the screen."),
], ids=["blank", "jpeg-url", "bad-base64", "not-png", "garbage"])
def test_signature_refused(org, signature, message):
    inspection = _started(org)
    answer_all(inspection, org.users.staff)
    before = _snapshot(inspection)
    with pytest.raises(DomainError) as error:
        _submit(org, inspection, signature=signature)
    assert error.value.message == message
    assert _snapshot(inspection) == before
    assert not Inspection.objects.get(pk=inspection.pk).signature


def test_signature_refused_when_empty_canvas_jpeg_inside_or_too_large(org):
    inspection = _started(org)
    answer_all(inspection, org.users.staff)
    before = _snapshot(inspection)
    cases = [
        (_png(ink=False), "The unit's representative must sign on the screen."),
        (_png(fmt="JPEG"), "The signature could not be read; sign again."),
        (_noisy_png_over_limit(), "The signature is too large; clear it and sign again."),
    ]
    for signature, message in cases:
        with pytest.raises(DomainError) as error:
            _submit(org, inspection, signature=signature)
        assert error.value.message == message
        assert _snapshot(inspection) == before
    # and a real stroke is accepted and stored as a PNG
    _submit(org, inspection, signature=_png())
    fresh = Inspection.objects.get(pk=inspection.pk)
    assert fresh.state == State.FINISHED and fresh.signature.name.endswith(".png")
    assert fresh.signer_name == "王老师" and fresh.signed_at is not None


# --- photos --------------------------------------------------------------------------------
def _media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_bad_photo_is_refused_with_its_name_and_nothing_is_stored(org, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    inspection = _started(org, items=1)
    item = inspection.version.items.get()
    services.result_record(actor=org.users.staff, inspection_id=inspection.pk, item_id=item.pk,
                           outcome=Outcome.FAILS, note="堆物")
    upload = SimpleUploadedFile("现场.jpg", b"this is not a picture", content_type="image/jpeg")
    with pytest.raises(DomainError) as error:
        services.result_photo_add(actor=org.users.staff, inspection_id=inspection.pk,
                                  item_id=item.pk, upload=upload, client_id="bad-1")
    assert error.value.message == "现场.jpg is not a photo we can read; use JPEG, PNG, WebP or HEIC."
    assert error.value.field_errors == {"photo": [error.value.message]}
    assert not ResultPhoto.objects.exists()
    assert _media_files(settings) == []


def test_a_too_large_photo_is_refused(org, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "PHOTO_MAX_BYTES": 100}
    inspection = _started(org, items=1)
    item = inspection.version.items.get()
    services.result_record(actor=org.users.staff, inspection_id=inspection.pk, item_id=item.pk,
                           outcome=Outcome.FAILS, note="堆物")
    with pytest.raises(DomainError, match="is too large"):
        services.result_photo_add(actor=org.users.staff, inspection_id=inspection.pk,
                                  item_id=item.pk, upload=photo_upload(size=(400, 300)),
                                  client_id="big-1")
    assert not ResultPhoto.objects.exists()
    assert _media_files(settings) == []


def test_a_photo_needs_a_recorded_result_and_at_most_nine(org):
    inspection = _started(org, items=1)
    item = inspection.version.items.get()
    with pytest.raises(DomainError) as error:
        services.result_photo_add(actor=org.users.staff, inspection_id=inspection.pk,
                                  item_id=item.pk, upload=photo_upload(), client_id="p")
    assert error.value.message == "Record the result of this item before adding photos."
    services.result_record(actor=org.users.staff, inspection_id=inspection.pk, item_id=item.pk,
                           outcome=Outcome.FAILS, note="堆物")
    for n in range(services.MAX_PHOTOS_PER_ITEM):
        services.result_photo_add(actor=org.users.staff, inspection_id=inspection.pk,
                                  item_id=item.pk, upload=photo_upload(), client_id=f"p{n}")
    with pytest.raises(DomainError) as error:
        services.result_photo_add(actor=org.users.staff, inspection_id=inspection.pk,
                                  item_id=item.pk, upload=photo_upload(), client_id="p-extra")
    assert error.value.message == "At most 9 photos per item."
    assert ResultPhoto.objects.count() == 9


# --- reopen and release again ----------------------------------------------------------------
def test_reopen_and_release_again_opens_hazards_only_for_new_findings(org):
    # given a finished inspection whose finding 1.1 became a hazard on a notice
    inspection = _in_state(org, State.FINISHED)
    first = Hazard.objects.get()
    first_notice = RectificationNotice.objects.get()
    # when it is reopened, 1.1's note is corrected, 1.2 is now failed, and it is submitted again
    services.inspection_reopen(actor=org.users.admin, inspection_id=inspection.pk,
                               reason="漏记一项")
    items = {i.code: i for i in inspection.version.items.all()}
    services.result_record(actor=org.users.staff, inspection_id=inspection.pk,
                           item_id=items["1.1"].pk, outcome=Outcome.FAILS, note="通道堆放纸箱（更正）")
    services.result_record(actor=org.users.staff, inspection_id=inspection.pk,
                           item_id=items["1.2"].pk, outcome=Outcome.FAILS, note="插座破损")
    services.result_photo_add(actor=org.users.staff, inspection_id=inspection.pk,
                              item_id=items["1.2"].pk, upload=photo_upload(), client_id="1.2")
    _submit(org, inspection)
    # then only 1.2 became a new hazard, on a new notice of its own; 1.1 keeps its hazard
    inspection.refresh_from_db()
    assert inspection.state == State.FINISHED and inspection.items_failed == 2
    assert Hazard.objects.count() == 2
    second = Hazard.objects.exclude(pk=first.pk).get()
    assert second.title.startswith("[1.2]")
    assert inspection.results.get(item_code="1.1").hazard_id == first.pk
    assert inspection.results.get(item_code="1.2").hazard_id == second.pk
    notices = list(RectificationNotice.objects.order_by("pk"))
    assert len(notices) == 2 and notices[0].pk == first_notice.pk
    assert list(notices[1].items.values_list("hazard_id", flat=True)) == [second.pk]
    verbs = [e.verb for e in activity_for(inspection).order_by("pk")]
    assert verbs.count("inspections.finish") == 2 and "inspections.reopen" in verbs


def test_a_unit_may_reopen_its_own_self_inspection_but_not_an_office_one(org):
    office = _in_state(org, State.FINISHED)
    with pytest.raises(NotAllowed):
        services.inspection_reopen(actor=org.users.contact_a, inspection_id=office.pk,
                                   reason="有误")
    version = _version(org, code="self", items=1)
    own = services.inspection_start(actor=org.users.contact_a, place_id=org.place_a.pk,
                                    template_id=version.template_id)
    answer_all(own, org.users.contact_a)
    services.inspection_submit(actor=org.users.contact_a, inspection_id=own.pk)
    services.inspection_reopen(actor=org.users.contact_a, inspection_id=own.pk, reason="有误")
    assert Inspection.objects.get(pk=own.pk).state == State.IN_PROGRESS
    assert InspectionPlan.objects.count() == 0
