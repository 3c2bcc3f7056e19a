"""Fixtures of the survey tests: a small roster (two colleges, three classes, students with
affiliations) and helpers that draft, fill and send surveys through the services."""

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import translation

from safecampus.accounts.models import Affiliation, AudienceKind, Membership, Role
from safecampus.community.services import surveys as services
from safecampus.core import clock
from safecampus.organisation.models import ClassGroup
from safecampus.tests.factories import UserFactory

from .helpers import NOW, local

__all__ = ["NOW", "QUESTIONS", "draft", "english_pages", "local", "roster", "sent"]

#: One question of every kind: (kind, text, required, extra arguments).
QUESTIONS = [
    ("single", "晚上走在校园里你感到安全吗？", True,
     {"options": ["很安全", "比较安全", "不太安全", "很不安全"]}),
    ("multiple", "哪些地方让你感到不安全？", False,
     {"options": ["东门外", "操场", "地下车库", "实验楼后"]}),
    ("scale", "对校园安保工作总体满意度", True,
     {"scale_min": 1, "scale_max": 5, "scale_min_label": "很不满意",
      "scale_max_label": "很满意"}),
    ("text", "还有什么建议？", False, {}),
]


def _student(username, group, *, number):
    user = UserFactory(username=username, employee_number=number, full_name=f"学生{number}")
    Membership.objects.create(user=user, role=Role.COMMUNITY_MEMBER)
    Affiliation.objects.create(user=user, kind=Affiliation.Kind.STUDENT, campus=group.campus,
                               college=group.college, enrolment_year=group.enrolment_year,
                               class_group=group)
    return user


@pytest.fixture
def roster(org):
    """chem (unit_a, campus1): class c24 (a1, a2), class c25 (b1); mech (unit_b, campus2):
    class m25 (m1). ``org.users.student`` has no affiliation (reached only by "everyone").
    The clock is frozen at :data:`NOW` (10:00 on 16 June 2026, Beijing time)."""
    c24 = ClassGroup.objects.create(college=org.unit_a, enrolment_year=2024, code="chem-2401",
                                    name="化学2401", campus=org.campus1)
    c25 = ClassGroup.objects.create(college=org.unit_a, enrolment_year=2025, code="chem-2501",
                                    name="化学2501", campus=org.campus1)
    m25 = ClassGroup.objects.create(college=org.unit_b, enrolment_year=2025, code="mech-2501",
                                    name="机械2501", campus=org.campus2)
    s = SimpleNamespace(a1=_student("sa1", c24, number="2024001"),
                        a2=_student("sa2", c24, number="2024002"),
                        b1=_student("sb1", c25, number="2025001"),
                        m1=_student("sm1", m25, number="2025101"))
    with clock.frozen(NOW):
        yield SimpleNamespace(org=org, users=org.users, students=s, c24=c24, c25=c25, m25=m25)


@pytest.fixture
def english_pages(client):
    """English on the pages (the language cookie) and in the code."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def draft(roster, *, questions=QUESTIONS, anonymous=True, audience=None, closes_at=None,
          title="校园安全感调查"):
    """A draft by the office with ``questions`` (default: one of every kind)."""
    staff = roster.users.staff
    survey = services.survey_create(actor=staff, title=title, description="约两分钟。",
                                    is_anonymous=anonymous, closes_at=closes_at,
                                    **(audience or {"audience_kind": AudienceKind.EVERYONE}))
    for kind, text, required, extra in questions:
        services.question_add(actor=staff, survey_id=survey.pk, kind=kind, text=text,
                              required=required, **extra)
    return survey


def sent(roster, **kwargs):
    """A survey drafted with :func:`draft` and sent; returns it fresh from the database."""
    survey = draft(roster, **kwargs)
    return services.survey_send(actor=roster.users.staff, survey_id=survey.pk)


def answers_for(survey, *values):
    """``{question id: value}`` for the survey's questions in order."""
    return {q.pk: v for q, v in zip(survey.questions.order_by("position"), values,
                                    strict=False)}
