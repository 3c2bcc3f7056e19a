"""Education and anti-fraud permissions as domain verbs (house rule 6).

The office runs campaigns, activities, quizzes, the fraud library, the checker rules and
warnings; unit safety contacts record their own units' activities; everyone signed in takes
quizzes assigned to them, signs in at activities, reads the library, checks messages and
reports fraud. Fraud reports are read by police liaisons and office administrators (and the
reporter); counsellor follow-ups by office administrators, police liaisons and the
counsellors of the student's college.
"""

import rules

from safecampus.accounts.models import Role
from safecampus.accounts.predicates import has_unit_role, is_leadership, is_office, is_office_admin


@rules.predicate
def is_police_liaison(user) -> bool:
    return user.is_authenticated and Role.POLICE_LIAISON in user.scope.roles


@rules.predicate
def is_counsellor(user) -> bool:
    return user.is_authenticated and Role.COUNSELLOR in user.scope.roles


@rules.predicate
def counsels_followup_college(user, followup) -> bool:
    """A counsellor of the follow-up's college (membership scoped to that unit)."""
    return (followup is not None and user.is_authenticated
            and Role.COUNSELLOR in user.scope.unit_roles.get(followup.college_id, set()))


@rules.predicate
def is_fraud_reporter(user, report) -> bool:
    return report is not None and report.reporter_id == user.pk


# Activities and coverage
rules.add_perm("education.manage_education", is_office)
rules.add_perm("education.record_activity", is_office | has_unit_role | is_counsellor)
rules.add_perm("education.view_coverage", is_office | is_leadership | is_counsellor
               | has_unit_role)
rules.add_perm("education.sign_in_activity", rules.is_authenticated)
rules.add_perm("education.view_attendance", is_office | is_leadership | has_unit_role
               | is_counsellor)
# Quizzes
rules.add_perm("education.manage_quizzes", is_office)
rules.add_perm("education.take_quiz", rules.is_authenticated)
rules.add_perm("education.view_quiz_results", is_office | is_leadership | is_counsellor)
# Fraud library, checker and reports
rules.add_perm("education.view_fraud_library", rules.always_allow)
rules.add_perm("education.manage_fraud_library", is_office)
rules.add_perm("education.check_message", rules.always_allow)
rules.add_perm("education.manage_checker_rules", is_office)
rules.add_perm("education.publish_checker_rules", is_office_admin)
rules.add_perm("education.report_fraud", rules.is_authenticated)
rules.add_perm("education.view_fraud_report", is_office_admin | is_police_liaison
               | is_fraud_reporter)
rules.add_perm("education.handle_fraud_report", is_office_admin | is_police_liaison)
rules.add_perm("education.view_fraud_statistics", is_office | is_leadership | is_police_liaison)
# Warnings and follow-ups
rules.add_perm("education.send_warning", is_office | is_police_liaison)
rules.add_perm("education.view_warning_receipts", is_office | is_police_liaison)
rules.add_perm("education.create_followup", is_office_admin | is_police_liaison)
rules.add_perm("education.view_followups", is_office_admin | is_police_liaison | is_counsellor)
rules.add_perm("education.view_followup", is_office_admin | is_police_liaison
               | counsels_followup_college)
rules.add_perm("education.close_followup", counsels_followup_college | is_office_admin)
rules.add_perm("education.reopen_followup", is_office_admin)


# --- Activities area -----------------------------------------------------------------------
# A unit safety contact, unit leader or counsellor records activities for the units they act
# for or counsel; they see an activity that reached one of those units (colleges reached) or
# that they organised, but change (hold, cancel) only those they organised: an activity the
# office runs for several units is not any one unit's to call off. The office sees and
# changes every activity; leadership sees every activity.
@rules.predicate
def records_for_activity(user, activity) -> bool:
    if activity is None or not user.is_authenticated:
        return False
    if activity.organiser_id == user.pk:
        return True
    units = activity_units_of(user)
    return bool(units) and activity.colleges.filter(pk__in=units).exists()


@rules.predicate
def organises_activity(user, activity) -> bool:
    """``user`` is the activity's organiser (who planned it)."""
    return (activity is not None and user.is_authenticated
            and activity.organiser_id == user.pk)


def activity_units_of(user) -> frozenset[int]:
    """Units whose activities ``user`` records: safety contact, leader or counsellor there."""
    if not user.is_authenticated:
        return frozenset()
    wanted = {Role.UNIT_SAFETY_CONTACT, Role.UNIT_LEADER, Role.COUNSELLOR}
    return frozenset(unit_id for unit_id, roles in user.scope.unit_roles.items()
                     if roles & wanted)


rules.add_perm("education.view_activities", is_office | is_leadership | has_unit_role
               | is_counsellor)
rules.add_perm("education.view_activity", is_office | is_leadership | records_for_activity)
rules.add_perm("education.change_activity", is_office | organises_activity)


# --- Attendance (trainings and drills, QR sign-in, attendance lists, person records) ---------
@rules.predicate
def manages_activity_attendance(user, activity) -> bool:
    """The activity's organiser: opens and closes sign-in, renews the code, adds people and
    imports lists. Without an activity: anyone who may organise one (unit roles,
    counsellors)."""
    if not user.is_authenticated:
        return False
    if activity is None:
        return bool(user.scope.roles & {Role.UNIT_SAFETY_CONTACT, Role.UNIT_LEADER,
                                        Role.COUNSELLOR})
    return activity.organiser_id == user.pk


@rules.predicate
def sees_activity_attendance(user, activity) -> bool:
    """The activity's organiser, or a unit safety contact/leader or counsellor of a college
    the activity reached (they read the list, they do not run the sign-in)."""
    if not user.is_authenticated or activity is None:
        return False
    if activity.organiser_id == user.pk:
        return True
    units = {unit_id for unit_id, roles in user.scope.unit_roles.items()
             if roles & {Role.UNIT_SAFETY_CONTACT, Role.UNIT_LEADER, Role.COUNSELLOR}}
    if not units:
        return False
    return any(college.pk in units for college in activity.colleges.all())


@rules.predicate
def counsels_person(user, person) -> bool:
    """A counsellor of the college of ``person``'s affiliation. Without a person: any
    counsellor (the search page; its selector keeps to their colleges)."""
    if not user.is_authenticated or Role.COUNSELLOR not in user.scope.roles:
        return False
    if person is None:
        return True
    affiliation = getattr(person, "affiliation", None)
    college_id = affiliation.college_id if affiliation is not None else None
    return bool(college_id) and Role.COUNSELLOR in user.scope.unit_roles.get(college_id, set())


rules.add_perm("education.manage_attendance", is_office | manages_activity_attendance)
rules.add_perm("education.view_activity_attendance", is_office | is_leadership
               | sees_activity_attendance)
rules.add_perm("education.view_person_records", is_office | counsels_person)
