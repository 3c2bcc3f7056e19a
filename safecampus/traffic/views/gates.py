"""Pages of gate records (出入记录): the overview, gates (list, add, edit), uploading a
camera file (progress polled with htmx while it runs), the rejection report (row, column,
message), import history, statistics (charts via ``safecampus.core.charts``) and the
long-stay candidates with the "open cases" action. Thin: each view parses a form and calls
one service or selector."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from safecampus.core.charts import PALETTE, chart
from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.core.views import require_perm

from ..forms.gates import GateForm, GateStatsForm, GateUploadForm, LongStayForm
from ..models import Gate, GateImport
from ..selectors import gates as selectors
from ..services import gates as services

VIEW = "traffic.view_gate_records"
IMPORT = "traffic.import_gate_records"
IMPORTS_PER_PAGE = 30
ERRORS_SHOWN = 200
#: Seconds between progress polls of a running import.
POLL_SECONDS = 2
LONG_STAY_SHOWN = 200



def _days() -> int:
    return int(settings.SAFECAMPUS["GATE_LONG_STAY_DAYS"])


@login_required
def gate_overview(request):
    """The hub of gate records: vehicles inside now, long-stay candidates, recent imports
    and links."""
    require_perm(request, VIEW)
    can_import = request.user.has_perm(IMPORT)
    return render(request, "traffic/gates/overview.html", {
        **selectors.cached_figures(),
        "days": _days(),
        "imports": list(selectors.gate_import_list(request.user)[:5]) if can_import else [],
        "gate_count": Gate.objects.count(),
        "can_import": can_import,
    })


# --- gates ---------------------------------------------------------------------------------------
@login_required
def gate_list(request):
    """All gates with their campus, code and place."""
    require_perm(request, IMPORT)
    return render(request, "traffic/gates/gate_list.html", {"gates": selectors.gate_list()})


def _gate_values(form) -> dict:
    data = form.cleaned_data
    return {"campus_id": data["campus"], "name": data["name"], "code": data["code"],
            "place_id": data.get("place") or None, "is_active": data.get("is_active", False)}


@login_required
def gate_add(request):
    """Add a gate (the office), so that camera files naming it can be imported."""
    require_perm(request, IMPORT)
    form = GateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            gate = services.gate_create(actor=request.user, **_gate_values(form),
                                        idempotency_key=form.cleaned_data.get("idempotency_key"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Gate “%(gate)s” added.") % {"gate": gate.name})
            return redirect("traffic:gate_list")
    return render(request, "traffic/gates/gate_form.html", {"form": form, "gate": None})


@login_required
def gate_edit(request, pk: int):
    """Edit a gate's name, code, campus, place or whether it is active."""
    require_perm(request, IMPORT)
    gate = Gate.objects.filter(pk=pk).first()
    if gate is None:
        raise Http404(_("Gate not found"))
    form = GateForm(request.POST or None, initial=GateForm.initial_of(gate))
    if request.method == "POST" and form.is_valid():
        values = _gate_values(form)
        try:
            services.gate_update(actor=request.user, gate_id=gate.pk, **values)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Gate “%(gate)s” saved.") % {"gate": values["name"]})
            return redirect("traffic:gate_list")
    return render(request, "traffic/gates/gate_form.html", {"form": form, "gate": gate})


