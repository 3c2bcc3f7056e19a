"""Sign-in and the user's own page."""

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render

from safecampus.core.forms import bootstrap


class SignInForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"class": "form-control", "autocomplete": "current-password"})


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True


@login_required
def profile(request):
    memberships = request.user.memberships.select_related("unit", "zone", "campus")
    return render(request, "accounts/profile.html", {"memberships": memberships})


# --- the roster (学籍/人事名册) and its import -------------------------------------------------
# The upload is kept in the default storage (S3-compatible when there is more than one web
# node) between the upload and the mapping step; the session remembers which file is whose.
ROSTER_SESSION = "roster_imports"


class RosterMapForm(forms.Form):
    """Step 2: which column holds which of our fields (suggested from the headers)."""

    def __init__(self, data=None, *, table, plan):
        from safecampus.core.importing import add_column_fields

        from .roster_import import TARGETS

        super().__init__(data)
        add_column_fields(self, TARGETS, table, plan)
        bootstrap(self)

    def to_plan(self):
        from safecampus.core.importing import columns_from

        from .roster_import import TARGETS, RosterPlan

        return RosterPlan(columns=columns_from(self.cleaned_data, TARGETS))


def _roster_perm(request) -> None:
    from safecampus.core.views import require_perm

    require_perm(request, "organisation.manage_organisation")


@login_required
def roster(request):
    """Classes and the roster's counts by college and year group, with the import link."""
    from safecampus.core.pagination import paginate

    from .roster_import import roster_classes, roster_counts

    _roster_perm(request)
    return render(request, "accounts/roster.html", {
        "counts": roster_counts(), "page": paginate(request, roster_classes(), per_page=50)})


@login_required
def roster_upload(request):
    """Step 1: an .xlsx or .csv roster."""
    import uuid

    from django.core.files.storage import default_storage
    from django.shortcuts import redirect

    from safecampus.core.errors import DomainError
    from safecampus.core.forms import apply_domain_error
    from safecampus.core.importing import upload_name, upload_table
    from safecampus.core.spreadsheets import SpreadsheetUploadForm

    _roster_perm(request)
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            upload_table(upload)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            token = uuid.uuid4().hex
            name = upload_name(upload, "roster.xlsx")
            extension = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
            upload.seek(0)
            path = default_storage.save(f"roster-imports/{token}{extension}", upload)
            kept = request.session.get(ROSTER_SESSION, {})
            kept[token] = {"path": path, "name": name}
            request.session[ROSTER_SESSION] = dict(list(kept.items())[-5:])
            return redirect("accounts:roster_map", token=token)
    return render(request, "accounts/roster_upload.html", {"form": form})


@login_required
def roster_map(request, token: str):
    """Steps 2 and 3: map the columns, then check every row and import (or list the bad
    rows; nothing is written)."""
    from django.contrib import messages
    from django.core.files.storage import default_storage
    from django.http import Http404
    from django.shortcuts import redirect
    from django.utils.translation import gettext as _

    from safecampus.core.errors import DomainError
    from safecampus.core.forms import apply_domain_error
    from safecampus.core.spreadsheets import ImportRejected, read_table

    from .roster_import import roster_import, roster_plan_suggest

    _roster_perm(request)
    kept = request.session.get(ROSTER_SESSION, {}).get(token)
    if kept is None or not default_storage.exists(kept["path"]):
        raise Http404
    with default_storage.open(kept["path"], "rb") as handle:
        table = read_table(handle)
    form = RosterMapForm(request.POST or None, table=table, plan=roster_plan_suggest(table))
    rejected = None
    if request.method == "POST" and form.is_valid():
        try:
            summary = roster_import(actor=request.user, table=table, plan=form.to_plan())
        except ImportRejected as error:
            rejected = error
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            default_storage.delete(kept["path"])
            sessions = request.session.get(ROSTER_SESSION, {})
            sessions.pop(token, None)
            request.session[ROSTER_SESSION] = sessions
            messages.success(request, _(
                "Roster imported: %(rows)s rows, %(created)s people added, %(updated)s updated, "
                "%(classes)s new classes.") % {"rows": summary.rows, "created": summary.created,
                                               "updated": summary.updated,
                                               "classes": summary.classes_created})
            return redirect("accounts:roster")
    return render(request, "accounts/roster_map.html", {
        "form": form, "table": table, "name": kept["name"], "rejected": rejected,
        "errors_shown": rejected.errors[:100] if rejected else [],
        "preview": list(zip(table.numbers[:3], table.rows[:3], strict=True))})
