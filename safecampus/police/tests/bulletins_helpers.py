"""Fixtures of the bulletin tests: two partners (a station serving campus 1 with a liaison,
another station with its own liaison), the clock frozen, and helpers that draft, fill and
publish bulletins through the services."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.conf import settings

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.police.models import Partner, PartnerLiaison
from safecampus.police.services import bulletins as services
from safecampus.tests.factories import user_with_role

#: "Now" of the bulletin tests: 10:00 local on 15 June 2026.
NOW = dt.datetime(2026, 6, 15, 10, tzinfo=clock.local_zone())


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=clock.local_zone())


@pytest.fixture
def bul(org):
    """The org, station ``xq`` (campus 1, liaison ``liaison_xq``) and station ``cx``
    (campus 2, liaison ``liaison_cx``); the clock frozen at :data:`NOW`."""
    xq = Partner.objects.create(code="xq-station", name="新区派出所", kind="police_station")
    xq.campuses.add(org.campus1)
    cx = Partner.objects.create(code="cx-station", name="城西派出所", kind="police_station")
    cx.campuses.add(org.campus2)
    liaison_xq = user_with_role(Role.POLICE_LIAISON, campus=org.campus1, username="liaison_xq")
    PartnerLiaison.objects.create(partner=xq, user=liaison_xq)
    liaison_cx = user_with_role(Role.POLICE_LIAISON, campus=org.campus2, username="liaison_cx")
    PartnerLiaison.objects.create(partner=cx, user=liaison_cx)
    with clock.frozen(NOW):
        yield SimpleNamespace(org=org, xq=xq, cx=cx, liaison_xq=liaison_xq,
                              liaison_cx=liaison_cx, staff=org.users.staff)


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def draft(actor, *, partner=None, title="第二季度警情通报", start=dt.date(2026, 4, 1),
          end=dt.date(2026, 6, 10), **extra):
    return services.bulletin_draft(actor=actor, title=title, period_start=start,
                                   period_end=end, partner_id=partner.pk if partner else None,
                                   **extra)


def record_values(org, **extra) -> dict:
    values = {"occurred_at": local(2026, 5, 3, 21, 30), "category": "theft",
              "type_label": "电动车被盗", "proximity": "on_campus", "campus_id": org.campus1.pk,
              "place_id": org.place_a.pk, "location_text": "化学楼北侧车棚",
              "summary": "学生电动车夜间被盗", "relevance": "high", "external_ref": "J2026-001"}
    values.update(extra)
    return values


def add(actor, bulletin, org, **extra):
    return services.record_add(actor=actor, bulletin_id=bulletin.pk,
                               **record_values(org, **extra))


def published(actor, org, *, partner=None, records=1, **extra):
    """A bulletin of ``records`` records, published by ``actor``."""
    bulletin = draft(actor, partner=partner)
    for _n in range(records):
        add(actor, bulletin, org, **extra)
    return services.bulletin_publish(actor=actor, bulletin_id=bulletin.pk)
