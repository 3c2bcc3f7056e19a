"""Writes of the quizzes area: question banks and questions, quizzes assigned to groups,
attempts and their scoring.

Rules:

* **Questions** (:func:`question_add`, :func:`question_update`): kind single / multiple /
  true_false, 2…8 options, no duplicates, answer = option indexes; single and true/false
  exactly one correct, multiple at least one (one is allowed: real banks have them). A
  question in a quiz that people have submitted is not edited (their scores would change
  under them): deactivate it and add a corrected one. While people are taking an open quiz
  holding it, its type, options and answer do not change either (``question_in_progress``).
* **Quizzes** (:func:`quiz_create`): drawn from a bank's active questions (of the chosen
  kinds): all of them or ``question_count`` drawn at random with a stored seed (the
  activity entry keeps it; the drawn set is the quiz's ``questions``). Opens and closes at
  instants (the forms read local time), deadline after opening and in the future. One or more
  audiences (everyone / campus / college (+ year) / year / class). The people assigned are
  told in the app when it opens (:func:`quiz_open_announce`, once per quiz and person, from
  a task queued after the commit — or the five-minute sweep — in batches, no lock held).
* **Attempts** (:func:`attempt_start`, :func:`attempt_submit`): only people in an audience,
  only while open. An unsubmitted attempt still within its time is resumed; every other
  started attempt counts against ``max_attempts`` (so letting the time run out does not
  give a fresh go). Questions in a fresh random order when the quiz shuffles. Submitting
  at or after ``closes_at`` is refused (no grace); after ``started_at + time limit`` too, with
  :data:`NETWORK_GRACE` for the network. Answers naming a question not in the attempt or an
  option out of range, or several options for a one-answer question, are refused with
  nothing stored. Each question counts the same; a multiple-choice question is right only
  when exactly its correct options are chosen; passed = score ≥ pass mark. ``answers`` then
  holds ``{"<id>": {"chosen": [...], "correct": bool}}`` for every question (the results count
  correctness as scored). A second submit of the same attempt returns it unchanged (no
  rescoring). Right answers and explanations are shown only once the quiz has closed.

Errors: DomainError (400, ``code`` says which), NotAllowed (403).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from safecampus.accounts.models import Affiliation, AudienceKind, User
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import (
    DomainError,
    NotAllowed,
    field_error,
    perm_require,
    raise_field_errors,
)
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.core.models import ActivityEntry
from safecampus.notifications.audiences import audience_check
from safecampus.notifications.services import notification_send_bulk

from ..models import Question, QuestionBank, Quiz, QuizAssignment, QuizAttempt
from ..models.quizzes import TRUE_FALSE_OPTIONS
from ..models.terms import Topic
from ..selectors import quizzes as selectors
from .question_import import question_check

MANAGE = "education.manage_quizzes"
TAKE = "education.take_quiz"
QUIZ_CREATE_SCOPE = "education.quiz_create"
#: A submit this long after the time limit still counts (the network may be slow).
NETWORK_GRACE = dt.timedelta(seconds=60)
TITLE_MAX = 120
NAME_MAX = 120
TEXT_MAX = 4000
MAX_TIME_LIMIT = 600
MAX_ATTEMPTS = 20
MAX_AUDIENCES = 30
OPEN_VERB = "education.quiz_open"
#: People told per transaction when a quiz opens.
ANNOUNCE_BATCH = 500


def _local(moment: dt.datetime) -> str:
    return formats.date_format(moment.astimezone(clock.local_zone()), "Y-m-d H:i")


# --- banks and questions -------------------------------------------------------------------
def bank_create(*, actor, name: str, topic: str, source: str = "") -> QuestionBank:
    """A new, empty question bank. ``actor`` None is the system (the ``questions_import``
    command run without ``--user``). Raises NotAllowed, DomainError (name missing or taken,
    unknown topic)."""
    perm_require(actor, MANAGE, system=True)
    name = " ".join((name or "").split())
    errors = {}
    if not name:
        errors["name"] = [_("Give the bank a name.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("At most %(max)s characters.") % {"max": NAME_MAX}]
    if topic not in Topic.values:
        errors["topic"] = [_("Choose the topic.")]
    raise_field_errors(errors)
    with transaction.atomic():
        if QuestionBank.objects.select_for_update().filter(name=name).exists():
            raise field_error("name", _("A question bank named “%(name)s” exists already.")
                              % {"name": name}, code="duplicate")
        bank = QuestionBank.objects.create(name=name, topic=topic, source=(source or "")[:200],
                                           created_by=actor)
        activity_record(target=bank, actor=actor, verb="education.bank_create",
                        to_state="created", comment=name)
    return bank


def _question_problems(*, kind, stem, options, answer, explanation) -> dict:
    errors: dict[str, list[str]] = {}
    for key, reason in question_check(kind=kind, stem=stem, options=options, answer=answer):
        errors.setdefault(key, []).append(reason[:1].upper() + reason[1:] + ".")
    if len(explanation) > TEXT_MAX:
        errors.setdefault("explanation", []).append(
            _("At most %(max)s characters.") % {"max": TEXT_MAX})
    return errors


def _clean_question(kind: str, stem: str, options: list[str], answer: list[int],
                    explanation: str):
    stem = " ".join((stem or "").split())
    options = [" ".join(str(o).split()) for o in (options or [])]
    explanation = (explanation or "").strip()
    if kind == Question.Kind.TRUE_FALSE and not any(options):
        options = list(TRUE_FALSE_OPTIONS)
    raise_field_errors(_question_problems(kind=kind, stem=stem, options=options,
                                          answer=list(answer or []), explanation=explanation))
    return stem, options, sorted(set(answer)), explanation


def question_add(*, actor, bank_id: int, kind: str, stem: str, options: list[str],
                 answer: list[int], explanation: str = "") -> Question:
    """Add a question at the end of the bank. Raises DomainError with field errors
    (``kind``, ``stem``, ``options``, ``answer``, ``explanation``)."""
    perm_require(actor, MANAGE)
    stem, options, answer, explanation = _clean_question(kind, stem, options, answer,
                                                         explanation)
    with transaction.atomic():
        bank = QuestionBank.objects.select_for_update().filter(pk=bank_id).first()
        if bank is None:
            raise DomainError(_("Question bank not found."), code="not_found")
        number = (bank.questions.aggregate(top=Max("number"))["top"] or 0) + 1
        question = Question.objects.create(bank=bank, number=number, kind=kind, stem=stem,
                                           options=options, answer=answer,
                                           explanation=explanation)
        activity_record(target=question, actor=actor, verb="education.question_add",
                        to_state="active", comment=stem[:200])
    return question


def _locked_question(question_id: int) -> Question:
    question = Question.objects.select_for_update().filter(pk=question_id).first()
    if question is None:
        raise DomainError(_("Question not found."), code="not_found")
    return question


def question_update(*, actor, question_id: int, kind: str, stem: str, options: list[str],
                    answer: list[int], explanation: str = "") -> Question:
    """Change a question. Raises DomainError (field errors) or Conflict-like DomainError
    ``question_taken`` when people have submitted a quiz holding it."""
    perm_require(actor, MANAGE)
    stem, options, answer, explanation = _clean_question(kind, stem, options, answer,
                                                         explanation)
    with transaction.atomic():
        question = _locked_question(question_id)
        if QuizAttempt.objects.filter(quiz__questions=question,
                                      submitted_at__isnull=False).exists():
            raise DomainError(_("People have answered this question in a quiz, so it cannot "
                                "be changed any more. Deactivate it and add a corrected one."),
                              code="question_taken")
        if (kind, options, answer) != (question.kind, question.options, sorted(question.answer)) \
                and QuizAttempt.objects.filter(quiz__questions=question,
                                               submitted_at__isnull=True,
                                               quiz__closes_at__gt=clock.now()).exists():
            raise DomainError(_("People are taking an open quiz with this question right now: "
                                "its type, options and answer cannot change under them. Wait "
                                "until the quiz closes, or deactivate it and add a corrected "
                                "one."), code="question_in_progress")
        question.kind, question.stem, question.options = kind, stem, options
        question.answer, question.explanation = answer, explanation
        question.save(update_fields=["kind", "stem", "options", "answer", "explanation",
                                     "updated_at"])
        activity_record(target=question, actor=actor, verb="education.question_update",
                        comment=stem[:200])
    return question


def _set_active(actor, question_id: int, active: bool) -> Question:
    perm_require(actor, MANAGE)
    with transaction.atomic():
        question = _locked_question(question_id)
        if question.is_active == active:
            return question
        question.is_active = active
        question.save(update_fields=["is_active", "updated_at"])
        activity_record(target=question, actor=actor,
                        verb="education.question_" + ("activate" if active else "deactivate"),
                        from_state="inactive" if active else "active",
                        to_state="active" if active else "inactive")
    return question


def question_deactivate(*, actor, question_id: int) -> Question:
    """Keep the question out of new quizzes (quizzes holding it keep it)."""
    return _set_active(actor, question_id, False)


def question_activate(*, actor, question_id: int) -> Question:
    return _set_active(actor, question_id, True)


# --- quizzes ----------------------------------------------------------------------------------
def quiz_create(*, actor, bank_id: int, title: str, opens_at: dt.datetime,
                closes_at: dt.datetime, audiences: list[dict], question_count: int | None = None,
                kinds: list[str] | None = None, instructions: str = "",
                time_limit_minutes: int | None = None, pass_mark: int = 60,
                max_attempts: int = 1, shuffle: bool = True, seed: int | None = None,
                idempotency_key: str | None = None) -> Quiz:
    """Set a quiz from a bank for one or more audiences (dicts of ``kind``, ``campus_id``,
    ``unit_id``, ``year``, ``class_id``). ``question_count`` None: every active question (of
    ``kinds``). ``seed``: the draw's seed (random when None; recorded). Tells the assigned
    people at once when it is open already. Raises DomainError with field errors."""
    perm_require(actor, MANAGE)
    previous = idempotency_lookup(scope=QUIZ_CREATE_SCOPE, key=idempotency_key, model=Quiz,
                                  user=actor)
    if previous is not None:
        return previous
    title = " ".join((title or "").split())
    kinds = [k for k in (kinds or []) if k]
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the quiz a title.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("At most %(max)s characters.") % {"max": TITLE_MAX}]
    if any(k not in Question.Kind.values for k in kinds):
        errors["kinds"] = [_("Choose question types from the list.")]
    if opens_at is None:
        errors["opens_at"] = [_("Give the time it opens.")]
    if closes_at is None:
        errors["closes_at"] = [_("Give the deadline.")]
    elif opens_at is not None and closes_at <= opens_at:
        errors["closes_at"] = [_("The deadline must be after the opening time.")]
    elif closes_at <= clock.now():
        errors["closes_at"] = [_("The deadline is in the past.")]
    if time_limit_minutes is not None and not 1 <= time_limit_minutes <= MAX_TIME_LIMIT:
        errors["time_limit_minutes"] = [_("Between 1 and %(max)s minutes, or empty for no "
                                          "limit.") % {"max": MAX_TIME_LIMIT}]
    if pass_mark is None or not 0 <= pass_mark <= 100:
        errors["pass_mark"] = [_("A percentage from 0 to 100.")]
    if max_attempts is None or not 1 <= max_attempts <= MAX_ATTEMPTS:
        errors["max_attempts"] = [_("Between 1 and %(max)s.") % {"max": MAX_ATTEMPTS}]
    if question_count is not None and question_count < 1:
        errors["question_count"] = [_("At least one question, or empty for all.")]
    if not audiences:
        errors["audience_kind"] = [_("Choose who the quiz is for.")]
    elif len(audiences) > MAX_AUDIENCES:
        errors["audience_kind"] = [_("At most %(max)s groups.") % {"max": MAX_AUDIENCES}]
    if len(instructions or "") > TEXT_MAX:
        errors["instructions"] = [_("At most %(max)s characters.") % {"max": TEXT_MAX}]
    raise_field_errors(errors)
    for audience in audiences:
        audience_check(**audience)
    seed = secrets.randbits(32) if seed is None else int(seed)
    now = clock.now()
    with transaction.atomic():
        bank = QuestionBank.objects.select_for_update().filter(pk=bank_id).first()
        if bank is None:
            raise field_error("bank", _("Question bank not found."), code="not_found")
        pool = list(selectors.bank_pool(bank.pk, kinds).values_list("pk", flat=True))
        if not pool:
            raise field_error("question_count", _("The bank has no active questions of these "
                                                  "types."), code="empty_pool")
        if question_count is not None and question_count > len(pool):
            raise field_error("question_count", _(
                "The bank has only %(count)s active questions of these types.")
                % {"count": len(pool)}, code="too_many")
        chosen = (pool if question_count is None
                  else sorted(random.Random(seed).sample(pool, question_count)))
        quiz = Quiz.objects.create(
            title=title, bank=bank, instructions=(instructions or "").strip(),
            opens_at=opens_at, closes_at=closes_at, time_limit_minutes=time_limit_minutes,
            pass_mark=pass_mark, max_attempts=max_attempts, shuffle=shuffle, created_by=actor)
        quiz.questions.set(chosen)
        QuizAssignment.objects.bulk_create([
            QuizAssignment(quiz=quiz, audience_kind=a["kind"],
                           audience_campus_id=a.get("campus_id") if a["kind"] in (
                               AudienceKind.CAMPUS, AudienceKind.YEAR) else None,
                           audience_unit_id=a.get("unit_id")
                           if a["kind"] == AudienceKind.COLLEGE else None,
                           audience_year=a.get("year") if a["kind"] in (
                               AudienceKind.COLLEGE, AudienceKind.YEAR) else None,
                           audience_class_id=a.get("class_id")
                           if a["kind"] == AudienceKind.CLASS else None)
            for a in audiences])
        activity_record(target=quiz, actor=actor, verb="education.quiz_create",
                        to_state="created", comment=title,
                        data={"seed": seed, "pool": len(pool), "questions": len(chosen),
                              "kinds": kinds})
        winner = idempotency_race_lost(scope=QUIZ_CREATE_SCOPE, key=idempotency_key,
                                       user=actor, result=quiz)
        if winner is not None:
            return winner
        if opens_at <= now:
            transaction.on_commit(lambda quiz_id=quiz.pk: _enqueue_announce(quiz_id))
    return quiz


def _enqueue_announce(quiz_id: int) -> None:
    from ..tasks.quizzes import quiz_open_announce_task

    quiz_open_announce_task(quiz_id)


def _announced(quiz_id: int) -> bool:
    from django.contrib.contenttypes.models import ContentType

    return ActivityEntry.objects.filter(target_type=ContentType.objects.get_for_model(Quiz),
                                        target_id=quiz_id, verb=OPEN_VERB).exists()


def quiz_open_announce(*, quiz_id: int) -> int:
    """Tell everyone the open quiz is assigned to, once (in the app), from a task — never in
    a request. Returns how many were told now; 0 when the quiz is not open or was announced
    already.

    No lock is held while notifying: the people are read as ids and told in batches of
    :data:`ANNOUNCE_BATCH`, each batch its own short transaction. The per-person dedupe key
    makes an overlapping or repeated run (after a crash half-way) tell nobody twice; the
    activity entry ``education.quiz_open`` is written once, at the end, under the quiz's
    row lock, and stops later runs."""
    quiz = Quiz.objects.filter(pk=quiz_id).first()
    now = clock.now()
    if quiz is None or not quiz.opens_at <= now < quiz.closes_at or _announced(quiz.pk):
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Quiz open: %(title)s") % {"title": quiz.title}
        body = _("Take it by %(deadline)s.") % {"deadline": _local(quiz.closes_at)}
    url = reverse("education:quiz_take", args=[quiz.pk])
    people = list(selectors.quiz_people(quiz).filter(is_active=True).order_by("pk")
                  .values_list("pk", "email"))
    told = 0
    for start in range(0, len(people), ANNOUNCE_BATCH):
        with transaction.atomic():
            told += notification_send_bulk(
                recipients=people[start:start + ANNOUNCE_BATCH], verb=OPEN_VERB, title=title,
                body=body, url=url, dedupe_key=f"{OPEN_VERB}:{quiz.pk}")
    with transaction.atomic():
        Quiz.objects.select_for_update().filter(pk=quiz.pk).first()
        if not _announced(quiz.pk):
            activity_record(target=quiz, actor=None, verb=OPEN_VERB, from_state="scheduled",
                            to_state="open", data={"told": told, "people": len(people)})
    return told


def quizzes_open_sweep() -> int:
    """Announce every quiz that has opened and not been announced (the periodic task)."""
    now = clock.now()
    told = 0
    for quiz_id in Quiz.objects.filter(opens_at__lte=now, closes_at__gt=now).values_list(
            "pk", flat=True):
        told += quiz_open_announce(quiz_id=quiz_id)
    return told


# --- attempts --------------------------------------------------------------------------------
def attempt_deadline(attempt: QuizAttempt) -> dt.datetime:
    """When the attempt's answers stop being accepted: the quiz's deadline, or earlier the
    time limit (without the network grace)."""
    deadline = attempt.quiz.closes_at
    if attempt.quiz.time_limit_minutes:
        deadline = min(deadline, attempt.started_at
                       + dt.timedelta(minutes=attempt.quiz.time_limit_minutes))
    return deadline


def _time_up(attempt: QuizAttempt, now: dt.datetime) -> bool:
    limit = attempt.quiz.time_limit_minutes
    return bool(limit) and now > attempt.started_at + dt.timedelta(minutes=limit) + NETWORK_GRACE


def attempt_start(*, actor, quiz_id: int) -> QuizAttempt:
    """Start (or resume) ``actor``'s attempt at the quiz. Raises NotAllowed (not assigned),
    DomainError ``not_open`` / ``closed`` / ``no_attempts_left``."""
    perm_require(actor, TAKE)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()  # one start at a time
        quiz = Quiz.objects.filter(pk=quiz_id).first()
        if quiz is None:
            raise DomainError(_("Quiz not found."), code="not_found")
        if not selectors.quiz_is_assigned(quiz.pk, actor):
            raise NotAllowed(_("This quiz is not assigned to you."))
        now = clock.now()
        if now < quiz.opens_at:
            raise DomainError(_("This quiz opens at %(time)s.") % {"time": _local(quiz.opens_at)},
                              code="not_open")
        if now >= quiz.closes_at:
            raise DomainError(_("This quiz closed at %(time)s.") % {
                "time": _local(quiz.closes_at)}, code="closed")
        attempts = list(QuizAttempt.objects.filter(quiz=quiz, user=actor).order_by("number"))
        for attempt in attempts:
            attempt.quiz = quiz
            if attempt.submitted_at is None and not _time_up(attempt, now):
                return attempt
        if len(attempts) >= quiz.max_attempts:
            raise DomainError(_("You have used all %(count)s attempts at this quiz.")
                              % {"count": quiz.max_attempts}, code="no_attempts_left")
        order = list(quiz.questions.order_by("number").values_list("pk", flat=True))
        if quiz.shuffle:
            random.SystemRandom().shuffle(order)
        college_id = (Affiliation.objects.filter(user_id=actor.pk)
                      .values_list("college_id", flat=True).first())
        attempt = QuizAttempt.objects.create(
            quiz=quiz, user=actor, college_id=college_id, number=len(attempts) + 1,
            question_order=order, started_at=now)
        activity_record(target=attempt, actor=actor, verb="education.attempt_start",
                        to_state="in_progress")
    return attempt


def _clean_answers(raw, order: list[int], questions: dict[int, Question]) -> dict[str, list[int]]:
    """``{"<question id>": [option index, …]}`` checked against the attempt; raises
    DomainError (field ``answers``) naming the first bad entry."""
    def bad(message: str) -> DomainError:
        return field_error("answers", message, code="bad_answers")

    if not isinstance(raw, dict):
        raise bad(_("Answers must map question ids to lists of option numbers."))
    position = {pk: n for n, pk in enumerate(order, start=1)}
    clean: dict[str, list[int]] = {}
    for key, value in raw.items():
        text = str(key)
        pk = int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None
        if pk not in position:
            raise bad(_("Question “%(id)s” is not in this quiz.") % {"id": text[:20]})
        values = value if isinstance(value, list) else [value]
        question = questions[pk]
        indexes = set()
        for item in values:
            if isinstance(item, bool) or not (
                    isinstance(item, int) or (isinstance(item, str) and item.isascii()
                                              and item.isdigit() and len(item) < 4)):
                raise bad(_("Question %(number)s: “%(value)s” is not an option.")
                          % {"number": position[pk], "value": str(item)[:20]})
            index = int(item)
            if not 0 <= index < len(question.options):
                raise bad(_("Question %(number)s has no option %(option)s.")
                          % {"number": position[pk], "option": index + 1})
            indexes.add(index)
        if question.kind != Question.Kind.MULTIPLE and len(indexes) > 1:
            raise bad(_("Question %(number)s takes one answer only.") % {"number": position[pk]})
        if indexes:
            clean[str(pk)] = sorted(indexes)
    return clean


def attempt_score(questions: list[Question], answers: dict[str, list[int]]) -> tuple[int, Decimal]:
    """``(correct count, score %)``: each question the same; right only when exactly the
    correct options are chosen; the score rounded half up to one decimal."""
    correct = sum(1 for q in questions if answers.get(str(q.pk), []) == sorted(q.answer))
    if not questions:
        return 0, Decimal("0.0")
    score = (Decimal(100 * correct) / len(questions)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return correct, score


def attempt_marked(questions: list[Question], answers: dict[str, list[int]]) -> dict[str, dict]:
    """What a submitted attempt stores in ``answers``: for every question of the attempt
    ``{"<id>": {"chosen": [indexes], "correct": bool}}`` (unanswered: ``chosen`` empty), so
    the results read each question's correctness as it was scored."""
    return {str(q.pk): {"chosen": answers.get(str(q.pk), []),
                        "correct": answers.get(str(q.pk), []) == sorted(q.answer)}
            for q in questions}


