"""Pages of the grids area (网格): the roster of grids, one grid's page with the office's
assignments, grid officers' visits (logged on a phone) with the hazards found on them, and
the grid dashboard. Views are thin: one selector or service call each (house rule 5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.accounts.models import Role
from safecampus.core.charts import CHART_FONT, TOOLTIP
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.forms import apply_domain_error, id_or_none
from safecampus.core.pagination import paginate

from ..forms.grids import (
    DashboardFilterForm,
    GridBuildingForm,
    GridMemberForm,
    GridVisitForm,
    VisitFilterForm,
    VisitHazardForm,
)
from ..selectors import grids as selectors
from ..services import grids as services

ZONES_PER_PAGE = 50
VISITS_PER_PAGE = 30
COLOURS = {"visits": "#1c7ed6", "hazards": "#f08c00", "incidents": "#d9342b"}


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _zone_or_404(request, pk: int):
    zone = selectors.grid_detail(request.user, pk)
    if zone is None:
        raise Http404(_("Grid not found"))
    return zone


# --- roster and one grid ---------------------------------------------------------------------
@login_required
def grid_list(request):
    """Every grid the user may see with its people, buildings and this month's figures."""
    _require(request, "patrols.view_grid_dashboard")
    zones = (selectors.zone_list_visible_to(request.user).select_related("campus")
             .order_by("campus__sort_order", "campus_id", "code"))
    page = paginate(request, zones, per_page=ZONES_PER_PAGE)
    selectors.grid_roster(request.user, page.object_list)
    for zone in page:
        zone.can_open = request.user.has_perm("patrols.view_grid", zone)
    return render(request, "patrols/grids/list.html", {
        "page": page, "month": selectors.month_start(),
        "can_log": request.user.has_perm("patrols.log_grid_visit"),
    })


@login_required
def grid_detail(request, pk: int):
    zone = _zone_or_404(request, pk)
    user = request.user
    can_manage = user.has_perm("patrols.manage_grids")
    hazards, hazard_total = selectors.grid_open_hazards(user, zone)
    incidents, incident_total = selectors.grid_incidents(user, zone)
    return render(request, "patrols/grids/detail.html", {
        "zone": zone,
        "members": selectors.grid_members(zone),
        "show_phones": user.has_perm("patrols.view_grid_contacts", zone),
        "buildings": selectors.grid_buildings(zone),
        "visits": selectors.grid_recent_visits(zone),
        "hazards": hazards, "hazard_total": hazard_total,
        "incidents": incidents, "incident_total": incident_total,
        "incidents_visible": selectors.incidents_visible(user),
        "monthly": selectors.grid_monthly(user, zone),
        "can_manage": can_manage,
        "can_log": services.visit_zones_for(user).filter(pk=zone.pk).exists(),
        "member_form": GridMemberForm() if can_manage else None,
        "building_form": GridBuildingForm(zone=zone) if can_manage else None,
    })


def _back_to(zone_id):
    return redirect("patrols:grid_detail", pk=zone_id)


@login_required
@require_POST
def grid_member_add(request, pk: int):
    _require(request, "patrols.manage_grids")
    zone = _zone_or_404(request, pk)
    form = GridMemberForm(request.POST)
    if form.is_valid():
        user = form.cleaned_data["user"]
        try:
            services.grid_member_assign(actor=request.user, zone_id=zone.pk, user_id=user.pk,
                                        role=form.cleaned_data["role"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(name)s is now %(role)s of %(grid)s.") % {
                "name": user.full_name or user.username,
                "role": Role(form.cleaned_data["role"]).label, "grid": zone.name})
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return _back_to(zone.pk)


@login_required
@require_POST
def grid_member_remove(request, pk: int):
    _require(request, "patrols.manage_grids")
    zone_id = request.POST.get("zone", "")
    try:
        services.grid_member_remove(actor=request.user, membership_id=pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Removed from the grid."))
    if id_or_none(zone_id) is not None:
        return _back_to(id_or_none(zone_id))
    return redirect("patrols:grid_list")


@login_required
@require_POST
def grid_building_add(request, pk: int):
    _require(request, "patrols.manage_grids")
    zone = _zone_or_404(request, pk)
    form = GridBuildingForm(request.POST, zone=zone)
    if form.is_valid():
        try:
            building = services.grid_building_assign(
                actor=request.user, building_id=form.cleaned_data["building"], zone_id=zone.pk)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(building)s now belongs to %(grid)s.") % {
                "building": building.name, "grid": zone.name})
    else:
        messages.error(request, _("Choose a building from the list."))
    return _back_to(zone.pk)


@login_required
@require_POST
def grid_building_remove(request, pk: int, building_id: int):
    _require(request, "patrols.manage_grids")
    zone = _zone_or_404(request, pk)
    try:
        building = services.grid_building_assign(actor=request.user, building_id=building_id,
                                                 zone_id=None)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(building)s no longer belongs to a grid.") % {
            "building": building.name})
    return _back_to(zone.pk)


