"""Surveys (问卷调研), writes: the office drafts a survey and its questions, sends it to an
audience and closes it; people in the audience answer once.

Lifecycle (``Survey.State``): draft ──survey_send──▶ open ──survey_close / closes_at──▶ closed.
Questions are written only while the survey is a draft.

Answering (:func:`survey_answer`) writes who answered (:class:`SurveyParticipation`, unique
per survey and person: the database decides between two submits at the same moment) and
what was answered (:class:`SurveyResponse` + :class:`SurveyAnswer`) in one transaction. In an
anonymous survey the response has no respondent, no date and no time, its id is random, the
participation has no time, a random id and no link to it, and nothing else (timeline,
notification, idempotency key) is written, so nothing stored ties a person to their answers.

Recipients are people (:func:`~..selectors.surveys.survey_recipients`): the audience's
active users without the Open311 clients' service accounts.

Errors: :class:`DomainError` with field errors (nothing written), :class:`NotAllowed`,
:class:`Conflict` (the survey's state does not allow it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import translation
from django.utils.translation import gettext as _

from safecampus.accounts.models import AudienceKind
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import (
    Conflict,
    DomainError,
    perm_require,
    raise_field_errors,
    text_checked,
    without_control_characters,
)
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.notifications.audiences import audience_check
from safecampus.notifications.services import notification_send_bulk

from ..models import Survey, SurveyAnswer, SurveyParticipation, SurveyQuestion, SurveyResponse
from ..selectors.surveys import survey_recipients, taking_answers_q

CREATE_SCOPE = "community.survey_create"
TITLE_MAX, INTRO_MAX = 200, 3000
QUESTION_MAX, OPTION_MAX, LABEL_MAX, ANSWER_TEXT_MAX = 200, 100, 32, 2000
OPTIONS_MIN, OPTIONS_MAX = 2, 20
POINTS_MIN, POINTS_MAX = 2, 10
SCALE_LOWEST, SCALE_HIGHEST = 0, 10
QUESTIONS_MAX = 50

def msg_already_answered() -> str:
    return _("You have already answered this survey.")


def msg_not_draft() -> str:
    return _("The survey has been sent; its questions can no longer change.")


def answer_field(question_id: int) -> str:
    """The field name an answer's error is reported at (``q<question id>``)."""
    return f"q{question_id}"


# --- helpers --------------------------------------------------------------------------------
def _locked_survey(survey_id) -> Survey:
    pk = id_or_none(survey_id)
    survey = Survey.objects.select_for_update().filter(pk=pk).first() if pk else None
    if survey is None:
        raise DomainError(_("This survey does not exist."), code="not_found")
    return survey


def _draft(survey: Survey) -> None:
    if survey.state != Survey.State.DRAFT:
        raise Conflict(msg_not_draft(), code="not_draft")


def audience_resolve(*, kind: str, campus_id=None, unit_id=None, year=None,
                     class_id=None) -> dict:
    """Check an audience (:func:`audience_check`) and keep only the fields its kind uses.
    Returns ``{"kind", "campus_id", "unit_id", "year", "class_id"}``. Raises DomainError
    with ``audience_*`` field errors."""
    keep = {
        AudienceKind.EVERYONE: (),
        AudienceKind.CAMPUS: ("campus_id",),
        AudienceKind.COLLEGE: ("unit_id", "year"),
        AudienceKind.YEAR: ("year", "campus_id"),
        AudienceKind.CLASS: ("class_id",),
    }.get(kind, ())
    given = {"campus_id": id_or_none(campus_id), "unit_id": id_or_none(unit_id),
             "year": int(year) if str(year or "").isdigit() else None,
             "class_id": id_or_none(class_id)}
    values = {key: (value if key in keep else None) for key, value in given.items()}
    audience_check(kind=kind, **values)
    return {"kind": kind, **values}


