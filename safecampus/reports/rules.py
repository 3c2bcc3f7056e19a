"""Safety work report permissions as domain verbs (house rule 6).

- ``reports.view_report``: office staff and leadership read reports; someone whose
  memberships name campuses reads only the reports of those campuses (not the whole
  university's).
- ``reports.generate_report``: office staff ask for a report of any period.
- ``reports.manage_schedules``: office administrators set up the monthly and quarterly
  schedules and their recipients.
"""

import rules

from safecampus.accounts.predicates import is_leadership, is_office, is_office_admin


@rules.predicate
def report_in_scope(user, report) -> bool:
    """No report given (the list), or the report's campus is one of the user's campuses
    when the user is scoped to campuses."""
    if report is None:
        return True
    campus_ids = user.scope.campus_ids
    return not campus_ids or report.campus_id in campus_ids


rules.add_perm("reports.view_report", (is_office | is_leadership) & report_in_scope)
rules.add_perm("reports.generate_report", is_office)
rules.add_perm("reports.manage_schedules", is_office_admin)
