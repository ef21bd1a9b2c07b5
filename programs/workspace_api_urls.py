from django.urls import path

from programs import workspace_api_views as views

# Mounted under /api/orgs/<slug:org_slug>/ by mentorship/urls.py.
urlpatterns = [
    path("mentorships/", views.MyMentorshipListAPI.as_view(), name="api_my_mentorships"),
    path("mentorships/<int:mentorship_id>/", views.MentorshipWorkspaceAPI.as_view(), name="api_mentorship_workspace"),
    path(
        "mentorships/<int:mentorship_id>/sessions/",
        views.MentorshipSessionListAPI.as_view(),
        name="api_mentorship_sessions",
    ),
    path(
        "mentorships/<int:mentorship_id>/sessions/log/",
        views.MentorshipSessionLogAPI.as_view(),
        name="api_mentorship_session_log",
    ),
    path("mentorships/<int:mentorship_id>/goals/", views.MentorshipGoalListAPI.as_view(), name="api_mentorship_goals"),
    path(
        "mentorships/<int:mentorship_id>/action-items/",
        views.MentorshipActionItemListAPI.as_view(),
        name="api_mentorship_action_items",
    ),
    path(
        "mentorships/<int:mentorship_id>/assessments/",
        views.MentorshipAssessmentListAPI.as_view(),
        name="api_mentorship_assessments",
    ),
    path("mentorships/<int:mentorship_id>/pulse/", views.MentorshipPulseAPI.as_view(), name="api_mentorship_pulse"),
    path("sessions/<int:session_id>/", views.SessionDetailAPI.as_view(), name="api_session_detail"),
    path("sessions/<int:session_id>/log/", views.SessionLogScheduledAPI.as_view(), name="api_session_log"),
    path("sessions/<int:session_id>/cancel/", views.SessionCancelAPI.as_view(), name="api_session_cancel"),
    path("sessions/<int:session_id>/confirm/", views.SessionConfirmAPI.as_view(), name="api_session_confirm"),
    path("sessions/<int:session_id>/correct/", views.SessionCorrectAPI.as_view(), name="api_session_correct"),
    path(
        "sessions/<int:session_id>/private-note/",
        views.SessionPrivateNoteAPI.as_view(),
        name="api_session_private_note",
    ),
    path("sessions/<int:session_id>/feedback/", views.SessionFeedbackAPI.as_view(), name="api_session_feedback"),
    path("goals/<int:goal_id>/", views.GoalDetailAPI.as_view(), name="api_goal_detail"),
    path("goals/<int:goal_id>/progress/", views.GoalProgressAPI.as_view(), name="api_goal_progress"),
    path("goals/<int:goal_id>/updates/", views.GoalUpdateListAPI.as_view(), name="api_goal_updates"),
    path("action-items/<int:item_id>/", views.ActionItemDetailAPI.as_view(), name="api_action_item_detail"),
]
