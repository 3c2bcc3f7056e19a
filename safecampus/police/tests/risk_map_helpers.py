"""Risk points straight in the database for the map tests (the register's services are
tested on their own), a liaison with a partner, and campus map images."""

import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import translation
from PIL import Image

from safecampus.accounts.models import Role
from safecampus.police.models import Partner, PartnerLiaison, RiskPoint
from safecampus.tests.factories import user_with_role

LEVELS = ["major", "high", "moderate", "low"]


@pytest.fixture
def english(client):
    """English pages (the language cookie) and messages."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def png_bytes(size=(400, 300), colour=(230, 236, 228), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def give_map(campus, size=(400, 300)) -> None:
    """Campus ``campus`` gets a plain map image of ``size`` pixels."""
    campus.map_image.save(f"{campus.code}.png", ContentFile(png_bytes(size)), save=True)


def liaison(campus, *, username="liaison1", partner_code="ps1"):
    """A police liaison of a station serving ``campus`` (membership on that campus)."""
    partner = Partner.objects.create(code=partner_code, name=f"派出所{partner_code}",
                                     kind=Partner.Kind.POLICE_STATION)
    partner.campuses.add(campus)
    user = user_with_role(Role.POLICE_LIAISON, campus=campus, username=username)
    PartnerLiaison.objects.create(partner=partner, user=user)
    return user


def point(campus, code, *, level="moderate", kind="lab", x=50, y=50, state="published",
          shared=True, name=None, unit=None, location="", building=None, place=None):
    """One risk point (published by default) at ``x``/``y`` % of the map (None: not placed)."""
    return RiskPoint.objects.create(
        code=code, name=name or f"风险点{code}", kind=kind, campus=campus, level=level,
        map_x=None if x is None else Decimal(str(x)), map_y=None if y is None else Decimal(str(y)),
        hazard_factors="危险有害因素", state=state, shared_with_partners=shared,
        responsible_unit=unit, location_text=location, building=building, place=place)


def many_points(campus, n, *, prefix="P"):
    """``n`` published points spread over the map, the levels in turn (bulk)."""
    RiskPoint.objects.bulk_create([
        RiskPoint(code=f"{prefix}{i:05d}", name=f"风险点{i}", kind="lab", campus=campus,
                  level=LEVELS[i % 4], map_x=Decimal((i * 37) % 100), map_y=Decimal((i * 53) % 100),
                  hazard_factors="危险有害因素", state="published")
        for i in range(n)])
