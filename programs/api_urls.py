from django.urls import path

from programs import api_views

# Mounted under /api/orgs/<slug:org_slug>/ by mentorship/urls.py.
urlpatterns = [
    path("skills/", api_views.SkillListAPI.as_view(), name="api_skill_list"),
    path("skills/<int:skill_id>/", api_views.SkillDetailAPI.as_view(), name="api_skill_detail"),
    path("programs/", api_views.ProgramListAPI.as_view(), name="api_program_list"),
    path("programs/<int:program_id>/", api_views.ProgramDetailAPI.as_view(), name="api_program_detail"),
    path(
        "programs/<int:program_id>/transition/",
        api_views.ProgramTransitionAPI.as_view(),
        name="api_program_transition",
    ),
    path("programs/<int:program_id>/duplicate/", api_views.ProgramDuplicateAPI.as_view(), name="api_program_duplicate"),
    path("cohorts/", api_views.CohortListAPI.as_view(), name="api_cohort_list"),
    path("cohorts/<int:cohort_id>/", api_views.CohortDetailAPI.as_view(), name="api_cohort_detail"),
    path("applications/", api_views.ApplicationListAPI.as_view(), name="api_application_list"),
    path("applications/decide/", api_views.ApplicationDecideAPI.as_view(), name="api_application_decide"),
    path(
        "applications/<int:application_id>/withdraw/",
        api_views.ApplicationWithdrawAPI.as_view(),
        name="api_application_withdraw",
    ),
]
