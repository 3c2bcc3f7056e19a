"""Surveys (问卷调研), reads: the office's list, a person's own surveys, results (counted in
SQL, a constant number of queries whatever the number of answers) and the export rows.

Anonymous surveys: nothing here returns a person with an anonymous survey's answers; their
text answers are listed in the order of their random ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from safecampus.accounts.models import Affiliation, AudienceKind
from safecampus.core import charts, clock
from safecampus.core.errors import DomainError
from safecampus.core.forms import id_or_none
from safecampus.notifications.audiences import audience_label, audience_of, audience_users

from ..models import Survey, SurveyAnswer, SurveyParticipation, SurveyQuestion, SurveyResponse

#: The kinds of question as the survey pages name them (单选题 / 多选题 / 量表题 / 填空题).
KIND_LABELS = {
    SurveyQuestion.Kind.SINGLE: pgettext_lazy("survey question", "Single choice"),
    SurveyQuestion.Kind.MULTIPLE: pgettext_lazy("survey question", "Multiple choice"),
    SurveyQuestion.Kind.SCALE: pgettext_lazy("survey question", "Scale"),
    SurveyQuestion.Kind.TEXT: pgettext_lazy("survey question", "Text"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


#: Text answers shown under a question on the results page (the rest on its own pages).
TEXT_PREVIEW = 3
_RELATED = ("audience_campus", "audience_unit", "audience_class", "created_by")


def survey_get(pk) -> Survey | None:
    """One survey with its audience's rows, or None (junk ids too)."""
    pk = id_or_none(pk)
    return Survey.objects.select_related(*_RELATED).filter(pk=pk).first() if pk else None


def survey_questions(survey: Survey) -> list[SurveyQuestion]:
    return list(survey.questions.order_by("position", "id"))


def surveys_managed(*, state: str = "") -> QuerySet:
    """Every survey for the office's list, newest first, with its number of questions."""
    rows = (Survey.objects.select_related(*_RELATED)
            .annotate(question_total=Count("questions")).order_by("-created_at", "-id"))
    if state in Survey.State.values:
        rows = rows.filter(state=state)
    return rows


def audience_includes_q(user) -> Q:
    """The filter on :class:`Survey` for the audiences ``user`` belongs to: the inverse of
    :func:`safecampus.notifications.audiences.audience_q` (everyone; their campus, also the
    campus of their class; their college, optionally their year group of it; their year
    group, optionally on their campus; their class)."""
    everyone = Q(audience_kind=AudienceKind.EVERYONE)
    a = Affiliation.objects.filter(user=user).select_related("class_group").first()
    if a is None:
        return everyone
    q = everyone
    campuses = {pk for pk in (a.campus_id, a.class_group.campus_id if a.class_group else None)
                if pk}
    if campuses:
        q |= Q(audience_kind=AudienceKind.CAMPUS, audience_campus_id__in=campuses)
    if a.college_id:
        year = Q(audience_year__isnull=True)
        if a.enrolment_year:
            year |= Q(audience_year=a.enrolment_year)
        q |= Q(audience_kind=AudienceKind.COLLEGE, audience_unit_id=a.college_id) & year
    if a.enrolment_year:
        campus = Q(audience_campus__isnull=True)
        if a.campus_id:
            campus |= Q(audience_campus_id=a.campus_id)
        q |= Q(audience_kind=AudienceKind.YEAR, audience_year=a.enrolment_year) & campus
    if a.class_group_id:
        q |= Q(audience_kind=AudienceKind.CLASS, audience_class_id=a.class_group_id)
    return q


def _answered(user):
    return Exists(SurveyParticipation.objects.filter(survey=OuterRef("pk"), user=user))


def taking_answers_q() -> Q:
    """The filter on :class:`Survey` for the surveys taking answers now: open, before their
    closing time."""
    return Q(state=Survey.State.OPEN) & (Q(closes_at__isnull=True)
                                         | Q(closes_at__gt=clock.now()))


def _audience_closed_q() -> Q:
    """Surveys whose college or class was closed after sending: they reach nobody now
    (:func:`audience_users` refuses the audience), so they wait for nobody's answer."""
    return (Q(audience_kind=AudienceKind.COLLEGE, audience_unit__is_active=False)
            | Q(audience_kind=AudienceKind.CLASS, audience_class__is_active=False))


def survey_recipients(survey: Survey) -> QuerySet:
    """The people ``survey``'s audience reaches now: its active users, not the service
    accounts of Open311 clients. Raises DomainError when the audience is no longer complete
    (its college or class was closed since)."""
    return audience_users(**audience_of(survey)).filter(open311_client__isnull=True)


