from django.urls import path

from matching import views

# Match run pages (program admins and org admins), mounted under /o/<slug:org_slug>/ by mentorship/urls.py.
org_urlpatterns = [
    path("matching/cohorts/<int:cohort_id>/", views.cohort_runs, name="match_cohort_runs"),
    path("matching/runs/<int:run_id>/", views.run_detail, name="match_run_detail"),
    path("matching/runs/<int:run_id>/status/", views.run_status, name="match_run_status"),
    path("matching/runs/<int:run_id>/rerun/", views.run_rerun, name="match_run_rerun"),
    path("matching/runs/<int:run_id>/publish/", views.run_publish, name="match_run_publish"),
    path("matching/runs/<int:run_id>/hand-pick/", views.proposal_hand_pick, name="match_proposal_hand_pick"),
    path("matching/proposals/<int:proposal_id>/lock/", views.proposal_lock, name="match_proposal_lock"),
    path("matching/proposals/<int:proposal_id>/reject/", views.proposal_reject, name="match_proposal_reject"),
]
