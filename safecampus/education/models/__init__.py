"""Education and anti-fraud: activities and coverage, attendance, quizzes, the fraud case
library, fraud reports, counsellor follow-ups of police warnings and the fraud-risk checker.

Warnings themselves (targeted alerts with read receipts) are :class:`notifications.Alert`.
"""

from .activities import Activity, ActivityMaterial, ActivityPhoto, Attendance, Campaign, Partner
from .checker import CheckerRule, CheckerRuleSet
from .followups import FollowUp
from .fraud import FraudCase, FraudReport, FraudType
from .quizzes import Question, QuestionBank, Quiz, QuizAssignment, QuizAttempt
from .terms import Term, Topic

__all__ = [
    "Activity", "ActivityMaterial", "ActivityPhoto", "Attendance", "Campaign", "CheckerRule",
    "CheckerRuleSet", "FollowUp", "FraudCase", "FraudReport", "FraudType", "Partner",
    "Question", "QuestionBank", "Quiz", "QuizAssignment", "QuizAttempt", "Term", "Topic",
]