def _settings_checked(*, title, description, closes_at, errors) -> tuple[str, str]:
    title = text_checked(title, field="title", limit=TITLE_MAX, errors=errors,
                         required=_("Give the survey a title."))
    description = text_checked(description, field="description", limit=INTRO_MAX,
                               errors=errors)
    if closes_at is not None and closes_at <= clock.now():
        errors["closes_at"] = [_("The closing time has passed; choose a later one.")]
    return title, description


def _audience_or_errors(audience: dict, errors: dict) -> dict | None:
    try:
        return audience_resolve(**audience)
    except DomainError as error:
        errors.update(error.field_errors)
        return None


# --- the survey -----------------------------------------------------------------------------
def survey_create(*, actor, title: str, description: str = "", is_anonymous: bool = True,
                  audience_kind: str = AudienceKind.EVERYONE, campus_id=None, unit_id=None,
                  year=None, class_id=None, closes_at: dt.datetime | None = None,
                  idempotency_key: str | None = None) -> Survey:
    """Draft a survey (no questions yet). ``closes_at``: aware, in the future, or None (open
    until closed by hand). The same ``idempotency_key`` by the same actor returns the first
    draft. Needs ``community.manage_surveys``."""
    perm_require(actor, "community.manage_surveys")
    existing = idempotency_lookup(scope=CREATE_SCOPE, key=idempotency_key, model=Survey,
                                  user=actor)
    if existing is not None:
        return existing
    errors: dict[str, list[str]] = {}
    title, description = _settings_checked(title=title, description=description,
                                           closes_at=closes_at, errors=errors)
    audience = _audience_or_errors({"kind": audience_kind, "campus_id": campus_id,
                                    "unit_id": unit_id, "year": year, "class_id": class_id},
                                   errors)
    raise_field_errors(errors)
    with transaction.atomic():
        survey = Survey.objects.create(
            title=title, description=description, is_anonymous=bool(is_anonymous),
            closes_at=closes_at, created_by=actor, audience_kind=audience["kind"],
            audience_campus_id=audience["campus_id"], audience_unit_id=audience["unit_id"],
            audience_year=audience["year"], audience_class_id=audience["class_id"])
        activity_record(target=survey, actor=actor, verb="community.survey_create",
                        to_state=survey.state)
        winner = idempotency_race_lost(scope=CREATE_SCOPE, key=idempotency_key, user=actor,
                                       result=survey)
    return winner or survey


def survey_update(*, actor, survey_id, title: str, description: str = "",
                  is_anonymous: bool = True, audience_kind: str = AudienceKind.EVERYONE,
                  campus_id=None, unit_id=None, year=None, class_id=None,
                  closes_at: dt.datetime | None = None) -> Survey:
    """Change a draft's title, introduction, anonymity, audience or closing time."""
    perm_require(actor, "community.manage_surveys")
    errors: dict[str, list[str]] = {}
    title, description = _settings_checked(title=title, description=description,
                                           closes_at=closes_at, errors=errors)
    audience = _audience_or_errors({"kind": audience_kind, "campus_id": campus_id,
                                    "unit_id": unit_id, "year": year, "class_id": class_id},
                                   errors)
    raise_field_errors(errors)
    with transaction.atomic():
        survey = _locked_survey(survey_id)
        _draft(survey)
        survey.title, survey.description = title, description
        survey.is_anonymous = bool(is_anonymous)
        survey.closes_at = closes_at
        survey.audience_kind = audience["kind"]
        survey.audience_campus_id = audience["campus_id"]
        survey.audience_unit_id = audience["unit_id"]
        survey.audience_year = audience["year"]
        survey.audience_class_id = audience["class_id"]
        survey.save()
        activity_record(target=survey, actor=actor, verb="community.survey_update")
    return survey


