"""Community voice pages: surveys (问卷调研).

The office lists, drafts, edits, previews, sends and closes surveys and writes their
questions on the draft's page; people answer the surveys sent to them ("我的问卷"); the
office and leadership read the results (charts, text answers, Excel). Views are thin: one
service or selector call each (house rule 5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error, id_or_none
from safecampus.core.pagination import paginate
from safecampus.core.spreadsheets import XLSX_CONTENT_TYPE, content_disposition
from safecampus.core.views import require_perm

from ..forms import surveys as forms
from ..models import Survey, SurveyQuestion
from ..selectors import surveys as selectors
from ..services import surveys as services
from .surveys_export import survey_workbook

PER_PAGE = 30
TEXT_PER_PAGE = 50


def _survey_or_404(pk) -> Survey:
    survey = selectors.survey_get(pk)
    if survey is None:
        raise Http404(_("Survey not found"))
    return survey


# --- the office -----------------------------------------------------------------------------
@login_required
def survey_manage_list(request):
    """Every survey: state, audience, responses / recipients, closing time."""
    require_perm(request, "community.manage_surveys")
    state = request.GET.get("state") or ""
    page = paginate(request, selectors.surveys_managed(state=state), per_page=PER_PAGE)
    return render(request, "community/surveys/manage_list.html", {
        "page": page, "state": state, "states": Survey.State.choices,
        "query": f"state={state}" if state in Survey.State.values else ""})


@login_required
def survey_create(request):
    """Draft a survey (a double tap drafts one); its questions come next, on its page."""
    require_perm(request, "community.manage_surveys")
    form = forms.SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(actor=request.user, **form.service_kwargs(),
                                            idempotency_key=form.cleaned_data.get(
                                                "idempotency_key"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Draft saved. Now add the questions."))
            return redirect("community:survey_detail", pk=survey.pk)
    return render(request, "community/surveys/form.html", {"form": form, "survey": None})


@login_required
def survey_edit(request, pk: int):
    """Change a draft's settings."""
    require_perm(request, "community.manage_surveys")
    survey = _survey_or_404(pk)
    if survey.state != Survey.State.DRAFT:
        messages.error(request, services.msg_not_draft())
        return redirect("community:survey_detail", pk=survey.pk)
    form = forms.SurveyForm(request.POST or None, initial=forms.SurveyForm.initial_of(survey))
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(actor=request.user, survey_id=survey.pk,
                                   **form.service_kwargs())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Survey saved."))
            return redirect("community:survey_detail", pk=survey.pk)
    return render(request, "community/surveys/form.html", {"form": form, "survey": survey})


@login_required
def survey_detail(request, pk: int):
    """The office's page of one survey (settings, questions and their editor while a draft,
    send / close, figures); anyone else goes to the answer page."""
    survey = _survey_or_404(pk)
    if not request.user.has_perm("community.manage_surveys"):
        return redirect("community:survey_answer", pk=survey.pk)
    return _detail(request, survey)


def _detail(request, survey, *, question_form=None, send_errors=None):
    return render(request, "community/surveys/detail.html", {
        "survey": survey, "questions": selectors.survey_questions(survey),
        "question_form": question_form or forms.QuestionForm(),
        "send_errors": send_errors or [], "rate": selectors.response_rate(survey),
        "reach": selectors.audience_reach(survey) if survey.state == Survey.State.DRAFT
        else None})


@login_required
@require_POST
def question_add(request, pk: int):
    require_perm(request, "community.manage_surveys")
    survey = _survey_or_404(pk)
    form = forms.QuestionForm(request.POST)
    if form.is_valid():
        try:
            services.question_add(actor=request.user, survey_id=survey.pk,
                                  **form.service_kwargs())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Question added."))
            return redirect(f"{survey.get_absolute_url()}#questions")
    return _detail(request, survey, question_form=form)


def _question_or_404(survey, question_id) -> SurveyQuestion:
    question = survey.questions.filter(pk=id_or_none(question_id) or 0).first()
    if question is None:
        raise Http404(_("Question not found"))
    return question