def _waiting_for(user) -> Q:
    return taking_answers_q() & audience_includes_q(user) & ~_audience_closed_q()


def surveys_for(user) -> QuerySet:
    """"我的问卷": surveys taking answers whose audience includes ``user``, and every sent
    survey they answered; each with ``answered``. Waiting ones first, then newest sent."""
    mine = SurveyParticipation.objects.filter(user=user).values("survey_id")
    return (Survey.objects.filter(_waiting_for(user)
                                  | Q(pk__in=mine, state__in=(Survey.State.OPEN,
                                                              Survey.State.CLOSED)))
            .annotate(answered=_answered(user))
            .order_by("answered", "-sent_at", "-id"))


def surveys_waiting(user) -> QuerySet:
    """Surveys taking answers, sent to ``user`` and not answered yet; the soonest closing
    first."""
    return (Survey.objects.filter(_waiting_for(user))
            .exclude(_answered(user))
            .order_by(F("closes_at").asc(nulls_last=True), "-sent_at", "-id"))


def surveys_open() -> QuerySet:
    """Open surveys with their response figures (the office's hub card)."""
    return Survey.objects.filter(state=Survey.State.OPEN).order_by("-sent_at", "-id")


def response_rate(survey: Survey) -> int | None:
    """Responses per recipient in whole percent, or None before it was sent to anyone."""
    if not survey.recipient_count:
        return None
    return round(100 * survey.response_count / survey.recipient_count)


# --- results --------------------------------------------------------------------------------
@dataclass
class OptionResult:
    label: str
    count: int
    share: float  # percent of the people who answered the question


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answered: int = 0
    options: list[OptionResult] = field(default_factory=list)
    mean: float | None = None
    texts: list[SurveyAnswer] = field(default_factory=list)
    chart: dict | None = None

    @property
    def chart_id(self) -> str:
        return f"survey-chart-{self.question.pk}"


