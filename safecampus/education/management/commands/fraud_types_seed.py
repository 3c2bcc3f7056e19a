"""``manage.py fraud_types_seed``: add the common fraud types of the seed taxonomy."""

from django.core.management.base import BaseCommand

from safecampus.education.services.library import fraud_types_seed


class Command(BaseCommand):
    help = ("Create the common fraud types of safecampus/education/taxonomy.py that are missing "
            "(matched by code or name). Only creates: types that exist are left exactly as "
            "they are, so staff edits, order and deactivation survive. Safe to run again.")

    def handle(self, *args, **options):
        result = fraud_types_seed(actor=None)
        self.stdout.write(f"fraud types: {result['created']} created, {result['kept']} kept")
