"""Fixtures of the partners and meetings tests: two police stations (one per campus of
``org``) with a liaison each, a traffic brigade serving both campuses, and helpers to plan
and hold meetings through the services. "Now" is 2 Mar 2026, 10:00 local."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import translation

from safecampus.accounts.models import Role, User
from safecampus.core import clock
from safecampus.police.services import meetings as services
from safecampus.police.services import partners as partner_services
from safecampus.tests.factories import user_with_role

NOW = dt.datetime(2026, 3, 2, 10, tzinfo=clock.local_zone())


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=clock.local_zone())


def fresh(user) -> User:
    """The user again from the database (``scope`` and the liaison's partner are cached)."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def police(org):
    """Station 1 serves campus 1 (liaison ``police1``), station 2 campus 2 (``police2``); the
    brigade serves both (no liaison). Clock frozen at :data:`NOW`."""
    admin = org.users.admin
    with clock.frozen(NOW - dt.timedelta(days=60)):
        station1 = partner_services.partner_create(actor=admin, data=partner_services.PartnerInput(
            code="st1", name="北派出所", kind="police_station", campus_ids=[org.campus1.pk]))
        station2 = partner_services.partner_create(actor=admin, data=partner_services.PartnerInput(
            code="st2", name="南派出所", kind="police_station", campus_ids=[org.campus2.pk]))
        brigade = partner_services.partner_create(actor=admin, data=partner_services.PartnerInput(
            code="tb", name="交警大队", kind="traffic_police",
            campus_ids=[org.campus1.pk, org.campus2.pk]))
        police2 = user_with_role(Role.POLICE_LIAISON, username="police2")
        partner_services.liaison_add(actor=admin, partner_id=station1.pk,
                                     user_id=org.users.police.pk, post="社区民警")
        partner_services.liaison_add(actor=admin, partner_id=station2.pk, user_id=police2.pk)
    with clock.frozen(NOW):
        yield SimpleNamespace(station1=station1, station2=station2, brigade=brigade,
                              liaison1=fresh(org.users.police), liaison2=fresh(police2),
                              admin=fresh(admin), staff=fresh(org.users.staff))


def plan(actor, *, starts_at=None, campus=None, partners=(), title="联席会议", agenda=(),
         **extra):
    """A meeting planned through the service: joint with ``partners``, else an (internal)
    assessment meeting, since a joint meeting needs a partner."""
    return services.meeting_plan(actor=actor, data=services.MeetingInput(
        kind=extra.pop("kind", "joint" if partners else "assessment"), title=title,
        starts_at=starts_at or local(2026, 3, 1, 14),
        campus_id=campus.pk if campus else None, partner_ids=[p.pk for p in partners],
        agenda=list(agenda), **extra))


def campus_action(unit, *, title="整改南门照明", due_on=dt.date(2026, 3, 20), owner=None):
    return services.ActionInput(title=title, side="campus", due_on=due_on,
                                owner_unit_id=unit.pk, owner_id=owner.pk if owner else None)


def police_action(partner, *, title="加强周边巡逻", due_on=dt.date(2026, 3, 20), owner=None):
    return services.ActionInput(title=title, side="police", due_on=due_on,
                                owner_partner_id=partner.pk,
                                owner_id=owner.pk if owner else None)


def hold(actor, meeting, actions=(), minutes="会议纪要"):
    services.meeting_hold(actor=actor, meeting_id=meeting.pk, minutes=minutes,
                          actions=list(actions))
    meeting.refresh_from_db()
    return list(meeting.actions.order_by("number"))
