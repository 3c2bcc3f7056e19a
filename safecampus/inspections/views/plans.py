"""Plans and campaigns (检查计划 / 专项检查) and the coverage page of each.

Every figure on these pages is aggregated in SQL: a plan list shows per-plan coverage counts
from one grouped query for the whole page, and a coverage page costs the same few queries for
a 20-place schedule as for a 2,000-place campaign (pinned in ``tests/test_plans.py``).
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import NullIf
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core import clock
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.organisation.models import Place

from .. import services
from ..forms.plans import (
    AssignForm,
    PlacePreviewForm,
    PlanForm,
    TargetFilterForm,
    office_inspectors,
)
from ..models import Coverage, Inspection, InspectionPlan, PlanKind
from ..selectors import inspection_list_visible_to, plan_list_visible_to, target_list_visible_to

PLANS_PER_PAGE = 30
TARGETS_PER_PAGE = 50
PREVIEW_ROWS = 200
#: Order of the summary cards and of the stacked progress bar.
COVERAGE_ORDER = [Coverage.DONE, Coverage.IN_PROGRESS, Coverage.DUE, Coverage.LATE,
                  Coverage.NEVER]


def _require_view(request) -> None:
    if not request.user.has_perm("inspections.view_plans"):
        raise PermissionDenied


def _visible_plan(request, pk: int) -> InspectionPlan:
    _require_view(request)
    plan = (plan_list_visible_to(request.user).select_related("template", "campus")
            .filter(pk=pk).first())
    if plan is None:
        raise Http404(_("Plan not found"))
    return plan


def _coverage_counts() -> dict:
    """Aggregates counting targets by coverage (keys: the Coverage values) plus ``total``."""
    return {"total": Count("id"),
            **{c.value: Count("id", filter=Q(coverage=c)) for c in Coverage}}


# --- list ---------------------------------------------------------------------------------
@login_required
def plan_list(request):
    """Recurring schedules and campaigns, with coverage counts per plan (one grouped query)."""
    _require_view(request)
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", InspectionPlan.State.ACTIVE)
    plans = plan_list_visible_to(request.user).select_related("template")
    if kind in PlanKind.values:
        plans = plans.filter(kind=kind)
    if state in InspectionPlan.State.values:
        plans = plans.filter(state=state)
    page = paginate(request, plans.order_by("-starts_on", "-id"), per_page=PLANS_PER_PAGE)
    counts: dict[int, dict] = {}
    if page.object_list:
        rows = (target_list_visible_to(request.user)
                .filter(plan_id__in=[p.pk for p in page])
                .values("plan_id", "coverage").annotate(n=Count("id")).order_by())
        for row in rows:
            counts.setdefault(row["plan_id"], {})[row["coverage"]] = row["n"]
    for plan in page:
        by = counts.get(plan.pk, {})
        plan.total = sum(by.values())
        plan.bars = [{"key": c.value, "label": c.label, "count": by.get(c.value, 0)}
                     for c in COVERAGE_ORDER]
        plan.done = by.get(Coverage.DONE, 0)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "inspections/plan_list.html", {
        "page": page, "query": query.urlencode(), "kind": kind, "state": state,
        "kinds": PlanKind.choices, "states": InspectionPlan.State.choices,
        "can_manage": request.user.has_perm("inspections.manage_plans"),
    })


# --- new plan -----------------------------------------------------------------------------
def _matching_places(form):
    return Place.objects.filter(form.place_filter())


@login_required
def plan_new(request):
    """Create a recurring schedule or a campaign. Places are chosen by criteria ("all
    matching") or ticked from a preview; the view resolves them to ids for the service."""
    if not request.user.has_perm("inspections.manage_plans"):
        raise PermissionDenied
    if request.method == "GET" and request.GET.get("preview"):
        return _places_preview(request)
    form = PlanForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if data.get("all_matching"):
                place_ids = list(_matching_places(form).values_list("pk", flat=True))
            else:
                place_ids = data.get("places") or []
            try:
                plan = services.plan_create(actor=request.user, place_ids=place_ids,
                                            **form.service_arguments())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Plan \"%(name)s\" created for %(count)s places.")
                                 % {"name": plan.name, "count": len(place_ids)})
                return redirect("inspections:plan_detail", pk=plan.pk)
        status = 400
    return render(request, "inspections/plan_new.html", {"form": form}, status=status)


