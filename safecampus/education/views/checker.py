"""Pages of the checker area.

* ``checker/`` (everyone, also signed out): paste a message and see its risk level, the
  fraud types it matches, the red flags highlighted in the text and what to do. POST only
  (the text never goes into a URL or a log); limited per IP address per minute; the
  answer is not cached. "Report it" (signed-in readers) POSTs the text to the fraud report
  form as a prefill only when the reader presses it, so it never goes into a URL; signed
  out, a sign-in link to the report form is shown instead and the text is not carried.
* ``checker/rules/…`` (office): rule-set versions, their rules, evaluation, trying a
  message on a version, publishing. Views are thin: one selector or service call each.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.core.views import require_perm

from ..forms.checker import CheckForm, EvaluateForm, NewVersionForm, RuleForm, ThresholdsForm
from ..selectors import checker as selectors
from ..services import checker as services

RULES_PER_PAGE = 50


def client_address(request) -> str:
    """The address checks are counted by (the proxy in front sets REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR", "") or "-"


@never_cache
def checker(request):
    """The checker page; POST checks the pasted text (not stored, not logged)."""
    require_perm(request, "education.check_message")
    form = CheckForm(request.POST or None)
    outcome, limited, status = None, False, 200
    if request.method == "POST":
        if services.checker_rate_take(client=client_address(request)):
            outcome = selectors.message_check(form.pasted())
        else:
            limited, status = True, 429
    return render(request, "education/checker/check.html", {
        "form": form, "outcome": outcome, "limited": limited,
        "max_chars": settings.SAFECAMPUS["CHECKER_MAX_CHARS"],
        "report_text": (form.pasted()[:outcome.max_chars]
                        if outcome and outcome.result and request.user.is_authenticated else ""),
        "can_manage": request.user.has_perm("education.manage_checker_rules")}, status=status)


# --- rule sets (office) ---------------------------------------------------------------------
def _ruleset_or_404(pk):
    ruleset = selectors.ruleset_detail(pk)
    if ruleset is None:
        raise Http404(_("Rule set not found"))
    return ruleset


@login_required
def rulesets(request):
    """All versions with their state and evaluation figures; "new version from live"."""
    require_perm(request, "education.manage_checker_rules")
    form = NewVersionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ruleset = services.checker_ruleset_create(
                actor=request.user, note=form.cleaned_data["note"],
                source_id=form.cleaned_data.get("source"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Version %(version)s was made as a draft.")
                             % {"version": ruleset.version})
            return redirect("education:checker_ruleset", ruleset.pk)
    page = paginate(request, selectors.rulesets_list(), per_page=30)
    return render(request, "education/checker/rulesets.html", {
        "page": page, "form": form, "max_fp_rate": services.max_fp_rate(),
        "min_ordinary": services.min_ordinary()})


def _detail(request, ruleset, *, status=200, **extra):
    type_code = request.GET.get("type", "")[:32]
    q = request.GET.get("q", "").strip()[:100]
    rules = paginate(request, selectors.ruleset_rules(ruleset, fraud_type=type_code, q=q),
                     per_page=RULES_PER_PAGE)
    context = {
        "ruleset": ruleset, "rules": rules, "type_code": type_code, "q": q,
        "types": selectors.fraud_type_codes(),
        "query": urlencode({k: v for k, v in (("type", type_code), ("q", q)) if v}),
        "editable": ruleset.state in ("draft", "evaluated"),
        "thresholds_form": ThresholdsForm(initial={
            "note": ruleset.note, "medium_threshold": ruleset.medium_threshold,
            "high_threshold": ruleset.high_threshold}),
        "evaluate_form": EvaluateForm(),
        "try_form": CheckForm(),
        "new_form": NewVersionForm(initial={"source": ruleset.pk}),
        "can_publish": request.user.has_perm("education.publish_checker_rules"),
        "max_fp_rate": services.max_fp_rate(), "min_ordinary": services.min_ordinary(),
        "timeline": selectors.ruleset_timeline(ruleset),
        **extra}
    return render(request, "education/checker/ruleset.html", context, status=status)


@login_required
def ruleset_detail(request, pk: int):
    require_perm(request, "education.manage_checker_rules")
    return _detail(request, _ruleset_or_404(pk))


@login_required
@require_POST
def ruleset_thresholds(request, pk: int):
    require_perm(request, "education.manage_checker_rules")
    ruleset = _ruleset_or_404(pk)
    form = ThresholdsForm(request.POST)
    if form.is_valid():
        try:
            services.checker_ruleset_thresholds_set(
                actor=request.user, ruleset_id=ruleset.pk,
                medium=form.cleaned_data["medium_threshold"],
                high=form.cleaned_data["high_threshold"], note=form.cleaned_data["note"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Thresholds saved."))
            return redirect("education:checker_ruleset", ruleset.pk)
    return _detail(request, ruleset, thresholds_form=form, status=400)


@login_required
@require_POST
def ruleset_evaluate(request, pk: int):
    require_perm(request, "education.manage_checker_rules")
    ruleset = _ruleset_or_404(pk)
    form = EvaluateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            ruleset = services.checker_ruleset_evaluate(
                actor=request.user, ruleset_id=ruleset.pk, **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Version %(version)s was evaluated.")
                             % {"version": ruleset.version})
            return redirect("education:checker_ruleset", ruleset.pk)
    return _detail(request, _ruleset_or_404(pk), evaluate_form=form, status=400)


@login_required
@require_POST
def ruleset_publish(request, pk: int):
    require_perm(request, "education.publish_checker_rules")
    ruleset = _ruleset_or_404(pk)
    try:
        ruleset = services.checker_ruleset_publish(actor=request.user, ruleset_id=ruleset.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Version %(version)s is live.")
                         % {"version": ruleset.version})
    return redirect("education:checker_ruleset", ruleset.pk)


@login_required
@require_POST
def ruleset_try(request, pk: int):
    """Check a message against this version as it is now (nothing stored)."""
    require_perm(request, "education.manage_checker_rules")
    ruleset = _ruleset_or_404(pk)
    form = CheckForm(request.POST)
    try:
        outcome = selectors.ruleset_try(ruleset, form.pasted())
    except ValueError as error:  # a rule that cannot be compiled
        form.add_error(None, str(error))
        outcome = None
    return _detail(request, ruleset, try_form=form, try_outcome=outcome)


@login_required
def rule_add(request, pk: int):
    require_perm(request, "education.manage_checker_rules")
    ruleset = _ruleset_or_404(pk)
    form = RuleForm(request.POST or None, type_choices=selectors.fraud_type_choices())
    if request.method == "POST" and form.is_valid():
        try:
            services.checker_rule_add(actor=request.user, ruleset_id=ruleset.pk,
                                      **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Rule added."))
            return redirect("education:checker_ruleset", ruleset.pk)
    return render(request, "education/checker/rule_form.html",
                  {"form": form, "ruleset": ruleset, "rule": None},
                  status=400 if form.is_bound else 200)


def _rule_or_404(pk):
    rule = selectors.rule_detail(pk)
    if rule is None:
        raise Http404(_("Rule not found"))
    return rule


@login_required
def rule_edit(request, pk: int):
    require_perm(request, "education.manage_checker_rules")
    rule = _rule_or_404(pk)
    form = RuleForm(request.POST or None, initial=RuleForm.initial_for(rule),
                    type_choices=selectors.fraud_type_choices())
    if request.method == "POST" and form.is_valid():
        try:
            services.checker_rule_edit(actor=request.user, rule_id=rule.pk,
                                       **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Rule saved."))
            return redirect("education:checker_ruleset", rule.ruleset_id)
    return render(request, "education/checker/rule_form.html",
                  {"form": form, "ruleset": rule.ruleset, "rule": rule},
                  status=400 if form.is_bound else 200)


@login_required
@require_POST
def rule_active(request, pk: int):
    require_perm(request, "education.manage_checker_rules")
    rule = _rule_or_404(pk)
    try:
        services.checker_rule_set_active(actor=request.user, rule_id=rule.pk,
                                         active=request.POST.get("active") == "1")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(reverse("education:checker_ruleset", args=[rule.ruleset_id])
                    + f"#rule-{rule.pk}")


@login_required
@require_POST
def rule_delete(request, pk: int):
    require_perm(request, "education.manage_checker_rules")
    rule = _rule_or_404(pk)
    try:
        services.checker_rule_delete(actor=request.user, rule_id=rule.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Rule deleted."))
    return redirect("education:checker_ruleset", rule.ruleset_id)


urls = [
    path("checker/", checker, name="checker"),
    path("checker/rules/", rulesets, name="checker_rulesets"),
    path("checker/rules/<int:pk>/", ruleset_detail, name="checker_ruleset"),
    path("checker/rules/<int:pk>/thresholds/", ruleset_thresholds,
         name="checker_ruleset_thresholds"),
    path("checker/rules/<int:pk>/evaluate/", ruleset_evaluate, name="checker_ruleset_evaluate"),
    path("checker/rules/<int:pk>/publish/", ruleset_publish, name="checker_ruleset_publish"),
    path("checker/rules/<int:pk>/try/", ruleset_try, name="checker_ruleset_try"),
    path("checker/rules/<int:pk>/add/", rule_add, name="checker_rule_add"),
    path("checker/rules/rule/<int:pk>/", rule_edit, name="checker_rule_edit"),
    path("checker/rules/rule/<int:pk>/active/", rule_active, name="checker_rule_active"),
    path("checker/rules/rule/<int:pk>/delete/", rule_delete, name="checker_rule_delete"),
]
