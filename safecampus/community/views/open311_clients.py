"""The Open311 keys page (office administrators): the clients, issuing a key (shown once,
on the answer to the form, never again) and revoking one. Thin: parse, one service or
selector call, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate

from ..forms.open311 import ApiClientIssueForm
from ..open311.documents import public_url
from ..selectors import open311 as selectors
from ..services import open311 as services

PERM = "community.manage_open311_clients"


def _require(request) -> None:
    if not request.user.has_perm(PERM):
        raise PermissionDenied


@login_required
def client_list(request):
    """Every client with its key's first characters, state and last use; paginated."""
    _require(request)
    return render(request, "community/open311/list.html", {
        "page": paginate(request, selectors.api_client_list(), per_page=50),
        "endpoint": public_url(reverse("open311:root")),
    })


@login_required
def client_issue(request):
    """The form; on success the page that shows the new key once (not cached)."""
    _require(request)
    form = ApiClientIssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client, key = services.api_client_issue(
                actor=request.user, name=form.cleaned_data["name"],
                contact=form.cleaned_data["contact"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            response = render(request, "community/open311/issued.html", {
                "client": client, "key": key,
                "endpoint": public_url(reverse("open311:root"))})
            add_never_cache_headers(response)
            return response
    return render(request, "community/open311/form.html", {"form": form})


@login_required
@require_POST
def client_revoke(request, pk: int):
    _require(request)
    try:
        client = services.api_client_revoke(actor=request.user, client_id=pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The key of “%(name)s” was revoked; its requests are "
                                    "refused from now on.") % {"name": client.name})
    return redirect("community:open311_clients")


urls = [
    path("open311/clients/", client_list, name="open311_clients"),
    path("open311/clients/new/", client_issue, name="open311_client_issue"),
    path("open311/clients/<int:pk>/revoke/", client_revoke, name="open311_client_revoke"),
]
