"""``manage.py restore ARCHIVE [--force] [--check]``: check a backup archive completely, then
load its database and files into this installation (an empty one unless --force) and migrate
it to this version. Refuses, changing nothing, an archive that is damaged, not SafeCampus's,
of the other database kind or from a newer version. ``--check`` only verifies the archive and
says what it holds."""

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from ...backup import BackupError, archive_check, run_restore


class Command(BaseCommand):
    help = _("Restore a SafeCampus backup archive into this installation's database and file "
             "storage.")

    def add_arguments(self, parser):
        parser.add_argument("archive", help=_("The safecampus-backup-….tar.gz file."))
        parser.add_argument("--force", action="store_true",
                            help=_("Replace a database that already holds data (everything in "
                                   "it is lost)."))
        parser.add_argument("--check", action="store_true",
                            help=_("Only verify the archive and show what it holds; change "
                                   "nothing."))

    def handle(self, *args, **options):
        if options["check"]:
            return self._check(options["archive"])
        try:
            result = run_restore(archive_path=options["archive"], force=options["force"])
        except BackupError as error:
            raise CommandError(_("Restore refused or failed: %(reason)s")
                               % {"reason": error.message}) from error
        self.stdout.write(_("Restored %(rows)s rows in %(tables)s tables and %(files)s files "
                            "from %(name)s.") % {
            "rows": result.rows, "tables": result.tables, "files": result.files,
            "name": result.backup.archive_name})
        if result.migrations_applied:
            self.stdout.write(_("Applied %(count)s newer migrations.")
                              % {"count": result.migrations_applied})

    def _check(self, archive: str) -> None:
        try:
            info = archive_check(archive_path=archive)
        except BackupError as error:
            raise CommandError(error.message) from error
        created = info["created_at"]
        self.stdout.write(_("%(name)s is complete: every checksum matches.") % info)
        self.stdout.write(_("Made %(created)s on %(host)s by SafeCampus %(version)s; %(vendor)s "
                            "database, %(rows)s rows in %(tables)s tables, %(files)s files; "
                            "%(size)s, SHA-256 %(sha256)s.") % {
            **info, "created": f"{created:%Y-%m-%d %H:%M:%S}" if created else "?",
            "size": filesizeformat(info["size"])})
        if info["problem"]:
            raise CommandError(info["problem"])
        self.stdout.write(_("It can be restored into this installation."))
