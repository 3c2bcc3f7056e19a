"""Pages of the police module's partners area: the partner list (office, leadership,
liaisons), a partner's page (campuses, liaisons, counts), create and edit (office admin), and
adding or deactivating a liaison. Views are thin (house rule 5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.core.views import require_perm

from ..forms.partners import LiaisonForm, PartnerForm
from ..models import Partner
from ..selectors import partners as selectors
from ..services import partners as services

PER_PAGE = 25


def _partner_or_404(request, pk: int) -> Partner:
    partner = selectors.partner_detail(request.user, pk)
    if partner is None:
        raise Http404(_("Partner not found"))
    return partner


@login_required
def partner_list(request):
    require_perm(request, "police.view_partners")
    kind = request.GET.get("kind") or ""
    if kind not in Partner.Kind.values:
        kind = ""
    page = paginate(request, selectors.partner_list(request.user, kind=kind), per_page=PER_PAGE)
    return render(request, "police/partners/list.html", {
        "page": page, "kind": kind, "kinds": Partner.Kind.choices,
        "can_manage": request.user.has_perm("police.manage_partners")})


@login_required
def partner_create(request):
    require_perm(request, "police.manage_partners")
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(
                actor=request.user, data=form.service_input(),
                idempotency_key=form.cleaned_data["idempotency_key"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Partner “%(name)s” added.") % {"name": partner.name})
            return redirect("police:partner_detail", pk=partner.pk)
    return render(request, "police/partners/form.html", {"form": form},
                  status=400 if form.errors else 200)


@login_required
def partner_edit(request, pk: int):
    require_perm(request, "police.manage_partners")
    partner = _partner_or_404(request, pk)
    form = PartnerForm(request.POST or None, initial=PartnerForm.initial_of(partner))
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_update(actor=request.user, partner_id=partner.pk,
                                    data=form.service_input())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Partner saved."))
            return redirect("police:partner_detail", pk=partner.pk)
    return render(request, "police/partners/form.html", {"form": form, "partner": partner},
                  status=400 if form.errors else 200)


@login_required
def partner_detail(request, pk: int):
    require_perm(request, "police.view_partners")
    partner = _partner_or_404(request, pk)
    can_manage = request.user.has_perm("police.manage_partners")
    form = (LiaisonForm(request.POST or None, search_url=reverse(
        "police:partner_user_search", args=[partner.pk])) if can_manage else None)
    if request.method == "POST":
        require_perm(request, "police.manage_partners")
        if form.is_valid():
            d = form.cleaned_data
            try:
                liaison = services.liaison_add(
                    actor=request.user, partner_id=partner.pk, user_ref=d["user"],
                    username=d["username"], full_name=d["full_name"], phone=d["phone"],
                    post=d["post"], password=d["password"])
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("%(name)s is now a liaison of %(partner)s.") % {
                    "name": liaison.user, "partner": partner.name})
                if d["password"] and not d["user"]:
                    messages.info(request, _(
                        "Give %(name)s their user name “%(username)s” and the initial password "
                        "in person, and ask them to change the password.") % {
                        "name": liaison.user, "username": liaison.user.username})
                return redirect("police:partner_detail", pk=partner.pk)
    return render(request, "police/partners/detail.html", {
        "partner": partner, "liaison_form": form, "can_manage": can_manage,
        "suggestions": selectors.liaison_user_search("") if can_manage else (),
        "timeline": selectors.partner_timeline(partner) if can_manage else ()},
        status=400 if form is not None and form.errors else 200)


@login_required
def partner_user_search(request, pk: int):
    """The options of the "existing user" list (htmx, as the office admin types)."""
    require_perm(request, "police.manage_partners")
    _partner_or_404(request, pk)
    return render(request, "police/partners/_user_options.html", {
        "suggestions": selectors.liaison_user_search(request.GET.get("user", ""))})


@login_required
@require_POST
def liaison_deactivate(request, pk: int):
    require_perm(request, "police.manage_partners")
    try:
        liaison = services.liaison_deactivate(actor=request.user, liaison_id=pk)
    except DomainError as error:
        messages.error(request, error.message)
        partner_id = request.POST.get("partner")
        return redirect("police:partner_detail", pk=partner_id) if (
            partner_id or "").isdigit() else redirect("police:partner_list")
    messages.success(request, _("%(name)s no longer speaks for %(partner)s.") % {
        "name": liaison.user, "partner": liaison.partner.name})
    return redirect("police:partner_detail", pk=liaison.partner_id)


urls = [
    path("partners/", partner_list, name="partner_list"),
    path("partners/new/", partner_create, name="partner_create"),
    path("partners/<int:pk>/", partner_detail, name="partner_detail"),
    path("partners/<int:pk>/edit/", partner_edit, name="partner_edit"),
    path("partners/<int:pk>/users/", partner_user_search, name="partner_user_search"),
    path("liaisons/<int:pk>/deactivate/", liaison_deactivate, name="liaison_deactivate"),
]
