"""Pages of the quizzes area (题库与测验).

Everyone: "my quizzes" (assigned by audience: open, upcoming, closed, my best score), a quiz's
start page, the attempt page on a phone (every question on one page, answers sent on
submit) and the result page (score and how many right; once the quiz has closed also my
answer, the right answer and the explanation of each question).
Office: question banks (list, detail by type, add/edit/deactivate questions, import from
JSON/Excel by a field mapping with a preview), quizzes (list, new). Results (office,
leadership, counsellors for their colleges): per college / class, hardest questions and an
Excel export. Views are thin (house rule 5)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core import clock
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.forms import apply_domain_error, id_or_none
from safecampus.core.pagination import paginate
from safecampus.core.spreadsheets import (
    XLSX_CONTENT_TYPE,
    ImportRejected,
    content_disposition,
    write_xlsx,
)
from safecampus.core.views import require_perm

from ..forms.quizzes import (
    BankForm,
    QuestionFileForm,
    QuestionForm,
    QuestionMappingForm,
    QuizForm,
    ResultsFilterForm,
    answers_from_post,
    default_quiz_times,
)
from ..models import Question
from ..selectors import quizzes as selectors
from ..services import question_import as importing
from ..services import quizzes as services

MANAGE = "education.manage_quizzes"
RESULTS = "education.view_quiz_results"
QUESTIONS_PER_PAGE = 25
QUIZZES_PER_PAGE = 25
UPLOADS_KEY = "education_question_uploads"


def _bank_or_404(pk: int):
    bank = selectors.bank_get(pk)
    if bank is None:
        raise Http404(_("Question bank not found"))
    return bank


def _quiz_or_404(pk: int):
    quiz = selectors.quiz_get(pk)
    if quiz is None:
        raise Http404(_("Quiz not found"))
    return quiz


# --- my quizzes and taking them ------------------------------------------------------------
@login_required
def quiz_mine(request):
    """My quizzes: open (with attempts left or not), upcoming, closed with my best score."""
    require_perm(request, services.TAKE)
    return render(request, "education/quizzes/mine.html", {
        "sections": selectors.my_quiz_sections(request.user),
        "can_manage": request.user.has_perm(MANAGE),
    })


@login_required
def quiz_take(request, pk: int):
    """A quiz's start page: what it is, the rules, my attempts; start or continue."""
    require_perm(request, services.TAKE)
    quiz = selectors.my_quizzes(request.user).filter(pk=pk).first()
    if quiz is None:
        raise Http404(_("Quiz not found"))
    attempts = list(quiz.attempts.filter(user=request.user).order_by("number"))
    return render(request, "education/quizzes/take.html", {
        "quiz": quiz, "state": selectors.quiz_state(quiz), "attempts": attempts,
        "attempts_left": max(quiz.max_attempts - len(attempts), 0),
    })


@login_required
@require_POST
def quiz_start(request, pk: int):
    try:
        attempt = services.attempt_start(actor=request.user, quiz_id=pk)
    except NotAllowed as error:
        messages.error(request, error.message)
        return redirect("education:quiz_mine")
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("education:quiz_take", pk=pk)
    return redirect("education:quiz_attempt", pk=attempt.pk)


