"""Setting patrols up (the office): routes, checkpoints, schedules, shift rosters and the
printed QR sheets.

Every page needs ``patrols.manage_patrols`` (403 otherwise). Views parse input, call one
service from :mod:`..services.setup` (or ``patrolling.checkpoint_rotate_code``) and render;
a refused input re-renders the form with the service's message and changes nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core import clock
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.forms import apply_domain_error, id_or_none
from safecampus.core.pagination import paginate
from safecampus.organisation.models import Building, Campus, Place

from .. import documents
from ..forms.setup import (
    CheckpointAddForm,
    CheckpointForm,
    PlaceSearchForm,
    RouteForm,
    ScheduleForm,
    ShiftAssignForm,
)
from ..selectors import setup as selectors
from ..services import patrolling
from ..services import setup as services

ROUTES_PER_PAGE = 30


def _require_manage(request) -> None:
    if not request.user.has_perm("patrols.manage_patrols"):
        raise PermissionDenied


def _route(request, pk: int):
    _require_manage(request)
    route = selectors.route_get(pk)
    if route is None:
        raise Http404(_("Route not found"))
    return route


def _checkpoint(request, pk: int):
    _require_manage(request)
    checkpoint = selectors.checkpoint_get(pk)
    if checkpoint is None:
        raise Http404(_("Checkpoint not found"))
    return checkpoint


def _refused(error: DomainError):
    if isinstance(error, NotAllowed):
        raise PermissionDenied(error.message) from error


def _save(form, call):
    """Validate ``form`` and return ``call(cleaned_data)`` (a service's result); on refused
    input the service's message goes into the form and None is returned (nothing changed)."""
    if not form.is_valid():
        return None
    try:
        return call(form.cleaned_data)
    except DomainError as error:
        _refused(error)
        apply_domain_error(form, error)
        return None


# --- routes ----------------------------------------------------------------------------------
@login_required
def route_list(request):
    """Routes of every campus (filter by campus and in use), 30 a page, with counts."""
    _require_manage(request)
    campus = request.GET.get("campus", "")
    active = request.GET.get("active", "yes")
    routes = selectors.route_list_for_office(
        campus_id=id_or_none(campus),
        active={"yes": True, "no": False}.get(active))
    page = paginate(request, routes, per_page=ROUTES_PER_PAGE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "patrols/setup/route_list.html", {
        "page": page, "query": query.urlencode(), "campus": campus, "active": active,
        "campuses": Campus.objects.order_by("sort_order", "id"),
    })


def _route_form_page(request, form, route=None, status=200):
    return render(request, "patrols/setup/route_form.html",
                  {"form": form, "route": route}, status=status)


@login_required
def route_create(request):
    _require_manage(request)
    form = RouteForm(request.POST or None)
    if request.method != "POST":
        return _route_form_page(request, form)
    route = _save(form, lambda data: services.route_create(
        actor=request.user, idempotency_key=data["idempotency_key"], **form.service_arguments()))
    if route is not None:
        messages.success(request, _("Route %(name)s created. Add its checkpoints next.")
                         % {"name": route.name})
        return redirect(route)
    return _route_form_page(request, form, status=400)


@login_required
def route_edit(request, pk: int):
    route = _route(request, pk)
    if request.method != "POST":
        form = RouteForm(initial={"campus": route.campus_id, "zone": route.zone_id,
                                  "code": route.code, "name": route.name,
                                  "description": route.description,
                                  "is_active": route.is_active})
        return _route_form_page(request, form, route)
    form = RouteForm(request.POST, route_id=route.pk)
    if _save(form, lambda data: services.route_update(
            actor=request.user, route_id=route.pk, **form.service_arguments())):
        messages.success(request, _("Route saved."))
        return redirect(route)
    return _route_form_page(request, form, route, status=400)


@login_required
def route_detail(request, pk: int):
    """The route: its checkpoints in order, its schedules and the next shifts."""
    route = _route(request, pk)
    checkpoints = selectors.route_checkpoints(route)
    last = len(checkpoints)
    for i, checkpoint in enumerate(checkpoints, start=1):
        checkpoint.is_first, checkpoint.is_last = i == 1, i == last
    return render(request, "patrols/setup/route_detail.html", {
        "route": route, "checkpoints": checkpoints,
        "active_count": sum(1 for c in checkpoints if c.is_active),
        "schedules": selectors.route_schedules(route),
        "shifts": selectors.route_shifts_next(route),
        "now": clock.now(),
    })


@login_required
@require_POST
def route_rotate_codes(request, pk: int):
    route = _route(request, pk)
    try:
        count = services.route_rotate_codes(actor=request.user, route_id=route.pk)
    except DomainError as error:
        _refused(error)
        messages.error(request, error.message)
    else:
        messages.success(request, _("New codes issued for %(count)s checkpoints: print the sheet "
                                    "again and replace every sticker; the old ones no longer "
                                    "work.") % {"count": count})
    return redirect(route)


@login_required
def route_sheet(request, pk: int):
    """The A4 QR sheet of every checkpoint in use on the route."""
    route = _route(request, pk)
    checkpoints = [c for c in selectors.route_checkpoints(route) if c.is_active]
    if not checkpoints:
        messages.error(request, _("This route has no checkpoint in use to print."))
        return redirect(route)
    return _pdf(documents.checkpoint_sheet_pdf_bytes(route=route, checkpoints=checkpoints),
                documents.sheet_filename(route))


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- checkpoints -----------------------------------------------------------------------------
def _place_choices(route, search: PlaceSearchForm, chosen_id):
    values = search.values()
    places, more = selectors.place_search(campus_id=route.campus_id, **values)
    chosen = None
    chosen_id = id_or_none(chosen_id)
    if chosen_id is not None:
        chosen = next((p for p in places if p.pk == chosen_id), None) or (
            Place.objects.select_related("building")
            .filter(pk=chosen_id, campus_id=route.campus_id).first())
        if chosen is not None and chosen not in places:
            places = [chosen, *places]
    return {"places": places, "more": more, "chosen_id": chosen.pk if chosen else None,
            "searched": bool(values["text"] or values["building_id"])}


@login_required
def checkpoint_add(request, pk: int):
    """Add a checkpoint: search the campus's places (name, code or building; 30 at a time, so
    a campus with thousands of places stays usable), pick one, give a position."""
    route = _route(request, pk)
    buildings = Building.objects.filter(campus_id=route.campus_id).order_by("name")
    search = PlaceSearchForm(request.GET, buildings=buildings)
    hint = selectors.campus_position(route.campus_id)
    if request.method == "POST":
        form = CheckpointAddForm(request.POST, position_hint=hint)
        checkpoint = _save(form, lambda data: services.checkpoint_add(
            actor=request.user, route_id=route.pk, idempotency_key=data["idempotency_key"],
            **form.service_arguments()))
        if checkpoint is not None:
            messages.success(request, _("Checkpoint %(number)s, %(name)s, added.")
                             % {"number": checkpoint.sequence, "name": checkpoint.label})
            return redirect(reverse("patrols:route_detail", args=[route.pk]) + "#checkpoints")
        status = 400
    else:
        form = CheckpointAddForm(position_hint=hint)
        status = 200
    context = {"route": route, "form": form, "search": search,
               **_place_choices(route, search, form["place"].value() if form.is_bound
                               else request.GET.get("place"))}
    if request.headers.get("HX-Request") and request.method == "GET":
        return render(request, "patrols/setup/_place_results.html", context)
    return render(request, "patrols/setup/checkpoint_add.html", context, status=status)


@login_required
def checkpoint_edit(request, pk: int):
    checkpoint = _checkpoint(request, pk)
    hint = selectors.campus_position(checkpoint.route.campus_id)
    if request.method != "POST":
        form = CheckpointForm(initial={
            "name": checkpoint.name, "latitude": checkpoint.latitude or "",
            "longitude": checkpoint.longitude or "", "radius_m": checkpoint.radius_m,
            "is_active": checkpoint.is_active}, position_hint=hint)
        status = 200
    else:
        form = CheckpointForm(request.POST, position_hint=hint)
        if _save(form, lambda data: services.checkpoint_update(
                actor=request.user, checkpoint_id=checkpoint.pk, **form.service_arguments())):
            messages.success(request, _("Checkpoint saved."))
            return redirect(reverse("patrols:route_detail", args=[checkpoint.route_id])
                            + "#checkpoints")
        status = 400
    return render(request, "patrols/setup/checkpoint_form.html",
                  {"checkpoint": checkpoint, "route": checkpoint.route, "form": form},
                  status=status)


@login_required
@require_POST
def checkpoint_move(request, pk: int):
    checkpoint = _checkpoint(request, pk)
    try:
        services.checkpoint_move(actor=request.user, checkpoint_id=checkpoint.pk,
                                 direction=request.POST.get("direction", ""))
    except DomainError as error:
        _refused(error)
        messages.error(request, error.message)
    return redirect(reverse("patrols:route_detail", args=[checkpoint.route_id]) + "#checkpoints")


@login_required
@require_POST
def checkpoint_rotate(request, pk: int):
    checkpoint = _checkpoint(request, pk)
    try:
        checkpoint = patrolling.checkpoint_rotate_code(actor=request.user,
                                                       checkpoint_id=checkpoint.pk)
    except DomainError as error:
        _refused(error)
        messages.error(request, error.message)
    else:
        messages.success(request, _("New code issued for %(name)s (generation %(generation)s): "
                                    "print its sheet and replace the sticker; the old one no "
                                    "longer works.")
                         % {"name": checkpoint.label, "generation": checkpoint.code_generation})
    return redirect(reverse("patrols:route_detail", args=[checkpoint.route_id]) + "#checkpoints")


@login_required
def checkpoint_sheet(request, pk: int):
    """The QR card of one checkpoint on an A4 page (to replace a single sticker)."""
    checkpoint = _checkpoint(request, pk)
    return _pdf(documents.checkpoint_sheet_pdf_bytes(route=checkpoint.route,
                                                     checkpoints=[checkpoint]),
                documents.sheet_filename(checkpoint.route, checkpoint))


# --- schedules -------------------------------------------------------------------------------
def _schedule_saved(request) -> None:
    messages.success(request, _("Schedule saved. Today's and tomorrow's shifts are planned; "
                                "shifts planned before keep their times and guards."))


@login_required
def schedule_create(request, pk: int):
    route = _route(request, pk)
    form = ScheduleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _save(form, lambda data: services.schedule_create(
                actor=request.user, route_id=route.pk, idempotency_key=data["idempotency_key"],
                **form.service_arguments())):
            _schedule_saved(request)
            return redirect(reverse("patrols:route_detail", args=[route.pk]) + "#schedules")
        status = 400
    return render(request, "patrols/setup/schedule_form.html",
                  {"route": route, "form": form, "schedule": None}, status=status)


@login_required
def schedule_edit(request, pk: int):
    _require_manage(request)
    schedule = selectors.schedule_get(pk)
    if schedule is None:
        raise Http404(_("Schedule not found"))
    status = 200
    if request.method == "POST":
        form = ScheduleForm(request.POST)
        if _save(form, lambda data: services.schedule_update(
                actor=request.user, schedule_id=schedule.pk, **form.service_arguments())):
            _schedule_saved(request)
            return redirect(reverse("patrols:route_detail", args=[schedule.route_id])
                            + "#schedules")
        status = 400
    else:
        form = ScheduleForm(initial=ScheduleForm.initial_from(schedule))
    return render(request, "patrols/setup/schedule_form.html",
                  {"route": schedule.route, "form": form, "schedule": schedule}, status=status)


@login_required
@require_POST
def schedule_set_active(request, pk: int):
    _require_manage(request)
    active = request.POST.get("active") == "1"
    try:
        schedule = services.schedule_set_active(actor=request.user, schedule_id=pk,
                                                active=active)
    except DomainError as error:
        _refused(error)
        raise Http404(error.message) from error
    if active:
        messages.success(request, _("Schedule %(name)s is in use: today's and tomorrow's shifts "
                                    "are planned.") % {"name": schedule.name})
    else:
        messages.success(request, _("Schedule %(name)s is no longer in use: no new shifts are "
                                    "planned; shifts already planned stay.")
                         % {"name": schedule.name})
    return redirect(reverse("patrols:route_detail", args=[schedule.route_id]) + "#schedules")


# --- shifts ----------------------------------------------------------------------------------
@login_required
def route_shifts(request, pk: int):
    """The route's shifts of the coming 7 days (local dates), each with its people."""
    route = _route(request, pk)
    today = clock.local_today()
    days: dict = {}
    for shift in selectors.route_shifts_coming(route, today=today):
        days.setdefault(shift.shift_date, []).append(shift)
    return render(request, "patrols/setup/route_shifts.html", {
        "route": route, "days": sorted(days.items()), "today": today, "now": clock.now(),
        "span": selectors.SHIFT_DAYS,
    })


@login_required
def shift_assign(request, pk: int):
    """Change one shift's guards and leader (the schedule stays as it is)."""
    _require_manage(request)
    shift = selectors.shift_get(pk)
    if shift is None:
        raise Http404(_("Shift not found"))
    status = 200
    if request.method == "POST":
        form = ShiftAssignForm(request.POST)
        if _save(form, lambda data: services.shift_assign(
                actor=request.user, shift_id=shift.pk, leader_id=data.get("leader"),
                guard_ids=data.get("guards") or [])):
            messages.success(request, _("Shift saved."))
            return redirect("patrols:route_shifts", pk=shift.route_id)
        status = 400
    else:
        form = ShiftAssignForm(initial={"leader": shift.leader_id,
                                        "guards": [g.pk for g in shift.guards.all()]})
    return render(request, "patrols/setup/shift_assign.html",
                  {"shift": shift, "route": shift.route, "form": form,
                   "over": shift.ends_at <= clock.now()}, status=status)


urls: list = [
    path("setup/routes/", route_list, name="route_list"),
    path("setup/routes/new/", route_create, name="route_create"),
    path("setup/routes/<int:pk>/edit/", route_edit, name="route_edit"),
    path("routes/<int:pk>/", route_detail, name="route_detail"),
    path("setup/routes/<int:pk>/checkpoints/new/", checkpoint_add, name="checkpoint_add"),
    path("setup/routes/<int:pk>/rotate-codes/", route_rotate_codes, name="route_rotate_codes"),
    path("setup/routes/<int:pk>/sheet.pdf", route_sheet, name="route_sheet"),
    path("setup/routes/<int:pk>/schedules/new/", schedule_create, name="schedule_create"),
    path("setup/routes/<int:pk>/shifts/", route_shifts, name="route_shifts"),
    path("setup/checkpoints/<int:pk>/edit/", checkpoint_edit, name="checkpoint_edit"),
    path("setup/checkpoints/<int:pk>/move/", checkpoint_move, name="checkpoint_move"),
    path("setup/checkpoints/<int:pk>/rotate-code/", checkpoint_rotate, name="checkpoint_rotate"),
    path("setup/checkpoints/<int:pk>/sheet.pdf", checkpoint_sheet, name="checkpoint_sheet"),
    path("setup/schedules/<int:pk>/edit/", schedule_edit, name="schedule_edit"),
    path("setup/schedules/<int:pk>/active/", schedule_set_active, name="schedule_set_active"),
    path("setup/shifts/<int:pk>/assign/", shift_assign, name="shift_assign"),
]
