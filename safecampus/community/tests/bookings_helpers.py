"""Fixtures of the service request tests: a small catalogue and helpers that book, accept
and deliver through the services."""

import datetime as dt
from types import SimpleNamespace

import pytest

from safecampus.community.models import ServiceField, ServiceItem
from safecampus.community.services import bookings as services
from safecampus.core import clock

#: "Now" of these tests: 10:00 Beijing time on Tuesday 16 June 2026 (the Dragon Boat
#: Festival holiday is Friday 19 to Sunday 21 June).
NOW = dt.datetime(2026, 6, 16, 10, tzinfo=clock.local_zone())


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=clock.local_zone())


@pytest.fixture
def catalogue(org):
    """Two services and the org. 安全教育讲座 (``talk``): 3 working days ahead, answered
    within 24 hours, at most 2 a day, with questions of every kind; 消防演练 (``drill``): 5
    calendar days ahead, 48 hours, no limit, no questions. The clock is frozen at
    :data:`NOW`."""
    talk = ServiceItem.objects.create(code="talk", name="安全教育讲座", name_en="Safety talk",
                                      lead_days=3, lead_in_workdays=True, sla_hours=24,
                                      daily_capacity=2, duration_minutes=90, sort_order=1,
                                      description="保卫处派员到学院开展安全教育。")
    Kind = ServiceField.Kind
    for position, (code, label, kind, required, options) in enumerate([
        ("audience", "听众人数", Kind.NUMBER, True, []),
        ("topic", "讲座主题", Kind.CHOICE, True, ["防范电信网络诈骗", "消防安全", "实验室安全"]),
        ("media", "需要的设备", Kind.MULTICHOICE, False, ["投影仪", "话筒", "音响"]),
        ("agree", "已阅读预约须知", Kind.BOOLEAN, True, []),
        ("speaker", "希望的主讲人", Kind.TEXT, False, []),
        ("background", "听众情况", Kind.TEXTAREA, False, []),
        ("rehearsal", "彩排日期", Kind.DATE, False, []),
    ]):
        ServiceField.objects.create(item=talk, code=code, label=label, kind=kind,
                                    required=required, options=options, position=position)
    drill = ServiceItem.objects.create(code="drill", name="消防演练", name_en="Fire drill",
                                       lead_days=5, lead_in_workdays=False, sla_hours=48,
                                       duration_minutes=120, sort_order=2)
    with clock.frozen(NOW):
        yield SimpleNamespace(org=org, talk=talk, drill=drill, users=org.users)


TALK_ANSWERS = {"audience": "120", "topic": "防范电信网络诈骗", "media": ["话筒", "投影仪"],
                "agree": True}


def book(cat, *, actor=None, item="talk", unit=None, **extra):
    """A booking through :func:`service_request_submit` (contact_a for unit A, on Monday 22
    June 2026 at 14:00 in place A by default)."""
    service = getattr(cat, item)
    data = {"service_date": dt.date(2026, 6, 22), "start_time": dt.time(14),
            "end_time": dt.time(15, 30), "campus_id": cat.org.campus1.pk,
            "place_id": cat.org.place_a.pk, "contact_phone": "029-8266 8000",
            "answers": dict(TALK_ANSWERS) if item == "talk" else {}}
    data.update(extra)
    return services.service_request_submit(
        actor=actor or cat.users.contact_a, item_id=service.pk,
        unit_id=(unit or cat.org.unit_a).pk, **data)


def accept(cat, request, *, actor=None, start=None, hours=2, staff=None, lead=None, **extra):
    """Accept ``request`` (staff1 by default, alone and in charge) from ``start``
    (14:00 on its service date by default)."""
    start = start or dt.datetime.combine(request.service_date, dt.time(14),
                                         tzinfo=clock.local_zone())
    people = staff or [cat.users.staff]
    return services.service_request_accept(
        actor=actor or cat.users.admin, request_id=request.pk, scheduled_start=start,
        scheduled_end=start + dt.timedelta(hours=hours), staff_ids=[u.pk for u in people],
        lead_id=(lead or people[0]).pk, **extra)
