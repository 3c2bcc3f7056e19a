"""``manage.py checker_rules_seed``: the fraud-risk checker's first rule set, evaluated and live."""

from django.core.management.base import BaseCommand

from safecampus.education.services.checker import checker_rules_seed


class Command(BaseCommand):
    help = ("Create version 1 of the fraud-risk checker rules from the default rules, evaluate "
            "it on the labelled SMS corpus (or the built-in examples when the corpus is not "
            "there) and publish it. Does nothing when a rule set exists, unless --force "
            "(which adds a new version). Fraud types are looked up by code; rules of missing "
            "types are left out (run fraud_types_seed first).")

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="Add a new version even when rule sets exist.")
        parser.add_argument("--no-publish", action="store_true",
                            help="Evaluate but do not publish.")

    def handle(self, *args, **options):
        result = checker_rules_seed(actor=None, force=options["force"],
                                    publish=not options["no_publish"])
        if result["version"] is None:
            self.stdout.write("checker rules: a rule set exists already; nothing done "
                              "(--force adds a new version)")
            return
        rate = result["high_fp_rate"]
        self.stdout.write(
            f"checker rules: version {result['version']} ({result['state']}), "
            f"{result['rules']} rules, {result['skipped']} left out for missing fraud types; "
            f"evaluated on {result['corpus']}: high-risk false positives "
            f"{'?' if rate is None else f'{rate:.3%}'}"
            + ("; live as the bootstrap (fewer ordinary messages than a publish needs: "
               "evaluate a new version on the corpus)" if result["bootstrap"] else ""))
