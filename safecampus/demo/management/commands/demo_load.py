"""``manage.py demo_load [--if-empty] [--seed N] [--hazards N]``: load the demo university."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from safecampus.demo.loader import (
    DEFAULT_HAZARDS,
    DEFAULT_SEED,
    MIN_HAZARDS,
    DemoNotEmpty,
    demo_is_loaded,
    demo_load,
)


class Command(BaseCommand):
    help = _("Load the demo university (four campuses, people for every role) and a year of "
             "hazards, replayed through the real services.")

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help=_("Do nothing when any campus already exists."))
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                            help=_("Random seed; the same seed tells the same story."))
        parser.add_argument("--hazards", type=int, default=DEFAULT_HAZARDS,
                            help=_("How many hazards to replay (at least 30)."))

    def handle(self, *args, if_empty=False, seed=DEFAULT_SEED, hazards=DEFAULT_HAZARDS,
               **options):
        if if_empty and demo_is_loaded():
            self.stdout.write(_("The database already holds an organisation: demo not loaded."))
            return
        if hazards < MIN_HAZARDS:
            raise CommandError(_("--hazards must be at least %(min)s.") % {"min": MIN_HAZARDS})
        started = time.monotonic()
        verbose = options.get("verbosity", 1) > 1
        try:
            counts = demo_load(
                seed=seed, hazards=hazards,
                progress=(lambda day: self.stdout.write(
                    _("Replaying %(month)s …") % {"month": day.strftime("%Y-%m")}))
                if verbose else None,
            )
        except DemoNotEmpty as exc:
            raise CommandError(_(
                "The database already holds an organisation. Load the demo into an empty "
                "database, or pass --if-empty to skip."
            )) from exc
        self.stdout.write(self.style.SUCCESS(_(
            "Demo loaded in %(seconds).1f s: %(campuses)s campuses, %(units)s units, "
            "%(places)s places, %(users)s users, %(hazards)s hazards, %(notices)s notices "
            "(%(overdue)s hazards overdue now), %(notifications)s notifications, "
            "%(inspections)s inspections, %(patrol_routes)s patrol routes, %(patrol_rounds)s "
            "rounds, %(patrol_scans)s checkpoint scans, %(patrol_visits)s grid visits, "
            "%(patrol_duty_entries)s duty-log entries, %(patrol_incidents)s incidents, "
            "%(traffic_vehicles)s vehicles, %(traffic_violations)s parking violations, "
            "%(traffic_notices)s move-car notices, %(traffic_abandoned_cases)s abandoned-vehicle "
            "cases, %(traffic_gate_records)s gate records, %(traffic_duty_posts)s duty posts, "
            "%(traffic_charging_stations)s charging stations with %(traffic_charging_sessions)s "
            "sessions."
        ) % {"seconds": time.monotonic() - started, **counts}))
        self.stdout.write(_(
            "Education: %(roster_students)s students in %(roster_classes)s classes, "
            "%(education_activities_held)s activities held, %(education_attendances)s "
            "sign-ins, %(education_quizzes)s quizzes with %(education_quiz_attempts)s attempts, "
            "%(education_fraud_cases_published)s fraud cases, %(education_fraud_reports)s fraud "
            "reports, %(education_warnings)s warnings, %(education_followups)s counsellor "
            "follow-ups, fraud checker rules version %(education_checker_live_version)s live."
        ) % counts)
        self.stdout.write(_(
            "Police and risk: %(police_partners)s partners with %(police_liaisons)s liaisons, "
            "%(police_bulletins)s incident bulletins with %(police_bulletin_records)s "
            "incidents, %(police_meetings)s joint meetings with %(police_actions)s actions "
            "(%(police_actions_open)s open), %(police_risk_published)s risk points on the "
            "four-colour maps (%(police_risk_major)s major, %(police_risk_overdue)s due for "
            "review)."
        ) % counts)
        self.stdout.write(_(
            "Community voice: %(community_concerns)s concerns (%(community_concerns_public)s "
            "on the public board), %(community_service_requests)s service requests for "
            "%(community_services)s services, %(community_surveys)s surveys with "
            "%(community_survey_responses)s answers, %(community_open311_clients)s Open311 "
            "client(s)."
        ) % {key: counts.get(key, 0) for key in (
            "community_concerns", "community_concerns_public", "community_service_requests",
            "community_services", "community_surveys", "community_survey_responses",
            "community_open311_clients")})
        self.stdout.write(_(
            "Safety work reports: %(reports_done)s reports of %(reports_period)s generated (the "
            "whole university's by its monthly schedule, sent to %(reports_sent_to)s "
            "recipients, and one campus's)."
        ) % {key: counts.get(key, 0) for key in (
            "reports_done", "reports_period", "reports_sent_to")})
        self.stdout.write(_("Every demo account's password is “%(password)s”; run “manage.py "
                            "demo_accounts” to see whom to sign in as, the big screen's link "
                            "and the Open311 demo key.") % {"password": "safecampus"})
