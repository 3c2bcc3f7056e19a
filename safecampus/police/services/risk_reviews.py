"""Risk review requests, writes: ask for a risk point to be reassessed (from a bulletin's
incident record, a joint meeting or the office). The request stays open until the point's
next assessment resolves it (:func:`safecampus.police.services.risks.risk_point_assess`)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from safecampus.accounts.models import Role
from safecampus.accounts.selectors import unit_people
from safecampus.core.activity import activity_record
from safecampus.core.errors import (
    Conflict,
    DomainError,
    perm_require,
    raise_field_errors,
    text_checked,
)
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.notifications.services import notification_send

from ..models import BulletinRecord, RiskPoint, RiskReview

REASON_MAX = 2000
REVIEW_SCOPE = "police.risk_review_request"


def risk_review_request(*, actor, risk_point_id: int, reason: str,
                        record_id: int | None = None,
                        idempotency_key: str | None = None) -> RiskReview:
    """Open a review request on a published point the actor may see
    (``police.request_risk_review`` and ``police.view_risk_point``). ``record_id``: the
    bulletin record that prompted it (optional). The responsible person (else the unit's
    safety contacts) is told after commit. Raises DomainError (no reason, no such point or
    record), NotAllowed, Conflict (a draft — not assessed and published yet, so there is
    nothing to review — or a retired point). The same ``idempotency_key`` by the same actor
    returns the first request (one request and one notification for a double tap)."""
    earlier = idempotency_lookup(scope=REVIEW_SCOPE, key=idempotency_key, model=RiskReview,
                                 user=actor)
    if earlier is not None:
        return earlier
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=REASON_MAX, errors=errors,
                          required=_("Say why the risk point should be reviewed."))
    record = None
    if record_id not in (None, ""):
        record = BulletinRecord.objects.filter(pk=id_or_none(record_id) or 0).first()
        if record is None:
            errors["record"] = [_("No such bulletin record.")]
    raise_field_errors(errors)
    perm_require(actor, "police.request_risk_review", system=True)
    with transaction.atomic():
        point = (RiskPoint.objects.select_for_update(of=("self",))
                 .select_related("responsible_person")
                 .filter(pk=id_or_none(risk_point_id) or 0).first())
        if point is None:
            raise DomainError(_("This risk point does not exist."), code="not_found")
        perm_require(actor, "police.view_risk_point", point, system=True)
        if point.state != RiskPoint.State.PUBLISHED:
            raise Conflict(_("This cannot be done while the risk point is “%(state)s”.") % {
                "state": point.get_state_display()})
        review = RiskReview.objects.create(risk_point=point, record=record, reason=reason,
                                           requested_by=actor)
        activity_record(target=point, actor=actor, verb="police.risk_review_request",
                        comment=reason, data={"review": review.pk,
                                              "record": record.pk if record else None})
        recipients = ([point.responsible_person] if point.responsible_person_id
                      else unit_people(point.responsible_unit_id, Role.UNIT_SAFETY_CONTACT))
        with translation.override(settings.LANGUAGE_CODE):
            title = _("A review of risk point %(code)s %(name)s is requested.") % {
                "code": point.code, "name": point.name}
        url = reverse("police:risk_detail", args=[point.pk])
        transaction.on_commit(lambda: notification_send(
            recipients=recipients, verb="police.risk_review_request", title=title, body=reason,
            url=url))
        winner = idempotency_race_lost(scope=REVIEW_SCOPE, key=idempotency_key, user=actor,
                                       result=review)
    return winner or review