# --- imports -------------------------------------------------------------------------------------
@login_required
def gate_upload(request):
    """Upload a camera CSV file; the import runs in the background and its page shows the
    progress, then the result or the problems found."""
    require_perm(request, IMPORT)
    form = GateUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.gate_import_upload(
                actor=request.user, uploaded_file=form.cleaned_data["file"],
                idempotency_key=form.cleaned_data.get("idempotency_key"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return redirect("traffic:gate_import_detail", pk=job.pk)
    return render(request, "traffic/gates/upload.html", {
        "form": form, "gate_count": Gate.objects.filter(is_active=True).count()})


@login_required
def gate_import_detail(request, pk: int):
    """One import: progress while it runs (htmx polls the status part), then the counts or
    the rejection report (row, column, message; the first :data:`ERRORS_SHOWN`)."""
    require_perm(request, IMPORT)
    job = selectors.gate_import_get(request.user, pk)
    if job is None:
        raise Http404(_("Import not found"))
    context = {"job": job, "errors": job.errors[:ERRORS_SHOWN], "poll": POLL_SECONDS,
               "running": job.state in (GateImport.State.UPLOADED, GateImport.State.RUNNING)
               and not job.stalled}
    if request.headers.get("HX-Request"):
        return render(request, "traffic/gates/_import_status.html", context)
    return render(request, "traffic/gates/import_detail.html", context)


@login_required
def gate_import_list(request):
    """Import history, newest first."""
    require_perm(request, IMPORT)
    page = paginate(request, selectors.gate_import_list(request.user), per_page=IMPORTS_PER_PAGE)
    return render(request, "traffic/gates/import_list.html", {"page": page})


# --- statistics ----------------------------------------------------------------------------------
def _charts(stats) -> dict:
    if not stats.entries and not any(n for _d, n, _o in stats.daily):
        return {}
    hours = [f"{h:02d}" for h in range(24)]
    days = [d.strftime("%m-%d") for d, _i, _o in stats.daily]
    gates = [g for g in stats.gates if any(stats.hourly.get(g.pk, []))]
    return {
        "hour": chart(
            grid={"left": 8, "right": 8, "top": 32, "bottom": 8, "containLabel": True},
            legend={"top": 0, "type": "scroll"},
            xAxis={"type": "category", "data": hours},
            yAxis={"type": "value", "minInterval": 1},
            series=[{"name": g.name, "type": "bar", "stack": "entries",
                     "data": stats.hourly[g.pk], "barMaxWidth": 28} for g in gates]),
        "day": chart(
            grid={"left": 8, "right": 8, "top": 32, "bottom": 8, "containLabel": True},
            legend={"top": 0},
            xAxis={"type": "category", "data": days},
            yAxis={"type": "value", "minInterval": 1},
            series=[{"name": _("Entries"), "type": "line", "showSymbol": False,
                     "data": [i for _d, i, _o in stats.daily]},
                    {"name": _("Exits"), "type": "line", "showSymbol": False,
                     "data": [o for _d, _i, o in stats.daily]}]),
        "night": chart(
            grid={"left": 8, "right": 8, "top": 32, "bottom": 8, "containLabel": True},
            legend={"top": 0}, color=PALETTE[1:],
            xAxis={"type": "category", "data": days},
            yAxis={"type": "value", "minInterval": 1},
            series=[{"name": _("Overnight stays"), "type": "bar", "barMaxWidth": 20,
                     "data": [n for _d, n in stats.overnight]},
                    {"name": _("Entered without a valid permit"), "type": "bar",
                     "barMaxWidth": 20, "data": [n for _d, n in stats.without_permit]}]),
    }


@login_required
def gate_statistics(request):
    """Entries per gate and local hour, per day, overnight stays, entries without a valid
    permit and vehicles inside now, for a period (default the last 30 days)."""
    require_perm(request, VIEW)
    form = GateStatsForm(request.GET or None)
    date_from, date_to, campus_id = form.period()
    if not request.GET:  # show the default period in the date fields
        form = GateStatsForm(initial={"date_from": date_from, "date_to": date_to})
    stats = selectors.gate_statistics(date_from=date_from, date_to=date_to, campus_id=campus_id)
    return render(request, "traffic/gates/statistics.html", {
        "form": form, "stats": stats, "charts": _charts(stats),
        "overnight_total": sum(n for _d, n in stats.overnight),
        "without_total": sum(n for _d, n in stats.without_permit),
        "without_today": selectors.entries_without_permit(day=date_to, campus_id=campus_id,
                                                          limit=20),
    })


# --- long stays ----------------------------------------------------------------------------------
@login_required
def gate_long_stay(request):
    """Vehicles inside longer than the configured days without an exit, oldest entry first;
    the office can open abandoned-vehicle cases for those without one."""
    require_perm(request, VIEW)
    form = LongStayForm(request.GET or None)
    days = form.days_or(_days())
    refused = None
    if form.is_bound and not form.is_valid():
        # Say which value was not used and why; the box then shows the days the list uses.
        refused = {"value": request.GET.get("days", ""),
                   "problem": " ".join(form.errors.get("days", []))}
    form = LongStayForm(initial={"days": days})
    page = selectors.long_stay_page(days=days, shown=LONG_STAY_SHOWN)
    cases = selectors.long_stay_cases(page.rows)
    return render(request, "traffic/gates/long_stay.html", {
        "form": form, "days": days, "refused": refused, "total": page.total,
        "rows": [(row, cases.get(row.plate)) for row in page.rows],
        "can_open": request.user.has_perm(IMPORT)})


@login_required
@require_POST
def gate_long_stay_open(request):
    """Open cases for the candidates without one (``days`` from the form)."""
    require_perm(request, IMPORT)
    form = LongStayForm(request.POST)
    if not form.is_valid():  # the page's hidden field always holds valid days
        messages.error(request, " ".join(form.errors.get("days", [])))
        return redirect("traffic:gate_long_stay")
    days = form.days_or(_days())
    try:
        opened = services.long_stay_cases_open(actor=request.user, days=days)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if opened:
            messages.success(request, ngettext(
                "%(count)s abandoned-vehicle case opened.",
                "%(count)s abandoned-vehicle cases opened.", len(opened)) % {
                    "count": len(opened)})
        else:
            messages.info(request, _("No new case: every candidate already has a case (open, "
                                     "or closed since its last entry)."))
    return redirect(f"{reverse('traffic:gate_long_stay')}?days={days}")


urls: list = [
    path("gates/", gate_overview, name="gate_overview"),
    path("gates/list/", gate_list, name="gate_list"),
    path("gates/add/", gate_add, name="gate_add"),
    path("gates/<int:pk>/edit/", gate_edit, name="gate_edit"),
    path("gates/imports/", gate_import_list, name="gate_import_list"),
    path("gates/imports/new/", gate_upload, name="gate_upload"),
    path("gates/imports/<int:pk>/", gate_import_detail, name="gate_import_detail"),
    path("gates/statistics/", gate_statistics, name="gate_statistics"),
    path("gates/long-stay/", gate_long_stay, name="gate_long_stay"),
    path("gates/long-stay/open/", gate_long_stay_open, name="gate_long_stay_open"),
]
