"""``manage.py incidents_import FILE``: import an incident log from the shell, for files too
large to upload or for ops. Same services and rules as the import pages: the suggested
column mapping unless ``--column`` says otherwise, value suggestions unless ``--value`` says
otherwise, every row checked, nothing written if any row fails."""

import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from safecampus.core.errors import DomainError
from safecampus.core.spreadsheets import ImportRejected
from safecampus.organisation.models import Campus

from ...services import incident_import as importing


def _pair(text: str, what: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise CommandError(_("Write %(what)s as key=value, not “%(text)s”.") % {
            "what": what, "text": text})
    return key.strip(), value.strip()


class Command(BaseCommand):
    help = _("Import an incident log (.csv or .xlsx) with a column mapping; nothing is written "
             "if any row fails.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The .csv or .xlsx file."))
        parser.add_argument("--user", required=True,
                            help=_("Username of the office member the import is recorded for."))
        parser.add_argument("--campus", help=_("Code of the campus for rows without one."))
        parser.add_argument("--time-zone", default="Asia/Shanghai",
                            help=_("Zone of the times in the file (default Asia/Shanghai)."))
        parser.add_argument("--date-order", choices=importing.DATE_ORDERS, default="auto",
                            help=_("MM/DD (mdy), DD/MM (dmy) or detect (auto)."))
        parser.add_argument("--column", action="append", default=[], metavar="FIELD=HEADER",
                            help=_("Map one of our fields to a column header (empty: none). "
                                   "Fields: %(fields)s.") % {
                                "fields": ", ".join(importing.TARGET_KEYS)})
        parser.add_argument("--value", action="append", default=[], metavar="KIND:VALUE=OURS",
                            help=_("Map a value, e.g. “category:Weapon Violation=disturbance”."))
        parser.add_argument("--check", action="store_true",
                            help=_("Check every row and report; import nothing."))

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No file %(path)s.") % {"path": path})
        actor = get_user_model().objects.filter(username=options["user"]).first()
        if actor is None:
            raise CommandError(_("No user “%(name)s”.") % {"name": options["user"]})
        started = time.perf_counter()
        try:
            with path.open("rb") as handle:
                job = importing.incident_import_upload(actor=actor,
                                                       uploaded_file=File(handle, name=path.name))
            table = importing.incident_import_table(job)
            plan = self._plan(job, table, options)
            if options["check"]:
                result = importing.incident_validate(table, plan)
                if result.ok:
                    self.stdout.write(_("%(count)s rows checked: no problems.") % {
                        "count": result.total_rows})
                    return
                raise ImportRejected(result.errors, total_rows=result.total_rows,
                                     error_total=result.error_total)
            result = importing.incident_import_commit(actor=actor, job=job, plan=plan,
                                                      table=table)
        except ImportRejected as error:
            for row_error in error.errors[:200]:
                self.stderr.write(str(row_error))
            raise CommandError(error.message) from error
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(_("%(count)s incidents imported from %(file)s in %(seconds).1f s.") % {
            "count": result.created, "file": path.name,
            "seconds": time.perf_counter() - started})

    def _plan(self, job, table, options) -> importing.IncidentImportPlan:
        plan = importing.IncidentImportPlan.from_json(job.plan)
        plan.time_zone = options["time_zone"]
        plan.date_order = options["date_order"]
        if options["campus"]:
            campus = Campus.objects.filter(code=options["campus"]).first()
            if campus is None:
                raise CommandError(_("No campus with code “%(code)s”.") % {"code": options["campus"]})
            plan.default_campus = campus.pk
        for text in options["column"]:
            field, header = _pair(text, "--column")
            if field not in importing.TARGET_KEYS:
                raise CommandError(_("Unknown field “%(field)s”.") % {"field": field})
            if header and header not in table.headers:
                raise CommandError(_("The file has no column “%(header)s”.") % {"header": header})
            plan.columns[field] = table.headers.index(header) if header else None
        for text in options["value"]:
            kind, sep, rest = text.partition(":")
            if not sep or kind not in importing.VALUE_KINDS:
                raise CommandError(_("Write --value as KIND:VALUE=OURS with KIND one of %(kinds)s.")
                                   % {"kinds": ", ".join(importing.VALUE_KINDS)})
            value, ours = _pair(rest, "--value")
            plan.values.setdefault(kind, {})[importing.value_key(value)] = ours
        return plan
