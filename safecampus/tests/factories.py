"""Factories and a small organisation for tests (factory-boy)."""

import io
from types import SimpleNamespace

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from safecampus.accounts.models import Membership, Role, User
from safecampus.hazards.models import HazardCategory
from safecampus.organisation.models import Building, Campus, Place, Unit, Zone


class CampusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campus

    code = factory.Sequence(lambda n: f"campus-{n}")
    name = factory.Sequence(lambda n: f"校区{n}")


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    campus = factory.SubFactory(CampusFactory)
    code = factory.Sequence(lambda n: f"zone-{n}")
    name = factory.Sequence(lambda n: f"网格{n}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"unit-{n}")
    name = factory.Sequence(lambda n: f"单位{n}")
    kind = Unit.Kind.COLLEGE


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    campus = factory.SubFactory(CampusFactory)
    code = factory.Sequence(lambda n: f"bldg-{n}")
    name = factory.Sequence(lambda n: f"{n}号楼")


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place

    campus = factory.SelfAttribute("building.campus")
    building = factory.SubFactory(BuildingFactory)
    code = factory.Sequence(lambda n: f"place-{n}")
    name = factory.Sequence(lambda n: f"{n}室")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HazardCategory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.Sequence(lambda n: f"类别{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.edu.cn")
    password = factory.django.Password("pass-1234")


def user_with_role(role: str, *, unit=None, zone=None, campus=None, username=None) -> User:
    user = UserFactory(username=username) if username else UserFactory()
    Membership.objects.create(user=user, role=role, unit=unit, zone=zone, campus=campus)
    return user


def photo_upload(name: str = "photo.jpg", *, fmt: str = "JPEG", size=(64, 48), exif=None):
    """An in-memory image upload; ``exif`` (a PIL Exif) is embedded when given."""
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 40, 40))
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, format=fmt, **kwargs)
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png"}.get(fmt, "application/octet-stream")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def build_org() -> SimpleNamespace:
    """Two campuses, two college units and a logistics unit, places, categories and a user for
    every role. Unit A owns building A1 on campus 1; unit B owns building B1 on campus 2."""
    campus1 = CampusFactory(code="north", name="北校区")
    campus2 = CampusFactory(code="south", name="南校区")
    zone1 = ZoneFactory(campus=campus1, code="n-grid-1", name="北一网格")
    unit_a = UnitFactory(code="chem", name="化学学院")
    unit_b = UnitFactory(code="mech", name="机械学院")
    logistics = UnitFactory(code="logistics", name="后勤保障部", kind=Unit.Kind.LOGISTICS)
    building_a = BuildingFactory(campus=campus1, zone=zone1, code="a1", name="化学楼", unit=unit_a)
    building_b = BuildingFactory(campus=campus2, code="b1", name="机械楼", unit=unit_b)
    place_a = PlaceFactory(building=building_a, campus=campus1, zone=zone1, code="a1-101",
                           name="101实验室", kind=Place.Kind.LAB)
    place_b = PlaceFactory(building=building_b, campus=campus2, code="b1-201", name="201室")
    fire = CategoryFactory(code="fire", name="消防安全", name_en="Fire safety")
    electrical = CategoryFactory(code="electrical", name="用电安全", name_en="Electrical")
    traffic = CategoryFactory(code="traffic", name="交通安全", name_en="Traffic")
    from safecampus.hazards.models import RoutingRule

    RoutingRule.objects.create(category=traffic, campus=None, unit=logistics)
    users = SimpleNamespace(
        admin=user_with_role(Role.OFFICE_ADMIN, username="admin1"),
        staff=user_with_role(Role.OFFICE_STAFF, username="staff1"),
        staff2=user_with_role(Role.OFFICE_STAFF, username="staff2"),
        guard=user_with_role(Role.GUARD, campus=campus1, username="guard1"),
        grid=user_with_role(Role.GRID_OFFICER, zone=zone1, username="grid1"),
        grid_head=user_with_role(Role.GRID_HEAD, zone=zone1, username="gridhead1"),
        contact_a=user_with_role(Role.UNIT_SAFETY_CONTACT, unit=unit_a, username="contact_a"),
        leader_a=user_with_role(Role.UNIT_LEADER, unit=unit_a, username="leader_a"),
        contact_b=user_with_role(Role.UNIT_SAFETY_CONTACT, unit=unit_b, username="contact_b"),
        contact_log=user_with_role(Role.UNIT_SAFETY_CONTACT, unit=logistics,
                                   username="contact_log"),
        police=user_with_role(Role.POLICE_LIAISON, username="police1"),
        leadership=user_with_role(Role.LEADERSHIP, username="leader1"),
        student=user_with_role(Role.COMMUNITY_MEMBER, username="student1"),
        student2=user_with_role(Role.COMMUNITY_MEMBER, username="student2"),
    )
    return SimpleNamespace(
        campus1=campus1, campus2=campus2, zone1=zone1, unit_a=unit_a, unit_b=unit_b,
        logistics=logistics, building_a=building_a, building_b=building_b, place_a=place_a,
        place_b=place_b, fire=fire, electrical=electrical, traffic=traffic, users=users,
    )