def _share(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def scale_labels(question: SurveyQuestion) -> list[str]:
    """The points of a scale, the ends with their labels ("1 很不满意" … "5 很满意")."""
    labels = []
    for value in range(question.scale_min, question.scale_max + 1):
        end = (question.scale_min_label if value == question.scale_min else
               question.scale_max_label if value == question.scale_max else "")
        labels.append(f"{value} {end}".strip())
    return labels


def text_answers(survey: Survey, question: SurveyQuestion) -> QuerySet:
    """A text question's answers: anonymous surveys in the order of their random ids and
    without anyone's name; named ones with the respondent, oldest first."""
    rows = SurveyAnswer.objects.filter(question=question).exclude(text="")
    if survey.is_anonymous:
        return rows.order_by("id")
    return rows.select_related("response__respondent").order_by("response__submitted_at",
                                                                 "id")


def survey_results(survey: Survey) -> list[QuestionResult]:
    """Per question: how many answered; option counts (multiple choice: share of the people
    who answered it), the scale's distribution and mean, the first text answers. Four
    queries whatever the number of answers."""
    questions = survey_questions(survey)
    results = {q.pk: QuestionResult(question=q) for q in questions}
    groups = (SurveyAnswer.objects.filter(question__survey=survey)
              .exclude(question__kind=SurveyQuestion.Kind.TEXT)
              .values_list("question_id", "choices", "number")
              .annotate(n=Count("id")).order_by())
    tallies: dict[int, dict[int, int]] = {}
    for question_id, choices, number, n in groups:
        result = results[question_id]
        result.answered += n
        tally = tallies.setdefault(question_id, {})
        keys = choices if result.question.kind != SurveyQuestion.Kind.SCALE else [number]
        for key in keys or []:
            tally[key] = tally.get(key, 0) + n
    texts = (SurveyAnswer.objects.filter(question__survey=survey,
                                         question__kind=SurveyQuestion.Kind.TEXT)
             .exclude(text="").values_list("question_id").annotate(n=Count("id")).order_by())
    for question_id, n in texts:
        results[question_id].answered = n
    preview = (SurveyAnswer.objects.filter(question__survey=survey,
                                           question__kind=SurveyQuestion.Kind.TEXT)
               .exclude(text=""))
    order = (F("id").asc(),) if survey.is_anonymous else (
        F("response__submitted_at").asc(), F("id").asc())
    preview = preview.annotate(rank=Window(RowNumber(), partition_by=[F("question_id")],
                                           order_by=order)).filter(rank__lte=TEXT_PREVIEW)
    if not survey.is_anonymous:
        preview = preview.select_related("response__respondent")
    for answer in preview.order_by("question_id", "rank"):
        results[answer.question_id].texts.append(answer)

    for question in questions:
        result = results[question.pk]
        tally = tallies.get(question.pk, {})
        kind = question.kind
        if kind in (SurveyQuestion.Kind.SINGLE, SurveyQuestion.Kind.MULTIPLE):
            result.options = [OptionResult(label, tally.get(i, 0),
                                           _share(tally.get(i, 0), result.answered))
                              for i, label in enumerate(question.options)]
            labels = [o.label for o in result.options]
            if kind == SurveyQuestion.Kind.SINGLE:
                result.chart = charts.bars(labels, [o.count for o in result.options],
                                           _("Answers"))
            else:
                result.chart = charts.bars(labels, [o.share for o in result.options],
                                           _("Share of respondents (%)"))
        elif kind == SurveyQuestion.Kind.SCALE:
            labels = scale_labels(question)
            points = range(question.scale_min, question.scale_max + 1)
            result.options = [OptionResult(label, tally.get(v, 0),
                                            _share(tally.get(v, 0), result.answered))
                              for label, v in zip(labels, points, strict=True)]
            total = sum(v * tally.get(v, 0) for v in points)
            result.mean = round(total / result.answered, 2) if result.answered else None
            result.chart = charts.columns([str(v) for v in points],
                                          [tally.get(v, 0) for v in points], _("Answers"),
                                          every_label=True)
    return [results[q.pk] for q in questions]


# --- export ---------------------------------------------------------------------------------
def answer_cell(question: SurveyQuestion, answer: SurveyAnswer | None):
    """What one answer reads as in the export: option texts (several joined by "；"), the
    scale value or the text; None when blank."""
    if answer is None:
        return None
    if question.kind in (SurveyQuestion.Kind.SINGLE, SurveyQuestion.Kind.MULTIPLE):
        labels = [question.options[i] for i in answer.choices if 0 <= i < len(question.options)]
        return "；".join(labels) or None
    if question.kind == SurveyQuestion.Kind.SCALE:
        return answer.number
    return answer.text or None


def export_responses(survey: Survey, questions: list[SurveyQuestion]):
    """One row per response: anonymous ``[n, answers…]`` in random-id order (no date: none is
    kept);
    named ``[n, name, staff or student number, answered at, answers…]`` oldest first.
    Streams in chunks (answers prefetched per chunk)."""
    rows = SurveyResponse.objects.filter(survey=survey).prefetch_related("answers")
    if survey.is_anonymous:
        rows = rows.order_by("id")
    else:
        rows = rows.select_related("respondent").order_by("submitted_at", "id")
    for number, response in enumerate(rows.iterator(chunk_size=500), start=1):
        by_question = {a.question_id: a for a in response.answers.all()}
        answers = [answer_cell(q, by_question.get(q.pk)) for q in questions]
        if survey.is_anonymous:
            yield [number, *answers]
        else:
            person = response.respondent
            yield [number, person.full_name or person.username if person else "",
                   person.employee_number if person else "", response.submitted_on, *answers]


def survey_summary_facts(survey: Survey) -> list[list]:
    """The top of the summary sheet: the survey's figures, one ``[name, value]`` a row."""
    return [
        [_("Survey"), survey.title],
        [_("Anonymous"), _("Yes") if survey.is_anonymous else _("No")],
        [_("Audience"), audience_label(survey)],
        [_("Recipients"), survey.recipient_count],
        [_("Responses"), survey.response_count],
        [_("Response rate (%)"), response_rate(survey)],
        [_("Sent at"), survey.sent_at],
        [_("Closes at"), survey.closes_at],
    ]


def survey_summary_rows(survey: Survey, results: list[QuestionResult]) -> list[list]:
    """The summary sheet's table under its figures: per question its options or points with
    counts and shares, the mean of a scale, the number of text answers."""
    rows: list[list] = []
    for number, result in enumerate(results, start=1):
        question = result.question
        rows.append([_("Q%(number)s. %(question)s") % {"number": number,
                                                        "question": question.text},
                     kind_label(question.kind), pgettext("survey", "Answered"),
                     result.answered])
        for option in result.options:
            rows.append([None, option.label, option.count, option.share])
        if result.mean is not None:
            rows.append([None, _("Mean"), result.mean, None])
    return rows


def audience_reach(survey: Survey) -> tuple[int | None, str]:
    """``(people the survey's audience reaches now, "")``, or ``(None, message)`` when the
    audience is incomplete (e.g. its college was closed since)."""
    try:
        return survey_recipients(survey).count(), ""
    except DomainError as error:
        return None, error.message
