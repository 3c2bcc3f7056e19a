"""The hazard loop end to end through the services: report → notice → rectify → verify."""

import pytest

from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.hazards import services
from safecampus.hazards.models import Hazard, NoticeSequence, RectificationNotice, Status
from safecampus.notifications.models import Notification
from safecampus.tests.factories import photo_upload

from .helpers import acknowledged, confirmed, fresh, noticed, reported, submitted

pytestmark = pytest.mark.django_db(transaction=True)


def test_full_loop_closes_on_time_and_tells_everyone(org):
    # given a report from a student at a lab of unit A
    hazard = reported(org)
    assert hazard.status == Status.REPORTED
    assert hazard.responsible_unit == org.unit_a  # routed from the building's unit
    assert hazard.zone == org.zone1
    # when the office confirms and issues a notice
    hazard = services.hazard_confirm(actor=org.users.staff, hazard_id=hazard.pk)
    notice = services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                   requirements="更换灭火器", deadline_days=5,
                                   deadline_basis="working")
    assert notice.number.startswith("保卫整改〔")
    assert fresh(hazard).status == Status.NOTICE_ISSUED
    # and the unit signs, rectifies and submits evidence
    services.notice_acknowledge(actor=org.users.contact_a, notice_id=notice.pk)
    services.hazard_start_rectification(actor=org.users.contact_a, hazard_id=hazard.pk)
    services.evidence_submit(actor=org.users.contact_a, hazard_id=hazard.pk, text="已更换",
                             photos=[photo_upload()])
    # then the office verifies and the hazard and notice are closed
    services.hazard_verify(actor=org.users.staff, hazard_id=hazard.pk)
    hazard = fresh(hazard)
    assert hazard.status == Status.CLOSED
    assert hazard.closed_on_time is True
    assert RectificationNotice.objects.get(pk=notice.pk).state == "completed"
    verbs = list(hazard_timeline_verbs(hazard))
    assert verbs == ["hazards.report", "hazards.confirm", "hazards.issue_notice",
                     "hazards.acknowledge", "hazards.start_rectification",
                     "hazards.submit_evidence", "hazards.verify"]
    assert Notification.objects.filter(recipient=org.users.student,
                                       verb="hazards.reporter_update").count() == 2
    assert Notification.objects.filter(recipient=org.users.contact_a, verb="notices.issue").exists()


def hazard_timeline_verbs(hazard):
    from safecampus.core.activity import activity_for

    return activity_for(hazard).values_list("verb", flat=True)


def test_unit_cannot_act_for_another_unit(org):
    hazard, notice = noticed(org)
    with pytest.raises(NotAllowed):
        services.notice_acknowledge(actor=org.users.contact_b, notice_id=notice.pk)
    assert RectificationNotice.objects.get(pk=notice.pk).state == "issued"


def test_verifying_what_was_not_submitted_is_a_conflict(org):
    hazard, _ = acknowledged(org)
    with pytest.raises(Conflict) as excinfo:
        services.hazard_verify(actor=org.users.staff, hazard_id=hazard.pk)
    assert "已签收" in str(excinfo.value.message) or "Acknowledged" in excinfo.value.message
    assert fresh(hazard).status == Status.ACKNOWLEDGED


def test_stale_version_is_refused(org):
    hazard = reported(org)
    services.hazard_confirm(actor=org.users.staff, hazard_id=hazard.pk, version=hazard.version)
    with pytest.raises(Conflict):
        services.hazard_reject(actor=org.users.staff2, hazard_id=hazard.pk,
                               version=hazard.version, reason="不是隐患")
    assert fresh(hazard).status == Status.CONFIRMED


def test_same_idempotency_key_creates_one_hazard(org):
    first = reported(org, idempotency_key="key-1234567890")
    second = reported(org, idempotency_key="key-1234567890")
    assert first.pk == second.pk
    assert Hazard.objects.count() == 1


def test_bad_photo_writes_nothing(org):
    bad = photo_upload("x.jpg")
    bad.file.write(b"")  # keep name, replace content below
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("notes.jpg", b"this is not an image", content_type="image/jpeg")
    with pytest.raises(DomainError) as excinfo:
        reported(org, photos=[bad])
    assert "notes.jpg" in excinfo.value.message
    assert Hazard.objects.count() == 0


def test_notice_numbers_are_consecutive_per_year(org):
    numbers = []
    for _ in range(3):
        _h, notice = noticed(org)
        numbers.append(notice.sequence)
    assert numbers == [1, 2, 3]
    assert NoticeSequence.objects.get().last_number == 3


def test_major_hazard_needs_plan_before_evidence(org):
    hazard = reported(org, grade="major")
    services.hazard_confirm(actor=org.users.staff, hazard_id=hazard.pk, grade="major")
    notice = services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                   requirements="停用", deadline_days=30)
    services.notice_acknowledge(actor=org.users.contact_a, notice_id=notice.pk)
    services.hazard_start_rectification(actor=org.users.contact_a, hazard_id=hazard.pk)
    with pytest.raises(DomainError) as excinfo:
        services.evidence_submit(actor=org.users.contact_a, hazard_id=hazard.pk, text="完成",
                                 photos=[photo_upload()])
    assert excinfo.value.code == "plan_required"
    import datetime as dt

    services.plan_submit(actor=org.users.contact_a, hazard_id=hazard.pk, plan="更换线路",
                         interim_measures="断电停用", person_in_charge="张三",
                         milestones=[("采购", dt.date(2026, 12, 20))])
    services.evidence_submit(actor=org.users.contact_a, hazard_id=hazard.pk, text="完成",
                             photos=[photo_upload()])
    services.hazard_verify(actor=org.users.staff, hazard_id=hazard.pk)
    assert fresh(hazard).status == Status.CLOSED


def test_reroute_cancels_old_units_notice(org):
    hazard, notice = noticed(org)
    services.hazard_update_location(actor=org.users.staff, hazard_id=hazard.pk,
                                    category_id=org.fire.pk, campus_id=org.campus2.pk,
                                    place_id=org.place_b.pk)
    hazard = fresh(hazard)
    assert hazard.status == Status.CONFIRMED
    assert hazard.responsible_unit == org.unit_b
    assert RectificationNotice.objects.get(pk=notice.pk).state == "cancelled"
    assert Notification.objects.filter(recipient=org.users.contact_a,
                                       verb="hazards.reroute").exists()


def test_return_then_resume(org):
    hazard, _ = submitted(org)
    services.hazard_return(actor=org.users.staff, hazard_id=hazard.pk, reason="照片不清楚")
    assert fresh(hazard).status == Status.RETURNED
    services.hazard_start_rectification(actor=org.users.contact_a, hazard_id=hazard.pk)
    assert fresh(hazard).status == Status.RECTIFYING


def test_confirmed_hazard_fixed_on_spot(org):
    hazard = confirmed(org)
    services.hazard_fix_on_spot(actor=org.users.staff, hazard_id=hazard.pk, text="当场清理",
                                photos=[photo_upload()])
    assert fresh(hazard).status == Status.FIXED_ON_SPOT


def test_overlong_text_is_refused_not_cut(org):
    with pytest.raises(DomainError) as excinfo:
        reported(org, description="很长" * 3000)
    assert "description" in excinfo.value.field_errors
    assert Hazard.objects.count() == 0
    hazard = reported(org)
    with pytest.raises(DomainError):
        services.hazard_reject(actor=org.users.staff, hazard_id=hazard.pk, reason="x" * 2001)
    assert fresh(hazard).status == Status.REPORTED