@login_required
def question_edit(request, pk: int, question_id: int):
    require_perm(request, "community.manage_surveys")
    survey = _survey_or_404(pk)
    question = _question_or_404(survey, question_id)
    form = forms.QuestionForm(request.POST or None,
                              initial=forms.QuestionForm.initial_of(question))
    if request.method == "POST" and form.is_valid():
        try:
            services.question_update(actor=request.user, survey_id=survey.pk,
                                     question_id=question.pk, **form.service_kwargs())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Question saved."))
            return redirect(f"{survey.get_absolute_url()}#questions")
    return render(request, "community/surveys/question_form.html", {
        "survey": survey, "question": question, "form": form})


@login_required
@require_POST
def question_delete(request, pk: int, question_id: int):
    require_perm(request, "community.manage_surveys")
    survey = _survey_or_404(pk)
    try:
        services.question_delete(actor=request.user, survey_id=survey.pk,
                                 question_id=question_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Question deleted."))
    return redirect(f"{survey.get_absolute_url()}#questions")


@login_required
@require_POST
def question_move(request, pk: int, question_id: int):
    require_perm(request, "community.manage_surveys")
    survey = _survey_or_404(pk)
    try:
        services.question_move(actor=request.user, survey_id=survey.pk,
                               question_id=question_id,
                               direction=request.POST.get("direction", ""))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(f"{survey.get_absolute_url()}#questions")


@login_required
@require_POST
def survey_send(request, pk: int):
    require_perm(request, "community.manage_surveys")
    survey = _survey_or_404(pk)
    try:
        survey = services.survey_send(actor=request.user, survey_id=survey.pk)
    except DomainError as error:
        errors = [m for ms in error.field_errors.values() for m in ms] or [error.message]
        return _detail(request, survey, send_errors=errors)
    messages.success(request, _("Survey sent to %(count)s people.") % {
        "count": survey.recipient_count})
    return redirect("community:survey_detail", pk=survey.pk)


@login_required
@require_POST
def survey_close(request, pk: int):
    require_perm(request, "community.manage_surveys")
    survey = _survey_or_404(pk)
    try:
        services.survey_close(actor=request.user, survey_id=survey.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Survey closed: it takes no more answers."))
    return redirect("community:survey_detail", pk=survey.pk)


@login_required
def survey_preview(request, pk: int):
    """The answer page as a respondent sees it; nothing can be submitted."""
    require_perm(request, "community.manage_surveys")
    survey = _survey_or_404(pk)
    return render(request, "community/surveys/answer.html", {
        "survey": survey, "preview": True, "refusal": "", "errors": {},
        "items": _answer_items(selectors.survey_questions(survey), {}, {})})


def _answer_items(questions, values: dict, errors: dict) -> list[dict]:
    """What the answer page draws per question: its field name, its options or scale points
    (``value``, ``label``, ``chosen`` from the answers given), the text given, its errors."""
    items = []
    for q in questions:
        name = services.answer_field(q.pk)
        given = values.get(q.pk)
        chosen = {str(v) for v in (given if isinstance(given, list) else [given])
                  if v not in (None, "")}
        if q.kind == SurveyQuestion.Kind.SCALE:
            options = [{"value": v, "label": str(v), "chosen": str(v) in chosen}
                       for v in range(q.scale_min, q.scale_max + 1)]
        else:
            options = [{"value": i, "label": label, "chosen": str(i) in chosen}
                       for i, label in enumerate(q.options)]
        items.append({"q": q, "field": name, "options": options,
                      "text": given if isinstance(given, str) else "",
                      "errors": errors.get(name, [])})
    return items


# --- respondents ----------------------------------------------------------------------------
@login_required
def survey_mine(request):
    """"我的问卷": the surveys waiting for my answer, then the ones I answered."""
    require_perm(request, "community.answer_surveys")
    page = paginate(request, selectors.surveys_for(request.user), per_page=PER_PAGE)
    return render(request, "community/surveys/mine.html", {"page": page})


@login_required
def survey_answer(request, pk: int):
    """Answer a survey sent to me, once. Errors are shown at their question; a refusal
    (not sent to me, closed, answered already) replaces the form."""
    require_perm(request, "community.answer_surveys")
    survey = _survey_or_404(pk)
    questions = selectors.survey_questions(survey)
    values, errors = {}, {}
    if request.method == "POST":
        answers = forms.answers_from_post(questions, request.POST)
        try:
            services.survey_answer(actor=request.user, survey_id=survey.pk, answers=answers)
        except DomainError as error:
            if not error.field_errors:
                messages.error(request, error.message)
                return redirect("community:survey_answer", pk=survey.pk)
            values, errors = answers, error.field_errors
        else:
            messages.success(request, _("Thank you: your answers have been recorded."))
            return redirect("community:survey_mine")
    refusal = "" if request.method == "POST" else services.survey_answer_refusal(
        survey, request.user)
    if refusal and survey.state == Survey.State.DRAFT:
        raise Http404(_("Survey not found"))
    return render(request, "community/surveys/answer.html", {
        "survey": survey, "preview": False, "refusal": refusal, "errors": errors,
        "items": _answer_items(questions, values, errors)})


# --- results --------------------------------------------------------------------------------
def _sent_or_404(pk) -> Survey:
    survey = _survey_or_404(pk)
    if survey.state == Survey.State.DRAFT:
        raise Http404(_("This survey has not been sent yet."))
    return survey


@login_required
def survey_results(request, pk: int):
    """Response rate, then per question a chart of its counts, a scale's mean and the first
    text answers."""
    require_perm(request, "community.view_survey_results")
    survey = _sent_or_404(pk)
    results = selectors.survey_results(survey)
    return render(request, "community/surveys/results.html", {
        "survey": survey, "results": results, "rate": selectors.response_rate(survey),
        "charts": {r.chart_id: r.chart for r in results if r.chart}})


@login_required
def survey_text_answers(request, pk: int, question_id: int):
    """All the text answers to one question, a page at a time."""
    require_perm(request, "community.view_survey_results")
    survey = _sent_or_404(pk)
    question = _question_or_404(survey, question_id)
    if question.kind != SurveyQuestion.Kind.TEXT:
        raise Http404(_("Question not found"))
    page = paginate(request, selectors.text_answers(survey, question), per_page=TEXT_PER_PAGE)
    return render(request, "community/surveys/text_answers.html", {
        "survey": survey, "question": question, "page": page})


@login_required
def survey_export(request, pk: int):
    """Excel: a summary sheet and one row per response (names only when not anonymous)."""
    require_perm(request, "community.view_survey_results")
    survey = _sent_or_404(pk)
    data = survey_workbook(survey)
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(
        _("Survey %(title)s.xlsx") % {"title": survey.title[:60]},
        fallback=f"survey-{survey.pk}.xlsx")
    return response


urls = [
    path("surveys/", survey_mine, name="survey_mine"),
    path("surveys/manage/", survey_manage_list, name="survey_manage"),
    path("surveys/manage/new/", survey_create, name="survey_create"),
    path("surveys/<int:pk>/", survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/edit/", survey_edit, name="survey_edit"),
    path("surveys/<int:pk>/preview/", survey_preview, name="survey_preview"),
    path("surveys/<int:pk>/send/", survey_send, name="survey_send"),
    path("surveys/<int:pk>/close/", survey_close, name="survey_close"),
    path("surveys/<int:pk>/questions/add/", question_add, name="survey_question_add"),
    path("surveys/<int:pk>/questions/<int:question_id>/edit/", question_edit,
         name="survey_question_edit"),
    path("surveys/<int:pk>/questions/<int:question_id>/delete/", question_delete,
         name="survey_question_delete"),
    path("surveys/<int:pk>/questions/<int:question_id>/move/", question_move,
         name="survey_question_move"),
    path("surveys/<int:pk>/answer/", survey_answer, name="survey_answer"),
    path("surveys/<int:pk>/results/", survey_results, name="survey_results"),
    path("surveys/<int:pk>/results/questions/<int:question_id>/", survey_text_answers,
         name="survey_text_answers"),
    path("surveys/<int:pk>/results/export/", survey_export, name="survey_export"),
]
