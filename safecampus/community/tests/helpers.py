"""Fixtures shared by the community tests: concern categories (one of them a hazard
category, one with questions), and a helper that submits through the service."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import translation

from safecampus.community.models import CategoryAttribute, ConcernCategory
from safecampus.community.services import concerns as concern_services
from safecampus.core import clock

#: "Now" of the community tests: 10:00 local on Tuesday 16 June 2026.
NOW = dt.datetime(2026, 6, 16, 10, tzinfo=clock.local_zone())


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=clock.local_zone())


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def community(org):
    """The org plus three concern categories: parking (停车难), lighting (道路照明, asks
    which road and how many lamps) and fire exits (消防通道, becomes a fire hazard). The
    clock is frozen at :data:`NOW`."""
    parking = ConcernCategory.objects.create(code="parking", name="停车难", name_en="Parking",
                                             group="交通", sort_order=1)
    lighting = ConcernCategory.objects.create(code="lighting", name="道路照明",
                                              name_en="Road lighting", sort_order=2,
                                              answer_days=5)
    CategoryAttribute.objects.create(category=lighting, code="road", description="哪条路",
                                     datatype="string", required=True, order=1)
    CategoryAttribute.objects.create(category=lighting, code="lamps", description="几盏灯不亮",
                                     datatype="number", order=2)
    CategoryAttribute.objects.create(
        category=lighting, code="when", description="什么时段", datatype="singlevaluelist",
        order=3, values=[{"key": "evening", "name": "傍晚"}, {"key": "night", "name": "深夜"}])
    fire_exit = ConcernCategory.objects.create(code="fire-exit", name="消防通道",
                                               name_en="Fire exits", hazard_category=org.fire,
                                               sort_order=3)
    with clock.frozen(NOW):
        yield SimpleNamespace(org=org, parking=parking, lighting=lighting,
                              fire_exit=fire_exit, users=org.users)


def submit(community, *, actor=None, category="parking", **extra):
    """A concern through :func:`concern_submit` (student1 on campus 1 by default)."""
    data = {"title": "东门晚上停车位不够", "description": "下晚自习后东门附近找不到车位。",
            "campus_id": community.org.campus1.pk}
    data.update(extra)
    return concern_services.concern_submit(
        actor=actor or community.users.student,
        category_id=getattr(community, category.replace("-", "_")).pk, **data)
