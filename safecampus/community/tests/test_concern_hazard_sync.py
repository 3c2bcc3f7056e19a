"""A concern in the hazard loop follows its hazard: the sync task closes it when the hazard
ends (rectified or fixed on the spot: via_hazard; rejected or merged: answered with the
office's word), once, however often it runs."""

import pytest

from safecampus.community.models import Concern, Resolution
from safecampus.community.services import concerns as services
from safecampus.community.tasks.concerns import concern_hazards_sync_task
from safecampus.hazards import services as hazard_services
from safecampus.notifications.models import Notification
from safecampus.tests.factories import photo_upload

from .concerns_helpers import fresh, in_hazard
from .helpers import submit

pytestmark = pytest.mark.django_db(transaction=False)


def test_fixed_on_the_spot_closes_the_concern_once(community, django_capture_on_commit_callbacks):
    # given a fire-exit concern that went straight into the hazard loop
    concern = submit(community, category="fire-exit", title="消防通道堆放杂物")
    hazard_id = fresh(concern).hazard_id
    staff = community.users.staff
    hazard_services.hazard_confirm(actor=staff, hazard_id=hazard_id, grade="general")
    assert services.concern_hazards_sync() == 0  # confirmed is not the end
    hazard_services.hazard_fix_on_spot(actor=staff, hazard_id=hazard_id, text="杂物已清走",
                                       photos=[photo_upload()])
    # when the task runs twice
    with django_capture_on_commit_callbacks(execute=True):
        first = concern_hazards_sync_task.call_local()
        second = concern_hazards_sync_task.call_local()
    # then the concern is closed once, with the hazard's outcome, and the submitter told once
    assert (first, second) == (1, 0)
    concern = fresh(concern)
    assert (concern.state, concern.resolution) == (Concern.State.CLOSED, Resolution.VIA_HAZARD)
    assert concern.answer == f"隐患 {concern.hazard.reference} 已立行立改：杂物已清走"
    assert concern.answered_at is None  # the office answered in the hazard, not here
    told = Notification.objects.filter(recipient=community.users.student,
                                       verb="community.hazard_done")
    assert told.count() == 1 and told.get().title == "您的诉求 SQ-2026-000001 已办结"


def test_rejected_hazard_closes_as_answered(community):
    concern = in_hazard(community)
    hazard_services.hazard_reject(actor=community.users.staff, hazard_id=fresh(concern).hazard_id,
                                  reason="属于后勤报修范围，已转后勤")
    assert services.concern_hazards_sync() == 1
    concern = fresh(concern)
    assert (concern.state, concern.resolution) == (Concern.State.CLOSED, Resolution.ANSWERED)
    assert concern.answer == "保卫处未作为隐患受理：属于后勤报修范围，已转后勤"
    # a closed concern may be reopened: back to the office, the hazard stays as it was
    services.concern_reopen(actor=community.users.student, concern_id=concern.pk,
                            reason="问题仍在")
    assert services.concern_hazards_sync() == 0
    assert fresh(concern).state == Concern.State.SUBMITTED
