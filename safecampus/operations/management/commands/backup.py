"""``manage.py backup [--output-dir DIR] [--keep N]``: write one dated archive of the database
and every uploaded file, then keep the newest N archives. Exits non-zero with the reason when
the backup fails (no partial file is left; the Backup row says "failed")."""

import argparse

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from ...backup import BackupError, run_backup


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(_("Give a whole number of at least 1, not “%(text)s”.")
                                         % {"text": text})
    return value


class Command(BaseCommand):
    help = _("Back up the database and the uploaded files into one dated archive.")

    def add_arguments(self, parser):
        parser.add_argument("--output-dir", metavar="DIR",
                            help=_("Folder for the archive (default: SAFECAMPUS_BACKUP_DIR, "
                                   "else var/backups)."))
        parser.add_argument("--keep", type=_positive, metavar="N",
                            help=_("Keep the newest N archives in that folder and delete older "
                                   "ones (default: SAFECAMPUS_BACKUP_KEEP, else 14)."))

    def handle(self, *args, **options):
        try:
            backup = run_backup(output_dir=options["output_dir"], keep=options["keep"])
        except BackupError as error:
            raise CommandError(_("Backup failed: %(reason)s") % {"reason": error.message}) \
                from error
        self.stdout.write(_("Backup written: %(path)s (%(size)s, SHA-256 %(sha)s; %(rows)s rows, "
                            "%(files)s files).") % {
            "path": f"{backup.location}/{backup.archive_name}",
            "size": filesizeformat(backup.size_bytes), "sha": backup.sha256,
            "rows": backup.row_count, "files": backup.file_count})
        for name in backup.pruned:
            self.stdout.write(_("Removed old archive %(name)s.") % {"name": name})
        if backup.message:
            self.stderr.write(backup.message)
