from django.urls import path

from matching import choice_views, views

# Match run pages (program admins and org admins), mounted under /o/<slug:org_slug>/ by mentorship/urls.py.
org_urlpatterns = [
    path("matching/cohorts/<int:cohort_id>/", views.cohort_runs, name="match_cohort_runs"),
    path("matching/cohorts/<int:cohort_id>/weights/", views.weights_save, name="match_weights_save"),
    path("matching/cohorts/<int:cohort_id>/weights/preview/", views.weights_preview, name="match_weights_preview"),
    path("matching/runs/<int:run_id>/", views.run_detail, name="match_run_detail"),
    path("matching/runs/<int:run_id>/status/", views.run_status, name="match_run_status"),
    path("matching/runs/<int:run_id>/rerun/", views.run_rerun, name="match_run_rerun"),
    path("matching/runs/<int:run_id>/publish/", views.run_publish, name="match_run_publish"),
    path("matching/runs/<int:run_id>/hand-pick/", views.proposal_hand_pick, name="match_proposal_hand_pick"),
    path("matching/proposals/<int:proposal_id>/lock/", views.proposal_lock, name="match_proposal_lock"),
    path("matching/proposals/<int:proposal_id>/reject/", views.proposal_reject, name="match_proposal_reject"),
]

# Mentee choice (accepted mentees of mentee-choice cohorts; mentors answer) and re-match (participants ask, admins
# resolve): matching/choice_views.py.
org_urlpatterns += [
    path("matching/choose/<int:cohort_id>/", choice_views.choose, name="match_choose"),
    path(
        "matching/choose/<int:cohort_id>/request/<int:mentor_id>/",
        choice_views.choose_request,
        name="match_choose_request",
    ),
    path("matching/requests/", choice_views.mentor_requests, name="match_requests"),
    path("matching/requests/<int:request_id>/answer/", choice_views.request_answer, name="match_request_answer"),
    path("matching/requests/<int:request_id>/withdraw/", choice_views.request_withdraw, name="match_request_withdraw"),
    path("matching/rematch/new/<int:application_id>/", choice_views.rematch_new, name="match_rematch_new"),
    path("matching/cohorts/<int:cohort_id>/rematch/", choice_views.rematch_queue, name="match_rematch_queue"),
    path("matching/rematch/<int:request_id>/decide/", choice_views.rematch_decide, name="match_rematch_decide"),
]