def survey_send(*, actor, survey_id) -> Survey:
    """Draft → open: fix ``recipient_count`` (the audience's active people now) and notify
    them all in bulk with a link to the answer page (dedupe key ``survey:<id>:sent``, so a
    repeated send tells nobody twice). Refused (DomainError, nothing written) for a survey
    without questions, an audience with nobody in it or a closing time that has passed;
    Conflict when it is no longer a draft."""
    perm_require(actor, "community.manage_surveys")
    with transaction.atomic():
        survey = _locked_survey(survey_id)
        if survey.state != Survey.State.DRAFT:
            raise Conflict(_("This survey has already been sent."), code="not_draft")
        errors: dict[str, list[str]] = {}
        if not survey.questions.exists():
            errors["questions"] = [_("Add at least one question before sending.")]
        recipients = list(survey_recipients(survey).order_by().values_list("pk", "email"))
        count = len(recipients)
        if count == 0:
            errors["audience_kind"] = [_("Nobody is in this audience; choose another.")]
        if survey.closes_at is not None and survey.closes_at <= clock.now():
            errors["closes_at"] = [_("The closing time has passed; choose a later one.")]
        raise_field_errors(errors)
        survey.send()
        survey.sent_at = clock.now()
        survey.recipient_count = count
        survey.save()
        activity_record(target=survey, actor=actor, verb="community.survey_send",
                        from_state=Survey.State.DRAFT, to_state=survey.state,
                        data={"recipients": count})
        url = survey_answer_url(survey.pk)
        with translation.override(settings.LANGUAGE_CODE):
            title = _("New survey: %(title)s") % {"title": survey.title}
            body = (_("Anonymous: nobody can see who gave which answers.")
                    if survey.is_anonymous else "")
        pk = survey.pk
        transaction.on_commit(lambda: notification_send_bulk(
            recipients=recipients, verb="community.survey_send", title=title,
            body=body, url=url, dedupe_key=f"survey:{pk}:sent"))
    return survey


def survey_answer_url(survey_id: int) -> str:
    from django.urls import reverse

    return reverse("community:survey_answer", args=[survey_id])


def survey_close(*, actor, survey_id, system: bool = False) -> Survey:
    """Open → closed (no more answers). ``system=True``: the closing task (no actor).
    Conflict when it is not open."""
    perm_require(actor, "community.manage_surveys", system=system)
    with transaction.atomic():
        survey = _locked_survey(survey_id)
        if survey.state != Survey.State.OPEN:
            raise Conflict(_("Only an open survey can be closed."), code="not_open")
        survey.close()
        survey.closed_at = clock.now()
        survey.save()
        activity_record(target=survey, actor=actor, verb="community.survey_close",
                        from_state=Survey.State.OPEN, to_state=survey.state,
                        data={"automatic": system})
    return survey


def survey_close_due() -> int:
    """Close every open survey whose ``closes_at`` has passed (the periodic task). A re-run
    or an overlapping run closes nothing twice. Returns how many were closed."""
    closed = 0
    due = Survey.objects.filter(state=Survey.State.OPEN, closes_at__lte=clock.now())
    for pk in due.values_list("pk", flat=True):
        try:
            survey_close(actor=None, survey_id=pk, system=True)
        except Conflict:
            continue  # closed by hand or by another run meanwhile
        closed += 1
    return closed


# --- questions ------------------------------------------------------------------------------
def _question_checked(*, kind, text, options, scale_min, scale_max, scale_min_label,
                      scale_max_label) -> dict:
    """The clean fields of a question, or DomainError with field errors."""
    errors: dict[str, list[str]] = {}
    if kind not in SurveyQuestion.Kind.values:
        errors["kind"] = [_("Choose the kind of question.")]
    text = text_checked(text, field="text", limit=QUESTION_MAX, errors=errors,
                        required=_("Write the question."))
    clean = {"kind": kind, "text": text, "options": [], "scale_min": 1, "scale_max": 5,
             "scale_min_label": "", "scale_max_label": ""}
    if kind in (SurveyQuestion.Kind.SINGLE, SurveyQuestion.Kind.MULTIPLE):
        clean["options"] = _options_checked(options, errors)
    elif kind == SurveyQuestion.Kind.SCALE:
        low, high = _int_or_none(scale_min), _int_or_none(scale_max)
        if low is None or not SCALE_LOWEST <= low <= SCALE_HIGHEST:
            errors["scale_min"] = [_("Start the scale at a whole number from %(low)s to "
                                     "%(high)s.") % {"low": SCALE_LOWEST,
                                                      "high": SCALE_HIGHEST}]
        elif high is not None and high <= low:
            errors["scale_max"] = [_("The highest value must be greater than the lowest.")]
        elif high is None or not POINTS_MIN <= high - low + 1 <= POINTS_MAX:
            errors["scale_max"] = [_("A scale has %(low)s to %(high)s points: end it between "
                                     "%(first)s and %(last)s.") % {
                "low": POINTS_MIN, "high": POINTS_MAX, "first": low + POINTS_MIN - 1,
                "last": low + POINTS_MAX - 1}]
        else:
            clean["scale_min"], clean["scale_max"] = low, high
        clean["scale_min_label"] = text_checked(scale_min_label, field="scale_min_label",
                                                limit=LABEL_MAX, errors=errors)
        clean["scale_max_label"] = text_checked(scale_max_label, field="scale_max_label",
                                                limit=LABEL_MAX, errors=errors)
    raise_field_errors(errors)
    return clean


