"""Shared set-up of the attendance tests: a roster of two colleges (org's 化学学院 and
机械学院) with one class each and students, a counsellor per college, and a fire-safety
training organised by a chemistry safety contact for 化学学院, running now."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from safecampus.accounts.models import Affiliation, Role
from safecampus.core import clock
from safecampus.education.models import Activity
from safecampus.education.qr import activity_code
from safecampus.organisation.models import ClassGroup
from safecampus.tests.factories import UserFactory, user_with_role

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def make_student(username, group, *, number, dorm=None):
    user = UserFactory(username=username, employee_number=number)
    Affiliation.objects.create(user=user, kind=Affiliation.Kind.STUDENT, college=group.college,
                               enrolment_year=group.enrolment_year, class_group=group,
                               campus=group.campus, dormitory=dorm)
    return user


def make_activity(org, *, organiser, kind=Activity.Kind.TRAINING, starts_in=-0.5,
                  hours=1.5, colleges=(), classes=(), buildings=(), title="消防安全培训",
                  open_=True, **extra) -> Activity:
    start = clock.now() + dt.timedelta(hours=starts_in)
    activity = Activity.objects.create(
        title=title, topic="fire", kind=kind, starts_at=start,
        ends_at=start + dt.timedelta(hours=hours), campus=org.campus1, place=org.place_a,
        organiser=organiser, sign_in_open=open_, latitude=Decimal("34.246000"),
        longitude=Decimal("108.983000"), sign_in_radius_m=300, **extra)
    activity.colleges.set(colleges)
    activity.class_groups.set(classes)
    activity.buildings.set(buildings)
    return activity


@pytest.fixture
def roster(org):
    chem = ClassGroup.objects.create(college=org.unit_a, enrolment_year=2024, code="chem-2401",
                                     name="化学2401", campus=org.campus1)
    mech = ClassGroup.objects.create(college=org.unit_b, enrolment_year=2024, code="mech-2401",
                                     name="机械2401", campus=org.campus2)
    chem_students = [make_student(f"chem{i}", chem, number=f"20240010{i}",
                                  dorm=org.building_a if i == 1 else None) for i in range(1, 5)]
    mech_students = [make_student(f"mech{i}", mech, number=f"20240020{i}") for i in range(1, 4)]
    chem_counsellor = user_with_role(Role.COUNSELLOR, unit=org.unit_a, username="chem_c")
    mech_counsellor = user_with_role(Role.COUNSELLOR, unit=org.unit_b, username="mech_c")
    training = make_activity(org, organiser=org.users.contact_a, colleges=[org.unit_a])
    return SimpleNamespace(chem=chem, mech=mech, chem_students=chem_students,
                           mech_students=mech_students, chem_counsellor=chem_counsellor,
                           mech_counsellor=mech_counsellor, training=training,
                           code=activity_code(training))