@login_required
def quiz_attempt(request, pk: int):
    """The attempt: every question on one page (in progress) or the result (submitted).
    POST submits; a refused submit shows why, with the answers as they were ticked. A submit
    leaving questions unanswered is shown again (answers kept) asking to confirm: only a
    POST with ``confirm_unanswered=1`` submits it so (the API submits directly). Once the
    attempt's time is up nothing is asked (a second round trip would miss the grace)."""
    attempt = selectors.attempt_get(pk)
    if attempt is None or attempt.user_id != request.user.pk:
        raise Http404(_("Attempt not found"))
    error = None
    unanswered = 0
    chosen: dict[str, list[str]] = {}
    if request.method == "POST":
        chosen = answers_from_post(request.POST, attempt.question_order)
        unanswered = sum(1 for qid in attempt.question_order if str(qid) not in chosen)
        if (attempt.submitted_at is not None or request.POST.get("confirm_unanswered") == "1"
                or clock.now() >= services.attempt_deadline(attempt)):
            unanswered = 0  # confirmed, or no time left to ask: submit (or say why not)
        if not unanswered:
            try:
                attempt = services.attempt_submit(actor=request.user, attempt_id=attempt.pk,
                                                  answers=chosen)
            except DomainError as refused:
                error = refused
            else:
                return redirect("education:quiz_attempt", pk=attempt.pk)
    if attempt.submitted_at is not None:
        reveal = selectors.attempt_reveals(attempt)
        return render(request, "education/quizzes/result.html", {
            "attempt": attempt, "quiz": attempt.quiz, "reveal": reveal,
            "total": len(attempt.question_order),
            "review": selectors.attempt_review(attempt) if reveal else []})
    questions = selectors.quiz_questions(attempt.quiz, attempt.question_order)
    return render(request, "education/quizzes/attempt.html", {
        "attempt": attempt, "quiz": attempt.quiz, "error": error,
        "questions": [(n, q, [(i, "ABCDEFGH"[i], text, str(i) in chosen.get(str(q.pk), []))
                              for i, text in enumerate(q.option_labels)])
                      for n, q in enumerate(questions, start=1)],
        "deadline": services.attempt_deadline(attempt), "now": clock.now(),
        "unanswered": unanswered,
    }, status=400 if error else 200)


# --- banks and questions (office) ----------------------------------------------------------
@login_required
def bank_list(request):
    require_perm(request, MANAGE)
    form = BankForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bank = services.bank_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Question bank “%(name)s” created. Add questions or "
                                        "import a file.") % {"name": bank.name})
            return redirect("education:quiz_bank", pk=bank.pk)
    return render(request, "education/quizzes/banks.html", {
        "banks": selectors.banks_all(), "form": form,
    }, status=400 if form.errors else 200)


@login_required
def bank_detail(request, pk: int):
    """A bank's questions by number, filtered by type and active or not, paginated."""
    require_perm(request, MANAGE)
    bank = _bank_or_404(pk)
    kind = request.GET.get("kind", "")
    kind = kind if kind in Question.Kind.values else ""
    show = request.GET.get("show", "active")
    active = {"active": True, "inactive": False}.get(show)
    query = "&".join(f"{k}={v}" for k, v in (("kind", kind), ("show", show)) if v)
    return render(request, "education/quizzes/bank.html", {
        "bank": bank, "kind": kind, "show": show, "kinds": Question.Kind.choices,
        "page": paginate(request, selectors.bank_questions(bank, kind=kind, active=active),
                         per_page=QUESTIONS_PER_PAGE),
        "query": query, "letters": importing.LETTERS,
    })


@login_required
def question_new(request, pk: int):
    require_perm(request, MANAGE)
    bank = _bank_or_404(pk)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            question = services.question_add(actor=request.user, bank_id=bank.pk,
                                             **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Question %(number)s added.")
                             % {"number": question.number})
            return redirect("education:quiz_bank", pk=bank.pk)
    return render(request, "education/quizzes/question_form.html",
                  {"bank": bank, "form": form, "question": None},
                  status=400 if form.errors else 200)