def _int_or_none(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip()
    if text.lstrip("-").isascii() and text.lstrip("-").isdigit() and len(text) < 6:
        return int(text)
    return None


def _options_checked(options: Sequence[str] | None, errors: dict) -> list[str]:
    """Options in order: 2–20, each 1–100 characters, no two the same."""
    rows = [str(o).strip() for o in (options or [])]
    problems: list[str] = []
    seen: set[str] = set()
    for number, option in enumerate(rows, start=1):
        if not option:
            problems.append(_("Option %(number)s is empty; remove the blank line.") % {
                "number": number})
        elif len(option) > OPTION_MAX:
            problems.append(_("Option %(number)s is longer than %(count)s characters.") % {
                "number": number, "count": OPTION_MAX})
        elif option.casefold() in seen:
            problems.append(_("“%(option)s” is listed twice.") % {"option": option})
        seen.add(option.casefold())
    if not problems and not OPTIONS_MIN <= len(rows) <= OPTIONS_MAX:
        problems.append(_("Give %(low)s to %(high)s options, one per line.") % {
            "low": OPTIONS_MIN, "high": OPTIONS_MAX})
    if problems:
        errors["options"] = problems
    return rows


def question_add(*, actor, survey_id, kind: str, text: str, required: bool = True,
                 options: Sequence[str] | None = None, scale_min=1, scale_max=5,
                 scale_min_label: str = "", scale_max_label: str = "") -> SurveyQuestion:
    """Add a question at the end of a draft. ``options``: single and multiple choice (2–20,
    no blanks or duplicates); ``scale_min``/``scale_max``: a scale of 2–10 whole points
    starting at 0–10, with optional end labels. Conflict once the survey is sent."""
    perm_require(actor, "community.manage_surveys")
    clean = _question_checked(kind=kind, text=text, options=options, scale_min=scale_min,
                              scale_max=scale_max, scale_min_label=scale_min_label,
                              scale_max_label=scale_max_label)
    with transaction.atomic():
        survey = _locked_survey(survey_id)
        _draft(survey)
        last = survey.questions.aggregate(last=Max("position"))["last"] or 0
        if survey.questions.count() >= QUESTIONS_MAX:
            raise DomainError(_("A survey has at most %(count)s questions.") % {
                "count": QUESTIONS_MAX}, code="too_many")
        question = SurveyQuestion.objects.create(survey=survey, position=last + 1,
                                                 required=bool(required), **clean)
        activity_record(target=survey, actor=actor, verb="community.survey_question_add",
                        data={"question_id": question.pk})
    return question


def _locked_question(survey: Survey, question_id) -> SurveyQuestion:
    pk = id_or_none(question_id)
    question = (survey.questions.select_for_update().filter(pk=pk).first() if pk else None)
    if question is None:
        raise DomainError(_("This question does not exist."), code="not_found")
    return question


def question_update(*, actor, survey_id, question_id, kind: str, text: str,
                    required: bool = True, options: Sequence[str] | None = None,
                    scale_min=1, scale_max=5, scale_min_label: str = "",
                    scale_max_label: str = "") -> SurveyQuestion:
    """Change a question of a draft (same rules as :func:`question_add`)."""
    perm_require(actor, "community.manage_surveys")
    clean = _question_checked(kind=kind, text=text, options=options, scale_min=scale_min,
                              scale_max=scale_max, scale_min_label=scale_min_label,
                              scale_max_label=scale_max_label)
    with transaction.atomic():
        survey = _locked_survey(survey_id)
        _draft(survey)
        question = _locked_question(survey, question_id)
        for name, value in clean.items():
            setattr(question, name, value)
        question.required = bool(required)
        question.save()
        activity_record(target=survey, actor=actor, verb="community.survey_question_update",
                        data={"question_id": question.pk})
    return question


def question_delete(*, actor, survey_id, question_id) -> None:
    """Remove a question of a draft; the ones after it move up."""
    perm_require(actor, "community.manage_surveys")
    with transaction.atomic():
        survey = _locked_survey(survey_id)
        _draft(survey)
        question = _locked_question(survey, question_id)
        position = question.position
        question.delete()
        survey.questions.filter(position__gt=position).update(position=F("position") - 1)
        activity_record(target=survey, actor=actor, verb="community.survey_question_delete",
                        data={"question_id": question_id})


def question_move(*, actor, survey_id, question_id, direction: str) -> SurveyQuestion:
    """Swap a draft's question with the one before (``direction="up"``) or after
    (``"down"``); at the top or bottom nothing changes."""
    perm_require(actor, "community.manage_surveys")
    if direction not in ("up", "down"):
        raise DomainError(_("Move a question up or down."), code="invalid")
    with transaction.atomic():
        survey = _locked_survey(survey_id)
        _draft(survey)
        question = _locked_question(survey, question_id)
        others = survey.questions.select_for_update().exclude(pk=question.pk)
        neighbour = (others.filter(position__lt=question.position).order_by("-position")
                     if direction == "up" else
                     others.filter(position__gt=question.position).order_by("position")).first()
        if neighbour is None:
            return question
        question.position, neighbour.position = neighbour.position, question.position
        SurveyQuestion.objects.bulk_update([question, neighbour], ["position"])
        activity_record(target=survey, actor=actor, verb="community.survey_question_move",
                        data={"question_id": question.pk, "direction": direction})
    return question


# --- answering ------------------------------------------------------------------------------
def _answer_checked(question: SurveyQuestion, raw, errors: dict) -> SurveyAnswer | None:
    """One question's answer from ``raw`` (see :func:`survey_answer`), or None when left
    blank; a problem goes into ``errors`` at ``q<id>``."""
    field = answer_field(question.pk)
    kind = question.kind
    if kind == SurveyQuestion.Kind.MULTIPLE:
        values = raw if isinstance(raw, (list, tuple)) else ([] if raw in (None, "") else [raw])
        values = [v for v in values if str(v).strip() != ""]
    else:
        values = [] if raw is None or str(raw).strip() == "" else [raw]
    if not values:
        if question.required:
            errors[field] = [_("Answer this question.")]
        return None
    if kind in (SurveyQuestion.Kind.SINGLE, SurveyQuestion.Kind.MULTIPLE):
        indexes = [_int_or_none(v) for v in values]
        if any(i is None or not 0 <= i < len(question.options) for i in indexes) or (
                kind == SurveyQuestion.Kind.SINGLE and len(indexes) != 1):
            errors[field] = [_("Choose one of the options.") if kind == SurveyQuestion.Kind.SINGLE
                             else _("Choose among the options.")]
            return None
        # sorted and without repeats, so that equal choices group together in the results
        return SurveyAnswer(question=question, choices=sorted(set(indexes)))
    if kind == SurveyQuestion.Kind.SCALE:
        number = _int_or_none(values[0])
        if number is None or not question.scale_min <= number <= question.scale_max:
            errors[field] = [_("Choose a value from %(low)s to %(high)s.") % {
                "low": question.scale_min, "high": question.scale_max}]
            return None
        return SurveyAnswer(question=question, number=number)
    text = without_control_characters(str(values[0])).strip()
    if not text:
        if question.required:
            errors[field] = [_("Answer this question.")]
        return None
    if len(text) > ANSWER_TEXT_MAX:
        errors[field] = [_("At most %(count)s characters.") % {"count": ANSWER_TEXT_MAX}]
        return None
    return SurveyAnswer(question=question, text=text)


def survey_in_audience(survey: Survey, user) -> bool:
    """True when ``user`` (active, a person) is in ``survey``'s audience now; False too when
    the audience is no longer complete (its college or class was closed since it was
    sent)."""
    try:
        return survey_recipients(survey).filter(pk=user.pk).exists()
    except DomainError:
        return False


def msg_closed() -> str:
    return _("This survey is closed; it takes no more answers.")


def survey_answer_refusal(survey: Survey, user) -> str:
    """Why ``user`` may not answer ``survey`` now ("" when they may): not open, closed by
    time, answered already, not in the audience. Translated."""
    if survey.state == Survey.State.DRAFT:
        return _("This survey has not been sent yet.")
    if survey.state == Survey.State.CLOSED or (
            survey.closes_at is not None and survey.closes_at <= clock.now()):
        return msg_closed()
    if SurveyParticipation.objects.filter(survey=survey, user=user).exists():
        return msg_already_answered()
    if not survey_in_audience(survey, user):
        return _("This survey was not sent to you.")
    return ""


def survey_answer(*, actor, survey_id, answers: Mapping) -> SurveyResponse:
    """Record ``actor``'s answers to an open survey, once.

    ``answers`` maps question ids (int or text) to the raw answer: single choice, an option
    index; multiple choice, a list of option indexes; scale, a whole number in the scale;
    text, the text. Questions left out count as blank; ids of other surveys are ignored.

    Refused with :class:`DomainError`: a required question blank or an answer not allowed
    (field errors at ``q<question id>``, every question at once); the survey not open or past
    its closing time; ``actor`` not in the audience; already answered (code
    ``already_answered``, "You have already answered this survey."). A second submit at the
    same moment (double tap, second tab) is stopped by the unique participation and gets the
    same refusal; nothing of it is written. An answer whose survey was closed meanwhile (by
    hand or by the task, between the check and the write) is refused with :class:`Conflict`
    and rolled back: the count is raised only on a survey still taking answers, and on
    PostgreSQL that update waits for a close in progress and checks again.
    """
    perm_require(actor, "community.answer_surveys")
    with transaction.atomic():
        survey = Survey.objects.filter(pk=id_or_none(survey_id) or 0).first()
        if survey is None:
            raise DomainError(_("This survey does not exist."), code="not_found")
        refusal = survey_answer_refusal(survey, actor)
        if refusal:
            code = ("already_answered" if refusal == msg_already_answered() else "refused")
            raise DomainError(refusal, code=code)
        given = {str(key): value for key, value in (answers or {}).items()}
        errors: dict[str, list[str]] = {}
        rows = []
        for question in survey.questions.all():
            answer = _answer_checked(question, given.get(str(question.pk)), errors)
            if answer is not None:
                rows.append(answer)
        raise_field_errors(errors)
        try:
            with transaction.atomic():
                SurveyParticipation.objects.create(survey=survey, user=actor)
        except IntegrityError:
            raise DomainError(msg_already_answered(), code="already_answered") from None
        counted = (Survey.objects.filter(taking_answers_q(), pk=survey.pk)
                   .update(response_count=F("response_count") + 1))
        if not counted:
            raise Conflict(msg_closed(), code="closed")
        if survey.is_anonymous:
            response = SurveyResponse.objects.create(survey=survey)
        else:
            response = SurveyResponse.objects.create(
                survey=survey, respondent=actor, submitted_at=clock.now(),
                submitted_on=clock.local_today())
        for row in rows:
            row.response = response
        SurveyAnswer.objects.bulk_create(rows)
    return response
