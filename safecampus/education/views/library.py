"""Pages of the fraud case library: the types as cards, one type (tactics, red flags, advice,
its cases), one case, search; and the office's pages to keep types (create, edit, reorder,
deactivate) and anonymised cases (create, edit, publish, unpublish). The reading pages are
open to everyone, signed in or not (``view_fraud_library`` is always allowed, the checker's
result links here, and they show only types and anonymised published cases); the office's
pages need signing in and ``manage_fraud_library``. The fraud report and statistics pages live in
:mod:`.reports`; their routes are part of :data:`urls`. Views are thin: one selector or
service call each (house rule 5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.core.views import require_perm

from ..forms import library as forms
from ..selectors import library as selectors
from ..services import library as services
from . import reports

READ = "education.view_fraud_library"
MANAGE = "education.manage_fraud_library"
PER_PAGE = 20


def _lines(text: str) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


# --- reading (signed in or not) ------------------------------------------------------------------
def library_index(request):
    """The types as cards (name, family, summary, number of cases), the search box and the
    latest published cases."""
    require_perm(request, READ)
    return render(request, "education/library/index.html", {
        "types": selectors.fraud_types_for_readers(),
        "latest": selectors.published_cases()[:6],
        "search": forms.LibrarySearchForm(),
        "can_manage": request.user.has_perm(MANAGE),
        "can_report": request.user.has_perm("education.report_fraud")})


def fraud_type_page(request, code):
    """One type: summary, tactics, red flags and advice as lists, then its cases."""
    require_perm(request, READ)
    fraud_type = selectors.fraud_type_for(request.user, code)
    if fraud_type is None:
        raise Http404(_("Fraud type not found"))
    page = paginate(request, selectors.fraud_type_cases(request.user, fraud_type),
                    per_page=PER_PAGE)
    return render(request, "education/library/type.html", {
        "type": fraud_type, "page": page,
        "tactics": _lines(fraud_type.tactics), "red_flags": _lines(fraud_type.red_flags),
        "advice": _lines(fraud_type.advice),
        "can_manage": request.user.has_perm(MANAGE),
        "can_report": request.user.has_perm("education.report_fraud")})


def fraud_case_page(request, pk):
    """One case: what happened, the loss, the lesson, and its type's red flags."""
    require_perm(request, READ)
    case = selectors.fraud_case_for(request.user, pk)
    if case is None:
        raise Http404(_("Case not found"))
    can_manage = request.user.has_perm(MANAGE)
    return render(request, "education/library/case.html", {
        "case": case, "red_flags": _lines(case.fraud_type.red_flags),
        "advice": _lines(case.fraud_type.advice), "can_manage": can_manage,
        "timeline": selectors.fraud_case_timeline(case) if can_manage else [],
        "can_report": request.user.has_perm("education.report_fraud")})


def library_search(request):
    """Types and published cases matching ``?q=`` (titles, stories, lessons)."""
    require_perm(request, READ)
    form = forms.LibrarySearchForm(request.GET or None)
    q = form.query()
    types, cases = selectors.library_search(q)
    return render(request, "education/library/search.html", {
        "search": form, "q": q, "types": types,
        "page": paginate(request, cases, per_page=PER_PAGE),
        "query": urlencode({"q": q})})


# --- keeping the library (office) ---------------------------------------------------------------
@login_required
def library_manage(request):
    """The office's page: every type in order (move up/down, deactivate) and every case
    (drafts first) with filters."""
    require_perm(request, MANAGE)
    form = forms.CaseFilterForm(request.GET or None)
    filters = form.filters()
    base = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(request, "education/library/manage.html", {
        "types": selectors.fraud_types_all(), "form": form,
        "page": paginate(request, selectors.fraud_cases_all(**filters), per_page=PER_PAGE),
        "query": urlencode(base)})


def _type_form_page(request, form, fraud_type=None, status=200):
    return render(request, "education/library/type_form.html",
                  {"form": form, "type": fraud_type}, status=status)


@login_required
def fraud_type_create(request):
    require_perm(request, MANAGE)
    form = forms.FraudTypeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                fraud_type = services.fraud_type_create(actor=request.user, **form.cleaned_data)
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Fraud type “%(name)s” created.")
                                 % {"name": fraud_type.name})
                return redirect("education:fraud_type", code=fraud_type.code)
        return _type_form_page(request, form, status=400)
    return _type_form_page(request, form)


