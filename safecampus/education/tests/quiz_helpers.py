"""Fixtures for the quizzes tests: a small roster (two colleges, two year groups, classes,
students with affiliations, counsellors) and a bank of six questions of every kind."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import translation

from safecampus.accounts.models import Affiliation, Membership, Role
from safecampus.core import clock
from safecampus.education.services import quizzes as services
from safecampus.organisation.models import ClassGroup
from safecampus.tests.factories import UserFactory, user_with_role

#: A fixed "now" for the tests (Asia/Shanghai).
NOW = dt.datetime(2026, 10, 12, 9, 0, tzinfo=clock.local_zone())


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def at_now():
    with clock.frozen(NOW):
        yield NOW


def student(username, group, *, active=True):
    user = UserFactory(username=username, is_active=active)
    Membership.objects.create(user=user, role=Role.COMMUNITY_MEMBER)
    Affiliation.objects.create(user=user, kind=Affiliation.Kind.STUDENT, campus=group.campus,
                               college=group.college, enrolment_year=group.enrolment_year,
                               class_group=group)
    return user


@pytest.fixture
def roster(org):
    """chem (campus1): 2024 class c24a (a1, a2) and c24b (a3), 2025 class c25 (b1, b2);
    mech (campus2): 2025 class m25 (m1, m2, and m_gone inactive). Staff teacher (chem, no
    year). Counsellors chem_c, mech_c."""
    c24a = ClassGroup.objects.create(college=org.unit_a, enrolment_year=2024, code="chem-2401",
                                     name="化学2401", campus=org.campus1)
    c24b = ClassGroup.objects.create(college=org.unit_a, enrolment_year=2024, code="chem-2402",
                                     name="化学2402", campus=org.campus1)
    c25 = ClassGroup.objects.create(college=org.unit_a, enrolment_year=2025, code="chem-2501",
                                    name="化学2501", campus=org.campus1)
    m25 = ClassGroup.objects.create(college=org.unit_b, enrolment_year=2025, code="mech-2501",
                                    name="机械2501", campus=org.campus2)
    s = SimpleNamespace(
        a1=student("sa1", c24a), a2=student("sa2", c24a), a3=student("sa3", c24b),
        b1=student("sb1", c25), b2=student("sb2", c25),
        m1=student("sm1", m25), m2=student("sm2", m25),
        m_gone=student("sm_gone", m25, active=False),
    )
    teacher = UserFactory(username="teacher_a")
    Affiliation.objects.create(user=teacher, kind=Affiliation.Kind.STAFF, college=org.unit_a,
                               campus=org.campus1)
    return SimpleNamespace(
        c24a=c24a, c24b=c24b, c25=c25, m25=m25, s=s, teacher=teacher,
        chem_c=user_with_role(Role.COUNSELLOR, unit=org.unit_a, username="chem_c"),
        mech_c=user_with_role(Role.COUNSELLOR, unit=org.unit_b, username="mech_c"))


QUESTIONS = [
    ("single", "96110 是什么电话？", ["反诈预警专线", "外卖电话", "天气预报"], [0], "接到请接听。"),
    ("multiple", "哪些是诈骗信号？", ["安全账户", "索要验证码", "官网电话", "要求保密"], [0, 1, 3], ""),
    ("true_false", "刷单返利是可靠兼职。", ["正确", "错误"], [1], "先返小利再骗大钱。"),
    ("single", "火警电话是？", ["110", "119", "120", "122"], [1], ""),
    ("multiple", "逃生时应当？", ["捂住口鼻", "乘电梯", "沿指示撤离"], [0, 2], ""),
    ("true_false", "离开宿舍要断电。", ["正确", "错误"], [0], ""),
]


@pytest.fixture
def bank(org):
    """A bank "反诈与消防" with :data:`QUESTIONS` (numbers 1–6)."""
    b = services.bank_create(actor=org.users.staff, name="反诈与消防", topic="anti_fraud")
    for kind, stem, options, answer, explanation in QUESTIONS:
        services.question_add(actor=org.users.staff, bank_id=b.pk, kind=kind, stem=stem,
                              options=options, answer=answer, explanation=explanation)
    return b


def make_quiz(org, bank, *, audiences=None, opens=None, closes=None, **kwargs):
    """A quiz of every question of ``bank`` open from ``opens`` (default: an hour before
    NOW) to ``closes`` (default: a week after NOW), for the 2024 year group unless told."""
    opens = opens or NOW - dt.timedelta(hours=1)
    return services.quiz_create(
        actor=org.users.staff, bank_id=bank.pk, title=kwargs.pop("title", "测验"),
        opens_at=opens, closes_at=closes or NOW + dt.timedelta(days=7),
        audiences=audiences or [{"kind": "year", "year": 2024}], **kwargs)


def right_answers(attempt) -> dict:
    """Every question of ``attempt`` answered right."""
    from safecampus.education.models import Question

    return {str(q.pk): list(q.answer)
            for q in Question.objects.filter(pk__in=attempt.question_order)}
