"""The leadership cockpit (驾驶舱), its campus map layers and the wall displays' admin page.
Thin: parse the filters, one selector or service call, render (house rule 5)."""

import hashlib
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from safecampus.core import clock
from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.qrcodes import qr_svg_data_uri
from safecampus.core.views import require_perm
from safecampus.organisation.campus_maps import campus_map_size
from safecampus.organisation.selectors import campuses

from . import services
from .cockpit import STATE_KEYS, cockpit_figures
from .cockpit_map import LAYERS, layer_svg, map_layer
from .forms import (
    PERIOD_FIELDS,
    CockpitFilterForm,
    DisplayRevokeForm,
    DisplayTokenForm,
    MapFilterForm,
)
from .rules import WHOLE_UNIVERSITY, cockpit_fixed_campus
from .selectors import display_list

#: Colours of a change: good, bad, neutral.
TREND_COLOUR = "#1c7ed6"


def _campus_choices(user) -> tuple[list, bool]:
    """(campuses the user may pick, whether "whole university" is one of the choices)."""
    fixed = cockpit_fixed_campus(user)
    choices = list(campuses())
    if fixed is not None:
        return [c for c in choices if c.pk == fixed], False
    return choices, True


def sparkline_data(figures: dict) -> dict:
    """``{metric key: {"labels": ["2026-01", …], "values": [n or None, …]}}`` for
    ``static/dashboards/cockpit.js``."""
    return {key: {"labels": [f"{first:%Y-%m}" for first, _v in m["trend"]],
                  "values": [v for _f, v in m["trend"]]}
            for key, m in figures["metrics"].items()}


def _tone(metric: dict) -> str:
    """``good``, ``bad`` or ``flat`` for the change arrow's colour."""
    change, better = metric["change"], metric["better"]
    if not change or better is None:
        return "flat"
    return "good" if (change > 0) == (better == "up") else "bad"


@login_required
def cockpit(request):
    """The cockpit: campus and period switchers, a card per figure with its previous value,
    change, sparkline and drill-down link."""
    require_perm(request, "dashboards.view_cockpit")
    choices, university = _campus_choices(request.user)
    form = CockpitFilterForm(request.GET or None, campuses=choices, university=university)
    campus_id, period = form.chosen()
    if campus_id is None and not university:
        campus_id = choices[0].pk if choices else None
    if not request.user.has_perm("dashboards.view_cockpit",
                                 campus_id if campus_id else WHOLE_UNIVERSITY):
        raise PermissionDenied
    figures = cockpit_figures(user=request.user, period=period, campus_id=campus_id)
    ended = period.end <= clock.now()
    for section in figures["sections"]:
        for metric in section["metrics"]:
            metric["tone"] = _tone(metric)
            # a past period's state figure: its list shows the records as they are now
            metric["list_now"] = ended and metric["key"] in STATE_KEYS
    return render(request, "dashboards/cockpit.html", {
        "form": form, "figures": figures, "sparklines": sparkline_data(figures),
        "campus_id": campus_id, "period": period,
        "map_url": _with_period(reverse("dashboards:cockpit_map"), request,
                                campus=campus_id or ""),
    })


def _with_period(path: str, request, **params) -> str:
    """``path`` with ``params`` and the request's period fields (the cockpit and its map
    link to each other keeping the period)."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    query.update({k: request.GET[k] for k in PERIOD_FIELDS if request.GET.get(k)})
    return f"{path}?{urlencode(query)}" if query else path


def campus_map_url(campus) -> str:
    """The campus map image's address for signed-in users (a new ``?v=`` per upload)."""
    version = hashlib.sha1(campus.map_image.name.encode()).hexdigest()[:10]
    return f"{reverse('organisation:campus_map', args=[campus.pk])}?v={version}"


def map_context(viewer, campus, *, layer: str, mode: str, period, image_url: str) -> dict:
    """What the map partial shows: the SVG (or None without a readable map image) and the
    layer's counts."""
    data = map_layer(viewer, campus_id=campus.pk, layer=layer, period=period)
    size = campus_map_size(campus)
    svg = None
    if size:
        svg = layer_svg(data=data, size=size, image_url=image_url, mode=mode,
                        label=_("Map of %(campus)s") % {"campus": campus.name})
    return {"data": data, "svg": svg, "campus": campus, "layer": layer, "mode": mode}


@login_required
def cockpit_map(request):
    """One campus's map with a layer (open hazards now, incidents or violations of the
    period chosen as on the cockpit) as points or heat."""
    require_perm(request, "dashboards.view_cockpit")
    choices, _university = _campus_choices(request.user)
    form = MapFilterForm(request.GET or None, campuses=choices)
    campus_id = form.value("campus", None)
    campus = next((c for c in choices if c.pk == campus_id), None) or (
        choices[0] if choices else None)
    layer = form.value("layer", LAYERS[0])
    mode = form.value("mode", "points")
    _campus, period = form.chosen()
    context = {"form": form, "campuses": choices, "layer": layer, "mode": mode,
               "period": period, "campus": campus,
               "cockpit_url": _with_period(reverse("dashboards:cockpit"), request,
                                           campus=campus.pk if campus else ""),
               "can_upload": request.user.has_perm("police.upload_campus_map")}
    if campus is not None:
        if not request.user.has_perm("dashboards.view_cockpit", campus.pk):
            raise PermissionDenied
        image_url = campus_map_url(campus) if campus.map_image else ""
        context["map"] = map_context(request.user, campus, layer=layer, mode=mode,
                                     period=period, image_url=image_url)
    return render(request, "dashboards/cockpit_map.html", context)


@login_required
def displays(request):
    """Wall displays (office administrators): create one (its address and QR code shown
    once), see when each last fetched the screen, revoke."""
    require_perm(request, "dashboards.manage_displays")
    choices = list(campuses())
    created = None
    if request.method == "POST":
        form = DisplayTokenForm(request.POST, campuses=choices)
        if form.is_valid():
            try:
                display, token = services.display_token_create(
                    actor=request.user, name=form.cleaned_data["name"],
                    campus_id=form.cleaned_data["campus"])
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                url = request.build_absolute_uri(reverse("dashboards:screen", args=[token]))
                created = {"display": display, "url": url, "qr": qr_svg_data_uri(url)}
                form = DisplayTokenForm(campuses=choices)
    else:
        form = DisplayTokenForm(campuses=choices)
    rows = display_list()
    response = render(request, "dashboards/displays.html", {
        "form": form, "displays": rows, "created": created})
    if created:  # the token is on this page only: never keep it in a cache
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def display_revoke(request, pk: int):
    """Revoke a display link in two steps: this page says what revoking does and asks for a
    ticked box; only a POST with it ticked revokes (400 and the page again without)."""
    require_perm(request, "dashboards.manage_displays")
    display = get_object_or_404(display_list(), pk=pk)
    if display.revoked_at is not None:
        messages.info(request, _("The display %(name)s was revoked already.")
                      % {"name": display.name})
        return redirect("dashboards:displays")
    form = DisplayRevokeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            display = services.display_token_revoke(actor=request.user, display_id=pk)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The display %(name)s can no longer open the big "
                                        "screen.") % {"name": display.name})
        return redirect("dashboards:displays")
    return render(request, "dashboards/display_revoke.html",
                  {"display": display, "form": form}, status=400 if form.is_bound else 200)
