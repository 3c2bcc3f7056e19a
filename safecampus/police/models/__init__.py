"""Police–campus cooperation and the risk register: partners and their liaisons, incident
bulletins with structured records, joint meetings and their actions, risk points with their
assessments, control measures and review requests.

Warnings sent from a bulletin record are :class:`notifications.Alert` (topic ``police``).
"""

from .bulletins import Bulletin, BulletinImport, BulletinRecord
from .meetings import AgendaItem, Meeting, MeetingAction, MeetingAttendee, Side
from .partners import Partner, PartnerLiaison
from .risks import (
    AssessmentMethod,
    ControlMeasure,
    ControlTier,
    RiskAssessment,
    RiskPoint,
    RiskReview,
)

__all__ = [
    "AgendaItem", "AssessmentMethod", "Bulletin", "BulletinImport", "BulletinRecord",
    "ControlMeasure", "ControlTier", "Meeting", "MeetingAction", "MeetingAttendee", "Partner",
    "PartnerLiaison", "RiskAssessment", "RiskPoint", "RiskReview", "Side",
]
