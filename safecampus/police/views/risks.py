"""Pages of the risk register: the register (filters, search, Excel export 风险点清单), the
register form (create, edit), a point's page (level, measures, assessment history, open
review requests, timeline, actions) and the assessment form. Views are thin (house rule 5):
parse, one service or selector call, render; a point the user may not see is a 404."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from safecampus.core import clock
from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.idempotency import clean_key
from safecampus.core.pagination import paginate
from safecampus.core.spreadsheets import content_disposition, write_xlsx
from safecampus.core.views import require_perm
from safecampus.organisation.models import RiskLevel

from .. import grading
from ..forms.risks import (
    AssessForm,
    MeasureForm,
    ReasonForm,
    ReviewRequestForm,
    RiskFilterForm,
    RiskPointForm,
)
from ..models import ControlMeasure, RiskPoint
from ..selectors import risks as selectors
from ..services import risk_reviews as review_services
from ..services import risks as services

PER_PAGE = 30
#: Rows of one Excel export at most (the whole register of a university is far below).
EXPORT_MAX = 20_000


def _point_or_404(request, pk: int, perm: str = "police.view_risk_point") -> RiskPoint:
    point = selectors.risk_point_detail(pk)
    if point is None or not request.user.has_perm("police.view_risk_point", point):
        raise Http404(_("Risk point not found"))
    require_perm(request, perm, point)
    return point


@login_required
def risk_list(request):
    require_perm(request, "police.view_risk_register")
    filters = RiskFilterForm(request.GET or None)
    page = paginate(request, selectors.risk_point_list(request.user, **filters.filters()),
                    per_page=PER_PAGE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "police/risks/list.html", {
        "page": page, "filters": filters, "query": query.urlencode(),
        "today": clock.local_today(),
        "can_manage": request.user.has_perm("police.manage_risk_points")})


@login_required
def risk_export(request):
    """The register as filtered, one row per point with its measures in force (风险点清单)."""
    require_perm(request, "police.view_risk_register")
    filters = RiskFilterForm(request.GET or None)
    rows = selectors.risk_point_list(request.user, **filters.filters()).prefetch_related(
        Prefetch("measures", queryset=ControlMeasure.objects.filter(is_active=True)
                 .select_related("responsible_unit", "responsible_person")))[:EXPORT_MAX]
    contacts = request.user.has_perm("police.view_contacts")
    headers = [_("Code"), _("Risk point name"), _("Kind"), _("Campus"), _("Location"),
               _("Hazard factors"), _("Possible accidents"), _("Risk level"), _("Score"),
               _("Method"), _("Control tier"), _("Control measures"), _("Responsible unit"),
               _("Responsible person")]
    if contacts:
        headers.append(_("Mobile phone"))
    headers += [_("Next review due"), _("State")]

    def lines():
        for p in rows:
            where = " ".join(str(x) for x in (p.building, p.place and p.place.name,
                                             p.location_text) if x)
            measures = "\n".join(
                f"{i}. [{m.get_kind_display()}·{m.get_tier_display()}] {m.description} "
                f"({m.responsible_unit.name}"
                f"{' ' + m.responsible_person.full_name if m.responsible_person else ''})"
                for i, m in enumerate(p.measures.all(), 1))
            person = p.responsible_person
            line = [p.code, p.name, p.get_kind_display(), p.campus.name, where,
                    p.hazard_factors, p.possible_accidents, p.get_level_display(),
                    p.score, p.get_method_display(), p.get_control_tier_display(), measures,
                    p.responsible_unit.name if p.responsible_unit else "",
                    person.full_name if person else ""]
            if contacts:
                line.append(person.phone if person else "")
            line += [p.next_review_on.isoformat() if p.next_review_on else "",
                     p.get_state_display()]
            yield line

    data = write_xlsx(headers, lines(), text_columns=[0] + ([14] if contacts else []),
                      sheet_title=_("Risk points"))
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = _("Risk point register %(date)s.xlsx") % {"date": clock.local_today().isoformat()}
    response["Content-Disposition"] = content_disposition(name, fallback="risk-points.xlsx")
    return response


@login_required
def risk_create(request):
    require_perm(request, "police.manage_risk_points")
    form = RiskPointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            point = services.risk_point_register(
                actor=request.user, data=form.service_data(),
                idempotency_key=form.cleaned_data["idempotency_key"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Risk point %(code)s registered as a draft: assess it "
                                        "and add its control measures.") % {"code": point.code})
            return redirect(point)
    return render(request, "police/risks/form.html", {"form": form},
                  status=400 if form.errors else 200)


@login_required
def risk_edit(request, pk: int):
    point = _point_or_404(request, pk, "police.manage_risk_points")
    form = RiskPointForm(request.POST or None, initial=RiskPointForm.initial_of(point))
    if request.method == "POST" and form.is_valid():
        try:
            services.risk_point_update(actor=request.user, risk_point_id=point.pk,
                                       changes=form.service_data())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Risk point saved."))
            return redirect(point)
    return render(request, "police/risks/form.html", {"form": form, "point": point},
                  status=400 if form.errors else 200)


@login_required
def risk_detail(request, pk: int):
    point = _point_or_404(request, pk)
    user = request.user
    current = point.state != RiskPoint.State.RETIRED
    measures = selectors.risk_point_measures(point)
    required_tier = grading.TIER_BY_LEVEL.get(point.level)
    today = clock.local_today()
    return render(request, "police/risks/detail.html", {
        "point": point, "measures": measures,
        "assessments": selectors.risk_point_assessments(point),
        "reviews": selectors.risk_point_open_reviews(point),
        "timeline": selectors.risk_point_timeline(point),
        "today": today,
        "review_overdue": point.state == RiskPoint.State.PUBLISHED and point.next_review_on
        is not None and point.next_review_on < today,
        "review_due_today": point.state == RiskPoint.State.PUBLISHED
        and point.next_review_on == today,
        "required_tier": required_tier,
        "tier_missing": current and selectors.risk_point_tier_missing(point, measures),
        "can_manage": user.has_perm("police.manage_risk_points", point),
        "can_assess": current and user.has_perm("police.assess_risk_point", point),
        "can_publish": point.state == RiskPoint.State.DRAFT
        and user.has_perm("police.manage_risk_points", point),
        "can_retire": point.state == RiskPoint.State.PUBLISHED
        and user.has_perm("police.manage_risk_points", point),
        # A draft has no level yet: there is nothing to review until it is published.
        "can_request": point.state == RiskPoint.State.PUBLISHED
        and user.has_perm("police.request_risk_review"),
        "show_contacts": user.has_perm("police.view_contacts"),
        "measure_form": MeasureForm(initial={
            "tier": required_tier or "", "responsible_unit": point.responsible_unit_id or ""}),
        "reason_form": ReasonForm(), "review_form": ReviewRequestForm()})


@login_required
def risk_assess(request, pk: int):
    point = _point_or_404(request, pk, "police.assess_risk_point")
    form = AssessForm(request.POST or None, initial={
        "reason": "periodic" if point.level else "initial"})
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.risk_point_assess(actor=request.user, risk_point_id=point.pk,
                                                    **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Assessed: %(level)s (score %(score)s).") % {
                "level": assessment.get_level_display(), "score": assessment.score})
            return redirect(point)
    tables = grading.tables()
    return render(request, "police/risks/assess.html", {
        "form": form, "point": point, "tables": tables,
        "lec_bands": json.dumps(tables["lec_bands"]),
        "matrix_bands": json.dumps(tables["matrix_bands"]),
        "level_names": json.dumps({k: str(v) for k, v in RiskLevel.choices},
                                  ensure_ascii=False)},
        status=400 if form.errors else 200)


@login_required
def measure_add(request, pk: int):
    point = _point_or_404(request, pk, "police.assess_risk_point")
    form = MeasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.control_measure_add(actor=request.user, risk_point_id=point.pk,
                                         idempotency_key=form.cleaned_data["idempotency_key"],
                                         **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Control measure added."))
            return redirect(point)
    return render(request, "police/risks/measure.html", {"form": form, "point": point},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def measure_withdraw(request, pk: int, measure_pk: int):
    point = _point_or_404(request, pk, "police.assess_risk_point")
    if not point.measures.filter(pk=measure_pk).exists():
        raise Http404(_("Control measure not found"))
    try:
        services.control_measure_withdraw(actor=request.user, measure_id=measure_pk,
                                          reason=request.POST.get("reason", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, pgettext("control measure", "Control measure withdrawn."))
    return redirect(point)


@login_required
@require_POST
def risk_publish(request, pk: int):
    point = _point_or_404(request, pk, "police.manage_risk_points")
    try:
        services.risk_point_publish(actor=request.user, risk_point_id=point.pk)
    except DomainError as error:
        for message in error.field_errors.get("__all__") or [error.message]:
            messages.error(request, message)
    else:
        messages.success(request, _("Risk point published."))
    return redirect(point)


@login_required
@require_POST
def risk_retire(request, pk: int):
    point = _point_or_404(request, pk, "police.manage_risk_points")
    form = ReasonForm(request.POST)
    try:
        services.risk_point_retire(actor=request.user, risk_point_id=point.pk,
                                   reason=form.data.get("reason", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Risk point retired."))
    return redirect(point)


@login_required
@require_POST
def risk_review_request(request, pk: int):
    point = _point_or_404(request, pk, "police.request_risk_review")
    try:
        review_services.risk_review_request(
            actor=request.user, risk_point_id=point.pk, reason=request.POST.get("reason", ""),
            idempotency_key=clean_key(request.POST.get("idempotency_key")))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Review requested: the next assessment resolves it."))
    return redirect(point)


urls = [
    path("risks/", risk_list, name="risk_list"),
    path("risks/export/", risk_export, name="risk_export"),
    path("risks/new/", risk_create, name="risk_create"),
    path("risks/<int:pk>/", risk_detail, name="risk_detail"),
    path("risks/<int:pk>/edit/", risk_edit, name="risk_edit"),
    path("risks/<int:pk>/assess/", risk_assess, name="risk_assess"),
    path("risks/<int:pk>/measures/new/", measure_add, name="risk_measure_add"),
    path("risks/<int:pk>/measures/<int:measure_pk>/withdraw/", measure_withdraw,
         name="risk_measure_withdraw"),
    path("risks/<int:pk>/publish/", risk_publish, name="risk_publish"),
    path("risks/<int:pk>/retire/", risk_retire, name="risk_retire"),
    path("risks/<int:pk>/review/", risk_review_request, name="risk_review_request"),
]
