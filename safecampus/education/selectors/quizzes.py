"""Reads of the quizzes area: question banks, "my quizzes", a quiz's questions and results.

Who a quiz is for: its :class:`~safecampus.education.models.QuizAssignment` rows, each an
audience resolved by :mod:`safecampus.notifications.audiences`. :func:`assignments_matching`
is the same rule seen from one person (their affiliation against the rows), so "my quizzes"
is one query instead of resolving every audience. A quiz set for a campus, college, year or
class is for the students there (:attr:`Affiliation.Kind.STUDENT`): staff affiliated with it
(counsellors, teachers) are not assigned; "everyone" means every active user.

Results (:func:`quiz_results`) count people, not attempts: a person's best submitted score
counts; "passed" means any submitted attempt passed. Assigned people are the audiences'
people now (the roster may have changed since the quiz was set).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from operator import or_

from django.db.models import (
    Avg,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from safecampus.accounts.models import Affiliation, AudienceKind, Role, User
from safecampus.core import clock
from safecampus.notifications.audiences import audience_of, audience_q
from safecampus.organisation.models import ClassGroup, Unit

from ..models import Question, QuestionBank, Quiz, QuizAssignment, QuizAttempt

#: A quiz's state for a person, from the clock: not open yet, open, closed.
UPCOMING, OPEN, CLOSED = "upcoming", "open", "closed"
#: How many of the hardest questions the results page lists.
HARDEST_SHOWN = 10


# --- banks ------------------------------------------------------------------------------------
def banks_all() -> QuerySet:
    """Every bank with its active questions counted by kind (``n_single``, ``n_multiple``,
    ``n_true_false``, ``n_active``) and its quizzes (``n_quizzes``)."""
    active = Q(questions__is_active=True)
    return QuestionBank.objects.annotate(
        n_active=Count("questions", filter=active, distinct=True),
        n_single=Count("questions", filter=active & Q(questions__kind=Question.Kind.SINGLE),
                       distinct=True),
        n_multiple=Count("questions",
                         filter=active & Q(questions__kind=Question.Kind.MULTIPLE),
                         distinct=True),
        n_true_false=Count("questions",
                           filter=active & Q(questions__kind=Question.Kind.TRUE_FALSE),
                           distinct=True),
        n_quizzes=Count("quizzes", distinct=True),
    ).order_by("name")


def bank_get(pk: int) -> QuestionBank | None:
    return banks_all().filter(pk=pk).first()


def bank_questions(bank: QuestionBank, *, kind: str = "", active: bool | None = None
                   ) -> QuerySet:
    """The bank's questions by number, optionally of one ``kind`` and active or not."""
    rows = bank.questions.all()
    if kind:
        rows = rows.filter(kind=kind)
    if active is not None:
        rows = rows.filter(is_active=active)
    return rows.order_by("number")


def bank_pool(bank_id: int, kinds: list[str] | None = None) -> QuerySet:
    """Active questions of the bank (of ``kinds`` when given) a quiz can draw from."""
    rows = Question.objects.filter(bank_id=bank_id, is_active=True)
    if kinds:
        rows = rows.filter(kind__in=kinds)
    return rows.order_by("number")


