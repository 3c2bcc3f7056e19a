"""Traffic (交通管理).

- ``violations``: vehicles and permits, parking violations, move-car notices, repeat
  offenders and appeals.
- ``abandoned``: abandoned-vehicle cases (僵尸车) and clean-up drives.
- ``gates``: gates and the gate-camera records (出入记录) imported from their files.
- ``posts``: traffic duty posts (交通执勤岗), the class timetable their duty times follow,
  rosters, sign-ins and the post log.
- ``charging``: charging stations, faults and imported charging sessions.
"""

from .abandoned import (
    CASE_OPEN_STATES,
    AbandonedVehicleCase,
    CasePhoto,
    CaseSequence,
    CleanUpDrive,
)
from .charging import ChargingFault, ChargingImport, ChargingSession, ChargingStation
from .gates import Gate, GateImport, GateRecord
from .posts import ClassPeriod, DutyPost, PostDuty, PostDutyTime, PostLogEntry, PostSignIn
from .violations import (
    Appeal,
    MoveCarNotice,
    OffenderAction,
    OffenderRule,
    Permit,
    Vehicle,
    Violation,
    ViolationKind,
    ViolationPhoto,
)

__all__ = [
    "CASE_OPEN_STATES",
    "AbandonedVehicleCase",
    "Appeal",
    "CasePhoto",
    "CaseSequence",
    "ChargingFault",
    "ChargingImport",
    "ChargingSession",
    "ChargingStation",
    "ClassPeriod",
    "CleanUpDrive",
    "DutyPost",
    "Gate",
    "GateImport",
    "GateRecord",
    "MoveCarNotice",
    "OffenderAction",
    "OffenderRule",
    "Permit",
    "PostDuty",
    "PostDutyTime",
    "PostLogEntry",
    "PostSignIn",
    "Vehicle",
    "Violation",
    "ViolationKind",
    "ViolationPhoto",
]
