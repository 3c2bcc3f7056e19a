"""Fixtures of the activities tests: a term, dormitory buildings, classes, students with
affiliations, and helpers to plan and hold activities through the services."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import translation

from safecampus.accounts.models import Affiliation, Role
from safecampus.core import clock
from safecampus.education.models import Attendance
from safecampus.education.services import activities as services
from safecampus.organisation.models import ClassGroup, Place
from safecampus.tests.factories import BuildingFactory, PlaceFactory, UserFactory, user_with_role


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=clock.local_zone())


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def edu(org):
    """Autumn term 2026 (1 Sep – 17 Jan), two dorms on campus 1 and one on campus 2, two classes
    of unit A and one of unit B, six students, a counsellor of unit A. "Now" is 30 Nov 2026."""
    staff = org.users.staff
    with clock.frozen(local(2026, 8, 1, 9)):
        term = services.term_create(actor=staff, name="2026秋", starts_on=dt.date(2026, 9, 1),
                                    ends_on=dt.date(2027, 1, 17))
    dorms = []
    for code, campus in (("d1", org.campus1), ("d2", org.campus1), ("d3", org.campus2)):
        building = BuildingFactory(campus=campus, code=code, name=f"{code}公寓")
        PlaceFactory(building=building, campus=campus, code=f"{code}-3f", name="三层",
                     kind=Place.Kind.DORMITORY)
        dorms.append(building)
    classes = [ClassGroup.objects.create(college=org.unit_a, enrolment_year=2024, code="a-2401",
                                         name="化学2401", campus=org.campus1),
               ClassGroup.objects.create(college=org.unit_a, enrolment_year=2024, code="a-2402",
                                         name="化学2402", campus=org.campus1),
               ClassGroup.objects.create(college=org.unit_b, enrolment_year=2025, code="b-2501",
                                         name="机械2501", campus=org.campus2)]
    students = []
    layout = [(classes[0], dorms[0]), (classes[0], dorms[0]), (classes[0], dorms[1]),
              (classes[1], dorms[1]), (classes[2], dorms[2]), (classes[2], dorms[2])]
    for n, (group, dorm) in enumerate(layout):
        user = UserFactory(username=f"stu{n}")
        Affiliation.objects.create(user=user, kind=Affiliation.Kind.STUDENT,
                                   campus=group.campus, college=group.college,
                                   enrolment_year=group.enrolment_year, class_group=group,
                                   dormitory=dorm)
        students.append(user)
    counsellor = user_with_role(Role.COUNSELLOR, unit=org.unit_a, username="couns_a")
    with clock.frozen(local(2026, 11, 30, 10)):
        yield SimpleNamespace(term=term, dorms=dorms, classes=classes, students=students,
                              counsellor=counsellor, staff=staff)


def plan(actor, *, title="反诈摊位", topic="anti_fraud", kind="booth", starts_at=None,
         hours=1, **groups):
    starts_at = starts_at or local(2026, 11, 10, 11)
    data = services.ActivityInput(
        title=title, topic=topic, kind=kind, starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours), location=groups.pop("location", "食堂门口"),
        building_ids=[b.pk for b in groups.pop("buildings", [])],
        college_ids=[u.pk for u in groups.pop("colleges", [])],
        class_ids=[c.pk for c in groups.pop("classes", [])],
        campus_ids=[c.pk for c in groups.pop("campuses", [])], **groups)
    return services.activity_create(actor=actor, data=data)


def hold(actor, activity, audience=100, **kwargs):
    return services.activity_hold(actor=actor, activity_id=activity.pk, audience_count=audience,
                                  **kwargs)


def attend(activity, user):
    """A sign-in row as the attendance area writes it (its own service is another area's)."""
    aff = user.affiliation
    return Attendance.objects.create(activity=activity, user=user, college=aff.college,
                                     class_group=aff.class_group,
                                     signed_in_at=activity.starts_at,
                                     method=Attendance.Method.MANUAL)
