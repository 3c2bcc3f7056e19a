"""``manage.py demo_accounts [--all]``: whom to sign in as to walk the demo's hazard loop,
then the demo's big-screen link and Open311 key while they are live."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from safecampus.demo.accounts import demo_account_rows, format_table
from safecampus.demo.links import demo_link_lines
from safecampus.demo.loader import demo_is_loaded


class Command(BaseCommand):
    help = _("Print the demo accounts: username, password, role and scope.")

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help=_("List every demo account."))

    def handle(self, *args, all=False, **options):  # noqa: A002 - the option's name
        if not demo_is_loaded():
            self.stdout.write(_("No demo loaded yet: run “manage.py demo_load”."))
            return
        self.stdout.write(format_table(demo_account_rows(everyone=all)))
        for line in demo_link_lines(settings.SAFECAMPUS["PUBLIC_URL"]):
            self.stdout.write(line)