def attempt_submit(*, actor, attempt_id: int, answers: dict) -> QuizAttempt:
    """Score ``actor``'s attempt with ``answers`` (question id → option indexes). A repeat
    submit returns the scored attempt unchanged. Raises NotAllowed (someone else's),
    DomainError ``closed`` (after the deadline), ``time_up`` (after the time limit and the
    network grace), ``bad_answers`` (unknown question, option out of range)."""
    perm_require(actor, TAKE)
    with transaction.atomic():
        attempt = (QuizAttempt.objects.select_for_update().filter(pk=attempt_id).first())
        if attempt is None:
            raise DomainError(_("Attempt not found."), code="not_found")
        if attempt.user_id != actor.pk:
            raise NotAllowed()
        if attempt.submitted_at is not None:
            return attempt
        quiz = Quiz.objects.get(pk=attempt.quiz_id)
        attempt.quiz = quiz
        now = clock.now()
        if now >= quiz.closes_at:
            raise DomainError(_("The deadline (%(time)s) has passed: your answers were not "
                                "accepted.") % {"time": _local(quiz.closes_at)}, code="closed")
        if _time_up(attempt, now):
            raise DomainError(_("The time limit of %(minutes)s minutes ran out at %(time)s: "
                                "your answers were not accepted.") % {
                "minutes": quiz.time_limit_minutes,
                "time": _local(attempt.started_at
                               + dt.timedelta(minutes=quiz.time_limit_minutes))},
                code="time_up")
        questions = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_order)}
        order = [pk for pk in attempt.question_order if pk in questions]
        clean = _clean_answers(answers, order, questions)
        in_order = [questions[pk] for pk in order]
        correct, score = attempt_score(in_order, clean)
        attempt.answers = attempt_marked(in_order, clean)
        attempt.correct_count = correct
        attempt.score = score
        attempt.passed = score >= quiz.pass_mark
        attempt.submitted_at = now
        attempt.save(update_fields=["answers", "correct_count", "score", "passed",
                                    "submitted_at", "updated_at"])
        activity_record(target=attempt, actor=actor, verb="education.attempt_submit",
                        from_state="in_progress", to_state="passed" if attempt.passed
                        else "failed", data={"score": str(score), "correct": correct})
    return attempt