def _places_preview(request):
    """The htmx fragment under the place filters: how many places match, and the first ones
    with a box each (for a hand-picked plan)."""
    form = PlacePreviewForm(request.GET)
    if not form.is_valid():
        return render(request, "inspections/plan_places.html",
                      {"form": form, "count": 0, "rows": []}, status=400)
    matching = _matching_places(form)
    picked = set(form.cleaned_data.get("places") or [])
    rows = list(matching.select_related("campus", "building", "unit", "building__unit")
                .order_by("campus__sort_order", "building__code", "code")[:PREVIEW_ROWS])
    return render(request, "inspections/plan_places.html", {
        "form": form, "count": matching.count(), "rows": rows, "picked": picked,
        "limit": PREVIEW_ROWS,
    })


# --- coverage page ------------------------------------------------------------------------
def _filtered_targets(targets, filters: dict):
    if filters.get("coverage"):
        targets = targets.filter(coverage=filters["coverage"])
    if filters.get("unit"):
        targets = targets.filter(unit_id=filters["unit"])
    if "inspector" in filters:
        targets = (targets.filter(inspector__isnull=True) if filters["inspector"] == 0
                   else targets.filter(inspector_id=filters["inspector"]))
    if filters.get("q"):
        text = filters["q"].strip()
        targets = targets.filter(Q(place__name__icontains=text) | Q(place__code__icontains=text)
                                 | Q(place__building__name__icontains=text))
    return targets


#: Bootstrap badge colour of each coverage state.
BADGE = {Coverage.DONE: "text-bg-success", Coverage.IN_PROGRESS: "text-bg-primary",
         Coverage.DUE: "text-bg-warning", Coverage.LATE: "text-bg-danger",
         Coverage.NEVER: "text-bg-secondary"}


def _decorate_rows(page, *, user, plan: InspectionPlan, active: bool) -> None:
    """What each row shows, worked out once per row here rather than by template includes
    and tags in the loop (the page renders every row twice: table and phone cards)."""
    labels = dict(Coverage.choices)
    detail = reverse("inspections:detail", args=[0])[:-2]  # ".../inspections/" + pk + "/"
    campaign = plan.kind == PlanKind.CAMPAIGN
    zone = clock.local_zone()
    for t in page:
        t.badge = BADGE.get(t.coverage, "text-bg-secondary")
        t.coverage_label = labels.get(t.coverage, t.coverage)
        t.inspector_name = (t.inspector.full_name or t.inspector.username) if t.inspector else ""
        t.last_url = f"{detail}{t.last_inspection_id}/" if t.last_inspection_id else ""
        t.can_start = (active and t.inspector_id == user.pk
                       and not (campaign and t.coverage == Coverage.DONE))
        t.continues = t.coverage == Coverage.IN_PROGRESS
        # ISO dates (Y-m-d), the last inspection on the local calendar.
        t.due_text = t.due_on.isoformat() if t.due_on else "—"
        t.last_text = (t.last_inspected_at.astimezone(zone).date().isoformat()
                       if t.last_inspected_at else "")


