"""The pages of a column-mapping import (upload → map columns and values → check every row
and import → done), shared by the hazard ledger import and the incident log import.

Each importer describes itself with an :class:`ImportPages` (its permission, services, forms,
templates and URL names) and keeps thin views that call :meth:`ImportPages.upload_page`,
:meth:`ImportPages.map_page` and :meth:`ImportPages.done_page`. The templates share
``includes/import_steps.html``, ``import_errors.html``, ``import_preview.html``,
``import_columns.html`` and ``import_upload_form.html``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from .errors import DomainError
from .forms import apply_domain_error
from .spreadsheets import ImportRejected, SpreadsheetUploadForm


@dataclass(frozen=True)
class ImportPages:
    """One importer's pages.

    ``upload(actor=, uploaded_file=)`` keeps the file and returns the job; ``get(user, pk)``
    is the user's job or None; ``table(job)`` reads the job's file again; ``plan_class`` has
    ``from_json``; ``form_class(data, table=, plan=)`` is the mapping form (with
    ``to_plan``); ``commit(actor=, job=, plan=, table=)`` checks every row and writes, or
    raises :class:`ImportRejected`. ``templates`` are the upload, map and done templates;
    ``url_names`` the map and done URL names (each takes ``pk``)."""

    permission: str
    upload: Callable
    get: Callable
    table: Callable
    plan_class: type
    form_class: type
    commit: Callable
    upload_template: str
    map_template: str
    done_template: str
    map_url: str
    done_url: str
    #: How many row problems the map page lists (the total is always given).
    errors_shown: int = 100

    def upload_page(self, request):
        """Step 1: upload an .xlsx or .csv file."""
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        form = SpreadsheetUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = self.upload(actor=request.user, uploaded_file=form.cleaned_data["file"])
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                return redirect(self.map_url, pk=job.pk)
        return render(request, self.upload_template, {"form": form})

    def map_page(self, request, pk: int):
        """Steps 2 and 3: map columns and values, then check every row and import when none
        fails (else list the problems; nothing is written)."""
        job = self.get(request.user, pk)
        if job is None:
            raise Http404
        if job.state == job.State.IMPORTED:
            return redirect(self.done_url, pk=job.pk)
        table = self.table(job)
        plan = self.plan_class.from_json(job.plan)
        form = self.form_class(request.POST or None, table=table, plan=plan)
        rejected = None
        if request.method == "POST" and form.is_valid():
            plan = form.to_plan()
            if "import" in request.POST:
                try:
                    self.commit(actor=request.user, job=job, plan=plan, table=table)
                except ImportRejected as error:
                    rejected = error
                except DomainError as error:
                    apply_domain_error(form, error)
                else:
                    return redirect(self.done_url, pk=job.pk)
            else:  # "refresh": show the values of the newly chosen columns
                form = self.form_class(table=table, plan=plan)
        return render(request, self.map_template, {
            "job": job, "form": form, "table": table, "rejected": rejected,
            "errors_shown": rejected.errors[:self.errors_shown] if rejected else [],
            "preview": list(zip(table.numbers[:3], table.rows[:3], strict=True)),
        })

    def done_page(self, request, pk: int):
        """The result: how many records were imported and where to see them."""
        job = self.get(request.user, pk)
        if job is None:
            raise Http404
        if job.state != job.State.IMPORTED:
            return redirect(self.map_url, pk=job.pk)
        return render(request, self.done_template, {"job": job})