@login_required
def question_edit(request, pk: int):
    require_perm(request, MANAGE)
    question = Question.objects.select_related("bank").filter(pk=pk).first()
    if question is None:
        raise Http404(_("Question not found"))
    form = QuestionForm(request.POST or None, initial=QuestionForm.initial_of(question))
    if request.method == "POST" and form.is_valid():
        try:
            services.question_update(actor=request.user, question_id=question.pk,
                                     **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Question %(number)s saved.")
                             % {"number": question.number})
            return redirect("education:quiz_bank", pk=question.bank_id)
    return render(request, "education/quizzes/question_form.html",
                  {"bank": question.bank, "form": form, "question": question},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def question_active(request, pk: int):
    """Deactivate (``active=0``) or reactivate (``active=1``) a question."""
    require_perm(request, MANAGE)
    active = request.POST.get("active") == "1"
    try:
        service = services.question_activate if active else services.question_deactivate
        question = service(actor=request.user, question_id=pk)
    except DomainError as error:
        raise Http404(error.message) from None
    messages.success(request, (_("Question %(number)s is active again.") if active
                               else _("Question %(number)s deactivated: new quizzes leave it "
                                      "out.")) % {"number": question.number})
    return redirect("education:quiz_bank", pk=question.bank_id)


# --- import -----------------------------------------------------------------------------------
@login_required
def bank_import(request, pk: int):
    """Step 1: upload a JSON or Excel question file."""
    require_perm(request, MANAGE)
    bank = _bank_or_404(pk)
    form = QuestionFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = importing.question_import_upload(actor=request.user, bank_id=bank.pk,
                                                      uploaded_file=form.cleaned_data["file"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            token = upload.path.rsplit("/", 1)[-1].split(".")[0]
            uploads = request.session.get(UPLOADS_KEY, {})
            uploads = dict(list(uploads.items())[-9:])  # keep the last few
            uploads[token] = upload.as_json()
            request.session[UPLOADS_KEY] = uploads
            return redirect("education:quiz_bank_import_map", pk=bank.pk, token=token)
    return render(request, "education/quizzes/import_upload.html", {"bank": bank, "form": form},
                  status=400 if form.errors else 200)


@login_required
def bank_import_map(request, pk: int, token: str):
    """Steps 2 and 3: map the file's fields to ours, see the first questions as read (and
    every problem), import when none fails."""
    require_perm(request, MANAGE)
    bank = _bank_or_404(pk)
    data = request.session.get(UPLOADS_KEY, {}).get(token)
    if data is None or data.get("bank_id") != bank.pk:
        raise Http404(_("Upload not found"))
    upload = importing.QuestionUpload.from_json(data)
    try:
        table = importing.question_upload_table(upload)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("education:quiz_bank_import", pk=bank.pk)
    plan = importing.QuestionImportPlan.from_json(data.get("plan")) if data.get("plan") \
        else importing.suggest_plan(table)
    form = QuestionMappingForm(request.POST or None, table=table, plan=plan)
    rejected = None
    if request.method == "POST" and form.is_valid():
        plan = form.to_plan()
        data["plan"] = plan.as_json()
        request.session[UPLOADS_KEY] = {**request.session.get(UPLOADS_KEY, {}), token: data}
        if "import" in request.POST:
            try:
                count = importing.question_import_commit(actor=request.user, upload=upload,
                                                         plan=plan, table=table)
            except ImportRejected as error:
                rejected = error
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                uploads = request.session.get(UPLOADS_KEY, {})
                uploads.pop(token, None)
                request.session[UPLOADS_KEY] = uploads
                messages.success(request, _("%(count)s questions imported into “%(bank)s”.")
                                 % {"count": count, "bank": bank.name})
                return redirect("education:quiz_bank", pk=bank.pk)
        else:
            form = QuestionMappingForm(table=table, plan=plan)
    check = importing.questions_validate(table, plan,
                                         taken_numbers=importing.bank_numbers(bank.pk))
    return render(request, "education/quizzes/import_map.html", {
        "bank": bank, "upload": upload, "form": form, "table": table, "check": check,
        "rejected": rejected, "errors": (rejected.errors if rejected else check.errors)[:100],
        "error_total": rejected.error_total if rejected else check.error_total,
        "letters": importing.LETTERS, "kinds": dict(Question.Kind.choices),
    }, status=400 if (rejected or form.errors) else 200)


# --- quizzes (office) --------------------------------------------------------------------------
@login_required
def quiz_manage(request):
    """Every quiz, newest first, with its groups; links to results and to a new quiz."""
    require_perm(request, MANAGE)
    return render(request, "education/quizzes/manage.html", {
        "page": paginate(request, selectors.quizzes_all(), per_page=QUIZZES_PER_PAGE),
        "now": clock.now(),
    })


@login_required
def quiz_new(request):
    require_perm(request, MANAGE)
    initial = {**default_quiz_times(clock.now()), "pass_mark": 60, "max_attempts": 1,
               "shuffle": True, "bank": id_or_none(request.GET.get("bank"))}
    form = QuizForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            quiz = services.quiz_create(actor=request.user, **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Quiz “%(title)s” set with %(count)s questions.")
                             % {"title": quiz.title, "count": quiz.questions.count()})
            return redirect("education:quiz_results", pk=quiz.pk)
    return render(request, "education/quizzes/quiz_form.html", {"form": form},
                  status=400 if form.errors else 200)


# --- results --------------------------------------------------------------------------------
def _results_scope(request, quiz):
    require_perm(request, RESULTS)
    colleges = selectors.results_colleges(request.user)
    form = ResultsFilterForm(request.GET or None,
                             colleges=selectors.result_colleges_choices(colleges))
    college_id = form.cleaned_data.get("college") if form.is_valid() else None
    if colleges is not None and len(colleges) == 1 and college_id is None:
        college_id = next(iter(colleges))
    return colleges, form, college_id


@login_required
def quiz_results(request, pk: int):
    """Assigned, attempted, passed, pass rate and average per college (per class within one
    college) and the hardest questions. Counsellors see their colleges only."""
    quiz = _quiz_or_404(pk)
    colleges, form, college_id = _results_scope(request, quiz)
    from safecampus.notifications.audiences import audience_label

    return render(request, "education/quizzes/results.html", {
        "quiz": quiz, "form": form, "college_id": college_id,
        "results": selectors.quiz_results(quiz, colleges=colleges, college_id=college_id),
        "groups": [audience_label(row) for row in quiz.assignments.all()],
        "state": selectors.quiz_state(quiz), "letters": importing.LETTERS,
        "can_manage": request.user.has_perm(MANAGE),
    })


@login_required
def quiz_results_export(request, pk: int):
    """Everyone assigned (in the viewer's colleges) with attempts, best score and passed."""
    quiz = _quiz_or_404(pk)
    colleges, _form, college_id = _results_scope(request, quiz)
    headers = [_("College or unit"), _("Class"), _("Username"), _("Name"), _("Attempts"),
               _("Best score (%)"), _("Passed"), _("Last submitted")]

    def rows():
        for person in selectors.results_people(quiz, colleges=colleges,
                                               college_id=college_id).iterator(chunk_size=500):
            aff = getattr(person, "affiliation", None)
            yield [str(aff.college) if aff and aff.college else "",
                   str(aff.class_group) if aff and aff.class_group else "",
                   person.username, person.get_full_name(), person.n_attempts,
                   float(person.best) if person.best is not None else None,
                   _("yes") if person.passed_any else _("no"), person.last_submitted]

    body = write_xlsx(headers, rows(), text_columns=(2,), sheet_title=_("Results"))
    response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(
        _("%(quiz)s – results.xlsx") % {"quiz": quiz.title}, fallback=f"quiz-{quiz.pk}.xlsx")
    return response


urls = [
    path("quizzes/", quiz_mine, name="quiz_mine"),
    path("quizzes/<int:pk>/", quiz_take, name="quiz_take"),
    path("quizzes/<int:pk>/start/", quiz_start, name="quiz_start"),
    path("quizzes/attempts/<int:pk>/", quiz_attempt, name="quiz_attempt"),
    path("quizzes/manage/", quiz_manage, name="quiz_manage"),
    path("quizzes/new/", quiz_new, name="quiz_new"),
    path("quizzes/<int:pk>/results/", quiz_results, name="quiz_results"),
    path("quizzes/<int:pk>/results.xlsx", quiz_results_export, name="quiz_results_export"),
    path("quizzes/banks/", bank_list, name="quiz_banks"),
    path("quizzes/banks/<int:pk>/", bank_detail, name="quiz_bank"),
    path("quizzes/banks/<int:pk>/questions/new/", question_new, name="quiz_question_new"),
    path("quizzes/banks/<int:pk>/import/", bank_import, name="quiz_bank_import"),
    path("quizzes/banks/<int:pk>/import/<slug:token>/", bank_import_map,
         name="quiz_bank_import_map"),
    path("quizzes/questions/<int:pk>/edit/", question_edit, name="quiz_question_edit"),
    path("quizzes/questions/<int:pk>/active/", question_active, name="quiz_question_active"),
]