@login_required
def plan_detail(request, pk: int):
    """The coverage page: counts by coverage, compliance of finished inspections, done/total
    per unit, and the paginated target list with filters and bulk assignment."""
    plan = _visible_plan(request, pk)
    user = request.user
    targets = target_list_visible_to(user, plan)
    summary = targets.aggregate(**_coverage_counts())
    applied = NullIf(F("items_complied") + F("items_failed"), 0)
    compliance = (inspection_list_visible_to(user)
                  .filter(plan=plan, state=Inspection.State.FINISHED)
                  .aggregate(inspections=Count("id"), findings=Sum("items_failed"),
                             complied=Sum("items_complied"), applied=Sum(applied)))
    # Pooled, as on the statistics page: all complied items ÷ all items checked.
    compliance["rate"] = (compliance["complied"] * 100 / compliance["applied"]
                          if compliance["applied"] else None)
    by_unit = list(targets.values("unit_id", "unit__name")
                   .annotate(total=Count("id"),
                             done=Count("id", filter=Q(coverage=Coverage.DONE)),
                             late=Count("id", filter=Q(coverage=Coverage.LATE)))
                   .order_by("unit__name", "unit_id"))
    inspectors = list(office_inspectors())
    form = TargetFilterForm(request.GET or None, units=[(r["unit_id"], r["unit__name"])
                                                        for r in by_unit],
                            inspectors=inspectors)
    filters = form.filters()
    rows = (_filtered_targets(targets, filters)
            .select_related("place__building", "unit", "inspector").order_by("due_on", "id"))
    page = paginate(request, rows, per_page=TARGETS_PER_PAGE)
    active = plan.state == InspectionPlan.State.ACTIVE
    _decorate_rows(page, user=user, plan=plan, active=active)
    query = request.GET.copy()
    query.pop("page", None)
    total = summary["total"]
    bars = [{"key": c.value, "label": c.label, "count": summary[c.value],
             "percent": round(summary[c.value] * 100 / total, 1) if total else 0}
            for c in COVERAGE_ORDER]
    can_manage = user.has_perm("inspections.manage_plans")
    return render(request, "inspections/plan_detail.html", {
        "plan": plan, "summary": summary, "bars": bars, "compliance": compliance,
        "by_unit": by_unit, "form": form, "filtered": bool(filters), "page": page,
        "query": query.urlencode(), "can_manage": can_manage and active,
        "can_close": can_manage and active,
        "assign_form": (AssignForm(inspectors=inspectors, auto_id="assign_%s")
                        if can_manage and active else None),
        "start_url": reverse("inspections:start"), "start_key": uuid.uuid4().hex, "active": active,
        "is_campaign": plan.kind == PlanKind.CAMPAIGN,
    })


@login_required
@require_POST
def plan_assign(request, pk: int):
    """Assign the ticked targets (or every target matching the page's filters) to one
    inspector, or unassign them."""
    plan = _visible_plan(request, pk)
    back = reverse("inspections:plan_detail", args=[plan.pk])
    next_query = request.POST.get("next_query", "")
    if next_query:
        back += "?" + next_query
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the places and the inspector again."))
        return redirect(back)
    data = form.cleaned_data
    ids = data.get("targets") or []
    if data.get("all_matching"):
        filters = TargetFilterForm(QueryDict(next_query)).filters()
        ids = list(_filtered_targets(target_list_visible_to(request.user, plan), filters)
                   .values_list("pk", flat=True))
    try:
        count = services.target_assign(actor=request.user, target_ids=ids, plan_id=plan.pk,
                                       inspector_id=data.get("inspector"))
    except NotAllowed as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if data.get("inspector"):
            messages.success(request, _("%(count)s place(s) assigned.") % {"count": count})
        else:
            messages.success(request, _("%(count)s place(s) unassigned.") % {"count": count})
    return redirect(back)


@login_required
@require_POST
def plan_close(request, pk: int):
    plan = _visible_plan(request, pk)
    try:
        services.plan_close(actor=request.user, plan_id=plan.pk)
    except NotAllowed as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Plan closed: it no longer asks for inspections."))
    return redirect("inspections:plan_detail", pk=plan.pk)


urls: list = [
    path("plans/", plan_list, name="plan_list"),
    path("plans/new/", plan_new, name="plan_new"),
    path("plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("plans/<int:pk>/assign/", plan_assign, name="plan_assign"),
    path("plans/<int:pk>/close/", plan_close, name="plan_close"),
]
