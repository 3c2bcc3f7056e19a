"""Community voice (师生诉求与服务): concerns raised by students and staff and how the office
handled them, services units order from the office, surveys to groups, and the Open311
clients that report through the GeoReport v2 endpoint.
"""

from .bookings import ServiceAssignment, ServiceField, ServiceItem, ServiceRequest
from .concerns import (
    CategoryAttribute,
    Concern,
    ConcernCategory,
    ConcernPhoto,
    Resolution,
)
from .open311 import ApiClient
from .sequences import Sequence
from .surveys import (
    Survey,
    SurveyAnswer,
    SurveyParticipation,
    SurveyQuestion,
    SurveyResponse,
)

__all__ = [
    "ApiClient", "CategoryAttribute", "Concern", "ConcernCategory", "ConcernPhoto",
    "Resolution", "Sequence", "ServiceAssignment", "ServiceField", "ServiceItem",
    "ServiceRequest", "Survey", "SurveyAnswer", "SurveyParticipation", "SurveyQuestion",
    "SurveyResponse",
]
