"""Patrols, grids and the duty room (巡逻、网格与值班).

- ``rounds``: routes of ordered checkpoints with signed QR codes, schedules (班次) that
  become shifts and rounds, and the scans that prove a guard was there.
- ``grids``: grid officers' visits to the communities of their grid (网格走访).
- ``duty``: the duty room's shifts and log (值班日志) and the incidents (警情) it records or
  that are imported from older logs.
"""

from .duty import DutyLogEntry, DutyShift, Incident, IncidentImport, IncidentSequence
from .grids import GridVisit
from .rounds import (
    Checkpoint,
    CheckpointScan,
    PatrolRound,
    PatrolRoute,
    PatrolSchedule,
    PatrolShift,
)

__all__ = [
    "Checkpoint",
    "CheckpointScan",
    "DutyLogEntry",
    "DutyShift",
    "GridVisit",
    "Incident",
    "IncidentImport",
    "IncidentSequence",
    "PatrolRoute",
    "PatrolRound",
    "PatrolSchedule",
    "PatrolShift",
]
