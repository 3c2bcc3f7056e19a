"""Pages of the charging area: the station list (phone and desk), a station's page (status,
faults, usage by hour, timeline), "report a fault" on a phone (also reached from the QR
sticker on the station), adding and editing stations, the station and session imports and
the utilisation statistics. Views are thin: one selector or service call each."""

from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core.charts import bars, columns, month_line
from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.import_views import ImportPages
from safecampus.core.pagination import paginate
from safecampus.core.qrcodes import qr_svg_data_uri
from safecampus.core.views import require_perm

from ..forms.charging import (
    FaultFixForm,
    FaultReportForm,
    SessionMappingForm,
    StationFilterForm,
    StationForm,
    StationMappingForm,
    StatusForm,
    UtilisationFilterForm,
)
from ..models import ChargingFault, ChargingImport, ChargingStation
from ..selectors import charging as selectors
from ..services import charging as services
from ..services import charging_import as importing

PER_PAGE = 30
Content = ChargingImport.Content



def _station_or_404(request, pk) -> ChargingStation:
    station = selectors.charging_station_detail(request.user, pk)
    if station is None:
        raise Http404(_("Charging station not found"))
    return station


@login_required
def charging_list(request):
    """All stations with their status; filters in the query."""
    require_perm(request, "traffic.view_charging")
    form = StationFilterForm(request.GET or None)
    page = paginate(request, selectors.charging_station_list(request.user, **form.filters()),
                    per_page=PER_PAGE)
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(request, "traffic/charging/list.html", {
        "form": form, "page": page, "query": query,
        "can_manage": request.user.has_perm("traffic.manage_charging"),
        "can_view_statistics": request.user.has_perm("traffic.view_charging_statistics")})


def _usage_chart(request, station: ChargingStation):
    """The station's share of point-hours by Beijing hour over its last 30 days of sessions
    (office only), or (None, None)."""
    usage = selectors.charging_utilisation(request.user,
                                           selectors.UtilisationFilters(station=station.pk))
    if usage is None or not usage.sessions:
        return usage, None
    return usage, columns([f"{h:02d}" for h in range(24)],
                          [round(100 * s, 1) for s in usage.by_hour], _("Occupied (%)"))


@login_required
def charging_detail(request, pk: int):
    station = _station_or_404(request, pk)
    can_manage = request.user.has_perm("traffic.manage_charging")
    usage, chart = _usage_chart(request, station) if can_manage else (None, None)
    sessions = selectors.charging_station_sessions(station) if can_manage else []
    for session in sessions:
        session.kwh = session.energy_wh / 1000
    timeline = list(selectors.charging_station_timeline(station)) if can_manage else []
    labels = dict(ChargingStation.Status.choices)
    for entry in timeline:
        entry.from_label = labels.get(entry.from_state, entry.from_state)
        entry.to_label = labels.get(entry.to_state, entry.to_state)
    return render(request, "traffic/charging/detail.html", {
        "station": station, "faults": list(station.faults.all()),
        "can_manage": can_manage,
        "can_report": (request.user.has_perm("traffic.report_charging_fault")
                       and station.status != ChargingStation.Status.OUT_OF_SERVICE),
        "summary": selectors.charging_station_summary(station) if can_manage else None,
        "sessions": sessions,
        "usage": usage, "charts": {"usage": chart} if chart else {},
        "fix_form": FaultFixForm(), "status_form": StatusForm(),
        "timeline": timeline,
    })


@login_required
def charging_report(request, pk: int):
    """Report a fault at a station: a phone form (the QR sticker links here)."""
    station = _station_or_404(request, pk)
    require_perm(request, "traffic.report_charging_fault")
    form = FaultReportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                fault = services.charging_fault_report(
                    actor=request.user, station_id=station.pk, **form.service_arguments())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Thank you. The fault was reported to the security "
                                            "office and the station's operator (report %(number)s)."
                                            ) % {"number": fault.pk})
                return redirect("traffic:charging_detail", pk=station.pk)
        status = 400
    return render(request, "traffic/charging/report.html",
                  {"station": station, "form": form}, status=status)


