"""Risk register, reads: which risk points a user may see (the same rule as
``police.view_risk_point``, as a query)."""

from django.db.models import Q, QuerySet

from ..models import RiskPoint
from ..rules import liaison_partner_id


def risk_points_visible_to(user) -> QuerySet[RiskPoint]:
    """Risk points ``user`` may open: all for the office and leadership; for a police liaison
    the published points shared with partners on the campuses they serve; for a unit's safety
    contact or leader the points their unit answers for; and any point the user is the
    responsible person of. Signed-out users see none."""
    if not user.is_authenticated:
        return RiskPoint.objects.none()
    scope = user.scope
    if scope.sees_everything:
        return RiskPoint.objects.all()
    q = Q(responsible_person=user)
    unit_ids = [unit_id for unit_id in scope.unit_ids if scope.acts_for_unit(unit_id)]
    if unit_ids:
        q |= Q(responsible_unit_id__in=unit_ids)
    if liaison_partner_id(user) is not None:
        q |= Q(shared_with_partners=True, state=RiskPoint.State.PUBLISHED,
               campus_id__in=scope.campus_ids)
    return RiskPoint.objects.filter(q)
