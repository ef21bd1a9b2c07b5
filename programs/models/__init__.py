"""The programs app's models: programs, cohorts and enrollment (`core`), and the mentorship workspace (`workspace`:
sessions, attendance, notes, goals, action items, feedback, assessments, pulse surveys, notifications, recognition).
"""

from programs.models.core import (
    DEFAULT_STAGES,
    LEVELS,
    Application,
    ApplicationSkill,
    Cohort,
    Mentorship,
    MentorshipMentee,
    Program,
    ProgramSkill,
    ProgramTarget,
    SessionStage,
    Skill,
)
from programs.models.workspace import (
    ActionItem,
    CalendarFeed,
    CapabilityAssessment,
    Goal,
    GoalUpdate,
    MentoringSession,
    Notification,
    NotificationPreference,
    PrivateNote,
    PulseSurvey,
    Recognition,
    SessionAttendance,
    SessionFeedback,
)

__all__ = [
    "DEFAULT_STAGES", "LEVELS", "ActionItem", "Application", "ApplicationSkill", "CalendarFeed",
    "CapabilityAssessment", "Cohort", "Goal", "GoalUpdate", "MentoringSession", "Mentorship", "MentorshipMentee",
    "Notification", "NotificationPreference", "PrivateNote", "Program", "ProgramSkill", "ProgramTarget",
    "PulseSurvey", "Recognition", "SessionAttendance", "SessionFeedback", "SessionStage", "Skill",
]  # fmt: skip