# --- who a quiz is for -------------------------------------------------------------------------
def assignments_matching(user) -> Q:
    """A filter on :class:`QuizAssignment` for the rows whose audience holds ``user`` (the
    same rule as :func:`~safecampus.notifications.audiences.audience_q`)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    q = Q(audience_kind=AudienceKind.EVERYONE)
    aff = (Affiliation.objects.filter(user_id=user.pk)
           .values("kind", "campus_id", "college_id", "enrolment_year", "class_group_id",
                   "class_group__campus_id").first())
    if aff is None or aff["kind"] != Affiliation.Kind.STUDENT:
        return q
    campuses = {c for c in (aff["campus_id"], aff["class_group__campus_id"]) if c}
    if campuses:
        q |= Q(audience_kind=AudienceKind.CAMPUS, audience_campus_id__in=campuses)
    if aff["college_id"]:
        college = Q(audience_kind=AudienceKind.COLLEGE, audience_unit_id=aff["college_id"])
        year = Q(audience_year__isnull=True)
        if aff["enrolment_year"]:
            year |= Q(audience_year=aff["enrolment_year"])
        q |= college & year
    if aff["enrolment_year"]:
        campus = Q(audience_campus__isnull=True)
        if aff["campus_id"]:
            campus |= Q(audience_campus_id=aff["campus_id"])
        q |= Q(audience_kind=AudienceKind.YEAR, audience_year=aff["enrolment_year"]) & campus
    if aff["class_group_id"]:
        q |= Q(audience_kind=AudienceKind.CLASS, audience_class_id=aff["class_group_id"])
    return q


def quiz_is_assigned(quiz_id: int, user) -> bool:
    return QuizAssignment.objects.filter(Q(quiz_id=quiz_id) & assignments_matching(user)).exists()


def quiz_people_q(quiz: Quiz) -> Q:
    """A filter on :class:`User` for everyone the quiz is assigned to now: every active user
    for "everyone", else the students of the group."""
    rows = list(quiz.assignments.all())
    if not rows:
        return Q(pk__in=[])
    return reduce(or_, (_students_only(row, audience_q(**audience_of(row))) for row in rows))


def _students_only(row: QuizAssignment, q: Q) -> Q:
    if row.audience_kind == AudienceKind.EVERYONE:
        return q
    return q & Q(affiliation__kind=Affiliation.Kind.STUDENT)


def quiz_people(quiz: Quiz) -> QuerySet:
    return User.objects.filter(quiz_people_q(quiz))


def quiz_state(quiz: Quiz, now: dt.datetime | None = None) -> str:
    now = now or clock.now()
    if now < quiz.opens_at:
        return UPCOMING
    return OPEN if now < quiz.closes_at else CLOSED


# --- my quizzes ---------------------------------------------------------------------------------
def my_quizzes(user) -> QuerySet:
    """Quizzes assigned to ``user``, open ones first (then upcoming, then closed, newest
    first), each with ``my_attempts`` (started), ``my_submitted``, ``my_best`` (best score or
    None), ``my_passed`` (any attempt passed) and ``my_open_attempt`` (id of an unsubmitted
    attempt or None)."""
    mine = QuizAttempt.objects.filter(quiz_id=OuterRef("pk"), user_id=user.pk)
    assigned = QuizAssignment.objects.filter(Q(quiz_id=OuterRef("pk"))
                                             & assignments_matching(user))

    def count(rows):
        return Coalesce(Subquery(rows.order_by().values("quiz_id").annotate(n=Count("pk"))
                                 .values("n")[:1], output_field=IntegerField()), Value(0))

    submitted = mine.filter(submitted_at__isnull=False)
    return (Quiz.objects.filter(Exists(assigned))
            .select_related("bank")
            .annotate(
                my_attempts=count(mine),
                my_submitted=count(submitted),
                my_passed=Exists(submitted.filter(passed=True)),
                my_best=Subquery(submitted.order_by("-score").values("score")[:1]),
                my_open_attempt=Subquery(mine.filter(submitted_at__isnull=True)
                                         .order_by("-number").values("pk")[:1]),
                n_questions=Count("questions", distinct=True),
            ).order_by("-closes_at", "-pk"))


def my_quiz_sections(user) -> dict[str, list]:
    """:func:`my_quizzes` split by state: ``{"open": [...], "upcoming": [...],
    "closed": [...]}`` (closed: the 30 most recent)."""
    now = clock.now()
    rows = my_quizzes(user)
    return {
        OPEN: list(rows.filter(opens_at__lte=now, closes_at__gt=now).order_by("closes_at")),
        UPCOMING: list(rows.filter(opens_at__gt=now).order_by("opens_at")),
        CLOSED: list(rows.filter(closes_at__lte=now)[:30]),
    }


def my_open_quiz_count(user) -> int:
    """Open quizzes assigned to ``user`` with attempts left (for the hub card)."""
    now = clock.now()
    rows = my_quizzes(user).filter(opens_at__lte=now, closes_at__gt=now)
    return sum(1 for q in rows if q.my_open_attempt or q.my_attempts < q.max_attempts)


# --- quizzes (office) ---------------------------------------------------------------------------
def quizzes_all() -> QuerySet:
    """Every quiz, newest first, with its bank, assignments and question count."""
    return (Quiz.objects.select_related("bank")
            .prefetch_related(Prefetch("assignments", queryset=QuizAssignment.objects
                                       .select_related("audience_campus", "audience_unit",
                                                       "audience_class")))
            .annotate(n_questions=Count("questions", distinct=True))
            .order_by("-opens_at", "-pk"))


def quiz_get(pk: int) -> Quiz | None:
    return quizzes_all().filter(pk=pk).first()


def quiz_questions(quiz: Quiz, order: list[int] | None = None) -> list[Question]:
    """The quiz's questions, in ``order`` (ids) when given, else by number."""
    rows = list(quiz.questions.all().order_by("number"))
    if order:
        position = {pk: n for n, pk in enumerate(order)}
        rows.sort(key=lambda q: position.get(q.pk, len(position)))
    return rows