@login_required
def fraud_type_edit(request, pk):
    require_perm(request, MANAGE)
    fraud_type = selectors.fraud_types_all().filter(pk=pk).first()
    if fraud_type is None:
        raise Http404(_("Fraud type not found"))
    form = forms.FraudTypeForm.for_type(fraud_type, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                fraud_type = services.fraud_type_update(actor=request.user, type_id=pk,
                                                        **form.cleaned_data)
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Fraud type “%(name)s” saved.")
                                 % {"name": fraud_type.name})
                return redirect("education:fraud_type", code=fraud_type.code)
        return _type_form_page(request, form, fraud_type, status=400)
    return _type_form_page(request, form, fraud_type)


def _back_to_manage():
    return redirect(reverse("education:library_manage") + "#types")


@login_required
@require_POST
def fraud_type_move(request, pk):
    require_perm(request, MANAGE)
    try:
        services.fraud_type_move(actor=request.user, type_id=pk,
                                 direction=request.POST.get("direction", ""))
    except DomainError as error:
        messages.error(request, error.message)
    return _back_to_manage()


@login_required
@require_POST
def fraud_type_active(request, pk):
    require_perm(request, MANAGE)
    active = request.POST.get("active") == "1"
    try:
        fraud_type = services.fraud_type_set_active(actor=request.user, type_id=pk,
                                                    active=active)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, (_("“%(name)s” is active again.") if active else _(
            "“%(name)s” is deactivated: readers no longer see it.")) % {"name": fraud_type.name})
    return _back_to_manage()


def _case_form_page(request, form, case=None, status=200):
    return render(request, "education/library/case_form.html",
                  {"form": form, "case": case}, status=status)


@login_required
def fraud_case_create(request):
    require_perm(request, MANAGE)
    initial = {}
    type_id = request.GET.get("type")
    if type_id and type_id.isdigit():
        initial["fraud_type"] = type_id
    form = forms.FraudCaseForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                case = services.fraud_case_create(actor=request.user, **form.service_arguments())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Case saved as a draft. Publish it when it is "
                                            "ready."))
                return redirect("education:fraud_case", pk=case.pk)
        return _case_form_page(request, form, status=400)
    return _case_form_page(request, form)


@login_required
def fraud_case_edit(request, pk):
    require_perm(request, MANAGE)
    case = selectors.fraud_case_for(request.user, pk)
    if case is None:
        raise Http404(_("Case not found"))
    form = forms.FraudCaseForm.for_case(case, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.fraud_case_update(actor=request.user, case_id=case.pk,
                                           **form.service_arguments())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Case saved."))
                return redirect("education:fraud_case", pk=case.pk)
        return _case_form_page(request, form, case, status=400)
    return _case_form_page(request, form, case)


@login_required
@require_POST
def fraud_case_publish(request, pk):
    require_perm(request, MANAGE)
    publish = request.POST.get("publish") == "1"
    try:
        if publish:
            services.fraud_case_publish(actor=request.user, case_id=pk)
        else:
            services.fraud_case_unpublish(actor=request.user, case_id=pk,
                                          reason=request.POST.get("reason", ""))
    except DomainError as error:
        if error.code == "not_found":
            raise Http404(error.message) from error
        messages.error(request, error.message)
    else:
        messages.success(request, _("Case published.") if publish else _(
            "Case taken off the library."))
    return redirect("education:fraud_case", pk=pk)


urls = [
    path("library/", library_index, name="library"),
    path("library/search/", library_search, name="library_search"),
    path("library/types/<slug:code>/", fraud_type_page, name="fraud_type"),
    path("library/cases/<int:pk>/", fraud_case_page, name="fraud_case"),
    path("library/manage/", library_manage, name="library_manage"),
    path("library/manage/types/new/", fraud_type_create, name="fraud_type_create"),
    path("library/manage/types/<int:pk>/", fraud_type_edit, name="fraud_type_edit"),
    path("library/manage/types/<int:pk>/move/", fraud_type_move, name="fraud_type_move"),
    path("library/manage/types/<int:pk>/active/", fraud_type_active, name="fraud_type_active"),
    path("library/manage/cases/new/", fraud_case_create, name="fraud_case_create"),
    path("library/manage/cases/<int:pk>/", fraud_case_edit, name="fraud_case_edit"),
    path("library/manage/cases/<int:pk>/publish/", fraud_case_publish,
         name="fraud_case_publish"),
    *reports.urls,
]
