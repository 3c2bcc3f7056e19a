"""Concurrent moves of one inspection on PostgreSQL: one wins, the other gets a Conflict, and
the findings are released into the hazard loop once (house rule 4).

These need real row locks (``SELECT … FOR UPDATE``) and several connections, so they run on
PostgreSQL only; each thread opens and closes its own connection.
"""

import datetime as dt

import pytest
from django.db import connection
from django.utils import translation

from safecampus.core import clock
from safecampus.core.errors import Conflict
from safecampus.core.models import ActivityEntry
from safecampus.hazards.models import Hazard, RectificationNotice
from safecampus.inspections import services
from safecampus.inspections.models import Inspection
from safecampus.notifications.models import Notification
from safecampus.tests.threads import race

from .helpers import answer_all, published_checklist, signature_png

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; SQLite serialises "
                    "writers, so there is no race to test (run with DATABASE_URL=postgres://…)")
    with translation.override("en"):
        yield


def _answered(org, *, review=False):
    """An office inspection of place A with findings 1.1 and 1.3, every item answered."""
    version = published_checklist(org.users.admin, items=3, category_id=org.fire.pk)
    if review:
        plan = services.plan_create(
            actor=org.users.admin, kind="campaign", name="专项检查",
            template_id=version.template_id, place_ids=[org.place_a.pk],
            starts_on=clock.local_today(), ends_on=clock.local_today() + dt.timedelta(days=300),
            inspector_ids=[org.users.staff.pk], needs_review=True)
        inspection = services.inspection_start(actor=org.users.staff,
                                               target_id=plan.targets.get().pk)
    else:
        inspection = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                               template_id=version.template_id)
    answer_all(inspection, org.users.staff, fails={"1.1": "通道堆物", "1.3": "灭火器过期"})
    return Inspection.objects.get(pk=inspection.pk)


def _split(outcomes):
    wins = [r for r, e in outcomes if e is None]
    errors = [e for _r, e in outcomes if e is not None]
    return wins, errors


@pytest.mark.parametrize("with_version", [False, True], ids=["no-version", "same-version"])
def test_two_submits_at_once_release_once(org, with_version):
    # given an answered inspection, submitted twice at the same moment (two tabs, a retry)
    inspection = _answered(org)
    row_version = inspection.row_version if with_version else None

    def submit():
        return services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                                          signer_name="王老师", signature=signature_png(),
                                          row_version=row_version)

    outcomes = race([submit, submit])
    # then one submit released the results and the other got a clear Conflict
    wins, errors = _split(outcomes)
    assert len(wins) == 1 and len(errors) == 1, outcomes
    assert isinstance(errors[0], Conflict), repr(errors[0])
    if with_version:
        assert errors[0].message == "Someone changed this inspection a moment ago; reload the page."
    else:
        assert errors[0].message == ("This inspection is “Finished” and its results cannot be "
                                     "changed; reopen it with a reason first.")
    # and the findings became hazards once, on one notice, with one finish on the timeline
    fresh = Inspection.objects.get(pk=inspection.pk)
    assert fresh.state == Inspection.State.FINISHED
    assert fresh.row_version == inspection.row_version + 1
    assert Hazard.objects.count() == 2
    assert RectificationNotice.objects.count() == 1
    assert ActivityEntry.objects.filter(verb="inspections.finish").count() == 1
    assert Notification.objects.filter(recipient=org.users.contact_a,
                                       verb="inspections.report").count() == 1


def test_two_approvals_at_once_release_once(org):
    inspection = _answered(org, review=True)
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    admin2 = org.users.admin  # the same reviewer on two devices
    outcomes = race([
        lambda: services.inspection_approve(actor=org.users.admin, inspection_id=inspection.pk),
        lambda: services.inspection_approve(actor=admin2, inspection_id=inspection.pk),
    ])
    wins, errors = _split(outcomes)
    assert len(wins) == 1 and len(errors) == 1, outcomes
    assert isinstance(errors[0], Conflict)
    assert errors[0].message == "This inspection is not awaiting approval."
    assert Hazard.objects.count() == 2 and RectificationNotice.objects.count() == 1
    assert ActivityEntry.objects.filter(verb="inspections.approve").count() == 1


def test_approve_racing_send_back_one_wins(org):
    inspection = _answered(org, review=True)
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    outcomes = race([
        lambda: services.inspection_approve(actor=org.users.admin, inspection_id=inspection.pk),
        lambda: services.inspection_send_back(actor=org.users.admin,
                                              inspection_id=inspection.pk, reason="补拍照片"),
    ])
    wins, errors = _split(outcomes)
    assert len(wins) == 1 and len(errors) == 1 and isinstance(errors[0], Conflict), outcomes
    state = Inspection.objects.get(pk=inspection.pk).state
    if state == Inspection.State.FINISHED:
        assert Hazard.objects.count() == 2
    else:
        assert state == Inspection.State.IN_PROGRESS and not Hazard.objects.exists()
    assert ActivityEntry.objects.filter(
        verb__in=["inspections.approve", "inspections.send_back"]).count() == 1


def test_submit_racing_cancel_one_wins(org):
    inspection = _answered(org)
    outcomes = race([
        lambda: services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                                           signer_name="王老师", signature=signature_png()),
        lambda: services.inspection_cancel(actor=org.users.staff, inspection_id=inspection.pk,
                                           reason="误建"),
    ])
    wins, errors = _split(outcomes)
    assert len(wins) == 1 and len(errors) == 1 and isinstance(errors[0], Conflict), outcomes
    state = Inspection.objects.get(pk=inspection.pk).state
    assert state in (Inspection.State.FINISHED, Inspection.State.CANCELLED)
    assert Hazard.objects.count() == (2 if state == Inspection.State.FINISHED else 0)