def attempt_get(pk: int) -> QuizAttempt | None:
    return (QuizAttempt.objects.select_related("quiz", "quiz__bank", "user", "college")
            .filter(pk=pk).first())


def answer_of(value, question: Question | None = None) -> tuple[list[int], bool | None]:
    """``(chosen indexes, correct)`` of one entry of an attempt's ``answers``: a submitted
    attempt stores ``{"chosen": [...], "correct": bool}``; an older one the chosen list only
    (``correct`` then worked out against ``question``, or None without it)."""
    if isinstance(value, dict):
        return sorted(value.get("chosen") or []), bool(value.get("correct"))
    chosen = sorted(value or [])
    return chosen, (chosen == sorted(question.answer) if question is not None else None)


def attempt_chosen(attempt: QuizAttempt) -> dict[str, list[int]]:
    """The attempt's chosen option indexes by question id (answered questions only) — what
    a taker may see of their answers before the quiz closes."""
    chosen = {key: answer_of(value)[0] for key, value in (attempt.answers or {}).items()}
    return {key: value for key, value in chosen.items() if value}


def attempt_reveals(attempt: QuizAttempt, now: dt.datetime | None = None) -> bool:
    """Whether the taker may see the right answers and explanations: only once submitted and
    the quiz has closed (while it is open they would pass to those still taking it)."""
    return (attempt.submitted_at is not None
            and (now or clock.now()) >= attempt.quiz.closes_at)


def attempt_review(attempt: QuizAttempt) -> list[dict]:
    """Each question of the attempt in its order: ``question``, ``chosen`` (indexes),
    ``correct`` (bool) and ``options`` as ``[(index, letter, text, is_answer, is_chosen)]``
    (``text``: :attr:`~..models.Question.option_labels`, in the reader's language). Only
    for :func:`attempt_reveals` attempts (it shows the right answers)."""
    rows = []
    for question in quiz_questions(attempt.quiz, attempt.question_order):
        chosen, correct = answer_of(attempt.answers.get(str(question.pk), []), question)
        rows.append({
            "question": question, "chosen": chosen, "correct": correct,
            "options": [(i, "ABCDEFGH"[i], text, i in question.answer, i in chosen)
                        for i, text in enumerate(question.option_labels)],
        })
    return rows


# --- results -----------------------------------------------------------------------------------
def results_colleges(user) -> set[int] | None:
    """The colleges whose results ``user`` may see: None for all (office, leadership),
    else the colleges they are counsellor of (possibly empty)."""
    if user.scope.is_office or user.scope.is_leadership:
        return None
    return {unit for unit, roles in user.scope.unit_roles.items() if Role.COUNSELLOR in roles}


@dataclass
class ResultRow:
    """Figures of one group (the whole quiz, a college or a class)."""

    label: str
    key: int | None = None
    assigned: int = 0
    attempted: int = 0
    passed: int = 0
    average: Decimal | None = None

    @property
    def pass_rate(self) -> Decimal | None:
        """Passed as a percentage of those assigned (one decimal), None when nobody is."""
        if not self.assigned:
            return None
        return (Decimal(100 * self.passed) / self.assigned).quantize(Decimal("0.1"),
                                                                    ROUND_HALF_UP)

    @property
    def attempt_rate(self) -> Decimal | None:
        if not self.assigned:
            return None
        return (Decimal(100 * self.attempted) / self.assigned).quantize(Decimal("0.1"),
                                                                       ROUND_HALF_UP)


@dataclass
class QuizResults:
    total: ResultRow
    groups: list[ResultRow] = field(default_factory=list)
    group_kind: str = "college"  # or "class"
    hardest: list[dict] = field(default_factory=list)


def _people_with_best(quiz: Quiz, colleges: set[int] | None, college_id: int | None):
    submitted = QuizAttempt.objects.filter(quiz_id=quiz.pk, user_id=OuterRef("pk"),
                                           submitted_at__isnull=False)
    people = User.objects.filter(quiz_people_q(quiz))
    if colleges is not None:
        people = people.filter(affiliation__college_id__in=colleges)
    if college_id:
        people = people.filter(affiliation__college_id=college_id)
    return people.annotate(
        best=Subquery(submitted.order_by("-score").values("score")[:1]),
        passed_any=Exists(submitted.filter(passed=True)),
    )


