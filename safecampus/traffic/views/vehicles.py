"""Pages of the vehicles area: the traffic home (a hub with the plate search), the plate
lookup of the gate (htmx, results as you type), the office's vehicle list, one vehicle with
its permits (issue, revoke) and timeline, register / edit / deactivate, and "my vehicles".
Thin: each view parses a form and calls one service or selector."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core.activity import activity_for
from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.core.views import require_perm

from ..forms.vehicles import PermitForm, ReasonForm, VehicleFilterForm, VehicleForm
from ..selectors import vehicles as selectors
from ..services import vehicles as services

VEHICLES_PER_PAGE = 50



def _label(vehicle) -> str:
    return vehicle.plate or vehicle.tag_number


@login_required
def home(request):
    """The traffic hub: the plate search for guards and the office, links to the pages the
    user may open, and the user's own vehicles."""
    return render(request, "traffic/home.html", {
        "can_lookup": request.user.has_perm("traffic.view_vehicle"),
        "my_vehicles": selectors.my_vehicles(request.user),
    })


@login_required
def vehicle_lookup(request):
    """Look a plate up (exact, partial, tag or owner), with each vehicle's permit status
    today. As you type, htmx asks for the results only."""
    require_perm(request, "traffic.view_vehicle")
    query = request.GET.get("q", "")
    rows = selectors.vehicle_lookup(request.user, query)
    context = {"q": query, "rows": rows, "limit": selectors.LOOKUP_LIMIT}
    if request.headers.get("HX-Request"):
        return render(request, "traffic/vehicles/_lookup_results.html", context)
    return render(request, "traffic/vehicles/lookup.html", context)


@login_required
def vehicle_list(request):
    """All vehicles for the office: filters (text, type, owner type, state), 50 a page."""
    require_perm(request, "traffic.manage_vehicles")
    data = request.GET.copy()
    data.setdefault("active", "yes")
    form = VehicleFilterForm(data)
    filters = form.cleaned_data if form.is_valid() else {"active": "yes"}
    rows = selectors.vehicle_filter(
        selectors.vehicle_list_visible_to(request.user), kind=filters.get("kind", ""),
        owner_kind=filters.get("owner_kind", ""), active=filters.get("active", ""),
        q=filters.get("q", "")).order_by("plate", "id")
    page = paginate(request, rows, per_page=VEHICLES_PER_PAGE)
    selectors.with_permit_status(page.object_list)
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(request, "traffic/vehicles/list.html",
                  {"form": form, "page": page, "query": query})


@login_required
def my_vehicles(request):
    """The vehicles registered to the signed-in user, with their permits' status."""
    return render(request, "traffic/vehicles/mine.html",
                  {"rows": selectors.my_vehicles(request.user)})


def _visible(request, pk):
    vehicle = selectors.vehicle_detail(request.user, pk)
    if vehicle is None:
        raise Http404(_("Vehicle not found"))
    return vehicle


def _detail(request, vehicle, *, permit_form=None, status=200):
    can_manage = request.user.has_perm("traffic.manage_vehicles")
    selectors.with_permit_status([vehicle])
    return render(request, "traffic/vehicles/detail.html", {
        "vehicle": vehicle, "permits": selectors.vehicle_permits(vehicle),
        "can_manage": can_manage,
        "permit_form": (permit_form or PermitForm()) if can_manage and vehicle.is_active
        else None,
        "timeline": activity_for(vehicle) if can_manage else None,
    }, status=status)


@login_required
def vehicle_detail(request, pk: int):
    """One vehicle: owner and contact, permit status today, permits, timeline (office)."""
    return _detail(request, _visible(request, pk))


