"""Fixtures of the risk register tests: a liaison of a partner serving campus 1, and helpers
that register, assess, equip and publish points through the services."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import translation

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.police.models import Partner, PartnerLiaison
from safecampus.police.services import risks as services
from safecampus.tests.factories import user_with_role

#: "Now" of the risk tests: 10:00 local on 15 June 2026.
NOW = dt.datetime(2026, 6, 15, 10, tzinfo=clock.local_zone())


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=clock.local_zone())


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def risk(org):
    """The org, a liaison (of a station serving campus 1) and a liaison user's partner; the
    clock frozen at :data:`NOW`. Contact A has a phone number."""
    partner = Partner.objects.create(code="yanta", name="雁塔派出所", kind="police_station")
    partner.campuses.add(org.campus1)
    liaison = user_with_role(Role.POLICE_LIAISON, campus=org.campus1, username="liaison1")
    PartnerLiaison.objects.create(partner=partner, user=liaison)
    org.users.contact_a.phone = "13800138000"
    org.users.contact_a.save()
    with clock.frozen(NOW):
        yield SimpleNamespace(org=org, partner=partner, liaison=liaison,
                              staff=org.users.staff, contact_a=org.users.contact_a)


def register(org, *, actor=None, place="a", name="危化品库房", kind="hazardous_goods",
             person="contact_a", unit=None, **extra):
    place = org.place_a if place == "a" else place
    data = {"name": name, "kind": kind, "place_id": place.pk if place else None,
            "campus_id": None if place else org.campus1.pk,
            "hazard_factors": "易燃易爆化学品储存", "possible_accidents": "火灾、爆炸",
            "responsible_unit_id": (unit or org.unit_a).pk,
            "responsible_person_id": getattr(org.users, person).pk if person else None}
    data.update(extra)
    return services.risk_point_register(actor=actor or org.users.staff, data=data)


def measure(org, point, *, actor=None, tier="team"):
    return services.control_measure_add(
        actor=actor or org.users.staff, risk_point_id=point.pk, kind="management",
        description="双人双锁，出入登记", tier=tier, responsible_unit_id=org.unit_a.pk,
        responsible_person_id=org.users.contact_a.pk)


def assess_lec(org, point, l=3, e=6, c=7, *, actor=None, reason="initial"):  # noqa: E741
    return services.risk_point_assess(actor=actor or org.users.staff, risk_point_id=point.pk,
                                      method="lec", lec_l=l, lec_e=e, lec_c=c, reason=reason)


def assess_matrix(org, point, likelihood, severity, *, actor=None, reason="periodic"):
    return services.risk_point_assess(actor=actor or org.users.staff, risk_point_id=point.pk,
                                      method="matrix", likelihood=likelihood,
                                      severity=severity, reason=reason)


def published(org, **kwargs):
    """A point registered, assessed (LEC 3×6×7 = 126, moderate), equipped and published."""
    point = register(org, **kwargs)
    assess_lec(org, point)
    measure(org, point)
    return services.risk_point_publish(actor=org.users.staff, risk_point_id=point.pk)
