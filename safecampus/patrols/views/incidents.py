"""Pages of incidents (警情): the filtered list, one incident with its timeline, recording one
by hand (``?place=<id>`` preselects the place, so a guard can link here from a checkpoint),
changing one, and reporting a hazard it revealed. Statistics and imports have their own
modules."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core.activity import activity_for
from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error, id_or_none
from safecampus.core.pagination import paginate
from safecampus.organisation.models import Place
from safecampus.organisation.selectors import place_picker_data

from ..forms.duty import HazardForm, IncidentFilterForm, IncidentForm
from ..models import Incident
from ..selectors import incidents as selectors
from ..selectors.duty import event_hazard, hazard_visible
from ..services import duty as services

INCIDENTS_PER_PAGE = 50

#: Bootstrap badge colour of each disposition.
DISPOSITION_BADGE = {
    Incident.Disposition.OPEN: "text-bg-warning",
    Incident.Disposition.REFERRED: "text-bg-info",
    Incident.Disposition.ARREST: "text-bg-danger",
    Incident.Disposition.RESOLVED: "text-bg-success",
    Incident.Disposition.UNFOUNDED: "text-bg-secondary",
    Incident.Disposition.CLOSED: "text-bg-secondary",
}


def _visible(request, pk) -> Incident:
    incident = selectors.incident_detail(request.user, pk)
    if incident is None:
        if not selectors.incident_list_allowed(request.user):
            raise PermissionDenied
        raise Http404(_("Incident not found"))
    return incident


@login_required
def incident_list(request):
    """Incidents newest first with filters (category, disposition, source, local dates,
    text); 50 a page without a count, rows joined up front."""
    user = request.user
    if not selectors.incident_list_allowed(user):
        raise PermissionDenied
    form = IncidentFilterForm(request.GET or None)
    page = paginate(request, selectors.incident_search(user, **form.filters()),
                    per_page=INCIDENTS_PER_PAGE)
    for incident in page:
        incident.badge = DISPOSITION_BADGE.get(incident.disposition, "text-bg-secondary")
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "patrols/incidents/list.html", {
        "page": page, "form": form, "query": query.urlencode(),
        "can_record": user.has_perm("patrols.record_incident"),
        "filtered": any(v for v in form.filters().values()),
    })


def _form_page(request, form, *, incident=None, status=200):
    return render(request, "patrols/incidents/form.html", {
        "form": form, "incident": incident, "picker": place_picker_data()}, status=status)


@login_required
def incident_create(request):
    """Record an incident by hand."""
    user = request.user
    if not user.has_perm("patrols.record_incident"):
        raise PermissionDenied
    if request.method == "POST":
        form = IncidentForm(request.POST)
        if form.is_valid():
            try:
                incident = services.incident_record(
                    actor=user, idempotency_key=form.cleaned_data.get("idempotency_key"),
                    **form.service_arguments())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Incident %(reference)s recorded.")
                                 % {"reference": incident.reference})
                if incident.is_visible_to(user):
                    return redirect(incident.get_absolute_url())
                return redirect("patrols:incident_list")
        return _form_page(request, form, status=400)
    initial = {}
    place_id = request.GET.get("place", "")
    if place_id:
        place_id = id_or_none(place_id)
        place = Place.objects.filter(pk=place_id).first() if place_id is not None else None
        if place is None:
            messages.warning(request, _("The place in the link does not exist; choose the "
                                        "place from the list."))
        else:
            initial.update(campus=place.campus_id, place=place.pk)
    return _form_page(request, IncidentForm(initial=initial))


@login_required
def incident_detail(request, pk: int):
    incident = _visible(request, pk)
    return _detail_page(request, incident)


def _detail_page(request, incident, *, hazard_form=None, status=200):
    user = request.user
    can_record = user.has_perm("patrols.record_incident")
    hazard = event_hazard(incident=incident)
    if hazard is not None:
        hazard_form = None
    elif hazard_form is None and can_record:
        hazard_form = HazardForm(initial={
            "campus": incident.campus_id, "place": incident.place_id,
            "location_text": incident.location_text, "description": incident.summary,
            "title": ""})
    entry = getattr(incident, "duty_entry", None)
    return render(request, "patrols/incidents/detail.html", {
        "incident": incident, "badge": DISPOSITION_BADGE.get(incident.disposition, ""),
        "timeline": list(activity_for(incident).order_by("occurred_at", "id")),
        "entry": entry if entry is not None and entry.is_visible_to(user) else None,
        "can_edit": can_record, "hazard_form": hazard_form,
        "hazard": hazard, "hazard_visible": hazard_visible(user, hazard),
        "picker": place_picker_data() if hazard_form is not None else None,
    }, status=status)


@login_required
def incident_edit(request, pk: int):
    incident = _visible(request, pk)
    if not request.user.has_perm("patrols.record_incident"):
        raise PermissionDenied
    if request.method == "POST":
        form = IncidentForm(request.POST, editing=True)
        if form.is_valid():
            try:
                services.incident_update(actor=request.user, incident_id=incident.pk,
                                         **form.service_arguments())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Incident %(reference)s saved.")
                                 % {"reference": incident.reference})
                return redirect(incident.get_absolute_url())
        return _form_page(request, form, incident=incident, status=400)
    form = IncidentForm(editing=True, initial={
        name: getattr(incident, name) for name in (
            "category", "type_label", "summary", "occurred_at", "occurred_until",
            "location_text", "people_involved", "disposition", "police_reference")
    } | {"campus": incident.campus_id, "place": incident.place_id})
    return _form_page(request, form, incident=incident)


@login_required
@require_POST
def incident_hazard(request, pk: int):
    """Report a hazard the incident revealed; back to the incident (errors shown there)."""
    incident = _visible(request, pk)
    if not request.user.has_perm("patrols.record_incident"):
        raise PermissionDenied
    form = HazardForm(request.POST)
    if form.is_valid():
        try:
            hazard = services.incident_to_hazard(actor=request.user, incident_id=incident.pk,
                                                 **form.service_arguments())
        except DomainError as error:
            if error.code == "already_hazard":
                messages.warning(request, error.message)
                return redirect(incident.get_absolute_url())
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Hazard %(reference)s reported.")
                             % {"reference": hazard.reference})
            return redirect(incident.get_absolute_url())
    return _detail_page(request, incident, hazard_form=form, status=400)


urls: list = [
    path("incidents/", incident_list, name="incident_list"),
    path("incidents/new/", incident_create, name="incident_create"),
    path("incidents/<int:pk>/", incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/edit/", incident_edit, name="incident_edit"),
    path("incidents/<int:pk>/hazard/", incident_hazard, name="incident_hazard"),
]
