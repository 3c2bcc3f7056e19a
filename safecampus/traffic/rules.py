"""Traffic permissions as domain verbs (house rule 6).

Guards and office staff record violations and send move-car notices; the office registers
vehicles, issues permits, keeps the repeat-offender rules and decides appeals; an owner sees
their own vehicles and violations and appeals them.
"""

import rules

from safecampus.accounts.models import Role
from safecampus.accounts.predicates import is_leadership, is_office, is_office_admin


@rules.predicate
def is_guard(user) -> bool:
    return user.is_authenticated and Role.GUARD in user.scope.roles


@rules.predicate
def owns_vehicle(user, vehicle) -> bool:
    return vehicle is not None and vehicle.owner_id == user.pk


@rules.predicate
def owns_violation_vehicle(user, violation) -> bool:
    return (violation is not None and violation.vehicle_id is not None
            and violation.vehicle.owner_id == user.pk)


rules.add_perm("traffic.manage_vehicles", is_office)
rules.add_perm("traffic.view_vehicle", is_office | is_guard | owns_vehicle)
rules.add_perm("traffic.record_violation", is_office | is_guard)
rules.add_perm("traffic.view_violation", is_office | is_guard | is_leadership
               | owns_violation_vehicle)
rules.add_perm("traffic.close_violation", is_office | is_guard)
rules.add_perm("traffic.send_move_car_notice", is_office | is_guard)
rules.add_perm("traffic.appeal_violation", owns_violation_vehicle)
rules.add_perm("traffic.decide_appeal", is_office_admin | is_office)
rules.add_perm("traffic.manage_offender_rules", is_office_admin)
rules.add_perm("traffic.view_statistics", is_office | is_leadership)
rules.add_perm("traffic.import_violations", is_office)

# Abandoned vehicles: guards and anyone on the office side report a suspicion; the office
# runs the case; leadership reads.
rules.add_perm("traffic.report_abandoned", is_office | is_guard)
rules.add_perm("traffic.manage_abandoned", is_office)
rules.add_perm("traffic.view_abandoned", is_office | is_guard | is_leadership)

# Gate records: the office imports the camera files and reads the statistics.
rules.add_perm("traffic.import_gate_records", is_office)
rules.add_perm("traffic.view_gate_records", is_office | is_leadership)

# Duty posts: the office sets up posts, timetable and rosters; a guard signs in and writes
# the post log; the live list is for the office, guards and leadership.
rules.add_perm("traffic.manage_duty_posts", is_office)
rules.add_perm("traffic.sign_in_post", is_guard | is_office)
rules.add_perm("traffic.view_duty_posts", is_office | is_guard | is_leadership)

# Charging: anyone signed in reports a fault; the office keeps stations and imports sessions.
rules.add_perm("traffic.view_charging", rules.is_authenticated)
rules.add_perm("traffic.report_charging_fault", rules.is_authenticated)
rules.add_perm("traffic.manage_charging", is_office)
rules.add_perm("traffic.view_charging_statistics", is_office | is_leadership)
