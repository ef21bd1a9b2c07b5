from django.urls import path

from programs.views import catalog, review

# Member pages: opportunity map, apply, withdraw; admin application review. Mounted under /o/<slug:org_slug>/.
urlpatterns = [
    path("opportunities/", catalog.opportunity_list, name="opportunity_list"),
    path("opportunities/mine/", catalog.my_applications, name="my_applications"),
    path("opportunities/cohorts/<int:cohort_id>/apply/", catalog.application_apply, name="application_apply"),
    path(
        "opportunities/applications/<int:application_id>/withdraw/",
        catalog.application_withdraw,
        name="application_withdraw",
    ),
    path(
        "programs/cohorts/<int:cohort_id>/applications/",
        review.cohort_applications,
        name="cohort_applications",
    ),
]
