"""A small roster for the warnings and follow-up tests: two colleges on two campuses, two
year groups, classes, students with affiliations, counsellors."""

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import translation

from safecampus.accounts.models import Affiliation, Membership, Role
from safecampus.education.models import FraudType
from safecampus.organisation.models import ClassGroup
from safecampus.tests.factories import UserFactory, user_with_role


@pytest.fixture
def english(client):
    """English messages in the code and on the pages (pages follow the chosen language)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def student(username, group, *, number, dorm=None, active=True):
    user = UserFactory(username=username, employee_number=number, is_active=active)
    Membership.objects.create(user=user, role=Role.COMMUNITY_MEMBER)
    Affiliation.objects.create(user=user, kind=Affiliation.Kind.STUDENT, campus=group.campus,
                               college=group.college, enrolment_year=group.enrolment_year,
                               class_group=group, dormitory=dorm)
    return user


@pytest.fixture
def roster(org):
    """chem (campus1): 2024 class c24 (2 students, one inactive), 2025 class c25 (2 students);
    mech (campus2): 2025 class m25 (1 student, whose affiliation names campus2). Staff:
    teacher (chem, no year). ``org.users.student`` has no affiliation. Counsellors:
    chem_c (chem), mech_c (mech)."""
    c24 = ClassGroup.objects.create(college=org.unit_a, enrolment_year=2024, code="chem-2401",
                                    name="化学2401", campus=org.campus1)
    c25 = ClassGroup.objects.create(college=org.unit_a, enrolment_year=2025, code="chem-2501",
                                    name="化学2501", campus=org.campus1)
    m25 = ClassGroup.objects.create(college=org.unit_b, enrolment_year=2025, code="mech-2501",
                                    name="机械2501", campus=org.campus2)
    s = SimpleNamespace(
        a1=student("sa1", c24, number="2024001"),
        a_gone=student("sa_gone", c24, number="2024002", active=False),
        b1=student("sb1", c25, number="2025001"),
        b2=student("sb2", c25, number="2025002"),
        m1=student("sm1", m25, number="2025101"),
    )
    teacher = UserFactory(username="teacher_a", employee_number="T001")
    Affiliation.objects.create(user=teacher, kind=Affiliation.Kind.STAFF, college=org.unit_a,
                               campus=org.campus1)
    chem_c = user_with_role(Role.COUNSELLOR, unit=org.unit_a, username="chem_c")
    mech_c = user_with_role(Role.COUNSELLOR, unit=org.unit_b, username="mech_c")
    fraud = FraudType.objects.create(code="shuadan", name="刷单返利")
    return SimpleNamespace(c24=c24, c25=c25, m25=m25, students=s, teacher=teacher,
                           chem_c=chem_c, mech_c=mech_c, fraud=fraud)
