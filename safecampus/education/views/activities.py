"""Pages of the activities area: activities (list with filters, plan on desktop or phone,
record as held with materials and photos, cancel, detail with timeline), campaigns with
their totals, terms, partners, and coverage of a term with its Excel export. Views are thin
(house rule 5): parse, one service or selector call, render."""

from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error, id_or_none
from safecampus.core.pagination import paginate
from safecampus.core.spreadsheets import content_disposition, write_xlsx
from safecampus.core.views import require_perm

from ..forms.activities import (
    ActivityFilterForm,
    ActivityForm,
    CampaignForm,
    CancelForm,
    CoverageForm,
    HoldForm,
    PartnerForm,
    TermForm,
)
from ..models import Activity, ActivityPhoto, Campaign, Term, Topic
from ..selectors import activities as selectors
from ..services import activities as services

PER_PAGE = 25
#: Groups per page of the coverage matrix, and groups named in its "not reached" card (the
#: rest behind an "and N more" link to the matrix of unreached groups only).
COVERAGE_PER_PAGE = 50
NOT_REACHED_SHOWN = 50
#: Query parameters of a "plan an activity for this group" link → form field.
PREFILL = {"dorm": "buildings", "building": "buildings", "college": "colleges",
           "class": "class_groups", "campus_reached": "campuses"}


def _activity_or_404(request, pk: int, perm: str = "education.view_activity") -> Activity:
    activity = selectors.activity_detail(pk)
    if activity is None:
        raise Http404(_("Activity not found"))
    require_perm(request, perm, activity)
    return activity


# --- activities -------------------------------------------------------------------------------
@login_required
def activity_list(request):
    require_perm(request, "education.view_activities")
    filters = ActivityFilterForm(request.GET or None)
    page = paginate(request, selectors.activity_list(request.user, **filters.filters()),
                    per_page=PER_PAGE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "education/activities/list.html", {
        "page": page, "filters": filters, "query": query.urlencode(),
        "can_record": request.user.has_perm("education.record_activity"),
        "can_manage": request.user.has_perm("education.manage_education")})


