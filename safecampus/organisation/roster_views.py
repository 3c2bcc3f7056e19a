"""Pages of the roster (学籍/人事名册): classes and counts by college and year group, and its
import through the shared column-mapping import pages (upload → map columns → check every
row and import → done). Who: ``organisation.manage_organisation``."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from safecampus.core.forms import bootstrap
from safecampus.core.import_views import ImportPages
from safecampus.core.importing import add_column_fields, columns_from
from safecampus.core.pagination import paginate
from safecampus.core.views import require_perm

from . import roster_import as roster


class RosterMapForm(forms.Form):
    """Step 2: which column holds which of our fields (suggested from the headers)."""

    def __init__(self, data=None, *, table, plan):
        super().__init__(data)
        add_column_fields(self, roster.TARGETS, table, plan)
        bootstrap(self)

    def to_plan(self) -> roster.RosterPlan:
        return roster.RosterPlan(columns=columns_from(self.cleaned_data, roster.TARGETS))


PAGES = ImportPages(
    permission=roster.PERMISSION,
    upload=roster.roster_upload_keep,
    get=roster.roster_upload_get,
    table=roster.roster_upload_table,
    plan_class=roster.RosterPlan,
    form_class=RosterMapForm,
    commit=roster.roster_upload_commit,
    upload_template="organisation/roster_upload.html",
    map_template="organisation/roster_map.html",
    done_template="organisation/roster_done.html",
    map_url="organisation:roster_import_map",
    done_url="organisation:roster_import_done",
    errors_shown=100,
)


@login_required
def roster_page(request):
    """Classes and the roster's counts by college and year group, with the import link."""
    require_perm(request, roster.PERMISSION)
    return render(request, "organisation/roster.html", {
        "counts": roster.roster_counts(),
        "page": paginate(request, roster.roster_classes(), per_page=50)})


@login_required
def roster_import_upload(request):
    """Step 1: an .xlsx or .csv roster."""
    return PAGES.upload_page(request)


@login_required
def roster_import_map(request, pk: str):
    """Steps 2 and 3: map the columns, then check every row and import (or list the bad
    rows; nothing is written and the file is deleted: the corrected file is uploaded again)."""
    require_perm(request, roster.PERMISSION)
    upload = roster.roster_upload_get(request.user, pk)
    if upload is not None and upload.state == roster.RosterUpload.State.REJECTED:
        messages.info(request, _("That file was refused and deleted; upload the corrected "
                                 "file."))
        return redirect("organisation:roster_import")
    return PAGES.map_page(request, pk)


@login_required
def roster_import_done(request, pk: str):
    """The result: how many people were added and updated, the new classes."""
    require_perm(request, roster.PERMISSION)
    return PAGES.done_page(request, pk)
