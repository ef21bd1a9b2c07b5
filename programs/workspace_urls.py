from django.urls import path

from programs.views import workspace_assessments, workspace_goals, workspace_pages, workspace_sessions

# The mentorship workspace of participants (programs/views/workspace_*.py). Mounted under /o/<slug:org_slug>/.
# Ids of sessions, goals and action items are looked up inside the caller's own mentorships (404 otherwise).
urlpatterns = [
    path("mentorships/", workspace_pages.my_mentorships, name="my_mentorships"),
    path("mentorships/<int:mentorship_id>/", workspace_pages.mentorship_detail, name="mentorship_detail"),
    # Sessions
    path(
        "mentorships/<int:mentorship_id>/sessions/schedule/",
        workspace_sessions.session_schedule,
        name="mentorship_session_schedule",
    ),
    path(
        "mentorships/<int:mentorship_id>/sessions/log/", workspace_sessions.session_log, name="mentorship_session_log"
    ),
    path(
        "mentorships/<int:mentorship_id>/sessions/prompts/",
        workspace_sessions.session_prompts,
        name="mentorship_session_prompts",
    ),
    path(
        "mentorships/sessions/<int:session_id>/reschedule/",
        workspace_sessions.session_reschedule,
        name="mentorship_session_reschedule",
    ),
    path(
        "mentorships/sessions/<int:session_id>/cancel/",
        workspace_sessions.session_cancel,
        name="mentorship_session_cancel",
    ),
    path(
        "mentorships/sessions/<int:session_id>/log/",
        workspace_sessions.session_log_scheduled,
        name="mentorship_session_log_scheduled",
    ),
    path(
        "mentorships/sessions/<int:session_id>/confirm/",
        workspace_sessions.session_confirm,
        name="mentorship_session_confirm",
    ),
    path(
        "mentorships/sessions/<int:session_id>/correct/",
        workspace_sessions.session_correct,
        name="mentorship_session_correct",
    ),
    path(
        "mentorships/sessions/<int:session_id>/feedback/",
        workspace_sessions.session_feedback,
        name="mentorship_session_feedback",
    ),
    path(
        "mentorships/sessions/<int:session_id>/private-note/",
        workspace_sessions.session_private_note,
        name="mentorship_session_private_note",
    ),
    # Goals and action items
    path("mentorships/<int:mentorship_id>/goals/new/", workspace_goals.goal_create, name="mentorship_goal_create"),
    path("mentorships/goals/<int:goal_id>/", workspace_goals.goal_detail, name="mentorship_goal_detail"),
    path(
        "mentorships/<int:mentorship_id>/action-items/new/",
        workspace_goals.action_item_create,
        name="mentorship_action_item_create",
    ),
    path(
        "mentorships/action-items/<int:item_id>/done/",
        workspace_goals.action_item_done,
        name="mentorship_action_item_done",
    ),
    # Assessments and the collaboration pulse
    path(
        "mentorships/<int:mentorship_id>/assessments/<str:phase>/",
        workspace_assessments.assessment_form,
        name="mentorship_assessment",
    ),
    path(
        "mentorships/<int:mentorship_id>/pulse/<str:phase>/",
        workspace_assessments.pulse_form,
        name="mentorship_pulse",
    ),
]