@login_required
def vehicle_register(request):
    """Register a vehicle (the office)."""
    require_perm(request, "traffic.manage_vehicles")
    status = 200
    if request.method == "POST":
        form = VehicleForm(request.POST)
        if form.is_valid():
            try:
                vehicle = services.vehicle_register(
                    actor=request.user, idempotency_key=form.cleaned_data.get("idempotency_key"),
                    **form.service_arguments())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Vehicle %(vehicle)s registered.")
                                 % {"vehicle": _label(vehicle)})
                return redirect("traffic:vehicle_detail", vehicle.pk)
        status = 400
    else:
        form = VehicleForm(initial={"plate": request.GET.get("plate", "")[:32]})
    return render(request, "traffic/vehicles/form.html", {"form": form, "vehicle": None},
                  status=status)


@login_required
def vehicle_edit(request, pk: int):
    """Change a vehicle (the office); a changed plate is checked again."""
    require_perm(request, "traffic.manage_vehicles")
    vehicle = _visible(request, pk)
    status = 200
    if request.method == "POST":
        form = VehicleForm(request.POST)
        if form.is_valid():
            try:
                vehicle = services.vehicle_update(actor=request.user, vehicle_id=vehicle.pk,
                                                  **form.service_arguments())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Vehicle %(vehicle)s saved.")
                                 % {"vehicle": _label(vehicle)})
                return redirect("traffic:vehicle_detail", vehicle.pk)
        status = 400
    else:
        form = VehicleForm(initial=VehicleForm.initial_of(vehicle))
    return render(request, "traffic/vehicles/form.html", {"form": form, "vehicle": vehicle},
                  status=status)


@login_required
@require_POST
def vehicle_deactivate(request, pk: int):
    require_perm(request, "traffic.manage_vehicles")
    vehicle = _visible(request, pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.vehicle_deactivate(actor=request.user, vehicle_id=vehicle.pk,
                                    reason=form.cleaned_data.get("reason", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Vehicle %(vehicle)s deactivated; its permits are revoked.")
                         % {"vehicle": _label(vehicle)})
    return redirect("traffic:vehicle_detail", vehicle.pk)


@login_required
@require_POST
def permit_issue(request, pk: int):
    """Issue a permit from the vehicle page; errors re-render the page with the form."""
    require_perm(request, "traffic.manage_vehicles")
    vehicle = _visible(request, pk)
    form = PermitForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            permit = services.permit_issue(
                actor=request.user, vehicle_id=vehicle.pk, kind=d["kind"],
                valid_from=d.get("valid_from"), valid_until=d.get("valid_until"),
                note=d.get("note", ""), idempotency_key=d.get("idempotency_key"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Permit issued: valid %(start)s – %(end)s.") % {
                "start": permit.valid_from.isoformat(), "end": permit.valid_until.isoformat()})
            for other in selectors.permit_overlaps(permit):
                messages.warning(request, services.msg_permit_overlaps(other))
            return redirect("traffic:vehicle_detail", vehicle.pk)
    return _detail(request, vehicle, permit_form=form, status=400)


@login_required
@require_POST
def permit_revoke(request, pk: int):
    require_perm(request, "traffic.manage_vehicles")
    permit = selectors.permit_list_visible_to(request.user).filter(pk=pk).first()
    if permit is None:
        raise Http404(_("Permit not found"))
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.permit_revoke(actor=request.user, permit_id=permit.pk,
                               reason=form.cleaned_data.get("reason", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Permit revoked."))
    return redirect("traffic:vehicle_detail", permit.vehicle_id)


urls = [
    path("", home, name="home"),
    path("vehicles/", vehicle_list, name="vehicle_list"),
    path("vehicles/lookup/", vehicle_lookup, name="vehicle_lookup"),
    path("vehicles/mine/", my_vehicles, name="my_vehicles"),
    path("vehicles/new/", vehicle_register, name="vehicle_register"),
    path("vehicles/<int:pk>/", vehicle_detail, name="vehicle_detail"),
    path("vehicles/<int:pk>/edit/", vehicle_edit, name="vehicle_edit"),
    path("vehicles/<int:pk>/deactivate/", vehicle_deactivate, name="vehicle_deactivate"),
    path("vehicles/<int:pk>/permits/", permit_issue, name="permit_issue"),
    path("permits/<int:pk>/revoke/", permit_revoke, name="permit_revoke"),
]