@login_required
def activity_create(request):
    require_perm(request, "education.record_activity")
    initial = {}
    for param, field in PREFILL.items():
        value = id_or_none(request.GET.get(param))
        if value:
            initial.setdefault(field, []).append(value)
    campaign = id_or_none(request.GET.get("campaign"))
    if campaign:
        initial["campaign"] = campaign
    topic = request.GET.get("topic")
    if topic in Topic.values:
        initial["topic"] = topic
    form = ActivityForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_create(
                actor=request.user, data=form.service_input(),
                idempotency_key=form.cleaned_data["idempotency_key"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Activity “%(title)s” planned.")
                             % {"title": activity.title})
            return redirect("education:activity_detail", pk=activity.pk)
    return render(request, "education/activities/form.html", {"form": form},
                  status=400 if form.errors else 200)


@login_required
def activity_edit(request, pk: int):
    """Edit a planned activity (organiser or office): the planning form, prefilled."""
    activity = _activity_or_404(request, pk, "education.change_activity")
    if activity.state != Activity.State.PLANNED:
        messages.error(request, services.msg_not_editable(activity))
        return redirect("education:activity_detail", pk=activity.pk)
    form = ActivityForm(request.POST or None, initial=ActivityForm.initial_of(activity),
                        user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(actor=request.user, activity_id=activity.pk,
                                     changes=asdict(form.service_input()))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Activity saved."))
            return redirect("education:activity_detail", pk=activity.pk)
    return render(request, "education/activities/form.html",
                  {"form": form, "activity": activity}, status=400 if form.errors else 200)


@login_required
def activity_detail(request, pk: int):
    activity = _activity_or_404(request, pk)
    can_change = request.user.has_perm("education.change_activity", activity)
    return render(request, "education/activities/detail.html", {
        "activity": activity, "timeline": selectors.activity_timeline(activity),
        "can_change": can_change and activity.state == Activity.State.PLANNED,
        "cancel_form": CancelForm()})


@login_required
def activity_hold(request, pk: int):
    activity = _activity_or_404(request, pk, "education.change_activity")
    form = HoldForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_hold(
                actor=request.user, activity_id=activity.pk,
                audience_count=form.cleaned_data["audience_count"],
                summary=form.cleaned_data["summary"], materials=form.materials(),
                photos=form.cleaned_data["photos"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Recorded as held."))
            return redirect("education:activity_detail", pk=activity.pk)
    return render(request, "education/activities/hold.html",
                  {"activity": activity, "form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def activity_cancel(request, pk: int):
    activity = _activity_or_404(request, pk, "education.change_activity")
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.activity_cancel(actor=request.user, activity_id=activity.pk,
                                     reason=form.cleaned_data["reason"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Activity cancelled."))
    else:
        messages.error(request, _("Say why the activity is cancelled."))
    return redirect("education:activity_detail", pk=activity.pk)


@login_required
def activity_photo(request, pk: int):
    """A photo of an activity, to those who may see the activity."""
    photo = ActivityPhoto.objects.select_related("activity").filter(pk=pk).first()
    if photo is None:
        raise Http404(_("Photo not found"))
    require_perm(request, "education.view_activity", photo.activity)
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("Photo not found")) from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- coverage ---------------------------------------------------------------------------------
def _coverage_of(request):
    form = CoverageForm(request.GET or None)
    term, campaign = selectors.coverage_scope(term_id=id_or_none(request.GET.get("term")),
                                              campaign_id=id_or_none(request.GET.get("campaign")))
    topic = request.GET.get("topic") or ""
    if topic not in Topic.values:
        topic = ""
    dimension = request.GET.get("dimension") or "dorms"
    if dimension not in selectors.DIMENSIONS:
        dimension = "dorms"
    if term is not None:
        form = CoverageForm(initial={"term": term.pk, "topic": topic,
                                     "campaign": campaign.pk if campaign else ""})
    result = (selectors.coverage(term=term, dimension=dimension, topic=topic, campaign=campaign)
              if term else None)
    return form, term, topic, dimension, result


@login_required
def coverage(request):
    """The coverage matrix of one dimension, :data:`COVERAGE_PER_PAGE` groups a page
    (``?unreached=1``: only the groups not reached), under the "not reached" card listing the
    first :data:`NOT_REACHED_SHOWN` of them with a link to the rest."""
    require_perm(request, "education.view_coverage")
    form, term, topic, dimension, result = _coverage_of(request)
    only_unreached = request.GET.get("unreached") == "1"
    uncovered = result.uncovered if result else []
    page = (paginate(request, uncovered if only_unreached else result.rows,
                     per_page=COVERAGE_PER_PAGE) if result else None)
    campaign = result.campaign if result else None
    scope = {"term": term.pk if term else "", "topic": topic,
             **({"campaign": campaign.pk} if campaign else {})}
    query = {**scope, "dimension": dimension}
    return render(request, "education/activities/coverage.html", {
        "form": form, "term": term, "topic": topic, "dimension": dimension,
        "campaign": campaign, "scope_query": urlencode(scope),
        "dimensions": selectors.DIMENSIONS.items(), "coverage": result, "page": page,
        "uncovered": uncovered, "uncovered_shown": uncovered[:NOT_REACHED_SHOWN],
        "uncovered_more": max(len(uncovered) - NOT_REACHED_SHOWN, 0),
        "only_unreached": only_unreached,
        "base_query": urlencode(query),
        "query": urlencode({**query, **({"unreached": "1"} if only_unreached else {})}),
        "prefill": {"dorms": "dorm", "colleges": "college", "classes": "class",
                    "campuses": "campus_reached"}[dimension],
        "can_record": request.user.has_perm("education.record_activity")})


@login_required
def coverage_badge(request):
    """The hub's badge: groups (all dimensions) not reached in the current term (htmx)."""
    require_perm(request, "education.view_coverage")
    term = selectors.term_current()
    total = sum(selectors.uncovered_counts(term).values()) if term else 0
    return render(request, "education/activities/_badge.html", {"term": term, "total": total})


@login_required
def coverage_export(request):
    require_perm(request, "education.view_coverage")
    _form, term, topic, dimension, result = _coverage_of(request)
    if result is None:
        raise Http404(_("No term yet"))
    months = [m.strftime("%Y-%m") for m in result.months]
    headers = [_("Group"), _("Where"), *months, _("Activities"), _("Last reached"),
               _("People reached")]
    if result.with_attendance:
        headers += [_("Students signed in at any held activity this term"), _("Students"),
                    _("Signed in %")]
    rows = []
    for row in result.rows:
        line = [row.label, row.detail, *[n or None for n in row.months], row.activities,
                row.last_at, row.people]
        if result.with_attendance:
            line += [row.attended, row.size, row.percent]
        rows.append(line)
    data = write_xlsx(headers, rows, sheet_title=str(selectors.DIMENSIONS[dimension]))
    response = HttpResponse(data, content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    name = "-".join([term.name, *([result.campaign.title] if result.campaign else []),
                     str(selectors.DIMENSIONS[dimension])]) + ".xlsx"
    response["Content-Disposition"] = content_disposition(name, fallback="coverage.xlsx")
    return response


# --- campaigns --------------------------------------------------------------------------------
@login_required
def campaign_list(request):
    require_perm(request, "education.view_activities")
    can_manage = request.user.has_perm("education.manage_education")
    form = CampaignForm(request.POST or None)
    if request.method == "POST":
        require_perm(request, "education.manage_education")
        if form.is_valid():
            try:
                campaign = services.campaign_create(
                    actor=request.user, **form.service_arguments(),
                    idempotency_key=form.cleaned_data["idempotency_key"])
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Campaign “%(title)s” created.")
                                 % {"title": campaign.title})
                return redirect("education:campaign_detail", pk=campaign.pk)
    return render(request, "education/activities/campaigns.html", {
        "page": paginate(request, selectors.campaign_list(), per_page=PER_PAGE),
        "form": form, "can_manage": can_manage}, status=400 if form.errors else 200)


@login_required
def campaign_detail(request, pk: int):
    require_perm(request, "education.view_activities")
    campaign = Campaign.objects.select_related("term", "created_by").filter(pk=pk).first()
    if campaign is None:
        raise Http404(_("Campaign not found"))
    page = paginate(request, selectors.activity_list(request.user, campaign_id=campaign.pk),
                    per_page=PER_PAGE)
    return render(request, "education/activities/campaign.html", {
        "campaign": campaign, "totals": selectors.campaign_totals(campaign), "page": page,
        "can_manage": request.user.has_perm("education.manage_education"),
        "can_record": request.user.has_perm("education.record_activity")})


@login_required
def campaign_edit(request, pk: int):
    require_perm(request, "education.manage_education")
    campaign = Campaign.objects.filter(pk=pk).first()
    if campaign is None:
        raise Http404(_("Campaign not found"))
    form = CampaignForm(request.POST or None, initial={
        "title": campaign.title, "topic": campaign.topic, "term": campaign.term_id,
        "starts_on": campaign.starts_on, "ends_on": campaign.ends_on, "goal": campaign.goal})
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(actor=request.user, campaign_id=campaign.pk,
                                     **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("education:campaign_detail", pk=campaign.pk)
    return render(request, "education/activities/simple_form.html", {
        "form": form, "title": _("Edit campaign"), "back": ("education:campaign_detail",
                                                            campaign.pk)},
        status=400 if form.errors else 200)


# --- terms and partners -----------------------------------------------------------------------
@login_required
def term_list(request):
    require_perm(request, "education.manage_education")
    form = TermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            term = services.term_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Term “%(name)s” added.") % {"name": term.name})
            return redirect("education:term_list")
    return render(request, "education/activities/terms.html", {
        "terms": selectors.term_list(), "form": form, "current": selectors.term_current()},
        status=400 if form.errors else 200)


@login_required
def term_edit(request, pk: int):
    require_perm(request, "education.manage_education")
    term = Term.objects.filter(pk=pk).first()
    if term is None:
        raise Http404(_("Term not found"))
    form = TermForm(request.POST or None, initial={
        "name": term.name, "starts_on": term.starts_on, "ends_on": term.ends_on})
    if request.method == "POST" and form.is_valid():
        try:
            services.term_update(actor=request.user, term_id=term.pk, **form.cleaned_data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Term saved."))
            return redirect("education:term_list")
    return render(request, "education/activities/simple_form.html", {
        "form": form, "title": _("Edit term"), "back": ("education:term_list", None)},
        status=400 if form.errors else 200)


@login_required
def partner_list(request):
    require_perm(request, "education.manage_education")
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Partner “%(name)s” added.") % {"name": partner.name})
            return redirect("education:partner_list")
    return render(request, "education/activities/partners.html", {
        "partners": selectors.partner_list(), "form": form},
        status=400 if form.errors else 200)


@login_required
@require_POST
def partner_active(request, pk: int):
    require_perm(request, "education.manage_education")
    try:
        partner = services.partner_set_active(actor=request.user, partner_id=pk,
                                              active=request.POST.get("active") == "1")
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, (_("%(name)s is active again.") if partner.is_active else
                                   _("%(name)s is no longer offered for new activities."))
                         % {"name": partner.name})
    return redirect("education:partner_list")


urls = [
    path("activities/", activity_list, name="activity_list"),
    path("activities/new/", activity_create, name="activity_create"),
    path("activities/<int:pk>/", activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", activity_edit, name="activity_edit"),
    path("activities/<int:pk>/held/", activity_hold, name="activity_hold"),
    path("activities/<int:pk>/cancel/", activity_cancel, name="activity_cancel"),
    path("activities/photos/<int:pk>/", activity_photo, name="activity_photo"),
    path("coverage/", coverage, name="coverage"),
    path("coverage/badge/", coverage_badge, name="coverage_badge"),
    path("coverage/export/", coverage_export, name="coverage_export"),
    path("campaigns/", campaign_list, name="campaign_list"),
    path("campaigns/<int:pk>/", campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", campaign_edit, name="campaign_edit"),
    path("terms/", term_list, name="term_list"),
    path("terms/<int:pk>/edit/", term_edit, name="term_edit"),
    path("partners/", partner_list, name="partner_list"),
    path("partners/<int:pk>/active/", partner_active, name="partner_active"),
]