def quiz_results(quiz: Quiz, *, colleges: set[int] | None = None,
                 college_id: int | None = None) -> QuizResults:
    """Assigned, attempted, passed, pass rate and average (of each person's best score) for
    the whole quiz and per college — per class when ``college_id`` narrows it — and the
    hardest questions (lowest share of correct answers among submitted attempts).
    ``colleges``: the colleges the viewer may see (None: all). Aggregated in SQL except the
    per-question correct shares, read from the submitted attempts' answers."""
    people = _people_with_best(quiz, colleges, college_id)
    figures = {
        "assigned": Count("pk"),
        "attempted": Count("pk", filter=Q(best__isnull=False)),
        "passed": Count("pk", filter=Q(passed_any=True)),
        "average": Avg("best"),
    }
    total = ResultRow(label="", **people.aggregate(**figures))
    if college_id:
        key, kind = "affiliation__class_group_id", "class"
        names = dict(ClassGroup.objects.filter(college_id=college_id).values_list("pk", "name"))
    else:
        key, kind = "affiliation__college_id", "college"
        names = dict(Unit.objects.values_list("pk", "name"))
    groups = [ResultRow(label=names.get(row[key], "") if row[key] else "", key=row[key],
                        **{k: row[k] for k in figures})
              for row in people.order_by().values(key).annotate(**figures)]
    groups.sort(key=lambda r: (r.key is None, r.label))
    for row in [total, *groups]:
        if row.average is not None:
            row.average = Decimal(row.average).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return QuizResults(total=total, groups=groups, group_kind=kind,
                       hardest=hardest_questions(quiz, colleges=colleges,
                                                 college_id=college_id))


def hardest_questions(quiz: Quiz, *, colleges: set[int] | None = None,
                      college_id: int | None = None, limit: int = HARDEST_SHOWN) -> list[dict]:
    """``[{"question", "answered", "correct", "rate"}]`` for the quiz's questions with the
    lowest share of correct answers among submitted attempts (each attempt counts), hardest
    first; questions nobody saw are left out. Correctness is the one stored when each attempt
    was scored (``{"chosen", "correct"}`` per question), so this only counts flags; attempts
    stored before that are compared with the answer key."""
    questions = {q.pk: q for q in quiz.questions.all()}
    attempts = QuizAttempt.objects.filter(quiz_id=quiz.pk, submitted_at__isnull=False)
    if colleges is not None:
        attempts = attempts.filter(college_id__in=colleges)
    if college_id:
        attempts = attempts.filter(college_id=college_id)
    seen = dict.fromkeys(questions, 0)
    right = dict.fromkeys(questions, 0)
    for order, given in attempts.values_list("question_order", "answers").iterator(
            chunk_size=2000):
        for pk in order:
            if pk in seen:
                seen[pk] += 1
                entry = given.get(str(pk))
                if isinstance(entry, dict):
                    right[pk] += bool(entry.get("correct"))
                elif answer_of(entry, questions[pk])[1]:
                    right[pk] += 1
    rows = [{"question": questions[pk], "answered": seen[pk], "correct": right[pk],
             "letters": "".join("ABCDEFGH"[i] for i in sorted(questions[pk].answer)),
             "rate": (Decimal(100 * right[pk]) / seen[pk]).quantize(Decimal("0.1"),
                                                                    ROUND_HALF_UP)}
            for pk in questions if seen[pk]]
    rows.sort(key=lambda r: (r["rate"], r["question"].number))
    return rows[:limit]


def results_people(quiz: Quiz, *, colleges: set[int] | None = None,
                   college_id: int | None = None) -> QuerySet:
    """Everyone assigned (within ``colleges``/``college_id``) with ``best``, ``passed_any``,
    ``n_attempts`` and ``last_submitted``, by college, class and username (for the export)."""
    mine = QuizAttempt.objects.filter(quiz_id=quiz.pk, user_id=OuterRef("pk"))
    return (_people_with_best(quiz, colleges, college_id)
            .annotate(n_attempts=Coalesce(Subquery(
                mine.filter(submitted_at__isnull=False).order_by().values("user_id")
                .annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()),
                Value(0)),
                last_submitted=Subquery(mine.filter(submitted_at__isnull=False)
                                        .order_by("-submitted_at").values("submitted_at")[:1]))
            .select_related("affiliation__college", "affiliation__class_group")
            .order_by("affiliation__college__name", "affiliation__class_group__name",
                      "username"))


def result_colleges_choices(colleges: set[int] | None) -> list[tuple[int, str]]:
    rows = Unit.objects.filter(kind=Unit.Kind.COLLEGE)
    if colleges is not None:
        rows = rows.filter(pk__in=colleges)
    return list(rows.order_by("name").values_list("pk", "name"))