@login_required
def charging_add(request):
    require_perm(request, "traffic.manage_charging")
    form = StationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            station = services.charging_station_create(
                actor=request.user, idempotency_key=form.cleaned_data.get("idempotency_key"),
                **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Station %(name)s added.") % {"name": station.name})
            return redirect("traffic:charging_detail", pk=station.pk)
    return render(request, "traffic/charging/form.html", {"form": form, "station": None},
                  status=400 if request.method == "POST" else 200)


@login_required
def charging_edit(request, pk: int):
    require_perm(request, "traffic.manage_charging")
    station = _station_or_404(request, pk)
    form = StationForm(request.POST or None, initial=StationForm.initial_of(station))
    if request.method == "POST" and form.is_valid():
        try:
            services.charging_station_update(actor=request.user, station_id=station.pk,
                                             **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Station saved."))
            return redirect("traffic:charging_detail", pk=station.pk)
    return render(request, "traffic/charging/form.html", {"form": form, "station": station},
                  status=400 if request.method == "POST" else 200)


def _act(request, pk: int, call, success: str):
    try:
        call()
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect("traffic:charging_detail", pk=pk)


@login_required
@require_POST
def charging_status(request, pk: int):
    station = _station_or_404(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose in service or out of service."))
        return redirect("traffic:charging_detail", pk=station.pk)
    status = form.cleaned_data["status"]
    return _act(request, station.pk, lambda: services.charging_station_status_set(
        actor=request.user, station_id=station.pk, status=status,
        reason=form.cleaned_data.get("reason") or ""),
        _("The station is out of service.") if status == ChargingStation.Status.OUT_OF_SERVICE
        else _("The station is back in service."))


@login_required
@require_POST
def charging_fault_fix(request, pk: int):
    fault = ChargingFault.objects.filter(pk=pk).only("station_id").first()
    if fault is None:
        raise Http404
    station = _station_or_404(request, fault.station_id)
    form = FaultFixForm(request.POST)
    comment = form.cleaned_data.get("comment", "") if form.is_valid() else ""
    return _act(request, station.pk, lambda: services.charging_fault_fix(
        actor=request.user, fault_id=fault.pk, comment=comment), _("Fault marked fixed."))


@login_required
def charging_sticker(request, pk: int):
    """A printable sticker for the station: its name and a QR code of its report page."""
    require_perm(request, "traffic.manage_charging")
    station = _station_or_404(request, pk)
    url = settings.SAFECAMPUS["PUBLIC_URL"] + reverse("traffic:charging_report", args=[station.pk])
    return render(request, "traffic/charging/sticker.html", {
        "station": station, "url": url, "qr": qr_svg_data_uri(url)})


def _utilisation_charts(usage) -> dict:
    if usage is None or not usage.points:
        return {}
    charts = {"hour": columns([f"{h:02d}" for h in range(24)],
                              [round(100 * s, 1) for s in usage.by_hour], _("Occupied (%)"))}
    if usage.by_month:
        charts["month"] = month_line(usage.by_month, _("Sessions"))
        charts["kwh"] = month_line(usage.kwh_by_month, _("kWh"))
        for name in ("month", "kwh"):  # a month only partly in the period shows its days
            charts[name]["xAxis"]["data"] = usage.month_labels
    if usage.stations:
        charts["stations"] = bars([r["station"].name for r in usage.stations],
                                  [round(100 * r["share"], 1) for r in usage.stations],
                                  _("Occupied (%)"))
    return charts


@login_required
def charging_utilisation(request):
    """Utilisation by Beijing hour of day, per station and per month (the office and the
    leadership; importing sessions stays with the office)."""
    require_perm(request, "traffic.view_charging_statistics")
    form = UtilisationFilterForm(request.GET or None)
    usage = selectors.charging_utilisation(request.user, form.to_filters())
    return render(request, "traffic/charging/utilisation.html", {
        "form": form, "usage": usage, "charts": _utilisation_charts(usage),
        "peak": (max(range(24), key=lambda h: usage.by_hour[h])
                 if usage and usage.sessions else None),
        "hour_rows": [(f"{h:02d}:00", usage.occupied_hours[h], 100 * usage.by_hour[h])
                      for h in range(24)] if usage and usage.points else [],
        "range_days": ((usage.date_to - usage.date_from).days + 1) if usage else 0,
        "partial_months": bool(usage and usage.partial_months),
        "can_manage": request.user.has_perm("traffic.manage_charging"),
    })


# --- imports ------------------------------------------------------------------------------
def _pages(content: str) -> ImportPages:
    return ImportPages(
        permission=importing.PERMISSION,
        upload=partial(importing.charging_import_upload, content=content),
        get=partial(importing.charging_import_get, content=content),
        table=importing.charging_import_table,
        plan_class=importing.PLANS[content],
        form_class=StationMappingForm if content == Content.STATIONS else SessionMappingForm,
        commit=importing.charging_import_commit,
        upload_template=f"traffic/charging/import_{content}.html",
        map_template="traffic/charging/import_map.html",
        done_template="traffic/charging/import_done.html",
        map_url=f"traffic:charging_import_{content}_map",
        done_url=f"traffic:charging_import_{content}_done",
    )


PAGES = {content: _pages(content) for content in Content.values}


@login_required
def charging_import_upload(request, content: str):
    """Step 1: upload a station or session file."""
    return PAGES[content].upload_page(request)


@login_required
def charging_import_map(request, content: str, pk: int):
    """Steps 2 and 3: map the columns, check every row and import."""
    return PAGES[content].map_page(request, pk)


@login_required
def charging_import_done(request, content: str, pk: int):
    return PAGES[content].done_page(request, pk)


def _import_urls(content: str) -> list:
    return [
        path(f"charging/import/{content}/", charging_import_upload, {"content": content},
             name=f"charging_import_{content}"),
        path(f"charging/import/{content}/<int:pk>/", charging_import_map, {"content": content},
             name=f"charging_import_{content}_map"),
        path(f"charging/import/{content}/<int:pk>/done/", charging_import_done,
             {"content": content}, name=f"charging_import_{content}_done"),
    ]


urls: list = [
    path("charging/", charging_list, name="charging_list"),
    path("charging/add/", charging_add, name="charging_add"),
    path("charging/utilisation/", charging_utilisation, name="charging_utilisation"),
    path("charging/<int:pk>/", charging_detail, name="charging_detail"),
    path("charging/<int:pk>/edit/", charging_edit, name="charging_edit"),
    path("charging/<int:pk>/report/", charging_report, name="charging_report"),
    path("charging/<int:pk>/status/", charging_status, name="charging_status"),
    path("charging/<int:pk>/sticker/", charging_sticker, name="charging_sticker"),
    path("charging/faults/<int:pk>/fix/", charging_fault_fix, name="charging_fault_fix"),
    *_import_urls(Content.STATIONS),
    *_import_urls(Content.SESSIONS),
]
