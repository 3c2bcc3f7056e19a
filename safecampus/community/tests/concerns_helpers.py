"""Fixtures and steps of the concerns tests: concerns in each state, made through the
services (never by writing rows), and a fresh copy of a concern."""

import datetime as dt

from safecampus.community.models import Concern
from safecampus.community.services import concerns as services
from safecampus.core import clock

from .helpers import NOW, submit


def fresh(concern: Concern) -> Concern:
    return Concern.objects.get(pk=concern.pk)


def answered(community, **extra) -> Concern:
    """A concern the office answered (closed / answered)."""
    concern = submit(community, **extra)
    return services.concern_answer(actor=community.users.staff, concern_id=concern.pk,
                                   answer="东门外已增设临时停车区。")


def planned(community, **extra) -> Concern:
    """A concern planned for the end of the month, handled by unit A."""
    concern = submit(community, **extra)
    return services.concern_plan(actor=community.users.staff, concern_id=concern.pk,
                                 target_date=dt.date(2026, 6, 30), answer="暑假期间施工扩建车位。",
                                 handling_unit_id=community.org.unit_a.pk)


def in_hazard(community, **extra) -> Concern:
    """A concern the office turned into a fire hazard."""
    concern = submit(community, **extra)
    return services.concern_to_hazard(actor=community.users.staff, concern_id=concern.pk,
                                      hazard_category_id=community.org.fire.pk)


def later(days: float = 0, hours: float = 0):
    """The frozen clock moved forward from the tests' :data:`NOW`."""
    return clock.frozen(NOW + dt.timedelta(days=days, hours=hours))
