"""Builders for the violation tests: registered vehicles (made directly until the vehicle
services exist), a violation recorded through the service, and English messages."""

import datetime as dt

import pytest
from django.utils import translation

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.tests.factories import photo_upload, user_with_role
from safecampus.traffic.models import Vehicle, Violation
from safecampus.traffic.plates import plate_check
from safecampus.traffic.services import violations as services


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def local(*args) -> dt.datetime:
    """An aware Asia/Shanghai datetime: ``local(2026, 3, 2, 8, 0)``."""
    return dt.datetime(*args, tzinfo=clock.local_zone())


def owner_user(username="owner1"):
    return user_with_role(Role.COMMUNITY_MEMBER, username=username)


def vehicle(plate="陕A12345", *, owner=None, phone="13800138000", **kwargs) -> Vehicle:
    return Vehicle.objects.create(
        plate=plate_check(plate).number, plate_kind="ordinary", owner=owner,
        owner_name=kwargs.pop("owner_name", "王老师"),
        owner_kind=kwargs.pop("owner_kind", Vehicle.OwnerKind.STAFF), owner_phone=phone,
        **kwargs)


def record(org, plate="陕A12345", *, actor=None, level=Violation.Level.VIOLATION, at=None,
           kind="fire_lane", **kwargs) -> Violation:
    """A violation recorded by the guard on campus 1 with one photo."""
    kwargs.setdefault("photos", [photo_upload()] if level == Violation.Level.VIOLATION else [])
    with clock.frozen(at) if at else _nothing():
        return services.violation_record(
            actor=actor or org.users.guard, plate=plate, kind=kind, level=level,
            campus_id=org.campus1.pk, location_text=kwargs.pop("location_text", "北门"),
            observed_at=at, **kwargs)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
