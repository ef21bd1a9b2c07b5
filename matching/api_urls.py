from django.urls import path

from matching import api_views

# Mounted under /api/orgs/<slug:org_slug>/ by mentorship/urls.py.
urlpatterns = [
    path(
        "cohorts/<int:cohort_id>/match-runs/",
        api_views.CohortMatchRunListAPI.as_view(),
        name="api_cohort_match_runs",
    ),
    path(
        "cohorts/<int:cohort_id>/matching-weights/",
        api_views.CohortMatchingWeightsAPI.as_view(),
        name="api_cohort_matching_weights",
    ),
    path(
        "cohorts/<int:cohort_id>/matching-weights/preview/",
        api_views.CohortMatchingWeightsPreviewAPI.as_view(),
        name="api_cohort_matching_weights_preview",
    ),
    path("match-runs/<int:run_id>/", api_views.MatchRunDetailAPI.as_view(), name="api_match_run_detail"),
    path(
        "match-runs/<int:run_id>/proposals/",
        api_views.MatchRunProposalListAPI.as_view(),
        name="api_match_run_proposals",
    ),
    path("match-runs/<int:run_id>/hand-pick/", api_views.MatchRunHandPickAPI.as_view(), name="api_match_run_hand_pick"),
    path("match-runs/<int:run_id>/publish/", api_views.MatchRunPublishAPI.as_view(), name="api_match_run_publish"),
    path("proposals/<int:proposal_id>/lock/", api_views.ProposalLockAPI.as_view(), name="api_proposal_lock"),
    path("proposals/<int:proposal_id>/reject/", api_views.ProposalRejectAPI.as_view(), name="api_proposal_reject"),
]