# --- visits ----------------------------------------------------------------------------------
@login_required
def grid_visit_create(request):
    """The phone form for a visit; "Found a hazard" goes on to the visit's hazard form."""
    _require(request, "patrols.log_grid_visit")
    chosen = id_or_none(request.GET.get("zone"))
    form = GridVisitForm(request.POST or None, user=request.user,
                         initial={"zone": chosen} if chosen is not None else None)
    if not form.zones:
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                visit = services.grid_visit_log(actor=request.user, **form.service_arguments())
            except NotAllowed as error:
                form.add_error("zone", error.message)
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Visit saved."))
                if form.cleaned_data.get("found_hazard"):
                    return redirect("patrols:grid_visit_hazard", pk=visit.pk)
                return redirect("patrols:grid_visit_detail", pk=visit.pk)
        status = 400
    return render(request, "patrols/grids/visit_form.html", {"form": form}, status=status)


@login_required
def grid_visit_detail(request, pk: int):
    visit = selectors.grid_visit_detail(request.user, pk)
    if visit is None:
        raise Http404(_("Grid visit not found"))
    return render(request, "patrols/grids/visit_detail.html", {
        "visit": visit,
        "hazards": selectors.grid_visit_hazards(request.user, visit),
        "can_report": services.can_report_from_visit(request.user, visit),
    })


@login_required
def grid_visit_hazard(request, pk: int):
    """Report a hazard found on a visit; the hazard links back to the visit."""
    visit = selectors.grid_visit_detail(request.user, pk)
    if visit is None:
        raise Http404(_("Grid visit not found"))
    if not services.can_report_from_visit(request.user, visit):
        raise PermissionDenied
    form = VisitHazardForm(request.POST or None, request.FILES or None, visit=visit)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                hazard = services.grid_visit_hazard_report(
                    actor=request.user, visit_id=visit.pk, **form.service_arguments())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Hazard %(number)s reported from this visit.")
                                 % {"number": hazard.reference})
                return redirect("patrols:grid_visit_detail", pk=visit.pk)
        status = 400
    return render(request, "patrols/grids/visit_hazard.html", {"form": form, "visit": visit},
                  status=status)


@login_required
def grid_visit_list(request):
    """Visits: an officer's own, a grid head's grids', the office's all; filtered, paged."""
    user = request.user
    if not (user.has_perm("patrols.log_grid_visit")
            or user.has_perm("patrols.view_grid_dashboard")):
        raise PermissionDenied
    zones = (selectors.zone_list_visible_to(user).select_related("campus")
             .order_by("campus__sort_order", "campus_id", "code"))
    form = VisitFilterForm(request.GET or None, zones=zones)
    visits = form.filtered(selectors.grid_visit_list_visible_to(user))
    visits = visits.select_related("zone", "building", "officer").order_by("-visited_at", "-id")
    page = paginate(request, visits, per_page=VISITS_PER_PAGE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "patrols/grids/visit_list.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "can_log": services.visit_zones_for(user).exists(),
    })


# --- dashboard -------------------------------------------------------------------------------
def _chart(board) -> dict:
    """Grouped horizontal bars: visits, hazards and incidents per grid (first grid on top)."""
    labels = [row["zone"].name for row in board.rows]
    series = [
        {"name": str(name), "type": "bar", "barMaxWidth": 14, "data": [r[key] for r in board.rows],
         "itemStyle": {"color": COLOURS[key]}}
        for key, name in (("visits", _("Visits")), ("hazards", _("Hazards reported")),
                          ("incidents", _("Incidents")))
    ]
    return {
        "baseOption": {
            "textStyle": {"fontFamily": CHART_FONT},
            "legend": {"top": 0},
            "grid": {"left": 8, "right": 24, "top": 32, "bottom": 8, "containLabel": True},
            "tooltip": TOOLTIP | {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "xAxis": {"type": "value", "minInterval": 1},
            "yAxis": {"type": "category", "inverse": True, "data": labels,
                      "axisLabel": {"width": 200, "overflow": "truncate",
                                    "fontFamily": CHART_FONT}},
            "series": series,
        },
        "media": [{"query": {"maxWidth": 500},
                   "option": {"yAxis": {"axisLabel": {"width": 96}}}}],
    }


@login_required
def grid_dashboard(request):
    _require(request, "patrols.view_grid_dashboard")
    form = DashboardFilterForm(request.GET or None)
    date_from, date_to, campus_id = form.period()
    board = selectors.grid_dashboard(request.user, date_from=date_from, date_to=date_to,
                                     campus_id=campus_id)
    return render(request, "patrols/grids/dashboard.html", {
        "form": form, "board": board, "chart": _chart(board) if board.rows else None,
        "chart_tall": len(board.rows) > 5,
    })


urls: list = [
    path("grids/", grid_list, name="grid_list"),
    path("grids/dashboard/", grid_dashboard, name="grid_dashboard"),
    path("grids/<int:pk>/", grid_detail, name="grid_detail"),
    path("grids/<int:pk>/members/", grid_member_add, name="grid_member_add"),
    path("grids/members/<int:pk>/remove/", grid_member_remove, name="grid_member_remove"),
    path("grids/<int:pk>/buildings/", grid_building_add, name="grid_building_add"),
    path("grids/<int:pk>/buildings/<int:building_id>/remove/", grid_building_remove,
         name="grid_building_remove"),
    path("grids/visits/", grid_visit_list, name="grid_visit_list"),
    path("grids/visits/new/", grid_visit_create, name="grid_visit_create"),
    path("grids/visits/<int:pk>/", grid_visit_detail, name="grid_visit_detail"),
    path("grids/visits/<int:pk>/hazard/", grid_visit_hazard, name="grid_visit_hazard"),
]
