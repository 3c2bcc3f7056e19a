"""Pages of the patrolling area (a guard on a phone): the patrols home, a round's page with
start / end early, the scan page and its upload endpoint, the page a sticker's QR code opens,
and reporting a hazard from a checkpoint.

Views are thin (house rule 5): parse → one service or selector call → render. Scans are
written only by ``patrolling.scan_record_many`` through the JSON endpoint; the scan pages
never write on GET (their script queues the scan on the phone and uploads it).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core import clock
from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error, id_or_none
from safecampus.hazards import services as hazard_services
from safecampus.hazards.models import Source

from ..forms.patrolling import (
    CheckpointHazardForm,
    EndEarlyForm,
    ManualCodeForm,
    scan_upload_read,
)
from ..models import Checkpoint, CheckpointScan, PatrolRound
from ..selectors import grids as grid_selectors
from ..selectors import reports as report_selectors
from ..selectors import rounds as selectors
from ..services import patrolling


def _url_or(name: str, fallback: str, query: str = "") -> str:
    """The URL of a page another part of the module provides, by name once it exists (else
    its agreed path), so links here never break while it is being built."""
    try:
        url = reverse(name)
    except NoReverseMatch:
        url = fallback
    return url + query


def _round_or_404(request, pk: int) -> PatrolRound:
    round_ = selectors.round_visible(request.user, pk)
    if round_ is None:
        raise Http404(_("Round not found"))
    return round_


# --- home -----------------------------------------------------------------------------------
#: The hub's links: (key, permission, URL name, its path while that page is being built).
HUB_LINKS = (
    ("reports", "patrols.view_patrol_reports", "patrols:reports", "/patrols/reports/"),
    ("routes", "patrols.manage_patrols", "patrols:route_list", "/patrols/setup/routes/"),
    ("grids", "patrols.view_grid_dashboard", "patrols:grid_dashboard",
     "/patrols/grids/dashboard/"),
    ("duty", "patrols.view_duty_log", "patrols:duty_home", "/patrols/duty/"),
    ("incidents", "patrols.view_incident", "patrols:incident_list", "/patrols/incidents/"),
)


@login_required
def home(request):
    """/patrols/: a guard's patrols today (shifts, rounds, the next round, a scan button);
    a grid member's visits (log one, his visits, his grids); for the office and leadership a
    hub of rounds open now, recent missed checkpoints and links to reports, routes, grids,
    the duty room and incidents. Anyone else is told what the area is for."""
    user = request.user
    patrols = user.has_perm("patrols.patrol")
    oversees = user.has_perm("patrols.view_patrol_reports")
    links = {key: _url_or(name, fallback) if user.has_perm(perm) else ""
             for key, perm, name, fallback in HUB_LINKS}
    # Grid heads and officers log visits here; the office does it from the grids pages.
    grid_work = user.has_perm("patrols.log_grid_visit") and bool(user.scope.zone_ids
                                                                  or not oversees)
    now = clock.now()
    shifts, next_round = selectors.my_shifts_today(user, at=now) if patrols else ([], None)
    return render(request, "patrols/home.html", {
        "now": now,
        "shifts": shifts,
        "next_round": next_round,
        "grid_work": grid_work,
        # His own grids among those he may see (the office sees every grid, not "his").
        "my_grids": list(grid_selectors.zone_list_visible_to(user)
                         .filter(pk__in=user.scope.zone_ids).select_related("campus"))
        if grid_work else [],
        # Nothing of one's own here (e.g. a police liaison, a student): say what it is for.
        "nothing_here": not (patrols or oversees or grid_work),
        "open_rounds": selectors.rounds_open_now(user, at=now) if oversees else [],
        "missed_rounds": selectors.rounds_missed_recently(user, at=now) if oversees else [],
        "links": links,
        # A shift leader's completion and missed checkpoints of the shifts he leads.
        "my_shifts_url": reverse("patrols:my_shifts")
        if report_selectors.leads_shifts(user) else "",
        # The phone's waiting scans go up from here too when the network returns.
        "scan_config": _scan_config(request) if patrols else None,
    })


# --- a round ----------------------------------------------------------------------------------
def _round_page(request, round_: PatrolRound, *, end_form=None, status: int = 200):
    user = request.user
    now = clock.now()
    scans = selectors.round_scans(round_)
    rows = selectors.round_checkpoint_rows(round_, scans, at=now)
    phase = selectors.round_phase(round_, now)
    may_patrol = user.has_perm("patrols.patrol")
    may_end = may_patrol and (user.pk in (round_.guard_id, round_.shift.leader_id)
                              or user.has_perm("patrols.manage_patrols"))
    start_from = selectors.round_start_from(round_)
    too_early = now < start_from
    return render(request, "patrols/patrolling/round.html", {
        "round": round_,
        "shift": round_.shift,
        "rows": rows,
        "scans": scans,
        "phase": phase,
        "now": now,
        "can_scan": may_patrol and not too_early and phase != "closed"
        and round_.state in selectors.OPEN_STATES,
        # "Start round" only when round_start would accept it; before, when it can be.
        "can_start": may_patrol and selectors.round_startable(round_, now),
        "starts_later": may_patrol and too_early and round_.state == PatrolRound.State.PLANNED,
        "start_from": start_from,
        "start_lead_minutes": int(patrolling.START_LEAD.total_seconds() // 60),
        # A refused attempt shows the form again with the service's message.
        "can_end": end_form is not None or (may_end
                                            and round_.state == PatrolRound.State.IN_PROGRESS),
        "end_form": end_form or EndEarlyForm(),
        "can_report_incident": user.has_perm("patrols.record_incident"),
        "incident_url": _url_or("patrols:incident_create", "/patrols/incidents/new/"),
        # The phone's waiting scans go up from here too when the network returns.
        "scan_config": _scan_config(request) if may_patrol else None,
    }, status=status)


@login_required
def round_detail(request, pk: int):
    """A round: its checkpoints in order with their status (on time, late, missed in red,
    pending), flagged scans with their reasons, and what the user may do next."""
    return _round_page(request, _round_or_404(request, pk))


@login_required
@require_POST
def round_start(request, pk: int):
    """Start a planned round ("Start round"); it becomes the user's."""
    round_ = _round_or_404(request, pk)
    try:
        patrolling.round_start(actor=request.user, round_id=round_.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Round started. Scan each checkpoint in turn."))
    return redirect("patrols:round_detail", pk=round_.pk)


@login_required
@require_POST
def round_end_early(request, pk: int):
    """End a round in progress with a reason; the page shows the service's error if any."""
    round_ = _round_or_404(request, pk)
    form = EndEarlyForm(request.POST)
    form.is_valid()
    try:
        patrolling.round_end_early(actor=request.user, round_id=round_.pk,
                                   reason=form.cleaned_data.get("reason", ""))
    except DomainError as error:
        apply_domain_error(form, error)
        return _round_page(request, _round_or_404(request, pk), end_form=form,
                           status=error.status_code)
    messages.success(request, _("The round was ended early; the reason is on its record."))
    return redirect("patrols:round_detail", pk=round_.pk)


# --- scanning ---------------------------------------------------------------------------------
def _scan_config(request, *, round_=None, code: str = "") -> dict:
    """What patrol.js needs: where to upload, whose queue, and every text it shows."""
    return {
        "uploadUrl": reverse("patrols:scan_upload"),
        "queueKey": f"sc-patrol-queue:{request.user.pk}",
        "roundId": round_.pk if round_ is not None else None,
        "code": code,
        "jsqrUrl": static("vendor/jsqr/jsQR.js"),
        "timeZone": clock.local_zone().key,  # every time on the page in campus time
        "text": {
            "waitingOne": _("%(count)s scan waiting to upload"),
            "waitingMany": _("%(count)s scans waiting to upload"),
            "offline": _("You are offline. Scans are kept on this phone and uploaded when "
                         "the network returns."),
            "uploading": _("Uploading…"),
            "allUploaded": _("All scans uploaded."),
            "retrying": _("The server did not answer; trying again shortly."),
            "signedOut": _("You are signed out. Sign in again to upload the waiting scans "
                           "(they stay on this phone)."),
            "queued": _("Waiting to upload"),
            "created": _("Scan recorded"),
            "duplicate": _("Already recorded"),
            "refused": _("Scan refused"),
            "code": _("Code %(code)s"),
            "flagged": _("Flagged: %(reasons)s"),
            "roundProgress": _("Round %(round)s: %(done)s of %(expected)s checkpoints"),
            "roundDone": _("%(done)s of %(expected)s scanned"),
            "openRound": _("Open the round"),
            "locating": _("Getting your position…"),
            "noCamera": _("This browser cannot use the camera here. Type the code printed "
                          "under the QR code instead."),
            "cameraRefused": _("The camera is not available (permission refused or no camera). "
                               "Type the code printed under the QR code instead."),
            "cameraReady": _("Point the camera at the checkpoint's QR code."),
            "cameraStarting": _("Opening the camera…"),
            "emptyCode": _("Type the code printed under the QR code."),
            "scanned": _("Scanned. Waiting to upload…"),
            "reloadToSee": _("Reload the page to see them counted."),
        },
    }


def _require_patrol(request) -> None:
    if not request.user.has_perm("patrols.patrol"):
        raise PermissionDenied


@login_required
def scan(request):
    """The scan page: the phone's camera reads the QR code (manual code as fallback); each
    scan goes into the phone's offline queue and is uploaded by patrol.js.
    ``?round=<id>`` ties the scans to a round the user may see."""
    _require_patrol(request)
    round_, upcoming = None, None
    round_id = id_or_none(request.GET.get("round"))
    if round_id is not None:
        round_ = selectors.round_visible(request.user, round_id)
    if round_ is not None and clock.now() < selectors.round_start_from(round_):
        # A round that cannot be started yet is not the one being walked: say when it opens
        # and do not tie the scans to it.
        upcoming, round_ = round_, None
    return render(request, "patrols/patrolling/scan.html", {
        "round": round_, "upcoming": upcoming, "form": ManualCodeForm(), "checkpoint": None,
        "refusal": "", "scan_config": _scan_config(request, round_=round_),
        "start_from": selectors.round_start_from(upcoming) if upcoming else None,
    })


@login_required
def scan_code(request, code: str):
    """The page a sticker's QR code opens in the phone's own camera app: the checkpoint,
    and patrol.js queues and uploads the scan (a GET writes nothing). An unknown, forged or
    revoked code gets the service's message (200: a page that explains, not an error)."""
    _require_patrol(request)
    checkpoint, refusal = None, ""
    try:
        checkpoint, _method = patrolling.checkpoint_resolve(code)
    except DomainError as error:
        refusal = error.message
    return render(request, "patrols/patrolling/scan.html", {
        "round": None, "upcoming": None, "form": ManualCodeForm(), "checkpoint": checkpoint,
        "refusal": refusal,
        "scan_config": _scan_config(request, code=code if checkpoint is not None else ""),
    })


def _scan_result(result: dict, checkpoints: dict, rounds: dict) -> dict:
    scan_ = result["scan"]
    out = {"client_id": result["client_id"], "status": result["status"],
           "error": result["error"], "code": result["code"]}
    if scan_ is None:
        return out
    checkpoint = checkpoints.get(scan_.checkpoint_id)
    round_ = rounds.get(scan_.round_id)
    local_time = scan_.counted_at.astimezone(clock.local_zone())
    out.update({
        "checkpoint": checkpoint.label if checkpoint else "",
        "route": checkpoint.route.name if checkpoint else "",
        "timing": scan_.timing,
        "timing_label": CheckpointScan.Timing(scan_.timing).label,
        "counted_at": local_time.isoformat(),
        "time": local_time.strftime("%H:%M:%S"),
        "flags": selectors.flag_labels(scan_),
        "round": None if round_ is None else {
            "id": round_.pk, "url": round_.get_absolute_url(), "sequence": round_.sequence,
            "state": round_.state, "state_label": round_.get_state_display(),
            "done": round_.checkpoints_done, "expected": round_.checkpoints_expected,
        },
    })
    return out


def scan_upload(request):
    """POST ``{"scans": [{code, client_id, scanned_at, latitude, longitude, accuracy_m,
    round_id, note}, …]}`` (session + CSRF header; each item as ``patrolling.scan_item_parse``
    reads it, the same as the bulk API) → ``{"ok": true, "results": [{client_id, status:
    created|duplicate|refused, error, code, checkpoint, timing, time, flags, round}, …]}`` in
    input order, ``round`` with the round's counts after the batch. 400 with ``error`` for a
    body that is not such JSON or holds too many scans, 401 signed out, 403 not a patroller,
    405 not POST."""
    if not request.user.is_authenticated:
        return JsonResponse({"ok": False, "error": _("Sign in again.")}, status=401)
    if request.method != "POST":
        return JsonResponse({"ok": False, "error": _("Use POST.")}, status=405)
    try:
        results = patrolling.scan_record_many(actor=request.user,
                                              scans=scan_upload_read(request.body))
    except DomainError as error:
        return JsonResponse({"ok": False, "error": error.message, "code": error.code},
                            status=error.status_code)
    scans = [r["scan"] for r in results if r["scan"] is not None]
    checkpoints = Checkpoint.objects.select_related("place__building", "route").in_bulk(
        {s.checkpoint_id for s in scans})
    rounds = PatrolRound.objects.in_bulk({s.round_id for s in scans if s.round_id})
    return JsonResponse({"ok": True, "results": [_scan_result(r, checkpoints, rounds)
                                                 for r in results]})


# --- reporting from a checkpoint --------------------------------------------------------------
@login_required
def checkpoint_hazard(request, pk: int, checkpoint_id: int):
    """"Report a hazard here": a phone form whose place is the checkpoint's; the hazard's
    source is the patrol round (its page links back here)."""
    round_ = _round_or_404(request, pk)
    if checkpoint_id not in round_.checkpoint_ids:
        raise Http404(_("This checkpoint is not on the round."))
    checkpoint = (Checkpoint.objects.select_related("place__building")
                  .filter(pk=checkpoint_id).first())
    if checkpoint is None:
        raise Http404(_("This checkpoint is not on the round."))
    if not request.user.has_perm("hazards.report_hazard"):
        raise PermissionDenied
    form = CheckpointHazardForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                hazard = hazard_services.hazard_report(
                    reporter=request.user, title=data["title"], category_id=data["category"].pk,
                    description=data["description"], place_id=checkpoint.place_id,
                    photos=request.FILES.getlist("photos"), source=Source.PATROL,
                    source_record=round_, idempotency_key=data.get("idempotency_key"))
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Hazard %(ref)s reported at %(place)s.") % {
                    "ref": hazard.reference, "place": checkpoint.label})
                return redirect("patrols:round_detail", pk=round_.pk)
        status = 400
    return render(request, "patrols/patrolling/hazard.html", {
        "round": round_, "checkpoint": checkpoint, "form": form,
    }, status=status)


urls: list = [
    path("", home, name="home"),
    path("scan/", scan, name="scan"),
    path("scan/upload/", scan_upload, name="scan_upload"),
    path("c/<str:code>/", scan_code, name="scan_code"),
    path("rounds/<int:pk>/", round_detail, name="round_detail"),
    path("rounds/<int:pk>/start/", round_start, name="round_start"),
    path("rounds/<int:pk>/end/", round_end_early, name="round_end_early"),
    path("rounds/<int:pk>/checkpoints/<int:checkpoint_id>/hazard/", checkpoint_hazard,
         name="checkpoint_hazard"),
]
