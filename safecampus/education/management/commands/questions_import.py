"""``manage.py questions_import FILE --bank NAME --topic lab [--map stem=question,...]``:
import a question file (.json or .xlsx) into a bank from the shell, creating the bank (by the
bank service, in the same transaction as the import) when it does not exist. Same services
and rules as the import pages: the suggested field mapping unless ``--map`` says otherwise,
every entry checked, nothing written if any entry fails — not even the new bank — the same
file not imported twice into one bank. The kept copy of the file is deleted in every case
(imported, rejected, ``--check``)."""

import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from safecampus.core.errors import DomainError
from safecampus.core.spreadsheets import ImportRejected

from ...models import QuestionBank
from ...models.terms import Topic
from ...services import question_import as importing
from ...services import quizzes as services


class Command(BaseCommand):
    help = _("Import questions (.json or .xlsx) into a question bank; nothing is written if "
             "any entry fails.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The .json or .xlsx file."))
        parser.add_argument("--bank", required=True, help=_("Name of the question bank "
                                                            "(created when missing)."))
        parser.add_argument("--topic", choices=Topic.values, default=Topic.GENERAL,
                            help=_("Topic of a new bank."))
        parser.add_argument("--map", default="", metavar="FIELD=NAME,…",
                            help=_("Map our fields to the file's, e.g. stem=question,"
                                   "answer=correct_answers (empty NAME: none). Fields: "
                                   "%(fields)s.") % {"fields": ", ".join(importing.TARGET_KEYS)})
        parser.add_argument("--user", help=_("Username the import is recorded for "
                                             "(default: the system)."))
        parser.add_argument("--check", action="store_true",
                            help=_("Check every entry and report; import nothing."))

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No file %(path)s.") % {"path": path})
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(_("No user “%(name)s”.") % {"name": options["user"]})
        started = time.perf_counter()
        kept: list[importing.QuestionUpload] = []
        try:
            # one transaction: a rejected file (or --check) leaves no new bank behind
            with transaction.atomic():
                bank = self._bank(options, actor)
                with path.open("rb") as handle:
                    upload = importing.question_import_upload(
                        actor=actor, bank_id=bank.pk, uploaded_file=File(handle, name=path.name))
                kept.append(upload)
                table = importing.question_upload_table(upload)
                plan = self._plan(table, options["map"])
                if options["check"]:
                    result = importing.questions_validate(
                        table, plan, taken_numbers=importing.bank_numbers(bank.pk))
                    transaction.set_rollback(True)
                    if not result.ok:
                        raise ImportRejected(result.errors, total_rows=result.total_rows,
                                             error_total=result.error_total)
                    self.stdout.write(_("%(count)s entries checked: no problems.")
                                      % {"count": result.total_rows})
                    if result.renumbered:
                        self.stdout.write(result.renumbered.message)
                    return
                count = importing.question_import_commit(actor=actor, upload=upload, plan=plan,
                                                         table=table)
        except ImportRejected as error:
            for row_error in error.errors[:200]:
                self.stderr.write(str(row_error))
            raise CommandError(error.message) from error
        except DomainError as error:
            raise CommandError(error.message) from error
        finally:
            for upload in kept:  # imported: deleted already; rejected or checked: now
                importing.question_upload_discard(upload)
        self.stdout.write(_("%(count)s questions imported into “%(bank)s” from %(file)s in "
                            "%(seconds).2f s.") % {
            "count": count, "bank": bank.name, "file": path.name,
            "seconds": time.perf_counter() - started})

    def _bank(self, options, actor) -> QuestionBank:
        """The bank named ``--bank``, created through the bank service when missing (inside
        the caller's transaction: undone with a rejected file)."""
        name = " ".join(options["bank"].split())
        bank = QuestionBank.objects.filter(name=name).first()
        if bank is None:
            bank = services.bank_create(actor=actor, name=name, topic=options["topic"])
        return bank

    def _plan(self, table, mapping: str) -> importing.QuestionImportPlan:
        plan = importing.suggest_plan(table)
        for pair in [p for p in mapping.split(",") if p.strip()]:
            field, sep, name = pair.partition("=")
            field, name = field.strip(), name.strip()
            if not sep or field not in importing.TARGET_KEYS:
                raise CommandError(_("Write --map as FIELD=NAME with FIELD one of %(fields)s.")
                                   % {"fields": ", ".join(importing.TARGET_KEYS)})
            if name and name not in table.headers:
                raise CommandError(_("The file has no field “%(name)s”.") % {"name": name})
            plan.columns[field] = table.headers.index(name) if name else None
        return plan
